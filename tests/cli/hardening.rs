//! SPEC §7, hardening: files opened as if a hostile local user shared every directory, what a
//! peer or Cachet sends bounded and never trusted for arithmetic, and no secret handed to a
//! plugin or printed.

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::Cmd;
use crate::support::http::{Response, Server};
use crate::support::toml::{Toml, quoted};

const PASSWORD: &str = "db-password-77a2";

// A plugin that prints its environment (debug wrappers do) has nothing secret to print: no
// `CACHET_TOKEN`, no `CACHET_CHECK_*`, no variable a password was read from. Not in stdout, the
// JSON, the incident on the public page or the heartbeat; what is not secret still reaches it.
#[test]
fn a_plugin_never_sees_the_token_or_a_password() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let heartbeat = Server::start(|_| Response::new(200, "OK"));
    let protected = Server::start(|_| Response::new(200, "ok"));
    let config = |plugin: &str| {
        Toml::default()
            .table("heartbeat")
            .key("url", &quoted(&heartbeat.url("/ping/1")))
            .key("kind", "\"healthchecks\"")
            .table("cachet")
            .key("url", &quoted(&cachet.url()))
            .component("api", 2)
            .raw("incident = { name = \"API down\" }")
            .check(
                Some("wrapped"),
                "exec",
                &format!("command = [{}]", quoted(plugin)),
            )
            .check(
                Some("protected"),
                "http",
                &format!(
                    "url = {}\nbasic_auth = {{ user = \"u\", password_env = \"DB_PASSWORD\" }}",
                    quoted(&protected.url("/"))
                ),
            )
            .to_string()
    };
    for format in [&["-vv"][..], &["--format", "json"]] {
        let cmd = Cmd::new();
        let plugin = cmd.script(
            "debug-wrapper",
            "echo \"CRITICAL - token=[$CACHET_TOKEN] password=[$DB_PASSWORD] vantage=[$CACHET_CHECK_VANTAGE] mine=[$MY_SETTING]\"\nenv\nexit 2",
        );
        let out = cmd
            .config(&config(&plugin))
            .token(TOKEN)
            .env("DB_PASSWORD", PASSWORD)
            .env("CACHET_CHECK_VANTAGE", "fra")
            .env("MY_SETTING", "kept")
            .args(["run"])
            .args(format)
            .run();
        assert_eq!(out.code, 2, "{out:?}");
        let text = format!("{}{}", out.stdout, out.stderr);
        // The plugin ran and said what it saw.
        assert!(
            text.contains("token=[] password=[] vantage=[] mine=[kept]"),
            "{text}"
        );
        for secret in [TOKEN, PASSWORD] {
            assert!(
                !text.contains(secret),
                "{secret} reached the output:\n{text}"
            );
        }
    }
    let incidents = cachet.incidents();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let published: String = incidents
        .iter()
        .flat_map(|i| {
            std::iter::once(format!("{} {}", i.name, i.message))
                .chain(i.updates.iter().map(|(_, m)| m.clone()))
        })
        .collect();
    let pinged: String = heartbeat.requests().into_iter().map(|r| r.body).collect();
    assert!(!pinged.is_empty(), "the heartbeat was not pinged");
    for secret in [TOKEN, PASSWORD] {
        assert!(
            !published.contains(secret),
            "{secret} published: {published}"
        );
        assert!(
            !pinged.contains(secret),
            "{secret} sent to the heartbeat: {pinged}"
        );
    }
}

/// A config of one component, `api` (id 2), whose one check reaches `target`, with `top`
/// (top-level keys) before `[cachet]`.
fn one_check(top: &str, cachet: &FakeCachet, target: &Server) -> String {
    Toml::default()
        .raw(top)
        .table("cachet")
        .key("url", &quoted(&cachet.url()))
        .component("api", 2)
        .http(Some("health"), &target.url("/"))
        .to_string()
}

/// The last process id the kernel handed out.
fn last_pid() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

// A user who may write the textfile directory (node_exporter setups make it group-writable)
// plants links where a run would put its temporary file, for every process id the next runs
// may get. The run never writes through one: the file they point to is untouched, and the
// textfile is written.
#[test]
fn links_planted_for_the_textfile_temporary_are_not_followed() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let target = Server::start(|_| Response::new(200, "ok"));
    let cmd = Cmd::new();
    let collector = cmd.dir().join("textfile");
    std::fs::create_dir(&collector).unwrap();
    let victim = cmd.write("victim", "precious\n");
    let next = last_pid();
    for pid in next..next + 4000 {
        // The names a writer keyed by its pid alone would use (`NAME.tmp-PID`).
        for name in [
            format!("cachet.tmp-{pid}"),
            format!("cachet.prom.tmp-{pid}"),
        ] {
            std::os::unix::fs::symlink(&victim, collector.join(name)).unwrap();
        }
    }
    let textfile = collector.join("cachet.prom");
    let cmd = cmd
        .config(&one_check("", &cachet, &target))
        .token(TOKEN)
        .args(["run", "--metrics-file", &textfile.display().to_string()]);
    let out = cmd.run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let written = std::fs::read_to_string(&textfile).unwrap();
    assert!(written.contains("cachet_check_outcome"), "{written}");
    assert!(!std::fs::symlink_metadata(&textfile).unwrap().is_symlink());
}

