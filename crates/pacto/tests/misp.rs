//! `pacto import --from misp` (or `--format misp`) and `pacto export --format misp`, black-box:
//! a MISP event in, STIX stored, the event out again; what is not a MISP export is refused
//! with the reason.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/interop/misp/events/attributes.json");

fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .env_remove("PACTO_LOG")
        .arg("--no-progress")
        .args(args)
        .output()
        .expect("pacto runs")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn a_misp_event_in_and_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run(d, &["import", "--create", "--format", "misp", SAMPLE, "-c", "intel"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("rejected 0"), "{}", text(&o));
    // the same through --from, with a JSON report: a second import changes nothing
    let o = run(d, &["import", "--create", "--from", "misp", SAMPLE, "-c", "intel", "--format", "json"]);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["report"]["added"], 0, "ids come from MISP uuids: {report}");
    assert!(report["report"]["unchanged"].as_u64().unwrap() > 100);
    // stored as STIX
    let stix: Value = serde_json::from_slice(&run(d, &["export", "-c", "intel"]).stdout).unwrap();
    let types: Vec<&str> = stix["objects"].as_array().unwrap().iter().map(|o| o["type"].as_str().unwrap()).collect();
    for t in ["report", "indicator", "observed-data", "threat-actor", "x-misp-attribute", "marking-definition"] {
        assert!(types.contains(&t), "{t}");
    }
    // and back to MISP
    let out = dir.path().join("event.json");
    let o = run(d, &["export", "-c", "intel", "--format", "misp", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let back: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let sample: Value = serde_json::from_str(&std::fs::read_to_string(SAMPLE).unwrap()).unwrap();
    assert_eq!(back["Event"]["uuid"], sample["Event"]["uuid"]);
    assert_eq!(
        back["Event"]["Attribute"].as_array().unwrap().len(),
        sample["Event"]["Attribute"].as_array().unwrap().len()
    );
}

#[test]
fn what_is_not_a_misp_export_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bundle = d.join("bundle.json");
    std::fs::write(&bundle, r#"{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}"#).unwrap();
    let o = run(d, &["import", "--create", "--from", "misp", bundle.to_str().unwrap(), "-c", "intel"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not a MISP export") && text(&o).contains("\"Event\""), "{}", text(&o));
    let no_uuid = d.join("no-uuid.json");
    std::fs::write(&no_uuid, r#"{"Event": {"info": "x", "date": "2024-01-01"}}"#).unwrap();
    let o = run(d, &["import", "--create", "--from", "misp", no_uuid.to_str().unwrap(), "-c", "intel"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("uuid"), "{}", text(&o));
}
