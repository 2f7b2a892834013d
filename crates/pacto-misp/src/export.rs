//! STIX 2.1 objects back to MISP events: each report or grouping an event of what it
//! references; what no report references, one more event. An object that came from MISP
//! (labels `misp:type=…`, `misp:name=…`, ids from MISP uuids) goes back as it was; plain STIX
//! is read by its SCOs or its pattern's comparisons.

use std::collections::{BTreeMap, HashMap, HashSet};

use pacto_stix::Timestamp;
use pacto_stix::tlp::Tlp;
use serde_json::{Value, json};

use crate::attribute::hash_name;
use crate::import::{derived, galaxy_sdo};

/// Events as MISP's REST API takes them (`{"Event": {…}}`), and what could not be carried
/// over, each naming the object and why.
pub fn to_misp(objects: &[Value]) -> (Vec<Value>, Vec<String>) {
    let by_id: HashMap<&str, &Value> = objects.iter().filter_map(|o| Some((o.get("id")?.as_str()?, o))).collect();
    let mut warnings = Vec::new();
    let mut events = Vec::new();
    let mut used: HashSet<&str> = HashSet::new();
    for o in objects {
        let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
        if ty != "report" && ty != "grouping" {
            continue;
        }
        let refs: Vec<&str> = o
            .get("object_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|id| by_id.contains_key(id))
            .collect();
        used.extend(refs.iter().copied());
        let members: Vec<&Value> = refs.iter().filter_map(|id| by_id.get(id).copied()).collect();
        events.push(event(Some(o), &members, &by_id, &mut warnings));
    }
    let rest: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
            let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
            !used.contains(id)
                && !matches!(ty, "report" | "grouping" | "identity" | "marking-definition" | "relationship")
        })
        .collect();
    let loose = rest.iter().any(|o| top_level(o));
    if loose {
        events.push(event(None, &rest, &by_id, &mut warnings));
    }
    (events, warnings)
}

/// Whether an object stands for an attribute, object or galaxy of its own (not an SCO that an
/// observed-data brings along).
fn top_level(o: &Value) -> bool {
    let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
    matches!(ty, "indicator" | "observed-data" | "vulnerability" | "x-misp-attribute" | "x-misp-object")
        || galaxy_sdo(ty).is_some()
}

fn label(o: &Value, key: &str) -> Option<String> {
    let prefix = format!("{key}=\"");
    o.get("labels")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find_map(|l| l.strip_prefix(prefix.as_str()).and_then(|r| r.strip_suffix('"')).map(str::to_string))
}

fn uuid_of(id: &str) -> String {
    id.split_once("--").map(|(_, u)| u).filter(|u| uuid::Uuid::parse_str(u).is_ok()).map_or_else(
        || derived("x", id).split_once("--").map(|(_, u)| u.to_string()).unwrap_or_default(),
        str::to_string,
    )
}

fn epoch_of(o: &Value, key: &str) -> Option<String> {
    let t = Timestamp::parse(o.get(key)?.as_str()?).ok()?;
    Some((t.as_micros().div_euclid(1_000_000)).to_string())
}

fn tlp_tags(o: &Value) -> Vec<Value> {
    let refs = o.get("object_marking_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    Tlp::of_refs(refs).map(|t| json!({"name": format!("tlp:{}", t.as_str())})).into_iter().collect()
}

fn default_category(ty: &str) -> &'static str {
    match ty {
        "md5" | "sha1" | "sha256" | "sha512" | "filename" | "email-src" | "email-dst" | "email-subject" => {
            "Payload delivery"
        }
        t if t.starts_with("filename|") => "Payload delivery",
        "mutex" => "Artifacts dropped",
        "regkey" => "Persistence mechanism",
        "vulnerability" => "External analysis",
        "comment" | "text" => "Other",
        _ => "Network activity",
    }
}

