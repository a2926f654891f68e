//! What a run does for a component after its checks (SPEC §4, §6): `confirm` damping, the
//! incident, and the latency point with its spool.

use crate::cachet::{
    CachetError, Client, IncidentStatus, NewIncident, PointFate, RemoteComponent, RemoteIncident,
};
use crate::config::{Component, IncidentSpec};
use crate::output::{ComponentReport, MetricReport};
use crate::state::{ComponentState, Point};
use crate::status::{OutcomeKind, Status};

/// `confirm`: whether a status worse than Cachet's may be pushed yet. Counts the runs that
/// computed a worse status; returns why the push waits, or `None` to push.
pub fn damp(
    confirm: u32,
    state: &mut ComponentState,
    computed: Status,
    shown: &RemoteComponent,
) -> Option<String> {
    // Cachet's own states (unknown, under maintenance) rank with operational.
    let shown_status = Status::from_id(shown.status).unwrap_or(Status::Operational);
    if computed <= shown_status {
        state.worse_runs = 0;
        return None;
    }
    state.worse_runs = state.worse_runs.saturating_add(1);
    if state.worse_runs >= confirm {
        state.worse_runs = 0;
        return None;
    }
    Some(format!(
        "{} of {confirm} runs computed {} (confirm = {confirm}); Cachet keeps showing {}",
        state.worse_runs,
        computed.label(),
        shown.status_word().replace('_', " ")
    ))
}

/// Opens, updates or resolves the component's incident so that it follows `now`, the status
/// Cachet shows after this run; `before` is what it showed before. Returns what was done.
pub fn follow_incident(
    client: &Client,
    spec: &IncidentSpec,
    remote: &RemoteComponent,
    before: u64,
    now: Status,
    report: &ComponentReport,
    state: &mut ComponentState,
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
        (_, None) => {
            let (text, id) = open_incident(client, spec, remote, now, report)?;
            (Some(text), Some(id))
        }
        (_, Some(incident)) if before != u64::from(now.id()) => {
            client.update_incident(
                incident,
                IncidentStatus::Investigating,
                &failures(report, true),
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
) -> Result<(String, u64), CachetError> {
    let message = match &spec.message {
        Some(message) => format!("{message}\n\n{}", failures(report, false)),
        None => failures(report, false),
    };
    let new = NewIncident {
        name: &spec.name,
        message: &message,
        component: remote.id,
        status: now,
        visible: spec.visible,
        notify: spec.notify,
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

/// "api has a partial outage: health endpoint: HTTP 503, expected 200-299; db: connection
/// refused." — with `now`, "api now has …", for an update.
fn failures(report: &ComponentReport, now: bool) -> String {
    let predicate = if now {
        format!("now {}", report.status.predicate())
    } else {
        report.status.predicate().to_owned()
    };
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|check| check.outcome != OutcomeKind::Pass)
        .map(|check| format!("{}: {}", check.name, check.detail))
        .collect();
    if failed.is_empty() {
        format!("{} {predicate}.", report.name)
    } else {
        format!("{} {predicate}: {}.", report.name, failed.join("; "))
    }
}

/// The run's latency point for `component`: the slowest of its checks, in milliseconds.
pub fn latency_point(
    component: &Component,
    report: &ComponentReport,
    started: i64,
) -> Option<Point> {
    let metric = component.metric?;
    let slowest = report
        .checks
        .iter()
        .map(|check| check.duration_ms)
        .fold(0.0, f64::max);
    Some(Point {
        metric,
        value: (slowest * 10.0).round() / 10.0,
        timestamp: started,
    })
}

/// Delivers the spooled points, oldest first, then this run's; what cannot be delivered now
/// stays in the spool. Without a client (Cachet unreachable) everything is spooled.
pub fn deliver_points(
    client: Option<&Client>,
    point: Point,
    state: &mut ComponentState,
    unreachable: Option<String>,
) -> MetricReport {
    let mut report = MetricReport {
        id: point.metric,
        value: point.value,
        ..MetricReport::default()
    };
    report.dropped = state.spool([point]);
    let Some(client) = client else {
        report.spooled = state.points.len();
        report.error = unreachable;
        return report;
    };
    let mut kept = Vec::new();
    let mut stopped = false;
    for point in std::mem::take(&mut state.points) {
        if report.refused {
            report.dropped += 1;
            continue;
        }
        if stopped {
            kept.push(point);
            continue;
        }
        match client.post_point(&point) {
            Ok(PointFate::Stored) => report.delivered += 1,
            Ok(PointFate::Merged) => {
                report.delivered += 1;
                report.merged += 1;
            }
            // The key may not post points: a configuration to fix, not an outage to wait out.
            // Nothing is kept for a server that will never take it.
            Err(error @ CachetError::Forbidden { .. }) => {
                report.refused = true;
                report.dropped += 1;
                report.error = Some(error.to_string());
            }
            // Cachet will never take this point (a metric that does not exist, a value it
            // rejects): keeping it would block the spool for good.
            Err(error @ (CachetError::NotFound { .. } | CachetError::Rejected { .. })) => {
                report.dropped += 1;
                report.error = Some(error.to_string());
            }
            Err(error) => {
                // An outage, a token to fix: keep this point and the later ones, in order.
                report.error = Some(error.to_string());
                kept.push(point);
                stopped = true;
            }
        }
    }
    state.points = kept;
    report.spooled = state.points.len();
    report
}

#[cfg(test)]
mod tests {
    use super::damp;
    use crate::cachet::RemoteComponent;
    use crate::state::ComponentState;
    use crate::status::Status;

    fn shown(status: u64) -> RemoteComponent {
        RemoteComponent {
            id: 2,
            name: "API".to_owned(),
            status,
            enabled: true,
        }
    }

    #[test]
    fn a_worse_status_waits_for_confirm_runs_and_recovery_is_at_once() {
        let mut state = ComponentState::new("api");
        let held = damp(3, &mut state, Status::PartialOutage, &shown(1));
        assert_eq!(
            held.as_deref(),
            Some(
                "1 of 3 runs computed partial outage (confirm = 3); Cachet keeps showing operational"
            )
        );
        assert!(damp(3, &mut state, Status::MajorOutage, &shown(1)).is_some());
        assert_eq!(damp(3, &mut state, Status::PartialOutage, &shown(1)), None);
        assert_eq!(state.worse_runs, 0);
        // Recovery (or the same status) is pushed at once and resets the count.
        assert!(damp(3, &mut state, Status::MajorOutage, &shown(3)).is_some());
        assert_eq!(damp(3, &mut state, Status::Operational, &shown(3)), None);
        assert_eq!(state.worse_runs, 0);
        // confirm = 1 never waits; Cachet's "unknown" ranks with operational.
        assert_eq!(damp(1, &mut state, Status::MajorOutage, &shown(0)), None);
    }
}
