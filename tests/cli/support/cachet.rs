//! A fake Cachet that behaves like Cachet's API as `shared/cachet-api.md` describes it: 2.3, 2.4
//! and 3.x paths, authentication, envelopes, status codes and validation, including the quirks a
//! client must survive (2.3 re-enabling on PUT, bodies without a JSON content type ignored, 404
//! before 401 on 2.x writes, 3.x abilities). It records every request; tests can also script
//! answers to make it fail.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::http::{Request, Response, Server};

pub const TOKEN: &str = "s3cr3t-t0ken-4f9a";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V23,
    V24,
    V3,
}

#[derive(Clone, Debug)]
pub struct Component {
    pub id: u64,
    pub name: String,
    pub status: u64,
    pub enabled: bool,
}

struct Scripted {
    method: String,
    path: String,
    response: Response,
}

struct State {
    version: Version,
    components: BTreeMap<u64, Component>,
    abilities: Vec<String>,
    scripted: VecDeque<Scripted>,
}

pub struct FakeCachet {
    server: Server,
    state: Arc<Mutex<State>>,
}

impl FakeCachet {
    pub fn start(version: Version) -> FakeCachet {
        let state = Arc::new(Mutex::new(State {
            version,
            components: BTreeMap::new(),
            abilities: vec!["*".to_owned()],
            scripted: VecDeque::new(),
        }));
        let shared = state.clone();
        let server = Server::start(move |request| {
            let mut state = shared.lock().unwrap();
            let scripted = state
                .scripted
                .iter()
                .position(|s| s.method == request.method && request.target.starts_with(&s.path));
            if let Some(index) = scripted {
                return state.scripted.remove(index).unwrap().response;
            }
            handle(&mut state, request)
        });
        FakeCachet { server, state }
    }

    /// Adds a component.
    pub fn component(self, id: u64, name: &str, status: u64) -> FakeCachet {
        self.component_enabled(id, name, status, true)
    }

    pub fn component_enabled(self, id: u64, name: &str, status: u64, enabled: bool) -> FakeCachet {
        let component = Component {
            id,
            name: name.to_owned(),
            status,
            enabled,
        };
        self.state.lock().unwrap().components.insert(id, component);
        self
    }

    /// The 3.x API key's abilities (default `*`).
    pub fn abilities(self, abilities: &[&str]) -> FakeCachet {
        self.state.lock().unwrap().abilities = abilities.iter().map(|a| (*a).to_owned()).collect();
        self
    }

    /// The next request with this method whose target starts with `path` gets `response`.
    pub fn script(&self, method: &str, path: &str, response: Response) {
        let scripted = Scripted {
            method: method.to_owned(),
            path: path.to_owned(),
            response,
        };
        self.state.lock().unwrap().scripted.push_back(scripted);
    }

    pub fn url(&self) -> String {
        self.server.url("")
    }

    pub fn get(&self, id: u64) -> Component {
        self.state.lock().unwrap().components[&id].clone()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }

    /// The requests that change something (not GET).
    pub fn writes(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect()
    }
}

fn prefix(version: Version) -> &'static str {
    match version {
        Version::V23 | Version::V24 => "/api/v1",
        Version::V3 => "/api",
    }
}

fn handle(state: &mut State, request: &Request) -> Response {
    let version = state.version;
    let Some(route) = request.path().strip_prefix(prefix(version)) else {
        return not_found(version, "");
    };
    // 3.x's /api prefix also matches 2.x's /api/v1 paths: those are unknown routes there.
    if version == Version::V3 && route.starts_with("/v1/") {
        return not_found(version, "");
    }
    let authorized = match version {
        Version::V23 | Version::V24 => request.header("X-Cachet-Token") == Some(TOKEN),
        Version::V3 => request.header("Authorization") == Some(&format!("Bearer {TOKEN}")),
    };
    // 2.x's `Acceptable` middleware: 406 unless the client accepts JSON (3.x forces JSON).
    let accept = request.header("Accept").unwrap_or("*/*");
    if version != Version::V3 && !accept.contains("json") && !accept.contains("*/*") {
        return error_v2(
            406,
            "Not Acceptable",
            "The requested resource is capable of generating only content not acceptable according to the Accept headers sent in the request.",
            &[],
        );
    }
    let segments: Vec<&str> = route.trim_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["ping"]) => ok(version, json!({"data": "Pong!"})),
        ("GET", ["version"]) => ok(
            version,
            match version {
                Version::V23 => json!({"meta": {"on_latest": true}, "data": "2.3.18"}),
                Version::V24 => json!({"meta": {"on_latest": true}, "data": "2.4.0-dev"}),
                Version::V3 => json!({"data": {"version": "3.x-dev"}}),
            },
        ),
        ("GET", ["incidents", "templates"]) if version == Version::V24 => ok(
            version,
            json!({"meta": {"pagination": {"total": 0}}, "data": []}),
        ),
        ("GET", ["components"]) => list(state, request, authorized),
        ("GET", ["components", id]) => match find(state, id) {
            Some(c) if c.enabled || version != Version::V3 || authorized => {
                ok(version, json!({"data": present(version, c)}))
            }
            _ => not_found(version, id),
        },
        ("PUT", ["components", id]) => put_component(state, request, id, authorized),
        _ => not_found(version, ""),
    }
}

