//! Excluded clauses (`-word`, `-"a phrase"`) made safe to run. tantivy 0.27 asks an excluded
//! clause whether it holds a document with `seek_danger`, for documents in increasing order but
//! possibly behind the clause's own position; a phrase scorer that has already passed that
//! document, or found no match at all, fails an assertion then (in debug builds; in release it
//! relies on behaviour tantivy does not promise). Wrapping every excluded clause in [`Guarded`]
//! answers those questions with plain forward seeks. Depends on tantivy and std only, like
//! `query`, which the WebAssembly crate compiles with it.

use tantivy::query::{
    BooleanQuery, EnableScoring, Explanation, Occur, Query, QueryParser, QueryParserError, Scorer,
    TermQuery, Weight,
};
use tantivy::query_grammar::{self, UserInputAst};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// Parses as [`QueryParser::parse_query`] does, with every exclusion guarded. A boost on a
/// group that excludes something (`(a -"b c")^2`) is moved onto the group's parts first, since
/// tantivy builds such a group behind a boost, out of [`guard_exclusions`]' reach; a group
/// scores the sum of its parts, so the results and their ranking stay the same.
pub fn parse(parser: &QueryParser, text: &str) -> Result<Box<dyn Query>, QueryParserError> {
    let ast = query_grammar::parse_query(text)
        .map_err(|_| QueryParserError::SyntaxError(text.to_string()))?;
    let query = if boosts_an_exclusion(&ast, false) {
        parser.build_query_from_user_input_ast(distribute_boosts(ast, 1.0))?
    } else {
        parser.parse_query(text)?
    };
    Ok(guard_exclusions(query))
}

fn boosts_an_exclusion(ast: &UserInputAst, boosted: bool) -> bool {
    match ast {
        UserInputAst::Clause(clauses) => clauses.iter().any(|(occur, clause)| {
            (boosted && *occur == Some(Occur::MustNot)) || boosts_an_exclusion(clause, boosted)
        }),
        UserInputAst::Boost(inner, _) => boosts_an_exclusion(inner, true),
        UserInputAst::Leaf(_) => false,
    }
}

/// The same query with boosts only on its leaves, multiplied down from the groups above.
fn distribute_boosts(ast: UserInputAst, boost: f64) -> UserInputAst {
    match ast {
        UserInputAst::Clause(clauses) => UserInputAst::Clause(
            clauses
                .into_iter()
                .map(|(occur, clause)| (occur, distribute_boosts(clause, boost)))
                .collect(),
        ),
        UserInputAst::Boost(inner, own) => distribute_boosts(*inner, boost * own.0),
        leaf if boost == 1.0 => leaf,
        leaf => UserInputAst::Boost(Box::new(leaf), boost.into()),
    }
}

/// Rewrites a parsed query so that every excluded clause in it, at any depth of nested
/// boolean queries, is [`Guarded`]. Clauses that are single terms are left as they are: term
/// scorers seek safely, and tantivy has a faster path for them.
pub fn guard_exclusions(query: Box<dyn Query>) -> Box<dyn Query> {
    let Some(boolean) = query.downcast_ref::<BooleanQuery>() else {
        return query;
    };
    let clauses = boolean
        .clauses()
        .iter()
        .map(|(occur, clause)| {
            let clause = guard_exclusions(clause.box_clone());
            let unsafe_exclusion = *occur == Occur::MustNot && !clause.is::<TermQuery>();
            let clause: Box<dyn Query> = if unsafe_exclusion {
                Box::new(Guarded(clause))
            } else {
                clause
            };
            (*occur, clause)
        })
        .collect();
    Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses,
        boolean.get_minimum_number_should_match(),
    ))
}

/// A query whose scorers only ever seek forward from where they are.
#[derive(Debug)]
pub struct Guarded(Box<dyn Query>);

impl Clone for Guarded {
    fn clone(&self) -> Self {
        Guarded(self.0.box_clone())
    }
}

impl Query for Guarded {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(GuardedWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct GuardedWeight(Box<dyn Weight>);

impl Weight for GuardedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(GuardedScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

/// Delegates everything but `seek_danger`, which keeps [`DocSet`]'s provided definition: seek
/// only when behind the target, and never leave the scorer in tantivy's "danger" state.
struct GuardedScorer(Box<dyn Scorer>);

impl DocSet for GuardedScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.0.doc() >= target {
            return self.0.doc();
        }
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for GuardedScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
