//! Embeds, oEmbed, the "embed this" snippets and renamed facts: what a wiki receives from a
//! built site, checked the way each wiki reads it (a GFM renderer without HTML, an XML parser,
//! the wikitable grammar, an iframe on another origin).

use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag};
use scraper::{ElementRef, Html, Selector};

use crate::browser::run_script;
use crate::build::files;
use crate::common::{read, shipped_site, site, stderr, versus};

/// The base URL the tests build with, so that embeds and oEmbed carry absolute URLs.
pub const BASE: &str = "https://kb.example.com/";

/// Builds a site with [`BASE`] as its base URL.
pub fn build_with_base(dir: &Path) {
    let output = versus(dir, &["build", "--base-url", BASE]);
    assert!(
        output.status.success(),
        "build failed:\n{}",
        stderr(&output)
    );
}

/// The built file that an absolute URL of the site names.
pub fn file_of(public: &Path, url: &str) -> PathBuf {
    let path = url
        .strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{url} is not under {BASE}"));
    if path.is_empty() || path.ends_with('/') {
        public.join(path).join("index.html")
    } else {
        public.join(path)
    }
}

pub fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("valid selector")
}

/// Every fact and dimension page (not redirects), by path.
fn pages_with_snippets(public: &Path) -> Vec<(String, String)> {
    files(public)
        .into_iter()
        .filter(|(path, _)| {
            (path.starts_with("facts/") || path.starts_with("dimensions/"))
                && path.ends_with("/index.html")
        })
        .map(|(path, bytes)| (path, String::from_utf8(bytes).expect("UTF-8 page")))
        .filter(|(_, html)| !html.contains("http-equiv=\"refresh\""))
        .collect()
}

/// The text of a page's snippet, as a reader copies it from the text box.
fn snippet(path: &str, html: &str, id: &str) -> String {
    let doc = Html::parse_document(html);
    doc.select(&selector(&format!("textarea#snippet-{id}")))
        .next()
        .unwrap_or_else(|| panic!("{path}: no {id} snippet"))
        .text()
        .collect()
}

/// No element or attribute in an HTML fragment that could run code or restyle its host.
pub fn assert_inert_html(what: &str, doc: &Html, iframes_allowed: bool) {
    for element in doc.select(&selector("*")) {
        let name = element.value().name();
        assert!(
            !["script", "style", "svg", "object", "embed", "math", "form"].contains(&name),
            "{what}: <{name}> in {}",
            doc.html()
        );
        assert!(
            name != "iframe" || iframes_allowed,
            "{what}: unexpected iframe"
        );
        assert_safe_attributes(what, element);
    }
}

fn assert_safe_attributes(what: &str, element: ElementRef<'_>) {
    for (attr, value) in element.value().attrs() {
        assert!(!attr.starts_with("on"), "{what}: {attr}={value}");
        if ["href", "src"].contains(&attr) {
            assert!(
                value.starts_with("https://") || value.starts_with("http://"),
                "{what}: {attr}={value}"
            );
        }
    }
}

/// Validates an oEmbed `rich` response against the spec's required fields and the types of
/// the optional ones it carries; its iframe must point at a built embed page.
fn assert_valid_oembed(public: &Path, what: &str, response: &serde_json::Value) {
    assert_eq!(response["type"], "rich", "{what}");
    assert_eq!(response["version"], "1.0", "{what}");
    for key in ["width", "height"] {
        assert!(
            response[key].as_u64().is_some_and(|n| n > 0),
            "{what}: {key} must be a positive integer"
        );
    }
    for key in ["title", "provider_name"] {
        assert!(response[key].is_string(), "{what}: {key}");
    }
    assert_eq!(response["provider_url"], BASE, "{what}");
    assert!(response["cache_age"].is_u64(), "{what}: cache_age");
    let html = response["html"].as_str().expect("html is a string");
    let doc = Html::parse_fragment(html);
    assert_inert_html(what, &doc, true);
    let iframes: Vec<ElementRef<'_>> = doc.select(&selector("iframe")).collect();
    assert_eq!(iframes.len(), 1, "{what}: {html}");
    let src = iframes[0].value().attr("src").expect("iframe src");
    assert!(src.starts_with(&format!("{BASE}embed/")), "{what}: {src}");
    assert!(file_of(public, src).is_file(), "{what}: no embed at {src}");
}

