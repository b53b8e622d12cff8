//! The theme: templates and static assets, the default theme compiled into the binary and
//! layered under the site's own files, so `cargo install` users need no repository and a site
//! can override any single file.
//!
//! Layers, lowest first: the built-in default theme; `<site>/themes/<theme>/templates` and
//! `/static`; `<site>/templates`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::diag::{Diagnostic, Diagnostics};

static DEFAULT_THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes/default");

/// Template file suffixes; Tera autoescapes exactly these, so no other kind is loaded.
pub const TEMPLATE_SUFFIXES: [&str; 3] = [".html", ".xml", ".json"];

/// Where a theme file came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOrigin {
    BuiltIn,
    Site(PathBuf),
}

impl FileOrigin {
    /// The path to show in messages.
    pub fn display(&self, name: &str, subdir: &str) -> String {
        match self {
            FileOrigin::BuiltIn => format!("(built-in theme) {subdir}/{name}"),
            FileOrigin::Site(path) => crate::diag::display_path(path),
        }
    }
}

/// One template's source.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    pub text: String,
    pub origin: FileOrigin,
}

/// The resolved theme: every template and static file after layering.
#[derive(Debug, Clone, Default)]
pub struct Theme {
    pub templates: BTreeMap<String, TemplateSource>,
    /// Borrowed for the built-in theme's files, which the binary holds (the search modules
    /// alone are 5 MB): owned only for the site's own.
    pub static_files: BTreeMap<String, Cow<'static, [u8]>>,
    /// The site folders that may override the theme, watched by the dev server.
    pub override_dirs: Vec<PathBuf>,
    /// Problems that did not stop the theme from loading (skipped files).
    pub warnings: Diagnostics,
}

impl Theme {
    /// Layers the site's overrides for `name` over the built-in default theme.
    pub fn load(root: &Path, name: &str) -> Result<Theme, Diagnostics> {
        let mut theme = Theme::default();
        let mut diags = Diagnostics::new();
        add_embedded(&DEFAULT_THEME, &mut theme);
        let theme_dir = PathBuf::from("themes").join(name);
        if name != "default" && !root.join(&theme_dir).is_dir() {
            diags.push(
                Diagnostic::error(
                    Some(Path::new("site.toml")),
                    format!("theme `{name}` does not exist"),
                )
                .with_hint(format!(
                    "create {}/ with templates/ and static/, or set theme = \"default\"",
                    theme_dir.display()
                )),
            );
            return Err(diags);
        }
        for (layer, kind) in [
            (theme_dir.join("templates"), Kind::Template),
            (theme_dir.join("static"), Kind::Static),
            (PathBuf::from("templates"), Kind::Template),
        ] {
            theme.override_dirs.push(root.join(&layer));
            add_folder(root, &layer, kind, &mut theme, &mut diags);
        }
        if diags.has_errors() {
            Err(diags)
        } else {
            theme.warnings = diags;
            Ok(theme)
        }
    }

