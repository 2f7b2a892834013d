//! Merkle tree hashing as RFC 9162 §2.1 defines it, with SHA-256:
//!
//! - the hash of an empty tree is `SHA-256()` (no input);
//! - a leaf's hash is `SHA-256(0x00 || leaf bytes)`;
//! - an inner node's hash is `SHA-256(0x01 || left || right)`, where a tree of `n > 1` leaves
//!   splits at `k`, the largest power of two smaller than `n`: the left subtree holds leaves
//!   `[0, k)`, the right one `[k, n)`.
//!
//! The 0x00/0x01 prefixes keep a leaf from ever being taken for an inner node.
//!
//! [`Tree`] keeps every level, so a root or proof for any size up to its own costs O(log n);
//! [`Frontier`] keeps only the right edge (one hash per set bit of the size), which is all a
//! verifier streaming an export needs to recompute roots.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of nothing.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41,
    0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// `SHA-256(0x00 || leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(leaf);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {size} is larger than the {held} leaves held")]
    SizeOutOfRange { size: u64, held: u64 },
    #[error("old size {old} is larger than new size {new}")]
    OldLargerThanNew { old: u64, new: u64 },
    #[error("a consistency proof needs a non-empty old tree")]
    EmptyOldTree,
    #[error("the proof has the wrong number of hashes for these sizes")]
    WrongLength,
    #[error("the proof does not lead to the expected root hash")]
    RootMismatch,
    #[error("the proof does not lead to the old root hash")]
    OldRootMismatch,
}

/// The largest power of two strictly smaller than `n` (`n >= 2`).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// An append-only Merkle tree over leaf hashes, keeping every level: level 0 holds the leaf
/// hashes and level `h` the roots of the complete subtrees of `2^h` leaves, left to right.
/// Appending costs O(1) amortised (one leaf hash plus, on average, one inner node); memory is
/// two hashes per leaf.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    pub fn new() -> Self {
        Tree::default()
    }

    /// A tree over leaf hashes already computed (e.g. kept by a store).
    pub fn from_leaf_hashes(hashes: impl IntoIterator<Item = Hash>) -> Self {
        let mut t = Tree::new();
        for h in hashes {
            t.push_hash(h);
        }
        t
    }

    /// How many leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Append a leaf (its bytes); returns its index.
    pub fn push(&mut self, leaf: &[u8]) -> u64 {
        self.push_hash(leaf_hash(leaf))
    }

    /// Append a leaf by its leaf hash; returns its index.
    pub fn push_hash(&mut self, hash: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        self.levels[0].push(hash);
        let index = self.levels[0].len() as u64 - 1;
        let mut level = 0;
        while self.levels[level].len().is_multiple_of(2) {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
        index
    }

    /// Drop every leaf from `len` on (undoing appends that were not kept); a no-op when the
    /// tree is not longer than `len`.
    pub fn truncate(&mut self, len: u64) {
        for (h, level) in self.levels.iter_mut().enumerate() {
            level.truncate((len >> h) as usize);
        }
        while self.levels.last().is_some_and(Vec::is_empty) {
            self.levels.pop();
        }
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels.first()?.get(usize::try_from(index).ok()?).copied()
    }

    /// The root of `[start, end)`, a range the RFC's recursion produces (`end <= len`).
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n.is_power_of_two() && start.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][(start >> level) as usize];
        }
        let k = if n.is_power_of_two() { n / 2 } else { split(n) };
        node_hash(&self.subtree(start, start + k), &self.subtree(start + k, end))
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        if size > self.len() { Err(ProofError::SizeOutOfRange { size, held: self.len() }) } else { Ok(()) }
    }

    /// The root of the tree of the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        self.check_size(size)?;
        Ok(if size == 0 { EMPTY_ROOT } else { self.subtree(0, size) })
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.root_at(self.len()).unwrap_or(EMPTY_ROOT)
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162
    /// §2.1.3.1), from the leaf's sibling up to the root's child.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path);
        Ok(path)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n == 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m - k, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// The consistency proof from the tree of the first `old` leaves to the tree of the first
    /// `new` leaves (RFC 9162 §2.1.4.1). Empty when `old == new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(new)?;
        if old > new {
            return Err(ProofError::OldLargerThanNew { old, new });
        }
        if old == 0 {
            return Err(ProofError::EmptyOldTree);
        }
        let mut proof = Vec::new();
        if old < new {
            self.subproof(old, 0, new, true, &mut proof);
        }
        Ok(proof)
    }

    fn subproof(&self, m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// The right edge of a tree: the roots of its complete subtrees, largest first (one per set bit
/// of the size). Enough to append and to compute the current root, in O(log n) memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    edge: Vec<Hash>,
}

