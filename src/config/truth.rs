//! The keys of SPEC §10 (a status page that tells the truth) as the config writes them:
//! `witnesses` (top level or per component).

use toml::Spanned;

use super::error::{ConfigError, Locator};
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
    raw: Option<Spanned<super::raw::RawHeartbeat>>,
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
