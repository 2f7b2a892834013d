//! Databases for tests, on every backend (feature `testing`). A SQLite database is a file in a
//! temporary directory; a PostgreSQL one is a database of its own on the server named by
//! `PACTO_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`), dropped
//! afterwards. Where PostgreSQL cannot be reached its tests are skipped with a message, unless
//! `PACTO_REQUIRE_POSTGRES=1` (which `.ci/run` sets) makes that a failure.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Connection, Database};

/// The server tests use when `PACTO_TEST_POSTGRES` is unset.
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that lives as long as the value.
pub struct TestDatabase {
    pub database: Database,
    /// The backend's name, for messages: `sqlite` or `postgres`.
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh SQLite file.
    pub fn sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("a temporary directory");
        TestDatabase {
            database: Database::Sqlite(dir.path().join("pacto.db")),
            backend: "sqlite",
            _dir: Some(dir),
            drop_pg: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (after saying so on stderr) when no server can
    /// be reached and PostgreSQL is not required.
    pub fn postgres(test: &str) -> Option<TestDatabase> {
        static N: AtomicU32 = AtomicU32::new(0);
        let admin = std::env::var("PACTO_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string());
        let required = std::env::var("PACTO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let mut client = match postgres::Client::connect(&admin, postgres::NoTls) {
            Ok(c) => c,
            Err(e) if required => panic!("PostgreSQL is required (PACTO_REQUIRE_POSTGRES=1) but {admin}: {e}"),
            Err(e) => {
                eprintln!("skipped on PostgreSQL ({test}): cannot reach {admin}: {e}");
                return None;
            }
        };
        let name = format!(
            "pacto_t_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
        );
        client.batch_execute(&format!("CREATE DATABASE {name}")).expect("CREATE DATABASE");
        let url = match admin.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("PACTO_TEST_POSTGRES must be a postgres:// URL ending in /DATABASE"),
        };
        Some(TestDatabase {
            database: Database::Postgres(url),
            backend: "postgres",
            _dir: None,
            drop_pg: Some((admin, name)),
        })
    }

    /// Every backend this machine can run: SQLite always, PostgreSQL when reachable.
    pub fn all(test: &str) -> Vec<TestDatabase> {
        let mut v = vec![TestDatabase::sqlite()];
        v.extend(TestDatabase::postgres(test));
        v
    }

    /// A new connection (the first one creates the schema).
    pub fn open(&self) -> Connection {
        self.database.open().unwrap_or_else(|e| panic!("opening {}: {e}", self.database.display()))
    }

    /// The database URL, as `--database` takes it.
    pub fn url(&self) -> String {
        match &self.database {
            Database::Sqlite(p) => format!("sqlite:{}", p.display()),
            Database::Postgres(u) => u.clone(),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop_pg.take()
            && let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Run `body` once per backend, as `#[test]` functions of their own:
/// `on_every_backend!(name, |db: &TestDatabase| { … });` makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_every_backend {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[test]
            fn sqlite() {
                let db = $crate::testing::TestDatabase::sqlite();
                ($body)(&db);
            }
            #[test]
            fn postgres() {
                if let Some(db) =
                    $crate::testing::TestDatabase::postgres(concat!(module_path!(), "::", stringify!($name)))
                {
                    ($body)(&db);
                }
            }
        }
    };
}

impl TestDatabase {
    /// Run a statement of SQL directly (tests that tamper with what a node stored). SQLite's
    /// `json_extract(COLUMN, '$.KEY')` is read as `(COLUMN::jsonb ->> 'KEY')` on PostgreSQL.
    pub fn execute(&self, sql: &str) -> u64 {
        match &self.database {
            Database::Sqlite(p) => rusqlite::Connection::open(p).and_then(|c| c.execute(sql, [])).expect(sql) as u64,
            Database::Postgres(u) => {
                let mut c = postgres::Client::connect(u, postgres::NoTls).expect("connect");
                c.execute(&for_postgres(sql), &[]).expect(sql)
            }
        }
    }

    /// The rows a query returns, every value as text (NULL as "").
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        match &self.database {
            Database::Sqlite(p) => {
                let c = rusqlite::Connection::open(p).expect("open");
                let mut stmt = c.prepare(sql).expect(sql);
                let n = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        (0..n)
                            .map(|i| {
                                Ok(match r.get_ref(i)? {
                                    rusqlite::types::ValueRef::Null => String::new(),
                                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Real(v) => v.to_string(),
                                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                                        String::from_utf8_lossy(t).into_owned()
                                    }
                                })
                            })
                            .collect::<rusqlite::Result<Vec<String>>>()
                    })
                    .expect(sql);
                rows.map(|r| r.expect(sql)).collect()
            }
            Database::Postgres(u) => {
                let mut c = postgres::Client::connect(u, postgres::NoTls).expect("connect");
                c.simple_query(&for_postgres(sql))
                    .expect(sql)
                    .into_iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).unwrap_or_default().to_string()).collect())
                        }
                        _ => None,
                    })
                    .collect()
            }
        }
    }

    /// The first column of the first row, as a number (0 when there is none).
    pub fn query_u64(&self, sql: &str) -> u64 {
        self.query(sql).first().and_then(|r| r.first()).and_then(|v| v.parse().ok()).unwrap_or(0)
    }
}

/// SQLite's `json_extract(X, '$.key')` as PostgreSQL's `(X::jsonb ->> 'key')`.
fn for_postgres(sql: &str) -> String {
    let mut out = String::new();
    let mut rest = sql;
    while let Some(i) = rest.find("json_extract(") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "json_extract(".len()..];
        let Some(close) = after.find(')') else { break };
        let inner = &after[..close];
        match inner.split_once(", '$.") {
            Some((col, key)) => out.push_str(&format!("({col}::jsonb ->> '{}')", key.trim_end_matches('\''))),
            None => out.push_str(&format!("json_extract({inner})")),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A provenance record for tests: `id` at `version`, received from `partner`'s collection `c1`.
pub fn provenance(id: &str, version: &str, partner: &str, receipt: Option<u64>) -> crate::Provenance {
    crate::Provenance {
        id: id.into(),
        version: version.into(),
        partner: partner.into(),
        remote_collection: "c1".into(),
        remote_date_added: "2021-01-01T00:00:00.000000Z".into(),
        fetched_us: 1,
        receipt,
    }
}

/// Statements that take a SQLite database at schema 8 back to what schema 7 held (tests of
/// upgrades from earlier releases).
pub const UNDO_SQLITE_8: &str = "ALTER TABLE collections DROP COLUMN versions;
    DROP TABLE reviews; DROP TABLE console_sessions; DROP TABLE console_visits;
    ALTER TABLE provenance DROP COLUMN receipt_seq;";

/// Statements that take a PostgreSQL database at migration 7 back to what migration 6 held.
pub const UNDO_POSTGRES_7: &str = "ALTER TABLE collections DROP COLUMN versions;
    DROP TABLE reviews; DROP TABLE console_sessions; DROP TABLE console_visits;
    ALTER TABLE provenance DROP COLUMN receipt_seq;";
