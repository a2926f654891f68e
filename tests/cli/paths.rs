//! SPEC §12: the network path of the kinds that connect — `ip` (`4`, `6`, `both`, `all`),
//! `resolve` pinning (on every redirect hop too), `source_address`, `proxy` (HTTP CONNECT and
//! SOCKS5, `NO_PROXY`, `[cachet] proxy`), `samples` — and the address used, shown at `-v`.

use std::net::SocketAddr;

use serde_json::Value;

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::{BIN, Cmd};
use crate::support::http::{Responder, Response, Server, closed_port};
use crate::support::proxy::Proxy;
use crate::support::toml::{Toml, quoted};

fn v4(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn v6(port: u16) -> SocketAddr {
    format!("[::1]:{port}").parse().unwrap()
}

/// One component `svc` with one check of `kind` and `keys`.
fn config(kind: &str, keys: &str) -> String {
    Toml::cachet("http://127.0.0.1:9")
        .component("svc", 1)
        .check(Some("probe"), kind, keys)
        .to_string()
}

fn dry_run(config: &str, env: &[(&str, &str)]) -> (i32, Value) {
    let mut cmd = Cmd::new().config(config);
    for (key, value) in env {
        cmd = cmd.env(key, value);
    }
    let out = cmd.args(["run", "--dry-run", "--format", "json"]).run();
    let json = out.json();
    (out.code, json)
}

fn check(report: &Value) -> &Value {
    &report["components"][0]["checks"][0]
}

/// `svc.test` pinned to both loopback addresses on `port`.
fn pinned(port: u16) -> String {
    format!("resolve = {{ \"svc.test:{port}\" = [\"127.0.0.1\", \"::1\"] }}")
}

// `ip = "both"`: each family must pass; one family's server down is degraded, naming it; both
// up pass and say so; the addresses reached are reported.
#[test]
fn ip_both_needs_each_family_to_pass() {
    let up4 = Responder::start(v4(0), 200);
    let port = up4.addr.port();
    let url = format!(
        "url = \"http://svc.test:{port}/health\"\nip = \"both\"\n{}",
        pinned(port)
    );
    let (code, report) = dry_run(&config("http", &url), &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(check(&report)["outcome"], "degraded");
    assert_eq!(
        check(&report)["detail"],
        "over IPv6: connection refused (passed over IPv4)"
    );
    assert_eq!(report["components"][0]["status"], "performance_issues");

    let _up6 = Responder::start(v6(port), 200);
    let (code, report) = dry_run(&config("http", &url), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(check(&report)["detail"], "HTTP 200 (over IPv4, over IPv6)");
    assert_eq!(
        check(&report)["via"],
        serde_json::json!([v4(port).to_string(), v6(port).to_string()])
    );

    // The same for a `tcp` check, and both families down is a failure.
    let closed = closed_port();
    let address = format!(
        "address = \"svc.test:{closed}\"\nip = \"both\"\n{}",
        pinned(closed)
    );
    let (code, report) = dry_run(&config("tcp", &address), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        check(&report)["detail"],
        "over IPv4: connection refused; over IPv6: connection refused"
    );
}

// `ip = "all"`: every address the name has, the failing ones named; `ip = "6"` takes only
// IPv6 addresses.
#[test]
fn ip_all_names_the_failing_address_and_ip_6_keeps_to_ipv6() {
    // The same port on 127.0.0.1 is held refusing (bound, never listening), so that no other
    // test's server can take it meanwhile.
    let (up6, _refusing) = (0..50)
        .find_map(|_| {
            let up6 = Responder::start(v6(0), 200);
            let held =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            held.bind(&v4(up6.addr.port()).into()).ok()?;
            Some((up6, held))
        })
        .expect("a port free on both families");
    let port = up6.addr.port();
    let keys = format!(
        "address = \"svc.test:{port}\"\nip = \"all\"\n{}",
        pinned(port)
    );
    let (code, report) = dry_run(&config("tcp", &keys), &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        check(&report)["detail"],
        "via 127.0.0.1: connection refused (passed via ::1)"
    );

    let keys = format!(
        "url = \"http://svc.test:{port}/\"\nip = \"6\"\n{}",
        pinned(port)
    );
    let (code, report) = dry_run(&config("http", &keys), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        check(&report)["via"],
        serde_json::json!([v6(port).to_string()])
    );

    let keys = format!("url = \"http://127.0.0.1:{port}/\"\nip = \"6\"");
    let (code, report) = dry_run(&config("http", &keys), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(check(&report)["detail"], "`127.0.0.1` has no IPv6 address");
}

// `resolve` pins a name as `curl --resolve` does, on every redirect hop: a redirect to another
// pinned name reaches the pinned address, never the resolver.
#[test]
fn resolve_pins_every_redirect_hop() {
    let end = Responder::start(v4(0), 200);
    let end_port = end.addr.port();
    let start = Server::start(move |_| {
        Response::new(302, "").header(
            "Location",
            &format!("http://backend.test:{end_port}/health"),
        )
    });
    let start_port = start.addr.port();
    let keys = format!(
        "url = \"http://front.test:{start_port}/\"\nresolve = {{ \"front.test:{start_port}\" = \"127.0.0.1\", \"backend.test:{end_port}\" = \"127.0.0.1\" }}"
    );
    let (code, report) = dry_run(&config("http", &keys), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        end.peers.lock().unwrap().len(),
        1,
        "the redirect reached the pin"
    );
}

// `source_address` is the address the target sees (any 127/8 address is this host's).
#[test]
fn source_address_is_what_the_target_sees() {
    let server = Responder::start(v4(0), 200);
    for kind in ["http", "tcp"] {
        let target = match kind {
            "http" => format!("url = \"http://{}/\"", server.addr),
            _ => format!("address = \"{}\"", server.addr),
        };
        let keys = format!("{target}\nsource_address = \"127.0.0.2\"");
        let (code, report) = dry_run(&config(kind, &keys), &[]);
        assert_eq!(code, 0, "{kind}: {report}");
        let peer = *server.peers.lock().unwrap().last().unwrap();
        assert_eq!(peer.ip().to_string(), "127.0.0.2", "{kind}");
    }
}

// `proxy`: HTTP CONNECT and SOCKS5 (the name sent to the proxy), for `http` and `tcp`; a
// proxy out of reach is this host's trouble (unknown), never the target's; NO_PROXY names the
// hosts reached directly.
#[test]
fn checks_go_through_http_and_socks_proxies() {
    let server = Responder::start(v4(0), 200);
    let port = server.addr.port();
    for (proxy, scheme) in [(Proxy::connect(), "http"), (Proxy::socks5(), "socks5h")] {
        for kind in ["http", "tcp"] {
            let target = match kind {
                "http" => format!("url = \"http://localhost:{port}/\""),
                _ => format!("address = \"localhost:{port}\""),
            };
            let keys = format!("{target}\nproxy = {}", quoted(&proxy.url(scheme)));
            let (code, report) = dry_run(&config(kind, &keys), &[]);
            assert_eq!(code, 0, "{scheme} {kind}: {report}");
            assert_eq!(
                proxy.asked.lock().unwrap().last().unwrap(),
                &format!("localhost:{port}"),
                "{scheme} {kind}: the proxy resolved the name"
            );
        }
        let asked = proxy.asked.lock().unwrap().len();
        let keys = format!(
            "address = \"localhost:{port}\"\nproxy = {}",
            quoted(&proxy.url(scheme))
        );
        let (code, _) = dry_run(&config("tcp", &keys), &[("NO_PROXY", "localhost")]);
        assert_eq!(code, 0);
        assert_eq!(proxy.asked.lock().unwrap().len(), asked, "NO_PROXY: direct");
    }

    let gone = closed_port();
    let keys = format!(
        "address = \"{}\"\nproxy = \"http://127.0.0.1:{gone}\"",
        server.addr
    );
    let (code, report) = dry_run(&config("tcp", &keys), &[]);
    assert_eq!(code, 3, "{report}");
    assert_eq!(check(&report)["outcome"], "unknown");
    assert_eq!(
        check(&report)["detail"],
        format!("the proxy http://127.0.0.1:{gone}: connection refused")
    );
    // The target refusing, as the proxy reports it, is the target's failure.
    let proxy = Proxy::connect();
    let keys = format!(
        "address = \"127.0.0.1:{gone}\"\nproxy = {}",
        quoted(&proxy.url("http"))
    );
    let (code, report) = dry_run(&config("tcp", &keys), &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        check(&report)["detail"],
        format!("127.0.0.1:{gone} through the proxy: HTTP/1.1 502 Bad Gateway")
    );
}

// `[cachet] proxy`: the pushes go through it.
#[test]
fn cachet_is_reached_through_its_proxy() {
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    let proxy = Proxy::connect();
    let target = Responder::start(v4(0), 200);
    let config = Toml::cachet(&cachet.url())
        .key("proxy", &quoted(&proxy.url("http")))
        .component("api", 1)
        .check(None, "http", &format!("url = \"http://{}/\"", target.addr))
        .to_string();
    let out = Cmd::new().config(&config).token(TOKEN).args(["run"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    let cachet_at = cachet.url().trim_start_matches("http://").to_owned();
    assert!(
        proxy.asked.lock().unwrap().contains(&cachet_at),
        "{:?}",
        proxy.asked
    );
}

// `samples = N`: N requests; `slow_after` judged on the 95th percentile; the median is the
// check's duration (and so the metric's point).
#[test]
fn samples_judge_the_95th_percentile() {
    let server = Server::start(|request| {
        let slow = request.path() == "/slow";
        Response::new(200, "ok").delay(std::time::Duration::from_millis(if slow { 120 } else { 0 }))
    });
    let keys = format!(
        "url = {}\nsamples = 5\nslow_after = \"80ms\"",
        quoted(&server.url("/slow"))
    );
    let (code, report) = dry_run(&config("http", &keys), &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(server.requests().len(), 5);
    assert!(
        check(&report)["detail"]
            .as_str()
            .unwrap()
            .contains("slow after 80ms")
    );
    let median = check(&report)["duration_ms"].as_f64().unwrap();
    assert!((120.0..1000.0).contains(&median), "{median}");

    let keys = format!("url = {}\nsamples = 0", quoted(&server.url("/")));
    let out = Cmd::new()
        .config(&config("http", &keys))
        .args(["validate"])
        .run();
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("`samples`"), "{}", out.stderr);
}

// Bad path keys are config errors naming what to fix.
#[test]
fn bad_path_keys_are_config_errors() {
    for (keys, words) in [
        (
            "ip = \"7\"",
            "`7` is not a choice: use \"auto\", \"4\", \"6\", \"both\" or \"all\"",
        ),
        (
            "resolve = { \"svc.test\" = \"127.0.0.1\" }",
            "is not `host:port`",
        ),
        (
            "resolve = { \"svc.test:80\" = \"nowhere\" }",
            "`nowhere` is not an IP address",
        ),
        ("source_address = \"eth0\"", "`eth0` is not an IP address"),
        ("proxy = \"ftp://p:1\"", "proxies are not supported"),
        (
            "proxy = \"http://p:1\"\nip = \"6\"",
            "through a proxy the proxy resolves the name",
        ),
    ] {
        let text = config("http", &format!("url = \"http://svc.test:80/\"\n{keys}"));
        let out = Cmd::new().config(&text).args(["validate"]).run();
        assert_eq!(out.code, 3, "{keys}: {out:?}");
        assert!(out.stderr.contains(words), "{keys}: {}", out.stderr);
    }
}

// `-v` shows the address a check reached.
#[test]
fn verbose_shows_the_address_used() {
    let server = Responder::start(v4(0), 200);
    let keys = format!("address = \"localhost:{}\"\nip = \"4\"", server.addr.port());
    let out = Cmd::new()
        .config(&config("tcp", &keys))
        .args(["run", "--dry-run", "-v"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(&format!("via {}", server.addr)),
        "{}",
        out.stdout
    );
}

// `validate` shows each check's path and samples in its plan.
#[test]
fn validate_shows_the_path() {
    let keys = format!(
        "url = \"http://svc.test:80/\"\nip = \"both\"\n{}\nsource_address = \"127.0.0.2\"\nsamples = 3",
        pinned(80)
    );
    let out = Cmd::new()
        .config(&config("http", &keys))
        .args(["validate"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(
            "over IPv4 and IPv6, each, svc.test:80 pinned to 127.0.0.1 and ::1, from 127.0.0.2, expect 200-299, 3 samples"
        ),
        "{}",
        out.stdout
    );
}

// `validate` (and `doctor`) name a `source_address` this host does not have.
#[test]
fn a_source_address_this_host_lacks_is_a_problem() {
    let keys = "address = \"127.0.0.1:9\"\nsource_address = \"192.0.2.99\"";
    let out = Cmd::new()
        .config(&config("tcp", keys))
        .args(["validate"])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stdout.contains(
            "problem: svc/probe: `source_address` 192.0.2.99 is not an address of this host (see `ip address`)"
        ),
        "{}",
        out.stdout
    );
}

// In a network namespace with nothing but loopback, `ip = "6"` towards a routed IPv6 address
// is a problem `validate` names, and the check itself is unknown — this host's trouble, not
// the target's.
#[test]
#[ignore = "needs root for unshare(1) network namespaces"]
fn a_family_this_host_cannot_route_is_named_and_unknown() {
    let cmd = Cmd::new();
    let config = cmd.write(
        "config.toml",
        &config(
            "tcp",
            "address = \"[2001:db8::10]:443\"\nip = \"6\"\ntimeout = \"2s\"",
        ),
    );
    let script = format!(
        "ip link set lo up || exit 97\n{bin} validate -c {c}; echo \"validate=$?\"; {bin} run --dry-run --format json -c {c}",
        bin = BIN,
        c = config.display()
    );
    let output = std::process::Command::new("unshare")
        .args(["--net", "sh", "-c", &script])
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(97), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("problem: svc/probe: this host has no IPv6 route to [2001:db8::10]:443 (the network is unreachable from this host): with `ip = \"6\"` the check will be unknown"),
        "{stdout}"
    );
    assert!(stdout.contains("validate=3"), "{stdout}");
    let json = stdout.lines().last().unwrap_or_default();
    let report: Value = serde_json::from_str(json).unwrap();
    assert_eq!(check(&report)["outcome"], "unknown", "{report}");
    assert_eq!(output.status.code(), Some(3));
}

// `ping` takes `ip` and `source_address` (no port, no proxy): the family picks the address.
#[test]
fn ping_keeps_to_the_family_ip_asks_for() {
    let (code, report) = dry_run(
        &config("ping", "host = \"::1\"\nip = \"4\"\ncount = 1"),
        &[],
    );
    assert_eq!(code, 2, "{report}");
    assert_eq!(check(&report)["detail"], "`::1` has no IPv4 address");
    let out = Cmd::new()
        .config(&config("ping", "host = \"::1\"\nproxy = \"http://p:1\""))
        .args(["validate"])
        .run();
    assert_eq!(out.code, 3);
    assert!(
        out.stderr
            .contains("`proxy` does not apply to a `ping` check"),
        "{}",
        out.stderr
    );
}

// `dns` takes `source_address` (its queries come from it) and `ip` (which resolvers are
// asked): a family no resolver has leaves the check unknown, naming the keys to fix.
#[test]
fn dns_queries_keep_to_the_path() {
    let dns = crate::support::dns::Dns::start().a("www.example.test", "192.0.2.10");
    // A `dns` check's `name` is the name it looks up: no check name here.
    let config = |keys: &str| {
        Toml::cachet("http://127.0.0.1:9")
            .component("svc", 1)
            .check(None, "dns", keys)
            .to_string()
    };
    let server = format!("server = \"{}\"", dns.addr);
    let keys = format!("name = \"www.example.test\"\n{server}\nsource_address = \"127.0.0.2\"");
    let (code, report) = dry_run(&config(&keys), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        check(&report)["via"],
        serde_json::json!([dns.addr.to_string()])
    );
    let peers = dns.peers();
    assert!(!peers.is_empty());
    assert!(
        peers
            .iter()
            .all(|peer| peer.ip().to_string() == "127.0.0.2"),
        "{peers:?}"
    );

    let keys = format!("name = \"www.example.test\"\n{server}\nip = \"6\"");
    let (code, report) = dry_run(&config(&keys), &[]);
    assert_eq!(code, 3, "{report}");
    assert_eq!(
        check(&report)["detail"],
        "no resolver of the family `ip` (or `source_address`) asks for: fix `ip` or `server`"
    );
}
