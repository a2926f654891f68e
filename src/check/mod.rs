//! Checks (SPEC §4, §5): each kind in its own file behind one signature, plus what is common to
//! all of them: retries, `slow_after`, `on_failure`, and running them all at once under the
//! run's deadline.
//!
//! A failed check is not an error: every kind returns a `Probed` value, never `Err`.

pub mod dns;
pub mod exec;
pub mod graphite;
pub mod http;
pub mod jenkins;
pub mod perfdata;
pub mod prometheus;
pub mod tcp;
pub mod tls;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::deadline::Deadline;
use crate::output::Trace;
use crate::status::OutcomeKind;
use perfdata::Perfdata;

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
    pub probe: Probe,
}

#[derive(Debug)]
pub enum Probe {
    Http(Box<http::HttpSpec>),
    Tcp(tcp::TcpSpec),
    Tls(tls::TlsSpec),
    Dns(dns::DnsSpec),
    Exec(exec::ExecSpec),
    Graphite(Box<graphite::GraphiteSpec>),
    Jenkins(Box<jenkins::JenkinsSpec>),
    Prometheus(Box<prometheus::PrometheusSpec>),
}

impl Probe {
    pub fn kind(&self) -> &'static str {
        match self {
            Probe::Http(_) => "http",
            Probe::Tcp(_) => "tcp",
            Probe::Tls(_) => "tls",
            Probe::Dns(_) => "dns",
            Probe::Exec(_) => "exec",
            Probe::Graphite(_) => "graphite",
            Probe::Jenkins(_) => "jenkins",
            Probe::Prometheus(_) => "prometheus",
        }
    }

    /// What the check looks at, for plans and messages.
    pub fn target(&self) -> String {
        match self {
            Probe::Http(spec) => {
                format!("{} {}", spec.method, crate::secret::redact_url(&spec.url))
            }
            Probe::Tcp(spec) => spec.address.clone(),
            Probe::Tls(spec) => format!("{} (as {})", spec.address, spec.server_name),
            Probe::Dns(spec) => match spec.server {
                Some(server) => format!("{} {} at {server}", spec.record.word(), spec.name),
                None => format!("{} {}", spec.record.word(), spec.name),
            },
            Probe::Exec(spec) => spec.command.join(" "),
            Probe::Graphite(spec) => format!(
                "{} target {}",
                crate::secret::redact_url(&spec.url),
                spec.target
            ),
            Probe::Jenkins(spec) => crate::secret::redact_url(&spec.url),
            Probe::Prometheus(spec) => format!(
                "{} query {}",
                crate::secret::redact_url(&spec.url),
                spec.query
            ),
        }
    }
}

impl Probe {
    /// What keeps this check from running as configured on this machine — a program that is
    /// missing or not on cron's PATH, a password that cannot be read — for `validate` and
    /// `doctor` to report before a run meets it.
    pub fn problem(&self) -> Option<String> {
        let options = match self {
            Probe::Exec(spec) => return exec::machine_problem(&spec.command),
            Probe::Http(spec) => &spec.options,
            Probe::Graphite(spec) => &spec.options,
            Probe::Jenkins(spec) => &spec.options,
            Probe::Prometheus(spec) => &spec.options,
            Probe::Tcp(_) | Probe::Tls(_) | Probe::Dns(_) => return None,
        };
        options
            .basic_auth
            .as_ref()
            .and_then(|auth| auth.password.as_ref().err().cloned())
    }

    /// Whether the kind's requests go to an https:// URL.
    fn uses_https(&self) -> bool {
        let url = match self {
            Probe::Http(spec) => &spec.url,
            Probe::Graphite(spec) => &spec.url,
            Probe::Jenkins(spec) => &spec.url,
            Probe::Prometheus(spec) => &spec.url,
            Probe::Tcp(_) | Probe::Tls(_) | Probe::Dns(_) | Probe::Exec(_) => return false,
        };
        url.get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }
}

