//! Every Markdown text of the knowledge base rendered once, in parallel, and shared by every
//! page, embed, export and search document that shows it; and how typed values and keys read
//! as words, the same in every output.

use std::sync::OnceLock;

use rayon::prelude::*;

use crate::knowledge::{Fact, FactIndex, FactValue, Knowledge};
use crate::markdown;

/// A Markdown text in the forms the outputs need.
#[derive(Debug, Clone, Default)]
pub struct Text {
    /// Sanitized HTML, with a lone paragraph unwrapped so it fits in a table cell.
    pub html: String,
    /// The words without markup.
    pub plain: String,
}

impl Text {
    fn render(source: &str) -> Self {
        Self {
            html: markdown::to_inline_html(source),
            plain: markdown::to_plain_text(source),
        }
    }

    fn render_opt(source: Option<&String>) -> Self {
        source.map_or_else(Text::default, |s| Self::render(s))
    }
}

/// The rendered text of a whole knowledge base, addressed like the model. A dimension's texts
/// are rendered when first asked for, once: a build after an edit renders those of the
/// dimensions it remakes, not all of them.
#[derive(Debug, Default)]
pub struct RenderedText {
    subject_summaries: Vec<Text>,
    dimensions: Vec<LazyDimension>,
}

/// One dimension's Markdown (copied, so that the text does not borrow the model) and, once
/// rendered, its texts: the words alone, and both forms.
#[derive(Debug)]
struct LazyDimension {
    summary: Option<String>,
    statements: Vec<String>,
    help: Vec<Option<String>>,
    /// All the search index needs. After an edit the index remakes a whole group of
    /// dimensions, most of them unchanged, whose sanitized HTML no page needs; it costs three
    /// times as much as the words.
    plain: OnceLock<DimensionWords>,
    rendered: OnceLock<DimensionText>,
}

#[derive(Debug)]
struct DimensionWords {
    summary: String,
    statements: Vec<String>,
    help: Vec<String>,
}

#[derive(Debug)]
struct DimensionText {
    summary: Text,
    statements: Vec<Text>,
    help: Vec<Text>,
}

impl LazyDimension {
    fn words(&self) -> &DimensionWords {
        let words = |source: Option<&String>| {
            source.map_or_else(String::new, |s| markdown::to_plain_text(s))
        };
        self.plain.get_or_init(|| DimensionWords {
            summary: words(self.summary.as_ref()),
            statements: self.statements.iter().map(|s| words(Some(s))).collect(),
            help: self.help.iter().map(|h| words(h.as_ref())).collect(),
        })
    }

    fn text(&self) -> &DimensionText {
        self.rendered.get_or_init(|| {
            let words = self.words();
            let text = |source: Option<&String>, plain: &String| Text {
                html: source.map_or_else(String::new, |s| markdown::to_inline_html(s)),
                plain: plain.clone(),
            };
            DimensionText {
                summary: text(self.summary.as_ref(), &words.summary),
                statements: self
                    .statements
                    .iter()
                    .zip(&words.statements)
                    .map(|(s, plain)| text(Some(s), plain))
                    .collect(),
                help: self
                    .help
                    .iter()
                    .zip(&words.help)
                    .map(|(h, plain)| text(h.as_ref(), plain))
                    .collect(),
            }
        })
    }
}

impl RenderedText {
    /// The subjects' summaries are rendered now; each dimension's texts on first use.
    pub fn new(knowledge: &Knowledge) -> Self {
        let subject_summaries = knowledge
            .subjects
            .par_iter()
            .map(|s| Text::render_opt(s.summary.as_ref()))
            .collect();
        let dimensions = knowledge
            .dimensions
            .iter()
            .map(|d| LazyDimension {
                summary: d.summary.clone(),
                statements: d.facts.iter().map(|f| f.statement.clone()).collect(),
                help: d.questions.iter().map(|q| q.help.clone()).collect(),
                plain: OnceLock::new(),
                rendered: OnceLock::new(),
            })
            .collect();
        Self {
            subject_summaries,
            dimensions,
        }
    }

    pub fn subject_summary(&self, s: usize) -> &Text {
        &self.subject_summaries[s]
    }

    pub fn dimension_summary(&self, d: usize) -> &Text {
        &self.dimensions[d].text().summary
    }

    pub fn statement(&self, at: FactIndex) -> &Text {
        &self.dimensions[at.dimension].text().statements[at.fact]
    }

    pub fn question_help(&self, d: usize, q: usize) -> &Text {
        &self.dimensions[d].text().help[q]
    }

    /// [`RenderedText::dimension_summary`]'s words, without rendering the dimension's HTML.
    pub fn dimension_summary_words(&self, d: usize) -> &str {
        &self.dimensions[d].words().summary
    }

