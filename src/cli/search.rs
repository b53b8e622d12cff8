//! `versus search`: queries the index of the built site, as the browser does, and prints ranked
//! hits with excerpts and facet counts, or one JSON object with `--json`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::{Cli, Failure, print_stdout};
use crate::config::SiteConfig;
use crate::search::query::{ExcerptPart, MAX_LIMIT};
use crate::search::{self, Request, SearchIndex, SearchResults};

/// Options of `versus search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words, "phrases", AND/OR/-, field:value (kind, id, subject, dimension, title, body,
    /// tags, key) and numeric ranges such as value:[60 TO 900].
    pub query: String,
    /// Print one JSON object: query, total, hits, facets.
    #[arg(long)]
    pub json: bool,
    /// How many hits to show.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=MAX_LIMIT as i64))]
    pub limit: u16,
    /// Only hits about this subject id.
    #[arg(long, value_name = "ID")]
    pub subject: Option<String>,
    /// Only hits in this dimension id.
    #[arg(long, value_name = "ID")]
    pub dimension: Option<String>,
    /// The built site to search instead of site.toml's `output_dir`.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

/// Runs the query; a refused query is a usage error (exit code 2).
pub(super) fn run(cli: &Cli, args: &SearchArgs) -> Result<(), Failure> {
    let output = match &args.output {
        Some(output) => output.clone(),
        None => {
            let config = SiteConfig::load(&cli.root).map_err(Failure::Invalid)?;
            cli.root.join(&config.output_dir)
        }
    };
    let index = SearchIndex::open(&output).map_err(anyhow::Error::from)?;
    let request = Request {
        query: args.query.clone(),
        limit: usize::from(args.limit),
        subject: args.subject.clone(),
        dimension: args.dimension.clone(),
    };
    let results = search::query(&index, &request).map_err(|err| Failure::Usage(err.to_string()))?;
    let text = if args.json {
        let mut json = serde_json::to_string(&results).map_err(anyhow::Error::from)?;
        json.push('\n');
        json
    } else {
        let styled = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        human(&results, styled)
    };
    print_stdout(&text)?;
    Ok(())
}

/// The ranked list for people: title and kind, id and link, and the excerpt with the matched
/// words in bold on a terminal.
pub fn human(results: &SearchResults, styled: bool) -> String {
    let mut out = String::new();
    if let Some(corrected) = &results.did_you_mean {
        out.push_str(&format!(
            "No results for \"{}\"; showing results for \"{}\".\n",
            clean(&results.query),
            clean(corrected)
        ));
    }
    if results.total == 0 {
        out.push_str(&format!(
            "No results for \"{}\". Try fewer or other words.\n",
            clean(&results.query)
        ));
        return out;
    }
    let shown = results.hits.len();
    out.push_str(&format!(
        "{} result{} for \"{}\"{}\n",
        results.total,
        if results.total == 1 { "" } else { "s" },
        clean(&results.query),
        if (shown as u64) < results.total {
            format!(" (showing {shown})")
        } else {
            String::new()
        }
    ));
    for (rank, hit) in results.hits.iter().enumerate() {
        out.push_str(&format!(
            "\n{:>2}. {} [{}]\n    {} · {}\n    {}\n",
            rank + 1,
            clean(&hit.title),
            hit.kind,
            clean(&hit.id),
            clean(&hit.url),
            excerpt(&hit.excerpt, styled)
        ));
    }
    for (label, counts) in [
        ("subject", &results.facets.subject),
        ("dimension", &results.facets.dimension),
    ] {
        if !counts.is_empty() {
            let list: Vec<String> = counts
                .iter()
                .map(|(id, n)| format!("{} {n}", clean(id)))
                .collect();
            out.push_str(&format!("\nBy {label}: {}", list.join(" · ")));
        }
    }
    out.push('\n');
    out
}

fn excerpt(parts: &[ExcerptPart], styled: bool) -> String {
    parts
        .iter()
        .map(|part| {
            let text = clean(&part.text);
            match (part.matched, styled) {
                (true, true) => format!("\x1b[1m{text}\x1b[0m"),
                (true, false) => format!("*{text}*"),
                (false, _) => text,
            }
        })
        .collect()
}

/// Knowledge text is untrusted: no control character (terminal escape sequences included)
/// reaches the terminal, and line breaks become spaces.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_terminal_escapes_from_knowledge_text() {
        assert_eq!(clean("a\x1b[31mred\nb"), "a [31mred b");
    }
}
