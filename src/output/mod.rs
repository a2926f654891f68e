//! What cachet-check prints (SPEC §9): the `Report` of a run (also the JSON object), the typed
//! reports of `validate` (`Plan`), `doctor` (`Checkup`) and `components` (`Listing`), and the
//! `Printer` that renders each by format and verbosity (and turns the `-vv` `Trace` on).
//!
//! stdout carries the result; errors, warnings and traces go to stderr. Nothing else decides
//! whether something is printed.

mod checkup;
mod listing;
mod maintenance;
mod plan;
mod stale;
mod text;

pub use checkup::{Checkup, Level, Step};
pub use listing::{ListedComponent, Listing};
pub use maintenance::{Maintenance, WindowLine};
pub use plan::{CachetPlan, CheckPlan, ComponentPlan, IncidentPlan, Plan, WindowPlan};
pub use stale::{StaleLine, Staleness};

use std::io::Write;

use serde::Serialize;

pub use crate::check::witness::Seen;
use crate::cli::Format;
use crate::exit::Exit;
use crate::perfdata::Perfdata;
use crate::status::{OutcomeKind, Status};
pub use crate::stderr::Trace;
use crate::stderr::warn;

/// A run's result; serialised as the JSON object of SPEC §9.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The worst component status (null when there is none, e.g. after an early error).
    pub status: Option<Status>,
    #[serde(rename = "exit_code", serialize_with = "exit_code")]
    pub exit: Exit,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    pub components: Vec<ComponentReport>,
    /// The witnesses asked before a worse status was pushed (SPEC §10), when any were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<Seen>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ComponentReport {
    pub name: String,
    /// The Cachet component id, when known.
    pub id: Option<u64>,
    /// Null when no check of the component could be judged (SPEC §10).
    pub status: Option<Status>,
    pub status_id: Option<u8>,
    /// What Cachet showed before the push (`unknown`, `under_maintenance` for states
    /// cachet-check never sets); null when Cachet was not read.
    pub previous_status: Option<String>,
    /// Cachet shows `status` after this run (written now, or already shown).
    pub pushed: bool,
    /// A write was sent (false when Cachet already showed the status).
    pub written: bool,
    pub push_error: Option<String>,
    /// Why a worse status was not pushed yet (`confirm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// What was done to the component's incident (`incident`): "opened #12", "updated #12",
    /// "resolved #12", "#12 open".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// Why the incident could not be opened, updated or resolved. The status itself was pushed
    /// (or not: `push_error`); the exit code stays that of the checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_error: Option<String>,
    /// Why the state this component needs across runs (`confirm` counts, spooled metric
    /// points, stamps) could not be saved: the run's job is not done (exit 3, SPEC §10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_error: Option<String>,
    /// What became of the latency points (`metric`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricReport>,
    /// Why the component is in maintenance, and until when (SPEC §10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<String>,
    /// Every witness of the component failed: its failures are this host's (SPEC §10).
    #[serde(skip)]
    pub cut_off: bool,
    /// Cachet refused the token for the push (401, or 403 on 3.x): the token's verdict is
    /// asked again by the next run.
    #[serde(skip)]
    pub token_refused: bool,
    /// The undelivered push of an earlier `monit` invocation that this one replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<String>,
    /// The votes of many vantage points, for a component with `quorum` (SPEC §11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum: Option<QuorumReport>,
    pub checks: Vec<CheckReport>,
}

impl ComponentReport {
    /// A component computed as `status`, not yet read from or pushed to Cachet.
    pub fn new(name: &str, status: Status) -> ComponentReport {
        ComponentReport {
            name: name.to_owned(),
            id: None,
            status: Some(status),
            status_id: Some(status.id()),
            previous_status: None,
            pushed: false,
            written: false,
            push_error: None,
            held: None,
            incident: None,
            incident_error: None,
            state_error: None,
            token_refused: false,
            cut_off: false,
            maintenance: None,
            metric: None,
            replaced: None,
            quorum: None,
            checks: Vec::new(),
        }
    }

    /// The status when at least one check was judged: the label text and JSON show.
    pub fn label(&self) -> &'static str {
        self.status.map_or("not judged", Status::label)
    }

    /// Whether a check of the component could not be judged (SPEC §10).
    pub fn has_unknown(&self) -> bool {
        self.checks
            .iter()
            .any(|c| c.outcome == OutcomeKind::Unknown)
    }
}

/// How the votes stood when this run settled the component.
#[derive(Debug, Default, Serialize)]
pub struct QuorumReport {
    /// Votes that must agree (`quorum`).
    pub needed: u32,
    /// This host's name.
    pub vantage: String,
    /// The status the votes decided, when they decided one.
    pub decided: Option<Status>,
    pub votes: Vec<VoteReport>,
}

