//! What an import produces, and how it is written: components with their checks, each key
//! beside a comment where the source said something cachet-check does differently.

use std::fmt::Write;

use toml::Value;

/// The config to write.
#[derive(Debug, Default)]
pub struct Plan {
    pub cachet_url: Option<String>,
    /// Where the token was, in words: it is never copied.
    pub token: String,
    /// Settings of the whole source config without an exact equivalent, and why.
    pub notes: Vec<String>,
    pub components: Vec<Component>,
}

#[derive(Debug, Default)]
pub struct Component {
    /// The name used on the command line.
    pub name: String,
    pub id: u64,
    pub keys: Vec<(&'static str, Value)>,
    pub notes: Vec<String>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Default)]
pub struct Check {
    pub name: String,
    pub kind: &'static str,
    pub keys: Vec<(&'static str, Value)>,
    pub notes: Vec<String>,
}

impl Check {
    /// An `http` check of `url` with the source's `method` (GET left out) and `headers`.
    pub fn http(
        name: &str,
        url: &str,
        method: &serde_json::Value,
        headers: &serde_json::Value,
    ) -> Check {
        let mut check = Check {
            name: name.to_owned(),
            kind: "http",
            ..Check::default()
        };
        check.key("url", url);
        if let Some(method) = method.as_str().filter(|m| !m.eq_ignore_ascii_case("GET")) {
            check.key("method", method.to_ascii_uppercase());
        }
        if let Some(headers) = headers.as_object() {
            let table: toml::map::Map<String, Value> = headers
                .iter()
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), Value::String(text))
                })
                .collect();
            check.key("headers", Value::Table(table));
        }
        check
    }

    pub fn key(&mut self, key: &'static str, value: impl Into<Value>) {
        self.keys.push((key, value.into()));
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

impl Component {
    /// The component for Cachet component `id` in `components`, added when new (two monitors
    /// of one Cachet component become two checks of one component: pushed apart, each would
    /// overwrite the other's status).
    pub fn of<'a>(components: &'a mut Vec<Component>, id: u64, name: &str) -> &'a mut Component {
        let at = match components.iter().position(|c| c.id == id) {
            Some(at) => at,
            None => {
                let name = unique(components, &slug(name));
                components.push(Component {
                    name,
                    id,
                    ..Component::default()
                });
                components.len() - 1
            }
        };
        &mut components[at]
    }

    pub fn key(&mut self, key: &'static str, value: impl Into<Value>) {
        if !self.keys.iter().any(|(k, _)| *k == key) {
            self.keys.push((key, value.into()));
        }
    }
}

/// A config name from a monitor's name: lower case letters, digits and `-`.
fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "component".to_owned()
    } else {
        slug
    }
}

fn unique(components: &[Component], name: &str) -> String {
    let mut candidate = name.to_owned();
    let mut n = 2;
    while components.iter().any(|c| c.name == candidate) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    candidate
}

/// `# ` before each line of `text`, wrapped at 96 columns.
fn comment(out: &mut String, indent: &str, text: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + 2 + line.len() + 1 + word.len() > 96 {
            let _ = writeln!(out, "{indent}# {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}# {line}");
    }
}

impl Plan {
    /// The TOML, with `source` (the checker's name) in its header.
    pub fn render(&self, source: &str) -> String {
        let mut out = String::new();
        comment(
            &mut out,
            "",
            &format!(
                "Imported from a {source} config by `cachet-check import`. Check it with `cachet-check validate -c FILE` and try it with `cachet-check run --dry-run -c FILE`; cachet-check runs once per call: schedule it with cron or a systemd timer (see `man cachet-check`, SCHEDULERS)."
            ),
        );
        for note in &self.notes {
            out.push('\n');
            comment(&mut out, "", note);
        }
        out.push_str("\n[cachet]\n");
        match &self.cachet_url {
            Some(url) => {
                let _ = writeln!(out, "url = {}", Value::String(url.clone()));
            }
            None => out.push_str(
                "# url = \"https://status.example.com\"   # the source config named none\n",
            ),
        }
        comment(&mut out, "", &self.token);
        out.push_str("token_file = \"/etc/cachet-check/token\"\n");
        for component in &self.components {
            let _ = write!(
                out,
                "\n[components.{}]\nid = {}\n",
                component.name, component.id
            );
            for (key, value) in &component.keys {
                let _ = writeln!(out, "{key} = {value}");
            }
            for note in &component.notes {
                comment(&mut out, "", note);
            }
            for check in &component.checks {
                let _ = writeln!(out, "\n  [[components.{}.checks]]", component.name);
                // A `dns` check's `name` is the name it looks up, among its keys.
                if check.kind != "dns" {
                    let _ = writeln!(out, "  name = {}", Value::String(check.name.clone()));
                }
                let _ = writeln!(out, "  type = {}", Value::String(check.kind.to_owned()));
                for (key, value) in &check.keys {
                    let _ = writeln!(out, "  {key} = {value}");
                }
                for note in &check.notes {
                    comment(&mut out, "  ", note);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{Component, slug};

    #[test]
    fn names_become_config_names_and_one_cachet_component_one_component() {
        assert_eq!(slug("Google Search!"), "google-search");
        assert_eq!(slug("  "), "component");
        let mut components = Vec::new();
        Component::of(&mut components, 2, "API").key("metric", 1_i64);
        Component::of(&mut components, 2, "API again");
        Component::of(&mut components, 3, "API");
        let names: Vec<&str> = components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["api", "api-2"]);
    }
}
