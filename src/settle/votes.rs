//! Many vantage points through Cachet itself (SPEC §11): each run's vote and run stamp are
//! kept in the component's `meta` under `cachet_check` (`votes.<vantage>`, `last_run.<vantage>`)
//! by read-merge-write, which keeps every other key and every other vantage's vote. Cachet has
//! no compare-and-swap, so a writer that raced another is found by reading again: the vote is
//! written back until two reads in a row, a moment apart, show it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::quorum::{Vote, Votes};
use crate::cachet::{CachetError, Client, Meta, RemoteComponent};
use crate::deadline::Deadline;

/// Reads in a row that must show the vote before the write is taken as settled.
const SETTLED_AFTER: u32 = 2;

/// Why votes could not be kept.
#[derive(Debug)]
pub enum Trouble {
    /// The server keeps no component `meta` (2.3, some 3.x cores), in its words.
    NotKept(String),
    Cachet(CachetError),
    /// The vote was overwritten again and again until the run's deadline.
    Unsettled,
}

impl std::fmt::Display for Trouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trouble::NotKept(why) => write!(
                f,
                "`quorum` needs component `meta`, and this server keeps none ({why}): run each host with its own components, or upgrade Cachet"
            ),
            Trouble::Cachet(error) => write!(f, "{error}"),
            Trouble::Unsettled => f.write_str(
                "the vote could not be kept: other hosts overwrote it until the deadline",
            ),
        }
    }
}

impl From<CachetError> for Trouble {
    fn from(error: CachetError) -> Trouble {
        Trouble::Cachet(error)
    }
}

/// Every reading of a component's `meta` as votes, for the fuzz target `votes`: the votes and
/// stamps in it, their TTL, and the tally at several times, quorums and shown statuses.
/// Nothing may panic (nor overflow), whatever `text` is; returns how many votes counted.
pub fn read_any_meta(text: &str) -> usize {
    use crate::status::Status;
    let Ok(Value::Object(meta)) = serde_json::from_str::<Value>(text) else {
        return 0;
    };
    let votes = votes_in(&meta);
    let _ = stamps_in(&meta);
    let ttl = super::quorum::ttl(&votes, None);
    let mut counted = 0;
    for now in [0, 1_800_000_000, i64::MIN, i64::MAX] {
        for quorum in [0, 1, 2, u32::MAX] {
            for shown in [Status::Operational, Status::MajorOutage] {
                let decision = super::quorum::decide(&votes, now, ttl, quorum, shown);
                counted += decision
                    .counted
                    .iter()
                    .filter(|c| c.left_out.is_none())
                    .count();
            }
        }
    }
    counted
}

/// `cachet_check` of `meta`, as an object.
fn ours(meta: &Map<String, Value>) -> Option<&Map<String, Value>> {
    meta.get("cachet_check")?.as_object()
}

