//! How every TLS connection of cachet-check is verified — the `tls` kind's handshakes, the HTTP
//! kinds' and the Cachet client's through ureq (`transport.rs`) — and the one place a TLS
//! failure becomes a sentence (`words.rs`).
//!
//! Verification is webpki's (`verify.rs`), with two additions: a server certificate that is
//! itself one of the trusted certificates is accepted after its names and dates are judged, as
//! `curl --cacert` and `openssl s_client -CAfile` do (a self-signed certificate made by
//! `openssl req -x509` carries `CA:TRUE`, which webpki refuses as a server certificate); and a
//! chain that stops at a leaf whose issuer the server did not send is called incomplete rather
//! than "unknown issuer". Here: whom a connection trusts — the system's CA certificates, a
//! `ca_file`'s, or anyone.

mod chain;
mod client;
mod transport;
mod verify;
mod words;

pub use chain::{Earliest, dated, earliest, expired_words, keep_earlier};
pub use client::{certified, load_client_cert, presenting};
pub use transport::Connector;
pub use verify::Verifier;
pub use words::{describe, not_tls, span_in_words};

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore};

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

/// `config` resuming no session: every handshake shows the server's certificate. A resumed
/// session shows none, and what was judged would be the certificate of an earlier handshake,
/// perhaps of another server behind the same name.
fn without_resumption(mut config: ClientConfig) -> ClientConfig {
    config.resumption = rustls::client::Resumption::disabled();
    config
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
                Arc::new(without_resumption(
                    builder()
                        .with_root_certificates(store)
                        .with_no_client_auth(),
                ))
            }
        }
    }))
}

/// The configuration that trusts `roots` alone (a `ca_file`'s), built once per distinct set of
/// certificates: the checks of a config that name one CA file share it, where each of
/// thousands used to build its own (14 KiB of memory each, all run long, and a parse of the
/// certificates).
pub fn trusting_only(roots: Vec<CertificateDer<'static>>) -> Result<Arc<ClientConfig>, String> {
    type Built = HashMap<Vec<CertificateDer<'static>>, Arc<ClientConfig>>;
    static BUILT: LazyLock<Mutex<Built>> = LazyLock::new(Mutex::default);
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(config) = built.get(&roots) {
        return Ok(Arc::clone(config));
    }
    let config = Arc::new(Verifier::new(roots.clone())?.client_config());
    built.insert(roots, Arc::clone(&config));
    Ok(config)
}

/// The configuration of `insecure = true`: any chain, any name; only the handshake's
/// signatures are checked.
pub fn accept_anything() -> Arc<ClientConfig> {
    static ANYTHING: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    Arc::clone(ANYTHING.get_or_init(|| {
        let verifier = AcceptAnything(provider().signature_verification_algorithms);
        Arc::new(without_resumption(
            builder()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth(),
        ))
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
