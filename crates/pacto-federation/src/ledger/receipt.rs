//! Receipts: what a partner keeps of each answer that disclosed something to it.
//!
//! Every answer a node gives a partner from its collections or private sets ends the ledger
//! batch it recorded with one **response entry** (kind `response`, digest = SHA-256 of the
//! exact body sent), signs the log's head right after that entry, and sends a receipt in the
//! `X-Pacto-Receipt` header (base64 of the JSON below; docs/ledger.md is the reference):
//!
//! ```text
//! {"type":"pacto-receipt","public_key":HEX,"first":A,"entry":{…the response entry…},
//!  "inclusion":[B64…],"checkpoint":"NOTE","consistency":{"old_size":M,"path":[B64…]}}
//! ```
//!
//! - `checkpoint` is a C2SP signed note of the log at size `entry.seq` (the response entry is
//!   the last leaf), `inclusion` the RFC 9162 path from the entry's leaf to its root;
//! - `first` is the first entry of the batch (`first..entry.seq-1` record the items);
//! - `consistency`, when the partner said which size of the log it holds (the
//!   `X-Pacto-Log-Size` request header), proves the new checkpoint extends that size.
//!
//! [`Receipt::verify`] checks all of it against the body received and the checkpoint the
//! partner held before: a receipt that verifies is a proof, for anyone holding the node's
//! public key, that the node logged this very body as disclosed to this partner, at this
//! position of a log that extends everything it showed the partner before.

use pacto_log::Hash;
use pacto_log::checkpoint::{CosignatureVerifier, Cosigner, SignedCheckpoint};
use pacto_log::merkle::{self, Tree};
use serde::{Deserialize, Serialize};

use super::log::log_verifier;
use super::rotation::{KeyHistory, KeyRing};
use super::{Entry, SigningKey, VerifyingKey, public_key_hex, sha256_hex};

/// The HTTP header a receipt travels in.
pub const HEADER: &str = "x-pacto-receipt";
/// The request header in which a partner says which size of the node's log it holds.
pub const SIZE_HEADER: &str = "x-pacto-log-size";
/// The kind of a response entry.
pub const RESPONSE: &str = "response";
/// The receipt's type name.
pub const TYPE: &str = "pacto-receipt";

/// A consistency proof from the size the partner held to the receipt's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extends {
    pub old_size: u64,
    #[serde(with = "merkle::b64_hashes")]
    pub path: Vec<Hash>,
}

/// A signed receipt for one answer (see the module's documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    #[serde(rename = "type")]
    pub kind: String,
    /// The node's ledger key (hex), which the partner pins.
    pub public_key: String,
    /// The first entry of the answer's batch.
    pub first: u64,
    /// The response entry: digest = SHA-256 of the body.
    pub entry: Entry,
    #[serde(with = "merkle::b64_hashes")]
    pub inclusion: Vec<Hash>,
    /// The signed checkpoint (note text) at size `entry.seq`.
    pub checkpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<Extends>,
}

/// A receipt that verified: what the partner stores.
#[derive(Debug, Clone)]
pub struct Verified {
    pub receipt: Receipt,
    pub checkpoint: SignedCheckpoint,
}

/// Why a receipt does not verify, in one sentence for the partner's operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the receipt {0}")]
pub struct ReceiptError(pub String);

fn err(s: impl Into<String>) -> ReceiptError {
    ReceiptError(s.into())
}

/// What the partner checks a receipt against.
pub struct Expect<'a> {
    /// The node's ledger key, pinned by the partner.
    pub key: &'a VerifyingKey,
    /// The name the node knows the partner by (its account there).
    pub partner: &'a str,
    /// The exact body received.
    pub body: &'a [u8],
    /// The last checkpoint of this log the partner holds (note text), if any.
    pub held: Option<&'a str>,
}

