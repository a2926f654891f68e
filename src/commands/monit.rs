//! `cachet-check monit [COMPONENT] [--status STATUS]`: the program of a Monit `exec` action
//! (SPEC §8). Monit sets `MONIT_SERVICE`, `MONIT_EVENT` and `MONIT_DESCRIPTION`; the status is
//! `--status`, else what the event means. Monit detaches the program and never runs it again
//! for the same event, so a push that fails is retried until `--timeout` and then kept in the
//! state dir, where the next invocation for the component finds and replaces it.

use std::thread;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};

use super::{endpoint, load_optional_config, resolve};
use crate::cachet::{CachetError, Client, Endpoint, RemoteComponent};
use crate::cli::GlobalArgs;
use crate::config::{Config, IncidentSpec, Target};
use crate::deadline::{Deadline, unix_now};
use crate::exit::Exit;
use crate::output::{CheckReport, ComponentReport, Printer, Report, Trace};
use crate::settle;
use crate::state::{ComponentState, Pending, StateDir};
use crate::status::{OutcomeKind, Status};

/// What an event says about the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Meaning {
    Failure,
    Recovery,
    /// An action or a start/stop program: nothing about health.
    Neither,
}

/// Monit's event texts (`MONIT_EVENT`), as its event table words them (Monit 5.33, src/event.c):
/// for each event type the texts of its failed, succeeded, changed and not-changed states.
/// Monit runs an event's failure action on "changed" (`if changed checksum then …`, `if content
/// = "ERROR" then …`) and its success action on "not changed", so those count the same way.
#[rustfmt::skip]
const EVENTS: &[[&str; 4]] = &[
    ["Checksum failed", "Checksum succeeded", "Checksum changed", "Checksum not changed"],
    ["Connection failed", "Connection succeeded", "Connection changed", "Connection not changed"],
    ["Content failed", "Content succeeded", "Content match", "Content doesn't match"],
    ["Data access error", "Data access succeeded", "Data access changed", "Data access not changed"],
    ["Execution failed", "Execution succeeded", "Execution changed", "Execution not changed"],
    ["Filesystem flags failed", "Filesystem flags succeeded", "Filesystem flags changed", "Filesystem flags not changed"],
    ["GID failed", "GID succeeded", "GID changed", "GID not changed"],
    ["Heartbeat failed", "Heartbeat succeeded", "Heartbeat changed", "Heartbeat not changed"],
    ["ICMP failed", "ICMP succeeded", "ICMP changed", "ICMP not changed"],
    ["Monit instance failed", "Monit instance succeeded", "Monit instance changed", "Monit instance not changed"],
    ["Invalid type", "Type succeeded", "Type changed", "Type not changed"],
    ["Link down", "Link up", "Link changed", "Link not changed"],
    ["Does not exist", "Exists", "Existence changed", "Existence not changed"],
    // `if exist then …` (a process that must not run).
    ["Does exist", "Exists not", "Existence changed", "Existence not changed"],
    ["Download bytes exceeded", "Download bytes ok", "Download bytes changed", "Download bytes not changed"],
    ["Upload bytes exceeded", "Upload bytes ok", "Upload bytes changed", "Upload bytes not changed"],
    ["Download packets exceeded", "Download packets ok", "Download packets changed", "Download packets not changed"],
    ["Upload packets exceeded", "Upload packets ok", "Upload packets changed", "Upload packets not changed"],
    ["Permission failed", "Permission succeeded", "Permission changed", "Permission not changed"],
    ["PPID failed", "PPID succeeded", "PPID changed", "PPID not changed"],
    ["Resource limit matched", "Resource limit succeeded", "Resource limit changed", "Resource limit not changed"],
    ["Saturation exceeded", "Saturation ok", "Saturation changed", "Saturation not changed"],
    ["Size failed", "Size succeeded", "Size changed", "Size not changed"],
    ["Speed failed", "Speed ok", "Speed changed", "Speed not changed"],
    ["Status failed", "Status succeeded", "Status changed", "Status not changed"],
    ["Timeout", "Timeout recovery", "Timeout changed", "Timeout not changed"],
    ["Timestamp failed", "Timestamp succeeded", "Timestamp changed", "Timestamp not changed"],
    ["UID failed", "UID succeeded", "UID changed", "UID not changed"],
    ["Uptime failed", "Uptime succeeded", "Uptime changed", "Uptime not changed"],
];

/// Texts Monit passes that say nothing about health: a user's action (`monit restart`), and
/// the start, stop and restart programs.
const NEITHER: &[&str] = &["Action done", "Started", "Stopped", "Restarted", "No Event"];

