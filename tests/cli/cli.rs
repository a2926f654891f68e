//! SPEC §2, §3: the command line itself: help, version, usage errors.

use crate::support::cmd::Cmd;

// SPEC §3: `--help` and `--version` exit 0.
#[test]
fn help_and_version_exit_zero() {
    let help = Cmd::new().args(["--help"]).run();
    assert_eq!(help.code, 0);
    assert!(
        help.stdout
            .starts_with("Run the checks of Cachet status-page components once"),
        "{}",
        help.stdout
    );
    for command in ["run", "set", "validate", "example"] {
        assert!(
            help.stdout.contains(&format!("  {command}")),
            "--help lists `{command}`"
        );
    }
    let version = Cmd::new().args(["--version"]).run();
    assert_eq!(
        (version.code, version.stdout.as_str()),
        (0, concat!("cachet-check ", env!("CARGO_PKG_VERSION"), "\n"))
    );
    let sub = Cmd::new().args(["help", "run"]).run();
    assert_eq!(sub.code, 0);
    assert!(sub.stdout.contains("COMPONENT"));
}

// SPEC §3: clap's own usage errors exit 3 (UNKNOWN), not clap's 2 (CRITICAL to Monit).
#[test]
fn usage_errors_exit_unknown() {
    for args in [
        vec!["--bogus"],
        vec![],
        vec!["set", "api"],
        vec!["set", "api", "purple"],
        vec!["run", "--timeout", "soon"],
        vec!["-j", "0", "run"],
    ] {
        let out = Cmd::new().args(&args).run();
        assert_eq!(out.code, 3, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("error") || out.stderr.contains("Usage:"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            out.stdout.starts_with("CACHET-CHECK UNKNOWN - usage: "),
            "{args:?}: {}",
            out.stdout
        );
        assert_eq!(out.stdout.lines().count(), 1, "{args:?}: {}", out.stdout);
    }
    let out = Cmd::new().args(["set", "api", "purple"]).run();
    assert!(
        out.stderr.contains("`purple` is not a status"),
        "{}",
        out.stderr
    );
}

// SPEC §9: with --format json, stdout holds the object also for a usage error.
#[test]
fn usage_errors_in_json_mode_print_the_object() {
    let out = Cmd::new()
        .args(["--format", "json", "run", "--bogus"])
        .run();
    assert_eq!(out.code, 3);
    let report = out.json();
    assert_eq!(report["exit_code"], 3);
    assert_eq!(
        report["error"],
        "usage: unexpected argument '--bogus' found"
    );
    let out = Cmd::new().args(["run", "--timeout", "soon"]).run();
    assert_eq!(
        out.summary(),
        "CACHET-CHECK UNKNOWN - usage: invalid value 'soon' for '--timeout <DURATION>': `soon` is not a duration like `30s` or `1m30s`: expected number at 0"
    );
}

// SPEC §2: the token never comes from argv.
#[test]
fn there_is_no_token_option() {
    let out = Cmd::new().args(["--token", "abc", "validate"]).run();
    assert_eq!(out.code, 3);
    let help = Cmd::new().args(["--help"]).run();
    assert!(!help.stdout.contains("--token "), "{}", help.stdout);
    assert!(help.stdout.contains("--token-file"));
}

#[test]
fn quiet_and_verbose_conflict() {
    let out = Cmd::new().args(["-q", "-v", "example"]).run();
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}
