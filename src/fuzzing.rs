//! Entry points for the fuzz targets in `fuzz/`, kept in the library so that the inputs that
//! once crashed are replayed by the ordinary test suite (`tests/fixtures/fuzz/`).

use std::path::Path;
use std::sync::OnceLock;

use crate::config::SiteConfig;
use crate::knowledge::load::{load_texts, parse_dimension_text};
use crate::knowledge::{Date, Knowledge, LoadLimits};
use crate::output::{MemorySink, Sink};
use crate::search::query::{MAX_LIMIT, QueryError};
use crate::search::{Request, SearchIndex, manifest::INDEX_DIR};
use crate::{decide, markdown, search, text, tomlread, validate};

/// Loads bytes as a dimension file, then validates and derives what loaded.
pub fn load_dimension_bytes(data: &[u8]) {
    let Ok(file) = tomlread::decode("fuzz.toml".into(), data.to_vec()) else {
        return;
    };
    let (dimension, _) = parse_dimension_text("knowledge/dimensions/fuzz.toml", &file.text);
    if let Some(dimension) = dimension {
        let subjects = subjects_of(&dimension);
        let (knowledge, _) = load_texts(&subjects, &[("fuzz.toml", &file.text)]);
        if let Some(knowledge) = knowledge {
            exercise(&knowledge);
        }
    }
}

/// Loads bytes as a whole knowledge base: subjects.toml, then dimension files, separated by
/// lines of `---`.
pub fn load_knowledge_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split("\n---\n");
    let subjects = parts.next().unwrap_or_default();
    let files: Vec<(String, &str)> = parts
        .enumerate()
        .map(|(i, t)| (format!("d{i}.toml"), t))
        .collect();
    let (knowledge, _) = load_texts(subjects, &files);
    if let Some(knowledge) = knowledge {
        exercise(&knowledge);
    }
}

/// Renders text as a statement would be, and checks the sanitizer held.
pub fn markdown(text: &str) {
    if text.len() > markdown::MAX_TEXT_BYTES
        || markdown::nesting_over(text, markdown::MAX_NESTING).is_some()
    {
        return;
    }
    let html = markdown::to_html(text).to_ascii_lowercase();
    for tag in tags(&html) {
        assert!(
            !tag.starts_with("script") && !tag.starts_with("svg"),
            "element survived: <{tag}>"
        );
        for attribute in tag.split_whitespace().skip(1) {
            assert!(
                !attribute.starts_with("on"),
                "event handler survived: <{tag}>"
            );
            for scheme in ["javascript:", "vbscript:", "data:"] {
                for name in ["href=\"", "src=\""] {
                    assert!(
                        !attribute.starts_with(&format!("{name}{scheme}")),
                        "{scheme} survived: <{tag}>"
                    );
                }
            }
        }
    }
    let _ = markdown::to_plain_text(text);
}

/// The insides of every tag of sanitized HTML, where text `<` is always escaped: the part
/// between `<` and `>`, quotes respected.
fn tags(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let mut quote = None;
        let end = after.char_indices().find(|&(_, c)| match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                false
            }
            (Some(q), c) if c == q => {
                quote = None;
                false
            }
            (None, '>') => true,
            _ => false,
        });
        let Some((end, _)) = end else { break };
        found.push(&after[..end]);
        rest = &after[end + 1..];
    }
    found
}

