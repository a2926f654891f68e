//! What the check kinds and the Cachet client both stand on: TLS trust and verification
//! (`tls`), the HTTP client (`http`), connecting to `host:port`, and the one place a network failure becomes a sentence (`describe_error`,
//! `describe_io`, `timed_out`).

pub mod http;
pub mod path;
pub mod tls;
pub mod within;

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::deadline::Deadline;

use crate::secret::redact_url;
use crate::text::sanitize;

/// Why a connection failed, in words, and whose failure it is: `local` when it is this host's
/// own — no route to the network, no permission, no address to send from, its resolver not
/// answering, a request the HTTP client would not send — so that the check could not be judged
/// (SPEC §10); otherwise the target's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub detail: String,
    pub local: bool,
}

impl Failure {
    pub fn local(detail: impl Into<String>) -> Failure {
        Failure {
            detail: detail.into(),
            local: true,
        }
    }

    /// The same failure in other words.
    pub fn map(self, words: impl FnOnce(String) -> String) -> Failure {
        Failure {
            detail: words(self.detail),
            local: self.local,
        }
    }

    fn of_io(error: &std::io::Error, detail: String) -> Failure {
        Failure {
            detail,
            local: is_local_io(error),
        }
    }
}

/// A failure said in words alone is the target's.
impl From<String> for Failure {
    fn from(detail: String) -> Failure {
        Failure {
            detail,
            local: false,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

/// Whether ureq's error is this host's own trouble or a request it would not send
/// (`Failure::local`).
pub fn is_local(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::Timeout(ureq::Timeout::Resolve) => true,
        ureq::Error::Io(io) => is_local_io(io),
        ureq::Error::Protocol(error) => unsent(error).is_some(),
        _ => false,
    }
}

/// Why the HTTP client would not send a request, when that is its protocol error: a request
/// head it refused before a byte went out. The check was never asked of the server, so it
/// could not be judged (as `is_local` says); the config or a redirect is to blame. The other
/// protocol errors are the answer's.
fn unsent(error: &ureq_proto::Error) -> Option<String> {
    use ureq_proto::Error;
    Some(match error {
        Error::OutputOverflow => format!(
            "its URL and headers are longer than the {} KiB a request may have here",
            http::MAX_REQUEST_HEAD >> 10
        ),
        Error::TooManyHostHeaders => "it has more than one Host header".to_owned(),
        Error::BadHostHeader => "its Host header is not plain ASCII text".to_owned(),
        Error::BadAuthorizationHeader => {
            "its Authorization header is not plain ASCII text".to_owned()
        }
        Error::BadHeader(_) => "a header made from its URL or body is not valid".to_owned(),
        Error::MethodVersionMismatch(method, _) => {
            format!("{} cannot be sent over HTTP/1.1", sanitize(method.as_str()))
        }
        Error::BodyNotAllowed
        | Error::BodyLargerThanContentLength
        | Error::BodyContentAfterFinish
        | Error::BodyIsChunked
        | Error::ConflictingBodyHeaders => "its body does not fit its headers".to_owned(),
        _ => return None,
    })
}

/// Whether ureq's error is a connection the server had closed: reset, or ended before any
/// answer. On a kept-alive connection that is the server's idle timeout meeting the request,
/// not a failure of the server.
pub fn is_stale(error: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    matches!(error, ureq::Error::Io(io) if matches!(
        io.kind(),
        ErrorKind::UnexpectedEof
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
    ))
}

/// Whether an I/O error is this host's own trouble: ENETUNREACH, EPERM or EACCES on connect
/// (a local firewall, a sandbox), EADDRNOTAVAIL (no address of the family to send from), no
/// file descriptor left (EMFILE, ENFILE), a lookup the resolver could not answer
/// (EAI_AGAIN, EAI_FAIL) — not NXDOMAIN, which is the target's.
pub fn is_local_io(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::NetworkUnreachable | ErrorKind::PermissionDenied | ErrorKind::AddrNotAvailable
    ) || out_of_descriptors(error)
        || resolver_failed(error)
}

/// EMFILE or ENFILE: this process (or the system) may open no more files or sockets.
fn out_of_descriptors(error: &std::io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// The resolver's own failure, as the standard library reports getaddrinfo's EAI_AGAIN and
/// EAI_FAIL: by gai_strerror's words alone (glibc's and musl's are these).
fn resolver_failed(error: &std::io::Error) -> bool {
    let text = error.to_string();
    text.starts_with("failed to lookup address information")
        && (text.contains("Temporary failure in name resolution")
            || text.contains("Non-recoverable failure in name resolution"))
}

/// Redirects an HTTP request follows at most.
pub const MAX_REDIRECTS: u32 = 10;

/// An error of ureq's in words an operator can act on, `host` being the server asked. ureq's
/// own messages can hold URLs; this never includes one.
pub fn describe_error(error: &ureq::Error, budget: Duration, host: &str) -> String {
    match error {
        ureq::Error::Timeout(ureq::Timeout::Resolve) => format!(
            "this host's resolver did not answer for {host} ({})",
            timed_out(budget)
        ),
        ureq::Error::Timeout(_) => timed_out(budget),
        ureq::Error::HostNotFound => "host not found (DNS lookup failed)".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::Io(io) => describe_io_at(io, budget, host),
        ureq::Error::TooManyRedirects => {
            format!("more than {MAX_REDIRECTS} redirects (a redirect loop?)")
        }
        ureq::Error::RedirectFailed => "a redirect could not be followed".to_owned(),
        ureq::Error::BadUri(_) => "the URL is not valid".to_owned(),
        ureq::Error::Tls(reason) => format!("TLS failed: {reason}"),
        ureq::Error::Rustls(error) => tls::describe(host, error),
        ureq::Error::Pem(_) => "a certificate file could not be read as PEM".to_owned(),
        ureq::Error::Protocol(error) => match unsent(error) {
            Some(why) => format!("the request could not be sent: {why}"),
            None => "the answer is not HTTP (is this port speaking TLS, or another protocol?)"
                .to_owned(),
        },
        ureq::Error::LargeResponseHeader(_, limit) => {
            format!("response headers larger than {limit} bytes")
        }
        ureq::Error::BodyExceedsLimit(limit) => format!("body larger than {limit} bytes"),
        ureq::Error::BodyStalled => "the body stalled".to_owned(),
        other => sanitize(&redact_urls(&other.to_string())),
    }
}

/// Whether ureq's error is a TLS failure (a certificate refused, a server that does not speak
/// TLS): trying again meets the same answer.
pub fn is_tls_failure(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::Rustls(_) | ureq::Error::Tls(_) => true,
        ureq::Error::Io(io) => io
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()),
        _ => false,
    }
}

