//! The protocol's three steps, each a pure function over messages.

use std::collections::HashSet;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
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
    #[error("point {0} is the identity element, which blinds nothing")]
    IdentityPoint(usize),
    #[error("the query has no items")]
    Empty,
    #[error(
        "a size-only query is the two-step count exchange (fetch the blinded set, send a count query), not a PSIQ message"
    )]
    SizeOnlyIsTwoStep,
    #[error("the count query was built on another version of the set (fetch the blinded set again)")]
    StaleSet,
    #[error("the count query carries {got} holder tags, the set has {expected}")]
    WrongTagCount { expected: usize, got: usize },
    #[error("payload of item {index}: {why}")]
    Payload { index: usize, why: String },
    #[error("items {first} and {second} are the same item under the rule; merge their payloads into one")]
    DuplicateItem { first: usize, second: usize },
    #[error(
        "item {index} is in the holder's set but its payload does not open: the answer was altered (or its tag collided, a chance of about n·m/2^64)"
    )]
    PayloadDoesNotOpen { index: usize },
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

/// Size-only mode, step 1 (holder to querier): the set version blinded under its secret,
/// `W_j = H(y_j)·b`, sorted, and a digest that names the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlindedSet {
    pub normalizer: Normalizer,
    pub points: Vec<[u8; 32]>,
}

/// Size-only mode, step 2 (querier to holder): the querier's items blinded under `a`,
/// shuffled, and the tags of the holder's points blinded under `a` too (`tag(W_j·a)`), shuffled,
/// with the digest of the set version they were computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountQuery {
    pub normalizer: Normalizer,
    pub set_digest: [u8; 32],
    pub points: Vec<[u8; 32]>,
    pub tags: Vec<[u8; TAG_BYTES]>,
}

/// Size-only mode, the holder's answer: only a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountAnswer {
    pub normalizer: Normalizer,
    pub count: u64,
}

/// A query whose points have all been decoded and checked (valid encodings, not the identity,
/// at least one); what [`HolderSet::answer`] takes.
pub struct CheckedQuery {
    pub normalizer: Normalizer,
    pub mode: Mode,
    points: Vec<RistrettoPoint>,
}

