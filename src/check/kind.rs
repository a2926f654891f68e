//! What a check kind is: its keys, how its spec is built from them, what a spec does. The kinds
//! are listed in `super::KINDS`.

use std::fmt::Debug;

use super::{Context, KINDS, Probed};
use crate::deadline::Deadline;
use crate::keys::{Address, AnyKey, Key, KeyError, Keys};

/// A check kind: `type = "<word>"`.
pub struct Kind {
    pub word: &'static str,
    /// The keys it takes besides the common ones (`name`, `timeout`, …), in groups: its own,
    /// then those it shares with other kinds (`web::KEYS`, `net::path::KEYS`).
    pub keys: &'static [&'static [&'static dyn AnyKey]],
    /// Builds its spec from its keys; a key it cannot use is an error placed on that key.
    pub build: fn(&mut Keys) -> Result<Built, KeyError>,
}

impl Kind {
    pub fn named(word: &str) -> Option<&'static Kind> {
        KINDS.iter().copied().find(|kind| kind.word == word)
    }

    pub fn takes(&self, key: &str) -> bool {
        self.keys().any(|taken| taken.name() == key)
    }

    /// Every key it takes besides the common ones.
    pub fn keys(&self) -> impl Iterator<Item = &'static dyn AnyKey> + use<> {
        self.keys.iter().flat_map(|group| group.iter().copied())
    }
}

/// A built spec, and what the check is called unless it sets `name`: "<word> <called>".
pub struct Built {
    pub probe: Box<dyn Probe>,
    pub called: String,
}

impl Built {
    pub fn new(probe: impl Probe + 'static, called: String) -> Result<Built, KeyError> {
        Ok(Built {
            probe: Box::new(probe),
            called,
        })
    }
}

/// `address = "host:port"`: where the kinds that open a connection of their own (`tcp`, `tls`)
/// connect.
pub const ADDRESS: Key<Address> = Key::new("address");

/// The host a check connects to first, and the path its connections take.
pub struct Endpoint<'a> {
    pub path: &'a crate::net::path::Path,
    pub host: String,
    pub port: u16,
}

impl<'a> Endpoint<'a> {
    /// `host:port` along `path`.
    pub fn at(path: &'a crate::net::path::Path, address: &str) -> Option<Endpoint<'a>> {
        let (host, port) = crate::net::path::split_host_port(address)?;
        Some(Endpoint {
            path,
            host: host.to_owned(),
            port,
        })
    }

    /// The host of an `http(s)://` URL along `path`.
    pub fn of_url(path: &'a crate::net::path::Path, url: &str) -> Option<Endpoint<'a>> {
        let uri = url.parse::<ureq::http::Uri>().ok()?;
        let https = uri.scheme_str() == Some("https");
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Some(Endpoint {
            path,
            host: uri
                .host()?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
        })
    }
}

/// What a kind's spec does.
pub trait Probe: Debug + Send + Sync {
    /// What the check looks at, for plans and messages.
    fn target(&self) -> String;

    /// One attempt: what the kind found, before `on_failure` and `slow_after` are applied.
    fn probe(&self, context: &Context, deadline: Deadline) -> Probed;

    /// What keeps this check from running as configured on this machine — a program that is
    /// missing or not on cron's PATH, a password that cannot be read — for `validate` and
    /// `doctor` to report before a run meets it.
    fn problem(&self) -> Option<String> {
        self.web().and_then(|(_, options)| options.problem())
    }

    /// Whether its requests go to an https:// URL (the system's CA certificates are read only
    /// for a run that has one).
    fn uses_https(&self) -> bool {
        self.web().is_some_and(|(url, _)| super::web::is_https(url))
    }

    /// For the HTTP-based kinds: the URL their requests go to and the options they share
    /// (`web::HttpOptions`), from which `problem`, `uses_https` and `endpoint` follow.
    fn web(&self) -> Option<(&str, &super::web::HttpOptions)> {
        None
    }

    /// Where it connects first and the network path it takes (`ip`, `resolve`, …), for the
    /// kinds that connect: `ip = "both"` and `"all"` run it once per route.
    fn endpoint(&self) -> Option<Endpoint<'_>> {
        let (url, options) = self.web()?;
        Endpoint::of_url(&options.path, url)
    }

    /// What it expects, where `validate`'s plan shows more than the target (`expect 200-299`).
    fn expects(&self) -> Option<String> {
        None
    }
}
