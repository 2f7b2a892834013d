//! What a person sees (`pacto_node::browse`: search, the dashboard, an object page, adopting)
//! never includes a collection the account may not read: not in hits, not in counts, not as a
//! neighbour in the graph, not by asking for it by name.

use std::sync::Arc;

use pacto_node::Caller;
use pacto_node::browse::{self, Search};
use pacto_stix::{SpecVersion, StixObject};
use pacto_store::testing::TestDatabase;
use pacto_store::{Incoming, User};
use serde_json::{Value, json};

const IND: &str = "indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44";
const HIDDEN_TOOL: &str = "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const HIDDEN_REL: &str = "relationship--11111111-17d4-4cbf-938f-98ee46b3cd3f";
const MALWARE: &str = "malware--22222222-17d4-4cbf-938f-98ee46b3cd3f";
const REL: &str = "relationship--33333333-17d4-4cbf-938f-98ee46b3cd3f";
const SIGHTING: &str = "sighting--44444444-17d4-4cbf-938f-98ee46b3cd3f";
const HIDDEN_SIGHTING: &str = "sighting--55555555-17d4-4cbf-938f-98ee46b3cd3f";
const T: &str = "2020-01-01T00:00:00.000Z";
const AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";

fn incoming(v: Value) -> Incoming {
    Incoming::new(&StixObject::from_value(v).unwrap(), SpecVersion::V21)
}

fn common(t: &str, id: &str, extra: Value) -> Incoming {
    let mut v = json!({"type": t, "spec_version": "2.1", "id": id, "created": T, "modified": T});
    v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    incoming(v)
}

fn analyst() -> Caller {
    let user = User {
        name: "analyst".into(),
        password_hash: String::new(),
        can_read: vec!["intel".into()],
        can_write: vec![],
    };
    Caller { user, agreement: None, dropboxes: Arc::default() }
}

/// `intel` (readable): an indicator, a malware it indicates, a sighting of it. `secret` (not
/// readable): a tool related to the indicator, a sighting of it, and words of its own.
fn node(db: &TestDatabase) -> pacto_store::Connection {
    let mut s = db.open();
    let intel = s.create_collection("intel", "Intel", None).unwrap();
    let secret = s.create_collection("secret", "Secret", None).unwrap();
    s.add_batch(
        &intel,
        &[
            common("indicator", IND, json!({"name": "Pagos Rápidos domain", "pattern": "[domain-name:value = 'pagos-rapidos.example']",
                "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z", "labels": ["fraud"], "object_marking_refs": [AMBER]})),
            common("malware", MALWARE, json!({"name": "PagoStealer", "is_family": true})),
            common("relationship", REL, json!({"relationship_type": "indicates", "source_ref": IND, "target_ref": MALWARE})),
            common("sighting", SIGHTING, json!({"sighting_of_ref": IND})),
        ],
    )
    .unwrap();
    s.add_batch(
        &secret,
        &[
            common("tool", HIDDEN_TOOL, json!({"name": "Informant handset Pagos"})),
            common(
                "relationship",
                HIDDEN_REL,
                json!({"relationship_type": "related-to", "source_ref": IND, "target_ref": HIDDEN_TOOL}),
            ),
            common("sighting", HIDDEN_SIGHTING, json!({"sighting_of_ref": IND})),
        ],
    )
    .unwrap();
    s
}

fn ids(found: &browse::Found) -> Vec<&str> {
    found.hits.iter().map(|h| h.id.as_str()).collect()
}

