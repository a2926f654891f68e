//! `cachet-check components`: the components Cachet has, to find the ids a config needs.

use anyhow::Result;

use super::{endpoint, load_optional_config};
use crate::cachet::Client;
use crate::cli::GlobalArgs;
use crate::deadline::Deadline;
use crate::output::{ListedComponent, Listing, Printer};
use crate::status::Status;

/// Lists the components Cachet shows this token.
pub fn components(global: &GlobalArgs, printer: Printer) -> Result<Listing> {
    let deadline = Deadline::after(global.timeout);
    let config = load_optional_config(global)?;
    let endpoint = endpoint(global, config.as_ref(), false)?;
    let client = Client::connect(endpoint, printer.trace(), deadline, None)?;
    let components = client
        .list_components()?
        .into_iter()
        .map(|listed| {
            let c = listed.component;
            let status_label = Status::from_id(c.status).map_or_else(
                || c.status_word().replace('_', " "),
                |status| status.label().to_owned(),
            );
            ListedComponent {
                id: c.id,
                status: c.status_word(),
                status_id: c.status,
                enabled: c.enabled,
                group_id: listed.group,
                status_label,
                name: c.name,
            }
        })
        .collect();
    Ok(Listing { components })
}
