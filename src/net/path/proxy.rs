//! Proxies a check's connections go through (`proxy`, and `[cachet] proxy`): HTTP CONNECT and
//! SOCKS5 with the name sent to the proxy (`socks5h`), each with optional credentials in the
//! URL; `NO_PROXY` names the hosts reached directly. The HTTP kinds hand the proxy to ureq
//! (`ureq_proxy`); the others open the tunnel here (`open`).

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::Duration;

use base64::Engine;

use crate::deadline::Deadline;
use crate::net::within::Within;
use crate::net::{Failure, describe_io, timed_out};
use crate::secret::{Secret, redact_url};
use crate::text::sanitize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Connect,
    Socks5h,
}

#[derive(Clone, Debug)]
pub struct Proxy {
    kind: Kind,
    host: String,
    port: u16,
    user: Option<(String, Secret)>,
    /// The URL without its credentials, for messages.
    pub shown: String,
}

impl Proxy {
    /// `http://[user:password@]host:port` or `socks5h://…` (`socks5://` too: the name is sent
    /// to the proxy all the same).
    pub fn parse(url: &str) -> Result<Proxy, String> {
        let shown = sanitize(&redact_url(url));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            format!(
                "`{shown}` has no scheme: write \"http://host:port\" or \"socks5h://host:port\""
            )
        })?;
        let kind = match scheme.to_ascii_lowercase().as_str() {
            "http" => Kind::Connect,
            "socks5h" | "socks5" => Kind::Socks5h,
            _ => {
                return Err(format!(
                    "`{}` proxies are not supported: use http:// (CONNECT) or socks5h://",
                    sanitize(scheme)
                ));
            }
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let (user, at) = match authority.rsplit_once('@') {
            Some((credentials, at)) => {
                let (name, password) = credentials.split_once(':').unwrap_or((credentials, ""));
                (Some((name.to_owned(), Secret::from_url(password))), at)
            }
            None => (None, authority),
        };
        let default_port = if kind == Kind::Connect { 3128 } else { 1080 };
        let (host, port) = match super::split_host_port(at) {
            Some((host, port)) => (host.to_owned(), port),
            None if !at.is_empty() && !at.contains(':') => (at.to_owned(), default_port),
            None => return Err(format!("`{shown}` has no host:port")),
        };
        let proxy = Proxy {
            kind,
            host,
            port,
            user,
            shown,
        };
        proxy.ureq_proxy()?;
        Ok(proxy)
    }

    pub fn is_socks(&self) -> bool {
        self.kind == Kind::Socks5h
    }

    pub fn endpoint(&self) -> (&str, u16) {
        (&self.host, self.port)
    }

    /// Whether `NO_PROXY` (or `no_proxy`) says `host` is reached directly.
    pub fn bypassed_for(host: &str) -> bool {
        let list = std::env::var("NO_PROXY")
            .or_else(|_| std::env::var("no_proxy"))
            .unwrap_or_default();
        no_proxy_matches(&list, host)
    }

    /// The proxy as ureq takes it, `NO_PROXY` honoured.
    pub fn ureq_proxy(&self) -> Result<ureq::Proxy, String> {
        let protocol = match self.kind {
            Kind::Connect => ureq::ProxyProtocol::Http,
            Kind::Socks5h => ureq::ProxyProtocol::Socks5h,
        };
        let mut builder = ureq::Proxy::builder(protocol)
            .host(&self.host)
            .port(self.port);
        if let Some((user, password)) = &self.user {
            builder = builder.username(user).password(password.expose());
        }
        let list = std::env::var("NO_PROXY")
            .or_else(|_| std::env::var("no_proxy"))
            .unwrap_or_default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            builder = builder.no_proxy(entry);
        }
        builder
            .build()
            .map_err(|_| format!("`{}` is not a proxy's host and port", self.shown))
    }

    /// Opens a tunnel to `host:port` over `stream`, a connection to the proxy. The proxy's
    /// own failures are this host's (its path to the network); the target refusing, not
    /// answering or not existing, as the proxy reports it, is the target's.
    pub fn open(
        &self,
        stream: TcpStream,
        host: &str,
        port: u16,
        deadline: Deadline,
        budget: Duration,
    ) -> Result<TcpStream, Failure> {
        let remaining = super::super::at_least_a_millisecond(deadline.remaining());
        let local = |words: String| Failure::local(format!("the proxy {}: {words}", self.shown));
        let io = |error: std::io::Error| match error.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                local(timed_out(budget))
            }
            _ => local(describe_io(&error, budget)),
        };
        // Every read and write of the handshake keeps the deadline: a proxy that drips its
        // answer is this host's path failing in time, not a check past the run's deadline.
        let mut within = Within::new(&stream, deadline);
        match self.kind {
            Kind::Connect => self.connect(&mut within, host, port, &io, &local)?,
            Kind::Socks5h => self.socks(&mut within, host, port, &io, &local)?,
        }
        // What follows is the tunnel's, with the timeouts its user sets.
        stream.set_read_timeout(Some(remaining)).map_err(io)?;
        stream.set_write_timeout(Some(remaining)).map_err(io)?;
        Ok(stream)
    }

    fn connect(
        &self,
        stream: &mut Within<'_>,
        host: &str,
        port: u16,
        io: &dyn Fn(std::io::Error) -> Failure,
        local: &dyn Fn(String) -> Failure,
    ) -> Result<(), Failure> {
        let target = match host.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => format!("[{v6}]:{port}"),
            _ => format!("{host}:{port}"),
        };
        let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if let Some((user, password)) = &self.user {
            let token = base64::engine::general_purpose::STANDARD
                .encode(format!("{user}:{}", password.expose()));
            request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).map_err(io)?;
        // Byte by byte: what follows the head is the target's (a banner), not ours to read.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() > 16 * 1024 {
                return Err(local("its answer to CONNECT never ended".to_owned()));
            }
            match stream.read(&mut byte).map_err(io)? {
                0 => {
                    return Err(local(
                        "it closed the connection before answering CONNECT".to_owned(),
                    ));
                }
                _ => head.push(byte[0]),
            }
        }
        let status_line = String::from_utf8_lossy(&head);
        let status_line = status_line.lines().next().unwrap_or_default();
        let code: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let said = sanitize(status_line);
        match code {
            200..=299 => Ok(()),
            407 => Err(local(format!(
                "it wants credentials ({said}): put them in the `proxy` URL"
            ))),
            // The proxy could not reach the target: tinyproxy says 500 "Unable to connect",
            // Squid 503, gateways 502 and 504.
            500 | 502..=504 => Err(format!("{target} through the proxy: {said}").into()),
            _ => Err(local(format!("it refused the tunnel to {target}: {said}"))),
        }
    }

    fn socks(
        &self,
        stream: &mut Within<'_>,
        host: &str,
        port: u16,
        io: &dyn Fn(std::io::Error) -> Failure,
        local: &dyn Fn(String) -> Failure,
    ) -> Result<(), Failure> {
        let greeting: &[u8] = if self.user.is_some() {
            &[5, 2, 0, 2]
        } else {
            &[5, 1, 0]
        };
        stream.write_all(greeting).map_err(io)?;
        let mut choice = [0u8; 2];
        stream.read_exact(&mut choice).map_err(io)?;
        match (choice, &self.user) {
            ([5, 0], _) => {}
            ([5, 2], Some((user, password))) => {
                let (user, password) = (user.as_bytes(), password.expose().as_bytes());
                let mut hello = vec![1, user.len().min(255) as u8];
                hello.extend_from_slice(&user[..user.len().min(255)]);
                hello.push(password.len().min(255) as u8);
                hello.extend_from_slice(&password[..password.len().min(255)]);
                stream.write_all(&hello).map_err(io)?;
                let mut verdict = [0u8; 2];
                stream.read_exact(&mut verdict).map_err(io)?;
                if verdict[1] != 0 {
                    return Err(local(
                        "it refused the user and password of the `proxy` URL".to_owned(),
                    ));
                }
            }
            ([5, 0xff], _) | ([5, 2], None) => {
                return Err(local("it accepts none of our ways to log in: put a user and password in the `proxy` URL".to_owned()));
            }
            _ => return Err(local("it does not speak SOCKS5".to_owned())),
        }
        let mut request = vec![5, 1, 0];
        match host.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => {
                request.push(1);
                request.extend_from_slice(&v4.octets());
            }
            Ok(IpAddr::V6(v6)) => {
                request.push(4);
                request.extend_from_slice(&v6.octets());
            }
            Err(_) => {
                let name = &host.as_bytes()[..host.len().min(255)];
                request.push(3);
                request.push(name.len() as u8);
                request.extend_from_slice(name);
            }
        }
        request.extend_from_slice(&port.to_be_bytes());
        stream.write_all(&request).map_err(io)?;
        let mut reply = [0u8; 4];
        stream.read_exact(&mut reply).map_err(io)?;
        let target = format!("{}:{port}", sanitize(host));
        let words = match reply[1] {
            0 => None,
            1 => Some(("the proxy failed", true)),
            2 => Some(("the proxy's rules do not allow it", true)),
            3 => Some(("the network is unreachable from the proxy", false)),
            4 => Some(("the host is unreachable from the proxy", false)),
            5 => Some(("connection refused", false)),
            6 => Some(("timed out at the proxy", false)),
            _ => Some(("the proxy refused the request", true)),
        };
        if let Some((words, ours)) = words {
            let detail = format!("{target} through the proxy {}: {words}", self.shown);
            return Err(Failure {
                detail,
                local: ours,
            });
        }
        // The address the proxy bound: skipped, its length told by its type.
        let rest = match reply[3] {
            1 => 4 + 2,
            4 => 16 + 2,
            3 => {
                let mut length = [0u8; 1];
                stream.read_exact(&mut length).map_err(io)?;
                usize::from(length[0]) + 2
            }
            _ => return Err(local("its answer is not SOCKS5".to_owned())),
        };
        let mut skipped = vec![0u8; rest];
        stream.read_exact(&mut skipped).map_err(io)?;
        Ok(())
    }
}

