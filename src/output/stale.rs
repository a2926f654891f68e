//! What `stale` found and did (SPEC §11).

use std::fmt::Write;

use serde::Serialize;

use super::Render;

#[derive(Debug, Serialize)]
pub struct StaleLine {
    pub component: String,
    /// The host that ran it last, and how long ago (seconds); none when no host stamped it.
    pub last_vantage: Option<String>,
    pub age_s: Option<i64>,
    pub stale: bool,
    /// What was done, or why nothing was.
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct Staleness {
    pub components: Vec<StaleLine>,
    /// Components that could not be judged, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl Render for Staleness {
    fn text(&self) -> String {
        let mut text = String::new();
        for line in &self.components {
            let _ = writeln!(text, "{}: {}", line.component, line.detail);
        }
        for error in &self.errors {
            let _ = writeln!(text, "error: {error}");
        }
        text
    }
}
