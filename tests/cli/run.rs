//! SPEC §4, §6, §9: `run` end to end: real loopback targets, the fake Cachet, exit codes, output.

use std::time::Duration;

use serde_json::json;

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::{Cmd, Output};
use crate::support::http::{Response, Server, blackhole, closed_port};
use crate::support::toml::{Toml, quoted};

/// A config with `[cachet] url` and the given components.
fn config(cachet_url: &str, components: &str) -> String {
    Toml::cachet(cachet_url).raw(components).to_string()
}

/// Component `api` (Cachet id 2) with the given checks.
fn api(checks: &str) -> String {
    Toml::default().component("api", 2).raw(checks).to_string()
}

fn http_check(name: &str, url: &str, extra: &str) -> String {
    let keys = format!("url = {}\n{extra}", quoted(url));
    Toml::default()
        .of("api")
        .check(Some(name), "http", &keys)
        .to_string()
}

/// A target answering 200 "ok" on /ok, 503 on /down, slowly on /slow.
fn target() -> Server {
    Server::start(|request| match request.path() {
        "/ok" => Response::new(200, "{\"ok\": true}"),
        "/down" => Response::new(503, "maintenance"),
        "/slow" => Response::new(200, "ok").delay(Duration::from_millis(300)),
        _ => Response::new(404, "not found"),
    })
}

fn run(cachet: &FakeCachet, components: &str, args: &[&str]) -> Output {
    Cmd::new()
        .config(&config(&cachet.url(), components))
        .token(TOKEN)
        .args(["run"])
        .args(args)
        .run()
}

fn puts(cachet: &FakeCachet) -> Vec<serde_json::Value> {
    cachet
        .writes()
        .iter()
        .map(|request| {
            assert_eq!(request.method, "PUT");
            serde_json::from_str(&request.body).unwrap()
        })
        .collect()
}

// SPEC §4 row 5, §3 exit 0: every check passes → operational, pushed.
#[test]
fn all_passing_is_operational_and_pushed() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 4);
    let checks = http_check(
        "health",
        &target.url("/ok"),
        "  expect_body_regex = '\"ok\"\\s*:\\s*true'",
    ) + &http_check("home", &target.url("/ok"), "");
    let out = run(&cachet, &api(&checks), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK OK - api: operational (all 2 checks passed) | 'api/health'=Ns 'api/home'=Ns"
    );
    assert_eq!(cachet.get(2).status, 1);
    assert_eq!(puts(&cachet), [json!({"status": 1, "enabled": true})]);
    let write = &cachet.writes()[0];
    assert_eq!(write.path(), "/api/v1/components/2");
    assert_eq!(write.header("X-Cachet-Token"), Some(TOKEN));
    assert_eq!(write.header("Content-Type"), Some("application/json"));
}

// SPEC §4 row 3: a failing check among passing ones → partial outage, exit 2.
#[test]
fn one_failure_among_passes_is_partial_outage() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let checks = http_check("health endpoint", &target.url("/down"), "")
        + &http_check("a", &target.url("/ok"), "")
        + &http_check("b", &target.url("/ok"), "");
    let out = run(&cachet, &api(&checks), &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK CRITICAL - api: partial outage (1/3 checks failed: health endpoint: HTTP 503, expected 200-299) | 'api/health endpoint'=Ns 'api/a'=Ns 'api/b'=Ns"
    );
    assert_eq!(cachet.get(2).status, 3);
}

// SPEC §4 row 2: a single failing check → major outage.
#[test]
fn a_single_failing_check_is_major_outage() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let components = format!(
        "[components.api]\nid = 2\n  [[components.api.checks]]\n  name = \"db\"\n  type = \"tcp\"\n  address = \"127.0.0.1:{}\"\n",
        closed_port()
    );
    let out = run(&cachet, &components, &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK CRITICAL - api: major outage (1/1 checks failed: db: connection refused) | 'api/db'=Ns"
    );
    assert_eq!(cachet.get(2).status, 4);
}

// `on_failure = "partial"`: a single failing check is a partial outage, never more by itself.
#[test]
fn a_partial_failure_alone_is_a_partial_outage() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let components = format!(
        "[components.api]\nid = 2\n  [[components.api.checks]]\n  name = \"db\"\n  type = \"tcp\"\n  address = \"127.0.0.1:{}\"\n  on_failure = \"partial\"\n",
        closed_port()
    );
    let out = run(&cachet, &components, &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK CRITICAL - api: partial outage (1/1 checks failed: db: connection refused) | 'api/db'=Ns"
    );
    assert_eq!(cachet.get(2).status, 3);
}

