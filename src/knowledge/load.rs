//! Loading `knowledge/`: reads subjects.toml and every dimension file (in parallel), checks
//! each file's own rules (keys, types, slugs, URLs, limits) and builds the model. Rules that
//! span files are checked afterwards by `validate`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use toml::de::DeValue;

use super::cache::ParseCache;
use super::{
    Answer, Date, Dimension, Fact, FactValue, Knowledge, Question, Ref, Subject, is_slug, slugify,
};
use crate::config::SiteConfig;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::markdown;
use crate::tomlread::{Fields, Located, Reader, decode};

/// Size limits that keep hostile input from exhausting the build.
#[derive(Debug, Clone, Copy)]
pub struct LoadLimits {
    pub max_file_bytes: u64,
    pub max_text_bytes: usize,
    pub max_nesting: usize,
}

impl Default for LoadLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 8 * 1024 * 1024,
            max_text_bytes: markdown::MAX_TEXT_BYTES,
            max_nesting: markdown::MAX_NESTING,
        }
    }
}

/// Loads the knowledge base under `root` (the folder holding site.toml). Returns the model
/// when every file could be read into one, with every problem found on the way.
pub fn load(
    root: &Path,
    config: &SiteConfig,
    limits: LoadLimits,
) -> (Option<Knowledge>, Diagnostics) {
    load_with_cache(root, config, limits, None)
}

/// [`load`], taking each dimension file whose text is unchanged from `cache` rather than
/// parsing it, and keeping those it parses there.
pub fn load_with_cache(
    root: &Path,
    config: &SiteConfig,
    limits: LoadLimits,
    cache: Option<&ParseCache>,
) -> (Option<Knowledge>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let knowledge_dir = config.knowledge_dir.clone();
    let subjects_path = knowledge_dir.join("subjects.toml");
    let subjects = match read_source(root, &subjects_path, limits) {
        Ok(file) => {
            let (subjects, file_diags) = parse_subjects(file, limits);
            diags.extend(file_diags);
            subjects
        }
        Err(diag) => {
            diags.push(diag);
            None
        }
    };
    let (files, listing_diags) = dimension_files(root, &knowledge_dir.join("dimensions"));
    diags.extend(listing_diags);
    let loaded: Vec<(Option<Dimension>, Diagnostics)> = files
        .par_iter()
        .map(|path| match read_source(root, path, limits) {
            Ok(file) => match cache {
                Some(cache) => parse_dimension_cached(file, limits, cache),
                None => parse_dimension(file, limits),
            },
            Err(diag) => (None, Diagnostics::from(vec![diag])),
        })
        .collect();
    let mut dimensions = Vec::with_capacity(loaded.len());
    for (dimension, file_diags) in loaded {
        diags.extend(file_diags);
        dimensions.extend(dimension);
    }
    let knowledge = subjects
        .filter(|_| dimensions.len() == files.len())
        .map(|s| Knowledge::new(s, dimensions));
    (knowledge, diags)
}

/// Reads and decodes one file, refusing files over the size limit before reading them.
fn read_source(root: &Path, shown: &Path, limits: LoadLimits) -> Result<SourceFile, Diagnostic> {
    let path = root.join(shown);
    let cannot_read = |err: std::io::Error| {
        let hint = match err.kind() {
            std::io::ErrorKind::NotFound => {
                "create the file, or check `knowledge_dir` in site.toml"
            }
            std::io::ErrorKind::PermissionDenied => "make the file readable",
            _ => "check the file (a symlink loop, a folder, or an unreadable disk?)",
        };
        Diagnostic::error(Some(shown), format!("cannot read file: {err}")).with_hint(hint)
    };
    let metadata = std::fs::metadata(&path).map_err(cannot_read)?;
    if metadata.is_dir() {
        return Err(Diagnostic::error(
            Some(shown),
            "expected a file, found a folder",
        ));
    }
    if !metadata.is_file() {
        return Err(Diagnostic::error(
            Some(shown),
            "not a regular file (a pipe, socket or device)",
        )
        .with_hint("knowledge files must be ordinary TOML files"));
    }
    if metadata.len() > limits.max_file_bytes {
        return Err(Diagnostic::error(
            Some(shown),
            format!(
                "file is {:.1} MiB, over the {} MiB limit for one knowledge file",
                metadata.len() as f64 / 1_048_576.0,
                limits.max_file_bytes / 1_048_576
            ),
        )
        .with_hint("split the dimension into several files"));
    }
    let bytes = std::fs::read(&path).map_err(cannot_read)?;
    decode(shown.to_path_buf(), bytes)
}

