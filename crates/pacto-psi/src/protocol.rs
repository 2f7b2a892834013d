//! The protocol's three steps, each a pure function over messages.

use std::collections::HashSet;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::hash::hash_to_ristretto;
use crate::normalize::{NormalizeError, Normalizer};

/// Bytes of a holder tag: with 2^64 possible tags, a false match among a million items against
/// a million tags has a chance of about 5 × 10⁻⁸.
pub const TAG_BYTES: usize = 8;

/// What the querier learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Which of its items the holder also has.
    Intersection,
    /// Only how many.
    Cardinality,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PsiError {
    #[error("item {index}: {source}")]
    Normalize { index: usize, source: NormalizeError },
    #[error(
        "the querier normalises with {querier:?} but the holder's set with {holder:?}: equal items would not match"
    )]
    NormalizerMismatch { querier: &'static str, holder: &'static str },
    #[error("point {0} is not a valid ristretto255 encoding")]
    BadPoint(usize),
    #[error("the answer has {got} points for a query of {expected}")]
    WrongCount { expected: usize, got: usize },
    #[error("the answer is in {got:?} mode, the query asked for {asked:?}")]
    WrongMode { asked: Mode, got: Mode },
}

/// The querier's message: its blinded items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub normalizer: Normalizer,
    pub mode: Mode,
    pub points: Vec<[u8; 32]>,
}

/// The holder's message: the query's points blinded again, and its own set's tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub normalizer: Normalizer,
    pub mode: Mode,
    pub points: Vec<[u8; 32]>,
    pub tags: Vec<[u8; TAG_BYTES]>,
}

/// What the querier learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Positions (in the querier's input) of the items the holder also has.
    Matches(Vec<usize>),
    /// How many of the querier's items the holder has.
    Count(usize),
}

/// The point for an item under a normaliser's domain.
pub fn hash_to_group(normalizer: Normalizer, canonical: &[u8]) -> RistrettoPoint {
    let dst = format!("pacto-psi-v1:ristretto255_XMD:SHA-512_R255MAP_RO_:{}", normalizer.id());
    hash_to_ristretto(canonical, dst.as_bytes())
}

fn tag(p: &RistrettoPoint) -> [u8; TAG_BYTES] {
    let h = Sha256::new().chain_update(b"pacto-psi-v1:tag").chain_update(p.compress().as_bytes()).finalize();
    let mut t = [0u8; TAG_BYTES];
    t.copy_from_slice(&h[..TAG_BYTES]);
    t
}

fn random_scalar() -> Scalar {
    let mut wide = [0u8; 64];
    OsRng.fill_bytes(&mut wide);
    let s = Scalar::from_bytes_mod_order_wide(&wide);
    if s == Scalar::ZERO { Scalar::ONE } else { s }
}

/// Map over items on every core.
fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(usize, &T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len().max(1));
    if threads <= 1 || items.len() < 256 {
        return items.iter().enumerate().map(|(i, t)| f(i, t)).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                let f = &f;
                s.spawn(move || part.iter().enumerate().map(|(i, t)| f(c * chunk + i, t)).collect::<Vec<U>>())
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("worker")).collect()
    })
}

fn normalize_all(items: &[Vec<u8>], n: Normalizer) -> Result<Vec<Vec<u8>>, PsiError> {
    items
        .iter()
        .enumerate()
        .map(|(index, i)| n.apply(i).map_err(|source| PsiError::Normalize { index, source }))
        .collect()
}

fn decompress(points: &[[u8; 32]]) -> Result<Vec<RistrettoPoint>, PsiError> {
    par_map(points, |i, p| CompressedRistretto(*p).decompress().ok_or(PsiError::BadPoint(i))).into_iter().collect()
}

/// The querier's side: a fresh secret for each run.
pub struct Querier {
    unblind: Scalar,
    normalizer: Normalizer,
    mode: Mode,
    count: usize,
}

impl Querier {
    /// Normalise and blind the querier's items.
    pub fn start(items: &[Vec<u8>], normalizer: Normalizer, mode: Mode) -> Result<(Querier, Query), PsiError> {
        let canonical = normalize_all(items, normalizer)?;
        let a = random_scalar();
        let points = par_map(&canonical, |_, c| (hash_to_group(normalizer, c) * a).compress().to_bytes());
        let q = Querier { unblind: a.invert(), normalizer, mode, count: items.len() };
        Ok((q, Query { normalizer, mode, points }))
    }

    /// Read the holder's answer.
    pub fn finish(self, answer: &Answer) -> Result<Outcome, PsiError> {
        if answer.normalizer != self.normalizer {
            return Err(PsiError::NormalizerMismatch { querier: self.normalizer.id(), holder: answer.normalizer.id() });
        }
        if answer.mode != self.mode {
            return Err(PsiError::WrongMode { asked: self.mode, got: answer.mode });
        }
        if answer.points.len() != self.count {
            return Err(PsiError::WrongCount { expected: self.count, got: answer.points.len() });
        }
        let tags: HashSet<[u8; TAG_BYTES]> = answer.tags.iter().copied().collect();
        let points = decompress(&answer.points)?;
        let found = par_map(&points, |_, p| tags.contains(&tag(&(p * self.unblind))));
        Ok(match self.mode {
            Mode::Intersection => {
                Outcome::Matches(found.iter().enumerate().filter(|(_, f)| **f).map(|(i, _)| i).collect())
            }
            Mode::Cardinality => Outcome::Count(found.iter().filter(|f| **f).count()),
        })
    }
}

/// The holder's side: a set version encoded once (its secret and tags), answering any number
/// of queries.
pub struct HolderSet {
    secret: Scalar,
    pub normalizer: Normalizer,
    /// The set's tags, sorted (their order says nothing about the holder's input order).
    pub tags: Vec<[u8; TAG_BYTES]>,
}