// SPEC §4 row 1: a `down` among passes → major outage.
#[test]
fn a_down_check_among_passes_is_major_outage() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let checks = http_check("ok", &target.url("/ok"), "")
        + &http_check("critical", &target.url("/down"), "  on_failure = \"down\"");
    let out = run(&cachet, &api(&checks), &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK CRITICAL - api: major outage (1/2 checks failed: critical: HTTP 503, expected 200-299) | 'api/ok'=Ns 'api/critical'=Ns"
    );
    assert_eq!(cachet.get(2).status, 4);
}

// SPEC §4 row 4: slow but passing → performance issues, exit 1; all degraded is not an outage.
#[test]
fn slow_checks_are_performance_issues() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let checks = http_check("slow one", &target.url("/slow"), "  slow_after = \"100ms\"")
        + &http_check("slow two", &target.url("/slow"), "  slow_after = \"100ms\"");
    let out = run(&cachet, &api(&checks), &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK WARNING - api: performance issues (2/2 checks degraded: slow one: HTTP 200, but took N ms (slow after Nms); slow two: HTTP 200, but took N ms (slow after Nms)) | 'api/slow one'=Ns 'api/slow two'=Ns"
    );
    assert!(
        out.summary().contains("(slow after 100ms)"),
        "{}",
        out.stdout
    );
    assert_eq!(cachet.get(2).status, 2);
}

// SPEC §5 exec: exit 1 is degraded, exit 2 fails; the first line of stdout is the detail.
#[test]
fn exec_checks_map_plugin_exit_codes() {
    let cmd = Cmd::new();
    let warn = cmd.script(
        "warn.sh",
        "echo 'LOAD WARNING - load average 7.2 | load1=7.2;5;10'\nexit 1",
    );
    let crit = cmd.script("crit.sh", "echo 'DISK CRITICAL - / 97%'\nexit 2");
    let ok = cmd.script("ok.sh", "echo 'OK - fine'");
    let cachet = FakeCachet::start(Version::V24)
        .component(2, "API", 1)
        .component(3, "Disk", 1);
    let components = format!(
        "[components.api]\nid = 2\n[[components.api.checks]]\nname = \"load\"\ntype = \"exec\"\ncommand = [\"{warn}\"]\n[[components.api.checks]]\nname = \"fine\"\ntype = \"exec\"\ncommand = [\"{ok}\"]\n\
         [components.disk]\nid = 3\n[[components.disk.checks]]\nname = \"root\"\ntype = \"exec\"\ncommand = [\"{crit}\"]\n"
    );
    let out = cmd
        .config(&config(&cachet.url(), &components))
        .token(TOKEN)
        .args(["run", "-v"])
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK CRITICAL - api: performance issues (1/2 checks degraded: load: LOAD WARNING - load average 7.2), disk: major outage (1/1 checks failed: root: DISK CRITICAL - / 97%) | 'api/load'=Ns 'api/load/load1'=7.2;5;10 'api/fine'=Ns 'disk/root'=Ns"
    );
    assert!(
        out.stdout
            .contains("\n  api/load: degraded - LOAD WARNING - load average 7.2 ("),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("\n  api (#2): set to performance issues (was operational)\n"),
        "{}",
        out.stdout
    );
    assert_eq!((cachet.get(2).status, cachet.get(3).status), (2, 4));
}

#[test]
fn exec_runs_argv_without_a_shell_and_passes_env() {
    let cmd = Cmd::new();
    let script = cmd.script(
        "env.sh",
        "echo \"got [$1] $GREETING\"\n[ \"$1\" = 'a b;c' ]",
    );
    let components = format!(
        "[components.api]\nid = 2\n[[components.api.checks]]\ntype = \"exec\"\ncommand = [\"{script}\", \"a b;c\"]\nenv = {{ GREETING = \"hello\" }}\n[[components.api.checks]]\ntype = \"exec\"\ncommand = [\"/nonexistent/plugin\"]\non_failure = \"degraded\"\n"
    );
    let out = cmd
        .config(&config("http://127.0.0.1:9", &components))
        .args(["run", "--dry-run", "-v"])
        .run();
    // SPEC §10: a missing program is unknown, whatever `on_failure` says, and the run exits 3.
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        out.normalized_stdout(),
        "CACHET-CHECK UNKNOWN - api: operational (1/2 checks could not be judged: exec plugin: cannot run `/nonexistent/plugin`: no such program (or its interpreter is missing)) [dry run: nothing pushed] | 'api/exec env.sh'=Ns 'api/exec plugin'=Ns\n  \
         api/exec env.sh: pass - got [a b;c] hello (N ms)\n  \
         api/exec plugin: unknown - cannot run `/nonexistent/plugin`: no such program (or its interpreter is missing) (N ms)\n"
    );
}

