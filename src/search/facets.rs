//! Facet counts: the documents a query matches, counted by subject and by dimension from the
//! index's string fast fields. Counts live in an array per field (term ordinals are dense) and
//! single-valued columns are read a block of documents at a time, so that counting every match
//! of a broad query on a large site stays cheap. Shared with the WebAssembly module; depends on
//! tantivy and std only.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, StrColumn};
use tantivy::{DocId, Score, SegmentReader};

use super::query::Facets;

/// Most values a facet reports, the largest counts first: a site with thousands of dimensions
/// would otherwise send them all with every query.
pub const MAX_FACET_VALUES: usize = 100;

/// Counts matching documents by the terms of the subject and dimension fields.
pub struct FacetCollector {
    pub subject: String,
    pub dimension: String,
}

/// One segment's counts.
pub struct FacetSegmentCollector {
    subject: Counter,
    dimension: Counter,
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let fast = reader.fast_fields();
        Ok(FacetSegmentCollector {
            subject: Counter::new(fast.str(&self.subject)?),
            dimension: Counter::new(fast.str(&self.dimension)?),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut merged = Facets::default();
        for fruit in fruits {
            for (id, count) in fruit.subject {
                *merged.subject.entry(id).or_default() += count;
            }
            for (id, count) in fruit.dimension {
                *merged.dimension.entry(id).or_default() += count;
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.collect_block(&[doc]);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        self.subject.add(docs);
        self.dimension.add(docs);
    }

    fn harvest(self) -> Facets {
        Facets {
            subject: self.subject.names(),
            dimension: self.dimension.names(),
        }
    }
}

/// Counts by term ordinal for one string column (absent when no document has the field).
struct Counter {
    column: Option<StrColumn>,
    counts: Vec<u64>,
    buffer: Vec<Option<u64>>,
}

impl Counter {
    fn new(column: Option<StrColumn>) -> Counter {
        let terms = column.as_ref().map_or(0, |c| c.num_terms());
        Counter {
            column,
            counts: vec![0; terms],
            buffer: Vec::new(),
        }
    }

    fn add(&mut self, docs: &[DocId]) {
        let Some(column) = &self.column else {
            return;
        };
        let ords = column.ords();
        if ords.get_cardinality() == Cardinality::Multivalued {
            for &doc in docs {
                for ord in column.term_ords(doc) {
                    self.counts[ord as usize] += 1;
                }
            }
            return;
        }
        self.buffer.clear();
        self.buffer.resize(docs.len(), None);
        ords.first_vals(docs, &mut self.buffer);
        for ord in self.buffer.iter().flatten() {
            self.counts[*ord as usize] += 1;
        }
    }

    /// The largest counts (ties by ordinal, which is the id's order), by id.
    fn names(self) -> BTreeMap<String, u64> {
        let Some(column) = self.column else {
            return BTreeMap::new();
        };
        let mut counted: Vec<(usize, u64)> = self
            .counts
            .into_iter()
            .enumerate()
            .filter(|(_, count)| *count > 0)
            .collect();
        counted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        counted.truncate(MAX_FACET_VALUES);
        // Names in one pass over the dictionary, in ordinal order: looking each up alone
        // decodes its block from the start again.
        counted.sort_by_key(|(ord, _)| *ord);
        let ords: Vec<u64> = counted.iter().map(|(ord, _)| *ord as u64).collect();
        let mut counts = counted.iter().map(|(_, count)| *count);
        let mut named = BTreeMap::new();
        let _ = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
            let count = counts.next();
            if let (Ok(name), Some(count)) = (std::str::from_utf8(bytes), count) {
                named.insert(name.to_string(), count);
            }
        });
        named
    }
}
