//! One MISP attribute type and value as STIX Cyber-observable Objects and the pattern that
//! matches them, as misp-stix writes them (`misp_to_stix21.py`, `_parse_*_attribute_observable`
//! and `_parse_*_attribute_pattern`). SCO ids are `<type>--<attribute uuid>`.

use serde_json::{Value, json};

/// The SCOs of an attribute (the first is the one the others hang from) and its pattern.
pub(crate) struct Observable {
    pub objects: Vec<Value>,
    pub pattern: String,
}

/// A STIX pattern string literal: backslashes and quotes escaped.
pub(crate) fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The id of the `ty` SCO made from the MISP attribute `uuid`: UUIDv5 of both. (misp-stix
/// reuses the attribute's uuid for every object it makes of it; a STIX id's UUID must not
/// identify objects of two types, which pacto's validator holds to: docs/interop.md.)
pub(crate) fn sco_id(ty: &str, uuid: &str) -> String {
    let id = crate::import::derived(ty, &format!("{ty}/{uuid}"));
    if ty != "email-message" {
        return id;
    }
    // An email-message may have no ID-contributing property (only to_refs), and then STIX
    // wants a version 4 UUID: the same derived bits, marked version 4 (still reproducible).
    let u = uuid::Uuid::parse_str(&id[ty.len() + 2..]).unwrap_or_default();
    let mut b = *u.as_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    format!("{ty}--{}", uuid::Uuid::from_bytes(b))
}

fn sco(ty: &str, uuid: &str, props: Value) -> Value {
    let mut v = json!({"type": ty, "spec_version": "2.1", "id": sco_id(ty, uuid)});
    if let (Some(m), Value::Object(p)) = (v.as_object_mut(), props) {
        m.extend(p);
    }
    v
}

/// The STIX hash name of a MISP hash type, and how a pattern names it.
pub(crate) fn hash_name(ty: &str) -> Option<(&'static str, &'static str)> {
    Some(match ty {
        "md5" => ("MD5", "MD5"),
        "sha1" => ("SHA-1", "'SHA-1'"),
        "sha224" => ("SHA-224", "'SHA-224'"),
        "sha256" => ("SHA-256", "'SHA-256'"),
        "sha384" => ("SHA-384", "'SHA-384'"),
        "sha512" => ("SHA-512", "'SHA-512'"),
        "sha3-224" => ("SHA3-224", "'SHA3-224'"),
        "sha3-256" => ("SHA3-256", "'SHA3-256'"),
        "sha3-384" => ("SHA3-384", "'SHA3-384'"),
        "sha3-512" => ("SHA3-512", "'SHA3-512'"),
        "ssdeep" => ("SSDEEP", "SSDEEP"),
        "tlsh" => ("TLSH", "TLSH"),
        "imphash" => ("IMPHASH", "IMPHASH"),
        "pehash" => ("PEHASH", "PEHASH"),
        "authentihash" => ("AUTHENTIHASH", "AUTHENTIHASH"),
        "vhash" => ("VHASH", "VHASH"),
        _ => return None,
    })
}

fn ip_type(value: &str) -> &'static str {
    if value.contains(':') { "ipv6-addr" } else { "ipv4-addr" }
}

/// `ip-src`/`ip-dst` (optionally with a port): network traffic from or to an address.
fn traffic(side: &str, ip: &str, port: Option<&str>, uuid: &str) -> Option<Observable> {
    let ity = ip_type(ip);
    let addr_id = sco_id(ity, uuid);
    let mut nt = sco("network-traffic", uuid, json!({format!("{side}_ref"): addr_id}));
    let mut pattern =
        format!("[network-traffic:{side}_ref.type = '{ity}' AND network-traffic:{side}_ref.value = {}", lit(ip));
    if let Some(p) = port {
        let n: u64 = p.trim().parse().ok().filter(|n| *n <= 65535)?;
        nt[format!("{side}_port")] = json!(n);
        pattern.push_str(&format!(" AND network-traffic:{side}_port = '{n}'"));
    }
    nt["protocols"] = json!(["tcp"]);
    pattern.push(']');
    Some(Observable { objects: vec![nt, sco(ity, uuid, json!({"value": ip}))], pattern })
}