impl CheckedQuery {
    pub fn len(&self) -> usize {
        self.points.len()
    }
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

/// A count query whose points have been decoded and checked; what [`HolderSet::count`] takes.
pub struct CheckedCount {
    pub normalizer: Normalizer,
    pub set_digest: [u8; 32],
    points: Vec<RistrettoPoint>,
    tags: HashSet<[u8; TAG_BYTES]>,
    tag_count: usize,
}

impl CheckedCount {
    pub fn len(&self) -> usize {
        self.points.len()
    }
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

impl Query {
    /// Decode and check every point: intersection mode only, at least one item, no invalid
    /// encoding, no identity. Cheap next to answering (one decompression per point), so a
    /// server can refuse a bad query before it counts against anything.
    pub fn check(&self) -> Result<CheckedQuery, PsiError> {
        if self.mode == Mode::Cardinality {
            return Err(PsiError::SizeOnlyIsTwoStep);
        }
        Ok(CheckedQuery { normalizer: self.normalizer, mode: self.mode, points: decompress_nonempty(&self.points)? })
    }
}

impl CountQuery {
    /// Decode and check every point (at least one item, no invalid encoding, no identity).
    pub fn check(&self) -> Result<CheckedCount, PsiError> {
        Ok(CheckedCount {
            normalizer: self.normalizer,
            set_digest: self.set_digest,
            points: decompress_nonempty(&self.points)?,
            tags: self.tags.iter().copied().collect(),
            tag_count: self.tags.len(),
        })
    }
}

impl BlindedSet {
    /// The digest that names this set version: SHA-256 over the domain and the sorted points.
    pub fn digest(&self) -> [u8; 32] {
        set_digest(self.normalizer, &self.points)
    }
}

fn set_digest(n: Normalizer, points: &[[u8; 32]]) -> [u8; 32] {
    let mut h = Sha256::new().chain_update(b"pacto-psi-v1:set").chain_update(n.id().as_bytes()).chain_update([0u8]);
    for p in points {
        h.update(p);
    }
    h.finalize().into()
}

/// Size-only mode, the querier's step: blind its items and the holder's blinded set under one
/// fresh secret `a`, shuffle both, and forget `a`. The querier keeps nothing: the answer is a
/// number.
pub fn count_query(items: &[Vec<u8>], normalizer: Normalizer, set: &BlindedSet) -> Result<CountQuery, PsiError> {
    if set.normalizer != normalizer {
        return Err(PsiError::NormalizerMismatch { querier: normalizer.id(), holder: set.normalizer.id() });
    }
    if items.is_empty() {
        return Err(PsiError::Empty);
    }
    let canonical = normalize_all(items, normalizer)?;
    let w = decompress_checked(&set.points)?;
    let a = random_scalar();
    let mut points = par_map(&canonical, |_, c| (hash_to_group(normalizer, c) * a).compress().to_bytes());
    let mut tags = par_map(&w, |_, p| tag(&(p * a)));
    shuffle(&mut points);
    shuffle(&mut tags);
    Ok(CountQuery { normalizer, set_digest: set.digest(), points, tags })
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

pub(crate) fn tag(p: &RistrettoPoint) -> [u8; TAG_BYTES] {
    tag_bytes(p.compress().as_bytes())
}

pub(crate) fn tag_bytes(compressed: &[u8; 32]) -> [u8; TAG_BYTES] {
    let h = Sha256::new().chain_update(b"pacto-psi-v1:tag").chain_update(compressed).finalize();
    let mut t = [0u8; TAG_BYTES];
    t.copy_from_slice(&h[..TAG_BYTES]);
    t
}

pub(crate) fn random_scalar() -> Scalar {
    let mut wide = [0u8; 64];
    OsRng.fill_bytes(&mut wide);
    let s = Scalar::from_bytes_mod_order_wide(&wide);
    if s == Scalar::ZERO { Scalar::ONE } else { s }
}

/// Map over items on every core.
pub(crate) fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(usize, &T) -> U + Sync) -> Vec<U> {
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

pub(crate) fn normalize_all(items: &[Vec<u8>], n: Normalizer) -> Result<Vec<Vec<u8>>, PsiError> {
    items
        .iter()
        .enumerate()
        .map(|(index, i)| n.apply(i).map_err(|source| PsiError::Normalize { index, source }))
        .collect()
}

/// Decompress, refusing invalid encodings and the identity (which any blind leaves unchanged).
pub(crate) fn decompress_checked(points: &[[u8; 32]]) -> Result<Vec<RistrettoPoint>, PsiError> {
    par_map(points, |i, p| match CompressedRistretto(*p).decompress() {
        None => Err(PsiError::BadPoint(i)),
        Some(q) if q == RistrettoPoint::identity() => Err(PsiError::IdentityPoint(i)),
        Some(q) => Ok(q),
    })
    .into_iter()
    .collect()
}

pub(crate) fn decompress_nonempty(points: &[[u8; 32]]) -> Result<Vec<RistrettoPoint>, PsiError> {
    if points.is_empty() {
        return Err(PsiError::Empty);
    }
    decompress_checked(points)
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
        if mode == Mode::Cardinality {
            return Err(PsiError::SizeOnlyIsTwoStep);
        }
        if items.is_empty() {
            return Err(PsiError::Empty);
        }
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
        let points = decompress_checked(&answer.points)?;
        let found = par_map(&points, |_, p| tags.contains(&tag(&(p * self.unblind))));
        Ok(match self.mode {
            Mode::Intersection => {
                Outcome::Matches(found.iter().enumerate().filter(|(_, f)| **f).map(|(i, _)| i).collect())
            }
            Mode::Cardinality => Outcome::Count(found.iter().filter(|f| **f).count()),
        })
    }
}

/// The holder's side: a set version encoded once (its secret, its tags, and its blinded points
/// for size-only queries), answering any number of queries.
pub struct HolderSet {
    secret: Scalar,
    pub normalizer: Normalizer,
    /// The set's tags, sorted (their order says nothing about the holder's input order).
    pub tags: Vec<[u8; TAG_BYTES]>,
    /// The set blinded under its secret, `H(y)·b`, sorted; empty for a set stored before
    /// size-only queries took this form (it must be imported again to answer them).
    pub points: Vec<[u8; 32]>,
}

impl HolderSet {
    /// Normalise and encode the holder's items (duplicates collapse).
    pub fn encode(items: &[Vec<u8>], normalizer: Normalizer) -> Result<HolderSet, PsiError> {
        let canonical = normalize_all(items, normalizer)?;
        let b = random_scalar();
        let mut points = par_map(&canonical, |_, c| (hash_to_group(normalizer, c) * b).compress().to_bytes());
        points.sort_unstable();
        points.dedup();
        let mut tags = par_map(&points, |_, p| tag_bytes(p));
        tags.sort_unstable();
        Ok(HolderSet { secret: b, normalizer, tags, points })
    }

