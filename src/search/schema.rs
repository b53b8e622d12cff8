//! The search index's schema and text analysis, shared by the writer and every reader (the CLI,
//! the server and the WebAssembly module), so that a query is analysed exactly as the indexed
//! text was. Depends on tantivy, frostem (Snowball stemmers) and std only: the WebAssembly
//! crate compiles this file as is, with only the stemmers it was built with.

use std::borrow::Cow;

use tantivy::Index;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, NumericOptions, STORED, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TextAnalyzerBuilder, Token,
    TokenFilter, TokenStream, Tokenizer,
};

/// Words longer than this are not indexed: no real word is, and hostile text often is.
pub const MAX_TOKEN_CHARS: usize = 40;

/// The analyzer of unstemmed, lowercased words: the vocabulary "did you mean" corrects against.
pub const WORDS_TOKENIZER: &str = "versus_words";

/// The analyzer used when the site's language has no stemmer: lowercased whole words.
pub const PLAIN_TOKENIZER: &str = "versus_plain";

/// Site languages (ISO 639-1, the part of a `language` tag before `-`) that have a stemmer,
/// with the name of their Snowball algorithm.
pub const STEMMED_LANGUAGES: [(&str, &str); 18] = [
    ("ar", "arabic"),
    ("da", "danish"),
    ("nl", "dutch"),
    ("en", "english"),
    ("fi", "finnish"),
    ("fr", "french"),
    ("de", "german"),
    ("el", "greek"),
    ("hu", "hungarian"),
    ("it", "italian"),
    ("no", "norwegian"),
    ("pt", "portuguese"),
    ("ro", "romanian"),
    ("ru", "russian"),
    ("es", "spanish"),
    ("sv", "swedish"),
    ("ta", "tamil"),
    ("tr", "turkish"),
];

/// The language code whose stemmer serves a site `language` such as `en`, `en-GB` or `pt_BR`;
/// `None` when there is none (the index then matches whole words only). Norwegian Bokmål and
/// Nynorsk use Norwegian.
pub fn stemmer_language(tag: &str) -> Option<&'static str> {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let primary = match primary.as_str() {
        "nb" | "nn" => "no",
        other => other,
    };
    STEMMED_LANGUAGES
        .iter()
        .find(|(code, _)| *code == primary)
        .map(|(code, _)| *code)
}

/// The name of the analyzer for a site language, as recorded in the index's schema.
pub fn tokenizer_name(tag: &str) -> String {
    match stemmer_language(tag) {
        Some(code) => format!("versus_{code}"),
        None => PLAIN_TOKENIZER.to_string(),
    }
}

/// Lowercased words of at most [`MAX_TOKEN_CHARS`] characters: what every analyzer starts with,
/// before any stemmer (the index writer adds its own, with a memo: `stem_memo`).
pub fn base_analyzer() -> TextAnalyzerBuilder {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_CHARS))
        .filter(LowerCaser)
        .dynamic()
}

/// Registers every analyzer a versus index may name and this build has a stemmer for (the
/// browser's English module has English's only). Tokenizers are not stored in the index, so
/// every reader must call this before parsing queries or making excerpts.
pub fn register_tokenizers(index: &Index) {
    let manager = index.tokenizers();
    manager.register(WORDS_TOKENIZER, base_analyzer().build());
    manager.register(PLAIN_TOKENIZER, base_analyzer().build());
    for (code, name) in STEMMED_LANGUAGES {
        if let Ok(algorithm) = frostem::Algorithm::from_name(name) {
            let stemmer = Snowball(frostem::Stemmer::new(algorithm));
            manager.register(
                &format!("versus_{code}"),
                base_analyzer().filter_dynamic(stemmer).build(),
            );
        }
    }
}

/// A token filter that replaces each (lowercased) word by its Snowball stem.
#[derive(Clone)]
struct Snowball(frostem::Stemmer);

impl TokenFilter for Snowball {
    type Tokenizer<T: Tokenizer> = SnowballTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> SnowballTokenizer<T> {
        SnowballTokenizer {
            stemmer: self.0,
            inner,
        }
    }
}

#[derive(Clone)]
struct SnowballTokenizer<T> {
    stemmer: frostem::Stemmer,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for SnowballTokenizer<T> {
    type TokenStream<'a> = SnowballStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SnowballStream {
            stemmer: self.stemmer,
            tail: self.inner.token_stream(text),
            buffer: String::new(),
        }
    }
}

struct SnowballStream<T> {
    stemmer: frostem::Stemmer,
    tail: T,
    buffer: String,
}

impl<T: TokenStream> TokenStream for SnowballStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.stemmer.stem(&token.text) {
            Cow::Owned(stem) => token.text = stem,
            Cow::Borrowed(stem) => {
                self.buffer.clear();
                self.buffer.push_str(stem);
                std::mem::swap(&mut token.text, &mut self.buffer);
            }
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The fields of a search document, resolved once from the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `fact`, `dimension`, `subject` or `question`; stored, exact.
    pub kind: Field,
    /// The global id (`dimension/fact`, `dimension/question`, or the subject's or dimension's
    /// id); stored, exact.
    pub id: Field,
    /// The dimension's id; stored, exact, and a fast field for facet counts.
    pub dimension: Field,
    /// The subject ids (several for a shared fact); stored, exact, fast.
    pub subject: Field,
    /// "Serverless · Run duration" for a fact; stored, analysed.
    pub title: Field,
    /// The Markdown text as plain words; stored (for excerpts), analysed.
    pub body: Field,
    pub tags: Field,
    /// The fact's attribute name, exact (`key:max_runtime`).
    pub key: Field,
    /// The fact's numeric value, for ranges (`value:[60 TO 900]`).
    pub value: Field,
    /// Relative to the site root; stored only.
    pub url: Field,
    /// Words that help find a document without being shown: other names of its subjects,
    /// the fact's key in words, its value and unit, former ids.
    pub extra: Field,
    /// Every word above, unstemmed and without positions: the vocabulary for corrections.
    pub words: Field,
}

impl Fields {
    /// Looks the fields up in an index's schema; fails on an index versus did not write.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let field = |name: &str| schema.get_field(name);
        Ok(Fields {
            kind: field("kind")?,
            id: field("id")?,
            dimension: field("dimension")?,
            subject: field("subject")?,
            title: field("title")?,
            body: field("body")?,
            tags: field("tags")?,
            key: field("key")?,
            value: field("value")?,
            url: field("url")?,
            extra: field("extra")?,
            words: field("words")?,
        })
    }
}

/// The schema for a site language. Exact fields use tantivy's raw tokenizer; text fields use
/// the language's analyzer with positions, so that "phrases" work.
pub fn build_schema(language: &str) -> Schema {
    let analyzer = tokenizer_name(language);
    let text = |stored: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(&analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    // Exact fields are filters, never ranked: no field norms to store or fetch.
    let exact = || {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        )
    };
    let mut builder = Schema::builder();
    builder.add_text_field("kind", exact() | STORED);
    builder.add_text_field("id", exact() | STORED);
    builder.add_text_field("dimension", exact() | STORED | FAST);
    builder.add_text_field("subject", exact() | STORED | FAST);
    builder.add_text_field("title", text(true));
    builder.add_text_field("body", text(true));
    builder.add_text_field("tags", text(false));
    builder.add_text_field("key", exact());
    builder.add_f64_field("value", NumericOptions::default() | INDEXED | FAST);
    builder.add_text_field("url", STORED);
    builder.add_text_field("extra", text(false));
    builder.add_text_field(
        "words",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(WORDS_TOKENIZER)
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        ),
    );
    builder.build()
}
