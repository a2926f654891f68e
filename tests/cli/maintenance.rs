//! SPEC §10 maintenance on the server: `maintenance start|end|list`, the marker in component
//! `meta` that every host's runs see, and Cachet schedules (2.4 page-wide, 3.x listing the
//! components, their status computed from the server's clock).

use serde_json::Value;

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::{Cmd, Output};
use crate::support::http::Target;
use crate::support::toml::Toml;

struct Setup {
    cachet: FakeCachet,
    config: String,
    target: Target,
}

/// Component `api` (Cachet id 1, operational) with an incident, checked against a target
/// that is down.
fn setup(version: Version) -> Setup {
    let target = Target::start(false);
    let cachet = FakeCachet::start(version).component(1, "API", 1);
    let config = Toml::cachet(&cachet.url())
        .component("api", 1)
        .key("incident", "{ name = \"API down\" }")
        .http(Some("health"), &target.url("/"))
        .to_string();
    Setup {
        cachet,
        config,
        target,
    }
}

fn cachet_check(config: &str, args: &[&str]) -> Output {
    Cmd::new().config(config).token(TOKEN).args(args).run()
}

fn run(setup: &Setup) -> (Output, Value) {
    let out = cachet_check(&setup.config, &["run", "--format", "json"]);
    let report = out.json();
    (out, report)
}

// `maintenance start` writes the marker (2.4, 3.x that keep meta) and a schedule: runs check
// and report but push nothing worse and open no incident; `maintenance end` ends both, and the
// next run pushes the truth.
#[test]
fn a_marker_holds_the_runs_until_maintenance_end() {
    for version in [Version::V24, Version::V3] {
        let setup = setup(version);
        let out = cachet_check(
            &setup.config,
            &[
                "maintenance",
                "start",
                "api",
                "--for",
                "30m",
                "--message",
                "Deploying 4.2",
            ],
        );
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        assert!(out.stdout.contains("api: marker from "), "{}", out.stdout);
        let marker = &setup.cachet.meta(1)["cachet_check"]["maintenance"];
        assert_eq!(marker["message"], "Deploying 4.2", "{version:?}");
        let schedules = setup.cachet.schedules();
        assert_eq!(schedules.len(), 1, "{version:?}");
        assert_eq!(marker["schedule"], schedules[0].id);
        if version.v3() {
            assert_eq!(schedules[0].components, [(1, 6)], "3.x lists the component");
        } else {
            assert_eq!(
                schedules[0].status, 1,
                "2.4: in progress, set by the client"
            );
            assert!(schedules[0].components.is_empty(), "2.4: page-wide");
        }

        let (out, report) = run(&setup);
        assert_eq!(out.code, 2, "{version:?}: the checks' exit code: {out:?}");
        assert_eq!(
            setup.cachet.get(1).status,
            1,
            "{version:?}: nothing worse pushed"
        );
        assert!(
            setup.cachet.incidents().is_empty(),
            "{version:?}: no incident"
        );
        // 2.4 shows the marker in every answer; 3.x runs ask the schedules (one request where
        // each component's `meta` would cost one each under 60 requests a minute).
        let maintenance = report["components"][0]["maintenance"].as_str().unwrap();
        let source = if version.v3() {
            format!("(Cachet schedule #{}: Deploying 4.2)", schedules[0].id)
        } else {
            "(`maintenance start`: Deploying 4.2)".to_owned()
        };
        assert!(maintenance.ends_with(&source), "{version:?}: {report}");

        let out = cachet_check(&setup.config, &["maintenance", "end", "api"]);
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        assert!(
            out.stdout.contains(&format!(
                "api: marker: maintenance ended: schedule #{} ended, marker cleared",
                schedules[0].id
            )),
            "{}",
            out.stdout
        );
        assert!(
            setup.cachet.meta(1)["cachet_check"]
                .get("maintenance")
                .is_none()
        );
        assert_eq!(
            setup.cachet.schedule_status(schedules[0].id),
            2,
            "{version:?}"
        );

        let (out, _) = run(&setup);
        assert_eq!(out.code, 2, "{version:?}: {out:?}");
        assert_eq!(
            setup.cachet.get(1).status,
            4,
            "{version:?}: the truth, at last"
        );
        assert_eq!(setup.cachet.incidents().len(), 1, "{version:?}");
    }
}

// `maintenance start --for 1s` ends by itself: the marker expires, and the first run after it
// pushes the truth — on 2.4 it also ends the schedule, whose status only a client sets.
#[test]
fn a_short_maintenance_ends_by_itself() {
    for version in [Version::V24, Version::V3] {
        let setup = setup(version);
        setup.target.set_up(true);
        let out = cachet_check(
            &setup.config,
            &["maintenance", "start", "api", "--for", "1s"],
        );
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        setup.cachet.advance_clock(2);
        setup.target.set_up(false);
        let (out, report) = run(&setup);
        assert_eq!(out.code, 2, "{version:?}: {out:?}");
        assert!(
            report["components"][0].get("maintenance").is_none(),
            "{report}"
        );
        assert_eq!(setup.cachet.get(1).status, 4, "{version:?}");
        assert_eq!(setup.cachet.incidents().len(), 1, "{version:?}");
        let id = setup.cachet.schedules()[0].id;
        assert_eq!(
            setup.cachet.schedule_status(id),
            2,
            "{version:?}: the schedule is over"
        );
        if !version.v3() {
            assert!(
                setup.cachet.meta(1)["cachet_check"]
                    .get("maintenance")
                    .is_none(),
                "{version:?}: the expired marker is cleared"
            );
        }
    }
}

