//! Tests of the derivation rules, one per rule, and properties over generated knowledge bases.

use proptest::prelude::*;

use super::*;
use crate::knowledge::load::load_texts;

const THREE: &str = "[[subjects]]\nid = \"a\"\nname = \"A\"\n[[subjects]]\nid = \"b\"\nname = \"B\"\n[[subjects]]\nid = \"c\"\nname = \"C\"\n";

/// A dimension file with one fact per subject and the given questions (TOML text).
fn dimension(title: &str, order: i64, questions: &str) -> String {
    let mut text = format!("title = \"{title}\"\norder = {order}\n");
    for subject in ["a", "b", "c"] {
        text.push_str(&format!(
            "[[facts]]\nid = \"{subject}\"\nsubject = \"{subject}\"\nstatement = \"x\"\nsources = [\"https://example.com/\"]\n"
        ));
    }
    text.push_str(questions);
    text
}

/// A question in TOML: answers as (label, effects) where effects is TOML for one answer.
fn question(id: &str, answers: &[(&str, &str)]) -> String {
    let mut text = format!("[[questions]]\nid = \"{id}\"\ntext = \"{id}?\"\n");
    for (label, effects) in answers {
        text.push_str(&format!(
            "[[questions.answers]]\nlabel = \"{label}\"\n{effects}\nbecause = [\"a\"]\n"
        ));
    }
    text
}

fn knowledge(dimensions: &[(&str, String)]) -> Knowledge {
    let files: Vec<(String, String)> = dimensions
        .iter()
        .map(|(n, t)| (format!("{n}.toml"), t.clone()))
        .collect();
    let (knowledge, diags) = load_texts(THREE, &files);
    assert!(!diags.has_errors(), "{:?}", diags.sorted());
    knowledge.expect("valid knowledge")
}

fn asked_id(knowledge: &Knowledge, node: &Node) -> Option<String> {
    match node {
        Node::Ask { question, .. } => Some(DecisionTree::question(knowledge, *question).id.clone()),
        Node::Leaf { .. } => None,
    }
}

fn leaf_subjects(node: &Node) -> Vec<usize> {
    match node {
        Node::Leaf { ranking } => ranking.iter().map(|c| c.subject).collect(),
        Node::Ask { .. } => panic!("not a leaf"),
    }
}

#[test]
fn asks_the_question_that_removes_most_candidates_first() {
    let k = knowledge(&[(
        "d",
        dimension(
            "D",
            1,
            &(question(
                "soft",
                &[("Yes", "favors = { a = 3 }"), ("No", "favors = { b = 1 }")],
            ) + &question(
                "hard",
                &[
                    ("Yes", "rules_out = [\"a\", \"b\"]"),
                    ("No", "rules_out = [\"c\"]"),
                ],
            )),
        ),
    )]);
    let (tree, diags) = derive(&k);
    assert!(diags.is_empty(), "{:?}", diags.sorted());
    let tree = tree.expect("a tree");
    assert_eq!(asked_id(&k, &tree.root).as_deref(), Some("hard"));
    assert_eq!(
        leaf_subjects(tree.root.follow(&[0]).expect("branch")),
        [2],
        "Yes leaves only c"
    );
}

#[test]
fn never_asks_a_question_whose_answers_all_do_the_same() {
    let k = knowledge(&[(
        "d",
        dimension(
            "D",
            1,
            &(question(
                "same",
                &[("Yes", "favors = { a = 1 }"), ("No", "favors = { a = 1 }")],
            ) + &question(
                "real",
                &[
                    ("Yes", "rules_out = [\"a\"]"),
                    ("No", "rules_out = [\"b\", \"c\"]"),
                ],
            )),
        ),
    )]);
    let tree = derive(&k).0.expect("a tree");
    assert_eq!(asked_id(&k, &tree.root).as_deref(), Some("real"));
    assert_eq!(
        leaf_subjects(tree.root.follow(&[0]).expect("Yes")),
        [1, 2],
        "only the useless question is left"
    );
}

