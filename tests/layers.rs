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

/// The module a source file is (`check::tls` for `src/check/tls/mod.rs`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut path: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_str().unwrap().to_owned())
        .collect();
    if path
        .last()
        .is_some_and(|last| last == "mod" || last == "lib")
    {
        path.pop();
    }
    path
}

/// Every path `code` names from `crate::` or `super::`, `use` groups expanded
/// (`use super::{a, b::{c, d}}` names `super::a`, `super::b::c`, `super::b::d`).
fn paths_named(code: &str) -> Vec<String> {
    fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        match tree.find('{') {
            None => out.push(format!("{prefix}{tree}")),
            Some(open) => {
                let head = format!("{prefix}{}", &tree[..open]);
                let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
                let (mut depth, mut start) = (0, 0);
                for (at, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            expand(&head, &inner[start..at], out);
                            start = at + 1;
                        }
                        _ => {}
                    }
                }
                if !inner[start..].trim().is_empty() {
                    expand(&head, &inner[start..], out);
                }
            }
        }
    }
    let uses = regex::Regex::new(r"(?s)\buse\s+((?:crate|super)::[^;]*);").unwrap();
    let inline = regex::Regex::new(r"\b(?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)+").unwrap();
    let mut out = Vec::new();
    for found in uses.captures_iter(code) {
        expand(
            "",
            &found[1].split_whitespace().collect::<String>(),
            &mut out,
        );
    }
    out.extend(
        inline
            .find_iter(&uses.replace_all(code, ""))
            .map(|m| m.as_str().to_owned()),
    );
    out
}

/// The module `path` (named from `module`) lands in: the longest run of it that is a module.
fn target_of(module: &[String], path: &str, modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    let mut parts = path.split("::").map(str::trim).filter(|p| !p.is_empty());
    let mut at: Vec<String> = Vec::new();
    let mut base = module.to_vec();
    let mut first = true;
    for part in parts.by_ref() {
        match part {
            "crate" if first => base.clear(),
            "super" => {
                base.pop();
            }
            _ => {
                at = base.clone();
                let mut candidate = base.clone();
                candidate.push(part.to_owned());
                if !modules.contains(&candidate) {
                    return at;
                }
                base = candidate;
                at = base.clone();
            }
        }
        first = false;
    }
    if at.is_empty() { base } else { at }
}

#[test]
fn no_two_modules_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut edges: BTreeSet<(Vec<String>, Vec<String>)> = BTreeSet::new();
    for file in &files {
        let module = module_of(&src, file);
        for path in paths_named(&code(file)) {
            let target = target_of(&module, &path, &modules);
            // A module and the one it is part of (`check` and `check::tcp`) are one house.
            let related = target.starts_with(&module) || module.starts_with(&target);
            if !related {
                edges.insert((module.clone(), target));
            }
        }
    }
    let circles: Vec<String> = edges
        .iter()
        .filter(|(a, b)| a < b && edges.contains(&(b.clone(), a.clone())))
        .map(|(a, b)| format!("{} <-> {}", a.join("::"), b.join("::")))
        .collect();
    assert!(
        circles.is_empty(),
        "modules that import each other:\n{}",
        circles.join("\n")
    );
}

// The test above sees a circle drawn through `super::` and through `use` groups.
#[test]
fn a_circle_through_super_is_seen() {
    let modules: BTreeSet<Vec<String>> = [
        vec!["check".into()],
        vec!["check".into(), "tcp".into()],
        vec!["check".into(), "tls".into()],
    ]
    .into_iter()
    .collect();
    let tcp = vec!["check".to_owned(), "tcp".to_owned()];
    let named =
        paths_named("use super::{Built, tls::{CA_FILE, SNI}};\nfn f() { super::tls::x(); }");
    let targets: BTreeSet<Vec<String>> =
        named.iter().map(|p| target_of(&tcp, p, &modules)).collect();
    assert!(
        targets.contains(&vec!["check".to_owned(), "tls".to_owned()]),
        "{named:?} -> {targets:?}"
    );
    assert!(targets.contains(&vec!["check".to_owned()]), "{targets:?}");
}

// A file that outgrows its job is split by what it does (CONTRIBUTING.md): none holds more
// than 450 lines outside its unit tests.
#[test]
fn no_file_is_over_450_lines_outside_its_tests() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .map(|file| (file, code(file).lines().count()))
        .filter(|(_, lines)| *lines > 450)
        .map(|(file, lines)| {
            format!(
                "{}: {lines} lines",
                file.strip_prefix(&src).unwrap().display()
            )
        })
        .collect();
    assert!(
        long.is_empty(),
        "split by what they do:\n{}",
        long.join("\n")
    );
}
