//! The conformance suite: what every storage backend must do, run on each (SQLite always;
//! PostgreSQL when reachable, required in CI). A behaviour a backend must have belongs here,
//! not in a backend's own tests.

use pacto_stix::{SpecVersion, StixObject};
use pacto_store::testing::TestDatabase;
use pacto_store::{AddOutcome, Incoming, Query, StoreError, StoredObject, Versions, on_every_backend, prelude::*};
use proptest::prelude::*;
use serde_json::json;

fn obj(id: &str, modified: &str, extra: serde_json::Value) -> Incoming {
    let mut v = json!({"type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2020-01-01T00:00:00.000Z", "modified": modified,
        "pattern": "[x:y = 'z']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"});
    if let serde_json::Value::Object(m) = extra {
        v.as_object_mut().unwrap().extend(m);
    }
    Incoming::new(&StixObject::from_value(v).unwrap(), SpecVersion::V21)
}

const A: &str = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const B: &str = "indicator--11111111-17d4-4cbf-938f-98ee46b3cd3f";

fn all(store: &dyn Store, c: &pacto_store::Collection, q: &Query) -> Vec<StoredObject> {
    let mut out = Vec::new();
    store
        .scan(c, q, &mut |o| {
            out.push(o);
            Ok(())
        })
        .unwrap();
    out
}

on_every_backend!(versions_are_kept_and_identical_readds_are_noops, |db: &TestDatabase| {
    let mut s = db.open();
    let c = s.create_collection("intel", "Intel", None).unwrap();
    let out = s
        .add_batch(&c, &[obj(A, "2020-01-01T00:00:00.000Z", json!({})), obj(A, "2020-02-01T00:00:00.000Z", json!({}))])
        .unwrap();
    assert!(out.iter().all(|o| matches!(o, AddOutcome::Added { .. })));
    // Same version, same content, different text (key order, fraction digits elsewhere): unchanged.
    let again = obj(A, "2020-01-01T00:00:00.000Z", json!({}));
    assert!(matches!(s.add_batch(&c, &[again]).unwrap()[..], [AddOutcome::Unchanged { .. }]));
    // Same version written with fewer fraction digits is the same version.
    let same_instant = obj(A, "2020-01-01T00:00:00Z", json!({}));
    assert!(matches!(s.add_batch(&c, &[same_instant]).unwrap()[0], AddOutcome::Refused { .. }));
    // Same version, different content: refused, the stored one untouched.
    let changed = obj(A, "2020-02-01T00:00:00.000Z", json!({"name": "changed"}));
    assert!(matches!(s.add_batch(&c, &[changed]).unwrap()[0], AddOutcome::Refused { .. }));
    let stored = all(&*s, &c, &Query::default());
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|o| !o.raw.contains("changed")));
    let stats = s.stats(&c).unwrap();
    assert_eq!((stats.objects, stats.versions), (1, 2));
});

on_every_backend!(first_last_and_filters, |db: &TestDatabase| {
    let mut s = db.open();
    let c = s.create_collection("intel", "Intel", None).unwrap();
    // Added out of order: the middle version last.
    s.add_batch(
        &c,
        &[
            obj(A, "2020-03-01T00:00:00.000Z", json!({})),
            obj(A, "2020-01-01T00:00:00.000Z", json!({})),
            obj(B, "2020-01-01T00:00:00.000Z", json!({})),
        ],
    )
    .unwrap();
    s.add_batch(&c, &[obj(A, "2020-02-01T00:00:00.000Z", json!({}))]).unwrap();
    let last = all(&*s, &c, &Query { versions: Versions::last(), ..Query::default() });
    assert_eq!(
        last.iter().map(|o| (o.id.as_str(), &o.version[..10])).collect::<Vec<_>>(),
        vec![(A, "2020-03-01"), (B, "2020-01-01")]
    );
    let first = all(&*s, &c, &Query { versions: Versions::first(), ids: vec![A.into()], ..Query::default() });
    assert_eq!(first.len(), 1);
    assert!(first[0].version.starts_with("2020-01-01"));
    let everything = all(&*s, &c, &Query::default());
    assert_eq!(everything.len(), 4);
    let after = all(&*s, &c, &Query { added_after: Some(everything[1].date_added), ..Query::default() });
    assert_eq!(after.len(), 2);
    let limited = all(&*s, &c, &Query { limit: Some(3), types: vec!["indicator".into()], ..Query::default() });
    assert_eq!(limited.len(), 3);
    assert!(all(&*s, &c, &Query { types: vec!["malware".into()], ..Query::default() }).is_empty());
    assert!(all(&*s, &c, &Query { spec_versions: vec!["2.0".into()], ..Query::default() }).is_empty());
});

on_every_backend!(revocation_is_final, |db: &TestDatabase| {
    let mut s = db.open();
    let c = s.create_collection("intel", "Intel", None).unwrap();
    s.add_batch(
        &c,
        &[obj(A, "2020-01-01T00:00:00.000Z", json!({})), obj(A, "2020-02-01T00:00:00.000Z", json!({"revoked": true}))],
    )
    .unwrap();
    let later = s.add_batch(&c, &[obj(A, "2020-03-01T00:00:00.000Z", json!({}))]).unwrap();
    assert!(matches!(&later[0], AddOutcome::Refused { reason } if reason.contains("revoked")));
    assert_eq!(s.stats(&c).unwrap().revoked, 1);
    assert!(all(&*s, &c, &Query { exclude_revoked: true, ..Query::default() }).is_empty());
});

