//! A fake Cachet that behaves like Cachet's API as `shared/cachet-api.md` describes it: 2.3, 2.4
//! and 3.x paths, authentication, envelopes, status codes and validation, including the quirks a
//! client must survive (2.3 re-enabling on PUT, bodies without a JSON content type ignored, 404
//! before 401 on 2.x writes, 3.x abilities). It records every request; tests can also script
//! answers to make it fail.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::http::{Request, Response, Server};
use super::schedules::{self, Schedule};

pub const TOKEN: &str = "s3cr3t-t0ken-4f9a";

/// The server's API line, and for 3.x the core build, each with the behaviours observed on the
/// real server (cachet-api.md, "Observed on real servers").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V23,
    V24,
    /// 3.x as the core's HEAD reads (§3): incidents link `components`, partial updates keep
    /// `enabled`, component `meta` is kept, Cachet's own 300/min limit.
    V3,
    /// Core `a34c0607` (2024-10): no API authentication, bare-int component status, `enabled`
    /// null, `include=components` refused on incidents, `components` dropped on create (the
    /// legacy `component_id` kept), 60 requests a minute.
    V3Core2024,
    /// Core `bb03e8a7` (2025-08): `components` dropped on create (legacy fields stored and shown
    /// as `attributes.component_id`), an incident's status shown is its latest update's while
    /// `filter[status]` filters the stored column, a PUT without `enabled` re-enables, disabled
    /// components listed without a token, 60 requests a minute.
    V3Core2025,
    /// Core `a744c708` (2026-06): `components` attached, a PUT without `enabled` re-enables,
    /// `meta` silently dropped on PUT and `include=meta` refused, 60 requests a minute.
    V3Core2026,
}

impl Version {
    /// Every profile, for tests that must hold on each.
    pub const ALL: [Version; 6] = [
        Version::V23,
        Version::V24,
        Version::V3,
        Version::V3Core2024,
        Version::V3Core2025,
        Version::V3Core2026,
    ];

    pub fn v3(self) -> bool {
        !matches!(self, Version::V23 | Version::V24)
    }

    /// Requests a key (or address) may make a minute: the application's `throttleApi()` on the
    /// observed cores, Cachet's own limit otherwise.
    fn rate_limit(self) -> u32 {
        match self {
            Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026 => 60,
            _ => 300,
        }
    }

    /// Whether incidents attach the `components` list sent on create.
    fn links_components(self) -> bool {
        matches!(self, Version::V3 | Version::V3Core2026)
    }

    /// Whether a PUT without `enabled` turns the component back on.
    fn reenables(self) -> bool {
        matches!(
            self,
            Version::V23 | Version::V3Core2025 | Version::V3Core2026
        )
    }

    /// Whether component `meta` is kept (written by PUT, read with `include=meta`).
    fn keeps_meta(self) -> bool {
        !matches!(self, Version::V23 | Version::V3Core2026)
    }
}

#[derive(Clone, Debug)]
pub struct Component {
    pub id: u64,
    pub name: String,
    pub status: u64,
    pub enabled: bool,
    /// The component group's id, 0 for none (2.x's way).
    pub group: u64,
    /// The component's `meta` object (2.4 and the 3.x cores that keep it).
    pub meta: Value,
}

#[derive(Clone, Debug)]
pub struct Incident {
    pub id: u64,
    pub name: String,
    pub message: String,
    pub status: u64,
    pub visible: bool,
    pub component_id: Option<u64>,
    pub component_status: Option<u64>,
    /// The incident's own `status` column, as `filter[status]` sees it: core `bb03e8a7` never
    /// updates it (it shows the latest update's status instead).
    pub stored_status: u64,
    /// Whether the component is attached through the incident–component pivot (3.x
    /// `relationships.components`); the 3.x cores of 2024–2025 keep only `component_id`.
    pub attached: bool,
    /// (status, message) of each incident update.
    pub updates: Vec<(u64, String)>,
}

struct Scripted {
    method: String,
    path: String,
    response: Response,
    /// Handle the request as usual first (the write happens), then answer `response`.
    apply: bool,
}

struct State {
    version: Version,
    components: BTreeMap<u64, Component>,
    abilities: Vec<String>,
    scripted: VecDeque<Scripted>,
    incidents: BTreeMap<u64, Incident>,
    /// Metric id → its points (value, timestamp, counter).
    metrics: BTreeMap<u64, Vec<(f64, i64, u64)>>,
    /// Metric id → its `threshold` in minutes (3.x merges points within it; default 5).
    thresholds: BTreeMap<u64, i64>,
    /// The rate limiter's window: when it began and the requests counted in it.
    window: (Instant, u32),
    /// Show component `meta` but drop what a PUT writes to it (a core that would).
    drops_meta_writes: bool,
    schedules: BTreeMap<u64, Schedule>,
    /// Seconds the server's clock is ahead of this machine's (`advance_clock`).
    clock: i64,
    /// How long each answer takes (`answering_after`), as PHP does.
    answer_time: Duration,
}

