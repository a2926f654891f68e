//! The `prometheus` check (SPEC §5): an instant query through `/api/v1/query`; every sample
//! must be within `min`/`max`; no sample fails unless `allow_empty` — or unless the query asks
//! for a metric or label value the server never had (`known.rs`): a typo, not an outage.

mod known;

use serde::Deserialize;
use serde_json::Value;

use super::bounds::{self, Bounds, MAX, MIN, format_value};
use super::web::{self, HttpOptions, URL, first_line, get_json, url_path, with_query};
use super::{Built, Context, Probe, Probed};
use crate::deadline::Deadline;
use crate::keys::{Key, KeyError, Keys};
use crate::secret::redact_url;
use crate::text::sanitize;

const ANSWER_CAP: u64 = 16 * 1024 * 1024;

#[derive(Debug)]
pub struct PrometheusSpec {
    /// The server, e.g. `http://prometheus:9090`.
    pub url: String,
    pub query: String,
    pub bounds: Bounds,
    pub allow_empty: bool,
    pub options: HttpOptions,
}

/// The API's envelope (`status`, `data` or `errorType`/`error`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    status: String,
    data: Option<Data>,
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: String,
    result: Value,
}

#[derive(Deserialize)]
struct Sample {
    #[serde(default)]
    metric: serde_json::Map<String, Value>,
    value: (f64, String),
}

/// A `url` that already names the query API gets the server's address instead (the check adds
/// `/api/v1/query`).
fn check_url(url: &str) -> Result<(), String> {
    let path = url_path(url);
    for api in ["/api/v1/query_range", "/api/v1/query", "/api/v1", "/graph"] {
        if let Some(server) = path.strip_suffix(api) {
            return Err(format!(
                "`{url}` names a page of Prometheus, not the server: set `url = \"{server}\"` (the check asks `/api/v1/query` itself)"
            ));
        }
    }
    Ok(())
}

pub const KIND: super::Kind = super::Kind {
    word: "prometheus",
    keys: &[
        &[&URL, &QUERY, &MIN, &MAX, &ALLOW_EMPTY],
        web::KEYS,
        crate::net::path::KEYS,
    ],
    build,
};

const QUERY: Key<String> = Key::new("query");
const ALLOW_EMPTY: Key<bool> = Key::new("allow_empty");

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let url = keys.require(&URL, "`url = \"http://prometheus.example.com:9090\"`")?;
    let query = keys
        .take(&QUERY)?
        .filter(|query| !query.trim().is_empty())
        .ok_or_else(|| keys.missing(&QUERY, "`query = \"up{job=\\\"db\\\"}\"`"))?;
    check_url(&url.0).map_err(|why| keys.invalid(&URL, why))?;
    let options = web::options(keys)?;
    let bounds = bounds::read(keys)?;
    let spec = PrometheusSpec {
        url: url.0,
        query: query.clone(),
        bounds,
        allow_empty: keys.take(&ALLOW_EMPTY)?.unwrap_or(false),
        options,
    };
    Built::new(spec, query)
}

impl Probe for PrometheusSpec {
    fn target(&self) -> String {
        format!("{} query {}", redact_url(&self.url), self.query)
    }

    fn probe(&self, context: &Context, deadline: Deadline) -> Probed {
        probe(self, context, deadline)
    }

    fn web(&self) -> Option<(&str, &HttpOptions)> {
        Some((&self.url, &self.options))
    }
}

fn probe(spec: &PrometheusSpec, context: &Context, deadline: Deadline) -> Probed {
    let api = format!("{}/api/v1/query", spec.url.trim_end_matches('/'));
    let url = with_query(&api, &[("query", &spec.query)]);
    let (code, body) = match get_json(&url, &spec.options, ANSWER_CAP, context, deadline) {
        Ok(answer) => answer,
        Err(why) => return why.map(|why| format!("prometheus: {why}")).into(),
    };
    let envelope: Envelope = match serde_json::from_slice(&body) {
        Ok(envelope) => envelope,
        Err(_) if code != 200 => {
            return Probed::fail(format!("prometheus: HTTP {code}{}", first_line(&body)));
        }
        Err(error) => {
            return Probed::fail(format!(
                "prometheus: the answer is not the query API's JSON ({error})"
            ));
        }
    };
    if envelope.status != "success" {
        let error_type = envelope.error_type.as_deref().unwrap_or("error");
        let said = format!(
            "prometheus: {}: {}",
            sanitize(error_type),
            sanitize(envelope.error.as_deref().unwrap_or("no reason given"))
        );
        // `bad_data`: the query itself is wrong, which says nothing of what it asks about.
        if error_type == "bad_data" {
            return Probed::unknown(format!("{said} (the query is malformed: fix `query`)"));
        }
        return Probed::fail(said);
    }
    let Some(data) = envelope.data else {
        return Probed::fail("prometheus: the answer has no `data`");
    };
    let samples = match samples(&data) {
        Ok(samples) => samples,
        // A result of the wrong shape is the query's mistake, not the target's failure.
        Err(why) => return Probed::unknown(format!("prometheus: {why}")),
    };
    if samples.is_empty()
        && !spec.allow_empty
        && let Some(unknown) = never_had(spec, context, deadline)
    {
        return Probed::unknown(format!("prometheus: {unknown} (fix `query`)"));
    }
    judge(spec, &samples)
}

/// The most label names asked about when a query returns nothing.
const LABELS_ASKED: usize = 4;

