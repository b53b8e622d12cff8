//! Writes the index: documents into tantivy's RAM directory, merged into one segment, then
//! every file cut into content-addressed chunks, each written through the output sink with a
//! brotli copy beside it, and the manifest last.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tantivy::directory::RamDirectory;
use tantivy::index::SegmentComponent;
use tantivy::indexer::NoMergePolicy;
use tantivy::store::Compressor;
use tantivy::{Directory, Index, IndexSettings, IndexWriter, TantivyDocument};

use super::SearchError;
use super::documents::SearchDocument;
use super::manifest::{Chunk, INDEX_DIR, MANIFEST_FILE, MANIFEST_FORMAT, Manifest, ManifestFile};
use super::schema::{Fields, build_schema, register_tokenizers};
use crate::output::Sink;

/// Files are cut into chunks of this size: small enough that a query on a large site fetches
/// little more than it reads, large enough that a small site is a handful of requests.
pub const CHUNK_SIZE: usize = 16 * 1024;

/// The document store is read a block per hit, at random: smaller chunks.
pub const STORE_CHUNK_SIZE: usize = 8 * 1024;

/// The term dictionaries are read a few small blocks per query term, scattered: small chunks.
pub const TERM_CHUNK_SIZE: usize = 4 * 1024;

/// Every larger file ends with a chunk this small: tantivy keeps its footers and offsets at
/// the end of each file, and opening the index reads them all.
pub const FOOTER_CHUNK_SIZE: usize = 2 * 1024;

/// Below this total size the browser fetches the whole index at once.
pub const EAGER_BYTES: u64 = 256 * 1024;

/// Documents are stored uncompressed in small blocks: the chunks are brotli-compressed for
/// transfer anyway, and a hit's text then costs a few kilobytes, not a large block.
const DOCSTORE_BLOCK: usize = 4 * 1024;

/// Memory tantivy may use before it writes a segment; one segment is the common case.
const WRITER_MEMORY: usize = 200_000_000;

/// What the index holds, for the build summary and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexStats {
    pub documents: u64,
    /// Sum of tantivy's file sizes.
    pub bytes: u64,
    /// Distinct chunk files written.
    pub chunks: usize,
}

/// Indexes the documents and writes the published index into `sink`. Chunks are named after
/// their content, so those the target already `holds` (most of them, after a small edit) are
/// kept rather than written again.
pub fn write_index(
    docs: &[SearchDocument],
    language: &str,
    sink: &Sink,
    holds: &(dyn Fn(&str) -> bool + Sync),
) -> Result<IndexStats, SearchError> {
    let files = build(docs, language)?;
    let manifest = manifest(language, docs.len() as u64, &files);
    let mut written = BTreeSet::new();
    let chunks: Vec<(&str, &[u8])> = files
        .iter()
        .zip(&manifest.files)
        .flat_map(|((name, bytes), file)| {
            file.chunks
                .iter()
                .zip(layout(name, bytes.len()))
                .map(|(chunk, range)| (chunk.path.as_str(), &bytes[range]))
        })
        .filter(|(path, _)| written.insert(*path))
        .collect();
    let precompress = sink.wants_precompressed();
    chunks.par_iter().try_for_each(|(path, data)| {
        let path = format!("{INDEX_DIR}/{path}");
        let copy = format!("{path}.br");
        if holds(&path) {
            // Its brotli copy, if any, was made from the same bytes, as this build would.
            sink.keep(&path);
            if holds(&copy) {
                sink.keep(&copy);
            }
            return Ok(());
        }
        sink.write(&path, data)?;
        if let Some(compressed) = precompress.then(|| brotli(data)).flatten() {
            sink.write(&copy, &compressed)?;
        }
        Ok::<(), SearchError>(())
    })?;
    let json = serde_json::to_vec(&manifest).expect("a manifest always serializes");
    sink.write(&format!("{INDEX_DIR}/{MANIFEST_FILE}"), &json)?;
    if let Some(compressed) = precompress.then(|| brotli(&json)).flatten() {
        sink.write(&format!("{INDEX_DIR}/{MANIFEST_FILE}.br"), &compressed)?;
    }
    Ok(IndexStats {
        documents: manifest.documents,
        bytes: manifest.total_size,
        chunks: chunks.len(),
    })
}

