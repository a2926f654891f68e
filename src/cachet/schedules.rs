//! Maintenance on the server (SPEC §10, cachet-api.md §3.6): schedules — page-wide on 2.4,
//! with their times in Cachet's own time zone and a status the client sets; linked to
//! components on 3.x, their status computed by the server. The marker `maintenance start`
//! leaves for every host's runs is in the component's `meta` (`meta.rs`).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::transport::Call;
use super::{CachetError, Client};

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
}
