//! The command line: argument parsing and the commands, each a thin driver over the library.
//! Diagnostics and progress go to stderr; what the user asked for goes to stdout.

pub mod search;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use annotate_snippets::Renderer;
use clap::{Args, Parser, Subcommand};

mod decide;
mod serve;

use crate::build::{self, LoadOptions, Loaded, ParsedFiles, Target};
use crate::config;
use crate::diag::{Diagnostics, display_path};

mod export;

/// Compile structured TOML comparison facts into a static site with search, a decision tree,
/// embeddable facts and a JSON API.
#[derive(Debug, Parser)]
#[command(
    name = "versus",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The site folder: the one holding site.toml.
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Print errors only: no warnings, progress or summary.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into the output folder (public/ by default).
    Build(BuildArgs),
    /// Build into memory and serve, rebuilding and reloading open pages on every change.
    Serve(serve::ServeArgs),
    /// Validate the knowledge base and templates; report every problem; write nothing.
    Check,
    /// Answer the decision questions in the terminal, or follow --answers for scripts.
    Decide(decide::DecideArgs),
    /// Remove a previous output a build swapped out (run in the background by `build`).
    #[command(hide = true, name = "remove-previous-output")]
    RemovePreviousOutput { dir: PathBuf },
    /// Export a fact, a dimension's comparison or everything as a wiki table or as data.
    Export(export::ExportArgs),
    /// Search the built site's index, as its search box does.
    Search(search::SearchArgs),
    /// Scaffold a new, valid knowledge base in DIR.
    New {
        /// The folder to create (must be empty or not exist).
        dir: PathBuf,
    },
}

/// Options of `versus build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Write the site here instead of site.toml's `output_dir`.
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Absolute URL the site is served from (overrides site.toml's `base_url`).
    #[arg(long, value_name = "URL", value_parser = config::parse_base_url)]
    pub base_url: Option<String>,
    /// Print the time of each stage, in milliseconds, as JSON on stdout.
    #[arg(long)]
    pub timings: bool,
    /// Write every file again instead of only what changed since the last builds.
    #[arg(long)]
    pub clean: bool,
}

/// What ended a command early.
pub enum Failure {
    /// The command line asked for something that does not fit (exit code 2).
    Usage(String),
    /// The knowledge base or templates have errors (exit code 1); already located.
    Invalid(Diagnostics),
    /// Anything else that failed (exit code 1).
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        Failure::Other(err)
    }
}

/// Runs the command line and returns the process exit code; `before_run` sees the command
/// once it is parsed, before it runs (the binary tunes its allocator by it).
pub fn main(before_run: impl FnOnce(&Command)) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    before_run(&cli.command);
    init_logging();
    let reporter = Reporter::new(cli.quiet);
    match run(&cli, &reporter) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Invalid(diags)) => {
            let errors = diags.error_count();
            reporter.diagnostics(diags);
            eprintln!(
                "error: {errors} problem{} found; nothing was written",
                plural(errors)
            );
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Other(err)) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli, reporter: &Reporter) -> Result<(), Failure> {
    match &cli.command {
        Command::Build(args) => build_site(cli, args, reporter),
        Command::Check => check(cli, reporter),
        Command::RemovePreviousOutput { dir } => {
            crate::output::remove_previous(dir).map_err(|err| Failure::Other(err.into()))
        }
        Command::Serve(args) => serve::run(&cli.root, args, reporter),
        Command::Decide(args) => decide::run(&cli.root, args, reporter),
        Command::Export(args) => export::run(cli, args, reporter),
        Command::Search(args) => search::run(cli, args),
        Command::New { dir } => {
            crate::scaffold::scaffold(dir)?;
            reporter.info(&format!(
                "Created a knowledge base in {}. Next: cd {} && versus build",
                dir.display(),
                dir.display()
            ));
            Ok(())
        }
    }
}

fn load(root: &Path, options: &LoadOptions, reporter: &Reporter) -> Result<Loaded, Failure> {
    let loaded = build::load(root, options).map_err(Failure::Invalid)?;
    reporter.diagnostics(loaded.warnings.clone());
    Ok(loaded)
}

