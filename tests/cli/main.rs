//! End-to-end tests: the built binary against a fake Cachet and real loopback targets.
//! Tests may panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod admin;
mod apis;
mod certfile;
mod checks;
mod cli;
mod concurrency;
mod config;
mod cores;
mod dns;
mod fidelity;
mod hardening;
mod hostile;
mod import;
mod lifecycle;
mod liveness;
mod maintenance;
mod monit;
mod mtls;
mod paths;
mod ping;
mod plugins;
mod quorum;
mod reach;
mod real;
mod regions;
mod reuse;
mod run;
mod schedulers;
mod set;
mod starttls;
mod statuspage;
mod tls;
mod truth;
