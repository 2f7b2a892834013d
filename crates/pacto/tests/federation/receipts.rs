//! Receipts and audits: a rewritten, forked or truncated ledger is caught by the partners.

use crate::common::*;

/// mx's operator rewrites mx's ledger with mx's own key, as only the log's holder can: the
/// entries kept are re-chained and a new head signed over them (and the head kept in its data
/// directory replaced). `keep` says which of the old entries stay.
fn rewrite_ledger(mx: &Node, keep: impl Fn(u64) -> bool) {
    use pacto_federation::ledger::{Chain, Entry, log as tlog};
    let mut s = mx.db.open();
    let rows = s.ledger_entries(0, None, usize::MAX).unwrap();
    let old: Vec<Entry> = rows.iter().map(|(_, t)| serde_json::from_str(t).unwrap()).collect();
    let mut chain = Chain::default();
    let new: Vec<Entry> = old.into_iter().filter(|e| keep(e.seq)).map(|e| chain.append(e.into_event())).collect();
    mx.db.execute("DELETE FROM ledger");
    mx.db.execute("DELETE FROM ledger_heads");
    let rows: Vec<(u64, String, String)> =
        new.iter().map(|e| (e.seq, e.partner.clone(), serde_json::to_string(e).unwrap())).collect();
    let key_hex = std::fs::read_to_string(mx.dir.path().join("node-key")).unwrap();
    let key = pacto_federation::ledger::signing_key_from_hex(key_hex.trim()).unwrap();
    let tree = tlog::tree(&new);
    let head = tlog::log_signer(&key).sign(tree.len(), tree.root());
    s.ledger_append(&rows, Some((head.checkpoint.size, head.to_text()))).unwrap();
    std::fs::write(mx.dir.path().join("ledger-checkpoint"), head.to_text()).unwrap();
}