// On a 3.x core that drops `meta`, the schedule alone tells the runs: while it is in progress
// (the server's clock) nothing worse is pushed; once the server says it is complete, the
// truth goes out.
#[test]
fn a_3x_schedule_holds_the_runs_while_the_server_says_it_is_in_progress() {
    let setup = setup(Version::V3Core2026);
    let out = cachet_check(
        &setup.config,
        &["maintenance", "start", "api", "--for", "10m"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("note: `api`: no marker, this server keeps no component meta"),
        "{}",
        out.stdout
    );
    let (out, report) = run(&setup);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(setup.cachet.get(1).status, 1);
    assert!(setup.cachet.incidents().is_empty());
    let maintenance = report["components"][0]["maintenance"].as_str().unwrap();
    assert!(
        maintenance.contains("(Cachet schedule #1: Planned maintenance)"),
        "{report}"
    );

    setup.cachet.advance_clock(11 * 60);
    let (out, report) = run(&setup);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        report["components"][0].get("maintenance").is_none(),
        "{report}"
    );
    assert_eq!(setup.cachet.get(1).status, 4);
    assert_eq!(setup.cachet.incidents().len(), 1);
}

// 2.3 has neither schedules nor meta: `maintenance start` says config windows are the way.
#[test]
fn maintenance_start_on_2_3_points_to_config_windows() {
    let setup = setup(Version::V23);
    let out = cachet_check(
        &setup.config,
        &["maintenance", "start", "api", "--for", "1h"],
    );
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr
            .contains("this Cachet keeps neither component meta nor schedules (Cachet 2.3?): use config windows"),
        "{}",
        out.stderr
    );
    assert!(setup.cachet.writes().is_empty());
}

// `maintenance list`: the schedules in progress, the markers and the config windows.
#[test]
fn maintenance_list_shows_schedules_markers_and_windows() {
    let setup = setup(Version::V24);
    // A window three days off (cron's day of week, 0 = Sunday), so that it is never open while
    // the test runs, whatever day that is.
    let day = (jiff::Zoned::now()
        .in_tz("Europe/Berlin")
        .expect("the bundled time zone database")
        .weekday()
        .to_sunday_zero_offset()
        + 3)
        % 7;
    let config = setup.config.replace(
        "[[components.api.checks]]",
        &format!("maintenance = [{{ cron = \"0 3 * * {day}\", for = \"2h\", tz = \"Europe/Berlin\" }}]\n[[components.api.checks]]"),
    );
    let out = cachet_check(&config, &["maintenance", "start", "api", "--for", "1h"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = cachet_check(&config, &["maintenance", "list"]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert!(
        lines[0].starts_with("the whole page: schedule from ")
            && lines[0].ends_with(": #1 Planned maintenance (in progress)"),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].starts_with("api: marker until ")
            && lines[1].contains("(`maintenance start`: Planned maintenance)"),
        "{}",
        out.stdout
    );
    assert!(
        lines[2].starts_with("api: config window from ")
            && lines[2].contains(&format!(": 0 3 * * {day} for 2h (Europe/Berlin) (next, ")),
        "{}",
        out.stdout
    );
}

// A database stopped for planned work: `maintenance start db` holds its dependents too. `api`
// (`depends_on = ["db"]`), down with it, publishes no outage and opens no incident blaming
// itself; the summary says whose maintenance holds it. Once it ends, the truth goes out.
#[test]
fn dependents_of_a_component_in_maintenance_are_held() {
    for version in [Version::V24, Version::V3] {
        let down = Target::start(false);
        let cachet = FakeCachet::start(version)
            .component(1, "Database", 1)
            .component(2, "API", 1);
        let config = Toml::cachet(&cachet.url())
            .component("db", 1)
            .key("incident", "{ name = \"Database down\" }")
            .http(Some("port"), &down.url("/db"))
            .component("api", 2)
            .key("depends_on", "[\"db\"]")
            .key("incident", "{ name = \"API down\" }")
            .http(Some("health"), &down.url("/api"))
            .to_string();
        let out = cachet_check(&config, &["maintenance", "start", "db", "--for", "30m"]);
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        // Each component run on its own, as the systemd template does.
        let out = cachet_check(&config, &["run", "api"]);
        assert_eq!(out.code, 2, "{version:?}: {out:?}");
        assert!(
            out.summary().contains("[maintenance of db until "),
            "{version:?}: {}",
            out.stdout
        );
        assert_eq!(cachet.get(2).status, 1, "{version:?}: an outage published");
        assert!(
            cachet.incidents().is_empty(),
            "{version:?}: {:?}",
            cachet.incidents()
        );
        let out = cachet_check(&config, &["maintenance", "end", "db"]);
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        let out = cachet_check(&config, &["run", "api"]);
        assert_eq!(out.code, 2, "{version:?}: {out:?}");
        assert_eq!(cachet.get(2).status, 4, "{version:?}: the truth after it");
    }
}
