//! The `tls` check (SPEC §5) and `cert_warn_before` of `http`: one handshake with SNI, the chain
//! and host name verified against the system's CA certificates (or `ca_file`), then the leaf
//! certificate's notAfter compared with `warn_before` and `fail_before`.
//!
//! The system's CA certificates are those `SSL_CERT_FILE`/`SSL_CERT_DIR` or the usual system paths
//! hold; a system without any falls back to Mozilla's bundle built into the binary. HTTP checks
//! and the Cachet client trust the same set (`ureq_roots`), so the kinds never disagree.

use std::io::Write;
use std::net::{IpAddr, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
};

use super::http::describe_io;
use super::tcp::{at_least_a_millisecond, connect};
use super::{Level, Probed};
use crate::deadline::{Deadline, unix_now};
use crate::output::sanitize;

#[derive(Debug)]
pub struct TlsSpec {
    /// `host:port`.
    pub address: String,
    /// The name sent as SNI and verified against the certificate.
    pub server_name: String,
    pub warn_before: Option<Duration>,
    pub fail_before: Option<Duration>,
    pub trust: Trust,
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
    /// A trust made of the certificates of a `ca_file` (as `http::load_ca_file` reads them).
    pub fn only(certificates: &[ureq::tls::Certificate<'static>]) -> Result<Trust, String> {
        let mut store = RootCertStore::empty();
        let (added, _) = store.add_parsable_certificates(
            certificates
                .iter()
                .map(|certificate| CertificateDer::from(certificate.der())),
        );
        if added == 0 {
            return Err("holds no CA certificate rustls can use".to_owned());
        }
        Ok(Trust::Only(Arc::new(client_config(store))))
    }

    fn config(&self) -> Arc<ClientConfig> {
        match self {
            Trust::System => system_config(),
            Trust::Only(config) => Arc::clone(config),
            Trust::Anything => {
                static ANYTHING: OnceLock<Arc<ClientConfig>> = OnceLock::new();
                Arc::clone(ANYTHING.get_or_init(|| {
                    let provider = Arc::new(rustls::crypto::ring::default_provider());
                    let verifier = AcceptAnything(provider.signature_verification_algorithms);
                    Arc::new(
                        builder(provider)
                            .dangerous()
                            .with_custom_certificate_verifier(Arc::new(verifier))
                            .with_no_client_auth(),
                    )
                }))
            }
        }
    }
}

/// The system's CA certificates, read once per process; empty when the system has none.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let chosen = std::env::var_os("SSL_CERT_FILE").is_some()
            || std::env::var_os("SSL_CERT_DIR").is_some();
        // One bundle file is read much faster than a directory of hashed links to the same
        // certificates, which is what a search of every path would also read.
        let bundle = BUNDLES
            .iter()
            .map(std::path::Path::new)
            .find(|path| path.is_file());
        match bundle {
            Some(bundle) if !chosen => {
                rustls_native_certs::load_certs_from_paths(Some(bundle), None).certs
            }
            _ => rustls_native_certs::load_native_certs().certs,
        }
    })
}

/// Where distributions keep their CA bundle, most common first.
const BUNDLES: [&str; 5] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The same roots for ureq (HTTP checks, the Cachet client), converted once per process.
pub fn ureq_roots() -> ureq::tls::RootCerts {
    static ROOTS: OnceLock<ureq::tls::RootCerts> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let roots = system_roots();
            if roots.is_empty() {
                ureq::tls::RootCerts::WebPki
            } else {
                roots
                    .iter()
                    .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
                    .into()
            }
        })
        .clone()
}

fn system_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    Arc::clone(CONFIG.get_or_init(|| {
        let mut store = RootCertStore::empty();
        let roots = system_roots();
        if roots.is_empty() {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        } else {
            store.add_parsable_certificates(roots.iter().cloned());
        }
        Arc::new(client_config(store))
    }))
}

fn builder(
    provider: Arc<CryptoProvider>,
) -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    // ring supports every version, so the fallback (rustls's own defaults) is never taken; it
    // is there so that a provider without TLS 1.2 cannot make this panic.
    ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .unwrap_or_else(|_| ClientConfig::builder())
}

