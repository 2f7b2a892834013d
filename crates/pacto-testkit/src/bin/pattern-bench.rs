//! Pattern benchmarks (see bench/patterns.sh, which runs stix2-matcher on the same data).
//!
//!   pattern-bench gen N FILE              N observed-data (STIX 2.1, with their SCOs) as a JSON list
//!   pattern-bench one FILE PATTERN...     each pattern against every observation in FILE
//!   pattern-bench many K N [--no-index]   K equality/IN indicators against N observations
//!
//! Results are one JSON object per line on stdout.

use std::time::Instant;

use pacto_pattern::{Candidates, Observation, Pattern, PatternSet};
use serde_json::{Value, json};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// splitmix64: deterministic data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn ip(i: u64) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

fn domain(i: u64) -> String {
    format!("host{i}.example.net")
}

fn sha256(i: u64) -> String {
    format!("{:064x}", u128::from(i) * 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
}

/// Observation `i`: a file, an address, a domain and traffic between them, seen at a time that
/// grows with `i`. Values are drawn from a space of `space` each.
fn observation(i: u64, rng: &mut Rng, space: u64) -> Vec<Value> {
    let uid = |kind: u64| format!("{:08x}-0000-4000-8000-{:012x}", kind, i);
    let (f, a, d, n) = (
        format!("file--{}", uid(1)),
        format!("ipv4-addr--{}", uid(2)),
        format!("domain-name--{}", uid(3)),
        format!("network-traffic--{}", uid(4)),
    );
    let t = format!("2024-01-01T{:02}:{:02}:{:02}Z", (i / 3600) % 24, (i / 60) % 60, i % 60);
    let stamp = format!("2024-01-01T{:02}:{:02}:{:02}.000Z", (i / 3600) % 24, (i / 60) % 60, i % 60);
    vec![
        json!({"type": "file", "spec_version": "2.1", "id": f, "name": format!("sample{}.exe", rng.below(space)),
               "size": rng.below(1 << 20), "hashes": {"SHA-256": sha256(rng.below(space))}}),
        json!({"type": "ipv4-addr", "spec_version": "2.1", "id": a, "value": ip(rng.below(space))}),
        json!({"type": "domain-name", "spec_version": "2.1", "id": d, "value": domain(rng.below(space)), "resolves_to_refs": [a]}),
        json!({"type": "network-traffic", "spec_version": "2.1", "id": n, "dst_ref": a, "dst_port": 443, "protocols": ["tcp", "tls"]}),
        json!({"type": "observed-data", "spec_version": "2.1", "id": format!("observed-data--{}", uid(5)),
               "created": stamp, "modified": stamp, "first_observed": t, "last_observed": t, "number_observed": 1,
               "object_refs": [f, a, d, n]}),
    ]
}

/// Observations from a JSON list of objects (observed-data and the objects they reference).
fn load(objects: &[Value]) -> Vec<Observation<'_>> {
    let by_id: std::collections::HashMap<&str, &Value> =
        objects.iter().filter_map(|o| Some((o.get("id")?.as_str()?, o))).collect();
    objects
        .iter()
        .filter(|o| o["type"] == "observed-data")
        .map(|od| Observation::from_observed_data(od, |r| by_id.get(r).copied()).expect("observation"))
        .collect()
}

fn one(file: &str, patterns: &[String]) {
    let text = std::fs::read(file).expect("read observations");
    let parse_start = Instant::now();
    let objects: Vec<Value> = serde_json::from_slice(&text).expect("JSON list");
    let obs = load(&objects);
    let load_s = parse_start.elapsed().as_secs_f64();
    for p in patterns {
        let pattern = Pattern::parse(p).expect("pattern");
        // Streaming, as the node does it: each observation on its own. Repeated until half a
        // second has passed, for a stable figure.
        let (mut rounds, mut streamed) = (0u32, 0u64);
        let t = Instant::now();
        while rounds == 0 || t.elapsed().as_secs_f64() < 0.5 {
            streamed = 0;
            for o in &obs {
                if pattern.matches(std::slice::from_ref(o)).expect("budget").is_some() {
                    streamed += 1;
                }
            }
            rounds += 1;
        }
        let stream_s = t.elapsed().as_secs_f64() / f64::from(rounds);
        // The whole set at once (the form stix2-matcher takes).
        let (mut rounds, mut whole) = (0u32, false);
        let t = Instant::now();
        while rounds == 0 || t.elapsed().as_secs_f64() < 0.5 {
            whole = pattern.matches(&obs).expect("budget").is_some();
            rounds += 1;
        }
        let whole_s = t.elapsed().as_secs_f64() / f64::from(rounds);
        println!(
            "{}",
            json!({"pattern": p, "observations": obs.len(), "load_s": load_s, "stream_s": stream_s, "stream_matches": streamed,
                   "whole_s": whole_s, "whole_matched": whole})
        );
    }
}

