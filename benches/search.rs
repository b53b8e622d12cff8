//! Native query latency on a built site's index, for `scripts/bench-search.sh`: opens the index
//! as `versus search` does and prints p50 and p99 over a fixed list of queries as JSON.
//!
//! `cargo bench --bench search -- OUTPUT_DIR [ROUNDS]`

use std::path::PathBuf;
use std::time::Instant;

use versus::search::{self, Request, SearchIndex};

/// Words, phrases, fields, a range, a typo and an exclusion: what people type.
const QUERIES: [&str; 12] = [
    "cold start",
    "warm latency",
    "balancer",
    "pricing",
    "\"alert dashboard\"",
    "subject:containers disk",
    "dimension:alerting threshold",
    "latency OR throughput",
    "replica -serverless",
    "value:[100 TO 900]",
    "balancr",
    "15 minutes",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let output = PathBuf::from(args.next().ok_or("usage: search OUTPUT_DIR [ROUNDS]")?);
    let rounds: usize = args.next().map_or(Ok(50), |r| r.parse())?;
    let opened = Instant::now();
    let index = SearchIndex::open(&output)?;
    let open_ms = opened.elapsed().as_secs_f64() * 1e3;
    let first = Instant::now();
    for query in QUERIES {
        search::query(&index, &Request::new(query))?;
    }
    let first_ms = first.elapsed().as_secs_f64() * 1e3;
    let mut times = Vec::with_capacity(rounds * QUERIES.len());
    let mut per_query = vec![Vec::with_capacity(rounds); QUERIES.len()];
    for _ in 0..rounds {
        for (query, samples) in QUERIES.iter().zip(&mut per_query) {
            let started = Instant::now();
            let results = search::query(&index, &Request::new(*query))?;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            times.push(ms);
            samples.push(ms);
            std::hint::black_box(results);
        }
    }
    for (query, samples) in QUERIES.iter().zip(&mut per_query) {
        samples.sort_by(f64::total_cmp);
        eprintln!("{:>8.3} ms  {query}", samples[samples.len() / 2]);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{{\"open_ms\": {open_ms:.3}, \"first_pass_ms\": {first_ms:.3}, \"p50_ms\": {:.4}, \"p99_ms\": {:.4}, \"samples\": {}}}",
        at(0.5),
        at(0.99),
        times.len()
    );
    Ok(())
}
