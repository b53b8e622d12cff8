//! Dimension files as parsed by an earlier load, kept in one file (which the caller reads and
//! writes; `build` keeps it beside the output): a file
//! whose text is unchanged (read with the same limits by the same binary) is decoded instead
//! of parsed again. After an edit to one file of hundreds, parsing TOML is most of the load,
//! and every later stage waits for the load.
//!
//! Only files that parsed without a single diagnostic are kept, so a file decoded from the
//! cache never owes the user a warning. A cache that does not read back whole is ignored.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::{Dimension, LoadLimits};
use crate::diag::SourceFile;
use crate::sealed::{Cursor, seal, unseal};
use crate::tomlread::with_origin_file;

/// Starts a cache file and names what its bytes mean; changed whenever the model's encoding
/// changes.
const MAGIC: &[u8] = b"versus-parsed-knowledge-1\n";

/// The parsed dimension files of the last load, and those of this one as it goes.
pub struct ParseCache {
    /// Hashes into every key what else decides how a file parses: this binary.
    binary: [u8; 32],
    /// The cache file as read, and where each file's entry lies in it, by the file's path.
    bytes: Vec<u8>,
    held: HashMap<String, Held>,
    /// The entries for the next load: those used or parsed by this one.
    kept: Mutex<Vec<Kept>>,
}

/// A file's text, hashed with everything else that decides how it parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key([u8; 32]);

#[derive(Debug, Clone)]
struct Held {
    key: Key,
    /// The dimension, encoded by postcard, in [`ParseCache::bytes`].
    dimension: Range<usize>,
}

struct Kept {
    path: String,
    key: Key,
    dimension: Encoded,
}

impl Kept {
    /// The encoded dimension; `held` is the cache file it may lie in.
    fn encoded<'a>(&'a self, held: &'a [u8]) -> &'a [u8] {
        match &self.dimension {
            Encoded::Held(range) => &held[range.clone()],
            Encoded::Parsed(bytes) => bytes,
        }
    }
}

enum Encoded {
    /// Unchanged since the cache file was read: where it lies there.
    Held(Range<usize>),
    Parsed(Vec<u8>),
}

impl ParseCache {
    /// The cache in `kept`, the bytes an earlier load's [`ParseCache::into_bytes`] returned
    /// (none after `--clean`, or when they do not read back whole: every file is then parsed,
    /// and kept for the next load). `None` when this binary cannot be told from another (its
    /// file cannot be inspected), so that no cache is ever read by a binary that could parse
    /// differently.
    pub fn open(kept: Option<Vec<u8>>) -> Option<Self> {
        let binary = binary_identity()?;
        let (bytes, held) = kept.and_then(read_entries).unwrap_or_default();
        Some(Self {
            binary,
            bytes,
            held,
            kept: Mutex::new(Vec::new()),
        })
    }

    /// The key of a file's text as read with `limits`.
    pub fn key(&self, file: &SourceFile, limits: LoadLimits) -> Key {
        let mut hasher = Sha256::new();
        hasher.update(MAGIC);
        hasher.update(self.binary);
        for limit in [
            limits.max_file_bytes,
            limits.max_text_bytes as u64,
            limits.max_nesting as u64,
        ] {
            hasher.update(limit.to_le_bytes());
        }
        hasher.update(file.digest());
        Key(hasher.finalize().into())
    }

    /// The dimension kept for `file` under `key`, its places pointing into `file`.
    pub fn get(&self, key: Key, file: &Arc<SourceFile>) -> Option<Dimension> {
        let path = file.path.to_string_lossy().into_owned();
        let held = self.held.get(&path).filter(|held| held.key == key)?;
        let encoded = &self.bytes[held.dimension.clone()];
        let dimension = with_origin_file(file, || postcard::from_bytes(encoded).ok())?;
        self.keep(Kept {
            path,
            key,
            dimension: Encoded::Held(held.dimension.clone()),
        });
        Some(dimension)
    }

    /// Keeps a dimension that parsed without a diagnostic, for the next load.
    pub fn put(&self, key: Key, dimension: &Dimension) {
        if let Ok(encoded) = postcard::to_stdvec(dimension) {
            self.keep(Kept {
                path: dimension.origin.path().to_string_lossy().into_owned(),
                key,
                dimension: Encoded::Parsed(encoded),
            });
        }
    }

    fn keep(&self, kept: Kept) {
        self.kept
            .lock()
            .expect("no load panics while holding the lock")
            .push(kept);
    }

