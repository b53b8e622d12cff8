//! What templates see: small borrowing structs built from the model for one page at a time.
//! Text fields ending in `_html` are sanitized HTML, to be printed with `| safe`; every other
//! string is escaped by the template.

#[cfg(test)]
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;

use crate::knowledge::{Dimension, Fact, FactIndex, Knowledge, Subject};
use crate::text::RenderedText;
pub use crate::text::{humanize_key, value_text};

/// A link to a subject.
#[derive(Debug, Serialize)]
pub struct SubjectLink<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// Relative to the site root.
    pub href: String,
}

impl<'a> SubjectLink<'a> {
    pub fn new(subject: &'a Subject) -> Self {
        Self {
            id: &subject.id,
            name: &subject.name,
            href: format!("subjects/{}/", subject.id),
        }
    }
}

/// A link to a dimension.
#[derive(Debug, Serialize)]
pub struct DimensionLink<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub href: String,
}

impl<'a> DimensionLink<'a> {
    pub fn new(dimension: &'a Dimension) -> Self {
        Self {
            id: &dimension.id,
            title: &dimension.title,
            href: format!("dimensions/{}/", dimension.id),
        }
    }
}

/// A subject in full, for the overview and its own page.
#[derive(Debug, Serialize)]
pub struct SubjectView<'a> {
    #[serde(flatten)]
    pub link: SubjectLink<'a>,
    pub aka: &'a [String],
    pub summary_html: &'a str,
    pub url: Option<&'a str>,
}

impl<'a> SubjectView<'a> {
    pub fn new(knowledge: &'a Knowledge, text: &'a RenderedText, index: usize) -> Self {
        let subject = &knowledge.subjects[index];
        Self {
            link: SubjectLink::new(subject),
            aka: &subject.aka,
            summary_html: &text.subject_summary(index).html,
            url: subject.url.as_deref(),
        }
    }
}

/// A fact as a cell or a list item: enough to show it and link to its permalink.
#[derive(Debug, Serialize)]
pub struct FactCard<'a> {
    pub id: &'a str,
    pub global_id: String,
    pub href: String,
    pub statement_html: &'a str,
    pub key: Option<&'a str>,
    /// The typed value as text, with its unit.
    pub value: Option<String>,
    pub shared: bool,
    pub subjects: Vec<SubjectLink<'a>>,
    pub verified: Option<String>,
}

impl<'a> FactCard<'a> {
    pub fn new(knowledge: &'a Knowledge, text: &'a RenderedText, at: FactIndex) -> Self {
        let fact = knowledge.fact_at(at);
        Self {
            id: &fact.id,
            global_id: fact.global_id(),
            href: format!("facts/{}/{}/", fact.dimension, fact.id),
            statement_html: &text.statement(at).html,
            key: fact.key.as_ref().map(|k| k.value.as_str()),
            value: value_text(fact),
            shared: fact.shared,
            subjects: fact
                .subjects
                .iter()
                .filter_map(|s| knowledge.subject(&s.value))
                .map(SubjectLink::new)
                .collect(),
            verified: fact.verified.map(|d| d.to_string()),
        }
    }
}

/// Fact cards as template values, shared by every page that shows them: a fact shows on its
/// own page, beside its siblings on theirs, and in a row of the overview, of every compare
/// page, of its subjects' pages and of its dimension's page. Template values share their
/// maps, so a kept card costs nothing to show again; how many are kept depends on the size of
/// the site (see [`CardStore`]).
#[derive(Debug)]
pub struct Cards<'a> {
    knowledge: &'a Knowledge,
    text: &'a RenderedText,
    store: CardStore,
    /// Cards made so far.
    #[cfg(test)]
    made: AtomicUsize,
}

/// Sites up to this many facts keep every card they make: about 2.4 KB a card, so at most
/// 60 MB, against 13 makings of each card otherwise. Larger sites would pass the memory
/// budget (1 GiB at 100,000 facts) and keep only the cards near each thread's pages.
const KEEP_EVERY_CARD_UP_TO: usize = 25_000;

/// Where cards are kept between the pages that show them.
#[derive(Debug)]
enum CardStore {
    /// One slot per fact, by dimension, filled when a page first shows the fact: a build
    /// that renders a few dimensions (an edit) makes only their cards.
    Every(Vec<Vec<OnceLock<tera::Value>>>),
    /// One slot per rayon worker thread, each used by its thread alone, holding the cards of
    /// the dimension it last showed. Pages are rendered in runs of neighbours, so this keeps
    /// the siblings of fact pages; each table row makes its cards anew.
    Recent(Vec<Mutex<Option<RecentCards>>>),
}

