//! pacto's x-firearm extension: the published definition and schema, the examples around it,
//! and what the validator says about firearm objects.

use std::path::PathBuf;

use pacto_stix::firearm::{self, EXTENSION_ID, FIREARM_TYPE_OV};
use pacto_stix::validate::{self, Finding, Location, Session, Severity, SpecVersion, validate_object};
use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every finding about a file, as `pacto validate` makes them (objects, then the bundle).
fn findings(bytes: &[u8]) -> Vec<Finding> {
    let mut session = Session::new();
    let mut out = Vec::new();
    let env = pacto_stix::read_objects_from_slice(bytes, |o| {
        session.check(o.raw, Location { index: o.index, path: o.path, default_version: SpecVersion::V21 });
        out.extend(session.findings().iter().cloned());
        Ok::<(), ()>(())
    })
    .expect("a readable bundle");
    if let Some(header) = env.bundle {
        validate::validate_bundle_header(&header, env.list_len, &mut out);
    }
    out
}

#[test]
fn the_published_definition_and_the_examples_validate_cleanly() {
    let mut files = vec![(String::from("extensions/x-firearm.json"), firearm::DEFINITION.as_bytes().to_vec())];
    for name in ["firearms-extension.json", "firearms-seizure.json", "firearms-sale.json"] {
        files.push((name.to_string(), std::fs::read(root().join("examples").join(name)).unwrap()));
    }
    for (name, bytes) in &files {
        let f = findings(bytes);
        assert!(f.is_empty(), "{name}: {f:#?}");
    }
    // The copy in examples/ is the published one.
    assert_eq!(files[1].1, firearm::DEFINITION.as_bytes());
    let schema = std::fs::read_to_string(root().join("examples/firearms-extension.schema.json")).unwrap();
    assert_eq!(schema, firearm::SCHEMA);
}

#[test]
fn the_definition_and_the_schema_say_what_the_validator_checks() {
    let def: Value = serde_json::from_str(firearm::DEFINITION).unwrap();
    let ext = def["objects"].as_array().unwrap().iter().find(|o| o["type"] == "extension-definition").unwrap();
    assert_eq!(ext["id"], EXTENSION_ID);
    assert_eq!(ext["extension_types"], json!(["new-sco"]));
    assert_eq!(ext["name"], firearm::TYPE);

    let schema: Value = serde_json::from_str(firearm::SCHEMA).unwrap();
    let mut in_schema: Vec<&str> = schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    in_schema.retain(|p| !matches!(*p, "type" | "id" | "spec_version" | "extensions"));
    in_schema.sort_unstable();
    let mut in_table: Vec<&str> =
        pacto_stix::schema::type_def("x-firearm").unwrap().table.props.iter().map(|p| p.name).collect();
    in_table.sort_unstable();
    assert_eq!(in_schema, in_table, "the schema and the validator's table list the same properties");
    assert_eq!(schema["properties"]["firearm_type"]["examples"], json!(FIREARM_TYPE_OV));
    assert!(schema["properties"]["extensions"]["required"][0] == EXTENSION_ID);
}

/// The examples describe one weapon on both sides: the seized carbine and the sold one have
/// one id, though each side wrote the maker and serial its own way.
#[test]
fn the_seized_and_the_sold_carbine_are_one_object() {
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(root().join("examples").join(name)).unwrap()).unwrap()
    };
    let carbine = |b: &Value| -> Value {
        b["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["type"] == "x-firearm" && o["model"] == "M4 Carbine")
            .unwrap()
            .clone()
    };
    let (seized, sold) = (carbine(&read("firearms-seizure.json")), carbine(&read("firearms-sale.json")));
    assert_ne!(seized["manufacturer"], sold["manufacturer"]);
    assert_ne!(seized["serial_number"], sold["serial_number"]);
    assert_eq!(seized["id"], sold["id"]);
    assert_eq!(firearm::id_of(&seized).as_deref(), seized["id"].as_str());
}

fn gun() -> Value {
    json!({"type": "x-firearm", "spec_version": "2.1", "id": "x-firearm--f39ddd91-d747-5a8d-89ee-e92d6ee936e7",
           "manufacturer": "Colt", "model": "M4 Carbine", "firearm_type": "carbine", "caliber": "5.56x45mm NATO",
           "serial_number": "LW12345", "country_of_manufacture": "US", "importer_marks": ["NONE"],
           "extensions": {EXTENSION_ID: {"extension_type": "new-sco"}}})
}

fn check(v: &Value) -> Vec<(Severity, &'static str, String)> {
    let mut out = Vec::new();
    validate_object(v, Location::default(), &mut out);
    out.into_iter().map(|f| (f.severity, f.rule, f.path)).collect()
}

