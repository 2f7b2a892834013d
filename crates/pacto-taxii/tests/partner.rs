//! A partner with valid credentials reads exactly what its sharing agreement allows, redacted,
//! on every read path, and every object version served lands in the disclosure ledger. It
//! cannot write outside its drop box, delete, or learn what exists beyond its agreement.

mod common;

use std::collections::BTreeSet;

use common::*;
use pacto_stix::Tlp;

use serde_json::{Value, json};

const AGREEMENT: &str = r#"
partner = "partner"
dropbox = "dropbox"
[[share]]
collection = "intel"
max_tlp = "amber"
types = ["indicator", "relationship", "threat-actor", "report"]
labels_none = ["informant"]
redact = ["x_informant_name"]
"#;

const OBJ: &str = "/api/collections/intel/objects/";

fn id(ty: &str, n: u32) -> String {
    format!("{ty}--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f")
}

fn sdo(ty: &str, n: u32, tlp: Option<Tlp>, extra: Value) -> Value {
    let mut v = json!({"type": ty, "spec_version": "2.1", "id": id(ty, n), "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z"});
    if let Some(t) = tlp {
        v["object_marking_refs"] = json!([t.marking_id()]);
    }
    v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    v
}

fn indicator(n: u32, tlp: Option<Tlp>, extra: Value) -> Value {
    let mut e = json!({"pattern": "[ipv4-addr:value = '203.0.113.5']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    e.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    sdo("indicator", n, tlp, e)
}

/// The collection: what should go (ids 1..) and what must not.
fn contents() -> Vec<Value> {
    vec![
        indicator(1, Some(Tlp::Green), json!({"description": "courier phone", "x_informant_name": "J. Doe"})),
        indicator(
            2,
            Some(Tlp::Amber),
            json!({"granular_markings": [{"marking_ref": Tlp::Red.marking_id(), "selectors": ["description"]}], "description": "source: informant 7"}),
        ),
        indicator(3, Some(Tlp::Red), json!({})),
        indicator(4, None, json!({})),
        indicator(5, Some(Tlp::Green), json!({"labels": ["informant"]})),
        sdo("malware", 6, Some(Tlp::Clear), json!({"name": "m", "is_family": true})),
        sdo("threat-actor", 7, Some(Tlp::Amber), json!({"name": "Northern route network"})),
        sdo("threat-actor", 8, Some(Tlp::Red), json!({"name": "the informant's handler"})),
        sdo(
            "relationship",
            9,
            Some(Tlp::Green),
            json!({"relationship_type": "indicates", "source_ref": id("indicator", 1), "target_ref": id("threat-actor", 7)}),
        ),
        sdo(
            "relationship",
            10,
            Some(Tlp::Green),
            json!({"relationship_type": "indicates", "source_ref": id("indicator", 1), "target_ref": id("threat-actor", 8)}),
        ),
        sdo(
            "report",
            11,
            Some(Tlp::Amber),
            json!({"name": "route", "published": "2026-01-01T00:00:00Z",
            "object_refs": [id("indicator", 1), id("indicator", 3), id("threat-actor", 8), id("threat-actor", 7)]}),
        ),
    ]
}

fn partner_node() -> Node {
    partner_node_holding(AGREEMENT, vec![contents()])
}

fn get(node: &Node, path: &str) -> Resp {
    send(node, Req::get(path, "partner"))
}

fn ids(v: &Value) -> BTreeSet<String> {
    v["objects"]
        .as_array()
        .map_or(BTreeSet::new(), |a| a.iter().map(|o| o["id"].as_str().unwrap().to_string()).collect())
}

fn expected() -> BTreeSet<String> {
    [id("indicator", 1), id("indicator", 2), id("threat-actor", 7), id("relationship", 9), id("report", 11)]
        .into_iter()
        .collect()
}

#[test]
fn the_partner_receives_exactly_its_agreement() {
    let node = partner_node();
    let r = get(&node, OBJ);
    assert_eq!(r.status, 200);
    let page = r.json();
    assert_eq!(ids(&page), expected());
    let by_id = |n: &str| page["objects"].as_array().unwrap().iter().find(|o| o["id"] == n).unwrap().clone();
    let i1 = by_id(&id("indicator", 1));
    assert!(i1.get("x_informant_name").is_none(), "redacted");
    assert_eq!(i1["description"], "courier phone");
    let i2 = by_id(&id("indicator", 2));
    assert!(i2.get("description").is_none(), "the part marked TLP:RED is cut");
    assert!(i2.get("granular_markings").is_none());
    let report = by_id(&id("report", 11));
    assert_eq!(
        report["object_refs"],
        json!([id("indicator", 1), id("threat-actor", 7)]),
        "references to withheld objects dropped"
    );
    // Collections: the shared one (read) and the drop box (write); nothing else exists for it.
    let cols = get(&node, "/api/collections/").json();
    let mut seen: Vec<(String, bool, bool)> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["title"].as_str().unwrap().to_string(),
                c["can_read"].as_bool().unwrap(),
                c["can_write"].as_bool().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(seen, vec![("dropbox collection".into(), false, true), ("intel collection".into(), true, false)]);
}

#[test]
fn no_read_path_leaks_a_withheld_object() {
    let node = partner_node();
    let withheld = [
        id("indicator", 3),
        id("indicator", 4),
        id("indicator", 5),
        id("malware", 6),
        id("threat-actor", 8),
        id("relationship", 10),
    ];
    let missing = id("indicator", 0xfff);
    for w in &withheld {
        for sub in ["", "versions/"] {
            let a = get(&node, &format!("{OBJ}{w}/{sub}"));
            let b = get(&node, &format!("{OBJ}{missing}/{sub}"));
            assert_eq!((a.status, a.text()), (b.status, b.text()), "{w} {sub}");
            assert_eq!(a.status, 404);
        }
        for q in [
            format!("match[id]={w}"),
            format!("match[id]={w}&match[version]=all"),
            format!("match[id]={w}&match[version]=first"),
        ] {
            let o = get(&node, &format!("{OBJ}?{q}"));
            assert_eq!(o.json()["objects"], serde_json::json!([]), "{q}");
            assert!(o.header("x-taxii-date-added-first").is_none());
            let m = get(&node, &format!("/api/collections/intel/manifest/?{q}"));
            assert!(m.json().get("objects").is_none(), "manifest {q}");
        }
    }
    assert_eq!(get(&node, &format!("{OBJ}?match[type]=malware")).json()["objects"], serde_json::json!([]));
    // The manifest lists exactly the disclosed objects.
    let m = get(&node, "/api/collections/intel/manifest/").json();
    assert_eq!(ids(&m), expected());
    // Paging one by one gives the same set; `more` and `next` count only what it may see.
    let mut seen = BTreeSet::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = next.as_ref().map_or("?limit=1".to_string(), |n| format!("?limit=1&next={n}"));
        let p = get(&node, &format!("{OBJ}{q}")).json();
        pages += 1;
        seen.extend(ids(&p));
        match p["next"].as_str() {
            Some(n) => next = Some(n.to_string()),
            None => {
                assert_eq!(p["more"], false);
                break;
            }
        }
    }
    assert_eq!(seen, expected());
    assert_eq!(pages, 5, "exactly one page per disclosed object: no empty page hints at a withheld one");
    // The other collections do not exist for it.
    for c in ["secret", "no-such"] {
        assert_eq!(get(&node, &format!("/api/collections/{c}/objects/")).status, 404);
    }
}

#[test]
fn the_partner_cannot_write_or_delete_on_our_soil() {
    let node = partner_node();
    let body = envelope(&[indicator(0x100, Some(Tlp::Green), json!({}))]);
    assert_eq!(send(&node, Req::post(OBJ, "partner", &body)).status, 403);
    assert_eq!(send(&node, Req::post("/api/collections/secret/objects/", "partner", &body)).status, 404);
    let path = format!("{OBJ}{}/", id("indicator", 1));
    let del = Req { method: "DELETE", ..Req::get(&path, "partner") };
    assert_eq!(send(&node, del).status, 403);
    // Its drop box takes writes, and it cannot read them back.
    assert_eq!(send(&node, Req::post("/api/collections/dropbox/objects/", "partner", &body)).status, 202);
    assert_eq!(get(&node, "/api/collections/dropbox/objects/").status, 403);
    // Our data is unchanged.
    let ours = send(&node, Req::get(OBJ, "admin")).json();
    assert_eq!(ours["objects"].as_array().unwrap().len(), contents().len());
}

#[test]
fn every_disclosure_is_in_the_ledger_and_the_ledger_verifies() {
    let node = partner_node();
    get(&node, OBJ);
    get(&node, &format!("{OBJ}{}/", id("indicator", 1)));
    get(&node, "/api/collections/intel/manifest/"); // names what exists: its own entry kind
    let s = node.store();
    let rows = s.ledger_entries(0, None, 1000).unwrap();
    let entries: Vec<pacto_federation::ledger::Entry> =
        rows.iter().map(|(_, t)| serde_json::from_str(t).unwrap()).collect();
    let of_kind = |k: &str| entries.iter().filter(|e| e.kind == k).count();
    assert_eq!(of_kind("disclosure"), expected().len() + 1);
    assert_eq!(of_kind("manifest"), expected().len());
    assert_eq!(of_kind("response"), 3, "each answer ends with its response entry");
    assert_eq!(entries.len(), 2 * expected().len() + 1 + 3);
    assert!(entries.iter().all(|e| e.partner == "partner" && e.collection == "intel"));
    let served: BTreeSet<String> = entries.iter().filter_map(|e| e.object_id.clone()).collect();
    assert_eq!(served, expected());
    // Each answer's head is signed: the export of the log verifies, every entry covered.
    let heads = s.ledger_heads(0, 100).unwrap();
    assert_eq!(heads.len(), 3, "one signed head per answer");
    let last = heads.last().unwrap().1.clone();
    let export = pacto_federation::ledger::log::export(
        &node.ledger_key,
        &entries,
        &[pacto_federation::ledger::log::log_verifier(&node.ledger_key).open(&last).unwrap()],
    );
    let v = pacto_federation::ledger::log::verify_export(&export, &node.ledger_key, Some(&heads[0].1)).unwrap();
    assert_eq!(v.entries, entries.len() as u64);
    // Local accounts' reads are not disclosures.
    send(&node, Req::get(OBJ, "admin"));
    assert_eq!(s.ledger_entries(0, None, 1000).unwrap().len(), entries.len());
}

/// Whatever a partner gets back, object by object, is within its agreement.
fn assert_within_agreement(r: &Resp, what: &str) {
    let allowed = expected();
    let text = r.text();
    assert!(!text.contains("J. Doe") && !text.contains("x_informant_name"), "{what}: redacted content leaked");
    assert!(!text.contains("informant 7"), "{what}: a RED part leaked");
    assert!(!text.contains("handler"), "{what}: a RED object leaked");
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        for key in ["objects", "versions"] {
            for o in v.get(key).and_then(Value::as_array).into_iter().flatten() {
                if let Some(id) = o.get("id").and_then(Value::as_str) {
                    assert!(allowed.contains(id), "{what}: {id} is beyond the agreement");
                }
                for m in o.get("object_marking_refs").and_then(Value::as_array).into_iter().flatten() {
                    let level = Tlp::from_marking_ref(m.as_str().unwrap_or_default());
                    assert!(level.is_none_or(|l| l <= Tlp::Amber), "{what}: marked above AMBER");
                }
            }
        }
    }
}