impl Receipt {
    /// Build the receipt of an answer whose response entry `entry` is the last leaf of `tree`
    /// (the log right after the batch), signed as `checkpoint`; `held` is the size the partner
    /// said it holds (no proof when it is 0, larger than the tree, or absent).
    pub fn build(
        key: &VerifyingKey,
        first: u64,
        entry: Entry,
        tree: &Tree,
        checkpoint: &SignedCheckpoint,
        held: Option<u64>,
    ) -> Result<Receipt, String> {
        let size = checkpoint.checkpoint.size;
        if entry.seq != size || tree.len() < size {
            return Err(format!("entry {} is not the last of the signed log of {size}", entry.seq));
        }
        let inclusion = tree.inclusion_proof(entry.seq - 1, size).map_err(|e| e.to_string())?;
        let consistency = match held {
            Some(m) if m > 0 && m < size => {
                Some(Extends { old_size: m, path: tree.consistency_proof(m, size).map_err(|e| e.to_string())? })
            }
            _ => None,
        };
        Ok(Receipt {
            kind: TYPE.into(),
            public_key: public_key_hex(key),
            first,
            entry,
            inclusion,
            checkpoint: checkpoint.to_text(),
            consistency,
        })
    }

    /// The header value: base64 of the JSON.
    pub fn to_header(&self) -> String {
        pacto_log::b64(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }

    /// Read a header value (or a stored receipt's JSON).
    pub fn parse(text: &str) -> Result<Receipt, ReceiptError> {
        let text = text.trim();
        let json = if text.starts_with('{') {
            text.as_bytes().to_vec()
        } else {
            pacto_log::unb64(text).ok_or_else(|| err("is not base64"))?
        };
        serde_json::from_slice(&json).map_err(|e| err(format!("is not a pacto receipt: {e}")))
    }

    /// Check the receipt: signed by the pinned key, for this partner and this body, the
    /// response entry included at its position, and — when the partner held a checkpoint —
    /// the new one extends it (a smaller or unproven log is a truncation or a fork).
    pub fn verify(&self, x: &Expect<'_>) -> Result<Verified, ReceiptError> {
        self.check_body(x.body)?;
        self.verify_kept(x.key, x.partner, x.held)
    }

    fn check_body(&self, body: &[u8]) -> Result<(), ReceiptError> {
        let body = sha256_hex(body);
        if self.entry.digest != body {
            return Err(err(format!(
                "entry {} records a body with SHA-256 {}, but the body received has {body}",
                self.entry.seq, self.entry.digest
            )));
        }
        Ok(())
    }

    /// [`Receipt::verify`] for a partner whose log was handed from key to key (`ring`): the
    /// receipt must be signed by the ring's current key.
    pub fn verify_in(
        &self,
        ring: &KeyRing,
        partner: &str,
        body: &[u8],
        held: Option<&str>,
    ) -> Result<Verified, ReceiptError> {
        if self.public_key != public_key_hex(ring.current()) {
            return Err(err("is signed for another key than the one pinned for this partner"));
        }
        self.check_body(body)?;
        self.verify_kept_in(ring, partner, held)
    }

    /// Check a kept receipt (the body is not kept: its digest stands in the entry): everything
    /// [`Receipt::verify`] checks but the body.
    pub fn verify_kept(&self, key: &VerifyingKey, partner: &str, held: Option<&str>) -> Result<Verified, ReceiptError> {
        self.verify_kept_in(&KeyRing::single(*key), partner, held)
    }

    /// [`Receipt::verify_kept`] for a partner whose log was handed from key to key (`ring`):
    /// the receipt may be signed by any of them (one kept from before a rotation), and `held`
    /// by another.
    pub fn verify_kept_in(&self, ring: &KeyRing, partner: &str, held: Option<&str>) -> Result<Verified, ReceiptError> {
        let x = Expect { key: ring.current(), partner, body: b"", held };
        if self.kind != TYPE {
            return Err(err(format!("has type {:?}, not {TYPE}", self.kind)));
        }
        let key = ring
            .keys()
            .iter()
            .find(|k| public_key_hex(k) == self.public_key)
            .ok_or_else(|| err("is signed for another key than the one pinned for this partner"))?;
        let log = log_verifier(key);
        let cp = log.open(&self.checkpoint).map_err(|e| err(format!("checkpoint does not verify: {e}")))?;
        let e = &self.entry;
        if e.compute_hash() != e.hash {
            return Err(err(format!("entry {}: its content does not match its hash", e.seq)));
        }
        if e.kind != RESPONSE {
            return Err(err(format!("entry {} is of kind {:?}, not a response", e.seq, e.kind)));
        }
        if e.partner != x.partner {
            return Err(err(format!("entry {} names partner {:?}, not {:?}", e.seq, e.partner, x.partner)));
        }
        if self.first == 0 || self.first > e.seq {
            return Err(err(format!("says the answer's entries start at {}, after its entry {}", self.first, e.seq)));
        }
        if cp.checkpoint.size != e.seq {
            return Err(err(format!(
                "checkpoint is of size {}, not of the log up to entry {}",
                cp.checkpoint.size, e.seq
            )));
        }
        merkle::verify_inclusion(e.seq - 1, cp.checkpoint.size, &e.leaf_hash(), &self.inclusion, &cp.checkpoint.root)
            .map_err(|why| err(format!("entry {} is not in the signed log: {why}", e.seq)))?;
        if let Some(held) = x.held {
            let held = ring.open(held).map_err(|e| err(format!("cannot be checked: the checkpoint held: {e}")))?;
            check_extends(ring, &held, &cp, self.consistency.as_ref())?;
        }
        Ok(Verified { receipt: self.clone(), checkpoint: cp })
    }
}

/// Check that `new` extends `held`, with the proof a receipt carried.
fn check_extends(
    ring: &KeyRing,
    held: &SignedCheckpoint,
    new: &SignedCheckpoint,
    proof: Option<&Extends>,
) -> Result<(), ReceiptError> {
    let (o, n) = (&held.checkpoint, &new.checkpoint);
    if n.size < o.size {
        return Err(err(format!(
            "shows the log at {} entries, but this node holds a signed checkpoint of {} entries: \
             the partner's log was truncated or forked",
            n.size, o.size
        )));
    }
    if n.size == o.size {
        return if n.root == o.root {
            Ok(())
        } else {
            Err(err(format!("shows another log of {} entries than the one this node holds: a fork", n.size)))
        };
    }
    let path: &[Hash] = match proof {
        Some(p) if p.old_size == o.size => &p.path,
        Some(p) => {
            return Err(err(format!("proves consistency from {} entries, but this node holds {}", p.old_size, o.size)));
        }
        None => return Err(err(format!("carries no proof that it extends the {} entries this node holds", o.size))),
    };
    ring.check_consistent(o, n, path)
        .map_err(|e| err(format!("does not extend the checkpoint this node holds ({} entries): {e}; a fork", o.size)))
}

/// What an auditing partner asks the node (`POST {api root}/ledger/proofs/`): each entry it
/// holds a receipt for, proved in the node's current log, and consistency proofs from the
/// sizes of checkpoints it holds (its own newest, or one another partner handed it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRequest {
    pub entries: Vec<u64>,
    #[serde(default)]
    pub from: Vec<u64>,
}