fn event(
    report: Option<&Value>,
    members: &[&Value],
    by_id: &HashMap<&str, &Value>,
    warnings: &mut Vec<String>,
) -> Value {
    let ids: HashSet<&str> = members.iter().filter_map(|o| o.get("id")?.as_str()).collect();
    // indicator id → the observed-data it is based on
    let based_on: HashMap<&str, &str> = by_id
        .values()
        .filter(|r| s(r, "type") == Some("relationship") && s(r, "relationship_type") == Some("based-on"))
        .filter_map(|r| {
            let (src, dst) = (s(r, "source_ref")?, s(r, "target_ref")?);
            (src.starts_with("indicator--") && dst.starts_with("observed-data--")).then_some((src, dst))
        })
        .collect();
    let indicated: HashSet<&str> = based_on.iter().filter(|(i, _)| ids.contains(*i)).map(|(_, od)| *od).collect();
    let mut attributes = Vec::new();
    let mut objects = Vec::new();
    let mut galaxies: BTreeMap<String, Value> = BTreeMap::new();
    let mut tags: Vec<Value> = Vec::new();
    for o in members {
        let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
        let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
        let uuid = uuid_of(id);
        let ts = epoch_of(o, "modified").unwrap_or_else(|| "0".into());
        let mut push_attr = |ty: String, value: String, to_ids: bool, o: &Value| {
            let category = label(o, "misp:category").unwrap_or_else(|| default_category(&ty).to_string());
            let mut a = json!({"uuid": uuid, "type": ty, "category": category, "value": value, "to_ids": to_ids,
                "timestamp": ts, "comment": o.get("description").and_then(Value::as_str).unwrap_or_default()});
            let t = tlp_tags(o);
            if !t.is_empty() {
                a["Tag"] = json!(t);
            }
            attributes.push(a);
        };
        match ty {
            "observed-data" | "indicator" => {
                // An indicator based on an observed-data (as pacto and misp-stix make them) is
                // one attribute or object, with to_ids: its observed-data's SCOs say it best.
                let od = if ty == "indicator" {
                    based_on.get(id).and_then(|od| by_id.get(od)).copied()
                } else if indicated.contains(id) {
                    continue;
                } else {
                    Some(*o)
                };
                let to_ids = ty == "indicator";
                let scos: Vec<&Value> = od
                    .and_then(|od| od.get("object_refs"))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|r| by_id.get(r.as_str()?).copied())
                    .collect();
                if let (Some(name), Some(_)) = (label(o, "misp:name"), od) {
                    match misp_object(&name, &uuid, &scos, to_ids) {
                        Some(mut obj) => {
                            obj["meta-category"] =
                                json!(label(o, "misp:meta-category").unwrap_or_else(|| "misc".into()));
                            obj["timestamp"] = json!(ts);
                            objects.push(obj);
                        }
                        None => warnings.push(format!("{id}: MISP object {name:?} could not be rebuilt from its SCOs")),
                    }
                    continue;
                }
                let hint = label(o, "misp:type");
                let pattern = o.get("pattern").and_then(Value::as_str).unwrap_or_default();
                match attribute_of(&scos, hint.as_deref()).or_else(|| from_pattern(pattern, hint.as_deref())) {
                    Some((t, v)) => push_attr(t, v, to_ids, o),
                    None if to_ids => warnings.push(format!("{id}: pattern {pattern:?} is not one MISP attribute")),
                    None => warnings.push(format!("{id}: its SCOs are no MISP attribute type pacto knows")),
                }
            }
            "vulnerability" => {
                let name = o.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
                let to_ids = label(o, "misp:to_ids").is_some_and(|v| v == "True");
                push_attr("vulnerability".into(), name, to_ids, o);
            }
            "x-misp-attribute" => {
                let t = o.get("x_misp_type").and_then(Value::as_str).unwrap_or("text").to_string();
                let v = crate::text(o.get("x_misp_value")).unwrap_or_default();
                let to_ids = label(o, "misp:to_ids").is_some_and(|v| v == "True");
                push_attr(t, v, to_ids, o);
            }
            "x-misp-object" => {
                let attrs = o.get("x_misp_attributes").cloned().unwrap_or_else(|| json!([]));
                objects.push(json!({"uuid": uuid, "name": o.get("x_misp_name").cloned().unwrap_or(json!("misc")),
                    "meta-category": o.get("x_misp_meta_category").cloned().unwrap_or(json!("misc")),
                    "timestamp": ts, "Attribute": attrs}));
            }
            t if galaxy_sdo(t).is_some() => {
                let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
                let gtype = label(o, "misp:galaxy-type").unwrap_or_else(|| t.to_string());
                let tag = o
                    .get("labels")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .find(|l| l.starts_with("misp-galaxy:"))
                    .map_or_else(|| format!("misp-galaxy:{gtype}=\"{name}\""), str::to_string);
                let g = galaxies.entry(gtype.clone()).or_insert_with(|| {
                    json!({"type": gtype, "name": label(o, "misp:galaxy-name").unwrap_or_else(|| t.to_string()),
                        "GalaxyCluster": []})
                });
                if let Some(list) = g["GalaxyCluster"].as_array_mut() {
                    list.push(json!({"uuid": uuid, "type": gtype, "value": name, "tag_name": tag,
                        "description": o.get("description").cloned().unwrap_or(json!(""))}));
                }
                tags.push(json!({"name": tag}));
            }
            _ => {}
        }
    }
    let (uuid, info, ts, published, publish_ts, org) = match report {
        Some(r) => {
            let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
            for l in r.get("labels").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                if l != "Threat-Report" && !l.starts_with("misp:tool=") {
                    tags.push(json!({"name": l}));
                }
            }
            tags.extend(tlp_tags(r));
            let org = r.get("created_by_ref").and_then(Value::as_str).and_then(|c| by_id.get(c)).map(|i| {
                json!({"uuid": uuid_of(i.get("id").and_then(Value::as_str).unwrap_or_default()),
                    "name": i.get("name").cloned().unwrap_or(json!(""))})
            });
            (
                uuid_of(id),
                r.get("name").and_then(Value::as_str).unwrap_or("STIX report").to_string(),
                epoch_of(r, "modified"),
                r.get("type").and_then(Value::as_str) == Some("report"),
                epoch_of(r, "published"),
                org,
            )
        }
        None => {
            let key: Vec<&str> = ids.iter().copied().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let uuid = uuid_of(&derived("event", &key.join(",")));
            (uuid, "Objects exported from pacto".to_string(), None, false, None, None)
        }
    };
    let ts = ts.unwrap_or_else(|| "0".into());
    let date = ts
        .parse::<i64>()
        .ok()
        .and_then(|secs| secs.checked_mul(1_000_000))
        .filter(|us| (0..253_402_300_800_000_000).contains(us))
        .map(|us| Timestamp::from_micros(us).format(0)[..10].to_string())
        .unwrap_or_default();
    let mut e = json!({"uuid": uuid, "info": info, "date": date, "timestamp": ts, "published": published,
        "threat_level_id": "4", "analysis": "2", "distribution": "0",
        "Attribute": attributes, "Object": objects, "Tag": tags,
        "Galaxy": galaxies.into_values().collect::<Vec<_>>()});
    if let Some(p) = publish_ts {
        e["publish_timestamp"] = json!(p);
    }
    if let Some(o) = org {
        e["Orgc"] = o;
    }
    json!({"Event": e})
}

