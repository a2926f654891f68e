//! What a query asks for that the server may never have had (SPEC §10): its metric names and
//! its `label="value"` matchers, read from the PromQL conservatively — a selector's name, a bare
//! name that is not a function, keyword or aggregation, and exact-match label matchers — and
//! asked of `/api/v1/label/<name>/values` when the query returns no samples. A name or value the
//! server never had is a typo in the config, not an outage; a known series with no sample now
//! stays a failure.

use regex::Regex;
use std::sync::OnceLock;

/// The metric names and exact label matchers of `query`: ([names], [(label, value)]).
pub fn asked(query: &str) -> (Vec<String>, Vec<(String, String)>) {
    let Some((strings, braces, brackets, groupings, matcher)) = patterns() else {
        return (Vec::new(), Vec::new());
    };
    let mut matchers = Vec::new();
    for braced in braces.find_iter(query) {
        matchers.extend(exact_matchers(braced.as_str(), matcher));
    }
    // Outside strings, braces, ranges and grouping lists, what is left names metrics, functions
    // and keywords.
    let bare = braces.replace_all(query, " {} ");
    let bare = strings.replace_all(&bare, " ");
    let bare = brackets.replace_all(&bare, " ");
    let bare = groupings.replace_all(&bare, " ");
    let mut names: Vec<String> = matchers
        .iter()
        .filter(|(label, _)| label == "__name__")
        .map(|(_, value)| value.clone())
        .collect();
    matchers.retain(|(label, _)| label != "__name__");
    let tokens = identifiers(&bare);
    for (index, (name, next)) in tokens.iter().enumerate() {
        let after_offset = index > 0 && tokens[index - 1].0.eq_ignore_ascii_case("offset");
        if *next == '(' || after_offset || NOT_METRICS.contains(&name.to_ascii_lowercase().as_str())
        {
            continue;
        }
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    (names, matchers)
}

/// The words of PromQL that are never metric names.
const NOT_METRICS: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "inf",
    "nan",
    "start",
    "end",
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
    "atan2",
];

/// Each identifier of `text` (not part of a number) and the first character after it that is
/// not white space ('\0' at the end).
fn identifiers(text: &str) -> Vec<(String, char)> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        let starts = c.is_ascii_alphabetic() || c == '_' || c == ':';
        let in_number = at > 0 && (chars[at - 1].is_ascii_digit() || chars[at - 1] == '.');
        if !starts || in_number {
            at += 1;
            continue;
        }
        let begin = at;
        while at < chars.len()
            && (chars[at].is_ascii_alphanumeric() || chars[at] == '_' || chars[at] == ':')
        {
            at += 1;
        }
        let name: String = chars[begin..at].iter().collect();
        let next = chars[at..]
            .iter()
            .find(|c| !c.is_whitespace())
            .copied()
            .unwrap_or('\0');
        found.push((name, next));
    }
    found
}

/// The `label="value"` matchers of a `{…}` selector (not `!=`, `=~` or `!~`).
fn exact_matchers(braced: &str, matcher: &Regex) -> Vec<(String, String)> {
    matcher
        .captures_iter(braced)
        .filter(|found| &found[2] == "=" && !found[3].is_empty())
        .map(|found| (found[1].to_owned(), found[3].replace("\\\"", "\"")))
        .collect()
}

/// String literals, `{…}` selectors, `[…]` ranges, grouping lists and label matchers; `None`
/// (and so no claim about the query) if a pattern would not compile.
type Patterns = (Regex, Regex, Regex, Regex, Regex);

fn patterns() -> Option<&'static Patterns> {
    static PATTERNS: OnceLock<Option<Patterns>> = OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            Some((
                Regex::new(r#""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`"#).ok()?,
                Regex::new(r"\{[^}]*\}").ok()?,
                Regex::new(r"\[[^\]]*\]").ok()?,
                Regex::new(r"(?i)\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
                    .ok()?,
                Regex::new(r#"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)""#)
                    .ok()?,
            ))
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::asked;

    fn names(query: &str) -> Vec<String> {
        asked(query).0
    }

    #[test]
    fn names_and_exact_matchers_are_read_from_promql() {
        assert_eq!(names("up"), ["up"]);
        assert_eq!(
            asked(r#"up{job="db", instance=~"db.*", env!="dev"}"#),
            (
                vec!["up".to_owned()],
                vec![("job".to_owned(), "db".to_owned())]
            )
        );
        assert_eq!(
            names(
                r#"sum by (job) (rate(http_requests_total{code="500"}[5m])) / sum without (instance) (rate(http_requests_total[5m]))"#
            ),
            ["http_requests_total"]
        );
        assert_eq!(names(r#"{__name__="node_load1"} > 2"#), ["node_load1"]);
        assert_eq!(
            names("avg_over_time(node_load1[10m] offset 1h) > 1.5e3"),
            ["node_load1"]
        );
        assert_eq!(names(r#"absent(up{job="x"}) or vector(1)"#), ["up"]);
        assert_eq!(
            names(r#"label_replace(up, "a", "$1", "b", "(.*)")"#),
            ["up"]
        );
        assert!(names("scalar(time()) - 5").is_empty());
    }
}
