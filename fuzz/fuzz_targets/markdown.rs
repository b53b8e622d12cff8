//! Any text as a Markdown statement: the limits are checked, and what passes renders to HTML
//! with no script, event handler or dangerous URL.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        versus::fuzzing::markdown(text);
    }
});
