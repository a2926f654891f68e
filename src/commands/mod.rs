//! One file per subcommand, which only orchestrates; no subcommand imports another. What they
//! share is here: finding the config, where Cachet is and with which token (SPEC §2: flags and
//! environment override the file), finding the configured components in Cachet, what keeps
//! checks from running on this machine, and a bounded parallel map.

pub mod components;
pub mod doctor;
pub mod example;
pub mod import;
pub mod maintenance;
pub mod monit;
pub mod run;
pub mod set;
pub mod stale;
pub mod validate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cachet::{CachetError, Client, Endpoint, RemoteComponent};
use crate::cli::GlobalArgs;
use crate::config::{self, Config, Target};
use crate::keys::WebUrl;
use crate::secret::Secret;

pub const DEFAULT_CONFIG: &str = "/etc/cachet-check/config.toml";

/// The config file named by `-c`/`CACHET_CHECK_CONFIG`, else the default path.
fn config_path(global: &GlobalArgs) -> PathBuf {
    global
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
}

/// Loads the config; it must exist.
pub fn load_config(global: &GlobalArgs) -> Result<Config> {
    let path = config_path(global);
    if global.config.is_none() && !path.exists() {
        bail!(
            "no config file at `{}`: pass one with -c FILE (or CACHET_CHECK_CONFIG); `cachet-check example` prints one to start from",
            path.display()
        );
    }
    config::load(&path)
}

/// Loads the config if one was named or the default exists (for commands that can do without).
pub fn load_optional_config(global: &GlobalArgs) -> Result<Option<Config>> {
    if global.config.is_none() && !Path::new(DEFAULT_CONFIG).exists() {
        return Ok(None);
    }
    load_config(global).map(Some)
}

/// What keeps checks of `config` from running on this machine: "component/check: why".
pub fn problems(config: &Config) -> Vec<String> {
    config
        .components
        .iter()
        .flat_map(|component| {
            component.checks.iter().filter_map(move |check| {
                let why = check.probe.problem().or_else(|| {
                    let endpoint = check.probe.endpoint()?;
                    endpoint.path.problem(&endpoint.host, endpoint.port)
                })?;
                Some(format!("{}/{}: {why}", component.name, check.name))
            })
        })
        .collect()
}

/// Time kept back from the checks for talking to Cachet: a quarter of the run, at most 5 s.
pub fn push_reserve(timeout: Duration) -> Duration {
    (timeout / 4).min(Duration::from_secs(5))
}

/// The checks that cannot finish within a run of `timeout` (`--timeout`) when their target is
/// slow: their timeout over every attempt, and the waits between, is more than the checks get
/// of the run. Such a check is cut by the run's deadline and left unknown.
pub fn too_slow_for(config: &Config, timeout: Duration) -> Vec<String> {
    let budget = timeout.saturating_sub(push_reserve(timeout));
    config
        .components
        .iter()
        .flat_map(|component| {
            component.checks.iter().filter_map(move |check| {
                let attempts = check.retries.saturating_add(1);
                let needed = check
                    .timeout
                    .saturating_mul(attempts)
                    .saturating_add(check.retry_delay.saturating_mul(check.retries));
                (needed > budget).then(|| {
                    let span = crate::deadline::format_span;
                    let why = if attempts > 1 {
                        format!(
                            "{attempts} attempts of up to {} each and the waits between",
                            span(check.timeout)
                        )
                    } else {
                        "its timeout".to_owned()
                    };
                    format!(
                        "{}/{}: needs up to {} ({why}), more than the {} a {} run leaves the checks: a slow answer is cut and the check left unknown (raise --timeout, or lower `timeout` or `retries`)",
                        component.name,
                        check.name,
                        span(needed),
                        span(budget),
                        span(timeout)
                    )
                })
            })
        })
        .collect()
}

