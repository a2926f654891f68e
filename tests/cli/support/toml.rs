//! The one way the tests write a config: `Toml::cachet(url).component("api", 2).check(…)`.

use std::fmt;

/// A config file being written, table by table.
#[derive(Clone, Default)]
pub struct Toml {
    text: String,
    /// The component whose table was opened last: `check` adds to it.
    component: String,
}

impl Toml {
    /// A config that starts with `[cachet] url`.
    pub fn cachet(url: &str) -> Toml {
        Toml::default().table("cachet").key("url", &quoted(url))
    }

    /// `[NAME]`, or any table header without its brackets.
    pub fn table(mut self, name: &str) -> Toml {
        self.text.push_str(&format!("[{name}]\n"));
        self
    }

    /// `key = value` in the table opened last; `value` is TOML as written (`quoted` for text).
    pub fn key(mut self, key: &str, value: &str) -> Toml {
        self.text.push_str(&format!("{key} = {value}\n"));
        self
    }

    /// Lines of TOML as written, in the table opened last.
    pub fn raw(mut self, lines: &str) -> Toml {
        self.text.push_str(lines);
        if !lines.is_empty() && !lines.ends_with('\n') {
            self.text.push('\n');
        }
        self
    }

    /// `[components.NAME]` with `id = ID`.
    pub fn component(mut self, name: &str, id: u64) -> Toml {
        self.component = name.to_owned();
        self.table(&format!("components.{name}"))
            .key("id", &id.to_string())
    }

    /// Goes on with component `name`, whose own table is written elsewhere.
    pub fn of(mut self, name: &str) -> Toml {
        self.component = name.to_owned();
        self
    }

    /// `[[components.NAME.checks]]` of the component opened last, with `type`, `name` when one
    /// is given, and `keys` as written.
    pub fn check(mut self, name: Option<&str>, kind: &str, keys: &str) -> Toml {
        self.text
            .push_str(&format!("[[components.{}.checks]]\n", self.component));
        if let Some(name) = name {
            self = self.key("name", &quoted(name));
        }
        self.key("type", &quoted(kind)).raw(keys)
    }

    /// An `http` check of `url` (named when `name` is given), in the component opened last.
    pub fn http(self, name: Option<&str>, url: &str) -> Toml {
        self.check(name, "http", &format!("url = {}", quoted(url)))
    }
}

impl fmt::Display for Toml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `text` as a TOML basic string.
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}
