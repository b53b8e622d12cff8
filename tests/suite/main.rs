//! Integration tests: one binary, a module per area (STYLE.md).

mod browser;
mod build;
mod check;
mod common;
mod search;
