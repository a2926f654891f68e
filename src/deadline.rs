//! The run-wide deadline (SPEC §7: the whole run ends by `--timeout`, whatever the network does).
//!
//! Every function that may block takes a `Deadline`, so one without it cannot hang.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    at: Instant,
}

impl Deadline {
    pub fn after(duration: Duration) -> Deadline {
        let now = Instant::now();
        // A duration too large for the clock means "no deadline worth speaking of".
        let at = now
            .checked_add(duration)
            .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365));
        Deadline { at }
    }

    pub fn remaining(self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// This deadline, or `duration` from now if that comes first.
    pub fn within(self, duration: Duration) -> Deadline {
        Deadline::after(duration).min(self)
    }

    /// This deadline brought forward by `duration`.
    pub fn earlier_by(self, duration: Duration) -> Deadline {
        let at = self.at.checked_sub(duration).unwrap_or(self.at);
        Deadline { at }
    }

    fn min(self, other: Deadline) -> Deadline {
        if self.at <= other.at { self } else { other }
    }
}

/// The wall clock in Unix seconds (for timestamps and dates; deadlines use `Instant`).
pub fn unix_now() -> i64 {
    i64::try_from(unix_now_millis() / 1000).unwrap_or(i64::MAX)
}

/// The wall clock in Unix milliseconds (Jenkins' timestamps are in milliseconds).
pub fn unix_now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// `2026-11-23T11:02:03Z` (UTC), or `Unix time N` for a time before 1970.
pub fn format_unix(unix: i64) -> String {
    u64::try_from(unix)
        .ok()
        .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs)))
        .map_or_else(
            || format!("Unix time {unix}"),
            |time| humantime::format_rfc3339_seconds(time).to_string(),
        )
}

/// `2026-11-28`: the day of a Unix time, in UTC.
pub fn format_date(unix: i64) -> String {
    let time = format_unix(unix);
    match time.get(..10) {
        Some(date) if time.ends_with('Z') => date.to_owned(),
        _ => time,
    }
}

/// A measured duration in milliseconds: `2.4 ms`, `812 ms`.
pub fn format_millis(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    if millis < 10.0 {
        format!("{millis:.1} ms")
    } else {
        format!("{millis:.0} ms")
    }
}

/// An age in words, whole units: "45 s", "2 min", "3 h", "2 days".
pub fn format_age(seconds: i64) -> String {
    let seconds = seconds.unsigned_abs();
    match seconds {
        0..120 => format!("{seconds} s"),
        120..7200 => format!("{} min", seconds / 60),
        7200..172_800 => format!("{} h", seconds / 3600),
        _ => format!("{} days", seconds / 86_400),
    }
}

/// A span as a person says it: `800 ms`, `2.9 s`, `10 s`.
pub fn format_span(span: Duration) -> String {
    let millis = (span.as_secs_f64() * 1000.0).round();
    if millis < 1000.0 {
        return format!("{millis} ms");
    }
    let tenths = (span.as_secs_f64() * 10.0).round() / 10.0;
    if tenths.fract() == 0.0 || tenths >= 60.0 {
        format!("{} s", tenths.round())
    } else {
        format!("{tenths:.1} s")
    }
}

#[cfg(test)]
mod tests {
    use super::Deadline;
    use std::time::Duration;

    #[test]
    fn within_takes_the_earlier_deadline() {
        let long = Deadline::after(Duration::from_secs(60));
        assert!(long.within(Duration::from_secs(1)).remaining() <= Duration::from_secs(1));
        let short = Deadline::after(Duration::from_millis(10));
        assert!(short.within(Duration::from_secs(60)).remaining() <= Duration::from_millis(10));
    }

    #[test]
    fn earlier_by_moves_the_deadline_forward() {
        let deadline = Deadline::after(Duration::from_secs(10)).earlier_by(Duration::from_secs(4));
        assert!(deadline.remaining() <= Duration::from_secs(6));
        assert!(deadline.remaining() > Duration::from_secs(5));
        assert!(Deadline::after(Duration::ZERO).remaining().is_zero());
    }
}
