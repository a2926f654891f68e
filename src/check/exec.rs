//! The `exec` check (SPEC §5): run a program (argv, no shell) the monitoring-plugins way.
//!
//! Exit 0 passes, 1 is degraded, 2 and anything else fail. The first line of stdout is the detail
//! and perfdata after `|` is parsed. The program runs in its own process group, and the whole
//! group is killed at the timeout, so a plugin's children cannot outlive the check.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::Duration;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Built, Context, Level, Probe, Probed};
use crate::deadline::Deadline;
use crate::keys::{Key, KeyError, Keys};
use crate::net::timed_out;
use crate::perfdata;
use crate::text::sanitize;

/// How much of each output stream is kept; the rest is read and dropped.
const OUTPUT_CAP: usize = 64 * 1024;

#[derive(Debug)]
pub struct ExecSpec {
    pub command: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// A whole command line written as one element (`["check_disk -w 20%"]`): there is no shell to
/// split it, so it would name a program that does not exist.
fn check_command(command: &[String]) -> Result<(), String> {
    let [line] = command else {
        return Ok(());
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.len() < 2 || std::path::Path::new(line).exists() {
        return Ok(());
    }
    // Each word as a TOML string.
    let split: Vec<String> = words
        .iter()
        .map(|w| format!("\"{}\"", w.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    Err(format!(
        "`{line}` is a whole command line in one element; there is no shell to split it: write `command = [{}]`",
        split.join(", ")
    ))
}

/// What keeps `command` from running on this machine, as a scheduler would start it: a program
/// that does not exist or may not be executed, or a bare name that cron's `PATH`
/// (`/usr/bin:/bin`) does not find. `validate` and `doctor` report it before a run does.
fn machine_problem(command: &[String]) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let program = command.first()?;
    if !program.contains('/') {
        let found_in = |dirs: &str| {
            dirs.split(':')
                .map(|dir| std::path::Path::new(dir).join(program))
                .find(|path| path.is_file())
        };
        if found_in(CRON_PATH).is_some() {
            return None;
        }
        let path = std::env::var("PATH").unwrap_or_default();
        return Some(match found_in(&path) {
            Some(full) => format!(
                "`{program}` is found on this shell's PATH, but not on the minimal PATH of cron and systemd ({CRON_PATH}): write its full path, `{}`",
                full.display()
            ),
            None => {
                format!("no program `{program}` on the PATH: install it or write its full path")
            }
        });
    }
    let path = std::path::Path::new(program);
    match std::fs::metadata(path) {
        Err(_) => Some(format!(
            "`{program}` does not exist (install it, or fix the path)"
        )),
        Ok(meta) if meta.is_dir() => Some(format!("`{program}` is a directory, not a program")),
        Ok(meta) if meta.permissions().mode() & 0o111 == 0 => Some(format!(
            "`{program}` is not executable (chmod +x, or name its interpreter first)"
        )),
        Ok(_) => None,
    }
}

/// The `PATH` cron gives a job, and what a systemd unit without `Environment=PATH` can count on.
const CRON_PATH: &str = "/usr/bin:/bin";

pub const KIND: super::Kind = super::Kind {
    word: "exec",
    keys: &[&[&COMMAND, &ENV]],
    build,
};

const COMMAND: Key<Vec<String>> = Key::new("command");
const ENV: Key<BTreeMap<String, String>> = Key::new("env");

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let mut command = keys.require(
        &COMMAND,
        "`command = [\"/usr/lib/nagios/plugins/check_disk\", \"-w\", \"10%\"]`",
    )?;
    let Some(program) = command.first().filter(|program| !program.is_empty()) else {
        return Err(keys.error(
            COMMAND.name,
            format!(
                "`command` in `{}` is empty: name the program first",
                keys.table
            ),
        ));
    };
    let called = PathBuf::from(program).file_name().map_or_else(
        || program.clone(),
        |name| name.to_string_lossy().into_owned(),
    );
    // A program named by a path (`./check.sh`, `plugins/x`) is found from the config's
    // directory; a bare name on the PATH.
    if command[0].contains('/') || command[0].starts_with('~') {
        command[0] = keys.path(Path::new(&command[0])).display().to_string();
    }
    check_command(&command).map_err(|why| keys.invalid(&COMMAND, why))?;
    let spec = ExecSpec {
        command,
        env: keys.take(&ENV)?.unwrap_or_default().into_iter().collect(),
    };
    Built::new(spec, called)
}

impl Probe for ExecSpec {
    fn target(&self) -> String {
        self.command.join(" ")
    }

    fn probe(&self, _: &Context, deadline: Deadline) -> Probed {
        probe(self, deadline)
    }

    fn problem(&self) -> Option<String> {
        machine_problem(&self.command)
    }
}

fn probe(spec: &ExecSpec, deadline: Deadline) -> Probed {
    let budget = deadline.remaining();
    let Some((program, args)) = spec.command.split_first() else {
        return Probed::fail("no command");
    };
    let mut command = Command::new(program);
    crate::secret::withhold_from(&mut command);
    let spawned = command
        .args(args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            let why = match error.kind() {
                std::io::ErrorKind::NotFound => {
                    "no such program (or its interpreter is missing)".to_owned()
                }
                std::io::ErrorKind::PermissionDenied => {
                    "it may not be executed (is it executable, on a filesystem that allows it?)"
                        .to_owned()
                }
                _ => crate::net::describe_io(&error, budget),
            };
            // No program, no verdict: what it would have checked is not known (SPEC §10).
            return Probed::unknown(format!("cannot run `{program}`: {why}"));
        }
    };
    let _running = Running::register(child.id());
    let stdout = collect(child.stdout.take());
    let stderr = collect(child.stderr.take());

    let Some(status) = wait(&mut child, deadline) else {
        kill_group(child.id());
        let _ = child.wait();
        return Probed::fail(format!("{}, killed", timed_out(budget)));
    };
    // The pipes close when every process holding them has exited. A plugin that left a child
    // behind holding them gets a short grace, then its whole group is killed.
    let grace = deadline.remaining().min(Duration::from_millis(500));
    let stdout = stdout.recv_timeout(grace).ok().or_else(|| {
        kill_group(child.id());
        stdout.recv_timeout(Duration::from_millis(100)).ok()
    });
    let stderr = stderr.recv_timeout(Duration::from_millis(100)).ok();
    judge(
        status,
        &stdout.unwrap_or_default(),
        &stderr.unwrap_or_default(),
    )
}

/// Reads a stream to its end on a thread, keeping the first `OUTPUT_CAP` bytes.
fn collect(stream: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    if let Some(mut stream) = stream {
        thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buffer = [0u8; 8192];
            while let Ok(count) = stream.read(&mut buffer) {
                if count == 0 {
                    break;
                }
                let room = OUTPUT_CAP.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..count.min(room)]);
            }
            let _ = sender.send(String::from_utf8_lossy(&kept).into_owned());
        });
    } else {
        let _ = sender.send(String::new());
    }
    receiver
}

