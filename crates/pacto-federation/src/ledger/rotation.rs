//! Rotating the ledger key: the old key hands the log over to the new one, inside the log.
//!
//! A rotation is an entry of kind [`KIND`] naming the old key (`object_id`) and the new key
//! (`object_version`), both in hex, with digest SHA-256 of `"<old>\n<new>"`. The head right
//! after it (size = the entry's seq) is signed twice: by the new key as the log's signer under
//! the new key's origin, and by the old key under its own origin, over the same note text
//! (a [`Handover`]). From that size on, heads are signed by the new key alone.
//!
//! So a verifier that trusts either key accepts the whole log: one trusting the old key
//! follows the handover the old key signed; one trusting the new key finds every earlier entry
//! under the handover head it signed. Each key's checkpoints keep their own origin
//! (`pacto/ledger/<fingerprint>`), and the log's identity is the chain of keys, first to
//! newest ([`KeyRing`]); consistency across a handover is proved between checkpoints of two
//! keys of the same ring ([`KeyRing::check_consistent`]).

use pacto_log::checkpoint::{Checkpoint as LogCheckpoint, SignedCheckpoint};
use pacto_log::consistency::{self, ConsistencyError};
use pacto_log::merkle::{self, Hash, Tree};
use pacto_log::note::{NoteSigner, NoteVerifier};
use serde::{Deserialize, Serialize};

use super::log::{log_signer, log_verifier, origin};
use super::{Entry, Event, SigningKey, VerifyingKey, public_key_from_hex, public_key_hex, sha256_hex};

/// The kind of a rotation entry.
pub const KIND: &str = "key-rotation";

/// The ledger event that hands the log from `old` to `new` at `time`.
pub fn event(old: &VerifyingKey, new: &VerifyingKey, time: &str) -> Event {
    let (o, n) = (public_key_hex(old), public_key_hex(new));
    Event {
        time: time.to_string(),
        partner: String::new(),
        kind: KIND.into(),
        collection: String::new(),
        digest: sha256_hex(format!("{o}\n{n}").as_bytes()),
        object_id: Some(o),
        object_version: Some(n),
    }
}

/// The keys a rotation entry names (old, new); `None` when it is not a rotation.
pub fn keys_of(
    kind: &str,
    old: Option<&str>,
    new: Option<&str>,
    digest: &str,
) -> Option<Result<(VerifyingKey, VerifyingKey), String>> {
    if kind != KIND {
        return None;
    }
    let read = |k: Option<&str>, which: &str| {
        k.and_then(public_key_from_hex)
            .ok_or_else(|| format!("a key rotation whose {which} key is not an Ed25519 key in hex"))
    };
    Some((|| {
        let (o, n) = (read(old, "old")?, read(new, "new")?);
        if o == n {
            return Err("a key rotation to the same key".to_string());
        }
        if digest != sha256_hex(format!("{}\n{}", public_key_hex(&o), public_key_hex(&n)).as_bytes()) {
            return Err("a key rotation whose digest is not of its two keys".to_string());
        }
        Ok((o, n))
    })())
}

/// The keys an entry hands over between, if it is a rotation.
pub fn entry_keys(e: &Entry) -> Option<Result<(VerifyingKey, VerifyingKey), String>> {
    keys_of(&e.kind, e.object_id.as_deref(), e.object_version.as_deref(), &e.digest)
}

/// Sign the head of `tree` (which ends with the rotation entry from `old` to `new`) with both
/// keys, refusing if it does not extend `prev` (the last head the old key signed).
pub fn sign(
    old: &SigningKey,
    new: &SigningKey,
    tree: &Tree,
    prev: Option<&LogCheckpoint>,
) -> Result<SignedCheckpoint, ConsistencyError> {
    if let Some(p) = prev {
        consistency::check_extends(tree, p)?;
    }
    let mut cp = log_signer(new).sign(tree.len(), tree.root());
    // Key names are origins: hex and slashes, always valid.
    let by_old = NoteSigner::new(&origin(&old.verifying_key()), old.clone()).unwrap_or_else(|| unreachable!());
    cp.note.signatures.extend(by_old.sign(&cp.note.text).signatures);
    Ok(cp)
}

/// Check that `cp` (opened under the new key) also carries the old key's signature.
pub fn check_signed_by_old(cp: &SignedCheckpoint, old: &VerifyingKey) -> Result<(), String> {
    NoteVerifier { name: origin(old), key: *old }
        .verify(&cp.note)
        .map_err(|e| format!("the handover head is not signed by the old key: {e}"))
}

