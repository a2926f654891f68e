//! The `dns` check (SPEC §5): its keys, one query for `name` and `record` (sent by `wire.rs` to
//! `server`, or to the `nameserver`s of /etc/resolv.conf in turn), and the judge of the answer.
//!
//! The name is looked up as written, as a fully qualified name: no search domains, no
//! /etc/hosts. A check of DNS asks DNS.

mod wire;

pub use wire::read_any_answer;

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType};

use super::{Built, Context, Endpoint, Probe, Probed};
use crate::deadline::Deadline;
use crate::keys::{Key, KeyError, Keys, OneOrMany};
use crate::net::path::{self, Path, Route};
use crate::text::sanitize;

/// How many values a detail line lists before "…".
const SHOWN: usize = 5;

#[derive(Debug)]
pub struct DnsSpec {
    /// The name looked up.
    pub name: String,
    pub record: Record,
    /// Values that must all be in the answer.
    pub expect: Vec<String>,
    /// The resolver to ask; the system's when `None`.
    pub server: Option<SocketAddr>,
    /// `ip` and `source_address`: which resolvers are asked, from where.
    pub path: Path,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    A,
    Aaaa,
    Cname,
    Mx,
    Txt,
    Ns,
}

impl Record {
    fn record_type(self) -> RecordType {
        match self {
            Record::A => RecordType::A,
            Record::Aaaa => RecordType::AAAA,
            Record::Cname => RecordType::CNAME,
            Record::Mx => RecordType::MX,
            Record::Txt => RecordType::TXT,
            Record::Ns => RecordType::NS,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Record::A => "A",
            Record::Aaaa => "AAAA",
            Record::Cname => "CNAME",
            Record::Mx => "MX",
            Record::Txt => "TXT",
            Record::Ns => "NS",
        }
    }
}

impl FromStr for Record {
    type Err = String;

    fn from_str(text: &str) -> Result<Record, String> {
        Ok(match text.to_ascii_uppercase().as_str() {
            "A" => Record::A,
            "AAAA" => Record::Aaaa,
            "CNAME" => Record::Cname,
            "MX" => Record::Mx,
            "TXT" => Record::Txt,
            "NS" => Record::Ns,
            _ => {
                return Err(format!(
                    "`{text}` is not a record type this check knows: use A, AAAA, CNAME, MX, TXT or NS"
                ));
            }
        })
    }
}

/// A resolver address: an IP address, with `:port` (IPv6 in brackets) when not 53.
fn parse_server(text: &str) -> Result<SocketAddr, String> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| {
            format!(
                "`{text}` is not a resolver address like \"192.0.2.53\" or \"[2001:db8::53]:5353\""
            )
        })
}

/// Checks that `name` can be sent in a query.
fn parse_name(text: &str) -> Result<(), String> {
    query_name(text).map(|_| ())
}

fn query_name(text: &str) -> Result<Name, String> {
    let mut name = Name::from_utf8(text)
        .map_err(|error| format!("`{}` is not a domain name: {error}", sanitize(text)))?;
    name.set_fqdn(true);
    Ok(name)
}

pub const KIND: super::Kind = super::Kind {
    word: "dns",
    keys: &[
        &[&NAME, &RECORD, &EXPECT, &SERVER],
        // The path keys that mean something for a query to a resolver.
        &[&path::IP, &path::SOURCE_ADDRESS],
    ],
    build,
};

/// The name looked up (a `dns` check's name is `dns RECORD NAME`).
const NAME: Key<String> = Key::new("name");
const RECORD: Key<String> = Key::new("record");
const EXPECT: Key<OneOrMany> = Key::new("expect");
const SERVER: Key<String> = Key::new("server");

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let name = keys.require(&NAME, "`name = \"example.com\"` (the name to look up)")?;
    parse_name(&name).map_err(|why| keys.invalid(&NAME, why))?;
    let record = match keys.take(&RECORD)? {
        Some(record) => record
            .parse::<Record>()
            .map_err(|why| keys.invalid(&RECORD, why))?,
        None => Record::A,
    };
    let server = match keys.take(&SERVER)? {
        Some(server) => Some(parse_server(&server).map_err(|why| keys.invalid(&SERVER, why))?),
        None => None,
    };
    let expect = keys
        .take(&EXPECT)?
        .map(OneOrMany::into_vec)
        .unwrap_or_default();
    for value in &expect {
        check_expect(record, value).map_err(|why| keys.invalid(&EXPECT, why))?;
    }
    let called = format!("{} {name}", record.word());
    let spec = DnsSpec {
        name,
        record,
        expect,
        server,
        path: path::read(keys)?,
    };
    Built::new(spec, called)
}