pacto_store::on_every_backend!(a_collection_without_rights_is_nowhere, |db: &TestDatabase| {
    let s = node(db);
    let who = analyst();
    // Search: the hidden tool's words find nothing; asking for the collection by name too.
    let q = |text: &str| Search { text: text.into(), limit: 50, ..Search::default() };
    let found = browse::search(&*s, &who, &q("pagos")).unwrap();
    assert_eq!(ids(&found), [MALWARE, IND]);
    assert!(browse::search(&*s, &who, &q("informant")).unwrap().hits.is_empty());
    assert!(browse::search(&*s, &who, &q(HIDDEN_TOOL)).unwrap().hits.is_empty());
    let named = Search { collections: vec!["secret".into()], ..q("") };
    assert!(browse::search(&*s, &who, &named).unwrap().hits.is_empty());
    // Counts: the dashboard lists and counts only intel; nothing of secret is new or a sighting.
    let d = browse::dashboard(&*s, &who, 0).unwrap();
    let names: Vec<&str> = d.collections.iter().map(|c| c.collection.name.as_str()).collect();
    assert_eq!(names, ["intel"]);
    assert_eq!((d.collections[0].versions, d.collections[0].new), (4, 4));
    assert!(!ids(&d.new).contains(&HIDDEN_TOOL) && ids(&d.new).len() == 4);
    assert_eq!(ids(&d.sightings), [SIGHTING]);
    // Graph neighbours: the indicator's page shows its malware and its sighting, not the
    // related tool nor the hidden sighting.
    let page = browse::object(&*s, &who, "intel", IND).unwrap();
    let others: Vec<&str> = page.relationships.iter().map(|n| n.other_id.as_str()).collect();
    assert_eq!(others, [MALWARE]);
    assert_eq!(page.relationships[0].relationship_type, "indicates");
    assert!(page.relationships[0].outgoing && page.relationships[0].other.is_some());
    assert_eq!(page.sightings.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), [SIGHTING]);
    // By name: the hidden object is "not found", as one that does not exist.
    let err = browse::object(&*s, &who, "secret", HIDDEN_TOOL).unwrap_err();
    assert!(matches!(err, pacto_node::NodeError::NotFound(_)), "{err}");
    let none = browse::object(&*s, &who, "nosuch", HIDDEN_TOOL).unwrap_err();
    assert_eq!(err.to_string().replace("tool--", ""), none.to_string().replace("tool--", ""));
});

pacto_store::on_every_backend!(search_filters_by_tlp_label_and_type, |db: &TestDatabase| {
    let s = node(db);
    let who = analyst();
    let q = |tlp: Option<&str>, labels: &[&str], types: &[&str]| Search {
        tlp: tlp.map(str::to_string),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        types: types.iter().map(|t| t.to_string()).collect(),
        limit: 50,
        ..Search::default()
    };
    assert_eq!(ids(&browse::search(&*s, &who, &q(Some("amber"), &[], &[])).unwrap()), [IND]);
    assert_eq!(ids(&browse::search(&*s, &who, &q(Some("TLP:AMBER"), &[], &[])).unwrap()), [IND]);
    assert!(browse::search(&*s, &who, &q(Some("red"), &[], &[])).unwrap().hits.is_empty());
    assert_eq!(browse::search(&*s, &who, &q(Some("none"), &[], &[])).unwrap().hits.len(), 3);
    assert_eq!(ids(&browse::search(&*s, &who, &q(None, &["fraud"], &[])).unwrap()), [IND]);
    assert_eq!(ids(&browse::search(&*s, &who, &q(None, &[], &["malware"])).unwrap()), [MALWARE]);
    let found = browse::search(&*s, &who, &q(None, &[], &[])).unwrap();
    assert_eq!(found.hits[3].tlp, Some("amber"));
    assert_eq!(found.hits[3].title, "Pagos Rápidos domain");
    // A TLP that is not one: said so.
    let err = browse::search(&*s, &who, &q(Some("purple"), &[], &[])).unwrap_err();
    assert!(err.to_string().contains("not a TLP 2.0 level"), "{err}");
    // The limit, and that more matched.
    let two = browse::search(&*s, &who, &Search { limit: 2, ..q(None, &[], &[]) }).unwrap();
    assert!(two.more && two.hits.len() == 2);
});

pacto_store::on_every_backend!(an_object_page_has_every_version_and_what_changed, |db: &TestDatabase| {
    let mut s = node(db);
    let intel = s.collection("intel").unwrap().unwrap();
    s.add_batch(
        &intel,
        &[common(
            "malware",
            MALWARE,
            json!({"name": "PagoStealer v2", "is_family": true, "modified": "2020-02-01T00:00:00.000Z"}),
        )],
    )
    .unwrap();
    let page = browse::object(&*s, &analyst(), "intel", MALWARE).unwrap();
    assert_eq!(page.versions.len(), 2);
    assert!(page.versions[0].changed.is_empty());
    assert_eq!(page.versions[1].changed, ["modified", "name"]);
    assert_eq!(page.title, "PagoStealer v2");
    // The relationship's other end, seen from the target.
    assert_eq!(page.relationships[0].other_id, IND);
    assert!(!page.relationships[0].outgoing);
});