/// Waits for the child until the deadline; `None` if it was still running then.
fn wait(child: &mut Child, deadline: Deadline) -> Option<ExitStatus> {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(_) => return None,
        }
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            return None;
        }
        thread::sleep(pause.min(remaining));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// The process groups of the plugins running now, so that a signal to cachet-check can end
/// them too (SPEC §7) instead of leaving them behind.
static RUNNING: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// A plugin's entry in `RUNNING`, removed when the check is done with it.
struct Running(u32);

impl Running {
    fn register(group: u32) -> Running {
        RUNNING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(group);
        Running(group)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .retain(|group| *group != self.0);
    }
}

/// Kills the process group of every plugin still running.
pub fn kill_running() {
    let running = RUNNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for group in running.iter() {
        kill_group(*group);
    }
}

/// Kills the process group the plugin leads (it was spawned with `process_group(0)`), so
/// nothing outside the check is signalled.
fn kill_group(group: u32) {
    let Some(group) = i32::try_from(group)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    // A group already gone has nothing left to kill.
    let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
}

/// The longest detail kept of a plugin's first line: the monitoring-plugins guidelines say
/// the first ~80 characters are what matters; the rest goes to the long text nobody reads here.
const DETAIL_CAP: usize = 300;

/// Maps an exit status and output to a finding, the monitoring-plugins way: the text before
/// the first line's `|` is the detail; perfdata is what follows it, and, in the long text of
/// the following lines, everything after the first `|` found there (to the end of output).
pub(crate) fn judge(status: ExitStatus, stdout: &str, stderr: &str) -> Probed {
    let first = stdout.lines().next().unwrap_or_default();
    let (text, perf) = first.split_once('|').unwrap_or((first, ""));
    let mut perf_text = perf.to_owned();
    let long = stdout.lines().skip(1).collect::<Vec<_>>().join("\n");
    if let Some((_, more)) = long.split_once('|') {
        perf_text.push(' ');
        perf_text.push_str(&more.replace('\n', " "));
    }
    let stderr_line = sanitize(
        stderr
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or_default(),
    );
    let mut text = sanitize(text.trim());
    // A usage error prints `Usage:` on stdout, and often the reason on stderr: keep both.
    let usage = status.code() == Some(3)
        && stdout
            .lines()
            .any(|line| line.trim_start().to_ascii_lowercase().starts_with("usage"));
    if usage {
        let said = text.to_ascii_lowercase();
        text = match (
            said.starts_with("usage") || text.is_empty(),
            stderr_line.is_empty(),
        ) {
            (true, false) => stderr_line.clone(),
            (false, false) => format!("{text}: {stderr_line}"),
            (_, true) => text,
        };
        text.push_str(" (a usage error: check the plugin's arguments)");
    }
    if text.is_empty() {
        text = stderr_line;
    }
    if let Some((cut, _)) = text.char_indices().nth(DETAIL_CAP) {
        text.truncate(cut);
        text.push('…');
    }
    let (level, fallback) = match status.code() {
        Some(0) => (Level::Pass, "exit status 0 (OK)".to_owned()),
        Some(1) => (Level::Warn, "exit status 1 (WARNING)".to_owned()),
        Some(2) => (Level::Fail, "exit status 2 (CRITICAL)".to_owned()),
        // The plugin could not judge (its own UNKNOWN), or there was no program to run (126:
        // not executable, 127: not found, as a shell or `env` says it): this host's trouble.
        Some(3) => (Level::Unknown, "exit status 3 (UNKNOWN)".to_owned()),
        Some(126) => (
            Level::Unknown,
            "exit status 126 (a program it runs is not executable)".to_owned(),
        ),
        Some(127) => (
            Level::Unknown,
            "exit status 127 (a program it runs is not found)".to_owned(),
        ),
        Some(code) => (Level::Fail, format!("exit status {code}")),
        None => (
            Level::Fail,
            format!("killed by signal {}", status.signal().unwrap_or_default()),
        ),
    };
    let detail = match (text.is_empty(), matches!(status.code(), Some(0..=2))) {
        (true, _) => fallback,
        (false, true) => text,
        (false, false) => format!("{fallback}: {text}"),
    };
    Probed {
        level,
        detail,
        perfdata: perfdata::parse(&perf_text),
    }
}

