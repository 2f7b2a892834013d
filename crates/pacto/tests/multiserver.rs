//! Several servers, one PostgreSQL database: three `pacto serve` processes share a node's data;
//! 64 clients spread over them write and page for a while (60 s, or
//! `PACTO_MULTISERVER_SECONDS`); one server is killed with SIGKILL part-way. Then: no
//! acknowledged write is lost, no pager ever saw a version twice or out of order (its cursor
//! moving from server to server), and detection and sync go on in a survivor.
//!
//! Skipped (with a message) without PostgreSQL, unless `PACTO_REQUIRE_POSTGRES=1`.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pacto_store::testing::TestDatabase;
use pacto_testkit::http::Client;
use serde_json::{Value, json};

const PASSWORD: &str = "multi-server-password";

/// A server: its process and address.
struct Server {
    child: Child,
    addr: String,
}

fn serve(data: &Path, db: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pacto"))
        .env("PACTO_DATA_DIR", data)
        .env("PACTO_DATABASE", db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = common::listening(&mut child);
    Server { child, addr }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn indicator(n: u64) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{:08x}-0000-4000-8000-{n:012x}", n >> 48),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": format!("[ipv4-addr:value = '10.{}.{}.{}']", (n >> 16) & 255, (n >> 8) & 255, n & 255),
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
}

fn get(c: &mut Client, path: &str) -> Option<Value> {
    let r = c.request("GET", path, None).ok()?;
    (r.status == 200).then(|| serde_json::from_slice(&r.body).unwrap())
}

/// Wait up to `secs` for `check`.
fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    false
}

