//! A node on loopback for black-box tests, and a minimal HTTP/1.1 client.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;

use base64::Engine;
use pacto_store::{SqliteStore, Store, User};
use pacto_taxii::{AppState, ServerConfig, SharedStore, Stores};
use serde_json::Value;

pub struct Node {
    pub addr: SocketAddr,
    pub db: PathBuf,
    /// The public half of the node's ledger key.
    pub ledger_key: pacto_federation::ledger::VerifyingKey,
    _dir: tempfile::TempDir,
}

pub const PASSWORD: &str = "correct horse battery";

/// Start a node with collections `intel`, `secret`, `dropbox` and users:
/// `reader` (read intel), `writer` (write intel), `admin` (everything), `dropper` (write dropbox).
pub fn node(config: ServerConfig) -> Node {
    node_with(config, Vec::new(), |_| {})
}

/// As [`node`], with sharing agreements, and `prepare` run on the store before serving.
pub fn node_with(
    config: ServerConfig,
    agreements: Vec<pacto_federation::agreement::Agreement>,
    prepare: impl FnOnce(&mut SqliteStore),
) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pacto.db");
    let mut s = SqliteStore::open(&db).unwrap();
    for name in ["intel", "secret", "dropbox"] {
        s.create_collection(name, &format!("{name} collection"), Some("for tests")).unwrap();
    }
    let hash = pacto_taxii::hash_password(PASSWORD).unwrap();
    let user = |name: &str, r: &[&str], w: &[&str]| User {
        name: name.into(),
        password_hash: hash.clone(),
        can_read: r.iter().map(|s| s.to_string()).collect(),
        can_write: w.iter().map(|s| s.to_string()).collect(),
    };
    s.put_user(&user("reader", &["intel"], &[])).unwrap();
    s.put_user(&user("writer", &[], &["intel"])).unwrap();
    s.put_user(&user("admin", &["*"], &["*"])).unwrap();
    s.put_user(&user("dropper", &[], &["dropbox"])).unwrap();
    s.put_user(&user("partner", &[], &[])).unwrap();
    prepare(&mut s);
    let readers: Vec<SharedStore> = (0..3).map(|_| Box::new(SqliteStore::open(&db).unwrap()) as SharedStore).collect();
    let key = pacto_federation::ledger::generate_key();
    let ledger_key = key.verifying_key();
    let state = AppState::with_key(config, Stores::new(Box::new(s), readers), key);
    state.set_agreements(agreements);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let limits = state.config.limits.clone();
            let app = pacto_taxii::router(state);
            pacto_taxii::server::serve(listener, app, limits, std::future::pending()).await.unwrap();
        });
    });
    Node { addr, db, ledger_key, _dir: dir }
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub const TAXII: &str = "application/taxii+json;version=2.1";

pub struct Req<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub user: Option<&'a str>,
    pub password: &'a str,
    pub accept: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

impl<'a> Req<'a> {
    pub fn get(path: &'a str, user: &'a str) -> Self {
        Req {
            method: "GET",
            path,
            user: Some(user),
            password: PASSWORD,
            accept: Some(TAXII),
            content_type: None,
            body: b"",
        }
    }
    pub fn post(path: &'a str, user: &'a str, body: &'a [u8]) -> Self {
        Req {
            method: "POST",
            path,
            user: Some(user),
            password: PASSWORD,
            accept: Some(TAXII),
            content_type: Some(TAXII),
            body,
        }
    }
}

pub fn send(node: &Node, r: Req<'_>) -> Resp {
    let mut stream = TcpStream::connect(node.addr).unwrap();
    let mut head = format!("{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", r.method, r.path, node.addr);
    if let Some(u) = r.user {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{}", r.password));
        head.push_str(&format!("Authorization: Basic {token}\r\n"));
    }
    if let Some(a) = r.accept {
        head.push_str(&format!("Accept: {a}\r\n"));
    }
    if let Some(ct) = r.content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", r.body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(r.body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse(&raw)
}

fn parse(raw: &[u8]) -> Resp {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Resp { status, headers, body }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[end + 2..end + 2 + size]);
        b = &b[end + 2 + size + 2..];
    }
    out
}

/// An indicator with a given number and modified time.
pub fn indicator(n: u32, modified: &str) -> Value {
    serde_json::json!({"type": "indicator", "spec_version": "2.1", "id": format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f"),
        "created": "2020-01-01T00:00:00.000Z", "modified": modified, "name": format!("indicator {n}"),
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix", "valid_from": "2020-01-01T00:00:00Z"})
}

pub fn envelope(objects: &[Value]) -> Vec<u8> {
    serde_json::json!({"objects": objects}).to_string().into_bytes()
}
