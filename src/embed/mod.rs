//! Wiki and export formats: a fact or a dimension's comparison table as GitHub Markdown,
//! MediaWiki wikitext, Confluence storage format and HTML, and the knowledge base as JSON and
//! CSV. Everything is built from the model and its [`RenderedText`] (Markdown is never
//! rendered again) and serves the "embed this" snippets, the oEmbed responses, the static API
//! and `versus export` alike. Knows nothing of templates or of the command line.

pub mod csv;
pub mod escape;
pub mod json;
pub mod paths;
pub mod snippets;
pub mod table;
pub mod wiki;

use thiserror::Error;

use crate::config::SiteConfig;
use crate::incremental::FileParts;
use crate::knowledge::{Fact, FactIndex, Knowledge};
use crate::text::RenderedText;
use table::Table;
use wiki::Wiki;

/// What every format reads: the site's configuration (for absolute links), the model and its
/// rendered text.
#[derive(Clone, Copy)]
pub struct ExportContext<'a> {
    pub config: &'a SiteConfig,
    pub knowledge: &'a Knowledge,
    pub text: &'a RenderedText,
}

/// An export format of `versus export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A GitHub-flavoured Markdown table.
    Markdown,
    /// A MediaWiki `wikitable`.
    Wikitext,
    /// Confluence storage format (XHTML).
    Confluence,
    /// A plain HTML table.
    Html,
    /// The JSON knowledge document ([`json::KnowledgeDoc`]); loads back with [`json::load`].
    Json,
    /// One row per fact ([`csv::COLUMNS`]).
    Csv,
}

/// The part of the knowledge base to export; `None` means no restriction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Selection {
    /// A dimension's position.
    pub dimension: Option<usize>,
    /// A subject's position in subjects.toml: only facts about it, only its column.
    pub subject: Option<usize>,
    /// One fact.
    pub fact: Option<FactIndex>,
}

/// An id on the command line that names nothing, or names things that do not go together.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SelectionError {
    #[error("unknown {what} `{id}`; {hint}")]
    Unknown {
        what: &'static str,
        id: String,
        hint: String,
    },
    #[error("{0}")]
    Conflict(String),
}

impl Selection {
    /// Resolves ids as users type them: a dimension id, a subject id, and a fact as
    /// `dimension/fact`, a former id (alias) of one, or a fact id alone when `dimension` is
    /// given or only one dimension has it.
    pub fn resolve(
        knowledge: &Knowledge,
        dimension: Option<&str>,
        subject: Option<&str>,
        fact: Option<&str>,
    ) -> Result<Selection, SelectionError> {
        let k = knowledge;
        let dimension = dimension
            .map(|id| {
                k.dimension_position(id).ok_or_else(|| {
                    unknown("dimension", id, k.dimensions.iter().map(|d| d.id.as_str()))
                })
            })
            .transpose()?;
        let subject = subject
            .map(|id| {
                k.subject_position(id)
                    .ok_or_else(|| unknown("subject", id, k.subject_ids()))
            })
            .transpose()?;
        let fact = fact.map(|id| resolve_fact(k, dimension, id)).transpose()?;
        if let (Some(at), Some(s)) = (fact, subject)
            && !k.fact_at(at).is_about(&k.subjects[s].id)
        {
            return Err(SelectionError::Conflict(format!(
                "fact `{}` is not about subject `{}`",
                k.fact_at(at).global_id(),
                k.subjects[s].id
            )));
        }
        Ok(Selection {
            dimension: dimension.or(fact.map(|at| at.dimension)),
            subject,
            fact,
        })
    }

    /// The positions of the selected dimensions, in display order.
    pub fn dimensions(&self, knowledge: &Knowledge) -> Vec<usize> {
        match self.dimension {
            Some(d) => vec![d],
            None => (0..knowledge.dimensions.len()).collect(),
        }
    }

