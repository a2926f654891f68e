//! STARTTLS (`starttls = "smtp"` …): the plain-text exchange that asks a server to switch to
//! TLS on the same connection, before the handshake. Each protocol in a few lines: what the
//! server says first, what is asked, and what answer means yes. A server that answers otherwise
//! is named with what it said.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::deadline::Deadline;
use crate::net::{at_least_a_millisecond, describe_io, timed_out};
use crate::text::sanitize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Starttls {
    Smtp,
    Imap,
    Pop3,
    Ftp,
    Postgres,
    Ldap,
    Xmpp,
}

/// The most a server may say before TLS starts (an XMPP stream's features are the longest).
const SAID_CAP: usize = 64 * 1024;

/// LDAP's StartTLS extended request (RFC 4511 §4.14): message id 1, OID 1.3.6.1.4.1.1466.20037.
const LDAP_STARTTLS: &[u8] = b"\x30\x1d\x02\x01\x01\x77\x18\x80\x16\
1.3.6.1.4.1.1466.20037";

/// PostgreSQL's SSLRequest: length 8, code 80877103.
const POSTGRES_SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

impl Starttls {
    pub const WORDS: [(&'static str, Starttls); 7] = [
        ("smtp", Starttls::Smtp),
        ("imap", Starttls::Imap),
        ("pop3", Starttls::Pop3),
        ("ftp", Starttls::Ftp),
        ("postgres", Starttls::Postgres),
        ("ldap", Starttls::Ldap),
        ("xmpp", Starttls::Xmpp),
    ];

    pub fn parse(word: &str) -> Option<Starttls> {
        Starttls::WORDS
            .iter()
            .find(|(known, _)| word.eq_ignore_ascii_case(known))
            .map(|(_, protocol)| *protocol)
    }

    pub fn word(self) -> &'static str {
        Starttls::WORDS
            .iter()
            .find(|(_, protocol)| *protocol == self)
            .map_or("smtp", |(word, _)| word)
    }

    /// Asks the server on `socket` to start TLS, by `deadline`; `host` is the name the client
    /// gives itself to (XMPP's `to`). The error says what the server answered instead.
    pub fn negotiate(
        self,
        socket: &mut TcpStream,
        host: &str,
        deadline: Deadline,
        budget: Duration,
    ) -> Result<(), String> {
        let mut talk = Talk {
            socket,
            deadline,
            budget,
            said: Vec::new(),
        };
        match self {
            Starttls::Smtp => {
                talk.expect_reply("220", "greeting")?;
                talk.send(b"EHLO cachet-check.invalid\r\n")?;
                let offer = talk.expect_reply("250", "answer to EHLO")?;
                if !offer.to_ascii_uppercase().contains("STARTTLS") {
                    return Err(format!(
                        "the server does not offer STARTTLS (its EHLO answer: `{}`)",
                        excerpt(&offer)
                    ));
                }
                talk.send(b"STARTTLS\r\n")?;
                talk.expect_reply("220", "answer to STARTTLS").map(drop)
            }
            Starttls::Ftp => {
                talk.expect_reply("220", "greeting")?;
                talk.send(b"AUTH TLS\r\n")?;
                talk.expect_reply("234", "answer to AUTH TLS").map(drop)
            }
            Starttls::Imap => {
                talk.expect_line("* OK", "greeting")?;
                talk.send(b"a1 STARTTLS\r\n")?;
                talk.expect_tagged("a1 ", "a1 OK", "answer to STARTTLS")
            }
            Starttls::Pop3 => {
                talk.expect_line("+OK", "greeting")?;
                talk.send(b"STLS\r\n")?;
                talk.expect_line("+OK", "answer to STLS").map(drop)
            }
            Starttls::Postgres => {
                talk.send(&POSTGRES_SSL_REQUEST)?;
                match talk.read_exactly(1)?.first() {
                    Some(b'S') => Ok(()),
                    Some(b'N') => Err(
                        "the server does not accept TLS (it answered N to SSLRequest: is `ssl` off?)"
                            .to_owned(),
                    ),
                    _ => Err(format!(
                        "the server did not answer SSLRequest as PostgreSQL does (`{}`)",
                        excerpt(&String::from_utf8_lossy(&talk.said))
                    )),
                }
            }
            Starttls::Ldap => {
                talk.send(LDAP_STARTTLS)?;
                talk.read_until(ldap_message_whole)?;
                match ldap_result_code(&talk.said) {
                    Some(0) => Ok(()),
                    Some(code) => Err(format!(
                        "the server refused StartTLS (LDAP result code {code}: is TLS configured?)"
                    )),
                    None => Err("the server's answer to StartTLS is not LDAP".to_owned()),
                }
            }
            Starttls::Xmpp => {
                let open = format!(
                    "<?xml version='1.0'?><stream:stream to='{}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
                    xml_escape(host)
                );
                talk.send(open.as_bytes())?;
                talk.read_until(|said| {
                    let text = String::from_utf8_lossy(said);
                    text.contains("</stream:features>") || text.contains("<stream:features/>")
                })?;
                if !String::from_utf8_lossy(&talk.said).contains("urn:ietf:params:xml:ns:xmpp-tls")
                {
                    return Err(
                        "the server does not offer STARTTLS in its stream features".to_owned()
                    );
                }
                talk.said.clear();
                talk.send(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")?;
                talk.read_until(|said| said.contains(&b'>'))?;
                if String::from_utf8_lossy(&talk.said).contains("<proceed") {
                    Ok(())
                } else {
                    Err(format!(
                        "the server refused STARTTLS (`{}`)",
                        excerpt(&String::from_utf8_lossy(&talk.said))
                    ))
                }
            }
        }
    }
}

/// One plain-text conversation: what the server said so far, read within the deadline.
struct Talk<'a> {
    socket: &'a mut TcpStream,
    deadline: Deadline,
    budget: Duration,
    said: Vec<u8>,
}

