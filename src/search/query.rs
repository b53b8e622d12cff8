//! The one query path every front end uses (the CLI, the WebAssembly module in the browser and
//! the HTTP server): the same bounds checked before parsing, the same parser settings and
//! ranking, the same facet counts and the same HTML-escaped excerpts. Depends on tantivy,
//! serde and std only, so the WebAssembly crate compiles this very file.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, QueryParserError, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, Score, Searcher, TantivyDocument, Term};

use super::exclusion;
use super::facets::FacetCollector;
use super::schema::Fields;
use super::spelling::correct;

/// Longest query accepted, in characters: far more than anyone types, far less than what
/// makes parsing slow.
pub const MAX_QUERY_CHARS: usize = 500;
/// Deepest parenthesis nesting accepted; tantivy's parser recurses once per level and overflows
/// its stack at about 10,000 (sooner in WebAssembly).
pub const MAX_NESTING: usize = 16;
/// Most hits one request returns.
pub const MAX_LIMIT: usize = 100;
/// Hits returned when a request does not say.
pub const DEFAULT_LIMIT: usize = 10;
/// Length of an excerpt, in characters.
pub const EXCERPT_CHARS: usize = 180;

/// What a front end asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// tantivy's query syntax: words, "phrases", AND/OR/-, `field:value`, `value:[a TO b]`.
    pub query: String,
    /// Hits to return; clamped to [`MAX_LIMIT`]. Zero returns only the total and facets.
    #[serde(default = "default_limit")]
    pub limit: usize,
    /// Only documents about this subject id.
    #[serde(default)]
    pub subject: Option<String>,
    /// Only documents in this dimension id.
    #[serde(default)]
    pub dimension: Option<String>,
}

fn default_limit() -> usize {
    DEFAULT_LIMIT
}

impl Request {
    /// A request for a query with the default limit and no filters.
    pub fn new(query: impl Into<String>) -> Request {
        Request {
            query: query.into(),
            limit: DEFAULT_LIMIT,
            subject: None,
            dimension: None,
        }
    }
}

/// The answer, serialized as is by `versus search --json`, the browser and the HTTP API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The query as given.
    pub query: String,
    /// How many documents match (all of them, not only the hits returned).
    pub total: u64,
    /// Best first.
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// Present when the query found nothing as typed and these are the results of this
    /// corrected query instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
}

/// One matching document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// `dimension/fact` for a fact, `dimension/question` for a question, else the bare id.
    pub id: String,
    /// `fact`, `dimension`, `subject` or `question`.
    pub kind: String,
    pub title: String,
    /// Text escaped for HTML, with the matched words in `<mark>`: the only markup it holds.
    pub excerpt_html: String,
    /// Relative to the site root.
    pub url: String,
    pub score: Score,
    /// The same excerpt as plain text pieces, for terminals.
    #[serde(skip)]
    pub excerpt: Vec<ExcerptPart>,
}

/// A piece of an excerpt: matched words or the text between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcerptPart {
    pub text: String,
    pub matched: bool,
}

/// Matching documents counted by subject and by dimension id (at most
/// [`super::facets::MAX_FACET_VALUES`] each, the largest counts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    pub subject: BTreeMap<String, u64>,
    pub dimension: BTreeMap<String, u64>,
}

/// Why a query was refused; every message fits on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    Empty,
    TooLong {
        chars: usize,
    },
    TooDeep,
    Invalid(String),
    /// The index itself could not be read.
    Index(String),
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Empty => f.write_str("the query is empty; type some words to search for"),
            QueryError::TooLong { chars } => write!(
                f,
                "the query is too long: {chars} characters, at most {MAX_QUERY_CHARS}"
            ),
            QueryError::TooDeep => write!(
                f,
                "the query nests parentheses more than {MAX_NESTING} levels deep"
            ),
            QueryError::Invalid(message) => write!(f, "invalid query: {message}"),
            QueryError::Index(message) => write!(f, "cannot read the search index: {message}"),
        }
    }
}

