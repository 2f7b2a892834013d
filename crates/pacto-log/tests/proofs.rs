//! Inclusion and consistency proofs verify for every tree size up to a few thousand, and any
//! altered proof fails.
use pacto_log::merkle::{Frontier, Hash, ProofError, Tree, leaf_hash, verify_consistency, verify_inclusion};
use proptest::prelude::*;

const MAX: u64 = 3000;

fn tree(n: u64) -> Tree {
    Tree::from_leaf_hashes((0..n).map(|i| leaf_hash(&i.to_be_bytes())))
}

/// Every size 1..=MAX: every index's inclusion proof (sampled beyond 64 leaves) and the
/// consistency proof from a sample of older sizes verify against roots computed from scratch.
#[test]
fn every_size_up_to_a_few_thousand() {
    let t = tree(MAX);
    let mut f = Frontier::new();
    for size in 1..=MAX {
        f.push_hash(t.leaf(size - 1).unwrap());
        let root = t.root_at(size).unwrap();
        assert_eq!(root, f.root(), "frontier root at {size}");
        let step = if size <= 64 { 1 } else { size / 17 + 1 };
        let mut index = 0;
        while index < size {
            let path = t.inclusion_proof(index, size).unwrap();
            verify_inclusion(index, size, &t.leaf(index).unwrap(), &path, &root).unwrap();
            index += step;
        }
        let last = size - 1;
        verify_inclusion(last, size, &t.leaf(last).unwrap(), &t.inclusion_proof(last, size).unwrap(), &root).unwrap();
        let mut old = 1;
        while old <= size {
            let proof = t.consistency_proof(old, size).unwrap();
            verify_consistency(old, size, &t.root_at(old).unwrap(), &root, &proof).unwrap();
            old += step;
        }
    }
}

/// The root of a tree built from scratch by the RFC's recursive definition.
fn reference_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => pacto_log::merkle::EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            pacto_log::merkle::node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}

#[test]
fn roots_match_the_recursive_definition() {
    let t = tree(300);
    let leaves: Vec<Hash> = (0..300).map(|i| t.leaf(i).unwrap()).collect();
    for size in 0..=300 {
        assert_eq!(t.root_at(size).unwrap(), reference_root(&leaves[..size as usize]), "size {size}");
    }
}

/// One way to spoil a proof.
#[derive(Debug, Clone)]
enum Alter {
    FlipByte(usize, usize, u8),
    Drop(usize),
    Extend(Hash),
    Duplicate(usize),
    /// Claim another index (inclusion) or another old size (consistency).
    Index(u64),
    /// Claim another tree size, checked against that size's true root.
    Size(u64),
}

fn alter() -> impl Strategy<Value = Alter> {
    prop_oneof![
        (any::<usize>(), 0usize..32, 1u8..=255).prop_map(|(i, b, x)| Alter::FlipByte(i, b, x)),
        any::<usize>().prop_map(Alter::Drop),
        any::<[u8; 32]>().prop_map(Alter::Extend),
        any::<usize>().prop_map(Alter::Duplicate),
        (1u64..MAX).prop_map(Alter::Index),
        (1u64..MAX).prop_map(Alter::Size),
    ]
}

fn spoil(path: &mut Vec<Hash>, a: &Alter) -> bool {
    let n = path.len();
    match *a {
        Alter::FlipByte(i, b, x) if n > 0 => path[i % n][b] ^= x,
        Alter::Drop(i) if n > 0 => {
            path.remove(i % n);
        }
        Alter::Extend(h) => path.push(h),
        Alter::Duplicate(i) if n > 0 => path.insert(i % n, path[i % n]),
        _ => return false,
    }
    true
}

fn big() -> &'static Tree {
    static T: std::sync::OnceLock<Tree> = std::sync::OnceLock::new();
    T.get_or_init(|| tree(MAX))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn an_altered_inclusion_proof_fails(size in 1u64..=MAX, index in any::<u64>(), a in alter()) {
        let t = big();
        let index = index % size;
        let leaf = t.leaf(index).unwrap();
        let mut path = t.inclusion_proof(index, size).unwrap();
        prop_assert!(verify_inclusion(index, size, &leaf, &path, &t.root_at(size).unwrap()).is_ok());
        let (i, s) = match a {
            Alter::Index(d) => ((index + d) % size, size),
            Alter::Size(d) => (index, 1 + (size - 1 + d) % MAX),
            _ => (index, size),
        };
        let changed = spoil(&mut path, &a) || (i, s) != (index, size);
        prop_assume!(changed);
        let root = t.root_at(s).unwrap();
        prop_assert!(verify_inclusion(i, s, &leaf, &path, &root).is_err());
    }

    #[test]
    fn an_altered_consistency_proof_fails(new in 2u64..=MAX, old in any::<u64>(), a in alter()) {
        let t = big();
        let old = 1 + old % (new - 1); // 1 <= old < new
        let mut proof = t.consistency_proof(old, new).unwrap();
        prop_assert!(verify_consistency(old, new, &t.root_at(old).unwrap(), &t.root_at(new).unwrap(), &proof).is_ok());
        let (o, n) = match a {
            Alter::Index(d) => (1 + (old - 1 + d) % new, new),
            Alter::Size(d) => (old, old + (new - old + d) % (MAX - old + 1)),
            _ => (old, new),
        };
        let changed = spoil(&mut proof, &a) || (o, n) != (old, new);
        prop_assume!(changed);
        let r = verify_consistency(o, n, &t.root_at(o).unwrap(), &t.root_at(n).unwrap(), &proof);
        prop_assert!(r.is_err(), "{:?} {:?}", (o, n), r);
    }

    /// A root of another history fails both proofs.
    #[test]
    fn proofs_bind_the_roots(new in 2u64..500, old in any::<u64>(), edit in any::<u64>()) {
        let old = 1 + old % (new - 1);
        let t = tree(new);
        let edit = edit % new;
        let forged = Tree::from_leaf_hashes((0..new).map(|i| leaf_hash(&(if i == edit { u64::MAX } else { i }).to_be_bytes())));
        let proof = forged.consistency_proof(old, new).unwrap();
        let r = verify_consistency(old, new, &t.root_at(old).unwrap(), &forged.root(), &proof);
        prop_assert_eq!(r.is_err(), edit < old);
        let path = forged.inclusion_proof(edit, new).unwrap();
        prop_assert_eq!(verify_inclusion(edit, new, &t.leaf(edit).unwrap(), &path, &forged.root()), Err(ProofError::RootMismatch));
    }
}
