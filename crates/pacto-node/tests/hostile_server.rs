//! Sync against a hostile partner server. The fake partner is a plain `TcpListener` on loopback
//! that writes raw bytes (it is the attacker); sync runs in this test process, so a panic or an
//! abort in the client would take the test binary down. In every case: the process stays up,
//! sync ends with an error that says what happened, nothing of the bad page is stored, local
//! collections do not change, and the sync cursor never passes what was stored.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pacto_node::client::ClientLimits;
use pacto_node::sync::{SyncError, SyncOptions, SyncReport, sync_partner_with};
use pacto_stix::{SpecVersion, StixObject};
use pacto_store::{Incoming, Query, Remote, SqliteStore, Versions, prelude::*};
use serde_json::{Value, json};

const PAGE: usize = 50;
/// The first page's objects were added at these times; the cursor after it is `T1B`.
const T1A: &str = "2026-01-01T00:00:01.000000Z";
const T1B: &str = "2026-01-01T00:00:02.000000Z";
const T2A: &str = "2026-01-01T00:00:03.000000Z";
const T2B: &str = "2026-01-01T00:00:04.000000Z";
const T3: &str = "2026-01-01T00:00:05.000000Z";
const T0: &str = "2025-12-31T00:00:00.000000Z";

fn indicator(n: u32, name: &str) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f"),
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "name": name,
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"})
}

fn manifest_entry(n: u32, date_added: &str) -> Value {
    json!({"id": format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f"), "version": "2026-01-01T00:00:00.000Z",
        "date_added": date_added, "media_type": "application/stix+json;version=2.1"})
}

/// What the fake partner does to a request after the good first page.
#[derive(Clone, Copy, Debug)]
enum Attack {
    HugeChunk,
    EndlessBody,
    SlowDrip,
    InvalidJson,
    HugeContentLength,
    RedirectLoop,
    WrongContentType,
    ManifestDisagrees,
    CursorJumpsPastUndelivered,
    MoreWithoutCursor,
    CursorRepeats,
    CursorGoesBack,
    HundredThousandObjects,
    CollidingIds,
    NeverAnswers,
    ServerError,
}

struct Request {
    path: String,
}

fn read_request(s: &mut TcpStream) -> Option<Request> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 65536 || s.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split(' ').nth(1)?.to_string();
    Some(Request { path })
}

fn respond(s: &mut TcpStream, status: &str, content_type: &str, extra: &[(&str, &str)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(body);
}

const TAXII: &str = "application/taxii+json;version=2.1";

fn taxii(s: &mut TcpStream, body: &Value, extra: &[(&str, &str)]) {
    respond(s, "200 OK", TAXII, extra, body.to_string().as_bytes());
}

/// The fake partner; returns its API root URL and how many requests it saw.
fn partner(attack: Attack) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n > 200 {
                return; // bounded: a client in a loop ends here
            }
            std::thread::spawn(move || {
                let Some(req) = read_request(&mut s) else { return };
                serve(attack, &req, &mut s, addr);
            });
        }
    });
    (format!("http://{addr}/api/"), hits)
}

