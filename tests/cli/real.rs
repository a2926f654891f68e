//! The built binary against real servers from Debian's packages, started on loopback ports
//! with their own config and data dirs (`support::daemon`): what the fakes only believe.
//! `.ci/run` installs the packages; each test is ignored where its server is missing.

use crate::support::cmd::Cmd;
use crate::support::daemon::{Daemon, OpensslPki, free_addr, free_addrs, openssl_date};
use crate::support::kinds::{check, dry_run, outcome, outcomes};

/// A bcrypt hash (cost 4) of `PROM_PASSWORD`, for Prometheus's web config: a test password,
/// not a key.
const PROM_HASH: &str = "$2b$04$9cK7fE5DfA.VIuDWd3WQwu2.IY6Vn3cRhpWJP.lNhHJs9HbvFGVT6";
const PROM_PASSWORD: &str = "prom-test-password";

fn prometheus(
    extra: &[&str],
    setup: impl FnOnce(&std::path::Path, std::net::SocketAddr),
) -> Daemon {
    let addr = free_addr();
    let listen = format!("--web.listen-address={addr}");
    let mut args = vec![
        "--config.file={dir}/prometheus.yml",
        "--storage.tsdb.path={dir}/data",
        listen.as_str(),
    ];
    args.extend_from_slice(extra);
    let prom = Daemon::start("prometheus", &args, addr, |dir| {
        std::fs::write(
            dir.join("prometheus.yml"),
            "global:\n  scrape_interval: 1m\nscrape_configs: []\n",
        )
        .unwrap();
        setup(dir, addr);
    });
    // It listens before its storage is open, and answers 503 to queries until it says it is
    // ready — on a loaded machine, for seconds.
    let started = std::time::Instant::now();
    while !prom
        .log()
        .contains("Server is ready to receive web requests")
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "prometheus never got ready:\n{}",
            prom.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    prom
}

