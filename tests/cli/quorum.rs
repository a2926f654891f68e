//! SPEC §11: many vantage points, one truth — votes in the component's `meta`, a status
//! pushed only when `quorum` unexpired votes agree, one incident per outage, and `stale` for a
//! component nobody checks anymore.

use serde_json::{Value, json};

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::{Cmd, Output};
use crate::support::http::Target;
use crate::support::toml::Toml;

/// Component `api` (#1) with `quorum = 2`, an incident, one check of `target`.
fn config(cachet: &FakeCachet, target: &Target, extra: &str) -> String {
    Toml::cachet(&cachet.url())
        .table("components.api")
        .key("id", "1")
        .key("quorum", "2")
        .key("incident", "{ name = \"API down\" }")
        .raw(extra)
        .of("api")
        .http(Some("health"), &target.url("/health"))
        .to_string()
}

/// One run of host `vantage`.
fn host(config: &str, vantage: &str) -> Cmd {
    Cmd::new()
        .config(config)
        .token(TOKEN)
        .args(["run", "--format", "json", "--vantage", vantage])
}

fn run(config: &str, vantage: &str) -> (Output, Value) {
    let out = host(config, vantage).run();
    let json = out.json();
    (out, json)
}

fn unix_now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// `text` with every age in seconds written `N s` (a run may straddle a second).
fn ages(text: &str) -> String {
    regex::Regex::new(r"\b\d+ s (ago|ahead)")
        .unwrap()
        .replace_all(text, "N s $1")
        .into_owned()
}

fn votes(cachet: &FakeCachet) -> Value {
    cachet.meta(1)["cachet_check"]["votes"].clone()
}

fn open_incidents(cachet: &FakeCachet) -> usize {
    cachet.incidents().iter().filter(|i| i.status < 4).count()
}

