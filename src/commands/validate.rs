//! `cachet-check validate`: check the config without touching the network, and print the plan.

use std::fmt::Write;

use anyhow::Result;
use serde_json::{Value, json};

use super::{load_config, problems, token};
use crate::cachet::Dialect;
use crate::cli::{Format, GlobalArgs};
use crate::config::{Config, Target};
use crate::secret::redact_url;
use crate::text::plural;

/// The plan, and whether the config can run on this machine as it is (no `problems`).
pub fn validate(global: &GlobalArgs) -> Result<(String, bool)> {
    let config = load_config(global)?;
    // Reading the token proves the file is there and not empty; its value is never shown. A
    // token that cannot be read here is reported, not fatal: configs are often validated on
    // another machine than the one that runs them.
    let token_source = match token(global, Some(&config)) {
        Err(error) => format!("NOT READABLE ({error:#}): `run` and `set` fail until it is"),
        Ok(None) => {
            "none (needed to push: set CACHET_TOKEN, --token-file or `token_file`)".to_owned()
        }
        Ok(Some((_, source))) => source,
    };
    let problems = problems(&config);
    Ok(match global.format {
        Format::Text => {
            let mut text = plan_text(&config, &token_source);
            for problem in &problems {
                let _ = writeln!(text, "problem: {problem}");
            }
            (text, problems.is_empty())
        }
        Format::Json => {
            let mut plan = plan_json(&config, &token_source);
            plan["valid"] = json!(problems.is_empty());
            plan["problems"] = json!(problems);
            (plan.to_string() + "\n", problems.is_empty())
        }
    })
}

fn api_word(api: Option<Dialect>) -> &'static str {
    api.map_or("auto", |line| line.word())
}

fn plan_text(config: &Config, token_source: &str) -> String {
    let checks: usize = config.components.iter().map(|c| c.checks.len()).sum();
    let mut text = format!(
        "{}: valid, {}, {}\n",
        config.file,
        plural(config.components.len(), "component"),
        plural(checks, "check")
    );
    let url = config.cachet.url.as_deref().map_or_else(
        || "(not set: use CACHET_URL or --url)".to_owned(),
        redact_url,
    );
    let _ = writeln!(
        text,
        "cachet: {url} (api {}), token {token_source}",
        api_word(config.cachet.api)
    );
    for component in &config.components {
        let target = match &component.target {
            Target::Id(id) => format!("Cachet component {id}"),
            Target::Name(name) => format!("the Cachet component named \"{name}\""),
        };
        let mut extras = Vec::new();
        if component.confirm > 1 {
            extras.push(format!("confirm {}", component.confirm));
        }
        if let Some(metric) = component.metric {
            extras.push(format!("metric {metric}"));
        }
        if let Some(incident) = &component.incident {
            extras.push(format!("incident \"{}\"", incident.name));
        }
        if let Some(service) = &component.monit_service {
            extras.push(format!(
                "Monit service \"{service}\", a failure pushes {}",
                component.monit_status.label()
            ));
        }
        let extras = if extras.is_empty() {
            String::new()
        } else {
            format!(" ({})", extras.join(", "))
        };
        let _ = writeln!(text, "component {} -> {target}{extras}", component.name);
        for check in &component.checks {
            let mut line = format!(
                "  {}: {} {}, timeout {}",
                check.name,
                check.kind,
                check.probe.target(),
                humantime::format_duration(check.timeout)
            );
            if let Some(expects) = check.probe.expects() {
                let _ = write!(line, ", {expects}");
            }
            if let Some(slow_after) = check.slow_after {
                let _ = write!(
                    line,
                    ", slow after {}",
                    humantime::format_duration(slow_after)
                );
            }
            let _ = write!(line, ", a failure is {}", check.on_failure.word());
            if check.retries > 0 {
                let _ = write!(
                    line,
                    ", {} retries every {}",
                    check.retries,
                    humantime::format_duration(check.retry_delay)
                );
            }
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

fn plan_json(config: &Config, token_source: &str) -> Value {
    json!({
        "config": config.file,
        "valid": true,
        "cachet": {
            "url": config.cachet.url.as_deref().map(redact_url),
            "api": api_word(config.cachet.api),
            "notify_subscribers": config.cachet.notify_subscribers,
            "token": token_source,
        },
        "components": config.components.iter().map(|component| json!({
            "name": component.name,
            "id": match &component.target { Target::Id(id) => json!(id), Target::Name(_) => Value::Null },
            "cachet_name": match &component.target { Target::Name(name) => json!(name), Target::Id(_) => Value::Null },
            "confirm": component.confirm,
            "metric": component.metric,
            "incident": component.incident.as_ref().map(|i| json!({"name": i.name, "visible": i.visible, "notify": i.notify})),
            "monit_service": component.monit_service,
            "monit_status": component.monit_service.as_ref().map(|_| component.monit_status),
            "checks": component.checks.iter().map(|check| json!({
                "name": check.name,
                "type": check.kind,
                "target": check.probe.target(),
                "timeout_ms": check.timeout.as_millis() as u64,
                "slow_after_ms": check.slow_after.map(|d| d.as_millis() as u64),
                "on_failure": check.on_failure.word(),
                "retries": check.retries,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
