//! Words any layer uses: text that came from outside made safe to print, counted nouns, and
//! the nearest of some words to a typo.

/// Escapes control characters, ANSI escapes and bidi overrides in text that came from a server
/// or a plugin, so it cannot rewrite the terminal or the summary line.
pub fn sanitize(text: &str) -> String {
    let mut clean = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            clean.extend(c.escape_default());
        } else {
            clean.push(c);
        }
    }
    clean
}

/// What a panic said (its `&str` or `String` payload), made safe to print.
pub fn panic_words(payload: &(dyn std::any::Any + Send)) -> String {
    let said = payload
        .downcast_ref::<&str>()
        .map(|said| (*said).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    sanitize(&said)
}

/// "1 check", "3 checks".
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{nearest, sanitize};

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            sanitize("ok\x1b[31m\nnext\u{202E}"),
            "ok\\u{1b}[31m\\nnext\\u{202e}"
        );
        assert_eq!(sanitize("plain text ü"), "plain text ü");
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let keys = ["timeout", "slow_after", "retries", "retry_delay"];
        assert_eq!(nearest("timout", keys), Some("timeout"));
        assert_eq!(nearest("retires", keys), Some("retries"));
        assert_eq!(nearest("colour", keys), None);
    }
}
