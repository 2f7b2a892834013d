//! Version 2 of the ledger: a Merkle tree log (RFC 9162 hashing) whose leaves are the entries'
//! canonical bytes ([`Entry::leaf_bytes`]; entry seq N is leaf N-1), with C2SP checkpoints
//! signed by the node's Ed25519 key under the log's origin, `pacto/ledger/<fingerprint>`.
//!
//! The export (JSON Lines; docs/ledger.md is the reference):
//!
//! ```text
//! {"format":"pacto-ledger","version":2,"origin":ORIGIN,"public_key":HEX}
//! {"entry":{…}}                    one per entry, seq 1, 2, 3… in order
//! {"checkpoint":"NOTE"}            a signed checkpoint of size N, right after entry N
//! ```
//!
//! [`verify_export`] passes only if the export holds entries, every entry is chained and covered
//! by a checkpoint signed with the trusted key (the last one's size is the number of entries),
//! and — given a signed checkpoint the verifier already holds — the export extends it.

use pacto_log::checkpoint::{Checkpoint as LogCheckpoint, LogSigner, LogVerifier, SignedCheckpoint};
use pacto_log::consistency::{self, ConsistencyError, Equivocation};
use pacto_log::merkle::{ConsistencyProof, Frontier, InclusionProof, Tree};
use pacto_log::{Hash, b64};
use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::rotation::{self, KeyHistory, KeyRing};
use super::{
    Entry, EntryRef, GENESIS, LedgerError, SigningKey, Verified, VerifyingKey, public_key_from_hex, public_key_hex,
};

/// The export format's name, in the header.
pub const FORMAT: &str = "pacto-ledger";

/// A key's fingerprint: the first 16 bytes of SHA-256 of its 32 bytes, in hex. Short enough to
/// read aloud when partners exchange keys out of band.
pub fn fingerprint(key: &VerifyingKey) -> String {
    super::hex(&Sha256::digest(key.as_bytes())[..16])
}

/// The log's origin (and its signing key's name): `pacto/ledger/<fingerprint of the node key>`.
pub fn origin(key: &VerifyingKey) -> String {
    format!("pacto/ledger/{}", fingerprint(key))
}

/// The node key as the signer of its ledger's checkpoints.
pub fn log_signer(key: &SigningKey) -> LogSigner {
    // The origin is hex and slashes: always a valid key name.
    LogSigner::new(&origin(&key.verifying_key()), key.clone()).unwrap_or_else(|| unreachable!())
}

/// A trusted node key as the verifier of its ledger's checkpoints.
pub fn log_verifier(key: &VerifyingKey) -> LogVerifier {
    LogVerifier::new(&origin(key), *key)
}

/// The Merkle tree of a ledger's entries (entry seq N is leaf N-1).
pub fn tree<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Tree {
    Tree::from_leaf_hashes(entries.into_iter().map(Entry::leaf_hash))
}

/// Sign the head of the tree, refusing if it does not extend `previous` (the last checkpoint
/// this node signed): a database edited without the key is caught here, not blessed.
pub fn sign_head(key: &SigningKey, tree: &Tree, previous: Option<&str>) -> Result<SignedCheckpoint, ExportError> {
    let signer = log_signer(key);
    let prev = match previous {
        Some(text) => Some(
            signer
                .verifier()
                .open(text)
                .map_err(|e| ExportError::Held(format!("the previous signed checkpoint does not open: {e}")))?,
        ),
        None => None,
    };
    consistency::sign_next(&signer, prev.as_ref().map(|p| &p.checkpoint), tree).map_err(ExportError::Refused)
}

