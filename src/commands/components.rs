//! `cachet-check components`: the components Cachet has, to find the ids a config needs.

use std::fmt::Write;

use anyhow::Result;
use serde_json::{Value, json};

use super::{endpoint, load_optional_config};
use crate::cachet::{Client, yes_no};
use crate::cli::{Format, GlobalArgs};
use crate::deadline::Deadline;
use crate::output::Printer;
use crate::status::Status;
use crate::text::sanitize;

/// Lists the components; returns the text or JSON to print.
pub fn components(global: &GlobalArgs, printer: Printer) -> Result<String> {
    let deadline = Deadline::after(global.timeout);
    let config = load_optional_config(global)?;
    let endpoint = endpoint(global, config.as_ref(), false)?;
    let client = Client::connect(endpoint, printer.trace(), deadline, None)?;
    let listed = client.list_components()?;
    if printer.format == Format::Json {
        let components: Vec<Value> = listed
            .iter()
            .map(|listed| {
                let c = &listed.component;
                json!({
                    "id": c.id,
                    "name": c.name,
                    "status": c.status_word(),
                    "status_id": c.status,
                    "enabled": c.enabled,
                    "group_id": listed.group,
                })
            })
            .collect();
        return Ok(format!("{}\n", json!({ "components": components })));
    }
    let mut text = format!(
        "{:>5}  {:<20} {:<8} {:>5}  NAME\n",
        "ID", "STATUS", "ENABLED", "GROUP"
    );
    for listed in &listed {
        let c = &listed.component;
        let status = Status::from_id(c.status).map_or_else(
            || c.status_word().replace('_', " "),
            |status| status.label().to_owned(),
        );
        let group = listed
            .group
            .map_or_else(|| "-".to_owned(), |g| g.to_string());
        let _ = writeln!(
            text,
            "{:>5}  {:<20} {:<8} {:>5}  {}",
            c.id,
            status,
            yes_no(c.enabled),
            group,
            sanitize(&c.name)
        );
    }
    if listed.is_empty() {
        text.push_str("(no components: Cachet lists none to this token)\n");
    }
    Ok(text)
}