/// Runs bytes as a search request against the shipped knowledge base's index, through the
/// function the CLI, the dev server and (compiled to WebAssembly) the browser call. The input
/// is the query, then optionally the limit, a subject and a dimension, each after a `\x1f`
/// (unit separator). Any request must be answered or refused with a one-line error.
pub fn search_query_bytes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\x1f');
    let mut request = Request::new(parts.next().unwrap_or_default());
    if let Some(limit) = parts.next() {
        // Digits that overflow (or are not digits) ask for everything.
        request.limit = limit.trim().parse().unwrap_or(usize::MAX);
    }
    request.subject = parts.next().map(str::to_string);
    request.dimension = parts.next().map(str::to_string);
    match search::query(shipped_index(), &request) {
        Ok(results) => {
            assert!(
                results.hits.len() <= request.limit.min(MAX_LIMIT),
                "{} hits for a limit of {}",
                results.hits.len(),
                request.limit
            );
            assert!(
                results.total >= results.hits.len() as u64,
                "total below hits"
            );
            for (values, name) in [
                (&results.facets.subject, "subject"),
                (&results.facets.dimension, "dimension"),
            ] {
                for (value, count) in values {
                    assert!(*count <= results.total, "{name} facet {value}: {count}");
                }
            }
            for hit in &results.hits {
                let markup = hit
                    .excerpt_html
                    .replace("<mark>", "")
                    .replace("</mark>", "");
                assert!(!markup.contains('<'), "markup in {:?}", hit.excerpt_html);
                assert!(
                    !hit.url.is_empty() && !hit.id.is_empty(),
                    "hit without id or url"
                );
            }
        }
        Err(err) => {
            let message = err.to_string();
            // One line, and nothing a terminal would act on: messages quote what was typed.
            assert!(
                !message.chars().any(|c| c.is_control()
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
                "a control character in the message: {message:?}"
            );
            assert!(
                !matches!(err, QueryError::Index(_)),
                "the index failed: {message}"
            );
        }
    }
}

/// The shipped site's search index, built into memory once and opened as `versus serve` opens
/// its own.
fn shipped_index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = SiteConfig::load(root).expect("the shipped site.toml is valid");
        let (knowledge, diags) = crate::knowledge::load(root, &config, LoadLimits::default());
        let knowledge =
            knowledge.unwrap_or_else(|| panic!("the shipped knowledge loads: {diags:?}"));
        let text = text::RenderedText::new(&knowledge);
        let sink = Sink::Memory(MemorySink::default());
        let inputs = search::Inputs {
            site: "",
            dimension: &|_| String::new(),
        };
        let blobs = crate::output::Blobs::default();
        search::write_index(
            &knowledge,
            &text,
            &config.language,
            &sink,
            &|_| false,
            &inputs,
            &blobs,
        )
        .expect("the shipped knowledge indexes");
        let Sink::Memory(memory) = sink else {
            unreachable!("made as memory above")
        };
        let files = memory.into_files();
        SearchIndex::open_in(move |name| {
            files
                .get(&format!("{INDEX_DIR}/{name}"))
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, name.to_string()))
        })
        .expect("the index just written opens")
    })
}

/// The stages after loading: validation, the decision tree, rendered text.
fn exercise(knowledge: &Knowledge) {
    let config = SiteConfig::parse("site.toml".as_ref(), "title = \"Fuzz\"\n")
        .expect("a fixed, valid site.toml");
    let diags = validate::validate(
        knowledge,
        &config,
        Date {
            year: 2026,
            month: 11,
            day: 1,
        },
    );
    if !diags.has_errors() {
        let _ = decide::derive(knowledge);
    }
    let _ = text::RenderedText::new(knowledge);
}

/// subjects.toml naming every subject a dimension mentions, so that its facts resolve.
fn subjects_of(dimension: &crate::knowledge::Dimension) -> String {
    let mut ids: Vec<&str> = dimension
        .facts
        .iter()
        .flat_map(|f| f.subjects.iter().map(|s| s.value.as_str()))
        .collect();
    ids.extend(["a", "b"]);
    ids.sort_unstable();
    ids.dedup();
    ids.iter()
        .filter(|id| crate::knowledge::is_slug(id))
        .map(|id| format!("[[subjects]]\nid = \"{id}\"\nname = \"{id}\"\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tags_but_not_escaped_text() {
        assert_eq!(
            tags("<a href=\"x>y\">t</a> &lt;script&gt; <img src='a>b'>"),
            ["a href=\"x>y\"", "/a", "img src='a>b'"]
        );
    }
}
