//! Reading TOML tables field by field, collecting every problem instead of stopping at the
//! first one.
//!
//! serde stops at the first error in a file; users fixing a knowledge base want all of them at
//! once. So files are parsed into `toml`'s spanned tree (`DeTable`, with error recovery) and
//! read here with typed accessors that record wrong types, missing keys and unknown keys (with
//! the nearest valid key as a hint) against the exact span.

use std::cell::RefCell;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use crate::diag::{Diagnostic, Diagnostics, SourceFile, did_you_mean};

/// A place in a source file, kept in the model so that checks made long after loading (such
/// as the decision tree's) can still point at `file:line:column`.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
}

impl Origin {
    pub fn error(&self, message: impl Into<String>) -> Diagnostic {
        self.file.error(self.span.clone(), message)
    }

    pub fn warning(&self, message: impl Into<String>) -> Diagnostic {
        self.file.warning(self.span.clone(), message)
    }

    /// `file:line`, for messages that cite several places.
    pub fn short(&self) -> String {
        let at = self.file.locate(self.span.clone());
        format!("{}:{}", crate::diag::display_path(&self.file.path), at.line)
    }

    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

thread_local! {
    /// The file the origins being decoded point into ([`with_origin_file`]).
    static ORIGIN_FILE: std::cell::RefCell<Option<Arc<SourceFile>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `decode` with `file` as the file of every [`Origin`] it deserializes: an origin is
/// stored as its span alone, since the file it points into is read again anyway.
pub fn with_origin_file<T>(file: &Arc<SourceFile>, decode: impl FnOnce() -> T) -> T {
    let previous = ORIGIN_FILE.with(|current| current.replace(Some(file.clone())));
    let decoded = decode();
    ORIGIN_FILE.with(|current| current.replace(previous));
    decoded
}

impl serde::Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.span.start as u64, self.span.end as u64).serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Origin {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (start, end) = <(u64, u64)>::deserialize(deserializer)?;
        let file = ORIGIN_FILE
            .with(|current| current.borrow().clone())
            .ok_or_else(|| serde::de::Error::custom("an origin decodes only with its file"))?;
        let span = usize::try_from(start).map_err(serde::de::Error::custom)?
            ..usize::try_from(end).map_err(serde::de::Error::custom)?;
        if span.start > span.end || span.end > file.text.len() {
            return Err(serde::de::Error::custom("an origin outside its file"));
        }
        Ok(Origin { file, span })
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Located<T> {
    pub value: T,
    pub origin: Origin,
}

/// Decodes a file's bytes: strips a UTF-8 byte order mark and reports non-UTF-8 bytes at the
/// line and column of the first bad byte (the TOML parser only knows byte offsets).
pub fn decode(path: PathBuf, bytes: Vec<u8>) -> Result<SourceFile, Diagnostic> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(path, text)),
        Err(err) => {
            let good = err.utf8_error().valid_up_to();
            let bytes = err.into_bytes();
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            // In the lossy text, everything before `good` is unchanged, so the offset holds.
            let file = SourceFile::new(path, lossy);
            Err(file
                .error(good..good + 1, "file is not valid UTF-8")
                .with_hint("save the file as UTF-8"))
        }
    }
}

/// Reads tables of one file, collecting diagnostics as it goes.
pub struct Reader {
    pub file: Arc<SourceFile>,
    diags: RefCell<Diagnostics>,
}

impl Reader {
    pub fn new(file: Arc<SourceFile>) -> Self {
        Self {
            file,
            diags: RefCell::new(Diagnostics::new()),
        }
    }

    /// Parses the whole file, recording every syntax error; `None` if nothing usable remains.
    pub fn parse(&self) -> Option<Spanned<DeTable<'_>>> {
        let (table, errors) = DeTable::parse_recoverable(&self.file.text);
        let failed = !errors.is_empty();
        for error in errors {
            let span = error.span().unwrap_or(0..0);
            let message = error.message().trim_end().to_string();
            self.push(
                self.file
                    .error(span, message)
                    .with_hint("fix the TOML syntax here"),
            );
        }
        (!failed).then_some(table)
    }

    pub fn origin(&self, span: Range<usize>) -> Origin {
        Origin {
            file: Arc::clone(&self.file),
            span,
        }
    }

    pub fn push(&self, diagnostic: Diagnostic) {
        self.diags.borrow_mut().push(diagnostic);
    }

    pub fn error(&self, span: Range<usize>, message: impl Into<String>, hint: impl Into<String>) {
        self.push(self.file.error(span, message).with_hint(hint));
    }

    pub fn has_errors(&self) -> bool {
        self.diags.borrow().has_errors()
    }

    pub fn into_diagnostics(self) -> Diagnostics {
        self.diags.into_inner()
    }

    /// Starts reading a table that may hold only the `known` keys.
    pub fn fields<'r, 't, 'i>(
        &'r self,
        table: &'t DeTable<'i>,
        span: Range<usize>,
        what: &'static str,
        known: &'static [&'static str],
    ) -> Fields<'r, 't, 'i> {
        for (key, _) in table.iter() {
            if !known.contains(&key.get_ref().as_ref()) {
                let name = key.get_ref().as_ref();
                self.error(
                    key.span(),
                    format!("unknown key `{name}` in {what}"),
                    did_you_mean(name, known, "keys"),
                );
            }
        }
        Fields {
            reader: self,
            table,
            span,
            what,
        }
    }
}

/// The keys of one table, read one at a time by name and type.
pub struct Fields<'r, 't, 'i> {
    reader: &'r Reader,
    table: &'t DeTable<'i>,
    /// Where "missing key" errors point: the table header or the start of the file.
    pub span: Range<usize>,
    what: &'static str,
}

