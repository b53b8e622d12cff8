//! Rendering: the Tera templates of the theme, compiled once, applied to every page of the
//! site in parallel, and written through the output sink.

pub mod embeds;
pub mod pages;
pub mod views;

use std::collections::HashMap;
use std::path::PathBuf;

use tera::{Context, Tera};
use thiserror::Error;

use crate::config::SiteConfig;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::knowledge::Knowledge;
use crate::output::OutputError;
use crate::text::RenderedText;
use crate::theme::{FileOrigin, TEMPLATE_SUFFIXES, Theme};

pub use pages::{Page, render_pages};

/// Everything a renderer reads; built once per build and shared by every page.
pub struct RenderContext<'a> {
    pub config: &'a SiteConfig,
    pub knowledge: &'a Knowledge,
    pub text: &'a RenderedText,
    pub theme: &'a Theme,
    pub related: Related,
}

impl<'a> RenderContext<'a> {
    pub fn new(
        config: &'a SiteConfig,
        knowledge: &'a Knowledge,
        text: &'a RenderedText,
        theme: &'a Theme,
    ) -> Self {
        Self {
            config,
            knowledge,
            text,
            theme,
            related: Related::new(knowledge),
        }
    }
}

/// Look-ups between facts that pages need, computed once so that no page scans the model.
#[derive(Debug, Default)]
pub struct Related {
    /// `(dimension position, key)` to the positions of the facts with that key.
    by_key: HashMap<(usize, String), Vec<usize>>,
}

impl Related {
    pub fn new(knowledge: &Knowledge) -> Self {
        let mut by_key: HashMap<(usize, String), Vec<usize>> = HashMap::new();
        for (at, fact) in knowledge.facts() {
            if let Some(key) = &fact.key {
                by_key
                    .entry((at.dimension, key.value.clone()))
                    .or_default()
                    .push(at.fact);
            }
        }
        Self { by_key }
    }

    /// The facts of a dimension that share a key: one row of the comparison.
    pub fn same_key(&self, dimension: usize, key: &str) -> &[usize] {
        self.by_key
            .get(&(dimension, key.to_string()))
            .map_or(&[], Vec::as_slice)
    }
}

/// A failure while rendering or writing pages.
#[derive(Debug, Error)]
pub enum RenderError {
    #[error("{0}")]
    Template(Box<Diagnostic>),
    #[error(transparent)]
    Output(#[from] OutputError),
}

/// The theme's templates, parsed and checked once.
pub struct Templates {
    tera: Tera,
    theme: Theme,
}

impl Templates {
    /// Parses every template; syntax errors name the template file and line.
    pub fn new(theme: &Theme) -> Result<Templates, Diagnostics> {
        let mut tera = Tera::new();
        tera.autoescape_on(TEMPLATE_SUFFIXES);
        let sources: Vec<(&str, &str)> = theme
            .templates
            .iter()
            .map(|(name, source)| (name.as_str(), source.text.as_str()))
            .collect();
        if let Err(err) = tera.add_raw_templates(sources) {
            return Err(Diagnostics::from(vec![template_diagnostic(theme, &err)]));
        }
        Ok(Templates {
            tera,
            theme: theme.clone(),
        })
    }

    /// Renders one template with one page's context.
    pub fn render(&self, name: &str, context: &Context) -> Result<String, RenderError> {
        self.tera
            .render(name, context)
            .map_err(|err| RenderError::Template(Box::new(template_diagnostic(&self.theme, &err))))
    }

    /// True when the theme has this template (optional templates may be left out).
    pub fn has(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }
}

/// Turns a Tera error into a diagnostic that names the template file, line and column.
pub fn template_diagnostic(theme: &Theme, err: &tera::Error) -> Diagnostic {
    use std::error::Error as _;
    let report = match err.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => {
            Some(report)
        }
        _ => None,
    };
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    let Some(report) = report else {
        return Diagnostic::error(None, format!("template error: {message}"));
    };
    let name = report.filename();
    let shown = theme.templates.get(name).map_or_else(
        || PathBuf::from(name),
        |t| PathBuf::from(t.origin.display(name, "templates")),
    );
    let text = theme
        .templates
        .get(name)
        .map(|t| t.text.clone())
        .unwrap_or_default();
    let file = SourceFile::new(shown, text);
    let span = report.span();
    let is_built_in = theme
        .templates
        .get(name)
        .is_some_and(|t| t.origin == FileOrigin::BuiltIn);
    file.error(span.range.clone(), report.message().to_string())
        .with_hint(if is_built_in {
            "this is the built-in theme; an override in templates/ may be passing it bad data"
                .to_string()
        } else {
            format!("fix the template; every variable it uses must exist for this page ({name})")
        })
}
