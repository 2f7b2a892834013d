//! The walk of one object through its type's property tables.

use serde_json::{Map, Value};

use super::forms::{is_base64, is_cve, is_dict_key, is_hex, is_language_tag, json_type, selector_resolves};
use super::{Finding, Severity, SpecVersion};
use crate::id::{is_property_name, is_type_name, parse_id};
use crate::schema::{self, Kind, Prop, Table, Ty};
use crate::timestamp::Timestamp;

pub(super) struct Checker<'o> {
    pub(super) out: &'o mut Vec<Finding>,
    pub(super) index: Option<usize>,
    pub(super) id: Option<String>,
    pub(super) path: String,
    pub(super) version: SpecVersion,
}

impl Checker<'_> {
    pub(super) fn emit(&mut self, severity: Severity, rule: &'static str, message: String) {
        self.out.push(Finding {
            severity,
            index: self.index,
            id: self.id.clone(),
            path: self.path.clone(),
            rule,
            message,
        });
    }
    pub(super) fn err(&mut self, rule: &'static str, message: String) {
        self.emit(Severity::Error, rule, message);
    }
    pub(super) fn warn(&mut self, rule: &'static str, message: String) {
        self.emit(Severity::Warning, rule, message);
    }
    pub(super) fn push_key(&mut self, key: &str) -> usize {
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
    pub(super) fn push_idx(&mut self, i: usize) -> usize {
        let len = self.path.len();
        self.path.push('[');
        self.path.push_str(&i.to_string());
        self.path.push(']');
        len
    }
    /// Undo the last push. Paths only grow by one segment at a time, so we can find the cut.
    pub(super) fn pop(&mut self) {
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
    pub(super) fn with_key(&mut self, key: &str, f: impl FnOnce(&mut Self)) {
        let len = self.push_key(key);
        f(self);
        self.path.truncate(len);
    }
    pub(super) fn with_idx(&mut self, i: usize, f: impl FnOnce(&mut Self)) {
        let len = self.push_idx(i);
        f(self);
        self.path.truncate(len);
    }

    pub(super) fn object(&mut self, obj: &Value) {
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

    pub(super) fn value(&mut self, v: &Value, ty: &Ty) {
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
            Ty::OpenList(values) => match v.as_str() {
                Some(s) if !values.contains(&s) => {
                    self.warn("open-vocab", format!("{s:?} is not in this property's suggested vocabulary {values:?}"))
                }
                Some(_) => {}
                None => self.err("property-type", format!("expected a string, found {}", json_type(v))),
            },
            Ty::Country => match v.as_str() {
                Some(s) if !rstix::vocab::is_iso3166_alpha2(s) => self.warn(
                    "open-vocab",
                    format!("{s:?} is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. \"US\")"),
                ),
                Some(_) => {}
                None => self.err("property-type", format!("expected a country code string, found {}", json_type(v))),
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

    pub(super) fn reference(&mut self, v: &Value, allowed: &[&str]) {
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

    pub(super) fn nested(&mut self, v: &Value, table: &Table) {
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

    pub(super) fn dict(&mut self, v: &Value) {
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
    pub(super) fn dictionary<'v>(&mut self, v: &'v Value, what: &str) -> Option<&'v Map<String, Value>> {
        let Value::Object(m) = v else {
            self.err("property-type", format!("expected a dictionary, found {}", json_type(v)));
            return None;
        };
        if m.is_empty() {
            self.err("empty-dictionary", format!("{what} must have at least one entry"));
        }
        Some(m)
    }

    pub(super) fn hashes(&mut self, v: &Value) {
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

    pub(super) fn external_reference(&mut self, m: &Map<String, Value>) {
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

    pub(super) fn granular_markings(&mut self, v: &Value, root: &Map<String, Value>) {
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

    pub(super) fn extensions(&mut self, v: &Value, ty: &str) {
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
    pub(super) fn property_names(&mut self, m: &Map<String, Value>) {
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
    pub(super) fn sco_id(&mut self, ty: &str, uuid: &str, obj: &Value) {
        if ty == crate::firearm::TYPE {
            self.firearm_id(uuid, obj);
            return;
        }
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
}

static EMPTY: Table = Table { props: &[] };

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

impl Checker<'_> {
    /// `x-firearm` ids (crate::firearm): the UUIDv5 of the canonical maker and serial when both
    /// have one, else a version 4 UUID. Either departure is a warning, as for the spec's SCOs.
    fn firearm_id(&mut self, uuid: &str, obj: &Value) {
        if ["manufacturer", "serial_number"].iter().any(|k| obj.get(*k).is_some_and(|v| !v.is_string())) {
            return; // a property-type error says it already
        }
        match crate::firearm::id_of(obj) {
            Some(expected) if !expected.eq_ignore_ascii_case(&format!("{}--{uuid}", crate::firearm::TYPE)) => self.warn(
                "sco-deterministic-id",
                format!(
                    "the id of this x-firearm should be {expected}, derived from its manufacturer and serial_number in canonical form"
                ),
            ),
            Some(_) => {}
            None if uuid.as_bytes()[14] != b'4' => self.warn(
                "sco-deterministic-id",
                "an x-firearm without both a manufacturer and a serial_number that have a canonical form should have a version 4 UUID (it does not identify a weapon)".into(),
            ),
            None => {}
        }
    }
}