impl Talk<'_> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.socket
            .set_write_timeout(Some(at_least_a_millisecond(self.deadline.remaining())))
            .and_then(|()| self.socket.write_all(bytes))
            .map_err(|error| {
                format!(
                    "sending to the server failed: {}",
                    describe_io(&error, self.budget)
                )
            })
    }

    /// Reads until `done` says what was said is whole.
    fn read_until(&mut self, done: impl Fn(&[u8]) -> bool) -> Result<(), String> {
        let mut chunk = [0u8; 4096];
        while !done(&self.said) {
            if self.said.len() > SAID_CAP {
                return Err("the server said more than 64 KiB before TLS".to_owned());
            }
            let remaining = self.deadline.remaining();
            if remaining.is_zero() {
                return Err(timed_out(self.budget));
            }
            self.socket
                .set_read_timeout(Some(at_least_a_millisecond(remaining)))
                .map_err(|error| describe_io(&error, self.budget))?;
            match self.socket.read(&mut chunk) {
                Ok(0) => {
                    return Err(match self.said.is_empty() {
                        true => "the server closed the connection without a word".to_owned(),
                        false => format!(
                            "the server closed the connection after `{}`",
                            excerpt(&String::from_utf8_lossy(&self.said))
                        ),
                    });
                }
                Ok(count) => self.said.extend_from_slice(&chunk[..count]),
                Err(error) => {
                    return Err(match error.kind() {
                        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                            timed_out(self.budget)
                        }
                        _ => describe_io(&error, self.budget),
                    });
                }
            }
        }
        Ok(())
    }

    fn read_exactly(&mut self, count: usize) -> Result<Vec<u8>, String> {
        self.said.clear();
        self.read_until(|said| said.len() >= count)?;
        Ok(self.said.clone())
    }

    /// An SMTP or FTP reply (`250-…` lines, then `250 …`); it must have `code`.
    fn expect_reply(&mut self, code: &str, what: &str) -> Result<String, String> {
        self.said.clear();
        self.read_until(reply_whole)?;
        let text = String::from_utf8_lossy(&self.said).into_owned();
        let last = text.trim_end().lines().last().unwrap_or_default();
        if last.starts_with(code) {
            Ok(text)
        } else {
            Err(format!("unexpected {what}: `{}`", excerpt(&text)))
        }
    }

    /// One line that must start with `start`.
    fn expect_line(&mut self, start: &str, what: &str) -> Result<String, String> {
        self.said.clear();
        self.read_until(|said| said.contains(&b'\n'))?;
        let text = String::from_utf8_lossy(&self.said).into_owned();
        if text
            .to_ascii_uppercase()
            .starts_with(&start.to_ascii_uppercase())
        {
            Ok(text)
        } else {
            Err(format!("unexpected {what}: `{}`", excerpt(&text)))
        }
    }

    /// IMAP: lines until the one tagged `tag`, which must start with `ok`.
    fn expect_tagged(&mut self, tag: &str, ok: &str, what: &str) -> Result<(), String> {
        self.said.clear();
        self.read_until(|said| {
            String::from_utf8_lossy(said)
                .lines()
                .any(|line| line.starts_with(tag) && said.ends_with(b"\n"))
        })?;
        let text = String::from_utf8_lossy(&self.said).into_owned();
        match text.lines().find(|line| line.starts_with(tag)) {
            Some(line)
                if line
                    .to_ascii_uppercase()
                    .starts_with(&ok.to_ascii_uppercase()) =>
            {
                Ok(())
            }
            _ => Err(format!("unexpected {what}: `{}`", excerpt(&text))),
        }
    }
}