fn s<'a>(o: &'a Value, k: &str) -> Option<&'a str> {
    o.get(k)?.as_str()
}

fn ref_value(scos: &[&Value], id: Option<&str>) -> Option<String> {
    let id = id?;
    scos.iter().find(|o| s(o, "id") == Some(id)).and_then(|o| s(o, "value")).map(str::to_string)
}

fn misp_hash(stix_name: &str) -> Option<&'static str> {
    [
        "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3-224", "sha3-256", "sha3-384", "sha3-512",
        "ssdeep", "tlsh",
    ]
    .into_iter()
    .find(|t| hash_name(t).is_some_and(|(n, _)| n.eq_ignore_ascii_case(stix_name)))
}

/// The MISP attribute (type, value) an observed-data's SCOs stand for.
fn attribute_of(scos: &[&Value], hint: Option<&str>) -> Option<(String, String)> {
    let first = scos.first()?;
    let ty = s(first, "type")?;
    let (t, v) = match ty {
        "network-traffic" => {
            let (side, addr) = if first.get("src_ref").is_some() { ("src", "src_ref") } else { ("dst", "dst_ref") };
            let ip = ref_value(scos, s(first, addr))?;
            match first.get(format!("{side}_port")).and_then(Value::as_u64) {
                Some(p) => (format!("ip-{side}|port"), format!("{ip}|{p}")),
                None => (format!("ip-{side}"), ip),
            }
        }
        "domain-name" => {
            let d = s(first, "value")?.to_string();
            let ip =
                first.get("resolves_to_refs").and_then(Value::as_array).and_then(|r| r.first()).and_then(Value::as_str);
            match ref_value(scos, ip) {
                Some(ip) => ("domain|ip".into(), format!("{d}|{ip}")),
                None => (hint.filter(|h| *h == "hostname").unwrap_or("domain").to_string(), d),
            }
        }
        "url" => {
            (hint.filter(|h| matches!(*h, "uri" | "link")).unwrap_or("url").to_string(), s(first, "value")?.into())
        }
        "file" => {
            let name = s(first, "name");
            let hashes: Vec<(&str, &str)> = first
                .get("hashes")
                .and_then(Value::as_object)
                .map(|h| h.iter().filter_map(|(k, v)| Some((misp_hash(k)?, v.as_str()?))).collect())
                .unwrap_or_default();
            match (name, hashes.as_slice()) {
                (Some(n), [(h, v)]) => (format!("filename|{h}"), format!("{n}|{v}")),
                (None, [(h, v)]) => (h.to_string(), v.to_string()),
                (Some(n), []) => ("filename".into(), n.to_string()),
                _ => return None,
            }
        }
        "email-message" => {
            if let Some(f) = ref_value(scos, s(first, "from_ref")) {
                ("email-src".into(), f)
            } else if let Some(t) = first.get("to_refs").and_then(Value::as_array).and_then(|r| r.first()) {
                ("email-dst".into(), ref_value(scos, t.as_str())?)
            } else {
                ("email-subject".into(), s(first, "subject")?.to_string())
            }
        }
        "mutex" => ("mutex".into(), s(first, "name")?.into()),
        "windows-registry-key" => ("regkey".into(), s(first, "key")?.into()),
        "mac-addr" => ("mac-address".into(), s(first, "value")?.into()),
        "autonomous-system" => ("AS".into(), format!("AS{}", first.get("number")?.as_u64()?)),
        "ipv4-addr" | "ipv6-addr" => ("ip-dst".into(), s(first, "value")?.into()),
        "email-addr" => ("email".into(), s(first, "value")?.into()),
        _ => return None,
    };
    Some((t, v))
}

