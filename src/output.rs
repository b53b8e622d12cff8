//! Where built files go: a staging folder on disk swapped in atomically, or memory (for the
//! dev server). A failed or killed build never touches the previous output.

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use thiserror::Error;

use crate::incremental::Manifest;

/// A failure to write the output, naming the file or folder involved.
#[derive(Debug, Error)]
pub enum OutputError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("output path {0} exists and is not a folder")]
    NotAFolder(PathBuf),
    #[error("refusing to write outside the output folder: {0}")]
    Escapes(String),
}

fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> OutputError + 'a {
    move |source| OutputError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Receives the built files; shared across the threads that render pages.
pub enum Sink {
    Disk(DiskSink),
    Memory(MemorySink),
    /// Renders without keeping anything: `versus check` runs every build step this way.
    Discard,
}

impl Sink {
    /// Writes one file; `path` is relative to the output root, with `/` separators.
    pub fn write(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError> {
        check_relative(path)?;
        match self {
            Sink::Disk(disk) => {
                let started = std::time::Instant::now();
                let written = disk.write(path, bytes);
                disk.write_nanos
                    .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
                written
            }
            Sink::Memory(memory) => {
                memory
                    .files
                    .lock()
                    .expect("no writer panics while holding the lock")
                    .insert(path.to_string(), bytes.to_vec());
                Ok(())
            }
            Sink::Discard => Ok(()),
        }
    }
}

impl Sink {
    /// Counts a file the target already holds with the right content (a content-addressed
    /// index chunk, say) as part of this build's output, without writing it again.
    pub fn keep(&self, path: &str) {
        match self {
            Sink::Disk(disk) => push(&disk.kept, path),
            Sink::Memory(memory) => push(&memory.kept, path),
            Sink::Discard => {}
        }
    }

    /// The file the target holds at `path` before this build writes it over: the old file a
    /// whole-site file's unchanged parts are copied from. Only an updated folder has any.
    pub fn previous(&self, path: &str) -> Option<std::fs::File> {
        match self {
            Sink::Disk(disk) if disk.updating && check_relative(path).is_ok() => {
                std::fs::File::open(disk.target.join(path)).ok()
            }
            _ => None,
        }
    }

    /// True when compressed copies of large files are worth making: a static host serves them
    /// as they are, while the dev server compresses its responses itself and `check` keeps
    /// nothing.
    pub fn wants_precompressed(&self) -> bool {
        matches!(self, Sink::Disk(_))
    }
}

/// Writes one file so that readers see either its old content or the complete new one: the
/// bytes go to a hidden file beside it, which is then renamed over it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let temporary = parent_of(path).join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes).map_err(io_error("write", &temporary))?;
    std::fs::rename(&temporary, path).map_err(|err| {
        let _ = std::fs::remove_file(&temporary);
        io_error("replace", path)(err)
    })
}

impl Sink {
    /// Writes one file from a writer, for documents too large to hold whole in memory.
    pub fn write_with(
        &self,
        path: &str,
        fill: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
    ) -> Result<(), OutputError> {
        check_relative(path)?;
        match self {
            Sink::Disk(disk) => {
                let started = std::time::Instant::now();
                let written = disk.write_with(path, fill);
                disk.write_nanos
                    .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
                written
            }
            Sink::Memory(_) => {
                let mut bytes = Vec::new();
                fill(&mut bytes).map_err(io_error("write", Path::new(path)))?;
                self.write(path, &bytes)
            }
            Sink::Discard => fill(&mut io::sink()).map_err(io_error("write", Path::new(path))),
        }
    }
}

/// Output paths come from slugs, but a bug must never write outside the output folder.
fn check_relative(path: &str) -> Result<(), OutputError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        Err(OutputError::Escapes(path.to_string()))
    } else {
        Ok(())
    }
}

/// Built files kept in memory, by path.
#[derive(Default)]
pub struct MemorySink {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
    /// Files the caller already holds and this build kept ([`Sink::keep`]).
    kept: Mutex<Vec<String>>,
}

impl MemorySink {
    pub fn into_files(self) -> BTreeMap<String, Vec<u8>> {
        self.into_parts().0
    }

    /// The files written, and the paths of the files kept from what the caller holds.
    pub fn into_parts(self) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
        let files = self
            .files
            .into_inner()
            .expect("no writer panics while holding the lock");
        let kept = self
            .kept
            .into_inner()
            .expect("no writer panics while holding the lock");
        (files, kept)
    }
}

