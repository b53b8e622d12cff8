//! The decision tree, derived from the questions' effects (DESIGN.md, "The decision tree"):
//! a pure, deterministic function of the model. Each node holds the remaining candidates with
//! their scores; a node asks the most discriminating relevant question, or is a leaf that
//! ranks the candidates.

pub mod json;

use std::collections::BTreeSet;

use crate::diag::{Diagnostic, Diagnostics};
use crate::knowledge::{Answer, Knowledge, Question};

/// Trees larger than this are hard to read; a warning says so.
pub const READABLE_NODES: usize = 200;

/// Derivation stops past this many nodes: the tree grows exponentially with independent
/// questions, and a page or diagram of it would be useless anyway.
pub const MAX_NODES: usize = 20_000;

/// Where a question lives in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QuestionIndex {
    pub dimension: usize,
    pub question: usize,
}

/// A remaining subject (its position in subjects.toml) and its score so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub subject: usize,
    pub score: u64,
}

/// One step on a path from the root: the question asked and the answer taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub question: QuestionIndex,
    pub answer: usize,
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Ask a question; one branch per answer, in authored order.
    Ask {
        question: QuestionIndex,
        candidates: Vec<Candidate>,
        branches: Vec<Node>,
    },
    /// Stop: the candidates ranked by score, ties in subjects.toml order. Empty only when an
    /// answer removed every candidate (an error reported by [`derive`]).
    Leaf { ranking: Vec<Candidate> },
}

impl Node {
    /// The number of nodes in this subtree.
    pub fn size(&self) -> usize {
        match self {
            Node::Leaf { .. } => 1,
            Node::Ask { branches, .. } => 1 + branches.iter().map(Node::size).sum::<usize>(),
        }
    }

    /// Every leaf with the path that reaches it, in depth-first, authored order.
    pub fn leaves(&self) -> Vec<(Vec<Step>, &[Candidate])> {
        let mut found = Vec::new();
        let mut path = Vec::new();
        self.collect_leaves(&mut path, &mut found);
        found
    }

    fn collect_leaves<'a>(
        &'a self,
        path: &mut Vec<Step>,
        found: &mut Vec<(Vec<Step>, &'a [Candidate])>,
    ) {
        match self {
            Node::Leaf { ranking } => found.push((path.clone(), ranking)),
            Node::Ask {
                question, branches, ..
            } => {
                for (answer, next) in branches.iter().enumerate() {
                    path.push(Step {
                        question: *question,
                        answer,
                    });
                    next.collect_leaves(path, found);
                    path.pop();
                }
            }
        }
    }

    /// Follows answers (indexes) from this node; `None` when one does not exist.
    pub fn follow(&self, answers: &[usize]) -> Option<&Node> {
        answers.iter().try_fold(self, |node, &answer| match node {
            Node::Ask { branches, .. } => branches.get(answer),
            Node::Leaf { .. } => None,
        })
    }

    /// The length of the longest path below this node, in questions.
    pub fn depth(&self) -> usize {
        match self {
            Node::Leaf { .. } => 0,
            Node::Ask { branches, .. } => 1 + branches.iter().map(Node::depth).max().unwrap_or(0),
        }
    }
}

/// The derived tree, or `None` when the knowledge base has no questions.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionTree {
    pub root: Node,
    pub size: usize,
}

impl DecisionTree {
    /// The question at a position.
    pub fn question(knowledge: &Knowledge, at: QuestionIndex) -> &Question {
        &knowledge.dimensions[at.dimension].questions[at.question]
    }
}

