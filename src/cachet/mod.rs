//! Talking to Cachet (SPEC §6, cachet-api.md): one `Client` for 2.3, 2.4 and 3.x.
//!
//! Nothing outside this module knows Cachet's paths, headers or envelopes. Each API line is a
//! module of its own behind `line::Line` (`line/v2.rs`, `line/v3.rs`); `transport.rs` sends a request
//! under the deadline, `answer.rs` reads answers; this file holds the client and the
//! read-then-write push, `lifecycle.rs` incidents and metric points, `admin.rs` what
//! `components` and `doctor` ask.

mod admin;
mod answer;
mod error;
mod lifecycle;
mod line;
mod meta;
mod schedules;
mod transport;

use std::time::Duration;

use serde_json::Value;

pub use admin::{Listed, MetaSupport};
pub use answer::read_any_answer;
pub use error::CachetError;
pub use lifecycle::{IncidentStatus, NewIncident, PointFate, RemoteIncident};
pub use line::Dialect;
pub use meta::Meta;
pub use schedules::{NewSchedule, RemoteSchedule};

use crate::deadline::Deadline;
use crate::secret::{Secret, redact_url};
use crate::status::Status;
use crate::stderr::Trace;
use transport::Call;

/// A component as Cachet shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteComponent {
    pub id: u64,
    pub name: String,
    /// Cachet's status number as stored (0–6 depending on the version).
    pub status: u64,
    pub enabled: bool,
    /// Its `meta`, when the answer showed it (2.4 shows it in every answer; 3.x only when
    /// asked with `include=meta`).
    pub meta: Option<Value>,
}

impl RemoteComponent {
    /// The status in the JSON words of SPEC §9, with Cachet's own extra states named.
    pub fn status_word(&self) -> String {
        match (Status::from_id(self.status), self.status) {
            (Some(status), _) => status.word().to_owned(),
            (None, 6) => "under_maintenance".to_owned(),
            (None, _) => "unknown".to_owned(),
        }
    }
}

pub struct Client {
    agent: ureq::Agent,
    /// The base URL without a trailing slash or API path, e.g. `https://status.example.com`.
    base: String,
    dialect: Dialect,
    token: Option<Secret>,
    notify_subscribers: bool,
    trace: Trace,
    deadline: Deadline,
    /// 3.x: the unresolved incidents, read once per run (`open_incidents`).
    pub(super) open_incidents: std::sync::Mutex<Option<Vec<Value>>>,
    /// `X-RateLimit-Limit` of the latest answer that had one (0: none seen).
    rate_limit: std::sync::atomic::AtomicU64,
}

/// Where Cachet is and how to speak to it.
#[derive(Clone)]
pub struct Endpoint {
    pub url: String,
    pub token: Option<Secret>,
    /// The API line to speak; `None` (`api = "auto"`) finds it out.
    pub api: Option<Dialect>,
    pub notify_subscribers: bool,
    /// mTLS: the certificate presented when the server asks for one.
    pub client_cert: Option<ureq::tls::ClientCert>,
    /// `[cachet] proxy` (`NO_PROXY` honoured); else the environment's, as ureq reads it.
    pub proxy: Option<crate::net::path::Proxy>,
}

impl Client {
    /// A client for `endpoint`, detecting the API line when `api = "auto"` (cachet-api.md §3.8)
    /// and `known` (what an earlier run detected) does not say it.
    pub fn connect(
        endpoint: Endpoint,
        trace: Trace,
        deadline: Deadline,
        known: Option<Dialect>,
    ) -> Result<Client, CachetError> {
        let https = endpoint.url.to_ascii_lowercase().starts_with("https://");
        let mut config = crate::net::http::agent_config(https)
            .max_redirects(0)
            .max_redirects_will_error(false);
        if let Some(client) = endpoint.client_cert {
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(crate::net::tls::ureq_roots())
                    .client_cert(Some(client))
                    .build(),
            );
        }
        if let Some(proxy) = &endpoint.proxy {
            // `Proxy::parse` built it once already: ureq takes it.
            config = config.proxy(proxy.ureq_proxy().ok());
        }
        let agent = crate::net::http::new_agent(config.build());
        let mut client = Client {
            agent,
            base: normalize_base(&endpoint.url),
            dialect: endpoint.api.or(known).unwrap_or_default(),
            token: endpoint.token,
            notify_subscribers: endpoint.notify_subscribers,
            trace,
            deadline,
            open_incidents: std::sync::Mutex::new(None),
            rate_limit: std::sync::atomic::AtomicU64::new(0),
        };
        if endpoint.api.or(known).is_none() {
            client.dialect = client.detect()?;
        }
        Ok(client)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The base URL, as the state dir remembers servers by.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn detect(&mut self) -> Result<Dialect, CachetError> {
        for dialect in Dialect::all() {
            self.dialect = dialect;
            match self.probe("/ping", None) {
                Ok(body) if body.get("data").and_then(Value::as_str) == Some("Pong!") => {
                    return Ok(dialect);
                }
                // Not this API line: an unknown route, or a page that is not Cachet's JSON.
                Ok(_)
                | Err(
                    CachetError::NotFound { .. }
                    | CachetError::Rejected { .. }
                    | CachetError::InvalidResponse { .. },
                ) => {}
                Err(CachetError::Unauthorized { .. }) if dialect.pings_behind_a_token() => {
                    return Ok(dialect);
                }
                Err(error) => return Err(error),
            }
        }
        Err(CachetError::NoApi {
            base: redact_url(&self.base),
        })
    }

