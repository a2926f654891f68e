//! SPEC §5: the config file: `example`, `validate`, and errors that name file, line, column, key.

use crate::support::cmd::Cmd;

// SPEC §2: `example` prints a commented config that `validate` accepts.
#[test]
fn the_example_config_validates() {
    let example = Cmd::new().args(["example"]).run();
    assert_eq!(example.code, 0);
    assert!(example.stdout.starts_with("# cachet-check configuration"));
    let out = Cmd::new()
        .args(["validate", "-c", "-"])
        .stdin(&example.stdout)
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.summary(), "<stdin>: valid, 5 components, 11 checks");
    assert!(out.stdout.contains("component api -> Cachet component 2\n  health endpoint: http GET https://api.example.com/health, timeout 10s, expect 200-299, slow after 800ms, a failure is fail, 1 retries every 2s\n"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("component database -> the Cachet component named \"Database\"\n")
    );
    for line in [
        "  certificate: tls www.example.com:443 (as www.example.com), timeout 10s, a failure is fail\n",
        "  dns A www.example.com: dns A www.example.com, timeout 10s, a failure is fail\n",
        "  deploy job: jenkins https://ci.example.com/job/deploy/, timeout 10s, a failure is fail\n",
        "  web load: graphite https://graphite.example.com/render target servers.web*.load, timeout 10s, a failure is fail\n",
        "  database up: prometheus http://prometheus.example.com:9090 query up{job=\"db\"}, timeout 10s, a failure is fail\n",
    ] {
        assert!(out.stdout.contains(line), "{line} in {}", out.stdout);
    }
}

// SPEC §2: validate touches no network: a Cachet URL nobody answers does not matter.
#[test]
fn validate_prints_the_plan_as_json() {
    let config = "[cachet]\nurl = \"http://127.0.0.1:9\"\n[components.web]\ncachet_name = \"Web site\"\n[[components.web.checks]]\ntype = \"tcp\"\naddress = \"[::1]:443\"\non_failure = \"down\"\n";
    let out = Cmd::new()
        .config(config)
        .token("t")
        .args(["validate", "--format", "json"])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan = out.json();
    assert_eq!(plan["cachet"]["token"], "from CACHET_TOKEN");
    assert_eq!(plan["components"][0]["cachet_name"], "Web site");
    assert_eq!(plan["components"][0]["checks"][0]["name"], "tcp [::1]:443");
    assert_eq!(plan["components"][0]["checks"][0]["on_failure"], "down");
    assert_eq!(plan["components"][0]["checks"][0]["timeout_ms"], 10000);
}

// SPEC §5: unknown keys are rejected with the nearest valid key; errors name file:line:column.
#[test]
fn unknown_keys_get_a_suggestion_and_a_location() {
    let cmd = Cmd::new();
    let config = "[components.api]\nid = 2\n\n  [[components.api.checks]]\n  type = \"http\"\n  url = \"http://127.0.0.1:1/\"\n  expect_stauts = [200]\n";
    let path = cmd.write("bad.toml", config);
    let out = cmd.args(["validate", "-c", path.to_str().unwrap()]).run();
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stderr,
        format!(
            "cachet-check: error: {}:7:3: unknown key `expect_stauts` in `[[components.api.checks]]`, did you mean `expect_status`?\n",
            path.display()
        )
    );
    assert_eq!(
        out.summary(),
        format!(
            "CACHET-CHECK UNKNOWN - {}:7:3: unknown key `expect_stauts` in `[[components.api.checks]]`, did you mean `expect_status`?",
            path.display()
        )
    );
}

