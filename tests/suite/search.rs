//! Search: the index `versus build` writes, `versus search` on it, and the same queries in the
//! WebAssembly engine in headless Chromium.

use std::path::Path;

use serde_json::Value;

use crate::browser::run_script;
use crate::common::{build_ok, copy_tree, fixtures, read, shipped_site, site, stderr, versus};

/// `versus search --json QUERY` in a built site, parsed.
fn search_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["search", "--json"];
    all.extend_from_slice(args);
    let output = versus(dir, &all);
    assert!(
        output.status.success(),
        "search failed: {}",
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

fn ids(results: &Value) -> Vec<String> {
    results["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|hit| hit["id"].as_str().expect("id").to_string())
        .collect()
}

/// Asserts that one of `expected` ranks in the top three for `query`.
fn assert_top_three(dir: &Path, query: &str, expected: &[&str]) {
    let results = search_json(dir, &[query, "--limit", "3"]);
    let top = ids(&results);
    assert!(
        top.iter().any(|id| expected.contains(&id.as_str())),
        "{query:?}: expected one of {expected:?} in the top three, got {top:?}"
    );
}

fn databases_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixtures().join("search/databases"), dir.path());
    dir
}

#[test]
fn writes_one_segment_with_a_manifest_of_content_addressed_chunks() {
    let dir = shipped_site();
    build_ok(dir.path());
    let index = dir.path().join("public/search/index");
    let manifest: Value = serde_json::from_str(&read(&index, "manifest.json")).expect("json");
    let files = manifest["files"].as_array().expect("files");
    let segments: std::collections::BTreeSet<&str> = files
        .iter()
        .filter_map(|f| f["name"].as_str()?.split_once('.'))
        .filter(|(stem, _)| *stem != "meta")
        .map(|(stem, _)| stem)
        .collect();
    assert_eq!(segments.len(), 1, "one segment: {segments:?}");
    // Facts, dimensions, subjects and questions of the shipped knowledge base.
    assert_eq!(manifest["documents"], 118 + 15 + 2 + 7);
    for file in files {
        for chunk in file["chunks"].as_array().expect("chunks") {
            let path = chunk["path"].as_str().expect("path");
            let bytes = std::fs::read(index.join(path)).expect("chunk exists");
            assert_eq!(bytes.len() as u64, chunk["size"].as_u64().expect("size"));
        }
    }
    // A small index is fetched whole when search starts: one request per file, not per chunk.
    assert!(manifest["total_size"].as_u64().expect("size") <= 256 * 1024);
    for file in files {
        let chunks = file["chunks"].as_array().expect("chunks");
        assert_eq!(
            chunks.len(),
            1,
            "{} is cut into {} chunks",
            file["name"],
            chunks.len()
        );
    }
    assert_eq!(
        manifest["prefetch"].as_array().expect("prefetch").len(),
        files.len()
    );
}

#[test]
fn ranks_natural_queries_in_the_top_three_on_the_shipped_site() {
    let dir = shipped_site();
    build_ok(dir.path());
    let dir = dir.path();
    assert_top_three(dir, "15 minutes", &["run-duration/max-runtime"]);
    // The shipped knowledge has no fact that says "cold start"; these are the facts about
    // starting new instances and keeping them warm.
    assert_top_three(
        dir,
        "cold start",
        &[
            "scaling/one-request-per-instance",
            "scaling/concurrency-limits",
        ],
    );
    assert_top_three(
        dir,
        "vendor lock-in",
        &[
            "portability/platform-dependence",
            "portability/aws-dependence",
        ],
    );
    let pricing = search_json(dir, &["subject:serverless pricing", "--limit", "3"]);
    for id in ids(&pricing) {
        assert!(
            id.starts_with("pricing/"),
            "{id} in subject:serverless pricing"
        );
    }
}

