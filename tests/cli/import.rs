//! `cachet-check import`: configs of cachet-url-monitor and castawaylabs/cachet-monitor, written
//! in the shapes their own READMEs and examples document (`tests/cli/data/import/`), become
//! configs `validate` accepts, that never carry the token, and whose checks judge a target as
//! the source's did.

use serde_json::Value;

use crate::support::cmd::{Cmd, Output};
use crate::support::http::{Response, Server, closed_port};

fn sample(name: &str) -> String {
    let path = format!(
        "{}/tests/cli/data/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

/// `cachet-check import -` of `source`.
fn import(source: &str, args: &[&str]) -> Output {
    Cmd::new()
        .args(["import", "-"])
        .args(args)
        .stdin(source)
        .run()
}

const SAMPLES: [(&str, &str, &str); 4] = [
    (
        "url-monitor.yml",
        "my_token_should_never_be_copied",
        "valid, 3 components, 4 checks",
    ),
    (
        "url-monitor-old.yml",
        "my_token_should_never_be_copied",
        "valid, 1 component, 1 check",
    ),
    (
        "cachet-monitor.yml",
        "never-copied",
        "valid, 2 components, 2 checks",
    ),
    (
        "cachet-monitor.json",
        "never-copied-token",
        "valid, 1 component, 1 check",
    ),
];

#[test]
fn every_sample_imports_into_a_valid_config_without_its_token() {
    for (file, token, summary) in SAMPLES {
        let out = import(&sample(file), &[]);
        assert_eq!(out.code, 0, "{file}: {out:?}");
        assert!(!out.stdout.contains(token), "{file}: the token was copied");
        assert!(
            out.stdout
                .contains("token_file = \"/etc/cachet-check/token\""),
            "{file}: {}",
            out.stdout
        );
        assert!(out.stdout.contains("url = \"http"), "{file}");
        let validate = Cmd::new().config(&out.stdout).args(["validate"]).run();
        assert_eq!(validate.code, 0, "{file}: {validate:?}\n{}", out.stdout);
        assert_eq!(
            validate.summary().split(": ").nth(1),
            Some(summary),
            "{file}"
        );
    }
}

// Settings without an exact equivalent are said, each beside its place, and why.
#[test]
fn what_has_no_equivalent_is_said() {
    let url_monitor = import(&sample("url-monitor.yml"), &[]).stdout;
    for said in [
        "# `webhooks` has no equivalent",
        "# `allowed_fails: 2` is `confirm = 3`",
        "# `frequency: 30` has no key: run this config every 30 s from cron",
        "# Token: it came from CACHET_TOKEN, which cachet-check reads too",
        "expect_status = [\"200-204\"]",
        "expect_body_regex = '\\A(?s:.*<body>.*)'",
        "incident = { name = \"Insecure-site is unavailable\", visible = false }",
    ] {
        assert!(
            url_monitor.contains(said),
            "missing `{said}` in:\n{url_monitor}"
        );
    }
    let cachet_monitor = import(&sample("cachet-monitor.yml"), &[]).stdout;
    for said in [
        "# `threshold: 80` (the share of failed checks that opens an incident) has no exact",
        "# `template` has no equivalent",
        "# The answer regex `[1-9] alt[1-9].aspmx.l.google.com.` has no equivalent",
        "record = \"MX\"",
        "expect = [\"10 aspmx2.googlemail.com\", \"1 aspmx.l.google.com\"]",
    ] {
        assert!(
            cachet_monitor.contains(said),
            "missing `{said}` in:\n{cachet_monitor}"
        );
    }
}

/// The imported config of `file` with its targets at `server` (and `closed` for one that
/// refuses), run dry: each component's status.
fn statuses(file: &str, server: &Server, closed: u16) -> Vec<(String, Value)> {
    let source = sample(file)
        .replace(
            "https://127.0.0.1:9/",
            &format!("http://127.0.0.1:{closed}/"),
        )
        .replace("http://127.0.0.1:9", &server.url(""));
    let config = import(&source, &[]).stdout;
    let out = Cmd::new()
        .config(&config)
        .args(["run", "--dry-run", "--format", "json"])
        .run();
    out.json()["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_owned(), c["status"].clone()))
        .collect()
}

// The imported checks judge as the sources did: cachet-url-monitor's default PARTIAL for a
// status, MAJOR where an expectation says so, the body judged apart where its level differs;
// cachet-monitor's POST with its expected status and body.
#[test]
fn imported_checks_judge_as_the_source_did() {
    let server = Server::start(|request| match (request.method.as_str(), request.path()) {
        ("GET", "/") => Response::new(200, "<html><body>ok</body></html>"),
        ("GET", "/shop") => Response::new(503, "<body>maintenance</body>"),
        ("POST", "/") => Response::new(200, "PONG"),
        _ => Response::new(404, "no"),
    });
    let closed = closed_port();
    assert_eq!(
        statuses("url-monitor.yml", &server, closed),
        [
            ("website".to_owned(), "operational".into()),
            ("shop".to_owned(), "major_outage".into()),
            ("insecure-site".to_owned(), "partial_outage".into()),
        ]
    );
    let cachet_monitor = statuses("cachet-monitor.yml", &server, closed);
    assert_eq!(
        cachet_monitor[0],
        ("google".to_owned(), "operational".into())
    );
}

// `--from` names the checker when the shape does not tell; a file of neither shape is refused
// naming both, exit 3.
#[test]
fn the_checker_is_told_by_shape_or_named() {
    let out = import("frequency: 30\n", &[]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("neither a cachet-url-monitor config (`endpoints`) nor a cachet-monitor one (`monitors`)"), "{}", out.stderr);
    let out = import(
        &sample("cachet-monitor.json"),
        &["--from", "cachet-monitor"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let out = import("endpoints: [\n", &[]);
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("the YAML does not read"),
        "{}",
        out.stderr
    );
}