pacto_store::on_every_backend!(adopting_needs_read_there_and_write_here, |db: &TestDatabase| {
    let mut s = node(db);
    s.create_collection("analysis", "Analysis", None).unwrap();
    let mut who = analyst();
    let err = browse::adopt(&mut *s, &who, "secret", "analysis", &[HIDDEN_TOOL.into()]).unwrap_err();
    assert!(matches!(err, pacto_node::NodeError::NotFound(_)), "{err}");
    let err = browse::adopt(&mut *s, &who, "intel", "analysis", &[IND.into()]).unwrap_err();
    assert!(matches!(err, pacto_node::NodeError::NotFound(_)), "cannot see analysis: {err}");
    who.user.can_read.push("analysis".into());
    let err = browse::adopt(&mut *s, &who, "intel", "analysis", &[IND.into()]).unwrap_err();
    assert!(matches!(err, pacto_node::NodeError::Forbidden(_)), "{err}");
    who.user.can_write.push("analysis".into());
    let out = browse::adopt(&mut *s, &who, "intel", "analysis", &[IND.into()]).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(browse::object(&*s, &who, "analysis", IND).unwrap().versions.len(), 1);
});

// What partners sent and no one decided on awaits review: adopting or dismissing takes it
// off the list (a newer version puts it back); deciding needs the right to write the
// inbound collection, and one without the right to read it sees nothing of it.
pacto_store::on_every_backend!(received_objects_await_review_until_adopted_or_dismissed, |db: &TestDatabase| {
    let mut s = node(db);
    let inbound = s.create_collection("inbound.mx", "From mx", None).unwrap();
    s.create_collection("analysis", "Analysis", None).unwrap();
    let prov = |id: &str, v: &str| pacto_store::testing::provenance(id, v, "mx", None);
    let (m, t) = (
        common("malware", MALWARE, json!({"name": "From mx", "is_family": true})),
        common("tool", HIDDEN_TOOL, json!({"name": "Handset"})),
    );
    let provs = [prov(MALWARE, &m.version), prov(HIDDEN_TOOL, &t.version)];
    s.add_synced(&inbound, &[m, t], &provs, &[], ("mx", "c1", "cursor")).unwrap();
    let reviewer = Caller {
        user: User {
            name: "reviewer".into(),
            password_hash: String::new(),
            can_read: vec!["intel".into(), "inbound.mx".into(), "analysis".into()],
            can_write: vec!["analysis".into()],
        },
        agreement: None,
        dropboxes: Arc::default(),
    };
    let d = browse::dashboard(&*s, &reviewer, 0).unwrap();
    assert_eq!(ids(&d.awaiting), [HIDDEN_TOOL, MALWARE]);
    assert_eq!(d.collections.iter().find(|c| c.inbound).unwrap().awaiting, 2);
    // One who may not read inbound.mx sees nothing awaiting, and cannot ask for it.
    assert!(browse::dashboard(&*s, &analyst(), 0).unwrap().awaiting.hits.is_empty());
    let err = browse::awaiting(&*s, &analyst(), Some("inbound.mx"), 10).unwrap_err();
    assert!(matches!(err, pacto_node::NodeError::NotFound(_)), "{err}");
    let err = browse::dismiss(&mut *s, &analyst(), "inbound.mx", &[MALWARE.into()]).unwrap_err();
    assert!(matches!(err, pacto_node::NodeError::NotFound(_)), "{err}");
    // Reading is not deciding.
    let err = browse::dismiss(&mut *s, &reviewer, "inbound.mx", &[MALWARE.into()]).unwrap_err();
    assert!(matches!(err, pacto_node::NodeError::Forbidden(_)), "{err}");
    let err = browse::dismiss_through(&mut *s, &reviewer, "inbound.mx", i64::MAX).unwrap_err();
    assert!(matches!(err, pacto_node::NodeError::Forbidden(_)), "{err}");
    // Local collections are not reviewed.
    let err = browse::dismiss(&mut *s, &reviewer, "intel", &[IND.into()]).unwrap_err();
    assert!(matches!(err, pacto_node::NodeError::BadRequest(_) | pacto_node::NodeError::Forbidden(_)), "{err}");
    // Adopting decides; so does dismissing.
    browse::adopt(&mut *s, &reviewer, "inbound.mx", "analysis", &[MALWARE.into()]).unwrap();
    assert_eq!(ids(&browse::awaiting(&*s, &reviewer, None, 10).unwrap()), [HIDDEN_TOOL]);
    let page = browse::object(&*s, &reviewer, "inbound.mx", MALWARE).unwrap();
    assert_eq!((page.reviews[0].decision, page.reviews[0].by.as_str()), (pacto_store::Decision::Adopted, "reviewer"));
    let mut decider = reviewer.clone();
    decider.user.can_write.push("inbound.mx".into());
    assert_eq!(browse::dismiss(&mut *s, &decider, "inbound.mx", &[HIDDEN_TOOL.into()]).unwrap(), 1);
    assert!(browse::awaiting(&*s, &decider, None, 10).unwrap().hits.is_empty());
    // A newer version awaits again; dismissing everything up to what was shown clears it,
    // and what arrives after that still awaits.
    let newer = common("tool", HIDDEN_TOOL, json!({"name": "Handset v2", "modified": "2020-03-01T00:00:00.000Z"}));
    s.add_synced(&inbound, std::slice::from_ref(&newer), &[prov(HIDDEN_TOOL, &newer.version)], &[], ("mx", "c1", "c2"))
        .unwrap();
    let shown = browse::awaiting(&*s, &decider, None, 10).unwrap();
    assert_eq!(ids(&shown), [HIDDEN_TOOL]);
    let latest = common(
        "malware",
        MALWARE,
        json!({"name": "From mx v2", "is_family": true, "modified": "2020-03-01T00:00:00.000Z"}),
    );
    s.add_synced(&inbound, std::slice::from_ref(&latest), &[prov(MALWARE, &latest.version)], &[], ("mx", "c1", "c3"))
        .unwrap();
    browse::dismiss_through(&mut *s, &decider, "inbound.mx", shown.hits[0].date_added).unwrap();
    assert_eq!(ids(&browse::awaiting(&*s, &decider, None, 10).unwrap()), [MALWARE]);
    // Never moved back by an older "through".
    browse::dismiss_through(&mut *s, &decider, "inbound.mx", 0).unwrap();
    assert_eq!(ids(&browse::awaiting(&*s, &decider, None, 10).unwrap()), [MALWARE]);
});