/// Receipts and audits between three nodes. mx discloses to us and ca; each keeps a receipt
/// of every answer, verifies it, and audits mx's log. Then mx's operator, holding mx's key,
/// (a) deletes an entry and re-signs, (b) shows ca that rewritten history while us holds the
/// old one (a fork), and (c) truncates the log: sync refuses what does not extend what it
/// holds, and `ledger audit` names each difference, on us and on ca.
#[test]
fn receipts_and_audits_catch_a_rewritten_forked_or_truncated_ledger() {
    let mut mx = Node::new();
    let us = Node::new();
    let ca = Node::new();
    let example = root().join("examples/firearms-trafficking.json");
    assert!(mx.run(&["import", "--create", example.to_str().unwrap(), "-c", "firearms"]).status.success());
    let share = |p: &str| format!("partner = \"{p}\"\n[[share]]\ncollection = \"firearms\"\nmax_tlp = \"amber\"\n");
    let us_pw = mx.add_partner("us", &share("us"));
    let ca_pw = mx.add_partner("ca", &share("ca"));
    // A fixed port, so the partners' connections outlive mx's restarts.
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    mx.serve_on(&listen);
    us.connect("mx", &mx, "us", &us_pw);
    ca.connect("mx", &mx, "ca", &ca_pw);

    let sync = |n: &Node| n.run(&["sync", "--partner", "mx"]);
    let o = sync(&us);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!us.ids("inbound.mx").is_empty());
    // Receipts kept, checked offline, and the audit finds nothing.
    let o = us.run(&["receipts", "list", "--partner", "mx"]);
    assert!(text(&o).contains("receipts from mx shown"), "{}", text(&o));
    let o = us.run(&["receipts", "verify", "--partner", "mx"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = us.run(&["ledger", "audit", "--partner", "mx"]);
    assert!(o.status.success() && text(&o).contains("every entry stands"), "{}", text(&o));
    // Each received version names the receipt it arrived under (kept in the same transaction
    // as the page), which verifies: what the console's provenance links to.
    {
        let s = us.db.open();
        let inbound = s.collection("inbound.mx").unwrap().unwrap();
        let user = pacto_store::User {
            name: "analyst".into(),
            password_hash: String::new(),
            can_read: vec!["inbound.mx".into()],
            can_write: vec![],
        };
        let analyst = pacto_node::Caller { user, agreement: None, dropboxes: Default::default() };
        for id in us.ids("inbound.mx") {
            let prov = s.provenance(&inbound, &id).unwrap();
            let seq = prov[0].receipt.unwrap_or_else(|| panic!("{id} names no receipt: {prov:?}"));
            let kept = pacto_node::browse::receipt(&*s, &analyst, "mx", seq).unwrap();
            assert_eq!(kept.receipt.entry.seq, seq);
            assert!(kept.verified.is_ok(), "{:?}", kept.verified);
        }
        // Without the right to read what mx sends, the receipt is not there.
        let other = pacto_node::Caller {
            user: pacto_store::User { can_read: vec!["firearms".into()], ..analyst.user.clone() },
            ..analyst
        };
        let seq = s.provenance(&inbound, &us.ids("inbound.mx")[0]).unwrap()[0].receipt.unwrap();
        assert!(matches!(pacto_node::browse::receipt(&*s, &other, "mx", seq), Err(pacto_node::NodeError::NotFound(_))));
    }
    // us witnessed mx's log: mx keeps us's cosignature of the head us checked.
    assert!(text(&o).contains("every entry stands"));
    let o = mx.run(&["ledger", "cosignatures"]);
    assert!(text(&o).contains("the newest of each partner: us at "), "{}", text(&o));
    let us_cp = us.dir.path().join("mx-checkpoint");
    let o = us.run(&["receipts", "export", "--partner", "mx", "--checkpoint", "-o", us_cp.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));

    // (a) and (b): mx's operator deletes entry 2 (a disclosure to us) and re-signs; ca, which
    // held nothing of mx yet, is then shown only the rewritten history.
    mx.stop();
    rewrite_ledger(&mx, |seq| seq != 2);
    mx.serve_on(&listen);
    let o = sync(&ca);
    assert!(o.status.success(), "ca alone cannot tell: {}", text(&o));
    let o = ca.run(&["ledger", "audit", "--partner", "mx"]);
    assert!(o.status.success(), "{}", text(&o));
    // us holds receipts of the old history: its next sync refuses mx's answer, and its audit
    // names the entries that moved and the fork.
    let o = us.run(&["ledger", "audit", "--partner", "mx"]);
    let said = text(&o);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains("  entry ") && said.contains("another entry there"), "{said}");
    assert!(said.contains("the newest receipt held") && said.contains("fork"), "{said}");
    // ca, handed us's checkpoint of mx's log, finds that mx showed the two of them different
    // histories.
    let o = ca.run(&["ledger", "audit", "--partner", "mx", "--compare", us_cp.to_str().unwrap()]);
    let said = text(&o);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains("a checkpoint handed over") && said.contains("fork"), "{said}");

    // (c): mx's operator cuts the log to its first 3 entries and re-signs.
    mx.stop();
    rewrite_ledger(&mx, |seq| seq <= 3);
    mx.serve_on(&listen);
    let o = ca.run(&["ledger", "audit", "--partner", "mx"]);
    let said = text(&o);
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains("not in the partner's log of 3 entries (truncated)"), "{said}");
    assert!(said.contains("truncated or forked"), "{said}");
    // And ca's next sync refuses what the cut log discloses rather than accept it.
    let new = serde_json::json!({"type": "indicator", "spec_version": "2.1",
        "id": "indicator--7e57ab1e-17d4-4cbf-938f-98ee46b3cd3f", "created": "2026-12-01T00:00:00.000Z",
        "modified": "2026-12-01T00:00:00.000Z", "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix", "valid_from": "2026-12-01T00:00:00Z",
        "object_marking_refs": [pacto_stix::Tlp::Green.marking_id()]});
    let file = mx.dir.path().join("new.json");
    std::fs::write(&file, new.to_string()).unwrap();
    assert!(mx.run(&["import", "--create", file.to_str().unwrap(), "-c", "firearms"]).status.success());
    let o = sync(&ca);
    assert!(!o.status.success() && text(&o).contains("truncated or forked"), "{}", text(&o));
    assert!(!ca.ids("inbound.mx").contains(&"indicator--7e57ab1e-17d4-4cbf-938f-98ee46b3cd3f".to_string()));
}

