//! Test support: the command builder, a fake Cachet, loopback targets, certificates.

pub mod cachet;
pub mod cmd;
pub mod daemon;
pub mod dns;
pub mod http;
pub mod tls;