/// Derives the tree and checks it: an answer that would remove every candidate at a reachable
/// node is an error; a subject no leaf recommends and a tree past [`READABLE_NODES`] are
/// warnings. Returns `None` (with no diagnostics) when there are no questions.
pub fn derive(knowledge: &Knowledge) -> (Option<DecisionTree>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let questions: Vec<QuestionIndex> = knowledge
        .dimensions
        .iter()
        .enumerate()
        .flat_map(|(d, dimension)| {
            (0..dimension.questions.len()).map(move |q| QuestionIndex {
                dimension: d,
                question: q,
            })
        })
        .collect();
    if questions.is_empty() {
        return (None, diags);
    }
    let mut deriver = Deriver {
        knowledge,
        nodes: 0,
        empty_paths: Vec::new(),
        too_big: false,
    };
    let start: Vec<Candidate> = (0..knowledge.subjects.len())
        .map(|subject| Candidate { subject, score: 0 })
        .collect();
    let root = deriver.node(start, questions, &mut Vec::new());
    if deriver.too_big {
        diags.push(
            Diagnostic::error(None, format!("the decision tree grows past {MAX_NODES} nodes"))
                .with_hint("questions that are independent of each other multiply the paths: rule subjects out or merge questions"),
        );
        return (None, diags);
    }
    for path in &deriver.empty_paths {
        diags.push(empty_path_error(knowledge, path));
    }
    let tree = DecisionTree {
        size: root.size(),
        root,
    };
    warn_unrecommended(knowledge, &tree, &mut diags);
    if tree.size > READABLE_NODES {
        diags.push(
            Diagnostic::warning(None, format!("the decision tree has {} nodes (over {READABLE_NODES}); readers may get lost", tree.size))
                .with_hint("make answers rule subjects out, or drop questions whose answers barely change the ranking"),
        );
    }
    (Some(tree), diags)
}

struct Deriver<'k> {
    knowledge: &'k Knowledge,
    nodes: usize,
    /// Paths whose last answer removed every candidate.
    empty_paths: Vec<Vec<Step>>,
    too_big: bool,
}

