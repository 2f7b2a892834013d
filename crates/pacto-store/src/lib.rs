//! `pacto-store`: where a pacto node keeps its STIX objects.
//!
//! What is stored is split by capability ([`ObjectStore`], [`AccountStore`],
//! [`CredentialStore`], [`PartnerStore`], [`PsiStore`], [`LedgerStore`], [`SettingStore`];
//! [`Store`] is all of them). Backends:
//! [`SqliteStore`], embedded, what every node starts with; and [`PostgresStore`], for nodes
//! that outgrow one machine. [`Database`] opens either from a URL; callers see the traits
//! and [`StoreError`] only, never a driver's types.
//!
//! The model: named collections; every version of every object kept, identified by
//! `(id, version)` where the version is `modified` (else `created`, else the object's only
//! version); a node-assigned `date_added` strictly increasing within a collection, usable as a
//! pagination cursor; re-adding an identical version is a no-op; a different object under an
//! existing `(id, version)` is refused, never overwritten; nothing follows a revocation.

mod capability;
mod database;
mod error;
mod postgres;
mod rules;
pub mod search;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use capability::{
    AccountStore, CoordinationStore, CredentialStore, LedgerAppend, LedgerBuild, LedgerStore, ObjectStore,
    PartnerStore, PsiStore, SearchStore, SessionStore, SettingStore, Store,
};
pub use database::{Connection, Database};
pub use error::{Result, StoreError};
pub use postgres::PostgresStore;
pub use search::{SearchHit, SearchQuery};
pub use sqlite::SqliteStore;

/// The storage traits, for callers that hold a concrete backend.
pub mod prelude {
    pub use crate::capability::{
        AccountStore, CoordinationStore, CredentialStore, LedgerStore, ObjectStore, PartnerStore, PsiStore,
        SearchStore, SessionStore, SettingStore, Store,
    };
}

use pacto_stix::{Facts, SpecVersion, StixObject};
use serde::Serialize;

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
    /// Read through a view (see [`ObjectStore::view`]): only the versions it admits, `date_added`
    /// and `added_after` on the view's own clock, first and last among the admitted versions.
    pub view: Option<ViewId>,
}

/// A partner's view of a collection: the object versions one [`Filter`](pacto_stix::Filter) admits, kept by the
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
    /// The account this node uses at the partner with HTTP Basic (empty under mutual TLS).
    pub username: String,
    /// The password this node uses at the partner with HTTP Basic (empty under mutual TLS). The
    /// store keeps what it is given: `pacto_node::secrets` seals it before it is put here, so the
    /// database never holds it in clear.
    pub password: String,
    /// A PEM file of CA certificates to trust for this partner (else the public web roots).
    pub ca_file: Option<String>,
    /// The SHA-256 fingerprint (hex) of the certificate the partner's server must present:
    /// when set, the connection is mutual TLS pinned to it (no CA, no password).
    #[serde(default)]
    pub fingerprint: Option<String>,
}

/// An API token: a secret a person or a tool presents as `Authorization: Bearer …` (or
/// `Token …`), with rights per collection like a user's. Only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ApiToken {
    /// The token's name (unique; `pacto token revoke NAME`).
    pub name: String,
    /// The SHA-256 of the token (hex): what a presented token is looked up by.
    pub hash: String,
    pub can_read: Vec<String>,
    pub can_write: Vec<String>,
    /// Microseconds since the epoch.
    pub created_us: i64,
    /// After this instant the token is refused.
    pub expires_us: Option<i64>,
    /// The last time it was accepted (recorded at most about once a minute).
    pub last_used_us: Option<i64>,
    /// When it was revoked; a revoked token is refused.
    pub revoked_us: Option<i64>,
}

/// A web console login session as stored. Its id is the bearer secret and is never stored:
/// only its SHA-256 (hex), so that reading the database does not let anyone log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The SHA-256 of the session id (hex).
    pub id_hash: String,
    /// The account logged in.
    pub user: String,
    /// The token every form of this session carries.
    pub csrf: String,
    /// The account's previous visit (microseconds since the epoch): the dashboard shows what is
    /// new since.
    pub last_visit_us: i64,
    /// When the session began (microseconds).
    pub started_us: i64,
    /// When it was last used, as recorded (microseconds; written at most about once a minute).
    pub seen_us: i64,
}

/// How long a console session lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// A session ends this long after it began (microseconds).
    pub life_us: i64,
    /// A session ends after this long unused (microseconds).
    pub idle_us: i64,
}

impl SessionLimits {
    /// Whether a session is still live at `now_us`.
    pub fn live(&self, s: &ConsoleSession, now_us: i64) -> bool {
        now_us.saturating_sub(s.started_us) < self.life_us && now_us.saturating_sub(s.seen_us) < self.idle_us
    }
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
    /// The partner's ledger entry whose signed receipt covers the answer this version arrived
    /// in (the receipt is kept: `LedgerStore::receipts`); none when the partner gave none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<u64>,
}

/// What an analyst decided about a version received from a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Copied into a local collection.
    Adopted,
    /// Looked at and left where it is.
    Dismissed,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Adopted => "adopted",
            Decision::Dismissed => "dismissed",
        }
    }

    /// The decision a stored value names.
    pub fn parse(s: &str) -> Result<Decision> {
        match s {
            "adopted" => Ok(Decision::Adopted),
            "dismissed" => Ok(Decision::Dismissed),
            other => Err(StoreError::Corrupt(format!(
                "a review holds the decision {other:?}, neither adopted nor dismissed"
            ))),
        }
    }
}

/// A decision on one received version: who took it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub id: String,
    pub version: String,
    pub decision: Decision,
    /// The account (empty: recorded by the upgrade that brought reviews, from earlier adoptions).
    pub by: String,
    pub at_us: i64,
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
    /// A labelled set's payloads (`None` for a plain set).
    pub labels: Option<PsiLabels>,
}

/// What a labelled set keeps besides its tags and points: one record per item (its tag, a key
/// derived from the item under the set's secret, and its payload), never the items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsiLabels {
    /// The payload's field names, as imported (an agreement may let a partner have some).
    pub fields: Vec<String>,
    /// The records, in pacto-psi's storage format (`LabelledRecords::to_bytes`).
    pub records: Vec<u8>,
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