impl Frontier {
    pub fn new() -> Self {
        Frontier::default()
    }

    pub fn len(&self) -> u64 {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Append a leaf by its leaf hash.
    pub fn push_hash(&mut self, hash: Hash) {
        let mut h = hash;
        let mut s = self.size;
        while s & 1 == 1 {
            // Both come from the same push history: the edge has one hash per set bit.
            let Some(left) = self.edge.pop() else { break };
            h = node_hash(&left, &h);
            s >>= 1;
        }
        self.edge.push(h);
        self.size += 1;
    }

    /// The root of the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut it = self.edge.iter().rev();
        let Some(last) = it.next() else { return EMPTY_ROOT };
        it.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// Check an inclusion proof (RFC 9162 §2.1.3.2): that the leaf with hash `leaf` is at `index`
/// in the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Check a consistency proof (RFC 9162 §2.1.4.2): that the tree of `old` leaves with root
/// `old_root` is a prefix of the tree of `new` leaves with root `new_root`.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::OldLargerThanNew { old, new });
    }
    if old == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if old == new {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if old_root == new_root { Ok(()) } else { Err(ProofError::RootMismatch) };
    }
    // When the old tree is a complete subtree, its root is the proof's implicit first hash.
    let mut hashes: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        hashes.push(old_root);
    }
    hashes.extend(proof.iter());
    let Some((first, rest)) = hashes.split_first() else { return Err(ProofError::WrongLength) };
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (**first, **first);
    for c in rest {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// An inclusion proof as exchanged (JSON, hashes in standard base64): leaf `index` (from 0) of
/// the tree of `tree_size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    pub index: u64,
    pub tree_size: u64,
    #[serde(with = "b64_hash")]
    pub leaf_hash: Hash,
    #[serde(with = "b64_hashes")]
    pub path: Vec<Hash>,
}

impl InclusionProof {
    pub fn verify(&self, root: &Hash) -> Result<(), ProofError> {
        verify_inclusion(self.index, self.tree_size, &self.leaf_hash, &self.path, root)
    }
}

/// A consistency proof as exchanged (JSON, hashes in standard base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    #[serde(with = "b64_hashes")]
    pub path: Vec<Hash>,
}

impl ConsistencyProof {
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> Result<(), ProofError> {
        verify_consistency(self.old_size, self.new_size, old_root, new_root, &self.path)
    }
}

/// Serde for one hash as standard base64.
pub mod b64_hash {
    use super::Hash;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::b64(h))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = String::deserialize(d)?;
        crate::hash_from_b64(&s).ok_or_else(|| D::Error::custom("not a SHA-256 hash in standard base64"))
    }
}

/// Serde for a list of hashes as standard base64 strings.
pub mod b64_hashes {
    use super::Hash;
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

    /// No proof for a tree of up to 2^64 leaves has more hashes than this.
    const MAX: usize = 128;

