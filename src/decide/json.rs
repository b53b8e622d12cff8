//! `api/decision-tree.json`: the derived tree for scripts and the wizard (schema version 1).

use serde_json::{Map, Value, json};

use super::{Candidate, DecisionTree, Node};
use crate::knowledge::Knowledge;
use crate::text::RenderedText;

/// The schema version of `decision-tree.json`; bumped on incompatible changes.
pub const SCHEMA_VERSION: u64 = 1;

/// The whole tree as JSON: `{"schema_version": 1, "root": NODE}`.
pub fn tree_json(knowledge: &Knowledge, text: &RenderedText, tree: &DecisionTree) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "size": tree.size,
        "depth": tree.root.depth(),
        "subjects": knowledge.subjects.iter().map(|s| json!({"id": s.id, "name": s.name})).collect::<Vec<_>>(),
        "root": node_json(knowledge, text, &tree.root),
    })
}

/// A node: `{"question": {...}, "answers": [...]}` or `{"leaf": {...}}`.
pub fn node_json(knowledge: &Knowledge, text: &RenderedText, node: &Node) -> Value {
    match node {
        Node::Leaf { ranking } => json!({ "leaf": leaf_json(knowledge, ranking) }),
        Node::Ask {
            question: at,
            candidates,
            branches,
        } => {
            let question = DecisionTree::question(knowledge, *at);
            let answers: Vec<Value> = question
                .answers
                .iter()
                .zip(branches)
                .map(|(answer, next)| {
                    let favors: Map<String, Value> =
                        answer.favors.iter().map(|(s, w)| (s.value.clone(), json!(w))).collect();
                    json!({
                        "label": answer.label,
                        "rules_out": answer.rules_out.iter().map(|r| &r.value).collect::<Vec<_>>(),
                        "favors": favors,
                        "because": answer.because.iter().map(|b| canonical_fact_id(knowledge, &b.value)).collect::<Vec<_>>(),
                        "next": node_json(knowledge, text, next),
                    })
                })
                .collect();
            json!({
                "question": {
                    "id": question.global_id(),
                    "text": question.text,
                    "help_html": text.question_help(at.dimension, at.question).html,
                },
                "candidates": ranking_json(knowledge, candidates),
                "answers": answers,
            })
        }
    }
}

fn leaf_json(knowledge: &Knowledge, ranking: &[Candidate]) -> Value {
    json!({
        "recommendation": ranking.first().map(|c| &knowledge.subjects[c.subject].id),
        "ranking": ranking_json(knowledge, ranking),
    })
}

/// `[{"subject": id, "score": n}]`.
pub fn ranking_json(knowledge: &Knowledge, ranking: &[Candidate]) -> Vec<Value> {
    ranking
        .iter()
        .map(|c| json!({"subject": knowledge.subjects[c.subject].id, "score": c.score}))
        .collect()
}

/// A `because` reference by its current id (a former id resolves to the fact it now names).
pub fn canonical_fact_id(knowledge: &Knowledge, reference: &str) -> String {
    knowledge.resolve_fact(reference).map_or_else(
        || reference.to_string(),
        |at| knowledge.fact_at(at).global_id(),
    )
}
