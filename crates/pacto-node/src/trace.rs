//! A labelled match as STIX (`pacto trace`): the seized firearms (`x-firearm`), and for each
//! one the partner's set holds, what its payload says — the dealer as an identity, the sale as
//! a `sold` relationship from the dealer to the firearm (its `start_time` the sale date), and
//! a note carrying the trace reference and every field received, with where it came from.
//!
//! Payload fields with a meaning here: `dealer` (the dealer's licence or reference),
//! `sale_date` (`YYYY-MM-DD` or a STIX timestamp), `trace_ref` (the reference to cite in a
//! formal request). Any other field is kept in the note.

use pacto_psi::Trace;
use serde_json::{Map, Value, json};

/// The namespace of pacto's trace ids (a fixed random UUID).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x8e3f_61a2_0b7d_4c59_a1e4_26d9_c0f3_7b18);

fn id(kind: &str, name: &str) -> String {
    format!("{kind}--{}", uuid::Uuid::new_v5(&NAMESPACE, format!("{kind}|{name}").as_bytes()))
}

/// Why a seized firearm cannot be matched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FirearmError {
    #[error("an x-firearm needs both manufacturer and serial_number to be matched")]
    Incomplete,
    #[error("{0} must be a string")]
    NotText(&'static str),
}

/// An `x-firearm` object from its properties (`manufacturer`, `serial_number`, and any other
/// the extension defines): its deterministic id, `spec_version` and the extension added.
pub fn firearm(properties: Map<String, Value>) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), json!(pacto_stix::firearm::TYPE));
    o.insert("spec_version".into(), json!("2.1"));
    o.extend(properties);
    let id = pacto_stix::firearm::id_of(&Value::Object(o.clone()))
        .unwrap_or_else(|| format!("{}--{}", pacto_stix::firearm::TYPE, uuid::Uuid::new_v4()));
    o.insert("id".into(), json!(id));
    o.insert("extensions".into(), json!({ pacto_stix::firearm::EXTENSION_ID: { "extension_type": "new-sco" } }));
    Value::Object(o)
}

/// The item a firearm is matched by (the firearm rule's input: `MANUFACTURER<TAB>SERIAL`).
pub fn item(firearm: &Value) -> Result<Vec<u8>, FirearmError> {
    let text = |name: &'static str| match firearm.get(name) {
        None => Err(FirearmError::Incomplete),
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(FirearmError::NotText(name)),
    };
    Ok(format!("{}\t{}", text("manufacturer")?, text("serial_number")?).into_bytes())
}

/// `sale_date` as a STIX timestamp: a date is its midnight UTC; anything else that is not a
/// timestamp gives none (the note still carries it as received).
fn sale_time(value: &str) -> Option<String> {
    let full = if value.len() == 10 { format!("{value}T00:00:00Z") } else { value.to_string() };
    pacto_stix::Timestamp::parse(&full).ok().map(|t| t.format(0))
}

/// The trace as STIX objects: every seized firearm, then, for each trace, the dealer's identity
/// (once per dealer), the `sold` relationship and the note. `created` is the time of the trace;
/// `partner` and `set` say where the payloads came from. Ids are derived from what the objects
/// say, so a second trace of the same weapons gives new versions of the same objects.
pub fn bundle_objects(partner: &str, set: &str, seized: &[Value], traces: &[Trace], created: &str) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in seized {
        if seen.insert(f["id"].as_str().unwrap_or_default().to_string()) {
            out.push(f.clone());
        }
    }
    for t in traces {
        let Some(f) = seized.get(t.index) else { continue };
        let firearm_id = f["id"].as_str().unwrap_or_default();
        let text = String::from_utf8_lossy(&t.payload).into_owned();
        let fields = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => m,
            _ => Map::from_iter([("payload".to_string(), json!(text))]),
        };
        let field = |name: &str| fields.get(name).and_then(Value::as_str);
        let trace_ref = field("trace_ref");
        let source = format!("{partner}'s set {set}");
        let mut refs = vec![json!(firearm_id)];
        if let Some(dealer) = field("dealer") {
            let dealer_id = id("identity", &format!("{partner}|{dealer}"));
            if seen.insert(dealer_id.clone()) {
                out.push(json!({
                    "type": "identity", "spec_version": "2.1", "id": dealer_id,
                    "created": created, "modified": created,
                    "name": dealer, "identity_class": "organization",
                    "description": format!("A dealer named in a trace answered by {source}."),
                    "external_references": [{ "source_name": "dealer", "external_id": dealer }],
                }));
            }
            let mut sold = json!({
                "type": "relationship", "spec_version": "2.1",
                "id": id("relationship", &format!("{partner}|{set}|{firearm_id}|{dealer}")),
                "created": created, "modified": created,
                "relationship_type": "sold", "source_ref": dealer_id, "target_ref": firearm_id,
                "description": format!("Sale of the firearm by the dealer, as recorded in {source}."),
            });
            if let Some(time) = field("sale_date").and_then(sale_time) {
                sold["start_time"] = json!(time);
            }
            if let Some(r) = trace_ref {
                sold["external_references"] = json!([{ "source_name": "trace", "external_id": r }]);
            }
            refs.push(sold["id"].clone());
            out.push(sold);
        }
        let lines: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect();
        let mut note = json!({
            "type": "note", "spec_version": "2.1",
            "id": id("note", &format!("{partner}|{set}|{firearm_id}")),
            "created": created, "modified": created,
            "abstract": match trace_ref {
                Some(r) => format!("Trace {r} ({source})"),
                None => format!("Trace ({source})"),
            },
            "content": format!("Private match against {source}.\n{}", lines.join("\n")),
            "object_refs": refs,
        });
        if let Some(r) = trace_ref {
            note["external_references"] = json!([{ "source_name": "trace", "external_id": r }]);
        }
        out.push(note);
    }
    out
}

