//! The pages of the site, each a template and a context built for it, rendered in parallel.

use rayon::prelude::*;
use serde::Serialize;
use tera::Context;

use super::views::{
    Crumb, DimensionLink, FactCard, SubjectLink, SubjectView, Table, Verified, dimension_rows,
    humanize_key, matrix_row, sources, value_text,
};
use super::{RenderContext, RenderError, Splices, Templates};
use crate::incremental::{FileParts, Reuse};
use crate::knowledge::{Fact, FactIndex};
use crate::output::Sink;

/// One page of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Index,
    Dimension(usize),
    Subject(usize),
    Fact(FactIndex),
    /// Two subject positions, in subjects.toml order.
    Compare(usize, usize),
    /// The decision tree page, when there are questions.
    Decide,
    NotFound,
    Sitemap,
    /// The search page, when search is enabled.
    Search,
}

impl Page {
    /// Every page of the site, in a stable order.
    pub fn all(ctx: &RenderContext<'_>) -> Vec<Page> {
        let knowledge = ctx.knowledge;
        let mut pages = vec![Page::Index, Page::NotFound, Page::Sitemap];
        if ctx.tree.is_some() {
            pages.push(Page::Decide);
        }
        if ctx.config.search_enabled {
            pages.push(Page::Search);
        }
        pages.extend((0..knowledge.dimensions.len()).map(Page::Dimension));
        pages.extend((0..knowledge.subjects.len()).map(Page::Subject));
        pages.extend(knowledge.facts().map(|(at, _)| Page::Fact(at)));
        pages.extend(
            compare_pairs(knowledge.subjects.len())
                .into_iter()
                .map(|(a, b)| Page::Compare(a, b)),
        );
        pages
    }

    /// The page's URL path relative to the site root (`""` for the home page).
    pub fn url_path(&self, ctx: &RenderContext<'_>) -> String {
        let k = ctx.knowledge;
        match *self {
            Page::Index => String::new(),
            Page::Dimension(d) => format!("dimensions/{}/", k.dimensions[d].id),
            Page::Subject(s) => format!("subjects/{}/", k.subjects[s].id),
            Page::Fact(at) => {
                let fact = k.fact_at(at);
                format!("facts/{}/{}/", fact.dimension, fact.id)
            }
            Page::Compare(a, b) => format!("compare/{}-vs-{}/", k.subjects[a].id, k.subjects[b].id),
            Page::Decide => "decide/".to_string(),
            Page::NotFound => "404.html".to_string(),
            Page::Sitemap => "sitemap.xml".to_string(),
            Page::Search => "search/".to_string(),
        }
    }

    /// The file the page is written to.
    pub fn file_path(&self, ctx: &RenderContext<'_>) -> String {
        let url = self.url_path(ctx);
        if url.is_empty() || url.ends_with('/') {
            format!("{url}index.html")
        } else {
            url
        }
    }

    fn template(&self) -> &'static str {
        match self {
            Page::Index => "index.html",
            Page::Dimension(_) => "dimension.html",
            Page::Subject(_) => "subject.html",
            Page::Fact(_) => "fact.html",
            Page::Compare(..) => "compare.html",
            Page::Decide => "decide.html",
            Page::NotFound => "404.html",
            Page::Sitemap => "sitemap.xml",
            Page::Search => "search.html",
        }
    }
}

/// Pairwise compare pages exist when there are three or more subjects.
pub fn compare_pairs(subjects: usize) -> Vec<(usize, usize)> {
    if subjects < 3 {
        return Vec::new();
    }
    (0..subjects)
        .flat_map(|a| (a + 1..subjects).map(move |b| (a, b)))
        .collect()
}

