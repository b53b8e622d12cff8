//! Integration tests: one binary, a module per area (STYLE.md).

mod api;
mod browser;
mod build;
mod check;
mod common;
mod decide;
mod embed;
mod export;
mod fuzz_regressions;
mod hostile_input;
mod incremental;
mod integrity;
mod search;
mod serve;