/// A rotation as a partner is shown it (`GET {api root}/ledger/keys/`): the rotation entry,
/// its inclusion proof, and the head at its size signed by both keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handover {
    pub entry: Entry,
    #[serde(with = "merkle::b64_hashes")]
    pub inclusion: Vec<Hash>,
    /// The head at size `entry.seq` (note text), signed by the new key and by the old.
    pub checkpoint: String,
    /// The consistency proof (RFC 9162 §2.1.4) from this handover head to the history's newest
    /// head ([`KeyHistory::head`]): the handover lies in the log the newest key signs. Empty
    /// when the newest head is the handover head (and in documents from before it was carried).
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "merkle::b64_hashes")]
    pub to_head: Vec<Hash>,
}

/// A node's answer to `GET {api root}/ledger/keys/`: its rotations, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyHistory {
    pub rotations: Vec<Handover>,
    /// The log's newest head (note text) when the history was served, signed by the newest key:
    /// each handover's `to_head` proves its head is a prefix of this one's log. Absent for a log
    /// never rotated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
}

impl KeyHistory {
    /// No rotation: the log was signed by one key.
    pub fn is_empty(&self) -> bool {
        self.rotations.is_empty()
    }

    /// Tie the history to `head` (a head of `tree`, signed by the log's newest key, of a size no
    /// smaller than any rotation's): each handover gets its consistency proof to it. A history
    /// without rotations stays as it is.
    pub fn to_head(mut self, tree: &Tree, head: &SignedCheckpoint) -> Result<KeyHistory, String> {
        if self.rotations.is_empty() {
            return Ok(self);
        }
        let n = head.checkpoint.size;
        if tree.root_at(n).ok() != Some(head.checkpoint.root) {
            return Err(format!("the head of size {n} is not a head of this log's tree"));
        }
        for h in &mut self.rotations {
            let m = h.entry.seq;
            if m > n {
                return Err(format!("the handover at entry {m} is after the head of size {n}"));
            }
            h.to_head = if m == n { Vec::new() } else { tree.consistency_proof(m, n).map_err(|e| e.to_string())? };
        }
        self.head = Some(head.to_text());
        Ok(self)
    }

    /// Check that the history's newest head is `newest` (a head the verifier holds, opened
    /// through `ring`, e.g. the checkpoint of a proof or of a receipt): the same size and root.
    pub fn check_newest(&self, ring: &KeyRing, newest: &LogCheckpoint) -> Result<(), String> {
        if self.rotations.is_empty() {
            return Ok(());
        }
        let text = self.head.as_deref().ok_or_else(no_head)?;
        let head = ring.open(text).map_err(|e| format!("the key history's newest head: {e}"))?;
        if (head.checkpoint.size, head.checkpoint.root) != (newest.size, newest.root) {
            return Err(format!(
                "the key history's newest head (size {}) is not the newest head held (size {}), so nothing \
                 proves the handovers lie in the log that head signs",
                head.checkpoint.size, newest.size
            ));
        }
        Ok(())
    }
}

fn no_head() -> String {
    "the key history carries no newest head, so nothing proves its handovers lie in the log the newest key signs"
        .to_string()
}

impl Handover {
    /// The handover of rotation entry `entry` (the last leaf of `tree` at its size), under its
    /// doubly signed head `cp`.
    pub fn build(entry: Entry, tree: &Tree, cp: &SignedCheckpoint) -> Result<Handover, String> {
        if cp.checkpoint.size != entry.seq {
            return Err(format!("the head of size {} is not the handover of entry {}", cp.checkpoint.size, entry.seq));
        }
        let inclusion = tree.inclusion_proof(entry.seq - 1, entry.seq).map_err(|e| e.to_string())?;
        Ok(Handover { entry, inclusion, checkpoint: cp.to_text(), to_head: Vec::new() })
    }

