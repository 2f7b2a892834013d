//! `pacto-node`: what a pacto node does, whoever asks — the TAXII server (`pacto-taxii`, an
//! HTTP adapter over this crate) or the command line (`pacto`).
//!
//! - [`ingest`]: objects in (import, POST), checked one at a time ([`ingest::check_object`],
//!   also what sync checks a partner's objects with) and stored in batches.
//!
//! The crate works over the storage traits of `pacto-store`, never a backend; it binds no
//! socket and reads no configuration file (callers hand it paths, stores and agreements).

#![forbid(unsafe_code)]

pub mod ingest;

pub use ingest::{
    CheckedObject, Ingest, IngestReport, ObjectOutcome, Rejection, RequestError, ValidatedRequest, check_object,
    ingest_request, precheck, validate_request,
};
