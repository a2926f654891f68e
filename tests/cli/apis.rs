//! SPEC §5 `graphite`, `jenkins` and `prometheus`, against loopback fakes that answer with the
//! JSON shapes of those services' documented APIs (Graphite's render API with `format=json`,
//! Jenkins' `/api/json` of a job, Prometheus' `/api/v1/query`).

use serde_json::{Value, json};

use crate::support::cmd::Cmd;
use crate::support::http::{Request, Response, Server};
use crate::support::kinds::{check, dry_run, outcome, outcomes};

// ---------------------------------------------------------------- graphite

/// A render API with five `servers.*.load` series, two of which stopped reporting, and one
/// `servers.*.disk` series.
fn graphite() -> Server {
    Server::start(|request: &Request| {
        if request.path() != "/render" || request.query("format").as_deref() != Some("json") {
            return Response::new(400, "bad request");
        }
        let series = |target: &str, values: &[Option<f64>]| {
            let points: Vec<Value> = values
                .iter()
                .enumerate()
                .map(|(i, v)| json!([v, 1_700_000_000 + 60 * i]))
                .collect();
            json!({"target": target, "tags": {"name": target}, "datapoints": points})
        };
        let body = match request.query("target").as_deref() {
            Some("servers.*.load") => json!([
                series("servers.web1.load", &[Some(0.4), Some(0.5), None]),
                series("servers.web2.load", &[Some(1.0), Some(2.5), Some(3.5)]),
                series("servers.web3.load", &[Some(0.1), Some(0.2), Some(0.3)]),
                series("servers.web4.load", &[None, None, None]),
                series("servers.web5.load", &[None, None, None]),
            ]),
            Some("servers.db.disk") => json!([series("servers.db.disk", &[Some(91.0)])]),
            Some("broken") => return Response::new(500, "Traceback (most recent call last):\n  …"),
            _ => json!([]),
        };
        Response::json(200, &body)
    })
}

fn graphite_keys(server: &Server, target: &str, rest: &str) -> String {
    format!(
        "url = \"{}\"\ntarget = \"{target}\"\n{rest}",
        server.url("/render")
    )
}

#[test]
fn graphite_applies_bounds_and_min_series_to_the_latest_values() {
    let server = graphite();
    let checks = [
        check(
            "load",
            "graphite",
            &graphite_keys(&server, "servers.*.load", "max = 4\nmin_series = 3"),
        ),
        check(
            "load high",
            "graphite",
            &graphite_keys(&server, "servers.*.load", "max = 3"),
        ),
        check(
            "all report",
            "graphite",
            &graphite_keys(&server, "servers.*.load", "min_series = 5"),
        ),
        check(
            "disk",
            "graphite",
            &graphite_keys(&server, "servers.db.disk", "max = 90.5\nfrom = \"-1h\""),
        ),
        check(
            "nothing",
            "graphite",
            &graphite_keys(&server, "servers.none", ""),
        ),
        check("broken", "graphite", &graphite_keys(&server, "broken", "")),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "load"),
        (
            "pass".into(),
            "graphite: 3 of 5 series reported, latest values 0.3…3.5".into()
        )
    );
    assert_eq!(
        outcome(&all, "load high"),
        (
            "fail".into(),
            "graphite: servers.web2.load = 3.5 > max 3".into()
        )
    );
    assert_eq!(
        outcome(&all, "all report"),
        (
            "fail".into(),
            "graphite: 3 of 5 series reported, need 5".into()
        )
    );
    assert_eq!(
        outcome(&all, "disk"),
        (
            "fail".into(),
            "graphite: servers.db.disk = 91 > max 90.5".into()
        )
    );
    assert_eq!(
        outcome(&all, "nothing"),
        (
            "fail".into(),
            "graphite: no series matches `servers.none`".into()
        )
    );
    assert_eq!(
        outcome(&all, "broken"),
        (
            "fail".into(),
            "graphite: HTTP 500 from the render API: Traceback (most recent call last):".into()
        )
    );
    let froms: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|request| request.query("from"))
        .collect();
    assert!(
        froms.contains(&"-5min".to_owned()) && froms.contains(&"-1h".to_owned()),
        "{froms:?}"
    );
}

