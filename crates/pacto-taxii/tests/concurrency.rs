//! Pages read while writers insert never skip or repeat an object: a reader follows `next`
//! (and keeps polling from its last cursor, as a syncing partner does) while three writers
//! POST; afterwards it has seen every object exactly once, in date_added order.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use pacto_taxii::ServerConfig;

const OBJ: &str = "/api/collections/intel/objects/";

#[test]
fn paging_during_writes_neither_skips_nor_repeats() {
    let node = Arc::new(node(ServerConfig::default()));
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3u32)
        .map(|w| {
            let node = node.clone();
            std::thread::spawn(move || {
                for batch in 0..25u32 {
                    let objs: Vec<_> =
                        (0..20u32).map(|i| indicator(w << 20 | batch << 8 | i, "2020-01-01T00:00:00.000Z")).collect();
                    let r = send(&node, Req::post(OBJ, "admin", &envelope(&objs)));
                    assert_eq!(r.status, 202, "{}", r.text());
                    assert_eq!(r.json()["success_count"], 20);
                }
            })
        })
        .collect();
    let reader = {
        let node = node.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut seen: Vec<String> = Vec::new();
            // Follow `next` within a run of pages; between runs, continue with added_after set
            // to the X-TAXII-Date-Added-Last of the last page that had objects.
            let mut next: Option<String> = None;
            let mut added_after: Option<String> = None;
            loop {
                let finished = done.load(Ordering::SeqCst);
                let mut q = "?limit=25".to_string();
                if let Some(n) = &next {
                    q.push_str(&format!("&next={n}"));
                } else if let Some(a) = &added_after {
                    q.push_str(&format!("&added_after={a}"));
                }
                let resp = send(&node, Req::get(&format!("{OBJ}{q}"), "reader"));
                if let Some(last) = resp.header("x-taxii-date-added-last") {
                    added_after = Some(last.to_string());
                }
                let page = resp.json();
                if let Some(objs) = page["objects"].as_array() {
                    seen.extend(objs.iter().map(|o| o["id"].as_str().unwrap().to_string()));
                }
                next = page["next"].as_str().map(str::to_string);
                if page["more"] != true {
                    if finished {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
            seen
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.join().unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an object was served twice");
    assert_eq!(seen.len(), 3 * 25 * 20, "an object was skipped");
    // and in the store's date_added order
    let conn = rusqlite_order(&node);
    assert_eq!(seen, conn);
}

fn rusqlite_order(node: &Node) -> Vec<String> {
    use pacto_store::Query;
    let s = node.store();
    let c = s.collection("intel").unwrap().unwrap();
    let mut ids = Vec::new();
    s.scan(&c, &Query::default(), &mut |o| {
        ids.push(o.id);
        Ok(())
    })
    .unwrap();
    ids
}

/// Many clients POST at once: requests are stored together (group commit), and each still gets
/// exactly its own outcomes; nothing acknowledged is missing from the store.
#[test]
fn concurrent_posts_are_committed_together_with_their_own_outcomes() {
    let node = Arc::new(node(ServerConfig::default()));
    let clients: Vec<_> = (0..16u32)
        .map(|w| {
            let node = node.clone();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for req in 0..15u32 {
                    let mut objs: Vec<_> = (0..4u32)
                        .map(|i| indicator(0x100000 | w << 12 | req << 4 | i, "2020-01-01T00:00:00.000Z"))
                        .collect();
                    // One shared object every client sends (added once, unchanged after), and
                    // one invalid object.
                    objs.push(indicator(7, "2020-01-01T00:00:00.000Z"));
                    let mut bad = indicator(0x200000 | w << 12 | req, "2020-01-01T00:00:00.000Z");
                    bad["created"] = serde_json::json!("yesterday");
                    objs.push(bad);
                    let r = send(&node, Req::post(OBJ, "admin", &envelope(&objs)));
                    assert_eq!(r.status, 202, "{}", r.text());
                    let s = r.json();
                    assert_eq!((s["success_count"].as_u64(), s["failure_count"].as_u64()), (Some(5), Some(1)), "{s}");
                    let ids: Vec<String> = s["successes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["id"].as_str().unwrap().to_string())
                        .collect();
                    let want: Vec<String> = objs[..5].iter().map(|o| o["id"].as_str().unwrap().to_string()).collect();
                    assert_eq!(ids, want, "a request's successes are its own objects, in order");
                    acked.extend(ids);
                }
                acked
            })
        })
        .collect();
    let mut acked: HashSet<String> = HashSet::new();
    for c in clients {
        acked.extend(c.join().unwrap());
    }
    let stored: HashSet<String> = rusqlite_order(&node).into_iter().collect();
    assert_eq!(acked.len(), 16 * 15 * 4 + 1);
    assert_eq!(stored, acked, "every acknowledged object is stored, and nothing else");
    let m = send(&node, Req::get("/metrics", "admin")).text();
    let value = |name: &str| -> u64 {
        m.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).and_then(|v| v.parse().ok()).unwrap()
    };
    assert_eq!(value("pacto_post_committed_requests_total"), 16 * 15);
    assert!(value("pacto_post_commits_total") <= 16 * 15);
}
