//! Sharing agreements (outbound): which collections a partner may read and, within them, which
//! objects — by TLP 2.0 level, type, labels and creator — and what is removed before an object
//! leaves: listed properties, parts under granular markings above the partner's level, and
//! references to anything the partner may not see (so it cannot learn that those exist).

use std::collections::BTreeSet;

use pacto_stix::validate::{Location, Severity, validate_object};
use pacto_stix::{Facts, Filter, Tlp};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Why an agreement file is not usable.
#[derive(Debug, thiserror::Error)]
pub enum AgreementError {
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    #[error("{0}")]
    Invalid(String),
}

/// One partner's agreement.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    /// The partner's account on this node.
    pub partner: String,
    #[serde(default)]
    pub description: Option<String>,
    /// What the partner may read, collection by collection.
    #[serde(default)]
    pub share: Vec<Share>,
    /// The one collection the partner may write to, if any.
    #[serde(default)]
    pub dropbox: Option<String>,
    /// Private sets the partner may match against.
    #[serde(default)]
    pub psi: Vec<PsiGrant>,
    /// Whether this node's detection reports its sightings of the partner's indicators (those
    /// that came from the partner by sync) back to the partner's drop box (default: no).
    #[serde(default)]
    pub report_sightings: bool,
}

/// What a partner may ask of one private set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PsiGrant {
    pub set: String,
    /// The largest query (items).
    pub max_query: usize,
    /// The smallest query (items; default 1). It stops an honest querier from classifying
    /// items one query at a time; a deviating one pads with junk, so `per_day` is the bound
    /// that remains (docs/psi.md).
    #[serde(default = "one")]
    pub min_query: usize,
    /// Admitted queries per UTC day.
    pub per_day: u64,
    /// `intersection` (which items match; also allows size-only queries), `cardinality`
    /// (only how many), or `labelled` (which items match, with the payload fields `fields`
    /// lists, from a labelled set; it also allows the two others, which reveal less).
    #[serde(default = "intersection")]
    pub mode: String,
    /// `labelled` mode: the payload fields the partner may receive. Every other field is
    /// removed before a payload is sealed, so it never leaves. Required with `labelled`,
    /// refused with any other mode.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Noise on size-only answers: `laplace:ε` (discrete Laplace, ε-differential privacy per
    /// holder item and answer). None: exact counts.
    #[serde(default)]
    pub noise: Option<String>,
}

fn intersection() -> String {
    "intersection".into()
}

fn one() -> usize {
    1
}

impl PsiGrant {
    /// The ε of the grant's noise, if it has any (the setting was checked when parsed).
    pub fn noise_epsilon(&self) -> Option<f64> {
        self.noise.as_deref().and_then(|n| parse_noise(n).ok())
    }

    fn check(&self) -> Result<(), String> {
        if !matches!(self.mode.as_str(), "intersection" | "cardinality" | "labelled") {
            return Err(format!(
                "psi grant for {:?}: mode {:?} must be intersection, cardinality or labelled",
                self.set, self.mode
            ));
        }
        match (&self.fields, self.mode == "labelled") {
            (None, true) => {
                return Err(format!(
                    "psi grant for {:?}: mode = \"labelled\" needs fields = [...], the payload fields the partner may receive",
                    self.set
                ));
            }
            (Some(_), false) => {
                return Err(format!(
                    "psi grant for {:?}: fields applies to mode = \"labelled\" only (this grant's mode is {:?})",
                    self.set, self.mode
                ));
            }
            (Some(fields), true) => {
                let mut seen = BTreeSet::new();
                for f in fields {
                    if f.trim().is_empty() || f.trim() != f {
                        return Err(format!(
                            "psi grant for {:?}: field {f:?} must be a name without spaces around it",
                            self.set
                        ));
                    }
                    if !seen.insert(f) {
                        return Err(format!("psi grant for {:?}: field {f:?} is listed twice", self.set));
                    }
                }
            }
            (None, false) => {}
        }
        if self.min_query == 0 || self.min_query > self.max_query {
            return Err(format!(
                "psi grant for {:?}: min_query ({}) must be at least 1 and at most max_query ({})",
                self.set, self.min_query, self.max_query
            ));
        }
        if let Some(n) = &self.noise {
            parse_noise(n).map_err(|e| format!("psi grant for {:?}: {e}", self.set))?;
        }
        Ok(())
    }
}