impl std::error::Error for QueryError {}

impl From<tantivy::TantivyError> for QueryError {
    fn from(err: tantivy::TantivyError) -> Self {
        QueryError::Index(one_line(&err.to_string()))
    }
}

/// Messages quote what was typed: on one line, with every character that could end the line,
/// move a terminal's cursor or reorder the text around it (bidirectional controls) escaped.
fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !line.is_empty() {
            line.push(' ');
        }
        for c in word.chars() {
            if c.is_control() || is_bidi_control(c) {
                line.extend(c.escape_unicode());
            } else {
                line.push(c);
            }
        }
    }
    line
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Checks a query's size and nesting before tantivy's parser sees it.
pub fn check_bounds(query: &str) -> Result<&str, QueryError> {
    let query = query.trim();
    if query.is_empty() {
        return Err(QueryError::Empty);
    }
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong { chars });
    }
    let (mut depth, mut quoted) = (0usize, false);
    for c in query.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(QueryError::TooDeep);
                }
            }
            ')' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(query)
}

/// Opens a searcher over a versus index in any directory, with its analyzers registered and
/// no background reloading (there are no threads in WebAssembly).
pub fn open_searcher<D: tantivy::Directory>(directory: D) -> Result<Searcher, QueryError> {
    let index = Index::open(directory)?;
    super::schema::register_tokenizers(&index);
    let reader = index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()?;
    Ok(reader.searcher())
}

/// Runs a request: the query as typed (all words required); if nothing matches, the query
/// with misspelt words corrected; if still nothing, any of its words.
pub fn search(searcher: &Searcher, request: &Request) -> Result<SearchResults, QueryError> {
    let text = check_bounds(&request.query)?;
    let fields = Fields::from_schema(searcher.schema())?;
    let limit = request.limit.min(MAX_LIMIT);
    let run = |text: &str, all: bool| -> Result<(Outcome, Box<dyn Query>), QueryError> {
        let query = filtered(
            parse(searcher.index(), &fields, text, all)?,
            &fields,
            request,
        );
        Ok((collect(searcher, &fields, &*query, limit)?, query))
    };
    let (mut outcome, mut query) = run(text, true)?;
    let mut did_you_mean = None;
    if outcome.total == 0 {
        let corrected = correct(searcher, &fields, text)?;
        let candidate = corrected.as_deref().unwrap_or(text);
        let several_words = candidate.split_whitespace().nth(1).is_some();
        let retries = [(corrected.is_some(), true), (several_words, false)];
        for (_, all_words) in retries.into_iter().filter(|(worth, _)| *worth) {
            let (retry, retry_query) = run(candidate, all_words)?;
            if retry.total > 0 {
                (outcome, query) = (retry, retry_query);
                did_you_mean = corrected;
                break;
            }
        }
    }
    let hits = hits(searcher, &fields, &*query, &outcome.top)?;
    Ok(SearchResults {
        query: request.query.clone(),
        total: outcome.total,
        hits,
        facets: outcome.facets,
        did_you_mean,
    })
}

fn parse(
    index: &Index,
    fields: &Fields,
    text: &str,
    all_words: bool,
) -> Result<Box<dyn Query>, QueryError> {
    let mut parser = QueryParser::for_index(
        index,
        vec![fields.title, fields.body, fields.tags, fields.extra],
    );
    parser.set_field_boost(fields.title, 3.0);
    parser.set_field_boost(fields.tags, 1.5);
    parser.set_field_boost(fields.extra, 0.5);
    if all_words {
        parser.set_conjunction_by_default();
    }
    exclusion::parse(&parser, text).map_err(parse_error)
}

