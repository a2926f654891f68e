//! The latency metric point of a run (SPEC §6), delivered with the spooled ones before it, or
//! kept in the spool while Cachet cannot take it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock, TryLockError};
use std::time::{Duration, Instant};

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

/// Held (shared) from a point's POST until what came of it is noted: SIGINT and SIGTERM wait
/// a moment for the points in flight (`wait_for_deliveries`), so that none is sent twice.
static DELIVERING: RwLock<()> = RwLock::new(());

/// Set when the process is about to end: no further point is posted.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// Waits up to `at_most` for the points being posted to be noted, and keeps any more from
/// starting until the process ends.
pub fn wait_for_deliveries(at_most: Duration) {
    STOPPING.store(true, Ordering::SeqCst);
    let until = Instant::now() + at_most;
    loop {
        match DELIVERING.try_write() {
            Ok(held) => {
                // Held until the process exits: no new point goes out.
                std::mem::forget(held);
                return;
            }
            Err(TryLockError::Poisoned(poisoned)) => {
                std::mem::forget(poisoned.into_inner());
                return;
            }
            Err(TryLockError::WouldBlock) if Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(TryLockError::WouldBlock) => return,
        }
    }
}

/// Delivers the spooled points, oldest first, then this run's; what cannot be delivered now
/// stays in the spool. Without a client (Cachet unreachable) everything is spooled. Each
/// spooled point done with (delivered, or refused for good) is noted at once with `note`, so
/// that a run stopped half-way through a backlog does not send it again.
pub fn deliver(
    client: Option<&Client>,
    point: Point,
    state: &mut ComponentState,
    unreachable: Option<String>,
    note: &dyn Fn(&Point),
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
    let points = std::mem::take(&mut state.points);
    // The run's own point is last, and in no file yet: only those before it need noting.
    let spooled = points.len() - 1;
    for (index, point) in points.into_iter().enumerate() {
        if report.refused {
            report.dropped += 1;
            continue;
        }
        if stopped || STOPPING.load(Ordering::SeqCst) {
            kept.push(point);
            continue;
        }
        let _delivering = DELIVERING.read().unwrap_or_else(PoisonError::into_inner);
        let before = report.delivered + report.dropped;
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
                continue;
            }
        }
        if index < spooled && report.delivered + report.dropped > before {
            note(&point);
        }
    }
    state.points = kept;
    report.spooled = state.points.len();
    report
}
