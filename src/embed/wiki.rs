//! The four wiki formats of a [`Table`]: GitHub-flavoured Markdown (survives GitHub's
//! sanitizer: no HTML at all), MediaWiki wikitext (`{| class="wikitable"`), Confluence storage
//! format (XHTML) and plain HTML. Each carries the attribution link, the "as of" date and the
//! sources, and escapes knowledge text for its own syntax (see [`super::escape`]).

use super::escape::{markdown_text, url, wikitext_text, xhtml_from_html, xml_text};
use super::table::{Cell, Entry, Table};

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
    let header: Vec<String> = std::iter::once(&table.corner)
        .chain(&table.columns)
        .map(|h| markdown_text(h))
        .collect();
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
    for row in &table.rows {
        let cells: Vec<String> = std::iter::once(format!("**{}**", markdown_text(&row.label)))
            .chain(spread(&row.cells).map(|cell| {
                entries_text(cell, |entry| {
                    let value = entry.value.as_ref();
                    let value = value.map(|v| format!("**{}**", markdown_text(v)));
                    with_value(value, markdown_text(&entry.text.plain))
                })
            }))
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
    out.push_str(&format!(
        "From [{}]({}) on {}{}.\n",
        markdown_text(&table.title),
        url(&table.permalink),
        markdown_text(table.site_title),
        as_of(table)
    ));
    if !table.sources.is_empty() {
        let links: Vec<String> = table
            .sources
            .iter()
            .map(|s| format!("<{}>", url(s)))
            .collect();
        out.push_str(&format!("\nSources: {}\n", links.join(" · ")));
    }
}

fn wikitext(table: &Table<'_>, out: &mut String) {
    out.push_str("{| class=\"wikitable\"\n");
    out.push_str(&format!("|+ {}\n", wikitext_text(&table.title)));
    let header: Vec<String> = std::iter::once(&table.corner)
        .chain(&table.columns)
        .map(|h| wikitext_text(h))
        .collect();
    out.push_str(&format!("! {}\n", header.join(" !! ")));
    for row in &table.rows {
        out.push_str(&format!("|-\n! {}\n", wikitext_text(&row.label)));
        for cell in &row.cells {
            let span = if cell.span > 1 {
                format!("colspan=\"{}\" | ", cell.span)
            } else {
                String::new()
            };
            let text = entries_text(cell, |entry| {
                let value = entry.value.as_ref();
                let value = value.map(|v| format!("'''{}'''", wikitext_text(v)));
                with_value(value, wikitext_text(&entry.text.plain))
            });
            out.push_str(&format!("| {span}{text}\n"));
        }
    }
    out.push_str("|}\n");
    out.push_str(&format!(
        "From [{} {}] on {}{}.\n",
        url(&table.permalink),
        wikitext_text(&table.title),
        wikitext_text(table.site_title),
        as_of(table)
    ));
    if !table.sources.is_empty() {
        let links: Vec<String> = table
            .sources
            .iter()
            .map(|s| format!("[{} {}]", url(s), wikitext_text(s)))
            .collect();
        out.push_str(&format!("\nSources: {}\n", links.join(" · ")));
    }
}

fn confluence(table: &Table<'_>, out: &mut String) {
    out.push_str("<table><tbody>\n<tr>");
    for heading in std::iter::once(&table.corner).chain(&table.columns) {
        out.push_str(&format!("<th>{}</th>", xml_text(heading)));
    }
    out.push_str("</tr>\n");
    for row in &table.rows {
        out.push_str(&format!("<tr><th>{}</th>", xml_text(&row.label)));
        for cell in &row.cells {
            out.push_str(&format!(
                "<td{}>{}</td>",
                colspan(cell),
                markup_cell(cell, xhtml_from_html)
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    markup_attribution(table, out, false);
}

fn html(table: &Table<'_>, out: &mut String) {
    out.push_str("<table class=\"versus-table\">\n");
    out.push_str(&format!(
        "<caption><a href=\"{}\">{}</a></caption>\n<thead><tr>",
        xml_text(&table.permalink),
        xml_text(&table.title)
    ));
    for heading in std::iter::once(&table.corner).chain(&table.columns) {
        out.push_str(&format!("<th scope=\"col\">{}</th>", xml_text(heading)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str(&format!(
            "<tr><th scope=\"row\">{}</th>",
            xml_text(&row.label)
        ));
        for cell in &row.cells {
            out.push_str(&format!(
                "<td{}>{}</td>",
                colspan(cell),
                markup_cell(cell, str::to_string)
            ));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    markup_attribution(table, out, true);
}

fn colspan(cell: &Cell<'_>) -> String {
    if cell.span > 1 {
        format!(" colspan=\"{}\"", cell.span)
    } else {
        String::new()
    }
}

/// A cell's facts as (X)HTML: one bare, several as a list; `markup` adapts the sanitized HTML.
fn markup_cell(cell: &Cell<'_>, markup: impl Fn(&str) -> String) -> String {
    let one = |entry: &Entry<'_>| {
        let value = entry.value.as_ref();
        let value = value.map(|v| format!("<strong>{}</strong>", xml_text(v)));
        with_value(value, markup(&entry.text.html))
    };
    match cell.entries.as_slice() {
        [] => "—".to_string(),
        [entry] => one(entry),
        entries => {
            let items: String = entries
                .iter()
                .map(|e| format!("<li>{}</li>", one(e)))
                .collect();
            format!("<ul>{items}</ul>")
        }
    }
}

/// The attribution of a table as HTML paragraphs: the permalink, the date, the sources.
pub fn attribution_html(table: &Table<'_>, out: &mut String) {
    markup_attribution(table, out, true);
}

fn markup_attribution(table: &Table<'_>, out: &mut String, html: bool) {
    let class = |name: &str| {
        if html {
            format!(" class=\"{name}\"")
        } else {
            String::new()
        }
    };
    out.push_str(&format!(
        "<p{}>From <a href=\"{}\">{}</a> on {}{}.</p>\n",
        class("versus-attribution"),
        xml_text(&table.permalink),
        xml_text(&table.title),
        xml_text(table.site_title),
        xml_text(&as_of(table))
    ));
    if !table.sources.is_empty() {
        let links: Vec<String> = table
            .sources
            .iter()
            .map(|s| format!("<a href=\"{0}\">{0}</a>", xml_text(s)))
            .collect();
        out.push_str(&format!(
            "<p{}>Sources: {}</p>\n",
            class("versus-sources"),
            links.join(" · ")
        ));
    }
}

/// "**900 s** — statement": a fact's value before its statement, or either alone when the
/// other is empty.
fn with_value(value: Option<String>, statement: String) -> String {
    match value {
        Some(value) if statement.is_empty() => value,
        Some(value) => format!("{value} — {statement}"),
        None => statement,
    }
}

/// The facts of a cell as one line of text: a dash when empty, bullets when several.
fn entries_text(cell: &Cell<'_>, one: impl Fn(&Entry<'_>) -> String) -> String {
    match cell.entries.as_slice() {
        [] => "—".to_string(),
        [entry] => one(entry),
        entries => entries
            .iter()
            .map(|e| format!("• {}", one(e)))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// ", as of 2026-11-01", or nothing when no fact records when it was checked.
fn as_of(table: &Table<'_>) -> String {
    table
        .as_of()
        .map_or_else(String::new, |text| format!(", {text}"))
}
