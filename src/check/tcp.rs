//! The `tcp` check (SPEC §5): connect, optionally send, optionally wait for a banner substring.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::Probed;
use super::http::describe_io;
use crate::deadline::Deadline;
use crate::output::sanitize;

/// How much of the peer's answer is read while looking for `expect`.
const READ_CAP: usize = 64 * 1024;

#[derive(Debug)]
pub struct TcpSpec {
    /// `host:port`, IPv6 as `[::1]:port`.
    pub address: String,
    pub send: Option<String>,
    /// A substring the peer must send (a banner).
    pub expect: Option<String>,
}

pub fn probe(spec: &TcpSpec, deadline: Deadline) -> Probed {
    let budget = deadline.remaining();
    let mut stream = match connect(&spec.address, deadline, budget) {
        Ok(stream) => stream,
        Err(why) => return Probed::fail(why),
    };
    if let Some(send) = &spec.send {
        let written = stream
            .set_write_timeout(Some(at_least_a_millisecond(deadline.remaining())))
            .and_then(|()| stream.write_all(send.as_bytes()));
        if let Err(error) = written {
            return Probed::fail(format!(
                "connected, but sending failed: {}",
                describe_io(&error, budget)
            ));
        }
    }
    let Some(expect) = &spec.expect else {
        return Probed::pass("connected");
    };
    read_until(&mut stream, expect, deadline, budget)
}

/// Reads until `expect` appears, the peer closes, the cap is reached or the deadline passes.
fn read_until(
    stream: &mut TcpStream,
    expect: &str,
    deadline: Deadline,
    budget: Duration,
) -> Probed {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if String::from_utf8_lossy(&received).contains(expect) {
            return Probed::pass(format!("connected, got `{}`", sanitize(expect)));
        }
        let remaining = deadline.remaining();
        let why = if remaining.is_zero() {
            super::timed_out(budget)
        } else if received.len() >= READ_CAP {
            format!("not within the first {READ_CAP} bytes")
        } else {
            let read = stream
                .set_read_timeout(Some(at_least_a_millisecond(remaining)))
                .and_then(|()| stream.read(&mut buffer));
            match read {
                Ok(0) => "the peer closed the connection".to_owned(),
                Ok(count) => {
                    received.extend_from_slice(&buffer[..count]);
                    continue;
                }
                Err(error) => describe_io(&error, budget),
            }
        };
        let got = String::from_utf8_lossy(&received[..received.len().min(60)]).into_owned();
        return Probed::fail(format!(
            "expected `{}` from the peer, got `{}` ({why})",
            sanitize(expect),
            sanitize(got.trim_end())
        ));
    }
}

/// Connects to `host:port`, trying each address it resolves to, by `deadline`. The error is in
/// words; `budget` is what "timed out after …" names.
pub(super) fn connect(
    address: &str,
    deadline: Deadline,
    budget: Duration,
) -> Result<TcpStream, String> {
    let addresses: Vec<SocketAddr> = match address.to_socket_addrs() {
        Ok(addresses) => addresses.collect(),
        Err(error) => return Err(format!("cannot resolve `{address}`: {error}")),
    };
    let mut last_error = format!("`{address}` resolved to no address");
    for address in &addresses {
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            return Err(super::timed_out(budget));
        }
        match TcpStream::connect_timeout(address, remaining) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = describe_io(&error, budget),
        }
    }
    Err(last_error)
}

pub(super) fn at_least_a_millisecond(duration: Duration) -> Duration {
    duration.max(Duration::from_millis(1))
}
