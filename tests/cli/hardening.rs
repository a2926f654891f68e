//! SPEC §7, hardening: files opened as if a hostile local user shared every directory, what a
//! peer or Cachet sends bounded and never trusted for arithmetic, and no secret handed to a
//! plugin or printed.

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::Cmd;
use crate::support::http::{Response, Server};
use crate::support::toml::{Toml, quoted};


const PASSWORD: &str = "db-password-77a2";

// A plugin that prints its environment (debug wrappers do) has nothing secret to print: no
// `CACHET_TOKEN`, no `CACHET_CHECK_*`, no variable a password was read from. Not in stdout, the
// JSON, the incident on the public page or the heartbeat; what is not secret still reaches it.
#[test]
fn a_plugin_never_sees_the_token_or_a_password() {
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let heartbeat = Server::start(|_| Response::new(200, "OK"));
    let protected = Server::start(|_| Response::new(200, "ok"));
    let config = |plugin: &str| {
        Toml::default()
            .table("heartbeat")
            .key("url", &quoted(&heartbeat.url("/ping/1")))
            .key("kind", "\"healthchecks\"")
            .table("cachet")
            .key("url", &quoted(&cachet.url()))
            .component("api", 2)
            .raw("incident = { name = \"API down\" }")
            .check(
                Some("wrapped"),
                "exec",
                &format!("command = [{}]", quoted(plugin)),
            )
            .check(
                Some("protected"),
                "http",
                &format!(
                    "url = {}\nbasic_auth = {{ user = \"u\", password_env = \"DB_PASSWORD\" }}",
                    quoted(&protected.url("/"))
                ),
            )
            .to_string()
    };
    for format in [&["-vv"][..], &["--format", "json"]] {
        let cmd = Cmd::new();
        let plugin = cmd.script(
            "debug-wrapper",
            "echo \"CRITICAL - token=[$CACHET_TOKEN] password=[$DB_PASSWORD] vantage=[$CACHET_CHECK_VANTAGE] mine=[$MY_SETTING]\"\nenv\nexit 2",
        );
        let out = cmd
            .config(&config(&plugin))
            .token(TOKEN)
            .env("DB_PASSWORD", PASSWORD)
            .env("CACHET_CHECK_VANTAGE", "fra")
            .env("MY_SETTING", "kept")
            .args(["run"])
            .args(format)
            .run();
        assert_eq!(out.code, 2, "{out:?}");
        let text = format!("{}{}", out.stdout, out.stderr);
        // The plugin ran and said what it saw.
        assert!(
            text.contains("token=[] password=[] vantage=[] mine=[kept]"),
            "{text}"
        );
        for secret in [TOKEN, PASSWORD] {
            assert!(!text.contains(secret), "{secret} reached the output:\n{text}");
        }
    }
    let incidents = cachet.incidents();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let published: String = incidents
        .iter()
        .flat_map(|i| {
            std::iter::once(format!("{} {}", i.name, i.message))
                .chain(i.updates.iter().map(|(_, m)| m.clone()))
        })
        .collect();
    let pinged: String = heartbeat.requests().into_iter().map(|r| r.body).collect();
    assert!(!pinged.is_empty(), "the heartbeat was not pinged");
    for secret in [TOKEN, PASSWORD] {
        assert!(!published.contains(secret), "{secret} published: {published}");
        assert!(!pinged.contains(secret), "{secret} sent to the heartbeat: {pinged}");
    }
}