    /// Rebuild a stored set version from its secret, tags and blinded points.
    pub fn from_parts(
        secret: [u8; 32],
        normalizer: Normalizer,
        tags: Vec<[u8; TAG_BYTES]>,
        points: Vec<[u8; 32]>,
    ) -> Option<HolderSet> {
        let secret = Option::<Scalar>::from(Scalar::from_canonical_bytes(secret))?;
        Some(HolderSet { secret, normalizer, tags, points })
    }

    /// The set version's secret, to keep apart from its tags and points.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret.to_bytes()
    }

    /// Intersection mode: the query's points times this set's secret, in order, and the tags.
    pub fn answer(&self, q: &CheckedQuery) -> Result<Answer, PsiError> {
        if q.normalizer != self.normalizer {
            return Err(PsiError::NormalizerMismatch { querier: q.normalizer.id(), holder: self.normalizer.id() });
        }
        if q.mode != Mode::Intersection {
            return Err(PsiError::SizeOnlyIsTwoStep);
        }
        let points = par_map(&q.points, |_, p| (p * self.secret).compress().to_bytes());
        Ok(Answer { normalizer: self.normalizer, mode: q.mode, points, tags: self.tags.clone() })
    }

    /// Size-only mode, step 1: the blinded set (the same for every querier of this version).
    pub fn blinded_set(&self) -> BlindedSet {
        BlindedSet { normalizer: self.normalizer, points: self.points.clone() }
    }

    /// The digest naming this set version in count queries.
    pub fn digest(&self) -> [u8; 32] {
        set_digest(self.normalizer, &self.points)
    }

    /// Whether a count query fits this set version (rule, version, one tag per point). Cheap:
    /// a server calls it before the query counts against anything.
    pub fn check_count(&self, q: &CheckedCount) -> Result<(), PsiError> {
        if q.normalizer != self.normalizer {
            return Err(PsiError::NormalizerMismatch { querier: q.normalizer.id(), holder: self.normalizer.id() });
        }
        if q.set_digest != self.digest() {
            return Err(PsiError::StaleSet);
        }
        if q.tag_count != self.points.len() {
            return Err(PsiError::WrongTagCount { expected: self.points.len(), got: q.tag_count });
        }
        Ok(())
    }

    /// Size-only mode, step 2: how many of the query's points, blinded again under `b`, have
    /// their tag among the querier's tags of `W·a`. Only this number leaves the holder.
    pub fn count(&self, q: &CheckedCount) -> Result<usize, PsiError> {
        self.check_count(q)?;
        let hits = par_map(&q.points, |_, p| q.tags.contains(&tag(&(p * self.secret))));
        Ok(hits.into_iter().filter(|h| *h).count())
    }
}

/// Fisher–Yates with the OS's randomness.
pub(crate) fn shuffle<T>(v: &mut [T]) {
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
        if mode == Mode::Cardinality {
            let cq = count_query(q, n, &holder.blinded_set()).unwrap();
            return Outcome::Count(holder.count(&cq.check().unwrap()).unwrap());
        }
        let (querier, query) = Querier::start(q, n, mode).unwrap();
        let answer = holder.answer(&query.check().unwrap()).unwrap();
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
        assert!(matches!(holder.answer(&query.check().unwrap()), Err(PsiError::NormalizerMismatch { .. })));
        assert!(matches!(
            count_query(&items(&["ab123"]), Normalizer::Text, &holder.blinded_set()),
            Err(PsiError::NormalizerMismatch { .. })
        ));
        assert!(matches!(
            Querier::start(&items(&["no country code 123"]), Normalizer::PhoneE164, Mode::Intersection),
            Err(PsiError::Normalize { index: 0, .. })
        ));
    }