fn client_config(store: RootCertStore) -> ClientConfig {
    builder(Arc::new(rustls::crypto::ring::default_provider()))
        .with_root_certificates(store)
        .with_no_client_auth()
}

/// Verifies nothing but the handshake's signatures: for `insecure = true`.
#[derive(Debug)]
struct AcceptAnything(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_schemes()
    }
}

pub fn probe(spec: &TlsSpec, deadline: Deadline) -> Probed {
    match expiry(&spec.address, &spec.server_name, &spec.trust, deadline) {
        Ok(not_after) => judge_expiry(
            &spec.server_name,
            not_after,
            spec.warn_before,
            spec.fail_before,
        ),
        Err(why) => Probed::fail(why),
    }
}

/// The leaf certificate's notAfter (Unix seconds) after a verified handshake, or why there is
/// none in words.
pub fn expiry(
    address: &str,
    server_name: &str,
    trust: &Trust,
    deadline: Deadline,
) -> Result<i64, String> {
    let budget = deadline.remaining();
    let name = server_name_of(server_name)?;
    let mut socket = connect(address, deadline, budget)?;
    let mut connection = ClientConnection::new(trust.config(), name)
        .map_err(|error| format!("TLS setup failed: {error}"))?;
    handshake(&mut connection, &mut socket, deadline, budget).map_err(|why| match why {
        Failure::Tls(error) => describe_tls_error(server_name, &error),
        Failure::Other(why) => why,
    })?;
    let leaf = connection
        .peer_certificates()
        .and_then(|chain| chain.first())
        .ok_or_else(|| "the server sent no certificate".to_owned())?;
    let not_after = not_after(leaf)?;
    connection.send_close_notify();
    let _ = connection.write_tls(&mut socket);
    Ok(not_after)
}

enum Failure {
    Tls(rustls::Error),
    Other(String),
}

