//! Payloads of a labelled set are small JSON objects (`{"dealer": "…", "sale_date": "…",
//! "trace": "…"}`). A holder's agreement with a partner says which fields that partner may
//! receive; [`filter_fields`] keeps those and drops the rest, before anything is sealed.

use serde_json::{Map, Value};

/// Why a payload cannot be filtered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("a payload must be a JSON object: {0}")]
    NotJson(String),
    #[error("a payload must be a JSON object, found {0}")]
    NotAnObject(&'static str),
    #[error("after filtering the payload is {got} bytes, more than the {max} a payload may have")]
    TooLarge { got: usize, max: usize },
}

/// Keep only the top-level fields of `payload` whose names are in `allowed`, and write the
/// result as compact JSON with its fields in name order (so the same record always seals to the
/// same plaintext). A field not in the payload is simply absent; an empty allow-list gives
/// `{}`. Nested values are kept or dropped whole: the allow-list names top-level fields only.
pub fn filter_fields<S: AsRef<str>>(payload: &str, allowed: &[S]) -> Result<String, PayloadError> {
    let value: Value = serde_json::from_str(payload).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(PayloadError::NotAnObject(kind(&value)));
    };
    let kept: Map<String, Value> =
        fields.into_iter().filter(|(k, _)| allowed.iter().any(|a| a.as_ref() == k)).collect();
    let mut names: Vec<&String> = kept.keys().collect();
    names.sort();
    let mut out = String::from("{");
    for (i, k) in names.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(k.clone()).to_string());
        out.push(':');
        out.push_str(&kept[k].to_string());
    }
    out.push('}');
    if out.len() > crate::labelled::MAX_PAYLOAD {
        return Err(PayloadError::TooLarge { got: out.len(), max: crate::labelled::MAX_PAYLOAD });
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

    const SALE: &str = r#"{"trace":"T-2024-000123","dealer":"FFL 5-74-01234","buyer":"J. Doe","sale_date":"2023-04-02","price":{"usd":899}}"#;

    #[test]
    fn keeps_only_the_allowed_fields() {
        let out = filter_fields(SALE, &["dealer", "sale_date", "trace", "not_there"]).unwrap();
        assert_eq!(out, r#"{"dealer":"FFL 5-74-01234","sale_date":"2023-04-02","trace":"T-2024-000123"}"#);
        assert!(!out.contains("Doe") && !out.contains("899"), "a withheld field never leaves");
        assert_eq!(filter_fields(SALE, &["price"]).unwrap(), r#"{"price":{"usd":899}}"#);
        assert_eq!(filter_fields::<&str>(SALE, &[]).unwrap(), "{}");
        // A field name that is a prefix or a nested name does not let anything through.
        assert_eq!(filter_fields(SALE, &["buy", "price.usd", "usd"]).unwrap(), "{}");
    }

    #[test]
    fn bad_payloads_are_errors() {
        assert!(matches!(filter_fields(r#"["a"]"#, &["a"]), Err(PayloadError::NotAnObject("a list"))));
        assert!(matches!(filter_fields("{", &["a"]), Err(PayloadError::NotJson(_))));
        let big = format!(r#"{{"a":"{}"}}"#, "x".repeat(2000));
        assert!(matches!(filter_fields(&big, &["a"]), Err(PayloadError::TooLarge { .. })));
    }
}
