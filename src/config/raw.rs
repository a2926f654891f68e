//! The config as written (serde types, every field optional) and its conversion into `Config`.
//!
//! Checking happens in two places: values that can be checked alone (durations, regexes, URLs)
//! are checked while serde reads them, so toml's span points at the value; rules that relate keys
//! (`url` is required for `http`, `command` does not apply to `tcp`) are checked here, and the
//! error is placed on the key by searching the check's span.

use std::collections::BTreeMap;
use std::path::PathBuf;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, nearest};
use super::value::{Address, HumanDuration, Method, Pattern, StatusRanges, WebUrl};
use super::{
    Api, CachetSettings, Component, Config, DEFAULT_CHECK_TIMEOUT, DEFAULT_RETRY_DELAY, Target,
};
use crate::check::exec::ExecSpec;
use crate::check::http::{BasicAuth, HttpSpec};
use crate::check::tcp::TcpSpec;
use crate::check::{CheckSpec, Probe};
use crate::secret::Secret;
use crate::status::OutcomeKind;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    cachet: Option<RawCachet>,
    defaults: Option<Spanned<RawCheck>>,
    #[serde(default)]
    components: BTreeMap<String, Spanned<RawComponent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCachet {
    url: Option<Spanned<String>>,
    token_file: Option<PathBuf>,
    api: Option<RawApi>,
    notify_subscribers: Option<bool>,
}

#[derive(Deserialize)]
enum RawApi {
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "2")]
    V2,
    #[serde(rename = "3")]
    V3,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    id: Option<u64>,
    cachet_name: Option<String>,
    #[serde(default)]
    checks: Vec<Spanned<RawCheck>>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Http,
    Tcp,
    Exec,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Tcp => "tcp",
            Kind::Exec => "exec",
        }
    }

    /// The kind-specific keys this kind takes (SPEC §5).
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Http => &[
                "url",
                "method",
                "headers",
                "body",
                "basic_auth",
                "expect_status",
                "expect_body_contains",
                "expect_body_regex",
                "reject_body_regex",
                "expect_json",
                "follow_redirects",
                "insecure",
                "ca_file",
            ],
            Kind::Tcp => &["address", "send", "expect"],
            Kind::Exec => &["command", "env"],
        }
    }

    fn takes(self, key: &str) -> bool {
        COMMON_KEYS.contains(&key) || self.keys().contains(&key)
    }
}

const COMMON_KEYS: &[&str] = &[
    "name",
    "timeout",
    "slow_after",
    "on_failure",
    "retries",
    "retry_delay",
];

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum OnFailure {
    Degraded,
    Fail,
    Down,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBasicAuth {
    user: String,
    password_file: Option<PathBuf>,
    password_env: Option<String>,
}

/// One string or a list of strings.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// Every key a check (or `[defaults]`) may hold. The field names are the config keys.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    name: Option<String>,
    #[serde(rename = "type")]
    kind: Option<Kind>,
    timeout: Option<HumanDuration>,
    slow_after: Option<HumanDuration>,
    on_failure: Option<OnFailure>,
    retries: Option<u32>,
    retry_delay: Option<HumanDuration>,
    url: Option<WebUrl>,
    method: Option<Method>,
    headers: Option<BTreeMap<String, String>>,
    body: Option<String>,
    basic_auth: Option<RawBasicAuth>,
    expect_status: Option<StatusRanges>,
    expect_body_contains: Option<OneOrMany>,
    expect_body_regex: Option<Pattern>,
    reject_body_regex: Option<Pattern>,
    expect_json: Option<BTreeMap<String, serde_json::Value>>,
    follow_redirects: Option<bool>,
    insecure: Option<bool>,
    ca_file: Option<PathBuf>,
    address: Option<Address>,
    send: Option<String>,
    expect: Option<String>,
    command: Option<Vec<String>>,
    env: Option<BTreeMap<String, String>>,
}

