//! The component's incident (SPEC §6): opened when its status gets worse than operational,
//! updated when it changes, resolved when every check passes again.

use crate::cachet::{
    CachetError, Client, IncidentStatus, NewIncident, RemoteComponent, RemoteIncident,
};
use crate::config::IncidentSpec;
use crate::output::ComponentReport;
use crate::state::ComponentState;
use crate::status::{OutcomeKind, Status};

/// What the component's family says of its incident (`depends_on`, SPEC §10).
#[derive(Default)]
pub struct Family<'a> {
    /// Why it may not open one: a parent that is not operational.
    pub held_back: Option<String>,
    /// Its children that are not operational: (id, name, status).
    pub affected: &'a [(u64, String, Status)],
}

/// Opens, updates or resolves the component's incident so that it follows `now`, the status
/// Cachet shows after this run; `before` is what it showed before. Returns what was done.
pub fn follow(
    client: &Client,
    spec: &IncidentSpec,
    remote: &RemoteComponent,
    (before, now): (u64, Status),
    report: &ComponentReport,
    state: &mut ComponentState,
    family: &Family,
) -> Result<Option<String>, CachetError> {
    let open = client.open_incidents(remote.id, &spec.name, false)?;
    let (done, still_open) = match (now, open.first()) {
        (Status::Operational, None) => (None, None),
        (Status::Operational, Some(incident)) => {
            client.update_incident(
                incident,
                IncidentStatus::Fixed,
                "Resolved: every check passes again.",
                remote.id,
                Status::Operational,
                spec.visible,
            )?;
            (Some(format!("resolved #{}", incident.id)), None)
        }
        // Creation is suppressed while a parent is down; never an update or a resolution.
        (_, None) if family.held_back.is_some() => (family.held_back.clone(), None),
        (_, None) => {
            let (text, id) = open_incident(client, spec, remote, now, report, family)?;
            (Some(text), Some(id))
        }
        (_, Some(incident)) if before != u64::from(now.id()) => {
            client.update_incident(
                incident,
                IncidentStatus::Investigating,
                &format!("{}{}", failures(report, true), affected(family)),
                remote.id,
                now,
                spec.visible,
            )?;
            (Some(format!("updated #{}", incident.id)), Some(incident.id))
        }
        (_, Some(incident)) => (Some(format!("#{} open", incident.id)), Some(incident.id)),
    };
    state.incident = still_open;
    Ok(done)
}

/// Creates the incident. The POST goes out once; when its answer is lost, the server is read to
/// learn whether it happened. A race with another host that opened one too is settled by
/// keeping the older incident and deleting ours.
fn open_incident(
    client: &Client,
    spec: &IncidentSpec,
    remote: &RemoteComponent,
    now: Status,
    report: &ComponentReport,
    family: &Family,
) -> Result<(String, u64), CachetError> {
    let found = format!("{}{}", failures(report, false), affected(family));
    let message = match &spec.message {
        Some(message) => format!("{message}\n\n{found}"),
        None => found,
    };
    let also: Vec<(u64, Status)> = family
        .affected
        .iter()
        .map(|(id, _, status)| (*id, *status))
        .collect();
    let new = NewIncident {
        name: &spec.name,
        message: &message,
        component: remote.id,
        status: now,
        visible: spec.visible,
        notify: spec.notify,
        also: &also,
    };
    let created = match client.create_incident(&new) {
        Ok(id) => id,
        Err(error) if error.is_transient() => {
            // Did it happen? Only the server knows; the next run tries again if it did not.
            return match client.open_incidents(remote.id, &spec.name, true) {
                Ok(found) => match found.last() {
                    Some(incident) => Ok((format!("opened #{}", incident.id), incident.id)),
                    None => Err(error),
                },
                Err(_) => Err(error),
            };
        }
        Err(error) => return Err(error),
    };
    let open: Vec<RemoteIncident> = client.open_incidents(remote.id, &spec.name, true)?;
    match open.first() {
        Some(older) if older.id < created => {
            client.delete_incident(created)?;
            Ok((
                format!(
                    "#{} open (another run opened it at the same time)",
                    older.id
                ),
                older.id,
            ))
        }
        _ => Ok((format!("opened #{created}"), created)),
    }
}

/// " Also affected: web (partial outage), shop (major outage)." — or nothing.
fn affected(family: &Family) -> String {
    if family.affected.is_empty() {
        return String::new();
    }
    let named: Vec<String> = family
        .affected
        .iter()
        .map(|(_, name, status)| format!("{name} ({})", status.label()))
        .collect();
    format!(" Also affected: {}.", named.join(", "))
}

/// "api has a partial outage: health endpoint: HTTP 503, expected 200-299; db: connection
/// refused." — with `now`, "api now has …", for an update.
fn failures(report: &ComponentReport, now: bool) -> String {
    let predicate = report
        .status
        .map_or("could not be checked", Status::predicate);
    let predicate = if now {
        format!("now {predicate}")
    } else {
        predicate.to_owned()
    };
    let failed: Vec<String> = report
        .checks
        .iter()
        // What could not be judged is this host's business, not the public's.
        .filter(|check| !matches!(check.outcome, OutcomeKind::Pass | OutcomeKind::Unknown))
        .map(|check| format!("{}: {}", check.name, check.detail))
        .collect();
    if failed.is_empty() {
        format!("{} {predicate}.", report.name)
    } else {
        format!("{} {predicate}: {}.", report.name, failed.join("; "))
    }
}
