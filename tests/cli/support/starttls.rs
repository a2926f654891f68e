//! Servers on 127.0.0.1 that speak the plain-text part of a STARTTLS protocol as their real
//! counterparts do, then the TLS handshake with a test-made certificate.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// How a fake server answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Smtp,
    /// An SMTP server whose EHLO answer does not offer STARTTLS.
    SmtpWithoutTls,
    Imap,
    Pop3,
    Ftp,
    Postgres,
    /// A PostgreSQL server with `ssl = off`: it answers N.
    PostgresWithoutTls,
    Ldap,
    Xmpp,
}

/// Serves `dialect` on 127.0.0.1, then TLS with `config`, for every connection.
pub fn serve(dialect: Dialect, config: Arc<rustls::ServerConfig>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                if plain_text(dialect, &stream).unwrap_or(false) {
                    handshake(stream, config);
                }
            });
        }
    });
    addr
}

fn line(reader: &mut BufReader<&TcpStream>) -> String {
    let mut line = String::new();
    let _ = reader.read_line(&mut line);
    line
}

/// The exchange before TLS; whether TLS follows.
fn plain_text(dialect: Dialect, stream: &TcpStream) -> std::io::Result<bool> {
    let mut out = stream;
    let mut reader = BufReader::new(stream);
    match dialect {
        Dialect::Smtp | Dialect::SmtpWithoutTls => {
            out.write_all(b"220-mx.example.test ESMTP\r\n220 mx.example.test ESMTP ready\r\n")?;
            let ehlo = line(&mut reader);
            assert!(ehlo.starts_with("EHLO "), "{ehlo}");
            if dialect == Dialect::Smtp {
                out.write_all(
                    b"250-mx.example.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
                )?;
            } else {
                out.write_all(b"250-mx.example.test\r\n250 8BITMIME\r\n")?;
                return Ok(false);
            }
            assert_eq!(line(&mut reader), "STARTTLS\r\n");
            out.write_all(b"220 2.0.0 Ready to start TLS\r\n")?;
        }
        Dialect::Imap => {
            out.write_all(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")?;
            let asked = line(&mut reader);
            let tag = asked.split(' ').next().unwrap_or_default().to_owned();
            out.write_all(format!("{tag} OK Begin TLS negotiation now\r\n").as_bytes())?;
        }
        Dialect::Pop3 => {
            out.write_all(b"+OK POP3 ready\r\n")?;
            assert_eq!(line(&mut reader), "STLS\r\n");
            out.write_all(b"+OK Begin TLS negotiation\r\n")?;
        }
        Dialect::Ftp => {
            out.write_all(b"220 (vsFTPd 3.0.3)\r\n")?;
            assert_eq!(line(&mut reader), "AUTH TLS\r\n");
            out.write_all(b"234 Proceed with negotiation.\r\n")?;
        }
        Dialect::Postgres | Dialect::PostgresWithoutTls => {
            let mut request = [0u8; 8];
            reader.read_exact(&mut request)?;
            assert_eq!(request, [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
            if dialect == Dialect::PostgresWithoutTls {
                out.write_all(b"N")?;
                return Ok(false);
            }
            out.write_all(b"S")?;
        }
        Dialect::Ldap => {
            let mut request = [0u8; 31];
            reader.read_exact(&mut request)?;
            assert!(request.ends_with(b"1.3.6.1.4.1.1466.20037"));
            out.write_all(b"\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00")?;
        }
        Dialect::Xmpp => {
            let mut said = Vec::new();
            let mut byte = [0u8; 1];
            while !said.ends_with(b"version='1.0'>") {
                reader.read_exact(&mut byte)?;
                said.push(byte[0]);
            }
            out.write_all(b"<?xml version='1.0'?><stream:stream from='localhost' id='1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>")?;
            said.clear();
            while !said.ends_with(b"/>") {
                reader.read_exact(&mut byte)?;
                said.push(byte[0]);
            }
            out.write_all(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")?;
        }
    }
    Ok(true)
}

fn handshake(mut stream: TcpStream, config: Arc<rustls::ServerConfig>) {
    let mut connection = rustls::ServerConnection::new(config).unwrap();
    while connection.is_handshaking() {
        if connection.complete_io(&mut stream).is_err() {
            return;
        }
    }
    let _ = connection.complete_io(&mut stream);
}
