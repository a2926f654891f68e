//! The `ping` check: ICMP echo to a host, IPv4 or IPv6, `count` requests `interval` apart,
//! judged on the round-trip average and the packet loss (`warn`, `fail`: `"200ms,20%"`, as
//! check_icmp writes them). It sends from an unprivileged ICMP datagram socket (Linux allows it
//! to the groups of `net.ipv4.ping_group_range`), else a raw socket (root, CAP_NET_RAW); a host
//! that may do neither cannot judge the target: the check is unknown, its detail the fix.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use super::{Built, Context, Endpoint, Level, Probe, Probed};
use crate::deadline::{Deadline, format_millis};
use crate::keys::{HumanDuration, Key, KeyError, Keys};
use crate::net::path::{self, Path, Route, note_dialed};
use crate::net::{Failure, timed_out};
use crate::perfdata::Perfdata;
use crate::text::sanitize;

pub const KIND: super::Kind = super::Kind {
    word: "ping",
    keys: &[
        &[&HOST, &COUNT, &INTERVAL, &WARN, &FAIL],
        // The path keys that mean something without a port or a proxy.
        &[&path::IP, &path::SOURCE_ADDRESS],
    ],
    build,
};

/// The host (a name or an address) to ping.
const HOST: Key<String> = Key::new("host");
const COUNT: Key<u32> = Key::new("count");
const INTERVAL: Key<HumanDuration> = Key::new("interval");
/// `"200ms,20%"`: degraded when the round-trip average or the loss reaches it.
const WARN: Key<String> = Key::new("warn");
/// `"500ms,60%"`: failed when the round-trip average or the loss reaches it.
const FAIL: Key<String> = Key::new("fail");

/// A round-trip average and a packet loss (percent) that must not be reached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    pub rta: Duration,
    pub loss: f64,
}

#[derive(Debug)]
pub struct PingSpec {
    pub host: String,
    pub count: u32,
    pub interval: Duration,
    pub warn: Option<Limit>,
    pub fail: Limit,
    pub path: Path,
}

/// Reads `"200ms,20%"` (or `"200,20%"`, milliseconds as check_icmp takes them).
fn parse_limit(text: &str) -> Result<Limit, String> {
    let form = "write a round-trip average and a loss, like \"200ms,20%\"";
    let (rta, loss) = text
        .split_once(',')
        .ok_or_else(|| format!("`{text}` is not `rta,loss%`: {form}"))?;
    let rta = rta.trim();
    let rta = match rta.parse::<f64>() {
        Ok(millis) if millis >= 0.0 && millis.is_finite() => {
            Duration::from_secs_f64(millis / 1000.0)
        }
        _ => humantime::parse_duration(rta)
            .map_err(|_| format!("`{rta}` is not a round-trip time: {form}"))?,
    };
    let loss = loss
        .trim()
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|loss| (0.0..=100.0).contains(loss))
        .ok_or_else(|| format!("`{}` is not a loss from 0% to 100%: {form}", loss.trim()))?;
    Ok(Limit { rta, loss })
}

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let host = keys.require(&HOST, "`host = \"gateway.example.com\"`")?;
    let count = keys.take(&COUNT)?.unwrap_or(3);
    if !(1..=100).contains(&count) {
        return Err(keys.invalid(&COUNT, "send from 1 to 100 requests"));
    }
    let interval = keys
        .take(&INTERVAL)?
        .map_or(Duration::from_millis(200), |d| d.0);
    let mut limit = |key: &Key<String>| -> Result<Option<Limit>, KeyError> {
        match keys.take(key)? {
            Some(text) => parse_limit(&text)
                .map(Some)
                .map_err(|why| keys.invalid(key, why)),
            None => Ok(None),
        }
    };
    let warn = limit(&WARN)?;
    let fail = limit(&FAIL)?.unwrap_or(Limit {
        rta: Duration::from_millis(500),
        loss: 100.0,
    });
    let called = host.clone();
    Built::new(
        PingSpec {
            host,
            count,
            interval,
            warn,
            fail,
            path: path::read(keys)?,
        },
        called,
    )
}

