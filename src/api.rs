//! The static data files: the JSON API under `api/` (the whole knowledge base, one file per
//! dimension, subject and fact, every fact as CSV, and `index.json` listing the endpoints) and
//! the oEmbed responses under `oembed/`. Written in parallel through the output sink, from the
//! formats of [`crate::embed`]; the layout is in [`crate::embed::paths`].

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::embed::csv::write_facts_csv;
use crate::embed::json::{DimensionDoc, FactEntry, FactJsons, SCHEMA_VERSION, SiteDoc, SubjectDoc};
use crate::embed::snippets::{Target, oembed};
use crate::embed::{
    ExportContext, Selection, generator, json_document, paths, selected_fact_groups,
    serialize_part, to_json, write_json,
};
use crate::incremental::{Counting, FileParts, Reuse, Scope};
use crate::knowledge::FactIndex;
use crate::output::{OutputError, Sink};

/// An endpoint another stage writes (such as `decision_tree` → `api/decision-tree.json`), to
/// be listed in `index.json`.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    pub name: &'a str,
    /// Relative to the site root.
    pub path: &'a str,
}

/// How deep each file lists facts (see [`FactJsons::entry`]): the value of the top object's
/// `fact`, an element of its `facts`, an element of the `facts` of its `dimension`.
const FACT_FILE_DEPTH: usize = 1;
const SUBJECT_FILE_DEPTH: usize = 2;
const DIMENSION_FILE_DEPTH: usize = 3;

