//! One file per subcommand. What they share: finding the config, and where Cachet is and with
//! which token (SPEC §2: flags and environment override the file).

pub mod components;
pub mod doctor;
pub mod example;
mod lifecycle;
pub mod monit;
pub mod run;
pub mod set;
pub mod validate;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cachet::{CachetError, Client, Endpoint, RemoteComponent};
use crate::cli::GlobalArgs;
use crate::config::{self, Config, Target, WebUrl};
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
    })
}

/// The Cachet component a config target names.
pub fn resolve(client: &Client, target: &Target) -> Result<RemoteComponent, CachetError> {
    match target {
        Target::Id(id) => client.component(*id),
        Target::Name(name) => client.find_component(name),
    }
}
