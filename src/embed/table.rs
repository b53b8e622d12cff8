//! A fact, or a dimension's facts side by side, as a format-neutral comparison table with its
//! attribution (permalink, "as of" date, sources): what every wiki format writes out, so the
//! Markdown, wikitext, Confluence and HTML versions always show the same thing.

use std::collections::{HashMap, HashSet};

use super::{ExportContext, paths};
use crate::knowledge::{Date, Fact, FactIndex};
use crate::text::{Text, humanize_key, value_text};

/// A table: a corner heading, one column per subject, one row per aspect.
#[derive(Debug)]
pub struct Table<'a> {
    /// What the table shows, such as "Run duration" or "Serverless · Run duration".
    pub title: String,
    /// The absolute URL of the page the table comes from, for attribution.
    pub permalink: String,
    /// The heading of the row-label column.
    pub corner: String,
    /// Column headings: subject names.
    pub columns: Vec<String>,
    pub rows: Vec<Row<'a>>,
    /// The earliest and latest `verified` dates of the facts shown.
    pub oldest: Option<Date>,
    pub newest: Option<Date>,
    /// Every source of the facts shown, in first-cited order.
    pub sources: Vec<&'a str>,
    pub site_title: &'a str,
}

/// One row: a label (an attribute such as "Max runtime") and one cell per column, or one
/// cell spanning them all for a fact every subject shares.
#[derive(Debug)]
pub struct Row<'a> {
    pub label: String,
    pub cells: Vec<Cell<'a>>,
}

/// The facts in one cell; `span` columns wide.
#[derive(Debug)]
pub struct Cell<'a> {
    pub entries: Vec<Entry<'a>>,
    pub span: usize,
}

/// One fact in a cell: its statement, rendered once, and its value as readers see it.
#[derive(Debug)]
pub struct Entry<'a> {
    pub text: &'a Text,
    pub value: Option<String>,
}

impl Table<'_> {
    /// "as of 2026-11-01", or the range of dates when the facts were checked on different days.
    pub fn as_of(&self) -> Option<String> {
        match (self.oldest, self.newest) {
            (Some(oldest), Some(newest)) if oldest == newest => Some(format!("as of {newest}")),
            (Some(oldest), Some(newest)) => Some(format!("verified {oldest} to {newest}")),
            _ => None,
        }
    }
}

impl<'a> Table<'a> {
    /// One fact: a single row under the names of the subjects it is about.
    pub fn fact(ctx: &ExportContext<'a>, at: FactIndex) -> Self {
        let k = ctx.knowledge;
        let fact = k.fact_at(at);
        let dimension = &k.dimensions[at.dimension];
        let names = subject_names(ctx, fact);
        let label = fact
            .key
            .as_ref()
            .map_or_else(|| "Fact".to_string(), |key| humanize_key(&key.value));
        Self {
            title: format!("{names} · {}", dimension.title),
            permalink: ctx
                .config
                .absolute_url(&paths::fact_page(&fact.dimension, &fact.id)),
            corner: dimension.title.clone(),
            columns: vec![names],
            rows: vec![Row {
                label,
                cells: vec![Cell {
                    entries: vec![entry(ctx, at)],
                    span: 1,
                }],
            }],
            oldest: fact.verified,
            newest: fact.verified,
            sources: fact.sources.iter().map(String::as_str).collect(),
            site_title: &ctx.config.title,
        }
    }