impl State {
    /// The server's clock, in Unix seconds.
    fn now(&self) -> i64 {
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        )
        .unwrap_or(0)
            + self.clock
    }
}

pub struct FakeCachet {
    server: Server,
    state: Arc<Mutex<State>>,
}

impl FakeCachet {
    pub fn start(version: Version) -> FakeCachet {
        FakeCachet::serve(version, None, false)
    }

    /// The fake Cachet keeping connections open between requests, as the nginx or Apache in
    /// front of a real one does.
    pub fn start_keep_alive(version: Version) -> FakeCachet {
        FakeCachet::serve(version, None, true)
    }

    /// The fake Cachet behind TLS with `config` (an `https://` URL).
    pub fn start_tls(version: Version, config: Arc<rustls::ServerConfig>) -> FakeCachet {
        FakeCachet::serve(version, Some(config), false)
    }

    /// Every answer from now on comes after `time`.
    pub fn answering_after(self, time: Duration) -> FakeCachet {
        self.state.lock().unwrap().answer_time = time;
        self
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.server
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn serve(
        version: Version,
        tls: Option<Arc<rustls::ServerConfig>>,
        keep_alive: bool,
    ) -> FakeCachet {
        let state = Arc::new(Mutex::new(State {
            version,
            components: BTreeMap::new(),
            abilities: vec!["*".to_owned()],
            scripted: VecDeque::new(),
            incidents: BTreeMap::new(),
            metrics: BTreeMap::new(),
            thresholds: BTreeMap::new(),
            window: (Instant::now(), 0),
            drops_meta_writes: false,
            schedules: BTreeMap::new(),
            clock: 0,
            answer_time: Duration::ZERO,
        }));
        let shared = state.clone();
        let handler = move |request: &Request| {
            let mut state = shared.lock().unwrap();
            let remaining = match throttle(&mut state) {
                Ok(remaining) => remaining,
                Err(refused) => return refused,
            };
            let scripted = state
                .scripted
                .iter()
                .position(|s| s.method == request.method && request.target.starts_with(&s.path));
            if let Some(index) = scripted {
                let scripted = state.scripted.remove(index).unwrap();
                if scripted.apply {
                    handle(&mut state, request);
                }
                return scripted.response;
            }
            let response = handle(&mut state, request).delay(state.answer_time);
            // Laravel's throttle middleware announces the limit on every answer.
            match remaining {
                Some(remaining) => response
                    .header("X-RateLimit-Limit", &state.version.rate_limit().to_string())
                    .header("X-RateLimit-Remaining", &remaining.to_string()),
                None => response,
            }
        };
        let server = match tls {
            Some(config) => Server::start_tls(config, handler),
            None if keep_alive => Server::start_keep_alive(handler),
            None => Server::start(handler),
        };
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
            group: 0,
            meta: Value::Null,
        };
        self.state.lock().unwrap().components.insert(id, component);
        self
    }

    /// Puts component `id` in group `group`.
    pub fn group(self, id: u64, group: u64) -> FakeCachet {
        if let Some(component) = self.state.lock().unwrap().components.get_mut(&id) {
            component.group = group;
        }
        self
    }

    /// The 3.x API key's abilities (default `*`).
    pub fn abilities(self, abilities: &[&str]) -> FakeCachet {
        self.state.lock().unwrap().abilities = abilities.iter().map(|a| (*a).to_owned()).collect();
        self
    }

    /// The next request with this method whose target starts with `path` gets `response`.
    pub fn script(&self, method: &str, path: &str, response: Response) {
        self.push_script(method, path, response, false);
    }

    /// The next such request is carried out, then its connection dropped before the answer
    /// (a write that happened, and a client that cannot know it did).
    pub fn drop_after_applying(&self, method: &str, path: &str) {
        self.push_script(method, path, Response::hang_up(), true);
    }

    fn push_script(&self, method: &str, path: &str, response: Response, apply: bool) {
        let scripted = Scripted {
            method: method.to_owned(),
            path: path.to_owned(),
            response,
            apply,
        };
        self.state.lock().unwrap().scripted.push_back(scripted);
    }

    pub fn url(&self) -> String {
        self.server.url("")
    }

    /// Adds a metric with no points.
    pub fn metric(self, id: u64) -> FakeCachet {
        self.state.lock().unwrap().metrics.insert(id, Vec::new());
        self
    }

    /// Sets metric `id`'s `threshold` in minutes (3.x merges a point within it of the latest).
    pub fn threshold(self, id: u64, minutes: i64) -> FakeCachet {
        self.state.lock().unwrap().thresholds.insert(id, minutes);
        self
    }

