//! Talking to Cachet (SPEC §6, cachet-api.md): one `Client` for 2.3, 2.4 and 3.x.
//!
//! Nothing outside this module knows Cachet's paths, headers or envelopes. `v2.rs` and `v3.rs`
//! hold what differs between the two API lines; this file holds what they share: requests under
//! the deadline, retries, error mapping, and the read-then-write push.

mod admin;
mod error;
mod lifecycle;
mod v2;
mod v3;

use std::io::Read;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use admin::{Listed, MetaSupport, yes_no};
pub use error::CachetError;
pub use lifecycle::{IncidentStatus, NewIncident, PointFate, RemoteIncident};

use crate::config::Api;
use crate::deadline::Deadline;
use crate::deadline::format_millis;
use crate::net::http::encode_query_value as encode;
use crate::net::{describe_error, host_of};
use crate::stderr::Trace;
use crate::text::sanitize;
use crate::secret::{Secret, redact_url};
use crate::status::Status;

/// Largest Cachet response read (lists of components can be long).
const RESPONSE_CAP: u64 = 8 * 1024 * 1024;
/// How much of an error answer (4xx, 5xx) is read.
const ERROR_CAP: u64 = 64 * 1024;
const MAX_ATTEMPTS: u32 = 5;

/// Which API line the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Cachet 2.3 and 2.4: `/api/v1`, `X-Cachet-Token`.
    V2,
    /// Cachet 3.x: `/api`, `Authorization: Bearer`, JSON:API bodies.
    V3,
}

impl Dialect {
    /// "2" or "3", as `api` in the config and the state dir write it.
    pub fn word(self) -> &'static str {
        match self {
            Dialect::V2 => "2",
            Dialect::V3 => "3",
        }
    }

    pub fn from_word(word: &str) -> Option<Dialect> {
        match word {
            "2" => Some(Dialect::V2),
            "3" => Some(Dialect::V3),
            _ => None,
        }
    }

    fn api_path(self) -> &'static str {
        match self {
            Dialect::V2 => "/api/v1",
            Dialect::V3 => "/api",
        }
    }
}

/// A component as Cachet shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteComponent {
    pub id: u64,
    pub name: String,
    /// Cachet's status number as stored (0–6 depending on the version).
    pub status: u64,
    pub enabled: bool,
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
    open_incidents: std::sync::Mutex<Option<Vec<Value>>>,
    /// `X-RateLimit-Limit` of the latest answer that had one (0: none seen).
    rate_limit: std::sync::atomic::AtomicU64,
}

