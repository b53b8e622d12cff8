//! The knowledge model: subjects, dimensions, facts and questions as plain data, with look-ups
//! by id. Loaded from TOML by [`load()`]; knows nothing of HTML, templates or search.

pub mod cache;
pub mod load;

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tomlread::{Located, Origin};

pub use load::{LoadLimits, load};

/// An option being compared, such as "Serverless".
#[derive(Debug, Clone)]
pub struct Subject {
    pub id: String,
    pub name: String,
    pub aka: Vec<String>,
    /// Markdown.
    pub summary: Option<String>,
    pub url: Option<String>,
    pub origin: Origin,
}

/// One comparison dimension, one file: its facts and the decision questions it contributes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dimension {
    /// The file stem.
    pub id: String,
    pub title: String,
    /// Markdown.
    pub summary: Option<String>,
    pub order: Option<i64>,
    pub tags: Vec<String>,
    pub facts: Vec<Fact>,
    pub questions: Vec<Question>,
    /// The start of the file.
    pub origin: Origin,
}

/// A reference to a subject or fact by id, kept with where it was written.
pub type Ref = Located<String>;

/// One statement about one subject (or several, for a shared fact) in one dimension.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fact {
    /// Unique within its dimension.
    pub id: String,
    /// The dimension's id, so a fact can be handled on its own.
    pub dimension: String,
    /// Subject ids, in authored order.
    pub subjects: Vec<Ref>,
    /// Written with `subjects = [...]` rather than `subject = "..."`.
    pub shared: bool,
    /// Markdown.
    pub statement: String,
    /// Facts with the same key across subjects are the cells of one matrix row.
    pub key: Option<Located<String>>,
    pub value: Option<Located<FactValue>>,
    pub unit: Option<Located<String>>,
    pub sources: Vec<String>,
    pub tags: Vec<String>,
    pub verified: Option<Date>,
    /// Former ids, whose permalinks redirect here.
    pub aliases: Vec<Ref>,
    /// The `[[facts]]` header.
    pub origin: Origin,
}

impl Fact {
    /// `dimension/fact`: the id that is unique across the knowledge base.
    pub fn global_id(&self) -> String {
        [self.dimension.as_str(), "/", self.id.as_str()].concat()
    }

    /// True when the fact is about the subject (alone or shared).
    pub fn is_about(&self, subject: &str) -> bool {
        self.subjects.iter().any(|s| s.value == subject)
    }
}

/// A fact's typed value, comparable across subjects when the keys match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FactValue {
    Integer(i64),
    Float(f64),
    Bool(bool),
    String(String),
}

impl FactValue {
    /// The type's name as users write it in TOML.
    pub fn type_name(&self) -> &'static str {
        match self {
            FactValue::Integer(_) => "integer",
            FactValue::Float(_) => "float",
            FactValue::Bool(_) => "bool",
            FactValue::String(_) => "string",
        }
    }

    /// The value as a number, for range queries and sorting.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FactValue::Integer(i) => Some(*i as f64),
            FactValue::Float(f) => Some(*f),
            _ => None,
        }
    }
}

impl fmt::Display for FactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactValue::Integer(i) => write!(f, "{i}"),
            FactValue::Float(x) => write!(f, "{x}"),
            FactValue::Bool(true) => f.write_str("yes"),
            FactValue::Bool(false) => f.write_str("no"),
            FactValue::String(s) => f.write_str(s),
        }
    }
}

/// A calendar date, as TOML writes it (`2026-11-01`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Days since 1970-01-01 (proleptic Gregorian), for staleness checks.
    pub fn days_since_epoch(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let year_of_era = y - era * 400;
        let day_of_year = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date of a count of days since 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Today in UTC.
    pub fn today() -> Date {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch((seconds / 86_400) as i64)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A decision question: answering it rules out or favours subjects.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub dimension: String,
    pub text: String,
    /// Markdown.
    pub help: Option<String>,
    pub answers: Vec<Answer>,
    pub origin: Origin,
}

impl Question {
    /// `dimension/question`.
    pub fn global_id(&self) -> String {
        [self.dimension.as_str(), "/", self.id.as_str()].concat()
    }
}

/// One answer to a question, with its effect on the candidates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub label: String,
    pub rules_out: Vec<Ref>,
    /// Subject id and positive weight, in authored order.
    pub favors: Vec<(Ref, u32)>,
    /// Global fact ids (`dimension/fact`); local references are qualified when loaded.
    pub because: Vec<Ref>,
    pub origin: Origin,
}

/// Where a fact lives: indexes into `Knowledge::dimensions` and that dimension's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FactIndex {
    pub dimension: usize,
    pub fact: usize,
}

/// The whole knowledge base, dimensions in display order, with look-ups by id.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub subjects: Vec<Subject>,
    pub dimensions: Vec<Dimension>,
    subject_index: HashMap<String, usize>,
    dimension_index: HashMap<String, usize>,
    fact_index: HashMap<String, FactIndex>,
    alias_index: HashMap<String, FactIndex>,
}

