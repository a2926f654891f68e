//! State kept between runs (SPEC §7): where it lives, per-component locks, and versioned files
//! written atomically.
//!
//! Each component has its own file (`component-NAME.json`) and lock (`component-NAME.lock`), so
//! runs of different components never wait for each other. `cachet.json` remembers the API line
//! of each Cachet server. A file that cannot be read as this version's state is renamed
//! `….corrupt-UNIXTIME`, reported, and started afresh: a state file never stops a run.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use anyhow::{Context, Result, bail};

use crate::deadline::{Deadline, unix_now};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The version of the files' format; a file of another version is set aside.
pub const FORMAT: u32 = 1;

/// The most metric points kept for later delivery, per component; the oldest go first.
pub const SPOOL_CAP: usize = 10_000;

/// Held (shared) while a state file is replaced, so that a signal never ends the process
/// half-way: the exit takes it alone, after the replacements under way. Files are replaced in
/// parallel (a thousand components' files one after another would wait on a thousand disk
/// flushes); each is written by one thread at a time, its component's.
pub static WRITING: RwLock<()> = RwLock::new(());

/// The largest state file read back: a full spool of metric points is about 1 MiB.
const STATE_CAP: u64 = 16 << 20;

/// How often a held lock is tried again while waiting for it.
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// The state directory of this run.
#[derive(Clone, Debug)]
pub struct StateDir {
    pub path: PathBuf,
}