on_every_backend!(settings_land_with_the_objects_they_describe, |db: &TestDatabase| {
    let mut s = db.open();
    let c = s.create_collection("out", "Out", None).unwrap();
    assert_eq!(s.setting("cursor").unwrap(), None);
    let o = obj("indicator--6f2c6bba-2f6a-4c1a-8c3f-0b7d4d6a9e01", "2020-01-01T00:00:00Z", json!({}));
    let out = s
        .add_with_settings(
            Some(&c),
            std::slice::from_ref(&o),
            &[("cursor".into(), "42".into())],
            &[("cursor".into(), None)],
        )
        .unwrap();
    assert!(matches!(out[0], AddOutcome::Added { .. }));
    assert_eq!(s.setting("cursor").unwrap().as_deref(), Some("42"));
    s.add_with_settings(None, &[], &[("cursor".into(), "43".into())], &[]).unwrap();
    assert_eq!(s.setting("cursor").unwrap().as_deref(), Some("43"));
    // A writer that read the cursor before another moved it writes nothing.
    let late =
        s.add_with_settings(Some(&c), &[o], &[("cursor".into(), "44".into())], &[("cursor".into(), Some("42".into()))]);
    assert!(matches!(late, Err(pacto_store::StoreError::Conflict(_))), "{late:?}");
    assert_eq!(s.setting("cursor").unwrap().as_deref(), Some("43"));
    assert_eq!(s.stats(&c).unwrap().objects, 1);
});

on_every_backend!(a_page_without_a_limit_is_every_match, |db: &TestDatabase| {
    let mut s = db.open();
    let c = s.create_collection("intel", "Intel", None).unwrap();
    s.add_batch(&c, &[obj(A, "2020-01-01T00:00:00.000Z", json!({})), obj(B, "2020-01-01T00:00:00.000Z", json!({}))])
        .unwrap();
    let page = s.page(&c, &Query::default()).unwrap();
    assert_eq!((page.objects.len(), page.more), (2, false));
    let page = s.page(&c, &Query { ids: vec![B.to_string()], ..Query::default() }).unwrap();
    assert_eq!(page.objects.len(), 1);
});

on_every_backend!(collections_and_persistence, |db: &TestDatabase| {
    {
        let mut s = db.open();
        let c = s.create_collection("intel", "Intel", Some("d")).unwrap();
        assert!(matches!(s.create_collection("intel", "again", None), Err(StoreError::CollectionExists(_))));
        assert!(matches!(s.create_collection("bad name!", "x", None), Err(StoreError::BadName(_))));
        s.add_batch(&c, &[obj(A, "2020-01-01T00:00:00.000Z", json!({}))]).unwrap();
    }
    let s = db.open();
    let c = s.collection("intel").unwrap().unwrap();
    assert_eq!(s.collection(&c.id).unwrap().unwrap(), c);
    assert_eq!(s.collections().unwrap().len(), 1);
    assert_eq!(all(&*s, &c, &Query::default()).len(), 1);
    assert!(s.collection("nope").unwrap().is_none());
});

// date_added is strictly increasing in every collection, whatever the batches, and the
// latest flag always marks the greatest version of each id.
on_every_backend!(date_added_strictly_increases, |db: &TestDatabase| {
    let store = std::cell::RefCell::new(db.open());
    let case = std::cell::Cell::new(0);
    let strategy = prop::collection::vec(prop::collection::vec((0u8..4, 0u8..6, 0u8..2), 0..20), 1..6);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(24));
    runner
        .run(&strategy, |batches| {
            case.set(case.get() + 1);
            let case = case.get();
            let mut s = store.borrow_mut();
            let cs = [
                s.create_collection(&format!("one{case}"), "1", None).unwrap(),
                s.create_collection(&format!("two{case}"), "2", None).unwrap(),
            ];
            for batch in &batches {
                for (which, coll) in cs.iter().enumerate() {
                    let objs: Vec<_> = batch
                        .iter()
                        .filter(|(_, _, c)| usize::from(*c) == which)
                        .map(|(i, m, _)| {
                            obj(
                                &format!("indicator--{i:08}-17d4-4cbf-938f-98ee46b3cd3f"),
                                &format!("2020-01-0{}T00:00:00.000Z", m + 1),
                                json!({}),
                            )
                        })
                        .collect();
                    s.add_batch(coll, &objs).unwrap();
                }
            }
            for c in &cs {
                let rows = all(&**s, c, &Query::default());
                for w in rows.windows(2) {
                    prop_assert!(w[0].date_added < w[1].date_added);
                }
                let latest = all(&**s, c, &Query { versions: Versions::last(), ..Query::default() });
                for l in &latest {
                    let max = rows.iter().filter(|r| r.id == l.id).map(|r| r.version.clone()).max().unwrap();
                    prop_assert_eq!(&l.version, &max);
                }
                let ids: std::collections::BTreeSet<_> = rows.iter().map(|r| r.id.clone()).collect();
                prop_assert_eq!(latest.len(), ids.len());
            }
            Ok(())
        })
        .unwrap();
});

