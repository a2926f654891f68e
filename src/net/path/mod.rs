//! The network path a check's connections take (SPEC §12): the address family (`ip`), pinned
//! addresses (`resolve`, as `curl --resolve`), the address to send from (`source_address`) and
//! a proxy (`proxy`, HTTP CONNECT or SOCKS5 with the name resolved by the proxy). Every kind
//! that connects dials through `Path::connect` (or, for HTTP, an agent built from the path in
//! `net::http`), and the address it reached is noted for `-v` (`take_dialed`).

pub mod proxy;
mod transport;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

pub use proxy::Proxy;
pub use transport::{Dialer, Grow, arrived_only, expect_in_flight};

use super::{Failure, describe_io, timed_out};
use crate::deadline::Deadline;
use crate::keys::{AnyKey, Key, KeyError, Keys, OneOrMany};
use crate::text::sanitize;

/// `ip = "auto" | "4" | "6" | "both" | "all"`.
pub const IP: Key<String> = Key::new("ip");
/// `resolve = { "api.example.com:443" = "10.0.0.5" }` (or a list of addresses).
pub const RESOLVE: Key<BTreeMap<String, OneOrMany>> = Key::new("resolve");
pub const SOURCE_ADDRESS: Key<String> = Key::new("source_address");
/// `proxy = "http://host:port" | "socks5h://host:port"`.
pub const PROXY: Key<String> = Key::new("proxy");

/// The keys of every kind that connects (`read` reads them).
pub const KEYS: &[&dyn AnyKey] = &[&IP, &RESOLVE, &SOURCE_ADDRESS, &PROXY];

/// Which addresses of a name are tried, and how many times the check runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ip {
    /// Every address, in the resolver's order, until one connects.
    #[default]
    Auto,
    V4,
    V6,
    /// Once over IPv4 and once over IPv6: each family must pass.
    Both,
    /// Once per address the name has: each must pass.
    All,
}

#[derive(Clone, Debug, Default)]
pub struct Path {
    pub ip: Ip,
    /// `host:port` (lower case) → the addresses it is pinned to.
    pins: Vec<(String, Vec<IpAddr>)>,
    pub source: Option<IpAddr>,
    /// Boxed, as rare: a path is part of every check of a config, held all run long.
    pub proxy: Option<Box<Proxy>>,
}

/// Which of its addresses one run of a check takes (`ip = "both"` and `"all"` run a check once
/// per route).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Route {
    #[default]
    Any,
    V4,
    V6,
    /// One address of the check's own host (other hosts, as a redirect's, keep its family).
    Address(IpAddr),
}

impl Route {
    fn admits(self, address: IpAddr) -> bool {
        match self {
            Route::Any => true,
            Route::V4 => address.is_ipv4(),
            Route::V6 => address.is_ipv6(),
            Route::Address(only) => only.is_ipv4() == address.is_ipv4(),
        }
    }

    /// "over IPv6", "via ::1", for the detail of one route's failure.
    pub fn words(self) -> String {
        match self {
            Route::Any => String::new(),
            Route::V4 => "over IPv4".to_owned(),
            Route::V6 => "over IPv6".to_owned(),
            Route::Address(address) => format!("via {address}"),
        }
    }
}

/// Reads `ip`, `resolve`, `source_address` and `proxy`.
pub fn read(keys: &mut Keys) -> Result<Path, KeyError> {
    let ip = match keys.take(&IP)?.as_deref() {
        None | Some("auto") => Ip::Auto,
        Some("4") => Ip::V4,
        Some("6") => Ip::V6,
        Some("both") => Ip::Both,
        Some("all") => Ip::All,
        Some(other) => {
            return Err(keys.invalid(
                &IP,
                format!(
                    "`{}` is not a choice: use \"auto\", \"4\", \"6\", \"both\" or \"all\"",
                    sanitize(other)
                ),
            ));
        }
    };
    let mut pins = Vec::new();
    for (at, addresses) in keys.take(&RESOLVE)?.unwrap_or_default() {
        let pinned = pin(&at, addresses.into_vec()).map_err(|why| keys.invalid(&RESOLVE, why))?;
        pins.push((at.to_ascii_lowercase(), pinned));
    }
    let source = match keys.take(&SOURCE_ADDRESS)? {
        None => None,
        Some(text) => Some(text.parse::<IpAddr>().map_err(|_| {
            keys.invalid(
                &SOURCE_ADDRESS,
                format!(
                    "`{}` is not an IP address (e.g. \"192.0.2.10\")",
                    sanitize(&text)
                ),
            )
        })?),
    };
    let proxy = match keys.take(&PROXY)? {
        None => None,
        Some(url) => Some(Box::new(
            Proxy::parse(&url).map_err(|why| keys.invalid(&PROXY, why))?,
        )),
    };
    if proxy.is_some() && (ip != Ip::Auto || !pins.is_empty()) {
        return Err(keys.invalid(
            &PROXY,
            "through a proxy the proxy resolves the name: drop `ip` and `resolve`, or the proxy",
        ));
    }
    if source.is_some() && proxy.as_deref().is_some_and(Proxy::is_socks) {
        return Err(keys.invalid(
            &SOURCE_ADDRESS,
            "a SOCKS proxy is reached from the system's choice of address: drop `source_address`",
        ));
    }
    Ok(Path {
        ip,
        pins,
        source,
        proxy,
    })
}