    /// True when the selection includes the fact.
    pub fn keeps(&self, knowledge: &Knowledge, at: FactIndex, fact: &Fact) -> bool {
        self.fact.is_none_or(|f| f == at)
            && self
                .subject
                .is_none_or(|s| fact.is_about(&knowledge.subjects[s].id))
    }

    /// The subject columns of comparison tables.
    pub fn columns(&self, knowledge: &Knowledge) -> Vec<usize> {
        match self.subject {
            Some(s) => vec![s],
            None => (0..knowledge.subjects.len()).collect(),
        }
    }
}

fn resolve_fact(
    k: &Knowledge,
    dimension: Option<usize>,
    id: &str,
) -> Result<FactIndex, SelectionError> {
    let global = match (id.split_once('/'), dimension) {
        (Some(_), _) => id.to_string(),
        (None, Some(d)) => format!("{}/{id}", k.dimensions[d].id),
        (None, None) => {
            let found: Vec<String> = k
                .facts()
                .filter(|(_, f)| f.id == id || f.aliases.iter().any(|a| a.value == id))
                .map(|(_, f)| f.global_id())
                .collect();
            match found.as_slice() {
                [one] => one.clone(),
                [] => id.to_string(),
                several => {
                    return Err(SelectionError::Conflict(format!(
                        "fact id `{id}` is in several dimensions: write one of {}",
                        several.join(", ")
                    )));
                }
            }
        }
    };
    let at = k.resolve_fact(&global).ok_or_else(|| {
        let ids: Vec<String> = k.facts().map(|(_, f)| f.global_id()).collect();
        unknown("fact", id, ids.iter().map(String::as_str))
    })?;
    if let Some(d) = dimension
        && at.dimension != d
    {
        return Err(SelectionError::Conflict(format!(
            "fact `{global}` is not in dimension `{}`",
            k.dimensions[d].id
        )));
    }
    Ok(at)
}

/// An unknown-id error naming the nearest valid id.
fn unknown<'a>(
    what: &'static str,
    id: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> SelectionError {
    let closest = candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(id, c), c))
        .min();
    SelectionError::Unknown {
        what,
        id: id.to_string(),
        hint: match closest {
            Some((_, best)) => format!("the nearest {what} is `{best}`"),
            None => format!("there is no {what} at all"),
        },
    }
}

/// The selection in a format: one table for a fact, one per dimension otherwise (each under
/// a heading when there are several), the JSON document, or the CSV of the facts.
pub fn export(ctx: &ExportContext<'_>, selection: &Selection, format: Format) -> String {
    let k = ctx.knowledge;
    let wiki = match format {
        Format::Markdown => Wiki::Markdown,
        Format::Wikitext => Wiki::Wikitext,
        Format::Confluence => Wiki::Confluence,
        Format::Html => Wiki::Html,
        Format::Json => return export_json(ctx, selection),
        Format::Csv => return csv::facts_csv(ctx, &selected_fact_groups(ctx, selection)),
    };
    let mut out = String::new();
    if let Some(at) = selection.fact {
        wiki.table(&Table::fact(ctx, at), &mut out);
        return out;
    }
    let columns = selection.columns(k);
    let tables: Vec<Table<'_>> = selection
        .dimensions(k)
        .into_iter()
        .map(|d| Table::dimension(ctx, d, &columns))
        .filter(|t| !t.rows.is_empty())
        .collect();
    for (i, table) in tables.iter().enumerate() {
        if tables.len() > 1 {
            if i > 0 {
                out.push('\n');
            }
            wiki.heading(&table.title, &mut out);
        }
        wiki.table(table, &mut out);
    }
    out
}

fn selected_facts(ctx: &ExportContext<'_>, selection: &Selection, d: usize) -> Vec<FactIndex> {
    let k = ctx.knowledge;
    (0..k.dimensions[d].facts.len())
        .map(|f| FactIndex {
            dimension: d,
            fact: f,
        })
        .filter(|&at| selection.keeps(k, at, k.fact_at(at)))
        .collect()
}

