//! The `statuspage` check (SPEC §12): mirrors a component of an upstream's public status page —
//! Atlassian Statuspage, another Cachet (2.x or 3.x), or Instatus — into this component. Its
//! levels map one to one onto Cachet's: operational passes, degraded performance is degraded,
//! a partial outage is a partial outage and a major one a major one, whatever `on_failure`
//! says; maintenance upstream keeps the component in maintenance (SPEC §10). The upstream's
//! open incident names the trouble in the detail, and so in our incident.

mod pages;

use serde::Deserialize;

use super::web::{self, HttpOptions, URL, first_line, get_json};
use super::{Built, Context, Level, Probe, Probed};
use crate::deadline::Deadline;
use crate::keys::{Key, KeyError, Keys};
use crate::secret::redact_url;
use crate::text::sanitize;

pub const KIND: super::Kind = super::Kind {
    word: "statuspage",
    keys: &[
        &[&URL, &PROVIDER, &COMPONENT, &GROUP],
        web::KEYS,
        crate::net::path::KEYS,
    ],
    build,
};

/// Whose page it is: `statuspage` (Atlassian, the default), `cachet` or `instatus`.
const PROVIDER: Key<String> = Key::new("provider");
/// The upstream component, by name or id.
const COMPONENT: Key<Named> = Key::new("component");
/// The group the component is in, where two groups hold components of one name.
const GROUP: Key<String> = Key::new("group");

/// The most read of one answer: a page's every component and incident fits well within.
const ANSWER_CAP: u64 = 4 * 1024 * 1024;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Named {
    Id(u64),
    Name(String),
}

impl Named {
    fn is(&self, id: &str, name: &str) -> bool {
        match self {
            Named::Id(wanted) => id == wanted.to_string(),
            Named::Name(wanted) => wanted == id || wanted.eq_ignore_ascii_case(name.trim()),
        }
    }
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Named::Id(id) => write!(f, "#{id}"),
            Named::Name(name) => write!(f, "`{}`", sanitize(name)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Statuspage,
    Cachet,
    Instatus,
}

#[derive(Debug)]
pub struct StatuspageSpec {
    /// The page's base URL, e.g. `https://www.githubstatus.com`.
    pub url: String,
    pub provider: Provider,
    pub component: Named,
    pub group: Option<String>,
    pub options: HttpOptions,
}

/// What an upstream says of a component, in Cachet's words.
#[derive(Clone, Debug, PartialEq)]
pub enum Upstream {
    Operational,
    Degraded,
    Partial,
    Major,
    Maintenance,
    /// A level cachet-check does not know, as the page wrote it (or Cachet's "unknown").
    Unknown(String),
}

/// The component as the page shows it, and the title of its open incident if any.
#[derive(Debug, PartialEq)]
pub struct Seen {
    pub name: String,
    pub level: Upstream,
    pub incident: Option<String>,
}

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let url = keys.require(&URL, "`url = \"https://www.githubstatus.com\"`")?;
    let provider = match keys.take(&PROVIDER)?.as_deref() {
        None | Some("statuspage") => Provider::Statuspage,
        Some("cachet") => Provider::Cachet,
        Some("instatus") => Provider::Instatus,
        Some(other) => {
            return Err(keys.invalid(
                &PROVIDER,
                format!(
                    "`{}` is not a provider: use \"statuspage\" (Atlassian), \"cachet\" or \"instatus\"",
                    sanitize(other)
                ),
            ));
        }
    };
    let component = keys.require(&COMPONENT, "`component = \"API\"` (its name or id)")?;
    let group = keys.take(&GROUP)?;
    if group.is_some() && provider != Provider::Statuspage {
        return Err(keys.invalid(
            &GROUP,
            "`group` picks among Atlassian Statuspage's groups; name the component by id instead",
        ));
    }
    let options = web::options(keys)?;
    let called = format!("{} {component}", host(&url.0));
    let spec = StatuspageSpec {
        url: url.0.trim_end_matches('/').to_owned(),
        provider,
        component,
        group,
        options,
    };
    Built::new(spec, called)
}

fn host(url: &str) -> String {
    crate::net::host_of(url)
}

impl Probe for StatuspageSpec {
    fn target(&self) -> String {
        format!("{} {}", redact_url(&self.url), self.component)
    }

    fn probe(&self, context: &Context, deadline: Deadline) -> Probed {
        let fetch = |path: &str| fetch(self, path, context, deadline);
        match pages::read(self, &fetch) {
            Ok(seen) => judge(&seen),
            // A status page out of reach, or not the page the config says, tells nothing of
            // the component it mirrors: never an outage of ours (SPEC §10).
            Err(why) => Probed::unknown(format!("{}: {why}", host(&self.url))),
        }
    }

