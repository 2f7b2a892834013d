//! `pacto node id`: this node's identity between nodes.

use super::EXIT_OK;
use crate::cli::Global;
use crate::config;

pub fn id(g: &Global) -> anyhow::Result<i32> {
    let identity = config::node_identity(g)?;
    println!("{}", identity.fingerprint());
    Ok(EXIT_OK)
}
