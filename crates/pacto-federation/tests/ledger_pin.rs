//! The entry hash of version 1 is pinned: existing ledgers migrate with their digests intact,
//! because a version 2 leaf is exactly the bytes the version 1 entry hash covers.
use pacto_federation::ledger::Entry;

fn entry(object: Option<&str>, version: Option<&str>) -> Entry {
    Entry {
        seq: 7,
        time: "2026-11-25T10:00:07.000Z".into(),
        partner: "us".into(),
        kind: "disclosure".into(),
        collection: "firearms".into(),
        object_id: object.map(str::to_string),
        object_version: version.map(str::to_string),
        digest: "ab".repeat(32),
        prev: "0".repeat(64),
        hash: String::new(),
    }
}

#[test]
fn entry_hashes_are_those_of_version_1() {
    let e = entry(Some("indicator--00000007-17d4-4cbf-938f-98ee46b3cd3f"), Some("2026-01-01T00:00:00.000Z"));
    assert_eq!(e.compute_hash(), "38693d16f509443fbba204dbec19518759ecb7f4422cc2fd61165d0e1e5b4cc0");
    assert_eq!(entry(None, None).compute_hash(), "12fb0e22fb79d7be9240725c384a4b67aa019e23ae1fa012b0ee3970dfe924c2");
}
