//! SPEC §12: the `statuspage` kind mirrors an upstream's component into ours — Atlassian
//! Statuspage, another Cachet (2.x and 3.x) and Instatus — level for level, the upstream's
//! open incident naming the trouble.

use serde_json::{Value, json};

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::Cmd;
use crate::support::http::{Response, Server};
use crate::support::toml::{Toml, quoted};

/// An Atlassian Statuspage answering its documented JSON shapes: a component at each level,
/// two groups with a component of one name each, an unresolved incident on the partial one
/// and a maintenance in progress.
fn atlassian() -> Server {
    let component = |id: &str, name: &str, status: &str, group: Option<&str>| {
        json!({"id": id, "name": name, "status": status, "group": false, "group_id": group,
            "page_id": "p1", "position": 1, "description": null, "showcase": true,
            "only_show_if_degraded": false, "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-11-29T00:00:00Z", "start_date": null})
    };
    let components = json!({
        "page": {"id": "p1", "name": "Upstream", "url": "https://status.upstream.example",
            "time_zone": "Etc/UTC", "updated_at": "2026-11-29T00:00:00Z"},
        "components": [
            component("c1", "API", "operational", None),
            component("c2", "Webhooks", "degraded_performance", None),
            component("c3", "Git Operations", "partial_outage", None),
            component("c4", "Pages", "major_outage", None),
            component("c5", "Search", "under_maintenance", None),
            {"id": "g1", "name": "Europe", "status": "operational", "group": true,
                "components": ["c6"]},
            {"id": "g2", "name": "America", "status": "major_outage", "group": true,
                "components": ["c7"]},
            component("c6", "Storage", "operational", Some("g1")),
            component("c7", "Storage", "major_outage", Some("g2")),
        ]
    });
    Server::start(move |request| match request.path() {
        "/api/v2/components.json" => Response::json(200, &components),
        "/api/v2/incidents/unresolved.json" => Response::json(
            200,
            &json!({"page": {"id": "p1"}, "incidents": [
                {"id": "i1", "name": "Elevated error rates on pushes", "status": "investigating",
                    "impact": "minor", "components": [{"id": "c3", "name": "Git Operations"}],
                    "incident_updates": []},
            ]}),
        ),
        "/api/v2/scheduled-maintenances/active.json" => Response::json(
            200,
            &json!({"page": {"id": "p1"}, "scheduled_maintenances": [
                {"id": "m1", "name": "Index rebuild", "status": "in_progress",
                    "components": [{"id": "c5", "name": "Search"}]},
            ]}),
        ),
        _ => Response::new(404, "not found"),
    })
}

/// One component per upstream component named in `mirrored`, each with one `statuspage` check.
fn mirrors(url: &str, provider: &str, mirrored: &[(&str, &str)]) -> String {
    let mut config = Toml::cachet("http://127.0.0.1:9");
    for (index, (ours, theirs)) in mirrored.iter().enumerate() {
        config = config.component(ours, index as u64 + 1).check(
            Some("upstream"),
            "statuspage",
            &format!(
                "url = {}\nprovider = {}\ncomponent = {theirs}",
                quoted(url),
                quoted(provider)
            ),
        );
    }
    config.to_string()
}

fn dry_run(config: &str) -> (i32, Value) {
    let out = Cmd::new()
        .config(config)
        .args(["run", "--dry-run", "--format", "json"])
        .run();
    let json = out.json();
    (out.code, json)
}

