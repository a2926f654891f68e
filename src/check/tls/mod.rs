//! The `tls` check (SPEC §5) and `cert_warn_before` of `http`: one handshake with SNI, the chain
//! and host name verified against the system's CA certificates (or `ca_file`), then the leaf
//! certificate's notAfter compared with `warn_before` and `fail_before`.
//!
//! The system's CA certificates are those `SSL_CERT_FILE`/`SSL_CERT_DIR` or the usual system paths
//! hold; a system without any falls back to Mozilla's bundle built into the binary. HTTP checks
//! and the Cachet client trust the same set (`ureq_roots`), so the kinds never disagree.

use std::io::Write;
use std::net::{IpAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use ureq::tls::{Certificate, PemItem};

mod expiry;
mod starttls;

pub use starttls::{Starttls, read_any_reply};

pub use expiry::{Earliest, Threshold, earliest, judge_expiry, thresholds};

use super::{ADDRESS, Built, Context, Endpoint, Probe, Probed};
use crate::deadline::Deadline;
use crate::keys::{Key, KeyError, Keys};
use crate::net::path::{self, Route};
use crate::net::tls::{accept_anything, system_config};
use crate::net::{Failure, at_least_a_millisecond, connect, describe_io, timed_out};
use crate::text::sanitize;

#[derive(Debug)]
pub struct TlsSpec {
    /// `host:port`.
    pub address: String,
    /// The name sent as SNI and verified against the certificate.
    pub server_name: String,
    pub warn: Option<Threshold>,
    pub fail: Option<Threshold>,
    pub trust: Trust,
    /// The plain-text protocol that asks for TLS first (`starttls`).
    pub starttls: Option<Starttls>,
    /// mTLS (`client_cert`, `client_key`).
    pub client: Option<ureq::tls::ClientCert>,
    pub path: path::Path,
}

/// How a handshake of the `tls` kind goes: whom it trusts, what it presents, how it starts.
pub struct Handshaking<'a> {
    pub trust: &'a Trust,
    pub client: Option<&'a ureq::tls::ClientCert>,
    pub starttls: Option<Starttls>,
}

/// Which certificates a check trusts.
#[derive(Clone, Debug)]
pub enum Trust {
    /// The system's CA certificates.
    System,
    /// The certificates of a `ca_file`, and nothing else.
    Only(Arc<ClientConfig>),
    /// Any chain and any name (`insecure = true`): only the dates are read.
    Anything,
}

impl Trust {
    /// A trust made of the certificates of a `ca_file` (as `load_ca_file` reads them).
    pub fn only(certificates: &[ureq::tls::Certificate<'static>]) -> Result<Trust, String> {
        let roots = certificates
            .iter()
            .map(|certificate| CertificateDer::from(certificate.der().to_vec()))
            .collect();
        Ok(Trust::Only(crate::net::tls::trusting_only(roots)?))
    }

    fn config(&self) -> Arc<ClientConfig> {
        match self {
            Trust::System => system_config(),
            Trust::Only(config) => Arc::clone(config),
            Trust::Anything => accept_anything(),
        }
    }
}

pub const KIND: super::Kind = super::Kind {
    word: "tls",
    keys: &[
        &[
            &ADDRESS,
            &SNI,
            &WARN_BEFORE,
            &FAIL_BEFORE,
            &CA_FILE,
            &INSECURE,
            &STARTTLS,
            &CLIENT_CERT,
            &CLIENT_KEY,
        ],
        path::KEYS,
    ],
    build,
};

/// The name sent as SNI and verified (`tls`, and `tcp` with `tls = true`).
pub const SNI: Key<String> = Key::new("sni");
const STARTTLS: Key<String> = Key::new("starttls");
pub use expiry::{FAIL_BEFORE, WARN_BEFORE};
/// Whom to trust instead of the system's CA certificates (`tls` and the HTTP-based kinds).
pub const CA_FILE: Key<PathBuf> = Key::new("ca_file");
/// Trust anyone: only the dates are read (`tls`), or nothing is verified (HTTP-based kinds).
pub const INSECURE: Key<bool> = Key::new("insecure");
/// mTLS: the certificate (PEM, its chain) presented when the server asks for one.
pub const CLIENT_CERT: Key<PathBuf> = Key::new("client_cert");
/// mTLS: the key of `client_cert` (PEM; readable by its owner alone, or a warning).
pub const CLIENT_KEY: Key<PathBuf> = Key::new("client_key");

/// `client_cert` and `client_key`, read: both or neither.
pub fn client_cert(keys: &mut Keys) -> Result<Option<ureq::tls::ClientCert>, KeyError> {
    match (keys.take(&CLIENT_CERT)?, keys.take(&CLIENT_KEY)?) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => {
            crate::net::tls::load_client_cert(&keys.path(&cert), &keys.path(&key))
                .map(Some)
                .map_err(|why| keys.invalid(&CLIENT_CERT, why))
        }
        (Some(_), None) => Err(keys.error(
            CLIENT_KEY.name,
            format!(
                "`{}` sets `client_cert` without `client_key`: give both",
                keys.table
            ),
        )),
        (None, Some(_)) => Err(keys.error(
            CLIENT_CERT.name,
            format!(
                "`{}` sets `client_key` without `client_cert`: give both",
                keys.table
            ),
        )),
    }
}

