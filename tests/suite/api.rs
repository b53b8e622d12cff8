//! The static JSON API under `public/api/`: every endpoint listed and present, the same bytes
//! on every build, text in Markdown and sanitized HTML, and every page linking its JSON twin.

use scraper::Html;

use crate::build::files;
use crate::common::{read, shipped_site};
use crate::embed::{BASE, build_with_base, file_of, selector};

fn json(public: &std::path::Path, path: &str) -> serde_json::Value {
    serde_json::from_str(&read(public, path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn index_lists_every_endpoint_and_each_one_exists() {
    let dir = shipped_site();
    build_with_base(dir.path());
    let public = dir.path().join("public");
    let index = json(&public, "api/index.json");
    assert_eq!(index["schema_version"], 1);
    let endpoints = index["endpoints"].as_object().expect("endpoints");
    for name in ["index", "knowledge", "facts_csv", "decision_tree"] {
        let url = endpoints[name].as_str().expect("URL");
        assert!(file_of(&public, url).is_file(), "{name}: {url}");
    }
    for list in ["dimensions", "subjects"] {
        for entry in index[list].as_array().expect("list") {
            let url = entry["json"].as_str().expect("json URL");
            let file: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(file_of(&public, url)).expect("file"),
            )
            .expect("JSON");
            assert_eq!(file["schema_version"], 1, "{url}");
            assert!(file_of(&public, entry["page"].as_str().expect("page")).is_file());
        }
    }
    let knowledge = json(&public, "api/knowledge.json");
    let template = index["templates"]["fact"].as_str().expect("fact template");
    let mut facts = 0;
    for dimension in knowledge["dimensions"].as_array().expect("dimensions") {
        for fact in dimension["facts"].as_array().expect("facts") {
            let url = template
                .replace("{dimension}", dimension["id"].as_str().expect("id"))
                .replace("{fact}", fact["id"].as_str().expect("id"));
            let file: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(file_of(&public, &url)).expect("file"),
            )
            .expect("JSON");
            assert_eq!(file["fact"]["global_id"], fact["global_id"]);
            facts += 1;
        }
    }
    assert_eq!(facts, 118);
    let csv = read(&public, "api/facts.csv");
    assert_eq!(csv.lines().next().map(|h| h.split(',').count()), Some(16));
    assert!(csv.contains(&format!(",{BASE}facts/run-duration/max-runtime/\n")));
    let tree = json(&public, "api/decision-tree.json");
    assert_eq!(
        tree["schema_version"], 1,
        "the decision tree is listed and written"
    );
}

#[test]
fn api_and_oembed_files_are_identical_across_builds() {
    let dir = shipped_site();
    let data = |dir: &std::path::Path| {
        build_with_base(dir);
        files(&dir.join("public"))
            .into_iter()
            .filter(|(p, _)| p.starts_with("api/") || p.starts_with("oembed/"))
            .collect::<Vec<_>>()
    };
    let first = data(dir.path());
    assert!(first.len() > 250, "{} files", first.len());
    assert!(first == data(dir.path()), "a rebuild changed the API");
}

#[test]
fn text_fields_carry_markdown_and_sanitized_html() {
    let dir = shipped_site();
    build_with_base(dir.path());
    let public = dir.path().join("public");
    let fact = json(&public, "api/facts/run-duration/max-runtime.json");
    let statement = &fact["fact"]["statement"];
    assert!(
        statement["markdown"]
            .as_str()
            .expect("md")
            .contains("**15 minutes**")
    );
    assert!(
        statement["html"]
            .as_str()
            .expect("html")
            .contains("<strong>15 minutes</strong>")
    );
    assert!(
        statement["text"]
            .as_str()
            .expect("text")
            .contains("at most 15 minutes")
    );
    assert_eq!(fact["fact"]["value"], 900);
    assert_eq!(fact["fact"]["value_type"], "integer");
    assert_eq!(fact["fact"]["aliases"][0], "lambda-timeout");
    assert_eq!(fact["dimension"]["id"], "run-duration");
    assert_eq!(fact["subjects"][0]["name"], "Serverless");
    for link in ["page", "json", "embed", "oembed"] {
        let url = fact["links"][link].as_str().expect("link");
        assert!(file_of(&public, url).is_file(), "{link}: {url}");
    }
    let subject = json(&public, "api/subjects/serverless.json");
    let facts = subject["facts"].as_array().expect("facts");
    assert!(facts.iter().all(|f| {
        f["subjects"]
            .as_array()
            .expect("subjects")
            .contains(&"serverless".into())
    }));
}

#[test]
fn every_page_links_its_json_twin() {
    let dir = shipped_site();
    build_with_base(dir.path());
    let public = dir.path().join("public");
    let alternate = selector(r#"link[rel="alternate"][type="application/json"]"#);
    let visible = selector(r#"footer a[type="application/json"]"#);
    let mut checked = 0;
    for (path, bytes) in files(&public) {
        let is_page = path.ends_with("index.html")
            && !path.starts_with("embed/")
            && !path.starts_with("static/");
        // Pages of other stages (search, decide) link their own data, if any.
        let other_stage = path.starts_with("search/") || path.starts_with("decide/");
        if !is_page || other_stage {
            continue;
        }
        let html = String::from_utf8(bytes).expect("UTF-8");
        if html.contains("http-equiv=\"refresh\"") {
            continue;
        }
        let doc = Html::parse_document(&html);
        let href = doc
            .select(&alternate)
            .next()
            .and_then(|l| l.value().attr("href"))
            .unwrap_or_else(|| panic!("{path}: no JSON twin"));
        let folder = path.trim_end_matches("index.html");
        let twin = crate::embed::resolve(folder, href);
        assert!(public.join(&twin).is_file(), "{path}: {href} -> {twin}");
        assert!(
            doc.select(&visible)
                .any(|a| a.value().attr("href") == Some(href)),
            "{path}: no visible link to {href}"
        );
        checked += 1;
    }
    assert!(checked > 130, "{checked} pages");
}
