//! A streaming reader for STIX content: a bundle, a bare object, a JSON list of objects, or a
//! TAXII envelope.
//!
//! The reader hands each object to a callback as raw JSON text as soon as it has been read,
//! so a bundle of any size is never whole in memory: only the object being handled is.

use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Why the content could not be read as STIX JSON.
#[derive(Debug, thiserror::Error)]
pub enum ReadError<E> {
    /// Malformed JSON (or invalid UTF-8, or nesting past the limit) at a line and column.
    #[error("{line}:{column}: {message}")]
    Json { line: usize, column: usize, message: String },
    /// The JSON is well formed but not STIX content (e.g. a number at top level).
    #[error("{0}")]
    Shape(String),
    /// The callback stopped the read.
    #[error(transparent)]
    Callback(E),
}

/// What the reader found around the objects.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// The bundle's own properties (type, id, spec_version, anything else) except `objects`;
    /// `None` when the content was a bare object or a list.
    pub bundle: Option<Map<String, Value>>,
    /// How many objects were handed to the callback.
    pub objects: usize,
    /// The length of the `objects` list when there was one (a bundle's or a top-level list).
    pub list_len: Option<usize>,
}

/// One object as read: its position, its JSON path, and its raw text.
pub struct RawObject<'a> {
    pub index: Option<usize>,
    pub path: &'a str,
    pub raw: &'a RawValue,
    /// The bundle's spec_version if it was seen before this object ("2.0" bundles carry one).
    pub bundle_spec_version: Option<&'a str>,
}

/// Read STIX content from `reader`, calling `f` for each object in order.
///
/// A bundle's `spec_version` ("2.0" bundles have one) may follow its objects in the text, so a
/// one-pass reader cannot know it when the objects go by: `spec_version_hint` supplies it (see
/// [`peek_bundle_spec_version`]); a `spec_version` seen before the objects wins.
pub fn read_objects<R, E, F>(reader: R, spec_version_hint: Option<String>, f: F) -> Result<Envelope, ReadError<E>>
where
    R: Read,
    F: FnMut(RawObject<'_>) -> Result<(), E>,
{
    let mut de = serde_json::Deserializer::from_reader(reader);
    run(&mut de, spec_version_hint, f)
}

/// As [`read_objects`], over bytes already in memory (faster than a reader). The bundle's
/// spec_version is found wherever it stands.
pub fn read_objects_from_slice<E, F>(bytes: &[u8], f: F) -> Result<Envelope, ReadError<E>>
where
    F: FnMut(RawObject<'_>) -> Result<(), E>,
{
    let hint = peek_in(&mut serde_json::Deserializer::from_slice(bytes));
    let mut de = serde_json::Deserializer::from_slice(bytes);
    run(&mut de, hint, f)
}

/// The top-level `spec_version` of a bundle, wherever it stands, found by a pass that skips
/// over the objects without building them (about as fast as reading the bytes). `None` when
/// there is none or the content is not a well-formed bundle.
pub fn peek_bundle_spec_version<R: Read>(reader: R) -> Option<String> {
    peek_in(&mut serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 20, reader)))
}

