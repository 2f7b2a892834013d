//! A MISP event as STIX 2.1 objects (see the crate's documentation for the mapping).

use pacto_stix::Timestamp;
use pacto_stix::tlp::Tlp;
use serde_json::{Value, json};

use crate::attribute::{Member, Observable, observable, pattern_only};
use crate::{MispError, flag, text};

/// What an event became: its STIX objects (report or grouping last), and what was left out
/// or changed, each naming the attribute or object and why.
#[derive(Debug, Default)]
pub struct Converted {
    pub objects: Vec<Value>,
    pub warnings: Vec<String>,
}

/// The namespace of ids pacto derives (relationships, notes) with UUIDv5.
const NS: uuid::Uuid = uuid::Uuid::from_u128(0x7c1e_5a0b_3f2d_4e8a_9b6c_0d1e_2f3a_4b5c);

pub(crate) fn derived(ty: &str, name: &str) -> String {
    format!("{ty}--{}", uuid::Uuid::new_v5(&NS, name.as_bytes()))
}

/// MISP's epoch seconds (a string or a number) as a STIX timestamp.
fn epoch(v: Option<&Value>) -> Option<Timestamp> {
    let s: i64 = text(v)?.trim().parse().ok()?;
    let us = s.checked_mul(1_000_000)?;
    // STIX timestamps are years 0000–9999
    (0..253_402_300_800_000_000).contains(&us).then(|| Timestamp::from_micros(us))
}

fn valid_uuid(v: Option<&Value>) -> Option<String> {
    let s = v?.as_str()?;
    uuid::Uuid::parse_str(s).ok().map(|u| u.to_string())
}

/// Tags: TLP levels (most restrictive kept) and the other names.
fn tags(owner: &Value) -> (Option<Tlp>, Vec<String>) {
    let mut tlp = None;
    let mut labels = Vec::new();
    for t in owner.get("Tag").and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = t.get("name").and_then(Value::as_str) else { continue };
        if name.to_ascii_lowercase().starts_with("tlp:")
            && let Some(level) = Tlp::parse(name)
        {
            tlp = tlp.max(Some(level));
            continue;
        }
        labels.push(name.to_string());
    }
    (tlp, labels)
}

struct Ctx {
    objects: Vec<Value>,
    refs: Vec<String>,
    warnings: Vec<String>,
    created_by: Option<String>,
    event_ts: Timestamp,
    markings: Vec<Tlp>,
    /// Galaxy tags whose clusters became SDOs (they are not labels too).
    clusters: Vec<String>,
}

impl Ctx {
    fn push(&mut self, v: Value) {
        if let Some(id) = v.get("id").and_then(Value::as_str) {
            self.refs.push(id.to_string());
        }
        self.objects.push(v);
    }

    /// An SDO's common properties.
    fn sdo(&self, ty: &str, id: &str, ts: &Timestamp, labels: Vec<String>, tlp: Option<Tlp>) -> Value {
        let t = ts.format(3);
        let mut v = json!({"type": ty, "spec_version": "2.1", "id": id, "created": t, "modified": t});
        if let Some(c) = &self.created_by {
            v["created_by_ref"] = json!(c);
        }
        if !labels.is_empty() {
            v["labels"] = json!(labels);
        }
        if let Some(level) = tlp {
            v["object_marking_refs"] = json!([level.marking_id()]);
        }
        v
    }

    fn mark(&mut self, tlp: Option<Tlp>) {
        if let Some(t) = tlp
            && !self.markings.contains(&t)
        {
            self.markings.push(t);
        }
    }

