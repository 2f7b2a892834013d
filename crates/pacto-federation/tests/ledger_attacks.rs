//! The opening attacks of issue 11, each a test. Against version 1 (`verify_export_v1`, the
//! verifier before this change) the first three pass — an edited, re-chained export with its
//! checkpoints removed, an empty or header-only export, a tail cut off at an earlier
//! checkpoint; `version_1_let_every_attack_through` pins that. Version 2 refuses each, saying
//! where and why.
use pacto_federation::ledger::log::{self, ExportError};
use pacto_federation::ledger::*;
use pacto_log::checkpoint::SignedCheckpoint;

fn event(n: u64) -> Event {
    Event {
        time: format!("2026-11-25T10:00:{:02}.000Z", n % 60),
        partner: "us".into(),
        kind: "disclosure".into(),
        collection: "firearms".into(),
        object_id: Some(format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f")),
        object_version: Some("2026-01-01T00:00:00.000Z".into()),
        digest: sha256_hex(format!("object {n}").as_bytes()),
    }
}

fn chain_of(events: impl IntoIterator<Item = Event>) -> Vec<Entry> {
    let mut chain = Chain::default();
    events.into_iter().map(|e| chain.append(e)).collect()
}

/// An honest node's ledger of `n` entries with a signed checkpoint every `every` entries and
/// one at the end.
fn honest(n: u64, every: u64, key: &SigningKey) -> (Vec<Entry>, Vec<SignedCheckpoint>) {
    let entries = chain_of((1..=n).map(event));
    let tree = log::tree(&entries);
    let signer = log::log_signer(key);
    let cps = (1..=n).filter(|i| i % every == 0 || *i == n).map(|i| signer.sign(i, tree.root_at(i).unwrap())).collect();
    (entries, cps)
}

fn verify(text: &str, key: &SigningKey, held: Option<&SignedCheckpoint>) -> Result<log::VerifiedLog, ExportError> {
    log::verify_export(text, &key.verifying_key(), held.map(|h| h.to_text()).as_deref())
}

/// The forger rewrites entry 3 (to hide who received it) and re-chains everything after it.
fn forged(entries: &[Entry]) -> Vec<Entry> {
    chain_of(entries.iter().map(|e| {
        let mut ev = event(e.seq);
        if e.seq == 3 {
            ev.partner = "nobody".into();
        }
        ev
    }))
}

#[test]
fn version_1_let_every_attack_through() {
    let key = generate_key();
    let pk = key.verifying_key();
    let mut chain = Chain::default();
    let mut entries = Vec::new();
    let mut cps = Vec::new();
    for i in 1..=8 {
        entries.push(chain.append(event(i)));
        if i % 4 == 0 {
            cps.push(Checkpoint::sign(&key, &chain, "2026-11-25T11:00:00.000Z"));
        }
    }
    assert!(verify_export_v1(&export_v1(&pk, &forged(&entries), &[]), &pk).is_ok());
    assert!(verify_export_v1("", &pk).is_ok());
    assert!(verify_export_v1(&export_v1(&pk, &[], &[]), &pk).is_ok());
    assert!(verify_export_v1(&export_v1(&pk, &entries[..4], &cps[..1]), &pk).is_ok());
}

#[test]
fn an_honest_export_verifies() {
    let key = generate_key();
    let (entries, cps) = honest(10, 4, &key);
    let text = log::export(&key.verifying_key(), &entries, &cps);
    let v = verify(&text, &key, None).unwrap();
    assert_eq!((v.entries, v.checkpoints.len(), v.extends), (10, 3, None));
    // Holding an earlier checkpoint (or the same one), the export extends it.
    assert_eq!(verify(&text, &key, Some(&cps[0])).unwrap().extends, Some(4));
    assert_eq!(verify(&text, &key, Some(&cps[2])).unwrap().extends, Some(10));
    // Another key is not trusted.
    let other = generate_key();
    let e = verify(&text, &other, None).unwrap_err();
    assert!(e.to_string().contains("line 1: the export names another public key"), "{e}");
}

#[test]
fn edited_and_rechained_with_every_checkpoint_removed_fails() {
    let key = generate_key();
    let (entries, cps) = honest(5, 2, &key);
    let text = log::export(&key.verifying_key(), &forged(&entries), &[]);
    let e = verify(&text, &key, None).unwrap_err();
    assert_eq!(e, ExportError::Uncovered { from: 1, to: 5 });
    assert_eq!(e.to_string(), "entries 1..5 are not covered by any signed checkpoint");
    // Keeping the old checkpoints does not help: the first one past the edit names the range.
    let text = log::export(&key.verifying_key(), &forged(&entries), &cps);
    let e = verify(&text, &key, None).unwrap_err();
    assert!(matches!(e, ExportError::Mismatch { from: 3, size: 4, .. }), "{e}");
    assert!(e.to_string().contains("one of entries 3..4 was edited"), "{e}");
}

#[test]
fn an_empty_or_header_only_export_fails() {
    let key = generate_key();
    assert_eq!(verify("", &key, None), Err(ExportError::Empty));
    assert_eq!(verify("\n\n", &key, None), Err(ExportError::Empty));
    let header_only = log::export(&key.verifying_key(), &[], &[]);
    assert_eq!(header_only.lines().count(), 1);
    assert_eq!(verify(&header_only, &key, None), Err(ExportError::Empty));
    // Even with a signed checkpoint of the empty log.
    let empty = log::log_signer(&key).sign(0, pacto_log::merkle::EMPTY_ROOT);
    assert_eq!(verify(&log::export(&key.verifying_key(), &[], &[empty]), &key, None), Err(ExportError::Empty));
}

#[test]
fn a_tail_cut_at_an_earlier_checkpoint_fails_for_whoever_holds_a_later_one() {
    let key = generate_key();
    let (entries, cps) = honest(8, 4, &key);
    let cut = log::export(&key.verifying_key(), &entries[..4], &cps[..1]);
    // On its own, a cut export is an older honest export …
    assert_eq!(verify(&cut, &key, None).unwrap().entries, 4);
    // … but not to a verifier holding the checkpoint of size 8.
    let e = verify(&cut, &key, Some(&cps[1])).unwrap_err();
    assert_eq!(e, ExportError::Truncated { held: 8, have: 4 });
    assert!(e.to_string().contains("entries 5..8 are missing"), "{e}");
    // A tail cut between checkpoints is not covered.
    let cut = log::export(&key.verifying_key(), &entries[..6], &cps[..1]);
    assert_eq!(verify(&cut, &key, None), Err(ExportError::Uncovered { from: 5, to: 6 }));
}

#[test]
fn a_forked_history_fails_with_a_proof_of_equivocation() {
    let key = generate_key();
    let (entries, cps) = honest(6, 3, &key);
    // The node rewrote entry 3, re-chained and re-signed with its key, and shows that to us.
    let rewritten = forged(&entries);
    let (t, signer) = (log::tree(&rewritten), log::log_signer(&key));
    let resigned: Vec<_> = [3, 6, 6].iter().map(|&s| signer.sign(s, t.root_at(s).unwrap())).collect();
    let text = log::export(&key.verifying_key(), &rewritten, &resigned[..2]);
    assert_eq!(verify(&text, &key, None).unwrap().entries, 6, "alone, the rewrite is self-consistent");
    // We held the checkpoint of size 3 from before.
    let e = verify(&text, &key, Some(&cps[0])).unwrap_err();
    let ExportError::Forked { size: 3, equivocation: Some(proof), .. } = &e else { panic!("{e:?}") };
    assert!(e.to_string().contains("the node signed two histories"), "{e}");
    proof.verify(&log::log_verifier(&key.verifying_key())).unwrap();
    // Same size: holding the honest checkpoint of size 6.
    assert!(matches!(verify(&text, &key, Some(&cps[1])), Err(ExportError::Forked { size: 6, .. })));
}

#[test]
fn an_edited_entry_is_named() {
    let key = generate_key();
    let (entries, cps) = honest(6, 2, &key);
    let mut edited = entries.clone();
    edited[2].partner = "nobody".into();
    let e = verify(&log::export(&key.verifying_key(), &edited, &cps), &key, None).unwrap_err();
    assert!(matches!(&e, ExportError::Entry { seq: 3, line: 5, .. }), "{e}");
    assert!(e.to_string().starts_with("entry 3 (line 5): its content does not match its hash"), "{e}");
    // Re-hashed but not re-chained: the next entry names the break.
    edited[2].hash = edited[2].compute_hash();
    let e = verify(&log::export(&key.verifying_key(), &edited, &cps), &key, None).unwrap_err();
    assert!(e.to_string().starts_with("entry 4 (line 6): does not follow"), "{e}");
    // Removed: the gap is named.
    let mut removed = entries.clone();
    removed.remove(3);
    let e = verify(&log::export(&key.verifying_key(), &removed, &[]), &key, None).unwrap_err();
    assert!(e.to_string().contains("where entry 4 should be"), "{e}");
    // A lone NUL where an absent object id hashes the same.
    let mut nul = entries.clone();
    nul[0].object_id = Some("\u{0}".into());
    let e = verify(&log::export(&key.verifying_key(), &nul, &cps), &key, None).unwrap_err();
    assert!(e.to_string().contains("one NUL character"), "{e}");
}

#[test]
fn a_version_1_export_says_why_and_migrates() {
    let key = generate_key();
    let pk = key.verifying_key();
    let mut chain = Chain::default();
    let mut entries = Vec::new();
    let mut cps = Vec::new();
    for i in 1..=6 {
        entries.push(chain.append(event(i)));
        if i % 3 == 0 {
            cps.push(Checkpoint::sign(&key, &chain, "2026-11-25T11:00:00.000Z"));
        }
    }
    let v1 = export_v1(&pk, &entries, &cps);
    let e = verify(&v1, &key, None).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "this is a version 1 export (6 entries, 2 signed chain checkpoints, 0 entries after the last)"
        ),
        "{e}"
    );
    assert!(e.to_string().contains("pacto ledger migrate"));
    // The node migrates it: same entries, same digests, now covered by a signed checkpoint.
    let v2 = log::migrate_v1(&v1, &key).unwrap();
    let v = verify(&v2, &key, None).unwrap();
    assert_eq!(v.entries, 6);
    assert_eq!(v.root, log::tree(&entries).root());
    for e in &entries {
        assert!(v2.contains(&e.hash));
    }
    // Another node's key cannot migrate it; a broken or unsigned v1 chain is not migrated.
    assert!(log::migrate_v1(&v1, &generate_key()).is_err());
    let tail = export_v1(&pk, &entries, &cps[..1]);
    assert!(log::migrate_v1(&tail, &key).unwrap_err().to_string().contains("never signed"));
    let mut broken = entries.clone();
    broken[1].partner = "x".into();
    assert!(log::migrate_v1(&export_v1(&pk, &broken, &cps), &key).is_err());
}

