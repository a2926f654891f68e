//! What to tell Cachet once the checks have spoken, for every command that pushes (`run`, `set`,
//! `monit`): a status written only when Cachet shows another (SPEC §6), held by `confirm`
//! (`confirm.rs`), the incident that follows it (`incident.rs`), and the latency point with its
//! spool (`points.rs`). A run settles in two steps, so that every status is pushed before any
//! incident or point (under a 3.x rate limit the page is right first).

mod confirm;
mod dependencies;
mod incident;
pub mod maintenance;
pub mod points;
pub mod quorum;
mod vantage;
pub mod votes;
pub mod witnesses;

pub use incident::{Family, follow as follow_incident};

use crate::cachet::{CachetError, Client, RemoteComponent};
use crate::config::Component;
use crate::output::ComponentReport;
use crate::state::{ComponentState, StateDir};
use crate::status::{OutcomeKind, Status};

/// What Cachet said while the checks ran: the client, and each component as Cachet shows it.
pub type CachetView = Result<(Client, Vec<Result<RemoteComponent, CachetError>>), CachetError>;

/// What the run knows when it settles each component after the checks.
pub struct Settle<'a> {
    pub cachet: &'a CachetView,
    pub state: Option<&'a StateDir>,
    pub force: bool,
    /// The run's start, the timestamp of its metric points.
    pub started: i64,
    /// Every configured component, for the parents `depends_on` names outside the run.
    pub all: &'a [Component],
    /// Cachet's own time zone (`[cachet] time_zone`), in which 2.4 reads schedule times.
    pub zone: jiff::tz::TimeZone,
    /// The schedules in progress (3.x), read once by the first component that needs them.
    pub schedules: std::sync::OnceLock<Vec<crate::cachet::RemoteSchedule>>,
    /// This host's name among many (SPEC §11), and how often it stamps its runs.
    pub vantage: &'a str,
    pub stamp_every: std::time::Duration,
    /// By when votes must be settled.
    pub deadline: crate::deadline::Deadline,
}

pub use dependencies::Kin;

/// What every component of the run shows once the statuses are pushed, for `depends_on`.
pub fn kin(settlings: &[std::sync::Mutex<Settling>]) -> Kin {
    let members = settlings
        .iter()
        .map(|cell| {
            let settling = cell
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            dependencies::Member {
                name: settling.component.name.clone(),
                id: settling.report.id,
                status: settling.now.or(settling.report.status),
                depends_on: settling.component.depends_on.clone(),
            }
        })
        .collect();
    Kin { members }
}

/// A component between the two steps of settling: its status pushed (or held, or not), its
/// incident and metric point still to do.
pub struct Settling<'a> {
    component: &'a Component,
    index: usize,
    report: ComponentReport,
    saved: ComponentState,
    loaded: ComponentState,
    /// What Cachet shows now, when the push went through (or was held by `confirm`).
    now: Option<Status>,
    /// This run changed a `quorum` component's status: it keeps the incident (SPEC §11).
    changed: bool,
}

impl<'a> Settling<'a> {
    /// The report, leaving an empty one of the same component behind.
    pub fn take_report(&mut self) -> ComponentReport {
        let placeholder = ComponentReport::new(&self.report.name, Status::Operational);
        std::mem::replace(&mut self.report, placeholder)
    }

