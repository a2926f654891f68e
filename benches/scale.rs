//! How one `run` scales: wall time and peak RSS from 10 to 10,000 HTTP checks against a
//! loopback keep-alive server that answers after 20 ms, with `--jobs 512`, ten checks to a
//! component and a fake Cachet 2.4; and TLS-expiry checks per second. The Cachet fake and the
//! TLS server are the test suite's (`tests/cli/support`); all servers run in this process, on
//! the same cores as cachet-check, which runs as a child under GNU time.
//!
//!   cargo bench --bench scale            # prints Markdown tables (needs /usr/bin/time)
//!   SCALE_REPEAT=5 cargo bench --bench scale   # more runs per case (default 3)
//!   SCALE_DEBUG=1 cargo bench --bench scale    # also user/system CPU and check latency percentiles
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../tests/cli/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::cachet::{FakeCachet, TOKEN, Version};
use support::cmd::BIN;
use support::http::{Response, Server};

/// Checks per component, as a config of many components would have.
const PER_COMPONENT: usize = 10;
const JOBS: usize = 512;
const LATENCY: Duration = Duration::from_millis(20);

/// An HTTP/1.1 server that keeps connections open, as real servers do, and answers every
/// request with 200 after `LATENCY`: a thread per connection, started once per connection.
fn keep_alive_target() -> SocketAddr {
    let listener = support::http::listen();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                loop {
                    // The request head ends with an empty line; checks send no body.
                    let mut head_done = false;
                    while !head_done {
                        line.clear();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) => head_done = line == "\r\n",
                        }
                    }
                    std::thread::sleep(LATENCY);
                    let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                    if reader.get_mut().write_all(reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// What a run adds above its slowest check: one check answering after 200 ms, Cachet read
/// (overlapped with the check) and written (`--force`), timed around the process itself.
fn overhead(cachet: &FakeCachet) {
    const SLOW: Duration = Duration::from_millis(200);
    let target = Server::start(|_| Response::new(200, "ok").delay(SLOW));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("slow.toml");
    std::fs::write(
        &file,
        format!(
            "[cachet]\nurl = \"{}\"\napi = \"2\"\n[components.api]\nid = 1\n[[components.api.checks]]\ntype = \"http\"\nurl = \"{}\"\n",
            cachet.url(),
            target.url("/")
        ),
    )
    .unwrap();
    println!(
        "One HTTP check answering after {} ms, median of 21 runs, timed around the process",
        SLOW.as_millis()
    );
    println!();
    println!("| command | median wall | above the check |");
    println!("|---|---|---|");
    for mode in ["--force", "--dry-run"] {
        let mut walls: Vec<Duration> = (0..21)
            .map(|_| {
                let started = Instant::now();
                let status = Command::new(BIN)
                    .args(["-q", "-c", file.to_str().unwrap(), "run", mode])
                    .env("CACHET_TOKEN", TOKEN)
                    .env("STATE_DIRECTORY", dir.path().join("state"))
                    .status()
                    .unwrap();
                assert!(status.success());
                started.elapsed()
            })
            .collect();
        walls.sort();
        let median = walls[walls.len() / 2];
        println!(
            "| `run {mode}` | {:.1} ms | {:.1} ms |",
            median.as_secs_f64() * 1000.0,
            (median - SLOW).as_secs_f64() * 1000.0
        );
    }
    println!();
}

/// Wall seconds, peak RSS (KiB) and CPU seconds (user + system) of one cachet-check run.
fn measure(args: &[&str], dir: &Path) -> (f64, u64, f64) {
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M %U %S", "-o"])
        .arg(dir.join("time"))
        .arg(BIN)
        .args(args)
        .env("CACHET_TOKEN", TOKEN)
        .env("STATE_DIRECTORY", dir.join("state"))
        .output()
        .expect("GNU time at /usr/bin/time (apt-get install time)");
    let wall = started.elapsed().as_secs_f64();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0)),
        "exit {code:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let time = std::fs::read_to_string(dir.join("time")).unwrap();
    let fields: Vec<f64> = time
        .split_whitespace()
        .map(|field| field.parse().unwrap())
        .collect();
    if std::env::var_os("SCALE_DEBUG").is_some() {
        eprintln!("user {:.2} s, system {:.2} s", fields[1], fields[2]);
    }
    (wall, fields[0] as u64, fields[1] + fields[2])
}

/// The median wall, the largest RSS and the median CPU time of `repeat` runs.
fn median_of(repeat: usize, args: &[&str], dir: &Path) -> (f64, u64, f64) {
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut rss = 0;
    for _ in 0..repeat {
        let (wall, peak, cpu) = measure(args, dir);
        walls.push(wall);
        cpus.push(cpu);
        rss = rss.max(peak);
    }
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    (walls[walls.len() / 2], rss, cpus[cpus.len() / 2])
}

/// A config of `checks` checks of one kind, `PER_COMPONENT` to a component.
fn config(cachet: &str, checks: usize, check: &str) -> String {
    config_by(cachet, checks, |_| check.to_owned())
}

