//! The four wiki formats of a [`Table`]: GitHub-flavoured Markdown (survives GitHub's
//! sanitizer: no HTML at all), MediaWiki wikitext (`{| class="wikitable"`), Confluence storage
//! format (XHTML) and plain HTML. Each carries the attribution link, the "as of" date and the
//! sources, and escapes knowledge text for its own syntax (see [`super::escape`]).

use std::fmt::Write as _;

use super::escape::{
    markdown_text, push_markdown_text, push_url, push_wikitext_text, push_xml_text, wikitext_text,
    xhtml_from_html, xml_text,
};
use super::table::{Cell, Entry, Table};
use crate::text::Text;

/// A format that wikis render as a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wiki {
    Markdown,
    Wikitext,
    Confluence,
    Html,
}

impl Wiki {
    /// Appends the table and its attribution.
    pub fn table(self, table: &Table<'_>, out: &mut String) {
        match self {
            Wiki::Markdown => markdown(table, out),
            Wiki::Wikitext => wikitext(table, out),
            Wiki::Confluence => confluence(table, out),
            Wiki::Html => html(table, out),
        }
    }

    /// Appends a section heading, for exports of several tables.
    pub fn heading(self, text: &str, out: &mut String) {
        match self {
            Wiki::Markdown => out.push_str(&format!("## {}\n\n", markdown_text(text))),
            Wiki::Wikitext => out.push_str(&format!("== {} ==\n\n", wikitext_text(text))),
            Wiki::Confluence | Wiki::Html => {
                out.push_str(&format!("<h2>{}</h2>\n", xml_text(text)))
            }
        }
    }
}

/// The cell contents of a row, one per column: a spanning cell repeated where the format has
/// no `colspan`.
fn spread<'c, 'a>(cells: &'c [Cell<'a>]) -> impl Iterator<Item = &'c Cell<'a>> {
    cells
        .iter()
        .flat_map(|cell| std::iter::repeat_n(cell, cell.span.max(1)))
}

fn markdown(table: &Table<'_>, out: &mut String) {
    let headings = std::iter::once(&table.corner).chain(&table.columns);
    out.push('|');
    for heading in headings.clone() {
        out.push(' ');
        push_markdown_text(out, heading);
        out.push_str(" |");
    }
    out.push_str("\n|");
    for _ in headings {
        out.push_str(" --- |");
    }
    out.push('\n');
    for row in &table.rows {
        out.push_str("| **");
        push_markdown_text(out, &row.label);
        out.push_str("** |");
        for cell in spread(&row.cells) {
            out.push(' ');
            push_entries_text(out, cell, |out, entry| {
                push_plain_entry(out, entry, "**", push_markdown_text)
            });
            out.push_str(" |");
        }
        out.push('\n');
    }
    out.push_str("\nFrom [");
    push_markdown_text(out, &table.title);
    out.push_str("](");
    push_url(out, &table.permalink);
    out.push_str(") on ");
    push_markdown_text(out, table.site_title);
    push_as_of(out, table);
    out.push_str(".\n");
    push_sources_line(out, table, |out, source| {
        out.push('<');
        push_url(out, source);
        out.push('>');
    });
}

fn wikitext(table: &Table<'_>, out: &mut String) {
    out.push_str("{| class=\"wikitable\"\n|+ ");
    push_wikitext_text(out, &table.title);
    out.push_str("\n! ");
    for (i, heading) in std::iter::once(&table.corner)
        .chain(&table.columns)
        .enumerate()
    {
        if i > 0 {
            out.push_str(" !! ");
        }
        push_wikitext_text(out, heading);
    }
    out.push('\n');
    for row in &table.rows {
        out.push_str("|-\n! ");
        push_wikitext_text(out, &row.label);
        out.push('\n');
        for cell in &row.cells {
            out.push_str("| ");
            if cell.span > 1 {
                let _ = write!(out, "colspan=\"{}\" | ", cell.span);
            }
            push_entries_text(out, cell, |out, entry| {
                push_plain_entry(out, entry, "'''", push_wikitext_text)
            });
            out.push('\n');
        }
    }
    out.push_str("|}\nFrom [");
    push_url(out, &table.permalink);
    out.push(' ');
    push_wikitext_text(out, &table.title);
    out.push_str("] on ");
    push_wikitext_text(out, table.site_title);
    push_as_of(out, table);
    out.push_str(".\n");
    push_sources_line(out, table, |out, source| {
        out.push('[');
        push_url(out, source);
        out.push(' ');
        push_wikitext_text(out, source);
        out.push(']');
    });
}

