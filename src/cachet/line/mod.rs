//! An API line of Cachet — 2.x (`v2.rs`) or 3.x (`v3.rs`) — behind one interface: its paths,
//! its token header, its envelopes, its paging and its bodies. A new line is a new module here
//! with a `LINE`, declared and listed in `LINES` below.

mod v2;
mod v3;

use std::fmt;

use serde_json::Value;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{
    CachetError, Client, IncidentStatus, Listed, NewIncident, NewSchedule, RemoteComponent,
    RemoteIncident, RemoteSchedule,
};
use crate::secret::Secret;
use crate::status::Status;

/// Every line, in the order `api = "auto"` tries them.
const LINES: &[&dyn Line] = &[&v2::LINE, &v3::LINE];

/// What one API line does its own way. A new line writes what its server does differently;
/// the defaults are what a line does until it says otherwise: no abilities on its tokens, no
/// merged metric points, page-wide schedules, incident updates on every server of the line, a
/// `/ping` that needs no token, and one read per component (or per listing page of 100) plus
/// one per open-incident lookup.
pub trait Line: Sync {
    /// "2" or "3": `api` in the config, and how the state dir remembers a server's line.
    fn word(&self) -> &'static str;

    /// How `doctor` names it: "2.x (API v1)".
    fn title(&self) -> &'static str;

    /// Where its routes start: `/api/v1`.
    fn api_path(&self) -> &'static str;

    /// The request with the token as this line takes it.
    fn authorize(
        &self,
        request: ureq::http::request::Builder,
        token: &Secret,
    ) -> ureq::http::request::Builder;

    /// Whether `/ping` answering 401 still says the server speaks this line (a 3.x app with
    /// `api_protected`).
    fn pings_behind_a_token(&self) -> bool {
        false
    }

    /// The component of an answer to `GET` or `PUT /components/{id}`.
    fn component(&self, answer: &Value) -> Option<RemoteComponent>;

    /// The request that looks a component up by name.
    fn name_query(&self, name: &str) -> String;

    /// The components the server finds for `name` (some may only resemble it).
    fn find_by_name(
        &self,
        client: &Client,
        name: &str,
    ) -> Result<Vec<RemoteComponent>, CachetError>;

    /// The body that writes `status` to `current`, keeping its `enabled`.
    fn status_body(&self, current: &RemoteComponent, status: Status, notify: bool) -> Value;

    /// The components, page by page, until `enough` says the ones listed will do.
    fn list_components(
        &self,
        client: &Client,
        enough: &mut dyn FnMut(&[Listed]) -> bool,
    ) -> Result<Vec<Listed>, CachetError>;

    /// The unresolved incidents linked to `component` (3.x: from the list shared by the run,
    /// read again when `fresh`).
    fn open_incidents(
        &self,
        client: &Client,
        component: u64,
        fresh: bool,
    ) -> Result<Vec<RemoteIncident>, CachetError>;

    /// The body that opens an incident.
    fn incident_body(&self, new: &NewIncident) -> Value;

    /// The body that rewrites an incident whole, for a server without incident updates (2.3);
    /// `None` when every server of the line has them.
    fn incident_rewrite(
        &self,
        _status: IncidentStatus,
        _message: &str,
        _visible: bool,
        _component: u64,
        _component_status: Status,
    ) -> Option<Value> {
        None
    }

    /// Whether the token may write, without changing anything (`None`: no way to tell without
    /// a component and none was given).
    fn check_token(
        &self,
        client: &Client,
        component: Option<&RemoteComponent>,
    ) -> Option<Result<(), CachetError>>;

    /// Where a component's `meta` is read: the request and the JSON pointer in its answer.
    fn meta_at(&self, id: u64) -> (String, &'static str);

    /// The status id of unknown (2.x 0, 3.x 5).
    fn unknown_id(&self) -> u64;

    /// The body that creates a maintenance schedule; `zone` is Cachet's own (2.4 reads its
    /// times in it).
    fn schedule_body(&self, new: &NewSchedule, zone: &TimeZone) -> Value;

    /// How a schedule is ended at `now`: method, path, body and the ability it needs.
    fn schedule_end(
        &self,
        id: u64,
        now: Timestamp,
        zone: &TimeZone,
    ) -> (&'static str, String, Value, &'static str);

    /// Whether its schedules list components and end by themselves (3.x: the server computes
    /// their status from their times) — or are page-wide, their status the client's to set
    /// and to end (2.4).
    fn schedules_list_components(&self) -> bool {
        false
    }

    /// The request that lists the schedules not complete yet.
    fn schedules_query(&self) -> &'static str;

    /// A schedule of a list.
    fn schedule(&self, data: &Value) -> Option<RemoteSchedule>;

    /// Whether its tokens carry abilities (`components.manage`, …) that `doctor` lists.
    fn has_abilities(&self) -> bool {
        false
    }

    /// Whether it merges a metric point within the metric's `threshold` minutes of the
    /// latest into it, discarding its value.
    fn merges_points(&self) -> bool {
        false
    }

    /// Requests a run makes to read `components` components and the open incidents of
    /// `with_incident` of them, when no status changes: by default one component, or the
    /// listing; the open incidents of each component.
    fn reads_per_run(&self, components: usize, with_incident: usize) -> usize {
        let reads = if components <= 1 {
            components
        } else {
            components.div_ceil(100)
        };
        reads + with_incident
    }

    /// Every reading this line makes of an answer — a component, an incident, a list, its
    /// paging — counted, for the fuzz target: nothing may panic, whatever `answer` is.
    fn read_all(&self, answer: &Value) -> usize;
}

/// The API line a client speaks.
#[derive(Clone, Copy)]
pub struct Dialect(&'static dyn Line);

impl Dialect {
    /// The line `api = "2"` (or the state dir) names.
    pub fn from_word(word: &str) -> Option<Dialect> {
        LINES
            .iter()
            .find(|line| line.word() == word)
            .map(|line| Dialect(*line))
    }

    /// Every line, in the order detection tries them.
    pub fn all() -> impl Iterator<Item = Dialect> {
        LINES.iter().map(|line| Dialect(*line))
    }

    /// "`auto`, `2`, `3`": what `api` may be.
    pub fn words() -> String {
        std::iter::once("auto")
            .chain(LINES.iter().map(|line| line.word()))
            .map(|word| format!("`{word}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The first line detection tries, until it has found the server's.
impl Default for Dialect {
    fn default() -> Dialect {
        Dialect(LINES[0])
    }
}

impl std::ops::Deref for Dialect {
    type Target = dyn Line;

    fn deref(&self) -> &(dyn Line + 'static) {
        self.0
    }
}

impl PartialEq for Dialect {
    fn eq(&self, other: &Dialect) -> bool {
        self.word() == other.word()
    }
}

impl Eq for Dialect {}

impl fmt::Debug for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cachet API line {}", self.word())
    }
}
