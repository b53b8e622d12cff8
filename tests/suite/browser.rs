//! End-to-end tests in headless Chromium. The scripts live in `tests/browser/` (Node with
//! playwright-core) and receive a built site; this module runs them. They need `node`,
//! `tests/browser/node_modules` (`npm ci` there) and Chromium: without them the tests are
//! skipped with a note, unless `VERSUS_REQUIRE_BROWSER=1` (set in CI) makes that a failure.

use std::path::Path;
use std::process::Command;

use crate::common::{build_ok, repo, shipped_site, site};

/// Runs `tests/browser/<script>` on a built site folder; `false` when skipped.
pub fn run_script(script: &str, site: &Path, args: &[&str]) -> bool {
    let dir = repo().join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let ready =
        node && dir.join("node_modules/playwright-core").is_dir() && Path::new(&chromium).exists();
    if !ready {
        let required = std::env::var("VERSUS_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "browser tests need node, Chromium at {chromium} and `npm ci` in tests/browser"
        );
        eprintln!("skipped {script}: needs node, Chromium and `npm ci` in tests/browser");
        return false;
    }
    let output = Command::new("node")
        .arg(dir.join(script))
        .arg(site)
        .args(args)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    assert!(
        output.status.success(),
        "{script} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

/// One page of every type of the shipped site, opened as `tests/browser/lib.mjs` `visit`s
/// them: the search page with results, and the overview with the header's results open.
const SHIPPED_PAGES: &[&str] = &[
    "",
    "dimensions/resource-configuration/",
    "subjects/serverless/",
    "facts/run-duration/max-runtime/",
    "decide/",
    "search/?q=15+minutes",
    "#type=cold+start",
    "404.html",
    "embed/facts/run-duration/max-runtime.html",
    "embed/dimensions/resource-configuration.html",
];

/// Every page type of a site with four subjects (so with compare pages), whose knowledge holds
/// what strains a narrow layout: code blocks, long identifiers and URLs, shared cells and gaps.
const FOUR_WAY_PAGES: &[&str] = &[
    "",
    "dimensions/limits/",
    "subjects/bare-metal/",
    "facts/limits/metal-memory/",
    "facts/operations/patching/",
    "compare/serverless-vs-bare-metal/",
    "decide/",
    "search/?q=memory",
    "#type=memory",
    "404.html",
    "embed/facts/limits/metal-memory.html",
    "embed/dimensions/limits.html",
];

fn four_way_site() -> tempfile::TempDir {
    let dir = site("browser/four-way");
    build_ok(dir.path());
    dir
}

#[test]
fn pages_fit_a_phone_in_light_and_dark() {
    let dir = shipped_site();
    build_ok(dir.path());
    run_script("layout.mjs", &dir.path().join("public"), SHIPPED_PAGES);
}

#[test]
fn every_page_type_fits_a_phone_in_light_and_dark() {
    let dir = four_way_site();
    run_script("layout.mjs", &dir.path().join("public"), FOUR_WAY_PAGES);
}

#[test]
fn pages_pass_an_accessibility_audit_in_light_and_dark() {
    let dir = shipped_site();
    build_ok(dir.path());
    run_script("a11y.mjs", &dir.path().join("public"), SHIPPED_PAGES);
}

#[test]
fn every_page_type_passes_an_accessibility_audit_in_light_and_dark() {
    let dir = four_way_site();
    run_script("a11y.mjs", &dir.path().join("public"), FOUR_WAY_PAGES);
}