    pub fn serialize<S: Serializer>(hs: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hs.len()))?;
        for h in hs {
            seq.serialize_element(&crate::b64(h))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        if v.len() > MAX {
            return Err(D::Error::custom(format!("a proof has at most {MAX} hashes")));
        }
        v.iter()
            .enumerate()
            .map(|(i, s)| {
                crate::hash_from_b64(s)
                    .ok_or_else(|| D::Error::custom(format!("hash {i} is not a SHA-256 hash in standard base64")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// The test vectors of RFC 6962's reference implementation (the same hashing as RFC 9162):
    /// roots of the trees of the first 1..=8 of these leaves.
    #[test]
    fn reference_roots() {
        let leaves =
            ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let mut t = Tree::new();
        let mut f = Frontier::new();
        assert_eq!(t.root(), EMPTY_ROOT);
        assert_eq!(f.root(), EMPTY_ROOT);
        assert_eq!(EMPTY_ROOT.to_vec(), Sha256::digest(b"").to_vec());
        for (leaf, root) in leaves.iter().zip(roots) {
            t.push(&unhex(leaf));
            f.push_hash(leaf_hash(&unhex(leaf)));
            assert_eq!(t.root().to_vec(), unhex(root), "size {}", t.len());
            assert_eq!(f.root().to_vec(), unhex(root), "frontier, size {}", t.len());
        }
        for size in 0..=8 {
            assert_eq!(
                t.root_at(size).unwrap().to_vec(),
                if size == 0 { EMPTY_ROOT.to_vec() } else { unhex(roots[size as usize - 1]) }
            );
        }
    }

    #[test]
    fn bad_requests_are_errors_not_panics() {
        let t = Tree::from_leaf_hashes((0..5u8).map(|i| leaf_hash(&[i])));
        assert_eq!(t.root_at(6), Err(ProofError::SizeOutOfRange { size: 6, held: 5 }));
        assert_eq!(t.inclusion_proof(5, 5), Err(ProofError::IndexOutOfRange { index: 5, size: 5 }));
        assert_eq!(t.inclusion_proof(0, 6), Err(ProofError::SizeOutOfRange { size: 6, held: 5 }));
        assert_eq!(t.consistency_proof(0, 3), Err(ProofError::EmptyOldTree));
        assert_eq!(t.consistency_proof(4, 3), Err(ProofError::OldLargerThanNew { old: 4, new: 3 }));
        assert_eq!(t.consistency_proof(3, 3), Ok(vec![]));
        let r = t.root();
        assert_eq!(verify_inclusion(0, 0, &r, &[], &r), Err(ProofError::IndexOutOfRange { index: 0, size: 0 }));
        assert_eq!(verify_consistency(0, 5, &r, &r, &[]), Err(ProofError::EmptyOldTree));
        assert_eq!(verify_consistency(5, 5, &r, &r, &[r]), Err(ProofError::WrongLength));
        assert_eq!(verify_consistency(6, 5, &r, &r, &[]), Err(ProofError::OldLargerThanNew { old: 6, new: 5 }));
        assert_eq!(verify_consistency(u64::MAX, u64::MAX, &r, &EMPTY_ROOT, &[]), Err(ProofError::RootMismatch));
        assert!(verify_inclusion(u64::MAX - 1, u64::MAX, &r, &[r; 64], &r).is_err());
    }

    #[test]
    fn proofs_round_trip_as_json() {
        let t = Tree::from_leaf_hashes((0..13u8).map(|i| leaf_hash(&[i])));
        let p = InclusionProof {
            index: 6,
            tree_size: 13,
            leaf_hash: t.leaf(6).unwrap(),
            path: t.inclusion_proof(6, 13).unwrap(),
        };
        let text = serde_json::to_string(&p).unwrap();
        let back: InclusionProof = serde_json::from_str(&text).unwrap();
        assert_eq!(back, p);
        back.verify(&t.root()).unwrap();
        assert!(serde_json::from_str::<InclusionProof>(&text.replace("\"index\":6", "\"index\":6,\"x\":1")).is_err());
        let bad = text.replacen("\"path\":[\"", "\"path\":[\"!", 1);
        assert!(serde_json::from_str::<InclusionProof>(&bad).unwrap_err().to_string().contains("hash 0"));
    }

    #[test]
    fn truncate_undoes_appends() {
        let mut t = Tree::new();
        for i in 0..37u8 {
            t.push(&[i]);
        }
        let mut u = t.clone();
        for n in (0..=37u64).rev() {
            u.truncate(n);
            let want = Tree::from_leaf_hashes((0..n).map(|i| t.leaf(i).unwrap()));
            assert_eq!(u, want, "truncated to {n}");
        }
    }
}
