//! A partner attacking through its own credentials: what it may not see must leave no trace —
//! not in which version counts as first or last, not in redacted copies of a property, not in
//! the spacing of `date_added` values, not in how its drop box answers — and every read that
//! names what exists (manifest, versions) is in the ledger.

mod common;

use std::collections::BTreeSet;

use common::*;
use pacto_federation::agreement::Agreement;
use pacto_stix::Tlp;

use serde_json::{Value, json};

const AGREEMENT: &str = r#"
partner = "partner"
dropbox = "dropbox"
[[share]]
collection = "intel"
max_tlp = "amber"
redact = ["x_informant_name", "x_case.officer"]
"#;

const OBJ: &str = "/api/collections/intel/objects/";
const MANIFEST: &str = "/api/collections/intel/manifest/";

fn id(ty: &str, n: u32) -> String {
    format!("{ty}--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f")
}

fn t(minute: u32) -> String {
    format!("2026-01-01T00:{minute:02}:00.000Z")
}

fn indicator(n: u32, modified: u32, tlp: Tlp) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": id("indicator", n), "created": t(0), "modified": t(modified),
           "pattern": "[ipv4-addr:value = '203.0.113.5']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
           "object_marking_refs": [tlp.marking_id()]})
}

fn node_holding(batches: Vec<Vec<Value>>) -> Node {
    partner_node_holding(AGREEMENT, batches)
}

fn get(node: &Node, path: &str) -> Resp {
    send(node, Req::get(path, "partner"))
}

/// (id, version) of each object in a page or manifest.
fn versions_of(v: &Value) -> BTreeSet<(String, String)> {
    v["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let version = o.get("modified").or_else(|| o.get("version")).and_then(Value::as_str).unwrap();
            (o["id"].as_str().unwrap().to_string(), version.to_string())
        })
        .collect()
}

#[test]
fn first_and_last_are_the_first_and_last_versions_the_partner_may_see() {
    // 0x50: GREEN, RED, AMBER, RED — its last visible version is the AMBER one.
    // 0x51: RED, GREEN — its first visible version is the GREEN one.
    let node = node_holding(vec![vec![
        indicator(0x50, 1, Tlp::Green),
        indicator(0x50, 2, Tlp::Red),
        indicator(0x50, 3, Tlp::Amber),
        indicator(0x50, 4, Tlp::Red),
        indicator(0x51, 1, Tlp::Red),
        indicator(0x51, 2, Tlp::Green),
    ]]);
    let (a, b) = (id("indicator", 0x50), id("indicator", 0x51));
    let pair = |i: &str, m: u32| (i.to_string(), t(m));
    let last: BTreeSet<_> = [pair(&a, 3), pair(&b, 2)].into();
    let first: BTreeSet<_> = [pair(&a, 1), pair(&b, 2)].into();
    let all: BTreeSet<_> = [pair(&a, 1), pair(&a, 3), pair(&b, 2)].into();
    for (query, want) in [("", &last), ("?match[version]=last", &last), ("?match[version]=first", &first)] {
        assert_eq!(versions_of(&get(&node, &format!("{OBJ}{query}")).json()), *want, "objects {query}");
        assert_eq!(versions_of(&get(&node, &format!("{MANIFEST}{query}")).json()), *want, "manifest {query}");
    }
    assert_eq!(versions_of(&get(&node, &format!("{OBJ}?match[version]=all")).json()), all);
    assert_eq!(versions_of(&get(&node, &format!("{OBJ}?match[version]=first,last")).json()), all);
    for (i, m_last, m_first) in [(&a, 3, 1), (&b, 2, 2)] {
        let r = get(&node, &format!("{OBJ}{i}/"));
        assert_eq!(r.status, 200, "{i}");
        assert_eq!(versions_of(&r.json()), [pair(i, m_last)].into(), "object {i}");
        let r = get(&node, &format!("{OBJ}{i}/?match[version]=first"));
        assert_eq!(versions_of(&r.json()), [pair(i, m_first)].into(), "object {i} first");
    }
    let v = get(&node, &format!("{OBJ}{a}/versions/")).json();
    assert_eq!(v["versions"], json!([t(1), t(3)]));
    // Asking for a withheld version by name is exactly like asking for one that never existed.
    let withheld = get(&node, &format!("{OBJ}{a}/?match[version]={}", t(4)));
    let never = get(&node, &format!("{OBJ}{a}/?match[version]={}", t(9)));
    assert_eq!((withheld.status, withheld.text()), (never.status, never.text()));
}

