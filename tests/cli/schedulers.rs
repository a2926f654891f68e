//! The schedulers that drive cachet-check (README "Recipes", man page EXAMPLES): the exact
//! documented lines and shipped files, run or verified by the real tools where they exist.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cachet::{FakeCachet, TOKEN, Version};
use crate::support::cmd::{BIN, Cmd};
use crate::support::http::{Server, closed_port};

const INSTALLED: &str = "/usr/bin/cachet-check";

pub(crate) fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub(crate) fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The first fenced block of `lang` under the README heading `heading`.
fn readme_block(heading: &str, lang: &str) -> String {
    let readme = read("README.md");
    let section = readme
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no `{heading}`"))
        .1;
    let block = section
        .split_once(&format!("```{lang}\n"))
        .unwrap_or_else(|| panic!("no ```{lang} block under `{heading}`"))
        .1;
    block.split_once("```").unwrap().0.to_owned()
}

/// A config for component `api` (id 2) with one HTTP check against `target`, and its token file.
fn setup(cmd: &Cmd, cachet: &FakeCachet, target: &str, token_file: bool) -> PathBuf {
    let token = cmd.write("token", TOKEN);
    let token_line = if token_file {
        format!("token_file = \"{}\"\n", token.display())
    } else {
        String::new()
    };
    cmd.write(
        "config.toml",
        &format!(
            "state_dir = \"{}/state\"\n[cachet]\nurl = \"{}\"\n{token_line}\n\
             [components.api]\nid = 2\n[[components.api.checks]]\nname = \"health\"\n\
             type = \"http\"\nurl = \"{target}\"\n",
            cmd.dir().display(),
            cachet.url()
        ),
    )
}

fn healthy() -> Server {
    Server::start(|_| crate::support::http::Response::new(200, "ok"))
}

/// Runs `line` with `sh -c` in cron's environment: nothing but `PATH=/usr/bin:/bin`.
fn cron(line: &str) -> std::process::Output {
    Command::new("env")
        .args(["-i", "PATH=/usr/bin:/bin", "sh", "-c", line])
        .output()
        .unwrap()
}

// README cron recipe: the documented crontab line, in cron's environment, prints nothing while
// all is well (so cron mails nothing) and the summary when something is down.
#[test]
fn the_documented_cron_line_works_in_crons_environment() {
    let block = readme_block("### cron", "cron");
    let entry = block
        .lines()
        .find(|line| line.starts_with("* * * * *"))
        .expect("a crontab entry");
    let command = entry.trim_start_matches("* * * * *").trim();
    assert!(command.starts_with(INSTALLED), "{command}");
    assert!(block.contains("MAILTO="), "{block}");

    let cachet = FakeCachet::start(Version::V24).component(2, "API", 3);
    let target = healthy();
    let cmd = Cmd::new();
    let config = setup(&cmd, &cachet, &target.url("/health"), true);
    let line = command.replace(INSTALLED, BIN).replace(
        "/etc/cachet-check/config.toml",
        &config.display().to_string(),
    );
    let out = cron(&line);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    assert_eq!(cachet.get(2).status, 1, "pushed operational");

    // The target goes away: the summary is printed, for cron to mail.
    let down = format!("http://127.0.0.1:{}/health", closed_port());
    setup(&cmd, &cachet, &down, true);
    let out = cron(&line);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("CACHET-CHECK CRITICAL - api: major outage"),
        "{stdout}"
    );
    assert_eq!(cachet.get(2).status, 4);
}

fn unit(name: &str) -> String {
    read(&format!("contrib/systemd/{name}"))
}

/// The value of `key=` in a unit file.
fn directive<'a>(unit: &'a str, key: &str) -> Option<&'a str> {
    unit.lines()
        .find_map(|line| line.strip_prefix(&format!("{key}=")))
}

// The shipped service's command line, run as systemd would run it: the token only as the
// credential `cachet-token` in $CREDENTIALS_DIRECTORY, state in $STATE_DIRECTORY, and an exit
// code the unit counts as success.
#[test]
fn the_service_command_line_runs_with_a_systemd_credential() {
    let service = unit("cachet-check@.service");
    let exec = directive(&service, "ExecStart").expect("ExecStart=");
    let success: Vec<i32> = directive(&service, "SuccessExitStatus")
        .unwrap_or_default()
        .split_whitespace()
        .map(|code| code.parse().unwrap())
        .collect();
    assert_eq!(
        directive(&service, "LoadCredential"),
        Some("cachet-token:/etc/cachet-check/token")
    );

    let cachet = FakeCachet::start(Version::V3).component(2, "API", 1);
    let cmd = Cmd::new();
    let down = format!("http://127.0.0.1:{}/health", closed_port());
    let config = setup(&cmd, &cachet, &down, false);
    let credentials = cmd.dir().join("credentials");
    std::fs::create_dir(&credentials).unwrap();
    std::fs::write(credentials.join("cachet-token"), TOKEN).unwrap();
    let argv: Vec<String> = exec
        .replace(INSTALLED, BIN)
        .replace(
            "/etc/cachet-check/config.toml",
            &config.display().to_string(),
        )
        .replace("%i", "api")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("CREDENTIALS_DIRECTORY", &credentials)
        .env("STATE_DIRECTORY", cmd.dir().join("state"))
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert_eq!(code, 2, "{out:?}");
    assert!(success.contains(&code), "{success:?}");
    assert_eq!(cachet.get(2).status, 4);

    // Without the credential (and no other token) it says where a token may come from.
    std::fs::remove_file(credentials.join("cachet-token")).unwrap();
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .env("CREDENTIALS_DIRECTORY", &credentials)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no Cachet API token"),
        "{out:?}"
    );
}

