//! What a change can reach, so that a build redoes only that. Every output file belongs to one
//! [`Scope`]: the whole site, one dimension, or the theme's static files. A scope's fingerprint
//! hashes everything its files are made from; a folder that already holds a scope's files made
//! from the same fingerprint (its [`Manifest`] says so) keeps them, and the build skips them.
//!
//! The fingerprints are deliberately coarse: a dimension's pages are remade when anything in
//! its file changes, or in the file of a dimension whose questions cite its facts (or whose
//! facts its questions cite); the whole-site pages, API files and search index whenever any
//! knowledge changes; everything when site.toml, the theme or the subjects change.
//!
//! A build may also make only some scopes and leave the others as the folder holds them
//! ([`Plan::leaving`]): the dev server publishes the pages of an edit before its search index.
//!
//! The whole-site files (the overview, subject and compare pages, `knowledge.json`, the
//! subject files, `facts.csv`) are remade after any edit, but most of each is one part per
//! dimension. The manifest records where each part lies ([`PartOffsets`]), and the next build
//! copies the parts of unchanged dimensions from the old file ([`Reuse`], [`FileParts`])
//! instead of rendering them again.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::SiteConfig;
use crate::knowledge::Knowledge;
use crate::theme::{FileOrigin, Theme};

/// Bumped whenever the meaning of a fingerprint or the layout of the manifest changes.
const MANIFEST_FORMAT: u32 = 5;

/// What stands for a built-in theme file's bytes in a fingerprint (see [`Fingerprints::of`]).
const BUILT_IN: &[u8] = b"(built-in)";

/// A part of the output that is made from the same inputs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Pages and files made from the whole knowledge base (overview, subjects, compare pages,
    /// sitemap, whole-site API files).
    Site,
    /// The search index (`search/index/`), made from the whole knowledge base.
    Search,
    /// The theme's static files.
    Static,
    /// One dimension's page, its facts' pages, embeds, redirects, API and oEmbed files.
    Dimension(String),
}

impl Scope {
    /// The scope an output file belongs to, from where it lives (see `embed::paths`).
    pub fn of_path(path: &str) -> Scope {
        if path.starts_with("static/") {
            return Scope::Static;
        }
        if path.starts_with("search/index/") {
            return Scope::Search;
        }
        // Embeds, API and oEmbed files mirror the page layout under their own folder.
        let inner = ["embed/", "api/", "oembed/"]
            .iter()
            .find_map(|folder| path.strip_prefix(folder))
            .unwrap_or(path);
        let mut parts = inner.split('/');
        match (parts.next(), parts.next()) {
            (Some("facts" | "dimensions"), Some(name)) => {
                // `pricing`, `pricing.html` or `pricing.json`: ids are slugs, without dots.
                let id = name.split_once('.').map_or(name, |(id, _)| id);
                if id.is_empty() {
                    Scope::Site
                } else {
                    Scope::Dimension(id.to_string())
                }
            }
            _ => Scope::Site,
        }
    }

    /// The scope a manifest name stands for.
    fn from_key(key: &str) -> Scope {
        match key {
            "static" => Scope::Static,
            "search" => Scope::Search,
            _ => match key.strip_prefix("dimension:") {
                Some(id) => Scope::Dimension(id.to_string()),
                None => Scope::Site,
            },
        }
    }

    /// The scope's name in a manifest.
    fn key(&self) -> String {
        match self {
            Scope::Site => "site".to_string(),
            Scope::Static => "static".to_string(),
            Scope::Search => "search".to_string(),
            Scope::Dimension(id) => format!("dimension:{id}"),
        }
    }
}

/// The fingerprint of every scope of one build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprints {
    scopes: BTreeMap<String, String>,
}

impl Fingerprints {
    /// Hashes the inputs of every scope: the resolved site settings, the theme, the subjects,
    /// the list of dimensions (every page shows the navigation and the fact count), and the
    /// text of each dimension file. The built-in theme's files are part of the binary, which
    /// stands for them: a rebuilt versus, whose pages may differ, makes every file again.
    pub fn of(config: &SiteConfig, knowledge: &Knowledge, theme: &Theme, has_tree: bool) -> Self {
        let binary = crate::knowledge::cache::binary_identity();
        let mut site_wide = Sha256::new();
        site_wide.update(env!("CARGO_PKG_VERSION").as_bytes());
        if let Some(binary) = binary {
            site_wide.update(binary);
        }
        site_wide.update(format!("{config:?}\0{has_tree}\0").as_bytes());
        // Without the binary's identity, the built-in files are hashed like the site's own.
        let built_in = |is_built_in: bool| is_built_in && binary.is_some();
        for (name, template) in &theme.templates {
            hash_field(&mut site_wide, name.as_bytes());
            if built_in(template.origin == FileOrigin::BuiltIn) {
                hash_field(&mut site_wide, BUILT_IN);
            } else {
                hash_field(&mut site_wide, template.text.as_bytes());
            }
        }
        for (name, bytes) in &theme.static_files {
            hash_field(&mut site_wide, name.as_bytes());
            if built_in(matches!(bytes, Cow::Borrowed(_))) {
                hash_field(&mut site_wide, BUILT_IN);
            } else {
                hash_field(&mut site_wide, bytes);
            }
        }
        // Every subject points into subjects.toml: its file is hashed once.
        let subject_files: BTreeMap<_, _> = knowledge
            .subjects
            .iter()
            .map(|subject| (&subject.origin.file.path, &subject.origin.file))
            .collect();
        for file in subject_files.values() {
            site_wide.update(file.digest());
        }
        for dimension in &knowledge.dimensions {
            let listing = format!(
                "{}\0{}\0{:?}\0{:?}\0{}",
                dimension.id,
                dimension.title,
                dimension.order,
                dimension.tags,
                dimension.facts.len()
            );
            hash_field(&mut site_wide, listing.as_bytes());
        }
        let site_wide = site_wide.finalize();

        let texts: Vec<[u8; 32]> = knowledge
            .dimensions
            .iter()
            .map(|dimension| dimension.origin.file.digest())
            .collect();

        let mut scopes = BTreeMap::new();
        let mut site = Sha256::new();
        site.update(site_wide);
        texts.iter().for_each(|text| site.update(text));
        let site = hex::encode(site.finalize());
        scopes.insert(Scope::Search.key(), site.clone());
        scopes.insert(Scope::Site.key(), site);
        scopes.insert(Scope::Static.key(), hex::encode(site_wide));
        for (d, neighbours) in neighbours(knowledge).into_iter().enumerate() {
            let mut hasher = Sha256::new();
            hasher.update(site_wide);
            for e in neighbours {
                hash_field(&mut hasher, knowledge.dimensions[e].id.as_bytes());
                hasher.update(texts[e]);
            }
            let id = &knowledge.dimensions[d].id;
            scopes.insert(
                Scope::Dimension(id.clone()).key(),
                hex::encode(hasher.finalize()),
            );
        }
        Self { scopes }
    }
}

