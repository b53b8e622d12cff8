//! The `versus` command: parse arguments, start logging, run, and map the result to an exit
//! code (0 success, 1 invalid knowledge or failed build, 2 bad usage).

use std::process::ExitCode;

use versus::cli::Command;

/// Rendering allocates many small strings and maps on every thread; mimalloc handles that
/// pattern markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_t`, mimalloc.h): how many
/// milliseconds freed memory stays with the process before it is given back to the system.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> ExitCode {
    versus::cli::main(|command| {
        if ends_when_done(command) {
            keep_freed_memory();
        }
    })
}

/// Every command but `serve` does its work and exits.
fn ends_when_done(command: &Command) -> bool {
    !matches!(command, Command::Serve(_))
}

/// A command that exits when done gives all its memory back then. Giving freed pages back
/// earlier (mimalloc's default, a second after they are freed) only makes the next allocations
/// fault the same pages in, zeroed, again: a 10,000-fact build took about 5,000 page faults
/// that way and about 900 without, 2% of its CPU time. The cost is a higher peak: at 100,000
/// facts a build holds about 80 MB more (870 MiB). The dev server keeps the default, since it
/// idles between builds.
fn keep_freed_memory() {
    // SAFETY: stores one of mimalloc's options, which it reads whenever it considers giving
    // memory back; called before the command starts its threads.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_mimallocs_and_is_turned_off() {
        // mimalloc 3 sets the purge delay to 1,000 ms (options.c), and no other option at
        // this position has that default.
        // SAFETY: reads an option.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) },
            1000
        );
        keep_freed_memory();
        // SAFETY: reads an option.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) },
            -1
        );
    }

    #[test]
    fn only_the_dev_server_gives_memory_back_while_it_runs() {
        use clap::Parser;
        let command = |args: &[&str]| versus::cli::Cli::parse_from(args).command;
        assert!(ends_when_done(&command(&["versus", "build"])));
        assert!(ends_when_done(&command(&["versus", "check"])));
        assert!(!ends_when_done(&command(&["versus", "serve"])));
    }
}