    /// observed-data over `obs`, and when `ids` an indicator with its pattern and a `based-on`
    /// relationship: what misp-stix makes of an attribute or an object with an observable.
    #[allow(clippy::too_many_arguments)]
    fn observed(
        &mut self,
        uuid: &str,
        obs: Observable,
        ids_pattern: Option<String>,
        ts: &Timestamp,
        labels: Vec<String>,
        phase: &str,
        comment: Option<String>,
        tlp: Option<Tlp>,
    ) {
        // The MISP uuid goes to the indicator when there is one (what partners and sightings
        // name), else to the observed-data; the other gets a UUIDv5 of it (docs/interop.md).
        let od_id = if ids_pattern.is_some() {
            derived("observed-data", &format!("observed-data/{uuid}"))
        } else {
            format!("observed-data--{uuid}")
        };
        let mut od = self.sdo("observed-data", &od_id, ts, labels.clone(), tlp);
        od["first_observed"] = json!(ts.format(0));
        od["last_observed"] = json!(ts.format(0));
        od["number_observed"] = json!(1);
        od["object_refs"] = json!(obs.objects.iter().filter_map(|o| o.get("id").cloned()).collect::<Vec<_>>());
        self.push(od);
        for o in obs.objects {
            self.push(o);
        }
        if let Some(pattern) = ids_pattern {
            let ind_id = format!("indicator--{uuid}");
            self.indicator(&ind_id, pattern, ts, labels, phase, comment, tlp);
            let rel_id = derived("relationship", &format!("{ind_id} based-on {od_id}"));
            let mut rel = self.sdo("relationship", &rel_id, ts, vec![], tlp);
            rel["relationship_type"] = json!("based-on");
            rel["source_ref"] = json!(ind_id);
            rel["target_ref"] = json!(od_id);
            self.push(rel);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn indicator(
        &mut self,
        id: &str,
        pattern: String,
        ts: &Timestamp,
        labels: Vec<String>,
        phase: &str,
        comment: Option<String>,
        tlp: Option<Tlp>,
    ) {
        let mut ind = self.sdo("indicator", id, ts, labels, tlp);
        ind["pattern"] = json!(pattern);
        ind["pattern_type"] = json!("stix");
        ind["pattern_version"] = json!("2.1");
        ind["valid_from"] = json!(ts.format(0));
        ind["kill_chain_phases"] = json!([{"kill_chain_name": "misp-category", "phase_name": phase}]);
        if let Some(c) = comment.filter(|c| !c.is_empty()) {
            ind["description"] = json!(c);
        }
        self.push(ind);
    }
}

/// One MISP event (the object inside `{"Event": …}`) as STIX 2.1 objects.
pub fn to_stix(event: &Value) -> Result<Converted, MispError> {
    let bad = |why: String| MispError::Event { index: 0, why };
    let uuid = valid_uuid(event.get("uuid")).ok_or_else(|| bad("no valid \"uuid\"".into()))?;
    let event_ts = epoch(event.get("timestamp"))
        .or_else(|| text(event.get("date")).and_then(|d| Timestamp::parse(&format!("{d}T00:00:00Z")).ok()))
        .ok_or_else(|| bad(format!("event {uuid} has no usable \"timestamp\" or \"date\"")))?;
    let mut cx = Ctx {
        objects: Vec::new(),
        refs: Vec::new(),
        warnings: Vec::new(),
        created_by: None,
        event_ts,
        markings: Vec::new(),
        clusters: Vec::new(),
    };
    let mut head = Vec::new();
    if let Some(org) = event.get("Orgc").or_else(|| event.get("Org"))
        && let (Some(ou), Some(name)) = (valid_uuid(org.get("uuid")), text(org.get("name")))
    {
        let id = format!("identity--{ou}");
        let t = event_ts.format(3);
        head.push(json!({"type": "identity", "spec_version": "2.1", "id": id, "created": t, "modified": t,
            "name": name, "identity_class": "organization"}));
        cx.created_by = Some(id);
    }
    galaxies(&mut cx, event);
    for (i, a) in event.get("Attribute").and_then(Value::as_array).into_iter().flatten().enumerate() {
        attribute(&mut cx, a, i);
    }
    for (i, o) in event.get("Object").and_then(Value::as_array).into_iter().flatten().enumerate() {
        object(&mut cx, o, i);
    }
    let (tlp, mut labels) = tags(event);
    labels.retain(|l| !cx.clusters.contains(l));
    cx.mark(tlp);
    labels.splice(0..0, ["Threat-Report".to_string(), "misp:tool=\"MISP-STIX-Converter\"".to_string()]);
    let published = flag(event.get("published"));
    let (ty, id) =
        if published { ("report", format!("report--{uuid}")) } else { ("grouping", format!("grouping--{uuid}")) };
    let mut report = cx.sdo(ty, &id, &event_ts, labels, tlp);
    report["name"] = json!(text(event.get("info")).unwrap_or_else(|| "MISP event".into()));
    if published {
        let at = epoch(event.get("publish_timestamp")).unwrap_or(event_ts);
        report["published"] = json!(at.format(0));
    } else {
        report["context"] = json!("suspicious-activity");
    }
    if cx.refs.is_empty() {
        // A report must reference something: a note saying the event was empty.
        let note_id = derived("note", &format!("empty {uuid}"));
        let mut note = cx.sdo("note", &note_id, &event_ts, vec![], tlp);
        note["content"] = json!("This MISP event has no attributes, objects or galaxies.");
        note["object_refs"] = json!([id]);
        cx.push(note);
    }
    report["object_refs"] = json!(cx.refs);
    let mut objects = head;
    for t in &cx.markings {
        objects.push(t.marking_definition());
    }
    objects.append(&mut cx.objects);
    objects.push(report);
    Ok(Converted { objects, warnings: cx.warnings })
}

fn attribute(cx: &mut Ctx, a: &Value, i: usize) {
    if flag(a.get("deleted")) {
        return;
    }
    let (Some(uuid), Some(ty), Some(value)) = (valid_uuid(a.get("uuid")), text(a.get("type")), text(a.get("value")))
    else {
        cx.warnings.push(format!("attribute {i}: left out: it needs \"uuid\", \"type\" and \"value\""));
        return;
    };
    let category = text(a.get("category")).unwrap_or_else(|| "Other".into());
    let ts = epoch(a.get("timestamp")).unwrap_or(cx.event_ts);
    let (tlp, tag_labels) = tags(a);
    cx.mark(tlp);
    let mut labels = vec![format!("misp:type=\"{ty}\""), format!("misp:category=\"{category}\"")];
    labels.extend(tag_labels.into_iter().filter(|l| !cx.clusters.contains(l)));
    let comment = text(a.get("comment")).filter(|c| !c.is_empty());
    let ids = flag(a.get("to_ids"));
    let ids_label = |mut labels: Vec<String>| {
        // an object with no pattern keeps the flag as a label, so that it comes back
        if ids {
            labels.push("misp:to_ids=\"True\"".into());
        }
        labels
    };
    if ty == "vulnerability" {
        let labels = ids_label(labels);
        let mut v = cx.sdo("vulnerability", &format!("vulnerability--{uuid}"), &ts, labels, tlp);
        v["name"] = json!(value);
        v["external_references"] = json!([{"source_name": "cve", "external_id": value}]);
        if let Some(c) = comment {
            v["description"] = json!(c);
        }
        cx.push(v);
        return;
    }
    if let Some(obs) = observable(&ty, &value, &uuid) {
        let pattern = ids.then(|| obs.pattern.clone());
        cx.observed(&uuid, obs, pattern, &ts, labels, &category, comment, tlp);
    } else if let (true, Some(pattern)) = (ids, pattern_only(&ty, &value)) {
        cx.indicator(&format!("indicator--{uuid}"), pattern, &ts, labels, &category, comment, tlp);
    } else {
        let labels = ids_label(labels);
        let mut x = cx.sdo("x-misp-attribute", &format!("x-misp-attribute--{uuid}"), &ts, labels, tlp);
        x["x_misp_type"] = json!(ty);
        x["x_misp_category"] = json!(category);
        x["x_misp_value"] = json!(value);
        if let Some(c) = comment {
            x["x_misp_comment"] = json!(c);
        }
        cx.push(x);
    }
}

/// The attributes of a MISP object by relation: (relation, type, value, uuid, to_ids).
fn members(o: &Value) -> Vec<Member> {
    let mut out = Vec::new();
    for a in o.get("Attribute").and_then(Value::as_array).into_iter().flatten() {
        if flag(a.get("deleted")) {
            continue;
        }
        if let (Some(rel), Some(ty), Some(value), Some(u)) =
            (text(a.get("object_relation")), text(a.get("type")), text(a.get("value")), valid_uuid(a.get("uuid")))
        {
            out.push((rel, ty, value, u, flag(a.get("to_ids"))));
        }
    }
    out
}

fn object(cx: &mut Ctx, o: &Value, i: usize) {
    if flag(o.get("deleted")) {
        return;
    }
    let (Some(uuid), Some(name)) = (valid_uuid(o.get("uuid")), text(o.get("name"))) else {
        cx.warnings.push(format!("object {i}: left out: it needs \"uuid\" and \"name\""));
        return;
    };
    let meta = text(o.get("meta-category")).unwrap_or_else(|| "misc".into());
    let ts = epoch(o.get("timestamp")).unwrap_or(cx.event_ts);
    let (tlp, tag_labels) = tags(o);
    cx.mark(tlp);
    let mut labels = vec![format!("misp:name=\"{name}\""), format!("misp:meta-category=\"{meta}\"")];
    labels.extend(tag_labels);
    let comment = text(o.get("comment")).filter(|c| !c.is_empty());
    let attrs = members(o);
    match crate::attribute::object_observable(&name, &uuid, &attrs) {
        Some((obs, parts)) => {
            let pattern = (!parts.is_empty()).then(|| format!("[{}]", parts.join(" AND ")));
            cx.observed(&uuid, obs, pattern, &ts, labels, &meta, comment, tlp);
        }
        None => {
            let mut x = cx.sdo("x-misp-object", &format!("x-misp-object--{uuid}"), &ts, labels, tlp);
            x["x_misp_name"] = json!(name);
            x["x_misp_meta_category"] = json!(meta);
            // as misp-stix writes them: type, relation ("(s)" dropped), value, and the
            // category, comment, to_ids, uuid and data that are set
            let list: Vec<Value> = o
                .get("Attribute")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|a| !flag(a.get("deleted")))
                .map(|a| {
                    let mut m = serde_json::Map::new();
                    m.insert("type".into(), json!(text(a.get("type")).unwrap_or_default()));
                    let rel = text(a.get("object_relation")).unwrap_or_default().replace("(s)", "");
                    m.insert("object_relation".into(), json!(rel));
                    m.insert("value".into(), json!(text(a.get("value")).unwrap_or_default()));
                    for k in ["category", "comment", "uuid", "data"] {
                        if let Some(v) = text(a.get(k)).filter(|v| !v.is_empty()) {
                            m.insert(k.into(), json!(v));
                        }
                    }
                    if flag(a.get("to_ids")) {
                        m.insert("to_ids".into(), json!(true));
                    }
                    Value::Object(m)
                })
                .collect();
            x["x_misp_attributes"] = json!(list);
            if let Some(c) = comment {
                x["x_misp_comment"] = json!(c);
            }
            cx.push(x);
        }
    }
}

/// The STIX type of a galaxy's clusters, from the galaxy type as misp-stix reads it.
pub(crate) fn galaxy_sdo(galaxy_type: &str) -> Option<&'static str> {
    let t = galaxy_type.to_ascii_lowercase();
    Some(if t.contains("threat-actor") {
        "threat-actor"
    } else if t.contains("intrusion-set") {
        "intrusion-set"
    } else if t.contains("attack-pattern") {
        "attack-pattern"
    } else if t.contains("course-of-action") {
        "course-of-action"
    } else if t.contains("tool") {
        "tool"
    } else if t.contains("malware") || t.contains("malpedia") || t.contains("ransomware") || t == "rat" || t == "botnet"
    {
        "malware"
    } else if t.contains("campaign") {
        "campaign"
    } else {
        return None;
    })
}