impl StateDir {
    /// SPEC §7: the config's `state_dir`, else `$STATE_DIRECTORY` (systemd), else
    /// /var/lib/cachet-check when it can be written, else `$XDG_STATE_HOME/cachet-check`
    /// (`~/.local/state/cachet-check`). The directory is created (mode 0700) when missing.
    pub fn locate(configured: Option<&Path>) -> Result<StateDir> {
        if let Some(path) = configured {
            return StateDir::open(path).with_context(|| "`state_dir` in the config".to_owned());
        }
        if let Some(list) = std::env::var_os("STATE_DIRECTORY").filter(|v| !v.is_empty()) {
            // systemd passes one path per StateDirectory= entry, separated by colons.
            let first = std::env::split_paths(&list).next().unwrap_or_default();
            return StateDir::open(&first).context("STATE_DIRECTORY");
        }
        let system = Path::new("/var/lib/cachet-check");
        if let Ok(dir) = StateDir::open(system) {
            return Ok(dir);
        }
        let xdg = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home),
            None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
                Some(home) => PathBuf::from(home).join(".local/state"),
                None => bail!(
                    "no state directory: /var/lib/cachet-check is not writable and neither XDG_STATE_HOME nor HOME is set; set `state_dir` in the config"
                ),
            },
        };
        StateDir::open(&xdg.join("cachet-check")).context(
            "no writable state directory (set `state_dir` in the config, or STATE_DIRECTORY)",
        )
    }

    fn open(path: &Path) -> Result<StateDir> {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .with_context(|| format!("creating state directory `{}`", path.display()))?;
        trusted(path)?;
        tempfile::tempfile_in(path)
            .with_context(|| format!("state directory `{}` is not writable", path.display()))?;
        remove_orphans(path);
        Ok(StateDir {
            path: path.to_owned(),
        })
    }

    fn component_file(&self, component: &str, extension: &str) -> PathBuf {
        self.path.join(format!("component-{component}.{extension}"))
    }

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

    /// The saved state of `component`, or a fresh one.
    /// Points a run delivered before it was stopped (`note_delivered`) are struck from the
    /// spool, and the state is saved so.
    pub fn component(&self, component: &str) -> ComponentState {
        let path = self.component_file(component, "json");
        let mut state = match self.read::<ComponentState>(&path) {
            Some(state) if state.component == component => state,
            Some(_) => {
                set_aside(&path, "it belongs to another component");
                ComponentState::new(component)
            }
            None => ComponentState::new(component),
        };
        let sent = self.component_file(component, "sent");
        if let Some(delivered) = self.read::<Delivered>(&sent) {
            if let Some(at) = state.points.iter().position(|p| *p == delivered.last) {
                state.points.drain(..=at);
                if let Err(error) = self.save_component(&state) {
                    crate::stderr::warn(format_args!("{error:#}"));
                }
            } else {
                let _ = fs::remove_file(&sent);
            }
        }
        state
    }

    pub fn save_component(&self, state: &ComponentState) -> Result<()> {
        self.write(&self.component_file(&state.component, "json"), state)?;
        // What a delivery marker said is in the state now.
        let _ = fs::remove_file(self.component_file(&state.component, "sent"));
        Ok(())
    }

    /// Notes that the spooled points of `component` up to `last` were delivered: a marker
    /// small enough to write after each point, so that a run killed while it delivers a
    /// backlog neither loses a point nor sends one twice (the next run strikes them).
    pub fn note_delivered(&self, component: &str, last: &Point) -> Result<()> {
        let delivered = Delivered {
            version: FORMAT,
            last: last.clone(),
        };
        self.write(&self.component_file(component, "sent"), &delivered)
    }

    /// The API line last seen at `base` ("2" or "3"), if known.
    pub fn api_of(&self, base: &str) -> Option<String> {
        let servers: Servers = self.read(&self.path.join("cachet.json"))?;
        servers
            .servers
            .into_iter()
            .find(|server| server.url == base)
            .map(|server| server.api)
    }

    /// Remembers (or, with `None`, forgets) the API line of `base`.
    pub fn remember_api(&self, base: &str, api: Option<&str>) -> Result<()> {
        let path = self.path.join("cachet.json");
        let mut servers: Servers = self.read(&path).unwrap_or(Servers {
            version: FORMAT,
            servers: Vec::new(),
        });
        servers.servers.retain(|server| server.url != base);
        if let Some(api) = api {
            servers.servers.push(Server {
                url: base.to_owned(),
                api: api.to_owned(),
            });
        }
        self.write(&path, &servers)
    }

    /// When the token of `key` (`Client::token_key`) was last accepted for a write.
    pub fn token_accepted_at(&self, key: &str) -> Option<i64> {
        let tokens: Tokens = self.read(&self.path.join("tokens.json"))?;
        tokens
            .tokens
            .into_iter()
            .find(|verdict| verdict.key == key)
            .map(|verdict| verdict.accepted_at)
    }

    /// Remembers that the token of `key` was accepted at `at`, or (with `None`) forgets it, so
    /// that the next run asks Cachet again.
    pub fn remember_token(&self, key: &str, at: Option<i64>) -> Result<()> {
        let path = self.path.join("tokens.json");
        let mut tokens: Tokens = self.read(&path).unwrap_or(Tokens {
            version: FORMAT,
            tokens: Vec::new(),
        });
        let before = tokens.tokens.len();
        tokens.tokens.retain(|verdict| verdict.key != key);
        if at.is_none() && tokens.tokens.len() == before {
            return Ok(());
        }
        if let Some(at) = at {
            tokens.tokens.push(Verdict {
                key: key.to_owned(),
                accepted_at: at,
            });
        }
        self.write(&path, &tokens)
    }

    /// Reads a state file; a missing one is `None`, an unreadable one is set aside.
    fn read<T: DeserializeOwned + Versioned>(&self, path: &Path) -> Option<T> {
        let text = match crate::file::read_own(path, STATE_CAP) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                crate::stderr::warn(format_args!(
                    "cannot read state file `{}`: {error}",
                    path.display()
                ));
                return None;
            }
        };
        match serde_json::from_slice::<T>(&text) {
            Ok(state) if state.version() == FORMAT => Some(state),
            Ok(state) => {
                set_aside(
                    path,
                    &format!(
                        "it has format version {}, this cachet-check writes {FORMAT}",
                        state.version()
                    ),
                );
                None
            }
            Err(error) => {
                set_aside(path, &format!("it is not a state file ({error})"));
                None
            }
        }
    }

    /// Writes `value` to `path` atomically: a temporary file, flushed to disk, renamed over.
    fn write<T: Serialize>(&self, path: &Path, value: &T) -> Result<()> {
        let _writing = WRITING
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let result = serde_json::to_vec_pretty(value)
            .map_err(anyhow::Error::from)
            .and_then(|mut bytes| {
                bytes.push(b'\n');
                crate::file::write_atomically(path, &bytes, 0o600).map_err(anyhow::Error::from)
            });
        result.with_context(|| format!("writing state file `{}`", path.display()))
    }
}

