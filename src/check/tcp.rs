//! The `tcp` check (SPEC §5): connect, optionally wait for the server's greeting
//! (`expect_banner`), optionally send, optionally wait for a substring of the answer.
//!
//! `send` goes out the moment the connection opens unless `expect_banner` asks to wait for the
//! greeting first: servers that speak first (SMTP, FTP, POP3, IMAP, SSH) may take a client that
//! talks before their greeting for a bot and drop it (Postfix postscreen's pre-greeting test).

use std::io::{Read, Write};
use std::net::TcpStream;

use std::time::Duration;

use rustls::{ClientConnection, StreamOwned};

use super::tls::{
    CA_FILE, CLIENT_CERT, CLIENT_KEY, Handshaking, INSECURE, SNI, Trust, secure, session_keys,
};
use super::{ADDRESS, Built, Context, Endpoint, Probe, Probed};
use crate::deadline::Deadline;
use crate::keys::{BoolOrText, Key, KeyError, Keys, OneOrMany};
use crate::net::path::{self, Path, Route};
use crate::net::{at_least_a_millisecond, connect, describe_io, timed_out};
use crate::text::sanitize;

/// How much of the peer's answer is read while looking for `expect`.
const READ_CAP: usize = 64 * 1024;
/// How much of what came is shown when it was not what was expected.
const SHOWN: usize = 200;

/// Whether to read the server's greeting before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Banner {
    /// Do not wait for one (`send` goes out at once).
    None,
    /// Wait for a whole first line, whatever it says.
    Any,
    /// Wait until the greeting holds this text.
    Containing(String),
}

#[derive(Debug)]
pub struct TcpSpec {
    /// `host:port`, IPv6 as `[::1]:port`.
    pub address: String,
    /// `tls = true`: a TLS session first (the name to verify, whom to trust, what to present).
    pub tls: Option<(String, Trust, Option<ureq::tls::ClientCert>)>,
    pub banner: Banner,
    pub send: Option<String>,
    /// A substring the peer must send (a banner).
    pub expect: Option<String>,
    pub path: Path,
}

pub const KIND: super::Kind = super::Kind {
    word: "tcp",
    keys: &[
        &[
            &ADDRESS,
            &EXPECT_BANNER,
            &SEND,
            &EXPECT,
            &TLS,
            &SNI,
            &CA_FILE,
            &INSECURE,
            &CLIENT_CERT,
            &CLIENT_KEY,
        ],
        path::KEYS,
    ],
    build,
};

/// Speak TLS on the connection (a service on its TLS port: SMTPS, IMAPS, LDAPS…).
const TLS: Key<bool> = Key::new("tls");
/// The keys that mean something only with `tls = true`.
const SESSION_KEYS: [&str; 5] = ["sni", "ca_file", "insecure", "client_cert", "client_key"];

const EXPECT_BANNER: Key<BoolOrText> = Key::new("expect_banner");
const SEND: Key<String> = Key::new("send");
const EXPECT: Key<OneOrMany> = Key::new("expect");

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let address = keys.require(&ADDRESS, "`address = \"db.example.com:5432\"`")?;
    let expect = match keys.take(&EXPECT)?.map(OneOrMany::into_vec) {
        None => None,
        Some(mut one) if one.len() == 1 => one.pop(),
        Some(_) => {
            return Err(keys.error(
                EXPECT.name,
                format!(
                    "`expect` of a `tcp` check in `{}` is one string (the banner)",
                    keys.table
                ),
            ));
        }
    };
    let banner = match keys.take(&EXPECT_BANNER)? {
        None | Some(BoolOrText::Bool(false)) => Banner::None,
        Some(BoolOrText::Bool(true)) => Banner::Any,
        Some(BoolOrText::Text(text)) => Banner::Containing(text),
    };
    let tls = if keys.take(&TLS)?.unwrap_or(false) {
        Some(session_keys(keys, &address.0)?)
    } else {
        if let Some(key) = keys.first_written(|key| SESSION_KEYS.contains(&key)) {
            let key = key.get_ref().clone();
            return Err(keys.error(
                SESSION_KEYS
                    .iter()
                    .find(|name| **name == key)
                    .copied()
                    .unwrap_or("tls"),
                format!(
                    "`{key}` in `{}` applies to a TLS session: add `tls = true`",
                    keys.table
                ),
            ));
        }
        None
    };
    let called = address.0.clone();
    let spec = TcpSpec {
        address: address.0,
        tls,
        banner,
        send: keys.take(&SEND)?,
        expect,
        path: path::read(keys)?,
    };
    Built::new(spec, called)
}

impl Probe for TcpSpec {
    fn target(&self) -> String {
        self.address.clone()
    }

    fn probe(&self, context: &Context, deadline: Deadline) -> Probed {
        probe(self, context.route, deadline)
    }

    fn endpoint(&self) -> Option<Endpoint<'_>> {
        Endpoint::at(&self.path, &self.address)
    }
}

