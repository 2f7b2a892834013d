//! The disclosure ledger: every object version served to a partner (and every private-matching
//! query) is an entry. Entries are chained (each entry's hash covers its content and the
//! previous entry's hash) and are the leaves of a Merkle tree log ([`log`], built on
//! `pacto-log`): the entry with sequence number N is leaf N-1, and a leaf's bytes are exactly
//! what the entry hash covers ([`Entry::leaf_bytes`]), so ledgers written before the log
//! became a Merkle tree keep their history, order and digests.
//!
//! Version 1 (this module's [`Checkpoint`], [`verify`], [`export_v1`]) signs only the head of the
//! chain, and its exports cannot show that every entry was signed: version 2 ([`log`]) signs
//! C2SP checkpoints of the Merkle tree, and [`log::verify_export`] is the verifier that means it.
//! docs/ledger.md states both formats.

use ed25519_dalek::{Signature, Signer, Verifier};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One disclosure (or query) as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3… with no gap.
    pub seq: u64,
    /// When it happened (RFC 3339, UTC).
    pub time: String,
    /// The partner's account.
    pub partner: String,
    /// `disclosure` or `psi-query`.
    pub kind: String,
    /// The collection (or private set) concerned.
    pub collection: String,
    pub object_id: Option<String>,
    pub object_version: Option<String>,
    /// Hex SHA-256 of exactly what was sent (the object's bytes as served, or the query).
    pub digest: String,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev: String,
    /// Hex SHA-256 of this entry's other fields.
    pub hash: String,
}

/// An entry read without copying its strings (the fast path of verifying a large export; an
/// entry with JSON escapes in a field is read as an [`Entry`] instead).
#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct EntryRef<'a> {
    pub seq: u64,
    pub time: &'a str,
    pub partner: &'a str,
    pub kind: &'a str,
    pub collection: &'a str,
    pub object_id: Option<&'a str>,
    pub object_version: Option<&'a str>,
    pub digest: &'a str,
    pub prev: &'a str,
    pub hash: &'a str,
}

impl EntryRef<'_> {
    pub(crate) fn leaf_bytes(&self) -> Vec<u8> {
        let seq = self.seq.to_string();
        let fields: [&str; 9] = [
            &seq,
            self.time,
            self.partner,
            self.kind,
            self.collection,
            self.object_id.unwrap_or("\u{0}"),
            self.object_version.unwrap_or("\u{0}"),
            self.digest,
            self.prev,
        ];
        let mut out = Vec::with_capacity(19 + fields.iter().map(|f| 8 + f.len()).sum::<usize>());
        out.extend_from_slice(b"pacto-ledger-entry\n");
        for f in fields {
            out.extend_from_slice(&(f.len() as u64).to_be_bytes());
            out.extend_from_slice(f.as_bytes());
        }
        out
    }
}

/// What an entry records, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub time: String,
    pub partner: String,
    pub kind: String,
    pub collection: String,
    pub object_id: Option<String>,
    pub object_version: Option<String>,
    pub digest: String,
}

/// A signed statement that the chain's entry `seq` has hash `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: String,
    pub time: String,
    /// Hex Ed25519 signature over [`Checkpoint::message`].
    pub signature: String,
}

/// Why a ledger does not verify: the first entry or checkpoint found wrong, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ledger entry {seq}: {reason}")]
pub struct LedgerError {
    pub seq: u64,
    pub reason: String,
}

/// What a verified ledger holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub checkpoints: u64,
    /// Entries after the last checkpoint (chained, but not yet signed).
    pub unsigned_tail: u64,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub mod log;
pub mod receipt;
pub mod rotation;

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

impl Entry {
    /// The entry's canonical bytes: the Merkle tree leaf, and what the entry hash covers.
    /// `"pacto-ledger-entry\n"`, then for each of seq (decimal), time, partner, kind,
    /// collection, object_id, object_version, digest and prev: its UTF-8 length as 8 bytes
    /// big-endian, then its UTF-8 bytes. An absent object_id or object_version is written as
    /// one NUL character (version 1 did so; version 2 exports refuse a present lone NUL).
    pub fn leaf_bytes(&self) -> Vec<u8> {
        EntryRef {
            seq: self.seq,
            time: &self.time,
            partner: &self.partner,
            kind: &self.kind,
            collection: &self.collection,
            object_id: self.object_id.as_deref(),
            object_version: self.object_version.as_deref(),
            digest: &self.digest,
            prev: &self.prev,
            hash: &self.hash,
        }
        .leaf_bytes()
    }

    /// The hash this entry must have, from its other fields: hex SHA-256 of [`Entry::leaf_bytes`].
    pub fn compute_hash(&self) -> String {
        sha256_hex(&self.leaf_bytes())
    }

    /// Its Merkle tree leaf hash, `SHA-256(0x00 || leaf_bytes)`.
    pub fn leaf_hash(&self) -> pacto_log::Hash {
        pacto_log::merkle::leaf_hash(&self.leaf_bytes())
    }
}

