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
