//! The `http` check (SPEC §5): one request, then the status code, body and JSON assertions.
//!
//! Bodies are read up to `BODY_CAP` bytes; the assertions see that prefix. Redirects are followed
//! (at most `MAX_REDIRECTS`) unless `follow_redirects = false`.

use std::collections::BTreeMap;
use std::time::Duration;

use regex::Regex;

use super::tls::{self, Trust};
use super::web::{
    self, HttpOptions, URL, build_request, drain_small_body, rate_limited, read_body, send,
};
use super::{Built, Context, Level, Probe, Probed};
use crate::deadline::Deadline;
use crate::keys::{HumanDuration, Key, KeyError, Keys, Method, OneOrMany, Pattern, StatusRanges};
use crate::net::MAX_REDIRECTS;
use crate::secret::redact_url;
use crate::text::sanitize;

pub const BODY_CAP: u64 = 1024 * 1024;

pub const KIND: super::Kind = super::Kind {
    word: "http",
    keys: &[
        &[
            &URL,
            &METHOD,
            &BODY,
            &EXPECT_STATUS,
            &EXPECT_BODY_CONTAINS,
            &EXPECT_BODY_REGEX,
            &REJECT_BODY_REGEX,
            &EXPECT_JSON,
            &FOLLOW_REDIRECTS,
            &CERT_WARN_BEFORE,
        ],
        web::KEYS,
        crate::net::path::KEYS,
    ],
    build,
};

const METHOD: Key<Method> = Key::new("method");
const BODY: Key<String> = Key::new("body");
const EXPECT_STATUS: Key<StatusRanges> = Key::new("expect_status");
const EXPECT_BODY_CONTAINS: Key<OneOrMany> = Key::new("expect_body_contains");
const EXPECT_BODY_REGEX: Key<Pattern> = Key::new("expect_body_regex");
const REJECT_BODY_REGEX: Key<Pattern> = Key::new("reject_body_regex");
const EXPECT_JSON: Key<BTreeMap<String, serde_json::Value>> = Key::new("expect_json");
const FOLLOW_REDIRECTS: Key<bool> = Key::new("follow_redirects");
const CERT_WARN_BEFORE: Key<HumanDuration> = Key::new("cert_warn_before");

#[derive(Debug)]
pub struct HttpSpec {
    pub url: String,
    /// A method of its own, or one of HTTP's (no allocation for those).
    pub method: ureq::http::Method,
    pub body: Option<String>,
    pub options: HttpOptions,
    pub expect_status: StatusRanges,
    /// The assertions on the body, when there are any. Boxed: most checks have none, and a
    /// spec is held all run long for every check of a config.
    pub body_checks: Option<Box<BodyChecks>>,
    pub follow_redirects: bool,
    /// `cert_warn_before`: degraded when the URL's certificate expires sooner.
    pub cert_warn: Option<Box<CertWarn>>,
}

/// What an `http` check asserts of a body: each must hold.
#[derive(Debug, Default)]
pub struct BodyChecks {
    /// `expect_body_contains`
    pub contains: Vec<String>,
    /// `expect_body_regex`
    pub matches: Option<Regex>,
    /// `reject_body_regex`
    pub rejects: Option<Regex>,
    /// `expect_json`: JSON pointer → expected value.
    pub json: Vec<(String, serde_json::Value)>,
}

/// `cert_warn_before` of an https URL: where to look and how long before expiry to warn.
#[derive(Debug)]
pub struct CertWarn {
    pub before: Duration,
    pub address: String,
    pub server_name: String,
    pub trust: Trust,
}

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let url = keys.require(&URL, "`url = \"https://api.example.com/health\"`")?;
    let options = web::options(keys)?;
    let cert_warn = match keys.take(&CERT_WARN_BEFORE)? {
        Some(before) => Some(Box::new(cert_warn(keys, &url.0, before.0, &options)?)),
        None => None,
    };
    let expect_json: Vec<(String, serde_json::Value)> = keys
        .take(&EXPECT_JSON)?
        .unwrap_or_default()
        .into_iter()
        .collect();
    if let Some((pointer, _)) = expect_json
        .iter()
        .find(|(p, _)| !p.is_empty() && !p.starts_with('/'))
    {
        return Err(keys.error(
            EXPECT_JSON.name,
            format!(
                "`expect_json` key `{pointer}` is not a JSON pointer: write it like \"/status\""
            ),
        ));
    }
    let called = redact_url(&url.0);
    let spec = HttpSpec {
        url: url.0,
        method: keys.take(&METHOD)?.map_or(ureq::http::Method::GET, |m| m.0),
        body: keys.take(&BODY)?,
        options,
        expect_status: keys
            .take(&EXPECT_STATUS)?
            .unwrap_or_else(StatusRanges::success),
        body_checks: body_checks(keys, expect_json)?,
        follow_redirects: keys.take(&FOLLOW_REDIRECTS)?.unwrap_or(true),
        cert_warn,
    };
    Built::new(spec, called)
}

