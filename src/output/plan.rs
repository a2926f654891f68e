//! What `validate` prints (SPEC §2): the plan of a config — where Cachet is, each component and
//! its checks as they will run — and what keeps it from running on this machine.

use std::fmt::Write;
use std::time::Duration;

use serde::{Serialize, Serializer};

use super::Render;
use crate::status::Status;
use crate::text::plural;

#[derive(Serialize)]
pub struct Plan {
    pub config: String,
    /// Whether it can run here as it is: no problems.
    pub valid: bool,
    pub cachet: CachetPlan,
    pub components: Vec<ComponentPlan>,
    pub problems: Vec<String>,
    /// What will not stop a run but will keep it from judging: a check that cannot finish
    /// within the run's deadline.
    pub warnings: Vec<String>,
}

#[derive(Serialize)]
pub struct CachetPlan {
    pub url: Option<String>,
    /// `auto`, or the API line's word.
    pub api: &'static str,
    pub notify_subscribers: bool,
    /// Where the token comes from, in words (never its value).
    pub token: String,
}

#[derive(Serialize)]
pub struct ComponentPlan {
    pub name: String,
    pub id: Option<u64>,
    pub cachet_name: Option<String>,
    pub confirm: u32,
    pub confirm_recovery: u32,
    /// `quorum`: the votes of many hosts that decide its status (SPEC §11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quorum: Option<u32>,
    pub metric: Option<u64>,
    pub incident: Option<IncidentPlan>,
    pub monit_service: Option<String>,
    /// What a Monit failure pushes, for a component Monit drives.
    pub monit_status: Option<Status>,
    pub checks: Vec<CheckPlan>,
    /// Each config maintenance window with its next opening, in UTC and in its own zone.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub maintenance: Vec<WindowPlan>,
    /// `depends_on`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
}

#[derive(Serialize)]
pub struct WindowPlan {
    pub window: String,
    pub next_start: Option<String>,
    pub next_end: Option<String>,
    pub next_start_local: Option<String>,
    pub next_end_local: Option<String>,
}

#[derive(Serialize)]
pub struct IncidentPlan {
    pub name: String,
    pub visible: bool,
    pub notify: bool,
}

#[derive(Serialize)]
pub struct CheckPlan {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub target: String,
    #[serde(rename = "timeout_ms", serialize_with = "millis")]
    pub timeout: Duration,
    #[serde(rename = "slow_after_ms", serialize_with = "maybe_millis")]
    pub slow_after: Option<Duration>,
    pub on_failure: &'static str,
    pub retries: u32,
    #[serde(skip)]
    pub retry_delay: Duration,
    /// What it expects, where the kind says more than its target (`expect 200-299`).
    #[serde(skip)]
    pub expects: Option<String>,
    /// Its network path in words, when it is not the system's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `samples`, when more than one.
    #[serde(skip_serializing_if = "is_one")]
    pub samples: u32,
}

fn is_one(count: &u32) -> bool {
    *count == 1
}

fn millis<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

fn maybe_millis<S: Serializer>(
    duration: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match duration {
        Some(duration) => millis(duration, serializer),
        None => serializer.serialize_none(),
    }
}

impl Render for Plan {
    fn text(&self) -> String {
        let checks: usize = self.components.iter().map(|c| c.checks.len()).sum();
        let mut text = format!(
            "{}: valid, {}, {}\n",
            self.config,
            plural(self.components.len(), "component"),
            plural(checks, "check")
        );
        let url = self
            .cachet
            .url
            .as_deref()
            .unwrap_or("(not set: use CACHET_URL or --url)");
        let _ = writeln!(
            text,
            "cachet: {url} (api {}), token {}",
            self.cachet.api, self.cachet.token
        );
        for component in &self.components {
            text.push_str(&component.line());
            for check in &component.checks {
                text.push_str(&check.line());
            }
            if !component.depends_on.is_empty() {
                let _ = writeln!(text, "  depends on: {}", component.depends_on.join(", "));
            }
            if !component.witnesses.is_empty() {
                let _ = writeln!(text, "  witnesses: {}", component.witnesses.join(", "));
            }
            for window in &component.maintenance {
                let next = match (
                    &window.next_start,
                    &window.next_end,
                    &window.next_start_local,
                    &window.next_end_local,
                ) {
                    (Some(start), Some(end), Some(local_start), Some(local_end)) => {
                        format!("next {start} to {end} ({local_start} to {local_end})")
                    }
                    _ => "never opens again".to_owned(),
                };
                let _ = writeln!(text, "  maintenance {}: {next}", window.window);
            }
        }
        for problem in &self.problems {
            let _ = writeln!(text, "problem: {problem}");
        }
        for warning in &self.warnings {
            let _ = writeln!(text, "warning: {warning}");
        }
        text
    }
}

impl ComponentPlan {
    /// "component api -> Cachet component 2 (confirm 3, metric 1)".
    fn line(&self) -> String {
        let target = match (&self.id, &self.cachet_name) {
            (Some(id), _) => format!("Cachet component {id}"),
            (None, Some(name)) => format!("the Cachet component named \"{name}\""),
            (None, None) => "no Cachet component".to_owned(),
        };
        let mut extras = Vec::new();
        if self.confirm > 1 {
            extras.push(format!("confirm {}", self.confirm));
        }
        if let Some(quorum) = self.quorum {
            extras.push(format!("quorum {quorum}"));
        }
        if self.confirm_recovery > 1 {
            extras.push(format!("confirm_recovery {}", self.confirm_recovery));
        }
        if let Some(metric) = self.metric {
            extras.push(format!("metric {metric}"));
        }
        if let Some(incident) = &self.incident {
            extras.push(format!("incident \"{}\"", incident.name));
        }
        if let (Some(service), Some(status)) = (&self.monit_service, self.monit_status) {
            extras.push(format!(
                "Monit service \"{service}\", a failure pushes {}",
                status.label()
            ));
        }
        let extras = if extras.is_empty() {
            String::new()
        } else {
            format!(" ({})", extras.join(", "))
        };
        format!("component {} -> {target}{extras}\n", self.name)
    }
}

impl CheckPlan {
    /// "  health: http GET https://…, timeout 5s, expect 200-299, a failure is fail".
    fn line(&self) -> String {
        let mut line = format!(
            "  {}: {} {}, timeout {}",
            self.name,
            self.kind,
            self.target,
            humantime::format_duration(self.timeout)
        );
        if let Some(path) = &self.path {
            let _ = write!(line, ", {path}");
        }
        if let Some(expects) = &self.expects {
            let _ = write!(line, ", {expects}");
        }
        if self.samples > 1 {
            let _ = write!(line, ", {} samples", self.samples);
        }
        if let Some(slow_after) = self.slow_after {
            let _ = write!(
                line,
                ", slow after {}",
                humantime::format_duration(slow_after)
            );
        }
        let _ = write!(line, ", a failure is {}", self.on_failure);
        if self.retries > 0 {
            let _ = write!(
                line,
                ", {} retries every {}",
                self.retries,
                humantime::format_duration(self.retry_delay)
            );
        }
        line.push('\n');
        line
    }
}
