//! Hostile networks (SPEC §7: the deadline holds whatever the network does): check targets and
//! Cachet servers that misbehave on purpose. Each case must end in time, with a clear detail,
//! in bounded memory, and never write twice.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::Cmd;
use crate::support::http::{Response, Server, blackhole};

/// Peak RSS a run may reach against any of these targets.
const RSS_BOUND_KIB: u64 = 24 * 1024;

/// A TCP server that hands every connection to `behave`, on a thread of its own.
fn raw(behave: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || behave(stream));
        }
    });
    addr
}

/// Reads the request head, so that what follows is an answer to it.
fn read_head(stream: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        seen.push(byte[0]);
    }
}

fn one_byte_a_second(mut stream: TcpStream) {
    read_head(&mut stream);
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" {
        if stream.write_all(&[*byte]).is_err() {
            return;
        }
        thread::sleep(Duration::from_secs(1));
    }
}

fn endless_body(mut stream: TcpStream) {
    read_head(&mut stream);
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
    let chunk = [b'x'; 64 * 1024];
    while stream.write_all(&chunk).is_ok() {}
}

fn four_gib_body(mut stream: TcpStream) {
    read_head(&mut stream);
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4294967296\r\n\r\n");
    let chunk = [b'y'; 64 * 1024];
    while stream.write_all(&chunk).is_ok() {}
}

fn not_http(mut stream: TcpStream) {
    read_head(&mut stream);
    let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01\x02 garbage\r\n\r\n");
}

fn reset_mid_response(mut stream: TcpStream) {
    read_head(&mut stream);
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf");
    // SO_LINGER 0: closing sends a RST instead of a FIN.
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
}

fn redirect_loop(mut stream: TcpStream) {
    read_head(&mut stream);
    let _ = stream.write_all(
        b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
}

/// The hostile targets: what each does, its URL, and what the check's detail must say.
fn hostile_targets() -> Vec<(&'static str, String, &'static str)> {
    let hole = blackhole();
    vec![
        ("never answers", format!("http://{hole}/"), "timed out"),
        (
            "one byte a second",
            format!("http://{}/", raw(one_byte_a_second)),
            "timed out",
        ),
        (
            "endless body",
            format!("http://{}/", raw(endless_body)),
            "body does not contain `ok` in its first 1 MiB",
        ),
        (
            "4 GiB Content-Length",
            format!("http://{}/", raw(four_gib_body)),
            "body does not contain `ok` in its first 1 MiB",
        ),
        ("not HTTP", format!("http://{}/", raw(not_http)), "HTTP"),
        (
            "reset mid-response",
            format!("http://{}/", raw(reset_mid_response)),
            // "the connection closed early" or "reset by the peer", as the RST lands.
            "HTTP 200, reading the body: ",
        ),
        (
            "redirect loop",
            format!("http://{}/", raw(redirect_loop)),
            "redirect loop",
        ),
        (
            "TLS handshake stalls",
            format!("https://{hole}/"),
            "timed out",
        ),
    ]
}

/// A dry run of one check of `url` with a 1 s timeout that reads the body (so its cap applies).
fn against(url: &str) -> Cmd {
    Cmd::new()
        .config(&format!(
            "[components.target]\nid = 1\n[[components.target.checks]]\nname = \"t\"\ntype = \"http\"\n\
             url = \"{url}\"\ntimeout = \"1s\"\nexpect_body_contains = \"ok\"\n"
        ))
        .args(["run", "--dry-run", "-v", "--timeout", "5s"])
}

// Hostile check targets: each check ends by its 1 s timeout (or sooner) with a detail that
// says what happened, and the run long before its deadline.
#[test]
fn hostile_check_targets_end_in_time_with_a_clear_detail() {
    for (what, url, expected) in hostile_targets() {
        let out = against(&url).run();
        assert_eq!(out.code, 2, "{what}: {out:?}");
        assert!(
            out.elapsed < Duration::from_millis(2500),
            "{what}: took {:?}",
            out.elapsed
        );
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with("  target/t: fail - "))
            .unwrap_or_else(|| panic!("{what}: {}", out.stdout));
        assert!(line.contains(expected), "{what}: {line}");
    }
}

