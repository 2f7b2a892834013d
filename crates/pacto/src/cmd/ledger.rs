//! `pacto ledger`: the disclosure ledger, shown, verified, exported, migrated and proved.
//!
//! The ledger is `pacto_node::ledger::Log`'s: loaded and checked whole, each head signed only
//! if it extends the last one signed (kept in the database and, for this node, in
//! `<data dir>/ledger-checkpoint`), so a database rewritten without the key is refused, not
//! blessed.

use std::path::{Path, PathBuf};

use anyhow::Context;
use pacto_federation::ledger::log::{self as tlog, ExportError};
use pacto_federation::ledger::{self, Entry, VerifyingKey};
use pacto_node::ledger::Log;

use super::{EXIT_INVALID, EXIT_OK};
use crate::cli::{Global, LedgerCmd};
use crate::config;

/// Where this node keeps the last ledger head it signed, outside the database.
pub fn head_file(g: &Global) -> PathBuf {
    config::data_dir(g).join("ledger-checkpoint")
}

/// The node's ledger, loaded and checked (see [`Log`]).
pub fn log(g: &Global) -> anyhow::Result<Log> {
    Ok(Log::new(config::node_key(g)?, Some(head_file(g))))
}

/// The node's ledger, checked, with its head signed (a ledger from before version 2 gets its
/// first signed head here); or why it does not verify.
struct Signed {
    entries: Vec<Entry>,
    tree: pacto_log::merkle::Tree,
    head: pacto_log::checkpoint::SignedCheckpoint,
    /// The keys that signed the log, first to this node's.
    keys: pacto_federation::ledger::rotation::KeyRing,
    /// The heads that handed the log from key to key (signed by both).
    handovers: Vec<pacto_log::checkpoint::SignedCheckpoint>,
    /// Each rotation as partners are shown it (`GET {api root}/ledger/keys/`), oldest first.
    history: pacto_federation::ledger::rotation::KeyHistory,
}

fn sign_head(g: &Global) -> anyhow::Result<Result<Signed, String>> {
    let mut store = config::open_store(g)?;
    let log = log(g)?;
    let (tree, head) = match log.signed_head(&mut *store) {
        Ok(t) => t,
        Err(pacto_node::NodeError::Store(e)) => return Err(e.into()),
        Err(e) => return Ok(Err(e.to_string())),
    };
    let (keys, history) = match log.key_history(&mut *store) {
        Ok(k) => k,
        Err(pacto_node::NodeError::Store(e)) => return Err(e.into()),
        Err(e) => return Ok(Err(e.to_string())),
    };
    let handovers = history.rotations.iter().filter_map(|h| keys.open(&h.checkpoint).ok()).collect();
    let mut entries = pacto_node::ledger::load_entries(&*store, 0)?;
    entries.truncate(head.checkpoint.size as usize);
    Ok(Ok(Signed { entries, tree, head, keys, handovers, history }))
}

/// This node's ledger key history, sent with its cosignatures (as a witness) so partners that
/// pinned an earlier key follow its rotations. A ledger that does not load is reported and no
/// history is sent (partners that pinned this key take the cosignatures all the same).
pub fn witness_history(g: &Global, store: &mut dyn pacto_store::Store) -> ledger::rotation::KeyHistory {
    let history = log(g).map_err(|e| e.to_string()).and_then(|l| l.key_history(store).map_err(|e| e.to_string()));
    history.map(|(_, h)| h).unwrap_or_else(|e| {
        tracing::warn!(error = e, "this node's ledger key history could not be read: cosignatures go without it");
        Default::default()
    })
}