#[test]
fn ranks_natural_queries_in_the_top_three_on_another_knowledge_base() {
    let dir = databases_site();
    build_ok(dir.path());
    let dir = dir.path();
    assert_top_three(dir, "concurrent writes", &["concurrency/single-writer"]);
    assert_top_three(
        dir,
        "how large can a database grow",
        &["limits/max-database-size"],
    );
    assert_top_three(dir, "replication", &["operations/streaming-replication"]);
    assert_top_three(dir, "subject:sqlite backup", &["operations/backup-copy"]);
    assert_top_three(dir, "point in time recovery", &["operations/pg-dump"]);
    assert_top_three(dir, "json index", &["features/jsonb"]);
    assert_top_three(dir, "geographic data", &["features/extensions"]);
    assert_top_three(dir, "value:[100 TO 1000]", &["limits/max-database-size"]);
}

#[test]
fn prints_one_json_object_with_hits_and_facets() {
    let dir = shipped_site();
    build_ok(dir.path());
    let results = search_json(dir.path(), &["runtime", "--limit", "2"]);
    let keys: Vec<&str> = results
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["facets", "hits", "query", "total"]);
    let hit = &results["hits"][0];
    let mut hit_keys: Vec<&str> = hit
        .as_object()
        .expect("hit")
        .keys()
        .map(String::as_str)
        .collect();
    hit_keys.sort_unstable();
    assert_eq!(
        hit_keys,
        ["excerpt_html", "id", "kind", "score", "title", "url"]
    );
    assert_eq!(results["hits"].as_array().expect("hits").len(), 2);
    assert!(results["total"].as_u64().expect("total") >= 2);
    assert!(
        results["facets"]["subject"]["serverless"]
            .as_u64()
            .is_some()
    );
    assert!(
        results["facets"]["dimension"]["run-duration"]
            .as_u64()
            .is_some()
    );
    let fact = search_json(dir.path(), &["key:max_runtime"]);
    assert_eq!(fact["hits"][0]["id"], "run-duration/max-runtime");
    assert_eq!(fact["hits"][0]["title"], "Serverless · Run duration");
    assert_eq!(fact["hits"][0]["url"], "facts/run-duration/max-runtime/");
    let question = search_json(dir.path(), &["kind:question longer"]);
    assert_eq!(
        question["hits"][0]["url"],
        "decide/?q=run-duration/long-jobs"
    );
}

#[test]
fn filters_by_subject_and_dimension() {
    let dir = shipped_site();
    build_ok(dir.path());
    let results = search_json(
        dir.path(),
        &[
            "limit",
            "--subject",
            "containers",
            "--dimension",
            "run-duration",
        ],
    );
    assert!(results["total"].as_u64().expect("total") > 0);
    for (facet, id) in [("subject", "containers"), ("dimension", "run-duration")] {
        let counts = results["facets"][facet].as_object().expect("facet");
        assert_eq!(counts.len(), 1, "{facet}: {counts:?}");
        assert!(counts.contains_key(id));
    }
}

#[test]
fn corrects_typos_when_nothing_matches() {
    let dir = shipped_site();
    build_ok(dir.path());
    let results = search_json(dir.path(), &["pricng"]);
    assert_eq!(results["did_you_mean"], "pricing");
    assert!(ids(&results).iter().any(|id| id.starts_with("pricing")));
    let human = versus(dir.path(), &["search", "portabilty"]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("showing results for \"portability\""),
        "{text}"
    );
}

