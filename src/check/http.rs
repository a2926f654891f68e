//! The `http` check (SPEC §5): one request, then the status code, body and JSON assertions.
//!
//! Bodies are read up to `BODY_CAP` bytes; the assertions see that prefix. Redirects are followed
//! (at most `MAX_REDIRECTS`) unless `follow_redirects = false`.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use regex::Regex;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use super::tls::{self, Trust};
use super::{Context, Level, Probed};
use crate::config::StatusRanges;
use crate::deadline::Deadline;
use crate::deadline::format_millis;
use crate::net::http::{agent_config, encode_query_value, new_agent};
use crate::output::sanitize;
use crate::secret::{Secret, redact_url};

pub const BODY_CAP: u64 = 1024 * 1024;
pub use crate::net::MAX_REDIRECTS;

#[derive(Debug)]
pub struct HttpSpec {
    pub url: String,
    pub method: String,
    pub body: Option<String>,
    pub options: HttpOptions,
    pub expect_status: StatusRanges,
    pub expect_body_contains: Vec<String>,
    pub expect_body_regex: Option<Regex>,
    pub reject_body_regex: Option<Regex>,
    /// JSON pointer → expected value.
    pub expect_json: Vec<(String, serde_json::Value)>,
    pub follow_redirects: bool,
    /// `cert_warn_before`: degraded when the URL's certificate expires sooner.
    pub cert_warn: Option<CertWarn>,
}

/// What every HTTP-based kind (`http`, `graphite`, `jenkins`, `prometheus`) may add to its
/// requests.
#[derive(Debug, Default)]
pub struct HttpOptions {
    pub headers: Vec<(String, String)>,
    pub basic_auth: Option<BasicAuth>,
    pub insecure: bool,
    pub ca_file: Option<Vec<Certificate<'static>>>,
}

/// `cert_warn_before` of an https URL: where to look and how long before expiry to warn.
#[derive(Debug)]
pub struct CertWarn {
    pub before: Duration,
    pub address: String,
    pub server_name: String,
    pub trust: Trust,
}

#[derive(Debug)]
pub struct BasicAuth {
    pub user: String,
    /// The password, or why it could not be read (an unset `password_env`, an unreadable
    /// `password_file`): then this check alone cannot run, and says why; the others run.
    pub password: Result<Secret, String>,
}

/// The agent checks share, trusting the system's CA certificates when `https`. Status codes
/// are data here, never errors.
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

/// Reads the certificates of a PEM file (`ca_file`).
pub fn load_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let pem = crate::config::read_file_capped(path, 16 << 20, &format!("`{}`", path.display()))
        .map_err(|error| format!("{error:#}"))?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(certificate)) => certificates.push(certificate),
            Ok(_) => {}
            Err(error) => return Err(format!("`{}` is not a PEM file: {error}", path.display())),
        }
    }
    if certificates.is_empty() {
        return Err(format!("`{}` holds no PEM certificate", path.display()));
    }
    Ok(certificates)
}

pub fn probe(spec: &HttpSpec, context: &Context, deadline: Deadline) -> Probed {
    let probed = request(spec, context, deadline);
    let Some(warn) = &spec.cert_warn else {
        return probed;
    };
    if probed.level != Level::Pass {
        return probed;
    }
    // `cert_warn_before`: only a warning, whatever the certificate's dates say.
    let cert = match tls::expiry(&warn.address, &warn.server_name, &warn.trust, deadline) {
        Ok(not_after) => tls::judge_expiry(
            &warn.server_name,
            not_after,
            Some(tls::Threshold {
                key: "cert_warn_before",
                before: warn.before,
            }),
            None,
        ),
        Err(why) => return Probed::fail(format!("{}, but {why}", probed.detail)),
    };
    if cert.level == Level::Pass {
        return probed;
    }
    Probed {
        level: Level::Warn,
        detail: format!("{}, but {}", probed.detail, cert.detail),
        perfdata: probed.perfdata,
    }
}