fn handshake(
    connection: &mut ClientConnection,
    socket: &mut TcpStream,
    deadline: Deadline,
    budget: Duration,
) -> Result<(), Failure> {
    let io = |error: std::io::Error| match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => Failure::Tls(tls.clone()),
        None if matches!(
            error.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ) =>
        {
            Failure::Other(format!("TLS handshake {}", super::timed_out(budget)))
        }
        None => Failure::Other(format!(
            "TLS handshake failed: {}",
            describe_io(&error, budget)
        )),
    };
    while connection.is_handshaking() {
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            return Err(Failure::Other(format!(
                "TLS handshake {}",
                super::timed_out(budget)
            )));
        }
        let timeout = Some(at_least_a_millisecond(remaining));
        if connection.wants_write() {
            socket.set_write_timeout(timeout).map_err(io)?;
            connection.write_tls(socket).map_err(io)?;
            socket.flush().map_err(io)?;
        } else if connection.wants_read() {
            socket.set_read_timeout(timeout).map_err(io)?;
            if connection.read_tls(socket).map_err(io)? == 0 {
                return Err(Failure::Other(
                    "TLS handshake failed: the server closed the connection".to_owned(),
                ));
            }
            if let Err(error) = connection.process_new_packets() {
                // Tell the server why, as a browser would, then report it.
                let _ = connection.write_tls(socket);
                return Err(Failure::Tls(error));
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

fn not_after(leaf: &CertificateDer<'_>) -> Result<i64, String> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    X509Certificate::from_der(leaf.as_ref())
        .map(|(_, certificate)| certificate.validity().not_after.timestamp())
        .map_err(|error| format!("cannot read the server's certificate: {error}"))
}

/// The outcome of a certificate that expires at `not_after` (Unix seconds).
pub fn judge_expiry(
    server_name: &str,
    not_after: i64,
    warn_before: Option<Duration>,
    fail_before: Option<Duration>,
) -> Probed {
    let left = not_after - unix_now();
    let date = date_of(not_after);
    let name = sanitize(server_name);
    if left <= 0 {
        return Probed::fail(expired(&name, not_after));
    }
    let text = format!(
        "certificate for {name} expires in {} ({date})",
        span_in_words(left)
    );
    let within = |limit: Option<Duration>| {
        limit.is_some_and(|limit| u64::try_from(left).is_ok_and(|left| left < limit.as_secs()))
    };
    if within(fail_before) {
        Probed::fail(text)
    } else if within(warn_before) {
        Probed {
            level: Level::Warn,
            detail: text,
            perfdata: Vec::new(),
        }
    } else {
        Probed::pass(text)
    }
}

/// "certificate for NAME expired 3 days ago (2026-11-20)".
fn expired(name: &str, not_after: i64) -> String {
    format!(
        "certificate for {name} expired {} ago ({})",
        span_in_words(unix_now() - not_after),
        date_of(not_after)
    )
}

fn describe_tls_error(server_name: &str, error: &rustls::Error) -> String {
    let name = sanitize(server_name);
    let rustls::Error::InvalidCertificate(certificate) = error else {
        return format!("TLS handshake failed: {error}");
    };
    match certificate {
        CertificateError::ExpiredContext { not_after, .. } => expired(
            &name,
            i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX),
        ),
        CertificateError::Expired => format!("certificate for {name} has expired"),
        CertificateError::NotValidYetContext { not_before, .. } => {
            let not_before = i64::try_from(not_before.as_secs()).unwrap_or(i64::MAX);
            format!(
                "certificate for {name} is not valid before {}",
                date_of(not_before)
            )
        }
        CertificateError::NotValidForNameContext { presented, .. } => format!(
            "certificate is not valid for {name} (it names {})",
            sanitize(&presented.join(", "))
        ),
        CertificateError::NotValidForName => format!("certificate is not valid for {name}"),
        CertificateError::UnknownIssuer => format!(
            "certificate for {name} is not trusted: issued by an unknown CA (is it in the system's CA certificates, or set `ca_file`)"
        ),
        CertificateError::Revoked => format!("certificate for {name} has been revoked"),
        other => format!("certificate for {name} is not valid: {other:?}"),
    }
}

/// `2026-11-28`.
fn date_of(unix: i64) -> String {
    let time = crate::deadline::format_unix(unix);
    match time.get(..10) {
        Some(date) if time.ends_with('Z') => date.to_owned(),
        _ => time,
    }
}

/// "5 days", "1 day", "7 hours", "12 minutes".
fn span_in_words(seconds: i64) -> String {
    let plural = |count: i64, unit: &str| {
        if count == 1 {
            format!("1 {unit}")
        } else {
            format!("{count} {unit}s")
        }
    };
    match seconds {
        s if s >= 86_400 => plural(s / 86_400, "day"),
        s if s >= 3_600 => plural(s / 3_600, "hour"),
        s => plural((s / 60).max(1), "minute"),
    }
}

#[cfg(test)]
mod tests {
    use super::{Level, date_of, judge_expiry, span_in_words, unix_now as now};
    use std::time::Duration;

    const DAY: i64 = 86_400;

    #[test]
    fn expiry_levels_follow_warn_and_fail_before() {
        let warn = Some(Duration::from_secs(14 * 86_400));
        let fail = Some(Duration::from_secs(3 * 86_400));
        let judged = |days: i64| judge_expiry("h", now() + days * DAY + 60, warn, fail);
        assert_eq!(judged(30).level, Level::Pass);
        assert_eq!(judged(10).level, Level::Warn);
        assert_eq!(judged(2).level, Level::Fail);
        assert_eq!(judged(-2).level, Level::Fail);
        assert!(
            judged(10)
                .detail
                .starts_with("certificate for h expires in 10 days (")
        );
        assert!(
            judged(-2)
                .detail
                .starts_with("certificate for h expired 1 day ago (")
        );
    }

    #[test]
    fn dates_and_spans_read_naturally() {
        assert_eq!(date_of(1_795_824_000), "2026-11-28");
        assert_eq!(span_in_words(5 * DAY + 3), "5 days");
        assert_eq!(span_in_words(DAY), "1 day");
        assert_eq!(span_in_words(7 * 3_600), "7 hours");
        assert_eq!(span_in_words(30), "1 minute");
    }
}
