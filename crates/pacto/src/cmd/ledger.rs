//! `pacto ledger`: the disclosure ledger, shown, verified, exported, migrated and proved.
//!
//! The last Merkle tree head this node signed is kept in `<data dir>/ledger-checkpoint` (beside
//! the node key, with the same protection): every new head is signed only if the log extends
//! it, so a database rewritten without the key is refused, not blessed.

use std::path::{Path, PathBuf};

use anyhow::Context;
use pacto_federation::ledger::log::{self as tlog, ExportError};
use pacto_federation::ledger::{self, Checkpoint, Entry, SigningKey, VerifyingKey};
use pacto_store::Store;

use super::{EXIT_INVALID, EXIT_OK};
use crate::cli::{Global, LedgerCmd};
use crate::config;

fn load(store: &dyn Store) -> anyhow::Result<(Vec<Entry>, Vec<Checkpoint>)> {
    let mut entries = Vec::new();
    let mut after = 0;
    loop {
        let rows = store.ledger_entries(after, None, 10_000)?;
        if rows.is_empty() {
            break;
        }
        for (seq, text) in rows {
            entries.push(serde_json::from_str(&text).with_context(|| format!("ledger entry {seq} is not readable"))?);
            after = seq;
        }
    }
    let checkpoints = store
        .ledger_checkpoints()?
        .iter()
        .map(|t| serde_json::from_str(t).context("a ledger checkpoint is not readable"))
        .collect::<anyhow::Result<_>>()?;
    Ok((entries, checkpoints))
}

fn state_file(g: &Global) -> PathBuf {
    config::data_dir(g).join("ledger-checkpoint")
}

