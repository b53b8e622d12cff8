//! Rules that span files: references between subjects, facts and questions, unambiguous
//! matrix cells, and the warnings that keep a knowledge base honest (gaps, missing sources,
//! stale facts, inconsistent units).

use std::collections::HashMap;

use crate::config::SiteConfig;
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::knowledge::{Date, Dimension, Knowledge, Ref};

/// Checks the loaded knowledge base against every cross-file rule of DESIGN.md.
pub fn validate(knowledge: &Knowledge, config: &SiteConfig, today: Date) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for dimension in &knowledge.dimensions {
        check_subject_refs(knowledge, dimension, &mut diags);
        check_because(knowledge, dimension, &mut diags);
        check_keys(dimension, &mut diags);
        check_coverage(knowledge, dimension, &mut diags);
        check_freshness(dimension, config, today, &mut diags);
    }
    diags
}

fn unknown_subject(knowledge: &Knowledge, reference: &Ref, diags: &mut Diagnostics) {
    if knowledge.subject(&reference.value).is_none() {
        let ids = knowledge.subject_ids();
        diags.push(
            reference
                .origin
                .error(format!("unknown subject `{}`", reference.value))
                .with_hint(did_you_mean(&reference.value, &ids, "subject ids")),
        );
    }
}

fn check_subject_refs(knowledge: &Knowledge, dimension: &Dimension, diags: &mut Diagnostics) {
    for fact in &dimension.facts {
        for subject in &fact.subjects {
            unknown_subject(knowledge, subject, diags);
        }
    }
    for question in &dimension.questions {
        for answer in &question.answers {
            let named = answer
                .rules_out
                .iter()
                .chain(answer.favors.iter().map(|(s, _)| s));
            for subject in named {
                unknown_subject(knowledge, subject, diags);
            }
        }
    }
}

/// Every `because` names an existing fact (former ids included, since they still resolve).
fn check_because(knowledge: &Knowledge, dimension: &Dimension, diags: &mut Diagnostics) {
    for question in &dimension.questions {
        for answer in &question.answers {
            if answer.because.is_empty() {
                diags.push(
                    answer
                        .origin
                        .warning(format!("answer `{}` cites no facts", answer.label))
                        .with_hint("add `because = [\"<fact id>\"]` so readers see why"),
                );
            }
            for reference in &answer.because {
                if knowledge.resolve_fact(&reference.value).is_some() {
                    continue;
                }
                diags.push(dangling_because(knowledge, reference));
            }
        }
    }
}

fn dangling_because(knowledge: &Knowledge, reference: &Ref) -> Diagnostic {
    let (dim, fact) = reference
        .value
        .split_once('/')
        .unwrap_or(("", &reference.value));
    let hint = match knowledge.dimension(dim) {
        Some(dimension) => {
            let ids: Vec<&str> = dimension.facts.iter().map(|f| f.id.as_str()).collect();
            did_you_mean(fact, &ids, "fact ids in this dimension")
        }
        None => {
            let ids: Vec<&str> = knowledge.dimensions.iter().map(|d| d.id.as_str()).collect();
            format!(
                "there is no dimension `{dim}`; {}",
                did_you_mean(dim, &ids, "dimension ids")
            )
        }
    };
    reference
        .origin
        .error(format!(
            "`because` names unknown fact `{}`",
            reference.value
        ))
        .with_hint(hint)
}

/// One subject may not have two facts with the same key in one dimension; facts sharing a key
/// should agree on unit and value type.
fn check_keys(dimension: &Dimension, diags: &mut Diagnostics) {
    let mut cells: HashMap<(&str, &str), &str> = HashMap::new();
    let mut first_by_key = HashMap::new();
    for fact in &dimension.facts {
        let Some(key) = &fact.key else { continue };
        for subject in &fact.subjects {
            if let Some(previous) = cells.insert(
                (key.value.as_str(), subject.value.as_str()),
                fact.id.as_str(),
            ) {
                diags.push(
                    key.origin
                        .error(format!(
                            "subject `{}` already has a fact with key `{}` in this dimension (`{previous}`)",
                            subject.value, key.value
                        ))
                        .with_hint("the matrix cell would be ambiguous: use another key or merge the facts"),
                );
            }
        }
        let first = *first_by_key.entry(key.value.as_str()).or_insert(fact);
        if std::ptr::eq(first, fact) {
            continue;
        }
        let unit = |f: &crate::knowledge::Fact| f.unit.as_ref().map(|u| u.value.clone());
        if unit(first) != unit(fact) {
            let show =
                |u: Option<String>| u.map_or_else(|| "no unit".to_string(), |u| format!("`{u}`"));
            diags.push(
                key.origin
                    .warning(format!(
                        "facts with key `{}` disagree on unit: {} here, {} in `{}`",
                        key.value,
                        show(unit(fact)),
                        show(unit(first)),
                        first.id
                    ))
                    .with_hint("use the same unit so the values compare"),
            );
        }
        let kind = |f: &crate::knowledge::Fact| f.value.as_ref().map(|v| v.value.type_name());
        if let (Some(a), Some(b)) = (kind(first), kind(fact))
            && a != b
        {
            diags.push(
                key.origin
                    .warning(format!(
                        "facts with key `{}` disagree on value type: {b} here, {a} in `{}`",
                        key.value, first.id
                    ))
                    .with_hint("use the same type of value so the cells compare"),
            );
        }
    }
}

/// A subject with no fact in a dimension is a gap in the matrix.
fn check_coverage(knowledge: &Knowledge, dimension: &Dimension, diags: &mut Diagnostics) {
    for subject in &knowledge.subjects {
        if !dimension.facts.iter().any(|f| f.is_about(&subject.id)) {
            diags.push(
                Diagnostic::warning(
                    Some(dimension.origin.path()),
                    format!(
                        "no fact about `{}` in this dimension; the matrix shows a gap",
                        subject.id
                    ),
                )
                .with_hint(format!("add a fact with `subject = \"{}\"`", subject.id)),
            );
        }
    }
}

fn check_freshness(
    dimension: &Dimension,
    config: &SiteConfig,
    today: Date,
    diags: &mut Diagnostics,
) {
    for fact in &dimension.facts {
        if fact.sources.is_empty() {
            diags.push(
                fact.origin
                    .warning(format!("fact `{}` has no sources", fact.id))
                    .with_hint("add `sources = [\"https://...\"]` so readers can check it"),
            );
        }
        if let Some(verified) = fact.verified {
            let age = today.days_since_epoch() - verified.days_since_epoch();
            if age > config.stale_after_days {
                diags.push(
                    fact.origin
                        .warning(format!(
                            "fact `{}` was last verified on {verified}, more than {} days ago",
                            fact.id, config.stale_after_days
                        ))
                        .with_hint("check it against its sources and update `verified`"),
                );
            }
        }
    }
}
