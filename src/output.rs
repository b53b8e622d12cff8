//! Where built files go: a staging folder on disk swapped in atomically, or memory (for the
//! dev server). A failed or killed build never touches the previous output.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use thiserror::Error;

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
}

impl MemorySink {
    pub fn into_files(self) -> BTreeMap<String, Vec<u8>> {
        self.files
            .into_inner()
            .expect("no writer panics while holding the lock")
    }
}

/// Writes into a staging folder beside the output, then swaps it in on [`DiskSink::commit`].
pub struct DiskSink {
    staging: PathBuf,
    output: PathBuf,
    committed: bool,
    /// Time spent writing files, summed over every thread: what the disk costs a build.
    write_nanos: AtomicU64,
}

impl DiskSink {
    /// Creates an empty staging folder next to `output` (same file system, so the swap is a
    /// rename), removing staging folders that killed builds left behind.
    pub fn begin(output: &Path) -> Result<Self, OutputError> {
        if output.exists() && !output.is_dir() {
            return Err(OutputError::NotAFolder(output.to_path_buf()));
        }
        let parent = parent_of(output);
        std::fs::create_dir_all(&parent).map_err(io_error("create folder", &parent))?;
        remove_stale_staging(output);
        let staging = sibling(output, &format!("staging-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io_error("remove", &staging))?;
        }
        std::fs::create_dir(&staging).map_err(io_error("create folder", &staging))?;
        Ok(Self {
            staging,
            output: output.to_path_buf(),
            committed: false,
            write_nanos: AtomicU64::new(0),
        })
    }

    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let target = self.staging.join(path);
        match std::fs::write(&target, bytes) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                let dir = target.parent().expect("a joined path has a parent");
                std::fs::create_dir_all(dir).map_err(io_error("create folder", dir))?;
                std::fs::write(&target, bytes).map_err(io_error("write", &target))
            }
            Err(err) => Err(io_error("write", &target)(err)),
        }
    }

    fn write_with(
        &self,
        path: &str,
        fill: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
    ) -> Result<(), OutputError> {
        use std::io::Write as _;
        let target = self.staging.join(path);
        let dir = target.parent().expect("a joined path has a parent");
        std::fs::create_dir_all(dir).map_err(io_error("create folder", dir))?;
        let file = std::fs::File::create(&target).map_err(io_error("write", &target))?;
        let mut writer = io::BufWriter::with_capacity(1 << 20, file);
        fill(&mut writer)
            .and_then(|()| writer.flush())
            .map_err(io_error("write", &target))
    }

    /// Time spent writing files so far, summed over threads.
    pub fn write_time(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.write_nanos.load(Ordering::Relaxed))
    }

    /// The staging folder, for stages that write through their own library (the index).
    pub fn staging_path(&self) -> &Path {
        &self.staging
    }

    /// Swaps the staging folder in place of the output and removes the old output.
    /// Returns the folder now holding the previous output, if there was one: removing it is
    /// left to the caller, since on some disks deleting thousands of files takes longer than
    /// the build (see [`remove_previous`]).
    pub fn commit(mut self) -> Result<Option<PathBuf>, OutputError> {
        let previous = sibling(&self.output, &format!("previous-{}", std::process::id()));
        if !self.output.exists() {
            std::fs::rename(&self.staging, &self.output)
                .map_err(io_error("move output into", &self.output))?;
        } else if exchange(&self.staging, &self.output).is_ok() {
            std::fs::rename(&self.staging, &previous).map_err(io_error("rename", &self.staging))?;
        } else {
            // No atomic exchange here (not Linux, or a file system without it): two renames,
            // which leave the old output under `previous` if the second one fails.
            std::fs::rename(&self.output, &previous)
                .map_err(io_error("move aside", &self.output))?;
            if let Err(err) = std::fs::rename(&self.staging, &self.output) {
                let _ = std::fs::rename(&previous, &self.output);
                return Err(io_error("move output into", &self.output)(err));
            }
        }
        self.committed = true;
        Ok(previous.exists().then_some(previous))
    }
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

/// Removes a previous output left by [`DiskSink::commit`].
pub fn remove_previous(path: &Path) -> Result<(), OutputError> {
    if !is_previous_output(path) {
        return Err(OutputError::Escapes(path.display().to_string()));
    }
    std::fs::remove_dir_all(path).map_err(io_error("remove old output", path))
}

impl Drop for DiskSink {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
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
        return false;
    }
    // SAFETY: kill with signal 0 only checks whether the process exists.
    let result = unsafe { libc::kill(pid as libc::pid_t, 0) };
    result == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(pid: u32) -> bool {
    pid != std::process::id()
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
    fn swaps_in_new_output_and_removes_the_old() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = dir.path().join("public");
        std::fs::create_dir(&output).expect("mkdir");
        std::fs::write(output.join("old.html"), "old").expect("write");
        let sink = Sink::Disk(DiskSink::begin(&output).expect("begin"));
        sink.write("a/index.html", b"new").expect("write");
        let Sink::Disk(disk) = sink else {
            unreachable!()
        };
        let previous = disk
            .commit()
            .expect("commit")
            .expect("there was an output before");
        assert!(is_previous_output(&previous));
        remove_previous(&previous).expect("remove");
        assert_eq!(
            std::fs::read_to_string(output.join("a/index.html")).expect("read"),
            "new"
        );
        assert!(!output.join("old.html").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(leftovers.len(), 1, "only public/ remains");
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
        let sink = DiskSink::begin(&output).expect("begin");
        drop(sink);
        assert_eq!(
            std::fs::read_to_string(output.join("old.html")).expect("read"),
            "old"
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }
}
