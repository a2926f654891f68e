//! `cachet-check import FILE [--from CHECKER]`: a peer's config as a cachet-check config, on
//! stdout (see `crate::import`).

use std::path::Path;

use anyhow::{Result, anyhow};

use crate::file::{read_capped, read_file_capped};
use crate::import::{Peer, import as translate};

/// The most read of a config to import.
const CAP: u64 = 4 << 20;

pub fn import(file: &Path, from: Option<&str>) -> Result<String> {
    let bytes = if file == Path::new("-") {
        read_capped(std::io::stdin().lock(), CAP, "standard input")?
    } else {
        read_file_capped(file, CAP, &format!("`{}`", file.display()))?
    };
    let text =
        String::from_utf8(bytes).map_err(|_| anyhow!("`{}` is not UTF-8 text", file.display()))?;
    let peer = from.and_then(|word| {
        Peer::WORDS
            .iter()
            .find(|(name, _)| *name == word)
            .map(|(_, peer)| *peer)
    });
    translate(&text, peer).map_err(|why| anyhow!("`{}`: {why}", file.display()))
}
