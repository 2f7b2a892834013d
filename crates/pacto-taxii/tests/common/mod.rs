//! A node on loopback for black-box tests, and `send`, one request with the node's own client.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use pacto_store::testing::TestDatabase;

use pacto_node::client::{Access, ClientLimits, HttpClient};
use pacto_store::{Connection, Store, User};
use pacto_taxii::{AppState, ServerConfig, SharedStore, Stores};
use serde_json::Value;

pub struct Node {
    pub addr: SocketAddr,
    /// The node's database: SQLite, or PostgreSQL when `PACTO_TEST_BACKEND=postgres`.
    pub db: TestDatabase,
    /// The node's directory (private-set keys).
    pub dir: PathBuf,
    /// The public half of the node's ledger key.
    pub ledger_key: pacto_federation::ledger::VerifyingKey,
    /// What its server was started with (to start it again, or another beside it).
    setup: Setup,
    /// Stops the server at `addr`.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

#[derive(Clone)]
struct Setup {
    config: ServerConfig,
    agreements: Vec<pacto_federation::agreement::Agreement>,
    key: pacto_federation::ledger::SigningKey,
    keys: pacto_node::PsiKeys,
}

/// A server over `db`, with connections of its own (a process of its own as far as the node
/// is concerned: nothing is shared with another server but the database); the sender stops it.
fn start_server(db: &TestDatabase, setup: &Setup) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let readers: Vec<SharedStore> = (0..3).map(|_| db.open()).collect();
    let state = AppState::with_keys(
        setup.config.clone(),
        Stores::new(db.open(), readers),
        setup.key.clone(),
        setup.keys.clone(),
    );
    state.set_agreements(setup.agreements.clone()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        // The state is dropped last, outside the runtime: a PostgreSQL connection's drop
        // blocks, which it may not do on the runtime's threads.
        let kept = state.clone();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let limits = state.config.limits.clone();
            let app = pacto_taxii::router(state);
            // Serves until told to stop (a dropped sender leaves it serving, as before).
            let shutdown = async move {
                if stopped.await.is_err() {
                    std::future::pending::<()>().await
                }
            };
            pacto_taxii::server::serve(listener, app, limits, shutdown).await.unwrap();
        });
        drop(rt);
        drop(kept);
    });
    (addr, stop)
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
    prepare: impl FnOnce(&mut dyn Store),
) -> Node {
    node_with_keys(config, agreements, |s, _| prepare(s))
}

/// As [`node_with`], with the node's directory of private-set keys handed to `prepare`.
/// A node whose partner `partner` reads `intel` under `agreement` (pages of at most 100), with
/// `batches` stored in `intel`, one transaction each.
pub fn partner_node_holding(agreement: &str, batches: Vec<Vec<Value>>) -> Node {
    let agreement = pacto_federation::agreement::Agreement::parse(agreement).unwrap();
    node_with(ServerConfig { max_page_size: 100, ..ServerConfig::default() }, vec![agreement], move |s| {
        let c = s.collection("intel").unwrap().unwrap();
        for batch in batches {
            let incoming: Vec<_> = batch
                .into_iter()
                .map(|v| {
                    pacto_store::Incoming::new(
                        &pacto_stix::StixObject::from_value(v).unwrap(),
                        pacto_stix::SpecVersion::V21,
                    )
                })
                .collect();
            s.add_batch(&c, &incoming).unwrap();
        }
    })
}

pub fn node_with_keys(
    config: ServerConfig,
    agreements: Vec<pacto_federation::agreement::Agreement>,
    prepare: impl FnOnce(&mut dyn Store, &pacto_node::PsiKeys),
) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let keys = pacto_node::PsiKeys::new(dir.path().join("psi-keys"));
    let db = test_database();
    let mut s = db.open();
    for name in ["intel", "secret", "dropbox"] {
        s.create_collection(name, &format!("{name} collection"), Some("for tests")).unwrap();
    }
    let hash = pacto_node::hash_password(PASSWORD).unwrap();
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
    prepare(&mut *s, &keys);
    drop(s);
    let key = pacto_federation::ledger::generate_key();
    let ledger_key = key.verifying_key();
    let config = ServerConfig { statuses_in_store: db.backend == "postgres", ..config };
    let setup = Setup { config, agreements, key, keys };
    let (addr, stop) = start_server(&db, &setup);
    Node { addr, db, dir: dir.path().to_path_buf(), ledger_key, setup, stop: Some(stop), _dir: dir }
}

impl Node {
    /// Stop the node's server and start a new one on the same database (a restart: nothing
    /// the old one held in memory survives); `addr` is the new one's.
    pub fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let (addr, stop) = start_server(&self.db, &self.setup);
        self.addr = addr;
        self.stop = Some(stop);
    }

    /// Another server on the node's database, beside the first (as several `pacto serve`
    /// processes on one PostgreSQL database); it serves until the test ends.
    pub fn another_server(&self) -> SocketAddr {
        start_server(&self.db, &self.setup).0
    }

    /// Another connection to the node's database.
    pub fn store(&self) -> Connection {
        self.db.open()
    }
}

/// The backend these tests run on: SQLite, or a fresh PostgreSQL database when
/// `PACTO_TEST_BACKEND=postgres` (then PostgreSQL must be reachable).
pub fn test_database() -> TestDatabase {
    match std::env::var("PACTO_TEST_BACKEND").as_deref() {
        Ok("postgres") => TestDatabase::postgres("black-box").expect("PACTO_TEST_BACKEND=postgres needs PostgreSQL"),
        _ => TestDatabase::sqlite(),
    }
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
    /// A raw `Authorization` header, sent instead of `user`'s Basic credentials.
    pub authorization: Option<&'a str>,
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
            authorization: None,
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
            authorization: None,
        }
    }
}

/// Send one request as given (method, path, credentials, `Accept` and `Content-Type` or none) with
/// the node's own client, which sees every status as a response; no retries.
pub fn send(node: &Node, r: Req<'_>) -> Resp {
    let limits = ClientLimits { retries: 0, ..ClientLimits::default() };
    let access = match (r.authorization, r.user) {
        (Some(a), _) => Access { authorization: Some(a.to_string()), ..Access::default() },
        (None, Some(u)) => Access::basic(u, r.password),
        (None, None) => Access::default(),
    };
    let mut client = HttpClient::with_access(&format!("http://{}/", node.addr), &access, None, limits)
        .unwrap_or_else(|e| panic!("{e}"));
    let body = (!r.body.is_empty() || r.method == "POST").then_some(r.body);
    let got = client.call(r.method, r.path, r.accept, r.content_type, body).unwrap_or_else(|e| panic!("{e}"));
    Resp { status: got.status, headers: got.headers, body: got.body }
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

pub const NOW_PLUS_A_DAY: i64 = 86_400_000_000;

/// An API token (its secret and what the store keeps) reading and writing the given
/// collections, expiring in a day.
pub fn token(name: &str, read: &[&str], write: &[&str]) -> (String, pacto_store::ApiToken) {
    let (secret, hash) = pacto_node::tokens::generate();
    let now = pacto_stix::Timestamp::now().as_micros();
    let t = pacto_store::ApiToken {
        name: name.into(),
        hash,
        can_read: read.iter().map(|s| s.to_string()).collect(),
        can_write: write.iter().map(|s| s.to_string()).collect(),
        created_us: now,
        expires_us: Some(now + NOW_PLUS_A_DAY),
        last_used_us: None,
        revoked_us: None,
    };
    (secret, t)
}
