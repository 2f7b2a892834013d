//! `pacto-log`: a verifiable append-only log in the manner of Certificate Transparency.
//!
//! - [`merkle`]: RFC 9162 §2.1 tree hashing, an incremental [`merkle::Tree`] (every level kept,
//!   so roots and proofs for any earlier size cost O(log n)), a [`merkle::Frontier`] (the
//!   right edge only, for streaming verifiers), inclusion and consistency proofs and their
//!   verification (RFC 9162 §2.1.3.2 and §2.1.4.2).
//! - [`note`]: C2SP signed notes (strict parsing, Ed25519 signatures, key ids, verifier keys).
//! - [`checkpoint`]: C2SP tlog-checkpoint bodies, signed by the log and cosigned by witnesses
//!   (C2SP tlog-cosignature, timestamped Ed25519).
//! - [`consistency`]: what a log and its witnesses check between two checkpoints: refusing to
//!   sign a head that does not extend the previous one, and a portable proof of equivocation.
//!
//! Architecture invariant: no I/O, no clock, nothing pacto-specific. Callers hand in bytes,
//! keys and times; every input from outside is parsed strictly and a bad one is an error that
//! says where and why, never a panic.
#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod consistency;
pub mod merkle;
pub mod note;

pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use merkle::Hash;

use base64::Engine as _;

/// Standard base64 (RFC 4648 §4, with padding), as C2SP formats use.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decode standard base64, accepting only the canonical encoding (so one value has one text).
pub fn unb64(s: &str) -> Option<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    (b64(&bytes) == s).then_some(bytes)
}

/// A hash from its base64 text (exactly 32 bytes).
pub fn hash_from_b64(s: &str) -> Option<Hash> {
    unb64(s)?.try_into().ok()
}