/// Renders every page in parallel and writes each as soon as it is ready; `progress` is called
/// once per page written. With `reuse`, the whole-site pages copy the rows and sections of
/// unchanged dimensions from their old files.
pub fn render_pages(
    ctx: &RenderContext<'_>,
    templates: &Templates,
    pages: &[Page],
    sink: &Sink,
    reuse: Option<&Reuse<'_>>,
    progress: &(dyn Fn() + Sync),
) -> Result<usize, RenderError> {
    // Built once: template values share their maps, so every page gets it for free.
    let site = tera::Value::from_serializable(&SiteView::new(ctx));
    pages.par_iter().try_for_each(|page| {
        let path = page.file_path(ctx);
        let has_parts = matches!(page, Page::Index | Page::Subject(_) | Page::Compare(..));
        let file = reuse.filter(|_| has_parts).map(|reuse| reuse.file(&path));
        let (html, splices) = render_page(ctx, templates, &site, *page, file.as_ref())?;
        if splices.is_empty() {
            sink.write(&path, &html)?;
        } else {
            // The pages with parts are a few whole-site pages: checking them is cheap.
            let html = std::str::from_utf8(&html).expect("Tera writes UTF-8");
            if let Some(file) = &file {
                sink.write_with(&path, |out| {
                    splices.write(html, &mut file.counting(out), Some(file))
                })?;
            } else {
                sink.write_with(&path, |out| splices.write(html, out, None))?;
            }
        }
        if let (Some(reuse), Some(file)) = (reuse, file) {
            reuse.finish_file(file);
        }
        progress();
        Ok::<(), RenderError>(())
    })?;
    Ok(pages.len())
}

/// Site-wide values every template may use.
#[derive(Debug, Serialize)]
pub struct SiteView<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub base_url: &'a str,
    pub language: &'a str,
    pub search_enabled: bool,
    pub decision_title: &'a str,
    pub subjects: Vec<SubjectLink<'a>>,
    pub compare_pages: Vec<Crumb>,
    pub fact_count: usize,
    pub dimension_count: usize,
    /// True when the site has a decision tree page.
    pub has_decision: bool,
    pub generator: &'static str,
}

impl<'a> SiteView<'a> {
    pub fn new(ctx: &RenderContext<'a>) -> Self {
        let k = ctx.knowledge;
        Self {
            title: &ctx.config.title,
            description: ctx.config.description.as_deref(),
            base_url: &ctx.config.base_url,
            language: &ctx.config.language,
            search_enabled: ctx.config.search_enabled,
            decision_title: &ctx.config.decision_title,
            subjects: k.subjects.iter().map(SubjectLink::new).collect(),
            compare_pages: compare_pairs(k.subjects.len())
                .into_iter()
                .map(|(a, b)| Crumb {
                    title: format!("{} vs {}", k.subjects[a].name, k.subjects[b].name),
                    href: format!("compare/{}-vs-{}/", k.subjects[a].id, k.subjects[b].id),
                })
                .collect(),
            fact_count: k.fact_count(),
            has_decision: ctx.tree.is_some(),
            dimension_count: k.dimensions.len(),
            generator: concat!("versus ", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Per-page values shared by every template: where the page is and how to get back.
#[derive(Debug, Serialize)]
struct PageMeta<'a> {
    kind: &'static str,
    title: String,
    description: String,
    /// Relative prefix from this page to the site root (`../../`), so the site works under
    /// any path and from a file system.
    root: String,
    path: String,
    canonical: String,
    breadcrumbs: Vec<Crumb>,
    verified: Verified,
    sources: Vec<&'a str>,
    /// The page's JSON twin, relative to the site root.
    json: Option<String>,
    /// The page's oEmbed response (absolute), for discovery.
    oembed: Option<String>,
}

fn render_page(
    ctx: &RenderContext<'_>,
    templates: &Templates,
    site: &tera::Value,
    page: Page,
    file: Option<&FileParts<'_>>,
) -> Result<(Vec<u8>, Splices), RenderError> {
    let path = page.url_path(ctx);
    let root = match page {
        Page::NotFound | Page::Sitemap => root_path(&ctx.config.base_url),
        _ => "../".repeat(path.matches('/').count()),
    };
    let mut context = Context::new();
    context.insert_value("site", site.clone());
    let meta = PageMeta {
        kind: "page",
        title: String::new(),
        description: String::new(),
        root,
        canonical: ctx.config.absolute_url(&path),
        path,
        breadcrumbs: Vec::new(),
        verified: Verified::default(),
        sources: Vec::new(),
        json: None,
        oembed: None,
    };
    let mut splices = Splices::default();
    let mut meta = fill_page(ctx, templates, &mut splices, page, file, meta, &mut context)?;
    (meta.json, meta.oembed) = super::embeds::twins(ctx, page);
    if let Some(section) = super::embeds::EmbedSection::of(ctx, page) {
        context.insert("embed", &section);
    }
    context.insert("page", &meta);
    Ok((templates.render_file(page.template(), &context)?, splices))
}

/// The overview's or a compare page's table: a row per dimension (run 0 of the page's parts),
/// a column per subject in `columns`.
fn matrix<'a>(
    ctx: &RenderContext<'a>,
    templates: &Templates,
    splices: &mut Splices,
    file: Option<&FileParts<'_>>,
    root: &str,
    columns: &[usize],
) -> Result<Table<'a>, RenderError> {
    let k = ctx.knowledge;
    let rows = templates.render_by_dimension(
        "row.html",
        "row",
        root,
        k.dimensions.len(),
        file,
        0,
        |d| matrix_row(&ctx.cards, d, columns),
    )?;
    Ok(Table {
        subjects: link_subjects(ctx, columns),
        rows_html: splices.add_by_dimension(0, rows),
    })
}

/// `/` or the path of an absolute base URL (`/guide/`), for pages served at any depth.
fn root_path(base_url: &str) -> String {
    let after_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(i) if base_url.contains("://") => after_scheme[i..].to_string(),
        _ => "/".to_string(),
    }
}