#[test]
fn bad_values_are_exit_3_with_a_location() {
    let cases = [
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"http\"\nurl = \"http://h/\"\ntimeout = \"soon\"\n",
            "6:11",
            "`soon` is not a duration",
        ),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"http\"\nurl = \"http://h/\"\nexpect_body_regex = \"([a-z\"\n",
            "6:21",
            "invalid regex `([a-z`",
        ),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"gopher\"\n",
            "4:8",
            "unknown value `gopher`",
        ),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"no-port\"\n",
            "5:11",
            "`no-port` is not `host:port`",
        ),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"h:1\"\nretries = -1\n",
            "6:11",
            "retries",
        ),
        (
            "[cachet]\nurl = \"status.example.com\"\n",
            "2:7",
            "`[cachet] url`: `status.example.com` is not an http:// or https:// URL",
        ),
        ("[cachet]\napi = \"4\"\n", "2:7", "unknown value `4`"),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"exec\"\ncommand = []\n",
            "5:1",
            "`command` in `[[components.a.checks]]` is empty",
        ),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"h:1\"\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"h:1\"\n",
            "6:1",
            "two checks of `[components.a]` are named `tcp h:1`",
        ),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"h:1\"\ncommand = [\"x\"]\n",
            "6:1",
            "`command` does not apply to a `tcp` check",
        ),
        (
            "[components.a]\nid = 1\ncachet_name = \"A\"\n",
            "3:1",
            "sets both `id` and `cachet_name`",
        ),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"http\"\nurl = \"http://h/\"\nheaders = { \"Bad Name\" = \"x\" }\n",
            "6:1",
            "header `Bad Name` in `[[components.a.checks]]` is not a valid HTTP header",
        ),
        // What the HTTP client would refuse to send, which read as the server's failure.
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"http\"\nurl = \"http://h/\"\nbody = \"x\"\nheaders = { \"Content-Length\" = \"3\" }\n",
            "7:1",
            "in `[[components.a.checks]]`: `Content-Length` is counted from the request's body as it is sent: drop the header",
        ),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"http\"\nurl = \"http://h/\"\nheaders = { \"Host\" = \"a\", \"host\" = \"b\" }\n",
            "6:1",
            "header `Host` is there twice, also as `host` (header names ignore case)",
        ),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"http\"\nurl = \"http://h/\"\nheaders = { \"Authorization\" = \"Bearer é\" }\n",
            "6:1",
            "the value of `Authorization` must be plain ASCII text",
        ),
        (
            "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"http\"\nurl = \"http://h/\"\nbasic_auth = { user = \"u\", password_env = \"P\" }\nheaders = { \"authorization\" = \"Bearer t\" }\n",
            "7:1",
            "`authorization` is what `basic_auth` sends: keep the header or `basic_auth`, not both",
        ),
        ("key = \n", "1:7", ""),
        (
            "[components.a]\nid = 1\nconfirm = 0\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"h:1\"\n",
            "3:1",
            "`confirm` in `[components.a]` must be at least 1",
        ),
        (
            "[components.a]\nid = 1\nincident = { name = \" \" }\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"h:1\"\n",
            "3:1",
            "`incident` in `[components.a]` needs a `name`",
        ),
        (
            "[components.a]\nid = 1\nincident = { name = \"x\", notifiy = false }\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"h:1\"\n",
            "3:26",
            "unknown key `notifiy` in `[components.a]`, did you mean `notify`?",
        ),
        (
            "[components.a]\nid = 1\nmetric = \"latency\"\n",
            "3:10",
            "`metric`: invalid type: string \"latency\", expected a whole number",
        ),
        (
            "[cachet]\nnotify_subscribers = \"no\"\n",
            "2:22",
            "`notify_subscribers`: invalid type: string \"no\", expected true or false",
        ),
    ];
    for (config, position, message) in cases {
        assert_invalid(config, position, message);
    }
}

/// `validate` of `config` exits 3 with one line naming `position` (line:column) and `message`.
fn assert_invalid(config: &str, position: &str, message: &str) {
    let out = Cmd::new().config(config).args(["validate"]).run();
    assert_eq!(out.code, 3, "{config}");
    assert!(
        out.stderr.contains(&format!("config.toml:{position}: ")),
        "{position} in {}",
        out.stderr
    );
    assert!(out.stderr.contains(message), "{message} in {}", out.stderr);
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "one clear line: {}",
        out.stderr
    );
}

