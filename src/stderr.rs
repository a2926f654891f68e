//! What any layer writes to stderr besides the result: a warning, and the `-vv` trace.

use std::fmt;
use std::io::Write;

use crate::text::sanitize;

/// Writes `cachet-check: MESSAGE` to stderr. A closed stderr is not worth a panic: the exit
/// code still tells.
pub fn warn(message: fmt::Arguments) {
    let _ = writeln!(std::io::stderr(), "cachet-check: {message}");
}

/// `-vv` lines: the HTTP exchanges, on stderr, secrets never included (callers pass redacted
/// URLs and no headers).
#[derive(Clone, Copy, Debug)]
pub struct Trace {
    on: bool,
}

impl Trace {
    pub fn new(on: bool) -> Trace {
        Trace { on }
    }

    pub fn emit(self, line: fmt::Arguments) {
        if self.on {
            let _ = writeln!(std::io::stderr(), "{}", sanitize(&line.to_string()));
        }
    }
}