// SPEC §5 exec: killed with its process group at the timeout.
#[test]
fn exec_timeouts_kill_the_whole_process_group() {
    let cmd = Cmd::new();
    let pid_file = cmd.dir().join("child.pid");
    let script = cmd.script(
        "hang.sh",
        &format!("sleep 30 &\necho $! > {}\nwait", pid_file.display()),
    );
    let components = format!(
        "[components.api]\nid = 2\n[[components.api.checks]]\nname = \"hang\"\ntype = \"exec\"\ncommand = [\"{script}\"]\ntimeout = \"500ms\"\n"
    );
    let cmd = cmd
        .config(&config("http://127.0.0.1:9", &components))
        .args(["run", "--dry-run"]);
    let out = cmd.run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.summary()
            .contains("hang: timed out after 500 ms, killed"),
        "{}",
        out.stdout
    );
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        process_ends(pid.trim()),
        "the plugin's child {pid} survived the timeout"
    );
}

/// Whether process `pid` is gone (or a zombie: killed, not yet reaped) within two seconds;
/// a SIGKILL is delivered asynchronously.
fn process_ends(pid: &str) -> bool {
    for _ in 0..200 {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(stat)
                if stat
                    .rsplit_once(')')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')) =>
            {
                return true;
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    false
}

// SPEC §4: retries re-run a failing check inside the run before it counts.
#[test]
fn retries_give_a_flapping_check_another_chance() {
    let cmd = Cmd::new();
    let marker = cmd.dir().join("tried");
    let script = cmd.script("flap.sh", &format!("if [ -e {m} ]; then echo OK; exit 0; fi\ntouch {m}\necho 'CRITICAL - first try'\nexit 2", m = marker.display()));
    let components = format!(
        "[components.api]\nid = 2\n[[components.api.checks]]\nname = \"flappy\"\ntype = \"exec\"\ncommand = [\"{script}\"]\nretries = 1\nretry_delay = \"50ms\"\n"
    );
    let cmd = cmd
        .config(&config("http://127.0.0.1:9", &components))
        .args(["run", "--dry-run"]);
    let out = cmd.run();
    assert_eq!(out.code, 0, "{out:?}");
    let components = components.replace("retries = 1", "retries = 0");
    std::fs::remove_file(&marker).unwrap();
    let out = Cmd::new()
        .config(&config("http://127.0.0.1:9", &components))
        .args(["run", "--dry-run"])
        .run();
    assert_eq!(out.code, 2, "{out:?}");
}

// SPEC §2: --dry-run evaluates and reports but pushes nothing (and needs no Cachet at all).
#[test]
fn dry_run_pushes_nothing() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let out = run(
        &cachet,
        &api(&http_check("h", &target.url("/down"), "")),
        &["--dry-run"],
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK CRITICAL - api: major outage (1/1 checks failed: h: HTTP 503, expected 200-299) [dry run: nothing pushed] | 'api/h'=Ns"
    );
    assert!(cachet.requests().is_empty(), "{:?}", cachet.requests());
    assert_eq!(cachet.get(2).status, 1);
}

// SPEC §6: a push reads first and writes only when the status differs; --force writes anyway.
#[test]
fn no_write_when_the_status_is_unchanged_unless_forced() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let components = api(&http_check("h", &target.url("/ok"), ""));
    let out = run(&cachet, &components, &["-v"]);
    assert_eq!(out.code, 0);
    assert!(cachet.writes().is_empty(), "{:?}", cachet.writes());
    assert!(
        out.stdout
            .contains("  api (#2): Cachet already shows operational, nothing written\n"),
        "{}",
        out.stdout
    );
    let out = run(&cachet, &components, &["--force", "--format", "json"]);
    assert_eq!(out.code, 0);
    assert_eq!(puts(&cachet).len(), 1);
    assert_eq!(out.json()["components"][0]["written"], true);
}

