//! SPEC §8: `cachet-check monit` for Monit's exec action, from the environment Monit sets, and
//! driven by a real Monit.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::{BIN, Cmd};
use crate::support::http::{Response, closed_port};
use crate::support::toml::Toml;

/// A config whose `web` component Monit drives (no checks), plus `api` with a check.
fn config(cachet: &str, web: &str) -> String {
    Toml::cachet(cachet)
        .component("web", 2)
        .key("monit_service", "\"nginx\"")
        .raw(web)
        .component("api", 3)
        .check(
            None,
            "tcp",
            &format!("address = \"127.0.0.1:{}\"", closed_port()),
        )
        .to_string()
}

fn monit_cmd(cachet: &FakeCachet, web: &str) -> Cmd {
    Cmd::new()
        .config(&config(&cachet.url(), web))
        .token(TOKEN)
        .env("MONIT_SERVICE", "nginx")
        .env("MONIT_HOST", "web1")
}

/// The component's undelivered push; null when none (no state file is one: nothing to keep).
fn pending(cmd: &Cmd, key: &str) -> serde_json::Value {
    let path = cmd.dir().join(format!("state/component-{key}.json"));
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str::<serde_json::Value>(&text).unwrap()["pending"].clone(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => serde_json::Value::Null,
        Err(error) => panic!("{path:?}: {error}"),
    }
}

// SPEC §8: without --status the event decides: a failure pushes `monit_status` (default
// partial), its recovery operational; the component is found by MONIT_SERVICE.
#[test]
fn events_and_their_recoveries_move_the_component() {
    for (web, failure) in [("", 3), ("monit_status = \"major\"", 4)] {
        let cachet = FakeCachet::start(Version::V24)
            .component(2, "Web", 1)
            .component(3, "API", 1);
        for (failed, recovered) in [
            ("Connection failed", "Connection succeeded"),
            ("Does not exist", "Exists"),
            ("Status failed", "Status succeeded"),
            ("Timeout", "Timeout recovery"),
            ("Resource limit matched", "Resource limit succeeded"),
            ("Checksum changed", "Checksum not changed"),
        ] {
            let out = monit_cmd(&cachet, web)
                .env("MONIT_EVENT", failed)
                .args(["monit"])
                .run();
            assert_eq!(out.code, 0, "{failed}: {out:?}");
            assert_eq!(cachet.get(2).status, failure, "{failed}");
            let out = monit_cmd(&cachet, web)
                .env("MONIT_EVENT", recovered)
                .args(["monit"])
                .run();
            assert_eq!(out.code, 0, "{recovered}: {out:?}");
            assert_eq!(cachet.get(2).status, 1, "{recovered}");
            let was = if failure == 3 {
                "partial outage"
            } else {
                "major outage"
            };
            assert_eq!(
                out.stdout,
                format!("web (#2): set to operational (was {was})\n")
            );
        }
        // The other component was never touched.
        assert_eq!(cachet.get(3).status, 1);
    }
}

// SPEC §8: --status wins over the event (the recommended form), and the component may be named.
#[test]
fn an_explicit_status_wins_over_the_event() {
    let cachet = FakeCachet::start(Version::V3).component(2, "Web", 1);
    let out = monit_cmd(&cachet, "")
        .env("MONIT_EVENT", "Connection succeeded")
        .args([
            "monit",
            "web",
            "--status",
            "performance",
            "--format",
            "json",
        ])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(cachet.get(2).status, 2);
    let report = out.json();
    assert_eq!(report["components"][0]["status"], "performance_issues");
    assert_eq!(report["components"][0]["written"], true);
    assert_eq!(
        report["components"][0]["checks"][0]["detail"],
        "Connection succeeded"
    );
}