/// `min`/`max` of `graphite` and `prometheus`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Bounds {
    /// Why `value` is outside the bounds ("= 0 < min 1"), or `None` when it is inside.
    /// Both numbers are shown with as many digits as it takes to tell them apart, so that
    /// the words never contradict the verdict (`0.99994 < min 0.99995`, not `0.9999 < min 1`).
    pub fn violation(&self, value: f64) -> Option<String> {
        if value.is_nan() && (self.min.is_some() || self.max.is_some()) {
            return Some("= NaN, not a number".to_owned());
        }
        if let Some(min) = self.min
            && value < min
        {
            let shown = format_beside(value, |shown| shown < min);
            return Some(format!("= {shown} < min {}", format_exact(min)));
        }
        if let Some(max) = self.max
            && value > max
        {
            let shown = format_beside(value, |shown| shown > max);
            return Some(format!("= {shown} > max {}", format_exact(max)));
        }
        None
    }
}

impl Bounds {
    /// The first of `values` outside the bounds, in words ("db2 = 0 < min 1 (and 2 more
    /// samples)"), or `None` when all are inside. `nouns` names one value and several.
    pub fn first_outside<N: AsRef<str>>(
        &self,
        values: &[(N, f64)],
        nouns: (&str, &str),
    ) -> Option<String> {
        let mut outside = values.iter().filter_map(|(name, value)| {
            let why = self.violation(*value)?;
            Some(format!("{} {why}", crate::output::sanitize(name.as_ref())))
        });
        let first = outside.next()?;
        match outside.count() {
            0 => Some(first),
            1 => Some(format!("{first} (and 1 more {})", nouns.0)),
            more => Some(format!("{first} (and {more} more {})", nouns.1)),
        }
    }
}

/// A URL without its query, fragment and trailing slashes, to tell which page it names.
pub fn url_path(url: &str) -> &str {
    url.split(['?', '#'])
        .next()
        .unwrap_or(url)
        .trim_end_matches('/')
}

/// A number as a person writes it: `0`, `12.5`, `0.0012`, `1e300`.
pub fn format_value(value: f64) -> String {
    format_digits(value, 4)
}

/// `value` with the fewest digits, from 4 on, whose written number still `holds` what the
/// comparison found (still below the min it is below), so the text never contradicts it.
fn format_beside(value: f64, holds: impl Fn(f64) -> bool) -> String {
    (4..=17)
        .map(|digits| format_digits(value, digits))
        .find(|text| text.parse().is_ok_and(&holds))
        .unwrap_or_else(|| format_exact(value))
}

/// A configured bound as written: every digit it has, in exponent form when huge or tiny.
fn format_exact(value: f64) -> String {
    if value.is_finite() && value != 0.0 && (value.abs() >= 1e15 || value.abs() < 1e-3) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

/// `value` with `digits` decimals, less trailing zeros; in exponent form (`1.5e300`,
/// `2e-7`) when it is huge or tiny, so that no number runs to hundreds of digits.
fn format_digits(value: f64, digits: usize) -> String {
    let trim = |text: String| {
        if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            text
        }
    };
    if !value.is_finite() || value == 0.0 {
        return value.to_string();
    }
    if value.abs() >= 1e15 || value.abs() < 1e-3 {
        let text = format!("{value:.digits$e}");
        return match text.split_once('e') {
            Some((mantissa, exponent)) => format!("{}e{exponent}", trim(mantissa.to_owned())),
            None => text,
        };
    }
    trim(format!("{value:.digits$}"))
}

/// ": <the body's first line>" for an error answer, short and safe to print; empty for none.
fn first_line(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().map(str::trim).find(|line| !line.is_empty());
    match line {
        Some(line) => {
            let clean = crate::output::sanitize(line);
            match clean.char_indices().nth(120) {
                Some((end, _)) => format!(": {}…", &clean[..end]),
                None => format!(": {clean}"),
            }
        }
        None => String::new(),
    }
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
}