/// The most entries one audit request may name.
pub const AUDIT_MAX: usize = 1000;

/// One entry as the node's current log holds it: whole if it names the asking partner, else
/// only its leaf hash (the asker may see only its own entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<Entry>,
    #[serde(with = "merkle::b64_hash")]
    pub leaf_hash: Hash,
    #[serde(with = "merkle::b64_hashes")]
    pub inclusion: Vec<Hash>,
}

/// The node's answer to an audit: its current signed checkpoint, the entries asked for (those
/// within its log) and the consistency proofs asked for (those it can give).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditAnswer {
    pub checkpoint: String,
    pub entries: Vec<AuditEntry>,
    pub consistency: Vec<Extends>,
}

impl AuditAnswer {
    /// Answer `req` from the log `tree` (signed as `head`); `entry(seq)` reads an entry.
    pub fn build(
        req: &AuditRequest,
        tree: &Tree,
        head: &SignedCheckpoint,
        partner: &str,
        mut entry: impl FnMut(u64) -> Option<Entry>,
    ) -> Result<AuditAnswer, String> {
        if req.entries.len() > AUDIT_MAX || req.from.len() > 16 {
            return Err(format!("an audit names at most {AUDIT_MAX} entries and 16 sizes"));
        }
        let size = head.checkpoint.size;
        let mut entries = Vec::new();
        for &seq in req.entries.iter().filter(|&&n| n >= 1 && n <= size) {
            let Some(leaf_hash) = tree.leaf(seq - 1) else { continue };
            let inclusion = tree.inclusion_proof(seq - 1, size).map_err(|e| e.to_string())?;
            let entry = entry(seq).filter(|e| e.partner == partner);
            entries.push(AuditEntry { seq, entry, leaf_hash, inclusion });
        }
        let mut consistency = Vec::new();
        for &m in req.from.iter().filter(|&&m| m > 0 && m < size) {
            consistency
                .push(Extends { old_size: m, path: tree.consistency_proof(m, size).map_err(|e| e.to_string())? });
        }
        Ok(AuditAnswer { checkpoint: head.to_text(), entries, consistency })
    }
}