/// Writes the API and oEmbed files of the scopes `needs` asks for; returns how many were
/// written. The whole-site files (each written by one thread) are made while the
/// per-dimension and per-subject files are written in parallel; their parts of unchanged
/// dimensions are copied from the old files (`reuse`).
pub fn write(
    ctx: &ExportContext<'_>,
    sink: &Sink,
    extra: &[Endpoint<'_>],
    needs: &(dyn Fn(&Scope) -> bool + Sync),
    reuse: &Reuse<'_>,
) -> Result<usize, OutputError> {
    write_sharing(ctx, &FactJsons::new(*ctx), sink, extra, needs, reuse)
}

/// [`write`], with each fact's JSON from `facts`.
fn write_sharing(
    ctx: &ExportContext<'_>,
    facts: &FactJsons<'_>,
    sink: &Sink,
    extra: &[Endpoint<'_>],
    needs: &(dyn Fn(&Scope) -> bool + Sync),
    reuse: &Reuse<'_>,
) -> Result<usize, OutputError> {
    let k = ctx.knowledge;
    let site_wide = needs(&Scope::Site);
    let by_subject = if site_wide {
        facts_by_subject(ctx)
    } else {
        Vec::new()
    };
    let whole_site = || -> Result<usize, OutputError> {
        if !site_wide {
            return Ok(0);
        }
        let whole = Selection::default();
        write_with_parts(sink, reuse, paths::KNOWLEDGE_API, |out, file| {
            write_json(
                out,
                &json_document(ctx, &whole).with_parts(file).sharing(facts),
            )
        })?;
        let groups = selected_fact_groups(ctx, &whole);
        write_with_parts(sink, reuse, paths::FACTS_CSV, |out, file| {
            write_facts_csv(ctx, &groups, out, Some(file))
        })?;
        let index = Index::new(ctx, extra, &by_subject);
        sink.write(paths::INDEX_API, to_json(&index).as_bytes())?;
        Ok(3)
    };
    let parts = || -> Result<usize, OutputError> {
        let dimensions = (0..k.dimensions.len())
            .into_par_iter()
            .filter(|&d| needs(&Scope::Dimension(k.dimensions[d].id.clone())))
            .map(|d| write_dimension(ctx, facts, sink, d))
            .sum::<Result<usize, OutputError>>()?;
        let subjects = (0..by_subject.len())
            .into_par_iter()
            .map(|s| write_subject(ctx, facts, sink, reuse, s, &by_subject[s]))
            .sum::<Result<usize, OutputError>>()?;
        Ok(dimensions + subjects)
    };
    let (whole_site, parts) = rayon::join(whole_site, parts);
    Ok(whole_site? + parts?)
}

/// A dimension's API and oEmbed files, and those of each of its facts.
fn write_dimension(
    ctx: &ExportContext<'_>,
    facts: &FactJsons<'_>,
    sink: &Sink,
    d: usize,
) -> Result<usize, OutputError> {
    let dimension = &ctx.knowledge.dimensions[d];
    let file = DimensionFile {
        schema_version: SCHEMA_VERSION,
        dimension: DimensionDoc::with_facts(
            ctx,
            d,
            |_| true,
            true,
            |at| facts.entry(at, DIMENSION_FILE_DEPTH),
        ),
        subjects: (0..ctx.knowledge.subjects.len())
            .map(|s| SubjectDoc::new(ctx, s))
            .collect(),
        links: Links::of(
            ctx,
            Some(Target::Dimension(d)),
            &paths::dimension_page(&dimension.id),
            &paths::dimension_api(&dimension.id),
        ),
    };
    sink.write(
        &paths::dimension_api(&dimension.id),
        to_json(&file).as_bytes(),
    )?;
    let response = to_json(&oembed(ctx, Target::Dimension(d)));
    sink.write(&paths::dimension_oembed(&dimension.id), response.as_bytes())?;
    let facts = (0..dimension.facts.len())
        .into_par_iter()
        .map(|f| {
            write_fact(
                ctx,
                facts,
                sink,
                FactIndex {
                    dimension: d,
                    fact: f,
                },
            )
        })
        .sum::<Result<usize, OutputError>>()?;
    Ok(2 + facts)
}

/// A fact's API file and oEmbed response; the response is also written under each former id,
/// since a static JSON file cannot redirect.
fn write_fact(
    ctx: &ExportContext<'_>,
    facts: &FactJsons<'_>,
    sink: &Sink,
    at: FactIndex,
) -> Result<usize, OutputError> {
    let k = ctx.knowledge;
    let fact = k.fact_at(at);
    let dimension = &k.dimensions[at.dimension];
    let file = FactFile {
        schema_version: SCHEMA_VERSION,
        fact: facts.entry(at, FACT_FILE_DEPTH),
        dimension: Reference {
            id: &dimension.id,
            name: &dimension.title,
            page: ctx
                .config
                .absolute_url(&paths::dimension_page(&dimension.id)),
        },
        subjects: fact
            .subjects
            .iter()
            .filter_map(|s| k.subject(&s.value))
            .map(|s| Reference {
                id: &s.id,
                name: &s.name,
                page: ctx.config.absolute_url(&paths::subject_page(&s.id)),
            })
            .collect(),
        links: Links::of(
            ctx,
            Some(Target::Fact(at)),
            &paths::fact_page(&fact.dimension, &fact.id),
            &paths::fact_api(&fact.dimension, &fact.id),
        ),
    };
    sink.write(
        &paths::fact_api(&fact.dimension, &fact.id),
        to_json(&file).as_bytes(),
    )?;
    let response = to_json(&oembed(ctx, Target::Fact(at)));
    for id in std::iter::once(&fact.id).chain(fact.aliases.iter().map(|a| &a.value)) {
        sink.write(
            &paths::fact_oembed(&fact.dimension, id),
            response.as_bytes(),
        )?;
    }
    Ok(2 + fact.aliases.len())
}

fn write_subject(
    ctx: &ExportContext<'_>,
    shared: &FactJsons<'_>,
    sink: &Sink,
    reuse: &Reuse<'_>,
    s: usize,
    facts: &[FactIndex],
) -> Result<usize, OutputError> {
    let subject = &ctx.knowledge.subjects[s];
    write_with_parts(
        sink,
        reuse,
        &paths::subject_api(&subject.id),
        |out, parts| {
            let file = SubjectFile {
                schema_version: SCHEMA_VERSION,
                subject: SubjectDoc::new(ctx, s),
                facts: LazyFacts {
                    ctx,
                    shared,
                    facts,
                    parts,
                },
                links: Links::of(
                    ctx,
                    None,
                    &paths::subject_page(&subject.id),
                    &paths::subject_api(&subject.id),
                ),
            };
            write_json(out, &file)
        },
    )?;
    Ok(1)
}

/// Writes a whole-site file whose parts are recorded (and copied from the old file when
/// current): `fill` writes through the counting writer it is given.
fn write_with_parts(
    sink: &Sink,
    reuse: &Reuse<'_>,
    path: &str,
    fill: impl FnOnce(&mut Counting<'_>, &FileParts<'_>) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    let file = reuse.file(path);
    sink.write_with(path, |out| fill(&mut file.counting(out), &file))?;
    reuse.finish_file(file);
    Ok(())
}

/// For each subject, the facts about it in display order: one pass over the model.
fn facts_by_subject(ctx: &ExportContext<'_>) -> Vec<Vec<FactIndex>> {
    let k = ctx.knowledge;
    let mut by_subject = vec![Vec::new(); k.subjects.len()];
    for (at, fact) in k.facts() {
        for subject in &fact.subjects {
            if let Some(s) = k.subject_position(&subject.value) {
                by_subject[s].push(at);
            }
        }
    }
    by_subject
}

/// `api/dimensions/<id>.json`: the dimension with its facts and questions, and the subjects
/// they name.
#[derive(Serialize)]
struct DimensionFile<'a> {
    schema_version: u32,
    dimension: DimensionDoc<'a, FactEntry<'a>>,
    subjects: Vec<SubjectDoc<'a>>,
    links: Links,
}

/// `api/subjects/<id>.json`: the subject and every fact about it.
#[derive(Serialize)]
struct SubjectFile<'a, 'b> {
    schema_version: u32,
    subject: SubjectDoc<'a>,
    facts: LazyFacts<'a, 'b>,
    links: Links,
}

/// Facts serialized one at a time as they are written: a subject's file lists thousands.
/// Each dimension's facts are a part (run 0) of the file.
struct LazyFacts<'a, 'b> {
    ctx: &'b ExportContext<'a>,
    /// Each fact's JSON, shared with the other files that list it.
    shared: &'b FactJsons<'a>,
    /// In display order, so each dimension's facts are together.
    facts: &'b [FactIndex],
    parts: &'b FileParts<'b>,
}

impl Serialize for LazyFacts<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.facts.len()))?;
        let mut rest = self.facts;
        for d in 0..self.ctx.knowledge.dimensions.len() {
            let count = rest.iter().take_while(|at| at.dimension == d).count();
            let (group, after) = rest.split_at(count);
            rest = after;
            serialize_part(&mut seq, self.parts, 0, d, || {
                group
                    .iter()
                    .map(|&at| self.shared.entry(at, SUBJECT_FILE_DEPTH))
            })?;
        }
        seq.end()
    }
}