/// Why a version 2 export (or the node's own log) does not verify. Each says where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the export is empty: it holds no entries, so nothing in it is signed")]
    Empty,
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("entry {seq} (line {line}): {reason}")]
    Entry { seq: u64, line: usize, reason: String },
    #[error(
        "this is a version 1 export ({detail}). Version 1 signs only the head of a hash chain and \
         its checkpoints may be left out, so it cannot show that every entry was signed; ask the node \
         for a version 2 export (`pacto ledger export`), or have its operator migrate this file \
         (`pacto ledger migrate`)"
    )]
    Version1 { detail: String },
    #[error(
        "line {line}: the checkpoint signed for entries 1..{size} does not match the entries in this \
         export: one of entries {from}..{size} was edited, removed, inserted or reordered"
    )]
    Mismatch { line: usize, from: u64, size: u64 },
    #[error("entries {from}..{to} are not covered by any signed checkpoint")]
    Uncovered { from: u64, to: u64 },
    #[error(
        "the export was cut short: the checkpoint you hold signs {held} entries, the export has {have}; \
         entries {}..{held} are missing", have + 1
    )]
    Truncated { held: u64, have: u64 },
    #[error(
        "the history forked: the checkpoint you hold signs entries 1..{size} with another root than \
         this export's entries 1..{size}; the node signed two histories{}",
        if *proof { " (a proof of equivocation follows)" } else { "" }
    )]
    Forked { size: u64, proof: bool, equivocation: Option<Box<Equivocation>> },
    #[error("the checkpoint you hold: {0}")]
    Held(String),
    #[error("{0}")]
    Chain(LedgerError),
    #[error("the node refuses to sign: {0}")]
    Refused(ConsistencyError),
}

/// What a verified export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLog {
    pub entries: u64,
    pub root: Hash,
    /// The signed checkpoints, in order (the last covers every entry).
    pub checkpoints: Vec<SignedCheckpoint>,
    /// The size of the checkpoint the verifier held, which the export extends.
    pub extends: Option<u64>,
    /// The keys that signed the log, first to newest.
    pub keys: KeyRing,
}

#[derive(Serialize)]
struct Header<'a> {
    format: &'a str,
    version: u32,
    origin: &'a str,
    public_key: &'a str,
}

/// An entry line, read without copying (the common case).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryLineRef<'a> {
    #[serde(borrow)]
    entry: EntryRef<'a>,
}

/// Any line of an export, read in one pass whatever its kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    format: Option<String>,
    version: Option<u32>,
    origin: Option<String>,
    public_key: Option<String>,
    entry: Option<Entry>,
    checkpoint: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct EntryLine<'a> {
    entry: &'a Entry,
}

#[derive(Serialize)]
struct CheckpointLine<'a> {
    checkpoint: &'a str,
}

fn push_json(out: &mut String, v: &impl Serialize) {
    // Serialising these plain structs of strings and numbers cannot fail.
    out.push_str(&serde_json::to_string(v).unwrap_or_default());
    out.push('\n');
}

/// Write a version 2 export: the header, the entries, each signed checkpoint right after the
/// entry at its size (checkpoints larger than the ledger are left out).
pub fn export(key: &VerifyingKey, entries: &[Entry], checkpoints: &[SignedCheckpoint]) -> String {
    let origin = origin(key);
    let mut out = String::with_capacity(entries.len() * 420);
    push_json(&mut out, &Header { format: FORMAT, version: 2, origin: &origin, public_key: &public_key_hex(key) });
    let mut cps: Vec<&SignedCheckpoint> = checkpoints.iter().collect();
    cps.sort_by_key(|c| c.checkpoint.size);
    let mut cps = cps.into_iter().peekable();
    let mut write_upto = |out: &mut String, size: u64| {
        while let Some(c) = cps.next_if(|c| c.checkpoint.size <= size) {
            if c.checkpoint.size == size {
                push_json(out, &CheckpointLine { checkpoint: &c.to_text() });
            }
        }
    };
    write_upto(&mut out, 0);
    for (i, e) in entries.iter().enumerate() {
        push_json(&mut out, &EntryLine { entry: e });
        write_upto(&mut out, i as u64 + 1);
    }
    out
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The checks of one entry that need no other entry; returns its leaf hash.
fn check_alone(e: &EntryRef) -> Result<Hash, String> {
    if e.object_id == Some("\u{0}") || e.object_version == Some("\u{0}") {
        return Err("an object_id or object_version of one NUL character cannot be told from none".into());
    }
    if !is_hex64(e.digest) {
        return Err("its digest is not a SHA-256 in lowercase hex".into());
    }
    let leaf = e.leaf_bytes();
    if super::hex(&Sha256::digest(&leaf)) != e.hash {
        return Err("its content does not match its hash (edited)".into());
    }
    Ok(pacto_log::merkle::leaf_hash(&leaf))
}

/// One line of an export after the checks that need no other line (run on all cores).
enum Prepared<'a> {
    Blank,
    Entry {
        seq: u64,
        prev: Cow<'a, str>,
        hash: Cow<'a, str>,
        leaf: Result<Hash, String>,
        /// A key rotation's keys (old, new); boxed, as rotations are rare.
        rotation: Option<Box<Result<(VerifyingKey, VerifyingKey), String>>>,
    },
    /// Boxed: a header or checkpoint is rare, and the vector of a million entries stays small.
    Other(Result<Box<Line>, String>),
}

