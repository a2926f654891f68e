//! Turns the config as written (`raw.rs`) into `Config`: `[cachet]` and each component checked,
//! each check built (`check.rs`). Errors are placed on the key by searching the table's span.

use super::check::{build_check, check_defaults};
use super::error::{ConfigError, Locator, toml_error};
use super::raw::{RawCachet, RawComponent, RawConfig, RawIncident};
use super::{CachetSettings, Component, Config, IncidentSpec, Target};
use crate::cachet::Dialect;
use crate::check::CheckSpec;
use crate::keys::{Entries, WebUrl};
use crate::status::Status;

pub(super) fn parse(file: &str, source: &str) -> Result<Config, ConfigError> {
    let raw: RawConfig =
        toml::from_str(source).map_err(|error| toml_error(file, source, &error))?;
    let at = Locator { file, source };

    let cachet = cachet_settings(&at, raw.cachet)?;
    let witnesses = super::truth::witnesses(&at, raw.witnesses, "the top level")?;
    let heartbeat = super::truth::heartbeat(&at, raw.heartbeat)?;

    let (defaults, default_windows) = match raw.defaults {
        Some(mut defaults) => {
            let windows = super::truth::default_windows(&at, defaults.get_mut())?;
            check_defaults(&at, &defaults)?;
            (defaults.into_inner(), windows)
        }
        None => (Entries::new(), Vec::new()),
    };

    let mut components: Vec<(usize, Component)> = Vec::new();
    let mut dependencies: Vec<(String, toml::Spanned<Vec<String>>)> = Vec::new();
    for (name, mut component) in raw.components {
        let span = component.span();
        if let Some(list) = component.get_mut().depends_on.take() {
            dependencies.push((name.clone(), list));
        }
        let mut built = build_component(&at, &name, &span, component.into_inner(), &defaults)?;
        if built.witnesses.is_empty() {
            built.witnesses = witnesses.clone().unwrap_or_default();
        }
        if built.maintenance.is_empty() {
            built.maintenance = default_windows.clone();
        }
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
    let names: Vec<&str> = components.iter().map(|(_, c)| c.name.as_str()).collect();
    super::truth::dependencies(&at, &names, &dependencies)?;
    for (name, list) in dependencies {
        if let Some((_, component)) = components.iter_mut().find(|(_, c)| c.name == name) {
            component.depends_on = list.into_inner();
        }
    }

    let vantage = match raw.vantage {
        Some(name) => Some(
            vantage_name(name.get_ref())
                .map_err(|why| at.value_error(name.span().start, &format!("`vantage`: {why}")))?,
        ),
        None => None,
    };
    Ok(Config {
        file: file.to_owned(),
        vantage,
        stamp_every: raw.stamp_every.map(|every| every.into_inner().0),
        state_dir: raw.state_dir.as_deref().map(|path| at.path(path)),
        metrics_file: raw.metrics_file.as_deref().map(|path| at.path(path)),
        heartbeat,
        cachet,
        components: components
            .into_iter()
            .map(|(_, component)| component)
            .collect(),
    })
}

/// A vantage's name as it is kept in `meta`: letters, digits, `-`, `_`, `.`, at most 64.
pub fn vantage_name(name: &str) -> Result<String, String> {
    let fits = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if fits {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "`{}` is not a vantage name: use letters, digits, `-`, `_` and `.` (at most 64), e.g. \"fra\"",
            crate::text::sanitize(name)
        ))
    }
}

/// `[cachet]`: where Cachet is and how to speak to it.
fn cachet_settings(at: &Locator, raw: Option<RawCachet>) -> Result<CachetSettings, ConfigError> {
    let Some(cachet) = raw else {
        return Ok(CachetSettings {
            notify_subscribers: true,
            ..CachetSettings::default()
        });
    };
    let url = match cachet.url {
        Some(url) => Some(
            WebUrl::parse(url.get_ref())
                .map_err(|why| at.error(&url.span(), None, format!("`[cachet] url`: {why}")))?
                .0,
        ),
        None => None,
    };
    let api = match cachet.api {
        Some(word) if word.get_ref() != "auto" => {
            Some(Dialect::from_word(word.get_ref()).ok_or_else(|| {
                at.value_error(
                    word.span().start,
                    &format!(
                        "unknown variant `{}`, expected one of {}",
                        word.get_ref(),
                        Dialect::words()
                    ),
                )
            })?)
        }
        _ => None,
    };
    let time_zone = match cachet.time_zone {
        Some(zone) => Some(jiff::tz::TimeZone::get(zone.get_ref()).map_err(|_| {
            at.value_error(
                zone.span().start,
                &format!(
                    "`[cachet] time_zone`: `{}` is not an IANA time zone (e.g. \"Europe/Berlin\", \"UTC\")",
                    zone.get_ref()
                ),
            )
        })?),
        None => None,
    };
    let client_cert = match (cachet.client_cert, cachet.client_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(
            crate::net::tls::load_client_cert(&at.path(cert.get_ref()), &at.path(key.get_ref()))
                .map_err(|why| {
                    at.error(&cert.span(), None, format!("`[cachet] client_cert`: {why}"))
                })?,
        ),
        (Some(one), None) | (None, Some(one)) => {
            return Err(at.error(
                &one.span(),
                None,
                "`[cachet]` needs both `client_cert` and `client_key`, or neither".to_owned(),
            ));
        }
    };
    let proxy =
        match cachet.proxy {
            Some(proxy) => Some(crate::net::path::Proxy::parse(proxy.get_ref()).map_err(
                |why| at.value_error(proxy.span().start, &format!("`[cachet] proxy`: {why}")),
            )?),
            None => None,
        };
    Ok(CachetSettings {
        url,
        time_zone,
        client_cert,
        proxy,
        token_file: cachet.token_file.as_deref().map(|path| at.path(path)),
        api,
        notify_subscribers: cachet.notify_subscribers.unwrap_or(true),
    })
}