// The same targets, and Cachet's huge error pages, in bounded memory: the peak RSS of the run.
#[test]
#[ignore = "needs GNU time (apt-get install time)"]
fn hostile_peers_cost_bounded_memory() {
    for (what, url, _) in hostile_targets() {
        let (out, rss) = against(&url).run_measured();
        assert_eq!(out.code, 2, "{what}: {out:?}");
        assert!(rss < RSS_BOUND_KIB, "{what}: peak RSS {rss} KiB");
    }
    let target = Server::start(|_| Response::new(200, "ok"));
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 3);
    let page = "E".repeat(8 * 1024 * 1024);
    for _ in 0..8 {
        cachet.script(
            "GET",
            "/api/v1/components/2",
            Response::new(503, page.clone()),
        );
    }
    let (out, rss) = pushing(&cachet, &target).run_measured();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(rss < RSS_BOUND_KIB, "8 MiB error pages: peak RSS {rss} KiB");
}

/// A config pushing component `api` (id 2) from one check of a healthy target.
fn pushing(cachet: &FakeCachet, target: &Server) -> Cmd {
    Cmd::new()
        .config(&format!(
            "[cachet]\nurl = \"{}\"\napi = \"2\"\n[components.api]\nid = 2\n\
             [[components.api.checks]]\nname = \"up\"\ntype = \"http\"\nurl = \"{}\"\n",
            cachet.url(),
            target.url("/")
        ))
        .token(TOKEN)
        .args(["run", "--timeout", "8s"])
}

/// The status writes Cachet carried out (PUT bodies with a status), in order.
fn status_writes(cachet: &FakeCachet) -> usize {
    cachet
        .writes()
        .iter()
        .filter(|w| w.method == "PUT" && w.body.contains("\"status\""))
        .count()
}

// Hostile or broken Cachet: every answer ends in the right exit code and message, and no
// status is written twice.
#[test]
fn a_broken_cachet_gets_the_right_exit_and_message() {
    let target = Server::start(|_| Response::new(200, "ok"));
    let proxy_page = "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>";
    type Setup = fn(&FakeCachet, &str);
    let cases: Vec<(&str, Setup, i32, &str)> = vec![
        (
            "500 then 200",
            |c, _| c.script("PUT", "/api/v1/components/2", Response::new(500, "oops")),
            0,
            "set to operational",
        ),
        (
            "502 HTML from a proxy, every time",
            |c, page| {
                for _ in 0..8 {
                    c.script(
                        "GET",
                        "/api/v1/components/2",
                        Response::new(502, page).header("Content-Type", "text/html"),
                    );
                }
            },
            3,
            "HTTP 502",
        ),
        (
            "429 with Retry-After",
            |c, _| {
                c.script(
                    "PUT",
                    "/api/v1/components/2",
                    Response::new(429, "slow down").header("Retry-After", "1"),
                )
            },
            0,
            "set to operational",
        ),
        (
            "429 without Retry-After, every time",
            |c, _| {
                for _ in 0..8 {
                    c.script(
                        "PUT",
                        "/api/v1/components/2",
                        Response::new(429, "slow down"),
                    );
                }
            },
            3,
            "429",
        ),
        (
            "invalid JSON",
            |c, _| {
                c.script(
                    "GET",
                    "/api/v1/components/2",
                    Response::new(200, "{\"data\": {\"id\": 2, \"status\":")
                        .header("Content-Type", "application/json"),
                )
            },
            3,
            "JSON",
        ),
        (
            "a 200 showing another status",
            |c, _| {
                c.script(
                    "PUT",
                    "/api/v1/components/2",
                    Response::json(
                        200,
                        &serde_json::json!({"data": {"id": 2, "name": "API", "status": 4, "enabled": true}}),
                    ),
                )
            },
            3,
            "shows major outage, not operational: the write was ignored",
        ),
        (
            "a redirect to another host",
            |c, _| {
                c.script(
                    "GET",
                    "/api/v1/components/2",
                    Response::new(301, "")
                        .header("Location", "http://127.0.0.2:1/api/v1/components/2"),
                )
            },
            3,
            "redirect",
        ),
        (
            "the connection drops after the write was applied",
            |c, _| c.drop_after_applying("PUT", "/api/v1/components/2"),
            0,
            "set to operational",
        ),
    ];
    for (what, setup, code, expected) in cases {
        let cachet = FakeCachet::start(Version::V24).component(2, "API", 3);
        setup(&cachet, proxy_page);
        let out = pushing(&cachet, &target).args(["-v"]).run();
        assert_eq!(out.code, code, "{what}: {out:?}");
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(text.contains(expected), "{what}: {text}");
        // A proxy's HTML page is never dumped into the message.
        assert!(!text.contains("<html>"), "{what}: {text}");
        if code == 0 {
            assert_eq!(cachet.get(2).status, 1, "{what}");
            // Cachet applied the status once (a retried PUT of the same status is harmless,
            // but a second write after success would not be).
            let writes = status_writes(&cachet);
            assert!((1..=2).contains(&writes), "{what}: {writes} writes");
        }
    }
}

