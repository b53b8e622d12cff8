//! The `versus` command: parse arguments, start logging, run, and map the result to an exit
//! code (0 success, 1 invalid knowledge or failed build, 2 bad usage).

use std::process::ExitCode;

/// Rendering allocates many small strings and maps on every thread; mimalloc handles that
/// pattern markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    versus::cli::main()
}