    /// A component that is not settled at all (a dry run).
    pub fn unsettled(component: &'a Component, report: ComponentReport) -> Settling<'a> {
        let state = ComponentState::new(&component.name);
        Settling {
            component,
            index: 0,
            report,
            saved: state.clone(),
            loaded: state,
            now: None,
            changed: false,
        }
    }
}

impl Settle<'_> {
    /// The first step: the component's state loaded, its status pushed after `confirm`.
    pub fn push<'a>(
        &self,
        component: &'a Component,
        index: usize,
        status: Status,
        mut report: ComponentReport,
    ) -> Settling<'a> {
        let mut saved = self.state.map_or_else(
            || ComponentState::new(&component.name),
            |dir| dir.component(&component.name),
        );
        let loaded = saved.clone();
        let mut changed = false;
        let now = match self.cachet {
            Err(error) => {
                report.push_error = Some(error.to_string());
                None
            }
            Ok((client, remotes)) => match &remotes[index] {
                Err(error) => {
                    report.push_error = Some(error.to_string());
                    None
                }
                Ok(remote) => {
                    let now = jiff::Timestamp::now();
                    if let Some(meta) = &remote.meta {
                        maintenance::tidy(client, remote, meta, &self.zone, now);
                    }
                    let shown = Status::from_id(remote.status).unwrap_or(Status::Operational);
                    if report.maintenance.is_none() && status > shown {
                        report.maintenance =
                            maintenance::on_server(client, remote, &self.schedules, now).or_else(
                                || {
                                    maintenance::of_parents(
                                        component,
                                        self.all,
                                        client,
                                        &self.schedules,
                                        now,
                                    )
                                },
                            );
                    }
                    match component.quorum {
                        Some(quorum) => {
                            let voter = vantage::Voter {
                                vantage: self.vantage,
                                deadline: self.deadline,
                                force: self.force,
                            };
                            let (now, by_us) = vantage::push_by_quorum(
                                client,
                                remote,
                                status,
                                quorum,
                                &voter,
                                &mut saved,
                                &mut report,
                            );
                            changed = by_us;
                            now
                        }
                        None => push_after_confirm(
                            client,
                            component,
                            remote,
                            status,
                            self.force,
                            &mut saved,
                            &mut report,
                        ),
                    }
                }
            },
        };
        Settling {
            component,
            index,
            report,
            saved,
            loaded,
            now,
            changed,
        }
    }

    /// The second step: the incident follows what Cachet shows now, the metric point is
    /// delivered (or kept), the state saved.
    pub fn finish(&self, settling: &mut Settling, kin: &Kin) {
        let Settling {
            component,
            index,
            report,
            saved,
            loaded,
            now,
            changed,
        } = settling;
        let (component, index, now) = (*component, *index, *now);
        // Of many hosts voting, only the one that changed the status keeps the incident; and
        // only a status this run published moves one (SPEC §10): a status held back (an
        // unknown check, `confirm`, `confirm_recovery`, maintenance, a quorum not reached)
        // never opens, updates or words an incident, whatever Cachet shows meanwhile.
        let published = report.held.is_none() && report.push_error.is_none();
        let keeps_incident = published && (component.quorum.is_none() || *changed);
        let client = self.cachet.as_ref().ok().map(|(client, _)| client);
        let remote = self
            .cachet
            .as_ref()
            .ok()
            .and_then(|(_, remotes)| remotes[index].as_ref().ok());
        if let (Some(client), Some(remote), Some(now), Some(spec), true) =
            (client, remote, now, &component.incident, keeps_incident)
        {
            let affected = kin.affected(&component.name);
            let family = Family {
                // Only a component about to need an incident asks after its parents.
                held_back: match &report.maintenance {
                    Some(maintenance) => Some(format!("not opened: in maintenance {maintenance}")),
                    None => (now != Status::Operational)
                        .then(|| kin.held_back(component, self.all, Some(client)))
                        .flatten(),
                },
                affected: &affected,
            };
            match incident::follow(
                client,
                spec,
                remote,
                (remote.status, now),
                report,
                saved,
                &family,
            ) {
                Ok(done) => report.incident = done,
                Err(error) => {
                    report.incident_error = Some(format!("incident `{}`: {error}", spec.name));
                }
            }
        }
        if let (Some(client), Some(remote)) = (client, remote) {
            self.stamp(client, remote, saved, report);
        }
        if let Some(point) = points::latency_point(component, report, self.started) {
            let unreachable = report.push_error.clone();
            let note = |last: &crate::state::Point| {
                if let Some(dir) = self.state
                    && let Err(error) = dir.note_delivered(&component.name, last)
                {
                    crate::stderr::warn(format_args!("{error:#}"));
                }
            };
            report.metric = Some(points::deliver(client, point, saved, unreachable, &note));
        }
        // Most runs change nothing worth keeping: no file write (and fsync) for those. A count
        // that cannot be kept is never silently lost: the run says so and exits 3.
        if let Some(dir) = self.state
            && saved != loaded
            && let Err(error) = dir.save_component(saved)
        {
            report.state_error = Some(format!("{error:#}"));
        }
    }
}