/// The keys of a TLS session (`sni`, `ca_file`, `insecure`, `client_cert`, `client_key`) read
/// for a connection to `address`: the name to verify, whom to trust, what to present.
pub fn session_keys(
    keys: &mut Keys,
    address: &str,
) -> Result<(String, Trust, Option<ureq::tls::ClientCert>), KeyError> {
    let server_name = match keys.take(&SNI)? {
        Some(sni) => sni,
        None => host_of(address).to_owned(),
    };
    check_server_name(&server_name).map_err(|why| keys.invalid(&SNI, why))?;
    let insecure = keys.take(&INSECURE)?.unwrap_or(false);
    let ca_file = match keys.take(&CA_FILE)? {
        Some(_) if insecure => return Err(both_trusts(keys)),
        Some(path) => Some(ca_certificates(keys, &path)?),
        None => None,
    };
    let trust = trust(keys, ca_file.as_deref(), insecure)?;
    Ok((server_name, trust, client_cert(keys)?))
}

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let address = keys.require(&ADDRESS, "`address = \"api.example.com:443\"`")?;
    let (server_name, trust, client) = session_keys(keys, &address.0)?;
    let (warn, fail) = expiry::thresholds(keys)?;
    let starttls = match keys.take(&STARTTLS)? {
        Some(word) => Some(Starttls::parse(&word).ok_or_else(|| {
            keys.invalid(
                &STARTTLS,
                format!(
                    "`{word}` is not a STARTTLS protocol: write one of {}",
                    Starttls::WORDS
                        .iter()
                        .map(|(word, _)| format!("`{word}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?),
        None => None,
    };
    let called = address.0.clone();
    let spec = TlsSpec {
        address: address.0,
        server_name,
        warn,
        fail,
        trust,
        starttls,
        client,
        path: path::read(keys)?,
    };
    Built::new(spec, called)
}

/// The certificates of the `ca_file` at `written`.
pub fn ca_certificates(keys: &Keys, written: &Path) -> Result<Vec<Certificate<'static>>, KeyError> {
    load_ca_file(&keys.path(written)).map_err(|why| keys.invalid(&CA_FILE, why))
}

fn both_trusts(keys: &Keys) -> KeyError {
    keys.error(
        INSECURE.name,
        format!(
            "`{}` sets both `ca_file` and `insecure = true`: keep one",
            keys.table
        ),
    )
}

/// Whom a `tls` check (or `cert_warn_before`) trusts: the certificates of its `ca_file`, anyone
/// (`insecure`), or the system's CA certificates.
pub fn trust(
    keys: &Keys,
    ca_file: Option<&[Certificate<'static>]>,
    insecure: bool,
) -> Result<Trust, KeyError> {
    match (ca_file, insecure) {
        (Some(_), true) => Err(both_trusts(keys)),
        (None, true) => Ok(Trust::Anything),
        (None, false) => Ok(Trust::System),
        (Some(certificates), false) => Trust::only(certificates).map_err(|why| {
            keys.error(CA_FILE.name, format!("`ca_file` in `{}` {why}", keys.table))
        }),
    }
}

/// The host of `host:port` (IPv6 without its brackets).
fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Reads the certificates of a PEM file (`ca_file`).
pub fn load_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let pem = crate::file::read_file_capped(path, 16 << 20, &format!("`{}`", path.display()))
        .map_err(|error| format!("{error:#}"))?;
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(certificate)) => certificates.push(certificate),
            Ok(_) => {}
            Err(error) => return Err(format!("`{}` is not a PEM file: {error}", path.display())),
        }
    }
    if certificates.is_empty() {
        return Err(format!("`{}` holds no PEM certificate", path.display()));
    }
    Ok(certificates)
}

impl Probe for TlsSpec {
    fn target(&self) -> String {
        match self.starttls {
            Some(protocol) => format!(
                "{} (as {}, STARTTLS {})",
                self.address,
                self.server_name,
                protocol.word()
            ),
            None => format!("{} (as {})", self.address, self.server_name),
        }
    }

    fn probe(&self, context: &Context, deadline: Deadline) -> Probed {
        probe(self, context.route, deadline)
    }

    fn endpoint(&self) -> Option<Endpoint<'_>> {
        Endpoint::at(&self.path, &self.address)
    }
}

fn probe(spec: &TlsSpec, route: Route, deadline: Deadline) -> Probed {
    let how = Handshaking {
        trust: &spec.trust,
        client: spec.client.as_ref(),
        starttls: spec.starttls,
    };
    match expiry(
        &spec.address,
        (&spec.path, route),
        &spec.server_name,
        &how,
        deadline,
    ) {
        Ok(earliest) => judge_expiry(&earliest, spec.warn, spec.fail),
        Err(why) => why.into(),
    }
}

/// The certificate of the presented chain that expires first, after a verified handshake, or
/// why there is none in words.
pub fn expiry(
    address: &str,
    (path, route): (&path::Path, Route),
    server_name: &str,
    how: &Handshaking,
    deadline: Deadline,
) -> Result<Earliest, Failure> {
    let budget = deadline.remaining();
    let socket = connect(address, path, route, deadline, budget)?;
    let mut session = secure(socket, server_name, how, deadline)?;
    let found = earliest(
        session.conn.peer_certificates().unwrap_or_default(),
        server_name,
    )?;
    session.conn.send_close_notify();
    let _ = session.conn.write_tls(&mut session.sock);
    Ok(found)
}

/// A TLS session over `socket` with `server_name`, its handshake done (after STARTTLS when
/// asked): for the `tls` kind, and for `tcp` with `tls = true`.
pub fn secure(
    mut socket: TcpStream,
    server_name: &str,
    how: &Handshaking,
    deadline: Deadline,
) -> Result<StreamOwned<ClientConnection, TcpStream>, Failure> {
    let budget = deadline.remaining();
    let name = server_name_of(server_name)?;
    let mut config = how.trust.config();
    if let Some(client) = how.client {
        config = crate::net::tls::presenting(&config, crate::net::tls::certified(client)?);
    }
    if let Some(protocol) = how.starttls {
        protocol
            .negotiate(&mut socket, server_name, deadline, budget)
            .map_err(|why| format!("STARTTLS {}: {why}", protocol.word()))?;
    }
    let mut connection = ClientConnection::new(config, name)
        .map_err(|error| format!("TLS setup failed: {error}"))?;
    let mut first = Vec::new();
    handshake(&mut connection, &mut socket, deadline, budget, &mut first).map_err(
        |why| match why {
            Handshake::Tls(
                rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. },
            ) => crate::net::tls::not_tls(&first),
            Handshake::Tls(error) => crate::net::tls::describe(server_name, &error),
            Handshake::Other(why) => why,
        },
    )?;
    Ok(StreamOwned::new(connection, socket))
}

