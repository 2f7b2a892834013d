//! What holds between two checkpoints of one log, and what to do when it does not.
//!
//! - A log never signs a head that does not extend its previous signed one: [`sign_next`]
//!   checks the tree it holds against that checkpoint first (and [`check_extends`] is the same
//!   check at start, before the log serves anything).
//! - A witness or partner holding an older checkpoint checks a newer one with a consistency
//!   proof: [`check_consistent`].
//! - Two signed checkpoints that cannot both be true are an [`Equivocation`]: a small JSON
//!   object anyone holding the log's public key can check, without the log's entries.

use serde::{Deserialize, Serialize};

use crate::Hash;
use crate::checkpoint::{Checkpoint, CheckpointError, LogSigner, LogVerifier, SignedCheckpoint};
use crate::merkle::{self, ProofError, Tree};

/// Why two checkpoints (or a tree and a checkpoint) are not consistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsistencyError {
    #[error("the checkpoints are of different logs ({0:?} and {1:?})")]
    OtherLog(String, String),
    #[error("the log shrank: a signed checkpoint has {signed} entries, the log now holds {held}")]
    Truncated { signed: u64, held: u64 },
    #[error("the log's first {size} entries are not those signed before (root differs): history was rewritten")]
    Rewritten { size: u64 },
    #[error("the consistency proof from size {old} to size {new} does not verify: {error}")]
    Proof { old: u64, new: u64, error: ProofError },
}

/// Check that `tree` extends the signed checkpoint `prev`: it holds at least as many leaves,
/// and its first `prev.size` leaves have `prev.root`.
pub fn check_extends(tree: &Tree, prev: &Checkpoint) -> Result<(), ConsistencyError> {
    let root =
        tree.root_at(prev.size).map_err(|_| ConsistencyError::Truncated { signed: prev.size, held: tree.len() })?;
    if root != prev.root {
        return Err(ConsistencyError::Rewritten { size: prev.size });
    }
    Ok(())
}

/// Sign the tree's current head, but only if it extends the previous signed checkpoint.
pub fn sign_next(
    signer: &LogSigner,
    prev: Option<&Checkpoint>,
    tree: &Tree,
) -> Result<SignedCheckpoint, ConsistencyError> {
    if let Some(p) = prev {
        if p.origin != signer.origin() {
            return Err(ConsistencyError::OtherLog(p.origin.clone(), signer.origin().to_string()));
        }
        check_extends(tree, p)?;
    }
    Ok(signer.sign(tree.len(), tree.root()))
}

/// Check that `new` extends `old` (same log, not smaller, and the proof verifies). An empty old
/// tree is extended by any tree.
pub fn check_consistent(old: &Checkpoint, new: &Checkpoint, proof: &[Hash]) -> Result<(), ConsistencyError> {
    if old.origin != new.origin {
        return Err(ConsistencyError::OtherLog(old.origin.clone(), new.origin.clone()));
    }
    if new.size < old.size {
        return Err(ConsistencyError::Truncated { signed: old.size, held: new.size });
    }
    if old.size == 0 && proof.is_empty() && old.root == merkle::EMPTY_ROOT {
        return Ok(());
    }
    merkle::verify_consistency(old.size, new.size, &old.root, &new.root, proof)
        .map_err(|error| ConsistencyError::Proof { old: old.size, new: new.size, error })
}

/// A portable proof that a log signed two histories: `older` (size m) and `newer` (size n ≥ m)
/// are both signed by the log, and the consistency proof from `(m, newer_root_at_older_size)`
/// to `newer` verifies — so the newer tree's first m leaves have a root other than the one
/// `older` signed. Both notes are kept whole so a third party checks the signatures itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivocation {
    /// Always `pacto-log-equivocation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The signed checkpoint note of the smaller (or equal) size.
    pub older: String,
    /// The signed checkpoint note of the larger (or equal) size.
    pub newer: String,
    /// The root of the newer tree's first `older.size` leaves.
    #[serde(with = "merkle::b64_hash")]
    pub newer_root_at_older_size: Hash,
    /// The RFC 9162 consistency proof from that root to `newer` (empty for equal sizes).
    #[serde(with = "merkle::b64_hashes")]
    pub proof: Vec<Hash>,
}