/// `api/facts/<dimension>/<id>.json`: the fact, its dimension and subjects by name.
#[derive(Serialize)]
struct FactFile<'a> {
    schema_version: u32,
    fact: FactEntry<'a>,
    dimension: Reference<'a>,
    subjects: Vec<Reference<'a>>,
    links: Links,
}

#[derive(Serialize)]
struct Reference<'a> {
    id: &'a str,
    name: &'a str,
    page: String,
}

/// The absolute URLs of a thing in every form the site offers.
#[derive(Serialize)]
struct Links {
    page: String,
    json: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    embed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    oembed: Option<String>,
}

impl Links {
    fn of(ctx: &ExportContext<'_>, target: Option<Target>, page: &str, json: &str) -> Self {
        let url = |path: &str| ctx.config.absolute_url(path);
        Self {
            page: url(page),
            json: url(json),
            embed: target.map(|t| url(&t.embed_path(ctx))),
            oembed: target.map(|t| url(&t.oembed_path(ctx))),
        }
    }
}

/// The URL of each per-fact, per-dimension and per-subject file, with `{dimension}`, `{fact}`
/// and `{subject}` standing for ids.
fn url_templates(ctx: &ExportContext<'_>) -> BTreeMap<&'static str, String> {
    let url = |path: &str| ctx.config.absolute_url(path);
    BTreeMap::from([
        ("fact", url(&paths::fact_api("{dimension}", "{fact}"))),
        (
            "fact_embed",
            url(&paths::fact_embed("{dimension}", "{fact}")),
        ),
        (
            "fact_oembed",
            url(&paths::fact_oembed("{dimension}", "{fact}")),
        ),
        ("dimension", url(&paths::dimension_api("{dimension}"))),
        (
            "dimension_embed",
            url(&paths::dimension_embed("{dimension}")),
        ),
        (
            "dimension_oembed",
            url(&paths::dimension_oembed("{dimension}")),
        ),
        ("subject", url(&paths::subject_api("{subject}"))),
    ])
}

/// `api/index.json`: every endpoint, the URL templates of per-fact files, and the dimensions
/// and subjects with their files.
#[derive(Serialize)]
struct Index<'a> {
    schema_version: u32,
    generator: &'static str,
    site: SiteDoc<'a>,
    endpoints: BTreeMap<&'a str, String>,
    templates: BTreeMap<&'static str, String>,
    dimensions: Vec<IndexEntry<'a>>,
    subjects: Vec<IndexEntry<'a>>,
}

#[derive(Serialize)]
struct IndexEntry<'a> {
    id: &'a str,
    name: &'a str,
    json: String,
    page: String,
    facts: usize,
}

