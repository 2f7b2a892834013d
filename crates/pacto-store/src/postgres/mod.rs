//! The PostgreSQL backend, for nodes that outgrow one machine: many servers on one database.
//!
//! The same model as SQLite's, with what several writing processes need:
//! - a write to a collection holds that collection's row lock (`FOR UPDATE`) from its first
//!   `date_added` to its commit, so values are handed out and made visible in the same order:
//!   a reader paging by `date_added` never skips a version that commits later with a smaller
//!   value, and never sees one twice;
//! - `(collection, id, version)` and `(collection, date_added)` are unique in the schema too;
//! - the ledger is appended under a table lock, in one linear order;
//! - compare-and-set settings take an advisory lock per key;
//! - large batches go in by binary `COPY`;
//! - the planner's statistics of `objects` and `view_rows` are refreshed (`ANALYZE`) by the
//!   writer itself once it has written as many rows as the tables held at the last refresh
//!   (10,000 at the least): a table grown from empty by an import has none until autovacuum
//!   gets to it (a minute or more), and without them PostgreSQL reads a whole collection for a
//!   batch's lookup of 1,000 ids and sorts everything after a paging cursor (BENCHMARKS.md).
//!
//! Schema migrations are numbered and applied on connect under an advisory lock, so several
//! servers starting together apply each one once.

mod node;
mod objects;
mod search;
mod sessions;

use std::cell::{RefCell, RefMut};

use postgres::{Client, NoTls};

use crate::{Result, StoreError};

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        let message = match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        };
        StoreError::Backend { backend: "postgres", message }
    }
}

