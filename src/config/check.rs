//! One `[[components.NAME.checks]]` table into a `CheckSpec`: the keys every check takes
//! (`name`, `type`, `timeout`, `slow_after`, `on_failure`, `retries`, `retry_delay`,
//! `samples`) are read
//! here; the rest belong to the check's kind (`check::KINDS`), which builds its spec from them.
//! `[defaults]` stands behind every check, for the keys its kind takes.

use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use toml::Spanned;

use super::error::{ConfigError, Locator};
use super::{DEFAULT_CHECK_TIMEOUT, DEFAULT_RETRY_DELAY};
use crate::check::{CheckSpec, KINDS, Kind};
use crate::keys::{AnyKey, Entries, HumanDuration, Key, Keys};
use crate::status::OutcomeKind;

const NAME: Key<String> = Key::new("name");
const TYPE: Key<KindOf> = Key::new("type");
const TIMEOUT: Key<HumanDuration> = Key::new("timeout");
const SLOW_AFTER: Key<HumanDuration> = Key::new("slow_after");
const ON_FAILURE: Key<OnFailure> = Key::new("on_failure");
const RETRIES: Key<u32> = Key::new("retries");
const RETRY_DELAY: Key<HumanDuration> = Key::new("retry_delay");
const SAMPLES: Key<u32> = Key::new("samples");

/// The most `samples` a check takes: each runs within the check's `timeout`.
const MAX_SAMPLES: u32 = 100;

/// The keys every check takes, whatever its kind.
const COMMON: [&dyn AnyKey; 8] = [
    &NAME,
    &TYPE,
    &TIMEOUT,
    &SLOW_AFTER,
    &ON_FAILURE,
    &RETRIES,
    &RETRY_DELAY,
    &SAMPLES,
];

/// `type = "http"`: one of the kinds.
struct KindOf(&'static Kind);

impl<'de> Deserialize<'de> for KindOf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KindOf, D::Error> {
        let word = String::deserialize(deserializer)?;
        Kind::named(&word).map(KindOf).ok_or_else(|| {
            de::Error::custom(format!(
                "unknown variant `{word}`, expected one of {}",
                kind_words("`")
            ))
        })
    }
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum OnFailure {
    Degraded,
    Fail,
    /// A partial outage of the component, never more by itself.
    Partial,
    Down,
}

/// The kinds' words, each between `quote`s: "`http`, `tcp`, …".
fn kind_words(quote: &str) -> String {
    KINDS
        .iter()
        .map(|kind| format!("{quote}{}{quote}", kind.word))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every key a check may hold, common ones first, each once.
fn every_key() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    let declared = COMMON
        .iter()
        .copied()
        .chain(KINDS.iter().flat_map(|kind| kind.keys()));
    for key in declared {
        if !names.contains(&key.name()) {
            names.push(key.name());
        }
    }
    names
}

/// The key of any kind named `name`.
fn declared(name: &str) -> Option<&'static dyn AnyKey> {
    COMMON
        .iter()
        .copied()
        .chain(KINDS.iter().flat_map(|kind| kind.keys()))
        .find(|key| key.name() == name)
}

/// Checks `[defaults]`: no `type` or `name`, only keys some check takes, values that read.
pub(super) fn check_defaults(at: &Locator, defaults: &Spanned<Entries>) -> Result<(), ConfigError> {
    for key in [TYPE.name, NAME.name] {
        if defaults.get_ref().contains_key(key) {
            return Err(at.error(
                &defaults.span(),
                Some(key),
                format!("`{key}` cannot be set in `[defaults]`: set it on each check"),
            ));
        }
    }
    for (key, value) in defaults.get_ref() {
        let Some(declared) = declared(key.get_ref()) else {
            return Err(at.unknown_key(key, &every_key()));
        };
        declared
            .check(value.get_ref())
            .map_err(|message| at.value_error(value.span().start, &message))?;
    }
    Ok(())
}

