//! What real servers and a new user found wrong (SPEC §9 and the kinds' details): the summary
//! never holds a stray `|`, TLS failures read as sentences, a self-signed `CA:TRUE` certificate
//! is trusted through `ca_file`, numbers never contradict the verdict, and `tcp` waits for a
//! greeting when asked.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::Duration;

use crate::support::cachet::TOKEN;
use crate::support::cmd::Cmd;
use crate::support::http::{Response, Server, banner_server};
use crate::support::kinds::{check, expect_line, line, verbose_dry_run as dry_run};

/// What nginx sends a client that speaks TLS to its plain-HTTP port.
const NGINX_400: &str =
    "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
use crate::support::tls::{missing_intermediate, pki, self_signed_ca_true};

/// A `tls` check named `tls` and an `http` check named `http` of `server`, both trusting
/// `ca_file`.
fn trusting(server: &Server, ca_file: &std::path::Path) -> String {
    let url = server.url("/");
    let address = url.trim_start_matches("https://").trim_end_matches('/');
    let ca = ca_file.display();
    [
        check(
            "tls",
            "tls",
            &format!("address = \"{address}\"\nsni = \"localhost\"\nca_file = \"{ca}\""),
        ),
        check(
            "http",
            "http",
            &format!("url = \"{url}\"\nca_file = \"{ca}\""),
        ),
    ]
    .concat()
}

// SPEC §9: the text part never holds `|` (Nagios, Icinga and Monit split the line there).
#[test]
fn a_bar_in_a_name_a_detail_or_a_pattern_never_splits_the_summary() {
    let server = Server::start(|_| Response::new(200, "status: degraded"));
    let checks = check(
        "a|b",
        "http",
        &format!(
            "url = \"{}\"\nreject_body_regex = \"up|degraded\"",
            server.url("/")
        ),
    );
    let out = dry_run(Cmd::new(), &checks);
    assert_eq!(out.code, 2, "{out:?}");
    let summary = out.summary();
    assert_eq!(summary.matches('|').count(), 1, "{summary}");
    let (text, perfdata) = summary.split_once(" | ").unwrap();
    assert_eq!(
        text,
        "CACHET-CHECK CRITICAL - c: major outage (1/1 checks failed: a¦b: HTTP 200, body matches rejected /up¦degraded/ (`degraded`)) [dry run: nothing pushed]"
    );
    assert!(perfdata.starts_with("'c/a¦b'="), "{perfdata}");
    assert!(
        out.stdout.lines().skip(1).all(|l| !l.contains('|')),
        "{}",
        out.stdout
    );
}

