//! Diagnostics: problems found in a site's sources, located by file, line and column, and
//! rendered with the offending source line and a hint.
//!
//! Every stage that reads user input reports through this module, so that `versus check`,
//! `versus build` and the dev server's error overlay all print the same messages.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

/// How bad a problem is: errors fail the build, warnings are printed and the build goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Where in a file a problem is, resolved once so a diagnostic needs no access to the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// The whole source line (without its line break), shown under the message.
    pub line_text: String,
    /// The byte range within `line_text` to underline.
    pub highlight: Range<usize>,
}

/// One problem, ready to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// The file as the user should see it (relative to the site root where possible).
    pub file: Option<PathBuf>,
    /// Boxed: most results carry no diagnostic, so keep them small.
    pub location: Option<Box<Location>>,
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error about a whole file, or about no file at all.
    pub fn error(file: Option<&Path>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.map(Path::to_path_buf),
            location: None,
            message: message.into(),
            hint: None,
        }
    }

    /// A warning about a whole file.
    pub fn warning(file: Option<&Path>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(file, message)
        }
    }

    /// Adds what the user should do.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `file:line:column`, or as much of it as is known.
    pub fn position(&self) -> String {
        let file = self.file.as_deref().map(display_path).unwrap_or_default();
        match &self.location {
            Some(at) => format!("{file}:{}:{}", at.line, at.column),
            None => file,
        }
    }

    /// The full report: `file:line:column: message`, the source line, and the hint.
    pub fn render(&self, renderer: &Renderer) -> String {
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let position = self.position();
        let title = if position.is_empty() {
            self.message.clone()
        } else {
            format!("{position}: {}", self.message)
        };
        let mut group = Group::with_title(level.primary_title(title));
        if let Some(at) = &self.location {
            group = group.element(
                Snippet::source(at.line_text.as_str())
                    .line_start(at.line)
                    .annotation(AnnotationKind::Primary.span(at.highlight.clone())),
            );
        }
        if let Some(hint) = &self.hint {
            group = group.element(Level::HELP.message(hint.as_str()));
        }
        renderer.render(&[group]).to_string()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&Renderer::plain()))
    }
}

/// Paths print with forward slashes so messages read the same on every platform.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The problems found in one run, kept in the order they must be reported.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// True when the run must fail.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == severity).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sorted by file, then line and column; problems without a file come first.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                let (line, column) = d.location.as_ref().map_or((0, 0), |l| (l.line, l.column));
                (d.file.clone(), line, column)
            };
            key(a).cmp(&key(b))
        });
        self.items
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(items: Vec<Diagnostic>) -> Self {
        Self { items }
    }
}