fn build_component(
    at: &Locator,
    name: &str,
    span: &std::ops::Range<usize>,
    raw: RawComponent,
    defaults: &Entries,
) -> Result<Component, ConfigError> {
    let table = format!("[components.{name}]");
    if name.is_empty() || !name.chars().all(super::is_name_char) {
        return Err(at.error(
            span,
            None,
            format!("component name `{name}` may hold only letters, digits, `-`, `_` and `.`"),
        ));
    }
    let target = target(at, span, &table, raw.id, raw.cachet_name)?;
    if raw.checks.is_empty() && raw.monit_service.is_none() {
        return Err(at.error(
            span,
            None,
            format!(
                "`{table}` has no checks: add a `[[components.{name}.checks]]` table (or `monit_service` when Monit drives it)"
            ),
        ));
    }
    let (monit_service, monit_status) =
        monit(at, span, &table, raw.monit_service, raw.monit_status)?;
    let witnesses = super::truth::witnesses(at, raw.witnesses, &format!("`{table}`"))?;
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
    for (key, value) in [
        ("confirm", raw.confirm),
        ("confirm_recovery", raw.confirm_recovery),
    ] {
        if value == Some(0) {
            return Err(at.error(
                span,
                Some(key),
                format!("`{key}` in `{table}` must be at least 1 (1 pushes at once)"),
            ));
        }
    }
    let quorum = match raw.quorum {
        Some(votes) if *votes.get_ref() == 0 => {
            return Err(at.error(
                &votes.span(),
                Some("quorum"),
                format!("`quorum` in `{table}` must be at least 1 (the votes that decide)"),
            ));
        }
        Some(_) if raw.confirm.unwrap_or(1) > 1 || raw.confirm_recovery.unwrap_or(1) > 1 => {
            return Err(at.error(
                span,
                Some("quorum"),
                format!(
                    "`confirm` and `confirm_recovery` do not apply with `quorum` in `{table}`: the votes of the other hosts are the damping; drop one"
                ),
            ));
        }
        Some(votes) => Some(super::Quorum {
            votes: votes.into_inner(),
            ttl: raw.vote_ttl.map(|ttl| ttl.0),
        }),
        None if raw.vote_ttl.is_some() => {
            return Err(at.error(
                span,
                Some("vote_ttl"),
                format!("`vote_ttl` in `{table}` applies with `quorum`: add `quorum = 2`"),
            ));
        }
        None => None,
    };
    Ok(Component {
        name: name.to_owned(),
        target,
        confirm: raw.confirm.unwrap_or(1),
        confirm_recovery: raw.confirm_recovery.unwrap_or(1),
        quorum,
        witnesses: witnesses.unwrap_or_default(),
        depends_on: Vec::new(),
        maintenance: match raw.maintenance {
            Some(raw) => {
                let span = raw.span();
                super::truth::windows(at, &span, raw.into_inner(), &format!("`{table}`"))?
            }
            None => Vec::new(),
        },
        metric: raw.metric,
        incident: incident(at, span, &table, raw.incident)?,
        monit_service,
        monit_status,
        checks,
    })
}

/// `id` or `cachet_name`: exactly one.
fn target(
    at: &Locator,
    span: &std::ops::Range<usize>,
    table: &str,
    id: Option<u64>,
    cachet_name: Option<String>,
) -> Result<Target, ConfigError> {
    match (id, cachet_name) {
        (Some(id), None) => Ok(Target::Id(id)),
        (None, Some(cachet_name)) if !cachet_name.trim().is_empty() => {
            Ok(Target::Name(cachet_name))
        }
        (None, Some(_)) => Err(at.error(
            span,
            Some("cachet_name"),
            format!("`cachet_name` in `{table}` is empty"),
        )),
        (Some(_), Some(_)) => Err(at.error(
            span,
            Some("cachet_name"),
            format!("`{table}` sets both `id` and `cachet_name`: keep one"),
        )),
        (None, None) => Err(at.error(
            span,
            None,
            format!("`{table}` needs `id = N` (the Cachet component id) or `cachet_name = \"…\"`"),
        )),
    }
}