/// What the query names that the server has never had: a metric name, or a label value. Only
/// what the server says is absent counts; an answer that cannot be had makes no claim.
fn never_had(spec: &PrometheusSpec, context: &Context, deadline: Deadline) -> Option<String> {
    let (names, matchers) = known::asked(&spec.query);
    let values = |label: &str| -> Option<Vec<String>> {
        let url = format!(
            "{}/api/v1/label/{label}/values",
            spec.url.trim_end_matches('/')
        );
        let (code, body) = get_json(&url, &spec.options, ANSWER_CAP, context, deadline).ok()?;
        let answer: Value = serde_json::from_slice(&body).ok()?;
        if code != 200 || answer["status"] != "success" {
            return None;
        }
        serde_json::from_value(answer["data"].clone()).ok()
    };
    if !names.is_empty()
        && let Some(known) = values("__name__")
        && let Some(name) = names.iter().find(|name| !known.contains(name))
    {
        return Some(format!(
            "the server has never had a metric `{}`",
            sanitize(name)
        ));
    }
    let mut labels: Vec<&str> = matchers.iter().map(|(label, _)| label.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    for label in labels.into_iter().take(LABELS_ASKED) {
        let Some(known) = values(label) else {
            continue;
        };
        if let Some((_, value)) = matchers
            .iter()
            .find(|(name, value)| name == label && !known.contains(value))
        {
            return Some(format!(
                "no series the server has ever had is labelled {}=\"{}\"",
                sanitize(label),
                sanitize(value)
            ));
        }
    }
    None
}

/// The samples of a vector or scalar result as (series, value).
fn samples(data: &Data) -> Result<Vec<(String, f64)>, String> {
    let value = |text: &str| {
        text.parse::<f64>()
            .map_err(|_| format!("`{}` is not a sample value", sanitize(text)))
    };
    match data.result_type.as_str() {
        "vector" => {
            let samples: Vec<Sample> = serde_json::from_value(data.result.clone())
                .map_err(|error| format!("the vector result is malformed ({error})"))?;
            samples
                .iter()
                .map(|sample| Ok((series_name(&sample.metric), value(&sample.value.1)?)))
                .collect()
        }
        "scalar" => {
            let (_, text): (f64, String) = serde_json::from_value(data.result.clone())
                .map_err(|error| format!("the scalar result is malformed ({error})"))?;
            Ok(vec![("scalar".to_owned(), value(&text)?)])
        }
        "matrix" => Err(
            "the query returns a range vector: ask for an instant vector (drop the `[…]` range)"
                .to_owned(),
        ),
        other => Err(format!(
            "the query returns a {} result, not numbers",
            sanitize(other)
        )),
    }
}

/// `up{instance="db:9100",job="db"}`, as Prometheus writes a series.
fn series_name(metric: &serde_json::Map<String, Value>) -> String {
    let name = metric
        .get("__name__")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let labels: Vec<String> = metric
        .iter()
        .filter(|(label, _)| label.as_str() != "__name__")
        .map(|(label, value)| {
            format!(
                "{label}={}",
                Value::String(value.as_str().unwrap_or_default().to_owned())
            )
        })
        .collect();
    if labels.is_empty() && name.is_empty() {
        "{}".to_owned()
    } else if labels.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{}}}", labels.join(","))
    }
}

fn judge(spec: &PrometheusSpec, samples: &[(String, f64)]) -> Probed {
    if samples.is_empty() {
        return if spec.allow_empty {
            Probed::pass("prometheus: no samples (allowed)")
        } else {
            Probed::fail(format!(
                "prometheus: `{}` returned no samples",
                sanitize(&spec.query)
            ))
        };
    }
    if let Some(outside) = spec.bounds.first_outside(samples, ("sample", "samples")) {
        return Probed::fail(format!("prometheus: {outside}"));
    }
    match samples {
        [(series, value)] => Probed::pass(format!(
            "prometheus: {} = {}",
            sanitize(series),
            format_value(*value)
        )),
        many => Probed::pass(format!(
            "prometheus: {} samples, all within bounds",
            many.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{Data, samples, series_name};

    #[test]
    fn series_are_written_as_prometheus_does() {
        let metric = serde_json::json!({"__name__": "up", "job": "db", "instance": "db:9100"});
        assert_eq!(
            series_name(metric.as_object().unwrap()),
            r#"up{instance="db:9100",job="db"}"#
        );
    }

    #[test]
    fn vector_scalar_and_matrix_results() {
        let data = |json: serde_json::Value| -> Data { serde_json::from_value(json).unwrap() };
        let vector = data(serde_json::json!({"resultType": "vector", "result": [
            {"metric": {"__name__": "up", "job": "db"}, "value": [1435781451.781, "0"]},
            {"metric": {}, "value": [1435781451.781, "NaN"]}]}));
        let got = samples(&vector).unwrap();
        assert_eq!(got[0], (r#"up{job="db"}"#.to_owned(), 0.0));
        assert!(got[1].1.is_nan());
        let scalar =
            data(serde_json::json!({"resultType": "scalar", "result": [1435781451.781, "+Inf"]}));
        assert_eq!(samples(&scalar).unwrap()[0].1, f64::INFINITY);
        let matrix = data(serde_json::json!({"resultType": "matrix", "result": []}));
        assert!(samples(&matrix).unwrap_err().contains("range vector"));
    }
}