    /// The points metric `id` keeps: (value, timestamp), oldest first.
    pub fn points(&self, id: u64) -> Vec<(f64, i64)> {
        self.state.lock().unwrap().metrics[&id]
            .iter()
            .map(|&(value, timestamp, _)| (value, timestamp))
            .collect()
    }

    /// The counters of metric `id`'s points (3.x counts the posts merged into a point).
    pub fn counters(&self, id: u64) -> Vec<u64> {
        let state = self.state.lock().unwrap();
        state.metrics[&id].iter().map(|point| point.2).collect()
    }

    /// Shows component `meta` but drops what is written to it.
    pub fn drops_meta_writes(self) -> FakeCachet {
        self.state.lock().unwrap().drops_meta_writes = true;
        self
    }

    /// Component `id`'s `meta`.
    pub fn meta(&self, id: u64) -> Value {
        self.state.lock().unwrap().components[&id].meta.clone()
    }

    /// Sets component `id`'s `meta` as another writer would.
    pub fn set_meta(&self, id: u64, meta: Value) {
        if let Some(component) = self.state.lock().unwrap().components.get_mut(&id) {
            component.meta = meta;
        }
    }

    /// Sets component `id`'s `enabled` as an admin would in the dashboard.
    pub fn set_enabled(&self, id: u64, enabled: bool) {
        if let Some(component) = self.state.lock().unwrap().components.get_mut(&id) {
            component.enabled = enabled;
        }
    }

    pub fn incidents(&self) -> Vec<Incident> {
        self.state
            .lock()
            .unwrap()
            .incidents
            .values()
            .cloned()
            .collect()
    }

    /// Adds an incident (as another host, or a person, would have opened it).
    pub fn add_incident(&self, name: &str, component: u64, status: u64) -> u64 {
        let mut state = self.state.lock().unwrap();
        let id = state.incidents.keys().last().map_or(1, |last| last + 1);
        let incident = Incident {
            id,
            name: name.to_owned(),
            message: "opened elsewhere".to_owned(),
            status,
            visible: true,
            component_id: Some(component),
            component_status: Some(3),
            stored_status: status,
            attached: true,
            updates: Vec::new(),
        };
        state.incidents.insert(id, incident);
        id
    }

    pub fn get(&self, id: u64) -> Component {
        self.state.lock().unwrap().components[&id].clone()
    }

    /// The schedules created, as the server keeps them.
    pub fn schedules(&self) -> Vec<Schedule> {
        self.state
            .lock()
            .unwrap()
            .schedules
            .values()
            .cloned()
            .collect()
    }

    /// Moves the server's clock forward (3.x computes a schedule's status from it).
    pub fn advance_clock(&self, seconds: i64) {
        self.state.lock().unwrap().clock += seconds;
    }

    /// The status the server gives schedule `id` now.
    pub fn schedule_status(&self, id: u64) -> u64 {
        let state = self.state.lock().unwrap();
        state.schedules[&id].status_at(state.version, state.now())
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
        Version::V3 | Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026 => "/api",
    }
}