fn refused(e: &dyn std::fmt::Display) -> i32 {
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

/// `pacto ledger rotate-key`: hand the ledger over to a new key. The new key waits in
/// `node-key.next` until the handover (the rotation entry and its head, signed by both keys) is
/// committed, then replaces `node-key`; a rotation cut short is finished or undone by the next
/// command that reads the key ([`config::node_key`]).
fn rotate_key(g: &Global) -> anyhow::Result<i32> {
    let old = config::node_key(g)?;
    let next = config::next_key_path(g);
    let text =
        pacto_node::secrets::key_file(&next, || ledger::signing_key_to_hex(&ledger::generate_key()).into_bytes())
            .with_context(|| format!("cannot write {}", next.display()))?;
    let new = ledger::signing_key_from_hex(&String::from_utf8_lossy(&text))
        .with_context(|| format!("{}: not a node key", next.display()))?;
    let mut store = config::open_store(g)?;
    let log = Log::new(old.clone(), Some(head_file(g)));
    match log.rotate(&mut *store, new.clone()) {
        Ok((_, head)) => {
            std::fs::rename(&next, config::data_dir(g).join("node-key")).with_context(|| {
                format!("the handover is committed but {} could not replace node-key", next.display())
            })?;
            println!(
                "ledger key rotated at entry {}: {} -> {}",
                head.checkpoint.size,
                tlog::fingerprint(&old.verifying_key()),
                tlog::fingerprint(&new.verifying_key())
            );
            println!("new public key: {}", ledger::public_key_hex(&new.verifying_key()));
            eprintln!(
                "Partners that pinned the old key follow the handover (signed by both keys) on their next sync; \
                 tell them the new fingerprint out of band. Restart every server of this node so it signs with \
                 the new key; the old key is no longer kept."
            );
            Ok(EXIT_OK)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&next);
            Ok(refused(&e))
        }
    }
}