#[test]
fn three_servers_one_database_one_killed() {
    let Some(db) = TestDatabase::postgres("multiserver") else { return };
    let url = db.url();
    let seconds: u64 = std::env::var("PACTO_MULTISERVER_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    for c in ["intel", "observed"] {
        common::pacto_on(&data, &url, &["collections", "create", c], None);
    }
    common::pacto_on(
        &data,
        &url,
        &["user", "add", "load", "--read", "*", "--write", "*"],
        Some(&format!("{PASSWORD}\n")),
    );
    common::pacto_on(&data, &url, &["detect", "setup", "--indicators", "intel", "--observations", "observed"], None);

    // A partner node (SQLite) that grants us a collection, for sync.
    let mx_data = dir.path().join("mx");
    let mx_db = format!("sqlite:{}", mx_data.join("pacto.db").display());
    common::pacto_on(&mx_data, &mx_db, &["collections", "create", "shared"], None);
    let agreement = dir.path().join("us.toml");
    std::fs::write(
        &agreement,
        "partner = \"us\"\n[[share]]\ncollection = \"shared\"\nmax_tlp = \"clear\"\ninclude_unmarked = true\n",
    )
    .unwrap();
    let added = common::pacto_on(
        &mx_data,
        &mx_db,
        &["partner", "add", "us", "--basic", "--agreement", agreement.to_str().unwrap()],
        None,
    );
    let us_password = added.lines().find(|l| l.contains("shown only now")).unwrap().rsplit(' ').next().unwrap();
    let mx = serve(&mx_data, &mx_db, &[]);
    common::pacto_on(
        &data,
        &url,
        &["partner", "connect", "mx", "--url", &format!("http://{}/api/", mx.addr), "--user", "us"],
        Some(&format!("{us_password}\n")),
    );

    let servers: Vec<Server> = (0..3).map(|_| serve(&data, &url, &["--sync-interval", "1"])).collect();
    let addrs: Vec<String> = servers.iter().map(|s| s.addr.clone()).collect();
    let servers = Arc::new(Mutex::new(servers.into_iter().map(Some).collect::<Vec<_>>()));
    let dead = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(HashSet::<String>::new()));
    let next_id = Arc::new(AtomicUsize::new(1));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let path = "/api/collections/intel/objects/";

    let clients: Vec<_> = (0..64usize)
        .map(|i| {
            let (addrs, dead, acknowledged, next_id) =
                (addrs.clone(), dead.clone(), acknowledged.clone(), next_id.clone());
            std::thread::spawn(move || {
                let mut at = i % 3;
                let mut client = Client::new(&addrs[at], Some(("load", PASSWORD)));
                // This client's pager: its cursor, and every (id, version) it was served.
                let mut cursor: Option<String> = None;
                let mut seen = HashSet::new();
                let mut last_added = String::new();
                let mut step = 0u64;
                while Instant::now() < deadline {
                    step += 1;
                    let ok = if (step + i as u64).is_multiple_of(5) {
                        let first = next_id.fetch_add(10, Ordering::Relaxed) as u64;
                        let objs: Vec<Value> = (first..first + 10).map(indicator).collect();
                        let body = json!({"objects": objs}).to_string();
                        match client.request("POST", path, Some(body.as_bytes())) {
                            Ok(r) if r.status == 202 => {
                                let status: Value = serde_json::from_slice(&r.body).unwrap();
                                let mut ack = acknowledged.lock().unwrap();
                                for s in status["successes"].as_array().unwrap() {
                                    ack.insert(s["id"].as_str().unwrap().to_string());
                                }
                                true
                            }
                            Ok(r) => panic!("POST answered {}: {}", r.status, String::from_utf8_lossy(&r.body)),
                            Err(_) => false,
                        }
                    } else {
                        // `next` while more follow; at the end, `added_after` the last date_added.
                        let q = match &cursor {
                            Some(c) => format!("{path}?limit=50&{c}"),
                            None => format!("{path}?limit=50"),
                        };
                        match client.request("GET", &q, None) {
                            Ok(r) if r.status == 200 => {
                                let page: Value = serde_json::from_slice(&r.body).unwrap();
                                for o in page["objects"].as_array().into_iter().flatten() {
                                    let key = (o["id"].as_str().unwrap().to_string(), o["modified"].to_string());
                                    assert!(seen.insert(key.clone()), "client {i} was served {key:?} twice");
                                }
                                let added = r.header("x-taxii-date-added-last").unwrap_or_default().to_string();
                                if !added.is_empty() {
                                    // an empty page names the position asked for (docs/interop.md)
                                    assert!(added >= last_added, "client {i}: date_added went back");
                                    last_added = added.clone();
                                }
                                match page["next"].as_str() {
                                    Some(n) if page["more"] == true => cursor = Some(format!("next={n}")),
                                    _ if !added.is_empty() => cursor = Some(format!("added_after={added}")),
                                    _ => {}
                                }
                                true
                            }
                            Ok(r) => panic!("GET answered {}: {}", r.status, String::from_utf8_lossy(&r.body)),
                            Err(_) => false,
                        }
                    };
                    if !ok {
                        // The server went away: carry on at the next one, cursor and all.
                        assert!(dead.load(Ordering::SeqCst), "client {i}: a request failed with every server up");
                        at = (at + 1) % 3;
                        client = Client::new(&addrs[at], Some(("load", PASSWORD)));
                    }
                }
                seen.len()
            })
        })
        .collect();

    // Part-way, the first server (which leads sync and detection: it started first) dies.
    std::thread::sleep(Duration::from_secs(seconds / 3));
    dead.store(true, Ordering::SeqCst);
    let mut victim = servers.lock().unwrap()[0].take().unwrap();
    Command::new("kill").args(["-KILL", &victim.child.id().to_string()]).status().unwrap();
    let _ = victim.child.wait();
    let served: usize = clients.into_iter().map(|c| c.join().expect("a client failed")).sum();
    assert!(served > 0);

    // Every acknowledged write is there, read through a survivor by a fresh pager.
    let mut c = Client::new(&addrs[1], Some(("load", PASSWORD)));
    let mut stored = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(n) => format!("{path}?limit=1000&next={n}"),
            None => format!("{path}?limit=1000"),
        };
        let page = get(&mut c, &q).expect("a survivor answers");
        for o in page["objects"].as_array().into_iter().flatten() {
            assert!(stored.insert(o["id"].as_str().unwrap().to_string()), "a version served twice");
        }
        match page["next"].as_str() {
            Some(n) if page["more"] == true => cursor = Some(n.to_string()),
            _ => break,
        }
    }
    let acknowledged = acknowledged.lock().unwrap();
    let lost: Vec<_> = acknowledged.difference(&stored).take(5).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost, e.g. {lost:?}",
        acknowledged.len() - stored.len().min(acknowledged.len())
    );

    // Detection goes on in a survivor: an observation of a written indicator is sighted.
    let observed = json!({"objects": [
        {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000001", "value": "10.0.0.1"},
        {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--00000000-0000-4000-8000-0000000000b2",
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
         "first_observed": "2026-01-01T00:00:00Z", "last_observed": "2026-01-01T00:00:00Z", "number_observed": 1,
         "object_refs": ["ipv4-addr--00000000-0000-4000-8000-000000000001"]}]});
    let r = c.request("POST", "/api/collections/observed/objects/", Some(observed.to_string().as_bytes())).unwrap();
    assert_eq!(r.status, 202);
    let sighted = eventually(30, || {
        get(&mut c, "/api/collections/sightings/objects/?match[type]=sighting")
            .is_some_and(|p| p["objects"].as_array().is_some_and(|o| !o.is_empty()))
    });
    assert!(sighted, "no survivor took over detection");

    // Sync goes on in a survivor: what mx adds arrives in inbound.mx.
    let shared = json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--6d6f7265-0000-4000-8000-000000000001",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "pattern": "[ipv4-addr:value = '192.0.2.1']",
        "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"});
    let file = dir.path().join("shared.json");
    std::fs::write(&file, shared.to_string()).unwrap();
    common::pacto_on(&mx_data, &mx_db, &["import", "--create", file.to_str().unwrap(), "-c", "shared"], None);
    let synced = eventually(30, || {
        get(&mut c, "/api/collections/inbound.mx/objects/")
            .is_some_and(|p| p["objects"].as_array().is_some_and(|o| o.iter().any(|o| o["id"] == shared["id"])))
    });
    assert!(synced, "no survivor took over sync");
    let counts: HashMap<&str, usize> = HashMap::from([("acknowledged", acknowledged.len()), ("stored", stored.len())]);
    eprintln!("multi-server: {counts:?}, pages served to clients: {served} versions");
    drop(mx);
}
