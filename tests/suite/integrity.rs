//! Output integrity: a build that fails for want of disk space, on a read-only disk, or that is
//! killed at a random moment leaves the previous output byte for byte as it was, and says why.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::common::{build_ok, repo, site, stderr};

/// A digest of every file under a folder: path to content hash.
fn snapshot(root: &Path) -> BTreeMap<String, u64> {
    use std::hash::{Hash, Hasher};
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read output folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                std::fs::read(&path).expect("read").hash(&mut hasher);
                found.insert(
                    path.strip_prefix(root)
                        .expect("under root")
                        .display()
                        .to_string(),
                    hasher.finish(),
                );
            }
        }
    }
    found
}

/// Writes a dimension with `facts` facts per subject into the site at `root`.
fn grow(root: &Path, facts: usize) {
    std::fs::write(
        root.join("knowledge/dimensions/bulk.toml"),
        bulk_dimension(facts),
    )
    .expect("write");
}

/// A dimension with `facts` facts per subject, enough to make the output grow.
fn bulk_dimension(facts: usize) -> String {
    let mut text = String::from("title = \"Bulk\"\n");
    for i in 0..facts {
        for subject in ["serverless", "containers"] {
            text.push_str(&format!(
                "[[facts]]\nid = \"{subject}-{i}\"\nsubject = \"{subject}\"\nstatement = \"Fact {i} about {subject}, with enough words to take some room on the disk.\"\nsources = [\"https://example.com/{i}\"]\n"
            ));
        }
    }
    text
}

/// Runs a shell script in a private mount namespace (so its mounts vanish with it); `None`
/// when this machine does not allow mounting.
fn in_mount_namespace(script: &str) -> Option<std::process::Output> {
    let probe = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return None;
    }
    Some(
        Command::new("unshare")
            .args(["-m", "bash", "-euc", script])
            .output()
            .expect("run unshare"),
    )
}

#[test]
fn full_disk_keeps_previous_output() {
    let dir = site("");
    let binary = env!("CARGO_BIN_EXE_versus");
    let mount = dir.path().join("disk");
    std::fs::create_dir(&mount).expect("mkdir");
    let site_dir = mount.join("site");
    // Build once on a small disk, make the site bigger than the disk can hold, build again.
    let script = format!(
        r#"mount -t tmpfs -o size=24m tmpfs '{mount}'
cp -r '{base}/.' '{site}'
'{binary}' build -q --root '{site}'
(cd '{site}/public' && find . -type f -exec sha256sum {{}} + | sort) > '{mount}/../before.txt'
cp '{bulk}' '{site}/knowledge/dimensions/bulk.toml'
if '{binary}' build --root '{site}' 2> '{mount}/../stderr.txt'; then echo "build should have failed"; exit 3; fi
(cd '{site}/public' && find . -type f -exec sha256sum {{}} + | sort) > '{mount}/../after.txt'
ls -a '{site}' > '{mount}/../listing.txt'"#,
        mount = mount.display(),
        base = repo().join("tests/fixtures/base").display(),
        site = site_dir.display(),
        bulk = dir.path().join("bulk.toml").display(),
    );
    std::fs::write(dir.path().join("bulk.toml"), bulk_dimension(5000)).expect("write");
    let Some(output) = in_mount_namespace(&script) else {
        eprintln!("skipped: this machine does not allow mounting a small disk");
        return;
    };
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect("read");
    assert!(!read("before.txt").is_empty());
    assert_eq!(
        read("before.txt"),
        read("after.txt"),
        "the previous output changed"
    );
    assert!(
        read("stderr.txt").contains("No space left on device"),
        "{}",
        read("stderr.txt")
    );
    assert!(
        !read("listing.txt").contains(".public.staging")
            && !read("listing.txt").contains(".public.previous"),
        "staging left behind: {}",
        read("listing.txt")
    );
}

#[test]
fn read_only_disk_keeps_previous_output() {
    let dir = site("");
    let binary = env!("CARGO_BIN_EXE_versus");
    let mount = dir.path().join("disk");
    std::fs::create_dir(&mount).expect("mkdir");
    let site_dir = mount.join("site");
    let script = format!(
        r#"mount -t tmpfs -o size=8m tmpfs '{mount}'
cp -r '{base}/.' '{site}'
'{binary}' build -q --root '{site}'
(cd '{site}/public' && find . -type f -exec sha256sum {{}} + | sort) > '{mount}/../before.txt'
mount -o remount,ro '{mount}'
if '{binary}' build --root '{site}' 2> '{mount}/../stderr.txt'; then echo "build should have failed"; exit 3; fi
(cd '{site}/public' && find . -type f -exec sha256sum {{}} + | sort) > '{mount}/../after.txt'"#,
        mount = mount.display(),
        base = repo().join("tests/fixtures/base").display(),
        site = site_dir.display(),
    );
    let Some(output) = in_mount_namespace(&script) else {
        eprintln!("skipped: this machine does not allow mounting a read-only disk");
        return;
    };
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect("read");
    assert_eq!(
        read("before.txt"),
        read("after.txt"),
        "the previous output changed"
    );
    assert!(
        read("stderr.txt").contains("Read-only file system"),
        "{}",
        read("stderr.txt")
    );
}

#[test]
fn killed_builds_of_ten_thousand_facts_keep_previous_output() {
    let dir = site("");
    grow(dir.path(), 5000);
    build_ok(dir.path());
    let before = snapshot(&dir.path().join("public"));
    assert!(before.len() > 10_000);
    // Kill at ten moments spread over a build, in a shuffled but repeatable order.
    let started = std::time::Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_versus"))
        .args(["check", "-q"])
        .current_dir(dir.path())
        .output()
        .expect("check");
    assert!(output.status.success(), "{}", stderr(&output));
    let full = started.elapsed().as_millis().max(200) as u64 * 2;
    for i in 0..10u64 {
        let delay = (i * 7919 + 13) % 10 * full / 10 + 5;
        let mut child = Command::new(env!("CARGO_BIN_EXE_versus"))
            .arg("build")
            .current_dir(dir.path())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            snapshot(&dir.path().join("public")) == before,
            "output changed after a kill at {delay} ms"
        );
    }
}
