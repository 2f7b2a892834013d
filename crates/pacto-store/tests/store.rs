//! What only the SQLite backend does (the shared behaviour is in `conformance.rs`).

use pacto_stix::{SpecVersion, StixObject};
use pacto_store::{Incoming, Query, SqliteStore, StoredObject, prelude::*};
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
