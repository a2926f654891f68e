//! Reading a file, or standard input, that must not be larger than what it should hold: a path
//! to a device or a runaway file cannot fill the memory; and replacing a file whole, so that
//! no reader ever sees half of it.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

/// Reads at most `cap` bytes from `reader`; more is an error naming `what`, so that a path to
/// a device or a runaway file cannot fill the memory.
pub fn read_capped(reader: impl Read, cap: u64, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {what}"))?;
    if bytes.len() as u64 > cap {
        anyhow::bail!(
            "{what} is larger than {} KiB: not what it should be",
            cap >> 10
        );
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` atomically: a temporary file beside it (`….tmp-PID`), flushed to
/// disk, renamed over. A failure leaves `path` as it was and no temporary file behind.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// Opens `path` and reads at most `cap` bytes of it (`read_capped`).
pub fn read_file_capped(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {what}"))?;
    read_capped(file, cap, what)
}
