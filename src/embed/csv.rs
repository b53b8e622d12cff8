//! Facts as one CSV table (RFC 4180, UTF-8, a header row): for spreadsheets and scripts.
//! Every cell passes through [`escape::csv_field`], which quotes formula-like text.

use rayon::prelude::*;

use super::{ExportContext, escape, paths};
use crate::incremental::FileParts;
use crate::knowledge::{FactIndex, FactValue};

/// The columns, in order. Lists of ids and URLs (subjects, sources, aliases) are joined with
/// a space, which neither can contain; tags, which may, with `; `.
pub const COLUMNS: &[&str] = &[
    "global_id",
    "dimension",
    "fact",
    "subjects",
    "shared",
    "statement",
    "statement_text",
    "key",
    "value",
    "value_type",
    "unit",
    "verified",
    "sources",
    "tags",
    "aliases",
    "page",
];

/// The CSV of the given facts, in the order given.
pub fn facts_csv(ctx: &ExportContext<'_>, facts: &[Vec<FactIndex>]) -> String {
    let mut out = Vec::new();
    write_facts_csv(ctx, facts, &mut out, None).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("CSV cells are UTF-8")
}

/// Writes the CSV of the given facts: groups (dimensions) are formatted in parallel, a batch at
/// a time, so that a large table is never held whole in memory. As a whole-site file (`file`,
/// through whose counting writer `out` goes), group `g` is part `g` of run 0, copied from the
/// old file when it gives it.
pub fn write_facts_csv(
    ctx: &ExportContext<'_>,
    facts: &[Vec<FactIndex>],
    out: &mut dyn std::io::Write,
    file: Option<&FileParts<'_>>,
) -> std::io::Result<()> {
    out.write_all(COLUMNS.join(",").as_bytes())?;
    out.write_all(b"\n")?;
    let has_old = |g: usize| file.is_some_and(|f| f.has_old(0, g));
    for (batch_number, batch) in facts.chunks(256).enumerate() {
        let first = batch_number * 256;
        let reused: Vec<bool> = (first..first + batch.len()).map(has_old).collect();
        let parts: Vec<Option<String>> = batch
            .par_iter()
            .zip(&reused)
            .map(|(group, &reused)| {
                if reused {
                    return None;
                }
                let mut part = String::new();
                for &at in group {
                    fact_row(ctx, at, &mut part);
                }
                Some(part)
            })
            .collect();
        for (i, part) in parts.into_iter().enumerate() {
            let g = first + i;
            file.inspect(|f| f.start(0, g));
            let old;
            let text = match &part {
                Some(text) => text.as_str(),
                None => {
                    old = FileParts::reused(file, 0, g)?;
                    &*old
                }
            };
            out.write_all(text.as_bytes())?;
            file.inspect(|f| f.end(0, g, part.is_none()));
        }
    }
    Ok(())
}

fn fact_row(ctx: &ExportContext<'_>, at: FactIndex, out: &mut String) {
    let fact = ctx.knowledge.fact_at(at);
    let join = |items: Vec<&str>| items.join(" ");
    let value = fact.value.as_ref().map(|v| &v.value);
    let cells = [
        fact.global_id(),
        fact.dimension.clone(),
        fact.id.clone(),
        join(fact.subjects.iter().map(|s| s.value.as_str()).collect()),
        fact.shared.to_string(),
        fact.statement.clone(),
        ctx.text.statement(at).plain.clone(),
        fact.key
            .as_ref()
            .map(|k| k.value.clone())
            .unwrap_or_default(),
        value.map(raw_value).unwrap_or_default(),
        value.map(|v| v.type_name().to_string()).unwrap_or_default(),
        fact.unit
            .as_ref()
            .map(|u| u.value.clone())
            .unwrap_or_default(),
        fact.verified.map(|d| d.to_string()).unwrap_or_default(),
        join(fact.sources.iter().map(String::as_str).collect()),
        fact.tags.join("; "),
        join(fact.aliases.iter().map(|a| a.value.as_str()).collect()),
        ctx.config
            .absolute_url(&paths::fact_page(&fact.dimension, &fact.id)),
    ];
    let row: Vec<String> = cells.iter().map(|c| escape::csv_field(c)).collect();
    out.push_str(&row.join(","));
    out.push('\n');
}

/// The value as data (`true`, not "yes"; digits not grouped).
fn raw_value(value: &FactValue) -> String {
    match value {
        FactValue::Integer(i) => i.to_string(),
        FactValue::Float(f) => f.to_string(),
        FactValue::Bool(b) => b.to_string(),
        FactValue::String(s) => s.clone(),
    }
}
