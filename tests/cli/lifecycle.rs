//! SPEC §4 (confirm), §6 (incidents, metric points), §7 (state dir, locks): several runs in a
//! row against the fake Cachet, with a target the test turns on and off between them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::{Cmd, Output};
use crate::support::http::{Response, Server, closed_port};
use crate::support::toml::{Toml, quoted};

/// A target whose `/a` and `/b` answer 200 or 503 as the test sets them (bit 0: a up, bit 1:
/// b up).
struct Target {
    server: Server,
    up: Arc<AtomicU8>,
}

impl Target {
    fn start() -> Target {
        let up = Arc::new(AtomicU8::new(0b11));
        let seen = up.clone();
        let server = Server::start(move |request| {
            let bit = if request.path() == "/a" { 1 } else { 2 };
            if seen.load(Ordering::SeqCst) & bit != 0 {
                Response::new(200, "ok")
            } else {
                Response::new(503, "down")
            }
        });
        Target { server, up }
    }

    /// 0b11 both up, 0b10 only b up, 0b00 both down.
    fn set(&self, up: u8) {
        self.up.store(up, Ordering::SeqCst);
    }
}

/// Component `api` (Cachet id 2) with checks `a` and `b` against `target`, and `extra` keys.
fn config(cachet_url: &str, target: &Target, extra: &str) -> String {
    let url = |path: &str| format!("url = {}", quoted(&target.server.url(path)));
    Toml::cachet(cachet_url)
        .component("api", 2)
        .raw(extra)
        .check(Some("a"), "http", &url("/a"))
        .check(Some("b"), "http", &url("/b"))
        .to_string()
}

/// One `run --format json` in `cmd`'s directory (and so its state dir).
fn run(cmd: &Cmd) -> (Output, Value) {
    let out = cmd.run();
    let json = out.json();
    (out, json)
}

fn json_cmd(config: &str) -> Cmd {
    Cmd::new()
        .config(config)
        .token(TOKEN)
        .args(["run", "--format", "json"])
}

fn incident_lifecycle(version: Version) {
    let target = Target::start();
    let cachet = FakeCachet::start(version).component(2, "API", 1);
    let cmd = json_cmd(&config(
        &cachet.url(),
        &target,
        "incident = { name = \"API degraded\", message = \"We are looking into it.\", notify = false }",
    ));

    // Healthy: no incident.
    let (_, report) = run(&cmd);
    assert!(
        report["components"][0].get("incident").is_none(),
        "{report}"
    );
    assert!(cachet.incidents().is_empty());

    // a fails: partial outage, an incident opened with the failure in its message.
    target.set(0b10);
    let (out, report) = run(&cmd);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(report["components"][0]["incident"], "opened #1", "{report}");
    let incidents = cachet.incidents();
    assert_eq!(incidents.len(), 1);
    let incident = &incidents[0];
    assert_eq!(
        (incident.name.as_str(), incident.status),
        ("API degraded", 1)
    );
    assert_eq!(
        (incident.component_id, incident.component_status),
        (Some(2), Some(3))
    );
    assert!(
        incident.visible,
        "visible is sent: 3.x hides incidents by default"
    );
    assert!(
        incident
            .message
            .starts_with("We are looking into it.\n\napi has a partial outage: a: HTTP 503"),
        "{}",
        incident.message
    );
    assert_eq!(cachet.get(2).status, 3);

    // Still failing the same way: nothing new.
    let (_, report) = run(&cmd);
    assert_eq!(report["components"][0]["incident"], "#1 open");
    assert_eq!(cachet.incidents().len(), 1);

    // Both fail: major outage, the incident records the change.
    target.set(0b00);
    let (_, report) = run(&cmd);
    assert_eq!(report["components"][0]["incident"], "updated #1");
    let incident = &cachet.incidents()[0];
    let change = match version {
        // 2.3 has no incident updates: the incident itself is rewritten.
        Version::V23 => incident.message.clone(),
        _ => incident.updates.last().unwrap().1.clone(),
    };
    assert!(
        change.starts_with("api now has a major outage: a: HTTP 503"),
        "{change}"
    );
    assert_eq!(cachet.get(2).status, 4);

    // Recovery: resolved (Fixed) and operational.
    target.set(0b11);
    let (out, report) = run(&cmd);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(report["components"][0]["incident"], "resolved #1");
    let incidents = cachet.incidents();
    assert_eq!(incidents.len(), 1, "never a second incident");
    assert_eq!(incidents[0].status, 4);
    assert_eq!(cachet.get(2).status, 1);
    if version == Version::V23 {
        assert!(incidents[0].visible, "2.3's PUT keeps the incident visible");
    } else {
        assert_eq!(incidents[0].updates.last().unwrap().0, 4);
    }

    // A later failure opens a new incident: the resolved one is not ours any more.
    target.set(0b10);
    let (_, report) = run(&cmd);
    assert_eq!(report["components"][0]["incident"], "opened #2");
}