#[test]
fn every_fact_and_dimension_page_offers_oembed_discovery() {
    let dir = shipped_site();
    build_with_base(dir.path());
    let public = dir.path().join("public");
    let pages = pages_with_snippets(&public);
    assert!(pages.len() > 120, "{} pages", pages.len());
    let discovery = selector(r#"link[rel="alternate"][type="application/json+oembed"]"#);
    for (path, html) in &pages {
        let doc = Html::parse_document(html);
        let link = doc
            .select(&discovery)
            .next()
            .unwrap_or_else(|| panic!("{path}: no oEmbed discovery link"));
        assert!(
            link.value().attr("title").is_some_and(|t| !t.is_empty()),
            "{path}: discovery link without a title"
        );
        let href = link.value().attr("href").expect("href");
        let text = std::fs::read_to_string(file_of(&public, href)).expect("oEmbed file");
        let response: serde_json::Value = serde_json::from_str(&text).expect("oEmbed JSON");
        assert_valid_oembed(&public, path, &response);
    }
}

/// Parses Markdown as GitHub does (GFM tables) and returns the events, raw HTML included so
/// that a test can insist there is none.
fn gfm_events(markdown: &str) -> Vec<Event<'_>> {
    Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .collect()
}

/// The Markdown renders as tables with raw HTML dropped, holds no raw HTML at all, links back
/// under [`BASE`], and keeps every row as wide as its header.
pub fn assert_markdown_tables(what: &str, markdown: &str, tables: usize) {
    let events = gfm_events(markdown);
    let raw: Vec<&Event<'_>> = events
        .iter()
        .filter(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_)))
        .collect();
    assert!(raw.is_empty(), "{what}: raw HTML {raw:?} in\n{markdown}");
    let found = events
        .iter()
        .filter(|e| matches!(e, Event::Start(Tag::Table(_))))
        .count();
    assert_eq!(found, tables, "{what}: tables in\n{markdown}");
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    let doc = Html::parse_fragment(&html);
    assert_inert_html(what, &doc, false);
    assert!(
        doc.select(&selector("a"))
            .any(|a| a.value().attr("href").is_some_and(|h| h.starts_with(BASE))),
        "{what}: no link back in\n{markdown}"
    );
    for table in doc.select(&selector("table")) {
        let width = table.select(&selector("thead th")).count();
        for row in table.select(&selector("tbody tr")) {
            assert_eq!(
                row.select(&selector("td")).count(),
                width,
                "{what}: {}",
                row.html()
            );
        }
    }
}

fn normalize_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn markdown_snippets_render_as_tables_without_html() {
    let dir = shipped_site();
    build_with_base(dir.path());
    let public = dir.path().join("public");
    for (path, html) in pages_with_snippets(&public) {
        let markdown = snippet(&path, &html, "markdown");
        assert_markdown_tables(&path, &markdown, 1);
        assert_markdown_keeps_text(&public, &path, &markdown);
    }
}

/// Escaping loses nothing: on a fact page, the fact's plain text (from its API file) reads the
/// same in the rendered Markdown table.
fn assert_markdown_keeps_text(public: &Path, path: &str, markdown: &str) {
    let Some(fact) = path.strip_prefix("facts/") else {
        return;
    };
    let fact = fact.trim_end_matches("/index.html");
    let api: serde_json::Value =
        serde_json::from_str(&read(public, &format!("api/facts/{fact}.json"))).expect("JSON");
    let plain = api["fact"]["statement"]["text"]
        .as_str()
        .expect("plain text");
    let mut rendered = String::new();
    pulldown_cmark::html::push_html(&mut rendered, gfm_events(markdown).into_iter());
    let text: String = Html::parse_fragment(&rendered)
        .root_element()
        .text()
        .collect();
    assert!(
        normalize_space(&text).contains(&normalize_space(plain)),
        "{path}: `{plain}` not in `{text}`"
    );
}

