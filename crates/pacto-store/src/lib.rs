//! `pacto-store`: where a pacto node keeps its STIX objects.
//!
//! [`Store`] is the one storage trait; [`SqliteStore`] is the embedded backend every node
//! starts with. Callers (the import command, the TAXII server, sync) only see the trait, so a
//! PostgreSQL backend can stand beside SQLite without touching them.
//!
//! The model: named collections; every version of every object kept, identified by
//! `(id, version)` where the version is `modified` (else `created`, else the object's only
//! version); a node-assigned `date_added` strictly increasing within a collection, usable as a
//! pagination cursor; re-adding an identical version is a no-op; a different object under an
//! existing `(id, version)` is refused, never overwritten; nothing follows a revocation.

mod ingest;
mod sqlite;

pub use ingest::{
    Ingest, IngestReport, ObjectOutcome, Rejection, RequestError, ValidatedRequest, ingest_request, precheck,
    validate_request,
};
pub use sqlite::SqliteStore;

use pacto_stix::{Facts, Filter, SpecVersion, StixObject};
use serde::Serialize;

/// Errors from a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no collection {0:?}")]
    NoSuchCollection(String),
    #[error("a collection named {0:?} already exists")]
    CollectionExists(String),
    #[error("invalid collection name {0:?}: use 1-64 characters of a-z, A-Z, 0-9, '-', '_' or '.'")]
    BadName(String),
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("stored object is corrupt: {0}")]
    Corrupt(String),
    #[error("setting {0:?} was changed by another writer")]
    Conflict(String),
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A collection as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collection {
    /// TAXII collection id (a UUID), stable for the collection's life.
    pub id: String,
    /// Short name used on the command line (`--collection NAME`).
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    /// When the collection was created (microseconds since the epoch).
    pub created_us: i64,
}

/// A collection with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionStats {
    #[serde(flatten)]
    pub collection: Collection,
    /// Distinct object ids.
    pub objects: u64,
    /// Stored versions (≥ objects).
    pub versions: u64,
    /// Objects whose latest version is revoked.
    pub revoked: u64,
    /// Objects by type (latest versions only).
    pub by_type: Vec<(String, u64)>,
    /// First and last date_added (microseconds), when not empty.
    pub date_added_first: Option<i64>,
    pub date_added_last: Option<i64>,
}

/// What adding one object did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AddOutcome {
    /// A new version was stored with this date_added (microseconds).
    Added { date_added: i64 },
    /// The identical version was already there, added at this date_added.
    Unchanged { date_added: i64 },
    /// Refused, with the reason.
    Refused { reason: String },
}

/// An object on its way into the store: what the store indexes, and its text as received.
/// `spec_version` is the version the object was judged by (objects of STIX 2.0 content carry
/// no spec_version of their own).
#[derive(Debug, Clone)]
pub struct Incoming {
    pub id: String,
    pub type_name: String,
    /// The version key, see [`version_key`].
    pub version: String,
    pub spec_version: SpecVersion,
    pub revoked: bool,
    /// What sharing decisions look at (see [`pacto_stix::Facts`]).
    pub facts: Facts,
    pub raw: Box<serde_json::value::RawValue>,
}

impl Incoming {
    pub fn new(object: &StixObject, spec_version: SpecVersion) -> Self {
        Incoming {
            id: object.id().to_string(),
            type_name: object.type_name().to_string(),
            version: version_key(object),
            spec_version,
            revoked: object.revoked(),
            facts: Facts::of(object.properties()),
            raw: object.raw_value().to_owned(),
        }
    }
}

/// One stored object version.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub id: String,
    pub type_name: String,
    /// The version key in the store's normal form (`""` for a single-version object).
    pub version: String,
    pub spec_version: String,
    pub date_added: i64,
    pub revoked: bool,
    /// The object as received.
    pub raw: String,
}

