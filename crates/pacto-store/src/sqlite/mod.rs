//! The embedded SQLite backend.
//!
//! One file in the node's data directory, in WAL mode with `synchronous=FULL`: a batch is
//! durable once `add_batch` returns, and a process killed at any moment leaves the database
//! at the last committed batch.

pub(super) use crate::rules::id_hash;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use pacto_stix::Facts;

mod node;
mod objects;
mod search;
mod sessions;

use crate::prelude::*;
use crate::{
    AddOutcome, Collection, CollectionStats, Decision, Incoming, Provenance, PsiLabels, PsiSet, Query, Remote, Result,
    Review, StoreError, StoredObject, User, Versions, ViewId,
};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend { backend: "sqlite", message: e.to_string() }
    }
}

/// The schema's versions: 2 added partners' views (`views`, `view_rows`: they fill when
/// agreements are loaded); 3 added request statuses (`statuses`); 4 labelled private sets'
/// payloads (`psi_labels`); 5 added API tokens
/// (`api_tokens`), partners' certificate fingerprints (`partner_certs`) and the pinned
/// fingerprint of a partner's server (`remotes.fingerprint`); 6 added the ledger's signed heads
/// (`ledger_heads`), the receipts kept from partners (`receipts`) and partners' cosignatures of
/// this node's heads (`cosignatures`); 7 added the full-text index (`objects_fts`, FTS5, kept
/// by triggers on `objects`, and filled from what the database holds on upgrade); 8 added the
/// partner's receipt an object arrived under (`provenance.receipt_seq`), analysts' reviews of
/// received versions (`reviews`, filled on upgrade with what was adopted before), and the
/// console's sessions and visits (`console_sessions`, `console_visits`), and each collection's
/// count of versions (`collections.versions`, kept by every write). Each is applied on open to a database at an earlier
/// version (the tables below are created if missing, and [`UPGRADES`] runs what creating cannot
/// do); a pacto that knows an earlier version refuses a later database, which it might write
/// without keeping up what the later version keeps.
const SCHEMA_VERSION: i64 = 8;