/// An I/O error of a connection in words.
pub fn describe_io(error: &std::io::Error, budget: Duration) -> String {
    describe_io_at(error, budget, "the server")
}

fn describe_io_at(error: &std::io::Error, budget: Duration, host: &str) -> String {
    use std::io::ErrorKind;
    if let Some(failure) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return tls::describe(host, failure);
    }
    if let Some(inner) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
    {
        return describe_error(inner, budget, host);
    }
    match error.kind() {
        ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        ErrorKind::ConnectionReset => "connection reset by the peer".to_owned(),
        ErrorKind::ConnectionAborted => "connection aborted".to_owned(),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => timed_out(budget),
        ErrorKind::UnexpectedEof => "the connection closed early".to_owned(),
        ErrorKind::HostUnreachable => "no route to the host".to_owned(),
        ErrorKind::NetworkUnreachable => "the network is unreachable from this host".to_owned(),
        ErrorKind::PermissionDenied => {
            "this host may not connect there (permission denied: a local firewall or sandbox?)"
                .to_owned()
        }
        ErrorKind::AddrNotAvailable => {
            "this host has no address to connect from (no address of that family?)".to_owned()
        }
        _ if out_of_descriptors(error) => "this host ran out of file descriptors (too many open \
             files): raise the limit (`ulimit -n`, systemd's LimitNOFILE=) or lower --jobs"
            .to_owned(),
        _ if resolver_failed(error) => {
            format!("this host's resolver could not answer for {host} (see /etc/resolv.conf)")
        }
        _ => sanitize(&redact_urls(&error.to_string())),
    }
}