// A self-signed certificate with CA:TRUE (openssl req -x509's default) named in `ca_file` is
// trusted as curl --cacert trusts it, on the tls kind and on http; its names and dates are
// still judged.
#[test]
fn a_self_signed_ca_true_certificate_in_ca_file_is_trusted() {
    let (pem, config) = self_signed_ca_true();
    let server = Server::start_tls(config, |_| Response::new(200, "ok"));
    let cmd = Cmd::new();
    let ca = cmd.write("self-signed.pem", &pem);
    let url = server.url("/");
    let address = url.trim_start_matches("https://").trim_end_matches('/');
    let checks = [
        trusting(&server, &ca),
        check(
            "wrong name",
            "tls",
            &format!(
                "address = \"{address}\"\nsni = \"wrong.example\"\nca_file = \"{}\"",
                ca.display()
            ),
        ),
        check("not trusted", "http", &format!("url = \"{url}\"")),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    assert!(
        line(&out, "tls").starts_with("pass - certificate for localhost expires in "),
        "{}",
        out.stdout
    );
    expect_line(&out, "http", "pass - HTTP 200");
    expect_line(
        &out,
        "wrong name",
        "fail - certificate is not valid for wrong.example (it names localhost, 127.0.0.1)",
    );
    expect_line(
        &out,
        "not trusted",
        "fail - certificate for 127.0.0.1 is not trusted: it is self-signed (name it in `ca_file` to trust it)",
    );
}

// A server that sends its leaf without the intermediate that signed it: the chain is called
// incomplete, not "unknown issuer".
#[test]
fn a_missing_intermediate_is_named_an_incomplete_chain() {
    let (root, config) = missing_intermediate();
    let server = Server::start_tls(config, |_| Response::new(200, "ok"));
    let cmd = Cmd::new();
    let ca = cmd.write("root.pem", &root);
    let checks = trusting(&server, &ca);
    let out = dry_run(cmd, &checks);
    expect_line(
        &out,
        "tls",
        "fail - certificate for localhost is not trusted: the chain is incomplete (the server sent no intermediate certificate)",
    );
    expect_line(
        &out,
        "http",
        "fail - certificate for 127.0.0.1 is not trusted: the chain is incomplete (the server sent no intermediate certificate)",
    );
}

// The HTTP kinds say what is wrong with a certificate in the same words as the tls kind.
#[test]
fn http_certificate_failures_are_sentences() {
    let pki = pki();
    let expired = Server::start_tls(pki.leaf(&["localhost"], time::Duration::days(-3)), |_| {
        Response::new(200, "ok")
    });
    // nginx answers a TLS handshake on its plain port with a plain-text 400.
    let (plain, _) = banner_server(NGINX_400);
    let cmd = Cmd::new();
    let ca = cmd.write("ca.pem", &pki.ca_pem);
    let checks = [
        check(
            "expired",
            "http",
            &format!(
                "url = \"{}\"\nca_file = \"{}\"",
                expired.url("/"),
                ca.display()
            ),
        ),
        check("plain", "http", &format!("url = \"https://{plain}/\"")),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    let expired = line(&out, "expired");
    assert!(
        expired.starts_with("fail - certificate for 127.0.0.1 expired 3 days ago (20")
            || expired.starts_with("fail - certificate for 127.0.0.1 expired 2 days ago (20"),
        "{expired}"
    );
    expect_line(
        &out,
        "plain",
        "fail - the server does not speak TLS on this port (its answer is not a TLS handshake: plain HTTP, or a protocol that starts TLS later)",
    );
}

// `https://` against a plain-HTTP Cachet: a sentence, not "received corrupt message".
#[test]
fn https_against_a_plain_http_cachet_says_it_does_not_speak_tls() {
    let (plain, _) = banner_server(NGINX_400);
    let out = Cmd::new()
        .env("CACHET_URL", &format!("https://{plain}"))
        .token(TOKEN)
        .args(["set", "1", "major"])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr
            .contains("the server does not speak TLS on this port"),
        "{out:?}"
    );
}

/// A server that greets after `delay`, as Postfix's postscreen does, and drops a client that
/// talks first; else answers a command with `221 bye`.
fn postscreen(delay: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            thread::spawn(move || {
                thread::sleep(delay);
                stream.set_nonblocking(true).unwrap();
                let mut early = [0u8; 64];
                if stream.peek(&mut early).is_ok_and(|n| n > 0) {
                    // Pre-greeting traffic: a bot. Hang up.
                    let _ = stream.write_all(b"521 protocol error\r\n");
                    return;
                }
                stream.set_nonblocking(false).unwrap();
                let _ = stream.write_all(b"220 mx.example.test ESMTP\r\n");
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut command = [0u8; 64];
                if stream.read(&mut command).is_ok_and(|n| n > 0) {
                    let _ = stream.write_all(b"221 bye\r\n");
                }
            });
        }
    });
    addr
}