// SPEC §8: works with no config at all when a component id is given (set-style use).
#[test]
fn env_only_use_with_a_component_id() {
    let cachet = FakeCachet::start(Version::V24).component(7, "Mail", 1);
    let out = Cmd::new()
        .env("CACHET_URL", &cachet.url())
        .token(TOKEN)
        .env("MONIT_SERVICE", "postfix")
        .env("MONIT_EVENT", "Connection failed")
        .args(["monit", "7"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(cachet.get(7).status, 3);
    assert_eq!(
        out.stdout,
        "Mail (#7): set to partial outage (was operational)\n"
    );
    // Without a config, MONIT_SERVICE alone cannot name a component.
    let out = Cmd::new()
        .env("CACHET_URL", &cachet.url())
        .token(TOKEN)
        .env("MONIT_SERVICE", "postfix")
        .env("MONIT_EVENT", "Connection failed")
        .args(["monit"])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("MONIT_SERVICE is `postfix`"),
        "{}",
        out.stderr
    );
}

// SPEC §8: an event it does not know is an error naming it; so is one that says nothing about
// health; neither MONIT_EVENT nor --status is a usage error. Nothing is written.
#[test]
fn unknown_events_and_missing_input_are_errors() {
    let cachet = FakeCachet::start(Version::V24).component(2, "Web", 1);
    for (event, expected) in [
        (
            Some("Connection flapping"),
            "Monit event `Connection flapping` is not one cachet-check knows: pass --status",
        ),
        (
            Some("Action done"),
            "Monit event `Action done` says nothing about the service's health",
        ),
        (None, "usage: neither --status nor MONIT_EVENT is set"),
    ] {
        let mut cmd = monit_cmd(&cachet, "");
        if let Some(event) = event {
            cmd = cmd.env("MONIT_EVENT", event);
        }
        let out = cmd.args(["monit"]).run();
        assert_eq!(out.code, 3, "{event:?}: {out:?}");
        assert!(out.stderr.contains(expected), "{event:?}: {}", out.stderr);
        assert!(
            out.summary().starts_with("CACHET-CHECK UNKNOWN - "),
            "{}",
            out.stdout
        );
    }
    // A service no component claims.
    let out = monit_cmd(&cachet, "")
        .env("MONIT_SERVICE", "haproxy")
        .env("MONIT_EVENT", "Connection failed")
        .args(["monit"])
        .run();
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("no component of")
            && out.stderr.contains("has `monit_service = \"haproxy\"`"),
        "{}",
        out.stderr
    );
    assert!(cachet.writes().is_empty(), "{:?}", cachet.writes());
}