/// Which versions of each object a query returns (TAXII `match[version]`): any union of the
/// first, the last, and given versions; or all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    pub all: bool,
    pub first: bool,
    pub last: bool,
    /// Specific versions, as version keys (see [`version_key_of`]).
    pub at: Vec<String>,
    /// Specific date_added values (microseconds): the TAXII version of an object that has
    /// neither `modified` nor `created` is its date_added.
    pub at_added: Vec<i64>,
}

impl Default for Versions {
    fn default() -> Self {
        Versions::all()
    }
}

impl Versions {
    pub fn all() -> Self {
        Versions { all: true, first: false, last: false, at: Vec::new(), at_added: Vec::new() }
    }
    pub fn last() -> Self {
        Versions { all: false, first: false, last: true, at: Vec::new(), at_added: Vec::new() }
    }
    pub fn first() -> Self {
        Versions { all: false, first: true, last: false, at: Vec::new(), at_added: Vec::new() }
    }
    pub fn none() -> Self {
        Versions { all: false, first: false, last: false, at: Vec::new(), at_added: Vec::new() }
    }
}

/// The TAXII version of a stored object: its `modified` (else `created`) as written, else its
/// date_added.
pub fn taxii_version(o: &StoredObject) -> String {
    if !o.version.is_empty()
        && let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&o.raw)
        && let Some(v) = m.get("modified").or_else(|| m.get("created")).and_then(serde_json::Value::as_str)
    {
        return v.to_string();
    }
    pacto_stix::Timestamp::from_micros(o.date_added).format(6)
}

/// The version key of a timestamp (nine fraction digits), as [`version_key`] computes it.
pub fn version_key_of(t: &pacto_stix::Timestamp) -> String {
    t.format(9)
}

/// A read over one collection, in date_added order.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only versions added strictly after this date_added (microseconds).
    pub added_after: Option<i64>,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub spec_versions: Vec<String>,
    pub versions: Versions,
    /// Leave out objects whose latest version is revoked.
    pub exclude_revoked: bool,
    /// At most this many versions.
    pub limit: Option<usize>,
    /// Read through a view (see [`Store::view`]): only the versions it admits, `date_added`
    /// and `added_after` on the view's own clock, first and last among the admitted versions.
    pub view: Option<ViewId>,
}

/// A partner's view of a collection: the object versions one [`Filter`] admits, kept by the
/// store as objects arrive, so that reading it costs nothing for what it leaves out.
pub type ViewId = i64;

/// One page of a query: the versions, and whether more follow.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub objects: Vec<StoredObject>,
    pub more: bool,
}

/// A node user: who may call the node's TAXII API, and what each may read and write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct User {
    pub name: String,
    /// PHC string (argon2id); never the password itself.
    pub password_hash: String,
    /// Collection names (or `*` for all) the user may read.
    pub can_read: Vec<String>,
    /// Collection names (or `*` for all) the user may write.
    pub can_write: Vec<String>,
}

impl User {
    pub fn may_read(&self, c: &Collection) -> bool {
        self.can_read.iter().any(|n| n == "*" || *n == c.name || *n == c.id)
    }
    pub fn may_write(&self, c: &Collection) -> bool {
        self.can_write.iter().any(|n| n == "*" || *n == c.name || *n == c.id)
    }
}

/// How this node reaches a partner's TAXII server (for sync).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Remote {
    /// The partner's name (as in its agreement).
    pub partner: String,
    /// The partner's API root URL, e.g. `https://taxii.partner.example/api/`.
    pub api_root: String,
    pub username: String,
    /// The password this node uses at the partner (stored so that sync can run unattended).
    pub password: String,
    /// A PEM file of CA certificates to trust for this partner (else the public web roots).
    pub ca_file: Option<String>,
}

/// Where a received object came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Provenance {
    pub id: String,
    /// The version key (see [`version_key`]).
    pub version: String,
    pub partner: String,
    pub remote_collection: String,
    /// The date_added the partner's server gave it (TAXII timestamp).
    pub remote_date_added: String,
    /// When this node fetched it (microseconds).
    pub fetched_us: i64,
}