    /// A dimension's comparison for the given subject columns (positions in subjects.toml):
    /// keyed facts in one row per key, shared facts in their own rows, the rest in one row.
    pub fn dimension(ctx: &ExportContext<'a>, d: usize, columns: &[usize]) -> Self {
        let k = ctx.knowledge;
        let dimension = &k.dimensions[d];
        let mut rows = Rows::new(columns.len());
        let mut shown_facts = Vec::new();
        for (f, fact) in dimension.facts.iter().enumerate() {
            let shown: Vec<usize> = fact
                .subjects
                .iter()
                .filter_map(|s| k.subject_position(&s.value))
                .filter_map(|p| columns.iter().position(|&c| c == p))
                .collect();
            if shown.is_empty() {
                continue;
            }
            shown_facts.push(fact);
            rows.add(
                ctx,
                FactIndex {
                    dimension: d,
                    fact: f,
                },
                &shown,
            );
        }
        let names: Vec<String> = columns
            .iter()
            .map(|&s| k.subjects[s].name.clone())
            .collect();
        let title = if columns.len() == k.subjects.len() {
            dimension.title.clone()
        } else {
            format!("{} · {}", names.join(" & "), dimension.title)
        };
        Self {
            title,
            permalink: ctx
                .config
                .absolute_url(&paths::dimension_page(&dimension.id)),
            corner: "Aspect".to_string(),
            columns: names,
            rows: rows.finish(),
            oldest: shown_facts.iter().filter_map(|f| f.verified).min(),
            newest: shown_facts.iter().filter_map(|f| f.verified).max(),
            sources: distinct_sources(&shown_facts),
            site_title: &ctx.config.title,
        }
    }
}

/// Rows under construction, in the order the dimension page shows them.
struct Rows<'a> {
    columns: usize,
    keyed: Vec<Row<'a>>,
    key_rows: HashMap<&'a str, usize>,
    shared: Vec<Row<'a>>,
    others: Vec<Cell<'a>>,
}

impl<'a> Rows<'a> {
    fn new(columns: usize) -> Self {
        Self {
            columns,
            keyed: Vec::new(),
            key_rows: HashMap::new(),
            shared: Vec::new(),
            others: empty_cells(columns),
        }
    }

    fn add(&mut self, ctx: &ExportContext<'a>, at: FactIndex, shown: &[usize]) {
        let fact = ctx.knowledge.fact_at(at);
        let cells = match &fact.key {
            Some(key) => {
                let next = self.keyed.len();
                let i = *self.key_rows.entry(key.value.as_str()).or_insert(next);
                if i == next {
                    self.keyed.push(Row {
                        label: humanize_key(&key.value),
                        cells: empty_cells(self.columns),
                    });
                }
                &mut self.keyed[i].cells
            }
            None if fact.shared && shown.len() > 1 => {
                let cells = if shown.len() == self.columns {
                    vec![Cell {
                        entries: vec![entry(ctx, at)],
                        span: self.columns,
                    }]
                } else {
                    empty_cells(self.columns)
                };
                let spans = cells.len() == 1 && self.columns > 1;
                self.shared.push(Row {
                    label: "Shared".to_string(),
                    cells,
                });
                if spans {
                    return;
                }
                &mut self.shared.last_mut().expect("just pushed").cells
            }
            None => &mut self.others,
        };
        for &column in shown {
            cells[column].entries.push(entry(ctx, at));
        }
    }

    fn finish(self) -> Vec<Row<'a>> {
        let mut rows = self.keyed;
        rows.extend(self.shared);
        if self.others.iter().any(|c| !c.entries.is_empty()) {
            rows.push(Row {
                label: "Facts".to_string(),
                cells: self.others,
            });
        }
        rows
    }
}

fn empty_cells<'a>(columns: usize) -> Vec<Cell<'a>> {
    (0..columns)
        .map(|_| Cell {
            entries: Vec::new(),
            span: 1,
        })
        .collect()
}

fn entry<'a>(ctx: &ExportContext<'a>, at: FactIndex) -> Entry<'a> {
    Entry {
        text: ctx.text.statement(at),
        value: value_text(ctx.knowledge.fact_at(at)),
    }
}

/// "Serverless & Containers": the subjects a fact is about.
pub fn subject_names(ctx: &ExportContext<'_>, fact: &Fact) -> String {
    fact.subjects
        .iter()
        .filter_map(|s| ctx.knowledge.subject(&s.value))
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(" & ")
}

fn distinct_sources<'a>(facts: &[&'a Fact]) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    facts
        .iter()
        .flat_map(|f| f.sources.iter())
        .map(String::as_str)
        .filter(|s| seen.insert(*s))
        .collect()
}
