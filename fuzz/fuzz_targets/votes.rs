//! Fuzz target: `cachet_check::fuzz::votes` on any UTF-8 input must not panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = cachet_check::fuzz::votes(text);
    }
});
