//! The JSON form of the knowledge base, schema version 1: what `versus export --format json`
//! prints and the static API serves, and what [`load`] reads back into the same knowledge.
//!
//! Every text written in Markdown is an object with the `markdown` source, the rendered and
//! sanitized `html` and the plain `text`; `page` fields are absolute permalinks. Both are
//! derived, so [`load`] reads only the Markdown. Ordering follows the site: subjects as
//! authored, dimensions in display order, facts and questions as authored.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{ExportContext, paths};
use crate::diag::SourceFile;
use crate::knowledge::{
    Answer, Date, Dimension, Fact, FactIndex, FactValue, Knowledge, Question, Subject,
};
use crate::text::Text;
use crate::tomlread::{Located, Origin};

/// The version of the JSON layout; raised on any change that could break a reader.
pub const SCHEMA_VERSION: u32 = 1;

/// A Markdown text with its rendered forms.
#[derive(Debug, Serialize, Deserialize)]
pub struct TextDoc<'a> {
    pub markdown: Cow<'a, str>,
    /// Sanitized HTML (derived; ignored when loading).
    #[serde(default)]
    pub html: Cow<'a, str>,
    /// Plain text without markup (derived; ignored when loading).
    #[serde(default)]
    pub text: Cow<'a, str>,
}

impl<'a> TextDoc<'a> {
    fn new(markdown: &'a str, rendered: &'a Text) -> Self {
        Self {
            markdown: Cow::Borrowed(markdown),
            html: Cow::Borrowed(&rendered.html),
            text: Cow::Borrowed(&rendered.plain),
        }
    }

    fn optional(markdown: Option<&'a String>, rendered: &'a Text) -> Option<Self> {
        markdown.map(|m| Self::new(m, rendered))
    }
}

/// The site the data comes from (informational; not loaded back).
#[derive(Debug, Serialize, Deserialize)]
pub struct SiteDoc<'a> {
    pub title: Cow<'a, str>,
    pub description: Option<Cow<'a, str>>,
    pub base_url: Cow<'a, str>,
    pub language: Cow<'a, str>,
}

/// A whole knowledge base, or the part of it an export selected.
#[derive(Debug, Serialize, Deserialize)]
pub struct KnowledgeDoc<'a> {
    pub schema_version: u32,
    #[serde(default)]
    pub generator: Cow<'a, str>,
    pub site: Option<SiteDoc<'a>>,
    pub subjects: Vec<SubjectDoc<'a>>,
    pub dimensions: Vec<DimensionDoc<'a>>,
}

/// A subject.
#[derive(Debug, Serialize, Deserialize)]
pub struct SubjectDoc<'a> {
    pub id: Cow<'a, str>,
    pub name: Cow<'a, str>,
    #[serde(default)]
    pub aka: Vec<Cow<'a, str>>,
    pub summary: Option<TextDoc<'a>>,
    /// The subject's own site, from subjects.toml.
    pub url: Option<Cow<'a, str>>,
    #[serde(default)]
    pub page: Cow<'a, str>,
}

/// A dimension with its facts and questions. Its facts are [`FactDoc`]s, or [`FactEntry`]s
/// when written by this program (which may share them with other files).
#[derive(Debug, Serialize, Deserialize)]
pub struct DimensionDoc<'a, F = FactDoc<'a>> {
    pub id: Cow<'a, str>,
    pub title: Cow<'a, str>,
    pub summary: Option<TextDoc<'a>>,
    pub order: Option<i64>,
    #[serde(default)]
    pub tags: Vec<Cow<'a, str>>,
    #[serde(default)]
    pub page: Cow<'a, str>,
    #[serde(default = "Vec::new")]
    pub facts: Vec<F>,
    #[serde(default)]
    pub questions: Vec<QuestionDoc<'a>>,
}

