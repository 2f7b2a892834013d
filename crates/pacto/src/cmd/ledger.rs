//! `pacto ledger`: the disclosure ledger, shown, verified and exported.

use anyhow::Context;
use pacto_federation::ledger::{self, Checkpoint, Entry};
use pacto_store::prelude::*;

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

pub fn run(g: &Global, cmd: LedgerCmd) -> anyhow::Result<i32> {
    match cmd {
        LedgerCmd::Key => {
            println!("{}", ledger::public_key_hex(&config::node_key(g)?.verifying_key()));
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
        LedgerCmd::Verify { file, public_key } => {
            let result = match (file, public_key) {
                (Some(f), Some(k)) => {
                    let key =
                        ledger::public_key_from_hex(&k).context("--public-key is not an Ed25519 public key in hex")?;
                    let text = std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
                    ledger::verify_export(&text, &key)
                }
                (Some(_), None) => anyhow::bail!("verifying an export needs --public-key"),
                _ => {
                    let store = config::open_store(g)?;
                    let (entries, checkpoints) = load(&*store)?;
                    ledger::verify(&entries, &checkpoints, &config::node_key(g)?.verifying_key())
                }
            };
            match result {
                Ok(v) => println!(
                    "ledger verified: {} entries, {} signed checkpoints, {} entries after the last checkpoint",
                    v.entries, v.checkpoints, v.unsigned_tail
                ),
                Err(e) => {
                    println!("LEDGER DOES NOT VERIFY: {e}");
                    return Ok(EXIT_INVALID);
                }
            }
        }
        LedgerCmd::Export { output } => {
            let store = config::open_store(g)?;
            let (entries, checkpoints) = load(&*store)?;
            let text = ledger::export(&config::node_key(g)?.verifying_key(), &entries, &checkpoints);
            match output {
                Some(p) => std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?,
                None => print!("{text}"),
            }
        }
    }
    Ok(EXIT_OK)
}