/// Writes into a folder beside the output, then swaps it in on [`DiskSink::commit`].
///
/// The folder is either a fresh, empty staging folder (a full build) or the cache's copy of
/// the output from the build before last, which the build brings up to date by rewriting
/// only what changed since (an incremental build). After the swap the old output becomes that
/// copy: `.<output>.cache/tree`, described by a manifest kept beside it.
pub struct DiskSink {
    target: PathBuf,
    output: PathBuf,
    /// True when `target` is the cache's copy of an older output rather than a fresh folder.
    updating: bool,
    committed: bool,
    /// Every file written, relative to the output root, for the manifest.
    written: Mutex<Vec<String>>,
    /// Files the folder already held and this build kept ([`Sink::keep`]).
    kept: Mutex<Vec<String>>,
    /// Time spent writing files, summed over every thread: what the disk costs a build.
    write_nanos: AtomicU64,
    /// The folders made so far in a fresh folder, where a file's folder is made before the
    /// file rather than after opening it failed: a failed open costs the kernel a path walk,
    /// once for each of the 10,000 fact pages of a 10,000-fact site.
    made_folders: Mutex<HashSet<PathBuf>>,
    /// Opens that failed for want of a folder.
    #[cfg(test)]
    missing_folders: AtomicU64,
}

impl DiskSink {
    /// Prepares the folder a build writes into. With `reuse`, and when the cache holds a copy of
    /// an older output together with its manifest, that copy is updated and its manifest is
    /// returned (the manifest is removed first, so that an interrupted update is never trusted);
    /// otherwise a fresh staging folder is created next to `output` (same file system, so the
    /// swap is a rename). Staging folders of killed builds are removed.
    pub fn begin(output: &Path, reuse: bool) -> Result<(Self, Option<Manifest>), OutputError> {
        if output.exists() && !output.is_dir() {
            return Err(OutputError::NotAFolder(output.to_path_buf()));
        }
        let parent = parent_of(output);
        std::fs::create_dir_all(&parent).map_err(io_error("create folder", &parent))?;
        remove_stale_staging(output);
        let sink = |target: PathBuf, updating: bool| Self {
            target,
            output: output.to_path_buf(),
            updating,
            committed: false,
            written: Mutex::new(Vec::new()),
            kept: Mutex::new(Vec::new()),
            write_nanos: AtomicU64::new(0),
            made_folders: Mutex::new(HashSet::new()),
            #[cfg(test)]
            missing_folders: AtomicU64::new(0),
        };
        let cache = cache_dir(output);
        let spare = cache.join(CACHE_TREE);
        if reuse && let Some(manifest_path) = manifest_path(&cache, &spare) {
            let manifest = std::fs::read(&manifest_path)
                .ok()
                .and_then(|bytes| Manifest::parse(&bytes));
            if let Some(manifest) = manifest {
                std::fs::remove_file(&manifest_path).map_err(io_error("remove", &manifest_path))?;
                return Ok((sink(spare, true), Some(manifest)));
            }
        }
        let staging = sibling(output, &format!("staging-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io_error("remove", &staging))?;
        }
        std::fs::create_dir(&staging).map_err(io_error("create folder", &staging))?;
        Ok((sink(staging, false), None))
    }

    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError> {
        use std::io::Write as _;
        let target = self.target.join(path);
        let dir = target.parent().expect("a joined path has a parent");
        if !self.updating {
            self.make_folder(dir)?;
        }
        let mut file = match self.open(&target) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                #[cfg(test)]
                self.missing_folders.fetch_add(1, Ordering::Relaxed);
                std::fs::create_dir_all(dir).map_err(io_error("create folder", dir))?;
                self.open(&target).map_err(io_error("write", &target))?
            }
            Err(err) => return Err(io_error("write", &target)(err)),
        };
        file.write_all(bytes)
            .and_then(|()| self.cut(&file, bytes.len() as u64))
            .map_err(io_error("write", &target))?;
        self.record(path);
        Ok(())
    }

    fn write_with(
        &self,
        path: &str,
        fill: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
    ) -> Result<(), OutputError> {
        use std::io::{Seek as _, Write as _};
        let target = self.target.join(path);
        let dir = target.parent().expect("a joined path has a parent");
        std::fs::create_dir_all(dir).map_err(io_error("create folder", dir))?;
        let file = self.open(&target).map_err(io_error("write", &target))?;
        let mut writer = io::BufWriter::with_capacity(1 << 20, file);
        fill(&mut writer)
            .and_then(|()| writer.flush())
            .and_then(|()| {
                let file = writer.get_mut();
                let length = file.stream_position()?;
                self.cut(file, length)
            })
            .map_err(io_error("write", &target))?;
        self.record(path);
        Ok(())
    }

    /// Makes `dir` (and its parents) unless this build made it already.
    fn make_folder(&self, dir: &Path) -> Result<(), OutputError> {
        let folders = || {
            self.made_folders
                .lock()
                .expect("no writer panics while holding the lock")
        };
        if dir == self.target || folders().contains(dir) {
            return Ok(());
        }
        // Made outside the lock: two threads making the same folder both succeed.
        std::fs::create_dir_all(dir).map_err(io_error("create folder", dir))?;
        folders().insert(dir.to_path_buf());
        Ok(())
    }

    /// Opens a file to write from its start. A fresh folder's files are new; an updated
    /// folder's are written over in place and cut to length afterwards ([`DiskSink::cut`]):
    /// emptying a file first frees its blocks and cached pages only to take new ones, which
    /// made rewriting the large whole-site files of an edit eight times slower.
    fn open(&self, path: &Path) -> io::Result<std::fs::File> {
        if self.updating {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
        } else {
            std::fs::File::create(path)
        }
    }

    /// Drops what an older, longer version of a file rewritten in place left after `length`.
    fn cut(&self, file: &std::fs::File, length: u64) -> io::Result<()> {
        if self.updating {
            file.set_len(length)?;
        }
        Ok(())
    }

    fn record(&self, path: &str) {
        push(&self.written, path);
    }

    /// Time spent writing files so far, summed over threads.
    pub fn write_time(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.write_nanos.load(Ordering::Relaxed))
    }

    /// The files written so far, relative to the output root; taken, for the manifest.
    pub fn take_written(&self) -> Vec<String> {
        take(&self.written)
    }

    /// The files kept so far rather than written ([`Sink::keep`]); taken, for the manifest.
    pub fn take_kept(&self) -> Vec<String> {
        take(&self.kept)
    }

    /// Finishes the folder (removes `stale` files, records `manifest` as what it holds), swaps
    /// it in place of the output and keeps the old output as the cache's copy when its
    /// manifest says what it holds. Returns a folder left for the caller to remove, if any:
    /// on some disks deleting thousands of files takes longer than the build (see
    /// [`remove_previous`]).
    pub fn commit(
        mut self,
        manifest: &Manifest,
        stale: &[String],
    ) -> Result<Option<PathBuf>, OutputError> {
        for path in stale {
            remove_with_empty_parents(&self.target, path)?;
        }
        let cache = cache_dir(&self.output);
        std::fs::create_dir_all(&cache).map_err(io_error("create folder", &cache))?;
        let spare = cache.join(CACHE_TREE);
        // Written before the swap, so that the output and its manifest appear together.
        if let Some(path) = manifest_path(&cache, &self.target) {
            write_atomically(&path, &manifest.to_bytes())?;
        }
        let previous = sibling(&self.output, &format!("previous-{}", std::process::id()));
        if !self.output.exists() {
            std::fs::rename(&self.target, &self.output)
                .map_err(io_error("move output into", &self.output))?;
        } else if exchange(&self.target, &self.output).is_ok() {
            if !self.updating {
                std::fs::rename(&self.target, &previous)
                    .map_err(io_error("rename", &self.target))?;
            }
        } else {
            // No atomic exchange here (not Linux, or a file system without it): two renames,
            // which leave the old output under `previous` if the second one fails.
            std::fs::rename(&self.output, &previous)
                .map_err(io_error("move aside", &self.output))?;
            if let Err(err) = std::fs::rename(&self.target, &self.output) {
                let _ = std::fs::rename(&previous, &self.output);
                return Err(io_error("move output into", &self.output)(err));
            }
            if self.updating {
                std::fs::rename(&previous, &spare).map_err(io_error("rename", &previous))?;
            }
        }
        self.committed = true;
        let mut leftover = None;
        if !self.updating && previous.exists() {
            let described = manifest_path(&cache, &previous).is_some_and(|path| path.exists());
            if described {
                // The old output becomes the cache's copy; an older copy goes, through the
                // staging name, which the swap has freed.
                if spare.exists() {
                    std::fs::rename(&spare, &self.target).map_err(io_error("rename", &spare))?;
                }
                std::fs::rename(&previous, &spare).map_err(io_error("rename", &previous))?;
                if self.target.exists() {
                    std::fs::rename(&self.target, &previous)
                        .map_err(io_error("rename", &self.target))?;
                    leftover = Some(previous);
                }
            } else {
                leftover = Some(previous);
            }
        }
        remove_stray_manifests(&cache, &[&self.output, &spare]);
        Ok(leftover)
    }
}