// SPEC §3: -q prints nothing when everything is operational and pushed, everything otherwise.
#[test]
fn quiet_is_silent_only_when_all_is_well() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let ok = api(&http_check("h", &target.url("/ok"), ""));
    let out = run(&cachet, &ok, &["-q"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    let bad = api(&http_check("h", &target.url("/down"), ""));
    let out = run(&cachet, &bad, &["-q"]);
    assert_eq!(out.code, 2);
    assert!(
        out.summary()
            .starts_with("CACHET-CHECK CRITICAL - api: major outage"),
        "{}",
        out.stdout
    );
}

// SPEC §9: --format json prints one object with the documented fields.
#[test]
fn json_output_carries_every_field() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let checks = http_check("health endpoint", &target.url("/down"), "")
        + &http_check("ok", &target.url("/ok"), "");
    let out = run(&cachet, &api(&checks), &["--format", "json"]);
    assert_eq!(out.code, 2);
    let report = out.json();
    assert_eq!(report["status"], "partial_outage");
    assert_eq!(report["exit_code"], 2);
    let component = &report["components"][0];
    for (key, value) in [
        ("name", json!("api")),
        ("id", json!(2)),
        ("status", json!("partial_outage")),
        ("status_id", json!(3)),
        ("previous_status", json!("operational")),
        ("pushed", json!(true)),
        ("push_error", json!(null)),
    ] {
        assert_eq!(component[key], value, "{key}");
    }
    let check = &component["checks"][0];
    assert_eq!(check["name"], "health endpoint");
    assert_eq!(check["type"], "http");
    assert_eq!(check["outcome"], "fail");
    assert_eq!(check["detail"], "HTTP 503, expected 200-299");
    assert!(check["duration_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(component["checks"][1]["outcome"], "pass");
    assert_eq!(out.stdout.lines().count(), 1);
}

// SPEC §9: with --format json, stdout holds the object also when the exit is 3.
#[test]
fn json_output_on_unknown_has_an_error_field() {
    let out = Cmd::new()
        .args(["run", "-c", "/nonexistent.toml", "--format", "json"])
        .run();
    assert_eq!(out.code, 3);
    let report = out.json();
    assert_eq!(report["exit_code"], 3);
    assert_eq!(report["status"], serde_json::Value::Null);
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("/nonexistent.toml"),
        "{report}"
    );
}

// SPEC §6: idempotent requests are retried after a 5xx.
#[test]
fn a_500_is_retried_then_succeeds() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    cachet.script(
        "PUT",
        "/api/v1/components/2",
        crate::support::cachet::error_v2(
            500,
            "Internal Server Error",
            "An error has occurred and this resource cannot be displayed.",
            &[],
        ),
    );
    let out = run(
        &cachet,
        &api(&http_check("h", &target.url("/down"), "")),
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(puts(&cachet).len(), 2, "one failed PUT, one retried");
    assert_eq!(cachet.get(2).status, 4);
}

// SPEC §6: idempotent requests are retried after a dropped connection, and 429 without
// Retry-After backs off.
#[test]
fn dropped_connections_and_429_are_retried() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    cachet.script("GET", "/api/v1/components/2", Response::hang_up());
    cachet.script("PUT", "/api/v1/components/2", Response::hang_up());
    cachet.script(
        "PUT",
        "/api/v1/components/2",
        crate::support::cachet::error_v2(429, "Too Many Requests", "Too Many Attempts.", &[]),
    );
    let components = api(&http_check("h", &target.url("/down"), ""));
    let out = run(&cachet, &components, &["-vv"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(cachet.get(2).status, 4);
    let gets = cachet
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path() == "/api/v1/components/2")
        .count();
    assert_eq!((gets, cachet.writes().len()), (2, 3));
    assert!(out.stderr.contains("retrying in 250 ms"), "{}", out.stderr);
}

// SPEC §6: 429 is retried after Retry-After seconds.
#[test]
fn a_429_waits_for_retry_after() {
    let target = target();
    let cachet = FakeCachet::start(Version::V3).component(2, "API", 1);
    // The first 429 goes to the run's question whether the token may write (asked once, not
    // retried: the status write will tell); the second to the status write, which waits.
    for _ in 0..2 {
        cachet.script(
            "PUT",
            "/api/components/2",
            Response::json(429, &json!({"message": "Too Many Attempts."}))
                .header("Retry-After", "1"),
        );
    }
    let out = run(
        &cachet,
        &api(&http_check("h", &target.url("/down"), "")),
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.elapsed >= Duration::from_secs(1), "{:?}", out.elapsed);
    assert_eq!(cachet.get(2).status, 4);
}

// SPEC §3: a push that keeps failing → exit 3, and the output still says the computed status.
#[test]
fn a_push_that_keeps_failing_is_unknown_but_names_the_status() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    for _ in 0..10 {
        cachet.script(
            "PUT",
            "/api/v1/components/2",
            Response::new(502, "<html><body>502 Bad Gateway</body></html>"),
        );
    }
    let out = run(
        &cachet,
        &api(&http_check("h", &target.url("/down"), "")),
        &["--timeout", "3s"],
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK UNKNOWN - api: major outage (1/1 checks failed: h: HTTP 503, expected 200-299), not pushed: Cachet answered HTTP 502 to PUT http://127.0.0.1:PORT/api/v1/components/2: an HTML page (\"502 Bad Gateway\"), not Cachet's JSON: a proxy's error page, or not the Cachet URL | 'api/h'=Ns"
    );
    assert!(out.elapsed < Duration::from_secs(4), "{:?}", out.elapsed);
}

