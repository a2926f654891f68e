//! Secrets: the Cachet token and check passwords (SPEC §2, §5).
//!
//! A `Secret` prints as `***` in `Debug` and `Display`, so it cannot leak through a log line or an
//! error chain. Secrets come from files or environment variables, never from argv.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, PoisonError};

use anyhow::{Result, bail};

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a secret from a file: surrounding white space (the trailing newline editors add) is
    /// dropped, an empty file is an error, and a file other users can read gets a warning.
    pub fn from_file(path: &Path, what: &str) -> Result<Secret> {
        let label = format!("{what} file `{}`", path.display());
        let bytes = crate::file::read_file_capped(path, 64 << 10, &label)?;
        let text =
            String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{label} is not UTF-8 text"))?;
        warn_if_readable_by_others(path, what);
        // A byte-order mark (some Windows editors write one) is never part of a secret.
        let text = text.trim_start_matches('\u{feff}').trim();
        if let Some((name, _)) = text.split_once('=')
            && !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            bail!(
                "{label} holds `{name}=…`, an environment-file line: write the {what} alone in it (an environment file is for systemd's EnvironmentFile=, not for this file)"
            );
        }
        Secret::new(text, || format!("{what} file `{}`", path.display()))
    }

    /// Reads a secret from an environment variable; `None` when it is unset. The variable is
    /// withheld from every program this process starts from now on (`withhold_from`).
    pub fn from_env(name: &str) -> Result<Option<Secret>> {
        READ_FROM
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned());
        match std::env::var(name) {
            Ok(value) => Secret::new(value.trim(), || format!("`{name}`")).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => bail!("`{name}` is not valid UTF-8"),
        }
    }

    /// A password written in a URL of the config (a proxy's `user:password@`).
    pub fn from_url(text: &str) -> Secret {
        Secret(text.to_owned())
    }

    /// `source` names where the secret came from, for the error.
    fn new(text: &str, source: impl FnOnce() -> String) -> Result<Secret> {
        if text.is_empty() {
            bail!("{} is empty", source());
        }
        if text.chars().any(char::is_control) {
            bail!("{} contains control characters", source());
        }
        Ok(Secret(text.to_owned()))
    }
}

/// The environment variables a secret was read from (`password_env` names among them).
static READ_FROM: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Whether a program this process starts must not see variable `name`: the token's
/// (`CACHET_TOKEN`, read or not, as `--token-file` may have won over it), every
/// `CACHET_CHECK_*` (the tool's own settings), and any a secret was read from.
fn withheld(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    name == "CACHET_TOKEN"
        || name.starts_with("CACHET_CHECK_")
        || READ_FROM
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(name)
}

/// Takes from `command`'s environment every variable a secret was or may be read from, so that
/// a plugin that prints its environment (debug wrappers do) cannot publish the write token.
pub fn withhold_from(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if withheld(&name) {
            command.env_remove(name);
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// SPEC §5: a file holding secrets that other users can read gets a warning on stderr.
pub fn warn_if_readable_by_others(path: &Path, what: &str) {
    if let Ok(metadata) = fs::metadata(path)
        && metadata.permissions().mode() & 0o004 != 0
    {
        crate::stderr::warn(format_args!(
            "warning: {what} file `{}` is readable by other users\n\nhint: chmod o-r {}",
            path.display(),
            path.display()
        ));
    }
}

/// Redacts the secrets a URL may carry wherever it is shown: the password of its user info
/// (`https://user:pass@host/` → `https://user:***@host/`) and the value of every query key that
/// looks like a secret's (`?apikey=…&page=2` → `?apikey=***&page=2`; `SECRET_KEYS`).
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or_default();
            format!("{user}:***@{}", &rest[at + 1..authority_end])
        }
        None => rest[..authority_end].to_owned(),
    };
    let after = &rest[authority_end..];
    let (before_fragment, fragment) = after.split_at(after.find('#').unwrap_or(after.len()));
    let tail = match before_fragment.split_once('?') {
        Some((path, query)) => format!("{path}?{}{fragment}", redact_query(query)),
        None => after.to_owned(),
    };
    format!("{}{authority}{tail}", &url[..scheme_end + 3])
}

/// What a query key holding a secret is called, or ends with, in any case: `apikey`,
/// `access_token`, `client_secret`, `X-Amz-Signature`, `auth`, `sig`…
const SECRET_KEYS: &[&str] = &[
    "key",
    "token",
    "secret",
    "pass",
    "pwd",
    "sig",
    "auth",
    "credential",
    "session",
];

/// A query string with the value of every key that looks like a secret's replaced by `***`.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !value.is_empty() && looks_secret(key) => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_KEYS.iter().any(|word| key.contains(word))
}

#[cfg(test)]
mod tests {
    use super::{Secret, redact_url};

    #[test]
    fn urls_are_shown_without_their_secrets() {
        for (url, shown) in [
            ("https://u:p@h:1/x?a=1", "https://u:***@h:1/x?a=1"),
            (
                "https://h/v1?apikey=s3&page=2#top",
                "https://h/v1?apikey=***&page=2#top",
            ),
            (
                "https://h/?X-Amz-Signature=ab&X-Amz-Date=1&access_token=t&sig=",
                "https://h/?X-Amz-Signature=***&X-Amz-Date=1&access_token=***&sig=",
            ),
            ("https://h/a#key=x", "https://h/a#key=x"),
            ("http://h", "http://h"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn secrets_never_format() {
        let secret = Secret("hunter2".to_owned());
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn token_files_are_trimmed_and_must_not_be_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "abc123\n").unwrap();
        assert_eq!(
            Secret::from_file(&path, "token").unwrap().expose(),
            "abc123"
        );
        std::fs::write(&path, "\n").unwrap();
        let error = Secret::from_file(&path, "token").unwrap_err().to_string();
        assert!(error.contains("is empty"), "{error}");
    }

    // A BOM is dropped; an environment-file line is named, and never echoed.
    #[test]
    fn token_files_lose_a_bom_and_refuse_an_environment_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "\u{feff}abc123\r\n").unwrap();
        assert_eq!(
            Secret::from_file(&path, "token").unwrap().expose(),
            "abc123"
        );
        std::fs::write(&path, "CACHET_TOKEN=abc123\n").unwrap();
        let error = format!("{:#}", Secret::from_file(&path, "token").unwrap_err());
        assert!(
            error.contains(
                "holds `CACHET_TOKEN=…`, an environment-file line: write the token alone"
            ),
            "{error}"
        );
        assert!(!error.contains("abc123"), "{error}");
    }

    #[test]
    fn url_passwords_are_redacted() {
        assert_eq!(
            redact_url("https://user:pa:ss@host:8/x?y=@"),
            "https://user:***@host:8/x?y=@"
        );
        assert_eq!(redact_url("https://token@host/"), "https://token:***@host/");
        assert_eq!(redact_url("https://host/a@b"), "https://host/a@b");
        assert_eq!(redact_url("not a url"), "not a url");
    }
}