/// A private set as stored: the encoded form only (the items themselves are not kept, and the
/// set's secret lives in a key file outside the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsiSet {
    pub name: String,
    pub normalizer: String,
    /// A secret still in the database (written by an earlier version): moved to its key file
    /// on first use. New sets always store `None` (an empty column).
    pub secret: Option<[u8; 32]>,
    /// The tags, concatenated.
    pub tags: Vec<u8>,
    /// The set blinded under its secret (32-byte points, sorted, concatenated), for size-only
    /// queries; empty for sets stored before those existed.
    pub points: Vec<u8>,
    pub items: u64,
    pub created_us: i64,
}

/// The storage trait every backend implements.
pub trait Store {
    /// Create a collection; `name` is its short name.
    fn create_collection(&mut self, name: &str, title: &str, description: Option<&str>) -> Result<Collection>;
    /// Look a collection up by name or id.
    fn collection(&self, name_or_id: &str) -> Result<Option<Collection>>;
    /// All collections, by name.
    fn collections(&self) -> Result<Vec<Collection>>;
    /// Counts for one collection.
    fn stats(&self, collection: &Collection) -> Result<CollectionStats>;
    /// Add objects in one transaction: all outcomes are durable together, or none is.
    fn add_batch(&mut self, collection: &Collection, objects: &[Incoming]) -> Result<Vec<AddOutcome>>;
    /// Several batches, perhaps into different collections, in one transaction (group commit:
    /// one durable write for many requests).
    fn add_batches(&mut self, batches: &[(&Collection, &[Incoming])]) -> Result<Vec<Vec<AddOutcome>>>;
    /// Stream the versions a query selects to `f`, in date_added order.
    fn scan(&self, collection: &Collection, query: &Query, f: &mut dyn FnMut(StoredObject) -> Result<()>)
    -> Result<()>;

    /// One page of a query (`query.limit` versions at most) and whether more follow.
    fn page(&self, collection: &Collection, query: &Query) -> Result<Page> {
        let limit = query.limit.unwrap_or(usize::MAX);
        let mut objects = Vec::new();
        let probe = Query { limit: Some(limit.saturating_add(1)), ..query.clone() };
        self.scan(collection, &probe, &mut |o| {
            objects.push(o);
            Ok(())
        })?;
        let more = objects.len() > limit;
        objects.truncate(limit);
        Ok(Page { objects, more })
    }
    /// Delete the selected versions of one object; returns how many were deleted.
    fn delete_object(&mut self, collection: &Collection, id: &str, versions: &Versions) -> Result<u64>;
    /// Versions stored across all collections.
    fn total_versions(&self) -> Result<u64>;

    /// Create or replace a user.
    fn put_user(&mut self, user: &User) -> Result<()>;
    /// Remove a user; false when there was none.
    fn remove_user(&mut self, name: &str) -> Result<bool>;
    fn user(&self, name: &str) -> Result<Option<User>>;
    fn users(&self) -> Result<Vec<User>>;

    /// Partners' TAXII servers, for sync.
    fn put_remote(&mut self, remote: &Remote) -> Result<()>;
    fn remote(&self, partner: &str) -> Result<Option<Remote>>;
    fn remotes(&self) -> Result<Vec<Remote>>;
    fn remove_remote(&mut self, partner: &str) -> Result<bool>;
    /// The sync cursor for one remote collection of one partner.
    fn sync_cursor(&self, partner: &str, remote_collection: &str) -> Result<Option<String>>;
    /// Add objects received from a partner, their provenance, and the new sync cursor, in one
    /// transaction: after a crash, either all of a page is stored and the cursor moved past it,
    /// or none of it.
    fn add_synced(
        &mut self,
        collection: &Collection,
        objects: &[Incoming],
        provenance: &[Provenance],
        cursor: (&str, &str, &str),
    ) -> Result<Vec<AddOutcome>>;
    /// Where the versions of an object in a collection came from (empty for local objects).
    fn provenance(&self, collection: &Collection, id: &str) -> Result<Vec<Provenance>>;
    /// Copy every version of the given objects from one collection into another, keeping their
    /// provenance (an analyst adopting received intelligence).
    fn adopt(&mut self, from: &Collection, to: &Collection, ids: &[String]) -> Result<Vec<AddOutcome>>;

