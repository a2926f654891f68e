//! Cachet 3.x: JSON:API bodies (`data.attributes`, string ids, status objects), paging by
//! `links.next`.

use serde_json::{Value, json};

use super::Line;
use crate::cachet::answer::{boolean, items, number};
use crate::cachet::{
    CachetError, Client, IncidentStatus, Listed, NewIncident, NewSchedule, RemoteComponent,
    RemoteIncident, RemoteSchedule,
};
use crate::net::http::encode_query_value as encode;
use crate::secret::Secret;
use crate::status::Status;
use crate::text::sanitize;
use jiff::Timestamp;
use jiff::tz::TimeZone;

pub const LINE: V3 = V3;

/// Pages read when looking a name up, at 100 components each.
const MAX_PAGES: u32 = 50;
/// Pages read when listing, at 100 components each.
const MAX_LIST_PAGES: u32 = 100;
/// Pages of incidents read when looking for ours, at 100 each.
const MAX_INCIDENT_PAGES: u32 = 10;

pub struct V3;

impl Line for V3 {
    fn word(&self) -> &'static str {
        "3"
    }

    fn title(&self) -> &'static str {
        "3.x"
    }

    fn api_path(&self) -> &'static str {
        "/api"
    }

    fn authorize(
        &self,
        request: ureq::http::request::Builder,
        token: &Secret,
    ) -> ureq::http::request::Builder {
        request.header("Authorization", format!("Bearer {}", token.expose()))
    }

    fn pings_behind_a_token(&self) -> bool {
        // A 3.x with `api_protected` answers 401 even to ping (cachet-api.md §3.8).
        true
    }

    fn component(&self, answer: &Value) -> Option<RemoteComponent> {
        component(answer)
    }

    /// The first page; the paginator's links drop the filter, so each page's URL is rebuilt.
    fn name_query(&self, name: &str) -> String {
        format!("/components?filter%5Bname%5D={}&per_page=100", encode(name))
    }

    /// Components whose name contains `name` (3.x filters by partial match); the caller keeps
    /// exact matches.
    fn find_by_name(
        &self,
        client: &Client,
        name: &str,
    ) -> Result<Vec<RemoteComponent>, CachetError> {
        let mut found = Vec::new();
        for page in 1..=MAX_PAGES {
            let body = client.get(&format!("{}&page={page}", self.name_query(name)))?;
            found.extend(items(&body).filter_map(parse));
            if !has_next(&body) {
                break;
            }
        }
        Ok(found)
    }

    /// `enabled` is sent as Cachet shows it now: the cores before 5a91e9 default it to true and
    /// so re-enable a disabled component on a PUT without it.
    fn status_body(&self, current: &RemoteComponent, status: Status, _notify: bool) -> Value {
        json!({ "status": status.id(), "enabled": current.enabled })
    }

    /// Once for the enabled components and once for the disabled ones (3.x lists only
    /// enabled ones unless asked, cachet-api.md §3.4), paging by `links.next`.
    fn list_components(
        &self,
        client: &Client,
        enough: &mut dyn FnMut(&[Listed]) -> bool,
    ) -> Result<Vec<Listed>, CachetError> {
        let mut listed = Vec::new();
        let filters: &[&str] = if client.has_token() {
            &["", "&filter%5Benabled%5D=0"]
        } else {
            &[""]
        };
        // A core that does not allow `include=group` (400) is asked without it: the
        // components matter more than their groups.
        let mut include = "&include=group";
        for filter in filters {
            if enough(&listed) {
                break;
            }
            for page in 1..=MAX_LIST_PAGES {
                let body = match client.get(&format!(
                    "/components?per_page=100&page={page}{include}{filter}"
                )) {
                    Err(CachetError::Rejected { status: 400, .. }) if !include.is_empty() => {
                        include = "";
                        client.get(&format!("/components?per_page=100&page={page}{filter}"))?
                    }
                    answer => answer?,
                };
                for data in items(&body) {
                    if let Some(component) = parse(data) {
                        let group = number(data.pointer("/relationships/group/data/id"));
                        listed.push(Listed { component, group });
                    }
                }
                if !has_next(&body) || enough(&listed) {
                    break;
                }
            }
        }
        Ok(listed)
    }

    /// The open incidents are one list for every component: read once per run and shared,
    /// unless `fresh` asks to read it again (after opening one, to settle a race).
    fn open_incidents(
        &self,
        client: &Client,
        component: u64,
        fresh: bool,
    ) -> Result<Vec<RemoteIncident>, CachetError> {
        let mut shared = client
            .open_incidents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if fresh || shared.is_none() {
            *shared = Some(unresolved_incidents(client)?);
        }
        Ok(shared
            .iter()
            .flatten()
            .filter(|incident| linked_to(incident, component))
            .filter_map(incident)
            .collect())
    }

    /// The `components` list that cores from 2025-12 attach, and the legacy `component_id` +
    /// `component_status` that earlier ones keep instead (both are merged into one link where
    /// both are understood).
    fn incident_body(&self, new: &NewIncident) -> Value {
        json!({
            "name": new.name,
            "message": new.message,
            "status": IncidentStatus::Investigating as u8,
            // `visible` defaults to hidden, and only a visible incident's impact shows.
            "visible": new.visible,
            "notifications": new.notify,
            "components": std::iter::once((new.component, new.status))
                .chain(new.also.iter().copied())
                .map(|(id, status)| json!({ "id": id, "status": status.id() }))
                .collect::<Vec<_>>(),
            "component_id": new.component,
            "component_status": new.status.id(),
        })
    }

    /// An empty PUT of `component`, which changes nothing and needs `components.manage`. It
    /// carries the component's current `enabled`: an empty one re-enables a disabled component
    /// on the cores before 5a91e9.
    fn check_token(
        &self,
        client: &Client,
        component: Option<&RemoteComponent>,
    ) -> Option<Result<(), CachetError>> {
        let current = component?;
        Some(
            client
                .put_once(
                    &format!("/components/{}", current.id),
                    &json!({ "enabled": current.enabled }),
                    "components.manage",
                )
                .map(|_| ()),
        )
    }

    /// 3.x: the components listed with 6 (under maintenance) for the window; the server
    /// computes its status from the times.
    fn schedule_body(&self, new: &NewSchedule, _zone: &TimeZone) -> Value {
        json!({
            "name": new.name,
            "message": new.message,
            "scheduled_at": new.starts.to_string(),
            "completed_at": new.ends.to_string(),
            "notifications": new.notify,
            "components": new
                .components
                .iter()
                .map(|id| json!({ "id": id, "status": 6 }))
                .collect::<Vec<_>>(),
        })
    }

    /// An update whose `completed_at` ends the window.
    fn schedule_end(
        &self,
        id: u64,
        now: Timestamp,
        _zone: &TimeZone,
    ) -> (&'static str, String, Value, &'static str) {
        (
            "POST",
            format!("/schedules/{id}/updates"),
            json!({ "message": "The maintenance is over.", "completed_at": now.to_string() }),
            "schedule-updates.manage",
        )
    }

    fn schedules_list_components(&self) -> bool {
        true
    }

    fn schedules_query(&self) -> &'static str {
        "/schedules?include=components&per_page=100"
    }

    fn schedule(&self, data: &Value) -> Option<RemoteSchedule> {
        let (id, name, status, attributes) = resource(data)?;
        let text = |key: &str| {
            attributes
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Some(RemoteSchedule {
            id,
            name,
            status,
            starts: text("scheduled_at"),
            ends: text("completed_at"),
            components: data
                .pointer("/relationships/components/data")
                .and_then(Value::as_array)
                .map(|linked| linked.iter().filter_map(|c| number(c.get("id"))).collect())
                .unwrap_or_default(),
        })
    }

    /// A core that keeps `meta` shows it with `include=meta`; one that does not (a744c708,
    /// 2026-06) refuses that include with 400.
    fn meta_at(&self, id: u64) -> (String, &'static str) {
        (
            format!("/components/{id}?include=meta"),
            "/data/attributes/meta",
        )
    }

    fn unknown_id(&self) -> u64 {
        5
    }

    fn has_abilities(&self) -> bool {
        true
    }

    fn merges_points(&self) -> bool {
        true
    }

    fn reads_per_run(&self, components: usize, with_incident: usize) -> usize {
        // One component, or the listing of enabled and disabled ones (a request each per
        // 100); the open incidents are one list.
        let reads = if components <= 1 {
            components
        } else {
            2 * components.div_ceil(100)
        };
        reads + usize::from(with_incident > 0)
    }

    fn read_all(&self, answer: &Value) -> usize {
        let mut found = usize::from(component(answer).is_some()) + usize::from(has_next(answer));
        if let Some(data) = answer.get("data") {
            found += usize::from(incident(data).is_some()) + usize::from(linked_to(data, 1));
        }
        found + items(answer).filter_map(parse).count()
    }
}