impl Deriver<'_> {
    fn answer(&self, at: QuestionIndex, answer: usize) -> &Answer {
        &DecisionTree::question(self.knowledge, at).answers[answer]
    }

    fn node(
        &mut self,
        candidates: Vec<Candidate>,
        unused: Vec<QuestionIndex>,
        path: &mut Vec<Step>,
    ) -> Node {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            self.too_big = true;
            return Node::Leaf {
                ranking: rank(candidates),
            };
        }
        let relevant: Vec<QuestionIndex> = unused
            .into_iter()
            .filter(|&q| self.is_relevant(q, &candidates))
            .collect();
        if candidates.len() <= 1 || relevant.is_empty() || self.is_settled(&candidates, &relevant) {
            return Node::Leaf {
                ranking: rank(candidates),
            };
        }
        let asked = self.most_discriminating(&candidates, &relevant);
        let rest: Vec<QuestionIndex> = relevant.into_iter().filter(|&q| q != asked).collect();
        let answers = DecisionTree::question(self.knowledge, asked).answers.len();
        let mut branches = Vec::with_capacity(answers);
        for answer in 0..answers {
            path.push(Step {
                question: asked,
                answer,
            });
            let next = self.apply(asked, answer, &candidates);
            if next.is_empty() {
                self.empty_paths.push(path.clone());
                branches.push(Node::Leaf {
                    ranking: Vec::new(),
                });
            } else {
                branches.push(self.node(next, rest.clone(), path));
            }
            path.pop();
            if self.too_big {
                break;
            }
        }
        Node::Ask {
            question: asked,
            candidates,
            branches,
        }
    }

    /// The candidates after an answer: those it rules out removed, its weights added.
    fn apply(&self, at: QuestionIndex, answer: usize, candidates: &[Candidate]) -> Vec<Candidate> {
        let (removed, weights) = self.effect(at, answer, candidates);
        candidates
            .iter()
            .filter(|c| !removed.contains(&c.subject))
            .map(|c| Candidate {
                subject: c.subject,
                score: c.score + weights_for(&weights, c.subject),
            })
            .collect()
    }

    /// What an answer does to these candidates: the subjects it removes, and the weights it
    /// adds to those that remain (zero weights left out), both in subject order.
    fn effect(
        &self,
        at: QuestionIndex,
        answer: usize,
        candidates: &[Candidate],
    ) -> (BTreeSet<usize>, Vec<(usize, u64)>) {
        let answer = self.answer(at, answer);
        let present = |id: &str| {
            self.knowledge
                .subject_position(id)
                .filter(|p| candidates.iter().any(|c| c.subject == *p))
        };
        let removed: BTreeSet<usize> = answer
            .rules_out
            .iter()
            .filter_map(|r| present(&r.value))
            .collect();
        let mut weights: Vec<(usize, u64)> = answer
            .favors
            .iter()
            .filter_map(|(subject, weight)| Some((present(&subject.value)?, u64::from(*weight))))
            .filter(|(subject, _)| !removed.contains(subject))
            .collect();
        weights.sort_unstable();
        (removed, weights)
    }

    /// A question matters when its answers do not all do the same to the candidates.
    fn is_relevant(&self, at: QuestionIndex, candidates: &[Candidate]) -> bool {
        let answers = DecisionTree::question(self.knowledge, at).answers.len();
        let first = self.effect(at, 0, candidates);
        (1..answers).any(|a| self.effect(at, a, candidates) != first)
    }

    /// The leader can neither be removed nor overtaken by any remaining relevant question.
    fn is_settled(&self, candidates: &[Candidate], relevant: &[QuestionIndex]) -> bool {
        let ranking = rank(candidates.to_vec());
        let leader = ranking[0];
        let leader_id = &self.knowledge.subjects[leader.subject].id;
        let removable = relevant.iter().any(|&q| {
            let answers = &DecisionTree::question(self.knowledge, q).answers;
            answers
                .iter()
                .any(|a| a.rules_out.iter().any(|r| &r.value == leader_id))
        });
        if removable {
            return false;
        }
        ranking[1..].iter().all(|other| {
            let gain: u64 = relevant
                .iter()
                .map(|&q| {
                    let answers = &DecisionTree::question(self.knowledge, q).answers;
                    answers
                        .iter()
                        .map(|a| {
                            let weight = |s: usize| favor_weight(a, &self.knowledge.subjects[s].id);
                            weight(other.subject).saturating_sub(weight(leader.subject))
                        })
                        .max()
                        .unwrap_or(0)
                })
                .sum();
            leader.score - other.score > gain
        })
    }

    /// The relevant question removing the most candidates over its answers; ties go to the
    /// largest weight spread, then dimension order, then authored order (the input order).
    fn most_discriminating(
        &self,
        candidates: &[Candidate],
        relevant: &[QuestionIndex],
    ) -> QuestionIndex {
        let mut best = relevant[0];
        let mut best_key = self.discrimination(best, candidates);
        for &q in &relevant[1..] {
            let key = self.discrimination(q, candidates);
            if key > best_key {
                best = q;
                best_key = key;
            }
        }
        best
    }

    fn discrimination(&self, at: QuestionIndex, candidates: &[Candidate]) -> (usize, u64) {
        let question = DecisionTree::question(self.knowledge, at);
        let mut removed = 0;
        let mut spread = 0;
        for (a, answer) in question.answers.iter().enumerate() {
            removed += self.effect(at, a, candidates).0.len();
            let weights = candidates
                .iter()
                .map(|c| favor_weight(answer, &self.knowledge.subjects[c.subject].id));
            let (low, high) =
                weights.fold((u64::MAX, 0), |(low, high), w| (low.min(w), high.max(w)));
            spread += high - low.min(high);
        }
        (removed, spread)
    }
}

fn weights_for(weights: &[(usize, u64)], subject: usize) -> u64 {
    weights
        .iter()
        .find(|(s, _)| *s == subject)
        .map_or(0, |(_, w)| *w)
}

/// The weight an answer gives a subject (0 when it does not favour it).
fn favor_weight(answer: &Answer, subject: &str) -> u64 {
    answer
        .favors
        .iter()
        .find(|(s, _)| s.value == subject)
        .map_or(0, |(_, w)| u64::from(*w))
}

/// Score first, highest first; ties in subjects.toml order.
pub fn rank(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by(|a, b| b.score.cmp(&a.score).then(a.subject.cmp(&b.subject)));
    candidates
}

