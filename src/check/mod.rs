//! Checks (SPEC §4, §5): each kind in its own file — its keys, its spec built from them, its
//! probe and its pure judge — listed once in `KINDS`; here, what is common to all of
//! them: retries, `slow_after`, `on_failure`, and running them all at once under the run's
//! deadline.
//!
//! A failed check is not an error: every kind returns a `Probed` value, never `Err`.

pub mod attempt;
pub mod bounds;
pub mod kind;
pub mod web;
pub mod witness;
mod workers;

// The kinds: a new kind is a new file, declared here and listed in `KINDS`.
pub mod certfile;
pub mod dns;
pub mod exec;
pub mod graphite;
pub mod http;
pub mod jenkins;
pub mod ping;
pub mod prometheus;
pub mod statuspage;
pub mod tcp;
pub mod tls;

/// Every kind, in the order messages list them.
pub const KINDS: &[&Kind] = &[
    &http::KIND,
    &tcp::KIND,
    &tls::KIND,
    &certfile::KIND,
    &dns::KIND,
    &ping::KIND,
    &exec::KIND,
    &graphite::KIND,
    &jenkins::KIND,
    &prometheus::KIND,
    &statuspage::KIND,
];

pub use kind::{ADDRESS, Built, Endpoint, Kind, Probe};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::deadline::Deadline;
use crate::net::Failure;
use crate::net::path::Route;
use crate::perfdata::Perfdata;
use crate::status::OutcomeKind;
use crate::stderr::Trace;
use workers::{Board, Ends};

/// One configured check, ready to run.
#[derive(Debug)]
pub struct CheckSpec {
    pub name: String,
    pub timeout: Duration,
    pub slow_after: Option<Duration>,
    /// What a failure counts as: `Degraded`, `Fail` or `Down`.
    pub on_failure: OutcomeKind,
    pub retries: u32,
    pub retry_delay: Duration,
    /// Attempts judged together (`samples`): `slow_after` on their 95th percentile.
    pub samples: u32,
    /// Its `type`.
    pub kind: &'static str,
    pub probe: Box<dyn Probe>,
}

/// What a kind found, before `on_failure` and `slow_after` are applied.
#[derive(Debug)]
pub struct Probed {
    pub level: Level,
    pub detail: String,
    pub perfdata: Vec<Perfdata>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Pass,
    /// A warning-level result (a plugin's exit 1): degraded, whatever `on_failure` says.
    Warn,
    Fail,
    /// Could not be judged: this host's or this config's trouble (SPEC §10), whatever
    /// `on_failure` says.
    Unknown,
    /// What a target says of itself (an upstream status page), whatever `on_failure` says: a
    /// partial outage, a major one, or maintenance (it passes, and its component is in
    /// maintenance, SPEC §10).
    Partial,
    Down,
    Maintenance,
}

impl Probed {
    pub fn pass(detail: impl Into<String>) -> Probed {
        Probed {
            level: Level::Pass,
            detail: detail.into(),
            perfdata: Vec::new(),
        }
    }

    pub fn fail(detail: impl Into<String>) -> Probed {
        Probed {
            level: Level::Fail,
            detail: detail.into(),
            perfdata: Vec::new(),
        }
    }

    pub fn unknown(detail: impl Into<String>) -> Probed {
        Probed {
            level: Level::Unknown,
            detail: detail.into(),
            perfdata: Vec::new(),
        }
    }
}

/// A connection that failed: the target's failure, or this host's (SPEC §10).
impl From<Failure> for Probed {
    fn from(failure: Failure) -> Probed {
        if failure.local {
            Probed::unknown(failure.detail)
        } else {
            Probed::fail(failure.detail)
        }
    }
}

/// How one check ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub detail: String,
    pub duration: Duration,
    pub perfdata: Vec<Perfdata>,
    /// The target said it is in maintenance (`Level::Maintenance`).
    pub maintenance: bool,
    /// The addresses its connections reached, for `-v`.
    pub via: Vec<std::net::SocketAddr>,
}

