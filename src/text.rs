//! Every Markdown text of the knowledge base rendered once, in parallel, and shared by every
//! page, embed, export and search document that shows it.

use rayon::prelude::*;

use crate::knowledge::{FactIndex, Knowledge};
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
