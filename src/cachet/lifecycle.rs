//! Incidents and metric points (SPEC §6, cachet-api.md §2.7–2.9, §3.5–3.6).
//!
//! POSTs go out once: Cachet has no idempotency, so a POST whose answer was lost is never sent
//! again blindly. The caller reads the server to learn whether it happened (an incident) or
//! keeps it for the next run (a metric point).

use serde_json::json;

use super::answer::number;
use super::transport::Call;
use super::{CachetError, Client};
use crate::state::Point;
use crate::status::Status;

/// Cachet's incident statuses used here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncidentStatus {
    Investigating = 1,
    Fixed = 4,
}

/// What Cachet did with a metric point it accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointFate {
    Stored,
    /// Counted into the latest point, its value discarded (3.x, within the metric's threshold).
    Merged,
}

/// An incident as Cachet lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteIncident {
    pub id: u64,
    pub name: String,
    pub status: u64,
}

/// What a new incident says.
pub struct NewIncident<'a> {
    pub name: &'a str,
    pub message: &'a str,
    pub component: u64,
    pub status: Status,
    pub visible: bool,
    pub notify: bool,
    /// Other components the incident affects, with their status (`depends_on`: the children
    /// of a failing parent). 3.x attaches them; 2.x names them in the message only.
    pub also: &'a [(u64, Status)],
}

impl Client {
    /// Sends one metric point (not retried: see the module comment). Returns whether Cachet
    /// kept it as a point of its own or merged it into its latest one: 3.x counts a point
    /// within the metric's `threshold` minutes and discards its value (2.x does so for a point
    /// of the same value), which the answer shows as a counter above 1.
    pub fn post_point(&self, point: &Point) -> Result<PointFate, CachetError> {
        let path = format!("/metrics/{}/points", point.metric);
        let body = json!({ "value": point.value, "timestamp": point.timestamp });
        let answer = self
            .send_once(&Call::new(
                "POST",
                &path,
                Some(&body),
                "metric-points.manage",
            ))
            .map_err(|error| match error {
                CachetError::NotFound { url, .. } => CachetError::NotFound {
                    what: format!("metric {}", point.metric),
                    url,
                },
                other => other,
            })?;
        let data = answer.get("data");
        let field = |name: &str| {
            data.and_then(|data| data.get(name).or_else(|| data.get("attributes")?.get(name)))
        };
        // A new point starts at counter 1; a higher one is an older point counted again.
        let merged = number(field("counter")).is_some_and(|counter| counter > 1);
        Ok(if merged {
            PointFate::Merged
        } else {
            PointFate::Stored
        })
    }

    /// The unresolved incidents named `name` linked to `component`, oldest first. On 3.x the
    /// open incidents are one list for every component: it is read once per run and shared,
    /// unless `fresh` asks to read it again (after opening one, to settle a race).
    pub fn open_incidents(
        &self,
        component: u64,
        name: &str,
        fresh: bool,
    ) -> Result<Vec<RemoteIncident>, CachetError> {
        let mut found = self.dialect.open_incidents(self, component, fresh)?;
        found.retain(|incident| {
            incident.name == name && incident.status < IncidentStatus::Fixed as u64
        });
        found.sort_by_key(|incident| incident.id);
        Ok(found)
    }

    /// Opens an incident: Investigating, linked to the component with its status. Returns its id.
    pub fn create_incident(&self, new: &NewIncident) -> Result<u64, CachetError> {
        let body = self.dialect.incident_body(new);
        let answer = self.send_once(&Call::new(
            "POST",
            "/incidents",
            Some(&body),
            "incidents.manage",
        ))?;
        number(answer.pointer("/data/id"))
            .ok_or_else(|| self.invalid("/incidents", "no incident id in `data`"))
    }

    /// Records a change on an open incident: an incident update on 2.4 and 3.x, or (2.3 has no
    /// updates) the incident itself rewritten with the component's new status.
    pub fn update_incident(
        &self,
        incident: &RemoteIncident,
        status: IncidentStatus,
        message: &str,
        component: u64,
        component_status: Status,
        visible: bool,
    ) -> Result<(), CachetError> {
        let path = format!("/incidents/{}/updates", incident.id);
        let update = json!({ "status": status as u8, "message": message });
        let posted = self.send_once(&Call::new(
            "POST",
            &path,
            Some(&update),
            "incident-updates.manage",
        ));
        match posted {
            Err(CachetError::NotFound { .. }) => {
                let rewrite = self.dialect.incident_rewrite(
                    status,
                    message,
                    visible,
                    component,
                    component_status,
                );
                let Some(body) = rewrite else {
                    return posted.map(|_| ());
                };
                let path = format!("/incidents/{}", incident.id);
                self.send(&Call::new("PUT", &path, Some(&body), "incidents.manage"))
                    .map(|_| ())
            }
            other => other.map(|_| ()),
        }
    }

    /// Deletes an incident this run opened twice (a race with another host).
    pub fn delete_incident(&self, id: u64) -> Result<(), CachetError> {
        self.send_once(&Call::new(
            "DELETE",
            &format!("/incidents/{id}"),
            None,
            "incidents.delete",
        ))
        .map(|_| ())
    }
}
