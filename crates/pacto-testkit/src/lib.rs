//! Deterministic generators of realistic STIX 2.1 content, for tests and benchmarks.
//!
//! The mix resembles a national CERT's feed: indicators with STIX patterns, relationships,
//! malware, threat actors, sightings, observed-data and its SCOs, all TLP-marked, with
//! external references and custom `x_` properties. The same seed always gives the same bytes.

pub mod http;

use std::io::{self, Write};

use pacto_stix::Tlp;
use serde_json::{Value, json};

/// A small, fast, seedable generator (SplitMix64): reproducible without a dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// A version-4 UUID.
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}

const WORDS: &[&str] = &[
    "firearm",
    "serial",
    "shipment",
    "border",
    "crossing",
    "dealer",
    "registry",
    "seizure",
    "trafficking",
    "cartel",
    "network",
    "courier",
    "warehouse",
    "invoice",
    "transfer",
    "handgun",
    "rifle",
    "ammunition",
    "customs",
    "broker",
    "front",
    "company",
    "route",
    "port",
    "vessel",
    "container",
    "payment",
    "wallet",
    "alias",
    "contact",
    "phone",
    "intercept",
    "operation",
    "analysis",
    "report",
    "source",
    "reliable",
    "observed",
    "suspected",
    "confirmed",
];

