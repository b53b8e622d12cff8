//! Rendering: the Tera templates of the theme, compiled once, applied to every page of the
//! site in parallel, and written through the output sink.

pub mod decide;
pub mod diagram;
pub mod embeds;
pub mod pages;
pub mod views;

use std::collections::HashMap;
use std::path::PathBuf;

use tera::{Context, Tera};
use thiserror::Error;

use crate::config::SiteConfig;
use crate::decide::DecisionTree;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::incremental::FileParts;
use crate::knowledge::{FactIndex, Knowledge};
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
    /// Fact cards as template values, shared by neighbouring pages that show them.
    pub cards: views::Cards<'a>,
    /// The decision tree, when the knowledge base has questions.
    pub tree: Option<&'a DecisionTree>,
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
            cards: views::Cards::new(knowledge, text),
            tree: None,
        }
    }

    /// Adds the decision tree, for the decide page and the links to it.
    pub fn with_tree(mut self, tree: Option<&'a DecisionTree>) -> Self {
        self.tree = tree;
        self
    }
}

/// An answer whose `because` cites a fact, for "questions that cite this fact".
#[derive(Debug, Clone, Copy)]
pub struct Citation {
    pub dimension: usize,
    pub question: usize,
    pub answer: usize,
}

/// Look-ups between facts that pages need, computed once so that no page scans the model.
#[derive(Debug, Default)]
pub struct Related {
    /// `(dimension position, key)` to the positions of the facts with that key.
    by_key: HashMap<(usize, String), Vec<usize>>,
    /// A fact's position to the answers that cite it.
    cited_by: HashMap<FactIndex, Vec<Citation>>,
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
        let mut cited_by: HashMap<FactIndex, Vec<Citation>> = HashMap::new();
        for (d, dimension) in knowledge.dimensions.iter().enumerate() {
            for (q, question) in dimension.questions.iter().enumerate() {
                for (a, answer) in question.answers.iter().enumerate() {
                    for reference in &answer.because {
                        if let Some(at) = knowledge.resolve_fact(&reference.value) {
                            cited_by.entry(at).or_default().push(Citation {
                                dimension: d,
                                question: q,
                                answer: a,
                            });
                        }
                    }
                }
            }
        }
        Self { by_key, cited_by }
    }

    /// The facts of a dimension that share a key: one row of the comparison.
    pub fn same_key(&self, dimension: usize, key: &str) -> &[usize] {
        self.by_key
            .get(&(dimension, key.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// The answers that cite a fact, in dimension and authored order.
    pub fn cited_by(&self, at: FactIndex) -> &[Citation] {
        self.cited_by.get(&at).map_or(&[], Vec::as_slice)
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
            return Err(Diagnostics::from(vec![template_diagnostic(
                theme, &err, None,
            )]));
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
            .map_err(|err| self.error(&err, name))
    }

    /// Renders one template as the bytes of a file: what [`Templates::render`] returns, without
    /// checking again that it is UTF-8 (Tera writes only strings), which took 1% of a build.
    pub fn render_file(&self, name: &str, context: &Context) -> Result<Vec<u8>, RenderError> {
        // About a fact page: most pages are written without growing the buffer.
        let mut bytes = Vec::with_capacity(16 * 1024);
        self.tera
            .render_to(name, context, &mut bytes)
            .map_err(|err| self.error(&err, name))?;
        Ok(bytes)
    }

    /// An error of template `name` as a diagnostic naming its file and line.
    fn error(&self, err: &tera::Error, name: &str) -> RenderError {
        RenderError::Template(Box::new(template_diagnostic(&self.theme, err, Some(name))))
    }

    /// Renders table rows in parallel with `row.html`.
    pub fn render_rows(
        &self,
        root: &str,
        rows: impl rayon::iter::IndexedParallelIterator<Item = views::Row>,
    ) -> Result<Vec<String>, RenderError> {
        self.render_each("row.html", "row", root, rows)
    }

    /// Renders one template per item in parallel, each with the item as `name` and the
    /// page's `root`; the parts in order.
    pub fn render_each<T: serde::Serialize + Send>(
        &self,
        template: &str,
        name: &'static str,
        root: &str,
        items: impl rayon::iter::IndexedParallelIterator<Item = T>,
    ) -> Result<Vec<String>, RenderError> {
        use rayon::iter::ParallelIterator;
        items
            .map(|item| {
                let mut context = Context::new();
                context.insert(name, &item);
                context.insert("root", root);
                self.render(template, &context)
            })
            .collect()
    }

    /// Renders one part per dimension (`0..dimensions`) of run `list` of a whole-site file, in
    /// parallel, leaving out (`None`) those the old file gives.
    #[allow(clippy::too_many_arguments)]
    pub fn render_by_dimension<T: serde::Serialize + Send>(
        &self,
        template: &str,
        name: &'static str,
        root: &str,
        dimensions: usize,
        file: Option<&FileParts<'_>>,
        list: usize,
        item: impl Fn(usize) -> T + Sync + Send,
    ) -> Result<Vec<Option<String>>, RenderError> {
        use rayon::prelude::*;
        let fresh: Vec<usize> = (0..dimensions)
            .filter(|&d| !file.is_some_and(|f| f.has_old(list, d)))
            .collect();
        let rendered =
            self.render_each(template, name, root, fresh.par_iter().map(|&d| item(d)))?;
        let mut parts = vec![None; dimensions];
        for (d, html) in fresh.into_iter().zip(rendered) {
            parts[d] = Some(html);
        }
        Ok(parts)
    }

    /// True when the theme has this template (optional templates may be left out).
    pub fn has(&self, name: &str) -> bool {
        self.tera.contains_template(name)
    }
}

/// HTML rendered apart (the rows of a large table) and spliced into its page when the page is
/// written: the page template only sees a marker, so the rows are never copied into template
/// values or a whole-page string. Knowledge text cannot forge a marker: its `<` is escaped or
/// sanitized away.
#[derive(Debug, Default)]
pub struct Splices {
    parts: Vec<(String, Spliced)>,
}

#[derive(Debug)]
enum Spliced {
    Rendered(Vec<String>),
    /// One part per dimension, forming run `list` of the file's parts (see
    /// [`crate::incremental::FileParts`]); `None` for a part copied from the old file.
    ByDimension {
        list: usize,
        parts: Vec<Option<String>>,
    },
}

impl Splices {
    /// Keeps `parts` and returns the marker the template prints in their place.
    pub fn add(&mut self, parts: Vec<String>) -> String {
        self.push(Spliced::Rendered(parts))
    }

    /// Like [`Splices::add`], for one part per dimension whose offsets the file records as
    /// run `list`; the parts that are `None` are copied from the old file.
    pub fn add_by_dimension(&mut self, list: usize, parts: Vec<Option<String>>) -> String {
        self.push(Spliced::ByDimension { list, parts })
    }

    fn push(&mut self, spliced: Spliced) -> String {
        let marker = format!("<versus-splice-{}>", self.parts.len());
        self.parts.push((marker.clone(), spliced));
        marker
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Writes the page with each marker replaced by its parts, recording in `file` where the
    /// per-dimension parts lie (`out` must count through it).
    pub fn write(
        &self,
        page: &str,
        out: &mut dyn std::io::Write,
        file: Option<&FileParts<'_>>,
    ) -> std::io::Result<()> {
        let mut rest = page;
        for (marker, spliced) in &self.parts {
            let Some(at) = rest.find(marker.as_str()) else {
                continue;
            };
            out.write_all(&rest.as_bytes()[..at])?;
            match spliced {
                Spliced::Rendered(parts) => {
                    for part in parts {
                        out.write_all(part.as_bytes())?;
                    }
                }
                Spliced::ByDimension { list, parts } => {
                    for (d, part) in parts.iter().enumerate() {
                        file.inspect(|f| f.start(*list, d));
                        let old;
                        let html = match part {
                            Some(html) => html.as_str(),
                            None => {
                                old = FileParts::reused(file, *list, d)?;
                                &*old
                            }
                        };
                        out.write_all(html.as_bytes())?;
                        file.inspect(|f| f.end(*list, d, part.is_none()));
                    }
                }
            }
            rest = &rest[at + marker.len()..];
        }
        out.write_all(rest.as_bytes())
    }
}

/// Turns a Tera error into a diagnostic that names the template file, line and column;
/// `rendering` is the template being rendered, for errors Tera does not locate.
pub fn template_diagnostic(
    theme: &Theme,
    err: &tera::Error,
    rendering: Option<&str>,
) -> Diagnostic {
    use std::error::Error as _;
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    let report = match err.kind() {
        tera::ErrorKind::SyntaxError(report) | tera::ErrorKind::RenderingError(report) => report,
        tera::ErrorKind::CircularInclude { tpl, .. }
        | tera::ErrorKind::CircularExtend { tpl, .. } => {
            return Diagnostic::error(Some(&template_path(theme, tpl)), message).with_hint(
                "a template may not include or extend itself, directly or through others",
            );
        }
        _ => {
            let file = rendering.map(|name| template_path(theme, name));
            let recursive: Vec<String> = recursive_components(theme)
                .into_iter()
                .map(|(component, template)| {
                    format!(
                        "`{component}` in {}",
                        template_path(theme, &template).display()
                    )
                })
                .collect();
            let hint = if recursive.is_empty() {
                "check the components this template uses".to_string()
            } else {
                format!(
                    "a component that calls itself needs a condition that ends the recursion: {}",
                    recursive.join(", ")
                )
            };
            return Diagnostic::error(file.as_deref(), format!("template error: {message}"))
                .with_hint(hint);
        }
    };
    let name = report.filename();
    let text = theme
        .templates
        .get(name)
        .map(|t| t.text.clone())
        .unwrap_or_default();
    let file = SourceFile::new(template_path(theme, name), text);
    let is_built_in = theme
        .templates
        .get(name)
        .is_some_and(|t| t.origin == FileOrigin::BuiltIn);
    file.error(report.span().range.clone(), report.message().to_string())
        .with_hint(if is_built_in {
            "this is the built-in theme; an override in templates/ may be passing it bad data"
                .to_string()
        } else {
            format!("fix the template; every variable it uses must exist for this page ({name})")
        })
}

/// Components whose body calls the component itself, with the template defining them.
fn recursive_components(theme: &Theme) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let site_templates = theme
        .templates
        .iter()
        .filter(|(_, t)| t.origin != FileOrigin::BuiltIn);
    for (template, source) in site_templates {
        let mut rest = source.text.as_str();
        while let Some(start) = rest.find("{% component ") {
            rest = &rest[start + "{% component ".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                .collect();
            let body = rest
                .find("{% endcomponent")
                .map_or(rest, |end| &rest[..end]);
            let calls_itself = [" ", "/", ">"]
                .iter()
                .any(|next| body.contains(&format!("<{name}{next}")));
            if !name.is_empty() && calls_itself {
                found.push((name, template.clone()));
            }
        }
    }
    found
}

/// The file a template came from, as messages show it.
fn template_path(theme: &Theme, name: &str) -> PathBuf {
    theme.templates.get(name).map_or_else(
        || PathBuf::from(name),
        |t| PathBuf::from(t.origin.display(name, "templates")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_parts_in_place_of_their_markers() {
        let mut splices = Splices::default();
        let rows = splices.add(vec!["<tr>1</tr>".into(), "<tr>2</tr>".into()]);
        let other = splices.add(vec!["<p>x</p>".into()]);
        let page = format!("<table>{rows}</table>{other}<footer>&lt;versus-splice-0&gt;</footer>");
        let mut out = Vec::new();
        splices.write(&page, &mut out, None).expect("write");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "<table><tr>1</tr><tr>2</tr></table><p>x</p><footer>&lt;versus-splice-0&gt;</footer>"
        );
    }
}