impl Entry {
    /// What the entry records, without its place in the chain (to chain it again: a rewritten
    /// log in tests, a migration).
    pub fn into_event(self) -> Event {
        Event {
            time: self.time,
            partner: self.partner,
            kind: self.kind,
            collection: self.collection,
            object_id: self.object_id,
            object_version: self.object_version,
            digest: self.digest,
        }
    }
}

/// The head of a chain, to which entries are appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub seq: u64,
    pub hash: String,
}

impl Default for Chain {
    fn default() -> Self {
        Chain { seq: 0, hash: GENESIS.to_string() }
    }
}

impl Chain {
    /// Chain an event after the current head.
    pub fn append(&mut self, e: Event) -> Entry {
        let mut entry = Entry {
            seq: self.seq + 1,
            time: e.time,
            partner: e.partner,
            kind: e.kind,
            collection: e.collection,
            object_id: e.object_id,
            object_version: e.object_version,
            digest: e.digest,
            prev: self.hash.clone(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        self.seq = entry.seq;
        self.hash = entry.hash.clone();
        entry
    }
}

impl Checkpoint {
    fn message(seq: u64, hash: &str, time: &str) -> Vec<u8> {
        format!("pacto-ledger-checkpoint\n{seq}\n{hash}\n{time}").into_bytes()
    }

    /// Sign the chain head.
    pub fn sign(key: &SigningKey, head: &Chain, time: &str) -> Checkpoint {
        let sig = key.sign(&Self::message(head.seq, &head.hash, time));
        Checkpoint { seq: head.seq, hash: head.hash.clone(), time: time.to_string(), signature: hex(&sig.to_bytes()) }
    }

    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let Some(bytes) = unhex(&self.signature).and_then(|b| <[u8; 64]>::try_from(b).ok()) else { return false };
        key.verify(&Self::message(self.seq, &self.hash, &self.time), &Signature::from_bytes(&bytes)).is_ok()
    }
}

/// A key from its 32 secret bytes in hex (the node key file's content).
pub fn signing_key_from_hex(s: &str) -> Option<SigningKey> {
    let bytes: [u8; 32] = unhex(s.trim())?.try_into().ok()?;
    Some(SigningKey::from_bytes(&bytes))
}

/// The node key file's content for a key.
pub fn signing_key_to_hex(key: &SigningKey) -> String {
    hex(&key.to_bytes())
}

/// A new node key.
pub fn generate_key() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}

pub fn public_key_hex(key: &VerifyingKey) -> String {
    hex(key.as_bytes())
}

pub fn public_key_from_hex(s: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = unhex(s)?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Check a ledger: sequence without gaps, every hash recomputed, every link to the previous
/// entry, every checkpoint signed by `key` and matching the entry it names.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> Result<Verified, LedgerError> {
    let mut head = Chain::default();
    let mut hashes_at_checkpoints = std::collections::BTreeMap::new();
    let wanted: std::collections::BTreeSet<u64> = checkpoints.iter().map(|c| c.seq).collect();
    for e in entries {
        let err = |reason: String| LedgerError { seq: e.seq, reason };
        if e.seq != head.seq + 1 {
            return Err(LedgerError {
                seq: head.seq + 1,
                reason: format!(
                    "found entry {} where {} should be (an entry was removed or moved)",
                    e.seq,
                    head.seq + 1
                ),
            });
        }
        if e.prev != head.hash {
            return Err(err("does not follow from the previous entry (prev hash differs)".into()));
        }
        if e.compute_hash() != e.hash {
            return Err(err("its content does not match its hash (edited)".into()));
        }
        head = Chain { seq: e.seq, hash: e.hash.clone() };
        if wanted.contains(&e.seq) {
            hashes_at_checkpoints.insert(e.seq, e.hash.clone());
        }
    }
    for c in checkpoints {
        let err = |reason: &str| LedgerError { seq: c.seq, reason: reason.to_string() };
        if !c.verify(key) {
            return Err(err("checkpoint signature does not verify with the node's public key"));
        }
        match hashes_at_checkpoints.get(&c.seq) {
            None => return Err(err("a signed checkpoint names an entry that is missing (entries were removed)")),
            Some(h) if *h != c.hash => return Err(err("the signed checkpoint names another hash for this entry")),
            Some(_) => {}
        }
    }
    let last_signed = checkpoints.iter().map(|c| c.seq).max().unwrap_or(0);
    Ok(Verified { entries: head.seq, checkpoints: checkpoints.len() as u64, unsigned_tail: head.seq - last_signed })
}

/// One line of a version 1 export.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExportLine {
    Header { format: String, version: u32, public_key: String },
    Entry { entry: Entry },
    Checkpoint { checkpoint: Checkpoint },
}