/// Builds the index in memory and returns its files, by name.
fn build(docs: &[SearchDocument], language: &str) -> Result<Vec<(String, Vec<u8>)>, SearchError> {
    let directory = RamDirectory::create();
    let settings = IndexSettings {
        docstore_compression: Compressor::None,
        docstore_blocksize: DOCSTORE_BLOCK,
        ..IndexSettings::default()
    };
    let index = Index::create(directory.clone(), build_schema(language), settings)?;
    register_tokenizers(&index);
    let fields = Fields::from_schema(&index.schema())?;
    let mut writer: IndexWriter = index.writer_with_num_threads(1, WRITER_MEMORY)?;
    writer.set_merge_policy(Box::new(NoMergePolicy));
    for doc in docs {
        writer.add_document(tantivy_document(&fields, doc))?;
    }
    writer.commit()?;
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.garbage_collect_files().wait()?;
    writer.wait_merging_threads()?;
    let mut names: BTreeSet<PathBuf> = BTreeSet::from([PathBuf::from("meta.json")]);
    for meta in index.searchable_segment_metas()? {
        use SegmentComponent::*;
        let components = [
            Postings, Positions, FastFields, FieldNorms, Terms, Store, Delete,
        ];
        names.extend(components.into_iter().map(|c| meta.relative_path(c)));
    }
    let mut files = Vec::new();
    for name in names {
        if let Ok(file) = directory.open_read(&name) {
            let bytes = file.read_bytes()?;
            files.push((
                name.to_string_lossy().into_owned(),
                bytes.as_slice().to_vec(),
            ));
        }
    }
    let ids: Vec<String> = index
        .searchable_segment_ids()?
        .iter()
        .map(|id| id.uuid_string())
        .collect();
    Ok(deterministic_segment_ids(files, &ids))
}

