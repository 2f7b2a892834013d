//! MISP events to STIX 2.1 and back, following the mapping of MISP's own `misp-stix` library
//! (`MISPtoSTIX21Parser`), so that what pacto makes of an event is what MISP makes of it:
//!
//! - an event becomes a `report` when published, a `grouping` (context `suspicious-activity`)
//!   when not, created by an `identity` for its creator organisation (`Orgc`);
//! - an attribute with a STIX observable becomes `observed-data` with its SCOs, and, when its
//!   `to_ids` flag is set, also an `indicator` whose pattern says the same (and a `based-on`
//!   relationship between the two); a vulnerability becomes a `vulnerability`; anything else an
//!   `x-misp-attribute`;
//! - the MISP objects `file`, `domain-ip`, `ip-port`, `url` and `email` become one observed-data
//!   (and an indicator over their `to_ids` attributes); other objects `x-misp-object`;
//! - galaxy clusters become threat-actor, intrusion-set, malware, tool, attack-pattern… SDOs;
//! - `tlp:*` tags become TLP 2.0 markings (misp-stix uses TLP 1.0's: a documented difference),
//!   other tags labels.
//!
//! [`to_misp`] writes events back from STIX objects. Ids come from the MISP uuids
//! (`indicator--<attribute uuid>`), so importing an event twice gives the same objects.
//! Where pacto's output departs from misp-stix's, docs/interop.md says how and why, with the
//! agreement figure of the differential test (`tests/interop/misp_diff.py`).
//!
//! Pure functions over `serde_json::Value`s: no I/O, no clock; never panics on any input
//! (fuzzed: `fuzz/fuzz_targets/misp.rs`).

#![forbid(unsafe_code)]

mod attribute;
mod export;
mod import;

use serde_json::Value;

pub use export::to_misp;
pub use import::{Converted, to_stix};

/// Why a MISP document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MispError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error(
        "{0}: expected a MISP event as MISP's REST API exports it: {{\"Event\": {{…}}}}, a list of them, or {{\"response\": […]}}"
    )]
    Shape(String),
    #[error("event {index}: {why}")]
    Event { index: usize, why: String },
}

/// The events of a MISP export: `{"Event": {…}}`, a list of those, `{"response": [...]}` (the
/// REST search answer), or a bare event object (`{"uuid": …, "info": …}`).
pub fn read_events(text: &str) -> Result<Vec<Value>, MispError> {
    let v: Value = serde_json::from_str(text).map_err(|e| MispError::Json(e.to_string()))?;
    events_of(v)
}

/// As [`read_events`], from a parsed document.
pub fn events_of(v: Value) -> Result<Vec<Value>, MispError> {
    let list = match v {
        Value::Object(mut m) => {
            if let Some(r) = m.remove("response") {
                match r {
                    Value::Array(items) => items,
                    other => vec![other],
                }
            } else {
                vec![Value::Object(m)]
            }
        }
        Value::Array(items) => items,
        other => return Err(MispError::Shape(format!("the document is {}", kind(&other)))),
    };
    let mut events = Vec::with_capacity(list.len());
    for (index, item) in list.into_iter().enumerate() {
        let event = match item {
            Value::Object(mut m) => match m.remove("Event") {
                Some(e @ Value::Object(_)) => e,
                Some(other) => {
                    return Err(MispError::Event {
                        index,
                        why: format!("\"Event\" is {}, not an object", kind(&other)),
                    });
                }
                None if m.contains_key("uuid") && m.contains_key("info") => Value::Object(m),
                None => return Err(MispError::Shape(format!("item {index} has no \"Event\""))),
            },
            other => return Err(MispError::Shape(format!("item {index} is {}", kind(&other)))),
        };
        events.push(event);
    }
    Ok(events)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A MISP value as text: strings as they are, numbers and booleans written out.
pub(crate) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// MISP's booleans: `true`, `"1"`, `1`, `"true"`.
pub(crate) fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "True"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shapes_misp_exports() {
        let one = r#"{"Event": {"uuid": "u", "info": "i"}}"#;
        assert_eq!(read_events(one).unwrap().len(), 1);
        let list = r#"[{"Event": {"uuid": "u", "info": "i"}}, {"Event": {"uuid": "v", "info": "j"}}]"#;
        assert_eq!(read_events(list).unwrap().len(), 2);
        let search = r#"{"response": [{"Event": {"uuid": "u", "info": "i"}}]}"#;
        assert_eq!(read_events(search).unwrap().len(), 1);
        assert_eq!(read_events(r#"{"uuid": "u", "info": "i"}"#).unwrap().len(), 1);
        assert!(matches!(read_events("[1]"), Err(MispError::Shape(_))));
        assert!(matches!(read_events(r#"{"type": "bundle"}"#), Err(MispError::Shape(_))));
        assert!(matches!(read_events(r#"{"Event": 3}"#), Err(MispError::Event { index: 0, .. })));
        assert!(matches!(read_events("nope"), Err(MispError::Json(_))));
    }
}
