//! The man page and the shell completions are generated from the clap definition and committed;
//! these tests fail when a committed file is stale. Regenerate with
//! `CACHET_CHECK_BLESS=1 cargo test --test generated` and commit the result.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use cachet_check::cli::Cli;
use clap::CommandFactory;
use clap_complete::Shell;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Compares `content` with the committed file, or writes it when blessing.
fn ensure_current(path: &str, content: &[u8]) {
    let file = repo(path);
    if std::env::var_os("CACHET_CHECK_BLESS").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        return;
    }
    let committed = std::fs::read(&file).unwrap_or_default();
    assert!(
        committed == content,
        "{path} is stale; run `CACHET_CHECK_BLESS=1 cargo test --test generated` and commit it"
    );
}

/// Escapes text for roff: backslashes, hyphens, and a leading dot or quote.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

/// One `.SS` per subcommand: its usage, its help and its arguments.
fn commands_section(command: &clap::Command) -> String {
    let mut text = String::new();
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let mut usage = sub
            .clone()
            .bin_name(format!("cachet-check {}", sub.get_name()));
        let usage = usage.render_usage().to_string().replace("Usage: ", "");
        text.push_str(&format!(".SS {}\n", roff(&usage)));
        let about = sub
            .get_long_about()
            .or(sub.get_about())
            .map(ToString::to_string)
            .unwrap_or_default();
        text.push_str(&format!("{}\n", roff(&about.replace('\n', " "))));
        for arg in sub.get_positionals() {
            let name = arg
                .get_value_names()
                .and_then(|names| names.first())
                .map_or_else(|| arg.get_id().to_string(), ToString::to_string);
            let help = arg
                .get_long_help()
                .or(arg.get_help())
                .map(ToString::to_string)
                .unwrap_or_default();
            text.push_str(&format!(
                ".TP\n\\fI{}\\fR\n{}\n",
                roff(&name),
                roff(&help.replace('\n', " "))
            ));
        }
    }
    text.trim_end().to_owned()
}

fn render_man() -> Vec<u8> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    let mut synopsis = Vec::new();
    man.render_synopsis_section(&mut synopsis).unwrap();
    let mut options = Vec::new();
    man.render_options_section(&mut options).unwrap();
    let template = std::fs::read_to_string(repo("man/cachet-check.1.in")).unwrap();
    template
        .replace("@VERSION@", env!("CARGO_PKG_VERSION"))
        .replace(
            "@SYNOPSIS@",
            String::from_utf8(synopsis).unwrap().trim_end(),
        )
        .replace("@OPTIONS@", String::from_utf8(options).unwrap().trim_end())
        .replace("@COMMANDS@", &commands_section(&command))
        .into_bytes()
}

#[test]
fn man_page_is_current() {
    let page = render_man();
    let text = String::from_utf8(page.clone()).unwrap();
    let placeholder = regex::Regex::new("@[A-Z_]+@").unwrap();
    assert!(
        !placeholder.is_match(&text),
        "a placeholder was left in the man page"
    );
    // Every long option of the clap definition is documented.
    for arg in Cli::command().get_arguments() {
        if let Some(long) = arg.get_long() {
            assert!(
                text.contains(&format!("\\-\\-{}", long.replace('-', "\\-"))),
                "--{long} missing from the man page"
            );
        }
    }
    ensure_current("man/cachet-check.1", &page);
}

#[test]
fn completions_are_current() {
    for (shell, path) in [
        (Shell::Bash, "completions/cachet-check.bash"),
        (Shell::Zsh, "completions/_cachet-check"),
        (Shell::Fish, "completions/cachet-check.fish"),
    ] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "cachet-check", &mut script);
        ensure_current(path, &script);
    }
}

fn syntax_check(program: &str, args: &[&str], file: &str) {
    let output = Command::new(program)
        .args(args)
        .arg(repo(file))
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} rejects {file}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn bash_completion_parses() {
    syntax_check("bash", &["-n"], "completions/cachet-check.bash");
}

#[test]
#[ignore = "needs zsh"]
fn zsh_completion_parses() {
    syntax_check("zsh", &["-n"], "completions/_cachet-check");
}

#[test]
#[ignore = "needs fish"]
fn fish_completion_parses() {
    syntax_check("fish", &["--no-execute"], "completions/cachet-check.fish");
}

#[test]
#[ignore = "needs groff"]
fn man_page_renders_without_warnings() {
    let output = Command::new("groff")
        .args(["-man", "-t", "-ww", "-z"])
        .arg(repo("man/cachet-check.1"))
        .output()
        .unwrap();
    let warnings = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && warnings.is_empty(),
        "groff: {warnings}"
    );
}