/// A source file's text with a line index, so byte spans from the TOML parser become
/// `line:column` positions.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown in messages.
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Where each line starts, found when a location is first asked for: most files never
    /// need one.
    line_starts: std::sync::OnceLock<Vec<usize>>,
    digest: std::sync::OnceLock<[u8; 32]>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: impl Into<Arc<str>>) -> Self {
        Self {
            path,
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
            digest: std::sync::OnceLock::new(),
        }
    }

    /// SHA-256 of the path and the text, each preceded by its length; computed once, since
    /// the parse cache's key and the build's fingerprints both start from it.
    pub fn digest(&self) -> [u8; 32] {
        *self.digest.get_or_init(|| {
            use sha2::{Digest, Sha256};
            let path = self.path.as_os_str().as_encoded_bytes();
            let mut hasher = Sha256::new();
            hasher.update((path.len() as u64).to_le_bytes());
            hasher.update(path);
            hasher.update((self.text.len() as u64).to_le_bytes());
            hasher.update(self.text.as_bytes());
            hasher.finalize().into()
        })
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// Resolves a byte span into a location; spans past the end point at the last line.
    pub fn locate(&self, span: Range<usize>) -> Location {
        let start = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let line_starts = self.line_starts();
        let line_index = line_starts
            .partition_point(|&s| s <= start)
            .saturating_sub(1);
        let line_start = line_starts[line_index];
        let line_end = line_starts
            .get(line_index + 1)
            .map_or(self.text.len(), |&next| next - 1);
        let line_text = self.text[line_start..line_end].trim_end_matches('\r');
        // A span that starts among the carriage returns ending a line points at its end.
        let start = start.min(line_start + line_text.len());
        let column = self.text[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(
            &self.text,
            span.end.clamp(start, line_start + line_text.len()),
        );
        let mut highlight = (start - line_start)..(end - line_start);
        if highlight.is_empty() && highlight.end < line_text.len() {
            let width = line_text[highlight.start..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
            highlight.end += width;
        }
        Location {
            line: line_index + 1,
            column,
            line_text: line_text.to_string(),
            highlight,
        }
    }

    /// An error at a span of this file.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: Some(self.path.clone()),
            location: Some(Box::new(self.locate(span))),
            message: message.into(),
            hint: None,
        }
    }

    /// A warning at a span of this file.
    pub fn warning(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..self.error(span, message)
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The closest candidate to a misspelt name, if one is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(word, candidate), candidate))
        .filter(|(distance, candidate)| {
            *distance <= (word.chars().count().max(candidate.chars().count()) / 3).max(2)
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// A hint naming the nearest valid choice, or listing the choices when none is close.
pub fn did_you_mean(word: &str, candidates: &[&str], what: &str) -> String {
    match nearest(word, candidates.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None if candidates.len() <= 12 && !candidates.is_empty() => {
            let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
            format!("valid {what}: {}", list.join(", "))
        }
        None => format!("check the spelling of this {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_files_digest_covers_its_path_and_its_text() {
        let digest = |path: &str, text: &str| SourceFile::new(path.into(), text).digest();
        let base = digest("knowledge/a.toml", "x = 1\n");
        assert_eq!(base, digest("knowledge/a.toml", "x = 1\n"));
        assert_ne!(base, digest("knowledge/b.toml", "x = 1\n"));
        assert_ne!(base, digest("knowledge/a.toml", "x = 2\n"));
        // Lengths come first: a path and a text cannot trade bytes and keep the digest.
        assert_ne!(digest("ab", "c"), digest("a", "bc"));
    }

    #[test]
    fn locates_columns_in_characters_not_bytes() {
        let file = SourceFile::new("a.toml".into(), "x = 1\nnäme = \"é\" bad\n");
        let at = file.locate(20..23);
        assert_eq!((at.line, at.column), (2, 13));
        assert_eq!(at.line_text, "näme = \"é\" bad");
    }

    #[test]
    fn locates_crlf_lines_without_carriage_return() {
        let file = SourceFile::new("a.toml".into(), "a = 1\r\nb = 2\r\n");
        let at = file.locate(7..8);
        assert_eq!((at.line, at.column), (2, 1));
        assert_eq!(at.line_text, "b = 2");
    }

    #[test]
    fn locates_spans_inside_a_run_of_carriage_returns_at_the_line_end() {
        let file = SourceFile::new("a.toml".into(), "[[q]]\r\r\r\nb = 2\n");
        let at = file.locate(7..9);
        assert_eq!((at.line, at.column), (1, 6));
        assert_eq!(at.line_text, "[[q]]");
        assert_eq!(at.highlight, 5..5);
    }

    #[test]
    fn suggests_nearest_key() {
        assert_eq!(
            nearest("statment", ["statement", "subject"]),
            Some("statement")
        );
        assert_eq!(nearest("zzzzzz", ["statement", "subject"]), None);
    }

    #[test]
    fn sorts_by_file_then_line() {
        let a = SourceFile::new("b.toml".into(), "x\ny\n");
        let b = SourceFile::new("a.toml".into(), "x\ny\n");
        let diags = Diagnostics::from(vec![
            a.error(2..3, "late"),
            a.error(0..1, "early"),
            b.error(2..3, "first file"),
        ]);
        let order: Vec<_> = diags.sorted().into_iter().map(|d| d.message).collect();
        assert_eq!(order, ["first file", "early", "late"]);
    }
}
