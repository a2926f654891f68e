//! What the HTTP-based kinds (`http`, `graphite`, `jenkins`, `prometheus`) share: the keys
//! that shape their requests (`headers`, `basic_auth`, `insecure`, `ca_file`), the agent of a
//! run, and the requests themselves — sent within the check's budget, traced at `-vv`, bodies
//! read up to a cap, failures in words.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;
use ureq::tls::{Certificate, RootCerts, TlsConfig};

use super::Context;
use super::tls::{CA_FILE, CLIENT_CERT, CLIENT_KEY, INSECURE, ca_certificates};
use crate::deadline::{Deadline, format_millis};
use crate::keys::{AnyKey, Key, KeyError, Keys, WebUrl};
use crate::net::http::{agent_config, encode_query_value, new_agent};
use crate::net::path::{Path, Route};
use crate::net::{Failure, MAX_REDIRECTS};
use crate::secret::{Secret, redact_url};

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
            Err(Failure {
                detail,
                local: crate::net::is_local(&error),
            })
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

/// Reads a body nobody needs when it is small and has already arrived, so that the connection
/// goes back to the pool for the next check of the host (an unread body closes it). A larger
/// one, or one still on its way, is left unread: waiting for it could only slow the check down.
pub fn drain_small_body(response: &mut ureq::http::Response<ureq::Body>, budget: Duration) {
    const SMALL: u64 = 16 * 1024;
    if response
        .body()
        .content_length()
        .is_none_or(|length| length <= SMALL)
    {
        let _ = crate::net::path::arrived_only(|| read_raw(response, SMALL, budget));
    }
}

/// Reads at most `cap` bytes of a body; the rest is left unread. Checks ask for no compression
/// (as curl asks none), but a server that compresses anyway (`Content-Encoding: gzip` or
/// `deflate`, a pre-compressed file served to everyone) is decoded, so that the assertions see
/// what a browser would: its sloppiness is not an outage.
pub fn read_body(
    response: &mut ureq::http::Response<ureq::Body>,
    cap: u64,
    budget: Duration,
) -> Result<Vec<u8>, String> {
    let body = read_raw(response, cap, budget)?;
    let encoding = response
        .headers()
        .get(ureq::http::header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        Some("gzip" | "x-gzip") => {
            decode(flate2::read::MultiGzDecoder::new(&body[..]), cap, "gzip")
        }
        Some("deflate") => decode(flate2::read::ZlibDecoder::new(&body[..]), cap, "deflate"),
        _ => Ok(body),
    }
}

/// At most `cap` bytes of a body as they came, the rest left unread.
fn read_raw(
    response: &mut ureq::http::Response<ureq::Body>,
    cap: u64,
    budget: Duration,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    response
        .body_mut()
        .as_reader()
        .take(cap)
        .read_to_end(&mut body)
        .map_err(|error| crate::net::describe_io(&error, budget))?;
    Ok(body)
}

/// At most `cap` bytes of what `decoder` makes of a body; a body cut at `cap` decodes as far as
/// it goes. Apart from `read_body`: the decoder's state is large, and only a compressed answer
/// should pay for it on its thread's stack.
#[inline(never)]
fn decode(decoder: impl Read, cap: u64, encoding: &str) -> Result<Vec<u8>, String> {
    let mut decoded = Vec::new();
    match decoder.take(cap).read_to_end(&mut decoded) {
        Err(_) if decoded.is_empty() => Err(format!(
            "the body says it is {encoding}-compressed but cannot be decompressed"
        )),
        _ => Ok(decoded),
    }
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
    let code = response.status().as_u16();
    let body = read_body(&mut response, cap + 1, budget)
        .map_err(|why| format!("HTTP {code}, reading the body: {why}"))?;
    if body.len() as u64 > cap {
        return Err(format!("HTTP {code}, the answer is larger than {} MiB", cap >> 20).into());
    }
    Ok((code, body))
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
        client_cert: super::tls::client_cert(keys)?,
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

/// ": <the body's first line>" for an error answer, short and safe to print; empty for none.
pub fn first_line(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().map(str::trim).find(|line| !line.is_empty());
    match line {
        Some(line) => {
            let clean = crate::text::sanitize(line);
            match clean.char_indices().nth(120) {
                Some((end, _)) => format!(": {}…", &clean[..end]),
                None => format!(": {clean}"),
            }
        }
        None => String::new(),
    }
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
