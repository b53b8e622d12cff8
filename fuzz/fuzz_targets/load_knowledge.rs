//! A whole knowledge base (subjects and two dimensions split from the input): loading,
//! validation and the decision tree never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    versus::fuzzing::load_knowledge_bytes(data);
});