/// Where Cachet is and how to speak to it.
#[derive(Clone)]
pub struct Endpoint {
    pub url: String,
    pub token: Option<Secret>,
    pub api: Api,
    pub notify_subscribers: bool,
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
        let agent = crate::net::http::new_agent(
            crate::net::http::agent_config(https)
                .max_redirects(0)
                .max_redirects_will_error(false)
                .build(),
        );
        let mut client = Client {
            agent,
            base: normalize_base(&endpoint.url),
            dialect: Dialect::V2,
            token: endpoint.token,
            notify_subscribers: endpoint.notify_subscribers,
            trace,
            deadline,
            open_incidents: std::sync::Mutex::new(None),
            rate_limit: std::sync::atomic::AtomicU64::new(0),
        };
        client.dialect = match (endpoint.api, known) {
            (Api::V2, _) => Dialect::V2,
            (Api::V3, _) => Dialect::V3,
            (Api::Auto, Some(known)) => known,
            (Api::Auto, None) => client.detect()?,
        };
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
        for dialect in [Dialect::V2, Dialect::V3] {
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
                // A 3.x with `api_protected` answers 401 even to ping (cachet-api.md §3.8).
                Err(CachetError::Unauthorized { .. }) if dialect == Dialect::V3 => {
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
        let parsed = match self.dialect {
            Dialect::V2 => v2::component(&body),
            Dialect::V3 => v3::component(&body),
        };
        parsed.ok_or_else(|| self.invalid(&path, "no component in `data`"))
    }

    /// Finds the one component whose name is exactly `name`.
    pub fn find_component(&self, name: &str) -> Result<RemoteComponent, CachetError> {
        let found = match self.dialect {
            Dialect::V2 => v2::find_by_name(self, name)?,
            Dialect::V3 => v3::find_by_name(self, name)?,
        };
        let mut exact: Vec<RemoteComponent> =
            found.into_iter().filter(|c| c.name == name).collect();
        match exact.len() {
            1 => Ok(exact.remove(0)),
            0 => {
                let query = match self.dialect {
                    Dialect::V2 => v2::name_query(name),
                    Dialect::V3 => v3::name_query(name),
                };
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
        let typo = crate::config::nearest(&lower, lowered.iter().map(String::as_str));
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
        let body = match self.dialect {
            Dialect::V2 => v2::status_body(current, status, self.notify_subscribers),
            Dialect::V3 => v3::status_body(current, status),
        };
        let answer = self.send(&Call::new("PUT", &path, Some(&body), "components.manage"))?;
        let shown = match self.dialect {
            Dialect::V2 => v2::component(&answer),
            Dialect::V3 => v3::component(&answer),
        }
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

    /// One idempotent request (GET or PUT), retried on connection errors, 5xx and 429 with
    /// backoff (or the server's Retry-After) while the deadline allows.
    fn send(&self, call: &Call) -> Result<Value, CachetError> {
        let mut attempt = 0;
        loop {
            let error = match self.send_once(call) {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            let wait = error
                .retry_after()
                .unwrap_or_else(|| Duration::from_millis(250) * 2u32.pow(attempt.min(4)));
            attempt += 1;
            if !error.is_retryable() || attempt >= MAX_ATTEMPTS || wait >= self.deadline.remaining()
            {
                return Err(error);
            }
            self.trace.emit(format_args!(
                "  ({error}; retrying in {})",
                format_millis(wait)
            ));
            thread::sleep(wait);
        }
    }

    fn send_once(&self, call: &Call) -> Result<Value, CachetError> {
        let Call {
            method,
            path,
            body,
            ability,
            anonymous,
            limit,
        } = *call;
        let url = self.url(path);
        let shown = format!("{method} {}", redact_url(&url));
        let remaining = self.deadline.remaining();
        let remaining = limit.map_or(remaining, |limit| limit.min(remaining));
        if remaining.is_zero() {
            return Err(CachetError::TimedOut { url: shown });
        }
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Accept", "application/json");
        if let Some(token) = self.token.as_ref().filter(|_| !anonymous) {
            request = match self.dialect {
                Dialect::V2 => request.header("X-Cachet-Token", token.expose()),
                Dialect::V3 => {
                    request.header("Authorization", format!("Bearer {}", token.expose()))
                }
            };
        }
        let payload = match body {
            Some(body) => {
                request = request.header("Content-Type", "application/json");
                body.to_string()
            }
            None => String::new(),
        };
        self.trace.emit(format_args!("> {shown} {payload}"));
        let request =
            request
                .body(payload.into_bytes())
                .map_err(|error| CachetError::Unreachable {
                    url: shown.clone(),
                    reason: format!("cannot build the request: {error}"),
                })?;
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(Some(remaining))
            .build();
        let started = Instant::now();
        let mut response = self.agent.run(request).map_err(|error| match error {
            ureq::Error::Timeout(_) => CachetError::TimedOut { url: shown.clone() },
            // Another try meets the same certificate: no retry.
            other if crate::net::is_tls_failure(&other) => CachetError::Untrusted {
                url: shown.clone(),
                reason: describe_error(&other, remaining, &host_of(&self.base)),
            },
            other => CachetError::Unreachable {
                url: shown.clone(),
                reason: describe_error(&other, remaining, &host_of(&self.base)),
            },
        })?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let location = header("Location");
        if let Some(limit) = header("X-RateLimit-Limit").and_then(|l| l.trim().parse().ok()) {
            self.rate_limit
                .store(limit, std::sync::atomic::Ordering::Relaxed);
        }
        let retry_after = header("Retry-After")
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // An error answer is only summed up: its first bytes are plenty, and a proxy's or a
        // broken server's page may be huge.
        let cap = if status < 400 {
            RESPONSE_CAP
        } else {
            ERROR_CAP
        };
        let mut text = Vec::new();
        let read = response
            .body_mut()
            .as_reader()
            .take(cap)
            .read_to_end(&mut text);
        let text = String::from_utf8_lossy(&text).into_owned();
        self.trace.emit(format_args!(
            "< HTTP {status} after {}: {}",
            format_millis(started.elapsed()),
            excerpt(&text)
        ));
        if let Err(error) = read {
            return Err(CachetError::Unreachable {
                url: shown,
                reason: format!("reading the answer: {error}"),
            });
        }
        let message = || server_message(&text);
        match status {
            // 204 No Content (a DELETE): nothing to parse.
            200..=299 if text.trim().is_empty() && status == 204 => Ok(Value::Null),
            200..=299 => {
                serde_json::from_str(&text).map_err(|error| CachetError::InvalidResponse {
                    url: shown,
                    reason: format!("the body is not JSON ({error})"),
                })
            }
            300..=399 => Err(CachetError::Redirected {
                url: shown,
                base: location
                    .as_deref()
                    .and_then(|l| base_of(l, &format!("{}{path}", self.dialect.api_path()))),
                location: location
                    .map_or_else(|| "(no Location header)".to_owned(), |l| redact_url(&l)),
            }),
            401 => Err(CachetError::Unauthorized { url: shown }),
            403 => Err(CachetError::Forbidden {
                url: shown,
                ability,
                message: message(),
            }),
            404 => Err(CachetError::NotFound {
                what: "the resource".to_owned(),
                url: shown,
            }),
            429 | 500..=599 => Err(CachetError::Server {
                url: shown,
                status,
                message: message(),
                retry_after,
            }),
            _ => Err(CachetError::Rejected {
                url: shown,
                status,
                message: message(),
            }),
        }
    }
}

/// One request to Cachet's API. `ability` is the 3.x ability a 403 means is missing.
#[derive(Clone, Copy)]
struct Call<'a> {
    method: &'a str,
    path: &'a str,
    body: Option<&'a Value>,
    ability: &'static str,
    /// Sent without the token.
    anonymous: bool,
    /// A time limit of its own, shorter than the run's deadline.
    limit: Option<Duration>,
}

impl<'a> Call<'a> {
    fn new(
        method: &'a str,
        path: &'a str,
        body: Option<&'a Value>,
        ability: &'static str,
    ) -> Call<'a> {
        Call {
            method,
            path,
            body,
            ability,
            anonymous: false,
            limit: None,
        }
    }
}

/// The base URL a redirect points at: `location` less the API path asked for, when it ends with
/// it and is absolute (`https://status.example.com/api/v1/ping` → `https://status.example.com`).
fn base_of(location: &str, asked: &str) -> Option<String> {
    let base = location.strip_suffix(asked)?;
    (base.starts_with("http://") || base.starts_with("https://")).then(|| redact_url(base))
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

/// Every reading of a Cachet answer, for the fuzz target `cachet_answer`: as either API line's
/// component, incident and list, and as an error body. Nothing may panic, whatever `text` is.
pub fn read_any_answer(text: &str) -> usize {
    let mut found = server_message(text).len();
    if let Ok(body) = serde_json::from_str::<Value>(text) {
        found += usize::from(v2::component(&body).is_some());
        found += usize::from(v3::component(&body).is_some());
        found += usize::from(v3::has_next(&body));
        if let Some(data) = body.get("data") {
            found += usize::from(v2::incident(data).is_some());
            found += usize::from(v3::incident(data).is_some());
            found += usize::from(v3::linked_to(data, 1));
        }
        for item in items(&body) {
            found += usize::from(v2::parse(item).is_some());
            found += usize::from(v3::parse(item).is_some());
        }
    }
    found
}

/// Cachet's own words from an error body: 2.x `errors[].meta.details` or `detail`, 3.x
/// `message`; a non-JSON body (a proxy's HTML page) is summarised.
fn server_message(text: &str) -> String {
    let Ok(json) = serde_json::from_str::<Value>(text) else {
        return not_json(text);
    };
    if let Some(first) = json.pointer("/errors/0") {
        let details: Vec<&str> = first
            .pointer("/meta/details")
            .and_then(Value::as_array)
            .map(|details| details.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !details.is_empty() {
            return sanitize(&details.join(" "));
        }
        if let Some(detail) = first.get("detail").and_then(Value::as_str) {
            return sanitize(detail);
        }
    }
    match json.get("message").and_then(Value::as_str) {
        Some(message) if !message.is_empty() => sanitize(message),
        _ => excerpt(text),
    }
}

/// A body that is not JSON, in a few words: an HTML page (a proxy's error page, a login page)
/// by its title, anything else by its beginning.
fn not_json(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    if !lower.contains("<html") && !lower.contains("<!doctype html") {
        return format!("not a Cachet answer: {}", excerpt(text));
    }
    let inner = |tag: &str| {
        let start = lower.find(&format!("<{tag}"))?;
        let start = start + lower[start..].find('>')? + 1;
        let end = start + lower[start..].find(&format!("</{tag}"))?;
        let words = text[start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        (!words.is_empty()).then_some(words)
    };
    let visible = || {
        let mut words = String::new();
        let mut in_tag = false;
        for c in text.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    words.push(' ');
                }
                c if !in_tag => words.push(c),
                _ => {}
            }
        }
        let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
        (!words.is_empty()).then_some(words)
    };
    match inner("title").or_else(|| inner("h1")).or_else(visible) {
        Some(title) => format!(
            "an HTML page (\"{}\"), not Cachet's JSON: a proxy's error page, or not the Cachet URL",
            excerpt(&title)
        ),
        None => "an HTML page, not Cachet's JSON: a proxy's error page, or not the Cachet URL"
            .to_owned(),
    }
}

fn excerpt(text: &str) -> String {
    let flat = sanitize(text.trim());
    match flat.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &flat[..end]),
        None => flat,
    }
}

/// The items of a list answer's `data` (none when it has no list).
fn items(body: &Value) -> impl Iterator<Item = &Value> {
    body.get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Reads a number that Cachet may send as a JSON number or a string (`"3"`).
fn number(value: Option<&Value>) -> Option<u64> {
    let value = value?;
    value
        .as_u64()
        .or_else(|| value.as_str()?.trim().parse().ok())
}

/// Reads a boolean that Cachet may send as `true`, `1` or `"1"`.
fn boolean(value: Option<&Value>) -> Option<bool> {
    let value = value?;
    value
        .as_bool()
        .or_else(|| number(Some(value)).map(|n| n != 0))
}

#[cfg(test)]
mod tests {
    use super::{normalize_base, server_message};

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

    #[test]
    fn server_messages_come_from_either_envelope() {
        let v2 = r#"{"errors":[{"status":400,"title":"Bad Request","detail":"The request cannot be fulfilled due to bad syntax.","meta":{"details":["The status may not be greater than 4."]}}]}"#;
        assert_eq!(server_message(v2), "The status may not be greater than 4.");
        let v3 = r#"{"message":"The selected status is invalid.","errors":{"status":["The selected status is invalid."]}}"#;
        assert_eq!(server_message(v3), "The selected status is invalid.");
        assert_eq!(
            server_message("<html><body><h1>502 Bad\n Gateway</h1><hr>nginx</body></html>"),
            "an HTML page (\"502 Bad Gateway\"), not Cachet's JSON: a proxy's error page, or not the Cachet URL"
        );
        assert_eq!(
            server_message("<!DOCTYPE html><p>hi</p>"),
            "an HTML page (\"hi\"), not Cachet's JSON: a proxy's error page, or not the Cachet URL"
        );
        assert_eq!(
            server_message("<html></html>"),
            "an HTML page, not Cachet's JSON: a proxy's error page, or not the Cachet URL"
        );
        assert_eq!(
            server_message("Bad Gateway"),
            "not a Cachet answer: Bad Gateway"
        );
    }
}