    /// [`RenderedText::statement`]'s words, without rendering the dimension's HTML.
    pub fn statement_words(&self, at: FactIndex) -> &str {
        &self.dimensions[at.dimension].words().statements[at.fact]
    }

    /// [`RenderedText::question_help`]'s words, without rendering the dimension's HTML.
    pub fn question_help_words(&self, d: usize, q: usize) -> &str {
        &self.dimensions[d].words().help[q]
    }
}

/// "900 s", "yes", "10240 MB": a fact's value as readers see it.
pub fn value_text(fact: &Fact) -> Option<String> {
    let value = match &fact.value.as_ref()?.value {
        FactValue::Integer(n) => group_digits(*n),
        other => other.to_string(),
    };
    Some(match &fact.unit {
        Some(unit) => format!("{value}\u{a0}{}", unit.value),
        None => value,
    })
}

/// `10240` → "10,240": digits grouped from five digits up, so years stay as written.
fn group_digits(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    if digits.len() < 5 {
        return n.to_string();
    }
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        grouped.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// `max_runtime` → "Max runtime", `max_vcpus` → "Max vCPUs".
pub fn humanize_key(key: &str) -> String {
    const ACRONYMS: &[(&str, &str)] = &[
        ("api", "API"),
        ("aws", "AWS"),
        ("az", "AZ"),
        ("cpu", "CPU"),
        ("cpus", "CPUs"),
        ("gpu", "GPU"),
        ("iam", "IAM"),
        ("id", "ID"),
        ("ip", "IP"),
        ("os", "OS"),
        ("sla", "SLA"),
        ("url", "URL"),
        ("vcpu", "vCPU"),
        ("vcpus", "vCPUs"),
        ("vpc", "VPC"),
        ("tls", "TLS"),
        ("sso", "SSO"),
    ];
    let words: Vec<String> = key
        .split(['_', '-', ' '])
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, word)| {
            match ACRONYMS
                .iter()
                .find(|(lower, _)| lower.eq_ignore_ascii_case(word))
            {
                Some((_, acronym)) => acronym.to_string(),
                None if i == 0 => {
                    let mut chars = word.chars();
                    chars
                        .next()
                        .map(|c| c.to_uppercase().chain(chars).collect())
                        .unwrap_or_default()
                }
                None => word.to_string(),
            }
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_dimension_only_when_its_text_is_asked_for() {
        let loaded = crate::build::shipped();
        let text = RenderedText::new(&loaded.knowledge);
        let rendered = |text: &RenderedText| {
            text.dimensions
                .iter()
                .filter(|d| d.rendered.get().is_some())
                .count()
        };
        assert_eq!(rendered(&text), 0);
        let at = FactIndex {
            dimension: 1,
            fact: 0,
        };
        let statement = &loaded.knowledge.fact_at(at).statement;
        assert_eq!(text.statement(at).plain, markdown::to_plain_text(statement));
        assert_eq!(rendered(&text), 1);
        assert!(text.dimensions[1].rendered.get().is_some());
    }

    #[test]
    fn the_words_alone_render_no_html_and_match_the_words_of_both_forms() {
        let loaded = crate::build::shipped();
        let k = &loaded.knowledge;
        let words = RenderedText::new(k);
        let both = RenderedText::new(k);
        for (d, dimension) in k.dimensions.iter().enumerate() {
            assert_eq!(
                words.dimension_summary_words(d),
                both.dimension_summary(d).plain
            );
            for f in 0..dimension.facts.len() {
                let at = FactIndex {
                    dimension: d,
                    fact: f,
                };
                assert_eq!(words.statement_words(at), both.statement(at).plain);
            }
            for q in 0..dimension.questions.len() {
                assert_eq!(
                    words.question_help_words(d, q),
                    both.question_help(d, q).plain
                );
            }
        }
        assert!(
            words.dimensions.iter().all(|d| d.rendered.get().is_none()),
            "no HTML was rendered for the words"
        );
        assert!(k.dimensions.iter().any(|d| !d.questions.is_empty()));
    }

    #[test]
    fn humanizes_keys() {
        assert_eq!(humanize_key("max_runtime"), "Max runtime");
        assert_eq!(humanize_key("pays-when-idle"), "Pays when idle");
        assert_eq!(humanize_key("max_vcpus"), "Max vCPUs");
        assert_eq!(humanize_key("cpu_allocation"), "CPU allocation");
    }

    #[test]
    fn groups_digits_from_five_up() {
        assert_eq!(group_digits(10240), "10,240");
        assert_eq!(group_digits(-1234567), "-1,234,567");
        assert_eq!(group_digits(2026), "2026");
    }
}