impl Fingerprints {
    /// Fingerprints given directly, for tests of what consumes them.
    #[cfg(test)]
    pub(crate) fn of_scopes(pairs: &[(&str, &str)]) -> Self {
        Self {
            scopes: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

/// For each dimension, itself and the dimensions its pages read from: those whose questions
/// cite its facts and those whose facts its questions cite.
fn neighbours(knowledge: &Knowledge) -> Vec<BTreeSet<usize>> {
    let mut sets: Vec<BTreeSet<usize>> = (0..knowledge.dimensions.len())
        .map(|d| BTreeSet::from([d]))
        .collect();
    for (d, dimension) in knowledge.dimensions.iter().enumerate() {
        for question in &dimension.questions {
            for answer in &question.answers {
                for reference in &answer.because {
                    if let Some(at) = knowledge.resolve_fact(&reference.value) {
                        sets[d].insert(at.dimension);
                        sets[at.dimension].insert(d);
                    }
                }
            }
        }
    }
    sets
}

/// Length-prefixed, so that two fields never hash like one.
fn hash_field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// What a folder of output holds: for each scope, the fingerprint its files were made from
/// and the files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    format: u32,
    scopes: BTreeMap<String, ScopeFiles>,
    /// Where the per-dimension parts of each whole-site file lie, by path.
    parts: BTreeMap<String, PartOffsets>,
}

/// The byte ranges `[start, end)` of a file's per-dimension parts: one list per run of parts
/// in the file (the rows of a table, the elements of a JSON array), one range per dimension in
/// display order (empty when the dimension has nothing there).
pub type PartOffsets = Vec<Vec<(u64, u64)>>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ScopeFiles {
    fingerprint: String,
    files: FileList,
}

/// A scope's files: their paths in order, without repeats, one per line. Every build reads
/// and writes the manifest (45,000 paths at 10,000 facts), and most scopes' lists only pass
/// from the old manifest to the new: as one string each, they are decoded and encoded whole,
/// not path by path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
struct FileList(String);

impl FileList {
    /// The list of `paths`, which must be in order (as a `BTreeSet` gives them).
    fn from_sorted(paths: impl IntoIterator<Item = String>) -> Self {
        let mut text = String::new();
        for path in paths {
            debug_assert!(!path.contains('\n'), "output paths have no line breaks");
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&path);
        }
        FileList(text)
    }

    fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split('\n').filter(|path| !path.is_empty())
    }

    /// True when every path comes after the one before it: the order [`FileList::contains`]
    /// relies on.
    fn is_in_order(&self) -> bool {
        self.iter().is_sorted_by(|a, b| a < b)
    }

    /// A binary search over the lines: each probe lands in some line, compares it, and halves
    /// the bytes left on the side the path must be.
    fn contains(&self, path: &str) -> bool {
        let text = &self.0;
        let (mut low, mut high) = (0, text.len());
        while low < high {
            let middle = low + (high - low) / 2;
            let start = text[..middle].rfind('\n').map_or(0, |at| at + 1).max(low);
            let end = text[start..].find('\n').map_or(text.len(), |at| start + at);
            match text[start..end].cmp(path) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => low = end + 1,
                std::cmp::Ordering::Greater => high = start,
            }
        }
        false
    }
}

impl Manifest {
    /// Reads a manifest; `None` when it is missing, damaged or of another format, which makes
    /// the next build a full one.
    pub fn parse(bytes: &[u8]) -> Option<Manifest> {
        let manifest: Manifest = postcard::from_bytes(crate::sealed::unseal(bytes)?).ok()?;
        let sorted = manifest
            .scopes
            .values()
            .all(|scope| scope.files.is_in_order());
        (manifest.format == MANIFEST_FORMAT && sorted).then_some(manifest)
    }

    /// The manifest as postcard, with a CRC-32 that shows a damaged copy: it lists every file
    /// of the output, and is read and written by every build (in JSON, that took 14 and 7 ms
    /// at 10,000 facts).
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::sealed::seal(postcard::to_stdvec(self).expect("a manifest always serializes"))
    }

    /// True when the folder holds `path`: looked up in the one scope the path belongs to,
    /// where [`Plan::finish`] records every file.
    pub fn holds(&self, path: &str) -> bool {
        self.scopes
            .get(&Scope::of_path(path).key())
            .is_some_and(|scope| scope.files.contains(path))
    }

    /// Every file the folder holds.
    #[cfg(test)]
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.scopes.values().flat_map(|scope| scope.files.iter())
    }
}

