//! mTLS: the certificate a connection presents when the server asks for one (`client_cert`
//! and `client_key`), the same for the `tls` kind's handshakes and the HTTP kinds' requests.

use std::path::Path;
use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, SignatureScheme};
use ureq::tls::{ClientCert, PemItem};

use super::provider;

/// Reads a client certificate (its chain, PEM) and its key (PEM), for ureq's `TlsConfig` and
/// `presenting`. A key others may read gets a warning, as a token file does.
pub fn load_client_cert(cert: &Path, key: &Path) -> Result<ClientCert, String> {
    let read = |path: &Path| {
        crate::file::read_file_capped(path, 1 << 20, &format!("`{}`", path.display()))
            .map_err(|error| format!("{error:#}"))
    };
    let chain: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&read(cert)?)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(certificate)) => Some(certificate),
            _ => None,
        })
        .collect();
    if chain.is_empty() {
        return Err(format!("`{}` holds no PEM certificate", cert.display()));
    }
    crate::secret::warn_if_readable_by_others(key, "client key");
    let private = ureq::tls::parse_pem(&read(key)?)
        .find_map(|item| match item {
            Ok(PemItem::PrivateKey(key)) => Some(key),
            _ => None,
        })
        .ok_or_else(|| format!("`{}` holds no PEM private key", key.display()))?;
    let client = ClientCert::new_with_certs(&chain, private);
    certified(&client).map(|_| client)
}

/// The rustls form of a client certificate: its chain and a signing key.
pub fn certified(client: &ClientCert) -> Result<Arc<CertifiedKey>, String> {
    let chain: Vec<CertificateDer<'static>> = client
        .certs()
        .iter()
        .map(|certificate| CertificateDer::from(certificate.der().to_vec()))
        .collect();
    let key = PrivateKeyDer::try_from(client.private_key().der().to_vec())
        .map_err(|why| format!("the client key cannot be read: {why}"))?;
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|error| format!("the client key cannot be used: {error}"))?;
    Ok(Arc::new(CertifiedKey::new(chain, signing)))
}

/// `config`, presenting `certified` to a server that asks for a client certificate.
pub fn presenting(config: &ClientConfig, certified: Arc<CertifiedKey>) -> Arc<ClientConfig> {
    let mut config = config.clone();
    config.client_auth_cert_resolver = Arc::new(Present(certified));
    Arc::new(config)
}

/// Always the same certificate, whatever the server asks.
#[derive(Debug)]
struct Present(Arc<CertifiedKey>);

impl ResolvesClientCert for Present {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }

    fn has_certs(&self) -> bool {
        true
    }
}
