//! The tally of many vantage points (SPEC §11), pure: each host's vote is kept in the Cachet
//! component's `meta` (`cachet_check.votes.<vantage> = {status, at, every}`); a status is
//! pushed when at least `quorum` unexpired votes agree on it or on worse, and a better one
//! only when `quorum` votes are for it or better.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::deadline::format_age;
use crate::status::Status;

/// How far ahead of this host's clock a vote may be stamped and still count.
pub const SKEW: i64 = 30;

/// The longest interval a vote may say its host runs at (`every`): a day. A vote that says
/// more, or less than a second, is not one this tool writes, and is left out.
pub const MAX_EVERY: i64 = 86_400;

/// How long a vote counts when `vote_ttl` is not set and no vote tells how often its host
/// runs.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

/// One host's vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// The Cachet status id it computed.
    pub status: u8,
    /// Unix seconds, by its clock.
    pub at: i64,
    /// Seconds since its vote before, when it had one: how often it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<i64>,
}

/// Every vantage's vote, as `meta` holds them.
pub type Votes = BTreeMap<String, Vote>;

/// How one vote was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    pub vantage: String,
    pub vote: Vote,
    /// Seconds since it was cast, by this host's clock (negative: stamped ahead).
    pub age: i64,
    /// Why it was left out (expired, stamped too far ahead), or `None` when it counted.
    pub left_out: Option<String>,
}

/// What the votes decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The status to show; `None`: not enough votes to move Cachet's (`waiting` says why).
    pub status: Option<Status>,
    pub waiting: Option<String>,
    pub counted: Vec<Counted>,
}

/// How long a vote counts: `vote_ttl`, else three times the longest interval a host says it
/// runs at, else `DEFAULT_TTL`.
pub fn ttl(votes: &Votes, vote_ttl: Option<Duration>) -> Duration {
    vote_ttl.unwrap_or_else(|| {
        votes
            .values()
            .filter_map(|vote| vote.every)
            .filter(|every| (1..=MAX_EVERY).contains(every))
            .max()
            .and_then(|every| u64::try_from(every).ok())
            .map_or(DEFAULT_TTL, |every| {
                Duration::from_secs(every.saturating_mul(3)).max(Duration::from_secs(30))
            })
    })
}

/// Why `vote` is not one this tool could have written, if it is not: a status that is not
/// Cachet's, an interval out of bounds.
fn absurd(vote: &Vote) -> Option<String> {
    if Status::from_id(u64::from(vote.status)).is_none() {
        return Some(format!(
            "its status {} is not one of Cachet's four",
            vote.status
        ));
    }
    match vote.every {
        Some(every) if !(1..=MAX_EVERY).contains(&every) => Some(format!(
            "it says its host runs every {every} s, out of bounds (1 s to a day)"
        )),
        _ => None,
    }
}

