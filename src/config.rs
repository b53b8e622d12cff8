//! `site.toml`: the site's title, where its knowledge and output live, and its options.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::tomlread::{Reader, decode};

/// The name of the configuration file that marks a site's root folder.
pub const CONFIG_FILE: &str = "site.toml";

/// Default age, in days, after which a fact's `verified` date earns a warning.
pub const DEFAULT_STALE_AFTER_DAYS: i64 = 365;

/// The site's configuration, with every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteConfig {
    pub title: String,
    pub description: Option<String>,
    /// Always ends with `/`; either `/` or an absolute http(s) URL.
    pub base_url: String,
    pub language: String,
    pub theme: String,
    pub knowledge_dir: PathBuf,
    pub output_dir: PathBuf,
    pub stale_after_days: i64,
    pub search_enabled: bool,
    pub decision_title: String,
}

const SITE_KEYS: &[&str] = &[
    "title",
    "description",
    "base_url",
    "language",
    "theme",
    "knowledge_dir",
    "output_dir",
    "stale_after_days",
    "search",
    "decision",
];

impl SiteConfig {
    /// Parses the text of `site.toml`; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<SiteConfig, Diagnostics> {
        match Self::parse_lenient(path, text) {
            (Some(config), diags) if !diags.has_errors() => Ok(config),
            (_, diags) => Err(diags),
        }
    }

    /// Parses as far as possible: a config (invalid values replaced by defaults) whenever the
    /// file is valid TOML with a title, so that the knowledge base can still be checked and
    /// every problem reported in one run.
    pub fn parse_lenient(path: &Path, text: &str) -> (Option<SiteConfig>, Diagnostics) {
        let reader = Reader::new(Arc::new(SourceFile::new(path.to_path_buf(), text)));
        let config = reader.parse().and_then(|root| {
            let fields = reader.fields(root.get_ref(), 0..0, "site.toml", SITE_KEYS);
            let title = fields.required_string("title");
            let base_url = fields.string("base_url").and_then(|url| {
                let normalized = normalize_base_url(&url.value);
                if normalized.is_none() {
                    reader.push(
                        url.origin
                            .error(format!(
                                "`base_url` must be `/` or an http(s) URL, found `{}`",
                                url.value
                            ))
                            .with_hint("write for example base_url = \"https://kb.example.com/\""),
                    );
                }
                normalized
            });
            let stale_after_days = fields.integer("stale_after_days").map(|days| {
                if days.value < 1 {
                    reader.push(
                        days.origin
                            .error("`stale_after_days` must be a positive number of days"),
                    );
                }
                days.value
            });
            let search_enabled = fields.table("search").and_then(|(table, span)| {
                reader
                    .fields(table, span, "[search]", &["enabled"])
                    .bool("enabled")
            });
            let decision_title = fields.table("decision").and_then(|(table, span)| {
                reader
                    .fields(table, span, "[decision]", &["title"])
                    .string("title")
            });
            let relative = |key: &str, default: &str| {
                let value = fields.string(key);
                if let Some(dir) = &value
                    && (dir.value.is_empty() || Path::new(&dir.value).is_absolute())
                {
                    reader.push(
                        dir.origin
                            .error(format!("`{key}` must be a folder relative to site.toml")),
                    );
                }
                PathBuf::from(value.map_or_else(|| default.to_string(), |v| v.value))
            };
            let knowledge_dir = relative("knowledge_dir", "knowledge");
            let output_dir = relative("output_dir", "public");
            let theme = fields
                .string("theme")
                .map_or_else(|| "default".to_string(), |t| t.value);
            if !crate::knowledge::is_slug(&theme) {
                reader.push(
                    fields
                        .string("theme")
                        .map(|t| {
                            t.origin
                                .error(format!("theme name `{theme}` is not a valid folder name"))
                        })
                        .unwrap_or_else(|| Diagnostic::error(Some(path), "invalid theme name")),
                );
            }
            Some(SiteConfig {
                title: title?.value,
                description: fields.string("description").map(|d| d.value),
                base_url: base_url.unwrap_or_else(|| "/".to_string()),
                language: fields
                    .string("language")
                    .map_or_else(|| "en".to_string(), |l| l.value),
                theme,
                knowledge_dir,
                output_dir,
                stale_after_days: stale_after_days.unwrap_or(DEFAULT_STALE_AFTER_DAYS),
                search_enabled: search_enabled.unwrap_or(true),
                decision_title: decision_title
                    .map_or_else(|| "Which should I choose?".to_string(), |t| t.value),
            })
        });
        (config, reader.into_diagnostics())
    }

    /// Reads `site.toml` from a site root.
    pub fn load(root: &Path) -> Result<SiteConfig, Diagnostics> {
        match Self::load_lenient(root) {
            (Some(config), diags) if !diags.has_errors() => Ok(config),
            (_, diags) => Err(diags),
        }
    }

    /// Reads `site.toml` like [`SiteConfig::parse_lenient`].
    pub fn load_lenient(root: &Path) -> (Option<SiteConfig>, Diagnostics) {
        match Self::read(root) {
            Ok(text) => Self::parse_lenient(Path::new(CONFIG_FILE), &text),
            Err(diags) => (None, diags),
        }
    }

    fn read(root: &Path) -> Result<String, Diagnostics> {
        let path = root.join(CONFIG_FILE);
        let shown = PathBuf::from(CONFIG_FILE);
        let bytes = std::fs::read(&path).map_err(|err| {
            let hint = if err.kind() == std::io::ErrorKind::NotFound {
                "run `versus new DIR` to start a site, or pass --root to point at one"
            } else {
                "check the file's permissions"
            };
            Diagnostics::from(vec![
                Diagnostic::error(
                    Some(&shown),
                    format!("cannot read {}: {err}", path.display()),
                )
                .with_hint(hint),
            ])
        })?;
        let file = decode(shown, bytes).map_err(|d| Diagnostics::from(vec![d]))?;
        Ok(file.text.to_string())
    }

    /// The absolute URL of a site path, for embeds, oEmbed and the sitemap; relative to the
    /// host when `base_url` is `/`.
    pub fn absolute_url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path.trim_start_matches('/'))
    }
}

