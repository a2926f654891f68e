//! `cachet-check run [COMPONENT]...`: the main job (SPEC §2, §4, §6).
//!
//! Cachet is read while the checks run (so it costs no wall time), then each component's status
//! is written when it differs from what Cachet shows (or always with `--force`).

use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use anyhow::{Result, bail};

mod cachet;

use super::{endpoint, load_config, parallel_map, push_reserve};
use crate::cachet::{CachetError, Dialect};
use crate::check::{self, CheckSpec, Context, Outcome};
use crate::cli::GlobalArgs;
use crate::config::{Component, Config};
use crate::deadline::Deadline;
use crate::exit::Exit;
use crate::liveness::Liveness;
use crate::output::{CheckReport, ComponentReport, Printer, Report, Seen, Trace};
use crate::settle::{CachetView, Settle, Settling};
use crate::state::{Lock, StateDir};
use crate::status::{OutcomeKind, Status, component_status};
use cachet::{read_cachet, remember_api, vouch_for_token};

pub fn run(
    global: &GlobalArgs,
    names: &[String],
    metrics_file: Option<&Path>,
    printer: Printer,
) -> Result<Report> {
    let deadline = Deadline::after(global.timeout);
    let config = load_config(global)?;
    // The heartbeat and the metrics file hear of every run that read its config, however it
    // ends (SPEC §10).
    let liveness = Liveness::begin(
        &config,
        metrics_file,
        global.dry_run,
        deadline,
        printer.trace(),
    );
    let result = run_loaded(global, &config, names, printer, deadline);
    match &result {
        Ok(report) => liveness.end(report, deadline),
        Err(error) => liveness.end(&Report::failed(error), deadline),
    }
    result
}

fn run_loaded(
    global: &GlobalArgs,
    config: &Config,
    names: &[String],
    printer: Printer,
    deadline: Deadline,
) -> Result<Report> {
    let started = crate::deadline::unix_now();
    let selected = select(config, names)?;
    let vantage = super::vantage(global, Some(config))?;
    // A dry run touches neither Cachet nor the state dir.
    let (endpoint, state) = if global.dry_run {
        (None, None)
    } else {
        let endpoint = endpoint(global, Some(config), true)?;
        (Some(endpoint), state_dir(config, &selected)?)
    };
    let _locks = match &state {
        Some(state) => lock_all(state, &selected)?,
        None => Vec::new(),
    };
    let trace = printer.trace();

    // Checks stop early enough to leave time for the pushes, and for collecting their outcomes.
    let reserve = if global.dry_run {
        Duration::ZERO
    } else {
        push_reserve(global.timeout)
    };
    let collect_by = deadline.earlier_by(reserve);
    let check_deadline = collect_by.earlier_by(COLLECT_GRACE);

    let known = match (&state, &endpoint) {
        (Some(state), Some(endpoint)) => state
            .api_of(&crate::cachet::normalize_base(&endpoint.url))
            .and_then(|word| Dialect::from_word(&word)),
        _ => None,
    };
    let cachet = endpoint.map(|endpoint| read_cachet(endpoint, &selected, trace, deadline, known));
    // The parents outside the run of a component that keeps an incident are checked too (not
    // pushed), alongside: whoever's timer fires first, a child never blames itself for its
    // parent's outage (SPEC §10).
    let parents = if global.dry_run {
        Vec::new()
    } else {
        parents_outside(config, &selected)
    };
    let everything: Vec<&Component> = selected.iter().chain(&parents).copied().collect();
    let (context, mut reports) = check_all(
        &everything,
        trace,
        usize::from(global.jobs),
        check_deadline,
        collect_by,
    );
    let evaluated: Vec<(String, Option<Status>)> = reports
        .split_off(selected.len())
        .into_iter()
        .map(|report| (report.name, report.status))
        .collect();
    // Witnesses get half of the time kept for the pushes, at least.
    let witnesses = crate::settle::witnesses::ask(
        &selected,
        &mut reports,
        &context,
        deadline.earlier_by(reserve / 2),
    );
    let cachet = cachet.map(|answer| receive(answer, deadline, state.as_ref(), known));
    let settle = cachet.as_ref().map(|cachet| Settle {
        cachet,
        state: state.as_ref(),
        force: global.force,
        started,
        all: &config.components,
        zone: config
            .cachet
            .time_zone
            .clone()
            .unwrap_or(jiff::tz::TimeZone::UTC),
        schedules: std::sync::OnceLock::new(),
        vantage: &vantage,
        // Runs stamp once the host names itself (many hosts) or the config asks; a lone host
        // that never runs `stale` pays no write for it.
        stamp_every: config.stamp_every.unwrap_or(
            if global.vantage.is_some() || config.vantage.is_some() {
                crate::config::DEFAULT_STAMP_EVERY
            } else {
                Duration::ZERO
            },
        ),
        deadline,
    });
    let components = settle_all(&selected, reports, settle.as_ref(), evaluated);

    // A token refused during the run is asked about again by the next one.
    if let (Some(state), Some(Ok((client, _)))) = (&state, &cachet)
        && components.iter().any(|c| c.token_refused)
        && let Some(key) = client.token_key()
        && let Err(error) = state.remember_token(&key, None)
    {
        crate::stderr::warn(format_args!("{error:#}"));
    }
    Ok(report_of(components, witnesses, global.dry_run))
}