/// mx hands its ledger over to a new key (`pacto ledger rotate-key`): its export verifies
/// under the old key and under the new one; us, which pinned the old key, follows the handover
/// on its next sync, and its receipts of both keys still verify and audit. A node that simply
/// signs with another key (no handover from the pinned one) is refused.
#[test]
fn a_rotated_ledger_key_is_followed_by_partners_and_an_unannounced_one_refused() {
    let mut mx = Node::new();
    let us = Node::new();
    let example = root().join("examples/firearms-trafficking.json");
    assert!(mx.run(&["import", "--create", example.to_str().unwrap(), "-c", "firearms"]).status.success());
    let share = "partner = \"us\"\n[[share]]\ncollection = \"firearms\"\nmax_tlp = \"amber\"\n";
    let pw = mx.add_partner("us", share);
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    mx.serve_on(&listen);
    us.connect("mx", &mx, "us", &pw);
    let sync = || us.run(&["sync", "--partner", "mx"]);
    assert!(sync().status.success());
    let key = |n: &Node| String::from_utf8_lossy(&n.run(&["ledger", "key"]).stdout).trim().to_string();
    let old = key(&mx);

    mx.stop();
    // A rotation cut short before its handover was committed is undone.
    let (key_file, next) = (mx.dir.path().join("node-key"), mx.dir.path().join("node-key.next"));
    let random = pacto_federation::ledger::signing_key_to_hex(&pacto_federation::ledger::generate_key());
    std::fs::write(&next, &random).unwrap();
    assert_eq!(key(&mx), old);
    assert!(!next.exists());
    let old_secret = std::fs::read(&key_file).unwrap();
    let o = mx.run(&["ledger", "rotate-key"]);
    assert!(o.status.success() && text(&o).contains("ledger key rotated at entry"), "{}", text(&o));
    let new = key(&mx);
    assert_ne!(old, new);
    assert!(!next.exists());
    // One cut short after the handover was committed (the new key not yet in place) is finished.
    let new_secret = std::fs::read(&key_file).unwrap();
    std::fs::write(&key_file, &old_secret).unwrap();
    std::fs::write(&next, &new_secret).unwrap();
    assert_eq!(key(&mx), new);
    assert!(!next.exists());
    // Either key verifies the whole export; another does not.
    let export = mx.dir.path().join("export.jsonl");
    assert!(mx.run(&["ledger", "export", "-o", export.to_str().unwrap()]).status.success());
    for k in [&old, &new] {
        let o = mx.run(&["ledger", "verify", "--file", export.to_str().unwrap(), "--public-key", k]);
        assert!(o.status.success(), "{k}: {}", text(&o));
    }
    let stranger = pacto_federation::ledger::public_key_hex(&pacto_federation::ledger::generate_key().verifying_key());
    let o = mx.run(&["ledger", "verify", "--file", export.to_str().unwrap(), "--public-key", &stranger]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(mx.run(&["ledger", "verify"]).status.success());

    // us follows the handover: the new disclosures come with receipts under the new key.
    mx.serve_on(&listen);
    let indicator = |id: &str| {
        serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": id,
            "created": "2026-12-01T00:00:00.000Z", "modified": "2026-12-01T00:00:00.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
            "valid_from": "2026-12-01T00:00:00Z",
            "object_marking_refs": [pacto_stix::Tlp::Green.marking_id()]})
    };
    let file = mx.dir.path().join("new.json");
    let first = "indicator--7e57ab1e-17d4-4cbf-938f-98ee46b3cd3f";
    std::fs::write(&file, indicator(first).to_string()).unwrap();
    assert!(mx.run(&["import", file.to_str().unwrap(), "-c", "firearms"]).status.success());
    let o = sync();
    assert!(o.status.success(), "{}", text(&o));
    assert!(us.ids("inbound.mx").contains(&first.to_string()));
    let o = us.run(&["receipts", "verify", "--partner", "mx"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = us.run(&["ledger", "audit", "--partner", "mx"]);
    assert!(o.status.success() && text(&o).contains("every entry stands"), "{}", text(&o));
    let o = us.run(&["receipts", "list", "--partner", "mx"]);
    let fp = pacto_federation::ledger::log::fingerprint(&pacto_federation::ledger::public_key_from_hex(&new).unwrap());
    assert!(text(&o).contains(&fp), "the new key is pinned: {}", text(&o));

    // us, mx's witness, rotates its own ledger key (its witness key, pinned by mx at us's
    // first cosignature): its next cosignature carries its key history, mx follows the
    // handover and keeps it. An impostor witness key (us's key replaced, no handover) is
    // refused and nothing of it kept; sync itself only warns.
    let cosignatures = || {
        let o = mx.run(&["ledger", "cosignatures"]);
        assert!(o.status.success(), "{}", text(&o));
        text(&o)
    };
    let count = |t: &str| t.lines().filter(|l| l.contains("pacto/witness/")).count();
    let before = count(&cosignatures());
    assert!(before >= 1, "{}", cosignatures());
    let us_old = key(&us);
    let o = us.run(&["ledger", "rotate-key"]);
    assert!(o.status.success(), "{}", text(&o));
    let us_new = pacto_federation::ledger::public_key_from_hex(&key(&us)).unwrap();
    assert_ne!(key(&us), us_old);
    let third = "indicator--9e57ab1e-17d4-4cbf-938f-98ee46b3cd3f";
    std::fs::write(&file, indicator(third).to_string()).unwrap();
    assert!(mx.run(&["import", file.to_str().unwrap(), "-c", "firearms"]).status.success());
    let o = sync();
    assert!(o.status.success() && text(&o).contains("cosigned its log at"), "{}", text(&o));
    let t = cosignatures();
    assert_eq!(count(&t), before + 1, "{t}");
    let witness = pacto_federation::ledger::receipt::witness_name(&us_new);
    assert!(t.lines().find(|l| l.contains("pacto/witness/")).is_some_and(|l| l.contains(&witness)), "{t}");
    let us_key = us.dir.path().join("node-key");
    let us_secret = std::fs::read(&us_key).unwrap();
    std::fs::write(&us_key, pacto_federation::ledger::signing_key_to_hex(&pacto_federation::ledger::generate_key()))
        .unwrap();
    let fourth = "indicator--ae57ab1e-17d4-4cbf-938f-98ee46b3cd3f";
    std::fs::write(&file, indicator(fourth).to_string()).unwrap();
    assert!(mx.run(&["import", file.to_str().unwrap(), "-c", "firearms"]).status.success());
    let o = sync();
    assert!(o.status.success() && !text(&o).contains("cosigned its log at"), "{}", text(&o));
    assert!(us.ids("inbound.mx").contains(&fourth.to_string()));
    assert_eq!(count(&cosignatures()), before + 1, "the impostor's cosignature is not kept");
    std::fs::write(&us_key, us_secret).unwrap();

    // An impostor: mx's node started over with a key no handover leads to (its ledger and key
    // replaced). us refuses its answers and stores nothing of them.
    mx.stop();
    mx.db.execute("DELETE FROM ledger");
    mx.db.execute("DELETE FROM ledger_heads");
    std::fs::remove_file(mx.dir.path().join("ledger-checkpoint")).unwrap();
    std::fs::remove_file(mx.dir.path().join("node-key")).unwrap();
    let second = "indicator--8e57ab1e-17d4-4cbf-938f-98ee46b3cd3f";
    std::fs::write(&file, indicator(second).to_string()).unwrap();
    assert!(mx.run(&["import", file.to_str().unwrap(), "-c", "firearms"]).status.success());
    mx.serve_on(&listen);
    let o = sync();
    assert!(!o.status.success() && text(&o).contains("no handover from the pinned key"), "{}", text(&o));
    assert!(!us.ids("inbound.mx").contains(&second.to_string()));
}