/// The `*.toml` files of `dimensions/`, sorted by name; anything else is a warning.
fn dimension_files(root: &Path, dir: &Path) -> (Vec<PathBuf>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let entries = match std::fs::read_dir(root.join(dir)) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            diags.push(
                Diagnostic::error(
                    Some(dir),
                    "folder not found: a knowledge base needs at least one dimension",
                )
                .with_hint("create knowledge/dimensions/<dimension-id>.toml"),
            );
            return (Vec::new(), diags);
        }
        Err(err) => {
            diags.push(Diagnostic::error(
                Some(dir),
                format!("cannot list folder: {err}"),
            ));
            return (Vec::new(), diags);
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                diags.push(Diagnostic::error(
                    Some(dir),
                    format!("cannot list folder: {err}"),
                ));
                continue;
            }
        };
        let shown = dir.join(entry.file_name());
        let is_toml = Path::new(&entry.file_name())
            .extension()
            .is_some_and(|e| e == "toml");
        if is_toml {
            files.push(shown);
        } else if !entry.file_name().to_string_lossy().starts_with('.') {
            diags.push(
                Diagnostic::warning(Some(&shown), "not a `.toml` file; skipped").with_hint(
                    "knowledge/dimensions/ holds only one `<dimension-id>.toml` file per dimension",
                ),
            );
        }
    }
    if files.is_empty() && !diags.has_errors() {
        diags.push(
            Diagnostic::error(
                Some(dir),
                "no dimension files: a knowledge base needs at least one dimension",
            )
            .with_hint("create knowledge/dimensions/<dimension-id>.toml"),
        );
    }
    files.sort();
    (files, diags)
}

const SUBJECTS_FILE_KEYS: &[&str] = &["subjects"];
const SUBJECT_KEYS: &[&str] = &["id", "name", "aka", "summary", "url"];

fn parse_subjects(file: SourceFile, limits: LoadLimits) -> (Option<Vec<Subject>>, Diagnostics) {
    let reader = Reader::new(Arc::new(file));
    let subjects = reader.parse().map(|root| {
        let fields = reader.fields(root.get_ref(), 0..0, "subjects.toml", SUBJECTS_FILE_KEYS);
        let tables = fields.tables("subjects");
        let subjects: Vec<Subject> = tables
            .into_iter()
            .filter_map(|(table, span)| {
                let fields = reader.fields(table, span, "subject", SUBJECT_KEYS);
                read_subject(&fields, limits)
            })
            .collect();
        let mut seen = HashSet::new();
        for subject in &subjects {
            if !seen.insert(subject.id.as_str()) {
                reader.push(
                    subject
                        .origin
                        .error(format!("duplicate subject id `{}`", subject.id))
                        .with_hint("give each subject a different id"),
                );
            }
        }
        if subjects.len() < 2 && !reader.has_errors() {
            reader.push(
                reader
                    .origin(0..0)
                    .error(format!(
                        "a comparison needs two or more subjects, found {}",
                        subjects.len()
                    ))
                    .with_hint("add a `[[subjects]]` table for each option being compared"),
            );
        }
        subjects
    });
    let diags = reader.into_diagnostics();
    (subjects.filter(|_| !diags.has_errors()), diags)
}

fn read_subject(fields: &Fields<'_, '_, '_>, limits: LoadLimits) -> Option<Subject> {
    let id = fields.required_string("id");
    let name = fields.required_string("name");
    let summary = markdown_field(fields, "summary", limits);
    let url = fields
        .string("url")
        .filter(|url| check_url(fields.reader(), url, "url"));
    let id = id.filter(|id| check_slug(fields.reader(), id, "subject id"))?;
    Some(Subject {
        id: id.value,
        name: name?.value,
        aka: fields.strings("aka").into_iter().map(|a| a.value).collect(),
        summary,
        url: url.map(|u| u.value),
        origin: id.origin,
    })
}

