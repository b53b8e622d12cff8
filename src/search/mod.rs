//! Full-text search: the model as tantivy documents ([`documents`]), written at build time into
//! `search/index/` as content-addressed chunks with a manifest ([`writer`], [`manifest`]), and
//! one query path ([`query`], [`exclusion`], [`facets`], [`spelling`]) that the CLI, the browser
//! (compiled to WebAssembly from the same files) and the HTTP server share. [`schema`],
//! [`manifest`], [`query`], [`exclusion`], [`facets`] and [`spelling`] depend only on tantivy,
//! serde, frostem and std, because the WebAssembly crate in `scripts/search-wasm/` includes them.

mod chunking;
pub mod documents;
pub mod exclusion;
pub mod facets;
pub mod manifest;
pub mod query;
pub mod schema;
pub mod spelling;
mod stem_memo;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

use crate::diag::Diagnostic;
use crate::knowledge::Knowledge;
use crate::output::{Blobs, OutputError, Sink};
use crate::text::RenderedText;
use manifest::{
    ChunkLoader, ChunkedDirectory, INDEX_DIR, MANIFEST_FILE, MANIFEST_FORMAT, Manifest,
};
pub use query::{QueryError, Request, SearchResults};
pub use writer::IndexStats;

/// A failure to write or open the index.
#[derive(Debug, Error)]
pub enum SearchError {
    #[error("cannot build the search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("cannot build the search index: {0}")]
    Io(#[from] std::io::Error),
    #[error("no search index in {folder}; run `versus build` first")]
    NotBuilt { folder: PathBuf },
    #[error("cannot read the search index {path}: {message}; run `versus build` again")]
    Corrupt { path: PathBuf, message: String },
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// What the index is made from, as fingerprints: of the site-wide inputs (settings, subjects)
/// and of each dimension's (by position), so that a group of documents is indexed again only
/// when they change.
pub struct Inputs<'a> {
    pub site: &'a str,
    pub dimension: &'a (dyn Fn(usize) -> String + Sync),
}

/// Indexes the knowledge base and writes the index into the sink under `search/index/`,
/// taking the segments of unchanged groups of documents from `blobs`.
pub fn write_index(
    knowledge: &Knowledge,
    text: &RenderedText,
    language: &str,
    sink: &Sink,
    holds: &(dyn Fn(&str) -> bool + Sync),
    inputs: &Inputs<'_>,
    blobs: &Blobs,
) -> Result<IndexStats, SearchError> {
    use sha2::{Digest, Sha256};
    let groups: Vec<writer::IndexGroup> = documents::groups(knowledge, writer::GROUP_DOCUMENTS)
        .into_iter()
        .map(|group| {
            let mut key = Sha256::new();
            key.update(concat!("versus ", env!("CARGO_PKG_VERSION"), "\0"));
            key.update(format!("{language}\0{}\0{}\0", inputs.site, group.subjects));
            for &d in &group.dimensions {
                key.update(format!(
                    "{}\0{}\0",
                    knowledge.dimensions[d].id,
                    (inputs.dimension)(d)
                ));
            }
            writer::IndexGroup {
                key: hex::encode(key.finalize()),
                documents: Box::new(move || documents::group_documents(knowledge, text, &group)),
            }
        })
        .collect();
    writer::write_index(&groups, language, sink, holds, blobs)
}

/// A warning when the site's language has no stemmer: search then matches whole words only.
pub fn language_warning(language: &str) -> Option<Diagnostic> {
    schema::stemmer_language(language).is_none().then(|| {
        Diagnostic::warning(
            Some(Path::new("site.toml")),
            format!(
                "search has no stemmer for language `{language}`; it will match whole words only"
            ),
        )
        .with_hint(format!(
            "stemmed languages: {}",
            schema::STEMMED_LANGUAGES
                .iter()
                .map(|(code, _)| *code)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// A built index opened for queries; cheap to clone and share between threads.
#[derive(Clone)]
pub struct SearchIndex {
    searcher: tantivy::Searcher,
    manifest: Arc<Manifest>,
}

impl SearchIndex {
    /// Opens the index of a built site in `output` (the output folder); chunks are read from
    /// disk, and checked against their names, only when a query needs them.
    pub fn open(output: &Path) -> Result<SearchIndex, SearchError> {
        let dir = output.join(INDEX_DIR);
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = std::fs::read(&manifest_path).map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                SearchError::NotBuilt {
                    folder: output.to_path_buf(),
                }
            } else {
                corrupt(&manifest_path, err)
            }
        })?;
        let chunks = dir.clone();
        Self::open_with(&manifest_path, &text, move |name| {
            std::fs::read(chunks.join(name))
        })
    }

    /// Opens an index whose files are held elsewhere (in memory, for the dev server): `read`
    /// returns the bytes of a file under `search/index/` by name.
    pub fn open_in(
        read: impl Fn(&str) -> std::io::Result<Vec<u8>> + Send + Sync + 'static,
    ) -> Result<SearchIndex, SearchError> {
        let manifest_path = Path::new(INDEX_DIR).join(MANIFEST_FILE);
        let text = read(MANIFEST_FILE).map_err(|err| corrupt(&manifest_path, err))?;
        Self::open_with(&manifest_path, &text, read)
    }

    fn open_with(
        manifest_path: &Path,
        text: &[u8],
        read: impl Fn(&str) -> std::io::Result<Vec<u8>> + Send + Sync + 'static,
    ) -> Result<SearchIndex, SearchError> {
        let manifest: Manifest =
            serde_json::from_slice(text).map_err(|err| corrupt(manifest_path, err))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(corrupt(
                manifest_path,
                "written by another version of versus",
            ));
        }
        let loader: ChunkLoader = Arc::new(move |chunk| {
            let bytes = read(&chunk.path)?;
            if writer::chunk_path(&bytes) != chunk.path {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} does not match its content hash", chunk.path),
                ));
            }
            Ok(bytes)
        });
        let searcher = query::open_searcher(ChunkedDirectory::new(&manifest, loader))
            .map_err(|err| corrupt(manifest_path, err))?;
        Ok(SearchIndex {
            searcher,
            manifest: Arc::new(manifest),
        })
    }

    /// The manifest the index was opened from.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