#[test]
fn missing_and_binary_config_files_are_clear_errors() {
    let out = Cmd::new()
        .args(["validate", "-c", "/nonexistent/cachet.toml"])
        .run();
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stderr,
        "cachet-check: error: reading config file `/nonexistent/cachet.toml`: No such file or directory (os error 2)\n"
    );
    let cmd = Cmd::new();
    let path = cmd.dir().join("garbage.toml");
    std::fs::write(&path, [0xff, 0xfe, 0x00, 0x41]).unwrap();
    let out = cmd.args(["validate", "-c", path.to_str().unwrap()]).run();
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("is not UTF-8 text"), "{}", out.stderr);
}

// SPEC §2: the default config path, and CACHET_CHECK_CONFIG.
#[test]
fn the_config_path_comes_from_the_environment_or_the_default() {
    let out = Cmd::new().args(["run"]).run();
    assert_eq!(out.code, 3);
    assert!(
        out.stderr
            .contains("no config file at `/etc/cachet-check/config.toml`"),
        "{}",
        out.stderr
    );
    let cmd = Cmd::new();
    let path = cmd.write(
        "c.toml",
        "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"h:1\"\n",
    );
    let out = cmd
        .env("CACHET_CHECK_CONFIG", path.to_str().unwrap())
        .args(["validate"])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
}

// SPEC §5: a token file readable by other users gets a warning; an empty one is an error.
#[test]
fn token_file_permissions_and_contents_are_checked() {
    use std::os::unix::fs::PermissionsExt;
    let cmd = Cmd::new();
    let token = cmd.write("token", "abc\n");
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = format!(
        "[cachet]\nurl = \"http://127.0.0.1:9\"\ntoken_file = \"{}\"\n[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"tcp\"\naddress = \"h:1\"\n",
        token.display()
    );
    let out = cmd.config(&config).args(["validate"]).run();
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains(&format!(
            "warning: token file `{}` is readable by other users",
            token.display()
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("token from `token_file`"),
        "{}",
        out.stdout
    );

    let cmd = Cmd::new();
    let empty = cmd.write("empty", "\n");
    let out = cmd
        .args([
            "set",
            "1",
            "major",
            "--url",
            "http://127.0.0.1:9",
            "--token-file",
            empty.to_str().unwrap(),
        ])
        .run();
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("is empty"), "{}", out.stderr);

    for (token, said) in [
        ("  ", "`CACHET_TOKEN` is empty"),
        ("abc\u{1b}[2J", "`CACHET_TOKEN` contains control characters"),
    ] {
        let out = Cmd::new()
            .env("CACHET_TOKEN", token)
            .args(["set", "1", "major", "--url", "http://127.0.0.1:9"])
            .run();
        assert_eq!(out.code, 3);
        assert!(out.stderr.contains(said), "{said} in {}", out.stderr);
    }
}

// The config shown in README.md is valid as written.
#[test]
fn the_readme_config_validates() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect();
    let expected = [
        "valid, 1 component, 3 checks",
        "valid, 1 component, 5 checks",
        "valid, 1 component, 1 check",
        "valid, 1 component, 1 check",
        "valid, 1 component, 1 check",
    ];
    assert_eq!(
        blocks.len(),
        expected.len(),
        "one expectation per TOML block"
    );
    for (block, summary) in blocks.iter().zip(expected) {
        let out = Cmd::new().config(block).token("t").args(["validate"]).run();
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.summary().split(": ").nth(1), Some(summary));
    }
}

// The config the README's "Telling the truth" points to is valid as written.
#[test]
fn the_truth_example_validates() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/truth.toml");
    let out = Cmd::new().token("t").args(["validate", "-c", path]).run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.summary().split(": ").nth(1),
        Some("valid, 2 components, 2 checks")
    );
}

// README's first command: the local example runs anywhere and needs no Cachet.
#[test]
fn the_local_example_runs_without_cachet() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/local.toml");
    let out = Cmd::new()
        .args(["run", "--dry-run", "-v", "-c", path])
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.summary().starts_with("CACHET-CHECK CRITICAL - machine: operational (all 2 checks passed), unused-port: major outage (1/1 checks failed: discard port: connection refused) [dry run: nothing pushed] | "), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("\n  machine/shell: pass - OK - shell works ("),
        "{}",
        out.stdout
    );
}

