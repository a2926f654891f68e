//! What `maintenance start|end|list` did or found (SPEC §10).

use std::fmt::Write;

use serde::Serialize;

use super::Render;

/// One window: a component's (marker, config window) or the page's (schedule).
#[derive(Debug, Serialize)]
pub struct WindowLine {
    /// The config name (or Cachet name) of the component; null for a page-wide schedule.
    pub component: Option<String>,
    /// `marker`, `schedule` or `config window`.
    pub source: &'static str,
    pub from: Option<String>,
    pub until: Option<String>,
    /// What it says, or what was done.
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct Maintenance {
    pub windows: Vec<WindowLine>,
    /// What the reader should know (a server that keeps no `meta`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Render for Maintenance {
    fn text(&self) -> String {
        let mut text = String::new();
        if self.windows.is_empty() {
            text.push_str("no maintenance in progress or planned\n");
        }
        for window in &self.windows {
            let whom = window.component.as_deref().unwrap_or("the whole page");
            let mut line = format!("{whom}: {}", window.source);
            if let Some(from) = &window.from {
                let _ = write!(line, " from {from}");
            }
            if let Some(until) = &window.until {
                let _ = write!(line, " until {until}");
            }
            let _ = writeln!(text, "{line}: {}", window.detail);
        }
        for note in &self.notes {
            let _ = writeln!(text, "note: {note}");
        }
        text
    }
}
