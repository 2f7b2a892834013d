//! Where the node keeps its data. The binary owns configuration; libraries take paths.

use std::path::PathBuf;

use anyhow::Context;
use pacto_store::SqliteStore;

use crate::cli::Global;

/// The data directory: the flag or `PACTO_DATA_DIR`, else `$XDG_DATA_HOME/pacto`, else
/// `~/.local/share/pacto`, else `./pacto-data`.
pub fn data_dir(g: &Global) -> PathBuf {
    if let Some(d) = &g.data_dir {
        return d.clone();
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("pacto");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h).join(".local/share/pacto");
    }
    PathBuf::from("pacto-data")
}

/// Open the embedded store in the data directory.
pub fn open_store(g: &Global) -> anyhow::Result<SqliteStore> {
    let dir = data_dir(g);
    let path = dir.join("pacto.db");
    tracing::debug!(path = %path.display(), "opening store");
    SqliteStore::open_writer(&path).with_context(|| format!("cannot open the store at {}", path.display()))
}
