//! How every TLS connection of cachet-check is verified — the `tls` kind's handshakes, the HTTP
//! kinds' and the Cachet client's through ureq (`Connector`) — and the one place a TLS failure
//! becomes a sentence (`describe`).
//!
//! Verification is webpki's, with two additions: a server certificate that is itself one of the
//! trusted certificates is accepted after its names and dates are judged, as `curl --cacert` and
//! `openssl s_client -CAfile` do (a self-signed certificate made by `openssl req -x509` carries
//! `CA:TRUE`, which webpki refuses as a server certificate); and a chain that stops at a leaf
//! whose issuer the server did not send is called incomplete rather than "unknown issuer".

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, OtherError,
    RootCertStore, StreamOwned,
};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

use crate::text::sanitize;

/// webpki's verification of `roots`, and the two additions of the module comment.
#[derive(Debug)]
pub struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    /// The trusted certificates themselves, to recognise a server certificate among them.
    trusted: Vec<CertificateDer<'static>>,
}

impl Verifier {
    /// A verifier trusting `roots`; an error when none of them can serve as a trust anchor.
    pub fn new(roots: Vec<CertificateDer<'static>>) -> Result<Verifier, String> {
        let mut store = RootCertStore::empty();
        let (added, _) = store.add_parsable_certificates(roots.iter().cloned());
        if added == 0 {
            return Err("holds no certificate that can be trusted".to_owned());
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
            .build()
            .map_err(|error| format!("cannot use its certificates ({error})"))?;
        Ok(Verifier {
            webpki,
            trusted: roots,
        })
    }

    /// The rustls client configuration that verifies with this.
    pub fn client_config(self) -> ClientConfig {
        builder()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(self))
            .with_no_client_auth()
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verdict {
            Err(_)
                if self
                    .trusted
                    .iter()
                    .any(|t| t.as_ref() == end_entity.as_ref()) =>
            {
                trusted_leaf(end_entity, server_name, now)
            }
            Err(rustls::Error::InvalidCertificate(_))
                if intermediates.is_empty() && self_issued(end_entity) =>
            {
                Err(untrusted(Untrusted::SelfSigned))
            }
            Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))
                if intermediates.is_empty() =>
            {
                Err(untrusted(Untrusted::Incomplete))
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// A server certificate that is itself trusted: its names and dates are still judged.
fn trusted_leaf(
    end_entity: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, rustls::Error> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let parsed = ParsedCertificate::try_from(end_entity)?;
    rustls::client::verify_server_name(&parsed, server_name)?;
    let (_, certificate) = X509Certificate::from_der(end_entity.as_ref())
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let validity = certificate.validity();
    let unix = |seconds: i64| UnixTime::since_unix_epoch(seconds_since_epoch(seconds));
    let time = now;
    if now.as_secs() < seconds_since_epoch(validity.not_before.timestamp()).as_secs() {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidYetContext {
                time,
                not_before: unix(validity.not_before.timestamp()),
            },
        ));
    }
    if now.as_secs() > seconds_since_epoch(validity.not_after.timestamp()).as_secs() {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::ExpiredContext {
                time,
                not_after: unix(validity.not_after.timestamp()),
            },
        ));
    }
    Ok(ServerCertVerified::assertion())
}

fn seconds_since_epoch(seconds: i64) -> std::time::Duration {
    std::time::Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

/// Whether a certificate names itself as its issuer (a root, or a self-signed leaf).
fn self_issued(certificate: &CertificateDer<'_>) -> bool {
    use x509_parser::prelude::{FromDer, X509Certificate};
    X509Certificate::from_der(certificate.as_ref())
        .is_ok_and(|(_, parsed)| parsed.issuer() == parsed.subject())
}

/// Why a certificate webpki refused is not trusted, where the chain the server sent tells more
/// than webpki's error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Untrusted {
    /// The server sent only its own certificate, whose issuer it did not send.
    Incomplete,
    /// The server's certificate signed itself and is not among the trusted ones.
    SelfSigned,
}

impl Untrusted {
    fn sentence(self) -> &'static str {
        match self {
            Untrusted::Incomplete => {
                "the chain is incomplete (the server sent no intermediate certificate)"
            }
            Untrusted::SelfSigned => "it is self-signed (name it in `ca_file` to trust it)",
        }
    }
}

impl std::fmt::Display for Untrusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.sentence())
    }
}

impl std::error::Error for Untrusted {}

fn untrusted(why: Untrusted) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(why))))
}

/// The crypto provider of every connection.
pub fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())))
}

/// A client config builder with every TLS version ring supports.
pub fn builder() -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    // ring supports every version, so the fallback (rustls's own defaults) is never taken; it
    // is there so that a provider without TLS 1.2 cannot make this panic.
    ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .unwrap_or_else(|_| ClientConfig::builder())
}

