//! A socket's reads and writes held to a deadline: each call waits at most what is left of it,
//! so a peer that sends a byte now and then cannot keep a check past its deadline (a timeout
//! set once, at the start, is met afresh by every byte that arrives in time).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::deadline::Deadline;

/// `socket`, every read and write of which ends by `deadline` (a `TimedOut` error after it).
pub struct Within<'a> {
    socket: &'a TcpStream,
    deadline: Deadline,
}

impl<'a> Within<'a> {
    pub fn new(socket: &'a TcpStream, deadline: Deadline) -> Within<'a> {
        Within { socket, deadline }
    }

    /// What is left of the deadline; a `TimedOut` error once nothing is.
    fn left(&self) -> std::io::Result<Option<Duration>> {
        match self.deadline.remaining() {
            left if left.is_zero() => Err(ErrorKind::TimedOut.into()),
            left => Ok(Some(left)),
        }
    }
}

impl Read for Within<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        self.socket.set_read_timeout(self.left()?)?;
        let mut socket = self.socket;
        socket.read(buffer)
    }
}

impl Write for Within<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.socket.set_write_timeout(self.left()?)?;
        let mut socket = self.socket;
        socket.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Within;
    use crate::deadline::Deadline;
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};

    // A peer that sends a byte every 100 ms, each well within a timeout set once: the read
    // still ends by its deadline.
    #[test]
    fn a_dripping_peer_cannot_stretch_the_deadline() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut peer, _) = listener.accept().unwrap();
            for _ in 0..50 {
                if peer.write_all(b"x").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let socket = std::net::TcpStream::connect(address).unwrap();
        let started = Instant::now();
        let mut within = Within::new(&socket, Deadline::after(Duration::from_millis(450)));
        let mut all = [0u8; 50];
        let error = within.read_exact(&mut all).unwrap_err();
        assert!(
            matches!(
                error.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            ),
            "{error}"
        );
        assert!(started.elapsed() < Duration::from_millis(900));
    }
}