/// Why an equivocation claim does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EquivocationError {
    #[error("not a pacto-log-equivocation object")]
    WrongType,
    #[error("the {which} checkpoint: {error}")]
    Checkpoint { which: &'static str, error: CheckpointError },
    #[error("the older checkpoint is larger than the newer one")]
    Order,
    #[error("the older checkpoint is of an empty tree: nothing can contradict it")]
    Empty,
    #[error("the two checkpoints agree: no equivocation")]
    Consistent,
    #[error("the proof does not tie the stated root to the newer checkpoint: {0}")]
    Proof(ProofError),
}

impl Equivocation {
    /// If `a` and `b` (both signed by the log) cannot both be true, the proof of it. `tree`
    /// holds the leaves of the larger of the two (its root at that size must be that
    /// checkpoint's root), from which the proof is cut. `None` if they are consistent or the
    /// tree is not the larger one's.
    pub fn find(a: &SignedCheckpoint, b: &SignedCheckpoint, tree: &Tree) -> Option<Equivocation> {
        let (older, newer) = if a.checkpoint.size <= b.checkpoint.size { (a, b) } else { (b, a) };
        let (m, n) = (older.checkpoint.size, newer.checkpoint.size);
        if m == 0 || older.checkpoint.origin != newer.checkpoint.origin {
            return None;
        }
        if tree.root_at(n).ok()? != newer.checkpoint.root {
            return None;
        }
        let at_m = tree.root_at(m).ok()?;
        if at_m == older.checkpoint.root {
            return None;
        }
        Some(Equivocation {
            kind: "pacto-log-equivocation".into(),
            older: older.to_text(),
            newer: newer.to_text(),
            newer_root_at_older_size: at_m,
            proof: tree.consistency_proof(m, n).ok()?,
        })
    }

    /// Two checkpoints of the same size and different roots need no tree.
    pub fn same_size(a: &SignedCheckpoint, b: &SignedCheckpoint) -> Option<Equivocation> {
        (a.checkpoint.size == b.checkpoint.size
            && a.checkpoint.size > 0
            && a.checkpoint.origin == b.checkpoint.origin
            && a.checkpoint.root != b.checkpoint.root)
            .then(|| Equivocation {
                kind: "pacto-log-equivocation".into(),
                older: a.to_text(),
                newer: b.to_text(),
                newer_root_at_older_size: b.checkpoint.root,
                proof: Vec::new(),
            })
    }