fn prepare(raw: &str) -> Prepared<'_> {
    if raw.trim().is_empty() {
        return Prepared::Blank;
    }
    // The common case, without copying; an entry with escapes in a field takes the owned path.
    if let Ok(EntryLineRef { entry: e }) = serde_json::from_str::<EntryLineRef>(raw) {
        let leaf = check_alone(&e);
        let rotation = rotation::keys_of(e.kind, e.object_id, e.object_version, e.digest).map(Box::new);
        return Prepared::Entry {
            seq: e.seq,
            prev: Cow::Borrowed(e.prev),
            hash: Cow::Borrowed(e.hash),
            leaf,
            rotation,
        };
    }
    match serde_json::from_str::<Line>(raw) {
        Ok(Line { entry: Some(e), format: None, version: None, origin: None, public_key: None, checkpoint: None }) => {
            let leaf = check_alone(&as_ref(&e));
            let rotation = rotation::entry_keys(&e).map(Box::new);
            Prepared::Entry { seq: e.seq, prev: Cow::Owned(e.prev), hash: Cow::Owned(e.hash), leaf, rotation }
        }
        Ok(l) => Prepared::Other(Ok(Box::new(l))),
        Err(e) => Prepared::Other(Err(format!("not an export line ({e})"))),
    }
}

/// Prepare every line, on up to 4 threads for a large export.
fn prepare_all(text: &str) -> Result<Vec<Prepared<'_>>, ExportError> {
    let lines: Vec<&str> = text.lines().collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    if workers == 1 || lines.len() < 20_000 {
        return Ok(lines.iter().map(|l| prepare(l)).collect());
    }
    let chunk = lines.len().div_ceil(workers);
    let parts: Vec<std::thread::Result<Vec<Prepared>>> = std::thread::scope(|s| {
        let handles: Vec<_> =
            lines.chunks(chunk).map(|c| s.spawn(move || c.iter().map(|l| prepare(l)).collect::<Vec<_>>())).collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut out = Vec::with_capacity(lines.len());
    for p in parts {
        // Never verify with a part missing.
        out.extend(p.map_err(|_| ExportError::Line { line: 0, reason: "a verifier thread failed".into() })?);
    }
    Ok(out)
}

/// An owned entry seen through the borrowed view.
fn as_ref(e: &Entry) -> EntryRef<'_> {
    EntryRef {
        seq: e.seq,
        time: &e.time,
        partner: &e.partner,
        kind: &e.kind,
        collection: &e.collection,
        object_id: e.object_id.as_deref(),
        object_version: e.object_version.as_deref(),
        digest: &e.digest,
        prev: &e.prev,
        hash: &e.hash,
    }
}