fn serve(attack: Attack, req: &Request, s: &mut TcpStream, addr: std::net::SocketAddr) {
    let path = req.path.as_str();
    if path.starts_with("/api/collections/?") || path == "/api/collections/" {
        return taxii(
            s,
            &json!({"collections": [{"id": "c1", "title": "shared", "can_read": true, "can_write": false}]}),
            &[],
        );
    }
    let manifest = path.starts_with("/api/collections/c1/manifest/");
    let first = !path.contains("added_after=");
    if first {
        // The good first page: two objects, cursor T1B, more to come.
        return if manifest {
            taxii(s, &json!({"more": true, "objects": [manifest_entry(1, T1A), manifest_entry(2, T1B)]}), &[])
        } else {
            taxii(
                s,
                &json!({"more": true, "objects": [indicator(1, "one"), indicator(2, "two")]}),
                &[("X-TAXII-Date-Added-First", T1A), ("X-TAXII-Date-Added-Last", T1B)],
            )
        };
    }
    let page2 = |s: &mut TcpStream, objects: Vec<Value>, entries: Vec<Value>, more: bool, last: Option<&str>| {
        if manifest {
            taxii(s, &json!({"more": more, "objects": entries}), &[]);
        } else {
            let h: Vec<(&str, &str)> = last.map(|l| ("X-TAXII-Date-Added-Last", l)).into_iter().collect();
            taxii(s, &json!({"more": more, "objects": objects}), &h);
        }
    };
    match attack {
        Attack::HugeChunk => {
            let _ = s.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Type: {TAXII}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{{\"objects\": [")
                    .as_bytes(),
            );
            // Then as much of the promised chunk as the client takes (bounded: 4 GiB).
            let filler = vec![b' '; 0x10000];
            for _ in 0..65536 {
                if s.write_all(&filler).is_err() {
                    return;
                }
            }
        }
        Attack::EndlessBody => {
            let _ = s.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Type: {TAXII}\r\nTransfer-Encoding: chunked\r\n\r\n").as_bytes(),
            );
            let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
            // Until the client hangs up (bounded: 4 GiB).
            for _ in 0..65536 {
                if s.write_all(chunk.as_bytes()).is_err() {
                    return;
                }
            }
        }
        Attack::SlowDrip => {
            let _ = s.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Type: {TAXII}\r\nContent-Length: 100000\r\n\r\n").as_bytes(),
            );
            for _ in 0..200 {
                std::thread::sleep(Duration::from_millis(100));
                if s.write_all(b" ").is_err() {
                    return;
                }
            }
        }
        Attack::InvalidJson => respond(
            s,
            "200 OK",
            TAXII,
            &[("X-TAXII-Date-Added-Last", T2B)],
            b"{\"more\": false, \"objects\": [{\"type\": ",
        ),
        Attack::HugeContentLength => {
            let _ = s.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {TAXII}\r\nContent-Length: 10000000000\r\n\r\n{{\"objects\": ["
                )
                .as_bytes(),
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        Attack::RedirectLoop => {
            let location = format!("http://{addr}{path}");
            respond(s, "302 Found", "text/plain", &[("Location", &location)], b"");
        }
        Attack::WrongContentType => {
            respond(s, "200 OK", "text/html", &[("X-TAXII-Date-Added-Last", T2B)], b"<html><body>hello</body></html>")
        }
        Attack::ManifestDisagrees => page2(
            s,
            vec![indicator(3, "three"), indicator(4, "four")],
            vec![manifest_entry(3, T2A), manifest_entry(5, T2B)],
            false,
            Some(T2B),
        ),
        Attack::CursorJumpsPastUndelivered => {
            page2(s, vec![indicator(3, "three")], vec![manifest_entry(3, T2A), manifest_entry(4, T2B)], false, Some(T3))
        }
        Attack::MoreWithoutCursor => page2(s, vec![indicator(3, "three")], vec![manifest_entry(3, T2A)], true, None),
        Attack::CursorRepeats => page2(s, vec![indicator(3, "three")], vec![manifest_entry(3, T2A)], true, Some(T1B)),
        Attack::CursorGoesBack => page2(s, vec![indicator(3, "three")], vec![manifest_entry(3, T2A)], true, Some(T0)),
        Attack::HundredThousandObjects => {
            let objects: Vec<Value> = (3..100_003).map(|n| indicator(n, "many")).collect();
            let entries: Vec<Value> = (3..100_003).map(|n| manifest_entry(n, T2A)).collect();
            page2(s, objects, entries, false, Some(T2B))
        }
        Attack::CollidingIds => page2(
            s,
            // Same id and version as the receiver's local object 7, different content; and
            // object 1 again, also with different content.
            vec![indicator(7, "the partner's version"), indicator(1, "changed")],
            vec![manifest_entry(7, T2A), manifest_entry(1, T2B)],
            false,
            Some(T2B),
        ),
        Attack::NeverAnswers => std::thread::sleep(Duration::from_secs(20)),
        Attack::ServerError => respond(s, "500 Internal Server Error", "text/plain", &[], b"database on fire"),
    }
}

struct Receiver {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

/// A receiving node with a local collection `intel` holding indicator 7.
fn receiver() -> Receiver {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("pacto.db")).unwrap();
    let c = store.create_collection("intel", "intel", None).unwrap();
    let obj = StixObject::from_value(indicator(7, "ours")).unwrap();
    store.add_batch(&c, &[Incoming::new(&obj, SpecVersion::V21)]).unwrap();
    Receiver { store, _dir: dir }
}

