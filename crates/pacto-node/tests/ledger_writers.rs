//! The ledger as a Merkle tree log, on every backend:
//! - several processes appending at once (two servers on one database, or a server and the
//!   command line) keep one linear order: every entry lands, chained, with no gap and no fork,
//!   every head is signed, and the whole ledger exports and verifies;
//! - a database edited without the node's key is refused, not blessed: the node neither starts
//!   on it nor signs over it (the first wave's node signed a checkpoint over a forged chain at
//!   the next partner request);
//! - a database rolled back to an earlier state is caught by the head this process kept.

use pacto_federation::ledger::log as tlog;
use pacto_federation::ledger::receipt::{Expect, Receipt};
use pacto_federation::ledger::{Entry, Event, generate_key};
use pacto_node::ledger::{Log, Response};
use pacto_store::on_every_backend;
use pacto_store::testing::TestDatabase;

fn event(n: usize) -> Event {
    Event {
        time: "2026-12-02T00:00:00Z".into(),
        partner: "mx".into(),
        kind: "disclosure".into(),
        collection: "intel".into(),
        object_id: Some(format!("indicator--00000000-0000-4000-8000-{n:012}")),
        object_version: Some("2026-01-01T00:00:00.000Z".into()),
        digest: "00".repeat(32),
    }
}

fn answer<'a>(body: &'a [u8], held: Option<u64>) -> Response<'a> {
    Response { partner: "mx", collection: "intel", what: "objects 1".into(), body, held }
}

