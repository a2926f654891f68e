//! State kept between runs (SPEC §7): where it lives, per-component locks, and versioned files
//! written atomically.
//!
//! Each component has its own file (`component-NAME.json`) and lock (`component-NAME.lock`), so
//! runs of different components never wait for each other. `cachet.json` remembers the API line
//! of each Cachet server. A file that cannot be read as this version's state is renamed
//! `….corrupt-UNIXTIME`, reported, and started afresh: a state file never stops a run.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use anyhow::{Context, Result, bail};

use crate::deadline::unix_now;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

mod component;
mod lock;

pub use component::{ComponentState, Pending, Point};
pub use lock::Lock;

/// The version of the files' format; a file of another version is set aside.
pub const FORMAT: u32 = 1;

/// Held (shared) while a state file is replaced, so that a signal never ends the process
/// half-way: the exit takes it alone, after the replacements under way. Files are replaced in
/// parallel (a thousand components' files one after another would wait on a thousand disk
/// flushes); each is written by one thread at a time, its component's.
pub static WRITING: RwLock<()> = RwLock::new(());

/// The largest state file read back: a full spool of metric points is about 1 MiB.
const STATE_CAP: u64 = 16 << 20;

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

trait Versioned {
    fn version(&self) -> u32;
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
    use super::component::SPOOL_CAP;
    use super::{ComponentState, Point, StateDir};

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