#[test]
fn breaks_ties_by_weight_spread_then_dimension_order_then_authored_order() {
    let spread = knowledge(&[(
        "d",
        dimension(
            "D",
            1,
            &(question(
                "narrow",
                &[("Yes", "favors = { a = 1 }"), ("No", "favors = { b = 1 }")],
            ) + &question(
                "wide",
                &[("Yes", "favors = { a = 3 }"), ("No", "favors = { b = 1 }")],
            )),
        ),
    )]);
    assert_eq!(
        asked_id(&spread, &derive(&spread).0.expect("tree").root).as_deref(),
        Some("wide")
    );
    let q = |id: &str| {
        question(
            id,
            &[
                ("Yes", "rules_out = [\"a\"]"),
                ("No", "rules_out = [\"b\"]"),
            ],
        )
    };
    let ordered = knowledge(&[
        ("later", dimension("Later", 2, &q("second"))),
        ("earlier", dimension("Earlier", 1, &q("first"))),
    ]);
    assert_eq!(
        asked_id(&ordered, &derive(&ordered).0.expect("tree").root).as_deref(),
        Some("first")
    );
    let authored = knowledge(&[("d", dimension("D", 1, &(q("one") + &q("two"))))]);
    assert_eq!(
        asked_id(&authored, &derive(&authored).0.expect("tree").root).as_deref(),
        Some("one")
    );
}

#[test]
fn stops_when_the_leader_can_no_longer_be_overtaken() {
    let k = knowledge(&[(
        "d",
        dimension(
            "D",
            1,
            &(question(
                "big",
                &[("Yes", "favors = { a = 5 }"), ("No", "favors = { b = 1 }")],
            ) + &question(
                "small",
                &[("Yes", "favors = { b = 2 }"), ("No", "favors = { c = 1 }")],
            )),
        ),
    )]);
    let tree = derive(&k).0.expect("a tree");
    assert_eq!(asked_id(&k, &tree.root).as_deref(), Some("big"));
    // After "Yes", a leads by 5 and b can gain at most 2 from `small`: settled.
    assert_eq!(
        leaf_subjects(tree.root.follow(&[0]).expect("Yes")),
        [0, 1, 2]
    );
    // After "No", b leads by 1 and a can gain 0, c can gain 1: not settled, so `small` is asked.
    assert_eq!(
        asked_id(&k, tree.root.follow(&[1]).expect("No")).as_deref(),
        Some("small")
    );
}

#[test]
fn stops_when_one_candidate_remains() {
    let k = knowledge(&[(
        "d",
        dimension(
            "D",
            1,
            &(question(
                "cut",
                &[
                    ("Yes", "rules_out = [\"a\", \"b\"]"),
                    ("No", "favors = { a = 1 }"),
                ],
            ) + &question(
                "more",
                &[("Yes", "rules_out = [\"c\"]"), ("No", "favors = { b = 1 }")],
            )),
        ),
    )]);
    let tree = derive(&k).0.expect("a tree");
    assert_eq!(leaf_subjects(tree.root.follow(&[0]).expect("Yes")), [2]);
}

#[test]
fn errors_on_an_answer_that_removes_everyone_on_a_path() {
    let k = knowledge(&[(
        "d",
        dimension(
            "D",
            1,
            &(question(
                "first",
                &[
                    ("Yes", "rules_out = [\"a\"]"),
                    ("No", "rules_out = [\"b\", \"c\"]"),
                ],
            ) + &question(
                "then",
                &[
                    ("Drop", "rules_out = [\"b\", \"c\"]"),
                    ("Keep", "favors = { c = 1 }"),
                ],
            )),
        ),
    )]);
    let (_, diags) = derive(&k);
    let errors: Vec<String> = diags
        .sorted()
        .into_iter()
        .map(|d| format!("{}: {}", d.position(), d.message))
        .collect();
    assert_eq!(
        errors,
        [
            "knowledge/dimensions/d.toml:32:1: answer `Drop` rules out every remaining subject on this path: \"first?\" → \"Yes\" (knowledge/dimensions/d.toml:21), then \"then?\" → \"Drop\" (knowledge/dimensions/d.toml:32)",
            "knowledge/subjects.toml:5:6: no answer path of the decision tree recommends `b`"
        ]
    );
}

#[test]
fn warns_about_subjects_no_path_recommends_and_large_trees() {
    let k = knowledge(&[(
        "d",
        dimension(
            "D",
            1,
            &question(
                "q",
                &[("Yes", "favors = { a = 1 }"), ("No", "favors = { b = 1 }")],
            ),
        ),
    )]);
    let (_, diags) = derive(&k);
    let messages: Vec<String> = diags.sorted().into_iter().map(|d| d.message).collect();
    assert_eq!(
        messages,
        ["no answer path of the decision tree recommends `c`"]
    );
    let many: String = (0..10)
        .map(|i| {
            question(
                &format!("q{i}"),
                &[("Yes", "favors = { a = 1 }"), ("No", "favors = { b = 1 }")],
            )
        })
        .collect();
    let (tree, diags) = derive(&knowledge(&[("d", dimension("D", 1, &many))]));
    let size = tree.expect("a tree").size;
    assert!(size > READABLE_NODES, "{size}");
    assert!(diags.iter().any(|d| d.message
        == format!(
            "the decision tree has {size} nodes (over {READABLE_NODES}); readers may get lost"
        )));
}