/// `laplace:ε`, ε in (0, 20].
fn parse_noise(setting: &str) -> Result<f64, String> {
    let eps = setting.strip_prefix("laplace:").ok_or_else(|| format!("noise {setting:?}: write laplace:ε"))?;
    match eps.trim().parse::<f64>() {
        Ok(e) if e.is_finite() && e > 0.0 && e <= 20.0 => Ok(e),
        _ => Err(format!("noise {setting:?}: ε must be a number above 0 and at most 20")),
    }
}

/// What may leave one collection for the partner.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    pub collection: String,
    /// The most restrictive TLP level the partner may receive (`clear`, `green`, `amber`,
    /// `amber+strict`, `red`).
    #[serde(deserialize_with = "tlp")]
    pub max_tlp: Tlp,
    /// Whether objects with no TLP marking may go (default: no).
    #[serde(default)]
    pub include_unmarked: bool,
    /// Only these object types (default: all).
    #[serde(default)]
    pub types: Option<Vec<String>>,
    /// Only objects with at least one of these labels (default: no condition).
    #[serde(default)]
    pub labels_any: Option<Vec<String>>,
    /// Never objects with any of these labels.
    #[serde(default)]
    pub labels_none: Vec<String>,
    /// Only objects created by these identities (default: any).
    #[serde(default)]
    pub creators: Option<Vec<String>>,
    /// Properties removed before an object leaves. A bare name (`x_informant_name`) goes
    /// wherever it appears: at the top, inside extensions and nested objects, and in
    /// language-content translations. A dotted path (`x_case.officer`) goes at that path, in
    /// the object and in each translation; a list on the way is walked item by item.
    #[serde(default)]
    pub redact: Vec<String>,
}

fn tlp<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Tlp, D::Error> {
    let s = String::deserialize(d)?;
    Tlp::parse(&s).ok_or_else(|| {
        serde::de::Error::custom(format!("{s:?} is not a TLP 2.0 level (clear, green, amber, amber+strict, red)"))
    })
}

impl Agreement {
    /// Parse an agreement file's text.
    pub fn parse(text: &str) -> Result<Agreement, AgreementError> {
        let a: Agreement = toml::from_str(text)?;
        if a.partner.trim().is_empty() {
            return Err(AgreementError::Invalid("partner must name the partner's account".into()));
        }
        for g in &a.psi {
            g.check().map_err(AgreementError::Invalid)?;
        }
        let mut seen = BTreeSet::new();
        for s in &a.share {
            for rule in &s.redact {
                if rule.split('.').any(str::is_empty) {
                    return Err(AgreementError::Invalid(format!(
                        "redact {rule:?} in the share of {:?}: a property name or a dotted path is expected",
                        s.collection
                    )));
                }
                if IDENTITY.contains(&rule.as_str()) {
                    return Err(AgreementError::Invalid(format!(
                        "redact {rule:?} in the share of {:?}: it identifies the object and cannot be removed",
                        s.collection
                    )));
                }
            }
            if !seen.insert(&s.collection) {
                return Err(AgreementError::Invalid(format!("collection {:?} is shared twice", s.collection)));
            }
            if a.dropbox.as_ref() == Some(&s.collection) {
                return Err(AgreementError::Invalid(format!(
                    "{:?} cannot be both shared and the partner's drop box",
                    s.collection
                )));
            }
        }
        Ok(a)
    }

    /// The share for a collection, if the partner may read it.
    pub fn share(&self, collection: &str) -> Option<&Share> {
        self.share.iter().find(|s| s.collection == collection)
    }
}

/// The rules that span agreements: each partner has one agreement, and a drop box belongs to
/// one partner (so that whatever a partner finds already stored there is its own writing: a
/// shared drop box would answer one partner's POST with what another stored).
pub fn check_all(agreements: &[Agreement]) -> Result<(), AgreementError> {
    let mut partners = BTreeSet::new();
    let mut boxes = std::collections::BTreeMap::new();
    for a in agreements {
        if !partners.insert(a.partner.as_str()) {
            return Err(AgreementError::Invalid(format!("partner {:?} has two agreements", a.partner)));
        }
        if let Some(d) = &a.dropbox
            && let Some(other) = boxes.insert(d.as_str(), a.partner.as_str())
        {
            return Err(AgreementError::Invalid(format!(
                "partners {other:?} and {:?} both name {d:?} as their dropbox; each partner needs its own",
                a.partner
            )));
        }
    }
    Ok(())
}