    /// This load's entries, to keep for the next; `None` when they are what was read.
    pub fn into_bytes(self) -> Option<Vec<u8>> {
        let mut kept = self
            .kept
            .into_inner()
            .expect("no load panics while holding the lock");
        let unchanged = kept.len() == self.held.len()
            && kept.iter().all(|k| matches!(k.dimension, Encoded::Held(_)));
        if unchanged {
            return None;
        }
        kept.sort_by(|a, b| a.path.cmp(&b.path));
        // Sized once: grown by doubling, a large knowledge base's cache would be copied a few
        // times over, into memory the process has not touched before.
        let size = kept.iter().fold(MAGIC.len() + 8 + 4, |size, entry| {
            size + 8 + entry.path.len() + entry.key.0.len() + 8 + entry.encoded(&self.bytes).len()
        });
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(kept.len() as u64).to_le_bytes());
        for entry in &kept {
            let dimension = entry.encoded(&self.bytes);
            out.extend_from_slice(&(entry.path.len() as u64).to_le_bytes());
            out.extend_from_slice(entry.path.as_bytes());
            out.extend_from_slice(&entry.key.0);
            out.extend_from_slice(&(dimension.len() as u64).to_le_bytes());
            out.extend_from_slice(dimension);
        }
        debug_assert_eq!(out.len() + 4, size, "the cache's size, with its checksum");
        Some(seal(out))
    }
}

/// A cache file that reads back whole, and its entries by path (ranges of `bytes`).
fn read_entries(bytes: Vec<u8>) -> Option<(Vec<u8>, HashMap<String, Held>)> {
    let mut cursor = Cursor::after(unseal(&bytes)?, MAGIC)?;
    let count = usize::try_from(cursor.u64()?).ok()?;
    let mut held = HashMap::with_capacity(count.min(1 << 20));
    for _ in 0..count {
        let path = cursor.take_u64_length()?;
        let path = std::str::from_utf8(&bytes[path]).ok()?.to_string();
        let key = Key(bytes[cursor.take(32)?].try_into().ok()?);
        let dimension = cursor.take_u64_length()?;
        held.insert(path, Held { key, dimension });
    }
    cursor.is_done().then_some((bytes, held))
}

