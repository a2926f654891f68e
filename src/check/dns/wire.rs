//! A DNS question on the wire: sent over UDP (TCP when the answer is truncated) to each
//! server in turn, each given its share of the deadline; the servers of /etc/resolv.conf when
//! the check names none. The wire format is hickory-proto's.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::OnceLock;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::Name;

use super::{DnsSpec, Record, query_name, value_of};
use crate::deadline::Deadline;
use crate::net::path::{dial, note_dialed};
use crate::net::within::Within;
use crate::net::{at_least_a_millisecond, describe_io, timed_out};

/// What a server said: its response code and the values of the records asked for.
pub(super) struct Answer {
    pub(super) server: SocketAddr,
    pub(super) code: ResponseCode,
    pub(super) values: Vec<String>,
    /// The CNAMEs the answer holds: the name is an alias (for another record type than CNAME,
    /// a server that does not follow the alias answers with it alone).
    pub(super) aliases: Vec<String>,
}

/// Every reading of a DNS answer, for the fuzz target `dns_answer`: the message parsed, and the
/// values of each record type read from it. Nothing may panic, whatever `bytes` are.
pub fn read_any_answer(bytes: &[u8]) -> usize {
    let Ok(message) = Message::from_vec(bytes) else {
        return 0;
    };
    [
        Record::A,
        Record::Aaaa,
        Record::Cname,
        Record::Mx,
        Record::Txt,
        Record::Ns,
    ]
    .into_iter()
    .map(|record| {
        message
            .answers()
            .iter()
            .filter_map(|answer| value_of(answer.data(), record))
            .count()
    })
    .sum()
}

/// Asks each server in turn, giving each an equal share of what is left of the deadline.
pub(super) fn ask(
    spec: &DnsSpec,
    servers: &[SocketAddr],
    deadline: Deadline,
    budget: Duration,
) -> Result<Answer, String> {
    let name = query_name(&spec.name)?;
    let mut errors = Vec::new();
    for (index, server) in servers.iter().enumerate() {
        let left = u32::try_from(servers.len() - index).unwrap_or(1);
        let share = deadline.within(deadline.remaining() / left);
        match query(&name, spec.record, *server, spec.path.source, share) {
            Ok(answer) => {
                note_dialed(*server);
                return Ok(answer);
            }
            Err(why) => errors.push(format!("{server}: {why}")),
        }
        if deadline.remaining().is_zero() {
            break;
        }
    }
    if errors.is_empty() {
        return Err(format!("no resolver to ask within {}", timed_out(budget)));
    }
    Err(errors.join("; "))
}

fn query(
    name: &Name,
    record: Record,
    server: SocketAddr,
    source: Option<IpAddr>,
    deadline: Deadline,
) -> Result<Answer, String> {
    let budget = deadline.remaining();
    let id = random_id();
    let mut message = Message::new();
    message
        .set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(name.clone(), record.record_type()));
    let packet = message
        .to_vec()
        .map_err(|error| format!("cannot build the query: {error}"))?;
    let mut response = over_udp(&packet, id, (server, source), deadline, budget)?;
    if response.truncated() {
        response = over_tcp(&packet, id, (server, source), deadline, budget)?;
    }
    let values = response
        .answers()
        .iter()
        .filter_map(|answer| value_of(answer.data(), record))
        .collect();
    let aliases = response
        .answers()
        .iter()
        .filter_map(|answer| value_of(answer.data(), Record::Cname))
        .collect();
    Ok(Answer {
        server,
        code: response.response_code(),
        values,
        aliases,
    })
}

/// One exchange with `server`, from `source` (`source_address`) when set.
fn over_udp(
    packet: &[u8],
    id: u16,
    (server, source): (SocketAddr, Option<IpAddr>),
    deadline: Deadline,
    budget: Duration,
) -> Result<Message, String> {
    let local: SocketAddr = match source {
        Some(source) => (source, 0).into(),
        None if server.is_ipv4() => (Ipv4Addr::UNSPECIFIED, 0).into(),
        None => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let io = |error: std::io::Error| describe_io(&error, budget);
    let socket = UdpSocket::bind(local).map_err(io)?;
    socket.connect(server).map_err(io)?;
    socket.send(packet).map_err(io)?;
    let mut buffer = [0u8; 4096];
    loop {
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            return Err(format!("no answer, {}", timed_out(budget)));
        }
        socket
            .set_read_timeout(Some(at_least_a_millisecond(remaining)))
            .map_err(io)?;
        let count = match socket.recv(&mut buffer) {
            Ok(count) => count,
            Err(error) if is_timeout(&error) => continue,
            Err(error) => return Err(io(error)),
        };
        // A stray or spoofed datagram is skipped; the answer to our id is awaited.
        if let Ok(message) = Message::from_vec(&buffer[..count])
            && message.id() == id
            && message.message_type() == MessageType::Response
        {
            return Ok(message);
        }
    }
}

fn over_tcp(
    packet: &[u8],
    id: u16,
    (server, source): (SocketAddr, Option<IpAddr>),
    deadline: Deadline,
    budget: Duration,
) -> Result<Message, String> {
    let io = |error: std::io::Error| format!("over TCP: {}", describe_io(&error, budget));
    let remaining = deadline.remaining();
    if remaining.is_zero() {
        return Err(format!("over TCP: {}", timed_out(budget)));
    }
    let socket = dial(server, source, remaining).map_err(io)?;
    let length = u16::try_from(packet.len()).map_err(|_| "the query is too long".to_owned())?;
    let mut framed = length.to_be_bytes().to_vec();
    framed.extend_from_slice(packet);
    // Each read keeps the deadline: a server that drips its answer is timed out in time.
    let mut stream = Within::new(&socket, deadline);
    stream.write_all(&framed).map_err(io)?;
    let mut length = [0u8; 2];
    stream.read_exact(&mut length).map_err(io)?;
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(length))];
    stream.read_exact(&mut answer).map_err(io)?;
    let message = Message::from_vec(&answer)
        .map_err(|error| format!("over TCP: not a DNS answer: {error}"))?;
    if message.id() != id {
        return Err("over TCP: the answer is for another query".to_owned());
    }
    Ok(message)
}

fn is_timeout(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

fn random_id() -> u16 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    (hasher.finish() & 0xffff) as u16
}

/// The `nameserver`s of /etc/resolv.conf, read once per process; 127.0.0.1 when there are none,
/// as the C library does.
pub(super) fn system_servers() -> &'static [SocketAddr] {
    static SERVERS: OnceLock<Vec<SocketAddr>> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let servers = nameservers(&text);
        if servers.is_empty() {
            vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53)]
        } else {
            servers
        }
    })
}

fn nameservers(resolv_conf: &str) -> Vec<SocketAddr> {
    resolv_conf
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("nameserver"))
                .then(|| words.next())
                .flatten()
        })
        // A link-local address with a zone (`fe80::1%eth0`) is skipped.
        .filter_map(|address| address.parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::nameservers;

    #[test]
    fn resolv_conf_nameservers_are_read_in_order() {
        let conf = "# comment\nsearch example.com\nnameserver 192.0.2.1\nnameserver  2001:db8::1\nnameserver fe80::1%eth0\n";
        let servers: Vec<String> = nameservers(conf).iter().map(ToString::to_string).collect();
        assert_eq!(servers, ["192.0.2.1:53", "[2001:db8::1]:53"]);
    }
}