#[test]
fn incidents_open_update_and_resolve_on_cachet_2_3() {
    incident_lifecycle(Version::V23);
}

#[test]
fn incidents_open_update_and_resolve_on_cachet_2_4() {
    incident_lifecycle(Version::V24);
}

#[test]
fn incidents_open_update_and_resolve_on_cachet_3() {
    incident_lifecycle(Version::V3);
}

// "Ours" is found on the server: a lost state dir or another host's incident is reused.
#[test]
fn an_open_incident_on_the_server_is_reused_not_duplicated() {
    let target = Target::start();
    target.set(0b10);
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 3);
    let existing = cachet.add_incident("API degraded", 2, 1);
    let other = cachet.add_incident("Something else", 2, 1);
    let cmd = json_cmd(&config(
        &cachet.url(),
        &target,
        "incident = { name = \"API degraded\" }",
    ));
    let (_, report) = run(&cmd);
    assert_eq!(
        report["components"][0]["incident"],
        format!("#{existing} open")
    );
    assert_eq!(cachet.incidents().len(), 2);
    target.set(0b11);
    let (_, report) = run(&cmd);
    assert_eq!(
        report["components"][0]["incident"],
        format!("resolved #{existing}")
    );
    let still_open: Vec<u64> = cachet
        .incidents()
        .iter()
        .filter(|i| i.status < 4)
        .map(|i| i.id)
        .collect();
    assert_eq!(still_open, [other], "only our incident is resolved");
}

