//! `confirm` and `confirm_recovery` (SPEC §4): a status worse than what Cachet shows waits for
//! `confirm` runs in a row that computed a worse one, a better one for `confirm_recovery` runs
//! that computed a better one (both 1 by default: pushed at once).

use crate::cachet::RemoteComponent;
use crate::state::ComponentState;
use crate::status::Status;

/// Whether the status computed may be pushed yet: counts the runs that computed a worse (or a
/// better) status than Cachet's; returns why the push waits, or `None` to push.
pub fn damp(
    confirm: u32,
    confirm_recovery: u32,
    state: &mut ComponentState,
    computed: Status,
    shown: &RemoteComponent,
) -> Option<String> {
    // Cachet's own states (unknown, under maintenance) rank with operational.
    let shown_status = Status::from_id(shown.status).unwrap_or(Status::Operational);
    let (runs, needed, key) = match computed.cmp(&shown_status) {
        std::cmp::Ordering::Equal => {
            state.worse_runs = 0;
            state.better_runs = 0;
            return None;
        }
        std::cmp::Ordering::Greater => {
            state.better_runs = 0;
            (&mut state.worse_runs, confirm, "confirm")
        }
        std::cmp::Ordering::Less => {
            state.worse_runs = 0;
            (&mut state.better_runs, confirm_recovery, "confirm_recovery")
        }
    };
    *runs = runs.saturating_add(1);
    if *runs >= needed {
        *runs = 0;
        return None;
    }
    Some(format!(
        "{} of {needed} runs computed {} ({key} = {needed}); Cachet keeps showing {}",
        *runs,
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
            meta: None,
        }
    }

    #[test]
    fn a_worse_status_waits_for_confirm_runs_and_recovery_is_at_once() {
        let mut state = ComponentState::new("api");
        let held = damp(3, 1, &mut state, Status::PartialOutage, &shown(1));
        assert_eq!(
            held.as_deref(),
            Some(
                "1 of 3 runs computed partial outage (confirm = 3); Cachet keeps showing operational"
            )
        );
        assert!(damp(3, 1, &mut state, Status::MajorOutage, &shown(1)).is_some());
        assert_eq!(
            damp(3, 1, &mut state, Status::PartialOutage, &shown(1)),
            None
        );
        assert_eq!(state.worse_runs, 0);
        // Recovery (or the same status) is pushed at once and resets the count.
        assert!(damp(3, 1, &mut state, Status::MajorOutage, &shown(3)).is_some());
        assert_eq!(damp(3, 1, &mut state, Status::Operational, &shown(3)), None);
        assert_eq!(state.worse_runs, 0);
        // confirm = 1 never waits; Cachet's "unknown" ranks with operational.
        assert_eq!(damp(1, 1, &mut state, Status::MajorOutage, &shown(0)), None);
    }

    // SPEC §4: `confirm_recovery = 2` holds one good run; a bad run in between starts over.
    #[test]
    fn a_better_status_waits_for_confirm_recovery_runs() {
        let mut state = ComponentState::new("api");
        assert_eq!(
            damp(1, 2, &mut state, Status::Operational, &shown(4)).as_deref(),
            Some(
                "1 of 2 runs computed operational (confirm_recovery = 2); Cachet keeps showing major outage"
            )
        );
        assert_eq!(damp(1, 2, &mut state, Status::MajorOutage, &shown(4)), None);
        assert_eq!(state.better_runs, 0);
        assert!(damp(1, 2, &mut state, Status::Operational, &shown(4)).is_some());
        assert_eq!(damp(1, 2, &mut state, Status::Operational, &shown(4)), None);
        assert_eq!(state.better_runs, 0);
    }
}