impl<'a> Index<'a> {
    fn new(ctx: &ExportContext<'a>, extra: &[Endpoint<'a>], by_subject: &[Vec<FactIndex>]) -> Self {
        let k = ctx.knowledge;
        let url = |path: &str| ctx.config.absolute_url(path);
        let mut endpoints = BTreeMap::from([
            ("index", url(paths::INDEX_API)),
            ("knowledge", url(paths::KNOWLEDGE_API)),
            ("facts_csv", url(paths::FACTS_CSV)),
        ]);
        endpoints.extend(extra.iter().map(|e| (e.name, url(e.path))));
        Self {
            schema_version: SCHEMA_VERSION,
            generator: generator(),
            site: SiteDoc::new(ctx),
            endpoints,
            templates: url_templates(ctx),
            dimensions: k
                .dimensions
                .iter()
                .map(|d| IndexEntry {
                    id: &d.id,
                    name: &d.title,
                    json: url(&paths::dimension_api(&d.id)),
                    page: url(&paths::dimension_page(&d.id)),
                    facts: d.facts.len(),
                })
                .collect(),
            subjects: k
                .subjects
                .iter()
                .zip(by_subject)
                .map(|(s, facts)| IndexEntry {
                    id: &s.id,
                    name: &s.name,
                    json: url(&paths::subject_api(&s.id)),
                    page: url(&paths::subject_page(&s.id)),
                    facts: facts.len(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteConfig;
    use crate::knowledge::Knowledge;
    use crate::text::RenderedText;

    /// Every API and oEmbed file of the shipped site, with each fact's JSON kept and shared
    /// or serialized where it is written.
    fn shipped_api(keep: bool) -> BTreeMap<String, Vec<u8>> {
        use crate::incremental::{Fingerprints, Plan};
        use crate::output::MemorySink;
        let loaded = crate::build::shipped();
        let ctx = ExportContext {
            config: &loaded.config,
            knowledge: &loaded.knowledge,
            text: loaded.text(),
        };
        let fingerprints = Fingerprints::of(
            &loaded.config,
            &loaded.knowledge,
            &loaded.theme,
            loaded.tree.is_some(),
        );
        let plan = Plan::new(fingerprints, None);
        let previous = |_: &str| None;
        let ids = loaded.knowledge.dimensions.iter().map(|d| d.id.as_str());
        let reuse = Reuse::new(&plan, ids, &previous);
        let sink = Sink::Memory(MemorySink::default());
        let facts = FactJsons::keeping(ctx, keep);
        write_sharing(&ctx, &facts, &sink, &[], &|_| true, &reuse).expect("written");
        let Sink::Memory(memory) = sink else {
            unreachable!("a memory sink")
        };
        memory.into_parts().0
    }

    #[test]
    fn facts_shared_between_files_are_written_as_each_file_would_write_them() {
        let shared = shipped_api(true);
        let apart = shipped_api(false);
        assert_eq!(
            shared.keys().collect::<Vec<_>>(),
            apart.keys().collect::<Vec<_>>()
        );
        let kinds = [
            paths::KNOWLEDGE_API.to_string(),
            "api/facts/".to_string(),
            "api/dimensions/".to_string(),
            "api/subjects/".to_string(),
        ];
        for kind in kinds {
            let files: Vec<_> = shared.keys().filter(|p| p.starts_with(&kind)).collect();
            assert!(!files.is_empty(), "{kind}");
            for path in files {
                assert!(shared[path] == apart[path], "{path} differs");
            }
        }
    }

    #[test]
    fn lists_other_stages_endpoints_only_when_given() {
        let config = SiteConfig::parse("site.toml".as_ref(), "title = \"T\"\n")
            .unwrap_or_else(|_| panic!("valid configuration"));
        let knowledge = Knowledge::new(Vec::new(), Vec::new());
        let text = RenderedText::new(&knowledge);
        let ctx = ExportContext {
            config: &config,
            knowledge: &knowledge,
            text: &text,
        };
        let bare = Index::new(&ctx, &[], &[]);
        assert!(!bare.endpoints.contains_key("decision_tree"));
        let tree = Endpoint {
            name: "decision_tree",
            path: paths::DECISION_TREE_API,
        };
        let with_tree = Index::new(&ctx, &[tree], &[]);
        assert_eq!(
            with_tree.endpoints.get("decision_tree").map(String::as_str),
            Some("/api/decision-tree.json")
        );
    }
}
