//! Reading an answer's body within its cap: decoded when the server compressed it anyway, left
//! unread when nobody needs it, and its first line in words for an error.

use std::io::Read;
use std::time::Duration;

/// Reads a body nobody needs when it is small and has already arrived, so that the connection
/// goes back to the pool for the next check of the host (an unread body closes it). A larger
/// one, or one still on its way, is left unread: waiting for it could only slow the check down.
pub fn drain_small_body(response: &mut ureq::http::Response<ureq::Body>, budget: Duration) {
    const SMALL: u64 = 16 * 1024;
    if response
        .body()
        .content_length()
        .is_none_or(|length| length <= SMALL)
    {
        let _ = crate::net::path::arrived_only(|| read_raw(response, SMALL, budget));
    }
}

/// Reads at most `cap` bytes of a body; the rest is left unread. Checks ask for no compression
/// (as curl asks none), but a server that compresses anyway (`Content-Encoding: gzip` or
/// `deflate`, a pre-compressed file served to everyone) is decoded, so that the assertions see
/// what a browser would: its sloppiness is not an outage.
pub fn read_body(
    response: &mut ureq::http::Response<ureq::Body>,
    cap: u64,
    budget: Duration,
) -> Result<Vec<u8>, String> {
    let body = read_raw(response, cap, budget)?;
    let encoding = response
        .headers()
        .get(ureq::http::header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        Some("gzip" | "x-gzip") => {
            decode(flate2::read::MultiGzDecoder::new(&body[..]), cap, "gzip")
        }
        Some("deflate") => decode(flate2::read::ZlibDecoder::new(&body[..]), cap, "deflate"),
        _ => Ok(body),
    }
}

/// At most `cap` bytes of a body as they came, the rest left unread.
fn read_raw(
    response: &mut ureq::http::Response<ureq::Body>,
    cap: u64,
    budget: Duration,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    response
        .body_mut()
        .as_reader()
        .take(cap)
        .read_to_end(&mut body)
        .map_err(|error| crate::net::describe_io(&error, budget))?;
    Ok(body)
}

/// At most `cap` bytes of what `decoder` makes of a body; a body cut at `cap` decodes as far as
/// it goes. Apart from `read_body`: the decoder's state is large, and only a compressed answer
/// should pay for it on its thread's stack.
#[inline(never)]
fn decode(decoder: impl Read, cap: u64, encoding: &str) -> Result<Vec<u8>, String> {
    let mut decoded = Vec::new();
    match decoder.take(cap).read_to_end(&mut decoded) {
        Err(_) if decoded.is_empty() => Err(format!(
            "the body says it is {encoding}-compressed but cannot be decompressed"
        )),
        _ => Ok(decoded),
    }
}

/// ": <the body's first line>" for an error answer, short and safe to print; empty for none.
pub fn first_line(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().map(str::trim).find(|line| !line.is_empty());
    match line {
        Some(line) => {
            let clean = crate::text::sanitize(line);
            match clean.char_indices().nth(120) {
                Some((end, _)) => format!(": {}…", &clean[..end]),
                None => format!(": {clean}"),
            }
        }
        None => String::new(),
    }
}