/// Which scopes a build must make, given what the folder it writes into already holds.
#[derive(Debug, Clone)]
pub struct Plan {
    fingerprints: Fingerprints,
    /// What the target folder holds; `None` for an empty folder (a full build).
    previous: Option<Manifest>,
    /// Scopes this build leaves as the folder holds them, whatever their fingerprints say.
    left: BTreeSet<String>,
}

/// The outcome of a build for the folder it wrote: what it now holds, and the files it held
/// that no scope makes any more.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub manifest: Manifest,
    pub stale: Vec<String>,
}

impl Plan {
    pub fn new(fingerprints: Fingerprints, previous: Option<Manifest>) -> Self {
        Self {
            fingerprints,
            previous,
            left: BTreeSet::new(),
        }
    }

    /// The same plan, leaving the scopes for which `leave` is true as the folder holds them:
    /// not made, their files neither rewritten nor stale, their manifest entries carried over
    /// (a later build makes them).
    pub fn leaving(mut self, leave: impl Fn(&Scope) -> bool) -> Self {
        self.left = self
            .fingerprints
            .scopes
            .keys()
            .filter(|key| leave(&Scope::from_key(key)))
            .cloned()
            .collect();
        self
    }

    /// True when the build writes every file.
    pub fn is_full(&self) -> bool {
        self.previous.is_none()
    }

    /// True when the folder holds `path` (relative to its root), by its manifest.
    pub fn holds(&self, path: &str) -> bool {
        self.previous
            .as_ref()
            .is_some_and(|previous| previous.holds(path))
    }

    /// True when the scope's files must be made: they are missing or made from other inputs.
    pub fn needs(&self, scope: &Scope) -> bool {
        let key = scope.key();
        if self.left.contains(&key) {
            return false;
        }
        let Some(previous) = &self.previous else {
            return true;
        };
        match (
            self.fingerprints.scopes.get(&key),
            previous.scopes.get(&key),
        ) {
            (Some(fresh), Some(held)) => *fresh != held.fingerprint,
            _ => true,
        }
    }

    /// The fingerprint of a scope's inputs in this build.
    pub fn fingerprint(&self, scope: &Scope) -> Option<&str> {
        self.fingerprints
            .scopes
            .get(&scope.key())
            .map(String::as_str)
    }

    /// True when the folder holds the scope's files made from the same inputs, whatever this
    /// build leaves or makes.
    pub fn unchanged(&self, scope: &Scope) -> bool {
        let key = scope.key();
        self.previous
            .as_ref()
            .and_then(|previous| previous.scopes.get(&key))
            .zip(self.fingerprints.scopes.get(&key))
            .is_some_and(|(held, fresh)| held.fingerprint == *fresh)
    }

    /// Where the parts of a file the folder holds lie, when its manifest recorded them.
    pub fn held_parts(&self, path: &str) -> Option<&PartOffsets> {
        self.previous.as_ref()?.parts.get(path)
    }

    /// Records what the build wrote (`written`, relative paths) over what the folder held, with
    /// the part offsets of the whole-site files it wrote (`parts`). Takes the plan, so that the
    /// old manifest's file lists move into the new one rather than being copied.
    pub fn finish(
        self,
        written: impl IntoIterator<Item = String>,
        parts: BTreeMap<String, PartOffsets>,
    ) -> Outcome {
        let mut by_scope: HashMap<String, BTreeSet<String>> = HashMap::new();
        for path in written {
            by_scope
                .entry(Scope::of_path(&path).key())
                .or_default()
                .insert(path);
        }
        let mut previous = self.previous.unwrap_or_default();
        // Files with recorded parts that this build wrote again.
        let rewritten: BTreeSet<String> = previous
            .parts
            .keys()
            .filter(|path| {
                by_scope
                    .get(&Scope::of_path(path).key())
                    .is_some_and(|files| files.contains(*path))
            })
            .cloned()
            .collect();
        let mut manifest = Manifest {
            format: MANIFEST_FORMAT,
            scopes: BTreeMap::new(),
            parts: BTreeMap::new(),
        };
        let mut stale = Vec::new();
        for (key, fingerprint) in self.fingerprints.scopes {
            let written = by_scope.remove(&key).unwrap_or_default();
            let held = previous.scopes.remove(&key);
            if self.left.contains(&key) {
                if let Some(held) = held {
                    manifest.scopes.insert(key, held);
                }
                continue;
            }
            let remade = held
                .as_ref()
                .is_none_or(|held| held.fingerprint != fingerprint);
            let files = if remade {
                if let Some(held) = held {
                    stale.extend(
                        held.files
                            .iter()
                            .filter(|f| !written.contains(*f))
                            .map(String::from),
                    );
                }
                FileList::from_sorted(written)
            } else {
                let held = held.map(|h| h.files).unwrap_or_default();
                if written.is_empty() {
                    held
                } else {
                    let mut files: BTreeSet<String> = held.iter().map(String::from).collect();
                    files.extend(written);
                    FileList::from_sorted(files)
                }
            };
            manifest
                .scopes
                .insert(key, ScopeFiles { fingerprint, files });
        }
        // Scopes that no longer exist (a removed dimension: what is left of the old manifest),
        // and files written for a scope without a fingerprint, which the next build must not
        // trust.
        for held in previous.scopes.into_values() {
            stale.extend(held.files.iter().map(String::from));
        }
        for (key, files) in by_scope {
            manifest.scopes.insert(
                key,
                ScopeFiles {
                    fingerprint: String::new(),
                    files: FileList::from_sorted(files),
                },
            );
        }
        let kept = |path: &str| manifest.holds(path);
        stale.retain(|path| !kept(path));
        stale.sort();
        stale.dedup();
        // A file this build wrote has the parts it recorded, or none; a file it left as it
        // was keeps the parts it had.
        let mut recorded: BTreeMap<String, PartOffsets> =
            parts.into_iter().filter(|(path, _)| kept(path)).collect();
        for (path, offsets) in previous.parts {
            if kept(&path) && !rewritten.contains(&path) {
                recorded.insert(path, offsets);
            }
        }
        manifest.parts = recorded;
        Outcome { manifest, stale }
    }
}

