//! One attempt of a check as its network path asks (SPEC §12): over each route of `ip =
//! "both"` or `"all"` (each must pass; one failing makes it degraded), and `samples` times,
//! `slow_after` judged on the 95th percentile and the median kept as its duration.

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use super::{CheckSpec, Context, Level, Probed};
use crate::deadline::Deadline;
use crate::net::path::{Route, take_dialed};

/// What one attempt found: the verdict, the duration `slow_after` judges, the duration the
/// metric gets, and the addresses its connections reached.
pub struct Attempted {
    pub probed: Probed,
    pub judged: Duration,
    pub typical: Duration,
    pub via: Vec<SocketAddr>,
}

pub fn attempt(spec: &CheckSpec, context: &Context, deadline: Deadline) -> Attempted {
    let mut durations = Vec::new();
    let mut via = Vec::new();
    let mut probed = None;
    for _ in 0..spec.samples.max(1) {
        let started = Instant::now();
        let (found, reached) = over_routes(spec, context, deadline);
        durations.push(started.elapsed());
        for address in reached {
            if !via.contains(&address) {
                via.push(address);
            }
        }
        let failed = found.level != Level::Pass;
        probed = Some(found);
        if failed || deadline.remaining().is_zero() {
            break; // a failing sample is the attempt's verdict
        }
    }
    durations.sort();
    let percentile = |p: usize| durations[((durations.len() * p).div_ceil(100)).saturating_sub(1)];
    Attempted {
        probed: probed.unwrap_or_else(|| Probed::fail("not run")),
        judged: percentile(95),
        typical: percentile(50),
        via,
    }
}

/// The check once over each of its routes, in parallel; with one route, on this thread.
fn over_routes(
    spec: &CheckSpec,
    context: &Context,
    deadline: Deadline,
) -> (Probed, Vec<SocketAddr>) {
    let routes = match spec.probe.endpoint() {
        None => vec![Route::Any],
        Some(endpoint) => match endpoint.path.routes(&endpoint.host, endpoint.port) {
            Ok(routes) => routes,
            Err(failure) => return (failure.into(), Vec::new()),
        },
    };
    if let [route] = routes[..] {
        let _ = take_dialed();
        let probed = spec.probe.probe(&context.on(route), deadline);
        return (probed, take_dialed().into_iter().collect());
    }
    over_each_route(spec, context, deadline, &routes)
}

/// The check over each of `routes` at once, a thread for each. Apart from `over_routes`, whose
/// frame is on the stack of every check in flight.
#[inline(never)]
fn over_each_route(
    spec: &CheckSpec,
    context: &Context,
    deadline: Deadline,
    routes: &[Route],
) -> (Probed, Vec<SocketAddr>) {
    let results: Vec<(Route, Probed, Option<SocketAddr>)> = thread::scope(|scope| {
        let running: Vec<_> = routes
            .iter()
            .map(|route| {
                let context = context.on(*route);
                scope.spawn(move || {
                    let probed = spec.probe.probe(&context, deadline);
                    (*route, probed, take_dialed())
                })
            })
            .collect();
        running
            .into_iter()
            .filter_map(|running| running.join().ok())
            .collect()
    });
    let via = results.iter().filter_map(|(_, _, via)| *via).collect();
    (
        combine(results.into_iter().map(|(r, p, _)| (r, p)).collect()),
        via,
    )
}

/// One verdict of the routes': all passing pass; some failing is degraded, naming them; all
/// failing fail; a route that could not be judged (this host has no IPv6 route) leaves the
/// check unknown unless another failed.
pub fn combine(results: Vec<(Route, Probed)>) -> Probed {
    let total = results.len();
    let (passed, rest): (Vec<_>, Vec<_>) = results
        .into_iter()
        .partition(|(_, p)| p.level == Level::Pass);
    let (unknown, failed): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|(_, p)| p.level == Level::Unknown);
    let said = |list: &[(Route, Probed)]| {
        list.iter()
            .map(|(route, probed)| format!("{}: {}", route.words(), probed.detail))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let passed_words = passed
        .iter()
        .map(|(route, _)| route.words())
        .collect::<Vec<_>>()
        .join(", ");
    let first = |list: Vec<(Route, Probed)>| list.into_iter().next().map(|(_, probed)| probed);
    if !failed.is_empty() {
        let detail = said(&failed);
        if failed.len() == total {
            let level = failed
                .iter()
                .map(|(_, p)| p.level)
                .find(|level| *level != Level::Warn)
                .unwrap_or(Level::Warn);
            let mut probed = first(failed).unwrap_or_else(|| Probed::fail(""));
            probed.level = level;
            probed.detail = detail;
            return probed;
        }
        let mut detail = detail;
        if !passed.is_empty() {
            detail.push_str(&format!(" (passed {passed_words})"));
        }
        return Probed {
            level: Level::Warn,
            detail,
            perfdata: first(passed).map(|p| p.perfdata).unwrap_or_default(),
        };
    }
    if !unknown.is_empty() {
        return Probed::unknown(said(&unknown));
    }
    let mut probed = first(passed).unwrap_or_else(|| Probed::pass(""));
    probed.detail = format!("{} ({passed_words})", probed.detail);
    probed
}

#[cfg(test)]
mod tests {
    use super::{Level, Probed, Route, combine};

    #[test]
    fn each_route_must_pass_and_one_failing_is_degraded() {
        let both = |v4: Probed, v6: Probed| combine(vec![(Route::V4, v4), (Route::V6, v6)]);
        let passed = both(Probed::pass("HTTP 200"), Probed::pass("HTTP 200"));
        assert_eq!(passed.level, Level::Pass);
        assert_eq!(passed.detail, "HTTP 200 (over IPv4, over IPv6)");
        let one = both(Probed::pass("HTTP 200"), Probed::fail("connection refused"));
        assert_eq!(one.level, Level::Warn);
        assert_eq!(
            one.detail,
            "over IPv6: connection refused (passed over IPv4)"
        );
        let none = both(Probed::fail("refused"), Probed::fail("timed out"));
        assert_eq!(none.level, Level::Fail);
        assert_eq!(none.detail, "over IPv4: refused; over IPv6: timed out");
        let unjudged = both(Probed::pass("ok"), Probed::unknown("network unreachable"));
        assert_eq!(unjudged.level, Level::Unknown);
    }
}