impl Probe for PingSpec {
    fn target(&self) -> String {
        format!(
            "{} ({} requests every {})",
            self.host,
            self.count,
            humantime::format_duration(self.interval)
        )
    }

    /// What keeps this host from pinging at all (`validate`, `doctor`): no ICMP socket of the
    /// family may be opened. A name is tried as IPv4.
    fn problem(&self) -> Option<String> {
        let family = self
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        open(family).err().map(|failure| failure.detail)
    }

    fn endpoint(&self) -> Option<Endpoint<'_>> {
        Some(Endpoint {
            path: &self.path,
            host: self
                .host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: 0,
        })
    }

    fn probe(&self, context: &Context, deadline: Deadline) -> Probed {
        match echo(self, context.route, deadline) {
            Ok(heard) => judge(self, &heard),
            Err(failure) => failure.into(),
        }
    }
}

/// What came back: the requests sent and the round trips of those answered.
#[derive(Debug, Default)]
pub struct Heard {
    pub address: Option<IpAddr>,
    pub sent: u32,
    pub round_trips: Vec<Duration>,
}

/// Sends the requests and collects the replies, by `deadline`.
fn echo(spec: &PingSpec, route: Route, deadline: Deadline) -> Result<Heard, Failure> {
    let budget = deadline.remaining();
    let bare = spec.host.trim_start_matches('[').trim_end_matches(']');
    let address = spec
        .path
        .addresses(bare, 0, route)?
        .first()
        .map(SocketAddr::ip)
        .ok_or_else(|| Failure::from(format!("`{}` resolved to no address", sanitize(bare))))?;
    let (socket, raw) = open(address)?;
    if let Some(source) = spec.path.source {
        socket
            .bind(&SocketAddr::new(source, 0).into())
            .map_err(|error| sent_error(&error))?;
    }
    note_dialed(SocketAddr::new(address, 0));
    // std's datagram calls (sendto, recvfrom with the sender's address) serve ICMP sockets too.
    let socket = UdpSocket::from(socket);
    // Each check of the run its own identifier: a raw socket sees every echo reply of the host.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let identifier = (std::process::id() as u16).wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed));
    let mut heard = Heard {
        address: Some(address),
        ..Heard::default()
    };
    let mut sent_at: Vec<Instant> = Vec::new();
    let target = SocketAddr::new(address, 0);
    let last_reply_by = |sent: Instant| sent + spec.interval.max(Duration::from_secs(1));
    let mut next = Instant::now();
    let mut buffer = [0u8; 1500];
    let mut answered = vec![false; spec.count as usize];
    loop {
        let now = Instant::now();
        if heard.sent < spec.count && now >= next {
            let sequence = heard.sent as u16;
            let packet = request(address, identifier, sequence);
            if let Err(error) = socket.send_to(&packet, target) {
                return Err(sent_error(&error));
            }
            sent_at.push(Instant::now());
            heard.sent += 1;
            next = now + spec.interval;
        }
        let all_sent = heard.sent == spec.count;
        let waited_enough = all_sent
            && sent_at
                .last()
                .is_some_and(|&sent| Instant::now() >= last_reply_by(sent));
        if answered.iter().all(|a| *a) && all_sent
            || waited_enough
            || deadline.remaining().is_zero()
        {
            break;
        }
        let wake = if all_sent {
            sent_at.last().map_or(Duration::ZERO, |&sent| {
                last_reply_by(sent).saturating_duration_since(Instant::now())
            })
        } else {
            next.saturating_duration_since(Instant::now())
        };
        let wait = wake.min(deadline.remaining()).max(Duration::from_millis(1));
        let _ = socket.set_read_timeout(Some(wait));
        match socket.recv_from(&mut buffer) {
            Ok((length, from)) => {
                if from.ip() == address
                    && let Some(sequence) = reply(address, raw, identifier, &buffer[..length])
                    && let Some(&sent) = sent_at.get(usize::from(sequence))
                    && !answered[usize::from(sequence)]
                {
                    answered[usize::from(sequence)] = true;
                    heard.round_trips.push(sent.elapsed());
                }
            }
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(error) => return Err(sent_error(&error)),
        }
    }
    if heard.sent == 0 {
        return Err(timed_out(budget).into());
    }
    Ok(heard)
}