#[test]
fn graphite_sends_basic_auth_and_follows_on_failure() {
    let server = Server::start(|request: &Request| {
        if request.header("Authorization") != Some("Basic bW9uOnNlY3JldA==") {
            return Response::new(401, "unauthorized");
        }
        Response::json(
            200,
            &json!([{"target": "a", "datapoints": [[12, 1], [null, 2]]}]),
        )
    });
    let cmd = Cmd::new();
    let password = cmd.write("pw", "secret\n");
    let auth = format!(
        "basic_auth = {{ user = \"mon\", password_file = \"{}\" }}",
        password.display()
    );
    let checks = [
        check(
            "ok",
            "graphite",
            &graphite_keys(&server, "a", &format!("{auth}\nmin = 10")),
        ),
        check(
            "low",
            "graphite",
            &graphite_keys(
                &server,
                "a",
                &format!("{auth}\nmin = 20\non_failure = \"degraded\""),
            ),
        ),
        check(
            "no auth",
            "graphite",
            &graphite_keys(&server, "a", "on_failure = \"down\""),
        ),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "ok"),
        ("pass".into(), "graphite: a = 12".into())
    );
    assert_eq!(
        outcome(&all, "low"),
        ("degraded".into(), "graphite: a = 12 < min 20".into())
    );
    assert_eq!(
        outcome(&all, "no auth"),
        (
            "down".into(),
            "graphite: HTTP 401 from the render API: unauthorized".into()
        )
    );
    assert_eq!(out.json()["components"][0]["status"], "major_outage");
    assert!(!out.stdout.contains("secret") && !out.stderr.contains("secret"));
}

// ---------------------------------------------------------------- jenkins

/// Jobs under `/job/NAME/api/json`, answering with the fields the `tree` asks for.
fn jenkins() -> Server {
    Server::start(|request: &Request| {
        let tree = request.query("tree").unwrap_or_default();
        if !tree.contains("lastCompletedBuild[number,result]") {
            return Response::new(400, "the check should ask for a tree");
        }
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let job = |name: &str, number: u64, result: &str| {
            json!({
                "_class": "hudson.model.FreeStyleProject",
                "fullName": name,
                "name": name,
                "inQueue": false,
                "queueItem": null,
                "lastCompletedBuild": {"_class": "hudson.model.FreeStyleBuild", "number": number, "result": result}
            })
        };
        let body = match request.path() {
            "/job/deploy/api/json" => job("deploy", 412, "SUCCESS"),
            "/job/flaky/api/json" => job("flaky", 77, "UNSTABLE"),
            "/job/broken/api/json" => job("broken", 412, "FAILURE"),
            "/job/stopped/api/json" => job("stopped", 9, "ABORTED"),
            "/job/new/api/json" => {
                json!({"fullName": "new", "name": "new", "inQueue": false, "lastCompletedBuild": null})
            }
            "/job/team/job/queued/api/json" => {
                let mut job = job("team/queued", 30, "SUCCESS");
                job["inQueue"] = json!(true);
                job["queueItem"] = json!({
                    "_class": "hudson.model.Queue$BuildableItem",
                    "inQueueSince": now_ms - 15 * 60 * 1000,
                    "why": "Waiting for next available executor"
                });
                job
            }
            _ => return Response::new(404, "<html>Not Found</html>"),
        };
        Response::json(200, &body)
    })
}