fn empty_path_error(knowledge: &Knowledge, path: &[Step]) -> Diagnostic {
    let last = path
        .last()
        .expect("an empty path ends with the answer that emptied it");
    let question = DecisionTree::question(knowledge, last.question);
    let answer = &question.answers[last.answer];
    let steps: Vec<String> = path
        .iter()
        .map(|step| {
            let q = DecisionTree::question(knowledge, step.question);
            let a = &q.answers[step.answer];
            format!("\"{}\" → \"{}\" ({})", q.text, a.label, a.origin.short())
        })
        .collect();
    answer
        .origin
        .error(format!("answer `{}` rules out every remaining subject on this path: {}", answer.label, steps.join(", then ")))
        .with_hint("an answer may not leave nothing to recommend: rule out fewer subjects, or favour instead")
}

fn warn_unrecommended(knowledge: &Knowledge, tree: &DecisionTree, diags: &mut Diagnostics) {
    let recommended: BTreeSet<usize> = tree
        .root
        .leaves()
        .iter()
        .filter_map(|(_, ranking)| ranking.first())
        .map(|c| c.subject)
        .collect();
    for (position, subject) in knowledge.subjects.iter().enumerate() {
        if !recommended.contains(&position) {
            diags.push(
                subject
                    .origin
                    .warning(format!(
                        "no answer path of the decision tree recommends `{}`",
                        subject.id
                    ))
                    .with_hint(
                        "add a question whose answers favour this subject or rule out the others",
                    ),
            );
        }
    }
}

/// Why answer labels do not fit the tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    #[error("`{given}` is not an answer to \"{question}\"; answer one of: {choices}")]
    UnknownLabel {
        given: String,
        question: String,
        choices: String,
    },
    #[error("after {answered} answer{s}, the question \"{question}\" needs an answer: one of {choices}", s = if *.answered == 1 { "" } else { "s" })]
    TooFew {
        answered: usize,
        question: String,
        choices: String,
    },
    #[error("the recommendation is reached after {answered} answer{s}; `{extra}` is one too many", s = if *.answered == 1 { "" } else { "s" })]
    TooMany { answered: usize, extra: String },
}

/// Follows answer labels (given in the order questions are asked) from the root. Labels may
/// contain commas: consecutive comma-separated parts are joined when that forms a label.
pub fn follow_labels<'t>(
    knowledge: &Knowledge,
    tree: &'t DecisionTree,
    labels: &str,
) -> Result<(Vec<Step>, &'t [Candidate]), WalkError> {
    let parts: Vec<&str> = if labels.trim().is_empty() {
        Vec::new()
    } else {
        labels.split(',').collect()
    };
    let mut node = &tree.root;
    let mut path = Vec::new();
    let mut next = 0;
    loop {
        match node {
            Node::Leaf { ranking } => {
                return match parts.get(next) {
                    Some(extra) => Err(WalkError::TooMany {
                        answered: path.len(),
                        extra: extra.trim().to_string(),
                    }),
                    None => Ok((path, ranking)),
                };
            }
            Node::Ask {
                question: at,
                branches,
                ..
            } => {
                let question = DecisionTree::question(knowledge, *at);
                let choices = question
                    .answers
                    .iter()
                    .map(|a| format!("\"{}\"", a.label))
                    .collect::<Vec<_>>()
                    .join(", ");
                if next >= parts.len() {
                    return Err(WalkError::TooFew {
                        answered: path.len(),
                        question: question.text.clone(),
                        choices,
                    });
                }
                let (answer, used) = match_label(question, &parts[next..]).ok_or_else(|| {
                    WalkError::UnknownLabel {
                        given: parts[next].trim().to_string(),
                        question: question.text.clone(),
                        choices,
                    }
                })?;
                path.push(Step {
                    question: *at,
                    answer,
                });
                node = &branches[answer];
                next += used;
            }
        }
    }
}

/// The answer named by the longest run of parts that forms a label (exact match first, then
/// ignoring case), and how many parts it used.
fn match_label(question: &Question, parts: &[&str]) -> Option<(usize, usize)> {
    for exact in [true, false] {
        for used in (1..=parts.len()).rev() {
            let candidate = parts[..used].join(",");
            let candidate = candidate.trim();
            let found = question.answers.iter().position(|a| {
                if exact {
                    a.label == candidate
                } else {
                    a.label.eq_ignore_ascii_case(candidate)
                }
            });
            if let Some(answer) = found {
                return Some((answer, used));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