/// A MISP object rebuilt from the SCOs misp-stix made of it.
fn misp_object(name: &str, uuid: &str, scos: &[&Value], to_ids: bool) -> Option<Value> {
    let mut attrs = Vec::new();
    let mut add = |rel: &str, ty: &str, value: String, id: Option<&str>| {
        let u = id.map(uuid_of).unwrap_or_else(|| uuid_of(&derived("x", &format!("{uuid}/{rel}/{value}"))));
        attrs.push(json!({"uuid": u, "object_relation": rel, "type": ty, "value": value, "to_ids": to_ids,
            "category": default_category(ty)}));
    };
    for o in scos {
        let id = s(o, "id");
        match s(o, "type")? {
            "file" => {
                if let Some(n) = s(o, "name") {
                    add("filename", "filename", n.into(), None);
                }
                for (k, v) in o.get("hashes").and_then(Value::as_object).into_iter().flatten() {
                    if let (Some(h), Some(v)) = (misp_hash(k), v.as_str()) {
                        add(h, h, v.into(), None);
                    }
                }
                if let Some(n) = o.get("size").and_then(Value::as_u64) {
                    add("size-in-bytes", "size-in-bytes", n.to_string(), None);
                }
            }
            "domain-name" => add("domain", "domain", s(o, "value")?.into(), id),
            "ipv4-addr" | "ipv6-addr" => add("ip", "ip-dst", s(o, "value")?.into(), id),
            "network-traffic" => {
                if let Some(p) = o.get("dst_port").and_then(Value::as_u64) {
                    add("dst-port", "port", p.to_string(), None);
                }
                if let Some(p) = o.get("src_port").and_then(Value::as_u64) {
                    add("src-port", "port", p.to_string(), None);
                }
            }
            "url" => add("url", "url", s(o, "value")?.into(), id),
            "email-message" => {
                if let Some(subj) = s(o, "subject") {
                    add("subject", "email-subject", subj.into(), None);
                }
            }
            "email-addr" => {
                let from = scos.iter().any(|m| s(m, "from_ref") == id);
                add(
                    if from { "from" } else { "to" },
                    if from { "email-src" } else { "email-dst" },
                    s(o, "value")?.into(),
                    id,
                );
            }
            _ => {}
        }
    }
    (!attrs.is_empty()).then(|| json!({"uuid": uuid, "name": name, "Attribute": attrs}))
}

