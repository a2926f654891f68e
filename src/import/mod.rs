//! `cachet-check import` (the packaging issue's item 4): a config of one of the two most used
//! Cachet checkers — cachet-url-monitor (YAML) and castawaylabs/cachet-monitor (JSON or YAML) —
//! as an equivalent cachet-check config, with a comment on every setting that has no exact
//! equivalent and why. A token is never copied: the output says where to put it.

mod cachet_monitor;
mod plan;
mod url_monitor;

use serde_json::Value;

/// Which checker a config is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    UrlMonitor,
    CachetMonitor,
}

impl Peer {
    pub const WORDS: [(&'static str, Peer); 2] = [
        ("cachet-url-monitor", Peer::UrlMonitor),
        ("cachet-monitor", Peer::CachetMonitor),
    ];

    fn name(self) -> &'static str {
        match self {
            Peer::UrlMonitor => "cachet-url-monitor",
            Peer::CachetMonitor => "cachet-monitor",
        }
    }
}

/// The config `text` (of `from`, else told by its shape) as cachet-check TOML.
pub fn import(text: &str, from: Option<Peer>) -> Result<String, String> {
    let document = parse(text)?;
    let peer = match from {
        Some(peer) => peer,
        None => detect(&document)?,
    };
    let plan = match peer {
        Peer::UrlMonitor => url_monitor::plan(&document)?,
        Peer::CachetMonitor => cachet_monitor::plan(&document)?,
    };
    if plan.components.is_empty() {
        return Err(format!(
            "the {} config has no monitor with a `component_id`: nothing to import",
            peer.name()
        ));
    }
    Ok(plan.render(peer.name()))
}

/// JSON (cachet-monitor's `.json`) or YAML, as one value.
fn parse(text: &str) -> Result<Value, String> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text)
            .map_err(|error| format!("the JSON does not read: {error}"));
    }
    let documents = yaml_rust2::YamlLoader::load_from_str(text)
        .map_err(|error| format!("the YAML does not read: {error}"))?;
    documents
        .into_iter()
        .next()
        .map(json_of)
        .ok_or_else(|| "the file is empty".to_owned())
}

fn json_of(yaml: yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::Real(text) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(text), Value::Number),
        Yaml::Integer(number) => Value::from(number),
        Yaml::String(text) => Value::String(text),
        Yaml::Boolean(flag) => Value::Bool(flag),
        Yaml::Array(items) => Value::Array(items.into_iter().map(json_of).collect()),
        Yaml::Hash(pairs) => Value::Object(
            pairs
                .into_iter()
                .map(|(key, value)| {
                    let key = match key {
                        Yaml::String(text) | Yaml::Real(text) => text,
                        Yaml::Integer(number) => number.to_string(),
                        Yaml::Boolean(flag) => flag.to_string(),
                        _ => String::new(),
                    };
                    (key, json_of(value))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// Which checker wrote `document`: cachet-url-monitor has `endpoints` (or, before 0.6,
/// `endpoint`) and a `cachet` section; cachet-monitor has `monitors`.
fn detect(document: &Value) -> Result<Peer, String> {
    if document.get("endpoints").is_some() || document.get("endpoint").is_some() {
        Ok(Peer::UrlMonitor)
    } else if document.get("monitors").is_some() {
        Ok(Peer::CachetMonitor)
    } else {
        Err("this is neither a cachet-url-monitor config (`endpoints`) nor a cachet-monitor one (`monitors`): name it with --from".to_owned())
    }
}

/// Cachet's base URL from an API URL (`https://status.example.com/api/v1` →
/// `https://status.example.com`): cachet-check finds the API path itself.
fn base_url(api_url: &str) -> String {
    let trimmed = api_url.trim_end_matches('/');
    trimmed
        .strip_suffix("/api/v1")
        .or_else(|| trimmed.strip_suffix("/api"))
        .unwrap_or(trimmed)
        .to_owned()
}

/// A number or a numeric string as `u64` (YAML and JSON configs write ids both ways).
fn number(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|text| text.trim().parse().ok()))
}

/// Seconds (a number) as a cachet-check duration: `1` → `"1s"`, `0.5` → `"500ms"`.
fn seconds(value: &Value) -> Option<String> {
    let seconds = value
        .as_f64()
        .or_else(|| value.as_str()?.trim().parse().ok())?;
    if !(seconds.is_finite() && seconds > 0.0) {
        return None;
    }
    let millis = (seconds * 1000.0).round();
    Some(if millis % 1000.0 == 0.0 {
        format!("{}s", millis / 1000.0)
    } else {
        format!("{millis}ms")
    })
}

#[cfg(test)]
mod tests {
    use super::{base_url, seconds};
    use serde_json::json;

    #[test]
    fn api_urls_and_seconds_translate() {
        assert_eq!(
            base_url("https://status.example.com/api/v1"),
            "https://status.example.com"
        );
        assert_eq!(
            base_url("https://status.example.com/api/v1/"),
            "https://status.example.com"
        );
        assert_eq!(seconds(&json!(1)), Some("1s".to_owned()));
        assert_eq!(seconds(&json!(0.5)), Some("500ms".to_owned()));
        assert_eq!(seconds(&json!(0)), None);
    }
}