    /// Check that this hands the log over from `from`; returns the new key and its head.
    pub fn verify(&self, from: &VerifyingKey) -> Result<(VerifyingKey, SignedCheckpoint), String> {
        let e = &self.entry;
        let at = |why: String| format!("the key rotation at entry {}: {why}", e.seq);
        let (old, new) = entry_keys(e).ok_or_else(|| at("is not a key rotation".into()))?.map_err(&at)?;
        if old != *from {
            return Err(at(format!("hands over from key {}, not from {}", public_key_hex(&old), public_key_hex(from))));
        }
        if e.compute_hash() != e.hash {
            return Err(at("its content does not match its hash (edited)".into()));
        }
        let cp = log_verifier(&new).open(&self.checkpoint).map_err(|err| at(format!("the new key's head: {err}")))?;
        check_signed_by_old(&cp, &old).map_err(&at)?;
        if cp.checkpoint.size != e.seq {
            return Err(at(format!("its head is of size {}, not {}", cp.checkpoint.size, e.seq)));
        }
        merkle::verify_inclusion(e.seq - 1, e.seq, &e.leaf_hash(), &self.inclusion, &cp.checkpoint.root)
            .map_err(|why| at(format!("is not in the head signed by both keys: {why}")))?;
        Ok((new, cp))
    }
}

/// The keys a log was signed with, first to newest: a verifier trusting any of them trusts the
/// log (each was handed over by the one before, with both signatures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRing {
    keys: Vec<VerifyingKey>,
}

impl KeyRing {
    /// A log that was never rotated.
    pub fn single(key: VerifyingKey) -> KeyRing {
        KeyRing { keys: vec![key] }
    }

    /// From `first`, following each handover of `history` (oldest first), each checked. A
    /// history that starts before `first` (the verifier pinned a later key) is followed from
    /// the handover away from `first`.
    pub fn follow(first: VerifyingKey, history: &KeyHistory) -> Result<KeyRing, String> {
        let mut ring = KeyRing::single(first);
        let start = history
            .rotations
            .iter()
            .position(|h| h.entry.object_id.as_deref() == Some(public_key_hex(&first).as_str()))
            .unwrap_or(history.rotations.len());
        let mut last_seq = 0;
        let mut heads = Vec::new();
        for h in &history.rotations[start..] {
            if h.entry.seq <= last_seq {
                return Err(format!("the key rotations are out of order at entry {}", h.entry.seq));
            }
            last_seq = h.entry.seq;
            let (new, cp) = h.verify(ring.current())?;
            if ring.keys.contains(&new) {
                return Err(format!("the key rotation at entry {} returns to a key used before", h.entry.seq));
            }
            ring.keys.push(new);
            heads.push((h, cp.checkpoint));
        }
        if heads.is_empty() {
            return Ok(ring);
        }
        // Each handover followed must lie in the log the newest key signs: its head is a prefix
        // of the newest head's log (else the new key could sign another history).
        let text = history.head.as_deref().ok_or_else(no_head)?;
        let head = log_verifier(ring.current())
            .open(text)
            .map_err(|e| format!("the key history's newest head (it must be signed by the newest key): {e}"))?
            .checkpoint;
        for (h, cp) in heads {
            let at = LogCheckpoint { origin: head.origin.clone(), ..cp };
            consistency::check_consistent(&at, &head, &h.to_head).map_err(|e| {
                format!(
                    "the newest head (size {}) does not extend the handover at entry {}, so it signs another \
                     history than the one handed over: {e}",
                    head.size, h.entry.seq
                )
            })?;
        }
        Ok(ring)
    }

    /// Add the key a checked handover gave.
    pub fn push(&mut self, key: VerifyingKey) {
        self.keys.push(key);
    }

    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    pub fn first(&self) -> &VerifyingKey {
        &self.keys[0]
    }

    pub fn current(&self) -> &VerifyingKey {
        &self.keys[self.keys.len() - 1]
    }

    pub fn contains(&self, key: &VerifyingKey) -> bool {
        self.keys.contains(key)
    }

    /// Open a checkpoint signed by any key of the ring (under that key's origin).
    pub fn open(&self, text: &str) -> Result<SignedCheckpoint, String> {
        let mut last = String::new();
        for k in self.keys.iter().rev() {
            match log_verifier(k).open(text) {
                Ok(cp) => return Ok(cp),
                Err(e) => last = e.to_string(),
            }
        }
        Err(if self.keys.len() == 1 {
            last
        } else {
            format!("it is signed by none of the log's {} keys", self.keys.len())
        })
    }

    /// Is `origin` the origin of one of the ring's keys?
    pub fn has_origin(&self, o: &str) -> bool {
        self.keys.iter().any(|k| origin(k) == o)
    }

