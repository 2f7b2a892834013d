//! A STIX object kept losslessly: its raw JSON text (exactly as received) beside a parsed
//! view with typed access to the common properties.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::timestamp::Timestamp;

/// Why raw JSON cannot be held as a STIX object at all (validation is separate).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("a STIX object must be a JSON object")]
    NotAnObject,
    #[error("the object has no string property {0:?}")]
    Missing(&'static str),
}

/// A STIX object: the text it came in and a parsed view of it.
#[derive(Debug, Clone)]
pub struct StixObject {
    raw: Box<RawValue>,
    map: Map<String, Value>,
}

impl StixObject {
    /// Hold raw JSON text as an object. Requires `type` and `id` to be strings.
    pub fn from_raw(raw: &RawValue) -> Result<Self, ObjectError> {
        let value: Value = serde_json::from_str(raw.get()).map_err(|e| ObjectError::Json(e.to_string()))?;
        let Value::Object(map) = value else {
            return Err(ObjectError::NotAnObject);
        };
        let obj = StixObject { raw: raw.to_owned(), map };
        obj.require("type")?;
        obj.require("id")?;
        Ok(obj)
    }

    /// Build from raw text and the value already parsed from it (saves a second parse).
    pub fn from_parts(raw: Box<RawValue>, value: Value) -> Result<Self, ObjectError> {
        let Value::Object(map) = value else {
            return Err(ObjectError::NotAnObject);
        };
        let obj = StixObject { raw, map };
        obj.require("type")?;
        obj.require("id")?;
        Ok(obj)
    }

    /// Build from a parsed value (the raw text becomes its compact serialization).
    pub fn from_value(value: Value) -> Result<Self, ObjectError> {
        let raw = serde_json::value::to_raw_value(&value).map_err(|e| ObjectError::Json(e.to_string()))?;
        Self::from_raw(&raw)
    }

    fn require(&self, name: &'static str) -> Result<&str, ObjectError> {
        self.str(name).ok_or(ObjectError::Missing(name))
    }

    /// The JSON text as received.
    pub fn raw(&self) -> &str {
        self.raw.get()
    }

    /// The JSON text as received, as a raw JSON value.
    pub fn raw_value(&self) -> &RawValue {
        &self.raw
    }

    /// The parsed properties.
    pub fn properties(&self) -> &Map<String, Value> {
        &self.map
    }

    /// The whole object as a JSON value (a copy).
    pub fn to_value(&self) -> Value {
        Value::Object(self.map.clone())
    }

    /// A string property.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.map.get(name).and_then(Value::as_str)
    }

    fn strs(&self, name: &str) -> Vec<&str> {
        match self.map.get(name) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    fn ts(&self, name: &str) -> Option<Timestamp> {
        self.str(name).and_then(|s| Timestamp::parse(s).ok())
    }

    pub fn type_name(&self) -> &str {
        self.str("type").unwrap_or_default()
    }
    pub fn id(&self) -> &str {
        self.str("id").unwrap_or_default()
    }
    /// The object's spec_version, if it states one.
    pub fn spec_version(&self) -> Option<&str> {
        self.str("spec_version")
    }
    pub fn created(&self) -> Option<Timestamp> {
        self.ts("created")
    }
    pub fn modified(&self) -> Option<Timestamp> {
        self.ts("modified")
    }
    pub fn revoked(&self) -> bool {
        self.map.get("revoked") == Some(&Value::Bool(true))
    }
    pub fn labels(&self) -> Vec<&str> {
        self.strs("labels")
    }
    pub fn confidence(&self) -> Option<i64> {
        self.map.get("confidence").and_then(Value::as_i64)
    }
    pub fn created_by_ref(&self) -> Option<&str> {
        self.str("created_by_ref")
    }
    pub fn object_marking_refs(&self) -> Vec<&str> {
        self.strs("object_marking_refs")
    }
    pub fn granular_markings(&self) -> &[Value] {
        self.map.get("granular_markings").and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }
    pub fn external_references(&self) -> &[Value] {
        self.map.get("external_references").and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }
    pub fn extensions(&self) -> Option<&Map<String, Value>> {
        self.map.get("extensions").and_then(Value::as_object)
    }

    /// The version key of this object: `modified`, else `created` (marking definitions and
    /// SCOs may have neither; they then have a single version).
    pub fn version(&self) -> Option<Timestamp> {
        self.modified().or_else(|| self.created())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_access_and_raw_kept() {
        let text = r#"{"type":"malware","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2017-04-06T20:03:48.000Z","labels":["a","b"],"x_y":{"z":[1.50]},"revoked":true,"confidence":7}"#;
        let raw = RawValue::from_string(text.to_string()).unwrap();
        let o = StixObject::from_raw(&raw).unwrap();
        assert_eq!(o.raw(), text);
        assert_eq!(o.type_name(), "malware");
        assert_eq!(o.labels(), vec!["a", "b"]);
        assert!(o.revoked());
        assert_eq!(o.confidence(), Some(7));
        assert_eq!(o.version(), o.modified());
        assert!(StixObject::from_value(serde_json::json!({"type": "x"})).is_err());
        assert!(StixObject::from_value(serde_json::json!([1])).is_err());
    }
}
