//! The MISP mapping on the sample event (tests/interop/misp/events/attributes.json: an attribute
//! of each type pacto maps, with and without to_ids, MISP objects, galaxies, tags): what each
//! becomes, that everything it makes is valid STIX 2.1 by pacto's own validator, and that
//! exporting gives the event back.

use std::collections::HashMap;

use pacto_misp::{read_events, to_misp, to_stix};
use pacto_stix::{Location, Severity, Tlp, validate_object};
use serde_json::{Value, json};

fn sample() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/interop/misp/events/attributes.json"
    ))
    .unwrap();
    read_events(&text).unwrap().remove(0)
}

fn by_id(objects: &[Value]) -> HashMap<String, Value> {
    objects.iter().map(|o| (o["id"].as_str().unwrap().to_string(), o.clone())).collect()
}

fn attr<'a>(event: &'a Value, ty: &str, to_ids: bool) -> &'a Value {
    event["Attribute"].as_array().unwrap().iter().find(|a| a["type"] == ty && a["to_ids"] == to_ids).unwrap()
}

#[test]
fn every_object_made_is_valid_stix() {
    let out = to_stix(&sample()).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    for o in &out.objects {
        let mut findings = Vec::new();
        validate_object(o, Location::default(), &mut findings);
        let errors: Vec<_> = findings.iter().filter(|f| f.severity == Severity::Error).collect();
        assert!(errors.is_empty(), "{o}: {errors:?}");
    }
    // One UUID, one type (misp-stix reuses the attribute's uuid across types; pacto does not).
    let mut seen: HashMap<String, String> = HashMap::new();
    for o in &out.objects {
        let (ty, u) = o["id"].as_str().unwrap().split_once("--").unwrap();
        if let Some(other) = seen.insert(u.to_string(), ty.to_string()) {
            assert_eq!(other, ty, "UUID {u} names a {other} and a {ty}");
        }
    }
}

#[test]
fn to_ids_attributes_become_indicators_based_on_their_observation() {
    let event = sample();
    let out = to_stix(&event).unwrap();
    let ids = by_id(&out.objects);
    let hot = attr(&event, "domain", true);
    let ind = &ids[&format!("indicator--{}", hot["uuid"].as_str().unwrap())];
    assert_eq!(ind["pattern"], "[domain-name:value = 'pagos-rapidos.example']");
    assert_eq!(
        ind["kill_chain_phases"][0],
        json!({"kill_chain_name": "misp-category", "phase_name": "Network activity"})
    );
    assert!(ind["labels"].as_array().unwrap().contains(&json!("misp:type=\"domain\"")));
    let rel = out
        .objects
        .iter()
        .find(|o| o["type"] == "relationship" && o["source_ref"] == ind["id"])
        .expect("a based-on relationship");
    assert_eq!(rel["relationship_type"], "based-on");
    let od = &ids[rel["target_ref"].as_str().unwrap()];
    let sco = &ids[od["object_refs"][0].as_str().unwrap()];
    assert_eq!((sco["type"].clone(), sco["value"].clone()), (json!("domain-name"), json!("pagos-rapidos.example")));
    // Without to_ids: the observation alone, under the attribute's uuid.
    let cold = attr(&event, "domain", false);
    let u = cold["uuid"].as_str().unwrap();
    assert!(!ids.contains_key(&format!("indicator--{u}")));
    assert_eq!(ids[&format!("observed-data--{u}")]["number_observed"], 1);
    // No STIX observable: x-misp-attribute, kept whole.
    let c = attr(&event, "comment", false);
    let x = &ids[&format!("x-misp-attribute--{}", c["uuid"].as_str().unwrap())];
    assert_eq!((x["x_misp_type"].clone(), x["x_misp_value"].clone()), (json!("comment"), c["value"].clone()));
    // Registry keys get their hive spelled out; a vulnerability is one.
    let rk = attr(&event, "regkey", true);
    let rk = &ids[&format!("indicator--{}", rk["uuid"].as_str().unwrap())];
    assert!(rk["pattern"].as_str().unwrap().starts_with("[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\Software"));
    let v = attr(&event, "vulnerability", true);
    assert_eq!(ids[&format!("vulnerability--{}", v["uuid"].as_str().unwrap())]["name"], "CVE-2021-44228");
}

