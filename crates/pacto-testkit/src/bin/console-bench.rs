//! `console-bench`: the console's server-side work at scale (issue 14: at 1,000,000 objects a
//! search answers in < 100 ms and the dashboard renders in < 50 ms). Fills a SQLite node with
//! generated objects (80 % in `intel`, 10 % in `secret`, 10 % received from a partner in
//! `inbound.mx` by sync, half of those then dismissed one by one, as an analyst working through
//! the review queue would; kept in DIR and reused when it holds them already), then times
//! `pacto_node::browse::search` (the first page of 100, for an account that reads `intel` and
//! `inbound.mx`, as the console asks), `browse::dashboard` and the review queue
//! (`browse::awaiting`, 100), reporting medians in milliseconds as JSON.
//!
//! Usage: console-bench [OBJECTS] [DIR] [ROUNDS]   (bench/console.sh)

use std::time::Instant;

use pacto_node::Caller;
use pacto_node::browse::{self, Search};
use pacto_stix::{SpecVersion, StixObject};
use pacto_store::{Incoming, SqliteStore, User, prelude::*};
use pacto_testkit::Generator;
use serde_json::json;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = std::path::PathBuf::from(args.get(2).cloned().unwrap_or_else(|| "target/console-bench".into()));
    let rounds: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(21);
    let mut s = SqliteStore::open_writer(&dir.join(format!("pacto-{n}-review.db"))).expect("the database opens");
    let held = s.total_versions().unwrap();
    if held < n {
        let started = Instant::now();
        let intel = match s.collection("intel").unwrap() {
            Some(c) => c,
            None => s.create_collection("intel", "Intel", None).unwrap(),
        };
        let secret = match s.collection("secret").unwrap() {
            Some(c) => c,
            None => s.create_collection("secret", "Secret", None).unwrap(),
        };
        let inbound = match s.collection("inbound.mx").unwrap() {
            Some(c) => c,
            None => s.create_collection("inbound.mx", "From mx", None).unwrap(),
        };
        let mut g = Generator::new(held + 1);
        let mut made = held;
        while made < n {
            let (mut a, mut b, mut c, mut prov) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for _ in 0..10_000.min(n - made) {
                let v = g.next_object();
                let Ok(o) = StixObject::from_value(v) else { continue };
                let inc = Incoming::new(&o, SpecVersion::V21);
                match made % 10 {
                    9 => b.push(inc),
                    8 => {
                        prov.push(pacto_store::Provenance {
                            id: inc.id.clone(),
                            version: inc.version.clone(),
                            partner: "mx".into(),
                            remote_collection: "c1".into(),
                            remote_date_added: "2026-01-01T00:00:00.000000Z".into(),
                            fetched_us: 0,
                            receipt: Some(made),
                        });
                        c.push(inc)
                    }
                    _ => a.push(inc),
                }
                made += 1;
            }
            s.add_batch(&intel, &a).unwrap();
            s.add_batch(&secret, &b).unwrap();
            // Half of what mx sent, dismissed one by one.
            let dismissed: Vec<String> = c.iter().step_by(2).map(|i| i.id.clone()).collect();
            s.add_synced(&inbound, &c, &prov, &[], ("mx", "c1", &made.to_string())).unwrap();
            s.dismiss(&inbound, &dismissed, "bench").unwrap();
        }
        eprintln!("console-bench: stored {} objects in {:.1} s", n - held, started.elapsed().as_secs_f64());
    }
    let versions = s.total_versions().unwrap();
    let analyst = Caller {
        user: User {
            name: "analyst".into(),
            password_hash: String::new(),
            can_read: vec!["intel".into(), "inbound.mx".into()],
            can_write: vec![],
        },
        agreement: None,
        dropboxes: Default::default(),
    };
    // One id that exists, found by searching for it.
    let mut some_id = String::new();
    let probe = Search { limit: 1, types: vec!["malware".into()], ..Search::default() };
    if let Some(h) = browse::search(&s, &analyst, &probe).unwrap().hits.first() {
        some_id = h.id.clone();
    }
    let searches: Vec<(&str, Search)> = vec![
        ("common word", Search { text: "shipment".into(), ..Search::default() }),
        ("two words", Search { text: "firearm shipment".into(), ..Search::default() }),
        ("word prefix", Search { text: "ship".into(), ..Search::default() }),
        ("an id", Search { text: some_id.clone(), ..Search::default() }),
        ("rare value", Search { text: "x123456 example".into(), ..Search::default() }),
        ("type filter", Search { types: vec!["threat-actor".into()], ..Search::default() }),
        ("word + TLP red", Search { text: "shipment".into(), tlp: Some("red".into()), ..Search::default() }),
        ("nothing matches", Search { text: "zzzzzz".into(), ..Search::default() }),
    ];
    let mut out = serde_json::Map::new();
    for (name, q) in searches {
        let q = Search { limit: 100, ..q };
        let mut times = Vec::new();
        let mut hits = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            hits = browse::search(&s, &analyst, &q).unwrap().hits.len();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        out.insert(format!("search: {name}"), json!({"median_ms": median(times), "hits": hits}));
    }
    let since = pacto_stix::Timestamp::now().as_micros() - 24 * 3600 * 1_000_000;
    let mut times = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        browse::dashboard(&s, &analyst, since).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    out.insert("dashboard".into(), json!({"median_ms": median(times)}));
    let mut times = Vec::new();
    let mut awaiting = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        awaiting = browse::awaiting(&s, &analyst, None, 100).unwrap().hits.len();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    out.insert("review queue".into(), json!({"median_ms": median(times), "hits": awaiting}));
    out.insert("objects".into(), json!(versions));
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
