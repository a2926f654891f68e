//! What `components` and `doctor` ask Cachet: the component list, the version, whether the
//! token may write, whether a metric exists.

use serde_json::json;

use super::answer::number;
use super::meta::Meta;
use super::{CachetError, Client, RemoteComponent};

/// How long `version` waits for `/version`.
const VERSION_PROBE_LIMIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Whether the server keeps a component's `meta` (where SPEC §10's maintenance marker and
/// §11's votes and stamps live).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetaSupport {
    Kept,
    /// Why not, in the server's own words where it gave some.
    NotKept(String),
}

/// A component as `components` lists it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub component: RemoteComponent,
    pub group: Option<u64>,
}

impl Client {
    /// Every component the token may see, as the API line pages them.
    pub fn list_components(&self) -> Result<Vec<Listed>, CachetError> {
        self.list_components_until(|_| false)
    }

    /// The components, page by page, until `enough` says the ones listed so far will do (a
    /// run that looks for its own few components stops at the page that holds the last one).
    pub fn list_components_until(
        &self,
        mut enough: impl FnMut(&[Listed]) -> bool,
    ) -> Result<Vec<Listed>, CachetError> {
        let mut listed = self.dialect.list_components(self, &mut enough)?;
        listed.sort_by_key(|listed| listed.component.id);
        listed.dedup_by_key(|listed| listed.component.id);
        Ok(listed)
    }

    /// The version Cachet reports. 2.4 asks GitHub for the latest release before answering:
    /// behind a firewall that drops packets it stalls, so this probe has a few seconds of its
    /// own and the caller goes on without it.
    pub fn version(&self) -> Option<String> {
        let body = self.probe("/version", Some(VERSION_PROBE_LIMIT)).ok()?;
        let data = body.get("data")?;
        data.as_str()
            .or_else(|| data.get("version")?.as_str())
            .map(str::to_owned)
    }

    /// Whether the token may write, without changing anything, as the API line can tell;
    /// `None` when it needs a component to ask and has none.
    pub fn check_token(
        &self,
        component: Option<&RemoteComponent>,
    ) -> Option<Result<(), CachetError>> {
        self.dialect.check_token(self, component)
    }

    /// Whether the server keeps component `meta`, found out on `component`: read (2.4 shows
    /// `data.meta`, 2.3 has none; a 3.x core that keeps it shows it with `include=meta`, one
    /// that does not — a744c708, 2026-06 — refuses that include with 400), then, with a token,
    /// written back with `cachet_check.checked_at` stamped in and read again, for a server that
    /// shows `meta` but drops what is written to it. The write keeps every other key (a PUT
    /// replaces `meta` whole) and the component's `enabled`.
    pub fn meta_support(&self, component: &RemoteComponent) -> Result<MetaSupport, CachetError> {
        let meta = match self.read_meta(component.id)? {
            Meta::Kept(meta) => meta,
            Meta::NotKept(why) => return Ok(MetaSupport::NotKept(why)),
        };
        if self.token.is_none() {
            return Ok(MetaSupport::Kept);
        }
        let stamp = crate::deadline::unix_now();
        self.write_ours(component, meta, "checked_at", Some(json!(stamp)))?;
        let (path, pointer) = self.dialect.meta_at(component.id);
        let kept = self.get(&path)?;
        let back = kept.pointer(&format!("{pointer}/cachet_check/checked_at"));
        if back.and_then(serde_json::Value::as_i64) == Some(stamp) {
            Ok(MetaSupport::Kept)
        } else {
            Ok(MetaSupport::NotKept(
                "it accepted a write of `meta` and dropped it".to_owned(),
            ))
        }
    }

    /// The requests a minute the server allows this key, when its answers said
    /// (`X-RateLimit-Limit`).
    pub fn rate_limit(&self) -> Option<u64> {
        match self.rate_limit.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            limit => Some(limit),
        }
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// A digest of this server and token, to remember a verdict on the token by without
    /// writing the token down; `None` without a token.
    pub fn token_key(&self) -> Option<String> {
        let token = self.token.as_ref()?;
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        context.update(self.base.as_bytes());
        context.update(b"\n");
        context.update(token.expose().as_bytes());
        let digest = context.finish();
        Some(
            digest
                .as_ref()
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect(),
        )
    }

    /// Metric `id`'s `threshold` in minutes (how close in time 3.x merges points), when it
    /// exists; an error when it does not.
    pub fn metric_threshold(&self, id: u64) -> Result<Option<u64>, CachetError> {
        self.get(&format!("/metrics/{id}"))
            .map(|body| {
                let data = body.get("data");
                number(data.and_then(|d| {
                    d.get("threshold")
                        .or_else(|| d.get("attributes")?.get("threshold"))
                }))
            })
            .map_err(|error| match error {
                CachetError::NotFound { url, .. } => CachetError::NotFound {
                    what: format!("metric {id}"),
                    url,
                },
                other => other,
            })
    }
}
