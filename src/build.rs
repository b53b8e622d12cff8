//! The orchestrator: [`load`] reads and checks everything (all that `versus check` does), and
//! [`build`] renders the loaded site into an output sink. Front ends call these two and
//! nothing below them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::api;
use crate::config::SiteConfig;
use crate::decide::{self, DecisionTree};
use crate::diag::Diagnostics;
use crate::incremental::{Fingerprints, Held, Manifest, Plan, ReadHeld, Reuse, Scope};
use crate::knowledge::cache::ParseCache;
use crate::knowledge::{self, Date, Knowledge, LoadLimits};
use crate::output::{Blobs, DiskSink, MemorySink, OutputError, Sink, cache_dir, write_atomically};
use crate::render::embeds::{EmbedPage, export_context, render_embed_pages};
use crate::render::{Page, RenderContext, RenderError, Templates, render_pages};
use crate::search::{self, SearchError};
use crate::text::RenderedText;
use crate::theme::Theme;
use crate::validate;

/// The folder in the output's cache where the search index's groups are kept.
const SEARCH_BLOBS: &str = "search";

/// The file in the output's cache where parsed knowledge files are kept.
const PARSED_FILES: &str = "parsed-knowledge.bin";

/// Settings given on the command line that override site.toml.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub output_dir: Option<PathBuf>,
    pub base_url: Option<String>,
    /// The date staleness is measured against; today when `None`.
    pub today: Option<Date>,
    pub limits: LoadLimits,
    pub parsed: ParsedFiles,
}

/// Whether loading keeps the parsed knowledge files in the output's cache, for the next load
/// ([`knowledge::cache`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ParsedFiles {
    /// Every file is parsed and nothing is kept: `check`, the dev server, tests.
    #[default]
    Parse,
    /// Unchanged files are taken from the cache, and the others kept there: `versus build`.
    Cached,
    /// Every file is parsed, and kept for the next load: `versus build --clean`.
    Refresh,
}

/// A site read and checked, ready to build.
pub struct Loaded {
    pub root: PathBuf,
    pub config: SiteConfig,
    pub knowledge: Knowledge,
    pub theme: Theme,
    pub templates: Templates,
    /// The decision tree, when the knowledge base has questions.
    pub tree: Option<DecisionTree>,
    /// Warnings found while loading (errors make loading fail).
    pub warnings: Diagnostics,
    pub timings: Timings,
    /// Every Markdown text rendered, on first use: builds of several parts of the same loaded
    /// site (the dev server's pages, then its search index) render them once.
    text: std::sync::OnceLock<RenderedText>,
    /// The parse cache to keep for the next load, and where: written by [`build`] once its
    /// pages are done, while the search index merges on the other core, rather than holding
    /// up everything after loading.
    parsed_to_keep: std::sync::Mutex<Option<(PathBuf, Vec<u8>)>>,
}

impl Loaded {
    /// The knowledge base's Markdown, rendered.
    pub fn text(&self) -> &RenderedText {
        self.text.get_or_init(|| RenderedText::new(&self.knowledge))
    }

    /// Writes the parse cache that loading made, if it changed, once. Failing to keep it only
    /// costs the next build time.
    fn keep_parsed_files(&self) {
        let pending = self
            .parsed_to_keep
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some((path, bytes)) = pending {
            if let Some(folder) = path.parent() {
                let _ = std::fs::create_dir_all(folder);
            }
            let _ = write_atomically(&path, &bytes);
        }
    }
}

/// How long each stage took, for the build summary and benchmarks.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub load: Duration,
    pub validate: Duration,
    pub derive: Duration,
    /// Fingerprinting the inputs and reading what the output folder already holds.
    pub plan: Duration,
    pub render: Duration,
    pub index: Duration,
    /// Time spent writing files, summed over threads (the writes overlap rendering).
    pub write: Duration,
    /// Swapping the new output in and removing the old.
    pub commit: Duration,
}

