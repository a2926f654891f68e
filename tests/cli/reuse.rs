//! Connections between checks of one run: a check rides a connection an earlier check of the
//! same host left open, unless it asks for `fresh_connection`; a body nobody needs is read only
//! as far as it has arrived, so that reuse never slows a check down. Connections are kept only
//! while file descriptors are left. The Cachet client rides kept-alive connections too.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::{Cmd, Output};
use crate::support::http::{Response, Server, blackhole, listen};
use crate::support::kinds::{check, expect_line, verbose_dry_run};
use crate::support::toml::{Toml, quoted};

/// A keep-alive HTTP/1.1 server answering every request with a chunked `ok`, the way nginx's
/// dynamic answers come; `/length` with a body of announced length, `/stall` with its last
/// chunk only 3 s later, `/stall-length` with half of a body of announced length; `/idle…`
/// closes a connection that served a request before. It notes, for each request, the path and
/// which connection (0, 1, …) carried it.
struct KeepAlive {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(String, usize)>>>,
}

impl KeepAlive {
    fn start() -> KeepAlive {
        let listener = listen();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        thread::spawn(move || {
            for (number, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let log = log.clone();
                thread::spawn(move || serve(stream, number, &log));
            }
        });
        KeepAlive { addr, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// How many connections carried its requests.
    fn connections(&self) -> usize {
        let seen = self.seen.lock().unwrap();
        let mut numbers: Vec<usize> = seen.iter().map(|(_, number)| *number).collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers.len()
    }

    /// The connection that carried the request for `path`.
    fn connection_of(&self, path: &str) -> usize {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .find(|(seen, _)| seen == path)
            .unwrap_or_else(|| panic!("no request for {path}: {seen:?}"))
            .1
    }
}

fn serve(stream: TcpStream, number: usize, seen: &Mutex<Vec<(String, usize)>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream);
    for served in 0.. {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
        let mut header = String::new();
        while reader.read_line(&mut header).unwrap_or(0) > 0 && header != "\r\n" {
            header.clear();
        }
        seen.lock().unwrap().push((path.clone(), number));
        if path.starts_with("/idle") && served > 0 {
            return; // its keep-alive timeout met the request: closed, unanswered
        }
        let stream = reader.get_mut();
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n";
        if path == "/length" {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        } else if path == "/stall-length" {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok");
            thread::sleep(Duration::from_secs(3));
            let _ = stream.write_all(b"ok");
        } else if path == "/stall" {
            let _ = stream.write_all(head.as_bytes());
            thread::sleep(Duration::from_secs(3));
            let _ = stream.write_all(b"0\r\n\r\n");
        } else {
            let _ = stream.write_all(format!("{head}0\r\n\r\n").as_bytes());
        }
    }
}

/// Checks of `server` named `names`, each asking for `/NAME`, with no key besides.
fn plain(server: &KeepAlive, names: &[&str]) -> String {
    names.iter().map(|name| http(server, name, "")).collect()
}

fn http(server: &KeepAlive, name: &str, extra: &str) -> String {
    check(
        name,
        "http",
        &format!("url = \"{}\"\n{extra}", server.url(&format!("/{name}"))),
    )
}

#[test]
fn checks_of_one_host_ride_one_connection_unless_fresh() {
    let server = KeepAlive::start();
    let checks = [
        http(&server, "a", ""),
        http(&server, "b", ""),
        http(&server, "length", ""),
        http(&server, "own", "fresh_connection = true"),
        http(&server, "c", ""),
    ]
    .concat();
    // One at a time, in order: each check finds the connection the one before left.
    let out = verbose_dry_run(Cmd::new().args(["--jobs", "1"]), &checks);
    assert_eq!(out.code, 0, "{out:?}");
    for name in ["a", "b", "length", "own", "c"] {
        expect_line(&out, name, "pass - HTTP 200");
    }
    let shared = server.connection_of("/a");
    assert_eq!(
        server.connection_of("/b"),
        shared,
        "b reuses a's connection"
    );
    assert_eq!(
        server.connection_of("/length"),
        shared,
        "so does a body of announced length"
    );
    assert_eq!(server.connection_of("/c"), shared, "c reuses it too");
    let port = server.addr.port();
    assert!(
        out.stdout
            .contains(&format!(") via 127.0.0.1:{port}\n  c/c: ")),
        "a check on a kept-alive connection says where it went: {}",
        out.stdout
    );
    assert_ne!(
        server.connection_of("/own"),
        shared,
        "fresh_connection opens its own"
    );
    // `validate` says which check connects on its own.
    let config =
        format!("[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n{checks}");
    let plan = Cmd::new().config(&config).args(["validate"]).run();
    assert_eq!(plan.code, 0, "{plan:?}");
    let said = |name: &str| {
        plan.stdout
            .lines()
            .find(|line| line.starts_with(&format!("  {name}: ")))
            .unwrap_or_else(|| panic!("no plan line for {name}: {}", plan.stdout))
            .contains("a connection of its own")
    };
    assert!(said("own"), "{}", plan.stdout);
    assert!(!said("a"), "{}", plan.stdout);
}

#[test]
fn a_body_still_on_its_way_is_not_waited_for() {
    let server = KeepAlive::start();
    let checks = plain(&server, &["stall", "stall-length", "after"]);
    let started = Instant::now();
    let out = verbose_dry_run(Cmd::new().args(["--jobs", "1"]), &checks);
    let took = started.elapsed();
    assert_eq!(out.code, 0, "{out:?}");
    expect_line(&out, "stall", "pass - HTTP 200");
    expect_line(&out, "stall-length", "pass - HTTP 200");
    assert!(
        took < Duration::from_secs(2),
        "the run waited for a body nobody needs: {took:?}"
    );
    // Their connections were not fit to reuse (the bodies were not over): each next check
    // dialed anew.
    assert_ne!(
        server.connection_of("/stall-length"),
        server.connection_of("/stall")
    );
    assert_ne!(
        server.connection_of("/after"),
        server.connection_of("/stall-length")
    );
}

// SPEC §7 under load: 1,000 checks at --jobs 512, every other one to a target that never
// answers, the rest riding kept-alive connections: the run still ends by --timeout, with every
// component pushed.
#[test]
fn many_checks_on_shared_connections_still_end_by_the_deadline() {
    let server = KeepAlive::start();
    let hole = blackhole();
    let mut cachet = FakeCachet::start(Version::V24);
    let mut config = Toml::default();
    for c in 0..100 {
        cachet = cachet.component(c + 1, &format!("C{c}"), 1);
        config = config.component(&format!("c{c}"), c + 1);
        for k in 0..10 {
            // The holes time out by their own timeout, well inside the 1.4 s the run's checks
            // get even when a loaded machine starts them late: failures to push.
            let keys = if k % 2 == 0 {
                format!("url = {}", quoted(&server.url(&format!("/c{c}k{k}"))))
            } else {
                format!(
                    "url = {}\ntimeout = \"500ms\"",
                    quoted(&format!("http://{hole}/"))
                )
            };
            config = config.check(Some(&format!("k{k}")), "http", &keys);
        }
    }
    let config = format!("{}{config}", Toml::cachet(&cachet.url()));
    let out = Cmd::new()
        .config(&config)
        .token(TOKEN)
        .args(["--jobs", "512", "--timeout", "2s", "run"])
        .run();
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.elapsed < Duration::from_millis(2900),
        "took {:?}",
        out.elapsed
    );
    for id in 1..=100 {
        assert_ne!(cachet.get(id).status, 1, "component {id} was not pushed");
    }
    assert_eq!(
        server.seen.lock().unwrap().len(),
        500,
        "every answering check ran"
    );
    assert!(
        server.connections() < 500,
        "no connection was reused: {}",
        server.connections()
    );
}