/// A TLS failure in words: what is wrong with which certificate, or with the server.
/// `name` is the server name asked for.
pub fn describe(name: &str, error: &rustls::Error) -> String {
    let name = sanitize(name);
    match error {
        rustls::Error::InvalidCertificate(certificate) => describe_certificate(&name, certificate),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the server does not speak TLS on this port (its answer is not a TLS handshake: plain HTTP, or a protocol that starts TLS later)".to_owned()
        }
        rustls::Error::AlertReceived(alert) => format!(
            "the server refused the TLS handshake ({})",
            alert_in_words(*alert)
        ),
        rustls::Error::PeerIncompatible(_) => {
            "the server offers no TLS version or cipher this client supports".to_owned()
        }
        rustls::Error::NoCertificatesPresented => "the server sent no certificate".to_owned(),
        rustls::Error::DecryptError | rustls::Error::PeerMisbehaved(_) => {
            "the server broke the TLS protocol during the handshake".to_owned()
        }
        _ => "the TLS handshake failed".to_owned(),
    }
}

fn describe_certificate(name: &str, error: &CertificateError) -> String {
    let date = |time: &UnixTime| {
        crate::deadline::format_date(i64::try_from(time.as_secs()).unwrap_or(i64::MAX))
    };
    match error {
        CertificateError::ExpiredContext { not_after, .. } => {
            expired(name, i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX))
        }
        CertificateError::Expired => format!("certificate for {name} has expired"),
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "certificate for {name} is not valid before {}",
            date(not_before)
        ),
        CertificateError::NotValidYet => format!("certificate for {name} is not valid yet"),
        CertificateError::NotValidForNameContext { presented, .. } => {
            let presented: Vec<&str> = presented.iter().map(|n| bare_name(n)).collect();
            format!(
                "certificate is not valid for {name} (it names {})",
                sanitize(&presented.join(", "))
            )
        }
        CertificateError::NotValidForName => format!("certificate is not valid for {name}"),
        CertificateError::UnknownIssuer => format!(
            "certificate for {name} is not trusted: issued by an unknown CA (add it to the system's CA certificates, or name it in `ca_file`)"
        ),
        CertificateError::Other(other) if other.0.downcast_ref::<Untrusted>().is_some() => {
            let why = other
                .0
                .downcast_ref::<Untrusted>()
                .map_or("", |w| w.sentence());
            format!("certificate for {name} is not trusted: {why}")
        }
        CertificateError::BadSignature => {
            format!("certificate for {name} is not trusted: its signature is invalid")
        }
        CertificateError::Revoked => format!("certificate for {name} has been revoked"),
        CertificateError::BadEncoding => {
            format!("certificate for {name} cannot be read (bad encoding)")
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            format!("certificate for {name} is not meant for a TLS server")
        }
        _ => format!("certificate for {name} is not valid"),
    }
}

/// "certificate for NAME expired 3 days ago (2026-11-20)".
pub fn expired(name: &str, not_after: i64) -> String {
    format!(
        "certificate for {name} expired {} ago ({})",
        span_in_words(crate::deadline::unix_now() - not_after),
        crate::deadline::format_date(not_after)
    )
}

/// "5 days", "1 day", "7 hours", "12 minutes".
pub fn span_in_words(seconds: i64) -> String {
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

/// A server that answered a TLS handshake with something else, named by its first bytes.
pub fn not_tls(first: &[u8]) -> String {
    let text = String::from_utf8_lossy(first);
    let protocol = match text.as_ref() {
        t if t.starts_with("HTTP/") => Some("HTTP (plain text: use http://, or the TLS port)"),
        t if t.starts_with("SSH-") => Some("SSH"),
        t if t.starts_with("220") => Some("SMTP or FTP, whose TLS starts later (STARTTLS)"),
        t if t.starts_with("* OK") => Some("IMAP, whose TLS starts later (STARTTLS)"),
        t if t.starts_with("+OK") => Some("POP3, whose TLS starts later (STLS)"),
        _ => None,
    };
    let line = sanitize(text.lines().next().unwrap_or_default().trim());
    match protocol {
        Some(protocol) => format!(
            "the server does not speak TLS on this port: it answered like {protocol} (`{line}`)"
        ),
        None => "the server does not speak TLS on this port (its answer is not a TLS handshake)"
            .to_owned(),
    }
}

/// A name as webpki presents it, without its type: `DnsName("a.example")` → `a.example`,
/// `IpAddress(127.0.0.1)` → `127.0.0.1`.
fn bare_name(presented: &str) -> &str {
    let Some((kind, rest)) = presented.split_once('(') else {
        return presented;
    };
    if !kind.chars().all(|c| c.is_ascii_alphabetic()) {
        return presented;
    }
    rest.strip_suffix(')')
        .map(|inner| inner.trim_matches('"'))
        .unwrap_or(presented)
}

fn alert_in_words(alert: rustls::AlertDescription) -> &'static str {
    use rustls::AlertDescription as A;
    match alert {
        A::HandshakeFailure => "no common cipher or version, or it wants a client certificate",
        A::CertificateRequired => "it wants a client certificate",
        A::UnrecognisedName => "it does not know the server name sent",
        A::ProtocolVersion => "no TLS version in common",
        A::BadCertificate | A::UnknownCA => "it refused the client certificate",
        A::InternalError => "an internal error of the server",
        _ => "a TLS alert",
    }
}

