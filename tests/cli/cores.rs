//! What real Cachet servers do that a reading of the source did not predict (cachet-api.md,
//! "Observed on real servers"), each as a profile of the fake Cachet: 2.3, 2.4, 3.x as HEAD
//! reads, and the 3.x cores of 2024-10, 2025-08 and 2026-06.

use serde_json::Value;

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::{Cmd, Output};
use crate::support::http::{Response, Target};
use crate::support::toml::Toml;

/// `count` components `c1`… (Cachet ids 1…) each with one check against `target`, and `extra`
/// keys in each.
fn config(cachet: &FakeCachet, target: &Target, count: u64, extra: &str) -> String {
    let mut config = Toml::cachet(&cachet.url());
    for id in 1..=count {
        let url = target.server.url(&format!("/{id}"));
        config = config
            .component(&format!("c{id}"), id)
            .raw(extra)
            .http(Some("health"), &url);
    }
    config.to_string()
}

fn run(config: &str) -> (Output, Value) {
    let out = Cmd::new()
        .config(config)
        .token(TOKEN)
        .args(["run", "--format", "json"])
        .run();
    let json = out.json();
    (out, json)
}

const INCIDENT: &str = "incident = { name = \"Degraded\", notify = false }";

/// One incident per outage, found again by a second host (its own state dir), resolved on
/// recovery: on every profile. The 2024–2025 cores drop the `components` list and keep only
/// the legacy `component_id`; the 2024 core refuses `include=components`.
#[test]
fn one_incident_per_outage_on_every_profile() {
    for version in Version::ALL {
        let target = Target::start(true);
        let cachet = FakeCachet::start(version).component(1, "API", 1);
        let config = config(&cachet, &target, 1, INCIDENT);

        let (out, _) = run(&config);
        assert_eq!(out.code, 0, "{version:?}: {out:?}");

        target.set_up(false);
        for host in ["first host", "second host", "first host again"] {
            let (out, report) = run(&config);
            assert_eq!(out.code, 2, "{version:?} {host}: {out:?}");
            assert!(
                report["components"][0]["incident_error"].is_null(),
                "{version:?} {host}: {report}"
            );
            assert_eq!(cachet.incidents().len(), 1, "{version:?} {host}");
        }
        let incident = &cachet.incidents()[0];
        assert_eq!(incident.component_id, Some(1), "{version:?}");

        target.set_up(true);
        let (out, report) = run(&config);
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        assert_eq!(
            report["components"][0]["incident"],
            format!("resolved #{}", incident.id),
            "{version:?}: {report}"
        );
        let (out, report) = run(&config);
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        assert!(
            report["components"][0].get("incident").is_none(),
            "{version:?}: nothing left to resolve: {report}"
        );
        assert_eq!(cachet.incidents().len(), 1, "{version:?}");
        assert_eq!(cachet.get(1).status, 1, "{version:?}");
    }
}

/// The incident POST carries both link shapes: `components` and the legacy pair.
#[test]
fn incidents_are_created_with_both_link_shapes_on_3x() {
    let target = Target::start(true);
    target.set_up(false);
    let cachet = FakeCachet::start(Version::V3Core2025).component(1, "API", 1);
    let (out, _) = run(&config(&cachet, &target, 1, INCIDENT));
    assert_eq!(out.code, 2, "{out:?}");
    let post = cachet
        .writes()
        .into_iter()
        .find(|r| r.method == "POST" && r.path() == "/api/incidents")
        .unwrap();
    let body: Value = serde_json::from_str(&post.body).unwrap();
    assert_eq!(body["components"][0]["id"], 1, "{body}");
    assert_eq!(
        (&body["component_id"], &body["component_status"]),
        (&Value::from(1), &Value::from(4)),
        "{body}"
    );
}