/// A config of `checks` checks, `PER_COMPONENT` to a component, those of component `c` being
/// `check(c)`.
fn config_by(cachet: &str, checks: usize, check: impl Fn(usize) -> String) -> String {
    let mut text = format!("[cachet]\nurl = \"{cachet}\"\napi = \"2\"\n");
    for c in 0..checks.div_ceil(PER_COMPONENT) {
        text.push_str(&format!("[components.c{c}]\nid = {}\n", c + 1));
        for k in 0..PER_COMPONENT.min(checks - c * PER_COMPONENT) {
            text.push_str(&format!(
                "[[components.c{c}.checks]]\nname = \"k{k}\"\n{}\n",
                check(c)
            ));
        }
    }
    text
}

fn main() {
    let repeat: usize = std::env::var("SCALE_REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let mut cachet = FakeCachet::start(Version::V24);
    for id in 1..=1000 {
        cachet = cachet.component(id, &format!("C{id}"), 1);
    }
    let target = keep_alive_target();

    overhead(&cachet);

    println!(
        "HTTP checks of a keep-alive server answering after {} ms, --jobs {JOBS}, {PER_COMPONENT} checks a component; median of {repeat}; ideal = ceil(checks / {JOBS}) x {} ms",
        LATENCY.as_millis(),
        LATENCY.as_millis()
    );
    println!();
    println!(
        "| checks | components | `run --force` (every component written) | `run` (Cachet read, nothing to write) | `run --dry-run` (checks only) | ideal | dry run / ideal | CPU of `run --force` | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    // The last row: the 10,000 checks spread over 100 hosts (servers on 100 ports), ten
    // components a host.
    let hosts: Vec<SocketAddr> = (0..100).map(|_| keep_alive_target()).collect();
    for (checks, spread) in [
        (10, 1),
        (100, 1),
        (1_000, 1),
        (10_000, 1),
        (10_000, hosts.len()),
    ] {
        let file = dir.path().join(format!("http-{checks}-{spread}.toml"));
        let text = config_by(&cachet.url(), checks, |c| {
            let host = if spread == 1 {
                target
            } else {
                hosts[c % spread]
            };
            format!("type = \"http\"\nurl = \"http://{host}/\"")
        });
        std::fs::write(&file, text).unwrap();
        let file = file.to_str().unwrap();
        let jobs = JOBS.to_string();
        let base = ["-q", "--timeout", "60s", "-j", &jobs, "-c", file, "run"];
        let (wall, rss, cpu) = median_of(repeat, &[&base[..], &["--force"]].concat(), dir.path());
        let (read, _, _) = median_of(repeat, &base, dir.path());
        let (dry, _, _) = median_of(repeat, &[&base[..], &["--dry-run"]].concat(), dir.path());
        let ideal = checks.div_ceil(JOBS) as f64 * LATENCY.as_secs_f64();
        if std::env::var_os("SCALE_DEBUG").is_some() {
            let out = Command::new(BIN)
                .args([
                    "--format",
                    "json",
                    "--timeout",
                    "60s",
                    "-j",
                    &jobs,
                    "-c",
                    file,
                    "run",
                    "--dry-run",
                ])
                .output()
                .unwrap();
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let mut ms: Vec<f64> = report["components"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| {
                    c["checks"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|k| k["duration_ms"].as_f64().unwrap())
                })
                .collect();
            ms.sort_by(f64::total_cmp);
            eprintln!(
                "{checks}: check ms p50 {} p90 {} max {}",
                ms[ms.len() / 2],
                ms[ms.len() * 9 / 10],
                ms[ms.len() - 1]
            );
        }
        let hosts = if spread == 1 {
            String::new()
        } else {
            format!(" ({spread} hosts)")
        };
        println!(
            "| {checks}{hosts} | {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms | {:.2}x | {:.0} ms | {:.1} MiB |",
            checks.div_ceil(PER_COMPONENT),
            wall * 1000.0,
            read * 1000.0,
            dry * 1000.0,
            ideal * 1000.0,
            dry / ideal,
            cpu * 1000.0,
            rss as f64 / 1024.0
        );
    }

    let pki = support::tls::pki();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let tls_target = Server::start_tls(pki.server.clone(), |_| Response::new(200, "ok"));
    let tls = format!(
        "type = \"tls\"\naddress = \"{}\"\nsni = \"localhost\"\nca_file = \"{}\"\nwarn_before = \"14d\"",
        tls_target.addr,
        ca.display()
    );
    println!();
    println!(
        "TLS-expiry checks (full handshake and chain check each) against one loopback TLS server, --jobs {JOBS}, --dry-run; median of {repeat}"
    );
    println!();
    println!("| checks | wall | checks per second | CPU | peak RSS |");
    println!("|---|---|---|---|---|");
    for checks in [1_000, 2_000, 4_000] {
        let file = dir.path().join(format!("tls-{checks}.toml"));
        std::fs::write(&file, config(&cachet.url(), checks, &tls)).unwrap();
        let jobs = JOBS.to_string();
        let args = [
            "-q",
            "--timeout",
            "60s",
            "-j",
            &jobs,
            "-c",
            file.to_str().unwrap(),
            "run",
            "--dry-run",
        ];
        let (wall, rss, cpu) = median_of(repeat, &args, dir.path());
        println!(
            "| {checks} | {:.0} ms | {:.0} | {:.0} ms | {:.1} MiB |",
            wall * 1000.0,
            checks as f64 / wall,
            cpu * 1000.0,
            rss as f64 / 1024.0
        );
    }
}