fn handle(state: &mut State, request: &Request) -> Response {
    let version = state.version;
    let Some(route) = request.path().strip_prefix(prefix(version)) else {
        return not_found(version, "");
    };
    // 3.x's /api prefix also matches 2.x's /api/v1 paths: those are unknown routes there.
    if version.v3() && route.starts_with("/v1/") {
        return not_found(version, "");
    }
    let authorized = match version {
        Version::V23 | Version::V24 => request.header("X-Cachet-Token") == Some(TOKEN),
        // Core a34c0607 has no API authentication at all: writes are open.
        Version::V3Core2024 => true,
        Version::V3 | Version::V3Core2025 | Version::V3Core2026 => {
            request.header("Authorization") == Some(&format!("Bearer {TOKEN}"))
        }
    };
    // 2.x's `Acceptable` middleware: 406 unless the client accepts JSON (3.x forces JSON).
    let accept = request.header("Accept").unwrap_or("*/*");
    if !version.v3() && !accept.contains("json") && !accept.contains("*/*") {
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
                Version::V3 | Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026 => {
                    json!({"data": {"version": "3.x-dev"}})
                }
            },
        ),
        ("GET", ["incidents", "templates"]) if version == Version::V24 => ok(
            version,
            json!({"meta": {"pagination": {"total": 0}}, "data": []}),
        ),
        ("GET", ["components"]) => list(state, request, authorized),
        ("GET", ["components", id]) => {
            let include_meta = includes(request, "meta");
            if include_meta && version.v3() && !version.keeps_meta() {
                return refused_include(
                    "meta",
                    "group, groupCount, groupExists, incidents, incidentsCount, incidentsExists",
                );
            }
            match find(state, id) {
                Some(c) if c.enabled || !version.v3() || authorized => {
                    let mut shown = present(version, c);
                    if include_meta && version.v3() {
                        shown["attributes"]["meta"] = c.meta.clone();
                    }
                    ok(version, json!({"data": shown}))
                }
                _ => not_found(version, id),
            }
        }
        ("PUT", ["components", id]) => put_component(state, request, id, authorized),
        ("GET", ["subscribers"]) if !version.v3() => {
            if authorized {
                ok(
                    version,
                    json!({"meta": {"pagination": {"total": 0}}, "data": []}),
                )
            } else {
                error_v2(
                    401,
                    "Unauthorized",
                    "Authentication is required and has failed or has not yet been provided.",
                    &[],
                )
            }
        }
        ("GET", ["metrics", id]) => match id
            .parse::<u64>()
            .ok()
            .filter(|id| state.metrics.contains_key(id))
        {
            Some(id) => {
                let threshold = state.thresholds.get(&id).copied().unwrap_or(5);
                let metric =
                    json!({"id": id, "name": "Latency", "suffix": "ms", "threshold": threshold});
                ok(
                    version,
                    if version.v3() {
                        json!({"data": {"id": id.to_string(), "type": "metrics", "attributes": metric}})
                    } else {
                        json!({"data": metric})
                    },
                )
            }
            None => not_found(version, id),
        },
        ("GET", ["schedules"]) if version != Version::V23 => {
            let now = state.now();
            let with = includes(request, "components");
            let shown: Vec<Value> = state
                .schedules
                .values()
                .rev()
                .map(|s| schedules::present(version, s, now, with))
                .collect();
            ok(
                version,
                if version.v3() {
                    json!({"data": shown, "links": {"next": null}, "meta": {"per_page": 100}})
                } else {
                    json!({"meta": {"pagination": {"total": shown.len(), "count": shown.len(), "per_page": 100, "current_page": 1, "total_pages": 1}}, "data": shown})
                },
            )
        }
        ("POST", ["schedules"]) if version != Version::V23 => {
            write_guard(state, request, authorized, "schedules.manage").unwrap_or_else(|input| {
                match schedules::create(version, &state.schedules, &input) {
                    Ok(schedule) => {
                        let now = state.now();
                        let mut response = ok(
                            version,
                            json!({"data": schedules::present(version, &schedule, now, false)}),
                        );
                        response.status = 201;
                        state.schedules.insert(schedule.id, schedule);
                        response
                    }
                    Err((field, why)) => invalid(version, field, why),
                }
            })
        }
        ("PUT", ["schedules", id]) if version == Version::V24 => {
            let Some(id) = schedule_id(state, id) else {
                return not_found(version, id);
            };
            write_guard(state, request, authorized, "schedules.manage").unwrap_or_else(|input| {
                let ends = input
                    .get("completed_at")
                    .and_then(Value::as_str)
                    .map(schedules::parse_minutes);
                if ends == Some(None) {
                    return invalid(
                        version,
                        "completed_at",
                        "The completed at does not match the format Y-m-d H:i.",
                    );
                }
                let now = state.now();
                let schedule = state.schedules.get_mut(&id).unwrap();
                if let Some(status) = input.get("status").and_then(Value::as_u64) {
                    schedule.status = status;
                }
                if let Some(Some(ends)) = ends {
                    schedule.ends = Some(ends);
                }
                let shown = schedules::present(version, schedule, now, false);
                ok(version, json!({"data": shown}))
            })
        }
        ("POST", ["schedules", id, "updates"]) if version.v3() => {
            let Some(id) = schedule_id(state, id) else {
                return not_found(version, id);
            };
            write_guard(state, request, authorized, "schedule-updates.manage").unwrap_or_else(
                |input| {
                    let Some(message) = input.get("message").and_then(Value::as_str) else {
                        return invalid(version, "message", "The message field is required.");
                    };
                    let ends = input
                        .get("completed_at")
                        .and_then(Value::as_str)
                        .and_then(|t| t.parse::<jiff::Timestamp>().ok());
                    let schedule = state.schedules.get_mut(&id).unwrap();
                    if let Some(ends) = ends {
                        schedule.ends = Some(ends.as_second());
                    }
                    let mut response = ok(
                        version,
                        json!({"data": {"id": "1", "type": "updates", "attributes": {"message": message}}}),
                    );
                    response.status = 201;
                    response
                },
            )
        }
        ("GET", ["incidents"]) => list_incidents(state, request, authorized),
        ("POST", ["incidents"]) => write_guard(state, request, authorized, "incidents.manage")
            .unwrap_or_else(|input| create_incident(state, &input)),
        ("POST", ["incidents", id, "updates"]) if version != Version::V23 => {
            if !state.incidents.contains_key(&id.parse().unwrap_or(0)) {
                return not_found(version, id);
            }
            write_guard(state, request, authorized, "incident-updates.manage")
                .unwrap_or_else(|input| update_incident(state, id, &input))
        }
        ("PUT", ["incidents", id]) => {
            if !state.incidents.contains_key(&id.parse().unwrap_or(0)) {
                return not_found(version, id);
            }
            write_guard(state, request, authorized, "incidents.manage")
                .unwrap_or_else(|input| put_incident(state, id, &input))
        }
        ("DELETE", ["incidents", id]) => {
            match write_guard(state, request, authorized, "incidents.delete") {
                Err(_) => {
                    state.incidents.remove(&id.parse().unwrap_or(0));
                    Response::new(204, "")
                }
                Ok(refused) => refused,
            }
        }
        ("POST", ["metrics", id, "points"]) => {
            if !state.metrics.contains_key(&id.parse().unwrap_or(0)) {
                return not_found(version, id);
            }
            write_guard(state, request, authorized, "metric-points.manage")
                .unwrap_or_else(|input| add_point(state, id, &input))
        }
        _ => not_found(version, ""),
    }
}

