//! Maintenance (SPEC §10): while a component is in maintenance, its checks run and are
//! reported, but no status worse than Cachet's is pushed and no incident is opened; the exit
//! code stays that of the checks. A component is in maintenance while one of its config windows
//! is open (read here, without Cachet), while its `meta` holds an unexpired marker written by
//! `maintenance start`, or (3.x) while a schedule that lists it is in progress.

use jiff::Timestamp;

use crate::config::Component;
use crate::status::Status;
use crate::window::utc;

/// Until when a config window keeps `component` in maintenance at `now`, and which one.
pub fn of_windows(component: &Component, now: Timestamp) -> Option<(Timestamp, String)> {
    component
        .maintenance
        .iter()
        .filter_map(|window| window.open_at(now).map(|end| (end, window.text.clone())))
        .max_by_key(|(end, _)| *end)
}

/// "until 2026-11-29T03:00:00Z (config window 0 3 * * sun for 2h (Europe/Berlin))".
pub fn describe(until: Timestamp, why: &str) -> String {
    format!("until {} ({why})", utc(until))
}

/// Why a status computed during maintenance is not pushed: it is worse than `shown`.
pub fn hold(maintenance: Option<&str>, computed: Status, shown: Status) -> Option<String> {
    let maintenance = maintenance?;
    (computed > shown).then(|| {
        format!(
            "{} not pushed: in maintenance {maintenance}",
            computed.label()
        )
    })
}