/// What an audit found, one sentence per difference naming the entry: each receipt's entry
/// must stand, unchanged, at its place in the partner's current log, and that log must extend
/// `held` (the newest checkpoint this node holds) and each of `compare` (checkpoints another
/// partner handed over: a log shown differently to two partners fails here).
pub fn audit(
    ring: &KeyRing,
    receipts: &[Receipt],
    held: Option<&str>,
    compare: &[String],
    answer: &AuditAnswer,
) -> Result<Vec<String>, ReceiptError> {
    let now = log_verifier(ring.current())
        .open(&answer.checkpoint)
        .map_err(|e| err(format!("audit: the partner's checkpoint: {e}")))?;
    let mut found = Vec::new();
    let proofs = |m: u64| answer.consistency.iter().find(|c| c.old_size == m);
    // The newest checkpoint held, and any handed over by another partner: the current log
    // must extend each (else it was truncated, rewritten, or shown another history).
    let checks = held.into_iter().map(|t| ("the newest receipt held", t));
    for (whose, text) in checks.chain(compare.iter().map(|t| ("a checkpoint handed over", t.as_str()))) {
        let held = ring.open(text).map_err(|e| err(format!("audit: {whose}: {e}")))?;
        if let Err(e) = check_extends(ring, &held, &now, proofs(held.checkpoint.size)) {
            found.push(format!(
                "{whose} ({} entries): {}",
                held.checkpoint.size,
                e.0.trim_start_matches("the receipt ")
            ));
        }
    }
    for r in receipts {
        let e = &r.entry;
        let what = format!(
            "entry {} ({} {:?} of {:?} at {})",
            e.seq,
            e.kind,
            e.object_version.as_deref().unwrap_or(""),
            e.collection,
            e.time
        );
        let Some(got) = answer.entries.iter().find(|a| a.seq == e.seq) else {
            found.push(format!("{what}: not in the partner's log of {} entries (truncated)", now.checkpoint.size));
            continue;
        };
        if got.entry.as_ref() != Some(e) || got.leaf_hash != e.leaf_hash() {
            found.push(format!("{what}: the partner's log holds another entry there (changed, removed or moved)"));
            continue;
        }
        if merkle::verify_inclusion(
            e.seq - 1,
            now.checkpoint.size,
            &got.leaf_hash,
            &got.inclusion,
            &now.checkpoint.root,
        )
        .is_err()
        {
            found.push(format!("{what}: its proof does not lead to the partner's signed checkpoint"));
        }
    }
    Ok(found)
}