/// What checks share within a run: the HTTP agents (connection reuse) and the `-vv` trace;
/// and the route an attempt takes (`ip = "both"` and `"all"` run a check once per route).
#[derive(Clone)]
pub struct Context {
    /// The agents of checks that ride kept-alive connections, one a host.
    pub shared: Arc<web::Shared>,
    /// The agent of `fresh_connection` checks: it keeps no connection for another.
    pub fresh_agent: ureq::Agent,
    pub trace: Trace,
    pub route: Route,
}

impl Context {
    /// A context for `checks` and `witnesses`. The system's CA certificates are read only when
    /// one of them speaks HTTPS: reading them costs a few milliseconds a plain-HTTP run need
    /// not pay.
    pub fn new<'a>(
        checks: impl IntoIterator<Item = &'a CheckSpec>,
        witnesses: impl IntoIterator<Item = &'a witness::Witness>,
        trace: Trace,
    ) -> Context {
        let https = checks.into_iter().any(|check| check.probe.uses_https())
            || witnesses.into_iter().any(witness::Witness::uses_https);
        Context {
            shared: Arc::new(web::Shared::new(https)),
            fresh_agent: web::fresh_agent(https),
            trace,
            route: Route::Any,
        }
    }

    /// The same context for an attempt over `route`.
    pub fn on(&self, route: Route) -> Context {
        Context {
            route,
            ..self.clone()
        }
    }
}

/// Runs one check: its kind, then retries of a failure, then `on_failure` and `slow_after`. A
/// failure that is only the run's deadline (`--timeout`) cutting the check before its own
/// `timeout` is unknown: the check was not let finish, so nothing was judged of the target.
pub fn run(spec: &CheckSpec, context: &Context, deadline: Deadline) -> Outcome {
    let mut attempt = 0;
    let first_started = Instant::now();
    loop {
        let attempt_deadline = deadline.within(spec.timeout);
        let started = Instant::now();
        let attempted = attempt::attempt(spec, context, attempt_deadline);
        let mut probed = attempted.probed;
        if matches!(probed.level, Level::Fail | Level::Down)
            && deadline.remaining().is_zero()
            && started.elapsed() < spec.timeout
        {
            probed = Probed::unknown(cut_short(started.elapsed(), spec.timeout));
        }
        // This host's trouble may be as passing as the target's (a resolver's hiccup).
        let retry = matches!(probed.level, Level::Fail | Level::Unknown)
            && attempt < spec.retries
            && deadline.remaining() > spec.retry_delay;
        if !retry {
            let mut outcome = judge(spec, probed, attempted.judged, attempt + 1);
            // The check took all its attempts and the waits between them, not only the last;
            // of samples, the median is the typical one.
            outcome.duration = if spec.samples > 1 {
                attempted.typical
            } else {
                first_started.elapsed()
            };
            outcome.via = attempted.via;
            return outcome;
        }
        say_retrying(spec, &probed, context);
        thread::sleep(spec.retry_delay);
        attempt += 1;
    }
}

/// The detail of a check the run's deadline ended before its own timeout did.
fn cut_short(after: Duration, timeout: Duration) -> String {
    format!(
        "cut by the run's deadline after {}; its own timeout is {} (raise --timeout, or lower the check's timeout)",
        crate::deadline::format_span(after),
        crate::deadline::format_span(timeout)
    )
}

/// Runs a check and catches a panic in it (a bug of ours in its kind): that check is unknown,
/// worded as an internal error to report; the other checks and the deadline are unaffected.
fn run_caught(spec: &CheckSpec, context: &Context, deadline: Deadline) -> Outcome {
    let started = Instant::now();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        #[cfg(debug_assertions)]
        panic_on_request(spec);
        run(spec, context, deadline)
    }))
    .unwrap_or_else(|panic| Outcome {
        kind: OutcomeKind::Unknown,
        detail: format!(
            "internal error in the `{}` check: {}; please report it",
            spec.kind,
            crate::text::panic_words(panic.as_ref())
        ),
        duration: started.elapsed(),
        perfdata: Vec::new(),
        maintenance: false,
        via: Vec::new(),
    })
}

