//! The `certfile` kind: certificates on disk (a PEM file or a directory of them), made by the
//! test, their earliest expiry judged as the `tls` kind's.

use time::Duration;

use crate::support::cmd::Cmd;
use crate::support::kinds::{check, date_in, dry_run, outcome, outcomes};
use crate::support::tls::{expiring_chain, pki};

#[test]
fn certificates_on_disk_are_judged_by_the_one_that_expires_first() {
    let cmd = Cmd::new();
    let root = pki();
    let ca = cmd.write("ca.pem", &root.ca_pem);
    let soon = expiring_chain(Duration::days(5) + Duration::hours(1));
    let gone = expiring_chain(-Duration::days(3));
    let dir = cmd.dir().join("certs");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a-ca.pem"), &root.ca_pem).unwrap();
    std::fs::write(dir.join("b-mail.pem"), &soon.chain_pem).unwrap();
    std::fs::write(dir.join("README"), "not a certificate\n").unwrap();
    let expired = cmd.write("expired.pem", &gone.chain_pem);
    let empty = cmd.write("empty.pem", "no certificate here\n");
    let keys = |path: &std::path::Path| {
        format!(
            "path = \"{}\"\nwarn_before = \"14d\"\nfail_before = \"2d\"",
            path.display()
        )
    };
    let checks = [
        check("ca", "certfile", &keys(&ca)),
        check("dir", "certfile", &keys(&dir)),
        check("expired", "certfile", &keys(&expired)),
        check("empty", "certfile", &keys(&empty)),
        check("missing", "certfile", &keys(&cmd.dir().join("nope.pem"))),
    ]
    .concat();
    let out = dry_run(cmd, &checks);
    let all = outcomes(&out);
    // The test CA was made to expire 400 days from now, to the second: a day may round away.
    let (kind, detail) = outcome(&all, "ca");
    assert_eq!(kind, "pass", "{detail}");
    assert!(
        detail.starts_with(&format!(
            "certificate `cachet-check test CA` in `{}` expires in 399 days (",
            ca.display()
        )) || detail.contains("expires in 400 days ("),
        "{detail}"
    );
    assert_eq!(
        outcome(&all, "dir"),
        (
            "degraded".into(),
            format!(
                "certificate `test intermediate` in `{}` expires in 5 days ({}), within `warn_before` (14 days)",
                dir.join("b-mail.pem").display(),
                date_in(Duration::days(5) + Duration::hours(1))
            )
        )
    );
    assert_eq!(
        outcome(&all, "expired"),
        (
            "fail".into(),
            format!(
                "certificate `test intermediate` in `{}` expired 3 days ago ({})",
                expired.display(),
                date_in(-Duration::days(3))
            )
        )
    );
    // A path that cannot be read, or holds no certificate, is a mistake of the config or of
    // this host: unknown, never an outage.
    assert_eq!(
        outcome(&all, "empty"),
        (
            "unknown".into(),
            format!("`{}` holds no PEM certificate: fix `path`", empty.display())
        )
    );
    assert_eq!(outcome(&all, "missing").0, "unknown");
    assert_eq!(out.code, 3, "{out:?}");
}

// `validate` names a certificate path this machine cannot read, as it does an exec program.
#[test]
fn validate_names_a_certificate_path_that_is_not_there() {
    let out = Cmd::new()
        .config("[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"certfile\"\npath = \"certs/mail.pem\"\n")
        .args(["validate"])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stdout.contains("problem: ") && out.stdout.contains("certs/mail.pem` cannot be read"),
        "{}",
        out.stdout
    );
}
