//! Runs the built binary with an isolated environment and its own temp dir, and captures the
//! exit code, stdout and stderr (all three are contract: SPEC §3, §9).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_cachet-check");

pub struct Cmd {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
    fd_limit: Option<String>,
    dir: tempfile::TempDir,
}

#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// The command's own directory (its config, its state dir).
    pub dir: PathBuf,
}

impl Output {
    /// What a finished cachet-check left; it must not have panicked, whatever else it did.
    fn of(output: &std::process::Output, started: Instant, dir: &Path) -> Output {
        let output = Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: started.elapsed(),
            dir: dir.to_path_buf(),
        };
        assert!(
            !output.stderr.contains("panicked"),
            "cachet-check panicked:\n{}",
            output.stderr
        );
        for text in [&output.stdout, &output.stderr] {
            if let Some(shape) = debug_shape(text) {
                panic!("Rust's Debug text reached the output ({shape}):\n{text}");
            }
        }
        output
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}):\n{}", self.stdout))
    }

    /// The first line of stdout (what schedulers read).
    pub fn summary(&self) -> &str {
        self.stdout.lines().next().unwrap_or_default()
    }

    /// The summary line with what changes from run to run made fixed (`normalize`), for
    /// assertions of the whole line where the line is the contract.
    pub fn normalized_summary(&self) -> String {
        normalize(self.summary(), &self.dir)
    }

    /// stdout, `normalize`d.
    pub fn normalized_stdout(&self) -> String {
        normalize(&self.stdout, &self.dir)
    }
}

/// `text` with what changes from run to run made fixed: durations become `N` before their
/// unit (`0.012s` → `Ns`, `312 ms` → `N ms`), loopback ports `PORT`, the command's directory
/// `TMP`.
pub fn normalize(text: &str, dir: &Path) -> String {
    static PATTERNS: std::sync::OnceLock<(regex::Regex, regex::Regex)> = std::sync::OnceLock::new();
    let (durations, ports) = PATTERNS.get_or_init(|| {
        (
            regex::Regex::new(r"\b\d+(?:\.\d+)?( ?)(ms|s)\b").unwrap(),
            regex::Regex::new(r"(127\.0\.0\.1|\[::1\]|localhost):\d+").unwrap(),
        )
    });
    let text = text.replace(&dir.display().to_string(), "TMP");
    let text = ports.replace_all(&text, "${1}:PORT");
    durations.replace_all(&text, "N$1$2").into_owned()
}

/// Rust `Debug` shapes of the error types cachet-check handles (rustls, webpki, io, ureq):
/// `Other(OtherError(…))`, `DnsName("…")`, `Kind(…)`, or a bare variant name. Users read
/// sentences, never these (SPEC §9); every output of the suite is checked.
pub fn debug_shape(text: &str) -> Option<String> {
    static SHAPES: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let shapes = SHAPES.get_or_init(|| {
        regex::Regex::new(
            r#"\b(?:Other|OtherError|DnsName|IpAddress|InvalidCertificate|InvalidMessage|AlertReceived|Custom|Os|Kind|Io|Tls|Rustls|Some|Error)\((?:[A-Z"]|\d)|\b(?:UnknownIssuer|CaUsedAsEndEntity|BadSignature|NotValidForName|UnexpectedEof|ConnectionRefused|TimedOut|CertExpired|CertNotValidYet)\b"#,
        )
        .unwrap()
    });
    shapes.find(text).map(|found| found.as_str().to_owned())
}

impl Cmd {
    pub fn new() -> Cmd {
        Cmd {
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            fd_limit: None,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs the binary with at most `limit` open files (`ulimit -n`, through sh: the soft and
    /// the hard limit).
    pub fn fd_limit(mut self, limit: u32) -> Cmd {
        self.fd_limit = Some(format!("-n {limit}"));
        self
    }

    /// Runs the binary with a soft limit of `limit` open files (`ulimit -Sn`), the hard one
    /// left as it is.
    pub fn soft_fd_limit(mut self, limit: u32) -> Cmd {
        self.fd_limit = Some(format!("-Sn {limit}"));
        self
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `toml` to a file in the temp dir and passes it with `-c`.
    pub fn config(mut self, toml: &str) -> Cmd {
        let path = self.write("config.toml", toml);
        self.args.push("-c".to_owned());
        self.args.push(path.display().to_string());
        self
    }

    /// Writes a file into the temp dir (mode 0600) and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    /// Writes an executable script into the temp dir and returns its path.
    pub fn script(&self, name: &str, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.display().to_string()
    }

    pub fn token(self, token: &str) -> Cmd {
        self.env("CACHET_TOKEN", token)
    }

    pub fn env(mut self, key: &str, value: &str) -> Cmd {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn stdin(mut self, text: &str) -> Cmd {
        self.stdin = Some(text.to_owned());
        self
    }

    /// Starts the command without waiting (stdin closed, output piped).
    pub fn spawn(&self) -> std::process::Child {
        self.command().stdin(Stdio::null()).spawn().unwrap()
    }

    fn command(&self) -> Command {
        let mut command = match &self.fd_limit {
            None => Command::new(BIN),
            Some(limit) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit {limit} && exec \"$0\" \"$@\""))
                    .arg(BIN);
                sh
            }
        };
        command
            .args(&self.args)
            .env_clear()
            .env(
                "PATH",
                std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".to_owned()),
            )
            .env("HOME", self.dir.path())
            .env("XDG_STATE_HOME", self.dir.path().join("xdg-state"))
            // Each test its own state dir (an empty value falls through to the next place).
            .env("STATE_DIRECTORY", self.dir.path().join("state"))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    pub fn run(&self) -> Output {
        let mut command = self.command();
        command.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let started = Instant::now();
        let mut child = command.spawn().unwrap();
        if let Some(text) = &self.stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let output = child.wait_with_output().unwrap();
        Output::of(&output, started, self.dir.path())
    }

    /// Runs the command (stdin closed) under GNU time and returns its output and peak RSS in
    /// KiB. (The kernel's own figure for a direct child of this test would count the test's
    /// memory at the fork; GNU time forks from a small process.)
    pub fn run_measured(&self) -> (Output, u64) {
        let report = self.dir.path().join("peak-rss");
        let command = self.command();
        let program = command.get_program().to_owned();
        let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
        let mut timed = Command::new("/usr/bin/time");
        timed
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&report)
            .arg(program)
            .args(args);
        timed.env_clear();
        for (key, value) in command.get_envs() {
            if let Some(value) = value {
                timed.env(key, value);
            }
        }
        timed
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let output = timed
            .output()
            .expect("GNU time at /usr/bin/time (apt-get install time)");
        let output = Output::of(&output, started, self.dir.path());
        let rss = std::fs::read_to_string(&report).unwrap();
        // GNU time notes a non-zero exit on a line of its own before the figure.
        let rss = rss.lines().last().unwrap().trim().parse().unwrap();
        (output, rss)
    }
}

#[test]
fn normalize_fixes_durations_ports_and_the_directory_only() {
    let dir = Path::new("/tmp/.tmpAbC");
    assert_eq!(
        normalize(
            "took 312 ms (slow after 100ms) at 127.0.0.1:40123 and [::1]:8 in /tmp/.tmpAbC/x | 'a'=0.012s 'b/load1'=7.2;5;10",
            dir
        ),
        "took N ms (slow after Nms) at 127.0.0.1:PORT and [::1]:PORT in TMP/x | 'a'=Ns 'b/load1'=7.2;5;10"
    );
    assert_eq!(normalize("2 retries, 3 checks", dir), "2 retries, 3 checks");
}