fn statuses(report: &Value) -> Vec<(String, Value, String)> {
    report["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["status"].clone(),
                c["checks"][0]["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

// Every Atlassian level maps to Cachet's one to one; the open incident and the maintenance in
// progress name the trouble; a group picks between two components of one name.
#[test]
fn atlassian_levels_map_one_to_one() {
    let upstream = atlassian();
    let config = mirrors(
        &upstream.url(""),
        "statuspage",
        &[
            ("api", "\"API\""),
            ("hooks", "\"webhooks\""),
            ("git", "\"c3\""),
            ("pages", "\"Pages\""),
            ("search", "\"Search\""),
        ],
    );
    let (code, report) = dry_run(&config);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        statuses(&report),
        [
            ("api", json!("operational"), "API is operational upstream"),
            (
                "hooks",
                json!("performance_issues"),
                "Webhooks has performance issues upstream"
            ),
            (
                "git",
                json!("partial_outage"),
                "Git Operations has a partial outage upstream: Elevated error rates on pushes"
            ),
            (
                "pages",
                json!("major_outage"),
                "Pages has a major outage upstream"
            ),
            (
                "search",
                json!("operational"),
                "Search is under maintenance upstream: Index rebuild"
            ),
        ]
        .map(|(name, status, detail)| (name.to_owned(), status, detail.to_owned()))
    );
    assert_eq!(
        report["components"][4]["maintenance"],
        "upstream (upstream: Search is under maintenance upstream: Index rebuild)",
        "{report}"
    );

    let grouped = format!(
        "{}group = \"America\"\n",
        mirrors(
            &upstream.url(""),
            "statuspage",
            &[("storage", "\"Storage\"")]
        )
    );
    let (_, report) = dry_run(&grouped);
    assert_eq!(
        report["components"][0]["status"], "major_outage",
        "{report}"
    );
    let (code, report) = dry_run(&mirrors(
        &upstream.url(""),
        "statuspage",
        &[("storage", "\"Storage\"")],
    ));
    assert_eq!(code, 3, "{report}");
    assert_eq!(
        report["components"][0]["checks"][0]["detail"],
        "127.0.0.1: more than one component is called `Storage`: name it by id (or set `group`)"
    );
}

// A component the page does not list is the config's mistake: unknown, exit 3, the names the
// page lists printed; a page that is not Atlassian's says which key to fix.
#[test]
fn a_missing_upstream_component_is_unknown_and_lists_the_page() {
    let upstream = atlassian();
    let (code, report) = dry_run(&mirrors(
        &upstream.url(""),
        "statuspage",
        &[("billing", "\"Billing\"")],
    ));
    assert_eq!(code, 3, "{report}");
    let check = &report["components"][0]["checks"][0];
    assert_eq!(check["outcome"], "unknown");
    assert_eq!(
        check["detail"],
        "127.0.0.1: no component `Billing` on the page (fix `component`); it lists: API, Webhooks, Git Operations, Pages, Search, Storage, Storage"
    );

    let (code, report) = dry_run(&mirrors(
        &upstream.url(""),
        "instatus",
        &[("api", "\"API\"")],
    ));
    assert_eq!(code, 3, "{report}");
    assert_eq!(
        report["components"][0]["checks"][0]["detail"],
        "127.0.0.1: no /v2/components.json here: is this an Instatus page? (fix `url` or `provider`)"
    );
}

// A partial outage upstream is pushed as a partial outage (one check alone would be a major
// one), and the incident tells the public what the upstream says.
#[test]
fn an_upstream_partial_outage_is_pushed_with_its_incident() {
    let upstream = atlassian();
    let cachet = FakeCachet::start(Version::V24).component(1, "Git", 1);
    let config = Toml::cachet(&cachet.url())
        .table("components.git")
        .key("id", "1")
        .key("incident", "{ name = \"Git degraded\" }")
        .of("git")
        .check(
            Some("github"),
            "statuspage",
            &format!(
                "url = {}\ncomponent = \"Git Operations\"",
                quoted(&upstream.url(""))
            ),
        )
        .to_string();
    let out = Cmd::new().config(&config).token(TOKEN).args(["run"]).run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(cachet.get(1).status, 3);
    let incidents = cachet.incidents();
    assert_eq!(incidents.len(), 1);
    assert!(
        incidents[0].message.contains(
            "Git Operations has a partial outage upstream: Elevated error rates on pushes"
        ),
        "{:?}",
        incidents[0].message
    );
}

// Another Cachet, 2.x and 3.x, by name and by id: its status ids map one to one, its open
// incident on the component names the trouble; its `unknown` is ours too.
#[test]
fn another_cachet_is_mirrored_on_both_lines() {
    for version in Version::ALL {
        let upstream = FakeCachet::start(version)
            .component(1, "API", 1)
            .component(2, "Mail", 2)
            .component(3, "Search", 3)
            .component(4, "Billing", 4);
        upstream.add_incident("Mail is slow", 2, 1);
        let config = mirrors(
            &upstream.url(),
            "cachet",
            &[
                ("api", "\"API\""),
                ("mail", "2"),
                ("search", "\"search\""),
                ("billing", "4"),
            ],
        );
        let (code, report) = dry_run(&config);
        assert_eq!(code, 2, "{version:?}: {report}");
        let seen: Vec<_> = statuses(&report)
            .into_iter()
            .map(|(_, status, detail)| (status, detail))
            .collect();
        assert_eq!(
            seen,
            [
                (json!("operational"), "API is operational upstream"),
                (
                    json!("performance_issues"),
                    "Mail has performance issues upstream: Mail is slow"
                ),
                (
                    json!("partial_outage"),
                    "Search has a partial outage upstream"
                ),
                (json!("major_outage"), "Billing has a major outage upstream"),
            ]
            .map(|(status, detail)| (status, detail.to_owned())),
            "{version:?}"
        );
        let (code, report) = dry_run(&mirrors(&upstream.url(), "cachet", &[("x", "9")]));
        assert_eq!(code, 3, "{version:?}: {report}");
        assert_eq!(
            report["components"][0]["checks"][0]["detail"],
            "127.0.0.1: no component #9 on the page (fix `component`)"
        );
    }
}

// Instatus: its public component list (children too) and its summary's active incident.
#[test]
fn instatus_is_mirrored() {
    let upstream = Server::start(|request| match request.path() {
        "/v2/components.json" => Response::json(
            200,
            &json!({"components": [
                {"id": "a1", "name": "Dashboard", "status": "OPERATIONAL", "children": []},
                {"id": "a2", "name": "Infrastructure", "status": "MAJOROUTAGE", "children": [
                    {"id": "a3", "name": "Database", "status": "PARTIALOUTAGE"},
                ]},
            ]}),
        ),
        "/summary.json" => Response::json(
            200,
            &json!({"page": {"name": "Up", "url": "https://up.instatus.com", "status": "HASISSUES"},
                "activeIncidents": [{"name": "Database failover", "started": "2026-11-29T00:00:00Z",
                    "status": "INVESTIGATING", "impact": "PARTIALOUTAGE", "url": "https://x"}],
                "activeMaintenances": []}),
        ),
        _ => Response::new(404, "not found"),
    });
    let (code, report) = dry_run(&mirrors(
        &upstream.url(""),
        "instatus",
        &[("dash", "\"Dashboard\""), ("db", "\"Database\"")],
    ));
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        statuses(&report)
            .into_iter()
            .map(|(_, status, detail)| (status, detail))
            .collect::<Vec<_>>(),
        [
            (
                json!("operational"),
                "Dashboard is operational upstream".to_owned()
            ),
            (
                json!("partial_outage"),
                "Database has a partial outage upstream: Database failover".to_owned()
            ),
        ]
    );
}

// A status page out of reach, or answering 500, says nothing of the component it mirrors:
// unknown, exit 3, nothing pushed — never an outage of ours.
#[test]
fn an_upstream_page_out_of_reach_is_never_an_outage() {
    let broken = Server::start(|_| Response::new(500, "oops"));
    for url in [
        format!("http://127.0.0.1:{}", crate::support::http::closed_port()),
        broken.url(""),
    ] {
        let cachet = FakeCachet::start(Version::V24).component(1, "Git", 1);
        let config = Toml::cachet(&cachet.url())
            .component("git", 1)
            .check(
                Some("github"),
                "statuspage",
                &format!("url = {}\ncomponent = \"Git Operations\"", quoted(&url)),
            )
            .to_string();
        let out = Cmd::new()
            .config(&config)
            .token(TOKEN)
            .args(["run", "--format", "json"])
            .run();
        assert_eq!(out.code, 3, "{url}: {out:?}");
        let report = out.json();
        let check = &report["components"][0]["checks"][0];
        assert_eq!(check["outcome"], "unknown", "{report}");
        assert!(
            check["detail"]
                .as_str()
                .unwrap()
                .starts_with("127.0.0.1: cannot read the page: "),
            "{report}"
        );
        assert_eq!(cachet.get(1).status, 1, "{url}: nothing pushed");
    }
}