/// Runs `$body` with `$field` bound to each kind-specific field name (the config key).
macro_rules! kind_fields {
    ($macro:ident!($($args:tt)*)) => {
        $macro!($($args)*; url, method, headers, body, basic_auth, expect_status,
            expect_body_contains, expect_body_regex, reject_body_regex, expect_json,
            follow_redirects, insecure, ca_file, address, send, expect, command, env)
    };
}

macro_rules! collect_set {
    ($check:ident, $keys:ident; $($field:ident),*) => {
        $( if $check.$field.is_some() { $keys.push(stringify!($field)); } )*
    };
}

macro_rules! fill_from {
    ($check:ident, $defaults:ident, $kind:ident; $($field:ident),*) => {
        $( if $check.$field.is_none() && $kind.takes(stringify!($field)) {
            $check.$field = $defaults.$field.clone();
        } )*
    };
}

impl RawCheck {
    /// The kind-specific keys this check sets.
    fn kind_keys_set(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        kind_fields!(collect_set!(self, keys));
        keys
    }

    /// Fills what this check leaves unset from `[defaults]`, where its kind takes the key.
    fn fill_from(&mut self, defaults: &RawCheck, kind: Kind) {
        let check = self;
        check.timeout = check.timeout.or(defaults.timeout);
        check.slow_after = check.slow_after.or(defaults.slow_after);
        check.on_failure = check.on_failure.or(defaults.on_failure);
        check.retries = check.retries.or(defaults.retries);
        check.retry_delay = check.retry_delay.or(defaults.retry_delay);
        kind_fields!(fill_from!(check, defaults, kind));
    }
}

/// Where the error for `key` goes: the key inside `span` if it is written there, else the span.
struct Locator<'a> {
    file: &'a str,
    source: &'a str,
}

impl Locator<'_> {
    fn error(
        &self,
        span: &std::ops::Range<usize>,
        key: Option<&str>,
        message: String,
    ) -> ConfigError {
        let offset = key
            .and_then(|key| {
                // A `[[table]]`'s span may cover only its header: search to the next header.
                let next_header = Regex::new(r"(?m)^\s*\[").ok()?;
                let body_end = self
                    .source
                    .get(span.end..)
                    .and_then(|rest| next_header.find(rest).map(|m| span.end + m.start()))
                    .unwrap_or(self.source.len());
                let text = self.source.get(span.start..body_end.max(span.end))?;
                let pattern =
                    Regex::new(&format!(r"(?m)(^|[\s{{,])({})\s*=", regex::escape(key))).ok()?;
                let found = pattern.captures(text)?.get(2)?;
                Some(span.start + found.start())
            })
            .unwrap_or(span.start);
        ConfigError::at(self.file, self.source, offset, message)
    }
}

pub(super) fn parse(file: &str, source: &str) -> Result<Config, ConfigError> {
    let raw: RawConfig =
        toml::from_str(source).map_err(|error| toml_error(file, source, &error))?;
    let at = Locator { file, source };

    let cachet = match raw.cachet {
        None => CachetSettings {
            notify_subscribers: true,
            ..CachetSettings::default()
        },
        Some(cachet) => CachetSettings {
            url: match cachet.url {
                Some(url) => Some(
                    WebUrl::parse(url.get_ref())
                        .map_err(|why| {
                            at.error(&url.span(), None, format!("`[cachet] url`: {why}"))
                        })?
                        .0,
                ),
                None => None,
            },
            token_file: cachet.token_file,
            api: match cachet.api {
                None | Some(RawApi::Auto) => Api::Auto,
                Some(RawApi::V2) => Api::V2,
                Some(RawApi::V3) => Api::V3,
            },
            notify_subscribers: cachet.notify_subscribers.unwrap_or(true),
        },
    };

    let defaults = match raw.defaults {
        Some(defaults) => {
            if defaults.get_ref().kind.is_some() || defaults.get_ref().name.is_some() {
                let key = if defaults.get_ref().kind.is_some() {
                    "type"
                } else {
                    "name"
                };
                return Err(at.error(
                    &defaults.span(),
                    Some(key),
                    format!("`{key}` cannot be set in `[defaults]`: set it on each check"),
                ));
            }
            defaults.into_inner()
        }
        None => RawCheck::default(),
    };

    let mut components: Vec<(usize, Component)> = Vec::new();
    for (name, component) in raw.components {
        let span = component.span();
        let built = build_component(&at, &name, &span, component.into_inner(), &defaults)?;
        components.push((span.start, built));
    }
    components.sort_by_key(|(start, _)| *start);

    Ok(Config {
        file: file.to_owned(),
        cachet,
        components: components
            .into_iter()
            .map(|(_, component)| component)
            .collect(),
    })
}

