//! Every Markdown text of the knowledge base rendered once, in parallel, and shared by every
//! page, embed, export and search document that shows it; and how typed values and keys read
//! as words, the same in every output.

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

/// The rendered text of a whole knowledge base, addressed like the model.
#[derive(Debug, Clone, Default)]
pub struct RenderedText {
    pub subject_summaries: Vec<Text>,
    pub dimension_summaries: Vec<Text>,
    /// `[dimension][fact]`, statements.
    pub statements: Vec<Vec<Text>>,
    /// `[dimension][question]`, help texts.
    pub question_help: Vec<Vec<Text>>,
}

impl RenderedText {
    /// Renders every text once; dimensions are rendered in parallel.
    pub fn new(knowledge: &Knowledge) -> Self {
        let subject_summaries = knowledge
            .subjects
            .par_iter()
            .map(|s| Text::render_opt(s.summary.as_ref()))
            .collect();
        let per_dimension: Vec<(Text, Vec<Text>, Vec<Text>)> = knowledge
            .dimensions
            .par_iter()
            .map(|d| {
                (
                    Text::render_opt(d.summary.as_ref()),
                    d.facts.iter().map(|f| Text::render(&f.statement)).collect(),
                    d.questions
                        .iter()
                        .map(|q| Text::render_opt(q.help.as_ref()))
                        .collect(),
                )
            })
            .collect();
        let mut rendered = Self {
            subject_summaries,
            ..Self::default()
        };
        for (summary, statements, help) in per_dimension {
            rendered.dimension_summaries.push(summary);
            rendered.statements.push(statements);
            rendered.question_help.push(help);
        }
        rendered
    }

    pub fn statement(&self, at: FactIndex) -> &Text {
        &self.statements[at.dimension][at.fact]
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
