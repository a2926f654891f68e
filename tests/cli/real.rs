//! The built binary against real servers from Debian's packages, started on loopback ports
//! with their own config and data dirs (`support::daemon`): what the fakes only believe.
//! `.ci/run` installs the packages; each test is ignored where its server is missing.

use crate::kinds::{check, dry_run, outcome, outcomes};
use crate::support::cmd::Cmd;
use crate::support::daemon::{Daemon, OpensslPki, free_addr, openssl_date};

/// A bcrypt hash (cost 4) of `PROM_PASSWORD`, for Prometheus's web config: a test password,
/// not a key.
const PROM_HASH: &str = "$2b$04$9cK7fE5DfA.VIuDWd3WQwu2.IY6Vn3cRhpWJP.lNhHJs9HbvFGVT6";
const PROM_PASSWORD: &str = "prom-test-password";

fn prometheus(extra: &[&str], setup: impl FnOnce(&std::path::Path)) -> Daemon {
    let addr = free_addr();
    let listen = format!("--web.listen-address={addr}");
    let mut args = vec![
        "--config.file={dir}/prometheus.yml",
        "--storage.tsdb.path={dir}/data",
        listen.as_str(),
    ];
    args.extend_from_slice(extra);
    Daemon::start("prometheus", &args, addr, |dir| {
        std::fs::write(
            dir.join("prometheus.yml"),
            "global:\n  scrape_interval: 1m\nscrape_configs: []\n",
        )
        .unwrap();
        setup(dir);
    })
}

// Instant queries that return a value, an empty vector, several series (one with `|` in a
// label), a scalar, a range vector, and bad PromQL (Prometheus's `bad_data`).
#[test]
#[ignore = "needs prometheus"]
fn prometheus_instant_queries() {
    let prom = prometheus(&[], |_| {});
    let url = format!("http://{}", prom.addr);
    let query = |name: &str, query: &str, keys: &str| {
        check(
            name,
            "prometheus",
            &format!("url = \"{url}\"\nquery = '{query}'\n{keys}"),
        )
    };
    let checks = [
        query("one", "vector(1)", "min = 1"),
        query("empty", "vector(1) > 2", ""),
        query("allowed empty", "vector(1) > 2", "allow_empty = true"),
        query(
            "several",
            r#"label_replace(vector(1), "job", "api", "", "") or label_replace(vector(5), "job", "web|db", "", "")"#,
            "max = 2",
        ),
        query("scalar", "scalar(vector(3))", "max = 2"),
        query("range", "vector(1)[5m:1m]", ""),
        query("bad", r#"up{job=~"api|web""#, ""),
        query("close to min", "vector(0.99994)", "min = 0.99995"),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "one"),
        ("pass".into(), "prometheus: {} = 1".into())
    );
    assert_eq!(
        outcome(&all, "empty"),
        (
            "fail".into(),
            "prometheus: `vector(1) > 2` returned no samples".into()
        )
    );
    assert_eq!(outcome(&all, "allowed empty").0, "pass");
    assert_eq!(
        outcome(&all, "several"),
        (
            "fail".into(),
            "prometheus: {job=\"web|db\"} = 5 > max 2".into()
        )
    );
    assert_eq!(
        outcome(&all, "scalar"),
        ("fail".into(), "prometheus: scalar = 3 > max 2".into())
    );
    assert_eq!(outcome(&all, "range").0, "fail");
    assert!(outcome(&all, "range").1.contains("range vector"), "{all:?}");
    let bad = outcome(&all, "bad");
    assert_eq!(bad.0, "fail");
    assert!(
        bad.1.starts_with("prometheus: bad_data: ") && bad.1.contains("parse error"),
        "{bad:?}"
    );
    assert_eq!(
        outcome(&all, "close to min"),
        (
            "fail".into(),
            "prometheus: {} = 0.9999 < min 0.99995".into()
        )
    );
    // The text summary never holds a stray `|`.
    let text = Cmd::new()
        .config(&format!(
            "[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n{checks}"
        ))
        .args(["run", "--dry-run"])
        .run();
    assert_eq!(text.summary().matches('|').count(), 1, "{}", text.stdout);
}

// Prometheus behind its own TLS, basic auth and a route prefix, as operators run it.
#[test]
#[ignore = "needs prometheus"]
fn prometheus_with_tls_basic_auth_and_a_route_prefix() {
    let certs = tempfile::tempdir().unwrap();
    let pki = OpensslPki::new(certs.path());
    pki.leaf("prom", &["localhost"], &openssl_date(-1), &openssl_date(60));
    let web = format!(
        "tls_server_config:\n  cert_file: {}\n  key_file: {}\nbasic_auth_users:\n  monitor: {PROM_HASH}\n",
        pki.path("prom.chain.pem"),
        pki.path("prom.key")
    );
    let prom = prometheus(
        &[
            "--web.config.file={dir}/web.yml",
            "--web.route-prefix=/prom",
        ],
        |dir| std::fs::write(dir.join("web.yml"), &web).unwrap(),
    );
    let cmd = Cmd::new().env("PROM_PASSWORD", PROM_PASSWORD);
    let url = format!("https://localhost:{}/prom", prom.addr.port());
    let checks = [
        check(
            "authorised",
            "prometheus",
            &format!(
                "url = \"{url}\"\nquery = \"vector(1)\"\nca_file = \"{}\"\nbasic_auth = {{ user = \"monitor\", password_env = \"PROM_PASSWORD\" }}",
                pki.path("root.pem")
            ),
        ),
        check(
            "no password",
            "prometheus",
            &format!(
                "url = \"{url}\"\nquery = \"vector(1)\"\nca_file = \"{}\"",
                pki.path("root.pem")
            ),
        ),
        check(
            "not trusted",
            "prometheus",
            &format!("url = \"{url}\"\nquery = \"vector(1)\""),
        ),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "authorised"),
        ("pass".into(), "prometheus: {} = 1".into()),
        "{}",
        prom.log()
    );
    assert_eq!(outcome(&all, "no password").0, "fail");
    assert!(
        outcome(&all, "no password").1.contains("HTTP 401"),
        "{all:?}"
    );
    assert_eq!(
        outcome(&all, "not trusted"),
        (
            "fail".into(),
            "prometheus: certificate for localhost is not trusted: issued by an unknown CA (add it to the system's CA certificates, or name it in `ca_file`)".into()
        )
    );
}

