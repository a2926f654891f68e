//! SPEC §5 `tls` and `http`'s `cert_warn_before`, against TLS servers on 127.0.0.1 with
//! certificates made during the test: valid, expiring soon, expired, for another host, from an
//! untrusted CA, and a server that never finishes the handshake.

use time::Duration;

use crate::support::cmd::Cmd;
use crate::support::http::{Response, Server, blackhole};
use crate::support::kinds::{check, date_in, dry_run, outcome, outcomes};
use crate::support::tls::pki;

fn ok(_: &crate::support::http::Request) -> Response {
    Response::new(200, "ok")
}

#[test]
fn tls_expiry_gives_pass_degraded_and_fail() {
    let pki = pki();
    let fresh = Server::start_tls(
        pki.leaf(&["localhost"], Duration::days(90) + Duration::hours(1)),
        ok,
    );
    let soon = Server::start_tls(
        pki.leaf(&["localhost"], Duration::days(5) + Duration::hours(1)),
        ok,
    );
    let very_soon = Server::start_tls(
        pki.leaf(&["localhost"], Duration::days(2) + Duration::hours(1)),
        ok,
    );
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem);
    let keys = |server: &Server| {
        format!(
            "address = \"{}\"\nsni = \"localhost\"\nca_file = \"{}\"\nwarn_before = \"14d\"\nfail_before = \"3d\"",
            server.addr,
            ca.display()
        )
    };
    let checks = [
        check("fresh", "tls", &keys(&fresh)),
        check("soon", "tls", &keys(&soon)),
        check("very soon", "tls", &keys(&very_soon)),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "fresh"),
        (
            "pass".into(),
            format!(
                "certificate for localhost expires in 90 days ({})",
                date_in(Duration::days(90) + Duration::hours(1))
            )
        )
    );
    assert_eq!(
        outcome(&all, "soon"),
        (
            "degraded".into(),
            format!(
                "certificate for localhost expires in 5 days ({}), within `warn_before` (14 days)",
                date_in(Duration::days(5) + Duration::hours(1))
            )
        )
    );
    assert_eq!(
        outcome(&all, "very soon"),
        (
            "fail".into(),
            format!(
                "certificate for localhost expires in 2 days ({}), within `fail_before` (3 days)",
                date_in(Duration::days(2) + Duration::hours(1))
            )
        )
    );
    // One failed, one degraded, one passed: partial outage, CRITICAL.
    assert_eq!(out.json()["components"][0]["status"], "partial_outage");
    assert_eq!(out.code, 2, "{out:?}");
}

#[test]
fn tls_expired_wrong_host_and_untrusted_certificates_fail_with_the_reason() {
    let pki = pki();
    let expired = Server::start_tls(
        pki.leaf(&["localhost"], -Duration::days(3) - Duration::hours(1)),
        ok,
    );
    let other_host = Server::start_tls(pki.leaf(&["api.example.org"], Duration::days(90)), ok);
    let trusted_elsewhere = Server::start_tls(pki.leaf(&["localhost"], Duration::days(90)), ok);
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem);
    let with_ca = |server: &Server, sni: &str| {
        format!(
            "address = \"{}\"\nsni = \"{sni}\"\nca_file = \"{}\"",
            server.addr,
            ca.display()
        )
    };
    let checks = [
        check("expired", "tls", &with_ca(&expired, "localhost")),
        check(
            "wrong host",
            "tls",
            &with_ca(&other_host, "status.example.com"),
        ),
        check(
            "untrusted",
            "tls",
            &format!(
                "address = \"{}\"\nsni = \"localhost\"",
                trusted_elsewhere.addr
            ),
        ),
        check(
            "insecure",
            "tls",
            &format!(
                "address = \"{}\"\nsni = \"localhost\"\ninsecure = true\nwarn_before = \"7d\"",
                expired.addr
            ),
        ),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "expired"),
        (
            "fail".into(),
            format!(
                "certificate for localhost expired 3 days ago ({})",
                date_in(-Duration::days(3) - Duration::hours(1))
            )
        )
    );
    let (wrong, detail) = outcome(&all, "wrong host");
    assert_eq!(wrong, "fail");
    assert!(
        detail.starts_with("certificate is not valid for status.example.com (it names ")
            && detail.contains("api.example.org"),
        "{detail}"
    );
    let (untrusted, detail) = outcome(&all, "untrusted");
    assert_eq!(untrusted, "fail");
    assert!(detail.contains("issued by an unknown CA"), "{detail}");
    // insecure: the chain is not verified, but the dates still are.
    assert_eq!(
        outcome(&all, "insecure"),
        (
            "fail".into(),
            format!(
                "certificate for localhost expired 3 days ago ({})",
                date_in(-Duration::days(3) - Duration::hours(1))
            )
        )
    );
    assert_eq!(out.code, 2, "{out:?}");
}

