//! PostgreSQL's plans for the two queries a large collection lives on, right after writes grew
//! it from empty (before autovacuum has looked at it, a minute or more): a batch's lookup of
//! its ids walks the `(coll, id, version)` index instead of reading the whole collection, and a
//! page after a cursor walks the `(coll, date_added)` index in order instead of sorting all that
//! follows the cursor. Both went wrong without statistics (BENCHMARKS.md, issue 13).
//!
//! PostgreSQL only; skipped (with a message) without it, unless `PACTO_REQUIRE_POSTGRES=1`.

use pacto_stix::{SpecVersion, StixObject};
use pacto_store::Incoming;
use pacto_store::testing::TestDatabase;
use serde_json::json;

fn id(n: u64) -> String {
    format!("indicator--{:08x}-17d4-4cbf-938f-{:012x}", n.wrapping_mul(2_654_435_761) as u32, n)
}

fn indicator(n: u64) -> Incoming {
    let v = json!({"type": "indicator", "spec_version": "2.1", "id": id(n),
        "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
        "pattern": format!("[ipv4-addr:value = '10.0.{}.{}']", n / 256 % 256, n % 256),
        "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z", "description": "x".repeat(400)});
    Incoming::new(&StixObject::from_value(v).unwrap(), SpecVersion::V21)
}

/// The plan PostgreSQL chooses (`EXPLAIN …`), as text.
fn plan(db: &TestDatabase, sql: &str) -> String {
    db.query(sql).into_iter().flatten().collect::<Vec<_>>().join("\n")
}

#[test]
fn a_collection_grown_by_writes_is_read_through_its_indexes() {
    let Some(db) = TestDatabase::postgres("planner") else { return };
    let mut s = db.open();
    let c = s.create_collection("big", "big", None).unwrap();
    for batch in 0..30u64 {
        let objects: Vec<Incoming> = (batch * 1000..(batch + 1) * 1000).map(indicator).collect();
        s.add_batch(&c, &objects).unwrap();
    }
    let pk = db.query_u64("SELECT pk FROM collections WHERE name = 'big'");
    let cursor = db.query_u64(&format!(
        "SELECT date_added FROM objects WHERE coll = {pk} ORDER BY date_added OFFSET 1000 LIMIT 1"
    ));

    // A page near the start: the shape `scan` sends for a TAXII page of the latest versions.
    let page = plan(
        &db,
        &format!(
            "EXPLAIN SELECT o.id, o.raw FROM objects o WHERE o.coll = {pk} AND o.date_added > {cursor} \
             AND (false OR o.is_latest) ORDER BY o.date_added LIMIT 1001"
        ),
    );
    assert!(!page.contains("Sort"), "a page sorts everything after its cursor:\n{page}");
    assert!(page.contains("objects_coll_date_added_key"), "{page}");

    // The next batch's lookup of what is stored for its 1,000 ids, as in a collection too large
    // to read whole (at 30,000 rows a sequential scan is cheaper, and rightly chosen).
    let ids: Vec<String> = (40_000..41_000).map(|n| format!("'{}'", id(n))).collect();
    let lookup = plan(
        &db,
        &format!(
            "SET enable_seqscan = off; EXPLAIN SELECT id, version, revoked, is_latest, is_first FROM objects WHERE coll = {pk} AND id = ANY(ARRAY[{}])",
            ids.join(",")
        ),
    );
    let by_id = lookup.lines().any(|l| l.contains("Index Cond") && l.contains("id = ANY"));
    assert!(by_id, "a batch's lookup reads the whole collection:\n{}", &lookup[..lookup.len().min(2000)]);
}
