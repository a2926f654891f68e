//! `cachet-check doctor`: checks the setup in order and says what to fix at each step.

use anyhow::Result;

use super::{endpoint, load_config, problems, resolve_all};
use crate::cachet::{CachetError, Client, MetaSupport, RemoteComponent};
use crate::cli::GlobalArgs;
use crate::config::{Component, Config};
use crate::deadline::Deadline;
use crate::output::{Checkup, Level, Printer, Step};
use crate::secret::redact_url;
use crate::state::StateDir;
use crate::text::plural;

/// Runs the steps, in order.
pub fn doctor(global: &GlobalArgs, printer: Printer) -> Checkup {
    Checkup::new(steps(global, printer))
}

fn steps(global: &GlobalArgs, printer: Printer) -> Vec<Step> {
    let config = match load_config(global) {
        Ok(config) => config,
        Err(error) => return vec![Step::new("config", Level::Fail, format!("{error:#}"))],
    };
    let checks: usize = config.components.iter().map(|c| c.checks.len()).sum();
    let mut steps = vec![Step::new(
        "config",
        Level::Ok,
        format!(
            "`{}` is valid ({}, {})",
            config.file,
            plural(config.components.len(), "component"),
            plural(checks, "check")
        ),
    )];
    for problem in problems(&config) {
        steps.push(Step::new("check", Level::Fail, problem));
    }
    let deadline = Deadline::after(global.timeout);
    match server(global, &config, printer, deadline) {
        Ok((client, detail)) => {
            steps.push(Step::new("server", Level::Ok, detail));
            steps.extend(cachet_steps(&config, &client));
        }
        Err(detail) => steps.push(Step::new("server", Level::Fail, detail)),
    }
    steps.extend(state_step(&config));
    steps
}

/// What Cachet says of this config: its version, the token, the abilities it needs, component
/// meta, each component and metric, and the requests a run makes.
fn cachet_steps(config: &Config, client: &Client) -> Vec<Step> {
    let version = client
        .version()
        .unwrap_or_else(|| "version not reported".to_owned());
    let line = client.dialect().title();
    let mut steps = vec![Step::new(
        "version",
        Level::Ok,
        format!("Cachet {line}, {version}"),
    )];
    // Each component is looked up once: the token's check (3.x) needs one that exists.
    let targets: Vec<_> = config.components.iter().map(|c| c.target.clone()).collect();
    let remotes = resolve_all(client, &targets, 1);
    let first = remotes.iter().find_map(|remote| remote.as_ref().ok());
    steps.push(token_step(client, first));
    steps.extend(abilities_step(config, client));
    if let Some(first) = first {
        steps.push(meta_step(config, client, first));
    }
    let many_hosts = config.vantage.is_some()
        || config.stamp_every.is_some()
        || config.components.iter().any(|c| c.quorum.is_some());
    for (component, remote) in config.components.iter().zip(&remotes) {
        steps.extend(component_steps(component, remote, client));
        if let (true, Ok(remote)) = (many_hosts, remote) {
            steps.extend(stamps_step(component, remote, client));
        }
    }
    steps.push(Step::new(
        "requests",
        Level::Note,
        request_budget(config, client),
    ));
    steps
}

/// The token: reads accept any token (cachet-api.md §5.10), so a write is what tells.
fn token_step(client: &Client, first: Option<&RemoteComponent>) -> Step {
    if !client.has_token() {
        return Step::new(
            "token",
            Level::Fail,
            "no token: set CACHET_TOKEN, pass --token-file FILE, or set `token_file` in `[cachet]`"
                .to_owned(),
        );
    }
    let (level, detail) = match client.check_token(first) {
        Some(result) => token_verdict(result),
        None => (
            Level::Note,
            "not verified: on 3.x it takes a configured component that exists (see below)"
                .to_owned(),
        ),
    };
    Step::new("token", level, detail)
}

/// The abilities this config needs of a token that has them (3.x).
fn abilities_step(config: &Config, client: &Client) -> Option<Step> {
    if !client.dialect().has_abilities() {
        return None;
    }
    let mut needed = vec!["components.manage (checked above)"];
    if config.components.iter().any(|c| c.incident.is_some()) {
        needed.push("incidents.manage, incident-updates.manage");
    }
    if config.components.iter().any(|c| c.metric.is_some()) {
        needed.push("metric-points.manage");
    }
    Some(Step::new(
        "abilities",
        Level::Note,
        format!(
            "this config needs {}; only the first can be checked without writing: a key made with no ability ticked has them all",
            needed.join(", ")
        ),
    ))
}

fn meta_step(config: &Config, client: &Client, first: &RemoteComponent) -> Step {
    let voting: Vec<&str> = config
        .components
        .iter()
        .filter(|c| c.quorum.is_some())
        .map(|c| c.name.as_str())
        .collect();
    let (level, detail) = match client.meta_support(first) {
        Ok(MetaSupport::NotKept(why)) if !voting.is_empty() => (
            Level::Fail,
            format!(
                "this server keeps no component meta: {why}; `quorum` (on {}) cannot work here: give each host its own components instead",
                voting.join(", ")
            ),
        ),
        Ok(MetaSupport::Kept) => (
            Level::Ok,
            "this server keeps component meta (maintenance markers, quorum votes, stamps)"
                .to_owned(),
        ),
        Ok(MetaSupport::NotKept(why)) => (
            Level::Note,
            format!(
                "this server keeps no component meta: {why}; maintenance markers, quorum and stale stamps cannot work here (on 3.x maintenance uses Cachet's schedules)"
            ),
        ),
        Err(error) => (Level::Note, format!("could not tell: {error}")),
    };
    Step::new("meta", level, detail)
}