fn snapshot(store: &SqliteStore, name: &str) -> Vec<(String, String, String)> {
    let Some(c) = store.collection(name).unwrap() else { return Vec::new() };
    let mut out = Vec::new();
    let q = Query { versions: Versions::all(), ..Query::default() };
    store
        .scan(&c, &q, &mut |o| {
            out.push((o.id, o.version, o.raw));
            Ok(())
        })
        .unwrap();
    out
}

fn limits() -> ClientLimits {
    ClientLimits {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(3),
        max_response_bytes: 1 << 20,
        retries: 2,
        retry_backoff: Duration::from_millis(20),
        max_retry_wait: Duration::from_secs(1),
    }
}

/// These partners model plain TAXII servers, which send no receipts (a pacto partner's are
/// checked in the federation tests and in the test below).
fn sync(r: &mut Receiver, api_root: &str, limits: ClientLimits) -> Result<SyncReport, SyncError> {
    sync_requiring(r, api_root, limits, false)
}

fn sync_requiring(
    r: &mut Receiver,
    api_root: &str,
    limits: ClientLimits,
    require_receipts: bool,
) -> Result<SyncReport, SyncError> {
    let remote = Remote {
        partner: "mx".into(),
        api_root: api_root.into(),
        username: "us".into(),
        password: "pw".into(),
        ca_file: None,
        fingerprint: None,
    };
    let opts = SyncOptions { page_size: PAGE, limits, require_receipts, ..SyncOptions::default() };
    sync_partner_with(&mut r.store, &remote, &opts)
}

/// Run one attack: sync fails with an error containing every one of `words`, only the good
/// first page is stored, the cursor stays at it, and the local collection is untouched.
fn attack(a: Attack, words: &[&str]) {
    attack_with(a, limits(), words)
}

fn attack_with(a: Attack, limits: ClientLimits, words: &[&str]) {
    let mut r = receiver();
    let local = snapshot(&r.store, "intel");
    let (url, _) = partner(a);
    let started = Instant::now();
    let err = match sync(&mut r, &url, limits) {
        Ok(report) => panic!("{a:?}: sync succeeded: {report:?}"),
        Err(e) => e.to_string(),
    };
    eprintln!("{a:?}: {err}");
    // A guard against hanging, not a timing claim: the limits end every attack long before this.
    assert!(started.elapsed() < Duration::from_secs(120), "{a:?} took {:?}", started.elapsed());
    for w in words {
        assert!(err.contains(w), "{a:?}: {w:?} not in the error: {err}");
    }
    // Nothing of the bad page, the good page whole, the cursor at the good page.
    let inbound = snapshot(&r.store, "inbound.mx");
    let ids: Vec<&str> = inbound.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["indicator--00000001-17d4-4cbf-938f-98ee46b3cd3f", "indicator--00000002-17d4-4cbf-938f-98ee46b3cd3f"],
        "{a:?}"
    );
    assert_eq!(r.store.sync_cursor("mx", "c1").unwrap().as_deref(), Some(T1B), "{a:?}");
    assert_eq!(snapshot(&r.store, "intel"), local, "{a:?}: a local collection changed");
}

#[test]
fn huge_chunk_size() {
    attack(Attack::HugeChunk, &["mx", "larger than 1 MiB"]);
}

#[test]
fn endless_body() {
    attack(Attack::EndlessBody, &["mx", "larger than 1 MiB"]);
}

#[test]
fn slow_drip_body() {
    attack(Attack::SlowDrip, &["mx", "did not finish answering within 3 s"]);
}

#[test]
fn invalid_json() {
    attack(Attack::InvalidJson, &["mx", "not a TAXII envelope"]);
}

#[test]
fn ten_gigabyte_content_length() {
    attack(Attack::HugeContentLength, &["mx", "10000000000 bytes", "larger than 1 MiB"]);
}

#[test]
fn redirect_loop() {
    attack(Attack::RedirectLoop, &["mx", "302", "redirects are not followed"]);
}

#[test]
fn wrong_content_type() {
    attack(Attack::WrongContentType, &["mx", "text/html"]);
}

