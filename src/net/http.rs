//! The HTTP client every part of cachet-check uses — the HTTP-based check kinds and the Cachet
//! client: ureq agents with the run's resolver and the TLS layer of `super::tls`, sized for
//! health checks and Cachet's JSON; and query-string encoding.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs};
use ureq::unversioned::transport::{ConnectionDetails, Connector, NextTimeout, Transport};

use super::path::{Dialer, Path, Route, split_host_port};

/// An agent with `config` and the run's resolver (`Resolver`).
pub fn new_agent(config: ureq::config::Config) -> ureq::Agent {
    agent_along(config, None)
}

/// An agent whose connections take `path` over `route` (SPEC §12): its pins and family
/// decide the addresses (on every redirect too), its source address is bound, its proxy used.
/// `None`: the system's path, with the run's shared resolver.
pub fn agent_along(config: ureq::config::Config, path: Option<(&Path, Route)>) -> ureq::Agent {
    use ureq::unversioned::transport::{ConnectProxyConnector, SocksConnector};
    // ureq's own chain, with the TLS layer of `net::tls` in place of ureq's rustls one and a
    // TCP connector that binds the source address and notes the address reached.
    let connector = ()
        .chain(OwnFrame(SocksConnector::default()))
        .chain(OwnFrame(ConnectProxyConnector::default()))
        .chain(Dialer {
            source: path.and_then(|(path, _)| path.source),
        })
        .chain(OwnFrame(super::tls::Connector::default()));
    let resolver = Resolver {
        path: path.map(|(path, route)| (path.clone(), route)),
        ..Resolver::default()
    };
    ureq::Agent::with_parts(config, connector, resolver)
}

/// A connector of the chain in a frame of its own. ureq runs the whole chain in one function,
/// whose frame, with every connector inlined, held the locals of the proxies' and TLS's
/// connectors through the dial of a plain connection: 4.6 KiB, a page more of stack touched by
/// every check in flight. Apart, each takes its room only while it runs.
#[derive(Debug)]
struct OwnFrame<C>(C);

impl<In: Transport, C: Connector<In>> Connector<In> for OwnFrame<C> {
    type Out = C::Out;

    #[inline(never)]
    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        self.0.connect(details, chained)
    }
}

/// ureq's resolver with two changes for hundreds of checks in flight: an IP address is not
/// looked up at all, and each `host:port` is looked up once per run (later checks wait for the
/// first lookup and share its addresses). ureq alone starts a thread for every lookup that has a
/// timeout, IP address or not, which cost more than the checks themselves.
#[derive(Debug, Default)]
pub struct Resolver {
    /// A check's own path: its addresses come from `Path::addresses`, never the cache.
    path: Option<(Path, Route)>,
    system: DefaultResolver,
    /// `host:port` → its addresses once a lookup succeeded; the inner lock is held during the
    /// lookup, so that one thread looks up a name while the others wait for it.
    cache: Mutex<HashMap<String, Arc<Mutex<Option<ResolvedSocketAddrs>>>>>,
}

impl ureq::unversioned::resolver::Resolver for Resolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return self.system.resolve(uri, config, timeout);
        };
        let Some(key) = DefaultResolver::host_and_port(scheme, authority) else {
            return self.system.resolve(uri, config, timeout);
        };
        if let Some((path, route)) = &self.path {
            return along(path, *route, &key, self.empty());
        }
        if let Ok(address) = key.parse::<SocketAddr>() {
            let mut found = self.empty();
            found.push(address);
            return Ok(found);
        }
        let entry = {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            cache.entry(key).or_default().clone()
        };
        cached_or(&entry, || {
            // A lookup that runs out of time is the resolver's silence, whatever budget ran
            // out: said so, it is this host's trouble rather than the target's (SPEC §10).
            self.system
                .resolve(uri, config, timeout)
                .map_err(|error| match error {
                    ureq::Error::Timeout(_) => ureq::Error::Timeout(ureq::Timeout::Resolve),
                    other => other,
                })
        })
    }
}

