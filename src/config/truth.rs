//! The keys of SPEC §10 (a status page that tells the truth) as the config writes them:
//! `witnesses` (top level or per component).

use toml::Spanned;

use super::error::{ConfigError, Locator};
use super::raw::{RawHeartbeat, RawWindow};
use crate::check::witness::Witness;

/// `witnesses = ["tcp://host:port", "https://…"]`, each read as a `Witness`; the error points
/// at the list and names the entry and the forms.
pub(super) fn witnesses(
    at: &Locator,
    raw: Option<Spanned<Vec<String>>>,
    table: &str,
) -> Result<Option<Vec<Witness>>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let span = raw.span();
    let list = raw.into_inner();
    if list.is_empty() {
        return Err(at.error(
            &span,
            None,
            format!("`witnesses` in {table} is empty: name at least one, or leave the key out"),
        ));
    }
    list.iter()
        .map(|text| Witness::parse(text).map_err(|why| at.error(&span, None, why)))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `[heartbeat]`: the dead-man's switch each run pings (SPEC §10).
#[derive(Clone, Debug)]
pub struct Heartbeat {
    pub url: String,
    pub kind: HeartbeatKind,
    /// A bearer token (Gatus external endpoints ask for one).
    pub token_file: Option<std::path::PathBuf>,
}

/// How the heartbeat's URL is spoken to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeartbeatKind {
    /// healthchecks.io: `/start`, then `/<exit code>` with the summary as body.
    Healthchecks,
    /// Uptime Kuma push monitor: `?status=up|down&msg=…&ping=…`.
    Kuma,
    /// Gatus external endpoint: `?success=…&error=…&duration=…`.
    Gatus,
    /// A GET of the URL.
    Plain,
}

impl HeartbeatKind {
    const WORDS: [(&'static str, HeartbeatKind); 4] = [
        ("healthchecks", HeartbeatKind::Healthchecks),
        ("kuma", HeartbeatKind::Kuma),
        ("gatus", HeartbeatKind::Gatus),
        ("plain", HeartbeatKind::Plain),
    ];

    pub fn word(self) -> &'static str {
        HeartbeatKind::WORDS
            .iter()
            .find(|(_, kind)| *kind == self)
            .map_or("plain", |(word, _)| word)
    }
}

pub(super) fn heartbeat(
    at: &Locator,
    raw: Option<Spanned<RawHeartbeat>>,
) -> Result<Option<Heartbeat>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let span = raw.span();
    let raw = raw.into_inner();
    let url = raw.url.get_ref().trim().to_owned();
    let scheme_ok = ["http://", "https://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    });
    if !scheme_ok || url.parse::<ureq::http::Uri>().is_err() {
        return Err(at.value_error(
            raw.url.span().start,
            &format!("`url` in `[heartbeat]`: `{url}` is not an http:// or https:// URL"),
        ));
    }
    let kind = match &raw.kind {
        None => HeartbeatKind::Plain,
        Some(word) => HeartbeatKind::WORDS
            .iter()
            .find(|(known, _)| known == word.get_ref())
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                at.value_error(
                    word.span().start,
                    &format!(
                        "`kind` in `[heartbeat]`: unknown value `{}`, expected one of `healthchecks`, `kuma`, `gatus`, `plain`",
                        word.get_ref()
                    ),
                )
            })?,
    };
    if raw.token_file.is_some() && kind != HeartbeatKind::Gatus {
        return Err(at.error(
            &span,
            Some("token_file"),
            format!(
                "`token_file` in `[heartbeat]` is for `kind = \"gatus\"`; a {} heartbeat carries its secret in its URL",
                kind.word()
            ),
        ));
    }
    Ok(Some(Heartbeat {
        url,
        kind,
        token_file: raw.token_file.as_deref().map(|path| at.path(path)),
    }))
}

