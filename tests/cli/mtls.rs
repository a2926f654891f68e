//! mTLS (`client_cert`, `client_key`) on `http` and `tls`, against a loopback server that asks
//! every client for a certificate of its own client CA (nginx's `ssl_verify_client on`).

use crate::support::cmd::Cmd;
use crate::support::http::{Response, Server};
use crate::support::kinds::{check, dry_run, outcome, outcomes};
use crate::support::tls::mtls;

#[test]
fn a_client_certificate_is_presented_when_the_server_asks() {
    let pki = mtls();
    let server = Server::start_tls(pki.server.clone(), |_| Response::new(200, "ok"));
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem);
    let cert = cmd.write("client.pem", &pki.client_pem);
    let key = cmd.write("client.key", &pki.client_key_pem);
    let stranger = cmd.write("stranger.pem", &pki.stranger_pem);
    let stranger_key = cmd.write("stranger.key", &pki.stranger_key_pem);
    let url = format!("https://localhost:{}/", server.addr.port());
    let http = |name: &str, client: Option<(&std::path::Path, &std::path::Path)>| {
        let mtls = client.map_or_else(String::new, |(cert, key)| {
            format!(
                "\nclient_cert = \"{}\"\nclient_key = \"{}\"",
                cert.display(),
                key.display()
            )
        });
        check(
            name,
            "http",
            &format!("url = \"{url}\"\nca_file = \"{}\"{mtls}", ca.display()),
        )
    };
    let checks = [
        http("with", Some((&cert, &key))),
        http("without", None),
        http("another CA", Some((&stranger, &stranger_key))),
        check(
            "tls with",
            "tls",
            &format!(
                "address = \"{}\"\nsni = \"localhost\"\nca_file = \"{}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"",
                server.addr,
                ca.display(),
                cert.display(),
                key.display()
            ),
        ),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    let all = outcomes(&out);
    assert_eq!(outcome(&all, "with"), ("pass".into(), "HTTP 200".into()));
    assert_eq!(outcome(&all, "tls with").0, "pass", "{all:?}");
    assert_eq!(
        outcome(&all, "without"),
        (
            "fail".into(),
            "the server refused the TLS handshake (it wants a client certificate)".into()
        )
    );
    assert_eq!(
        outcome(&all, "another CA"),
        (
            "fail".into(),
            "the server refused the TLS handshake (it refused the client certificate)".into()
        )
    );
    assert!(
        out.stderr.is_empty(),
        "keys of mode 0600 warn of nothing: {}",
        out.stderr
    );
}

// A client key others may read is a secret out in the open: a warning, as for a token file.
#[test]
fn a_client_key_readable_by_others_gets_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let pki = mtls();
    let cmd = Cmd::new();
    let cert = cmd.write("client.pem", &pki.client_pem);
    let key = cmd.write("client.key", &pki.client_key_pem);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = dry_run(
        cmd,
        &check(
            "c",
            "http",
            &format!(
                "url = \"https://127.0.0.1:9/\"\nclient_cert = \"{}\"\nclient_key = \"{}\"",
                cert.display(),
                key.display()
            ),
        ),
    );
    assert!(
        out.stderr.contains("client key") && out.stderr.contains("readable by"),
        "{}",
        out.stderr
    );
}

#[test]
fn client_cert_and_client_key_come_together() {
    let out = Cmd::new()
        .config("[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"http\"\nurl = \"https://127.0.0.1/\"\nclient_cert = \"c.pem\"\n")
        .args(["validate"])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr
            .contains("sets `client_cert` without `client_key`: give both"),
        "{}",
        out.stderr
    );
}

// `[cachet] client_cert` and `client_key`: a Cachet behind a proxy that asks for a client
// certificate is reached with it, and refused without it, saying why.
#[test]
fn the_cachet_client_presents_its_certificate() {
    use crate::support::cachet::{FakeCachet, TOKEN, Version};
    let pki = mtls();
    let cachet = FakeCachet::start_tls(Version::V24, pki.server.clone()).component(1, "API", 1);
    let cmd = Cmd::new();
    let bundle = cmd.write("bundle.pem", &pki.ca_pem).display().to_string();
    let cert = cmd.write("client.pem", &pki.client_pem);
    let key = cmd.write("client.key", &pki.client_key_pem);
    let with = format!(
        "[cachet]\nurl = \"{}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"\n",
        cachet.url(),
        cert.display(),
        key.display()
    );
    let out = cmd
        .config(&with)
        .env("SSL_CERT_FILE", &bundle)
        .token(TOKEN)
        .args(["set", "1", "major"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(cachet.get(1).status, 4);

    let cmd = Cmd::new();
    let bundle = cmd.write("bundle.pem", &pki.ca_pem).display().to_string();
    let out = cmd
        .config(&format!("[cachet]\nurl = \"{}\"\n", cachet.url()))
        .env("SSL_CERT_FILE", &bundle)
        .token(TOKEN)
        .args(["set", "1", "operational"])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("it wants a client certificate"),
        "{}",
        out.stderr
    );
    assert_eq!(cachet.get(1).status, 4);
}