on_every_backend!(a_batch_with_repeats_and_history_decides_like_one_at_a_time, |db: &TestDatabase| {
    let mut s = db.open();
    let c = s.create_collection("intel", "Intel", None).unwrap();
    // In one batch: a version, its repeat, a later one, an earlier one, and a changed repeat.
    let out = s
        .add_batch(
            &c,
            &[
                obj(A, "2020-02-01T00:00:00.000Z", json!({})),
                obj(A, "2020-02-01T00:00:00.000Z", json!({})),
                obj(A, "2020-03-01T00:00:00.000Z", json!({})),
                obj(A, "2020-01-01T00:00:00.000Z", json!({})),
                obj(A, "2020-03-01T00:00:00.000Z", json!({"name": "changed"})),
            ],
        )
        .unwrap();
    let kinds: Vec<&str> = out
        .iter()
        .map(|o| match o {
            AddOutcome::Added { .. } => "added",
            AddOutcome::Unchanged { .. } => "unchanged",
            AddOutcome::Refused { .. } => "refused",
        })
        .collect();
    assert_eq!(kinds, ["added", "unchanged", "added", "added", "refused"]);
    let last = all(&*s, &c, &Query { versions: Versions::last(), ..Query::default() });
    let first = all(&*s, &c, &Query { versions: Versions::first(), ..Query::default() });
    assert_eq!((last.len(), first.len()), (1, 1));
    assert!(last[0].version.starts_with("2020-03-01") && first[0].version.starts_with("2020-01-01"));
    // An unchanged repeat reports the date_added it was stored with.
    let again = s.add_batch(&c, &[obj(A, "2020-03-01T00:00:00.000Z", json!({}))]).unwrap();
    assert_eq!(again[0], AddOutcome::Unchanged { date_added: last[0].date_added });
});

on_every_backend!(deleting_versions_keeps_first_and_last_true, |db: &TestDatabase| {
    let mut s = db.open();
    let c = s.create_collection("intel", "Intel", None).unwrap();
    let versions = ["2020-01-01T00:00:00.000Z", "2020-02-01T00:00:00.000Z", "2020-03-01T00:00:00.000Z"];
    s.add_batch(&c, &versions.map(|v| obj(A, v, json!({})))).unwrap();
    s.add_batch(&c, &[obj(B, versions[0], json!({}))]).unwrap();
    assert_eq!(s.delete_object(&c, A, &Versions::last()).unwrap(), 1);
    let last = all(&*s, &c, &Query { ids: vec![A.into()], versions: Versions::last(), ..Query::default() });
    assert!(last[0].version.starts_with("2020-02-01"), "{last:?}");
    assert_eq!(s.delete_object(&c, A, &Versions::first()).unwrap(), 1);
    let first = all(&*s, &c, &Query { ids: vec![A.into()], versions: Versions::first(), ..Query::default() });
    assert!(first[0].version.starts_with("2020-02-01"), "{first:?}");
    assert_eq!(s.delete_object(&c, A, &Versions::all()).unwrap(), 1);
    assert_eq!(s.delete_object(&c, A, &Versions::all()).unwrap(), 0);
    assert_eq!(all(&*s, &c, &Query::default()).len(), 1, "B stays");
    assert_eq!(s.total_versions().unwrap(), 1);
});

on_every_backend!(accounts_are_kept_replaced_and_removed, |db: &TestDatabase| {
    let mut s = db.open();
    let bob = pacto_store::User {
        name: "bob".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        can_read: vec!["intel".into()],
        can_write: vec![],
    };
    s.put_user(&bob).unwrap();
    let alice = pacto_store::User { name: "alice".into(), can_write: vec!["*".into()], ..bob.clone() };
    s.put_user(&alice).unwrap();
    assert_eq!(s.user("bob").unwrap().as_ref(), Some(&bob));
    assert_eq!(s.users().unwrap().iter().map(|u| u.name.as_str()).collect::<Vec<_>>(), ["alice", "bob"]);
    let bob2 = pacto_store::User { can_read: vec!["*".into()], ..bob.clone() };
    s.put_user(&bob2).unwrap();
    assert_eq!(s.user("bob").unwrap(), Some(bob2));
    assert!(s.remove_user("bob").unwrap());
    assert!(!s.remove_user("bob").unwrap());
    assert_eq!(s.user("bob").unwrap(), None);
});

