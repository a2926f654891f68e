//! What `components` and `doctor` ask Cachet: the component list, the version, whether the
//! token may write, whether a metric exists.

use serde_json::json;

use super::{CachetError, Call, Client, Dialect, RemoteComponent, items, number, v2, v3};

/// Pages read when listing, at 100 components each.
const MAX_PAGES: u32 = 100;

/// A component as `components` lists it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub component: RemoteComponent,
    pub group: Option<u64>,
}

impl Client {
    /// Every component the token may see: 2.x pages by `page`; 3.x by `links.next`, once for
    /// the enabled components and once for the disabled ones (3.x lists only enabled ones
    /// unless asked, cachet-api.md §3.4).
    pub fn list_components(&self) -> Result<Vec<Listed>, CachetError> {
        let mut listed = Vec::new();
        match self.dialect {
            Dialect::V2 => {
                for page in 1..=MAX_PAGES {
                    let body = self.get(&format!("/components?per_page=100&page={page}"))?;
                    for data in items(&body) {
                        if let Some(component) = v2::parse(data) {
                            let group = number(data.get("group_id")).filter(|g| *g != 0);
                            listed.push(Listed { component, group });
                        }
                    }
                    let pages = number(body.pointer("/meta/pagination/total_pages")).unwrap_or(1);
                    if u64::from(page) >= pages {
                        break;
                    }
                }
            }
            Dialect::V3 => {
                let filters: &[&str] = if self.token.is_some() {
                    &["", "&filter%5Benabled%5D=0"]
                } else {
                    &[""]
                };
                for filter in filters {
                    for page in 1..=MAX_PAGES {
                        let body = self.get(&format!(
                            "/components?per_page=100&page={page}&include=group{filter}"
                        ))?;
                        for data in items(&body) {
                            if let Some(component) = v3::parse(data) {
                                let group = number(data.pointer("/relationships/group/data/id"));
                                listed.push(Listed { component, group });
                            }
                        }
                        if !v3::has_next(&body) {
                            break;
                        }
                    }
                }
            }
        }
        listed.sort_by_key(|listed| listed.component.id);
        listed.dedup_by_key(|listed| listed.component.id);
        Ok(listed)
    }

    /// The version Cachet reports (2.x's may fail offline: it asks GitHub, cachet-api.md §2.10).
    pub fn version(&self) -> Option<String> {
        let body = self.get("/version").ok()?;
        let data = body.get("data")?;
        data.as_str()
            .or_else(|| data.get("version")?.as_str())
            .map(str::to_owned)
    }

    /// Whether the token may write, without changing anything. 2.x: a read that needs a token
    /// (`/subscribers`; other reads accept any token). 3.x: an empty PUT of `component`, which
    /// changes nothing and needs `components.manage`; `None` when 3.x has no component to ask.
    pub fn check_token(&self, component: Option<u64>) -> Option<Result<(), CachetError>> {
        let answer = match (self.dialect, component) {
            (Dialect::V2, _) => self.get("/subscribers"),
            (Dialect::V3, Some(id)) => self.send_once(&Call {
                method: "PUT",
                path: &format!("/components/{id}"),
                body: Some(&json!({})),
                ability: "components.manage",
            }),
            (Dialect::V3, None) => return None,
        };
        Some(answer.map(|_| ()))
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether metric `id` exists.
    pub fn metric_exists(&self, id: u64) -> Result<(), CachetError> {
        self.get(&format!("/metrics/{id}"))
            .map(|_| ())
            .map_err(|error| match error {
                CachetError::NotFound { url, .. } => CachetError::NotFound {
                    what: format!("metric {id}"),
                    url,
                },
                other => other,
            })
    }
}

/// `enabled` of a listed component in words.
pub fn yes_no(enabled: bool) -> &'static str {
    if enabled { "yes" } else { "no" }
}