/// Opens the file a build's target holds at a path (before the build writes it).
pub type ReadHeld<'a> = &'a (dyn Fn(&str) -> Option<Held> + Sync);

/// A file the target holds, whose current parts a build copies into the file it writes there.
#[derive(Debug)]
pub enum Held {
    /// In memory: the dev server's files.
    Bytes(Vec<u8>),
    /// On disk, where the new file is written over it in place: read a window at a time, each
    /// part before the new bytes reach it, so that a large file is never read whole into fresh
    /// memory.
    File(std::fs::File),
}

impl Held {
    fn len(&self) -> Option<u64> {
        match self {
            Held::Bytes(bytes) => u64::try_from(bytes.len()).ok(),
            Held::File(file) => file.metadata().ok().map(|m| m.len()),
        }
    }

    /// Fills `buffer` with the bytes from `offset`.
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> std::io::Result<()> {
        use std::io::{Read as _, Seek as _};
        match self {
            Held::Bytes(bytes) => {
                let source = usize::try_from(offset)
                    .ok()
                    .and_then(|start| bytes.get(start..start.checked_add(buffer.len())?))
                    .ok_or(std::io::ErrorKind::UnexpectedEof)?;
                buffer.copy_from_slice(source);
                Ok(())
            }
            Held::File(file) => {
                let mut file = file;
                file.seek(std::io::SeekFrom::Start(offset))?;
                file.read_exact(buffer)
            }
        }
    }
}

/// How much of an old file is read at once: the parts that fit after the first one needed.
const OLD_FILE_WINDOW: u64 = 256 * 1024;

/// The part offsets of one build's whole-site files: which parts the folder's old files can
/// give, and what the build records for the next one. Shared by the threads that write.
pub struct Reuse<'a> {
    plan: &'a Plan,
    /// The bytes the target holds at a path, before this build writes it.
    previous: ReadHeld<'a>,
    /// For each dimension (display order), true when its parts in the old files are current.
    unchanged: Vec<bool>,
    recorded: Mutex<BTreeMap<String, PartOffsets>>,
    reused: std::sync::atomic::AtomicUsize,
}