/// What `MONIT_EVENT` means, or `None` for a text Monit's table does not have. Case and
/// surrounding blanks are not significant.
pub(crate) fn meaning(event: &str) -> Option<Meaning> {
    let event = event.trim();
    let is = |text: &&str| text.eq_ignore_ascii_case(event);
    if NEITHER.iter().any(is) {
        return Some(Meaning::Neither);
    }
    EVENTS.iter().find_map(|texts| {
        let column = texts.iter().position(is)?;
        Some(if column % 2 == 0 {
            Meaning::Failure
        } else {
            Meaning::Recovery
        })
    })
}

/// The `MONIT_*` variables Monit sets for an exec'd program.
struct MonitEnv {
    service: Option<String>,
    event: Option<String>,
    description: Option<String>,
}

impl MonitEnv {
    fn read() -> MonitEnv {
        let var = |name| {
            std::env::var(name)
                .ok()
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        MonitEnv {
            service: var("MONIT_SERVICE"),
            event: var("MONIT_EVENT"),
            description: var("MONIT_DESCRIPTION"),
        }
    }

    /// "Connection failed: failed protocol test [HTTP] at [localhost]:80".
    fn detail(&self) -> String {
        match (&self.event, &self.description) {
            (Some(event), Some(description)) => format!("{event}: {description}"),
            (Some(text), None) | (None, Some(text)) => text.clone(),
            (None, None) => "status given with --status".to_owned(),
        }
    }
}

/// The component an invocation is for.
struct Whom<'a> {
    /// Its name in the state dir: the config name, else the command line's word.
    key: String,
    /// As reports name it: the config name, else (once read) Cachet's name.
    name: String,
    configured: bool,
    target: Target,
    failure: Status,
    incident: Option<&'a IncidentSpec>,
}

impl Whom<'_> {
    /// Notes what Cachet shows of the component.
    fn found(&self, remote: &RemoteComponent, report: &mut ComponentReport) {
        report.id = Some(remote.id);
        report.previous_status = Some(remote.status_word());
        if !self.configured {
            report.name.clone_from(&remote.name);
        }
    }
}

/// The named component (a config name or id, else a Cachet id or exact name, as `set`), else
/// the config component whose `monit_service` is `MONIT_SERVICE`.
fn whom<'a>(
    config: Option<&'a Config>,
    named: Option<&str>,
    service: Option<&str>,
) -> Result<Whom<'a>> {
    let configured = match (named, config) {
        (Some(named), Some(config)) => config.find(named),
        (Some(_), None) => None,
        (None, config) => {
            let Some(service) = service else {
                bail!(
                    "which component? Name it (`cachet-check monit COMPONENT`), or run it from a Monit exec action, which sets MONIT_SERVICE"
                );
            };
            let Some(config) = config else {
                bail!(
                    "MONIT_SERVICE is `{service}`, but there is no config to find its component in: name the component (`cachet-check monit COMPONENT`) or pass -c FILE"
                );
            };
            let found = config
                .components
                .iter()
                .find(|c| c.monit_service.as_deref() == Some(service));
            match found {
                Some(component) => Some(component),
                None => bail!(
                    "no component of `{}` has `monit_service = \"{service}\"`: add it to the component Monit's `{service}` stands for, or name the component",
                    config.file
                ),
            }
        }
    };
    if let Some(component) = configured {
        return Ok(Whom {
            key: component.name.clone(),
            name: component.name.clone(),
            configured: true,
            target: component.target.clone(),
            failure: component.monit_status,
            incident: component.incident.as_ref(),
        });
    }
    // Not configured: only a name given on the command line gets here.
    let named = named.unwrap_or_default();
    Ok(Whom {
        key: state_key(named),
        name: named.to_owned(),
        configured: false,
        target: Target::named(named),
        failure: Status::PartialOutage,
        incident: None,
    })
}