#[test]
fn a_firearm_is_checked_against_the_extension() {
    use Severity::{Error, Warning};
    assert_eq!(check(&gun()), vec![]);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = gun();
        edit(&mut v);
        check(&v)
    };
    // The extension must be named, with its type.
    assert_eq!(
        with(&|v| {
            v.as_object_mut().unwrap().remove("extensions");
        }),
        vec![(Error, "extension", "$".into())]
    );
    assert_eq!(
        with(&|v| v["extensions"][EXTENSION_ID]["extension_type"] = json!("property-extension")),
        vec![(Error, "extension", format!("$.extensions[\"{EXTENSION_ID}\"]"))]
    );
    // Types of values.
    assert_eq!(with(&|v| v["serial_number"] = json!(12345)), vec![(Error, "property-type", "$.serial_number".into())]);
    assert_eq!(
        with(&|v| v["importer_marks"] = json!("CAI")),
        vec![(Error, "property-type", "$.importer_marks".into())]
    );
    assert_eq!(with(&|v| v["importer_marks"] = json!([])), vec![(Error, "empty-list", "$.importer_marks".into())]);
    // Vocabulary and country are SHOULDs.
    assert_eq!(
        with(&|v| v["firearm_type"] = json!("blunderbuss")),
        vec![(Warning, "open-vocab", "$.firearm_type".into())]
    );
    assert_eq!(
        with(&|v| v["country_of_manufacture"] = json!("USA")),
        vec![(Warning, "open-vocab", "$.country_of_manufacture".into())]
    );
    // Something must say which weapon it is.
    assert_eq!(
        with(&|v| {
            let m = v.as_object_mut().unwrap();
            for k in ["manufacturer", "model", "serial_number"] {
                m.remove(k);
            }
            m.insert("id".into(), json!("x-firearm--965765fa-44c0-491f-91e3-fc4ce2c2a39f"));
        }),
        vec![(Error, "required-one-of", "$".into())]
    );
    // A property the extension does not define.
    assert_eq!(with(&|v| v["colour"] = json!("black")), vec![(Warning, "custom-property-prefix", "$.colour".into())]);
}

#[test]
fn the_id_must_be_the_deterministic_one_or_a_clear_finding() {
    let mut v = gun();
    v["id"] = json!("x-firearm--965765fa-44c0-491f-91e3-fc4ce2c2a39f");
    let mut out = Vec::new();
    validate_object(&v, Location::default(), &mut out);
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!(
        (out[0].severity, out[0].rule, out[0].path.as_str()),
        (Severity::Warning, "sco-deterministic-id", "$.id")
    );
    assert!(out[0].message.contains("x-firearm--f39ddd91-d747-5a8d-89ee-e92d6ee936e7"), "{}", out[0].message);
    assert_eq!(out[0].id.as_deref(), Some("x-firearm--965765fa-44c0-491f-91e3-fc4ce2c2a39f"));
    // The same weapon written another way has the same id: no finding.
    let mut v = gun();
    v["manufacturer"] = json!("Colt's Manufacturing Company");
    v["serial_number"] = json!("S/N: lw-12345");
    assert_eq!(check(&v), vec![]);
    // Another maker with the same serial is another weapon.
    let mut v = gun();
    v["manufacturer"] = json!("Ruger");
    assert_eq!(check(&v), vec![(Severity::Warning, "sco-deterministic-id", "$.id".into())]);
    // No serial: the weapon is not identified, so the id should be a version 4 UUID.
    let mut v = gun();
    v.as_object_mut().unwrap().remove("serial_number");
    assert_eq!(check(&v), vec![(Severity::Warning, "sco-deterministic-id", "$.id".into())]);
    v["id"] = json!("x-firearm--965765fa-44c0-491f-91e3-fc4ce2c2a39f");
    assert_eq!(check(&v), vec![]);
    // A serial with no canonical form is said, where and why.
    v["serial_number"] = json!("LW*12345");
    let mut out = Vec::new();
    validate_object(&v, Location::default(), &mut out);
    assert_eq!(out.len(), 1, "{out:#?}");
    assert_eq!((out[0].rule, out[0].path.as_str()), ("firearm-serial", "$.serial_number"));
    assert!(out[0].message.contains("'*'"), "{}", out[0].message);
    // Type mismatch in the id is still an error, as for every type.
    let mut v = gun();
    v["id"] = json!("file--965765fa-44c0-491f-91e3-fc4ce2c2a39f");
    assert!(check(&v).contains(&(Severity::Error, "id-type-mismatch", "$.id".into())));
}

#[test]
fn an_observed_data_may_reference_firearms() {
    let od = json!({"type": "observed-data", "spec_version": "2.1", "id": "observed-data--55f86b11-63cf-49c2-981d-7585569f7c6d",
        "created": "2026-03-02T16:00:00.000Z", "modified": "2026-03-02T16:00:00.000Z",
        "first_observed": "2026-03-01T04:40:00Z", "last_observed": "2026-03-01T04:40:00Z", "number_observed": 1,
        "object_refs": ["x-firearm--f39ddd91-d747-5a8d-89ee-e92d6ee936e7"]});
    assert_eq!(check(&od), vec![]);
}