fn build_component(
    at: &Locator,
    name: &str,
    span: &std::ops::Range<usize>,
    raw: RawComponent,
    defaults: &RawCheck,
) -> Result<Component, ConfigError> {
    let table = format!("[components.{name}]");
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(at.error(
            span,
            None,
            format!("component name `{name}` may hold only letters, digits, `-`, `_` and `.`"),
        ));
    }
    let target = match (raw.id, raw.cachet_name) {
        (Some(id), None) => Target::Id(id),
        (None, Some(cachet_name)) if !cachet_name.trim().is_empty() => Target::Name(cachet_name),
        (None, Some(_)) => {
            return Err(at.error(
                span,
                Some("cachet_name"),
                format!("`cachet_name` in `{table}` is empty"),
            ));
        }
        (Some(_), Some(_)) => {
            return Err(at.error(
                span,
                Some("cachet_name"),
                format!("`{table}` sets both `id` and `cachet_name`: keep one"),
            ));
        }
        (None, None) => {
            return Err(at.error(
                span,
                None,
                format!(
                    "`{table}` needs `id = N` (the Cachet component id) or `cachet_name = \"…\"`"
                ),
            ));
        }
    };
    if raw.checks.is_empty() {
        return Err(at.error(
            span,
            None,
            format!("`{table}` has no checks: add a `[[components.{name}.checks]]` table"),
        ));
    }
    let mut checks: Vec<std::sync::Arc<CheckSpec>> = Vec::with_capacity(raw.checks.len());
    for check in raw.checks {
        let span = check.span();
        let check = build_check(at, name, &span, check.into_inner(), defaults)?;
        if checks.iter().any(|other| other.name == check.name) {
            return Err(at.error(
                &span,
                Some("name"),
                format!(
                    "two checks of `{table}` are named `{}`: give each its own `name`",
                    check.name
                ),
            ));
        }
        checks.push(std::sync::Arc::new(check));
    }
    Ok(Component {
        name: name.to_owned(),
        target,
        checks,
    })
}

