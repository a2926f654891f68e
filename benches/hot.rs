//! The hot parts of a run, in process: loading a config (the example, and one of 10,000
//! checks), reading a plugin's output with perfdata, reading Cachet's answer listing 1,000
//! components, mapping a Monit event; and the cryptography of a TLS handshake with an ECDSA
//! P-256 certificate, with the crypto library every connection uses (ring), which bounds how
//! many TLS-expiry checks two cores make a second. Each is timed over batches; the median batch
//! is shown.
//!
//!   cargo bench --bench hot
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Runs `f` in batches of `per_batch` for about a second and returns the median time of one.
fn time(per_batch: u32, mut f: impl FnMut()) -> Duration {
    let mut batches = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(1) || batches.len() < 5 {
        let batch = Instant::now();
        for _ in 0..per_batch {
            f();
        }
        batches.push(batch.elapsed() / per_batch);
    }
    batches.sort();
    batches[batches.len() / 2]
}

fn row(what: &str, size: &str, took: Duration) {
    let (value, unit) = match took.as_nanos() {
        n if n >= 1_000_000 => (took.as_secs_f64() * 1e3, "ms"),
        n if n >= 1_000 => (took.as_secs_f64() * 1e6, "µs"),
        _ => (took.as_secs_f64() * 1e9, "ns"),
    };
    println!("| {what} | {size} | {value:.1} {unit} |");
}

fn main() {
    let example = include_str!("../src/commands/example.toml");
    let mut big = String::from("[cachet]\nurl = \"https://status.example.com\"\n");
    for c in 0..1_000 {
        big.push_str(&format!("[components.c{c}]\nid = {}\n", c + 1));
        for k in 0..10 {
            big.push_str(&format!(
                "[[components.c{c}.checks]]\nname = \"k{k}\"\ntype = \"http\"\nurl = \"https://h{c}.example.com/health\"\nslow_after = \"800ms\"\n"
            ));
        }
    }
    let plugin = "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968 /boot=68MB;88;93;0;98 'in use'=12%;80;90 time=0.5s;;;0;\n\
                  second line | extra=1;2;3\n";
    let mut list = String::from("{\"data\":[");
    for id in 1..=1_000 {
        if id > 1 {
            list.push(',');
        }
        list.push_str(&format!(
            "{{\"id\":{id},\"name\":\"Component {id}\",\"status\":1,\"enabled\":true,\"group_id\":0,\"description\":\"\",\"link\":\"\",\"order\":{id}}}"
        ));
    }
    list.push_str("],\"meta\":{\"pagination\":{\"total\":1000,\"count\":1000,\"per_page\":1000,\"current_page\":1,\"total_pages\":1}}}");

    assert!(cachet_check::fuzz::config(example));
    assert!(cachet_check::fuzz::config(&big));
    assert!(cachet_check::fuzz::perfdata(plugin) == 5);
    assert!(cachet_check::fuzz::cachet_answer(&list) >= 1_000);

    println!("| what | size | median time |");
    println!("|---|---|---|");
    row(
        "load the example config",
        &format!("{} checks, {} bytes", checks_in(example), example.len()),
        time(100, || {
            black_box(cachet_check::fuzz::config(black_box(example)));
        }),
    );
    row(
        "load a config of 10,000 checks",
        &format!("{} KiB", big.len() / 1024),
        time(1, || {
            black_box(cachet_check::fuzz::config(black_box(&big)));
        }),
    );
    row(
        "read a plugin's output (detail and perfdata)",
        "2 lines, 5 values",
        time(10_000, || {
            black_box(cachet_check::fuzz::perfdata(black_box(plugin)));
        }),
    );
    row(
        "read Cachet's list of 1,000 components",
        &format!("{} KiB", list.len() / 1024),
        time(10, || {
            black_box(cachet_check::fuzz::cachet_answer(black_box(&list)));
        }),
    );
    row(
        "map a Monit event",
        "\"Timeout recovery\"",
        time(100_000, || {
            black_box(cachet_check::fuzz::monit_event(black_box(
                "Timeout recovery",
            )));
        }),
    );
    tls_handshake_cryptography();
}

/// How many check tables a config holds.
fn checks_in(config: &str) -> usize {
    config
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("[[") && line.ends_with(".checks]]"))
        .count()
}

/// What each side of a TLS handshake (X25519 key exchange, an ECDSA P-256 certificate) must
/// compute, whatever the client: each side makes a key and agrees a secret; the server signs the
/// handshake; the client verifies that signature and the certificate's own (its chain's).
fn tls_handshake_cryptography() {
    use ring::{agreement, rand, signature};
    let random = rand::SystemRandom::new();
    let peer = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &random).unwrap();
    let peer = peer.compute_public_key().unwrap();
    row(
        "a TLS key exchange, one side (X25519: a key made, a secret agreed)",
        "32-byte keys",
        time(100, || {
            let mine =
                agreement::EphemeralPrivateKey::generate(&agreement::X25519, &random).unwrap();
            black_box(mine.compute_public_key().unwrap());
            let theirs = agreement::UnparsedPublicKey::new(&agreement::X25519, peer.as_ref());
            agreement::agree_ephemeral(mine, &theirs, |secret| black_box(secret.len())).unwrap();
        }),
    );
    let pkcs8 = signature::EcdsaKeyPair::generate_pkcs8(
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &random,
    )
    .unwrap();
    let key = signature::EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        pkcs8.as_ref(),
        &random,
    )
    .unwrap();
    // A TLS 1.3 CertificateVerify signs 64 spaces, a context string and a 32-byte hash.
    let message = [b' '; 130];
    row(
        "an ECDSA P-256 signature (the server's, once a handshake)",
        "130 bytes",
        time(100, || {
            black_box(key.sign(&random, black_box(&message)).unwrap());
        }),
    );
    let signed = key.sign(&random, &message).unwrap();
    let public = signature::UnparsedPublicKey::new(
        &signature::ECDSA_P256_SHA256_ASN1,
        signature::KeyPair::public_key(&key).as_ref().to_vec(),
    );
    row(
        "an ECDSA P-256 verification (the client's, twice a handshake)",
        "130 bytes",
        time(100, || {
            public.verify(black_box(&message), signed.as_ref()).unwrap();
        }),
    );
}
