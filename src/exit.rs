//! Exit codes (SPEC §3): the only place the numbers 0–3 are written.

use std::process::ExitCode;

use crate::status::Status;

/// The monitoring-plugins exit status. Ordered so that `max()` gives the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Warning => 1,
            Exit::Critical => 2,
            Exit::Unknown => 3,
        }
    }

    /// The word monitoring plugins print first (`CACHET-CHECK CRITICAL - …`).
    pub fn word(self) -> &'static str {
        match self {
            Exit::Ok => "OK",
            Exit::Warning => "WARNING",
            Exit::Critical => "CRITICAL",
            Exit::Unknown => "UNKNOWN",
        }
    }

    /// The exit of a run: the worst component status, and UNKNOWN for any component whose job
    /// was not done (SPEC §3: its push failed, or a check could not be judged) or that has no
    /// status at all.
    pub fn of_run(components: impl IntoIterator<Item = (Option<Status>, bool)>) -> Exit {
        components
            .into_iter()
            .map(|(status, not_done)| match status {
                Some(status) if !not_done => Exit::from(status),
                _ => Exit::Unknown,
            })
            .max()
            .unwrap_or(Exit::Ok)
    }
}

impl From<Status> for Exit {
    fn from(status: Status) -> Exit {
        match status {
            Status::Operational => Exit::Ok,
            Status::PerformanceIssues => Exit::Warning,
            Status::PartialOutage | Status::MajorOutage => Exit::Critical,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;
    use crate::status::Status;

    #[test]
    fn statuses_map_to_plugin_codes() {
        assert_eq!(Exit::from(Status::Operational).code(), 0);
        assert_eq!(Exit::from(Status::PerformanceIssues).code(), 1);
        assert_eq!(Exit::from(Status::PartialOutage).code(), 2);
        assert_eq!(Exit::from(Status::MajorOutage).code(), 2);
        assert_eq!(Exit::Unknown.code(), 3);
    }

    #[test]
    fn a_run_exits_with_the_worst_component() {
        let run = [
            (Some(Status::Operational), false),
            (Some(Status::PerformanceIssues), false),
        ];
        assert_eq!(Exit::of_run(run), Exit::Warning);
        let run = [
            (Some(Status::MajorOutage), false),
            (Some(Status::PerformanceIssues), false),
        ];
        assert_eq!(Exit::of_run(run), Exit::Critical);
        assert_eq!(Exit::of_run([]), Exit::Ok);
    }

    // SPEC §3: the status is known but the push failed → 3, even when operational.
    #[test]
    fn a_failed_push_makes_the_run_unknown() {
        let run = [
            (Some(Status::MajorOutage), false),
            (Some(Status::Operational), true),
        ];
        assert_eq!(Exit::of_run(run), Exit::Unknown);
    }

    // SPEC §10: a component none of whose checks could be judged makes the run unknown.
    #[test]
    fn a_component_without_a_status_makes_the_run_unknown() {
        let run = [(Some(Status::Operational), false), (None, false)];
        assert_eq!(Exit::of_run(run), Exit::Unknown);
    }
}
