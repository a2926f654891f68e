//! Small proxies on loopback for the network-path tests: an HTTP CONNECT proxy and a SOCKS5
//! one (no authentication, names resolved by the proxy), each recording the targets asked
//! for and piping bytes both ways. The real ones (tinyproxy, microsocks) are in `real.rs`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub struct Proxy {
    pub addr: SocketAddr,
    /// `host:port` of each tunnel asked for.
    pub asked: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    pub fn connect() -> Proxy {
        Proxy::start(connect_handshake)
    }

    pub fn socks5() -> Proxy {
        Proxy::start(socks5_handshake)
    }

    fn start(handshake: fn(&mut TcpStream) -> Option<(String, Reply)>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        thread::spawn(move || {
            for mut client in listener.incoming().flatten() {
                let log = log.clone();
                thread::spawn(move || {
                    let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
                    let Some((target, reply)) = handshake(&mut client) else {
                        return;
                    };
                    log.lock().unwrap().push(target.clone());
                    let upstream = target
                        .to_socket_addrs()
                        .ok()
                        .and_then(|mut all| all.next())
                        .and_then(|to| {
                            TcpStream::connect_timeout(&to, Duration::from_secs(2)).ok()
                        });
                    reply(&mut client, upstream.is_some());
                    if let Some(upstream) = upstream {
                        pipe(client, upstream);
                    }
                });
            }
        });
        Proxy { addr, asked }
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }
}

fn pipe(client: TcpStream, upstream: TcpStream) {
    let (mut client_read, mut upstream_write) =
        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut upstream_write);
        let _ = upstream_write.shutdown(std::net::Shutdown::Write);
    });
    let (mut upstream_read, mut client_write) = (upstream, client);
    let _ = std::io::copy(&mut upstream_read, &mut client_write);
    let _ = client_write.shutdown(std::net::Shutdown::Write);
}

type Reply = Box<dyn Fn(&mut TcpStream, bool)>;

fn connect_handshake(client: &mut TcpStream) -> Option<(String, Reply)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head
        .strip_prefix("CONNECT ")?
        .split_whitespace()
        .next()?
        .to_owned();
    Some((
        target,
        Box::new(|client, reached| {
            let answer: &[u8] = if reached {
                b"HTTP/1.1 200 Connection established\r\n\r\n"
            } else {
                b"HTTP/1.1 502 Bad Gateway\r\n\r\n"
            };
            let _ = client.write_all(answer);
        }),
    ))
}

fn socks5_handshake(client: &mut TcpStream) -> Option<(String, Reply)> {
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting).ok()?;
    let mut methods = vec![0u8; usize::from(greeting[1])];
    client.read_exact(&mut methods).ok()?;
    client.write_all(&[5, 0]).ok()?;
    let mut request = [0u8; 4];
    client.read_exact(&mut request).ok()?;
    let host = match request[3] {
        1 => {
            let mut octets = [0u8; 4];
            client.read_exact(&mut octets).ok()?;
            std::net::Ipv4Addr::from(octets).to_string()
        }
        3 => {
            let mut length = [0u8; 1];
            client.read_exact(&mut length).ok()?;
            let mut name = vec![0u8; usize::from(length[0])];
            client.read_exact(&mut name).ok()?;
            String::from_utf8(name).ok()?
        }
        _ => return None,
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).ok()?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    Some((
        target,
        Box::new(|client, reached| {
            let code = if reached { 0 } else { 5 };
            let _ = client.write_all(&[5, code, 0, 1, 127, 0, 0, 1, 0, 0]);
        }),
    ))
}
