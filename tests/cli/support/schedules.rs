//! Schedules (maintenance) as the fake Cachet keeps them (cachet-api.md §3.6): 2.4's, page-wide,
//! whose status the client sets and whose times are `Y-m-d H:i` in Cachet's time zone (UTC
//! here); 3.x's, listing components, whose status the server computes from its clock.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::cachet::Version;

#[derive(Clone, Debug)]
pub struct Schedule {
    pub id: u64,
    pub name: String,
    pub message: String,
    /// 2.4: the status the client set.
    pub status: u64,
    /// Unix seconds.
    pub starts: i64,
    pub ends: Option<i64>,
    /// (component id, status during the window), 3.x.
    pub components: Vec<(u64, u64)>,
}

impl Schedule {
    /// 0 upcoming, 1 in progress, 2 complete: set by the client on 2.4, computed on 3.x.
    pub fn status_at(&self, version: Version, now: i64) -> u64 {
        if !version.v3() {
            return self.status;
        }
        match self.ends {
            _ if self.starts > now => 0,
            Some(ends) if ends <= now => 2,
            _ => 1,
        }
    }
}

/// 2.4 reads `Y-m-d H:i` (Carbon::createFromFormat); anything else is refused here.
pub fn parse_minutes(text: &str) -> Option<i64> {
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", text).ok()?;
    Some(
        civil
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_second(),
    )
}

fn iso(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn minutes(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A schedule as the API shows it.
pub fn present(version: Version, schedule: &Schedule, now: i64, with_components: bool) -> Value {
    let status = schedule.status_at(version, now);
    if !version.v3() {
        return json!({
            "id": schedule.id, "name": schedule.name, "message": schedule.message,
            "status": status, "scheduled_at": minutes(schedule.starts),
            // An unset `completed_at` reads back as the current time.
            "completed_at": minutes(schedule.ends.unwrap_or(now)),
        });
    }
    let human = ["Upcoming", "In progress", "Complete"][status as usize];
    let mut shown = json!({
        "id": schedule.id.to_string(), "type": "schedules",
        "attributes": {
            "id": schedule.id, "name": schedule.name, "message": schedule.message,
            "status": {"human": human, "value": status},
            "scheduled_at": iso(schedule.starts),
            "completed_at": schedule.ends.map(iso),
        }
    });
    if with_components {
        let linked: Vec<Value> = schedule
            .components
            .iter()
            .map(|(id, _)| json!({"type": "components", "id": id.to_string()}))
            .collect();
        shown["relationships"] = json!({"components": {"data": linked}});
    }
    shown
}

/// Reads a new schedule from `input`, or says which field is wrong.
pub fn create(
    version: Version,
    schedules: &BTreeMap<u64, Schedule>,
    input: &Value,
) -> Result<Schedule, (&'static str, &'static str)> {
    let text = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_owned);
    let name = text("name").ok_or(("name", "The name field is required."))?;
    let message = text("message").unwrap_or_default();
    let starts_text =
        text("scheduled_at").ok_or(("scheduled_at", "The scheduled at field is required."))?;
    let when = |text: &str| {
        if version.v3() {
            text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
        } else {
            parse_minutes(text)
        }
    };
    let starts = when(&starts_text).ok_or((
        "scheduled_at",
        "The scheduled at does not match the format Y-m-d H:i.",
    ))?;
    let ends = match text("completed_at") {
        Some(ends) => Some(when(&ends).ok_or((
            "completed_at",
            "The completed at does not match the format Y-m-d H:i.",
        ))?),
        None => None,
    };
    let status = if version.v3() {
        0
    } else {
        input
            .get("status")
            .and_then(Value::as_u64)
            .filter(|status| *status <= 2)
            .ok_or(("status", "The status field is required."))?
    };
    let components = if version.v3() {
        let listed = input
            .get("components")
            .and_then(Value::as_array)
            .ok_or(("components", "The components field is required."))?;
        listed
            .iter()
            .map(|c| {
                Some((
                    c.get("id")?.as_u64()?,
                    c.get("status").and_then(Value::as_u64).unwrap_or(6),
                ))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or(("components", "Each component needs an id and a status."))?
    } else {
        Vec::new()
    };
    Ok(Schedule {
        id: schedules.keys().max().copied().unwrap_or(0) + 1,
        name,
        message,
        status,
        starts,
        ends,
        components,
    })
}
