//! Parsing one object's JSON text into a value while noticing duplicate member names, which
//! I-JSON (RFC 7493, required by STIX 2.1) forbids and which a plain parse would silently
//! resolve by keeping the last one.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

/// Parse raw object text. Returns the value and the JSON paths (relative to the object, e.g.
/// `.hashes["MD5"]`) of members that appeared more than once. Errors say why without a line
/// and column (those would count from the object's start, not the file's).
pub fn parse_object(raw: &RawValue) -> Result<(Value, Vec<String>), String> {
    let dups = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let value = ValueSeed { at: None, dups: &dups }.deserialize(&mut de).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.rfind(" at line ").map_or(msg.as_str(), |p| &msg[..p]).to_string();
        if msg.contains("recursion limit") {
            "nesting deeper than 128 levels is not accepted (recursion limit exceeded)".to_string()
        } else {
            msg
        }
    })?;
    Ok((value, dups.into_inner()))
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Where a value sits, as a chain of frames on the stack: no allocation unless a path is needed.
struct At<'a> {
    seg: Seg<'a>,
    parent: Option<&'a At<'a>>,
}

fn render(at: Option<&At<'_>>, out: &mut String) {
    if let Some(at) = at {
        render(at.parent, out);
        match at.seg {
            Seg::Key(k) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Key(k) => {
                out.push('[');
                out.push_str(&Value::String(k.to_string()).to_string());
                out.push(']');
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
}

struct ValueSeed<'a> {
    at: Option<&'a At<'a>>,
    dups: &'a RefCell<Vec<String>>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            let at = At { seg: Seg::Index(items.len()), parent: self.at };
            match seq.next_element_seed(ValueSeed { at: Some(&at), dups: self.dups })? {
                Some(v) => items.push(v),
                None => break,
            }
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let at = At { seg: Seg::Key(&key), parent: self.at };
            let v = map.next_value_seed(ValueSeed { at: Some(&at), dups: self.dups })?;
            if m.contains_key(&key) {
                let mut path = String::new();
                render(Some(&at), &mut path);
                self.dups.borrow_mut().push(path);
            }
            m.insert(key, v);
        }
        Ok(Value::Object(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<(Value, Vec<String>), String> {
        parse_object(&RawValue::from_string(s.to_string()).unwrap())
    }

    #[test]
    fn same_value_as_serde_json() {
        let text = r#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"c":18446744073709551615,"d":"\u00e9"}"#;
        let (v, dups) = parse(text).unwrap();
        assert_eq!(v, serde_json::from_str::<Value>(text).unwrap());
        assert!(dups.is_empty());
    }

    #[test]
    fn duplicates_are_reported_with_paths() {
        let (v, dups) = parse(r#"{"name":"a","name":"b","hashes":{"MD5":"1","MD5":"2"},"l":[{"x":1,"x":2}]}"#).unwrap();
        assert_eq!(dups, vec![".name", ".hashes.MD5", ".l[0].x"]);
        assert_eq!(v["name"], "b");
    }

    #[test]
    fn too_deep_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse(&deep).unwrap_err().contains("128"));
    }
}