impl Probe for DnsSpec {
    fn target(&self) -> String {
        match self.server {
            Some(server) => format!("{} {} at {server}", self.record.word(), self.name),
            None => format!("{} {}", self.record.word(), self.name),
        }
    }

    fn probe(&self, context: &Context, deadline: Deadline) -> Probed {
        probe(self, context.route, deadline)
    }

    /// The resolver asked first, for `ip = "both"` and `"all"` to run over each family.
    fn endpoint(&self) -> Option<Endpoint<'_>> {
        let server = self
            .server
            .or_else(|| wire::system_servers().first().copied())?;
        Some(Endpoint {
            path: &self.path,
            host: server.ip().to_string(),
            port: server.port(),
        })
    }
}

fn probe(spec: &DnsSpec, route: Route, deadline: Deadline) -> Probed {
    let budget = deadline.remaining();
    let servers: Vec<SocketAddr> = match spec.server {
        Some(server) => vec![server],
        None => wire::system_servers().to_vec(),
    }
    .into_iter()
    .filter(|server| spec.path.allows(route, server.ip()))
    .collect();
    if servers.is_empty() {
        // The config's choice of family leaves no resolver to ask: nothing is known.
        return Probed::unknown(
            "no resolver of the family `ip` (or `source_address`) asks for: fix `ip` or `server`",
        );
    }
    let answer = match wire::ask(spec, &servers, deadline, budget) {
        Ok(answer) => answer,
        // This host's resolvers not answering say nothing of the name (SPEC §10); a server the
        // check names is its target.
        Err(why) if spec.server.is_none() => {
            return Probed::unknown(format!(
                "this host's resolver could not answer ({why}): see /etc/resolv.conf"
            ));
        }
        Err(why) => return Probed::fail(why),
    };
    judge(spec, &answer)
}

/// A record's value as the `expect` list writes it.
fn value_of(data: &RData, record: Record) -> Option<String> {
    let name = |name: &Name| display_name(&name.to_utf8());
    match (record, data) {
        (Record::A, RData::A(a)) => Some(a.0.to_string()),
        (Record::Aaaa, RData::AAAA(aaaa)) => Some(aaaa.0.to_string()),
        (Record::Cname, RData::CNAME(cname)) => Some(name(&cname.0)),
        (Record::Ns, RData::NS(ns)) => Some(name(&ns.0)),
        (Record::Mx, RData::MX(mx)) => Some(format!("{} {}", mx.preference(), name(mx.exchange()))),
        (Record::Txt, RData::TXT(txt)) => Some(
            txt.txt_data()
                .iter()
                .map(|part| String::from_utf8_lossy(part))
                .collect(),
        ),
        _ => None,
    }
}

/// A domain name without its trailing dot, in lower case.
fn display_name(name: &str) -> String {
    name.trim_end_matches('.').to_lowercase()
}

/// Whether an `expect` value has the shape of `record`'s values: an IPv4 address for A, an
/// IPv6 one for AAAA, a host name for CNAME and NS, `[preference] name` for MX; any text for
/// TXT. A name where an address belongs can never match and would fail every run.
fn check_expect(record: Record, expected: &str) -> Result<(), String> {
    let is_name = |text: &str| parse_name(text).is_ok() && text.parse::<IpAddr>().is_err();
    let fits = match record {
        Record::A => expected.parse::<std::net::Ipv4Addr>().is_ok(),
        Record::Aaaa => expected.parse::<std::net::Ipv6Addr>().is_ok(),
        Record::Cname | Record::Ns => is_name(expected),
        Record::Mx => match expected.split_whitespace().collect::<Vec<_>>().as_slice() {
            [name] => is_name(name),
            [preference, name] => preference.parse::<u16>().is_ok() && is_name(name),
            _ => false,
        },
        Record::Txt => true,
    };
    if fits {
        return Ok(());
    }
    let shape = match record {
        Record::A => "an IPv4 address like \"192.0.2.10\"",
        Record::Aaaa => "an IPv6 address like \"2001:db8::10\"",
        Record::Cname | Record::Ns => "a host name like \"ns1.example.com\"",
        Record::Mx => "a mail host, optionally after its preference: \"10 mx.example.com\"",
        Record::Txt => "text",
    };
    let article = match record {
        Record::A | Record::Aaaa | Record::Mx | Record::Ns => "an",
        Record::Cname | Record::Txt => "a",
    };
    Err(format!(
        "`{expected}` cannot be the value of {article} {} record: write {shape}",
        record.word()
    ))
}