/// The observable of a MISP attribute, or None when the type has none in STIX (or the value
/// does not fit it: a port that is no port, an AS that is no number).
pub(crate) fn observable(ty: &str, value: &str, uuid: &str) -> Option<Observable> {
    let single = |sty: &str, prop: &str| Observable {
        objects: vec![sco(sty, uuid, json!({prop: value}))],
        pattern: format!("[{sty}:{prop} = {}]", lit(value)),
    };
    if let Some((name, key)) = hash_name(ty) {
        return Some(Observable {
            objects: vec![sco("file", uuid, json!({"hashes": {name: value}}))],
            pattern: format!("[file:hashes.{key} = {}]", lit(value)),
        });
    }
    if let Some(h) = ty.strip_prefix("filename|") {
        let (name, key) = hash_name(h)?;
        let (file, hash) = value.split_once('|')?;
        return Some(Observable {
            objects: vec![sco("file", uuid, json!({"hashes": {name: hash}, "name": file}))],
            pattern: format!("[file:name = {} AND file:hashes.{key} = {}]", lit(file), lit(hash)),
        });
    }
    Some(match ty {
        "ip-src" => traffic("src", value, None, uuid)?,
        "ip-dst" => traffic("dst", value, None, uuid)?,
        "ip-src|port" | "ip-dst|port" => {
            let (ip, port) = value.rsplit_once('|')?;
            traffic(if ty == "ip-src|port" { "src" } else { "dst" }, ip, Some(port), uuid)?
        }
        "domain" | "hostname" => single("domain-name", "value"),
        "url" | "uri" | "link" => single("url", "value"),
        "mutex" => single("mutex", "name"),
        "regkey" => {
            let key = full_hive(value);
            if !key.starts_with("HKEY_") {
                return None; // STIX wants the hive; without one it stays an x-misp-attribute
            }
            Observable {
                objects: vec![sco("windows-registry-key", uuid, json!({"key": key}))],
                pattern: format!("[windows-registry-key:key = {}]", lit(&key)),
            }
        }
        "mac-address" => single("mac-addr", "value"),
        "filename" => single("file", "name"),
        "email" => single("email-addr", "value"),
        "domain|ip" => {
            let (domain, ip) = value.split_once('|')?;
            let ity = ip_type(ip);
            Observable {
                objects: vec![
                    sco("domain-name", uuid, json!({"value": domain, "resolves_to_refs": [sco_id(ity, uuid)]})),
                    sco(ity, uuid, json!({"value": ip})),
                ],
                pattern: format!(
                    "[domain-name:value = {} AND domain-name:resolves_to_refs[*].value = {}]",
                    lit(domain),
                    lit(ip)
                ),
            }
        }
        "email-src" | "email-dst" => {
            let addr = sco_id("email-addr", uuid);
            let (msg, path) = if ty == "email-src" {
                (json!({"is_multipart": false, "from_ref": addr}), "from_ref")
            } else {
                (json!({"is_multipart": false, "to_refs": [addr]}), "to_refs[*]")
            };
            Observable {
                objects: vec![sco("email-message", uuid, msg), sco("email-addr", uuid, json!({"value": value}))],
                pattern: format!("[email-message:{path}.value = {}]", lit(value)),
            }
        }
        "email-subject" => Observable {
            objects: vec![sco("email-message", uuid, json!({"is_multipart": false, "subject": value}))],
            pattern: format!("[email-message:subject = {}]", lit(value)),
        },
        "AS" => {
            let n: u64 = value.trim().trim_start_matches("AS").trim_start_matches("as").parse().ok()?;
            Observable {
                objects: vec![sco("autonomous-system", uuid, json!({"number": n}))],
                pattern: format!("[autonomous-system:number = '{n}']"),
            }
        }
        _ => return None,
    })
}

/// A registry key with its hive spelled out, as STIX requires (`HKLM\\…` is
/// `HKEY_LOCAL_MACHINE\\…`); misp-stix keeps MISP's abbreviation.
pub(crate) fn full_hive(key: &str) -> String {
    const HIVES: [(&str, &str); 5] = [
        ("HKLM", "HKEY_LOCAL_MACHINE"),
        ("HKCU", "HKEY_CURRENT_USER"),
        ("HKCR", "HKEY_CLASSES_ROOT"),
        ("HKU", "HKEY_USERS"),
        ("HKCC", "HKEY_CURRENT_CONFIG"),
    ];
    for (short, long) in HIVES {
        if let Some(rest) = key.strip_prefix(short)
            && (rest.is_empty() || rest.starts_with('\\'))
        {
            return format!("{long}{rest}");
        }
    }
    key.to_string()
}

