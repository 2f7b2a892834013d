//! Checkpoints (C2SP `tlog-checkpoint`) and their cosignatures (C2SP `tlog-cosignature`).
//!
//! A checkpoint body is three lines and optional extension lines, each ending in a newline:
//!
//! ```text
//! <origin>            the log's identity, a schema-less URL
//! <tree size>         decimal, no leading zeros
//! <root hash>         standard base64 of the 32-byte RFC 9162 root
//! [<extension>…]      non-empty lines, kept and signed, given no meaning here
//! ```
//!
//! The log signs the body as a signed note with an Ed25519 key named after the origin. A
//! witness (a partner) adds a cosignature: a signature line under its own name whose bytes are
//! `key id (4) || timestamp (8, big-endian POSIX seconds) || Ed25519 signature (64)` over
//! `"cosignature/v1\ntime <timestamp>\n" || body`, with key id type 0x04.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::Hash;
use crate::note::{self, Note, NoteError, NoteSignature, NoteSigner, NoteVerifier, TYPE_COSIGNATURE};

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("{0}")]
    Note(#[from] NoteError),
    #[error("checkpoint line {line}: {reason}")]
    Body { line: usize, reason: String },
    #[error("the checkpoint is for log {found:?}, not {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error("the cosignature by {name} does not verify")]
    BadCosignature { name: String },
    #[error("no cosignature by {name}")]
    NoCosignature { name: String },
}

/// What a checkpoint states: the log `origin` had `size` leaves with root `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub extensions: Vec<String>,
}

impl Checkpoint {
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Checkpoint { origin: origin.to_string(), size, root, extensions: Vec::new() }
    }

    /// The body text, as signed.
    pub fn body(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.origin, self.size, crate::b64(&self.root));
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Read a body strictly.
    pub fn parse_body(text: &str) -> Result<Checkpoint, CheckpointError> {
        let bad = |line: usize, reason: &str| CheckpointError::Body { line, reason: reason.to_string() };
        let body = text.strip_suffix('\n').ok_or_else(|| bad(0, "the body does not end with a newline"))?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(bad(lines.len() + 1, "a checkpoint has an origin, a tree size and a root hash line"));
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(bad(1, "the origin is empty"));
        }
        let size_text = lines[1];
        if size_text.is_empty()
            || !size_text.bytes().all(|b| b.is_ascii_digit())
            || (size_text.len() > 1 && size_text.starts_with('0'))
        {
            return Err(bad(2, "the tree size is not a decimal number without leading zeros"));
        }
        let size = size_text.parse::<u64>().map_err(|_| bad(2, "the tree size does not fit in 64 bits"))?;
        let root =
            crate::hash_from_b64(lines[2]).ok_or_else(|| bad(3, "the root hash is not 32 bytes in standard base64"))?;
        let mut extensions = Vec::new();
        for (i, e) in lines[3..].iter().enumerate() {
            if e.is_empty() {
                return Err(bad(i + 4, "an extension line is empty"));
            }
            extensions.push(e.to_string());
        }
        Ok(Checkpoint { origin: origin.to_string(), size, root, extensions })
    }
}

/// A checkpoint with the note that carries its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub note: Note,
}

impl SignedCheckpoint {
    /// The note text (body, blank line, signature lines).
    pub fn to_text(&self) -> String {
        self.note.to_text()
    }
}

/// The log's key: signs checkpoints under the name of its origin.
#[derive(Clone)]
pub struct LogSigner {
    signer: NoteSigner,
}

impl LogSigner {
    /// `None` if the origin is not usable as a key name (empty, spaces, `+`).
    pub fn new(origin: &str, key: SigningKey) -> Option<Self> {
        Some(LogSigner { signer: NoteSigner::new(origin, key)? })
    }

    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    pub fn verifier(&self) -> LogVerifier {
        LogVerifier { key: self.signer.verifier() }
    }

    /// Sign a checkpoint of this log of `size` leaves and root `root`.
    pub fn sign(&self, size: u64, root: Hash) -> SignedCheckpoint {
        let checkpoint = Checkpoint::new(self.origin(), size, root);
        let note = self.signer.sign(&checkpoint.body());
        SignedCheckpoint { checkpoint, note }
    }
}

/// A trusted log key: opens signed checkpoints of that log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogVerifier {
    pub key: NoteVerifier,
}

impl LogVerifier {
    pub fn new(origin: &str, key: VerifyingKey) -> Self {
        LogVerifier { key: NoteVerifier { name: origin.to_string(), key } }
    }

    pub fn origin(&self) -> &str {
        &self.key.name
    }

    /// Parse a signed checkpoint note, check the log's signature, then read the body: its
    /// origin must be this log's. Signatures by other keys (cosignatures) are kept, unchecked.
    pub fn open(&self, text: &str) -> Result<SignedCheckpoint, CheckpointError> {
        let note = Note::parse(text)?;
        self.key.verify(&note)?;
        let checkpoint = Checkpoint::parse_body(&note.text)?;
        if checkpoint.origin != self.key.name {
            return Err(CheckpointError::WrongOrigin { expected: self.key.name.clone(), found: checkpoint.origin });
        }
        Ok(SignedCheckpoint { checkpoint, note })
    }
}

fn cosigned_message(timestamp: u64, body: &str) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

/// A witness's key: cosigns checkpoints it has checked.
#[derive(Clone)]
pub struct Cosigner {
    name: String,
    key: SigningKey,
}