const DIMENSION_KEYS: &[&str] = &["title", "summary", "order", "tags", "facts", "questions"];
const FACT_KEYS: &[&str] = &[
    "id",
    "subject",
    "subjects",
    "statement",
    "key",
    "value",
    "unit",
    "sources",
    "tags",
    "verified",
    "aliases",
];
const QUESTION_KEYS: &[&str] = &["id", "text", "help", "answers"];
const ANSWER_KEYS: &[&str] = &["label", "rules_out", "favors", "because"];

/// [`parse_dimension`] through the cache: decoded when kept, kept when parsed cleanly.
fn parse_dimension_cached(
    file: SourceFile,
    limits: LoadLimits,
    cache: &ParseCache,
) -> (Option<Dimension>, Diagnostics) {
    let key = cache.key(&file, limits);
    let file = Arc::new(file);
    if let Some(dimension) = cache.get(key, &file) {
        return (Some(dimension), Diagnostics::new());
    }
    let (dimension, diags) = parse_dimension(Arc::unwrap_or_clone(file), limits);
    if let Some(dimension) = &dimension
        && diags.is_empty()
    {
        cache.put(key, dimension);
    }
    (dimension, diags)
}

fn parse_dimension(file: SourceFile, limits: LoadLimits) -> (Option<Dimension>, Diagnostics) {
    let stem = file
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = file.path.clone();
    let reader = Reader::new(Arc::new(file));
    if !is_slug(&stem) {
        reader.push(
            Diagnostic::error(
                Some(&path),
                format!("dimension id `{stem}` (the file name) is not a slug"),
            )
            .with_hint(format!(
                "ids use lowercase letters, digits and hyphens: rename the file to `{}.toml`",
                slugify(&stem)
            )),
        );
    }
    let dimension = reader.parse().and_then(|root| {
        let fields = reader.fields(root.get_ref(), 0..0, "dimension file", DIMENSION_KEYS);
        let title = fields.required_string("title");
        let summary = markdown_field(&fields, "summary", limits);
        let facts: Vec<Fact> = fields
            .tables("facts")
            .into_iter()
            .filter_map(|(table, span)| {
                read_fact(
                    &reader.fields(table, span, "fact", FACT_KEYS),
                    &stem,
                    limits,
                )
            })
            .collect();
        let questions: Vec<Question> = fields
            .tables("questions")
            .into_iter()
            .filter_map(|(table, span)| {
                read_question(
                    &reader.fields(table, span, "question", QUESTION_KEYS),
                    &stem,
                    limits,
                )
            })
            .collect();
        check_unique_ids(&reader, &facts, &questions);
        Some(Dimension {
            id: stem.clone(),
            title: title?.value,
            summary,
            order: fields.integer("order").map(|o| o.value),
            tags: fields
                .strings("tags")
                .into_iter()
                .map(|t| t.value)
                .collect(),
            facts,
            questions,
            origin: reader.origin(0..0),
        })
    });
    let diags = reader.into_diagnostics();
    (dimension.filter(|_| !diags.has_errors()), diags)
}

fn read_fact(fields: &Fields<'_, '_, '_>, dimension: &str, limits: LoadLimits) -> Option<Fact> {
    let reader = fields.reader();
    let id = fields
        .required_string("id")
        .filter(|id| check_slug(reader, id, "fact id"));
    let (subjects, shared) = fact_subjects(fields);
    let statement = if fields.raw("statement").is_none() {
        fields.missing("statement");
        None
    } else {
        markdown_field(fields, "statement", limits)
    };
    let sources = fields
        .strings("sources")
        .into_iter()
        .filter(|s| check_url(reader, s, "source"))
        .map(|s| s.value)
        .collect();
    let aliases = fields
        .strings("aliases")
        .into_iter()
        .filter(|a| check_slug(reader, a, "alias"))
        .collect();
    let key = fields.string("key");
    if let Some(key) = &key
        && key.value.trim().is_empty()
    {
        reader.push(key.origin.error("`key` must not be empty"));
    }
    let value = fact_value(fields);
    let unit = fields.string("unit");
    let verified = date(fields, "verified");
    let tags = fields
        .strings("tags")
        .into_iter()
        .map(|t| t.value)
        .collect();
    Some(Fact {
        id: id?.value,
        dimension: dimension.to_string(),
        subjects: subjects?,
        shared,
        statement: statement?,
        key,
        value,
        unit,
        sources,
        tags,
        verified,
        aliases,
        origin: fields.origin(),
    })
}

