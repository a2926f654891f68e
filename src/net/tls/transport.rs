//! ureq's TLS transport on our verification: the `Connector` every HTTP agent uses.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Either, NextTimeout, Transport, TransportAdapter,
};

use super::{accept_anything, system_config, ureq_roots};
use crate::net::path::Grow;

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
    let config = server_trust(tls)?;
    match tls.client_cert() {
        Some(client) => {
            let certified = super::certified(client)
                .map_err(|_| ureq::Error::Tls("the client certificate cannot be used"))?;
            Ok(super::presenting(&config, certified))
        }
        None => Ok(config),
    }
}

/// Whom a ureq TLS setting trusts.
fn server_trust(tls: &TlsConfig) -> Result<Arc<ClientConfig>, ureq::Error> {
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
    super::trusting_only(roots).map_err(|_| ureq::Error::Tls("no usable CA certificate"))
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
        handshake(self.config(details)?, details, transport).map(|tls| Some(Either::B(tls)))
    }
}

/// The TLS session of a new connection, its handshake done. Apart from `connect`, so that the
/// stack frame of every connection's connector chain — plain HTTP too — stays small.
#[inline(never)]
fn handshake<In: Transport>(
    config: Arc<ClientConfig>,
    details: &ConnectionDetails,
    transport: In,
) -> Result<Tls, ureq::Error> {
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
    Ok(Tls {
        buffers: Grow::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        ),
        stream: Box::new(StreamOwned::new(connection, socket)),
    })
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tls::Connector")
    }
}

/// A TLS connection for ureq. The session is boxed: this value passes through the frame of the
/// connector chain that dials every connection, plain ones too, and 1.2 KiB of it there made
/// that frame, on the stack of every check in flight, that much deeper.
pub struct Tls {
    buffers: Grow,
    stream: Box<StreamOwned<ClientConnection, TransportAdapter>>,
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
        let open = self.stream.get_mut().get_mut().is_open();
        if open {
            self.buffers.release_if_idle();
        }
        open
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