    /// Check that `new` extends `old` (both opened through this ring, possibly under two of
    /// its keys) with `proof`.
    pub fn check_consistent(
        &self,
        old: &LogCheckpoint,
        new: &LogCheckpoint,
        proof: &[Hash],
    ) -> Result<(), ConsistencyError> {
        if old.origin != new.origin && self.has_origin(&old.origin) && self.has_origin(&new.origin) {
            let same = LogCheckpoint { origin: new.origin.clone(), ..old.clone() };
            return consistency::check_consistent(&same, new, proof);
        }
        consistency::check_consistent(old, new, proof)
    }

    /// The keys in hex, first to newest, comma-separated (how a partner's ring is kept).
    pub fn to_setting(&self) -> String {
        self.keys.iter().map(public_key_hex).collect::<Vec<_>>().join(",")
    }

    /// Read a ring kept by [`KeyRing::to_setting`].
    pub fn from_setting(s: &str) -> Option<KeyRing> {
        let keys: Option<Vec<VerifyingKey>> = s.split(',').map(|k| public_key_from_hex(k.trim())).collect();
        keys.filter(|k| !k.is_empty()).map(|keys| KeyRing { keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Chain, generate_key};

    fn log_with_rotation() -> (SigningKey, SigningKey, Vec<Entry>, Tree, SignedCheckpoint) {
        let (old, new) = (generate_key(), generate_key());
        let mut chain = Chain::default();
        let mut entries: Vec<Entry> = (0..5)
            .map(|i| {
                chain.append(Event {
                    time: "2026-12-03T00:00:00.000Z".into(),
                    partner: "mx".into(),
                    kind: "disclosure".into(),
                    collection: "c".into(),
                    object_id: Some(format!("indicator--{i}")),
                    object_version: None,
                    digest: sha256_hex(&[i]),
                })
            })
            .collect();
        let prev = log_signer(&old).sign(5, super::super::log::tree(&entries).root());
        entries.push(chain.append(event(&old.verifying_key(), &new.verifying_key(), "2026-12-03T00:00:01.000Z")));
        let tree = super::super::log::tree(&entries);
        let cp = sign(&old, &new, &tree, Some(&prev.checkpoint)).unwrap();
        (old, new, entries, tree, cp)
    }

    #[test]
    fn a_handover_is_signed_by_both_keys_and_followed_from_the_old_one() {
        let (old, new, entries, tree, cp) = log_with_rotation();
        let h = Handover::build(entries[5].clone(), &tree, &cp).unwrap();
        let (got, _) = h.verify(&old.verifying_key()).unwrap();
        assert_eq!(got, new.verifying_key());
        let ring =
            KeyRing::follow(old.verifying_key(), &KeyHistory { rotations: vec![h.clone()], head: Some(cp.to_text()) })
                .unwrap();
        assert_eq!(ring.keys(), &[old.verifying_key(), new.verifying_key()]);
        assert_eq!(KeyRing::from_setting(&ring.to_setting()), Some(ring.clone()));
        // A verifier that pinned the new key already follows nothing.
        let later =
            KeyRing::follow(new.verifying_key(), &KeyHistory { rotations: vec![h.clone()], head: Some(cp.to_text()) })
                .unwrap();
        assert_eq!(later.keys(), &[new.verifying_key()]);
        // From another key: refused.
        assert!(h.verify(&generate_key().verifying_key()).unwrap_err().contains("hands over from"));
    }

    #[test]
    fn a_handover_without_the_old_keys_signature_or_altered_is_refused() {
        let (old, new, entries, tree, cp) = log_with_rotation();
        // Only the new key signed: someone who stole nothing but wants the log.
        let alone = log_signer(&new).sign(tree.len(), tree.root());
        let h = Handover::build(entries[5].clone(), &tree, &alone).unwrap();
        assert!(h.verify(&old.verifying_key()).unwrap_err().contains("not signed by the old key"));
        // An attacker's key signing as "old" under the old origin.
        let mut forged = alone.clone();
        let thief = NoteSigner::new(&origin(&old.verifying_key()), generate_key()).unwrap();
        forged.note.signatures.extend(thief.sign(&forged.note.text).signatures);
        let h = Handover::build(entries[5].clone(), &tree, &forged).unwrap();
        assert!(h.verify(&old.verifying_key()).is_err());
        // The entry edited to name another new key.
        let mut h = Handover::build(entries[5].clone(), &tree, &cp).unwrap();
        h.entry.object_version = Some(public_key_hex(&generate_key().verifying_key()));
        assert!(h.verify(&old.verifying_key()).is_err());
        // The inclusion proof of another leaf.
        let mut h = Handover::build(entries[5].clone(), &tree, &cp).unwrap();
        h.inclusion = tree.inclusion_proof(4, 6).unwrap();
        assert!(h.verify(&old.verifying_key()).unwrap_err().contains("not in the head"));
    }

    #[test]
    fn consistency_is_proved_across_the_handover_within_the_ring() {
        let (old, new, _, tree, cp) = log_with_rotation();
        let before = log_signer(&old).sign(5, tree.root_at(5).unwrap());
        let ring = KeyRing { keys: vec![old.verifying_key(), new.verifying_key()] };
        let proof = tree.consistency_proof(5, 6).unwrap();
        ring.check_consistent(&before.checkpoint, &cp.checkpoint, &proof).unwrap();
        // Another log's checkpoint is not made consistent by the ring.
        let stranger = log_signer(&generate_key()).sign(5, tree.root_at(5).unwrap());
        assert!(ring.check_consistent(&stranger.checkpoint, &cp.checkpoint, &proof).is_err());
        assert!(ring.open(&before.to_text()).is_ok() && ring.open(&cp.to_text()).is_ok());
        assert!(ring.open(&stranger.to_text()).is_err());
    }

    #[test]
    fn a_rotation_entry_must_name_two_keys_with_its_digest() {
        let (a, b) = (generate_key().verifying_key(), generate_key().verifying_key());
        let e = event(&a, &b, "t");
        assert!(matches!(
            keys_of(&e.kind, e.object_id.as_deref(), e.object_version.as_deref(), &e.digest),
            Some(Ok(_))
        ));
        assert!(
            keys_of(&e.kind, e.object_id.as_deref(), e.object_version.as_deref(), &sha256_hex(b"x")).unwrap().is_err()
        );
        assert!(keys_of(&e.kind, Some("zz"), e.object_version.as_deref(), &e.digest).unwrap().is_err());
        assert!(keys_of("disclosure", None, None, "").is_none());
        let same = event(&a, &a, "t");
        assert!(
            keys_of(KIND, same.object_id.as_deref(), same.object_version.as_deref(), &same.digest).unwrap().is_err()
        );
    }

    #[test]
    fn an_export_across_a_rotation_verifies_under_either_key_and_under_no_other() {
        use super::super::log::{ExportError, export, verify_export};
        let (old, new, mut entries, mut tree, cp) = log_with_rotation();
        let before = log_signer(&old).sign(5, tree.root_at(5).unwrap());
        let mut chain = Chain { seq: 6, hash: entries[5].hash.clone() };
        entries.push(chain.append(Event { partner: "ca".into(), ..entries[0].clone().into_event() }));
        tree.push_hash(entries[6].leaf_hash());
        let after = log_signer(&new).sign(7, tree.root());
        let first = old.verifying_key();
        let text = export(&first, &entries, &[before.clone(), cp.clone(), after.clone()]);
        for trusted in [old.verifying_key(), new.verifying_key()] {
            let v = verify_export(&text, &trusted, Some(&before.to_text())).unwrap();
            assert_eq!((v.entries, v.keys.keys().len()), (7, 2));
        }
        assert!(verify_export(&text, &generate_key().verifying_key(), None).is_err());
        // The handover signed by the new key alone: refused, naming why.
        let alone = log_signer(&new).sign(6, tree.root_at(6).unwrap());
        let bad = export(&first, &entries, &[before.clone(), alone, after.clone()]);
        let e = verify_export(&bad, &new.verifying_key(), None).unwrap_err();
        assert!(e.to_string().contains("not signed by the old key"), "{e}");
        // The head after the rotation signed by the old key: it no longer signs this log.
        let stale = log_signer(&old).sign(7, tree.root());
        let bad = export(&first, &entries, &[before.clone(), cp.clone(), stale]);
        assert!(verify_export(&bad, &old.verifying_key(), None).is_err());
        // The rotation's head left out: the rotation is not signed by both keys.
        let bad = export(&first, &entries, &[before, after]);
        let e = verify_export(&bad, &old.verifying_key(), None).unwrap_err();
        assert!(matches!(e, ExportError::Entry { seq: 6, .. }), "{e}");
    }
}
