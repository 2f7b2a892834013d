//! Validation of STIX objects against the spec's MUST rules (errors) and SHOULD rules
//! (warnings). Every finding says where (object index, id, JSON path), which rule, and why.
//!
//! The per-type property tables are in [`crate::schema`]; rules that tie several properties
//! together are the `cross_*` functions below.

use pacto_pattern::Syntax;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::id::{is_property_name, is_type_name, parse_id};
use crate::schema::{self, Kind, Prop, Table, Ty, TypeDef};
use crate::timestamp::Timestamp;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A departure from a SHOULD, or from an open vocabulary.
    Warning,
    /// A departure from a MUST: the content is not valid STIX.
    Error,
}

/// One finding about one place in one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Position of the object in its bundle (None for a bare object or the bundle itself).
    pub index: Option<usize>,
    /// The object's `id`, when it has a usable one.
    pub id: Option<String>,
    /// JSON path of the offending value, e.g. `$.objects[3].external_references[0].url`.
    pub path: String,
    /// Stable kebab-case name of the rule (see `RULES.md`).
    pub rule: &'static str,
    /// A plain sentence saying what is wrong.
    pub message: String,
}

/// The STIX version an object is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SpecVersion {
    #[serde(rename = "2.0")]
    V20,
    #[serde(rename = "2.1")]
    V21,
}

impl SpecVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V20 => "2.0",
            SpecVersion::V21 => "2.1",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "2.0" => Some(SpecVersion::V20),
            "2.1" => Some(SpecVersion::V21),
            _ => None,
        }
    }
}

/// Where an object sits, for locating findings.
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    pub index: Option<usize>,
    /// JSON path of the object itself (`$` or `$.objects[3]`).
    pub path: &'a str,
    /// The version assumed when the object has no `spec_version` (the bundle's, or 2.1).
    pub default_version: SpecVersion,
}

impl Default for Location<'_> {
    fn default() -> Self {
        Location { index: None, path: "$", default_version: SpecVersion::V21 }
    }
}

/// What one object's validation concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub errors: usize,
    pub warnings: usize,
    /// The version the object was judged by.
    pub version: SpecVersion,
}

/// Validate one STIX object (not a bundle), appending findings to `out`.
pub fn validate_object(obj: &Value, loc: Location<'_>, out: &mut Vec<Finding>) -> Verdict {
    let start = out.len();
    let mut c = Checker { out, index: loc.index, id: None, path: String::from(loc.path), version: loc.default_version };
    c.object(obj);
    let version = c.version;
    let (errors, warnings) = count(&out[start..]);
    Verdict { errors, warnings, version }
}

/// Validates the objects of one file (or one request) in order: each object on its own, plus
/// the rules that span objects. Keeps its findings until the next object.
#[derive(Default)]
pub struct Session {
    /// UUID (folded to 64 bits) → hash of the type it was first seen with (bounded, see
    /// [`MAX_TRACKED_UUIDS`]). Folding keeps the table at ~34 MB; two distinct UUIDs folding
    /// alike among a million is a one-in-ten-million chance.
    uuids: std::collections::HashMap<u64, u32>,
    findings: Vec<Finding>,
}

/// What [`Session::check`] concluded about one object.
pub struct Checked {
    /// The parsed object (None when the text could not be parsed as one JSON value).
    pub value: Option<Value>,
    pub verdict: Verdict,
}

/// How many UUIDs a session remembers for the reuse rule; objects past that are still checked
/// against the ones remembered.
pub const MAX_TRACKED_UUIDS: usize = 1_000_000;

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    /// The findings about the last object checked.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Parse and validate one object's raw text.
    pub fn check(&mut self, raw: &serde_json::value::RawValue, loc: Location<'_>) -> Checked {
        self.findings.clear();
        let (value, dups) = match crate::json::parse_object(raw) {
            Ok(parsed) => parsed,
            Err(message) => {
                self.findings.push(Finding {
                    severity: Severity::Error,
                    index: loc.index,
                    id: None,
                    path: loc.path.to_string(),
                    rule: "json",
                    message,
                });
                let verdict = Verdict { errors: 1, warnings: 0, version: loc.default_version };
                return Checked { value: None, verdict };
            }
        };
        let mut verdict = validate_object(&value, loc, &mut self.findings);
        let id = value.get("id").and_then(Value::as_str);
        for d in dups {
            self.findings.push(Finding {
                severity: Severity::Error,
                index: loc.index,
                id: id.map(str::to_string),
                path: format!("{}{d}", loc.path),
                rule: "duplicate-key",
                message: "this member appears more than once in its object (I-JSON forbids duplicate names)".into(),
            });
            verdict.errors += 1;
        }
        if let (Some(id), Some(ty)) = (id, value.get("type").and_then(Value::as_str))
            && let Ok((id_type, uuid)) = parse_id(id)
            && id_type == ty
            && let Ok(full) = u128::from_str_radix(&uuid.replace('-', ""), 16)
        {
            let key = (full as u64) ^ ((full >> 64) as u64);
            let th = fnv32(ty);
            match self.uuids.get(&key) {
                Some(&seen) if seen != th => {
                    self.findings.push(Finding {
                        severity: Severity::Error,
                        index: loc.index,
                        id: Some(id.to_string()),
                        path: format!("{}.id", loc.path),
                        rule: "uuid-reuse",
                        message: "this UUID already identifies an object of another type; a UUID must not be reused across types".into(),
                    });
                    verdict.errors += 1;
                }
                Some(_) => {}
                None if self.uuids.len() < MAX_TRACKED_UUIDS => {
                    self.uuids.insert(key, th);
                }
                None => {}
            }
        }
        Checked { value: Some(value), verdict }
    }
}