    #[test]
    fn forged_points_are_refused() {
        let holder = HolderSet::encode(&items(&["A1"]), Normalizer::Serial).unwrap();
        let q = |points: Vec<[u8; 32]>| Query { normalizer: Normalizer::Serial, mode: Mode::Intersection, points };
        let good = holder.points[0];
        assert!(matches!(q(vec![good, [0xff; 32]]).check(), Err(PsiError::BadPoint(1))));
        assert!(matches!(q(vec![good, [0; 32]]).check(), Err(PsiError::IdentityPoint(1))));
        assert!(matches!(q(vec![]).check(), Err(PsiError::Empty)));
        let old_size_only = Query { mode: Mode::Cardinality, ..q(vec![good]) };
        assert!(matches!(old_size_only.check(), Err(PsiError::SizeOnlyIsTwoStep)));
        let c = |points: Vec<[u8; 32]>| CountQuery {
            normalizer: Normalizer::Serial,
            set_digest: holder.digest(),
            points,
            tags: vec![[0; TAG_BYTES]],
        };
        assert!(matches!(c(vec![[0; 32]]).check(), Err(PsiError::IdentityPoint(0))));
        assert!(matches!(c(vec![]).check(), Err(PsiError::Empty)));
        let stale = CountQuery { set_digest: [7; 32], ..c(vec![good]) };
        assert!(matches!(holder.count(&stale.check().unwrap()), Err(PsiError::StaleSet)));
        let short = CountQuery { tags: vec![], ..c(vec![good]) };
        assert!(matches!(holder.count(&short.check().unwrap()), Err(PsiError::WrongTagCount { .. })));
        // A querier refuses a blinded set carrying the identity.
        let forged = BlindedSet { normalizer: Normalizer::Serial, points: vec![[0; 32]] };
        assert!(matches!(count_query(&items(&["A1"]), Normalizer::Serial, &forged), Err(PsiError::IdentityPoint(0))));
    }

