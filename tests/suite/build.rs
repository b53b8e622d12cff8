//! `versus build`: the pages it writes, what they contain, and what a failed build leaves.

use std::collections::BTreeMap;
use std::path::Path;

use scraper::{Html, Selector};

use crate::common::{build_ok, read, shipped_site, site, stderr, versus};

/// Every file under a folder, by relative path.
pub fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read output folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("under root")
                    .to_string_lossy()
                    .replace('\\', "/");
                found.insert(relative, std::fs::read(&path).expect("read output file"));
            }
        }
    }
    found
}

/// The visible text of a page's `<main>`.
fn main_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let main = Selector::parse("main").expect("selector");
    doc.select(&main)
        .flat_map(|m| m.text())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn builds_every_page_of_the_shipped_site() {
    let dir = shipped_site();
    build_ok(dir.path());
    let public = dir.path().join("public");
    for page in ["index.html", "404.html", "sitemap.xml", "static/style.css"] {
        assert!(public.join(page).is_file(), "missing {page}");
    }
    let dimensions: Vec<String> = std::fs::read_dir(dir.path().join("knowledge/dimensions"))
        .expect("ls")
        .map(|e| {
            e.expect("entry")
                .path()
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(dimensions.len() >= 14, "{dimensions:?}");
    for dimension in &dimensions {
        assert!(
            public
                .join("dimensions")
                .join(dimension)
                .join("index.html")
                .is_file(),
            "no page for {dimension}"
        );
    }
    for subject in ["serverless", "containers"] {
        assert!(
            public
                .join("subjects")
                .join(subject)
                .join("index.html")
                .is_file()
        );
    }
    let fact = read(&public, "facts/run-duration/max-runtime/index.html");
    assert!(fact.contains("<strong>15 minutes</strong>"), "{fact}");
    assert!(
        !public.join("compare").exists(),
        "no compare pages for two subjects"
    );
    let sitemap = read(&public, "sitemap.xml");
    assert!(
        sitemap.contains("<loc>/facts/run-duration/max-runtime/</loc>"),
        "{sitemap}"
    );
}

#[test]
fn every_statement_of_the_article_is_findable() {
    let dir = shipped_site();
    build_ok(dir.path());
    let mut corpus = String::new();
    for (path, bytes) in files(&dir.path().join("public")) {
        if path.ends_with(".html") {
            corpus.push_str(&main_text(&String::from_utf8_lossy(&bytes)).to_lowercase());
        }
    }
    // One phrase from each statement of the article, as a reader would search for it.
    let phrases = [
        "more efficient than virtual machines",
        "abstract applications away from the host",
        "no servers to provision or manage",
        "automatically scale with usage",
        "never pay for idle",
        "highly available",
        "standard unit of software",
        "no patching",
        "install almost any software",
        "prepackaged images",
        "128 mb",
        "10,240 mb",
        "6 vcpus",
        "50 mb",
        "250 mb",
        "ec2 instance type",
        "container image",
        "concurrency limit",
        "more than one connection",
        "horizontal pod autoscal",
        "highly burstable",
        "as long as they",
        "fargate",
        "15 minutes",
        "no runtime limit",
        "prolonged periods",
        "s3, sns",
        "iam",
        "multiple availability zones",
        "load balancer",
        "cloudwatch",
        "lambda extensions",
        "fluent bit",
        "prometheus",
        "highly dependent on the platform",
        "container runtime",
        "explicitly support",
        "more difficult to run outside",
        "local frameworks",
        "developer's workstation",
        "resource-based policy",
        "api gateway",
        "eni",
        "fedramp",
        "open policy agent",
        "security groups",
        "no backend to manage",
        "take longer to set up",
        "unpredictable",
        "iot",
        "legacy application",
        "microservices",
        "batch processing",
        "machine learning",
        "hybrid",
        "ci/cd",
        "coexist",
    ];
    let missing: Vec<&str> = phrases
        .iter()
        .copied()
        .filter(|p| !corpus.contains(p))
        .collect();
    assert!(
        missing.is_empty(),
        "not found in the built site: {missing:?}"
    );
}

#[test]
fn builds_matrix_with_gap_cells() {
    let dir = site("build/three-subjects");
    build_ok(dir.path());
    let index = read(dir.path(), "public/index.html");
    let doc = Html::parse_document(&index);
    let rows = Selector::parse("table.matrix tbody tr").expect("selector");
    let gaps = Selector::parse("td.gap").expect("selector");
    let rows: Vec<_> = doc.select(&rows).collect();
    assert_eq!(rows.len(), 2, "one row per dimension");
    // Pricing first (order 10): the shared fact names serverless and containers, not vms.
    assert!(
        rows[0]
            .text()
            .collect::<String>()
            .trim_start()
            .starts_with("Pricing"),
        "{}",
        rows[0].html()
    );
    assert_eq!(rows[0].select(&gaps).count(), 1, "vms has no pricing fact");
    assert_eq!(
        rows[1].select(&gaps).count(),
        1,
        "vms has no run-duration fact"
    );
}

#[test]
fn builds_compare_pages_for_three_subjects() {
    let dir = site("build/three-subjects");
    let output = build_ok(dir.path());
    assert!(
        stderr(&output).contains("no fact about `vms`"),
        "{}",
        stderr(&output)
    );
    for pair in [
        "serverless-vs-containers",
        "serverless-vs-vms",
        "containers-vs-vms",
    ] {
        let page = read(dir.path(), &format!("public/compare/{pair}/index.html"));
        assert_eq!(
            Html::parse_document(&page)
                .select(&Selector::parse("thead th").expect("s"))
                .count(),
            3
        );
    }
    assert!(
        !dir.path()
            .join("public/compare/containers-vs-serverless")
            .exists()
    );
}

#[test]
fn snapshot_dimension_table() {
    let dir = site("");
    build_ok(dir.path());
    let page = read(dir.path(), "public/dimensions/pricing/index.html");
    let doc = Html::parse_document(&page);
    let table = doc
        .select(&Selector::parse("table.matrix").expect("s"))
        .next()
        .expect("a table");
    insta::assert_snapshot!("dimension_table", table.html());
}

#[test]
fn crlf_and_bom_files_load_like_lf_files() {
    let dir = site("build/bom-crlf");
    build_ok(dir.path());
    let fact = read(dir.path(), "public/facts/pricing/pay-per-use/index.html");
    assert!(fact.contains("Café prices:\nper request."), "{fact}");
}

#[test]
fn hostile_text_never_becomes_live_markup() {
    let dir = site("build/hostile");
    build_ok(dir.path());
    let script = Selector::parse("script").expect("s");
    let all = Selector::parse("*").expect("s");
    for (path, bytes) in files(&dir.path().join("public")) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).expect("utf-8");
        let doc = Html::parse_document(&html);
        for element in doc.select(&script) {
            // Only the theme's own scripts: files from static/, or JSON data with no `<`.
            let attrs = element.value();
            let theme_file = attrs.attr("src").is_some_and(|src| src.contains("static/"))
                && element.inner_html().trim().is_empty();
            let data = attrs.attr("type") == Some("application/json")
                && !element.inner_html().contains('<');
            assert!(
                theme_file || data,
                "{path} has a script that is not the theme's: {}",
                element.html()
            );
        }
        let csp = Selector::parse("meta[http-equiv=Content-Security-Policy]").expect("s");
        let policy = doc
            .select(&csp)
            .next()
            .and_then(|m| m.value().attr("content"))
            .unwrap_or_default();
        let directive = |name: &str| {
            policy
                .split(';')
                .map(str::trim)
                .find(|d| d.starts_with(name))
        };
        let scripts = directive("script-src")
            .or_else(|| directive("default-src"))
            .unwrap_or_default();
        assert!(
            (scripts.contains("'self'") || scripts.contains("'none'"))
                && !scripts.contains("unsafe-inline"),
            "{path}: CSP {policy}"
        );
        let diagram = Selector::parse("svg.tree-diagram, svg.tree-diagram *").expect("s");
        let theme_svg: Vec<_> = doc.select(&diagram).map(|e| e.id()).collect();
        for element in doc.select(&all) {
            let name = element.value().name();
            // Embeds carry the theme's CSS inline, in <head>, where knowledge text never goes.
            let in_head = element
                .parent()
                .and_then(|p| p.value().as_element())
                .is_some_and(|p| p.name() == "head");
            let forbidden = ["iframe", "svg", "style", "object", "embed", "math"].contains(&name);
            assert!(
                !forbidden || theme_svg.contains(&element.id()) || (name == "style" && in_head),
                "{path}: <{name}>"
            );
            for (attr, value) in element.value().attrs() {
                assert!(
                    !attr.starts_with("on"),
                    "{path}: event handler {attr}={value}"
                );
                let value = value.trim().to_ascii_lowercase();
                if ["href", "src", "action", "formaction"].contains(&attr) {
                    for scheme in ["javascript:", "data:", "vbscript:"] {
                        assert!(!value.starts_with(scheme), "{path}: {attr}={value}");
                    }
                }
            }
        }
        // Template syntax appears only where the fixture wrote it, shown as text.
        let written = [
            "{{ config }}",
            "{{ page.title }}",
            "{{ site.title }}",
            "{{tpl}}",
            "{{template}}",
            "{{x}}",
        ];
        assert!(
            html.match_indices("{{")
                .all(|(i, _)| written.iter().any(|w| html[i..].starts_with(w))),
            "{path}"
        );
    }
    let fact = read(dir.path(), "public/facts/pricing/xss/index.html");
    assert!(
        fact.contains("{{ page.title }}"),
        "template-looking text is shown as text"
    );
}