/// The cards of one dimension made so far, by fact.
#[derive(Debug)]
struct RecentCards {
    dimension: usize,
    cards: Vec<Option<tera::Value>>,
}

impl<'a> Cards<'a> {
    /// No card made yet.
    pub fn new(knowledge: &'a Knowledge, text: &'a RenderedText) -> Self {
        let store = if knowledge.fact_count() <= KEEP_EVERY_CARD_UP_TO {
            CardStore::Every(
                knowledge
                    .dimensions
                    .iter()
                    .map(|dimension| dimension.facts.iter().map(|_| OnceLock::new()).collect())
                    .collect(),
            )
        } else {
            CardStore::Recent(
                (0..rayon::current_num_threads())
                    .map(|_| Mutex::new(None))
                    .collect(),
            )
        };
        Self {
            knowledge,
            text,
            store,
            #[cfg(test)]
            made: AtomicUsize::new(0),
        }
    }

    /// The card of the fact at `at`.
    pub fn get(&self, at: FactIndex) -> tera::Value {
        let make = || {
            #[cfg(test)]
            self.made.fetch_add(1, Ordering::Relaxed);
            tera::Value::from_serializable(&FactCard::new(self.knowledge, self.text, at))
        };
        match &self.store {
            CardStore::Every(slots) => slots[at.dimension][at.fact].get_or_init(make).clone(),
            CardStore::Recent(slots) => {
                let Some(slot) = rayon::current_thread_index().and_then(|i| slots.get(i)) else {
                    return make();
                };
                let mut slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let recent = match &mut *slot {
                    Some(recent) if recent.dimension == at.dimension => recent,
                    other => other.insert(RecentCards {
                        dimension: at.dimension,
                        cards: vec![None; self.knowledge.dimensions[at.dimension].facts.len()],
                    }),
                };
                recent.cards[at.fact].get_or_insert_with(make).clone()
            }
        }
    }

    /// How many cards have been made.
    #[cfg(test)]
    pub fn made(&self) -> usize {
        self.made.load(Ordering::Relaxed)
    }
}

/// One cell of a comparison table: the facts of one subject in one row.
#[derive(Debug, Serialize)]
pub struct Cell {
    /// [`FactCard`]s, as made by [`Cards`].
    pub facts: Vec<tera::Value>,
    /// Columns the cell spans (a fact shared by every subject spans them all).
    pub colspan: usize,
}

/// One row of a comparison table.
#[derive(Debug, Serialize)]
pub struct Row {
    /// The row's heading: a dimension (overview) or a key (dimension page).
    pub label: String,
    pub href: Option<String>,
    pub cells: Vec<Cell>,
}

/// A comparison table: one column per subject. Its rows are rendered beforehand, in
/// parallel, with the theme's `row.html` (see `Templates::render_rows`), so that a table of
/// thousands of rows never sits in memory as template values all at once.
#[derive(Debug, Serialize)]
pub struct Table<'a> {
    pub subjects: Vec<SubjectLink<'a>>,
    pub rows_html: String,
}

/// Builds the rows of one dimension's table for the given subject columns: keyed facts in
/// rows by key, shared facts in their own rows, the rest in one row of per-subject lists.
pub fn dimension_rows(cards: &Cards<'_>, dimension_index: usize, columns: &[usize]) -> Vec<Row> {
    let knowledge = cards.knowledge;
    let dimension = &knowledge.dimensions[dimension_index];
    let column_of = |subject: &str| {
        let position = knowledge.subject_position(subject)?;
        columns.iter().position(|&c| c == position)
    };
    let empty_cells = || {
        (0..columns.len())
            .map(|_| Cell {
                facts: Vec::new(),
                colspan: 1,
            })
            .collect::<Vec<_>>()
    };
    let mut keyed: Vec<Row> = Vec::new();
    let mut shared: Vec<Row> = Vec::new();
    let mut others = empty_cells();
    for (f, fact) in dimension.facts.iter().enumerate() {
        let at = FactIndex {
            dimension: dimension_index,
            fact: f,
        };
        let shown: Vec<usize> = fact
            .subjects
            .iter()
            .filter_map(|s| column_of(&s.value))
            .collect();
        if shown.is_empty() {
            continue;
        }
        let row = match &fact.key {
            Some(key) => match keyed.iter().position(|r| r.label == key.value) {
                Some(i) => &mut keyed[i],
                None => {
                    keyed.push(Row {
                        label: key.value.clone(),
                        href: None,
                        cells: empty_cells(),
                    });
                    keyed.last_mut().expect("just pushed")
                }
            },
            None if fact.shared && shown.len() > 1 => {
                let label = "Shared".to_string();
                let mut cells = empty_cells();
                if shown.len() == columns.len() {
                    cells = vec![Cell {
                        facts: Vec::new(),
                        colspan: columns.len(),
                    }];
                }
                shared.push(Row {
                    label,
                    href: None,
                    cells,
                });
                shared.last_mut().expect("just pushed")
            }
            None => {
                for column in shown {
                    others[column].facts.push(cards.get(at));
                }
                continue;
            }
        };
        if row.cells.len() == 1 && columns.len() > 1 {
            row.cells[0].facts.push(cards.get(at));
        } else {
            for column in shown {
                row.cells[column].facts.push(cards.get(at));
            }
        }
    }
    for row in &mut keyed {
        row.label = humanize_key(&row.label);
    }
    let mut rows = keyed;
    rows.extend(shared);
    if others.iter().any(|c| !c.facts.is_empty()) {
        rows.push(Row {
            label: "Facts".to_string(),
            href: None,
            cells: others,
        });
    }
    rows
}