fn confluence(table: &Table<'_>, out: &mut String) {
    out.push_str("<table><tbody>\n<tr>");
    for heading in std::iter::once(&table.corner).chain(&table.columns) {
        out.push_str("<th>");
        push_xml_text(out, heading);
        out.push_str("</th>");
    }
    out.push_str("</tr>\n");
    for row in &table.rows {
        out.push_str("<tr><th>");
        push_xml_text(out, &row.label);
        out.push_str("</th>");
        for cell in &row.cells {
            push_markup_cell(out, cell, |out, html| out.push_str(&xhtml_from_html(html)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    markup_attribution(table, out, false);
}

fn html(table: &Table<'_>, out: &mut String) {
    out.push_str("<table class=\"versus-table\">\n<caption><a href=\"");
    push_xml_text(out, &table.permalink);
    out.push_str("\">");
    push_xml_text(out, &table.title);
    out.push_str("</a></caption>\n<thead><tr>");
    for heading in std::iter::once(&table.corner).chain(&table.columns) {
        out.push_str("<th scope=\"col\">");
        push_xml_text(out, heading);
        out.push_str("</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr><th scope=\"row\">");
        push_xml_text(out, &row.label);
        out.push_str("</th>");
        for cell in &row.cells {
            push_markup_cell(out, cell, String::push_str);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    markup_attribution(table, out, true);
}

/// A cell as a `<td>` of (X)HTML: one fact bare, several as a list; `markup` appends the
/// sanitized HTML of a statement in the format's syntax.
fn push_markup_cell(out: &mut String, cell: &Cell<'_>, markup: impl Fn(&mut String, &str)) {
    out.push_str("<td");
    if cell.span > 1 {
        let _ = write!(out, " colspan=\"{}\"", cell.span);
    }
    out.push('>');
    let one = |out: &mut String, entry: &Entry<'_>| {
        push_with_value(
            out,
            entry,
            |out, value| {
                out.push_str("<strong>");
                push_xml_text(out, value);
                out.push_str("</strong>");
            },
            |out, text| markup(out, &text.html),
        )
    };
    match cell.entries.as_slice() {
        [] => out.push('—'),
        [entry] => one(out, entry),
        entries => {
            out.push_str("<ul>");
            for entry in entries {
                out.push_str("<li>");
                one(out, entry);
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
    }
    out.push_str("</td>");
}

/// The attribution of a table as HTML paragraphs: the permalink, the date, the sources.
pub fn attribution_html(table: &Table<'_>, out: &mut String) {
    markup_attribution(table, out, true);
}

fn markup_attribution(table: &Table<'_>, out: &mut String, html: bool) {
    out.push_str(if html {
        "<p class=\"versus-attribution\">"
    } else {
        "<p>"
    });
    out.push_str("From <a href=\"");
    push_xml_text(out, &table.permalink);
    out.push_str("\">");
    push_xml_text(out, &table.title);
    out.push_str("</a> on ");
    push_xml_text(out, table.site_title);
    let mut as_of = String::new();
    push_as_of(&mut as_of, table);
    push_xml_text(out, &as_of);
    out.push_str(".</p>\n");
    if !table.sources.is_empty() {
        out.push_str(if html {
            "<p class=\"versus-sources\">"
        } else {
            "<p>"
        });
        out.push_str("Sources: ");
        for (i, source) in table.sources.iter().enumerate() {
            if i > 0 {
                out.push_str(" · ");
            }
            out.push_str("<a href=\"");
            push_xml_text(out, source);
            out.push_str("\">");
            push_xml_text(out, source);
            out.push_str("</a>");
        }
        out.push_str("</p>\n");
    }
}

/// "**900 s** — statement": a fact's value before its statement, or either alone when the
/// other is empty; `value` and `statement` append each in the format's syntax.
fn push_with_value(
    out: &mut String,
    entry: &Entry<'_>,
    value: impl Fn(&mut String, &str),
    statement: impl Fn(&mut String, &Text),
) {
    let before = out.len();
    statement(out, entry.text);
    let Some(shown) = entry.value.as_deref() else {
        return;
    };
    // The statement is written first only to learn whether it is empty in this format.
    let written = out.split_off(before);
    value(out, shown);
    if !written.is_empty() {
        out.push_str(" — ");
        out.push_str(&written);
    }
}

/// A fact in a plain-text format: its value between `strong` marks before its statement,
/// both escaped by `escape`.
fn push_plain_entry(
    out: &mut String,
    entry: &Entry<'_>,
    strong: &str,
    escape: fn(&mut String, &str),
) {
    push_with_value(
        out,
        entry,
        |out, value| {
            out.push_str(strong);
            escape(out, value);
            out.push_str(strong);
        },
        |out, text| escape(out, &text.plain),
    )
}

/// "Sources: a · b" on a line of its own after a blank one, each source written by `link`;
/// nothing when the table cites none.
fn push_sources_line(out: &mut String, table: &Table<'_>, link: impl Fn(&mut String, &str)) {
    if table.sources.is_empty() {
        return;
    }
    out.push_str("\nSources: ");
    for (i, source) in table.sources.iter().enumerate() {
        if i > 0 {
            out.push_str(" · ");
        }
        link(out, source);
    }
    out.push('\n');
}

/// The facts of a cell as one line of text: a dash when empty, bullets when several.
fn push_entries_text(out: &mut String, cell: &Cell<'_>, one: impl Fn(&mut String, &Entry<'_>)) {
    match cell.entries.as_slice() {
        [] => out.push('—'),
        [entry] => one(out, entry),
        entries => {
            for (i, entry) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str("• ");
                one(out, entry);
            }
        }
    }
}

/// ", as of 2026-11-01", or nothing when no fact records when it was checked.
fn push_as_of(out: &mut String, table: &Table<'_>) {
    if let Some(text) = table.as_of() {
        out.push_str(", ");
        out.push_str(&text);
    }
}