// SPEC §5: a config readable by other users is warned about when its headers carry credentials.
#[test]
fn a_world_readable_config_with_credentials_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let cmd = Cmd::new();
    let plain =
        "[components.a]\nid = 1\n[[components.a.checks]]\ntype = \"http\"\nurl = \"http://h/\"\n";
    let with_header = plain.to_owned() + "headers = { Authorization = \"Bearer abc\" }\n";
    for (name, text, warned) in [
        ("plain.toml", plain, false),
        ("secret.toml", with_header.as_str(), true),
    ] {
        let path = cmd.write(name, text);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = Cmd::new()
            .args(["validate", "-c", path.to_str().unwrap()])
            .run();
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            out.stderr.contains("is readable by other users"),
            warned,
            "{name}: {}",
            out.stderr
        );
        assert!(!out.stdout.contains("Bearer abc") && !out.stderr.contains("Bearer abc"));
    }
}

// SPEC §5: the keys of the tls, dns, graphite, jenkins and prometheus kinds are checked too.
#[test]
fn bad_values_of_the_other_kinds_are_exit_3_with_a_location() {
    let head = "[components.a]\nid = 1\n[[components.a.checks]]\n";
    let cases = [
        (
            "type = \"tls\"\naddress = \"h:443\"\nwarn_before = \"two weeks\"\n",
            "6:15",
            "`two weeks` is not a duration",
        ),
        (
            "type = \"tls\"\nsni = \"h\"\n",
            "4:1",
            "a `tls` check in `[[components.a.checks]]` needs `address`",
        ),
        (
            "type = \"tls\"\naddress = \"h:443\"\nsni = \"bad name!\"\n",
            "6:1",
            "`sni` in `[[components.a.checks]]`: `bad name!` is not a valid server name",
        ),
        (
            "type = \"tls\"\naddress = \"h:443\"\ninsecure = true\nca_file = \"/nonexistent/ca.pem\"\n",
            "6:1",
            "sets both `ca_file` and `insecure = true`",
        ),
        (
            "type = \"http\"\nurl = \"http://h/\"\ncert_warn_before = \"14d\"\n",
            "6:1",
            "`cert_warn_before` in `[[components.a.checks]]` needs an https:// URL",
        ),
        (
            "type = \"http\"\nurl = \"https://h/\"\nsni = \"h\"\n",
            "6:1",
            "`sni` does not apply to a `http` check",
        ),
        (
            "type = \"dns\"\nrecord = \"A\"\n",
            "4:1",
            "a `dns` check in `[[components.a.checks]]` needs `name`",
        ),
        (
            "type = \"dns\"\nname = \"example.com\"\nrecord = \"SRV\"\n",
            "6:1",
            "`SRV` is not a record type this check knows: use A, AAAA, CNAME, MX, TXT or NS",
        ),
        (
            "type = \"dns\"\nname = \"example.com\"\nserver = \"dns.example.com\"\n",
            "6:1",
            "`server` in `[[components.a.checks]]`: `dns.example.com` is not a resolver address",
        ),
        (
            "type = \"tcp\"\naddress = \"h:25\"\nexpect = [\"220\", \"ESMTP\"]\n",
            "6:1",
            "`expect` of a `tcp` check in `[[components.a.checks]]` is one string",
        ),
        (
            "type = \"graphite\"\nurl = \"http://g/render\"\n",
            "4:1",
            "a `graphite` check in `[[components.a.checks]]` needs `target`",
        ),
        (
            "type = \"graphite\"\nurl = \"http://g/render\"\ntarget = \"x\"\nmin = 5\nmax = 1\n",
            "7:1",
            "`min` (5) is above `max` (1)",
        ),
        (
            "type = \"graphite\"\nurl = \"http://g/render\"\ntarget = \"x\"\nmax = \"high\"\n",
            "7:7",
            "`max`: invalid type: string \"high\", expected a number, like 10 or 0.5",
        ),
        (
            "type = \"jenkins\"\nurl = \"http://ci/job/x/\"\nmax_queue = \"forever\"\n",
            "6:13",
            "`forever` is not a duration",
        ),
        (
            "type = \"jenkins\"\nurl = \"http://ci/job/x/\"\nquery = \"up\"\n",
            "6:1",
            "`query` does not apply to a `jenkins` check",
        ),
        (
            "type = \"prometheus\"\nurl = \"http://p:9090\"\n",
            "4:1",
            "a `prometheus` check in `[[components.a.checks]]` needs `query`",
        ),
        (
            "type = \"prometheus\"\nurl = \"p:9090\"\nquery = \"up\"\n",
            "5:7",
            "`p:9090` is not an http:// or https:// URL",
        ),
    ];
    for (check, position, message) in cases {
        assert_invalid(&format!("{head}{check}"), position, message);
    }
}

