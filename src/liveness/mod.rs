//! Saying that this host ran (SPEC §10): a one-shot checker's failure mode is silence, so each
//! `run` pings a dead-man's switch (`heartbeat.rs`) and writes a Prometheus textfile
//! (`textfile.rs`) — whoever watches them notices when the runs stop. Neither ever changes the
//! run's exit code: what goes wrong with them is a warning.

mod heartbeat;
mod textfile;

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crate::config::{Config, Heartbeat};
use crate::deadline::Deadline;
use crate::output::{Report, Trace};

/// What a run owes the watchers, from its start to its end.
pub struct Liveness {
    heartbeat: Option<Heartbeat>,
    /// The `/start` ping, on its own thread so that it costs the run no time.
    started: Option<JoinHandle<()>>,
    metrics_file: Option<PathBuf>,
    trace: Trace,
}

impl Liveness {
    /// At the start of a run: the heartbeat's start ping goes out. A dry run tells nobody.
    pub fn begin(
        config: &Config,
        metrics_file: Option<&Path>,
        dry_run: bool,
        deadline: Deadline,
        trace: Trace,
    ) -> Liveness {
        if dry_run {
            return Liveness {
                heartbeat: None,
                started: None,
                metrics_file: None,
                trace,
            };
        }
        let heartbeat = config.heartbeat.clone();
        let started = heartbeat
            .clone()
            .and_then(|beat| heartbeat::start(beat, deadline, trace));
        Liveness {
            heartbeat,
            started,
            metrics_file: metrics_file
                .map(Path::to_path_buf)
                .or_else(|| config.metrics_file.clone()),
            trace,
        }
    }

    /// At the end of a run: the heartbeat hears how it ended, the textfile is written.
    pub fn end(self, report: &Report, deadline: Deadline) {
        if let Some(started) = self.started {
            let _ = started.join();
        }
        if let Some(beat) = &self.heartbeat {
            heartbeat::finish(beat, report, deadline, self.trace);
        }
        if let Some(path) = &self.metrics_file
            && let Err(error) = textfile::write(path, report, crate::deadline::unix_now())
        {
            crate::stderr::warn(format_args!(
                "metrics file `{}` not written: {error}",
                path.display()
            ));
        }
    }
}