/// `per_page` (default `per_page`) and `page` (from 1) of a list request.
fn paging(request: &Request, per_page: usize) -> (usize, usize) {
    let number = |name: &str| request.query(name).and_then(|p| p.parse::<usize>().ok());
    (
        number("per_page").unwrap_or(per_page),
        number("page").unwrap_or(1).max(1),
    )
}

fn find<'a>(state: &'a State, id: &str) -> Option<&'a Component> {
    id.parse()
        .ok()
        .and_then(|id: u64| state.components.get(&id))
}

/// The id of an existing schedule, from a path segment.
fn schedule_id(state: &State, id: &str) -> Option<u64> {
    id.parse::<u64>()
        .ok()
        .filter(|id| state.schedules.contains_key(id))
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
            "order": 0, "group_id": c.group, "enabled": c.enabled,
            "created_at": "2026-11-01 10:00:00", "updated_at": "2026-11-23 09:00:00",
            "deleted_at": null,
            "status_name": V2.get(c.status as usize).map_or(format!("cachet.components.status.{}", c.status), |s| (*s).to_owned()),
            "tags": [],
        })
        .as_object()
        .map(|shown| {
            // 2.3 has no `meta` column; 2.4 shows it (null until written).
            let mut shown = shown.clone();
            if version == Version::V24 {
                shown.insert("meta".to_owned(), c.meta.clone());
            }
            Value::Object(shown)
        })
        .unwrap(),
        // a34c0607: a bare-int status, and `enabled` null unless an admin set it.
        Version::V3Core2024 => json!({
            "id": c.id.to_string(), "type": "components",
            "attributes": {
                "id": c.id, "name": c.name, "description": null, "link": null, "order": 0,
                "status": c.status,
                "enabled": if c.enabled { Value::Null } else { json!(false) },
            },
        }),
        Version::V3 | Version::V3Core2025 | Version::V3Core2026 => json!({
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
            let (per_page, page) = paging(request, 20);
            let total = data.len();
            let shown: Vec<Value> = data
                .into_iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .collect();
            ok(
                version,
                json!({"meta": {"pagination": {"total": total, "count": shown.len(), "per_page": per_page,
                "current_page": page, "total_pages": total.div_ceil(per_page.max(1)).max(1),
                "links": {"next_page": null, "previous_page": null}}}, "data": shown}),
            )
        }
        Version::V3 | Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026 => {
            let name = request.query("filter[name]").map(|n| n.to_lowercase());
            // 3.x: `per_page` defaults to 15 and is clamped to 1..100.
            let (per_page, page) = paging(request, 15);
            let per_page = per_page.clamp(1, 100);
            // `filter[enabled]` defaults to true; only a token may ask for disabled ones.
            let enabled = !matches!(
                request.query("filter[enabled]").as_deref(),
                Some("0" | "false")
            );
            let matching: Vec<&Component> = state
                .components
                .values()
                .filter(|c| {
                    if version == Version::V3Core2025 {
                        // bb03e8a7 lists disabled components to anyone.
                        true
                    } else if enabled {
                        c.enabled
                    } else {
                        authorized && !c.enabled
                    }
                })
                .filter(|c| {
                    name.as_ref()
                        .is_none_or(|n| c.name.to_lowercase().contains(n))
                })
                .collect();
            let include_group = request
                .query("include")
                .is_some_and(|include| include.split(',').any(|i| i == "group"));
            let shown: Vec<Value> = matching
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|c| {
                    let mut shown = present(version, c);
                    if include_group {
                        shown["relationships"] = json!({"group": {"data": if c.group == 0 {
                            Value::Null
                        } else {
                            json!({"type": "componentGroups", "id": c.group.to_string()})
                        }}});
                    }
                    shown
                })
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
    if version.v3() && !authorized {
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
        Version::V3 | Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026
            if status.is_some() && status_number.is_none_or(|s| !(1..=6).contains(&s)) =>
        {
            return Response::json(
                422,
                &json!({"message": "The selected status is invalid.", "errors": {"status": ["The selected status is invalid."]}}),
            );
        }
        Version::V3 | Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026
            if !state
                .abilities
                .iter()
                .any(|a| a == "*" || a == "components.manage") =>
        {
            return Response::json(403, &json!({"message": "Invalid ability provided."}));
        }
        _ => {}
    }
    let drops_meta_writes = state.drops_meta_writes;
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
    // 2.3 (`(bool) Binput::get('enabled', true)`) and the 3.x cores before 5a91e9 (`bool
    // $enabled = true`) re-enable a component on a PUT without `enabled`.
    match enabled {
        Some(enabled) => component.enabled = enabled,
        None if version.reenables() => component.enabled = true,
        None => {}
    }
    // `meta` is replaced wholesale where it is kept, silently dropped where not.
    if let Some(meta) = input.get("meta")
        && version.keeps_meta()
        && !drops_meta_writes
    {
        component.meta = meta.clone();
    }
    let presented = present(version, component);
    ok(version, json!({"data": presented}))
}