// SPEC §6: 401 → exit 3 and a message that names the token; the token itself never shows.
#[test]
fn a_refused_token_is_unknown_and_says_so() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let components = api(&http_check("h", &target.url("/down"), ""));
    let out = Cmd::new()
        .config(&config(&cachet.url(), &components))
        .token("wrong-token-value")
        .args(["run", "-vv"])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    // The run asks first whether the token may write (2.x: a read that needs a token).
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK UNKNOWN - api: major outage (1/1 checks failed: h: HTTP 503, expected 200-299), not pushed: Cachet refused the token (HTTP 401 from GET http://127.0.0.1:PORT/api/v1/subscribers): check `CACHET_TOKEN`, --token-file or `token_file` (on Cachet 2.x the token is the API key of a user's profile, not the APP_KEY) | 'api/h'=Ns"
    );
    assert!(!out.stdout.contains("wrong-token-value") && !out.stderr.contains("wrong-token-value"));
}

// SPEC §9: -vv shows the HTTP exchanges with secrets redacted.
#[test]
fn the_token_never_appears_at_any_verbosity() {
    let target = Server::start(|request| match request.header("Authorization") {
        Some("Basic dXNlcjpjaGVjay1wYXNzd29yZC0xMjM=") => Response::new(200, "ok"),
        _ => Response::new(401, "who are you"),
    });
    let cmd = Cmd::new();
    let password = cmd.write("password", "check-password-123\n");
    let cachet = FakeCachet::start(Version::V3).component(2, "API", 4);
    let extra = format!(
        "  basic_auth = {{ user = \"user\", password_file = \"{}\" }}",
        password.display()
    );
    let components = api(&http_check("auth", &target.url("/private"), &extra));
    let cmd = cmd
        .config(&config(
            &cachet
                .url()
                .replace("http://", "http://monitor:url-password-456@"),
            &components,
        ))
        .token(TOKEN);
    for verbosity in [&["-vv"][..], &["-v"], &[], &["--format", "json"]] {
        let out = Cmd::new()
            .args(["-c", cmd.dir().join("config.toml").to_str().unwrap(), "run"])
            .args(verbosity)
            .token(TOKEN)
            .run();
        assert!(out.code == 0, "{out:?}");
        for secret in [
            TOKEN,
            "check-password-123",
            "url-password-456",
            "Y2hlY2stcGFzc3dvcmQtMTIz",
            "dXNlcjpjaGVjay1wYXNzd29yZC0xMjM=",
        ] {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "{secret} leaked at {verbosity:?}:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
        if verbosity == ["-vv"] {
            assert!(
                out.stderr.contains("> PUT http://monitor:***@127.0.0.1:"),
                "{}",
                out.stderr
            );
            assert!(out.stderr.contains("< HTTP 200 after"), "{}", out.stderr);
            assert!(
                out.stderr.contains("> GET http://127.0.0.1:"),
                "{}",
                out.stderr
            );
        }
    }
}

// SPEC §7: the whole run ends by --timeout, whatever the targets do. A check whose own
// timeout ends first has failed and is pushed; one the run's deadline cuts first was not let
// finish, and is unknown (SPEC §10).
#[test]
fn a_blackholed_target_still_ends_by_the_deadline() {
    let hole = blackhole();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let components = format!(
        "[components.api]\nid = 2\n{}  [[components.api.checks]]\n  name = \"tcp hole\"\n  type = \"tcp\"\n  address = \"{hole}\"\n  expect = \"SSH-\"\n  timeout = \"1s\"\n",
        http_check(
            "http hole",
            &format!("http://{hole}/"),
            "  timeout = \"60s\""
        )
    );
    let out = run(&cachet, &components, &["--timeout", "2s"]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.elapsed < Duration::from_millis(2900),
        "took {:?}",
        out.elapsed
    );
    // The check's budget is the run's 2 s less the push reserve (0.5 s) and the collecting
    // grace (0.1 s), less however long the run took to start the check: 1.3 s to 1.4 s.
    let budget_ms: u32 = out
        .summary()
        .split_once("http hole: cut by the run's deadline after ")
        .and_then(|(_, rest)| rest.split_once(" s"))
        .and_then(|(seconds, _)| seconds.parse::<f64>().ok())
        .map(|seconds| (seconds * 1000.0).round() as u32)
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!((1300..=1400).contains(&budget_ms), "{}", out.stdout);
    assert!(
        out.summary().contains(
            "tcp hole: expected `SSH-` from the peer, nothing came (timed out after 1 s)"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(
        cachet.get(2).status,
        4,
        "the push still happened inside the deadline"
    );
}

// SPEC §7: a blackholed Cachet cannot hold the run past its deadline either.
#[test]
fn a_blackholed_cachet_ends_by_the_deadline() {
    let hole = blackhole();
    let target = target();
    let components = api(&http_check("h", &target.url("/ok"), ""));
    let out = Cmd::new()
        .config(&config(&format!("http://{hole}"), &components))
        .token(TOKEN)
        .args(["run", "--timeout", "1500ms"])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.elapsed < Duration::from_millis(2500),
        "took {:?}",
        out.elapsed
    );
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK UNKNOWN - api: operational (1 check passed), not pushed: Cachet did not answer GET http://127.0.0.1:PORT/api/v1/ping before the run's deadline (--timeout) | 'api/h'=Ns"
    );
}

// cachet-api.md §2.5: 2.3 re-enables a component on a PUT without `enabled`; we send it.
#[test]
fn cachet_23_keeps_a_disabled_component_disabled() {
    let target = target();
    let cachet = FakeCachet::start(Version::V23).component_enabled(2, "API", 1, false);
    let out = run(
        &cachet,
        &api(&http_check("h", &target.url("/down"), "")),
        &[],
    );
    assert_eq!(out.code, 2, "{out:?}");
    let component = cachet.get(2);
    assert_eq!((component.status, component.enabled), (4, false));
}

// SPEC §5: notify_subscribers = false sends 2.4's `silent`.
#[test]
fn silent_updates_when_subscribers_are_not_notified() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let text = config(
        &cachet.url(),
        &api(&http_check("h", &target.url("/down"), "")),
    )
    .replace(
        "[cachet]\n",
        "[cachet]\nnotify_subscribers = false\napi = \"2\"\n",
    );
    let out = Cmd::new().config(&text).token(TOKEN).args(["run"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        puts(&cachet),
        [json!({"status": 4, "enabled": true, "silent": true})]
    );
    assert!(
        !cachet
            .requests()
            .iter()
            .any(|r| r.path().ends_with("/ping")),
        "api = \"2\" skips detection"
    );
}

// cachet-api.md §3: 3.x speaks /api, Bearer tokens and JSON:API.
#[test]
fn cachet_3_is_detected_and_spoken() {
    let target = target();
    let cachet = FakeCachet::start(Version::V3).component(7, "Website", 1);
    let components = format!(
        "[components.api]\nid = 7\n{}",
        http_check("h", &target.url("/slow"), "  slow_after = \"50ms\"")
    );
    let out = run(&cachet, &components, &["--format", "json"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(cachet.get(7).status, 2);
    // The first PUT asks whether the token may write (it changes nothing); then the status.
    let writes = cachet.writes();
    assert_eq!(writes[0].body, r#"{"enabled":true}"#);
    let write = &writes[1];
    assert_eq!(
        (write.method.as_str(), write.path()),
        ("PUT", "/api/components/7")
    );
    assert_eq!(
        write.header("Authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(write.header("X-Cachet-Token"), None);
    // `enabled` as Cachet showed it: the 3.x cores before 5a91e9 re-enable without it.
    assert_eq!(write.body, r#"{"enabled":true,"status":2}"#);
    assert_eq!(
        out.json()["components"][0]["previous_status"],
        "operational"
    );
}

// cachet-api.md §3.1: a 3.x key without `components.manage` gets 403; the error names the ability.
#[test]
fn a_missing_3x_ability_is_named() {
    let target = target();
    let cachet = FakeCachet::start(Version::V3)
        .component(2, "API", 1)
        .abilities(&["incidents.manage"]);
    let out = run(
        &cachet,
        &api(&http_check("h", &target.url("/down"), "")),
        &[],
    );
    assert_eq!(out.code, 3);
    assert!(
        out.summary().contains(
            "Invalid ability provided.): give the API key the `components.manage` ability"
        ),
        "{}",
        out.stdout
    );
}

// SPEC §6: writes are never sent into a redirect; the error names the URL to use instead.
#[test]
fn a_redirecting_cachet_is_named_not_followed() {
    let target = target();
    let redirect = Server::start(|request| {
        Response::new(301, "").header(
            "Location",
            &format!("https://status.example.com{}", request.target),
        )
    });
    let components = api(&http_check("h", &target.url("/ok"), ""));
    let out = Cmd::new()
        .config(&config(&redirect.url(""), &components))
        .token(TOKEN)
        .args(["run"])
        .run();
    assert_eq!(out.code, 3);
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK UNKNOWN - api: operational (1 check passed), not pushed: Cachet redirected GET http://127.0.0.1:PORT/api/v1/ping to https://status.example.com/api/v1/ping: set the Cachet `url` to https://status.example.com (writes are never sent into a redirect) | 'api/h'=Ns"
    );
    assert!(redirect.requests().iter().all(|r| r.method == "GET"));
}

// cachet-api.md §5.9: Cachet answers 200 to a body it ignored; the response is checked.
#[test]
fn a_write_cachet_ignored_is_reported() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let unchanged = json!({"data": {"id": 2, "name": "API", "status": 1, "enabled": true}});
    cachet.script(
        "PUT",
        "/api/v1/components/2",
        Response::json(200, &unchanged),
    );
    let out = run(
        &cachet,
        &api(&http_check("h", &target.url("/down"), "")),
        &[],
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK UNKNOWN - api: major outage (1/1 checks failed: h: HTTP 503, expected 200-299), not pushed: Cachet answered PUT http://127.0.0.1:PORT/api/v1/components/2 but shows operational, not major outage: the write was ignored (does a proxy drop the `Content-Type: application/json` header?) | 'api/h'=Ns"
    );
}

// SPEC §6: Cachet's own validation message reaches the user (2.x 400 envelope).
#[test]
fn cachet_validation_messages_are_shown() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    cachet.script(
        "PUT",
        "/api/v1/components/2",
        crate::support::cachet::error_v2(
            400,
            "Bad Request",
            "The request cannot be fulfilled due to bad syntax.",
            &["The status may not be greater than 4."],
        ),
    );
    let out = run(
        &cachet,
        &api(&http_check("h", &target.url("/down"), "")),
        &[],
    );
    assert_eq!(out.code, 3);
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK UNKNOWN - api: major outage (1/1 checks failed: h: HTTP 503, expected 200-299), not pushed: Cachet rejected PUT http://127.0.0.1:PORT/api/v1/components/2 (HTTP 400): The status may not be greater than 4. | 'api/h'=Ns"
    );
}

// SPEC §6: a component that does not exist is named.
#[test]
fn a_missing_component_is_named() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let out = run(
        &cachet,
        &format!(
            "[components.api]\nid = 99\n{}",
            http_check("h", &target.url("/ok"), "")
        ),
        &[],
    );
    assert_eq!(out.code, 3);
    assert_eq!(
        out.normalized_summary(),
        "CACHET-CHECK UNKNOWN - api: operational (1 check passed), not pushed: component 99 not found on Cachet (HTTP 404 from GET http://127.0.0.1:PORT/api/v1/components/99) | 'api/h'=Ns"
    );
}

// SPEC §5: `cachet_name` finds the component by exact name, on 2.x and on 3.x across pages.
#[test]
fn components_are_found_by_exact_name() {
    let target = target();
    for version in [Version::V24, Version::V3] {
        let mut cachet = FakeCachet::start(version).component(1, "API gateway", 1);
        for id in 2..=130 {
            cachet = cachet.component(id, &format!("API {id}"), 1);
        }
        let cachet = cachet.component(131, "API", 1);
        let components = format!(
            "[components.api]\ncachet_name = \"API\"\n{}",
            http_check("h", &target.url("/down"), "")
        );
        let out = run(&cachet, &components, &["--format", "json"]);
        assert_eq!(out.code, 2, "{version:?} {out:?}");
        assert_eq!(cachet.get(131).status, 4, "{version:?}");
        assert_eq!(out.json()["components"][0]["id"], 131);
    }
}

// SPEC §2: components are chosen by config name or Cachet id; an unknown one is exit 3.
#[test]
fn components_are_selected_by_name_or_id() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24)
        .component(2, "API", 1)
        .component(3, "Web", 1);
    let components = format!(
        "[components.api]\nid = 2\n{}[components.web]\nid = 3\n  [[components.web.checks]]\n  type = \"http\"\n  url = \"{}\"\n",
        http_check("h", &target.url("/down"), ""),
        target.url("/ok")
    );
    let out = run(&cachet, &components, &["3"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.summary()
            .starts_with("CACHET-CHECK OK - web: operational"),
        "{}",
        out.stdout
    );
    assert_eq!(cachet.get(2).status, 1, "api was not run");
    let out = run(&cachet, &components, &["api"]);
    assert_eq!(out.code, 2);
    let out = run(&cachet, &components, &["nope"]);
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stderr.lines().next().unwrap(),
        format!(
            "cachet-check: error: no component `nope` in `{}`; configured: api, web",
            out_config_path(&out)
        )
    );
}