/// The votes `meta` holds; a vote that does not read is left out.
pub fn votes_in(meta: &Map<String, Value>) -> Votes {
    ours(meta)
        .and_then(|ours| ours.get("votes")?.as_object())
        .map(|votes| {
            votes
                .iter()
                .filter_map(|(vantage, vote)| {
                    Some((
                        safe_name(vantage),
                        serde_json::from_value(vote.clone()).ok()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The longest vantage name shown; a longer one, from another host's meta, is cut.
const NAME_CAP: usize = 64;

/// A vantage name from meta as it may be printed and published: control characters, ANSI
/// escapes and bidi overrides escaped, at most `NAME_CAP` characters. A name this tool writes
/// is shown as it is.
fn safe_name(vantage: &str) -> String {
    let clean = crate::text::sanitize(vantage);
    match clean.char_indices().nth(NAME_CAP) {
        Some((cut, _)) => format!("{}…", &clean[..cut]),
        None => clean,
    }
}

/// When each vantage last ran, by its own stamp or vote (Unix seconds).
pub fn stamps_in(meta: &Map<String, Value>) -> BTreeMap<String, i64> {
    let mut stamps: BTreeMap<String, i64> = ours(meta)
        .and_then(|ours| ours.get("last_run")?.as_object())
        .map(|runs| {
            runs.iter()
                .filter_map(|(vantage, at)| Some((safe_name(vantage), at.as_i64()?)))
                .collect()
        })
        .unwrap_or_default();
    for (vantage, vote) in votes_in(meta) {
        let at = stamps.entry(vantage).or_insert(vote.at);
        *at = (*at).max(vote.at);
    }
    stamps
}

/// `meta` with `vantage`'s vote (when it casts one) and run stamp set at `now`.
fn merged(
    mut meta: Map<String, Value>,
    vantage: &str,
    vote: Option<&Vote>,
    now: i64,
) -> Map<String, Value> {
    let ours = meta.entry("cachet_check").or_insert_with(|| json!({}));
    if !ours.is_object() {
        *ours = json!({});
    }
    if let Some(ours) = ours.as_object_mut() {
        for (key, value) in [
            ("votes", vote.map(|vote| json!(vote))),
            ("last_run", Some(json!(now))),
        ] {
            let Some(value) = value else { continue };
            let table = ours.entry(key).or_insert_with(|| json!({}));
            if !table.is_object() {
                *table = json!({});
            }
            if let Some(table) = table.as_object_mut() {
                table.insert(vantage.to_owned(), value);
            }
        }
    }
    meta
}

fn read(client: &Client, remote: &RemoteComponent) -> Result<Map<String, Value>, Trouble> {
    match client.read_meta(remote.id)? {
        Meta::Kept(meta) => Ok(meta),
        Meta::NotKept(why) => Err(Trouble::NotKept(why)),
    }
}

/// Casts `vantage`'s vote for `status` at `now` (none: it abstains, as a run that judged
/// nothing does) and returns every vote as the last read showed them. The vote says how long
/// since its vantage's vote before (`every`), from which the others learn how long it counts.
pub fn cast(
    client: &Client,
    remote: &RemoteComponent,
    vantage: &str,
    status: Option<u8>,
    now: i64,
    deadline: Deadline,
) -> Result<Votes, Trouble> {
    let mut meta = read(client, remote)?;
    let Some(status) = status else {
        return Ok(votes_in(&meta));
    };
    let before = votes_in(&meta).remove(vantage);
    let vote = Vote {
        status,
        at: now,
        every: before
            .map(|before| now.saturating_sub(before.at))
            .filter(|every| (1..=super::quorum::MAX_EVERY).contains(every)),
    };
    let mut shown = 0;
    loop {
        let votes = votes_in(&meta);
        if votes.get(vantage) == Some(&vote) {
            shown += 1;
            if shown >= SETTLED_AFTER {
                return Ok(votes);
            }
        } else {
            shown = 0;
            client.write_meta(remote, &merged(meta, vantage, Some(&vote), now))?;
        }
        if deadline.remaining() < Duration::from_millis(500) {
            return Err(Trouble::Unsettled);
        }
        std::thread::sleep(pause());
        meta = read(client, remote)?;
    }
}

/// How long a claim on a change keeps other hosts from making it.
const CLAIM_HOLDS: i64 = 60;

/// Claims the change to `status` for `vantage`, so that of the hosts that see the votes
/// decide a change at once, one pushes it and keeps the incident (SPEC §11): `Ok(None)` when
/// the claim held, `Ok(Some(other))` when `other` holds a fresh claim on the same change.
pub fn claim(
    client: &Client,
    remote: &RemoteComponent,
    vantage: &str,
    status: u8,
    now: i64,
    deadline: Deadline,
) -> Result<Option<String>, Trouble> {
    let ours = json!({ "status": status, "by": vantage, "at": now });
    let mut shown = 0;
    loop {
        let mut meta = read(client, remote)?;
        let current = self::ours(&meta).and_then(|o| o.get("change")).cloned();
        match current {
            Some(claim) if claim == ours => {
                shown += 1;
                if shown >= SETTLED_AFTER {
                    return Ok(None);
                }
            }
            Some(claim)
                if claim["status"].as_u64() == Some(u64::from(status))
                    && claim["by"].as_str() != Some(vantage)
                    && claim["at"]
                        .as_i64()
                        .is_some_and(|at| now.abs_diff(at) <= CLAIM_HOLDS.unsigned_abs()) =>
            {
                return Ok(Some(safe_name(
                    claim["by"].as_str().unwrap_or("another host"),
                )));
            }
            _ => {
                shown = 0;
                let table = meta.entry("cachet_check").or_insert_with(|| json!({}));
                if !table.is_object() {
                    *table = json!({});
                }
                if let Some(table) = table.as_object_mut() {
                    table.insert("change".to_owned(), ours.clone());
                }
                client.write_meta(remote, &meta)?;
            }
        }
        if deadline.remaining() < Duration::from_millis(500) {
            return Err(Trouble::Unsettled);
        }
        std::thread::sleep(pause());
    }
}

/// Stamps `vantage`'s run at `now`: one read and one write. The read is fresh, never the
/// run's own from before its checks: another host's vote written since must not be lost.
pub fn stamp(
    client: &Client,
    remote: &RemoteComponent,
    vantage: &str,
    now: i64,
) -> Result<(), Trouble> {
    let meta = read(client, remote)?;
    client.write_meta(remote, &merged(meta, vantage, None, now))?;
    Ok(())
}

/// A moment between reads, different for each process so that racing hosts fall out of step:
/// 40 to 120 ms.
fn pause() -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    Duration::from_millis(40 + hasher.finish() % 80)
}

#[cfg(test)]
mod tests {
    use super::{Vote, merged, safe_name, stamps_in, votes_in};
    use serde_json::json;

    #[test]
    fn vantage_names_from_meta_are_made_safe_to_print() {
        assert_eq!(safe_name("fra"), "fra");
        assert_eq!(
            safe_name("ev\u{202e}il\x1b[31m\n\0x"),
            "ev\\u{202e}il\\u{1b}[31m\\n\\u{0}x"
        );
        let long = "v".repeat(1000);
        assert_eq!(safe_name(&long).chars().count(), 65);
    }

    #[test]
    fn a_vote_is_merged_beside_every_other_key() {
        let meta = json!({
            "owner": "ops",
            "cachet_check": {"maintenance": {"until": 1}, "votes": {"sfo": {"status": 4, "at": 90}}},
        });
        let vote = Vote {
            status: 1,
            at: 100,
            every: Some(60),
        };
        let meta = merged(meta.as_object().unwrap().clone(), "fra", Some(&vote), 100);
        assert_eq!(meta["owner"], "ops");
        assert_eq!(meta["cachet_check"]["maintenance"]["until"], 1);
        let votes = votes_in(&meta);
        assert_eq!(votes["fra"], vote);
        assert_eq!(votes["sfo"].status, 4);
        let stamps = stamps_in(&meta);
        assert_eq!(stamps["fra"], 100);
        assert_eq!(stamps["sfo"], 90, "a vote is a stamp too");
    }
}