on_every_backend!(tokens_are_found_by_hash_revoked_and_touched, |db: &TestDatabase| {
    let mut s = db.open();
    let t = pacto_store::ApiToken {
        name: "opencti".into(),
        hash: "11".repeat(32),
        can_read: vec!["default".into()],
        can_write: vec![],
        created_us: 1,
        expires_us: Some(1_000),
        last_used_us: None,
        revoked_us: None,
    };
    s.add_token(&t).unwrap();
    assert_eq!(s.token_by_hash(&t.hash).unwrap(), Some(t.clone()));
    assert_eq!(s.token_by_hash(&"22".repeat(32)).unwrap(), None);
    // A name is never reused, even with another secret.
    let again = pacto_store::ApiToken { hash: "33".repeat(32), ..t.clone() };
    assert!(matches!(s.add_token(&again), Err(StoreError::Conflict(_))));
    s.touch_token("opencti", 500).unwrap();
    assert!(s.revoke_token("opencti", 600).unwrap());
    assert!(!s.revoke_token("opencti", 700).unwrap(), "revoked once");
    assert!(!s.revoke_token("nobody", 700).unwrap());
    let stored = s.token_by_hash(&t.hash).unwrap().unwrap();
    assert_eq!((stored.last_used_us, stored.revoked_us), (Some(500), Some(600)));
    assert_eq!(s.tokens().unwrap(), vec![stored]);
});

on_every_backend!(a_certificate_names_one_partner, |db: &TestDatabase| {
    let mut s = db.open();
    let (a, b) = ("aa".repeat(32), "bb".repeat(32));
    s.put_partner_cert("mx", &a).unwrap();
    assert_eq!(s.partner_by_cert(&a).unwrap().as_deref(), Some("mx"));
    assert!(matches!(s.put_partner_cert("us", &a), Err(StoreError::Conflict(_))), "one certificate, one partner");
    // A new certificate replaces the old one.
    s.put_partner_cert("mx", &b).unwrap();
    assert_eq!(s.partner_by_cert(&a).unwrap(), None);
    assert_eq!(s.partner_cert("mx").unwrap(), Some(b.clone()));
    assert!(s.remove_partner_cert("mx").unwrap());
    assert!(!s.remove_partner_cert("mx").unwrap());
    assert_eq!(s.partner_by_cert(&b).unwrap(), None);
});

on_every_backend!(a_synced_page_lands_with_its_provenance_and_cursor, |db: &TestDatabase| {
    let mut s = db.open();
    let remote = pacto_store::Remote {
        partner: "mx".into(),
        api_root: "https://mx.example/api/".into(),
        username: "us".into(),
        password: "pw".into(),
        ca_file: None,
        fingerprint: Some("ab".repeat(32)),
    };
    s.put_remote(&remote).unwrap();
    assert_eq!(s.remotes().unwrap(), vec![remote.clone()]);
    assert_eq!(s.remote("mx").unwrap(), Some(remote));
    let inbound = s.create_collection("inbound.mx", "From mx", None).unwrap();
    let prov = |id: &str, v: &str| pacto_store::testing::provenance(id, v, "mx", Some(41));
    let o = obj(A, "2020-01-01T00:00:00.000Z", json!({}));
    let receipts = [(41, "page receipt".to_string()), (42, "manifest receipt".to_string())];
    let out = s
        .add_synced(&inbound, std::slice::from_ref(&o), &[prov(A, &o.version)], &receipts, ("mx", "c1", "cursor-1"))
        .unwrap();
    assert!(matches!(out[0], AddOutcome::Added { .. }));
    assert_eq!(s.sync_cursor("mx", "c1").unwrap().as_deref(), Some("cursor-1"));
    // The receipts are kept with the page, under the partner the cursor names.
    assert_eq!(s.receipts("mx", 0, 10).unwrap(), receipts.to_vec());
    // The same page again: nothing new, no second provenance, the cursor moves.
    s.add_synced(&inbound, std::slice::from_ref(&o), &[prov(A, &o.version)], &[], ("mx", "c1", "cursor-2")).unwrap();
    assert_eq!(s.provenance(&inbound, A).unwrap(), vec![prov(A, &o.version)]);
    assert_eq!(s.provenance(&inbound, A).unwrap()[0].receipt, Some(41), "the receipt it arrived under is named");
    assert_eq!(s.sync_cursor("mx", "c1").unwrap().as_deref(), Some("cursor-2"));
    assert_eq!(s.sync_cursor("mx", "c2").unwrap(), None);
    // Received and not decided on: awaiting review.
    let awaiting_after = |s: &dyn pacto_store::Store, after: i64| {
        let mut found = Vec::new();
        s.awaiting(&inbound, after, &mut |o| {
            found.push((o.id, o.date_added));
            Ok(true)
        })
        .unwrap();
        found
    };
    let awaiting = |s: &dyn pacto_store::Store| awaiting_after(s, 0).into_iter().map(|f| f.0).collect::<Vec<_>>();
    assert_eq!(awaiting(&*s), [A]);
    // Adopting copies every version with its provenance, and records the decision; a
    // missing id is an error.
    let local = s.create_collection("intel", "Intel", None).unwrap();
    let adopted = s.adopt(&inbound, &local, &[A.to_string()], "ana").unwrap();
    assert!(matches!(adopted[0], AddOutcome::Added { .. }));
    assert_eq!(s.provenance(&local, A).unwrap(), vec![prov(A, &o.version)]);
    assert!(s.adopt(&inbound, &local, &[B.to_string()], "ana").is_err());
    assert!(awaiting(&*s).is_empty());
    let reviews = s.reviews(&inbound, A).unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!((reviews[0].decision, reviews[0].by.as_str()), (pacto_store::Decision::Adopted, "ana"));
    // A newer version awaits review again; dismissing decides the versions held now.
    let newer = obj(A, "2020-02-01T00:00:00.000Z", json!({}));
    s.add_synced(&inbound, std::slice::from_ref(&newer), &[prov(A, &newer.version)], &[], ("mx", "c1", "cursor-3"))
        .unwrap();
    let b = obj(B, "2020-01-01T00:00:00.000Z", json!({}));
    s.add_synced(&inbound, std::slice::from_ref(&b), &[prov(B, &b.version)], &[], ("mx", "c1", "cursor-4")).unwrap();
    assert_eq!(awaiting(&*s), [B, A], "newest first");
    // Everything added up to an instant dismissed at once: only what came after awaits.
    let a_added = awaiting_after(&*s, 0)[1].1;
    assert_eq!(awaiting_after(&*s, a_added).into_iter().map(|f| f.0).collect::<Vec<_>>(), [B]);
    assert_eq!(s.dismiss(&inbound, &[A.to_string()], "bo").unwrap(), 1, "only the undecided version");
    assert_eq!(s.dismiss(&inbound, &[A.to_string()], "bo").unwrap(), 0);
    assert_eq!(awaiting(&*s), [B]);
    let decided: Vec<_> = s.reviews(&inbound, A).unwrap().into_iter().map(|r| (r.decision, r.by)).collect();
    assert_eq!(
        decided,
        [(pacto_store::Decision::Adopted, "ana".into()), (pacto_store::Decision::Dismissed, "bo".into())]
    );
    // A collection with decisions in it can still be deleted.
    s.delete_collection(&inbound).unwrap();
    assert!(s.remove_remote("mx").unwrap());
    assert!(s.remotes().unwrap().is_empty());
});