#[test]
fn has_no_tree_without_questions() {
    let k = knowledge(&[("d", dimension("D", 1, ""))]);
    let (tree, diags) = derive(&k);
    assert!(tree.is_none());
    assert!(diags.is_empty());
}

// ---- properties over generated knowledge bases

/// One generated answer: subjects ruled out (bit set) and weights (0 means none).
#[derive(Debug, Clone)]
struct GenAnswer {
    rules_out: u8,
    favors: [u8; 3],
}

fn answer_strategy() -> impl Strategy<Value = GenAnswer> {
    (0u8..8, [0u8..4, 0u8..4, 0u8..4])
        .prop_map(|(rules_out, favors)| GenAnswer {
            rules_out: rules_out & 0b111,
            favors,
        })
        .prop_filter("an answer needs an effect", |a| {
            a.rules_out != 0 || a.favors.iter().any(|w| *w > 0)
        })
}

fn knowledge_strategy() -> impl Strategy<Value = Vec<Vec<GenAnswer>>> {
    prop::collection::vec(prop::collection::vec(answer_strategy(), 2..4), 1..6)
}

fn generated(questions: &[Vec<GenAnswer>]) -> Knowledge {
    let ids = ["a", "b", "c"];
    let mut text = String::new();
    for (q, answers) in questions.iter().enumerate() {
        let answers: Vec<(String, String)> = answers
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let out: Vec<String> = (0..3)
                    .filter(|s| a.rules_out & (1 << s) != 0)
                    .map(|s| format!("\"{}\"", ids[s]))
                    .collect();
                let favors: Vec<String> = (0..3)
                    .filter(|s| a.favors[*s] > 0)
                    .map(|s| format!("{} = {}", ids[s], a.favors[s]))
                    .collect();
                let mut effects = String::new();
                if !out.is_empty() {
                    effects.push_str(&format!("rules_out = [{}]\n", out.join(", ")));
                }
                if !favors.is_empty() {
                    effects.push_str(&format!("favors = {{ {} }}\n", favors.join(", ")));
                }
                (format!("A{i}"), effects)
            })
            .collect();
        let refs: Vec<(&str, &str)> = answers
            .iter()
            .map(|(l, e)| (l.as_str(), e.as_str()))
            .collect();
        text.push_str(&question(&format!("q{q}"), &refs));
    }
    knowledge(&[("d", dimension("D", 1, &text))])
}

/// Applies answers from scratch, as a reader would: the expected ranking at the end.
fn replay(k: &Knowledge, path: &[Step]) -> Vec<Candidate> {
    let mut candidates: Vec<Candidate> = (0..k.subjects.len())
        .map(|subject| Candidate { subject, score: 0 })
        .collect();
    for step in path {
        let answer = &DecisionTree::question(k, step.question).answers[step.answer];
        candidates.retain(|c| {
            !answer
                .rules_out
                .iter()
                .any(|r| r.value == k.subjects[c.subject].id)
        });
        for c in &mut candidates {
            c.score += favor_weight(answer, &k.subjects[c.subject].id);
        }
    }
    rank(candidates)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn every_path_ends_in_a_leaf_that_ranks_what_the_path_implies(questions in knowledge_strategy()) {
        let k = generated(&questions);
        let (tree, diags) = derive(&k);
        let tree = tree.expect("questions exist");
        prop_assert_eq!(derive(&k).0.expect("tree"), tree.clone(), "deterministic");
        for (path, ranking) in tree.root.leaves() {
            let asked: BTreeSet<QuestionIndex> = path.iter().map(|s| s.question).collect();
            prop_assert_eq!(asked.len(), path.len(), "a question asked twice on a path");
            prop_assert!(!ranking.is_empty() || diags.has_errors(), "an empty leaf without an error");
            let expected = replay(&k, &path);
            prop_assert_eq!(ranking, expected.as_slice());
        }
    }
}
