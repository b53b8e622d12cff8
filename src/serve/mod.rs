//! `versus serve`: builds the site into memory, serves it, rebuilds when the sources change and
//! tells open pages to reload. A broken edit keeps the last good site online, with an overlay
//! naming the problem on every page. Calls only the build functions the CLI calls.

pub mod http;
pub mod live;
pub mod site;
mod watch;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, Result};

use crate::build::{self, LoadOptions, Loaded, Parts, Target};
use crate::diag::Diagnostic;
use crate::incremental::Held;
use crate::output::Blobs;
use http::{AllowedHosts, AppState, LiveEvent};
use live::BuildStatus;
use site::Site;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
}

/// The outcome of one build for the server.
pub struct Rebuilt {
    /// The new site, or `None` when the build failed (keep serving the last good one).
    pub site: Option<Site>,
    pub status: BuildStatus,
    pub warnings: usize,
    pub millis: u128,
    /// Files this build made (all of them unless it could reuse the previous site's).
    pub written: usize,
    /// Parts of whole-site files copied from the site being served.
    pub reused_parts: usize,
}

/// Builds the whole site at `root` into memory; given the site being served, only what
/// changed since it was built is made again, and the rest is shared with it.
pub fn build_in_memory(root: &Path, previous: Option<&Site>) -> Rebuilt {
    let started = Instant::now();
    match load(root) {
        Ok(loaded) => make(&loaded, previous, Parts::All, started),
        Err(diagnostics) => Rebuilt::failed(&diagnostics, started),
    }
}

/// Reads and checks the site; the diagnostics sorted for the overlay when it is broken.
pub fn load(root: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    build::load(root, &LoadOptions::default()).map_err(|d| d.sorted())
}

/// Makes `parts` of a loaded site over the site being served (`previous`), sharing the files
/// that did not change with it. `started` is when the rebuild began, for its time.
pub fn make(loaded: &Loaded, previous: Option<&Site>, parts: Parts, started: Instant) -> Rebuilt {
    let held = previous.and_then(|site| site.manifest.clone());
    let warnings = loaded.warnings.warning_count();
    let blobs = previous.map_or_else(|| Arc::new(Blobs::in_memory()), |site| site.blobs.clone());
    let files = |path: &str| Some(Held::Bytes(previous?.get(path)?.bytes.clone()));
    let target = Target::Memory {
        held,
        parts,
        files: Some(&files),
        blobs: Some(&blobs),
    };
    let result = match build::build(loaded, target, &|_, _| {}) {
        Ok(built) => Ok((
            built.memory.unwrap_or_default(),
            built.full,
            built.reused_parts,
        )),
        Err(build::BuildError::Render(crate::render::RenderError::Template(diag))) => {
            Err(vec![*diag])
        }
        Err(other) => Err(vec![Diagnostic::error(None, other.to_string())]),
    };
    let (made, full, reused_parts) = match result {
        Ok(made) => made,
        Err(diagnostics) => return Rebuilt::failed(&diagnostics, started),
    };
    let written = made.files.len();
    let mut site = match previous {
        Some(previous) if !full => {
            let mut site = previous.clone();
            site.update(made.files, &made.removed);
            site
        }
        _ => Site::new(made.files),
    };
    site.manifest = Some(made.manifest);
    site.blobs = blobs;
    Rebuilt {
        site: Some(site),
        status: BuildStatus::Ok,
        warnings,
        millis: started.elapsed().as_millis(),
        written,
        reused_parts,
    }
}

impl Rebuilt {
    fn failed(diagnostics: &[Diagnostic], started: Instant) -> Self {
        Rebuilt {
            site: None,
            status: BuildStatus::failed(diagnostics),
            warnings: 0,
            millis: started.elapsed().as_millis(),
            written: 0,
            reused_parts: 0,
        }
    }
}

/// Applies a build to the server's state and tells open pages.
pub fn publish(state: &AppState, rebuilt: Rebuilt) {
    let event = match &rebuilt.status {
        BuildStatus::Ok => LiveEvent::Reload,
        BuildStatus::Failed { text } => LiveEvent::Failed(text.clone()),
    };
    if let Some(site) = rebuilt.site {
        install(state, site);
    }
    {
        let mut status = state
            .status
            .write()
            .expect("no panic while holding the status lock");
        *status = (status.0 + 1, rebuilt.status);
    }
    let _ = state.events.send(event);
}

/// Serves a new site and its search index from now on; open pages are not told (a new search
/// index alone changes no page).
pub fn install(state: &AppState, site: Site) {
    let site = Arc::new(site);
    *state
        .search
        .write()
        .expect("no panic while holding the search lock") = open_index(&site).ok();
    *state
        .site
        .write()
        .expect("no panic while holding the site lock") = site;
}

/// The search index among a site's files.
fn open_index(site: &Arc<Site>) -> Result<crate::search::SearchIndex, crate::search::SearchError> {
    let files = Arc::clone(site);
    crate::search::SearchIndex::open_in(move |name| {
        files
            .get(&format!("{}/{name}", crate::search::manifest::INDEX_DIR))
            .map(|file| file.bytes.clone())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, name.to_string()))
    })
}