/// Generates objects one at a time; ids referenced by relationships are ones already made.
pub struct Generator {
    rng: Rng,
    made: Vec<String>,
    identity: String,
    day: u64,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let identity = format!("identity--{}", rng.uuid());
        Generator { rng, made: Vec::new(), identity, day: 0 }
    }

    /// The identity every generated object names as its creator (emit it first).
    pub fn identity(&self) -> Value {
        json!({"type": "identity", "spec_version": "2.1", "id": self.identity, "created": "2020-01-01T00:00:00.000Z",
            "modified": "2020-01-01T00:00:00.000Z", "name": "Generated Agency", "identity_class": "organization"})
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.rng.below(WORDS.len() as u64) as usize]
    }

    fn text(&mut self, words: u64) -> String {
        let n = 4 + self.rng.below(words);
        let mut s = String::with_capacity(n as usize * 8);
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            let w = self.word();
            s.push_str(w);
        }
        s
    }

    fn ts(&mut self) -> String {
        self.day += 1;
        let d = self.day % 3000;
        let (y, doy) = (2015 + d / 360, d % 360);
        format!(
            "{y}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            1 + doy / 30,
            1 + doy % 28,
            self.rng.below(24),
            self.rng.below(60),
            self.rng.below(60),
            self.rng.below(1000)
        )
    }

    fn common(&mut self, ty: &str) -> serde_json::Map<String, Value> {
        let id = format!("{ty}--{}", self.rng.uuid());
        let created = self.ts();
        let tlp = *self.rng.pick(&Tlp::ALL);
        let mut m = serde_json::Map::new();
        m.insert("type".into(), json!(ty));
        m.insert("spec_version".into(), json!("2.1"));
        m.insert("id".into(), json!(id));
        m.insert("created".into(), json!(created));
        m.insert("modified".into(), json!(created));
        m.insert("created_by_ref".into(), json!(self.identity));
        m.insert("object_marking_refs".into(), json!([tlp.marking_id()]));
        if self.rng.below(3) == 0 {
            m.insert("labels".into(), json!([self.word(), self.word()]));
        }
        if self.rng.below(2) == 0 {
            let ext = format!("CASE-{}", self.rng.below(1_000_000));
            m.insert("external_references".into(), json!([{"source_name": "case-file", "external_id": ext}]));
        }
        if self.rng.below(4) == 0 {
            m.insert("x_case_priority".into(), json!(self.rng.below(5)));
        }
        m
    }

    fn sco(&mut self, ty: &str, value: Value) -> Value {
        with_sco_id(json!({"type": ty, "spec_version": "2.1", "value": value}))
    }

    /// The next object.
    pub fn next_object(&mut self) -> Value {
        let roll = self.rng.below(100);
        let v = match roll {
            0..=29 => {
                let mut m = self.common("indicator");
                let ip = format!(
                    "{}.{}.{}.{}",
                    self.rng.below(223) + 1,
                    self.rng.below(256),
                    self.rng.below(256),
                    self.rng.below(256)
                );
                let pattern = match self.rng.below(3) {
                    0 => format!("[ipv4-addr:value = '{ip}']"),
                    1 => format!("[domain-name:value = 'x{}.example.net']", self.rng.below(1_000_000)),
                    _ => format!(
                        "[file:hashes.'SHA-256' = '{:016x}{:016x}{:016x}{:016x}']",
                        self.rng.next_u64(),
                        self.rng.next_u64(),
                        self.rng.next_u64(),
                        self.rng.next_u64()
                    ),
                };
                m.insert("name".into(), json!(self.text(4)));
                m.insert("description".into(), json!(self.text(60)));
                m.insert("indicator_types".into(), json!(["malicious-activity"]));
                m.insert("pattern".into(), json!(pattern));
                m.insert("pattern_type".into(), json!("stix"));
                let from = m["created"].clone();
                m.insert("valid_from".into(), from);
                Value::Object(m)
            }
            30..=59 if self.made.len() >= 2 => {
                let mut m = self.common("relationship");
                let s = self.rng.pick(&self.made).clone();
                let t = self.rng.pick(&self.made).clone();
                m.insert(
                    "relationship_type".into(),
                    json!(*self.rng.pick(&["indicates", "uses", "related-to", "attributed-to"])),
                );
                m.insert("source_ref".into(), json!(s));
                m.insert("target_ref".into(), json!(t));
                Value::Object(m)
            }
            60..=69 => {
                let mut m = self.common("malware");
                m.insert("name".into(), json!(self.text(2)));
                m.insert("is_family".into(), json!(true));
                m.insert("malware_types".into(), json!(["remote-access-trojan"]));
                m.insert("description".into(), json!(self.text(120)));
                Value::Object(m)
            }
            70..=74 => {
                let mut m = self.common("threat-actor");
                m.insert("name".into(), json!(self.text(2)));
                m.insert("threat_actor_types".into(), json!(["crime-syndicate"]));
                m.insert("aliases".into(), json!([self.text(1)]));
                m.insert("description".into(), json!(self.text(80)));
                Value::Object(m)
            }
            75..=79 if !self.made.is_empty() => {
                let mut m = self.common("sighting");
                let of = self
                    .made
                    .iter()
                    .rev()
                    .find(|id| id.split_once("--").is_some_and(|(t, _)| pacto_stix::schema::is_sdo(t)))
                    .cloned();
                match of {
                    Some(of) => {
                        m.insert("sighting_of_ref".into(), json!(of));
                        m.insert("count".into(), json!(1 + self.rng.below(50)));
                        m.insert("where_sighted_refs".into(), json!([self.identity]));
                        Value::Object(m)
                    }
                    None => self.identity(),
                }
            }
            80..=84 => {
                let mut m = self.common("observed-data");
                let addr = format!("10.{}.{}.{}", self.rng.below(256), self.rng.below(256), self.rng.below(256));
                let ip = self.sco("ipv4-addr", json!(addr));
                m.insert("first_observed".into(), m["created"].clone());
                m.insert("last_observed".into(), m["created"].clone());
                m.insert("number_observed".into(), json!(1 + self.rng.below(10)));
                m.insert("object_refs".into(), json!([ip["id"]]));
                Value::Object(m)
            }
            85..=89 => {
                let host = format!("host{}.example.org", self.rng.below(10_000_000));
                self.sco("domain-name", json!(host))
            }
            90..=94 => {
                let name = format!("{}.bin", self.word());
                with_sco_id(json!({"type": "file", "spec_version": "2.1", "name": name,
                    "hashes": {"SHA-256": format!("{:016x}{:016x}{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64(), self.rng.next_u64(), self.rng.next_u64())},
                    "size": self.rng.below(10_000_000)}))
            }
            _ => {
                let mut m = self.common("report");
                m.insert("name".into(), json!(self.text(6)));
                m.insert("published".into(), m["created"].clone());
                m.insert("description".into(), json!(self.text(200)));
                let refs: Vec<Value> =
                    (0..1 + self.rng.below(5)).filter_map(|_| self.made.last().cloned().map(Value::String)).collect();
                let refs = if refs.is_empty() { vec![json!(self.identity)] } else { refs };
                m.insert("object_refs".into(), Value::Array(refs));
                Value::Object(m)
            }
        };
        if let Some(id) = v.get("id").and_then(Value::as_str)
            && !id.starts_with("relationship--")
            && !id.starts_with("sighting--")
            && self.made.len() < 10_000
        {
            self.made.push(id.to_string());
        }
        v
    }
}

/// Give an SCO the deterministic (UUIDv5) id its ID-contributing properties call for.
fn with_sco_id(mut v: Value) -> Value {
    let ty = v["type"].as_str().unwrap_or_default();
    let id = rstix::core::ScoKind::from_type_str(ty)
        .and_then(|k| rstix::id::generate_sco_id(k, &v).ok())
        .map(|id| id.as_str().to_string());
    if let (Some(id), Value::Object(m)) = (id, &mut v) {
        m.insert("id".into(), Value::String(id));
    }
    v
}

/// Write a bundle of generated objects until `objects` objects or `bytes` bytes, whichever
/// comes first. Returns (objects, bytes) written.
pub fn write_bundle<W: Write>(w: &mut W, seed: u64, objects: u64, bytes: u64) -> io::Result<(u64, u64)> {
    let mut g = Generator::new(seed);
    let head = format!("{{\"type\":\"bundle\",\"id\":\"bundle--{}\",\"objects\":[\n", Rng::new(seed ^ 1).uuid());
    w.write_all(head.as_bytes())?;
    let mut written = head.len() as u64;
    let mut buf = Vec::with_capacity(4096);
    let mut n = 0;
    let first = serde_json::to_vec(&g.identity())?;
    w.write_all(&first)?;
    written += first.len() as u64;
    n += 1;
    for t in Tlp::ALL {
        buf.clear();
        buf.extend_from_slice(b",\n");
        serde_json::to_writer(&mut buf, &t.marking_definition())?;
        w.write_all(&buf)?;
        written += buf.len() as u64;
        n += 1;
    }
    while n < objects && written < bytes {
        buf.clear();
        buf.extend_from_slice(b",\n");
        serde_json::to_writer(&mut buf, &g.next_object())?;
        w.write_all(&buf)?;
        written += buf.len() as u64;
        n += 1;
    }
    w.write_all(b"\n]}\n")?;
    Ok((n, written + 4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacto_stix::validate::{Location, validate_object};

    #[test]
    fn generated_objects_are_valid_and_reproducible() {
        let mut a = Generator::new(7);
        let mut b = Generator::new(7);
        for _ in 0..2000 {
            let o = a.next_object();
            assert_eq!(o, b.next_object());
            let mut out = Vec::new();
            validate_object(&o, Location::default(), &mut out);
            assert!(out.is_empty(), "{o}: {out:?}");
        }
    }

    #[test]
    fn bundle_is_well_formed() {
        let mut buf = Vec::new();
        let (n, bytes) = write_bundle(&mut buf, 1, 500, u64::MAX).unwrap();
        assert_eq!(bytes as usize, buf.len());
        let v: Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["objects"].as_array().unwrap().len() as u64, n);
    }
}