/// An ICMP socket: an unprivileged datagram one, else a raw one; whether it is raw.
fn open(address: IpAddr) -> Result<(Socket, bool), Failure> {
    let (domain, protocol) = match address {
        IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4),
        IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6),
    };
    match Socket::new(domain, Type::DGRAM, Some(protocol)) {
        Ok(socket) => return Ok((socket, false)),
        Err(error)
            if !matches!(error.kind(), std::io::ErrorKind::PermissionDenied)
                && error.raw_os_error() != Some(libc::EACCES) =>
        {
            return Err(Failure::local(format!(
                "cannot open an ICMP socket: {error}"
            )));
        }
        Err(_) => {}
    }
    Socket::new(domain, Type::RAW, Some(protocol))
        .map(|socket| (socket, true))
        .map_err(|_| {
            Failure::local(
                "this host may not send ICMP echo (permission denied): let its group ping with `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`, or give the program CAP_NET_RAW (`setcap cap_net_raw+ep`, or systemd's `AmbientCapabilities=CAP_NET_RAW`)"
                    .to_owned(),
            )
        })
}

fn sent_error(error: &std::io::Error) -> Failure {
    Failure {
        detail: crate::net::describe_io(error, Duration::ZERO),
        local: crate::net::is_local_io(error),
    }
}

