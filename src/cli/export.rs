//! `versus export`: a fact, a dimension's comparison or the whole knowledge base in a format
//! a wiki, a spreadsheet or a script reads, to stdout or to a file replaced atomically.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use super::{Cli, Failure, Reporter, load, print_stdout};
use crate::build::LoadOptions;
use crate::config;
use crate::embed::{self, ExportContext, Format, Selection};
use crate::output::write_atomically;

/// Options of `versus export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format: a table for GitHub/GitLab (md), MediaWiki (wikitext), Confluence's storage
    /// format (confluence) or any page (html); or data: json (loads back as the same
    /// knowledge) or csv (one row per fact).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: ExportFormat,
    /// Only this dimension: its comparison table.
    #[arg(long, value_name = "ID")]
    pub dimension: Option<String>,
    /// Only facts about this subject: its column of each table.
    #[arg(long, value_name = "ID")]
    pub subject: Option<String>,
    /// Only this fact, as `dimension/fact` (a former id works too, and `fact` alone when it
    /// is unique or --dimension is given).
    #[arg(long, value_name = "ID")]
    pub fact: Option<String>,
    /// Write to FILE (replaced only once complete) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Absolute URL the site is served from, for the links back (overrides site.toml's
    /// `base_url`; wikis need absolute links).
    #[arg(long, value_name = "URL", value_parser = config::parse_base_url)]
    pub base_url: Option<String>,
}

/// The formats, as typed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// GitHub-flavoured Markdown table.
    #[value(alias = "markdown")]
    Md,
    /// MediaWiki wikitable.
    Wikitext,
    /// Confluence storage format (XHTML).
    Confluence,
    /// Plain HTML table.
    Html,
    /// The JSON knowledge document (schema_version 1).
    Json,
    /// One row per fact.
    Csv,
}

impl From<ExportFormat> for Format {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Md => Format::Markdown,
            ExportFormat::Wikitext => Format::Wikitext,
            ExportFormat::Confluence => Format::Confluence,
            ExportFormat::Html => Format::Html,
            ExportFormat::Json => Format::Json,
            ExportFormat::Csv => Format::Csv,
        }
    }
}

/// Loads and checks the site, selects, formats and writes.
pub(super) fn run(cli: &Cli, args: &ExportArgs, reporter: &Reporter) -> Result<(), Failure> {
    let options = LoadOptions {
        base_url: args.base_url.clone(),
        ..LoadOptions::default()
    };
    let loaded = load(&cli.root, &options, reporter)?;
    let knowledge = &loaded.knowledge;
    let selection = Selection::resolve(
        knowledge,
        args.dimension.as_deref(),
        args.subject.as_deref(),
        args.fact.as_deref(),
    )
    .map_err(|err| Failure::Usage(err.to_string()))?;
    let ctx = ExportContext {
        config: &loaded.config,
        knowledge,
        text: loaded.text(),
    };
    let output = embed::export(&ctx, &selection, args.format.into());
    if output.is_empty() {
        reporter.info("nothing to export: no fact matches this selection");
    }
    match &args.out {
        Some(path) => {
            write_atomically(path, output.as_bytes()).map_err(anyhow::Error::from)?;
            reporter.info(&format!("Wrote {}", path.display()));
        }
        None => print_stdout(&output).context("cannot write to standard output")?,
    }
    Ok(())
}