/// `subject = "x"` or `subjects = ["x", "y"]`, exactly one of them.
fn fact_subjects(fields: &Fields<'_, '_, '_>) -> (Option<Vec<Ref>>, bool) {
    let reader = fields.reader();
    match (
        fields.raw("subject").is_some(),
        fields.raw("subjects").is_some(),
    ) {
        (true, true) => {
            reader.error(
                fields.value_span("subjects").unwrap_or(fields.span.clone()),
                "a fact has either `subject` or `subjects`, not both",
                "keep `subject = \"id\"` for one subject, or `subjects = [...]` for a shared fact",
            );
            (None, false)
        }
        (false, false) => {
            reader.error(
                fields.span.clone(),
                "fact is missing required key `subject` (or `subjects` for a shared fact)",
                "add `subject = \"<subject id>\"`",
            );
            (None, false)
        }
        (true, false) => (fields.string("subject").map(|s| vec![s]), false),
        (false, true) => {
            let subjects = fields.strings("subjects");
            let span = fields.value_span("subjects").unwrap_or(fields.span.clone());
            if subjects.is_empty() {
                reader.error(
                    span,
                    "`subjects` must name at least one subject",
                    "list subject ids",
                );
                return (None, true);
            }
            let mut seen = HashSet::new();
            for subject in &subjects {
                if !seen.insert(subject.value.as_str()) {
                    reader.push(
                        subject
                            .origin
                            .error(format!("subject `{}` is listed twice", subject.value)),
                    );
                }
            }
            (Some(subjects), true)
        }
    }
}

fn fact_value(fields: &Fields<'_, '_, '_>) -> Option<Located<FactValue>> {
    let raw = fields.raw("value")?;
    let origin = fields.reader().origin(raw.span());
    let value = match raw.get_ref() {
        DeValue::String(s) => Some(FactValue::String(s.to_string())),
        DeValue::Boolean(b) => Some(FactValue::Bool(*b)),
        DeValue::Integer(_) => fields.integer("value").map(|i| FactValue::Integer(i.value)),
        DeValue::Float(f) => match f.as_str().parse::<f64>() {
            Ok(x) if x.is_finite() => Some(FactValue::Float(x)),
            _ => {
                fields.reader().push(
                    origin
                        .error("`value` must be a finite number")
                        .with_hint("write a number such as 1.5"),
                );
                None
            }
        },
        other => {
            fields.reader().push(
                origin
                    .error(format!("`value` must be an integer, float, bool or string, found {}", other.type_str()))
                    .with_hint("put lists and details in the statement; `value` holds one comparable value"),
            );
            None
        }
    };
    value.map(|value| Located { value, origin })
}

fn date(fields: &Fields<'_, '_, '_>, key: &str) -> Option<Date> {
    let raw = fields.raw(key)?;
    let found = raw
        .get_ref()
        .as_datetime()
        .and_then(|dt| match (dt.date, dt.time) {
            (Some(d), None) => Some(Date {
                year: i32::from(d.year),
                month: d.month,
                day: d.day,
            }),
            _ => None,
        });
    if found.is_none() {
        fields.reader().error(
            raw.span(),
            format!("`{key}` must be a date, found {}", raw.get_ref().type_str()),
            format!("write a bare TOML date such as `{key} = 2026-11-01` (no quotes, no time)"),
        );
    }
    found
}