#[test]
fn prints_ranked_hits_for_people() {
    let dir = shipped_site();
    build_ok(dir.path());
    let output = versus(dir.path(), &["search", "15 minutes", "--limit", "2"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("results for \"15 minutes\" (showing 2)"),
        "{text}"
    );
    assert!(
        text.contains(" 2. Serverless · Run duration [fact]"),
        "{text}"
    );
    assert!(text.contains("run-duration/max-runtime · facts/run-duration/max-runtime/"));
    assert!(
        text.contains("*15* *minutes*"),
        "matched words stand out: {text}"
    );
    assert!(text.contains("By dimension: run-duration"));
}

#[test]
fn refuses_hostile_queries_with_one_line_and_exit_code_two() {
    let dir = shipped_site();
    build_ok(dir.path());
    let deep = "(".repeat(10_000);
    let long = "lambda ".repeat(15_000);
    for query in [
        deep.as_str(),
        "- *",
        long.as_str(),
        "\"unbalanced quote",
        "title:",
        "title:/pri.*/",
    ] {
        let output = versus(dir.path(), &["search", "--", query]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{query:.40}: {message}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.starts_with("error: "), "{message}");
        assert!(!message.contains("panicked"), "{message}");
        if query.contains('/') {
            assert!(
                message.contains("Regex queries are not allowed"),
                "{message}"
            );
        }
    }
}

#[test]
fn errors_when_the_site_was_not_built() {
    let dir = site("");
    let output = versus(dir.path(), &["search", "anything"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("no search index in"), "{message}");
    assert!(message.contains("public"), "{message}");
    assert!(message.contains("run `versus build` first"), "{message}");
}

#[test]
fn excerpts_never_carry_markup_from_knowledge_text() {
    let dir = site("build/hostile");
    build_ok(dir.path());
    for query in ["script", "alert", "img", "textarea", "onerror", "iframe"] {
        let results = search_json(dir.path(), &[query, "--limit", "20"]);
        for hit in results["hits"].as_array().expect("hits") {
            let html = hit["excerpt_html"].as_str().expect("excerpt");
            let without_marks = html.replace("<mark>", "").replace("</mark>", "");
            assert!(!without_marks.contains('<'), "live markup in {html}");
            assert!(!without_marks.contains('>'), "live markup in {html}");
        }
    }
}

#[test]
fn writes_no_index_and_no_search_box_when_search_is_disabled() {
    let dir = shipped_site();
    let config = read(dir.path(), "site.toml").replace("enabled = true", "enabled = false");
    std::fs::write(dir.path().join("site.toml"), config).expect("write site.toml");
    build_ok(dir.path());
    let public = dir.path().join("public");
    assert!(!public.join("search").exists());
    assert!(!public.join("static/search").exists());
    assert!(!read(&public, "index.html").contains("site-search"));
}

#[test]
fn warns_and_matches_whole_words_for_a_language_without_a_stemmer() {
    let dir = site("");
    let config = read(dir.path(), "site.toml");
    std::fs::write(
        dir.path().join("site.toml"),
        format!("{config}language = \"ja\"\n"),
    )
    .expect("write site.toml");
    let output = build_ok(dir.path());
    let message = stderr(&output);
    assert!(
        message.contains("search has no stemmer for language `ja`"),
        "{message}"
    );
    let results = search_json(dir.path(), &["minutes"]);
    assert!(results["total"].as_u64().expect("total") > 0);
}

/// Requests both front ends answer; the CLI's ranked ids must equal the browser's.
const PARITY_QUERIES: [&str; 12] = [
    "15 minutes",
    "cold start",
    "subject:serverless pricing",
    "\"vendor lock-in\"",
    "kubernetes OR lambda",
    "memory -serverless",
    "value:[100 TO 1000]",
    "kind:question",
    "pricng",
    "scale to zero",
    "dimension:security",
    "containers",
];

#[test]
fn browser_and_cli_rank_the_same_ids() {
    let dir = shipped_site();
    build_ok(dir.path());
    assert_parity(dir.path(), &PARITY_QUERIES);
}

/// A site whose index is too large to fetch at once, in a language with its own stemmer: the
/// browser fetches chunks as queries need them, with the module that has every stemmer.
#[test]
fn browser_and_cli_rank_the_same_ids_on_a_large_french_site() {
    let dir = site("");
    let words = [
        "latence",
        "démarrage",
        "froid",
        "mémoire",
        "coût",
        "réseau",
        "stockage",
        "conteneur",
        "fonction",
        "durée",
        "limite",
        "sécurité",
        "journal",
        "alerte",
        "disque",
        "requêtes",
    ];
    for d in 0..12 {
        let mut text = format!("title = \"Dimension {d}\"\n");
        for f in 0..400 {
            let pick = |k: usize| words[(d * 7 + f * 3 + k * 5) % words.len()];
            text.push_str(&format!(
                "[[facts]]\nid = \"f{f}\"\nsubject = \"{}\"\nstatement = \"Les {} et la {} du {} {f} changent la {} des {}. {}\"\nsources = [\"https://example.com/\"]\n",
                ["serverless", "containers"][f % 2],
                pick(0), pick(1), pick(2), pick(3), pick(4),
                // Long enough text that opening the index reads past the chunks it prefetches.
                words.iter().cycle().skip(f % 16).take(60).copied().collect::<Vec<_>>().join(" ")
            ));
        }
        std::fs::write(
            dir.path().join(format!("knowledge/dimensions/d{d}.toml")),
            text,
        )
        .expect("write dimension");
    }
    let config = read(dir.path(), "site.toml");
    std::fs::write(
        dir.path().join("site.toml"),
        format!("{config}language = \"fr\"\n"),
    )
    .expect("write site.toml");
    build_ok(dir.path());
    let manifest: Value =
        serde_json::from_str(&read(dir.path(), "public/search/index/manifest.json")).expect("json");
    assert!(
        manifest["total_size"].as_u64().expect("size") > 256 * 1024,
        "large enough to load lazily"
    );
    assert_parity(
        dir.path(),
        &[
            "latence",
            "démarrages froids",
            "\"coût du réseau\"",
            "subject:containers disque",
            "memoire",
        ],
    );
}

/// Runs the queries in the browser's engine and with `versus search --json`; the ranked ids,
/// totals, facets and excerpts must be the same.
fn assert_parity(dir: &Path, queries: &[&str]) {
    let requests: Vec<Value> = queries
        .iter()
        .map(|q| serde_json::json!({ "query": q, "limit": 10 }))
        .collect();
    let queries_file = dir.join("queries.json");
    let answers = dir.join("answers.json");
    std::fs::write(
        &queries_file,
        serde_json::to_string(&requests).expect("json"),
    )
    .expect("write");
    let public = dir.join("public");
    let ran = run_script(
        "search.mjs",
        &public,
        &[
            "parity",
            &queries_file.to_string_lossy(),
            &answers.to_string_lossy(),
        ],
    );
    if !ran {
        return;
    }
    let browser: Vec<Value> = serde_json::from_str(&read(dir, "answers.json")).expect("answers");
    assert_eq!(browser.len(), queries.len());
    for (query, answer) in queries.iter().zip(&browser) {
        let cli = search_json(dir, &[query]);
        let browser_ids: Vec<String> = answer["ids"]
            .as_array()
            .unwrap_or_else(|| panic!("{query}: {answer}"))
            .iter()
            .map(|id| id.as_str().expect("id").to_string())
            .collect();
        assert_eq!(ids(&cli), browser_ids, "{query}");
        assert_eq!(cli["total"], answer["total"], "{query}");
        assert_eq!(cli["facets"], answer["facets"], "{query}");
        let excerpts: Vec<&Value> = cli["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|h| &h["excerpt_html"])
            .collect();
        let browser_excerpts: Vec<&Value> = answer["excerpts"]
            .as_array()
            .expect("excerpts")
            .iter()
            .collect();
        assert_eq!(excerpts, browser_excerpts, "{query}");
    }
}

#[test]
fn browser_search_box_answers_as_you_type() {
    let dir = shipped_site();
    build_ok(dir.path());
    run_script("search.mjs", &dir.path().join("public"), &["ui"]);
}

#[test]
fn browser_search_box_sends_what_was_typed_once_ready_and_warms_up_unseen() {
    let dir = shipped_site();
    build_ok(dir.path());
    run_script("search.mjs", &dir.path().join("public"), &["typing"]);
}

#[test]
fn browser_engine_requests_index_chunks_before_compiling_the_module() {
    let dir = shipped_site();
    build_ok(dir.path());
    run_script("search.mjs", &dir.path().join("public"), &["loading"]);
}

#[test]
fn browser_engine_refuses_hostile_queries_and_keeps_working() {
    let dir = shipped_site();
    build_ok(dir.path());
    run_script("search.mjs", &dir.path().join("public"), &["hostile"]);
}