/// What every write shares: authentication (401), the body read as Laravel reads it, and the
/// 3.x ability (403). `Ok` is the refusal to send; `Err` carries the input to go on with.
fn write_guard(
    state: &State,
    request: &Request,
    authorized: bool,
    ability: &str,
) -> Result<Response, Value> {
    if !authorized {
        return Ok(match state.version {
            Version::V3 | Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026 => {
                Response::json(401, &json!({"message": "Unauthenticated."}))
            }
            _ => error_v2(
                401,
                "Unauthorized",
                "Authentication is required and has failed or has not yet been provided.",
                &[],
            ),
        });
    }
    // The 2024 core has no API keys, and so no abilities.
    if state.version.v3()
        && state.version != Version::V3Core2024
        && !state.abilities.iter().any(|a| a == "*" || a == ability)
    {
        return Ok(Response::json(
            403,
            &json!({"message": "Invalid ability provided."}),
        ));
    }
    let json_body = request
        .header("Content-Type")
        .is_some_and(|t| t.contains("/json"));
    Err(if json_body {
        serde_json::from_str(&request.body).unwrap_or(json!({}))
    } else {
        json!({})
    })
}

fn invalid(version: Version, field: &str, why: &str) -> Response {
    match version {
        Version::V3 | Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026 => {
            Response::json(422, &json!({"message": why, "errors": {field: [why]}}))
        }
        _ => error_v2(
            400,
            "Bad Request",
            "The request cannot be fulfilled due to bad syntax.",
            &[why],
        ),
    }
}

fn as_number(value: Option<&Value>) -> Option<u64> {
    let value = value?;
    value.as_u64().or_else(|| value.as_str()?.parse().ok())
}

fn as_bool(value: Option<&Value>) -> Option<bool> {
    let value = value?;
    value
        .as_bool()
        .or_else(|| as_number(Some(value)).map(|n| n != 0))
}

/// An incident as the server shows it; on 3.x `relationships` only when `include=components`
/// asked for them.
fn present_incident(version: Version, incident: &Incident, include_components: bool) -> Value {
    match version {
        Version::V3 | Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026 => {
            let mut shown = json!({
                "id": incident.id.to_string(), "type": "incidents",
                "attributes": {
                    "id": incident.id, "name": incident.name, "message": incident.message,
                    "visible": u8::from(incident.visible),
                    "status": {"human": "Investigating", "value": incident.status},
                },
            });
            if matches!(version, Version::V3Core2024 | Version::V3Core2025) {
                shown["attributes"]["component_id"] = json!(incident.component_id);
                shown["attributes"]["component_status"] = json!(incident.component_status);
            }
            if include_components {
                let linked = incident
                    .component_id
                    .filter(|_| incident.attached)
                    .map_or(vec![], |id| {
                        vec![json!({"type": "components", "id": id.to_string()})]
                    });
                shown["relationships"] = json!({"components": {"data": linked}});
            }
            shown
        }
        _ => json!({
            "id": incident.id, "component_id": incident.component_id.unwrap_or(0),
            "name": incident.name, "status": incident.status,
            "visible": u8::from(incident.visible), "message": incident.message,
        }),
    }
}