/// [`bundle_objects`] in a STIX bundle.
pub fn bundle(partner: &str, set: &str, seized: &[Value], traces: &[Trace], created: &str) -> Value {
    json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid::Uuid::new_v4()),
        "objects": bundle_objects(partner, set, seized, traces, created),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(m: &str, s: &str) -> Map<String, Value> {
        let mut p = Map::new();
        p.insert("manufacturer".into(), json!(m));
        p.insert("serial_number".into(), json!(s));
        p
    }

    #[test]
    fn a_trace_is_valid_stix_that_says_where_it_came_from() {
        let seized = vec![firearm(props("Colt's Manufacturing Company", "LW 12345")), firearm(props("Glock", "X1"))];
        assert_eq!(seized[0]["id"], "x-firearm--f39ddd91-d747-5a8d-89ee-e92d6ee936e7");
        assert_eq!(item(&seized[0]).unwrap(), b"Colt's Manufacturing Company\tLW 12345");
        let traces = vec![Trace {
            index: 0,
            payload: br#"{"dealer":"5-74-01234","sale_date":"2025-05-17","trace_ref":"T-000123","price":"899"}"#
                .to_vec(),
        }];
        let created = "2026-03-02T16:00:00.000Z";
        let objects = bundle_objects("us", "dealer-sales", &seized, &traces, created);
        let kinds: Vec<&str> = objects.iter().map(|o| o["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["x-firearm", "x-firearm", "identity", "relationship", "note"]);
        let sold = &objects[3];
        assert_eq!(sold["source_ref"], objects[2]["id"]);
        assert_eq!(sold["target_ref"], seized[0]["id"]);
        assert_eq!(sold["start_time"], "2025-05-17T00:00:00Z");
        assert_eq!(sold["external_references"][0]["external_id"], "T-000123");
        let note = &objects[4];
        assert!(note["content"].as_str().unwrap().contains("price: 899"));
        assert_eq!(note["object_refs"], json!([seized[0]["id"], sold["id"]]));
        // Every object passes the validator, as an import would require.
        for o in &objects {
            let mut findings = Vec::new();
            let loc = pacto_stix::validate::Location::default();
            let verdict = pacto_stix::validate::validate_object(o, loc, &mut findings);
            assert_eq!(verdict.errors, 0, "{o}: {findings:?}");
        }
        // The same trace again: the same ids.
        let again = bundle_objects("us", "dealer-sales", &seized, &traces, "2026-03-03T00:00:00.000Z");
        let ids = |v: &[Value]| v.iter().map(|o| o["id"].clone()).collect::<Vec<_>>();
        assert_eq!(ids(&objects), ids(&again));
    }

    #[test]
    fn what_cannot_be_matched_is_said() {
        assert_eq!(item(&json!({"manufacturer": "Colt"})), Err(FirearmError::Incomplete));
        assert_eq!(
            item(&json!({"manufacturer": "Colt", "serial_number": 5})),
            Err(FirearmError::NotText("serial_number"))
        );
        // A payload that is not a JSON object is kept, whole, in the note.
        let seized = vec![firearm(props("Colt", "LW1"))];
        let objects =
            bundle_objects("us", "s", &seized, &[Trace { index: 0, payload: b"T-9".to_vec() }], "2026-01-01T00:00:00Z");
        assert_eq!(objects.len(), 2);
        assert!(objects[1]["content"].as_str().unwrap().contains("payload: T-9"));
        assert!(objects[1].get("external_references").is_none());
    }
}
