//! Maintenance on the server (SPEC §10, cachet-api.md §3.6): schedules — page-wide on 2.4,
//! with their times in Cachet's own time zone and a status the client sets; linked to
//! components on 3.x, their status computed by the server — and the component `meta` where
//! `maintenance start` leaves its marker for every host's runs.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};

use super::transport::Call;
use super::{CachetError, Client, RemoteComponent};

/// A schedule to create.
pub struct NewSchedule<'a> {
    pub name: &'a str,
    pub message: &'a str,
    pub starts: Timestamp,
    pub ends: Timestamp,
    /// The components in maintenance (3.x links them; 2.4 does not).
    pub components: &'a [u64],
    pub notify: bool,
}

/// A schedule as Cachet lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteSchedule {
    pub id: u64,
    pub name: String,
    /// 0 upcoming, 1 in progress, 2 complete.
    pub status: u64,
    /// As the server writes them.
    pub starts: Option<String>,
    pub ends: Option<String>,
    /// The components it lists (3.x).
    pub components: Vec<u64>,
}

/// A component's `meta`, or why the server keeps none.
pub enum Meta {
    Kept(Map<String, Value>),
    NotKept(String),
}

impl Client {
    /// Creates a schedule (2.4: in progress, times in `zone`, Cachet's own). Returns its id.
    pub fn create_schedule(&self, new: &NewSchedule, zone: &TimeZone) -> Result<u64, CachetError> {
        let body = self.dialect.schedule_body(new, zone);
        let answer = self.send_once(&Call::new(
            "POST",
            "/schedules",
            Some(&body),
            "schedules.manage",
        ))?;
        super::answer::number(answer.pointer("/data/id"))
            .ok_or_else(|| self.invalid("/schedules", "no schedule id in `data`"))
    }

    /// Ends a schedule now.
    pub fn end_schedule(&self, id: u64, zone: &TimeZone) -> Result<(), CachetError> {
        let (method, path, body, ability) = self.dialect.schedule_end(id, Timestamp::now(), zone);
        self.send(&Call::new(method, &path, Some(&body), ability))
            .map(|_| ())
    }

    /// The schedules not complete yet (upcoming and in progress).
    pub fn open_schedules(&self) -> Result<Vec<RemoteSchedule>, CachetError> {
        let body = self.get(self.dialect.schedules_query())?;
        Ok(super::answer::items(&body)
            .filter_map(|data| self.dialect.schedule(data))
            .filter(|schedule| schedule.status < 2)
            .collect())
    }

    /// The component's `meta` (2.4 shows it, 3.x with `include=meta` on the cores that keep it).
    pub fn read_meta(&self, id: u64) -> Result<Meta, CachetError> {
        let (path, pointer) = self.dialect.meta_at(id);
        match self.get(&path) {
            Ok(body) => Ok(match body.pointer(pointer) {
                // `{}` reads back as `[]` on 2.4, and a component never written has `null`.
                Some(meta) => Meta::Kept(meta.as_object().cloned().unwrap_or_default()),
                None => Meta::NotKept(
                    "its components have no `meta` (Cachet 2.3, or a core without it)".to_owned(),
                ),
            }),
            Err(CachetError::Rejected {
                status: 400,
                message,
                ..
            }) => Ok(Meta::NotKept(format!(
                "it refuses `include=meta` (\"{message}\"): this 3.x core drops component meta"
            ))),
            Err(error) => Err(error),
        }
    }

    /// Sets `meta.cachet_check.<key>` (`None` removes it) in `meta` as read, and writes it
    /// back whole with the component's `enabled`: a PUT replaces `meta`, so every other key is
    /// kept as it was read.
    pub fn write_ours(
        &self,
        component: &RemoteComponent,
        mut meta: Map<String, Value>,
        key: &str,
        value: Option<Value>,
    ) -> Result<(), CachetError> {
        let ours = meta.entry("cachet_check").or_insert_with(|| json!({}));
        if !ours.is_object() {
            *ours = json!({});
        }
        if let Some(ours) = ours.as_object_mut() {
            match value {
                Some(value) => {
                    ours.insert(key.to_owned(), value);
                }
                None => {
                    ours.remove(key);
                }
            }
        }
        let body = json!({ "meta": meta, "enabled": component.enabled });
        self.send(&Call::new(
            "PUT",
            &format!("/components/{}", component.id),
            Some(&body),
            "components.manage",
        ))
        .map(|_| ())
    }
}