/// Why a local write into `collection`, partner `partner`'s drop box, is refused (one sentence
/// for the TAXII API and the command line alike).
pub fn dropbox_refusal(collection: &str, partner: &str) -> String {
    format!("{collection} is partner {partner}'s drop box: only {partner} writes to it")
}

/// What happens to one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// It goes, in this (possibly redacted) form.
    Disclose(Value),
    /// It does not go; the reason is for this node's operators, never for the partner.
    Withhold(&'static str),
}

impl Share {
    /// The test this share applies to an object version's facts (type, TLP, labels, creator).
    pub fn filter(&self) -> Filter {
        Filter {
            max_tlp: self.max_tlp,
            include_unmarked: self.include_unmarked,
            types: self.types.clone(),
            labels_any: self.labels_any.clone(),
            labels_none: self.labels_none.clone(),
            creators: self.creators.clone(),
        }
    }

    /// Whether the object as a whole passes this share's filters (type, TLP, labels, creator),
    /// before redaction. References are checked against this.
    pub fn admits(&self, obj: &Map<String, Value>) -> Result<(), &'static str> {
        self.filter().admits(&Facts::of(obj))
    }

    /// Decide one object. `disclosable(id)` says whether an object this one refers to may
    /// itself go to the partner; references to anything else are removed.
    pub fn decide(&self, obj: &Value, disclosable: &dyn Fn(&str) -> bool) -> Decision {
        let Value::Object(map) = obj else { return Decision::Withhold("not an object") };
        if let Err(why) = self.admits(map) {
            return Decision::Withhold(why);
        }
        let mut out = map.clone();
        for rule in &self.redact {
            redact(&mut out, rule);
        }
        // Parts under granular markings above the partner's level go, with those markings;
        // then references to what the partner may not see. List items that go are first
        // replaced by a marker, so that the markings that stay can be re-pointed at where their
        // items end up; only then are the markers swept out.
        let mut keep = Vec::new();
        if let Some(Value::Array(gms)) = out.remove("granular_markings") {
            for gm in gms {
                let level = gm.get("marking_ref").and_then(Value::as_str).and_then(Tlp::from_marking_ref);
                let too_high = level.is_some_and(|l| l > self.max_tlp);
                let marking_hidden =
                    gm.get("marking_ref").and_then(Value::as_str).is_some_and(|r| level.is_none() && !disclosable(r));
                if too_high || marking_hidden {
                    for sel in strings(gm.get("selectors")) {
                        cut_selector(&mut out, &sel);
                    }
                } else {
                    keep.push(gm);
                }
            }
        }
        drop_hidden_refs(&mut out, disclosable);
        // A marking that stays keeps the selectors whose parts are still there, re-pointed
        // past the list items that went; it goes when none is left.
        let keep: Vec<Value> = keep
            .into_iter()
            .filter_map(|mut gm| {
                let sels: Vec<Value> =
                    strings(gm.get("selectors")).iter().filter_map(|s| repoint(&out, s)).map(Value::String).collect();
                if sels.is_empty() {
                    return None;
                }
                gm["selectors"] = Value::Array(sels);
                Some(gm)
            })
            .collect();
        sweep_cut(&mut out);
        if !keep.is_empty() {
            out.insert("granular_markings".into(), Value::Array(keep));
        }
        // What is left must still be valid STIX; otherwise it does not go at all.
        let value = Value::Object(out);
        let mut findings = Vec::new();
        // Judged by the version it is held as: STIX 2.0 objects carry no spec_version (2.1
        // cyber-observables may omit it too, and are 2.1).
        let v20 = value.get("spec_version").is_none()
            && value
                .get("type")
                .and_then(Value::as_str)
                .and_then(pacto_stix::schema::type_def)
                .is_none_or(|d| d.kind != pacto_stix::schema::Kind::Sco);
        let default_version = if v20 { pacto_stix::SpecVersion::V20 } else { pacto_stix::SpecVersion::V21 };
        validate_object(&value, Location { default_version, ..Location::default() }, &mut findings);
        if findings.iter().any(|f| f.severity == Severity::Error) {
            return Decision::Withhold("depends on what the partner may not see");
        }
        Decision::Disclose(value)
    }
}

