//! Full-text search (`SearchStore`), on every backend: the same words find the same objects,
//! filters narrow them, nothing outside the collections named is ever looked at, and a
//! database from before the index is indexed when it is upgraded.

use pacto_stix::{SpecVersion, StixObject};
use pacto_store::testing::TestDatabase;
use pacto_store::{Incoming, SearchQuery, on_every_backend, prelude::*};
use serde_json::{Value, json};

fn incoming(v: Value) -> Incoming {
    Incoming::new(&StixObject::from_value(v).unwrap(), SpecVersion::V21)
}

const IND: &str = "indicator--4b0d5f60-7c8e-4d9f-a012-3b4c5d6e7f44";
const TOOL: &str = "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const SECRET: &str = "indicator--11111111-17d4-4cbf-938f-98ee46b3cd3f";

fn indicator(id: &str, modified: &str, name: &str, pattern: &str) -> Incoming {
    incoming(json!({"type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2020-01-01T00:00:00.000Z", "modified": modified, "name": name,
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"}))
}

fn ids(s: &dyn Store, q: &SearchQuery) -> Vec<String> {
    let mut out = Vec::new();
    s.search(q, &mut |h| {
        out.push(format!("{}:{}", h.collection, h.id));
        Ok(true)
    })
    .unwrap();
    out
}

fn q(text: &str, collections: &[&str]) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        collections: collections.iter().map(|c| c.to_string()).collect(),
        ..Default::default()
    }
}

on_every_backend!(search_finds_words_in_every_string_value, |db: &TestDatabase| {
    let mut s = db.open();
    let intel = s.create_collection("intel", "Intel", None).unwrap();
    let secret = s.create_collection("secret", "Secret", None).unwrap();
    s.add_batch(
        &intel,
        &[
            indicator(
                IND,
                "2020-01-01T00:00:00.000Z",
                "Pagos Rápidos payment domain",
                "[domain-name:value = 'pagos-rapidos.example']",
            ),
            incoming(json!({"type": "tool", "spec_version": "2.1", "id": TOOL, "created": "2020-01-01T00:00:00.000Z",
                "modified": "2020-01-01T00:00:00.000Z", "name": "Cobalt Strike",
                "description": "Beacon used against the ministry"})),
        ],
    )
    .unwrap();
    s.add_batch(&secret, &[indicator(SECRET, "2020-01-01T00:00:00.000Z", "Pagos informant", "[x:y = 'z']")]).unwrap();

    // Names, descriptions, patterns' values, accents kept, any case, words as prefixes.
    assert_eq!(ids(&*s, &q("pagos", &["intel"])), [format!("intel:{IND}")]);
    assert_eq!(ids(&*s, &q("RÁPIDOS", &["intel"])), [format!("intel:{IND}")]);
    assert_eq!(ids(&*s, &q("rapidos example", &["intel"])), [format!("intel:{IND}")], "a pattern's value");
    assert_eq!(ids(&*s, &q("minis", &["intel"])), [format!("intel:{TOOL}")], "a prefix of a description's word");
    assert!(ids(&*s, &q("pagos beacon", &["intel"])).is_empty(), "every word must occur");
    // Ids, whole or by a part.
    assert_eq!(ids(&*s, &q(IND, &["intel"])), [format!("intel:{IND}")]);
    assert_eq!(ids(&*s, &q("4b0d5f60", &["intel"])), [format!("intel:{IND}")]);
    // Only the collections named: the secret one is not looked at unless asked for.
    assert_eq!(ids(&*s, &q("pagos", &["intel", "secret"])), [format!("secret:{SECRET}"), format!("intel:{IND}")]);
    assert!(ids(&*s, &q("informant", &["intel"])).is_empty());
    assert!(ids(&*s, &q("pagos", &[])).is_empty(), "no collection, nothing");
    // No words: everything the filters admit, newest first; filters by type.
    assert_eq!(ids(&*s, &q("", &["intel"])), [format!("intel:{TOOL}"), format!("intel:{IND}")]);
    let tools = SearchQuery { types: vec!["tool".into()], ..q("", &["intel", "secret"]) };
    assert_eq!(ids(&*s, &tools), [format!("intel:{TOOL}")]);
    // Counts, from the index.
    assert_eq!((s.count_versions("intel").unwrap(), s.count_versions("nosuch").unwrap()), (2, 0));
    // Too many words: an error that says so, not a cut query.
    let long = q(&"a ".repeat(40), &["intel"]);
    let err = s.search(&long, &mut |_| Ok(true)).unwrap_err();
    assert!(err.to_string().contains("at most 32 words"), "{err}");
    // The callback stops the search.
    let mut n = 0;
    s.search(&q("", &["intel"]), &mut |_| {
        n += 1;
        Ok(false)
    })
    .unwrap();
    assert_eq!(n, 1);
});

on_every_backend!(search_sees_latest_versions_and_forgets_deleted_ones, |db: &TestDatabase| {
    let mut s = db.open();
    let intel = s.create_collection("intel", "Intel", None).unwrap();
    s.add_batch(&intel, &[indicator(IND, "2020-01-01T00:00:00.000Z", "first name", "[x:y = 'a']")]).unwrap();
    s.add_batch(&intel, &[indicator(IND, "2020-02-01T00:00:00.000Z", "second name", "[x:y = 'b']")]).unwrap();
    assert!(ids(&*s, &q("first", &["intel"])).is_empty(), "an older version is not a hit");
    assert_eq!(ids(&*s, &q("second", &["intel"])).len(), 1);
    s.delete_object(&intel, IND, &pacto_store::Versions::last()).unwrap();
    assert_eq!(ids(&*s, &q("first", &["intel"])).len(), 1, "the version that became latest");
    s.delete_object(&intel, IND, &pacto_store::Versions::all()).unwrap();
    assert!(ids(&*s, &q("name", &["intel"])).is_empty());
});

on_every_backend!(search_filters_by_partner_and_date, |db: &TestDatabase| {
    let mut s = db.open();
    let inbound = s.create_collection("inbound.mx", "From mx", None).unwrap();
    let local = s.create_collection("local", "Local", None).unwrap();
    let o = indicator(IND, "2020-01-01T00:00:00.000Z", "shared name", "[x:y = 'z']");
    let prov = pacto_store::Provenance {
        id: IND.into(),
        version: o.version.clone(),
        partner: "mx".into(),
        remote_collection: "c1".into(),
        remote_date_added: "2021-01-01T00:00:00.000000Z".into(),
        fetched_us: 1,
        receipt: None,
    };
    s.add_synced(&inbound, std::slice::from_ref(&o), &[prov], &[], ("mx", "c1", "cursor")).unwrap();
    s.add_batch(&local, &[indicator(SECRET, "2020-01-01T00:00:00.000Z", "shared name", "[x:y = 'z']")]).unwrap();
    let both = q("shared", &["inbound.mx", "local"]);
    assert_eq!(ids(&*s, &both).len(), 2);
    let from_mx = SearchQuery { partner: Some("mx".into()), ..both.clone() };
    assert_eq!(ids(&*s, &from_mx), [format!("inbound.mx:{IND}")]);
    let from_ca = SearchQuery { partner: Some("ca".into()), ..both.clone() };
    assert!(ids(&*s, &from_ca).is_empty());
    // Adopted objects keep their provenance, and so their partner.
    s.adopt(&inbound, &local, &[IND.to_string()], "ana").unwrap();
    assert_eq!(ids(&*s, &from_mx).len(), 2);
    // Dates: added at or after, added before.
    let mut added = Vec::new();
    s.search(&both, &mut |h| {
        added.push(h.date_added);
        Ok(true)
    })
    .unwrap();
    let newest = *added.iter().max().unwrap();
    let since = SearchQuery { added_since: Some(newest), ..both.clone() };
    assert_eq!(ids(&*s, &since).len(), 1);
    let before = SearchQuery { added_before: Some(newest), ..both.clone() };
    assert_eq!(ids(&*s, &before).len(), 2);
});

// A database from before the index (SQLite schema 6, PostgreSQL migration 5) is indexed whole
// when it is upgraded.
on_every_backend!(a_database_from_before_the_index_is_indexed_on_upgrade, |db: &TestDatabase| {
    let mut s = db.open();
    let intel = s.create_collection("intel", "Intel", None).unwrap();
    s.add_batch(&intel, &[indicator(IND, "2020-01-01T00:00:00.000Z", "Pagos Rápidos", "[x:y = 'z']")]).unwrap();
    drop(s);
    match &db.database {
        pacto_store::Database::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            c.execute_batch(&format!(
                "{} DROP INDEX objects_by_type; DROP TRIGGER objects_fts_insert; DROP TRIGGER objects_fts_delete; DROP TABLE objects_fts;
                 UPDATE meta SET value = '6' WHERE key = 'schema_version'",
                pacto_store::testing::UNDO_SQLITE_8
            ))
            .unwrap();
        }
        pacto_store::Database::Postgres(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.batch_execute(&format!(
                "{} DROP INDEX objects_by_type; ALTER TABLE objects DROP COLUMN search; DROP FUNCTION pacto_search_words;
                 DELETE FROM pacto_schema WHERE version >= 6",
                pacto_store::testing::UNDO_POSTGRES_7
            ))
            .unwrap();
        }
    }
    let mut s = db.open();
    assert_eq!(ids(&*s, &q("rápidos", &["intel"])), [format!("intel:{IND}")]);
    // And kept from then on.
    s.add_batch(
        &intel,
        &[indicator(TOOL.replace("tool", "indicator").as_str(), "2020-01-01T00:00:00.000Z", "Cobalt", "[x:y = 'z']")],
    )
    .unwrap();
    assert_eq!(ids(&*s, &q("cobalt", &["intel"])).len(), 1);
});