/// A fact. `value` is a JSON number, boolean or string as `value_type` says.
#[derive(Debug, Serialize, Deserialize)]
pub struct FactDoc<'a> {
    pub id: Cow<'a, str>,
    /// `dimension/id` (derived).
    #[serde(default)]
    pub global_id: Cow<'a, str>,
    pub dimension: Cow<'a, str>,
    pub subjects: Vec<Cow<'a, str>>,
    #[serde(default)]
    pub shared: bool,
    pub statement: TextDoc<'a>,
    pub key: Option<Cow<'a, str>>,
    pub value: Option<serde_json::Value>,
    /// `integer`, `float`, `bool` or `string`; null when there is no value.
    pub value_type: Option<Cow<'a, str>>,
    pub unit: Option<Cow<'a, str>>,
    #[serde(default)]
    pub sources: Vec<Cow<'a, str>>,
    #[serde(default)]
    pub tags: Vec<Cow<'a, str>>,
    /// `YYYY-MM-DD`.
    pub verified: Option<Cow<'a, str>>,
    #[serde(default)]
    pub aliases: Vec<Cow<'a, str>>,
    #[serde(default)]
    pub page: Cow<'a, str>,
}

/// A decision question.
#[derive(Debug, Serialize, Deserialize)]
pub struct QuestionDoc<'a> {
    pub id: Cow<'a, str>,
    pub text: Cow<'a, str>,
    pub help: Option<TextDoc<'a>>,
    pub answers: Vec<AnswerDoc<'a>>,
}

/// One answer and its effect.
#[derive(Debug, Serialize, Deserialize)]
pub struct AnswerDoc<'a> {
    pub label: Cow<'a, str>,
    #[serde(default)]
    pub rules_out: Vec<Cow<'a, str>>,
    /// In authored order.
    #[serde(default)]
    pub favors: Vec<FavorDoc<'a>>,
    /// Global fact ids (`dimension/fact`).
    #[serde(default)]
    pub because: Vec<Cow<'a, str>>,
}

/// A soft preference for a subject.
#[derive(Debug, Serialize, Deserialize)]
pub struct FavorDoc<'a> {
    pub subject: Cow<'a, str>,
    pub weight: u32,
}

fn cows(items: &[String]) -> Vec<Cow<'_, str>> {
    items.iter().map(|s| Cow::Borrowed(s.as_str())).collect()
}

impl<'a> SiteDoc<'a> {
    /// The site's identity from its configuration.
    pub fn new(ctx: &ExportContext<'a>) -> Self {
        Self {
            title: Cow::Borrowed(&ctx.config.title),
            description: ctx.config.description.as_deref().map(Cow::Borrowed),
            base_url: Cow::Borrowed(&ctx.config.base_url),
            language: Cow::Borrowed(&ctx.config.language),
        }
    }
}

impl<'a> SubjectDoc<'a> {
    /// The subject at a position in subjects.toml.
    pub fn new(ctx: &ExportContext<'a>, position: usize) -> Self {
        let subject = &ctx.knowledge.subjects[position];
        Self {
            id: Cow::Borrowed(&subject.id),
            name: Cow::Borrowed(&subject.name),
            aka: cows(&subject.aka),
            summary: TextDoc::optional(
                subject.summary.as_ref(),
                ctx.text.subject_summary(position),
            ),
            url: subject.url.as_deref().map(Cow::Borrowed),
            page: Cow::Owned(ctx.config.absolute_url(&paths::subject_page(&subject.id))),
        }
    }
}

impl<'a> DimensionDoc<'a> {
    /// A dimension with the facts `keep` accepts, and its questions when `questions` is set.
    pub fn new(
        ctx: &ExportContext<'a>,
        d: usize,
        keep: impl Fn(FactIndex) -> bool,
        questions: bool,
    ) -> Self {
        Self::with_facts(ctx, d, keep, questions, |at| FactDoc::new(ctx, at))
    }
}