/// The check's kind, once every key it writes is one the kind (or every check) takes.
fn kind_of(
    at: &Locator,
    span: &Range<usize>,
    keys: &mut Keys,
) -> Result<&'static Kind, ConfigError> {
    let table = keys.table;
    let common = |name: &str| COMMON.iter().any(|key| key.name() == name);
    let kind = keys.take(&TYPE);
    // Most checks are right: every key they write is common or their kind's.
    if let Ok(Some(KindOf(kind))) = kind
        && keys
            .first_written(|key| !common(key) && !kind.takes(key))
            .is_none()
    {
        return Ok(kind);
    }
    // Otherwise the first thing to fix, in this order: a key no check takes, the `type`, a key
    // of another kind.
    if let Some(unknown) = keys.first_written(|key| declared(key).is_none()) {
        return Err(at.unknown_key(unknown, &every_key()));
    }
    let Some(KindOf(kind)) = kind.map_err(|error| at.key_error(span, error))? else {
        return Err(at.error(
            span,
            None,
            format!(
                "a check in `{table}` has no `type`: use one of {}",
                kind_words("\"")
            ),
        ));
    };
    let key = keys.first_written(|key| !common(key) && !kind.takes(key));
    let name = key.map_or("", |key| key.get_ref().as_str());
    Err(at.error(
        span,
        Some(name),
        format!(
            "`{name}` does not apply to a `{}` check (in `{table}`)",
            kind.word
        ),
    ))
}

pub(super) fn build_check(
    at: &Locator,
    component: &str,
    span: &Range<usize>,
    entries: Entries,
    defaults: &Entries,
) -> Result<CheckSpec, ConfigError> {
    let table = format!("[[components.{component}.checks]]");
    let mut keys = Keys::new(entries, defaults, at.file, &table);
    let place = |error| at.key_error(span, error);
    let kind = kind_of(at, span, &mut keys)?;
    keys.kind = kind.word;
    // A `dns` check's `name` is the name it looks up (SPEC §5); it is called `dns RECORD NAME`.
    let name = if kind.takes(NAME.name) {
        None
    } else {
        keys.take(&NAME).map_err(place)?
    };
    let timeout = keys
        .take(&TIMEOUT)
        .map_err(place)?
        .map_or(DEFAULT_CHECK_TIMEOUT, |t| t.0);
    if timeout.is_zero() {
        return Err(at.error(
            span,
            Some(TIMEOUT.name),
            format!("`timeout` in `{table}` must be longer than zero"),
        ));
    }
    let slow_after = keys.take(&SLOW_AFTER).map_err(place)?.map(|d| d.0);
    let on_failure = match keys.take(&ON_FAILURE).map_err(place)? {
        Some(OnFailure::Degraded) => OutcomeKind::Degraded,
        Some(OnFailure::Fail) | None => OutcomeKind::Fail,
        Some(OnFailure::Partial) => OutcomeKind::Partial,
        Some(OnFailure::Down) => OutcomeKind::Down,
    };
    let retries = keys.take(&RETRIES).map_err(place)?.unwrap_or(0);
    let retry_delay = keys
        .take(&RETRY_DELAY)
        .map_err(place)?
        .map_or(DEFAULT_RETRY_DELAY, |d| d.0);
    let samples = keys.take(&SAMPLES).map_err(place)?.unwrap_or(1);
    if !(1..=MAX_SAMPLES).contains(&samples) {
        return Err(at.error(
            span,
            Some(SAMPLES.name),
            format!("`samples` in `{table}` must be between 1 and {MAX_SAMPLES}"),
        ));
    }
    let built = (kind.build)(&mut keys).map_err(place)?;
    debug_assert!(
        keys.all_read(),
        "the `{}` kind did not read every key it declares",
        kind.word
    );
    Ok(CheckSpec {
        name: name.unwrap_or_else(|| format!("{} {}", kind.word, built.called)),
        timeout,
        slow_after,
        on_failure,
        retries,
        retry_delay,
        samples,
        kind: kind.word,
        probe: built.probe,
    })
}