/// The addresses `entry` holds, or those `look_up` finds, kept there; the entry is held during
/// the lookup, so that others wanting the name wait for this one.
fn cached_or(
    entry: &Mutex<Option<ResolvedSocketAddrs>>,
    look_up: impl FnOnce() -> Result<ResolvedSocketAddrs, ureq::Error>,
) -> Result<ResolvedSocketAddrs, ureq::Error> {
    let mut entry = entry.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = entry.as_ref() {
        return Ok(found.clone());
    }
    let found = look_up()?;
    *entry = Some(found.clone());
    Ok(found)
}

/// The addresses of `host:port` along a check's path, as ureq takes them.
fn along(
    path: &Path,
    route: Route,
    key: &str,
    mut found: ResolvedSocketAddrs,
) -> Result<ResolvedSocketAddrs, ureq::Error> {
    let (host, port) = split_host_port(key).ok_or(ureq::Error::HostNotFound)?;
    let addresses = path
        .addresses(host, port, route)
        .map_err(|failure| ureq::Error::Io(std::io::Error::other(failure.detail)))?;
    for address in addresses.into_iter().take(16) {
        found.push(address);
    }
    Ok(found)
}

/// What every agent of cachet-check (checks and the Cachet client) is: trusting the system's CA
/// certificates when `https`, status codes as data, and buffers sized for health endpoints and
/// Cachet's JSON rather than ureq's 128 KiB each way, which with hundreds of checks in flight
/// would be most of the memory (and zeroing them most of the CPU) of a run.
pub fn agent_config(https: bool) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    let roots = if https {
        super::tls::ureq_roots()
    } else {
        RootCerts::WebPki
    };
    ureq::Agent::config_builder()
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        .http_status_as_error(false)
        // A check's `method` is any method (a cache's PURGE, WebDAV's PROPFIND), as curl sends
        // any: refused here, it read as an answer that is not HTTP, an outage of a server that
        // was never asked.
        .allow_non_standard_methods(true)
        .user_agent(concat!("cachet-check/", env!("CARGO_PKG_VERSION")))
        .max_response_header_size(MAX_HEADER)
        // Room for more than the largest head: ureq calls a head too long once it has read
        // past the limit; a buffer that stopped at the limit read as a closed connection.
        .input_buffer_size(MAX_HEADER + 1024)
        .output_buffer_size(MAX_REQUEST_HEAD)
}

/// The largest request head (request line and headers) sent: the size of a connection's
/// output buffer, which ureq writes the head into whole.
pub const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// The largest response head (status line and headers) read; larger is an error.
const MAX_HEADER: usize = 32 * 1024;

/// `text` with everything but unreserved characters percent-encoded, for a query string.
pub fn encode_query_value(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::Resolver;

    #[test]
    fn addresses_are_not_looked_up_and_names_once() {
        use ureq::unversioned::resolver::Resolver as _;
        let resolver = Resolver::default();
        let config = ureq::config::Config::default();
        let timeout = || ureq::unversioned::transport::NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from_secs(5),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        for (url, address) in [
            ("http://127.0.0.1:8080/x", "127.0.0.1:8080"),
            ("https://[::1]/", "[::1]:443"),
        ] {
            let found = resolver
                .resolve(&url.parse().unwrap(), &config, timeout())
                .unwrap();
            assert_eq!(found.as_ref(), [address.parse().unwrap()], "{url}");
        }
        assert!(
            resolver.cache.lock().unwrap().is_empty(),
            "no lookup for an address"
        );
        let first = resolver
            .resolve(&"http://localhost:9/".parse().unwrap(), &config, timeout())
            .unwrap();
        let second = resolver
            .resolve(
                &"http://localhost:9/other".parse().unwrap(),
                &config,
                timeout(),
            )
            .unwrap();
        assert_eq!(first.as_ref(), second.as_ref());
        assert_eq!(resolver.cache.lock().unwrap().len(), 1);
    }
}
