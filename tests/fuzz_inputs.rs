//! Replays the fuzz targets' seeds and every input that once crashed one (fuzz/seeds,
//! fuzz/regressions) through the same entry points, so that `cargo test` keeps them fixed
//! without a fuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

/// Each input of `target` as bytes (the DNS and STARTTLS targets take any).
fn raw_inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![
        root.join("fuzz/seeds").join(target),
        root.join("fuzz/regressions").join(target),
    ];
    if target == "config" {
        dirs.push(root.join("examples"));
        dirs.push(root.join("tests/cli/data/bad-configs"));
    }
    if target == "import" {
        dirs.push(root.join("tests/cli/data/import"));
    }
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(dir) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in dir.flatten() {
            let bytes = std::fs::read(entry.path()).expect("readable input");
            found.push((entry.path().display().to_string(), bytes));
        }
    }
    found
}

/// The UTF-8 inputs of `target`: the text targets see UTF-8 only, and skip other bytes too.
fn inputs(target: &str) -> Vec<(String, String)> {
    raw_inputs(target)
        .into_iter()
        .filter_map(|(path, bytes)| Some((path, String::from_utf8(bytes).ok()?)))
        .collect()
}

#[test]
fn config_inputs() {
    let inputs = inputs("config");
    assert!(inputs.len() >= 10, "{}", inputs.len());
    let valid: Vec<&str> = inputs
        .iter()
        .filter(|(_, text)| cachet_check::fuzz::config(text))
        .map(|(path, _)| path.as_str())
        .collect();
    // The examples are valid, the bad configs are not.
    assert_eq!(valid.len(), 2, "{valid:?}");
}

#[test]
fn cachet_answer_inputs() {
    let inputs = inputs("cachet_answer");
    assert!(!inputs.is_empty());
    for (path, text) in inputs {
        assert!(cachet_check::fuzz::cachet_answer(&text) > 0, "{path}");
    }
}

#[test]
fn perfdata_inputs() {
    for (path, text) in inputs("perfdata") {
        assert!(cachet_check::fuzz::perfdata(&text) > 0, "{path}");
    }
}

#[test]
fn monit_event_inputs() {
    for (path, text) in inputs("monit_event") {
        assert!(cachet_check::fuzz::monit_event(&text), "{path}");
    }
}

#[test]
fn import_inputs() {
    let inputs = inputs("import");
    assert!(inputs.len() >= 4, "{}", inputs.len());
    for (path, text) in inputs {
        assert!(cachet_check::fuzz::import(&text), "{path}");
    }
}

#[test]
fn statuspage_inputs() {
    let inputs = inputs("statuspage");
    assert_eq!(inputs.len(), 3);
    for (path, text) in inputs {
        assert!(cachet_check::fuzz::statuspage(&text) > 0, "{path}");
    }
}

#[test]
fn starttls_reply_inputs() {
    let inputs = raw_inputs("starttls_reply");
    assert_eq!(inputs.len(), 3);
    for (path, said) in inputs {
        assert!(cachet_check::fuzz::starttls_reply(&said) > 0, "{path}");
    }
}

#[test]
fn dns_answer_inputs() {
    let inputs = raw_inputs("dns_answer");
    assert!(!inputs.is_empty());
    for (path, bytes) in inputs {
        // An A, a CNAME, an MX and a TXT record.
        assert_eq!(cachet_check::fuzz::dns_answer(&bytes), 4, "{path}");
    }
}

#[test]
fn votes_inputs() {
    let inputs = inputs("votes");
    assert_eq!(inputs.len(), 2);
    for (path, text) in inputs {
        let counted = cachet_check::fuzz::votes(&text);
        // Three honest hosts count somewhere in the tally; the hostile votes never do.
        if path.ends_with("hostile.json") {
            assert_eq!(counted, 0, "{path}");
        } else {
            assert!(counted > 0, "{path}");
        }
    }
}