/// A pattern for types misp-stix writes as an indicator only (no observable of their own).
pub(crate) fn pattern_only(ty: &str, value: &str) -> Option<String> {
    match ty {
        "user-agent" => Some(format!(
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = {}]",
            lit(value)
        )),
        _ => None,
    }
}

/// The order misp-stix writes a file's hashes in (`hash_attribute_types`).
const HASH_ORDER: [&str; 17] = [
    "md5",
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "ssdeep",
    "authentihash",
    "imphash",
    "pehash",
    "sha3-224",
    "sha3-256",
    "sha3-384",
    "sha3-512",
    "tlsh",
    "vhash",
    "",
];

/// Whether a hash value can stand as one (a hex digest of its length; no whitespace): one that
/// cannot is kept as `x_misp_<relation>` rather than make the whole file invalid.
fn plausible_hash(ty: &str, value: &str) -> bool {
    let hex = |n: usize| value.len() == n && value.bytes().all(|b| b.is_ascii_hexdigit());
    match ty {
        "md5" => hex(32),
        "sha1" => hex(40),
        "sha224" | "sha3-224" => hex(56),
        "sha256" | "sha3-256" => hex(64),
        "sha384" | "sha3-384" => hex(96),
        "sha512" | "sha3-512" => hex(128),
        _ => !value.is_empty() && !value.chars().any(char::is_whitespace),
    }
}

/// A MISP object's attribute: (relation, type, value, uuid, to_ids).
pub(crate) type Member = (String, String, String, String, bool);