impl<'a, F> DimensionDoc<'a, F> {
    /// What [`DimensionDoc::new`] makes, with each fact kept made by `fact`.
    pub fn with_facts(
        ctx: &ExportContext<'a>,
        d: usize,
        keep: impl Fn(FactIndex) -> bool,
        questions: bool,
        fact: impl Fn(FactIndex) -> F,
    ) -> Self {
        let dimension = &ctx.knowledge.dimensions[d];
        let facts = (0..dimension.facts.len())
            .map(|f| FactIndex {
                dimension: d,
                fact: f,
            })
            .filter(|&at| keep(at))
            .map(fact)
            .collect();
        let questions = if questions {
            (0..dimension.questions.len())
                .map(|q| QuestionDoc::new(ctx, d, q))
                .collect()
        } else {
            Vec::new()
        };
        Self {
            id: Cow::Borrowed(&dimension.id),
            title: Cow::Borrowed(&dimension.title),
            summary: TextDoc::optional(dimension.summary.as_ref(), ctx.text.dimension_summary(d)),
            order: dimension.order,
            tags: cows(&dimension.tags),
            page: Cow::Owned(
                ctx.config
                    .absolute_url(&paths::dimension_page(&dimension.id)),
            ),
            facts,
            questions,
        }
    }
}

impl<'a> FactDoc<'a> {
    /// The fact at a position.
    pub fn new(ctx: &ExportContext<'a>, at: FactIndex) -> Self {
        let fact = ctx.knowledge.fact_at(at);
        let value = fact.value.as_ref().map(|v| &v.value);
        Self {
            id: Cow::Borrowed(&fact.id),
            global_id: Cow::Owned(fact.global_id()),
            dimension: Cow::Borrowed(&fact.dimension),
            subjects: fact
                .subjects
                .iter()
                .map(|s| Cow::Borrowed(s.value.as_str()))
                .collect(),
            shared: fact.shared,
            statement: TextDoc::new(&fact.statement, ctx.text.statement(at)),
            key: fact.key.as_ref().map(|k| Cow::Borrowed(k.value.as_str())),
            value: value.map(value_json),
            value_type: value.map(|v| Cow::Borrowed(v.type_name())),
            unit: fact.unit.as_ref().map(|u| Cow::Borrowed(u.value.as_str())),
            sources: cows(&fact.sources),
            tags: cows(&fact.tags),
            verified: fact.verified.map(|d| Cow::Owned(d.to_string())),
            aliases: fact
                .aliases
                .iter()
                .map(|a| Cow::Borrowed(a.value.as_str()))
                .collect(),
            page: Cow::Owned(
                ctx.config
                    .absolute_url(&paths::fact_page(&fact.dimension, &fact.id)),
            ),
        }
    }
}

/// Sites up to this many facts keep each fact's JSON once made: about 2.3 KB a fact, so at
/// most 60 MB. Larger sites serialize a fact for each file that lists it, within the memory
/// budget (1 GiB at 100,000 facts).
const KEEP_EVERY_FACT_UP_TO: usize = 25_000;

/// A fact as a JSON file lists it: its document, or the text [`FactJsons`] made once,
/// indented for its place.
#[derive(Debug)]
pub enum FactEntry<'a> {
    Doc(Box<FactDoc<'a>>),
    Shared(String),
}

impl Serialize for FactEntry<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            FactEntry::Doc(doc) => doc.serialize(serializer),
            FactEntry::Shared(json) => super::Raw(json).serialize(serializer),
        }
    }
}

/// Each fact's JSON, serialized once for the four files that list it (its own API file and
/// those of its dimension, its subjects and the whole site): serializing each fact four times
/// was 7% of a build's user time. Only the indentation differs from file to file.
pub struct FactJsons<'a> {
    ctx: ExportContext<'a>,
    /// By dimension and fact, filled on first use; `None` on sites too large to keep them.
    kept: Option<Vec<Vec<OnceLock<Box<str>>>>>,
}

impl<'a> FactJsons<'a> {
    /// Keeps every fact's JSON on sites up to [`KEEP_EVERY_FACT_UP_TO`] facts.
    pub fn new(ctx: ExportContext<'a>) -> Self {
        Self::keeping(ctx, ctx.knowledge.fact_count() <= KEEP_EVERY_FACT_UP_TO)
    }