/// The comparisons of a pattern `[a = 'x' AND b = 'y']`, or None for anything else.
fn comparisons(pattern: &str) -> Option<Vec<(String, String)>> {
    let inner = pattern.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut out = Vec::new();
    let mut rest = inner;
    loop {
        let (path, after) = rest.split_once(" = '")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '\\' => value.push(chars.next()?.1),
                '\'' => break i,
                c => value.push(c),
            }
        };
        out.push((path.trim().to_string(), value));
        rest = after[end + 1..].trim_start();
        if rest.is_empty() {
            return Some(out);
        }
        rest = rest.strip_prefix("AND ")?;
    }
}

/// The MISP attribute (type, value) a pattern of one object's comparisons stands for.
fn from_pattern(pattern: &str, hint: Option<&str>) -> Option<(String, String)> {
    let parts = comparisons(pattern)?;
    let get = |p: &str| parts.iter().find(|(k, _)| k == p).map(|(_, v)| v.clone());
    let hash = parts.iter().find_map(|(k, v)| {
        let name = k.strip_prefix("file:hashes.")?.trim_matches('\'');
        Some((misp_hash(name)?, v.clone()))
    });
    let (t, v) = if let Some(ip) = get("network-traffic:dst_ref.value") {
        match get("network-traffic:dst_port") {
            Some(p) => ("ip-dst|port".into(), format!("{ip}|{p}")),
            None => ("ip-dst".into(), ip),
        }
    } else if let Some(ip) = get("network-traffic:src_ref.value") {
        match get("network-traffic:src_port") {
            Some(p) => ("ip-src|port".into(), format!("{ip}|{p}")),
            None => ("ip-src".into(), ip),
        }
    } else if let Some(d) = get("domain-name:value") {
        match get("domain-name:resolves_to_refs[*].value") {
            Some(ip) => ("domain|ip".into(), format!("{d}|{ip}")),
            None => (hint.filter(|h| *h == "hostname").unwrap_or("domain").to_string(), d),
        }
    } else if let Some((h, v)) = hash {
        match get("file:name") {
            Some(n) => (format!("filename|{h}"), format!("{n}|{v}")),
            None => (h.to_string(), v),
        }
    } else if let Some(n) = get("file:name") {
        ("filename".into(), n)
    } else if let Some(u) = get("url:value") {
        (hint.filter(|h| matches!(*h, "uri" | "link")).unwrap_or("url").to_string(), u)
    } else if let Some(v) = get("email-message:from_ref.value") {
        ("email-src".into(), v)
    } else if let Some(v) = get("email-message:to_refs[*].value") {
        ("email-dst".into(), v)
    } else if let Some(v) = get("email-message:subject") {
        ("email-subject".into(), v)
    } else if let Some(v) = get("mutex:name") {
        ("mutex".into(), v)
    } else if let Some(v) = get("windows-registry-key:key") {
        ("regkey".into(), v)
    } else if let Some(v) = get("mac-addr:value") {
        ("mac-address".into(), v)
    } else if let Some(v) = get("autonomous-system:number") {
        ("AS".into(), format!("AS{v}"))
    } else if let Some(v) = get("ipv4-addr:value").or_else(|| get("ipv6-addr:value")) {
        ("ip-dst".into(), v)
    } else if let Some(v) = get("email-addr:value") {
        ("email".into(), v)
    } else if let Some(v) = get("network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'") {
        ("user-agent".into(), v)
    } else {
        return None;
    };
    Some((t, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_back_to_attributes() {
        assert_eq!(
            from_pattern("[file:name = 'a.exe' AND file:hashes.MD5 = 'ab']", None),
            Some(("filename|md5".into(), "a.exe|ab".into()))
        );
        assert_eq!(
            from_pattern("[mutex:name = 'Global\\\\m\\'x']", None),
            Some(("mutex".into(), "Global\\m'x".into()))
        );
        assert_eq!(from_pattern("[domain-name:value = 'x.example']", Some("hostname")).unwrap().0, "hostname");
        assert_eq!(from_pattern("[a:b = 'x'] OR [c:d = 'y']", None), None);
        assert_eq!(from_pattern("[file:size > 3]", None), None);
    }
}