impl<'a> Reuse<'a> {
    /// `dimensions` are the ids in display order; `previous` reads what the target holds.
    pub fn new<'d>(
        plan: &'a Plan,
        dimensions: impl Iterator<Item = &'d str>,
        previous: ReadHeld<'a>,
    ) -> Self {
        let unchanged = dimensions
            .map(|id| plan.unchanged(&Scope::Dimension(id.to_string())))
            .collect();
        Self {
            plan,
            previous,
            unchanged,
            recorded: Mutex::new(BTreeMap::new()),
            reused: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Starts writing the file at `path`: when the target holds it with recorded parts and
    /// some of them are current, it is opened, to read them from before they are overwritten.
    pub fn file(&self, path: &str) -> FileParts<'_> {
        let held = self
            .plan
            .held_parts(path)
            .filter(|_| self.unchanged.iter().any(|&u| u));
        let old = held.and_then(|offsets| OldFile::open((self.previous)(path)?, offsets, self));
        FileParts {
            path: path.to_string(),
            reuse: self,
            old,
            position: Cell::new(0),
            recorded: RefCell::new(Vec::new()),
        }
    }

    /// Keeps the offsets a finished file recorded, for the manifest.
    pub fn finish_file(&self, file: FileParts<'_>) {
        let recorded = file.recorded.into_inner();
        self.recorded
            .lock()
            .expect("no writer panics while holding the lock")
            .insert(file.path, recorded);
    }

    /// The offsets recorded by every finished file, by path.
    pub fn into_recorded(self) -> BTreeMap<String, PartOffsets> {
        self.recorded
            .into_inner()
            .expect("no writer panics while holding the lock")
    }

    /// Parts copied from old files so far.
    pub fn reused(&self) -> usize {
        self.reused.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// One whole-site file being written: gives the old bytes of current parts and records where
/// each part of the new file lies. Its writer must go through [`FileParts::counting`], so that
/// positions are known.
pub struct FileParts<'a> {
    path: String,
    reuse: &'a Reuse<'a>,
    old: Option<OldFile>,
    position: Cell<u64>,
    recorded: RefCell<PartOffsets>,
}

/// The old file of a [`FileParts`], read a window at a time: each current part is read when
/// it is asked for or when the new file's bytes are about to reach it, whichever comes first,
/// and dropped once it is written.
struct OldFile {
    held: Held,
    /// The current parts, `(start, end, list, d)`, in the order they lie in the file.
    wanted: Vec<(u64, u64, usize, usize)>,
    /// Where each part of each run is in `wanted`, if it is there.
    at: HashMap<(usize, usize), usize>,
    /// `wanted[..next]` have been read (or could not be).
    next: Cell<usize>,
    /// Parts read and not written yet. A part that is not valid text is left out.
    read: RefCell<HashMap<(usize, usize), Rc<str>>>,
    buffer: RefCell<Vec<u8>>,
    /// The most bytes of parts held at once, for tests.
    peak: Cell<usize>,
}

impl OldFile {
    /// The old file's current parts, if the offsets recorded for them lie in it.
    fn open(held: Held, offsets: &PartOffsets, reuse: &Reuse<'_>) -> Option<Self> {
        let current = |d: usize| reuse.unchanged.get(d).copied().unwrap_or(false);
        let mut wanted: Vec<(u64, u64, usize, usize)> = offsets
            .iter()
            .enumerate()
            .flat_map(|(list, parts)| {
                parts
                    .iter()
                    .enumerate()
                    .filter(|&(d, _)| current(d))
                    .map(move |(d, &(start, end))| (start, end, list, d))
            })
            .collect();
        wanted.sort_unstable();
        let length = held.len()?;
        let in_order = wanted.windows(2).all(|pair| pair[0].1 <= pair[1].0);
        if !in_order
            || wanted
                .iter()
                .any(|&(start, end, ..)| start > end || end > length)
        {
            return None;
        }
        let at = wanted
            .iter()
            .enumerate()
            .map(|(n, &(_, _, list, d))| ((list, d), n))
            .collect();
        Some(Self {
            held,
            wanted,
            at,
            next: Cell::new(0),
            read: RefCell::new(HashMap::new()),
            buffer: RefCell::new(Vec::new()),
            peak: Cell::new(0),
        })
    }

    /// Reads the first part not read yet and those after it that end within
    /// [`OLD_FILE_WINDOW`] of its start; false when every part is read. After a failed read,
    /// none is read again: the file may be written over from then on.
    fn read_window(&self) -> bool {
        let first = self.next.get();
        let Some(&(start, mut end, ..)) = self.wanted.get(first) else {
            return false;
        };
        let mut last = first;
        while let Some(&(_, part_end, ..)) = self.wanted.get(last + 1) {
            if part_end > start.saturating_add(OLD_FILE_WINDOW) {
                break;
            }
            end = part_end;
            last += 1;
        }
        self.next.set(last + 1);
        let mut buffer = self.buffer.borrow_mut();
        let Ok(length) = usize::try_from(end - start) else {
            self.next.set(self.wanted.len());
            return true;
        };
        buffer.clear();
        buffer.resize(length, 0);
        if self.held.read_at(&mut buffer, start).is_err() {
            self.next.set(self.wanted.len());
            return true;
        }
        let mut read = self.read.borrow_mut();
        for &(part_start, part_end, list, d) in &self.wanted[first..=last] {
            let bytes = &buffer[(part_start - start) as usize..(part_end - start) as usize];
            if let Ok(text) = std::str::from_utf8(bytes) {
                read.insert((list, d), Rc::from(text));
            }
        }
        let held: usize = read.values().map(|text| text.len()).sum();
        self.peak.set(self.peak.get().max(held));
        true
    }

    /// Part `d` of run `list`, reading up to it if it is not read yet.
    fn part(&self, list: usize, d: usize) -> Option<Rc<str>> {
        let at = *self.at.get(&(list, d))?;
        loop {
            if let Some(text) = self.read.borrow().get(&(list, d)) {
                return Some(text.clone());
            }
            // Read already (and written, or not text), or nothing left to read.
            if at < self.next.get() || !self.read_window() {
                return None;
            }
        }
    }

    /// Reads every part that starts before `end`, which the new file's bytes are about to
    /// reach.
    fn keep_before(&self, end: u64) {
        while self
            .wanted
            .get(self.next.get())
            .is_some_and(|&(start, ..)| start < end)
        {
            self.read_window();
        }
    }
}

impl FileParts<'_> {
    /// True when the old file gives part `d` of the file's `list`th run of parts: that
    /// dimension has not changed since, and the part is recorded.
    pub fn has_old(&self, list: usize, d: usize) -> bool {
        self.old
            .as_ref()
            .is_some_and(|old| old.at.contains_key(&(list, d)))
    }

    /// The old file's part `d` of run `list`, when [`FileParts::has_old`] and it can be read;
    /// `None` when the part must be made.
    pub fn old(&self, list: usize, d: usize) -> Option<Rc<str>> {
        self.old.as_ref()?.part(list, d)
    }

    /// [`FileParts::old`] for a part the caller left to the old file (it [`has_old`], so
    /// `file` is there): an error naming the file when the old file cannot give it after all.
    ///
    /// [`has_old`]: FileParts::has_old
    pub fn reused(file: Option<&Self>, list: usize, d: usize) -> std::io::Result<Rc<str>> {
        let path = file.map_or("", |file| file.path.as_str());
        file.and_then(|file| file.old(list, d)).ok_or_else(|| {
            std::io::Error::other(format!(
                "part {d} of run {list} of the old {path} cannot be read back to be copied"
            ))
        })
    }

    /// The most bytes of old parts held at once so far.
    #[cfg(test)]
    fn peak_held(&self) -> usize {
        self.old.as_ref().map_or(0, |old| old.peak.get())
    }

    /// Marks where part `d` of run `list` starts in the new file (the current position).
    pub fn start(&self, list: usize, d: usize) {
        let mut recorded = self.recorded.borrow_mut();
        if recorded.len() <= list {
            recorded.resize(list + 1, Vec::new());
        }
        let parts = &mut recorded[list];
        if parts.len() <= d {
            parts.resize(d + 1, (0, 0));
        }
        let at = self.position.get();
        parts[d] = (at, at);
    }

    /// Marks where part `d` of run `list` ends; `reused` counts it as copied.
    pub fn end(&self, list: usize, d: usize, reused: bool) {
        if let Some(old) = &self.old {
            old.read.borrow_mut().remove(&(list, d));
        }
        if let Some(part) = self
            .recorded
            .borrow_mut()
            .get_mut(list)
            .and_then(|p| p.get_mut(d))
        {
            part.1 = self.position.get();
        }
        if reused {
            self.reuse
                .reused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Wraps the file's writer so that the positions of parts are known, and the old file's
    /// parts are read before the new bytes overwrite them.
    pub fn counting<'w>(&'w self, out: &'w mut dyn std::io::Write) -> Counting<'w> {
        Counting { out, file: self }
    }

    /// Called before bytes up to `end` of the new file are written.
    #[inline]
    fn writing_up_to(&self, end: u64) {
        if let Some(old) = &self.old {
            old.keep_before(end);
        }
    }
}

/// A writer that counts the bytes written through it (see [`FileParts::counting`]). The
/// writer below may hold bytes back, never write them ahead.
pub struct Counting<'w> {
    out: &'w mut dyn std::io::Write,
    file: &'w FileParts<'w>,
}

impl std::io::Write for Counting<'_> {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let position = &self.file.position;
        self.file.writing_up_to(position.get() + buf.len() as u64);
        let written = self.out.write(buf)?;
        position.set(position.get() + written as u64);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    #[inline]
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let position = &self.file.position;
        self.file.writing_up_to(position.get() + buf.len() as u64);
        self.out.write_all(buf)?;
        position.set(position.get() + buf.len() as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_output_path_belongs_to_the_scope_that_makes_it() {
        let cases = [
            ("index.html", Scope::Site),
            ("404.html", Scope::Site),
            ("sitemap.xml", Scope::Site),
            ("search/index.html", Scope::Site),
            ("search/index/0123.bin", Scope::Search),
            ("search/index/manifest.json", Scope::Search),
            ("subjects/serverless/index.html", Scope::Site),
            ("compare/a-vs-b/index.html", Scope::Site),
            ("api/knowledge.json", Scope::Site),
            ("api/subjects/serverless.json", Scope::Site),
            ("static/style.css", Scope::Static),
            ("dimensions/pricing/index.html", dim("pricing")),
            ("facts/pricing/free-tier/index.html", dim("pricing")),
            ("embed/facts/pricing/free-tier.html", dim("pricing")),
            ("embed/dimensions/pricing.html", dim("pricing")),
            ("api/dimensions/pricing.json", dim("pricing")),
            ("api/facts/pricing/free-tier.json", dim("pricing")),
            ("oembed/dimensions/pricing.json", dim("pricing")),
            ("oembed/facts/pricing/free-tier.json", dim("pricing")),
        ];
        for (path, scope) in cases {
            assert_eq!(Scope::of_path(path), scope, "{path}");
        }
    }

    fn dim(id: &str) -> Scope {
        Scope::Dimension(id.to_string())
    }

    #[test]
    fn a_manifest_reads_back_as_written_and_one_whose_files_are_out_of_order_is_refused() {
        let built = Plan::new(fingerprints(&[("site", "1"), ("dimension:a", "1")]), None).finish(
            ["index.html", "facts/a/y/index.html", "facts/a/x/index.html"].map(String::from),
            BTreeMap::new(),
        );
        let read = Manifest::parse(&built.manifest.to_bytes()).expect("reads back");
        assert_eq!(read, built.manifest);
        assert!(read.holds("facts/a/x/index.html") && read.holds("facts/a/y/index.html"));
        assert!(!read.holds("facts/a/z/index.html"));
        // Looking a path up relies on the order: a manifest not in order is not trusted.
        let mut unordered = built.manifest.clone();
        unordered
            .scopes
            .get_mut("dimension:a")
            .expect("scope")
            .files = FileList("facts/a/y/index.html\nfacts/a/x/index.html".into());
        assert_eq!(Manifest::parse(&unordered.to_bytes()), None);
    }

    #[test]
    fn a_file_list_finds_each_of_its_paths_and_nothing_else() {
        let paths: BTreeSet<String> = (0..300)
            .map(|n| format!("facts/d{}/f{n}/index.html", n % 7))
            .chain(["a".to_string(), "zz".to_string()])
            .collect();
        let list = FileList::from_sorted(paths.clone());
        assert!(list.is_in_order());
        let listed: BTreeSet<&str> = list.iter().collect();
        assert_eq!(listed, paths.iter().map(String::as_str).collect());
        for path in &paths {
            assert!(list.contains(path), "{path}");
            for other in [format!("{path}x"), path[..path.len() - 1].to_string()] {
                assert_eq!(list.contains(&other), paths.contains(&other), "{other}");
            }
        }
        for missing in ["", "0", "b", "facts/", "zzz"] {
            assert!(!list.contains(missing), "{missing}");
        }
        let empty = FileList::default();
        assert!(empty.iter().next().is_none() && !empty.contains("a") && empty.is_in_order());
    }

    /// The static scope's fingerprint of the shipped site with `theme`.
    fn static_fingerprint(theme: &Theme) -> String {
        let loaded = crate::build::shipped();
        let fingerprints = Fingerprints::of(&loaded.config, &loaded.knowledge, theme, true);
        fingerprints.scopes["static"].clone()
    }

    #[test]
    fn built_in_theme_files_are_fingerprinted_by_the_binary_and_the_sites_by_their_bytes() {
        let theme = Theme::built_in();
        let before = static_fingerprint(&theme);
        // Other bytes under a built-in file's name: the binary, not the bytes, stands for it.
        let mut swapped = theme.clone();
        swapped
            .static_files
            .insert("style.css".into(), Cow::Borrowed(b"body {}"));
        assert_eq!(static_fingerprint(&swapped), before);
        // The same bytes given by the site: now they count, and so does any change to them.
        let mut overridden = theme.clone();
        let bytes = theme.static_files["style.css"].to_vec();
        overridden
            .static_files
            .insert("style.css".into(), Cow::Owned(bytes.clone()));
        let as_site_file = static_fingerprint(&overridden);
        assert_ne!(as_site_file, before);
        let mut edited = bytes;
        edited.extend_from_slice(b"\n/* edited */");
        overridden
            .static_files
            .insert("style.css".into(), Cow::Owned(edited));
        assert_ne!(static_fingerprint(&overridden), as_site_file);
    }

    fn fingerprints(pairs: &[(&str, &str)]) -> Fingerprints {
        Fingerprints::of_scopes(pairs)
    }

    #[test]
    fn only_scopes_with_new_fingerprints_are_remade_and_their_lost_files_are_stale() {
        let first = Plan::new(
            fingerprints(&[("site", "1"), ("dimension:a", "1"), ("dimension:b", "1")]),
            None,
        );
        assert!(first.is_full() && first.needs(&dim("a")));
        let built = first.finish(
            [
                "index.html",
                "facts/a/x/index.html",
                "facts/a/y/index.html",
                "facts/b/z/index.html",
            ]
            .map(String::from),
            BTreeMap::new(),
        );
        assert!(built.stale.is_empty());
        let second = Plan::new(
            fingerprints(&[("site", "2"), ("dimension:a", "2"), ("dimension:b", "1")]),
            Some(built.manifest.clone()),
        );
        assert!(second.needs(&Scope::Site) && second.needs(&dim("a")));
        assert!(!second.needs(&dim("b")) && second.needs(&dim("c")));
        let rebuilt = second.finish(
            ["index.html", "facts/a/x/index.html"].map(String::from),
            BTreeMap::new(),
        );
        assert_eq!(rebuilt.stale, vec!["facts/a/y/index.html".to_string()]);
        let held: Vec<&str> = rebuilt.manifest.files().collect();
        assert_eq!(
            held,
            ["facts/a/x/index.html", "facts/b/z/index.html", "index.html"]
        );
        let third = Plan::new(
            fingerprints(&[("site", "3"), ("dimension:a", "2")]),
            Some(rebuilt.manifest),
        );
        assert!(!third.needs(&dim("a")));
        let removed = third.finish(["index.html".to_string()], BTreeMap::new());
        assert_eq!(removed.stale, vec!["facts/b/z/index.html".to_string()]);
    }

    #[test]
    fn a_plan_leaving_a_scope_neither_makes_nor_removes_it_and_a_later_plan_does() {
        let first = Plan::new(fingerprints(&[("site", "1"), ("search", "1")]), None);
        let built = first.finish(
            ["index.html", "search/index/a.bin"].map(String::from),
            BTreeMap::new(),
        );
        let fresh = || fingerprints(&[("site", "2"), ("search", "2")]);
        let pages = Plan::new(fresh(), Some(built.manifest)).leaving(|s| *s == Scope::Search);
        assert!(pages.needs(&Scope::Site) && !pages.needs(&Scope::Search));
        assert!(pages.holds("search/index/a.bin") && pages.holds("index.html"));
        assert!(!pages.holds("search/index/b.bin"));
        let pages = pages.finish(["index.html".to_string()], BTreeMap::new());
        assert!(pages.stale.is_empty(), "{:?}", pages.stale);
        let held: BTreeSet<&str> = pages.manifest.files().collect();
        assert_eq!(held, BTreeSet::from(["index.html", "search/index/a.bin"]));
        let search = Plan::new(fresh(), Some(pages.manifest)).leaving(|s| *s != Scope::Search);
        assert!(search.needs(&Scope::Search) && !search.needs(&Scope::Site));
        let search = search.finish(["search/index/b.bin".to_string()], BTreeMap::new());
        assert_eq!(search.stale, ["search/index/a.bin"]);
        let after = Plan::new(fresh(), Some(search.manifest));
        assert!(!after.needs(&Scope::Site) && !after.needs(&Scope::Search));
    }

    #[test]
    fn a_file_gives_the_old_parts_of_unchanged_dimensions_and_records_its_new_ones() {
        use std::io::Write as _;
        let scopes =
            |a: &str| fingerprints(&[("site", a), ("dimension:a", a), ("dimension:b", "1")]);
        let old = b"<h1>[a-old][b-old]</h1>".to_vec();
        let first = Plan::new(scopes("1"), None);
        let offsets = vec![vec![(4, 11), (11, 18)]];
        let built = first.finish(
            ["index.html".to_string()],
            BTreeMap::from([("index.html".to_string(), offsets)]),
        );
        let plan = Plan::new(scopes("2"), Some(built.manifest));
        let previous = |_: &str| Some(Held::Bytes(old.clone()));
        let reuse = Reuse::new(&plan, ["a", "b"].into_iter(), &previous);
        let file = reuse.file("index.html");
        assert!(!file.has_old(0, 0) && file.has_old(0, 1));
        assert_eq!(
            (file.old(0, 0).as_deref(), file.old(0, 1).as_deref()),
            (None, Some("[b-old]"))
        );
        assert!(!file.has_old(1, 1), "no such run");
        assert_eq!(file.old(1, 1), None);
        let mut out = Vec::new();
        {
            let mut counting = file.counting(&mut out);
            counting.write_all(b"<h2>").expect("write");
            file.start(0, 0);
            counting.write_all(b"[a-new!]").expect("write");
            file.end(0, 0, false);
            file.start(0, 1);
            counting.write_all(b"[b-old]").expect("write");
            file.end(0, 1, true);
        }
        reuse.finish_file(file);
        assert_eq!(reuse.reused(), 1);
        let recorded = reuse.into_recorded();
        assert_eq!(recorded["index.html"], vec![vec![(4, 12), (12, 19)]]);
        // A file written again records new parts; a file left as it was keeps its own.
        let outcome = plan.finish(["index.html".to_string()], recorded);
        assert_eq!(outcome.manifest.parts["index.html"][0][0], (4, 12));
        let after = Plan::new(scopes("3"), Some(outcome.manifest));
        let kept = after.finish(["other.html".to_string()], BTreeMap::new());
        assert!(
            kept.manifest.parts.is_empty(),
            "index.html is gone, and its parts"
        );
    }

    /// A plan whose folder holds one file, `big.html`, of three parts (dimensions a, b, c) of
    /// `size` bytes each, of which a's has changed since; and the file's old bytes.
    fn three_parts(size: usize) -> (Plan, Vec<u8>) {
        let scopes = |a: &str| {
            fingerprints(&[
                ("site", a),
                ("dimension:a", a),
                ("dimension:b", "1"),
                ("dimension:c", "1"),
            ])
        };
        let size = size as u64;
        let offsets = vec![vec![(0, size), (size, 2 * size), (2 * size, 3 * size)]];
        let built = Plan::new(scopes("1"), None).finish(
            ["big.html".to_string()],
            BTreeMap::from([("big.html".to_string(), offsets)]),
        );
        let old = [b'a', b'b', b'c']
            .iter()
            .flat_map(|&letter| std::iter::repeat_n(letter, size as usize))
            .collect();
        (Plan::new(scopes("2"), Some(built.manifest)), old)
    }

    /// Writes `big.html` over its old bytes in place, as an updated folder does, with a new
    /// first part of `first` bytes and the old second and third: the file's new bytes and the
    /// most bytes of old parts held at once.
    fn written_in_place(plan: &Plan, old: &[u8], first: usize) -> (Vec<u8>, usize) {
        use std::io::Write as _;
        let folder = tempfile::tempdir().expect("tempdir");
        let path = folder.path().join("big.html");
        std::fs::write(&path, old).expect("write");
        let previous = |_: &str| std::fs::File::open(&path).ok().map(Held::File);
        let reuse = Reuse::new(plan, ["a", "b", "c"].into_iter(), &previous);
        let file = reuse.file("big.html");
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        {
            let mut counting = file.counting(&mut out);
            file.start(0, 0);
            counting.write_all(&vec![b'A'; first]).expect("write");
            file.end(0, 0, false);
            for d in [1, 2] {
                let part = file.old(0, d).expect("an unchanged part");
                file.start(0, d);
                counting.write_all(part.as_bytes()).expect("write");
                file.end(0, d, true);
            }
        }
        let peak = file.peak_held();
        reuse.finish_file(file);
        (std::fs::read(&path).expect("read"), peak)
    }

    #[test]
    fn old_parts_are_read_before_the_new_bytes_written_over_them_reach_them() {
        let size = 100_000;
        let (plan, old) = three_parts(size);
        // The new first part runs over all of the old second one and into the third.
        let (new, _) = written_in_place(&plan, &old, 2 * size + 10);
        let mut expected = vec![b'A'; 2 * size + 10];
        expected.extend_from_slice(&old[size..]);
        assert!(
            new == expected,
            "the old parts were overwritten before being copied"
        );
    }

    #[test]
    fn a_part_the_old_file_cannot_give_back_is_an_error_naming_the_file() {
        let (plan, old) = three_parts(10);
        let folder = tempfile::tempdir().expect("tempdir");
        let path = folder.path().join("big.html");
        std::fs::write(&path, &old).expect("write");
        let previous = |_: &str| std::fs::File::open(&path).ok().map(Held::File);
        let reuse = Reuse::new(&plan, ["a", "b", "c"].into_iter(), &previous);
        let file = reuse.file("big.html");
        assert!(file.has_old(0, 1));
        // Cut short by something else after the build opened it.
        std::fs::File::create(&path).expect("truncate");
        let err = FileParts::reused(Some(&file), 0, 1).expect_err("nothing to read");
        assert!(err.to_string().contains("old big.html"), "{err}");
    }

    #[test]
    fn a_large_old_file_is_never_held_whole() {
        let size = 2 * OLD_FILE_WINDOW as usize;
        let (plan, old) = three_parts(size);
        let (new, peak) = written_in_place(&plan, &old, size);
        assert!(new[..size].iter().all(|&byte| byte == b'A') && new[size..] == old[size..]);
        // One part at a time: each is dropped once written.
        assert_eq!(peak, size, "bytes of the old file's parts held at once");
    }

    #[test]
    fn manifests_of_another_format_are_ignored() {
        let manifest = Manifest {
            format: MANIFEST_FORMAT,
            scopes: BTreeMap::new(),
            parts: BTreeMap::new(),
        };
        let bytes = manifest.to_bytes();
        assert_eq!(Manifest::parse(&bytes), Some(manifest.clone()));
        let older = Manifest {
            format: MANIFEST_FORMAT - 1,
            ..manifest
        };
        assert_eq!(Manifest::parse(&older.to_bytes()), None);
        assert_eq!(Manifest::parse(br#"{"format": 3, "scopes": {}}"#), None);
        assert_eq!(
            Manifest::parse(&bytes[..bytes.len() - 1]),
            None,
            "cut short"
        );
        let mut damaged = bytes.clone();
        damaged[1] ^= 1;
        assert_eq!(Manifest::parse(&damaged), None);
    }
}