// The dashboard's count of versions is kept by every write (schema 8 / migration 7): adds,
// repeats, another collection, deletes of some or all versions, a collection deleted; and a
// database from before it is counted on upgrade.
on_every_backend!(the_count_of_versions_follows_every_write_and_the_upgrade, |db: &TestDatabase| {
    let mut s = db.open();
    let intel = s.create_collection("intel", "Intel", None).unwrap();
    let other = s.create_collection("other", "Other", None).unwrap();
    let counted = |s: &dyn Store, c: &pacto_store::Collection| {
        let q = pacto_store::Query { versions: pacto_store::Versions::all(), ..Default::default() };
        let mut n = 0u64;
        s.scan(c, &q, &mut |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(s.count_versions(&c.name).unwrap(), n, "{}: the count kept and the rows disagree", c.name);
        n
    };
    let v = |m: &str| indicator(IND, m, "counted", "[x:y = 'z']");
    s.add_batch(&intel, &[v("2020-01-01T00:00:00.000Z"), v("2020-02-01T00:00:00.000Z")]).unwrap();
    s.add_batch(
        &intel,
        &[
            v("2020-01-01T00:00:00.000Z"),
            indicator(TOOL.replace("tool", "indicator").as_str(), "2020-01-01T00:00:00.000Z", "b", "[x:y = 'z']"),
        ],
    )
    .unwrap();
    s.add_batch(&other, &[v("2020-01-01T00:00:00.000Z")]).unwrap();
    assert_eq!((counted(&*s, &intel), counted(&*s, &other)), (3, 1));
    s.delete_object(&intel, IND, &pacto_store::Versions::last()).unwrap();
    assert_eq!(counted(&*s, &intel), 2);
    s.delete_object(&intel, IND, &pacto_store::Versions::all()).unwrap();
    assert_eq!(counted(&*s, &intel), 1);
    s.add_batch(&intel, &[v("2020-03-01T00:00:00.000Z")]).unwrap();
    drop(s);
    // Back to the schema before the count, with rows it never counted: counted on upgrade.
    match &db.database {
        pacto_store::Database::Sqlite(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            c.execute_batch(&format!(
                "{} UPDATE meta SET value = '7' WHERE key = 'schema_version'",
                pacto_store::testing::UNDO_SQLITE_8
            ))
            .unwrap();
        }
        pacto_store::Database::Postgres(url) => {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.batch_execute(&format!(
                "{} DELETE FROM pacto_schema WHERE version >= 7",
                pacto_store::testing::UNDO_POSTGRES_7
            ))
            .unwrap();
        }
    }
    let mut s = db.open();
    assert_eq!((counted(&*s, &intel), counted(&*s, &other)), (2, 1));
    s.delete_collection(&other).unwrap();
    assert_eq!(s.count_versions("other").unwrap(), 0);
    assert_eq!(counted(&*s, &intel), 2);
});
