//! Labelled private matching: the holder's items carry a payload each (for a sales registry:
//! dealer, sale date, the trace reference to cite), and the querier learns the payloads of its
//! matching items only. The holder learns the query's size, as in intersection mode.
//!
//! Built on the intersection exchange. The holder's set version has a secret `b` and a public
//! random `salt`; for each of its items `y` (canonical bytes) with `P = H(y)·b`:
//!
//! - `tag(y)   = SHA-256("pacto-psi-v1:tag" ‖ P)[..8]`, the same tag as intersection mode;
//! - `item_key(y) = SHA-256("pacto-psi-v1:label-item" ‖ rule ‖ 0x00 ‖ len(y) u32 ‖ y ‖ P)`, made
//!   once at import and stored in place of the item ([`Record`]);
//! - `key(y)   = SHA-256("pacto-psi-v1:label-key" ‖ rule ‖ 0x00 ‖ salt ‖ item_key(y))`;
//! - `sealed(y) = ChaCha20-Poly1305(key(y), nonce 0, pad(payload), aad)` with
//!   `aad = "pacto-psi-v1:label" ‖ rule ‖ 0x00 ‖ salt ‖ tag(y)`, and `pad(p)` = `len(p)` as u16,
//!   `p`, then zeros to the set's slot size: every sealed payload has the same length.
//!
//! The holder keeps `(tag, item_key, payload)` per item ([`LabelledRecords`]) and seals the
//! payloads for each partner, reduced to the fields that partner may receive, under a fresh
//! salt ([`LabelledRecords::seal`]). The entries `(tag, sealed)` are sorted by tag. A query is `H(x)·a` for each item; the answer
//! is `H(x)·a·b` for each, in order, with every entry. The querier removes `a`, finds `P` for
//! each of its items, and opens the entry with the tag of `P` under the key of `(x, P)`.
//!
//! Why this is sound: `P = H(x)·b` is an oblivious pseudo-random function of `x` under `b`
//! (2HashDH): without `b` no one can compute it for an item, and the querier gets it only for
//! the items it put in a query (each counted against its grant). The key hashes `P` with the
//! item itself (through `item_key`, which without `b` no one can link to a guessed item) and a
//! domain of its own, so the tag (a different domain, and only 8 bytes of it)
//! says nothing about the key, and an entry opens under no key but its item's. The nonce can be
//! fixed because each key seals one message: it depends on the salt, drawn afresh for each
//! encoding, so two encodings of one item (another version, another partner's allowed fields)
//! never share a key even under one secret.

use std::collections::HashMap;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::normalize::Normalizer;
use crate::protocol::{
    PsiError, TAG_BYTES, decompress_checked, decompress_nonempty, hash_to_group, normalize_all, par_map, random_scalar,
    tag_bytes,
};

/// The largest payload, in bytes. Every sealed payload of a set is padded to the set's largest,
/// so one large payload makes every entry large: payloads are meant to be a few fields.
pub const MAX_PAYLOAD: usize = 1024;

/// What sealing adds to a padded payload: Poly1305's 16-byte tag.
pub const SEAL_OVERHEAD: usize = 16;

/// Bytes of the public salt of a labelled set encoding.
pub const SALT_BYTES: usize = 16;

/// One entry of a labelled set: an item's tag and its sealed, padded payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub tag: [u8; TAG_BYTES],
    pub sealed: Vec<u8>,
}

/// The querier's message for a labelled set: its items blinded under a fresh `a`, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledQuery {
    pub normalizer: Normalizer,
    pub points: Vec<[u8; 32]>,
}

/// A labelled query whose points are all valid and not the identity.
pub struct CheckedLabelledQuery {
    pub normalizer: Normalizer,
    points: Vec<RistrettoPoint>,
}

impl CheckedLabelledQuery {
    pub fn len(&self) -> usize {
        self.points.len()
    }
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

impl LabelledQuery {
    /// Decode and check every point (at least one, valid encodings, no identity), before the
    /// query counts against anything.
    pub fn check(&self) -> Result<CheckedLabelledQuery, PsiError> {
        Ok(CheckedLabelledQuery { normalizer: self.normalizer, points: decompress_nonempty(&self.points)? })
    }
}

/// The holder's answer: the query's points blinded again, in order, and every entry of the set
/// sorted by tag, all sealed payloads of one length (`slot + SEAL_OVERHEAD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledAnswer {
    pub normalizer: Normalizer,
    pub salt: [u8; SALT_BYTES],
    /// The names of the fields each payload holds, in order ([`crate::payload::project`]);
    /// empty when payloads are sealed as stored.
    pub fields: Vec<String>,
    pub points: Vec<[u8; 32]>,
    /// Padded plaintext size of every payload: 2 (the length) + the set's largest payload.
    pub slot: usize,
    pub entries: Vec<Entry>,
}

