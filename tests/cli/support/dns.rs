//! A DNS responder on a loopback UDP port (and TCP on the same port, for truncated answers),
//! answering from a small zone written by the test.
//!
//! Special names: `servfail.test` answers SERVFAIL, `refused.test` REFUSED, `silent.test` never
//! answers; a name not in the zone is NXDOMAIN. An answer that does not fit in 512 bytes is sent
//! truncated over UDP and whole over TCP, as a real server does.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};

type Zone = HashMap<(String, RecordType), Vec<RData>>;
/// (transport, name, type) of each query received.
type Log = Mutex<Vec<(&'static str, String, RecordType)>>;

pub struct Dns {
    pub addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
    queries: Arc<Log>,
    /// Where each UDP query came from.
    peers: Arc<Mutex<Vec<SocketAddr>>>,
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap()
}

impl Dns {
    pub fn start() -> Dns {
        // The same port for UDP and TCP; another test may hold the TCP port, so try a few.
        let (udp, tcp) = (0..20)
            .find_map(|_| {
                let udp = UdpSocket::bind("127.0.0.1:0").ok()?;
                let tcp = TcpListener::bind(udp.local_addr().ok()?).ok()?;
                Some((udp, tcp))
            })
            .expect("a free UDP and TCP port pair");
        let addr = udp.local_addr().unwrap();
        let zone: Arc<Mutex<Zone>> = Arc::default();
        let queries: Arc<Log> = Arc::default();
        let (udp_zone, udp_log) = (zone.clone(), queries.clone());
        let peers: Arc<Mutex<Vec<SocketAddr>>> = Arc::default();
        let udp_peers = peers.clone();
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok((count, peer)) = udp.recv_from(&mut buffer) {
                udp_peers.lock().unwrap().push(peer);
                if let Some(answer) = answer(&buffer[..count], &udp_zone, &udp_log, "udp") {
                    let _ = udp.send_to(&answer, peer);
                }
            }
        });
        let (tcp_zone, tcp_log) = (zone.clone(), queries.clone());
        thread::spawn(move || {
            for mut stream in tcp.incoming().flatten() {
                let mut length = [0u8; 2];
                if stream.read_exact(&mut length).is_err() {
                    continue;
                }
                let mut query = vec![0u8; usize::from(u16::from_be_bytes(length))];
                if stream.read_exact(&mut query).is_err() {
                    continue;
                }
                if let Some(answer) = answer(&query, &tcp_zone, &tcp_log, "tcp") {
                    let mut framed = u16::try_from(answer.len()).unwrap().to_be_bytes().to_vec();
                    framed.extend_from_slice(&answer);
                    let _ = stream.write_all(&framed);
                }
            }
        });
        Dns {
            addr,
            zone,
            queries,
            peers,
        }
    }

    fn add(self, owner: &str, kind: RecordType, data: RData) -> Dns {
        self.zone
            .lock()
            .unwrap()
            .entry((owner.to_ascii_lowercase(), kind))
            .or_default()
            .push(data);
        self
    }

    pub fn a(self, owner: &str, ip: &str) -> Dns {
        self.add(owner, RecordType::A, RData::A(A(ip.parse().unwrap())))
    }

    pub fn aaaa(self, owner: &str, ip: &str) -> Dns {
        self.add(
            owner,
            RecordType::AAAA,
            RData::AAAA(AAAA(ip.parse().unwrap())),
        )
    }

    pub fn cname(self, owner: &str, target: &str) -> Dns {
        self.add(owner, RecordType::CNAME, RData::CNAME(CNAME(name(target))))
    }

    pub fn mx(self, owner: &str, preference: u16, exchange: &str) -> Dns {
        self.add(
            owner,
            RecordType::MX,
            RData::MX(MX::new(preference, name(exchange))),
        )
    }

    pub fn txt(self, owner: &str, text: &str) -> Dns {
        self.add(
            owner,
            RecordType::TXT,
            RData::TXT(TXT::new(vec![text.to_owned()])),
        )
    }

    pub fn ns(self, owner: &str, server: &str) -> Dns {
        self.add(owner, RecordType::NS, RData::NS(NS(name(server))))
    }

    /// The names and types asked, over which transport.
    /// Where each UDP query came from.
    pub fn peers(&self) -> Vec<SocketAddr> {
        self.peers.lock().unwrap().clone()
    }

    pub fn asked(&self) -> Vec<(&'static str, String, RecordType)> {
        self.queries.lock().unwrap().clone()
    }
}

fn answer(query: &[u8], zone: &Mutex<Zone>, log: &Log, transport: &'static str) -> Option<Vec<u8>> {
    let query = Message::from_vec(query).ok()?;
    let question = query.queries().first()?.clone();
    let owner = question
        .name()
        .to_ascii()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    log.lock()
        .unwrap()
        .push((transport, owner.clone(), question.query_type()));
    let mut response = Message::new();
    response
        .set_id(query.id())
        .set_message_type(MessageType::Response)
        .set_recursion_desired(query.recursion_desired())
        .set_recursion_available(true)
        .add_query(question.clone());
    let zone = zone.lock().unwrap();
    match owner.as_str() {
        "silent.test" => return None,
        "servfail.test" => {
            response.set_response_code(ResponseCode::ServFail);
        }
        "refused.test" => {
            response.set_response_code(ResponseCode::Refused);
        }
        _ if !zone.keys().any(|(known, _)| *known == owner) => {
            response.set_response_code(ResponseCode::NXDomain);
        }
        _ => {
            let asked = question.query_type();
            let direct = zone.get(&(owner.clone(), asked));
            // An alias answers any type with its CNAME, then the target's records when this
            // server has them (as an authoritative server does).
            let alias = zone
                .get(&(owner.clone(), RecordType::CNAME))
                .filter(|_| direct.is_none() && asked != RecordType::CNAME);
            for data in direct.into_iter().flatten() {
                response.add_answer(Record::from_rdata(
                    question.name().clone(),
                    300,
                    data.clone(),
                ));
            }
            for data in alias.into_iter().flatten() {
                response.add_answer(Record::from_rdata(
                    question.name().clone(),
                    300,
                    data.clone(),
                ));
                if let RData::CNAME(target) = data {
                    let target_owner = target
                        .0
                        .to_ascii()
                        .trim_end_matches('.')
                        .to_ascii_lowercase();
                    for data in zone.get(&(target_owner, asked)).into_iter().flatten() {
                        response.add_answer(Record::from_rdata(
                            target.0.clone(),
                            300,
                            data.clone(),
                        ));
                    }
                }
            }
        }
    }
    let whole = response.to_vec().ok()?;
    if transport == "udp" && whole.len() > 512 {
        response.take_answers();
        response.set_truncated(true);
        return response.to_vec().ok();
    }
    Some(whole)
}