impl Knowledge {
    /// Sorts dimensions into display order and indexes every id; the first of duplicate ids
    /// wins (duplicates are reported by validation).
    pub fn new(subjects: Vec<Subject>, mut dimensions: Vec<Dimension>) -> Self {
        dimensions.sort_by(|a, b| {
            let order = |d: &Dimension| (d.order.is_none(), d.order.unwrap_or(0));
            order(a)
                .cmp(&order(b))
                .then_with(|| a.title.cmp(&b.title))
                .then_with(|| a.id.cmp(&b.id))
        });
        let mut subject_index = HashMap::with_capacity(subjects.len());
        for (i, subject) in subjects.iter().enumerate() {
            subject_index.entry(subject.id.clone()).or_insert(i);
        }
        let mut dimension_index = HashMap::with_capacity(dimensions.len());
        let mut fact_index = HashMap::with_capacity(dimensions.iter().map(|d| d.facts.len()).sum());
        let mut alias_index = HashMap::new();
        for (d, dimension) in dimensions.iter().enumerate() {
            dimension_index.entry(dimension.id.clone()).or_insert(d);
            for (f, fact) in dimension.facts.iter().enumerate() {
                let at = FactIndex {
                    dimension: d,
                    fact: f,
                };
                fact_index.entry(fact.global_id()).or_insert(at);
                for alias in &fact.aliases {
                    alias_index
                        .entry(format!("{}/{}", dimension.id, alias.value))
                        .or_insert(at);
                }
            }
        }
        Self {
            subjects,
            dimensions,
            subject_index,
            dimension_index,
            fact_index,
            alias_index,
        }
    }

    pub fn subject(&self, id: &str) -> Option<&Subject> {
        self.subject_index.get(id).map(|&i| &self.subjects[i])
    }

    /// The subject's position in subjects.toml, the tie-breaker everywhere.
    pub fn subject_position(&self, id: &str) -> Option<usize> {
        self.subject_index.get(id).copied()
    }

    pub fn dimension(&self, id: &str) -> Option<&Dimension> {
        self.dimension_index.get(id).map(|&i| &self.dimensions[i])
    }

    pub fn dimension_position(&self, id: &str) -> Option<usize> {
        self.dimension_index.get(id).copied()
    }

    /// A fact by its global id (`dimension/fact`).
    pub fn fact(&self, global_id: &str) -> Option<&Fact> {
        self.fact_index.get(global_id).map(|at| self.fact_at(*at))
    }

    pub fn fact_position(&self, global_id: &str) -> Option<FactIndex> {
        self.fact_index.get(global_id).copied()
    }

    pub fn fact_at(&self, at: FactIndex) -> &Fact {
        &self.dimensions[at.dimension].facts[at.fact]
    }

    /// Where a reference points: a fact's current global id, or a former one
    /// (`dimension/alias`).
    pub fn resolve_fact(&self, global_id: &str) -> Option<FactIndex> {
        self.fact_index
            .get(global_id)
            .or_else(|| self.alias_index.get(global_id))
            .copied()
    }

    /// Every fact, in display order, with its location.
    pub fn facts(&self) -> impl Iterator<Item = (FactIndex, &Fact)> {
        self.dimensions
            .iter()
            .enumerate()
            .flat_map(|(d, dimension)| {
                dimension.facts.iter().enumerate().map(move |(f, fact)| {
                    (
                        FactIndex {
                            dimension: d,
                            fact: f,
                        },
                        fact,
                    )
                })
            })
    }

    pub fn fact_count(&self) -> usize {
        self.dimensions.iter().map(|d| d.facts.len()).sum()
    }

    /// Every question, in dimension order then authored order.
    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.dimensions.iter().flat_map(|d| d.questions.iter())
    }

    /// All subject ids, for "did you mean" hints.
    pub fn subject_ids(&self) -> Vec<&str> {
        self.subjects.iter().map(|s| s.id.as_str()).collect()
    }
}

/// Ids are slugs: lowercase ASCII letters, digits and hyphens, starting with a letter or digit.
pub fn is_slug(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A slug made from any text, for hints that suggest a valid id.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_days() {
        for date in [
            Date {
                year: 2026,
                month: 11,
                day: 1,
            },
            Date {
                year: 2000,
                month: 2,
                day: 29,
            },
        ] {
            assert_eq!(Date::from_days_since_epoch(date.days_since_epoch()), date);
        }
        assert_eq!(
            Date {
                year: 1970,
                month: 1,
                day: 2
            }
            .days_since_epoch(),
            1
        );
    }

    #[test]
    fn accepts_only_slugs() {
        assert!(is_slug("run-duration"));
        assert!(is_slug("9lives"));
        assert!(!is_slug("Run Duration"));
        assert!(!is_slug("-x"));
        assert!(!is_slug(""));
        assert_eq!(slugify("Run Duration!"), "run-duration");
    }
}