fn read_question(
    fields: &Fields<'_, '_, '_>,
    dimension: &str,
    limits: LoadLimits,
) -> Option<Question> {
    let reader = fields.reader();
    let id = fields
        .required_string("id")
        .filter(|id| check_slug(reader, id, "question id"));
    let text = fields.required_string("text");
    let help = markdown_field(fields, "help", limits);
    let tables = fields.tables("answers");
    if tables.len() < 2 {
        let span = fields.value_span("answers").unwrap_or(fields.span.clone());
        reader.error(
            span,
            format!(
                "a question needs two or more answers, found {}",
                tables.len()
            ),
            "add `[[questions.answers]]` tables after the question",
        );
    }
    let answers: Vec<Answer> = tables
        .into_iter()
        .filter_map(|(table, span)| {
            read_answer(
                &reader.fields(table, span, "answer", ANSWER_KEYS),
                dimension,
            )
        })
        .collect();
    let mut labels = HashSet::new();
    for answer in &answers {
        if !labels.insert(answer.label.as_str()) {
            reader.push(
                answer
                    .origin
                    .error(format!(
                        "answer label `{}` is used twice in this question",
                        answer.label
                    ))
                    .with_hint("answers are chosen by label, so each needs a different one"),
            );
        }
    }
    Some(Question {
        id: id?.value,
        dimension: dimension.to_string(),
        text: text?.value,
        help,
        answers,
        origin: fields.origin(),
    })
}

fn read_answer(fields: &Fields<'_, '_, '_>, dimension: &str) -> Option<Answer> {
    let reader = fields.reader();
    let label = fields.required_string("label");
    let rules_out = fields.strings("rules_out");
    let favors = favors(fields);
    if rules_out.is_empty() && favors.is_empty() && fields.raw("favors").is_none() {
        reader.error(
            fields.span.clone(),
            "answer has no effect: it needs `rules_out` and/or `favors`",
            "add `rules_out = [\"<subject>\"]` or `favors = { <subject> = 1 }`",
        );
    }
    let because = fields
        .strings("because")
        .into_iter()
        .filter_map(|reference| qualify_fact_ref(reader, reference, dimension))
        .collect();
    Some(Answer {
        label: label?.value,
        rules_out,
        favors,
        because,
        origin: fields.origin(),
    })
}

/// `favors = { serverless = 2 }`: subject ids with positive integer weights.
fn favors(fields: &Fields<'_, '_, '_>) -> Vec<(Ref, u32)> {
    let reader = fields.reader();
    let Some((table, _)) = fields.table("favors") else {
        return Vec::new();
    };
    let mut weights: Vec<(Ref, u32)> = Vec::new();
    for (subject, weight) in table.iter() {
        let origin = reader.origin(subject.span());
        let positive = match weight.get_ref() {
            DeValue::Integer(int) => i64::from_str_radix(int.as_str(), int.radix())
                .ok()
                .filter(|w| (1..=i64::from(u32::MAX)).contains(w))
                .map(|w| w as u32),
            _ => None,
        };
        match positive {
            Some(w) => weights.push((
                Located {
                    value: subject.get_ref().to_string(),
                    origin,
                },
                w,
            )),
            None => reader.error(
                weight.span(),
                format!(
                    "`favors` weight for `{}` must be a positive integer",
                    subject.get_ref()
                ),
                "write a whole number such as 1, 2 or 3",
            ),
        }
    }
    weights.sort_by_key(|(subject, _)| subject.origin.span.start);
    weights
}

/// Turns a local `because` reference into `dimension/fact`; checks both parts are slugs.
fn qualify_fact_ref(reader: &Reader, reference: Ref, dimension: &str) -> Option<Ref> {
    let (dim, fact) = match reference.value.split_once('/') {
        Some((dim, fact)) => (dim.to_string(), fact.to_string()),
        None => (dimension.to_string(), reference.value.clone()),
    };
    if !is_slug(&dim) || !is_slug(&fact) {
        reader.push(
            reference
                .origin
                .error(format!(
                    "`because` entry `{}` is not a fact id",
                    reference.value
                ))
                .with_hint(
                    "write a fact id of this dimension, or `dimension/fact` for another one",
                ),
        );
        return None;
    }
    Some(Located {
        value: format!("{dim}/{fact}"),
        origin: reference.origin,
    })
}

