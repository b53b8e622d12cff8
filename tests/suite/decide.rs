//! The decision tree: the page, the JSON, `versus decide`, and the wizard in a browser.

use std::path::Path;

use scraper::{Html, Selector};
use serde_json::Value;

use crate::browser::run_script;
use crate::common::{build_ok, copy_tree, fixtures, read, shipped_site, site, stderr, versus};

/// `versus decide --answers LABELS --json` in a site folder.
fn decide_json(dir: &Path, labels: &str) -> Value {
    let output = versus(dir, &["decide", "--answers", labels, "--json"]);
    assert!(output.status.success(), "{labels}: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

fn three_way() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixtures().join("decide/three-way"), dir.path());
    dir
}

#[test]
fn follows_the_rules_on_an_unseen_three_way_knowledge_base() {
    let dir = three_way();
    // Each expected result worked out by hand from DESIGN.md's rules.
    for (labels, recommendation, ranking) in [
        ("Yes", "sqlite", vec![("sqlite", 0)]),
        ("No,Yes,Yes", "postgresql", vec![("postgresql", 1)]),
        (
            "No,Yes,No",
            "dynamodb",
            vec![("dynamodb", 6), ("postgresql", 1)],
        ),
        (
            "No,No,Yes",
            "postgresql",
            vec![("postgresql", 3), ("sqlite", 1)],
        ),
        (
            "No,No,No",
            "postgresql",
            vec![("postgresql", 3), ("dynamodb", 3), ("sqlite", 1)],
        ),
    ] {
        let result = decide_json(dir.path(), labels);
        assert_eq!(result["recommendation"], recommendation, "{labels}");
        let got: Vec<(String, u64)> = result["ranking"]
            .as_array()
            .expect("ranking")
            .iter()
            .map(|r| {
                (
                    r["subject"].as_str().expect("id").to_string(),
                    r["score"].as_u64().expect("score"),
                )
            })
            .collect();
        let want: Vec<(String, u64)> = ranking.iter().map(|(s, n)| (s.to_string(), *n)).collect();
        assert_eq!(got, want, "{labels}");
    }
    let result = decide_json(dir.path(), "No,Yes,No");
    assert_eq!(result["path"][0]["question"], "deployment/embedded");
    assert_eq!(
        result["path"][1]["question"], "scale/global-scale",
        "the question removing most candidates comes next"
    );
    assert_eq!(
        result["path"][2]["because"],
        serde_json::json!(["querying/key-value"])
    );
}

#[test]
fn long_jobs_lead_to_containers_in_the_shipped_tree() {
    let dir = shipped_site();
    build_ok(dir.path());
    let tree: Value =
        serde_json::from_str(&read(dir.path(), "public/api/decision-tree.json")).expect("JSON");
    assert_eq!(tree["schema_version"], 1);
    let mut found = 0;
    let mut stack = vec![&tree["root"]];
    while let Some(node) = stack.pop() {
        let Some(answers) = node["answers"].as_array() else {
            continue;
        };
        for answer in answers {
            if node["question"]["id"] == "run-duration/long-jobs" && answer["label"] == "Yes" {
                assert_eq!(answer["next"]["leaf"]["recommendation"], "containers");
                found += 1;
            }
            stack.push(&answer["next"]);
        }
    }
    assert!(found > 0, "the long-jobs question is asked somewhere");
    let result = decide_json(dir.path(), "No,No,Yes");
    assert_eq!(result["recommendation"], "containers");
    assert_eq!(result["path"][2]["question"], "run-duration/long-jobs");
}

#[test]
fn decision_tree_json_has_the_documented_shape() {
    let dir = three_way();
    build_ok(dir.path());
    let tree: Value =
        serde_json::from_str(&read(dir.path(), "public/api/decision-tree.json")).expect("JSON");
    let root = &tree["root"];
    assert_eq!(root["question"]["id"], "deployment/embedded");
    assert!(root["question"]["text"].is_string() && root["question"]["help_html"].is_string());
    let yes = &root["answers"][0];
    assert_eq!(yes["label"], "Yes");
    assert_eq!(
        yes["rules_out"],
        serde_json::json!(["postgresql", "dynamodb"])
    );
    assert_eq!(yes["because"], serde_json::json!(["deployment/in-process"]));
    assert_eq!(yes["next"]["leaf"]["recommendation"], "sqlite");
    assert_eq!(
        root["answers"][1]["favors"],
        serde_json::json!({"postgresql": 1, "dynamodb": 1})
    );
    assert_eq!(tree["size"], 9);
}

