//! Writes the index: documents into tantivy's RAM directory, merged into one segment, then
//! every file cut into content-addressed chunks, each written through the output sink with a
//! brotli copy beside it, and the manifest last.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::PathBuf;

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tantivy::directory::RamDirectory;
use tantivy::index::{Segment, SegmentComponent, SegmentMeta};
use tantivy::indexer::{AddOperation, NoMergePolicy, SegmentWriter};
use tantivy::store::Compressor;
use tantivy::{Directory, Index, IndexSettings, IndexWriter, TantivyDocument};

use super::SearchError;
use super::chunking::layout;
use super::documents::SearchDocument;
use super::manifest::{Chunk, INDEX_DIR, MANIFEST_FILE, MANIFEST_FORMAT, Manifest, ManifestFile};
use super::schema::{Fields, build_schema, register_tokenizers};
use crate::output::Blobs;
use crate::output::Sink;
use crate::sealed::Cursor;

/// Below this total size the browser fetches the whole index at once.
pub const EAGER_BYTES: u64 = 256 * 1024;

/// Documents are stored uncompressed in small blocks: the chunks are brotli-compressed for
/// transfer anyway, and a hit's text then costs a few kilobytes, not a large block.
const DOCSTORE_BLOCK: usize = 4 * 1024;

/// Memory tantivy may use before it writes a segment; one segment is the common case.
const WRITER_MEMORY: usize = 200_000_000;

/// Memory for the writer that only merges segments.
const MERGER_MEMORY: usize = 15_000_000;

/// The budget a group's segment writer is created with. tantivy sizes its table of terms from
/// it (a third, up to 512K slots, 4 MB, all written before the first document), and the table
/// doubles as it fills; a group of [`GROUP_DOCUMENTS`] holds a few tens of thousands of terms.
/// When to start another segment is still decided by [`WRITER_MEMORY`].
const TERM_TABLE_BUDGET: usize = 1 << 20;

/// Documents per group (see [`IndexGroup`]): after an edit, a build indexes one group again
/// and merges; smaller groups index faster but make more segments to merge.
pub const GROUP_DOCUMENTS: usize = 1024;

/// One group of documents, indexed into a segment of its own and kept between builds
/// ([`Blobs`]) under `key`, which hashes everything its documents are made from; the index
/// is the groups' segments merged in order. A clean build and one that reuses kept segments
/// merge the same segments, so they write the same bytes.
pub struct IndexGroup<'a> {
    pub key: String,
    /// Makes the group's documents, when no kept segment has its key.
    pub documents: Box<dyn Fn() -> Vec<SearchDocument> + Send + Sync + 'a>,
}

/// What the index holds, for the build summary and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexStats {
    pub documents: u64,
    /// Sum of tantivy's file sizes.
    pub bytes: u64,
    /// Distinct chunk files written.
    pub chunks: usize,
}

