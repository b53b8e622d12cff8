//! `versus decide`: the decision wizard in the terminal (arrow keys or numbers), or for scripts
//! a walk along given answer labels with the result as text or JSON.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context as _;
use clap::Args;
use console::{Key, Term, style};
use serde_json::json;

use super::{Failure, Reporter, print_stdout};
use crate::build::{self, LoadOptions};
use crate::decide::{self, Candidate, DecisionTree, Node, Step, json::canonical_fact_id};
use crate::knowledge::Knowledge;
use crate::markdown;

/// Options of `versus decide`.
#[derive(Debug, Args)]
pub struct DecideArgs {
    /// Answer labels in the order the questions are asked, separated by commas (for scripts).
    #[arg(long, value_name = "LABELS")]
    pub answers: Option<String>,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs the wizard or follows `--answers`.
pub fn run(root: &Path, args: &DecideArgs, reporter: &Reporter) -> Result<(), Failure> {
    let loaded = build::load(root, &LoadOptions::default()).map_err(Failure::Invalid)?;
    reporter.diagnostics(loaded.warnings.clone());
    let knowledge = &loaded.knowledge;
    let tree = loaded.tree.as_ref().ok_or_else(|| {
        Failure::Other(anyhow::anyhow!(
            "this knowledge base has no decision questions; add [[questions]] to a dimension file"
        ))
    })?;
    let path = match &args.answers {
        Some(labels) => {
            decide::follow_labels(knowledge, tree, labels)
                .map_err(|err| Failure::Usage(err.to_string()))?
                .0
        }
        None if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() => {
            match wizard(knowledge, tree).context("the terminal wizard failed")? {
                Some(path) => path,
                None => return Ok(()),
            }
        }
        None => {
            return Err(Failure::Usage(
                "no terminal to ask on: pass the answers with --answers \"Yes,No,...\"".to_string(),
            ));
        }
    };
    let Some(Node::Leaf { ranking }) = tree
        .root
        .follow(&path.iter().map(|s| s.answer).collect::<Vec<_>>())
    else {
        unreachable!("a finished walk ends at a leaf");
    };
    let output = if args.json {
        result_json(knowledge, &path, ranking)
    } else {
        result_text(knowledge, &path, ranking)
    };
    print_stdout(&output)?;
    Ok(())
}

/// `{"recommendation", "ranking", "path": [{"question", "answer", "because"}]}`.
fn result_json(knowledge: &Knowledge, path: &[Step], ranking: &[Candidate]) -> String {
    let steps: Vec<_> = path
        .iter()
        .map(|step| {
            let question = DecisionTree::question(knowledge, step.question);
            let answer = &question.answers[step.answer];
            json!({
                "question": question.global_id(),
                "text": question.text,
                "answer": answer.label,
                "because": answer.because.iter().map(|b| canonical_fact_id(knowledge, &b.value)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let value = json!({
        "recommendation": ranking.first().map(|c| &knowledge.subjects[c.subject].id),
        "ranking": decide::json::ranking_json(knowledge, ranking),
        "path": steps,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&value).expect("JSON values always serialize")
    )
}

fn result_text(knowledge: &Knowledge, path: &[Step], ranking: &[Candidate]) -> String {
    let name = |c: &Candidate| &knowledge.subjects[c.subject].name;
    let mut out = String::new();
    if let Some(best) = ranking.first() {
        out.push_str(&format!(
            "Recommendation: {} (score {})\n",
            name(best),
            best.score
        ));
    }
    if let Some(second) = ranking.get(1) {
        out.push_str(&format!(
            "Runner-up: {} (score {})\n",
            name(second),
            second.score
        ));
    }
    if !path.is_empty() {
        out.push_str("\nWhy:\n");
    }
    for step in path {
        let question = DecisionTree::question(knowledge, step.question);
        let answer = &question.answers[step.answer];
        out.push_str(&format!("  {} → {}\n", question.text, answer.label));
        for reference in &answer.because {
            let id = canonical_fact_id(knowledge, &reference.value);
            if let Some(fact) = knowledge.fact(&id) {
                out.push_str(&format!(
                    "    · {} ({id})\n",
                    markdown::to_plain_text(&fact.statement)
                ));
            }
        }
    }
    out
}

/// Asks one question at a time on the terminal; `None` when the user quits.
fn wizard(knowledge: &Knowledge, tree: &DecisionTree) -> std::io::Result<Option<Vec<Step>>> {
    let term = Term::stderr();
    let mut path: Vec<Step> = Vec::new();
    let depth = tree.root.depth();
    loop {
        let answers: Vec<usize> = path.iter().map(|s| s.answer).collect();
        let Some(Node::Ask { question: at, .. }) = tree.root.follow(&answers) else {
            return Ok(Some(path));
        };
        let question = DecisionTree::question(knowledge, *at);
        let labels: Vec<&str> = question.answers.iter().map(|a| a.label.as_str()).collect();
        let header = format!("Question {} (at most {depth})", path.len() + 1);
        let help = question.help.as_deref().map(markdown::to_plain_text);
        match choose(
            &term,
            &header,
            &question.text,
            help.as_deref(),
            &labels,
            !path.is_empty(),
        )? {
            Choice::Answer(answer) => path.push(Step {
                question: *at,
                answer,
            }),
            Choice::Back => {
                path.pop();
            }
            Choice::Quit => return Ok(None),
        }
    }
}

enum Choice {
    Answer(usize),
    Back,
    Quit,
}

/// One question: arrows move, Enter or a number chooses, ← or Backspace goes back, q or Esc quits.
fn choose(
    term: &Term,
    header: &str,
    text: &str,
    help: Option<&str>,
    labels: &[&str],
    can_go_back: bool,
) -> std::io::Result<Choice> {
    let mut selected = 0;
    let keys = if can_go_back {
        "↑↓ or 1-9, Enter · ← back · q quit"
    } else {
        "↑↓ or 1-9, Enter · q quit"
    };
    loop {
        let mut lines = vec![
            style(header).dim().to_string(),
            style(text).bold().to_string(),
        ];
        lines.extend(help.map(|h| style(h).italic().to_string()));
        for (i, label) in labels.iter().enumerate() {
            let line = format!(
                "{} {}. {label}",
                if i == selected { "›" } else { " " },
                i + 1
            );
            lines.push(if i == selected {
                style(line).cyan().to_string()
            } else {
                line
            });
        }
        lines.push(style(keys).dim().to_string());
        term.write_line(&lines.join("\n"))?;
        let key = term.read_key()?;
        term.clear_last_lines(lines.len())?;
        match key {
            Key::ArrowUp | Key::Char('k') => {
                selected = selected.checked_sub(1).unwrap_or(labels.len() - 1)
            }
            Key::ArrowDown | Key::Char('j') | Key::Tab => selected = (selected + 1) % labels.len(),
            Key::Enter => return Ok(Choice::Answer(selected)),
            Key::Char(c) if c.is_ascii_digit() => {
                let n = c.to_digit(10).map_or(0, |d| d as usize);
                if (1..=labels.len()).contains(&n) {
                    return Ok(Choice::Answer(n - 1));
                }
            }
            Key::ArrowLeft | Key::Backspace if can_go_back => return Ok(Choice::Back),
            Key::Escape | Key::Char('q') => return Ok(Choice::Quit),
            _ => {}
        }
    }
}
