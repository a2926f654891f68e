//! SPEC §12 against real servers from Debian's packages, started on loopback with their own
//! config and data dirs: STARTTLS in each protocol (Dovecot's IMAP and POP3, PostgreSQL,
//! OpenLDAP, vsftpd) with a chain whose intermediate expires first, checks through tinyproxy
//! (CONNECT) and microsocks (SOCKS5), and `ip = "both"` against nginx on each family.
//! `.ci/run` installs the packages; each test is ignored where its server is missing.

use std::path::Path;

use crate::support::cmd::Cmd;
use crate::support::daemon::{Daemon, free_addr, free_addrs};
use crate::support::http::{Responder, closed_port};
use crate::support::kinds::{check, date_in, dry_run, outcome, outcomes};
use crate::support::tls::{Chain, expiring_chain};

/// What the leaf's intermediate has left: within `warn_before = "14d"`.
fn left() -> time::Duration {
    time::Duration::days(5) + time::Duration::hours(1)
}

/// The chain's files in `dir`: `chain.pem` (leaf then intermediate), `key.pem`, `root.pem`.
fn write_chain(dir: &Path, chain: &Chain) {
    std::fs::write(dir.join("chain.pem"), &chain.chain_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &chain.key_pem).unwrap();
    std::fs::write(dir.join("root.pem"), &chain.root_pem).unwrap();
}

/// A `tls` check of `address` with `starttls = protocol`, trusting the test's root.
fn starttls_check(name: &str, address: &str, protocol: &str, root: &Path) -> String {
    check(
        name,
        "tls",
        &format!(
            "address = \"{address}\"\nsni = \"localhost\"\nstarttls = \"{protocol}\"\nca_file = \"{}\"\nwarn_before = \"14d\"\ntimeout = \"8s\"",
            root.display()
        ),
    )
}

/// Each check reached the chain through its protocol's STARTTLS, and named the intermediate.
fn assert_weak_link_named(checks: &str, names: &[&str], log: impl Fn() -> String) {
    let out = dry_run(Cmd::new(), checks);
    let found = outcomes(&out);
    let expected = format!(
        "intermediate certificate `test intermediate` in the chain of localhost expires in 5 days ({}), within `warn_before` (14 days)",
        date_in(left())
    );
    for name in names {
        let (kind, detail) = outcome(&found, name);
        assert_eq!(
            (kind.as_str(), detail.as_str()),
            ("degraded", expected.as_str()),
            "{name}:\n{}",
            log()
        );
    }
}

#[test]
#[ignore = "needs dovecot-imapd and dovecot-pop3d (as root)"]
fn dovecot_imap_and_pop3_starttls_name_the_expiring_intermediate() {
    let chain = expiring_chain(left());
    let [imap, pop3] = free_addrs(2)[..] else {
        unreachable!("two addresses")
    };
    let dovecot = Daemon::start(
        "dovecot",
        &["-F", "-c", "{dir}/dovecot.conf"],
        imap,
        |dir| {
            write_chain(dir, &chain);
            // Its login processes run as dovenull and reach the master through sockets in here.
            std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))
                .unwrap();
            let d = dir.display();
            std::fs::write(
            dir.join("dovecot.conf"),
            format!(
                "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/daemon.log\n\
                 protocols = imap pop3\nlisten = 127.0.0.1\nssl = required\n\
                 ssl_cert = <{d}/chain.pem\nssl_key = <{d}/key.pem\nauth_mechanisms = plain\n\
                 passdb {{\n driver = static\n args = password=unused\n}}\n\
                 userdb {{\n driver = static\n args = uid=nobody gid=nogroup home={d}/home\n}}\n\
                 service imap-login {{\n chroot =\n inet_listener imap {{\n  port = {}\n }}\n inet_listener imaps {{\n  port = 0\n }}\n}}\n\
                 service pop3-login {{\n chroot =\n inet_listener pop3 {{\n  port = {}\n }}\n inet_listener pop3s {{\n  port = 0\n }}\n}}\n\
                 service anvil {{\n chroot =\n}}\n",
                imap.port(),
                pop3.port()
            ),
        )
        .unwrap();
        },
    );
    let root = dovecot.path("root.pem");
    let checks = starttls_check("imap", &imap.to_string(), "imap", &root)
        + &starttls_check("pop3", &pop3.to_string(), "pop3", &root);
    assert_weak_link_named(&checks, &["imap", "pop3"], || dovecot.log());
}