/// The run's report: the worst status, and an exit that is UNKNOWN for a component whose job
/// was not done (its push failed, a check could not be judged, this host looks cut off, its
/// state could not be saved).
fn report_of(components: Vec<ComponentReport>, witnesses: Vec<Seen>, dry_run: bool) -> Report {
    Report {
        status: components.iter().filter_map(|c| c.status).max(),
        exit: Exit::of_run(components.iter().map(|c| {
            (
                c.status,
                c.push_error.is_some() || c.has_unknown() || c.cut_off || c.state_error.is_some(),
            )
        })),
        dry_run,
        components,
        witnesses,
        error: None,
    }
}

/// Runs the checks of every selected component, `jobs` at once, and reports each component;
/// the context stays for the witnesses.
fn check_all(
    selected: &[&Component],
    trace: Trace,
    jobs: usize,
    check_deadline: Deadline,
    collect_by: Deadline,
) -> (Arc<Context>, Vec<ComponentReport>) {
    let checks: Vec<Vec<Arc<CheckSpec>>> = selected
        .iter()
        .map(|component| component.checks.clone())
        .collect();
    let context = Arc::new(Context::new(
        checks.iter().flatten().map(Arc::as_ref),
        selected.iter().flat_map(|component| &component.witnesses),
        trace,
    ));
    let outcomes = check::run_all(
        Arc::new(checks),
        context.clone(),
        jobs,
        check_deadline,
        collect_by,
    );
    let reports: Vec<ComponentReport> = selected
        .iter()
        .zip(&outcomes)
        .map(|(component, outcomes)| component_report(component, outcomes))
        .collect();
    (context, reports)
}

/// What Cachet said while the checks ran, once it has said it (or the run's time is up); the
/// API line kept for the next run, and the token vouched for.
fn receive(
    answer: mpsc::Receiver<CachetView>,
    deadline: Deadline,
    state: Option<&StateDir>,
    known: Option<Dialect>,
) -> CachetView {
    let view = answer
        .recv_timeout(deadline.remaining())
        .unwrap_or_else(|_| {
            Err(CachetError::TimedOut {
                url: "the Cachet API".to_owned(),
            })
        });
    let (client, remotes) = view?;
    let Some(state) = state else {
        return Ok((client, remotes));
    };
    remember_api(state, &client, known, &remotes);
    // A refused token is said by the first run, not by the first outage's write.
    vouch_for_token(state, &client, &remotes)?;
    Ok((client, remotes))
}

/// Components are settled side by side (their state files and locks are their own), a few
/// Cachet requests at a time, in two steps: every status first, then the incidents and
/// points. Under a rate limit (60 requests a minute on 3.x) what the page shows gets through
/// first; an incident refused for now is opened by the next run.
fn settle_all(
    selected: &[&Component],
    reports: Vec<ComponentReport>,
    settle: Option<&Settle>,
    evaluated: Vec<(String, Option<Status>)>,
) -> Vec<ComponentReport> {
    let work: Vec<(usize, &&Component, Mutex<Option<ComponentReport>>)> = selected
        .iter()
        .zip(reports)
        .enumerate()
        .map(|(index, (component, report))| (index, component, Mutex::new(Some(report))))
        .collect();
    let pushed: Vec<Mutex<Settling>> =
        parallel_map(&work, CACHET_IN_FLIGHT, |(index, component, report)| {
            let report = report
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .unwrap_or_else(|| ComponentReport::new(&component.name, Status::Operational));
            // A component none of whose checks was judged has no status; settling holds it.
            let status = report.status.unwrap_or(Status::Operational);
            let settling = match &settle {
                Some(settle) => settle.push(component, *index, status, report),
                None => Settling::unsettled(component, report),
            };
            Mutex::new(settling)
        });
    let kin = crate::settle::kin(&pushed).with_evaluated(evaluated);
    parallel_map(&pushed, CACHET_IN_FLIGHT, |cell| {
        let mut settling = cell
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(settle) = &settle {
            settle.finish(&mut settling, &kin);
        }
        settling.take_report()
    })
}