    fn web(&self) -> Option<(&str, &HttpOptions)> {
        Some((&self.url, &self.options))
    }
}

/// Why the upstream's word could not be had, in words: the page down or not a status page,
/// no such component there, a provider that does not match the page.
pub type Trouble = String;

/// An answer: `None` for a 404 (the provider tells which path to try next), else the JSON.
pub type Answer = Result<Option<serde_json::Value>, Trouble>;

fn fetch(spec: &StatuspageSpec, path: &str, context: &Context, deadline: Deadline) -> Answer {
    let url = format!("{}{path}", spec.url);
    let (code, body) = get_json(&url, &spec.options, ANSWER_CAP, context, deadline)
        .map_err(|failure| format!("cannot read the page: {}", failure.detail))?;
    match code {
        200 => serde_json::from_slice(&body).map(Some).map_err(|_| {
            format!(
                "{} did not answer JSON: is `provider` right?",
                sanitize(path)
            )
        }),
        404 => Ok(None),
        _ => Err(format!(
            "cannot read the page: HTTP {code} for {}{}",
            sanitize(path),
            first_line(&body)
        )),
    }
}

/// Every reading of a status page, for the fuzz target `statuspage`: `text` as the answer to
/// every path each provider asks for, the component named and numbered. Nothing may panic,
/// whatever `text` is; returns how many readings saw a component.
pub fn read_any(text: &str) -> usize {
    let answer = || -> Answer {
        serde_json::from_str(text)
            .map(Some)
            .map_err(|_| "not JSON".to_owned())
    };
    let mut seen = 0;
    for provider in [Provider::Statuspage, Provider::Cachet, Provider::Instatus] {
        for component in [Named::Name("api".to_owned()), Named::Id(1)] {
            for group in [None, Some("core".to_owned())] {
                let spec = StatuspageSpec {
                    url: "https://status.example.com".to_owned(),
                    provider,
                    component: component.clone(),
                    group,
                    options: HttpOptions::default(),
                };
                if let Ok(found) = pages::read(&spec, &|_| answer()) {
                    let _ = judge(&found);
                    seen += 1;
                }
            }
        }
    }
    seen
}

/// The check's verdict on what the page shows.
pub fn judge(seen: &Seen) -> Probed {
    let name = sanitize(&seen.name);
    let why = seen
        .incident
        .as_deref()
        .map(|title| format!(": {}", sanitize(title)))
        .unwrap_or_default();
    let (level, words) = match &seen.level {
        Upstream::Operational => (Level::Pass, "operational".to_owned()),
        Upstream::Degraded => (Level::Warn, "has performance issues".to_owned()),
        Upstream::Partial => (Level::Partial, "has a partial outage".to_owned()),
        Upstream::Major => (Level::Down, "has a major outage".to_owned()),
        Upstream::Maintenance => (Level::Maintenance, "is under maintenance".to_owned()),
        Upstream::Unknown(said) => {
            let said = sanitize(said);
            let detail = format!("{name} is `{said}` upstream, a status that says nothing{why}");
            return Probed::unknown(detail);
        }
    };
    let is = if level == Level::Pass { "is " } else { "" };
    Probed {
        level,
        detail: format!("{name} {is}{words} upstream{why}"),
        perfdata: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Level, Seen, Upstream, judge};

    fn seen(level: Upstream, incident: Option<&str>) -> Seen {
        Seen {
            name: "API".to_owned(),
            level,
            incident: incident.map(str::to_owned),
        }
    }

    #[test]
    fn upstream_levels_map_one_to_one() {
        for (level, expected, words) in [
            (
                Upstream::Operational,
                Level::Pass,
                "API is operational upstream",
            ),
            (
                Upstream::Degraded,
                Level::Warn,
                "API has performance issues upstream",
            ),
            (
                Upstream::Partial,
                Level::Partial,
                "API has a partial outage upstream",
            ),
            (
                Upstream::Major,
                Level::Down,
                "API has a major outage upstream",
            ),
            (
                Upstream::Maintenance,
                Level::Maintenance,
                "API is under maintenance upstream",
            ),
        ] {
            let probed = judge(&seen(level, None));
            assert_eq!(probed.level, expected);
            assert_eq!(probed.detail, words);
        }
    }

    #[test]
    fn the_open_incident_names_the_trouble() {
        let probed = judge(&seen(Upstream::Partial, Some("Elevated error rates")));
        assert_eq!(
            probed.detail,
            "API has a partial outage upstream: Elevated error rates"
        );
        let probed = judge(&seen(Upstream::Unknown("mystery".to_owned()), None));
        assert_eq!(probed.level, Level::Unknown);
    }
}
