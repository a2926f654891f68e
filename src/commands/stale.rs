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
    let mut seen = Vec::new();
    for (name, target) in targets {
        match newest_stamp(&client, &target) {
            Ok((remote, newest)) => seen.push((name, remote, newest)),
            Err(error) => staleness.errors.push(format!("{name}: {error:#}")),
        }
    }
    // With no stamp at all, a stopped checker and one that does not stamp look the same:
    // marking every component unknown would put a falsehood on a healthy page (SPEC §10).
    if !seen.is_empty() && seen.iter().all(|(_, _, newest)| newest.is_none()) {
        bail!(
            "no host has ever stamped a run of these components, so `stale` cannot tell a stopped checker from one that does not stamp; nothing was marked: give each checker a `vantage` (or --vantage) and a `stamp_every` above zero, and run `stale` once they have run"
        );
    }
    for (name, remote, newest) in seen {
        match look(&client, &name, &remote, newest, limit, global.dry_run) {
            Ok(line) => staleness.components.push(line),
            Err(error) => staleness.errors.push(format!("{name}: {error:#}")),
        }
    }
    Ok(staleness)
}

/// The component `target` names, and its newest run stamp (vantage, Unix seconds).
fn newest_stamp(
    client: &Client,
    target: &Target,
) -> Result<(RemoteComponent, Option<(String, i64)>)> {
    let remote = resolve(client, target)?;
    let meta = match client.read_meta(remote.id)? {
        Meta::Kept(meta) => meta,
        Meta::NotKept(why) => bail!(
            "`stale` reads the run stamps hosts leave in component `meta`, and this server keeps none ({why})"
        ),
    };
    let newest = stamps_in(&meta).into_iter().max_by_key(|(_, at)| *at);
    Ok((remote, newest))
}

/// One component: Unknown pushed when its newest stamp is older than `limit` seconds.
fn look(
    client: &Client,
    name: &str,
    remote: &RemoteComponent,
    newest: Option<(String, i64)>,
    limit: i64,
    dry_run: bool,
) -> Result<StaleLine> {
    let now = unix_now();
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
            mark(client, remote, dry_run)?
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