#[test]
fn tls_trusts_the_system_certificates_named_by_ssl_cert_file() {
    let pki = pki();
    let server = Server::start_tls(
        pki.leaf(&["localhost"], Duration::days(90) + Duration::hours(1)),
        ok,
    );
    let cmd = Cmd::new();
    let bundle = cmd.write("bundle.pem", &pki.ca_pem);
    let checks = [
        check(
            "by name",
            "tls",
            &format!("address = \"localhost:{}\"", server.addr.port()),
        ),
        check("by ip", "tls", &format!("address = \"{}\"", server.addr)),
        check("https", "http", &format!("url = \"{}\"", server.url("/"))),
    ]
    .concat();
    let out = dry_run(
        cmd.env("SSL_CERT_FILE", &bundle.display().to_string()),
        &checks,
    );
    let all = outcomes(&out);
    assert_eq!(outcome(&all, "by name").0, "pass", "{all:?}");
    assert_eq!(
        outcome(&all, "by ip").1,
        format!(
            "certificate for 127.0.0.1 expires in 90 days ({})",
            date_in(Duration::days(90) + Duration::hours(1))
        ),
        "the leaf also names 127.0.0.1"
    );
    assert_eq!(outcome(&all, "https"), ("pass".into(), "HTTP 200".into()));
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn tls_failures_follow_on_failure() {
    let pki = pki();
    let expired = Server::start_tls(pki.leaf(&["localhost"], -Duration::days(1)), ok);
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem);
    let keys = |on_failure: &str| {
        format!(
            "address = \"{}\"\nsni = \"localhost\"\nca_file = \"{}\"\non_failure = \"{on_failure}\"",
            expired.addr,
            ca.display()
        )
    };
    let degraded = dry_run(Cmd::new(), &check("t", "tls", &keys("degraded")));
    assert_eq!(outcome(&outcomes(&degraded), "t").0, "degraded");
    assert_eq!(
        degraded.json()["components"][0]["status"],
        "performance_issues"
    );
    assert_eq!(degraded.code, 1);
    let down = dry_run(cmd, &check("t", "tls", &keys("down")));
    assert_eq!(outcome(&outcomes(&down), "t").0, "down");
    assert_eq!(down.json()["components"][0]["status"], "major_outage");
    assert_eq!(down.code, 2);
}

#[test]
fn a_stalled_tls_handshake_ends_at_the_timeout() {
    let stalled = blackhole();
    let out = dry_run(
        Cmd::new(),
        &check(
            "stalled",
            "tls",
            &format!("address = \"{stalled}\"\nsni = \"localhost\"\ntimeout = \"700ms\""),
        ),
    );
    assert_eq!(
        outcome(&outcomes(&out), "stalled"),
        ("fail".into(), "TLS handshake timed out after 700 ms".into())
    );
    assert!(out.elapsed < std::time::Duration::from_secs(3), "{out:?}");
}

#[test]
fn http_cert_warn_before_degrades_a_passing_check() {
    let pki = pki();
    let soon = Server::start_tls(
        pki.leaf(&["localhost"], Duration::days(5) + Duration::hours(1)),
        ok,
    );
    let fresh = Server::start_tls(pki.leaf(&["localhost"], Duration::days(90)), ok);
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem);
    let keys = |server: &Server| {
        format!(
            "url = \"https://localhost:{}/\"\nca_file = \"{}\"\ncert_warn_before = \"14d\"",
            server.addr.port(),
            ca.display()
        )
    };
    let checks = [
        check("soon", "http", &keys(&soon)),
        check("fresh", "http", &keys(&fresh)),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "soon"),
        (
            "degraded".into(),
            format!(
                "HTTP 200, but certificate for localhost expires in 5 days ({}), within `cert_warn_before` (14 days)",
                date_in(Duration::days(5) + Duration::hours(1))
            )
        )
    );
    assert_eq!(outcome(&all, "fresh"), ("pass".into(), "HTTP 200".into()));
    assert_eq!(out.code, 1, "{out:?}");
}

#[test]
fn a_peer_that_does_not_speak_tls_fails_with_the_reason() {
    let (ssh, _) = crate::support::http::banner_server("SSH-2.0-OpenSSH_9.2p1\r\n");
    let out = dry_run(
        Cmd::new(),
        &check(
            "ssh",
            "tls",
            &format!("address = \"{ssh}\"\nsni = \"localhost\"\ntimeout = \"2s\""),
        ),
    );
    let (kind, detail) = outcome(&outcomes(&out), "ssh");
    assert_eq!(kind, "fail");
    assert_eq!(
        detail,
        "the server does not speak TLS on this port: it answered like SSH (`SSH-2.0-OpenSSH_9.2p1`)"
    );
}

