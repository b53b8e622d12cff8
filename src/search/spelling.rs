//! "Did you mean": each word of a query that the index has never seen, replaced by the closest
//! word it has. Shared with the WebAssembly module, like [`super::query`]; depends on tantivy
//! and std only.

use tantivy::Searcher;

use super::query::QueryError;
use super::schema::Fields;

/// The query with each bare word that the index has never seen replaced by the closest word it
/// has (one edit for short words, two for longer ones); `None` when nothing was replaced.
pub fn correct(
    searcher: &Searcher,
    fields: &Fields,
    text: &str,
) -> Result<Option<String>, QueryError> {
    let mut vocabulary = Vec::new();
    for segment in searcher.segment_readers() {
        vocabulary.push(segment.inverted_index(fields.words)?);
    }
    let mut changed = false;
    let mut pieces = Vec::new();
    for piece in text.split_whitespace() {
        let start = piece.len() - piece.trim_start_matches(['+', '-', '(', '"']).len();
        let end = piece.trim_end_matches([')', '"']).len().max(start);
        let word = &piece[start..end];
        let lower = word.to_lowercase();
        let correctable = word.chars().count() >= 3
            && word.chars().all(char::is_alphanumeric)
            && !matches!(word, "AND" | "OR" | "NOT" | "TO");
        let mut replacement = None;
        if correctable {
            let known = vocabulary
                .iter()
                .map(|inverted| inverted.terms().get(lower.as_bytes()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| QueryError::Index(err.to_string()))?;
            if known.iter().all(Option::is_none) {
                replacement = closest(&vocabulary, &lower)?;
            }
        }
        match replacement {
            Some(better) => {
                changed = true;
                pieces.push(format!("{}{better}{}", &piece[..start], &piece[end..]));
            }
            None => pieces.push(piece.to_string()),
        }
    }
    Ok(changed.then(|| pieces.join(" ")))
}

/// The closest indexed word that starts with the same letter (as most spelling checkers
/// assume, since first letters are rarely mistyped; it also reads a slice of the vocabulary
/// rather than all of it), fewest edits first, then the most documents.
fn closest(
    vocabulary: &[std::sync::Arc<tantivy::InvertedIndexReader>],
    word: &str,
) -> Result<Option<String>, QueryError> {
    let target: Vec<char> = word.chars().collect();
    let max = if target.len() <= 5 { 1 } else { 2 };
    let Some(first) = target.first() else {
        return Ok(None);
    };
    let prefix = first.to_string();
    let mut best: Option<(usize, u32, String)> = None;
    let mut chars = Vec::new();
    for inverted in vocabulary {
        let mut stream = inverted
            .terms()
            .range()
            .ge(prefix.as_bytes())
            .into_stream()
            .map_err(|err| QueryError::Index(err.to_string()))?;
        while let Some((key, info)) = stream.next() {
            let Ok(candidate) = std::str::from_utf8(key) else {
                continue;
            };
            if !candidate.starts_with(&prefix) {
                break;
            }
            chars.clear();
            chars.extend(candidate.chars());
            if chars.len().abs_diff(target.len()) > max {
                continue;
            }
            let Some(distance) = edit_distance(&target, &chars, max) else {
                continue;
            };
            let better = match &best {
                None => true,
                Some((d, freq, _)) => distance < *d || (distance == *d && info.doc_freq > *freq),
            };
            if better {
                best = Some((distance, info.doc_freq, candidate.to_string()));
            }
        }
    }
    Ok(best.map(|(_, _, word)| word))
}

/// Optimal string alignment distance (a swap of two neighbours counts as one edit), or `None`
/// when it exceeds `max`.
fn edit_distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(before[j - 2] + 1);
            }
            current[j] = value;
        }
        if current.iter().min().is_some_and(|&m| m > max) {
            return None;
        }
        before = std::mem::replace(&mut previous, current);
    }
    let distance = previous[b.len()];
    (distance <= max).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_edits_with_swaps_as_one() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(
            edit_distance(&chars("pricng"), &chars("pricing"), 2),
            Some(1)
        );
        assert_eq!(edit_distance(&chars("clod"), &chars("cold"), 1), Some(1));
        assert_eq!(edit_distance(&chars("kitten"), &chars("sitting"), 2), None);
    }
}
