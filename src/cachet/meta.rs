//! A component's `meta` (cachet-api.md §3.4, "Observed on real servers"): where the state
//! every host shares lives under `cachet_check` — the maintenance marker (SPEC §10), the votes
//! and run stamps of many vantage points (SPEC §11). 2.4 shows it in every component answer and
//! replaces it whole on a PUT; 3.x shows it with `include=meta` on the cores that keep it and
//! replaces it whole on a PUT too (a744c708 drops it and refuses the include); 2.3
//! has none. Every write is a read-merge-write that keeps every other key.

use serde_json::{Map, Value, json};

use super::transport::Call;
use super::{CachetError, Client, RemoteComponent};

/// A component's `meta`, or why the server keeps none.
pub enum Meta {
    Kept(Map<String, Value>),
    NotKept(String),
}

impl Client {
    /// The component's `meta` (2.4 shows it, 3.x with `include=meta` on the cores that keep it).
    pub fn read_meta(&self, id: u64) -> Result<Meta, CachetError> {
        let (path, pointer) = self.dialect.meta_at(id);
        match self.get(&path) {
            Ok(body) => Ok(match body.pointer(pointer) {
                // `{}` reads back as `[]` on 2.4, and a component never written has `null`.
                Some(meta) => Meta::Kept(meta.as_object().cloned().unwrap_or_default()),
                None => Meta::NotKept(
                    "its components have no `meta` (Cachet 2.3, or a core without it)".to_owned(),
                ),
            }),
            Err(CachetError::Rejected {
                status: 400,
                message,
                ..
            }) => Ok(Meta::NotKept(format!(
                "it refuses `include=meta` (\"{message}\"): this 3.x core drops component meta"
            ))),
            Err(error) => Err(error),
        }
    }

    /// Sets `meta.cachet_check.<key>` (`None` removes it) in `meta` as read, and writes it
    /// back whole with the component's `enabled`: a PUT replaces `meta`, so every other key is
    /// kept as it was read.
    pub fn write_ours(
        &self,
        component: &RemoteComponent,
        mut meta: Map<String, Value>,
        key: &str,
        value: Option<Value>,
    ) -> Result<(), CachetError> {
        let ours = meta.entry("cachet_check").or_insert_with(|| json!({}));
        if !ours.is_object() {
            *ours = json!({});
        }
        if let Some(ours) = ours.as_object_mut() {
            match value {
                Some(value) => {
                    ours.insert(key.to_owned(), value);
                }
                None => {
                    ours.remove(key);
                }
            }
        }
        self.write_meta(component, &meta)
    }

    /// Writes `meta` whole (a PUT replaces it) with the component's `enabled`.
    pub fn write_meta(
        &self,
        component: &RemoteComponent,
        meta: &Map<String, Value>,
    ) -> Result<(), CachetError> {
        self.put_component(
            component,
            &json!({ "meta": meta, "enabled": component.enabled }),
        )
    }

    /// Shows the component as of unknown status (2.x 0, 3.x 5): nobody has checked it lately.
    pub fn set_unknown(&self, component: &RemoteComponent) -> Result<(), CachetError> {
        let body = json!({ "status": self.dialect.unknown_id(), "enabled": component.enabled });
        self.put_component(component, &body)
    }

    /// `PUT /components/{id}` with `body`, which carries the component's `enabled` (a 3.x core
    /// re-enables a component a PUT leaves it out of).
    fn put_component(&self, component: &RemoteComponent, body: &Value) -> Result<(), CachetError> {
        let path = format!("/components/{}", component.id);
        self.send(&Call::new("PUT", &path, Some(body), "components.manage"))
            .map(|_| ())
    }

    /// Cachet's status id for unknown on this server's line.
    pub fn unknown_id(&self) -> u64 {
        self.dialect.unknown_id()
    }
}
