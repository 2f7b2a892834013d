//! `pacto ledger` on a node's own data: export signs the Merkle tree head only if the log extends
//! the last head it signed; verify --file passes only for an export whose every entry is signed,
//! and with --checkpoint catches a cut export; prove prints proofs a third party checks; a
//! version 1 export is explained and migrated.

use std::path::Path;
use std::process::{Command, Output};

use pacto_federation::ledger::log::{self as tlog, EntryProof, LogConsistency};
use pacto_federation::ledger::{self, Chain, Checkpoint, Entry, Event, SigningKey};

fn pacto(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .arg("--no-progress")
        .args(args)
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn event(n: u64, partner: &str) -> Event {
    Event {
        time: format!("2026-11-25T10:00:{:02}.000Z", n % 60),
        partner: partner.into(),
        kind: "disclosure".into(),
        collection: "intel".into(),
        object_id: Some(format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f")),
        object_version: Some("2026-01-01T00:00:00.000Z".into()),
        digest: ledger::sha256_hex(format!("object {n}").as_bytes()),
    }
}

/// Record entries as the server does: appended to the log and the new head signed (kept in
/// the database and in the data directory).
fn record(data: &Path, key: &SigningKey, range: std::ops::RangeInclusive<u64>) {
    let mut s = pacto_store::SqliteStore::open_writer(&data.join("pacto.db")).unwrap();
    let log = pacto_node::ledger::Log::new(key.clone(), Some(data.join("ledger-checkpoint")));
    log.append(&mut s, range.map(|i| event(i, "us")).collect(), None).unwrap();
}

fn node() -> (tempfile::TempDir, SigningKey, String) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let hex = String::from_utf8(pacto(data, &["ledger", "key"]).stdout).unwrap().trim().to_string();
    let key = ledger::signing_key_from_hex(&std::fs::read_to_string(data.join("node-key")).unwrap()).unwrap();
    assert_eq!(ledger::public_key_hex(&key.verifying_key()), hex);
    (dir, key, hex)
}

#[test]
fn export_verify_and_catch_a_cut_export() {
    let (dir, key, hex) = node();
    let data = dir.path();
    let p = |n: &str| data.join(n).to_str().unwrap().to_string();
    // An empty ledger has nothing signed to export.
    let o = pacto(data, &["ledger", "export", "-o", &p("empty.jsonl")]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("the ledger is empty"), "{}", out(&o));

    record(data, &key, 1..=5);
    assert!(pacto(data, &["ledger", "verify"]).status.success());
    let o = pacto(data, &["ledger", "export", "-o", &p("e5.jsonl")]);
    assert!(o.status.success(), "{}", out(&o));
    std::fs::copy(data.join("ledger-checkpoint"), data.join("held5")).unwrap();
    let o = pacto(data, &["ledger", "verify", "--file", &p("e5.jsonl"), "--public-key", &hex]);
    assert!(out(&o).contains("ledger verified: 5 entries, every one covered"), "{}", out(&o));

    record(data, &key, 6..=8);
    assert!(pacto(data, &["ledger", "export", "-o", &p("e8.jsonl")]).status.success());
    std::fs::copy(data.join("ledger-checkpoint"), data.join("held8")).unwrap();
    // The verifier key works as --public-key too.
    let vkey = String::from_utf8(pacto(data, &["ledger", "key", "--vkey"]).stdout).unwrap().trim().to_string();
    assert!(vkey.starts_with("pacto/ledger/"), "{vkey}");
    let o = pacto(
        data,
        &["ledger", "verify", "--file", &p("e8.jsonl"), "--public-key", &vkey, "--checkpoint", &p("held5")],
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("it extends the checkpoint you hold (5 entries)"), "{}", out(&o));
    // Handed the older export while holding the newer checkpoint: cut short.
    let o =
        pacto(data, &["ledger", "verify", "--file", &p("e5.jsonl"), "--public-key", &hex, "--checkpoint", &p("held8")]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("entries 6..8 are missing"), "{}", out(&o));
    // A header-only export does not verify.
    let header = std::fs::read_to_string(data.join("e8.jsonl")).unwrap().lines().next().unwrap().to_string();
    std::fs::write(data.join("header.jsonl"), header).unwrap();
    let o = pacto(data, &["ledger", "verify", "--file", &p("header.jsonl"), "--public-key", &hex]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("LEDGER DOES NOT VERIFY: the export is empty"), "{}", out(&o));

    // Proofs a third party checks with the public key alone.
    let o = pacto(data, &["ledger", "prove", "--entry", "3"]);
    let proof: EntryProof = serde_json::from_slice(&o.stdout).unwrap();
    proof.verify(&key.verifying_key()).unwrap();
    assert_eq!(proof.entry.seq, 3);
    let o = pacto(data, &["ledger", "prove", "--from", &p("held5")]);
    let proof: LogConsistency = serde_json::from_slice(&o.stdout).unwrap();
    proof.verify(&key.verifying_key()).unwrap();
    assert_eq!((proof.proof.old_size, proof.proof.new_size), (5, 8));
    assert!(!out(&o).contains("\"keys\""), "a log never rotated carries no key history: {}", out(&o));
    let o = pacto(data, &["ledger", "prove", "--entry", "9"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("entry 9 is not in the signed log of 8 entries"), "{}", out(&o));
}

/// A partner holds a checkpoint signed before `pacto ledger rotate-key`: `prove --from` it
/// carries the key history, and the proof verifies under the old key (following the handover)
/// and under the new one; with the handover signed by the new key alone, the rotation entry
/// altered, or the new head signed by a stranger, it is refused, saying why.
#[test]
fn prove_from_a_checkpoint_signed_before_a_rotation() {
    let (dir, old, _) = node();
    let data = dir.path();
    record(data, &old, 1..=5);
    std::fs::copy(data.join("ledger-checkpoint"), data.join("held5")).unwrap();
    let o = pacto(data, &["ledger", "rotate-key"]);
    assert!(o.status.success(), "{}", out(&o));
    let new = ledger::signing_key_from_hex(&std::fs::read_to_string(data.join("node-key")).unwrap()).unwrap();
    assert_ne!(new.verifying_key(), old.verifying_key());
    record(data, &new, 7..=9);

    let o = pacto(data, &["ledger", "prove", "--from", data.join("held5").to_str().unwrap()]);
    assert!(o.status.success(), "{}", out(&o));
    let proof: LogConsistency = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((proof.proof.old_size, proof.proof.new_size), (5, 9));
    assert_eq!(proof.keys.rotations.len(), 1);
    assert_eq!(proof.keys.rotations[0].entry.seq, 6);
    proof.verify(&old.verifying_key()).unwrap();
    proof.verify(&new.verifying_key()).unwrap();
    // The history is tied to the new checkpoint: the handover is proved a prefix of its log.
    assert_eq!(proof.keys.head.as_deref(), Some(proof.checkpoint.as_str()));
    assert!(!proof.keys.rotations[0].to_head.is_empty());
    let mut untied = proof.clone();
    untied.keys.head = None;
    let e = untied.verify(&old.verifying_key()).unwrap_err();
    assert!(e.contains("the key history carries no newest head"), "{e}");
    let mut cut = proof.clone();
    cut.keys.rotations[0].to_head.pop();
    let e = cut.verify(&old.verifying_key()).unwrap_err();
    assert!(e.contains("the newest head (size 9) does not extend the handover at entry 6"), "{e}");

    let handover = tlog::log_verifier(&new.verifying_key()).open(&proof.keys.rotations[0].checkpoint).unwrap();
    let mut alone = proof.clone();
    alone.keys.rotations[0].checkpoint =
        tlog::log_signer(&new).sign(handover.checkpoint.size, handover.checkpoint.root).to_text();
    let e = alone.verify(&old.verifying_key()).unwrap_err();
    assert!(e.contains("the key rotation at entry 6: the handover head is not signed by the old key"), "{e}");
    let mut altered = proof.clone();
    altered.keys.rotations[0].entry.time = "2026-11-25T11:00:00.000Z".into();
    let e = altered.verify(&old.verifying_key()).unwrap_err();
    assert!(e.contains("the key rotation at entry 6: its content does not match its hash (edited)"), "{e}");
    let stranger = ledger::generate_key();
    let head = tlog::log_verifier(&new.verifying_key()).open(&proof.checkpoint).unwrap();
    let mut strange = proof.clone();
    strange.checkpoint = tlog::log_signer(&stranger).sign(9, head.checkpoint.root).to_text();
    let e = strange.verify(&old.verifying_key()).unwrap_err();
    assert!(e.contains("the new checkpoint: it is signed by none of the log's 2 keys"), "{e}");
}

#[test]
fn a_database_rewritten_without_the_key_is_refused_not_signed() {
    let (dir, key, _) = node();
    let data = dir.path();
    record(data, &key, 1..=4);
    assert!(pacto(data, &["ledger", "export", "-o", data.join("e.jsonl").to_str().unwrap()]).status.success());
    let signed = std::fs::read_to_string(data.join("ledger-checkpoint")).unwrap();
    // Someone with write access to the database (not the key) hides entry 2, re-chains it all
    // and deletes the signed heads that would have shown it.
    let conn = rusqlite::Connection::open(data.join("pacto.db")).unwrap();
    let mut chain = Chain::default();
    for i in 1..=4 {
        let e = chain.append(event(i, if i == 2 { "nobody" } else { "us" }));
        conn.execute("UPDATE ledger SET entry = ?1 WHERE seq = ?2", (serde_json::to_string(&e).unwrap(), i)).unwrap();
    }
    conn.execute("DELETE FROM ledger_heads", []).unwrap();
    drop(conn);
    for args in [&["ledger", "verify"][..], &["ledger", "export"][..], &["ledger", "prove", "--entry", "1"][..]] {
        let o = pacto(data, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", out(&o));
        assert!(out(&o).contains("the log's first 4 entries are not those signed before"), "{args:?}: {}", out(&o));
    }
    assert_eq!(std::fs::read_to_string(data.join("ledger-checkpoint")).unwrap(), signed, "nothing new was signed");
}

#[test]
fn a_version_1_export_is_explained_then_migrated() {
    let (dir, key, hex) = node();
    let data = dir.path();
    let mut chain = Chain::default();
    let entries: Vec<Entry> = (1..=3).map(|i| chain.append(event(i, "us"))).collect();
    let cp = Checkpoint::sign(&key, &chain, "2026-11-25T11:00:00.000Z");
    let v1 = ledger::export_v1(&key.verifying_key(), &entries, &[cp]);
    let (f1, f2) = (data.join("v1.jsonl"), data.join("v2.jsonl"));
    std::fs::write(&f1, v1).unwrap();
    let o = pacto(data, &["ledger", "verify", "--file", f1.to_str().unwrap(), "--public-key", &hex]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("this is a version 1 export (3 entries, 1 signed chain checkpoints"), "{}", out(&o));
    let o = pacto(data, &["ledger", "migrate", "--file", f1.to_str().unwrap(), "-o", f2.to_str().unwrap()]);
    assert!(o.status.success(), "{}", out(&o));
    let text = std::fs::read_to_string(&f2).unwrap();
    assert_eq!(tlog::verify_export(&text, &key.verifying_key(), None).unwrap().entries, 3);
    let o = pacto(data, &["ledger", "verify", "--file", f2.to_str().unwrap(), "--public-key", &hex]);
    assert!(o.status.success(), "{}", out(&o));
}
