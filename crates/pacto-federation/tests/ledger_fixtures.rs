//! Fixtures for independent verifiers (tests/interop/verify_ledger.py): a version 2 export, its
//! checkpoints (one cosigned by a witness), an inclusion proof and a consistency proof, all from
//! fixed keys so they are the same on every run. Checked here in Rust; written to the directory
//! named by PACTO_LEDGER_FIXTURES when it is set (tests/interop/run.sh does so).
use pacto_federation::ledger::log::{self as tlog};
use pacto_federation::ledger::*;
use pacto_log::checkpoint::Cosigner;

fn event(n: u64) -> Event {
    Event {
        time: format!("2026-11-25T10:00:{:02}.000Z", n % 60),
        partner: if n.is_multiple_of(4) { "ca".into() } else { "us".into() },
        kind: if n.is_multiple_of(5) { "psi-query".into() } else { "disclosure".into() },
        collection: "firearms".into(),
        object_id: (!n.is_multiple_of(5)).then(|| format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f")),
        object_version: (!n.is_multiple_of(5)).then(|| "2026-01-01T00:00:00.000Z".into()),
        digest: sha256_hex(format!("object {n}").as_bytes()),
    }
}

#[test]
fn fixtures_for_independent_verifiers() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let mut chain = Chain::default();
    let entries: Vec<Entry> = (1..=23).map(|i| chain.append(event(i))).collect();
    let tree = tlog::tree(&entries);
    let signer = tlog::log_signer(&key);
    let cps: Vec<_> = [10, 16, 23].iter().map(|&s| signer.sign(s, tree.root_at(s).unwrap())).collect();
    let witness = Cosigner::new("ca.example/pacto-witness", SigningKey::from_bytes(&[9; 32])).unwrap();
    let cosigned = witness.add_cosignature(&cps[2], 1_795_000_000);
    let export = tlog::export(&key.verifying_key(), &entries, &[cps[0].clone(), cps[1].clone(), cosigned.clone()]);
    let inclusion = tlog::prove_entry(&entries, &tree, &cps[2], 7).unwrap();
    let consistency = tlog::prove_consistency(&tree, &cps[0], &cps[2], &Default::default()).unwrap();

    // What the Python verifier checks, checked here first.
    let v = tlog::verify_export(&export, &key.verifying_key(), Some(&cps[0].to_text())).unwrap();
    assert_eq!((v.entries, v.checkpoints.len()), (23, 3));
    assert_eq!(witness.verifier().verify(&v.checkpoints[2]), Ok(1_795_000_000));
    inclusion.verify(&key.verifying_key()).unwrap();
    consistency.verify(&key.verifying_key()).unwrap();

    // A receipt: an answer's response entry (24) after the log of 23, signed at 24, with the
    // consistency proof from the 23 the partner said it held.
    let body = b"{\"more\":false,\"objects\":[]}".to_vec();
    let mut chain24 = chain.clone();
    let response = chain24.append(Event {
        time: "2026-11-25T10:01:00.000Z".into(),
        partner: "us".into(),
        kind: receipt::RESPONSE.into(),
        collection: "firearms".into(),
        object_id: None,
        object_version: Some("objects 0".into()),
        digest: sha256_hex(&body),
    });
    let mut tree24 = tree.clone();
    tree24.push_hash(response.leaf_hash());
    let cp24 = signer.sign(24, tree24.root());
    let r = receipt::Receipt::build(&key.verifying_key(), 24, response, &tree24, &cp24, Some(23)).unwrap();
    let held = cosigned.to_text();
    let x = receipt::Expect { key: &key.verifying_key(), partner: "us", body: &body, held: Some(&held) };
    r.verify(&x).unwrap();

    // The same log handed over to a new key after entry 23 (the rotation is entry 24, its head
    // signed by both keys), then one more entry signed by the new key alone.
    let new_key = SigningKey::from_bytes(&[8; 32]);
    let mut rchain = chain.clone();
    let mut rentries = entries.clone();
    rentries.push(rchain.append(rotation::event(
        &key.verifying_key(),
        &new_key.verifying_key(),
        "2026-11-25T10:02:00.000Z",
    )));
    let mut rtree = tree.clone();
    rtree.push_hash(rentries[23].leaf_hash());
    let handover = rotation::sign(&key, &new_key, &rtree, Some(&cps[2].checkpoint)).unwrap();
    let new_only = tlog::log_signer(&new_key).sign(24, rtree.root());
    rentries.push(rchain.append(event(25)));
    rtree.push_hash(rentries[24].leaf_hash());
    let after = tlog::log_signer(&new_key).sign(25, rtree.root());
    let rotated = tlog::export(
        &key.verifying_key(),
        &rentries,
        &[cps[0].clone(), cps[1].clone(), cps[2].clone(), handover.clone(), after.clone()],
    );
    for k in [key.verifying_key(), new_key.verifying_key()] {
        let v = tlog::verify_export(&rotated, &k, Some(&cps[0].to_text())).unwrap();
        assert_eq!((v.entries, v.keys.keys().len()), (25, 2));
    }
    // A consistency proof from the checkpoint of 10 (old key) to the head of 25 (new key),
    // carrying the key history.
    let history = rotation::KeyHistory {
        rotations: vec![rotation::Handover::build(rentries[23].clone(), &rtree, &handover).unwrap()],
        head: None,
    };
    let rotated_consistency = tlog::prove_consistency(&rtree, &cps[0], &after, &history).unwrap();
    for k in [key.verifying_key(), new_key.verifying_key()] {
        rotated_consistency.verify(&k).unwrap();
    }
    // The attack: the new key signs a head of 25 over another history (the 23 entries, then
    // two that are not the rotation), with the genuine key history tied to it. Refused: the
    // handover is not in that head's log.
    let mut other = tree.clone();
    let mut ochain = chain.clone();
    for i in 124..=125 {
        other.push_hash(ochain.append(event(i)).leaf_hash());
    }
    let other_head = tlog::log_signer(&new_key).sign(25, other.root());
    let other_history = tlog::prove_consistency(&other, &cps[0], &other_head, &history).unwrap();
    for k in [key.verifying_key(), new_key.verifying_key()] {
        let e = other_history.verify(&k).unwrap_err();
        assert!(e.contains("the newest head (size 25) does not extend the handover at entry 24"), "{e}");
    }

    if let Some(dir) = std::env::var_os("PACTO_LEDGER_FIXTURES") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let files = [
            ("export.jsonl", export),
            ("public_key.hex", public_key_hex(&key.verifying_key())),
            ("log.vkey", signer.verifier().key.vkey()),
            ("witness.vkey", witness.verifier().vkey()),
            ("checkpoint-10.txt", cps[0].to_text()),
            ("checkpoint-23.txt", cosigned.to_text()),
            ("inclusion.json", serde_json::to_string_pretty(&inclusion).unwrap()),
            ("consistency.json", serde_json::to_string_pretty(&consistency).unwrap()),
            ("receipt.txt", r.to_header()),
            ("receipt-body.json", String::from_utf8(body).unwrap()),
            ("rotated.jsonl", rotated),
            ("rotated-new-key.hex", public_key_hex(&new_key.verifying_key())),
            ("rotated-handover-new-only.txt", new_only.to_text()),
            ("rotated-consistency.json", serde_json::to_string_pretty(&rotated_consistency).unwrap()),
            ("rotated-consistency-other-history.json", serde_json::to_string_pretty(&other_history).unwrap()),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
}
