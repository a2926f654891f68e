//! Turns the config as written (`raw.rs`) into `Config`: `[defaults]` merged, required keys
//! present, keys only where their kind takes them, secrets read. Errors are placed on the key by
//! searching the table's span.

use std::path::PathBuf;

use super::error::{ConfigError, Locator, toml_error};
use super::raw::{
    BoolOrText, Kind, OnFailure, OneOrMany, RawApi, RawBasicAuth, RawCheck, RawComponent, RawConfig,
};
use super::value::{StatusRanges, WebUrl};
use super::{
    Api, CachetSettings, Component, Config, DEFAULT_CHECK_TIMEOUT, DEFAULT_RETRY_DELAY,
    IncidentSpec, Target,
};
use crate::check::dns::{self, DnsSpec, Record};
use crate::check::exec::ExecSpec;
use crate::check::graphite::GraphiteSpec;
use crate::check::http::{BasicAuth, CertWarn, HttpOptions, HttpSpec};
use crate::check::jenkins::JenkinsSpec;
use crate::check::prometheus::PrometheusSpec;
use crate::check::tcp::{Banner, TcpSpec};
use crate::check::tls::{self, TlsSpec, Trust};
use crate::check::{Bounds, CheckSpec, Probe};
use crate::secret::Secret;
use crate::status::{OutcomeKind, Status};

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
            token_file: cachet.token_file.as_deref().map(|path| at.path(path)),
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
        // Two components of one Cachet component overwrite each other every run: the page
        // shows whichever was pushed last, operational while the other is down.
        if let Some((_, other)) = components.iter().find(|(_, c)| c.target == built.target) {
            let what = match &built.target {
                Target::Id(id) => format!("Cachet component {id} (`id = {id}`)"),
                Target::Name(cachet) => format!("the Cachet component named `{cachet}`"),
            };
            let key = match built.target {
                Target::Id(_) => "id",
                Target::Name(_) => "cachet_name",
            };
            return Err(at.error(
                &span,
                Some(key),
                format!(
                    "`[components.{name}]` and `[components.{}]` both push {what}: each would overwrite the other's status every run; merge their checks into one component",
                    other.name
                ),
            ));
        }
        components.push((span.start, built));
    }
    components.sort_by_key(|(start, _)| *start);

    Ok(Config {
        file: file.to_owned(),
        state_dir: raw.state_dir.as_deref().map(|path| at.path(path)),
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
    if name.is_empty() || !name.chars().all(super::is_name_char) {
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
    if raw.checks.is_empty() && raw.monit_service.is_none() {
        return Err(at.error(
            span,
            None,
            format!(
                "`{table}` has no checks: add a `[[components.{name}.checks]]` table (or `monit_service` when Monit drives it)"
            ),
        ));
    }
    let monit_service = match raw.monit_service {
        Some(service) if service.trim().is_empty() => {
            return Err(at.error(
                span,
                Some("monit_service"),
                format!("`monit_service` in `{table}` is empty: give the name of the Monit service (`check host NAME …`)"),
            ));
        }
        service => service,
    };
    let monit_status = match raw.monit_status.as_deref().map(Status::parse) {
        None => Status::PartialOutage,
        Some(Some(Status::Operational)) => {
            return Err(at.error(
                span,
                Some("monit_status"),
                format!("`monit_status` in `{table}` is what a Monit failure pushes; it cannot be operational"),
            ));
        }
        Some(Some(status)) => status,
        Some(None) => {
            return Err(at.error(
                span,
                Some("monit_status"),
                format!("`monit_status` in `{table}` must be performance, partial or major"),
            ));
        }
    };
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
    if raw.confirm == Some(0) {
        return Err(at.error(
            span,
            Some("confirm"),
            format!("`confirm` in `{table}` must be at least 1 (1 pushes at once)"),
        ));
    }
    let incident = match raw.incident {
        Some(incident) if incident.name.trim().is_empty() => {
            return Err(at.error(
                span,
                Some("incident"),
                format!("`incident` in `{table}` needs a `name`, e.g. `incident = {{ name = \"API degraded\" }}`"),
            ));
        }
        Some(incident) => Some(IncidentSpec {
            name: incident.name,
            message: incident.message,
            visible: incident.visible.unwrap_or(true),
            notify: incident.notify.unwrap_or(true),
        }),
        None => None,
    };
    Ok(Component {
        name: name.to_owned(),
        target,
        confirm: raw.confirm.unwrap_or(1),
        metric: raw.metric,
        incident,
        monit_service,
        monit_status,
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
            format!(
                "a check in `{table}` has no `type`: use one of {}",
                Kind::ALL
                    .iter()
                    .map(|kind| format!("\"{}\"", kind.word()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
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
    // A `dns` check's `name` is the name it looks up (SPEC §5); it is called `dns RECORD NAME`.
    let explicit_name = if kind == Kind::Dns {
        None
    } else {
        raw.name.take()
    };
    let (probe, target) = match kind {
        Kind::Http => {
            let url = raw
                .url
                .take()
                .ok_or_else(|| missing("url", "`url = \"https://api.example.com/health\"`"))?;
            let options = http_options(at, span, &table, &mut raw)?;
            let cert_warn = match raw.cert_warn_before {
                Some(before) => Some(cert_warn(at, span, &table, &url.0, before.0, &options)?),
                None => None,
            };
            let target = crate::secret::redact_url(&url.0);
            let spec = HttpSpec {
                url: url.0,
                method: raw.method.map_or_else(|| "GET".to_owned(), |m| m.0),
                body: raw.body,
                options,
                expect_status: raw.expect_status.unwrap_or_else(StatusRanges::success),
                expect_body_contains: raw
                    .expect_body_contains
                    .map(OneOrMany::into_vec)
                    .unwrap_or_default(),
                expect_body_regex: raw.expect_body_regex.map(|p| p.0),
                reject_body_regex: raw.reject_body_regex.map(|p| p.0),
                expect_json: raw.expect_json.unwrap_or_default().into_iter().collect(),
                follow_redirects: raw.follow_redirects.unwrap_or(true),
                cert_warn,
            };
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
            let expect = match raw.expect.map(OneOrMany::into_vec) {
                None => None,
                Some(mut one) if one.len() == 1 => one.pop(),
                Some(_) => {
                    return Err(at.error(
                        span,
                        Some("expect"),
                        format!(
                            "`expect` of a `tcp` check in `{table}` is one string (the banner)"
                        ),
                    ));
                }
            };
            let target = address.0.clone();
            let banner = match raw.expect_banner {
                None | Some(BoolOrText::Bool(false)) => Banner::None,
                Some(BoolOrText::Bool(true)) => Banner::Any,
                Some(BoolOrText::Text(text)) => Banner::Containing(text),
            };
            (
                Probe::Tcp(TcpSpec {
                    address: address.0,
                    banner,
                    send: raw.send,
                    expect,
                }),
                target,
            )
        }
        Kind::Tls => {
            let address = raw
                .address
                .ok_or_else(|| missing("address", "`address = \"api.example.com:443\"`"))?;
            let server_name = match raw.sni {
                Some(sni) => sni,
                None => host_of(&address.0).to_owned(),
            };
            tls::check_server_name(&server_name)
                .map_err(|why| at.error(span, Some("sni"), format!("`sni` in `{table}`: {why}")))?;
            let ca_file = match (&raw.ca_file, raw.insecure) {
                (Some(_), Some(true)) => return Err(both_trusts(at, span, &table)),
                (Some(path), _) => Some(ca_certificates(at, span, &table, &at.path(path))?),
                (None, _) => None,
            };
            let trust = trust(
                at,
                span,
                &table,
                ca_file.as_deref(),
                raw.insecure.unwrap_or(false),
            )?;
            if let (Some(warn), Some(fail)) = (raw.warn_before, raw.fail_before)
                && warn.0 < fail.0
            {
                return Err(at.error(
                    span,
                    Some("warn_before"),
                    format!(
                        "`warn_before` ({}) in `{table}` is shorter than `fail_before` ({}): the warning would never come before the failure; make `warn_before` the longer one",
                        humantime::format_duration(warn.0),
                        humantime::format_duration(fail.0)
                    ),
                ));
            }
            let target = address.0.clone();
            (
                Probe::Tls(TlsSpec {
                    address: address.0,
                    server_name,
                    warn_before: raw.warn_before.map(|d| d.0),
                    fail_before: raw.fail_before.map(|d| d.0),
                    trust,
                }),
                target,
            )
        }
        Kind::Dns => {
            let name = raw
                .name
                .take()
                .ok_or_else(|| missing("name", "`name = \"example.com\"` (the name to look up)"))?;
            dns::parse_name(&name).map_err(|why| {
                at.error(span, Some("name"), format!("`name` in `{table}`: {why}"))
            })?;
            let record = match raw.record.as_deref() {
                Some(record) => record.parse::<Record>().map_err(|why| {
                    at.error(
                        span,
                        Some("record"),
                        format!("`record` in `{table}`: {why}"),
                    )
                })?,
                None => Record::A,
            };
            let server = match raw.server.as_deref() {
                Some(server) => Some(dns::parse_server(server).map_err(|why| {
                    at.error(
                        span,
                        Some("server"),
                        format!("`server` in `{table}`: {why}"),
                    )
                })?),
                None => None,
            };
            let target = format!("{} {name}", record.word());
            let expect = raw.expect.map(OneOrMany::into_vec).unwrap_or_default();
            for value in &expect {
                dns::check_expect(record, value).map_err(|why| {
                    at.error(
                        span,
                        Some("expect"),
                        format!("`expect` in `{table}`: {why}"),
                    )
                })?;
            }
            (
                Probe::Dns(DnsSpec {
                    name,
                    record,
                    expect,
                    server,
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
            // A program named by a path (`./check.sh`, `plugins/x`) is found from the config's
            // directory; a bare name on the PATH.
            let mut command = command;
            if command[0].contains('/') || command[0].starts_with('~') {
                command[0] = at
                    .path(std::path::Path::new(&command[0]))
                    .display()
                    .to_string();
            }
            crate::check::exec::check_command(&command).map_err(|why| {
                at.error(
                    span,
                    Some("command"),
                    format!("`command` in `{table}`: {why}"),
                )
            })?;
            (
                Probe::Exec(ExecSpec {
                    command,
                    env: raw.env.unwrap_or_default().into_iter().collect(),
                }),
                target,
            )
        }
        Kind::Graphite => {
            let url = raw
                .url
                .take()
                .ok_or_else(|| missing("url", "`url = \"https://graphite.example.com/render\"`"))?;
            let target = raw
                .target
                .take()
                .filter(|target| !target.trim().is_empty())
                .ok_or_else(|| missing("target", "`target = \"servers.web*.load\"`"))?;
            crate::check::graphite::check_url(&url.0)
                .map_err(|why| at.error(span, Some("url"), format!("`url` in `{table}`: {why}")))?;
            let from = match raw.from.as_deref() {
                Some(from) => crate::check::graphite::parse_from(from).map_err(|why| {
                    at.error(span, Some("from"), format!("`from` in `{table}`: {why}"))
                })?,
                None => "-5min".to_owned(),
            };
            let options = http_options(at, span, &table, &mut raw)?;
            let bounds = bounds(at, span, &table, raw.min.map(|n| n.0), raw.max.map(|n| n.0))?;
            let spec = GraphiteSpec {
                url: url.0,
                target: target.clone(),
                from,
                bounds,
                min_series: usize::try_from(raw.min_series.unwrap_or(1)).unwrap_or(usize::MAX),
                options,
            };
            (Probe::Graphite(Box::new(spec)), target)
        }
        Kind::Jenkins => {
            let url = raw
                .url
                .take()
                .ok_or_else(|| missing("url", "`url = \"https://ci.example.com/job/deploy/\"`"))?;
            let options = http_options(at, span, &table, &mut raw)?;
            let target = job_name(&url.0);
            (
                Probe::Jenkins(Box::new(JenkinsSpec {
                    url: url.0,
                    max_queue: raw.max_queue.map(|d| d.0),
                    options,
                })),
                target,
            )
        }
        Kind::Prometheus => {
            let url = raw
                .url
                .take()
                .ok_or_else(|| missing("url", "`url = \"http://prometheus.example.com:9090\"`"))?;
            let query = raw
                .query
                .take()
                .filter(|query| !query.trim().is_empty())
                .ok_or_else(|| missing("query", "`query = \"up{job=\\\"db\\\"}\"`"))?;
            crate::check::prometheus::check_url(&url.0)
                .map_err(|why| at.error(span, Some("url"), format!("`url` in `{table}`: {why}")))?;
            let options = http_options(at, span, &table, &mut raw)?;
            let bounds = bounds(at, span, &table, raw.min.map(|n| n.0), raw.max.map(|n| n.0))?;
            (
                Probe::Prometheus(Box::new(PrometheusSpec {
                    url: url.0,
                    query: query.clone(),
                    bounds,
                    allow_empty: raw.allow_empty.unwrap_or(false),
                    options,
                })),
                query,
            )
        }
    };
    Ok(CheckSpec {
        name: explicit_name.unwrap_or_else(|| format!("{} {target}", kind.word())),
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

/// `headers`, `basic_auth`, `insecure` and `ca_file` of an HTTP-based check.
fn http_options(
    at: &Locator,
    span: &std::ops::Range<usize>,
    table: &str,
    raw: &mut RawCheck,
) -> Result<HttpOptions, ConfigError> {
    let headers: Vec<(String, String)> =
        raw.headers.take().unwrap_or_default().into_iter().collect();
    if let Some((name, _)) = headers.iter().find(|(name, value)| {
        ureq::http::HeaderName::from_bytes(name.as_bytes()).is_err()
            || ureq::http::HeaderValue::from_str(value).is_err()
    }) {
        return Err(at.error(
            span,
            Some("headers"),
            format!("header `{name}` in `{table}` is not a valid HTTP header name and value"),
        ));
    }
    let basic_auth = match raw.basic_auth.take() {
        Some(auth) => Some(basic_auth(at, span, table, auth)?),
        None => None,
    };
    let ca_file = match &raw.ca_file {
        Some(path) => Some(ca_certificates(at, span, table, &at.path(path))?),
        None => None,
    };
    Ok(HttpOptions {
        headers,
        basic_auth,
        insecure: raw.insecure.unwrap_or(false),
        ca_file,
    })
}

fn ca_certificates(
    at: &Locator,
    span: &std::ops::Range<usize>,
    table: &str,
    path: &std::path::Path,
) -> Result<Vec<ureq::tls::Certificate<'static>>, ConfigError> {
    crate::check::http::load_ca_file(path).map_err(|why| {
        at.error(
            span,
            Some("ca_file"),
            format!("`ca_file` in `{table}`: {why}"),
        )
    })
}

fn both_trusts(at: &Locator, span: &std::ops::Range<usize>, table: &str) -> ConfigError {
    at.error(
        span,
        Some("insecure"),
        format!("`{table}` sets both `ca_file` and `insecure = true`: keep one"),
    )
}

/// Whom a `tls` check (or `cert_warn_before`) trusts: the certificates of its `ca_file`, anyone
/// (`insecure`), or the system's CA certificates.
fn trust(
    at: &Locator,
    span: &std::ops::Range<usize>,
    table: &str,
    ca_file: Option<&[ureq::tls::Certificate<'static>]>,
    insecure: bool,
) -> Result<Trust, ConfigError> {
    match (ca_file, insecure) {
        (Some(_), true) => Err(both_trusts(at, span, table)),
        (None, true) => Ok(Trust::Anything),
        (None, false) => Ok(Trust::System),
        (Some(certificates), false) => Trust::only(certificates).map_err(|why| {
            at.error(
                span,
                Some("ca_file"),
                format!("`ca_file` in `{table}` {why}"),
            )
        }),
    }
}

/// `cert_warn_before` of an `http` check: only for https URLs.
fn cert_warn(
    at: &Locator,
    span: &std::ops::Range<usize>,
    table: &str,
    url: &str,
    before: std::time::Duration,
    options: &HttpOptions,
) -> Result<CertWarn, ConfigError> {
    let not_https = || {
        at.error(
            span,
            Some("cert_warn_before"),
            format!("`cert_warn_before` in `{table}` needs an https:// URL"),
        )
    };
    let uri: ureq::http::Uri = url.parse().map_err(|_| not_https())?;
    if uri.scheme_str() != Some("https") {
        return Err(not_https());
    }
    let host = uri.host().ok_or_else(not_https)?.to_owned();
    let port = uri.port_u16().unwrap_or(443);
    let trust = trust(
        at,
        span,
        table,
        options.ca_file.as_deref(),
        options.insecure,
    )?;
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

/// `min`/`max`, which must not cross.
fn bounds(
    at: &Locator,
    span: &std::ops::Range<usize>,
    table: &str,
    min: Option<f64>,
    max: Option<f64>,
) -> Result<Bounds, ConfigError> {
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        return Err(at.error(
            span,
            Some("min"),
            format!("`min` ({min}) is above `max` ({max}) in `{table}`: no value could pass"),
        ));
    }
    Ok(Bounds { min, max })
}

/// The host of `host:port` (IPv6 without its brackets).
fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// "deploy" for `https://ci.example.com/job/team/job/deploy/`.
fn job_name(url: &str) -> String {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let jobs: Vec<&str> = segments
        .windows(2)
        .filter(|pair| pair[0] == "job")
        .map(|pair| pair[1])
        .collect();
    if jobs.is_empty() {
        crate::secret::redact_url(url)
    } else {
        jobs.join("/")
    }
}

fn basic_auth(
    at: &Locator,
    span: &std::ops::Range<usize>,
    table: &str,
    auth: RawBasicAuth,
) -> Result<BasicAuth, ConfigError> {
    // A password that cannot be read now stops this check alone, when it runs: the other
    // components (and `run OTHER`) are not held hostage by one broken secret.
    let password = match (auth.password_file, auth.password_env) {
        (Some(path), None) => Secret::from_file(&at.path(&path), "password")
            .map_err(|error| format!("the `basic_auth` password: {error:#}")),
        (None, Some(name)) => match Secret::from_env(&name) {
            Ok(Some(password)) => Ok(password),
            Ok(None) => Err(format!(
                "the `basic_auth` password: environment variable `{name}` is not set"
            )),
            Err(error) => Err(format!("the `basic_auth` password: {error:#}")),
        },
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

/// Whether a check's `headers` look like they carry credentials (for the SPEC §5 warning): a
/// key naming a credential, then `=`. A plain scan: compiling a regex would cost more than
/// the rest of loading a config.
pub(super) fn holds_credentials(source: &str) -> bool {
    const WORDS: [&str; 7] = [
        "authorization",
        "cookie",
        "token",
        "apikey",
        "api-key",
        "api_key",
        "secret",
    ];
    if !source.contains("headers") {
        return false;
    }
    let lower = source.to_ascii_lowercase();
    WORDS.iter().any(|word| {
        lower.match_indices(word).any(|(at, _)| {
            let rest = lower[at + word.len()..].trim_start();
            let rest = rest.strip_prefix('"').unwrap_or(rest).trim_start();
            rest.starts_with('=')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::check::Probe;
    use crate::config::Target;
    use crate::status::{OutcomeKind, Status};
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
        for (source, holds) in [
            ("headers = { Authorization = \"Bearer x\" }", true),
            ("headers = { \"X-API-Key\" = \"k\" }", true),
            ("headers = { Cookie=\"a\" }", true),
            ("headers = { Accept = \"json\" }", false),
            ("token_file = \"/t\"", false),
        ] {
            assert_eq!(super::holds_credentials(source), holds, "{source}");
        }
        // Monit drives a component without checks; its keys are checked.
        let monit = |extra: &str| {
            let source = format!("[components.web]\nid = 1\nmonit_service = \"nginx\"\n{extra}");
            parse("test.toml", &source)
        };
        let web = monit("monit_status = \"major\"\n").unwrap();
        assert!(web.components[0].checks.is_empty());
        assert_eq!(web.components[0].monit_service.as_deref(), Some("nginx"));
        assert_eq!(web.components[0].monit_status, Status::MajorOutage);
        assert_eq!(
            monit("").unwrap().components[0].monit_status,
            Status::PartialOutage
        );
        for (extra, expected) in [
            (
                "monit_status = \"operational\"\n",
                "it cannot be operational",
            ),
            (
                "monit_status = \"down\"\n",
                "must be performance, partial or major",
            ),
        ] {
            let message = monit(extra).unwrap_err().to_string();
            assert!(message.starts_with("test.toml:4:1: "), "{message}");
            assert!(message.contains(expected), "{message}");
        }
        assert!(
            error("[components.web]\nid = 1\nmonit_service = \" \"\n")
                .contains("`monit_service` in `[components.web]` is empty")
        );
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
        let source = MINIMAL.replace("api", "zeta")
            + &MINIMAL.replace("api", "alpha").replace("id = 2", "id = 3");
        let config = parse("t.toml", &source).unwrap();
        let names: Vec<&str> = config.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
    }

    // Two components of one Cachet component would overwrite each other every run.
    #[test]
    fn two_components_of_one_cachet_component_are_refused_naming_both() {
        let source = MINIMAL.replace("api", "zeta") + &MINIMAL.replace("api", "alpha");
        let message = error(&source);
        assert!(
            message.contains("`[components.zeta]` and `[components.alpha]` both push Cachet component 2 (`id = 2`)")
                || message.contains("`[components.alpha]` and `[components.zeta]` both push Cachet component 2 (`id = 2`)"),
            "{message}"
        );
        let by_name = MINIMAL.replace("id = 2", "cachet_name = \"API\"");
        let source = by_name.replace("api", "a") + &by_name.replace("api", "b");
        assert!(
            error(&source).contains("both push the Cachet component named `API`"),
            "{}",
            error(&source)
        );
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