// Three hosts: one seeing the target fail pushes nothing; two push one major outage and one
// incident, which the third does not repeat; recovery seen by two resolves it once.
#[test]
fn two_of_three_hosts_decide_once() {
    for version in [Version::V24, Version::V3] {
        let cachet = FakeCachet::start(version).component(1, "API", 1);
        cachet.set_meta(1, json!({"owner": "ops"}));
        let (up, down) = (Target::start(true), Target::start(false));
        let (failing, passing) = (config(&cachet, &down, ""), config(&cachet, &up, ""));

        let (out, report) = run(&failing, "fra");
        assert_eq!(out.code, 2, "{version:?}: {out:?}");
        assert_eq!(
            report["components"][0]["held"],
            "waiting for quorum: 1 of 2 votes"
        );
        run(&passing, "sfo");
        run(&passing, "sgp");
        assert_eq!(
            cachet.get(1).status,
            1,
            "{version:?}: one host's failure pushes nothing"
        );
        assert_eq!(
            cachet.incidents().len(),
            0,
            "{version:?}: {:?}",
            cachet.incidents()
        );
        assert_eq!(votes(&cachet).as_object().unwrap().len(), 3);

        run(&failing, "sfo");
        assert_eq!(cachet.get(1).status, 4, "{version:?}: two hosts agree");
        assert_eq!(cachet.incidents().len(), 1);
        let (_, report) = run(&passing, "sgp");
        assert_eq!(
            cachet.get(1).status,
            4,
            "{version:?}: one recovered host is not enough"
        );
        assert_eq!(
            report["components"][0]["quorum"]["votes"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
        run(&failing, "fra");
        assert_eq!(
            cachet.incidents().len(),
            1,
            "{version:?}: no second incident"
        );

        run(&passing, "fra");
        assert_eq!(cachet.get(1).status, 1, "{version:?}: two recovered hosts");
        assert_eq!(open_incidents(&cachet), 0, "{version:?}: resolved");
        assert_eq!(cachet.incidents().len(), 1);
        assert_eq!(
            cachet.meta(1)["owner"],
            "ops",
            "{version:?}: other keys kept"
        );
    }
}

// 20 hosts at once, 20 rounds, the target down and up in turn: every vote of every round is
// in `meta` when the round ends, other keys are intact, and each outage has one incident.
#[test]
fn twenty_hosts_at_once_lose_no_vote_and_open_one_incident_per_outage() {
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    cachet.set_meta(
        1,
        json!({"owner": "ops", "cachet_check": {"maintenance": null}}),
    );
    let target = Target::start(true);
    let config = config(&cachet, &target, "");
    for round in 0..20 {
        let down = round % 2 == 0;
        target.set_up(!down);
        cachet.next_minute();
        let started = unix_now();
        let hosts: Vec<_> = (0..20)
            .map(|n| host(&config, &format!("h{n:02}")))
            .collect();
        let running: Vec<_> = hosts.iter().map(Cmd::spawn).collect();
        for child in running {
            let out = child.wait_with_output().unwrap();
            let code = out.status.code();
            assert!(
                matches!(code, Some(0 | 2)),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        let votes = votes(&cachet);
        let votes = votes.as_object().unwrap();
        assert_eq!(votes.len(), 20, "round {round}: {votes:?}");
        let expected = if down { 4 } else { 1 };
        for (vantage, vote) in votes {
            assert!(
                vote["at"].as_i64().unwrap() >= started,
                "round {round}: {vantage}'s vote is old"
            );
            assert_eq!(vote["status"], expected, "round {round}: {vantage}");
        }
        assert_eq!(cachet.meta(1)["owner"], "ops", "round {round}");
        assert_eq!(cachet.get(1).status, expected, "round {round}");
        assert_eq!(open_incidents(&cachet), usize::from(down), "round {round}");
        assert_eq!(
            cachet.incidents().len(),
            round / 2 + 1,
            "round {round}: one incident per outage"
        );
    }
}

// A vote older than `vote_ttl` does not count; one stamped 20 s ahead of this host's clock
// does; one 2 minutes ahead does not, and the run says why.
#[test]
fn expired_votes_and_skewed_clocks() {
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    let down = Target::start(false);
    let config = config(&cachet, &down, "vote_ttl = \"5m\"");
    let now = unix_now();
    let vote =
        |ago: i64| json!({"cachet_check": {"votes": {"sfo": {"status": 4, "at": now - ago}}}});

    cachet.set_meta(1, vote(600));
    let (_, report) = run(&config, "fra");
    assert_eq!(cachet.get(1).status, 1, "an expired vote does not count");
    assert_eq!(
        report["components"][0]["quorum"]["votes"][1]["left_out"],
        "expired (10 min old)"
    );

    cachet.set_meta(1, vote(-20));
    run(&config, "fra");
    assert_eq!(cachet.get(1).status, 4, "20 s ahead still counts");

    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    let config = self::config(&cachet, &down, "");
    cachet.set_meta(1, vote(-150));
    let out = Cmd::new()
        .config(&config)
        .token(TOKEN)
        .args(["run", "-v", "--vantage", "fra"])
        .run();
    assert_eq!(cachet.get(1).status, 1, "2 minutes ahead does not count");
    assert!(
        ages(&out.stdout).contains("votes (quorum 2, this host fra): fra major outage N s ago, sfo major outage 2 min ahead (left out: stamped 2 min ahead of this host's clock: check the clocks (ntp))"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("api (#1): major outage not pushed yet: waiting for quorum: 1 of 2 votes"),
        "{}",
        out.stdout
    );
}

// `stale`: a component no host stamped is marked unknown (2.x 0, 3.x 5), a freshly stamped one
// is left alone; the next run restores the computed status.
#[test]
fn stale_marks_what_nobody_runs_and_a_fresh_run_restores_it() {
    for (version, unknown) in [(Version::V24, 0), (Version::V3, 5)] {
        let cachet = FakeCachet::start(version)
            .component(1, "API", 1)
            .component(2, "Mail", 1);
        let up = Target::start(true);
        let config = Toml::cachet(&cachet.url())
            .component("api", 1)
            .http(None, &up.url("/"))
            .component("mail", 2)
            .http(None, &up.url("/"))
            .to_string();
        let run_one = |name: &str| {
            Cmd::new()
                .config(&config)
                .token(TOKEN)
                .args(["run", "--vantage", "fra", name])
                .run()
        };
        let stale = || {
            Cmd::new()
                .config(&config)
                .token(TOKEN)
                .args(["stale", "--older-than", "15m"])
                .run()
        };
        // No host has ever stamped: a stopped checker cannot be told from one that does not
        // stamp, so nothing is marked (before, every healthy component was).
        let out = stale();
        assert_eq!(out.code, 3, "{version:?}: {out:?}");
        assert!(
            out.stderr.contains("no host has ever stamped"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("`vantage`"), "{}", out.stderr);
        assert_eq!((cachet.get(1).status, cachet.get(2).status), (1, 1));
        assert_eq!(run_one("api").code, 0);
        let out = stale();
        assert_eq!(out.code, 0, "{version:?}: {out:?}");
        assert_eq!(
            ages(&out.stdout),
            "api: last run N s ago (fra): fresh\nmail: never stamped (hosts stamp their runs once they name a `vantage`), older than 15 min: marked unknown\n",
            "{version:?}"
        );
        assert_eq!(cachet.get(2).status, unknown, "{version:?}");
        assert_eq!(cachet.get(1).status, 1);
        assert_eq!(run_one("mail").code, 0);
        assert_eq!(cachet.get(2).status, 1, "{version:?}: restored");
    }
}

// A run stamps at most once per `stamp_every`: two runs within it write `meta` once.
#[test]
fn a_stamp_costs_one_write_per_stamp_every() {
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    let up = Target::start(true);
    let config = Toml::cachet(&cachet.url())
        .key("api", "\"2\"")
        .raw("")
        .component("api", 1)
        .http(None, &up.url("/"))
        .to_string();
    // Two runs within an hour, however slowly this machine runs them; then, the state kept,
    // `stamp_every` cut to a second and more than a second waited: a run past it.
    let text = |every: &str| format!("vantage = \"fra\"\nstamp_every = \"{every}\"\n{config}");
    let cmd = Cmd::new().config(&text("1h")).token(TOKEN).args(["run"]);
    let meta_writes = || {
        cachet
            .writes()
            .iter()
            .filter(|r| r.body.contains("\"meta\""))
            .count()
    };
    assert_eq!(cmd.run().code, 0);
    assert_eq!(cmd.run().code, 0);
    assert_eq!(meta_writes(), 1, "two runs within stamp_every: one stamp");
    assert!(cachet.meta(1)["cachet_check"]["last_run"]["fra"].is_i64());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    cmd.write("config.toml", &text("1s"));
    assert_eq!(cmd.run().code, 0);
    assert_eq!(meta_writes(), 2, "a run past stamp_every stamps again");
    // No vantage named: no stamp at all.
    let quiet = FakeCachet::start(Version::V24).component(1, "API", 1);
    let plain = Toml::cachet(&quiet.url())
        .component("api", 1)
        .http(None, &up.url("/"))
        .to_string();
    assert_eq!(
        Cmd::new()
            .config(&plain)
            .token(TOKEN)
            .args(["run"])
            .run()
            .code,
        0
    );
    assert!(quiet.writes().iter().all(|r| !r.body.contains("\"meta\"")));
}

// Where the server keeps no component `meta` (2.3, core a744c708), `quorum` and `stale` fail
// naming the server's limitation — never a silent single-host fallback.
#[test]
fn quorum_and_stale_refuse_a_server_without_meta() {
    for version in [Version::V23, Version::V3Core2026] {
        let cachet = FakeCachet::start(version).component(1, "API", 1);
        let down = Target::start(false);
        let config = config(&cachet, &down, "");
        let (out, _) = run(&config, "fra");
        assert_eq!(out.code, 3, "{version:?}: {out:?}");
        assert_eq!(cachet.get(1).status, 1, "{version:?}: nothing pushed alone");
        let text = Cmd::new()
            .config(&config)
            .token(TOKEN)
            .args(["run", "--vantage", "fra"])
            .run();
        assert!(
            text.stdout
                .contains("`quorum` needs component `meta`, and this server keeps none"),
            "{version:?}: {}",
            text.stdout
        );
        let stale = Cmd::new()
            .config(&config)
            .token(TOKEN)
            .args(["stale", "--older-than", "15m"])
            .run();
        assert_eq!(stale.code, 3, "{version:?}");
        assert!(stale.stdout.contains("`stale` reads the run stamps hosts leave in component `meta`, and this server keeps none"), "{}", stale.stdout);
        let doctor = Cmd::new()
            .config(&config)
            .token(TOKEN)
            .args(["doctor"])
            .run();
        assert!(
            doctor.stdout.contains("`quorum` (on api) cannot work here"),
            "{version:?}: {}",
            doctor.stdout
        );
    }
}

// `doctor` shows when each host last ran each component.
#[test]
fn doctor_shows_each_hosts_last_run() {
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    let up = Target::start(true);
    let config = config(&cachet, &up, "");
    run(&config, "fra");
    let out = Cmd::new()
        .config(&config)
        .token(TOKEN)
        .args(["doctor"])
        .run();
    assert!(
        ages(&out.stdout).contains("`api` last run by: fra N s ago"),
        "{}",
        out.stdout
    );
}
