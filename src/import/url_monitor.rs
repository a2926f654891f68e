//! cachet-url-monitor's YAML (its README: `endpoints` with `url`, `method`, `header`,
//! `insecure`, `timeout`, `expectation` — HTTP_STATUS ranges, LATENCY thresholds, REGEX, each
//! with an `incident` level —, `allowed_fails`, `component_id`, `metric_id`, `action`,
//! `public_incidents`, `latency_unit`, `frequency`; a `cachet` section with `api_url` and the
//! token or its providers; `messages`, `webhooks`; and the older single `endpoint`).

use serde_json::Value;
use toml::Value as Toml;

use super::plan::{Check, Component, Plan};
use super::{base_url, number, seconds};

pub fn plan(document: &Value) -> Result<Plan, String> {
    let cachet = &document["cachet"];
    let mut plan = Plan {
        cachet_url: cachet["api_url"].as_str().map(base_url),
        token: token_words(&cachet["token"]),
        ..Plan::default()
    };
    let endpoints: Vec<Value> = match document.get("endpoints") {
        Some(list) => list
            .as_array()
            .cloned()
            .ok_or("`endpoints` is not a list")?,
        // Before 0.6: one `endpoint`, its component and actions under `cachet`.
        None => {
            let mut endpoint = document["endpoint"].clone();
            if let (Some(endpoint), Some(cachet)) = (endpoint.as_object_mut(), cachet.as_object()) {
                for key in [
                    "component_id",
                    "metric_id",
                    "action",
                    "public_incidents",
                    "latency_unit",
                ] {
                    if let Some(value) = cachet.get(key) {
                        endpoint.insert(key.to_owned(), value.clone());
                    }
                }
                if let Some(frequency) = document.get("frequency") {
                    endpoint.insert("frequency".to_owned(), frequency.clone());
                }
            }
            vec![endpoint]
        }
    };
    let outage = document["messages"]["incident_outage"]
        .as_str()
        .unwrap_or("{name} is unavailable")
        .to_owned();
    if document.get("webhooks").is_some() {
        plan.notes.push("`webhooks` has no equivalent: cachet-check tells its scheduler by its exit code and output (Monit, systemd OnFailure=, cron mail), and a `[heartbeat]` URL can be pinged by every run.".to_owned());
    }
    if document["messages"]
        .as_object()
        .is_some_and(|messages| messages.keys().any(|key| key != "incident_outage"))
    {
        plan.notes.push("`messages` other than `incident_outage` have no equivalent: cachet-check's incident updates and resolutions say what the checks found.".to_owned());
    }
    for endpoint in &endpoints {
        add_endpoint(&mut plan, endpoint, &outage);
    }
    Ok(plan)
}

/// Where the token was, and where it goes now.
fn token_words(token: &Value) -> String {
    let put = "Put the token alone in /etc/cachet-check/token (mode 0600), or give it as CACHET_TOKEN in the environment.";
    match token {
        Value::String(_) => {
            format!("The source config holds the token itself; it is not copied here. {put}")
        }
        Value::Array(providers) => {
            let mut said = Vec::new();
            for provider in providers {
                match provider["type"].as_str().unwrap_or_default() {
                    "ENVIRONMENT_VARIABLE" if provider["value"] == "CACHET_TOKEN" => {
                        said.push("it came from CACHET_TOKEN, which cachet-check reads too (and first)".to_owned());
                    }
                    "ENVIRONMENT_VARIABLE" => said.push(format!(
                        "it came from the environment variable {}: cachet-check reads CACHET_TOKEN",
                        provider["value"].as_str().unwrap_or("?")
                    )),
                    "AWS_SECRETS_MANAGER" => said.push("it came from AWS Secrets Manager, which cachet-check does not read: write the secret to the token file when deploying".to_owned()),
                    "TOKEN" => said.push("the config held it itself; it is not copied here".to_owned()),
                    _ => {}
                }
            }
            format!("Token: {}. {put}", said.join("; "))
        }
        _ => format!("The source config names no token. {put}"),
    }
}

