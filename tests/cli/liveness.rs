//! SPEC §10: a stopped scheduler is noticed — the heartbeat each run pings, and the Prometheus
//! textfile each run writes. Neither changes the exit code.

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::{Cmd, Output};
use crate::support::http::{Response, Server, closed_port};
use crate::support::toml::{Toml, quoted};

/// A config whose one component has a check against `target_path` of `target`, and `top`
/// (top-level keys and tables) before `[cachet]`.
fn config(cachet: &FakeCachet, target: &Server, target_path: &str, top: &str) -> String {
    Toml::default()
        .raw(top)
        .table("cachet")
        .key("url", &quoted(&cachet.url()))
        .component("api", 1)
        .http(Some("health"), &target.url(target_path))
        .to_string()
}

/// `cachet-check run` of `config` with the token and `args` after `run`.
fn run_with(config: &str, args: &[&str]) -> Output {
    Cmd::new()
        .config(config)
        .token(TOKEN)
        .args(["run"])
        .args(args)
        .run()
}

fn target() -> Server {
    Server::start(|r| {
        if r.path() == "/up" {
            Response::new(200, "ok")
        } else {
            Response::new(503, "down")
        }
    })
}

// healthchecks: `/start` when the run begins, then `/0` (up: the run judged and published,
// an outage included) or `/fail` (down: exit 3) with the summary as body. The switch watches
// the checker, not the targets.
#[test]
fn healthchecks_hears_the_start_and_whether_the_checker_did_its_job() {
    let (target, checks) = (target(), Server::start(|_| Response::new(200, "OK")));
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    let heartbeat = format!(
        "[heartbeat]\nurl = {}\nkind = \"healthchecks\"\n",
        quoted(&checks.url("/ping/5a1e0c2d"))
    );
    let config = config(&cachet, &target, "/down", &heartbeat);
    let out = Cmd::new().config(&config).token(TOKEN).args(["run"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    let pings: Vec<(String, String, String)> = checks
        .requests()
        .into_iter()
        .map(|r| (r.method.clone(), r.path().to_owned(), r.body.clone()))
        .collect();
    assert_eq!(
        pings,
        [
            ("GET".into(), "/ping/5a1e0c2d/start".into(), String::new()),
            (
                "POST".into(),
                "/ping/5a1e0c2d/0".into(),
                out.summary().to_owned()
            ),
        ]
    );
    // A refused token: the run could not publish, the checker is down.
    let refused = Cmd::new()
        .config(&config)
        .token("revoked-token")
        .args(["run"])
        .run();
    assert_eq!(refused.code, 3, "{refused:?}");
    let last = checks.requests().pop().unwrap();
    assert_eq!(
        (last.method.as_str(), last.path(), last.body.as_str()),
        ("POST", "/ping/5a1e0c2d/fail", refused.summary())
    );
    assert!(
        out.summary()
            .starts_with("CACHET-CHECK CRITICAL - api: major outage")
    );
    assert!(
        !out.stderr.contains("5a1e0c2d"),
        "the heartbeat URL is a secret: {}",
        out.stderr
    );

    // A dry run tells nobody.
    let before = checks.requests().len();
    let out = Cmd::new().config(&config).args(["run", "--dry-run"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(checks.requests().len(), before);
}

// Uptime Kuma push: status, message and ping in the query; Gatus: success, error and duration,
// with its bearer token; plain: a GET.
#[test]
fn kuma_gatus_and_plain_hear_the_run_their_way() {
    let (target, watcher) = (target(), Server::start(|_| Response::new(200, "{}")));
    let cachet = FakeCachet::start(Version::V3).component(1, "API", 1);

    let kuma = format!(
        "[heartbeat]\nurl = {}\nkind = \"kuma\"\n",
        quoted(&watcher.url("/api/push/Xk29?status=up&msg=OK&ping="))
    );
    let out = run_with(&config(&cachet, &target, "/up", &kuma), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let push = watcher.requests().pop().unwrap();
    assert_eq!(
        (push.method.as_str(), push.path()),
        ("GET", "/api/push/Xk29")
    );
    assert_eq!(push.query("status").as_deref(), Some("up"));
    assert_eq!(push.query("msg").as_deref(), Some(out.summary()));
    assert!(
        push.query("ping").unwrap().parse::<u64>().is_ok(),
        "{push:?}"
    );

    let cmd = Cmd::new();
    let token = cmd.write("gatus-token", "g4tus\n");
    let gatus = format!(
        "[heartbeat]\nurl = {}\nkind = \"gatus\"\ntoken_file = {}\n",
        quoted(&watcher.url("/api/v1/endpoints/core_cachet-check/external")),
        quoted(&token.display().to_string())
    );
    let cmd = cmd
        .config(&config(&cachet, &target, "/down", &gatus))
        .token(TOKEN)
        .args(["run"]);
    let out = cmd.run();
    // An outage found and published is the checker doing its job.
    assert_eq!(out.code, 2, "{out:?}");
    let push = watcher.requests().pop().unwrap();
    assert_eq!(push.method, "POST");
    assert_eq!(push.path(), "/api/v1/endpoints/core_cachet-check/external");
    assert_eq!(push.header("Authorization"), Some("Bearer g4tus"));
    assert_eq!(push.query("success").as_deref(), Some("true"));
    assert_eq!(push.query("error").as_deref(), Some(""));
    assert!(push.query("duration").unwrap().ends_with("ms"), "{push:?}");
    // Cachet out of reach: down, with the reason.
    let unreachable = format!("http://127.0.0.1:{}", closed_port());
    let cmd = cmd
        .env("CACHET_URL", &unreachable)
        .args(["--timeout", "5s"]);
    let out = cmd.run();
    assert_eq!(out.code, 3, "{out:?}");
    let push = watcher.requests().pop().unwrap();
    assert_eq!(push.query("success").as_deref(), Some("false"));
    assert_eq!(push.query("error").as_deref(), Some(out.summary()));

    let plain = format!("[heartbeat]\nurl = {}\n", quoted(&watcher.url("/beat")));
    let out = run_with(&config(&cachet, &target, "/up", &plain), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let push = watcher.requests().pop().unwrap();
    assert_eq!(
        (push.method.as_str(), push.target.as_str()),
        ("GET", "/beat")
    );
    // A checker that cannot reach Cachet lets a plain switch expire: no ping at all.
    let before = watcher.requests().len();
    let out = Cmd::new()
        .config(&config(&cachet, &target, "/up", &plain))
        .token(TOKEN)
        .env("CACHET_URL", &unreachable)
        .args(["run", "--timeout", "5s"])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        watcher.requests().len(),
        before,
        "a plain ping for a run that could not publish"
    );
}

// A heartbeat that cannot be delivered is a warning, never a changed exit code.
#[test]
fn an_undelivered_heartbeat_is_a_warning_only() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    let heartbeat = format!(
        "[heartbeat]\nurl = \"http://127.0.0.1:{}/ping/secret-uuid\"\nkind = \"healthchecks\"\n",
        closed_port()
    );
    let out = run_with(&config(&cachet, &target, "/up", &heartbeat), &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("cachet-check: heartbeat to 127.0.0.1 not delivered: connection refused"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("secret-uuid"), "{}", out.stderr);
}

fn metric_line<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|line| line.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

// The metrics file: per check outcome and duration, per component status, the last run's and
// the last successful run's times; a run that could not do its job keeps the last success.
#[test]
fn the_metrics_file_says_how_each_run_went_and_when_the_last_success_was() {
    let target = target();
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cachet-check.prom");
    let top = format!("metrics_file = {}\n", quoted(&file.display().to_string()));
    let out = run_with(&config(&cachet, &target, "/down", &top), &[]);
    assert_eq!(out.code, 2, "{out:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains(
            "cachet_check_outcome{component=\"api\",check=\"health\",outcome=\"fail\"} 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "cachet_check_outcome{component=\"api\",check=\"health\",outcome=\"pass\"} 0\n"
        )
    );
    assert!(text.contains("cachet_check_component_status{component=\"api\"} 4\n"));
    assert!(text.contains("cachet_check_duration_seconds{component=\"api\",check=\"health\"} "));
    let success = metric_line(&text, "cachet_check_last_success_timestamp_seconds").to_owned();
    let ran = metric_line(&text, "cachet_check_last_run_timestamp_seconds");
    assert_eq!(
        success.split(' ').nth(1),
        ran.split(' ').nth(1),
        "a run that pushed its outage did its job"
    );

    // Cachet unreachable: the run fails (exit 3), the last success stays that of the first run.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let unreachable = format!("http://127.0.0.1:{}", closed_port());
    let out = run_with(
        &config(&cachet, &target, "/down", &top).replace(&cachet.url(), &unreachable),
        &["--metrics-file", &file.display().to_string()],
    );
    assert_eq!(out.code, 3, "{out:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        metric_line(&text, "cachet_check_last_success_timestamp_seconds"),
        success
    );
    assert_ne!(
        metric_line(&text, "cachet_check_last_run_timestamp_seconds")
            .split(' ')
            .nth(1),
        success.split(' ').nth(1)
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "written atomically: {leftovers:?}");
}

// The file parses with Prometheus's own parser (`promtool check metrics`, Debian's prometheus).
#[test]
#[ignore = "needs promtool (Debian package prometheus)"]
fn the_metrics_file_passes_promtool() {
    let target = target();
    let cachet = FakeCachet::start(Version::V3).component(1, "API", 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.prom");
    let out = run_with(
        &config(&cachet, &target, "/down", ""),
        &["--metrics-file", &file.display().to_string()],
    );
    assert_eq!(out.code, 2, "{out:?}");
    let checked = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "promtool: {}{}\n{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr),
        std::fs::read_to_string(&file).unwrap()
    );
}