/// `depends_on` of every component (SPEC §10): each name a configured component, and no cycle.
/// `written` holds, per component, its `depends_on` as written (with its place in the file).
pub(super) fn dependencies(
    at: &Locator,
    names: &[&str],
    written: &[(String, Spanned<Vec<String>>)],
) -> Result<(), ConfigError> {
    for (component, list) in written {
        for parent in list.get_ref() {
            if parent == component {
                return Err(at.error(
                    &list.span(),
                    None,
                    format!("`[components.{component}]` depends on itself: remove `{parent}` from `depends_on`"),
                ));
            }
            if !names.contains(&parent.as_str()) {
                return Err(at.error(
                    &list.span(),
                    None,
                    format!(
                        "`depends_on` of `[components.{component}]` names `{parent}`, which is not a configured component; configured: {}",
                        names.join(", ")
                    ),
                ));
            }
        }
    }
    let parents_of = |name: &str| -> Vec<String> {
        written
            .iter()
            .find(|(component, _)| component == name)
            .map(|(_, list)| list.get_ref().clone())
            .unwrap_or_default()
    };
    for (start, list) in written {
        if let Some(cycle) = cycle_from(start, &parents_of) {
            return Err(at.error(
                &list.span(),
                None,
                format!(
                    "`depends_on` goes round in a circle: {}; a component cannot wait for itself",
                    cycle
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
            ));
        }
    }
    Ok(())
}

/// The first cycle through `start` following `parents_of`, written from `start` back to it.
fn cycle_from(start: &str, parents_of: &dyn Fn(&str) -> Vec<String>) -> Option<Vec<String>> {
    // Depth-first, the path kept: a parent already on the path closes a cycle; only a cycle
    // back to `start` is reported here (each component is a start in turn).
    fn walk(path: &mut Vec<String>, start: &str, parents_of: &dyn Fn(&str) -> Vec<String>) -> bool {
        let last = path.last().cloned().unwrap_or_default();
        for parent in parents_of(&last) {
            if parent == start {
                path.push(parent);
                return true;
            }
            if path.contains(&parent) {
                continue;
            }
            path.push(parent);
            if walk(path, start, parents_of) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = vec![start.to_owned()];
    walk(&mut path, start, parents_of).then_some(path)
}

/// `maintenance = [{ cron, for, tz }]` read into windows; errors point at `span`.
pub(super) fn windows(
    at: &Locator,
    span: &std::ops::Range<usize>,
    raw: Vec<RawWindow>,
    table: &str,
) -> Result<Vec<crate::window::Window>, ConfigError> {
    raw.into_iter()
        .map(|window| {
            let Some(zone) = window.tz else {
                return Err(at.error(
                    span,
                    Some("maintenance"),
                    format!(
                        "a `maintenance` window in {table} needs `tz`: the IANA time zone its `cron` is read in (e.g. tz = \"Europe/Berlin\", or \"UTC\")"
                    ),
                ));
            };
            let length = humantime::parse_duration(&window.length).map_err(|error| {
                at.error(
                    span,
                    Some("maintenance"),
                    format!(
                        "`for = \"{}\"` of a `maintenance` window in {table}: {error} (write e.g. \"2h\" or \"30m\")",
                        window.length
                    ),
                )
            })?;
            crate::window::Window::new(&window.cron, length, &zone)
                .map_err(|why| at.error(span, Some("maintenance"), format!("`maintenance` in {table}: {why}")))
        })
        .collect()
}

/// `maintenance` of `[defaults]`, taken out of the check keys it sits among.
pub(super) fn default_windows(
    at: &Locator,
    defaults: &mut crate::keys::Entries,
) -> Result<Vec<crate::window::Window>, ConfigError> {
    let Some(key) = defaults
        .keys()
        .find(|key| key.get_ref() == "maintenance")
        .cloned()
    else {
        return Ok(Vec::new());
    };
    let Some(value) = defaults.remove(&key) else {
        return Ok(Vec::new());
    };
    let span = value.span();
    let raw: Vec<RawWindow> = value.into_inner().try_into().map_err(|error| {
        at.error(
            &span,
            None,
            format!(
                "`maintenance` in `[defaults]`: {error} (write maintenance = [{{ cron = \"0 3 * * sun\", for = \"2h\", tz = \"Europe/Berlin\" }}])"
            ),
        )
    })?;
    windows(at, &span, raw, "`[defaults]`")
}