/// The Confluence snippet parses as XML, holds a table whose rows are as wide as its header,
/// and nothing active.
pub fn assert_confluence_xhtml(what: &str, text: &str) {
    let wrapped = format!("<root>{text}</root>");
    let doc = roxmltree::Document::parse(&wrapped)
        .unwrap_or_else(|err| panic!("{what}: not well-formed XHTML: {err}\n{text}"));
    let tables: Vec<roxmltree::Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("table"))
        .collect();
    assert!(!tables.is_empty(), "{what}: no table in\n{text}");
    for node in doc.descendants().filter(roxmltree::Node::is_element) {
        let name = node.tag_name().name();
        assert!(
            ![
                "script", "style", "iframe", "svg", "object", "embed", "math"
            ]
            .contains(&name),
            "{what}: <{name}>"
        );
        for attr in node.attributes() {
            assert!(!attr.name().starts_with("on"), "{what}: {}", attr.name());
            if ["href", "src"].contains(&attr.name()) {
                assert!(attr.value().starts_with("http"), "{what}: {}", attr.value());
            }
        }
    }
    for table in tables {
        let rows: Vec<usize> = table
            .descendants()
            .filter(|n| n.has_tag_name("tr"))
            .map(|tr| {
                tr.children()
                    .filter(|c| c.has_tag_name("th") || c.has_tag_name("td"))
                    .map(|c| {
                        c.attribute("colspan")
                            .map_or(1, |s| s.parse().expect("span"))
                    })
                    .sum()
            })
            .collect();
        assert!(
            rows.iter().all(|&w| w == rows[0]),
            "{what}: ragged rows {rows:?}"
        );
    }
}

#[test]
fn confluence_snippets_are_well_formed_xhtml() {
    let dir = shipped_site();
    build_with_base(dir.path());
    for (path, html) in pages_with_snippets(&dir.path().join("public")) {
        assert_confluence_xhtml(&path, &snippet(&path, &html, "confluence"));
    }
}

/// Knowledge text in wikitext: no table, template, link, tag, quote or magic-word syntax.
fn assert_wikitext_plain(what: &str, text: &str) {
    let unquoted = text.replace("'''", "");
    for bad in ["|", "{{", "}}", "[", "]", "<", "''", "~~~", "__", "!!"] {
        assert!(!unquoted.contains(bad), "{what}: `{bad}` in `{text}`");
    }
}

/// The wikitext is one `{| class="wikitable"` table whose rows are as wide as its header,
/// followed by one-link attribution and source lines.
pub fn assert_wikitable(what: &str, text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&"{| class=\"wikitable\""),
        "{what}:\n{text}"
    );
    let end = lines
        .iter()
        .position(|l| *l == "|}")
        .unwrap_or_else(|| panic!("{what}: table never closed:\n{text}"));
    let mut columns = 0;
    let mut width: Option<usize> = None;
    for line in &lines[1..end] {
        if let Some(caption) = line.strip_prefix("|+ ") {
            assert_wikitext_plain(what, caption);
        } else if *line == "|-" {
            assert!(
                width.is_none_or(|w| w == columns),
                "{what}: ragged row before {line}"
            );
            width = Some(0);
        } else if let Some(heading) = line.strip_prefix("! ") {
            if columns == 0 {
                let headings: Vec<&str> = heading.split(" !! ").collect();
                headings.iter().for_each(|h| assert_wikitext_plain(what, h));
                columns = headings.len();
            } else {
                assert_wikitext_plain(what, heading);
                width = width.map(|w| w + 1);
            }
        } else if let Some(cell) = line.strip_prefix("| ") {
            let (span, content) = match cell.strip_prefix("colspan=\"") {
                Some(rest) => {
                    let (span, content) = rest.split_once("\" | ").expect("colspan syntax");
                    (span.parse::<usize>().expect("span"), content)
                }
                None => (1, cell),
            };
            assert_wikitext_plain(what, content);
            width = width.map(|w| w + span);
        } else {
            panic!("{what}: unexpected line `{line}`");
        }
    }
    assert!(
        width.is_none_or(|w| w == columns),
        "{what}: ragged last row"
    );
    let from = lines.get(end + 1).expect("attribution line");
    assert!(from.starts_with(&format!("From [{BASE}")), "{what}: {from}");
    for line in &lines[end + 1..] {
        assert_eq!(
            line.matches('[').count(),
            line.matches(']').count(),
            "{what}: {line}"
        );
        assert!(!line.contains("[[") && !line.contains("{{") && !line.contains('<'));
    }
}