/// Properties that identify an object and its version: never redacted (the object would not
/// be STIX without them, and they say nothing the partner is not already given).
const IDENTITY: [&str; 5] = ["type", "id", "spec_version", "created", "modified"];

/// Apply one redaction rule (see [`Share::redact`]) to an object.
fn redact(obj: &mut Map<String, Value>, rule: &str) {
    let path: Vec<&str> = rule.split('.').filter(|p| !p.is_empty()).collect();
    match path.as_slice() {
        [] => {}
        [name] if IDENTITY.contains(name) => {}
        [name] => remove_everywhere(obj, name),
        _ => {
            remove_path(obj, &path);
            // The same property, carried by an extension.
            if let Some(Value::Object(exts)) = obj.get_mut("extensions") {
                for ext in exts.values_mut() {
                    if let Value::Object(m) = ext {
                        remove_path(m, &path);
                    }
                }
            }
            // A language-content object carries translations of another object's properties,
            // keyed by language: the same path, one level down.
            if obj.get("type").and_then(Value::as_str) == Some("language-content")
                && let Some(Value::Object(langs)) = obj.get_mut("contents")
            {
                for tr in langs.values_mut() {
                    if let Value::Object(m) = tr {
                        remove_path(m, &path);
                    }
                }
            }
        }
    }
}

/// Remove every member named `name`, at any depth.
fn remove_everywhere(obj: &mut Map<String, Value>, name: &str) {
    obj.remove(name);
    for v in obj.values_mut() {
        remove_in_value(v, name);
    }
}

fn remove_in_value(v: &mut Value, name: &str) {
    match v {
        Value::Object(m) => remove_everywhere(m, name),
        Value::Array(items) => items.iter_mut().for_each(|i| remove_in_value(i, name)),
        _ => {}
    }
}

/// Remove the member at `path` (object keys; lists are walked item by item).
fn remove_path(obj: &mut Map<String, Value>, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else { return };
    if rest.is_empty() {
        obj.remove(*first);
        return;
    }
    if let Some(next) = obj.get_mut(*first) {
        remove_path_in_value(next, rest);
    }
}