fn fill_page<'a>(
    ctx: &RenderContext<'a>,
    templates: &Templates,
    splices: &mut Splices,
    page: Page,
    file: Option<&FileParts<'_>>,
    mut meta: PageMeta<'a>,
    context: &mut Context,
) -> Result<PageMeta<'a>, RenderError> {
    let k = ctx.knowledge;
    let home = Crumb {
        title: "Overview".to_string(),
        href: String::new(),
    };
    match page {
        Page::Index => {
            meta.kind = "index";
            meta.title = ctx.config.title.clone();
            meta.description = ctx.config.description.clone().unwrap_or_default();
            let all: Vec<usize> = (0..k.subjects.len()).collect();
            context.insert(
                "subjects",
                &(0..k.subjects.len())
                    .map(|s| SubjectView::new(k, ctx.text, s))
                    .collect::<Vec<_>>(),
            );
            let matrix = matrix(ctx, templates, splices, file, &meta.root, &all)?;
            context.insert("matrix", &matrix);
            meta.verified = Verified::of(k.facts().map(|(_, f)| f));
        }
        Page::Dimension(d) => {
            let dimension = &k.dimensions[d];
            meta.kind = "dimension";
            meta.title = dimension.title.clone();
            meta.description = first_or(&ctx.text.dimension_summary(d).plain, &dimension.title);
            meta.breadcrumbs = vec![home];
            let all: Vec<usize> = (0..k.subjects.len()).collect();
            let rows = dimension_rows(&ctx.cards, d, &all).into_par_iter();
            let table = Table {
                subjects: link_subjects(ctx, &all),
                rows_html: splices.add(templates.render_rows(&meta.root, rows)?),
            };
            context.insert(
                "dimension",
                &DimensionPage {
                    link: DimensionLink::new(dimension),
                    summary_html: &ctx.text.dimension_summary(d).html,
                    tags: &dimension.tags,
                    table,
                    questions: dimension
                        .questions
                        .iter()
                        .map(|q| QuestionLink {
                            id: q.global_id(),
                            text: &q.text,
                        })
                        .collect(),
                },
            );
            meta.verified = Verified::of(&dimension.facts);
            meta.sources = sources(&dimension.facts);
        }
        Page::Subject(s) => {
            let subject = &k.subjects[s];
            meta.kind = "subject";
            meta.title = subject.name.clone();
            meta.description = first_or(&ctx.text.subject_summary(s).plain, &subject.name);
            meta.breadcrumbs = vec![home];
            let about = |f: &&Fact| f.is_about(&subject.id);
            let section = |d: usize| {
                let dimension = &k.dimensions[d];
                let facts = dimension
                    .facts
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.is_about(&subject.id));
                SubjectSection {
                    dimension: DimensionLink::new(dimension),
                    facts: facts
                        .map(|(f, _)| {
                            ctx.cards.get(FactIndex {
                                dimension: d,
                                fact: f,
                            })
                        })
                        .collect(),
                    subject_name: &subject.name,
                }
            };
            let sections_html = templates.render_by_dimension(
                "subject_section.html",
                "section",
                &meta.root,
                k.dimensions.len(),
                file,
                0,
                section,
            )?;
            context.insert("subject", &SubjectView::new(k, ctx.text, s));
            context.insert(
                "dimensions",
                &k.dimensions
                    .iter()
                    .map(DimensionLink::new)
                    .collect::<Vec<_>>(),
            );
            context.insert("sections_html", &splices.add_by_dimension(0, sections_html));
            let facts: Vec<&Fact> = k.facts().map(|(_, f)| f).filter(about).collect();
            meta.verified = Verified::of(facts.iter().copied());
            meta.sources = sources(facts);
        }
        Page::Fact(at) => {
            let fact = k.fact_at(at);
            let dimension = &k.dimensions[at.dimension];
            meta.kind = "fact";
            let names: Vec<&str> = fact
                .subjects
                .iter()
                .filter_map(|s| k.subject(&s.value))
                .map(|s| s.name.as_str())
                .collect();
            meta.title = format!("{} · {}", names.join(" & "), dimension.title);
            meta.description = ctx.text.statement(at).plain.clone();
            meta.breadcrumbs = vec![
                home,
                Crumb {
                    title: dimension.title.clone(),
                    href: format!("dimensions/{}/", dimension.id),
                },
            ];
            context.insert("fact", &fact_page(ctx, at));
            meta.verified = Verified::of([fact]);
            meta.sources = sources([fact]);
        }
        Page::Compare(a, b) => {
            meta.kind = "compare";
            meta.title = format!("{} vs {}", k.subjects[a].name, k.subjects[b].name);
            meta.description = format!(
                "{} compared with {}, dimension by dimension.",
                k.subjects[a].name, k.subjects[b].name
            );
            meta.breadcrumbs = vec![home];
            let matrix = matrix(ctx, templates, splices, file, &meta.root, &[a, b])?;
            context.insert("matrix", &matrix);
            context.insert(
                "subjects",
                &[
                    SubjectView::new(k, ctx.text, a),
                    SubjectView::new(k, ctx.text, b),
                ],
            );
        }
        Page::Decide => {
            meta.kind = "decide";
            meta.title = ctx.config.decision_title.clone();
            meta.description = format!(
                "Answer a few questions to choose between {}; every answer cites the facts behind it.",
                k.subjects
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            meta.breadcrumbs = vec![home];
            if let Some(tree) = ctx.tree {
                context.insert("decide", &super::decide::decide_page(ctx, tree));
            }
        }
        Page::Search => {
            meta.kind = "search";
            meta.title = "Search".to_string();
            meta.description = format!("Search {}.", ctx.config.title);
        }
        Page::NotFound => {
            meta.kind = "not-found";
            meta.title = "Page not found".to_string();
        }
        Page::Sitemap => {
            meta.kind = "sitemap";
            let urls: Vec<String> = Page::all(ctx)
                .into_iter()
                .filter(|p| !matches!(p, Page::NotFound | Page::Sitemap | Page::Search))
                .map(|p| ctx.config.absolute_url(&p.url_path(ctx)))
                .collect();
            context.insert("urls", &urls);
        }
    }
    Ok(meta)
}