// Two hosts (two state dirs) failing at the same moment end with one open incident.
#[test]
fn concurrent_runs_never_leave_a_duplicate_incident() {
    let target = Target::start();
    target.set(0b00);
    let cachet = FakeCachet::start(Version::V3).component(2, "API", 1);
    let config = config(
        &cachet.url(),
        &target,
        "incident = { name = \"API degraded\" }",
    );
    for _ in 0..3 {
        let hosts: Vec<Cmd> = (0..4).map(|_| json_cmd(&config)).collect();
        let children: Vec<_> = hosts.iter().map(Cmd::spawn).collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert_eq!(
                output.status.code(),
                Some(2),
                "{}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
    }
    let open: Vec<_> = cachet
        .incidents()
        .into_iter()
        .filter(|i| i.status < 4)
        .collect();
    assert_eq!(open.len(), 1, "{open:?}");
}

#[test]
fn confirm_holds_a_worse_status_and_recovery_is_at_once() {
    let target = Target::start();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let cmd = json_cmd(&config(&cachet.url(), &target, "confirm = 3"));
    target.set(0b10);
    for run_number in 1..=2 {
        let (out, report) = run(&cmd);
        assert_eq!(out.code, 2, "the exit still tells the computed status");
        assert_eq!(
            report["components"][0]["held"],
            format!(
                "{run_number} of 3 runs computed partial outage (confirm = 3); Cachet keeps showing operational"
            )
        );
        assert_eq!(report["components"][0]["pushed"], false);
        assert_eq!(cachet.get(2).status, 1);
    }
    let (_, report) = run(&cmd);
    assert!(report["components"][0].get("held").is_none());
    assert_eq!(cachet.get(2).status, 3, "pushed on the third run");
    target.set(0b11);
    let (_, report) = run(&cmd);
    assert_eq!(report["components"][0]["written"], true);
    assert_eq!(cachet.get(2).status, 1, "recovery at once");
    // A failure, a pass, a failure: the count starts again.
    for up in [0b10, 0b11, 0b10] {
        target.set(up);
        run(&cmd);
    }
    assert_eq!(cachet.get(2).status, 1);
    // --force pushes at once.
    let forced = json_cmd(&config(&cachet.url(), &target, "confirm = 3")).args(["--force"]);
    forced.run();
    assert_eq!(cachet.get(2).status, 3);
}

#[test]
fn metric_points_are_spooled_through_an_outage_and_delivered_in_order() {
    let target = Target::start();
    let cachet = FakeCachet::start(Version::V24)
        .component(2, "API", 1)
        .metric(7);
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().display().to_string();
    let up =
        json_cmd(&config(&cachet.url(), &target, "metric = 7")).env("STATE_DIRECTORY", &state_dir);
    let before = now();
    let (_, report) = run(&up);
    let metric = &report["components"][0]["metric"];
    assert_eq!(
        (metric["delivered"].as_u64(), metric["spooled"].as_u64()),
        (Some(1), Some(0)),
        "{report}"
    );
    assert_eq!(cachet.points(7).len(), 1);

    // Cachet down: two runs, their points kept. The run is UNKNOWN, the point is not lost.
    let down_url = format!("http://127.0.0.1:{}", closed_port());
    let down =
        json_cmd(&config(&down_url, &target, "metric = 7")).env("STATE_DIRECTORY", &state_dir);
    for spooled in 1..=2 {
        let (out, report) = run(&down);
        assert_eq!(out.code, 3);
        assert_eq!(report["components"][0]["metric"]["spooled"], spooled);
    }
    // Cachet answering 503 to points only: kept too.
    cachet.script(
        "POST",
        "/api/v1/metrics/7/points",
        Response::new(503, "<html>Service Unavailable</html>"),
    );
    let (_, report) = run(&up);
    assert_eq!(report["components"][0]["metric"]["spooled"], 3, "{report}");
    assert_eq!(cachet.points(7).len(), 1);

    // Back: everything delivered, oldest first, each with the time it was measured.
    let (_, report) = run(&up);
    let after = now();
    assert_eq!(
        report["components"][0]["metric"]["delivered"], 4,
        "{report}"
    );
    assert_eq!(report["components"][0]["metric"]["spooled"], 0);
    let points = cachet.points(7);
    assert_eq!(points.len(), 5);
    let stamps: Vec<i64> = points.iter().map(|(_, t)| *t).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");
    assert!(
        stamps.iter().all(|t| (before..=after).contains(t)),
        "{stamps:?}"
    );
    assert!(points.iter().all(|(v, _)| *v >= 0.0));
}

#[test]
fn a_point_cachet_rejects_is_dropped_not_retried_forever() {
    let target = Target::start();
    let cachet = FakeCachet::start(Version::V3).component(2, "API", 1);
    let cmd = json_cmd(&config(&cachet.url(), &target, "metric = 99"));
    let (_, report) = run(&cmd);
    let metric = &report["components"][0]["metric"];
    assert_eq!(metric["dropped"], 1, "{report}");
    assert!(
        metric["error"].as_str().unwrap().contains("metric 99"),
        "{report}"
    );
    let (_, report) = run(&cmd);
    assert_eq!(
        report["components"][0]["metric"]["dropped"], 1,
        "only this run's point"
    );
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// SPEC §7: a second run on the same component does not run it, and names the holder.
#[test]
fn a_held_lock_stops_a_second_run_and_a_killed_holder_does_not_block() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let slow = "[[components.api.checks]]\nname = \"slow\"\ntype = \"exec\"\ncommand = [\"sleep\", \"3\"]\n";
    let config = format!(
        "[cachet]\nurl = \"{}\"\n[components.api]\nid = 2\n{slow}",
        cachet.url()
    );
    let cmd = Cmd::new().config(&config).token(TOKEN).args(["run"]);
    let mut holder = cmd.spawn();
    // Wait until the holder has the lock (its pid is written once it holds it).
    let lock = cmd.dir().join("state/component-api.lock");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != holder.id().to_string() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the first run never took the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = cmd.run();
    assert_eq!(second.code, 3, "{second:?}");
    assert!(
        second.stderr.contains(&format!(
            "component `api` is being run by cachet-check process {}",
            holder.id()
        )),
        "{}",
        second.stderr
    );
    assert!(
        second
            .summary()
            .starts_with("CACHET-CHECK UNKNOWN - component `api` is being run by")
    );
    // kill -9 the holder: the kernel drops its lock with it.
    holder.kill().unwrap();
    holder.wait().unwrap();
    let fast = config.replace("[\"sleep\", \"3\"]", "[\"true\"]");
    let next = Cmd::new().config(&fast).token(TOKEN).args(["run"]);
    let next = next
        .env(
            "STATE_DIRECTORY",
            &cmd.dir().join("state").display().to_string(),
        )
        .run();
    assert_eq!(next.code, 0, "{next:?}");
}

// SPEC §6: the detected API line is kept in the state dir; `api = "auto"` asks once.
#[test]
fn the_detected_api_line_is_cached_between_runs() {
    let target = Target::start();
    let cachet = FakeCachet::start(Version::V3).component(2, "API", 1);
    let cmd = json_cmd(&config(&cachet.url(), &target, ""));
    for _ in 0..3 {
        assert_eq!(cmd.run().code, 0);
    }
    let pings = cachet
        .requests()
        .iter()
        .filter(|r| r.path().ends_with("/ping"))
        .count();
    assert_eq!(
        pings, 2,
        "one run asked /api/v1/ping then /api/ping; the others asked nothing"
    );
    let cached = std::fs::read_to_string(cmd.dir().join("state/cachet.json")).unwrap();
    assert!(cached.contains("\"api\": \"3\""), "{cached}");
}

// SPEC §7: a corrupt state file is reported and set aside; the run goes on.
#[test]
fn a_corrupt_state_file_is_set_aside() {
    let target = Target::start();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let cmd = json_cmd(&config(&cachet.url(), &target, "confirm = 2"));
    std::fs::create_dir_all(cmd.dir().join("state")).unwrap();
    std::fs::write(
        cmd.dir().join("state/component-api.json"),
        b"\x00\x01garbage",
    )
    .unwrap();
    let out = cmd.run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("set aside as"), "{}", out.stderr);
    // The garbage is kept aside for a person to look at ...
    let aside: Vec<_> = std::fs::read_dir(cmd.dir().join("state"))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("component-api.corrupt-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(std::fs::read(aside[0].path()).unwrap(), b"\x00\x01garbage");
    // ... and the component starts afresh: a fresh state has nothing to write, so no file
    // until something (here a confirm count) needs keeping.
    assert!(!cmd.dir().join("state/component-api.json").exists());
    target.set(0b00);
    let (_, report) = run(&cmd);
    assert!(report["components"][0]["held"].is_string(), "{report}");
    let state = std::fs::read_to_string(cmd.dir().join("state/component-api.json")).unwrap();
    assert!(
        state.contains("\"version\": 1") && state.contains("\"worse_runs\": 1"),
        "{state}"
    );
}

// SPEC §7: SIGINT/SIGTERM end the run within a second, exit 3, plugins killed, state intact.
#[test]
fn sigterm_and_sigint_end_a_run_at_once_and_kill_its_plugins() {
    for signal in ["TERM", "INT"] {
        let cachet = FakeCachet::start(Version::V24)
            .component(2, "API", 1)
            .metric(7);
        let cmd = Cmd::new();
        let pid_file = cmd.dir().join("plugin.pid");
        let plugin = cmd.script(
            "slow-plugin",
            &format!("echo $$ > {}\nexec sleep 30\n", pid_file.display()),
        );
        let config = format!(
            "[cachet]\nurl = \"{}\"\n[components.api]\nid = 2\nmetric = 7\nconfirm = 2\n\
             [[components.api.checks]]\nname = \"slow\"\ntype = \"exec\"\ncommand = [\"{plugin}\"]\ntimeout = \"60s\"\n",
            cachet.url()
        );
        let cmd = cmd
            .config(&config)
            .token(TOKEN)
            .args(["run", "--timeout", "90s"]);
        let child = cmd.spawn();
        let started = std::time::Instant::now();
        while !pid_file.exists() && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let plugin_pid = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .to_owned();
        let signalled = std::time::Instant::now();
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        assert!(
            signalled.elapsed() < Duration::from_secs(1),
            "took {:?}",
            signalled.elapsed()
        );
        assert_eq!(output.status.code(), Some(3));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            stdout.lines().next(),
            Some(format!("CACHET-CHECK UNKNOWN - interrupted by SIG{signal}").as_str())
        );
        // The plugin went with the run (gone, or a zombie waiting for its reaper).
        std::thread::sleep(Duration::from_millis(100));
        let alive = std::fs::read_to_string(format!("/proc/{plugin_pid}/stat"))
            .is_ok_and(|stat| !stat.contains(") Z "));
        assert!(!alive, "plugin {plugin_pid} outlived the run");
        assert!(cachet.writes().is_empty(), "nothing half-pushed");
        // The next run finds a consistent state dir and no lock left behind.
        let quick = config.replace(&format!("[\"{plugin}\"]"), "[\"true\"]");
        let next = Cmd::new()
            .config(&quick)
            .token(TOKEN)
            .env(
                "STATE_DIRECTORY",
                &cmd.dir().join("state").display().to_string(),
            )
            .args(["run"])
            .run();
        assert_eq!(next.code, 0, "{next:?}");
        assert!(!next.stderr.contains("set aside"), "{}", next.stderr);
    }
}

