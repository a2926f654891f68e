//! The TCP connections of the HTTP client (ureq's connector chain): dialed along a check's
//! path — from its source address, the address reached noted for `-v` — and carried by a
//! transport that sets a socket timeout only when it changes.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport,
};

use super::{dial, note_dialed};

/// Dials each address ureq resolved in turn, from `source` when set. Each address gets an
/// equal share of what is left of the connect budget; one refused or unreachable gives way
/// to the next.
#[derive(Debug, Default)]
pub struct Dialer {
    pub source: Option<IpAddr>,
}

impl<In: Transport> Connector<In> for Dialer {
    type Out = Either<In, Link>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        if chained.is_some() {
            return Ok(chained.map(Either::A));
        }
        let started = std::time::Instant::now();
        let budget = *details.timeout.after;
        let addresses: Vec<SocketAddr> = details.addrs.iter().copied().collect();
        let mut last = None;
        for (index, address) in addresses.iter().enumerate() {
            let left = budget.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(ureq::Error::Timeout(details.timeout.reason));
            }
            let tries_left = u32::try_from(addresses.len() - index).unwrap_or(u32::MAX);
            let share = (left / tries_left).max(Duration::from_millis(10)).min(left);
            match dial(*address, self.source, share) {
                Ok(stream) => {
                    note_dialed(*address);
                    stream.set_nodelay(true)?;
                    let buffers = LazyBuffers::new(
                        details.config.input_buffer_size(),
                        details.config.output_buffer_size(),
                    );
                    return Ok(Some(Either::B(Link {
                        stream,
                        buffers,
                        read_timeout: None,
                        write_timeout: None,
                    })));
                }
                Err(error)
                    if matches!(error.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) =>
                {
                    last = Some(ureq::Error::Timeout(details.timeout.reason));
                }
                Err(error) => last = Some(ureq::Error::Io(error)),
            }
        }
        Err(last.unwrap_or(ureq::Error::ConnectionFailed))
    }
}

/// A TCP connection for ureq.
pub struct Link {
    stream: TcpStream,
    buffers: LazyBuffers,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

/// The timeout of `timeout`, or ureq's error when it has run out.
fn left(timeout: NextTimeout) -> Result<Duration, ureq::Error> {
    timeout
        .not_zero()
        .map(|left| *left)
        .ok_or(ureq::Error::Timeout(timeout.reason))
}

/// An I/O error as ureq says it: a socket timeout is the timeout that ran out.
fn io(error: std::io::Error, timeout: NextTimeout) -> ureq::Error {
    match error.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => ureq::Error::Timeout(timeout.reason),
        _ => ureq::Error::Io(error),
    }
}

impl Transport for Link {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let timeout = timeout.for_write();
        let after = left(timeout)?;
        if self.write_timeout != Some(after) {
            self.stream.set_write_timeout(Some(after))?;
            self.write_timeout = Some(after);
        }
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output).map_err(|e| io(e, timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let timeout = timeout.for_read();
        let after = left(timeout)?;
        if self.read_timeout != Some(after) {
            self.stream.set_read_timeout(Some(after))?;
            self.read_timeout = Some(after);
        }
        let input = self.buffers.input_append_buf();
        let read = loop {
            match self.stream.read(input) {
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                other => break other.map_err(|e| io(e, timeout))?,
            }
        };
        self.buffers.input_appended(read);
        Ok(read > 0)
    }

    /// Whether a pooled connection is still good: nothing waiting to be read, not closed.
    fn is_open(&mut self) -> bool {
        if self.stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut byte = [0u8];
        let open =
            matches!(self.stream.peek(&mut byte), Err(e) if e.kind() == ErrorKind::WouldBlock);
        open && self.stream.set_nonblocking(false).is_ok()
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("path::Link")
    }
}