fn out_config_path(out: &Output) -> String {
    out.stderr
        .split("in `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_default()
        .to_owned()
}

// SPEC §2: a push needs a token; without one the run stops before checking anything.
#[test]
fn run_without_a_token_is_a_clear_error() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let components = "[components.api]\nid = 2\n[[components.api.checks]]\ntype = \"tcp\"\naddress = \"127.0.0.1:9\"\n";
    let out = Cmd::new()
        .config(&config(&cachet.url(), components))
        .args(["run"])
        .run();
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stderr,
        "cachet-check: error: no Cachet API token: set CACHET_TOKEN, pass --token-file FILE, or set `token_file` in `[cachet]`\n"
    );
    assert!(cachet.requests().is_empty());
}

// SPEC §2: --url and CACHET_URL override the config's url.
#[test]
fn the_url_comes_from_flag_then_environment_then_config() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let components = api(&http_check("h", &target.url("/down"), ""));
    let out = Cmd::new()
        .config(&config("http://127.0.0.1:9", &components))
        .token(TOKEN)
        .env("CACHET_URL", &cachet.url())
        .args(["run"])
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    let out = Cmd::new()
        .config(&config("http://127.0.0.1:9", &components))
        .token(TOKEN)
        .env("CACHET_URL", "http://127.0.0.1:9")
        .args([
            "run",
            "--force",
            "--url",
            &format!("{}/api/v1/", cachet.url()),
        ])
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(cachet.writes().len(), 2);
}