#[test]
fn a_missing_type_lists_every_kind() {
    let out = Cmd::new()
        .config("[components.a]\nid = 1\n[[components.a.checks]]\nname = \"x\"\n")
        .args(["validate"])
        .run();
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("has no `type`: use one of \"http\", \"tcp\", \"tls\", \"certfile\", \"dns\", \"ping\", \"exec\", \"graphite\", \"jenkins\", \"prometheus\""),
        "{}",
        out.stderr
    );
}

// Bad input: every file of tests/cli/data/bad-configs (its first line says what the message
// must contain) is exit 3 with one message that names the file and a line:column.
#[test]
fn the_bad_config_corpus_gets_one_clear_message_each() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/data/bad-configs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{path:?} has no `# expect:` line"));
        let out = Cmd::new()
            .args(["validate", "-c", path.to_str().unwrap()])
            .run();
        assert_eq!(out.code, 3, "{path:?}: {out:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{path:?}: {}", out.stderr);
        let located = format!("{}:", path.display());
        assert!(out.stderr.contains(&located), "{path:?}: {}", out.stderr);
        let after = out.stderr.split_once(&located).unwrap().1;
        let position: Vec<&str> = after.splitn(3, ':').take(2).collect();
        assert!(
            position.iter().all(|n| n.parse::<u32>().is_ok()),
            "{path:?}: no line:column in {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(expected.trim_end()),
            "{path:?}: {}",
            out.stderr
        );
        assert!(
            out.summary().starts_with("CACHET-CHECK UNKNOWN - "),
            "{}",
            out.stdout
        );
    }
}

// Bad input that is not a config's text: a huge file, a device, a token file that is a
// directory or holds nothing, a token with its trailing newline (fine).
#[test]
fn hostile_files_are_refused_without_reading_them_whole() {
    let cmd = Cmd::new();
    let huge = cmd.dir().join("huge.toml");
    let line = "# padding\n".repeat(1 << 20);
    let mut text = String::new();
    for _ in 0..2 {
        text.push_str(&line);
    }
    std::fs::write(&huge, text).unwrap();
    let out = Cmd::new()
        .args(["validate", "-c", huge.to_str().unwrap()])
        .run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("is larger than 16384 KiB"),
        "{}",
        out.stderr
    );

    // A token file that never ends: refused at its cap, in little time and memory.
    let config = "[cachet]\nurl = \"http://127.0.0.1:9\"\ntoken_file = \"/dev/zero\"\n[components.api]\nid = 2\n[[components.api.checks]]\ntype = \"tcp\"\naddress = \"127.0.0.1:1\"\n";
    let (out, rss) = Cmd::new().config(config).args(["run"]).run_measured();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr
            .contains("token file `/dev/zero` is larger than 64 KiB"),
        "{}",
        out.stderr
    );
    assert!(rss < 16 * 1024, "peak RSS {rss} KiB");

    let dir_token = format!(
        "[cachet]\nurl = \"http://127.0.0.1:9\"\ntoken_file = \"{}\"\n[components.api]\nid = 2\n[[components.api.checks]]\ntype = \"tcp\"\naddress = \"127.0.0.1:1\"\n",
        cmd.dir().display()
    );
    let out = Cmd::new().config(&dir_token).args(["run"]).run();
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("reading token file"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}