fn peek_in<'de, R: serde_json::de::Read<'de>>(de: &mut serde_json::Deserializer<R>) -> Option<String> {
    struct Peek;
    impl<'de> Visitor<'de> for Peek {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a bundle")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
            let mut found = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == "spec_version" {
                    found = map.next_value::<Value>()?.as_str().map(str::to_string);
                } else {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    de.deserialize_map(Peek).ok().flatten()
}

fn run<'de, R, E, F>(de: &mut serde_json::Deserializer<R>, hint: Option<String>, f: F) -> Result<Envelope, ReadError<E>>
where
    R: serde_json::de::Read<'de>,
    F: FnMut(RawObject<'_>) -> Result<(), E>,
{
    let mut state = State { f, callback_error: None, objects: 0, spec_version: hint, listed: false };
    let result = (&mut *de).deserialize_any(TopVisitor { state: &mut state });
    if let Some(e) = state.callback_error.take() {
        return Err(ReadError::Callback(e));
    }
    let top = result.map_err(json_error)?;
    de.end().map_err(json_error)?;
    let bundle = match top {
        Top::Bundle(m) => Some(m),
        Top::Single(obj) => {
            let raw = serde_json::value::to_raw_value(&Value::Object(obj)).map_err(json_error)?;
            (state.f)(RawObject { index: None, path: "$", raw: &raw, bundle_spec_version: None })
                .map_err(ReadError::Callback)?;
            state.objects = 1;
            None
        }
        Top::List => None,
    };
    let list_len = state.listed.then_some(state.objects);
    Ok(Envelope { bundle, objects: state.objects, list_len })
}

fn json_error<E>(e: serde_json::Error) -> ReadError<E> {
    let message = e.to_string();
    // serde_json appends " at line L column C"; we print the location first instead.
    let message = match message.rfind(" at line ") {
        Some(pos) => message[..pos].to_string(),
        None => message,
    };
    if e.line() == 0 {
        ReadError::Shape(message)
    } else {
        ReadError::Json { line: e.line(), column: e.column(), message }
    }
}

struct State<F, E> {
    f: F,
    callback_error: Option<E>,
    objects: usize,
    spec_version: Option<String>,
    listed: bool,
}

enum Top {
    Bundle(Map<String, Value>),
    Single(Map<String, Value>),
    List,
}

struct TopVisitor<'s, F, E> {
    state: &'s mut State<F, E>,
}

impl<'de, F, E> Visitor<'de> for TopVisitor<'_, F, E>
where
    F: FnMut(RawObject<'_>) -> Result<(), E>,
{
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a STIX bundle, a STIX object, or a list of STIX objects")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut props = Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "objects" {
                match map.next_value_seed(ObjectsSeed { state: &mut *self.state, path_prefix: "$.objects" })? {
                    Some(v) => {
                        props.insert(key, v);
                    }
                    None => streamed = true,
                }
            } else {
                let v: Value = map.next_value()?;
                if key == "spec_version" {
                    self.state.spec_version = v.as_str().map(str::to_string);
                }
                if props.insert(key.clone(), v).is_some() {
                    return Err(de::Error::custom(format!("duplicate property {key:?}")));
                }
            }
        }
        let is_bundle = props.get("type").and_then(Value::as_str) == Some("bundle");
        if is_bundle {
            Ok(Top::Bundle(props))
        } else if streamed && !props.contains_key("type") {
            // A TAXII envelope ({"objects": [...], "more": ..., "next": ...}).
            Ok(Top::List)
        } else if streamed {
            Err(de::Error::custom(format!(
                "the top-level object has an \"objects\" list but its type is {}, not \"bundle\"",
                props.get("type").map_or("missing".to_string(), Value::to_string)
            )))
        } else {
            Ok(Top::Single(props))
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        ObjectsSeed { state: self.state, path_prefix: "$" }.visit_seq(seq)?;
        Ok(Top::List)
    }
}

/// Streams the elements of an `objects` list to the callback; a dictionary (STIX 2.0
/// observed-data's `objects`) is returned whole instead.
struct ObjectsSeed<'s, F, E> {
    state: &'s mut State<F, E>,
    path_prefix: &'static str,
}