/// Fact ids (with their aliases) and question ids are each unique within a dimension.
fn check_unique_ids(reader: &Reader, facts: &[Fact], questions: &[Question]) {
    let mut fact_ids = HashSet::new();
    for fact in facts {
        let names = std::iter::once((fact.id.as_str(), &fact.origin, "fact id")).chain(
            fact.aliases
                .iter()
                .map(|a| (a.value.as_str(), &a.origin, "alias")),
        );
        for (name, origin, what) in names {
            if !fact_ids.insert(name) {
                reader.push(
                    origin
                        .error(format!("duplicate {what} `{name}` in this dimension"))
                        .with_hint("fact ids and aliases must be unique within a dimension"),
                );
            }
        }
    }
    let mut question_ids = HashSet::new();
    for question in questions {
        if !question_ids.insert(question.id.as_str()) {
            reader.push(
                question
                    .origin
                    .error(format!(
                        "duplicate question id `{}` in this dimension",
                        question.id
                    ))
                    .with_hint("give each question a different id"),
            );
        }
    }
}

/// A Markdown field, checked against the size and nesting limits.
fn markdown_field(fields: &Fields<'_, '_, '_>, key: &str, limits: LoadLimits) -> Option<String> {
    let text = fields.string(key)?;
    if text.value.len() > limits.max_text_bytes {
        fields.reader().push(
            text.origin
                .error(format!(
                    "`{key}` is {} KiB, over the {} KiB limit",
                    text.value.len() / 1024,
                    limits.max_text_bytes / 1024
                ))
                .with_hint("shorten the text or split it into several facts"),
        );
        return None;
    }
    if let Some(depth) = markdown::nesting_over(&text.value, limits.max_nesting) {
        fields.reader().push(
            text.origin
                .error(format!(
                    "`{key}` nests Markdown {depth} levels deep, over the limit of {}",
                    limits.max_nesting
                ))
                .with_hint("flatten the nested quotes or lists"),
        );
        return None;
    }
    Some(text.value)
}

fn check_slug(reader: &Reader, id: &Located<String>, what: &str) -> bool {
    let ok = is_slug(&id.value);
    if !ok {
        let suggestion = slugify(&id.value);
        let hint = if suggestion.is_empty() {
            "ids use lowercase letters, digits and hyphens".to_string()
        } else {
            format!("ids use lowercase letters, digits and hyphens, such as `{suggestion}`")
        };
        reader.push(
            id.origin
                .error(format!("{what} `{}` is not a slug", id.value))
                .with_hint(hint),
        );
    }
    ok
}

fn check_url(reader: &Reader, url: &Located<String>, what: &str) -> bool {
    let ok = is_web_url(&url.value);
    if !ok {
        reader.push(
            url.origin
                .error(format!(
                    "{what} `{}` is not an http:// or https:// URL",
                    url.value
                ))
                .with_hint("link to a web page, for example https://docs.example.com/page"),
        );
    }
    ok
}

/// True for absolute `http://` and `https://` URLs with a host and no spaces or quotes.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty()
            && !url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "\"<>\\`".contains(c))
    })
}

/// Reads a dimension from text, as if from the file at `path`.
pub fn parse_dimension_text(path: &str, text: &str) -> (Option<Dimension>, Diagnostics) {
    parse_dimension(
        SourceFile::new(PathBuf::from(path), text),
        LoadLimits::default(),
    )
}

/// Builds a knowledge base from the texts of subjects.toml and dimension files (name, text),
/// with the per-file rules of [`load`]; for tests and tools that hold files in memory.
pub fn load_texts(
    subjects: &str,
    dimensions: &[(impl AsRef<str>, impl AsRef<str>)],
) -> (Option<Knowledge>, Diagnostics) {
    let limits = LoadLimits::default();
    let (subjects, mut diags) = parse_subjects(
        SourceFile::new(PathBuf::from("knowledge/subjects.toml"), subjects),
        limits,
    );
    let mut loaded = Vec::new();
    for (name, text) in dimensions {
        let (dimension, file_diags) = parse_dimension_text(
            &format!("knowledge/dimensions/{}", name.as_ref()),
            text.as_ref(),
        );
        diags.extend(file_diags);
        loaded.extend(dimension);
    }
    let complete = loaded.len() == dimensions.len();
    (
        subjects
            .filter(|_| complete)
            .map(|s| Knowledge::new(s, loaded)),
        diags,
    )
}

