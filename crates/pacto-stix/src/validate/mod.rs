//! Validation of STIX objects against the spec's MUST rules (errors) and SHOULD rules
//! (warnings). Every finding says where (object index, id, JSON path), which rule, and why.
//!
//! The per-type property tables are in [`crate::schema`]. The modules here:
//!
//! - `checker`: [`Checker`](checker::Checker) walks one object through its type's tables
//!   (required properties, each value's type, references, extensions, SCO identifiers);
//! - `rules`: the rules that tie several properties of one object together (`cross_*`,
//!   value forms, marking definitions, language content);
//! - `forms`: the value forms the rules test (domain names, addresses, CPE, base64, …);
//! - `session`: [`Session`], which validates a sequence of objects and adds the rules that
//!   span objects.

mod checker;
mod forms;
mod rules;
mod session;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::id::{is_property_name, parse_id};
use crate::schema::{self, TypeDef};
use checker::Checker;
use forms::{json_type, short};

pub use forms::{is_language_tag, selector_resolves};
pub use session::{Checked, MAX_TRACKED_UUIDS, Session};

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
