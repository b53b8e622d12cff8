//! Incremental builds: after any edit, a build that rewrites only what changed leaves exactly
//! the files a clean build writes, byte for byte, and no others.

use std::collections::BTreeMap;
use std::path::Path;

use versus::build::{self, LoadOptions, ParsedFiles, Target};

use crate::common::{copy_tree, shipped_site};

/// Builds `root` into its output folder; returns (files written, full build).
fn build_at(root: &Path, clean: bool) -> (usize, bool) {
    let built = build_reporting(root, clean);
    (built.written, built.full)
}

/// Builds as `versus build` does, but a clean build parses every file without a cache, so
/// that it is the reference incremental builds (which decode unchanged files) are held to.
fn build_reporting(root: &Path, clean: bool) -> build::Built {
    let options = LoadOptions {
        parsed: if clean {
            ParsedFiles::Parse
        } else {
            ParsedFiles::Cached
        },
        ..LoadOptions::default()
    };
    let loaded =
        build::load(root, &options).unwrap_or_else(|diags| panic!("load failed: {diags:?}"));
    let built = build::build(&loaded, Target::Disk { clean }, &|_, _| {}).expect("build succeeds");
    if let Some(previous) = &built.previous_output {
        versus::output::remove_previous(previous).expect("remove previous output");
    }
    built
}

/// Every file (with its bytes) and every folder under `root`, by relative path.
fn snapshot(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut entries = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read output folder") {
            let path = entry.expect("entry").path();
            let relative = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                entries.insert(format!("{relative}/"), None);
                stack.push(path);
            } else {
                entries.insert(relative, Some(std::fs::read(&path).expect("read file")));
            }
        }
    }
    entries
}

/// Asserts that the incremental output of `site` equals a clean build of a copy of it.
fn assert_same_as_clean(site: &Path, step: &str) {
    let clean = tempfile::tempdir().expect("tempdir");
    std::fs::copy(site.join("site.toml"), clean.path().join("site.toml")).expect("copy");
    copy_tree(&site.join("knowledge"), &clean.path().join("knowledge"));
    if site.join("templates").is_dir() {
        copy_tree(&site.join("templates"), &clean.path().join("templates"));
    }
    let (_, full) = build_at(clean.path(), true);
    assert!(full);
    let expected = snapshot(&clean.path().join("public"));
    let actual = snapshot(&site.join("public"));
    let differing: std::collections::BTreeSet<&String> = expected
        .keys()
        .chain(actual.keys())
        .filter(|path| expected.get(*path) != actual.get(*path))
        .collect();
    assert!(
        differing.is_empty(),
        "after {step}, the incremental output differs from a clean build in {} paths: {:?}",
        differing.len(),
        differing.iter().take(10).collect::<Vec<_>>()
    );
}

/// Builds twice after an edit, checking both outputs: the first build brings the cache's copy
/// from two builds back up to date, the second the copy from just before the edit, so the
/// second shows whether the edit reached every file that depends on it.
fn rebuild(site: &Path, step: &str) {
    for _ in 0..2 {
        build_at(site, false);
        assert_same_as_clean(site, step);
    }
}

fn edit(site: &Path, file: &str, from: &str, to: &str) {
    let path = site.join(file);
    let text = std::fs::read_to_string(&path).expect("read source");
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write source");
}

#[test]
fn the_parse_cache_is_kept_by_a_build_once_its_pages_are_made_and_only_when_it_changed() {
    let site = shipped_site();
    let cache = versus::output::cache_dir(&site.path().join("public")).join("parsed-knowledge.bin");
    let options = LoadOptions {
        parsed: ParsedFiles::Cached,
        ..LoadOptions::default()
    };
    let loaded = build::load(site.path(), &options).expect("the shipped site loads");
    assert!(!cache.exists(), "loading alone keeps nothing");
    build::build(&loaded, Target::Disk { clean: false }, &|_, _| {}).expect("build succeeds");
    drop(loaded);
    let kept = std::fs::metadata(&cache).expect("the build kept the parsed files");
    // Every file comes from the cache the second time: nothing new to keep, nothing written.
    build_reporting(site.path(), false);
    let again = std::fs::metadata(&cache).expect("still kept");
    assert_eq!(again.modified().ok(), kept.modified().ok());
    assert_eq!(again.len(), kept.len());
}