/// The schema, one migration per version; each is applied once, in order, in a transaction.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE collections (
    pk          BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    name        TEXT COLLATE "C" NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT,
    created_us  BIGINT NOT NULL,
    -- the last date_added handed out; only ever grows, and its row lock orders writers
    last_added  BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE objects (
    seq          BIGSERIAL PRIMARY KEY,
    coll         BIGINT NOT NULL REFERENCES collections(pk),
    id           TEXT NOT NULL,
    version      TEXT COLLATE "C" NOT NULL,
    type         TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    date_added   BIGINT NOT NULL,
    revoked      BOOLEAN NOT NULL,
    is_latest    BOOLEAN NOT NULL,
    is_first     BOOLEAN NOT NULL,
    raw          TEXT NOT NULL,   -- as received, byte for byte (not jsonb, which rewrites)
    UNIQUE (coll, id, version),
    UNIQUE (coll, date_added)
);
CREATE TABLE ledger (seq BIGINT PRIMARY KEY, partner TEXT NOT NULL, entry TEXT NOT NULL);
CREATE INDEX ledger_by_partner ON ledger (partner, seq);
CREATE TABLE ledger_checkpoints (seq BIGINT PRIMARY KEY, checkpoint TEXT NOT NULL);
CREATE TABLE remotes (
    partner  TEXT PRIMARY KEY,
    api_root TEXT NOT NULL,
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    ca_file  TEXT
);
CREATE TABLE sync_cursors (
    partner           TEXT NOT NULL,
    remote_collection TEXT NOT NULL,
    cursor            TEXT NOT NULL,
    PRIMARY KEY (partner, remote_collection)
);
CREATE TABLE provenance (
    coll              BIGINT NOT NULL REFERENCES collections(pk),
    id                TEXT NOT NULL,
    version           TEXT NOT NULL,
    partner           TEXT NOT NULL,
    remote_collection TEXT NOT NULL,
    remote_date_added TEXT NOT NULL,
    fetched_us        BIGINT NOT NULL
);
CREATE INDEX provenance_by_object ON provenance (coll, id);
CREATE TABLE psi_sets (
    name       TEXT PRIMARY KEY,
    normalizer TEXT NOT NULL,
    secret     BYTEA NOT NULL,
    tags       BYTEA NOT NULL,
    points     BYTEA NOT NULL,
    items      BIGINT NOT NULL,
    created_us BIGINT NOT NULL
);
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    can_read      TEXT NOT NULL,
    can_write     TEXT NOT NULL
);
CREATE TABLE views (
    pk         BIGSERIAL PRIMARY KEY,
    coll       BIGINT NOT NULL REFERENCES collections(pk),
    filter     TEXT NOT NULL,
    last_added BIGINT NOT NULL DEFAULT 0,
    UNIQUE (coll, filter)
);
CREATE TABLE view_rows (
    view       BIGINT NOT NULL,
    date_added BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    id         TEXT NOT NULL,
    version    TEXT COLLATE "C" NOT NULL,
    is_latest  BOOLEAN NOT NULL,
    is_first   BOOLEAN NOT NULL,
    PRIMARY KEY (view, date_added)
);
CREATE INDEX view_rows_by_id ON view_rows (view, id);
CREATE INDEX view_rows_by_seq ON view_rows (seq);
"#,
    ),
    (
        2,
        r#"
CREATE TABLE statuses (
    seq   BIGSERIAL PRIMARY KEY,
    id    TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    body  TEXT NOT NULL,
    bytes BIGINT NOT NULL
);
"#,
    ),
    (
        3,
        // A labelled private set's records (tag, item key, payload per item; pacto-psi's
        // format) and the names of its payload fields, beside its row in psi_sets.
        r#"
CREATE TABLE psi_labels (
    name    TEXT PRIMARY KEY REFERENCES psi_sets(name) ON DELETE CASCADE,
    fields  TEXT NOT NULL,
    records BYTEA NOT NULL
);
"#,
    ),
    (
        4,
        r#"
CREATE TABLE api_tokens (
    name         TEXT PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,   -- SHA-256 of the token, hex; never the token
    can_read     TEXT NOT NULL,
    can_write    TEXT NOT NULL,
    created_us   BIGINT NOT NULL,
    expires_us   BIGINT,
    last_used_us BIGINT,
    revoked_us   BIGINT
);
CREATE TABLE partner_certs (
    fingerprint TEXT PRIMARY KEY,          -- SHA-256 of the partner node's certificate, hex
    partner     TEXT NOT NULL UNIQUE
);
ALTER TABLE remotes ADD COLUMN fingerprint TEXT;
"#,
    ),
    (
        5,
        r#"
CREATE TABLE ledger_heads (size BIGINT PRIMARY KEY, checkpoint TEXT NOT NULL);
CREATE TABLE receipts (partner TEXT NOT NULL, seq BIGINT NOT NULL, receipt TEXT NOT NULL, PRIMARY KEY (partner, seq));
CREATE TABLE cosignatures (partner TEXT NOT NULL, size BIGINT NOT NULL, note TEXT NOT NULL, PRIMARY KEY (partner, size));
"#,
    ),
    (
        6,
        // The full-text index (crate::search): every string value of a version, split into words
        // of letters and digits as SQLite's unicode61 tokenizer splits them, in a generated
        // column (computed for the rows already there when it is added, and by every write
        // after, COPY included) under a GIN index. The text is cut at 500,000 characters, below
        // the 1 MB a tsvector may hold, so no object is refused for its size.
        r#"
CREATE FUNCTION pacto_search_words(raw TEXT) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple'::regconfig,
        left(regexp_replace(coalesce(string_agg(v #>> '{}', ' '), ''), '[^[:alnum:]]+', ' ', 'g'), 500000))
    FROM jsonb_path_query(raw::jsonb, 'strict $.**') AS v
    WHERE jsonb_typeof(v) = 'string'
$$;
ALTER TABLE objects ADD COLUMN search tsvector GENERATED ALWAYS AS (pacto_search_words(raw)) STORED;
CREATE INDEX objects_search ON objects USING GIN (search);
CREATE INDEX objects_by_type ON objects (coll, type, date_added);
"#,
    ),
    (
        7,
        // As SQLite's schema 8: the receipt a version arrived under, analysts' reviews of
        // received versions (filled with what was adopted before), the console's sessions,
        // each collection's count of versions.
        r#"
ALTER TABLE provenance ADD COLUMN receipt_seq BIGINT;
CREATE TABLE reviews (
    coll     BIGINT NOT NULL REFERENCES collections(pk),
    id       TEXT NOT NULL,
    version  TEXT COLLATE "C" NOT NULL,
    decision TEXT NOT NULL,
    by_user  TEXT NOT NULL,
    at_us    BIGINT NOT NULL,
    PRIMARY KEY (coll, id, version)
);
INSERT INTO reviews (coll, id, version, decision, by_user, at_us)
    SELECT src.pk, p.id, p.version, 'adopted', '', min(p.fetched_us)
    FROM provenance p
    JOIN collections dst ON dst.pk = p.coll
    JOIN collections src ON src.name = 'inbound.' || p.partner
    WHERE dst.name NOT LIKE 'inbound.%'
    GROUP BY src.pk, p.id, p.version
    ON CONFLICT DO NOTHING;
CREATE TABLE console_sessions (
    id_hash       TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    csrf          TEXT NOT NULL,
    last_visit_us BIGINT NOT NULL,
    started_us    BIGINT NOT NULL,
    seen_us       BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_user ON console_sessions (username);
CREATE TABLE console_visits (username TEXT PRIMARY KEY, at_us BIGINT NOT NULL);
-- The versions each collection holds, kept by every write in the statement that moves
-- last_added (on the collection row its writer holds locked already), counted once on upgrade.
ALTER TABLE collections ADD COLUMN versions BIGINT NOT NULL DEFAULT 0;
UPDATE collections c SET versions = (SELECT count(*) FROM objects o WHERE o.coll = c.pk);
"#,
    ),
];

/// The advisory lock key under which migrations run ("pacto" in ASCII).
const MIGRATION_LOCK: i64 = 0x0070_6163_746f;

/// A connection to a PostgreSQL database holding a pacto node.
pub struct PostgresStore {
    client: RefCell<Client>,
    /// Roles this connection leads (its session holds their advisory locks).
    leading: std::collections::BTreeSet<String>,
    /// Rows this connection wrote to `objects` and `view_rows` since it last refreshed their
    /// statistics, and how many rows `objects` held then.
    written: u64,
    analyzed_rows: u64,
}

/// The fewest rows written between two refreshes of the planner's statistics.
const ANALYZE_AFTER: u64 = 10_000;

impl PostgresStore {
    /// Connect (a libpq-style URL or key=value string), and bring the schema up to date.
    pub fn connect(url: &str) -> Result<Self> {
        let open = |message: String| StoreError::Open { target: crate::database::redact(url), message };
        let mut client = Client::connect(url, NoTls).map_err(|e| open(e.to_string()))?;
        migrate(&mut client)?;
        Ok(PostgresStore { client: RefCell::new(client), leading: Default::default(), written: 0, analyzed_rows: 0 })
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i32> {
        Ok(self.client()?.query_one("SELECT max(version) FROM pacto_schema", &[])?.get(0))
    }

    /// Count `rows` written, and refresh the planner's statistics of the object tables once
    /// this connection has written as many rows as `objects` held at its last refresh (and
    /// [`ANALYZE_AFTER`] at the least): a handful of refreshes over an import of millions, each
    /// a sample of 30,000 rows whatever the table's size. The write has committed already: a
    /// refresh that fails is logged, not returned.
    fn wrote(&mut self, rows: u64) {
        self.written += rows;
        if self.written < ANALYZE_AFTER.max(self.analyzed_rows) {
            return;
        }
        let started = std::time::Instant::now();
        let refreshed = self.client().and_then(|mut c| {
            c.batch_execute("ANALYZE objects, view_rows")?;
            let rows: f32 = c.query_one("SELECT reltuples FROM pg_class WHERE oid = 'objects'::regclass", &[])?.get(0);
            Ok(rows.max(0.0) as u64)
        });
        match refreshed {
            Ok(rows) => {
                tracing::debug!(
                    written = self.written,
                    rows,
                    millis = started.elapsed().as_millis() as u64,
                    "refreshed the planner's statistics of objects and view_rows"
                );
                self.analyzed_rows = rows;
            }
            Err(e) => tracing::warn!(error = %e, "could not refresh the planner's statistics (ANALYZE objects)"),
        }
        self.written = 0;
    }

    /// The connection. A store's calls do not nest (a `scan` callback must not call back into
    /// the same store); one that tried gets an error, not a panic.
    fn client(&self) -> Result<RefMut<'_, Client>> {
        self.client
            .try_borrow_mut()
            .map_err(|_| StoreError::Other("this store connection is busy with a read in progress".into()))
    }
}

fn migrate(client: &mut Client) -> Result<()> {
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS pacto_schema (version INT PRIMARY KEY, applied_us BIGINT NOT NULL)",
    )?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let at: i32 = tx.query_one("SELECT coalesce(max(version), 0) FROM pacto_schema", &[])?.get(0);
    if at > newest {
        return Err(StoreError::Schema(format!(
            "the database has schema version {at}; this pacto understands versions up to {newest}: upgrade pacto"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > at) {
        tx.batch_execute(sql)
            .map_err(|e| StoreError::Schema(format!("schema migration {version} failed: {}", StoreError::from(e))))?;
        tx.execute(
            "INSERT INTO pacto_schema (version, applied_us) VALUES ($1, $2)",
            &[version, &crate::rules::now_us()],
        )?;
        tracing::info!(version, "applied schema migration");
    }
    tx.commit()?;
    Ok(())
}