#[derive(Debug, Serialize)]
pub struct VoteReport {
    pub vantage: String,
    pub status: String,
    /// Seconds since it was cast, by this host's clock.
    pub age_s: i64,
    pub counted: bool,
    /// Why it did not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_out: Option<String>,
}

/// Metric points: this run's and those kept from earlier runs.
#[derive(Debug, Default, Serialize)]
pub struct MetricReport {
    pub id: u64,
    /// The point of this run, in milliseconds.
    pub value: f64,
    /// Points Cachet accepted in this run (earlier ones included).
    pub delivered: usize,
    /// Points kept in the state dir for the next run.
    pub spooled: usize,
    /// Points given up: rejected by Cachet, or beyond the spool's cap.
    pub dropped: usize,
    /// Points Cachet 3.x took but merged into its latest one within the metric's `threshold`
    /// (their value discarded, its counter raised).
    #[serde(skip_serializing_if = "is_zero")]
    pub merged: usize,
    /// The API key may not post points (3.x `metric-points.manage`): nothing is kept for a
    /// server that will never take it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub outcome: OutcomeKind,
    pub detail: String,
    pub duration_ms: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub perfdata: Vec<Perfdata>,
    /// The addresses its connections reached (`ip`, `resolve`: which one answered).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

fn exit_code<S: serde::Serializer>(exit: &Exit, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u8(exit.code())
}

impl Report {
    /// The report of a job that could not be done (exit 3).
    /// The first line of the text form: the monitoring-plugins summary (SPEC §9).
    pub fn summary(&self) -> String {
        let text = match &self.error {
            Some(error) => format!(
                "CACHET-CHECK UNKNOWN - {}",
                text::no_bar(error.lines().next().unwrap_or_default())
            ),
            None => text::run(self, false),
        };
        text.lines().next().unwrap_or_default().to_owned()
    }

    pub fn failed(error: &anyhow::Error) -> Report {
        Report {
            status: None,
            exit: Exit::Unknown,
            dry_run: false,
            components: Vec::new(),
            witnesses: Vec::new(),
            error: Some(format!("{error:#}")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
    Trace,
}

impl Verbosity {
    pub fn new(quiet: bool, verbose: u8) -> Verbosity {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, 1) => Verbosity::Verbose,
            (false, _) => Verbosity::Trace,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Printer {
    pub format: Format,
    pub verbosity: Verbosity,
}

/// Which command's text form to print.
/// A report with a text form beside its JSON.
pub trait Render: Serialize {
    fn text(&self) -> String;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Run,
    Set,
}

impl Printer {
    pub fn trace(self) -> Trace {
        Trace::new(self.verbosity >= Verbosity::Trace && self.format == Format::Text)
    }

    /// Prints a report; write errors (a closed pipe) are ignored: the exit code still tells.
    pub fn report(self, report: &Report, shape: Shape) {
        let mut stdout = std::io::stdout().lock();
        let _ = match self.format {
            Format::Json => serde_json::to_writer(&mut stdout, report)
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(stdout)),
            Format::Text => {
                if self.verbosity == Verbosity::Quiet
                    && report.exit == Exit::Ok
                    && report.error.is_none()
                {
                    return;
                }
                let lines = match shape {
                    Shape::Run => text::run(report, self.verbosity >= Verbosity::Verbose),
                    Shape::Set => text::set(report),
                };
                stdout.write_all(lines.as_bytes())
            }
        };
    }

    /// Prints a report that is the same at every verbosity: its JSON, or its text.
    pub fn show(self, report: &impl Render) {
        let mut stdout = std::io::stdout().lock();
        let _ = match self.format {
            Format::Json => serde_json::to_writer(&mut stdout, report)
                .map_err(std::io::Error::other)
                .and_then(|()| writeln!(stdout)),
            Format::Text => stdout.write_all(report.text().as_bytes()),
        };
    }

    /// Reports a job that could not be done: the reason on stderr, and on stdout the
    /// `CACHET-CHECK UNKNOWN` summary (or the JSON object with `error`).
    /// On a terminal, where stdout and stderr show on one screen, the error shows once (on
    /// stderr); schedulers, which read stdout, get both.
    pub fn error(self, error: &anyhow::Error) {
        use std::io::IsTerminal;
        warn(format_args!("error: {error:#}"));
        let one_screen = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        if !(one_screen && self.format == Format::Text) {
            self.summarize_failure(error);
        }
    }

    /// The stdout half of `error`.
    pub fn summarize_failure(self, error: &anyhow::Error) {
        match self.format {
            Format::Json => self.report(&Report::failed(error), Shape::Run),
            Format::Text => {
                let reason = format!("{error:#}");
                let first = reason.lines().next().unwrap_or_default();
                let _ = writeln!(
                    std::io::stdout(),
                    "CACHET-CHECK UNKNOWN - {}",
                    text::no_bar(first)
                );
            }
        }
    }
}
