//! The `graphite` check (SPEC §5): the render API's JSON for `target` over `from`; each series'
//! latest non-null value must be within `min`/`max`, and at least `min_series` series must
//! report one.

use serde::Deserialize;

use super::bounds::{self, Bounds, MAX, MIN, format_value};
use super::web::{self, HttpOptions, URL, first_line, get_json, url_path, with_query};
use super::{Built, Context, Probe, Probed};
use crate::deadline::Deadline;
use crate::keys::{Key, KeyError, Keys};
use crate::secret::redact_url;
use crate::text::sanitize;

/// The largest render answer read.
const ANSWER_CAP: u64 = 16 * 1024 * 1024;

#[derive(Debug)]
pub struct GraphiteSpec {
    /// The render API, e.g. `https://graphite.example.com/render`.
    pub url: String,
    pub target: String,
    pub from: String,
    pub bounds: Bounds,
    pub min_series: usize,
    pub options: HttpOptions,
}

/// `from` as Graphite takes it: Graphite's own forms (`-5min`, `-1h`, `now`, `20:00_20261128`,
/// `20261128`) as written, and the config's duration style (`5m`, `1h30m`) turned into
/// seconds ago (`-300s`): Graphite answers `5m` with a 400 (it reads `m` as months only with
/// `mon`, and a bare `5m` not at all).
fn parse_from(from: &str) -> Result<String, String> {
    let from = from.trim();
    let absolute = from.len() >= 8
        && from
            .chars()
            .all(|c| c.is_ascii_digit() || c == ':' || c == '_');
    let graphite_style = from.starts_with('-') || from.eq_ignore_ascii_case("now") || absolute;
    if graphite_style {
        return Ok(from.to_owned());
    }
    match humantime::parse_duration(from) {
        Ok(span) if !span.is_zero() => Ok(format!("-{}s", span.as_secs().max(1))),
        _ => Err(format!(
            "`{from}` is no time Graphite understands: write `-5min` (Graphite's form) or `5m`"
        )),
    }
}

/// Hints for a `url` that is not the render API (`https://graphite.example.com/render`).
fn check_url(url: &str) -> Result<(), String> {
    let path = url_path(url);
    if path.ends_with("/render") {
        return Ok(());
    }
    // The scheme and host, with any path dropped: graphite-web serves `/render` at its root.
    let origin = match path.find("://") {
        Some(scheme) => {
            let host_end = path[scheme + 3..]
                .find('/')
                .map_or(path.len(), |slash| scheme + 3 + slash);
            &path[..host_end]
        }
        None => path,
    };
    Err(format!(
        "`{url}` is not Graphite's render API: `url` names it, like `{origin}/render`"
    ))
}

/// One series as the render API's `format=json` returns it.
#[derive(Deserialize)]
struct Series {
    target: String,
    datapoints: Vec<(Option<f64>, Option<i64>)>,
}

pub const KIND: super::Kind = super::Kind {
    word: "graphite",
    keys: &[
        &[&URL, &TARGET, &FROM, &MIN, &MAX, &MIN_SERIES],
        web::KEYS,
        crate::net::path::KEYS,
    ],
    build,
};

const TARGET: Key<String> = Key::new("target");
const FROM: Key<String> = Key::new("from");
const MIN_SERIES: Key<u32> = Key::new("min_series");

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let url = keys.require(&URL, "`url = \"https://graphite.example.com/render\"`")?;
    let target = keys
        .take(&TARGET)?
        .filter(|target| !target.trim().is_empty())
        .ok_or_else(|| keys.missing(&TARGET, "`target = \"servers.web*.load\"`"))?;
    check_url(&url.0).map_err(|why| keys.invalid(&URL, why))?;
    let from = match keys.take(&FROM)? {
        Some(from) => parse_from(&from).map_err(|why| keys.invalid(&FROM, why))?,
        None => "-5min".to_owned(),
    };
    let options = web::options(keys)?;
    let bounds = bounds::read(keys)?;
    let spec = GraphiteSpec {
        url: url.0,
        target: target.clone(),
        from,
        bounds,
        min_series: usize::try_from(keys.take(&MIN_SERIES)?.unwrap_or(1)).unwrap_or(usize::MAX),
        options,
    };
    Built::new(spec, target)
}

impl Probe for GraphiteSpec {
    fn target(&self) -> String {
        format!("{} target {}", redact_url(&self.url), self.target)
    }

    fn probe(&self, context: &Context, deadline: Deadline) -> Probed {
        probe(self, context, deadline)
    }

    fn web(&self) -> Option<(&str, &HttpOptions)> {
        Some((&self.url, &self.options))
    }
}