/// The JSON document of the selection: every subject (facts name them), the selected
/// dimensions and facts, and the questions of a dimension exported whole.
fn export_json(ctx: &ExportContext<'_>, selection: &Selection) -> String {
    to_json(&json_document(ctx, selection))
}

/// The JSON document of the selection, ready to serialize (see [`write_json`]). Dimensions are
/// turned into documents one at a time as they are written, so a large knowledge base is
/// never held whole in memory; the output is that of [`json::KnowledgeDoc`].
pub fn json_document<'a, 'b>(
    ctx: &'b ExportContext<'a>,
    selection: &'b Selection,
) -> LazyDocument<'a, 'b> {
    LazyDocument {
        ctx,
        selection,
        file: None,
        facts: None,
    }
}

/// How deep [`json_document`] lists facts (see [`json::FactJsons::entry`]): in the `facts`
/// of an element of the top object's `dimensions`.
const DOCUMENT_FACT_DEPTH: usize = 4;

/// See [`json_document`].
pub struct LazyDocument<'a, 'b> {
    ctx: &'b ExportContext<'a>,
    selection: &'b Selection,
    file: Option<&'b FileParts<'b>>,
    facts: Option<&'b json::FactJsons<'a>>,
}

impl<'a, 'b> LazyDocument<'a, 'b> {
    /// The same document written as a whole-site file: each dimension is a part (run 0) that
    /// the old file gives when it is unchanged.
    pub fn with_parts(mut self, file: &'b FileParts<'b>) -> Self {
        self.file = Some(file);
        self
    }

    /// The same document, its facts taken from `facts`, which other files share.
    pub fn sharing(mut self, facts: &'b json::FactJsons<'a>) -> Self {
        self.facts = Some(facts);
        self
    }
}

impl serde::Serialize for LazyDocument<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (ctx, k) = (self.ctx, self.ctx.knowledge);
        let mut doc = serializer.serialize_struct("KnowledgeDoc", 5)?;
        doc.serialize_field("schema_version", &json::SCHEMA_VERSION)?;
        doc.serialize_field("generator", generator())?;
        doc.serialize_field("site", &Some(json::SiteDoc::new(ctx)))?;
        let subjects: Vec<_> = (0..k.subjects.len())
            .map(|s| json::SubjectDoc::new(ctx, s))
            .collect();
        doc.serialize_field("subjects", &subjects)?;
        doc.serialize_field(
            "dimensions",
            &LazyDimensions {
                ctx,
                selection: self.selection,
                file: self.file,
                facts: self.facts,
            },
        )?;
        doc.end()
    }
}

struct LazyDimensions<'a, 'b> {
    ctx: &'b ExportContext<'a>,
    selection: &'b Selection,
    file: Option<&'b FileParts<'b>>,
    facts: Option<&'b json::FactJsons<'a>>,
}

impl serde::Serialize for LazyDimensions<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let (ctx, k, selection) = (self.ctx, self.ctx.knowledge, self.selection);
        let whole = selection.subject.is_none() && selection.fact.is_none();
        let dimensions = selection.dimensions(k);
        let mut seq = serializer.serialize_seq(Some(dimensions.len()))?;
        for d in dimensions {
            let fact = |at| match self.facts {
                Some(facts) => facts.entry(at, DOCUMENT_FACT_DEPTH),
                None => json::FactEntry::Doc(Box::new(json::FactDoc::new(ctx, at))),
            };
            let keep = |at| selection.keeps(k, at, k.fact_at(at));
            let doc = || json::DimensionDoc::with_facts(ctx, d, keep, whole, fact);
            match self.file {
                Some(file) => serialize_part(&mut seq, file, 0, d, || [doc()])?,
                None => seq.serialize_element(&doc())?,
            }
        }
        seq.end()
    }
}