#[test]
fn the_node_refuses_to_sign_over_a_rewritten_database() {
    let key = generate_key();
    let (entries, cps) = honest(5, 5, &key);
    let last = cps.last().unwrap().to_text();
    // Growing honestly is fine.
    let mut grown = entries.clone();
    let mut chain = Chain { seq: 5, hash: entries[4].hash.clone() };
    grown.push(chain.append(event(6)));
    let next = log::sign_head(&key, &log::tree(&grown), Some(&last)).unwrap();
    assert_eq!(next.checkpoint.size, 6);
    // Rewritten, or cut: refused, and said so.
    let e = log::sign_head(&key, &log::tree(&forged(&entries)), Some(&last)).unwrap_err();
    assert!(e.to_string().contains("the log's first 5 entries are not those signed before"), "{e}");
    let e = log::sign_head(&key, &log::tree(&entries[..3]), Some(&last)).unwrap_err();
    assert!(e.to_string().contains("the log shrank"), "{e}");
}

#[test]
fn malformed_lines_and_checkpoints_say_where() {
    let key = generate_key();
    let (entries, cps) = honest(3, 3, &key);
    let text = log::export(&key.verifying_key(), &entries, &cps);
    let lines: Vec<&str> = text.lines().collect();
    let with = |i: usize, l: &str| {
        let mut v = lines.clone();
        v[i] = l;
        v.join("\n")
    };
    let cases = [
        (with(2, "{"), "line 3: not an export line"),
        (with(2, r#"{"checkpoint":5}"#), "line 3: a checkpoint is the signed note's text"),
        (with(4, r#"{"checkpoint":"x\n\n— k AAAAAAA=\n"}"#), "line 5: the checkpoint does not verify"),
        (with(0, r#"{"format":"pacto-ledger","version":3}"#), "line 1: version 3"),
        (with(0, r#"{"format":"other","version":2}"#), "line 1: not a pacto ledger export"),
        (with(1, lines[0]), "line 2: a second header"),
        (lines[1..].join("\n"), "line 1: the export does not start with a header"),
        (with(2, r#"{"entry":{},"x":1}"#), "line 3: not an export line"),
    ];
    for (t, want) in cases {
        let e = verify(&t, &key, None).unwrap_err().to_string();
        assert!(e.starts_with(want), "{e:?} (wanted {want:?})");
    }
    // A checkpoint out of place.
    let moved = [lines[0], lines[4], lines[1], lines[2], lines[3]].join("\n");
    let e = verify(&moved, &key, None).unwrap_err().to_string();
    assert!(e.contains("must come right after entry 3, not after entry 0"), "{e}");
    // A held checkpoint that is not this log's.
    let other = log::log_signer(&generate_key()).sign(1, [0; 32]).to_text();
    let e = log::verify_export(&text, &key.verifying_key(), Some(&other)).unwrap_err().to_string();
    assert!(e.starts_with("the checkpoint you hold:"), "{e}");
}

#[test]
fn entries_with_json_escapes_verify_and_are_checked_alike() {
    let key = generate_key();
    let mut events: Vec<Event> = (1..=3).map(event).collect();
    events[1].partner = "o'brien \"quoted\" \\ tab\t".into();
    let entries = chain_of(events);
    let t = log::tree(&entries);
    let cp = log::log_signer(&key).sign(3, t.root());
    let text = log::export(&key.verifying_key(), &entries, std::slice::from_ref(&cp));
    assert!(text.contains(r#"\"quoted\""#));
    assert_eq!(verify(&text, &key, None).unwrap().entries, 3);
    let edited = text.replace(r#"\"quoted\""#, r#"\"QUOTED\""#);
    let e = verify(&edited, &key, None).unwrap_err();
    assert!(e.to_string().starts_with("entry 2 (line 3): its content does not match its hash"), "{e}");
}

/// Exports of 20,000 lines and more are read on several threads: the verdicts are the same.
#[test]
fn a_large_export_is_read_in_parallel_with_the_same_verdicts() {
    let key = generate_key();
    let (entries, cps) = honest(21_000, 5_000, &key);
    let text = log::export(&key.verifying_key(), &entries, &cps);
    assert_eq!(verify(&text, &key, Some(&cps[1])).unwrap().entries, 21_000);
    let mut edited = entries.clone();
    edited[20_499].partner = "nobody".into();
    let e = verify(&log::export(&key.verifying_key(), &edited, &cps), &key, None).unwrap_err();
    assert!(matches!(e, ExportError::Entry { seq: 20_500, .. }), "{e}");
    let mut gone = entries.clone();
    gone.remove(15_000);
    let e = verify(&log::export(&key.verifying_key(), &gone, &[]), &key, None).unwrap_err();
    assert!(e.to_string().starts_with("entry 15002 (line 15002): found where entry 15001 should be"), "{e}");
    assert_eq!(
        verify(&log::export(&key.verifying_key(), &entries, &cps[..4]), &key, None),
        Err(ExportError::Uncovered { from: 20_001, to: 21_000 })
    );
}

/// A log of 8 entries signed by `old` (head at 5), handed over to `new` at entry 9 (its head
/// signed by both), then 3 more entries under `new` (head at 12): the old head, the history as
/// `GET …/ledger/keys/` serves it, and the tree.
fn rotated(
    old: &SigningKey,
    new: &SigningKey,
) -> (SignedCheckpoint, rotation::KeyHistory, Vec<Entry>, pacto_log::merkle::Tree) {
    let mut chain = Chain::default();
    let mut entries: Vec<Entry> = (1..=8).map(|i| chain.append(event(i))).collect();
    entries.push(chain.append(rotation::event(&old.verifying_key(), &new.verifying_key(), "2026-11-25T11:00:00.000Z")));
    let mut tree = log::tree(&entries);
    let held = log::log_signer(old).sign(5, tree.root_at(5).unwrap());
    let handover = rotation::sign(old, new, &tree, Some(&held.checkpoint)).unwrap();
    let h = rotation::Handover::build(entries[8].clone(), &tree, &handover).unwrap();
    for i in 10..=12 {
        let e = chain.append(event(i));
        tree.push_hash(e.leaf_hash());
        entries.push(e);
    }
    (held, rotation::KeyHistory { rotations: vec![h], head: None }, entries, tree)
}

/// `pacto ledger prove --from` a checkpoint signed before a rotation: the proof carries the key
/// history, and a verifier trusting the old key follows it to the new key's head; a forged
/// handover, a stranger's head or a head the old key signed after handing the log over are
/// refused, each saying why.
#[test]
fn a_consistency_proof_across_a_rotation_holds_only_through_a_handover_signed_by_both_keys() {
    let (old, new) = (generate_key(), generate_key());
    let (held, history, _, tree) = rotated(&old, &new);
    let head = log::log_signer(&new).sign(12, tree.root());
    let proof = log::prove_consistency(&tree, &held, &head, &history).unwrap();
    for k in [old.verifying_key(), new.verifying_key()] {
        proof.verify(&k).unwrap();
    }
    // Through JSON, as `pacto ledger prove` prints it.
    let text = serde_json::to_string(&proof).unwrap();
    assert!(text.contains("\"keys\":{\"rotations\":[{\"entry\":"), "{text}");
    serde_json::from_str::<log::LogConsistency>(&text).unwrap().verify(&old.verifying_key()).unwrap();
    // Without the history, the old key cannot reach the new head.
    let bare = log::LogConsistency { keys: Default::default(), ..proof.clone() };
    let e = bare.verify(&old.verifying_key()).unwrap_err();
    assert!(e.starts_with("the new checkpoint:"), "{e}");

    // The handover head signed by the new key alone: whoever holds only the new key.
    let mut alone = proof.clone();
    let h = &mut alone.keys.rotations[0];
    h.checkpoint = log::log_signer(&new).sign(9, tree.root_at(9).unwrap()).to_text();
    let e = alone.verify(&old.verifying_key()).unwrap_err();
    assert!(e.contains("the handover head is not signed by the old key"), "{e}");
    // The rotation entry altered to hand over to the forger's key (its hash recomputed).
    let thief = generate_key();
    let mut altered = proof.clone();
    let h = &mut altered.keys.rotations[0];
    h.entry.object_version = Some(public_key_hex(&thief.verifying_key()));
    h.entry.hash = h.entry.compute_hash();
    let e = altered.verify(&old.verifying_key()).unwrap_err();
    assert!(e.contains("digest is not of its two keys"), "{e}");
    // … with its digest too, the head signed by the thief: the old key signed no such head.
    let h = &mut altered.keys.rotations[0];
    let ev = rotation::event(&old.verifying_key(), &thief.verifying_key(), &h.entry.time);
    h.entry.digest = ev.digest;
    h.entry.hash = h.entry.compute_hash();
    let e = altered.verify(&old.verifying_key()).unwrap_err();
    assert!(e.contains("the key rotation at entry 9"), "{e}");
    // The new head signed by a stranger (no handover leads to its key).
    let stranger = generate_key();
    let mut strange = proof.clone();
    strange.checkpoint = log::log_signer(&stranger).sign(12, tree.root()).to_text();
    let e = strange.verify(&old.verifying_key()).unwrap_err();
    assert!(e.starts_with("the new checkpoint: it is signed by none of the log's 2 keys"), "{e}");
    // A verifier trusting a stranger's key: the history does not reach it.
    let e = proof.verify(&stranger.verifying_key()).unwrap_err();
    assert!(e.contains("is none of the 2 keys"), "{e}");
    // The old key, stolen after the rotation, signs a head past the handover.
    let mut stale = proof.clone();
    stale.checkpoint = log::log_signer(&old).sign(12, tree.root()).to_text();
    let e = stale.verify(&old.verifying_key()).unwrap_err();
    assert!(e.contains("after that key handed the log over at entry 9"), "{e}");
}

/// The new key signs a head of another history: the first 8 entries of the log, then other
/// entries where the rotation was (the handover is not in it). A verifier trusting the old key
/// follows the genuine handover to the new key, and before the key history carried a proof from
/// each handover head to the newest head it took that head too. Now the history is tied to the
/// newest head and every handover must lie in its log: refused, naming the handover.
#[test]
fn a_head_the_new_key_signs_over_a_history_without_the_handover_is_refused() {
    let (old, new) = (generate_key(), generate_key());
    let (held, history, entries, tree) = rotated(&old, &new);
    let genuine = log::log_signer(&new).sign(12, tree.root());
    // The other history: entries 1 to 8, then 9 to 12 that are not the rotation.
    let mut chain = Chain { seq: 8, hash: entries[7].hash.clone() };
    let mut other = log::tree(&entries[..8]);
    for i in 109..=112 {
        other.push_hash(chain.append(event(i)).leaf_hash());
    }
    let forged = log::log_signer(&new).sign(12, other.root());
    // What the new key's holder builds: the genuine history, a proof from the old head held
    // (size 5, in both histories) to its head of the other history.
    let attack = log::LogConsistency {
        kind: "pacto-ledger-consistency".into(),
        old_checkpoint: held.to_text(),
        proof: pacto_log::merkle::ConsistencyProof {
            old_size: 5,
            new_size: 12,
            path: other.consistency_proof(5, 12).unwrap(),
        },
        checkpoint: forged.to_text(),
        keys: history.clone(),
    };
    // The history as the node would tie it to the other head (its proofs from that tree).
    let tied = log::LogConsistency { keys: history.clone().to_head(&other, &forged).unwrap(), ..attack.clone() };
    // The history tied to the genuine head, sent with the forged one.
    let genuine_tie = log::LogConsistency { keys: history.clone().to_head(&tree, &genuine).unwrap(), ..attack.clone() };
    for k in [old.verifying_key(), new.verifying_key()] {
        let e = attack.verify(&k).unwrap_err();
        assert!(e.contains("the key history carries no newest head"), "{e}");
        let e = tied.verify(&k).unwrap_err();
        assert!(e.contains("the newest head (size 12) does not extend the handover at entry 9"), "{e}");
        let e = genuine_tie.verify(&k).unwrap_err();
        assert!(e.contains("is not the newest head held"), "{e}");
    }
    // The key history alone, as `GET …/ledger/keys/` would serve it tied to the other head: a
    // partner following from the old key refuses it.
    let e = rotation::KeyRing::follow(old.verifying_key(), &tied.keys).unwrap_err();
    assert!(e.contains("does not extend the handover at entry 9"), "{e}");
    // The genuine log still verifies, tied to its head, under either key.
    let proof = log::prove_consistency(&tree, &held, &genuine, &history).unwrap();
    assert_eq!(proof.keys, genuine_tie.keys);
    for k in [old.verifying_key(), new.verifying_key()] {
        proof.verify(&k).unwrap();
    }
    // A head diverging after the handover (entries 1 to 9 kept, then others): also refused.
    let mut chain = Chain { seq: 9, hash: entries[8].hash.clone() };
    let mut after = log::tree(&entries[..9]);
    for i in 110..=112 {
        after.push_hash(chain.append(event(i)).leaf_hash());
    }
    let diverged = log::log_signer(&new).sign(12, after.root());
    let fork = log::prove_consistency(&after, &held, &diverged, &history).unwrap();
    // It lies in its own history: the handover is in it, so it holds as a log; it is a fork
    // only against the genuine head of the same size, which an equivocation proof shows.
    fork.verify(&old.verifying_key()).unwrap();
    assert!(pacto_log::consistency::Equivocation::same_size(&genuine, &diverged).is_some());
}