#[test]
fn a_redacted_property_leaves_in_no_form() {
    let actor = id("threat-actor", 0x60);
    let ext = "extension-definition--6b1c3f6e-6a5a-4a5c-9c7e-0f4c2b3a1d10";
    let objects = vec![
        json!({"type": "threat-actor", "spec_version": "2.1", "id": actor, "created": t(0), "modified": t(0),
               "name": "Red Norte", "x_informant_name": "Juan Informante",
               "x_case": {"officer": "Sgt Escobedo", "number": "CASE-42"},
               "extensions": {ext: {"extension_type": "property-extension", "x_informant_name": "Juan Informante",
                                    "notes": [{"x_informant_name": "Juan Informante", "seen": "border"}]}},
               "object_marking_refs": [Tlp::Green.marking_id()]}),
        json!({"type": "language-content", "spec_version": "2.1", "id": id("language-content", 0x61),
               "created": t(0), "modified": t(0), "object_ref": actor, "object_modified": t(0),
               "contents": {"en": {"name": "Northern Red", "x_informant_name": "Juan Informante",
                                   "x_case": {"officer": "Sgt Escobedo", "number": "CASE-42"}}},
               "object_marking_refs": [Tlp::Green.marking_id()]}),
    ];
    let node = node_holding(vec![objects]);
    let paths = [
        OBJ.to_string(),
        format!("{OBJ}{actor}/"),
        format!("{OBJ}{}/", id("language-content", 0x61)),
        format!("{OBJ}?match[version]=all"),
    ];
    for p in &paths {
        let r = get(&node, p);
        assert_eq!(r.status, 200, "{p}");
        let text = r.text();
        assert!(!text.contains("Juan"), "{p}: the informant's name left: {text}");
        assert!(!text.contains("Escobedo"), "{p}: a redacted nested path left: {text}");
        assert!(text.contains("CASE-42"), "{p}: what is not redacted stays");
    }
    let page = get(&node, OBJ).json();
    assert_eq!(page["objects"].as_array().unwrap().len(), 2, "both objects still go, redacted");
}

/// The partner's date_added values for two disclosed objects of one batch with `between`
/// withheld objects stored between them.
fn gap_between_disclosed(between: u32) -> i64 {
    let mut batch = vec![indicator(1, 1, Tlp::Green)];
    batch.extend((0..between).map(|n| indicator(0x1000 + n, 1, Tlp::Red)));
    batch.push(indicator(2, 1, Tlp::Green));
    let node = node_holding(vec![batch]);
    let m = get(&node, MANIFEST).json();
    let added: Vec<i64> = m["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| pacto_stix::Timestamp::parse(r["date_added"].as_str().unwrap()).unwrap().as_micros())
        .collect();
    assert_eq!(added.len(), 2);
    added[1] - added[0]
}

#[test]
fn date_added_gaps_do_not_count_withheld_objects() {
    let without = gap_between_disclosed(0);
    let with = gap_between_disclosed(200);
    assert!(with > 0 && without > 0, "strictly increasing");
    assert_eq!(with, without, "200 withheld objects between two disclosed ones must not widen the gap");
}

#[test]
fn the_drop_box_is_written_by_its_partner_alone() {
    let node = node_holding(vec![]);
    let body = envelope(&[indicator(0x70, 1, Tlp::Green)]);
    // Nobody else writes into a partner's drop box — not even an administrator — so whatever
    // the partner finds there (an id and version already taken) is its own.
    let r = send(&node, Req::post("/api/collections/dropbox/objects/", "admin", &body));
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.text().contains("drop box"), "{}", r.text());
    // An account that could only write there no longer sees it at all.
    let r = send(&node, Req::post("/api/collections/dropbox/objects/", "dropper", &body));
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(send(&node, Req::post("/api/collections/dropbox/objects/", "partner", &body)).status, 202);
    // Two partners cannot share one drop box.
    let other = Agreement::parse("partner = \"other\"\ndropbox = \"dropbox\"\n").unwrap();
    let mine = Agreement::parse(AGREEMENT).unwrap();
    let err = pacto_federation::agreement::check_all(&[mine, other]).unwrap_err();
    assert!(err.to_string().contains("dropbox"), "{err}");
}