    /// Keeps every fact's JSON, or none.
    pub fn keeping(ctx: ExportContext<'a>, keep: bool) -> Self {
        let kept = keep.then(|| {
            ctx.knowledge
                .dimensions
                .iter()
                .map(|dimension| dimension.facts.iter().map(|_| OnceLock::new()).collect())
                .collect()
        });
        Self { ctx, kept }
    }

    /// The fact at `at`, for a place `depth` levels deep: the level the pretty printer
    /// indents the members of the object or array holding it to (1 in the top object).
    pub fn entry(&self, at: FactIndex, depth: usize) -> FactEntry<'a> {
        let Some(kept) = &self.kept else {
            return FactEntry::Doc(Box::new(FactDoc::new(&self.ctx, at)));
        };
        let json = kept[at.dimension][at.fact].get_or_init(|| {
            let mut json = super::to_json(&FactDoc::new(&self.ctx, at));
            json.pop(); // the document's final newline
            json.into_boxed_str()
        });
        FactEntry::Shared(indented(json, depth))
    }
}

/// Pretty JSON of a top-level value as the pretty printer writes it `depth` levels deep: two
/// more spaces a level after each line break. JSON strings hold no line breaks (they are
/// written `\n`), so each is the printer's.
fn indented(json: &str, depth: usize) -> String {
    let indent = "  ".repeat(depth);
    // A fact's lines are longer than 16 bytes: room enough, without counting them first.
    let mut out = String::with_capacity(json.len() + json.len() / 16 * indent.len());
    let mut lines = json.split('\n');
    out.push_str(lines.next().unwrap_or_default());
    for line in lines {
        out.push('\n');
        out.push_str(&indent);
        out.push_str(line);
    }
    out
}

fn value_json(value: &FactValue) -> serde_json::Value {
    match value {
        FactValue::Integer(i) => serde_json::Value::from(*i),
        FactValue::Float(f) => serde_json::Value::from(*f),
        FactValue::Bool(b) => serde_json::Value::from(*b),
        FactValue::String(s) => serde_json::Value::from(s.as_str()),
    }
}