/// The addresses `host:port` is pinned to, as written in `resolve`.
fn pin(at: &str, addresses: Vec<String>) -> Result<Vec<IpAddr>, String> {
    let port = at.rsplit_once(':').map(|(_, port)| port);
    if port.is_none_or(|port| port.parse::<u16>().is_err()) {
        return Err(format!(
            "`{}` is not `host:port` (e.g. \"api.example.com:443\")",
            sanitize(at)
        ));
    }
    addresses
        .iter()
        .map(|address| {
            address
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .map_err(|_| format!("`{}` is not an IP address", sanitize(address)))
        })
        .collect()
}

impl Path {
    /// Whether the path is the system's own: any family, no pin, no source, no proxy.
    pub fn is_plain(&self) -> bool {
        self.ip == Ip::Auto && self.pins.is_empty() && self.source.is_none() && self.proxy.is_none()
    }

    /// The path in words, for `validate`'s plan: `None` when it is the system's own.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        match self.ip {
            Ip::Auto => {}
            Ip::V4 => parts.push("over IPv4".to_owned()),
            Ip::V6 => parts.push("over IPv6".to_owned()),
            Ip::Both => parts.push("over IPv4 and IPv6, each".to_owned()),
            Ip::All => parts.push("to every address, each".to_owned()),
        }
        for (at, addresses) in &self.pins {
            let addresses: Vec<String> = addresses.iter().map(ToString::to_string).collect();
            parts.push(format!(
                "{} pinned to {}",
                sanitize(at),
                addresses.join(" and ")
            ));
        }
        if let Some(source) = self.source {
            parts.push(format!("from {source}"));
        }
        if let Some(proxy) = &self.proxy {
            parts.push(format!("through {}", proxy.shown));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// What keeps this path from working on this machine, for `validate` and `doctor`: a
    /// `source_address` that is not this host's, a family `ip` asks for that this host has no
    /// route to for `host:port`. Nothing is sent: a UDP socket's connect only asks the
    /// routing table.
    pub fn problem(&self, host: &str, port: u16) -> Option<String> {
        if let Some(source) = self.source
            && let Err(error) = std::net::UdpSocket::bind(SocketAddr::new(source, 0))
        {
            return Some(match error.kind() {
                std::io::ErrorKind::AddrNotAvailable => format!(
                    "`source_address` {source} is not an address of this host (see `ip address`)"
                ),
                _ => format!("`source_address` {source} cannot be used: {error}"),
            });
        }
        let families: &[bool] = match self.ip {
            Ip::Auto | Ip::All => &[],
            Ip::V4 => &[true],
            Ip::V6 => &[false],
            Ip::Both => &[true, false],
        };
        if families.is_empty() {
            return None; // nothing to ask the routing table, and so no name to look up
        }
        let addresses = self.addresses(host, port, Route::Any).ok()?;
        for &v4 in families {
            let Some(address) = addresses.iter().find(|a| a.is_ipv4() == v4) else {
                continue; // the check says so itself, as the target's answer
            };
            let any: SocketAddr = if v4 {
                SocketAddr::from(([0, 0, 0, 0], 0))
            } else {
                SocketAddr::from(([0u16; 8], 0))
            };
            let routed =
                std::net::UdpSocket::bind(self.source.map_or(any, |s| SocketAddr::new(s, 0)))
                    .and_then(|socket| socket.connect(address));
            if let Err(error) = routed {
                let family = if v4 { "IPv4" } else { "IPv6" };
                return Some(format!(
                    "this host has no {family} route to {address} ({}): with `ip = \"{}\"` the check will be unknown",
                    describe_io(&error, Duration::ZERO),
                    match self.ip {
                        Ip::V4 => "4",
                        Ip::V6 => "6",
                        _ => "both",
                    }
                ));
            }
        }
        None
    }

    /// The routes a check of `host:port` runs over: one, except for `ip = "both"` (each family)
    /// and `ip = "all"` (each address the name has).
    pub fn routes(&self, host: &str, port: u16) -> Result<Vec<Route>, Failure> {
        match self.ip {
            Ip::Auto | Ip::V4 | Ip::V6 => Ok(vec![Route::Any]),
            Ip::Both => Ok(vec![Route::V4, Route::V6]),
            Ip::All => {
                let addresses = self.addresses(host, port, Route::Any)?;
                let mut routes: Vec<Route> = Vec::new();
                for address in addresses {
                    if !routes.contains(&Route::Address(address.ip())) {
                        routes.push(Route::Address(address.ip()));
                    }
                }
                Ok(routes)
            }
        }
    }

    /// The addresses of `host:port` this path and `route` allow: its pins, else the resolver's.
    pub fn addresses(
        &self,
        host: &str,
        port: u16,
        route: Route,
    ) -> Result<Vec<SocketAddr>, Failure> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let key = format!("{}:{port}", host.to_ascii_lowercase());
        let found: Vec<SocketAddr> = match self.pins.iter().find(|(at, _)| *at == key) {
            Some((_, pinned)) => pinned.iter().map(|ip| SocketAddr::new(*ip, port)).collect(),
            None => super::resolve(&format!("{host}:{port}"), (host, port))?,
        };
        if let Route::Address(only) = route
            && found.iter().any(|address| address.ip() == only)
        {
            return Ok(vec![SocketAddr::new(only, port)]);
        }
        let kept: Vec<SocketAddr> = found
            .iter()
            .copied()
            .filter(|address| self.allows(route, address.ip()))
            .collect();
        if kept.is_empty() {
            let shown = sanitize(host);
            let which = match (self.ip, route, self.source) {
                (Ip::V4, _, _) | (_, Route::V4, _) => "no IPv4 address".to_owned(),
                (Ip::V6, _, _) | (_, Route::V6, _) => "no IPv6 address".to_owned(),
                (_, _, Some(source)) => {
                    format!("no address of the family of `source_address` {source}")
                }
                _ => "no address".to_owned(),
            };
            return Err(format!("`{shown}` has {which}").into());
        }
        Ok(kept)
    }

    /// Whether a connection to `ip` keeps to this path over `route`: the family `ip` asks for,
    /// the route's, and the family of `source_address`.
    pub fn allows(&self, route: Route, ip: IpAddr) -> bool {
        let family = match self.ip {
            Ip::V4 => ip.is_ipv4(),
            Ip::V6 => ip.is_ipv6(),
            _ => true,
        };
        let source = self
            .source
            .is_none_or(|source| source.is_ipv4() == ip.is_ipv4());
        family && route.admits(ip) && source
    }

    /// Connects to `host:port` over `route` by `deadline` — through the proxy when there is
    /// one — and notes the address reached for `-v`. `budget` is what "timed out after …" names.
    pub fn connect(
        &self,
        host: &str,
        port: u16,
        route: Route,
        deadline: Deadline,
        budget: Duration,
    ) -> Result<TcpStream, Failure> {
        if let Some(proxy) = self.proxy.as_ref().filter(|_| !Proxy::bypassed_for(host)) {
            let plain = Path {
                source: self.source,
                ..Path::default()
            };
            let (proxy_host, proxy_port) = proxy.endpoint();
            // The proxy out of reach is this host's path to the network, not the target.
            let stream = plain
                .connect(proxy_host, proxy_port, Route::Any, deadline, budget)
                .map_err(|failure| {
                    Failure::local(format!("the proxy {}: {}", proxy.shown, failure.detail))
                })?;
            return proxy.open(stream, host, port, deadline, budget);
        }
        let addresses = self.addresses(host, port, route)?;
        let mut last_error = Failure::from(format!("`{}` resolved to no address", sanitize(host)));
        for address in &addresses {
            let remaining = deadline.remaining();
            if remaining.is_zero() {
                return Err(timed_out(budget).into());
            }
            match dial(*address, self.source, remaining) {
                Ok(stream) => {
                    note_dialed(*address);
                    return Ok(stream);
                }
                Err(error) => last_error = Failure::of_io(&error, describe_io(&error, budget)),
            }
        }
        Err(last_error)
    }
}