fn probe(spec: &TcpSpec, route: Route, deadline: Deadline) -> Probed {
    let budget = deadline.remaining();
    let socket = match connect(&spec.address, &spec.path, route, deadline, budget) {
        Ok(socket) => socket,
        Err(why) => return why.into(),
    };
    let mut stream = match &spec.tls {
        None => Conn::Plain(socket),
        Some((name, trust, client)) => {
            let how = Handshaking {
                trust,
                client: client.as_ref(),
                starttls: None,
            };
            match secure(socket, name, &how, deadline) {
                Ok(session) => Conn::Tls(Box::new(session)),
                Err(why) => return why.into(),
            }
        }
    };
    let greeting = match &spec.banner {
        Banner::None => None,
        Banner::Any => Some(read_until(&mut stream, Wanted::Line, deadline, budget)),
        Banner::Containing(text) => Some(read_until(
            &mut stream,
            Wanted::Greeting(text),
            deadline,
            budget,
        )),
    };
    match greeting {
        Some(Err(why)) => return Probed::fail(format!("no greeting as expected: {why}")),
        Some(Ok(_)) if spec.send.is_none() && spec.expect.is_none() => {
            return Probed::pass(format!(
                "connected, greeted `{}`",
                greeting_line(greeting.as_ref())
            ));
        }
        _ => {}
    }
    if let Some(send) = &spec.send {
        let written = stream
            .socket()
            .set_write_timeout(Some(at_least_a_millisecond(deadline.remaining())))
            .and_then(|()| stream.write_all(send.as_bytes()))
            .and_then(|()| stream.flush());
        if let Err(error) = written {
            return Probed::fail(format!(
                "connected, but sending failed: {}",
                describe_io(&error, budget)
            ));
        }
    }
    let Some(expect) = &spec.expect else {
        return Probed::pass("connected");
    };
    match read_until(&mut stream, Wanted::Text(expect), deadline, budget) {
        Ok(_) => Probed::pass(format!("connected, got `{}`", sanitize(expect))),
        Err(why) => Probed::fail(why),
    }
}

/// The last line of a greeting that was read (the one the server waits after), for the
/// detail.
fn greeting_line(greeting: Option<&Result<String, String>>) -> String {
    let text = greeting
        .and_then(|g| g.as_ref().ok())
        .map_or("", String::as_str);
    let line = text.lines().last().unwrap_or_default().trim();
    sanitize(&line.chars().take(SHOWN).collect::<String>())
}

/// The connection, plain or in a TLS session.
enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Conn {
    /// The TCP socket under it, whose timeouts bound every read and write.
    fn socket(&self) -> &TcpStream {
        match self {
            Conn::Plain(socket) => socket,
            Conn::Tls(session) => &session.sock,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(socket) => socket.read(buffer),
            Conn::Tls(session) => session.read(buffer),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(socket) => socket.write(bytes),
            Conn::Tls(session) => session.write(bytes),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(socket) => socket.flush(),
            Conn::Tls(session) => session.flush(),
        }
    }
}

/// What `read_until` waits for.
#[derive(Clone, Copy)]
enum Wanted<'a> {
    /// A whole greeting, whatever it says.
    Line,
    /// A whole greeting holding this text.
    Greeting(&'a str),
    /// This text.
    Text(&'a str),
}

/// Whether `text` holds a whole greeting: a complete line that is not an SMTP/FTP continuation
/// (`220-…`), after which the server waits for the client. Postfix's postscreen sends a
/// `220-` line first and drops a client that talks before the final `220 ` line.
fn greeting_complete(text: &str) -> bool {
    let Some(end) = text.rfind('\n') else {
        return false;
    };
    let last = text[..end].rsplit('\n').next().unwrap_or_default();
    let bytes = last.as_bytes();
    let continuation =
        bytes.len() >= 4 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[3] == b'-';
    !continuation
}

/// Reads until what is wanted has come, the peer closes, the cap is reached or the deadline
/// passes. `Ok` holds what came; `Err` says what was wanted, what came (its first 200 bytes, or
/// "nothing came") and why the waiting stopped.
fn read_until(
    stream: &mut Conn,
    wanted: Wanted,
    deadline: Deadline,
    budget: Duration,
) -> Result<String, String> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received);
        let done = match wanted {
            Wanted::Line => greeting_complete(&text),
            Wanted::Greeting(expect) => greeting_complete(&text) && text.contains(expect),
            Wanted::Text(expect) => text.contains(expect),
        };
        if done {
            return Ok(text.into_owned());
        }
        let remaining = deadline.remaining();
        let why = if remaining.is_zero() {
            timed_out(budget)
        } else if received.len() >= READ_CAP {
            format!("not within the first {READ_CAP} bytes")
        } else {
            let read = stream
                .socket()
                .set_read_timeout(Some(at_least_a_millisecond(remaining)))
                .and_then(|()| stream.read(&mut buffer));
            match read {
                Ok(0) => "the peer closed the connection".to_owned(),
                Ok(count) => {
                    received.extend_from_slice(&buffer[..count]);
                    continue;
                }
                Err(error) => describe_io(&error, budget),
            }
        };
        let wanted = match wanted {
            Wanted::Line => "a greeting line".to_owned(),
            Wanted::Greeting(expect) | Wanted::Text(expect) => format!("`{}`", sanitize(expect)),
        };
        let got = String::from_utf8_lossy(&received[..received.len().min(SHOWN)]).into_owned();
        let got = got.trim_end();
        return Err(if got.is_empty() {
            format!("expected {wanted} from the peer, nothing came ({why})")
        } else {
            format!(
                "expected {wanted} from the peer, got `{}` ({why})",
                sanitize(got)
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::greeting_complete;

    #[test]
    fn a_greeting_is_complete_after_its_last_line() {
        assert!(!greeting_complete("220 mx ESMTP"));
        assert!(greeting_complete("220 mx ESMTP\r\n"));
        assert!(!greeting_complete("220-mx.example.test ESMTP\r\n"));
        assert!(greeting_complete(
            "220-mx.example.test ESMTP\r\n220 mx.example.test ESMTP\r\n"
        ));
        assert!(greeting_complete("SSH-2.0-OpenSSH_9.2p1\r\n"));
    }
}
