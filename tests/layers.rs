//! The layers of CONTRIBUTING.md ("Where things go"), read from the source: a module imports
//! only from layers below its own, and no subcommand imports another.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The top-level modules of `src/`, layer by layer from the bottom (CONTRIBUTING.md).
const LAYERS: &[&[&str]] = &[
    &["text", "status", "deadline", "perfdata", "file", "window"],
    &["stderr", "exit", "cli"],
    &["keys", "secret", "state"],
    &["net"],
    &["check"],
    &["cachet"],
    &["config"],
    &["output", "import"],
    &["settle", "liveness"],
    &["commands"],
    &["lib", "main"],
];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| {
            panic!("`{module}` is in no layer of CONTRIBUTING.md: add it there and here")
        })
}

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The code of a file without its unit tests.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// The top-level modules `code` names through `crate::`, grouped `use crate::{a, b::c}` too.
fn imports(code: &str) -> BTreeSet<String> {
    let paths = regex::Regex::new(r"crate::([a-z_]+)").unwrap();
    let groups = regex::Regex::new(r"(?s)use crate::\{(.*?)\};").unwrap();
    let heads = regex::Regex::new(r"(?:^|[,{]\s*)([a-z_]+)").unwrap();
    let mut found: BTreeSet<String> = paths.captures_iter(code).map(|c| c[1].to_owned()).collect();
    for group in groups.captures_iter(code) {
        found.extend(heads.captures_iter(&group[1]).map(|c| c[1].to_owned()));
    }
    found.remove("self");
    found
}

#[test]
fn every_module_imports_only_from_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap();
        let module = first.as_os_str().to_str().unwrap().trim_end_matches(".rs");
        let layer = layer_of(module);
        for imported in imports(&code(file)) {
            if imported != module && layer_of(&imported) >= layer {
                wrong.push(format!("{} imports `{imported}`", relative.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_subcommand_imports_another() {
    let commands = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/commands");
    let mut files = Vec::new();
    sources(&commands, &mut files);
    let names: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_stem()?.to_str().map(str::to_owned))
        .filter(|name| name != "mod")
        .collect();
    let mut wrong = Vec::new();
    for file in &files {
        let text = code(file);
        let own = file.file_stem().unwrap().to_str().unwrap();
        for name in &names {
            let named = [format!("super::{name}::"), format!("commands::{name}::")];
            if name != own && own != "mod" && named.iter().any(|n| text.contains(n.as_str())) {
                wrong.push(format!("commands/{own}.rs uses `{name}`"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