/// `monit_service` and `monit_status` (SPEC §8).
fn monit(
    at: &Locator,
    span: &std::ops::Range<usize>,
    table: &str,
    service: Option<String>,
    status: Option<String>,
) -> Result<(Option<String>, Status), ConfigError> {
    if service
        .as_ref()
        .is_some_and(|service| service.trim().is_empty())
    {
        return Err(at.error(
            span,
            Some("monit_service"),
            format!("`monit_service` in `{table}` is empty: give the name of the Monit service (`check host NAME …`)"),
        ));
    }
    let status = match status.as_deref().map(Status::parse) {
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
    Ok((service, status))
}

/// `incident = { name, message, visible, notify }` (SPEC §6).
fn incident(
    at: &Locator,
    span: &std::ops::Range<usize>,
    table: &str,
    raw: Option<RawIncident>,
) -> Result<Option<IncidentSpec>, ConfigError> {
    match raw {
        Some(incident) if incident.name.trim().is_empty() => Err(at.error(
            span,
            Some("incident"),
            format!("`incident` in `{table}` needs a `name`, e.g. `incident = {{ name = \"API degraded\" }}`"),
        )),
        Some(incident) => Ok(Some(IncidentSpec {
            name: incident.name,
            message: incident.message,
            visible: incident.visible.unwrap_or(true),
            notify: incident.notify.unwrap_or(true),
        })),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
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
        assert_eq!(check.kind, "http");
        assert_eq!(check.probe.expects().as_deref(), Some("expect 200-299"));
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

    // The first thing to fix comes first: a key no check takes, then the `type`, then a key of
    // another kind.
    #[test]
    fn a_check_with_several_mistakes_names_them_in_order() {
        let unknown_and_bad_type =
            MINIMAL.replace("type = \"http\"", "type = \"htp\"\n  timout = \"1s\"");
        assert!(
            error(&unknown_and_bad_type).contains("unknown key `timout`"),
            "{}",
            error(&unknown_and_bad_type)
        );
        let bad_type_and_other_kind =
            MINIMAL.replace("type = \"http\"", "type = \"htp\"\n  command = [\"x\"]");
        assert!(
            error(&bad_type_and_other_kind).contains("`type`: unknown value `htp`"),
            "{}",
            error(&bad_type_and_other_kind)
        );
        let no_type = MINIMAL.replace("  type = \"http\"\n", "");
        assert!(
            error(&no_type).contains("has no `type`"),
            "{}",
            error(&no_type)
        );
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
            assert_eq!(crate::config::holds_credentials(source), holds, "{source}");
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
        assert_eq!(checks[0].probe.expects().as_deref(), Some("expect 200-399"));
    }

    // `[defaults]` is checked whole, even for keys no check of this config takes.
    #[test]
    fn defaults_are_checked_key_by_key() {
        let tcp_only = "[components.db]\nid = 1\n[[components.db.checks]]\ntype = \"tcp\"\naddress = \"h:1\"\n";
        let message = error(&format!(
            "[defaults]\nexpect_status = [\"20x\"]\n{tcp_only}"
        ));
        assert!(message.starts_with("test.toml:2:17: "), "{message}");
        assert!(message.contains("not an HTTP status"), "{message}");
        assert_eq!(
            error(&format!("[defaults]\ntimout = \"1s\"\n{tcp_only}")),
            "test.toml:2:1: unknown key `timout` in `[defaults]`, did you mean `timeout`?"
        );
        assert_eq!(
            error(&format!("[defaults]\ntype = \"tcp\"\n{tcp_only}")),
            "test.toml:2:1: `type` cannot be set in `[defaults]`: set it on each check"
        );
        let message = error(&MINIMAL.replace("\"http\"", "\"htp\""));
        assert!(
            message.starts_with(
                "test.toml:5:10: `type`: unknown value `htp`, expected one of `http`, `tcp`"
            ),
            "{message}"
        );
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
    fn the_api_line_is_auto_or_one_of_the_lines() {
        let config = |api: &str| parse("t.toml", &format!("[cachet]\napi = \"{api}\"\n{MINIMAL}"));
        assert!(config("auto").unwrap().cachet.api.is_none());
        assert_eq!(
            config("3").unwrap().cachet.api.map(|line| line.word()),
            Some("3")
        );
        assert_eq!(
            config("4").unwrap_err().to_string(),
            "t.toml:2:7: `api`: unknown value `4`, expected one of `auto`, `2`, `3`"
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
