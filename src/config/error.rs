//! `ConfigError`: what is wrong in a config file, and where (SPEC §5: file, line, column, key).

use std::fmt;

use regex::Regex;

use crate::keys::KeyError;
use crate::text::nearest;

#[derive(Debug)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ConfigError {
    /// An error at byte `offset` of `source`.
    pub fn at(file: &str, source: &str, offset: usize, message: String) -> ConfigError {
        let (line, column) = line_column(source, offset);
        ConfigError {
            file: file.to_owned(),
            line,
            column,
            message,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column (in characters) of byte `offset`.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Where the error for `key` goes: the key inside `span` if it is written there, else the span.
pub struct Locator<'a> {
    pub file: &'a str,
    pub source: &'a str,
}

impl Locator<'_> {
    /// A path written in the config, as the program will open it (`keys::resolve_path`).
    pub fn path(&self, written: &std::path::Path) -> std::path::PathBuf {
        crate::keys::resolve_path(self.file, written)
    }

    /// A key's error: on the value when it is the value that does not read, else on the key
    /// inside `span` (the check's table).
    pub fn key_error(&self, span: &std::ops::Range<usize>, error: KeyError) -> ConfigError {
        match error.value_at {
            Some(value) => self.value_error(value.start, &error.message),
            None => self.error(span, Some(error.key), error.message),
        }
    }

    /// A value at `offset` that does not read, said as `key`: what is wrong.
    pub fn value_error(&self, offset: usize, message: &str) -> ConfigError {
        value_error(self.file, self.source, offset, message)
    }

    /// A key nobody takes, with the nearest of `expected` suggested.
    pub fn unknown_key(&self, key: &toml::Spanned<String>, expected: &[&str]) -> ConfigError {
        unknown_key(
            self.file,
            self.source,
            key.span().start,
            key.get_ref(),
            expected,
        )
    }

    pub fn error(
        &self,
        span: &std::ops::Range<usize>,
        key: Option<&str>,
        message: String,
    ) -> ConfigError {
        let offset = key
            .and_then(|key| {
                // A `[[table]]`'s span may cover only its header: search to the next header.
                let next_header = Regex::new(r"(?m)^\s*\[").ok()?;
                let body_end = self
                    .source
                    .get(span.end..)
                    .and_then(|rest| next_header.find(rest).map(|m| span.end + m.start()))
                    .unwrap_or(self.source.len());
                let text = self.source.get(span.start..body_end.max(span.end))?;
                let pattern =
                    Regex::new(&format!(r"(?m)(^|[\s{{,])({})\s*=", regex::escape(key))).ok()?;
                let found = pattern.captures(text)?.get(2)?;
                Some(span.start + found.start())
            })
            .unwrap_or(span.start);
        ConfigError::at(self.file, self.source, offset, message)
    }
}

/// Turns toml's error into ours: position, and for an unknown key the table and a suggestion.
pub fn toml_error(file: &str, source: &str, error: &toml::de::Error) -> ConfigError {
    let offset = error.span().map_or(0, |span| span.start);
    let message = error.message().trim().to_owned();
    let unknown = Regex::new(r"^unknown field `([^`]*)`, expected (?:one of )?(.*)$").ok();
    if let Some(captures) = unknown.as_ref().and_then(|re| re.captures(&message)) {
        let key = captures.get(1).map_or("", |m| m.as_str());
        let expected: Vec<&str> = captures
            .get(2)
            .map_or("", |m| m.as_str())
            .split('`')
            .skip(1)
            .step_by(2)
            .collect();
        return unknown_key(file, source, offset, key, &expected);
    }
    value_error(file, source, offset, &message)
}

/// "unknown key `timout` in `[table]`, did you mean `timeout`?" at `offset`.
fn unknown_key(
    file: &str,
    source: &str,
    offset: usize,
    key: &str,
    expected: &[&str],
) -> ConfigError {
    let table = enclosing_table(source, offset);
    let advice = match nearest(key, expected.iter().copied()) {
        Some(suggestion) => format!(", did you mean `{suggestion}`?"),
        None => format!(
            "; valid keys: {}",
            expected
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let place = table.map_or_else(
        || "at the top level".to_owned(),
        |table| format!("in `{table}`"),
    );
    ConfigError::at(
        file,
        source,
        offset,
        format!("unknown key `{key}` {place}{advice}"),
    )
}

/// A value at `offset` that does not read: serde's words made the config's, and the key named.
fn value_error(file: &str, source: &str, offset: usize, message: &str) -> ConfigError {
    let message = message
        .replace("unknown variant", "unknown value")
        .replace("field", "key")
        .replace("expected u64", "expected a whole number")
        .replace("expected u32", "expected a whole number")
        .replace("expected a boolean", "expected true or false");
    let key = key_at(source, offset);
    let message = match key {
        Some(key) if !message.contains(&format!("`{key}`")) => format!("`{key}`: {message}"),
        _ => message,
    };
    ConfigError::at(file, source, offset, message)
}

/// The `[table]` or `[[table]]` header above `offset`, if any.
fn enclosing_table(source: &str, offset: usize) -> Option<String> {
    let header = Regex::new(r"^\s*(\[\[?[^\]]+\]\]?)").ok()?;
    source
        .get(..offset.min(source.len()))?
        .lines()
        .rev()
        .find_map(|line| {
            header
                .captures(line)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().replace(' ', ""))
        })
}

/// The key of the `key = value` line holding `offset`, if the line is one.
fn key_at(source: &str, offset: usize) -> Option<String> {
    let offset = offset.min(source.len());
    let start = source.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line = source.get(start..)?.lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::line_column;

    #[test]
    fn positions_are_one_based() {
        let source = "a = 1\nbé = 2\n";
        assert_eq!(line_column(source, 0), (1, 1));
        assert_eq!(line_column(source, 6), (2, 1));
        assert_eq!(line_column(source, source.find('=').unwrap()), (1, 3));
        assert_eq!(line_column(source, 10), (2, 4));
    }
}
