//! The run in Prometheus text format (SPEC §10), for node_exporter's textfile collector:
//! replaced whole each run, so that the collector never reads half a file.
//!
//! `cachet_check_last_success_timestamp_seconds` is the time of the last run that did its job
//! (any exit but 3); a run that did not keeps the one the file already holds, so that
//! `time() - cachet_check_last_success_timestamp_seconds` grows while the runs fail or stop.

use std::fmt::Write;
use std::path::Path;

use crate::exit::Exit;
use crate::output::Report;
use crate::status::OutcomeKind;

const OUTCOMES: [OutcomeKind; 6] = [
    OutcomeKind::Pass,
    OutcomeKind::Degraded,
    OutcomeKind::Fail,
    OutcomeKind::Partial,
    OutcomeKind::Down,
    OutcomeKind::Unknown,
];

const LAST_SUCCESS: &str = "cachet_check_last_success_timestamp_seconds";

/// Writes the file for `report`, a run that ended at `now` (Unix seconds).
pub fn write(path: &Path, report: &Report, now: i64) -> std::io::Result<()> {
    let succeeded = report.exit != Exit::Unknown;
    let last_success = if succeeded {
        Some(now)
    } else {
        // Read back only as this tool wrote it: a FIFO, a device or a link put there reads as
        // no earlier success rather than a hang or a memory filled.
        crate::file::read_own(path, 1 << 20)
            .ok()
            .and_then(|bytes| last_success_in(&String::from_utf8_lossy(&bytes)))
    };
    // Readable by node_exporter, which runs as a user of its own.
    crate::file::write_atomically(path, render(report, now, last_success).as_bytes(), 0o644)
}

/// The time a file written earlier gives as the last success.
fn last_success_in(text: &str) -> Option<i64> {
    text.lines()
        .find_map(|line| line.strip_prefix(LAST_SUCCESS)?.trim().parse::<f64>().ok())
        .map(|seconds| seconds as i64)
}

pub(super) fn render(report: &Report, now: i64, last_success: Option<i64>) -> String {
    let mut text = String::from(
        "# HELP cachet_check_outcome 1 for the outcome each check had in the last run, 0 for the others.\n# TYPE cachet_check_outcome gauge\n",
    );
    let mut lines = String::new();
    for component in &report.components {
        for check in &component.checks {
            for outcome in OUTCOMES {
                let _ = writeln!(
                    lines,
                    "cachet_check_outcome{{component=\"{}\",check=\"{}\",outcome=\"{}\"}} {}",
                    label(&component.name),
                    label(&check.name),
                    outcome.word(),
                    u8::from(check.outcome == outcome)
                );
            }
        }
    }
    text.push_str(&lines);
    let _ = writeln!(
        text,
        "# HELP cachet_check_duration_seconds How long each check took in the last run.\n# TYPE cachet_check_duration_seconds gauge"
    );
    for component in &report.components {
        for check in &component.checks {
            let _ = writeln!(
                text,
                "cachet_check_duration_seconds{{component=\"{}\",check=\"{}\"}} {}",
                label(&component.name),
                label(&check.name),
                check.duration_ms / 1000.0
            );
        }
    }
    let _ = writeln!(
        text,
        "# HELP cachet_check_component_status The status computed for each component (Cachet's id: 1 operational to 4 major outage); absent when no check could be judged.\n# TYPE cachet_check_component_status gauge"
    );
    for component in &report.components {
        if let Some(id) = component.status_id {
            let _ = writeln!(
                text,
                "cachet_check_component_status{{component=\"{}\"}} {id}",
                label(&component.name)
            );
        }
    }
    let _ = writeln!(
        text,
        "# HELP cachet_check_last_run_timestamp_seconds When the last run ended.\n# TYPE cachet_check_last_run_timestamp_seconds gauge\ncachet_check_last_run_timestamp_seconds {now}"
    );
    if let Some(at) = last_success {
        let _ = writeln!(
            text,
            "# HELP {LAST_SUCCESS} When the last run that did its job (exit 0, 1 or 2) ended.\n# TYPE {LAST_SUCCESS} gauge\n{LAST_SUCCESS} {at}"
        );
    }
    text
}

/// A label value as the text format writes it: `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