#[test]
fn the_event_its_objects_galaxies_and_tags() {
    let event = sample();
    let out = to_stix(&event).unwrap();
    let report = out.objects.last().unwrap();
    assert_eq!(report["type"], "report");
    assert_eq!(report["id"], format!("report--{}", event["uuid"].as_str().unwrap()));
    assert_eq!(report["object_marking_refs"], json!([Tlp::Amber.marking_id()]), "tlp:amber is TLP 2.0 AMBER");
    let labels = report["labels"].as_array().unwrap();
    assert!(labels.contains(&json!("type:OSINT")) && labels.contains(&json!("pagos")));
    assert!(!labels.iter().any(|l| l.as_str().unwrap().starts_with("tlp:")));
    assert_eq!(report["created_by_ref"], format!("identity--{}", event["Orgc"]["uuid"].as_str().unwrap()));
    let refs: Vec<&str> = report["object_refs"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    let ids = by_id(&out.objects);
    assert!(refs.iter().all(|r| ids.contains_key(*r)), "every reference is in the output");
    let types = |ty: &str| out.objects.iter().filter(|o| o["type"] == ty).count();
    for ty in ["threat-actor", "intrusion-set", "malware", "tool", "attack-pattern"] {
        assert_eq!(types(ty), 1, "{ty}");
    }
    let ap = out.objects.iter().find(|o| o["type"] == "attack-pattern").unwrap();
    assert_eq!(ap["name"], "Phishing");
    // The file object: one file with its hashes, an indicator over its to_ids attributes.
    let file = &event["Object"][0];
    let fu = file["uuid"].as_str().unwrap();
    let ind = &ids[&format!("indicator--{fu}")];
    assert_eq!(
        ind["pattern"],
        "[file:hashes.MD5 = '098f6bcd4621d373cade4e832627b4f6' AND file:hashes.'SHA-256' = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']"
    );
    // Unpublished: a grouping.
    let mut draft = event.clone();
    draft["published"] = json!(false);
    let g = to_stix(&draft).unwrap().objects.pop().unwrap();
    assert_eq!((g["type"].clone(), g["context"].clone()), (json!("grouping"), json!("suspicious-activity")));
}

#[test]
fn exporting_gives_the_event_back() {
    let event = sample();
    let out = to_stix(&event).unwrap();
    let (events, warnings) = to_misp(&out.objects);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(events.len(), 1);
    let back = &events[0]["Event"];
    assert_eq!(back["uuid"], event["uuid"]);
    assert_eq!(back["info"], event["info"]);
    assert_eq!(back["published"], true);
    assert_eq!(back["Orgc"]["name"], "CERT-MX");
    let key = |a: &Value| {
        let mut v = a["value"].as_str().unwrap().to_string();
        if a["type"] == "regkey" {
            v = v.replace("HKEY_LOCAL_MACHINE", "HKLM");
        }
        (
            a["uuid"].as_str().unwrap().to_string(),
            a["type"].as_str().unwrap().to_string(),
            v,
            a["to_ids"].as_bool().unwrap(),
        )
    };
    let mut want: Vec<_> = event["Attribute"].as_array().unwrap().iter().map(key).collect();
    let mut got: Vec<_> = back["Attribute"].as_array().unwrap().iter().map(key).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "every attribute: uuid, type, value and to_ids");
    let names: Vec<&str> = back["Object"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    let tags: Vec<&str> = back["Tag"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for t in ["tlp:amber", "type:OSINT", "pagos", "misp-galaxy:threat-actor=\"Los Pagos\""] {
        assert!(tags.contains(&t), "{t} in {tags:?}");
    }
    assert_eq!(back["Galaxy"].as_array().unwrap().len(), 5);
}

#[test]
fn plain_stix_exports_as_an_event_of_what_it_says() {
    let objects = vec![
        json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "pattern_type": "stix",
            "pattern": "[file:hashes.'SHA-256' = 'a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e']",
            "valid_from": "2024-01-01T00:00:00Z", "object_marking_refs": [Tlp::Red.marking_id()]}),
        json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "pattern_type": "stix",
            "pattern": "[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.2']",
            "valid_from": "2024-01-01T00:00:00Z"}),
    ];
    let (events, warnings) = to_misp(&objects);
    let e = &events[0]["Event"];
    assert_eq!(e["Attribute"].as_array().unwrap().len(), 1);
    assert_eq!(e["Attribute"][0]["type"], "sha256");
    assert_eq!(e["Attribute"][0]["Tag"], json!([{"name": "tlp:red"}]));
    assert_eq!(warnings.len(), 1, "the pattern MISP has no attribute for is named: {warnings:?}");
    assert!(warnings[0].contains("indicator--9e2e2d2b"));
}

#[test]
fn bad_events_are_refused_or_warned_about_never_a_panic() {
    assert!(to_stix(&json!({"info": "no uuid"})).is_err());
    assert!(to_stix(&json!({"uuid": "4be3950d-210f-4c8e-9e4a-0a1b2c3d4e5f"})).is_err(), "no timestamp, no date");
    let e = json!({"uuid": "4be3950d-210f-4c8e-9e4a-0a1b2c3d4e5f", "date": "2024-05-02", "info": "x",
        "Attribute": [{"type": "ip-dst"}, {"uuid": "5be3950d-210f-4c8e-9e4a-0a1b2c3d4e5f", "type": "AS", "value": "ASX",
            "to_ids": true}], "Object": [{"name": "file"}], "Galaxy": [{"type": "unheard-of", "GalaxyCluster": [{}]}]});
    let out = to_stix(&e).unwrap();
    assert_eq!(out.warnings.len(), 3, "{:?}", out.warnings);
    // "ASX" is no AS number: kept as x-misp-attribute, not lost
    assert!(out.objects.iter().any(|o| o["type"] == "x-misp-attribute" && o["x_misp_value"] == "ASX"));
    // an event with nothing in it still gives a valid report (it must reference something)
    let empty =
        to_stix(&json!({"uuid": "4be3950d-210f-4c8e-9e4a-0a1b2c3d4e5f", "timestamp": "1714644000", "info": "x"}))
            .unwrap();
    let report = empty.objects.last().unwrap();
    assert_eq!(report["object_refs"].as_array().unwrap().len(), 1);
}
