//! `starttls` on the `tls` kind: the plain-text exchange of each protocol, then the handshake
//! and the certificate's expiry — against loopback servers that speak as their real
//! counterparts do (Postfix's STARTTLS is in the real-server suite).

use time::Duration;

use crate::support::cmd::Cmd;
use crate::support::kinds::{check, date_in, dry_run, outcome, outcomes};
use crate::support::starttls::{Dialect, serve};
use crate::support::tls::pki;

fn starttls_check(name: &str, addr: std::net::SocketAddr, protocol: &str, ca: &str) -> String {
    check(
        name,
        "tls",
        &format!(
            "address = \"{addr}\"\nsni = \"localhost\"\nstarttls = \"{protocol}\"\nca_file = \"{ca}\"\ntimeout = \"5s\""
        ),
    )
}

#[test]
fn every_starttls_protocol_reaches_the_certificate() {
    let pki = pki();
    let server = pki.leaf(&["localhost"], Duration::days(90) + Duration::hours(1));
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem).display().to_string();
    let protocols = [
        ("smtp", Dialect::Smtp),
        ("imap", Dialect::Imap),
        ("pop3", Dialect::Pop3),
        ("ftp", Dialect::Ftp),
        ("postgres", Dialect::Postgres),
        ("ldap", Dialect::Ldap),
        ("xmpp", Dialect::Xmpp),
    ];
    let checks: String = protocols
        .iter()
        .map(|(word, dialect)| starttls_check(word, serve(*dialect, server.clone()), word, &ca))
        .collect();
    let out = dry_run(cmd, &checks);
    let all = outcomes(&out);
    for (word, _) in protocols {
        assert_eq!(
            outcome(&all, word),
            (
                "pass".into(),
                format!(
                    "certificate for localhost expires in 90 days ({})",
                    date_in(Duration::days(90) + Duration::hours(1))
                )
            ),
            "{word}"
        );
    }
    assert_eq!(out.code, 0, "{out:?}");
}

// A server that does not offer STARTTLS, or refuses it, is named with what it said.
#[test]
fn a_server_without_starttls_says_so() {
    let pki = pki();
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem).display().to_string();
    let smtp = serve(Dialect::SmtpWithoutTls, pki.server.clone());
    let postgres = serve(Dialect::PostgresWithoutTls, pki.server.clone());
    let checks = [
        starttls_check("smtp", smtp, "smtp", &ca),
        starttls_check("postgres", postgres, "postgres", &ca),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "smtp"),
        (
            "fail".into(),
            "STARTTLS smtp: the server does not offer STARTTLS (its EHLO answer: `250-mx.example.test 250 8BITMIME`)".into()
        )
    );
    assert_eq!(
        outcome(&all, "postgres"),
        (
            "fail".into(),
            "STARTTLS postgres: the server does not accept TLS (it answered N to SSLRequest: is `ssl` off?)".into()
        )
    );
}

#[test]
fn an_unknown_starttls_protocol_is_a_config_error_listing_them() {
    let out = Cmd::new()
        .config("[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"tls\"\naddress = \"127.0.0.1:25\"\nstarttls = \"smtps\"\n")
        .args(["validate"])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("`smtps` is not a STARTTLS protocol: write one of `smtp`, `imap`, `pop3`, `ftp`, `postgres`, `ldap`, `xmpp`"),
        "{}",
        out.stderr
    );
}
