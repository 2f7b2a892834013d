//! Payloads of a labelled set. The holder keeps each item's payload as a JSON object of text
//! fields (`{"buyer":"…","dealer":"…","sale_date":"…","trace_ref":"…"}`, made by [`record`]).
//! For a partner, [`project`] keeps the fields its agreement lists, in the agreement's order,
//! as values only — `length u8 ‖ value` each; the names travel once, in the answer's header —
//! and [`expand`] gives the querier the object back. A field the agreement does not list is in
//! no byte of a projection, so no key can reveal it.

use serde_json::{Map, Value};

/// The longest value of a field, in bytes (its length is one byte in a projection).
pub const MAX_VALUE: usize = 255;

/// Why a payload cannot be made, projected or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("a payload must be a JSON object: {0}")]
    NotJson(String),
    #[error("a payload must be a JSON object, found {0}")]
    NotAnObject(&'static str),
    #[error("field {field:?} must be text, found {found}")]
    NotText { field: String, found: &'static str },
    #[error("field {field:?} is {len} bytes long, more than the {MAX_VALUE} a value may have")]
    ValueTooLong { field: String, len: usize },
    #[error("the payload is {got} bytes, more than the {max} a payload may have")]
    TooLarge { got: usize, max: usize },
    #[error("the payload ends inside field {0:?}")]
    Truncated(String),
    #[error("{0} bytes follow the last field")]
    Trailing(usize),
}

/// A payload from named text values: a compact JSON object, names in order, empty values left
/// out. Each value is at most [`MAX_VALUE`] bytes and the whole at most
/// [`crate::labelled::MAX_PAYLOAD`].
pub fn record<N: AsRef<str>, V: AsRef<str>>(fields: &[(N, V)]) -> Result<String, PayloadError> {
    let mut m = Map::new();
    for (name, value) in fields {
        let (name, value) = (name.as_ref(), value.as_ref());
        if value.len() > MAX_VALUE {
            return Err(PayloadError::ValueTooLong { field: name.to_string(), len: value.len() });
        }
        if !value.is_empty() {
            m.insert(name.to_string(), Value::String(value.to_string()));
        }
    }
    let text = Value::Object(m).to_string();
    if text.len() > crate::labelled::MAX_PAYLOAD {
        return Err(PayloadError::TooLarge { got: text.len(), max: crate::labelled::MAX_PAYLOAD });
    }
    Ok(text)
}

/// The values of `fields` in `payload` (a JSON object), in that order, each as `length u8 ‖
/// value`; a field the payload lacks has length 0. Nothing else of the payload is in the result.
pub fn project<S: AsRef<str>>(payload: &str, fields: &[S]) -> Result<Vec<u8>, PayloadError> {
    let value: Value = serde_json::from_str(payload).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let Value::Object(object) = value else {
        return Err(PayloadError::NotAnObject(kind(&value)));
    };
    let mut out = Vec::with_capacity(fields.len() + payload.len());
    for f in fields {
        let f = f.as_ref();
        let text = match object.get(f) {
            None | Some(Value::Null) => "",
            Some(Value::String(s)) => s.as_str(),
            Some(other) => return Err(PayloadError::NotText { field: f.to_string(), found: kind(other) }),
        };
        if text.len() > MAX_VALUE {
            return Err(PayloadError::ValueTooLong { field: f.to_string(), len: text.len() });
        }
        out.push(text.len() as u8);
        out.extend_from_slice(text.as_bytes());
    }
    if out.len() > crate::labelled::MAX_PAYLOAD {
        return Err(PayloadError::TooLarge { got: out.len(), max: crate::labelled::MAX_PAYLOAD });
    }
    Ok(out)
}

/// A projection back as a JSON object of the fields it has a value for.
pub fn expand<S: AsRef<str>>(fields: &[S], projected: &[u8]) -> Result<Map<String, Value>, PayloadError> {
    let mut out = Map::new();
    let mut at = 0;
    for f in fields {
        let f = f.as_ref();
        let len = usize::from(*projected.get(at).ok_or_else(|| PayloadError::Truncated(f.to_string()))?);
        let value = projected.get(at + 1..at + 1 + len).ok_or_else(|| PayloadError::Truncated(f.to_string()))?;
        at += 1 + len;
        if len > 0 {
            out.insert(f.to_string(), Value::String(String::from_utf8_lossy(value).into_owned()));
        }
    }
    if at != projected.len() {
        return Err(PayloadError::Trailing(projected.len() - at));
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    const SALE: &str =
        r#"{"trace_ref":"T-2024-000123","dealer":"FFL 5-74-01234","buyer":"J. Doe","sale_date":"2023-04-02"}"#;

    #[test]
    fn a_projection_holds_only_the_listed_fields() {
        let p = project(SALE, &["dealer", "sale_date", "trace_ref", "not_there"]).unwrap();
        assert_eq!(p, b"\x0eFFL 5-74-01234\x0a2023-04-02\x0dT-2024-000123\x00".to_vec());
        assert!(!p.windows(3).any(|w| w == b"Doe"), "a withheld field never leaves");
        let back = expand(&["dealer", "sale_date", "trace_ref", "not_there"], &p).unwrap();
        assert_eq!(
            Value::Object(back).to_string(),
            r#"{"dealer":"FFL 5-74-01234","sale_date":"2023-04-02","trace_ref":"T-2024-000123"}"#
        );
        assert!(project::<&str>(SALE, &[]).unwrap().is_empty());
        // A field name that is a prefix of another lets nothing through.
        assert_eq!(project(SALE, &["buy", "trace"]).unwrap(), vec![0, 0]);
    }

    #[test]
    fn records_are_compact_json_of_text() {
        let r = record(&[("dealer", "FFL 1"), ("buyer", ""), ("sale_date", "2023-04-02")]).unwrap();
        assert_eq!(r, r#"{"dealer":"FFL 1","sale_date":"2023-04-02"}"#);
        let long = "x".repeat(MAX_VALUE + 1);
        assert_eq!(record(&[("a", long.as_str())]), Err(PayloadError::ValueTooLong { field: "a".into(), len: 256 }));
        let many: Vec<(String, String)> = (0..8).map(|i| (format!("f{i}"), "y".repeat(200))).collect();
        assert!(matches!(record(&many), Err(PayloadError::TooLarge { .. })));
    }

    #[test]
    fn bad_payloads_are_errors() {
        assert!(matches!(project(r#"["a"]"#, &["a"]), Err(PayloadError::NotAnObject("a list"))));
        assert!(matches!(project("{", &["a"]), Err(PayloadError::NotJson(_))));
        assert_eq!(project(r#"{"a":5}"#, &["a"]), Err(PayloadError::NotText { field: "a".into(), found: "a number" }));
        let long = format!(r#"{{"a":"{}"}}"#, "x".repeat(300));
        assert!(matches!(project(&long, &["a"]), Err(PayloadError::ValueTooLong { len: 300, .. })));
        assert_eq!(expand(&["a", "b"], b"\x02xy"), Err(PayloadError::Truncated("b".into())));
        assert_eq!(expand(&["a"], b"\x05xy"), Err(PayloadError::Truncated("a".into())));
        assert_eq!(expand(&["a"], b"\x01xyz"), Err(PayloadError::Trailing(2)));
    }
}