fn normalize_base_url(url: &str) -> Option<String> {
    if url == "/" {
        return Some(url.to_string());
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    let valid = !host.is_empty()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>');
    valid.then(|| {
        if url.ends_with('/') {
            url.to_string()
        } else {
            format!("{url}/")
        }
    })
}

/// Checks a `--base-url` given on the command line the way `site.toml`'s is checked.
pub fn parse_base_url(url: &str) -> Result<String, String> {
    normalize_base_url(url).ok_or_else(|| format!("`{url}` is not `/` or an http(s) URL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SiteConfig, Vec<String>> {
        SiteConfig::parse(Path::new("site.toml"), text)
            .map_err(|d| d.sorted().into_iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn fills_defaults() {
        let config = parse("title = \"T\"\n").expect("valid");
        assert_eq!(config.base_url, "/");
        assert_eq!(config.output_dir, PathBuf::from("public"));
        assert!(config.search_enabled);
        assert_eq!(config.stale_after_days, 365);
    }

    #[test]
    fn normalizes_base_url_with_trailing_slash() {
        let config =
            parse("title = \"T\"\nbase_url = \"https://kb.example.com/guide\"\n").expect("valid");
        assert_eq!(
            config.absolute_url("/facts/x/"),
            "https://kb.example.com/guide/facts/x/"
        );
    }

    #[test]
    fn errors_on_missing_title_and_bad_base_url() {
        let errors = parse("base_url = \"javascript:alert(1)\"\n").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("missing required key `title`"));
        assert!(errors[1].contains("site.toml:1:12"));
    }
}
