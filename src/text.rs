//! Words any layer uses: text that came from outside made safe to print, and counted nouns.

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

/// "1 check", "3 checks".
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}


#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            sanitize("ok\x1b[31m\nnext\u{202E}"),
            "ok\\u{1b}[31m\\nnext\\u{202e}"
        );
        assert_eq!(sanitize("plain text ü"), "plain text ü");
    }
}
