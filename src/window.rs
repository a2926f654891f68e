//! Maintenance windows of the config (SPEC §10): a cron expression read in an IANA time zone,
//! and how long each window lasts. Pure time arithmetic, with croner for the expression and
//! jiff for the zone (its rules from the system's zoneinfo, else the copy built in), so that a
//! window is right across a change of daylight saving time.

use std::time::Duration;

use croner::Cron;
use croner::parser::{CronParser, Seconds};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// One `maintenance = [{ cron, for, tz }]` entry.
#[derive(Clone, Debug)]
pub struct Window {
    cron: Cron,
    length: SignedDuration,
    zone: TimeZone,
    /// As written, for messages: `0 3 * * sun for 2h (Europe/Berlin)`.
    pub text: String,
}

/// The most windows one question looks through: enough for a window every minute that lasts
/// a week, and a bound on any pattern.
const SEARCH_LIMIT: usize = 20_000;

impl Window {
    /// Reads a window; the error says what to write instead.
    pub fn new(cron: &str, length: Duration, zone: &str) -> Result<Window, String> {
        let parsed = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .build()
            .parse(cron)
            .map_err(|error| {
                format!(
                    "`{cron}` is not a cron expression of five fields (minute hour day month weekday, e.g. \"0 3 * * sun\"): {error}"
                )
            })?;
        let zone_found = TimeZone::get(zone).map_err(|_| {
            format!("`{zone}` is not an IANA time zone (e.g. \"Europe/Berlin\", \"UTC\")")
        })?;
        if length.is_zero() {
            return Err("a window of `for = \"0s\"` never opens: give it a length".to_owned());
        }
        let length = SignedDuration::try_from(length)
            .map_err(|_| "the window's `for` is too long".to_owned())?;
        Ok(Window {
            cron: parsed,
            length,
            zone: zone_found,
            text: format!(
                "{cron} for {} ({zone})",
                humantime::format_duration(length.unsigned_abs())
            ),
        })
    }

    /// When the window open at `now` ends (the latest end when several overlap), or `None`.
    pub fn open_at(&self, now: Timestamp) -> Option<Timestamp> {
        let earliest = now
            .checked_sub(self.length)
            .ok()?
            .to_zoned(self.zone.clone());
        let mut start = self.cron.find_next_occurrence(&earliest, false).ok()?;
        let mut end = None;
        for _ in 0..SEARCH_LIMIT {
            if start.timestamp() > now {
                break;
            }
            end = start.timestamp().checked_add(self.length).ok();
            start = self.cron.find_next_occurrence(&start, false).ok()?;
        }
        end
    }

    /// The next window that starts after `now`: its start and end.
    pub fn next_after(&self, now: Timestamp) -> Option<(Timestamp, Timestamp)> {
        let start = self
            .cron
            .find_next_occurrence(&now.to_zoned(self.zone.clone()), false)
            .ok()?
            .timestamp();
        Some((start, start.checked_add(self.length).ok()?))
    }

    /// `at` in the window's own zone: "2026-03-29 03:30 CEST".
    pub fn local(&self, at: Timestamp) -> String {
        at.to_zoned(self.zone.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    }
}

/// `at` in UTC: "2026-03-29T01:30:00Z".
pub fn utc(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::{Window, utc};
    use jiff::Timestamp;
    use std::time::Duration;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    // A window at 02:30 Berlin time, the hour that does not exist on the last Sunday of March:
    // it opens when the clocks jump (03:00 CEST, 01:00 UTC) and lasts its full hour.
    #[test]
    fn a_window_in_the_hour_daylight_saving_skips_opens_at_the_jump() {
        let window = Window::new("30 2 * * *", Duration::from_secs(3600), "Europe/Berlin").unwrap();
        let (start, end) = window.next_after(at("2026-03-28T12:00:00Z")).unwrap();
        assert_eq!(utc(start), "2026-03-29T01:00:00Z");
        assert_eq!(utc(end), "2026-03-29T02:00:00Z");
        assert_eq!(window.local(start), "2026-03-29 03:00 CEST");
    }

    // 03:00 Berlin on either side of the change in October is 02:00 UTC in summer and 02:00
    // UTC + 1 h in winter: the window follows the wall clock, its length stays real time.
    #[test]
    fn a_weekly_window_follows_the_wall_clock_across_the_change_of_time() {
        let window = Window::new(
            "0 3 * * sun",
            Duration::from_secs(2 * 3600),
            "Europe/Berlin",
        )
        .unwrap();
        let (summer, _) = window.next_after(at("2026-10-20T00:00:00Z")).unwrap();
        assert_eq!(utc(summer), "2026-10-25T02:00:00Z", "after the change: CET");
        let (before, _) = window.next_after(at("2026-10-12T00:00:00Z")).unwrap();
        assert_eq!(
            utc(before),
            "2026-10-18T01:00:00Z",
            "before the change: CEST"
        );
        assert_eq!(
            window
                .open_at(at("2026-10-25T03:59:00Z"))
                .map(utc)
                .as_deref(),
            Some("2026-10-25T04:00:00Z")
        );
        assert_eq!(window.open_at(at("2026-10-25T04:00:00Z")), None);
        assert_eq!(window.open_at(at("2026-10-25T01:59:00Z")), None);
    }

    #[test]
    fn a_window_needs_a_cron_expression_a_zone_and_a_length() {
        let hour = Duration::from_secs(3600);
        assert!(Window::new("0 3 * * sun", hour, "Europe/Berlin").is_ok());
        let error = Window::new("0 3 * *", hour, "UTC").unwrap_err();
        assert!(
            error.contains("is not a cron expression of five fields"),
            "{error}"
        );
        let error = Window::new("0 3 * * sun", hour, "Europe/Berln").unwrap_err();
        assert_eq!(
            error,
            "`Europe/Berln` is not an IANA time zone (e.g. \"Europe/Berlin\", \"UTC\")"
        );
        assert!(Window::new("0 3 * * sun", Duration::ZERO, "UTC").is_err());
    }
}