/// When each host last ran the component, by the stamps and votes in its `meta` (SPEC §11).
fn stamps_step(component: &Component, remote: &RemoteComponent, client: &Client) -> Option<Step> {
    let meta = match client.read_meta(remote.id) {
        Ok(crate::cachet::Meta::Kept(meta)) => meta,
        _ => return None,
    };
    let stamps = crate::settle::votes::stamps_in(&meta);
    let now = crate::deadline::unix_now();
    let detail = if stamps.is_empty() {
        format!("`{}`: no host has stamped a run yet", component.name)
    } else {
        let runs: Vec<String> = stamps
            .iter()
            .map(|(vantage, at)| {
                format!(
                    "{vantage} {} ago",
                    crate::deadline::format_age(now.saturating_sub(*at))
                )
            })
            .collect();
        format!("`{}` last run by: {}", component.name, runs.join(", "))
    };
    Some(Step::new("stamps", Level::Note, detail))
}

/// The component as Cachet shows it, and its metric.
fn component_steps(
    component: &Component,
    remote: &Result<RemoteComponent, CachetError>,
    client: &Client,
) -> Vec<Step> {
    let mut steps = vec![match remote {
        Ok(remote) => Step::new(
            "component",
            Level::Ok,
            format!(
                "`{}` is Cachet component #{} \"{}\" ({})",
                component.name,
                remote.id,
                remote.name,
                remote.status_word().replace('_', " ")
            ),
        ),
        Err(error) => Step::new(
            "component",
            Level::Fail,
            format!("`{}`: {error}", component.name),
        ),
    }];
    if let Some(metric) = component.metric {
        let (level, detail) = match client.metric_threshold(metric) {
            // 3.x merges a point within `threshold` minutes of the latest into it and
            // keeps the first value: a slow run would never show.
            Ok(Some(threshold)) if client.dialect().merges_points() && threshold > 1 => (
                Level::Note,
                format!(
                    "`{}` reports to metric {metric}, whose threshold is {threshold} minutes: Cachet 3.x merges every point within {threshold} minutes of the latest into it and discards its value, so runs a minute apart show one value in {threshold}; set the metric's threshold to 1 minute",
                    component.name
                ),
            ),
            Ok(_) => (
                Level::Ok,
                format!("`{}` reports to metric {metric}", component.name),
            ),
            Err(error) => (Level::Fail, format!("`{}`: {error}", component.name)),
        };
        steps.push(Step::new("metric", level, detail));
    }
    steps
}

/// What a run of this config costs in requests, beside the limit the server announced: 3.x
/// apps allow 60 a minute per key (cachet-api.md, "Observed on real servers").
fn request_budget(config: &Config, client: &Client) -> String {
    let components = config.components.iter().filter(|c| !c.checks.is_empty());
    let count = components.clone().count();
    let with_incident = components.clone().filter(|c| c.incident.is_some()).count();
    let with_metric = components.clone().filter(|c| c.metric.is_some()).count();
    let quiet = client.dialect().reads_per_run(count, with_incident) + with_metric;
    // Every component changing: its write, and its incident opened (with a re-read) or resolved.
    let busy = quiet + count + 2 * with_incident;
    let limit = match client.rate_limit() {
        Some(limit) => format!("Cachet allows {limit} requests a minute to this key"),
        None => "Cachet announced no rate limit".to_owned(),
    };
    let mut text = format!(
        "{limit}; a run of this config makes about {quiet} when no status changes, up to {busy} when every component changes at once"
    );
    if client.rate_limit().is_some_and(|limit| busy as u64 > limit) {
        text.push_str(": past the limit, Cachet answers 429 and what it refused is done by the next run; split the components over several keys or runs");
    }
    text
}

fn token_verdict(result: Result<(), CachetError>) -> (Level, String) {
    match result {
        Ok(()) => (Level::Ok, "Cachet accepts it for writes".to_owned()),
        Err(CachetError::Unauthorized { .. }) => (
            Level::Fail,
            "Cachet refused it (HTTP 401): use an API key from Cachet's dashboard (2.x: your profile's API token; 3.x: Manage API Keys), not expired".to_owned(),
        ),
        Err(error) => (Level::Fail, error.to_string()),
    }
}

/// Connects; the error says what to fix.
fn server(
    global: &GlobalArgs,
    config: &Config,
    printer: Printer,
    deadline: Deadline,
) -> Result<(Client, String), String> {
    let endpoint = endpoint(global, Some(config), false).map_err(|error| format!("{error:#}"))?;
    let url = redact_url(&endpoint.url);
    let client = Client::connect(endpoint, printer.trace(), deadline, None)
        .map_err(|error| error.to_string())?;
    Ok((client, format!("{url} answers like Cachet")))
}

fn state_step(config: &Config) -> Option<Step> {
    let (level, detail) = match StateDir::locate(config.state_dir.as_deref()) {
        Ok(dir) => (Level::Ok, format!("`{}` is writable", dir.path.display())),
        Err(error) => (Level::Fail, format!("{error:#}")),
    };
    Some(Step {
        name: "state dir",
        level,
        detail,
    })
}