// Instant queries that return a value, an empty vector, several series (one with `|` in a
// label), a scalar, a range vector, and bad PromQL (Prometheus's `bad_data`, unknown since SPEC §10).
#[test]
#[ignore = "needs prometheus"]
fn prometheus_instant_queries() {
    let prom = prometheus(&[], |_, _| {});
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
    // SPEC §10: a query of the wrong shape, or one the real Prometheus refuses as malformed
    // (`bad_data`), cannot be judged: unknown, never an outage.
    assert_eq!(outcome(&all, "range").0, "unknown");
    assert!(outcome(&all, "range").1.contains("range vector"), "{all:?}");
    let bad = outcome(&all, "bad");
    assert_eq!(bad.0, "unknown");
    assert!(
        bad.1.ends_with("(the query is malformed: fix `query`)"),
        "{bad:?}"
    );
    assert_eq!(out.code, 3, "unknown checks make the run unknown: {out:?}");
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

// A metric name or label value the server never had is a typo in `query`, not an outage:
// `upp{job="self"}` and `up{job="slef"}` are unknown, naming what it never had; `up{job="self"}
// > 5`, a known series with no sample now, stays a failure (Prometheus scraping itself).
#[test]
#[ignore = "needs prometheus"]
fn prometheus_tells_a_query_typo_from_an_outage() {
    let prom = prometheus(&[], |dir, addr| {
        std::fs::write(
            dir.join("prometheus.yml"),
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['{addr}']\n"
            ),
        )
        .unwrap();
    });
    let url = format!("http://{}", prom.addr);
    let query = |name: &str, query: &str| {
        check(
            name,
            "prometheus",
            &format!("url = \"{url}\"\nquery = '{query}'"),
        )
    };
    // The first scrape has landed once `up{job="self"}` has a sample.
    let started = std::time::Instant::now();
    loop {
        let out = dry_run(Cmd::new(), &query("ready", r#"up{job="self"}"#));
        if outcome(&outcomes(&out), "ready").0 == "pass" {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "prometheus never scraped itself:\n{}",
            prom.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let checks = [
        query("name typo", r#"upp{job="self"}"#),
        query("label typo", r#"up{job="slef"}"#),
        query("no sample now", r#"up{job="self"} > 5"#),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "name typo"),
        (
            "unknown".into(),
            "prometheus: the server has never had a metric `upp` (fix `query`)".into()
        )
    );
    assert_eq!(
        outcome(&all, "label typo"),
        (
            "unknown".into(),
            r#"prometheus: no series the server has ever had is labelled job="slef" (fix `query`)"#
                .into()
        )
    );
    assert_eq!(outcome(&all, "no sample now").0, "fail", "{all:?}");
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
        |dir, _| std::fs::write(dir.join("web.yml"), &web).unwrap(),
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

/// nginx serving one TLS site per certificate of `sites` (name → cert file, key file) on
/// ports of its own; returns the daemon and each site's port.
fn nginx(sites: &[(&str, String, String)]) -> (Daemon, Vec<(String, u16)>) {
    let sites: Vec<(&str, String, String, String)> = sites
        .iter()
        .map(|(name, cert, key)| (*name, cert.clone(), key.clone(), String::new()))
        .collect();
    nginx_with(&sites)
}

/// nginx with a server per site: (name, certificate, key, more directives).
fn nginx_with(sites: &[(&str, String, String, String)]) -> (Daemon, Vec<(String, u16)>) {
    let ports: Vec<(String, u16)> = sites
        .iter()
        .zip(free_addrs(sites.len()))
        .map(|((name, _, _, _), addr)| ((*name).to_owned(), addr.port()))
        .collect();
    let first = std::net::SocketAddr::from(([127, 0, 0, 1], ports[0].1));
    let servers: String = sites
        .iter()
        .zip(&ports)
        .map(|((_, cert, key, more), (_, port))| {
            format!(
                "  server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n{more}    location / {{ return 200 \"ok\\n\"; }}\n  }}\n"
            )
        })
        .collect();
    // Every site listens once the first does (one process).
    (nginx_serving(first, &servers), ports)
}

/// nginx with its own config and temp dirs, serving the `server` blocks of `servers`, the first
/// of which listens on `first`.
fn nginx_serving(first: std::net::SocketAddr, servers: &str) -> Daemon {
    let args = [
        "-p",
        "{dir}",
        "-c",
        "{dir}/nginx.conf",
        "-e",
        "{dir}/error.log",
    ];
    Daemon::start("nginx", &args, first, |dir| {
        std::fs::write(
            dir.join("nginx.conf"),
            format!(
                "daemon off;\nmaster_process off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {dir}/tmp;\n  proxy_temp_path {dir}/tmp;\n  fastcgi_temp_path {dir}/tmp;\n  uwsgi_temp_path {dir}/tmp;\n  scgi_temp_path {dir}/tmp;\n{servers}}}\n",
                dir = dir.display()
            ),
        )
        .unwrap();
    })
}

// nginx with certificates made by openssl during the test: valid, 5 days left, wrong host,
// expired, not yet valid, intermediate missing, self-signed with CA:TRUE and with CA:FALSE.
#[test]
#[ignore = "needs nginx"]
fn nginx_certificates_are_judged_in_sentences() {
    let certs = tempfile::tempdir().unwrap();
    let pki = OpensslPki::new(certs.path());
    let (yesterday, month_ago) = (openssl_date(-1), openssl_date(-30));
    pki.leaf("valid", &["localhost"], &yesterday, &openssl_date(90));
    pki.leaf("soon", &["localhost"], &yesterday, &openssl_date(5));
    pki.leaf("wrong", &["wrong.example"], &yesterday, &openssl_date(90));
    pki.leaf("expired", &["localhost"], &month_ago, &openssl_date(-3));
    pki.leaf(
        "future",
        &["localhost"],
        &openssl_date(10),
        &openssl_date(90),
    );
    pki.leaf("lonely", &["localhost"], &yesterday, &openssl_date(90));
    pki.self_signed("ca-true", true);
    pki.self_signed("ca-false", false);
    let chain = |name: &str| {
        (
            pki.path(&format!("{name}.chain.pem")),
            pki.path(&format!("{name}.key")),
        )
    };
    let alone = |name: &str| {
        (
            pki.path(&format!("{name}.pem")),
            pki.path(&format!("{name}.key")),
        )
    };
    let sites: Vec<(&str, String, String)> = [
        ("valid", chain("valid")),
        ("soon", chain("soon")),
        ("wrong", chain("wrong")),
        ("expired", chain("expired")),
        ("future", chain("future")),
        ("lonely", alone("lonely")),
        ("ca-true", alone("ca-true")),
        ("ca-false", alone("ca-false")),
    ]
    .into_iter()
    .map(|(name, (cert, key))| (name, cert, key))
    .collect();
    let (server, ports) = nginx(&sites);
    let root = pki.path("root.pem");
    let tls = |name: &str, port: u16, ca: &str| {
        check(
            &format!("tls {name}"),
            "tls",
            &format!(
                "address = \"127.0.0.1:{port}\"\nsni = \"localhost\"\nca_file = \"{ca}\"\nwarn_before = \"14d\"\nfail_before = \"2d\""
            ),
        )
    };
    let http = |name: &str, port: u16, ca: &str| {
        check(
            &format!("http {name}"),
            "http",
            &format!("url = \"https://localhost:{port}/\"\nca_file = \"{ca}\""),
        )
    };
    let mut checks = String::new();
    for (name, port) in &ports {
        let ca = match name.as_str() {
            "ca-true" | "ca-false" => pki.path(&format!("{name}.pem")),
            _ => root.clone(),
        };
        checks.push_str(&tls(name, *port, &ca));
        checks.push_str(&http(name, *port, &ca));
    }
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    let detail = |name: &str| outcome(&all, name).1;
    let log = || server.log();
    assert_eq!(
        outcome(&all, "http valid"),
        ("pass".into(), "HTTP 200".into()),
        "{}",
        log()
    );
    assert!(
        detail("tls valid").starts_with("certificate for localhost expires in 89 days")
            || detail("tls valid").starts_with("certificate for localhost expires in 90 days"),
        "{all:?}"
    );
    assert_eq!(outcome(&all, "tls soon").0, "degraded");
    assert!(
        detail("tls soon").ends_with("within `warn_before` (14 days)"),
        "{all:?}"
    );
    assert_eq!(
        detail("tls wrong"),
        "certificate is not valid for localhost (it names wrong.example, 127.0.0.1)"
    );
    assert!(
        detail("tls expired").starts_with("certificate for localhost expired 3 days ago (")
            || detail("tls expired").starts_with("certificate for localhost expired 2 days ago ("),
        "{all:?}"
    );
    assert!(
        detail("http expired").starts_with("certificate for localhost expired "),
        "{all:?}"
    );
    assert!(
        detail("tls future").starts_with("certificate for localhost is not valid before 20"),
        "{all:?}"
    );
    assert_eq!(
        detail("tls lonely"),
        "certificate for localhost is not trusted: the chain is incomplete (the server sent no intermediate certificate)"
    );
    assert_eq!(detail("http lonely"), detail("tls lonely"));
    for name in ["ca-true", "ca-false"] {
        assert_eq!(outcome(&all, &format!("tls {name}")).0, "pass", "{all:?}");
        assert_eq!(
            outcome(&all, &format!("http {name}")),
            ("pass".into(), "HTTP 200".into()),
            "{all:?}"
        );
    }
}

/// OpenSSH's sshd on a loopback port with a host key made for the test.
fn sshd() -> Daemon {
    // sshd insists on its privilege separation directory.
    let _ = std::fs::create_dir_all("/run/sshd");
    let addr = free_addr();
    let port = addr.port().to_string();
    let args = [
        "-D",
        "-e",
        "-f",
        "{dir}/sshd_config",
        "-h",
        "{dir}/host_key",
        "-p",
        &port,
        "-o",
        "ListenAddress=127.0.0.1",
        "-o",
        "PidFile={dir}/sshd.pid",
    ];
    Daemon::start("/usr/sbin/sshd", &args, addr, |dir| {
        std::fs::write(
            dir.join("sshd_config"),
            "UsePAM no\nPasswordAuthentication no\n",
        )
        .unwrap();
        let key = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.join("host_key"))
            .status()
            .unwrap();
        assert!(key.success());
    })
}

// A banner check against sshd, and a tls check that meets SSH instead of TLS.
#[test]
#[ignore = "needs openssh-server"]
fn sshd_banner_and_a_tls_check_that_meets_ssh() {
    let ssh = sshd();
    let address = ssh.addr;
    let checks = [
        check(
            "banner",
            "tcp",
            &format!("address = \"{address}\"\nexpect = \"SSH-2.0-OpenSSH\""),
        ),
        check(
            "greeting",
            "tcp",
            &format!("address = \"{address}\"\nexpect_banner = \"SSH-2.0\""),
        ),
        check(
            "tls",
            "tls",
            &format!("address = \"{address}\"\nsni = \"localhost\""),
        ),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "banner"),
        ("pass".into(), "connected, got `SSH-2.0-OpenSSH`".into()),
        "{}",
        ssh.log()
    );
    assert!(
        outcome(&all, "greeting")
            .1
            .starts_with("connected, greeted `SSH-2.0-OpenSSH_"),
        "{all:?}"
    );
    let tls = outcome(&all, "tls");
    assert_eq!(tls.0, "fail");
    assert!(
        tls.1.starts_with(
            "the server does not speak TLS on this port: it answered like SSH (`SSH-2.0-OpenSSH_"
        ),
        "{tls:?}"
    );
}

/// Postfix with postscreen in front of smtpd on a loopback port, in a config and queue dir of
/// the test's own (`postfix -c DIR start-fg`); 127.0.0.1 is not trusted, so postscreen judges
/// it: a client that talks before the whole greeting (`220-` … `220 `) is dropped.
fn postfix() -> Daemon {
    postfix_with("")
}

/// Postfix on loopback with `extra` lines in its main.cf.
fn postfix_with(extra: &str) -> Daemon {
    let extra = extra.to_owned();
    let addr = free_addr();
    // The package's master.cf (postinst writes it from the .dist even with "No configuration").
    let master = std::fs::read_to_string("/etc/postfix/master.cf")
        .or_else(|_| std::fs::read_to_string("/usr/share/postfix/master.cf.dist"))
        .expect("postfix's master.cf");
    let master: String = master
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if line.starts_with("smtp ") && fields.get(1) == Some(&"inet") {
                format!("{addr} inet n - n - 1 postscreen\nsmtpd pass - - n - - smtpd")
            } else if !line.starts_with('#') && !line.starts_with(' ') && fields.len() >= 8 {
                // No chroot: the queue is the test's own dir.
                let mut fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
                fields[4] = "n".to_owned();
                fields.join(" ")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let daemon = Daemon::start("postfix", &["-c", "{dir}", "start-fg"], addr, |dir| {
        let d = dir.display();
        std::fs::create_dir_all(dir.join("queue")).unwrap();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        // master's lock file lives in the data dir, which must be the mail owner's.
        let owned = std::process::Command::new("chown")
            .args(["postfix:postfix"])
            .arg(dir.join("data"))
            .status()
            .unwrap();
        assert!(owned.success(), "chown postfix (the test runs as root)");
        std::fs::write(dir.join("master.cf"), format!("{master}\n")).unwrap();
        std::fs::write(
            dir.join("main.cf"),
            format!(
                "compatibility_level = 3.6\nqueue_directory = {d}/queue\ndata_directory = {d}/data\n\
                 inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\nmyhostname = mx.example.test\n\
                 mydestination =\nmynetworks = 192.0.2.1/32\nmaillog_file = {d}/maillog\n\
                 maillog_file_prefixes = {d}\npostscreen_access_list =\npostscreen_dnsbl_sites =\n\
                 postscreen_greet_wait = 2s\npostscreen_greet_action = drop\npostscreen_greet_ttl = 1s\n\
                 smtpd_banner = $myhostname ESMTP\nshlib_directory = /usr/lib/postfix\nmeta_directory = /etc/postfix\n{}",
                extra.replace("{dir}", &d.to_string())
            ),
        )
        .unwrap();
    });
    daemon.stopped_by(&["postfix", "-c", "{dir}", "stop"])
}

// Postfix's postscreen drops a client that sends before the greeting is whole (the check
// without `expect_banner`); with `expect_banner` the same check passes.
#[test]
#[ignore = "needs postfix (as root)"]
fn postscreen_drops_a_hasty_client_and_expect_banner_waits() {
    let mx = postfix();
    let address = mx.addr;
    let hasty = check(
        "hasty",
        "tcp",
        &format!(
            "address = \"{address}\"\nsend = \"QUIT\\r\\n\"\nexpect = \"221\"\ntimeout = \"5s\""
        ),
    );
    let out = dry_run(Cmd::new(), &hasty);
    let (kind, detail) = outcome(&outcomes(&out), "hasty");
    assert_eq!(kind, "fail", "{detail}");
    assert!(
        detail.contains("521"),
        "postscreen should drop it: {detail}\n{}",
        mx.log()
    );
    let patient = check(
        "patient",
        "tcp",
        &format!(
            "address = \"{address}\"\nexpect_banner = \"ESMTP\"\nsend = \"QUIT\\r\\n\"\nexpect = \"221\"\ntimeout = \"5s\""
        ),
    );
    let out = dry_run(Cmd::new(), &patient);
    assert_eq!(
        outcome(&outcomes(&out), "patient"),
        ("pass".into(), "connected, got `221`".into()),
        "{}",
        std::fs::read_to_string(mx.path("maillog")).unwrap_or_default()
    );
}

// STARTTLS against a real Postfix, whose certificate (made here) is signed by an intermediate
// that expires in 5 days: the check reaches the certificate through EHLO and STARTTLS, and the
// detail names the intermediate, not the leaf.
#[test]
#[ignore = "needs postfix (as root)"]
fn postfix_starttls_reaches_the_chain_and_names_its_weak_link() {
    let chain =
        crate::support::tls::expiring_chain(time::Duration::days(5) + time::Duration::hours(1));
    let files = tempfile::tempdir().unwrap();
    let cert = files.path().join("chain.pem");
    let key = files.path().join("key.pem");
    std::fs::write(&cert, &chain.chain_pem).unwrap();
    std::fs::write(&key, &chain.key_pem).unwrap();
    let mx = postfix_with(&format!(
        "smtpd_tls_security_level = may\nsmtpd_tls_chain_files = {}, {}\n",
        key.display(),
        cert.display()
    ));
    let cmd = Cmd::new();
    let root = cmd.write("root.pem", &chain.root_pem);
    let checks = check(
        "smtp",
        "tls",
        &format!(
            "address = \"{}\"\nsni = \"localhost\"\nstarttls = \"smtp\"\nca_file = \"{}\"\nwarn_before = \"14d\"\ntimeout = \"8s\"",
            mx.addr,
            root.display()
        ),
    );
    let out = dry_run(cmd, &checks);
    let (kind, detail) = outcome(&outcomes(&out), "smtp");
    assert_eq!(
        (kind.as_str(), detail.as_str()),
        (
            "degraded",
            format!(
                "intermediate certificate `test intermediate` in the chain of localhost expires in 5 days ({}), within `warn_before` (14 days)",
                crate::support::kinds::date_in(time::Duration::days(5) + time::Duration::hours(1))
            )
            .as_str()
        ),
        "{}",
        mx.log()
    );
}

// mTLS against nginx with `ssl_verify_client on`: a client certificate of its CA is accepted;
// without one, or with one of another CA, nginx answers 400 and the check fails saying so.
#[test]
#[ignore = "needs nginx"]
fn nginx_asks_for_a_client_certificate() {
    let certs = tempfile::tempdir().unwrap();
    let pki = OpensslPki::new(certs.path());
    pki.leaf(
        "valid",
        &["localhost"],
        &openssl_date(-1),
        &openssl_date(90),
    );
    let clients = crate::support::tls::mtls();
    let write = |name: &str, text: &str| {
        let path = certs.path().join(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        path.display().to_string()
    };
    let client_ca = write("client-ca.pem", &clients.client_ca_pem);
    let (cert, key) = (
        write("client.pem", &clients.client_pem),
        write("client.key", &clients.client_key_pem),
    );
    let (stranger, stranger_key) = (
        write("stranger.pem", &clients.stranger_pem),
        write("stranger.key", &clients.stranger_key_pem),
    );
    let (_nginx, ports) = nginx_with(&[(
        "mtls",
        pki.path("valid.chain.pem"),
        pki.path("valid.key"),
        format!("    ssl_verify_client on;\n    ssl_client_certificate {client_ca};\n"),
    )]);
    let url = format!("https://localhost:{}/", ports[0].1);
    let ca = pki.path("root.pem");
    let http = |name: &str, client: Option<(&str, &str)>| {
        let mtls = client.map_or_else(String::new, |(cert, key)| {
            format!("\nclient_cert = \"{cert}\"\nclient_key = \"{key}\"")
        });
        check(
            name,
            "http",
            &format!("url = \"{url}\"\nca_file = \"{ca}\"{mtls}"),
        )
    };
    let checks = [
        http("accepted", Some((&cert, &key))),
        http("no certificate", None),
        http("another CA", Some((&stranger, &stranger_key))),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    assert_eq!(
        outcome(&all, "accepted"),
        ("pass".into(), "HTTP 200".into())
    );
    for refused in ["no certificate", "another CA"] {
        let (kind, detail) = outcome(&all, refused);
        assert_eq!(kind, "fail", "{refused}: {detail}");
        assert!(detail.starts_with("HTTP 400"), "{refused}: {detail}");
    }
}

// nginx rate-limiting this host (`return 429` with `Retry-After`): the target is up and
// throttling us, so the `http` and `prometheus` checks are unknown, naming the wait it asks,
// never an outage.
#[test]
#[ignore = "needs nginx"]
fn nginx_answering_429_leaves_checks_unknown() {
    let addr = free_addr();
    let _nginx = nginx_serving(
        addr,
        &format!(
            "  server {{\n    listen {addr};\n    location / {{ add_header Retry-After 120 always; return 429; }}\n  }}\n"
        ),
    );
    let url = format!("http://{addr}/");
    let checks = check("page", "http", &format!("url = \"{url}\""))
        + &check(
            "metrics",
            "prometheus",
            &format!("url = \"{url}\"\nquery = \"up\""),
        );
    let out = dry_run(Cmd::new(), &checks);
    assert_eq!(out.code, 3, "{out:?}");
    let found = outcomes(&out);
    for name in ["page", "metrics"] {
        let (outcome, detail) = outcome(&found, name);
        assert_eq!(outcome, "unknown", "{name}: {detail}");
        assert!(
            detail.contains(
                "HTTP 429 Too Many Requests: the target rate-limits this host, asking to retry after 120 s"
            ),
            "{name}: {detail}"
        );
    }
}