/// The body assertions of a check, `None` when it makes none.
fn body_checks(
    keys: &mut Keys,
    json: Vec<(String, serde_json::Value)>,
) -> Result<Option<Box<BodyChecks>>, KeyError> {
    let checks = BodyChecks {
        contains: keys
            .take(&EXPECT_BODY_CONTAINS)?
            .map(OneOrMany::into_vec)
            .unwrap_or_default(),
        matches: keys.take(&EXPECT_BODY_REGEX)?.map(|p| p.0),
        rejects: keys.take(&REJECT_BODY_REGEX)?.map(|p| p.0),
        json,
    };
    Ok((!checks.is_empty()).then(|| Box::new(checks)))
}

impl BodyChecks {
    fn is_empty(&self) -> bool {
        self.contains.is_empty()
            && self.matches.is_none()
            && self.rejects.is_none()
            && self.json.is_empty()
    }
}

/// `cert_warn_before` of an `http` check: only for https URLs.
fn cert_warn(
    keys: &Keys,
    url: &str,
    before: Duration,
    options: &HttpOptions,
) -> Result<CertWarn, KeyError> {
    let not_https = || {
        keys.error(
            CERT_WARN_BEFORE.name,
            format!(
                "`cert_warn_before` in `{}` needs an https:// URL",
                keys.table
            ),
        )
    };
    let uri: ureq::http::Uri = url.parse().map_err(|_| not_https())?;
    if uri.scheme_str() != Some("https") {
        return Err(not_https());
    }
    let host = uri.host().ok_or_else(not_https)?.to_owned();
    let port = uri.port_u16().unwrap_or(443);
    let trust = tls::trust(keys, options.ca_file.as_deref(), options.insecure)?;
    Ok(CertWarn {
        before,
        address: format!("{host}:{port}"),
        server_name: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        trust,
    })
}

impl Probe for HttpSpec {
    fn target(&self) -> String {
        format!("{} {}", self.method, redact_url(&self.url))
    }

    fn probe(&self, context: &Context, deadline: Deadline) -> Probed {
        probe(self, context, deadline)
    }

    fn web(&self) -> Option<(&str, &HttpOptions)> {
        Some((&self.url, &self.options))
    }

    fn expects(&self) -> Option<String> {
        Some(format!("expect {}", self.expect_status))
    }
}

fn probe(spec: &HttpSpec, context: &Context, deadline: Deadline) -> Probed {
    let probed = request(spec, context, deadline);
    match &spec.cert_warn {
        Some(warn) if probed.level == Level::Pass => {
            warn_of_expiry(spec, warn, probed, context, deadline)
        }
        _ => probed,
    }
}

