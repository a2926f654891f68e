//! SPEC §2: `set COMPONENT STATUS`: a status by hand, with or without a config.

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::Cmd;

// SPEC §2: needs no config when CACHET_URL and a token are given; STATUS in every form.
#[test]
fn set_by_id_with_only_the_environment() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    for (status, id) in [
        ("partial", 3),
        ("major-outage", 4),
        ("2", 2),
        ("operational", 1),
    ] {
        let out = Cmd::new()
            .env("CACHET_URL", &cachet.url())
            .token(TOKEN)
            .args(["set", "2", status])
            .run();
        assert_eq!(out.code, 0, "{status}: {out:?}");
        assert_eq!(cachet.get(2).status, id, "{status}");
    }
    let out = Cmd::new()
        .env("CACHET_URL", &cachet.url())
        .token(TOKEN)
        .args(["set", "2", "major"])
        .run();
    assert_eq!(
        out.stdout,
        "API (#2): set to major outage (was operational)\n"
    );
    assert_eq!(out.stderr, "");
}

// SPEC §2: COMPONENT may be an exact Cachet component name; 3.x is spoken too.
#[test]
fn set_by_exact_name_on_3x() {
    let cachet = FakeCachet::start(Version::V3)
        .component(4, "Payments API", 1)
        .component(5, "Payments", 1);
    let out = Cmd::new()
        .env("CACHET_URL", &cachet.url())
        .token(TOKEN)
        .args(["set", "Payments", "performance"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!((cachet.get(4).status, cachet.get(5).status), (1, 2));
    let out = Cmd::new()
        .env("CACHET_URL", &cachet.url())
        .token(TOKEN)
        .args(["set", "Nothing", "major"])
        .run();
    assert_eq!(out.code, 3);
    assert!(
        out.stderr
            .contains("no Cachet component is named exactly `Nothing` (GET "),
        "{}",
        out.stderr
    );
}

// SPEC §2: COMPONENT may be a config name; the config's url and token_file are used.
#[test]
fn set_by_config_name() {
    let cachet = FakeCachet::start(Version::V24).component(9, "Database", 1);
    let cmd = Cmd::new();
    let token = cmd.write("token", &format!("{TOKEN}\n"));
    let config = format!(
        "[cachet]\nurl = \"{}\"\ntoken_file = \"{}\"\n[components.db]\ncachet_name = \"Database\"\n[[components.db.checks]]\ntype = \"tcp\"\naddress = \"127.0.0.1:9\"\n",
        cachet.url(),
        token.display()
    );
    let out = cmd
        .config(&config)
        .args(["set", "db", "major", "--format", "json"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let report = out.json();
    assert_eq!(report["components"][0]["name"], "db");
    assert_eq!(report["components"][0]["id"], 9);
    assert_eq!(report["components"][0]["previous_status"], "operational");
    assert_eq!(report["components"][0]["written"], true);
    assert_eq!(cachet.get(9).status, 4);
}

// A configured component named by its Cachet id is reported by its config name, as `run 9`
// reports it.
#[test]
fn set_by_the_id_of_a_configured_component_says_its_config_name() {
    let cachet = FakeCachet::start(Version::V24).component(9, "Database", 1);
    let config = format!(
        "[cachet]\nurl = \"{}\"\n[components.db]\nid = 9\n[[components.db.checks]]\ntype = \"tcp\"\naddress = \"127.0.0.1:9\"\n",
        cachet.url()
    );
    let out = Cmd::new()
        .token(TOKEN)
        .config(&config)
        .args(["set", "9", "major"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "db (#9): set to major outage (was operational)\n"
    );
}

// SPEC §6: no write when Cachet already shows the status; --force and --dry-run.
#[test]
fn set_writes_only_what_changes() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 3);
    let base = || Cmd::new().env("CACHET_URL", &cachet.url()).token(TOKEN);
    let out = base().args(["set", "2", "partial"]).run();
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        "API (#2): Cachet already shows partial outage, nothing written\n"
    );
    assert!(cachet.writes().is_empty());
    let out = base().args(["set", "2", "partial", "--force"]).run();
    assert_eq!(out.code, 0);
    assert_eq!(cachet.writes().len(), 1);
    let out = base().args(["set", "2", "major", "--dry-run"]).run();
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        "API (#2): would set major outage (was partial outage) [dry run]\n"
    );
    assert_eq!(cachet.writes().len(), 1);
    assert_eq!(cachet.get(2).status, 3);
}

// SPEC §3: set exits 3 on failure, with the reason.
#[test]
fn set_failures_are_unknown() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let out = Cmd::new()
        .env("CACHET_URL", &cachet.url())
        .token("nope")
        .args(["set", "2", "major"])
        .run();
    assert_eq!(out.code, 3);
    assert!(out.stderr.starts_with("cachet-check: error: setting `API` to major outage: Cachet refused the token (HTTP 401 from PUT http://"), "{}", out.stderr);
    assert!(
        out.summary().starts_with(
            "CACHET-CHECK UNKNOWN - setting `API` to major outage: Cachet refused the token"
        ),
        "{}",
        out.stdout
    );
    let out = Cmd::new().token(TOKEN).args(["set", "2", "major"]).run();
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stderr,
        "cachet-check: error: no Cachet URL: set `url` in `[cachet]`, CACHET_URL or --url\n"
    );
    let out = Cmd::new()
        .env("CACHET_URL", &cachet.url())
        .args(["set", "2", "major"])
        .run();
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("no Cachet API token"), "{}", out.stderr);
    let out = Cmd::new()
        .env("CACHET_URL", "ftp://status")
        .token(TOKEN)
        .args(["set", "2", "major"])
        .run();
    assert_eq!(out.code, 3);
    assert!(
        out.stderr
            .contains("CACHET_URL: `ftp://status` is not an http:// or https:// URL"),
        "{}",
        out.stderr
    );
    assert_eq!(cachet.get(2).status, 1);
}

// cachet-api.md §3.8: a server that is not Cachet is said to be so.
#[test]
fn a_server_that_is_not_cachet_is_named() {
    let server = crate::support::http::Server::start(|_| {
        crate::support::http::Response::new(404, "<html>nginx</html>")
    });
    let out = Cmd::new()
        .env("CACHET_URL", &server.url(""))
        .token(TOKEN)
        .args(["set", "2", "major"])
        .run();
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("no Cachet API at http://127.0.0.1:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("(neither /api/v1/ping nor /api/ping answered)"),
        "{}",
        out.stderr
    );
}