fn list_incidents(state: &State, request: &Request, authorized: bool) -> Response {
    let version = state.version;
    match version {
        Version::V3 | Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026 => {
            let include_components = includes(request, "components");
            if include_components && version == Version::V3Core2024 {
                return refused_include("components", "updates, updatesCount, updatesExists");
            }
            let statuses: Option<Vec<u64>> = request
                .query("filter[status]")
                .map(|list| list.split(',').filter_map(|s| s.parse().ok()).collect());
            // 3.x: `per_page` defaults to 15 and is clamped to 1..100.
            let (per_page, page) = paging(request, 15);
            let per_page = per_page.clamp(1, 100);
            let matching: Vec<&Incident> = state
                .incidents
                .values()
                .rev()
                .filter(|i| authorized || i.visible)
                .filter(|i| {
                    statuses
                        .as_ref()
                        .is_none_or(|s| s.contains(&i.stored_status))
                })
                .collect();
            let shown: Vec<Value> = matching
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|i| present_incident(version, i, include_components))
                .collect();
            let mut links = json!({"first": "/api/incidents?page=1"});
            if matching.len() > page * per_page {
                links["next"] = json!(format!("/api/incidents?page={}", page + 1));
            }
            ok(
                version,
                json!({"data": shown, "links": links, "meta": {"current_page": page, "per_page": per_page}}),
            )
        }
        _ => {
            if request.query("component_id").is_some() && request.query("page").is_some() {
                return error_v2(
                    500,
                    "Internal Server Error",
                    "An error has occurred and this resource cannot be displayed.",
                    &[],
                );
            }
            let component = request
                .query("component_id")
                .and_then(|c| c.parse::<u64>().ok());
            let data: Vec<Value> = state
                .incidents
                .values()
                .filter(|i| authorized || i.visible)
                .filter(|i| component.is_none_or(|c| i.component_id == Some(c)))
                .map(|i| present_incident(version, i, false))
                .collect();
            ok(
                version,
                json!({"meta": {"pagination": {"total": data.len(), "total_pages": 1}}, "data": data}),
            )
        }
    }
}

fn create_incident(state: &mut State, input: &Value) -> Response {
    let version = state.version;
    let Some(name) = input.get("name").and_then(Value::as_str) else {
        return invalid(version, "name", "The name field is required.");
    };
    let Some(message) = input.get("message").and_then(Value::as_str) else {
        return invalid(version, "message", "The message field is required.");
    };
    let Some(status) = as_number(input.get("status")).filter(|s| *s <= 4) else {
        return invalid(version, "status", "The selected status is invalid.");
    };
    // Every line takes the legacy pair (`component_status` required with `component_id`);
    // the 3.x cores from 2025-12 also attach the `components` list, the earlier ones drop it.
    let legacy = (
        as_number(input.get("component_id")),
        as_number(input.get("component_status")),
    );
    if legacy.0.is_some() != legacy.1.is_some() {
        return invalid(
            version,
            "component_status",
            "The component status field is required when component id is present.",
        );
    }
    let listed = input
        .pointer("/components/0")
        .map(|first| (as_number(first.get("id")), as_number(first.get("status"))));
    let (component_id, component_status) = match listed {
        Some(listed) if version.links_components() => listed,
        _ => legacy,
    };
    let attached = version.links_components() || !version.v3();
    // 2.x: `visible` defaults to true; 3.x: to false (authenticated only).
    let visible = as_bool(input.get("visible")).unwrap_or(!version.v3());
    let id = state.incidents.keys().last().map_or(1, |last| last + 1);
    // 2.x sets the component's status as a side effect; 3.x records an impact only.
    if !version.v3()
        && let (Some(component), Some(status)) = (component_id, component_status)
        && let Some(component) = state.components.get_mut(&component)
    {
        component.status = status;
    }
    let incident = Incident {
        id,
        name: name.to_owned(),
        message: message.to_owned(),
        status,
        visible,
        component_id,
        component_status,
        stored_status: status,
        attached,
        updates: Vec::new(),
    };
    let presented = present_incident(version, &incident, false);
    state.incidents.insert(id, incident);
    let mut response = ok(version, json!({"data": presented}));
    if version.v3() {
        response.status = 201;
    }
    response
}

fn update_incident(state: &mut State, id: &str, input: &Value) -> Response {
    let version = state.version;
    let minimum = if version.v3() { 0 } else { 1 };
    let Some(status) = as_number(input.get("status")).filter(|s| (minimum..=4).contains(s)) else {
        return invalid(version, "status", "The selected status is invalid.");
    };
    let Some(message) = input.get("message").and_then(Value::as_str) else {
        return invalid(version, "message", "The message field is required.");
    };
    let Some(incident) = state.incidents.get_mut(&id.parse().unwrap_or(0)) else {
        return not_found(version, id);
    };
    incident.updates.push((status, message.to_owned()));
    incident.status = status;
    // bb03e8a7 shows the latest update's status but never updates the column it filters on.
    if version != Version::V3Core2025 {
        incident.stored_status = status;
    }
    let update = json!({"id": incident.updates.len(), "incident_id": incident.id, "status": status, "message": message});
    let mut response = ok(version, json!({"data": update}));
    if version.v3() {
        response.status = 201;
    }
    response
}

