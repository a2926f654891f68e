//! What `components` prints: the components Cachet has, to find the ids a config needs.

use std::fmt::Write;

use serde::Serialize;

use super::Render;
use crate::text::sanitize;

#[derive(Serialize)]
pub struct Listing {
    pub components: Vec<ListedComponent>,
}

#[derive(Serialize)]
pub struct ListedComponent {
    pub id: u64,
    pub name: String,
    /// The JSON word of its status (SPEC §9), or Cachet's own state.
    pub status: String,
    /// Cachet's status number.
    pub status_id: u64,
    pub enabled: bool,
    pub group_id: Option<u64>,
    /// The status as the table shows it: "partial outage".
    #[serde(skip)]
    pub status_label: String,
}

impl Render for Listing {
    fn text(&self) -> String {
        let mut text = format!(
            "{:>5}  {:<20} {:<8} {:>5}  NAME\n",
            "ID", "STATUS", "ENABLED", "GROUP"
        );
        for c in &self.components {
            let group = c.group_id.map_or_else(|| "-".to_owned(), |g| g.to_string());
            let _ = writeln!(
                text,
                "{:>5}  {:<20} {:<8} {:>5}  {}",
                c.id,
                c.status_label,
                if c.enabled { "yes" } else { "no" },
                group,
                sanitize(&c.name)
            );
        }
        if self.components.is_empty() {
            text.push_str("(no components: Cachet lists none to this token)\n");
        }
        text
    }
}
