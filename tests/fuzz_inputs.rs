//! Replays the fuzz targets' seeds and every input that once crashed one (fuzz/seeds,
//! fuzz/regressions) through the same entry points, so that `cargo test` keeps them fixed
//! without a fuzzer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

fn inputs(target: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![
        root.join("fuzz/seeds").join(target),
        root.join("fuzz/regressions").join(target),
    ];
    if target == "config" {
        dirs.push(root.join("examples"));
        dirs.push(root.join("tests/cli/data/bad-configs"));
    }
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(dir) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in dir.flatten() {
            let bytes = std::fs::read(entry.path()).expect("readable input");
            // The targets see UTF-8 only; other bytes are skipped there too.
            if let Ok(text) = String::from_utf8(bytes) {
                found.push((entry.path().display().to_string(), text));
            }
        }
    }
    found
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
    // The example is valid, the bad configs are not.
    assert_eq!(valid.len(), 1, "{valid:?}");
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
