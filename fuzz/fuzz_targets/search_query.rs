//! Any text as a search request (query, then limit, subject and dimension after `\x1f`)
//! against the shipped knowledge base's index: answered or refused with a one-line error,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    versus::fuzzing::search_query_bytes(data);
});
