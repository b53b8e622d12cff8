//! versus compiles a knowledge base of structured TOML facts into a themed static site with
//! full-text search, a decision tree, embeddable facts and a queryable JSON API.
//!
//! The stages, in the order data flows through them (see ARCHITECTURE.md): [`config`] and
//! [`knowledge`] read the sources, [`validate`] checks them, [`text`] renders their Markdown
//! once, [`render`] applies the theme's templates, [`output`] writes the result atomically, and
//! [`build`] drives them for the front ends in [`cli`].

pub mod build;
pub mod cli;
pub mod config;
pub mod diag;
pub mod knowledge;
pub mod markdown;
pub mod output;
pub mod render;
pub mod scaffold;
pub mod search;
pub mod text;
pub mod theme;
pub mod tomlread;
pub mod validate;
