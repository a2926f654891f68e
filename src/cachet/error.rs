//! `CachetError`: what went wrong talking to Cachet, in words that say what to fix.

use std::fmt;
use std::time::Duration;

#[derive(Debug)]
pub enum CachetError {
    /// No connection, or it broke (`reason` says how).
    Unreachable {
        url: String,
        reason: String,
    },
    /// The TLS handshake failed: a certificate refused, or no TLS on that port. Not retried.
    Untrusted {
        url: String,
        reason: String,
    },
    /// The run's deadline passed before Cachet answered.
    TimedOut {
        url: String,
    },
    /// 401: no token, or a token Cachet does not know.
    Unauthorized {
        url: String,
    },
    /// 403: a 3.x token without the ability the request needs.
    Forbidden {
        url: String,
        ability: &'static str,
        message: String,
    },
    NotFound {
        what: String,
        url: String,
    },
    /// A 3xx: writes are never sent into a redirect (cachet-api.md §5.21).
    /// `base` is the Cachet URL to configure, when the redirect shows it.
    Redirected {
        url: String,
        location: String,
        base: Option<String>,
    },
    /// A 4xx with Cachet's own message (400 on 2.x, 422 on 3.x).
    Rejected {
        url: String,
        status: u16,
        message: String,
    },
    /// A 5xx or 429 (retried while the deadline allows).
    Server {
        url: String,
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    InvalidResponse {
        url: String,
        reason: String,
    },
    /// The write was answered but Cachet does not show it (a body Cachet ignored, #4411).
    NotApplied {
        url: String,
        sent: String,
        shown: String,
    },
    /// Neither `/api/v1/ping` nor `/api/ping` answered like Cachet.
    NoApi {
        base: String,
    },
    /// No component has exactly the name asked for. `asked` is the request that was made and
    /// `close` the names that differ only a little (case included: names are matched exactly).
    NoSuchName {
        name: String,
        asked: String,
        close: Vec<String>,
    },
    /// More than one component has the name asked for.
    Ambiguous {
        name: String,
        ids: Vec<u64>,
    },
}

impl CachetError {
    /// Worth another try of an idempotent request (SPEC §6).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            CachetError::Unreachable { .. } | CachetError::Server { .. }
        )
    }

    /// Cachet was down, overloaded or slow: a later try may work, and a write may or may not
    /// have happened. A refused token or a missing component needs a person instead.
    pub fn is_transient(&self) -> bool {
        self.is_retryable() || matches!(self, CachetError::TimedOut { .. })
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CachetError::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl fmt::Display for CachetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CachetError::Unreachable { url, reason } => {
                write!(f, "cannot reach Cachet at {url}: {reason}")
            }
            CachetError::Untrusted { url, reason } => {
                write!(f, "cannot reach Cachet at {url} over TLS: {reason}")
            }
            CachetError::TimedOut { url } => {
                write!(
                    f,
                    "Cachet did not answer {url} before the run's deadline (--timeout)"
                )
            }
            CachetError::Unauthorized { url } => write!(
                f,
                "Cachet refused the token (HTTP 401 from {url}): check `CACHET_TOKEN`, --token-file or `token_file` \
                 (on Cachet 2.x the token is the API key of a user's profile, not the APP_KEY)"
            ),
            CachetError::Forbidden {
                url,
                ability,
                message,
            } => write!(
                f,
                "Cachet refused the request (HTTP 403 from {url}: {message}): give the API key the `{ability}` ability"
            ),
            CachetError::NotFound { what, url } => {
                write!(f, "{what} not found on Cachet (HTTP 404 from {url})")
            }
            CachetError::Redirected {
                url,
                location,
                base,
            } => {
                let fix = match base {
                    Some(base) => format!("set the Cachet `url` to {base}"),
                    None => "set the Cachet `url` to the address it redirects to".to_owned(),
                };
                write!(
                    f,
                    "Cachet redirected {url} to {location}: {fix} (writes are never sent into a redirect)"
                )
            }
            CachetError::Rejected {
                url,
                status,
                message,
            } => {
                write!(f, "Cachet rejected {url} (HTTP {status}): {message}")
            }
            CachetError::Server {
                url,
                status,
                message,
                ..
            } => {
                write!(f, "Cachet answered HTTP {status} to {url}: {message}")
            }
            CachetError::InvalidResponse { url, reason } => {
                write!(
                    f,
                    "Cachet's answer to {url} is not what Cachet sends: {reason}"
                )
            }
            CachetError::NotApplied { url, sent, shown } => write!(
                f,
                "Cachet answered {url} but shows {shown}, not {sent}: the write was ignored \
                 (does a proxy drop the `Content-Type: application/json` header?)"
            ),
            CachetError::NoApi { base } => write!(
                f,
                "no Cachet API at {base} (neither /api/v1/ping nor /api/ping answered): check the Cachet `url`, \
                 and on 3.x that the API is enabled"
            ),
            CachetError::NoSuchName { name, asked, close } => {
                write!(
                    f,
                    "no Cachet component is named exactly `{name}` ({asked} answered none of that name)"
                )?;
                match close.as_slice() {
                    [] => {}
                    [one] => write!(f, "; did you mean `{one}`?")?,
                    many => write!(f, "; did you mean one of `{}`?", many.join("`, `"))?,
                }
                write!(f, " `cachet-check components` lists them all")
            }
            CachetError::Ambiguous { name, ids } => {
                let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
                write!(
                    f,
                    "{} Cachet components are named `{name}` (ids {}): use `id` instead",
                    ids.len(),
                    ids.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for CachetError {}