/// Statements that take a database from the version before to the one given, beyond creating
/// the missing tables and indexes. (A fresh database runs them all.)
const UPGRADES: &[(i64, &str)] = &[
    (
        4,
        // A labelled private set's records (tag, item key, payload per item; pacto-psi's format)
        // and the names of its payload fields, beside its row in psi_sets.
        "CREATE TABLE IF NOT EXISTS psi_labels (name TEXT PRIMARY KEY, fields TEXT NOT NULL, records BLOB NOT NULL);",
    ),
    (
        5,
        r#"
CREATE TABLE IF NOT EXISTS api_tokens (
    name         TEXT PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,   -- SHA-256 of the token, hex; never the token
    can_read     TEXT NOT NULL,
    can_write    TEXT NOT NULL,
    created_us   INTEGER NOT NULL,
    expires_us   INTEGER,
    last_used_us INTEGER,
    revoked_us   INTEGER
);
CREATE TABLE IF NOT EXISTS partner_certs (
    fingerprint TEXT PRIMARY KEY,          -- SHA-256 of the partner node's certificate, hex
    partner     TEXT NOT NULL UNIQUE
);
ALTER TABLE remotes ADD COLUMN fingerprint TEXT;
"#,
    ),
    (
        7,
        // Every string value of every stored version, as words (crate::search): contentless (the
        // text is in `objects.raw` already), rows deleted with their version. The tokenizer keeps
        // diacritics, as PostgreSQL's `simple` configuration does, so both backends agree.
        r#"
CREATE VIRTUAL TABLE IF NOT EXISTS objects_fts USING fts5(
    body, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER IF NOT EXISTS objects_fts_insert AFTER INSERT ON objects BEGIN
    INSERT INTO objects_fts (rowid, body)
    VALUES (new.seq, (SELECT coalesce(group_concat(value, ' '), '') FROM json_tree(new.raw) WHERE type = 'text'));
END;
CREATE TRIGGER IF NOT EXISTS objects_fts_delete AFTER DELETE ON objects BEGIN
    DELETE FROM objects_fts WHERE rowid = old.seq;
END;
-- One collection's objects of one type, newest first (the dashboard's sightings, a type filter).
CREATE INDEX IF NOT EXISTS objects_by_type ON objects (coll, type, date_added);
INSERT INTO objects_fts (objects_fts) VALUES ('delete-all');
INSERT INTO objects_fts (rowid, body)
    SELECT seq, (SELECT coalesce(group_concat(value, ' '), '') FROM json_tree(objects.raw) WHERE type = 'text')
    FROM objects;
"#,
    ),
    (
        8,
        r#"
-- The partner's ledger entry whose receipt covers the answer a version arrived in (none: the
-- partner gave no receipt, or the version was received before receipts were kept with it).
ALTER TABLE provenance ADD COLUMN receipt_seq INTEGER;
-- An analyst's decision on a version received from a partner: adopted into a local collection,
-- or dismissed. A received version with no row here is awaiting review.
CREATE TABLE IF NOT EXISTS reviews (
    coll     INTEGER NOT NULL REFERENCES collections(pk),
    idh      INTEGER NOT NULL,
    id       TEXT NOT NULL,
    version  TEXT NOT NULL,
    decision TEXT NOT NULL,   -- 'adopted' or 'dismissed'
    by_user  TEXT NOT NULL,   -- empty: recorded by the upgrade that added reviews
    at_us    INTEGER NOT NULL,
    PRIMARY KEY (coll, idh, id, version)
);
INSERT OR IGNORE INTO reviews (coll, idh, id, version, decision, by_user, at_us)
    SELECT src.pk, p.idh, p.id, p.version, 'adopted', '', p.fetched_us
    FROM provenance p
    JOIN collections dst ON dst.pk = p.coll
    JOIN collections src ON src.name = 'inbound.' || p.partner
    WHERE dst.name NOT LIKE 'inbound.%';
-- The console's sessions: the hash of the id the browser holds (never the id), whose account,
-- the CSRF token of its forms, and when it started and was last used (microseconds).
CREATE TABLE IF NOT EXISTS console_sessions (
    id_hash    TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    csrf          TEXT NOT NULL,
    last_visit_us INTEGER NOT NULL,
    started_us    INTEGER NOT NULL,
    seen_us       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS console_sessions_by_user ON console_sessions (username);
-- When each account last logged in to the console (the dashboard shows what is new since).
CREATE TABLE IF NOT EXISTS console_visits (username TEXT PRIMARY KEY, at_us INTEGER NOT NULL);
-- The versions each collection holds, kept by every write in the statement that moves
-- last_added (the dashboard reads it, whatever the collection's size), counted once from what
-- the database holds on upgrade.
ALTER TABLE collections ADD COLUMN versions INTEGER NOT NULL DEFAULT 0;
UPDATE collections SET versions = (SELECT count(*) FROM objects WHERE objects.coll = collections.pk);
"#,
    ),
];

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS collections (
    pk          INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT,
    created_us  INTEGER NOT NULL,
    -- the last date_added handed out; only ever grows, so date_added is strictly increasing
    last_added  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS objects (
    seq          INTEGER PRIMARY KEY,
    coll         INTEGER NOT NULL REFERENCES collections(pk),
    -- a 64-bit hash of id: the index on it is a fifth the size of one on the text, so it stays
    -- in cache for millions of objects; lookups compare the id itself as well
    idh          INTEGER NOT NULL,
    id           TEXT NOT NULL,
    version      TEXT NOT NULL,
    type         TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    date_added   INTEGER NOT NULL,
    revoked      INTEGER NOT NULL,
    is_latest    INTEGER NOT NULL,
    is_first     INTEGER NOT NULL,
    raw          TEXT NOT NULL
);
-- (coll, id, version) is unique: add_one checks before it inserts, inside a write transaction.
CREATE INDEX IF NOT EXISTS objects_by_id ON objects (coll, idh);
-- The disclosure ledger (entries are hash-chained JSON; see pacto-federation::ledger).
CREATE TABLE IF NOT EXISTS ledger (
    seq     INTEGER PRIMARY KEY,
    partner TEXT NOT NULL,
    entry   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_by_partner ON ledger (partner, seq);
CREATE TABLE IF NOT EXISTS ledger_checkpoints (
    seq        INTEGER PRIMARY KEY,
    checkpoint TEXT NOT NULL
);
-- Signed checkpoints of the ledger's Merkle tree log (C2SP signed notes), by tree size.
CREATE TABLE IF NOT EXISTS ledger_heads (
    size       INTEGER PRIMARY KEY,
    checkpoint TEXT NOT NULL
);
-- Receipts partners' nodes gave for their answers, by the response entry in their log.
CREATE TABLE IF NOT EXISTS receipts (
    partner TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    receipt TEXT NOT NULL,
    PRIMARY KEY (partner, seq)
);
-- Partners' cosignatures (as witnesses) of this node's signed heads.
CREATE TABLE IF NOT EXISTS cosignatures (
    partner TEXT NOT NULL,
    size    INTEGER NOT NULL,
    note    TEXT NOT NULL,
    PRIMARY KEY (partner, size)
);
-- Partners' servers, sync cursors, and where received objects came from.
CREATE TABLE IF NOT EXISTS remotes (
    partner  TEXT PRIMARY KEY,
    api_root TEXT NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    ca_file  TEXT
);
CREATE TABLE IF NOT EXISTS sync_cursors (
    partner           TEXT NOT NULL,
    remote_collection TEXT NOT NULL,
    cursor            TEXT NOT NULL,
    PRIMARY KEY (partner, remote_collection)
);
CREATE TABLE IF NOT EXISTS provenance (
    coll              INTEGER NOT NULL,
    idh               INTEGER NOT NULL,
    id                TEXT NOT NULL,
    version           TEXT NOT NULL,
    partner           TEXT NOT NULL,
    remote_collection TEXT NOT NULL,
    remote_date_added TEXT NOT NULL,
    fetched_us        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS provenance_by_object ON provenance (coll, idh);
CREATE TABLE IF NOT EXISTS psi_sets (
    name       TEXT PRIMARY KEY,
    normalizer TEXT NOT NULL,
    secret     BLOB NOT NULL,
    tags       BLOB NOT NULL,
    items      INTEGER NOT NULL,
    created_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    can_read      TEXT NOT NULL,  -- JSON list of collection names, or ["*"]
    can_write     TEXT NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS objects_by_added ON objects (coll, date_added);

-- Partners' views (Store::view): per collection and sharing filter, the object versions the
-- filter admits, with date_added values of the view's own; kept by every write.
CREATE TABLE IF NOT EXISTS views (
    pk         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a dropped view's id stays dead
    coll       INTEGER NOT NULL REFERENCES collections(pk),
    filter     TEXT NOT NULL,
    last_added INTEGER NOT NULL DEFAULT 0,
    UNIQUE (coll, filter)
);
CREATE TABLE IF NOT EXISTS view_rows (
    view       INTEGER NOT NULL,
    date_added INTEGER NOT NULL,
    seq        INTEGER NOT NULL,   -- objects.seq
    idh        INTEGER NOT NULL,
    id         TEXT NOT NULL,
    version    TEXT NOT NULL,
    is_latest  INTEGER NOT NULL,   -- latest among the versions in the view
    is_first   INTEGER NOT NULL,
    PRIMARY KEY (view, date_added)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS view_rows_by_id ON view_rows (view, idh);
CREATE INDEX IF NOT EXISTS view_rows_by_seq ON view_rows (seq);
-- A private set's points blinded under its secret (size-only queries); the secret itself is
-- kept in a key file, never here.
CREATE TABLE IF NOT EXISTS psi_points (name TEXT PRIMARY KEY, points BLOB NOT NULL);
-- Status resources of TAXII requests (newest kept, see CoordinationStore::put_status).
CREATE TABLE IF NOT EXISTS statuses (
    seq   INTEGER PRIMARY KEY,
    id    TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    body  TEXT NOT NULL,
    bytes INTEGER NOT NULL
);
"#;

/// The SQLite store.
pub struct SqliteStore {
    conn: Connection,
    checkpointer: Option<Checkpointer>,
    /// SQLite virtual-machine steps taken by reads (`scan`): the work a read did, counted
    /// exactly, so tests can show that a partner's read costs nothing for what it leaves out.
    scan_steps: std::cell::Cell<u64>,
}

/// Copies the write-ahead log into the database file on its own thread and connection, so
/// that writers never stop to do it (SQLite's automatic checkpoint runs inside a commit).
struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    const EVERY: std::time::Duration = std::time::Duration::from_millis(200);

    fn start(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::park_timeout(Self::EVERY);
                    // PASSIVE never blocks readers or writers; it copies what it can.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
                // On the way out, fold the whole log back (it then starts over small).
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            })
            .map_err(|e| StoreError::Other(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer { stop, handle: Some(handle) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.thread().unpark();
            let _ = h.join();
        }
    }
}

impl SqliteStore {
    /// Open (creating if needed) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
        }
        Self::init(Connection::open(path)?)
    }

    /// Open the database as its node's writer: as [`SqliteStore::open`], and checkpoints of the
    /// write-ahead log move to a background thread (commits no longer pause for them). Open one
    /// such store per database; readers use [`SqliteStore::open`].
    pub fn open_writer(path: &Path) -> Result<Self> {
        let mut store = Self::open(path)?;
        store.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        store.checkpointer = Some(Checkpointer::start(path)?);
        Ok(store)
    }

    /// A private in-memory database (tests, benchmarks).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // A 64 MiB page cache: imports touch many index pages. (No mmap: mapped pages count
        // toward the process's resident memory, which must stay small on large imports.)
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.execute_batch(SCHEMA)?;
        let found: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).optional()?;
        let at: i64 = match found {
            None => 0,
            Some(v) => v
                .parse()
                .map_err(|_| StoreError::Schema(format!("the database's schema version {v:?} is not a number")))?,
        };
        if at > SCHEMA_VERSION {
            return Err(StoreError::Schema(format!(
                "the database has schema version {at}; this pacto understands versions up to {SCHEMA_VERSION}: upgrade pacto"
            )));
        }
        if at < SCHEMA_VERSION {
            for (version, sql) in UPGRADES.iter().filter(|u| u.0 > at) {
                conn.execute_batch(sql)
                    .map_err(|e| StoreError::Schema(format!("schema upgrade to version {version} failed: {e}")))?;
            }
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = ?1",
                [SCHEMA_VERSION.to_string()],
            )?;
            if at > 0 {
                tracing::info!(from = at, to = SCHEMA_VERSION, "upgraded the database schema");
            }
        }
        Ok(SqliteStore { conn, checkpointer: None, scan_steps: std::cell::Cell::new(0) })
    }

    fn coll_pk(&self, c: &Collection) -> Result<i64> {
        self.conn
            .query_row("SELECT pk FROM collections WHERE id = ?1", [&c.id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NoSuchCollection(c.name.clone()))
    }
}

impl SqliteStore {
    /// SQLite virtual-machine steps taken by reads through this connection so far.
    pub fn scan_steps(&self) -> u64 {
        self.scan_steps.get()
    }
}

/// The SQL condition for a version selection (None: no condition), pushing its arguments.
pub(super) fn versions_condition(v: &Versions, args: &mut Vec<rusqlite::types::Value>, t: &str) -> Option<String> {
    if v.all {
        return None;
    }
    let mut any = Vec::new();
    if v.first {
        any.push(format!("{t}is_first = 1"));
    }
    if v.last {
        any.push(format!("{t}is_latest = 1"));
    }
    if !v.at.is_empty() {
        any.push(format!("{t}version IN ({})", vec!["?"; v.at.len()].join(",")));
        args.extend(v.at.iter().map(|a| rusqlite::types::Value::Text(a.clone())));
    }
    if !v.at_added.is_empty() {
        any.push(format!("({t}version = '' AND {t}date_added IN ({}))", vec!["?"; v.at_added.len()].join(",")));
        args.extend(v.at_added.iter().map(|a| rusqlite::types::Value::Integer(*a)));
    }
    Some(if any.is_empty() { "0".to_string() } else { format!("({})", any.join(" OR ")) })
}

pub(super) fn psi_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PsiSet> {
    let secret: Vec<u8> = r.get(2)?;
    Ok(PsiSet {
        name: r.get(0)?,
        normalizer: r.get(1)?,
        secret: secret.try_into().ok(),
        tags: r.get(3)?,
        points: r.get::<_, Option<Vec<u8>>>(6)?.unwrap_or_default(),
        items: r.get(4)?,
        created_us: r.get(5)?,
        labels: match (r.get::<_, Option<String>>(7)?, r.get::<_, Option<Vec<u8>>>(8)?) {
            (Some(fields), Some(records)) => Some(PsiLabels {
                fields: serde_json::from_str(&fields).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e))
                })?,
                records,
            }),
            _ => None,
        },
    })
}