// A kept-alive connection the server closes as the next request arrives (its idle timeout) is
// not an outage: the request goes again on a new connection, once.
#[test]
fn a_kept_alive_connection_closed_under_a_request_is_not_an_outage() {
    let server = KeepAlive::start();
    let checks = plain(&server, &["a", "idle", "after"]);
    let config =
        format!("[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n{checks}");
    let out = Cmd::new()
        .config(&config)
        .args(["--jobs", "1", "run", "--dry-run", "-vv"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    expect_line(&out, "idle", "pass - HTTP 200");
    let carried: Vec<usize> = server
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(path, _)| path == "/idle")
        .map(|(_, number)| *number)
        .collect();
    assert_eq!(carried.len(), 2, "sent twice: {carried:?}");
    assert_eq!(
        carried[0],
        server.connection_of("/a"),
        "first on a's connection"
    );
    assert_ne!(carried[1], carried[0], "then on a new one");
    assert!(
        out.stderr.contains("sent again on a new connection"),
        "-vv says so: {}",
        out.stderr
    );
}

// Kept-alive connections to many hosts are kept only while file descriptors are left: 400
// checks of 100 hosts (four a host, each on a connection of its own as they run together)
// under `ulimit -n 128` all pass. Keeping every idle connection ran the run out of
// descriptors a quarter of the way through, and the rest failed.
#[test]
fn checks_of_many_hosts_never_run_out_of_descriptors() {
    let servers: Vec<KeepAlive> = (0..100).map(|_| KeepAlive::start()).collect();
    let mut config = Toml::cachet("http://127.0.0.1:9");
    for (c, server) in servers.iter().enumerate() {
        config = config.component(&format!("c{c}"), c as u64 + 1);
        for k in 0..4 {
            config = with_http(config, k, &server.url(&format!("/k{k}")));
        }
    }
    let out = dry_run_within(Cmd::new().fd_limit(128), &config, 16);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let served: usize = servers.iter().map(|s| s.seen.lock().unwrap().len()).sum();
    assert_eq!(served, 400, "every check reached its host");
}

// A check that finds no file descriptor left is this host's trouble, not its target's: it
// cannot be judged, says what to change, and no component shows an outage for it.
#[test]
fn running_out_of_descriptors_is_this_hosts_trouble() {
    let out = forty_at_once(Cmd::new().fd_limit(24));
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "this host ran out of file descriptors (too many open files): raise the limit"
        ),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("outage"), "{}", out.stdout);
    assert!(
        out.stdout.contains("api: operational (")
            && out.stdout.contains("/40 checks could not be judged"),
        "the checks that had descriptors passed: {}",
        out.stdout
    );
}