/// Every reading of what a server says before TLS, for the fuzz target `starttls_reply`: as
/// an SMTP or FTP reply, an LDAP message and its result code, and an excerpt. Nothing may
/// panic, whatever `said` is.
pub fn read_any_reply(said: &[u8]) -> usize {
    usize::from(reply_whole(said))
        + usize::from(ldap_message_whole(said))
        + ldap_result_code(said).map_or(0, usize::from)
        + excerpt(&String::from_utf8_lossy(said)).len()
}

/// Whether an SMTP/FTP reply is whole: its last line is `NNN ` (not `NNN-`) and ends the text.
fn reply_whole(said: &[u8]) -> bool {
    if !said.ends_with(b"\n") {
        return false;
    }
    let text = String::from_utf8_lossy(said);
    text.trim_end().lines().last().is_some_and(|line| {
        line.len() >= 4
            && line.as_bytes()[..3].iter().all(u8::is_ascii_digit)
            && line.as_bytes()[3] == b' '
            || line.len() == 3 && line.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether `said` holds one whole BER element (an LDAP message).
fn ldap_message_whole(said: &[u8]) -> bool {
    ber_length(said).is_some_and(|(header, length)| said.len() >= header + length)
}

/// A BER element's header size and content length.
fn ber_length(said: &[u8]) -> Option<(usize, usize)> {
    let first = *said.get(1)?;
    if first < 0x80 {
        return Some((2, usize::from(first)));
    }
    let bytes = usize::from(first & 0x7f);
    if bytes == 0 || bytes > 4 {
        return Some((2, usize::MAX / 2));
    }
    let length = said
        .get(2..2 + bytes)?
        .iter()
        .fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
    Some((2 + bytes, length))
}

/// The resultCode of an LDAP ExtendedResponse: the ENUMERATED (0x0a) after its 0x78 tag.
fn ldap_result_code(said: &[u8]) -> Option<u8> {
    let at = said.iter().position(|byte| *byte == 0x78)?;
    let rest = &said[at..];
    let (header, _) = ber_length(rest)?;
    match rest.get(header..header + 3)? {
        [0x0a, 0x01, code] => Some(*code),
        _ => None,
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('\'', "&apos;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most 120 characters of what a server said, on one line.
fn excerpt(text: &str) -> String {
    let line = sanitize(
        &text
            .trim()
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" "),
    );
    match line.char_indices().nth(120) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::{Starttls, ldap_result_code, reply_whole};

    #[test]
    fn smtp_replies_end_at_a_code_and_a_space() {
        assert!(!reply_whole(b"220-mx.example.test ESMTP\r\n"));
        assert!(reply_whole(b"220-first\r\n220 mx.example.test ESMTP\r\n"));
        assert!(!reply_whole(b"220 mx.example"));
        assert!(reply_whole(b"250 OK\r\n"));
    }

    #[test]
    fn ldap_answers_carry_a_result_code() {
        // ExtendedResponse, success, no matched DN, no message.
        let success = b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00";
        assert_eq!(ldap_result_code(success), Some(0));
        let refused = b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x02\x04\x00\x04\x00";
        assert_eq!(ldap_result_code(refused), Some(2));
        assert_eq!(ldap_result_code(b"HTTP/1.1 400"), None);
    }

    #[test]
    fn protocols_are_named_by_their_words() {
        for (word, protocol) in Starttls::WORDS {
            assert_eq!(Starttls::parse(word), Some(protocol));
            assert_eq!(protocol.word(), word);
        }
        assert_eq!(Starttls::parse("SMTP"), Some(Starttls::Smtp));
        assert_eq!(Starttls::parse("smtps"), None);
    }
}
