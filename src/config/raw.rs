//! The config as written: serde types where every key is optional, checked only for what a
//! value can say about itself (see `value.rs`). `build.rs` turns them into `Config`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::value::{Address, HumanDuration, Method, Number, Pattern, StatusRanges, WebUrl};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) state_dir: Option<PathBuf>,
    pub(super) cachet: Option<RawCachet>,
    pub(super) defaults: Option<Spanned<RawCheck>>,
    #[serde(default)]
    pub(super) components: BTreeMap<String, Spanned<RawComponent>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCachet {
    pub(super) url: Option<Spanned<String>>,
    pub(super) token_file: Option<PathBuf>,
    pub(super) api: Option<RawApi>,
    pub(super) notify_subscribers: Option<bool>,
}

#[derive(Deserialize)]
pub(super) enum RawApi {
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "2")]
    V2,
    #[serde(rename = "3")]
    V3,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawComponent {
    pub(super) id: Option<u64>,
    pub(super) cachet_name: Option<String>,
    pub(super) confirm: Option<u32>,
    pub(super) metric: Option<u64>,
    pub(super) incident: Option<RawIncident>,
    pub(super) monit_service: Option<String>,
    pub(super) monit_status: Option<String>,
    #[serde(default)]
    pub(super) checks: Vec<Spanned<RawCheck>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIncident {
    pub(super) name: String,
    pub(super) message: Option<String>,
    pub(super) visible: Option<bool>,
    pub(super) notify: Option<bool>,
}

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum Kind {
    Http,
    Tcp,
    Tls,
    Dns,
    Exec,
    Graphite,
    Jenkins,
    Prometheus,
}

/// What every HTTP-based kind takes besides its own keys.
const HTTP_OPTIONS: [&str; 4] = ["headers", "basic_auth", "insecure", "ca_file"];

impl Kind {
    pub(super) const ALL: &[Kind] = &[
        Kind::Http,
        Kind::Tcp,
        Kind::Tls,
        Kind::Dns,
        Kind::Exec,
        Kind::Graphite,
        Kind::Jenkins,
        Kind::Prometheus,
    ];

    pub(super) fn word(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Tcp => "tcp",
            Kind::Tls => "tls",
            Kind::Dns => "dns",
            Kind::Exec => "exec",
            Kind::Graphite => "graphite",
            Kind::Jenkins => "jenkins",
            Kind::Prometheus => "prometheus",
        }
    }

    /// The kind-specific keys this kind takes (SPEC §5).
    pub(super) fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Http => &[
                "url",
                "method",
                "headers",
                "body",
                "basic_auth",
                "expect_status",
                "expect_body_contains",
                "expect_body_regex",
                "reject_body_regex",
                "expect_json",
                "follow_redirects",
                "insecure",
                "ca_file",
                "cert_warn_before",
            ],
            Kind::Tcp => &["address", "expect_banner", "send", "expect"],
            Kind::Tls => &[
                "address",
                "sni",
                "warn_before",
                "fail_before",
                "ca_file",
                "insecure",
            ],
            Kind::Dns => &["record", "expect", "server"],
            Kind::Exec => &["command", "env"],
            Kind::Graphite => &["url", "target", "from", "min", "max", "min_series"],
            Kind::Jenkins => &["url", "max_queue"],
            Kind::Prometheus => &["url", "query", "min", "max", "allow_empty"],
        }
    }

    fn is_http_based(self) -> bool {
        matches!(self, Kind::Graphite | Kind::Jenkins | Kind::Prometheus)
    }

    pub(super) fn takes(self, key: &str) -> bool {
        COMMON_KEYS.contains(&key)
            || self.keys().contains(&key)
            || (self.is_http_based() && HTTP_OPTIONS.contains(&key))
    }
}

pub(super) const COMMON_KEYS: &[&str] = &[
    "name",
    "timeout",
    "slow_after",
    "on_failure",
    "retries",
    "retry_delay",
];

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum OnFailure {
    Degraded,
    Fail,
    Down,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBasicAuth {
    pub(super) user: String,
    pub(super) password_file: Option<PathBuf>,
    pub(super) password_env: Option<String>,
}

/// `true`/`false`, or a string.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum BoolOrText {
    Bool(bool),
    Text(String),
}