#[test]
fn manifest_disagrees_with_objects() {
    attack(Attack::ManifestDisagrees, &["mx", "manifest", "indicator--00000004"]);
}

#[test]
fn cursor_jumps_past_undelivered_objects() {
    attack(Attack::CursorJumpsPastUndelivered, &["mx", "indicator--00000004", "did not deliver"]);
}

#[test]
fn more_without_cursor() {
    attack(Attack::MoreWithoutCursor, &["mx", "X-TAXII-Date-Added-Last"]);
}

#[test]
fn cursor_repeats() {
    attack(Attack::CursorRepeats, &["mx", "did not advance"]);
}

#[test]
fn cursor_goes_back() {
    attack(Attack::CursorGoesBack, &["mx", "did not advance"]);
}

#[test]
fn hundred_thousand_objects_in_a_page() {
    // The fake partner takes a while to write 100,000 objects in a debug build.
    let big = ClientLimits {
        max_response_bytes: 64 << 20,
        read_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(10),
        ..limits()
    };
    attack_with(Attack::HundredThousandObjects, big, &["mx", "100000 objects", "at most 50"]);
}

#[test]
fn never_answers() {
    attack(Attack::NeverAnswers, &["mx", "did not answer within 1 s"]);
}

#[test]
fn server_errors_are_retried_then_reported() {
    let mut r = receiver();
    let (url, hits) = partner(Attack::ServerError);
    let err = sync(&mut r, &url, limits()).unwrap_err().to_string();
    assert!(err.contains("mx answered 500") && err.contains("database on fire"), "{err}");
    // The collections list, the first page's objects and manifest, then page 2: 1 + 2 retries.
    assert_eq!(hits.load(Ordering::SeqCst), 3 + 3);
    assert_eq!(r.store.sync_cursor("mx", "c1").unwrap().as_deref(), Some(T1B));
}

#[test]
fn colliding_ids_stay_in_the_inbound_collection() {
    let mut r = receiver();
    let local = snapshot(&r.store, "intel");
    let (url, _) = partner(Attack::CollidingIds);
    let report = sync(&mut r, &url, limits()).unwrap();
    // The partner's object 7 lands beside ours, in inbound.mx; its second "version" of object 1
    // (same id and modified, other content) is refused, not stored over the first.
    assert_eq!(report.added, 3, "{report:?}");
    assert_eq!(report.rejected, 1, "{report:?}");
    assert_eq!(snapshot(&r.store, "intel"), local);
    let inbound = snapshot(&r.store, "inbound.mx");
    assert!(inbound.iter().any(|(id, _, raw)| id.contains("00000001") && raw.contains("\"one\"")));
    assert!(!inbound.iter().any(|(_, _, raw)| raw.contains("changed")));
    assert_eq!(r.store.sync_cursor("mx", "c1").unwrap().as_deref(), Some(T2B));
}

#[test]
fn connection_refused_is_said_in_words() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut r = receiver();
    let started = Instant::now();
    let err = sync(&mut r, &format!("http://127.0.0.1:{port}/api/"), limits()).unwrap_err().to_string();
    assert!(err.contains("could not connect to mx") && err.contains("refused"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(r.store.sync_cursor("mx", "c1").unwrap(), None);
}

/// A partner whose answers come without receipts (or with one that is not a receipt) is not
/// taken at its word when receipts are required (the default): nothing of it is stored.
#[test]
fn answers_without_a_valid_receipt_are_refused() {
    let mut r = receiver();
    let (url, _) = partner(Attack::CollidingIds);
    let err = sync_requiring(&mut r, &url, limits(), true).unwrap_err().to_string();
    assert!(err.contains("without a receipt") && err.contains("not-required"), "{err}");
    assert!(snapshot(&r.store, "inbound.mx").is_empty());
    assert_eq!(r.store.sync_cursor("mx", "c1").unwrap(), None);
    // The operator says this partner is a plain TAXII server: then sync goes on without.
    let setting = (pacto_node::sync::receipts_setting("mx"), "not-required".to_string());
    r.store.add_with_settings(None, &[], &[setting], &[]).unwrap();
    sync_requiring(&mut r, &url, limits(), true).unwrap();
}