/// A partner's cosignature, as a witness, of a node's signed head
/// (`POST {api root}/ledger/cosignatures/`): the checkpoint note with the witness's C2SP
/// cosignature added, the witness's verifier key, and, if the witness ever rotated its ledger
/// key (which is its witness key), its key history, so a node that pinned an earlier witness
/// key follows the handovers to this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cosignature {
    /// The witness's verifier key (`pacto/witness/<fingerprint>+<key id>+<base64>`).
    pub witness: String,
    /// The node's signed checkpoint, cosigned.
    pub checkpoint: String,
    /// The witness's ledger key rotations, oldest first, as its `GET {api root}/ledger/keys/`
    /// serves them; absent when it never rotated.
    #[serde(default, skip_serializing_if = "KeyHistory::is_empty")]
    pub keys: KeyHistory,
}

/// A node's name as a witness of its partners' logs.
pub fn witness_name(key: &VerifyingKey) -> String {
    format!("pacto/witness/{}", super::log::fingerprint(key))
}

/// A witness key's verifier key (`pacto/witness/<fingerprint>+<key id>+<base64>`).
pub fn witness_vkey(key: &VerifyingKey) -> String {
    CosignatureVerifier { name: witness_name(key), key: *key }.vkey()
}

/// Read a pacto witness's verifier key: its key, if the name is the key's witness name.
pub fn witness_key(vkey: &str) -> Result<VerifyingKey, String> {
    let (name, kind, key) = pacto_log::note::parse_vkey(vkey).map_err(|e| format!("the witness key: {e}"))?;
    if kind != pacto_log::note::TYPE_COSIGNATURE || name != witness_name(&key) {
        return Err("the witness key is not a pacto witness's cosignature key".into());
    }
    Ok(key)
}

/// The witness keys pinned for a partner, as kept (`partner.NAME.witness_key`: verifier keys,
/// first to newest, comma-separated; one before any rotation).
pub fn witness_ring_from_setting(s: &str) -> Result<KeyRing, String> {
    let mut keys = s.split(',').map(|k| witness_key(k.trim()));
    let mut ring = KeyRing::single(keys.next().unwrap_or_else(|| Err("no witness key".into()))?);
    for k in keys {
        ring.push(k?);
    }
    Ok(ring)
}

/// The witness keys to keep (see [`witness_ring_from_setting`]).
pub fn witness_ring_to_setting(ring: &KeyRing) -> String {
    ring.keys().iter().map(witness_vkey).collect::<Vec<_>>().join(",")
}

impl Cosignature {
    /// Cosign a checkpoint of `log`'s ledger this node has checked (it extends every one it
    /// held before: sync checks each receipt), at `timestamp` (POSIX seconds).
    pub fn sign(
        witness: &SigningKey,
        log: &VerifyingKey,
        checkpoint: &str,
        timestamp: u64,
    ) -> Result<Cosignature, String> {
        let cp = log_verifier(log).open(checkpoint).map_err(|e| format!("the checkpoint to cosign: {e}"))?;
        let cosigner = Cosigner::new(&witness_name(&witness.verifying_key()), witness.clone())
            .ok_or_else(|| "the witness name is not a key name".to_string())?;
        Ok(Cosignature {
            witness: cosigner.verifier().vkey(),
            checkpoint: cosigner.add_cosignature(&cp, timestamp).to_text(),
            keys: KeyHistory::default(),
        })
    }

    /// The same, carrying the witness's key history (its ledger key rotations).
    pub fn with_keys(self, keys: KeyHistory) -> Cosignature {
        Cosignature { keys, ..self }
    }

