//! `pacto-taxii`: the node's TAXII 2.1 server.
//!
//! [`router`] builds the axum router for every TAXII 2.1 endpoint (discovery, API root, status,
//! collections, collection, manifest, objects, object, versions) plus `/healthz`, `/metrics`
//! and `/openapi.yaml`, and the web console ([`console`]: `/` and `/ui/…`), over a [`Stores`] pool. The binary decides where to listen and whether
//! to use TLS.
//!
//! Invariants: a collection a caller may not read answers exactly as one that does not exist
//! (404); every write passes the STIX validator; pages are cut by `date_added` keys, so a page
//! costs the same at any depth and concurrent writers never cause a skip or a repeat.

mod auth;
pub mod console;
mod error;
mod handlers;
mod media;
mod metrics;
mod params;
mod partner;
pub mod psi;
pub mod server;

pub use pacto_node::{Caller, Node, PSI_MEDIA_TYPE, PsiKeys};

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use pacto_store::prelude::*;

pub use auth::Credentials;
pub use error::TaxiiError;
pub use metrics::Metrics;

/// A store connection the server may use from a blocking thread.
pub type SharedStore = Box<dyn Store + Send>;

/// Store connections: one writer, several readers (SQLite in WAL mode lets readers run beside
/// the writer). Work runs on tokio's blocking threads.
pub struct Stores {
    writer: Mutex<SharedStore>,
    readers: Vec<Mutex<SharedStore>>,
    next: AtomicUsize,
    /// Validated POSTs waiting to be stored (see [`Stores::commit`]).
    queue: Mutex<Vec<Commit>>,
    /// Validations of POST bodies allowed at once: all cores but one, so that reads always
    /// find a core.
    pub validations: tokio::sync::Semaphore,
    /// Group commits made, and the requests they stored.
    groups: std::sync::atomic::AtomicU64,
    grouped: std::sync::atomic::AtomicU64,
}

/// One request's objects, waiting for a group commit, and where its outcome goes.
struct Commit {
    collection: pacto_store::Collection,
    objects: Vec<pacto_store::Incoming>,
    result: Outcome,
}

/// Where a queued request finds what the store did with its objects.
type Outcome = Arc<Mutex<Option<Result<Vec<pacto_store::AddOutcome>, String>>>>;

/// Objects one group commit takes at most (the rest wait for the next).
const GROUP_OBJECTS: usize = 20_000;

