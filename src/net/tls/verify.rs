//! webpki's verification of a server's chain, and the two additions of `super`'s comment.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, OtherError, RootCertStore};

use super::{builder, provider};

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
        super::without_resumption(
            builder()
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(self))
                .with_no_client_auth(),
        )
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
            // Which certificate expired: webpki says one did, not which.
            Err(
                error @ rustls::Error::InvalidCertificate(
                    CertificateError::Expired | CertificateError::ExpiredContext { .. },
                ),
            ) if !intermediates.is_empty() => {
                let chain: Vec<CertificateDer<'_>> = std::iter::once(end_entity.clone())
                    .chain(intermediates.iter().cloned())
                    .collect();
                match super::earliest(&chain, &server_name.to_str()) {
                    Ok(link) if link.index > 0 => Err(rustls::Error::InvalidCertificate(
                        CertificateError::Other(OtherError(Arc::new(ExpiredLink(link)))),
                    )),
                    _ => Err(error),
                }
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
pub(super) enum Untrusted {
    /// The server sent only its own certificate, whose issuer it did not send.
    Incomplete,
    /// The server's certificate signed itself and is not among the trusted ones.
    SelfSigned,
}

impl Untrusted {
    pub(super) fn sentence(self) -> &'static str {
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

/// A certificate of the chain other than the server's own expired: which one, for the words.
#[derive(Debug)]
pub(super) struct ExpiredLink(pub(super) super::Earliest);

impl std::fmt::Display for ExpiredLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&super::expired_words(&self.0.what, self.0.not_after))
    }
}

impl std::error::Error for ExpiredLink {}

fn untrusted(why: Untrusted) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(why))))
}
