//! versus compiles a knowledge base of structured TOML facts into a themed static site with
//! full-text search, a decision tree, embeddable facts and a queryable JSON API.
//!
//! The stages, in the order data flows through them (see ARCHITECTURE.md): [`config`] and
//! [`knowledge`] read the sources, [`validate`] checks them, [`text`] renders their Markdown
//! once, [`render`] applies the theme's templates, [`output`] writes the result atomically, and
//! [`build`] drives them for the front ends in [`cli`]. [`embed`] holds the wiki and export
//! formats that pages, embeds, [`api`] (the static JSON API) and `versus export` share.

pub mod api;
pub mod build;
pub mod cli;
pub mod config;
pub mod decide;
pub mod diag;
pub mod embed;
#[doc(hidden)]
pub mod fuzzing;
pub mod incremental;
pub mod knowledge;
pub mod markdown;
pub mod output;
pub mod render;
pub mod scaffold;
pub mod sealed;
pub mod search;
pub mod serve;
pub mod text;
pub mod theme;
pub mod tomlread;
pub mod validate;
