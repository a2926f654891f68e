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

/// The certificate of `chain` (leaf first) that expires first — on a tie, the one nearer the
/// leaf — named for a server called `name`.
pub fn earliest(chain: &[CertificateDer<'_>], name: &str) -> Result<Earliest, String> {
    let mut found: Option<Earliest> = None;
    for (index, der) in chain.iter().enumerate() {
        let (_, certificate) = X509Certificate::from_der(der.as_ref()).map_err(|error| {
            format!(
                "cannot read certificate {} of the chain: {error}",
                index + 1
            )
        })?;
        let not_after = certificate.validity().not_after.timestamp();
        if found
            .as_ref()
            .is_some_and(|found| found.not_after <= not_after)
        {
            continue;
        }
        let what = if index == 0 {
            format!("certificate for {}", sanitize(name))
        } else {
            let subject = certificate
                .subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .map_or_else(|| certificate.subject().to_string(), str::to_owned);
            format!(
                "{} certificate `{}` in the chain of {}",
                if certificate.is_ca() {
                    "intermediate"
                } else {
                    "chain"
                },
                sanitize(&subject),
                sanitize(name)
            )
        };
        found = Some(Earliest {
            not_after,
            what,
            index,
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