/// One matching item and the payload the holder attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Position of the item in the querier's input.
    pub index: usize,
    pub payload: Vec<u8>,
}

/// One item of a holder's labelled set as kept between queries: its tag, its item key (see the
/// module's documentation; it needs the item and `H(y)·b`, so it cannot be made without the
/// secret) and its whole payload, before any agreement's filter, sealed at rest under a key
/// derived from the set's secret and the item key (so the database alone reveals no payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub tag: [u8; TAG_BYTES],
    pub item_key: [u8; 32],
    /// ChaCha20-Poly1305 of the payload under [`rest_key`], nonce 0, aad the tag.
    pub payload: Vec<u8>,
}

/// The key a record's payload is sealed under at rest: SHA-256 of a domain, the set's secret
/// and the item key. One key per item and set version, each sealing one message.
fn rest_key(secret: &Scalar, item_key: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"pacto-psi-v1:label-rest")
        .chain_update(secret.as_bytes())
        .chain_update(item_key)
        .finalize()
        .into()
}

fn rest_aad(tag: &[u8; TAG_BYTES]) -> Vec<u8> {
    [&b"pacto-psi-v1:label-rest"[..], tag].concat()
}

/// A holder's labelled set version as stored: its secret (kept apart, in a key file) and one
/// record per item, sorted by tag. It is sealed afresh ([`LabelledRecords::seal`]) for each
/// partner's list of fields; the items themselves are not kept.
pub struct LabelledRecords {
    secret: Scalar,
    pub normalizer: Normalizer,
    /// Sorted by tag: their order says nothing about the holder's input order.
    pub records: Vec<Record>,
}

/// Bytes a stored record takes besides its payload: tag, item key, payload length (u16).
const RECORD_HEADER: usize = TAG_BYTES + 32 + 2;

impl LabelledRecords {
    /// Normalise the items and make each one's record, under a fresh secret; and the plain set
    /// of the same items under the same secret (tags and blinded points), so that a labelled set
    /// also answers intersection and size-only queries. Two items that normalise alike are an
    /// error (a registry with two sales of one weapon merges them into one payload first).
    pub fn encode(
        items: &[(Vec<u8>, Vec<u8>)],
        normalizer: Normalizer,
    ) -> Result<(LabelledRecords, crate::HolderSet), PsiError> {
        for (index, (_, payload)) in items.iter().enumerate() {
            if payload.len() > MAX_PAYLOAD {
                return Err(PsiError::Payload {
                    index,
                    why: format!("{} bytes, more than the {MAX_PAYLOAD} a payload may have", payload.len()),
                });
            }
        }
        let raw: Vec<Vec<u8>> = items.iter().map(|(i, _)| i.clone()).collect();
        let canonical = normalize_all(&raw, normalizer)?;
        let mut first: HashMap<&[u8], usize> = HashMap::with_capacity(canonical.len());
        for (i, c) in canonical.iter().enumerate() {
            if let Some(&f) = first.get(c.as_slice()) {
                return Err(PsiError::DuplicateItem { first: f, second: i });
            }
            first.insert(c, i);
        }
        let secret = random_scalar();
        let blinded = par_map(&canonical, |i, c| {
            let p = (hash_to_group(normalizer, c) * secret).compress().to_bytes();
            let (tag, item_key) = (tag_bytes(&p), item_key(normalizer, c, &p));
            let payload = seal_with_key(&rest_key(&secret, &item_key), &rest_aad(&tag), &items[i].1);
            (p, Record { tag, item_key, payload })
        });
        let (mut points, mut records): (Vec<[u8; 32]>, Vec<Record>) = blinded.into_iter().unzip();
        records.sort_unstable_by_key(|r| (r.tag, r.item_key));
        points.sort_unstable();
        let mut tags: Vec<[u8; TAG_BYTES]> = records.iter().map(|r| r.tag).collect();
        tags.sort_unstable();
        let plain = crate::HolderSet::from_parts(secret.to_bytes(), normalizer, tags, points)
            .ok_or_else(|| PsiError::Payload { index: 0, why: "the fresh secret does not round-trip".into() })?;
        Ok((LabelledRecords { secret, normalizer, records }, plain))
    }

