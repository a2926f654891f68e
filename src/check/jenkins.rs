//! The `jenkins` check (SPEC §5): the job's JSON API. The last completed build must be SUCCESS
//! (UNSTABLE is a warning); with `max_queue`, a build waiting in the queue longer fails.

use std::time::Duration;

use serde::Deserialize;

use super::web::{self, HttpOptions, URL, first_line, get_json, with_query};
use super::{Built, Context, Level, Probe, Probed};
use crate::deadline::{Deadline, unix_now_millis};
use crate::keys::{HumanDuration, Key, KeyError, Keys};
use crate::secret::redact_url;
use crate::text::sanitize;

const ANSWER_CAP: u64 = 1024 * 1024;

/// Only what the check reads, so Jenkins sends little.
const TREE: &str =
    "name,fullName,inQueue,queueItem[inQueueSince,why],lastCompletedBuild[number,result]";

#[derive(Debug)]
pub struct JenkinsSpec {
    /// The job's URL, e.g. `https://ci.example.com/job/deploy/`.
    pub url: String,
    pub max_queue: Option<Duration>,
    pub options: HttpOptions,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Job {
    name: Option<String>,
    full_name: Option<String>,
    #[serde(default)]
    in_queue: bool,
    queue_item: Option<QueueItem>,
    last_completed_build: Option<Build>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueueItem {
    /// Milliseconds since the Unix epoch.
    in_queue_since: Option<u64>,
    why: Option<String>,
}

#[derive(Deserialize)]
struct Build {
    number: u64,
    result: Option<String>,
}

pub const KIND: super::Kind = super::Kind {
    word: "jenkins",
    keys: &[&[&URL, &MAX_QUEUE], web::KEYS, crate::net::path::KEYS],
    build,
};

const MAX_QUEUE: Key<HumanDuration> = Key::new("max_queue");

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let url = keys.require(&URL, "`url = \"https://ci.example.com/job/deploy/\"`")?;
    let options = web::options(keys)?;
    let called = job_name(&url.0);
    let spec = JenkinsSpec {
        url: url.0,
        max_queue: keys.take(&MAX_QUEUE)?.map(|d| d.0),
        options,
    };
    Built::new(spec, called)
}

/// "deploy" for `https://ci.example.com/job/team/job/deploy/`.
fn job_name(url: &str) -> String {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let jobs: Vec<&str> = segments
        .windows(2)
        .filter(|pair| pair[0] == "job")
        .map(|pair| pair[1])
        .collect();
    if jobs.is_empty() {
        redact_url(url)
    } else {
        jobs.join("/")
    }
}

impl Probe for JenkinsSpec {
    fn target(&self) -> String {
        redact_url(&self.url)
    }

    fn probe(&self, context: &Context, deadline: Deadline) -> Probed {
        probe(self, context, deadline)
    }

    fn web(&self) -> Option<(&str, &HttpOptions)> {
        Some((&self.url, &self.options))
    }
}

fn probe(spec: &JenkinsSpec, context: &Context, deadline: Deadline) -> Probed {
    let api = format!("{}/api/json", spec.url.trim_end_matches('/'));
    let url = with_query(&api, &[("tree", TREE)]);
    let (code, body) = match get_json(&url, &spec.options, ANSWER_CAP, context, deadline) {
        Ok(answer) => answer,
        Err(why) => return why.map(|why| format!("jenkins: {why}")).into(),
    };
    match code {
        200 => {}
        404 => return Probed::fail("jenkins: no job at this URL (HTTP 404)"),
        // Without credentials the job's state is not known: the config's to fix.
        401 | 403 => {
            return Probed::unknown(format!(
                "jenkins: HTTP {code}, the job is not readable without credentials: set `basic_auth` (user and API token)"
            ));
        }
        _ => return Probed::fail(format!("jenkins: HTTP {code}{}", first_line(&body))),
    }
    match serde_json::from_slice::<Job>(&body) {
        Ok(job) => judge(spec, &job, unix_now_millis()),
        Err(error) => Probed::fail(format!("jenkins: the answer is not a job's JSON ({error})")),
    }
}

fn judge(spec: &JenkinsSpec, job: &Job, now_millis: u64) -> Probed {
    let name = sanitize(
        job.full_name
            .as_deref()
            .or(job.name.as_deref())
            .unwrap_or("?"),
    );
    let queued = spec.max_queue.filter(|_| job.in_queue).and_then(|max| {
        let item = job.queue_item.as_ref()?;
        let waited = Duration::from_millis(now_millis.saturating_sub(item.in_queue_since?));
        (waited > max).then(|| {
            let why = item
                .why
                .as_deref()
                .map(|why| format!(": {}", sanitize(why)))
                .unwrap_or_default();
            format!(
                "a build has waited {} in the queue (max {}){why}",
                humantime::format_duration(Duration::from_secs(waited.as_secs())),
                humantime::format_duration(max)
            )
        })
    });
    let Some(build) = &job.last_completed_build else {
        return Probed::fail(format!("jenkins job {name}: no completed build yet"));
    };
    let result = build.result.as_deref().unwrap_or("no result");
    let detail = format!(
        "jenkins job {name}: last build #{} {}",
        build.number,
        sanitize(result)
    );
    match (result, queued) {
        ("SUCCESS", None) => Probed::pass(detail),
        ("SUCCESS", Some(queued)) => Probed::fail(format!("jenkins job {name}: {queued}")),
        ("UNSTABLE", None) => Probed {
            level: Level::Warn,
            detail,
            perfdata: Vec::new(),
        },
        (_, None) => Probed::fail(detail),
        (_, Some(queued)) => Probed::fail(format!("{detail}; {queued}")),
    }
}

#[cfg(test)]
mod tests {
    use super::{JenkinsSpec, Job, judge};
    use crate::check::Level;
    use std::time::Duration;

    fn job(json: &str) -> Job {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn results_map_to_levels_and_the_queue_is_timed() {
        let spec = JenkinsSpec {
            url: "http://ci/job/deploy".to_owned(),
            max_queue: Some(Duration::from_secs(600)),
            options: Default::default(),
        };
        let build = |result: &str| {
            job(&format!(
                r#"{{"name":"deploy","lastCompletedBuild":{{"number":412,"result":"{result}"}}}}"#
            ))
        };
        assert_eq!(judge(&spec, &build("SUCCESS"), 0).level, Level::Pass);
        assert_eq!(judge(&spec, &build("UNSTABLE"), 0).level, Level::Warn);
        let failed = judge(&spec, &build("FAILURE"), 0);
        assert_eq!(failed.level, Level::Fail);
        assert_eq!(failed.detail, "jenkins job deploy: last build #412 FAILURE");
        assert_eq!(judge(&spec, &build("ABORTED"), 0).level, Level::Fail);

        let queued = job(r#"{"name":"deploy","inQueue":true,
                "queueItem":{"inQueueSince":1000000,"why":"Waiting for next available executor"},
                "lastCompletedBuild":{"number":7,"result":"SUCCESS"}}"#);
        assert_eq!(
            judge(&spec, &queued, 1_000_000 + 599_000).level,
            Level::Pass
        );
        let stuck = judge(&spec, &queued, 1_000_000 + 720_000);
        assert_eq!(
            stuck.detail,
            "jenkins job deploy: a build has waited 12m in the queue (max 10m): Waiting for next available executor"
        );
    }
}