/// The selected facts, grouped by dimension in display order (for the CSV).
pub fn selected_fact_groups(ctx: &ExportContext<'_>, selection: &Selection) -> Vec<Vec<FactIndex>> {
    selection
        .dimensions(ctx.knowledge)
        .into_iter()
        .map(|d| selected_facts(ctx, selection, d))
        .collect()
}

/// Serializes part `d` of run `list` of a whole-site JSON file: elements of the array `seq`,
/// copied from the old file when it gives the part, made by `items` otherwise; the part's
/// offsets are recorded either way (the file's writer counts through `file`).
pub fn serialize_part<S, T, I>(
    seq: &mut S,
    file: &FileParts<'_>,
    list: usize,
    d: usize,
    items: impl FnOnce() -> I,
) -> Result<(), S::Error>
where
    S: serde::ser::SerializeSeq,
    T: serde::Serialize,
    I: IntoIterator<Item = T>,
{
    if let Some(old) = file.old(list, d) {
        if old.is_empty() {
            file.start(list, d);
            file.end(list, d, true);
            return Ok(());
        }
        return seq.serialize_element(&Marked {
            file,
            list,
            d,
            first: true,
            last: true,
            value: Raw(&old),
            reused: true,
        });
    }
    let mut items = items().into_iter().peekable();
    if items.peek().is_none() {
        file.start(list, d);
        file.end(list, d, false);
    }
    let mut first = true;
    while let Some(value) = items.next() {
        let last = items.peek().is_none();
        seq.serialize_element(&Marked {
            file,
            list,
            d,
            first,
            last,
            value,
            reused: false,
        })?;
        first = false;
    }
    Ok(())
}

/// An array element that marks where its part starts (`first`) and ends (`last`): the
/// separator before an element is written before its `serialize` runs.
struct Marked<'f, 'r, T> {
    file: &'f FileParts<'r>,
    list: usize,
    d: usize,
    first: bool,
    last: bool,
    value: T,
    reused: bool,
}

impl<T: serde::Serialize> serde::Serialize for Marked<'_, '_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.first {
            self.file.start(self.list, self.d);
        }
        let done = self.value.serialize(serializer);
        if self.last {
            self.file.end(self.list, self.d, self.reused);
        }
        done
    }
}

/// JSON text written as it is: serde_json's protocol for `RawValue` (a struct named by its
/// token), without parsing the text again to check it. The text is one this program wrote for
/// the same place: a part of the old file, or a fact indented for it.
struct Raw<'a>(&'a str);

impl serde::Serialize for Raw<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        const TOKEN: &str = "$serde_json::private::RawValue";
        let mut raw = serializer.serialize_struct(TOKEN, 1)?;
        raw.serialize_field(TOKEN, self.0)?;
        raw.end()
    }
}

/// `versus 0.1.0`: the program that wrote a document.
pub fn generator() -> &'static str {
    concat!("versus ", env!("CARGO_PKG_VERSION"))
}

/// Pretty-printed JSON with a final newline. `</` is written `<\/` (the same string to a JSON
/// reader) so that a document pasted into an HTML `<script>` block cannot close it. The
/// documents are plain data, so serializing cannot fail.
pub fn to_json(value: &impl serde::Serialize) -> String {
    let mut bytes = Vec::with_capacity(4096);
    write_json(&mut bytes, value).expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("serde_json writes UTF-8")
}