// SPEC §2: --token-file overrides CACHET_TOKEN, which overrides the config's token_file.
#[test]
fn token_sources_take_precedence_in_order() {
    let target = target();
    let cachet = FakeCachet::start(Version::V3).component(2, "API", 1);
    let cmd = Cmd::new();
    let good = cmd.write("good", &format!("{TOKEN}\n"));
    let bad = cmd.write("bad", "not-the-token\n");
    let components = api(&http_check("h", &target.url("/down"), ""));
    let text = config(&cachet.url(), &components).replace(
        "[cachet]\n",
        &format!(
            "[cachet]\ntoken_file = \"{}\"\napi = \"3\"\n",
            bad.display()
        ),
    );
    let cmd = cmd.config(&text).args(["run", "--force"]);
    let out = cmd.run();
    assert_eq!(out.code, 3, "the config's bad token is used: {out:?}");
    let cmd = cmd.env("CACHET_TOKEN", TOKEN);
    assert_eq!(cmd.run().code, 2, "CACHET_TOKEN overrides the config");
    let cmd = cmd
        .env("CACHET_TOKEN", "wrong")
        .args(["--token-file", good.to_str().unwrap()]);
    assert_eq!(cmd.run().code, 2, "--token-file overrides CACHET_TOKEN");
    assert_eq!(cachet.get(2).status, 4);
}
