//! Cachet 3.x: JSON:API bodies (`data.attributes`, string ids, status objects), paging by
//! `links.next`.

use serde_json::{Value, json};

use super::{CachetError, Client, RemoteComponent, boolean, encode, items, number};
use crate::status::Status;

/// Pages read when looking a name up, at 100 components each.
const MAX_PAGES: u32 = 50;

/// The component in `{"data": {"id": "2", "attributes": {...}}}`.
pub fn component(body: &Value) -> Option<RemoteComponent> {
    parse(body.get("data")?)
}

pub fn parse(data: &Value) -> Option<RemoteComponent> {
    let attributes = data.get("attributes")?;
    let status = attributes.get("status")?;
    Some(RemoteComponent {
        id: number(data.get("id")).or_else(|| number(attributes.get("id")))?,
        name: attributes.get("name")?.as_str()?.to_owned(),
        // `status` is `{"human": …, "value": 3}`; accept a bare number too.
        status: number(status.get("value")).or_else(|| number(Some(status)))?,
        enabled: boolean(attributes.get("enabled")).unwrap_or(true),
    })
}

/// Components whose name contains `name` (3.x filters by partial match); the caller keeps
/// exact matches. The paginator's links drop the filter, so each page's URL is rebuilt.
pub fn find_by_name(client: &Client, name: &str) -> Result<Vec<RemoteComponent>, CachetError> {
    let mut found = Vec::new();
    for page in 1..=MAX_PAGES {
        let body = client.get(&format!(
            "/components?filter%5Bname%5D={}&per_page=100&page={page}",
            encode(name)
        ))?;
        found.extend(items(&body).filter_map(parse));
        if body.pointer("/links/next").is_none_or(Value::is_null) {
            break;
        }
    }
    Ok(found)
}

pub fn status_body(status: Status) -> Value {
    json!({ "status": status.id() })
}

#[cfg(test)]
mod tests {
    use super::component;
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
}