/// The outcome a failing expectation makes, from its `incident` level (or its default).
fn on_failure(expectation: &Value, default: &'static str) -> &'static str {
    match expectation["incident"].as_str() {
        Some("MAJOR") => "down",
        Some("PARTIAL") => "partial",
        Some("PERFORMANCE") => "degraded",
        _ => default,
    }
}

/// `status_range` (its end is exclusive: `200-205` is 200 to 204) as cachet-check's ranges.
fn status_range(range: &Value) -> Option<String> {
    if let Some(code) = number(range) {
        return Some(code.to_string());
    }
    let (from, to) = range.as_str()?.split_once('-')?;
    let (from, to): (u64, u64) = (from.trim().parse().ok()?, to.trim().parse().ok()?);
    (to > from).then(|| {
        if to - 1 == from {
            from.to_string()
        } else {
            format!("{from}-{}", to - 1)
        }
    })
}

fn add_endpoint(plan: &mut Plan, endpoint: &Value, outage: &str) {
    let Some(url) = endpoint["url"].as_str() else {
        let name = endpoint["name"].as_str().unwrap_or("an endpoint");
        plan.notes
            .push(format!("Endpoint `{name}` has no `url`: skipped."));
        return;
    };
    // Before 0.6 an endpoint had no name: its host names it.
    let name = endpoint["name"]
        .as_str()
        .map_or_else(|| crate::net::host_of(url), str::to_owned);
    let Some(id) = number(&endpoint["component_id"]) else {
        plan.notes.push(format!("Endpoint `{name}` has no `component_id`: skipped (cachet-check pushes a component's status)."));
        return;
    };
    let actions: Vec<&str> = endpoint["action"]
        .as_array()
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let component = Component::of(&mut plan.components, id, &name);
    component_keys(component, endpoint, &name, &actions, outage);

    let mut check = Check::http(&name, url, &endpoint["method"], &endpoint["header"]);
    if endpoint["insecure"] == true {
        check.key("insecure", true);
    }
    if let Some(timeout) = seconds(&endpoint["timeout"]) {
        check.key("timeout", timeout);
    }
    let checks = expectations(
        check,
        endpoint["expectation"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default(),
    );
    if let Some(frequency) = endpoint["frequency"].as_u64() {
        component.notes.push(format!(
            "`frequency: {frequency}` has no key: run this config every {frequency} s from cron or a systemd timer (cron's finest step is a minute)."
        ));
    }
    component.checks.extend(checks);
}

/// The component's keys: `allowed_fails` as `confirm`, the metric, the incident.
fn component_keys(
    component: &mut Component,
    endpoint: &Value,
    name: &str,
    actions: &[&str],
    outage: &str,
) {
    if let Some(fails) = endpoint["allowed_fails"].as_u64().filter(|n| *n > 0) {
        component.key("confirm", i64::try_from(fails + 1).unwrap_or(i64::MAX));
        component.notes.push(format!(
            "`allowed_fails: {fails}` is `confirm = {}`: a worse status is pushed after {} failing runs in a row.",
            fails + 1,
            fails + 1
        ));
    }
    if let Some(metric) = number(&endpoint["metric_id"]) {
        component.key("metric", i64::try_from(metric).unwrap_or(i64::MAX));
        if endpoint["latency_unit"].as_str().unwrap_or("s") != "ms" {
            component.notes.push("cachet-check posts the latency in milliseconds; the source posted seconds (its `latency_unit`): give the metric a `ms` suffix.".to_owned());
        }
    }
    if actions.contains(&"CREATE_INCIDENT") {
        let mut incident = toml::map::Map::new();
        incident.insert(
            "name".to_owned(),
            Toml::String(outage.replace("{name}", name)),
        );
        if endpoint["public_incidents"] == false {
            incident.insert("visible".to_owned(), Toml::Boolean(false));
        }
        component.key("incident", Toml::Table(incident));
    }
    if !actions.is_empty() && !actions.contains(&"UPDATE_STATUS") {
        component.notes.push("The source's `action` leaves out UPDATE_STATUS; cachet-check always pushes the component's status (that is what it is for).".to_owned());
    }
}

/// The checks of one endpoint: its expectations of one outcome in one check. HTTP_STATUS and
/// REGEX of different `incident` levels become two checks, each judging its own.
fn expectations(base: Check, expectations: &[Value]) -> Vec<Check> {
    let mut status = None;
    let mut regex = None;
    let mut slow = None;
    let mut notes = Vec::new();
    for expectation in expectations {
        match expectation["type"].as_str().unwrap_or_default() {
            "HTTP_STATUS" => match status_range(&expectation["status_range"]) {
                Some(range) => status = Some((range, on_failure(expectation, "partial"))),
                None => notes.push(format!(
                    "HTTP_STATUS `{}` does not read as a range: left out.",
                    expectation["status_range"]
                )),
            },
            "LATENCY" => {
                slow = seconds(&expectation["threshold"]);
                if on_failure(expectation, "degraded") != "degraded" {
                    notes.push("LATENCY with an `incident` level: in cachet-check a slow answer is performance issues, never an outage.".to_owned());
                }
            }
            "REGEX" => {
                let written = expectation["regex"].as_str().unwrap_or_default();
                // Python's re.match: anchored at the start, `.` matching newlines (DOTALL).
                let anchored = format!("\\A(?s:{written})");
                if regex::Regex::new(&anchored).is_ok() {
                    regex = Some((anchored, on_failure(expectation, "partial")));
                } else {
                    notes.push(format!("REGEX `{written}` uses what Rust's regex lacks (look-around, backreferences): rewrite it as `expect_body_regex`."));
                }
            }
            other => notes.push(format!(
                "Expectation `{other}` has no equivalent: left out."
            )),
        }
    }
    let mut first = base;
    first.notes.extend(notes);
    if let Some(slow) = slow {
        first.key("slow_after", slow);
    }
    let apart = matches!((&status, &regex), (Some((_, a)), Some((_, b))) if a != b);
    match &status {
        Some((range, _)) => first.key(
            "expect_status",
            Toml::Array(vec![Toml::String(range.clone())]),
        ),
        // No HTTP_STATUS expectation: any status passes, as in the source.
        None => first.key(
            "expect_status",
            Toml::Array(vec![Toml::String("100-599".to_owned())]),
        ),
    }
    let level = status
        .as_ref()
        .or(regex.as_ref())
        .map_or("partial", |(_, level)| *level);
    first.key("on_failure", level);
    let mut checks = Vec::new();
    match regex {
        Some((pattern, regex_level)) if apart => {
            let mut body = Check {
                name: format!("{} body", first.name),
                kind: "http",
                ..Check::default()
            };
            body.keys = first
                .keys
                .iter()
                .filter(|(key, _)| !matches!(*key, "expect_status" | "on_failure" | "slow_after"))
                .cloned()
                .collect();
            body.key(
                "expect_status",
                Toml::Array(vec![Toml::String("100-599".to_owned())]),
            );
            body.key("expect_body_regex", pattern);
            body.key("on_failure", regex_level);
            body.note(
                "The source judged the body apart from the status, with an outcome of its own.",
            );
            checks.push(first);
            checks.push(body);
        }
        Some((pattern, _)) => {
            first.key("expect_body_regex", pattern);
            checks.push(first);
        }
        None => checks.push(first),
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::status_range;
    use serde_json::json;

    #[test]
    fn status_ranges_end_before_their_second_number() {
        assert_eq!(status_range(&json!("200-205")), Some("200-204".to_owned()));
        assert_eq!(status_range(&json!("200-201")), Some("200".to_owned()));
        assert_eq!(status_range(&json!(200)), Some("200".to_owned()));
        assert_eq!(status_range(&json!("300-200")), None);
    }
}