pub fn run(g: &Global, cmd: LedgerCmd) -> anyhow::Result<i32> {
    match cmd {
        LedgerCmd::Audit { partner, compare } => {
            let store = config::open_store(g)?;
            let remote = config::remote(g, &*store, &partner)?;
            let compare = compare
                .iter()
                .map(|p| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display())))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let identity = config::node_identity(g)?;
            let limits = pacto_node::client::ClientLimits::default();
            let report = pacto_node::audit::audit_partner(&*store, &remote, &compare, Some(&identity), limits)?;
            if report.findings.is_empty() {
                println!(
                    "audit of {partner}: {} receipts checked against its log of {} entries; every entry stands, \
                     and the log extends every checkpoint held{}",
                    report.receipts,
                    report.size,
                    if compare.is_empty() {
                        String::new()
                    } else {
                        format!(" (and the {} handed over)", compare.len())
                    }
                );
            } else {
                println!("AUDIT OF {partner} FOUND {} DIFFERENCES:", report.findings.len());
                for f in &report.findings {
                    println!("  {f}");
                }
                return Ok(EXIT_INVALID);
            }
        }
        LedgerCmd::Cosignatures { partner } => {
            let store = config::open_store(g)?;
            let all = store.cosignatures(partner.as_deref())?;
            for (p, size, note) in all.iter().rev() {
                let witness =
                    note.lines().last().and_then(|l| l.strip_prefix("\u{2014} ")).and_then(|l| l.split(' ').next());
                println!("{size:>8} {p:<12} {}", witness.unwrap_or("?"));
            }
            eprintln!("{} cosignatures; the newest of each partner: {}", all.len(), newest_per_partner(&all));
        }
        LedgerCmd::Key { vkey } => {
            let key = config::node_key(g)?.verifying_key();
            if vkey {
                println!("{}", tlog::log_verifier(&key).key.vkey());
            } else {
                println!("{}", ledger::public_key_hex(&key));
            }
        }
        LedgerCmd::Show { partner, since, object, kind, limit } => {
            let since = since
                .map(|t| pacto_stix::Timestamp::parse(&t).map_err(|e| anyhow::anyhow!("--since {t:?}: {e}")))
                .transpose()?;
            let store = config::open_store(g)?;
            let filter =
                pacto_node::browse::LedgerFilter { partner, since: since.map(|t| t.as_micros()), object, kind };
            // Newest first: the console's ledger page lists it with the same function.
            let (matched, by_kind) = pacto_node::browse::ledger(&*store, &filter)?;
            for e in matched.iter().take(limit) {
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
            let partners: std::collections::BTreeSet<&str> = matched.iter().map(|e| e.partner.as_str()).collect();
            let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
            eprintln!(
                "{} of {} matching entries shown, newest first ({}); partners: {}",
                matched.len().min(limit),
                matched.len(),
                if kinds.is_empty() { "none".to_string() } else { kinds.join(", ") },
                if partners.is_empty() {
                    "none".to_string()
                } else {
                    partners.into_iter().collect::<Vec<_>>().join(", ")
                }
            );
        }
        LedgerCmd::Verify { file: Some(f), public_key: Some(k), checkpoint } => {
            return verify_file(&f, &k, checkpoint.as_deref());
        }
        LedgerCmd::Verify { file: Some(_), public_key: None, .. } => {
            anyhow::bail!("verifying an export needs --public-key")
        }
        LedgerCmd::Verify { .. } => {
            let s = match sign_head(g)? {
                Ok(s) => s,
                Err(e) => return Ok(refused(&e)),
            };
            println!(
                "ledger verified: {} entries, chained, the Merkle tree extends every head this node signed; \
                 the last signed head: {}",
                s.entries.len(),
                tlog::describe(&s.head.checkpoint)
            );
        }
        LedgerCmd::Export { output } => {
            let s = match sign_head(g)? {
                Ok(s) => s,
                Err(e) => return Ok(refused(&e)),
            };
            let mut heads = s.handovers;
            heads.push(s.head);
            write_out(output.as_deref(), &tlog::export(s.keys.first(), &s.entries, &heads))?;
        }
        LedgerCmd::RotateKey => return rotate_key(g),
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
            let s = match sign_head(g)? {
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
                    let old = s.keys.open(&text).map_err(|e| {
                        anyhow::anyhow!("{}: not a signed checkpoint of this ledger: {e}", path.display())
                    })?;
                    tlog::prove_consistency(&s.tree, &old, &s.head, &s.history)
                        .map(|p| serde_json::to_string_pretty(&p))
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

/// `pacto receipts`: what partners' nodes gave this node for what they disclosed to it.
pub fn receipts(g: &Global, cmd: crate::cli::ReceiptsCmd) -> anyhow::Result<i32> {
    use crate::cli::ReceiptsCmd;
    use pacto_node::audit;
    let store = config::open_store(g)?;
    match cmd {
        ReceiptsCmd::List { partner, limit } => {
            let all = audit::receipts(&*store, &partner)?;
            for r in all.iter().rev().take(limit) {
                let e = &r.entry;
                println!(
                    "{:>8} {} {:<16} {:<20} entries {}..{} body sha256 {}",
                    e.seq,
                    e.time,
                    e.collection,
                    e.object_version.as_deref().unwrap_or(""),
                    r.first,
                    e.seq,
                    e.digest
                );
            }
            let key = audit::pinned_key(&*store, &partner)?;
            eprintln!(
                "{} of {} receipts from {partner} shown, newest first; its ledger key: {}",
                all.len().min(limit),
                all.len(),
                key.map_or("not pinned yet".into(), |k| tlog::fingerprint(k.current()))
            );
        }
        ReceiptsCmd::Verify { partner } => {
            let remote = config::remote(g, &*store, &partner)?;
            match audit::verify_kept(&*store, &remote) {
                Ok(n) => println!(
                    "{n} receipts from {partner} verified: each signed by its pinned key, naming this node, \
                     its entry in the signed log, each log extending the one before"
                ),
                Err(e) => {
                    println!("RECEIPTS DO NOT VERIFY: {e}");
                    return Ok(EXIT_INVALID);
                }
            }
        }
        ReceiptsCmd::Export { partner, output, checkpoint } => {
            let all = audit::receipts(&*store, &partner)?;
            let key = audit::pinned_key(&*store, &partner)?
                .ok_or_else(|| anyhow::anyhow!("no receipt of {partner} has been kept yet"))?;
            let text = if checkpoint {
                all.last().map(|r| r.checkpoint.clone()).unwrap_or_default()
            } else {
                let mut out = serde_json::json!({"format": "pacto-receipts", "partner": partner,
                    "public_key": ledger::public_key_hex(key.current()),
                    "keys": key.keys().iter().map(ledger::public_key_hex).collect::<Vec<_>>()})
                .to_string();
                out.push('\n');
                for r in &all {
                    out.push_str(&serde_json::to_string(r)?);
                    out.push('\n');
                }
                out
            };
            write_out(output.as_deref(), &text)?;
        }
    }
    Ok(EXIT_OK)
}

/// "mx at 120, ca at 98" (the largest size each partner cosigned), or "none".
fn newest_per_partner(all: &[(String, u64, String)]) -> String {
    let mut newest: std::collections::BTreeMap<&str, u64> = Default::default();
    for (p, size, _) in all {
        let n = newest.entry(p.as_str()).or_default();
        *n = (*n).max(*size);
    }
    if newest.is_empty() {
        return "none".into();
    }
    newest.iter().map(|(p, n)| format!("{p} at {n}")).collect::<Vec<_>>().join(", ")
}
