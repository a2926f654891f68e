//! Monitoring-plugins performance data: `'label'=value[UOM];[warn];[crit];[min];[max]`, space
//! separated, after the `|` of a plugin's output (Monitoring Plugins Development Guidelines).

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Perfdata {
    pub label: String,
    pub value: f64,
    pub unit: String,
    /// Warn, crit, min and max as written (ranges like `10:20` stay text).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub thresholds: String,
}

impl Perfdata {
    /// A measurement without thresholds.
    pub fn new(label: &str, value: f64, unit: &str) -> Perfdata {
        Perfdata {
            label: label.to_owned(),
            value,
            unit: unit.to_owned(),
            thresholds: String::new(),
        }
    }
}

impl Perfdata {
    /// The item as a plugin would print it, with `prefix/` before the label.
    pub fn render(&self, prefix: &str) -> String {
        let label = quote_label(&format!("{prefix}/{}", self.label));
        let mut text = format!("{label}={}{}", self.value, self.unit);
        if !self.thresholds.is_empty() {
            text.push(';');
            text.push_str(&self.thresholds);
        }
        text
    }
}

/// A perfdata label as the monitoring-plugins guidelines write it: in single quotes, a quote
/// inside doubled, and no `=` (which would end the label) nor `|` (which would end the text).
pub fn quote_label(label: &str) -> String {
    let clean: String = label
        .chars()
        .map(|c| match c {
            '=' => '_',
            '|' => '¦',
            c => c,
        })
        .collect();
    format!("'{}'", clean.replace('\'', "''"))
}

/// Parses the perfdata items of `text`; items that do not parse are skipped, as Nagios does.
pub fn parse(text: &str) -> Vec<Perfdata> {
    let mut items = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (label, after_label) = match rest.strip_prefix('\'') {
            Some(quoted) => match quoted_label(quoted) {
                Some(found) => found,
                None => break,
            },
            None => match rest.find('=') {
                Some(equals) if !rest[..equals].contains(char::is_whitespace) => {
                    (rest[..equals].to_owned(), &rest[equals..])
                }
                _ => {
                    rest = skip_token(rest);
                    continue;
                }
            },
        };
        let Some(after_equals) = after_label.strip_prefix('=') else {
            rest = skip_token(after_label);
            continue;
        };
        let end = after_equals
            .find(char::is_whitespace)
            .unwrap_or(after_equals.len());
        if let Some(item) = item(label, &after_equals[..end]) {
            items.push(item);
        }
        rest = after_equals[end..].trim_start();
    }
    items
}

/// A quoted label (`''` is a quote inside it) and what follows the closing quote.
fn quoted_label(text: &str) -> Option<(String, &str)> {
    let mut label = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if c != '\'' {
            label.push(c);
        } else if matches!(chars.peek(), Some((_, '\''))) {
            label.push('\'');
            chars.next();
        } else {
            return Some((label, &text[index + 1..]));
        }
    }
    None
}

fn item(label: String, value_part: &str) -> Option<Perfdata> {
    let (value_and_unit, thresholds) = value_part.split_once(';').unwrap_or((value_part, ""));
    let number_end = value_and_unit
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(value_and_unit.len());
    let value: f64 = value_and_unit[..number_end].parse().ok()?;
    if label.is_empty() || !value.is_finite() {
        return None;
    }
    Some(Perfdata {
        label,
        value,
        unit: value_and_unit[number_end..].to_owned(),
        thresholds: thresholds.trim_end_matches(';').to_owned(),
    })
}

fn skip_token(text: &str) -> &str {
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    text[end..].trim_start()
}

#[cfg(test)]
mod tests {
    use super::{Perfdata, parse};

    #[test]
    fn parses_plugin_perfdata() {
        let items = parse("time=0.012s;1.000;2.000;0.000 size=512B;;;0 'free space /'=42%;20;10");
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[0],
            Perfdata {
                label: "time".to_owned(),
                value: 0.012,
                unit: "s".to_owned(),
                thresholds: "1.000;2.000;0.000".to_owned()
            }
        );
        assert_eq!(items[1].thresholds, ";;0");
        assert_eq!(items[2].label, "free space /");
        assert_eq!(items[2].unit, "%");
        assert_eq!(items[2].render("disk"), "'disk/free space /'=42%;20;10");
    }

    #[test]
    fn skips_what_does_not_parse() {
        assert_eq!(parse("garbage 'unterminated=1").len(), 0);
        let items = parse("a=U b=2 'it''s'=3c");
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].label, "it's");
        assert_eq!(parse("").len(), 0);
        assert_eq!(parse("x=inf y=NaN").len(), 0);
    }
}
