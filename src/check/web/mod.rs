//! What the HTTP-based kinds (`http`, `graphite`, `jenkins`, `prometheus`, `statuspage`)
//! share: the keys that shape their requests (`options.rs`), the agents of a run, and the
//! requests themselves — sent within the check's budget, traced at `-vv`, failures in words —
//! with their bodies read up to a cap (`body.rs`).

mod body;
mod options;

pub use body::{drain_small_body, first_line, read_body};
pub use options::{HttpOptions, KEYS, URL, options};

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use ureq::tls::{RootCerts, TlsConfig};

use super::Context;
use crate::deadline::{Deadline, format_millis};
use crate::net::http::{agent_config, encode_query_value, new_agent};
use crate::net::path::{Route, proxy};
use crate::net::{Failure, MAX_REDIRECTS};
use crate::secret::redact_url;

/// The agents of the checks that share connections: one a host (`scheme://host:port`), so that
/// each host's kept-alive connections are a pool of their own. ureq looks through the whole of
/// an agent's pool, once for each host in it, twice a request and under one lock: with one
/// agent for all, 10,000 checks of 1,000 hosts took 18 s of CPU instead of half a second.
pub struct Shared {
    https: bool,
    by_host: Mutex<HashMap<String, ureq::Agent>>,
}

impl Shared {
    /// Agents trusting the system's CA certificates when `https`.
    pub fn new(https: bool) -> Shared {
        Shared {
            https,
            by_host: Mutex::new(HashMap::new()),
        }
    }

    /// The agent of `uri`'s host (a redirect elsewhere stays on it, pooled there).
    pub fn agent(&self, uri: &ureq::http::Uri) -> ureq::Agent {
        let mut key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map(|a| a.as_str()).unwrap_or_default()
        );
        key.make_ascii_lowercase();
        let mut hosts = self.by_host.lock().unwrap_or_else(PoisonError::into_inner);
        hosts
            .entry(key)
            .or_insert_with(|| agent(self.https))
            .clone()
    }
}

/// An agent that keeps connections for reuse (the checks of one host; a heartbeat), trusting
/// the system's CA certificates when `https`. Status codes are data here, never errors.
pub fn agent(https: bool) -> ureq::Agent {
    new_agent(
        agent_config(https)
            .max_redirects(MAX_REDIRECTS)
            // Checks of one host reuse connections the server keeps open, however many are in
            // flight; briefly, so that a server's own idle timeout never closes one under us.
            .max_idle_connections(4096)
            .max_idle_connections_per_host(4096)
            .max_idle_age(Duration::from_secs(2))
            .build(),
    )
}

/// The agent of the checks that ask for `fresh_connection`: the same, but it keeps no
/// connection open for another check.
pub fn fresh_agent(https: bool) -> ureq::Agent {
    new_agent(
        agent_config(https)
            .max_redirects(MAX_REDIRECTS)
            .max_idle_connections(0)
            .build(),
    )
}

/// The agent of one attempt whose path is its own (`ip`, `resolve`, `source_address`,
/// `proxy`) or whose route is one family or address: connections of its own, never pooled.
fn agent_along(options: &HttpOptions, url: &str, route: Route) -> Result<ureq::Agent, Failure> {
    let mut config = agent_config(is_https(url))
        .max_redirects(MAX_REDIRECTS)
        .max_idle_connections(0);
    if let Some(proxy) = &options.path.proxy {
        config = config.proxy(Some(proxy.ureq_proxy().map_err(Failure::local)?));
    }
    Ok(crate::net::http::agent_along(
        config.build(),
        Some((&options.path, route)),
    ))
}

/// Sends `request` with `options`' TLS settings, within `budget`, tracing it at `-vv`. A
/// failure comes back in words (`describe_error`).
pub fn send(
    request: ureq::http::Request<Vec<u8>>,
    options: &HttpOptions,
    redirects: u32,
    context: &Context,
    budget: Duration,
) -> Result<ureq::http::Response<ureq::Body>, Failure> {
    let started = Instant::now();
    context.trace.emit(format_args!(
        "> {} {}",
        request.method(),
        redact_url(&request.uri().to_string())
    ));
    let host = request.uri().host().unwrap_or_default().to_owned();
    let uri = request.uri().clone();
    let own;
    let agent = if !(options.path.is_plain() && context.route == Route::Any) {
        own = agent_along(options, &request.uri().to_string(), context.route)?;
        &own
    } else if options.fresh_connection {
        &context.fresh_agent
    } else {
        own = context.shared.agent(request.uri());
        &own
    };
    // A kept-alive connection the server closed as the request went out fails before any
    // answer; a browser then sends an idempotent request again on a new connection, and so
    // does a check, rather than call the server down for it.
    let again = matches!(request.method().as_str(), "GET" | "HEAD").then(|| copy(&request));
    let dials = crate::net::path::dials();
    let mut result = run_on(agent, request, options, redirects, budget);
    if let (Err(error), Some(request)) = (&result, again)
        && crate::net::path::dials() == dials
        && crate::net::is_stale(error)
    {
        context.trace.emit(format_args!(
            "< {}; sent again on a new connection",
            crate::net::describe_error(error, budget, &host)
        ));
        let left = budget.saturating_sub(started.elapsed());
        result = run_on(&context.fresh_agent, request, options, redirects, left);
    }
    match result {
        Ok(response) => {
            context.trace.emit(format_args!(
                "< HTTP {} after {}",
                response.status().as_u16(),
                format_millis(started.elapsed())
            ));
            Ok(response)
        }
        Err(error) => {
            let detail = crate::net::describe_error(&error, budget, &host);
            context.trace.emit(format_args!("< {detail}"));
            // Through a proxy, the proxy's own failure is this host's path, not the target.
            let proxied =
                proxy::of_request(options.path.proxy.as_deref(), &uri).and_then(|shown| {
                    let dialed = crate::net::path::dials() != dials;
                    proxy::blame(&shown, &error, dialed, &detail)
                });
            Err(proxied.unwrap_or(Failure {
                local: crate::net::is_local(&error),
                detail,
            }))
        }
    }
}