fn find<'a>(state: &'a State, id: &str) -> Option<&'a Component> {
    id.parse()
        .ok()
        .and_then(|id: u64| state.components.get(&id))
}

fn present(version: Version, c: &Component) -> Value {
    const V2: [&str; 5] = [
        "Unknown",
        "Operational",
        "Performance Issues",
        "Partial Outage",
        "Major Outage",
    ];
    const V3: [&str; 7] = [
        "",
        "Operational",
        "Performance issues",
        "Partial outage",
        "Major outage",
        "Unknown",
        "Under maintenance",
    ];
    match version {
        Version::V23 | Version::V24 => json!({
            "id": c.id, "name": c.name, "description": "", "link": "", "status": c.status,
            "order": 0, "group_id": 0, "enabled": c.enabled,
            "created_at": "2026-11-01 10:00:00", "updated_at": "2026-11-23 09:00:00",
            "deleted_at": null,
            "status_name": V2.get(c.status as usize).map_or(format!("cachet.components.status.{}", c.status), |s| (*s).to_owned()),
            "tags": [],
        }),
        Version::V3 => json!({
            "id": c.id.to_string(), "type": "components",
            "attributes": {
                "id": c.id, "name": c.name, "description": null, "link": null, "order": 0,
                "status": {"human": V3.get(c.status as usize).copied().unwrap_or(""), "value": c.status},
                "latest_status": {"human": V3.get(c.status as usize).copied().unwrap_or(""), "value": c.status},
                "enabled": c.enabled,
                "created": {"human": "3 weeks ago", "string": "2026-11-01T10:00:00+00:00"},
                "updated": {"human": "1 hour ago", "string": "2026-11-23T09:00:00+00:00"},
            },
        }),
    }
}

