//! Which database a node uses, named by a URL: `sqlite:PATH` (the embedded default, a file in
//! the data directory) or `postgres://USER@HOST:PORT/DB` (`postgresql://` too).

use std::path::{Path, PathBuf};

use crate::{PostgresStore, Result, SqliteStore, Store, StoreError};

/// A database a node's processes open connections to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// One SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server, by its connection URL (libpq's URL form).
    Postgres(String),
}

/// A connection to a store, movable to the thread that uses it.
pub type Connection = Box<dyn Store + Send>;

impl Database {
    /// Read a database URL. A bare path (no scheme) is taken as a SQLite file, so that
    /// `--database ./pacto.db` works as one would expect.
    pub fn parse(url: &str) -> Result<Database> {
        let url = url.trim();
        let bad = |why: &str| StoreError::Open { target: redact(url), message: why.to_string() };
        if url.is_empty() {
            return Err(bad("the database URL is empty"));
        }
        if let Some(rest) = url.strip_prefix("sqlite://") {
            // sqlite:///abs/path and sqlite://rel/path both name a path.
            return if rest.is_empty() {
                Err(bad("sqlite:// names no file"))
            } else {
                Ok(Database::Sqlite(rest.into()))
            };
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            return if rest.is_empty() { Err(bad("sqlite: names no file")) } else { Ok(Database::Sqlite(rest.into())) };
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Database::Postgres(url.to_string()));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(bad(&format!("unknown database kind {scheme:?}: use sqlite:PATH or postgres://…")));
        }
        Ok(Database::Sqlite(url.into()))
    }

    /// The default: `pacto.db` in the data directory.
    pub fn in_data_dir(dir: &Path) -> Database {
        Database::Sqlite(dir.join("pacto.db"))
    }

    /// The URL as it may be logged or shown: a password in it is replaced by `***`.
    pub fn display(&self) -> String {
        match self {
            Database::Sqlite(p) => format!("sqlite:{}", p.display()),
            Database::Postgres(u) => redact(u),
        }
    }

    /// The embedded file, for a SQLite database.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Database::Sqlite(p) => Some(p),
            Database::Postgres(_) => None,
        }
    }

    /// A connection for the process's one writer (SQLite: it also folds the write-ahead log
    /// back on a thread of its own). Opening applies pending schema migrations.
    pub fn open_writer(&self) -> Result<Connection> {
        match self {
            Database::Sqlite(p) => Ok(Box::new(SqliteStore::open_writer(p)?)),
            Database::Postgres(u) => Ok(Box::new(PostgresStore::connect(u)?)),
        }
    }

    /// Another connection (readers, background workers).
    pub fn open(&self) -> Result<Connection> {
        match self {
            Database::Sqlite(p) => Ok(Box::new(SqliteStore::open(p)?)),
            Database::Postgres(u) => Ok(Box::new(PostgresStore::connect(u)?)),
        }
    }
}

/// A URL with its password (if any) replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((a, h)) => (a, h),
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_backend_and_bad_ones_say_why() {
        assert_eq!(Database::parse("sqlite:/x/pacto.db").unwrap(), Database::Sqlite("/x/pacto.db".into()));
        assert_eq!(Database::parse("sqlite:///x/pacto.db").unwrap(), Database::Sqlite("/x/pacto.db".into()));
        assert_eq!(Database::parse("./p.db").unwrap(), Database::Sqlite("./p.db".into()));
        assert_eq!(
            Database::parse("postgresql://u@127.0.0.1/test").unwrap(),
            Database::Postgres("postgresql://u@127.0.0.1/test".into())
        );
        let e = Database::parse("mysql://root:hunter2@db/x").unwrap_err().to_string();
        assert!(e.contains("unknown database kind \"mysql\""), "{e}");
        assert!(!e.contains("hunter2"), "a password never shows: {e}");
        assert!(Database::parse("").is_err());
        assert!(Database::parse("sqlite:").is_err());
    }

    #[test]
    fn passwords_never_show() {
        let d = Database::parse("postgres://pacto:s3cret@db.example:5432/pacto").unwrap();
        assert_eq!(d.display(), "postgres://pacto:***@db.example:5432/pacto");
        assert_eq!(Database::parse("postgres://db/x").unwrap().display(), "postgres://db/x");
    }
}
