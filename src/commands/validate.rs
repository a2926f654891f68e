//! `cachet-check validate`: check the config without touching the network, and print the plan.

use anyhow::Result;

use super::{load_config, problems, token, too_slow_for};
use crate::cli::GlobalArgs;
use crate::config::{Component, Target};
use crate::output::{CachetPlan, CheckPlan, ComponentPlan, IncidentPlan, Plan};
use crate::secret::redact_url;

/// The plan, and what keeps the config from running on this machine as it is.
pub fn validate(global: &GlobalArgs) -> Result<Plan> {
    let config = load_config(global)?;
    // Reading the token proves the file is there and not empty; its value is never shown. A
    // token that cannot be read here is reported, not fatal: configs are often validated on
    // another machine than the one that runs them.
    let token_source = match token(global, Some(&config)) {
        Err(error) => format!("NOT READABLE ({error:#}): `run` and `set` fail until it is"),
        Ok(None) => {
            "none (needed to push: set CACHET_TOKEN, --token-file or `token_file`)".to_owned()
        }
        Ok(Some((_, source))) => source,
    };
    let problems = problems(&config);
    Ok(Plan {
        config: config.file.clone(),
        valid: problems.is_empty(),
        cachet: CachetPlan {
            url: config.cachet.url.as_deref().map(redact_url),
            api: config.cachet.api.map_or("auto", |line| line.word()),
            notify_subscribers: config.cachet.notify_subscribers,
            token: token_source,
        },
        components: config.components.iter().map(component_plan).collect(),
        problems,
        warnings: too_slow_for(&config, global.timeout),
    })
}

fn component_plan(component: &Component) -> ComponentPlan {
    ComponentPlan {
        name: component.name.clone(),
        id: match component.target {
            Target::Id(id) => Some(id),
            Target::Name(_) => None,
        },
        cachet_name: match &component.target {
            Target::Name(name) => Some(name.clone()),
            Target::Id(_) => None,
        },
        confirm: component.confirm,
        confirm_recovery: component.confirm_recovery,
        quorum: component.quorum.map(|quorum| quorum.votes),
        maintenance: component
            .maintenance
            .iter()
            .map(|window| {
                let next = window.next_after(jiff::Timestamp::now());
                crate::output::WindowPlan {
                    window: window.text.clone(),
                    next_start: next.map(|(start, _)| crate::window::utc(start)),
                    next_end: next.map(|(_, end)| crate::window::utc(end)),
                    next_start_local: next.map(|(start, _)| window.local(start)),
                    next_end_local: next.map(|(_, end)| window.local(end)),
                }
            })
            .collect(),
        depends_on: component.depends_on.clone(),
        witnesses: component.witnesses.iter().map(|w| w.text()).collect(),
        metric: component.metric,
        incident: component.incident.as_ref().map(|incident| IncidentPlan {
            name: incident.name.clone(),
            visible: incident.visible,
            notify: incident.notify,
        }),
        monit_service: component.monit_service.clone(),
        monit_status: component
            .monit_service
            .as_ref()
            .map(|_| component.monit_status),
        checks: component
            .checks
            .iter()
            .map(|check| CheckPlan {
                name: check.name.clone(),
                kind: check.kind,
                target: check.probe.target(),
                timeout: check.timeout,
                slow_after: check.slow_after,
                on_failure: check.on_failure.word(),
                retries: check.retries,
                retry_delay: check.retry_delay,
                expects: check.probe.expects(),
                path: connection(check.probe.as_ref()),
                samples: check.samples,
            })
            .collect(),
    }
}

/// How a check connects, when it is not the system's path on a shared connection: its network
/// path (`ip`, `resolve`, `source_address`, `proxy`) and `fresh_connection`.
fn connection(probe: &dyn crate::check::Probe) -> Option<String> {
    let path = probe
        .endpoint()
        .and_then(|endpoint| endpoint.path.describe());
    let fresh = probe
        .web()
        .is_some_and(|(_, options)| options.fresh_connection)
        .then(|| "a connection of its own".to_owned());
    match (path, fresh) {
        (Some(path), Some(fresh)) => Some(format!("{path}, {fresh}")),
        (path, fresh) => path.or(fresh),
    }
}