#[test]
#[ignore = "needs postgresql (as root)"]
fn postgresql_starttls_names_the_expiring_intermediate() {
    let chain = expiring_chain(left());
    let addr = free_addr();
    // Debian's server binaries live under their major version.
    let mut versions: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("postgresql is installed")
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("postgres").exists())
        .collect();
    versions.sort();
    let bin = versions
        .pop()
        .expect("a postgresql server")
        .display()
        .to_string();
    let bin = bin.as_str();
    let data = |dir: &Path| dir.join("data").display().to_string();
    let postgres = Daemon::start(
        "runuser",
        &[
            "-u",
            "postgres",
            "--",
            &format!("{bin}/postgres"),
            "-D",
            "{dir}/data",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            &format!("port={}", addr.port()),
            "-c",
            "unix_socket_directories={dir}",
            "-c",
            "ssl=on",
            "-c",
            "ssl_cert_file={dir}/chain.pem",
            "-c",
            "ssl_key_file={dir}/key.pem",
        ],
        addr,
        |dir| {
            write_chain(dir, &chain);
            // The server runs as postgres: its dir, its data and its key are its own.
            let own = |path: &Path| {
                let done = std::process::Command::new("chown")
                    .arg("postgres")
                    .arg(path)
                    .status()
                    .unwrap();
                assert!(done.success(), "chown postgres (the test runs as root)");
            };
            own(dir);
            own(&dir.join("key.pem"));
            std::fs::set_permissions(
                dir.join("key.pem"),
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            )
            .unwrap();
            let init = std::process::Command::new("runuser")
                .args([
                    "-u",
                    "postgres",
                    "--",
                    &format!("{bin}/initdb"),
                    "-A",
                    "trust",
                    "-D",
                ])
                .arg(data(dir))
                .output()
                .unwrap();
            assert!(
                init.status.success(),
                "{}",
                String::from_utf8_lossy(&init.stderr)
            );
        },
    );
    let checks = starttls_check(
        "db",
        &addr.to_string(),
        "postgres",
        &postgres.path("root.pem"),
    );
    assert_weak_link_named(&checks, &["db"], || postgres.log());
}

#[test]
#[ignore = "needs slapd"]
fn openldap_starttls_names_the_expiring_intermediate() {
    let chain = expiring_chain(left());
    let addr = free_addr();
    let url = format!("ldap://{addr}/");
    let slapd = Daemon::start(
        "slapd",
        &["-d", "0", "-h", &url, "-f", "{dir}/slapd.conf"],
        addr,
        |dir| {
            write_chain(dir, &chain);
            std::fs::create_dir(dir.join("db")).unwrap();
            let d = dir.display();
            std::fs::write(
                dir.join("slapd.conf"),
                format!(
                    "include /etc/ldap/schema/core.schema\npidfile {d}/slapd.pid\n\
                     modulepath /usr/lib/ldap\nmoduleload back_mdb\n\
                     TLSCertificateFile {d}/chain.pem\nTLSCertificateKeyFile {d}/key.pem\n\
                     database mdb\nsuffix \"dc=example,dc=test\"\ndirectory {d}/db\n"
                ),
            )
            .unwrap();
        },
    );
    let checks = starttls_check("ldap", &addr.to_string(), "ldap", &slapd.path("root.pem"));
    assert_weak_link_named(&checks, &["ldap"], || slapd.log());
}

#[test]
#[ignore = "needs vsftpd (as root)"]
fn vsftpd_auth_tls_names_the_expiring_intermediate() {
    let chain = expiring_chain(left());
    let addr = free_addr();
    let vsftpd = Daemon::start("vsftpd", &["{dir}/vsftpd.conf"], addr, |dir| {
        write_chain(dir, &chain);
        std::fs::create_dir(dir.join("empty")).unwrap();
        let d = dir.display();
        std::fs::write(
            dir.join("vsftpd.conf"),
            format!(
                "listen=YES\nlisten_ipv6=NO\nlisten_address=127.0.0.1\nlisten_port={}\n\
                 background=NO\nssl_enable=YES\nrsa_cert_file={d}/chain.pem\n\
                 rsa_private_key_file={d}/key.pem\nanonymous_enable=NO\nlocal_enable=YES\n\
                 secure_chroot_dir={d}/empty\nseccomp_sandbox=NO\nvsftpd_log_file={d}/daemon.log\n",
                addr.port()
            ),
        )
        .unwrap();
    });
    let checks = starttls_check("ftp", &addr.to_string(), "ftp", &vsftpd.path("root.pem"));
    assert_weak_link_named(&checks, &["ftp"], || vsftpd.log());
}