on_every_backend!(private_sets_are_kept_and_replaced, |db: &TestDatabase| {
    let mut s = db.open();
    let set = pacto_store::PsiSet { normalizer: "serial".into(), tags: vec![1; 64], ..psi_set("seized", None) };
    s.put_psi_set(&set).unwrap();
    assert_eq!(s.psi_set("seized").unwrap(), Some(set.clone()));
    let newer = pacto_store::PsiSet { tags: vec![3; 32], items: 1, ..set };
    s.put_psi_set(&newer).unwrap();
    assert_eq!(s.psi_sets().unwrap(), vec![newer]);
    assert!(s.remove_psi_set("seized").unwrap());
    assert!(!s.remove_psi_set("seized").unwrap());
    assert_eq!(s.psi_set("seized").unwrap(), None);
});

/// A set of two items; labelled with these fields and records, if given.
fn psi_set(name: &str, labels: Option<(&[&str], Vec<u8>)>) -> pacto_store::PsiSet {
    pacto_store::PsiSet {
        name: name.into(),
        normalizer: "firearm".into(),
        secret: None,
        tags: vec![1; 16],
        points: vec![2; 64],
        items: 2,
        created_us: 7,
        labels: labels.map(|(fields, records)| pacto_store::PsiLabels {
            fields: fields.iter().map(|f| f.to_string()).collect(),
            records,
        }),
    }
}

on_every_backend!(labelled_sets_keep_their_payloads, |db: &TestDatabase| {
    let mut s = db.open();
    let registry = psi_set("dealer-sales", Some((&["dealer", "sale_date", "trace_ref"], (0..=255).collect())));
    s.put_psi_set(&registry).unwrap();
    let plain = pacto_store::PsiSet { name: "seized".into(), labels: None, ..registry.clone() };
    s.put_psi_set(&plain).unwrap();
    assert_eq!(s.psi_set("dealer-sales").unwrap(), Some(registry.clone()));
    assert_eq!(s.psi_sets().unwrap(), vec![registry.clone(), plain.clone()]);
    // A new version replaces the payloads with its own; a plain set under the name drops them.
    let newer = psi_set("dealer-sales", Some((&["dealer"], vec![9; 1 << 20])));
    s.put_psi_set(&newer).unwrap();
    assert_eq!(s.psi_set("dealer-sales").unwrap(), Some(newer.clone()));
    let now_plain = pacto_store::PsiSet { labels: None, ..newer.clone() };
    s.put_psi_set(&now_plain).unwrap();
    assert_eq!(s.psi_set("dealer-sales").unwrap(), Some(now_plain));
    assert_eq!(db.query_u64("SELECT count(*) FROM psi_labels"), 0);
    // Removing a labelled set removes its payloads with it.
    s.put_psi_set(&newer).unwrap();
    assert!(s.remove_psi_set("dealer-sales").unwrap());
    assert_eq!(s.psi_set("dealer-sales").unwrap(), None);
    assert_eq!(db.query_u64("SELECT count(*) FROM psi_labels"), 0);
    assert_eq!(s.psi_sets().unwrap(), vec![plain]);
});