/// Column headings for the subjects at these positions.
fn link_subjects<'a>(ctx: &RenderContext<'a>, columns: &[usize]) -> Vec<SubjectLink<'a>> {
    columns
        .iter()
        .map(|&s| SubjectLink::new(&ctx.knowledge.subjects[s]))
        .collect()
}

fn first_or(text: &str, fallback: &str) -> String {
    if text.is_empty() {
        fallback.to_string()
    } else {
        text.to_string()
    }
}

#[derive(Debug, Serialize)]
struct DimensionPage<'a> {
    #[serde(flatten)]
    link: DimensionLink<'a>,
    summary_html: &'a str,
    tags: &'a [String],
    table: Table<'a>,
    questions: Vec<QuestionLink<'a>>,
}

#[derive(Debug, Serialize)]
struct QuestionLink<'a> {
    id: String,
    text: &'a str,
}

#[derive(Debug, Serialize)]
struct SubjectSection<'a> {
    dimension: DimensionLink<'a>,
    /// [`FactCard`]s.
    facts: Vec<tera::Value>,
    subject_name: &'a str,
}

#[derive(Debug, Serialize)]
struct FactPage<'a> {
    #[serde(flatten)]
    card: FactCard<'a>,
    dimension: DimensionLink<'a>,
    key_label: Option<String>,
    unit: Option<&'a str>,
    sources: &'a [String],
    tags: &'a [String],
    aliases: Vec<&'a str>,
    /// Facts with the same key about other subjects: the rest of the matrix row.
    same_key: Vec<tera::Value>,
    /// Other facts of the same dimension about the same subjects.
    siblings: Vec<tera::Value>,
    /// The decision questions whose answers cite this fact.
    cited_by: Vec<CitingAnswer<'a>>,
}