/// One row of the overview matrix: a dimension, one cell per subject in `columns`.
pub fn matrix_row(cards: &Cards<'_>, d: usize, columns: &[usize]) -> Row {
    let knowledge = cards.knowledge;
    let dimension = &knowledge.dimensions[d];
    let mut cells: Vec<Cell> = columns
        .iter()
        .map(|_| Cell {
            facts: Vec::new(),
            colspan: 1,
        })
        .collect();
    for (f, fact) in dimension.facts.iter().enumerate() {
        for (column, &subject) in columns.iter().enumerate() {
            if fact.is_about(&knowledge.subjects[subject].id) {
                cells[column].facts.push(cards.get(FactIndex {
                    dimension: d,
                    fact: f,
                }));
            }
        }
    }
    Row {
        label: dimension.title.clone(),
        href: Some(format!("dimensions/{}/", dimension.id)),
        cells,
    }
}

/// A link in the breadcrumb trail.
#[derive(Debug, Serialize)]
pub struct Crumb {
    pub title: String,
    pub href: String,
}

/// The earliest and latest `verified` dates among some facts.
#[derive(Debug, Serialize, Default)]
pub struct Verified {
    pub oldest: Option<String>,
    pub newest: Option<String>,
}

impl Verified {
    pub fn of<'f>(facts: impl IntoIterator<Item = &'f Fact>) -> Self {
        let dates: Vec<_> = facts.into_iter().filter_map(|f| f.verified).collect();
        Self {
            oldest: dates.iter().min().map(ToString::to_string),
            newest: dates.iter().max().map(ToString::to_string),
        }
    }
}

/// Every distinct source of some facts, in first-cited order.
pub fn sources<'f>(facts: impl IntoIterator<Item = &'f Fact>) -> Vec<&'f str> {
    let mut seen = std::collections::HashSet::new();
    facts
        .into_iter()
        .flat_map(|f| f.sources.iter())
        .map(String::as_str)
        .filter(|s| seen.insert(*s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::load::numbered_facts;

    /// A knowledge base of two dimensions with `per_dimension` facts about subject `a` each.
    fn knowledge(per_dimension: usize) -> Knowledge {
        numbered_facts(&["d", "e"], per_dimension)
    }

    fn at(dimension: usize, fact: usize) -> FactIndex {
        FactIndex { dimension, fact }
    }

    #[test]
    fn a_small_sites_cards_are_made_once_for_every_page_that_shows_them() {
        let k = knowledge(3);
        let text = RenderedText::new(&k);
        let cards = Cards::new(&k, &text);
        let first = cards.get(at(1, 2));
        assert_eq!(cards.made(), 1);
        // Asked again from other threads and between other dimensions, as table rows ask.
        rayon::scope(|scope| {
            let cards = &cards;
            for fact in 0..3 {
                scope.spawn(move |_| {
                    cards.get(at(0, fact));
                    cards.get(at(1, 2));
                });
            }
        });
        assert_eq!(cards.made(), 4, "each card once");
        assert_eq!(cards.get(at(1, 2)), first);
        assert_eq!(
            first.get_from_path("href").and_then(tera::Value::as_str),
            Some("facts/e/f2/")
        );
    }

    #[test]
    fn a_large_sites_cards_are_kept_only_near_each_threads_pages() {
        let k = knowledge(KEEP_EVERY_CARD_UP_TO / 2 + 1);
        let text = RenderedText::new(&k);
        let cards = Cards::new(&k, &text);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("a pool");
        pool.install(|| {
            cards.get(at(0, 0));
            cards.get(at(0, 1));
            cards.get(at(0, 0));
            assert_eq!(cards.made(), 2, "a thread keeps its dimension's cards");
            cards.get(at(1, 0));
            cards.get(at(0, 0));
            assert_eq!(cards.made(), 4, "and only that dimension's");
        });
    }
}