// The textfile a run finds (to keep its last success) is read only as this tool writes it: a
// FIFO put there does not hang the run past its deadline, nor a link to /dev/zero fill the
// memory; either is replaced by the file.
#[test]
fn a_fifo_or_a_device_as_the_old_textfile_neither_hangs_nor_fills_memory() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let target = Server::start(|_| Response::new(200, "ok"));
    for planted in ["fifo", "/dev/zero"] {
        let cmd = Cmd::new();
        let textfile = cmd.dir().join("cachet.prom");
        if planted == "fifo" {
            let made = std::process::Command::new("mkfifo")
                .arg(&textfile)
                .status()
                .unwrap();
            assert!(made.success());
        } else {
            std::os::unix::fs::symlink(planted, &textfile).unwrap();
        }
        let cmd = cmd
            .config(&one_check("", &cachet, &target))
            .token(TOKEN)
            // A failing Cachet makes the run exit 3: the textfile is then read back for the
            // last success it holds.
            .env(
                "CACHET_URL",
                &format!("http://127.0.0.1:{}", crate::support::http::closed_port()),
            )
            .args(["run", "--timeout", "5s"])
            .args(["--metrics-file", &textfile.display().to_string()]);
        let (out, rss_kib) = cmd.run_measured();
        assert_eq!(out.code, 3, "{planted}: {out:?}");
        assert!(
            out.elapsed < std::time::Duration::from_secs(5),
            "{planted}: took {:?}",
            out.elapsed
        );
        assert!(rss_kib < 64 * 1024, "{planted}: {rss_kib} KiB");
        let meta = std::fs::symlink_metadata(&textfile).unwrap();
        assert!(meta.is_file(), "{planted}: the textfile was not written");
        assert!(
            !std::fs::read_to_string(&textfile)
                .unwrap()
                .contains("last_success")
        );
    }
}

// A state dir another user could write in, or a lock file that is a link, is refused (exit 3,
// naming the fix) before anything is written through it.
#[test]
fn a_state_dir_others_could_tamper_with_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let target = Server::start(|_| Response::new(200, "ok"));
    let run = |prepare: &dyn Fn(&std::path::Path, &std::path::Path)| {
        let cmd = Cmd::new();
        let state = cmd.dir().join("shared-state");
        std::fs::create_dir(&state).unwrap();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
        let victim = cmd.write("victim", "precious contents\n");
        prepare(&state, &victim);
        let top = format!("state_dir = {}\n", quoted(&state.display().to_string()));
        let cmd = cmd
            .config(&one_check(&top, &cachet, &target))
            .token(TOKEN)
            .args(["run"]);
        let out = cmd.run();
        (out, std::fs::read_to_string(&victim).unwrap())
    };
    // A link planted as the component's lock.
    let (out, victim) = run(&|state, victim| {
        std::os::unix::fs::symlink(victim, state.join("component-api.lock")).unwrap();
    });
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("symbolic link"), "{}", out.stderr);
    assert_eq!(victim, "precious contents\n");
    // A link planted as the component's state file: not read, and replaced, not written through.
    let (out, victim) = run(&|state, victim| {
        std::os::unix::fs::symlink(victim, state.join("component-api.json")).unwrap();
    });
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(victim, "precious contents\n");
    // A directory every user (or its group) may write in.
    for mode in [0o777, 0o770] {
        let (out, _) = run(&|state, _| {
            std::fs::set_permissions(state, std::fs::Permissions::from_mode(mode)).unwrap();
        });
        assert_eq!(out.code, 3, "{out:?}");
        assert!(out.stderr.contains("chmod go-w"), "{}", out.stderr);
    }
    // A directory another user owns (only root can make one here).
    if effective_uid() == 0 {
        let (out, _) = run(&|state, _| {
            std::os::unix::fs::chown(state, Some(65534), Some(65534)).unwrap();
        });
        assert_eq!(out.code, 3, "{out:?}");
        assert!(
            out.stderr.contains("belongs to uid 65534"),
            "{}",
            out.stderr
        );
    }
}