/// A passing answer, degraded when the URL's certificate expires within `cert_warn_before`.
#[inline(never)]
fn warn_of_expiry(
    spec: &HttpSpec,
    warn: &CertWarn,
    probed: Probed,
    context: &Context,
    deadline: Deadline,
) -> Probed {
    // `cert_warn_before`: only a warning, whatever the certificate's dates say.
    let how = tls::Handshaking {
        trust: &warn.trust,
        client: spec.options.client_cert.as_ref(),
        starttls: None,
    };
    let cert = match tls::expiry(
        &warn.address,
        (&spec.options.path, context.route),
        &warn.server_name,
        &how,
        deadline,
    ) {
        Ok(earliest) => tls::judge_expiry(
            &earliest,
            Some(tls::Threshold {
                key: "cert_warn_before",
                before: warn.before,
            }),
            None,
        ),
        Err(why) => {
            return why
                .map(|why| format!("{}, but {why}", probed.detail))
                .into();
        }
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
    let request = match build_request(
        spec.method.as_str(),
        &spec.url,
        &spec.options,
        spec.body.as_deref(),
    ) {
        Ok(request) => request,
        Err(why) => return why.into(),
    };
    let redirects = if spec.follow_redirects {
        MAX_REDIRECTS
    } else {
        0
    };
    match send(request, &spec.options, redirects, context, budget) {
        Ok(response) => judge_answer(spec, response, budget),
        Err(failure) => failure.into(),
    }
}

/// The status code and body assertions on an answer. Apart from `request`, as the frames on
/// the stack while a request waits for its answer are held by every check in flight: 512
/// checks at once hold 512 of them.
#[inline(never)]
fn judge_answer(
    spec: &HttpSpec,
    mut response: ureq::http::Response<ureq::Body>,
    budget: Duration,
) -> Probed {
    let code = response.status().as_u16();
    if !spec.expect_status.contains(code) {
        if let Some(limited) = rate_limited(&response) {
            return limited.into();
        }
        return Probed::fail(format!("HTTP {code}, expected {}", spec.expect_status));
    }
    let Some(checks) = &spec.body_checks else {
        drain_small_body(&mut response, budget);
        return Probed::pass(format!("HTTP {code}"));
    };
    let mut body = match read_body(&mut response, BODY_CAP + 1, budget) {
        Ok(body) => body,
        Err(why) => return Probed::fail(format!("HTTP {code}, reading the body: {why}")),
    };
    let capped = body.len() as u64 > BODY_CAP;
    body.truncate(usize::try_from(BODY_CAP).unwrap_or(usize::MAX));
    let body = String::from_utf8_lossy(&body);
    match check_body(checks, &body) {
        // Say so when the answer was cut: the rest was never looked at.
        Some(problem) if capped => Probed::fail(format!(
            "HTTP {code}, {problem} in its first {} MiB",
            BODY_CAP >> 20
        )),
        Some(problem) => Probed::fail(format!("HTTP {code}, {problem}")),
        None => Probed::pass(format!("HTTP {code}")),
    }
}

/// The first body assertion that does not hold, in words.
fn check_body(checks: &BodyChecks, body: &str) -> Option<String> {
    if let Some(missing) = checks
        .contains
        .iter()
        .find(|text| !body.contains(text.as_str()))
    {
        return Some(format!("body does not contain `{}`", sanitize(missing)));
    }
    if let Some(regex) = &checks.matches
        && !regex.is_match(body)
    {
        return Some(format!("body does not match /{}/", regex.as_str()));
    }
    if let Some(regex) = &checks.rejects
        && let Some(found) = regex.find(body)
    {
        return Some(format!(
            "body matches rejected /{}/ (`{}`)",
            regex.as_str(),
            excerpt(found.as_str())
        ));
    }
    if checks.json.is_empty() {
        return None;
    }
    let json: serde_json::Value = match serde_json::from_str(body) {
        Ok(json) => json,
        Err(error) => return Some(format!("body is not JSON ({error})")),
    };
    checks
        .json
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
    use super::{BodyChecks, check_body};
    use regex::Regex;

    #[test]
    fn body_assertions_say_what_failed() {
        let contains = BodyChecks {
            contains: vec!["ok".to_owned()],
            ..BodyChecks::default()
        };
        assert_eq!(
            check_body(&contains, "fine"),
            Some("body does not contain `ok`".to_owned())
        );
        assert_eq!(check_body(&contains, "all ok"), None);

        let regex = BodyChecks {
            matches: Some(Regex::new(r#""ok"\s*:\s*true"#).unwrap()),
            ..BodyChecks::default()
        };
        assert!(
            check_body(&regex, r#"{"ok": false}"#)
                .unwrap()
                .starts_with("body does not match")
        );
        assert_eq!(check_body(&regex, r#"{"ok": true}"#), None);

        let reject = BodyChecks {
            rejects: Some(Regex::new("(?i)error").unwrap()),
            ..BodyChecks::default()
        };
        assert_eq!(
            check_body(&reject, "an ERROR here"),
            Some("body matches rejected /(?i)error/ (`ERROR`)".to_owned())
        );
    }

    #[test]
    fn json_pointers_compare_values() {
        let json = BodyChecks {
            json: vec![
                ("/status".to_owned(), serde_json::json!("up")),
                ("/db/replicas".to_owned(), serde_json::json!(3)),
            ],
            ..BodyChecks::default()
        };
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