impl Timings {
    /// `{"load": ms, ...}`, for `versus build --timings` and benchmarks.
    pub fn to_json(&self) -> String {
        let ms = |d: Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
        serde_json::json!({
            "load": ms(self.load),
            "validate": ms(self.validate),
            "derive": ms(self.derive),
            "plan": ms(self.plan),
            "render": ms(self.render),
            "index": ms(self.index),
            "write": ms(self.write),
            "commit": ms(self.commit),
        })
        .to_string()
    }
}

/// Reads site.toml, the theme and the knowledge base and runs every check.
pub fn load(root: &Path, options: &LoadOptions) -> Result<Loaded, Diagnostics> {
    let started = Instant::now();
    let (config, mut diags) = SiteConfig::load_lenient(root);
    let Some(mut config) = config else {
        return Err(diags);
    };
    if let Some(output) = &options.output_dir {
        config.output_dir = output.clone();
    }
    if let Some(base_url) = &options.base_url {
        config.base_url = base_url.clone();
    }
    // The theme's templates compile while the knowledge base is read: neither needs the other.
    let ((theme, templates), ((knowledge, load_diags), parsed_to_keep)) = rayon::join(
        || {
            let theme = Theme::load(root, &config.theme);
            let templates = theme.as_ref().ok().map(Templates::new);
            (theme, templates)
        },
        || {
            let cache_folder = cache_dir(&root.join(&config.output_dir));
            let path = cache_folder.join(PARSED_FILES);
            let cache = match options.parsed {
                ParsedFiles::Parse => None,
                ParsedFiles::Cached => ParseCache::open(std::fs::read(&path).ok()),
                ParsedFiles::Refresh => ParseCache::open(None),
            };
            let loaded =
                knowledge::load::load_with_cache(root, &config, options.limits, cache.as_ref());
            let to_keep = cache
                .and_then(ParseCache::into_bytes)
                .map(|bytes| (path, bytes));
            (loaded, to_keep)
        },
    );
    diags.extend(load_diags);
    let mut timings = Timings {
        load: started.elapsed(),
        ..Timings::default()
    };
    let theme = match theme {
        Ok(theme) => {
            diags.extend(theme.warnings.clone());
            Some(theme)
        }
        Err(theme_diags) => {
            diags.extend(theme_diags);
            None
        }
    };
    let templates = templates.transpose().unwrap_or_else(|template_diags| {
        diags.extend(template_diags);
        None
    });
    let started = Instant::now();
    if let Some(knowledge) = &knowledge {
        diags.extend(validate::validate(
            knowledge,
            &config,
            options.today.unwrap_or_else(Date::today),
        ));
    }
    timings.validate = started.elapsed();
    let started = Instant::now();
    let mut tree = None;
    if let Some(knowledge) = &knowledge
        && !diags.has_errors()
    {
        let (derived, tree_diags) = decide::derive(knowledge);
        diags.extend(tree_diags);
        tree = derived;
    }
    timings.derive = started.elapsed();
    if config.search_enabled
        && let Some(warning) = search::language_warning(&config.language)
    {
        diags.push(warning);
    }
    match (knowledge, theme, templates) {
        (Some(knowledge), Some(theme), Some(templates)) if !diags.has_errors() => Ok(Loaded {
            root: root.to_path_buf(),
            config,
            knowledge,
            theme,
            templates,
            tree,
            warnings: diags,
            timings,
            text: std::sync::OnceLock::new(),
            parsed_to_keep: std::sync::Mutex::new(parsed_to_keep),
        }),
        _ => Err(diags),
    }
}

/// The knowledge base this repository ships, loaded: for tests of the stages below.
#[cfg(test)]
pub(crate) fn shipped() -> Loaded {
    load(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &LoadOptions::default(),
    )
    .unwrap_or_else(|diags| panic!("the shipped site loads: {diags:?}"))
}

/// A build that could not finish; the previous output is untouched.
#[derive(Debug, Error)]
pub enum BuildError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// Where a build writes.
pub enum Target<'a> {
    /// The output folder (site.toml's `output_dir` under the root unless overridden). Unless
    /// `clean`, the build rewrites only what changed, in the cache's copy of an older output.
    Disk { clean: bool },
    /// Memory; given the manifest of the files the caller holds, only what changed is made,
    /// and only the `parts` asked for.
    Memory {
        held: Option<Manifest>,
        parts: Parts,
        /// The bytes of the files the caller holds, by path: the whole-site files copy the
        /// parts of unchanged dimensions from them.
        files: Option<ReadHeld<'a>>,
        /// Where the search index's groups are kept between builds.
        blobs: Option<&'a Blobs>,
    },
    /// Nowhere: for `versus check`, which renders every page to find template errors.
    Discard,
}

