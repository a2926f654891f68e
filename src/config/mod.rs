//! The configuration file (SPEC §5): TOML read into checked, ready-to-run types.
//!
//! Unknown keys are rejected with the nearest valid key suggested, and every error names the
//! file, line, column and key. `[defaults]` holds any check key and applies where a check of a
//! kind that takes the key does not set it.

mod build;
mod check;
mod error;
mod raw;
mod truth;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use crate::file::{read_capped, read_file_capped};

pub use build::vantage_name;
pub use error::ConfigError;
pub use truth::{Heartbeat, HeartbeatKind};

use crate::cachet::Dialect;
use crate::check::CheckSpec;
use crate::status::Status;

/// A loaded, checked config.
#[derive(Debug)]
pub struct Config {
    /// The file it came from, as users named it (`<stdin>` for `-`).
    pub file: String,
    /// `state_dir`, when the config sets it (SPEC §7 says where it is otherwise).
    pub state_dir: Option<PathBuf>,
    pub cachet: CachetSettings,
    /// `metrics_file`: the Prometheus textfile each run writes (SPEC §10).
    pub metrics_file: Option<PathBuf>,
    /// `[heartbeat]`: the dead-man's switch each run pings (SPEC §10).
    pub heartbeat: Option<Heartbeat>,
    /// `vantage`: this host's name among many that run the config (SPEC §11).
    pub vantage: Option<String>,
    /// `stamp_every`: how often a run stamps `cachet_check.last_run` (SPEC §11), when set.
    pub stamp_every: Option<Duration>,
    /// In file order.
    pub components: Vec<Component>,
}

#[derive(Debug, Default)]
pub struct CachetSettings {
    pub url: Option<String>,
    pub token_file: Option<PathBuf>,
    /// The API line `api` names; `None` for `"auto"`.
    pub api: Option<Dialect>,
    pub notify_subscribers: bool,
    /// `time_zone`: Cachet's own (`APP_TIMEZONE`), in which 2.4 reads schedule times.
    pub time_zone: Option<jiff::tz::TimeZone>,
    /// mTLS to Cachet (`client_cert`, `client_key`).
    pub client_cert: Option<ureq::tls::ClientCert>,
    /// `proxy`: how Cachet is reached (HTTP CONNECT or SOCKS5).
    pub proxy: Option<crate::net::path::Proxy>,
}

#[derive(Debug)]
pub struct Component {
    /// The name used on the command line (`[components.NAME]`).
    pub name: String,
    pub target: Target,
    /// Runs that must compute a worse status before it is pushed (1: at once).
    pub confirm: u32,
    /// Runs that must compute a better status before it is pushed (1: at once).
    pub confirm_recovery: u32,
    /// `quorum` and `vote_ttl`: the votes of many vantage points decide (SPEC §11).
    pub quorum: Option<Quorum>,
    /// Asked before a worse status is pushed: its own, else the config's (SPEC §10).
    pub witnesses: Vec<crate::check::witness::Witness>,
    /// `depends_on`: config names of the components it needs (SPEC §10).
    pub depends_on: Vec<String>,
    /// Its config maintenance windows, else `[defaults]`'s (SPEC §10).
    pub maintenance: Vec<crate::window::Window>,
    /// The Cachet metric that receives the checks' latency.
    pub metric: Option<u64>,
    pub incident: Option<IncidentSpec>,
    /// The Monit service (`MONIT_SERVICE`) whose events `cachet-check monit` maps to this
    /// component (SPEC §8).
    pub monit_service: Option<String>,
    /// What a Monit failure event pushes (default partial outage).
    pub monit_status: Status,
    /// May be empty only when Monit drives the component (`monit_service`).
    pub checks: Vec<std::sync::Arc<CheckSpec>>,
}

/// `quorum = N`: N unexpired votes decide the status (SPEC §11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quorum {
    pub votes: u32,
    /// `vote_ttl`; `None`: three times the hosts' interval, else 5 minutes.
    pub ttl: Option<Duration>,
}