/// Verify a version 2 export against the node key given out of band; `held` is a signed
/// checkpoint of the same log the verifier kept from earlier (a receipt, a previous export): the
/// export must extend it. A version 1 export is refused with the reason.
pub fn verify_export(text: &str, trusted: &VerifyingKey, held: Option<&str>) -> Result<VerifiedLog, ExportError> {
    // The held checkpoint's size now, its signature once the export's keys are known (it may
    // be signed by any key of the log's ring).
    let held_text = held;
    let held = match held {
        Some(t) => Some(unverified(t).map_err(ExportError::Held)?),
        None => None,
    };
    // The log's keys, from the header's (its first) through each handover.
    let mut ring: Option<KeyRing> = None;
    let mut pending: Option<(u64, VerifyingKey)> = None;
    let mut header = false;
    let mut frontier = Frontier::new();
    let mut leaves: Vec<Hash> = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut checkpoints: Vec<SignedCheckpoint> = Vec::new();
    let mut last_signed = 0u64;
    let mut held_root = None;
    let want = held.as_ref().map(|h| h.size);
    if want == Some(0) {
        held_root = Some(frontier.root());
    }
    for (n, p) in prepare_all(text)?.into_iter().enumerate() {
        let line = n + 1;
        let bad = |reason: String| ExportError::Line { line, reason };
        let l = match p {
            Prepared::Blank => continue,
            Prepared::Entry { .. } if !header => return Err(bad("the export does not start with a header".into())),
            Prepared::Entry { seq, prev: p, hash, leaf, rotation } => {
                let expected = frontier.len() + 1;
                let err = |reason: String| ExportError::Entry { seq, line, reason };
                if let Some((at, _)) = pending {
                    return Err(ExportError::Entry {
                        seq: at,
                        line,
                        reason: "a key rotation must be followed by its head signed by both keys".into(),
                    });
                }
                if let Some(r) = rotation {
                    let (old, new) = (*r).map_err(err)?;
                    if ring.as_ref().is_none_or(|r| *r.current() != old) {
                        return Err(err("hands the log over from a key that is not the one signing it".into()));
                    }
                    pending = Some((seq, new));
                }
                if seq != expected {
                    return Err(err(format!(
                        "found where entry {expected} should be (an entry was removed, inserted or moved)"
                    )));
                }
                if p != prev.as_str() {
                    return Err(err("does not follow from the entry before it (its prev hash differs)".into()));
                }
                let leaf = leaf.map_err(err)?;
                frontier.push_hash(leaf);
                if want.is_some() {
                    leaves.push(leaf);
                }
                prev.clear();
                prev.push_str(&hash);
                if want == Some(frontier.len()) {
                    held_root = Some(frontier.root());
                }
                continue;
            }
            Prepared::Other(l) => *l.map_err(bad)?,
        };
        match l {
            Line {
                format: Some(format),
                version: Some(version),
                origin,
                public_key,
                entry: None,
                checkpoint: None,
            } => {
                if header {
                    return Err(bad("a second header".into()));
                }
                if format != FORMAT {
                    return Err(bad(format!("not a pacto ledger export (format {format:?})")));
                }
                if version == 1 {
                    return Err(version1(text, trusted));
                }
                if version != 2 {
                    return Err(bad(format!("version {version} is not one this verifier knows (2)")));
                }
                let first = public_key
                    .as_deref()
                    .and_then(public_key_from_hex)
                    .ok_or_else(|| bad("the header's public_key is not an Ed25519 key in hex".into()))?;
                if origin.as_deref() != Some(self::origin(&first).as_str()) {
                    return Err(bad(format!("the origin is not {:?}, the header key's log", self::origin(&first))));
                }
                ring = Some(KeyRing::single(first));
                header = true;
            }
            _ if !header => return Err(bad("the export does not start with a header".into())),
            Line { checkpoint: Some(c), entry: None, format: None, version: None, origin: None, public_key: None } => {
                let text = c.as_str().ok_or_else(|| bad("a checkpoint is the signed note's text, a string".into()))?;
                let Some(keys) = ring.as_mut() else {
                    return Err(bad("the export does not start with a header".into()));
                };
                let cp = match pending.take() {
                    Some((_, new)) => {
                        let cp = log_verifier(&new).open(text).map_err(|e| {
                            bad(format!("the head after a key rotation does not verify under the new key: {e}"))
                        })?;
                        rotation::check_signed_by_old(&cp, keys.current()).map_err(bad)?;
                        keys.push(new);
                        cp
                    }
                    None => log_verifier(keys.current())
                        .open(text)
                        .map_err(|e| bad(format!("the checkpoint does not verify: {e}")))?,
                };
                if cp.checkpoint.size != frontier.len() {
                    return Err(bad(format!(
                        "a checkpoint of size {} must come right after entry {}, not after entry {}",
                        cp.checkpoint.size,
                        cp.checkpoint.size,
                        frontier.len()
                    )));
                }
                if cp.checkpoint.root != frontier.root() {
                    return Err(ExportError::Mismatch { line, from: last_signed + 1, size: cp.checkpoint.size });
                }
                last_signed = cp.checkpoint.size;
                checkpoints.push(cp);
            }
            _ => return Err(bad("a line holds a header, an entry or a checkpoint, and only one".into())),
        }
    }
    let have = frontier.len();
    if have == 0 {
        return Err(ExportError::Empty);
    }
    if let Some((at, _)) = pending {
        return Err(ExportError::Uncovered { from: at, to: have });
    }
    let ring = ring.unwrap_or_else(|| KeyRing::single(*trusted));
    if !ring.contains(trusted) {
        return Err(ExportError::Line {
            line: 1,
            reason: "the export names another public key than the one trusted, and no key handover in it leads to \
                     the trusted key"
                .into(),
        });
    }
    let held = match held_text {
        Some(t) => Some(ring.open(t).map_err(ExportError::Held)?),
        None => None,
    };
    if last_signed < have {
        return Err(ExportError::Uncovered { from: last_signed + 1, to: have });
    }
    let extends = match held {
        None => None,
        Some(h) if h.checkpoint.size > have => {
            return Err(ExportError::Truncated { held: h.checkpoint.size, have });
        }
        Some(h) => {
            if held_root != Some(h.checkpoint.root) {
                let tree = Tree::from_leaf_hashes(leaves);
                let newest = checkpoints.last();
                let equivocation = newest.and_then(|n| Equivocation::find(&h, n, &tree)).map(Box::new);
                return Err(ExportError::Forked {
                    size: h.checkpoint.size,
                    proof: equivocation.is_some(),
                    equivocation,
                });
            }
            Some(h.checkpoint.size)
        }
    };
    Ok(VerifiedLog { entries: have, root: frontier.root(), checkpoints, extends, keys: ring })
}