fn build_check(
    at: &Locator,
    component: &str,
    span: &std::ops::Range<usize>,
    mut raw: RawCheck,
    defaults: &RawCheck,
) -> Result<CheckSpec, ConfigError> {
    let table = format!("[[components.{component}.checks]]");
    let Some(kind) = raw.kind else {
        return Err(at.error(
            span,
            None,
            format!("a check in `{table}` has no `type`: use \"http\", \"tcp\" or \"exec\""),
        ));
    };
    if let Some(key) = raw.kind_keys_set().into_iter().find(|key| !kind.takes(key)) {
        return Err(at.error(
            span,
            Some(key),
            format!(
                "`{key}` does not apply to a `{}` check (in `{table}`)",
                kind.word()
            ),
        ));
    }
    raw.fill_from(defaults, kind);
    let missing = |key: &str, example: &str| {
        at.error(
            span,
            Some("type"),
            format!(
                "a `{}` check in `{table}` needs `{key}`, e.g. {example}",
                kind.word()
            ),
        )
    };
    let timeout = raw.timeout.map_or(DEFAULT_CHECK_TIMEOUT, |t| t.0);
    if timeout.is_zero() {
        return Err(at.error(
            span,
            Some("timeout"),
            format!("`timeout` in `{table}` must be longer than zero"),
        ));
    }
    let (probe, target) = match kind {
        Kind::Http => {
            let url = raw
                .url
                .ok_or_else(|| missing("url", "`url = \"https://api.example.com/health\"`"))?;
            let basic_auth = match raw.basic_auth {
                Some(auth) => Some(basic_auth(at, span, &table, auth)?),
                None => None,
            };
            let ca_file = match raw.ca_file {
                Some(path) => Some(crate::check::http::load_ca_file(&path).map_err(|why| {
                    at.error(
                        span,
                        Some("ca_file"),
                        format!("`ca_file` in `{table}`: {why}"),
                    )
                })?),
                None => None,
            };
            let target = url.0.clone();
            let spec = HttpSpec {
                url: url.0,
                method: raw.method.map_or_else(|| "GET".to_owned(), |m| m.0),
                headers: raw.headers.unwrap_or_default().into_iter().collect(),
                body: raw.body,
                basic_auth,
                expect_status: raw.expect_status.unwrap_or_else(StatusRanges::success),
                expect_body_contains: raw
                    .expect_body_contains
                    .map(OneOrMany::into_vec)
                    .unwrap_or_default(),
                expect_body_regex: raw.expect_body_regex.map(|p| p.0),
                reject_body_regex: raw.reject_body_regex.map(|p| p.0),
                expect_json: raw.expect_json.unwrap_or_default().into_iter().collect(),
                follow_redirects: raw.follow_redirects.unwrap_or(true),
                insecure: raw.insecure.unwrap_or(false),
                ca_file,
            };
            if let Some((name, _)) = spec.headers.iter().find(|(name, value)| {
                ureq::http::HeaderName::from_bytes(name.as_bytes()).is_err()
                    || ureq::http::HeaderValue::from_str(value).is_err()
            }) {
                return Err(at.error(
                    span,
                    Some("headers"),
                    format!(
                        "header `{name}` in `{table}` is not a valid HTTP header name and value"
                    ),
                ));
            }
            if let Some((pointer, _)) = spec
                .expect_json
                .iter()
                .find(|(p, _)| !p.is_empty() && !p.starts_with('/'))
            {
                return Err(at.error(
                    span,
                    Some("expect_json"),
                    format!("`expect_json` key `{pointer}` is not a JSON pointer: write it like \"/status\""),
                ));
            }
            (Probe::Http(Box::new(spec)), target)
        }
        Kind::Tcp => {
            let address = raw
                .address
                .ok_or_else(|| missing("address", "`address = \"db.example.com:5432\"`"))?;
            let target = address.0.clone();
            (
                Probe::Tcp(TcpSpec {
                    address: address.0,
                    send: raw.send,
                    expect: raw.expect,
                }),
                target,
            )
        }
        Kind::Exec => {
            let command = raw.command.ok_or_else(|| {
                missing(
                    "command",
                    "`command = [\"/usr/lib/nagios/plugins/check_disk\", \"-w\", \"10%\"]`",
                )
            })?;
            let Some(program) = command.first().filter(|program| !program.is_empty()) else {
                return Err(at.error(
                    span,
                    Some("command"),
                    format!("`command` in `{table}` is empty: name the program first"),
                ));
            };
            let target = PathBuf::from(program).file_name().map_or_else(
                || program.clone(),
                |name| name.to_string_lossy().into_owned(),
            );
            (
                Probe::Exec(ExecSpec {
                    command,
                    env: raw.env.unwrap_or_default().into_iter().collect(),
                }),
                target,
            )
        }
    };
    Ok(CheckSpec {
        name: raw
            .name
            .unwrap_or_else(|| format!("{} {target}", kind.word())),
        timeout,
        slow_after: raw.slow_after.map(|d| d.0),
        on_failure: match raw.on_failure.unwrap_or(OnFailure::Fail) {
            OnFailure::Degraded => OutcomeKind::Degraded,
            OnFailure::Fail => OutcomeKind::Fail,
            OnFailure::Down => OutcomeKind::Down,
        },
        retries: raw.retries.unwrap_or(0),
        retry_delay: raw.retry_delay.map_or(DEFAULT_RETRY_DELAY, |d| d.0),
        probe,
    })
}

