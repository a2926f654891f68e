//! `cachet-check maintenance start|end|list` (SPEC §10): maintenance for deploy pipelines and
//! people. `start` writes the marker every host's runs see into each component's `meta` (2.4,
//! and the 3.x cores that keep `meta`) and creates a Cachet schedule as the public notice
//! (2.4: page-wide, in progress; 3.x: listing the components, "under maintenance"); both end by
//! themselves. `end` clears the markers and ends the schedules early; `list` shows what is in
//! progress and the config's next windows.

use std::time::Duration;

use anyhow::{Result, bail};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use super::{endpoint, load_optional_config, resolve};
use crate::cachet::{Client, Meta, NewSchedule, RemoteComponent};
use crate::cli::{GlobalArgs, MaintenanceAction};
use crate::config::{Config, Target};
use crate::deadline::Deadline;
use crate::output::{Maintenance, Printer, WindowLine};
use crate::settle::maintenance::{MARKER, Marker, describe_marker, marker_in};
use crate::window::utc;

pub fn maintenance(
    global: &GlobalArgs,
    action: &MaintenanceAction,
    printer: Printer,
) -> Result<Maintenance> {
    let deadline = Deadline::after(global.timeout);
    let config = load_optional_config(global)?;
    let writes = !matches!(action, MaintenanceAction::List) && !global.dry_run;
    let endpoint = endpoint(global, config.as_ref(), writes)?;
    let client = Client::connect(endpoint, printer.trace(), deadline, None)?;
    let zone = config
        .as_ref()
        .and_then(|config| config.cachet.time_zone.clone())
        .unwrap_or(TimeZone::UTC);
    let on = Server {
        client: &client,
        config: config.as_ref(),
        zone: &zone,
        dry_run: global.dry_run,
    };
    match action {
        MaintenanceAction::Start {
            components,
            length,
            message,
        } => on.start(components, *length, message),
        MaintenanceAction::End { components } => on.end(components),
        MaintenanceAction::List => on.list(),
    }
}

struct Server<'a> {
    client: &'a Client,
    config: Option<&'a Config>,
    zone: &'a TimeZone,
    dry_run: bool,
}

