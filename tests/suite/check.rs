//! `versus check` on broken knowledge bases: every problem reported at once, located, with a
//! hint; one fixture and one snapshot per user-facing error.

use crate::common::{site, stderr, versus};

/// Runs `versus check` on a fixture and returns (exit code, stderr).
fn check(case: &str) -> (i32, String) {
    let dir = site(case);
    let output = versus(dir.path(), &["check"]);
    let text = stderr(&output).replace(&dir.path().display().to_string(), "[SITE]");
    (output.status.code().unwrap_or(-1), text)
}

fn assert_fails(case: &str) -> String {
    let (code, text) = check(case);
    assert_eq!(code, 1, "{case} should fail with exit code 1:\n{text}");
    text
}

macro_rules! error_case {
    ($name:ident, $case:literal) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), assert_fails($case));
        }
    };
}

error_case!(errors_on_malformed_toml, "check/malformed-toml");
error_case!(errors_on_unknown_key_with_nearest_hint, "check/unknown-key");
error_case!(errors_on_wrong_types_at_the_value, "check/wrong-type");
error_case!(errors_on_missing_required_keys, "check/missing-required");
error_case!(errors_on_ids_that_are_not_slugs, "check/bad-slug");
error_case!(errors_on_duplicate_ids, "check/duplicate-ids");
error_case!(
    errors_on_unknown_subjects_with_nearest_id,
    "check/unknown-subject"
);
error_case!(errors_on_dangling_because, "check/dangling-because");
error_case!(errors_on_bad_answers, "check/bad-answers");
error_case!(errors_on_non_web_urls, "check/bad-urls");
error_case!(
    errors_on_duplicate_key_for_one_subject,
    "check/duplicate-key"
);
error_case!(
    errors_on_invalid_utf8_at_line_and_column,
    "check/invalid-utf8"
);
error_case!(errors_on_text_over_limits, "check/too-deep");
error_case!(errors_on_a_single_subject, "check/one-subject");
error_case!(errors_on_missing_site_toml, "check/missing-site");
error_case!(errors_on_empty_knowledge_folder, "check/empty-knowledge");
error_case!(errors_on_missing_theme, "check/missing-theme");
error_case!(
    errors_on_template_syntax_with_file_and_line,
    "check/template-syntax"
);
error_case!(
    errors_on_template_missing_variable,
    "check/template-missing-variable"
);
error_case!(reports_defects_in_several_files_at_once, "check/many-files");
error_case!(
    errors_on_a_template_that_includes_itself,
    "check/template-includes-itself"
);
error_case!(
    errors_on_a_component_that_recurses_without_end,
    "check/template-recursive-component"
);

#[test]
fn warns_without_failing() {
    let (code, text) = check("check/warnings");
    assert_eq!(code, 0, "{text}");
    insta::assert_snapshot!("warns_without_failing", text);
}

#[test]
fn passes_a_valid_knowledge_base_quietly() {
    let (code, text) = check("");
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        text,
        "ok: 2 subjects, 2 dimensions, 5 facts, 1 question; 0 warnings\n"
    );
}

#[test]
fn errors_on_a_file_over_the_size_limit() {
    let dir = site("");
    let big = format!("title = \"Big\"\n# {}\n", "x".repeat(9 * 1024 * 1024));
    std::fs::write(dir.path().join("knowledge/dimensions/big.toml"), big).expect("write");
    let output = versus(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .contains("knowledge/dimensions/big.toml: file is 9.0 MiB, over the 8 MiB limit"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn loads_a_file_just_under_the_size_limit() {
    let dir = site("");
    let mut text = String::from("title = \"Big\"\n");
    let mut i = 0;
    while text.len() < 5 * 1024 * 1024 {
        for subject in ["serverless", "containers"] {
            text.push_str(&format!(
                "[[facts]]\nid = \"f{i}-{subject}\"\nsubject = \"{subject}\"\nstatement = \"Fact number {i} about {subject}, padded with words.\"\nsources = [\"https://example.com/{i}\"]\n\n"
            ));
        }
        i += 1;
    }
    std::fs::write(dir.path().join("knowledge/dimensions/big.toml"), text).expect("write");
    let output = versus(dir.path(), &["check"]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn check_writes_nothing() {
    let dir = site("");
    let output = versus(dir.path(), &["check"]);
    assert!(output.status.success());
    assert!(!dir.path().join("public").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn usage_errors_exit_with_two() {
    let dir = site("");
    let output = versus(dir.path(), &["build", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
    let output = versus(dir.path(), &["build", "--base-url", "javascript:alert(1)"]);
    assert_eq!(output.status.code(), Some(2));
}