/// This test process's effective user id.
fn effective_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap()
}

// A secret in a URL's query (`?apikey=…`) is shown as `***` wherever the URL is: the check's
// name, its detail, the `-vv` exchange, the JSON; the other query keys stay readable.
#[test]
fn a_secret_in_a_query_is_redacted_wherever_the_url_is_shown() {
    const KEY: &str = "query-secret-91b3";
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let target = Server::start(|_| Response::new(503, "down"));
    let url = target.url(&format!("/health?apikey={KEY}&region=eu"));
    let config = Toml::default()
        .table("cachet")
        .key("url", &quoted(&cachet.url()))
        .component("api", 2)
        .http(None, &url)
        .to_string();
    for verbosity in [&["-vv"][..], &["-v"], &[], &["--format", "json"]] {
        let out = Cmd::new()
            .config(&config)
            .token(TOKEN)
            .args(["run", "--dry-run"])
            .args(verbosity)
            .run();
        assert_eq!(out.code, 2, "{out:?}");
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(!text.contains(KEY), "{verbosity:?}: {text}");
        if verbosity == ["-vv"] {
            assert!(text.contains("apikey=***&region=eu"), "{text}");
        }
    }
}

/// Unix seconds now.
fn unix_now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

// Votes come from other hosts' meta, which anyone with a write token shapes: an absurd one is
// left out (said at `-v`) rather than trusted for arithmetic, a name is printed made safe, ten
// thousand are counted rather than listed, and a meta past the size read says so.
#[test]
fn hostile_votes_are_bounded_and_never_trusted_for_arithmetic() {
    use serde_json::{Map, Value, json};
    let down = Server::start(|_| Response::new(503, "down"));
    let config = |cachet: &FakeCachet| {
        Toml::cachet(&cachet.url())
            .table("components.api")
            .key("id", "1")
            .key("quorum", "2")
            .of("api")
            .http(Some("health"), &down.url("/"))
            .to_string()
    };
    let run = |cachet: &FakeCachet| {
        Cmd::new()
            .config(&config(cachet))
            .token(TOKEN)
            .args(["run", "-v", "--vantage", "fra"])
            .run()
    };
    let now = unix_now();
    // A five-year-old vote whose `every` would make it count forever, and votes stamped at
    // the ends of time: only this host's vote counts, so nothing is pushed.
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    cachet.set_meta(
        1,
        json!({"cachet_check": {"votes": {
            "old": {"status": 4, "at": now - 5 * 365 * 86_400, "every": i64::MAX},
            "past": {"status": 4, "at": i64::MIN, "every": i64::MIN},
            "future": {"status": 4, "at": i64::MAX},
        }}}),
    );
    let out = run(&cachet);
    assert_eq!(
        cachet.get(1).status,
        1,
        "an absurd vote made a quorum: {out:?}"
    );
    assert!(
        out.stdout.contains("waiting for quorum: 1 of 2 votes"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("out of bounds"), "{}", out.stdout);
    // A name with an RTL override, an escape sequence, a NUL and a newline.
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    cachet.set_meta(
        1,
        json!({"cachet_check": {"votes": {
            "ev\u{202e}il\u{1b}[31m\u{0}\nline": {"status": 1, "at": now},
        }}}),
    );
    let out = run(&cachet);
    for raw in ['\u{202e}', '\u{1b}', '\u{0}'] {
        assert!(
            !out.stdout.contains(raw),
            "{raw:?} printed raw: {}",
            out.stdout
        );
    }
    assert!(
        out.stdout.contains("ev\\u{202e}il\\u{1b}[31m\\u{0}\\nline"),
        "{}",
        out.stdout
    );
    // Ten thousand vantages: counted, not listed.
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    let many: Map<String, Value> = (0..10_000)
        .map(|i| {
            (
                format!("host{i:05}"),
                json!({"status": 1, "at": now - 3_600}),
            )
        })
        .collect();
    cachet.set_meta(1, json!({"cachet_check": {"votes": many}}));
    let out = run(&cachet);
    assert!(
        out.stdout.len() < 8 * 1024,
        "{} bytes at -v",
        out.stdout.len()
    );
    assert!(out.stdout.contains("and 9981 more"), "{}", out.stdout);
    // A meta past what is read of an answer: said as such, not as a body that is not JSON.
    let cachet = FakeCachet::start(Version::V24).component(1, "API", 1);
    cachet.set_meta(1, json!({"padding": "x".repeat(9 << 20)}));
    let out = run(&cachet);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stdout.contains("larger than 8 MiB"), "{}", out.stdout);
    assert!(!out.stdout.contains("not JSON"), "{}", out.stdout);
}

