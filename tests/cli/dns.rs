//! SPEC §5 `dns`: every record type, `expect`, NXDOMAIN, SERVFAIL, REFUSED, silence, and a
//! truncated answer retried over TCP, against a DNS responder on a loopback port.

use std::time::Duration;

use crate::support::cmd::Cmd;
use crate::support::dns::Dns;
use crate::support::kinds::{dry_run, outcome, outcomes};
use crate::support::toml::Toml;

fn zone() -> Dns {
    Dns::start()
        .a("www.example.test", "192.0.2.10")
        .a("www.example.test", "192.0.2.11")
        .aaaa("www.example.test", "2001:db8::10")
        .cname("status.example.test", "edge.cdn.test")
        .mx("example.test", 10, "mail.example.test")
        .mx("example.test", 20, "backup.example.test")
        .txt("example.test", "v=spf1 -all")
        .ns("example.test", "ns1.example.test")
}

fn lookup(dns: &Dns, name: &str, record: &str, expect: &str) -> String {
    format!(
        "name = \"{name}\"\nrecord = \"{record}\"\nserver = \"{}\"\n{expect}",
        dns.addr
    )
}

#[test]
fn every_record_type_is_looked_up_and_expected_values_found() {
    let dns = zone();
    let checks = [
        check_named(&lookup(
            &dns,
            "www.example.test",
            "A",
            "expect = [\"192.0.2.11\"]",
        )),
        check_named(&lookup(
            &dns,
            "www.example.test",
            "AAAA",
            "expect = \"2001:DB8::10\"",
        )),
        check_named(&lookup(
            &dns,
            "status.example.test",
            "cname",
            "expect = \"edge.cdn.test.\"",
        )),
        check_named(&lookup(
            &dns,
            "example.test",
            "MX",
            "expect = [\"mail.example.test\", \"20 backup.example.test\"]",
        )),
        check_named(&lookup(
            &dns,
            "example.test",
            "TXT",
            "expect = \"v=spf1 -all\"",
        )),
        check_named(&lookup(&dns, "example.test", "NS", "")),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    let expected = [
        (
            "dns A www.example.test",
            "A www.example.test: 192.0.2.10, 192.0.2.11",
        ),
        (
            "dns AAAA www.example.test",
            "AAAA www.example.test: 2001:db8::10",
        ),
        (
            "dns CNAME status.example.test",
            "CNAME status.example.test: edge.cdn.test",
        ),
        (
            "dns MX example.test",
            "MX example.test: 10 mail.example.test, 20 backup.example.test",
        ),
        ("dns TXT example.test", "TXT example.test: v=spf1 -all"),
        ("dns NS example.test", "NS example.test: ns1.example.test"),
    ];
    for (name, detail) in expected {
        assert_eq!(
            outcome(&all, name),
            ("pass".into(), detail.into()),
            "{all:?}"
        );
    }
    assert_eq!(out.code, 0, "{out:?}");
    let asked = dns.asked();
    assert!(
        asked.iter().all(|(transport, _, _)| *transport == "udp"),
        "{asked:?}"
    );
    assert_eq!(asked.len(), 6);
}

/// A `dns` check takes its name from what it looks up (`name` is the name looked up).
fn check_named(keys: &str) -> String {
    Toml::default().of("c").check(None, "dns", keys).to_string()
}

#[test]
fn missing_values_nxdomain_servfail_refused_and_empty_answers_fail() {
    let dns = zone();
    let checks = [
        check_named(&lookup(
            &dns,
            "www.example.test",
            "A",
            "expect = [\"192.0.2.99\", \"192.0.2.10\"]",
        )),
        check_named(&lookup(&dns, "nope.example.test", "A", "")),
        check_named(&lookup(&dns, "servfail.test", "A", "")),
        check_named(&lookup(&dns, "refused.test", "A", "")),
        check_named(&lookup(&dns, "www.example.test", "MX", "")),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    let server = dns.addr;
    let expected = [
        (
            "dns A www.example.test",
            "A www.example.test: 192.0.2.99 missing (got 192.0.2.10, 192.0.2.11)".to_owned(),
        ),
        (
            "dns A nope.example.test",
            format!("NXDOMAIN: nope.example.test does not exist (asked {server})"),
        ),
        (
            "dns A servfail.test",
            format!("SERVFAIL from {server} for A servfail.test"),
        ),
        (
            "dns A refused.test",
            format!("{server} refused the query for A refused.test"),
        ),
        (
            "dns MX www.example.test",
            format!("no MX record for www.example.test (asked {server})"),
        ),
    ];
    for (name, detail) in expected {
        assert_eq!(outcome(&all, name), ("fail".into(), detail), "{all:?}");
    }
    assert_eq!(out.json()["components"][0]["status"], "major_outage");
    assert_eq!(out.code, 2);
}

#[test]
fn a_silent_resolver_times_out_within_the_check_timeout() {
    let dns = zone();
    let out = dry_run(
        Cmd::new(),
        &check_named(&lookup(&dns, "silent.test", "A", "timeout = \"600ms\"")),
    );
    assert_eq!(
        outcome(&outcomes(&out), "dns A silent.test"),
        (
            "fail".into(),
            format!("{}: no answer, timed out after 600 ms", dns.addr)
        )
    );
    assert!(out.elapsed < Duration::from_secs(3), "{out:?}");
}

#[test]
fn a_truncated_answer_is_asked_again_over_tcp() {
    let mut dns = Dns::start();
    for index in 0..12 {
        dns = dns.txt("big.test", &format!("record {index:02} {}", "x".repeat(60)));
    }
    let out = dry_run(
        Cmd::new(),
        &check_named(&lookup(
            &dns,
            "big.test",
            "TXT",
            "expect = \"record 11 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
        )),
    );
    let (kind, detail) = outcome(&outcomes(&out), "dns TXT big.test");
    assert_eq!(kind, "pass", "{detail}");
    assert!(detail.ends_with("… 7 more"), "{detail}");
    let transports: Vec<&str> = dns.asked().iter().map(|(t, _, _)| *t).collect();
    assert_eq!(transports, ["udp", "tcp"]);
}

#[test]
fn dns_failures_follow_on_failure_and_slow_after() {
    let dns = zone();
    let out = dry_run(
        Cmd::new(),
        &check_named(&lookup(&dns, "nope.test", "A", "on_failure = \"degraded\"")),
    );
    assert_eq!(outcome(&outcomes(&out), "dns A nope.test").0, "degraded");
    assert_eq!(out.code, 1);
    let down = dry_run(
        Cmd::new(),
        &check_named(&lookup(&dns, "nope.test", "A", "on_failure = \"down\"")),
    );
    assert_eq!(outcome(&outcomes(&down), "dns A nope.test").0, "down");
    assert_eq!(down.json()["components"][0]["status"], "major_outage");
    let slow = dry_run(
        Cmd::new(),
        &check_named(&lookup(
            &dns,
            "www.example.test",
            "A",
            "slow_after = \"1ns\"",
        )),
    );
    let (kind, detail) = outcome(&outcomes(&slow), "dns A www.example.test");
    assert_eq!(kind, "degraded");
    assert!(detail.contains("but took"), "{detail}");
}

// SPEC §5: without `server`, the nameservers of /etc/resolv.conf are asked. The test gives
// cachet-check a network and mount namespace of its own (unshare(1), as root) with a
// resolv.conf naming 127.0.0.2 (not the 127.0.0.1 used when there is none) and a responder on
// port 53 there.
#[test]
#[ignore = "needs root (or passwordless sudo) for unshare(1) network and mount namespaces, and python3"]
fn without_a_server_the_system_resolver_is_asked() {
    let cmd = Cmd::new();
    let resolv = cmd.write("resolv.conf", "search example.org\nnameserver 127.0.0.2\n");
    let ready = cmd.dir().join("ready");
    let responder = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cli/data/dns_responder.py"
    );
    let config = cmd.write(
        "config.toml",
        "[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n\
         [[components.c.checks]]\ntype = \"dns\"\nname = \"sys.example.test\"\nexpect = \"192.0.2.77\"\n\
         [[components.c.checks]]\ntype = \"dns\"\nname = \"nope.example.test\"\non_failure = \"degraded\"\n",
    );
    let script = format!(
        "ip link set lo up && mount --bind {resolv} /etc/resolv.conf || exit 97\n\
         python3 {responder} {ready} 127.0.0.2 sys.example.test=192.0.2.77 &\n\
         for _ in $(seq 100); do [ -e {ready} ] && break; sleep 0.05; done\n\
         {bin} run --dry-run --format json -c {config}\n\
         code=$?; kill $!; exit $code\n",
        resolv = resolv.display(),
        ready = ready.display(),
        bin = crate::support::cmd::BIN,
        config = config.display(),
    );
    let output = in_own_namespace(&script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_ne!(
        output.status.code(),
        Some(97),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&output.stderr)));
    let checks = &report["components"][0]["checks"];
    assert_eq!(checks[0]["outcome"], "pass", "{report}");
    assert_eq!(checks[0]["detail"], "A sys.example.test: 192.0.2.77");
    assert_eq!(checks[1]["outcome"], "degraded");
    assert_eq!(
        checks[1]["detail"], "NXDOMAIN: nope.example.test does not exist (asked 127.0.0.2:53)",
        "the name is asked as written: no search domain appended"
    );
    assert_eq!(output.status.code(), Some(1));
}