fn parse_error(err: QueryParserError) -> QueryError {
    let message = match &err {
        QueryParserError::AllButQueryForbidden => {
            "a query cannot only exclude words (`-word`); add a word to search for".to_string()
        }
        QueryParserError::FieldDoesNotExist(field) => unknown_field(field),
        QueryParserError::SyntaxError(_) => {
            "syntax error; check quotes, parentheses and `field:value` pairs".to_string()
        }
        other => one_line(&other.to_string()),
    };
    QueryError::Invalid(message)
}

/// Longest piece of a query quoted in a message, in characters.
const QUOTED_CHARS: usize = 40;

fn unknown_field(field: &str) -> String {
    let mut quoted: String = one_line(field).chars().take(QUOTED_CHARS).collect();
    if field.chars().count() > QUOTED_CHARS {
        quoted.push('…');
    }
    format!(
        "unknown field `{quoted}`; use kind, id, subject, dimension, title, body, tags, key or value"
    )
}

/// Some queries parse but fail only when they run (`field:*` checks the field then); those
/// failures come from the query, not from the index.
fn run_error(err: tantivy::TantivyError) -> QueryError {
    match err {
        tantivy::TantivyError::FieldNotFound(field) => QueryError::Invalid(unknown_field(&field)),
        tantivy::TantivyError::SchemaError(message) if message.contains("not a fast field") => {
            QueryError::Invalid(
                "`field:*` works only with subject, dimension and value".to_string(),
            )
        }
        tantivy::TantivyError::SchemaError(message) => QueryError::Invalid(one_line(&message)),
        other => other.into(),
    }
}

fn filtered(query: Box<dyn Query>, fields: &Fields, request: &Request) -> Box<dyn Query> {
    let mut clauses = vec![(Occur::Must, query)];
    for (field, value) in [
        (fields.subject, &request.subject),
        (fields.dimension, &request.dimension),
    ] {
        if let Some(value) = value {
            let term = Term::from_field_text(field, value);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
            ));
        }
    }
    if clauses.len() == 1 {
        clauses.remove(0).1
    } else {
        Box::new(BooleanQuery::new(clauses))
    }
}

struct Outcome {
    total: u64,
    top: Vec<(Score, DocAddress)>,
    facets: Facets,
}

fn collect(
    searcher: &Searcher,
    fields: &Fields,
    query: &dyn Query,
    limit: usize,
) -> Result<Outcome, QueryError> {
    let facets = FacetCollector {
        subject: searcher.schema().get_field_name(fields.subject).to_string(),
        dimension: searcher
            .schema()
            .get_field_name(fields.dimension)
            .to_string(),
    };
    // Counting every match needs no scores; the best hits then come from a second pass that
    // can skip blocks of documents that cannot make the top (block-max WAND).
    let (total, facets) = searcher
        .search(query, &(Count, facets))
        .map_err(run_error)?;
    let top = if limit == 0 || total == 0 {
        Vec::new()
    } else {
        searcher
            .search(query, &TopDocs::with_limit(limit).order_by_score())
            .map_err(run_error)?
    };
    Ok(Outcome {
        total: total as u64,
        top,
        facets,
    })
}

fn hits(
    searcher: &Searcher,
    fields: &Fields,
    query: &dyn Query,
    top: &[(Score, DocAddress)],
) -> Result<Vec<Hit>, QueryError> {
    let mut snippets = SnippetGenerator::create(searcher, query, fields.body).map_err(run_error)?;
    snippets.set_max_num_chars(EXCERPT_CHARS);
    top.iter()
        .map(|&(score, address)| {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let excerpt = excerpt(&snippets, &text(fields.body));
            Ok(Hit {
                id: text(fields.id),
                kind: text(fields.kind),
                title: text(fields.title),
                excerpt_html: excerpt_html(&excerpt),
                url: text(fields.url),
                score,
                excerpt,
            })
        })
        .collect()
}

