//! The store's one error type, the same whichever backend answers.

/// Errors from a store. Backend errors arrive as [`StoreError::Backend`] with the backend's
/// own sentence, so callers never depend on a database driver's types.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no collection {0:?}")]
    NoSuchCollection(String),
    #[error("a collection named {0:?} already exists")]
    CollectionExists(String),
    #[error("invalid collection name {0:?}: use 1-64 characters of a-z, A-Z, 0-9, '-', '_' or '.'")]
    BadName(String),
    /// The database refused or failed (the backend's name, and its message).
    #[error("{backend}: {message}")]
    Backend { backend: &'static str, message: String },
    /// The database could not be reached or opened.
    #[error("cannot open the database {target}: {message}")]
    Open { target: String, message: String },
    #[error("stored object is corrupt: {0}")]
    Corrupt(String),
    #[error("setting {0:?} was changed by another writer")]
    Conflict(String),
    /// The database was made by a newer pacto, or is not a pacto database.
    #[error("{0}")]
    Schema(String),
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
