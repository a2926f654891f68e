//! Shared by the tests of the check kinds: one dry run of component `c` and its outcomes.

use std::collections::BTreeMap;

use crate::support::cmd::{Cmd, Output};
use crate::support::toml::Toml;

/// Runs component `c` with `checks` (TOML, made by `check`) under `--dry-run --format json`.
pub fn dry_run(cmd: Cmd, checks: &str) -> Output {
    dry_run_with(cmd, checks, &["--format", "json"])
}

/// Runs component `c` with `checks` under `--dry-run -v`: the text a person reads.
pub fn verbose_dry_run(cmd: Cmd, checks: &str) -> Output {
    dry_run_with(cmd, checks, &["-v"])
}

fn dry_run_with(cmd: Cmd, checks: &str, args: &[&str]) -> Output {
    let config = Toml::cachet("http://127.0.0.1:9")
        .component("c", 1)
        .raw(checks);
    cmd.config(&config.to_string())
        .args(["run", "--dry-run"])
        .args(args)
        .run()
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

/// Asserts that the `-v` line of check `name` reads `expected` (`outcome - detail`), showing
/// the whole output when it does not.
#[track_caller]
pub fn expect_line(out: &Output, name: &str, expected: &str) {
    assert_eq!(line(out, name), expected, "{}", out.stdout);
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

/// A check table of component `c`.
pub fn check(name: &str, kind: &str, keys: &str) -> String {
    Toml::default()
        .of("c")
        .check(Some(name), kind, keys)
        .to_string()
}

/// `YYYY-MM-DD` of now + `left` (a certificate's lifetime as the test made it, margin
/// included: a margin that crosses midnight changes the date), as the details print it.
pub fn date_in(left: time::Duration) -> String {
    let date = (time::OffsetDateTime::now_utc() + left).date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}
