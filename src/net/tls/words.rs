//! A TLS failure, a certificate's dates, and a server that does not speak TLS, in words.

use rustls::CertificateError;
use rustls::pki_types::UnixTime;

use crate::text::sanitize;

use super::verify::{ExpiredLink, Untrusted};

/// A TLS failure in words: what is wrong with which certificate, or with the server.
/// `name` is the server name asked for.
pub fn describe(name: &str, error: &rustls::Error) -> String {
    let name = sanitize(name);
    match error {
        rustls::Error::InvalidCertificate(certificate) => describe_certificate(&name, certificate),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            "the server does not speak TLS on this port (its answer is not a TLS handshake: plain HTTP, or a protocol that starts TLS later)".to_owned()
        }
        rustls::Error::AlertReceived(alert) => format!(
            "the server refused the TLS handshake ({})",
            alert_in_words(*alert)
        ),
        rustls::Error::PeerIncompatible(_) => {
            "the server offers no TLS version or cipher this client supports".to_owned()
        }
        rustls::Error::NoCertificatesPresented => "the server sent no certificate".to_owned(),
        rustls::Error::DecryptError | rustls::Error::PeerMisbehaved(_) => {
            "the server broke the TLS protocol during the handshake".to_owned()
        }
        _ => "the TLS handshake failed".to_owned(),
    }
}

fn describe_certificate(name: &str, error: &CertificateError) -> String {
    let date = |time: &UnixTime| {
        crate::deadline::format_date(i64::try_from(time.as_secs()).unwrap_or(i64::MAX))
    };
    match error {
        CertificateError::ExpiredContext { not_after, .. } => {
            expired(name, i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX))
        }
        CertificateError::Expired => format!("certificate for {name} has expired"),
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "certificate for {name} is not valid before {}",
            date(not_before)
        ),
        CertificateError::NotValidYet => format!("certificate for {name} is not valid yet"),
        CertificateError::NotValidForNameContext { presented, .. } if presented.is_empty() => {
            format!(
                "certificate is not valid for {name}: it names no host (a subject common name alone is not enough; reissue it with a subjectAltName)"
            )
        }
        CertificateError::NotValidForNameContext { presented, .. } => {
            let presented: Vec<&str> = presented.iter().map(|n| bare_name(n)).collect();
            format!(
                "certificate is not valid for {name} (it names {})",
                sanitize(&presented.join(", "))
            )
        }
        CertificateError::NotValidForName => format!("certificate is not valid for {name}"),
        CertificateError::UnknownIssuer => format!(
            "certificate for {name} is not trusted: issued by an unknown CA (add it to the system's CA certificates, or name it in `ca_file`)"
        ),
        CertificateError::Other(other) if other.0.downcast_ref::<ExpiredLink>().is_some() => {
            other.0.to_string()
        }
        CertificateError::Other(other) if other.0.downcast_ref::<Untrusted>().is_some() => {
            let why = other
                .0
                .downcast_ref::<Untrusted>()
                .map_or("", |w| w.sentence());
            format!("certificate for {name} is not trusted: {why}")
        }
        CertificateError::BadSignature => {
            format!("certificate for {name} is not trusted: its signature is invalid")
        }
        CertificateError::Revoked => format!("certificate for {name} has been revoked"),
        CertificateError::BadEncoding => {
            format!("certificate for {name} cannot be read (bad encoding)")
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            format!("certificate for {name} is not meant for a TLS server")
        }
        _ => format!("certificate for {name} is not valid"),
    }
}

/// "certificate for NAME expired 3 days ago (2026-11-20)".
fn expired(name: &str, not_after: i64) -> String {
    super::expired_words(&format!("certificate for {name}"), not_after)
}

/// "5 days", "1 day", "7 hours", "12 minutes".
pub fn span_in_words(seconds: i64) -> String {
    let plural = |count: i64, unit: &str| {
        if count == 1 {
            format!("1 {unit}")
        } else {
            format!("{count} {unit}s")
        }
    };
    match seconds {
        s if s >= 86_400 => plural(s / 86_400, "day"),
        s if s >= 3_600 => plural(s / 3_600, "hour"),
        s => plural((s / 60).max(1), "minute"),
    }
}

/// A server that answered a TLS handshake with something else, named by its first bytes.
pub fn not_tls(first: &[u8]) -> String {
    let text = String::from_utf8_lossy(first);
    let protocol = match text.as_ref() {
        t if t.starts_with("HTTP/") => Some("HTTP (plain text: use http://, or the TLS port)"),
        t if t.starts_with("SSH-") => Some("SSH"),
        t if t.starts_with("220") => Some("SMTP or FTP, whose TLS starts later (STARTTLS)"),
        t if t.starts_with("* OK") => Some("IMAP, whose TLS starts later (STARTTLS)"),
        t if t.starts_with("+OK") => Some("POP3, whose TLS starts later (STLS)"),
        _ => None,
    };
    let line = sanitize(text.lines().next().unwrap_or_default().trim());
    match protocol {
        Some(protocol) => format!(
            "the server does not speak TLS on this port: it answered like {protocol} (`{line}`)"
        ),
        None => "the server does not speak TLS on this port (its answer is not a TLS handshake)"
            .to_owned(),
    }
}

/// A name as webpki presents it, without its type: `DnsName("a.example")` → `a.example`,
/// `IpAddress(127.0.0.1)` → `127.0.0.1`.
fn bare_name(presented: &str) -> &str {
    let Some((kind, rest)) = presented.split_once('(') else {
        return presented;
    };
    if !kind.chars().all(|c| c.is_ascii_alphabetic()) {
        return presented;
    }
    rest.strip_suffix(')')
        .map(|inner| inner.trim_matches('"'))
        .unwrap_or(presented)
}

fn alert_in_words(alert: rustls::AlertDescription) -> &'static str {
    use rustls::AlertDescription as A;
    match alert {
        A::HandshakeFailure => "no common cipher or version, or it wants a client certificate",
        A::CertificateRequired => "it wants a client certificate",
        A::UnrecognisedName => "it does not know the server name sent",
        A::ProtocolVersion => "no TLS version in common",
        A::BadCertificate | A::UnknownCA => "it refused the client certificate",
        A::InternalError => "an internal error of the server",
        _ => "a TLS alert",
    }
}

#[cfg(test)]
mod tests {
    use rustls::CertificateError;
    use rustls::pki_types::ServerName;

    fn wrong_name(presented: &[&str]) -> String {
        super::describe_certificate(
            "mail.example.com",
            &CertificateError::NotValidForNameContext {
                expected: ServerName::try_from("mail.example.com").unwrap(),
                presented: presented.iter().map(|n| (*n).to_owned()).collect(),
            },
        )
    }

    // A certificate made with a common name alone (an `openssl req -subj /CN=…` one) names no
    // host to a client: said so, never "it names " and nothing.
    #[test]
    fn a_certificate_for_another_name_says_which_names_it_has() {
        assert_eq!(
            wrong_name(&["DnsName(\"www.example.com\")"]),
            "certificate is not valid for mail.example.com (it names www.example.com)"
        );
        assert_eq!(
            wrong_name(&[]),
            "certificate is not valid for mail.example.com: it names no host (a subject common name alone is not enough; reissue it with a subjectAltName)"
        );
    }
}
