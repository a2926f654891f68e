//! Test support: the command builder and its output's normaliser, the one config builder
//! (`toml`), a fake Cachet, loopback targets, certificates, and the check kinds' dry runs.

pub mod cachet;
pub mod cmd;
pub mod daemon;
pub mod dns;
pub mod http;
pub mod kinds;
pub mod proxy;
pub mod schedules;
pub mod starttls;
pub mod tls;
pub mod toml;