fn basic_auth(
    at: &Locator,
    span: &std::ops::Range<usize>,
    table: &str,
    auth: RawBasicAuth,
) -> Result<BasicAuth, ConfigError> {
    let password = match (auth.password_file, auth.password_env) {
        (Some(path), None) => Secret::from_file(&path, "password").map_err(|error| {
            at.error(
                span,
                Some("password_file"),
                format!("`basic_auth` in `{table}`: {error:#}"),
            )
        })?,
        (None, Some(name)) => Secret::from_env(&name)
            .map_err(|error| {
                at.error(
                    span,
                    Some("password_env"),
                    format!("`basic_auth` in `{table}`: {error:#}"),
                )
            })?
            .ok_or_else(|| {
                at.error(
                    span,
                    Some("password_env"),
                    format!("`basic_auth` in `{table}`: environment variable `{name}` is not set"),
                )
            })?,
        _ => {
            return Err(at.error(
                span,
                Some("basic_auth"),
                format!("`basic_auth` in `{table}` needs exactly one of `password_file` and `password_env`"),
            ));
        }
    };
    Ok(BasicAuth {
        user: auth.user,
        password,
    })
}

/// Turns toml's error into ours: position, and for an unknown key the table and a suggestion.
fn toml_error(file: &str, source: &str, error: &toml::de::Error) -> ConfigError {
    let offset = error.span().map_or(0, |span| span.start);
    let message = error.message().trim().to_owned();
    let unknown = Regex::new(r"^unknown field `([^`]*)`, expected (?:one of )?(.*)$").ok();
    if let Some(captures) = unknown.as_ref().and_then(|re| re.captures(&message)) {
        let key = captures.get(1).map_or("", |m| m.as_str());
        let expected: Vec<&str> = captures
            .get(2)
            .map_or("", |m| m.as_str())
            .split('`')
            .skip(1)
            .step_by(2)
            .collect();
        let table = enclosing_table(source, offset);
        let advice = match nearest(key, expected.iter().copied()) {
            Some(suggestion) => format!(", did you mean `{suggestion}`?"),
            None => format!(
                "; valid keys: {}",
                expected
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let place = table.map_or_else(
            || "at the top level".to_owned(),
            |table| format!("in `{table}`"),
        );
        return ConfigError::at(
            file,
            source,
            offset,
            format!("unknown key `{key}` {place}{advice}"),
        );
    }
    let message = message
        .replace("unknown variant", "unknown value")
        .replace("field", "key");
    let key = key_at(source, offset);
    let message = match key {
        Some(key) if !message.contains(&format!("`{key}`")) => format!("`{key}`: {message}"),
        _ => message,
    };
    ConfigError::at(file, source, offset, message)
}

/// The `[table]` or `[[table]]` header above `offset`, if any.
fn enclosing_table(source: &str, offset: usize) -> Option<String> {
    let header = Regex::new(r"^\s*(\[\[?[^\]]+\]\]?)").ok()?;
    source
        .get(..offset.min(source.len()))?
        .lines()
        .rev()
        .find_map(|line| {
            header
                .captures(line)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().replace(' ', ""))
        })
}

/// The key of the `key = value` line holding `offset`, if the line is one.
fn key_at(source: &str, offset: usize) -> Option<String> {
    let offset = offset.min(source.len());
    let start = source.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line = source.get(start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_owned())
}

/// Whether a check's `headers` look like they carry credentials (for the SPEC §5 warning).
pub(super) fn holds_credentials(source: &str) -> bool {
    Regex::new(r#"(?i)(authorization|cookie|token|api[-_]?key|secret)\s*"?\s*="#)
        .is_ok_and(|re| re.is_match(source) && source.contains("headers"))
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::check::Probe;
    use crate::config::Target;
    use crate::status::OutcomeKind;
    use std::time::Duration;

    fn error(source: &str) -> String {
        parse("test.toml", source).unwrap_err().to_string()
    }

    const MINIMAL: &str = r#"
[components.api]
id = 2
  [[components.api.checks]]
  type = "http"
  url = "http://127.0.0.1:1/health"
"#;

    #[test]
    fn minimal_config_loads_with_defaults() {
        let config = parse("test.toml", MINIMAL).unwrap();
        let component = &config.components[0];
        assert_eq!(component.target, Target::Id(2));
        let check = &component.checks[0];
        assert_eq!(check.name, "http http://127.0.0.1:1/health");
        assert_eq!(check.timeout, Duration::from_secs(10));
        assert_eq!(check.on_failure, OutcomeKind::Fail);
        assert!(config.cachet.notify_subscribers);
        let Probe::Http(http) = &check.probe else {
            panic!("not http")
        };
        assert!(http.expect_status.contains(204) && !http.expect_status.contains(301));
        assert!(http.follow_redirects);
    }

    #[test]
    fn unknown_keys_name_the_table_and_suggest() {
        let source = MINIMAL.replace("type = \"http\"", "type = \"http\"\n  timout = \"1s\"");
        assert_eq!(
            error(&source),
            "test.toml:6:3: unknown key `timout` in `[[components.api.checks]]`, did you mean `timeout`?"
        );
        assert_eq!(
            error("[cachet]\nurl = \"http://x\"\ntokenfile = \"/t\"\n"),
            "test.toml:3:1: unknown key `tokenfile` in `[cachet]`, did you mean `token_file`?"
        );
    }

    #[test]
    fn bad_values_point_at_the_value() {
        let source = MINIMAL.replace(
            "type = \"http\"",
            "type = \"http\"\n  slow_after = \"fast\"",
        );
        let message = error(&source);
        assert!(message.starts_with("test.toml:6:16: "), "{message}");
        assert!(message.contains("`fast` is not a duration"), "{message}");
        let source = MINIMAL.replace(
            "type = \"http\"",
            "type = \"http\"\n  expect_body_regex = \"(\"",
        );
        assert!(error(&source).contains("invalid regex `(`"));
        let source = MINIMAL.replace("http://127.0.0.1:1/health", "ftp://x/");
        assert!(error(&source).contains("is not an http:// or https:// URL"));
    }

    #[test]
    fn keys_of_another_kind_are_rejected_at_the_key() {
        let source = MINIMAL.replace("type = \"http\"", "type = \"http\"\n  command = [\"x\"]");
        assert_eq!(
            error(&source),
            "test.toml:6:3: `command` does not apply to a `http` check (in `[[components.api.checks]]`)"
        );
    }

    #[test]
    fn components_need_an_id_or_name_and_checks() {
        assert!(
            error("[components.api]\n[[components.api.checks]]\ntype=\"tcp\"\naddress=\"h:1\"\n")
                .contains("needs `id = N`")
        );
        assert!(error("[components.api]\nid = 1\n").contains("has no checks"));
        let message = error("[components.api]\nid = 1\n[[components.api.checks]]\ntype=\"tcp\"\n");
        assert!(message.contains("needs `address`"), "{message}");
    }

    #[test]
    fn defaults_fill_only_keys_the_kind_takes() {
        let source = format!(
            "[defaults]\ntimeout = \"3s\"\nexpect_status = [\"200-399\"]\n{}\n  [[components.api.checks]]\n  type = \"tcp\"\n  address = \"127.0.0.1:9\"\n",
            MINIMAL
        );
        let config = parse("t.toml", &source).unwrap();
        let checks = &config.components[0].checks;
        assert_eq!(checks[0].timeout, Duration::from_secs(3));
        assert_eq!(checks[1].timeout, Duration::from_secs(3));
        let Probe::Http(http) = &checks[0].probe else {
            panic!("not http")
        };
        assert!(http.expect_status.contains(302));
    }

    #[test]
    fn components_keep_file_order() {
        let source = MINIMAL.replace("api", "zeta") + &MINIMAL.replace("api", "alpha");
        let config = parse("t.toml", &source).unwrap();
        let names: Vec<&str> = config.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let message = error("[cachet\nurl = 1\n");
        assert!(message.starts_with("test.toml:1:"), "{message}");
        let message = error("[components.api]\nid = \"two\"\n");
        assert!(message.starts_with("test.toml:2:6: "), "{message}");
        assert!(message.contains("id"), "{message}");
    }
}