/// A TCP connection to `address` from `source` (any address when `None`).
pub fn dial(
    address: SocketAddr,
    source: Option<IpAddr>,
    timeout: Duration,
) -> std::io::Result<TcpStream> {
    use socket2::{Domain, Socket, Type};
    let Some(source) = source else {
        return TcpStream::connect_timeout(&address, timeout);
    };
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(source, 0).into())?;
    socket.connect_timeout(&address.into(), timeout)?;
    Ok(socket.into())
}

thread_local! {
    /// The address the last connection of this thread reached (each attempt of a check runs
    /// on one thread, which takes it after the attempt).
    static DIALED: Cell<Option<SocketAddr>> = const { Cell::new(None) };
    /// How many connections this thread has opened.
    static DIALS: Cell<u64> = const { Cell::new(0) };
}

/// Notes a connection this thread opened to `address`.
pub fn note_dialed(address: SocketAddr) {
    DIALED.with(|dialed| dialed.set(Some(address)));
    DIALS.with(|dials| dials.set(dials.get() + 1));
}

/// Notes that this thread is about to use a kept-alive connection to `address`.
pub fn note_reached(address: SocketAddr) {
    DIALED.with(|dialed| dialed.set(Some(address)));
}

/// How many connections this thread has opened so far: unchanged across a request, it rode
/// a kept-alive one.
pub fn dials() -> u64 {
    DIALS.with(Cell::get)
}

