//! The embedded SQLite backend.
//!
//! One file in the node's data directory, in WAL mode with `synchronous=FULL`: a batch is
//! durable once `add_batch` returns, and a process killed at any moment leaves the database
//! at the last committed batch.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};
use serde_json::Value;

use pacto_stix::{Facts, Filter};

use crate::{
    AddOutcome, Collection, CollectionStats, Incoming, Provenance, PsiSet, Query, Remote, Result, Store, StoreError,
    StoredObject, User, Versions, ViewId,
};

/// Version 2 added partners' views (`views`, `view_rows`); a version-1 database gains them
/// on open (they fill when agreements are loaded), and a version-1 pacto refuses a version-2
/// database, which it would write without keeping the views up to date.
const SCHEMA_VERSION: i64 = 2;

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

fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
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
        match found {
            None => {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                    [SCHEMA_VERSION.to_string()],
                )?;
            }
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            // Version 1 lacked only the views, which the schema above has just created.
            Some(v) if v == "1" => {
                conn.execute("UPDATE meta SET value = ?1 WHERE key = 'schema_version'", [SCHEMA_VERSION.to_string()])?;
            }
            Some(v) => {
                return Err(StoreError::Other(format!(
                    "the database has schema version {v}; this pacto understands version {SCHEMA_VERSION}"
                )));
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

fn row_collection(r: &rusqlite::Row<'_>) -> rusqlite::Result<Collection> {
    Ok(Collection { id: r.get(0)?, name: r.get(1)?, title: r.get(2)?, description: r.get(3)?, created_us: r.get(4)? })
}

struct Existing {
    version: String,
    revoked: bool,
    is_latest: bool,
    is_first: bool,
}

/// Add objects inside a write transaction, handing out date_added values after the
/// collection's last one.
fn add_all(tx: &Transaction<'_>, pk: i64, objects: &[Incoming]) -> Result<Vec<AddOutcome>> {
    let last: i64 = tx.query_row("SELECT last_added FROM collections WHERE pk = ?1", [pk], |r| r.get(0))?;
    let mut views = live_views(tx, pk)?;
    let clock = view_clock();
    let mut next_added = last + 1;
    let mut outcomes = Vec::with_capacity(objects.len());
    for obj in objects {
        let outcome = add_one(tx, pk, obj, &mut next_added)?;
        if matches!(outcome, AddOutcome::Added { .. }) && !views.is_empty() {
            let seq = tx.last_insert_rowid();
            for v in views.iter_mut().filter(|v| v.filter.admits(&obj.facts).is_ok()) {
                view_insert(tx, v, clock, seq, &obj.id, &obj.version)?;
            }
        }
        outcomes.push(outcome);
    }
    if next_added > last + 1 {
        tx.execute("UPDATE collections SET last_added = ?1 WHERE pk = ?2", params![next_added - 1, pk])?;
    }
    save_view_clocks(tx, &views)?;
    Ok(outcomes)
}

/// A view being written to: its filter, and the last date_added it handed out.
struct LiveView {
    pk: i64,
    filter: Filter,
    last: i64,
    start: i64,
}

fn live_views(tx: &Transaction<'_>, coll: i64) -> Result<Vec<LiveView>> {
    let mut stmt = tx.prepare_cached("SELECT pk, filter, last_added FROM views WHERE coll = ?1")?;
    let rows = stmt.query_map([coll], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (pk, text, last) = row?;
        let filter: Filter =
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("view {pk}'s filter: {e}")))?;
        out.push(LiveView { pk, filter, last, start: last });
    }
    Ok(out)
}

fn save_view_clocks(tx: &Transaction<'_>, views: &[LiveView]) -> Result<()> {
    for v in views.iter().filter(|v| v.last != v.start) {
        tx.prepare_cached("UPDATE views SET last_added = ?1 WHERE pk = ?2")?.execute(params![v.last, v.pk])?;
    }
    Ok(())
}

