//! Watching the sources: site.toml, the knowledge folder and the theme overrides. Changes are
//! debounced (editors write several events per save) and each burst triggers one rebuild.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::http::AppState;
use super::{Rebuilt, install, load, make, publish};
use crate::build::Parts;
use crate::config::SiteConfig;

/// How long the sources must be quiet before a rebuild starts.
const DEBOUNCE: Duration = Duration::from_millis(15);

/// Keeps the sources watched while alive.
pub struct WatchHandle {
    _watcher: Arc<Mutex<RecommendedWatcher>>,
}

/// Watches the sources and rebuilds on change until the handle is dropped.
pub fn start(root: &Path, state: Arc<AppState>) -> Result<WatchHandle> {
    let (sender, receiver) = mpsc::channel::<notify::Result<notify::Event>>();
    let watcher = Arc::new(Mutex::new(
        notify::recommended_watcher(sender).context("cannot watch the sources for changes")?,
    ));
    let mut watched = BTreeSet::new();
    watch_sources(
        root,
        &mut watcher.lock().expect("no panic while watching"),
        &mut watched,
    );
    let weak = Arc::downgrade(&watcher);
    let root = root.to_path_buf();
    std::thread::Builder::new()
        .name("versus-rebuild".into())
        .spawn(move || rebuild_loop(&root, &state, &receiver, &weak, &mut watched))
        .context("cannot start the rebuild thread")?;
    Ok(WatchHandle { _watcher: watcher })
}

/// The folders and files whose changes matter.
fn source_paths(root: &Path) -> Vec<(PathBuf, RecursiveMode)> {
    let knowledge = SiteConfig::load(root)
        .map(|c| c.knowledge_dir)
        .unwrap_or_else(|_| PathBuf::from("knowledge"));
    let mut paths = vec![(root.to_path_buf(), RecursiveMode::NonRecursive)];
    for dir in [
        knowledge,
        PathBuf::from("templates"),
        PathBuf::from("themes"),
    ] {
        let dir = root.join(dir);
        if dir.is_dir() {
            paths.push((dir, RecursiveMode::Recursive));
        }
    }
    paths
}

fn watch_sources(root: &Path, watcher: &mut RecommendedWatcher, watched: &mut BTreeSet<PathBuf>) {
    for (path, mode) in source_paths(root) {
        if watched.insert(path.clone())
            && let Err(err) = watcher.watch(&path, mode)
        {
            tracing::warn!("cannot watch {}: {err}", path.display());
        }
    }
}

fn relevant(event: &notify::Event, root: &Path, output: &Path) -> bool {
    let kind = matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any
    );
    kind && event.paths.iter().any(|path| {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let hidden = name.starts_with('.') || name.ends_with('~') || name.ends_with(".swp");
        let in_output = path.starts_with(output);
        let at_root_level = path.parent() == Some(root);
        let interesting_at_root =
            name == "site.toml" || name == "templates" || name == "themes" || name == "knowledge";
        !hidden && !in_output && (!at_root_level || interesting_at_root)
    })
}

fn rebuild_loop(
    root: &Path,
    state: &AppState,
    receiver: &mpsc::Receiver<notify::Result<notify::Event>>,
    watcher: &Weak<Mutex<RecommendedWatcher>>,
    watched: &mut BTreeSet<PathBuf>,
) {
    let output = SiteConfig::load(root)
        .map(|c| root.join(c.output_dir))
        .unwrap_or_else(|_| root.join("public"));
    loop {
        let Ok(first) = receiver.recv() else { return };
        let mut changed = matches!(&first, Ok(event) if relevant(event, root, &output));
        loop {
            match receiver.recv_timeout(DEBOUNCE) {
                Ok(Ok(event)) => changed |= relevant(&event, root, &output),
                Ok(Err(_)) => {}
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        if !changed {
            continue;
        }
        // Folders created since the start (a new templates/ folder) are watched from now on.
        if let Some(watcher) = watcher.upgrade() {
            watch_sources(
                root,
                &mut watcher.lock().expect("no panic while watching"),
                watched,
            );
        }
        rebuild(root, state);
    }
}

/// Rebuilds after an edit: the pages first, published and reloaded as soon as they are made,
/// then the search index, which on a large site takes longer than the pages.
fn rebuild(root: &Path, state: &AppState) {
    let started = Instant::now();
    let loaded = match load(root) {
        Ok(loaded) => loaded,
        Err(diagnostics) => {
            return report_and_publish(state, Rebuilt::failed(&diagnostics, started));
        }
    };
    let pages = make(&loaded, Some(&serving(state)), Parts::AllButSearch, started);
    let made = pages.site.is_some();
    report_and_publish(state, pages);
    if !made {
        return;
    }
    let started = Instant::now();
    let index = make(&loaded, Some(&serving(state)), Parts::OnlySearch, started);
    let written = index.written;
    match index.site {
        Some(site) => {
            install(state, site);
            if written > 0 {
                eprintln!("Search index rebuilt in {} ms", index.millis);
            }
        }
        None => report_and_publish(state, index),
    }
}

fn serving(state: &AppState) -> Arc<super::Site> {
    Arc::clone(
        &state
            .site
            .read()
            .expect("no panic while holding the site lock"),
    )
}

fn report_and_publish(state: &AppState, rebuilt: Rebuilt) {
    match &rebuilt.status {
        super::live::BuildStatus::Ok => eprintln!(
            "Rebuilt in {} ms ({} files made); {} warnings",
            rebuilt.millis, rebuilt.written, rebuilt.warnings
        ),
        super::live::BuildStatus::Failed { text } => {
            eprintln!("Build failed; still serving the last good site:\n{text}")
        }
    }
    publish(state, rebuilt);
}