impl Settle<'_> {
    /// Stamps this host's run in the component's `meta` at most once per `stamp_every` (SPEC
    /// §11), where the server keeps `meta`; a failure is a warning, the run's job is done.
    fn stamp(
        &self,
        client: &Client,
        remote: &RemoteComponent,
        saved: &mut ComponentState,
        report: &ComponentReport,
    ) {
        let now = crate::deadline::unix_now();
        let every = i64::try_from(self.stamp_every.as_secs()).unwrap_or(i64::MAX);
        let fresh = saved
            .stamped
            .is_some_and(|at| (0..every).contains(&now.saturating_sub(at)));
        if fresh || report.push_error.is_some() || self.stamp_every.is_zero() {
            return;
        }
        match votes::stamp(client, remote, self.vantage, now) {
            Ok(()) => saved.stamped = Some(now),
            // 2.3 and the 3.x cores without `meta` cannot keep it: `stale` says so there.
            Err(votes::Trouble::NotKept(_)) => saved.stamped = Some(now),
            Err(trouble) => crate::stderr::warn(format_args!(
                "{}: the run's stamp was not written: {trouble}",
                report.name
            )),
        }
    }
}

/// Pushes one component's status after `confirm`; returns what Cachet shows now, or `None`
/// when the push failed (its error is in the report).
fn push_after_confirm(
    client: &Client,
    component: &Component,
    remote: &RemoteComponent,
    status: Status,
    force: bool,
    state: &mut ComponentState,
    report: &mut ComponentReport,
) -> Option<Status> {
    report.id = Some(remote.id);
    report.previous_status = Some(remote.status_word());
    // Cachet's own states (unknown, under maintenance) rank with operational.
    let shown = Status::from_id(remote.status).unwrap_or(Status::Operational);
    let outcomes: Vec<OutcomeKind> = report.checks.iter().map(|c| c.outcome).collect();
    // A run that could not judge every check does not move `confirm`'s count either way.
    let held = match crate::status::hold(&outcomes, status, shown)
        .or_else(|| maintenance::hold(report.maintenance.as_deref(), status, shown))
        .or_else(|| witnesses::hold(report, status, shown))
    {
        Some(why) => Some(why),
        None if force => None,
        None if outcomes.contains(&OutcomeKind::Unknown) && status <= shown => None,
        None => confirm::damp(
            component.confirm,
            component.confirm_recovery,
            state,
            status,
            remote,
        ),
    };
    match held {
        Some(why) => {
            report.held = Some(why);
            Some(Status::from_id(remote.status).unwrap_or(Status::Operational))
        }
        None => {
            push(client, remote, status, force, report);
            report.push_error.is_none().then_some(status)
        }
    }
}

/// Writes `status` unless Cachet already shows it (SPEC §6), recording what happened.
pub fn push(
    client: &Client,
    remote: &RemoteComponent,
    status: Status,
    force: bool,
    report: &mut ComponentReport,
) {
    if let Err(error) = write_status(client, remote, status, force, report) {
        report.token_refused = matches!(
            error,
            CachetError::Unauthorized { .. } | CachetError::Forbidden { .. }
        );
        report.push_error = Some(error.to_string());
    }
}

/// The write of `push`, its error returned (for a caller that tries again).
pub fn write_status(
    client: &Client,
    remote: &RemoteComponent,
    status: Status,
    force: bool,
    report: &mut ComponentReport,
) -> Result<(), CachetError> {
    report.id = Some(remote.id);
    report.previous_status = Some(remote.status_word());
    if force || remote.status != u64::from(status.id()) {
        client.set_status(remote, status)?;
        report.written = true;
    }
    report.pushed = true;
    Ok(())
}