/// A proxy on loopback that answers every connection with `answer`, one byte every 300 ms,
/// each within any socket timeout set once.
fn dripping(answer: &'static [u8]) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut request = [0u8; 512];
                let _ = stream.read(&mut request);
                for byte in answer {
                    if stream.write_all(&[*byte]).is_err() {
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
            });
        }
    });
    address
}

// A proxy that drips its handshake a byte at a time (a CONNECT answer's header lines, a SOCKS5
// reply) cannot keep a check past its timeout: the check ends in time, unknown (this host's
// path failed, not the target), and nothing is published.
#[test]
fn a_dripping_proxy_cannot_keep_a_check_past_its_deadline() {
    let connect: &'static [u8] =
        b"HTTP/1.1 200 Connection established\r\nX-Drip: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    // SOCKS5: no login needed, then a reply whose bound address is a 255-byte name.
    let mut socks = vec![5u8, 0, 5, 0, 0, 3, 255];
    socks.extend(std::iter::repeat_n(b'a', 257));
    let socks: &'static [u8] = Box::leak(socks.into_boxed_slice());
    for (scheme, answer) in [("http", connect), ("socks5h", socks)] {
        let proxy = dripping(answer);
        let config = Toml::cachet("http://127.0.0.1:9")
            .component("api", 2)
            .check(
                Some("port"),
                "tcp",
                &format!(
                    "address = \"db.internal:5432\"\nproxy = \"{scheme}://{proxy}\"\ntimeout = \"1s\""
                ),
            )
            .to_string();
        let out = Cmd::new()
            .config(&config)
            .args(["run", "--dry-run", "--timeout", "10s", "--format", "json"])
            .run();
        assert!(
            out.elapsed < std::time::Duration::from_secs(3),
            "{scheme}: took {:?}: {out:?}",
            out.elapsed
        );
        let check = &out.json()["components"][0]["checks"][0];
        assert_eq!(check["outcome"], "unknown", "{scheme}: {out:?}");
        assert!(
            check["detail"].as_str().unwrap().contains("timed out"),
            "{scheme}: {check}"
        );
    }
}

// A run stopped while it delivers a backlog of spooled metric points: each point it got
// through is struck as Cachet accepts it, so the next run sends only the rest. SIGTERM waits
// for the point in flight: none lost, none repeated. SIGKILL cannot be waited for: the one
// point whose answer was on its way may go again, never more (before, every point delivered
// before the kill went again).
#[test]
fn a_run_stopped_while_delivering_the_spool_neither_loses_nor_repeats_points() {
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt;
    const SPOOLED: i64 = 30;
    for (signal, repeats_allowed) in [("TERM", 0), ("KILL", 1)] {
        let cachet = FakeCachet::start(Version::V24)
            .component(2, "API", 1)
            .metric(1)
            .answering_after(std::time::Duration::from_millis(50));
        let target = Server::start(|_| Response::new(200, "ok"));
        let cmd = Cmd::new();
        let state = cmd.dir().join("state");
        std::fs::create_dir(&state).unwrap();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
        let first = unix_now() - 10_000;
        let points: Vec<serde_json::Value> = (0..SPOOLED)
            .map(|i| serde_json::json!({"metric": 1, "value": i, "timestamp": first + i * 60}))
            .collect();
        std::fs::write(
            state.join("component-api.json"),
            serde_json::json!({"version": 1, "component": "api", "points": points}).to_string(),
        )
        .unwrap();
        let config = Toml::cachet(&cachet.url())
            .component("api", 2)
            .raw("metric = 1")
            .http(Some("health"), &target.url("/"))
            .to_string();
        let cmd = cmd.config(&config).token(TOKEN).args(["run"]);
        let mut child = cmd.spawn();
        let waited = std::time::Instant::now();
        while cachet.points(1).len() < 10 {
            assert!(
                waited.elapsed() < std::time::Duration::from_secs(20),
                "no delivery"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let killed = std::process::Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        child.wait().unwrap();
        let out = cmd.run();
        assert_eq!(out.code, 0, "{signal}: {out:?}");
        let mut sent: BTreeMap<i64, usize> = BTreeMap::new();
        for (_, timestamp) in cachet.points(1) {
            *sent.entry(timestamp).or_default() += 1;
        }
        for i in 0..SPOOLED {
            assert!(
                sent.contains_key(&(first + i * 60)),
                "{signal}: point {i} lost: {sent:?}"
            );
        }
        // The two runs' own points may share a second: only the spooled ones are counted.
        let repeats: usize = (0..SPOOLED).map(|i| sent[&(first + i * 60)] - 1).sum();
        assert!(
            repeats <= repeats_allowed,
            "{signal}: {repeats} points sent again: {sent:?}"
        );
    }
}
