//! The browser's search engine: the main crate's query path compiled to WebAssembly with raw
//! exports and two imports, so that a few lines of JavaScript glue (no wasm-bindgen) run it.
//!
//! Exports: `alloc`/`dealloc` (buffers the glue writes into), `open` (the manifest's JSON),
//! `search` (a request's JSON), and `output_ptr`/`output_len` (the last JSON answer:
//! `{"ok": ...}`, `{"error": "..."}`, or `{"missing": [chunk paths]}`).
//! Imports (module `env`): `versus_read_chunk(path_ptr, path_len, dst_ptr, dst_len) -> i32`,
//! which copies an index chunk into memory and returns 0, or returns 2 when the glue has not
//! fetched it yet; and `versus_random(ptr, len)`, which calls `crypto.getRandomValues`.
//!
//! A query's reads depend on each other (footers, then term dictionaries, then postings, then
//! stored documents), so a first query runs in a few rounds: each round reports every chunk it
//! missed, the glue fetches them all in parallel and runs the call again. Chunks read stay in
//! memory, so each round gets further.

// The shared files also hold what only the writer and the CLI use.
#![allow(dead_code)]

#[path = "../../../src/search/exclusion.rs"]
mod exclusion;
#[path = "../../../src/search/facets.rs"]
mod facets;
#[path = "../../../src/search/manifest.rs"]
mod manifest;
#[path = "../../../src/search/query.rs"]
mod query;
#[path = "../../../src/search/schema.rs"]
mod schema;
#[path = "../../../src/search/spelling.rs"]
mod spelling;

use std::cell::RefCell;
use std::sync::Arc;

use manifest::{Chunk, ChunkLoader, ChunkedDirectory, Manifest};
use query::{Request, SearchResults};
use serde::Serialize;

unsafe extern "C" {
    fn versus_read_chunk(path_ptr: *const u8, path_len: usize, dst: *mut u8, len: usize) -> i32;
    fn versus_random(dst: *mut u8, len: usize);
}

/// getrandom's custom backend: tantivy links uuid's generator, which reading never calls.
///
/// # Safety
/// `dest` must be valid for `len` bytes of writes, as getrandom guarantees.
#[unsafe(no_mangle)]
unsafe extern "Rust" fn __getrandom_v03_custom(
    dest: *mut u8,
    len: usize,
) -> Result<(), getrandom::Error> {
    // SAFETY: the import writes exactly `len` bytes at `dest`.
    unsafe { versus_random(dest, len) };
    Ok(())
}

thread_local! {
    static SEARCHER: RefCell<Option<tantivy::Searcher>> = const { RefCell::new(None) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static MISSING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Reserves `len` bytes for the glue to write a request or manifest into.
#[unsafe(no_mangle)]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut buffer = Vec::<u8>::with_capacity(len);
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Frees a buffer from [`alloc`].
///
/// # Safety
/// `ptr` and `len` must come from one call to [`alloc`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: usize) {
    // SAFETY: the caller passes back what `alloc` returned, with its capacity.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len) });
}

/// The last answer's address.
#[unsafe(no_mangle)]
pub extern "C" fn output_ptr() -> *const u8 {
    OUTPUT.with(|out| out.borrow().as_ptr())
}

/// The last answer's length in bytes.
#[unsafe(no_mangle)]
pub extern "C" fn output_len() -> usize {
    OUTPUT.with(|out| out.borrow().len())
}

#[derive(Serialize)]
#[serde(untagged)]
enum Answer {
    Ok { ok: SearchResults },
    Opened { ok: bool },
    Err { error: String },
    Missing { missing: Vec<String> },
}

/// Runs one call; when it missed chunks, its answer is the list of them, whatever it returned
/// (tantivy may have worked around a failed read, so nothing else it said can be trusted).
fn attempt(call: impl FnOnce() -> Answer) -> i32 {
    MISSING.with(|missing| missing.borrow_mut().clear());
    let result = call();
    let missing = MISSING.with(|missing| std::mem::take(&mut *missing.borrow_mut()));
    let (result, status) = match result {
        _ if !missing.is_empty() => (Answer::Missing { missing }, 2),
        Answer::Err { error } => (Answer::Err { error }, 1),
        other => (other, 0),
    };
    let json = serde_json::to_vec(&result).unwrap_or_else(|_| b"{\"error\":\"internal\"}".to_vec());
    OUTPUT.with(|out| *out.borrow_mut() = json);
    status
}

fn input(ptr: *mut u8, len: usize) -> Vec<u8> {
    // SAFETY: the glue wrote `len` bytes into a buffer of that capacity from `alloc`.
    unsafe { Vec::from_raw_parts(ptr, len, len) }
}

fn error(message: String) -> Answer {
    Answer::Err { error: message }
}

/// Opens the index a manifest describes; chunks are read through `versus_read_chunk` when a
/// call first needs them. Returns 0, 1 with `{"error": ...}`, or 2 with `{"missing": ...}`.
#[unsafe(no_mangle)]
pub extern "C" fn open(ptr: *mut u8, len: usize) -> i32 {
    let manifest: Result<Manifest, _> = serde_json::from_slice(&input(ptr, len));
    attempt(|| {
        let manifest = match manifest {
            Ok(manifest) => manifest,
            Err(err) => return error(format!("bad manifest: {err}")),
        };
        let loader: ChunkLoader = Arc::new(read_chunk);
        match query::open_searcher(ChunkedDirectory::new(&manifest, loader)) {
            Ok(searcher) => {
                SEARCHER.with(|s| *s.borrow_mut() = Some(searcher));
                Answer::Opened { ok: true }
            }
            Err(err) => error(err.to_string()),
        }
    })
}

fn read_chunk(chunk: &Chunk) -> std::io::Result<Vec<u8>> {
    let mut bytes = vec![0u8; chunk.size as usize];
    let path = chunk.path.as_bytes();
    // SAFETY: both buffers are valid for their lengths; the import only writes into `bytes`.
    let status =
        unsafe { versus_read_chunk(path.as_ptr(), path.len(), bytes.as_mut_ptr(), bytes.len()) };
    match status {
        0 => Ok(bytes),
        2 => {
            MISSING.with(|missing| missing.borrow_mut().push(chunk.path.clone()));
            Err(std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!("{} is not fetched yet", chunk.path),
            ))
        }
        _ => Err(std::io::Error::other(format!("cannot fetch {}", chunk.path))),
    }
}

/// Runs a request (`{"query", "limit", "subject", "dimension"}`); the output is
/// `{"ok": results}` (returns 0), `{"error": message}` (1) or `{"missing": paths}` (2).
#[unsafe(no_mangle)]
pub extern "C" fn search(ptr: *mut u8, len: usize) -> i32 {
    let request: Result<Request, _> = serde_json::from_slice(&input(ptr, len));
    attempt(|| {
        let request = match request {
            Ok(request) => request,
            Err(err) => return error(format!("bad request: {err}")),
        };
        SEARCHER.with(|searcher| match searcher.borrow().as_ref() {
            None => error("the index is not open".into()),
            Some(searcher) => match query::search(searcher, &request) {
                Ok(results) => Answer::Ok { ok: results },
                Err(err) => error(err.to_string()),
            },
        })
    })
}
