//! Helpers shared by the integration tests: fixtures copied into temporary folders, and the
//! `versus` binary run on them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures")
}

/// Copies a folder tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create target folder");
    for entry in std::fs::read_dir(from).expect("read fixture folder") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else if entry.file_name() != ".remove" {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// A site made of the base fixture with `case` laid over it: files in the case replace or add
/// to the base, and paths listed in the case's `.remove` are deleted.
pub fn site(case: &str) -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixtures().join("base"), dir.path());
    if !case.is_empty() {
        let case_dir = fixtures().join(case);
        assert!(case_dir.is_dir(), "no fixture {case}");
        copy_tree(&case_dir, dir.path());
        if let Ok(list) = std::fs::read_to_string(case_dir.join(".remove")) {
            for line in list.lines().filter(|l| !l.trim().is_empty()) {
                let path = dir.path().join(line.trim());
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).expect("remove folder");
                } else {
                    std::fs::remove_file(&path).expect("remove file");
                }
            }
        }
    }
    dir
}

/// A copy of the shipped site (site.toml and knowledge/).
pub fn shipped_site() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(repo().join("site.toml"), dir.path().join("site.toml")).expect("copy site.toml");
    copy_tree(&repo().join("knowledge"), &dir.path().join("knowledge"));
    dir
}

/// Runs the binary in `dir`.
pub fn versus(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_versus"))
        .args(args)
        .current_dir(dir)
        .env_remove("VERSUS_LOG")
        .env("NO_COLOR", "1")
        .output()
        .expect("run versus")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Reads a built file.
pub fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// Runs `versus build` and asserts it succeeded.
pub fn build_ok(dir: &Path) -> Output {
    let output = versus(dir, &["build"]);
    assert!(
        output.status.success(),
        "build failed:\n{}",
        stderr(&output)
    );
    output
}
