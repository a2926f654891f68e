//! A component with `quorum` (SPEC §11): this host votes, the votes decide, and of the hosts
//! that see the decision change Cachet's status, the one whose claim holds pushes it and keeps
//! the incident — so N hosts give one change, one incident and one notification.

use super::quorum::{self, Decision};
use super::votes::{self, Trouble};
use super::{maintenance, push};
use crate::cachet::{Client, RemoteComponent};
use crate::config::Quorum;
use crate::deadline::{Deadline, unix_now};
use crate::output::{ComponentReport, QuorumReport, VoteReport};
use crate::state::ComponentState;
use crate::status::{OutcomeKind, Status};

/// Who is voting, and by when the votes must be settled.
pub struct Voter<'a> {
    pub vantage: &'a str,
    pub deadline: Deadline,
    pub force: bool,
}

/// Votes and pushes what the votes decide. Returns what Cachet shows now (`None` when the
/// votes or the push failed, said in the report), and whether this run changed it.
pub fn push_by_quorum(
    client: &Client,
    remote: &RemoteComponent,
    status: Status,
    quorum: Quorum,
    voter: &Voter,
    state: &mut ComponentState,
    report: &mut ComponentReport,
) -> (Option<Status>, bool) {
    report.id = Some(remote.id);
    report.previous_status = Some(remote.status_word());
    let shown = Status::from_id(remote.status).unwrap_or(Status::Operational);
    let outcomes: Vec<OutcomeKind> = report.checks.iter().map(|c| c.outcome).collect();
    // A host that judged nothing, or may be cut off, or could not judge a check that might
    // hide a failure, has no vote to give: its trouble is its own (SPEC §10).
    let abstains = report.status.is_none()
        || super::witnesses::hold(report, status, shown).is_some()
        || crate::status::hold(&outcomes, status, shown).is_some();
    let now = unix_now();
    let votes = match votes::cast(
        client,
        remote,
        voter.vantage,
        (!abstains).then(|| status.id()),
        now,
        voter.deadline,
    ) {
        Ok(votes) => votes,
        Err(trouble) => return failed(report, &trouble),
    };
    if !abstains {
        state.stamped = Some(now);
    }
    let ttl = quorum::ttl(&votes, quorum.ttl);
    let decision = quorum::decide(&votes, now, ttl, quorum.votes, shown);
    report.quorum = Some(quorum_report(&decision, quorum.votes, voter.vantage));
    let showing = Some(shown_now(remote));
    let Some(decided) = decision.status else {
        report.held = decision.waiting;
        return (showing, false);
    };
    if let Some(why) = maintenance::hold(report.maintenance.as_deref(), decided, shown) {
        report.held = Some(why);
        return (showing, false);
    }
    if remote.status == u64::from(decided.id()) && !voter.force {
        report.held = decision.waiting;
        report.pushed = true;
        return (Some(decided), false);
    }
    match votes::claim(
        client,
        remote,
        voter.vantage,
        decided.id(),
        now,
        voter.deadline,
    ) {
        Ok(None) => {}
        Ok(Some(other)) => {
            report.held = Some(format!(
                "{} is being pushed by `{other}`, which saw the votes decide it first",
                decided.label()
            ));
            return (showing, false);
        }
        Err(trouble) => return failed(report, &trouble),
    }
    push(client, remote, decided, voter.force, report);
    let changed = report.written;
    (report.push_error.is_none().then_some(decided), changed)
}

fn failed(report: &mut ComponentReport, trouble: &Trouble) -> (Option<Status>, bool) {
    report.push_error = Some(trouble.to_string());
    (None, false)
}

/// Cachet's status as a `Status` (its unknown and maintenance rank with operational).
fn shown_now(remote: &RemoteComponent) -> Status {
    Status::from_id(remote.status).unwrap_or(Status::Operational)
}

fn quorum_report(decision: &Decision, needed: u32, vantage: &str) -> QuorumReport {
    QuorumReport {
        needed,
        vantage: vantage.to_owned(),
        decided: decision.status,
        votes: decision
            .counted
            .iter()
            .map(|counted| VoteReport {
                vantage: counted.vantage.clone(),
                status: Status::from_id(u64::from(counted.vote.status))
                    .map_or("unknown", Status::word)
                    .to_owned(),
                age_s: counted.age,
                counted: counted.left_out.is_none(),
                left_out: counted.left_out.clone(),
            })
            .collect(),
    }
}
