//! The model as search documents: one per fact, dimension, subject and question, with the
//! titles, text and links that readers see in results.

use crate::knowledge::{FactIndex, Knowledge};
use crate::text::RenderedText;

/// What kind of page a search hit leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Fact,
    Dimension,
    Subject,
    Question,
}

impl Kind {
    /// The name stored in the index and shown in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fact => "fact",
            Kind::Dimension => "dimension",
            Kind::Subject => "subject",
            Kind::Question => "question",
        }
    }
}

/// One document of the index, before tantivy sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDocument {
    pub kind: Kind,
    /// Global: `dimension/fact`, `dimension/question`, or the dimension's or subject's id.
    pub id: String,
    pub dimension: Option<String>,
    pub subjects: Vec<String>,
    pub title: String,
    /// Plain text of the Markdown; excerpts come from it.
    pub body: String,
    pub tags: Vec<String>,
    pub key: Option<String>,
    pub value: Option<f64>,
    /// Relative to the site root.
    pub url: String,
    /// Searchable, never shown: other names, the key in words, value and unit, former ids.
    pub extra: Vec<String>,
}

/// A run of consecutive documents that is indexed apart, so that a build can reuse the part of
/// the index made from unchanged dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// True for the first group, which starts with the subjects.
    pub subjects: bool,
    /// In index order (by id).
    pub dimensions: Vec<usize>,
}

/// The documents in index order, cut at dimension boundaries into groups of at least `size`
/// documents (the last may be smaller); always at least one group. Index order is the
/// subjects first, then each dimension (sorted by id, so that the dimension column of the index
/// grows with the document number and compresses to almost nothing) with its facts and
/// questions.
pub fn groups(knowledge: &Knowledge, size: usize) -> Vec<Group> {
    let mut order: Vec<usize> = (0..knowledge.dimensions.len()).collect();
    order.sort_by(|&a, &b| knowledge.dimensions[a].id.cmp(&knowledge.dimensions[b].id));
    let mut groups = vec![Group {
        subjects: true,
        dimensions: Vec::new(),
    }];
    let mut count = knowledge.subjects.len();
    for d in order {
        if count >= size {
            groups.push(Group {
                subjects: false,
                dimensions: Vec::new(),
            });
            count = 0;
        }
        let dimension = &knowledge.dimensions[d];
        count += 1 + dimension.facts.len() + dimension.questions.len();
        groups.last_mut().expect("never empty").dimensions.push(d);
    }
    groups
}

/// The documents of one group, in index order.
pub fn group_documents(
    knowledge: &Knowledge,
    text: &RenderedText,
    group: &Group,
) -> Vec<SearchDocument> {
    let mut docs: Vec<SearchDocument> = Vec::new();
    if group.subjects {
        docs.extend(
            knowledge
                .subjects
                .iter()
                .enumerate()
                .map(|(s, subject)| SearchDocument {
                    kind: Kind::Subject,
                    id: subject.id.clone(),
                    dimension: None,
                    subjects: vec![subject.id.clone()],
                    title: subject.name.clone(),
                    body: text.subject_summary(s).plain.clone(),
                    tags: Vec::new(),
                    key: None,
                    value: None,
                    url: format!("subjects/{}/", subject.id),
                    extra: subject.aka.clone(),
                }),
        );
    }
    for &d in &group.dimensions {
        docs.extend(dimension_documents(knowledge, text, d));
    }
    docs
}

fn dimension_documents(
    knowledge: &Knowledge,
    text: &RenderedText,
    d: usize,
) -> Vec<SearchDocument> {
    let dimension = &knowledge.dimensions[d];
    let mut docs = vec![SearchDocument {
        kind: Kind::Dimension,
        id: dimension.id.clone(),
        dimension: Some(dimension.id.clone()),
        subjects: Vec::new(),
        title: dimension.title.clone(),
        body: text.dimension_summary_words(d).to_string(),
        tags: dimension.tags.clone(),
        key: None,
        value: None,
        url: format!("dimensions/{}/", dimension.id),
        extra: Vec::new(),
    }];
    for f in 0..dimension.facts.len() {
        docs.push(fact_document(
            knowledge,
            text,
            FactIndex {
                dimension: d,
                fact: f,
            },
        ));
    }
    for (q, question) in dimension.questions.iter().enumerate() {
        let help = text.question_help_words(d, q);
        let labels = question.answers.iter().map(|a| a.label.as_str());
        let body = std::iter::once(help)
            .chain(labels)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        docs.push(SearchDocument {
            kind: Kind::Question,
            id: question.global_id(),
            dimension: Some(dimension.id.clone()),
            subjects: Vec::new(),
            title: question.text.clone(),
            body,
            tags: Vec::new(),
            key: None,
            value: None,
            url: format!("decide/?q={}", question.global_id()),
            extra: vec![dimension.title.clone()],
        });
    }
    docs
}

fn fact_document(knowledge: &Knowledge, text: &RenderedText, at: FactIndex) -> SearchDocument {
    let fact = knowledge.fact_at(at);
    let dimension = &knowledge.dimensions[at.dimension];
    let subjects: Vec<_> = fact
        .subjects
        .iter()
        .filter_map(|s| knowledge.subject(&s.value))
        .collect();
    let names: Vec<&str> = subjects.iter().map(|s| s.name.as_str()).collect();
    let mut extra: Vec<String> = subjects.iter().flat_map(|s| s.aka.clone()).collect();
    if let Some(key) = &fact.key {
        extra.push(key.value.replace(['_', '-'], " "));
    }
    if let Some(value) = &fact.value {
        let unit = fact.unit.as_ref().map_or("", |u| u.value.as_str());
        extra.push(format!("{} {unit}", value.value));
    }
    extra.extend(fact.aliases.iter().map(|a| a.value.replace('-', " ")));
    let mut tags = fact.tags.clone();
    tags.extend(dimension.tags.iter().cloned());
    SearchDocument {
        kind: Kind::Fact,
        id: fact.global_id(),
        dimension: Some(dimension.id.clone()),
        subjects: subjects.iter().map(|s| s.id.clone()).collect(),
        title: format!("{} · {}", names.join(" & "), dimension.title),
        body: text.statement_words(at).to_string(),
        tags,
        key: fact.key.as_ref().map(|k| k.value.clone()),
        value: fact.value.as_ref().and_then(|v| v.value.as_f64()),
        url: format!("facts/{}/{}/", fact.dimension, fact.id),
        extra,
    }
}