impl Stores {
    pub fn new(writer: SharedStore, readers: Vec<SharedStore>) -> Self {
        Stores {
            writer: Mutex::new(writer),
            readers: readers.into_iter().map(Mutex::new).collect(),
            next: AtomicUsize::new(0),
            queue: Mutex::new(Vec::new()),
            validations: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            ),
            groups: Default::default(),
            grouped: Default::default(),
        }
    }

    /// Group commits made so far, and the POST requests they stored.
    pub fn group_commits(&self) -> (u64, u64) {
        (self.groups.load(Ordering::Relaxed), self.grouped.load(Ordering::Relaxed))
    }

    /// Store one request's validated objects, grouped with whatever other requests are waiting:
    /// the request that gets the writer stores every queued request in one transaction (one
    /// durable write), and the others find their outcome done when the writer comes to them.
    /// Nothing is answered before its transaction has committed.
    pub async fn commit(
        self: &Arc<Self>,
        collection: pacto_store::Collection,
        objects: Vec<pacto_store::Incoming>,
    ) -> Result<Vec<pacto_store::AddOutcome>, TaxiiError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let result = Arc::new(Mutex::new(None));
            let poisoned = || TaxiiError::internal("store lock poisoned");
            this.queue.lock().map_err(|_| poisoned())?.push(Commit { collection, objects, result: result.clone() });
            loop {
                let mut writer = this.writer.lock().map_err(|_| poisoned())?;
                if let Some(done) = result.lock().map_err(|_| poisoned())?.take() {
                    return done.map_err(|e| TaxiiError::internal(&e));
                }
                // This request leads: take the queue (up to a bound) and store it all at once.
                let group: Vec<Commit> = {
                    let mut q = this.queue.lock().map_err(|_| poisoned())?;
                    let mut n = 0;
                    let take = q.iter().take_while(|c| {
                        n += c.objects.len();
                        n <= GROUP_OBJECTS
                    });
                    let k = take.count().max(1).min(q.len());
                    q.drain(..k).collect()
                };
                let batches: Vec<(&pacto_store::Collection, &[pacto_store::Incoming])> =
                    group.iter().map(|c| (&c.collection, c.objects.as_slice())).collect();
                let stored = writer.add_batches(&batches);
                drop(batches);
                this.groups.fetch_add(1, Ordering::Relaxed);
                this.grouped.fetch_add(group.len() as u64, Ordering::Relaxed);
                match stored {
                    Ok(all) => {
                        for (c, outcomes) in group.iter().zip(all) {
                            *c.result.lock().map_err(|_| poisoned())? = Some(Ok(outcomes));
                        }
                    }
                    Err(e) => {
                        for c in &group {
                            *c.result.lock().map_err(|_| poisoned())? = Some(Err(e.to_string()));
                        }
                    }
                }
                drop(writer);
            }
        })
        .await
        .map_err(|e| TaxiiError::internal(&format!("store task failed: {e}")))?
    }

    /// Run `f` with a reader (the writer when there are none), on a blocking thread.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, TaxiiError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, TaxiiError> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            if this.readers.is_empty() {
                let guard = this.writer.lock().map_err(|_| TaxiiError::internal("store lock poisoned"))?;
                return f(guard.as_ref());
            }
            // Take a free reader if there is one, else wait for the next in turn.
            for r in &this.readers {
                if let Ok(guard) = r.try_lock() {
                    return f(guard.as_ref());
                }
            }
            let i = this.next.fetch_add(1, Ordering::Relaxed) % this.readers.len();
            let guard = this.readers[i].lock().map_err(|_| TaxiiError::internal("store lock poisoned"))?;
            f(guard.as_ref())
        })
        .await
        .map_err(|e| TaxiiError::internal(&format!("store task failed: {e}")))?
    }

    /// Run `f` with the writer, on a blocking thread.
    pub async fn write<T, F>(self: &Arc<Self>, f: F) -> Result<T, TaxiiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut (dyn Store + Send)) -> Result<T, TaxiiError> + Send + 'static,
    {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = this.writer.lock().map_err(|_| TaxiiError::internal("store lock poisoned"))?;
            f(guard.as_mut())
        })
        .await
        .map_err(|e| TaxiiError::internal(&format!("store task failed: {e}")))?
    }
}

/// An API root: a name (its URL path segment), a title, and which collections it serves.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct ApiRoot {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Collection names, or `*` for every collection.
    #[serde(default = "all_collections")]
    pub collections: Vec<String>,
}

fn all_collections() -> Vec<String> {
    vec!["*".into()]
}

impl ApiRoot {
    pub fn serves(&self, c: &pacto_store::Collection) -> bool {
        self.collections.iter().any(|n| n == "*" || *n == c.name || *n == c.id)
    }
}