/// How often a run stamps `cachet_check.last_run` when the host names its vantage and the
/// config does not say.
pub const DEFAULT_STAMP_EVERY: Duration = Duration::from_secs(60);

/// `incident = { name, message, visible, notify }` (SPEC §6).
#[derive(Clone, Debug)]
pub struct IncidentSpec {
    /// Ours is the open incident of this name linked to the component.
    pub name: String,
    /// Put before the failed checks' details.
    pub message: Option<String>,
    pub visible: bool,
    /// E-mail subscribers about it.
    pub notify: bool,
}

/// How the Cachet component is found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Id(u64),
    /// Looked up by exact name.
    Name(String),
}

pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(1);

/// Whether `c` may stand in a component name (`[components.NAME]`), which also names its
/// state files.
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// The largest config accepted: ten thousand checks take about a megabyte.
const CONFIG_CAP: u64 = 16 << 20;

/// Reads and checks the config file at `path` (`-` for standard input).
pub fn load(path: &Path) -> Result<Config> {
    let (file, source) = if path == Path::new("-") {
        let bytes = read_capped(std::io::stdin(), CONFIG_CAP, "the config on standard input")?;
        let source = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("the config on standard input is not UTF-8 text"))?;
        ("<stdin>".to_owned(), source)
    } else {
        let bytes = read_file_capped(
            path,
            CONFIG_CAP,
            &format!("config file `{}`", path.display()),
        )?;
        let source = String::from_utf8(bytes).map_err(|error| {
            anyhow::anyhow!(
                "config file `{}` is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                error.utf8_error().valid_up_to()
            )
        })?;
        (path.display().to_string(), source)
    };
    let config = parse(&file, &source)?;
    if path != Path::new("-") && holds_credentials(&source) {
        crate::secret::warn_if_readable_by_others(path, "config (its headers carry credentials)");
    } else if path != Path::new("-") && config.heartbeat.is_some() {
        // A heartbeat URL is a credential: whoever knows it can say the runs go on.
        crate::secret::warn_if_readable_by_others(path, "config (its heartbeat URL is a secret)");
    }
    Ok(config)
}

/// Parses and checks config text; `file` names it in errors.
pub fn parse(file: &str, source: &str) -> Result<Config, ConfigError> {
    build::parse(file, source)
}

/// Whether a check's `headers` look like they carry credentials (for the SPEC §5 warning): a
/// key naming a credential, then `=`. A plain scan: compiling a regex would cost more than
/// the rest of loading a config.
pub(crate) fn holds_credentials(source: &str) -> bool {
    const WORDS: [&str; 7] = [
        "authorization",
        "cookie",
        "token",
        "apikey",
        "api-key",
        "api_key",
        "secret",
    ];
    if !source.contains("headers") {
        return false;
    }
    let lower = source.to_ascii_lowercase();
    WORDS.iter().any(|word| {
        lower.match_indices(word).any(|(at, _)| {
            let rest = lower[at + word.len()..].trim_start();
            let rest = rest.strip_prefix('"').unwrap_or(rest).trim_start();
            rest.starts_with('=')
        })
    })
}

impl Config {
    /// The component a command line names: by its config name, else by the Cachet id of a
    /// configured component (`run 2` and `set 2` both mean `[components.api]` when it has
    /// `id = 2`).
    pub fn find(&self, named: &str) -> Option<&Component> {
        let by_name = self.components.iter().find(|c| c.name == named);
        by_name.or_else(|| {
            let id: u64 = named.parse().ok()?;
            self.components.iter().find(|c| c.target == Target::Id(id))
        })
    }
}

impl Target {
    /// A component named on the command line that no config component is: a number is a
    /// Cachet id, anything else an exact Cachet name.
    pub fn named(text: &str) -> Target {
        text.parse()
            .map_or_else(|_| Target::Name(text.to_owned()), Target::Id)
    }
}
