//! Component statuses, check outcomes and the rule that turns one into the other (SPEC §4).
//!
//! Everything here is pure: no I/O, no clock. `component_status` is the table of SPEC §4 and has a
//! unit test per row.

use serde::Serialize;

/// A component status cachet-check computes or pushes. The numbers are Cachet's ids, the same on
/// 2.x and 3.x (cachet-api.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Operational,
    PerformanceIssues,
    PartialOutage,
    MajorOutage,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Operational,
        Status::PerformanceIssues,
        Status::PartialOutage,
        Status::MajorOutage,
    ];

    /// Cachet's component status id.
    pub fn id(self) -> u8 {
        match self {
            Status::Operational => 1,
            Status::PerformanceIssues => 2,
            Status::PartialOutage => 3,
            Status::MajorOutage => 4,
        }
    }

    pub fn from_id(id: u64) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|status| u64::from(status.id()) == id)
    }

    /// The word used in JSON output (SPEC §9).
    pub fn word(self) -> &'static str {
        match self {
            Status::Operational => "operational",
            Status::PerformanceIssues => "performance_issues",
            Status::PartialOutage => "partial_outage",
            Status::MajorOutage => "major_outage",
        }
    }

    /// The words used in text output.
    pub fn label(self) -> &'static str {
        match self {
            Status::Operational => "operational",
            Status::PerformanceIssues => "performance issues",
            Status::PartialOutage => "partial outage",
            Status::MajorOutage => "major outage",
        }
    }

    /// The status as a sentence says it of a component: "api has a partial outage".
    pub fn predicate(self) -> &'static str {
        match self {
            Status::Operational => "is operational",
            Status::PerformanceIssues => "has performance issues",
            Status::PartialOutage => "has a partial outage",
            Status::MajorOutage => "has a major outage",
        }
    }

    /// Parses a STATUS argument: a short word, a long word or a Cachet number (SPEC §2).
    pub fn parse(text: &str) -> Option<Status> {
        let status = match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "operational" | "1" => Status::Operational,
            "performance" | "performance-issues" | "2" => Status::PerformanceIssues,
            "partial" | "partial-outage" | "3" => Status::PartialOutage,
            "major" | "major-outage" | "4" => Status::MajorOutage,
            _ => return None,
        };
        Some(status)
    }
}

/// How one check ended (SPEC §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Pass,
    Degraded,
    Fail,
    /// A partial outage the target reports of itself (an upstream status page): a partial
    /// outage of the component, never more by itself.
    Partial,
    Down,
    /// Could not be judged: this host's or this config's trouble, not the target's (SPEC §10).
    Unknown,
}

impl OutcomeKind {
    pub fn word(self) -> &'static str {
        match self {
            OutcomeKind::Pass => "pass",
            OutcomeKind::Degraded => "degraded",
            OutcomeKind::Fail => "fail",
            OutcomeKind::Partial => "partial",
            OutcomeKind::Down => "down",
            OutcomeKind::Unknown => "unknown",
        }
    }
}

/// The component status for the outcomes of its checks: the first row of SPEC §4 that matches.
/// Checks that could not be judged are left out (SPEC §10); when none was judged the table's
/// last row answers, and `hold` keeps that answer from Cachet.
pub fn component_status(outcomes: &[OutcomeKind]) -> Status {
    let judged: Vec<OutcomeKind> = outcomes
        .iter()
        .copied()
        .filter(|kind| *kind != OutcomeKind::Unknown)
        .collect();
    let outcomes = judged.as_slice();
    let any = |kind: OutcomeKind| outcomes.contains(&kind);
    if any(OutcomeKind::Down) {
        return Status::MajorOutage;
    }
    let all_failed_or_degraded = outcomes
        .iter()
        .all(|kind| matches!(kind, OutcomeKind::Fail | OutcomeKind::Degraded));
    if any(OutcomeKind::Fail) && all_failed_or_degraded {
        return Status::MajorOutage;
    }
    if any(OutcomeKind::Fail) || any(OutcomeKind::Partial) {
        return Status::PartialOutage;
    }
    if any(OutcomeKind::Degraded) {
        return Status::PerformanceIssues;
    }
    Status::Operational
}