/// Serves until Ctrl-C; `ready` receives the address once the server listens.
pub fn serve(options: ServeOptions, ready: impl FnOnce(SocketAddr, &Rebuilt)) -> Result<()> {
    let first = build_in_memory(&options.root, None);
    let hosts = AllowedHosts::new(options.bind, machine_name().into_iter().collect());
    let state = Arc::new(AppState::new(Site::default(), hosts));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    runtime.block_on(async move {
        let address = SocketAddr::new(options.bind, options.port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| {
                format!("cannot listen on {address} (pass --port 0 to pick a free port)")
            })?;
        let address = listener
            .local_addr()
            .context("cannot read the listening address")?;
        ready(address, &first);
        publish(&state, first);
        let watcher = watch::start(&options.root, Arc::clone(&state))?;
        let app = http::router(Arc::clone(&state));
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("the server stopped with an error")?;
        drop(watcher);
        Ok(())
    })
}

/// The machine's host name, which the server also answers to when bound to all interfaces.
fn machine_name() -> Option<String> {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("ls") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                copy_tree(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
    }

    fn contents(site: &Site) -> std::collections::BTreeMap<String, Vec<u8>> {
        site.paths()
            .map(|path| {
                let file = site.get(path).expect("listed file");
                (path.to_string(), file.bytes.to_vec())
            })
            .collect()
    }

    fn shipped_site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(repo.join("site.toml"), dir.path().join("site.toml")).expect("copy");
        copy_tree(&repo.join("knowledge"), &dir.path().join("knowledge"));
        dir
    }

    /// Rewrites the shipped fact "at most **15 minutes**" as "at most **`words`**".
    fn edit_max_runtime(root: &Path, words: &str) {
        let fact = root.join("knowledge/dimensions/run-duration.toml");
        let text = std::fs::read_to_string(&fact).expect("read");
        let edited = text.replacen("at most **15 minutes**", &format!("at most **{words}**"), 1);
        std::fs::write(&fact, edited).expect("write");
    }

    fn search_ids(site: &Site, query: &str) -> Vec<String> {
        let index =
            open_index(&Arc::new(site.clone())).expect("every file of the served index is there");
        let results = crate::search::query(&index, &crate::search::Request::new(query))
            .expect("the query runs");
        assert!(results.did_you_mean.is_none(), "{query}: {results:?}");
        results.hits.into_iter().map(|hit| hit.id).collect()
    }

    #[test]
    fn pages_come_first_with_the_old_index_whole_then_the_index_and_together_equal_a_full_build() {
        let dir = shipped_site();
        let serving = build_in_memory(dir.path(), None).site.expect("builds");
        edit_max_runtime(dir.path(), "zyxwords");
        let loaded = load(dir.path()).expect("the edited site loads");
        let pages = make(&loaded, Some(&serving), Parts::AllButSearch, Instant::now());
        let pages = pages.site.expect("pages build");
        let page = pages
            .get("facts/run-duration/max-runtime/index.html")
            .expect("page");
        assert!(String::from_utf8_lossy(&page.bytes).contains("zyxwords"));
        assert!(
            search_ids(&pages, "zyxwords").is_empty(),
            "the old index is still served"
        );
        assert_eq!(
            search_ids(&pages, "15 minutes"),
            search_ids(&serving, "15 minutes")
        );
        let index = make(&loaded, Some(&pages), Parts::OnlySearch, Instant::now());
        let site = index.site.expect("the index builds");
        let chunks = site
            .paths()
            .filter(|path| path.starts_with("search/index/"))
            .count();
        assert!(
            index.written > 0 && index.written < chunks,
            "{} of {chunks} index files written: chunks the site holds are kept",
            index.written
        );
        assert_eq!(search_ids(&site, "zyxwords"), ["run-duration/max-runtime"]);
        let full = build_in_memory(dir.path(), None).site.expect("builds");
        assert!(
            contents(&site) == contents(&full),
            "pages then index differ from a full build"
        );
        let again = make(&loaded, Some(&site), Parts::OnlySearch, Instant::now());
        assert_eq!(again.written, 0, "an index already made is not made again");
    }

    #[test]
    fn a_rebuild_remakes_only_what_an_edit_reaches_and_serves_what_a_full_build_would() {
        let dir = shipped_site();
        let first = build_in_memory(dir.path(), None);
        let serving = first.site.expect("the shipped site builds");
        assert!(
            !serving
                .paths()
                .any(|path| path.starts_with("search/index/") && path.ends_with(".br")),
            "the dev server compresses index chunks as it serves them"
        );
        edit_max_runtime(dir.path(), "a quarter hour");
        let rebuilt = build_in_memory(dir.path(), Some(&serving));
        let site = rebuilt.site.expect("the edited site builds");
        assert!(
            rebuilt.written * 4 < serving.len(),
            "{} of {} files made again",
            rebuilt.written,
            serving.len()
        );
        assert!(
            rebuilt.reused_parts > 0,
            "whole-site files copy unchanged dimensions from the served site"
        );
        let page = site
            .get("facts/run-duration/max-runtime/index.html")
            .expect("page");
        assert!(String::from_utf8_lossy(&page.bytes).contains("a quarter hour"));
        let full = build_in_memory(dir.path(), None).site.expect("builds");
        assert!(
            contents(&site) == contents(&full),
            "an incremental rebuild differs from a full one"
        );
    }
}