/// The state dir (SPEC §7). When none can be found and nothing asks for one (no `state_dir`,
/// no `confirm`, no `metric`), the run goes on without: a warning, no locks, no cached API line.
fn state_dir(config: &Config, selected: &[&Component]) -> Result<Option<StateDir>> {
    match StateDir::locate(config.state_dir.as_deref()) {
        Ok(dir) => Ok(Some(dir)),
        Err(error)
            if config.state_dir.is_none()
                && selected
                    .iter()
                    .all(|c| c.confirm <= 1 && c.confirm_recovery <= 1 && c.metric.is_none()) =>
        {
            crate::stderr::warn(format_args!(
                "{error:#}; running without one: no lock, no cached API line"
            ));
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Takes the lock of every selected component, in name order; one that another run holds ends
/// this run before anything is checked (SPEC §7).
fn lock_all(state: &StateDir, selected: &[&Component]) -> Result<Vec<Lock>> {
    let mut names: Vec<&str> = selected.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.iter().map(|name| state.lock(name)).collect()
}

/// The parents (`depends_on`) of the selected components that keep an incident, when they are
/// not selected themselves: their checks tell whether a child's outage is theirs.
fn parents_outside<'a>(config: &'a Config, selected: &[&Component]) -> Vec<&'a Component> {
    let mut parents: Vec<&Component> = Vec::new();
    for component in selected.iter().filter(|c| c.incident.is_some()) {
        for name in &component.depends_on {
            let outside = !selected.iter().any(|c| &c.name == name)
                && !parents.iter().any(|c| &c.name == name);
            if let Some(parent) = config.components.iter().find(|c| &c.name == name)
                && outside
            {
                parents.push(parent);
            }
        }
    }
    parents
}

/// The components named on the command line (config names or Cachet ids), or all of them.
fn select<'a>(config: &'a Config, names: &[String]) -> Result<Vec<&'a Component>> {
    if config.components.is_empty() {
        bail!(
            "`{}` configures no components: add a `[components.NAME]` table",
            config.file
        );
    }
    if names.is_empty() {
        // Components that only Monit drives have no checks to run.
        let checked: Vec<&Component> = config
            .components
            .iter()
            .filter(|c| !c.checks.is_empty())
            .collect();
        if checked.is_empty() {
            bail!(
                "every component of `{}` is driven by Monit (`monit_service`, no checks): `cachet-check monit` pushes their status",
                config.file
            );
        }
        return Ok(checked);
    }
    let mut selected: Vec<&Component> = Vec::new();
    for name in names {
        match config.find(name) {
            Some(component) if component.checks.is_empty() => bail!(
                "`{}` has no checks to run: Monit drives it (`monit_service = \"{}\"`) through `cachet-check monit`",
                component.name,
                component.monit_service.as_deref().unwrap_or_default()
            ),
            Some(component) if !selected.iter().any(|c| c.name == component.name) => {
                selected.push(component)
            }
            Some(_) => {}
            None => {
                let known: Vec<&str> = config.components.iter().map(|c| c.name.as_str()).collect();
                bail!(
                    "no component `{name}` in `{}`; configured: {}",
                    config.file,
                    known.join(", ")
                );
            }
        }
    }
    Ok(selected)
}

/// Requests to Cachet in flight at once when a run reads or settles many components.
const CACHET_IN_FLIGHT: usize = 8;

/// How much later than their deadline the outcomes of checks (and Cachet's answers) are
/// waited for: timers fire a little late, and a check that ends at its timeout should be
/// reported with its own detail.
const COLLECT_GRACE: Duration = Duration::from_millis(100);

fn component_report(component: &Component, outcomes: &[Outcome]) -> ComponentReport {
    let status = component_status(&outcomes.iter().map(|o| o.kind).collect::<Vec<_>>());
    let mut report = ComponentReport::new(&component.name, status);
    report.maintenance = crate::settle::maintenance::of_windows(component, jiff::Timestamp::now())
        .map(|(until, window)| {
            crate::settle::maintenance::describe(until, &format!("config window {window}"))
        })
        .or_else(|| {
            // An upstream in maintenance keeps its mirror in maintenance too.
            let (spec, outcome) = component
                .checks
                .iter()
                .zip(outcomes)
                .find(|(_, outcome)| outcome.maintenance)?;
            Some(format!("upstream ({}: {})", spec.name, outcome.detail))
        });
    if !outcomes.is_empty() && outcomes.iter().all(|o| o.kind == OutcomeKind::Unknown) {
        // SPEC §10: nothing was judged, so there is no status to show or push.
        report.status = None;
        report.status_id = None;
    }
    report.id = match component.target {
        crate::config::Target::Id(id) => Some(id),
        crate::config::Target::Name(_) => None,
    };
    report.checks = component
        .checks
        .iter()
        .zip(outcomes)
        .map(|(spec, outcome)| CheckReport {
            name: spec.name.clone(),
            kind: spec.kind,
            outcome: outcome.kind,
            detail: outcome.detail.clone(),
            duration_ms: (outcome.duration.as_secs_f64() * 10_000.0).round() / 10.0,
            perfdata: outcome.perfdata.clone(),
            via: outcome.via.iter().map(ToString::to_string).collect(),
        })
        .collect();
    report
}