fn redact_urls(text: &str) -> String {
    text.split(' ')
        .map(redact_url)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The host of `url` (`https://status.example.com/x` → `status.example.com`), for sentences.
pub fn host_of(url: &str) -> String {
    url.parse::<ureq::http::Uri>()
        .ok()
        .and_then(|uri| uri.host().map(str::to_owned))
        .unwrap_or_else(|| "the server".to_owned())
}

/// "timed out after 2.9 s".
pub fn timed_out(budget: Duration) -> String {
    format!("timed out after {}", crate::deadline::format_span(budget))
}

/// The addresses of `address`, called `shown` in words (a literal address is not looked up).
/// A resolver that could not answer is this host's failure; a name that does not exist, the
/// target's.
pub fn resolve(shown: &str, address: impl ToSocketAddrs) -> Result<Vec<SocketAddr>, Failure> {
    let shown = sanitize(shown);
    match address.to_socket_addrs() {
        Ok(addresses) => Ok(addresses.collect()),
        Err(error) if resolver_failed(&error) => Err(Failure::local(format!(
            "cannot resolve `{shown}`: this host's resolver could not answer (see /etc/resolv.conf)"
        ))),
        Err(error) => Err(format!("cannot resolve `{shown}`: {error}").into()),
    }
}

/// Connects to `host:port` along `path` over `route`, trying each address it resolves to, by
/// `deadline`. The error is in words and says whose it is; `budget` is what "timed out after
/// …" names.
pub fn connect(
    address: &str,
    path: &path::Path,
    route: path::Route,
    deadline: Deadline,
    budget: Duration,
) -> Result<TcpStream, Failure> {
    let Some((host, port)) = path::split_host_port(address) else {
        return Err(format!("`{}` is not host:port", sanitize(address)).into());
    };
    path.connect(host, port, route, deadline, budget)
}

pub fn at_least_a_millisecond(duration: Duration) -> Duration {
    duration.max(Duration::from_millis(1))
}

#[cfg(test)]
mod tests {
    use super::{is_local_io, timed_out};
    use std::io::{Error, ErrorKind};
    use std::time::Duration;

    // SPEC §10: which connection failures are this host's.
    #[test]
    fn this_hosts_trouble_is_told_from_the_targets() {
        for kind in [
            ErrorKind::NetworkUnreachable,
            ErrorKind::PermissionDenied,
            ErrorKind::AddrNotAvailable,
        ] {
            assert!(is_local_io(&Error::from(kind)), "{kind:?}");
        }
        for kind in [
            ErrorKind::ConnectionRefused,
            ErrorKind::HostUnreachable,
            ErrorKind::TimedOut,
        ] {
            assert!(!is_local_io(&Error::from(kind)), "{kind:?}");
        }
        let lookup =
            |words: &str| Error::other(format!("failed to lookup address information: {words}"));
        assert!(is_local_io(&lookup("Temporary failure in name resolution")));
        assert!(!is_local_io(&lookup("Name or service not known")));
    }

    // A request the client refused to send is not the server's failure; an answer it could
    // not read is.
    #[test]
    fn requests_not_sent_are_told_from_answers_not_understood() {
        use super::{describe_error, is_local};
        use ureq_proto::Error as Protocol;
        let budget = Duration::from_secs(5);
        for (error, words) in [
            (
                Protocol::TooManyHostHeaders,
                "it has more than one Host header",
            ),
            (
                Protocol::OutputOverflow,
                "its URL and headers are longer than the 8 KiB a request may have here",
            ),
        ] {
            let error = ureq::Error::Protocol(error);
            assert!(is_local(&error), "{error}");
            assert_eq!(
                describe_error(&error, budget, "h"),
                format!("the request could not be sent: {words}")
            );
        }
        let garbled = ureq::Error::Protocol(Protocol::HttpParseFail("bad".to_owned()));
        assert!(!is_local(&garbled));
        assert!(describe_error(&garbled, budget, "h").starts_with("the answer is not HTTP"));
    }

    #[test]
    fn timeouts_read_in_seconds_or_milliseconds() {
        assert_eq!(
            timed_out(Duration::from_millis(2895)),
            "timed out after 2.9 s"
        );
        assert_eq!(timed_out(Duration::from_secs(10)), "timed out after 10 s");
        assert_eq!(
            timed_out(Duration::from_millis(800)),
            "timed out after 800 ms"
        );
        assert_eq!(timed_out(Duration::from_secs(90)), "timed out after 90 s");
    }
}