fn many(k: u64, n: u64, brute: bool) {
    let space = 1_000_000;
    let mut rng = Rng(7);
    let mut set = PatternSet::new();
    let build = Instant::now();
    for j in 0..k {
        let v = rng.below(space);
        let p = match j % 5 {
            0 => format!("[file:hashes.'SHA-256' = '{}']", sha256(v)),
            1 => format!("[ipv4-addr:value = '{}']", ip(v)),
            2 => format!("[domain-name:value = '{}']", domain(v)),
            3 => format!("[network-traffic:dst_ref.value IN ('{}', '{}', '{}')]", ip(v), ip(v + 1), ip(v + 2)),
            _ => format!("[file:name = 'sample{v}.exe' AND file:size > 100]"),
        };
        set.insert(&format!("indicator--{j}"), Pattern::parse(&p).expect("pattern"));
    }
    let build_s = build.elapsed().as_secs_f64();
    // A pool of distinct observations, cycled: generating 1M JSON objects would cost more than
    // matching them.
    let pool_n = n.min(100_000);
    let mut data_rng = Rng(11);
    let pool: Vec<Vec<Value>> = (0..pool_n).map(|i| observation(i, &mut data_rng, space)).collect();
    let views: Vec<Observation<'_>> = pool
        .iter()
        .map(|objs| {
            let od = objs.last().expect("observed-data");
            Observation::from_observed_data(od, |r| objs.iter().find(|o| o["id"] == r)).expect("observation")
        })
        .collect();
    let mut c = Candidates::default();
    let (mut matched, mut evaluated) = (0u64, 0u64);
    let patterns: Vec<&Pattern> = set.iter().map(|(_, _, p)| p).collect();
    let t = Instant::now();
    for i in 0..n {
        let obs = &views[(i % pool_n) as usize];
        if brute {
            // Every pattern on every observation: what the index saves.
            for p in &patterns {
                if p.matches(std::slice::from_ref(obs)).expect("budget").is_some() {
                    matched += 1;
                }
            }
            evaluated += patterns.len() as u64;
        } else {
            let hits = set.match_observation(obs, &mut c);
            matched += hits.len() as u64;
            evaluated += c.evaluated as u64;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({"indicators": k, "observations": n, "indexed": !brute, "seconds": secs, "per_second": n as f64 / secs, "build_s": build_s,
               "matches": matched, "expressions_evaluated_per_observation": evaluated as f64 / n as f64, "index": format!("{:?}", set.stats())})
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") if args.len() == 3 => {
            let n: u64 = args[1].parse().expect("N");
            let mut rng = Rng(3);
            // A space of 1,000 values per kind, so that patterns find some matches.
            let objects: Vec<Value> = (0..n).flat_map(|i| observation(i, &mut rng, 1000)).collect();
            std::fs::write(&args[2], serde_json::to_vec(&objects).expect("JSON")).expect("write");
        }
        Some("one") if args.len() >= 3 => one(&args[1], &args[2..]),
        Some("many") if args.len() == 3 || (args.len() == 4 && args[3] == "--no-index") => {
            many(args[1].parse().expect("K"), args[2].parse().expect("N"), args.len() == 4)
        }
        _ => {
            eprintln!("usage: pattern-bench gen N FILE | one FILE PATTERN... | many K N");
            std::process::exit(2);
        }
    }
}