/// Every unresolved incident, with its components where the server can include them. The
/// 2024 cores refuse `include=components` (400); they, like the 2025 ones, keep the link as
/// `attributes.component_id`, which the list shows without the include.
fn unresolved_incidents(client: &Client) -> Result<Vec<Value>, CachetError> {
    let mut listed = Vec::new();
    let mut include = "&include=components";
    let mut page = 1;
    while page <= MAX_INCIDENT_PAGES {
        let body = match client.get(&format!(
            "/incidents?filter%5Bstatus%5D=0,1,2,3{include}&per_page=100&page={page}"
        )) {
            Err(CachetError::Rejected { status: 400, .. }) if !include.is_empty() => {
                include = "";
                continue;
            }
            answer => answer?,
        };
        listed.extend(items(&body).cloned());
        if !has_next(&body) {
            break;
        }
        page += 1;
    }
    Ok(listed)
}

/// The component in `{"data": {"id": "2", "attributes": {...}}}`.
fn component(body: &Value) -> Option<RemoteComponent> {
    parse(body.get("data")?)
}

fn parse(data: &Value) -> Option<RemoteComponent> {
    let (id, name, status, attributes) = resource(data)?;
    Some(RemoteComponent {
        id,
        name,
        status,
        enabled: boolean(attributes.get("enabled")).unwrap_or(true),
        meta: None,
    })
}

