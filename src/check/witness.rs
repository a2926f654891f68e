//! Witnesses (SPEC §10): places that answer whenever this host's own network works. When every
//! witness fails too, a run's failures are this host's, not its targets'.
//!
//! A witness is `tcp://host:port` (a connection accepted is an answer) or an `http://` or
//! `https://` URL (any HTTP answer, whatever its status, is one: the network carried it).

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Context;
use super::web::{HttpOptions, build_request, send};
use crate::deadline::Deadline;
use crate::net::MAX_REDIRECTS;

/// One witness, as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Witness {
    /// `host:port`.
    Tcp(String),
    /// An http:// or https:// URL.
    Http(String),
}

/// How long a witness is given at most: it answers at once, or this host is in trouble.
pub const WITNESS_TIMEOUT: Duration = Duration::from_secs(5);

impl Witness {
    /// Reads `tcp://host:port`, `http://…` or `https://…`; the error says which forms there are.
    pub fn parse(text: &str) -> Result<Witness, String> {
        let forms = "write `tcp://host:port`, `http://host/` or `https://host/`";
        if let Some(address) = text.strip_prefix("tcp://") {
            let address = address.trim_end_matches('/');
            let port_ok = address
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(format!(
                    "witness `{text}` has no port: {forms} (e.g. tcp://192.0.2.1:53)"
                ));
            }
            return Ok(Witness::Tcp(address.to_owned()));
        }
        if super::web::is_https(text)
            || text
                .get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        {
            let host = text
                .parse::<ureq::http::Uri>()
                .ok()
                .and_then(|uri| uri.host().map(str::to_owned));
            if host.is_none_or(|host| host.is_empty()) {
                return Err(format!(
                    "witness `{text}` is not a URL with a host: {forms}"
                ));
            }
            return Ok(Witness::Http(text.to_owned()));
        }
        Err(format!("witness `{text}` is neither TCP nor HTTP: {forms}"))
    }

    pub fn text(&self) -> String {
        match self {
            Witness::Tcp(address) => format!("tcp://{address}"),
            Witness::Http(url) => url.clone(),
        }
    }

    pub fn uses_https(&self) -> bool {
        matches!(self, Witness::Http(url) if super::web::is_https(url))
    }

    fn probe(&self, context: &Context, deadline: Deadline) -> Seen {
        let started = Instant::now();
        let budget = deadline.remaining();
        let answered = match self {
            Witness::Tcp(address) => crate::net::connect(
                address,
                &Default::default(),
                Default::default(),
                deadline,
                budget,
            )
            .map(|_| "connected".to_owned())
            .map_err(|failure| failure.detail),
            Witness::Http(url) => {
                let options = HttpOptions::default();
                build_request("GET", url, &options, None)
                    .and_then(|request| send(request, &options, MAX_REDIRECTS, context, budget))
                    .map(|response| format!("HTTP {}", response.status().as_u16()))
                    .map_err(|failure| failure.detail)
            }
        };
        let (answered, detail) = match answered {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        Seen {
            witness: self.text(),
            answered,
            detail,
            duration_ms: (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0,
        }
    }
}

/// What a witness did when asked.
#[derive(Clone, Debug, Serialize)]
pub struct Seen {
    pub witness: String,
    pub answered: bool,
    pub detail: String,
    pub duration_ms: f64,
}

/// Asks every witness once, all at the same time, each within `WITNESS_TIMEOUT` and by
/// `deadline`; the answers in the order given.
pub fn ask_all(witnesses: &[Witness], context: &Arc<Context>, deadline: Deadline) -> Vec<Seen> {
    let deadline = deadline.within(WITNESS_TIMEOUT);
    let asked: Vec<_> = witnesses
        .iter()
        .map(|witness| {
            let (witness, context) = (witness.clone(), context.clone());
            thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || witness.probe(&context, deadline))
        })
        .collect();
    asked
        .into_iter()
        .zip(witnesses)
        .map(|(spawned, witness)| {
            spawned
                .ok()
                .and_then(|handle| handle.join().ok())
                .unwrap_or_else(|| Seen {
                    witness: witness.text(),
                    answered: false,
                    detail: "could not be asked (no thread to ask it on)".to_owned(),
                    duration_ms: 0.0,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Witness;

    #[test]
    fn witnesses_are_tcp_or_http_urls() {
        assert_eq!(
            Witness::parse("tcp://192.0.2.1:53"),
            Ok(Witness::Tcp("192.0.2.1:53".to_owned()))
        );
        assert_eq!(
            Witness::parse("tcp://[2001:db8::1]:443/"),
            Ok(Witness::Tcp("[2001:db8::1]:443".to_owned()))
        );
        assert_eq!(
            Witness::parse("https://www.example.org/"),
            Ok(Witness::Http("https://www.example.org/".to_owned()))
        );
        for bad in [
            "tcp://192.0.2.1",
            "udp://192.0.2.1:53",
            "www.example.org",
            "http://",
        ] {
            let error = Witness::parse(bad).unwrap_err();
            assert!(error.contains("tcp://host:port"), "{bad}: {error}");
        }
    }
}