#[test]
fn manifest_and_versions_reads_are_in_the_ledger() {
    let node = node_holding(vec![vec![
        indicator(0x80, 1, Tlp::Green),
        indicator(0x80, 2, Tlp::Green),
        indicator(0x81, 1, Tlp::Red),
    ]]);
    let a = id("indicator", 0x80);
    assert_eq!(get(&node, MANIFEST).status, 200);
    assert_eq!(get(&node, &format!("{OBJ}{a}/versions/")).status, 200);
    let s = node.store();
    let entries: Vec<pacto_federation::ledger::Entry> =
        s.ledger_entries(0, None, 1000).unwrap().iter().map(|(_, t)| serde_json::from_str(t).unwrap()).collect();
    let kinds: Vec<(String, Option<String>, Option<String>)> = entries
        .iter()
        .filter(|e| e.kind != "response")
        .map(|e| (e.kind.clone(), e.object_id.clone(), e.object_version.clone()))
        .collect();
    // Each answer ends with its response entry (what the partner's receipt proves).
    let answers: Vec<&str> =
        entries.iter().filter(|e| e.kind == "response").filter_map(|e| e.object_version.as_deref()).collect();
    assert_eq!(answers, ["manifest 1", "versions 2"]);
    assert_eq!(
        kinds,
        vec![
            ("manifest".to_string(), Some(a.clone()), Some(t(2))),
            ("versions".to_string(), Some(a.clone()), Some(t(1))),
            ("versions".to_string(), Some(a.clone()), Some(t(2))),
        ]
    );
    assert!(entries.iter().all(|e| e.partner == "partner" && e.collection == "intel"));
}

#[test]
fn a_hidden_newer_version_changes_nothing_the_partner_sees_of_what_refers_to_it() {
    let target = id("indicator", 0x90);
    let rel = json!({"type": "relationship", "spec_version": "2.1", "id": id("relationship", 0x91),
        "created": t(0), "modified": t(0), "relationship_type": "related-to",
        "source_ref": id("indicator", 0x92), "target_ref": target, "object_marking_refs": [Tlp::Green.marking_id()]});
    let node = node_holding(vec![
        vec![indicator(0x90, 1, Tlp::Green), indicator(0x92, 1, Tlp::Green), rel],
        // Later, a version of the target the partner may not see.
        vec![indicator(0x90, 2, Tlp::Red)],
    ]);
    let r = get(&node, &format!("{OBJ}{}/", id("relationship", 0x91)));
    assert_eq!(r.status, 200, "the relationship still goes: {}", r.text());
    assert_eq!(r.json()["objects"][0]["target_ref"], target);
}