    /// Private sets for matching.
    fn put_psi_set(&mut self, set: &PsiSet) -> Result<()>;
    fn psi_set(&self, name: &str) -> Result<Option<PsiSet>>;
    fn psi_sets(&self) -> Result<Vec<PsiSet>>;
    fn remove_psi_set(&mut self, name: &str) -> Result<bool>;
    /// How many ledger entries of `kind` a partner has for `collection` since `since` (a
    /// timestamp): the basis of per-day query limits.
    fn ledger_count_since(&self, partner: &str, kind: &str, collection: &str, since: &str) -> Result<u64>;

    /// The disclosure ledger: append entries (sequence number, partner, JSON text) in one
    /// transaction; sequence numbers must follow the last one without a gap.
    fn ledger_append(&mut self, entries: &[(u64, String, String)], checkpoint: Option<(u64, String)>) -> Result<()>;
    /// The last entry's sequence number and text.
    fn ledger_head(&self) -> Result<Option<(u64, String)>>;
    /// Entries after `after`, in order, optionally for one partner only; at most `limit`.
    fn ledger_entries(&self, after: u64, partner: Option<&str>, limit: usize) -> Result<Vec<(u64, String)>>;
    /// Every checkpoint's text, in order.
    fn ledger_checkpoints(&self) -> Result<Vec<String>>;

    /// The view of `collection` through `filter`, made (and filled from what the collection
    /// holds) if it does not exist yet. Every later write to the collection keeps it up to
    /// date in the same transaction. A view's `date_added` values are its own: strictly
    /// increasing, consecutive within one transaction and never earlier than the start of the
    /// second in which it was written, so their spacing says nothing of the versions the
    /// view leaves out.
    fn view(&mut self, collection: &Collection, filter: &Filter) -> Result<ViewId>;
    /// Drop every view but these (views of filters no longer in force).
    fn retain_views(&mut self, keep: &[ViewId]) -> Result<()>;
    /// Whether the view holds some version of `id` (so that a reference to it may stay).
    fn in_view(&self, view: ViewId, collection: &Collection, id: &str) -> Result<bool>;

    /// A node setting kept in the database (None when unset).
    fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Add objects to a collection (when given) and set node settings, in one transaction: a
    /// consumer's output and its cursor land together or not at all. `expect` is a compare and
    /// set: each named setting must still hold the value given (None: unset), or nothing is
    /// written and the answer is [`StoreError::Conflict`] (another consumer got there first).
    fn add_with_settings(
        &mut self,
        collection: Option<&Collection>,
        objects: &[Incoming],
        settings: &[(String, String)],
        expect: &[(String, Option<String>)],
    ) -> Result<Vec<AddOutcome>>;
}

/// The name prefix of the collections sync fills, one per partner (`inbound.PARTNER`).
pub const INBOUND_PREFIX: &str = "inbound.";

/// Whether a collection name is a partner's inbound collection. Sync alone writes to those (their
/// objects carry the partner's provenance); every other write path refuses them.
pub fn is_inbound(name: &str) -> bool {
    name.starts_with(INBOUND_PREFIX)
}

/// Why a write path (import, adopt, a TAXII POST or DELETE, creating a collection) may not write
/// to `name`; `None` when it may.
pub fn inbound_write_refusal(name: &str) -> Option<String> {
    let partner = name.strip_prefix(INBOUND_PREFIX)?;
    Some(format!("{name} holds what partner {partner} sent; only sync writes to it"))
}

/// The store's normal form of a version key: the timestamp with nine fraction digits (so that
/// text order is time order and `.1Z` equals `.100Z`), or `""` for an object with no version.
pub fn version_key(obj: &StixObject) -> String {
    obj.version().map(|t| t.format(9)).unwrap_or_default()
}
