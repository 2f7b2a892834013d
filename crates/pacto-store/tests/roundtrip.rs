//! Property: any STIX object, custom properties and extensions included, comes back from
//! bundle reader → model → store → export with the same meaning (equal as JSON values), and
//! parse → serialize → parse is the identity.

use pacto_stix::{SpecVersion, StixObject, read_objects_from_slice};
use pacto_store::{Incoming, Query, SqliteStore, prelude::*};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e15f64..1e15).prop_map(|f| json!(f)),
        "\\PC{0,24}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn uuid() -> impl Strategy<Value = String> {
    any::<u128>().prop_map(|n| {
        let h = format!("{n:032x}");
        format!("{}-{}-4{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
    })
}

fn stix_object() -> impl Strategy<Value = Value> {
    let ty = prop_oneof![Just("indicator"), Just("malware"), Just("x-custom-thing"), Just("note")];
    (ty, uuid(), 0u32..4_000_000_000, prop::collection::btree_map("x_[a-z_]{1,10}", json_value(), 0..4), json_value())
        .prop_map(|(ty, uuid, secs, custom, ext)| {
            let created = pacto_stix::Timestamp { secs: i64::from(secs), nanos: 123_000_000, frac_digits: 3 }.format(3);
            let mut m = Map::new();
            m.insert("type".into(), json!(ty));
            m.insert("spec_version".into(), json!("2.1"));
            m.insert("id".into(), json!(format!("{ty}--{uuid}")));
            m.insert("created".into(), json!(created));
            m.insert("modified".into(), json!(created));
            m.insert(
                "extensions".into(),
                json!({"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e": {"extension_type": "property-extension", "payload": ext}}),
            );
            for (k, v) in custom {
                m.insert(k, v);
            }
            Value::Object(m)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn objects_survive_reader_model_and_store(objects in prop::collection::vec(stix_object(), 1..12)) {
        // Unique ids, as a bundle of distinct objects.
        let mut seen = std::collections::HashSet::new();
        let objects: Vec<Value> = objects.into_iter().filter(|o| seen.insert(o["id"].clone())).collect();
        let bundle = json!({"type": "bundle", "id": "bundle--0f0e0d0c-0b0a-4908-8706-050403020100", "objects": objects}).to_string();
        let mut read = Vec::new();
        read_objects_from_slice(bundle.as_bytes(), |o| {
            read.push(StixObject::from_raw(o.raw).unwrap());
            Ok::<(), ()>(())
        }).unwrap();
        prop_assert_eq!(read.len(), objects.len());
        for (obj, original) in read.iter().zip(&objects) {
            // model: parsed view and raw text both equal the original
            prop_assert_eq!(&obj.to_value(), original);
            let reparsed: Value = serde_json::from_str(obj.raw()).unwrap();
            prop_assert_eq!(&reparsed, original);
            // parse → serialize → parse
            let again = StixObject::from_value(obj.to_value()).unwrap();
            prop_assert_eq!(again.to_value(), obj.to_value());
        }
        let mut store = SqliteStore::open_in_memory().unwrap();
        let c = store.create_collection("c", "c", None).unwrap();
        let incoming: Vec<_> = read.iter().map(|o| Incoming::new(o, SpecVersion::V21)).collect();
        store.add_batch(&c, &incoming).unwrap();
        let mut back = Vec::new();
        store.scan(&c, &Query::default(), &mut |o| { back.push(serde_json::from_str::<Value>(&o.raw).unwrap()); Ok(()) }).unwrap();
        prop_assert_eq!(back, objects);
    }
}