    /// The records as stored: for each, `tag (8) | item key (32) | payload length u16 | payload`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.records.iter().map(|r| RECORD_HEADER + r.payload.len()).sum());
        for r in &self.records {
            out.extend_from_slice(&r.tag);
            out.extend_from_slice(&r.item_key);
            out.extend_from_slice(&(r.payload.len() as u16).to_be_bytes());
            out.extend_from_slice(&r.payload);
        }
        out
    }

    /// Rebuild a stored labelled set version from its secret and its records' bytes; what does
    /// not parse is an error saying where.
    pub fn from_parts(secret: [u8; 32], normalizer: Normalizer, bytes: &[u8]) -> Result<LabelledRecords, String> {
        let secret = Option::<Scalar>::from(Scalar::from_canonical_bytes(secret))
            .ok_or_else(|| "the key file holds no valid secret".to_string())?;
        let mut records = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let head = bytes
                .get(at..at + RECORD_HEADER)
                .ok_or_else(|| format!("record {} (byte {at}): truncated", records.len()))?;
            let len = usize::from(u16::from_be_bytes([head[40], head[41]]));
            if !(SEAL_OVERHEAD..=MAX_PAYLOAD + SEAL_OVERHEAD).contains(&len) {
                return Err(format!("record {} (byte {at}): a payload of {len} bytes", records.len()));
            }
            let payload = bytes
                .get(at + RECORD_HEADER..at + RECORD_HEADER + len)
                .ok_or_else(|| format!("record {} (byte {at}): truncated payload", records.len()))?;
            let mut tag = [0u8; TAG_BYTES];
            tag.copy_from_slice(&head[..TAG_BYTES]);
            let mut key = [0u8; 32];
            key.copy_from_slice(&head[TAG_BYTES..TAG_BYTES + 32]);
            records.push(Record { tag, item_key: key, payload: payload.to_vec() });
            at += RECORD_HEADER + len;
        }
        Ok(LabelledRecords { secret, normalizer, records })
    }

    /// The secret, to keep apart from the records (as for a plain set).
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret.to_bytes()
    }

    /// Seal every payload for one partner, under a fresh salt: with `fields`, each payload (a
    /// JSON object) is first reduced to the values of those fields ([`crate::payload::project`]),
    /// so a field the partner may not receive is in no sealed byte; `None` seals payloads as
    /// stored.
    pub fn seal<S: AsRef<str> + Sync>(&self, fields: Option<&[S]>) -> Result<LabelledSet, PsiError> {
        let reduced: Vec<Result<Vec<u8>, PsiError>> = par_map(&self.records, |index, r| {
            let payload = ChaCha20Poly1305::new(Key::from_slice(&rest_key(&self.secret, &r.item_key)))
                .decrypt(Nonce::from_slice(&[0u8; 12]), Payload { msg: &r.payload, aad: &rest_aad(&r.tag) })
                .map_err(|_| PsiError::Payload {
                    index,
                    why: "does not open under the set's secret (a key file of another set version?)".into(),
                })?;
            let Some(fields) = fields else { return Ok(payload) };
            let text =
                std::str::from_utf8(&payload).map_err(|_| PsiError::Payload { index, why: "not UTF-8 text".into() })?;
            crate::payload::project(text, fields).map_err(|e| PsiError::Payload { index, why: e.to_string() })
        });
        let payloads: Vec<Vec<u8>> = reduced.into_iter().collect::<Result<_, _>>()?;
        let mut salt = [0u8; SALT_BYTES];
        OsRng.fill_bytes(&mut salt);
        let slot = 2 + payloads.iter().map(Vec::len).max().unwrap_or(0);
        let n = self.normalizer;
        let entries = par_map(&self.records, |i, r| Entry {
            tag: r.tag,
            sealed: seal(n, &salt, &r.item_key, &r.tag, &payloads[i], slot),
        });
        // Records are sorted by tag, so the entries are too.
        let fields = fields.map(|f| f.iter().map(|s| s.as_ref().to_string()).collect()).unwrap_or_default();
        Ok(LabelledSet { secret: self.secret, normalizer: n, salt, fields, slot, entries })
    }
}

/// A holder's labelled set sealed for one partner: its secret, its salt and its entries, ready
/// to answer any number of that partner's queries.
pub struct LabelledSet {
    secret: Scalar,
    pub normalizer: Normalizer,
    pub salt: [u8; SALT_BYTES],
    /// The fields each sealed payload holds, in order.
    pub fields: Vec<String>,
    pub slot: usize,
    /// Sorted by tag: their order says nothing about the holder's input order.
    pub entries: Vec<Entry>,
}

