//! Integration tests: one binary, a module per area (STYLE.md).

mod api;
mod browser;
mod build;
mod check;
mod common;
mod embed;
mod export;
