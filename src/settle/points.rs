//! The latency metric point of a run (SPEC §6), delivered with the spooled ones before it, or
//! kept in the spool while Cachet cannot take it.

use crate::cachet::{CachetError, Client, PointFate};
use crate::config::Component;
use crate::output::{ComponentReport, MetricReport};
use crate::state::{ComponentState, Point};

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
pub fn deliver(
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
