//! Incidents and metric points (SPEC §6, cachet-api.md §2.7–2.9, §3.5–3.6).
//!
//! POSTs go out once: Cachet has no idempotency, so a POST whose answer was lost is never sent
//! again blindly. The caller reads the server to learn whether it happened (an incident) or
//! keeps it for the next run (a metric point).

use serde_json::json;

use super::{CachetError, Call, Client, Dialect, items, number, v2, v3};
use crate::state::Point;
use crate::status::Status;

/// Pages of incidents read when looking for ours, at 100 each.
const MAX_INCIDENT_PAGES: u32 = 10;

/// Cachet's incident statuses used here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncidentStatus {
    Investigating = 1,
    Fixed = 4,
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
}

impl Client {
    /// Sends one metric point (not retried: see the module comment).
    pub fn post_point(&self, point: &Point) -> Result<(), CachetError> {
        let path = format!("/metrics/{}/points", point.metric);
        let body = json!({ "value": point.value, "timestamp": point.timestamp });
        self.send_once(&Call {
            method: "POST",
            path: &path,
            body: Some(&body),
            ability: "metric-points.manage",
        })
        .map_err(|error| match error {
            CachetError::NotFound { url, .. } => CachetError::NotFound {
                what: format!("metric {}", point.metric),
                url,
            },
            other => other,
        })?;
        Ok(())
    }

    /// The unresolved incidents named `name` linked to `component`, oldest first.
    pub fn open_incidents(
        &self,
        component: u64,
        name: &str,
    ) -> Result<Vec<RemoteIncident>, CachetError> {
        let mut found = Vec::new();
        match self.dialect {
            Dialect::V2 => {
                // 2.x: a filter next to `page` fails (cachet-api.md §2.5), so one large page.
                let body = self.get(&format!(
                    "/incidents?component_id={component}&per_page=1000"
                ))?;
                for incident in items(&body) {
                    let linked = number(incident.get("component_id")) == Some(component);
                    if let Some(parsed) = v2::incident(incident).filter(|_| linked) {
                        found.push(parsed);
                    }
                }
            }
            Dialect::V3 => {
                for page in 1..=MAX_INCIDENT_PAGES {
                    let body = self.get(&format!(
                        "/incidents?filter%5Bstatus%5D=0,1,2,3&include=components&per_page=100&page={page}"
                    ))?;
                    for incident in items(&body) {
                        if v3::linked_to(incident, component)
                            && let Some(parsed) = v3::incident(incident)
                        {
                            found.push(parsed);
                        }
                    }
                    if !v3::has_next(&body) {
                        break;
                    }
                }
            }
        }
        found.retain(|incident| {
            incident.name == name && incident.status < IncidentStatus::Fixed as u64
        });
        found.sort_by_key(|incident| incident.id);
        Ok(found)
    }

    /// Opens an incident: Investigating, linked to the component with its status. Returns its id.
    pub fn create_incident(&self, new: &NewIncident) -> Result<u64, CachetError> {
        let body = match self.dialect {
            Dialect::V2 => json!({
                "name": new.name,
                "message": new.message,
                "status": IncidentStatus::Investigating as u8,
                "visible": u8::from(new.visible),
                "component_id": new.component,
                "component_status": new.status.id(),
                "notify": new.notify,
            }),
            // 3.x: `visible` defaults to hidden, and only a visible incident's impact shows.
            Dialect::V3 => json!({
                "name": new.name,
                "message": new.message,
                "status": IncidentStatus::Investigating as u8,
                "visible": new.visible,
                "notifications": new.notify,
                "components": [{ "id": new.component, "status": new.status.id() }],
            }),
        };
        let answer = self.send_once(&Call {
            method: "POST",
            path: "/incidents",
            body: Some(&body),
            ability: "incidents.manage",
        })?;
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
        let posted = self.send_once(&Call {
            method: "POST",
            path: &path,
            body: Some(&update),
            ability: "incident-updates.manage",
        });
        match posted {
            Err(CachetError::NotFound { .. }) if self.dialect == Dialect::V2 => {
                // Cachet 2.3: no update routes. A PUT resets `visible` unless sent, and needs
                // `component_status` next to `component_id` (cachet-api.md §5).
                let path = format!("/incidents/{}", incident.id);
                let body = json!({
                    "status": status as u8,
                    "message": message,
                    "visible": u8::from(visible),
                    "component_id": component,
                    "component_status": component_status.id(),
                });
                self.send(&Call {
                    method: "PUT",
                    path: &path,
                    body: Some(&body),
                    ability: "incidents.manage",
                })
                .map(|_| ())
            }
            other => other.map(|_| ()),
        }
    }

    /// Deletes an incident this run opened twice (a race with another host).
    pub fn delete_incident(&self, id: u64) -> Result<(), CachetError> {
        self.send_once(&Call {
            method: "DELETE",
            path: &format!("/incidents/{id}"),
            body: None,
            ability: "incidents.delete",
        })
        .map(|_| ())
    }
}