/// An echo request: type 8 (ICMPv6: 128), `identifier`, `sequence`, 16 bytes of payload; the
/// checksum filled in for IPv4 (the kernel computes ICMPv6's).
fn request(address: IpAddr, identifier: u16, sequence: u16) -> Vec<u8> {
    let kind = if address.is_ipv4() { 8 } else { 128 };
    let mut packet = vec![kind, 0, 0, 0];
    packet.extend_from_slice(&identifier.to_be_bytes());
    packet.extend_from_slice(&sequence.to_be_bytes());
    packet.extend_from_slice(b"cachet-check 123");
    if address.is_ipv4() {
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}

/// The Internet checksum (RFC 1071).
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The sequence number of an echo reply to us in `packet`: a raw IPv4 socket's packets start
/// with the IP header; a datagram socket's identifier is the kernel's, so only raw ones are
/// filtered by it.
fn reply(address: IpAddr, raw: bool, identifier: u16, packet: &[u8]) -> Option<u16> {
    let icmp = if raw && address.is_ipv4() {
        let header = usize::from(packet.first()? & 0x0f) * 4;
        packet.get(header..)?
    } else {
        packet
    };
    let expected = if address.is_ipv4() { 0 } else { 129 };
    if *icmp.first()? != expected {
        return None;
    }
    let id = u16::from_be_bytes([*icmp.get(4)?, *icmp.get(5)?]);
    if raw && id != identifier {
        return None;
    }
    Some(u16::from_be_bytes([*icmp.get(6)?, *icmp.get(7)?]))
}

/// The loss and round-trip average against `warn` and `fail`.
fn judge(spec: &PingSpec, heard: &Heard) -> Probed {
    let received = heard.round_trips.len() as u32;
    let loss = f64::from(heard.sent - received) * 100.0 / f64::from(heard.sent.max(1));
    let average = (received > 0).then(|| heard.round_trips.iter().sum::<Duration>() / received);
    // A name is followed by the address it resolved to; an address is in the check's name.
    let mut detail = match heard.address {
        Some(address) if address.to_string() != spec.host => format!("{address}: "),
        _ => String::new(),
    };
    detail.push_str(&format!(
        "{received}/{} replies, {loss:.0}% loss",
        heard.sent
    ));
    if let Some(average) = average {
        detail.push_str(&format!(
            ", round trip {} on average",
            format_millis(average)
        ));
    }
    let mut perfdata = vec![Perfdata::new("pl", loss.round(), "%")];
    if let Some(average) = average {
        let millis = (average.as_secs_f64() * 1_000_000.0).round() / 1000.0;
        perfdata.push(Perfdata::new("rta", millis, "ms"));
    }
    let reached =
        |limit: &Limit| loss >= limit.loss || average.is_some_and(|average| average >= limit.rta);
    let level = if received == 0 || reached(&spec.fail) {
        Level::Fail
    } else if spec.warn.as_ref().is_some_and(reached) {
        Level::Warn
    } else {
        Level::Pass
    };
    Probed {
        level,
        detail,
        perfdata,
    }
}

#[cfg(test)]
mod tests {
    use super::{Heard, Limit, PingSpec, checksum, judge, parse_limit, reply, request};
    use crate::check::Level;
    use std::net::IpAddr;
    use std::time::Duration;

    #[test]
    fn limits_read_as_check_icmp_writes_them() {
        assert_eq!(
            parse_limit("200ms,20%"),
            Ok(Limit {
                rta: Duration::from_millis(200),
                loss: 20.0
            })
        );
        assert_eq!(
            parse_limit("500,60%").map(|l| l.rta),
            Ok(Duration::from_millis(500))
        );
        assert!(
            parse_limit("200ms")
                .unwrap_err()
                .contains("like \"200ms,20%\"")
        );
        assert!(parse_limit("200ms,120%").is_err());
    }

    #[test]
    fn a_request_checks_out_and_its_reply_is_found() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let packet = request(v4, 7, 2);
        assert_eq!(
            checksum(&packet),
            0,
            "a packet with its checksum sums to zero"
        );
        let mut answer = packet.clone();
        answer[0] = 0;
        assert_eq!(reply(v4, false, 7, &answer), Some(2));
        assert_eq!(
            reply(
                v4,
                true,
                8,
                &[0x45; 20]
                    .iter()
                    .copied()
                    .chain(answer.clone())
                    .collect::<Vec<_>>()
            ),
            None
        );
        assert_eq!(
            reply(v4, false, 7, &packet),
            None,
            "a request is not a reply"
        );
    }

    #[test]
    fn loss_and_round_trips_are_judged() {
        let spec = PingSpec {
            host: "h".to_owned(),
            count: 4,
            interval: Duration::ZERO,
            warn: Some(Limit {
                rta: Duration::from_millis(100),
                loss: 20.0,
            }),
            fail: Limit {
                rta: Duration::from_millis(500),
                loss: 60.0,
            },
            path: Default::default(),
        };
        let heard = |replies: &[u64]| Heard {
            address: Some("192.0.2.1".parse().unwrap()),
            sent: 4,
            round_trips: replies
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect(),
        };
        assert_eq!(judge(&spec, &heard(&[10, 10, 10, 10])).level, Level::Pass);
        assert_eq!(judge(&spec, &heard(&[10, 10, 10])).level, Level::Warn);
        assert_eq!(
            judge(&spec, &heard(&[200, 200, 200, 200])).level,
            Level::Warn
        );
        assert_eq!(judge(&spec, &heard(&[10])).level, Level::Fail);
        let lost = judge(&spec, &heard(&[]));
        assert_eq!(lost.level, Level::Fail);
        assert_eq!(
            lost.detail, "192.0.2.1: 0/4 replies, 100% loss",
            "a name is followed by its address"
        );
    }
}