/// unbound serving a local zone on a loopback port: every record type, an alias, NXDOMAIN,
/// NODATA, REFUSED, and an answer too large for UDP.
fn unbound() -> Daemon {
    let addr = free_addr();
    let args = ["-d", "-c", "{dir}/unbound.conf"];
    Daemon::start("unbound", &args, addr, |dir| {
        let mut config = format!(
            "server:\n  interface: 127.0.0.1@{port}\n  port: {port}\n  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"{dir}\"\n  pidfile: \"\"\n  use-syslog: no\n  logfile: \"\"\n  do-ip6: no\n  access-control: 127.0.0.0/8 allow\n  module-config: \"iterator\"\n",
            port = addr.port(),
            dir = dir.display()
        );
        for data in [
            "example.test. 300 IN NS ns1.example.test.",
            "example.test. 300 IN MX 10 mail.example.test.",
            "example.test. 300 IN TXT \"v=spf1 -all\"",
            "www.example.test. 300 IN A 192.0.2.10",
            "www.example.test. 300 IN A 192.0.2.11",
            "www.example.test. 300 IN AAAA 2001:db8::10",
            "status.example.test. 300 IN CNAME edge.cdn.test.",
        ] {
            config.push_str(&format!("  local-data: '{data}'\n"));
        }
        for i in 0..40 {
            config.push_str(&format!(
                "  local-data: 'big.example.test. 300 IN TXT \"record {i:02} of a set too large for one UDP answer\"'\n"
            ));
        }
        config.push_str(
            "  local-zone: \"example.test.\" static\n  local-zone: \"refused.test.\" refuse\n",
        );
        std::fs::write(dir.join("unbound.conf"), config).unwrap();
    })
}

#[test]
#[ignore = "needs unbound"]
fn unbound_answers_every_record_type_and_every_failure() {
    let dns = unbound();
    let server = dns.addr;
    // A dns check's `name` is the name looked up; the check is called `dns RECORD NAME`.
    let lookup = |name: &str, record: &str, keys: &str| {
        format!(
            "[[components.c.checks]]\ntype = \"dns\"\nname = \"{name}\"\nrecord = \"{record}\"\nserver = \"{server}\"\n{keys}\n"
        )
    };
    let checks = [
        lookup(
            "www.example.test",
            "A",
            "expect = [\"192.0.2.10\", \"192.0.2.11\"]",
        ),
        lookup("www.example.test", "AAAA", "expect = \"2001:db8::10\""),
        lookup("status.example.test", "CNAME", "expect = \"edge.cdn.test\""),
        lookup("status.example.test", "A", ""),
        lookup("example.test", "MX", "expect = \"10 mail.example.test\""),
        lookup("example.test", "TXT", "expect = \"v=spf1 -all\""),
        lookup("example.test", "NS", "expect = \"ns1.example.test\""),
        lookup("nope.example.test", "A", ""),
        lookup("example.test", "AAAA", ""),
        lookup("x.refused.test", "A", ""),
        lookup(
            "big.example.test",
            "TXT",
            "expect = \"record 39 of a set too large for one UDP answer\"",
        ),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    for passing in [
        "dns A www.example.test",
        "dns AAAA www.example.test",
        "dns CNAME status.example.test",
        "dns MX example.test",
        "dns TXT example.test",
        "dns NS example.test",
        "dns TXT big.example.test",
    ] {
        assert_eq!(
            outcome(&all, passing).0,
            "pass",
            "{passing}: {all:?}\n{}",
            dns.log()
        );
    }
    assert_eq!(
        outcome(&all, "dns A status.example.test").1,
        format!(
            "no A record for status.example.test: it is an alias (CNAME) of edge.cdn.test, which has none (asked {server})"
        )
    );
    assert_eq!(
        outcome(&all, "dns A nope.example.test").1,
        format!("NXDOMAIN: nope.example.test does not exist (asked {server})")
    );
    assert_eq!(
        outcome(&all, "dns AAAA example.test").1,
        format!("no AAAA record for example.test (asked {server})")
    );
    assert_eq!(
        outcome(&all, "dns A x.refused.test").1,
        format!("{server} refused the query for A x.refused.test")
    );
}
