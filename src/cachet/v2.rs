//! Cachet 2.3 and 2.4 (API v1): `{"data": …}` envelopes with plain attributes.

use serde_json::{Value, json};

use super::{CachetError, Client, RemoteComponent, RemoteIncident, boolean, encode, items, number};
use crate::status::Status;

/// The component in `{"data": {...}}`.
pub fn component(body: &Value) -> Option<RemoteComponent> {
    parse(body.get("data")?)
}

pub fn parse(data: &Value) -> Option<RemoteComponent> {
    Some(RemoteComponent {
        id: number(data.get("id"))?,
        name: data.get("name")?.as_str()?.to_owned(),
        status: number(data.get("status"))?,
        enabled: boolean(data.get("enabled")).unwrap_or(true),
    })
}

/// An incident of a list (`/incidents`).
pub fn incident(data: &Value) -> Option<RemoteIncident> {
    Some(RemoteIncident {
        id: number(data.get("id"))?,
        name: data.get("name")?.as_str()?.to_owned(),
        status: number(data.get("status"))?,
    })
}

/// Components whose name matches `name` (2.x compares exactly, case-insensitively on MySQL).
/// `per_page` is large rather than paging: 2.x turns `page` next to a filter into an SQL
/// column and fails (cachet-api.md §2.5).
pub fn find_by_name(client: &Client, name: &str) -> Result<Vec<RemoteComponent>, CachetError> {
    let body = client.get(&name_query(name))?;
    Ok(items(&body).filter_map(parse).collect())
}

/// The request `find_by_name` makes.
pub fn name_query(name: &str) -> String {
    format!("/components?name={}&per_page=1000", encode(name))
}

/// The PUT body. `enabled` is always sent, as Cachet shows it now, because 2.3 re-enables a
/// disabled component on a PUT without it (cachet-api.md §2.5); `silent` (2.4) keeps subscribers
/// from being e-mailed when `notify_subscribers = false`.
pub fn status_body(current: &RemoteComponent, status: Status, notify_subscribers: bool) -> Value {
    let mut body = json!({ "status": status.id(), "enabled": current.enabled });
    if !notify_subscribers {
        body["silent"] = json!(true);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::{component, status_body};
    use crate::cachet::RemoteComponent;
    use crate::status::Status;
    use serde_json::json;

    #[test]
    fn components_parse_with_numbers_as_strings() {
        let body = json!({"data": {"id": "2", "name": "API", "status": "3", "enabled": 0}});
        assert_eq!(
            component(&body),
            Some(RemoteComponent {
                id: 2,
                name: "API".to_owned(),
                status: 3,
                enabled: false
            })
        );
    }

    #[test]
    fn incidents_parse() {
        let data = json!({"id": 12, "component_id": 2, "name": "API degraded", "status": "1"});
        assert_eq!(
            super::incident(&data),
            Some(crate::cachet::RemoteIncident {
                id: 12,
                name: "API degraded".to_owned(),
                status: 1
            })
        );
    }

    #[test]
    fn writes_keep_enabled_and_can_be_silent() {
        let current = RemoteComponent {
            id: 2,
            name: "API".to_owned(),
            status: 1,
            enabled: false,
        };
        assert_eq!(
            status_body(&current, Status::MajorOutage, true),
            json!({"status": 4, "enabled": false})
        );
        assert_eq!(
            status_body(&current, Status::Operational, false),
            json!({"status": 1, "enabled": false, "silent": true})
        );
    }
}