/// Why a status computed with checks that could not be judged must not reach Cachet, which
/// shows `shown` (SPEC §10): when no check was judged, nothing is known; a better status than
/// Cachet's might hide a failure still going on. A worse (or the same) one stands: a real
/// failure is still a failure. `None` when every check was judged.
pub fn hold(outcomes: &[OutcomeKind], computed: Status, shown: Status) -> Option<String> {
    let unknown = outcomes
        .iter()
        .filter(|kind| **kind == OutcomeKind::Unknown)
        .count();
    if unknown == 0 {
        return None;
    }
    if unknown == outcomes.len() {
        return Some("nothing pushed".to_owned());
    }
    (computed < shown).then(|| {
        format!(
            "{} not pushed while a check could not be judged (it might hide a failure): Cachet keeps showing {}",
            computed.label(),
            shown.label()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::{OutcomeKind, Status, component_status, hold};
    use OutcomeKind::{Degraded, Down, Fail, Partial, Pass, Unknown};

    // SPEC §10: unknown checks are left out of the table.
    #[test]
    fn unknown_checks_are_left_out() {
        assert_eq!(component_status(&[Unknown, Fail]), Status::MajorOutage);
        assert_eq!(
            component_status(&[Unknown, Pass, Fail]),
            Status::PartialOutage
        );
        assert_eq!(component_status(&[Unknown, Pass]), Status::Operational);
        assert_eq!(
            component_status(&[Unknown, Degraded]),
            Status::PerformanceIssues
        );
    }

    // SPEC §10: all unknown → nothing; better than Cachet's → held; worse or the same → pushed.
    #[test]
    fn unknown_checks_hold_all_but_a_worse_status() {
        let major = Status::MajorOutage;
        let operational = Status::Operational;
        assert!(hold(&[Unknown], operational, major).is_some());
        assert!(hold(&[Unknown, Unknown], operational, operational).is_some());
        assert!(hold(&[Unknown, Pass], operational, major).is_some());
        assert_eq!(hold(&[Unknown, Fail], major, operational), None);
        assert_eq!(hold(&[Unknown, Pass], operational, operational), None);
        assert_eq!(hold(&[Pass], operational, major), None);
    }

    // SPEC §4 row 1: any check down → major outage.
    #[test]
    fn row1_any_down_is_major_outage() {
        assert_eq!(component_status(&[Pass, Pass, Down]), Status::MajorOutage);
        assert_eq!(component_status(&[Down]), Status::MajorOutage);
        assert_eq!(
            component_status(&[Degraded, Down, Fail]),
            Status::MajorOutage
        );
    }

    // SPEC §4 row 2: every check fail or degraded, at least one fail → major outage.
    #[test]
    fn row2_all_failing_or_degraded_with_a_fail_is_major_outage() {
        assert_eq!(component_status(&[Fail, Fail]), Status::MajorOutage);
        assert_eq!(component_status(&[Fail, Degraded]), Status::MajorOutage);
    }

    // SPEC §4: a component with a single check that fails is in major outage.
    #[test]
    fn single_failing_check_is_major_outage() {
        assert_eq!(component_status(&[Fail]), Status::MajorOutage);
    }

    // SPEC §4 row 3: at least one fail (and a pass) → partial outage.
    #[test]
    fn row3_a_fail_among_passes_is_partial_outage() {
        assert_eq!(component_status(&[Pass, Fail]), Status::PartialOutage);
        assert_eq!(
            component_status(&[Pass, Degraded, Fail]),
            Status::PartialOutage
        );
    }

    // A partial outage an upstream reports of itself is a partial outage, alone or with
    // failures — never a major one unless a check is `down`.
    #[test]
    fn a_partial_outcome_is_a_partial_outage_and_no_more() {
        assert_eq!(component_status(&[Partial]), Status::PartialOutage);
        assert_eq!(component_status(&[Partial, Fail]), Status::PartialOutage);
        assert_eq!(
            component_status(&[Partial, Degraded]),
            Status::PartialOutage
        );
        assert_eq!(component_status(&[Partial, Down]), Status::MajorOutage);
    }

    // SPEC §4 row 4: at least one degraded → performance issues; all degraded is not an outage.
    #[test]
    fn row4_degraded_is_performance_issues() {
        assert_eq!(
            component_status(&[Pass, Degraded]),
            Status::PerformanceIssues
        );
        assert_eq!(
            component_status(&[Degraded, Degraded]),
            Status::PerformanceIssues
        );
        assert_eq!(component_status(&[Degraded]), Status::PerformanceIssues);
    }

    // SPEC §4 row 5: otherwise operational.
    #[test]
    fn row5_all_pass_is_operational() {
        assert_eq!(component_status(&[Pass, Pass]), Status::Operational);
        assert_eq!(component_status(&[Pass]), Status::Operational);
    }

    #[test]
    fn status_arguments_parse_in_every_form() {
        for (text, status) in [
            ("operational", Status::Operational),
            ("1", Status::Operational),
            ("performance", Status::PerformanceIssues),
            ("performance-issues", Status::PerformanceIssues),
            ("performance_issues", Status::PerformanceIssues),
            ("2", Status::PerformanceIssues),
            ("partial", Status::PartialOutage),
            ("Partial-Outage", Status::PartialOutage),
            ("3", Status::PartialOutage),
            ("major", Status::MajorOutage),
            ("major-outage", Status::MajorOutage),
            ("4", Status::MajorOutage),
        ] {
            assert_eq!(Status::parse(text), Some(status), "{text}");
        }
        assert_eq!(Status::parse("0"), None);
        assert_eq!(Status::parse("5"), None);
        assert_eq!(Status::parse("down"), None);
    }

    #[test]
    fn ids_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::from_id(u64::from(status.id())), Some(status));
        }
        assert_eq!(Status::from_id(0), None);
    }
}
