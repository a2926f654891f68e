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
        ensure_current(path, &completion(shell));
    }
}

/// The completion script for `shell`. clap_complete's bash script names the subcommands'
/// `case` labels from the binary name with its `-` turned into `__subcmd__`
/// (`cachet__subcmd__check__subcmd__run`) while the loop that finds the subcommand builds
/// `cachet__check__subcmd__run`: nothing after a subcommand completed. The labels are made to
/// match what the loop builds.
fn completion(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "cachet-check", &mut script);
    if shell == Shell::Bash {
        let text = String::from_utf8(script).unwrap();
        return text
            .replace("cachet__subcmd__check__subcmd__", "cachet__check__subcmd__")
            .into_bytes();
    }
    script
}

/// What `shell` completes for the words of `line` (the last one being completed), through
/// the committed script loaded the way the shell loads it.
fn complete(shell: &str, line: &str) -> Vec<String> {
    let script = match shell {
        "bash" => format!(
            "source {}
COMP_WORDS=({line})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
             [[ \"{line}\" == *' ' ]] && {{ COMP_WORDS+=(''); COMP_CWORD=$(( COMP_CWORD + 1 )); }}
             COMP_LINE=\"{line}\"; COMP_POINT=${{#COMP_LINE}}
             _cachet__check cachet-check \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"
             printf '%s\\n' \"${{COMPREPLY[@]}}\"
",
            repo("completions/cachet-check.bash").display()
        ),
        "fish" => format!(
            "source {}
complete --do-complete '{line}'
",
            repo("completions/cachet-check.fish").display()
        ),
        _ => unreachable!("{shell}"),
    };
    let output = Command::new(shell)
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("running {shell}: {e}"));
    assert!(
        output.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

// Completion after a subcommand: options, and the status words of `--status`.
#[test]
fn bash_completes_subcommands_options_and_status_words() {
    assert!(complete("bash", "cachet-check ru").contains(&"run".to_owned()));
    assert_eq!(complete("bash", "cachet-check run --dr"), ["--dry-run"]);
    assert_eq!(complete("bash", "cachet-check monit --st"), ["--status"]);
    let statuses = complete("bash", "cachet-check monit --status ");
    for word in ["operational", "performance", "partial", "major"] {
        assert!(statuses.contains(&word.to_owned()), "{statuses:?}");
    }
}

#[test]
#[ignore = "needs fish"]
fn fish_completes_subcommands_options_and_status_words() {
    assert!(complete("fish", "cachet-check ru").contains(&"run".to_owned()));
    assert_eq!(complete("fish", "cachet-check run --dr"), ["--dry-run"]);
    assert_eq!(complete("fish", "cachet-check monit --st"), ["--status"]);
    let statuses = complete("fish", "cachet-check monit --status ");
    for word in ["operational", "performance", "partial", "major"] {
        assert!(statuses.contains(&word.to_owned()), "{statuses:?}");
    }
}

// zsh: the completion function, loaded by compinit from an fpath dir in an interactive zsh
// (driven through zpty), offers the options of a subcommand and the status words. What it
// offers is caught by wrapping `compadd`.
#[test]
#[ignore = "needs zsh"]
fn zsh_completes_options_after_a_subcommand() {
    assert_eq!(zsh_complete("cachet-check run --dr"), ["--dry-run"]);
    let statuses = zsh_complete("cachet-check monit --status ");
    for word in ["operational", "performance", "partial", "major"] {
        assert!(statuses.contains(&word.to_owned()), "{statuses:?}");
    }
}

fn zsh_complete(line: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo("completions/_cachet-check"),
        dir.path().join("_cachet-check"),
    )
    .unwrap();
    let script = format!(
        r#"
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1=""; RPROMPT=""; fpath=({dir} $fpath); autoload -U compinit; compinit -u -D'
zpty -w z 'compadd () {{ local -a hits; builtin compadd -O hits "$@"; (( $#hits )) && print -r -- "<hit>${{(j:<hit>:)hits}}"; builtin compadd "$@" }}'
zpty -w z 'zstyle ":completion:*" menu no'
zpty -w -n z '{line}'$'\t'
sleep 1
zpty -w -n z $'\C-u'
zpty -w z 'print END-OF-OUTPUT'
while zpty -r -t z chunk; do print -rn -- "$chunk"; [[ $chunk == *END-OF-OUTPUT* ]] && break; done
zpty -d z
"#,
        dir = dir.path().display()
    );
    let output = Command::new("timeout")
        .args(["20", "zsh", "-f", "-c", &script])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    text.split("<hit>")
        .skip(1)
        .map(|hit| {
            hit.chars()
                .take_while(|c| !c.is_control())
                .collect::<String>()
        })
        .filter(|hit| !hit.is_empty() && !hit.contains('$'))
        .collect()
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

// Every check kind the binary knows has its paragraph in the man page's CHECKS: the kinds are
// asked of the binary itself (the list `validate` gives for an unknown `type`).
#[test]
fn every_kind_has_its_man_page_paragraph() {
    let dir = std::env::temp_dir().join(format!("cachet-check-kinds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("kinds.toml");
    std::fs::write(
        &config,
        "[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"no-such-kind\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cachet-check"))
        .args(["validate", "-c"])
        .arg(&config)
        .env_clear()
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let listed = stderr
        .split("expected one of ")
        .nth(1)
        .unwrap_or_else(|| panic!("no list of kinds in: {stderr}"));
    let kinds: Vec<&str> = listed
        .split(", ")
        .map(|kind| kind.trim().trim_matches('`'))
        .collect();
    assert!(kinds.len() >= 11, "{kinds:?}");
    let page = std::fs::read_to_string(repo("man/cachet-check.1.in")).unwrap();
    let missing: Vec<&&str> = kinds
        .iter()
        .filter(|kind| !page.contains(&format!(".B type = \"{kind}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "kinds without a CHECKS paragraph: {missing:?}"
    );
}