/// Which parts of the site a build into memory makes; the others stay as the caller holds
/// them. The dev server makes the pages of an edit first and reloads them, then the search
/// index, which takes longest on large sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parts {
    All,
    AllButSearch,
    OnlySearch,
}

impl Parts {
    fn leaves(self, scope: &Scope) -> bool {
        match self {
            Parts::All => false,
            Parts::AllButSearch => *scope == Scope::Search,
            Parts::OnlySearch => *scope != Scope::Search,
        }
    }
}

/// What a build into memory made: the files written, the files of the previous build that no
/// scope makes any more, and the manifest of the whole site (for the next build).
#[derive(Debug, Clone, Default)]
pub struct MemoryOutput {
    pub files: BTreeMap<String, Vec<u8>>,
    pub removed: Vec<String>,
    pub manifest: Manifest,
}

/// What a build produced.
pub struct Built {
    /// Pages of the site (including those an incremental build kept).
    pub pages: usize,
    /// Files written by this build.
    pub written: usize,
    /// True when every file was written.
    pub full: bool,
    /// Parts of whole-site files (a dimension's rows, sections, JSON or CSV) copied from the
    /// old files rather than made again.
    pub reused_parts: usize,
    pub output: PathBuf,
    /// The files, when built into memory.
    pub memory: Option<MemoryOutput>,
    /// A folder swapped out of the way and left for the caller to remove
    /// (`output::remove_previous`).
    pub previous_output: Option<PathBuf>,
    pub timings: Timings,
}