/// Renames segments after their content: tantivy names them with random ids, which would make
/// two builds of the same knowledge differ (and every chunk of the index change names).
fn deterministic_segment_ids(
    mut files: Vec<(String, Vec<u8>)>,
    ids: &[String],
) -> Vec<(String, Vec<u8>)> {
    use sha2::{Digest, Sha256};
    for (n, id) in ids.iter().enumerate() {
        let mut hasher = Sha256::new();
        hasher.update(n.to_le_bytes());
        for (name, bytes) in files
            .iter()
            .filter(|(name, _)| name.starts_with(id.as_str()))
        {
            hasher.update(name.trim_start_matches(id.as_str()).as_bytes());
            hasher.update(bytes);
        }
        let fresh = hex(&hasher.finalize()[..16]);
        let hyphenated = |s: &str| {
            format!(
                "{}-{}-{}-{}-{}",
                &s[0..8],
                &s[8..12],
                &s[12..16],
                &s[16..20],
                &s[20..32]
            )
        };
        for (name, bytes) in &mut files {
            if name == "meta.json" {
                let text = String::from_utf8_lossy(bytes)
                    .replace(&hyphenated(id), &hyphenated(&fresh))
                    .replace(id.as_str(), &fresh);
                *bytes = text.into_bytes();
            } else if let Some(rest) = name.strip_prefix(id.as_str()) {
                *name = format!("{fresh}{rest}");
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

fn tantivy_document(fields: &Fields, doc: &SearchDocument) -> TantivyDocument {
    let mut out = TantivyDocument::default();
    out.add_text(fields.kind, doc.kind.as_str());
    out.add_text(fields.id, &doc.id);
    if let Some(dimension) = &doc.dimension {
        out.add_text(fields.dimension, dimension);
    }
    for subject in &doc.subjects {
        out.add_text(fields.subject, subject);
    }
    out.add_text(fields.title, &doc.title);
    out.add_text(fields.body, &doc.body);
    for tag in &doc.tags {
        out.add_text(fields.tags, tag);
    }
    if let Some(key) = &doc.key {
        out.add_text(fields.key, key);
    }
    if let Some(value) = doc.value {
        out.add_f64(fields.value, value);
    }
    out.add_text(fields.url, &doc.url);
    for extra in &doc.extra {
        out.add_text(fields.extra, extra);
    }
    for text in [&doc.title, &doc.body].into_iter().chain(&doc.tags) {
        out.add_text(fields.words, text);
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The name of a chunk: the start of its SHA-256, so equal chunks share one file and a
/// changed chunk never reuses a cached name.
pub fn chunk_path(data: &[u8]) -> String {
    format!("{}.bin", &hex(&Sha256::digest(data))[..16])
}

fn manifest(language: &str, documents: u64, files: &[(String, Vec<u8>)]) -> Manifest {
    let files: Vec<ManifestFile> = files
        .iter()
        .map(|(name, bytes)| ManifestFile {
            name: name.clone(),
            size: bytes.len() as u64,
            hash: hex(&Sha256::digest(bytes)),
            chunks: layout(name, bytes.len())
                .into_iter()
                .map(|range| Chunk {
                    path: chunk_path(&bytes[range.clone()]),
                    size: range.len() as u64,
                })
                .collect(),
        })
        .collect();
    let total_size = files.iter().map(|f| f.size).sum();
    let prefetch = prefetch(&files, total_size);
    Manifest {
        format: MANIFEST_FORMAT,
        language: language.to_string(),
        documents,
        total_size,
        files,
        prefetch,
    }
}

/// How a file is cut: chunks of [`CHUNK_SIZE`] ([`STORE_CHUNK_SIZE`] for the document store),
/// and a last chunk of [`FOOTER_CHUNK_SIZE`] for files larger than one chunk.
fn layout(name: &str, size: usize) -> Vec<std::ops::Range<usize>> {
    let chunk_size = if name.ends_with(".store") {
        STORE_CHUNK_SIZE
    } else if name.ends_with(".term") {
        TERM_CHUNK_SIZE
    } else {
        CHUNK_SIZE
    };
    if size <= chunk_size {
        return std::iter::once(0..size).collect();
    }
    let body = size - FOOTER_CHUNK_SIZE;
    let mut ranges: Vec<_> = (0..body)
        .step_by(chunk_size)
        .map(|start| start..(start + chunk_size).min(body))
        .collect();
    ranges.push(body..size);
    ranges
}

/// What opening the index reads: all of a small index; otherwise `meta.json` and the last
/// chunk of every other file (where tantivy keeps each file's footer and offsets).
fn prefetch(files: &[ManifestFile], total_size: u64) -> Vec<String> {
    let mut paths = BTreeSet::new();
    for file in files {
        if total_size <= EAGER_BYTES || file.chunks.len() <= 1 {
            paths.extend(file.chunks.iter().map(|c| c.path.clone()));
        } else if let Some(last) = file.chunks.last() {
            paths.insert(last.path.clone());
        }
    }
    paths.into_iter().collect()
}

/// A brotli copy for hosts that serve precompressed files; `None` when it would not be
/// smaller by a tenth.
fn brotli(data: &[u8]) -> Option<Vec<u8>> {
    // Quality 5 compresses these chunks within half a percent of quality 9 at a tenth of the
    // time. The window fits the data but stays above 16 bits: below that brotli picks hashers
    // whose large tables it clears on every call, which costs more than compressing.
    let lgwin = (usize::BITS - data.len().leading_zeros()).clamp(17, 22) as i32;
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        lgwin,
        size_hint: data.len(),
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).ok()?;
    (out.len() * 10 < data.len() * 9).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_files_into_chunks_that_end_with_a_small_footer_chunk() {
        let single = layout("a.idx", 100);
        assert_eq!((single.len(), single[0].clone()), (1, 0..100));
        let ranges = layout("a.idx", CHUNK_SIZE * 2 + 10);
        assert_eq!(ranges.len(), 3);
        assert_eq!(ranges.last().map(|r| r.len()), Some(FOOTER_CHUNK_SIZE));
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(ranges.last().map(|r| r.end), Some(CHUNK_SIZE * 2 + 10));
        assert!(
            layout("a.store", CHUNK_SIZE)
                .iter()
                .all(|r| r.len() <= STORE_CHUNK_SIZE)
        );
    }
}