#[test]
fn labels_that_do_not_fit_are_usage_errors() {
    let dir = three_way();
    for (labels, message) in [
        (
            "Maybe",
            "error: `Maybe` is not an answer to \"Must the database run inside the application process?\"; answer one of: \"Yes\", \"No\"\n",
        ),
        (
            "No",
            "error: after 1 answer, the question \"Do you need automatic scaling across regions?\" needs an answer: one of \"Yes\", \"No\"\n",
        ),
        (
            "Yes,No",
            "error: the recommendation is reached after 1 answer; `No` is one too many\n",
        ),
    ] {
        let output = versus(dir.path(), &["decide", "--answers", labels]);
        assert_eq!(output.status.code(), Some(2), "{labels}");
        assert_eq!(stderr(&output), message);
    }
    let output = versus(dir.path(), &["decide", "--answers", "no , yes,YES"]);
    assert!(
        output.status.success(),
        "labels match ignoring case and spaces: {}",
        stderr(&output)
    );
    let output = versus(dir.path(), &["decide"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "no terminal and no --answers"
    );
}

#[test]
fn prints_the_result_with_its_reasons() {
    let dir = three_way();
    let output = versus(dir.path(), &["decide", "--answers", "No,Yes,No"]);
    assert!(output.status.success());
    insta::assert_snapshot!(
        "decide_text_result",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn errors_on_a_path_that_rules_out_everyone() {
    let dir = site("decide/empty-path");
    let output = versus(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("decide_empty_path", stderr(&output));
}

#[test]
fn the_page_lists_every_path_and_draws_the_diagram() {
    let dir = three_way();
    build_ok(dir.path());
    let page = Html::parse_document(&read(dir.path(), "public/decide/index.html"));
    let select = |s: &str| Selector::parse(s).expect("selector");
    assert_eq!(
        page.select(&select(".tree-list .tree-leaf")).count(),
        5,
        "five leaves"
    );
    assert_eq!(
        page.select(&select(".tree-list details")).count(),
        4,
        "four questions asked"
    );
    let diagram = page
        .select(&select("svg.tree-diagram"))
        .next()
        .expect("an inline SVG diagram");
    assert_eq!(
        diagram.select(&select("a.node")).count(),
        9,
        "one box per node"
    );
    let data = page
        .select(&select("script#decision-data"))
        .next()
        .expect("wizard data");
    assert!(
        !data.inner_html().contains('<'),
        "JSON in the page escapes `<`"
    );
    let fact = read(dir.path(), "public/facts/querying/key-value/index.html");
    assert!(
        fact.contains("Questions that cite this fact"),
        "fact pages link back to questions"
    );
    assert!(
        fact.contains("href=\"../../../decide/?q=querying/joins\""),
        "{fact}"
    );
}

#[test]
fn wizard_works_in_a_browser() {
    let dir = shipped_site();
    build_ok(dir.path());
    run_script(
        "decide.mjs",
        &dir.path().join("public"),
        &[
            "No|No|No|No|Moving an existing|Steady",
            "Containers",
            "scaling/traffic-pattern",
        ],
    );
}

#[test]
fn terminal_wizard_takes_numbers_arrows_and_back() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = three_way();
    let command = format!("{} decide", env!("CARGO_BIN_EXE_versus"));
    // `script` gives the wizard a terminal; keys are typed with pauses so each is read alone.
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run script(1)");
    let mut keys = child.stdin.take().expect("stdin");
    // 2 = No; then ← goes back; 2 = No again; ↓ ↑ Enter = Yes; 2 = No.
    for key in ["2", "\x1b[D", "2", "\x1b[B", "\x1b[A", "\r", "2"] {
        std::thread::sleep(std::time::Duration::from_millis(300));
        keys.write_all(key.as_bytes()).expect("type a key");
        keys.flush().expect("flush");
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(keys);
    let output = child.wait_with_output().expect("wizard output");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Recommendation: DynamoDB (score 6)"),
        "{text}"
    );
    assert!(
        text.contains("Do you rely on joins and ad-hoc SQL? → No"),
        "{text}"
    );
}
