//! Replays the inputs the fuzz targets (`fuzz/`, `scripts/fuzz.sh`) found or were seeded with:
//! each once crashed or hung the code it targets, or documents what it exercises.

use crate::common::fixtures;

fn replay(target: &str, run: impl Fn(&[u8])) {
    let dir = fixtures().join("fuzz").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz fixtures") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("read input");
        let started = std::time::Instant::now();
        run(&data);
        assert!(
            started.elapsed().as_secs() < 10,
            "{} took too long",
            path.display()
        );
        count += 1;
    }
    assert!(count > 0, "no inputs for {target}");
}

#[test]
fn loader_survives_every_recorded_input() {
    replay("load_dimension", versus::fuzzing::load_dimension_bytes);
}

#[test]
fn knowledge_survives_every_recorded_input() {
    replay("load_knowledge", versus::fuzzing::load_knowledge_bytes);
}

#[test]
fn markdown_stays_safe_on_every_recorded_input() {
    replay("markdown", |data| {
        versus::fuzzing::markdown(&String::from_utf8_lossy(data))
    });
}

#[test]
fn search_answers_or_refuses_every_recorded_query() {
    replay("search_query", versus::fuzzing::search_query_bytes);
}
