//! How each provider's public JSON shows a component and its open incident: Atlassian
//! Statuspage (`/api/v2/components.json`, `/api/v2/incidents/unresolved.json`), Cachet 2.x and
//! 3.x (found by `/ping`, as cachet-api.md says), Instatus (`/v2/components.json`,
//! `/summary.json`).

use serde_json::Value;

use super::{Answer, Named, Provider, Seen, StatuspageSpec, Trouble, Upstream};
use crate::net::http::encode_query_value;
use crate::text::sanitize;

/// What the page shows of the spec's component; `fetch` GETs a path of the page.
pub fn read(spec: &StatuspageSpec, fetch: &dyn Fn(&str) -> Answer) -> Result<Seen, Trouble> {
    match spec.provider {
        Provider::Statuspage => statuspage(spec, fetch),
        Provider::Cachet => cachet(spec, fetch),
        Provider::Instatus => instatus(spec, fetch),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => String::new(),
    }
}

fn not_a_page(path: &str, provider: &str) -> Trouble {
    format!("no {path} here: is this {provider} page? (fix `url` or `provider`)")
}

/// The one component of `listed` the spec names, or why there is none.
fn pick<'a>(
    spec: &StatuspageSpec,
    listed: impl Iterator<Item = (String, String, &'a Value)>,
) -> Result<(String, String, &'a Value), Trouble> {
    let listed: Vec<_> = listed.collect();
    let mut found = listed
        .iter()
        .filter(|(id, name, _)| spec.component.is(id, name));
    match (found.next(), found.next()) {
        (Some(one), None) => Ok(one.clone()),
        (Some(_), Some(_)) => Err(format!(
            "more than one component is called {}: name it by id (or set `group`)",
            spec.component
        )),
        (None, _) => {
            let mut names: Vec<String> = listed.iter().map(|(_, name, _)| sanitize(name)).collect();
            names.truncate(20);
            Err(format!(
                "no component {} on the page (fix `component`); it lists: {}",
                spec.component,
                names.join(", ")
            ))
        }
    }
}

fn statuspage(spec: &StatuspageSpec, fetch: &dyn Fn(&str) -> Answer) -> Result<Seen, Trouble> {
    const COMPONENTS: &str = "/api/v2/components.json";
    let page =
        fetch(COMPONENTS)?.ok_or_else(|| not_a_page(COMPONENTS, "an Atlassian Statuspage"))?;
    let components = page["components"].as_array().cloned().unwrap_or_default();
    let group_id = match &spec.group {
        None => None,
        Some(group) => Some(
            components
                .iter()
                .find(|c| c["group"] == true && text(&c["name"]).eq_ignore_ascii_case(group))
                .map(|c| text(&c["id"]))
                .ok_or_else(|| {
                    format!("no group `{}` on the page (fix `group`)", sanitize(group))
                })?,
        ),
    };
    let listed = components
        .iter()
        .filter(|c| c["group"] != true)
        .filter(|c| {
            group_id
                .as_ref()
                .is_none_or(|group| text(&c["group_id"]) == *group)
        })
        .map(|c| (text(&c["id"]), text(&c["name"]), c));
    let (id, name, component) = pick(spec, listed)?;
    let level = match component["status"].as_str().unwrap_or_default() {
        "operational" => Upstream::Operational,
        "degraded_performance" => Upstream::Degraded,
        "partial_outage" => Upstream::Partial,
        "major_outage" => Upstream::Major,
        "under_maintenance" => Upstream::Maintenance,
        other => Upstream::Unknown(other.to_owned()),
    };
    let (path, list) = if level == Upstream::Maintenance {
        (
            "/api/v2/scheduled-maintenances/active.json",
            "scheduled_maintenances",
        )
    } else {
        ("/api/v2/incidents/unresolved.json", "incidents")
    };
    let incident = (level != Upstream::Operational)
        .then(|| fetch(path).ok().flatten())
        .flatten()
        .and_then(|answer| {
            let incidents = answer[list].as_array()?.clone();
            incidents
                .iter()
                .find(|incident| {
                    incident["components"]
                        .as_array()
                        .is_some_and(|listed| listed.iter().any(|c| text(&c["id"]) == id))
                })
                .map(|incident| text(&incident["name"]))
        });
    Ok(Seen {
        name,
        level,
        incident,
    })
}

/// Cachet's component status ids (2.x 0–4, 3.x 1–6) in its words.
fn cachet_level(id: u64) -> Upstream {
    match id {
        1 => Upstream::Operational,
        2 => Upstream::Degraded,
        3 => Upstream::Partial,
        4 => Upstream::Major,
        6 => Upstream::Maintenance,
        _ => Upstream::Unknown("unknown".to_owned()),
    }
}

