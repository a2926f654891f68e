//! A small HTTP/1.1 server on 127.0.0.1 for tests: one thread per connection, one request per
//! connection (`Connection: close`), optional TLS. Each test passes a handler.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key) == name).then(|| decode(value))
        })
    }
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 3 <= bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Response {
    pub fn new(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        Response::new(status, body.to_string()).header("Content-Type", "application/json")
    }

    /// Closes the connection without answering (a proxy or server dying mid-request).
    pub fn hang_up() -> Response {
        Response::new(0, "")
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn delay(mut self, delay: Duration) -> Response {
        self.delay = delay;
        self
    }
}

pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

pub struct Server {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Request>>>,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
    tls: bool,
}

impl Server {
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Server {
        Server::start_with(Arc::new(handler), None, false)
    }

    /// A server that keeps each connection open for the next request, as nginx in front of a
    /// real Cachet does.
    pub fn start_keep_alive(
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> Server {
        Server::start_with(Arc::new(handler), None, true)
    }

    pub fn start_tls(
        config: Arc<rustls::ServerConfig>,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> Server {
        Server::start_with(Arc::new(handler), Some(config), false)
    }

    fn start_with(
        handler: Handler,
        tls: Option<Arc<rustls::ServerConfig>>,
        keep_alive: bool,
    ) -> Server {
        let listener = listen();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let server = Server {
            addr,
            requests: requests.clone(),
            connections: connections.clone(),
            tls: tls.is_some(),
        };
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                connections.fetch_add(1, Ordering::Relaxed);
                let (handler, requests, tls) = (handler.clone(), requests.clone(), tls.clone());
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    match tls {
                        None => serve(stream, &handler, &requests, keep_alive),
                        Some(config) => {
                            let Ok(connection) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            serve(
                                rustls::StreamOwned::new(connection, stream),
                                &handler,
                                &requests,
                                false,
                            );
                        }
                    }
                });
            }
        });
        server
    }

    pub fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

/// Answers the requests of one connection: one, then closes it; or, `keep_alive`, each until
/// the client closes it.
fn serve<S: Read + Write>(
    stream: S,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
    keep_alive: bool,
) {
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        requests.lock().unwrap().push(request.clone());
        let response = handler(&request);
        thread::sleep(response.delay);
        if response.status == 0 {
            return;
        }
        let mut text = format!(
            "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: {}\r\n",
            response.status,
            reason(response.status),
            response.body.len(),
            if keep_alive { "keep-alive" } else { "close" }
        );
        for (name, value) in &response.headers {
            text.push_str(&format!("{name}: {value}\r\n"));
        }
        text.push_str("\r\n");
        text.push_str(&response.body);
        let stream = reader.get_mut();
        let _ = stream.write_all(text.as_bytes());
        let _ = stream.flush();
        if !keep_alive {
            return;
        }
    }
}

fn read_request<S: Read>(reader: &mut BufReader<S>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Reads a request's head (up to its blank line), byte by byte, and drops it.
pub fn read_head(stream: &mut impl Read) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
}

/// A loopback listener whose backlog takes a burst of hundreds of connections at once (std's
/// 128 drops SYNs under `--jobs 512`, and the client then waits a second to retry).
pub fn listen() -> TcpListener {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    socket.listen(4096).unwrap();
    socket.into()
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A listener that accepts connections and never answers (a blackholed service).
pub fn blackhole() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    addr
}

/// A TCP server that sends `banner` to each connection and records what it receives.
pub fn banner_server(banner: &'static str) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let log = log.clone();
            thread::spawn(move || {
                let _ = stream.write_all(banner.as_bytes());
                let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
                let mut buffer = [0u8; 1024];
                if let Ok(count) = stream.read(&mut buffer) {
                    log.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buffer[..count]).into_owned());
                }
            });
        }
    });
    (addr, received)
}

/// A web target whose every path answers 200 ("ok") while up, 503 ("down") while down.
pub struct Target {
    pub server: Server,
    up: Arc<std::sync::atomic::AtomicBool>,
}

impl Target {
    pub fn start(up: bool) -> Target {
        let flag = Arc::new(std::sync::atomic::AtomicBool::new(up));
        let seen = flag.clone();
        let server = Server::start(move |_| {
            if seen.load(std::sync::atomic::Ordering::SeqCst) {
                Response::new(200, "ok")
            } else {
                Response::new(503, "down")
            }
        });
        Target { server, up: flag }
    }

    pub fn set_up(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }
}

/// A bare HTTP server on `addr` (any family; port 0 picks one) answering every request with
/// `status`, and the peer address of each connection it accepted.
pub struct Responder {
    pub addr: SocketAddr,
    pub peers: Arc<Mutex<Vec<SocketAddr>>>,
}

impl Responder {
    pub fn start(addr: SocketAddr, status: u16) -> Responder {
        let listener = TcpListener::bind(addr).unwrap();
        let addr = listener.local_addr().unwrap();
        let peers = Arc::new(Mutex::new(Vec::new()));
        let seen = peers.clone();
        thread::spawn(move || {
            for (mut stream, peer) in std::iter::from_fn(|| listener.accept().ok()) {
                seen.lock().unwrap().push(peer);
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    read_head(&mut stream);
                    let answer = format!(
                        "HTTP/1.1 {status} {}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                        reason(status)
                    );
                    let _ = stream.write_all(answer.as_bytes());
                });
            }
        });
        Responder { addr, peers }
    }
}
