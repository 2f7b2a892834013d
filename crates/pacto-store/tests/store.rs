//! Behaviour of the SQLite store through the `Store` trait.

use pacto_stix::{SpecVersion, StixObject};
use pacto_store::{AddOutcome, Incoming, Query, SqliteStore, StoredObject, Versions, prelude::*};
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

fn all(store: &SqliteStore, c: &pacto_store::Collection, q: &Query) -> Vec<StoredObject> {
    let mut out = Vec::new();
    store
        .scan(c, q, &mut |o| {
            out.push(o);
            Ok(())
        })
        .unwrap();
    out
}

#[test]
fn versions_are_kept_and_identical_readds_are_noops() {
    let mut s = SqliteStore::open_in_memory().unwrap();
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
    let stored = all(&s, &c, &Query::default());
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|o| !o.raw.contains("changed")));
    let stats = s.stats(&c).unwrap();
    assert_eq!((stats.objects, stats.versions), (1, 2));
}

#[test]
fn first_last_and_filters() {
    let mut s = SqliteStore::open_in_memory().unwrap();
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
    let last = all(&s, &c, &Query { versions: Versions::last(), ..Query::default() });
    assert_eq!(
        last.iter().map(|o| (o.id.as_str(), &o.version[..10])).collect::<Vec<_>>(),
        vec![(A, "2020-03-01"), (B, "2020-01-01")]
    );
    let first = all(&s, &c, &Query { versions: Versions::first(), ids: vec![A.into()], ..Query::default() });
    assert_eq!(first.len(), 1);
    assert!(first[0].version.starts_with("2020-01-01"));
    let everything = all(&s, &c, &Query::default());
    assert_eq!(everything.len(), 4);
    let after = all(&s, &c, &Query { added_after: Some(everything[1].date_added), ..Query::default() });
    assert_eq!(after.len(), 2);
    let limited = all(&s, &c, &Query { limit: Some(3), types: vec!["indicator".into()], ..Query::default() });
    assert_eq!(limited.len(), 3);
    assert!(all(&s, &c, &Query { types: vec!["malware".into()], ..Query::default() }).is_empty());
    assert!(all(&s, &c, &Query { spec_versions: vec!["2.0".into()], ..Query::default() }).is_empty());
}

#[test]
fn revocation_is_final() {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let c = s.create_collection("intel", "Intel", None).unwrap();
    s.add_batch(
        &c,
        &[obj(A, "2020-01-01T00:00:00.000Z", json!({})), obj(A, "2020-02-01T00:00:00.000Z", json!({"revoked": true}))],
    )
    .unwrap();
    let later = s.add_batch(&c, &[obj(A, "2020-03-01T00:00:00.000Z", json!({}))]).unwrap();
    assert!(matches!(&later[0], AddOutcome::Refused { reason } if reason.contains("revoked")));
    assert_eq!(s.stats(&c).unwrap().revoked, 1);
    assert!(all(&s, &c, &Query { exclude_revoked: true, ..Query::default() }).is_empty());
}

#[test]
fn collections_and_persistence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/pacto.db");
    {
        let mut s = SqliteStore::open(&path).unwrap();
        let c = s.create_collection("intel", "Intel", Some("d")).unwrap();
        assert!(s.create_collection("intel", "again", None).is_err());
        assert!(s.create_collection("bad name!", "x", None).is_err());
        s.add_batch(&c, &[obj(A, "2020-01-01T00:00:00.000Z", json!({}))]).unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    let c = s.collection("intel").unwrap().unwrap();
    assert_eq!(s.collection(&c.id).unwrap().unwrap(), c);
    assert_eq!(s.collections().unwrap().len(), 1);
    assert_eq!(all(&s, &c, &Query::default()).len(), 1);
    assert!(s.collection("nope").unwrap().is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// date_added is strictly increasing in every collection, whatever the batches, and the
    /// latest flag always marks the greatest version of each id.
    #[test]
    fn date_added_strictly_increases(batches in prop::collection::vec(prop::collection::vec((0u8..4, 0u8..6, 0u8..2), 0..20), 1..6)) {
        let mut s = SqliteStore::open_in_memory().unwrap();
        let cs = [s.create_collection("one", "1", None).unwrap(), s.create_collection("two", "2", None).unwrap()];
        for batch in &batches {
            for (which, coll) in cs.iter().enumerate() {
                let objs: Vec<_> = batch.iter().filter(|(_, _, c)| usize::from(*c) == which).map(|(i, m, _)| {
                    obj(&format!("indicator--{i:08}-17d4-4cbf-938f-98ee46b3cd3f"), &format!("2020-01-0{}T00:00:00.000Z", m + 1), json!({}))
                }).collect();
                s.add_batch(coll, &objs).unwrap();
            }
        }
        for c in &cs {
            let rows = all(&s, c, &Query::default());
            for w in rows.windows(2) {
                prop_assert!(w[0].date_added < w[1].date_added);
            }
            let latest = all(&s, c, &Query { versions: Versions::last(), ..Query::default() });
            for l in &latest {
                let max = rows.iter().filter(|r| r.id == l.id).map(|r| r.version.clone()).max().unwrap();
                prop_assert_eq!(&l.version, &max);
            }
            let ids: std::collections::BTreeSet<_> = rows.iter().map(|r| r.id.clone()).collect();
            prop_assert_eq!(latest.len(), ids.len());
        }
    }
}

#[test]
fn writer_checkpoints_in_the_background_and_folds_the_log_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pacto.db");
    let wal = dir.path().join("pacto.db-wal");
    {
        let mut s = SqliteStore::open_writer(&path).unwrap();
        let c = s.create_collection("intel", "Intel", None).unwrap();
        for n in 0..20u32 {
            let batch: Vec<_> = (0..100u32)
                .map(|i| {
                    obj(
                        &format!("indicator--{:08x}-17d4-4cbf-938f-98ee46b3cd3f", n * 100 + i),
                        "2020-01-01T00:00:00.000Z",
                        json!({}),
                    )
                })
                .collect();
            s.add_batch(&c, &batch).unwrap();
        }
        // A reader on another connection sees every committed batch meanwhile.
        let r = SqliteStore::open(&path).unwrap();
        assert_eq!(all(&r, &c, &Query::default()).len(), 2000);
    }
    assert!(std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0, "the log is folded back when the writer closes");
    let s = SqliteStore::open(&path).unwrap();
    let c = s.collection("intel").unwrap().unwrap();
    assert_eq!(s.stats(&c).unwrap().objects, 2000);
}

#[test]
fn settings_land_with_the_objects_they_describe() {
    let mut s = SqliteStore::open_in_memory().unwrap();
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
}

#[test]
fn a_page_without_a_limit_is_every_match() {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let c = s.create_collection("intel", "Intel", None).unwrap();
    s.add_batch(&c, &[obj(A, "2020-01-01T00:00:00.000Z", json!({})), obj(B, "2020-01-01T00:00:00.000Z", json!({}))])
        .unwrap();
    let page = s.page(&c, &Query::default()).unwrap();
    assert_eq!((page.objects.len(), page.more), (2, false));
    let page = s.page(&c, &Query { ids: vec![B.to_string()], ..Query::default() }).unwrap();
    assert_eq!(page.objects.len(), 1);
}