/// Writes what [`to_json`] returns, straight to a writer: large documents are never held
/// whole in memory, nor copied to escape them.
pub fn write_json<W: std::io::Write + ?Sized>(
    out: &mut W,
    value: &impl serde::Serialize,
) -> std::io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, ScriptSafe::default());
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// Pretty JSON that writes `</` inside strings as `<\/`. serde_json never escapes `<` or
/// `/`, so a `</` always lies within one string fragment.
#[derive(Default)]
struct ScriptSafe(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for ScriptSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // A search for the byte `<` (memchr), then a look at the next: cheaper on short strings
        // than a substring search, which prepares itself on every call.
        let bytes = fragment.as_bytes();
        let mut run = 0;
        let mut from = 0;
        while let Some(at) = fragment[from..].find('<').map(|i| from + i) {
            from = at + 1;
            if bytes.get(from) == Some(&b'/') {
                w.write_all(&bytes[run..at])?;
                w.write_all(b"<\\/")?;
                from += 1;
                run = from;
            }
        }
        w.write_all(&bytes[run..])
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::incremental::{Fingerprints, Held, Plan, Reuse};

    /// An array of groups of strings, one group per dimension, written as parts.
    struct Groups<'f, 'r> {
        groups: Vec<Vec<&'static str>>,
        file: &'f FileParts<'r>,
    }

    impl serde::Serialize for Groups<'_, '_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{SerializeSeq, SerializeStruct};
            struct Items<'a, 'f, 'r>(&'a Groups<'f, 'r>);
            impl serde::Serialize for Items<'_, '_, '_> {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    let mut seq = s.serialize_seq(None)?;
                    for (d, group) in self.0.groups.iter().enumerate() {
                        serialize_part(&mut seq, self.0.file, 0, d, || {
                            group.iter().map(|text| BTreeMap::from([("text", *text)]))
                        })?;
                    }
                    seq.end()
                }
            }
            let mut doc = serializer.serialize_struct("Doc", 1)?;
            doc.serialize_field("items", &Items(self))?;
            doc.end()
        }
    }

    fn written(
        plan: &Plan,
        old: Option<Vec<u8>>,
        groups: Vec<Vec<&'static str>>,
    ) -> (String, usize, Plan) {
        let previous = |_: &str| old.clone().map(Held::Bytes);
        let reuse = Reuse::new(plan, ["a", "b", "c"].into_iter(), &previous);
        let file = reuse.file("x.json");
        let mut out = Vec::new();
        write_json(
            &mut file.counting(&mut out),
            &Groups {
                groups,
                file: &file,
            },
        )
        .expect("write");
        reuse.finish_file(file);
        let reused = reuse.reused();
        let outcome = plan
            .clone()
            .finish(["x.json".to_string()], reuse.into_recorded());
        (
            String::from_utf8(out).expect("utf-8"),
            reused,
            Plan::new(
                Fingerprints::of_scopes(&[
                    ("site", "2"),
                    ("dimension:a", "2"),
                    ("dimension:b", "1"),
                    ("dimension:c", "1"),
                ]),
                Some(outcome.manifest),
            ),
        )
    }

    #[test]
    fn json_parts_copied_from_the_old_file_give_the_bytes_a_fresh_serialization_gives() {
        let first = Plan::new(
            Fingerprints::of_scopes(&[
                ("site", "1"),
                ("dimension:a", "1"),
                ("dimension:b", "1"),
                ("dimension:c", "1"),
            ]),
            None,
        );
        let before = vec![vec!["a1", "a2"], vec![], vec!["c</1", "c2"]];
        let (old, reused, plan) = written(&first, None, before);
        assert_eq!(reused, 0);
        let after = vec![vec!["a1 edited"], vec![], vec!["c</1", "c2"]];
        let (updated, reused, _) = written(&plan, Some(old.into_bytes()), after.clone());
        assert_eq!(reused, 2, "b (empty) and c come from the old file");
        let (fresh, _, _) = written(&first, None, after);
        assert_eq!(updated, fresh);
        assert!(fresh.contains("<\\/1"), "{fresh}");
    }

    #[test]
    fn json_never_closes_a_script_element() {
        let json = to_json(&["a</b<</c< <", "</", "<", "/<"]);
        assert_eq!(
            json,
            "[\n  \"a<\\/b<<\\/c< <\",\n  \"<\\/\",\n  \"<\",\n  \"/<\"\n]\n"
        );
    }
}
