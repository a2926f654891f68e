//! SPEC §5: every key of the `http`, `tcp` and `exec` check kinds, against real loopback targets.
//! These run with --dry-run: what is under test is the outcome and its detail.

use std::time::Duration;

use crate::support::cmd::Cmd;
use crate::support::http::{Response, Server, banner_server, closed_port};
use crate::support::kinds::{self, expect_line, line, verbose_dry_run as dry_run};
use crate::support::tls::pki;
use crate::support::toml::quoted;

#[test]
fn http_sends_method_headers_body_and_basic_auth() {
    let server = Server::start(|_| Response::new(201, "created"));
    let cmd = Cmd::new();
    let password = cmd.write("pw", "pa55\n");
    let checks = format!(
        "[[components.c.checks]]\nname = \"post\"\ntype = \"http\"\nurl = \"{}\"\nmethod = \"post\"\nheaders = {{ X-Probe = \"cachet-check\", Content-Type = \"application/json\" }}\nbody = '{{\"ping\":1}}'\nbasic_auth = {{ user = \"mon\", password_file = \"{}\" }}\nexpect_status = [201]\n",
        server.url("/hook?x=1"),
        password.display()
    );
    let out = dry_run(cmd, &checks);
    assert_eq!(out.code, 0, "{out:?}");
    expect_line(&out, "post", "pass - HTTP 201");
    let request = &server.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.target.as_str()),
        ("POST", "/hook?x=1")
    );
    assert_eq!(request.header("X-Probe"), Some("cachet-check"));
    assert_eq!(request.header("Authorization"), Some("Basic bW9uOnBhNTU="));
    assert_eq!(request.body, "{\"ping\":1}");
}

// SPEC §5: `method` is any method, not only HTTP's own: a cache's PURGE, WebDAV's PROPFIND.
// Refused by the client, such a check read "the answer is not HTTP", an outage of a server that
// was never asked.
#[test]
fn http_sends_methods_of_other_protocols() {
    let server = Server::start(|_| Response::new(200, "purged"));
    let checks = format!(
        "[[components.c.checks]]\nname = \"purge\"\ntype = \"http\"\nurl = \"{}\"\nmethod = \"purge\"\n\n[[components.c.checks]]\nname = \"propfind\"\ntype = \"http\"\nurl = \"{}\"\nmethod = \"PROPFIND\"\n",
        server.url("/cache/page"),
        server.url("/dav/")
    );
    let out = dry_run(Cmd::new(), &checks);
    assert_eq!(out.code, 0, "{out:?}");
    expect_line(&out, "purge", "pass - HTTP 200");
    expect_line(&out, "propfind", "pass - HTTP 200");
    let mut sent: Vec<(String, String)> = server
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.target.clone()))
        .collect();
    sent.sort();
    assert_eq!(
        sent,
        [
            ("PROPFIND".to_owned(), "/dav/".to_owned()),
            ("PURGE".to_owned(), "/cache/page".to_owned())
        ]
    );
}

// SPEC §10: a request the client will not send (a URL longer than a request head may be) is
// not the server's failure: the check is unknown, says why, and the server is never asked.
#[test]
fn a_request_that_cannot_be_sent_is_unknown_not_an_outage() {
    let server = Server::start(|_| Response::new(200, "ok"));
    let checks = format!(
        "[[components.c.checks]]\nname = \"long\"\ntype = \"http\"\nurl = \"{}?q={}\"\n",
        server.url("/search"),
        "a".repeat(9000)
    );
    let out = dry_run(Cmd::new(), &checks);
    assert_eq!(out.code, 3, "{out:?}");
    expect_line(
        &out,
        "long",
        "unknown - the request could not be sent: its URL and headers are longer than the 8 KiB a request may have here",
    );
    assert!(server.requests().is_empty(), "the server was not asked");
}

