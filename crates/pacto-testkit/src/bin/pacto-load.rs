//! `pacto-load`: load and throughput against a TAXII 2.1 server on loopback (pacto, medallion).
//!
//!   pacto-load post  --host H --path OBJECTS_URL_PATH --user U --password P --file BUNDLE [--batch 1000]
//!   pacto-load page  --host H --path OBJECTS_URL_PATH --user U --password P --cursor PARAM=VALUE [--limit 1000] [--repeat 20]
//!   pacto-load mixed --host H[,H2,…] --path OBJECTS_URL_PATH --user U --password P [--clients 64] [--seconds 60] [--write-percent 20]
//!   pacto-load compare --host H --path URL_PATH --other URL_PATH --user U --password P [--repeat 400]
//!
//! `compare` times two GETs in alternation on one connection (so that drift in the machine
//! hits both alike) and prints each one's status and latency quantiles, and their ratio.
//!
//! Each prints one JSON line of results. Requests go only to --host, which must be a loopback
//! address; loops are bounded by count or time.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pacto_testkit::http::Client;
use serde_json::{Value, json};

fn args() -> HashMap<String, String> {
    let v: Vec<String> = std::env::args().skip(2).collect();
    v.chunks(2).filter_map(|c| Some((c[0].trim_start_matches("--").to_string(), c.get(1)?.clone()))).collect()
}

fn need<'a>(a: &'a HashMap<String, String>, k: &str) -> &'a str {
    a.get(k).map(String::as_str).unwrap_or_else(|| {
        eprintln!("pacto-load: --{k} is required");
        std::process::exit(2)
    })
}

fn main() {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    let a = args();
    let host = need(&a, "host").to_string();
    let loopback = |h: &str| h.starts_with("127.") || h.starts_with("localhost") || h.starts_with("[::1]");
    if !host.split(',').all(loopback) {
        eprintln!("pacto-load: only loopback targets are allowed");
        std::process::exit(2);
    }
    let auth = (need(&a, "user").to_string(), need(&a, "password").to_string());
    let path = need(&a, "path").to_string();
    let out = match cmd.as_str() {
        "post" => {
            post(&host, &auth, &path, need(&a, "file"), a.get("batch").and_then(|b| b.parse().ok()).unwrap_or(1000))
        }
        "page" => page(
            &host,
            &auth,
            &path,
            need(&a, "cursor"),
            a.get("limit").and_then(|b| b.parse().ok()).unwrap_or(1000),
            a.get("repeat").and_then(|b| b.parse().ok()).unwrap_or(20),
        ),
        "mixed" => mixed(
            &host,
            &auth,
            &path,
            a.get("clients").and_then(|b| b.parse().ok()).unwrap_or(64),
            a.get("seconds").and_then(|b| b.parse().ok()).unwrap_or(60),
            a.get("write-percent").and_then(|b| b.parse().ok()).unwrap_or(20),
        ),
        "compare" => {
            compare(&host, &auth, &path, need(&a, "other"), a.get("repeat").and_then(|b| b.parse().ok()).unwrap_or(400))
        }
        _ => {
            eprintln!("usage: pacto-load post|page|mixed|compare --host H --path P --user U --password W ...");
            std::process::exit(2);
        }
    };
    println!("{out}");
}

