//! Cachet 3.x: JSON:API bodies (`data.attributes`, string ids, status objects), paging by
//! `links.next`.

use serde_json::{Value, json};

use super::{CachetError, Client, RemoteComponent, RemoteIncident, boolean, encode, items, number};
use crate::status::Status;

/// Pages read when looking a name up, at 100 components each.
const MAX_PAGES: u32 = 50;

/// The component in `{"data": {"id": "2", "attributes": {...}}}`.
pub fn component(body: &Value) -> Option<RemoteComponent> {
    parse(body.get("data")?)
}

pub fn parse(data: &Value) -> Option<RemoteComponent> {
    let (id, name, status, attributes) = resource(data)?;
    Some(RemoteComponent {
        id,
        name,
        status,
        enabled: boolean(attributes.get("enabled")).unwrap_or(true),
    })
}

/// An incident of a list (`/incidents`).
pub fn incident(data: &Value) -> Option<RemoteIncident> {
    let (id, name, status, _) = resource(data)?;
    Some(RemoteIncident { id, name, status })
}

/// Whether an incident is linked to `component`: through `relationships.components` (listed
/// with `include=components`, cores from 2025-12 on) or the legacy `attributes.component_id`
/// that earlier cores keep instead (cachet-api.md, "Observed on real servers").
pub fn linked_to(incident: &Value, component: u64) -> bool {
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
pub fn has_next(body: &Value) -> bool {
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
        attributes.get("name")?.as_str()?.to_owned(),
        number(status.get("value")).or_else(|| number(Some(status)))?,
        attributes,
    ))
}

/// Components whose name contains `name` (3.x filters by partial match); the caller keeps
/// exact matches. The paginator's links drop the filter, so each page's URL is rebuilt.
pub fn find_by_name(client: &Client, name: &str) -> Result<Vec<RemoteComponent>, CachetError> {
    let mut found = Vec::new();
    for page in 1..=MAX_PAGES {
        let body = client.get(&format!("{}&page={page}", name_query(name)))?;
        found.extend(items(&body).filter_map(parse));
        if !has_next(&body) {
            break;
        }
    }
    Ok(found)
}

/// The PUT body. `enabled` is sent as Cachet shows it now: the cores before 5a91e9 default it
/// to true and so re-enable a disabled component on a PUT without it.
/// The request `find_by_name` makes (its first page).
pub fn name_query(name: &str) -> String {
    format!("/components?filter%5Bname%5D={}&per_page=100", encode(name))
}

pub fn status_body(current: &RemoteComponent, status: Status) -> Value {
    json!({ "status": status.id(), "enabled": current.enabled })
}

/// The incident-create body: the `components` list that cores from 2025-12 attach, and the
/// legacy `component_id` + `component_status` that earlier ones keep instead (both are merged
/// into one link where both are understood).
pub fn incident_body(new: &super::NewIncident) -> Value {
    json!({
        "name": new.name,
        "message": new.message,
        "status": super::IncidentStatus::Investigating as u8,
        // `visible` defaults to hidden, and only a visible incident's impact shows.
        "visible": new.visible,
        "notifications": new.notify,
        "components": [{ "id": new.component, "status": new.status.id() }],
        "component_id": new.component,
        "component_status": new.status.id(),
    })
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
                enabled: true
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