/// `request` sent by `agent` with `options`' TLS settings, within `budget`.
fn run_on(
    agent: &ureq::Agent,
    request: ureq::http::Request<Vec<u8>>,
    options: &HttpOptions,
    redirects: u32,
    budget: Duration,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let mut configured = agent
        .configure_request(request)
        .timeout_global(Some(budget))
        .max_redirects(redirects);
    // The agent's own TLS settings (the system's roots) serve every check that changes nothing,
    // so their rustls configuration is built once per run.
    if options.insecure || options.ca_file.is_some() || options.client_cert.is_some() {
        configured = configured.tls_config(own_tls(options));
    }
    agent.run(configured.build())
}

/// The TLS settings of a check that trusts other roots, none, or presents a certificate.
#[inline(never)]
fn own_tls(options: &HttpOptions) -> TlsConfig {
    let mut tls = TlsConfig::builder()
        .disable_verification(options.insecure)
        .client_cert(options.client_cert.clone());
    if let Some(roots) = &options.ca_file {
        tls = tls.root_certs(RootCerts::new_with_certs(roots));
    }
    tls.build()
}

/// A request of the same method, URL, headers and body.
fn copy(request: &ureq::http::Request<Vec<u8>>) -> ureq::http::Request<Vec<u8>> {
    let mut copy = ureq::http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// A GET for a JSON API (`graphite`, `jenkins`, `prometheus`): the status code and up to `cap`
/// bytes of the body, or what went wrong in words.
pub fn get_json(
    url: &str,
    options: &HttpOptions,
    cap: u64,
    context: &Context,
    deadline: Deadline,
) -> Result<(u16, Vec<u8>), Failure> {
    let budget = deadline.remaining();
    let mut request = build_request("GET", url, options, None)?;
    request.headers_mut().insert(
        ureq::http::header::ACCEPT,
        ureq::http::HeaderValue::from_static("application/json"),
    );
    let mut response = send(request, options, MAX_REDIRECTS, context, budget)?;
    if let Some(limited) = rate_limited(&response) {
        drain_small_body(&mut response, budget);
        return Err(limited);
    }
    let code = response.status().as_u16();
    let body = read_body(&mut response, cap + 1, budget)
        .map_err(|why| format!("HTTP {code}, reading the body: {why}"))?;
    if body.len() as u64 > cap {
        return Err(format!("HTTP {code}, the answer is larger than {} MiB", cap >> 20).into());
    }
    Ok((code, body))
}

/// An answer of HTTP 429: the target is up and limits how often this host may ask (SPEC §10),
/// so nothing was judged of it; worded with its `Retry-After`. `None` for any other answer.
pub fn rate_limited(response: &ureq::http::Response<ureq::Body>) -> Option<Failure> {
    if response.status().as_u16() != 429 {
        return None;
    }
    let retry = response
        .headers()
        .get("Retry-After")
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            let value = crate::text::sanitize(value.trim());
            match value.parse::<u64>() {
                Ok(seconds) => format!(", asking to retry after {seconds} s"),
                Err(_) => format!(", asking to retry after {value}"),
            }
        })
        .unwrap_or_default();
    Some(Failure::local(format!(
        "HTTP 429 Too Many Requests: the target rate-limits this host{retry} (check less often, or ask for a higher limit)"
    )))
}

/// `base` with `pairs` appended as a query string (after `?`, or `&` when it has one).
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = base.to_owned();
    for (index, (key, value)) in pairs.iter().enumerate() {
        let separator = if index == 0 && !base.contains('?') {
            '?'
        } else {
            '&'
        };
        url.push(separator);
        url.push_str(key);
        url.push('=');
        url.push_str(&encode_query_value(value));
    }
    url
}

pub fn build_request(
    method: &str,
    url: &str,
    options: &HttpOptions,
    body: Option<&str>,
) -> Result<ureq::http::Request<Vec<u8>>, Failure> {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in &options.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(auth) = &options.basic_auth {
        let password = auth
            .password
            .as_ref()
            // A secret this host cannot read is its own trouble, not the target's (SPEC §10).
            .map_err(|why| Failure::local(format!("not run: {why}")))?;
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            auth.user,
            password.expose()
        ));
        request = request.header("Authorization", format!("Basic {token}"));
    }
    request
        .body(body.unwrap_or_default().as_bytes().to_vec())
        .map_err(|error| format!("cannot build the request: {error}").into())
}

/// Whether `url` is an https:// one.
pub fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// A URL without its query, fragment and trailing slashes, to tell which page it names.
pub fn url_path(url: &str) -> &str {
    url.split(['?', '#'])
        .next()
        .unwrap_or(url)
        .trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            super::encode_query_value("API & Web/2"),
            "API%20%26%20Web%2F2"
        );
        assert_eq!(
            super::with_query(
                "http://g/render?x=1",
                &[("target", "a.*"), ("from", "-5min")]
            ),
            "http://g/render?x=1&target=a.%2A&from=-5min"
        );
    }
}