/// Subjects `a` and `b`, and a dimension per id in `dimensions` (titled after it) with
/// `per_dimension` one-sentence facts about `a`, `f0` upwards: for tests of how sites of a
/// given size are handled.
#[cfg(test)]
pub fn numbered_facts(dimensions: &[&str], per_dimension: usize) -> Knowledge {
    let files: Vec<(String, String)> = dimensions
        .iter()
        .map(|id| {
            let mut text = format!("title = \"{}\"\n", id.to_uppercase());
            for n in 0..per_dimension {
                text.push_str(&format!(
                    "[[facts]]\nid = \"f{n}\"\nsubject = \"a\"\nstatement = \"Fact {n}.\"\n"
                ));
            }
            (format!("{id}.toml"), text)
        })
        .collect();
    let (knowledge, diags) = load_texts(
        "[[subjects]]\nid = \"a\"\nname = \"A\"\n[[subjects]]\nid = \"b\"\nname = \"B\"\n",
        &files,
    );
    assert!(!diags.has_errors(), "{:?}", diags.sorted());
    knowledge.expect("valid knowledge")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        let (_, diags) = parse_dimension_text("knowledge/dimensions/pricing.toml", text);
        diags
            .sorted()
            .into_iter()
            .map(|d| format!("{}: {}", d.position(), d.message))
            .collect()
    }

    #[test]
    fn loads_a_fact_with_a_typed_value() {
        let (dimension, diags) = parse_dimension_text(
            "pricing.toml",
            "title = \"Pricing\"\n[[facts]]\nid = \"a\"\nsubject = \"s\"\nstatement = \"x\"\nvalue = 1.5\nverified = 2026-01-02\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let fact = &dimension.expect("loaded").facts[0];
        assert_eq!(
            fact.value.as_ref().map(|v| v.value.clone()),
            Some(FactValue::Float(1.5))
        );
        assert_eq!(
            fact.verified.map(|d| d.to_string()).as_deref(),
            Some("2026-01-02")
        );
    }

    #[test]
    fn reports_every_problem_in_a_file() {
        let found = messages(
            "title = 3\n[[facts]]\nid = \"Bad Id\"\nsubject = \"s\"\nstatment = \"x\"\nsources = [\"javascript:alert(1)\"]\n",
        );
        assert_eq!(
            found,
            [
                "knowledge/dimensions/pricing.toml:1:9: `title` in dimension file must be a string, found an integer",
                "knowledge/dimensions/pricing.toml:2:1: fact is missing required key `statement`",
                "knowledge/dimensions/pricing.toml:3:6: fact id `Bad Id` is not a slug",
                "knowledge/dimensions/pricing.toml:5:1: unknown key `statment` in fact",
                "knowledge/dimensions/pricing.toml:6:12: source `javascript:alert(1)` is not an http:// or https:// URL",
            ]
        );
    }

    #[test]
    fn qualifies_local_because_references() {
        let (dimension, diags) = parse_dimension_text(
            "run-duration.toml",
            "title = \"T\"\n[[questions]]\nid = \"q\"\ntext = \"?\"\n[[questions.answers]]\nlabel = \"Yes\"\nrules_out = [\"a\"]\nbecause = [\"max\", \"other/fact\"]\n[[questions.answers]]\nlabel = \"No\"\nfavors = { a = 1 }\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let because: Vec<String> = dimension.expect("loaded").questions[0].answers[0]
            .because
            .iter()
            .map(|b| b.value.clone())
            .collect();
        assert_eq!(because, ["run-duration/max", "other/fact"]);
    }

    #[test]
    fn rejects_non_web_urls() {
        assert!(is_web_url("https://docs.aws.amazon.com/lambda/"));
        assert!(!is_web_url("ftp://x"));
        assert!(!is_web_url("https://"));
        assert!(!is_web_url("https://x y"));
    }
}