/// Adds a path to a list that writer threads share.
fn push(list: &Mutex<Vec<String>>, path: &str) {
    list.lock()
        .expect("no writer panics while holding the lock")
        .push(path.to_string());
}

/// Empties a list that writer threads share.
fn take(list: &Mutex<Vec<String>>) -> Vec<String> {
    std::mem::take(
        &mut *list
            .lock()
            .expect("no writer panics while holding the lock"),
    )
}

/// The cache beside the output: `.<name>.cache`, holding an older copy of the output and the
/// manifests that say what each folder holds.
pub fn cache_dir(output: &Path) -> PathBuf {
    sibling(output, "cache")
}

/// Parts of a build kept between builds under a key that hashes everything they are made from
/// (the search index's groups of documents): a folder in the cache beside a disk output, memory
/// for the dev server, nothing otherwise. A blob in a folder ends with a CRC-32 of its content,
/// so one cut short by a killed build is never used.
#[derive(Debug, Default)]
pub struct Blobs {
    store: BlobStore,
    /// False for `--clean`: blobs are saved for the next build but none is used.
    read: bool,
    used: Mutex<Vec<String>>,
}

#[derive(Debug, Default)]
enum BlobStore {
    #[default]
    Nowhere,
    Folder(PathBuf),
    Memory(Mutex<BTreeMap<String, Vec<u8>>>),
}

