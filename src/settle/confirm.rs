//! `confirm` (SPEC §4): a status worse than what Cachet shows waits for that many runs that
//! computed a worse one; a better one goes out at once.

use crate::cachet::RemoteComponent;
use crate::state::ComponentState;
use crate::status::Status;

/// `confirm`: whether a status worse than Cachet's may be pushed yet. Counts the runs that
/// computed a worse status; returns why the push waits, or `None` to push.
pub fn damp(
    confirm: u32,
    state: &mut ComponentState,
    computed: Status,
    shown: &RemoteComponent,
) -> Option<String> {
    // Cachet's own states (unknown, under maintenance) rank with operational.
    let shown_status = Status::from_id(shown.status).unwrap_or(Status::Operational);
    if computed <= shown_status {
        state.worse_runs = 0;
        return None;
    }
    state.worse_runs = state.worse_runs.saturating_add(1);
    if state.worse_runs >= confirm {
        state.worse_runs = 0;
        return None;
    }
    Some(format!(
        "{} of {confirm} runs computed {} (confirm = {confirm}); Cachet keeps showing {}",
        state.worse_runs,
        computed.label(),
        shown.status_word().replace('_', " ")
    ))
}

#[cfg(test)]
mod tests {
    use super::damp;
    use crate::cachet::RemoteComponent;
    use crate::state::ComponentState;
    use crate::status::Status;

    fn shown(status: u64) -> RemoteComponent {
        RemoteComponent {
            id: 2,
            name: "API".to_owned(),
            status,
            enabled: true,
        }
    }

    #[test]
    fn a_worse_status_waits_for_confirm_runs_and_recovery_is_at_once() {
        let mut state = ComponentState::new("api");
        let held = damp(3, &mut state, Status::PartialOutage, &shown(1));
        assert_eq!(
            held.as_deref(),
            Some(
                "1 of 3 runs computed partial outage (confirm = 3); Cachet keeps showing operational"
            )
        );
        assert!(damp(3, &mut state, Status::MajorOutage, &shown(1)).is_some());
        assert_eq!(damp(3, &mut state, Status::PartialOutage, &shown(1)), None);
        assert_eq!(state.worse_runs, 0);
        // Recovery (or the same status) is pushed at once and resets the count.
        assert!(damp(3, &mut state, Status::MajorOutage, &shown(3)).is_some());
        assert_eq!(damp(3, &mut state, Status::Operational, &shown(3)), None);
        assert_eq!(state.worse_runs, 0);
        // confirm = 1 never waits; Cachet's "unknown" ranks with operational.
        assert_eq!(damp(1, &mut state, Status::MajorOutage, &shown(0)), None);
    }
}