/// The system's CA certificates, read once per process; empty when the system has none.
pub fn system_roots() -> &'static [CertificateDer<'static>] {
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

/// The configuration that trusts the system's CA certificates (Mozilla's bundle where the
/// system has none), built once per process.
pub fn system_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    Arc::clone(CONFIG.get_or_init(|| {
        let roots = system_roots();
        match Verifier::new(roots.to_vec()) {
            Ok(verifier) => Arc::new(verifier.client_config()),
            Err(_) => {
                let mut store = RootCertStore::empty();
                store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                Arc::new(
                    builder()
                        .with_root_certificates(store)
                        .with_no_client_auth(),
                )
            }
        }
    }))
}

/// The configuration of `insecure = true`: any chain, any name; only the handshake's
/// signatures are checked.
pub fn accept_anything() -> Arc<ClientConfig> {
    static ANYTHING: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    Arc::clone(ANYTHING.get_or_init(|| {
        let verifier = AcceptAnything(provider().signature_verification_algorithms);
        Arc::new(
            builder()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth(),
        )
    }))
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

/// ureq's TLS layer with `Verifier`: the HTTP kinds and the Cachet client connect through it,
/// so they trust what the `tls` kind trusts. The agent's own setting (the system's roots) is
/// built once; a request's own (`ca_file`, `insecure`) once per distinct setting.
#[derive(Default)]
pub struct Connector {
    agent: OnceLock<Arc<ClientConfig>>,
    requests: Mutex<HashMap<u64, Arc<ClientConfig>>>,
}

impl Connector {
    fn config(&self, details: &ConnectionDetails) -> Result<Arc<ClientConfig>, ureq::Error> {
        let tls = details.config.tls_config();
        if !details.request_level {
            if let Some(config) = self.agent.get() {
                return Ok(Arc::clone(config));
            }
            let config = client_config(tls)?;
            return Ok(Arc::clone(self.agent.get_or_init(|| config)));
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        tls.hash(&mut hasher);
        let key = hasher.finish();
        let mut cached = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(config) = cached.get(&key) {
            return Ok(Arc::clone(config));
        }
        let config = client_config(tls)?;
        cached.insert(key, Arc::clone(&config));
        Ok(config)
    }
}

/// The rustls configuration a ureq TLS setting asks for: the system's (the roots of
/// `ureq_roots`), a `ca_file`'s, or none (`insecure`).
fn client_config(tls: &TlsConfig) -> Result<Arc<ClientConfig>, ureq::Error> {
    if tls.disable_verification() {
        return Ok(accept_anything());
    }
    let RootCerts::Specific(certificates) = tls.root_certs() else {
        return Ok(system_config());
    };
    if let RootCerts::Specific(system) = ureq_roots()
        && Arc::ptr_eq(certificates, &system)
    {
        return Ok(system_config());
    }
    let roots = certificates
        .iter()
        .map(|certificate| CertificateDer::from(certificate.der().to_vec()))
        .collect();
    let verifier =
        Verifier::new(roots).map_err(|_| ureq::Error::Tls("no usable CA certificate"))?;
    Ok(Arc::new(verifier.client_config()))
}

impl<In: Transport> ureq::unversioned::transport::Connector<In> for Connector {
    type Out = Either<In, Tls>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let config = self.config(details)?;
        let host = details
            .uri
            .host()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| ureq::Error::Tls("the host is not a valid TLS server name"))?;
        let mut connection = ClientConnection::new(config, name)?;
        let mut socket = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        socket.set_timeout(details.timeout);
        connection.complete_io(&mut socket)?;
        Ok(Some(Either::B(Tls {
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            stream: StreamOwned::new(connection, socket),
        })))
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tls::Connector")
    }
}

/// A TLS connection for ureq.
pub struct Tls {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl Transport for Tls {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let read = self.stream.read(input)?;
        self.buffers.input_appended(read);
        Ok(read > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tls::Tls")
    }
}
