//! `cachet-check set COMPONENT STATUS`: push a status by hand (SPEC §2). It replaces the usual
//! `curl -XPUT …/api/v1/components/2 -d status=3` script and works without a config.

use anyhow::{Result, anyhow};

use super::{endpoint, load_optional_config, resolve};
use crate::cachet::Client;
use crate::cli::GlobalArgs;
use crate::config::Target;
use crate::deadline::Deadline;
use crate::exit::Exit;
use crate::output::{ComponentReport, Printer, Report};
use crate::status::Status;

pub fn set(
    global: &GlobalArgs,
    component: &str,
    status: Status,
    printer: Printer,
) -> Result<Report> {
    let deadline = Deadline::after(global.timeout);
    let config = load_optional_config(global)?;
    let endpoint = endpoint(global, config.as_ref(), !global.dry_run)?;
    let client = Client::connect(endpoint, printer.trace(), deadline, None)?;

    // A configured component first, then a number as a Cachet id, then an exact Cachet name.
    let configured = config.as_ref().and_then(|config| config.find(component));
    let target = configured.map_or_else(|| Target::named(component), |c| c.target.clone());
    let remote = resolve(&client, &target)?;

    let name = configured.map_or(remote.name.as_str(), |c| c.name.as_str());
    let mut report = ComponentReport::new(name, status);
    report.id = Some(remote.id);
    report.previous_status = Some(remote.status_word());
    if !global.dry_run {
        crate::settle::push(&client, &remote, status, global.force, &mut report);
        if let Some(error) = report.push_error.take() {
            return Err(anyhow!(error).context(format!(
                "setting `{}` to {}",
                report.name,
                status.label()
            )));
        }
    }
    Ok(Report {
        status: Some(status),
        exit: Exit::Ok,
        dry_run: global.dry_run,
        components: vec![report],
        witnesses: Vec::new(),
        error: None,
    })
}