fn corrupt(path: &Path, err: impl std::fmt::Display) -> SearchError {
    SearchError::Corrupt {
        path: path.to_path_buf(),
        message: err.to_string(),
    }
}

/// Runs one request against an opened index: the function every front end calls.
pub fn query(index: &SearchIndex, request: &Request) -> Result<SearchResults, QueryError> {
    query::search(&index.searcher, request)
}

#[cfg(test)]
mod tests {
    use super::documents::{Kind, SearchDocument};
    use super::*;
    use crate::output::MemorySink;

    fn fact(id: &str, subject: &str, body: &str, value: Option<f64>) -> SearchDocument {
        SearchDocument {
            kind: Kind::Fact,
            id: format!("limits/{id}"),
            dimension: Some("limits".into()),
            subjects: vec![subject.into()],
            title: format!("{subject} · Limits"),
            body: body.into(),
            tags: Vec::new(),
            key: None,
            value,
            url: format!("facts/limits/{id}/"),
            extra: Vec::new(),
        }
    }

    /// Writes documents as one group into the sink.
    fn write(docs: &[SearchDocument], sink: &Sink) {
        let group = writer::IndexGroup {
            key: String::new(),
            documents: Box::new(|| docs.to_vec()),
        };
        writer::write_index(&[group], "en", sink, &|_| false, &Blobs::default()).expect("index");
    }

    /// Writes documents into memory and opens them the way the CLI and browser do.
    fn index(docs: &[SearchDocument]) -> tantivy::Searcher {
        let sink = Sink::Memory(MemorySink::default());
        write(docs, &sink);
        let Sink::Memory(memory) = sink else {
            unreachable!()
        };
        let files = Arc::new(memory.into_files());
        let manifest: Manifest =
            serde_json::from_slice(&files[&format!("{INDEX_DIR}/{MANIFEST_FILE}")]).expect("json");
        let loader: ChunkLoader =
            Arc::new(move |chunk| Ok(files[&format!("{INDEX_DIR}/{}", chunk.path)].clone()));
        query::open_searcher(ChunkedDirectory::new(&manifest, loader)).expect("open")
    }

    #[test]
    fn answers_counts_and_facets_without_hits_for_a_zero_limit() {
        let searcher = index(&[
            fact(
                "a",
                "serverless",
                "Runs for at most 15 minutes.",
                Some(900.0),
            ),
            fact("b", "containers", "Runs for as long as it needs.", None),
        ]);
        let mut request = Request::new("runs");
        request.limit = 0;
        let results = query::search(&searcher, &request).expect("search");
        assert_eq!(results.total, 2);
        assert!(results.hits.is_empty());
        assert_eq!(results.facets.subject.len(), 2);
        let range = query::search(&searcher, &Request::new("value:[600 TO 1000]")).expect("ok");
        assert_eq!(range.hits[0].id, "limits/a");
    }

    #[test]
    fn stems_words_and_marks_them_in_escaped_excerpts() {
        let searcher = index(&[fact("a", "serverless", "<b>Scaling</b> & minutes", None)]);
        let results = query::search(&searcher, &Request::new("scaled minute")).expect("search");
        assert_eq!(
            results.hits[0].excerpt_html,
            "&lt;b&gt;<mark>Scaling</mark>&lt;/b&gt; &amp; <mark>minutes</mark>"
        );
    }

    #[test]
    fn suggests_the_nearest_known_word_for_a_typo() {
        let searcher = index(&[fact("a", "serverless", "Concurrency limits apply.", None)]);
        let results = query::search(&searcher, &Request::new("concurency")).expect("search");
        assert_eq!(results.did_you_mean.as_deref(), Some("concurrency"));
        assert_eq!(results.total, 1);
        let nothing = query::search(&searcher, &Request::new("zebra")).expect("search");
        assert_eq!((nothing.total, nothing.did_you_mean), (0, None));
    }