/// A state file name for a component given only on the command line: `id-2`, or the Cachet
/// name with anything but letters, digits, `-`, `_` and `.` made `_`.
fn state_key(named: &str) -> String {
    if let Ok(id) = named.parse::<u64>() {
        return format!("id-{id}");
    }
    let safe: String = named
        .chars()
        .map(|c| {
            if crate::config::is_name_char(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("name-{safe}")
}

pub fn monit(
    global: &GlobalArgs,
    named: Option<&str>,
    status: Option<Status>,
    printer: Printer,
) -> Result<Report> {
    let deadline = Deadline::after(global.timeout);
    let env = MonitEnv::read();
    let config = load_optional_config(global)?;
    let whom = whom(config.as_ref(), named, env.service.as_deref())?;
    let status = match status {
        Some(status) => status,
        None => status_of_event(env.event.as_deref(), whom.failure)?,
    };
    let endpoint = endpoint(global, config.as_ref(), !global.dry_run)?;
    let mut report = event_report(&whom, status, &env);
    if global.dry_run {
        let client = Client::connect(endpoint, printer.trace(), deadline, None)?;
        let remote = resolve(&client, &whom.target)?;
        whom.found(&remote, &mut report);
        return Ok(done(report, true));
    }

    let push = Push {
        endpoint: &endpoint,
        whom: &whom,
        status,
        force: global.force,
        trace: printer.trace(),
        deadline,
    };
    deliver(&push, config.as_ref(), global.timeout, &env, report)
}

/// The status Monit's event means for the component: `failure` (its `monit_status`) for a
/// failure, operational for a recovery.
fn status_of_event(event: Option<&str>, failure: Status) -> Result<Status> {
    let Some(event) = event else {
        bail!(
            "usage: neither --status nor MONIT_EVENT is set: run it from a Monit exec action, or pass --status STATUS"
        );
    };
    match meaning(event) {
        Some(Meaning::Failure) => Ok(failure),
        Some(Meaning::Recovery) => Ok(Status::Operational),
        Some(Meaning::Neither) => bail!(
            "Monit event `{event}` says nothing about the service's health: use `cachet-check monit` only in `if failed …` / `else if succeeded …` rules, or pass --status"
        ),
        None => bail!(
            "Monit event `{event}` is not one cachet-check knows: pass --status STATUS on each branch of the Monit rule (`then exec \"cachet-check monit --status partial\" else if succeeded then exec \"cachet-check monit --status operational\"`)"
        ),
    }
}

/// The report of the push, with Monit's event as its one check.
fn event_report(whom: &Whom, status: Status, env: &MonitEnv) -> ComponentReport {
    let mut report = ComponentReport::new(&whom.name, status);
    report.checks.push(CheckReport {
        name: format!("monit {}", env.service.as_deref().unwrap_or("event")),
        kind: "monit",
        outcome: if status == Status::Operational {
            OutcomeKind::Pass
        } else {
            OutcomeKind::Fail
        },
        detail: env.detail(),
        duration_ms: 0.0,
        perfdata: Vec::new(),
        via: Vec::new(),
    });
    report
}

/// Pushes the status, a push that failed for now kept in the state dir for the next event.
fn deliver(
    push: &Push,
    config: Option<&Config>,
    timeout: Duration,
    env: &MonitEnv,
    mut report: ComponentReport,
) -> Result<Report> {
    let (whom, status, deadline) = (push.whom, push.status, push.deadline);
    // The state dir keeps an undelivered push; without one the push is still tried.
    let reserve = Duration::from_secs(2).min(timeout / 2);
    let state = match StateDir::locate(config.and_then(|c| c.state_dir.as_deref())) {
        Ok(dir) => Some(dir),
        Err(error) => {
            crate::stderr::warn(format_args!(
                "{error:#}; a push that fails cannot be kept for the next invocation"
            ));
            None
        }
    };
    let _lock = match &state {
        Some(dir) => Some(dir.lock_until(&whom.key, Some(deadline.earlier_by(reserve)))?),
        None => None,
    };
    let mut saved = state.as_ref().map_or_else(
        || ComponentState::new(&whom.key),
        |dir| dir.component(&whom.key),
    );
    let loaded = saved.clone();
    report.replaced = saved.pending.take().map(|pending| describe(&pending));

    let error = push.deliver(&mut saved, &mut report);
    if let Some(error) = &error
        && error.is_transient()
    {
        saved.pending = Some(Pending {
            status: status.id(),
            at: unix_now(),
            event: env.detail(),
        });
    }
    if let Some(dir) = &state
        && saved != loaded
        && let Err(error) = dir.save_component(&saved)
    {
        crate::stderr::warn(format_args!("{error:#}"));
    }
    match error {
        None => Ok(done(report, false)),
        Some(error) => {
            let mut error = anyhow!(error).context(format!(
                "pushing {} to `{}` for Monit ({})",
                status.label(),
                whom.name,
                env.detail()
            ));
            if saved.pending.is_some()
                && let Some(dir) = &state
            {
                error = error.context(format!(
                    "kept in `{}` for the next `cachet-check monit` of `{}`",
                    dir.path.display(),
                    whom.key
                ));
            }
            Err(error)
        }
    }
}

/// One push of a status to a component, as Monit's event asks.
struct Push<'a> {
    endpoint: &'a Endpoint,
    whom: &'a Whom<'a>,
    status: Status,
    force: bool,
    trace: Trace,
    deadline: Deadline,
}

impl Push<'_> {
    /// Pushes the status and makes the incident follow, trying again with backoff while the
    /// deadline allows (each attempt starts from the connection, which is what fails when
    /// Cachet is down). Returns the last error, or `None` when Cachet shows the status.
    fn deliver(
        &self,
        saved: &mut ComponentState,
        report: &mut ComponentReport,
    ) -> Option<CachetError> {
        let mut wait = Duration::from_millis(500);
        loop {
            let error = match self.attempt(saved, report) {
                Ok(()) => return None,
                Err(error) => error,
            };
            if !error.is_transient()
                || wait + Duration::from_millis(100) >= self.deadline.remaining()
            {
                return Some(error);
            }
            self.trace.emit(format_args!(
                "  ({error}; trying again in {} ms)",
                wait.as_millis()
            ));
            thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(4));
        }
    }

    fn attempt(
        &self,
        saved: &mut ComponentState,
        report: &mut ComponentReport,
    ) -> Result<(), CachetError> {
        let client = Client::connect(self.endpoint.clone(), self.trace, self.deadline, None)?;
        let remote = resolve(&client, &self.whom.target)?;
        self.whom.found(&remote, report);
        settle::write_status(&client, &remote, self.status, self.force, report)?;
        if let Some(spec) = self.whom.incident {
            report.incident = settle::follow_incident(
                &client,
                spec,
                &remote,
                (remote.status, self.status),
                report,
                saved,
                &settle::Family::default(),
            )?;
        }
        Ok(())
    }
}