fn remove_path_in_value(v: &mut Value, path: &[&str]) {
    match v {
        Value::Object(m) => remove_path(m, path),
        Value::Array(items) => items.iter_mut().for_each(|i| remove_path_in_value(i, path)),
        _ => {}
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// Stands in for a list item that is going, until [`sweep_cut`] removes it. (Should a
/// stored object hold this very string in a list, that item would be withheld too: the safe
/// direction.)
const CUT: &str = "\u{0}pacto: cut\u{0}";

fn is_cut(v: &Value) -> bool {
    v.as_str() == Some(CUT)
}

/// A selector's steps: member names, and `[n]` list indexes.
fn steps(selector: &str) -> Vec<Result<usize, &str>> {
    selector
        .split('.')
        .map(|p| match p.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            Some(i) => i.parse::<usize>().map_err(|_| p),
            None => Err(p),
        })
        .collect()
}

/// Remove what a granular-marking selector points at (`a.b.[2].c`): a member goes at once, a
/// list item is replaced by [`CUT`] so that other selectors' indexes still hold.
fn cut_selector(obj: &mut Map<String, Value>, selector: &str) {
    let path = steps(selector);
    let Some((last, path)) = path.split_last() else { return };
    let mut cur: &mut Value = match path.first() {
        None => {
            if let Err(name) = last {
                obj.remove(*name);
            }
            return;
        }
        Some(Err(name)) => match obj.get_mut(*name) {
            Some(v) => v,
            None => return,
        },
        Some(Ok(_)) => return,
    };
    for step in &path[1..] {
        let next = match (step, cur) {
            (Ok(i), Value::Array(a)) => a.get_mut(*i),
            (Err(name), Value::Object(m)) => m.get_mut(*name),
            _ => None,
        };
        let Some(n) = next else { return };
        cur = n;
    }
    match (last, cur) {
        (Ok(i), Value::Array(a)) => {
            if let Some(item) = a.get_mut(*i) {
                *item = Value::String(CUT.into());
            }
        }
        (Err(name), Value::Object(m)) => {
            m.remove(*name);
        }
        _ => {}
    }
}

/// The selector as it will read once the cut list items are swept out, or None if what it
/// points at (or anything on the way) is gone.
fn repoint(obj: &Map<String, Value>, selector: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut cur: Option<&Value> = None;
    for (n, step) in steps(selector).into_iter().enumerate() {
        let next = match (step, cur) {
            (Err(name), None) if n == 0 => obj.get(name),
            (Err(name), Some(Value::Object(m))) => m.get(name),
            (Ok(i), Some(Value::Array(a))) => {
                let item = a.get(i).filter(|v| !is_cut(v))?;
                out.push(format!("[{}]", i - a[..i].iter().filter(|v| is_cut(v)).count()));
                cur = Some(item);
                continue;
            }
            _ => None,
        };
        let v = next?;
        if let Err(name) = step {
            out.push(name.to_string());
        }
        cur = Some(v);
    }
    Some(out.join("."))
}

/// Remove the [`CUT`] markers; a list left empty by them goes with its member (an empty list
/// is not valid STIX, and an emptied `*_refs` would only say that something was removed).
fn sweep_cut(obj: &mut Map<String, Value>) {
    let mut emptied = Vec::new();
    for (k, v) in obj.iter_mut() {
        if sweep_value(v) {
            emptied.push(k.clone());
        }
    }
    for k in emptied {
        obj.remove(&k);
    }
}

/// Sweep one value; true when it is a list that markers alone emptied.
fn sweep_value(v: &mut Value) -> bool {
    match v {
        Value::Object(m) => {
            sweep_cut(m);
            false
        }
        Value::Array(items) => {
            let before = items.len();
            items.retain(|i| !is_cut(i));
            for i in items.iter_mut() {
                // A list inside a list that empties stays (as an empty list): rare, and then
                // validation decides.
                sweep_value(i);
            }
            items.is_empty() && before > 0
        }
        _ => false,
    }
}

/// Remove every reference (`*_ref`, `*_refs`, at any depth) to an object the partner may not
/// see (list items become [`CUT`] markers, swept later). TLP marking definitions are public
/// and always kept.
fn drop_hidden_refs(obj: &mut Map<String, Value>, disclosable: &dyn Fn(&str) -> bool) {
    let visible = |id: &str| Tlp::from_marking_ref(id).is_some() || disclosable(id);
    let keys: Vec<String> = obj.keys().cloned().collect();
    for k in keys {
        let remove = if k.ends_with("_ref") {
            obj.get(&k).and_then(Value::as_str).is_some_and(|id| !visible(id))
        } else if k.ends_with("_refs") {
            if let Some(Value::Array(items)) = obj.get_mut(&k) {
                for item in items.iter_mut() {
                    if item.as_str().is_some_and(|id| !is_cut(item) && !visible(id)) {
                        *item = Value::String(CUT.into());
                    }
                }
            }
            false
        } else {
            match obj.get_mut(&k) {
                Some(Value::Object(m)) => {
                    drop_hidden_refs(m, disclosable);
                    false
                }
                Some(Value::Array(items)) => {
                    for item in items.iter_mut() {
                        if let Value::Object(m) = item {
                            drop_hidden_refs(m, disclosable);
                        }
                    }
                    false
                }
                _ => false,
            }
        };
        if remove {
            obj.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn psi(grant: &str) -> Result<Agreement, AgreementError> {
        Agreement::parse(&format!(
            "partner = \"us\"\n[[psi]]\nset = \"dealer-sales\"\nmax_query = 10\nper_day = 2\n{grant}"
        ))
    }

    #[test]
    fn labelled_grants_name_their_fields() {
        let a = psi("mode = \"labelled\"\nfields = [\"dealer\", \"sale_date\", \"trace_ref\"]\n").unwrap();
        assert_eq!(a.psi[0].mode, "labelled");
        assert_eq!(
            a.psi[0].fields.as_deref(),
            Some(&["dealer".to_string(), "sale_date".into(), "trace_ref".into()][..])
        );
        // An empty list is allowed: the partner learns which items match, with no field.
        assert_eq!(psi("mode = \"labelled\"\nfields = []\n").unwrap().psi[0].fields, Some(vec![]));
        let why = |g: &str| psi(g).unwrap_err().to_string();
        assert_eq!(
            why("mode = \"labelled\"\n"),
            "psi grant for \"dealer-sales\": mode = \"labelled\" needs fields = [...], the payload fields the partner may receive"
        );
        assert!(why("fields = [\"dealer\"]\n").contains("fields applies to mode = \"labelled\" only"));
        assert!(
            why("mode = \"cardinality\"\nfields = [\"dealer\"]\n").contains("(this grant's mode is \"cardinality\")")
        );
        assert!(why("mode = \"labelled\"\nfields = [\"dealer\", \"dealer\"]\n").contains("\"dealer\" is listed twice"));
        assert!(why("mode = \"labelled\"\nfields = [\" dealer\"]\n").contains("without spaces"));
        assert!(
            why("mode = \"everything\"\n")
                .contains("mode \"everything\" must be intersection, cardinality or labelled")
        );
        // A field list of the wrong type is TOML's error, with its line and column.
        let e = why("mode = \"labelled\"\nfields = \"dealer\"\n");
        assert!(e.contains("line 7"), "{e}");
    }

    const AMBER_SHARE: &str = r#"
partner = "us"
dropbox = "from-us"
[[share]]
collection = "firearms"
max_tlp = "amber"
types = ["indicator", "threat-actor", "relationship", "identity", "report"]
labels_none = ["informant"]
redact = ["x_informant_name"]
"#;

    fn share() -> Share {
        Agreement::parse(AMBER_SHARE).unwrap().share("firearms").unwrap().clone()
    }

    fn indicator(tlp: Tlp) -> Value {
        json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
            "object_marking_refs": [tlp.marking_id()], "pattern": "[x:y = 'z']", "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z", "description": "courier seen at the crossing",
            "x_informant_name": "J. Doe", "created_by_ref": "identity--0b1e8a52-0f6c-4b8e-9a53-3f4f1c6f9b01"})
    }

    #[test]
    fn parse_rejects_bad_agreements() {
        assert!(Agreement::parse("partner = \"x\"\n[[share]]\ncollection = \"a\"\nmax_tlp = \"purple\"\n").is_err());
        assert!(Agreement::parse("partner = \"x\"\nunknown = 1\n").is_err());
        assert!(Agreement::parse("partner = \"\"\n").is_err());
        let twice = "partner = \"x\"\n[[share]]\ncollection = \"a\"\nmax_tlp = \"green\"\n[[share]]\ncollection = \"a\"\nmax_tlp = \"red\"\n";
        assert!(Agreement::parse(twice).is_err());
        let both = "partner = \"x\"\ndropbox = \"a\"\n[[share]]\ncollection = \"a\"\nmax_tlp = \"green\"\n";
        assert!(Agreement::parse(both).is_err());
    }

    #[test]
    fn tlp_level_is_never_exceeded() {
        let s = share();
        let everyone = |_: &str| true;
        for t in Tlp::ALL {
            let d = s.decide(&indicator(t), &everyone);
            assert_eq!(matches!(d, Decision::Disclose(_)), t <= Tlp::Amber, "{t:?}");
        }
        let mut unmarked = indicator(Tlp::Green);
        unmarked.as_object_mut().unwrap().remove("object_marking_refs");
        assert_eq!(s.decide(&unmarked, &everyone), Decision::Withhold("no TLP marking"));
        let mut both = indicator(Tlp::Green);
        both["object_marking_refs"] = json!([Tlp::Green.marking_id(), Tlp::Red.marking_id()]);
        assert!(matches!(s.decide(&both, &everyone), Decision::Withhold(_)), "the most restrictive marking counts");
    }

    #[test]
    fn types_labels_and_redactions() {
        let s = share();
        let everyone = |_: &str| true;
        let mut malware = indicator(Tlp::Green);
        malware["type"] = json!("malware");
        assert_eq!(s.decide(&malware, &everyone), Decision::Withhold("type not shared"));
        let mut informant = indicator(Tlp::Green);
        informant["labels"] = json!(["informant"]);
        assert_eq!(s.decide(&informant, &everyone), Decision::Withhold("excluded label"));
        let Decision::Disclose(out) = s.decide(&indicator(Tlp::Green), &everyone) else { panic!() };
        assert!(out.get("x_informant_name").is_none());
        assert_eq!(out["description"], "courier seen at the crossing");
    }

    #[test]
    fn granular_markings_above_the_level_take_their_parts_with_them() {
        let s = share();
        let mut obj = indicator(Tlp::Green);
        obj["granular_markings"] = json!([
            {"marking_ref": Tlp::Red.marking_id(), "selectors": ["description"]},
            {"marking_ref": Tlp::Green.marking_id(), "selectors": ["pattern"]}
        ]);
        let Decision::Disclose(out) = s.decide(&obj, &|_| true) else { panic!() };
        assert!(out.get("description").is_none());
        assert_eq!(
            out["granular_markings"],
            json!([{"marking_ref": Tlp::Green.marking_id(), "selectors": ["pattern"]}])
        );
        // A required property under RED: the object cannot go at all.
        obj["granular_markings"] = json!([{"marking_ref": Tlp::Red.marking_id(), "selectors": ["pattern"]}]);
        assert!(matches!(s.decide(&obj, &|_| true), Decision::Withhold(_)));
    }

    #[test]
    fn references_to_hidden_objects_are_dropped() {
        let s = share();
        let hidden = |id: &str| !id.starts_with("identity--");
        let Decision::Disclose(out) = s.decide(&indicator(Tlp::Green), &hidden) else { panic!() };
        assert!(out.get("created_by_ref").is_none(), "the partner does not learn the identity exists");
        let rel = json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "relationship_type": "indicates",
            "object_marking_refs": [Tlp::Green.marking_id()],
            "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "target_ref": "identity--0b1e8a52-0f6c-4b8e-9a53-3f4f1c6f9b01"});
        assert!(
            matches!(s.decide(&rel, &hidden), Decision::Withhold(_)),
            "a relationship to a hidden object does not go"
        );
        let report = json!({"type": "report", "spec_version": "2.1", "id": "report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "name": "r", "published": "2026-01-01T00:00:00Z",
            "object_marking_refs": [Tlp::Amber.marking_id()],
            "object_refs": ["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "identity--0b1e8a52-0f6c-4b8e-9a53-3f4f1c6f9b01"]});
        let Decision::Disclose(out) = s.decide(&report, &hidden) else { panic!() };
        assert_eq!(out["object_refs"], json!(["indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]));
        assert_eq!(out["object_marking_refs"], json!([Tlp::Amber.marking_id()]), "TLP markings are always kept");
    }

    #[test]
    fn redaction_paths_walk_objects_lists_extensions_and_translations() {
        let mut s = share();
        s.redact = vec!["x_case.officer".into(), "x_team.members.phone".into()];
        let mut obj = indicator(Tlp::Green);
        obj["x_case"] = json!({"officer": "Sgt A", "number": "42"});
        obj["x_team"] = json!({"members": [{"name": "a", "phone": "1"}, {"name": "b", "phone": "2"}]});
        obj["extensions"] = json!({"extension-definition--6b1c3f6e-6a5a-4a5c-9c7e-0f4c2b3a1d10":
            {"extension_type": "property-extension", "x_case": {"officer": "Sgt B", "number": "43"}}});
        let Decision::Disclose(out) = s.decide(&obj, &|_| true) else { panic!() };
        let text = out.to_string();
        assert!(!text.contains("Sgt") && !text.contains("phone"), "{text}");
        assert!(text.contains("\"42\"") && text.contains("\"43\"") && text.contains("\"name\":\"b\""), "{text}");
        // A bare name is a property wherever it stands, not a path: `x_case` would go whole.
        let lc = json!({"type": "language-content", "spec_version": "2.1",
            "id": "language-content--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061", "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z", "object_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "object_modified": "2026-01-01T00:00:00.000Z", "object_marking_refs": [Tlp::Green.marking_id()],
            "contents": {"es": {"x_case": {"officer": "Sgto C", "number": "44"}, "description": "x"}}});
        let mut s = share();
        s.types = None;
        s.redact = vec!["x_case.officer".into()];
        let Decision::Disclose(out) = s.decide(&lc, &|_| true) else { panic!() };
        assert!(!out.to_string().contains("Sgto"), "translations lose the path too: {out}");
        assert_eq!(out["contents"]["es"]["x_case"]["number"], "44");
    }

    #[test]
    fn redaction_rules_that_cannot_work_are_refused() {
        for (rule, why) in
            [("id", "identifies the object"), ("modified", "identifies"), ("a..b", "dotted path"), ("", "dotted path")]
        {
            let text =
                format!("partner = \"p\"\n[[share]]\ncollection = \"c\"\nmax_tlp = \"green\"\nredact = [{rule:?}]\n");
            let err = Agreement::parse(&text).unwrap_err().to_string();
            assert!(err.contains(why), "{rule:?}: {err}");
        }
    }

    use proptest::prelude::*;

    /// JSON trees whose member names are drawn from a few, one of them the redacted name.
    fn tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![Just(json!("secret text")), Just(json!(7)), Just(json!(null))];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec!["x_informant_name", "notes", "x_informant_name_old", "v"]),
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
            ]
        })
    }

    fn has_member(v: &Value, name: &str) -> bool {
        match v {
            Value::Object(m) => m.iter().any(|(k, v)| k == name || has_member(v, name)),
            Value::Array(a) => a.iter().any(|v| has_member(v, name)),
            _ => false,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// A property redacted by its bare name leaves in no form: not at the top, not inside
        /// an extension, a nested object or a list, not in a translation.
        #[test]
        fn a_redacted_name_leaves_from_any_depth(nested in tree(), in_ext in tree(), in_lc in tree()) {
            let s = share();
            let mut obj = indicator(Tlp::Green);
            obj["x_nested"] = nested;
            obj["extensions"] = json!({"extension-definition--6b1c3f6e-6a5a-4a5c-9c7e-0f4c2b3a1d10":
                {"extension_type": "property-extension", "x_data": in_ext}});
            let d = s.decide(&obj, &|_| true);
            let Decision::Disclose(out) = d else { return Err(TestCaseError::fail(format!("withheld: {d:?}"))) };
            prop_assert!(!has_member(&out, "x_informant_name"), "{}", out);
            let lc = json!({"type": "language-content", "spec_version": "2.1",
                "id": "language-content--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061", "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z", "object_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "object_modified": "2026-01-01T00:00:00.000Z", "object_marking_refs": [Tlp::Green.marking_id()],
                "contents": {"de": {"x_informant_name": "Hans", "x_more": in_lc}}});
            let mut all_types = s.clone();
            all_types.types = None;
            let d = all_types.decide(&lc, &|_| true);
            let Decision::Disclose(out) = d else { return Err(TestCaseError::fail(format!("withheld: {d:?}"))) };
            prop_assert!(!has_member(&out, "x_informant_name"), "{}", out);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Whatever the object, what is disclosed never carries a TLP level above the share's,
        /// never a redacted property, never a reference to an object the partner may not see.
        #[test]
        fn disclosures_never_exceed_the_agreement(
            max in 0usize..5,
            levels in prop::collection::vec(0usize..5, 0..3),
            refs in prop::collection::vec((0u8..6, any::<bool>()), 0..6),
            gm_level in prop::option::of(0usize..5),
            label in prop::option::of(prop::sample::select(vec!["informant", "firearms", "other"])),
        ) {
            let mut share = share();
            share.max_tlp = Tlp::ALL[max];
            let mut obj = indicator(Tlp::Clear);
            obj["object_marking_refs"] = json!(levels.iter().map(|l| Tlp::ALL[*l].marking_id()).collect::<Vec<_>>());
            if levels.is_empty() { obj.as_object_mut().unwrap().remove("object_marking_refs"); }
            let ids: Vec<String> = refs.iter().map(|(n, _)| format!("identity--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f")).collect();
            let hidden: Vec<String> = refs.iter().zip(&ids).filter(|((_, vis), _)| !vis).map(|(_, id)| id.clone()).collect();
            if !ids.is_empty() { obj["x_related_refs"] = json!(ids); }
            if let Some(l) = gm_level {
                obj["granular_markings"] = json!([{"marking_ref": Tlp::ALL[l].marking_id(), "selectors": ["description"]}]);
            }
            if let Some(l) = label { obj["labels"] = json!([l]); }
            let visible = |id: &str| !hidden.iter().any(|h| h == id);
            if let Decision::Disclose(out) = share.decide(&obj, &visible) {
                let marks = strings(out.get("object_marking_refs"));
                let level = Tlp::of_refs(marks.iter().map(String::as_str));
                prop_assert!(level.is_some(), "unmarked objects are not shared here");
                prop_assert!(level.unwrap() <= share.max_tlp);
                prop_assert!(out.get("x_informant_name").is_none());
                prop_assert!(label != Some("informant"));
                for id in strings(out.get("x_related_refs")) {
                    prop_assert!(visible(&id), "a hidden object is referenced");
                }
                if gm_level.is_some_and(|l| Tlp::ALL[l] > share.max_tlp) {
                    prop_assert!(out.get("description").is_none(), "a part marked above the level went out");
                }
            }
        }
    }
}