impl Blobs {
    /// The blobs kept in `folder` (created when needed); `read` false saves without using.
    pub fn in_folder(folder: PathBuf, read: bool) -> Self {
        Self {
            store: BlobStore::Folder(folder),
            read,
            used: Mutex::new(Vec::new()),
        }
    }

    /// Blobs kept in memory, for as long as the caller keeps this.
    pub fn in_memory() -> Self {
        Self {
            store: BlobStore::Memory(Mutex::new(BTreeMap::new())),
            read: true,
            used: Mutex::new(Vec::new()),
        }
    }

    /// The blob saved under `key`, when there is one and it is whole.
    pub fn load(&self, key: &str) -> Option<Vec<u8>> {
        if !self.read {
            return None;
        }
        let bytes = match &self.store {
            BlobStore::Nowhere => return None,
            BlobStore::Memory(blobs) => blobs
                .lock()
                .expect("no build panics while holding the lock")
                .get(key)?
                .clone(),
            BlobStore::Folder(folder) => {
                let mut bytes = std::fs::read(folder.join(key)).ok()?;
                let length = crate::sealed::unseal(&bytes)?.len();
                bytes.truncate(length);
                bytes
            }
        };
        push(&self.used, key);
        Some(bytes)
    }

    /// Saves `bytes` under `key`; failing to save only costs the next build time.
    pub fn save(&self, key: &str, bytes: &[u8]) {
        let saved = match &self.store {
            BlobStore::Nowhere => false,
            BlobStore::Memory(blobs) => {
                blobs
                    .lock()
                    .expect("no build panics while holding the lock")
                    .insert(key.to_string(), bytes.to_vec());
                true
            }
            BlobStore::Folder(folder) => {
                let mut blob = Vec::with_capacity(bytes.len() + 4);
                blob.extend_from_slice(bytes);
                let blob = crate::sealed::seal(blob);
                std::fs::create_dir_all(folder).is_ok()
                    && write_atomically(&folder.join(key), &blob).is_ok()
            }
        };
        if saved {
            push(&self.used, key);
        }
    }