// The chain's weak link: expiry is judged on the certificate that expires first, and the
// detail names it — an intermediate expiring before the leaf, or already expired (verified:
// the handshake is refused naming it; `insecure`: only the dates are read).
#[test]
fn an_expiring_or_expired_intermediate_is_named() {
    let (root, soon) =
        crate::support::tls::expiring_intermediate(Duration::days(5) + Duration::hours(1));
    let (old_root, gone) = crate::support::tls::expiring_intermediate(-Duration::days(2));
    let (soon, gone) = (Server::start_tls(soon, ok), Server::start_tls(gone, ok));
    let cmd = Cmd::new();
    let ca = cmd.write("root.pem", &root);
    let old_ca = cmd.write("old-root.pem", &old_root);
    let checks = [
        check(
            "soon",
            "tls",
            &format!(
                "address = \"{}\"\nsni = \"localhost\"\nca_file = \"{}\"\nwarn_before = \"14d\"",
                soon.addr,
                ca.display()
            ),
        ),
        check(
            "gone",
            "tls",
            &format!(
                "address = \"{}\"\nsni = \"localhost\"\nca_file = \"{}\"",
                gone.addr,
                old_ca.display()
            ),
        ),
        check(
            "gone, dates only",
            "tls",
            &format!(
                "address = \"{}\"\nsni = \"localhost\"\ninsecure = true",
                gone.addr
            ),
        ),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "soon"),
        (
            "degraded".into(),
            format!(
                "intermediate certificate `test intermediate` in the chain of localhost expires in 5 days ({}), within `warn_before` (14 days)",
                date_in(Duration::days(5) + Duration::hours(1))
            )
        )
    );
    assert_eq!(
        outcome(&all, "gone, dates only"),
        (
            "fail".into(),
            format!(
                "intermediate certificate `test intermediate` in the chain of localhost expired 2 days ago ({})",
                date_in(-Duration::days(2))
            )
        )
    );
    // Verified: the handshake is refused, and the refusal names the intermediate, not the
    // leaf (which is valid for 80 more days).
    assert_eq!(
        outcome(&all, "gone"),
        (
            "fail".into(),
            format!(
                "intermediate certificate `test intermediate` in the chain of localhost expired 2 days ago ({})",
                date_in(-Duration::days(2))
            )
        )
    );
}

// `tcp` with `tls = true`: the banner and the exchange go through a TLS session (SMTPS, IMAPS…);
// session keys without `tls = true` are refused, naming the fix.
#[test]
fn tcp_speaks_through_tls_when_asked() {
    let pki = pki();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let config = pki.server.clone();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming().flatten() {
            let mut connection = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut stream = stream;
            let mut tls = rustls::Stream::new(&mut connection, &mut stream);
            let _ = tls.write_all(b"* OK IMAPS ready\r\n");
            let mut asked = [0u8; 64];
            if let Ok(count) = tls.read(&mut asked)
                && asked[..count].starts_with(b"a1 NOOP")
            {
                let _ = tls.write_all(b"a1 OK NOOP completed\r\n");
            }
        }
    });
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem);
    let checks = check(
        "imaps",
        "tcp",
        &format!(
            "address = \"{addr}\"\ntls = true\nsni = \"localhost\"\nca_file = \"{}\"\nexpect_banner = \"* OK\"\nsend = \"a1 NOOP\\r\\n\"\nexpect = \"a1 OK\"",
            ca.display()
        ),
    );
    let out = dry_run(cmd, &checks);
    assert_eq!(
        outcome(&outcomes(&out), "imaps"),
        ("pass".into(), "connected, got `a1 OK`".into())
    );
    let refused = Cmd::new()
        .config("[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"127.0.0.1:993\"\nsni = \"mail.example.com\"\n")
        .args(["validate"])
        .run();
    assert_eq!(refused.code, 3, "{refused:?}");
    assert!(
        refused.stderr.contains(
            "`sni` in `[[components.a.checks]]` applies to a TLS session: add `tls = true`"
        ),
        "{}",
        refused.stderr
    );
}

// Every TLS check sees the certificate the server presents now: no session is resumed (a
// resumed session shows no certificate, and the check would judge one from an earlier
// handshake). Behind one name the first connection meets a leaf valid for 90 days, every later
// one a leaf expiring in 2 days; run one after the other, the second check of each trust is
// degraded for it. With sessions resumed, `b` judged `a`'s certificate and passed.
#[test]
fn every_tls_check_judges_the_certificate_the_server_presents_now() {
    let pki = pki();
    let server = Server::start_tls(
        pki.rotating(
            Duration::days(90) + Duration::hours(1),
            Duration::days(2) + Duration::hours(1),
        ),
        ok,
    );
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem);
    let address = format!(
        "address = \"{}\"\nsni = \"localhost\"\nwarn_before = \"14d\"",
        server.addr
    );
    let insecure = format!("{address}\ninsecure = true");
    let trusted = format!("{address}\nca_file = \"{}\"", ca.display());
    let checks = [
        check("a", "tls", &insecure),
        check("b", "tls", &insecure),
        check("c", "tls", &trusted),
        check("d", "tls", &trusted),
    ]
    .concat();
    let out = dry_run(cmd.args(["--jobs", "1"]), &checks);
    let all = outcomes(&out);
    assert_eq!(outcome(&all, "a").0, "pass", "{all:?}");
    let soon = format!(
        "certificate for localhost expires in 2 days ({}), within `warn_before` (14 days)",
        date_in(Duration::days(2) + Duration::hours(1))
    );
    for name in ["b", "c", "d"] {
        assert_eq!(
            outcome(&all, name),
            ("degraded".into(), soon.clone()),
            "{name}"
        );
    }
}
