//! A match as a STIX 2.1 sighting.

use serde_json::{Value, json};

use crate::Match;

/// The namespace of pacto's sighting ids (a fixed random UUID).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5d0c_2a4e_8f1b_4c3a_9e6d_7b2f_1a0c_93e1);

/// The identity object of the organisation that sights (`pacto detect setup --sighted-by`): its
/// id depends only on the name, so every node that names itself the same way agrees on it.
pub fn identity(name: &str, created: &str) -> Value {
    let id = uuid::Uuid::new_v5(&NAMESPACE, format!("identity|{name}").as_bytes());
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": format!("identity--{id}"),
        "created": created,
        "modified": created,
        "name": name,
        "identity_class": "organization",
    })
}

/// The sighting for a match. Its id depends only on the indicator and the observations, so
/// matching the same data twice yields the same object id. `created` is the matching time;
/// `by`, an identity id, is both who made the sighting and where it was sighted.
pub fn sighting(m: &Match, created: &str, by: Option<&str>) -> Value {
    let mut observed = m.observed.clone();
    observed.sort();
    observed.dedup();
    let name = format!("{}|{}", m.indicator, observed.join(","));
    let id = uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes());
    let mut s = json!({
        "type": "sighting",
        "spec_version": "2.1",
        "id": format!("sighting--{id}"),
        "created": created,
        "modified": created,
        "sighting_of_ref": m.indicator,
        "observed_data_refs": observed,
        "first_seen": m.first_seen,
        "last_seen": m.last_seen,
        "count": m.count,
        "description": "Matched by pacto: the observations satisfy the indicator's pattern.",
    });
    if let Some(by) = by {
        s["created_by_ref"] = json!(by);
        s["where_sighted_refs"] = json!([by]);
    }
    s
}
