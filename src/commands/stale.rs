//! `cachet-check stale --older-than D [COMPONENT...]` (SPEC §11): run from a host of its own,
//! it marks Unknown (2.x 0, 3.x 5) each component no host has run for longer than D — by the
//! run stamps and votes every host leaves in the component's `meta` — so that a page whose
//! checkers stopped does not stay green. The next run of a checker restores the status it
//! computes.

use std::time::Duration;

use anyhow::{Result, bail};

use super::{endpoint, load_optional_config, resolve};
use crate::cachet::{Client, Meta, RemoteComponent};
use crate::cli::GlobalArgs;
use crate::config::Target;
use crate::deadline::{Deadline, format_age, unix_now};
use crate::output::{Printer, StaleLine, Staleness};
use crate::settle::votes::stamps_in;

pub fn stale(
    global: &GlobalArgs,
    older_than: Duration,
    names: &[String],
    printer: Printer,
) -> Result<Staleness> {
    let deadline = Deadline::after(global.timeout);
    let config = load_optional_config(global)?;
    let targets: Vec<(String, Target)> = if names.is_empty() {
        let Some(config) = &config else {
            bail!(
                "name the components to look at, or give a config (-c FILE) whose components to look at"
            );
        };
        config
            .components
            .iter()
            .map(|c| (c.name.clone(), c.target.clone()))
            .collect()
    } else {
        names
            .iter()
            .map(
                |name| match config.as_ref().and_then(|config| config.find(name)) {
                    Some(c) => (c.name.clone(), c.target.clone()),
                    None => (name.clone(), Target::named(name)),
                },
            )
            .collect()
    };
    let endpoint = endpoint(global, config.as_ref(), !global.dry_run)?;
    let client = Client::connect(endpoint, printer.trace(), deadline, None)?;
    let limit = i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX);
    let mut staleness = Staleness {
        components: Vec::new(),
        errors: Vec::new(),
    };
    for (name, target) in targets {
        match look(&client, &name, &target, limit, global.dry_run) {
            Ok(line) => staleness.components.push(line),
            Err(error) => staleness.errors.push(format!("{name}: {error:#}")),
        }
    }
    Ok(staleness)
}

/// One component: its newest stamp, and Unknown pushed when it is older than `limit` seconds.
fn look(
    client: &Client,
    name: &str,
    target: &Target,
    limit: i64,
    dry_run: bool,
) -> Result<StaleLine> {
    let remote = resolve(client, target)?;
    let meta = match client.read_meta(remote.id)? {
        Meta::Kept(meta) => meta,
        Meta::NotKept(why) => bail!(
            "`stale` reads the run stamps hosts leave in component `meta`, and this server keeps none ({why})"
        ),
    };
    let now = unix_now();
    let newest = stamps_in(&meta).into_iter().max_by_key(|(_, at)| *at);
    let age = newest.as_ref().map(|(_, at)| now.saturating_sub(*at));
    let fresh = age.is_some_and(|age| age <= limit);
    let last = match (&newest, age) {
        (Some((vantage, _)), Some(age)) => format!("last run {} ago ({vantage})", format_age(age)),
        _ => "never stamped (hosts stamp their runs once they name a `vantage`)".to_owned(),
    };
    let detail = if fresh {
        format!("{last}: fresh")
    } else {
        format!(
            "{last}, older than {}: {}",
            format_age(limit),
            mark(client, &remote, dry_run)?
        )
    };
    Ok(StaleLine {
        component: name.to_owned(),
        last_vantage: newest.map(|(vantage, _)| vantage),
        age_s: age,
        stale: !fresh,
        detail,
    })
}

fn mark(client: &Client, remote: &RemoteComponent, dry_run: bool) -> Result<&'static str> {
    if remote.status == client.unknown_id() {
        return Ok("already unknown");
    }
    if dry_run {
        return Ok("would be marked unknown (dry run)");
    }
    client.set_unknown(remote)?;
    Ok("marked unknown")
}