    /// Removes the blobs this build neither used nor saved.
    pub fn remove_unused(&self) {
        let used = take(&self.used);
        match &self.store {
            BlobStore::Nowhere => {}
            BlobStore::Memory(blobs) => blobs
                .lock()
                .expect("no build panics while holding the lock")
                .retain(|key, _| used.contains(key)),
            BlobStore::Folder(folder) => {
                let Ok(entries) = std::fs::read_dir(folder) else {
                    return;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if !used.contains(&name) {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
        }
    }
}

/// The cache's copy of an older output, inside [`cache_dir`].
const CACHE_TREE: &str = "tree";

/// Where the manifest of a folder is kept: named after the folder's identity (device, inode
/// and creation time), which follows the folder through renames and swaps, so a manifest
/// always describes the folder it was written for. `None` where folders have no creation
/// time: builds are then always full.
fn manifest_path(cache: &Path, folder: &Path) -> Option<PathBuf> {
    folder_identity(folder).map(|id| cache.join(format!("manifest-{id}.bin")))
}

#[cfg(unix)]
fn folder_identity(folder: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(folder).ok()?;
    if !meta.is_dir() {
        return None;
    }
    let born = meta
        .created()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{}-{}-{}", meta.dev(), meta.ino(), born.as_nanos()))
}

#[cfg(not(unix))]
fn folder_identity(_folder: &Path) -> Option<String> {
    None
}

/// Removes the manifests of folders that no longer exist.
fn remove_stray_manifests(cache: &Path, folders: &[&Path]) {
    let keep: Vec<PathBuf> = folders
        .iter()
        .filter_map(|folder| manifest_path(cache, folder))
        .collect();
    let Ok(entries) = std::fs::read_dir(cache) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("manifest-") && !keep.contains(&path) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Removes a file of an output folder, and its folders when that leaves them empty.
fn remove_with_empty_parents(root: &Path, path: &str) -> Result<(), OutputError> {
    check_relative(path)?;
    let file = root.join(path);
    match std::fs::remove_file(&file) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(io_error("remove", &file)(err)),
    }
    let mut dir = file.parent();
    while let Some(folder) = dir {
        if folder == root || std::fs::remove_dir(folder).is_err() {
            break;
        }
        dir = folder.parent();
    }
    Ok(())
}

/// True for the folders [`DiskSink::commit`] leaves behind, so that nothing else is removed by
/// mistake.
pub fn is_previous_output(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.starts_with('.')
        && name
            .rsplit_once(".previous-")
            .is_some_and(|(_, pid)| !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()))
}

/// Removes a previous output left by [`DiskSink::commit`]. The folder is first renamed after
/// this process, so that a build starting meanwhile sees it in live hands and leaves it alone
/// rather than deleting it again, on its own time.
pub fn remove_previous(path: &Path) -> Result<(), OutputError> {
    if !is_previous_output(path) {
        return Err(OutputError::Escapes(path.display().to_string()));
    }
    let claimed = claim_previous(path);
    std::fs::remove_dir_all(&claimed).map_err(io_error("remove old output", &claimed))
}

/// Renames `.<name>.previous-<pid>` after this process; the path to remove.
fn claim_previous(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((stem, _)) = name.rsplit_once(".previous-") else {
        return path.to_path_buf();
    };
    let claimed = parent_of(path).join(format!("{stem}.previous-{}", std::process::id()));
    if claimed == path || std::fs::rename(path, &claimed).is_ok() {
        claimed
    } else {
        path.to_path_buf()
    }
}

impl Drop for DiskSink {
    fn drop(&mut self) {
        // A half-updated cache copy stays: without its manifest, the next build replaces it.
        if !self.committed && !self.updating {
            let _ = std::fs::remove_dir_all(&self.target);
        }
    }
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `<parent>/.<name>.<suffix>`: hidden, beside the output, on the same file system.
fn sibling(output: &Path, suffix: &str) -> PathBuf {
    let name = output
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    parent_of(output).join(format!(".{name}.{suffix}"))
}

/// Removes staging and previous-output folders whose build process is gone.
fn remove_stale_staging(output: &Path) {
    let name = output
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(parent_of(output)) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file_name.strip_prefix(&prefix) else {
            continue;
        };
        let pid = rest
            .strip_prefix("staging-")
            .or_else(|| rest.strip_prefix("previous-"));
        if let Some(pid) = pid.and_then(|p| p.parse::<u32>().ok())
            && !process_alive(pid)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    // SAFETY: kill with signal 0 only checks whether the process exists.
    let result = unsafe { libc::kill(pid as libc::pid_t, 0) };
    result == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    // No way to tell here: leave every folder to its owner.
    true
}

/// Atomically exchanges two folders (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings; the call only renames.
    let result = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no atomic exchange on this platform",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_previous_output_being_removed_is_left_to_its_remover() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = dir.path().join("public");
        // Left by a build that has exited (no process has this id).
        let left = dir
            .path()
            .join(format!(".public.previous-{}", u32::MAX - 1));
        std::fs::create_dir_all(left.join("facts")).expect("mkdir");
        let claimed = claim_previous(&left);
        assert!(!left.exists() && claimed.join("facts").exists());
        remove_stale_staging(&output);
        assert!(
            claimed.exists(),
            "a build leaves a folder a live remover holds"
        );
        remove_previous(&claimed).expect("removes");
        assert!(!claimed.exists());
    }

    #[test]
    fn removes_only_previous_outputs() {
        assert!(is_previous_output(Path::new("/site/.public.previous-1234")));
        for path in [
            "/site/public",
            "/site/.public.staging-12",
            "/etc",
            "/site/.public.previous-",
            "/site/x.previous-12",
        ] {
            assert!(!is_previous_output(Path::new(path)), "{path}");
            assert!(remove_previous(Path::new(path)).is_err(), "{path}");
        }
    }

    #[test]
    fn refuses_paths_outside_the_output() {
        for path in ["../x", "/etc/passwd", "a/../../b", "a\\b", "", "a//b"] {
            assert!(check_relative(path).is_err(), "{path}");
        }
        assert!(check_relative("facts/a/b/index.html").is_ok());
    }

    #[test]
    fn a_fresh_output_makes_each_folder_before_its_first_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = dir.path().join("public");
        let (disk, _) = DiskSink::begin(&output, false).expect("begin");
        let paths = [
            "index.html",
            "facts/a/b/index.html",
            "facts/a/c/index.html",
            "x/y.json",
        ];
        for path in paths {
            disk.write(path, path.as_bytes()).expect("write");
        }
        assert_eq!(disk.missing_folders.load(Ordering::Relaxed), 0);
        for path in paths {
            let written = std::fs::read(disk.target.join(path)).expect("read");
            assert_eq!(written, path.as_bytes());
        }
    }

