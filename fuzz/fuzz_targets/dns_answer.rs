//! Fuzz target: `cachet_check::fuzz::dns_answer` on any bytes must not panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = cachet_check::fuzz::dns_answer(data);
});