#[test]
fn wikitext_snippets_are_well_formed_wikitables() {
    let dir = shipped_site();
    build_with_base(dir.path());
    for (path, html) in pages_with_snippets(&dir.path().join("public")) {
        assert_wikitable(&path, &snippet(&path, &html, "wikitext"));
    }
}

#[test]
fn hostile_text_stays_inert_in_every_format() {
    let dir = site("build/hostile");
    build_with_base(dir.path());
    let public = dir.path().join("public");
    for (path, html) in pages_with_snippets(&public) {
        let markdown = snippet(&path, &html, "markdown");
        assert_markdown_tables(&path, &markdown, 1);
        assert_markdown_keeps_text(&public, &path, &markdown);
        assert_wikitable(&path, &snippet(&path, &html, "wikitext"));
        assert_confluence_xhtml(&path, &snippet(&path, &html, "confluence"));
        let plain = Html::parse_fragment(&snippet(&path, &html, "html"));
        assert_inert_html(&path, &plain, false);
        let iframe = Html::parse_fragment(&snippet(&path, &html, "iframe"));
        assert_inert_html(&path, &iframe, true);
        assert_eq!(iframe.select(&selector("iframe")).count(), 1, "{path}");
    }
    for (path, bytes) in files(&public) {
        if !path.ends_with(".json") {
            continue;
        }
        let text = String::from_utf8(bytes).expect("UTF-8 JSON");
        assert!(
            !text.contains("</"),
            "{path}: `</` could close a script block"
        );
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        if path.starts_with("oembed/") {
            assert_valid_oembed(&public, &path, &value);
        }
    }
    let fact: serde_json::Value =
        serde_json::from_str(&read(&public, "api/facts/pricing/xss.json")).expect("fact JSON");
    let html = fact["fact"]["statement"]["html"].as_str().expect("html");
    assert_inert_html("statement html", &Html::parse_fragment(html), false);
    assert!(
        fact["fact"]["statement"]["markdown"]
            .as_str()
            .is_some_and(|m| m.contains("<script>"))
    );
}