/// Renders the pages and files of a loaded site that the target lacks; `progress` receives
/// (done, total).
pub fn build(
    loaded: &Loaded,
    target: Target,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Built, BuildError> {
    let output = loaded.root.join(&loaded.config.output_dir);
    let mut timings = loaded.timings.clone();
    let started = Instant::now();
    let fingerprints = || {
        Fingerprints::of(
            &loaded.config,
            &loaded.knowledge,
            &loaded.theme,
            loaded.tree.is_some(),
        )
    };
    let none = Blobs::default();
    let mut folder_blobs = None;
    let (fingerprints, sink, held, parts, held_files, blobs) = match target {
        Target::Disk { clean } => {
            // Reading the old output's manifest and hashing the inputs are independent.
            let (fingerprints, begun) =
                rayon::join(fingerprints, || DiskSink::begin(&output, !clean));
            let (disk, held) = begun?;
            let folder = cache_dir(&output).join(SEARCH_BLOBS);
            let blobs = &*folder_blobs.insert(Blobs::in_folder(folder, !clean));
            let sink = Sink::Disk(disk);
            (fingerprints, sink, held, Parts::All, None, blobs)
        }
        Target::Memory {
            held,
            parts,
            files,
            blobs,
        } => {
            let sink = Sink::Memory(MemorySink::default());
            let blobs = blobs.unwrap_or(&none);
            (fingerprints(), sink, held, parts, files, blobs)
        }
        Target::Discard => (fingerprints(), Sink::Discard, None, Parts::All, None, &none),
    };
    let plan = Plan::new(fingerprints, held).leaving(|scope| parts.leaves(scope));
    let needs = |path: &str| plan.needs(&Scope::of_path(path));
    timings.plan = started.elapsed();
    let text = loaded.text();
    let ctx = RenderContext::new(&loaded.config, &loaded.knowledge, text, &loaded.theme)
        .with_tree(loaded.tree.as_ref());
    // Without search, its scripts and module are not published either.
    let static_files: Vec<_> = loaded
        .theme
        .static_files
        .iter()
        .filter(|(path, _)| loaded.config.search_enabled || !path.starts_with("search/"))
        .filter(|_| plan.needs(&Scope::Static))
        .collect();
    let site_wide = plan.needs(&Scope::Site);
    let previous = |path: &str| match held_files {
        Some(files) => files(path),
        None => sink.previous(path).map(Held::File),
    };
    let reuse = Reuse::new(
        &plan,
        loaded.knowledge.dimensions.iter().map(|d| d.id.as_str()),
        &previous,
    );
    let done = std::sync::atomic::AtomicUsize::new(0);
    // The index is built while the pages render: it is mostly one thread's work, and the
    // pages keep the other cores busy. Listing the pages is the render side's own work, so
    // that the index starts at once.
    let (rendered, indexed) = rayon::join(
        || -> Result<(Duration, usize), BuildError> {
            let started = Instant::now();
            let mut pages = Page::all(&ctx);
            let page_total = pages.len();
            pages.retain(|page| needs(&page.file_path(&ctx)));
            let mut embed_pages = EmbedPage::all(&ctx);
            embed_pages.retain(|page| needs(&page.url_path(&ctx)));
            let total = pages.len() + embed_pages.len() + static_files.len();
            let tick = || {
                progress(
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                    total,
                )
            };
            render_pages(&ctx, &loaded.templates, &pages, &sink, Some(&reuse), &tick)?;
            render_embed_pages(&ctx, &loaded.templates, &embed_pages, &sink, &tick)?;
            let mut endpoints = Vec::new();
            if let Some(tree) = &loaded.tree {
                if site_wide {
                    let json = crate::decide::json::tree_json(&loaded.knowledge, text, tree);
                    sink.write(
                        crate::embed::paths::DECISION_TREE_API,
                        crate::embed::to_json(&json).as_bytes(),
                    )?;
                }
                endpoints.push(api::Endpoint {
                    name: "decision_tree",
                    path: crate::embed::paths::DECISION_TREE_API,
                });
            }
            api::write(
                &export_context(&ctx),
                &sink,
                &endpoints,
                &|scope| plan.needs(scope),
                &reuse,
            )?;
            for (path, bytes) in &static_files {
                sink.write(&format!("static/{path}"), bytes)?;
                tick();
            }
            let elapsed = started.elapsed();
            loaded.keep_parsed_files();
            Ok((elapsed, page_total))
        },
        || -> Result<Duration, BuildError> {
            let started = Instant::now();
            if loaded.config.search_enabled && plan.needs(&Scope::Search) {
                let holds = |path: &str| plan.holds(path);
                let dimension = |d: usize| {
                    let id = &loaded.knowledge.dimensions[d].id;
                    let scope = Scope::Dimension(id.clone());
                    plan.fingerprint(&scope).unwrap_or_default().to_string()
                };
                let inputs = search::Inputs {
                    site: plan.fingerprint(&Scope::Static).unwrap_or_default(),
                    dimension: &dimension,
                };
                search::write_index(
                    &loaded.knowledge,
                    text,
                    &loaded.config.language,
                    &sink,
                    &holds,
                    &inputs,
                    blobs,
                )?;
            }
            Ok(started.elapsed())
        },
    );
    let page_total;
    (timings.render, page_total) = rendered?;
    timings.index = indexed?;
    let started = Instant::now();
    let full = plan.is_full();
    let reused_parts = reuse.reused();
    let parts = reuse.into_recorded();
    let mut previous_output = None;
    let mut written = 0;
    let memory = match sink {
        Sink::Disk(disk) => {
            timings.write = disk.write_time();
            let paths = disk.take_written();
            written = paths.len();
            let outcome = plan.finish(paths.into_iter().chain(disk.take_kept()), parts);
            previous_output = disk.commit(&outcome.manifest, &outcome.stale)?;
            None
        }
        Sink::Memory(memory) => {
            let (fresh, kept) = memory.into_parts();
            written = fresh.len();
            let outcome = plan.finish(fresh.keys().cloned().chain(kept), parts);
            Some(MemoryOutput {
                files: fresh,
                removed: outcome.stale,
                manifest: outcome.manifest,
            })
        }
        Sink::Discard => None,
    };
    timings.commit = started.elapsed();
    Ok(Built {
        pages: page_total,
        written,
        full,
        reused_parts,
        output,
        memory,
        previous_output,
        timings,
    })
}