// SPEC §8: a push that fails is retried with backoff within --timeout.
#[test]
fn a_failing_push_is_retried_within_the_timeout() {
    let cachet = FakeCachet::start(Version::V24).component(2, "Web", 1);
    // More 503s than one request's own retries absorb: the whole push is tried again.
    for _ in 0..6 {
        cachet.script("GET", "/api/v1/ping", Response::new(503, "busy"));
    }
    let out = monit_cmd(&cachet, "")
        .env("MONIT_EVENT", "Connection failed")
        .args(["monit", "--timeout", "20s", "-vv"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(cachet.get(2).status, 3);
    assert!(out.stderr.contains("trying again in"), "{}", out.stderr);
}

// SPEC §8: still undelivered at the deadline, the push is kept in the state dir and the next
// invocation for the component replaces it; exit 3 says the computed status.
#[test]
fn an_undelivered_push_is_kept_and_replaced_by_the_next_invocation() {
    let down = format!("http://127.0.0.1:{}", closed_port());
    let cmd = Cmd::new()
        .config(&config(&down, ""))
        .token(TOKEN)
        .env("MONIT_SERVICE", "nginx")
        .env("MONIT_EVENT", "Connection failed")
        .env(
            "MONIT_DESCRIPTION",
            "failed protocol test [HTTP] at [localhost]:80",
        )
        .args(["monit", "--timeout", "2s"]);
    let out = cmd.run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.summary().starts_with("CACHET-CHECK UNKNOWN - kept in"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("pushing partial outage to `web`")
            && out.stderr.contains("cannot reach Cachet"),
        "{}",
        out.stderr
    );
    assert!(out.elapsed < Duration::from_secs(4), "{:?}", out.elapsed);
    let kept = pending(&cmd, "web");
    assert_eq!(kept["status"], 3);
    assert_eq!(
        kept["event"],
        "Connection failed: failed protocol test [HTTP] at [localhost]:80"
    );

    // Cachet is back: the next event for the component is delivered and replaces it.
    let cachet = FakeCachet::start(Version::V24).component(2, "Web", 1);
    std::fs::write(cmd.dir().join("config.toml"), config(&cachet.url(), "")).unwrap();
    let out = Cmd::new()
        .args(["-c", &cmd.dir().join("config.toml").display().to_string()])
        .token(TOKEN)
        .env(
            "STATE_DIRECTORY",
            &cmd.dir().join("state").display().to_string(),
        )
        .env("MONIT_SERVICE", "nginx")
        .env("MONIT_EVENT", "Connection failed")
        .args(["monit"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(cachet.get(2).status, 3);
    assert!(
        out.stdout.contains(
            "web (#2): replaces an undelivered partial outage (Connection failed: failed protocol test [HTTP] at [localhost]:80) from "
        ),
        "{}",
        out.stdout
    );
    assert!(pending(&cmd, "web").is_null());
}

// SPEC §8: a refused token is not kept (another try cannot help), and says what to fix.
#[test]
fn a_refused_push_is_not_kept() {
    let cachet = FakeCachet::start(Version::V24).component(2, "Web", 1);
    let cmd = Cmd::new()
        .config(&config(&cachet.url(), ""))
        .token("wrong-token")
        .env("MONIT_SERVICE", "nginx")
        .env("MONIT_EVENT", "Connection failed")
        .args(["monit"]);
    let out = cmd.run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(!out.stderr.contains("kept in"), "{}", out.stderr);
    assert!(pending(&cmd, "web").is_null());
}

// SPEC §8: MONIT_DESCRIPTION goes into the incident message; the recovery resolves it.
#[test]
fn the_description_goes_into_the_incident() {
    let cachet = FakeCachet::start(Version::V24).component(2, "Web", 1);
    let web = "incident = { name = \"Web down\" }";
    let out = monit_cmd(&cachet, web)
        .env("MONIT_EVENT", "Connection failed")
        .env(
            "MONIT_DESCRIPTION",
            "failed protocol test [HTTP] at [localhost]:80 -- Connection refused",
        )
        .args(["monit"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let incidents = cachet.incidents();
    assert_eq!(incidents.len(), 1);
    assert!(
        incidents[0].message.contains(
            "monit nginx: Connection failed: failed protocol test [HTTP] at [localhost]:80 -- Connection refused"
        ),
        "{}",
        incidents[0].message
    );
    assert!(
        out.stdout.contains("web (#2): incident opened #1"),
        "{}",
        out.stdout
    );
    let out = monit_cmd(&cachet, web)
        .env("MONIT_EVENT", "Connection succeeded")
        .args(["monit"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(cachet.incidents()[0].status, 4, "resolved (Fixed)");
    assert_eq!(cachet.get(2).status, 1);
}

// SPEC §7/§8: Monit never retries, so `monit` waits for a run holding the component's lock
// instead of giving up, and its status lands after the run's.
#[test]
fn monit_waits_for_a_run_holding_the_lock() {
    let cachet = FakeCachet::start(Version::V24).component(2, "Web", 1);
    let cmd = Cmd::new().token(TOKEN);
    let plugin = cmd.script("slow", "sleep 1; echo OK; exit 0");
    let toml = format!(
        "[cachet]\nurl = \"{}\"\n[components.web]\nid = 2\nmonit_service = \"nginx\"\n\
         [[components.web.checks]]\ntype = \"exec\"\ncommand = [\"{plugin}\"]\n",
        cachet.url()
    );
    let cmd = cmd.config(&toml);
    let mut run = Cmd::new()
        .args(["-c", &cmd.dir().join("config.toml").display().to_string()])
        .token(TOKEN)
        .env(
            "STATE_DIRECTORY",
            &cmd.dir().join("state").display().to_string(),
        )
        .args(["run"])
        .spawn();
    let lock = cmd.dir().join("state/component-web.lock");
    let started = Instant::now();
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != run.id().to_string() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the run never took the lock"
        );
        thread::sleep(Duration::from_millis(10));
    }
    let out = cmd
        .env("MONIT_SERVICE", "nginx")
        .env("MONIT_EVENT", "Connection failed")
        .args(["monit"])
        .run();
    assert!(run.wait().unwrap().success());
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.elapsed > Duration::from_millis(500),
        "{:?}",
        out.elapsed
    );
    assert_eq!(cachet.get(2).status, 3, "Monit's status is the last word");
}

// `run` leaves components only Monit drives alone, and says so when one is named.
#[test]
fn run_skips_monit_only_components() {
    let cachet = FakeCachet::start(Version::V24)
        .component(2, "Web", 1)
        .component(3, "API", 1);
    let out = monit_cmd(&cachet, "").args(["run"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    // api's one check fails: major outage (SPEC §4); web is left as it was.
    assert_eq!((cachet.get(2).status, cachet.get(3).status), (1, 4));
    let out = monit_cmd(&cachet, "").args(["run", "web"]).run();
    assert_eq!(out.code, 3);
    assert!(
        out.stderr
            .contains("`web` has no checks to run: Monit drives it (`monit_service = \"nginx\"`)"),
        "{}",
        out.stderr
    );
}

// --dry-run reads Cachet and says what it would write, writing nothing.
#[test]
fn dry_run_writes_nothing() {
    let cachet = FakeCachet::start(Version::V24).component(2, "Web", 1);
    let out = monit_cmd(&cachet, "")
        .env("MONIT_EVENT", "Connection failed")
        .args(["monit", "--dry-run"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "web (#2): would set partial outage (was operational) [dry run]\n"
    );
    assert!(cachet.writes().is_empty());
}

/// A TCP service the test starts and stops on one port.
struct Target {
    port: u16,
    running: Option<Arc<AtomicBool>>,
}

impl Target {
    fn start() -> Target {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut target = Target {
            port,
            running: None,
        };
        target.up();
        target
    }

    fn up(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        thread::spawn(move || {
            while flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => drop(stream),
                    Err(_) => thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        self.running = Some(running);
    }

    fn down(&mut self) {
        if let Some(running) = self.running.take() {
            running.store(false, Ordering::SeqCst);
        }
        // The listener is closed once its thread sees the flag.
        thread::sleep(Duration::from_millis(100));
    }
}

/// A Monit daemon in the foreground with its own control file; killed when dropped.
struct Monit(Child);

impl Monit {
    fn start(dir: &Path, checks: &str) -> Monit {
        use std::os::unix::fs::PermissionsExt;
        let d = dir.display();
        let control = dir.join("monitrc");
        std::fs::write(
            &control,
            format!(
                "set daemon 1\nset logfile {d}/monit.log\nset pidfile {d}/monit.pid\n\
                 set idfile {d}/monit.id\nset statefile {d}/monit.state\n{checks}"
            ),
        )
        .unwrap();
        // Monit refuses a control file others can read.
        std::fs::set_permissions(&control, std::fs::Permissions::from_mode(0o600)).unwrap();
        let child = Command::new("monit")
            .args(["-I", "-c"])
            .arg(&control)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("monit (Debian package monit) is installed");
        Monit(child)
    }
}

impl Drop for Monit {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, dir: &Path, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{what} did not happen within 20 s; monit.log:\n{}",
            std::fs::read_to_string(dir.join("monit.log")).unwrap_or_default()
        );
        thread::sleep(Duration::from_millis(100));
    }
}

// SPEC §8 with a real Monit: `exec` on failed/succeeded (with --status, and from the event
// text alone) moves the components down and up again; `check program` runs `cachet-check run`
// and reads its exit code.
#[test]
#[ignore = "needs monit"]
fn real_monit_drives_cachet_check() {
    let cachet = FakeCachet::start(Version::V24)
        .component(2, "Web", 1)
        .component(3, "Web events", 1)
        .component(4, "Web program", 1);
    let mut target = Target::start();
    let cmd = Cmd::new();
    let dir = cmd.dir().to_owned();
    let token = cmd.write("token", TOKEN);
    let d = dir.display();
    // Monit runs programs with a bare environment: everything comes from the config.
    let config = cmd.write(
        "config.toml",
        &format!(
            "state_dir = \"{d}/state\"\n[cachet]\nurl = \"{}\"\ntoken_file = \"{}\"\n\n\
             [components.web]\nid = 2\nmonit_service = \"web-explicit\"\n\n\
             [components.events]\nid = 3\nmonit_service = \"web-events\"\n\
             incident = {{ name = \"Web unreachable\" }}\n\n\
             [components.program]\nid = 4\n[[components.program.checks]]\ntype = \"tcp\"\n\
             address = \"127.0.0.1:{}\"\ntimeout = \"500ms\"\n",
            cachet.url(),
            token.display(),
            target.port
        ),
    );
    let cc = format!("{BIN} -c {}", config.display());
    let port = target.port;
    let record =
        format!("/bin/sh -c 'echo \"$MONIT_EVENT|$MONIT_DESCRIPTION\" >> {d}/program.log'");
    let _monit = Monit::start(
        &dir,
        &format!(
            "check host web-explicit with address 127.0.0.1\n\
             \x20 if failed port {port} type tcp then exec \"{cc} monit web --status partial\"\n\
             \x20 else if succeeded then exec \"{cc} monit web --status operational\"\n\
             check host web-events with address 127.0.0.1\n\
             \x20 if failed port {port} type tcp then exec \"{cc} monit\"\n\
             \x20 else if succeeded then exec \"{cc} monit\"\n\
             check program web-program with path \"{cc} -q run program\" with timeout 10 seconds\n\
             \x20 if status != 0 then exec \"{record}\"\n\
             \x20 else if succeeded then exec \"{record}\"\n"
        ),
    );
    let statuses = || {
        (
            cachet.get(2).status,
            cachet.get(3).status,
            cachet.get(4).status,
        )
    };
    // Monit's first cycles: everything is up and nothing is pushed.
    thread::sleep(Duration::from_secs(3));
    assert_eq!(statuses(), (1, 1, 1));

    target.down();
    // The program's one check fails: major outage (SPEC §4).
    wait_for("the outage reaching Cachet", &dir, || {
        statuses() == (3, 3, 4)
    });
    let log = || std::fs::read_to_string(dir.join("program.log")).unwrap_or_default();
    wait_for("Monit seeing run's exit code", &dir, || {
        log().contains("Status failed|")
    });
    assert!(
        log().contains("CACHET-CHECK CRITICAL - program: major outage"),
        "{}",
        log()
    );
    let incidents = cachet.incidents();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert!(
        incidents[0]
            .message
            .contains("monit web-events: Connection failed: failed protocol test"),
        "{}",
        incidents[0].message
    );

    target.up();
    wait_for("the recovery reaching Cachet", &dir, || {
        statuses() == (1, 1, 1)
    });
    wait_for("Monit seeing run succeed", &dir, || {
        log().contains("Status succeeded|")
    });
    assert_eq!(cachet.incidents()[0].status, 4, "the incident is resolved");
}

// SPEC §2: --force writes the status even when Cachet already shows it, for `monit` too.
#[test]
fn force_writes_what_cachet_already_shows() {
    let cachet = FakeCachet::start(Version::V24).component(2, "Web", 3);
    let out = monit_cmd(&cachet, "")
        .env("MONIT_EVENT", "Connection failed")
        .args(["monit"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "web (#2): Cachet already shows partial outage, nothing written\n"
    );
    assert!(cachet.writes().is_empty(), "{:?}", cachet.writes());
    let out = monit_cmd(&cachet, "")
        .env("MONIT_EVENT", "Connection failed")
        .args(["monit", "--force"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(cachet.writes().len(), 1, "{:?}", cachet.writes());
    assert_eq!(cachet.get(2).status, 3);
}