/// In test builds only: the check named by `CACHET_CHECK_TEST_PANIC` panics, so that the tests
/// can see a bug in a kind caught (no release build has this).
#[cfg(debug_assertions)]
fn panic_on_request(spec: &CheckSpec) {
    if std::env::var_os("CACHET_CHECK_TEST_PANIC").is_some_and(|name| name == spec.name.as_str()) {
        panic!("a panic asked for by CACHET_CHECK_TEST_PANIC");
    }
}

/// Says at `-vv` that a check failed and runs again; apart from `run`, which every check in
/// flight holds on its stack.
#[cold]
#[inline(never)]
fn say_retrying(spec: &CheckSpec, probed: &Probed, context: &Context) {
    context.trace.emit(format_args!(
        "check `{}` failed ({}), retrying in {}",
        spec.name,
        probed.detail,
        humantime::format_duration(spec.retry_delay)
    ));
}

/// Applies `on_failure` and `slow_after` to what the kind found. Not inlined into `run`, as
/// nothing here should sit on the stack of every check in flight (see `run_all`).
#[inline(never)]
fn judge(spec: &CheckSpec, probed: Probed, duration: Duration, attempts: u32) -> Outcome {
    let after = if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    };
    let (kind, detail) = match probed.level {
        Level::Fail => (spec.on_failure, format!("{}{after}", probed.detail)),
        Level::Warn => (OutcomeKind::Degraded, probed.detail),
        Level::Unknown => (OutcomeKind::Unknown, format!("{}{after}", probed.detail)),
        Level::Partial => (OutcomeKind::Partial, probed.detail),
        Level::Down => (OutcomeKind::Down, probed.detail),
        Level::Maintenance => (OutcomeKind::Pass, probed.detail),
        Level::Pass => match spec.slow_after {
            Some(slow_after) if duration > slow_after => (
                OutcomeKind::Degraded,
                format!(
                    "{}, but took {} (slow after {})",
                    probed.detail,
                    crate::deadline::format_millis(duration),
                    humantime::format_duration(slow_after)
                ),
            ),
            _ => (OutcomeKind::Pass, probed.detail),
        },
    };
    Outcome {
        kind,
        detail,
        duration,
        perfdata: probed.perfdata,
        maintenance: probed.level == Level::Maintenance,
        via: Vec::new(),
    }
}