/// The address this thread's last connection reached since the last call, if it made one.
pub fn take_dialed() -> Option<SocketAddr> {
    DIALED.with(Cell::take)
}

/// `host` and `port` of `host:port` (`[::1]:443` too).
pub fn split_host_port(address: &str) -> Option<(&str, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    let port = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::{Ip, Path, Route, pin, split_host_port};
    use std::net::IpAddr;

    fn pinned(ip: Ip) -> Path {
        let addresses = vec!["127.0.0.1".to_owned(), "[::1]".to_owned()];
        Path {
            ip,
            pins: vec![(
                "svc.test:80".to_owned(),
                pin("svc.test:80", addresses).unwrap(),
            )],
            ..Path::default()
        }
    }

    #[test]
    fn pins_families_and_routes_pick_the_addresses() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let v6: IpAddr = "::1".parse().unwrap();
        let ips = |path: &Path, route| {
            path.addresses("SVC.test", 80, route)
                .map(|found| found.iter().map(|a| a.ip()).collect::<Vec<_>>())
        };
        assert_eq!(ips(&pinned(Ip::Auto), Route::Any).unwrap(), [v4, v6]);
        assert_eq!(ips(&pinned(Ip::V6), Route::Any).unwrap(), [v6]);
        assert_eq!(ips(&pinned(Ip::Both), Route::V4).unwrap(), [v4]);
        assert_eq!(ips(&pinned(Ip::All), Route::Address(v6)).unwrap(), [v6]);
        assert_eq!(
            pinned(Ip::All).routes("svc.test", 80).unwrap(),
            [Route::Address(v4), Route::Address(v6)]
        );
        assert_eq!(
            pinned(Ip::Both).routes("svc.test", 80).unwrap(),
            [Route::V4, Route::V6]
        );
        let only_v4 = Path {
            ip: Ip::V6,
            pins: vec![("a.test:80".to_owned(), vec![v4])],
            ..Path::default()
        };
        assert_eq!(
            only_v4
                .addresses("a.test", 80, Route::Any)
                .unwrap_err()
                .detail,
            "`a.test` has no IPv6 address"
        );
    }

    #[test]
    fn pins_are_host_and_port_with_addresses() {
        assert!(pin("api.example.com", vec!["10.0.0.5".to_owned()]).is_err());
        assert_eq!(
            pin("a:443", vec!["nope".to_owned()]).unwrap_err(),
            "`nope` is not an IP address"
        );
        assert_eq!(split_host_port("[::1]:443"), Some(("::1", 443)));
        assert_eq!(
            split_host_port("db.example.com:5432"),
            Some(("db.example.com", 5432))
        );
        assert_eq!(split_host_port("nope"), None);
    }
}