/// A check of `kind` of `target` (a URL for `http`, `host:port` for `tcp`) through `proxy`.
fn proxied(name: &str, kind: &str, target: &str, proxy: &str) -> String {
    let key = if kind == "http" { "url" } else { "address" };
    check(
        name,
        kind,
        &format!("{key} = \"{target}\"\nproxy = \"{proxy}\"\ntimeout = \"5s\""),
    )
}

// tinyproxy (HTTP CONNECT) and microsocks (SOCKS5, the name resolved by the proxy) carry `http`
// and `tcp` checks; the target refusing, as each proxy reports it, fails the check; a proxy
// that is not there leaves it unknown.
#[test]
#[ignore = "needs tinyproxy and microsocks"]
fn tinyproxy_and_microsocks_carry_checks() {
    let [connect, socks] = free_addrs(2)[..] else {
        unreachable!("two addresses")
    };
    let tinyproxy = Daemon::start(
        "tinyproxy",
        &["-d", "-c", "{dir}/tinyproxy.conf"],
        connect,
        |dir| {
            std::fs::write(
            dir.join("tinyproxy.conf"),
            format!(
                "Port {}\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\nUser nobody\nGroup nogroup\n",
                connect.port()
            ),
        )
        .unwrap();
        },
    );
    let port = socks.port().to_string();
    let microsocks = Daemon::start(
        "microsocks",
        &["-i", "127.0.0.1", "-p", &port],
        socks,
        |_| {},
    );
    let target = Responder::start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), 200);
    let (up, down) = (
        format!("localhost:{}", target.addr.port()),
        format!("localhost:{}", closed_port()),
    );
    let mut checks = String::new();
    for (proxy, via) in [
        (format!("http://{connect}"), "connect"),
        (format!("socks5h://{socks}"), "socks"),
    ] {
        checks += &proxied(
            &format!("{via} http"),
            "http",
            &format!("http://{up}/"),
            &proxy,
        );
        checks += &proxied(&format!("{via} tcp"), "tcp", &up, &proxy);
        checks += &proxied(&format!("{via} refused"), "tcp", &down, &proxy);
    }
    checks += &proxied(
        "no proxy",
        "tcp",
        &up,
        &format!("http://127.0.0.1:{}", closed_port()),
    );
    let out = dry_run(Cmd::new(), &checks);
    let found = outcomes(&out);
    let logs = || format!("{}\n{}", tinyproxy.log(), microsocks.log());
    for via in ["connect", "socks"] {
        for kind in ["http", "tcp"] {
            let name = format!("{via} {kind}");
            assert_eq!(
                outcome(&found, &name).0,
                "pass",
                "{name}: {found:?}\n{}",
                logs()
            );
        }
    }
    assert_eq!(
        outcome(&found, "connect refused"),
        (
            "fail".to_owned(),
            format!("{down} through the proxy: HTTP/1.1 500 Unable to connect")
        ),
        "{}",
        logs()
    );
    assert_eq!(
        outcome(&found, "socks refused"),
        (
            "fail".to_owned(),
            format!("{down} through the proxy socks5h://{socks}: connection refused")
        ),
        "{}",
        logs()
    );
    assert_eq!(outcome(&found, "no proxy").0, "unknown");
    assert_eq!(
        target.peers.lock().unwrap().len(),
        4,
        "two checks through each proxy"
    );
}