fn last_signed(g: &Global) -> anyhow::Result<Option<String>> {
    let path = state_file(g);
    match std::fs::read_to_string(&path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// The node's ledger, checked, with a newly signed head (kept as the last signed one).
struct Signed {
    entries: Vec<Entry>,
    tree: pacto_log::merkle::Tree,
    previous: Option<pacto_log::checkpoint::SignedCheckpoint>,
    head: pacto_log::checkpoint::SignedCheckpoint,
}

fn sign_head(g: &Global, key: &SigningKey) -> anyhow::Result<Result<Signed, ExportError>> {
    let store = config::open_store(g)?;
    let (entries, v1) = load(&*store)?;
    let last = last_signed(g)?;
    let tree = match tlog::verify_node(&entries, &v1, &key.verifying_key(), last.as_deref()) {
        Ok((_, t)) => t,
        Err(e) => return Ok(Err(e)),
    };
    let head = match tlog::sign_head(key, &tree, last.as_deref()) {
        Ok(h) => h,
        Err(e) => return Ok(Err(e)),
    };
    write_atomic(&state_file(g), &head.to_text())?;
    let verifier = tlog::log_verifier(&key.verifying_key());
    let previous = last.and_then(|t| verifier.open(&t).ok()).filter(|p| p.checkpoint.size < head.checkpoint.size);
    Ok(Ok(Signed { entries, tree, previous, head }))
}

fn refused(e: &ExportError) -> i32 {
    println!("LEDGER DOES NOT VERIFY: {e}");
    EXIT_INVALID
}

fn write_out(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display())),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// A public key given as hex or as this log's verifier key.
fn trusted_key(text: &str) -> anyhow::Result<VerifyingKey> {
    if let Some(k) = ledger::public_key_from_hex(text.trim()) {
        return Ok(k);
    }
    let (name, kind, key) = pacto_log::note::parse_vkey(text).map_err(|e| anyhow::anyhow!("--public-key: {e}"))?;
    anyhow::ensure!(kind == pacto_log::note::TYPE_ED25519, "--public-key: not an Ed25519 log key (type {kind})");
    anyhow::ensure!(name == tlog::origin(&key), "--public-key: the key's name is not its ledger's origin");
    Ok(key)
}

fn verify_file(file: &Path, public_key: &str, held: Option<&Path>) -> anyhow::Result<i32> {
    let key = trusted_key(public_key)?;
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let held = match held {
        Some(p) => Some(std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?),
        None => None,
    };
    match tlog::verify_export(&text, &key, held.as_deref()) {
        Ok(v) => {
            println!(
                "ledger verified: {} entries, every one covered by a signed checkpoint ({} in the export){}",
                v.entries,
                v.checkpoints.len(),
                v.extends.map(|s| format!("; it extends the checkpoint you hold ({s} entries)")).unwrap_or_default()
            );
            Ok(EXIT_OK)
        }
        Err(e) => {
            let code = refused(&e);
            if let ExportError::Forked { equivocation: Some(proof), .. } = e {
                println!("{}", serde_json::to_string_pretty(&proof)?);
            }
            Ok(code)
        }
    }
}

pub fn run(g: &Global, cmd: LedgerCmd) -> anyhow::Result<i32> {
    match cmd {
        LedgerCmd::Key { vkey } => {
            let key = config::node_key(g)?.verifying_key();
            if vkey {
                println!("{}", tlog::log_verifier(&key).key.vkey());
            } else {
                println!("{}", ledger::public_key_hex(&key));
            }
        }
        LedgerCmd::Show { partner, limit } => {
            let store = config::open_store(g)?;
            for (_, text) in store.ledger_entries(0, partner.as_deref(), limit)? {
                let e: Entry = serde_json::from_str(&text)?;
                println!(
                    "{:>6} {} {:<12} {:<10} {:<16} {} {}",
                    e.seq,
                    e.time,
                    e.partner,
                    e.kind,
                    e.collection,
                    e.object_id.as_deref().unwrap_or("-"),
                    e.object_version.as_deref().unwrap_or("")
                );
            }
        }
        LedgerCmd::Verify { file: Some(f), public_key: Some(k), checkpoint } => {
            return verify_file(&f, &k, checkpoint.as_deref());
        }
        LedgerCmd::Verify { file: Some(_), public_key: None, .. } => {
            anyhow::bail!("verifying an export needs --public-key")
        }
        LedgerCmd::Verify { .. } => {
            let store = config::open_store(g)?;
            let (entries, checkpoints) = load(&*store)?;
            let key = config::node_key(g)?.verifying_key();
            let last = last_signed(g)?;
            match tlog::verify_node(&entries, &checkpoints, &key, last.as_deref()) {
                Ok((v, _)) => println!(
                    "ledger verified: {} entries, {} signed checkpoints, {} entries after the last checkpoint",
                    v.entries, v.checkpoints, v.unsigned_tail
                ),
                Err(e) => return Ok(refused(&e)),
            }
        }
        LedgerCmd::Export { output } => {
            let key = config::node_key(g)?;
            let s = match sign_head(g, &key)? {
                Ok(s) => s,
                Err(e) => return Ok(refused(&e)),
            };
            let cps: Vec<_> = s.previous.into_iter().chain([s.head]).collect();
            write_out(output.as_deref(), &tlog::export(&key.verifying_key(), &s.entries, &cps))?;
        }
        LedgerCmd::Migrate { file, output } => {
            let key = config::node_key(g)?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            match tlog::migrate_v1(&text, &key) {
                Ok(v2) => write_out(output.as_deref(), &v2)?,
                Err(e) => {
                    println!("NOT MIGRATED: {e}");
                    return Ok(EXIT_INVALID);
                }
            }
        }
        LedgerCmd::Prove { entry, from } => {
            let key = config::node_key(g)?;
            let s = match sign_head(g, &key)? {
                Ok(s) => s,
                Err(e) => return Ok(refused(&e)),
            };
            let json = match (entry, from) {
                (Some(n), _) => {
                    tlog::prove_entry(&s.entries, &s.tree, &s.head, n).map(|p| serde_json::to_string_pretty(&p))
                }
                (None, Some(path)) => {
                    let text =
                        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
                    let old = tlog::log_verifier(&key.verifying_key()).open(&text).map_err(|e| {
                        anyhow::anyhow!("{}: not a signed checkpoint of this ledger: {e}", path.display())
                    })?;
                    tlog::prove_consistency(&s.tree, &old, &s.head).map(|p| serde_json::to_string_pretty(&p))
                }
                (None, None) => anyhow::bail!("prove needs --entry N or --from FILE"),
            };
            match json {
                Ok(j) => println!("{}", j?),
                Err(e) => {
                    println!("NO PROOF: {e}");
                    return Ok(EXIT_INVALID);
                }
            }
        }
    }
    Ok(EXIT_OK)
}