// The shipped units pass `systemd-analyze verify` without a warning, with the hardening and
// timer settings the README promises.
#[test]
#[ignore = "needs systemd-analyze (Debian package systemd)"]
fn the_systemd_units_verify() {
    let service = unit("cachet-check@.service");
    let timer = unit("cachet-check@.timer");
    for (key, value) in [
        ("Type", "oneshot"),
        ("DynamicUser", "yes"),
        ("StateDirectory", "cachet-check"),
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
    ] {
        assert_eq!(directive(&service, key), Some(value), "{key}=");
    }
    for key in ["OnCalendar", "RandomizedDelaySec", "AccuracySec"] {
        assert!(directive(&timer, key).is_some(), "{key}=");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cachet-check@.service"),
        service.replace(INSTALLED, BIN),
    )
    .unwrap();
    std::fs::write(dir.path().join("cachet-check@.timer"), &timer).unwrap();
    // Documentation=man:cachet-check(1) is looked up with man(1): give it this repo's page.
    let man1 = dir.path().join("man/man1");
    std::fs::create_dir_all(&man1).unwrap();
    std::fs::copy(repo("man/cachet-check.1"), man1.join("cachet-check.1")).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.path().join("cachet-check@.service"))
        .arg(dir.path().join("cachet-check@.timer"))
        .env("MANPATH", dir.path().join("man"))
        .current_dir(dir.path())
        .output()
        .expect("systemd-analyze is installed");
    assert_passed(&out, "systemd-analyze verify");
    // systemd-analyze also loads and judges units it finds on the machine (a package's own
    // unit may draw a warning): only what it says of this project's units counts.
    let ours: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .filter(|line| line.contains("cachet-check"))
        .map(str::to_owned)
        .collect();
    assert!(ours.is_empty(), "a warning about our units: {ours:#?}");
}