    /// The browser's protocol: a read of a chunk not fetched yet fails and is recorded; the
    /// call is run again once those chunks arrive, until nothing is missing.
    #[test]
    fn answers_the_same_when_chunks_arrive_only_after_being_asked_for() {
        use std::collections::BTreeSet;
        use std::sync::Mutex;
        let docs: Vec<_> = (0..400)
            .map(|i| {
                fact(
                    &format!("f{i}"),
                    ["serverless", "containers"][i % 2],
                    &format!("Fact {i} about cold starts and warm pools number {}", i * 7),
                    None,
                )
            })
            .collect();
        let sink = Sink::Memory(MemorySink::default());
        write(&docs, &sink);
        let Sink::Memory(memory) = sink else {
            unreachable!()
        };
        let files = Arc::new(memory.into_files());
        let manifest: Manifest =
            serde_json::from_slice(&files[&format!("{INDEX_DIR}/{MANIFEST_FILE}")]).expect("json");
        let fetched = Arc::new(Mutex::new(BTreeSet::<String>::new()));
        let missing = Arc::new(Mutex::new(Vec::<String>::new()));
        let (have, want) = (fetched.clone(), missing.clone());
        let loader: ChunkLoader = Arc::new(move |chunk| {
            if have.lock().expect("lock").contains(&chunk.path) {
                Ok(files[&format!("{INDEX_DIR}/{}", chunk.path)].clone())
            } else {
                want.lock().expect("lock").push(chunk.path.clone());
                Err(std::io::Error::new(
                    std::io::ErrorKind::WouldBlock,
                    "not yet",
                ))
            }
        });
        let directory = ChunkedDirectory::new(&manifest, loader);
        let mut rounds = 0;
        let mut again = |call: &mut dyn FnMut() -> bool| loop {
            rounds += 1;
            assert!(rounds < 20, "no progress");
            let done = call();
            let asked: Vec<String> = std::mem::take(&mut *missing.lock().expect("lock"));
            if asked.is_empty() {
                assert!(done);
                return;
            }
            fetched.lock().expect("lock").extend(asked);
        };
        let mut searcher = None;
        again(&mut || {
            searcher = query::open_searcher(directory.clone()).ok();
            searcher.is_some()
        });
        let searcher = searcher.expect("opened");
        let request = Request::new("cold starts");
        let mut results = None;
        again(&mut || {
            results = query::search(&searcher, &request).ok();
            results.is_some()
        });
        let direct = query::search(&index(&docs), &request).expect("search");
        assert_eq!(results.expect("answered"), direct);
    }

    /// An excluded phrase whose words all occur, but never together or only in a later
    /// document, once failed tantivy's assertions when asked about earlier documents.
    #[test]
    fn excludes_phrases_that_match_late_or_nowhere() {
        let searcher = index(&[
            fact("c", "serverless", "Pricing per request.", None),
            fact("b", "serverless", "Pricing: run it or not.", None),
            fact("a", "containers", "Pricing does not run while idle.", None),
        ]);
        let ids = |query: &str| -> Vec<String> {
            let results = query::search(&searcher, &Request::new(query)).expect(query);
            results.hits.into_iter().map(|h| h.id).collect()
        };
        assert_eq!(ids("pricing -\"run not\"").len(), 3);
        let mut kept = ids("pricing -\"not run\"");
        kept.sort();
        assert_eq!(kept, ["limits/b", "limits/c"]);
        assert_eq!(ids("pricing -\"not run\" -request"), ["limits/b"]);
        let mut boosted = ids("(pricing -\"not run\")^2 OR zebra");
        boosted.sort();
        assert_eq!(boosted, ["limits/b", "limits/c"]);
    }

    /// `field:*` parses for any field name and fails only when it runs: that is the query's
    /// fault, not the index's.
    #[test]
    fn refuses_field_wildcards_that_cannot_run_as_invalid_queries() {
        let searcher = index(&[fact("a", "serverless", "Runs.", Some(900.0))]);
        for (query, message) in [
            ("ttitle:*", "unknown field `ttitle`"),
            (
                "title:*",
                "`field:*` works only with subject, dimension and value",
            ),
        ] {
            match query::search(&searcher, &Request::new(query)) {
                Err(QueryError::Invalid(text)) => {
                    assert!(text.contains(message), "{query}: {text}")
                }
                other => panic!("{query}: {other:?}"),
            }
        }
        let exists = query::search(&searcher, &Request::new("value:*")).expect("value:*");
        assert_eq!(exists.total, 1);
    }

    #[test]
    fn warns_only_for_languages_without_a_stemmer() {
        assert!(language_warning("en-GB").is_none());
        assert!(language_warning("nb").is_none());
        assert!(language_warning("ja").is_some());
    }
}
