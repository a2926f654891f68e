//! `components` and `doctor` against the fake Cachet.

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::Cmd;
use crate::support::http::closed_port;

/// A Cachet with 250 components (so listing takes three pages), some disabled.
fn many(version: Version) -> FakeCachet {
    let mut cachet = FakeCachet::start(version);
    for id in 1..=250 {
        cachet =
            cachet.component_enabled(id, &format!("service {id:03}"), 1 + id % 4, id % 50 != 0);
    }
    cachet.group(7, 3)
}

#[test]
fn components_are_listed_across_pages_on_2_x_and_3_x() {
    for version in [Version::V24, Version::V3] {
        let cachet = many(version);
        let out = Cmd::new()
            .env("CACHET_URL", &cachet.url())
            .token(TOKEN)
            .args(["components", "--format", "json"])
            .run();
        assert_eq!(out.code, 0, "{out:?}");
        let listed = out.json()["components"].as_array().unwrap().clone();
        assert_eq!(listed.len(), 250, "{version:?}");
        assert_eq!(listed[49]["name"], "service 050");
        assert_eq!(listed[49]["enabled"], false);
        assert_eq!(listed[2]["status"], "major_outage");
        assert_eq!(listed[2]["status_id"], 4);
        assert_eq!(listed[6]["group_id"], 3, "{version:?}: {}", listed[6]);
        assert_eq!(listed[5]["group_id"], serde_json::Value::Null);
        let pages = cachet
            .requests()
            .iter()
            .filter(|r| r.path().ends_with("/components"))
            .count();
        assert!(pages >= 3, "{version:?}: {pages} pages");

        // Without a token, only what a guest sees: the enabled ones.
        let guest = Cmd::new()
            .env("CACHET_URL", &cachet.url())
            .args(["components", "--format", "json"])
            .run();
        assert_eq!(guest.json()["components"].as_array().unwrap().len(), 245);
    }
}

#[test]
fn components_prints_a_table() {
    let cachet = FakeCachet::start(Version::V23)
        .component(2, "API", 3)
        .component_enabled(5, "Old site", 1, false);
    let out = Cmd::new()
        .env("CACHET_URL", &cachet.url())
        .token(TOKEN)
        .args(["components"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "   ID  STATUS               ENABLED  GROUP  NAME\n    2  partial outage       yes          -  API\n    5  operational          no           -  Old site\n"
    );
}

fn doctor(cachet_url: &str, token: Option<&str>, extra: &str) -> crate::support::cmd::Output {
    let config = format!(
        "[cachet]\nurl = \"{cachet_url}\"\n[components.api]\nid = 2\n{extra}\n[[components.api.checks]]\ntype = \"tcp\"\naddress = \"127.0.0.1:1\"\n"
    );
    let mut cmd = Cmd::new().config(&config).args(["doctor"]);
    if let Some(token) = token {
        cmd = cmd.token(token);
    }
    cmd.run()
}

#[test]
fn doctor_passes_a_good_setup() {
    for version in [Version::V24, Version::V3] {
        // A threshold of 1 minute: 3.x merges nothing of runs a minute apart.
        let cachet = FakeCachet::start(version)
            .component(2, "API", 1)
            .metric(7)
            .threshold(7, 1);
        let out = doctor(&cachet.url(), Some(TOKEN), "metric = 7");
        assert_eq!(out.code, 0, "{out:?}");
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert!(
            lines[0].starts_with("ok    config: `")
                && lines[0].ends_with("config.toml` is valid (1 component, 1 check)"),
            "{}",
            out.stdout
        );
        assert!(
            lines[1].starts_with("ok    server: http://127.0.0.1:"),
            "{}",
            out.stdout
        );
        assert!(
            lines[2].starts_with("ok    version: Cachet "),
            "{}",
            out.stdout
        );
        assert_eq!(lines[3], "ok    token: Cachet accepts it for writes");
        assert!(
            out.stdout
                .contains("ok    component: `api` is Cachet component #2 \"API\" (operational)\n")
        );
        assert!(
            out.stdout
                .contains("ok    metric: `api` reports to metric 7\n")
        );
        assert!(out.stdout.contains("ok    state dir: `"), "{}", out.stdout);
        // Nothing was changed.
        assert_eq!(cachet.get(2).status, 1);
        assert!(cachet.incidents().is_empty());
    }
}

// The JSON form of doctor: each step with its result, and whether all passed.
#[test]
fn doctor_in_json_lists_its_steps_and_says_whether_all_passed() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let config = format!(
        "[cachet]\nurl = \"{}\"\n[components.api]\nid = 2\n[[components.api.checks]]\ntype = \"tcp\"\naddress = \"127.0.0.1:1\"\n",
        cachet.url()
    );
    let run = |token: &str| {
        Cmd::new()
            .config(&config)
            .token(token)
            .args(["doctor", "--format", "json"])
            .run()
    };
    let good = run(TOKEN);
    assert_eq!(good.code, 0, "{good:?}");
    let report = good.json();
    assert_eq!(report["ok"], true);
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps[0]["step"], "config");
    assert_eq!(steps[0]["result"], "ok");
    let token = steps.iter().find(|s| s["step"] == "token").unwrap();
    assert_eq!(token["detail"], "Cachet accepts it for writes");
    let bad = run("not-the-token");
    assert_eq!(bad.code, 3, "{bad:?}");
    let report = bad.json();
    assert_eq!(report["ok"], false);
    let token = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "token")
        .unwrap()
        .clone();
    assert_eq!(token["result"], "fail", "{report}");
}