/// Runs `script` with `sh` in a network and mount namespace of its own (unshare(1), as root or
/// through sudo), so that it may bind /etc/resolv.conf over and listen on 127.0.0.2:53.
fn in_own_namespace(script: &str) -> std::process::Output {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .unwrap()
        .stdout
        == b"0\n";
    let mut command = std::process::Command::new(if root { "unshare" } else { "sudo" });
    if !root {
        command.args(["-n", "unshare"]);
    }
    command
        .args(["--net", "--mount", "sh", "-c", script])
        .output()
        .unwrap()
}

// SPEC §10: when this host's resolver does not answer (resolv.conf names a port where nothing
// listens), every check that needs a name looked up is unknown — nothing is this target's
// fault — and the run exits 3; NXDOMAIN from the same resolver is the target's failure.
#[test]
#[ignore = "needs root (or passwordless sudo) for unshare(1) network and mount namespaces, and python3"]
fn a_resolver_that_does_not_answer_is_this_hosts_trouble_and_nxdomain_is_not() {
    let cmd = Cmd::new();
    let resolv = cmd.write(
        "resolv.conf",
        "nameserver 127.0.0.2\noptions timeout:1 attempts:1\n",
    );
    let ready = cmd.dir().join("ready");
    let responder = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cli/data/dns_responder.py"
    );
    let config = cmd.write(
        "config.toml",
        "[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n\
         [[components.c.checks]]\ntype = \"dns\"\nname = \"gone.example.test\"\n\
         [[components.c.checks]]\nname = \"http\"\ntype = \"http\"\nurl = \"http://gone.example.test:8080/\"\n\
         [[components.c.checks]]\nname = \"tcp\"\ntype = \"tcp\"\naddress = \"gone.example.test:8080\"\n",
    );
    let script = format!(
        "ip link set lo up && mount --bind {resolv} /etc/resolv.conf || exit 97\n\
         {bin} run --dry-run --format json --timeout 8s -c {config}; echo \"exit $?\"\n\
         python3 {responder} {ready} 127.0.0.2 &\n\
         for _ in $(seq 100); do [ -e {ready} ] && break; sleep 0.05; done\n\
         {bin} run --dry-run --format json --timeout 8s -c {config}; echo \"exit $?\"\n\
         kill $!\n",
        resolv = resolv.display(),
        ready = ready.display(),
        bin = crate::support::cmd::BIN,
        config = config.display(),
    );
    let output = in_own_namespace(&script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_ne!(
        output.status.code(),
        Some(97),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    let report = |line: &str| -> serde_json::Value {
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    };
    let silent = report(lines[0]);
    assert_eq!(lines[1], "exit 3", "{stdout}");
    assert!(silent["components"][0]["status"].is_null(), "{silent}");
    for check in silent["components"][0]["checks"].as_array().unwrap() {
        assert_eq!(check["outcome"], "unknown", "{silent}");
        assert!(
            check["detail"].as_str().unwrap().contains("resolver"),
            "the detail names the resolver: {silent}"
        );
    }
    let nxdomain = report(lines[2]);
    assert_eq!(lines[3], "exit 2", "{stdout}");
    assert_eq!(
        nxdomain["components"][0]["status"], "major_outage",
        "{nxdomain}"
    );
    for check in nxdomain["components"][0]["checks"].as_array().unwrap() {
        assert_eq!(check["outcome"], "fail", "{nxdomain}");
    }
}

// An A query answered only by a CNAME (its target has no A record here) names the alias.
#[test]
fn a_name_that_is_only_an_alias_is_named_as_such() {
    let dns = zone();
    let out = dry_run(
        Cmd::new(),
        &check_named(&lookup(&dns, "status.example.test", "A", "")),
    );
    assert_eq!(
        outcome(&outcomes(&out), "dns A status.example.test"),
        (
            "fail".to_owned(),
            format!(
                "no A record for status.example.test: it is an alias (CNAME) of edge.cdn.test, which has none (asked {})",
                dns.addr
            )
        )
    );
}