fn post(host: &str, auth: &(String, String), path: &str, file: &str, batch: usize) -> Value {
    let text = std::fs::read(file).expect("readable bundle");
    let bundle: Value = serde_json::from_slice(&text).expect("a JSON bundle");
    let objects = bundle["objects"].as_array().cloned().unwrap_or_default();
    let bodies: Vec<Vec<u8>> = objects.chunks(batch).map(|c| json!({"objects": c}).to_string().into_bytes()).collect();
    let mut client = Client::new(host, Some((&auth.0, &auth.1)));
    let (mut ok, mut failed, mut errors) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    for body in &bodies {
        match client.request("POST", path, Some(body)) {
            Ok(r) if r.status == 202 => {
                let s: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                ok += s["success_count"].as_u64().unwrap_or(0);
                failed += s["failure_count"].as_u64().unwrap_or(0);
            }
            _ => errors += 1,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    json!({"objects": objects.len(), "requests": bodies.len(), "succeeded": ok, "failed": failed, "http_errors": errors,
        "seconds": secs, "objects_per_second": objects.len() as f64 / secs})
}

fn page(host: &str, auth: &(String, String), path: &str, cursor: &str, limit: usize, repeat: usize) -> Value {
    let mut client = Client::new(host, Some((&auth.0, &auth.1)));
    let url = format!("{path}?limit={limit}&{cursor}");
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..repeat {
        let t = Instant::now();
        let r = client.request("GET", &url, None).expect("page");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        count = v["objects"].as_array().map_or(0, Vec::len);
    }
    times.sort_by(f64::total_cmp);
    json!({"objects_per_page": count, "median_ms": times[times.len() / 2], "min_ms": times[0], "max_ms": times[times.len() - 1]})
}

fn compare(host: &str, auth: &(String, String), a: &str, b: &str, repeat: usize) -> Value {
    let mut client = Client::new(host, Some((&auth.0, &auth.1)));
    let mut times = [Vec::with_capacity(repeat), Vec::with_capacity(repeat)];
    let mut statuses = [0u16, 0u16];
    // A warm-up of each, then alternate: a, b, b, a, a, b, … (so neither always goes first).
    for i in 0..repeat + 10 {
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let path = if which == 0 { a } else { b };
            let started = Instant::now();
            let r = client.request("GET", path, None).expect("an answer");
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            statuses[which] = r.status;
            if i >= 10 {
                times[which].push(ms);
            }
        }
    }
    let summary = |t: &mut Vec<f64>| {
        t.sort_by(|x, y| x.total_cmp(y));
        json!({"p10": percentile(t, 0.10), "p50": percentile(t, 0.50), "p90": percentile(t, 0.90)})
    };
    let (sa, sb) = (summary(&mut times[0].clone()), summary(&mut times[1].clone()));
    let ratio = sb["p50"].as_f64().unwrap_or(0.0) / sa["p50"].as_f64().unwrap_or(1.0).max(1e-9);
    json!({"a": a, "a_status": statuses[0], "a_ms": sa, "b": b, "b_status": statuses[1], "b_ms": sb,
           "ratio_p50": (ratio * 100.0).round() / 100.0, "repeat": repeat})
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn mixed(host: &str, auth: &(String, String), path: &str, clients: usize, seconds: u64, write_percent: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let errors = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            // Several servers (comma-separated): clients spread over them in turn.
            let hosts: Vec<&str> = host.split(',').collect();
            let host = hosts[c % hosts.len()].to_string();
            let (auth, path, errors) = (auth.clone(), path.to_string(), errors.clone());
            std::thread::spawn(move || {
                let mut client = Client::new(&host, Some((&auth.0, &auth.1)));
                let mut rng = pacto_testkit::Rng::new(c as u64 + 1);
                let (mut reads, mut writes) = (Vec::new(), Vec::new());
                let mut cursors: Vec<String> = Vec::new();
                let mut seq = 0u32;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let ok = if rng.below(100) < write_percent {
                        let objs: Vec<Value> = (0..10)
                            .map(|_| {
                                seq += 1;
                                json!({"type": "indicator", "spec_version": "2.1",
                                    "id": format!("indicator--{:08x}-{:04x}-4000-8000-000000000000", seq, c),
                                    "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
                                    "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
                                    "valid_from": "2020-01-01T00:00:00Z"})
                            })
                            .collect();
                        let body = json!({"objects": objs}).to_string();
                        let r = client.request("POST", &path, Some(body.as_bytes()));
                        let ok = matches!(&r, Ok(r) if r.status == 202);
                        writes.push(t.elapsed().as_secs_f64() * 1000.0);
                        ok
                    } else {
                        let url = match cursors.len() {
                            0 => format!("{path}?limit=100"),
                            n => format!("{path}?limit=100&added_after={}", cursors[rng.below(n as u64) as usize]),
                        };
                        let r = client.request("GET", &url, None);
                        let ok = matches!(&r, Ok(r) if r.status == 200);
                        if let Ok(r) = &r
                            && let Some(last) = r.header("x-taxii-date-added-first")
                            && cursors.len() < 1000
                        {
                            cursors.push(last.to_string());
                        }
                        reads.push(t.elapsed().as_secs_f64() * 1000.0);
                        ok
                    };
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                (reads, writes)
            })
        })
        .collect();
    let (mut reads, mut writes) = (Vec::new(), Vec::new());
    for h in handles {
        let (r, w) = h.join().expect("client thread");
        reads.extend(r);
        writes.extend(w);
    }
    reads.sort_by(f64::total_cmp);
    writes.sort_by(f64::total_cmp);
    let mut all: Vec<f64> = reads.iter().chain(&writes).copied().collect();
    all.sort_by(f64::total_cmp);
    json!({
        "clients": clients, "seconds": seconds, "requests": all.len(), "errors": errors.load(Ordering::Relaxed),
        "requests_per_second": all.len() as f64 / seconds as f64,
        "p50_ms": percentile(&all, 0.5), "p99_ms": percentile(&all, 0.99), "max_ms": all.last().copied().unwrap_or(0.0),
        "reads": reads.len(), "read_p50_ms": percentile(&reads, 0.5), "read_p99_ms": percentile(&reads, 0.99),
        "writes": writes.len(), "write_p50_ms": percentile(&writes, 0.5), "write_p99_ms": percentile(&writes, 0.99),
    })
}