#[test]
fn http_password_from_the_environment() {
    let server = Server::start(|r| {
        Response::new(
            if r.header("Authorization") == Some("Basic bW9uOmVudi1wdw==") {
                200
            } else {
                401
            },
            "",
        )
    });
    let checks = format!(
        "[[components.c.checks]]\nname = \"auth\"\ntype = \"http\"\nurl = \"{}\"\nbasic_auth = {{ user = \"mon\", password_env = \"PROBE_PW\" }}\n",
        server.url("/")
    );
    let out = dry_run(Cmd::new().env("PROBE_PW", "env-pw"), &checks);
    assert_eq!(out.code, 0, "{out:?}");
    // Unset: this check alone cannot run and says why; another component runs normally, and
    // `run OTHER` is not held up at all.
    let other = format!(
        "[components.other]\nid = 2\n[[components.other.checks]]\nname = \"up\"\ntype = \"http\"\nurl = \"{}\"\nexpect_status = [401]\n",
        server.url("/")
    );
    let config =
        format!("[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n{checks}{other}");
    let cmd = Cmd::new().config(&config);
    let out = cmd.args(["run", "--dry-run", "-v"]).run();
    // SPEC §10: a missing secret is this host's trouble: unknown, not an outage.
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stdout.contains(
            "  c/auth: unknown - not run: the `basic_auth` password: environment variable `PROBE_PW` is not set"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("other: operational"), "{}", out.stdout);
    let only_other = Cmd::new()
        .config(&config)
        .args(["run", "--dry-run", "other"])
        .run();
    assert_eq!(only_other.code, 0, "{only_other:?}");
    let validate = Cmd::new().config(&config).args(["validate"]).run();
    assert_eq!(validate.code, 3, "{validate:?}");
    assert!(
        validate.stdout.contains(
            "problem: c/auth: the `basic_auth` password: environment variable `PROBE_PW` is not set"
        ),
        "{}",
        validate.stdout
    );
}

