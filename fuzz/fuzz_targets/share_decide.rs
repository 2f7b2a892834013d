//! Arbitrary objects through a sharing agreement (redaction by name and by path, granular
//! markings, hidden references): never a panic, and nothing disclosed carries the redacted
//! property, a TLP level above the share's, or a reference to a hidden object.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pacto_federation::agreement::{Agreement, Decision};
use pacto_stix::Tlp;
use serde_json::Value;

const AGREEMENT: &str = r#"
partner = "p"
[[share]]
collection = "c"
max_tlp = "amber"
include_unmarked = true
redact = ["x_secret", "x_case.officer"]
"#;

fn has_member(v: &Value, name: &str) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| k == name || has_member(v, name)),
        Value::Array(a) => a.iter().any(|v| has_member(v, name)),
        _ => false,
    }
}

/// Whether a `*_ref` or `*_refs` member anywhere names `id`.
fn refers_to(v: &Value, id: &str) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| {
            (k.ends_with("_ref") && v.as_str() == Some(id))
                || (k.ends_with("_refs") && v.as_array().is_some_and(|a| a.iter().any(|x| x.as_str() == Some(id))))
                || refers_to(v, id)
        }),
        Value::Array(a) => a.iter().any(|v| refers_to(v, id)),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else { return };
    let share = Agreement::parse(AGREEMENT).expect("agreement").share[0].clone();
    let hidden = "identity--00000000-0000-4000-8000-00000000dead";
    if let Decision::Disclose(out) = share.decide(&v, &|id| id != hidden) {
        assert!(!has_member(&out, "x_secret"), "{out}");
        assert!(!refers_to(&out, hidden), "{out}");
        let marks = out.get("object_marking_refs").and_then(Value::as_array).cloned().unwrap_or_default();
        let level = Tlp::of_refs(marks.iter().filter_map(Value::as_str));
        assert!(level.is_none_or(|l| l <= Tlp::Amber), "{out}");
    }
});