/// How one check ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub detail: String,
    pub duration: Duration,
    pub perfdata: Vec<Perfdata>,
}

/// What checks share within a run: one HTTP agent (connection reuse) and the `-vv` trace.
pub struct Context {
    pub agent: ureq::Agent,
    pub trace: Trace,
}

impl Context {
    /// A context for `checks`. The system's CA certificates are read only when one of them
    /// speaks HTTPS: reading them costs a few milliseconds a plain-HTTP run need not pay.
    pub fn new<'a>(checks: impl IntoIterator<Item = &'a CheckSpec>, trace: Trace) -> Context {
        let https = checks.into_iter().any(|check| check.probe.uses_https());
        Context {
            agent: http::agent(https),
            trace,
        }
    }
}

/// Runs one check: its kind, then retries of a failure, then `on_failure` and `slow_after`.
pub fn run(spec: &CheckSpec, context: &Context, deadline: Deadline) -> Outcome {
    let mut attempt = 0;
    let first_started = Instant::now();
    loop {
        let started = Instant::now();
        let attempt_deadline = deadline.within(spec.timeout);
        let probed = match &spec.probe {
            Probe::Http(http) => http::probe(http, context, attempt_deadline),
            Probe::Tcp(tcp) => tcp::probe(tcp, attempt_deadline),
            Probe::Tls(tls) => tls::probe(tls, attempt_deadline),
            Probe::Dns(dns) => dns::probe(dns, attempt_deadline),
            Probe::Exec(exec) => exec::probe(exec, attempt_deadline),
            Probe::Graphite(graphite) => graphite::probe(graphite, context, attempt_deadline),
            Probe::Jenkins(jenkins) => jenkins::probe(jenkins, context, attempt_deadline),
            Probe::Prometheus(prometheus) => {
                prometheus::probe(prometheus, context, attempt_deadline)
            }
        };
        let duration = started.elapsed();
        let retry = probed.level == Level::Fail
            && attempt < spec.retries
            && deadline.remaining() > spec.retry_delay;
        if !retry {
            let mut outcome = judge(spec, probed, duration, attempt + 1);
            // The check took all its attempts and the waits between them, not only the last.
            outcome.duration = first_started.elapsed();
            return outcome;
        }
        context.trace.emit(format_args!(
            "check `{}` failed ({}), retrying in {}",
            spec.name,
            probed.detail,
            humantime::format_duration(spec.retry_delay)
        ));
        thread::sleep(spec.retry_delay);
        attempt += 1;
    }
}

/// Applies `on_failure` and `slow_after` to what the kind found.
fn judge(spec: &CheckSpec, probed: Probed, duration: Duration, attempts: u32) -> Outcome {
    let after = if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    };
    let (kind, detail) = match probed.level {
        Level::Fail => (spec.on_failure, format!("{}{after}", probed.detail)),
        Level::Warn => (OutcomeKind::Degraded, probed.detail),
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
    }
}