/// The proxy a request of the HTTP client to `uri` goes through, shown without credentials:
/// the check's own `proxy`, else the one of `ALL_PROXY`, `HTTPS_PROXY` or `HTTP_PROXY` that
/// ureq takes; none where `NO_PROXY` names the host.
pub fn of_request(configured: Option<&Proxy>, uri: &ureq::http::Uri) -> Option<String> {
    let host = uri.host().unwrap_or_default();
    match configured {
        Some(proxy) => (!Proxy::bypassed_for(host)).then(|| proxy.shown.clone()),
        None => ureq::Proxy::try_from_env()
            .filter(|proxy| !proxy.is_no_proxy(uri))
            .map(|proxy| sanitize(&format!("{}:{}", proxy.host(), proxy.port()))),
    }
}

/// Whose failure `error` is, for a request that went through `proxy` (`dialed`: a connection
/// to it was made): the proxy out of reach, refusing us, or failing its own handshake is this
/// host's path (SPEC §10: the check could not be judged); the proxy reporting that the target
/// refused or could not be reached is the target's. `None`: not the proxy's doing.
pub fn blame(proxy: &str, error: &ureq::Error, dialed: bool, described: &str) -> Option<Failure> {
    let ours = |words: String| Some(Failure::local(format!("the proxy {proxy}: {words}")));
    let theirs = |words: &str| {
        Some(Failure {
            detail: format!("through the proxy {proxy}: {words}"),
            local: false,
        })
    };
    match error {
        ureq::Error::ConnectProxyFailed(reason) => {
            // "proxy server responded 403/Forbidden", or "… did not respond".
            let code = reason
                .split_once("responded ")
                .and_then(|(_, rest)| rest.split('/').next())
                .and_then(|code| code.parse::<u16>().ok());
            let status = |code: u16| {
                let reason = ureq::http::StatusCode::from_u16(code)
                    .ok()
                    .and_then(|status| status.canonical_reason())
                    .unwrap_or_default();
                format!("HTTP {code} {reason}").trim_end().to_owned()
            };
            match code {
                // It could not reach the target: tinyproxy says 500 "Unable to connect", Squid
                // 503, gateways 502 and 504.
                Some(code @ (500 | 502..=504)) => {
                    theirs(&format!("it could not reach the target ({})", status(code)))
                }
                Some(407) => ours(format!(
                    "it wants credentials ({}): put them in the `proxy` URL",
                    status(407)
                )),
                Some(code) => ours(format!("it refused the tunnel ({})", status(code))),
                None => ours(format!(
                    "its answer to CONNECT: {}",
                    sanitize(reason.trim_start_matches("proxy server "))
                )),
            }
        }
        _ if !dialed && connecting(error) => ours(format!("out of reach: {described}")),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::Other => {
            let words = io.to_string();
            match words.as_str() {
                "network unreachable"
                | "host unreachable"
                | "connection refused"
                | "TTL expired" => theirs(&words),
                "general SOCKS server failure"
                | "connection not allowed by ruleset"
                | "command not supported"
                | "address kind not supported"
                | "no acceptable auth methods"
                | "unknown auth method"
                | "unknown error" => ours(words),
                _ => None,
            }
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            ours(sanitize(&io.to_string()))
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            ours("its answer is not SOCKS5".to_owned())
        }
        _ => None,
    }
}