impl Server<'_> {
    /// The components named: (the name to show, as Cachet shows it with its `meta`).
    fn components(&self, names: &[String]) -> Result<Vec<(String, RemoteComponent, Meta)>> {
        names
            .iter()
            .map(|name| {
                let configured = self.config.and_then(|config| config.find(name));
                let target = configured.map_or_else(|| Target::named(name), |c| c.target.clone());
                let remote = resolve(self.client, &target)?;
                let meta = match &remote.meta {
                    Some(meta) => Meta::Kept(meta.as_object().cloned().unwrap_or_default()),
                    None => self.client.read_meta(remote.id)?,
                };
                let shown = configured.map_or_else(|| remote.name.clone(), |c| c.name.clone());
                Ok((shown, remote, meta))
            })
            .collect()
    }

    fn start(&self, names: &[String], length: Duration, message: &str) -> Result<Maintenance> {
        let components = self.components(names)?;
        if !self.client.dialect().schedules_list_components()
            && components
                .iter()
                .all(|(_, _, meta)| matches!(meta, Meta::NotKept(_)))
        {
            bail!(
                "this Cachet keeps neither component meta nor schedules (Cachet 2.3?): use config windows, `maintenance = [{{ cron = \"…\", for = \"…\", tz = \"…\" }}]` on the component"
            );
        }
        let now = Timestamp::now();
        let until = now.checked_add(jiff::SignedDuration::try_from(length)?)?;
        let mut report = Maintenance {
            windows: Vec::new(),
            notes: Vec::new(),
        };
        let ids: Vec<u64> = components.iter().map(|(_, remote, _)| remote.id).collect();
        let page_wide = !self.client.dialect().schedules_list_components();
        let whom = |report_name: Option<String>| if page_wide { None } else { report_name };
        let all_names = components
            .iter()
            .map(|(name, _, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let schedule = self.notice(&ids, now, until, message, &mut report);
        report.windows.push(WindowLine {
            component: whom(Some(all_names)),
            source: "schedule",
            from: Some(utc(now)),
            until: Some(utc(until)),
            detail: match schedule {
                Some(id) => format!("schedule #{id} created: {message}"),
                None if self.dry_run => format!("would create a schedule: {message} [dry run]"),
                None => "not created".to_owned(),
            },
        });
        let marker = Marker {
            until: until.as_second(),
            message: message.to_owned(),
            schedule,
        };
        let mut marked = 0;
        for (name, remote, meta) in components {
            let detail = match meta {
                Meta::NotKept(why) => {
                    report.notes.push(format!(
                        "`{name}`: no marker, this server keeps no component meta: {why}"
                    ));
                    continue;
                }
                Meta::Kept(_) if self.dry_run => "would write the marker [dry run]".to_owned(),
                Meta::Kept(meta) => {
                    self.client
                        .write_ours(&remote, meta, MARKER, Some(json!(marker)))?;
                    "marker written: every host's runs see it".to_owned()
                }
            };
            marked += 1;
            report.windows.push(WindowLine {
                component: Some(name),
                source: "marker",
                from: Some(utc(now)),
                until: Some(utc(until)),
                detail,
            });
        }
        if marked == 0 && schedule.is_none() && !self.dry_run {
            bail!(
                "this Cachet keeps neither component meta nor schedules (Cachet 2.3?): use config windows, `maintenance = [{{ cron = \"…\", for = \"…\", tz = \"…\" }}]` on the component"
            );
        }
        if marked == 0 && page_wide && !self.dry_run {
            report.notes.push(
                "on Cachet 2.x the schedule does not name components: without a marker, runs do not know of this maintenance".to_owned(),
            );
        }
        Ok(report)
    }

    /// The public notice: a schedule of the components `ids` from `now` to `until`. A schedule
    /// the server refuses is a note, not an error: the markers still hold the runs.
    fn notice(
        &self,
        ids: &[u64],
        now: Timestamp,
        until: Timestamp,
        message: &str,
        report: &mut Maintenance,
    ) -> Option<u64> {
        if self.dry_run {
            return None;
        }
        let new = NewSchedule {
            name: message,
            message,
            starts: now,
            ends: until,
            components: ids,
            notify: self
                .config
                .is_none_or(|config| config.cachet.notify_subscribers),
        };
        match self.client.create_schedule(&new, self.zone) {
            Ok(id) => Some(id),
            Err(error) => {
                report
                    .notes
                    .push(format!("no Cachet schedule was created: {error}"));
                None
            }
        }
    }

    fn end(&self, names: &[String]) -> Result<Maintenance> {
        let components = self.components(names)?;
        let mut report = Maintenance {
            windows: Vec::new(),
            notes: Vec::new(),
        };
        let open = if self.client.dialect().schedules_list_components() {
            self.client.open_schedules()?
        } else {
            Vec::new()
        };
        let mut ended: Vec<u64> = Vec::new();
        for (name, remote, meta) in components {
            let mut done = Vec::new();
            let marker = match &meta {
                Meta::Kept(meta) => marker_in(&Value::Object(meta.clone())),
                Meta::NotKept(_) => None,
            };
            let mut schedules: Vec<u64> = marker.iter().filter_map(|m| m.schedule).collect();
            schedules.extend(
                open.iter()
                    .filter(|s| s.status == 1 && s.components.contains(&remote.id))
                    .map(|s| s.id),
            );
            for id in schedules {
                if ended.contains(&id) {
                    continue;
                }
                if !self.dry_run {
                    self.client.end_schedule(id, self.zone)?;
                }
                ended.push(id);
                done.push(format!("schedule #{id} ended"));
            }
            if let (Some(_), Meta::Kept(meta)) = (&marker, meta) {
                if !self.dry_run {
                    self.client.write_ours(&remote, meta, MARKER, None)?;
                }
                done.push("marker cleared".to_owned());
            }
            let detail = if done.is_empty() {
                "was not in maintenance".to_owned()
            } else if self.dry_run {
                format!("would be ended: {} [dry run]", done.join(", "))
            } else {
                format!("maintenance ended: {}", done.join(", "))
            };
            report.windows.push(WindowLine {
                component: Some(name),
                source: "marker",
                from: None,
                until: None,
                detail,
            });
        }
        Ok(report)
    }

    fn list(&self) -> Result<Maintenance> {
        let now = Timestamp::now();
        let mut report = Maintenance {
            windows: Vec::new(),
            notes: Vec::new(),
        };
        for schedule in self.client.open_schedules()? {
            let names = self.names_of(&schedule.components);
            report.windows.push(WindowLine {
                component: (!names.is_empty()).then(|| names.join(", ")),
                source: "schedule",
                from: schedule.starts.clone(),
                until: schedule.ends.clone(),
                detail: format!(
                    "#{} {} ({})",
                    schedule.id,
                    schedule.name,
                    if schedule.status == 1 {
                        "in progress"
                    } else {
                        "upcoming"
                    }
                ),
            });
        }
        let Some(config) = self.config else {
            report.notes.push(
                "no config: markers and config windows of components are not listed".to_owned(),
            );
            return Ok(report);
        };
        for component in &config.components {
            if let Ok(remote) = resolve(self.client, &component.target)
                && let Some(marker) = remote
                    .meta
                    .as_ref()
                    .and_then(marker_in)
                    .filter(|marker| marker.until > now.as_second())
            {
                report.windows.push(WindowLine {
                    component: Some(component.name.clone()),
                    source: "marker",
                    from: None,
                    until: Some(utc(Timestamp::from_second(marker.until)?)),
                    detail: describe_marker(&marker),
                });
            }
            for window in &component.maintenance {
                let (from, until, state) = match window.open_at(now) {
                    Some(end) => (None, Some(end), "open now"),
                    None => match window.next_after(now) {
                        Some((start, end)) => (Some(start), Some(end), "next"),
                        None => (None, None, "never opens again"),
                    },
                };
                report.windows.push(WindowLine {
                    component: Some(component.name.clone()),
                    source: "config window",
                    from: from.map(utc),
                    until: until.map(utc),
                    detail: format!(
                        "{} ({state}{})",
                        window.text,
                        from.map_or_else(String::new, |start| format!(", {}", window.local(start)))
                    ),
                });
            }
        }
        Ok(report)
    }

    /// The config names of the Cachet components `ids`, else their ids.
    fn names_of(&self, ids: &[u64]) -> Vec<String> {
        ids.iter()
            .map(|id| {
                self.config
                    .and_then(|config| config.find(&id.to_string()))
                    .map_or_else(|| format!("#{id}"), |c| c.name.clone())
            })
            .collect()
    }
}
