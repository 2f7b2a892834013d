//! Attacks on the node's availability and on node-wide facts (issue 10, findings 2, 8, 9, 10):
//! reading `/metrics` without being an administrator, memory exhaustion by POST, connections
//! held open, and password guessing. Each test is the attack, bounded, against loopback.

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use serde_json::Value;

const DROPBOX: &str = "/api/collections/dropbox/objects/";

/// A minimal response.
struct Got {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<String> {
        self.head.split("\r\n").find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Connect to the node from a given loopback address (127.0.0.x: every one reaches the node).
fn connect_from(from: IpAddr, to: SocketAddr) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let s = rt.block_on(async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(SocketAddr::new(from, 0)).unwrap();
        sock.connect(to).await.unwrap()
    });
    let s = s.into_std().unwrap();
    s.set_nonblocking(false).unwrap();
    s
}

/// One request on a fresh connection from `from`, with the given extra header lines.
fn request(to: SocketAddr, from: &str, method: &str, path: &str, headers: &[String], body: &[u8]) -> Got {
    let mut s = connect_from(from.parse().unwrap(), to);
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\nAccept: {TAXII}\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    if method == "POST" {
        head.push_str(&format!("Content-Type: {TAXII}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no response: {raw:?}"));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    Got { status, head, body: raw[split + 4..].to_vec() }
}

fn basic(user: &str, password: &str) -> String {
    format!("Authorization: Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

fn get(node: &Node, path: &str, user: &str) -> Got {
    request(node.addr, "127.0.0.1", "GET", path, &[basic(user, PASSWORD)], b"")
}

/// Finding 2: node-wide facts (objects stored across every collection, other accounts'
/// activity) are for administrators only; health says only ok.
#[test]
fn metrics_are_for_administrators() {
    let node = node(pacto_taxii::ServerConfig::default());
    let anon = request(node.addr, "127.0.0.1", "GET", "/metrics", &[], b"");
    assert_eq!(anon.status, 401, "{}", anon.text());
    assert!(!anon.text().contains("pacto_objects_stored"));
    for user in ["reader", "writer", "dropper", "partner"] {
        let r = get(&node, "/metrics", user);
        assert_eq!(r.status, 403, "{user}: {}", r.text());
        assert!(!r.text().contains("pacto_"), "{user}");
    }
    let wrong = request(node.addr, "127.0.0.1", "GET", "/metrics", &[basic("admin", "nope")], b"");
    assert_eq!(wrong.status, 401);
    let admin = get(&node, "/metrics", "admin");
    assert_eq!(admin.status, 200);
    assert!(admin.text().contains("pacto_objects_stored"));
    // No metrics token configured: a bearer token opens nothing.
    let bearer = request(node.addr, "127.0.0.1", "GET", "/metrics", &["Authorization: Bearer x".into()], b"");
    assert_eq!(bearer.status, 401);
    let h = request(node.addr, "127.0.0.1", "GET", "/healthz", &[], b"");
    assert_eq!((h.status, h.json()), (200, serde_json::json!({"status": "ok"})));
}

/// Finding 8: 10 MB of `{}` is 3.4 million objects; the request is refused before any
/// per-object state is built, with a 413 that says why, and the API root advertises the cap.
#[test]
fn a_post_of_millions_of_empty_objects_is_refused() {
    let node = node(pacto_taxii::ServerConfig::default());
    let root = get(&node, "/api/", "dropper").json();
    assert_eq!(root["x_pacto_max_objects_per_request"], 10_000, "{root}");
    let mut body = b"{\"objects\":[".to_vec();
    while body.len() < 10 * 1024 * 1024 - 16 {
        body.extend_from_slice(b"{},");
    }
    body.extend_from_slice(b"{}]}");
    let started = Instant::now();
    let r = request(node.addr, "127.0.0.1", "POST", DROPBOX, &[basic("dropper", PASSWORD)], &body);
    assert_eq!(r.status, 413, "{}", r.text());
    let why = r.json()["description"].as_str().unwrap().to_string();
    assert!(why.contains("10000") || why.contains("10,000"), "{why}");
    assert!(started.elapsed() < Duration::from_secs(20), "refused quickly: {:?}", started.elapsed());
}

/// Finding 8: a POST under the cap still answers a bounded status: 3,000 invalid objects are
/// all counted, 1,000 listed in full, and the status kept for polling is the same.
#[test]
fn status_resources_are_bounded() {
    let node = node(pacto_taxii::ServerConfig::default());
    let body = format!("{{\"objects\":[{}{{}}]}}", "{},".repeat(2999)).into_bytes();
    let r = request(node.addr, "127.0.0.1", "POST", DROPBOX, &[basic("dropper", PASSWORD)], &body);
    assert_eq!(r.status, 202, "{}", r.text());
    let s = r.json();
    assert_eq!((s["total_count"].as_u64(), s["failure_count"].as_u64()), (Some(3000), Some(3000)));
    assert_eq!(s["success_count"], 0);
    assert_eq!(s["failures"].as_array().unwrap().len(), 1000);
    assert_eq!(s["x_pacto_failures_omitted"], 2000);
    let polled = get(&node, &format!("/api/status/{}/", s["id"].as_str().unwrap()), "dropper").json();
    assert_eq!(polled, s);
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// Finding 10: a flood of wrong passwords from one address is answered 429 (with Retry-After)
/// without running argon2 each time; the real user, from another address, still gets in.
#[test]
fn password_guessing_is_throttled() {
    let node = node(pacto_taxii::ServerConfig::default());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood: Vec<_> = (0..8)
        .map(|t| {
            let (addr, stop) = (node.addr, stop.clone());
            std::thread::spawn(move || {
                let (mut n429, mut n401, mut retry_after) = (0, 0, None);
                for i in 0..40 {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) && i >= 20 {
                        break;
                    }
                    let user = if t % 2 == 0 { "admin" } else { "nosuchuser" };
                    let r = request(addr, "127.0.0.1", "GET", "/taxii2/", &[basic(user, &format!("guess{i}"))], b"");
                    match r.status {
                        429 => {
                            n429 += 1;
                            retry_after = r.header("retry-after");
                        }
                        401 => n401 += 1,
                        s => panic!("unexpected {s}: {}", r.text()),
                    }
                }
                (n429, n401, retry_after)
            })
        })
        .collect();
    // During the flood, the real administrator from another address.
    std::thread::sleep(Duration::from_millis(300));
    let mut legit = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let r = request(node.addr, "127.0.0.2", "GET", "/taxii2/", &[basic("admin", PASSWORD)], b"");
        assert_eq!(r.status, 200, "the real user is not locked out: {}", r.text());
        legit.push(started.elapsed());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut n429, mut n401) = (0, 0);
    for f in flood {
        let (a, b, retry) = f.join().unwrap();
        n429 += a;
        n401 += b;
        if a > 0 {
            let secs: u64 = retry.expect("429 carries Retry-After").parse().unwrap();
            assert!(secs >= 1);
        }
    }
    eprintln!("flood: {n429} throttled, {n401} refused; legitimate logins took {legit:?}");
    assert!(n429 > 0, "the flood is throttled ({n401} wrong passwords checked)");
    let m = request(node.addr, "127.0.0.2", "GET", "/metrics", &[basic("admin", PASSWORD)], b"").text();
    assert!(metric(&m, "pacto_logins_throttled_total") >= n429);
    // argon2 ran for at most the free attempts of each key plus one per backoff step, never
    // once per guess.
    let checks = metric(&m, "pacto_password_checks_total");
    assert!(checks <= 40, "argon2 ran {checks} times for {} guesses", n429 + n401);
}

fn limited(limits: pacto_taxii::server::Limits) -> Node {
    node(pacto_taxii::ServerConfig { limits, ..pacto_taxii::ServerConfig::default() })
}

/// Whether the node has closed this connection (EOF, or reset), looking for up to `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // a 408 or similar before the close
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// Finding 9: 300 idle connections from one address (cap 64 per address): those past the cap
/// are closed at once, and a legitimate request from another address still succeeds.
#[test]
fn held_connections_cannot_starve_others() {
    let node = limited(pacto_taxii::server::Limits {
        max_connections_per_address: 64,
        max_connections: 1000,
        ..Default::default()
    });
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let mut held: Vec<TcpStream> = (0..300).map(|_| connect_from(local, node.addr)).collect();
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let r = request(node.addr, "127.0.0.2", "GET", "/taxii2/", &[basic("admin", PASSWORD)], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    eprintln!("legitimate request beside 300 held connections: {:?}", started.elapsed());
    let open = held.iter_mut().map(|s| !closed_within(s, Duration::from_millis(20))).filter(|open| *open).count();
    assert!(open <= 64, "{open} connections held from one address");
    drop(held);
    // The address gets its slots back once its connections close.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(&node, "/taxii2/", "admin").status, 200);
}

/// Finding 9: the global cap holds too (here 50), and slots come back when connections close.
#[test]
fn the_global_connection_cap_holds() {
    let node = limited(pacto_taxii::server::Limits {
        max_connections_per_address: 1000,
        max_connections: 50,
        ..Default::default()
    });
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let mut held: Vec<TcpStream> = (0..120).map(|_| connect_from(local, node.addr)).collect();
    std::thread::sleep(Duration::from_millis(500));
    let open = held.iter_mut().map(|s| !closed_within(s, Duration::from_millis(20))).filter(|open| *open).count();
    assert!(open <= 50, "{open} connections open");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(get(&node, "/taxii2/", "admin").status, 200);
}

/// Finding 9: half a request head is closed after the header timeout; a silent connection
/// and an idle keep-alive connection after the idle timeout.
#[test]
fn slow_and_idle_connections_are_closed() {
    let node = limited(pacto_taxii::server::Limits {
        header_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(2),
        ..Default::default()
    });
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let mut half = connect_from(local, node.addr);
    half.write_all(format!("GET /taxii2/ HTTP/1.1\r\nHost: {}\r\n", node.addr).as_bytes()).unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut half, Duration::from_secs(10)), "half a head is not held forever");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(800) && took < Duration::from_secs(3), "closed after {took:?}");

    let mut silent = connect_from(local, node.addr);
    let started = Instant::now();
    assert!(closed_within(&mut silent, Duration::from_secs(10)));
    assert!(started.elapsed() < Duration::from_secs(4), "silent connection closed after {:?}", started.elapsed());

    // A complete request on a keep-alive connection, then silence.
    let mut kept = connect_from(local, node.addr);
    kept.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", node.addr).as_bytes()).unwrap();
    let mut buf = [0u8; 1024];
    let n = kept.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    assert!(closed_within(&mut kept, Duration::from_secs(10)));
    assert!(started.elapsed() < Duration::from_secs(5), "idle keep-alive closed after {:?}", started.elapsed());
}

/// A body sent slowly once its head is in: answered 408 after `body_timeout`, not held.
#[test]
fn a_slow_body_is_answered_408() {
    let node = limited(pacto_taxii::server::Limits { body_timeout: Duration::from_secs(1), ..Default::default() });
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let mut slow = connect_from(local, node.addr);
    let head = format!(
        "POST /api/collections/intel/objects/ HTTP/1.1\r\nHost: {}\r\n{}\r\nAccept: {TAXII}\r\nContent-Type: {TAXII}\r\nContent-Length: 1000\r\n\r\n{{\"objects\": [",
        node.addr,
        basic("writer", PASSWORD)
    );
    slow.write_all(head.as_bytes()).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut buf = [0u8; 2048];
    let n = slow.read(&mut buf).unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 1 s"), "{answer}");
}
