//! The `versus` command: parse arguments, start logging, run, and map the result to an exit
//! code (0 success, 1 invalid knowledge or failed build, 2 bad usage).

use std::process::ExitCode;

fn main() -> ExitCode {
    versus::cli::main()
}