#[test]
fn http_status_ranges_and_body_assertions() {
    let server = Server::start(|r| match r.path() {
        "/json" => Response::new(200, r#"{"status":"up","db":{"ok":true,"lag":3}}"#),
        "/error" => Response::new(200, "<html>Fatal error: out of memory</html>"),
        "/moved" => Response::new(304, ""),
        _ => Response::new(418, "teapot"),
    });
    let check = |name: &str, path: &str, extra: &str| {
        let url = quoted(&server.url(path));
        kinds::check(name, "http", &format!("url = {url}\n{extra}"))
    };
    let checks = [
        check(
            "json ok",
            "/json",
            "expect_json = { \"/status\" = \"up\", \"/db/ok\" = true, \"/db/lag\" = 3 }",
        ),
        check("json bad", "/json", "expect_json = { \"/db/lag\" = 0 }"),
        check(
            "contains",
            "/json",
            "expect_body_contains = [\"status\", \"nowhere\"]",
        ),
        check(
            "regex",
            "/json",
            "expect_body_regex = '\"status\"\\s*:\\s*\"up\"'",
        ),
        check(
            "reject",
            "/error",
            "reject_body_regex = \"(?i)fatal error\"",
        ),
        check("range", "/moved", "expect_status = [\"200-299\", \"304\"]"),
        check("teapot", "/tea", ""),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    assert_eq!(out.code, 2);
    expect_line(&out, "json ok", "pass - HTTP 200");
    expect_line(
        &out,
        "json bad",
        "fail - HTTP 200, JSON /db/lag is 3, expected 0",
    );
    expect_line(
        &out,
        "contains",
        "fail - HTTP 200, body does not contain `nowhere`",
    );
    expect_line(&out, "regex", "pass - HTTP 200");
    expect_line(
        &out,
        "reject",
        "fail - HTTP 200, body matches rejected /(?i)fatal error/ (`Fatal error`)",
    );
    expect_line(&out, "range", "pass - HTTP 304");
    expect_line(&out, "teapot", "fail - HTTP 418, expected 200-299");
}

#[test]
fn http_redirects_are_followed_boundedly_or_not_at_all() {
    let server = Server::start(|r| match r.path() {
        "/old" => Response::new(301, "").header("Location", "/new"),
        "/new" => Response::new(200, "here"),
        _ => Response::new(302, "").header("Location", "/loop"),
    });
    let check = |name: &str, path: &str, extra: &str| {
        let url = quoted(&server.url(path));
        kinds::check(name, "http", &format!("url = {url}\n{extra}"))
    };
    let checks = [
        check("followed", "/old", ""),
        check("not followed", "/old", "follow_redirects = false"),
        check("loop", "/loop", ""),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    expect_line(&out, "followed", "pass - HTTP 200");
    expect_line(&out, "not followed", "fail - HTTP 301, expected 200-299");
    expect_line(
        &out,
        "loop",
        "fail - more than 10 redirects (a redirect loop?)",
    );
    let loops = server
        .requests()
        .iter()
        .filter(|r| r.path() == "/loop")
        .count();
    assert_eq!(loops, 11, "the first request and ten redirects");
}

#[test]
fn http_bodies_are_read_up_to_a_cap() {
    let server = Server::start(|_| Response::new(200, "x".repeat(3 * 1024 * 1024) + "needle"));
    let checks = format!(
        "[[components.c.checks]]\nname = \"big\"\ntype = \"http\"\nurl = \"{}\"\nexpect_body_contains = \"needle\"\n",
        server.url("/")
    );
    let out = dry_run(Cmd::new(), &checks);
    expect_line(
        &out,
        "big",
        "fail - HTTP 200, body does not contain `needle` in its first 1 MiB",
    );
}

#[test]
fn https_verifies_certificates_unless_told_otherwise() {
    let pki = pki();
    let server = Server::start_tls(pki.server.clone(), |_| Response::new(200, "secure"));
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem);
    let url = server.url("/");
    let checks = format!(
        "[[components.c.checks]]\nname = \"untrusted\"\ntype = \"http\"\nurl = \"{url}\"\n\
         [[components.c.checks]]\nname = \"private ca\"\ntype = \"http\"\nurl = \"{url}\"\nca_file = \"{}\"\n\
         [[components.c.checks]]\nname = \"insecure\"\ntype = \"http\"\nurl = \"{url}\"\ninsecure = true\n\
         [[components.c.checks]]\nname = \"by name\"\ntype = \"http\"\nurl = \"{}\"\nca_file = \"{}\"\n",
        ca.display(),
        url.replace("127.0.0.1", "localhost"),
        ca.display()
    );
    let out = dry_run(cmd, &checks);
    assert_eq!(out.code, 2, "{out:?}");
    expect_line(
        &out,
        "untrusted",
        "fail - certificate for 127.0.0.1 is not trusted: issued by an unknown CA (add it to the system's CA certificates, or name it in `ca_file`)",
    );
    expect_line(&out, "private ca", "pass - HTTP 200");
    expect_line(&out, "insecure", "pass - HTTP 200");
    expect_line(&out, "by name", "pass - HTTP 200");
}

#[test]
fn a_ca_file_that_is_not_pem_is_a_config_error() {
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", "not a certificate");
    let checks = format!(
        "[[components.c.checks]]\ntype = \"http\"\nurl = \"https://127.0.0.1:1/\"\nca_file = \"{}\"\n",
        ca.display()
    );
    let out = dry_run(cmd, &checks);
    assert_eq!(out.code, 3);
    assert!(
        out.stderr
            .contains(":8:1: `ca_file` in `[[components.c.checks]]`: "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("holds no PEM certificate"),
        "{}",
        out.stderr
    );
}

#[test]
fn tcp_connects_sends_and_expects_a_banner() {
    let (addr, received) = banner_server("220 mail.example.com ESMTP ready\r\n");
    let check = |name: &str, extra: &str| {
        kinds::check(name, "tcp", &format!("address = \"{addr}\"\n{extra}"))
    };
    let checks = [
        check("connect", ""),
        check("banner", "expect = \"220 \"\nsend = \"QUIT\\r\\n\""),
        check("wrong banner", "expect = \"SSH-2.0\"\ntimeout = \"1s\""),
        format!("[[components.c.checks]]\nname = \"closed\"\ntype = \"tcp\"\naddress = \"127.0.0.1:{}\"\n", closed_port()),
        "[[components.c.checks]]\nname = \"ipv6\"\ntype = \"tcp\"\naddress = \"[::1]:1\"\n".to_owned(),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    expect_line(&out, "connect", "pass - connected");
    expect_line(&out, "banner", "pass - connected, got `220 `");
    expect_line(
        &out,
        "wrong banner",
        "fail - expected `SSH-2.0` from the peer, got `220 mail.example.com ESMTP ready` (the peer closed the connection)",
    );
    expect_line(&out, "closed", "fail - connection refused");
    assert!(line(&out, "ipv6").starts_with("fail - "), "{}", out.stdout);
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        received.lock().unwrap().iter().any(|r| r == "QUIT\r\n"),
        "{:?}",
        received.lock().unwrap()
    );
}

// SPEC §5: `[defaults]` applies to checks that do not set the key.
#[test]
fn defaults_apply_where_checks_are_silent() {
    let server = Server::start(|_| Response::new(200, "ok").delay(Duration::from_millis(150)));
    let checks = format!(
        "[[components.c.checks]]\nname = \"inherits\"\ntype = \"http\"\nurl = \"{u}\"\n[[components.c.checks]]\nname = \"overrides\"\ntype = \"http\"\nurl = \"{u}\"\nslow_after = \"5s\"\n",
        u = server.url("/")
    );
    let cmd = Cmd::new();
    let config = format!(
        "[defaults]\nslow_after = \"50ms\"\n[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n{checks}"
    );
    let out = cmd.config(&config).args(["run", "--dry-run", "-v"]).run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        line(&out, "inherits").starts_with("degraded - HTTP 200, but took "),
        "{}",
        out.stdout
    );
    expect_line(&out, "overrides", "pass - HTTP 200");
}

// SPEC §2: -j bounds the checks in flight; all of them still run.
#[test]
fn jobs_bound_concurrency() {
    let server = Server::start(|_| Response::new(200, "ok").delay(Duration::from_millis(200)));
    let checks: String = (0..6)
        .map(|i| {
            format!(
                "[[components.c.checks]]\nname = \"c{i}\"\ntype = \"http\"\nurl = \"{}\"\n",
                server.url("/")
            )
        })
        .collect();
    let config =
        format!("[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n{checks}");
    let serial = Cmd::new()
        .config(&config)
        .args(["run", "--dry-run", "-j", "1"])
        .run();
    let parallel = Cmd::new()
        .config(&config)
        .args(["run", "--dry-run", "-j", "6"])
        .run();
    assert_eq!((serial.code, parallel.code), (0, 0));
    assert!(
        serial.elapsed >= Duration::from_millis(1200),
        "{:?}",
        serial.elapsed
    );
    assert!(
        parallel.elapsed < Duration::from_millis(900),
        "{:?}",
        parallel.elapsed
    );
}

/// A server that answers every connection with `Content-Encoding: encoding` and `body`, bytes
/// as given (the support server's bodies are text).
fn encoded_server(encoding: &'static str, body: Vec<u8>) -> String {
    use std::io::Write;
    let listener = crate::support::http::listen();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            crate::support::http::read_head(&mut stream);
            let text = format!(
                "HTTP/1.1 200 OK\r\nContent-Encoding: {encoding}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(text.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}/")
}

// Checks ask for no compression, but a server that compresses anyway is read as a browser reads
// it: its body assertions see the text, and a body that cannot be decompressed fails.
#[test]
fn http_bodies_compressed_unasked_are_decoded() {
    use std::io::Write;
    let text = b"status: ok\n".repeat(100);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&text).unwrap();
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(&text).unwrap();
    let checks = [
        ("gzip", encoded_server("gzip", gzip.finish().unwrap())),
        ("deflate", encoded_server("deflate", zlib.finish().unwrap())),
        (
            "broken",
            encoded_server("gzip", b"status: ok, not gzip".to_vec()),
        ),
    ]
    .iter()
    .map(|(name, url)| {
        kinds::check(
            name,
            "http",
            &format!("url = \"{url}\"\nexpect_body_contains = \"status: ok\""),
        )
    })
    .collect::<String>();
    let out = dry_run(Cmd::new(), &checks);
    expect_line(&out, "gzip", "pass - HTTP 200");
    expect_line(&out, "deflate", "pass - HTTP 200");
    expect_line(
        &out,
        "broken",
        "fail - HTTP 200, reading the body: the body says it is gzip-compressed but cannot be decompressed",
    );
}

// A connection's input buffer starts at 4 KiB and grows for a long response head (cookies,
// security headers) up to 32 KiB, over plain HTTP and TLS alike; a longer head fails, saying so.
#[test]
fn long_response_heads_are_read_over_http_and_https() {
    let answer = |request: &crate::support::http::Request| {
        let size = if request.path() == "/huge" { 40 } else { 20 };
        Response::new(200, "ok").header("X-Padding", &"p".repeat(size * 1024))
    };
    let plain = Server::start(answer);
    let pki = pki();
    let tls = Server::start_tls(pki.server.clone(), answer);
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem);
    let checks = [
        kinds::check(
            "plain",
            "http",
            &format!("url = \"{}\"", plain.url("/long")),
        ),
        kinds::check(
            "tls",
            "http",
            &format!(
                "url = \"{}\"\nca_file = \"{}\"\nexpect_body_contains = \"ok\"",
                tls.url("/long"),
                ca.display()
            ),
        ),
        kinds::check("huge", "http", &format!("url = \"{}\"", plain.url("/huge"))),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    expect_line(&out, "plain", "pass - HTTP 200");
    expect_line(&out, "tls", "pass - HTTP 200");
    expect_line(
        &out,
        "huge",
        "fail - response headers larger than 32768 bytes",
    );
}