fn request(spec: &HttpSpec, context: &Context, deadline: Deadline) -> Probed {
    let budget = deadline.remaining();
    let request = match build_request(&spec.method, &spec.url, &spec.options, spec.body.as_deref())
    {
        Ok(request) => request,
        Err(why) => return Probed::fail(why),
    };
    let redirects = if spec.follow_redirects {
        MAX_REDIRECTS
    } else {
        0
    };
    let mut response = match send(request, &spec.options, redirects, context, budget) {
        Ok(response) => response,
        Err(detail) => return Probed::fail(detail),
    };
    let code = response.status().as_u16();
    if !spec.expect_status.contains(code) {
        return Probed::fail(format!("HTTP {code}, expected {}", spec.expect_status));
    }
    if !needs_body(spec) {
        drain_small_body(&mut response, budget);
        return Probed::pass(format!("HTTP {code}"));
    }
    let mut body = match read_body(&mut response, BODY_CAP + 1, budget) {
        Ok(body) => body,
        Err(why) => return Probed::fail(format!("HTTP {code}, reading the body: {why}")),
    };
    let capped = body.len() as u64 > BODY_CAP;
    body.truncate(usize::try_from(BODY_CAP).unwrap_or(usize::MAX));
    let body = String::from_utf8_lossy(&body);
    match check_body(spec, &body) {
        // Say so when the answer was cut: the rest was never looked at.
        Some(problem) if capped => Probed::fail(format!(
            "HTTP {code}, {problem} in its first {} MiB",
            BODY_CAP >> 20
        )),
        Some(problem) => Probed::fail(format!("HTTP {code}, {problem}")),
        None => Probed::pass(format!("HTTP {code}")),
    }
}

/// Sends `request` with `options`' TLS settings, within `budget`, tracing it at `-vv`. A
/// failure comes back in words (`describe_error`).
fn send(
    request: ureq::http::Request<Vec<u8>>,
    options: &HttpOptions,
    redirects: u32,
    context: &Context,
    budget: Duration,
) -> Result<ureq::http::Response<ureq::Body>, String> {
    let started = Instant::now();
    context.trace.emit(format_args!(
        "> {} {}",
        request.method(),
        redact_url(&request.uri().to_string())
    ));
    let host = request.uri().host().unwrap_or_default().to_owned();
    let mut configured = context
        .agent
        .configure_request(request)
        .timeout_global(Some(budget))
        .max_redirects(redirects);
    // The agent's own TLS settings (the system's roots) serve every check that changes nothing,
    // so their rustls configuration is built once per run.
    if options.insecure || options.ca_file.is_some() {
        let mut tls = TlsConfig::builder().disable_verification(options.insecure);
        if let Some(roots) = &options.ca_file {
            tls = tls.root_certs(RootCerts::new_with_certs(roots));
        }
        configured = configured.tls_config(tls.build());
    }
    match context.agent.run(configured.build()) {
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
            Err(detail)
        }
    }
}

/// Reads a body nobody needs when its announced length is small, so that the connection goes
/// back to the pool for the next check of the host (an unread body closes it). A body of
/// unknown or larger length is left unread: waiting for it could only slow the check down.
fn drain_small_body(response: &mut ureq::http::Response<ureq::Body>, budget: Duration) {
    const SMALL: u64 = 16 * 1024;
    if response
        .body()
        .content_length()
        .is_some_and(|length| length <= SMALL)
    {
        let _ = read_body(response, SMALL, budget);
    }
}

/// Reads at most `cap` bytes of a body; the rest is left unread.
fn read_body(
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

/// A GET for a JSON API (`graphite`, `jenkins`, `prometheus`): the status code and up to `cap`
/// bytes of the body, or what went wrong in words.
pub fn get_json(
    url: &str,
    options: &HttpOptions,
    cap: u64,
    context: &Context,
    deadline: Deadline,
) -> Result<(u16, Vec<u8>), String> {
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
        return Err(format!(
            "HTTP {code}, the answer is larger than {} MiB",
            cap >> 20
        ));
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

fn build_request(
    method: &str,
    url: &str,
    options: &HttpOptions,
    body: Option<&str>,
) -> Result<ureq::http::Request<Vec<u8>>, String> {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in &options.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(auth) = &options.basic_auth {
        let password = auth
            .password
            .as_ref()
            .map_err(|why| format!("not run: {why}"))?;
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            auth.user,
            password.expose()
        ));
        request = request.header("Authorization", format!("Basic {token}"));
    }
    request
        .body(body.unwrap_or_default().as_bytes().to_vec())
        .map_err(|error| format!("cannot build the request: {error}"))
}

