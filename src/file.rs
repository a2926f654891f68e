//! Reading a file, or standard input, that must not be larger than what it should hold: a path
//! to a device or a runaway file cannot fill the memory; and replacing a file whole, so that
//! no reader ever sees half of it — in directories a hostile local user may share.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
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

/// Writes `bytes` to `path` atomically, the file getting `mode` (less the umask): a temporary
/// beside it, created `O_CREAT|O_EXCL` (never through a link someone planted) under a name
/// nobody can guess (`.NAME.tmp-PID.RANDOM`), flushed to disk, renamed over. A failure leaves
/// `path` as it was and no temporary behind.
pub fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}.tmp-{}.", std::process::id()))
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// The process id in the name of a temporary `write_atomically` made, if `name` is one.
pub fn temporary_of(name: &str) -> Option<u32> {
    let (_, rest) = name.rsplit_once(".tmp-")?;
    rest.split('.').next()?.parse().ok()
}

/// Reads back at most `cap` bytes of a file this tool wrote itself (`open_own`).
pub fn read_own(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_own(path)?.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "it is larger than {} KiB, more than this tool ever writes",
                cap >> 10
            ),
        ));
    }
    Ok(bytes)
}

/// Opens a file this tool wrote itself (a state file, the metrics textfile) to read it back,
/// only if it is still a regular file: a symbolic link someone planted is not followed, and a
/// FIFO or a device is refused rather than waited on or read forever.
pub fn open_own(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) => not_regular("a symbolic link"),
            _ => error,
        })?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else {
            "a FIFO, socket or device"
        };
        return Err(not_regular(what));
    }
    Ok(file)
}

fn not_regular(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("it is {what}, not a regular file"),
    )
}

/// Opens `path` and reads at most `cap` bytes of it (`read_capped`). Anything a user names is
/// read as named, a pipe included (`-c <(…)`).
pub fn read_file_capped(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>> {
    let file = File::open(path).with_context(|| format!("reading {what}"))?;
    read_capped(file, cap, what)
}
