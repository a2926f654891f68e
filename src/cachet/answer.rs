//! Reading Cachet's answers: numbers and booleans as either API line sends them, the items of
//! a list, and Cachet's own words from an error body.

use serde_json::Value;

use super::Dialect;
use crate::text::sanitize;

/// Every reading of a Cachet answer, for the fuzz target `cachet_answer`: as every API line's
/// component, incident and list, and as an error body. Nothing may panic, whatever `text` is.
pub fn read_any_answer(text: &str) -> usize {
    let mut found = server_message(text).len();
    if let Ok(body) = serde_json::from_str::<Value>(text) {
        found += Dialect::all()
            .map(|line| line.read_all(&body))
            .sum::<usize>();
    }
    found
}

/// Cachet's own words from an error body: 2.x `errors[].meta.details` or `detail`, 3.x
/// `message`; a non-JSON body (a proxy's HTML page) is summarised.
pub(super) fn server_message(text: &str) -> String {
    let Ok(json) = serde_json::from_str::<Value>(text) else {
        return not_json(text);
    };
    if let Some(first) = json.pointer("/errors/0") {
        let details: Vec<&str> = first
            .pointer("/meta/details")
            .and_then(Value::as_array)
            .map(|details| details.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !details.is_empty() {
            return sanitize(&details.join(" "));
        }
        if let Some(detail) = first.get("detail").and_then(Value::as_str) {
            return sanitize(detail);
        }
    }
    match json.get("message").and_then(Value::as_str) {
        Some(message) if !message.is_empty() => sanitize(message),
        _ => excerpt(text),
    }
}

/// A body that is not JSON, in a few words: an HTML page (a proxy's error page, a login page)
/// by its title, anything else by its beginning.
fn not_json(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    if !lower.contains("<html") && !lower.contains("<!doctype html") {
        return format!("not a Cachet answer: {}", excerpt(text));
    }
    let inner = |tag: &str| {
        let start = lower.find(&format!("<{tag}"))?;
        let start = start + lower[start..].find('>')? + 1;
        let end = start + lower[start..].find(&format!("</{tag}"))?;
        let words = text[start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        (!words.is_empty()).then_some(words)
    };
    let visible = || {
        let mut words = String::new();
        let mut in_tag = false;
        for c in text.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    words.push(' ');
                }
                c if !in_tag => words.push(c),
                _ => {}
            }
        }
        let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
        (!words.is_empty()).then_some(words)
    };
    match inner("title").or_else(|| inner("h1")).or_else(visible) {
        Some(title) => format!(
            "an HTML page (\"{}\"), not Cachet's JSON: a proxy's error page, or not the Cachet URL",
            excerpt(&title)
        ),
        None => "an HTML page, not Cachet's JSON: a proxy's error page, or not the Cachet URL"
            .to_owned(),
    }
}

pub(super) fn excerpt(text: &str) -> String {
    let flat = sanitize(text.trim());
    match flat.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &flat[..end]),
        None => flat,
    }
}

/// The items of a list answer's `data` (none when it has no list).
pub(super) fn items(body: &Value) -> impl Iterator<Item = &Value> {
    body.get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Reads a number that Cachet may send as a JSON number or a string (`"3"`).
pub(super) fn number(value: Option<&Value>) -> Option<u64> {
    let value = value?;
    value
        .as_u64()
        .or_else(|| value.as_str()?.trim().parse().ok())
}

/// Reads a boolean that Cachet may send as `true`, `1` or `"1"`.
pub(super) fn boolean(value: Option<&Value>) -> Option<bool> {
    let value = value?;
    value
        .as_bool()
        .or_else(|| number(Some(value)).map(|n| n != 0))
}

#[cfg(test)]
mod tests {
    use super::server_message;

    #[test]
    fn server_messages_come_from_either_envelope() {
        let v2 = r#"{"errors":[{"status":400,"title":"Bad Request","detail":"The request cannot be fulfilled due to bad syntax.","meta":{"details":["The status may not be greater than 4."]}}]}"#;
        assert_eq!(server_message(v2), "The status may not be greater than 4.");
        let v3 = r#"{"message":"The selected status is invalid.","errors":{"status":["The selected status is invalid."]}}"#;
        assert_eq!(server_message(v3), "The selected status is invalid.");
        assert_eq!(
            server_message("<html><body><h1>502 Bad\n Gateway</h1><hr>nginx</body></html>"),
            "an HTML page (\"502 Bad Gateway\"), not Cachet's JSON: a proxy's error page, or not the Cachet URL"
        );
        assert_eq!(
            server_message("<!DOCTYPE html><p>hi</p>"),
            "an HTML page (\"hi\"), not Cachet's JSON: a proxy's error page, or not the Cachet URL"
        );
        assert_eq!(
            server_message("<html></html>"),
            "an HTML page, not Cachet's JSON: a proxy's error page, or not the Cachet URL"
        );
        assert_eq!(
            server_message("Bad Gateway"),
            "not a Cachet answer: Bad Gateway"
        );
    }
}
