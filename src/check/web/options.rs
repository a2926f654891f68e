//! The keys that shape the requests of the HTTP-based kinds — `url`, `headers`, `basic_auth`,
//! `fresh_connection`, and the TLS keys they share with `tls` — read into `HttpOptions`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use ureq::tls::Certificate;

use crate::check::tls::{CA_FILE, CLIENT_CERT, CLIENT_KEY, INSECURE, ca_certificates};
use crate::keys::{AnyKey, Key, KeyError, Keys, WebUrl};
use crate::net::path::Path;
use crate::secret::Secret;

/// Where the kind's requests go.
pub const URL: Key<WebUrl> = Key::new("url");
pub const HEADERS: Key<BTreeMap<String, String>> = Key::new("headers");
pub const BASIC_AUTH: Key<RawBasicAuth> = Key::new("basic_auth");
/// A connection of the check's own, never one another check of the run left open.
pub const FRESH_CONNECTION: Key<bool> = Key::new("fresh_connection");

/// The keys every HTTP-based kind takes besides its own (`options` reads them).
pub const KEYS: &[&dyn AnyKey] = &[
    &HEADERS,
    &BASIC_AUTH,
    &INSECURE,
    &CA_FILE,
    &CLIENT_CERT,
    &CLIENT_KEY,
    &FRESH_CONNECTION,
];

/// `basic_auth = { user, password_file | password_env }` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBasicAuth {
    user: String,
    password_file: Option<PathBuf>,
    password_env: Option<String>,
}

/// What every HTTP-based kind (`http`, `graphite`, `jenkins`, `prometheus`) may add to its
/// requests.
#[derive(Debug, Default)]
pub struct HttpOptions {
    pub headers: Vec<(String, String)>,
    pub basic_auth: Option<Box<BasicAuth>>,
    pub insecure: bool,
    pub ca_file: Option<Vec<Certificate<'static>>>,
    /// mTLS (`client_cert`, `client_key`).
    pub client_cert: Option<ureq::tls::ClientCert>,
    /// The network path (`ip`, `resolve`, `source_address`, `proxy`).
    pub path: Path,
    /// `fresh_connection`: the check opens its own connection, so that it sees the server
    /// accept one. By default a check rides a connection an earlier check of the run left
    /// open to the same host, as a browser would.
    pub fresh_connection: bool,
}

#[derive(Debug)]
pub struct BasicAuth {
    pub user: String,
    /// The password, or why it could not be read (an unset `password_env`, an unreadable
    /// `password_file`): then this check alone cannot run, and says why; the others run.
    pub password: Result<Secret, String>,
}

/// Reads `headers`, `basic_auth`, `insecure` and `ca_file`.
pub fn options(keys: &mut Keys) -> Result<HttpOptions, KeyError> {
    let headers: Vec<(String, String)> = keys
        .take(&HEADERS)?
        .unwrap_or_default()
        .into_iter()
        .collect();
    if let Some((name, _)) = headers.iter().find(|(name, value)| {
        ureq::http::HeaderName::from_bytes(name.as_bytes()).is_err()
            || ureq::http::HeaderValue::from_str(value).is_err()
    }) {
        return Err(keys.error(
            HEADERS.name,
            format!(
                "header `{name}` in `{}` is not a valid HTTP header name and value",
                keys.table
            ),
        ));
    }
    let basic_auth = match keys.take(&BASIC_AUTH)? {
        Some(auth) => Some(Box::new(basic_auth(keys, auth)?)),
        None => None,
    };
    if let Some(problem) = header_problem(&headers, basic_auth.is_some()) {
        return Err(keys.error(HEADERS.name, format!("in `{}`: {problem}", keys.table)));
    }
    let ca_file = match keys.take(&CA_FILE)? {
        Some(path) => Some(ca_certificates(keys, &path)?),
        None => None,
    };
    Ok(HttpOptions {
        headers,
        basic_auth,
        insecure: keys.take(&INSECURE)?.unwrap_or(false),
        ca_file,
        client_cert: crate::check::tls::client_cert(keys)?,
        path: crate::net::path::read(keys)?,
        fresh_connection: keys.take(&FRESH_CONNECTION)?.unwrap_or(false),
    })
}

/// What in `headers` the request could not be sent with, checked when the config is read: the
/// HTTP client refuses it before a byte goes out, and at run time it read as the server's
/// failure.
fn header_problem(headers: &[(String, String)], basic_auth: bool) -> Option<String> {
    for (at, (name, value)) in headers.iter().enumerate() {
        if let Some((first, _)) = headers[..at]
            .iter()
            .find(|(other, _)| other.eq_ignore_ascii_case(name))
        {
            return Some(format!(
                "header `{first}` is there twice, also as `{name}` (header names ignore case)"
            ));
        }
        if name.eq_ignore_ascii_case("content-length") {
            return Some(format!(
                "`{name}` is counted from the request's body as it is sent: drop the header"
            ));
        }
        if basic_auth && name.eq_ignore_ascii_case("authorization") {
            return Some(format!(
                "`{name}` is what `basic_auth` sends: keep the header or `basic_auth`, not both"
            ));
        }
        // The client reads these two as text, as `HeaderValue::to_str` does.
        let text = ureq::http::HeaderValue::from_str(value).is_ok_and(|v| v.to_str().is_ok());
        if !text
            && (name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("authorization"))
        {
            return Some(format!(
                "the value of `{name}` must be plain ASCII text (a host name, a token)"
            ));
        }
    }
    None
}

fn basic_auth(keys: &Keys, auth: RawBasicAuth) -> Result<BasicAuth, KeyError> {
    // A password that cannot be read now stops this check alone, when it runs: the other
    // components (and `run OTHER`) are not held hostage by one broken secret.
    let password = match (auth.password_file, auth.password_env) {
        (Some(path), None) => Secret::from_file(&keys.path(&path), "password")
            .map_err(|error| format!("the `basic_auth` password: {error:#}")),
        (None, Some(name)) => match Secret::from_env(&name) {
            Ok(Some(password)) => Ok(password),
            Ok(None) => Err(format!(
                "the `basic_auth` password: environment variable `{name}` is not set"
            )),
            Err(error) => Err(format!("the `basic_auth` password: {error:#}")),
        },
        _ => {
            return Err(keys.error(
                BASIC_AUTH.name,
                format!(
                    "`basic_auth` in `{}` needs exactly one of `password_file` and `password_env`",
                    keys.table
                ),
            ));
        }
    };
    Ok(BasicAuth {
        user: auth.user,
        password,
    })
}

impl HttpOptions {
    /// What keeps these requests from being made: a password that cannot be read.
    pub fn problem(&self) -> Option<String> {
        self.basic_auth
            .as_ref()
            .and_then(|auth| auth.password.as_ref().err().cloned())
    }
}
