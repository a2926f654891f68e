//! The TCP connections of the HTTP client (ureq's connector chain): dialed along a check's
//! path — from its source address, the address reached noted for `-v` — and carried by a
//! transport that sets a socket timeout only when it changes.

use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, NextTimeout, Transport,
};

use super::{dial, note_dialed, note_reached};

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
                    let buffers = Grow::new(
                        details.config.input_buffer_size(),
                        details.config.output_buffer_size(),
                    );
                    OPEN.fetch_add(1, Ordering::Relaxed);
                    return Ok(Some(Either::B(Link {
                        stream,
                        peer: *address,
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

thread_local! {
    /// Whether this thread's connections wait for input (`arrived_only` says they do not).
    static WAITING: Cell<bool> = const { Cell::new(true) };
}

/// `read()` with this thread's connections limited to what has already arrived: what is in
/// their buffers and what the kernel holds for them; where it would wait for more, the read ends
/// as a timeout at once.
pub fn arrived_only<T>(read: impl FnOnce() -> T) -> T {
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            WAITING.set(true);
        }
    }
    WAITING.set(false);
    let _restore = Restore;
    read()
}

/// A TCP connection for ureq.
pub struct Link {
    stream: TcpStream,
    /// The address it reached.
    peer: SocketAddr,
    buffers: Grow,
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
        if !WAITING.get() {
            return self.read_arrived(timeout);
        }
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

    /// Whether a pooled connection is still good: nothing waiting to be read, not closed. One
    /// non-blocking peek (MSG_PEEK | MSG_DONTWAIT), not two mode switches around a read. One
    /// found open is about to carry a request of this thread (ureq asks when it takes one from
    /// the pool, and when it puts one back, on the thread that used it): its address is noted
    /// as the one this thread's check reached, for `-v`.
    ///
    /// Kept-alive connections are what runs of many hosts hold most of: one found idle gives
    /// its buffers back, and none is kept once the process holds more than `keep_at_most`
    /// connections — a run never fails its checks for want of file descriptors it spent on
    /// connections nobody may ask for again.
    fn is_open(&mut self) -> bool {
        if OPEN.load(Ordering::Relaxed) > keep_at_most() {
            return false;
        }
        self.buffers.release_if_idle();
        let mut byte = [std::mem::MaybeUninit::<u8>::uninit()];
        let peeked = socket2::SockRef::from(&self.stream)
            .recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT);
        let open = matches!(peeked, Err(e) if e.kind() == ErrorKind::WouldBlock);
        if open {
            note_reached(self.peer);
        }
        open
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The HTTP client's connections open now, in use or kept for reuse.
static OPEN: AtomicUsize = AtomicUsize::new(0);

/// Connections the checks in flight may open besides those kept (`--jobs`).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// The soft limit on open files as last read or raised; 0 until then.
static LIMIT: AtomicUsize = AtomicUsize::new(0);

/// Tells the connections how many checks run at once, each of which may open one, and makes
/// room for them: the soft limit on open files (`ulimit -n`, often 1,024) is raised to four a
/// check and 1,024 more, never past the hard limit. A modest figure, as programs the checks
/// run (monitoring plugins) inherit it.
pub fn expect_in_flight(checks: usize) {
    IN_FLIGHT.store(checks, Ordering::Relaxed);
    let room = u64::try_from(checks)
        .unwrap_or(u64::MAX)
        .saturating_mul(4)
        .saturating_add(1024);
    if let Ok(limit) = rlimit::increase_nofile_limit(room) {
        LIMIT.store(
            usize::try_from(limit).unwrap_or(usize::MAX),
            Ordering::Relaxed,
        );
    }
}

/// How many open connections still let one be kept for reuse: the file descriptors this
/// process may open (`ulimit -n`) less one for each check in flight and 64 for everything
/// else (files, pipes, Cachet), at most 4,096.
fn keep_at_most() -> usize {
    descriptor_limit()
        .saturating_sub(IN_FLIGHT.load(Ordering::Relaxed) + 64)
        .min(4096)
}

/// The soft limit on open files; 1,024 (the usual one) if it cannot be read.
fn descriptor_limit() -> usize {
    match LIMIT.load(Ordering::Relaxed) {
        0 => {
            let soft = rlimit::Resource::NOFILE
                .get()
                .map_or(1024, |(soft, _)| soft);
            let soft = usize::try_from(soft).unwrap_or(usize::MAX);
            // Unless a raise was stored meanwhile.
            match LIMIT.compare_exchange(0, soft, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => soft,
                Err(raised) => raised,
            }
        }
        known => known,
    }
}

impl Link {
    /// What the kernel already holds for this connection, without waiting (`arrived_only`).
    fn read_arrived(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.set_nonblocking(true)?;
        let input = self.buffers.input_append_buf();
        let read = self.stream.read(input);
        self.stream.set_nonblocking(false)?;
        let read = read.map_err(|e| io(e, timeout))?;
        self.buffers.input_appended(read);
        Ok(read > 0)
    }
}

/// A connection's buffers, the input one growing from 1 KiB (room for the head of a health
/// endpoint's answer) to the largest response head allowed only when an answer needs it: with
/// hundreds of checks in flight, buffers of the full size from the start were a third of a
/// run's memory, and a start of 4 KiB still cost about 1 MiB more at 512 checks in flight.
pub struct Grow {
    input: Vec<u8>,
    /// `input[consumed..filled]` is read and not yet used.
    filled: usize,
    consumed: usize,
    input_max: usize,
    output: Vec<u8>,
    output_size: usize,
    progress: bool,
}

/// The input buffer's first size, and the least free space a read is given.
const INPUT_START: usize = 1024;
const READ_AT_LEAST: usize = 1024;
/// What ureq's own buffers keep free for reading a request body through (`tmp_and_output`).
const TMP_AT_LEAST: usize = 10 * 1024;

impl Grow {
    pub fn new(input_max: usize, output_size: usize) -> Grow {
        Grow {
            input: Vec::new(),
            filled: 0,
            consumed: 0,
            input_max: input_max.max(INPUT_START),
            output: Vec::new(),
            output_size: output_size.max(1),
            progress: false,
        }
    }

    /// At least `want` bytes free after the unconsumed input (moved to the front first), the
    /// buffer doubled as needed but never past `limit`: a buffer at its limit gives what room
    /// it has, as a buffer of fixed size does.
    fn room(&mut self, want: usize, limit: usize) {
        if self.consumed > 0 && self.input.len() - self.filled < want {
            self.input.copy_within(self.consumed..self.filled, 0);
            self.filled -= self.consumed;
            self.consumed = 0;
        }
        if self.input.len() - self.filled >= want {
            return;
        }
        let mut size = self.input.len().max(INPUT_START);
        while size < self.filled + want && size < limit {
            size *= 2;
        }
        let size = size.min(limit);
        if size > self.input.len() {
            self.input.resize(size, 0);
        }
    }
}

impl Grow {
    /// Gives the buffers back when nothing read waits in them (a connection going idle).
    pub fn release_if_idle(&mut self) {
        if self.filled == self.consumed {
            self.input = Vec::new();
            self.filled = 0;
            self.consumed = 0;
            self.output = Vec::new();
        }
    }
}

impl Buffers for Grow {
    fn output(&mut self) -> &mut [u8] {
        if self.output.len() < self.output_size {
            self.output.resize(self.output_size, 0);
        }
        &mut self.output
    }

    fn input(&self) -> &[u8] {
        &self.input[self.consumed..self.filled]
    }

    fn input_append_buf(&mut self) -> &mut [u8] {
        // Reading means the request has gone out: its buffer is given back rather than kept
        // by every connection left open for reuse (made again for the next request).
        self.output = Vec::new();
        self.room(READ_AT_LEAST, self.input_max);
        &mut self.input[self.filled..]
    }

    fn input_appended(&mut self, amount: usize) {
        self.filled = (self.filled + amount).min(self.input.len());
    }

    fn input_consume(&mut self, amount: usize) {
        self.progress = amount > 0;
        self.consumed = (self.consumed + amount).min(self.filled);
        if self.consumed == self.filled {
            self.consumed = 0;
            self.filled = 0;
        }
    }

    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        self.room(TMP_AT_LEAST, self.input_max.max(self.filled + TMP_AT_LEAST));
        if self.output.len() < self.output_size {
            self.output.resize(self.output_size, 0);
        }
        (&mut self.input[self.filled..], &mut self.output)
    }

    fn can_use_input(&self) -> bool {
        self.filled > self.consumed && self.progress
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("path::Link")
    }
}

#[cfg(test)]
mod tests {
    use super::{Grow, INPUT_START};
    use ureq::unversioned::transport::Buffers;

    // The input buffer starts small, doubles for a long answer up to its limit, and reuses the
    // room of what was consumed.
    #[test]
    fn the_input_buffer_grows_only_as_answers_need() {
        let mut buffers = Grow::new(32 * 1024, 8 * 1024);
        assert_eq!(buffers.input_append_buf().len(), INPUT_START);
        buffers.input_appended(INPUT_START - 100);
        assert!(
            buffers.input_append_buf().len() >= 1024,
            "grown for the next read"
        );
        assert_eq!(buffers.input().len(), INPUT_START - 100);
        for _ in 0..10 {
            let free = buffers.input_append_buf().len();
            buffers.input_appended(free);
        }
        assert_eq!(buffers.input().len(), 32 * 1024, "never past the limit");
        assert!(buffers.input_append_buf().is_empty());
        buffers.input_consume(32 * 1024 - 10);
        assert_eq!(buffers.input().len(), 10);
        assert!(
            buffers.input_append_buf().len() >= 1024,
            "the consumed room is reused"
        );
        assert_eq!(buffers.input().len(), 10);
        let (tmp, output) = buffers.tmp_and_output();
        assert!(tmp.len() >= 10 * 1024);
        assert_eq!(output.len(), 8 * 1024);
    }
}
