//! The decide page: the wizard's data, the whole tree as nested lists for reading without
//! JavaScript, and the diagram.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::RenderContext;
use super::diagram::tree_svg;
use super::views::{DimensionLink, SubjectLink};
use crate::decide::json::{canonical_fact_id, tree_json};
use crate::decide::{Candidate, DecisionTree, Node};

/// Everything `decide.html` shows.
#[derive(Debug, Serialize)]
pub struct DecidePage<'a> {
    pub tree: NodeView<'a>,
    pub size: usize,
    pub depth: usize,
    pub questions: usize,
    /// Inline SVG, built from escaped text.
    pub diagram_svg: String,
    /// The wizard's data as JSON, safe inside a `<script type="application/json">` element.
    pub data_json: String,
}

/// A node of the tree as the page lists it.
#[derive(Debug, Serialize)]
pub struct NodeView<'a> {
    /// The answers leading here, as the wizard's `answers` parameter (`0,1`).
    pub answers: String,
    pub question: Option<QuestionView<'a>>,
    pub branches: Vec<BranchView<'a>>,
    pub leaf: Option<LeafView<'a>>,
}

#[derive(Debug, Serialize)]
pub struct QuestionView<'a> {
    pub id: String,
    pub text: &'a str,
    pub help_html: &'a str,
    pub dimension: DimensionLink<'a>,
}

#[derive(Debug, Serialize)]
pub struct BranchView<'a> {
    pub label: &'a str,
    pub because: Vec<FactLink<'a>>,
    pub next: NodeView<'a>,
}

/// A cited fact, linked to its permalink.
#[derive(Debug, Serialize)]
pub struct FactLink<'a> {
    pub id: String,
    pub href: String,
    pub title: String,
    pub statement_html: &'a str,
}

#[derive(Debug, Serialize)]
pub struct LeafView<'a> {
    pub recommendation: Option<SubjectLink<'a>>,
    pub ranking: Vec<Ranked<'a>>,
}

#[derive(Debug, Serialize)]
pub struct Ranked<'a> {
    pub subject: SubjectLink<'a>,
    pub score: u64,
}

/// Builds the page for a tree.
pub fn decide_page<'a>(ctx: &RenderContext<'a>, tree: &'a DecisionTree) -> DecidePage<'a> {
    let questions = ctx.knowledge.questions().count();
    let href = |answers: &[usize]| format!("?answers={}", answers_param(answers));
    DecidePage {
        tree: node_view(ctx, &tree.root, &mut Vec::new()),
        size: tree.size,
        depth: tree.root.depth(),
        questions,
        diagram_svg: tree_svg(ctx.knowledge, tree, &href),
        data_json: script_safe_json(&wizard_data(ctx, tree)),
    }
}

fn answers_param(answers: &[usize]) -> String {
    answers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn node_view<'a>(
    ctx: &RenderContext<'a>,
    node: &'a Node,
    answers: &mut Vec<usize>,
) -> NodeView<'a> {
    let k = ctx.knowledge;
    let mut view = NodeView {
        answers: answers_param(answers),
        question: None,
        branches: Vec::new(),
        leaf: None,
    };
    match node {
        Node::Leaf { ranking } => view.leaf = Some(leaf_view(ctx, ranking)),
        Node::Ask {
            question: at,
            branches,
            ..
        } => {
            let question = DecisionTree::question(k, *at);
            view.question = Some(QuestionView {
                id: question.global_id(),
                text: &question.text,
                help_html: &ctx.text.question_help(at.dimension, at.question).html,
                dimension: DimensionLink::new(&k.dimensions[at.dimension]),
            });
            for (a, next) in branches.iter().enumerate() {
                let answer = &question.answers[a];
                answers.push(a);
                let next = node_view(ctx, next, answers);
                answers.pop();
                view.branches.push(BranchView {
                    label: &answer.label,
                    because: answer
                        .because
                        .iter()
                        .filter_map(|b| fact_link(ctx, &b.value))
                        .collect(),
                    next,
                });
            }
        }
    }
    view
}

fn leaf_view<'a>(ctx: &RenderContext<'a>, ranking: &[Candidate]) -> LeafView<'a> {
    let subject = |c: &Candidate| SubjectLink::new(&ctx.knowledge.subjects[c.subject]);
    LeafView {
        recommendation: ranking.first().map(subject),
        ranking: ranking
            .iter()
            .map(|c| Ranked {
                subject: subject(c),
                score: c.score,
            })
            .collect(),
    }
}

fn fact_link<'a>(ctx: &RenderContext<'a>, reference: &str) -> Option<FactLink<'a>> {
    let k = ctx.knowledge;
    let id = canonical_fact_id(k, reference);
    let at = k.fact_position(&id)?;
    let fact = k.fact_at(at);
    let names: Vec<&str> = fact
        .subjects
        .iter()
        .filter_map(|s| k.subject(&s.value))
        .map(|s| s.name.as_str())
        .collect();
    Some(FactLink {
        href: format!("facts/{}/{}/", fact.dimension, fact.id),
        title: format!(
            "{} · {}",
            names.join(" & "),
            k.dimensions[at.dimension].title
        ),
        statement_html: &ctx.text.statement(at).html,
        id,
    })
}

/// The tree JSON plus what the wizard shows about subjects and cited facts.
fn wizard_data(ctx: &RenderContext<'_>, tree: &DecisionTree) -> Value {
    let k = ctx.knowledge;
    let mut facts = Map::new();
    for question in k.questions() {
        for answer in &question.answers {
            for reference in &answer.because {
                if let Some(link) = fact_link(ctx, &reference.value) {
                    facts.insert(
                        link.id.clone(),
                        json!({"href": link.href, "title": link.title, "statement_html": link.statement_html}),
                    );
                }
            }
        }
    }
    let subjects: Map<String, Value> = k
        .subjects
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                json!({"name": s.name, "href": format!("subjects/{}/", s.id)}),
            )
        })
        .collect();
    json!({"tree": tree_json(k, ctx.text, tree), "facts": facts, "subjects": subjects})
}

/// JSON that cannot end or confuse the `<script>` element holding it: every `<` is escaped.
pub fn script_safe_json(value: &Value) -> String {
    serde_json::to_string(value)
        .expect("JSON values always serialize")
        .replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_a_page_cannot_close_its_script_element() {
        let text = script_safe_json(&json!({"x": "</script><!-- <script>"}));
        assert!(!text.contains('<'), "{text}");
        let back: Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back["x"], "</script><!-- <script>");
    }
}