fn fnv32(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// Validate the properties of a bundle other than its objects (type, id, spec_version), given
/// the length of its objects list when it had one.
pub fn validate_bundle_header(header: &Map<String, Value>, list_len: Option<usize>, out: &mut Vec<Finding>) {
    let id = header.get("id").and_then(Value::as_str).map(str::to_string);
    let mut c = Checker { out, index: None, id, path: "$".into(), version: SpecVersion::V21 };
    if let Some(objects) = header.get("objects") {
        c.with_key("objects", |c| {
            c.err("property-type", format!("a bundle's objects must be a list, found {}", json_type(objects)))
        });
    }
    if list_len == Some(0) {
        c.with_key("objects", |c| {
            c.err("empty-list", "a bundle's objects list must not be empty; omit it instead".into())
        });
    }
    match header.get("type") {
        Some(Value::String(t)) if t == "bundle" => {}
        Some(other) => c.err("bundle-form", format!("a bundle's type must be \"bundle\", found {}", short(other))),
        None => c.err("required-property", "the bundle has no \"type\" property".into()),
    }
    match header.get("id") {
        None => c.err("required-property", "the bundle has no \"id\" property".into()),
        Some(v) => {
            c.push_key("id");
            match v.as_str().map(parse_id) {
                None => c.err("property-type", format!("id must be a string, found {}", short(v))),
                Some(Err(e)) => c.err("id-format", e.to_string()),
                Some(Ok((t, _))) if t != "bundle" => {
                    c.err("id-type-mismatch", format!("a bundle's id must start with \"bundle--\", found {v}"))
                }
                _ => {}
            }
            c.pop();
        }
    }
    if let Some(v) = header.get("spec_version") {
        c.push_key("spec_version");
        match v.as_str() {
            Some("2.0") => {}
            Some("2.1") => c.warn("bundle-spec-version", "STIX 2.1 bundles have no spec_version; it is ignored".into()),
            _ => c.err(
                "spec-version",
                format!("a bundle's spec_version, when present, must be \"2.0\", found {}", short(v)),
            ),
        }
        c.pop();
    }
    for key in header.keys() {
        if !matches!(key.as_str(), "type" | "id" | "spec_version" | "objects") && !is_property_name(key) {
            c.push_key(key);
            c.err(
                "property-name-form",
                format!(
                    "property name {key:?} must be 3-250 ASCII letters, digits or underscores, starting with a letter"
                ),
            );
            c.pop();
        }
    }
}

/// Error and warning counts of a slice of findings.
pub fn count(findings: &[Finding]) -> (usize, usize) {
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    (errors, findings.len() - errors)
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        let mut end = 77;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

struct Checker<'o> {
    out: &'o mut Vec<Finding>,
    index: Option<usize>,
    id: Option<String>,
    path: String,
    version: SpecVersion,
}

impl Checker<'_> {
    fn emit(&mut self, severity: Severity, rule: &'static str, message: String) {
        self.out.push(Finding {
            severity,
            index: self.index,
            id: self.id.clone(),
            path: self.path.clone(),
            rule,
            message,
        });
    }
    fn err(&mut self, rule: &'static str, message: String) {
        self.emit(Severity::Error, rule, message);
    }
    fn warn(&mut self, rule: &'static str, message: String) {
        self.emit(Severity::Warning, rule, message);
    }
    fn push_key(&mut self, key: &str) -> usize {
        let len = self.path.len();
        if key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') && !key.is_empty() {
            self.path.push('.');
            self.path.push_str(key);
        } else {
            self.path.push('[');
            self.path.push_str(&Value::String(key.to_string()).to_string());
            self.path.push(']');
        }
        len
    }
    fn push_idx(&mut self, i: usize) -> usize {
        let len = self.path.len();
        self.path.push('[');
        self.path.push_str(&i.to_string());
        self.path.push(']');
        len
    }
    /// Undo the last push. Paths only grow by one segment at a time, so we can find the cut.
    fn pop(&mut self) {
        let bytes = self.path.as_bytes();
        let cut = if bytes.last() == Some(&b']') {
            // `[n]` or `["key"]`: find the matching `[` that is not inside the quoted key.
            let mut in_str = false;
            let mut cut = 0;
            let mut i = bytes.len() - 1;
            while i > 0 {
                i -= 1;
                let b = bytes[i];
                if b == b'"' && (i == 0 || bytes[i - 1] != b'\\') {
                    in_str = !in_str;
                } else if b == b'[' && !in_str {
                    cut = i;
                    break;
                }
            }
            cut
        } else {
            self.path.rfind('.').unwrap_or(self.path.len())
        };
        self.path.truncate(cut);
    }
    fn with_key(&mut self, key: &str, f: impl FnOnce(&mut Self)) {
        let len = self.push_key(key);
        f(self);
        self.path.truncate(len);
    }
    fn with_idx(&mut self, i: usize, f: impl FnOnce(&mut Self)) {
        let len = self.push_idx(i);
        f(self);
        self.path.truncate(len);
    }

    fn object(&mut self, obj: &Value) {
        let Value::Object(map) = obj else {
            self.err("object-form", format!("a STIX object must be a JSON object, found {}", json_type(obj)));
            return;
        };
        // id first, so every later finding carries it.
        if let Some(Value::String(id)) = map.get("id") {
            self.id = Some(id.clone());
        }
        let ty = match map.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(other) => {
                self.with_key("type", |c| {
                    c.err("property-type", format!("type must be a string, found {}", json_type(other)))
                });
                return;
            }
            None => {
                self.err("required-property", "the object has no \"type\" property".into());
                return;
            }
        };
        if ty == "bundle" {
            self.err("nested-bundle", "a bundle cannot be an object of another bundle".into());
            return;
        }
        if !is_type_name(ty) {
            self.with_key("type", |c| {
                c.err("type-name-form", format!("type {ty:?} must be 3-250 characters of a-z, 0-9 and '-', with no '--' and no leading or trailing '-'"))
            });
        }
        let def = schema::type_def(ty);
        // Which version judges this object.
        match map.get("spec_version") {
            Some(Value::String(s)) if s == "2.1" => self.version = SpecVersion::V21,
            Some(Value::String(s)) => {
                // STIX 2.0 objects carry no spec_version at all (their bundle does), so an
                // object that states one is a 2.1 object with a wrong value.
                self.version = SpecVersion::V21;
                self.with_key("spec_version", |c| {
                    c.err("spec-version", format!("an object's spec_version must be \"2.1\", found {s:?}"))
                })
            }
            Some(other) => self.with_key("spec_version", |c| {
                c.err("property-type", format!("spec_version must be a string, found {}", json_type(other)))
            }),
            None => {}
        }
        let kind = match def {
            Some(d) => d.kind,
            None if is_custom_sco(map) => Kind::Sco,
            None => Kind::Sdo,
        };
        let common: &Table = match (kind, ty) {
            (Kind::Sco, _) => &schema::SCO_COMMON,
            (_, "marking-definition") => &schema::MARKING_COMMON,
            _ => &schema::SDO_COMMON,
        };
        // id
        match map.get("id") {
            None => self.err("required-property", format!("{ty} objects require the \"id\" property")),
            Some(Value::String(id)) => self.with_key("id", |c| match parse_id(id) {
                Err(e) => c.err("id-format", e.to_string()),
                Ok((t, _)) if t != ty => c.err(
                    "id-type-mismatch",
                    format!("the id {id:?} names type {t:?}, but the object's type is {ty:?}"),
                ),
                Ok((_, uuid)) => {
                    if kind == Kind::Sco {
                        c.sco_id(ty, uuid, obj);
                    }
                }
            }),
            Some(other) => self
                .with_key("id", |c| c.err("property-type", format!("id must be a string, found {}", json_type(other)))),
        }
        // Required properties.
        for table in [common, def.map_or(&EMPTY, |d| &d.table)] {
            for p in table.props {
                if required(p, ty, kind, self.version) && !map.contains_key(p.name) {
                    self.err("required-property", format!("{ty} objects require the {:?} property", p.name));
                }
            }
        }
        if self.version == SpecVersion::V20 {
            for name in required_in_20(ty) {
                if !map.contains_key(*name) {
                    self.err("required-property", format!("STIX 2.0 {ty} objects require the {name:?} property"));
                }
            }
        }
        // Each property.
        for (key, value) in map {
            let key = key.as_str();
            if matches!(key, "type" | "id" | "spec_version") {
                continue;
            }
            self.with_key(key, |c| {
                if !is_property_name(key) {
                    c.err("property-name-form", format!("property name {key:?} must be 3-250 characters of a-z, 0-9 and '_', beginning with a letter"));
                }
                if schema::RESERVED_PROPERTY_NAMES.contains(&key) {
                    c.err("reserved-name", format!("{key:?} is a reserved property name and must not be used"));
                }
                if key == "defanged" && kind != Kind::Sco {
                    c.err("defanged-sco-only", "defanged is only for cyber-observable objects".into());
                }
                if let Some(p) = common.get(key).or_else(|| def.and_then(|d| d.table.get(key))) {
                    if p.name == "extensions" {
                        c.extensions(value, ty);
                    } else if p.name == "granular_markings" {
                        c.granular_markings(value, map);
                    } else {
                        c.value(value, &p.ty);
                    }
                } else if def.is_some() && !key.starts_with("x_") && c.version == SpecVersion::V21 && !is_toplevel_extension_prop(map) {
                    c.warn("custom-property-prefix", format!("{key:?} is not a property of {ty}; custom properties should begin with \"x_\" (or be defined by a toplevel-property-extension)"));
                }
            });
        }
        self.cross(ty, kind, map);
    }

    fn value(&mut self, v: &Value, ty: &Ty) {
        match *ty {
            Ty::Any => {}
            Ty::Str => {
                if !v.is_string() {
                    self.err("property-type", format!("expected a string, found {}", json_type(v)));
                }
            }
            Ty::Bool => {
                if !v.is_boolean() {
                    self.err("property-type", format!("expected a boolean, found {}", json_type(v)));
                }
            }
            Ty::Int(min, max) => match v.as_i64() {
                // I-JSON (§2.10): integers stay within what a double holds exactly.
                Some(n) if !(-MAX_SAFE_INT..=MAX_SAFE_INT).contains(&n) => {
                    self.err("range", format!("{n} is outside the interoperable integer range ±(2^53-1)"))
                }
                Some(n) if n < min || n > max => {
                    self.err("range", format!("{n} is outside the allowed range {min}..={max}"))
                }
                Some(_) => {}
                None if v.as_u64().is_some() => {
                    self.err("range", format!("{v} is outside the interoperable integer range ±(2^53-1)"))
                }
                None => self.err("property-type", format!("expected an integer, found {}", json_type(v))),
            },
            Ty::Float(min, max) => match v.as_f64() {
                Some(n) if n < min || n > max => {
                    self.err("range", format!("{n} is outside the allowed range {min}..={max}"))
                }
                Some(_) => {}
                None => self.err("property-type", format!("expected a number, found {}", json_type(v))),
            },
            Ty::Timestamp => match v.as_str() {
                Some(s) => {
                    if let Err(e) = Timestamp::parse(s) {
                        self.err("timestamp-format", e.to_string());
                    }
                }
                None => self.err("property-type", format!("expected a timestamp string, found {}", json_type(v))),
            },
            Ty::Ref(allowed) => self.reference(v, allowed),
            Ty::List(inner) => match v {
                Value::Array(items) if items.is_empty() => {
                    self.err("empty-list", "lists must not be empty; omit an optional property instead".into())
                }
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.with_idx(i, |c| c.value(item, inner));
                    }
                }
                _ => self.err("property-type", format!("expected a list, found {}", json_type(v))),
            },
            Ty::Dict => self.dict(v),
            Ty::Hashes => self.hashes(v),
            Ty::Open(set) => match v.as_str() {
                Some(s) if !set.contains(s) => {
                    self.warn("open-vocab", format!("{s:?} is not in this property's suggested vocabulary"))
                }
                Some(_) => {}
                None => self.err("property-type", format!("expected a string, found {}", json_type(v))),
            },
            Ty::Enum(values) => match v.as_str() {
                Some(s) if !values.contains(&s) => {
                    self.err("closed-vocab", format!("{s:?} is not one of the allowed values {values:?}"))
                }
                Some(_) => {}
                None => self.err("property-type", format!("expected a string, found {}", json_type(v))),
            },
            Ty::EnumSet(set) => match v.as_str() {
                Some(s) if !set.contains(s) => {
                    let mut allowed: Vec<&str> = set.iter().copied().collect();
                    allowed.sort_unstable();
                    self.err("closed-vocab", format!("{s:?} is not one of the allowed values {allowed:?}"))
                }
                Some(_) => {}
                None => self.err("property-type", format!("expected a string, found {}", json_type(v))),
            },
            Ty::Binary => match v.as_str() {
                Some(s) if !is_base64(s) => self.err("binary-format", "expected base64 (RFC 4648) content".into()),
                Some(_) => {}
                None => self.err("property-type", format!("expected a base64 string, found {}", json_type(v))),
            },
            Ty::Hex => match v.as_str() {
                Some(s) if !is_hex(s) => {
                    self.err("hex-format", format!("{s:?} is not an even number of hexadecimal digits"))
                }
                Some(_) => {}
                None => self.err("property-type", format!("expected a hex string, found {}", json_type(v))),
            },
            Ty::Obj(table) => self.nested(v, table),
            Ty::KillChainPhase => self.nested(v, &schema::KILL_CHAIN_PHASE),
            Ty::ExternalReference => {
                self.nested(v, &schema::EXTERNAL_REFERENCE);
                if let Value::Object(m) = v {
                    self.external_reference(m);
                }
            }
            Ty::GranularMarking => self.nested(v, &schema::GRANULAR_MARKING),
            Ty::Extensions => self.dict(v),
            Ty::Lang => match v.as_str() {
                Some(s) if !is_language_tag(s) => {
                    self.err("language-tag", format!("{s:?} is not an RFC 5646 language tag"))
                }
                Some(_) => {}
                None => self.err("property-type", format!("expected a language tag string, found {}", json_type(v))),
            },
            Ty::Charset => match v.as_str() {
                Some(s) if !rstix::vocab::is_iana_character_set(s) => {
                    self.err("charset", format!("{s:?} is not an IANA character set name"))
                }
                Some(_) => {}
                None => self.err("property-type", format!("expected a character set name, found {}", json_type(v))),
            },
            Ty::IntOrStr => {
                if !(v.is_string() || v.is_i64() || v.is_u64()) {
                    self.err("property-type", format!("expected an integer or a string, found {}", json_type(v)));
                }
            }
            Ty::DictOf(inner) => {
                self.dict(v);
                if let Value::Object(m) = v {
                    for (k, item) in m {
                        self.with_key(k, |c| c.value(item, inner));
                    }
                }
            }
        }
    }

    fn reference(&mut self, v: &Value, allowed: &[&str]) {
        let Some(s) = v.as_str() else {
            self.err("property-type", format!("expected an identifier string, found {}", json_type(v)));
            return;
        };
        match parse_id(s) {
            Err(e) => self.err("id-format", e.to_string()),
            Ok((t, _)) => {
                if !schema::ref_class(t, allowed) {
                    let names: Vec<&str> = allowed
                        .iter()
                        .map(|a| match *a {
                            "<sdo>" => "an SDO",
                            "<sco>" => "an SCO",
                            other => other,
                        })
                        .collect();
                    self.err("ref-type", format!("{s:?} must refer to {}, not to a {t}", names.join(" or ")));
                }
            }
        }
    }

    fn nested(&mut self, v: &Value, table: &Table) {
        let Value::Object(m) = v else {
            self.err("property-type", format!("expected an object, found {}", json_type(v)));
            return;
        };
        for p in table.props {
            if p.required && !m.contains_key(p.name) {
                self.err("required-property", format!("this object requires the {:?} property", p.name));
            }
        }
        for (k, val) in m {
            if let Some(p) = table.get(k) {
                self.with_key(k, |c| c.value(val, &p.ty));
            }
        }
    }

    fn dict(&mut self, v: &Value) {
        let Some(m) = self.dictionary(v, "dictionaries") else { return };
        for k in m.keys() {
            if !is_dict_key(k) {
                self.with_key(k, |c| {
                    c.err(
                        "dictionary-key-form",
                        format!("dictionary key {k:?} must be 1-250 ASCII letters, digits, '_' or '-'"),
                    )
                });
            }
        }
    }

    /// A dictionary-typed value: a JSON object with at least one key (§2.7).
    fn dictionary<'v>(&mut self, v: &'v Value, what: &str) -> Option<&'v Map<String, Value>> {
        let Value::Object(m) = v else {
            self.err("property-type", format!("expected a dictionary, found {}", json_type(v)));
            return None;
        };
        if m.is_empty() {
            self.err("empty-dictionary", format!("{what} must have at least one entry"));
        }
        Some(m)
    }

    fn hashes(&mut self, v: &Value) {
        let Some(m) = self.dictionary(v, "hashes") else { return };
        for (k, val) in m {
            self.with_key(k, |c| {
                if !(3..=250).contains(&k.len())
                    || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                {
                    c.err(
                        "hash-key-form",
                        format!("hash algorithm name {k:?} must be 3-250 ASCII letters, digits, '_' or '-'"),
                    );
                }
                let Some(s) = val.as_str() else {
                    c.err("property-type", format!("a hash value must be a string, found {}", json_type(val)));
                    return;
                };
                if let Some((_, len)) = schema::HASH_LENGTHS.iter().find(|(name, _)| *name == k) {
                    if s.len() != *len || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                        c.err(
                            "hash-value",
                            format!("a {k} hash must be {len} hexadecimal digits, found {} characters", s.len()),
                        );
                    }
                } else if !matches!(k.as_str(), "SSDEEP" | "TLSH") {
                    c.warn("hash-algorithm", format!("{k:?} is not in the hash-algorithm vocabulary"));
                }
            });
        }
    }

    fn external_reference(&mut self, m: &Map<String, Value>) {
        if self.version == SpecVersion::V21 && !["description", "url", "external_id"].iter().any(|k| m.contains_key(*k))
        {
            self.err(
                "external-reference",
                "an external reference needs description, url or external_id besides source_name".into(),
            );
        }
        let (Some(Value::String(src)), Some(Value::String(ext))) = (m.get("source_name"), m.get("external_id")) else {
            return;
        };
        let ok = match src.as_str() {
            "cve" => is_cve(ext),
            "capec" => {
                ext.strip_prefix("CAPEC-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            }
            _ => true,
        };
        if !ok {
            self.with_key("external_id", |c| {
                c.err("external-id-form", format!("external_id {ext:?} is not of the form the {src:?} source requires"))
            });
        }
    }

    fn granular_markings(&mut self, v: &Value, root: &Map<String, Value>) {
        let Value::Array(items) = v else {
            self.err("property-type", format!("expected a list, found {}", json_type(v)));
            return;
        };
        if items.is_empty() {
            self.err("empty-list", "lists must not be empty; omit an optional property instead".into());
        }
        for (i, item) in items.iter().enumerate() {
            self.with_idx(i, |c| {
                c.nested(item, &schema::GRANULAR_MARKING);
                let Value::Object(m) = item else { return };
                match (m.contains_key("lang"), m.contains_key("marking_ref")) {
                    (true, true) => {
                        c.err("granular-marking", "a granular marking has either lang or marking_ref, not both".into())
                    }
                    (false, false) if c.version == SpecVersion::V21 => {
                        c.err("granular-marking", "a granular marking needs lang or marking_ref".into())
                    }
                    _ => {}
                }
                if let Some(Value::Array(sels)) = m.get("selectors") {
                    for (j, s) in sels.iter().enumerate() {
                        if let Some(s) = s.as_str()
                            && !selector_resolves(root, s)
                        {
                            c.with_key("selectors", |c| {
                                c.with_idx(j, |c| {
                                    c.err(
                                        "selector",
                                        format!("selector {s:?} does not point at a property of this object"),
                                    )
                                })
                            });
                        }
                    }
                }
            });
        }
    }

    fn extensions(&mut self, v: &Value, ty: &str) {
        let Some(m) = self.dictionary(v, "extensions") else { return };
        for (k, ext) in m {
            self.with_key(k, |c| {
                let Value::Object(em) = ext else {
                    c.err("property-type", format!("an extension must be an object, found {}", json_type(ext)));
                    return;
                };
                if k.starts_with("extension-definition--") {
                    if let Err(e) = parse_id(k) {
                        c.err("id-format", e.to_string());
                    }
                    match em.get("extension_type") {
                        Some(t) => c.with_key("extension_type", |c| {
                            c.value(t, &Ty::EnumSet(&rstix::vocab::EXTENSION_TYPE_ENUM))
                        }),
                        None => c.err("extension", "an extension defined by an extension-definition must state its extension_type".into()),
                    }
                    c.property_names(em);
                } else if let Some((_, _, table)) =
                    schema::SCO_EXTENSIONS.iter().find(|(t, name, _)| *t == ty && *name == k)
                {
                    c.nested(ext, table);
                    if em.is_empty() {
                        c.err("empty-dictionary", format!("the {k} extension must have at least one property"));
                    }
                } else if schema::SCO_EXTENSIONS.iter().any(|(_, name, _)| name == k) {
                    c.err("extension", format!("the {k} extension does not apply to {ty} objects"));
                } else if !k.starts_with("x-") || !is_type_name(k) || !k.ends_with("-ext") {
                    c.err("extension", format!("extension key {k:?} must be an extension-definition id, a predefined extension of {ty}, or (deprecated) a custom name of the form x-...-ext"));
                } else {
                    if em.is_empty() {
                        c.err("empty-dictionary", format!("the custom extension {k} must have at least one property"));
                    }
                    c.property_names(em);
                    c.warn("custom-extension", format!("{k:?} is a deprecated custom extension; use an extension-definition"));
                }
            });
        }
    }

    /// The names of an extension's own properties follow the property-name form.
    fn property_names(&mut self, m: &Map<String, Value>) {
        for k in m.keys() {
            if !is_property_name(k) {
                self.with_key(k, |c| {
                    c.err(
                        "property-name-form",
                        format!(
                            "property name {k:?} must be 3-250 characters of a-z, 0-9 and '_', beginning with a letter"
                        ),
                    )
                });
            }
        }
    }

    /// SCO identifiers: with no ID-contributing property present the UUID must be version 4
    /// (§2.9); otherwise it should be the version 5 UUID derived from those properties.
    fn sco_id(&mut self, ty: &str, uuid: &str, obj: &Value) {
        let Some(contributing) = schema::id_contributing(ty) else { return };
        let present = contributing.iter().any(|p| obj.get(*p).is_some());
        let version = uuid.as_bytes()[14];
        if !present {
            if version != b'4' {
                self.err(
                    "id-format",
                    format!(
                        "a {ty} with no ID-contributing property present must have a version 4 UUID, found version {}",
                        version as char
                    ),
                );
            }
            return;
        }
        if let Some(kind) = rstix::core::ScoKind::from_type_str(ty)
            && let Ok(expected) = rstix::id::generate_sco_id(kind, obj)
            && !expected.as_str().eq_ignore_ascii_case(&format!("{ty}--{uuid}"))
        {
            self.warn(
                "sco-deterministic-id",
                format!("the id of this {ty} should be {expected}, derived from its ID-contributing properties"),
            );
        }
    }

    /// Rules that tie properties together.
    fn cross(&mut self, ty: &str, kind: Kind, m: &Map<String, Value>) {
        let ts = |k: &str| m.get(k).and_then(Value::as_str).and_then(|s| Timestamp::parse(s).ok());
        let has = |k: &str| m.contains_key(k);
        if kind != Kind::Sco {
            if let (Some(c), Some(md)) = (ts("created"), ts("modified"))
                && md < c
            {
                self.with_key("modified", |c| {
                    c.err("modified-before-created", "modified must be later than or equal to created".into())
                });
            }
            if self.version == SpecVersion::V21 {
                for k in ["created", "modified"] {
                    if let Some(t) = ts(k)
                        && t.frac_digits < 3
                    {
                        self.with_key(k, |c| {
                            c.err(
                                "timestamp-precision",
                                format!("{k} must be given to at least millisecond precision (three fraction digits)"),
                            )
                        });
                    }
                }
            }
        }
        let mut order = |first: &str, last: &str, strict: bool| {
            if let (Some(a), Some(b)) = (ts(first), ts(last))
                && (b < a || strict && b == a)
            {
                let rel = if strict { "later than" } else { "later than or equal to" };
                self.with_key(last, |c| c.err("timestamp-order", format!("{last} must be {rel} {first}")));
            }
        };
        match ty {
            "campaign" | "intrusion-set" | "threat-actor" | "infrastructure" | "malware" | "sighting" => {
                order("first_seen", "last_seen", false)
            }
            "observed-data" => order("first_observed", "last_observed", false),
            "indicator" => order("valid_from", "valid_until", true),
            "relationship" => order("start_time", "stop_time", true),
            "network-traffic" => order("start", "end", false),
            "malware-analysis" => order("analysis_started", "analysis_ended", false),
            _ => {}
        }
        let v21 = self.version == SpecVersion::V21;
        let mut need_one = |props: &[&str], what: &str| {
            if !props.iter().any(|p| has(p)) {
                self.err("required-one-of", format!("{ty} objects require at least one of {props:?}{what}"));
            }
        };
        match ty {
            "malware-analysis" => need_one(&["result", "analysis_sco_refs"], ""),
            "file" => need_one(&["hashes", "name"], ""),
            "network-traffic" => need_one(&["src_ref", "dst_ref"], ""),
            "location" => need_one(&["region", "country", "latitude"], " (latitude with longitude)"),
            "observed-data" if v21 => need_one(&["objects", "object_refs"], ""),
            "artifact" => need_one(&["payload_bin", "url"], ""),
            "process" | "x509-certificate" | "user-account" | "windows-registry-key" => {
                let own = m.keys().any(|k| {
                    !matches!(
                        k.as_str(),
                        "type" | "id" | "spec_version" | "object_marking_refs" | "granular_markings" | "defanged"
                    )
                });
                if !own {
                    self.err("required-one-of", format!("{ty} objects must have at least one property of their own"));
                }
            }
            _ => {}
        }
        let mut exclusive = |a: &str, b: &str| {
            if has(a) && has(b) {
                self.with_key(b, |c| c.err("mutually-exclusive", format!("{a} and {b} must not both be present")));
            }
        };
        match ty {
            "observed-data" => exclusive("objects", "object_refs"),
            "artifact" => exclusive("payload_bin", "url"),
            _ => {}
        }
        match ty {
            "location" => {
                if has("latitude") != has("longitude") {
                    self.err("location-coordinates", "latitude and longitude must be given together".into());
                }
                if has("precision") && !(has("latitude") && has("longitude")) {
                    self.with_key("precision", |c| {
                        c.err("location-coordinates", "precision requires latitude and longitude".into())
                    });
                }
            }
            "malware" if v21 && m.get("is_family") == Some(&Value::Bool(true)) && !has("name") => {
                self.err("required-property", "malware with is_family true requires name".into());
            }
            "artifact" if has("url") && !has("hashes") => {
                self.err("required-property", "an artifact with a url requires hashes".into());
            }
            "email-message" => match m.get("is_multipart") {
                Some(Value::Bool(true)) if has("body") => self.with_key("body", |c| {
                    c.err("email-multipart", "a multipart email message must not have body; use body_multipart".into())
                }),
                Some(Value::Bool(false)) if has("body_multipart") => self.with_key("body_multipart", |c| {
                    c.err("email-multipart", "body_multipart is only allowed when is_multipart is true".into())
                }),
                _ => {}
            },
            "network-traffic" if m.get("is_active") == Some(&Value::Bool(true)) && has("end") => {
                self.with_key("end", |c| {
                    c.err(
                        "network-traffic-active",
                        "an active network-traffic (is_active true) must not have end".into(),
                    )
                });
            }
            "marking-definition" => self.marking_definition(m),
            "language-content" => self.language_content(m),
            "extension-definition" if !has("created_by_ref") => {
                self.err("required-property", "extension-definition objects require created_by_ref".into());
            }
            _ => {}
        }
        self.formats(ty, m);
    }

    /// Value forms and dependencies that the property tables cannot say.
    fn formats(&mut self, ty: &str, m: &Map<String, Value>) {
        let has = |k: &str| m.contains_key(k);
        let text = |k: &str| m.get(k).and_then(Value::as_str);
        match ty {
            "relationship" => {
                if let Some(t) = text("relationship_type")
                    && !(t.len() >= 3 && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
                {
                    self.with_key("relationship_type", |c| {
                        c.err(
                            "relationship-type-form",
                            format!("relationship_type {t:?} must be 3 or more characters of a-z, 0-9 and '-'"),
                        )
                    });
                }
            }
            "indicator" if text("pattern_type") == Some("stix") || self.version == SpecVersion::V20 => {
                let syntax = if self.version == SpecVersion::V20 { Syntax::V20 } else { Syntax::V21 };
                if let Some(p) = text("pattern")
                    && let Err(e) = pacto_pattern::check(p, syntax)
                {
                    self.with_key("pattern", |c| c.err("pattern-syntax", format!("not a STIX pattern: {e}")));
                }
            }
            "artifact" if has("decryption_key") && !has("encryption_algorithm") => {
                self.with_key("decryption_key", |c| {
                    c.err("co-constraint", "decryption_key requires encryption_algorithm".into())
                });
            }
            "file" if has("name_enc") && !has("name") => {
                self.with_key("name_enc", |c| {
                    c.err("encoding-property", "name_enc must not be present without name".into())
                });
            }
            "domain-name" => {
                if let Some(v) = text("value")
                    && !is_domain_name(v)
                {
                    self.with_key("value", |c| c.err("value-format", format!("{v:?} is not a domain name (RFC 1034)")));
                }
            }
            "email-addr" => {
                if let Some(v) = text("value")
                    && !is_addr_spec(v)
                {
                    self.with_key("value", |c| c.err("value-format", format!("{v:?} is not a bare e-mail address (addr-spec, RFC 5322); put any display name in display_name")));
                }
            }
            "mac-addr" => {
                if let Some(v) = text("value")
                    && !is_mac48(v)
                {
                    self.with_key("value", |c| {
                        c.err(
                            "value-format",
                            format!("{v:?} is not a lowercase, colon-delimited MAC-48 address with leading zeros"),
                        )
                    });
                }
            }
            "software" => {
                if let Some(v) = text("cpe")
                    && !is_cpe23(v)
                {
                    self.with_key("cpe", |c| c.err("value-format", format!("{v:?} is not a CPE 2.3 formatted string")));
                }
            }
            "windows-registry-key" => {
                if let Some(v) = text("key")
                    && !v.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("HKEY_"))
                {
                    self.with_key("key", |c| {
                        c.err(
                            "value-format",
                            format!("{v:?} must be the full key including its hive spelled out (HKEY_...)"),
                        )
                    });
                }
                if let Some(Value::Array(values)) = m.get("values") {
                    for (i, val) in values.iter().enumerate() {
                        if val.as_object().is_some_and(Map::is_empty) {
                            self.with_key("values", |c| {
                                c.with_idx(i, |c| {
                                    c.err("required-one-of", "a registry value must have at least one property".into())
                                })
                            });
                        }
                    }
                }
            }
            "x509-certificate" if m.get("x509_v3_extensions").and_then(Value::as_object).is_some_and(Map::is_empty) => {
                self.with_key("x509_v3_extensions", |c| {
                    c.err("required-one-of", "x509_v3_extensions must have at least one property".into())
                });
            }
            "email-message" => {
                if let Some(Value::Array(parts)) = m.get("body_multipart") {
                    for (i, part) in parts.iter().enumerate() {
                        if part.is_object() && part.get("body").is_none() && part.get("body_raw_ref").is_none() {
                            self.with_key("body_multipart", |c| {
                                c.with_idx(i, |c| {
                                    c.err("required-one-of", "a MIME part needs body or body_raw_ref".into())
                                })
                            });
                        }
                    }
                }
            }
            "extension-definition" if has("extension_properties") => {
                let toplevel = m
                    .get("extension_types")
                    .and_then(Value::as_array)
                    .is_some_and(|t| t.iter().any(|t| t.as_str() == Some("toplevel-property-extension")));
                if !toplevel {
                    self.with_key("extension_properties", |c| {
                        c.err("extension", "extension_properties is only for a toplevel-property-extension".into())
                    });
                }
            }
            _ => {}
        }
    }

    fn marking_definition(&mut self, m: &Map<String, Value>) {
        let dt = m.get("definition_type");
        let def = m.get("definition");
        if dt.is_none() && def.is_none() && !m.contains_key("extensions") {
            self.err(
                "required-one-of",
                "a marking-definition needs definition_type and definition, or an extension".into(),
            );
        }
        let id = m.get("id").and_then(Value::as_str).unwrap_or_default();
        match dt.and_then(Value::as_str) {
            Some(t @ ("tlp" | "statement")) => match def {
                None => self.err("required-property", format!("definition_type {t:?} requires definition")),
                Some(d) => self.with_key("definition", |c| match (t, d) {
                    ("tlp", Value::Object(dm)) => match dm.get("tlp").and_then(Value::as_str) {
                        Some("white" | "green" | "amber" | "red") => {}
                        _ => c.err(
                            "closed-vocab",
                            "a tlp definition is {\"tlp\": \"white\"|\"green\"|\"amber\"|\"red\"}".into(),
                        ),
                    },
                    ("statement", Value::Object(dm)) => {
                        if !dm.get("statement").is_some_and(Value::is_string) {
                            c.err("required-property", "a statement definition is {\"statement\": \"...\"}".into());
                        }
                    }
                    (_, other) => {
                        c.err("property-type", format!("definition must be an object, found {}", json_type(other)))
                    }
                }),
            },
            Some(other) => self.with_key("definition_type", |c| {
                c.warn("open-vocab", format!("definition_type {other:?} is neither tlp nor statement"))
            }),
            None if def.is_some() => self.err("required-property", "definition requires definition_type".into()),
            None => {}
        }
        // The TLP 1.0 marking definitions are the four instances of §7.2.1.4, exactly.
        let tlp1 = TLP1.iter().find(|(tid, _)| *tid == id);
        if dt.and_then(Value::as_str) == Some("tlp") || tlp1.is_some() {
            let level = def.and_then(|d| d.get("tlp")).and_then(Value::as_str);
            match tlp1 {
                None => self.err(
                    "tlp-marking",
                    "a tlp marking definition must be one of the four predefined TLP 1.0 instances (use their ids)"
                        .into(),
                ),
                Some((_, expected)) => {
                    if level != Some(expected)
                        || m.get("created").and_then(Value::as_str) != Some("2017-01-20T00:00:00.000Z")
                        || dt.and_then(Value::as_str) != Some("tlp")
                    {
                        self.err("tlp-marking", format!("{id} is the predefined TLP:{} marking; it must be reproduced exactly (definition_type tlp, created 2017-01-20T00:00:00.000Z, definition {{\"tlp\": \"{expected}\"}})", expected.to_ascii_uppercase()));
                    }
                }
            }
        }
        if m.get("object_marking_refs")
            .and_then(Value::as_array)
            .is_some_and(|refs| refs.iter().any(|r| r.as_str() == Some(id)))
        {
            self.with_key("object_marking_refs", |c| {
                c.err("marking-self-reference", "a marking definition must not mark itself".into())
            });
        }
        if m.contains_key("modified") || m.contains_key("revoked") {
            self.warn("marking-versioned", "marking definitions cannot be versioned (no modified or revoked)".into());
        }
        if let Some(Value::Object(exts)) = m.get("extensions")
            && let Some(Value::Object(tlp)) = exts.get(schema::TLP2_EXTENSION_ID)
        {
            self.with_key("extensions", |c| {
                c.with_key(schema::TLP2_EXTENSION_ID, |c| {
                    match tlp.get("tlp_2_0").and_then(Value::as_str).and_then(crate::Tlp::parse) {
                        Some(level) => {
                            let official = crate::Tlp::ALL.iter().find(|t| t.marking_id() == id);
                            if official.is_some_and(|t| *t != level) {
                                c.err(
                                    "tlp-marking",
                                    format!(
                                        "{id} is the TLP 2.0 {} marking, not {}",
                                        official.map_or("", |t| t.as_str()),
                                        level.as_str()
                                    ),
                                );
                            }
                        }
                        None => {
                            c.err("closed-vocab", "tlp_2_0 must be clear, green, amber, amber+strict or red".into())
                        }
                    }
                })
            });
        }
    }

    fn language_content(&mut self, m: &Map<String, Value>) {
        let Some(contents) = m.get("contents") else {
            return;
        };
        self.with_key("contents", |c| {
            let Value::Object(langs) = contents else {
                c.err("property-type", format!("contents must be a dictionary, found {}", json_type(contents)));
                return;
            };
            if langs.is_empty() {
                c.err("empty-dictionary", "contents must have at least one language".into());
            }
            for (lang, v) in langs {
                c.with_key(lang, |c| {
                    if !is_language_tag(lang) {
                        c.err("language-tag", format!("{lang:?} is not an RFC 5646 language tag"));
                    }
                    if !v.is_object() {
                        c.err(
                            "property-type",
                            format!("each language's contents must be a dictionary, found {}", json_type(v)),
                        );
                    }
                });
            }
        });
    }
}

static EMPTY: Table = Table { props: &[] };

/// The TLP 1.0 marking definitions of §7.2.1.4 and their levels.
const TLP1: [(&str, &str); 4] = [
    ("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white"),
    ("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"),
    ("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber"),
    ("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red"),
];

/// The largest integer I-JSON (RFC 7493) carries exactly: 2^53 - 1.
const MAX_SAFE_INT: i64 = (1 << 53) - 1;

fn required(p: &Prop, ty: &str, kind: Kind, version: SpecVersion) -> bool {
    if version == SpecVersion::V20 {
        // STIX 2.0 has no spec_version on objects, and its types differ in what they require.
        return p.required
            && p.name != "spec_version"
            && !matches!(
                (ty, p.name),
                ("malware", "is_family") | ("indicator", "pattern_type") | ("observed-data", "objects")
            );
    }
    if kind == Kind::Sdo && schema::type_def(ty).is_none() {
        // Custom objects: the common SDO properties are required as for any SDO.
        return p.required;
    }
    p.required
}

fn required_in_20(ty: &str) -> &'static [&'static str] {
    match ty {
        "malware" => &["labels", "name"],
        "tool" | "threat-actor" => &["labels"],
        "indicator" => &["labels"],
        "report" => &["labels"],
        "identity" => &["identity_class"],
        _ => &[],
    }
}