// SPEC §9: -v says what became of the incident, the point and a held status.
#[test]
fn verbose_text_tells_the_incident_the_point_and_a_held_status() {
    let target = Target::start();
    target.set(0b10);
    let cachet = FakeCachet::start(Version::V24)
        .component(2, "API", 1)
        .metric(7);
    let config = config(
        &cachet.url(),
        &target,
        "metric = 7\nconfirm = 2\nincident = { name = \"API degraded\" }",
    );
    let cmd = Cmd::new().config(&config).token(TOKEN).args(["run", "-v"]);
    let first = cmd.run();
    assert!(
        first.stdout.contains("  api (#2): partial outage not pushed yet: 1 of 2 runs computed partial outage (confirm = 2); Cachet keeps showing operational\n"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .contains(" ms, 1 delivered, 0 kept for the next run\n")
            && first.stdout.contains("  api (#2): metric 7: "),
        "{}",
        first.stdout
    );
    let second = cmd.run();
    assert!(
        second
            .stdout
            .contains("  api (#2): set to partial outage (was operational)\n"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("  api (#2): incident opened #1\n"),
        "{}",
        second.stdout
    );
}

// SPEC §7: without a usable state dir, a run that needs none still pushes; one that needs it
// (confirm, metric, state_dir) says what to fix.
#[test]
fn an_unusable_state_dir_is_a_warning_or_an_error_by_need() {
    let target = Target::start();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 4);
    let cmd = Cmd::new();
    let file = cmd.write("not-a-dir", "x");
    let blocked = format!("{}/state", file.display());
    let plain = cmd
        .config(&config(&cachet.url(), &target, ""))
        .token(TOKEN)
        .env("STATE_DIRECTORY", &blocked)
        .args(["run"]);
    let out = plain.run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("running without one: no lock, no cached API line"),
        "{}",
        out.stderr
    );
    assert_eq!(cachet.get(2).status, 1);

    let needs = Cmd::new()
        .config(&config(&cachet.url(), &target, "metric = 7"))
        .token(TOKEN)
        .env("STATE_DIRECTORY", &blocked)
        .args(["run"]);
    let out = needs.run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.summary()
            .starts_with("CACHET-CHECK UNKNOWN - STATE_DIRECTORY: creating state directory"),
        "{}",
        out.stdout
    );
}
