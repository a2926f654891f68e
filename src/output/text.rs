//! The text form (SPEC §9): a monitoring-plugins summary line with perfdata, and at `-v` a line
//! per check and per push.

use std::fmt::Write;

use super::{ComponentReport, Report};
use crate::status::OutcomeKind;
use crate::status::Status;

/// The text of a `run`: the summary line, then (verbose) a line per check and per push.
pub fn run(report: &Report, verbose: bool) -> String {
    let mut text = format!("CACHET-CHECK {} - ", report.exit.word());
    if report.components.iter().any(|c| c.cut_off) {
        let failed: Vec<String> = report
            .witnesses
            .iter()
            .filter(|seen| !seen.answered)
            .map(|seen| format!("{}: {}", seen.witness, seen.detail))
            .collect();
        let _ = write!(
            text,
            "this host looks cut off: every witness failed too ({}): ",
            failed.join("; ")
        );
    }
    let parts: Vec<String> = report.components.iter().map(component_summary).collect();
    text.push_str(&parts.join(", "));
    if report.dry_run {
        text.push_str(" [dry run: nothing pushed]");
    }
    let mut text = no_bar(&text);
    let perfdata: Vec<String> = report
        .components
        .iter()
        .flat_map(|component| {
            component.checks.iter().flat_map(move |check| {
                let prefix = format!("{}/{}", component.name, check.name);
                let own = format!(
                    "{}={:.3}s",
                    crate::perfdata::quote_label(&prefix),
                    check.duration_ms / 1000.0
                );
                std::iter::once(own)
                    .chain(check.perfdata.iter().map(move |item| item.render(&prefix)))
            })
        })
        .collect();
    if !perfdata.is_empty() {
        text.push_str(" | ");
        text.push_str(&perfdata.join(" "));
    }
    text.push('\n');
    if verbose {
        text.push_str(&no_bar(&details(report)));
    }
    text
}

/// The lines `-v` adds: each witness asked, each check, each push, incident and metric point.
fn details(report: &Report) -> String {
    let mut more = String::new();
    for seen in &report.witnesses {
        let _ = writeln!(
            more,
            "  witness {}: {} - {} ({:.1} ms)",
            seen.witness,
            if seen.answered { "answered" } else { "failed" },
            seen.detail,
            seen.duration_ms
        );
    }
    for component in &report.components {
        for check in &component.checks {
            let via = if check.via.is_empty() {
                String::new()
            } else {
                format!(" via {}", check.via.join(", "))
            };
            let _ = writeln!(
                more,
                "  {}/{}: {} - {} ({:.1} ms){via}",
                component.name,
                check.name,
                check.outcome.word(),
                check.detail,
                check.duration_ms
            );
        }
        if !report.dry_run {
            let _ = writeln!(more, "  {}", push_line(component));
            if let Some(quorum) = &component.quorum {
                let _ = writeln!(more, "  {}: {}", name(component), votes_line(quorum));
            }
            if let Some(incident) = &component.incident {
                let _ = writeln!(more, "  {}: incident {incident}", name(component));
            }
            if let Some(error) = &component.incident_error {
                let _ = writeln!(more, "  {}: incident not kept up: {error}", name(component));
            }
            if let Some(metric) = &component.metric {
                let _ = writeln!(more, "  {}: {}", name(component), metric_line(metric));
            }
        }
    }
    more
}

/// The text of a `set`: one line per component saying what happened.
pub fn set(report: &Report) -> String {
    let mut text = String::new();
    for component in &report.components {
        let line = if report.dry_run {
            let was = previous(component);
            if component.previous_status.as_deref() == component.status.map(Status::word) {
                format!(
                    "{}: already {}, nothing to write [dry run]",
                    name(component),
                    component.label()
                )
            } else {
                format!(
                    "{}: would set {}{was} [dry run]",
                    name(component),
                    component.label()
                )
            }
        } else {
            push_line(component)
        };
        text.push_str(&line);
        text.push('\n');
        if let Some(incident) = &component.incident {
            let _ = writeln!(text, "{}: incident {incident}", name(component));
        }
        if let Some(replaced) = &component.replaced {
            let _ = writeln!(text, "{}: replaces {replaced}", name(component));
        }
    }
    text
}