/// A signed checkpoint's body, read before its signature can be checked.
fn unverified(text: &str) -> Result<LogCheckpoint, String> {
    let note = pacto_log::note::Note::parse(text).map_err(|e| e.to_string())?;
    LogCheckpoint::parse_body(&note.text).map_err(|e| e.to_string())
}

/// Read a version 1 export as version 1 did, to say what it holds and why that is not enough.
fn version1(text: &str, trusted: &VerifyingKey) -> ExportError {
    let detail = match super::verify_export_v1(text, trusted) {
        Ok(v) => format!(
            "{} entries, {} signed chain checkpoints, {} entries after the last",
            v.entries, v.checkpoints, v.unsigned_tail
        ),
        Err(e) => format!("and it does not verify even as version 1: {e}"),
    };
    ExportError::Version1 { detail }
}

/// Migrate a version 1 export into version 2, for the node that wrote it (its key signs the
/// new checkpoint): the chain must verify under the key, every signed chain checkpoint must
/// hold, and the chain must end at a signed checkpoint. History, order and digests are kept.
pub fn migrate_v1(text: &str, key: &SigningKey) -> Result<String, LedgerError> {
    let public = key.verifying_key();
    let v = super::verify_export_v1(text, &public)?;
    if v.entries == 0 {
        return Err(LedgerError { seq: 0, reason: "the export holds no entries: nothing to migrate".into() });
    }
    if v.unsigned_tail > 0 {
        return Err(LedgerError {
            seq: v.entries - v.unsigned_tail + 1,
            reason: format!("the last {} entries were never signed: refusing to sign them now", v.unsigned_tail),
        });
    }
    let mut entries = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Ok(super::ExportLine::Entry { entry }) = serde_json::from_str(line) {
            entries.push(entry);
        }
    }
    let t = tree(&entries);
    let cp = log_signer(key).sign(t.len(), t.root());
    Ok(export(&public, &entries, &[cp]))
}

/// An inclusion proof for one entry, as `pacto ledger prove --entry N` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryProof {
    /// Always `pacto-ledger-inclusion`.
    #[serde(rename = "type")]
    pub kind: String,
    pub entry: Entry,
    pub proof: InclusionProof,
    /// The signed checkpoint (note text) whose root the proof leads to.
    pub checkpoint: String,
}