#[test]
fn failed_build_keeps_previous_output() {
    let dir = site("");
    build_ok(dir.path());
    let before = files(&dir.path().join("public"));
    std::fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
    std::fs::write(
        dir.path().join("templates/fact.html"),
        "{% extends \"base.html\" %}{% block content %}{{ fact.nope }}{% endblock content %}",
    )
    .expect("write template");
    let output = versus(dir.path(), &["build"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("templates/fact.html:1:"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        files(&dir.path().join("public")),
        before,
        "previous output changed"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".public") && n != ".public.cache")
        .collect();
    assert!(names.is_empty(), "staging left behind: {names:?}");
}

#[test]
fn builds_are_reproducible() {
    let dir = shipped_site();
    build_ok(dir.path());
    let first = files(&dir.path().join("public"));
    build_ok(dir.path());
    let second = files(&dir.path().join("public"));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    let differing: Vec<&String> = first
        .iter()
        .filter(|(path, bytes)| second[*path] != **bytes)
        .map(|(p, _)| p)
        .collect();
    assert!(
        differing.is_empty(),
        "differ between two builds: {differing:?}"
    );
}

#[test]
fn rebuilding_removes_the_previous_output_soon_after() {
    let dir = site("");
    build_ok(dir.path());
    build_ok(dir.path());
    // A clean build replaces the cache's copy of the output, which then goes.
    let clean = versus(dir.path(), &["build", "--clean"]);
    assert!(clean.status.success(), "{}", stderr(&clean));
    let leftovers = || {
        std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".public") && n != ".public.cache")
            .collect::<Vec<_>>()
    };
    let started = std::time::Instant::now();
    while !leftovers().is_empty() {
        assert!(
            started.elapsed().as_secs() < 30,
            "still there: {:?}",
            leftovers()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(dir.path().join("public/index.html").is_file());
}

#[test]
fn new_scaffolds_a_site_that_builds_without_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = versus(dir.path(), &["new", "guide"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = versus(&dir.path().join("guide"), &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("; 0 warnings"),
        "{}",
        stderr(&output)
    );
    let output = versus(dir.path(), &["new", "guide"]);
    assert_eq!(output.status.code(), Some(1), "refuses a non-empty folder");
}

#[test]
fn output_and_base_url_flags_override_site_toml() {
    let dir = site("");
    let output = versus(
        dir.path(),
        &[
            "build",
            "--output",
            "out",
            "--base-url",
            "https://docs.example.org/kb",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let sitemap = read(dir.path(), "out/sitemap.xml");
    assert!(
        sitemap.contains("<loc>https://docs.example.org/kb/dimensions/pricing/</loc>"),
        "{sitemap}"
    );
    let page = read(dir.path(), "out/dimensions/pricing/index.html");
    assert!(
        page.contains("href=\"https://docs.example.org/kb/dimensions/pricing/\""),
        "canonical link"
    );
    assert!(
        page.contains("href=\"../../static/style.css\""),
        "relative asset links"
    );
}