fn needs_body(spec: &HttpSpec) -> bool {
    !spec.expect_body_contains.is_empty()
        || spec.expect_body_regex.is_some()
        || spec.reject_body_regex.is_some()
        || !spec.expect_json.is_empty()
}

/// The first body assertion that does not hold, in words.
fn check_body(spec: &HttpSpec, body: &str) -> Option<String> {
    if let Some(missing) = spec
        .expect_body_contains
        .iter()
        .find(|text| !body.contains(text.as_str()))
    {
        return Some(format!("body does not contain `{}`", sanitize(missing)));
    }
    if let Some(regex) = &spec.expect_body_regex
        && !regex.is_match(body)
    {
        return Some(format!("body does not match /{}/", regex.as_str()));
    }
    if let Some(regex) = &spec.reject_body_regex
        && let Some(found) = regex.find(body)
    {
        return Some(format!(
            "body matches rejected /{}/ (`{}`)",
            regex.as_str(),
            excerpt(found.as_str())
        ));
    }
    if spec.expect_json.is_empty() {
        return None;
    }
    let json: serde_json::Value = match serde_json::from_str(body) {
        Ok(json) => json,
        Err(error) => return Some(format!("body is not JSON ({error})")),
    };
    spec.expect_json
        .iter()
        .find_map(|(pointer, expected)| match json.pointer(pointer) {
            None => Some(format!("JSON {pointer} is missing, expected {expected}")),
            Some(actual) if !same_json(actual, expected) => Some(format!(
                "JSON {pointer} is {}, expected {expected}",
                excerpt(&actual.to_string())
            )),
            Some(_) => None,
        })
}

/// JSON equality where `1` and `1.0` are the same number (TOML writes integers, JSON may not).
fn same_json(actual: &serde_json::Value, expected: &serde_json::Value) -> bool {
    match (actual.as_f64(), expected.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => actual == expected,
    }
}

fn excerpt(text: &str) -> String {
    let clean = sanitize(text);
    match clean.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &clean[..end]),
        None => clean,
    }
}

#[cfg(test)]
mod tests {
    use super::{HttpSpec, check_body};
    use crate::config::StatusRanges;
    use regex::Regex;

    fn spec() -> HttpSpec {
        HttpSpec {
            url: "http://h/".to_owned(),
            method: "GET".to_owned(),
            body: None,
            options: super::HttpOptions::default(),
            expect_status: StatusRanges::success(),
            expect_body_contains: Vec::new(),
            expect_body_regex: None,
            reject_body_regex: None,
            expect_json: Vec::new(),
            follow_redirects: true,
            cert_warn: None,
        }
    }

    #[test]
    fn body_assertions_say_what_failed() {
        let mut contains = spec();
        contains.expect_body_contains = vec!["ok".to_owned()];
        assert_eq!(
            check_body(&contains, "fine"),
            Some("body does not contain `ok`".to_owned())
        );
        assert_eq!(check_body(&contains, "all ok"), None);

        let mut regex = spec();
        regex.expect_body_regex = Some(Regex::new(r#""ok"\s*:\s*true"#).unwrap());
        assert!(
            check_body(&regex, r#"{"ok": false}"#)
                .unwrap()
                .starts_with("body does not match")
        );
        assert_eq!(check_body(&regex, r#"{"ok": true}"#), None);

        let mut reject = spec();
        reject.reject_body_regex = Some(Regex::new("(?i)error").unwrap());
        assert_eq!(
            check_body(&reject, "an ERROR here"),
            Some("body matches rejected /(?i)error/ (`ERROR`)".to_owned())
        );
    }

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

    #[test]
    fn json_pointers_compare_values() {
        let mut json = spec();
        json.expect_json = vec![
            ("/status".to_owned(), serde_json::json!("up")),
            ("/db/replicas".to_owned(), serde_json::json!(3)),
        ];
        assert_eq!(
            check_body(&json, r#"{"status":"up","db":{"replicas":3.0}}"#),
            None
        );
        assert_eq!(
            check_body(&json, r#"{"status":"down","db":{"replicas":3}}"#),
            Some(r#"JSON /status is "down", expected "up""#.to_owned())
        );
        assert_eq!(
            check_body(&json, r#"{"status":"up"}"#),
            Some("JSON /db/replicas is missing, expected 3".to_owned())
        );
        assert!(
            check_body(&json, "<html>")
                .unwrap()
                .starts_with("body is not JSON")
        );
    }
}
