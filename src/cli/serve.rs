//! `versus serve`: the dev server, and a small read-only server for intranets.

use std::net::IpAddr;
use std::path::Path;

use clap::Args;

use super::{Failure, Reporter};
use crate::serve::{self, ServeOptions};

/// Options of `versus serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// The address to listen on; anything but loopback exposes the site to the network.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub bind: IpAddr,
    /// Open the site in the default browser once it is served.
    #[arg(long)]
    pub open: bool,
}

/// Serves until Ctrl-C.
pub fn run(root: &Path, args: &ServeArgs, reporter: &Reporter) -> Result<(), Failure> {
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: listening on {}: anyone who can reach this machine can read the site and use its search",
            args.bind
        );
    }
    let options = ServeOptions {
        root: root.to_path_buf(),
        bind: args.bind,
        port: args.port,
    };
    serve::serve(options, |address, first| {
        let shown = if address.ip().is_unspecified() {
            format!("127.0.0.1:{}", address.port())
        } else {
            address.to_string()
        };
        let url = format!("http://{shown}/");
        match &first.status {
            serve::live::BuildStatus::Ok => reporter.info(&format!(
                "Built in {} ms; {} warnings",
                first.millis, first.warnings
            )),
            serve::live::BuildStatus::Failed { text } => {
                eprintln!("The site does not build yet; pages show why:\n{text}")
            }
        }
        // The address line is what scripts wait for, so it is printed even when quiet.
        eprintln!("Serving {url} (Ctrl-C to stop)");
        if args.open {
            open_browser(&url);
        }
    })?;
    Ok(())
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(err) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("warning: cannot open a browser ({opener}: {err}); open {url} yourself");
    }
}
