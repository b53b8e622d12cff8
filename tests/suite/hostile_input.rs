//! Hostile and unusual input: what the loader does with files that are too deep, too many,
//! unreadable, looping or not files at all. Each case asserts the exact outcome.

use std::process::Command;

use crate::common::{site, stderr, versus};

/// `versus check` on a fixture site after `prepare` changed it; returns (exit code, stderr).
fn check_with(prepare: impl FnOnce(&std::path::Path)) -> (i32, String) {
    let dir = site("");
    prepare(dir.path());
    let output = versus(dir.path(), &["check"]);
    (output.status.code().unwrap_or(-1), stderr(&output))
}

#[test]
fn errors_on_deeply_nested_tables() {
    let (code, text) = check_with(|root| {
        let deep = format!(
            "title = \"Deep\"\nx = {}1{}\n",
            "{a = ".repeat(5000),
            "}".repeat(5000)
        );
        std::fs::write(root.join("knowledge/dimensions/deep.toml"), deep).expect("write");
    });
    assert_eq!(code, 1);
    assert!(
        text.starts_with("error: knowledge/dimensions/deep.toml:2:"),
        "{text}"
    );
    assert!(text.contains("max recursion depth"), "{text}");
}

#[test]
fn checks_thousands_of_dimensions() {
    let dir = site("");
    for i in 0..3000 {
        let text = format!(
            "title = \"Dimension {i}\"\n[[facts]]\nid = \"s\"\nsubject = \"serverless\"\nstatement = \"Fact {i}.\"\nsources = [\"https://example.com/{i}\"]\n[[facts]]\nid = \"c\"\nsubject = \"containers\"\nstatement = \"Fact {i}.\"\nsources = [\"https://example.com/{i}\"]\n"
        );
        std::fs::write(
            dir.path()
                .join(format!("knowledge/dimensions/d{i:04}.toml")),
            text,
        )
        .expect("write");
    }
    // `check` loads, validates and renders every page, without the disk writes of a build.
    let output = versus(dir.path(), &["check"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("3002 dimensions, 6005 facts"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn errors_on_a_symlink_loop() {
    let (code, text) = check_with(|root| {
        let link = root.join("knowledge/dimensions/loop.toml");
        std::os::unix::fs::symlink(&link, &link).expect("symlink");
    });
    assert_eq!(code, 1);
    assert!(
        text.contains("error: knowledge/dimensions/loop.toml: cannot read file: Too many levels of symbolic links"),
        "{text}"
    );
}

#[test]
fn errors_on_a_folder_or_a_pipe_named_like_a_dimension() {
    let (code, text) = check_with(|root| {
        std::fs::create_dir(root.join("knowledge/dimensions/folder.toml")).expect("mkdir");
        let fifo = root.join("knowledge/dimensions/pipe.toml");
        let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(status.success());
    });
    assert_eq!(code, 1);
    assert!(
        text.contains("error: knowledge/dimensions/folder.toml: expected a file, found a folder"),
        "{text}"
    );
    assert!(
        text.contains("error: knowledge/dimensions/pipe.toml: not a regular file"),
        "{text}"
    );
}

#[test]
fn errors_on_an_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = site("");
    let file = dir.path().join("knowledge/dimensions/pricing.toml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // Root reads anything; run as an unprivileged user when tests run as root.
    let root_user = unsafe { libc::geteuid() } == 0;
    let binary = env!("CARGO_BIN_EXE_versus");
    let output = if root_user {
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                binary,
                "check",
            ])
            .current_dir(dir.path())
            .output()
            .expect("setpriv")
    } else {
        Command::new(binary)
            .arg("check")
            .current_dir(dir.path())
            .output()
            .expect("run")
    };
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "error: knowledge/dimensions/pricing.toml: cannot read file: Permission denied"
        ),
        "{text}"
    );
    assert!(text.contains("make the file readable"), "{text}");
}