#[derive(Debug, Serialize)]
struct CitingAnswer<'a> {
    question: &'a str,
    answer: &'a str,
    /// The wizard at that question.
    href: String,
}

/// How many other facts of the same dimension a fact page lists.
const MAX_SIBLINGS: usize = 8;

fn fact_page<'a>(ctx: &RenderContext<'a>, at: FactIndex) -> FactPage<'a> {
    let k = ctx.knowledge;
    let fact = k.fact_at(at);
    let dimension = &k.dimensions[at.dimension];
    let key = fact.key.as_ref().map(|key| key.value.as_str());
    let same_key = key
        .map(|key| ctx.related.same_key(at.dimension, key))
        .unwrap_or_default()
        .iter()
        .filter(|&&f| f != at.fact)
        .map(|&f| {
            ctx.cards.get(FactIndex {
                dimension: at.dimension,
                fact: f,
            })
        })
        .collect();
    // The facts that follow this one about the same subjects, wrapping around: a bounded
    // list, so that a dimension with thousands of facts does not make every page list them all.
    let count = dimension.facts.len();
    let siblings = (1..count)
        .map(|step| (at.fact + step) % count)
        .filter(|&f| {
            let other = &dimension.facts[f];
            let same_row = key.is_some() && other.key.as_ref().map(|k| k.value.as_str()) == key;
            !same_row && other.subjects.iter().any(|s| fact.is_about(&s.value))
        })
        .take(MAX_SIBLINGS)
        .map(|f| {
            ctx.cards.get(FactIndex {
                dimension: at.dimension,
                fact: f,
            })
        })
        .collect();
    let card = FactCard::new(k, ctx.text, at);
    debug_assert_eq!(card.value, value_text(fact));
    FactPage {
        card,
        dimension: DimensionLink::new(dimension),
        key_label: key.map(humanize_key),
        unit: fact.unit.as_ref().map(|u| u.value.as_str()),
        sources: &fact.sources,
        tags: &fact.tags,
        aliases: fact.aliases.iter().map(|a| a.value.as_str()).collect(),
        same_key,
        siblings,
        cited_by: ctx
            .related
            .cited_by(at)
            .iter()
            .map(|c| {
                let question = &k.dimensions[c.dimension].questions[c.question];
                CitingAnswer {
                    question: &question.text,
                    answer: &question.answers[c.answer].label,
                    href: format!("decide/?q={}", question.global_id()),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_pages_only_for_three_or_more_subjects() {
        assert!(compare_pairs(2).is_empty());
        assert_eq!(compare_pairs(3), [(0, 1), (0, 2), (1, 2)]);
    }

    #[test]
    fn root_path_follows_base_url() {
        assert_eq!(root_path("/"), "/");
        assert_eq!(root_path("https://kb.example.com/"), "/");
        assert_eq!(root_path("https://kb.example.com/guide/"), "/guide/");
    }
}
