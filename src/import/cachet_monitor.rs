//! castawaylabs/cachet-monitor's JSON or YAML (its README and example configs: `api` with
//! `url`, `token`, `insecure` — before that `api_url`, `api_token`, `insecure_api` —, and
//! `monitors` of `type` http (the default) or dns, with `name`, `target` (before: `url`),
//! `method`, `strict` (before: `strict_tls`), `headers`, `timeout`, `interval`, `threshold`,
//! `expected_status_code`, `expected_body`, `question`, `dns`, `answers`, `component_id`,
//! `metric_id`, `template`).

use serde_json::Value;
use toml::Value as Toml;

use super::plan::{Check, Component, Plan};
use super::{base_url, number, seconds};

pub fn plan(document: &Value) -> Result<Plan, String> {
    let api = &document["api"];
    let url = api["url"].as_str().or_else(|| document["api_url"].as_str());
    let token = api.get("token").or_else(|| document.get("api_token"));
    let mut plan = Plan {
        cachet_url: url.map(base_url),
        token: match token {
            Some(Value::String(_)) => "The source config holds the token itself; it is not copied here. Put it alone in /etc/cachet-check/token (mode 0600), or give it as CACHET_TOKEN in the environment (as cachet-monitor's CACHET_TOKEN override did).".to_owned(),
            _ => "Put the token alone in /etc/cachet-check/token (mode 0600), or give it as CACHET_TOKEN in the environment.".to_owned(),
        },
        ..Plan::default()
    };
    if api["insecure"] == true || document["insecure_api"] == true {
        plan.notes.push("`insecure` for Cachet has no equivalent: cachet-check always verifies Cachet's certificate; give its CA with SSL_CERT_FILE.".to_owned());
    }
    for (key, why) in [
        (
            "system_name",
            "each host's name matters with `vantage` (see `man cachet-check`, MANY VANTAGE POINTS)",
        ),
        (
            "log_path",
            "cachet-check prints to stdout and stderr for its scheduler to keep",
        ),
        (
            "date_format",
            "cachet-check's incident texts carry no date; Cachet shows when",
        ),
        (
            "slack_webhook",
            "cachet-check tells its scheduler by its exit code; Cachet notifies subscribers",
        ),
    ] {
        if document.get(key).is_some() {
            plan.notes
                .push(format!("`{key}` has no equivalent: {why}."));
        }
    }
    let monitors = document["monitors"]
        .as_array()
        .ok_or("`monitors` is not a list")?;
    for monitor in monitors {
        add_monitor(&mut plan, monitor);
    }
    Ok(plan)
}

fn add_monitor(plan: &mut Plan, monitor: &Value) {
    let name = monitor["name"].as_str().unwrap_or("monitor").to_owned();
    let Some(id) = number(&monitor["component_id"]) else {
        plan.notes.push(format!("Monitor `{name}` has no `component_id` (a metric alone): skipped, cachet-check pushes a component's status."));
        return;
    };
    let kind = monitor["type"]
        .as_str()
        .unwrap_or("http")
        .to_ascii_lowercase();
    let target = monitor["target"]
        .as_str()
        .or_else(|| monitor["url"].as_str());
    let check = match (kind.as_str(), target) {
        ("http", Some(url)) => http(&name, url, monitor),
        ("dns", Some(fqdn)) => dns(&name, fqdn, monitor),
        (_, None) => {
            plan.notes
                .push(format!("Monitor `{name}` has no `target`: skipped."));
            return;
        }
        (other, _) => {
            plan.notes.push(format!("Monitor `{name}` of type `{other}` is not imported: write it as a `tcp` or `ping` check."));
            return;
        }
    };
    let component = Component::of(&mut plan.components, id, &name);
    if let Some(metric) = number(&monitor["metric_id"]) {
        component.key("metric", i64::try_from(metric).unwrap_or(i64::MAX));
    }
    let mut incident = toml::map::Map::new();
    incident.insert("name".to_owned(), Toml::String(name.clone()));
    component.key("incident", Toml::Table(incident));
    if monitor.get("template").is_some() {
        component.notes.push(
            "`template` has no equivalent: the incident says which checks failed and why."
                .to_owned(),
        );
    }
    if let Some(threshold) = monitor["threshold"].as_f64() {
        component.notes.push(format!(
            "`threshold: {threshold}` (the share of failed checks that opens an incident) has no exact equivalent: `confirm = N` pushes a worse status after N failing runs in a row."
        ));
    }
    if let Some(interval) = monitor["interval"].as_u64() {
        component.notes.push(format!(
            "`interval: {interval}` has no key: run this config every {interval} s from cron or a systemd timer."
        ));
    }
    component.checks.push(check);
}

fn http(name: &str, url: &str, monitor: &Value) -> Check {
    let mut check = Check::http(name, url, &monitor["method"], &monitor["headers"]);
    if monitor["strict"] == false || monitor["strict_tls"] == false {
        check.key("insecure", true);
    }
    if let Some(timeout) = seconds(&monitor["timeout"]) {
        check.key("timeout", timeout);
    }
    if let Some(code) = number(&monitor["expected_status_code"]) {
        check.key(
            "expect_status",
            Toml::Array(vec![Toml::String(code.to_string())]),
        );
    }
    if let Some(body) = monitor["expected_body"].as_str() {
        // Go's regexp finds the pattern anywhere in the body, as cachet-check's does.
        check.key("expect_body_regex", body);
    }
    on_failure(&mut check);
    check
}

fn dns(name: &str, fqdn: &str, monitor: &Value) -> Check {
    let mut check = Check {
        name: name.to_owned(),
        kind: "dns",
        ..Check::default()
    };
    check.key("name", fqdn.trim_end_matches('.'));
    let record = monitor["question"]
        .as_str()
        .unwrap_or("A")
        .to_ascii_uppercase();
    check.key("record", record);
    if let Some(server) = monitor["dns"].as_str() {
        check.key("server", server);
    }
    if let Some(timeout) = seconds(&monitor["timeout"]) {
        check.key("timeout", timeout);
    }
    let answers = monitor["answers"].as_array().cloned().unwrap_or_default();
    let exact: Vec<Toml> = answers
        .iter()
        .filter_map(|answer| answer["exact"].as_str())
        .map(|value| Toml::String(value.trim_end_matches('.').to_owned()))
        .collect();
    if !exact.is_empty() {
        check.key("expect", Toml::Array(exact));
    }
    for answer in &answers {
        if let Some(regex) = answer["regex"].as_str() {
            check.note(format!(
                "The answer regex `{regex}` has no equivalent: `expect` lists exact values."
            ));
        }
    }
    on_failure(&mut check);
    check
}

/// cachet-monitor pushes a partial outage on failure, and a major one when it fails again.
fn on_failure(check: &mut Check) {
    check.key("on_failure", "partial");
    check.note("cachet-monitor raised a partial outage to a major one when the failure went on; cachet-check pushes what each run finds (`on_failure = \"down\"` for a major outage at once).");
}