/// Runs every check of every component, at most `jobs` at once, and returns the outcomes in
/// the same shape as `checks`. Checks end by `deadline`; one whose outcome has not arrived by
/// `collect_by` (a little later, for timers that fire late) is given up as failed, its thread
/// left behind (a one-shot process exits soon after).
pub fn run_all(
    checks: Arc<Vec<Vec<Arc<CheckSpec>>>>,
    context: Arc<Context>,
    jobs: usize,
    deadline: Deadline,
    collect_by: Deadline,
) -> Vec<Vec<Outcome>> {
    let order: Vec<(usize, usize)> = checks
        .iter()
        .enumerate()
        .flat_map(|(c, list)| (0..list.len()).map(move |k| (c, k)))
        .collect();
    let total = order.len();
    crate::net::path::expect_in_flight(jobs.min(total));
    let queue = Queue::new(order);
    // The outcomes land in place, and only the last one wakes this thread: a wake for each
    // (a channel) cost two context switches a check.
    let board = Arc::new(Board::new(checks.iter().map(Vec::len)));
    let workers = jobs.clamp(1, total.max(1));
    let ends = Arc::new(Ends::new(workers));
    let shared = Arc::new(Shared {
        checks: checks.clone(),
        context,
        board: board.clone(),
        line: ends.clone(),
        deadline,
        queue,
    });
    let mut started = 0;
    for index in 0..workers {
        let shared = shared.clone();
        let spawned = thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || shared.work(index));
        // A worker that cannot start leaves its checks to the others.
        if let Ok(handle) = spawned {
            ends.keep(index, handle);
            started += 1;
        }
    }
    if started == 0 {
        // Not one could: the checks run here, one at a time, rather than not at all.
        shared.work(workers);
    }
    let results = board.collect(collect_by);
    results
        .into_iter()
        .enumerate()
        .map(|(c, list)| {
            list.into_iter()
                .enumerate()
                .map(|(k, outcome)| {
                    outcome.unwrap_or_else(|| {
                        let spec = &checks[c][k];
                        // Not let finish: nothing was judged of the target.
                        Outcome {
                            kind: OutcomeKind::Unknown,
                            detail: "did not finish before the run's deadline (raise --timeout)"
                                .to_owned(),
                            duration: spec.timeout,
                            perfdata: Vec::new(),
                            maintenance: false,
                            via: Vec::new(),
                        }
                    })
                })
                .collect()
        })
        .collect()
}

/// What the workers of `run_all` share: the checks, the queue they are taken from, and where
/// their outcomes go.
struct Shared {
    checks: Arc<Vec<Vec<Arc<CheckSpec>>>>,
    context: Arc<Context>,
    board: Arc<Board>,
    line: Arc<Ends>,
    deadline: Deadline,
    queue: Queue,
}

impl Shared {
    /// What worker `index` does: run checks from the queue one after another until it is
    /// empty (so every check runs while any worker does: one that could not start leaves its
    /// share), then end in turn.
    fn work(&self, index: usize) {
        while let Some((c, k)) = self.queue.next() {
            let outcome = run_caught(&self.checks[c][k], &self.context, self.deadline);
            self.board.post(c, k, outcome);
        }
        self.line.in_turn(index);
    }
}

/// A queue of checks (component, check), each taken by one worker.
struct Queue {
    order: Vec<(usize, usize)>,
    next: AtomicUsize,
}

impl Queue {
    fn new(order: Vec<(usize, usize)>) -> Queue {
        Queue {
            order,
            next: AtomicUsize::new(0),
        }
    }