/// A status Cachet accepted is reported as pushed, and the exit code is the checks', when the
/// incident bookkeeping after it fails.
#[test]
fn a_failed_incident_after_a_push_says_pushed_and_keeps_the_checks_exit_code() {
    let target = Target::start(true);
    target.set_up(false);
    let cachet = FakeCachet::start(Version::V3)
        .component(1, "API", 1)
        .abilities(&["components.manage"]);
    let config = config(&cachet, &target, 1, INCIDENT);
    let out = Cmd::new().config(&config).token(TOKEN).args(["run"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.summary().contains(
            "c1: major outage (1/1 checks failed: health: HTTP 503, expected 200-299), pushed, but its incident was not kept up: incident `Degraded`: Cachet refused the request (HTTP 403 from POST "
        ),
        "{out:?}"
    );
    assert!(
        out.summary()
            .contains("give the API key the `incidents.manage` ability"),
        "{out:?}"
    );
    assert_eq!(cachet.get(1).status, 4);
    let (_, report) = run(&config);
    let component = &report["components"][0];
    assert_eq!(component["pushed"], true, "{report}");
    assert!(component["push_error"].is_null(), "{report}");
    assert!(
        component["incident_error"]
            .as_str()
            .unwrap()
            .contains("HTTP 403"),
        "{report}"
    );
}

/// 30 operational components with incidents, their target up, and `run --format json` of them.
fn thirty_with_incidents(version: Version) -> (Target, FakeCachet, Cmd) {
    let target = Target::start(true);
    let mut cachet = FakeCachet::start(version);
    for id in 1..=30 {
        cachet = cachet.component(id, &format!("Component {id}"), 1);
    }
    let cmd = Cmd::new()
        .config(&config(&cachet, &target, 30, INCIDENT))
        .token(TOKEN)
        .args(["run", "--format", "json"]);
    (target, cachet, cmd)
}

/// 30 components with incidents: the open incidents are read once per run and the components
/// in one listing, so a run stays far below the 60 requests a minute of the 3.x application.
#[test]
fn thirty_components_with_incidents_stay_under_the_rate_limit() {
    for version in Version::ALL {
        let (_target, cachet, cmd) = thirty_with_incidents(version);
        // The first run also finds the API line and asks whether the token may write (both
        // remembered in the state dir); the next ones do neither.
        let first = cmd.run();
        assert_eq!(first.code, 0, "{version:?}: {first:?}");
        let before = cachet.requests().len();
        let first_bound = if version.v3() { 9 } else { 36 };
        assert!(
            before <= first_bound,
            "{version:?}: {before} requests for a first run of 30 components"
        );
        let out = cmd.run();
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        assert_eq!(out.json()["components"].as_array().unwrap().len(), 30);
        let requests = cachet.requests().len() - before;
        // 3.x: the two listings, the open incidents (asked twice where `include=components` is
        // refused). 2.x has no shared incident list: one query per component.
        let bound = if version.v3() { 4 } else { 32 };
        assert!(
            requests <= bound,
            "{version:?}: {requests} requests for a quiet run of 30 components"
        );
        if version.v3() {
            assert!(cachet.requests_this_minute() < 60, "{version:?}");
        }
    }
}

/// A run with an open incident on every one of 30 failing components: nothing to write, and
/// every incident found on the shared list.
#[test]
fn thirty_open_incidents_are_found_on_one_list() {
    let target = Target::start(true);
    target.set_up(false);
    let mut cachet = FakeCachet::start(Version::V3Core2025);
    for id in 1..=30 {
        cachet = cachet.component(id, &format!("Component {id}"), 4);
    }
    for id in 1..=30 {
        cachet.add_incident("Degraded", id, 1);
    }
    let (out, report) = run(&config(&cachet, &target, 30, INCIDENT));
    assert_eq!(out.code, 2, "{out:?}");
    for component in report["components"].as_array().unwrap() {
        assert!(
            component["incident"].as_str().unwrap().ends_with(" open"),
            "{component}"
        );
    }
    assert_eq!(cachet.incidents().len(), 30);
    assert!(
        cachet.requests().len() <= 6,
        "{} requests",
        cachet.requests().len()
    );
}

/// 3.x merges a point within the metric's threshold into the latest one; the run says so
/// instead of "delivered". 2.4 keeps each value.
#[test]
fn merged_metric_points_are_reported_as_merged() {
    for version in Version::ALL {
        let target = Target::start(true);
        let cachet = FakeCachet::start(version).component(1, "API", 1).metric(7);
        let cmd = Cmd::new()
            .config(&config(&cachet, &target, 1, "metric = 7"))
            .token(TOKEN)
            .args(["run", "-v"]);
        let first = cmd.run();
        assert_eq!(first.code, 0, "{first:?}");
        assert!(!first.stdout.contains("merged"), "{first:?}");
        let second = cmd.run();
        assert_eq!(second.code, 0, "{second:?}");
        if version.v3() {
            assert_eq!(cachet.counters(7), vec![2]);
            assert!(
                second.stdout.contains(
                    "1 delivered, 0 kept for the next run, 1 merged by Cachet into its latest point (value discarded"
                ),
                "{second:?}"
            );
        } else {
            assert_eq!(cachet.points(7).len(), 2);
            assert!(!second.stdout.contains("merged"), "{second:?}");
        }
    }
}

/// A key without `metric-points.manage`: the summary says so, the exit code stays the checks',
/// and nothing is spooled for a server that will never take it. (The 2024 core has no keys.)
#[test]
fn a_key_that_may_not_post_points_is_named_and_nothing_is_spooled() {
    for version in [Version::V3, Version::V3Core2025, Version::V3Core2026] {
        key_without_metric_points(version);
    }
}

fn key_without_metric_points(version: Version) {
    let target = Target::start(true);
    let cachet = FakeCachet::start(version)
        .component(1, "API", 1)
        .metric(7)
        .abilities(&["components.manage"]);
    let cmd = Cmd::new()
        .config(&config(&cachet, &target, 1, "metric = 7"))
        .token(TOKEN)
        .args(["run", "--format", "json"]);
    for _ in 0..2 {
        let out = cmd.run();
        assert_eq!(out.code, 0, "{out:?}");
        let metric = &out.json()["components"][0]["metric"];
        assert_eq!(metric["refused"], true, "{metric}");
        assert_eq!(metric["spooled"], 0, "{metric}");
        assert_eq!(metric["dropped"], 1, "the spool does not grow: {metric}");
    }
    let text = Cmd::new()
        .config(&config(&cachet, &target, 1, "metric = 7"))
        .token(TOKEN)
        .args(["run"])
        .run();
    assert!(
        text.summary().contains(
            "c1: operational (1 check passed), metric 7 refused: Cachet refused the request (HTTP 403 from POST "
        ) && text.summary().contains("`metric-points.manage`"),
        "{text:?}"
    );
}

/// `set NAME` that matches nothing shows the request really made and the close names.
#[test]
fn set_by_a_missing_name_shows_the_real_request_and_close_names() {
    for (version, asked) in [
        (
            Version::V3,
            "GET {url}/api/components?filter%5Bname%5D=website&per_page=100",
        ),
        (
            Version::V24,
            "GET {url}/api/v1/components?name=website&per_page=1000",
        ),
    ] {
        let cachet = FakeCachet::start(version)
            .component(1, "Website", 1)
            .component(2, "API", 1);
        // 2.x compares names case-insensitively on MySQL; the fake's 2.4 does too. The CLI
        // wants the exact name either way.
        let out = Cmd::new()
            .env("CACHET_URL", &cachet.url())
            .token(TOKEN)
            .args(["set", "website", "major"])
            .run();
        assert_eq!(out.code, 3, "{out:?}");
        let asked = asked.replace("{url}", &cachet.url());
        assert!(
            out.stderr.contains(&format!(
                "no Cachet component is named exactly `website` ({asked} answered none of that name); did you mean `Website`? `cachet-check components` lists them all"
            )),
            "{version:?}: {out:?}"
        );
        assert!(!out.stderr.contains("HTTP 404"), "{out:?}");
        assert_eq!(cachet.get(1).status, 1);
    }
}

/// No write of cachet-check changes a component's `enabled`, on any line or core: 2.3 and the
/// 3.x cores before 5a91e9 re-enable a component on a write without it.
#[test]
fn writes_never_re_enable_a_disabled_component() {
    for version in Version::ALL {
        let target = Target::start(true);
        target.set_up(false);
        let cachet = FakeCachet::start(version).component(1, "API", 1);
        cachet.set_enabled(1, false);
        let config = config(&cachet, &target, 1, "monit_service = \"api\"");

        let out = Cmd::new()
            .config(&config)
            .token(TOKEN)
            .args(["set", "c1", "major"])
            .run();
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        assert!(!cachet.get(1).enabled, "{version:?}: set re-enabled it");

        target.set_up(true);
        let out = Cmd::new().config(&config).token(TOKEN).args(["run"]).run();
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        assert_eq!(cachet.get(1).status, 1, "{version:?}");
        assert!(!cachet.get(1).enabled, "{version:?}: run re-enabled it");

        let out = Cmd::new()
            .config(&config)
            .token(TOKEN)
            .env("MONIT_SERVICE", "api")
            .args(["monit", "--status", "partial"])
            .run();
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        assert_eq!(cachet.get(1).status, 3, "{version:?}");
        assert!(!cachet.get(1).enabled, "{version:?}: monit re-enabled it");

        let out = Cmd::new()
            .config(&config)
            .token(TOKEN)
            .args(["doctor"])
            .run();
        assert!(!cachet.get(1).enabled, "{version:?}: doctor re-enabled it");
        assert!(!out.stdout.is_empty());
    }
}

/// `doctor` names a server that keeps no component meta, and one that does.
#[test]
fn doctor_says_whether_the_server_keeps_component_meta() {
    let target = Target::start(true);
    for (version, expected) in [
        (
            Version::V3Core2026,
            "note  meta: this server keeps no component meta: it refuses `include=meta` (\"Requested include(s) `meta` are not allowed.",
        ),
        (
            Version::V23,
            "note  meta: this server keeps no component meta: its components have no `meta`",
        ),
        (Version::V3, "ok    meta: this server keeps component meta"),
        (Version::V24, "ok    meta: this server keeps component meta"),
    ] {
        let cachet = FakeCachet::start(version).component(1, "API", 1);
        let out = Cmd::new()
            .config(&config(&cachet, &target, 1, ""))
            .token(TOKEN)
            .args(["doctor"])
            .run();
        assert!(out.stdout.contains(expected), "{version:?}: {out:?}");
    }
}

/// `doctor` writes a stamp into `meta` and reads it back: a server that shows `meta` but drops
/// what is written is named; every other key of `meta` is kept, and so is `enabled`.
#[test]
fn doctor_writes_meta_back_keeping_other_keys() {
    let target = Target::start(true);
    for version in [Version::V24, Version::V3] {
        let cachet = FakeCachet::start(version).component(1, "API", 1);
        cachet.set_meta(
            1,
            serde_json::json!({"team": "web", "cachet_check": {"votes": []}}),
        );
        cachet.set_enabled(1, false);
        let out = Cmd::new()
            .config(&config(&cachet, &target, 1, ""))
            .token(TOKEN)
            .args(["doctor"])
            .run();
        assert!(
            out.stdout
                .contains("ok    meta: this server keeps component meta"),
            "{version:?}: {out:?}"
        );
        let meta = cachet.meta(1);
        assert_eq!(meta["team"], "web", "{meta}");
        assert_eq!(
            meta["cachet_check"]["votes"],
            serde_json::json!([]),
            "{meta}"
        );
        assert!(meta["cachet_check"]["checked_at"].is_i64(), "{meta}");
        assert!(!cachet.get(1).enabled, "{version:?}");
    }
    let dropping = FakeCachet::start(Version::V3)
        .component(1, "API", 1)
        .drops_meta_writes();
    let out = Cmd::new()
        .config(&config(&dropping, &target, 1, ""))
        .token(TOKEN)
        .args(["doctor"])
        .run();
    assert!(
        out.stdout.contains(
            "note  meta: this server keeps no component meta: it accepted a write of `meta` and dropped it"
        ),
        "{out:?}"
    );
}

/// `doctor` tells the rate limit it sees and what a run costs; and a 3.x metric whose
/// threshold merges the points of minute-apart runs is pointed out.
#[test]
fn doctor_reports_the_rate_limit_and_a_merging_metric_threshold() {
    let target = Target::start(true);
    let cachet = FakeCachet::start(Version::V3Core2025)
        .component(1, "API", 1)
        .component(2, "Web", 1)
        .metric(7)
        .threshold(7, 5);
    let out = Cmd::new()
        .config(&config(
            &cachet,
            &target,
            2,
            &format!("{INCIDENT}\nmetric = 7"),
        ))
        .token(TOKEN)
        .args(["doctor"])
        .run();
    assert!(
        out.stdout.contains("note  requests: Cachet allows 60 requests a minute to this key; a run of this config makes about 5 when no status changes, up to 11 when every component changes at once"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains(
            "whose threshold is 5 minutes: Cachet 3.x merges every point within 5 minutes"
        ),
        "{out:?}"
    );
}

/// 2.4's `/version` asks GitHub and may stall behind a firewall: `doctor` gives it a few
/// seconds and goes on with every later step.
#[test]
fn doctor_does_not_hang_on_a_stalled_version_probe() {
    let target = Target::start(true);
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    cachet.script(
        "GET",
        "/api/v1/version",
        Response::new(200, "{}").delay(std::time::Duration::from_secs(20)),
    );
    let out = Cmd::new()
        .config(&config(&cachet, &target, 1, ""))
        .token(TOKEN)
        .args(["doctor", "--timeout", "15s"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.elapsed.as_secs() < 8, "{:?}", out.elapsed);
    assert!(out.stdout.contains("version not reported"), "{out:?}");
    assert!(out.stdout.contains("ok    token:"), "{out:?}");
    assert!(out.stdout.contains("ok    component:"), "{out:?}");
}

/// Detection probes carry no token: a 2.x token must not reach a 3.x server or the reverse.
#[test]
fn detection_probes_carry_no_token() {
    for version in [Version::V3, Version::V24] {
        let cachet = FakeCachet::start(version).component(1, "API", 1);
        let out = Cmd::new()
            .env("CACHET_URL", &cachet.url())
            .token(TOKEN)
            .args(["set", "1", "partial"])
            .run();
        assert_eq!(out.code, 0, "{out:?}");
        let pings: Vec<_> = cachet
            .requests()
            .into_iter()
            .filter(|r| r.path().ends_with("/ping"))
            .collect();
        assert!(!pings.is_empty());
        for ping in pings {
            assert!(
                ping.header("X-Cachet-Token").is_none() && ping.header("Authorization").is_none(),
                "{version:?}: {ping:?}"
            );
        }
    }
}

/// A wrong token is said by the first run, even when nothing is to be written (reads accept
/// any token); a good one is asked about once a day, not every run.
#[test]
fn a_refused_token_is_said_by_the_first_run_and_a_good_one_asked_about_once() {
    for version in [Version::V24, Version::V3, Version::V3Core2025] {
        let target = Target::start(true);
        let cachet = FakeCachet::start(version).component(1, "API", 1);
        let config = config(&cachet, &target, 1, "");
        let out = Cmd::new()
            .config(&config)
            .token("not-the-token")
            .args(["run"])
            .run();
        assert_eq!(out.code, 3, "{version:?}: {out:?}");
        assert!(
            out.summary()
                .contains("Cachet refused the token (HTTP 401 from "),
            "{version:?}: {out:?}"
        );
        assert_eq!(cachet.get(1).status, 1);

        let cmd = Cmd::new().config(&config).token(TOKEN).args(["run"]);
        let probes = || {
            cachet
                .requests()
                .iter()
                .filter(|r| {
                    r.path().ends_with("/subscribers")
                        || (r.method == "PUT" && !r.body.contains("status"))
                })
                .count()
        };
        let before = probes();
        assert_eq!(cmd.run().code, 0);
        assert_eq!(probes(), before + 1, "{version:?}: asked once");
        assert_eq!(cmd.run().code, 0);
        assert_eq!(
            probes(),
            before + 1,
            "{version:?}: not asked again the same day"
        );
    }
}

/// A 3.x core that refuses `include=group` on the component list still lists its components.
#[test]
fn components_are_listed_where_include_group_is_refused() {
    let cachet = FakeCachet::start(Version::V3)
        .component(1, "API", 1)
        .component(2, "Web", 3);
    cachet.script(
        "GET",
        "/api/components?per_page=100&page=1&include=group",
        Response::json(
            400,
            &serde_json::json!({"message": "Requested include(s) `group` are not allowed."}),
        ),
    );
    let out = Cmd::new()
        .env("CACHET_URL", &cachet.url())
        .token(TOKEN)
        .args(["components", "--format", "json"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let names: Vec<String> = out.json()["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["API", "Web"]);
}

/// 30 components with incidents failing at once on a core that allows 60 requests a minute:
/// every status is pushed first (the page is right, the exit is the checks' 2); the incidents
/// the limit refused are opened by the next run, one per component, none twice.
#[test]
fn statuses_come_first_under_the_rate_limit() {
    let (target, cachet, cmd) = thirty_with_incidents(Version::V3Core2025);
    assert_eq!(cmd.run().code, 0);
    cachet.next_minute();
    target.set_up(false);
    let out = cmd.run();
    assert_eq!(out.code, 2, "{out:?}");
    for id in 1..=30 {
        assert_eq!(cachet.get(id).status, 4, "component {id}");
    }
    let report = out.json();
    let refused = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["incident_error"]
                .as_str()
                .is_some_and(|e| e.contains("HTTP 429"))
        })
        .count();
    assert!(refused > 0, "the limit was reached: {report}");
    assert!(cachet.incidents().len() < 30);
    cachet.next_minute();
    let out = cmd.run();
    assert_eq!(out.code, 2, "{out:?}");
    let mut linked: Vec<u64> = cachet
        .incidents()
        .iter()
        .filter_map(|i| i.component_id)
        .collect();
    linked.sort_unstable();
    assert_eq!(linked, (1..=30).collect::<Vec<_>>(), "one incident each");
}