impl LabelledSet {
    /// Encode and seal in one step, payloads as given (tests).
    #[cfg(test)]
    pub(crate) fn encode(items: &[(Vec<u8>, Vec<u8>)], normalizer: Normalizer) -> Result<LabelledSet, PsiError> {
        LabelledRecords::encode(items, normalizer)?.0.seal::<&str>(None)
    }

    /// Answer a checked query: its points times the secret, in order, and every entry.
    pub fn answer(&self, q: &CheckedLabelledQuery) -> Result<LabelledAnswer, PsiError> {
        if q.normalizer != self.normalizer {
            return Err(PsiError::NormalizerMismatch { querier: q.normalizer.id(), holder: self.normalizer.id() });
        }
        let points = par_map(&q.points, |_, p| (p * self.secret).compress().to_bytes());
        Ok(LabelledAnswer {
            normalizer: self.normalizer,
            salt: self.salt,
            fields: self.fields.clone(),
            points,
            slot: self.slot,
            entries: self.entries.clone(),
        })
    }
}

/// The querier's side of a labelled exchange: a fresh secret and its canonical items (needed
/// for the keys), for one run.
pub struct LabelledQuerier {
    unblind: Scalar,
    normalizer: Normalizer,
    canonical: Vec<Vec<u8>>,
}

impl LabelledQuerier {
    pub fn start(items: &[Vec<u8>], normalizer: Normalizer) -> Result<(LabelledQuerier, LabelledQuery), PsiError> {
        if items.is_empty() {
            return Err(PsiError::Empty);
        }
        let canonical = normalize_all(items, normalizer)?;
        let a = random_scalar();
        let points = par_map(&canonical, |_, c| (hash_to_group(normalizer, c) * a).compress().to_bytes());
        Ok((LabelledQuerier { unblind: a.invert(), normalizer, canonical }, LabelledQuery { normalizer, points }))
    }