fn probe(spec: &GraphiteSpec, context: &Context, deadline: Deadline) -> Probed {
    let url = with_query(
        &spec.url,
        &[
            ("target", &spec.target),
            ("from", &spec.from),
            ("format", "json"),
        ],
    );
    let (code, body) = match get_json(&url, &spec.options, ANSWER_CAP, context, deadline) {
        Ok(answer) => answer,
        Err(why) => return why.map(|why| format!("graphite: {why}")).into(),
    };
    // Graphite answers 400 to a target or function it cannot parse: the config's mistake.
    if code == 400 {
        return Probed::unknown(format!(
            "graphite: HTTP 400 from the render API{} (the target is malformed: fix `target`)",
            first_line(&body)
        ));
    }
    if code != 200 {
        return Probed::fail(format!(
            "graphite: HTTP {code} from the render API{}",
            first_line(&body)
        ));
    }
    match serde_json::from_slice::<Vec<Series>>(&body) {
        Ok(series) => judge(spec, &series),
        Err(error) => Probed::fail(format!("graphite: the answer is not render JSON ({error})")),
    }
}

fn judge(spec: &GraphiteSpec, series: &[Series]) -> Probed {
    let latest: Vec<(&str, f64)> = series
        .iter()
        .filter_map(|one| {
            let value = one.datapoints.iter().rev().find_map(|(value, _)| *value)?;
            Some((one.target.as_str(), value))
        })
        .collect();
    if latest.is_empty() && spec.min_series == 0 {
        return Probed::pass(format!(
            "graphite: {} series, none reporting (none required)",
            series.len()
        ));
    }
    if series.is_empty() {
        return Probed::fail(format!(
            "graphite: no series matches `{}`",
            sanitize(&spec.target)
        ));
    }
    if latest.len() < spec.min_series {
        return Probed::fail(format!(
            "graphite: {} of {} series reported, need {}",
            latest.len(),
            series.len(),
            spec.min_series
        ));
    }
    if let Some(outside) = spec.bounds.first_outside(&latest, ("series", "series")) {
        return Probed::fail(format!("graphite: {outside}"));
    }
    match latest.as_slice() {
        [(target, value)] => Probed::pass(format!(
            "graphite: {} = {}",
            sanitize(target),
            format_value(*value)
        )),
        many => {
            let (low, high) = many
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), (_, v)| {
                    (low.min(*v), high.max(*v))
                });
            Probed::pass(format!(
                "graphite: {} of {} series reported, latest values {}…{}",
                many.len(),
                series.len(),
                format_value(low),
                format_value(high)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{GraphiteSpec, Series, check_url, judge, parse_from};
    use crate::check::Level;
    use crate::check::bounds::Bounds;

    // Graphite answers `5m` with a 400: the config's duration style becomes seconds ago.
    #[test]
    fn from_takes_graphite_forms_and_the_config_duration_style() {
        assert_eq!(parse_from("-5min").as_deref(), Ok("-5min"));
        assert_eq!(parse_from("now").as_deref(), Ok("now"));
        assert_eq!(parse_from("20261128").as_deref(), Ok("20261128"));
        assert_eq!(parse_from("5m").as_deref(), Ok("-300s"));
        assert_eq!(parse_from("1h 30m").as_deref(), Ok("-5400s"));
        assert!(parse_from("yesterday-ish").is_err());
        assert!(check_url("https://graphite.example.com/render/").is_ok());
        assert_eq!(
            check_url("https://graphite.example.com/metrics"),
            Err("`https://graphite.example.com/metrics` is not Graphite's render API: `url` names it, like `https://graphite.example.com/render`".to_owned())
        );
    }

    fn spec(min: Option<f64>, max: Option<f64>, min_series: usize) -> GraphiteSpec {
        GraphiteSpec {
            url: "http://graphite/render".to_owned(),
            target: "servers.*.load".to_owned(),
            from: "-5min".to_owned(),
            bounds: Bounds { min, max },
            min_series,
            options: Default::default(),
        }
    }

    fn series(json: &str) -> Vec<Series> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_latest_non_null_value_of_each_series_counts() {
        let answer = series(
            r#"[{"target":"a","datapoints":[[9,1],[2,2],[null,3]]},
                {"target":"b","datapoints":[[null,1],[null,2]]}]"#,
        );
        let passed = judge(&spec(None, Some(5.0), 1), &answer);
        assert_eq!(passed.level, Level::Pass);
        assert_eq!(passed.detail, "graphite: a = 2");
        let failed = judge(&spec(None, Some(5.0), 2), &answer);
        assert_eq!(failed.detail, "graphite: 1 of 2 series reported, need 2");
        let low = judge(&spec(Some(3.0), None, 1), &answer);
        assert_eq!(low.detail, "graphite: a = 2 < min 3");
        assert_eq!(judge(&spec(None, None, 0), &[]).level, Level::Pass);
        assert_eq!(judge(&spec(None, None, 1), &[]).level, Level::Fail);
    }
}