    /// Check a cosignature as the log's node: the checkpoint is one this node signed (`own`,
    /// the head of that size it holds), cosigned by the witness key given, which must be the
    /// newest of `pinned` (the partner's witness keys, when pinned) or one the witness handed
    /// its key over to from it, each handover in the history carried checked
    /// ([`KeyRing::follow`]). Returns (size, timestamp, the witness keys to pin).
    pub fn verify(
        &self,
        log: &VerifyingKey,
        own: Option<&str>,
        pinned: Option<&KeyRing>,
    ) -> Result<(u64, u64, KeyRing), String> {
        let key = witness_key(&self.witness)?;
        let ring = match pinned {
            None => KeyRing::single(key),
            Some(p) if *p.current() == key => p.clone(),
            Some(p) => self.follow(p, &key)?,
        };
        let cp = log_verifier(log).open(&self.checkpoint).map_err(|e| format!("the checkpoint: {e}"))?;
        let own = own.ok_or_else(|| format!("this node signed no head of size {}", cp.checkpoint.size))?;
        let mine = log_verifier(log).open(own).map_err(|e| format!("this node's own head: {e}"))?;
        if mine.checkpoint != cp.checkpoint {
            return Err(format!(
                "the checkpoint cosigned is not the head of size {} this node signed",
                cp.checkpoint.size
            ));
        }
        let ts = CosignatureVerifier { name: witness_name(&key), key }.verify(&cp).map_err(|e| e.to_string())?;
        Ok((cp.checkpoint.size, ts, ring))
    }