/// A component or incident of either line: 2.x fields at the top, 3.x under `attributes`.
fn field<'a>(item: &'a Value, name: &str) -> &'a Value {
    match &item["attributes"] {
        Value::Object(attributes) if attributes.contains_key(name) => &attributes[name],
        _ => &item[name],
    }
}

fn cachet(spec: &StatuspageSpec, fetch: &dyn Fn(&str) -> Answer) -> Result<Seen, Trouble> {
    let mut root = None;
    for api in ["/api/v1", "/api", "/status/api"] {
        if fetch(&format!("{api}/ping"))?.is_some() {
            root = Some(api);
            break;
        }
    }
    let root = root.ok_or_else(|| not_a_page("/api/v1/ping or /api/ping", "a Cachet"))?;
    let two = root == "/api/v1";
    let items = match &spec.component {
        Named::Id(id) => {
            let path = format!("{root}/components/{id}");
            let answer = fetch(&path)?
                .ok_or_else(|| format!("no component #{id} on the page (fix `component`)"))?;
            vec![answer["data"].clone()]
        }
        Named::Name(name) => {
            let filter = if two { "name" } else { "filter[name]" };
            let path = format!(
                "{root}/components?{filter}={}&per_page=100",
                encode_query_value(name)
            );
            let answer = fetch(&path)?.ok_or_else(|| not_a_page(&path, "a Cachet"))?;
            answer["data"].as_array().cloned().unwrap_or_default()
        }
    };
    let listed = items
        .iter()
        .map(|item| (text(&item["id"]), text(field(item, "name")), item));
    let (id, name, component) = pick(spec, listed)?;
    let status = field(component, "status");
    let level = cachet_level(status["value"].as_u64().or(status.as_u64()).unwrap_or(0));
    let incident = (level != Upstream::Operational)
        .then(|| cachet_incident(root, &id, fetch))
        .flatten();
    Ok(Seen {
        name,
        level,
        incident,
    })
}

/// The newest open incident of component `id`: 2.x filters by component; 3.x lists the open
/// ones and links them in `relationships` (from core 2025-12) or `component_id` (cores that
/// refuse `include=components`).
fn cachet_incident(root: &str, id: &str, fetch: &dyn Fn(&str) -> Answer) -> Option<String> {
    let answer = if root == "/api/v1" {
        fetch(&format!("{root}/incidents?component_id={id}&per_page=100"))
    } else {
        let open = format!("{root}/incidents?filter[status]=0,1,2,3&per_page=100");
        fetch(&format!("{open}&include=components")).or_else(|_| fetch(&open))
    };
    let answer = answer.ok().flatten()?;
    let links = |incident: &Value| {
        text(field(incident, "component_id")) == id
            || incident["relationships"]["components"]["data"]
                .as_array()
                .is_some_and(|linked| linked.iter().any(|c| text(&c["id"]) == id))
    };
    answer["data"]
        .as_array()?
        .iter()
        .filter(|incident| links(incident))
        .filter(|incident| {
            let status = field(incident, "status");
            status["value"].as_u64().or(status.as_u64()).unwrap_or(0) < 4
        })
        .max_by_key(|incident| text(&incident["id"]).parse::<u64>().unwrap_or(0))
        .map(|incident| text(field(incident, "name")))
}

fn instatus(spec: &StatuspageSpec, fetch: &dyn Fn(&str) -> Answer) -> Result<Seen, Trouble> {
    const COMPONENTS: &str = "/v2/components.json";
    let page = fetch(COMPONENTS)?.ok_or_else(|| not_a_page(COMPONENTS, "an Instatus"))?;
    let top = page["components"].as_array().cloned().unwrap_or_default();
    let mut every = Vec::new();
    for component in &top {
        every.push(component.clone());
        every.extend(
            component["children"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
    }
    let listed = every.iter().map(|c| (text(&c["id"]), text(&c["name"]), c));
    let (_, name, component) = pick(spec, listed)?;
    let level = match component["status"].as_str().unwrap_or_default() {
        "OPERATIONAL" => Upstream::Operational,
        "DEGRADEDPERFORMANCE" => Upstream::Degraded,
        "PARTIALOUTAGE" => Upstream::Partial,
        "MAJOROUTAGE" => Upstream::Major,
        "UNDERMAINTENANCE" => Upstream::Maintenance,
        other => Upstream::Unknown(other.to_owned()),
    };
    let list = if level == Upstream::Maintenance {
        "activeMaintenances"
    } else {
        "activeIncidents"
    };
    let incident = (level != Upstream::Operational)
        .then(|| fetch("/summary.json").ok().flatten())
        .flatten()
        .and_then(|summary| summary[list].as_array()?.first().map(|i| text(&i["name"])));
    Ok(Seen {
        name,
        level,
        incident,
    })
}
