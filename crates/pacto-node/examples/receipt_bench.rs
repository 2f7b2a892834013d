//! What a receipt costs the server per partner page (issue 11's target: a page of 1,000 objects
//! with its receipt within 1.2× the time without). Each round reads one page of 1,000 objects
//! from a 20,000-object SQLite collection, builds the envelope, digests each object, and
//! appends the page's 1,000 ledger entries with a signed head — once as before receipts
//! (entries and head only) and once with the response entry and the receipt (the body's
//! SHA-256, the inclusion and consistency proofs, the header's base64). Rounds alternate;
//! medians are printed as JSON. Run: `cargo run --release -p pacto-node --example receipt_bench`
//! (bench/receipts.sh).

use std::time::Instant;

use pacto_federation::ledger::{SigningKey, sha256_hex};
use pacto_node::ledger::{Log, Response, Served, served_events};
use pacto_stix::{SpecVersion, StixObject};
use pacto_store::{Incoming, Query, SqliteStore, prelude::*};

fn object(n: usize) -> Incoming {
    let v = serde_json::json!({"type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "name": format!("indicator {n}"), "description": "x".repeat(400),
        "pattern": format!("[ipv4-addr:value = '198.51.{}.{}']", n / 256 % 256, n % 256),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    Incoming::new(&StixObject::from_value(v).unwrap(), SpecVersion::V21)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open_writer(&dir.path().join("pacto.db")).unwrap();
    let c = s.create_collection("intel", "intel", None).unwrap();
    for chunk in (0..20_000).collect::<Vec<_>>().chunks(1000) {
        let batch: Vec<Incoming> = chunk.iter().map(|&n| object(n)).collect();
        s.add_batch(&c, &batch).unwrap();
    }
    let log = Log::new(SigningKey::from_bytes(&[7; 32]), None);
    let (mut without, mut with, mut header_bytes) = (Vec::new(), Vec::new(), 0);
    let mut held = None;
    for round in 0..rounds * 2 + 4 {
        let receipt = round % 2 == 1;
        let started = Instant::now();
        let query = Query { limit: Some(1000), added_after: None, ..Query::default() };
        let page = s.page(&c, &query).unwrap();
        let mut body = String::from("{\"more\":true,\"objects\":[");
        for (i, o) in page.objects.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&o.raw);
        }
        body.push_str("]}");
        let digests = page.objects.iter().map(|o| sha256_hex(o.raw.as_bytes())).collect();
        let now = pacto_stix::Timestamp::now().format(3);
        let events = served_events("mx", &c, Served::Objects, &page.objects, digests, &now);
        if receipt {
            let response = Response {
                partner: "mx",
                collection: "intel",
                what: "objects 1000".into(),
                body: body.as_bytes(),
                held,
            };
            let r = log.append(&mut s, events, Some(response)).unwrap().unwrap();
            header_bytes = r.to_header().len();
            held = Some(r.entry.seq);
        } else {
            log.append(&mut s, events, None).unwrap();
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if round >= 4 {
            if receipt { with.push(ms) } else { without.push(ms) }
        }
    }
    let (a, b) = (median(without), median(with));
    println!(
        "{}",
        serde_json::json!({"page_objects": 1000, "rounds": rounds, "without_receipt_ms": (a * 100.0).round() / 100.0,
            "with_receipt_ms": (b * 100.0).round() / 100.0, "ratio": (b / a * 1000.0).round() / 1000.0,
            "receipt_header_bytes": header_bytes})
    );
}
