//! Stemming with a memo, for indexing only. An index's text repeats its words many times, and
//! running a word through its Snowball stemmer costs several times more than looking the stem
//! up. Readers stem the few words of a query with [`super::schema`]'s filter; both give the
//! same tokens, as both run the same stemmer after the same base analysis
//! ([`super::schema::base_analyzer`]).

use rustc_hash::FxHashMap;
use tantivy::Index;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

use super::schema::{STEMMED_LANGUAGES, base_analyzer, stemmer_language, tokenizer_name};

/// Distinct words remembered before the memo starts over: bounds its memory on text with
/// endless distinct words, and is far above the vocabulary of real knowledge.
const MAX_WORDS: usize = 1 << 16;

/// Replaces the stemming analyzer of `language`, if it has one, with a memoizing one. Each
/// segment writer clones the analyzer, so each has a memo of its own.
pub fn register(index: &Index, language: &str) {
    let Some(code) = stemmer_language(language) else {
        return;
    };
    let Some(algorithm) = STEMMED_LANGUAGES
        .iter()
        .find(|(c, _)| *c == code)
        .and_then(|(_, name)| frostem::Algorithm::from_name(name).ok())
    else {
        return;
    };
    let analyzer = base_analyzer()
        .filter_dynamic(MemoStems {
            stemmer: frostem::Stemmer::new(algorithm),
            memo: FxHashMap::default(),
        })
        .build();
    index
        .tokenizers()
        .register(&tokenizer_name(language), analyzer);
}

/// A token filter that replaces each (lowercased) word by its Snowball stem, remembering it.
#[derive(Clone)]
struct MemoStems {
    stemmer: frostem::Stemmer,
    memo: FxHashMap<String, String>,
}

impl TokenFilter for MemoStems {
    type Tokenizer<T: Tokenizer> = MemoStemsTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> MemoStemsTokenizer<T> {
        MemoStemsTokenizer { stems: self, inner }
    }
}

#[derive(Clone)]
struct MemoStemsTokenizer<T> {
    stems: MemoStems,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for MemoStemsTokenizer<T> {
    type TokenStream<'a> = MemoStemsStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MemoStemsStream {
            stems: &mut self.stems,
            tail: self.inner.token_stream(text),
        }
    }
}

struct MemoStemsStream<'a, T> {
    stems: &'a mut MemoStems,
    tail: T,
}

impl<T: TokenStream> TokenStream for MemoStemsStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let MemoStems { stemmer, memo } = &mut *self.stems;
        if let Some(stem) = memo.get(token.text.as_str()) {
            token.text.clear();
            token.text.push_str(stem);
        } else {
            let stem = stemmer.stem(&token.text).into_owned();
            if memo.len() >= MAX_WORDS {
                memo.clear();
            }
            let word = std::mem::replace(&mut token.text, stem.clone());
            memo.insert(word, stem);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::schema::{build_schema, register_tokenizers};

    fn tokens(index: &Index, language: &str, text: &str) -> Vec<String> {
        let mut analyzer = index
            .tokenizers()
            .get(&tokenizer_name(language))
            .expect("registered");
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn gives_the_readers_tokens_on_first_sight_and_from_the_memo() {
        let text = "Running runners ran; the RUNNING cold-starts started, \
                    and starting again: Zuständigkeiten überprüfen running";
        for language in ["en", "de", "fr", "xx"] {
            let index = Index::create_in_ram(build_schema(language));
            register_tokenizers(&index);
            let expected = tokens(&index, language, text);
            register(&index, language);
            let mut analyzer = index
                .tokenizers()
                .get(&tokenizer_name(language))
                .expect("registered");
            // Twice through one analyzer: the second pass reads every stem from the memo.
            for _ in 0..2 {
                let mut stream = analyzer.token_stream(text);
                let mut got = Vec::new();
                while stream.advance() {
                    got.push(stream.token().text.clone());
                }
                assert_eq!(got, expected, "{language}");
            }
        }
        let index = Index::create_in_ram(build_schema("en"));
        register(&index, "en");
        assert_eq!(tokens(&index, "en", "running runs"), ["run", "run"]);
    }

    #[test]
    fn remembers_each_word_once_and_starts_over_when_full() {
        let algorithm = frostem::Algorithm::from_name("english").expect("english");
        let mut tokenizer = MemoStems {
            stemmer: frostem::Stemmer::new(algorithm),
            memo: FxHashMap::default(),
        }
        .transform(tantivy::tokenizer::SimpleTokenizer::default());
        let stem_all = |tokenizer: &mut MemoStemsTokenizer<_>, text: &str| {
            let mut stream = tokenizer.token_stream(text);
            let mut out = Vec::new();
            while stream.advance() {
                out.push(stream.token().text.clone());
            }
            out
        };
        assert_eq!(
            stem_all(&mut tokenizer, "running runs running"),
            ["run", "run", "run"]
        );
        let memo = &tokenizer.stems.memo;
        assert_eq!(memo.len(), 2);
        assert_eq!(memo.get("running").map(String::as_str), Some("run"));
        tokenizer.stems.memo = (0..MAX_WORDS)
            .map(|i| (i.to_string(), String::new()))
            .collect();
        assert_eq!(stem_all(&mut tokenizer, "cats"), ["cat"]);
        assert_eq!(tokenizer.stems.memo.len(), 1, "a full memo starts over");
    }
}
