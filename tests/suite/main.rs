//! Integration tests: one binary, a module per area (STYLE.md).

mod build;
mod check;
mod common;