/// Whether `error` is one of making a connection (to the proxy, when one is used), not of a
/// connection made: refused, unreachable, its name or its connect timing out.
fn connecting(error: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    match error {
        ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve)
        | ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::NetworkUnreachable
                | ErrorKind::HostUnreachable
                | ErrorKind::AddrNotAvailable
                | ErrorKind::TimedOut
        ),
        _ => false,
    }
}

/// Whether `host` is in a `NO_PROXY` list: `*`, the host itself, or a domain it is in
/// (`example.com` and `.example.com` both cover `api.example.com`).
fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let entry = entry.to_ascii_lowercase();
            let domain = entry.trim_start_matches('.');
            entry == "*" || host == domain || host.ends_with(&format!(".{domain}"))
        })
}

#[cfg(test)]
mod tests {
    use super::{Proxy, no_proxy_matches};

    #[test]
    fn proxy_urls_read_with_their_credentials_kept_out_of_sight() {
        let proxy = Proxy::parse("http://mon:s3cret@proxy.example.com:8080").unwrap();
        assert_eq!(proxy.endpoint(), ("proxy.example.com", 8080));
        assert!(!proxy.shown.contains("s3cret"), "{}", proxy.shown);
        assert!(Proxy::parse("socks5h://127.0.0.1:1080").unwrap().is_socks());
        assert_eq!(
            Proxy::parse("http://proxy").unwrap().endpoint(),
            ("proxy", 3128)
        );
        assert!(
            Proxy::parse("ftp://x:1")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(
            Proxy::parse("proxy:3128")
                .unwrap_err()
                .contains("no scheme")
        );
    }

    #[test]
    fn no_proxy_names_hosts_and_domains() {
        let list = "localhost, .internal.example,10.0.0.5";
        assert!(no_proxy_matches(list, "localhost"));
        assert!(no_proxy_matches(list, "api.internal.example"));
        assert!(no_proxy_matches(list, "10.0.0.5"));
        assert!(!no_proxy_matches(list, "example.com"));
        assert!(no_proxy_matches("*", "anything"));
    }
}
