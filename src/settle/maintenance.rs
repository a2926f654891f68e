//! Maintenance (SPEC §10): while a component is in maintenance, its checks run and are
//! reported, but no status worse than Cachet's is pushed and no incident is opened; the exit
//! code stays that of the checks. A component is in maintenance while one of its config windows
//! is open (read here, without Cachet), while its `meta` holds an unexpired marker written by
//! `maintenance start`, or (3.x) while a schedule that lists it is in progress.

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cachet::{Client, RemoteComponent, RemoteSchedule};
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

/// The marker `maintenance start` leaves in a component's `meta` (`cachet_check.maintenance`),
/// seen by every host's runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// Unix seconds.
    pub until: i64,
    pub message: String,
    /// The schedule created with it (ended with it on 2.4, where the client sets its status).
    #[serde(default)]
    pub schedule: Option<u64>,
}

/// The key of the marker under `meta.cachet_check`.
pub const MARKER: &str = "maintenance";

/// The marker in `meta`, if any.
pub fn marker_in(meta: &Value) -> Option<Marker> {
    serde_json::from_value(meta.get("cachet_check")?.get(MARKER)?.clone()).ok()
}

/// "until 2026-11-29T03:00:00Z (`maintenance start`: Deploying 4.2)".
pub fn describe_marker(marker: &Marker) -> String {
    let until = Timestamp::from_second(marker.until).map_or_else(|_| marker.until.to_string(), utc);
    format!("until {until} (`maintenance start`: {})", marker.message)
}

/// What the server says of `remote` being in maintenance now: an unexpired marker in its
/// `meta` (2.4 shows it in every answer: no request), or (3.x) a schedule in progress that
/// lists it — `maintenance start` creates one there, and reading the schedules once costs one
/// request where reading each component's `meta` would cost one per component, too many under
/// 3.x's 60 requests a minute. Asked only when a component is about to be pushed worse.
pub fn on_server(
    client: &Client,
    remote: &RemoteComponent,
    schedules: &OnceLock<Vec<RemoteSchedule>>,
    now: Timestamp,
) -> Option<String> {
    if let Some(marker) = remote.meta.as_ref().and_then(marker_in)
        && marker.until > now.as_second()
    {
        return Some(describe_marker(&marker));
    }
    if !client.dialect().schedules_list_components() {
        return None;
    }
    let schedules = schedules.get_or_init(|| client.open_schedules().unwrap_or_default());
    schedules
        .iter()
        .find(|schedule| schedule.status == 1 && schedule.components.contains(&remote.id))
        .map(|schedule| {
            format!(
                "until {} (Cachet schedule #{}: {})",
                schedule.ends.as_deref().unwrap_or("its end"),
                schedule.id,
                schedule.name
            )
        })
}

/// Why `component` is held as in maintenance because a parent it depends on is (SPEC §10): the
/// parent's config window, its marker, or (3.x) its schedule. A database stopped for planned
/// work does not make its dependents publish outages. `all` are the configured components.
pub fn of_parents(
    component: &Component,
    all: &[Component],
    client: &Client,
    schedules: &OnceLock<Vec<RemoteSchedule>>,
    now: Timestamp,
) -> Option<String> {
    component.depends_on.iter().find_map(|name| {
        let parent = all.iter().find(|c| &c.name == name)?;
        let why = match of_windows(parent, now) {
            Some((until, window)) => describe(until, &format!("config window {window}")),
            None => {
                let remote = super::dependencies::remote_of(parent, client)?;
                on_server(client, &remote, schedules, now)?
            }
        };
        Some(format!("of {name} {why}"))
    })
}

/// Ends what an expired marker left behind: its schedule (2.4 sets no end of its own to a
/// schedule's status) and the marker itself. Any host's run does it, so that every window
/// ends by itself. What cannot be done is a warning: the next run tries again.
pub fn tidy(
    client: &Client,
    remote: &RemoteComponent,
    meta: &Value,
    zone: &TimeZone,
    now: Timestamp,
) {
    let Some(marker) = marker_in(meta).filter(|marker| marker.until <= now.as_second()) else {
        return;
    };
    // A 3.x schedule ends at its `completed_at` by itself; a 2.4 one only when told.
    if let Some(id) = marker
        .schedule
        .filter(|_| !client.dialect().schedules_list_components())
        && let Err(error) = client.end_schedule(id, zone)
    {
        crate::stderr::warn(format_args!(
            "the maintenance schedule #{id} of `{}` is over but could not be ended: {error}",
            remote.name
        ));
        return;
    }
    let kept = meta.as_object().cloned().unwrap_or_default();
    if let Err(error) = client.write_ours(remote, kept, MARKER, None) {
        crate::stderr::warn(format_args!(
            "the expired maintenance marker of `{}` could not be cleared: {error}",
            remote.name
        ));
    }
}
