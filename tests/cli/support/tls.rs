//! Certificates made during the test (rcgen) and rustls server configs for the TLS targets.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use time::{Duration, OffsetDateTime};

pub struct Pki {
    /// The CA certificate, PEM (what `ca_file` points at).
    pub ca_pem: String,
    /// A server with a leaf for `localhost` and 127.0.0.1, valid for 90 days.
    pub server: Arc<rustls::ServerConfig>,
    ca: rcgen::Certificate,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

/// A CA and a leaf certificate for `localhost` and 127.0.0.1, signed by it.
pub fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "cachet-check test CA");
    ca_params.not_before = OffsetDateTime::now_utc() - Duration::days(400);
    ca_params.not_after = OffsetDateTime::now_utc() + Duration::days(400);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let mut pki = Pki {
        ca_pem: ca.pem(),
        server: Arc::new(placeholder()),
        ca,
        issuer,
    };
    pki.server = pki.leaf(&["localhost"], Duration::days(90));
    pki
}

/// Any server config; replaced at once by `pki`.
fn placeholder() -> rustls::ServerConfig {
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(rustls::server::ResolvesServerCertUsingSni::new()))
}

impl Pki {
    /// A server whose leaf names `names` (and 127.0.0.1) and expires `left` from now (negative:
    /// expired that long ago). It was issued 30 days before that.
    pub fn leaf(&self, names: &[&str], left: Duration) -> Arc<rustls::ServerConfig> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(
            names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>(),
        )
        .unwrap();
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress(IpAddr::from([127, 0, 0, 1])));
        params.not_after = OffsetDateTime::now_utc() + left;
        params.not_before = params.not_after - Duration::days(30).max(left + Duration::days(1));
        let leaf = params.signed_by(&key, &self.issuer).unwrap();
        serving(vec![leaf.der().clone(), self.ca.der().clone()], &key)
    }
}

impl Pki {
    /// Servers behind one name that share their sessions, as a load balancer's backends
    /// sharing a session cache do: the first connection meets a leaf expiring `first` from
    /// now, every later one a leaf expiring `then`. TLS 1.2, whose session ids a client can
    /// resume as soon as a handshake ends; a client that resumes is shown no certificate.
    pub fn rotating(&self, first: Duration, then: Duration) -> Arc<rustls::ServerConfig> {
        let resolvers =
            [first, then].map(|left| self.leaf(&["localhost"], left).cert_resolver.clone());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Rotating {
                resolvers,
                served: AtomicUsize::new(0),
            }));
        Arc::new(server)
    }
}

#[derive(Debug)]
struct Rotating {
    resolvers: [Arc<dyn rustls::server::ResolvesServerCert>; 2],
    served: AtomicUsize,
}

impl rustls::server::ResolvesServerCert for Rotating {
    fn resolve(
        &self,
        hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        let which = self.served.fetch_add(1, Ordering::SeqCst).min(1);
        self.resolvers[which].resolve(hello)
    }
}

/// A server config presenting `chain` (leaf first) with the leaf's `key`.
fn serving(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: &rcgen::KeyPair,
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            chain,
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    Arc::new(server)
}

/// A self-signed certificate for `localhost` and 127.0.0.1 with `CA:TRUE`, as `openssl req
/// -x509` makes by default: its PEM (what `ca_file` names) and a server presenting it.
pub fn self_signed_ca_true() -> (String, Arc<rustls::ServerConfig>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(rcgen::SanType::IpAddress(IpAddr::from([127, 0, 0, 1])));
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.not_before = OffsetDateTime::now_utc() - Duration::days(1);
    params.not_after = OffsetDateTime::now_utc() + Duration::days(60);
    let certificate = params.self_signed(&key).unwrap();
    (
        certificate.pem(),
        serving(vec![certificate.der().clone()], &key),
    )
}

