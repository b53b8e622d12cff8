//! `versus export`: each format for a small fixture (snapshots), filters, usage errors, files
//! written atomically, CSV against formula injection, and JSON that loads back as the same
//! knowledge, for the shipped knowledge base and for generated ones.

use std::path::Path;

use crate::common::{shipped_site, site, stderr, versus};
use crate::embed::{assert_confluence_xhtml, assert_markdown_tables, assert_wikitable};

/// Runs `versus export ARGS` in `dir` and returns what it printed.
fn export(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let output = versus(dir, &all);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// A dimension's table and a single fact, in one format: what a snapshot shows.
fn dimension_and_fact(format: &str) -> String {
    let dir = site("");
    let dimension = export(dir.path(), &["--format", format, "--dimension", "pricing"]);
    let fact = export(
        dir.path(),
        &["--format", format, "--fact", "run-duration/max-runtime"],
    );
    format!("--dimension pricing\n\n{dimension}\n--fact run-duration/max-runtime\n\n{fact}")
}

macro_rules! snapshot_format {
    ($name:ident, $format:literal) => {
        #[test]
        fn $name() {
            insta::with_settings!({filters => vec![(r"versus \d+\.\d+\.\d+", "versus [VERSION]")]}, {
                insta::assert_snapshot!(stringify!($name), dimension_and_fact($format));
            });
        }
    };
}

snapshot_format!(exports_markdown_tables, "md");
snapshot_format!(exports_wikitext_tables, "wikitext");
snapshot_format!(exports_confluence_tables, "confluence");
snapshot_format!(exports_html_tables, "html");
snapshot_format!(exports_json_documents, "json");
snapshot_format!(exports_csv_rows, "csv");

#[test]
fn exports_every_dimension_when_unfiltered() {
    let dir = shipped_site();
    let dimensions = std::fs::read_dir(dir.path().join("knowledge/dimensions"))
        .expect("ls")
        .count();
    let base = ["--base-url", crate::embed::BASE];
    let markdown = export(dir.path(), &[&["--format", "md"][..], &base].concat());
    assert_markdown_tables("md", &markdown, dimensions);
    assert_eq!(
        markdown.matches("\n## ").count() + 1,
        dimensions,
        "a heading per table"
    );
    let wikitext = export(dir.path(), &[&["--format", "wikitext"][..], &base].concat());
    for (i, table) in wikitext.split("\n== ").skip(1).enumerate() {
        let table = table.split_once("==\n\n").expect("heading").1;
        assert_wikitable(&format!("table {i}"), table);
    }
    let confluence = export(
        dir.path(),
        &[&["--format", "confluence"][..], &base].concat(),
    );
    assert_confluence_xhtml("confluence", &confluence);
    assert_eq!(confluence.matches("<table>").count(), dimensions);
}

#[test]
fn subject_filter_keeps_its_column_and_facts_only() {
    let dir = site("");
    let markdown = export(dir.path(), &["--format", "md", "--subject", "containers"]);
    assert!(markdown.contains("| Aspect | Containers |"), "{markdown}");
    assert!(!markdown.contains("Serverless |"), "{markdown}");
    assert!(markdown.contains("as long as they need"), "{markdown}");
    let csv = export(dir.path(), &["--format", "csv", "--subject", "serverless"]);
    assert_eq!(csv.lines().count(), 1 + 3, "header and three facts:\n{csv}");
    let json = export(
        dir.path(),
        &[
            "--format",
            "json",
            "--dimension",
            "run-duration",
            "--subject",
            "containers",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let facts = doc["dimensions"][0]["facts"].as_array().expect("facts");
    assert_eq!(facts.len(), 1);
    assert_eq!(facts[0]["id"], "no-limit");
}

#[test]
fn unknown_ids_are_usage_errors_naming_the_nearest() {
    let dir = site("");
    for (flag, id, nearest) in [
        ("--dimension", "pricng", "pricing"),
        ("--subject", "serverles", "serverless"),
        ("--fact", "pricing/pay-per-us", "pricing/pay-per-use"),
        ("--fact", "max-runtim", "run-duration/max-runtime"),
    ] {
        let output = versus(dir.path(), &["export", "--format", "md", flag, id]);
        assert_eq!(output.status.code(), Some(2), "{flag} {id}");
        let message = stderr(&output);
        assert!(message.contains(&format!("`{id}`")), "{message}");
        assert!(message.contains(&format!("`{nearest}`")), "{message}");
        assert!(output.stdout.is_empty());
    }
    let output = versus(
        dir.path(),
        &[
            "export",
            "--format",
            "md",
            "--fact",
            "run-duration/max-runtime",
            "--subject",
            "containers",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn out_file_is_replaced_atomically_with_what_stdout_shows() {
    let dir = site("");
    let out = dir.path().join("pricing.md");
    std::fs::write(&out, "previous").expect("write");
    let printed = export(dir.path(), &["--format", "md", "--dimension", "pricing"]);
    let output = versus(
        dir.path(),
        &[
            "export",
            "--format",
            "md",
            "--dimension",
            "pricing",
            "--out",
            "pricing.md",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "nothing on stdout with --out");
    assert_eq!(std::fs::read_to_string(&out).expect("read"), printed);
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let output = versus(
        dir.path(),
        &["export", "--format", "md", "--out", "no/such/folder/x.md"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("x.md"), "{}", stderr(&output));
}

/// Splits CSV (RFC 4180) into records of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = vec![Vec::new()];
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => records
                .last_mut()
                .expect("record")
                .push(std::mem::take(&mut field)),
            ('\n', false) => {
                records
                    .last_mut()
                    .expect("record")
                    .push(std::mem::take(&mut field));
                records.push(Vec::new());
            }
            (c, _) => field.push(c),
        }
    }
    records.pop();
    records
}

#[test]
fn csv_quotes_cells_that_spreadsheets_would_run() {
    let dir = site("build/hostile");
    let csv = export(dir.path(), &["--format", "csv"]);
    let records = parse_csv(&csv);
    let width = records[0].len();
    assert!(records.len() > 4, "{csv}");
    let mut quoted = 0;
    for record in &records {
        assert_eq!(record.len(), width, "{record:?}");
        for field in record {
            assert!(
                !field.starts_with(['=', '+', '-', '@']) || field.parse::<f64>().is_ok(),
                "formula-like field `{field}`"
            );
            quoted += usize::from(field.starts_with("'="));
        }
    }
    assert!(
        quoted >= 1,
        "the fixture's =HYPERLINK value is kept, quoted"
    );
    assert!(csv.contains("\"'=HYPERLINK(\"\"https://evil.example.com\"\",\"\"x\"\")\""));
}

#[test]
fn json_export_of_the_shipped_knowledge_loads_back_equal() {
    let dir = shipped_site();
    let json = export(dir.path(), &["--format", "json"]);
    let loaded = versus::embed::json::load(&json).expect("exported JSON loads");
    let original = versus::build::load(dir.path(), &versus::build::LoadOptions::default())
        .unwrap_or_else(|_| panic!("the shipped knowledge base loads"))
        .knowledge;
    assert_eq!(
        roundtrip::normalized(&loaded),
        roundtrip::normalized(&original)
    );
    assert_eq!(loaded.fact_count(), original.fact_count());
    assert!(
        loaded.resolve_fact("run-duration/lambda-timeout").is_some(),
        "look-ups work on loaded knowledge"
    );
}

/// Export → load is the identity, over generated knowledge bases.
mod roundtrip {
    use std::sync::Arc;

    use proptest::prelude::*;
    use versus::config::SiteConfig;
    use versus::diag::SourceFile;
    use versus::embed::{ExportContext, Format, Selection, export, json};
    use versus::knowledge::{
        Answer, Date, Dimension, Fact, FactValue, Knowledge, Question, Subject,
    };
    use versus::text::RenderedText;
    use versus::tomlread::{Located, Origin};

    /// Every field of the model except where it was written, as comparable JSON. The
    /// destructuring is exhaustive, so a new field cannot be forgotten here.
    pub fn normalized(k: &Knowledge) -> serde_json::Value {
        use serde_json::json;
        let subjects: Vec<_> = k
            .subjects
            .iter()
            .map(|s| {
                let Subject {
                    id,
                    name,
                    aka,
                    summary,
                    url,
                    origin: _,
                } = s;
                json!([id, name, aka, summary, url])
            })
            .collect();
        let dimensions: Vec<_> = k
            .dimensions
            .iter()
            .map(|d| {
                let Dimension {
                    id,
                    title,
                    summary,
                    order,
                    tags,
                    facts,
                    questions,
                    origin: _,
                } = d;
                let facts: Vec<_> = facts.iter().map(fact).collect();
                let questions: Vec<_> = questions.iter().map(question).collect();
                json!([id, title, summary, order, tags, facts, questions])
            })
            .collect();
        json!({ "subjects": subjects, "dimensions": dimensions })
    }

    fn fact(f: &Fact) -> serde_json::Value {
        let Fact {
            id,
            dimension,
            subjects,
            shared,
            statement,
            key,
            value,
            unit,
            sources,
            tags,
            verified,
            aliases,
            origin: _,
        } = f;
        let value = value.as_ref().map(|v| match &v.value {
            FactValue::Integer(i) => format!("integer {i}"),
            FactValue::Float(x) => format!("float {x:?}"),
            FactValue::Bool(b) => format!("bool {b}"),
            FactValue::String(s) => format!("string {s}"),
        });
        serde_json::json!([
            id,
            dimension,
            values(subjects),
            shared,
            statement,
            key.as_ref().map(|k| &k.value),
            value,
            unit.as_ref().map(|u| &u.value),
            sources,
            tags,
            verified.map(|d| d.to_string()),
            values(aliases)
        ])
    }

    fn question(q: &Question) -> serde_json::Value {
        let Question {
            id,
            dimension,
            text,
            help,
            answers,
            origin: _,
        } = q;
        let answers: Vec<_> = answers
            .iter()
            .map(|a| {
                let Answer {
                    label,
                    rules_out,
                    favors,
                    because,
                    origin: _,
                } = a;
                let favors: Vec<_> = favors.iter().map(|(s, w)| (&s.value, w)).collect();
                serde_json::json!([label, values(rules_out), favors, values(because)])
            })
            .collect();
        serde_json::json!([id, dimension, text, help, answers])
    }

    fn values(refs: &[Located<String>]) -> Vec<&str> {
        refs.iter().map(|r| r.value.as_str()).collect()
    }

    fn origin() -> Origin {
        Origin {
            file: Arc::new(SourceFile::new("generated.toml".into(), "")),
            span: 0..0,
        }
    }

    fn located(value: String) -> Located<String> {
        Located {
            value,
            origin: origin(),
        }
    }

    fn slug() -> impl Strategy<Value = String> {
        "[a-z0-9][a-z0-9-]{0,8}"
    }

    /// Any text, control characters and markup included.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[ -~\\n]{0,40}",
            Just("</script><b>x</b> | {{t}}".into())
        ]
    }

    fn fact_value() -> impl Strategy<Value = FactValue> {
        prop_oneof![
            any::<i64>().prop_map(FactValue::Integer),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(FactValue::Float),
            any::<bool>().prop_map(FactValue::Bool),
            text().prop_map(FactValue::String),
        ]
    }

    fn date() -> impl Strategy<Value = Date> {
        (1900i32..2200, 1u8..=12, 1u8..=28).prop_map(|(year, month, day)| Date { year, month, day })
    }

    fn subject() -> impl Strategy<Value = Subject> {
        (
            slug(),
            text(),
            prop::collection::vec(text(), 0..3),
            prop::option::of(text()),
        )
            .prop_map(|(id, name, aka, summary)| Subject {
                url: Some(format!("https://example.com/{id}")),
                id,
                name,
                aka,
                summary,
                origin: origin(),
            })
    }

    fn fact_of(
        dimension: String,
        id: String,
        subjects: Vec<String>,
    ) -> impl Strategy<Value = Fact> {
        (
            text(),
            prop::option::of(slug()),
            prop::option::of(fact_value()),
            prop::option::of(text()),
            prop::collection::vec(
                slug().prop_map(|s| format!("https://example.com/{s}")),
                0..3,
            ),
            prop::collection::vec(text(), 0..3),
            prop::option::of(date()),
            prop::collection::vec(slug(), 0..2),
            any::<bool>(),
        )
            .prop_map(
                move |(statement, key, value, unit, sources, tags, verified, aliases, shared)| {
                    Fact {
                        id: id.clone(),
                        dimension: dimension.clone(),
                        subjects: subjects.iter().cloned().map(located).collect(),
                        shared,
                        statement,
                        key: key.map(located),
                        value: value.map(|value| Located {
                            value,
                            origin: origin(),
                        }),
                        unit: unit.map(located),
                        sources,
                        tags,
                        verified,
                        aliases: aliases
                            .into_iter()
                            .map(|a| located(format!("old-{a}")))
                            .collect(),
                        origin: origin(),
                    }
                },
            )
    }

    fn question_of(
        dimension: String,
        id: String,
        subject: String,
    ) -> impl Strategy<Value = Question> {
        (text(), prop::option::of(text()), 1u32..5).prop_map(move |(text, help, weight)| Question {
            id: id.clone(),
            dimension: dimension.clone(),
            text,
            help,
            answers: vec![
                Answer {
                    label: "Yes".into(),
                    rules_out: vec![located(subject.clone())],
                    favors: Vec::new(),
                    because: Vec::new(),
                    origin: origin(),
                },
                Answer {
                    label: "No".into(),
                    rules_out: Vec::new(),
                    favors: vec![(located(subject.clone()), weight)],
                    because: vec![located(format!("{dimension}/f0"))],
                    origin: origin(),
                },
            ],
            origin: origin(),
        })
    }

    fn dimension(id: String, subjects: Vec<String>) -> impl Strategy<Value = Dimension> {
        let facts: Vec<_> = (0..3)
            .map(|f| {
                fact_of(
                    id.clone(),
                    format!("f{f}"),
                    subjects[..=f % subjects.len()].to_vec(),
                )
            })
            .collect();
        let question = question_of(id.clone(), "q".into(), subjects[0].clone());
        (
            text(),
            prop::option::of(text()),
            prop::option::of(any::<i64>()),
            prop::collection::vec(text(), 0..2),
            0usize..=3,
            facts,
            prop::option::of(question),
        )
            .prop_map(
                move |(title, summary, order, tags, count, facts, question)| Dimension {
                    id: id.clone(),
                    title,
                    summary,
                    order,
                    tags,
                    facts: facts.into_iter().take(count).collect(),
                    questions: question.into_iter().collect(),
                    origin: origin(),
                },
            )
    }

    fn knowledge() -> impl Strategy<Value = Knowledge> {
        prop::collection::vec(subject(), 2..4)
            .prop_map(|mut subjects| {
                for (i, s) in subjects.iter_mut().enumerate() {
                    s.id = format!("{}-{i}", s.id);
                }
                subjects
            })
            .prop_flat_map(|subjects| {
                let ids: Vec<String> = subjects.iter().map(|s| s.id.clone()).collect();
                let dimensions: Vec<_> = (0..3)
                    .map(|d| dimension(format!("d{d}"), ids.clone()))
                    .collect();
                (Just(subjects), dimensions, 1usize..=3)
            })
            .prop_map(|(subjects, dimensions, count)| {
                Knowledge::new(subjects, dimensions.into_iter().take(count).collect())
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn exported_json_loads_back_as_the_same_knowledge(knowledge in knowledge()) {
            let config = SiteConfig::parse("site.toml".as_ref(), "title = \"T\"\nbase_url = \"https://kb.example.com/\"\n")
                .unwrap_or_else(|_| panic!("valid configuration"));
            let text = RenderedText::new(&knowledge);
            let ctx = ExportContext { config: &config, knowledge: &knowledge, text: &text };
            let exported = export(&ctx, &Selection::default(), Format::Json);
            let loaded = json::load(&exported).expect("exported JSON loads");
            prop_assert_eq!(normalized(&loaded), normalized(&knowledge));
        }
    }
}