/// The earliest date_added a view hands out in a transaction starting now: the start of the
/// next whole second. Within a transaction a view's values are consecutive, so a partner can
/// tell how many versions it was given in one write, but neither how many others were written
/// beside them nor, below a second, when.
fn view_clock() -> i64 {
    const SECOND: i64 = 1_000_000;
    (now_us() + SECOND - 1) / SECOND * SECOND
}

/// Add one stored version to a view, keeping its first and latest flags.
fn view_insert(tx: &Transaction<'_>, v: &mut LiveView, clock: i64, seq: i64, id: &str, version: &str) -> Result<()> {
    let date_added = (v.last + 1).max(clock);
    v.last = date_added;
    let idh = id_hash(id);
    let (latest, first): (Option<String>, Option<String>) = tx
        .prepare_cached("SELECT max(version), min(version) FROM view_rows WHERE view = ?1 AND idh = ?2 AND id = ?3")?
        .query_row(params![v.pk, idh, id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let is_latest = latest.as_deref().is_none_or(|l| version > l);
    let is_first = first.as_deref().is_none_or(|f| version < f);
    if is_latest && latest.is_some() {
        tx.prepare_cached(
            "UPDATE view_rows SET is_latest = 0 WHERE view = ?1 AND idh = ?2 AND id = ?3 AND is_latest = 1",
        )?
        .execute(params![v.pk, idh, id])?;
    }
    if is_first && first.is_some() {
        tx.prepare_cached(
            "UPDATE view_rows SET is_first = 0 WHERE view = ?1 AND idh = ?2 AND id = ?3 AND is_first = 1",
        )?
        .execute(params![v.pk, idh, id])?;
    }
    tx.prepare_cached(
        "INSERT INTO view_rows (view, date_added, seq, idh, id, version, is_latest, is_first)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![v.pk, date_added, seq, idh, id, version, is_latest, is_first])?;
    Ok(())
}

fn add_one(tx: &Transaction<'_>, pk: i64, incoming: &Incoming, next_added: &mut i64) -> Result<AddOutcome> {
    let id = incoming.id.as_str();
    let idh = id_hash(id);
    let version = incoming.version.as_str();
    let mut existing = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT version, revoked, is_latest, is_first FROM objects WHERE coll = ?1 AND idh = ?2 AND id = ?3",
        )?;
        let rows = stmt.query_map(params![pk, idh, id], |r| {
            Ok(Existing { version: r.get(0)?, revoked: r.get(1)?, is_latest: r.get(2)?, is_first: r.get(3)? })
        })?;
        for row in rows {
            existing.push(row?);
        }
    }
    if existing.iter().any(|e| e.version == version) {
        let (raw, date_added): (String, i64) = tx
            .prepare_cached(
                "SELECT raw, date_added FROM objects WHERE coll = ?1 AND idh = ?2 AND id = ?3 AND version = ?4",
            )?
            .query_row(params![pk, idh, id, version], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let stored: Value =
            serde_json::from_str(&raw).map_err(|e| StoreError::Corrupt(format!("{id} {version}: {e}")))?;
        let new: Value = serde_json::from_str(incoming.raw.get())
            .map_err(|e| StoreError::Other(format!("{id}: the object to store is not JSON: {e}")))?;
        return Ok(if stored == new {
            AddOutcome::Unchanged { date_added }
        } else {
            let shown = if version.is_empty() { "(unversioned)" } else { version };
            AddOutcome::Refused {
                reason: format!(
                    "a different object is already stored as {id} version {shown}; a new version needs a later modified"
                ),
            }
        });
    }
    let latest = existing.iter().find(|e| e.is_latest);
    if let Some(l) = latest
        && l.revoked
        && version > l.version.as_str()
    {
        return Ok(AddOutcome::Refused {
            reason: format!("{id} was revoked in version {}; no version may follow a revocation", l.version),
        });
    }
    let is_latest = latest.is_none_or(|l| version > l.version.as_str());
    let is_first = existing.iter().find(|e| e.is_first).is_none_or(|f| version < f.version.as_str());
    if is_latest && latest.is_some() {
        tx.prepare_cached(
            "UPDATE objects SET is_latest = 0 WHERE coll = ?1 AND idh = ?2 AND id = ?3 AND is_latest = 1",
        )?
        .execute(params![pk, idh, id])?;
    }
    if is_first && !existing.is_empty() {
        tx.prepare_cached("UPDATE objects SET is_first = 0 WHERE coll = ?1 AND idh = ?2 AND id = ?3 AND is_first = 1")?
            .execute(params![pk, idh, id])?;
    }
    let date_added = (*next_added).max(now_us());
    *next_added = date_added + 1;
    let spec_version = incoming.spec_version.as_str();
    tx.prepare_cached(
        "INSERT INTO objects (coll, idh, id, version, type, spec_version, date_added, revoked, is_latest, is_first, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        pk,
        idh,
        id,
        version,
        incoming.type_name,
        spec_version,
        date_added,
        incoming.revoked,
        is_latest,
        is_first,
        incoming.raw.get()
    ])?;
    Ok(AddOutcome::Added { date_added })
}

impl Store for SqliteStore {
    fn create_collection(&mut self, name: &str, title: &str, description: Option<&str>) -> Result<Collection> {
        if !valid_name(name) {
            return Err(StoreError::BadName(name.to_string()));
        }
        if self.collection(name)?.is_some() {
            return Err(StoreError::CollectionExists(name.to_string()));
        }
        let c = Collection {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_string(),
            title: title.to_string(),
            description: description.map(str::to_string),
            created_us: now_us(),
        };
        self.conn.execute(
            "INSERT INTO collections (id, name, title, description, created_us) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![c.id, c.name, c.title, c.description, c.created_us],
        )?;
        Ok(c)
    }

    fn collection(&self, name_or_id: &str) -> Result<Option<Collection>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, name, title, description, created_us FROM collections WHERE name = ?1 OR id = ?1",
                [name_or_id],
                row_collection,
            )
            .optional()?)
    }

    fn collections(&self) -> Result<Vec<Collection>> {
        let mut stmt =
            self.conn.prepare("SELECT id, name, title, description, created_us FROM collections ORDER BY name")?;
        let rows = stmt.query_map([], row_collection)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn stats(&self, collection: &Collection) -> Result<CollectionStats> {
        let pk = self.coll_pk(collection)?;
        let (versions, objects, revoked, first, last): (u64, u64, u64, Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(is_latest), 0), coalesce(sum(is_latest AND revoked), 0), min(date_added), max(date_added)
             FROM objects WHERE coll = ?1",
            [pk],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let mut stmt = self.conn.prepare(
            "SELECT type, count(*) FROM objects WHERE coll = ?1 AND is_latest = 1 GROUP BY type ORDER BY count(*) DESC, type",
        )?;
        let by_type = stmt.query_map([pk], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok(CollectionStats {
            collection: collection.clone(),
            objects,
            versions,
            revoked,
            by_type,
            date_added_first: first,
            date_added_last: last,
        })
    }

    fn add_batch(&mut self, collection: &Collection, objects: &[Incoming]) -> Result<Vec<AddOutcome>> {
        let pk = self.coll_pk(collection)?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let outcomes = add_all(&tx, pk, objects)?;
        tx.commit()?;
        Ok(outcomes)
    }

    fn add_batches(&mut self, batches: &[(&Collection, &[Incoming])]) -> Result<Vec<Vec<AddOutcome>>> {
        let pks = batches.iter().map(|(c, _)| self.coll_pk(c)).collect::<Result<Vec<_>>>()?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(batches.len());
        for (pk, (_, objects)) in pks.into_iter().zip(batches) {
            out.push(add_all(&tx, pk, objects)?);
        }
        tx.commit()?;
        Ok(out)
    }

    fn delete_object(&mut self, collection: &Collection, id: &str, versions: &Versions) -> Result<u64> {
        let pk = self.coll_pk(collection)?;
        let idh = id_hash(id);
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut args: Vec<rusqlite::types::Value> = vec![pk.into(), idh.into(), id.to_string().into()];
        let mut sql = String::from("DELETE FROM objects WHERE coll = ? AND idh = ? AND id = ?");
        if let Some(cond) = versions_condition(versions, &mut args, "") {
            sql.push_str(" AND ");
            sql.push_str(&cond);
        }
        // The versions going, so that views drop them too.
        let seqs: Vec<i64> = {
            let mut stmt = tx.prepare(&sql.replacen("DELETE FROM objects", "SELECT seq FROM objects", 1))?;
            let rows = stmt.query_map(params_from_iter(args.iter()), |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let deleted = tx.execute(&sql, params_from_iter(args))? as u64;
        for seq in &seqs {
            tx.prepare_cached("DELETE FROM view_rows WHERE seq = ?1")?.execute([seq])?;
        }
        if deleted > 0 {
            tx.execute(
                "UPDATE view_rows SET
                    is_latest = (version = (SELECT max(version) FROM view_rows o WHERE o.view = view_rows.view AND o.idh = ?2 AND o.id = ?3)),
                    is_first  = (version = (SELECT min(version) FROM view_rows o WHERE o.view = view_rows.view AND o.idh = ?2 AND o.id = ?3))
                 WHERE view IN (SELECT pk FROM views WHERE coll = ?1) AND idh = ?2 AND id = ?3",
                params![pk, idh, id],
            )?;
            // The remaining versions' first/last flags follow what is left.
            tx.execute(
                "UPDATE objects SET
                    is_latest = (version = (SELECT max(version) FROM objects o WHERE o.coll = ?1 AND o.idh = ?2 AND o.id = ?3)),
                    is_first  = (version = (SELECT min(version) FROM objects o WHERE o.coll = ?1 AND o.idh = ?2 AND o.id = ?3))
                 WHERE coll = ?1 AND idh = ?2 AND id = ?3",
                params![pk, idh, id],
            )?;
        }
        tx.commit()?;
        Ok(deleted)
    }

    fn total_versions(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM objects", [], |r| r.get(0))?)
    }

    fn put_user(&mut self, user: &User) -> Result<()> {
        let list = |l: &Vec<String>| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
        self.conn.execute(
            "INSERT INTO users (name, password_hash, can_read, can_write) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET password_hash = ?2, can_read = ?3, can_write = ?4",
            params![user.name, user.password_hash, list(&user.can_read), list(&user.can_write)],
        )?;
        Ok(())
    }

    fn remove_user(&mut self, name: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM users WHERE name = ?1", [name])? > 0)
    }

    fn user(&self, name: &str) -> Result<Option<User>> {
        Ok(self
            .conn
            .query_row("SELECT name, password_hash, can_read, can_write FROM users WHERE name = ?1", [name], user_row)
            .optional()?)
    }

    fn users(&self) -> Result<Vec<User>> {
        let mut stmt = self.conn.prepare("SELECT name, password_hash, can_read, can_write FROM users ORDER BY name")?;
        let rows = stmt.query_map([], user_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn put_remote(&mut self, r: &Remote) -> Result<()> {
        self.conn.execute(
            "INSERT INTO remotes (partner, api_root, username, password, ca_file) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (partner) DO UPDATE SET api_root = ?2, username = ?3, password = ?4, ca_file = ?5",
            params![r.partner, r.api_root, r.username, r.password, r.ca_file],
        )?;
        Ok(())
    }

    fn remote(&self, partner: &str) -> Result<Option<Remote>> {
        Ok(self
            .conn
            .query_row(
                "SELECT partner, api_root, username, password, ca_file FROM remotes WHERE partner = ?1",
                [partner],
                remote_row,
            )
            .optional()?)
    }

    fn remotes(&self) -> Result<Vec<Remote>> {
        let mut stmt =
            self.conn.prepare("SELECT partner, api_root, username, password, ca_file FROM remotes ORDER BY partner")?;
        let rows = stmt.query_map([], remote_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn remove_remote(&mut self, partner: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM remotes WHERE partner = ?1", [partner])? > 0)
    }

    fn sync_cursor(&self, partner: &str, remote_collection: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT cursor FROM sync_cursors WHERE partner = ?1 AND remote_collection = ?2",
                params![partner, remote_collection],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn add_synced(
        &mut self,
        collection: &Collection,
        objects: &[Incoming],
        provenance: &[Provenance],
        cursor: (&str, &str, &str),
    ) -> Result<Vec<AddOutcome>> {
        let pk = self.coll_pk(collection)?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let outcomes = add_all(&tx, pk, objects)?;
        for (p, outcome) in provenance.iter().zip(&outcomes) {
            if matches!(outcome, AddOutcome::Added { .. }) {
                insert_provenance(&tx, pk, p)?;
            }
        }
        tx.execute(
            "INSERT INTO sync_cursors (partner, remote_collection, cursor) VALUES (?1, ?2, ?3)
             ON CONFLICT (partner, remote_collection) DO UPDATE SET cursor = ?3",
            params![cursor.0, cursor.1, cursor.2],
        )?;
        tx.commit()?;
        Ok(outcomes)
    }

    fn provenance(&self, collection: &Collection, id: &str) -> Result<Vec<Provenance>> {
        let pk = self.coll_pk(collection)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, version, partner, remote_collection, remote_date_added, fetched_us FROM provenance
             WHERE coll = ?1 AND idh = ?2 AND id = ?3 ORDER BY version",
        )?;
        let rows = stmt.query_map(params![pk, id_hash(id), id], |r| {
            Ok(Provenance {
                id: r.get(0)?,
                version: r.get(1)?,
                partner: r.get(2)?,
                remote_collection: r.get(3)?,
                remote_date_added: r.get(4)?,
                fetched_us: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn adopt(&mut self, from: &Collection, to: &Collection, ids: &[String]) -> Result<Vec<AddOutcome>> {
        let mut incoming = Vec::new();
        let mut prov = Vec::new();
        for id in ids {
            let q = Query { ids: vec![id.clone()], ..Query::default() };
            let mut found = Vec::new();
            self.scan(from, &q, &mut |o| {
                found.push(o);
                Ok(())
            })?;
            if found.is_empty() {
                return Err(StoreError::Other(format!("{id} is not in {}", from.name)));
            }
            for o in found {
                let raw = serde_json::value::RawValue::from_string(o.raw)
                    .map_err(|e| StoreError::Corrupt(format!("{}: {e}", o.id)))?;
                let spec =
                    if o.spec_version == "2.0" { pacto_stix::SpecVersion::V20 } else { pacto_stix::SpecVersion::V21 };
                let facts = serde_json::from_str::<Value>(raw.get())
                    .ok()
                    .and_then(|v| v.as_object().map(Facts::of))
                    .unwrap_or_default();
                incoming.push(Incoming {
                    facts,
                    id: o.id,
                    type_name: o.type_name,
                    version: o.version,
                    spec_version: spec,
                    revoked: o.revoked,
                    raw,
                });
            }
            prov.extend(self.provenance(from, id)?);
        }
        // The copies and their provenance land together: an adopted object is never left
        // without the record of where it came from.
        let pk = self.coll_pk(to)?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let outcomes = add_all(&tx, pk, &incoming)?;
        for p in &prov {
            insert_provenance(&tx, pk, p)?;
        }
        tx.commit()?;
        Ok(outcomes)
    }

    fn put_psi_set(&mut self, p: &PsiSet) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let secret = p.secret.map(|s| s.to_vec()).unwrap_or_default();
        tx.execute(
            "INSERT INTO psi_sets (name, normalizer, secret, tags, items, created_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (name) DO UPDATE SET normalizer = ?2, secret = ?3, tags = ?4, items = ?5, created_us = ?6",
            params![p.name, p.normalizer, secret, p.tags, p.items, p.created_us],
        )?;
        tx.execute(
            "INSERT INTO psi_points (name, points) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET points = ?2",
            params![p.name, p.points],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn psi_set(&self, name: &str) -> Result<Option<PsiSet>> {
        Ok(self
            .conn
            .query_row(
                "SELECT s.name, s.normalizer, s.secret, s.tags, s.items, s.created_us, p.points
                 FROM psi_sets s LEFT JOIN psi_points p ON p.name = s.name WHERE s.name = ?1",
                [name],
                psi_row,
            )
            .optional()?)
    }

    fn psi_sets(&self) -> Result<Vec<PsiSet>> {
        let mut stmt = self.conn.prepare(
            "SELECT s.name, s.normalizer, s.secret, s.tags, s.items, s.created_us, p.points
             FROM psi_sets s LEFT JOIN psi_points p ON p.name = s.name ORDER BY s.name",
        )?;
        let rows = stmt.query_map([], psi_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn remove_psi_set(&mut self, name: &str) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM psi_points WHERE name = ?1", [name])?;
        let n = tx.execute("DELETE FROM psi_sets WHERE name = ?1", [name])?;
        tx.commit()?;
        Ok(n > 0)
    }

    fn ledger_count_since(&self, partner: &str, kind: &str, collection: &str, since: &str) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM ledger WHERE partner = ?1 AND json_extract(entry, '$.kind') = ?2
             AND json_extract(entry, '$.collection') = ?3 AND json_extract(entry, '$.time') >= ?4",
            params![partner, kind, collection, since],
            |r| r.get(0),
        )?)
    }

    fn ledger_append(&mut self, entries: &[(u64, String, String)], checkpoint: Option<(u64, String)>) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let last: u64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM ledger", [], |r| r.get(0))?;
        for (expect, (seq, partner, entry)) in (last + 1..).zip(entries) {
            if *seq != expect {
                return Err(StoreError::Other(format!("ledger entry {seq} does not follow entry {}", expect - 1)));
            }
            tx.prepare_cached("INSERT INTO ledger (seq, partner, entry) VALUES (?1, ?2, ?3)")?
                .execute(params![seq, partner, entry])?;
        }
        if let Some((seq, text)) = checkpoint {
            tx.execute("INSERT INTO ledger_checkpoints (seq, checkpoint) VALUES (?1, ?2)", params![seq, text])?;
        }
        tx.commit()?;
        Ok(())
    }

    fn ledger_head(&self) -> Result<Option<(u64, String)>> {
        Ok(self
            .conn
            .query_row("SELECT seq, entry FROM ledger ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn ledger_entries(&self, after: u64, partner: Option<&str>, limit: usize) -> Result<Vec<(u64, String)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare(
            "SELECT seq, entry FROM ledger WHERE seq > ?1 AND (?2 IS NULL OR partner = ?2) ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![after, partner, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [format!("setting.{key}")], |r| r.get(0))
            .optional()?)
    }

    fn add_with_settings(
        &mut self,
        collection: Option<&Collection>,
        objects: &[Incoming],
        settings: &[(String, String)],
        expect: &[(String, Option<String>)],
    ) -> Result<Vec<AddOutcome>> {
        let pk = collection.map(|c| self.coll_pk(c)).transpose()?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (k, want) in expect {
            let now: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [format!("setting.{k}")], |r| r.get(0))
                .optional()?;
            if &now != want {
                return Err(StoreError::Conflict(k.clone()));
            }
        }
        let outcomes = match pk {
            Some(pk) => add_all(&tx, pk, objects)?,
            None => Vec::new(),
        };
        for (k, v) in settings {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
                params![format!("setting.{k}"), v],
            )?;
        }
        tx.commit()?;
        Ok(outcomes)
    }

    fn view(&mut self, collection: &Collection, filter: &Filter) -> Result<ViewId> {
        let pk = self.coll_pk(collection)?;
        let key = filter.key();
        let find = "SELECT pk FROM views WHERE coll = ?1 AND filter = ?2";
        if let Some(view) = self.conn.query_row(find, params![pk, key], |r| r.get(0)).optional()? {
            return Ok(view);
        }
        let started = std::time::Instant::now();
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have made it meanwhile: look again, under the write lock.
        if let Some(view) = tx.query_row(find, params![pk, key], |r| r.get(0)).optional()? {
            return Ok(view);
        }
        tx.execute("INSERT INTO views (coll, filter) VALUES (?1, ?2)", params![pk, key])?;
        let view_pk = tx.last_insert_rowid();
        let mut live = LiveView { pk: view_pk, filter: filter.clone(), last: 0, start: 0 };
        let clock = view_clock();
        let (mut seen, mut admitted) = (0u64, 0u64);
        {
            let mut stmt =
                tx.prepare("SELECT seq, id, version, raw FROM objects WHERE coll = ?1 ORDER BY date_added")?;
            let mut rows = stmt.query([pk])?;
            while let Some(r) = rows.next()? {
                let (seq, id, version, raw): (i64, String, String, String) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                seen += 1;
                let value: Value =
                    serde_json::from_str(&raw).map_err(|e| StoreError::Corrupt(format!("{id} {version}: {e}")))?;
                let facts = value.as_object().map(Facts::of).unwrap_or_default();
                if live.filter.admits(&facts).is_ok() {
                    admitted += 1;
                    view_insert(&tx, &mut live, clock, seq, &id, &version)?;
                }
            }
        }
        save_view_clocks(&tx, std::slice::from_ref(&live))?;
        tx.commit()?;
        tracing::info!(
            collection = collection.name,
            versions = seen,
            admitted,
            millis = started.elapsed().as_millis() as u64,
            "partner view built"
        );
        Ok(view_pk)
    }

    fn retain_views(&mut self, keep: &[ViewId]) -> Result<()> {
        let list = keep.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(&format!("DELETE FROM view_rows WHERE view NOT IN ({list})"), [])?;
        tx.execute(&format!("DELETE FROM views WHERE pk NOT IN ({list})"), [])?;
        tx.commit()?;
        Ok(())
    }

    fn in_view(&self, view: ViewId, collection: &Collection, id: &str) -> Result<bool> {
        let pk = self.coll_pk(collection)?;
        Ok(self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM view_rows v JOIN objects o ON o.seq = v.seq
                 WHERE v.view = ?1 AND v.idh = ?2 AND v.id = ?3 AND o.coll = ?4)",
            )?
            .query_row(params![view, id_hash(id), id, pk], |r| r.get(0))?)
    }

    fn ledger_checkpoints(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT checkpoint FROM ledger_checkpoints ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn scan(
        &self,
        collection: &Collection,
        query: &Query,
        f: &mut dyn FnMut(StoredObject) -> Result<()>,
    ) -> Result<()> {
        let pk = self.coll_pk(collection)?;
        // `k` holds the listing's keys (date_added, id, version, first/last): the objects
        // themselves, or a view's rows joined to them.
        let mut args: Vec<rusqlite::types::Value> = vec![pk.into()];
        let k = if query.view.is_some() { "v" } else { "o" };
        let mut sql = format!("SELECT o.id, o.type, o.version, o.spec_version, {k}.date_added, o.revoked, o.raw ");
        match query.view {
            None => sql.push_str("FROM objects o WHERE o.coll = ?"),
            Some(view) => {
                sql.push_str("FROM view_rows v JOIN objects o ON o.seq = v.seq WHERE o.coll = ? AND v.view = ?");
                args.push(view.into());
            }
        }
        if let Some(after) = query.added_after {
            sql.push_str(&format!(" AND {k}.date_added > ?"));
            args.push(after.into());
        }
        let mut any_of = |col: &str, values: &[String], sql: &mut String| {
            if !values.is_empty() {
                sql.push_str(&format!(" AND {col} IN ({})", vec!["?"; values.len()].join(",")));
                args.extend(values.iter().map(|v| rusqlite::types::Value::Text(v.clone())));
            }
        };
        if !query.ids.is_empty() {
            let hashes: Vec<String> = query.ids.iter().map(|i| id_hash(i).to_string()).collect();
            sql.push_str(&format!(" AND {k}.idh IN ({})", hashes.join(",")));
        }
        any_of(&format!("{k}.id"), &query.ids, &mut sql);
        any_of("o.type", &query.types, &mut sql);
        any_of("o.spec_version", &query.spec_versions, &mut sql);
        if let Some(cond) = versions_condition(&query.versions, &mut args, &format!("{k}.")) {
            sql.push_str(" AND ");
            sql.push_str(&cond);
        }
        if query.exclude_revoked {
            sql.push_str(" AND NOT EXISTS (SELECT 1 FROM objects l WHERE l.coll = o.coll AND l.idh = o.idh AND l.id = o.id AND l.is_latest = 1 AND l.revoked = 1)");
        }
        // With ids given, look them up by the id index and sort the few rows found; otherwise
        // SQLite may walk the whole date_added index to keep the order.
        let order = if query.ids.is_empty() { "" } else { "+" };
        sql.push_str(&format!(" ORDER BY {order}{k}.date_added"));
        // SQLite's LIMIT is a signed 64-bit integer ("no limit" may arrive as usize::MAX).
        if let Some(limit) = query.limit.filter(|&l| l < i64::MAX as usize) {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            f(StoredObject {
                id: r.get(0)?,
                type_name: r.get(1)?,
                version: r.get(2)?,
                spec_version: r.get(3)?,
                date_added: r.get(4)?,
                revoked: r.get(5)?,
                raw: r.get(6)?,
            })?;
        }
        drop(rows);
        let steps = stmt.get_status(rusqlite::StatementStatus::VmStep);
        self.scan_steps.set(self.scan_steps.get() + u64::try_from(steps).unwrap_or(0));
        Ok(())
    }
}

impl SqliteStore {
    /// SQLite virtual-machine steps taken by reads through this connection so far.
    pub fn scan_steps(&self) -> u64 {
        self.scan_steps.get()
    }
}

/// The SQL condition for a version selection (None: no condition), pushing its arguments.
fn versions_condition(v: &Versions, args: &mut Vec<rusqlite::types::Value>, t: &str) -> Option<String> {
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

fn psi_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PsiSet> {
    let secret: Vec<u8> = r.get(2)?;
    Ok(PsiSet {
        name: r.get(0)?,
        normalizer: r.get(1)?,
        secret: secret.try_into().ok(),
        tags: r.get(3)?,
        points: r.get::<_, Option<Vec<u8>>>(6)?.unwrap_or_default(),
        items: r.get(4)?,
        created_us: r.get(5)?,
    })
}

fn remote_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Remote> {
    Ok(Remote { partner: r.get(0)?, api_root: r.get(1)?, username: r.get(2)?, password: r.get(3)?, ca_file: r.get(4)? })
}

fn insert_provenance(tx: &Transaction<'_>, pk: i64, p: &Provenance) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO provenance (coll, idh, id, version, partner, remote_collection, remote_date_added, fetched_us)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        pk,
        id_hash(&p.id),
        p.id,
        p.version,
        p.partner,
        p.remote_collection,
        p.remote_date_added,
        p.fetched_us
    ])?;
    Ok(())
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let list = |i: usize| -> rusqlite::Result<Vec<String>> {
        let text: String = r.get(i)?;
        serde_json::from_str(&text)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
    };
    Ok(User { name: r.get(0)?, password_hash: r.get(1)?, can_read: list(2)?, can_write: list(3)? })
}

/// FNV-1a, 64 bits: a stable hash of an object id for the id index (collisions only cost a
/// comparison of the ids themselves).
fn id_hash(id: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}