fn list(state: &State, request: &Request, authorized: bool) -> Response {
    let version = state.version;
    match version {
        Version::V23 | Version::V24 => {
            // 2.x: every parameter but sort/order/per_page becomes a WHERE clause.
            if request.query("name").is_some() && request.query("page").is_some() {
                return error_v2(
                    500,
                    "Internal Server Error",
                    "An error has occurred and this resource cannot be displayed.",
                    &[],
                );
            }
            let name = request.query("name");
            let data: Vec<Value> = state
                .components
                .values()
                .filter(|c| c.enabled || authorized)
                .filter(|c| {
                    name.as_ref()
                        .is_none_or(|n| n.eq_ignore_ascii_case(&c.name))
                })
                .map(|c| present(version, c))
                .collect();
            let per_page: usize = request
                .query("per_page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(20);
            let total = data.len();
            let shown: Vec<Value> = data.into_iter().take(per_page).collect();
            ok(
                version,
                json!({"meta": {"pagination": {"total": total, "count": shown.len(), "per_page": per_page,
                "current_page": 1, "total_pages": total.div_ceil(per_page.max(1)).max(1),
                "links": {"next_page": null, "previous_page": null}}}, "data": shown}),
            )
        }
        Version::V3 => {
            let name = request.query("filter[name]").map(|n| n.to_lowercase());
            let per_page: usize = request
                .query("per_page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(15)
                .clamp(1, 100);
            let page: usize = request
                .query("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1)
                .max(1);
            let matching: Vec<&Component> = state
                .components
                .values()
                .filter(|c| c.enabled)
                .filter(|c| {
                    name.as_ref()
                        .is_none_or(|n| c.name.to_lowercase().contains(n))
                })
                .collect();
            let shown: Vec<Value> = matching
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|c| present(version, c))
                .collect();
            let mut links = json!({"first": format!("/api/components?page=1")});
            if matching.len() > page * per_page {
                links["next"] = json!(format!("/api/components?page={}", page + 1));
            }
            ok(
                version,
                json!({"data": shown, "links": links, "meta": {"current_page": page, "per_page": per_page}}),
            )
        }
    }
}

fn put_component(state: &mut State, request: &Request, id: &str, authorized: bool) -> Response {
    let version = state.version;
    // 2.x binds the model before authenticating: 404 comes before 401. 3.x authenticates first.
    if version == Version::V3 && !authorized {
        return Response::json(401, &json!({"message": "Unauthenticated."}));
    }
    if find(state, id).is_none() {
        return not_found(version, id);
    }
    if !authorized {
        return error_v2(
            401,
            "Unauthorized",
            "Authentication is required and has failed or has not yet been provided.",
            &[],
        );
    }
    // Laravel reads a JSON body only with a JSON content type; otherwise, or when the JSON is
    // invalid, the input is empty and the PUT changes nothing (cachethq/cachet#4411).
    let json_body = request
        .header("Content-Type")
        .is_some_and(|t| t.contains("/json"));
    let input: Value = if json_body {
        serde_json::from_str(&request.body).unwrap_or(json!({}))
    } else {
        json!({})
    };
    let status = input.get("status");
    let status_number = status.and_then(|s| s.as_u64().or_else(|| s.as_str()?.parse().ok()));
    match version {
        Version::V24 if status.is_some() && status_number.is_none_or(|s| s > 4) => {
            return error_v2(
                400,
                "Bad Request",
                "The request cannot be fulfilled due to bad syntax.",
                &["The status may not be greater than 4."],
            );
        }
        Version::V3 if status.is_some() && status_number.is_none_or(|s| !(1..=6).contains(&s)) => {
            return Response::json(
                422,
                &json!({"message": "The selected status is invalid.", "errors": {"status": ["The selected status is invalid."]}}),
            );
        }
        Version::V3
            if !state
                .abilities
                .iter()
                .any(|a| a == "*" || a == "components.manage") =>
        {
            return Response::json(403, &json!({"message": "Invalid ability provided."}));
        }
        _ => {}
    }
    let Some(component) = id
        .parse()
        .ok()
        .and_then(|id: u64| state.components.get_mut(&id))
    else {
        return not_found(version, id);
    };
    if let Some(status) = status_number {
        component.status = status;
    }
    let enabled = input
        .get("enabled")
        .map(|e| e.as_bool().unwrap_or_else(|| e.as_u64() == Some(1)));
    match version {
        // 2.3: `(bool) Binput::get('enabled', true)` re-enables a component on a PUT without it.
        Version::V23 => component.enabled = enabled.unwrap_or(true),
        _ => {
            if let Some(enabled) = enabled {
                component.enabled = enabled;
            }
        }
    }
    let presented = present(version, component);
    ok(version, json!({"data": presented}))
}

fn ok(version: Version, body: Value) -> Response {
    let kind = if version == Version::V3 {
        "application/vnd.api+json"
    } else {
        "application/json"
    };
    Response::new(200, body.to_string()).header("Content-Type", kind)
}

fn not_found(version: Version, id: &str) -> Response {
    match version {
        Version::V23 | Version::V24 => error_v2(
            404,
            "Not Found",
            if id.is_empty() {
                "The requested resource could not be found but may be available again in the future."
            } else {
                "No query results for model [CachetHQ\\Cachet\\Models\\Component]."
            },
            &[],
        ),
        Version::V3 => Response::json(
            404,
            &json!({"message": if id.is_empty() { String::new() } else { format!("No query results for model [Cachet\\Models\\Component] {id}") }}),
        ),
    }
}

pub fn error_v2(status: u16, title: &str, detail: &str, details: &[&str]) -> Response {
    let mut error = json!({"id": "5f8e0c1a-0000-4000-8000-000000000000", "status": status, "title": title, "detail": detail});
    if !details.is_empty() {
        error["meta"] = json!({"details": details});
    }
    Response::json(status, &json!({"errors": [error]}))
}
