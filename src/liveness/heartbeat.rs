//! The heartbeat (SPEC §10): healthchecks hears `/start` when a run begins and `/<exit code>`
//! with the summary line when it ends; an Uptime Kuma push monitor `status=up|down`, the
//! summary and the run's time; a Gatus external endpoint `success`, `error` and `duration`; a
//! plain URL a GET. "Up" is exit 0: whatever else the run found is worth a look. A heartbeat
//! that cannot be delivered is a warning, never a changed exit.

use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::config::{Heartbeat, HeartbeatKind};
use crate::deadline::Deadline;
use crate::exit::Exit;
use crate::net::http::encode_query_value;
use crate::output::{Report, Trace};
use crate::secret::Secret;

/// The longest a heartbeat request may take.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// The start of a run, for the kinds that hear of it (healthchecks).
pub fn start(beat: Heartbeat, deadline: Deadline, trace: Trace) -> Option<JoinHandle<()>> {
    if beat.kind != HeartbeatKind::Healthchecks {
        return None;
    }
    let url = format!("{}/start", beat.url.trim_end_matches('/'));
    thread::Builder::new()
        .spawn(move || deliver(&beat, "GET", &url, None, deadline, trace))
        .ok()
}

/// The end of a run, told the way `beat.kind` hears it.
pub fn finish(beat: &Heartbeat, report: &Report, deadline: Deadline, trace: Trace) {
    let summary = report.summary();
    // The switch watches the checker, not the targets: a run that judged and published (an
    // outage found and published is the checker doing its job) is up; one that could not
    // (exit 3: Cachet out of reach, a refused token, nothing judged) is down.
    let up = report.exit != Exit::Unknown;
    let base = beat.url.trim_end_matches('/');
    let bare = beat.url.split('?').next().unwrap_or_default();
    let (method, url, body) = match beat.kind {
        HeartbeatKind::Healthchecks => (
            "POST",
            format!("{base}/{}", if up { "0" } else { "fail" }),
            Some(summary),
        ),
        HeartbeatKind::Kuma => (
            "GET",
            format!(
                "{bare}?status={}&msg={}&ping={}",
                if up { "up" } else { "down" },
                encode_query_value(&summary),
                ran_for(report)
            ),
            None,
        ),
        HeartbeatKind::Gatus => (
            "POST",
            format!(
                "{bare}?success={up}&error={}&duration={}ms",
                if up {
                    String::new()
                } else {
                    encode_query_value(&summary)
                },
                ran_for(report)
            ),
            None,
        ),
        // A plain switch only hears "up": a checker that cannot do its job lets it expire.
        HeartbeatKind::Plain if !up => {
            trace.emit(format_args!(
                "heartbeat not pinged: the run could not judge or publish (exit 3)"
            ));
            return;
        }
        HeartbeatKind::Plain => ("GET", beat.url.clone(), None),
    };
    deliver(beat, method, &url, body, deadline, trace);
}

/// How long the checks took, in whole milliseconds: the slowest one.
fn ran_for(report: &Report) -> u64 {
    let slowest = report
        .components
        .iter()
        .flat_map(|component| &component.checks)
        .map(|check| check.duration_ms)
        .fold(0.0, f64::max);
    slowest.round() as u64
}

fn deliver(
    beat: &Heartbeat,
    method: &str,
    url: &str,
    body: Option<String>,
    deadline: Deadline,
    trace: Trace,
) {
    let budget = deadline.remaining().min(PING_TIMEOUT);
    // A heartbeat's URL is its secret (a healthchecks UUID, a Kuma push token): only its host
    // is ever shown.
    let shown = format!("to {}", crate::net::host_of(url));
    if budget.is_zero() {
        crate::stderr::warn(format_args!(
            "heartbeat {shown} not sent: the run's time (--timeout) is up"
        ));
        return;
    }
    let started = Instant::now();
    let agent = crate::check::web::agent(crate::check::web::is_https(url));
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    if let Some(path) = &beat.token_file {
        match Secret::from_file(path, "heartbeat token") {
            Ok(token) => {
                request = request.header("Authorization", format!("Bearer {}", token.expose()));
            }
            Err(error) => {
                crate::stderr::warn(format_args!("heartbeat {shown} not sent: {error:#}"));
                return;
            }
        }
    }
    let request = match request.body(body.unwrap_or_default().into_bytes()) {
        Ok(request) => request,
        Err(error) => {
            crate::stderr::warn(format_args!("heartbeat {shown} not sent: {error}"));
            return;
        }
    };
    trace.emit(format_args!("> {method} heartbeat {shown}"));
    let configured = agent
        .configure_request(request)
        .timeout_global(Some(budget))
        .build();
    match agent.run(configured) {
        Ok(response) if response.status().is_success() => trace.emit(format_args!(
            "< HTTP {} after {}",
            response.status().as_u16(),
            crate::deadline::format_millis(started.elapsed())
        )),
        Ok(response) => crate::stderr::warn(format_args!(
            "heartbeat {shown} answered HTTP {}: check its URL",
            response.status().as_u16()
        )),
        Err(error) => crate::stderr::warn(format_args!(
            "heartbeat {shown} not delivered: {}",
            crate::net::describe_error(&error, budget, &crate::net::host_of(url))
        )),
    }
}