// A database from before reviews (SQLite schema 7, PostgreSQL migration 6): what was adopted
// then is not awaiting review after the upgrade; what was not, is.
on_every_backend!(adoptions_from_before_reviews_count_as_decided, |db: &TestDatabase| {
    let mut s = db.open();
    let inbound = s.create_collection("inbound.mx", "From mx", None).unwrap();
    let local = s.create_collection("intel", "Intel", None).unwrap();
    let prov = |id: &str, v: &str| pacto_store::testing::provenance(id, v, "mx", None);
    let (a, b) = (obj(A, "2020-01-01T00:00:00.000Z", json!({})), obj(B, "2020-01-01T00:00:00.000Z", json!({})));
    let provs = [prov(A, &a.version), prov(B, &b.version)];
    s.add_synced(&inbound, &[a, b], &provs, &[], ("mx", "c1", "cursor")).unwrap();
    s.adopt(&inbound, &local, &[A.to_string()], "ana").unwrap();
    drop(s);
    use pacto_store::testing::{UNDO_POSTGRES_7, UNDO_SQLITE_8};
    match &db.database {
        pacto_store::Database::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            c.execute_batch(&format!("{UNDO_SQLITE_8} UPDATE meta SET value = '7' WHERE key = 'schema_version'"))
                .unwrap();
        }
        pacto_store::Database::Postgres(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.batch_execute(&format!("{UNDO_POSTGRES_7} DELETE FROM pacto_schema WHERE version >= 7")).unwrap();
        }
    }
    let s = db.open();
    let mut waiting = Vec::new();
    s.awaiting(&inbound, 0, &mut |o| {
        waiting.push(o.id);
        Ok(true)
    })
    .unwrap();
    assert_eq!(waiting, [B]);
    let r = s.reviews(&inbound, A).unwrap();
    assert_eq!((r.len(), r[0].decision, r[0].by.as_str()), (1, pacto_store::Decision::Adopted, ""));
    assert_eq!(s.provenance(&local, A).unwrap(), vec![prov(A, &obj(A, "2020-01-01T00:00:00.000Z", json!({})).version)]);
});

// A database from before labelled sets (SQLite schema 3, PostgreSQL migration 2) gains the
// table on open and keeps what it had.
on_every_backend!(labelled_sets_arrive_by_migration, |db: &TestDatabase| {
    let mut s = db.open();
    let plain = psi_set("seized", None);
    s.put_psi_set(&plain).unwrap();
    drop(s);
    // Back to the schema before labelled sets (version 3), as a database of that release is:
    // without what versions 3 on brought (labels; tokens and certificates; the ledger's heads,
    // receipts and cosignatures; the full-text index; reviews, sessions, receipts in provenance).
    let later = "DROP TABLE psi_labels; DROP TABLE api_tokens; DROP TABLE partner_certs;
                 ALTER TABLE remotes DROP COLUMN fingerprint;
                 DROP TABLE ledger_heads; DROP TABLE receipts; DROP TABLE cosignatures;";
    use pacto_store::testing::{UNDO_POSTGRES_7, UNDO_SQLITE_8};
    match &db.database {
        pacto_store::Database::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            let search = "DROP INDEX objects_by_type; DROP TRIGGER objects_fts_insert; DROP TRIGGER objects_fts_delete; DROP TABLE objects_fts;";
            c.execute_batch(&format!(
                "{UNDO_SQLITE_8} {later} {search} UPDATE meta SET value = '3' WHERE key = 'schema_version'"
            ))
            .unwrap();
        }
        pacto_store::Database::Postgres(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            let search =
                "DROP INDEX objects_by_type; ALTER TABLE objects DROP COLUMN search; DROP FUNCTION pacto_search_words;";
            c.batch_execute(&format!("{UNDO_POSTGRES_7} {later} {search} DELETE FROM pacto_schema WHERE version >= 3"))
                .unwrap();
        }
    }
    let mut s = db.open();
    assert_eq!(s.psi_sets().unwrap(), vec![plain]);
    let registry = psi_set("dealer-sales", Some((&["dealer"], vec![1, 2, 3])));
    s.put_psi_set(&registry).unwrap();
    assert_eq!(s.psi_set("dealer-sales").unwrap(), Some(registry));
});