// `expect_banner` reads the greeting before `send`: a server that drops clients that talk
// first (postscreen) passes; without it the same check fails, saying what came.
#[test]
fn expect_banner_waits_for_the_greeting_before_send() {
    let mx = postscreen(Duration::from_millis(300));
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let checks = [
        check(
            "patient",
            "tcp",
            &format!(
                "address = \"{mx}\"\nexpect_banner = \"ESMTP\"\nsend = \"QUIT\\r\\n\"\nexpect = \"221\""
            ),
        ),
        check(
            "hasty",
            "tcp",
            &format!("address = \"{mx}\"\nsend = \"QUIT\\r\\n\"\nexpect = \"221\""),
        ),
        check(
            "greeting only",
            "tcp",
            &format!("address = \"{mx}\"\nexpect_banner = true"),
        ),
        check(
            "silent",
            "tcp",
            &format!("address = \"{silent_addr}\"\nexpect_banner = true\ntimeout = \"500ms\""),
        ),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    expect_line(&out, "patient", "pass - connected, got `221`");
    expect_line(
        &out,
        "hasty",
        "fail - expected `221` from the peer, got `521 protocol error` (connection reset by the peer)",
    );
    expect_line(
        &out,
        "greeting only",
        "pass - connected, greeted `220 mx.example.test ESMTP`",
    );
    assert!(
        line(&out, "silent").starts_with(
            "fail - no greeting as expected: expected a greeting line from the peer, nothing came (timed out after "
        ),
        "{}",
        out.stdout
    );
    drop(silent);
}

// The suite's guard against Debug text in any output recognises the shapes seen in the wild.
#[test]
fn the_debug_text_guard_catches_what_reached_users_before() {
    use crate::support::cmd::debug_shape;
    for seen in [
        "certificate is not valid: Other(OtherError(CaUsedAsEndEntity))",
        "TLS handshake failed: BadSignature",
        "(it names DnsName(\"wrong.example\"))",
        "invalid peer certificate: UnknownIssuer",
    ] {
        assert!(debug_shape(seen).is_some(), "{seen}");
    }
    for sentence in [
        "certificate for localhost expired 3 days ago (2026-11-26)",
        "a|b (and 1 more sample)",
        "CACHET-CHECK OK - api: operational (1 check passed)",
    ] {
        assert_eq!(debug_shape(sentence), None, "{sentence}");
    }
}

// Relative paths in the config are relative to the config file's directory, not to where cron
// or systemd start the program; `~/` is the home directory.
#[test]
fn relative_paths_are_found_from_the_config_directory() {
    let cmd = Cmd::new();
    let etc = cmd.dir().join("etc");
    std::fs::create_dir_all(etc.join("plugins")).unwrap();
    std::fs::write(etc.join("token"), "s3cr3t\n").unwrap();
    let plugin = etc.join("plugins/ok.sh");
    std::fs::write(&plugin, "#!/bin/sh\necho 'OK - plugin found'\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(etc.join("token"), std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(cmd.dir().join("home-token"), "t0ken\n").unwrap();
    std::fs::set_permissions(
        cmd.dir().join("home-token"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let config = etc.join("config.toml");
    std::fs::write(
        &config,
        "[cachet]\nurl = \"http://127.0.0.1:9\"\ntoken_file = \"token\"\n\
         [components.c]\nid = 1\n[[components.c.checks]]\nname = \"plugin\"\ntype = \"exec\"\ncommand = [\"./plugins/ok.sh\"]\n",
    )
    .unwrap();
    let config = config.display().to_string();
    // The command runs in the temp dir, the config lives in etc/.
    let out = Cmd::new()
        .args(["-c", &config, "run", "--dry-run", "-v"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("c/plugin: pass - OK - plugin found"),
        "{}",
        out.stdout
    );
    let out = Cmd::new().args(["-c", &config, "validate"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "token from `token_file` {}",
            etc.join("token").display()
        )),
        "{}",
        out.stdout
    );
    let home = config.replace("config.toml", "home.toml");
    std::fs::write(
        &home,
        "[cachet]\nurl = \"http://127.0.0.1:9\"\ntoken_file = \"~/home-token\"\n[components.c]\nid = 1\n[[components.c.checks]]\ntype = \"tcp\"\naddress = \"127.0.0.1:1\"\n",
    )
    .unwrap();
    // HOME is the first Cmd's dir.
    let out = Cmd::new()
        .env("HOME", &cmd.dir().display().to_string())
        .args(["-c", &home, "validate"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "token from `token_file` {}",
            cmd.dir().join("home-token").display()
        )),
        "{}",
        out.stdout
    );
}

// `validate` and `doctor` name what keeps a check from running on this machine, before the
// first run meets it: a missing program, one not on cron's PATH.
#[test]
fn validate_and_doctor_name_programs_a_scheduler_would_not_find() {
    let cmd = Cmd::new();
    let bin = cmd.dir().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let local = bin.join("check_local");
    std::fs::write(&local, "#!/bin/sh\necho OK\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&local, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let checks = [
        check("missing", "exec", "command = [\"/nonexistent/check_x\"]"),
        check("local", "exec", "command = [\"check_local\"]"),
        check("shell", "exec", "command = [\"sh\", \"-c\", \"true\"]"),
    ]
    .concat();
    let config =
        format!("[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n{checks}");
    let cmd = cmd.config(&config).env("PATH", &path);
    let doctor = Cmd::new()
        .config(&config)
        .env("PATH", &path)
        .args(["doctor", "--timeout", "2s"])
        .run();
    assert!(
        doctor.stdout.contains(
            "FAIL  check: c/missing: `/nonexistent/check_x` does not exist (install it, or fix the path)"
        ),
        "{doctor:?}"
    );
    let out = cmd.args(["validate"]).run();
    assert_eq!(out.code, 3, "{out:?}");
    let problems: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("problem: "))
        .collect();
    assert_eq!(
        problems,
        [
            "problem: c/missing: `/nonexistent/check_x` does not exist (install it, or fix the path)".to_owned(),
            format!(
                "problem: c/local: `check_local` is found on this shell's PATH, but not on the minimal PATH of cron and systemd (/usr/bin:/bin): write its full path, `{}`",
                local.display()
            ),
        ]
    );
}

// On a terminal (stdout and stderr on one screen) an error shows once; a scheduler reading
// stdout still gets the UNKNOWN summary.
#[test]
fn an_error_shows_once_on_a_terminal() {
    let bin = crate::support::cmd::BIN;
    let output = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{bin} -c /nonexistent/config.toml run"),
            "/dev/null",
        ])
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        screen.matches("/nonexistent/config.toml").count(),
        1,
        "{screen}"
    );
    let piped = Cmd::new()
        .args(["-c", "/nonexistent/config.toml", "run"])
        .run();
    assert!(
        piped.summary().starts_with("CACHET-CHECK UNKNOWN - "),
        "{piped:?}"
    );
    assert!(piped.stderr.contains("/nonexistent/config.toml"));
}