/// Every answer that discloses something to a partner carries a signed receipt for exactly the
/// body it sent; local accounts get none; each receipt extends the one before when the partner
/// says which size of the log it holds; a receipt is not valid for another body.
#[test]
fn every_disclosing_answer_carries_a_receipt_for_its_exact_body() {
    use pacto_federation::ledger::receipt::{Expect, HEADER, Receipt};
    let node = node_holding(vec![vec![indicator(0xa0, 1, Tlp::Green), indicator(0xa0, 2, Tlp::Green)]]);
    let a = id("indicator", 0xa0);
    let mut held: Option<String> = None;
    for path in [OBJ.to_string(), MANIFEST.to_string(), format!("{OBJ}{a}/"), format!("{OBJ}{a}/versions/")] {
        let size = held.as_ref().map(|h| h.lines().nth(1).unwrap().to_string());
        let mut client = pacto_node::client::HttpClient::with_limits(
            &format!("http://{}/", node.addr),
            Some(("partner", PASSWORD)),
            None,
            None,
            pacto_node::client::ClientLimits { retries: 0, ..Default::default() },
        )
        .unwrap();
        if let Some(n) = &size {
            client.set_header("X-Pacto-Log-Size", n);
        }
        let r = client.call("GET", &path, Some(TAXII), None, None).unwrap();
        assert_eq!(r.status, 200, "{path}");
        let receipt = Receipt::parse(r.header(HEADER).unwrap_or_else(|| panic!("{path}: no receipt"))).unwrap();
        let x = Expect { key: &node.ledger_key, partner: "partner", body: &r.body, held: held.as_deref() };
        let v = receipt.verify(&x).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(receipt.verify(&Expect { body: b"{}", ..x }).is_err(), "{path}: valid for another body");
        held = Some(v.receipt.checkpoint.clone());
    }
    // A local account's reads are not disclosures: no ledger entry, no receipt.
    let r = send(&node, Req::get(OBJ, "admin"));
    assert_eq!(r.status, 200);
    assert!(r.header(HEADER).is_none());
}