/// Removes the temporary files of writers that died before renaming them (`….tmp-PID.…` whose
/// process is gone), so that runs killed mid-write leave nothing behind for long.
fn remove_orphans(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(crate::file::temporary_of)
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Refuses a state directory another local user could tamper with: one owned by someone else,
/// or writable by its group or by others, where links could be planted for the next run to
/// follow.
fn trusted(path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(path)
        .with_context(|| format!("reading state directory `{}`", path.display()))?;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        bail!(
            "state directory `{}` belongs to uid {}, not to the user running cachet-check (uid {me}): another user could plant links in it; use a directory of this user's (`state_dir`), or `chown` it",
            path.display(),
            meta.uid()
        );
    }
    if meta.mode() & 0o022 != 0 {
        bail!(
            "state directory `{}` is writable by {} (mode {:o}): another user could plant links in it; run `chmod go-w {}`",
            path.display(),
            if meta.mode() & 0o002 != 0 {
                "every user"
            } else {
                "its group"
            },
            meta.mode() & 0o7777,
            path.display()
        );
    }
    Ok(())
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

/// Renames a state file that cannot be used, and says so.
fn set_aside(path: &Path, why: &str) {
    let aside = path.with_extension(format!("corrupt-{}", unix_now()));
    match fs::rename(path, &aside) {
        Ok(()) => crate::stderr::warn(format_args!(
            "state file `{}` set aside as `{}`: {why}; starting afresh",
            path.display(),
            aside.display()
        )),
        Err(error) => crate::stderr::warn(format_args!(
            "state file `{}` is unusable ({why}) and could not be set aside: {error}",
            path.display()
        )),
    }
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

trait Versioned {
    fn version(&self) -> u32;
}

/// What is remembered of one component between runs.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ComponentState {
    pub version: u32,
    pub component: String,
    /// Consecutive runs that computed a status worse than Cachet shows (`confirm`).
    #[serde(default)]
    pub worse_runs: u32,
    /// Consecutive runs that computed a status better than Cachet shows (`confirm_recovery`).
    #[serde(default)]
    pub better_runs: u32,
    /// Metric points not yet delivered, oldest first.
    #[serde(default)]
    pub points: Vec<Point>,
    /// The incident this host last opened or updated for the component (a hint only: the
    /// server decides which incident is ours).
    #[serde(default)]
    pub incident: Option<u64>,
    /// A status `cachet-check monit` could not deliver; the next invocation for the component
    /// replaces it (SPEC §8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
    /// When this host last stamped its run in the component's `meta` (Unix seconds, SPEC §11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamped: Option<i64>,
}

/// An undelivered Monit push: the Cachet status id, when, and the event behind it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Pending {
    pub status: u8,
    pub at: i64,
    pub event: String,
}

impl Versioned for ComponentState {
    fn version(&self) -> u32 {
        self.version
    }
}

impl ComponentState {
    pub fn new(component: &str) -> ComponentState {
        ComponentState {
            version: FORMAT,
            component: component.to_owned(),
            worse_runs: 0,
            better_runs: 0,
            points: Vec::new(),
            incident: None,
            pending: None,
            stamped: None,
        }
    }

    /// Adds points to the spool, dropping the oldest beyond `SPOOL_CAP`; returns how many
    /// were dropped.
    pub fn spool(&mut self, points: impl IntoIterator<Item = Point>) -> usize {
        self.points.extend(points);
        let excess = self.points.len().saturating_sub(SPOOL_CAP);
        self.points.drain(..excess);
        excess
    }
}

/// The last spooled point a run delivered (`component-NAME.sent`).
#[derive(Deserialize, Serialize)]
struct Delivered {
    version: u32,
    last: Point,
}

impl Versioned for Delivered {
    fn version(&self) -> u32 {
        self.version
    }
}

/// A metric point: the metric, the value and the Unix time it was measured.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Point {
    pub metric: u64,
    pub value: f64,
    pub timestamp: i64,
}

#[derive(Deserialize, Serialize)]
struct Servers {
    version: u32,
    servers: Vec<Server>,
}

impl Versioned for Servers {
    fn version(&self) -> u32 {
        self.version
    }
}

#[derive(Deserialize, Serialize)]
struct Server {
    url: String,
    api: String,
}

/// `tokens.json`: when each server and token pair was last seen accepted for a write. Keyed by
/// a digest of the pair: the token itself is never written here.
#[derive(Deserialize, Serialize)]
struct Tokens {
    version: u32,
    tokens: Vec<Verdict>,
}