#[test]
fn doctor_names_each_failure() {
    // A bad token: reads work, writes would not.
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let out = doctor(&cachet.url(), Some("wrong"), "");
    assert_eq!(out.code, 3);
    assert!(
        out.stdout
            .contains("FAIL  token: Cachet refused it (HTTP 401)"),
        "{}",
        out.stdout
    );

    // 3.x: a key without components.manage.
    let cachet = FakeCachet::start(Version::V3)
        .component(2, "API", 1)
        .abilities(&["incidents.manage"]);
    let out = doctor(
        &cachet.url(),
        Some(TOKEN),
        "incident = { name = \"API down\" }",
    );
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.contains("FAIL  token: ") && out.stdout.contains("components.manage"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("note  abilities: this config needs components.manage (checked above), incidents.manage, incident-updates.manage"), "{}", out.stdout);

    // A component and a metric that do not exist.
    let cachet = FakeCachet::start(Version::V24).component(3, "Web", 1);
    let out = doctor(&cachet.url(), Some(TOKEN), "metric = 9");
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.contains("FAIL  component: `api`: "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("FAIL  metric: `api`: "),
        "{}",
        out.stdout
    );

    // No server at all: said, and the state dir is still checked.
    let out = doctor(
        &format!("http://127.0.0.1:{}", closed_port()),
        Some(TOKEN),
        "",
    );
    assert_eq!(out.code, 3);
    assert!(out.stdout.contains("FAIL  server: "), "{}", out.stdout);
    assert!(out.stdout.contains("ok    state dir: "), "{}", out.stdout);

    // A broken config stops at the first step.
    let out = Cmd::new()
        .config("[components.api]\nid = \"two\"\n")
        .args(["doctor"])
        .run();
    assert_eq!(out.code, 3);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(
        out.stdout.starts_with("FAIL  config: ") && out.stdout.contains("config.toml:2:6: `id`"),
        "{}",
        out.stdout
    );

    // A state dir that cannot be written.
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let out = doctor(&cachet.url(), Some(TOKEN), "");
    assert_eq!(out.code, 0, "{out:?}");
    let blocked = Cmd::new();
    let file = blocked.write("not-a-dir", "x");
    let config = format!(
        "state_dir = \"{}/sub\"\n[cachet]\nurl = \"{}\"\n[components.api]\nid = 2\n[[components.api.checks]]\ntype = \"tcp\"\naddress = \"127.0.0.1:1\"\n",
        file.display(),
        cachet.url()
    );
    let out = blocked.config(&config).token(TOKEN).args(["doctor"]).run();
    assert_eq!(out.code, 3);
    assert!(
        out.stdout
            .contains("FAIL  state dir: `state_dir` in the config: creating state directory"),
        "{}",
        out.stdout
    );
}

#[test]
fn doctor_without_a_token_says_where_one_comes_from() {
    let cachet = FakeCachet::start(Version::V3).component(3, "Web", 1);
    let out = doctor(&cachet.url(), None, "");
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.contains("FAIL  token: no token: set CACHET_TOKEN, pass --token-file FILE, or set `token_file` in `[cachet]`"),
        "{}",
        out.stdout
    );
    // 3.x with a token but no configured component on the server: not claimed as verified.
    let out = doctor(&cachet.url(), Some(TOKEN), "");
    assert!(
        out.stdout.contains("note  token: not verified"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("FAIL  component: `api`"),
        "{}",
        out.stdout
    );
}