/// "1/3 checks failed: health: HTTP 503; 1 could not be judged: …", or what passed.
fn findings(component: &ComponentReport) -> String {
    let count = |kinds: &[OutcomeKind]| {
        component
            .checks
            .iter()
            .filter(|c| kinds.contains(&c.outcome))
            .count()
    };
    let list = |kinds: &[OutcomeKind]| {
        component
            .checks
            .iter()
            .filter(|c| kinds.contains(&c.outcome))
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let total = component.checks.len();
    let failing = [OutcomeKind::Fail, OutcomeKind::Partial, OutcomeKind::Down];
    let (failed, degraded) = (count(&failing), count(&[OutcomeKind::Degraded]));
    let unknown = count(&[OutcomeKind::Unknown]);
    let mut parts = Vec::new();
    if failed > 0 {
        parts.push(format!(
            "{failed}/{total} checks failed: {}",
            list(&failing)
        ));
    }
    if degraded > 0 {
        let degraded_list = list(&[OutcomeKind::Degraded]);
        parts.push(if failed > 0 {
            format!("{degraded} degraded: {degraded_list}")
        } else {
            format!("{degraded}/{total} checks degraded: {degraded_list}")
        });
    }
    if unknown > 0 {
        // SPEC §10: what could not be judged, and why, so that it can be fixed.
        let of = if parts.is_empty() {
            format!("{unknown}/{total} checks")
        } else {
            unknown.to_string()
        };
        parts.push(format!(
            "{of} could not be judged: {}",
            list(&[OutcomeKind::Unknown])
        ));
    }
    match (parts.is_empty(), total) {
        (false, _) => parts.join("; "),
        (true, 1) => "1 check passed".to_owned(),
        (true, _) => format!("all {total} checks passed"),
    }
}

fn component_summary(component: &ComponentReport) -> String {
    let detail = findings(component);
    let mut text = format!("{}: {} ({detail})", component.name, component.label());
    if let Some(maintenance) = &component.maintenance {
        let _ = write!(text, " [maintenance {maintenance}]");
    }
    if component.has_unknown()
        && let Some(held) = &component.held
    {
        let _ = write!(text, ", {held}");
    } else if component.cut_off && component.held.is_some() {
        text.push_str(", not pushed");
    }
    match (&component.push_error, &component.incident_error) {
        (Some(error), _) => {
            let _ = write!(text, ", not pushed: {error}");
        }
        (None, Some(error)) => {
            let _ = write!(text, ", pushed, but its incident was not kept up: {error}");
        }
        (None, None) => {}
    }
    if let Some(error) = &component.state_error {
        let _ = write!(text, ", its state not saved: {error}");
    }
    if let Some(metric) = component.metric.as_ref().filter(|metric| metric.refused) {
        let _ = write!(
            text,
            ", metric {} refused: {}",
            metric.id,
            metric.error.as_deref().unwrap_or_default()
        );
    }
    text
}

/// "metric 7: 12.4 ms, 3 points delivered, 0 kept for the next run".
fn metric_line(metric: &super::MetricReport) -> String {
    let mut line = format!(
        "metric {}: {} ms, {} delivered, {} kept for the next run",
        metric.id, metric.value, metric.delivered, metric.spooled
    );
    if metric.merged > 0 {
        let _ = write!(
            line,
            ", {} merged by Cachet into its latest point (value discarded: the metric's threshold is longer than the run interval)",
            metric.merged
        );
    }
    if metric.dropped > 0 {
        let _ = write!(line, ", {} dropped", metric.dropped);
    }
    if let Some(error) = &metric.error {
        let _ = write!(line, " ({error})");
    }
    line
}

fn push_line(component: &ComponentReport) -> String {
    // With `quorum`, what is pushed is the votes' verdict, not this host's alone.
    let label = match component.quorum.as_ref().and_then(|quorum| quorum.decided) {
        Some(decided) => decided.label(),
        None => component.label(),
    };
    if let Some(held) = &component.held {
        return format!("{}: {label} not pushed yet: {held}", name(component));
    }
    match (&component.push_error, component.written) {
        (Some(error), _) => format!("{}: {label} not pushed: {error}", name(component)),
        (None, true) => format!("{}: set to {label}{}", name(component), previous(component)),
        (None, false) => format!(
            "{}: Cachet already shows {label}, nothing written",
            name(component)
        ),
    }
}

/// The most votes `-v` lists one by one; the others are counted (a meta may hold thousands).
const VOTES_SHOWN: usize = 20;

/// "votes (quorum 2, this host fra): fra major outage 3 s ago, sfo operational 2 min ago
/// (left out: expired (10 min old))".
fn votes_line(quorum: &super::QuorumReport) -> String {
    let mut votes: Vec<String> = quorum
        .votes
        .iter()
        .take(VOTES_SHOWN)
        .map(|vote| {
            let status = vote.status.replace('_', " ");
            let age = crate::deadline::format_age(vote.age_s);
            let when = if vote.age_s < 0 {
                format!("{age} ahead")
            } else {
                format!("{age} ago")
            };
            match &vote.left_out {
                Some(why) => format!("{} {status} {when} (left out: {why})", vote.vantage),
                None => format!("{} {status} {when}", vote.vantage),
            }
        })
        .collect();
    if quorum.votes.len() > VOTES_SHOWN {
        votes.push(format!("and {} more", quorum.votes.len() - VOTES_SHOWN));
    }
    format!(
        "votes (quorum {}, this host {}): {}",
        quorum.needed,
        quorum.vantage,
        if votes.is_empty() {
            "none yet".to_owned()
        } else {
            votes.join(", ")
        }
    )
}

/// Text that Nagios, Icinga and Monit must not split: a `|` (from a name, a detail, a query)
/// is shown as `¦`, so that the only `|` of the output is the one before the perfdata (SPEC §9).
pub fn no_bar(text: &str) -> String {
    text.replace('|', "¦")
}

fn name(component: &ComponentReport) -> String {
    match component.id {
        Some(id) => format!("{} (#{id})", component.name),
        None => component.name.clone(),
    }
}

fn previous(component: &ComponentReport) -> String {
    component
        .previous_status
        .as_deref()
        .map(|word| format!(" (was {})", word.replace('_', " ")))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::exit::Exit;
    use crate::output::{CheckReport, ComponentReport, Report};
    use crate::status::{OutcomeKind, Status};

    fn check(name: &str, outcome: OutcomeKind, detail: &str, ms: f64) -> CheckReport {
        CheckReport {
            name: name.to_owned(),
            kind: "http",
            outcome,
            detail: detail.to_owned(),
            duration_ms: ms,
            perfdata: Vec::new(),
            via: Vec::new(),
        }
    }

    // SPEC §9: the example summary line, to the letter.
    #[test]
    fn summary_line_matches_the_spec_example() {
        let report = Report {
            status: Some(Status::PartialOutage),
            exit: Exit::Critical,
            dry_run: false,
            components: vec![ComponentReport {
                id: Some(2),
                previous_status: Some("operational".to_owned()),
                pushed: true,
                written: true,
                checks: vec![
                    check(
                        "health endpoint",
                        OutcomeKind::Fail,
                        "HTTP 503, expected 200-299",
                        12.4,
                    ),
                    check("a", OutcomeKind::Pass, "HTTP 200", 1.0),
                    check("b", OutcomeKind::Pass, "HTTP 200", 2.0),
                ],
                ..ComponentReport::new("api", Status::PartialOutage)
            }],
            witnesses: Vec::new(),
            error: None,
        };
        let text = run(&report, false);
        assert_eq!(
            text,
            "CACHET-CHECK CRITICAL - api: partial outage (1/3 checks failed: health endpoint: HTTP 503, expected 200-299) | 'api/health endpoint'=0.012s 'api/a'=0.001s 'api/b'=0.002s\n"
        );
    }
}