impl Versioned for Tokens {
    fn version(&self) -> u32 {
        self.version
    }
}

#[derive(Deserialize, Serialize)]
struct Verdict {
    key: String,
    accepted_at: i64,
}

#[cfg(test)]
mod tests {
    use super::{ComponentState, Point, SPOOL_CAP, StateDir};

    fn dir() -> (tempfile::TempDir, StateDir) {
        let temp = tempfile::tempdir().unwrap();
        let state = StateDir::locate(Some(temp.path())).unwrap();
        (temp, state)
    }

    #[test]
    fn component_state_round_trips_and_bad_files_are_set_aside() {
        let (temp, dir) = dir();
        let mut state = dir.component("api");
        assert_eq!(state, ComponentState::new("api"));
        state.worse_runs = 2;
        dir.save_component(&state).unwrap();
        assert_eq!(dir.component("api").worse_runs, 2);

        std::fs::write(temp.path().join("component-api.json"), "{ not json").unwrap();
        assert_eq!(dir.component("api"), ComponentState::new("api"));
        let aside: Vec<_> = std::fs::read_dir(temp.path())
            .unwrap()
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.file_name().to_string_lossy().contains(".corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);

        std::fs::write(
            temp.path().join("component-api.json"),
            r#"{"version": 99, "component": "api"}"#,
        )
        .unwrap();
        assert_eq!(dir.component("api"), ComponentState::new("api"));
        std::fs::write(
            temp.path().join("component-api.json"),
            r#"{"version": 1, "component": "web"}"#,
        )
        .unwrap();
        assert_eq!(dir.component("api"), ComponentState::new("api"));
    }

    #[test]
    fn temporary_files_of_dead_writers_are_removed() {
        let temp = tempfile::tempdir().unwrap();
        // A pid above the kernel's limit (4194304) never runs.
        let orphan = temp.path().join("component-api.tmp-4194305");
        let mine = temp
            .path()
            .join(format!("component-web.tmp-{}", std::process::id()));
        std::fs::write(&orphan, "{").unwrap();
        std::fs::write(&mine, "{").unwrap();
        StateDir::locate(Some(temp.path())).unwrap();
        assert!(!orphan.exists());
        assert!(mine.exists(), "a live writer's file is left alone");
    }

    #[test]
    fn the_spool_drops_the_oldest_beyond_its_cap() {
        let mut state = ComponentState::new("api");
        let point = |timestamp| Point {
            metric: 1,
            value: 1.0,
            timestamp,
        };
        assert_eq!(state.spool((0..SPOOL_CAP as i64).map(point)), 0);
        assert_eq!(state.spool([point(-1), point(-2)]), 2);
        assert_eq!(state.points.len(), SPOOL_CAP);
        assert_eq!(state.points[0].timestamp, 2);
        assert_eq!(state.points[SPOOL_CAP - 1].timestamp, -2);
    }

    #[test]
    fn a_held_lock_names_its_holder() {
        let (_temp, dir) = dir();
        let held = dir.lock("api").unwrap();
        let error = dir.lock("api").unwrap_err().to_string();
        assert!(
            error.contains(&format!("cachet-check process {}", std::process::id())),
            "{error}"
        );
        assert!(dir.lock("web").is_ok());
        drop(held);
        assert!(dir.lock("api").is_ok());
    }

    #[test]
    fn a_lock_file_names_its_holder_in_place() {
        let (_temp, dir) = dir();
        let path = dir.component_file("api", "lock");
        std::fs::write(&path, "an older holder's much longer line\n").unwrap();
        let held = dir.lock("api").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string(), "{text:?}");
        drop(held);
        // Taken again, the record is the same size: written over, not appended to.
        let _held = dir.lock("api").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn the_api_line_is_remembered_per_server() {
        let (_temp, dir) = dir();
        assert_eq!(dir.api_of("https://a"), None);
        dir.remember_api("https://a", Some("3")).unwrap();
        dir.remember_api("https://b", Some("2")).unwrap();
        assert_eq!(dir.api_of("https://a").as_deref(), Some("3"));
        dir.remember_api("https://a", None).unwrap();
        assert_eq!(dir.api_of("https://a"), None);
        assert_eq!(dir.api_of("https://b").as_deref(), Some("2"));
    }
}
