//! What makes a fact or a table travel: the embed pages (iframe-ready fragments, one per fact
//! and per dimension), the redirect pages that keep a renamed fact's former URLs working, and,
//! on regular pages, the "embed this" section and the links to their JSON and oEmbed twins.

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use super::pages::{Page, SiteView};
use super::views::{FactCard, SubjectLink, Table, Verified, dimension_rows, humanize_key, sources};
use super::{RenderContext, RenderError, Templates};
use crate::embed::snippets::{self, Target};
use crate::embed::{ExportContext, paths};
use crate::knowledge::FactIndex;
use crate::output::Sink;

/// The most lines a snippet's text box shows before it scrolls (lines of about 110
/// characters, as wide as the box is on a desktop).
const MAX_SNIPPET_ROWS: usize = 12;

/// A page outside the site's navigation: an embed, or a redirect from a former fact id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedPage {
    Fact(FactIndex),
    Dimension(usize),
    /// The alias at `alias` of the fact at `at`; `embed` for the embed page's former URL,
    /// otherwise the permalink's.
    Redirect {
        at: FactIndex,
        alias: usize,
        embed: bool,
    },
}

impl EmbedPage {
    /// Every embed page and redirect, in a stable order.
    pub fn all(ctx: &RenderContext<'_>) -> Vec<EmbedPage> {
        let k = ctx.knowledge;
        let mut pages: Vec<EmbedPage> = (0..k.dimensions.len()).map(EmbedPage::Dimension).collect();
        for (at, fact) in k.facts() {
            pages.push(EmbedPage::Fact(at));
            for alias in 0..fact.aliases.len() {
                for embed in [false, true] {
                    pages.push(EmbedPage::Redirect { at, alias, embed });
                }
            }
        }
        pages
    }

    /// The page's URL path relative to the site root.
    pub fn url_path(&self, ctx: &RenderContext<'_>) -> String {
        let k = ctx.knowledge;
        match *self {
            EmbedPage::Fact(at) => {
                let fact = k.fact_at(at);
                paths::fact_embed(&fact.dimension, &fact.id)
            }
            EmbedPage::Dimension(d) => paths::dimension_embed(&k.dimensions[d].id),
            EmbedPage::Redirect { at, alias, embed } => {
                let fact = k.fact_at(at);
                let former = &fact.aliases[alias].value;
                if embed {
                    paths::fact_embed(&fact.dimension, former)
                } else {
                    paths::fact_page(&fact.dimension, former)
                }
            }
        }
    }
}

/// The context every embed format reads, borrowed from the render context.
pub fn export_context<'a>(ctx: &RenderContext<'a>) -> ExportContext<'a> {
    ExportContext {
        config: ctx.config,
        knowledge: ctx.knowledge,
        text: ctx.text,
    }
}

/// Renders the embed and redirect pages in parallel, writing each as soon as it is ready.
pub fn render_embed_pages(
    ctx: &RenderContext<'_>,
    templates: &Templates,
    pages: &[EmbedPage],
    sink: &Sink,
    progress: &(dyn Fn() + Sync),
) -> Result<usize, RenderError> {
    let site = tera::Value::from_serializable(&SiteView::new(ctx));
    pages.par_iter().try_for_each(|page| {
        let path = page.url_path(ctx);
        let mut context = Context::new();
        context.insert_value("site", site.clone());
        let template = match *page {
            EmbedPage::Fact(at) => fact_embed(ctx, at, &path, &mut context),
            EmbedPage::Dimension(d) => dimension_embed(ctx, templates, d, &path, &mut context)?,
            EmbedPage::Redirect { at, embed, .. } => redirect(ctx, at, embed, &path, &mut context),
        };
        let html = templates.render_file(template, &context)?;
        sink.write(&paths::index_file(&path), &html)?;
        progress();
        Ok::<(), RenderError>(())
    })?;
    Ok(pages.len())
}

/// What every embed page shows around its content: title, permalink, date, sources.
#[derive(Debug, Serialize)]
struct EmbedMeta<'a> {
    kind: &'static str,
    title: String,
    /// Relative prefix from the embed to the site root, for its script.
    root: String,
    /// The absolute URL of the page this embed comes from.
    permalink: String,
    /// Where links inside the embed point: the site's absolute base URL.
    links_root: &'a str,
    verified: Verified,
    sources: Vec<&'a str>,
}

/// A fact in an embed: the card of the fact page, without navigation.
#[derive(Debug, Serialize)]
struct EmbedFact<'a> {
    #[serde(flatten)]
    card: FactCard<'a>,
    dimension_title: &'a str,
    key_label: Option<String>,
}