/// A consistency proof between two signed checkpoints, as `pacto ledger prove --from N` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConsistency {
    /// Always `pacto-ledger-consistency`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The older signed checkpoint (note text), e.g. one the partner holds.
    pub old_checkpoint: String,
    pub proof: ConsistencyProof,
    /// The newer signed checkpoint (note text).
    pub checkpoint: String,
    /// The log's key rotations, oldest first, as `GET {api root}/ledger/keys/` serves them
    /// (each rotation entry, its inclusion proof and its head signed by both keys): what takes
    /// a verifier from the key it trusts to the key that signed the newer checkpoint, its
    /// newest head being the newer checkpoint (each handover proved a prefix of it). Absent
    /// for a log never rotated.
    #[serde(default, skip_serializing_if = "KeyHistory::is_empty")]
    pub keys: KeyHistory,
}

/// The inclusion proof of entry `seq` in the tree `tree` under its signed checkpoint `cp`.
pub fn prove_entry(entries: &[Entry], tree: &Tree, cp: &SignedCheckpoint, seq: u64) -> Result<EntryProof, String> {
    let size = cp.checkpoint.size;
    if seq == 0 || seq > size {
        return Err(format!("entry {seq} is not in the signed log of {size} entries"));
    }
    let entry = entries.get(seq as usize - 1).cloned().ok_or_else(|| format!("entry {seq} is not held"))?;
    let path = tree.inclusion_proof(seq - 1, size).map_err(|e| e.to_string())?;
    Ok(EntryProof {
        kind: "pacto-ledger-inclusion".into(),
        proof: InclusionProof { index: seq - 1, tree_size: size, leaf_hash: entry.leaf_hash(), path },
        entry,
        checkpoint: cp.to_text(),
    })
}

impl EntryProof {
    /// Check it: the checkpoint is signed by `key`, the entry's bytes give the leaf hash, and the
    /// path leads from it to the checkpoint's root.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), String> {
        let cp = log_verifier(key).open(&self.checkpoint).map_err(|e| format!("the checkpoint: {e}"))?;
        if self.kind != "pacto-ledger-inclusion" {
            return Err("not a pacto-ledger-inclusion proof".into());
        }
        if self.entry.compute_hash() != self.entry.hash || self.entry.leaf_hash() != self.proof.leaf_hash {
            return Err(format!("entry {}: its content does not match its hash (edited)", self.entry.seq));
        }
        if self.proof.index + 1 != self.entry.seq || self.proof.tree_size != cp.checkpoint.size {
            return Err("the proof is for another position or tree size than the entry and checkpoint".into());
        }
        self.proof.verify(&cp.checkpoint.root).map_err(|e| format!("entry {}: {e}", self.entry.seq))
    }
}

/// The consistency proof from the signed checkpoint `old` (held by a partner) to `new`, with
/// the log's key `history` (its rotations, oldest first; empty if never rotated), so a verifier
/// trusting an earlier key follows each handover to the key that signed `new`.
pub fn prove_consistency(
    tree: &Tree,
    old: &SignedCheckpoint,
    new: &SignedCheckpoint,
    history: &KeyHistory,
) -> Result<LogConsistency, String> {
    let (o, n) = (&old.checkpoint, &new.checkpoint);
    consistency::check_extends(tree, o).map_err(|e| e.to_string())?;
    let path =
        if o.size == 0 { Vec::new() } else { tree.consistency_proof(o.size, n.size).map_err(|e| e.to_string())? };
    Ok(LogConsistency {
        kind: "pacto-ledger-consistency".into(),
        old_checkpoint: old.to_text(),
        proof: ConsistencyProof { old_size: o.size, new_size: n.size, path },
        checkpoint: new.to_text(),
        keys: history.clone().to_head(tree, new)?,
    })
}

