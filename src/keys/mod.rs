//! Config keys: each declared once, as a typed `Key` constant, by the module that owns it (the
//! common check keys in `config`, a kind's keys in `check/<kind>.rs`), and read one at a time
//! from a table as written (`Keys`). An error names the key and, for a value that cannot be
//! read, where the value is, so that `config` can place it at file:line:column.

mod value;

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::Spanned;

pub use value::{
    Address, BoolOrText, HumanDuration, Method, Number, OneOrMany, Pattern, StatusRanges, WebUrl,
};

/// A table as written: each key with its value, both with their place in the file.
pub type Entries = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

/// A key of type `T`: its name is the config key, `T` is what its value is read as.
pub struct Key<T> {
    pub name: &'static str,
    read: PhantomData<fn() -> T>,
}

impl<T> Key<T> {
    pub const fn new(name: &'static str) -> Key<T> {
        Key {
            name,
            read: PhantomData,
        }
    }
}

/// A key of any type, for lists: its name, and whether a value would read.
pub trait AnyKey: Sync {
    fn name(&self) -> &'static str;
    /// Reads `value` as this key's type (for `[defaults]`, which no kind reads whole).
    fn check(&self, value: &toml::Value) -> Result<(), String>;
}

impl<T: DeserializeOwned> AnyKey for Key<T> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn check(&self, value: &toml::Value) -> Result<(), String> {
        read::<T>(value.clone()).map(drop)
    }
}

fn read<T: DeserializeOwned>(value: toml::Value) -> Result<T, String> {
    value
        .try_into()
        .map_err(|error: toml::de::Error| error.message().trim().to_owned())
}

/// What is wrong with a key.
#[derive(Debug)]
pub struct KeyError {
    /// The key to point at (where the table writes it).
    pub key: &'static str,
    /// Where the value is, when it is the value that cannot be read.
    pub value_at: Option<Range<usize>>,
    pub message: String,
}

/// The keys of one check as written, with `[defaults]` behind them, read one key at a time.
pub struct Keys<'a> {
    own: Entries,
    defaults: &'a Entries,
    config_file: &'a str,
    /// How the table is named in messages: `[[components.api.checks]]`.
    pub table: &'a str,
    /// The check's `type`.
    pub kind: &'static str,
}

impl<'a> Keys<'a> {
    pub fn new(
        own: Entries,
        defaults: &'a Entries,
        config_file: &'a str,
        table: &'a str,
    ) -> Keys<'a> {
        Keys {
            own,
            defaults,
            config_file,
            table,
            kind: "",
        }
    }

    /// The first key, in file order, that this table writes itself (not one `[defaults]`
    /// fills in) and that `which` picks.
    pub fn first_written(&self, which: impl Fn(&str) -> bool) -> Option<&Spanned<String>> {
        self.own
            .keys()
            .filter(|key| which(key.get_ref()))
            .min_by_key(|key| key.span().start)
    }

    /// Whether every key this table writes has been read.
    pub fn all_read(&self) -> bool {
        self.own.is_empty()
    }

    /// The value of `key`: the table's own, else `[defaults]`'s.
    pub fn take<T: DeserializeOwned>(&mut self, key: &Key<T>) -> Result<Option<T>, KeyError> {
        let value = match self.own.remove(key.name) {
            Some(value) => value,
            None => match self.defaults.get(key.name) {
                Some(value) => value.clone(),
                None => return Ok(None),
            },
        };
        let span = value.span();
        read(value.into_inner())
            .map(Some)
            .map_err(|message| KeyError {
                key: key.name,
                value_at: Some(span),
                message,
            })
    }

    /// The value of a key the check cannot do without; `example` shows how to write it.
    pub fn require<T: DeserializeOwned>(
        &mut self,
        key: &Key<T>,
        example: &str,
    ) -> Result<T, KeyError> {
        self.take(key)?.ok_or_else(|| self.missing(key, example))
    }

    /// "a `tcp` check in `[[…]]` needs `address`, e.g. …", placed on the check's `type`.
    pub fn missing<T>(&self, key: &Key<T>, example: &str) -> KeyError {
        KeyError {
            key: "type",
            value_at: None,
            message: format!(
                "a `{}` check in `{}` needs `{}`, e.g. {example}",
                self.kind, self.table, key.name
            ),
        }
    }

    /// A path written in the config, as the program will open it (`resolve_path`).
    pub fn path(&self, written: &Path) -> PathBuf {
        resolve_path(self.config_file, written)
    }

    /// `key`'s value is wrong: "`key` in `[table]`: why".
    pub fn invalid<T>(&self, key: &Key<T>, why: impl std::fmt::Display) -> KeyError {
        self.error(
            key.name,
            format!("`{}` in `{}`: {why}", key.name, self.table),
        )
    }

    /// An error placed on `key`, in words of the caller's own.
    pub fn error(&self, key: &'static str, message: String) -> KeyError {
        KeyError {
            key,
            value_at: None,
            message,
        }
    }
}

/// A path written in the config file `config_file`, as the program will open it: a leading
/// `~/` is the home directory, and a relative path is relative to the config file's directory
/// (not to where cron or systemd happen to start the program).
pub fn resolve_path(config_file: &str, written: &Path) -> PathBuf {
    if let Ok(rest) = written.strip_prefix("~")
        && let Some(home) = std::env::var_os("HOME").filter(|home| !home.is_empty())
    {
        return PathBuf::from(home).join(rest);
    }
    if written.is_absolute() {
        return written.to_path_buf();
    }
    let file = Path::new(config_file);
    let dir = file.parent().unwrap_or(Path::new(""));
    let dir = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(dir)
    };
    dir.join(written)
}

#[cfg(test)]
mod tests {
    use super::{AnyKey, Entries, HumanDuration, Key, Keys};

    const TIMEOUT: Key<HumanDuration> = Key::new("timeout");
    const RETRIES: Key<u32> = Key::new("retries");

    fn entries(source: &str) -> Entries {
        toml::from_str(source).unwrap()
    }

    #[test]
    fn a_key_is_read_from_the_table_then_from_defaults() {
        let defaults = entries("timeout = \"3s\"\nretries = 2\n");
        let mut keys = Keys::new(entries("retries = 5\n"), &defaults, "c.toml", "[t]");
        assert_eq!(keys.take(&RETRIES).unwrap(), Some(5));
        assert_eq!(keys.take(&TIMEOUT).unwrap().map(|t| t.0.as_secs()), Some(3));
        assert!(keys.all_read(), "a read key is no longer written");
    }

    #[test]
    fn a_value_that_does_not_read_says_where_it_is() {
        let source = "retries = \"many\"\n";
        let defaults = Entries::new();
        let mut keys = Keys::new(entries(source), &defaults, "c.toml", "[t]");
        let error = keys.take(&RETRIES).unwrap_err();
        assert_eq!(error.key, "retries");
        assert_eq!(error.value_at, Some(10..16));
        assert!(error.message.contains("invalid type"), "{}", error.message);
        assert!(TIMEOUT.check(&toml::Value::from("soon")).is_err());
        assert!(TIMEOUT.check(&toml::Value::from("2s")).is_ok());
    }
}