/// `config` with an `http` check `k{k}` of `url`.
fn with_http(config: Toml, k: usize, url: &str) -> Toml {
    config.check(
        Some(&format!("k{k}")),
        "http",
        &format!("url = {}", quoted(url)),
    )
}

/// `run --dry-run` of `config` by `cmd` (its descriptor limit set), `jobs` checks at once.
fn dry_run_within(cmd: Cmd, config: &Toml, jobs: usize) -> Output {
    cmd.config(&config.to_string())
        .args(["--jobs", &jobs.to_string(), "run", "--dry-run"])
        .run()
}

// A low soft limit on descriptors is raised to room for the checks in flight (the hard limit
// allows it): 40 checks at once of a server answering in 500 ms, under `ulimit -Sn 32`, all
// pass — where the hard limit is 24 as well, the same run cannot (above).
#[test]
fn a_low_soft_descriptor_limit_is_raised_for_the_checks() {
    let out = forty_at_once(Cmd::new().soft_fd_limit(32));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("api: operational (all 40 checks passed)"),
        "{}",
        out.stdout
    );
}

// The Cachet client rides the connections a Cachet keeps open (as the nginx or Apache in
// front of one does): writing 40 components, eight at a time, answered in 20 ms each, takes
// one connection for each writer, not one for each write.
#[test]
fn writes_to_cachet_ride_kept_alive_connections() {
    let target = Server::start(|_| Response::new(200, "ok"));
    let mut cachet =
        FakeCachet::start_keep_alive(Version::V24).answering_after(Duration::from_millis(20));
    let mut config = Toml::default();
    for c in 0..40 {
        cachet = cachet.component(c + 1, &format!("C{c}"), 1);
        config = config.component(&format!("c{c}"), c + 1);
        config = with_http(config, 0, &target.url("/"));
    }
    let config = format!("{}{config}", Toml::cachet(&cachet.url()));
    let out = Cmd::new()
        .config(&config)
        .token(TOKEN)
        .args(["run", "--force"])
        .run();
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let requests = cachet.requests();
    let puts = requests.iter().filter(|r| r.method == "PUT").count();
    assert_eq!(puts, 40, "every component written");
    assert!(
        cachet.connections() <= 12,
        "{} connections for {} requests",
        cachet.connections(),
        requests.len()
    );
}

/// `run --dry-run` by `cmd` of 40 checks at once of a server answering in 500 ms, all of
/// component `api`.
fn forty_at_once(cmd: Cmd) -> Output {
    let target = Server::start(|_| Response::new(200, "ok").delay(Duration::from_millis(500)));
    let mut config = Toml::cachet("http://127.0.0.1:9").component("api", 1);
    for k in 0..40 {
        config = with_http(config, k, &target.url(&format!("/k{k}")));
    }
    dry_run_within(cmd, &config, 40)
}