/// What the server needs to know.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub title: String,
    pub description: Option<String>,
    pub contact: Option<String>,
    pub api_roots: Vec<ApiRoot>,
    /// Largest request body accepted, in bytes (413 beyond).
    pub max_content_length: usize,
    /// Largest page a client may ask for (and the page size when it asks for none).
    pub max_page_size: usize,
    /// Base URL used in discovery (e.g. `https://taxii.example.gov`); taken from the Host header
    /// when unset.
    pub public_url: Option<String>,
    /// Objects one POST may carry (413 beyond); advertised in the API root resource as
    /// `x_pacto_max_objects_per_request`.
    pub max_objects_per_request: usize,
    /// A bearer token that may read `/metrics` (besides administrator accounts).
    pub metrics_token: Option<String>,
    /// Connection limits for [`server::serve`].
    pub limits: server::Limits,
    /// Keep POST statuses in the database too, so that any server on it can answer for them
    /// (several servers on one PostgreSQL database); else in this process's memory only.
    pub statuses_in_store: bool,
    /// Where this process keeps the last ledger head it signed, outside the database
    /// (`<data dir>/ledger-checkpoint`): a database rolled back behind it is refused.
    pub ledger_head_file: Option<std::path::PathBuf>,
    /// Served over TLS: without `public_url`, discovery names API roots `https://…`.
    pub https: bool,
    /// How often this process syncs its partners (None: it does not), for the console.
    pub sync_every: Option<std::time::Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            title: "pacto TAXII server".into(),
            description: None,
            contact: None,
            api_roots: vec![ApiRoot {
                name: "api".into(),
                title: "pacto".into(),
                description: Some("All collections of this node".into()),
                collections: all_collections(),
            }],
            max_content_length: 10 * 1024 * 1024,
            max_page_size: 1000,
            public_url: None,
            max_objects_per_request: 10_000,
            metrics_token: None,
            limits: server::Limits::default(),
            statuses_in_store: false,
            ledger_head_file: None,
            https: false,
            sync_every: None,
        }
    }
}

/// Shared state of the server.
pub struct AppState {
    pub config: ServerConfig,
    pub stores: Arc<Stores>,
    pub metrics: Metrics,
    pub logins: auth::LoginCache,
    pub statuses: Statuses,
    /// What the node does apart from HTTP, and the state it does it in (agreements in force,
    /// partners' views, drop boxes, keys).
    pub node: Node,
    /// The web console's sessions.
    pub console: console::Sessions,
    /// The console's last whole check of the ledger.
    pub ledger_check: console::LedgerCheck,
}

/// Status resources of recent POSTs, kept in memory for polling: the newest
/// [`Statuses::KEEP`], within [`Statuses::MAX_BYTES`] in all (the oldest go first); each
/// remembers who posted it.
pub struct Statuses {
    inner: Mutex<StatusTable>,
    max_bytes: usize,
}

/// id → (owner, body); ids oldest first; bytes held.
#[derive(Default)]
struct StatusTable {
    map: std::collections::HashMap<String, (String, String)>,
    order: std::collections::VecDeque<String>,
    bytes: usize,
}

impl Default for Statuses {
    fn default() -> Self {
        Statuses::with_budget(Self::MAX_BYTES)
    }
}

impl Statuses {
    pub const KEEP: usize = 10_000;
    pub const MAX_BYTES: usize = 64 * 1024 * 1024;

    /// Statuses kept within `max_bytes` (and [`Statuses::KEEP`]).
    pub fn with_budget(max_bytes: usize) -> Self {
        Statuses { inner: Mutex::default(), max_bytes }
    }

    fn size(id: &str, owner: &str, body: &str) -> usize {
        // Twice the id: it is both a key and in the order queue.
        2 * id.len() + owner.len() + body.len()
    }

    pub fn put(&self, id: &str, owner: &str, body: String) {
        if let Ok(mut g) = self.inner.lock() {
            let t = &mut *g;
            t.bytes += Self::size(id, owner, &body);
            if let Some((o, b)) = t.map.insert(id.to_string(), (owner.to_string(), body)) {
                t.bytes -= Self::size(id, &o, &b);
            } else {
                t.order.push_back(id.to_string());
            }
            while t.order.len() > Self::KEEP || (t.bytes > self.max_bytes && t.order.len() > 1) {
                let Some(old) = t.order.pop_front() else { break };
                if let Some((o, b)) = t.map.remove(&old) {
                    t.bytes -= Self::size(&old, &o, &b);
                }
            }
        }
    }

    /// The status body, if `owner` posted it.
    pub fn get(&self, id: &str, owner: &str) -> Option<String> {
        let g = self.inner.lock().ok()?;
        g.map.get(id).filter(|(o, _)| o == owner).map(|(_, b)| b.clone())
    }

    /// Statuses kept, and the bytes they hold.
    pub fn held(&self) -> (usize, usize) {
        self.inner.lock().map(|t| (t.order.len(), t.bytes)).unwrap_or_default()
    }
}