fn put_incident(state: &mut State, id: &str, input: &Value) -> Response {
    let version = state.version;
    let component_id = as_number(input.get("component_id"));
    let component_status = as_number(input.get("component_status"));
    if !version.v3() && component_id.is_some() && component_status.is_none() {
        return invalid(
            version,
            "component_status",
            "The component status field is required when component id is present.",
        );
    }
    let Some(incident) = state.incidents.get_mut(&id.parse().unwrap_or(0)) else {
        return not_found(version, id);
    };
    if let Some(status) = as_number(input.get("status")) {
        incident.status = status;
        incident.stored_status = status;
    }
    if let Some(message) = input.get("message").and_then(Value::as_str) {
        incident.message = message.to_owned();
    }
    // 2.x: the controller always sends `visible`, so a PUT without it makes the incident visible.
    incident.visible = as_bool(input.get("visible")).unwrap_or(true);
    let presented = present_incident(version, incident, false);
    if !version.v3()
        && let (Some(component), Some(status)) = (component_id, component_status)
        && let Some(component) = state.components.get_mut(&component)
    {
        component.status = status;
    }
    ok(version, json!({"data": presented}))
}

fn add_point(state: &mut State, id: &str, input: &Value) -> Response {
    let version = state.version;
    let Some(value) = input.get("value").and_then(Value::as_f64) else {
        return invalid(version, "value", "The value field is required.");
    };
    let timestamp = match input.get("timestamp") {
        None => 0,
        Some(t) => match t.as_i64() {
            Some(t) => t,
            None => return invalid(version, "timestamp", "The timestamp must be an integer."),
        },
    };
    let metric: u64 = id.parse().unwrap_or(0);
    let threshold = state.thresholds.get(&metric).copied().unwrap_or(5);
    let points = state.metrics.entry(metric).or_default();
    // 3.x: a point within `threshold` minutes of the latest one only counts; its value is
    // discarded. 2.x keeps every value (observed on 2.4.1).
    match points.last_mut() {
        Some(latest) if version.v3() && (timestamp - latest.1).abs() < threshold * 60 => {
            latest.2 += 1;
        }
        _ => points.push((value, timestamp, 1)),
    }
    let (kept, _, counter) = points[points.len() - 1];
    let number = points.len();
    match version {
        Version::V23 | Version::V24 => ok(
            version,
            json!({"data": {"id": number, "metric_id": metric, "value": kept, "counter": counter}}),
        ),
        _ => {
            let mut response = ok(
                version,
                json!({"data": {"id": number.to_string(), "type": "metricPoints", "attributes": {
                    "id": number, "metric_id": metric, "value": kept, "counter": counter}}}),
            );
            response.status = 201;
            response
        }
    }
}

/// Whether the request's `include` names `what`.
fn includes(request: &Request, what: &str) -> bool {
    request
        .query("include")
        .is_some_and(|include| include.split(',').any(|i| i == what))
}

/// Spatie query-builder's answer to an include the endpoint does not allow.
fn refused_include(asked: &str, allowed: &str) -> Response {
    Response::json(
        400,
        &json!({"message": format!("Requested include(s) `{asked}` are not allowed. Allowed include(s) are `{allowed}`.")}),
    )
}

/// The rate limiter: 60 or 300 requests a minute (`Version::rate_limit`); past it, Laravel's
/// 429 with `Retry-After` until the window ends.
/// `Ok` with the requests left this minute (none on 2.x), or the refusal.
fn throttle(state: &mut State) -> Result<Option<u32>, Response> {
    if !state.version.v3() {
        return Ok(None);
    }
    let limit = state.version.rate_limit();
    let (began, count) = &mut state.window;
    if began.elapsed() >= Duration::from_secs(60) {
        *began = Instant::now();
        *count = 0;
    }
    *count += 1;
    if *count <= limit {
        return Ok(Some(limit - *count));
    }
    let wait = 60u64.saturating_sub(began.elapsed().as_secs()).max(1);
    Err(
        Response::json(429, &json!({"message": "Too Many Attempts."}))
            .header("Retry-After", &wait.to_string())
            .header("X-RateLimit-Limit", &limit.to_string())
            .header("X-RateLimit-Remaining", "0"),
    )
}

/// The rate limiter's minute, as tests see and move it.
impl FakeCachet {
    /// Requests counted against the rate limit in the current minute.
    pub fn requests_this_minute(&self) -> u32 {
        self.state.lock().unwrap().window.1
    }

    /// Starts the next minute of the rate limiter at once (instead of a test waiting for it).
    pub fn next_minute(&self) {
        self.state.lock().unwrap().window = (Instant::now(), 0);
    }
}

fn ok(version: Version, body: Value) -> Response {
    let kind = if version.v3() {
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
        Version::V3 | Version::V3Core2024 | Version::V3Core2025 | Version::V3Core2026 => {
            Response::json(
                404,
                &json!({"message": if id.is_empty() { String::new() } else { format!("No query results for model [Cachet\\Models\\Component] {id}") }}),
            )
        }
    }
}

pub fn error_v2(status: u16, title: &str, detail: &str, details: &[&str]) -> Response {
    let mut error = json!({"id": "5f8e0c1a-0000-4000-8000-000000000000", "status": status, "title": title, "detail": detail});
    if !details.is_empty() {
        error["meta"] = json!({"details": details});
    }
    Response::json(status, &json!({"errors": [error]}))
}