/// The observable of a MISP object misp-stix maps to SCOs (`file`, `domain-ip`, `ip-port`,
/// `url`, `email`), and the pattern parts of its `to_ids` attributes; None for other objects
/// (they become `x-misp-object`) or when nothing in it fits.
pub(crate) fn object_observable(name: &str, uuid: &str, attrs: &[Member]) -> Option<(Observable, Vec<String>)> {
    let mut parts = Vec::new();
    let add = |parts: &mut Vec<String>, ids: bool, path: String, value: &str| {
        if ids {
            parts.push(format!("{path} = {}", lit(value)));
        }
    };
    let objects = match name {
        "file" => {
            let mut f = sco("file", uuid, json!({}));
            let rank = |m: &Member| HASH_ORDER.iter().position(|h| *h == m.0 || *h == m.1).unwrap_or(HASH_ORDER.len());
            let mut sorted: Vec<&Member> = attrs.iter().collect();
            sorted.sort_by_key(|m| rank(m));
            for (rel, ty, value, _, ids) in sorted {
                let hash = hash_name(rel).or_else(|| hash_name(ty));
                if let Some((hname, key)) = hash.filter(|_| plausible_hash(ty, value)) {
                    f["hashes"][hname] = json!(value);
                    add(&mut parts, *ids, format!("file:hashes.{key}"), value);
                } else if rel == "filename" {
                    f["name"] = json!(value);
                    add(&mut parts, *ids, "file:name".into(), value);
                } else if rel == "size-in-bytes"
                    && let Ok(n) = value.trim().parse::<u64>()
                {
                    f["size"] = json!(n);
                    add(&mut parts, *ids, "file:size".into(), &n.to_string());
                } else if rel != "size-in-bytes" || hash.is_some() {
                    // what STIX has no property for, misp-stix keeps as x_misp_<relation>
                    f[format!("x_misp_{}", rel.replace('-', "_"))] = json!(value);
                }
            }
            (f.as_object()?.len() > 3).then_some(vec![f])?
        }
        "domain-ip" => {
            let mut ips = Vec::new();
            let mut domain = None;
            for (rel, _, value, u, ids) in attrs {
                match rel.as_str() {
                    "ip" | "ip-dst" | "ip-src" => {
                        ips.push(sco(ip_type(value), u, json!({"value": value})));
                        add(&mut parts, *ids, "domain-name:resolves_to_refs[*].value".into(), value);
                    }
                    "domain" | "hostname" if domain.is_none() => {
                        domain = Some(sco("domain-name", u, json!({"value": value})));
                        add(&mut parts, *ids, "domain-name:value".into(), value);
                    }
                    _ => {}
                }
            }
            let mut d = domain?;
            if !ips.is_empty() {
                d["resolves_to_refs"] = json!(ips.iter().map(|i| i["id"].clone()).collect::<Vec<_>>());
            }
            ips.push(d);
            ips
        }
        "ip-port" => {
            let mut nt = sco("network-traffic", uuid, json!({}));
            let mut addrs = Vec::new();
            for (rel, _, value, u, ids) in attrs {
                let side = match rel.as_str() {
                    "ip" | "ip-dst" => "dst",
                    "ip-src" => "src",
                    "dst-port" | "src-port" => {
                        if let Ok(n) = value.trim().parse::<u16>() {
                            let side = &rel[..3];
                            nt[format!("{side}_port")] = json!(n);
                            add(&mut parts, *ids, format!("network-traffic:{side}_port"), &n.to_string());
                        }
                        continue;
                    }
                    _ => continue,
                };
                let ity = ip_type(value);
                let a = sco(ity, u, json!({"value": value}));
                nt[format!("{side}_ref")] = a["id"].clone();
                if *ids {
                    parts.push(format!(
                        "(network-traffic:{side}_ref.type = '{ity}' AND network-traffic:{side}_ref.value = {})",
                        lit(value)
                    ));
                }
                addrs.push(a);
            }
            if nt.as_object()?.len() == 3 {
                return None;
            }
            nt["protocols"] = json!(["ipv4"]);
            let mut v = vec![nt];
            v.extend(addrs);
            v
        }
        "url" => {
            let (_, _, value, _, ids) = attrs.iter().find(|m| m.0 == "url")?;
            add(&mut parts, *ids, "url:value".into(), value);
            vec![sco("url", uuid, json!({"value": value}))]
        }
        "email" => {
            let mut m = sco("email-message", uuid, json!({"is_multipart": false}));
            let mut addrs = Vec::new();
            for (rel, _, value, u, ids) in attrs {
                match rel.as_str() {
                    "from" | "to" | "cc" => {
                        let a = sco("email-addr", u, json!({"value": value}));
                        if rel == "from" {
                            m["from_ref"] = a["id"].clone();
                            add(&mut parts, *ids, "email-message:from_ref.value".into(), value);
                        } else {
                            let key = format!("{rel}_refs");
                            let mut list = m.get(&key).and_then(Value::as_array).cloned().unwrap_or_default();
                            list.push(a["id"].clone());
                            m[&key] = json!(list);
                            add(&mut parts, *ids, format!("email-message:{key}[*].value"), value);
                        }
                        addrs.push(a);
                    }
                    "subject" => {
                        m["subject"] = json!(value);
                        add(&mut parts, *ids, "email-message:subject".into(), value);
                    }
                    _ => {}
                }
            }
            if m.as_object()?.len() == 4 {
                return None;
            }
            let mut v = vec![m];
            v.extend(addrs);
            v
        }
        _ => return None,
    };
    Some((Observable { objects, pattern: String::new() }, parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_as_misp_stix_writes_them() {
        let u = "7a328647-d3d7-5b59-ba61-5c605c309031";
        let o = observable("ip-src", "198.51.100.7", u).unwrap();
        assert_eq!(
            o.pattern,
            "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = '198.51.100.7']"
        );
        assert_eq!(o.objects[0]["src_ref"], o.objects[1]["id"]);
        assert!(o.objects.iter().all(|x| !x["id"].as_str().unwrap().ends_with(u)), "no UUID shared across types");
        assert_eq!(full_hive("HKLM\\Software\\x"), "HKEY_LOCAL_MACHINE\\Software\\x");
        assert_eq!(full_hive("HKLMX\\a"), "HKLMX\\a");
        assert_eq!(observable("sha1", "ab", u).unwrap().pattern, "[file:hashes.'SHA-1' = 'ab']");
        assert_eq!(observable("mutex", "a\\b'c", u).unwrap().pattern, "[mutex:name = 'a\\\\b\\'c']");
        assert_eq!(observable("AS", "AS64500", u).unwrap().objects[0]["number"], 64500);
        assert!(observable("AS", "ASX", u).is_none());
        assert!(observable("ip-dst|port", "1.2.3.4|99999", u).is_none());
        assert!(observable("comment", "x", u).is_none());
        let p = observable("ip-dst|port", "203.0.113.9|8443", u).unwrap();
        assert!(p.pattern.ends_with("AND network-traffic:dst_port = '8443']"), "{}", p.pattern);
    }
}