    /// The built-in default theme alone.
    pub fn built_in() -> Theme {
        let mut theme = Theme::default();
        add_embedded(&DEFAULT_THEME, &mut theme);
        theme
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Template,
    Static,
}

fn add_embedded(dir: &Dir<'static>, theme: &mut Theme) {
    for entry in dir.entries() {
        let Some(file) = entry.as_file() else {
            if let Some(sub) = entry.as_dir() {
                add_embedded(sub, theme);
            }
            continue;
        };
        let path = file.path().to_string_lossy().replace('\\', "/");
        if let Some(name) = path.strip_prefix("templates/") {
            let text = file
                .contents_utf8()
                .expect("built-in templates are UTF-8")
                .to_string();
            theme.templates.insert(
                name.to_string(),
                TemplateSource {
                    text,
                    origin: FileOrigin::BuiltIn,
                },
            );
        } else if let Some(name) = path.strip_prefix("static/") {
            theme
                .static_files
                .insert(name.to_string(), Cow::Borrowed(file.contents()));
        }
    }
}

fn add_folder(root: &Path, layer: &Path, kind: Kind, theme: &mut Theme, diags: &mut Diagnostics) {
    let dir = root.join(layer);
    if !dir.is_dir() {
        return;
    }
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let entries = match std::fs::read_dir(dir.join(&relative)) {
            Ok(entries) => entries,
            Err(err) => {
                diags.push(Diagnostic::error(
                    Some(&layer.join(&relative)),
                    format!("cannot list folder: {err}"),
                ));
                continue;
            }
        };
        for entry in entries.flatten() {
            let rel = relative.join(entry.file_name());
            let shown = layer.join(&rel);
            let file_type = entry.file_type();
            if file_type.as_ref().is_ok_and(|t| t.is_dir()) {
                if stack.len() + rel.components().count() < 64 {
                    stack.push(rel);
                }
                continue;
            }
            let name = rel.to_string_lossy().replace('\\', "/");
            if !inside(root, &entry.path()) {
                diags.push(
                    Diagnostic::warning(Some(&shown), "a link to a file outside the site; skipped")
                        .with_hint("copy the file into the site instead of linking to it"),
                );
                continue;
            }
            match (kind, std::fs::read(entry.path())) {
                (_, Err(err)) => diags.push(Diagnostic::error(
                    Some(&shown),
                    format!("cannot read file: {err}"),
                )),
                (Kind::Static, Ok(bytes)) => {
                    theme.static_files.insert(name, Cow::Owned(bytes));
                }
                (Kind::Template, Ok(bytes)) => add_template(name, bytes, shown, theme, diags),
            }
        }
    }
}

/// True when `path`, with every link followed, is inside the site root: a theme must not
/// publish files from elsewhere on the machine.
fn inside(root: &Path, path: &Path) -> bool {
    match (std::fs::canonicalize(root), std::fs::canonicalize(path)) {
        (Ok(root), Ok(path)) => path.starts_with(root),
        _ => true,
    }
}

fn add_template(
    name: String,
    bytes: Vec<u8>,
    shown: PathBuf,
    theme: &mut Theme,
    diags: &mut Diagnostics,
) {
    if !TEMPLATE_SUFFIXES
        .iter()
        .any(|suffix| name.ends_with(suffix))
    {
        diags.push(
            Diagnostic::warning(
                Some(&shown),
                "not a template (.html, .xml or .json); skipped",
            )
            .with_hint("templates must end in .html, .xml or .json so that they are autoescaped"),
        );
        return;
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            theme.templates.insert(
                name,
                TemplateSource {
                    text,
                    origin: FileOrigin::Site(shown),
                },
            );
        }
        Err(_) => diags.push(Diagnostic::error(
            Some(&shown),
            "template is not valid UTF-8",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_templates_override_the_default_theme() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
        std::fs::write(dir.path().join("templates/404.html"), "mine").expect("write");
        let theme = Theme::load(dir.path(), "default").expect("loads");
        assert_eq!(theme.templates["404.html"].text, "mine");
        assert!(theme.templates.contains_key("base.html"));
    }

    #[test]
    fn skips_links_to_files_outside_the_site() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret.txt"), "secret").expect("write");
        let dir = tempfile::tempdir().expect("tempdir");
        let static_dir = dir.path().join("themes/default/static");
        std::fs::create_dir_all(&static_dir).expect("mkdir");
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            static_dir.join("leak.txt"),
        )
        .expect("symlink");
        let theme = Theme::load(dir.path(), "default").expect("loads with a warning");
        assert!(!theme.static_files.contains_key("leak.txt"));
        assert_eq!(theme.warnings.warning_count(), 1);
    }

    #[test]
    fn errors_on_a_missing_theme() {
        let dir = tempfile::tempdir().expect("tempdir");
        let errors = Theme::load(dir.path(), "nope").unwrap_err();
        assert!(
            errors
                .iter()
                .any(|d| d.message == "theme `nope` does not exist")
        );
    }
}
