//! Per-component locks: the kernel's `flock`, taken on a file opened never through a link,
//! the holder's pid written in it for the run that finds it held.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::StateDir;
use crate::deadline::Deadline;

/// How often a held lock is tried again while waiting for it.
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(50);

impl StateDir {
    /// Takes the lock of `component`, or says which process holds it.
    pub fn lock(&self, component: &str) -> Result<Lock> {
        self.lock_until(component, None)
    }

    /// Takes the lock of `component`, waiting for its holder until `until` when given (Monit
    /// never retries an exec, so `monit` queues behind a run instead of giving up).
    pub fn lock_until(&self, component: &str, until: Option<Deadline>) -> Result<Lock> {
        let path = self.component_file(component, "lock");
        let mut file =
            open_lock(&path).with_context(|| format!("opening lock file `{}`", path.display()))?;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock)
                    if until.is_some_and(|until| until.remaining() > LOCK_POLL) =>
                {
                    std::thread::sleep(LOCK_POLL);
                }
                Err(TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    let who = if holder.is_empty() {
                        "another cachet-check process".to_owned()
                    } else {
                        format!("cachet-check process {holder}")
                    };
                    bail!(
                        "component `{component}` is being run by {who} (lock `{}`); this run leaves it alone",
                        path.display()
                    );
                }
                Err(TryLockError::Error(error)) => {
                    return Err(error).with_context(|| format!("locking `{}`", path.display()));
                }
            }
        }
        // The lock is the kernel's (flock): it ends with the process, however that ends. The
        // pid in the file only names the holder: written in place at a fixed width, as a
        // truncation and a write cost a hundred times more (90 us a file on ext4: most of a
        // run's time before its checks, at a thousand components).
        let _ = name_holder(&file);
        Ok(Lock { _file: file })
    }
}

/// Opens (creating it if need be) a lock file, never through a link and only if it is a
/// regular file: a link planted in its place would make the holder's pid written over, and the
/// file cut, whatever it points to.
fn open_lock(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) => std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "it is a symbolic link, which a lock file never is: remove it",
            ),
            _ => error,
        })?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is not a regular file: remove it",
        ));
    }
    Ok(file)
}

/// A held component lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Writes this process's pid over a lock file's first bytes, padded to a width no pid
/// exceeds, so the file keeps its size; only a longer file (not written so) is cut.
fn name_holder(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let record = format!("{:<10}\n", std::process::id());
    file.write_all_at(record.as_bytes(), 0)?;
    if file.metadata()?.len() > record.len() as u64 {
        file.set_len(record.len() as u64)?;
    }
    Ok(())
}