    /// Open the payloads of the matching items, in query order. An item whose tag is among the
    /// entries but whose payload does not authenticate is an error, never a garbled payload.
    pub fn finish(self, answer: &LabelledAnswer) -> Result<Vec<Trace>, PsiError> {
        if answer.normalizer != self.normalizer {
            return Err(PsiError::NormalizerMismatch { querier: self.normalizer.id(), holder: answer.normalizer.id() });
        }
        if answer.points.len() != self.canonical.len() {
            return Err(PsiError::WrongCount { expected: self.canonical.len(), got: answer.points.len() });
        }
        let mut by_tag: HashMap<[u8; TAG_BYTES], Vec<&Entry>> = HashMap::with_capacity(answer.entries.len());
        for e in &answer.entries {
            by_tag.entry(e.tag).or_default().push(e);
        }
        let points = decompress_checked(&answer.points)?;
        let opened = par_map(&points, |i, p| {
            let p = (p * self.unblind).compress().to_bytes();
            let tag = tag_bytes(&p);
            let candidates = by_tag.get(&tag)?;
            let payload = candidates.iter().find_map(|e| {
                open(self.normalizer, &answer.salt, &self.canonical[i], &p, &e.tag, &e.sealed, answer.slot).ok()
            });
            Some(payload.ok_or(PsiError::PayloadDoesNotOpen { index: i }))
        });
        let mut out = Vec::new();
        for (index, o) in opened.into_iter().enumerate() {
            match o {
                None => {}
                Some(Ok(payload)) => out.push(Trace { index, payload }),
                Some(Err(e)) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// `item_key(y)`: see the module's documentation. Made once, at import.
pub(crate) fn item_key(n: Normalizer, canonical: &[u8], p: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"pacto-psi-v1:label-item")
        .chain_update(n.id().as_bytes())
        .chain_update([0u8])
        .chain_update((canonical.len() as u32).to_be_bytes())
        .chain_update(canonical)
        .chain_update(p)
        .finalize()
        .into()
}

/// `key(y)`: the sealing key of one encoding (one salt) of an item.
pub(crate) fn payload_key(n: Normalizer, salt: &[u8; SALT_BYTES], item_key: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"pacto-psi-v1:label-key")
        .chain_update(n.id().as_bytes())
        .chain_update([0u8])
        .chain_update(salt)
        .chain_update(item_key)
        .finalize()
        .into()
}

fn aad(n: Normalizer, salt: &[u8; SALT_BYTES], tag: &[u8; TAG_BYTES]) -> Vec<u8> {
    let mut a = Vec::with_capacity(19 + 8 + SALT_BYTES + TAG_BYTES);
    a.extend_from_slice(b"pacto-psi-v1:label");
    a.extend_from_slice(n.id().as_bytes());
    a.push(0);
    a.extend_from_slice(salt);
    a.extend_from_slice(tag);
    a
}

fn seal(
    n: Normalizer,
    salt: &[u8; SALT_BYTES],
    item_key: &[u8; 32],
    tag: &[u8; TAG_BYTES],
    payload: &[u8],
    slot: usize,
) -> Vec<u8> {
    let mut padded = Vec::with_capacity(slot);
    padded.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    padded.extend_from_slice(payload);
    padded.resize(slot, 0);
    seal_with_key(&payload_key(n, salt, item_key), &aad(n, salt, tag), &padded)
}

/// ChaCha20-Poly1305 under a key that seals one message only, hence the fixed nonce.
fn seal_with_key(key: &[u8; 32], aad: &[u8], padded: &[u8]) -> Vec<u8> {
    ChaCha20Poly1305::new(Key::from_slice(key))
        .encrypt(Nonce::from_slice(&[0u8; 12]), Payload { msg: padded, aad })
        // Encryption fails only for messages beyond 256 GiB; a slot is at most MAX_PAYLOAD + 2.
        .unwrap_or_default()
}

/// Open one sealed payload with the key of `(canonical, p)`. Fails when the key is not the
/// entry's (another item, another secret, another salt), the tag is not the entry's, or a byte
/// was changed.
pub(crate) fn open(
    n: Normalizer,
    salt: &[u8; SALT_BYTES],
    canonical: &[u8],
    p: &[u8; 32],
    tag: &[u8; TAG_BYTES],
    sealed: &[u8],
    slot: usize,
) -> Result<Vec<u8>, PsiError> {
    open_with_key(&payload_key(n, salt, &item_key(n, canonical, p)), &aad(n, salt, tag), sealed, slot)
}

pub(crate) fn open_with_key(key: &[u8; 32], aad: &[u8], sealed: &[u8], slot: usize) -> Result<Vec<u8>, PsiError> {
    let bad = || PsiError::Payload { index: 0, why: "does not authenticate".into() };
    let padded = ChaCha20Poly1305::new(Key::from_slice(key))
        .decrypt(Nonce::from_slice(&[0u8; 12]), Payload { msg: sealed, aad })
        .map_err(|_| bad())?;
    if padded.len() != slot || slot < 2 {
        return Err(bad());
    }
    let len = usize::from(u16::from_be_bytes([padded[0], padded[1]]));
    if 2 + len > slot || padded[2 + len..].iter().any(|&b| b != 0) {
        return Err(PsiError::Payload { index: 0, why: "authenticates but its padding is malformed".into() });
    }
    Ok(padded[2..2 + len].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn firearm(m: &str, s: &str) -> Vec<u8> {
        format!("{m}\t{s}").into_bytes()
    }

    fn registry() -> Vec<(Vec<u8>, Vec<u8>)> {
        vec![
            (
                firearm("Colt", "LW12345"),
                br#"{"dealer":"FFL 5-74-01234","sale":"2023-04-02","trace":"T-0001"}"#.to_vec(),
            ),
            (
                firearm("Glock", "BSXK123"),
                br#"{"dealer":"FFL 9-86-55555","sale":"2022-11-30","trace":"T-0002"}"#.to_vec(),
            ),
            (firearm("Ruger", "690-12045"), br#"{"dealer":"FFL 5-74-01234","trace":"T-0003"}"#.to_vec()),
            (firearm("Smith & Wesson", "DAH4471"), br#"{"trace":"T-0004"}"#.to_vec()),
            (firearm("Beretta", "PX12345"), Vec::new()),
        ]
    }

    #[test]
    fn the_querier_opens_exactly_its_matching_items() {
        let set = LabelledSet::encode(&registry(), Normalizer::Firearm).unwrap();
        let seized = vec![
            firearm("COLT", "lw 12345"),
            firearm("Colt", "LW99999"),
            firearm("Sturm, Ruger & Co.", "690-12O45"),
            firearm("Glock", "LW12345"),
            firearm("Beretta U.S.A. Corp", "px-12345"),
        ];
        let (querier, query) = LabelledQuerier::start(&seized, Normalizer::Firearm).unwrap();
        let answer = set.answer(&query.check().unwrap()).unwrap();
        let traces = querier.finish(&answer).unwrap();
        let reg = registry();
        assert_eq!(
            traces,
            vec![
                Trace { index: 0, payload: reg[0].1.clone() },
                Trace { index: 2, payload: reg[2].1.clone() },
                Trace { index: 4, payload: Vec::new() },
            ]
        );
        // Every entry is the same size, whatever its payload.
        assert!(answer.entries.iter().all(|e| e.sealed.len() == answer.slot + SEAL_OVERHEAD));
        assert_eq!(answer.slot, 2 + reg.iter().map(|(_, p)| p.len()).max().unwrap());
        // The entries are sorted by tag, not in the holder's order.
        assert!(answer.entries.windows(2).all(|w| w[0].tag <= w[1].tag));
    }

    /// No payload of an item outside the query opens, by any key the querier can make: with its
    /// own secret, the unblinded hash, random keys, the key of a matching item, the tag of
    /// another entry.
    #[test]
    fn no_payload_of_a_non_matching_item_opens() {
        let n = Normalizer::Firearm;
        let reg = registry();
        let set = LabelledSet::encode(&reg, n).unwrap();
        let seized = vec![firearm("Colt", "LW12345"), firearm("Colt", "LW99999")];
        let (querier, query) = LabelledQuerier::start(&seized, n).unwrap();
        let a_inv = querier.unblind;
        let answer = set.answer(&query.check().unwrap()).unwrap();
        let matched_p = (decompress_checked(&answer.points).unwrap()[0] * a_inv).compress().to_bytes();
        let matched_tag = tag_bytes(&matched_p);
        let a = a_inv.invert();
        let others: Vec<&Entry> = answer.entries.iter().filter(|e| e.tag != matched_tag).collect();
        assert_eq!(others.len(), reg.len() - 1);
        // Every item the querier knows, even every item of the registry (a dictionary).
        let mut known: Vec<Vec<u8>> = seized.iter().map(|s| n.apply(s).unwrap()).collect();
        known.extend(reg.iter().map(|(i, _)| n.apply(i).unwrap()));
        let slot = answer.slot;
        let salt = answer.salt;
        let mut tries = 0;
        for e in &others {
            for x in &known {
                let h = hash_to_group(n, x);
                for p in [h, h * a, h * a_inv, decompress_checked(&[matched_p]).unwrap()[0]] {
                    let p = p.compress().to_bytes();
                    assert!(open(n, &salt, x, &p, &e.tag, &e.sealed, slot).is_err());
                    // The tag of the matching entry with this entry's ciphertext, and the other way.
                    assert!(open(n, &salt, x, &p, &matched_tag, &e.sealed, slot).is_err());
                    tries += 2;
                }
            }
            // The matching item's own key on a different entry.
            let own = n.apply(&seized[0]).unwrap();
            assert!(open(n, &salt, &own, &matched_p, &e.tag, &e.sealed, slot).is_err());
            assert!(open(n, &salt, &own, &matched_p, &matched_tag, &e.sealed, slot).is_err());
            for _ in 0..64 {
                let mut k = [0u8; 32];
                rand_core::RngCore::fill_bytes(&mut OsRng, &mut k);
                assert!(open_with_key(&k, &aad(n, &salt, &e.tag), &e.sealed, slot).is_err());
                tries += 1;
            }
        }
        assert!(tries > 100);
        // And the matching item's entry does open with its key (the test is not vacuous).
        let own = n.apply(&seized[0]).unwrap();
        let mine = answer.entries.iter().find(|e| e.tag == matched_tag).unwrap();
        assert_eq!(open(n, &salt, &own, &matched_p, &mine.tag, &mine.sealed, slot).unwrap(), reg[0].1);
    }

    #[test]
    fn a_tampered_answer_is_an_error_not_garbage() {
        let n = Normalizer::Firearm;
        let set = LabelledSet::encode(&registry(), n).unwrap();
        let seized = vec![firearm("Glock", "BSXK123")];
        for flip in [0usize, 5, 40, 70] {
            let (querier, query) = LabelledQuerier::start(&seized, n).unwrap();
            let mut answer = set.answer(&query.check().unwrap()).unwrap();
            for e in &mut answer.entries {
                let at = flip % e.sealed.len();
                e.sealed[at] ^= 0x01;
            }
            assert_eq!(querier.finish(&answer), Err(PsiError::PayloadDoesNotOpen { index: 0 }), "byte {flip}");
        }
        // Another salt: every key changes, nothing opens, and it is said.
        let (querier, query) = LabelledQuerier::start(&seized, n).unwrap();
        let mut answer = set.answer(&query.check().unwrap()).unwrap();
        answer.salt[0] ^= 1;
        assert_eq!(querier.finish(&answer), Err(PsiError::PayloadDoesNotOpen { index: 0 }));
        // Fewer points than items, the wrong rule.
        let (querier, query) = LabelledQuerier::start(&seized, n).unwrap();
        let mut answer = set.answer(&query.check().unwrap()).unwrap();
        answer.points.clear();
        assert!(matches!(querier.finish(&answer), Err(PsiError::WrongCount { .. })));
        let (_, query) = LabelledQuerier::start(&[b"LW12345".to_vec()], Normalizer::Serial).unwrap();
        assert!(matches!(set.answer(&query.check().unwrap()), Err(PsiError::NormalizerMismatch { .. })));
    }

    #[test]
    fn bad_sets_are_errors() {
        let n = Normalizer::Firearm;
        let dup = vec![(firearm("Colt", "LW12345"), b"a".to_vec()), (firearm("COLT", "lw-12345"), b"b".to_vec())];
        assert_eq!(LabelledSet::encode(&dup, n).err(), Some(PsiError::DuplicateItem { first: 0, second: 1 }));
        let big = vec![(firearm("Colt", "1"), vec![b'x'; MAX_PAYLOAD + 1])];
        assert!(matches!(LabelledSet::encode(&big, n), Err(PsiError::Payload { index: 0, .. })));
        let bad = vec![(b"no tab".to_vec(), Vec::new())];
        assert!(matches!(LabelledSet::encode(&bad, n), Err(PsiError::Normalize { index: 0, .. })));
        assert!(matches!(LabelledQuerier::start(&[], n), Err(PsiError::Empty)));
        let empty = LabelledSet::encode(&[], n).unwrap();
        assert!(empty.entries.is_empty());
        assert_eq!(empty.slot, 2);
    }

    /// A field the agreement withholds is filtered out before sealing: it is in no byte of the
    /// answer and in no opened payload.
    #[test]
    fn a_withheld_field_never_leaves() {
        let n = Normalizer::Firearm;
        let record = r#"{"dealer":"5-74-012-01-2B-01234","buyer":"Juan Doe","sale_date":"2025-05-17","trace":"T1"}"#;
        let allowed = ["dealer", "sale_date", "trace"];
        let (records, _) =
            LabelledRecords::encode(&[(firearm("Colt", "LW12345"), record.as_bytes().to_vec())], n).unwrap();
        let set = records.seal(Some(&allowed)).unwrap();
        let (querier, query) = LabelledQuerier::start(&[firearm("Colt", "LW12345")], n).unwrap();
        let answer = set.answer(&query.check().unwrap()).unwrap();
        let bytes = crate::wire::encode_labelled_answer(&answer);
        assert!(!bytes.windows(8).any(|w| w == b"Juan Doe"));
        let traces = querier.finish(&answer).unwrap();
        let opened = crate::payload::expand(&answer.fields, &traces[0].payload).unwrap();
        let opened = serde_json::Value::Object(opened).to_string();
        assert_eq!(opened, r#"{"dealer":"5-74-012-01-2B-01234","sale_date":"2025-05-17","trace":"T1"}"#);
        assert!(!opened.contains("buyer") && !opened.contains("Doe"));
    }

    #[test]
    fn stored_records_round_trip_and_are_checked() {
        let (records, plain) = LabelledRecords::encode(&registry(), Normalizer::Firearm).unwrap();
        let bytes = records.to_bytes();
        // What is stored holds no payload in the clear: each is sealed under the set's secret.
        assert!(!bytes.windows(14).any(|w| w == b"FFL 5-74-01234"));
        assert!(!bytes.windows(6).any(|w| w == b"T-0004"));
        let back = LabelledRecords::from_parts(records.secret_bytes(), records.normalizer, &bytes).unwrap();
        assert_eq!(back.records, records.records);
        // Under another secret (a key file of another version) nothing opens, and it is said.
        let (other, _) = LabelledRecords::encode(&registry(), Normalizer::Firearm).unwrap();
        let wrong = LabelledRecords::from_parts(other.secret_bytes(), records.normalizer, &bytes).unwrap();
        assert!(matches!(wrong.seal::<&str>(None), Err(PsiError::Payload { .. })));
        // The plain set of the same items, under the same secret: its tags are the records'.
        assert_eq!(plain.secret_bytes(), records.secret_bytes());
        let mut tags: Vec<_> = records.records.iter().map(|r| r.tag).collect();
        tags.sort_unstable();
        assert_eq!(plain.tags, tags);
        assert_eq!(plain.points.len(), records.records.len());
        // A record sealed from the stored form opens for the querier.
        let set = back.seal::<&str>(None).unwrap();
        let (querier, q) = LabelledQuerier::start(&[firearm("Glock", "BSXK123")], Normalizer::Firearm).unwrap();
        let traces = querier.finish(&set.answer(&q.check().unwrap()).unwrap()).unwrap();
        assert_eq!(traces, vec![Trace { index: 0, payload: registry()[1].1.clone() }]);
        // Truncations and a bad secret are errors that say where.
        let e = LabelledRecords::from_parts(records.secret_bytes(), records.normalizer, &bytes[..bytes.len() - 1]);
        assert!(e.err().unwrap().contains("truncated"));
        let e = LabelledRecords::from_parts(records.secret_bytes(), records.normalizer, &bytes[..10]);
        assert_eq!(e.err().unwrap(), "record 0 (byte 0): truncated");
        assert!(LabelledRecords::from_parts([0xff; 32], records.normalizer, &bytes).is_err());
    }

    /// Sealing for a partner's fields: every payload is reduced before it is sealed, the salt
    /// is fresh each time (so no key seals two messages), and a payload that is not a JSON
    /// object is an error naming the record.
    #[test]
    fn sealing_for_fields_reduces_every_payload_under_a_fresh_salt() {
        let n = Normalizer::Firearm;
        let items = vec![
            (firearm("Colt", "LW12345"), br#"{"dealer":"D1","buyer":"Juan Doe","trace":"T1"}"#.to_vec()),
            (firearm("Glock", "BSXK123"), br#"{"dealer":"D2","trace":"T2"}"#.to_vec()),
        ];
        let (records, _) = LabelledRecords::encode(&items, n).unwrap();
        let a = records.seal(Some(&["dealer", "trace"])).unwrap();
        let b = records.seal(Some(&["dealer", "trace"])).unwrap();
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.entries, b.entries);
        // Values only, each with its length: the names travel once, in the answer.
        assert_eq!(a.slot, 2 + 2 * (1 + 2));
        let (querier, q) = LabelledQuerier::start(&[firearm("Colt", "LW12345")], n).unwrap();
        let answer = a.answer(&q.check().unwrap()).unwrap();
        assert_eq!(answer.fields, ["dealer", "trace"]);
        assert!(!crate::wire::encode_labelled_answer(&answer).windows(4).any(|w| w == b"Juan"));
        let traces = querier.finish(&answer).unwrap();
        assert_eq!(traces[0].payload, b"\x02D1\x02T1".to_vec());
        let opened = crate::payload::expand(&answer.fields, &traces[0].payload).unwrap();
        assert_eq!(serde_json::Value::Object(opened).to_string(), r#"{"dealer":"D1","trace":"T1"}"#);
        let bad = vec![(firearm("Colt", "1"), b"not json".to_vec())];
        let (records, _) = LabelledRecords::encode(&bad, n).unwrap();
        assert!(matches!(records.seal(Some(&["dealer"])), Err(PsiError::Payload { index: 0, .. })));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        /// Over random sets: the querier opens a payload exactly for the items the holder has,
        /// and each payload is the one the holder attached to that item.
        #[test]
        fn payloads_open_only_for_matching_items(
            holder in prop::collection::btree_map("[A-Z0-9]{4,8}", prop::collection::vec(any::<u8>(), 0..40), 0..24),
            query in prop::collection::vec("[A-Z0-9]{4,8}", 1..16),
            take in 0usize..8,
        ) {
            let n = Normalizer::Serial;
            let mut holder: BTreeMap<String, Vec<u8>> = holder;
            let mut query = query;
            query.extend(holder.keys().take(take).cloned());
            holder.retain(|k, _| !k.is_empty());
            let items: Vec<(Vec<u8>, Vec<u8>)> = holder.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.clone())).collect();
            let set = LabelledSet::encode(&items, n).unwrap();
            let q: Vec<Vec<u8>> = query.iter().map(|s| s.as_bytes().to_vec()).collect();
            let (querier, lq) = LabelledQuerier::start(&q, n).unwrap();
            let traces = querier.finish(&set.answer(&lq.check().unwrap()).unwrap()).unwrap();
            let expected: Vec<Trace> = query.iter().enumerate()
                .filter_map(|(index, x)| holder.get(x).map(|p| Trace { index, payload: p.clone() }))
                .collect();
            prop_assert_eq!(traces, expected);
        }
    }
}