/// This binary's version, size and modification time, which change with every build of it: a
/// build of versus whose model encodes (or whose pages render) differently must not take
/// another's cached work for its own.
pub fn binary_identity() -> Option<[u8; 32]> {
    let meta = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION"));
    hasher.update(meta.len().to_le_bytes());
    hasher.update(modified.as_nanos().to_le_bytes());
    Some(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::SiteConfig;
    use crate::knowledge::Knowledge;
    use crate::knowledge::load::{load, load_with_cache};

    /// A copy of the shipped site, to edit.
    fn shipped_copy() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(shipped.join("site.toml"), dir.path().join("site.toml")).expect("copy");
        let dimensions = dir.path().join("knowledge/dimensions");
        std::fs::create_dir_all(&dimensions).expect("mkdir");
        for entry in std::fs::read_dir(shipped.join("knowledge/dimensions")).expect("ls") {
            let path = entry.expect("entry").path();
            std::fs::copy(&path, dimensions.join(path.file_name().expect("name"))).expect("copy");
        }
        std::fs::copy(
            shipped.join("knowledge/subjects.toml"),
            dir.path().join("knowledge/subjects.toml"),
        )
        .expect("copy");
        dir
    }

    /// Loads `root` through the cache kept at `path`, as `build` does; returns the model and
    /// how many files were decoded from the cache rather than parsed.
    fn load_cached(root: &Path, path: &Path, limits: LoadLimits) -> (Knowledge, usize) {
        let (config, _) = SiteConfig::load_lenient(root);
        let config = config.expect("site.toml loads");
        let cache = ParseCache::open(std::fs::read(path).ok()).expect("a cache");
        let (knowledge, diags) = load_with_cache(root, &config, limits, Some(&cache));
        assert!(!diags.has_errors(), "{diags:?}");
        let decoded = cache
            .kept
            .lock()
            .expect("lock")
            .iter()
            .filter(|kept| matches!(kept.dimension, Encoded::Held(_)))
            .count();
        if let Some(bytes) = cache.into_bytes() {
            std::fs::write(path, bytes).expect("keep the cache");
        }
        (knowledge.expect("a model"), decoded)
    }

    /// Each dimension as the cache encodes it, with every place it cites as `file:line`.
    fn described(knowledge: &Knowledge) -> Vec<(Vec<u8>, Vec<String>)> {
        knowledge
            .dimensions
            .iter()
            .map(|d| {
                let mut places = vec![d.origin.short()];
                for fact in &d.facts {
                    places.push(fact.origin.short());
                    places.extend(fact.subjects.iter().map(|s| s.origin.short()));
                }
                for question in &d.questions {
                    places.push(question.origin.short());
                    for answer in &question.answers {
                        places.push(answer.origin.short());
                        places.extend(answer.because.iter().map(|b| b.origin.short()));
                    }
                }
                (postcard::to_stdvec(d).expect("encodes"), places)
            })
            .collect()
    }

    fn parsed(root: &Path) -> Knowledge {
        let (config, _) = SiteConfig::load_lenient(root);
        let (knowledge, _) = load(root, &config.expect("config"), LoadLimits::default());
        knowledge.expect("a model")
    }

    #[test]
    fn unchanged_files_are_decoded_into_the_model_a_parse_makes_and_edited_ones_parsed() {
        let site = shipped_copy();
        let root = site.path();
        let path = root.join("parsed.bin");
        let limits = LoadLimits::default();
        let (first, decoded) = load_cached(root, &path, limits);
        let count = first.dimensions.len();
        assert!(count > 3 && decoded == 0, "{decoded} decoded from no cache");
        let kept = std::fs::read(&path).expect("kept");
        std::fs::remove_file(&path).expect("remove");
        let cache = ParseCache::open(Some(kept.clone())).expect("a cache");
        let (config, _) = SiteConfig::load_lenient(root);
        load_with_cache(root, &config.expect("config"), limits, Some(&cache));
        assert!(
            cache.into_bytes().is_none(),
            "nothing to write when nothing changed"
        );
        std::fs::write(&path, kept).expect("write");
        let (second, decoded) = load_cached(root, &path, limits);
        assert_eq!(decoded, count, "every file comes from the cache");
        assert_eq!(described(&second), described(&parsed(root)));
        assert!(
            second.dimensions[0].facts[0].origin.file.text.len() > 100,
            "a decoded place points into its file"
        );

        let edited = root.join("knowledge/dimensions/pricing.toml");
        let text = std::fs::read_to_string(&edited).expect("read");
        std::fs::write(
            &edited,
            text.replacen("statement = \"", "statement = \"Edited. ", 1),
        )
        .expect("write");
        let (third, decoded) = load_cached(root, &path, limits);
        assert_eq!(decoded, count - 1, "only the edited file is parsed");
        assert!(
            third
                .dimensions
                .iter()
                .flat_map(|d| &d.facts)
                .any(|f| f.statement.starts_with("Edited. "))
        );
        assert_eq!(described(&third), described(&parsed(root)));

        let stricter = LoadLimits {
            max_nesting: limits.max_nesting - 1,
            ..limits
        };
        assert_eq!(
            load_cached(root, &path, stricter).1,
            0,
            "other limits, other keys"
        );
    }

    #[test]
    fn a_damaged_cache_is_not_read() {
        let site = shipped_copy();
        let root = site.path();
        let path = root.join("parsed.bin");
        let limits = LoadLimits::default();
        load_cached(root, &path, limits);
        let whole = std::fs::read(&path).expect("read");
        let mut flipped = whole.clone();
        flipped[whole.len() / 2] ^= 1;
        for damaged in [&flipped[..], &whole[..whole.len() - 1], &[][..]] {
            std::fs::write(&path, damaged).expect("write");
            let (knowledge, decoded) = load_cached(root, &path, limits);
            assert_eq!(decoded, 0);
            assert_eq!(described(&knowledge), described(&parsed(root)));
            assert_eq!(std::fs::read(&path).expect("read"), whole, "written again");
        }
    }

    #[test]
    fn an_origin_decodes_only_with_its_file_and_within_it() {
        let site = shipped_copy();
        let (knowledge, _) = load_cached(
            site.path(),
            &site.path().join("parsed.bin"),
            LoadLimits::default(),
        );
        let dimension = &knowledge.dimensions[0];
        let bytes = postcard::to_stdvec(dimension).expect("encodes");
        assert!(
            postcard::from_bytes::<Dimension>(&bytes).is_err(),
            "no file"
        );
        let short = Arc::new(SourceFile::new(dimension.origin.path().into(), "x"));
        let decoded = with_origin_file(&short, || postcard::from_bytes::<Dimension>(&bytes));
        assert!(decoded.is_err(), "places past the end of the file");
    }
}
