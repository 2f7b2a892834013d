//! Observations: what a pattern is matched against. One observed-data object is one observation
//! (seen `number_observed` times between `first_observed` and `last_observed`) and carries its
//! cyber-observable objects, either by `object_refs` (STIX 2.1) or embedded in `objects` (2.0).

use serde_json::Value;

use crate::time::{self, Instant};

/// One observed-data object, ready for matching.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    pub first: Instant,
    pub last: Instant,
    /// `number_observed`: how many times the objects were seen; each time can satisfy a different
    /// part of a pattern.
    pub count: u32,
    /// The cyber-observable objects.
    pub objects: Vec<ObsObject<'a>>,
}

/// One cyber-observable object of an observation.
#[derive(Debug, Clone, Copy)]
pub struct ObsObject<'a> {
    /// The key references use: its id (2.1) or its key in the `objects` dictionary (2.0).
    pub key: &'a str,
    pub type_name: &'a str,
    pub value: &'a Value,
}

/// Why an observed-data object cannot be matched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObservationError {
    #[error("not an observed-data object")]
    NotObservedData,
    #[error("{0} is missing or not a STIX timestamp")]
    Time(&'static str),
    #[error("first_observed is after last_observed")]
    Order,
    #[error("number_observed must be an integer of at least 1")]
    Count,
    #[error("has neither object_refs nor objects")]
    NoObjects,
}

/// Object types that are STIX domain, relationship or meta objects: `object_refs` may name them,
/// but they are not cyber observables and patterns never match them.
const NOT_OBSERVABLE: &[&str] = &[
    "attack-pattern",
    "bundle",
    "campaign",
    "course-of-action",
    "extension-definition",
    "grouping",
    "identity",
    "incident",
    "indicator",
    "infrastructure",
    "intrusion-set",
    "language-content",
    "location",
    "malware",
    "malware-analysis",
    "marking-definition",
    "note",
    "observed-data",
    "opinion",
    "relationship",
    "report",
    "threat-actor",
    "tool",
    "sighting",
    "vulnerability",
];

impl<'a> Observation<'a> {
    /// Build from an observed-data object. `resolve` finds the objects its `object_refs` name
    /// (in the same bundle, batch or store); references that do not resolve are left out, as the
    /// objects were never received.
    pub fn from_observed_data(
        od: &'a Value,
        resolve: impl Fn(&str) -> Option<&'a Value>,
    ) -> Result<Self, ObservationError> {
        let m = od.as_object().ok_or(ObservationError::NotObservedData)?;
        if m.get("type").and_then(Value::as_str) != Some("observed-data") {
            return Err(ObservationError::NotObservedData);
        }
        let ts =
            |k: &'static str| m.get(k).and_then(Value::as_str).and_then(time::parse).ok_or(ObservationError::Time(k));
        let (first, last) = (ts("first_observed")?, ts("last_observed")?);
        if first > last {
            return Err(ObservationError::Order);
        }
        let count = m
            .get("number_observed")
            .and_then(Value::as_u64)
            .filter(|&n| n >= 1)
            .ok_or(ObservationError::Count)?
            .min(u64::from(u32::MAX)) as u32;
        let mut objects = Vec::new();
        let mut take = |key: &'a str, value: &'a Value| {
            if let Some(t) = value.get("type").and_then(Value::as_str)
                && !NOT_OBSERVABLE.contains(&t)
            {
                objects.push(ObsObject { key, type_name: t, value });
            }
        };
        if let Some(embedded) = m.get("objects").and_then(Value::as_object) {
            embedded.iter().for_each(|(k, v)| take(k, v));
        } else if let Some(refs) = m.get("object_refs").and_then(Value::as_array) {
            for r in refs.iter().filter_map(Value::as_str) {
                if let Some(o) = resolve(r) {
                    take(r, o);
                }
            }
        } else {
            return Err(ObservationError::NoObjects);
        }
        Ok(Observation { first, last, count, objects })
    }

    /// The object a reference names, within this observation only.
    pub fn deref(&self, key: &str) -> Option<&'a Value> {
        self.objects.iter().find(|o| o.key == key).map(|o| o.value)
    }

    /// Objects of one type.
    pub fn of_type<'s>(&'s self, t: &'s str) -> impl Iterator<Item = &'a Value> + 's {
        self.objects.iter().filter(move |o| o.type_name == t).map(|o| o.value)
    }
}