/// "an undelivered partial outage (Connection failed: …) from 2026-11-23T11:02:03Z".
fn describe(pending: &Pending) -> String {
    let status =
        Status::from_id(u64::from(pending.status)).map_or("an unknown status", Status::label);
    format!(
        "an undelivered {status} ({}) from {}",
        pending.event,
        crate::deadline::format_unix(pending.at)
    )
}

fn done(report: ComponentReport, dry_run: bool) -> Report {
    Report {
        status: report.status,
        exit: Exit::Ok,
        dry_run,
        components: vec![report],
        witnesses: Vec::new(),
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::{EVENTS, Meaning, NEITHER, meaning, state_key};

    #[test]
    fn every_failure_text_fails_and_every_recovery_text_recovers() {
        for [failed, succeeded, changed, not_changed] in EVENTS {
            assert_eq!(meaning(failed), Some(Meaning::Failure), "{failed}");
            assert_eq!(meaning(succeeded), Some(Meaning::Recovery), "{succeeded}");
            assert_eq!(meaning(changed), Some(Meaning::Failure), "{changed}");
            assert_eq!(
                meaning(not_changed),
                Some(Meaning::Recovery),
                "{not_changed}"
            );
        }
    }

    #[test]
    fn the_events_the_manual_names_map_as_it_describes() {
        for (event, expected) in [
            ("Connection failed", Meaning::Failure),
            ("Connection succeeded", Meaning::Recovery),
            ("Does not exist", Meaning::Failure),
            ("Exists", Meaning::Recovery),
            ("Status failed", Meaning::Failure),
            ("Status succeeded", Meaning::Recovery),
            ("Timeout", Meaning::Failure),
            ("Timeout recovery", Meaning::Recovery),
            ("Resource limit matched", Meaning::Failure),
            ("Resource limit succeeded", Meaning::Recovery),
            ("Checksum failed", Meaning::Failure),
            ("Checksum succeeded", Meaning::Recovery),
            ("  connection FAILED \n", Meaning::Failure),
            ("Action done", Meaning::Neither),
            ("Started", Meaning::Neither),
        ] {
            assert_eq!(meaning(event), Some(expected), "{event:?}");
        }
    }

    #[test]
    fn an_unknown_event_means_nothing() {
        for event in [
            "",
            "Connection",
            "Connection failed!",
            "Link flapping",
            "Exist",
        ] {
            assert_eq!(meaning(event), None, "{event:?}");
        }
    }

    #[test]
    fn no_text_has_two_meanings() {
        let mut texts: Vec<&str> = EVENTS.iter().flatten().copied().collect();
        texts.extend(NEITHER);
        texts.sort_unstable();
        // "Existence changed" / "not changed" are shared by the two existence rows, with the
        // same meaning in both.
        texts.dedup();
        for text in texts {
            let meanings: Vec<Meaning> = EVENTS
                .iter()
                .filter_map(|row| row.iter().position(|t| *t == text))
                .map(|column| {
                    if column % 2 == 0 {
                        Meaning::Failure
                    } else {
                        Meaning::Recovery
                    }
                })
                .collect();
            assert!(meanings.windows(2).all(|w| w[0] == w[1]), "{text}");
        }
    }

    #[test]
    fn a_component_named_only_on_the_command_line_gets_a_safe_state_name() {
        assert_eq!(state_key("7"), "id-7");
        assert_eq!(state_key("API / EU"), "name-API___EU");
    }
}
