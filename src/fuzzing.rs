//! Entry points for the fuzz targets in `fuzz/`, kept in the library so that the inputs that
//! once crashed are replayed by the ordinary test suite (`tests/fixtures/fuzz/`).

use crate::config::SiteConfig;
use crate::knowledge::load::{load_texts, parse_dimension_text};
use crate::knowledge::{Date, Knowledge};
use crate::{decide, markdown, text, tomlread, validate};

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
    let refs: Vec<(&str, &str)> = files.iter().map(|(name, t)| (name.as_str(), *t)).collect();
    let (knowledge, _) = load_texts(subjects, &refs);
    if let Some(knowledge) = knowledge {
        exercise(&knowledge);
    }
}

/// Renders text as a statement would be, and checks the sanitizer held.
pub fn markdown(text: &str) {
    if text.len() > markdown::MAX_TEXT_BYTES
        || markdown::nesting_depth(text) > markdown::MAX_NESTING
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
