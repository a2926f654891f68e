//! SPEC §5 exec with real monitoring-plugins programs (Debian's monitoring-plugins-basic).

use crate::support::cmd::Cmd;
use crate::support::http::{Response, Server, closed_port};

const PLUGINS: &str = "/usr/lib/nagios/plugins";

#[test]
#[ignore = "needs monitoring-plugins-basic"]
fn real_plugins_drive_the_status() {
    let server = Server::start(|_| Response::new(200, "ok"));
    let port = server.addr.port();
    let closed = closed_port();
    let config = format!(
        "[cachet]\nurl = \"http://127.0.0.1:9\"\n\
         [components.web]\nid = 1\n\
         [[components.web.checks]]\nname = \"check_tcp\"\ntype = \"exec\"\ncommand = [\"{PLUGINS}/check_tcp\", \"-H\", \"127.0.0.1\", \"-p\", \"{port}\"]\n\
         [[components.web.checks]]\nname = \"check_http\"\ntype = \"exec\"\ncommand = [\"{PLUGINS}/check_http\", \"-H\", \"127.0.0.1\", \"-p\", \"{port}\", \"-u\", \"/\"]\n\
         [components.db]\nid = 2\n\
         [[components.db.checks]]\nname = \"closed\"\ntype = \"exec\"\ncommand = [\"{PLUGINS}/check_tcp\", \"-H\", \"127.0.0.1\", \"-p\", \"{closed}\"]\n\
         [[components.db.checks]]\nname = \"dummy\"\ntype = \"exec\"\ncommand = [\"{PLUGINS}/check_dummy\", \"1\", \"replication lag 12s\"]\n"
    );
    let out = Cmd::new()
        .config(&config)
        .args(["run", "--dry-run", "--format", "json"])
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    let report = out.json();
    let checks = |component: usize| {
        report["components"][component]["checks"]
            .as_array()
            .unwrap()
            .clone()
    };
    let web = checks(0);
    assert_eq!(report["components"][0]["status"], "operational", "{report}");
    assert!(
        web[0]["detail"].as_str().unwrap().starts_with("TCP OK - "),
        "{report}"
    );
    assert_eq!(web[0]["perfdata"][0]["label"], "time", "{report}");
    assert_eq!(web[0]["perfdata"][0]["unit"], "s", "{report}");
    assert!(
        web[1]["detail"]
            .as_str()
            .unwrap()
            .starts_with("HTTP OK: HTTP/1.1 200 OK"),
        "{report}"
    );
    let db = checks(1);
    assert_eq!(
        report["components"][1]["status"], "major_outage",
        "every check failed or degraded: {report}"
    );
    assert_eq!(db[0]["outcome"], "fail");
    assert!(
        db[0]["detail"]
            .as_str()
            .unwrap()
            .contains("Connection refused"),
        "{report}"
    );
    assert_eq!(db[1]["outcome"], "degraded");
    assert_eq!(db[1]["detail"], "WARNING: replication lag 12s");
}

// A real plugin's usage error keeps the reason it printed on stderr; check_disk's long text
// carries perfdata over several lines.
#[test]
#[ignore = "needs monitoring-plugins-basic"]
fn real_plugin_usage_errors_and_multi_line_perfdata() {
    let config = format!(
        "[cachet]\nurl = \"http://127.0.0.1:9\"\n\
         [components.disk]\nid = 1\n\
         [[components.disk.checks]]\nname = \"bad args\"\ntype = \"exec\"\ncommand = [\"{PLUGINS}/check_disk\", \"-x\"]\n\
         [[components.disk.checks]]\nname = \"two\"\ntype = \"exec\"\ncommand = [\"{PLUGINS}/check_disk\", \"-w\", \"1%\", \"-c\", \"1%\", \"-p\", \"/\", \"-p\", \"/tmp\", \"-l\"]\n"
    );
    let out = Cmd::new()
        .config(&config)
        .args(["run", "--dry-run", "--format", "json"])
        .run();
    let report = out.json();
    let checks = report["components"][0]["checks"].as_array().unwrap();
    let usage = checks[0]["detail"].as_str().unwrap();
    assert!(
        usage.contains("option requires an argument -- 'x'")
            && usage.ends_with("(a usage error: check the plugin's arguments)"),
        "{usage}"
    );
    assert!(
        checks[1]["detail"].as_str().unwrap().chars().count() <= 301,
        "{report}"
    );
    assert!(
        !checks[1]["perfdata"].as_array().unwrap().is_empty(),
        "{report}"
    );
}