impl Cosigner {
    pub fn new(name: &str, key: SigningKey) -> Option<Self> {
        note::valid_key_name(name).then(|| Cosigner { name: name.to_string(), key })
    }

    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier { name: self.name.clone(), key: self.key.verifying_key() }
    }

    /// The cosignature line for `checkpoint` at `timestamp` (POSIX seconds, below 2^63). The
    /// caller has checked the checkpoint is consistent with the last one it cosigned.
    pub fn cosign(&self, checkpoint: &SignedCheckpoint, timestamp: u64) -> NoteSignature {
        let timestamp = timestamp.min(i64::MAX as u64);
        let sig = self.key.sign(&cosigned_message(timestamp, &checkpoint.note.text));
        let mut bytes = timestamp.to_be_bytes().to_vec();
        bytes.extend_from_slice(&sig.to_bytes());
        NoteSignature {
            name: self.name.clone(),
            key_id: note::key_id(&self.name, TYPE_COSIGNATURE, &self.key.verifying_key()),
            signature: bytes,
        }
    }

    /// The checkpoint with this witness's cosignature added.
    pub fn add_cosignature(&self, checkpoint: &SignedCheckpoint, timestamp: u64) -> SignedCheckpoint {
        let mut out = checkpoint.clone();
        out.note.signatures.push(self.cosign(checkpoint, timestamp));
        out
    }
}

/// A trusted witness key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    pub name: String,
    pub key: VerifyingKey,
}

impl CosignatureVerifier {
    pub fn key_id(&self) -> u32 {
        note::key_id(&self.name, TYPE_COSIGNATURE, &self.key)
    }

    /// The verifier key text (`name+keyid+base64(0x04 || key)`).
    pub fn vkey(&self) -> String {
        note::vkey(&self.name, TYPE_COSIGNATURE, &self.key)
    }

    /// Check this witness's cosignature of the checkpoint; returns its timestamp.
    pub fn verify(&self, checkpoint: &SignedCheckpoint) -> Result<u64, CheckpointError> {
        let mut newest = None;
        for s in checkpoint.note.signatures_by(&self.name, self.key_id()) {
            let bad = || CheckpointError::BadCosignature { name: self.name.clone() };
            if s.signature.len() != 8 + 64 {
                return Err(bad());
            }
            let (ts, sig) = s.signature.split_at(8);
            let timestamp = u64::from_be_bytes(ts.try_into().map_err(|_| bad())?);
            let sig = Signature::from_bytes(&sig.try_into().map_err(|_| bad())?);
            if timestamp > i64::MAX as u64
                || self.key.verify(&cosigned_message(timestamp, &checkpoint.note.text), &sig).is_err()
            {
                return Err(bad());
            }
            newest = newest.max(Some(timestamp));
        }
        newest.ok_or_else(|| CheckpointError::NoCosignature { name: self.name.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> LogSigner {
        LogSigner::new("pacto.example/ledger/test", SigningKey::from_bytes(&[1; 32])).unwrap()
    }

    #[test]
    fn sign_open_and_cosign() {
        let cp = log().sign(5, [9; 32]);
        let text = cp.to_text();
        assert!(text.starts_with("pacto.example/ledger/test\n5\nCQkJ"));
        let opened = log().verifier().open(&text).unwrap();
        assert_eq!(opened.checkpoint, cp.checkpoint);
        let w = Cosigner::new("ca.example/witness", SigningKey::from_bytes(&[2; 32])).unwrap();
        let cosigned = w.add_cosignature(&opened, 1_700_000_000);
        let again = log().verifier().open(&cosigned.to_text()).unwrap();
        assert_eq!(w.verifier().verify(&again), Ok(1_700_000_000));
        // A witness that did not cosign, and a cosignature over another checkpoint.
        let v = Cosigner::new("us.example/witness", SigningKey::from_bytes(&[3; 32])).unwrap().verifier();
        assert!(matches!(v.verify(&again), Err(CheckpointError::NoCosignature { .. })));
        let mut moved = log().sign(6, [9; 32]);
        moved.note.signatures.push(again.note.signatures[1].clone());
        assert!(matches!(w.verifier().verify(&moved), Err(CheckpointError::BadCosignature { .. })));
    }

    #[test]
    fn another_log_or_key_is_refused() {
        let text = log().sign(5, [9; 32]).to_text();
        let other_key = LogVerifier::new("pacto.example/ledger/test", SigningKey::from_bytes(&[4; 32]).verifying_key());
        assert!(matches!(other_key.open(&text), Err(CheckpointError::Note(NoteError::NotSigned { .. }))));
        let other = LogSigner::new("elsewhere", SigningKey::from_bytes(&[1; 32])).unwrap();
        let signer = NoteSigner::new("elsewhere", SigningKey::from_bytes(&[1; 32])).unwrap();
        let forged = signer.sign(&Checkpoint::new("pacto.example/ledger/test", 5, [9; 32]).body()).to_text();
        assert!(matches!(other.verifier().open(&forged), Err(CheckpointError::WrongOrigin { .. })));
    }

    #[test]
    fn bodies_are_read_strictly() {
        let ok = Checkpoint::parse_body("o\n10\nCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=\next\n").unwrap();
        assert_eq!((ok.size, ok.extensions.clone()), (10, vec!["ext".to_string()]));
        assert_eq!(Checkpoint::parse_body(&ok.body()).unwrap(), ok);
        let root = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=";
        for (text, line) in [
            (format!("o\n010\n{root}\n"), 2),
            (format!("o\n-1\n{root}\n"), 2),
            (format!("o\n99999999999999999999\n{root}\n"), 2),
            ("o\n10\nCQkJ\n".to_string(), 3),
            (format!("\n10\n{root}\n"), 1),
            (format!("o\n10\n{root}\n\n"), 4),
            ("o\n10\n".to_string(), 3),
            (format!("o\n10\n{root}"), 0),
        ] {
            match Checkpoint::parse_body(&text) {
                Err(CheckpointError::Body { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }
}