pub(super) fn remote_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Remote> {
    Ok(Remote {
        partner: r.get(0)?,
        api_root: r.get(1)?,
        username: r.get(2)?,
        password: r.get(3)?,
        ca_file: r.get(4)?,
        fingerprint: r.get(5)?,
    })
}

/// A JSON list of collection names, as the rights columns hold them.
pub(super) fn rights_json(l: &[String]) -> String {
    serde_json::to_string(l).unwrap_or_else(|_| "[]".into())
}

fn rights_list(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Vec<String>> {
    let text: String = r.get(i)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

pub(super) const TOKEN_COLUMNS: &str =
    "name, hash, can_read, can_write, created_us, expires_us, last_used_us, revoked_us";

pub(super) fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<crate::ApiToken> {
    Ok(crate::ApiToken {
        name: r.get(0)?,
        hash: r.get(1)?,
        can_read: rights_list(r, 2)?,
        can_write: rights_list(r, 3)?,
        created_us: r.get(4)?,
        expires_us: r.get(5)?,
        last_used_us: r.get(6)?,
        revoked_us: r.get(7)?,
    })
}

pub(super) fn insert_provenance(tx: &Transaction<'_>, pk: i64, p: &Provenance) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO provenance (coll, idh, id, version, partner, remote_collection, remote_date_added, fetched_us, receipt_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        pk,
        id_hash(&p.id),
        p.id,
        p.version,
        p.partner,
        p.remote_collection,
        p.remote_date_added,
        p.fetched_us,
        p.receipt.map(|r| r.min(i64::MAX as u64) as i64)
    ])?;
    Ok(())
}

pub(super) fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User { name: r.get(0)?, password_hash: r.get(1)?, can_read: rights_list(r, 2)?, can_write: rights_list(r, 3)? })
}