    /// The witness signs with another key than the one pinned: follow its handovers from the
    /// pinned key; the key must be where they lead.
    fn follow(&self, pinned: &KeyRing, key: &VerifyingKey) -> Result<KeyRing, String> {
        let fail = |why: String| {
            format!(
                "the witness key {} is not the one pinned for this partner ({}), and {why}",
                super::log::fingerprint(key),
                super::log::fingerprint(pinned.current())
            )
        };
        if self.keys.is_empty() {
            return Err(fail("no key history came with it to hand the witness's key over".into()));
        }
        let followed =
            KeyRing::follow(*pinned.current(), &self.keys).map_err(|e| fail(format!("its handover fails: {e}")))?;
        if followed.current() != key {
            return Err(fail("no handover from the pinned key leads to it".into()));
        }
        let mut out = pinned.clone();
        for k in &followed.keys()[1..] {
            out.push(*k);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::log::log_signer;
    use crate::ledger::{Chain, Event, generate_key};

    fn event(kind: &str, digest: String) -> Event {
        Event {
            time: "2026-01-01T00:00:00.000Z".into(),
            partner: "mx".into(),
            kind: kind.into(),
            collection: "c".into(),
            object_id: None,
            object_version: None,
            digest,
        }
    }

    /// A log of `n` item entries, then a response entry for `body`; its receipt.
    fn receipt_after(
        key: &crate::ledger::SigningKey,
        chain: &mut Chain,
        tree: &mut Tree,
        n: usize,
        body: &[u8],
        held: Option<u64>,
    ) -> Receipt {
        let first = chain.seq + 1;
        for i in 0..n {
            tree.push_hash(chain.append(event("disclosure", sha256_hex(&[i as u8]))).leaf_hash());
        }
        let e = chain.append(event(RESPONSE, sha256_hex(body)));
        tree.push_hash(e.leaf_hash());
        let cp = log_signer(key).sign(tree.len(), tree.root());
        Receipt::build(&key.verifying_key(), first, e, tree, &cp, held).unwrap()
    }

    #[test]
    fn a_receipt_verifies_and_every_alteration_fails() {
        let key = generate_key();
        let (mut chain, mut tree) = (Chain::default(), Tree::new());
        let r1 = receipt_after(&key, &mut chain, &mut tree, 3, b"one", None);
        let vk = key.verifying_key();
        let x = Expect { key: &vk, partner: "mx", body: b"one", held: None };
        let v1 = Receipt::parse(&r1.to_header()).unwrap().verify(&x).unwrap();
        let r2 = receipt_after(&key, &mut chain, &mut tree, 5, b"two", Some(v1.checkpoint.checkpoint.size));
        let held = r1.checkpoint.clone();
        let x2 = Expect { key: &vk, partner: "mx", body: b"two", held: Some(&held) };
        r2.verify(&x2).unwrap();

        // Another body, another partner, another key.
        assert!(r2.verify(&Expect { body: b"tw0", ..x2 }).unwrap_err().0.contains("SHA-256"));
        assert!(r2.verify(&Expect { partner: "ca", ..x2 }).unwrap_err().0.contains("names partner"));
        let other = generate_key().verifying_key();
        assert!(r2.verify(&Expect { key: &other, ..x2 }).is_err());
        // An edited entry, a moved proof, no consistency proof.
        let mut bad = r2.clone();
        bad.entry.time = "2026-01-02T00:00:00.000Z".into();
        assert!(bad.verify(&x2).unwrap_err().0.contains("hash"));
        let mut bad = r2.clone();
        bad.inclusion.pop();
        assert!(bad.verify(&x2).unwrap_err().0.contains("not in the signed log"));
        let mut bad = r2.clone();
        bad.consistency = None;
        assert!(bad.verify(&x2).unwrap_err().0.contains("no proof"));
        let mut bad = r2.clone();
        if let Some(c) = bad.consistency.as_mut() {
            c.path[0][0] ^= 1;
        }
        assert!(bad.verify(&x2).unwrap_err().0.contains("fork"));
    }

    #[test]
    fn a_cosignature_holds_only_for_a_head_the_node_signed_and_the_pinned_witness() {
        let key = generate_key();
        let (mut chain, mut tree) = (Chain::default(), Tree::new());
        let r = receipt_after(&key, &mut chain, &mut tree, 2, b"x", None);
        let (log, witness) = (key.verifying_key(), generate_key());
        let c = Cosignature::sign(&witness, &log, &r.checkpoint, 1_800_000_000).unwrap();
        let pinned = KeyRing::single(witness.verifying_key());
        assert_eq!(c.verify(&log, Some(&r.checkpoint), None), Ok((3, 1_800_000_000, pinned.clone())));
        assert_eq!(c.verify(&log, Some(&r.checkpoint), Some(&pinned)), Ok((3, 1_800_000_000, pinned.clone())));
        assert_eq!(witness_ring_from_setting(&c.witness), Ok(pinned.clone()));
        // Another witness than the pinned one; a head the node never signed; none of that size.
        let other = Cosignature::sign(&generate_key(), &log, &r.checkpoint, 1).unwrap();
        assert!(other.verify(&log, Some(&r.checkpoint), Some(&pinned)).unwrap_err().contains("pinned"));
        let forged = log_signer(&key).sign(3, [0; 32]).to_text();
        let c2 = Cosignature::sign(&witness, &log, &forged, 1).unwrap();
        assert!(c2.verify(&log, Some(&r.checkpoint), None).unwrap_err().contains("not the head"));
        assert!(c.verify(&log, None, None).is_err());
        // A cosignature line altered.
        let mut bad = c.clone();
        bad.checkpoint = bad.checkpoint.replace(&bad.checkpoint.lines().last().unwrap()[20..30], "AAAAAAAAAA");
        assert!(bad.verify(&log, Some(&r.checkpoint), None).is_err());
    }

    /// The witness's own ledger, handed from `old` to `new` at entry 3: its key history, with
    /// the handover head signed by both keys (or, `both` false, by the new key alone).
    fn witness_history(old: &SigningKey, new: &SigningKey, both: bool) -> KeyHistory {
        use crate::ledger::rotation::{self, Handover};
        let mut chain = Chain::default();
        let mut entries: Vec<Entry> = (0..2).map(|i| chain.append(event("disclosure", sha256_hex(&[i])))).collect();
        entries.push(chain.append(rotation::event(&old.verifying_key(), &new.verifying_key(), "2026-01-02T00:00:00Z")));
        let tree = crate::ledger::log::tree(&entries);
        let head = if both {
            rotation::sign(old, new, &tree, None).unwrap()
        } else {
            log_signer(new).sign(tree.len(), tree.root())
        };
        KeyHistory { rotations: vec![Handover::build(entries[2].clone(), &tree, &head).unwrap()], head: None }
            .to_head(&tree, &head)
            .unwrap()
    }

    #[test]
    fn a_rotated_witness_is_followed_from_the_pinned_key_and_an_impostor_refused() {
        let key = generate_key();
        let (mut chain, mut tree) = (Chain::default(), Tree::new());
        let r = receipt_after(&key, &mut chain, &mut tree, 2, b"x", None);
        let log = key.verifying_key();
        let (old, new) = (generate_key(), generate_key());
        let pinned = KeyRing::single(old.verifying_key());
        let history = witness_history(&old, &new, true);
        let c = Cosignature::sign(&new, &log, &r.checkpoint, 7).unwrap().with_keys(history.clone());
        let (size, ts, ring) = c.verify(&log, Some(&r.checkpoint), Some(&pinned)).unwrap();
        assert_eq!((size, ts, ring.keys()), (3, 7, &[old.verifying_key(), new.verifying_key()][..]));
        assert_eq!(witness_ring_from_setting(&witness_ring_to_setting(&ring)), Ok(ring.clone()));
        // Through JSON: the history travels in `keys`.
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains("\"keys\":{\"rotations\":[{"), "{text}");
        assert_eq!(serde_json::from_str::<Cosignature>(&text).unwrap(), c);
        // Once followed, the new key is taken as pinned; the old one no longer is.
        assert!(c.clone().with_keys(KeyHistory::default()).verify(&log, Some(&r.checkpoint), Some(&ring)).is_ok());
        let stale = Cosignature::sign(&old, &log, &r.checkpoint, 8).unwrap().with_keys(history.clone());
        let e = stale.verify(&log, Some(&r.checkpoint), Some(&ring)).unwrap_err();
        assert!(e.contains("no handover from the pinned key leads to it"), "{e}");

        // The new key without its history; with a handover the new key signed alone; an
        // impostor carrying the real history (it leads to another key).
        let bare = Cosignature::sign(&new, &log, &r.checkpoint, 7).unwrap();
        let e = bare.verify(&log, Some(&r.checkpoint), Some(&pinned)).unwrap_err();
        assert!(e.contains("not the one pinned") && e.contains("no key history"), "{e}");
        let alone = bare.clone().with_keys(witness_history(&old, &new, false));
        let e = alone.verify(&log, Some(&r.checkpoint), Some(&pinned)).unwrap_err();
        assert!(e.contains("its handover fails") && e.contains("not signed by the old key"), "{e}");
        let impostor = Cosignature::sign(&generate_key(), &log, &r.checkpoint, 7).unwrap().with_keys(history);
        let e = impostor.verify(&log, Some(&r.checkpoint), Some(&pinned)).unwrap_err();
        assert!(e.contains("no handover from the pinned key leads to it"), "{e}");
    }

    #[test]
    fn a_log_rewritten_under_the_key_is_a_fork_to_the_holder_of_a_receipt() {
        let key = generate_key();
        let vk = key.verifying_key();
        let (mut chain, mut tree) = (Chain::default(), Tree::new());
        let r1 = receipt_after(&key, &mut chain, &mut tree, 4, b"one", None);
        // The operator rebuilds the log without entry 2, and answers again.
        let (mut chain2, mut tree2) = (Chain::default(), Tree::new());
        let r = receipt_after(&key, &mut chain2, &mut tree2, 3, b"one", None);
        assert_eq!(r.entry.seq, 4);
        let r3 = receipt_after(&key, &mut chain2, &mut tree2, 2, b"three", Some(r1.entry.seq));
        let held = r1.checkpoint.clone();
        let got = r3.verify(&Expect { key: &vk, partner: "mx", body: b"three", held: Some(&held) });
        assert!(got.unwrap_err().0.contains("fork"), "a rewritten log must not verify");
        // A truncated one (smaller than held).
        let (mut chain3, mut tree3) = (Chain::default(), Tree::new());
        let r4 = receipt_after(&key, &mut chain3, &mut tree3, 1, b"x", None);
        let got = r4.verify(&Expect { key: &vk, partner: "mx", body: b"x", held: Some(&held) });
        assert!(got.unwrap_err().0.contains("truncated"));
    }
}