/// This host's vantage (SPEC §11): `--vantage`, else the config's `vantage`, else the host
/// name.
pub fn vantage(global: &GlobalArgs, config: Option<&Config>) -> Result<String> {
    if let Some(name) = &global.vantage {
        return crate::config::vantage_name(name)
            .map_err(|why| anyhow::anyhow!("--vantage: {why}"));
    }
    if let Some(name) = config.and_then(|config| config.vantage.clone()) {
        return Ok(name);
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let host: String = host
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if host.is_empty() {
        anyhow::bail!("this host has no name to vote under: set `vantage` or --vantage");
    }
    Ok(host)
}

/// The systemd credential that holds the token (`LoadCredential=cachet-token:/etc/…`).
pub const CREDENTIAL: &str = "cachet-token";

/// The token and where it came from ("from CACHET_TOKEN"): `--token-file`, then
/// `CACHET_TOKEN`, then systemd's `$CREDENTIALS_DIRECTORY/cachet-token`, then the config's
/// `token_file`.
pub fn token(global: &GlobalArgs, config: Option<&Config>) -> Result<Option<(Secret, String)>> {
    if let Some(path) = &global.token_file {
        return Secret::from_file(path, "token")
            .map(|token| Some((token, "from --token-file".to_owned())));
    }
    if let Some(token) = Secret::from_env("CACHET_TOKEN")? {
        return Ok(Some((token, "from CACHET_TOKEN".to_owned())));
    }
    if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY").filter(|d| !d.is_empty()) {
        let path = Path::new(&dir).join(CREDENTIAL);
        if path.exists() {
            return Secret::from_file(&path, "token")
                .map(|token| Some((token, format!("from systemd credential `{CREDENTIAL}`"))));
        }
    }
    let Some(config) = config else {
        return Ok(None);
    };
    match config.cachet.token_file.as_deref() {
        Some(path) => Secret::from_file(path, "token")
            .with_context(|| format!("`token_file` in `{}`", config.file))
            .map(|token| Some((token, format!("from `token_file` {}", path.display())))),
        None => Ok(None),
    }
}

/// Where Cachet is: `--url`, then `CACHET_URL`, then the config's `url`. A token is required
/// when `needs_token` (anything that writes).
pub fn endpoint(
    global: &GlobalArgs,
    config: Option<&Config>,
    needs_token: bool,
) -> Result<Endpoint> {
    let url = match (
        &global.url,
        std::env::var("CACHET_URL")
            .ok()
            .filter(|u| !u.trim().is_empty()),
    ) {
        (Some(url), _) => {
            WebUrl::parse(url)
                .map_err(|why| anyhow::anyhow!("--url: {why}"))?
                .0
        }
        (None, Some(url)) => {
            WebUrl::parse(url.trim())
                .map_err(|why| anyhow::anyhow!("CACHET_URL: {why}"))?
                .0
        }
        (None, None) => match config.and_then(|config| config.cachet.url.clone()) {
            Some(url) => url,
            None => bail!("no Cachet URL: set `url` in `[cachet]`, CACHET_URL or --url"),
        },
    };
    let token = token(global, config)?.map(|(token, _)| token);
    if needs_token && token.is_none() {
        bail!(
            "no Cachet API token: set CACHET_TOKEN, pass --token-file FILE, or set `token_file` in `[cachet]`"
        );
    }
    let settings = config.map(|config| &config.cachet);
    Ok(Endpoint {
        url,
        token,
        api: settings.map(|s| s.api).unwrap_or_default(),
        notify_subscribers: settings.is_none_or(|s| s.notify_subscribers),
        client_cert: settings.and_then(|s| s.client_cert.clone()),
        proxy: settings.and_then(|s| s.proxy.clone()),
    })
}

/// The Cachet component a config target names.
pub fn resolve(client: &Client, target: &Target) -> Result<RemoteComponent, CachetError> {
    match target {
        Target::Id(id) => client.component(*id),
        Target::Name(name) => client.find_component(name),
    }
}

/// The Cachet components several targets name, read in as few requests as the API allows: one
/// listing (a page per 100 components) instead of a request each, which matters under 3.x's
/// 60 requests a minute. A target the listing does not show is asked for on its own, so its
/// error says what is wrong.
pub fn resolve_all(
    client: &Client,
    targets: &[Target],
    in_flight: usize,
) -> Vec<Result<RemoteComponent, CachetError>> {
    // Stop paging once every id is found; a name needs the whole list (it may be on two).
    let found_all = |listed: &[crate::cachet::Listed]| {
        targets.iter().all(|target| match target {
            Target::Id(id) => listed.iter().any(|l| l.component.id == *id),
            Target::Name(_) => false,
        })
    };
    let listed = if targets.len() > 1 {
        client.list_components_until(found_all).unwrap_or_default()
    } else {
        Vec::new()
    };
    let from_list = |target: &Target| {
        let mut found = listed
            .iter()
            .map(|l| &l.component)
            .filter(|c| match target {
                Target::Id(id) => c.id == *id,
                Target::Name(name) => c.name == *name,
            });
        match (found.next(), found.next()) {
            (Some(one), None) => Some(one.clone()),
            _ => None,
        }
    };
    parallel_map(targets, in_flight, |target| {
        from_list(target).map_or_else(|| resolve(client, target), Ok)
    })
}

/// `f` of each item, in order, computed by up to `workers` threads.
pub(crate) fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    if items.len() <= 1 || workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.min(items.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(index) else {
                            return done;
                        };
                        done.push((index, f(item)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    results.sort_unstable_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}