#[test]
fn renamed_facts_redirect_from_their_former_urls() {
    let dir = shipped_site();
    build_with_base(dir.path());
    let public = dir.path().join("public");
    for (former, current) in [
        (
            "facts/run-duration/lambda-timeout/",
            "facts/run-duration/max-runtime/",
        ),
        (
            "embed/facts/run-duration/lambda-timeout.html",
            "embed/facts/run-duration/max-runtime.html",
        ),
    ] {
        let file = |url: &str| {
            if url.ends_with('/') {
                format!("{url}index.html")
            } else {
                url.to_string()
            }
        };
        let page = read(&public, &file(former));
        let doc = Html::parse_document(&page);
        let refresh = doc
            .select(&selector(r#"meta[http-equiv="refresh"]"#))
            .next()
            .expect("meta refresh")
            .value()
            .attr("content")
            .expect("content");
        let target = refresh.strip_prefix("0; url=").expect("immediate refresh");
        let resolved = resolve(former, target);
        assert_eq!(resolved, current, "{former} refreshes to {target}");
        assert!(public.join(file(&resolved)).is_file());
        let canonical = doc
            .select(&selector(r#"link[rel="canonical"]"#))
            .next()
            .and_then(|l| l.value().attr("href"));
        assert_eq!(canonical, Some(format!("{BASE}{current}").as_str()));
        let link = doc
            .select(&selector("body a"))
            .next()
            .expect("visible link");
        assert_eq!(link.value().attr("href"), Some(target));
    }
    // JSON cannot redirect: the former oEmbed URL answers with the current response.
    assert_eq!(
        read(&public, "oembed/facts/run-duration/lambda-timeout.json"),
        read(&public, "oembed/facts/run-duration/max-runtime.json")
    );
    let output = versus(
        dir.path(),
        &[
            "export",
            "--format",
            "md",
            "--fact",
            "run-duration/lambda-timeout",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("15 minutes"));
}

/// A relative URL resolved against a folder page's path, both relative to the site root.
pub fn resolve(from: &str, relative: &str) -> String {
    // A folder URL (`a/b/`) is its own base; a file URL (`a/b.html`) is in its parent folder.
    let folder = if from.ends_with('/') {
        from
    } else {
        from.rsplit_once('/').map_or("", |(dir, _)| dir)
    };
    let mut parts: Vec<&str> = folder
        .trim_end_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    let mut rest = relative;
    while let Some(after) = rest.strip_prefix("../") {
        parts.pop();
        rest = after;
    }
    let base = parts.join("/");
    if base.is_empty() {
        rest.to_string()
    } else {
        format!("{base}/{rest}")
    }
}

#[test]
fn embeds_are_self_contained_and_link_back() {
    let dir = shipped_site();
    build_with_base(dir.path());
    let public = dir.path().join("public");
    let embeds: Vec<(String, Vec<u8>)> = files(&public)
        .into_iter()
        .filter(|(p, _)| p.starts_with("embed/"))
        .collect();
    assert!(embeds.len() > 130, "{} embeds", embeds.len());
    for (path, bytes) in embeds {
        let html = String::from_utf8(bytes).expect("UTF-8");
        if html.contains("http-equiv=\"refresh\"") {
            continue;
        }
        let doc = Html::parse_document(&html);
        assert_eq!(
            doc.select(&selector("link[rel=stylesheet]")).count(),
            0,
            "{path}"
        );
        let style: String = doc
            .select(&selector("head style"))
            .flat_map(|s| s.text())
            .collect();
        assert!(
            style.contains("prefers-color-scheme: dark"),
            "{path}: no dark scheme"
        );
        let scripts: Vec<&str> = doc
            .select(&selector("script"))
            .filter_map(|s| s.value().attr("src"))
            .collect();
        let expected = format!("{}static/embed.js", "../".repeat(path.matches('/').count()));
        assert_eq!(
            scripts,
            [expected.as_str()],
            "{path}: only the height script"
        );
        let attribution = doc
            .select(&selector(".attribution a[target=_blank][rel~=noopener]"))
            .next()
            .unwrap_or_else(|| panic!("{path}: no link back"));
        let permalink = attribution.value().attr("href").expect("href");
        assert!(permalink.starts_with(BASE), "{path}: {permalink}");
        assert!(file_of(&public, permalink).is_file(), "{path}: {permalink}");
        let text: String = doc.root_element().text().collect();
        assert!(text.contains("as of 2026-11-01"), "{path}: no date");
        assert!(text.contains("Sources:"), "{path}: no sources");
    }
}

#[test]
fn embed_in_a_cross_origin_iframe_shows_the_fact_and_reports_its_height() {
    let dir = shipped_site();
    build_with_base(dir.path());
    run_script(
        "embed.mjs",
        &dir.path().join("public"),
        &[
            "embed/facts/run-duration/max-runtime.html|at most 15 minutes",
            "embed/dimensions/resource-configuration.html|10,240",
        ],
    );
}

#[test]
fn fact_pages_carry_every_snippet_with_attribution_and_sources() {
    let dir = site("");
    build_with_base(dir.path());
    let public = dir.path().join("public");
    let page = read(&public, "facts/run-duration/max-runtime/index.html");
    for id in ["iframe", "markdown", "wikitext", "confluence", "html"] {
        let text = snippet("max-runtime", &page, id);
        assert!(
            text.contains(&format!("{BASE}facts/run-duration/max-runtime/")),
            "{id}: no attribution link:\n{text}"
        );
        assert!(
            text.contains(
                "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
            ),
            "{id}: no source:\n{text}"
        );
        assert!(text.contains("2026-11-01"), "{id}: no date:\n{text}");
    }
    let doc = Html::parse_document(&page);
    let copy = doc
        .select(&selector("script[src]"))
        .filter_map(|s| s.value().attr("src"))
        .collect::<Vec<_>>();
    assert_eq!(
        copy,
        [
            "../../../static/search/search.js",
            "../../../static/copy.js"
        ]
    );
    assert!(
        doc.select(&selector("textarea[readonly]")).count() == 5,
        "snippets are read-only text"
    );
}

#[test]
fn snippets_are_text_without_javascript_and_copy_exactly_with_it() {
    let dir = shipped_site();
    build_with_base(dir.path());
    run_script(
        "snippets.mjs",
        &dir.path().join("public"),
        &["facts/run-duration/max-runtime/", "dimensions/pricing/"],
    );
}