/// A partner's cosignatures are kept only for heads this node signed and under the witness key
/// the partner first used; nothing else is taken, and local accounts are not witnesses.
#[test]
fn cosignatures_are_kept_only_for_our_heads_and_the_pinned_witness() {
    use pacto_federation::ledger::generate_key;
    use pacto_federation::ledger::receipt::{Cosignature, HEADER, Receipt};
    let node = node_holding(vec![vec![indicator(0xb0, 1, Tlp::Green)]]);
    let r = get(&node, OBJ);
    let receipt = Receipt::parse(r.header(HEADER).unwrap()).unwrap();
    let path = "/api/ledger/cosignatures/";
    let post = |user: &str, c: &Cosignature| {
        let body = serde_json::to_vec(c).unwrap();
        send(&node, Req::post(path, user, &body))
    };
    let witness = generate_key();
    let good = Cosignature::sign(&witness, &node.ledger_key, &receipt.checkpoint, 1_800_000_000).unwrap();
    // A checkpoint of another log (signed by another key) is not one of ours.
    let other_log = generate_key();
    let fake_head = pacto_federation::ledger::log::log_signer(&other_log).sign(2, [1; 32]).to_text();
    let fake = Cosignature::sign(&witness, &other_log.verifying_key(), &fake_head, 1).unwrap();
    let r = post("partner", &fake);
    assert_eq!(r.status, 400, "{}", r.text());
    // Not JSON, not a cosignature.
    assert_eq!(send(&node, Req::post(path, "partner", b"{}")).status, 400);
    // A local account is no witness.
    assert_eq!(post("admin", &good).status, 403);
    // The real one is kept, and pins the witness key; another key then is refused.
    let r = post("partner", &good);
    assert_eq!(r.status, 200, "{}", r.text());
    let intruder = Cosignature::sign(&generate_key(), &node.ledger_key, &receipt.checkpoint, 1).unwrap();
    let r = post("partner", &intruder);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("pinned"), "{}", r.text());
    let kept = node.store().cosignatures(Some("partner")).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].2, good.checkpoint);

    // The witness rotates its ledger key (its witness key): the cosignature under the new key
    // carries its key history. With the handover signed by the new key alone, or under a key
    // the history does not lead to, it is refused and nothing is kept; with the real
    // handover it is kept and the new key pinned after the old.
    use pacto_federation::ledger::{Chain, Event, log as tlog, rotation, sha256_hex};
    let next = generate_key();
    let history = |both: bool| {
        let mut chain = Chain::default();
        let first = chain.append(Event {
            time: "2026-01-01T00:00:00Z".into(),
            partner: "x".into(),
            kind: "disclosure".into(),
            collection: "c".into(),
            object_id: None,
            object_version: None,
            digest: sha256_hex(b"x"),
        });
        let rot =
            chain.append(rotation::event(&witness.verifying_key(), &next.verifying_key(), "2026-01-02T00:00:00Z"));
        let tree = tlog::tree(&[first, rot.clone()]);
        let head = if both {
            rotation::sign(&witness, &next, &tree, None).unwrap()
        } else {
            tlog::log_signer(&next).sign(tree.len(), tree.root())
        };
        rotation::KeyHistory { rotations: vec![rotation::Handover::build(rot, &tree, &head).unwrap()], head: None }
            .to_head(&tree, &head)
            .unwrap()
    };
    let r = get(&node, OBJ);
    let receipt = Receipt::parse(r.header(HEADER).unwrap()).unwrap();
    let rotated = Cosignature::sign(&next, &node.ledger_key, &receipt.checkpoint, 1_800_000_100).unwrap();
    let r = post("partner", &rotated.clone().with_keys(history(false)));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("not signed by the old key"), "{}", r.text());
    let impostor = Cosignature::sign(&generate_key(), &node.ledger_key, &receipt.checkpoint, 1).unwrap();
    let r = post("partner", &impostor.with_keys(history(true)));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("no handover from the pinned key leads to it"), "{}", r.text());
    assert_eq!(node.store().cosignatures(Some("partner")).unwrap().len(), 1, "nothing kept");
    let r = post("partner", &rotated.clone().with_keys(history(true)));
    assert_eq!(r.status, 200, "{}", r.text());
    let kept = node.store().cosignatures(Some("partner")).unwrap();
    assert_eq!(kept.len(), 2);
    let pinned = node.store().setting("partner.partner.witness_key").unwrap().unwrap();
    assert_eq!(pinned, format!("{},{}", good.witness, rotated.witness));
    // The old key signs nothing more for this witness.
    let r = post("partner", &good);
    assert_eq!(r.status, 400, "{}", r.text());
}

/// A node that never rotated its ledger key shows its partners an empty key history; a local
/// account (no partner) gets none.
#[test]
fn the_ledger_key_history_is_for_partners() {
    use pacto_federation::ledger::receipt::{HEADER, Receipt};
    let node = node_holding(vec![vec![indicator(0xb1, 1, Tlp::Green)]]);
    assert_eq!(get(&node, OBJ).status, 200);
    let r = get(&node, "/api/ledger/keys/");
    assert_eq!(r.status, 200, "{}", r.text());
    let h: pacto_federation::ledger::rotation::KeyHistory = serde_json::from_str(&r.text()).unwrap();
    assert!(h.rotations.is_empty());
    assert_eq!(r.text(), "{\"rotations\":[]}", "a log never rotated: the document is unchanged");
    assert_eq!(send(&node, Req::get("/api/ledger/keys/", "admin")).status, 403);
    // As of a head: one it signed is answered, a size it signed no head at or no size refused.
    let receipt = Receipt::parse(get(&node, OBJ).header(HEADER).unwrap()).unwrap();
    let size = pacto_federation::ledger::log::log_verifier(&node.ledger_key)
        .open(&receipt.checkpoint)
        .unwrap()
        .checkpoint
        .size;
    assert_eq!(get(&node, &format!("/api/ledger/keys/?size={size}")).status, 200);
    let r = get(&node, &format!("/api/ledger/keys/?size={}", size + 100));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("signed no head of size"), "{}", r.text());
    assert_eq!(get(&node, "/api/ledger/keys/?size=x").status, 400);
}
