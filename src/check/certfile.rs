//! The `certfile` check: certificates on disk (a PEM file, or every file of a directory), their
//! earliest expiry judged as the `tls` kind judges a server's — for the certificates a service
//! reads at start (a mail server's, a VPN's, a client certificate) that no port shows.

use std::path::{Path, PathBuf};

use super::tls::{Earliest, FAIL_BEFORE, Threshold, WARN_BEFORE, judge_expiry, thresholds};
use super::{Built, Context, Probe, Probed};
use crate::deadline::Deadline;
use crate::keys::{Key, KeyError, Keys};
use crate::net::tls::{dated, keep_earlier};
use crate::text::sanitize;

pub const KIND: super::Kind = super::Kind {
    word: "certfile",
    keys: &[&[&PATH, &WARN_BEFORE, &FAIL_BEFORE]],
    build,
};

/// A PEM file, or a directory whose files are read (relative to the config's directory).
const PATH: Key<PathBuf> = Key::new("path");

/// The most read of one file: a certificate bundle is far smaller.
const FILE_CAP: u64 = 16 << 20;
/// The most files read of a directory.
const FILES_CAP: usize = 10_000;

#[derive(Debug)]
pub struct CertfileSpec {
    pub path: PathBuf,
    pub warn: Option<Threshold>,
    pub fail: Option<Threshold>,
}

fn build(keys: &mut Keys) -> Result<Built, KeyError> {
    let written = keys.require(&PATH, "`path = \"/etc/ssl/certs/mail.pem\"`")?;
    let path = keys.path(&written);
    let (warn, fail) = thresholds(keys)?;
    let called = written.display().to_string();
    Built::new(CertfileSpec { path, warn, fail }, called)
}

impl Probe for CertfileSpec {
    fn target(&self) -> String {
        self.path.display().to_string()
    }

    fn probe(&self, _: &Context, _: Deadline) -> Probed {
        match earliest_on_disk(&self.path) {
            Ok(earliest) => judge_expiry(&earliest, self.warn, self.fail),
            // A path that cannot be read, or holds no certificate, is the config's mistake or
            // this host's: it says nothing of a certificate's dates (SPEC §10).
            Err(why) => Probed::unknown(format!("{why}: fix `path`")),
        }
    }

    /// What keeps the check from reading its certificates on this machine.
    fn problem(&self) -> Option<String> {
        std::fs::metadata(&self.path)
            .err()
            .map(|error| format!("`{}` cannot be read: {error}", self.path.display()))
    }
}

/// The certificate that expires first in the file at `path`, or in the files of the directory.
fn earliest_on_disk(path: &Path) -> Result<Earliest, String> {
    let shown = |path: &Path| sanitize(&path.display().to_string());
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|error| format!("cannot read the directory `{}`: {error}", shown(path)))?
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.is_file())
            .take(FILES_CAP)
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut found: Option<Earliest> = None;
    for file in &files {
        let bytes = crate::file::read_file_capped(file, FILE_CAP, &format!("`{}`", shown(file)))
            .map_err(|error| format!("{error:#}"))?;
        for item in ureq::tls::parse_pem(&bytes) {
            let Ok(ureq::tls::PemItem::Certificate(certificate)) = item else {
                continue;
            };
            let dated = dated(certificate.der())
                .map_err(|why| format!("a certificate in `{}` {why}", shown(file)))?;
            keep_earlier(&mut found, dated.not_after, 0, || {
                format!("certificate `{}` in `{}`", dated.subject, shown(file))
            });
        }
    }
    found.ok_or_else(|| match path.is_dir() {
        true => format!("no PEM certificate in the files of `{}`", shown(path)),
        false => format!("`{}` holds no PEM certificate", shown(path)),
    })
}