fn galaxies(cx: &mut Ctx, event: &Value) {
    let mut seen: Vec<String> = Vec::new();
    let mut lists: Vec<&Value> = vec![event];
    lists.extend(event.get("Attribute").and_then(Value::as_array).into_iter().flatten());
    for owner in lists {
        for g in owner.get("Galaxy").and_then(Value::as_array).into_iter().flatten() {
            let gtype = text(g.get("type")).unwrap_or_default();
            let gname = text(g.get("name")).unwrap_or_else(|| gtype.clone());
            let Some(sdo) = galaxy_sdo(&gtype) else {
                cx.warnings.push(format!("galaxy {gtype:?}: no STIX type for it; its clusters are left out"));
                continue;
            };
            for c in g.get("GalaxyCluster").and_then(Value::as_array).into_iter().flatten() {
                let (Some(cu), Some(value)) = (valid_uuid(c.get("uuid")), text(c.get("value"))) else { continue };
                let id = format!("{sdo}--{cu}");
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id.clone());
                let mut labels = vec![format!("misp:galaxy-name=\"{gname}\""), format!("misp:galaxy-type=\"{gtype}\"")];
                labels.extend(text(c.get("tag_name")));
                cx.clusters.extend(text(c.get("tag_name")));
                let ts = cx.event_ts;
                let t = ts.format(3);
                let mut v = json!({"type": sdo, "spec_version": "2.1", "id": id, "created": t, "modified": t, "labels": labels});
                let name = match (sdo, value.rsplit_once(" - ")) {
                    ("attack-pattern", Some((n, _))) => n.to_string(),
                    _ => value.clone(),
                };
                v["name"] = json!(name);
                if let Some(d) = text(c.get("description")).filter(|d| !d.is_empty()) {
                    v["description"] = json!(d);
                }
                if sdo == "malware" {
                    v["is_family"] = json!(false);
                }
                cx.push(v);
            }
        }
    }
}
