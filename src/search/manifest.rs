//! The index as published: tantivy's files cut into content-addressed chunks, listed in
//! `search/index/manifest.json`, and a read-only tantivy `Directory` that fetches each chunk
//! only when a query first touches it. Shared by the CLI (chunks read from disk) and the
//! WebAssembly module (chunks fetched over HTTP), so both read the index the same way.
//! Depends on tantivy, serde, serde_json and std only.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tantivy::HasLen;
use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};

/// The manifest's format version; readers refuse other versions with a clear message.
pub const MANIFEST_FORMAT: u32 = 1;

/// Where the index lives in the built site, relative to the output folder.
pub const INDEX_DIR: &str = "search/index";

/// The manifest's file name inside [`INDEX_DIR`]; its name is stable, every chunk's is not.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What the browser reads first: every file of the index, and the chunks that make it up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The site's `language`, which chose the analyzer.
    pub language: String,
    /// Facts, dimensions, subjects and questions indexed.
    pub documents: u64,
    /// Sum of the sizes of every file.
    pub total_size: u64,
    pub files: Vec<ManifestFile>,
    /// Chunks worth fetching in parallel before the first query (small files and footers);
    /// the rest are fetched when a query needs them.
    pub prefetch: Vec<String>,
}

/// One of tantivy's files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// The name tantivy gives it (`meta.json`, `<segment>.idx`, ...).
    pub name: String,
    pub size: u64,
    /// SHA-256 of the whole file, hex.
    pub hash: String,
    /// In file order; their sizes add up to the file's.
    pub chunks: Vec<Chunk>,
}

/// A piece of a file, stored as `search/index/<path>`; the path is derived from the chunk's
/// content hash, so a browser may cache it forever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    pub path: String,
    pub size: u64,
}

/// Reads one chunk by its path; must return exactly the bytes that were written.
pub type ChunkLoader = Arc<dyn Fn(&Chunk) -> io::Result<Vec<u8>> + Send + Sync>;

/// A read-only tantivy `Directory` over a manifest's chunks, loading each chunk on first use.
#[derive(Clone)]
pub struct ChunkedDirectory {
    files: Arc<HashMap<PathBuf, Arc<ChunkedFile>>>,
}

/// Chunks loaded so far, by path, shared by every file: equal chunks of different files (the
/// same footer, say) have one path and are loaded once.
type LoadedChunks = Arc<Mutex<HashMap<String, OwnedBytes>>>;

impl fmt::Debug for ChunkedDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChunkedDirectory({} files)", self.files.len())
    }
}

impl ChunkedDirectory {
    /// A directory of the manifest's files, reading chunks through `loader`.
    pub fn new(manifest: &Manifest, loader: ChunkLoader) -> ChunkedDirectory {
        let loaded = LoadedChunks::default();
        let files = manifest
            .files
            .iter()
            .map(|file| {
                let starts = file
                    .chunks
                    .iter()
                    .scan(0, |at, chunk| {
                        let start = *at;
                        *at += chunk.size as usize;
                        Some(start)
                    })
                    .collect();
                let chunked = ChunkedFile {
                    name: file.name.clone(),
                    size: file.size as usize,
                    starts,
                    chunks: file.chunks.clone(),
                    loaded: loaded.clone(),
                    loader: loader.clone(),
                };
                (PathBuf::from(&file.name), Arc::new(chunked))
            })
            .collect();
        ChunkedDirectory {
            files: Arc::new(files),
        }
    }

    fn file(&self, path: &Path) -> Result<&Arc<ChunkedFile>, OpenReadError> {
        self.files
            .get(path)
            .ok_or_else(|| OpenReadError::FileDoesNotExist(path.to_path_buf()))
    }
}

/// A file of the index, its chunks loaded on demand and kept.
struct ChunkedFile {
    name: String,
    size: usize,
    /// Where each chunk starts in the file.
    starts: Vec<usize>,
    chunks: Vec<Chunk>,
    loaded: LoadedChunks,
    loader: ChunkLoader,
}

impl fmt::Debug for ChunkedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChunkedFile({}, {} bytes)", self.name, self.size)
    }
}

impl ChunkedFile {
    fn chunk(&self, index: usize) -> io::Result<OwnedBytes> {
        let chunk = &self.chunks[index];
        let held = |loaded: &LoadedChunks| {
            loaded
                .lock()
                .map_err(|_| io::Error::other("a chunk loader panicked"))
                .map(|chunks| chunks.get(&chunk.path).cloned())
        };
        if let Some(bytes) = held(&self.loaded)? {
            return Ok(bytes);
        }
        // Loaded without holding the lock: other threads keep reading what is loaded.
        let bytes = (self.loader)(chunk)?;
        if bytes.len() as u64 != chunk.size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "index chunk {} has {} bytes, expected {}",
                    chunk.path,
                    bytes.len(),
                    chunk.size
                ),
            ));
        }
        let bytes = OwnedBytes::new(bytes);
        self.loaded
            .lock()
            .map_err(|_| io::Error::other("a chunk loader panicked"))?
            .insert(chunk.path.clone(), bytes.clone());
        Ok(bytes)
    }
}