    #[test]
    fn swaps_in_new_output_and_removes_the_old() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = dir.path().join("public");
        std::fs::create_dir(&output).expect("mkdir");
        std::fs::write(output.join("old.html"), "old").expect("write");
        let (disk, held) = DiskSink::begin(&output, true).expect("begin");
        assert!(held.is_none());
        let sink = Sink::Disk(disk);
        sink.write("a/index.html", b"new").expect("write");
        let Sink::Disk(disk) = sink else {
            unreachable!()
        };
        let previous = disk
            .commit(&Manifest::default(), &[])
            .expect("commit")
            .expect("an output without a manifest is not kept");
        assert!(is_previous_output(&previous));
        remove_previous(&previous).expect("remove");
        assert_eq!(
            std::fs::read_to_string(output.join("a/index.html")).expect("read"),
            "new"
        );
        assert!(!output.join("old.html").exists());
        let mut leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        leftovers.sort();
        assert_eq!(leftovers, [".public.cache", "public"]);
    }

    /// Builds through a sink: `files` written, `stale` removed; returns what `begin` found.
    fn build_once(
        output: &Path,
        files: &[&str],
        stale: &[&str],
    ) -> (Option<Manifest>, Option<PathBuf>) {
        let (disk, held) = DiskSink::begin(output, true).expect("begin");
        let sink = Sink::Disk(disk);
        for file in files {
            sink.write(file, file.as_bytes()).expect("write");
        }
        let Sink::Disk(disk) = sink else {
            unreachable!()
        };
        let plan = crate::incremental::Plan::new(
            crate::incremental::Fingerprints::of_scopes(&[("site", "1")]),
            held.clone(),
        );
        let outcome = plan.finish(disk.take_written(), BTreeMap::new());
        let stale: Vec<String> = stale.iter().map(|s| s.to_string()).collect();
        let leftover = disk.commit(&outcome.manifest, &stale).expect("commit");
        (held, leftover)
    }

    #[test]
    fn the_old_output_becomes_the_cache_copy_that_the_next_build_updates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = dir.path().join("public");
        let (held, leftover) = build_once(&output, &["a.html", "b/c.html"], &[]);
        assert!(held.is_none() && leftover.is_none());
        let (held, leftover) = build_once(&output, &["a.html", "b/c.html"], &[]);
        assert!(held.is_none() && leftover.is_none(), "first output kept");
        let spare = cache_dir(&output).join(CACHE_TREE);
        assert!(spare.join("b/c.html").exists());
        // The third build updates the first output in place and swaps it in.
        let (held, leftover) = build_once(&output, &["a.html"], &["b/c.html"]);
        assert!(held.is_some() && leftover.is_none());
        assert!(output.join("a.html").exists() && !output.join("b").exists());
        assert!(
            spare.join("b/c.html").exists(),
            "the second output is the copy"
        );
        let manifests = std::fs::read_dir(cache_dir(&output))
            .expect("ls")
            .filter(|e| {
                let name = e.as_ref().expect("entry").file_name();
                name.to_string_lossy().starts_with("manifest-")
            })
            .count();
        assert_eq!(manifests, 2, "one manifest per folder");
    }

    #[test]
    fn files_rewritten_in_an_updated_copy_hold_exactly_their_new_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = dir.path().join("public");
        let long = "a longer first version of the file\n".repeat(100);
        let files = ["whole.json", "streamed.html", "grows.txt"];
        for _ in 0..2 {
            let (disk, held) = DiskSink::begin(&output, true).expect("begin");
            let sink = Sink::Disk(disk);
            for file in files {
                let first = if file == "grows.txt" { "short" } else { &long };
                sink.write(file, first.as_bytes()).expect("write");
            }
            finish(sink, held);
        }
        let (disk, held) = DiskSink::begin(&output, true).expect("begin");
        assert!(held.is_some(), "the third build updates the first output");
        let sink = Sink::Disk(disk);
        sink.write("whole.json", b"short").expect("write");
        sink.write_with("streamed.html", |out| out.write_all(b"streamed"))
            .expect("write");
        sink.write("grows.txt", long.as_bytes()).expect("write");
        finish(sink, held);
        let read = |file: &str| std::fs::read_to_string(output.join(file)).expect("read");
        assert_eq!(read("whole.json"), "short");
        assert_eq!(read("streamed.html"), "streamed");
        assert_eq!(read("grows.txt"), long);
    }

    /// Commits a sink's files as the whole output.
    fn finish(sink: Sink, held: Option<Manifest>) {
        let Sink::Disk(disk) = sink else {
            unreachable!()
        };
        let plan = crate::incremental::Plan::new(
            crate::incremental::Fingerprints::of_scopes(&[("site", "1")]),
            held,
        );
        let outcome = plan.finish(disk.take_written(), BTreeMap::new());
        disk.commit(&outcome.manifest, &[]).expect("commit");
    }

    #[test]
    fn kept_blobs_are_used_only_whole_and_only_when_asked_and_unused_ones_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = dir.path().join("blobs");
        let blobs = Blobs::in_folder(folder.clone(), true);
        blobs.save("a", b"first");
        blobs.save("b", b"second");
        blobs.remove_unused();
        let blobs = Blobs::in_folder(folder.clone(), true);
        assert_eq!(blobs.load("a").as_deref(), Some(&b"first"[..]));
        let b = folder.join("b");
        let whole = std::fs::read(&b).expect("read");
        std::fs::write(&b, &whole[..whole.len() - 1]).expect("cut short");
        assert_eq!(blobs.load("b"), None, "a blob cut short is not used");
        assert_eq!(blobs.load("missing"), None);
        blobs.remove_unused();
        assert!(
            folder.join("a").exists() && !b.exists(),
            "only the used blob is kept"
        );
        let clean = Blobs::in_folder(folder.clone(), false);
        assert_eq!(clean.load("a"), None, "--clean uses no kept blob");
        let memory = Blobs::in_memory();
        memory.save("a", b"first");
        assert_eq!(memory.load("a").as_deref(), Some(&b"first"[..]));
    }

    #[test]
    fn atomic_write_replaces_a_file_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.md");
        std::fs::write(&path, "old").expect("write");
        write_atomically(&path, b"new").expect("atomic write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
        let missing = dir.path().join("no/such/folder/out.md");
        let err = write_atomically(&missing, b"x").expect_err("no folder");
        assert!(err.to_string().contains("out.md"), "{err}");
    }

    #[test]
    fn dropping_an_uncommitted_sink_keeps_the_previous_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = dir.path().join("public");
        std::fs::create_dir(&output).expect("mkdir");
        std::fs::write(output.join("old.html"), "old").expect("write");
        let (sink, _) = DiskSink::begin(&output, true).expect("begin");
        drop(sink);
        assert_eq!(
            std::fs::read_to_string(output.join("old.html")).expect("read"),
            "old"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }
}