on_every_backend!(the_ledger_is_one_gapless_order, |db: &TestDatabase| {
    let mut s = db.open();
    let entry = |seq: u64, partner: &str, kind: &str| {
        (
            seq,
            partner.to_string(),
            json!({"seq": seq, "kind": kind, "collection": "intel", "time": format!("2026-01-0{seq}T00:00:00Z")})
                .to_string(),
        )
    };
    assert_eq!(s.ledger_head().unwrap(), None);
    s.ledger_append(&[entry(1, "mx", "disclosure"), entry(2, "ca", "psi-query")], Some((2, "cp2".into()))).unwrap();
    // A gap, or a sequence number already taken (another process got there first): refused,
    // and nothing of the batch is written.
    for bad in [vec![entry(4, "mx", "disclosure")], vec![entry(3, "mx", "disclosure"), entry(5, "mx", "x")]] {
        assert!(matches!(s.ledger_append(&bad, None), Err(StoreError::Conflict(_))));
    }
    assert!(matches!(s.ledger_append(&[entry(2, "mx", "x")], None), Err(StoreError::Conflict(_))));
    s.ledger_append(&[entry(3, "mx", "psi-query")], None).unwrap();
    assert_eq!(s.ledger_head().unwrap().map(|h| h.0), Some(3));
    let mx: Vec<u64> = s.ledger_entries(0, Some("mx"), 10).unwrap().iter().map(|e| e.0).collect();
    assert_eq!(mx, [1, 3]);
    assert_eq!(s.ledger_entries(1, None, 1).unwrap().len(), 1);
    // Newest first, before a place: what the console's ledger page reads.
    let seqs = |v: Vec<(u64, String)>| v.into_iter().map(|e| e.0).collect::<Vec<_>>();
    assert_eq!(seqs(s.ledger_entries_before(u64::MAX, None, 10).unwrap()), [3, 2, 1]);
    assert_eq!(seqs(s.ledger_entries_before(3, None, 1).unwrap()), [2]);
    assert_eq!(seqs(s.ledger_entries_before(u64::MAX, Some("mx"), 10).unwrap()), [3, 1]);
    assert!(s.ledger_entries_before(1, None, 10).unwrap().is_empty());
    // The batch's signed head is kept by size; version 1 checkpoints are no longer added.
    assert_eq!(s.ledger_heads(0, 10).unwrap(), [(2, "cp2".to_string())]);
    assert_eq!(s.ledger_heads(2, 10).unwrap(), []);
    s.ledger_append(&[entry(4, "ca", "disclosure")], Some((4, "cp4".into()))).unwrap();
    assert_eq!(s.ledger_last_head().unwrap(), Some((4, "cp4".to_string())));
    assert_eq!(s.ledger_heads(0, 1).unwrap(), [(2, "cp2".to_string())]);
    assert!(s.ledger_checkpoints().unwrap().is_empty());
    assert_eq!(s.ledger_count_since("mx", "psi-query", "intel", "2026-01-02T00:00:00Z").unwrap(), 1);
    assert_eq!(s.ledger_count_since("mx", "psi-query", "intel", "2026-01-04T00:00:00Z").unwrap(), 0);
});

on_every_backend!(receipts_are_kept_per_partner_in_order, |db: &TestDatabase| {
    let mut s = db.open();
    assert_eq!(s.last_receipt("mx").unwrap(), None);
    for seq in [7, 3, 12] {
        s.put_receipt("mx", seq, &format!("r{seq}")).unwrap();
    }
    s.put_receipt("ca", 99, "other").unwrap();
    // Kept once: the same entry's receipt again changes nothing.
    s.put_receipt("mx", 7, "again").unwrap();
    let all: Vec<(u64, String)> = s.receipts("mx", 0, 10).unwrap();
    assert_eq!(all, [(3, "r3".into()), (7, "r7".into()), (12, "r12".into())]);
    assert_eq!(s.receipts("mx", 3, 1).unwrap(), [(7, "r7".to_string())]);
    assert_eq!(s.last_receipt("mx").unwrap(), Some((12, "r12".to_string())));
    assert_eq!(s.last_receipt("ca").unwrap(), Some((99, "other".to_string())));
    // Cosignatures of this node's heads: one per partner and size, a later one replaces it.
    s.put_cosignature("mx", 5, "n5").unwrap();
    s.put_cosignature("ca", 5, "c5").unwrap();
    s.put_cosignature("mx", 9, "n9").unwrap();
    s.put_cosignature("mx", 5, "n5 later").unwrap();
    let all = s.cosignatures(None).unwrap();
    assert_eq!(
        all,
        [("ca".into(), 5, "c5".into()), ("mx".into(), 5, "n5 later".into()), ("mx".into(), 9, "n9".into())]
    );
    assert_eq!(s.cosignatures(Some("ca")).unwrap().len(), 1);
});

// Several writers on their own connections and a reader paging by date_added at the same
// time: the reader sees every version exactly once, in increasing order (no skip, no repeat).
on_every_backend!(concurrent_writers_never_make_a_pager_skip_or_repeat, |db: &TestDatabase| {
    const WRITERS: u32 = 4;
    const BATCHES: u32 = 25;
    const PER: u32 = 8;
    let c = db.open().create_collection("intel", "Intel", None).unwrap();
    let done = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let (c, done) = (&c, &done);
            let mut s = db.open();
            scope.spawn(move || {
                for b in 0..BATCHES {
                    let batch: Vec<_> = (0..PER)
                        .map(|i| {
                            let n = (w * BATCHES + b) * PER + i;
                            obj(
                                &format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f"),
                                "2020-01-01T00:00:00Z",
                                json!({}),
                            )
                        })
                        .collect();
                    s.add_batch(c, &batch).unwrap();
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        let reader = db.open();
        let mut seen = std::collections::HashSet::new();
        let mut cursor = None;
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst) == WRITERS;
            let page = reader.page(&c, &Query { added_after: cursor, limit: Some(7), ..Query::default() }).unwrap();
            for o in &page.objects {
                assert!(cursor.is_none_or(|c| o.date_added > c));
                cursor = Some(o.date_added);
                assert!(seen.insert(o.id.clone()), "{} seen twice", o.id);
            }
            if page.objects.is_empty() && finished {
                break;
            }
        }
        assert_eq!(seen.len() as u32, WRITERS * BATCHES * PER, "the pager missed versions");
    });
});