/// Indexes the groups (or takes their segments from `blobs`) and writes the published index
/// into `sink`. Chunks are named after their content, so those the target already `holds`
/// (most of them, after a small edit) are kept rather than written again.
pub fn write_index(
    groups: &[IndexGroup<'_>],
    language: &str,
    sink: &Sink,
    holds: &(dyn Fn(&str) -> bool + Sync),
    blobs: &Blobs,
) -> Result<IndexStats, SearchError> {
    let segments: Vec<GroupSegment> = groups
        .par_iter()
        .map(|group| {
            if let Some(segment) = blobs.load(&group.key).and_then(GroupSegment::decode) {
                return Ok(segment);
            }
            let segment = index_group(&(group.documents)(), language, WRITER_MEMORY)?;
            blobs.save(&group.key, &segment.encode());
            Ok::<_, SearchError>(segment)
        })
        .collect::<Result<_, _>>()?;
    blobs.remove_unused();
    let documents = segments.iter().map(|s| u64::from(s.max_doc)).sum();
    let files = merge(segments, language)?;
    let whole = files.iter().map(|f| f.bytes.len() as u64).sum::<u64>() <= EAGER_BYTES;
    let manifest = manifest(language, documents, &files, whole);
    let mut written = BTreeSet::new();
    let chunks: Vec<(&str, &[u8])> = files
        .iter()
        .zip(&manifest.files)
        .flat_map(|(file, listed)| {
            listed.chunks.iter().scan(0, |start, chunk| {
                let range = *start..*start + chunk.size as usize;
                *start = range.end;
                Some((chunk.path.as_str(), &file.bytes[range]))
            })
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

/// The segment of one group: its document count and its files, by suffix (`.idx`, `.term`...),
/// as ranges of one buffer: a kept segment is used where it was read, not copied apart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupSegment {
    max_doc: u32,
    files: Vec<(String, Range<usize>)>,
    bytes: Vec<u8>,
}

impl GroupSegment {
    const MAGIC: &'static [u8] = b"versus-segment-1\n";

    /// A segment of the files given, by suffix.
    fn new(max_doc: u32, files: Vec<(String, &[u8])>) -> Self {
        let mut segment = GroupSegment {
            max_doc,
            files: Vec::with_capacity(files.len()),
            bytes: Vec::with_capacity(files.iter().map(|(_, b)| b.len()).sum()),
        };
        for (suffix, bytes) in files {
            let start = segment.bytes.len();
            segment.bytes.extend_from_slice(bytes);
            segment.files.push((suffix, start..segment.bytes.len()));
        }
        segment
    }

    /// Each file's suffix and bytes.
    fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .map(|(suffix, range)| (suffix.as_str(), &self.bytes[range.clone()]))
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Self::MAGIC.to_vec();
        out.extend_from_slice(&self.max_doc.to_le_bytes());
        out.extend_from_slice(&(self.files.len() as u32).to_le_bytes());
        for (suffix, bytes) in self.files() {
            out.extend_from_slice(&(suffix.len() as u32).to_le_bytes());
            out.extend_from_slice(suffix.as_bytes());
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        out
    }

    /// `None` for anything but what [`GroupSegment::encode`] wrote. The files stay where they
    /// are in `bytes`.
    fn decode(bytes: Vec<u8>) -> Option<GroupSegment> {
        let mut cursor = Cursor::after(&bytes, Self::MAGIC)?;
        let max_doc = cursor.u32()?;
        let count = cursor.u32()?;
        let mut files = Vec::new();
        for _ in 0..count {
            let length = cursor.u32()? as usize;
            let suffix = String::from_utf8(bytes[cursor.take(length)?].to_vec()).ok()?;
            files.push((suffix, cursor.take_u64_length()?));
        }
        cursor.is_done().then_some(GroupSegment {
            max_doc,
            files,
            bytes,
        })
    }
}

fn settings() -> IndexSettings {
    IndexSettings {
        docstore_compression: Compressor::None,
        docstore_blocksize: DOCSTORE_BLOCK,
        ..IndexSettings::default()
    }
}

/// The settings of a group's index, which only its segment's files leave: its document store
/// is written by the thread that indexes the group. Tantivy's default hands every block to a
/// thread of its own, one context switch per 4 KB block, for blocks that are not compressed.
fn group_settings() -> IndexSettings {
    IndexSettings {
        docstore_compress_dedicated_thread: false,
        ..settings()
    }
}

/// Indexes one group's documents into one segment, in memory, on the calling thread: tantivy's
/// `IndexWriter` would start a thread (and its queue and segment updater) for each group and
/// hand it the documents. A group that outgrows `memory` is written as several segments,
/// merged into one.
fn index_group(
    docs: &[SearchDocument],
    language: &str,
    memory: usize,
) -> Result<GroupSegment, SearchError> {
    let directory = RamDirectory::create();
    let index = Index::create(directory.clone(), build_schema(language), group_settings())?;
    register_tokenizers(&index);
    super::stem_memo::register(&index, language);
    let mut written = write_segments(&index, docs, memory)?;
    let meta = match written.len() {
        0 => return Ok(GroupSegment::new(0, Vec::new())),
        1 => written.remove(0),
        _ => {
            let index = open_with_segments(&directory, &index, written)?;
            merge_segments(&index)?;
            let mut merged = index.searchable_segment_metas()?;
            merged.pop().expect("a merge leaves one segment")
        }
    };
    let id = meta.id().uuid_string();
    let mut files = Vec::new();
    for path in segment_files(&meta) {
        if let Ok(file) = directory.open_read(&path) {
            let name = path.to_string_lossy();
            let suffix = name.strip_prefix(id.as_str()).unwrap_or(&name).to_string();
            files.push((suffix, file.read_bytes()?));
        }
    }
    let files = files
        .iter()
        .map(|(suffix, bytes)| (suffix.clone(), bytes.as_slice()))
        .collect();
    Ok(GroupSegment::new(meta.max_doc(), files))
}

/// Adds the documents, in order, to segments of `index`, starting the next segment when one
/// holds `memory` (as tantivy's `IndexWriter` does); the segments written, in order.
fn write_segments(
    index: &Index,
    docs: &[SearchDocument],
    memory: usize,
) -> Result<Vec<SegmentMeta>, SearchError> {
    let fields = Fields::from_schema(&index.schema())?;
    let mut written = Vec::new();
    let mut open: Option<(Segment, SegmentWriter)> = None;
    for (opstamp, doc) in (0..).zip(docs) {
        let (_, writer) = match &mut open {
            Some(open) => open,
            None => open.insert(segment_writer(index)?),
        };
        writer.add_document(AddOperation {
            opstamp,
            document: tantivy_document(&fields, doc),
        })?;
        if writer.mem_usage() >= memory {
            written.extend(open.take().map(finish_segment).transpose()?);
        }
    }
    written.extend(open.map(finish_segment).transpose()?);
    Ok(written)
}

/// A new segment of `index` and its writer, whose table of terms starts small.
fn segment_writer(index: &Index) -> tantivy::Result<(Segment, SegmentWriter)> {
    let segment = index.new_segment();
    let writer = SegmentWriter::for_segment(TERM_TABLE_BUDGET, segment.clone())?;
    Ok((segment, writer))
}

/// Writes a segment's files; its meta, with its document count.
fn finish_segment((segment, writer): (Segment, SegmentWriter)) -> tantivy::Result<SegmentMeta> {
    let max_doc = writer.max_doc();
    writer.finalize()?;
    Ok(segment.with_max_doc(max_doc).meta().clone())
}

/// Writes the `meta.json` that lists `segments`, whose files are in `directory` (a segment
/// writer lists none), and opens the index it describes.
fn open_with_segments(
    directory: &RamDirectory,
    index: &Index,
    segments: Vec<SegmentMeta>,
) -> Result<Index, SearchError> {
    let mut meta = index.load_metas()?;
    meta.opstamp = segments.iter().map(|s| u64::from(s.max_doc())).sum();
    meta.segments = segments;
    let json = serde_json::to_vec(&meta).map_err(std::io::Error::other)?;
    directory.atomic_write(std::path::Path::new("meta.json"), &json)?;
    let index = Index::open(directory.clone())?;
    register_tokenizers(&index);
    Ok(index)
}

/// Merges the index's segments, in order, into one; `false` when there was one or none.
fn merge_segments(index: &Index) -> Result<bool, SearchError> {
    let ids = index.searchable_segment_ids()?;
    if ids.len() <= 1 {
        return Ok(false);
    }
    let mut writer: IndexWriter = index.writer_with_num_threads(1, MERGER_MEMORY)?;
    writer.set_merge_policy(Box::new(NoMergePolicy));
    writer.merge(&ids).wait()?;
    writer.wait_merging_threads()?;
    Ok(true)
}

fn segment_files(meta: &SegmentMeta) -> Vec<PathBuf> {
    use SegmentComponent::*;
    [
        Postings, Positions, FastFields, FieldNorms, Terms, Store, Delete,
    ]
    .into_iter()
    .map(|c| meta.relative_path(c))
    .collect()
}

/// Puts the groups' segments in one index, in order, merges them into one segment and
/// returns the index's files, by name.
fn merge(segments: Vec<GroupSegment>, language: &str) -> Result<Vec<IndexFile>, SearchError> {
    let directory = RamDirectory::create();
    let index = Index::create(directory.clone(), build_schema(language), settings())?;
    let mut metas = Vec::new();
    let mut sources = Vec::new();
    // Each group's files are dropped once copied in, and deleted once merged: a large index is
    // held about twice at most, not four times.
    for (n, segment) in segments
        .into_iter()
        .enumerate()
        .filter(|(_, s)| s.max_doc > 0)
    {
        let id = tantivy::index::SegmentId::from_uuid_string(&format!("{:032x}", n + 1))
            .expect("32 hex digits are a segment id");
        for (suffix, bytes) in segment.files() {
            let name = PathBuf::from(format!("{}{suffix}", id.uuid_string()));
            directory.atomic_write(&name, bytes)?;
            sources.push(name);
        }
        metas.push(index.new_segment_meta(id, segment.max_doc));
    }
    let index = open_with_segments(&directory, &index, metas)?;
    if merge_segments(&index)? {
        for source in &sources {
            let _ = directory.delete(source);
        }
    }
    let mut names: BTreeSet<PathBuf> = BTreeSet::from([PathBuf::from("meta.json")]);
    for meta in index.searchable_segment_metas()? {
        names.extend(segment_files(&meta));
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

/// One of the published index's files, with the SHA-256 of its bytes: hashed once, for the
/// manifest and for its segment's name.
struct IndexFile {
    name: String,
    bytes: Vec<u8>,
    digest: [u8; 32],
}

/// Renames segments after their content: tantivy names them with random ids, which would make
/// two builds of the same knowledge differ (and every chunk of the index change names).
fn deterministic_segment_ids(files: Vec<(String, Vec<u8>)>, ids: &[String]) -> Vec<IndexFile> {
    let mut files: Vec<IndexFile> = files
        .into_par_iter()
        .map(|(name, bytes)| IndexFile {
            digest: Sha256::digest(&bytes).into(),
            name,
            bytes,
        })
        .collect();
    for (n, id) in ids.iter().enumerate() {
        let mut hasher = Sha256::new();
        hasher.update(n.to_le_bytes());
        for file in files.iter().filter(|f| f.name.starts_with(id.as_str())) {
            hasher.update(file.name.trim_start_matches(id.as_str()).as_bytes());
            hasher.update(file.digest);
        }
        let fresh = hex::encode(&hasher.finalize()[..16]);
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
        for file in &mut files {
            if file.name == "meta.json" {
                let text = String::from_utf8_lossy(&file.bytes)
                    .replace(&hyphenated(id), &hyphenated(&fresh))
                    .replace(id.as_str(), &fresh);
                file.bytes = text.into_bytes();
                file.digest = Sha256::digest(&file.bytes).into();
            } else if let Some(rest) = file.name.strip_prefix(id.as_str()) {
                file.name = format!("{fresh}{rest}");
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
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

/// The name of a chunk: the start of its SHA-256, so equal chunks share one file and a
/// changed chunk never reuses a cached name.
pub fn chunk_path(data: &[u8]) -> String {
    format!("{}.bin", hex::encode(&Sha256::digest(data)[..8]))
}

/// With `whole`, each file is one chunk (see [`layout`]).
fn manifest(language: &str, documents: u64, files: &[IndexFile], whole: bool) -> Manifest {
    // Hashing the chunks is most of this: they hash in parallel.
    let files: Vec<ManifestFile> = files
        .par_iter()
        .map(|file| ManifestFile {
            name: file.name.clone(),
            size: file.bytes.len() as u64,
            hash: hex::encode(file.digest),
            chunks: layout(&file.name, &file.bytes, whole)
                .into_par_iter()
                .map(|range| Chunk {
                    path: chunk_path(&file.bytes[range.clone()]),
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
    // On the chunks of a 10,000-fact index, quality 3 takes two thirds of quality 4's time
    // (115 and 169 ms) for 3% more bytes, and quality 4 two thirds of quality 5's for 3% more
    // (quality 5 is within half a percent of quality 9 at a tenth of its time): the copies are
    // made on every build, and a search fetches a few of them. The window fits the data but
    // stays above 16 bits: below that brotli picks hashers whose large tables it clears on
    // every call, which costs more than compressing.
    let lgwin = (usize::BITS - data.len().leading_zeros()).clamp(17, 22) as i32;
    let params = brotli::enc::BrotliEncoderParams {
        quality: 3,
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
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::output::MemorySink;
    use crate::search::documents::{group_documents, groups};

    /// Writes the index of `docs` (one list per group, keyed by `keys`) into memory.
    fn written(
        docs: &[Vec<SearchDocument>],
        keys: &[String],
        blobs: &Blobs,
        indexed: &AtomicUsize,
    ) -> std::collections::BTreeMap<String, Vec<u8>> {
        let groups: Vec<IndexGroup> = docs
            .iter()
            .zip(keys)
            .map(|(docs, key)| IndexGroup {
                key: key.clone(),
                documents: Box::new(move || {
                    indexed.fetch_add(1, Ordering::Relaxed);
                    docs.clone()
                }),
            })
            .collect();
        let sink = Sink::Memory(MemorySink::default());
        write_index(&groups, "en", &sink, &|_| false, blobs).expect("index");
        let Sink::Memory(memory) = sink else {
            unreachable!()
        };
        memory.into_files()
    }

    #[test]
    fn an_index_from_kept_and_fresh_group_segments_equals_a_clean_one() {
        let loaded = crate::build::shipped();
        let k = &loaded.knowledge;
        let mut docs: Vec<Vec<SearchDocument>> = groups(k, 16)
            .iter()
            .map(|group| group_documents(k, loaded.text(), group))
            .collect();
        assert!(docs.len() > 3, "{} groups", docs.len());
        let count = docs.len();
        let keys = |edited: usize| -> Vec<String> {
            (0..count)
                .map(|n| format!("group-{n}-{}", if n == 2 { edited } else { 0 }))
                .collect()
        };
        let kept = tempfile::tempdir().expect("tempdir");
        let blobs = || Blobs::in_folder(kept.path().to_path_buf(), true);
        let indexed = AtomicUsize::new(0);
        let before = written(&docs, &keys(0), &blobs(), &indexed);
        assert_eq!(indexed.swap(0, Ordering::Relaxed), docs.len());
        let in_memory = Blobs::in_memory();
        assert!(written(&docs, &keys(0), &in_memory, &indexed) == before);
        indexed.store(0, Ordering::Relaxed);

        docs[2][0].body.push_str(" An edited body.");
        let updated = written(&docs, &keys(1), &blobs(), &indexed);
        assert_eq!(
            indexed.swap(0, Ordering::Relaxed),
            1,
            "only the edited group is indexed"
        );
        assert!(written(&docs, &keys(1), &in_memory, &indexed) == updated);
        assert_eq!(indexed.swap(0, Ordering::Relaxed), 1, "in memory too");
        let empty = tempfile::tempdir().expect("tempdir");
        let clean = written(
            &docs,
            &keys(1),
            &Blobs::in_folder(empty.path().to_path_buf(), false),
            &indexed,
        );
        assert_eq!(indexed.load(Ordering::Relaxed), docs.len());
        assert_ne!(updated, before);
        assert!(
            updated == clean,
            "kept segments merge into the bytes a clean build writes"
        );
        assert_eq!(
            std::fs::read_dir(kept.path()).expect("blobs").count(),
            docs.len(),
            "the edited group's old segment is removed"
        );

        // A kept segment cut short (a killed build, a full disk) is indexed again.
        let blob = kept.path().join(&keys(1)[0]);
        let whole = std::fs::read(&blob).expect("read blob");
        std::fs::write(&blob, &whole[..whole.len() / 2]).expect("cut short");
        indexed.store(0, Ordering::Relaxed);
        let mended = written(&docs, &keys(1), &blobs(), &indexed);
        assert_eq!(indexed.load(Ordering::Relaxed), 1, "only the broken group");
        assert!(mended == clean, "the index is whole again");
        assert_eq!(std::fs::read(&blob).expect("read blob"), whole);
    }

    /// The published index of one group's segment, opened.
    fn opened(segment: GroupSegment) -> Index {
        let directory = RamDirectory::create();
        for file in merge(vec![segment], "en").expect("merge") {
            directory
                .atomic_write(std::path::Path::new(&file.name), &file.bytes)
                .expect("write");
        }
        let index = Index::open(directory).expect("open");
        register_tokenizers(&index);
        index
    }

    /// Each document's stored id, in document order, and how many documents hold each of a
    /// few words.
    fn contents(index: &Index, words: &[&str]) -> (Vec<String>, Vec<u64>) {
        use tantivy::schema::Value;
        let fields = Fields::from_schema(&index.schema()).expect("fields");
        let searcher = index.reader().expect("reader").searcher();
        assert_eq!(searcher.segment_readers().len(), 1, "one segment");
        let store = searcher
            .segment_reader(0)
            .get_store_reader(1)
            .expect("store");
        let ids = store
            .iter::<TantivyDocument>(None)
            .map(|doc| {
                let doc = doc.expect("stored document");
                let id = doc.get_first(fields.id).and_then(|v| v.as_str());
                id.expect("an id").to_string()
            })
            .collect();
        let counts = words
            .iter()
            .map(|word| {
                let term = tantivy::Term::from_field_text(fields.words, word);
                searcher.doc_freq(&term).expect("doc freq")
            })
            .collect();
        (ids, counts)
    }

    #[test]
    fn a_group_larger_than_the_writer_memory_is_written_in_parts_and_merged_whole() {
        let loaded = crate::build::shipped();
        let k = &loaded.knowledge;
        let docs: Vec<SearchDocument> = groups(k, usize::MAX)
            .iter()
            .flat_map(|group| group_documents(k, loaded.text(), group))
            .collect();
        let small = 200_000;
        let index = Index::create_in_ram(build_schema("en"));
        register_tokenizers(&index);
        let parts = write_segments(&index, &docs, small).expect("segments");
        assert!(
            parts.len() > 1,
            "{} segment(s) within {small} bytes",
            parts.len()
        );
        assert_eq!(
            parts.iter().map(|p| p.max_doc() as usize).sum::<usize>(),
            docs.len()
        );

        let words = ["serverless", "containers", "kubernetes", "lambda", "cost"];
        let in_parts = contents(
            &opened(index_group(&docs, "en", small).expect("index")),
            &words,
        );
        let at_once = contents(
            &opened(index_group(&docs, "en", WRITER_MEMORY).expect("index")),
            &words,
        );
        assert_eq!(in_parts.0.len(), docs.len());
        assert_eq!(
            in_parts.0,
            docs.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
            "every document, in order"
        );
        assert!(in_parts.1.iter().all(|&n| n > 0), "{:?}", in_parts.1);
        assert_eq!(in_parts, at_once);
    }

    #[test]
    fn a_segment_writer_starts_with_a_table_of_terms_far_smaller_than_its_memory_allows() {
        let index = Index::create_in_ram(build_schema("en"));
        register_tokenizers(&index);
        let (_, writer) = segment_writer(&index).expect("writer");
        let sized_by_memory =
            SegmentWriter::for_segment(WRITER_MEMORY, index.new_segment()).expect("writer");
        // tantivy counts its first pages of memory too, which it has not touched yet; the
        // table it sizes from the writer's memory is 4 MB, written whole.
        let saved = sized_by_memory.mem_usage() - writer.mem_usage();
        assert!(
            saved >= 3 << 20,
            "{saved} bytes fewer before the first document"
        );
    }

    #[test]
    fn a_group_segment_reads_back_only_whole() {
        let segment =
            GroupSegment::new(3, vec![(".idx".into(), &[1, 2, 3]), (".term".into(), &[])]);
        let bytes = segment.encode();
        let decoded = GroupSegment::decode(bytes.clone()).expect("reads back");
        assert_eq!(decoded.max_doc, 3);
        assert_eq!(
            decoded.files().collect::<Vec<_>>(),
            [(".idx", &[1, 2, 3][..]), (".term", &[][..])]
        );
        assert_eq!(
            GroupSegment::decode(bytes[..bytes.len() - 1].to_vec()),
            None
        );
        assert_eq!(
            GroupSegment::decode([bytes.as_slice(), b"x"].concat()),
            None
        );
    }
}
