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

use super::{Context, Probed, format_millis};
use crate::config::StatusRanges;
use crate::deadline::Deadline;
use crate::output::sanitize;
use crate::secret::{Secret, redact_url};

pub const BODY_CAP: u64 = 1024 * 1024;
pub const MAX_REDIRECTS: u32 = 10;

#[derive(Debug)]
pub struct HttpSpec {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub basic_auth: Option<BasicAuth>,
    pub expect_status: StatusRanges,
    pub expect_body_contains: Vec<String>,
    pub expect_body_regex: Option<Regex>,
    pub reject_body_regex: Option<Regex>,
    /// JSON pointer → expected value.
    pub expect_json: Vec<(String, serde_json::Value)>,
    pub follow_redirects: bool,
    pub insecure: bool,
    pub ca_file: Option<Vec<Certificate<'static>>>,
}

#[derive(Debug)]
pub struct BasicAuth {
    pub user: String,
    pub password: Secret,
}

/// The agent checks share. Status codes are data here, never errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(concat!("cachet-check/", env!("CARGO_PKG_VERSION")))
        .max_redirects(MAX_REDIRECTS)
        .build()
        .new_agent()
}

/// Reads the certificates of a PEM file (`ca_file`).
pub fn load_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let pem =
        std::fs::read(path).map_err(|error| format!("reading `{}`: {error}", path.display()))?;
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
    let started = Instant::now();
    let budget = deadline.remaining();
    let request = match build_request(spec) {
        Ok(request) => request,
        Err(error) => return Probed::fail(format!("cannot build the request: {error}")),
    };
    let mut tls = TlsConfig::builder().disable_verification(spec.insecure);
    if let Some(roots) = &spec.ca_file {
        tls = tls.root_certs(RootCerts::new_with_certs(roots));
    }
    let request = context
        .agent
        .configure_request(request)
        .timeout_global(Some(budget))
        .max_redirects(if spec.follow_redirects {
            MAX_REDIRECTS
        } else {
            0
        })
        .tls_config(tls.build())
        .build();
    context
        .trace
        .emit(format_args!("> {} {}", spec.method, redact_url(&spec.url)));
    let mut response = match context.agent.run(request) {
        Ok(response) => response,
        Err(error) => {
            let detail = describe_error(&error, budget);
            context.trace.emit(format_args!("< {detail}"));
            return Probed::fail(detail);
        }
    };
    let code = response.status().as_u16();
    context.trace.emit(format_args!(
        "< HTTP {code} after {}",
        format_millis(started.elapsed())
    ));
    if !spec.expect_status.contains(code) {
        return Probed::fail(format!("HTTP {code}, expected {}", spec.expect_status));
    }
    if !needs_body(spec) {
        return Probed::pass(format!("HTTP {code}"));
    }
    let mut body = Vec::new();
    if let Err(error) = response
        .body_mut()
        .as_reader()
        .take(BODY_CAP)
        .read_to_end(&mut body)
    {
        return Probed::fail(format!(
            "HTTP {code}, reading the body: {}",
            describe_io(&error, budget)
        ));
    }
    let body = String::from_utf8_lossy(&body);
    match check_body(spec, &body) {
        Some(problem) => Probed::fail(format!("HTTP {code}, {problem}")),
        None => Probed::pass(format!("HTTP {code}")),
    }
}

fn build_request(spec: &HttpSpec) -> Result<ureq::http::Request<Vec<u8>>, ureq::http::Error> {
    let mut request = ureq::http::Request::builder()
        .method(spec.method.as_str())
        .uri(spec.url.as_str());
    for (name, value) in &spec.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(auth) = &spec.basic_auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            auth.user,
            auth.password.expose()
        ));
        request = request.header("Authorization", format!("Basic {token}"));
    }
    request.body(spec.body.clone().unwrap_or_default().into_bytes())
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

/// An error of ureq's in words an operator can act on. ureq's own messages can hold URLs; this
/// never includes one.
pub fn describe_error(error: &ureq::Error, budget: Duration) -> String {
    match error {
        ureq::Error::Timeout(_) => super::timed_out(budget),
        ureq::Error::HostNotFound => "host not found (DNS lookup failed)".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::Io(io) => describe_io(io, budget),
        ureq::Error::TooManyRedirects => {
            format!("more than {MAX_REDIRECTS} redirects (a redirect loop?)")
        }
        ureq::Error::RedirectFailed => "a redirect could not be followed".to_owned(),
        ureq::Error::BadUri(_) => "the URL is not valid".to_owned(),
        ureq::Error::Tls(reason) => format!("TLS error: {reason}"),
        ureq::Error::Rustls(error) => format!("TLS error: {error}"),
        ureq::Error::Pem(error) => format!("TLS error: {error}"),
        ureq::Error::Protocol(error) => format!("invalid HTTP response: {error}"),
        ureq::Error::LargeResponseHeader(_, limit) => {
            format!("response headers larger than {limit} bytes")
        }
        ureq::Error::BodyExceedsLimit(limit) => format!("body larger than {limit} bytes"),
        ureq::Error::BodyStalled => "the body stalled".to_owned(),
        other => sanitize(&redact_urls(&other.to_string())),
    }
}

pub fn describe_io(error: &std::io::Error, budget: Duration) -> String {
    use std::io::ErrorKind;
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return format!("TLS error: {tls}");
    }
    match error.kind() {
        ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        ErrorKind::ConnectionReset => "connection reset by the peer".to_owned(),
        ErrorKind::ConnectionAborted => "connection aborted".to_owned(),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => super::timed_out(budget),
        ErrorKind::UnexpectedEof => "the connection closed early".to_owned(),
        _ => sanitize(&redact_urls(&error.to_string())),
    }
}

fn redact_urls(text: &str) -> String {
    text.split(' ')
        .map(redact_url)
        .collect::<Vec<_>>()
        .join(" ")
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
            headers: Vec::new(),
            body: None,
            basic_auth: None,
            expect_status: StatusRanges::success(),
            expect_body_contains: Vec::new(),
            expect_body_regex: None,
            reject_body_regex: None,
            expect_json: Vec::new(),
            follow_redirects: true,
            insecure: false,
            ca_file: None,
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