/// The best passage of a body with its matched words, or its beginning when no word of the
/// query is in the body (the match was in the title or tags).
fn excerpt(snippets: &SnippetGenerator, body: &str) -> Vec<ExcerptPart> {
    let snippet = snippets.snippet(body);
    let mut parts = Vec::new();
    let mut push = |text: &str, matched: bool| {
        if !text.is_empty() {
            parts.push(ExcerptPart {
                text: text.to_string(),
                matched,
            });
        }
    };
    if snippet.is_empty() {
        let head = head(body, EXCERPT_CHARS);
        push(head, false);
        if head.len() < body.len() {
            push("…", false);
        }
        return parts;
    }
    let fragment = snippet.fragment();
    let range = snippet.fragment_range();
    // The fragment starts and ends on words: keep the punctuation around it, mark cut text.
    push(cut(&body[..range.start]), false);
    let mut at = 0;
    for highlight in tantivy::snippet::collapse_overlapped_ranges(snippet.highlighted()) {
        push(&fragment[at..highlight.start], false);
        push(&fragment[highlight.clone()], true);
        at = highlight.end;
    }
    push(&fragment[at..], false);
    push(cut(&body[range.end..]), false);
    parts
}

/// The text around an excerpt: kept when it is only punctuation, else an ellipsis.
fn cut(text: &str) -> &str {
    if text.chars().any(char::is_alphanumeric) {
        "…"
    } else {
        text
    }
}

/// The start of a text, cut at a word boundary before `max_chars`.
fn head(text: &str, max_chars: usize) -> &str {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return text;
    };
    match text[..cut].rfind(char::is_whitespace) {
        Some(space) if space > 0 => text[..space].trim_end(),
        _ => &text[..cut],
    }
}

/// Knowledge text is untrusted: every character that means something in HTML is escaped,
/// and the only markup added is `<mark>`.
pub fn excerpt_html(parts: &[ExcerptPart]) -> String {
    let mut html = String::new();
    for part in parts {
        if part.matched {
            html.push_str("<mark>");
        }
        for c in part.text.chars() {
            match c {
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                '"' => html.push_str("&quot;"),
                '\'' => html.push_str("&#39;"),
                c => html.push(c),
            }
        }
        if part.matched {
            html.push_str("</mark>");
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_queries_beyond_the_bounds_before_parsing() {
        assert_eq!(check_bounds("  "), Err(QueryError::Empty));
        let long = "a ".repeat(60_000);
        assert!(matches!(
            check_bounds(&long),
            Err(QueryError::TooLong { .. })
        ));
        assert_eq!(
            check_bounds(&"(".repeat(10_000)),
            Err(QueryError::TooLong { chars: 10_000 })
        );
        assert_eq!(check_bounds(&"(".repeat(17)), Err(QueryError::TooDeep));
        assert_eq!(
            check_bounds("\"((((((((((((((((((\""),
            Ok("\"((((((((((((((((((\"")
        );
        assert_eq!(check_bounds(" (a OR b) "), Ok("(a OR b)"));
    }

    #[test]
    fn quotes_typed_text_on_one_line_with_controls_escaped() {
        assert_eq!(one_line(" a\n\tb  c "), "a b c");
        assert_eq!(
            one_line("\u{1b}[2J\0\u{202e}x"),
            "\\u{1b}[2J\\u{0}\\u{202e}x"
        );
        let long = unknown_field(&"f".repeat(100));
        assert!(
            long.contains(&format!("`{}…`", "f".repeat(QUOTED_CHARS))),
            "{long}"
        );
    }

    #[test]
    fn escapes_every_markup_character_in_excerpts() {
        let parts = [
            ExcerptPart {
                text: "<script>\"x\" & 'y'".into(),
                matched: false,
            },
            ExcerptPart {
                text: "<b>".into(),
                matched: true,
            },
        ];
        assert_eq!(
            excerpt_html(&parts),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;<mark>&lt;b&gt;</mark>"
        );
    }

    #[test]
    fn cuts_heads_at_word_boundaries() {
        assert_eq!(head("one two three", 8), "one two");
        assert_eq!(head("short", 80), "short");
        assert_eq!(head("ééééé", 3), "ééé");
    }
}
