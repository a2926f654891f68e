//! Shared by the tests of the check kinds: one dry run of component `c` and its outcomes.

use std::collections::BTreeMap;

use crate::support::cmd::{Cmd, Output};

/// Runs component `c` with `checks` (TOML) under `--dry-run --format json`.
pub fn dry_run(cmd: Cmd, checks: &str) -> Output {
    let config =
        format!("[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n{checks}");
    cmd.config(&config)
        .args(["run", "--dry-run", "--format", "json"])
        .run()
}

/// Runs component `c` with `checks` (TOML) under `--dry-run -v`: the text a person reads.
pub fn verbose_dry_run(cmd: Cmd, checks: &str) -> Output {
    let config =
        format!("[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.c]\nid = 1\n{checks}");
    cmd.config(&config).args(["run", "--dry-run", "-v"]).run()
}

/// The `-v` line of check `name` of component `c`: `outcome - detail`.
pub fn line<'a>(out: &'a Output, name: &str) -> &'a str {
    let prefix = format!("  c/{name}: ");
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no line for {name}:\n{}", out.stdout));
    let rest = &line[prefix.len()..];
    rest.rsplit_once(" (").map_or(rest, |(text, _)| text)
}

/// Check name → (outcome, detail), from the JSON report.
pub fn outcomes(out: &Output) -> BTreeMap<String, (String, String)> {
    let json = out.json();
    let checks = json["components"][0]["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks in {out:?}"));
    checks
        .iter()
        .map(|check| {
            (
                check["name"].as_str().unwrap().to_owned(),
                (
                    check["outcome"].as_str().unwrap().to_owned(),
                    check["detail"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

/// `(outcome, detail)` of check `name`.
pub fn outcome(all: &BTreeMap<String, (String, String)>, name: &str) -> (String, String) {
    all.get(name)
        .unwrap_or_else(|| panic!("no check {name} in {all:?}"))
        .clone()
}

/// A check table.
pub fn check(name: &str, kind: &str, keys: &str) -> String {
    format!("[[components.c.checks]]\nname = \"{name}\"\ntype = \"{kind}\"\n{keys}\n")
}

/// `YYYY-MM-DD` of now + `days`, as the details print it.
pub fn date_in(days: i64) -> String {
    let date = (time::OffsetDateTime::now_utc() + time::Duration::days(days)).date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}
