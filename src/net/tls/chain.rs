//! The dates of a certificate chain: which certificate expires first, and what to call it.
//! A chain is as strong as its weakest link — an intermediate that expires before the leaf (or
//! has expired) is the classic miss of checks that read the leaf alone.

use rustls::pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::text::sanitize;

/// The certificate of a chain that expires first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earliest {
    /// Unix seconds.
    pub not_after: i64,
    /// `certificate for NAME` for the leaf; `intermediate certificate `CN` in the chain of
    /// NAME` for another one.
    pub what: String,
    /// Its place in the chain: 0 for the server's own.
    pub index: usize,
}

/// What a certificate says of itself that expiry words need.
pub struct Dated {
    /// Unix seconds.
    pub not_after: i64,
    /// Its subject's common name, else the whole subject.
    pub subject: String,
    pub is_ca: bool,
}

/// Reads the dates and subject of a DER certificate.
pub fn dated(der: &[u8]) -> Result<Dated, String> {
    let (_, certificate) =
        X509Certificate::from_der(der).map_err(|error| format!("cannot be read: {error}"))?;
    let subject = certificate
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map_or_else(|| certificate.subject().to_string(), str::to_owned);
    Ok(Dated {
        not_after: certificate.validity().not_after.timestamp(),
        subject: sanitize(&subject),
        is_ca: certificate.is_ca(),
    })
}

/// Keeps in `found` whichever of it and `candidate` expires first (on a tie, the one found
/// first); `what` names the candidate, asked only when it is kept.
pub fn keep_earlier(
    found: &mut Option<Earliest>,
    not_after: i64,
    index: usize,
    what: impl FnOnce() -> String,
) {
    if found
        .as_ref()
        .is_none_or(|found| not_after < found.not_after)
    {
        *found = Some(Earliest {
            not_after,
            what: what(),
            index,
        });
    }
}

/// The certificate of `chain` (leaf first) that expires first — on a tie, the one nearer the
/// leaf — named for a server called `name`.
pub fn earliest(chain: &[CertificateDer<'_>], name: &str) -> Result<Earliest, String> {
    let mut found: Option<Earliest> = None;
    for (index, der) in chain.iter().enumerate() {
        let dated = dated(der.as_ref())
            .map_err(|why| format!("certificate {} of the chain {why}", index + 1))?;
        keep_earlier(&mut found, dated.not_after, index, || {
            if index == 0 {
                format!("certificate for {}", sanitize(name))
            } else {
                format!(
                    "{} certificate `{}` in the chain of {}",
                    if dated.is_ca { "intermediate" } else { "chain" },
                    dated.subject,
                    sanitize(name)
                )
            }
        });
    }
    found.ok_or_else(|| "the server sent no certificate".to_owned())
}

/// "… expired 3 days ago (2026-11-20)".
pub fn expired_words(what: &str, not_after: i64) -> String {
    format!(
        "{what} expired {} ago ({})",
        super::span_in_words(crate::deadline::unix_now() - not_after),
        crate::deadline::format_date(not_after)
    )
}
