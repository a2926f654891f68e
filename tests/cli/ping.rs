//! The `ping` kind: ICMP echo to 127.0.0.1 and ::1, to an address routed into nothing (in a
//! network namespace of the test's own, so that nothing leaves the machine), and from a user
//! that may not send ICMP at all (unknown, with the fix).

use crate::support::cmd::{BIN, Cmd};
use crate::support::kinds::{check, dry_run, outcome, outcomes};

#[test]
#[ignore = "needs permission to send ICMP echo (root, CAP_NET_RAW or net.ipv4.ping_group_range)"]
fn loopback_answers_on_both_families() {
    let checks = [
        check(
            "v4",
            "ping",
            "host = \"127.0.0.1\"\ncount = 3\ninterval = \"50ms\"",
        ),
        check(
            "v6",
            "ping",
            "host = \"::1\"\ncount = 2\ninterval = \"50ms\"\nwarn = \"200ms,20%\"",
        ),
        check("name", "ping", "host = \"localhost\"\ncount = 1"),
        check(
            "from",
            "ping",
            "host = \"127.0.0.1\"\nsource_address = \"127.0.0.2\"\ncount = 1",
        ),
    ]
    .concat();
    let out = dry_run(Cmd::new(), &checks);
    let all = outcomes(&out);
    let (kind, detail) = outcome(&all, "v4");
    assert_eq!(kind, "pass", "{detail}");
    assert!(
        detail.starts_with("3/3 replies, 0% loss, round trip "),
        "{detail}"
    );
    let (kind, detail) = outcome(&all, "v6");
    assert_eq!(kind, "pass", "{detail}");
    assert!(detail.starts_with("2/2 replies, 0% loss"), "{detail}");
    let (kind, detail) = outcome(&all, "from");
    assert_eq!(kind, "pass", "from a source address: {detail}");
    let (kind, detail) = outcome(&all, "name");
    assert_eq!(kind, "pass", "{detail}");
    assert!(
        detail.contains(": 1/1 replies"),
        "a name is followed by its address: {detail}"
    );
    let report = out.json();
    let perfdata = &report["components"][0]["checks"][0]["perfdata"];
    assert_eq!(
        (&perfdata[0]["label"], &perfdata[0]["unit"]),
        (&"pl".into(), &"%".into())
    );
    assert_eq!(
        (&perfdata[1]["label"], &perfdata[1]["unit"]),
        (&"rta".into(), &"ms".into())
    );
}

/// Runs `script` with `sh` as root in a network namespace of its own.
fn in_own_network(script: &str) -> std::process::Output {
    std::process::Command::new("unshare")
        .args(["--net", "sh", "-c", script])
        .output()
        .unwrap()
}

// An address routed into the loopback of an empty namespace, which forwards nothing: every
// request is lost, and the check says so.
#[test]
#[ignore = "needs root for unshare(1) network namespaces"]
fn an_address_that_never_answers_is_100_percent_loss() {
    let cmd = Cmd::new();
    let config = cmd.write(
        "config.toml",
        "[components.c]\nid = 1\n[[components.c.checks]]\nname = \"gone\"\ntype = \"ping\"\nhost = \"10.9.9.9\"\ncount = 2\ninterval = \"100ms\"\n",
    );
    let output = in_own_network(&format!(
        "ip link set lo up && ip route add 10.9.9.9/32 dev lo || exit 97\n{BIN} run --dry-run --format json -c {}",
        config.display()
    ));
    assert_ne!(output.status.code(), Some(97), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let check = &report["components"][0]["checks"][0];
    assert_eq!(check["outcome"], "fail", "{report}");
    assert_eq!(check["detail"], "0/2 replies, 100% loss", "{report}");
    assert_eq!(output.status.code(), Some(2));
}

// A user outside net.ipv4.ping_group_range and without CAP_NET_RAW cannot judge a ping: the
// check is unknown (exit 3), never "host down", and says how to allow it.
#[test]
#[ignore = "needs root to run as another user (setpriv), and a ping_group_range that leaves out nobody"]
fn a_host_that_may_not_ping_is_unknown_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range").unwrap_or_default();
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[components.c]\nid = 1\n[[components.c.checks]]\nname = \"p\"\ntype = \"ping\"\nhost = \"127.0.0.1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
        .args(["run", "--dry-run", "--format", "json", "-c"])
        .arg(&config)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {output:?} (ping_group_range {range})"));
    let check = &report["components"][0]["checks"][0];
    assert_eq!(check["outcome"], "unknown", "{report}");
    assert!(
        check["detail"]
            .as_str()
            .unwrap()
            .contains("net.ipv4.ping_group_range"),
        "{report}"
    );
    assert_eq!(output.status.code(), Some(3));
    // `validate` (and `doctor`) say so before any run.
    let validate = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
        .args(["validate", "-c"])
        .arg(&config)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&validate.stdout);
    assert!(
        stdout.contains("problem: c/p: this host may not send ICMP echo (permission denied)"),
        "{stdout}"
    );
    assert_eq!(validate.status.code(), Some(3));
}