fn check(cli: &Cli, reporter: &Reporter) -> Result<(), Failure> {
    let loaded = load(&cli.root, &LoadOptions::default(), reporter)?;
    build::build(&loaded, Target::Discard, &|_, _| {}).map_err(build_failure)?;
    let k = &loaded.knowledge;
    let count = |n: usize, noun: &str| format!("{n} {noun}{}", plural(n));
    reporter.info(&format!(
        "ok: {}, {}, {}, {}; {}",
        count(k.subjects.len(), "subject"),
        count(k.dimensions.len(), "dimension"),
        count(k.fact_count(), "fact"),
        count(k.questions().count(), "question"),
        count(loaded.warnings.warning_count(), "warning"),
    ));
    Ok(())
}

fn build_site(cli: &Cli, args: &BuildArgs, reporter: &Reporter) -> Result<(), Failure> {
    let started = Instant::now();
    let options = LoadOptions {
        output_dir: args.output.clone(),
        base_url: args.base_url.clone(),
        parsed: if args.clean {
            ParsedFiles::Refresh
        } else {
            ParsedFiles::Cached
        },
        ..LoadOptions::default()
    };
    let loaded = load(&cli.root, &options, reporter)?;
    let bar = reporter.progress_bar();
    let progress = |done: usize, total: usize| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let built =
        build::build(&loaded, Target::Disk { clean: args.clean }, &progress).map_err(build_failure);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let built = built?;
    if let Some(previous) = &built.previous_output {
        remove_in_background(previous);
    }
    if args.timings {
        print_stdout(&format!("{}\n", built.timings.to_json()))?;
    }
    let k = &loaded.knowledge;
    let warnings = loaded.warnings.warning_count();
    let rewritten = if built.full {
        String::new()
    } else {
        format!(
            ", {} file{} rewritten",
            built.written,
            plural(built.written)
        )
    };
    reporter.info(&format!(
        "Built {} pages ({} facts, {} dimensions{rewritten}) into {} in {:.2} s; {} warning{}",
        built.pages,
        k.fact_count(),
        k.dimensions.len(),
        display_path(&built.output),
        started.elapsed().as_secs_f64(),
        warnings,
        plural(warnings)
    ));
    // The process ends next: freeing the model and its rendered text one allocation at a
    // time would only delay the exit (about a tenth of a small edit's build).
    std::mem::forget(loaded);
    Ok(())
}

/// Deletes the swapped-out output in a detached process: on some disks removing thousands of
/// files takes longer than the build itself, and nobody needs to wait for it.
fn remove_in_background(previous: &Path) {
    let spawned = std::env::current_exe().and_then(|exe| {
        std::process::Command::new(exe)
            .arg("remove-previous-output")
            .arg(previous)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
    });
    if spawned.is_err()
        && let Err(err) = crate::output::remove_previous(previous)
    {
        tracing::warn!("{err}");
    }
}

/// Template errors are located like knowledge errors; anything else is reported with causes.
fn build_failure(err: build::BuildError) -> Failure {
    match err {
        build::BuildError::Render(crate::render::RenderError::Template(diag)) => {
            Failure::Invalid(Diagnostics::from(vec![*diag]))
        }
        other => Failure::Other(other.into()),
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes to stdout, turning a closed pipe into an error the caller can end quietly on.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VERSUS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}

/// Prints diagnostics and progress to stderr, styled only on a terminal.
pub struct Reporter {
    quiet: bool,
    terminal: bool,
}

impl Reporter {
    fn new(quiet: bool) -> Self {
        Self {
            quiet,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    pub fn diagnostics(&self, diags: Diagnostics) {
        let renderer = if self.terminal && std::env::var_os("NO_COLOR").is_none() {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut err = std::io::stderr().lock();
        for diagnostic in diags.sorted() {
            if self.quiet && diagnostic.severity == crate::diag::Severity::Warning {
                continue;
            }
            let _ = writeln!(err, "{}\n", diagnostic.render(&renderer));
        }
    }

    pub fn info(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    fn progress_bar(&self) -> Option<indicatif::ProgressBar> {
        (self.terminal && !self.quiet).then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} rendering {pos}/{len} files {wide_bar} {elapsed}",
                )
                .expect("static progress template is valid"),
            );
            bar
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