impl HolderSet {
    /// Normalise and encode the holder's items (duplicates collapse).
    pub fn encode(items: &[Vec<u8>], normalizer: Normalizer) -> Result<HolderSet, PsiError> {
        let canonical = normalize_all(items, normalizer)?;
        let b = random_scalar();
        let mut tags = par_map(&canonical, |_, c| tag(&(hash_to_group(normalizer, c) * b)));
        tags.sort_unstable();
        tags.dedup();
        Ok(HolderSet { secret: b, normalizer, tags })
    }

    /// Rebuild a stored set version from its secret and tags.
    pub fn from_parts(secret: [u8; 32], normalizer: Normalizer, tags: Vec<[u8; TAG_BYTES]>) -> Option<HolderSet> {
        let secret = Option::<Scalar>::from(Scalar::from_canonical_bytes(secret))?;
        Some(HolderSet { secret, normalizer, tags })
    }

    /// The set version's secret, to store beside its tags.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret.to_bytes()
    }

    /// Answer a query: its points times this set's secret (shuffled in size-only mode), and the tags.
    pub fn answer(&self, q: &Query) -> Result<Answer, PsiError> {
        if q.normalizer != self.normalizer {
            return Err(PsiError::NormalizerMismatch { querier: q.normalizer.id(), holder: self.normalizer.id() });
        }
        let points = decompress(&q.points)?;
        let mut out = par_map(&points, |_, p| (p * self.secret).compress().to_bytes());
        if q.mode == Mode::Cardinality {
            shuffle(&mut out);
        }
        Ok(Answer { normalizer: self.normalizer, mode: q.mode, points: out, tags: self.tags.clone() })
    }
}

/// Fisher–Yates with the OS's randomness.
fn shuffle<T>(v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = (OsRng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn items(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn run(q: &[Vec<u8>], h: &[Vec<u8>], n: Normalizer, mode: Mode) -> Outcome {
        let holder = HolderSet::encode(h, n).unwrap();
        let (querier, query) = Querier::start(q, n, mode).unwrap();
        let answer = holder.answer(&query).unwrap();
        querier.finish(&answer).unwrap()
    }

    #[test]
    fn serials_match_across_formats() {
        let q = items(&["ab-123", "ZZ 999", "x1"]);
        let h = items(&["AB123", "CD456", "X-1"]);
        assert_eq!(run(&q, &h, Normalizer::Serial, Mode::Intersection), Outcome::Matches(vec![0, 2]));
        assert_eq!(run(&q, &h, Normalizer::Serial, Mode::Cardinality), Outcome::Count(2));
    }

    #[test]
    fn mismatched_rules_are_an_error_not_a_miss() {
        let holder = HolderSet::encode(&items(&["AB123"]), Normalizer::Serial).unwrap();
        let (_, query) = Querier::start(&items(&["ab123"]), Normalizer::Text, Mode::Intersection).unwrap();
        assert!(matches!(holder.answer(&query), Err(PsiError::NormalizerMismatch { .. })));
        assert!(matches!(
            Querier::start(&items(&["no country code 123"]), Normalizer::PhoneE164, Mode::Intersection),
            Err(PsiError::Normalize { index: 0, .. })
        ));
    }

    #[test]
    fn forged_points_are_refused() {
        let holder = HolderSet::encode(&items(&["A1"]), Normalizer::Serial).unwrap();
        let q = Query { normalizer: Normalizer::Serial, mode: Mode::Intersection, points: vec![[0xff; 32]] };
        assert!(matches!(holder.answer(&q), Err(PsiError::BadPoint(0))));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// The result equals a plain intersection, whatever the shapes of the sets (empty,
        /// disjoint, equal, overlapping, with duplicates), and no message carries an item.
        #[test]
        fn equals_plain_intersection(
            q in prop::collection::vec("[A-Za-z0-9]{3,10}", 0..40),
            h in prop::collection::vec("[A-Za-z0-9]{3,10}", 0..40),
            take_from_q in 0usize..40,
            dup in any::<bool>(),
        ) {
            let mut h = h;
            h.extend(q.iter().take(take_from_q).cloned());
            if dup { h.extend(h.clone()); }
            let qi: Vec<Vec<u8>> = q.iter().map(|s| s.as_bytes().to_vec()).collect();
            let hi: Vec<Vec<u8>> = h.iter().map(|s| s.as_bytes().to_vec()).collect();
            let canon = |s: &String| Normalizer::Serial.apply(s.as_bytes()).unwrap();
            let hs: BTreeSet<Vec<u8>> = h.iter().map(canon).collect();
            let expected: Vec<usize> = q.iter().enumerate().filter(|(_, x)| hs.contains(&canon(x))).map(|(i, _)| i).collect();
            let holder = HolderSet::encode(&hi, Normalizer::Serial).unwrap();
            let (querier, query) = Querier::start(&qi, Normalizer::Serial, Mode::Intersection).unwrap();
            let answer = holder.answer(&query).unwrap();
            let wire = [crate::wire::encode_query(&query), crate::wire::encode_answer(&answer)].concat();
            for item in q.iter().chain(h.iter()) {
                let c = canon(item);
                prop_assert!(!wire.windows(c.len()).any(|w| w == c.as_slice()) || c.len() < 4, "an item in the clear");
            }
            prop_assert_eq!(querier.finish(&answer).unwrap(), Outcome::Matches(expected.clone()));
            prop_assert_eq!(run(&qi, &hi, Normalizer::Serial, Mode::Cardinality), Outcome::Count(expected.len()));
        }
    }
}