#[test]
fn jenkins_maps_build_results_and_the_queue() {
    let server = jenkins();
    let job = |path: &str, rest: &str| format!("url = \"{}\"\n{rest}", server.url(path));
    let checks = [
        check("deploy", "jenkins", &job("/job/deploy/", "")),
        check("flaky", "jenkins", &job("/job/flaky", "")),
        check("broken", "jenkins", &job("/job/broken/", "")),
        check(
            "stopped",
            "jenkins",
            &job("/job/stopped/", "on_failure = \"down\""),
        ),
        check("new", "jenkins", &job("/job/new/", "")),
        check(
            "queued",
            "jenkins",
            &job("/job/team/job/queued/", "max_queue = \"10m\""),
        ),
        check(
            "patient",
            "jenkins",
            &job("/job/team/job/queued/", "max_queue = \"1h\""),
        ),
        check("gone", "jenkins", &job("/job/gone/", "")),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    let expected = [
        (
            "deploy",
            "pass",
            "jenkins job deploy: last build #412 SUCCESS",
        ),
        (
            "flaky",
            "degraded",
            "jenkins job flaky: last build #77 UNSTABLE",
        ),
        (
            "broken",
            "fail",
            "jenkins job broken: last build #412 FAILURE",
        ),
        (
            "stopped",
            "down",
            "jenkins job stopped: last build #9 ABORTED",
        ),
        ("new", "fail", "jenkins job new: no completed build yet"),
        (
            "queued",
            "fail",
            "jenkins job team/queued: a build has waited 15m in the queue (max 10m): Waiting for next available executor",
        ),
        (
            "patient",
            "pass",
            "jenkins job team/queued: last build #30 SUCCESS",
        ),
        ("gone", "fail", "jenkins: no job at this URL (HTTP 404)"),
    ];
    for (name, kind, detail) in expected {
        assert_eq!(outcome(&all, name), (kind.into(), detail.into()), "{all:?}");
    }
    assert_eq!(out.json()["components"][0]["status"], "major_outage");
}

// ---------------------------------------------------------------- prometheus

fn prometheus() -> Server {
    Server::start(|request: &Request| {
        if request.path() != "/api/v1/query" {
            return Response::new(404, "404 page not found");
        }
        let vector = |samples: Value| json!({"status": "success", "data": {"resultType": "vector", "result": samples}});
        let body = match request.query("query").as_deref() {
            Some("up{job=\"db\"}") => vector(json!([
                {"metric": {"__name__": "up", "job": "db", "instance": "db1:9100"}, "value": [1_700_000_000.123, "1"]},
                {"metric": {"__name__": "up", "job": "db", "instance": "db2:9100"}, "value": [1_700_000_000.123, "0"]}
            ])),
            Some("up{job=\"web\"}") => vector(json!([
                {"metric": {"__name__": "up", "job": "web"}, "value": [1_700_000_000.123, "1"]}
            ])),
            Some("absent_series") => vector(json!([])),
            Some("scalar(42)") => {
                json!({"status": "success", "data": {"resultType": "scalar", "result": [1_700_000_000.123, "42"]}})
            }
            Some("up[5m]") => {
                json!({"status": "success", "data": {"resultType": "matrix", "result": []}})
            }
            _ => {
                return Response::json(
                    400,
                    &json!({
                        "status": "error",
                        "errorType": "bad_data",
                        "error": "invalid parameter \"query\": 1:3: parse error: unexpected \"{\""
                    }),
                );
            }
        };
        Response::json(200, &body)
    })
}

#[test]
fn prometheus_checks_every_sample_and_shows_its_errors() {
    let server = prometheus();
    let query = |query: &str, rest: &str| {
        format!("url = \"{}\"\nquery = '{query}'\n{rest}", server.url(""))
    };
    let checks = [
        check("db up", "prometheus", &query("up{job=\"db\"}", "min = 1")),
        check("web up", "prometheus", &query("up{job=\"web\"}", "min = 1")),
        check("db any", "prometheus", &query("up{job=\"db\"}", "max = 1")),
        check("empty", "prometheus", &query("absent_series", "")),
        check(
            "empty ok",
            "prometheus",
            &query("absent_series", "allow_empty = true"),
        ),
        check(
            "scalar",
            "prometheus",
            &query("scalar(42)", "max = 40\non_failure = \"degraded\""),
        ),
        check("range", "prometheus", &query("up[5m]", "")),
        check(
            "typo",
            "prometheus",
            &query("up{{", "on_failure = \"down\""),
        ),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    let expected = [
        (
            "db up",
            "fail",
            r#"prometheus: up{instance="db2:9100",job="db"} = 0 < min 1"#,
        ),
        ("web up", "pass", r#"prometheus: up{job="web"} = 1"#),
        ("db any", "pass", "prometheus: 2 samples, all within bounds"),
        (
            "empty",
            "fail",
            "prometheus: `absent_series` returned no samples",
        ),
        ("empty ok", "pass", "prometheus: no samples (allowed)"),
        ("scalar", "degraded", "prometheus: scalar = 42 > max 40"),
        // SPEC §10: a query of the wrong shape or with a typo cannot be judged.
        (
            "range",
            "unknown",
            "prometheus: the query returns a range vector: ask for an instant vector (drop the `[…]` range)",
        ),
        (
            "typo",
            "unknown",
            r#"prometheus: bad_data: invalid parameter "query": 1:3: parse error: unexpected "{" (the query is malformed: fix `query`)"#,
        ),
    ];
    for (name, kind, detail) in expected {
        assert_eq!(outcome(&all, name), (kind.into(), detail.into()), "{all:?}");
    }
    assert_eq!(
        out.code, 3,
        "checks that could not be judged make the run unknown"
    );
}