/// A root CA (its PEM) and a server whose leaf (for `localhost`, 127.0.0.1) is signed by an
/// intermediate CA the server does not send: an incomplete chain.
pub fn missing_intermediate() -> (String, Arc<rustls::ServerConfig>) {
    let ca_params = |name: &str| {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.not_before = OffsetDateTime::now_utc() - Duration::days(10);
        params.not_after = OffsetDateTime::now_utc() + Duration::days(400);
        params
    };
    let root_key = rcgen::KeyPair::generate().unwrap();
    let root = ca_params("test root").self_signed(&root_key).unwrap();
    let root_issuer = rcgen::Issuer::new(ca_params("test root"), root_key);
    let middle_key = rcgen::KeyPair::generate().unwrap();
    let _middle = ca_params("test intermediate")
        .signed_by(&middle_key, &root_issuer)
        .unwrap();
    let middle_issuer = rcgen::Issuer::new(ca_params("test intermediate"), middle_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(rcgen::SanType::IpAddress(IpAddr::from([127, 0, 0, 1])));
    let leaf = params.signed_by(&key, &middle_issuer).unwrap();
    (root.pem(), serving(vec![leaf.der().clone()], &key))
}

/// A root CA (its PEM) and a server presenting a leaf for `localhost` (and 127.0.0.1) valid 80
/// more days, and the intermediate CA that signed it, which expires `left` from now (negative:
/// expired that long ago) — the chain's weak link.
pub fn expiring_intermediate(left: Duration) -> (String, Arc<rustls::ServerConfig>) {
    let chain = expiring_chain(left);
    (chain.root_pem, chain.config)
}

/// `expiring_intermediate` as files for a real server: the root's PEM, the chain's (leaf then
/// intermediate), the leaf's key, and the same as a rustls config.
pub struct Chain {
    pub root_pem: String,
    pub chain_pem: String,
    pub key_pem: String,
    pub config: Arc<rustls::ServerConfig>,
}

pub fn expiring_chain(left: Duration) -> Chain {
    let ca_params = |name: &str, not_after: OffsetDateTime| {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.not_before = OffsetDateTime::now_utc() - Duration::days(400);
        params.not_after = not_after;
        params
    };
    let far = OffsetDateTime::now_utc() + Duration::days(400);
    let root_key = rcgen::KeyPair::generate().unwrap();
    let root = ca_params("test root", far).self_signed(&root_key).unwrap();
    let root_issuer = rcgen::Issuer::new(ca_params("test root", far), root_key);
    let middle_key = rcgen::KeyPair::generate().unwrap();
    let ends = OffsetDateTime::now_utc() + left;
    let middle = ca_params("test intermediate", ends)
        .signed_by(&middle_key, &root_issuer)
        .unwrap();
    let middle_issuer = rcgen::Issuer::new(ca_params("test intermediate", ends), middle_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(rcgen::SanType::IpAddress(IpAddr::from([127, 0, 0, 1])));
    params.not_before = OffsetDateTime::now_utc() - Duration::days(10);
    params.not_after = OffsetDateTime::now_utc() + Duration::days(80);
    let leaf = params.signed_by(&key, &middle_issuer).unwrap();
    Chain {
        root_pem: root.pem(),
        chain_pem: format!("{}{}", leaf.pem(), middle.pem()),
        key_pem: key.serialize_pem(),
        config: serving(vec![leaf.der().clone(), middle.der().clone()], &key),
    }
}

/// A server for `localhost` that asks every client for a certificate of its own client CA; a
/// client certificate of that CA and one of another CA, each with its key (PEM).
pub struct Mtls {
    pub server: Arc<rustls::ServerConfig>,
    /// The server's CA (what `ca_file` names).
    pub ca_pem: String,
    /// The CA of the client certificates (what nginx's `ssl_client_certificate` names).
    pub client_ca_pem: String,
    pub client_pem: String,
    pub client_key_pem: String,
    pub stranger_pem: String,
    pub stranger_key_pem: String,
}

pub fn mtls() -> Mtls {
    let server_pki = pki();
    let client_ca = |name: &str| {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let certificate = params.self_signed(&key).unwrap();
        (certificate, rcgen::Issuer::new(params, key))
    };
    let client = |issuer: &rcgen::Issuer<'static, rcgen::KeyPair>| {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "cachet-check");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let certificate = params.signed_by(&key, issuer).unwrap();
        (certificate.pem(), key.serialize_pem())
    };
    let (ca, issuer) = client_ca("test client CA");
    let (_, other) = client_ca("another CA");
    let (client_pem, client_key_pem) = client(&issuer);
    let (stranger_pem, stranger_key_pem) = client(&other);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(rcgen::SanType::IpAddress(IpAddr::from([127, 0, 0, 1])));
    let leaf = params.signed_by(&key, &server_pki.issuer).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    Mtls {
        server: Arc::new(server),
        ca_pem: server_pki.ca_pem,
        client_ca_pem: ca.pem(),
        client_pem,
        client_key_pem,
        stranger_pem,
        stranger_key_pem,
    }
}