impl<'de, F, E> DeserializeSeed<'de> for ObjectsSeed<'_, F, E>
where
    F: FnMut(RawObject<'_>) -> Result<(), E>,
{
    type Value = Option<Value>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F, E> Visitor<'de> for ObjectsSeed<'_, F, E>
where
    F: FnMut(RawObject<'_>) -> Result<(), E>,
{
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of STIX objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        self.state.listed = true;
        let mut path = String::with_capacity(32);
        let mut index = 0usize;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            path.clear();
            path.push_str(self.path_prefix);
            path.push('[');
            path.push_str(itoa(index, &mut [0u8; 20]));
            path.push(']');
            let obj = RawObject {
                index: Some(index),
                path: &path,
                raw: &raw,
                bundle_spec_version: self.state.spec_version.as_deref(),
            };
            if let Err(e) = (self.state.f)(obj) {
                self.state.callback_error = Some(e);
                return Err(de::Error::custom("stopped by the callback"));
            }
            index += 1;
            self.state.objects += 1;
        }
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        let v = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(Some(v))
    }
}

use serde::Deserialize;

fn itoa(mut n: usize, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = Vec<(Option<usize>, String, String)>;

    fn collect(s: &str) -> Result<(Seen, Envelope), ReadError<()>> {
        let mut seen = Vec::new();
        let env = read_objects(s.as_bytes(), None, |o| {
            seen.push((o.index, o.path.to_string(), o.raw.get().to_string()));
            Ok(())
        })?;
        Ok((seen, env))
    }

    #[test]
    fn bundle_objects_stream_in_order() {
        let (seen, env) =
            collect(r#"{"type":"bundle","id":"bundle--1","spec_version":"2.0","objects":[{"a":1},{"b":[2]}]}"#)
                .unwrap();
        assert_eq!(
            seen,
            vec![
                (Some(0), "$.objects[0]".into(), r#"{"a":1}"#.into()),
                (Some(1), "$.objects[1]".into(), r#"{"b":[2]}"#.into())
            ]
        );
        assert_eq!(env.objects, 2);
        assert_eq!(env.bundle.unwrap()["spec_version"], "2.0");
    }

    #[test]
    fn bare_object_and_list() {
        let (seen, env) = collect(r#"{"type":"indicator","objects":{"0":{}}}"#).unwrap();
        assert_eq!(seen.len(), 1);
        assert!(env.bundle.is_none());
        assert!(seen[0].2.contains("\"objects\":{\"0\":{}}"));
        let (seen, _) = collect(r#"[{"type":"x"},{"type":"y"}]"#).unwrap();
        assert_eq!(seen[1].1, "$[1]");
    }

    #[test]
    fn taxii_envelopes_are_lists() {
        let (seen, env) = collect(r#"{"more":false,"objects":[{"type":"x"}]}"#).unwrap();
        assert_eq!(seen.len(), 1);
        assert!(env.bundle.is_none());
    }

    #[test]
    fn errors_are_located() {
        match collect("{\"type\":\"bundle\",\n\"objects\":[{\"a\":1},{\"b\":}]}") {
            Err(ReadError::Json { line: 2, column, .. }) => assert!(column > 0),
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert!(matches!(collect("{\"type\":\"bundle\",\"objects\":[{\"a\":1}"), Err(ReadError::Json { .. })));
        assert!(matches!(collect("42"), Err(ReadError::Json { .. }) | Err(ReadError::Shape(_))));
        assert!(collect(r#"{"type":"indicator","objects":[{}]}"#).is_err());
        assert!(collect("{} x").is_err());
        let deep = "[".repeat(10_000);
        assert!(collect(&deep).is_err());
        assert!(read_objects(&b"{\"type\":\"x\",\"n\":\"\xff\"}"[..], None, |_| Ok::<(), ()>(())).is_err());
    }

    #[test]
    fn spec_version_after_objects_is_found() {
        let text = br#"{"type":"bundle","objects":[{"a":1}],"spec_version":"2.0"}"#;
        assert_eq!(peek_bundle_spec_version(&text[..]).as_deref(), Some("2.0"));
        let mut seen = Vec::new();
        read_objects_from_slice(text, |o| {
            seen.push(o.bundle_spec_version.map(str::to_string));
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(seen, vec![Some("2.0".to_string())]);
        assert_eq!(peek_bundle_spec_version(&b"[1,2]"[..]), None);
        assert_eq!(peek_bundle_spec_version(&b"{\"spec_version\":"[..]), None);
    }

    #[test]
    fn callback_error_stops_the_read() {
        let mut n = 0;
        let r = read_objects(&br#"{"type":"bundle","objects":[{},{},{}]}"#[..], None, |_| {
            n += 1;
            if n == 2 { Err("stop") } else { Ok(()) }
        });
        assert!(matches!(r, Err(ReadError::Callback("stop"))));
        assert_eq!(n, 2);
    }
}
