//! The ledger's benchmarks (issue 11): appends per second, verifying a 1,000,000-entry export,
//! proof sizes at 1,000,000 entries. Prints a table; asserts nothing (figures go to
//! BENCHMARKS.md). Run: `bash bench/ledger.sh` or
//! `cargo run --release -p pacto-federation --example ledger_bench -- [ENTRIES]`.

use std::time::Instant;

use pacto_federation::ledger::log::{self as tlog};
use pacto_federation::ledger::{Chain, Entry, Event, SigningKey, sha256_hex};
use pacto_log::merkle::Tree;

fn event(n: u64) -> Event {
    Event {
        time: format!("2026-11-25T10:{:02}:{:02}.000Z", (n / 60) % 60, n % 60),
        partner: if n.is_multiple_of(3) { "ca".into() } else { "us".into() },
        kind: "disclosure".into(),
        collection: "firearms".into(),
        object_id: Some(format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f")),
        object_version: Some("2026-01-01T00:00:00.000Z".into()),
        digest: sha256_hex(&n.to_be_bytes()),
    }
}

/// This process's CPU time (user + system) in seconds, from /proc (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which ends with ')'): utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let key = SigningKey::from_bytes(&[42; 32]);
    println!("ledger bench, {n} entries");

    // Events are made up front: the bench times the ledger, not string formatting.
    let events: Vec<Event> = (1..=n).map(event).collect();

    // 1. Appends: version 1 (chain only) against version 2 (chain + Merkle tree leaf).
    let mut v1 = Vec::new();
    let mut v2 = Vec::new();
    let mut entries = Vec::new();
    let mut tree = Tree::new();
    for _ in 0..3 {
        let evs = events.clone();
        let t = Instant::now();
        let mut chain = Chain::default();
        let out: Vec<Entry> = evs.into_iter().map(|e| chain.append(e)).collect();
        v1.push(n as f64 / t.elapsed().as_secs_f64());
        drop(out);

        let evs = events.clone();
        let t = Instant::now();
        let mut chain = Chain::default();
        let mut tr = Tree::new();
        let out: Vec<Entry> = evs
            .into_iter()
            .map(|e| {
                let entry = chain.append(e);
                tr.push_hash(entry.leaf_hash());
                entry
            })
            .collect();
        v2.push(n as f64 / t.elapsed().as_secs_f64());
        entries = out;
        tree = tr;
    }
    let (a1, a2) = (median(v1), median(v2));
    println!("append, chain only (version 1):           {a1:>12.0} entries/s");
    println!(
        "append, chain + Merkle leaf (version 2):  {a2:>12.0} entries/s  (target >= 200,000; {:.2}x of v1)",
        a2 / a1
    );
    let t = Instant::now();
    let mut only = Tree::new();
    for i in 0..n {
        only.push_hash(tree.leaf(i).unwrap_or_default());
    }
    println!("append to the tree alone (leaf hash given): {:>10.0} entries/s", n as f64 / t.elapsed().as_secs_f64());

    // 2. Verify an export: one checkpoint at the end, and one every 1,000 entries.
    let signer = tlog::log_signer(&key);
    for every in [n, 1000] {
        let cps: Vec<_> =
            (1..=n).filter(|s| s % every == 0 || *s == n).map(|s| signer.sign(s, tree.root_at(s).unwrap())).collect();
        let text = tlog::export(&key.verifying_key(), &entries, &cps);
        let (mut times, mut cpu) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            let (t, c) = (Instant::now(), cpu_seconds());
            let v = tlog::verify_export(&text, &key.verifying_key(), Some(&cps[0].to_text())).unwrap();
            times.push(t.elapsed().as_secs_f64());
            cpu.push(cpu_seconds() - c);
            assert_eq!(v.entries, n);
        }
        println!(
            "verify a {n}-entry export ({:.0} MB, {} checkpoints): {:.2} s wall, {:.2} s CPU (medians of 3; target < 3 s)",
            text.len() as f64 / 1e6,
            cps.len(),
            median(times),
            median(cpu)
        );
    }

    // 3. Proof sizes at n entries.
    let head = signer.sign(n, tree.root());
    println!("signed checkpoint note: {} bytes", head.to_text().len());
    let mid = tlog::prove_entry(&entries, &tree, &head, n / 2 + 1).unwrap();
    println!(
        "inclusion proof of entry {}: {} hashes ({} bytes raw), {} bytes as `ledger prove` JSON with entry and checkpoint",
        n / 2 + 1,
        mid.proof.path.len(),
        32 * mid.proof.path.len(),
        serde_json::to_string_pretty(&mid).unwrap().len()
    );
    for old in [1, n / 2, n - 1] {
        if old == 0 || old >= n {
            continue;
        }
        let p = tree.consistency_proof(old, n).unwrap();
        println!("consistency proof {old} -> {n}: {} hashes ({} bytes raw)", p.len(), 32 * p.len());
    }
    let t = Instant::now();
    let reps = 10_000u64;
    for i in 0..reps {
        let _ = tree.inclusion_proof((i * 7919) % n, n).unwrap();
    }
    println!("making an inclusion proof: {:.1} µs", t.elapsed().as_secs_f64() * 1e6 / reps as f64);
}