/// The tally at `now` (Unix seconds) for `quorum` votes, Cachet showing `shown`.
pub fn decide(votes: &Votes, now: i64, ttl: Duration, quorum: u32, shown: Status) -> Decision {
    let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
    let counted: Vec<Counted> = votes
        .iter()
        .map(|(vantage, vote)| {
            // Votes come from another host's meta: never trusted for arithmetic.
            let age = now.saturating_sub(vote.at);
            let left_out = if let Some(why) = absurd(vote) {
                Some(why)
            } else if age > ttl {
                Some(format!("expired ({} old)", format_age(age)))
            } else if age < -SKEW {
                Some(format!(
                    "stamped {} ahead of this host's clock: check the clocks (ntp)",
                    format_age(age.saturating_neg())
                ))
            } else {
                None
            };
            Counted {
                vantage: vantage.clone(),
                vote: vote.clone(),
                age,
                left_out,
            }
        })
        .collect();
    let mut statuses: Vec<Status> = counted
        .iter()
        .filter(|c| c.left_out.is_none())
        .filter_map(|c| Status::from_id(u64::from(c.vote.status)))
        .collect();
    let quorum = usize::try_from(quorum.max(1)).unwrap_or(usize::MAX);
    if statuses.len() < quorum {
        return Decision {
            status: None,
            waiting: Some(format!(
                "waiting for quorum: {} of {quorum} votes",
                statuses.len()
            )),
            counted,
        };
    }
    statuses.sort_by(|a, b| b.cmp(a)); // worst first
    // The worst status `quorum` votes agree on or are worse than; and the best one `quorum`
    // votes are for or better than. A better status than Cachet's needs the second.
    let worse = statuses[quorum - 1];
    let better = statuses[statuses.len() - quorum];
    let status = if worse >= shown {
        worse
    } else {
        // Better than Cachet's: as good as `quorum` votes say, never worse than it shows.
        worse.max(better).min(shown)
    };
    let waiting = (status == shown && worse < shown).then(|| {
        format!(
            "{} has {} of {quorum} votes",
            worse.label(),
            statuses.iter().filter(|s| **s <= worse).count()
        )
    });
    Decision {
        status: Some(status),
        waiting,
        counted,
    }
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_TTL, Vote, Votes, decide, ttl};
    use crate::status::Status::{self, MajorOutage, Operational, PartialOutage};
    use std::time::Duration;

    const NOW: i64 = 1_800_000_000;

    fn votes(list: &[(&str, Status, i64)]) -> Votes {
        list.iter()
            .map(|(vantage, status, ago)| {
                let vote = Vote {
                    status: status.id(),
                    at: NOW - ago,
                    every: None,
                };
                ((*vantage).to_owned(), vote)
            })
            .collect()
    }

    fn status(list: &[(&str, Status, i64)], shown: Status) -> Option<Status> {
        decide(&votes(list), NOW, DEFAULT_TTL, 2, shown).status
    }

    #[test]
    fn two_of_three_decide() {
        let one_down = [
            ("fra", MajorOutage, 5),
            ("sfo", Operational, 5),
            ("sgp", Operational, 5),
        ];
        assert_eq!(status(&one_down, Operational), Some(Operational));
        let one_of_two = [("fra", MajorOutage, 5), ("sfo", Operational, 5)];
        assert_eq!(status(&one_of_two, Operational), Some(Operational));
        // One host's worse vote never makes the page worse, even on the way back up.
        assert_eq!(status(&one_of_two, PartialOutage), Some(PartialOutage));
        let two_down = [
            ("fra", MajorOutage, 5),
            ("sfo", PartialOutage, 5),
            ("sgp", Operational, 5),
        ];
        assert_eq!(status(&two_down, Operational), Some(PartialOutage));
        // Recovery needs two votes for it: one recovered host is not enough.
        let one_up = [("fra", MajorOutage, 5), ("sfo", Operational, 5)];
        assert_eq!(status(&one_up, MajorOutage), Some(MajorOutage));
        let two_up = [
            ("fra", MajorOutage, 5),
            ("sfo", Operational, 5),
            ("sgp", Operational, 5),
        ];
        assert_eq!(status(&two_up, MajorOutage), Some(Operational));
    }

    #[test]
    fn expired_and_future_votes_are_left_out_and_say_why() {
        let list = [("fra", MajorOutage, 5), ("sfo", MajorOutage, 600)];
        let decision = decide(&votes(&list), NOW, DEFAULT_TTL, 2, Operational);
        assert_eq!(decision.status, None);
        assert_eq!(
            decision.waiting.as_deref(),
            Some("waiting for quorum: 1 of 2 votes")
        );
        assert_eq!(
            decision.counted[1].left_out.as_deref(),
            Some("expired (10 min old)")
        );
        // 20 s ahead counts; 2 minutes ahead does not.
        let skewed = [("fra", MajorOutage, 5), ("sfo", MajorOutage, -20)];
        assert_eq!(status(&skewed, Operational), Some(MajorOutage));
        let far = [("fra", MajorOutage, 5), ("sfo", MajorOutage, -120)];
        let decision = decide(&votes(&far), NOW, DEFAULT_TTL, 2, Operational);
        assert_eq!(decision.status, None);
        assert_eq!(
            decision.counted[1].left_out.as_deref(),
            Some("stamped 2 min ahead of this host's clock: check the clocks (ntp)")
        );
    }

    #[test]
    fn absurd_votes_are_left_out_and_the_arithmetic_never_overflows() {
        let mut list = votes(&[("fra", MajorOutage, 5), ("sfo", MajorOutage, 5)]);
        list.get_mut("sfo").unwrap().every = Some(i64::MAX);
        // A five-year-old vote with a huge `every` neither stretches the TTL nor counts.
        list.insert(
            "old".to_owned(),
            Vote {
                status: MajorOutage.id(),
                at: NOW - 5 * 365 * 86_400,
                every: Some(i64::MAX),
            },
        );
        assert_eq!(ttl(&list, None), DEFAULT_TTL);
        let decision = decide(&list, NOW, DEFAULT_TTL, 2, Operational);
        assert_eq!(decision.status, None, "{decision:?}");
        let sfo = decision
            .counted
            .iter()
            .find(|c| c.vantage == "sfo")
            .unwrap();
        assert!(
            sfo.left_out.as_deref().unwrap().contains("out of bounds"),
            "{sfo:?}"
        );
        for at in [i64::MIN, i64::MAX] {
            let mut list = votes(&[("fra", MajorOutage, 5)]);
            list.insert(
                "edge".to_owned(),
                Vote {
                    status: 9,
                    at,
                    every: Some(i64::MIN),
                },
            );
            for now in [NOW, i64::MIN, i64::MAX] {
                let decision = decide(&list, now, Duration::MAX, 1, Operational);
                assert!(decision.counted.iter().any(|c| c.left_out.is_some()));
            }
        }
    }

    #[test]
    fn the_ttl_follows_how_often_hosts_run() {
        let mut list = votes(&[("fra", Operational, 0)]);
        assert_eq!(ttl(&list, None), DEFAULT_TTL);
        list.get_mut("fra").unwrap().every = Some(60);
        assert_eq!(ttl(&list, None), Duration::from_secs(180));
        assert_eq!(
            ttl(&list, Some(Duration::from_secs(45))),
            Duration::from_secs(45)
        );
    }
}
