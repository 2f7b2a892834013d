//! `pacto-federation`: what a node shares with its partners, and the record of what it shared.
//!
//! - [`agreement`]: sharing agreements, one TOML file per partner, and [`agreement::Share::decide`],
//!   which says whether one object may go to the partner and, if so, in what redacted form.
//! - [`ledger`]: the disclosure ledger: a SHA-256 hash chain of every disclosure, with
//!   checkpoints signed by the node's Ed25519 key, verifiable offline by a partner.
//!
//! No I/O: callers hand in text, objects and keys.

pub mod agreement;
pub mod ledger;