#[test]
fn incremental_builds_match_clean_builds_byte_for_byte_after_every_kind_of_edit() {
    let dir = shipped_site();
    let site = dir.path();
    // No cache copy yet: the first two builds write everything.
    assert!(build_at(site, false).1 && build_at(site, false).1);
    let built = snapshot(&site.join("public"));
    let total = built.values().filter(|v| v.is_some()).count();
    assert!(
        built.keys().any(|path| path.ends_with(".bin.br")),
        "a build on disk has brotli copies of the index chunks for static hosts"
    );
    // From the third build on, the cache holds an older copy to bring up to date.
    let (written, full) = build_at(site, false);
    assert!(
        !full && written == 0,
        "nothing changed, {written} files written"
    );
    assert_same_as_clean(site, "a build with no change");

    edit(
        site,
        "knowledge/dimensions/run-duration.toml",
        "at most **15 minutes**",
        "at most **fifteen minutes**",
    );
    let built = build_reporting(site, false);
    let (written, full) = (built.written, built.full);
    assert!(!full);
    assert!(
        written * 4 < total,
        "one fact edited, {written} of {total} files written"
    );
    // The whole-site files copy the part of every dimension but two (the edited one, and the
    // one whose question cites its facts) from their old copies: the overview, subject and
    // compare pages, knowledge.json, facts.csv and the subject files.
    let dimensions = std::fs::read_dir(site.join("knowledge/dimensions"))
        .expect("dimensions")
        .count();
    let subjects = 2; // and so no compare pages
    let whole_site_files = 1 + subjects + 1 + 1 + subjects;
    assert_eq!(
        built.reused_parts,
        (dimensions - 2) * whole_site_files,
        "parts reused across {whole_site_files} files of {dimensions} dimensions"
    );
    assert_same_as_clean(site, "editing a fact's statement");

    // A fact cited by a question in another dimension: that dimension's pages show it.
    edit(
        site,
        "knowledge/dimensions/use-cases.toml",
        "[[facts]]",
        "[[facts]]\nid = \"brand-new\"\nsubject = \"containers\"\nstatement = \"A fact added to the top.\"\n\n[[facts]]",
    );
    rebuild(site, "adding a fact");

    edit(
        site,
        "knowledge/dimensions/general.toml",
        "because = [\"no-servers\", \"no-patching\"]",
        "because = [\"no-servers\", \"no-patching\", \"use-cases/brand-new\"]",
    );
    rebuild(site, "citing a fact of another dimension");

    edit(
        site,
        "knowledge/dimensions/use-cases.toml",
        "statement = \"A fact added to the top.\"",
        "statement = \"A fact added to the top, then edited.\"",
    );
    rebuild(site, "editing a fact cited from another dimension");

    edit(
        site,
        "knowledge/dimensions/run-duration.toml",
        "aliases = [\"lambda-timeout\"]",
        "aliases = [\"lambda-timeout\", \"old-name\"]",
    );
    rebuild(site, "adding an alias");

    std::fs::write(
        site.join("knowledge/dimensions/extra.toml"),
        "title = \"Extra\"\n\n[[facts]]\nid = \"one\"\nsubject = \"serverless\"\nstatement = \"One more.\"\n",
    )
    .expect("write dimension");
    rebuild(site, "adding a dimension");
    std::fs::remove_file(site.join("knowledge/dimensions/extra.toml")).expect("remove");
    rebuild(site, "removing a dimension");

    edit(
        site,
        "knowledge/subjects.toml",
        "name = \"Serverless\"",
        "name = \"Functions\"",
    );
    rebuild(site, "editing a subject");

    edit(site, "site.toml", "title = \"", "title = \"The ");
    rebuild(site, "editing site.toml");

    std::fs::create_dir_all(site.join("templates")).expect("mkdir");
    std::fs::write(
        site.join("templates/404.html"),
        "{% extends \"base.html\" %}{% block content %}<h1>Gone</h1>{% endblock content %}",
    )
    .expect("write template");
    rebuild(site, "overriding a template");
}

#[test]
fn a_clean_build_rewrites_everything_and_a_failed_one_leaves_the_output_alone() {
    let dir = shipped_site();
    let site = dir.path();
    build_at(site, false);
    build_at(site, false);
    let before = snapshot(&site.join("public"));
    let (written, full) = build_at(site, true);
    assert!(full && written > 100, "--clean wrote {written} files");
    assert_eq!(snapshot(&site.join("public")), before);

    // A broken edit fails at load; the output and the cache are untouched and the next good
    // build is still incremental.
    edit(
        site,
        "knowledge/dimensions/pricing.toml",
        "[[facts]]",
        "[[facts]]\nid = \"Not A Slug\"",
    );
    assert!(build::load(site, &LoadOptions::default()).is_err());
    assert_eq!(snapshot(&site.join("public")), before);
    edit(
        site,
        "knowledge/dimensions/pricing.toml",
        "[[facts]]\nid = \"Not A Slug\"",
        "[[facts]]",
    );
    build_at(site, false);
    let (written, full) = build_at(site, false);
    assert!(!full && written == 0);
    assert_same_as_clean(site, "a failed build");
}
