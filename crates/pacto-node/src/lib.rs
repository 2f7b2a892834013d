//! `pacto-node`: what a pacto node does, whoever asks — the TAXII server (`pacto-taxii`, an
//! HTTP adapter over this crate) or the command line (`pacto`). Nothing here knows HTTP
//! serving: requests arrive as values, answers leave as values and [`NodeError`]s.
//!
//! - [`ingest`]: objects in (import, POST): checked one at a time ([`ingest::check_object`],
//!   also what sync checks a partner's objects with) and stored in batches.
//! - [`partner`]: who is calling ([`Caller`]) and what a partner receives from a collection
//!   ([`partner::Disclosure`]), page by page for the server and object by object for
//!   `pacto agreement check`.
//! - [`ledger`]: the disclosure ledger as a Merkle tree log ([`ledger::Log`]): recording
//!   disclosures and private-matching queries, signing heads, receipts, answering audits.
//! - [`client`] and [`sync`]: the TAXII client (partners are untrusted), and the sync of a
//!   partner's grants into `inbound.PARTNER`.
//! - [`audit`]: the receipts kept of partners' disclosures, checked, and audited against the
//!   partner's current log.
//! - [`browse`]: what a person looks at (search with filters, an object's history, provenance
//!   and neighbourhood, the dashboard, the ledger newest first, adopting), within the caller's
//!   rights; the console and `pacto search` both call it.
//! - [`accounts`]: password hashes and generated passwords; [`tokens`]: API tokens (hashes,
//!   expiry, revocation).
//! - [`psi`]: private matching, the holder's side (key files, checking and answering a query
//!   within a grant) and the querier's (`pacto match`).
//! - [`detect`]: what detection setup makes besides the setup.
//! - [`identity`]: node certificates between nodes (fingerprints, pinning, mutual TLS);
//!   [`secrets`]: what the node must keep but never in clear in its database.
//! - [`Node`]: the state requests act within (agreements in force, partners' views, drop
//!   boxes, keys).
//!
//! The crate works over the storage traits of `pacto-store`, never a backend; it binds no
//! socket and reads no configuration file (callers hand it paths, stores and agreements).

#![forbid(unsafe_code)]

pub mod accounts;
pub mod audit;
pub mod browse;
pub mod client;
pub mod detect;
pub mod identity;
pub mod ingest;
pub mod ledger;
pub mod partner;
pub mod psi;
pub mod receipts;
pub mod secrets;
pub mod send;
mod state;
pub mod sync;
pub mod tokens;
pub mod trace;

pub use accounts::{hash_password, random_password, verify_password};
pub use ingest::{
    CheckedObject, Ingest, IngestReport, ObjectOutcome, Rejection, RequestError, ValidatedRequest, check_object,
    ingest_request, precheck, validate_request,
};
pub use partner::Caller;
pub use psi::{PSI_MEDIA_TYPE, PsiKeys};
pub use state::Node;

/// Why the node refused or failed a request, by kind (an adapter maps each to its own terms:
/// the TAXII server to HTTP statuses).
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Nothing of that name the caller may see.
    #[error("{0}")]
    NotFound(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The request is malformed or breaks a rule.
    #[error("{0}")]
    BadRequest(String),
    /// An allowance is used up for now.
    #[error("{0}")]
    TooMany(String),
    /// The request does not fit the state of what it names.
    #[error("{title}: {description}")]
    Conflict { title: &'static str, description: String },
    #[error(transparent)]
    Store(#[from] pacto_store::StoreError),
    /// Something on this node is wrong (the sentence is for its operators).
    #[error("{0}")]
    Internal(String),
}
