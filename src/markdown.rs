//! Markdown from the knowledge base to safe HTML and to plain text.
//!
//! Knowledge text is untrusted (DESIGN.md's trust model): raw HTML is sanitized with
//! ammonia's default allow-list, and links or images whose scheme is not http, https or mailto
//! are dropped. Size and nesting limits are checked by the loader before any text gets here,
//! because sanitizing deeply nested input is very slow.

use std::collections::HashSet;
use std::sync::OnceLock;

use pulldown_cmark::{Event, Options, Parser, TagEnd};

/// The largest Markdown text the loader accepts, in bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The deepest nesting of block quotes, lists and other containers the loader accepts.
pub const MAX_NESTING: usize = 32;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// How deeply the text's containers nest when that is deeper than `limit`, `None` when it is
/// within it. Most texts are prose with a few markup characters, and counting those settles
/// them without a parse (the text is parsed again when it is rendered).
pub fn nesting_over(text: &str, limit: usize) -> Option<usize> {
    if nesting_bound(text) <= limit {
        return None;
    }
    let depth = nesting_depth(text);
    (depth > limit).then_some(depth)
}

/// A bound on [`nesting_depth`] from the characters that can open a level. Each block
/// container needs one (`>` a quote; a list and its item, two levels, a marker followed by a
/// space, a tab or the line's end: `-`, `+` or `*`, or `.` or `)` after a digit), and so does
/// each inline one (`*` or `_` emphasis, `~` strikethrough, `[` or `<` a link). So hyphens
/// inside words and full stops after them, which most prose has, do not count. The leaf block
/// holding the text (a paragraph, heading, code or HTML block, or a table's cell inside its
/// row and the table) adds at most three levels, of which [`nesting_depth`] does not count
/// the first.
fn nesting_bound(text: &str) -> usize {
    let bytes = text.as_bytes();
    let ends_marker =
        |at: usize| matches!(bytes.get(at + 1), None | Some(b' ' | b'\t' | b'\n' | b'\r'));
    let openers = bytes
        .iter()
        .enumerate()
        .filter(|&(at, byte)| match byte {
            b'>' | b'*' | b'_' | b'~' | b'[' | b'<' => true,
            b'-' | b'+' => ends_marker(at),
            b'.' | b')' => ends_marker(at) && at > 0 && bytes[at - 1].is_ascii_digit(),
            _ => false,
        })
        .count();
    2 * openers + 2
}

/// How deeply the text's containers (quotes, lists, emphasis, links...) nest, stopping early
/// once past the limit.
fn nesting_depth(text: &str) -> usize {
    // Nested `>` or list markers are cheap to count before parsing; a text that is obviously
    // too deep never reaches the parser.
    let quick = text
        .lines()
        .map(|line| line.chars().filter(|c| *c == '>').count())
        .max()
        .unwrap_or(0);
    if quick > MAX_NESTING * 4 {
        return quick;
    }
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for event in Parser::new_ext(text, options()) {
        match event {
            Event::Start(_) => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_NESTING + 2 {
                    break;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    // A paragraph inside the outermost container is not "nesting" for the user.
    deepest.saturating_sub(1)
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .url_relative(ammonia::UrlRelative::PassThrough)
            .link_rel(Some("noopener noreferrer nofollow"));
        builder
    })
}

/// Renders Markdown to sanitized HTML.
pub fn to_html(text: &str) -> String {
    let mut raw = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, Parser::new_ext(text, options()));
    sanitizer().clean(&raw).to_string()
}

/// Renders Markdown that is one paragraph to inline HTML (without the `<p>` wrapper), for
/// table cells and titles; longer texts keep their blocks.
pub fn to_inline_html(text: &str) -> String {
    let html = to_html(text);
    let trimmed = html.trim_end();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|t| t.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => html,
    }
}

