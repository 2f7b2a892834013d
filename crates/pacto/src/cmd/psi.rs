//! `pacto set` (this node's private sets) and `pacto match` (a private query to a partner).

use std::path::Path;

use anyhow::Context;
use pacto_node::psi::MatchError;
use pacto_psi::{HolderSet, Normalizer, Outcome};
use pacto_store::PsiSet;

use super::EXIT_OK;
use crate::cli::{Global, SetCmd};
use crate::config;

fn rule(s: &str) -> anyhow::Result<Normalizer> {
    Normalizer::parse(s).with_context(|| format!("unknown rule {s:?}: serial, e164, email, text or bytes"))
}

fn lines(file: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok(text
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .collect())
}

pub fn set(g: &Global, cmd: SetCmd) -> anyhow::Result<i32> {
    let mut store = config::open_store(g)?;
    match cmd {
        SetCmd::Import { name, file, normalize } => {
            let n = rule(&normalize)?;
            let items = lines(&file)?;
            let holder = HolderSet::encode(&items, n).with_context(|| format!("{}", file.display()))?;
            let tags: Vec<u8> = holder.tags.iter().flatten().copied().collect();
            let points: Vec<u8> = holder.points.iter().flatten().copied().collect();
            let created_us = pacto_stix::Timestamp::now().as_micros();
            // The secret goes to its key file first; the database keeps only tags and points.
            let keys = config::psi_keys(g);
            keys.write(&name, created_us, &holder.secret_bytes())
                .with_context(|| format!("cannot write the key of set {name:?}"))?;
            store.put_psi_set(&PsiSet {
                name: name.clone(),
                normalizer: n.id().to_string(),
                secret: None,
                tags,
                points,
                items: holder.tags.len() as u64,
                created_us,
            })?;
            println!(
                "private set {name}: {} distinct items ({} rule); only their encoding is kept",
                holder.tags.len(),
                n.id()
            );
        }
        SetCmd::List => {
            let keys = config::psi_keys(g);
            for s in store.psi_sets()? {
                // A secret an earlier version left in the database moves to its key file.
                if s.secret.is_some() {
                    keys.secret(&mut *store, &s).map_err(|e| anyhow::anyhow!(e))?;
                }
                println!(
                    "{:<24} {:>10} items  rule {:<7} since {}",
                    s.name,
                    s.items,
                    s.normalizer,
                    pacto_stix::Timestamp::from_micros(s.created_us).format(0)
                );
            }
        }
        SetCmd::Remove { name } => {
            if !store.remove_psi_set(&name)? {
                anyhow::bail!("no private set {name:?}");
            }
            config::psi_keys(g).remove(&name).with_context(|| format!("cannot remove the key of set {name:?}"))?;
            println!("private set {name} removed");
        }
    }
    Ok(EXIT_OK)
}

pub fn matching(
    g: &Global,
    partner: &str,
    set: &str,
    file: &Path,
    normalize: &str,
    count: bool,
) -> anyhow::Result<i32> {
    let store = config::open_store(g)?;
    let remote = config::remotes(g, &*store)?
        .into_iter()
        .find(|r| r.partner == partner)
        .with_context(|| format!("no connection to {partner:?}: `pacto partner connect`"))?;
    let identity = remote.fingerprint.is_some().then(|| config::node_identity(g)).transpose()?;
    let n = rule(normalize)?;
    let items = lines(file)?;
    match pacto_node::psi::query(&remote, identity.as_ref(), set, &items, n, count) {
        Ok(Outcome::Matches(found)) => {
            for i in found {
                println!("{}", String::from_utf8_lossy(&items[i]));
            }
        }
        Ok(Outcome::Count(c)) => println!("{c}"),
        // The items are the file's: say which file.
        Err(e @ MatchError::Items(_)) => return Err(anyhow::Error::new(e).context(file.display().to_string())),
        Err(e) => return Err(e.into()),
    }
    Ok(EXIT_OK)
}
