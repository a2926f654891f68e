//! Cachet 2.3 and 2.4 (API v1, cachet-api.md §2): `/api/v1`, `X-Cachet-Token`, `{"data": …}`
//! envelopes with plain attributes, paging by `page`, `silent` writes, and (2.3) incidents
//! without updates.

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

pub const LINE: V2 = V2;

/// Pages read when listing, at 100 components each.
const MAX_PAGES: u32 = 100;

pub struct V2;

impl Line for V2 {
    fn word(&self) -> &'static str {
        "2"
    }

    fn title(&self) -> &'static str {
        "2.x (API v1)"
    }

    fn api_path(&self) -> &'static str {
        "/api/v1"
    }

    fn authorize(
        &self,
        request: ureq::http::request::Builder,
        token: &Secret,
    ) -> ureq::http::request::Builder {
        request.header("X-Cachet-Token", token.expose())
    }

    fn component(&self, answer: &Value) -> Option<RemoteComponent> {
        component(answer)
    }

    /// `per_page` is large rather than paging: 2.x turns `page` next to a filter into an SQL
    /// column and fails (cachet-api.md §2.5). 2.x compares exactly, case-insensitively on MySQL.
    fn name_query(&self, name: &str) -> String {
        format!("/components?name={}&per_page=1000", encode(name))
    }

    fn find_by_name(
        &self,
        client: &Client,
        name: &str,
    ) -> Result<Vec<RemoteComponent>, CachetError> {
        let body = client.get(&self.name_query(name))?;
        Ok(items(&body).filter_map(parse).collect())
    }

    fn status_body(&self, current: &RemoteComponent, status: Status, notify: bool) -> Value {
        status_body(current, status, notify)
    }

    fn list_components(
        &self,
        client: &Client,
        enough: &mut dyn FnMut(&[Listed]) -> bool,
    ) -> Result<Vec<Listed>, CachetError> {
        let mut listed = Vec::new();
        for page in 1..=MAX_PAGES {
            let body = client.get(&format!("/components?per_page=100&page={page}"))?;
            for data in items(&body) {
                if let Some(component) = parse(data) {
                    let group = number(data.get("group_id")).filter(|g| *g != 0);
                    listed.push(Listed { component, group });
                }
            }
            let pages = number(body.pointer("/meta/pagination/total_pages")).unwrap_or(1);
            if u64::from(page) >= pages || enough(&listed) {
                break;
            }
        }
        Ok(listed)
    }

    fn open_incidents(
        &self,
        client: &Client,
        component: u64,
        _fresh: bool,
    ) -> Result<Vec<RemoteIncident>, CachetError> {
        // A filter next to `page` fails (cachet-api.md §2.5), so one large page.
        let body = client.get(&format!(
            "/incidents?component_id={component}&per_page=1000"
        ))?;
        Ok(items(&body)
            .filter(|incident| number(incident.get("component_id")) == Some(component))
            .filter_map(incident)
            .collect())
    }

    fn incident_body(&self, new: &NewIncident) -> Value {
        json!({
            "name": new.name,
            "message": new.message,
            "status": IncidentStatus::Investigating as u8,
            "visible": u8::from(new.visible),
            "component_id": new.component,
            "component_status": new.status.id(),
            "notify": new.notify,
        })
    }

    fn incident_rewrite(
        &self,
        status: IncidentStatus,
        message: &str,
        visible: bool,
        component: u64,
        component_status: Status,
    ) -> Option<Value> {
        // Cachet 2.3: no update routes. A PUT resets `visible` unless sent, and needs
        // `component_status` next to `component_id` (cachet-api.md §5).
        Some(json!({
            "status": status as u8,
            "message": message,
            "visible": u8::from(visible),
            "component_id": component,
            "component_status": component_status.id(),
        }))
    }

    fn check_token(
        &self,
        client: &Client,
        _component: Option<&RemoteComponent>,
    ) -> Option<Result<(), CachetError>> {
        // A read that needs a token: other reads accept any token (cachet-api.md §5.10).
        Some(client.get("/subscribers").map(|_| ()))
    }

    /// 2.4 (`CreateScheduleCommand`): the status is the client's to set (1: in progress), the
    /// times are `Y-m-d H:i` in Cachet's time zone; it does not link components.
    fn schedule_body(&self, new: &NewSchedule, zone: &TimeZone) -> Value {
        json!({
            "name": new.name,
            "message": new.message,
            "status": 1,
            "scheduled_at": minutes(new.starts, zone, false),
            "completed_at": minutes(new.ends, zone, true),
            "notify": new.notify,
        })
    }

    fn schedule_end(
        &self,
        id: u64,
        now: Timestamp,
        zone: &TimeZone,
    ) -> (&'static str, String, Value, &'static str) {
        (
            "PUT",
            format!("/schedules/{id}"),
            json!({ "status": 2, "completed_at": minutes(now, zone, false) }),
            "schedules.manage",
        )
    }

    fn schedules_query(&self) -> &'static str {
        "/schedules?per_page=100"
    }

    fn schedule(&self, data: &Value) -> Option<RemoteSchedule> {
        Some(RemoteSchedule {
            id: number(data.get("id"))?,
            name: sanitize(data.get("name")?.as_str()?),
            status: number(data.get("status"))?,
            starts: data
                .get("scheduled_at")
                .and_then(Value::as_str)
                .map(str::to_owned),
            ends: data
                .get("completed_at")
                .and_then(Value::as_str)
                .map(str::to_owned),
            components: Vec::new(),
        })
    }

    fn meta_at(&self, id: u64) -> (String, &'static str) {
        (format!("/components/{id}"), "/data/meta")
    }

    fn unknown_id(&self) -> u64 {
        0
    }

    fn read_all(&self, answer: &Value) -> usize {
        let mut found = usize::from(component(answer).is_some());
        if let Some(data) = answer.get("data") {
            found += usize::from(incident(data).is_some());
        }
        found + items(answer).filter_map(parse).count()
    }
}

