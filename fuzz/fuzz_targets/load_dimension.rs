//! Any bytes as a dimension file: the loader reports problems, never panics or hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    versus::fuzzing::load_dimension_bytes(data);
});