/// The text without markup, for search documents, page descriptions and plain-text exports.
pub fn to_plain_text(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    for event in Parser::new_ext(text, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => plain.push_str(&t),
            Event::SoftBreak | Event::HardBreak => plain.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_) | TagEnd::TableCell,
            ) if !plain.ends_with(' ') && !plain.is_empty() => plain.push(' '),
            _ => {}
        }
    }
    plain.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_script_and_event_handlers() {
        let html = to_html("hi <script>alert(1)</script><img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }

    #[test]
    fn drops_dangerous_link_schemes() {
        for scheme in [
            "javascript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "JaVaScRiPt:alert(1)",
        ] {
            let html = to_html(&format!("[x]({scheme}) <a href=\"{scheme}\">y</a>"));
            assert!(
                !html.to_lowercase().contains(&scheme.to_lowercase()[..6]),
                "{html}"
            );
        }
        assert!(to_html("[ok](https://example.com)").contains("href=\"https://example.com\""));
        assert!(to_html("[ok](../x/)").contains("href=\"../x/\""));
    }

    #[test]
    fn drops_svg() {
        let html = to_html("<svg onload=alert(1)><circle/></svg>");
        assert!(!html.contains("svg") && !html.contains("onload"), "{html}");
    }

    #[test]
    fn renders_single_paragraph_inline() {
        assert_eq!(
            to_inline_html("At most **15 minutes**."),
            "At most <strong>15 minutes</strong>."
        );
    }

    #[test]
    fn measures_nesting() {
        assert_eq!(nesting_depth("plain"), 0);
        assert!(nesting_depth(&"> ".repeat(40)) > MAX_NESTING);
        assert!(nesting_depth(&format!("{}x", "> ".repeat(10))) <= MAX_NESTING);
        for deep in [
            "> ".repeat(40),
            format!("{}x", "- ".repeat(20)),
            format!("{}x", "1. ".repeat(20)),
            format!("{}x{}", "*".repeat(80), "*".repeat(80)),
            format!("{}x", "> - ".repeat(20)),
            // Empty items, each holding the next list on the line below.
            (0..20).map(|n| format!("{}-\n", "  ".repeat(n))).collect(),
            (0..20)
                .map(|n| format!("{}1.\r\n", "   ".repeat(n)))
                .collect(),
        ] {
            let depth = nesting_depth(&deep);
            assert!(depth > MAX_NESTING, "{depth}: {deep}");
            assert_eq!(nesting_over(&deep, MAX_NESTING), Some(depth), "{deep}");
        }
        assert_eq!(
            nesting_over("Runs for at most **15 minutes**.", MAX_NESTING),
            None
        );
    }

    /// Texts made of runs of one piece of Markdown each ("> > > x", "1. 1. x", "**x**"...),
    /// where one kind of opener alone makes the nesting.
    fn markdown_runs() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = proptest::sample::select(vec![
            "> ", "- ", "* ", "+ ", "1. ", "1) ", "-", "+", "1.", "1)", "-\t", "2.\n", "x-", "x.",
            "\r\n", "\t", "  ", "    ", "\n", "x ", "**", "*", "_", "__", "~~", "~", "[", "](u)",
            "![", "<", "<a>", "</a>", "|", "| --- |", "# ", "===", "```",
        ]);
        proptest::collection::vec((piece, 1..12usize), 1..6)
            .prop_map(|runs| runs.iter().map(|(piece, n)| piece.repeat(*n)).collect())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]
        /// The bound that spares prose a parse never falls below the depth a parse finds.
        #[test]
        fn the_nesting_bound_is_never_below_the_depth(text in markdown_runs()) {
            proptest::prop_assert!(
                nesting_depth(&text) <= nesting_bound(&text),
                "depth {} over bound {}", nesting_depth(&text), nesting_bound(&text)
            );
        }
    }

    #[test]
    fn extracts_plain_text() {
        assert_eq!(
            to_plain_text("One invocation runs for at most **15 minutes**.\n\n- a\n- `b`"),
            "One invocation runs for at most 15 minutes. a b"
        );
    }
}
