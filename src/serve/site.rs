//! The built site held in memory, and the mapping from request paths to its files. Serving
//! from memory means no request can reach a file outside the output, whatever the path says.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::{Arc, OnceLock};

use percent_encoding::percent_decode_str;

use crate::incremental::Manifest;
use crate::output::Blobs;

/// One file of the site, with what HTTP needs to serve it.
#[derive(Debug)]
pub struct File {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// A strong validator: a hash of the content.
    pub etag: String,
    gzip: OnceLock<Option<Vec<u8>>>,
}

impl File {
    pub fn new(path: &str, bytes: Vec<u8>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        let etag = format!("\"{:016x}-{:x}\"", hasher.finish(), bytes.len());
        Self {
            content_type: content_type(path),
            etag,
            bytes,
            gzip: OnceLock::new(),
        }
    }

    /// The gzip-compressed content, made once on first request; `None` for content that does
    /// not shrink (images, already compressed files) or is tiny.
    pub fn gzip(&self) -> Option<&[u8]> {
        self.gzip
            .get_or_init(|| {
                if !is_compressible(self.content_type) || self.bytes.len() < 256 {
                    return None;
                }
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(&self.bytes).ok()?;
                encoder
                    .finish()
                    .ok()
                    .filter(|gz| gz.len() < self.bytes.len())
            })
            .as_deref()
    }
}

fn is_compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/json")
        || content_type.starts_with("application/xml")
        || content_type.starts_with("image/svg")
        || content_type.starts_with("application/wasm")
        || content_type.starts_with("application/javascript")
}

/// The content type of a site file, by extension.
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "csv" => "text/csv; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "woff2" => "font/woff2",
        "gz" => "application/gzip",
        "br" => "application/octet-stream",
        _ => "application/octet-stream",
    }
}

/// The whole built site, by path relative to the output root.
#[derive(Debug, Clone, Default)]
pub struct Site {
    files: HashMap<String, Arc<File>>,
    /// What made the files, so that the next build makes only what changed.
    pub manifest: Option<Manifest>,
    /// The search index's groups, kept for the next build (shared by every version of the
    /// site the server makes).
    pub blobs: Arc<Blobs>,
}

/// What a request path resolves to.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    /// A file, by its site path.
    File(String),
    /// A folder requested without its trailing slash: redirect here.
    Redirect(String),
    NotFound,
    /// The path tries to leave the site or is malformed.
    Forbidden,
}

impl Site {
    pub fn new(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        Self {
            files: files
                .into_iter()
                .map(|(path, bytes)| {
                    let file = Arc::new(File::new(&path, bytes));
                    (path, file)
                })
                .collect(),
            manifest: None,
            blobs: Arc::new(Blobs::in_memory()),
        }
    }

    pub fn get(&self, path: &str) -> Option<Arc<File>> {
        self.files.get(path).cloned()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Every file's path, in no particular order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Replaces some files and removes others, keeping the rest (for incremental rebuilds).
    pub fn update(
        &mut self,
        changed: impl IntoIterator<Item = (String, Vec<u8>)>,
        removed: &[String],
    ) {
        for path in removed {
            self.files.remove(path);
        }
        for (path, bytes) in changed {
            let file = Arc::new(File::new(&path, bytes));
            self.files.insert(path, file);
        }
    }

    /// Maps a raw request path (still percent-encoded) to a file. Dot segments, encoded
    /// slashes, backslashes and NUL bytes are refused rather than interpreted.
    pub fn resolve(&self, raw_path: &str) -> Resolved {
        let Ok(decoded) = percent_decode_str(raw_path).decode_utf8() else {
            return Resolved::Forbidden;
        };
        if !decoded.starts_with('/')
            || decoded.contains(['\\', '\0'])
            || raw_path.to_ascii_lowercase().contains("%2f")
        {
            return Resolved::Forbidden;
        }
        let relative = &decoded[1..];
        if relative
            .split('/')
            .any(|segment| segment == ".." || segment == ".")
            || relative.contains("//")
            || relative.starts_with('/')
        {
            return Resolved::Forbidden;
        }
        if relative.is_empty() || relative.ends_with('/') {
            let index = format!("{relative}index.html");
            return if self.files.contains_key(&index) {
                Resolved::File(index)
            } else {
                Resolved::NotFound
            };
        }
        if self.files.contains_key(relative) {
            return Resolved::File(relative.to_string());
        }
        if self.files.contains_key(&format!("{relative}/index.html")) {
            return Resolved::Redirect(format!("/{relative}/"));
        }
        Resolved::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site::new([
            ("index.html".to_string(), b"home".to_vec()),
            ("facts/a/b/index.html".to_string(), b"fact".to_vec()),
            ("static/style.css".to_string(), b"css".to_vec()),
        ])
    }

    #[test]
    fn resolves_folders_files_and_redirects() {
        let site = site();
        assert_eq!(site.resolve("/"), Resolved::File("index.html".into()));
        assert_eq!(
            site.resolve("/facts/a/b/"),
            Resolved::File("facts/a/b/index.html".into())
        );
        assert_eq!(
            site.resolve("/facts/a/b"),
            Resolved::Redirect("/facts/a/b/".into())
        );
        assert_eq!(
            site.resolve("/static/style.css"),
            Resolved::File("static/style.css".into())
        );
        assert_eq!(
            site.resolve("/facts/a/"),
            Resolved::NotFound,
            "no directory listings"
        );
        assert_eq!(site.resolve("/nope"), Resolved::NotFound);
    }

    #[test]
    fn refuses_every_traversal() {
        let site = site();
        for path in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/%2E%2E/etc/passwd",
            "/..%2fetc%2fpasswd",
            "/static/..%2f..%2fCargo.toml",
            "/static\\..\\..\\Cargo.toml",
            "/static/%5c..%5c..%5cCargo.toml",
            "/./index.html",
            "/static/%00.css",
            "//etc/passwd",
            "/%ff%fe",
            "etc/passwd",
        ] {
            assert_eq!(site.resolve(path), Resolved::Forbidden, "{path}");
        }
    }

    #[test]
    fn compresses_text_once() {
        let file = File::new("a.html", "<p>hello</p>".repeat(100).into_bytes());
        let gz = file.gzip().expect("compressible");
        assert!(gz.len() < file.bytes.len());
        assert!(File::new("a.png", vec![0; 1000]).gzip().is_none());
    }
}