/// A custom object that declares itself an SCO through a new-sco extension definition.
fn is_custom_sco(m: &Map<String, Value>) -> bool {
    matches!(m.get("extensions"), Some(Value::Object(exts)) if exts.values().any(|e| e.get("extension_type").and_then(Value::as_str) == Some("new-sco")))
}

fn is_toplevel_extension_prop(m: &Map<String, Value>) -> bool {
    matches!(m.get("extensions"), Some(Value::Object(exts)) if exts.values().any(|e| e.get("extension_type").and_then(Value::as_str) == Some("toplevel-property-extension")))
}

fn is_dict_key(k: &str) -> bool {
    (1..=250).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// RFC 1034 in outline: dot-separated labels of 1-63 characters, no spaces or URL/address
/// punctuation; internationalised (non-ASCII) labels are allowed.
fn is_domain_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*')
        })
}

/// An addr-spec: local@domain with no spaces, angle brackets or display name.
fn is_addr_spec(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !s.chars().any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';'))
                && (local.starts_with('"') || !local.contains('@'))
        }
        None => false,
    }
}

/// A MAC-48 address: six lowercase two-digit hex octets joined by ':'.
fn is_mac48(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts.iter().all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// A CPE 2.3 formatted string: `cpe:2.3:` then 11 more components (escaped colons allowed).
fn is_cpe23(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("cpe:2.3:") else { return false };
    let mut parts = 1;
    let mut escaped = false;
    for c in rest.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            ':' if !escaped => parts += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    parts == 11 && matches!(rest.chars().next(), Some('a' | 'o' | 'h' | '*' | '-'))
}

fn is_hex(s: &str) -> bool {
    s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    pad <= 2 && b[..b.len() - pad].iter().all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// RFC 5646 in outline: alphanumeric subtags of 1-8 characters joined by '-', the first alphabetic.
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok =
        parts.next().is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Whether a granular-marking selector (`a.b.[2].c`) points at something in the object.
pub fn selector_resolves(root: &Map<String, Value>, selector: &str) -> bool {
    let mut parts = selector.split('.');
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(mut cur) = root.get(first) else {
        return false;
    };
    for part in parts {
        cur = match (part.strip_prefix('[').and_then(|p| p.strip_suffix(']')), cur) {
            (Some(i), Value::Array(items)) => match i.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(v) => v,
                None => return false,
            },
            (None, Value::Object(m)) => match m.get(part) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    true
}

/// Whether a type is one of STIX 2.1's built-in types.
pub fn is_builtin_type(ty: &str) -> bool {
    schema::type_def(ty).is_some()
}

/// The built-in definition of a type, if any.
pub fn builtin(ty: &str) -> Option<&'static TypeDef> {
    schema::type_def(ty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Vec<Finding> {
        let mut out = Vec::new();
        validate_object(&v, Location::default(), &mut out);
        out
    }

    fn rules(v: Value) -> Vec<&'static str> {
        check(v).into_iter().filter(|f| f.severity == Severity::Error).map(|f| f.rule).collect()
    }

    fn indicator() -> Value {
        json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
            "pattern": "[file:name = 'x']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"
        })
    }

    #[test]
    fn valid_indicator_is_clean() {
        assert_eq!(check(indicator()), vec![]);
    }

    #[test]
    fn missing_required_is_located() {
        let mut v = indicator();
        v.as_object_mut().unwrap().remove("pattern");
        let f = check(v);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "required-property");
        assert_eq!(f[0].id.as_deref(), Some("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"));
        assert!(f[0].message.contains("pattern"));
    }

    #[test]
    fn paths_point_at_the_value() {
        let mut v = indicator();
        v["external_references"] =
            json!([{"source_name": "a", "url": "u"}, {"source_name": "cve", "external_id": "CVE-16"}]);
        v["granular_markings"] = json!([{"marking_ref": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "selectors": ["external_references.[1].nope"]}]);
        let f = check(v);
        let paths: Vec<_> = f.iter().map(|f| (f.rule, f.path.as_str())).collect();
        assert_eq!(
            paths,
            vec![
                ("external-id-form", "$.external_references[1].external_id"),
                ("selector", "$.granular_markings[0].selectors[0]")
            ]
        );
    }

    #[test]
    fn cross_rules() {
        let mut v = indicator();
        v["modified"] = json!("2016-04-06T20:03:47.999Z");
        v["valid_until"] = json!("2016-01-01T00:00:00Z");
        assert_eq!(rules(v), vec!["modified-before-created", "timestamp-order"]);
        let mut v = indicator();
        v["created_by_ref"] = json!("malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
        v["confidence"] = json!(101);
        v["labels"] = json!([]);
        let mut got = rules(v);
        got.sort_unstable();
        assert_eq!(got, vec!["empty-list", "range", "ref-type"]);
    }

    #[test]
    fn custom_objects_and_properties() {
        let v = json!({"type": "x-mitre-tactic", "id": "x-mitre-tactic--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "spec_version": "2.1",
            "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z", "x_mitre_shortname": "x", "anything": 1});
        assert_eq!(check(v), vec![]);
        let mut v = indicator();
        v["foo_bar"] = json!(1);
        let f = check(v);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        let mut v = indicator();
        v["x-bad"] = json!(1);
        assert_eq!(rules(v), vec!["property-name-form"]);
    }

    #[test]
    fn stix20_objects_use_20_rules() {
        let v = json!({"type": "malware", "id": "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2016-04-06T20:03:48Z", "modified": "2016-04-06T20:03:48Z", "name": "x", "labels": ["backdoor"]});
        let mut out = Vec::new();
        let verdict =
            validate_object(&v, Location { default_version: SpecVersion::V20, ..Location::default() }, &mut out);
        assert_eq!(out, vec![]);
        assert_eq!(verdict.version, SpecVersion::V20);
        // The same object judged as 2.1 lacks spec_version and is_family.
        assert_eq!(rules(v).len(), 4);
    }

    #[test]
    fn selectors() {
        let m = json!({"a": [{"b": 1}], "c": "x"});
        let m = m.as_object().unwrap();
        assert!(selector_resolves(m, "a.[0].b"));
        assert!(selector_resolves(m, "c"));
        assert!(!selector_resolves(m, "a.[1].b"));
        assert!(!selector_resolves(m, "a.b"));
        assert!(!selector_resolves(m, ""));
    }
}