/// Write a version 1 export (JSON Lines), as nodes did before version 2: kept to make test
/// fixtures of old exports and to show what [`log::verify_export`] says about them.
pub fn export_v1(public_key: &VerifyingKey, entries: &[Entry], checkpoints: &[Checkpoint]) -> String {
    let mut out = String::new();
    let header =
        ExportLine::Header { format: "pacto-ledger".into(), version: 1, public_key: public_key_hex(public_key) };
    out.push_str(&serde_json::to_string(&header).unwrap_or_default());
    out.push('\n');
    let mut cps = checkpoints.iter().peekable();
    for e in entries {
        out.push_str(&serde_json::to_string(&ExportLine::Entry { entry: e.clone() }).unwrap_or_default());
        out.push('\n');
        while let Some(c) = cps.next_if(|c| c.seq <= e.seq) {
            out.push_str(&serde_json::to_string(&ExportLine::Checkpoint { checkpoint: c.clone() }).unwrap_or_default());
            out.push('\n');
        }
    }
    for c in cps {
        out.push_str(&serde_json::to_string(&ExportLine::Checkpoint { checkpoint: c.clone() }).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Check a version 1 export as version 1 did (the header's key must be `trusted`): the chain,
/// and whatever checkpoints it holds. Passing says little: see [`log::verify_export`].
pub fn verify_export_v1(text: &str, trusted: &VerifyingKey) -> Result<Verified, LedgerError> {
    let mut entries = Vec::new();
    let mut checkpoints = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = |reason: String| LedgerError { seq: 0, reason: format!("line {}: {reason}", n + 1) };
        match serde_json::from_str::<ExportLine>(line).map_err(|e| bad(e.to_string()))? {
            ExportLine::Header { format, version, public_key } => {
                if format != "pacto-ledger" || version != 1 {
                    return Err(bad(format!("not a pacto ledger export (format {format:?}, version {version})")));
                }
                if public_key != public_key_hex(trusted) {
                    return Err(bad("the export names another public key than the one trusted".into()));
                }
            }
            ExportLine::Entry { entry } => entries.push(entry),
            ExportLine::Checkpoint { checkpoint } => checkpoints.push(checkpoint),
        }
    }
    verify(&entries, &checkpoints, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event(n: u64) -> Event {
        Event {
            time: format!("2026-11-25T10:00:{:02}.000Z", n % 60),
            partner: "us".into(),
            kind: "disclosure".into(),
            collection: "firearms".into(),
            object_id: Some(format!("indicator--{n:08x}-17d4-4cbf-938f-98ee46b3cd3f")),
            object_version: Some("2026-01-01T00:00:00.000Z".into()),
            digest: sha256_hex(format!("object {n}").as_bytes()),
        }
    }

    fn ledger(n: u64, every: u64, key: &SigningKey) -> (Vec<Entry>, Vec<Checkpoint>) {
        let mut chain = Chain::default();
        let mut entries = Vec::new();
        let mut cps = Vec::new();
        for i in 1..=n {
            entries.push(chain.append(event(i)));
            if i % every == 0 {
                cps.push(Checkpoint::sign(key, &chain, "2026-11-25T11:00:00.000Z"));
            }
        }
        (entries, cps)
    }

    #[test]
    fn an_honest_ledger_verifies_and_exports() {
        let key = generate_key();
        let (entries, cps) = ledger(10, 4, &key);
        let v = verify(&entries, &cps, &key.verifying_key()).unwrap();
        assert_eq!(v, Verified { entries: 10, checkpoints: 2, unsigned_tail: 2 });
        let text = export_v1(&key.verifying_key(), &entries, &cps);
        assert_eq!(verify_export_v1(&text, &key.verifying_key()).unwrap(), v);
        let other = generate_key();
        assert!(verify_export_v1(&text, &other.verifying_key()).is_err(), "another key is not trusted");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Any edit, removal or reordering is detected, at the entry where it happened.
        #[test]
        fn any_tampering_is_detected(n in 3u64..30, which in 0usize..30, how in 0u8..6) {
            let key = generate_key();
            let (mut entries, mut cps) = ledger(n, 1, &key);
            let i = which % entries.len();
            match how {
                0 => entries[i].partner = "someone-else".into(),
                1 => entries[i].digest = sha256_hex(b"other bytes"),
                2 => { entries.remove(i); }
                3 => { let j = (i + 1) % entries.len(); entries.swap(i, j); }
                4 => { // edit and re-hash the entry: the next link (or its checkpoint) breaks
                    entries[i].object_id = None;
                    entries[i].hash = entries[i].compute_hash();
                }
                _ => { cps[i].hash = GENESIS.into(); }
            }
            prop_assert!(verify(&entries, &cps, &key.verifying_key()).is_err());
        }
    }

    #[test]
    fn truncating_the_signed_part_is_detected() {
        let key = generate_key();
        let (mut entries, cps) = ledger(8, 4, &key);
        entries.truncate(6);
        let e = verify(&entries, &cps, &key.verifying_key()).unwrap_err();
        assert_eq!(e.seq, 8);
    }
}