/// An incident of a list (`/incidents`).
fn incident(data: &Value) -> Option<RemoteIncident> {
    let (id, name, status, _) = resource(data)?;
    Some(RemoteIncident { id, name, status })
}

/// Whether an incident is linked to `component`: through `relationships.components` (listed
/// with `include=components`, cores from 2025-12 on) or the legacy `attributes.component_id`
/// that earlier cores keep instead (cachet-api.md, "Observed on real servers").
fn linked_to(incident: &Value, component: u64) -> bool {
    let related = incident
        .pointer("/relationships/components/data")
        .and_then(Value::as_array)
        .is_some_and(|linked| {
            linked
                .iter()
                .any(|link| number(link.get("id")) == Some(component))
        });
    related || number(incident.pointer("/attributes/component_id")) == Some(component)
}

/// Whether a list answer has a next page (`links.next`; absent on the last page).
fn has_next(body: &Value) -> bool {
    body.pointer("/links/next")
        .is_some_and(|next| !next.is_null())
}

/// What components and incidents share: the id (`data.id` is a string), `attributes.name` and
/// the status (`{"human": …, "value": 3}`, or a bare number), with the attributes for the rest.
fn resource(data: &Value) -> Option<(u64, String, u64, &Value)> {
    let attributes = data.get("attributes")?;
    let status = attributes.get("status")?;
    Some((
        number(data.get("id")).or_else(|| number(attributes.get("id")))?,
        sanitize(attributes.get("name")?.as_str()?),
        number(status.get("value")).or_else(|| number(Some(status)))?,
        attributes,
    ))
}

#[cfg(test)]
mod tests {
    use super::{component, incident, linked_to};
    use crate::cachet::RemoteComponent;
    use serde_json::json;

    #[test]
    fn json_api_components_parse() {
        let body = json!({"data": {"id": "2", "type": "components", "attributes": {
            "id": 2, "name": "API", "status": {"human": "Partial outage", "value": 3}, "enabled": true}}});
        assert_eq!(
            component(&body),
            Some(RemoteComponent {
                id: 2,
                name: "API".to_owned(),
                status: 3,
                enabled: true,
                meta: None,
            })
        );
    }

    #[test]
    fn incidents_parse_and_name_their_components() {
        let data = json!({"id": "12", "type": "incidents",
            "attributes": {"id": 12, "name": "API degraded", "status": {"human": "Investigating", "value": 1}},
            "relationships": {"components": {"data": [{"type": "components", "id": "2"}]}}});
        assert_eq!(
            incident(&data),
            Some(crate::cachet::RemoteIncident {
                id: 12,
                name: "API degraded".to_owned(),
                status: 1
            })
        );
        assert!(linked_to(&data, 2));
        assert!(!linked_to(&data, 3));
    }

    #[test]
    fn incidents_of_2025_cores_link_by_their_legacy_attribute() {
        let data = json!({"id": "7", "type": "incidents",
            "attributes": {"id": 7, "name": "API degraded", "component_id": 2,
                "status": {"human": "Investigating", "value": 1}}});
        assert!(linked_to(&data, 2));
        assert!(!linked_to(&data, 3));
    }
}