fn fact_embed(
    ctx: &RenderContext<'_>,
    at: FactIndex,
    path: &str,
    context: &mut Context,
) -> &'static str {
    let k = ctx.knowledge;
    let fact = k.fact_at(at);
    let table = Target::Fact(at).table(&export_context(ctx));
    context.insert(
        "embed",
        &EmbedMeta {
            kind: "fact",
            title: table.title,
            root: root_of(path),
            permalink: table.permalink,
            links_root: &ctx.config.base_url,
            verified: Verified::of([fact]),
            sources: sources([fact]),
        },
    );
    context.insert(
        "fact",
        &EmbedFact {
            card: FactCard::new(k, ctx.text, at),
            dimension_title: &k.dimensions[at.dimension].title,
            key_label: fact.key.as_ref().map(|key| humanize_key(&key.value)),
        },
    );
    "embed/fact.html"
}

fn dimension_embed(
    ctx: &RenderContext<'_>,
    templates: &Templates,
    d: usize,
    path: &str,
    context: &mut Context,
) -> Result<&'static str, RenderError> {
    let k = ctx.knowledge;
    let dimension = &k.dimensions[d];
    let all: Vec<usize> = (0..k.subjects.len()).collect();
    context.insert(
        "embed",
        &EmbedMeta {
            kind: "dimension",
            title: dimension.title.clone(),
            root: root_of(path),
            permalink: ctx
                .config
                .absolute_url(&paths::dimension_page(&dimension.id)),
            links_root: &ctx.config.base_url,
            verified: Verified::of(&dimension.facts),
            sources: sources(&dimension.facts),
        },
    );
    context.insert(
        "table",
        &Table {
            subjects: k.subjects.iter().map(SubjectLink::new).collect(),
            rows_html: templates
                .render_rows(
                    &ctx.config.base_url,
                    dimension_rows(&ctx.cards, d, &all).into_par_iter(),
                )?
                .concat(),
        },
    );
    Ok("embed/dimension.html")
}

/// Where a former URL now points.
#[derive(Debug, Serialize)]
struct Redirect {
    title: String,
    /// Relative to the redirect page, so it works on any host and from a file system.
    target: String,
    canonical: String,
}

fn redirect(
    ctx: &RenderContext<'_>,
    at: FactIndex,
    embed: bool,
    path: &str,
    context: &mut Context,
) -> &'static str {
    let fact = ctx.knowledge.fact_at(at);
    let target = if embed {
        paths::fact_embed(&fact.dimension, &fact.id)
    } else {
        paths::fact_page(&fact.dimension, &fact.id)
    };
    context.insert(
        "redirect",
        &Redirect {
            title: fact.global_id(),
            target: format!("{}{target}", root_of(path)),
            canonical: ctx.config.absolute_url(&target),
        },
    );
    "redirect.html"
}

/// `../../` for `a/b/`: from a folder page back to the site root.
fn root_of(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// The "embed this" section of a fact or dimension page.
#[derive(Debug, Serialize)]
pub struct EmbedSection {
    /// The absolute URL of the embed page (what oEmbed hosts are given).
    pub embed_url: String,
    pub snippets: Vec<SnippetView>,
}

/// A snippet with the height of its text box.
#[derive(Debug, Serialize)]
pub struct SnippetView {
    #[serde(flatten)]
    pub snippet: snippets::Snippet,
    pub rows: usize,
}

impl EmbedSection {
    /// The section for a page, when the page has one (facts and dimensions).
    pub fn of(ctx: &RenderContext<'_>, page: Page) -> Option<EmbedSection> {
        let target = target(page)?;
        let export = export_context(ctx);
        let snippets = snippets::snippets(&export, target)
            .into_iter()
            .map(|snippet| SnippetView {
                rows: snippet
                    .text
                    .lines()
                    .map(|line| line.chars().count().div_ceil(110).max(1))
                    .sum::<usize>()
                    .clamp(3, MAX_SNIPPET_ROWS),
                snippet,
            })
            .collect();
        Some(EmbedSection {
            embed_url: ctx.config.absolute_url(&target.embed_path(&export)),
            snippets,
        })
    }
}

fn target(page: Page) -> Option<Target> {
    match page {
        Page::Fact(at) => Some(Target::Fact(at)),
        Page::Dimension(d) => Some(Target::Dimension(d)),
        _ => None,
    }
}

/// A page's JSON twin (relative to the site root) and its oEmbed response (absolute), for
/// `<link rel="alternate">` and the footer.
pub fn twins(ctx: &RenderContext<'_>, page: Page) -> (Option<String>, Option<String>) {
    let k = ctx.knowledge;
    let json = match page {
        Page::Index | Page::Compare(..) => Some(paths::KNOWLEDGE_API.to_string()),
        Page::Dimension(d) => Some(paths::dimension_api(&k.dimensions[d].id)),
        Page::Subject(s) => Some(paths::subject_api(&k.subjects[s].id)),
        Page::Fact(at) => {
            let fact = k.fact_at(at);
            Some(paths::fact_api(&fact.dimension, &fact.id))
        }
        _ => None,
    };
    let oembed = target(page).map(|t| {
        ctx.config
            .absolute_url(&t.oembed_path(&export_context(ctx)))
    });
    (json, oembed)
}
