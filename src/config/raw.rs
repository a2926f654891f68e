//! The config as written: serde types where every key is optional, checked only for what a
//! value can say about itself. A check stays a table of keys (`keys::Entries`) until its kind
//! reads them. `build.rs` turns them into `Config`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::keys::{Entries, HumanDuration};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) state_dir: Option<PathBuf>,
    pub(super) witnesses: Option<Spanned<Vec<String>>>,
    pub(super) metrics_file: Option<PathBuf>,
    pub(super) vantage: Option<Spanned<String>>,
    pub(super) stamp_every: Option<Spanned<HumanDuration>>,
    pub(super) heartbeat: Option<Spanned<RawHeartbeat>>,
    pub(super) cachet: Option<RawCachet>,
    pub(super) defaults: Option<Spanned<Entries>>,
    #[serde(default)]
    pub(super) components: BTreeMap<String, Spanned<RawComponent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHeartbeat {
    pub(super) url: Spanned<String>,
    pub(super) kind: Option<Spanned<String>>,
    pub(super) token_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCachet {
    pub(super) url: Option<Spanned<String>>,
    pub(super) token_file: Option<PathBuf>,
    pub(super) api: Option<Spanned<String>>,
    pub(super) notify_subscribers: Option<bool>,
    pub(super) time_zone: Option<Spanned<String>>,
    pub(super) client_cert: Option<Spanned<PathBuf>>,
    pub(super) client_key: Option<Spanned<PathBuf>>,
    pub(super) proxy: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawComponent {
    pub(super) id: Option<u64>,
    pub(super) cachet_name: Option<String>,
    pub(super) confirm: Option<u32>,
    pub(super) confirm_recovery: Option<u32>,
    pub(super) quorum: Option<Spanned<u32>>,
    pub(super) vote_ttl: Option<HumanDuration>,
    pub(super) depends_on: Option<Spanned<Vec<String>>>,
    pub(super) maintenance: Option<Spanned<Vec<RawWindow>>>,
    pub(super) witnesses: Option<Spanned<Vec<String>>>,
    pub(super) metric: Option<u64>,
    pub(super) incident: Option<RawIncident>,
    pub(super) monit_service: Option<String>,
    pub(super) monit_status: Option<String>,
    #[serde(default)]
    pub(super) checks: Vec<Spanned<Entries>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIncident {
    pub(super) name: String,
    pub(super) message: Option<String>,
    pub(super) visible: Option<bool>,
    pub(super) notify: Option<bool>,
}

/// One `maintenance` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWindow {
    pub(super) cron: String,
    #[serde(rename = "for")]
    pub(super) length: String,
    pub(super) tz: Option<String>,
}