// The HTTP-based kinds through a proxy that is not there, one that refuses us (tinyproxy's 403
// to a tunnel its `ConnectPort` does not allow, microsocks asking for a login we lack), and one given only by
// `ALL_PROXY`: each is this host's path failing, unknown, never the target's outage. A target
// the proxy cannot reach stays the target's failure.
#[test]
#[ignore = "needs tinyproxy and microsocks"]
fn a_dead_or_refusing_proxy_leaves_http_checks_unknown() {
    let [refusing, carrying, socks] = free_addrs(3)[..] else {
        unreachable!("three addresses")
    };
    let tinyproxy = Daemon::start(
        "tinyproxy",
        &["-d", "-c", "{dir}/tinyproxy.conf"],
        refusing,
        |dir| {
            std::fs::write(
                dir.join("tinyproxy.conf"),
                format!(
                    "Port {}\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\nConnectPort 443\nUser nobody\nGroup nogroup\n",
                    refusing.port()
                ),
            )
            .unwrap();
        },
    );
    let _carrying = Daemon::start(
        "tinyproxy",
        &["-d", "-c", "{dir}/tinyproxy.conf"],
        carrying,
        |dir| {
            std::fs::write(
                dir.join("tinyproxy.conf"),
                format!(
                    "Port {}\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\nUser nobody\nGroup nogroup\n",
                    carrying.port()
                ),
            )
            .unwrap();
        },
    );
    let port = socks.port().to_string();
    let microsocks = Daemon::start(
        "microsocks",
        &["-i", "127.0.0.1", "-p", &port, "-u", "mon", "-P", "secret"],
        socks,
        |_| {},
    );
    let target = Responder::start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), 200);
    let up = format!("http://localhost:{}/", target.addr.port());
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let mut checks = String::new();
    for (via, proxy) in [
        ("dead", dead.clone()),
        ("403", format!("http://{refusing}")),
        ("socks login", format!("socks5h://{socks}")),
    ] {
        checks += &proxied(&format!("{via} http"), "http", &up, &proxy);
        checks += &check(
            &format!("{via} prometheus"),
            "prometheus",
            &format!("url = \"{up}\"\nquery = \"up\"\nproxy = \"{proxy}\"\ntimeout = \"5s\""),
        );
    }
    checks += &proxied(
        "unreachable target",
        "http",
        &format!("http://localhost:{}/", closed_port()),
        &format!("http://{carrying}"),
    );
    let out = dry_run(Cmd::new(), &checks);
    let found = outcomes(&out);
    let logs = || format!("{}\n{}", tinyproxy.log(), microsocks.log());
    for via in ["dead", "403", "socks login"] {
        for kind in ["http", "prometheus"] {
            let name = format!("{via} {kind}");
            let (outcome, detail) = outcome(&found, &name);
            assert_eq!(outcome, "unknown", "{name}: {detail}\n{}", logs());
            assert!(detail.contains("the proxy "), "{name}: {detail}");
        }
    }
    assert_eq!(
        outcome(&found, "403 http").1,
        format!("the proxy http://{refusing}: it refused the tunnel (HTTP 403 Forbidden)")
    );
    assert!(
        outcome(&found, "dead http").1.contains("out of reach"),
        "{found:?}"
    );
    assert_eq!(outcome(&found, "unreachable target").0, "fail", "{found:?}");
    assert!(
        target.peers.lock().unwrap().is_empty(),
        "nothing went around the proxies"
    );
    // A proxy given only by the environment, not there.
    let out = crate::support::kinds::dry_run(
        Cmd::new().env("ALL_PROXY", &dead),
        &check("env", "http", &format!("url = \"{up}\"\ntimeout = \"5s\"")),
    );
    let (outcome, detail) = outcome(&outcomes(&out), "env");
    assert_eq!(outcome, "unknown", "{detail}");
    assert!(detail.contains("out of reach"), "{detail}");
}

// `ip = "both"` against nginx on 127.0.0.1 only: IPv6 refused makes the check degraded, naming
// the family; nginx on both families passes.
#[test]
#[ignore = "needs nginx"]
fn nginx_on_one_family_is_degraded_and_on_both_passes() {
    let addr = free_addr();
    let port = addr.port();
    let nginx = |listen: &str| {
        let listen = listen.to_owned();
        Daemon::start(
            "nginx",
            &[
                "-p",
                "{dir}",
                "-c",
                "{dir}/nginx.conf",
                "-e",
                "{dir}/daemon.log",
            ],
            addr,
            move |dir| {
                std::fs::write(
                dir.join("nginx.conf"),
                format!(
                    "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nevents {{}}\nhttp {{\n access_log off;\n client_body_temp_path {d};\n \
                     server {{\n {listen}\n location / {{ return 200 \"ok\"; }}\n }}\n}}\n",
                    d = dir.display()
                ),
            )
            .unwrap();
            },
        )
    };
    let keys = format!(
        "url = \"http://svc.test:{port}/\"\nip = \"both\"\nresolve = {{ \"svc.test:{port}\" = [\"127.0.0.1\", \"::1\"] }}"
    );
    let one = nginx(&format!("listen 127.0.0.1:{port};"));
    let out = dry_run(Cmd::new(), &check("web", "http", &keys));
    assert_eq!(
        outcome(&outcomes(&out), "web"),
        (
            "degraded".to_owned(),
            "over IPv6: connection refused (passed over IPv4)".to_owned()
        ),
        "{}",
        one.log()
    );
    drop(one);
    let both = nginx(&format!("listen 127.0.0.1:{port};\n listen [::1]:{port};"));
    let out = dry_run(Cmd::new(), &check("web", "http", &keys));
    assert_eq!(
        outcome(&outcomes(&out), "web"),
        (
            "pass".to_owned(),
            "HTTP 200 (over IPv4, over IPv6)".to_owned()
        ),
        "{}",
        both.log()
    );
}
