//! Witnesses (SPEC §10): before a run pushes anything worse than operational, the witnesses of
//! the components concerned are asked once, all at the same time. A component all of whose
//! witnesses failed too is cut off: its failures are this host's, and nothing worse is pushed.

use std::sync::Arc;

use crate::check::Context;
use crate::check::witness::{Seen, Witness, ask_all};
use crate::config::Component;
use crate::deadline::Deadline;
use crate::output::ComponentReport;
use crate::status::Status;

/// Asks the witnesses of every component about to be pushed worse than operational, and marks
/// those all of whose witnesses failed as `cut_off`. Returns what the witnesses said (nothing
/// when none was asked).
pub fn ask(
    selected: &[&Component],
    reports: &mut [ComponentReport],
    context: &Arc<Context>,
    deadline: Deadline,
) -> Vec<Seen> {
    let concerned = |component: &Component, report: &ComponentReport| {
        !component.witnesses.is_empty()
            && report
                .status
                .is_some_and(|status| status > Status::Operational)
    };
    let mut asked: Vec<Witness> = Vec::new();
    for (component, report) in selected.iter().zip(reports.iter()) {
        if concerned(component, report) {
            for witness in &component.witnesses {
                if !asked.contains(witness) {
                    asked.push(witness.clone());
                }
            }
        }
    }
    if asked.is_empty() {
        return Vec::new();
    }
    let seen = ask_all(&asked, context, deadline);
    for (component, report) in selected.iter().zip(reports.iter_mut()) {
        if concerned(component, report) {
            report.cut_off = component.witnesses.iter().all(|witness| {
                seen.iter()
                    .any(|seen| seen.witness == witness.text() && !seen.answered)
            });
        }
    }
    seen
}

/// Why a status computed by a cut-off component is not pushed: it is worse than `shown`.
pub fn hold(report: &ComponentReport, computed: Status, shown: Status) -> Option<String> {
    (report.cut_off && computed > shown).then(|| {
        format!(
            "{} not pushed: this host looks cut off (every witness failed too)",
            computed.label()
        )
    })
}
