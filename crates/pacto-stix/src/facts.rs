//! What a sharing decision looks at, read once from an object: its type, TLP level, labels and
//! creator ([`Facts`]); and the test a share applies to them ([`Filter`]).
//!
//! The store keeps, for each filter in force, the versions it admits (a partner's view), so a
//! partner's read never has to open — or spend time on — an object it may not see. The same
//! [`Filter::admits`] decides there and wherever else an object is judged, so the two can never
//! disagree.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Tlp;

/// The properties of one object version that decide whether a share admits it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    pub type_name: String,
    /// The most restrictive TLP level among `object_marking_refs` (None: no TLP marking).
    pub tlp: Option<Tlp>,
    /// A TLP marking definition itself (public knowledge; always admitted).
    pub tlp_definition: bool,
    pub labels: Vec<String>,
    pub creator: Option<String>,
}

fn strings(v: Option<&Value>) -> impl Iterator<Item = &str> {
    v.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
}

impl Facts {
    /// Read the facts of an object.
    pub fn of(obj: &Map<String, Value>) -> Facts {
        let type_name = obj.get("type").and_then(Value::as_str).unwrap_or_default().to_string();
        let tlp_definition = type_name == "marking-definition"
            && obj.get("id").and_then(Value::as_str).and_then(Tlp::from_marking_ref).is_some();
        Facts {
            tlp: Tlp::of_refs(strings(obj.get("object_marking_refs"))),
            tlp_definition,
            labels: strings(obj.get("labels")).map(str::to_string).collect(),
            creator: obj.get("created_by_ref").and_then(Value::as_str).map(str::to_string),
            type_name,
        }
    }
}

/// Which object versions a share admits, by their [`Facts`] alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// The most restrictive TLP level admitted.
    #[serde(serialize_with = "tlp_name", deserialize_with = "tlp_level")]
    pub max_tlp: Tlp,
    /// Whether versions with no TLP marking are admitted.
    pub include_unmarked: bool,
    /// Only these types (None: all).
    pub types: Option<Vec<String>>,
    /// Only versions with at least one of these labels (None: no condition).
    pub labels_any: Option<Vec<String>>,
    /// Never versions with any of these labels.
    pub labels_none: Vec<String>,
    /// Only versions created by these identities (None: any).
    pub creators: Option<Vec<String>>,
}

fn tlp_name<S: serde::Serializer>(t: &Tlp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

fn tlp_level<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Tlp, D::Error> {
    let s = String::deserialize(d)?;
    Tlp::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a TLP 2.0 level")))
}

impl Filter {
    /// Whether a version with these facts is admitted; if not, why (for this node's operators,
    /// never for the partner).
    pub fn admits(&self, f: &Facts) -> Result<(), &'static str> {
        // TLP marking definitions are public, and partners need them to read the markings on
        // what they receive.
        if f.tlp_definition {
            return Ok(());
        }
        if let Some(types) = &self.types
            && !types.contains(&f.type_name)
        {
            return Err("type not shared");
        }
        match f.tlp {
            None if !self.include_unmarked => return Err("no TLP marking"),
            Some(level) if level > self.max_tlp => return Err("TLP above the agreed level"),
            _ => {}
        }
        if let Some(any) = &self.labels_any
            && !f.labels.iter().any(|l| any.contains(l))
        {
            return Err("no agreed label");
        }
        if f.labels.iter().any(|l| self.labels_none.contains(l)) {
            return Err("excluded label");
        }
        if let Some(creators) = &self.creators
            && !creators.iter().any(|c| Some(c) == f.creator.as_ref())
        {
            return Err("creator not shared");
        }
        Ok(())
    }

    /// A stable text for this filter: equal filters (lists in any order) give equal keys.
    pub fn key(&self) -> String {
        let mut f = self.clone();
        for list in [&mut f.types, &mut f.labels_any, &mut f.creators].into_iter().flatten() {
            list.sort();
            list.dedup();
        }
        f.labels_none.sort();
        f.labels_none.dedup();
        serde_json::to_string(&f).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter() -> Filter {
        Filter {
            max_tlp: Tlp::Amber,
            include_unmarked: false,
            types: Some(vec!["indicator".into()]),
            labels_any: None,
            labels_none: vec!["informant".into()],
            creators: None,
        }
    }

    #[test]
    fn facts_decide() {
        let f = filter();
        let o = |v: Value| Facts::of(v.as_object().unwrap());
        let green = json!({"type": "indicator", "object_marking_refs": [Tlp::Green.marking_id()]});
        assert_eq!(f.admits(&o(green)), Ok(()));
        let red = json!({"type": "indicator", "object_marking_refs": [Tlp::Green.marking_id(), Tlp::Red.marking_id()]});
        assert_eq!(f.admits(&o(red)), Err("TLP above the agreed level"));
        assert_eq!(f.admits(&o(json!({"type": "indicator"}))), Err("no TLP marking"));
        let labelled =
            json!({"type": "indicator", "labels": ["informant"], "object_marking_refs": [Tlp::Clear.marking_id()]});
        assert_eq!(f.admits(&o(labelled)), Err("excluded label"));
        let tlp_def = json!({"type": "marking-definition", "id": Tlp::Red.marking_id()});
        assert_eq!(f.admits(&o(tlp_def)), Ok(()));
    }

    #[test]
    fn keys_ignore_list_order() {
        let mut a = filter();
        a.types = Some(vec!["b".into(), "a".into()]);
        let mut b = filter();
        b.types = Some(vec!["a".into(), "b".into(), "a".into()]);
        assert_eq!(a.key(), b.key());
        b.max_tlp = Tlp::Red;
        assert_ne!(a.key(), b.key());
        let back: Filter = serde_json::from_str(&b.key()).unwrap();
        assert_eq!(back.key(), b.key(), "a key reads back as its filter");
    }
}