/// The component in `{"data": {...}}`.
/// `at` as 2.4 reads a schedule's time: `Y-m-d H:i` in Cachet's zone; `up` rounds a time
/// within a minute up, so that a window never ends before its time.
fn minutes(at: Timestamp, zone: &TimeZone, up: bool) -> String {
    let zoned = at.to_zoned(zone.clone());
    let zoned = if up && (zoned.second() > 0 || zoned.subsec_nanosecond() > 0) {
        zoned
            .checked_add(jiff::SignedDuration::from_secs(60))
            .unwrap_or(zoned)
    } else {
        zoned
    };
    zoned.strftime("%Y-%m-%d %H:%M").to_string()
}

fn component(body: &Value) -> Option<RemoteComponent> {
    parse(body.get("data")?)
}

fn parse(data: &Value) -> Option<RemoteComponent> {
    Some(RemoteComponent {
        id: number(data.get("id"))?,
        name: sanitize(data.get("name")?.as_str()?),
        status: number(data.get("status"))?,
        enabled: boolean(data.get("enabled")).unwrap_or(true),
        meta: data.get("meta").filter(|meta| !meta.is_null()).cloned(),
    })
}

/// An incident of a list (`/incidents`).
fn incident(data: &Value) -> Option<RemoteIncident> {
    Some(RemoteIncident {
        id: number(data.get("id"))?,
        name: sanitize(data.get("name")?.as_str()?),
        status: number(data.get("status"))?,
    })
}

/// The PUT body. `enabled` is always sent, as Cachet shows it now, because 2.3 re-enables a
/// disabled component on a PUT without it (cachet-api.md §2.5); `silent` (2.4) keeps subscribers
/// from being e-mailed when `notify_subscribers = false`.
fn status_body(current: &RemoteComponent, status: Status, notify_subscribers: bool) -> Value {
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

    // A name is Cachet's text: printed and published only made safe.
    #[test]
    fn a_components_name_is_read_sanitised() {
        let body = json!({"data": {"id": 2, "name": "A\u{1b}[2J\u{202e}PI", "status": 1, "enabled": true}});
        assert_eq!(
            component(&body).map(|c| c.name),
            Some("A\\u{1b}[2J\\u{202e}PI".to_owned())
        );
    }

    #[test]
    fn components_parse_with_numbers_as_strings() {
        let body = json!({"data": {"id": "2", "name": "API", "status": "3", "enabled": 0}});
        assert_eq!(
            component(&body),
            Some(RemoteComponent {
                id: 2,
                name: "API".to_owned(),
                status: 3,
                enabled: false,
                meta: None,
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
            meta: None,
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

    // 2.4 reads schedule times as `Y-m-d H:i` in Cachet's own zone; an end is rounded up.
    #[test]
    fn schedule_times_are_minutes_in_cachets_zone() {
        let zone = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        let at: jiff::Timestamp = "2026-11-29T21:00:30Z".parse().unwrap();
        assert_eq!(super::minutes(at, &zone, false), "2026-11-29 22:00");
        assert_eq!(super::minutes(at, &zone, true), "2026-11-29 22:01");
        let summer: jiff::Timestamp = "2026-07-01T10:00:00Z".parse().unwrap();
        assert_eq!(super::minutes(summer, &zone, true), "2026-07-01 12:00");
    }
}