    /// Check the claim: both notes signed by `log`, sizes in order, the proof verifies, and
    /// the older checkpoint's root is not the newer tree's root at that size.
    pub fn verify(&self, log: &LogVerifier) -> Result<(), EquivocationError> {
        if self.kind != "pacto-log-equivocation" {
            return Err(EquivocationError::WrongType);
        }
        let older = log.open(&self.older).map_err(|error| EquivocationError::Checkpoint { which: "older", error })?;
        let newer = log.open(&self.newer).map_err(|error| EquivocationError::Checkpoint { which: "newer", error })?;
        let (o, n) = (&older.checkpoint, &newer.checkpoint);
        if o.size > n.size {
            return Err(EquivocationError::Order);
        }
        if o.size == 0 {
            return Err(EquivocationError::Empty);
        }
        merkle::verify_consistency(o.size, n.size, &self.newer_root_at_older_size, &n.root, &self.proof)
            .map_err(EquivocationError::Proof)?;
        if self.newer_root_at_older_size == o.root {
            return Err(EquivocationError::Consistent);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;
    use crate::merkle::leaf_hash;

    fn signer() -> LogSigner {
        LogSigner::new("pacto.example/ledger/t", SigningKey::from_bytes(&[5; 32])).unwrap()
    }

    fn tree(leaves: &[&str]) -> Tree {
        Tree::from_leaf_hashes(leaves.iter().map(|l| leaf_hash(l.as_bytes())))
    }

    #[test]
    fn the_log_refuses_to_sign_a_rewritten_or_shorter_history() {
        let s = signer();
        let honest = tree(&["a", "b", "c"]);
        let first = s.sign(3, honest.root());
        let grown = tree(&["a", "b", "c", "d"]);
        let next = sign_next(&s, Some(&first.checkpoint), &grown).unwrap();
        assert_eq!(next.checkpoint.size, 4);
        let edited = tree(&["a", "B", "c", "d"]);
        assert_eq!(sign_next(&s, Some(&first.checkpoint), &edited), Err(ConsistencyError::Rewritten { size: 3 }));
        let cut = tree(&["a", "b"]);
        assert_eq!(
            sign_next(&s, Some(&first.checkpoint), &cut),
            Err(ConsistencyError::Truncated { signed: 3, held: 2 })
        );
        let other = LogSigner::new("elsewhere", SigningKey::from_bytes(&[5; 32])).unwrap();
        assert!(matches!(sign_next(&other, Some(&first.checkpoint), &grown), Err(ConsistencyError::OtherLog(..))));
        // The checks a witness makes with a proof.
        let proof = grown.consistency_proof(3, 4).unwrap();
        check_consistent(&first.checkpoint, &next.checkpoint, &proof).unwrap();
        let forked = s.sign(4, edited.root());
        assert!(matches!(
            check_consistent(&first.checkpoint, &forked.checkpoint, &edited.consistency_proof(3, 4).unwrap()),
            Err(ConsistencyError::Proof { old: 3, new: 4, .. })
        ));
        assert!(matches!(
            check_consistent(&next.checkpoint, &first.checkpoint, &[]),
            Err(ConsistencyError::Truncated { .. })
        ));
        check_consistent(&s.sign(0, merkle::EMPTY_ROOT).checkpoint, &next.checkpoint, &[]).unwrap();
    }

    #[test]
    fn a_fork_is_a_portable_proof() {
        let s = signer();
        let shown_to_us = tree(&["a", "b", "c"]);
        let shown_to_ca = tree(&["a", "x", "c", "d", "e"]);
        let ours = s.sign(3, shown_to_us.root());
        let theirs = s.sign(5, shown_to_ca.root());
        let proof = Equivocation::find(&ours, &theirs, &shown_to_ca).unwrap();
        let json = serde_json::to_string(&proof).unwrap();
        let back: Equivocation = serde_json::from_str(&json).unwrap();
        back.verify(&s.verifier()).unwrap();
        // Consistent checkpoints are no equivocation, and a forged claim does not verify.
        let honest = s.sign(5, tree(&["a", "b", "c", "d", "e"]).root());
        assert!(Equivocation::find(&ours, &honest, &tree(&["a", "b", "c", "d", "e"])).is_none());
        let mut claim = back.clone();
        claim.newer_root_at_older_size = [0; 32];
        assert!(matches!(claim.verify(&s.verifier()), Err(EquivocationError::Proof(_))));
        let mut swapped = back.clone();
        std::mem::swap(&mut swapped.older, &mut swapped.newer);
        assert_eq!(swapped.verify(&s.verifier()), Err(EquivocationError::Order));
        let other = LogSigner::new("pacto.example/ledger/t", SigningKey::from_bytes(&[6; 32])).unwrap();
        assert!(matches!(back.verify(&other.verifier()), Err(EquivocationError::Checkpoint { which: "older", .. })));
        // Same size, two roots.
        let twin = s.sign(3, tree(&["a", "b", "z"]).root());
        let same = Equivocation::same_size(&ours, &twin).unwrap();
        same.verify(&s.verifier()).unwrap();
        assert!(Equivocation::same_size(&ours, &ours).is_none());
    }
}