/// Whether `expected` names `value`: addresses compare as addresses, names without case or a
/// trailing dot, an MX with or without its preference.
fn matches(record: Record, expected: &str, value: &str) -> bool {
    match record {
        Record::A | Record::Aaaa => match (expected.parse::<IpAddr>(), value.parse::<IpAddr>()) {
            (Ok(expected), Ok(value)) => expected == value,
            _ => false,
        },
        Record::Cname | Record::Ns => display_name(expected) == value,
        Record::Mx => {
            let expected = display_name(expected);
            let exchange = value
                .split_once(' ')
                .map_or(value, |(_, exchange)| exchange);
            if expected.contains(' ') {
                expected.split_whitespace().collect::<Vec<_>>().join(" ") == value
            } else {
                expected == exchange
            }
        }
        Record::Txt => expected == value,
    }
}

fn judge(spec: &DnsSpec, answer: &wire::Answer) -> Probed {
    let name = sanitize(&spec.name);
    let record = spec.record.word();
    let server = answer.server;
    match answer.code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => {
            return Probed::fail(format!("NXDOMAIN: {name} does not exist (asked {server})"));
        }
        // From this host's own resolver, SERVFAIL and a refusal are the resolver's trouble
        // (SPEC §10); from a server the check names, that server's failure.
        ResponseCode::ServFail if spec.server.is_none() => {
            return Probed::unknown(format!(
                "this host's resolver {server} answered SERVFAIL for {record} {name}"
            ));
        }
        ResponseCode::Refused if spec.server.is_none() => {
            return Probed::unknown(format!(
                "this host's resolver {server} refused the query for {record} {name}: see /etc/resolv.conf"
            ));
        }
        ResponseCode::ServFail => {
            return Probed::fail(format!("SERVFAIL from {server} for {record} {name}"));
        }
        ResponseCode::Refused => {
            return Probed::fail(format!("{server} refused the query for {record} {name}"));
        }
        other => {
            return Probed::fail(format!("{server} answered {other} for {record} {name}"));
        }
    }
    if answer.values.is_empty() {
        return Probed::fail(match answer.aliases.last() {
            Some(alias) if spec.record != Record::Cname => format!(
                "no {record} record for {name}: it is an alias (CNAME) of {}, which has none (asked {server})",
                sanitize(alias)
            ),
            _ => format!("no {record} record for {name} (asked {server})"),
        });
    }
    let got = listed(&answer.values);
    let missing: Vec<&str> = spec
        .expect
        .iter()
        .filter(|expected| {
            !answer
                .values
                .iter()
                .any(|value| matches(spec.record, expected, value))
        })
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Probed::pass(format!("{record} {name}: {got}"))
    } else {
        Probed::fail(format!(
            "{record} {name}: {} missing (got {got})",
            sanitize(&missing.join(", "))
        ))
    }
}

fn listed(values: &[String]) -> String {
    let mut shown: Vec<String> = values.iter().take(SHOWN).map(|v| sanitize(v)).collect();
    if values.len() > SHOWN {
        shown.push(format!("… {} more", values.len() - SHOWN));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::{Record, matches, parse_server};

    #[test]
    fn resolver_addresses_default_to_port_53() {
        assert_eq!(
            parse_server("192.0.2.53").unwrap().to_string(),
            "192.0.2.53:53"
        );
        assert_eq!(
            parse_server("[::1]:5353").unwrap().to_string(),
            "[::1]:5353"
        );
        assert_eq!(parse_server("::1").unwrap().to_string(), "[::1]:53");
        assert!(parse_server("dns.example.com").is_err());
    }

    #[test]
    fn expected_values_compare_by_meaning() {
        assert!(matches(Record::Aaaa, "2001:DB8::1", "2001:db8::1"));
        assert!(!matches(Record::A, "192.0.2.1", "192.0.2.10"));
        assert!(matches(
            Record::Cname,
            "Edge.Example.NET.",
            "edge.example.net"
        ));
        assert!(matches(
            Record::Mx,
            "mail.example.com",
            "10 mail.example.com"
        ));
        assert!(matches(
            Record::Mx,
            "10  mail.example.com.",
            "10 mail.example.com"
        ));
        assert!(!matches(
            Record::Mx,
            "20 mail.example.com",
            "10 mail.example.com"
        ));
        assert!(matches(Record::Txt, "v=spf1 -all", "v=spf1 -all"));
    }
}