impl<'a> QuestionDoc<'a> {
    fn new(ctx: &ExportContext<'a>, d: usize, q: usize) -> Self {
        let question = &ctx.knowledge.dimensions[d].questions[q];
        Self {
            id: Cow::Borrowed(&question.id),
            text: Cow::Borrowed(&question.text),
            help: TextDoc::optional(question.help.as_ref(), ctx.text.question_help(d, q)),
            answers: question
                .answers
                .iter()
                .map(|a| AnswerDoc {
                    label: Cow::Borrowed(&a.label),
                    rules_out: a
                        .rules_out
                        .iter()
                        .map(|r| Cow::Borrowed(r.value.as_str()))
                        .collect(),
                    favors: a
                        .favors
                        .iter()
                        .map(|(subject, weight)| FavorDoc {
                            subject: Cow::Borrowed(&subject.value),
                            weight: *weight,
                        })
                        .collect(),
                    because: a
                        .because
                        .iter()
                        .map(|b| Cow::Borrowed(b.value.as_str()))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Why a JSON document could not be loaded as knowledge.
#[derive(Debug, Error)]
pub enum JsonError {
    #[error("not a versus knowledge document: {0}")]
    Syntax(#[from] serde_json::Error),
    #[error("schema_version {found} is not supported (this versus reads version {SCHEMA_VERSION})")]
    Version { found: u32 },
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
}

/// Reads a knowledge document (as exported, schema version 1) back into the model. Derived
/// fields (`html`, `text`, `page`, `global_id`) are ignored; places in the model point at the
/// document as a whole, since JSON keeps no spans.
pub fn load(json: &str) -> Result<Knowledge, JsonError> {
    let doc: KnowledgeDoc<'_> = serde_json::from_str(json)?;
    if doc.schema_version != SCHEMA_VERSION {
        return Err(JsonError::Version {
            found: doc.schema_version,
        });
    }
    let origin = Origin {
        file: Arc::new(SourceFile::new("knowledge.json".into(), "")),
        span: 0..0,
    };
    let subjects = doc
        .subjects
        .into_iter()
        .map(|s| Subject {
            id: s.id.into_owned(),
            name: s.name.into_owned(),
            aka: owned(s.aka),
            summary: s.summary.map(|t| t.markdown.into_owned()),
            url: s.url.map(Cow::into_owned),
            origin: origin.clone(),
        })
        .collect();
    let dimensions = doc
        .dimensions
        .into_iter()
        .map(|d| load_dimension(d, &origin))
        .collect::<Result<_, _>>()?;
    Ok(Knowledge::new(subjects, dimensions))
}

fn owned(items: Vec<Cow<'_, str>>) -> Vec<String> {
    items.into_iter().map(Cow::into_owned).collect()
}

fn located(value: Cow<'_, str>, origin: &Origin) -> Located<String> {
    Located {
        value: value.into_owned(),
        origin: origin.clone(),
    }
}

fn load_dimension(doc: DimensionDoc<'_>, origin: &Origin) -> Result<Dimension, JsonError> {
    let id = doc.id.into_owned();
    let facts = doc
        .facts
        .into_iter()
        .map(|f| load_fact(f, &id, origin))
        .collect::<Result<_, _>>()?;
    let questions = doc
        .questions
        .into_iter()
        .map(|q| load_question(q, &id, origin))
        .collect();
    Ok(Dimension {
        title: doc.title.into_owned(),
        summary: doc.summary.map(|t| t.markdown.into_owned()),
        order: doc.order,
        tags: owned(doc.tags),
        facts,
        questions,
        origin: origin.clone(),
        id,
    })
}

fn load_question(doc: QuestionDoc<'_>, dimension: &str, origin: &Origin) -> Question {
    Question {
        id: doc.id.into_owned(),
        dimension: dimension.to_string(),
        text: doc.text.into_owned(),
        help: doc.help.map(|t| t.markdown.into_owned()),
        answers: doc
            .answers
            .into_iter()
            .map(|a| Answer {
                label: a.label.into_owned(),
                rules_out: a
                    .rules_out
                    .into_iter()
                    .map(|r| located(r, origin))
                    .collect(),
                favors: a
                    .favors
                    .into_iter()
                    .map(|f| (located(f.subject, origin), f.weight))
                    .collect(),
                because: a.because.into_iter().map(|b| located(b, origin)).collect(),
                origin: origin.clone(),
            })
            .collect(),
        origin: origin.clone(),
    }
}

fn load_fact(doc: FactDoc<'_>, dimension: &str, origin: &Origin) -> Result<Fact, JsonError> {
    let at = format!("fact `{dimension}/{}`", doc.id);
    let invalid = |message: String| JsonError::Invalid {
        at: at.clone(),
        message,
    };
    let value = match (doc.value, doc.value_type.as_deref()) {
        (None | Some(serde_json::Value::Null), _) => None,
        (Some(value), kind) => Some(fact_value(value, kind).map_err(invalid)?),
    };
    let verified = doc
        .verified
        .map(|d| parse_date(&d).ok_or_else(|| invalid(format!("`verified` `{d}` is not a date"))))
        .transpose()?;
    Ok(Fact {
        id: doc.id.into_owned(),
        dimension: dimension.to_string(),
        subjects: doc
            .subjects
            .into_iter()
            .map(|s| located(s, origin))
            .collect(),
        shared: doc.shared,
        statement: doc.statement.markdown.into_owned(),
        key: doc.key.map(|k| located(k, origin)),
        value: value.map(|value| Located {
            value,
            origin: origin.clone(),
        }),
        unit: doc.unit.map(|u| located(u, origin)),
        sources: owned(doc.sources),
        tags: owned(doc.tags),
        verified,
        aliases: doc
            .aliases
            .into_iter()
            .map(|a| located(a, origin))
            .collect(),
        origin: origin.clone(),
    })
}

/// A JSON value as the typed value `value_type` names (inferred from the JSON when absent).
fn fact_value(value: serde_json::Value, kind: Option<&str>) -> Result<FactValue, String> {
    use serde_json::Value;
    let found = match (kind, value) {
        (Some("integer") | None, Value::Number(n)) if n.is_i64() => {
            n.as_i64().map(FactValue::Integer)
        }
        (Some("float") | None, Value::Number(n)) => n.as_f64().map(FactValue::Float),
        (Some("bool") | None, Value::Bool(b)) => Some(FactValue::Bool(b)),
        (Some("string") | None, Value::String(s)) => Some(FactValue::String(s)),
        _ => None,
    };
    found.ok_or_else(|| {
        format!(
            "`value` does not match `value_type` {}",
            kind.unwrap_or("(none)")
        )
    })
}

/// `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Date { year, month, day })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value `depth` arrays deep.
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Nested<T> {
        Value(T),
        In(Vec<Nested<T>>),
    }

    fn nested<T>(value: T, depth: usize) -> Nested<T> {
        (0..depth).fold(Nested::Value(value), |inner, _| Nested::In(vec![inner]))
    }

    #[test]
    fn a_shared_fact_is_written_as_the_pretty_printer_writes_it_at_any_depth() {
        let mut loaded = crate::build::shipped();
        let statement = &mut loaded.knowledge.dimensions[0].facts[0].statement;
        statement.push_str("\n\nA second paragraph, </p> and all.");
        let ctx = ExportContext {
            config: &loaded.config,
            knowledge: &loaded.knowledge,
            text: loaded.text(),
        };
        let kept = FactJsons::keeping(ctx, true);
        let mut multiline = 0;
        for (at, fact) in loaded.knowledge.facts() {
            multiline += usize::from(fact.statement.contains('\n'));
            for depth in 0..=4 {
                let shared = kept.entry(at, depth);
                assert!(matches!(shared, FactEntry::Shared(_)));
                let printed = super::super::to_json(&nested(FactDoc::new(&ctx, at), depth));
                assert_eq!(
                    super::super::to_json(&nested(shared, depth)),
                    printed,
                    "{} at depth {depth}",
                    fact.global_id()
                );
            }
        }
        assert!(multiline > 0, "some statement spans lines");
    }

    #[test]
    fn only_sites_within_the_memory_budget_keep_their_facts_json() {
        let config = crate::config::SiteConfig::parse("site.toml".as_ref(), "title = \"T\"\n")
            .unwrap_or_else(|_| panic!("valid configuration"));
        let first = FactIndex {
            dimension: 0,
            fact: 0,
        };
        for (facts, kept) in [(3, true), (KEEP_EVERY_FACT_UP_TO + 1, false)] {
            let knowledge = crate::knowledge::load::numbered_facts(&["d"], facts);
            let text = crate::text::RenderedText::new(&knowledge);
            let ctx = ExportContext {
                config: &config,
                knowledge: &knowledge,
                text: &text,
            };
            let entry = FactJsons::new(ctx).entry(first, 2);
            assert_eq!(matches!(entry, FactEntry::Shared(_)), kept, "{facts} facts");
        }
    }

    #[test]
    fn parses_dates_as_written() {
        assert_eq!(
            parse_date("2026-11-01"),
            Some(Date {
                year: 2026,
                month: 11,
                day: 1
            })
        );
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn reads_values_by_their_type() {
        use serde_json::json;
        assert_eq!(
            fact_value(json!(900), Some("integer")),
            Ok(FactValue::Integer(900))
        );
        assert_eq!(
            fact_value(json!(900), Some("float")),
            Ok(FactValue::Float(900.0))
        );
        assert_eq!(
            fact_value(json!("x"), Some("string")),
            Ok(FactValue::String("x".into()))
        );
        assert!(fact_value(json!("x"), Some("integer")).is_err());
    }

    #[test]
    fn refuses_other_schema_versions() {
        let err = load(r#"{"schema_version": 2, "site": null, "subjects": [], "dimensions": []}"#)
            .expect_err("version 2");
        assert!(matches!(err, JsonError::Version { found: 2 }), "{err}");
    }
}