#[cfg(test)]
mod tests {
    use super::{Level, judge};
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    fn exit(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    #[test]
    fn exit_codes_map_the_plugin_way() {
        assert_eq!(judge(exit(0), "OK - fine", "").level, Level::Pass);
        assert_eq!(judge(exit(1), "WARNING", "").level, Level::Warn);
        assert_eq!(judge(exit(2), "CRITICAL", "").level, Level::Fail);
        assert_eq!(judge(exit(3), "UNKNOWN", "").level, Level::Unknown);
        assert_eq!(
            judge(exit(127), "", "sh: nope: not found").level,
            Level::Unknown
        );
        assert_eq!(judge(exit(126), "", "").level, Level::Unknown);
        assert_eq!(judge(exit(4), "", "").level, Level::Fail);
    }

    #[test]
    fn the_first_line_is_the_detail_and_perfdata_is_parsed() {
        let found = judge(
            exit(2),
            "DISK CRITICAL - 3% free | '/'=97%;80;90\nlong text\n",
            "",
        );
        assert_eq!(found.detail, "DISK CRITICAL - 3% free");
        assert_eq!(found.perfdata.len(), 1);
        assert_eq!(found.perfdata[0].label, "/");
        let found = judge(exit(42), "", "boom\n");
        assert_eq!(found.detail, "exit status 42: boom");
        let found = judge(exit(0), "", "");
        assert_eq!(found.detail, "exit status 0 (OK)");
        let found = judge(ExitStatus::from_raw(9), "", "");
        assert_eq!(found.detail, "killed by signal 9");
    }

    // Monitoring-plugins guidelines: perfdata may go on in the long text, after its first `|`,
    // over several lines.
    #[test]
    fn perfdata_of_the_long_text_spans_lines() {
        let found = judge(
            exit(0),
            "DISK OK | '/'=10%\n/ has 90% free\n/var has 50% free | '/var'=50%\n'/home'=20%;80;90\n",
            "",
        );
        let labels: Vec<&str> = found.perfdata.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["/", "/var", "/home"]);
        assert_eq!(found.detail, "DISK OK");
    }

    #[test]
    fn a_long_first_line_is_cut_and_a_usage_error_keeps_its_reason() {
        let long = "x".repeat(5000);
        let found = judge(exit(0), &long, "");
        assert_eq!(found.detail.chars().count(), 301);
        assert!(found.detail.ends_with('…'));
        let found = judge(
            exit(3),
            "Usage:\n check_tcp -H host -p port\n",
            "check_tcp: Port must be a positive integer\n",
        );
        assert_eq!(
            found.detail,
            "exit status 3 (UNKNOWN): check_tcp: Port must be a positive integer (a usage error: check the plugin's arguments)"
        );
        // check_disk: a short reason on stdout, the real one on stderr.
        let found = judge(
            exit(3),
            "Unknown argument\nUsage:\n check_disk -w limit -c limit\n",
            "check_disk: option requires an argument -- 'x'\n",
        );
        assert_eq!(
            found.detail,
            "exit status 3 (UNKNOWN): Unknown argument: check_disk: option requires an argument -- 'x' (a usage error: check the plugin's arguments)"
        );
    }
}