on_every_backend!(reopening_applies_no_migration_twice, |db: &TestDatabase| {
    let mut s = db.open();
    let c = s.create_collection("intel", "Intel", None).unwrap();
    s.add_batch(&c, &[obj(A, "2020-01-01T00:00:00.000Z", json!({}))]).unwrap();
    drop(s);
    for _ in 0..3 {
        let s = db.open();
        assert_eq!(s.stats(&s.collection("intel").unwrap().unwrap()).unwrap().versions, 1);
    }
});

on_every_backend!(text_is_kept_byte_for_byte, |db: &TestDatabase| {
    let mut s = db.open();
    let c = s.create_collection("intel", "Intel", None).unwrap();
    let text = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",  "created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Ünïcödé \u00e9 ✓ 𝄞","pattern":"[x:y = 'z']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z", "x_n": 1.50}"#;
    let o = StixObject::from_value(serde_json::from_str(text).unwrap()).unwrap();
    let mut incoming = Incoming::new(&o, SpecVersion::V21);
    incoming.raw = serde_json::value::RawValue::from_string(text.to_string()).unwrap();
    s.add_batch(&c, &[incoming]).unwrap();
    assert_eq!(all(&*s, &c, &Query::default())[0].raw, text);
});

on_every_backend!(statuses_are_kept_for_their_owner_newest_first_within_budget, |db: &TestDatabase| {
    let mut s = db.open();
    for n in 0..5 {
        s.put_status(&format!("s{n}"), "alice", &format!("body {n}"), 3, 1 << 20).unwrap();
    }
    let kept: Vec<bool> = (0..5).map(|n| s.status(&format!("s{n}"), "alice").unwrap().is_some()).collect();
    assert_eq!(kept, [false, false, true, true, true]);
    assert_eq!(s.status("s4", "alice").unwrap().as_deref(), Some("body 4"));
    assert_eq!(s.status("s4", "bob").unwrap(), None, "a status is its owner's");
    // Updating a status keeps one of it.
    s.put_status("s4", "alice", "body 4, done", 3, 1 << 20).unwrap();
    assert_eq!(s.status("s4", "alice").unwrap().as_deref(), Some("body 4, done"));
    // Bodies beyond the byte budget go, oldest first; the newest stays even when too big.
    s.put_status("big", "alice", &"x".repeat(5000), 100, 1000).unwrap();
    assert!(s.status("big", "alice").unwrap().is_some());
    assert!(s.status("s4", "alice").unwrap().is_none());
});

on_every_backend!(one_connection_leads_a_role_until_it_closes, |db: &TestDatabase| {
    let mut first = db.open();
    let mut second = db.open();
    assert!(first.try_lead("sync").unwrap());
    assert!(first.try_lead("sync").unwrap(), "leading is kept");
    if db.backend == "postgres" {
        assert!(!second.try_lead("sync").unwrap(), "one leader per role");
        assert!(second.try_lead("detect").unwrap(), "roles are separate");
        drop(first);
        // The lock goes with the session; the server notices the closed connection promptly.
        let taken = (0..50).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            second.try_lead("sync").unwrap()
        });
        assert!(taken, "a leader's role passes on when its connection ends");
    } else {
        assert!(second.try_lead("sync").unwrap(), "an embedded database has one process, which leads");
    }
});

on_every_backend!(a_database_from_a_later_pacto_is_refused_not_written, |db: &TestDatabase| {
    drop(db.open());
    match &db.database {
        pacto_store::Database::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            c.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'", []).unwrap();
        }
        pacto_store::Database::Postgres(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.execute("INSERT INTO pacto_schema (version, applied_us) VALUES (99, 0)", &[]).unwrap();
        }
    }
    let err = db.database.open().err().expect("a later schema is refused");
    assert!(matches!(err, StoreError::Schema(_)), "{err:?}");
    assert!(err.to_string().contains("schema version 99"), "{err}");
});

on_every_backend!(a_deleted_collection_takes_its_versions_and_views_and_nothing_else, |db: &TestDatabase| {
    let mut s = db.open();
    let gone = s.create_collection("gone", "Gone", None).unwrap();
    let kept = s.create_collection("kept", "Kept", None).unwrap();
    let two = [obj(A, "2020-01-01T00:00:00.000Z", json!({})), obj(A, "2020-02-01T00:00:00.000Z", json!({}))];
    s.add_batch(&gone, &two).unwrap();
    s.add_batch(&kept, &two[..1]).unwrap();
    let all = pacto_stix::Filter {
        max_tlp: pacto_stix::Tlp::Red,
        include_unmarked: true,
        types: None,
        labels_any: None,
        labels_none: Vec::new(),
        creators: None,
    };
    let view = s.view(&gone, &all).unwrap();
    assert!(s.in_view(view, &gone, A).unwrap());
    assert_eq!(s.delete_collection(&gone).unwrap(), 2);
    assert!(s.collection("gone").unwrap().is_none());
    assert_eq!(s.page(&kept, &Query::default()).unwrap().objects.len(), 1, "the other collection keeps its own");
    // The name may be used again, for an empty collection.
    let again = s.create_collection("gone", "Gone", None).unwrap();
    assert!(s.page(&again, &Query::default()).unwrap().objects.is_empty());
    assert!(matches!(s.delete_collection(&gone), Err(StoreError::NoSuchCollection(_))));
});