impl LogConsistency {
    /// Check it for a verifier that trusts `key` (the log's key when it took the old
    /// checkpoint, or any later one): the key history carried, if any, is followed handover by
    /// handover ([`KeyRing::follow`], each rotation signed by the key before and the key after)
    /// and must include `key`; each checkpoint is signed by a key of that ring while the key
    /// held the log (a key that handed the log over signs nothing after); the sizes are the
    /// checkpoints' and the proof verifies (across the handovers: the origins are the ring's).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), String> {
        if self.kind != "pacto-ledger-consistency" {
            return Err("not a pacto-ledger-consistency proof".into());
        }
        let ring = self.ring(key)?;
        let old = self.open(&ring, &self.old_checkpoint).map_err(|e| format!("the old checkpoint: {e}"))?;
        let new = self.open(&ring, &self.checkpoint).map_err(|e| format!("the new checkpoint: {e}"))?;
        self.keys.check_newest(&ring, &new.checkpoint)?;
        if (self.proof.old_size, self.proof.new_size) != (old.checkpoint.size, new.checkpoint.size) {
            return Err("the proof's sizes are not the checkpoints' sizes".into());
        }
        ring.check_consistent(&old.checkpoint, &new.checkpoint, &self.proof.path).map_err(|e| e.to_string())
    }

    /// The log's keys, first to newest, from the history carried (every handover checked), if
    /// `trusted` is one of them.
    fn ring(&self, trusted: &VerifyingKey) -> Result<KeyRing, String> {
        let Some(first) = self.keys.rotations.first() else { return Ok(KeyRing::single(*trusted)) };
        let (from, _) = rotation::entry_keys(&first.entry)
            .ok_or_else(|| format!("the key history's entry {} is not a key rotation", first.entry.seq))?
            .map_err(|e| format!("the key history's entry {}: {e}", first.entry.seq))?;
        let ring = KeyRing::follow(from, &self.keys).map_err(|e| format!("the key history does not hold: {e}"))?;
        if !ring.contains(trusted) {
            return Err(format!(
                "the key you trust ({}) is none of the {} keys the history hands the log over between",
                fingerprint(trusted),
                ring.keys().len()
            ));
        }
        Ok(ring)
    }

    /// Open a checkpoint under the key of `ring` that held the log at its size: key `i` signs
    /// sizes from the rotation that handed the log to it to the one that handed it on.
    fn open(&self, ring: &KeyRing, text: &str) -> Result<SignedCheckpoint, String> {
        let cp = ring.open(text)?;
        let i = ring.keys().iter().position(|k| origin(k) == cp.checkpoint.origin).unwrap_or(0);
        let size = cp.checkpoint.size;
        let rotations = &self.keys.rotations;
        if let Some(h) = rotations.get(i)
            && size > h.entry.seq
        {
            return Err(format!(
                "it is of size {size}, signed by key {} after that key handed the log over at entry {}",
                fingerprint(&ring.keys()[i]),
                h.entry.seq
            ));
        }
        if let Some(h) = i.checked_sub(1).and_then(|j| rotations.get(j))
            && size < h.entry.seq
        {
            return Err(format!(
                "it is of size {size}, signed by key {} before the log was handed to it at entry {}",
                fingerprint(&ring.keys()[i]),
                h.entry.seq
            ));
        }
        Ok(cp)
    }
}

/// Check this node's own ledger (entries and version 1 checkpoints from its store, the keys
/// that signed it, and the last version 2 checkpoint it signed, if any): the chain verifies, the last entry is under a
/// signed checkpoint, and the tree extends the last version 2 checkpoint.
pub fn verify_node(
    entries: &[Entry],
    v1_checkpoints: &[super::Checkpoint],
    keys: &KeyRing,
    last_signed: Option<&str>,
) -> Result<(Verified, Tree), ExportError> {
    // Version 1 checkpoints were signed before any rotation, by the first key.
    let v = super::verify(entries, v1_checkpoints, keys.first()).map_err(ExportError::Chain)?;
    if v.entries == 0 {
        return Err(ExportError::Empty);
    }
    let t = tree(entries);
    if let Some(text) = last_signed {
        let cp = keys.open(text).map_err(ExportError::Held)?;
        consistency::check_extends(&t, &cp.checkpoint).map_err(ExportError::Refused)?;
        if v.unsigned_tail > 0 && cp.checkpoint.size < v.entries {
            return Err(ExportError::Uncovered {
                from: cp.checkpoint.size.max(v.entries - v.unsigned_tail) + 1,
                to: v.entries,
            });
        }
    } else if v.unsigned_tail > 0 {
        return Err(ExportError::Uncovered { from: v.entries - v.unsigned_tail + 1, to: v.entries });
    }
    Ok((v, t))
}

/// A checkpoint's body for display (`origin`, size, base64 root).
pub fn describe(cp: &LogCheckpoint) -> String {
    format!("{} size {} root {}", cp.origin, cp.size, b64(&cp.root))
}