    /// Reads component `id`.
    pub fn component(&self, id: u64) -> Result<RemoteComponent, CachetError> {
        let path = format!("/components/{id}");
        let body = self.get(&path).map_err(|error| match error {
            CachetError::NotFound { url, .. } => CachetError::NotFound {
                what: format!("component {id}"),
                url,
            },
            other => other,
        })?;
        self.dialect
            .component(&body)
            .ok_or_else(|| self.invalid(&path, "no component in `data`"))
    }

    /// Finds the one component whose name is exactly `name`.
    pub fn find_component(&self, name: &str) -> Result<RemoteComponent, CachetError> {
        let found = self.dialect.find_by_name(self, name)?;
        let mut exact: Vec<RemoteComponent> =
            found.into_iter().filter(|c| c.name == name).collect();
        match exact.len() {
            1 => Ok(exact.remove(0)),
            0 => {
                let query = self.dialect.name_query(name);
                Err(CachetError::NoSuchName {
                    name: name.to_owned(),
                    asked: format!("GET {}", redact_url(&self.url(&query))),
                    close: self.close_names(name),
                })
            }
            _ => Err(CachetError::Ambiguous {
                name: name.to_owned(),
                ids: exact.iter().map(|c| c.id).collect(),
            }),
        }
    }

    /// The names of components that differ from `name` only a little: in case, or by a typo.
    fn close_names(&self, name: &str) -> Vec<String> {
        let listed = self.list_components().unwrap_or_default();
        let lower = name.to_lowercase();
        let lowered: Vec<String> = listed
            .iter()
            .map(|l| l.component.name.to_lowercase())
            .collect();
        let typo = crate::text::nearest(&lower, lowered.iter().map(String::as_str));
        let mut close: Vec<String> = listed
            .iter()
            .zip(&lowered)
            .filter(|(_, low)| **low == lower || Some(low.as_str()) == typo)
            .map(|(l, _)| l.component.name.clone())
            .collect();
        close.dedup();
        close
    }

    /// Writes `status` to `current` and checks that Cachet shows it afterwards.
    pub fn set_status(
        &self,
        current: &RemoteComponent,
        status: Status,
    ) -> Result<RemoteComponent, CachetError> {
        let path = format!("/components/{}", current.id);
        let body = self
            .dialect
            .status_body(current, status, self.notify_subscribers);
        let answer = self.send(&Call::new("PUT", &path, Some(&body), "components.manage"))?;
        let shown = self
            .dialect
            .component(&answer)
            .ok_or_else(|| self.invalid(&path, "no component in `data`"))?;
        if shown.status != u64::from(status.id()) {
            return Err(CachetError::NotApplied {
                url: format!("PUT {}", redact_url(&self.url(&path))),
                sent: status.label().to_owned(),
                shown: shown.status_word().replace('_', " "),
            });
        }
        Ok(shown)
    }

    fn get(&self, path: &str) -> Result<Value, CachetError> {
        self.send(&Call::new("GET", path, None, ""))
    }

    /// One PUT, not retried (`check_token`: one try tells).
    fn put_once(
        &self,
        path: &str,
        body: &Value,
        ability: &'static str,
    ) -> Result<Value, CachetError> {
        self.send_once(&Call::new("PUT", path, Some(body), ability))
    }

    /// A GET that carries no token (detection probes: a token of one API line must not be sent
    /// to a server of the other), within `limit` when given.
    fn probe(&self, path: &str, limit: Option<Duration>) -> Result<Value, CachetError> {
        let mut call = Call::new("GET", path, None, "");
        call.anonymous = true;
        call.limit = limit;
        self.send(&call)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.base, self.dialect.api_path())
    }

    fn invalid(&self, path: &str, reason: &str) -> CachetError {
        CachetError::InvalidResponse {
            url: redact_url(&self.url(path)),
            reason: reason.to_owned(),
        }
    }
}

/// The base URL as configured, without a trailing slash or API path.
pub fn normalize_base(url: &str) -> String {
    let trimmed = url.trim().trim_end_matches('/');
    for suffix in ["/api/v1", "/api"] {
        if let Some(base) = trimmed.strip_suffix(suffix) {
            return base.to_owned();
        }
    }
    trimmed.to_owned()
}

#[cfg(test)]
mod tests {
    use super::normalize_base;

    #[test]
    fn base_urls_lose_slashes_and_api_paths() {
        assert_eq!(
            normalize_base("https://status.example.com/"),
            "https://status.example.com"
        );
        assert_eq!(
            normalize_base("https://s.example.com/api/v1/"),
            "https://s.example.com"
        );
        assert_eq!(
            normalize_base("https://s.example.com/status/api"),
            "https://s.example.com/status"
        );
    }
}