/// A validator's verdict: success, or its words in the failure.
pub(crate) fn assert_passed(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// The shipped Monit snippet passes Monit's own syntax check.
#[test]
#[ignore = "needs monit"]
fn the_monit_snippet_passes_monit_t() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    // Monit refuses a program that does not exist: point it at the built binary.
    let snippet = dir.path().join("cachet-check.conf");
    std::fs::write(
        &snippet,
        read("contrib/monit/cachet-check.conf").replace(INSTALLED, BIN),
    )
    .unwrap();
    let control = dir.path().join("monitrc");
    std::fs::write(
        &control,
        format!(
            "set daemon 30\nset pidfile {d}/pid\nset idfile {d}/id\nset statefile {d}/state\ninclude {}\n",
            snippet.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&control, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = Command::new("monit")
        .arg("-t")
        .arg("-c")
        .arg(&control)
        .output()
        .expect("monit is installed");
    assert_passed(&out, "monit -t");
}

/// Runs python3 with `script` and returns what it prints as JSON.
pub(crate) fn python_json(script: &str, file: &Path) -> serde_json::Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(file)
        .output()
        .expect("python3");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `cachet-check validate` accepts `config` and knows each of `components`.
fn assert_config_runs(config: &str, shards: &[Vec<String>]) {
    let cmd = Cmd::new()
        .config(config)
        .args(["validate", "--format", "json"]);
    let out = cmd.run();
    assert_eq!(out.code, 0, "{out:?}");
    let plan = out.json();
    let known: Vec<&str> = plan["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let mut seen: Vec<&String> = Vec::new();
    for shard in shards {
        assert!(!shard.is_empty(), "a shard names its components");
        for name in shard {
            assert!(known.contains(&name.as_str()), "{name} not in {known:?}");
            assert!(!seen.contains(&name), "{name} is run by two jobs");
            seen.push(name);
        }
    }
}

/// The documents of a Kubernetes manifest in the repo, once `kubernetes-validate --strict`
/// (Kubernetes' own schemas, no unknown field) has passed it.
pub(crate) fn kubernetes_docs(path: &str) -> Vec<serde_json::Value> {
    let file = repo(path);
    let out = Command::new("kubernetes-validate")
        .args(["--strict", "--quiet"])
        .arg(&file)
        .output()
        .expect("kubernetes-validate is installed");
    assert_passed(&out, "kubernetes-validate");
    let docs = python_json(
        "import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))",
        &file,
    );
    docs.as_array().unwrap().clone()
}

/// The config template of a Nomad job in the repo as Nomad renders it: the heredoc's text, its
/// indent removed, the secrets dir filled in.
pub(crate) fn nomad_config(path: &str) -> String {
    let raw = read(path);
    let heredoc = raw
        .split_once("<<-EOT\n")
        .unwrap()
        .1
        .split_once("EOT")
        .unwrap()
        .0;
    let indent = heredoc
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap();
    heredoc
        .lines()
        .map(|l| format!("{}\n", l.get(indent..).unwrap_or_default()))
        .collect::<String>()
        .replace("{{ env \"NOMAD_SECRETS_DIR\" }}", "/run/secrets")
}

/// The components after `run` in an argument list.
fn shard(args: &serde_json::Value) -> Vec<String> {
    let args: Vec<String> = args
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let run = args.iter().position(|a| a == "run").expect("`run` in args");
    args[run + 1..].to_vec()
}

// The Kubernetes manifests validate against Kubernetes' schemas (strict: no unknown field),
// each CronJob forbids overlapping runs and takes the token from the Secret, the ConfigMap's
// config is valid, and the shards name configured components, none twice.
#[test]
#[ignore = "needs kubernetes-validate (PyPI)"]
fn the_kubernetes_manifests_validate() {
    let docs = kubernetes_docs("contrib/kubernetes/cachet-check.yaml");
    let config = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .expect("a ConfigMap")["data"]["config.toml"]
        .as_str()
        .unwrap()
        .to_owned();
    let jobs: Vec<&serde_json::Value> = docs.iter().filter(|d| d["kind"] == "CronJob").collect();
    assert!(jobs.len() >= 2, "shards across CronJobs");
    let mut shards = Vec::new();
    for job in jobs {
        assert_eq!(job["spec"]["concurrencyPolicy"], "Forbid");
        let container = &job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
        let token = container["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "CACHET_TOKEN")
            .expect("CACHET_TOKEN");
        assert!(token["valueFrom"]["secretKeyRef"].is_object(), "{token}");
        shards.push(shard(&container["args"]));
    }
    assert_config_runs(&config, &shards);
}

// The Nomad job parses as HCL, is a periodic batch job that prohibits overlap, and its
// config template, rendered, is a valid config whose components the job runs.
#[test]
#[ignore = "needs python-hcl2 (PyPI)"]
fn the_nomad_job_parses_and_its_config_is_valid() {
    let file = repo("contrib/nomad/cachet-check.nomad.hcl");
    let job = python_json(
        "import json, sys, hcl2; print(json.dumps(hcl2.load(open(sys.argv[1]))))",
        &file,
    );
    let unquote = |v: &serde_json::Value| v.as_str().unwrap().trim_matches('"').to_owned();
    let job = &job["job"][0]["\"cachet-check\""];
    assert_eq!(unquote(&job["type"]), "batch");
    assert_eq!(job["periodic"][0]["prohibit_overlap"], true);
    let task = &job["group"][0]["\"check\""]["task"][0]["\"run\""];
    let args: Vec<serde_json::Value> = task["config"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| unquote(a).into())
        .collect();
    let shards = vec![shard(&serde_json::Value::Array(args))];
    let config = nomad_config("contrib/nomad/cachet-check.nomad.hcl");
    assert_config_runs(&config, &shards);
}

// The CI recipe's steps, run as written: the component shows performance issues during the
// deploy, then what the checks find.
#[test]
fn the_documented_ci_steps_mark_the_deploy() {
    let script = readme_block("### CI: around a deploy", "sh");
    let cachet = FakeCachet::start(Version::V24).component(2, "API", 1);
    let target = healthy();
    let cmd = Cmd::new();
    let config = setup(&cmd, &cachet, &target.url("/health"), false);
    let deploy = cmd.script("deploy.sh", "exit 0");
    let bin_dir = Path::new(BIN).parent().unwrap();
    let out = Command::new("sh")
        .args(["-e", "-c", &script.replace("./deploy.sh", &deploy)])
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("CACHET_URL", cachet.url())
        .env("CACHET_TOKEN", TOKEN)
        .env("CACHET_CHECK_CONFIG", &config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let statuses: Vec<String> = cachet
        .writes()
        .iter()
        .filter_map(|w| {
            let body: serde_json::Value = serde_json::from_str(&w.body).ok()?;
            Some(body["status"].to_string())
        })
        .collect();
    assert_eq!(
        statuses,
        ["2", "1"],
        "performance during, operational after"
    );
}

// The GitHub Actions and GitLab CI files validate against those services' published schemas.
#[test]
#[ignore = "needs check-jsonschema (PyPI)"]
fn the_ci_files_validate() {
    for (file, schema) in [
        ("contrib/ci/github-actions.yml", "vendor.github-workflows"),
        ("contrib/ci/gitlab-ci.yml", "vendor.gitlab-ci"),
    ] {
        let out = Command::new("check-jsonschema")
            .args(["--builtin-schema", schema])
            .arg(repo(file))
            .output()
            .expect("check-jsonschema is installed");
        assert_passed(&out, file);
        let text = read(file);
        assert!(text.contains("cachet-check set api performance"), "{file}");
        assert!(text.contains("cachet-check run api"), "{file}");
    }
}