on_every_backend!(concurrent_appenders_keep_one_signed_log, |db: &TestDatabase| {
    const WRITERS: usize = 3;
    const EACH: usize = 20;
    let key = generate_key();
    let receipts: Vec<Receipt> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let mut s = db.open();
                let log = Log::new(key.clone(), None);
                scope.spawn(move || {
                    (0..EACH)
                        .map(|i| {
                            let body = format!("body {w} {i}");
                            log.append(&mut *s, vec![event(w * EACH + i)], Some(answer(body.as_bytes(), None)))
                                .unwrap()
                                .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut s = db.open();
    let rows = s.ledger_entries(0, None, usize::MAX).unwrap();
    assert_eq!(rows.len(), WRITERS * EACH * 2, "every append landed, each with its response entry");
    let entries: Vec<Entry> = rows.iter().map(|(_, t)| serde_json::from_str(t).unwrap()).collect();
    for (i, w) in entries.windows(2).enumerate() {
        assert_eq!(w[1].seq, w[0].seq + 1, "no gap at {i}");
        assert_eq!(w[1].prev, w[0].hash, "entry {} follows entry {}", w[1].seq, w[0].seq);
    }
    // Every answer's receipt verifies against its body, whichever process wrote it.
    let vk = key.verifying_key();
    for r in &receipts {
        let n: Vec<&str> = r.entry.object_version.as_deref().unwrap().split(' ').collect();
        assert_eq!(n[0], "objects");
    }
    assert_eq!(s.ledger_heads(0, usize::MAX).unwrap().len(), WRITERS * EACH, "one signed head per batch");
    let log = Log::new(key.clone(), None);
    assert_eq!(log.open(&*s).unwrap(), (WRITERS * EACH * 2) as u64);
    let (_, head) = log.signed_head(&mut *s).unwrap();
    let export = tlog::export(&vk, &entries, &[head]);
    tlog::verify_export(&export, &vk, Some(&receipts[0].checkpoint)).unwrap();
});

on_every_backend!(receipts_chain_and_prove_consistency_from_what_the_partner_held, |db: &TestDatabase| {
    let key = generate_key();
    let vk = key.verifying_key();
    let mut s = db.open();
    let log = Log::new(key.clone(), None);
    let first = log.append(&mut *s, vec![event(1), event(2)], Some(answer(b"one", None))).unwrap().unwrap();
    assert_eq!((first.first, first.entry.seq), (1, 3));
    first.verify(&Expect { key: &vk, partner: "mx", body: b"one", held: None }).unwrap();
    // Someone else's disclosures in between.
    log.append(&mut *s, vec![event(3)], None).unwrap();
    let second = log.append(&mut *s, vec![event(4)], Some(answer(b"two", Some(3)))).unwrap().unwrap();
    second.verify(&Expect { key: &vk, partner: "mx", body: b"two", held: Some(&first.checkpoint) }).unwrap();
});

on_every_backend!(a_ledger_edited_without_the_key_is_refused_not_signed, |db: &TestDatabase| {
    let key = generate_key();
    let mut s = db.open();
    let log = Log::new(key.clone(), None);
    log.append(&mut *s, (0..5).map(event).collect(), Some(answer(b"x", None))).unwrap();
    // The attacker holds the database but not the key: rewrites entry 3, re-chaining the rest
    // so the chain itself is whole again.
    let rows = s.ledger_entries(0, None, 100).unwrap();
    let mut entries: Vec<Entry> = rows.iter().map(|(_, t)| serde_json::from_str(t).unwrap()).collect();
    let mut chain = pacto_federation::ledger::Chain::default();
    let mut rewritten = Vec::new();
    for e in entries.drain(..) {
        let seq = e.seq;
        let mut ev = e.into_event();
        if seq == 3 {
            ev.partner = "someone-else".into();
        }
        rewritten.push(chain.append(ev));
    }
    for e in &rewritten {
        db.execute(&format!(
            "UPDATE ledger SET entry = '{}' WHERE seq = {}",
            serde_json::to_string(e).unwrap().replace('\'', "''"),
            e.seq
        ));
    }
    // A node starting on it refuses, naming what does not hold.
    let fresh = Log::new(key.clone(), None);
    let err = fresh.open(&*s).unwrap_err().to_string();
    assert!(err.contains("does not verify"), "{err}");
    // Nor does it sign over it at the next partner request.
    assert!(fresh.append(&mut *s, vec![event(9)], Some(answer(b"y", None))).is_err());
    assert_eq!(s.ledger_heads(0, 100).unwrap().len(), 1, "no head signed over the forged chain");
});

on_every_backend!(a_database_rolled_back_is_caught_by_the_head_kept_outside_it, |db: &TestDatabase| {
    let key = generate_key();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ledger-checkpoint");
    let mut s = db.open();
    let log = Log::new(key.clone(), Some(file.clone()));
    log.append(&mut *s, vec![event(1)], Some(answer(b"a", None))).unwrap();
    log.append(&mut *s, vec![event(2)], Some(answer(b"b", None))).unwrap();
    // Cut the last answer off, entries and head (as a restored backup would).
    db.execute("DELETE FROM ledger WHERE seq > 2");
    db.execute("DELETE FROM ledger_heads WHERE size > 2");
    let err = Log::new(key.clone(), Some(file)).open(&*s).unwrap_err().to_string();
    assert!(err.contains("does not verify") && err.contains('4'), "{err}");
    // Without the file the database alone looks whole: that is what partners' receipts are for.
    Log::new(key, None).open(&*s).unwrap();
});

on_every_backend!(an_entry_added_without_the_key_is_not_signed_over, |db: &TestDatabase| {
    let key = generate_key();
    let mut s = db.open();
    let log = Log::new(key.clone(), None);
    log.append(&mut *s, vec![event(1)], Some(answer(b"a", None))).unwrap();
    // A disclosure that never happened, chained properly after the head (no key needed).
    let (seq, text) = s.ledger_head().unwrap().unwrap();
    let last: Entry = serde_json::from_str(&text).unwrap();
    let mut chain = pacto_federation::ledger::Chain { seq, hash: last.hash };
    let forged = chain.append(event(666));
    s.ledger_append(&[(forged.seq, "mx".into(), serde_json::to_string(&forged).unwrap())], None).unwrap();
    let err = Log::new(key.clone(), None).open(&*s).unwrap_err().to_string();
    assert!(err.contains("not covered by any signed checkpoint"), "{err}");
    // The running process does not sign over it either.
    let err = log.append(&mut *s, vec![event(2)], Some(answer(b"b", None))).unwrap_err().to_string();
    assert!(err.contains("not covered"), "{err}");
    assert_eq!(s.ledger_heads(0, 10).unwrap().len(), 1);
});

on_every_backend!(a_rotation_hands_the_log_over_and_other_processes_stop_signing, |db: &TestDatabase| {
    let (old, new) = (generate_key(), generate_key());
    let mut s = db.open();
    let first = Log::new(old.clone(), None);
    let other = Log::new(old.clone(), None);
    let r1 = first.append(&mut *s, vec![event(1)], Some(answer(b"one", None))).unwrap().unwrap();
    other.append(&mut *s, vec![event(2)], None).unwrap();
    let (rotated, handover) = first.rotate(&mut *s, new.clone()).unwrap();
    assert_eq!(handover.checkpoint.size, 4);
    let r2 = rotated.append(&mut *s, vec![event(3)], Some(answer(b"two", Some(2)))).unwrap().unwrap();
    // The receipt after the handover is signed by the new key and extends the one before it.
    let (old_vk, new_vk) = (old.verifying_key(), new.verifying_key());
    assert_eq!(r2.public_key, pacto_federation::ledger::public_key_hex(&new_vk));
    let (ring, history) = rotated.key_history(&mut *s).unwrap();
    assert_eq!(ring.keys(), &[old_vk, new_vk]);
    let followed = pacto_federation::ledger::rotation::KeyRing::follow(old_vk, &history).unwrap();
    r2.verify_in(&followed, "mx", b"two", Some(&r1.checkpoint)).unwrap();
    // The history is tied to the newest head (the receipt's): the handover lies in its log.
    let newest = followed.open(&r2.checkpoint).unwrap().checkpoint;
    history.check_newest(&followed, &newest).unwrap();
    assert!(!history.rotations[0].to_head.is_empty());
    // As of the handover head itself (a receipt there): nothing to prove past it.
    let (_, at4) = rotated.key_history_at(&mut *s, Some(4)).unwrap();
    assert_eq!(at4.head.as_deref(), Some(handover.to_text().as_str()));
    assert!(at4.rotations[0].to_head.is_empty());
    pacto_federation::ledger::rotation::KeyRing::follow(old_vk, &at4).unwrap();
    // Before the rotation: no rotation to show; at a size no head was signed at: refused.
    let (_, at3) = rotated.key_history_at(&mut *s, Some(3)).unwrap();
    assert!(at3.is_empty() && at3.head.is_none());
    let e = rotated.key_history_at(&mut *s, Some(5)).unwrap_err();
    assert!(e.to_string().contains("signed no head of size 5"), "{e}");
    // A process still holding the old key stops: it signs nothing over the handover.
    let e = other.append(&mut *s, vec![event(4)], None).unwrap_err();
    assert!(e.to_string().contains("another process rotated it"), "{e}");
    // A node started with the old key refuses the log; with the new one it opens it.
    let e = Log::new(old.clone(), None).open(&*s).unwrap_err();
    assert!(e.to_string().contains("handed over to key"), "{e}");
    assert_eq!(Log::new(new.clone(), None).open(&*s).unwrap(), 6);
    // Rotating back to a key the log used before is refused.
    let e = rotated.rotate(&mut *s, old).err().unwrap();
    assert!(e.to_string().contains("signed by this key before"), "{e}");
});