impl HasLen for ChunkedFile {
    fn len(&self) -> usize {
        self.size
    }
}

impl FileHandle for ChunkedFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.end > self.size || range.start > range.end {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("read {range:?} past the end of {}", self.name),
            ));
        }
        if range.is_empty() {
            return Ok(OwnedBytes::empty());
        }
        let holding = |offset: usize| self.starts.partition_point(|&start| start <= offset) - 1;
        let (first, last) = (holding(range.start), holding(range.end - 1));
        if first == last {
            let base = self.starts[first];
            let chunk = self.chunk(first)?;
            return Ok(chunk.slice(range.start - base..range.end - base));
        }
        let mut bytes = Vec::with_capacity(range.len());
        for index in first..=last {
            let base = self.starts[index];
            let chunk = self.chunk(index)?;
            let from = range.start.max(base) - base;
            let to = range.end.min(base + chunk.len()) - base;
            bytes.extend_from_slice(&chunk.as_slice()[from..to]);
        }
        Ok(OwnedBytes::new(bytes))
    }
}

fn read_only(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("the published index is read-only: {}", path.display()),
    )
}

impl Directory for ChunkedDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        Ok(self.file(path)?.clone())
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: Arc::new(read_only(path)),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        Ok(self.files.contains_key(path))
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::wrap_io_error(
            read_only(path),
            path.to_path_buf(),
        ))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        let file = self.file(path)?;
        file.read_bytes(0..file.size)
            .map(|bytes| bytes.as_slice().to_vec())
            .map_err(|err| OpenReadError::wrap_io_error(err, path.to_path_buf()))
    }

    fn atomic_write(&self, path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(read_only(path))
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    /// Nothing writes, so there is nothing to lock; tantivy's default would sleep and retry.
    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(bytes: &[u8], chunk_size: usize) -> Manifest {
        let chunks = bytes
            .chunks(chunk_size)
            .enumerate()
            .map(|(i, c)| Chunk {
                path: format!("{i}"),
                size: c.len() as u64,
            })
            .collect();
        Manifest {
            format: MANIFEST_FORMAT,
            language: "en".into(),
            documents: 0,
            total_size: bytes.len() as u64,
            files: vec![ManifestFile {
                name: "f".into(),
                size: bytes.len() as u64,
                hash: String::new(),
                chunks,
            }],
            prefetch: Vec::new(),
        }
    }

    #[test]
    fn reads_ranges_across_chunks_loading_each_chunk_once() {
        let bytes: Vec<u8> = (0..=255).collect();
        let loads = Arc::new(Mutex::new(Vec::new()));
        let source = bytes.clone();
        let seen = loads.clone();
        let loader: ChunkLoader = Arc::new(move |chunk: &Chunk| {
            seen.lock().expect("lock").push(chunk.path.clone());
            let i: usize = chunk.path.parse().expect("index");
            Ok(source[i * 10..(i * 10 + 10).min(source.len())].to_vec())
        });
        let dir = ChunkedDirectory::new(&manifest(&bytes, 10), loader);
        let file = dir.get_file_handle(Path::new("f")).expect("exists");
        assert_eq!(
            file.read_bytes(5..27).expect("read").as_slice(),
            &bytes[5..27]
        );
        assert_eq!(
            file.read_bytes(250..256).expect("read").as_slice(),
            &bytes[250..]
        );
        assert_eq!(
            file.read_bytes(21..23).expect("read").as_slice(),
            &bytes[21..23]
        );
        assert_eq!(*loads.lock().expect("lock"), ["0", "1", "2", "25"]);
        assert!(file.read_bytes(250..257).is_err());
        assert!(!dir.exists(Path::new("g")).expect("exists"));
    }

    #[test]
    fn a_chunk_two_files_share_is_loaded_once() {
        let mut shared = manifest(&[7; 10], 10);
        let mut second = shared.files[0].clone();
        second.name = "g".into();
        shared.files.push(second);
        let loads = Arc::new(Mutex::new(0));
        let counted = loads.clone();
        let loader: ChunkLoader = Arc::new(move |_: &Chunk| {
            *counted.lock().expect("lock") += 1;
            Ok(vec![7; 10])
        });
        let dir = ChunkedDirectory::new(&shared, loader);
        for name in ["f", "g"] {
            let file = dir.get_file_handle(Path::new(name)).expect("exists");
            assert_eq!(file.read_bytes(0..10).expect("read").as_slice(), &[7; 10]);
        }
        assert_eq!(*loads.lock().expect("lock"), 1);
    }

    #[test]
    fn rejects_a_chunk_of_the_wrong_size() {
        let loader: ChunkLoader = Arc::new(|_: &Chunk| Ok(vec![0; 3]));
        let dir = ChunkedDirectory::new(&manifest(&[1; 10], 10), loader);
        let file = dir.get_file_handle(Path::new("f")).expect("exists");
        assert!(file.read_bytes(0..2).is_err());
    }
}