enum Handshake {
    Tls(rustls::Error),
    Other(String),
}

fn handshake(
    connection: &mut ClientConnection,
    socket: &mut TcpStream,
    deadline: Deadline,
    budget: Duration,
    first: &mut Vec<u8>,
) -> Result<(), Handshake> {
    let io = |error: std::io::Error| match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => Handshake::Tls(tls.clone()),
        None if matches!(
            error.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ) =>
        {
            Handshake::Other(format!("TLS handshake {}", timed_out(budget)))
        }
        None => Handshake::Other(format!(
            "TLS handshake failed: {}",
            describe_io(&error, budget)
        )),
    };
    while connection.is_handshaking() {
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            return Err(Handshake::Other(format!(
                "TLS handshake {}",
                timed_out(budget)
            )));
        }
        let timeout = Some(at_least_a_millisecond(remaining));
        if connection.wants_write() {
            socket.set_write_timeout(timeout).map_err(io)?;
            connection.write_tls(socket).map_err(io)?;
            socket.flush().map_err(io)?;
        } else if connection.wants_read() {
            socket.set_read_timeout(timeout).map_err(io)?;
            if first.is_empty() {
                // What the server says first, kept to name its protocol if it is not TLS.
                let mut peeked = [0; 64];
                let seen = socket.peek(&mut peeked).map_err(io)?;
                first.extend_from_slice(&peeked[..seen]);
            }
            if connection.read_tls(socket).map_err(io)? == 0 {
                return Err(Handshake::Other(
                    "TLS handshake failed: the server closed the connection".to_owned(),
                ));
            }
            if let Err(error) = connection.process_new_packets() {
                // Tell the server why, as a browser would, then report it.
                let _ = connection.write_tls(socket);
                return Err(Handshake::Tls(error));
            }
        } else {
            break;
        }
    }
    Ok(())
}

/// Checks that `name` can be sent as SNI and verified.
pub fn check_server_name(name: &str) -> Result<(), String> {
    server_name_of(name).map(|_| ())
}

fn server_name_of(name: &str) -> Result<ServerName<'static>, String> {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(bare.to_owned())
        .map_err(|_| format!("`{}` is not a valid server name", sanitize(name)))
}