    /// Finding 14, the attack: a querier that blinds each item with its own scalar `a_i` and
    /// tries every `a_i⁻¹` on everything it receives. Against the old size-only shape (the
    /// holder returned `H(x_i)·a_i·b` shuffled, with its tags) it names every matching item;
    /// against the count exchange it receives `H(y)·b` and a number, and finds nothing to
    /// compare: per-item scalars only let it choose a smaller sub-query.
    #[test]
    fn attack_per_item_scalars_learn_only_the_count() {
        let n = Normalizer::Serial;
        // Small sizes: debug builds of the curve arithmetic are slow.
        let holder_items: Vec<Vec<u8>> = (0..60).map(|i| format!("RG{i:05}").into_bytes()).collect();
        let query_items: Vec<Vec<u8>> = (0..20)
            .map(|i| if i % 6 == 0 { format!("RG{:05}", i * 3) } else { format!("ZZ{i:04}") }.into_bytes())
            .collect();
        let truth: BTreeSet<usize> = (0..20).filter(|i| i % 6 == 0).collect();
        let holder = HolderSet::encode(&holder_items, n).unwrap();
        let scalars: Vec<Scalar> = (0..20).map(|_| random_scalar()).collect();
        let inverses: Vec<Scalar> = scalars.iter().map(Scalar::invert).collect();
        let deviant: Vec<[u8; 32]> =
            query_items.iter().zip(&scalars).map(|(x, a)| (hash_to_group(n, x) * a).compress().to_bytes()).collect();
        let try_every_inverse = |received: &[RistrettoPoint], against: &HashSet<[u8; TAG_BYTES]>| {
            let mut named = BTreeSet::new();
            for p in received {
                for (i, inv) in inverses.iter().enumerate() {
                    if against.contains(&tag(&(p * inv))) {
                        named.insert(i);
                    }
                }
            }
            named
        };

        // The old shape, rebuilt here: every point times b, shuffled, and the holder's tags.
        let checked = Query { normalizer: n, mode: Mode::Intersection, points: deviant.clone() }.check().unwrap();
        let mut old: Vec<RistrettoPoint> = checked.points.iter().map(|p| p * holder.secret).collect();
        shuffle(&mut old);
        let holder_tags: HashSet<[u8; TAG_BYTES]> = holder.tags.iter().copied().collect();
        assert_eq!(try_every_inverse(&old, &holder_tags), truth, "the old shape names the matching items");

        // The count exchange. The querier receives W = H(y)·b: every a_i⁻¹ on every W_j, looked
        // up among everything it can compute from its own items (H(x), H(x)·a_i), finds nothing.
        let set = holder.blinded_set();
        let w = decompress_checked(&set.points).unwrap();
        let own: HashSet<[u8; TAG_BYTES]> = query_items
            .iter()
            .zip(&scalars)
            .flat_map(|(x, a)| {
                let h = hash_to_group(n, x);
                [tag(&h), tag(&(h * a))]
            })
            .collect();
        assert!(try_every_inverse(&w, &own).is_empty());
        assert!(w.iter().all(|p| !own.contains(&tag(p))));
        // It sends its per-item points with the set's tags under one of its scalars, a_0: only
        // item 0 can count, so it learns what a one-item query would tell it, and no more.
        let t: Vec<[u8; TAG_BYTES]> = w.iter().map(|p| tag(&(p * scalars[0]))).collect();
        let cq = CountQuery { normalizer: n, set_digest: set.digest(), points: deviant.clone(), tags: t };
        assert_eq!(holder.count(&cq.check().unwrap()).unwrap(), usize::from(truth.contains(&0)));
        // The honest exchange gives the count, and the answer is that number alone.
        let honest = count_query(&query_items, n, &set).unwrap();
        assert_eq!(holder.count(&honest.check().unwrap()).unwrap(), truth.len());
    }

    fn query_checked(q: &Query) -> CheckedQuery {
        q.check().unwrap()
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
            let (querier, query) = if qi.is_empty() {
                // An empty query is refused; the proptest covers the rest.
                prop_assert!(Querier::start(&qi, Normalizer::Serial, Mode::Intersection).is_err());
                prop_assert!(count_query(&qi, Normalizer::Serial, &holder.blinded_set()).is_err());
                return Ok(());
            } else {
                Querier::start(&qi, Normalizer::Serial, Mode::Intersection).unwrap()
            };
            let answer = if qi.is_empty() { None } else { Some(holder.answer(&query_checked(&query)).unwrap()) };
            let cq = (!qi.is_empty()).then(|| count_query(&qi, Normalizer::Serial, &holder.blinded_set()).unwrap());
            let mut wire = crate::wire::encode_blinded_set(&holder.blinded_set());
            if let (Some(a), Some(c)) = (&answer, &cq) {
                wire.extend(crate::wire::encode_query(&query));
                wire.extend(crate::wire::encode_answer(a));
                wire.extend(crate::wire::encode_count_query(c));
            }
            for item in q.iter().chain(h.iter()) {
                let c = canon(item);
                prop_assert!(!wire.windows(c.len()).any(|w| w == c.as_slice()) || c.len() < 4, "an item in the clear");
            }
            if let (Some(a), Some(c)) = (answer, cq) {
                prop_assert_eq!(querier.finish(&a).unwrap(), Outcome::Matches(expected.clone()));
                // The count the holder computes from the double-blinded exchange is the plain
                // intersection's size (query positions, duplicates counted).
                prop_assert_eq!(holder.count(&c.check().unwrap()).unwrap(), expected.len());
            }
        }
    }
}