/// One string or a list of strings.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(super) fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// Every key a check (or `[defaults]`) may hold. The field names are the config keys.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCheck {
    pub(super) name: Option<String>,
    #[serde(rename = "type")]
    pub(super) kind: Option<Kind>,
    pub(super) timeout: Option<HumanDuration>,
    pub(super) slow_after: Option<HumanDuration>,
    pub(super) on_failure: Option<OnFailure>,
    pub(super) retries: Option<u32>,
    pub(super) retry_delay: Option<HumanDuration>,
    pub(super) url: Option<WebUrl>,
    pub(super) method: Option<Method>,
    pub(super) headers: Option<BTreeMap<String, String>>,
    pub(super) body: Option<String>,
    pub(super) basic_auth: Option<RawBasicAuth>,
    pub(super) expect_status: Option<StatusRanges>,
    pub(super) expect_body_contains: Option<OneOrMany>,
    pub(super) expect_body_regex: Option<Pattern>,
    pub(super) reject_body_regex: Option<Pattern>,
    pub(super) expect_json: Option<BTreeMap<String, serde_json::Value>>,
    pub(super) follow_redirects: Option<bool>,
    pub(super) insecure: Option<bool>,
    pub(super) ca_file: Option<PathBuf>,
    pub(super) cert_warn_before: Option<HumanDuration>,
    pub(super) address: Option<Address>,
    pub(super) expect_banner: Option<BoolOrText>,
    pub(super) send: Option<String>,
    pub(super) expect: Option<OneOrMany>,
    pub(super) sni: Option<String>,
    pub(super) warn_before: Option<HumanDuration>,
    pub(super) fail_before: Option<HumanDuration>,
    pub(super) record: Option<String>,
    pub(super) server: Option<String>,
    pub(super) command: Option<Vec<String>>,
    pub(super) env: Option<BTreeMap<String, String>>,
    pub(super) target: Option<String>,
    pub(super) from: Option<String>,
    pub(super) min: Option<Number>,
    pub(super) max: Option<Number>,
    pub(super) min_series: Option<u32>,
    pub(super) max_queue: Option<HumanDuration>,
    pub(super) query: Option<String>,
    pub(super) allow_empty: Option<bool>,
}

/// Runs `$body` with `$field` bound to each kind-specific field name (the config key).
macro_rules! kind_fields {
    ($macro:ident!($($args:tt)*)) => {
        $macro!($($args)*; url, method, headers, body, basic_auth, expect_status,
            expect_body_contains, expect_body_regex, reject_body_regex, expect_json,
            follow_redirects, insecure, ca_file, cert_warn_before, address, expect_banner, send,
            expect, sni,
            warn_before, fail_before, record, server, command, env, target, from, min, max,
            min_series, max_queue, query, allow_empty)
    };
}

macro_rules! collect_set {
    ($check:ident, $keys:ident; $($field:ident),*) => {
        $( if $check.$field.is_some() { $keys.push(stringify!($field)); } )*
    };
}

macro_rules! fill_from {
    ($check:ident, $defaults:ident, $kind:ident; $($field:ident),*) => {
        $( if $check.$field.is_none() && $kind.takes(stringify!($field)) {
            $check.$field = $defaults.$field.clone();
        } )*
    };
}

impl RawCheck {
    /// The kind-specific keys this check sets.
    pub(super) fn kind_keys_set(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        kind_fields!(collect_set!(self, keys));
        keys
    }

    /// Fills what this check leaves unset from `[defaults]`, where its kind takes the key.
    pub(super) fn fill_from(&mut self, defaults: &RawCheck, kind: Kind) {
        let check = self;
        check.timeout = check.timeout.or(defaults.timeout);
        check.slow_after = check.slow_after.or(defaults.slow_after);
        check.on_failure = check.on_failure.or(defaults.on_failure);
        check.retries = check.retries.or(defaults.retries);
        check.retry_delay = check.retry_delay.or(defaults.retry_delay);
        kind_fields!(fill_from!(check, defaults, kind));
    }
}