/// "timed out after 10s", with the budget rounded to the millisecond.
pub use crate::net::timed_out;

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
    let order = Arc::new(order);
    let next = Arc::new(AtomicUsize::new(0));
    let (sender, receiver) = mpsc::channel::<(usize, usize, Outcome)>();
    for _ in 0..jobs.min(total) {
        let (checks, context, order, next, sender) = (
            checks.clone(),
            context.clone(),
            order.clone(),
            next.clone(),
            sender.clone(),
        );
        let spawned = thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                while let Some(&(c, k)) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = run(&checks[c][k], &context, deadline);
                    if sender.send((c, k, outcome)).is_err() {
                        return;
                    }
                }
            });
        if spawned.is_err() {
            break; // fewer workers than asked for; the ones that started still drain the queue
        }
    }
    drop(sender);

    let mut results: Vec<Vec<Option<Outcome>>> =
        checks.iter().map(|list| vec![None; list.len()]).collect();
    let mut received = 0;
    while received < total {
        match receiver.recv_timeout(collect_by.remaining()) {
            Ok((c, k, outcome)) => {
                results[c][k] = Some(outcome);
                received += 1;
            }
            Err(_) => break,
        }
    }
    results
        .into_iter()
        .enumerate()
        .map(|(c, list)| {
            list.into_iter()
                .enumerate()
                .map(|(k, outcome)| {
                    outcome.unwrap_or_else(|| {
                        let spec = &checks[c][k];
                        Outcome {
                            kind: spec.on_failure,
                            detail: "did not finish before the run's deadline (--timeout)"
                                .to_owned(),
                            duration: spec.timeout,
                            perfdata: Vec::new(),
                        }
                    })
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{CheckSpec, Level, Probe, Probed, judge};
    use crate::check::tcp::TcpSpec;
    use crate::status::OutcomeKind;
    use std::time::Duration;

    fn spec(on_failure: OutcomeKind, slow_after: Option<Duration>) -> CheckSpec {
        CheckSpec {
            name: "c".to_owned(),
            timeout: Duration::from_secs(1),
            slow_after,
            on_failure,
            retries: 0,
            retry_delay: Duration::ZERO,
            probe: Probe::Tcp(TcpSpec {
                address: "h:1".to_owned(),
                banner: super::tcp::Banner::None,
                send: None,
                expect: None,
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
    fn retried_failures_say_how_many_attempts() {
        let outcome = judge(
            &spec(OutcomeKind::Fail, None),
            Probed::fail("refused"),
            Duration::ZERO,
            3,
        );
        assert_eq!(outcome.detail, "refused (after 3 attempts)");
    }
}

#[cfg(test)]
mod bounds_tests {
    use super::{Bounds, format_value};

    #[test]
    fn bounds_name_the_first_value_outside_and_count_the_rest() {
        let bounds = Bounds {
            min: Some(1.0),
            max: Some(10.0),
        };
        let values = [("a", 5.0), ("b", 0.0), ("c", 12.5), ("d", f64::NAN)];
        assert_eq!(
            bounds.first_outside(&values, SAMPLES).as_deref(),
            Some("b = 0 < min 1 (and 2 more samples)")
        );
        assert_eq!(bounds.first_outside(&values[..1], SAMPLES), None);
        assert_eq!(
            bounds.first_outside(&values[2..3], SAMPLES).as_deref(),
            Some("c = 12.5 > max 10")
        );
        assert_eq!(Bounds::default().first_outside(&values, SAMPLES), None);
        assert_eq!(format_value(0.000_25), "2.5e-4");
        assert_eq!(format_value(1.0 / 3.0), "0.3333");
        assert_eq!(
            bounds.first_outside(&values[1..3], SAMPLES).as_deref(),
            Some("b = 0 < min 1 (and 1 more sample)")
        );
    }

    const SAMPLES: (&str, &str) = ("sample", "samples");

    // SPEC §9: numbers never contradict the verdict; huge ones in exponent form.
    #[test]
    fn numbers_are_shown_as_far_as_it_takes_to_tell_them_apart() {
        let min = Bounds {
            min: Some(0.99995),
            max: None,
        };
        assert_eq!(
            min.violation(0.99994).as_deref(),
            Some("= 0.9999 < min 0.99995")
        );
        let max = |max| Bounds {
            min: None,
            max: Some(max),
        };
        assert_eq!(
            max(90.0).violation(90.000_001).as_deref(),
            Some("= 90.000001 > max 90")
        );
        assert_eq!(
            max(0.3).violation(0.1 + 0.2).as_deref(),
            Some("= 0.30000000000000004 > max 0.3")
        );
        assert_eq!(
            max(1e299).violation(1e300).as_deref(),
            Some("= 1e300 > max 1e299")
        );
        assert_eq!(format_value(1e300), "1e300");
        assert_eq!(format_value(-2.5e16), "-2.5e16");
    }
}