#[test]
fn an_adversarial_partner_learns_nothing_beyond_its_agreement() {
    let node = partner_node();
    // What an administrator sees: every id, version and date_added cursor in the collection.
    let m = send(&node, Req::get("/api/collections/intel/manifest/?match[version]=all", "admin")).json();
    let mut cursors: Vec<String> = Vec::new();
    let mut versions: Vec<(String, String)> = Vec::new();
    for rec in m["objects"].as_array().unwrap() {
        let t = pacto_stix::Timestamp::parse(rec["date_added"].as_str().unwrap()).unwrap();
        cursors.push(t.as_micros().to_string());
        cursors.push(rec["date_added"].as_str().unwrap().to_string());
        versions.push((rec["id"].as_str().unwrap().to_string(), rec["version"].as_str().unwrap().to_string()));
    }
    let mut requests: Vec<String> = vec![
        "/taxii2/".into(),
        "/api/".into(),
        "/api/collections/".into(),
        "/api/collections/intel/".into(),
        "/api/collections/secret/".into(),
        "/api/collections/dropbox/objects/".into(),
        "/api/collections/../secret/objects/".into(),
        "/api/collections/intel%2F..%2Fsecret/objects/".into(),
        "/api/collections/INTEL/objects/".into(),
        format!("{OBJ}?limit=0"),
        format!("{OBJ}?limit=-1"),
        format!("{OBJ}?limit=99999999999999999999"),
        format!("{OBJ}?next=abc"),
        format!("{OBJ}?next=-1"),
        format!("{OBJ}?next=0"),
        format!("{OBJ}?added_after=1970-01-01T00:00:00Z"),
        format!("{OBJ}?match[type]=indicator,malware,threat-actor"),
        format!("{OBJ}?match[version]=all&match[spec_version]=2.0,2.1"),
        format!("{OBJ}?match[id]=%27%20OR%201=1%20--"),
        format!("{OBJ}?match[id]=indicator--00000003-17d4-4cbf-938f-98ee46b3cd3f,{}", id("threat-actor", 8)),
    ];
    for c in &cursors {
        requests.push(format!("{OBJ}?next={c}&limit=1"));
        requests.push(format!("{OBJ}?added_after={c}&limit=2&match[version]=all"));
        requests.push(format!("/api/collections/intel/manifest/?next={c}&limit=1"));
    }
    for (i, v) in &versions {
        requests.push(format!("{OBJ}?match[id]={i}&match[version]={v}"));
        requests.push(format!("{OBJ}{i}/?match[version]={v}"));
        requests.push(format!("{OBJ}{i}/versions/"));
        requests.push(format!("/api/collections/intel/manifest/?match[id]={i}&match[version]=first,last,{v}"));
        requests.push(format!("/api/collections/secret/objects/{i}/"));
    }
    for path in &requests {
        let r = get(&node, path);
        assert!(r.status != 500, "{path}: {}", r.text());
        assert_within_agreement(&r, path);
        if let Some(first) = r.header("x-taxii-date-added-first") {
            let page = r.json();
            let n = ["objects", "versions"].iter().filter_map(|k| page[*k].as_array()).map(Vec::len).sum::<usize>();
            assert!(n > 0, "{path}: date headers on an empty page ({first})");
        }
    }
    // A status someone else created is not there for it.
    let status =
        send(&node, Req::post(OBJ, "admin", &envelope(&[indicator(0x200, Some(Tlp::Green), json!({}))]))).json();
    let r = get(&node, &format!("/api/status/{}/", status["id"].as_str().unwrap()));
    assert_eq!(r.status, 404);
    // Writes anywhere but the drop box, deletes anywhere, other methods: refused, nothing changed.
    let before = send(&node, Req::get(&format!("{OBJ}?match[version]=all"), "admin")).json();
    let body = envelope(&[indicator(0x300, Some(Tlp::Green), json!({}))]);
    for coll in ["intel", "secret", "no-such", "INTEL"] {
        let r = send(&node, Req::post(&format!("/api/collections/{coll}/objects/"), "partner", &body));
        assert!(r.status == 403 || r.status == 404, "{coll}: {}", r.status);
    }
    for (i, _) in &versions {
        let path = format!("{OBJ}{i}/");
        let r = send(&node, Req { method: "DELETE", ..Req::get(&path, "partner") });
        assert!(r.status == 403 || r.status == 404, "{i}: {}", r.status);
    }
    for method in ["PUT", "PATCH"] {
        let r = send(&node, Req { method, ..Req::post(OBJ, "partner", &body) });
        assert_eq!(r.status, 405, "{method}");
    }
    let after = send(&node, Req::get(&format!("{OBJ}?match[version]=all"), "admin")).json();
    assert_eq!(before, after, "the partner changed nothing on our soil");
}