    /// The next check nobody has taken yet.
    fn next(&self) -> Option<(usize, usize)> {
        self.order
            .get(self.next.fetch_add(1, Ordering::Relaxed))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::{Board, CheckSpec, Context, Ends, Level, Probed, Queue, Shared, judge};
    use crate::check::tcp::TcpSpec;
    use crate::deadline::Deadline;
    use crate::status::OutcomeKind;
    use std::sync::Arc;
    use std::time::Duration;

    fn spec(on_failure: OutcomeKind, slow_after: Option<Duration>) -> CheckSpec {
        CheckSpec {
            name: "c".to_owned(),
            timeout: Duration::from_secs(1),
            slow_after,
            on_failure,
            retries: 0,
            retry_delay: Duration::ZERO,
            samples: 1,
            kind: "tcp",
            probe: Box::new(TcpSpec {
                address: "h:1".to_owned(),
                tls: None,
                banner: super::tcp::Banner::None,
                send: None,
                expect: None,
                path: Default::default(),
            }),
        }
    }

    #[test]
    fn a_failure_counts_as_on_failure_says() {
        for kind in [OutcomeKind::Degraded, OutcomeKind::Fail, OutcomeKind::Down] {
            let outcome = judge(&spec(kind, None), Probed::fail("x"), Duration::ZERO, 1);
            assert_eq!(outcome.kind, kind);
        }
    }

    #[test]
    fn a_slow_pass_is_degraded() {
        let slow = spec(OutcomeKind::Fail, Some(Duration::from_millis(100)));
        let outcome = judge(
            &slow,
            Probed::pass("HTTP 200"),
            Duration::from_millis(150),
            1,
        );
        assert_eq!(outcome.kind, OutcomeKind::Degraded);
        assert_eq!(
            outcome.detail,
            "HTTP 200, but took 150 ms (slow after 100ms)"
        );
        let outcome = judge(
            &slow,
            Probed::pass("HTTP 200"),
            Duration::from_millis(50),
            1,
        );
        assert_eq!(outcome.kind, OutcomeKind::Pass);
    }

    #[test]
    fn a_warning_is_degraded_whatever_on_failure_says() {
        let warn = Probed {
            level: Level::Warn,
            detail: "w".to_owned(),
            perfdata: Vec::new(),
        };
        let outcome = judge(&spec(OutcomeKind::Down, None), warn, Duration::ZERO, 1);
        assert_eq!(outcome.kind, OutcomeKind::Degraded);
    }

    #[test]
    fn a_check_not_judged_is_unknown_whatever_on_failure_says() {
        for kind in [OutcomeKind::Degraded, OutcomeKind::Fail, OutcomeKind::Down] {
            let outcome = judge(&spec(kind, None), Probed::unknown("x"), Duration::ZERO, 1);
            assert_eq!(outcome.kind, OutcomeKind::Unknown);
        }
    }

    #[test]
    fn retried_failures_say_how_many_attempts() {
        let outcome = judge(
            &spec(OutcomeKind::Fail, None),
            Probed::fail("refused"),
            Duration::ZERO,
            3,
        );
        assert_eq!(outcome.detail, "refused (after 3 attempts)");
    }

    /// The checks of one component made of `tables` (its `[[components.a.checks]]`).
    fn checks_of(tables: &str) -> Arc<Vec<Vec<Arc<CheckSpec>>>> {
        let text =
            format!("[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.a]\nid = 1\n{tables}");
        let config = crate::config::parse("t.toml", &text).unwrap();
        Arc::new(
            config
                .components
                .iter()
                .map(|component| component.checks.clone())
                .collect(),
        )
    }

    /// A check table of `kind` named `name` reaching `target` (`url` or `address`), and more.
    fn table(name: &str, kind: &str, target: &str, more: &str) -> String {
        let key = if kind == "http" { "url" } else { "address" };
        format!(
            "[[components.a.checks]]\nname = \"{name}\"\ntype = \"{kind}\"\n{key} = \"{target}\"\n{more}\n"
        )
    }

    #[test]
    fn any_worker_that_starts_runs_every_check() {
        // A port nothing listens on: every check ends at once, refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/");
        let checks = checks_of(
            &[
                table("web1", "http", &url, ""),
                table("web2", "http", &url, ""),
                table("port", "tcp", &format!("127.0.0.1:{port}"), ""),
            ]
            .concat(),
        );
        let context = Arc::new(Context::new(
            checks.iter().flatten().map(|check| &**check),
            [],
            crate::stderr::Trace::new(false),
        ));
        let order: Vec<(usize, usize)> = (0..3).map(|k| (0, k)).collect();
        // Either worker alone, as if the other could not start, runs all three.
        for index in [0, 1] {
            let board = Arc::new(Board::new([3].into_iter()));
            let shared = Shared {
                checks: checks.clone(),
                context: context.clone(),
                board: board.clone(),
                line: Arc::new(Ends::new(2)),
                deadline: Deadline::after(Duration::from_secs(10)),
                queue: Queue::new(order.clone()),
            };
            shared.work(index);
            let outcomes = board.collect(Deadline::after(Duration::ZERO));
            for outcome in &outcomes[0] {
                let outcome = outcome.as_ref().expect("every check ran");
                assert_eq!(outcome.kind, OutcomeKind::Fail, "{}", outcome.detail);
                assert!(outcome.detail.contains("refused"), "{}", outcome.detail);
            }
        }
    }
}
