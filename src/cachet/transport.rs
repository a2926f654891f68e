//! Sending one request to Cachet within the run's deadline: the token as the API line wants
//! it, the answer read up to a cap and traced at `-vv`, its status turned into a `CachetError`,
//! and idempotent requests retried with backoff (or the server's `Retry-After`).

use std::io::Read;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::answer::{excerpt, server_message};
use super::{CachetError, Client};
use crate::deadline::format_millis;
use crate::net::{describe_error, host_of, is_tls_failure};
use crate::secret::redact_url;

/// Largest Cachet response read (lists of components can be long).
const RESPONSE_CAP: u64 = 8 * 1024 * 1024;
/// How much of an error answer (4xx, 5xx) is read.
const ERROR_CAP: u64 = 64 * 1024;
const MAX_ATTEMPTS: u32 = 5;

/// One request to Cachet's API. `ability` is the 3.x ability a 403 means is missing.
#[derive(Clone, Copy)]
pub(super) struct Call<'a> {
    method: &'a str,
    path: &'a str,
    body: Option<&'a Value>,
    ability: &'static str,
    /// Sent without the token.
    pub(super) anonymous: bool,
    /// A time limit of its own, shorter than the run's deadline.
    pub(super) limit: Option<Duration>,
}

impl<'a> Call<'a> {
    pub(super) fn new(
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

impl Client {
    /// One idempotent request (GET or PUT), retried on connection errors, 5xx and 429 with
    /// backoff (or the server's Retry-After) while the deadline allows.
    pub(super) fn send(&self, call: &Call) -> Result<Value, CachetError> {
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

    /// One request, not retried: a POST goes out once (cachet-api.md: no idempotency).
    pub(super) fn send_once(&self, call: &Call) -> Result<Value, CachetError> {
        let shown = format!("{} {}", call.method, redact_url(&self.url(call.path)));
        let remaining = self.deadline.remaining();
        let remaining = call.limit.map_or(remaining, |limit| limit.min(remaining));
        if remaining.is_zero() {
            return Err(CachetError::TimedOut { url: shown });
        }
        let request = self.request(call, &shown)?;
        let answer = self.exchange(request, &shown, remaining)?;
        self.judge(answer, call, shown)
    }

    /// The request of `call`: JSON both ways, the token as the API line takes it.
    fn request(
        &self,
        call: &Call,
        shown: &str,
    ) -> Result<ureq::http::Request<Vec<u8>>, CachetError> {
        let mut request = ureq::http::Request::builder()
            .method(call.method)
            .uri(self.url(call.path))
            .header("Accept", "application/json");
        if let Some(token) = self.token.as_ref().filter(|_| !call.anonymous) {
            request = self.dialect.authorize(request, token);
        }
        let payload = match call.body {
            Some(body) => {
                request = request.header("Content-Type", "application/json");
                body.to_string()
            }
            None => String::new(),
        };
        self.trace.emit(format_args!("> {shown} {payload}"));
        request
            .body(payload.into_bytes())
            .map_err(|error| CachetError::Unreachable {
                url: shown.to_owned(),
                reason: format!("cannot build the request: {error}"),
            })
    }

    /// Sends `request` within `remaining` and reads the answer (an error answer only up to
    /// `ERROR_CAP`: its first bytes are plenty, and a proxy's page may be huge).
    fn exchange(
        &self,
        request: ureq::http::Request<Vec<u8>>,
        shown: &str,
        remaining: Duration,
    ) -> Result<Answer, CachetError> {
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(Some(remaining))
            .build();
        let started = Instant::now();
        let mut response = self.agent.run(request).map_err(|error| match error {
            ureq::Error::Timeout(_) => CachetError::TimedOut {
                url: shown.to_owned(),
            },
            // Another try meets the same certificate: no retry.
            other if is_tls_failure(&other) => CachetError::Untrusted {
                url: shown.to_owned(),
                reason: describe_error(&other, remaining, &host_of(&self.base)),
            },
            other => CachetError::Unreachable {
                url: shown.to_owned(),
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
        let cap = if status < 400 {
            RESPONSE_CAP
        } else {
            ERROR_CAP
        };
        let mut text = Vec::new();
        let read = response
            .body_mut()
            .as_reader()
            .take(cap + 1)
            .read_to_end(&mut text);
        let over_cap = text.len() as u64 > cap;
        text.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
        let text = String::from_utf8_lossy(&text).into_owned();
        self.trace.emit(format_args!(
            "< HTTP {status} after {}: {}",
            format_millis(started.elapsed()),
            excerpt(&text)
        ));
        read.map_err(|error| CachetError::Unreachable {
            url: shown.to_owned(),
            reason: format!("reading the answer: {error}"),
        })?;
        Ok(Answer {
            status,
            location,
            retry_after,
            text,
            over_cap,
        })
    }

    /// The answer's JSON, or what its status code means.
    fn judge(&self, answer: Answer, call: &Call, shown: String) -> Result<Value, CachetError> {
        let Answer {
            status,
            location,
            retry_after,
            text,
            over_cap,
        } = answer;
        let message = || server_message(&text);
        match status {
            // 204 No Content (a DELETE): nothing to parse.
            200..=299 if text.trim().is_empty() && status == 204 => Ok(Value::Null),
            200..=299 if over_cap => Err(CachetError::InvalidResponse {
                url: shown,
                reason: format!(
                    "the answer is larger than {} MiB, more than this tool reads from Cachet (is a component's `meta` that large?)",
                    RESPONSE_CAP >> 20
                ),
            }),
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
                    .and_then(|l| base_of(l, &format!("{}{}", self.dialect.api_path(), call.path))),
                location: location
                    .map_or_else(|| "(no Location header)".to_owned(), |l| redact_url(&l)),
            }),
            401 => Err(CachetError::Unauthorized { url: shown }),
            403 => Err(CachetError::Forbidden {
                url: shown,
                ability: call.ability,
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

/// What came back: the status, the headers that matter, the (capped) body.
struct Answer {
    status: u16,
    location: Option<String>,
    retry_after: Option<Duration>,
    text: String,
    /// Whether the body went on past the cap (`text` holds what was read up to it).
    over_cap: bool,
}

/// The base URL a redirect points at: `location` less the API path asked for, when it ends with
/// it and is absolute (`https://status.example.com/api/v1/ping` → `https://status.example.com`).
fn base_of(location: &str, asked: &str) -> Option<String> {
    let base = location.strip_suffix(asked)?;
    (base.starts_with("http://") || base.starts_with("https://")).then(|| redact_url(base))
}
