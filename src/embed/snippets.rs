//! What a page offers to embed it elsewhere: the "embed this" snippets (iframe, Markdown,
//! wikitext, Confluence, HTML) and the oEmbed response, for one fact or one dimension's table.

use serde::Serialize;

use super::escape::xml_text;
use super::table::Table;
use super::wiki::{Wiki, attribution_html};
use super::{ExportContext, paths};
use crate::knowledge::FactIndex;

/// The width embeds are designed for, in CSS pixels; they also fit narrower frames.
pub const EMBED_WIDTH: u32 = 640;

/// How long (seconds) an oEmbed consumer may cache a response.
pub const CACHE_AGE: u32 = 86_400;

/// Something a page can embed: one fact, or a dimension's comparison table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Fact(FactIndex),
    Dimension(usize),
}

impl Target {
    /// The table every format shows for it.
    pub fn table<'a>(self, ctx: &ExportContext<'a>) -> Table<'a> {
        match self {
            Target::Fact(at) => Table::fact(ctx, at),
            Target::Dimension(d) => {
                let all: Vec<usize> = (0..ctx.knowledge.subjects.len()).collect();
                Table::dimension(ctx, d, &all)
            }
        }
    }

    /// The embed page, relative to the site root.
    pub fn embed_path(self, ctx: &ExportContext<'_>) -> String {
        match self {
            Target::Fact(at) => {
                let fact = ctx.knowledge.fact_at(at);
                paths::fact_embed(&fact.dimension, &fact.id)
            }
            Target::Dimension(d) => paths::dimension_embed(&ctx.knowledge.dimensions[d].id),
        }
    }

    /// The oEmbed response, relative to the site root.
    pub fn oembed_path(self, ctx: &ExportContext<'_>) -> String {
        match self {
            Target::Fact(at) => {
                let fact = ctx.knowledge.fact_at(at);
                paths::fact_oembed(&fact.dimension, &fact.id)
            }
            Target::Dimension(d) => paths::dimension_oembed(&ctx.knowledge.dimensions[d].id),
        }
    }
}

/// One "embed this" snippet.
#[derive(Debug, Serialize)]
pub struct Snippet {
    /// A stable id for the page (`markdown`, `wikitext`...).
    pub id: &'static str,
    /// What to call it on the page.
    pub label: &'static str,
    /// Where it works.
    pub hint: &'static str,
    pub text: String,
}

/// Every snippet of a target, in the order pages show them: the iframe first, since most
/// wikis accept one.
pub fn snippets(ctx: &ExportContext<'_>, target: Target) -> Vec<Snippet> {
    let table = target.table(ctx);
    let mut iframe = iframe_html(ctx, target, &table);
    iframe.push('\n');
    attribution_html(&table, &mut iframe);
    let format = |wiki: Wiki| {
        let mut text = String::new();
        wiki.table(&table, &mut text);
        text
    };
    vec![
        Snippet {
            id: "iframe",
            label: "Iframe",
            hint: "Notion, Confluence (iframe macro), SharePoint (embed web part), any HTML page.",
            text: iframe,
        },
        Snippet {
            id: "markdown",
            label: "Markdown",
            hint: "GitHub and GitLab wikis, READMEs, issues: a table with no HTML.",
            text: format(Wiki::Markdown),
        },
        Snippet {
            id: "wikitext",
            label: "MediaWiki",
            hint: "Wikitext for MediaWiki: a wikitable.",
            text: format(Wiki::Wikitext),
        },
        Snippet {
            id: "confluence",
            label: "Confluence",
            hint: "Confluence storage format (XHTML): paste in the source editor.",
            text: format(Wiki::Confluence),
        },
        Snippet {
            id: "html",
            label: "HTML",
            hint: "A plain table for any page or rich-text editor that accepts HTML.",
            text: format(Wiki::Html),
        },
    ]
}

/// The iframe that shows the target's embed page, sized to an estimate of its height (the
/// page reports its real height to hosts that listen).
pub fn iframe_html(ctx: &ExportContext<'_>, target: Target, table: &Table<'_>) -> String {
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"{EMBED_WIDTH}\" height=\"{}\" \
         style=\"width:100%;max-width:{EMBED_WIDTH}px;border:0\" loading=\"lazy\"></iframe>",
        xml_text(&ctx.config.absolute_url(&target.embed_path(ctx))),
        xml_text(&table.title),
        estimated_height(table)
    )
}

/// A rough height for the embed at [`EMBED_WIDTH`]: enough that most embeds need no scrolling
/// in hosts that ignore the height message.
pub fn estimated_height(table: &Table<'_>) -> u32 {
    const LINE: usize = 24;
    let columns = table.columns.len().max(1);
    // Characters on one line of a column, at about 8 px a character beside the label column.
    let per_line = ((EMBED_WIDTH as usize - 160) / columns / 8).max(12);
    let rows: usize = table
        .rows
        .iter()
        .map(|row| {
            let lines = row
                .cells
                .iter()
                .map(|cell| {
                    let width = per_line * cell.span.max(1);
                    cell.entries
                        .iter()
                        .map(|e| {
                            let value = e.value.as_ref().map_or(0, |v| v.chars().count() + 3);
                            (e.text.plain.chars().count() + value).div_ceil(width)
                        })
                        .sum::<usize>()
                })
                .max()
                .unwrap_or(0)
                .max(1);
            20 + LINE * lines
        })
        .sum();
    let height = 140 + rows + 22 * table.sources.len();
    u32::try_from(height).unwrap_or(u32::MAX)
}

/// An oEmbed 1.0 `rich` response (<https://oembed.com>): the required `type`, `version`,
/// `html`, `width` and `height`, and the optional title, provider and cache age.
#[derive(Debug, Serialize)]
pub struct OEmbed {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub version: &'static str,
    pub title: String,
    pub provider_name: String,
    pub provider_url: String,
    pub html: String,
    pub width: u32,
    pub height: u32,
    pub cache_age: u32,
}

/// The oEmbed response of a target; `html` is the iframe of its embed page.
pub fn oembed(ctx: &ExportContext<'_>, target: Target) -> OEmbed {
    let table = target.table(ctx);
    OEmbed {
        kind: "rich",
        version: "1.0",
        html: iframe_html(ctx, target, &table),
        width: EMBED_WIDTH,
        height: estimated_height(&table),
        title: table.title,
        provider_name: ctx.config.title.clone(),
        provider_url: ctx.config.base_url.clone(),
        cache_age: CACHE_AGE,
    }
}
