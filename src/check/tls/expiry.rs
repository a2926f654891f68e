//! When a certificate chain expires, and what that means for the check: the earliest notAfter
//! of the certificates presented (an expired or expiring intermediate is the classic miss),
//! judged against `warn_before` and `fail_before`.

use std::time::Duration;

use super::super::{Level, Probed};
use crate::deadline::unix_now;
use crate::keys::{HumanDuration, Key, KeyError, Keys};
pub use crate::net::tls::{Earliest, earliest};
use crate::net::tls::{expired_words, span_in_words};

/// Degraded when the certificate expires sooner (`tls`, `certfile`).
pub const WARN_BEFORE: Key<HumanDuration> = Key::new("warn_before");
/// Failed when the certificate expires sooner.
pub const FAIL_BEFORE: Key<HumanDuration> = Key::new("fail_before");

/// `warn_before` and `fail_before`; a `warn_before` shorter than `fail_before` is refused, the
/// warning could never come first.
pub fn thresholds(keys: &mut Keys) -> Result<(Option<Threshold>, Option<Threshold>), KeyError> {
    let warn_before = keys.take(&WARN_BEFORE)?.map(|d| d.0);
    let fail_before = keys.take(&FAIL_BEFORE)?.map(|d| d.0);
    if let (Some(warn), Some(fail)) = (warn_before, fail_before)
        && warn < fail
    {
        return Err(keys.error(
            WARN_BEFORE.name,
            format!(
                "`warn_before` ({}) in `{}` is shorter than `fail_before` ({}): the warning would never come before the failure; make `warn_before` the longer one",
                humantime::format_duration(warn),
                keys.table,
                humantime::format_duration(fail)
            ),
        ));
    }
    let threshold = |key: &'static str| move |before| Threshold { key, before };
    Ok((
        warn_before.map(threshold("warn_before")),
        fail_before.map(threshold("fail_before")),
    ))
}

/// A `warn_before`/`fail_before` of the config: the key it was set by, for the detail, and
/// how long before the expiry it starts to count.
#[derive(Clone, Copy, Debug)]
pub struct Threshold {
    pub key: &'static str,
    pub before: Duration,
}

/// The outcome of a certificate that expires at `not_after` (Unix seconds); a crossed
/// threshold is named in the detail ("…, within `warn_before` (14 days)").
pub fn judge_expiry(
    earliest: &Earliest,
    warn: Option<Threshold>,
    fail: Option<Threshold>,
) -> Probed {
    let Earliest {
        not_after, what, ..
    } = earliest;
    let left = not_after - unix_now();
    let date = crate::deadline::format_date(*not_after);
    if left <= 0 {
        return Probed::fail(expired_words(what, *not_after));
    }
    let text = format!("{what} expires in {} ({date})", span_in_words(left));
    let crossed = |limit: Option<Threshold>| {
        limit
            .filter(|limit| u64::try_from(left).is_ok_and(|left| left < limit.before.as_secs()))
            .map(|limit| {
                format!(
                    "{text}, within `{}` ({})",
                    limit.key,
                    span_in_words(i64::try_from(limit.before.as_secs()).unwrap_or(i64::MAX))
                )
            })
    };
    if let Some(detail) = crossed(fail) {
        Probed::fail(detail)
    } else if let Some(detail) = crossed(warn) {
        Probed {
            level: Level::Warn,
            detail,
            perfdata: Vec::new(),
        }
    } else {
        Probed::pass(text)
    }
}

#[cfg(test)]
mod tests {
    use super::{Earliest, Level, Threshold, judge_expiry, unix_now as now};
    use crate::net::tls::span_in_words;
    use std::time::Duration;

    const DAY: i64 = 86_400;

    #[test]
    fn expiry_levels_follow_warn_and_fail_before() {
        let warn = Some(Threshold {
            key: "warn_before",
            before: Duration::from_secs(14 * 86_400),
        });
        let fail = Some(Threshold {
            key: "fail_before",
            before: Duration::from_secs(3 * 86_400),
        });
        let judged = |days: i64| {
            let earliest = Earliest {
                not_after: now() + days * DAY + 60,
                what: "certificate for h".to_owned(),
                index: 0,
            };
            judge_expiry(&earliest, warn, fail)
        };
        assert_eq!(judged(30).level, Level::Pass);
        assert_eq!(judged(10).level, Level::Warn);
        assert_eq!(judged(2).level, Level::Fail);
        assert_eq!(judged(-2).level, Level::Fail);
        assert!(
            judged(10)
                .detail
                .starts_with("certificate for h expires in 10 days (")
        );
        assert!(
            judged(10)
                .detail
                .ends_with("), within `warn_before` (14 days)"),
            "{}",
            judged(10).detail
        );
        assert!(
            judged(2)
                .detail
                .ends_with("), within `fail_before` (3 days)")
        );
        assert!(judged(30).detail.ends_with(')'));
        assert!(
            judged(-2)
                .detail
                .starts_with("certificate for h expired 1 day ago (")
        );
    }

    #[test]
    fn dates_and_spans_read_naturally() {
        assert_eq!(crate::deadline::format_date(1_795_824_000), "2026-11-28");
        assert_eq!(span_in_words(5 * DAY + 3), "5 days");
        assert_eq!(span_in_words(DAY), "1 day");
        assert_eq!(span_in_words(7 * 3_600), "7 hours");
        assert_eq!(span_in_words(30), "1 minute");
    }
}