// With `retries`, the duration reported is the whole check's, waits included.
#[test]
fn a_retried_check_reports_its_whole_duration() {
    let closed = crate::support::http::closed_port();
    let checks = check(
        "retried",
        "tcp",
        &format!("address = \"127.0.0.1:{closed}\"\nretries = 2\nretry_delay = \"200ms\""),
    );
    let config =
        format!("[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n{checks}");
    let out = Cmd::new()
        .config(&config)
        .args(["run", "--dry-run", "--format", "json"])
        .run();
    let check = &out.json()["components"][0]["checks"][0];
    assert_eq!(check["detail"], "connection refused (after 3 attempts)");
    assert!(check["duration_ms"].as_f64().unwrap() >= 400.0, "{check}");
}

// A body that stops coming: the detail says it timed out, in seconds (not ureq's
// "timeout: global").
#[test]
fn a_stalled_body_times_out_in_words() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
                thread::sleep(Duration::from_secs(3));
            });
        }
    });
    let checks = check(
        "stall",
        "http",
        &format!("url = \"http://{addr}/\"\nexpect_body_contains = \"ok\"\ntimeout = \"1s\""),
    );
    let out = dry_run(Cmd::new(), &checks);
    // The budget is what was left of the check's second when it started: "1 s" or "998 ms".
    let detail = line(&out, "stall");
    assert!(
        detail.starts_with("fail - HTTP 200, reading the body: timed out after ")
            && (detail.ends_with(" ms") || detail.ends_with(" s")),
        "{detail}"
    );
}

// The Cachet client verifies as the check kinds do: a Cachet whose certificate the system's
// bundle holds (a self-signed CA:TRUE one, as `openssl req -x509` makes) is trusted; one it
// does not hold is refused in a sentence.
#[test]
fn the_cachet_client_trusts_what_the_system_bundle_holds() {
    use crate::support::cachet::{FakeCachet, Version};
    let (pem, config) = self_signed_ca_true();
    let cachet = FakeCachet::start_tls(Version::V24, config).component(1, "API", 1);
    let url = cachet.url().replace("127.0.0.1", "localhost");
    let cmd = Cmd::new();
    let bundle = cmd.write("bundle.pem", &pem);
    let out = cmd
        .env("CACHET_URL", &url)
        .env("SSL_CERT_FILE", &bundle.display().to_string())
        .token(TOKEN)
        .args(["set", "1", "major"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(cachet.get(1).status, 4);
    let untrusted = Cmd::new()
        .env("CACHET_URL", &url)
        .token(TOKEN)
        .args(["set", "1", "operational"])
        .run();
    assert_eq!(untrusted.code, 3, "{untrusted:?}");
    // A certificate refusal is not retried: another try meets the same certificate.
    assert!(
        untrusted.elapsed < std::time::Duration::from_secs(2),
        "{:?}",
        untrusted.elapsed
    );
    assert!(
        untrusted
            .stderr
            .contains("certificate for localhost is not trusted: it is self-signed"),
        "{untrusted:?}"
    );
}