// The console's ledger page reads the newest entries back from the end: at most the limit,
// filtered by kind, object and time, and says when older ones may match too.
pacto_store::on_every_backend!(the_newest_ledger_entries_are_read_from_the_end, |db: &TestDatabase| {
    let mut s = db.open();
    let entry = |seq: u64, kind: &str, object: &str| {
        let e = json!({"seq": seq, "time": format!("2026-01-01T00:00:{:02}Z", seq % 60), "partner": if seq.is_multiple_of(2) { "mx" } else { "ca" },
            "kind": kind, "collection": "intel", "object_id": object, "object_version": null,
            "digest": "00", "prev": "00", "hash": "00"});
        (seq, e["partner"].as_str().unwrap().to_string(), e.to_string())
    };
    let rows: Vec<_> = (1..=25)
        .map(|i| {
            entry(i, if i.is_multiple_of(5) { "psi-query" } else { "disclosure" }, if i == 7 { IND } else { MALWARE })
        })
        .collect();
    s.ledger_append(&rows, None).unwrap();
    let f = |kind: Option<&str>, object: Option<&str>, since: Option<i64>| browse::LedgerFilter {
        kind: kind.map(str::to_string),
        object: object.map(str::to_string),
        since,
        ..Default::default()
    };
    let seqs = |r: &browse::Recent| r.entries.iter().map(|e| e.seq).collect::<Vec<_>>();
    let newest = browse::ledger_recent(&*s, &f(None, None, None), 3).unwrap();
    assert_eq!((seqs(&newest), newest.more), (vec![25, 24, 23], true));
    let all = browse::ledger_recent(&*s, &f(None, None, None), 100).unwrap();
    assert_eq!((all.entries.len(), all.more), (25, false));
    assert_eq!(all.kinds.get("psi-query"), Some(&5));
    let queries = browse::ledger_recent(&*s, &f(Some("psi-query"), None, None), 100).unwrap();
    assert_eq!(seqs(&queries), vec![25, 20, 15, 10, 5]);
    assert_eq!(seqs(&browse::ledger_recent(&*s, &f(None, Some(IND), None), 100).unwrap()), vec![7]);
    let t20 = pacto_stix::Timestamp::parse("2026-01-01T00:00:20Z").unwrap().as_micros();
    assert_eq!(
        seqs(&browse::ledger_recent(&*s, &f(None, None, Some(t20)), 100).unwrap()),
        (20..=25).rev().collect::<Vec<_>>()
    );
    // The same as the whole ledger read forwards, newest first.
    let (whole, kinds) = browse::ledger(&*s, &f(Some("disclosure"), None, None)).unwrap();
    let recent = browse::ledger_recent(&*s, &f(Some("disclosure"), None, None), 1000).unwrap();
    assert_eq!(whole, recent.entries);
    assert_eq!(kinds, recent.kinds);
});
