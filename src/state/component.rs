//! What is kept of one component between runs: damping counters, the open incident, an
//! undelivered Monit push, and the spool of metric points not yet delivered.

use std::fs;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{FORMAT, StateDir, Versioned, set_aside};

/// The most metric points kept for later delivery, per component; the oldest go first.
pub const SPOOL_CAP: usize = 10_000;

impl StateDir {
    /// The saved state of `component`, or a fresh one.
    /// Points a run delivered before it was stopped (`note_delivered`) are struck from the
    /// spool, and the state is saved so.
    pub fn component(&self, component: &str) -> ComponentState {
        let path = self.component_file(component, "json");
        let mut state = match self.read::<ComponentState>(&path) {
            Some(state) if state.component == component => state,
            Some(_) => {
                set_aside(&path, "it belongs to another component");
                ComponentState::new(component)
            }
            None => ComponentState::new(component),
        };
        let sent = self.component_file(component, "sent");
        if let Some(delivered) = self.read::<Delivered>(&sent) {
            if let Some(at) = state.points.iter().position(|p| *p == delivered.last) {
                state.points.drain(..=at);
                if let Err(error) = self.save_component(&state) {
                    crate::stderr::warn(format_args!("{error:#}"));
                }
            } else {
                let _ = fs::remove_file(&sent);
            }
        }
        state
    }

    pub fn save_component(&self, state: &ComponentState) -> Result<()> {
        self.write(&self.component_file(&state.component, "json"), state)?;
        // What a delivery marker said is in the state now.
        let _ = fs::remove_file(self.component_file(&state.component, "sent"));
        Ok(())
    }

    /// Notes that the spooled points of `component` up to `last` were delivered: a marker
    /// small enough to write after each point, so that a run killed while it delivers a
    /// backlog neither loses a point nor sends one twice (the next run strikes them).
    pub fn note_delivered(&self, component: &str, last: &Point) -> Result<()> {
        let delivered = Delivered {
            version: FORMAT,
            last: last.clone(),
        };
        self.write(&self.component_file(component, "sent"), &delivered)
    }
}

/// What is remembered of one component between runs.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ComponentState {
    pub version: u32,
    pub component: String,
    /// Consecutive runs that computed a status worse than Cachet shows (`confirm`).
    #[serde(default)]
    pub worse_runs: u32,
    /// Consecutive runs that computed a status better than Cachet shows (`confirm_recovery`).
    #[serde(default)]
    pub better_runs: u32,
    /// Metric points not yet delivered, oldest first.
    #[serde(default)]
    pub points: Vec<Point>,
    /// The incident this host last opened or updated for the component (a hint only: the
    /// server decides which incident is ours).
    #[serde(default)]
    pub incident: Option<u64>,
    /// A status `cachet-check monit` could not deliver; the next invocation for the component
    /// replaces it (SPEC §8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
    /// When this host last stamped its run in the component's `meta` (Unix seconds, SPEC §11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamped: Option<i64>,
}

/// An undelivered Monit push: the Cachet status id, when, and the event behind it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Pending {
    pub status: u8,
    pub at: i64,
    pub event: String,
}

impl Versioned for ComponentState {
    fn version(&self) -> u32 {
        self.version
    }
}

impl ComponentState {
    pub fn new(component: &str) -> ComponentState {
        ComponentState {
            version: FORMAT,
            component: component.to_owned(),
            worse_runs: 0,
            better_runs: 0,
            points: Vec::new(),
            incident: None,
            pending: None,
            stamped: None,
        }
    }

    /// Adds points to the spool, dropping the oldest beyond `SPOOL_CAP`; returns how many
    /// were dropped.
    pub fn spool(&mut self, points: impl IntoIterator<Item = Point>) -> usize {
        self.points.extend(points);
        let excess = self.points.len().saturating_sub(SPOOL_CAP);
        self.points.drain(..excess);
        excess
    }
}

/// The last spooled point a run delivered (`component-NAME.sent`).
#[derive(Deserialize, Serialize)]
struct Delivered {
    version: u32,
    last: Point,
}

impl Versioned for Delivered {
    fn version(&self) -> u32 {
        self.version
    }
}

/// A metric point: the metric, the value and the Unix time it was measured.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Point {
    pub metric: u64,
    pub value: f64,
    pub timestamp: i64,
}
