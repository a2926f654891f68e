//! What `doctor` prints: each step of the setup, in order, with its verdict.

use std::fmt::Write;

use serde::Serialize;

use super::Render;

#[derive(Serialize)]
pub struct Checkup {
    /// No step failed.
    pub ok: bool,
    pub steps: Vec<Step>,
}

#[derive(Serialize)]
pub struct Step {
    #[serde(rename = "step")]
    pub name: &'static str,
    #[serde(rename = "result")]
    pub level: Level,
    pub detail: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    /// Could not be verified; not an error.
    Note,
    Fail,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Note => "note",
            Level::Fail => "FAIL",
        }
    }
}

impl Step {
    pub fn new(name: &'static str, level: Level, detail: String) -> Step {
        Step {
            name,
            level,
            detail,
        }
    }
}

impl Checkup {
    pub fn new(steps: Vec<Step>) -> Checkup {
        Checkup {
            ok: steps.iter().all(|step| step.level != Level::Fail),
            steps,
        }
    }
}

impl Render for Checkup {
    fn text(&self) -> String {
        let mut text = String::new();
        for step in &self.steps {
            let _ = writeln!(
                text,
                "{:<5} {}: {}",
                step.level.word(),
                step.name,
                step.detail
            );
        }
        text
    }
}