impl AppState {
    /// A server with a fresh ledger key (tests); see [`AppState::with_key`].
    pub fn new(config: ServerConfig, stores: Stores) -> Arc<Self> {
        Self::with_key(config, stores, pacto_federation::ledger::generate_key())
    }

    pub fn with_key(
        config: ServerConfig,
        stores: Stores,
        ledger_key: pacto_federation::ledger::SigningKey,
    ) -> Arc<Self> {
        Self::with_keys(config, stores, ledger_key, PsiKeys::default())
    }

    /// A server with its ledger key and the directory of its private sets' keys.
    pub fn with_keys(
        config: ServerConfig,
        stores: Stores,
        ledger_key: pacto_federation::ledger::SigningKey,
        psi_keys: PsiKeys,
    ) -> Arc<Self> {
        let log = pacto_node::ledger::Log::new(ledger_key, config.ledger_head_file.clone());
        Self::with_log(config, stores, log, psi_keys)
    }

    /// A server over a ledger already opened (checked at start: see [`pacto_node::ledger::Log::open`]).
    pub fn with_log(
        config: ServerConfig,
        stores: Stores,
        log: pacto_node::ledger::Log,
        psi_keys: PsiKeys,
    ) -> Arc<Self> {
        Arc::new(AppState {
            node: Node::new(log, psi_keys),
            config,
            stores: Arc::new(stores),
            metrics: Metrics::default(),
            logins: auth::LoginCache::default(),
            statuses: Statuses::default(),
            console: console::Sessions::default(),
            ledger_check: console::LedgerCheck::default(),
        })
    }
}

pub use handlers::router;

impl AppState {
    /// Replace the sharing agreements (at start, and whenever their files change) and make
    /// the partners' views of the collections they share, with the writer: see
    /// [`Node::set_agreements`].
    pub fn set_agreements(
        &self,
        agreements: Vec<pacto_federation::agreement::Agreement>,
    ) -> Result<(), pacto_federation::agreement::AgreementError> {
        match self.stores.writer.lock() {
            Ok(mut s) => self.node.set_agreements(Some(&mut **s), agreements),
            Err(_) => {
                tracing::error!("store lock poisoned: partner views not made");
                self.node.set_agreements(None::<&mut (dyn Store + Send)>, agreements)
            }
        }
    }

    /// The view `share` reads `c` through, made on first use (see [`Node::view`]).
    pub async fn view(
        self: &Arc<Self>,
        c: &pacto_store::Collection,
        share: &pacto_federation::agreement::Share,
    ) -> Result<pacto_store::ViewId, TaxiiError> {
        if let Some(v) = self.node.known_view(c, share) {
            return Ok(v);
        }
        let (c, share, st) = (c.clone(), share.clone(), self.clone());
        self.stores.write(move |s| Ok(st.node.view(s, &c, &share)?)).await
    }
}

/// The OpenAPI description of this API (also served at `/openapi.yaml`).
pub const OPENAPI: &str = include_str!("../openapi.yaml");

#[cfg(test)]
mod status_tests {
    use super::Statuses;

    #[test]
    fn statuses_stay_within_their_byte_budget() {
        let s = Statuses::with_budget(10_000);
        for i in 0..100 {
            s.put(&format!("id{i:03}"), "dropper", "x".repeat(1000));
        }
        let (n, bytes) = s.held();
        assert!(bytes <= 10_000 && n < 10, "{n} statuses, {bytes} bytes");
        assert!(s.get("id099", "dropper").is_some(), "the newest stays");
        assert!(s.get("id000", "dropper").is_none(), "the oldest went first");
        assert!(s.get("id099", "other").is_none());
        // One status larger than the whole budget is still kept until the next one comes.
        s.put("big", "dropper", "y".repeat(20_000));
        assert_eq!(s.held().0, 1);
        s.put("small", "dropper", "z".into());
        assert!(s.get("big", "dropper").is_none());
    }
}
