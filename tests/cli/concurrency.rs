//! SPEC §7 under load: many runs of one component at once, and runs killed at random points.

use std::time::{Duration, Instant};

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::Cmd;
use crate::support::http::{Response, Server};
use crate::support::toml::{Toml, quoted};

/// A failing target, a Cachet 2.4 with component 2 and metric 1, and `run` of component `api`:
/// a plugin that takes `plugin_seconds` and an HTTP check of the target, with an incident, a
/// metric and `confirm = 2`, all in the command's own state dir.
fn setup(plugin_seconds: &str) -> (Server, FakeCachet, Cmd) {
    let target = Server::start(|_| Response::new(503, "down"));
    let cachet = FakeCachet::start(Version::V24)
        .component(2, "API", 1)
        .metric(1);
    let cmd = Cmd::new().token(TOKEN);
    let toml = config(&cmd, &cachet, &target, plugin_seconds);
    let cmd = cmd.config(&toml).args(["run"]);
    (target, cachet, cmd)
}

fn config(cmd: &Cmd, cachet: &FakeCachet, target: &Server, plugin_seconds: &str) -> String {
    let plugin = cmd.script("slow", &format!("sleep {plugin_seconds}; echo OK; exit 0"));
    Toml::cachet(&cachet.url())
        .component("api", 2)
        .key("confirm", "2")
        .key("metric", "1")
        .key("incident", "{ name = \"API down\" }")
        .check(
            Some("slow"),
            "exec",
            &format!("command = [{}]", quoted(&plugin)),
        )
        .http(Some("web"), &target.url("/"))
        .to_string()
}

/// The incidents not resolved (Fixed is 4).
fn open_incidents(cachet: &FakeCachet) -> usize {
    cachet.incidents().iter().filter(|i| i.status != 4).count()
}

fn state_is_whole(cmd: &Cmd) {
    let path = cmd.dir().join("state/component-api.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let state: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(state["version"], 1, "{text}");
    }
    // A run killed before it made the state dir leaves none: nothing to judge then.
    let Ok(entries) = std::fs::read_dir(cmd.dir().join("state")) else {
        return;
    };
    let leftovers: Vec<_> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".corrupt-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// 50 runs of one component at the same time: each either runs it or says another run holds
// the lock (exit 3); the state file stays whole and at most one incident is open.
#[test]
fn fifty_simultaneous_runs_respect_the_lock() {
    let (_target, cachet, cmd) = setup("0.5");
    let children: Vec<_> = (0..50).map(|_| cmd.spawn()).collect();
    let mut ran = 0;
    let mut refused = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(3) if stderr.contains("is being run by") => refused += 1,
            Some(2) => ran += 1,
            other => panic!("exit {other:?}: {stderr}"),
        }
    }
    assert_eq!(ran + refused, 50);
    assert!(ran >= 1, "some run got the lock");
    assert!(refused >= 1, "runs overlapped, so some were refused");
    state_is_whole(&cmd);
    assert!(open_incidents(&cachet) <= 1, "{:?}", cachet.incidents());
}

// kill -9 at random points of runs that write state, open incidents and post points: the next
// run finds a consistent state dir and does its job.
#[test]
fn runs_killed_at_random_points_leave_a_state_the_next_run_uses() {
    let (_target, cachet, cmd) = setup("0");
    // A fixed pseudo-random sequence of kill times (0-40 ms), printed for reproduction.
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for round in 0..20 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let after = Duration::from_micros(seed % 40_000);
        let mut child = cmd.spawn();
        let started = Instant::now();
        while started.elapsed() < after {
            std::thread::sleep(Duration::from_micros(500));
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        state_is_whole(&cmd);
        let _ = round;
    }
    let out = cmd.run();
    assert_eq!(out.code, 2, "{out:?}");
    let out = cmd.run();
    assert_eq!(out.code, 2, "{out:?}");
    // One of two checks fails: partial outage, pushed once confirmed.
    assert_eq!(cachet.get(2).status, 3, "confirmed outage pushed: {out:?}");
    state_is_whole(&cmd);
    assert_eq!(open_incidents(&cachet), 1, "{:?}", cachet.incidents());
}