impl<'r, 't, 'i> Fields<'r, 't, 'i> {
    pub fn origin(&self) -> Origin {
        self.reader.origin(self.span.clone())
    }

    pub fn reader(&self) -> &'r Reader {
        self.reader
    }

    /// The raw value of a key, if present.
    pub fn raw(&self, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    /// The span of a key's value, for checks made after reading.
    pub fn value_span(&self, key: &str) -> Option<Range<usize>> {
        self.raw(key).map(Spanned::span)
    }

    fn wrong_type(&self, key: &str, value: &Spanned<DeValue<'_>>, expected: &str) {
        self.reader.error(
            value.span(),
            format!(
                "`{key}` in {} must be {expected}, found {}",
                self.what,
                article(value.get_ref().type_str())
            ),
            format!("write `{key}` as {expected}"),
        );
    }

    /// Records that a required key is absent.
    pub fn missing(&self, key: &str) {
        self.reader.error(
            self.span.clone(),
            format!("{} is missing required key `{key}`", self.what),
            if self.what.ends_with(".toml") {
                format!("add `{key} = ...` to {}", self.what)
            } else {
                format!("add `{key} = ...` to this {}", self.what)
            },
        );
    }

    pub fn string(&self, key: &str) -> Option<Located<String>> {
        let value = self.raw(key)?;
        match value.get_ref().as_str() {
            Some(text) => Some(Located {
                value: text.to_string(),
                origin: self.reader.origin(value.span()),
            }),
            None => {
                self.wrong_type(key, value, "a string");
                None
            }
        }
    }

    pub fn required_string(&self, key: &str) -> Option<Located<String>> {
        if self.raw(key).is_none() {
            self.missing(key);
        }
        self.string(key)
    }

    pub fn integer(&self, key: &str) -> Option<Located<i64>> {
        let value = self.raw(key)?;
        match value.get_ref() {
            DeValue::Integer(int) => {
                match i64::from_str_radix(&int.as_str().replace('_', ""), int.radix()) {
                    Ok(number) => Some(Located {
                        value: number,
                        origin: self.reader.origin(value.span()),
                    }),
                    Err(_) => {
                        self.reader.error(
                            value.span(),
                            format!("`{key}` is out of range"),
                            "use a smaller number",
                        );
                        None
                    }
                }
            }
            _ => {
                self.wrong_type(key, value, "an integer");
                None
            }
        }
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        let value = self.raw(key)?;
        let found = value.get_ref().as_bool();
        if found.is_none() {
            self.wrong_type(key, value, "`true` or `false`");
        }
        found
    }

    /// A list of strings; a wrong element is reported at the element.
    pub fn strings(&self, key: &str) -> Vec<Located<String>> {
        let Some(value) = self.raw(key) else {
            return Vec::new();
        };
        let Some(array) = value.get_ref().as_array() else {
            self.wrong_type(key, value, "an array of strings");
            return Vec::new();
        };
        array
            .iter()
            .filter_map(|item| match item.get_ref().as_str() {
                Some(text) => Some(Located {
                    value: text.to_string(),
                    origin: self.reader.origin(item.span()),
                }),
                None => {
                    self.wrong_type(key, item, "a string");
                    None
                }
            })
            .collect()
    }

    /// A sub-table such as `[search]` or an inline table.
    pub fn table(&self, key: &str) -> Option<(&'t DeTable<'i>, Range<usize>)> {
        let value = self.raw(key)?;
        match value.get_ref().as_table() {
            Some(table) => Some((table, value.span())),
            None => {
                self.wrong_type(key, value, "a table");
                None
            }
        }
    }

    /// An array of tables such as `[[facts]]`; each with its header span.
    pub fn tables(&self, key: &str) -> Vec<(&'t DeTable<'i>, Range<usize>)> {
        let Some(value) = self.raw(key) else {
            return Vec::new();
        };
        let Some(array): Option<&'t DeArray<'i>> = value.get_ref().as_array() else {
            self.wrong_type(key, value, "an array of tables (`[[...]]`)");
            return Vec::new();
        };
        array
            .iter()
            .filter_map(|item| match item.get_ref().as_table() {
                Some(table) => Some((table, item.span())),
                None => {
                    self.wrong_type(key, item, "a table");
                    None
                }
            })
            .collect()
    }
}

/// "a string", "an integer": type names as they read in a sentence.
fn article(type_name: &str) -> String {
    let vowel = type_name.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {type_name}", if vowel { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Diagnostics {
        let reader = Reader::new(Arc::new(SourceFile::new("t.toml".into(), text)));
        if let Some(table) = reader.parse() {
            let fields = reader.fields(table.get_ref(), 0..0, "the file", &["name", "count"]);
            fields.required_string("name");
            fields.integer("count");
        }
        reader.into_diagnostics()
    }

    #[test]
    fn reports_unknown_and_mistyped_keys_together() {
        let diags = read("nme = \"x\"\ncount = \"3\"\n");
        let messages: Vec<String> = diags.sorted().into_iter().map(|d| d.message).collect();
        assert_eq!(
            messages,
            [
                "unknown key `nme` in the file",
                "the file is missing required key `name`",
                "`count` in the file must be an integer, found a string"
            ]
        );
    }

    #[test]
    fn reports_invalid_utf8_at_line_and_column() {
        let err = decode("x.toml".into(), b"a = 1\nb = \"\xC3\x28\"\n".to_vec()).unwrap_err();
        let at = err.location.expect("located");
        assert_eq!((at.line, at.column), (2, 6));
    }

    #[test]
    fn strips_byte_order_mark() {
        let file = decode("x.toml".into(), b"\xEF\xBB\xBFa = 1\n".to_vec()).expect("valid");
        assert_eq!(&*file.text, "a = 1\n");
    }
}