// A POST whose answer is lost after Cachet created the incident: the run learns it happened
// and does not open a second one.
#[test]
fn a_lost_incident_post_is_not_repeated() {
    let target = Server::start(|_| Response::new(503, "down"));
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    cachet.drop_after_applying("POST", "/api/v1/incidents");
    let cmd = Cmd::new()
        .config(&format!(
            "[cachet]\nurl = \"{}\"\n[components.api]\nid = 2\nincident = {{ name = \"API down\" }}\n\
             [[components.api.checks]]\ntype = \"http\"\nurl = \"{}\"\n",
            cachet.url(),
            target.url("/")
        ))
        .token(TOKEN)
        .args(["run", "-v"]);
    for _ in 0..3 {
        let out = cmd.run();
        assert_eq!(out.code, 2, "{out:?}");
    }
    let incidents = cachet.incidents();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
}

// An error page from Cachet is summed up, not printed, even when it is huge.
#[test]
fn a_huge_error_page_is_not_read_whole_or_printed() {
    let target = Server::start(|_| Response::new(200, "ok"));
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 3);
    let page = "E".repeat(8 * 1024 * 1024);
    for _ in 0..8 {
        cachet.script(
            "GET",
            "/api/v1/components/2",
            Response::new(503, page.clone()),
        );
    }
    let out = pushing(&cachet, &target).run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.len() < 4096,
        "{} bytes of stderr",
        out.stderr.len()
    );
}

// Secrets on the error paths too: an unreachable Cachet and a failing check whose URLs carry
// credentials, a refused token, at every verbosity and in JSON. ureq's own errors can echo a
// URL; what reaches the user never holds the password.
#[test]
fn secrets_stay_out_of_error_messages() {
    let closed = crate::support::http::closed_port();
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let cases = [
        (
            format!("http://admin:cachet-pass-789@127.0.0.1:{closed}"),
            format!("http://probe:target-pass-321@127.0.0.1:{closed}/health"),
            "s3cr3t-token-value",
        ),
        (
            cachet.url(),
            format!("http://probe:target-pass-321@127.0.0.1:{closed}/health"),
            "wrong-token-value-555",
        ),
    ];
    for (cachet_url, target, token) in cases {
        let config = format!(
            "[cachet]\nurl = \"{cachet_url}\"\n[components.api]\nid = 2\n\
             [[components.api.checks]]\ntype = \"http\"\nurl = \"{target}\"\ntimeout = \"1s\"\n"
        );
        for verbosity in [&["-vv"][..], &["-v"], &[], &["--format", "json"]] {
            let out = Cmd::new()
                .config(&config)
                .token(token)
                .args(["run", "--timeout", "3s"])
                .args(verbosity)
                .run();
            assert_eq!(out.code, 3, "{out:?}");
            for secret in [token, "cachet-pass-789", "target-pass-321"] {
                assert!(
                    !out.stdout.contains(secret) && !out.stderr.contains(secret),
                    "{secret} leaked at {verbosity:?}:\n{}\n{}",
                    out.stdout,
                    out.stderr
                );
            }
        }
    }
}
