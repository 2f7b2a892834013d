//! The wire format (all integers big-endian):
//!
//! ```text
//! query:  "PSIQ" | version u8 (1) | mode u8 (0 intersection, 1 size) | rule-length u8 | rule
//!         | count u32 | count × 32-byte compressed ristretto255 points
//! answer: "PSIA" | version | mode | rule-length | rule | count u32 | count × 32-byte points
//!         | tags u32 | tags × 8-byte tags
//! ```
//!
//! A query of n items is 32n bytes (plus a header); its answer 32n + 8m for a holder set of m.
//!
//! Size-only mode is a two-step exchange; its messages carry mode 1:
//!
//! ```text
//! blinded set (holder → querier):  "PSIW" | version | mode | rule-length | rule
//!         | count u32 | count × 32-byte points W_j = H(y_j)·b, sorted
//! count query (querier → holder):  "PSIC" | version | mode | rule-length | rule
//!         | set digest, 32 bytes | count u32 | count × 32-byte points H(x_i)·a, shuffled
//!         | tags u32 | tags × 8-byte tags of W_j·a, shuffled
//! count answer (holder → querier): "PSIN" | version | mode | rule-length | rule | count u32
//! ```
//!
//! The set digest is SHA-256("pacto-psi-v1:set" ‖ rule ‖ 0x00 ‖ the blinded set's points): it
//! names the set version the tags were computed from. Every count is checked against the bytes
//! present before anything is allocated.
//!
//! Labelled matching ([`crate::labelled`]) has its own two messages, mode 2:
//!
//! ```text
//! labelled query (querier → holder):  "PSLQ" | version | mode u8 (2) | rule-length | rule
//!         | count u32 | count × 32-byte points H(x_i)·a, in the querier's order
//! labelled answer (holder → querier): "PSLA" | version | mode (2) | rule-length | rule
//!         | salt, 16 bytes | field count u8 | field count × (name length u8 | name, UTF-8)
//!         | count u32 | count × 32-byte points H(x_i)·a·b, same order
//!         | entries u32 | slot u16 | entries × (8-byte tag | slot + 16 bytes sealed payload)
//! ```
//!
//! The field names are those of every payload's values, in order ([`crate::payload::project`]);
//! each name is 1 to 255 bytes. `slot` is 2 to 2 + `MAX_PAYLOAD`; the entries are sorted by tag
//! (a decoder refuses any other order, so positions cannot carry anything).

use crate::labelled::{Entry, LabelledAnswer, LabelledQuery, MAX_PAYLOAD, SALT_BYTES, SEAL_OVERHEAD};
use crate::{Answer, BlindedSet, CountAnswer, CountQuery, Mode, Normalizer, Query, TAG_BYTES};

/// The mode byte of the labelled messages.
const LABELLED: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PSI message, byte {at}: {why}")]
pub struct WireError {
    pub at: usize,
    pub why: String,
}

fn header(out: &mut Vec<u8>, magic: &[u8; 4], mode: Mode, n: Normalizer) {
    out.extend_from_slice(magic);
    out.push(1);
    out.push(match mode {
        Mode::Intersection => 0,
        Mode::Cardinality => 1,
    });
    out.push(n.id().len() as u8);
    out.extend_from_slice(n.id().as_bytes());
}

pub fn encode_query(q: &Query) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + 32 * q.points.len());
    header(&mut out, b"PSIQ", q.mode, q.normalizer);
    out.extend_from_slice(&(q.points.len() as u32).to_be_bytes());
    for p in &q.points {
        out.extend_from_slice(p);
    }
    out
}

pub fn encode_answer(a: &Answer) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + 32 * a.points.len() + TAG_BYTES * a.tags.len());
    header(&mut out, b"PSIA", a.mode, a.normalizer);
    out.extend_from_slice(&(a.points.len() as u32).to_be_bytes());
    for p in &a.points {
        out.extend_from_slice(p);
    }
    out.extend_from_slice(&(a.tags.len() as u32).to_be_bytes());
    for t in &a.tags {
        out.extend_from_slice(t);
    }
    out
}

pub fn encode_blinded_set(w: &BlindedSet) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + 32 * w.points.len());
    header(&mut out, b"PSIW", Mode::Cardinality, w.normalizer);
    out.extend_from_slice(&(w.points.len() as u32).to_be_bytes());
    for p in &w.points {
        out.extend_from_slice(p);
    }
    out
}

pub fn encode_count_query(q: &CountQuery) -> Vec<u8> {
    let mut out = Vec::with_capacity(56 + 32 * q.points.len() + TAG_BYTES * q.tags.len());
    header(&mut out, b"PSIC", Mode::Cardinality, q.normalizer);
    out.extend_from_slice(&q.set_digest);
    out.extend_from_slice(&(q.points.len() as u32).to_be_bytes());
    for p in &q.points {
        out.extend_from_slice(p);
    }
    out.extend_from_slice(&(q.tags.len() as u32).to_be_bytes());
    for t in &q.tags {
        out.extend_from_slice(t);
    }
    out
}

pub fn encode_count_answer(a: &CountAnswer) -> Vec<u8> {
    let mut out = Vec::with_capacity(20);
    header(&mut out, b"PSIN", Mode::Cardinality, a.normalizer);
    out.extend_from_slice(&(a.count.min(u32::MAX as u64) as u32).to_be_bytes());
    out
}

fn labelled_header(out: &mut Vec<u8>, magic: &[u8; 4], n: Normalizer) {
    out.extend_from_slice(magic);
    out.push(1);
    out.push(LABELLED);
    out.push(n.id().len() as u8);
    out.extend_from_slice(n.id().as_bytes());
}

pub fn encode_labelled_query(q: &LabelledQuery) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + 32 * q.points.len());
    labelled_header(&mut out, b"PSLQ", q.normalizer);
    out.extend_from_slice(&(q.points.len() as u32).to_be_bytes());
    for p in &q.points {
        out.extend_from_slice(p);
    }
    out
}

pub fn encode_labelled_answer(a: &LabelledAnswer) -> Vec<u8> {
    let entry = TAG_BYTES + a.slot + SEAL_OVERHEAD;
    let mut out = Vec::with_capacity(48 + 32 * a.points.len() + entry * a.entries.len());
    labelled_header(&mut out, b"PSLA", a.normalizer);
    out.extend_from_slice(&a.salt);
    // Names longer than 255 bytes or more than 255 names are never made (an agreement's field
    // names come from TOML; `LabelledRecords::seal` is given them): cut, never wrapped.
    out.push(a.fields.len().min(255) as u8);
    for f in a.fields.iter().take(255) {
        let name = &f.as_bytes()[..f.len().min(255)];
        out.push(name.len() as u8);
        out.extend_from_slice(name);
    }
    out.extend_from_slice(&(a.points.len() as u32).to_be_bytes());
    for p in &a.points {
        out.extend_from_slice(p);
    }
    out.extend_from_slice(&(a.entries.len() as u32).to_be_bytes());
    out.extend_from_slice(&(a.slot.min(usize::from(u16::MAX)) as u16).to_be_bytes());
    for e in &a.entries {
        out.extend_from_slice(&e.tag);
        out.extend_from_slice(&e.sealed);
    }
    out
}

pub fn decode_labelled_query(b: &[u8]) -> Result<LabelledQuery, WireError> {
    let mut r = Reader { b, at: 0 };
    let normalizer = r.labelled_header(b"PSLQ")?;
    let points = r.points()?;
    r.end()?;
    Ok(LabelledQuery { normalizer, points })
}

pub fn decode_labelled_answer(b: &[u8]) -> Result<LabelledAnswer, WireError> {
    let mut r = Reader { b, at: 0 };
    let normalizer = r.labelled_header(b"PSLA")?;
    let mut salt = [0u8; SALT_BYTES];
    salt.copy_from_slice(r.take(SALT_BYTES, "salt")?);
    let names = r.take(1, "field count")?[0];
    let mut fields = Vec::with_capacity(usize::from(names));
    for i in 0..names {
        let at = r.at;
        let len = usize::from(r.take(1, "field name length")?[0]);
        if len == 0 {
            return Err(WireError { at, why: format!("field name {i} is empty") });
        }
        let name = std::str::from_utf8(r.take(len, "field name")?)
            .map_err(|_| WireError { at: at + 1, why: format!("field name {i} is not UTF-8") })?;
        fields.push(name.to_string());
    }
    let points = r.points()?;
    let count = r.u32("entry count")?;
    let at = r.at;
    let slot = r.take(2, "slot")?;
    let slot = usize::from(u16::from_be_bytes([slot[0], slot[1]]));
    if !(2..=2 + MAX_PAYLOAD).contains(&slot) {
        return Err(WireError { at, why: format!("slot {slot} is outside 2..={}", 2 + MAX_PAYLOAD) });
    }
    let size = TAG_BYTES + slot + SEAL_OVERHEAD;
    let raw = r.take(
        count.checked_mul(size).ok_or_else(|| WireError { at: r.at, why: "entry count too large".into() })?,
        "entries",
    )?;
    let start = r.at - raw.len();
    let mut entries: Vec<Entry> = Vec::with_capacity(count);
    for (i, chunk) in raw.chunks_exact(size).enumerate() {
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&chunk[..TAG_BYTES]);
        if entries.last().is_some_and(|prev| prev.tag > tag) {
            return Err(WireError { at: start + i * size, why: format!("entry {i} is out of tag order") });
        }
        entries.push(Entry { tag, sealed: chunk[TAG_BYTES..].to_vec() });
    }
    r.end()?;
    Ok(LabelledAnswer { normalizer, salt, fields, points, slot, entries })
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], WireError> {
        if self.b.len() - self.at < n {
            return Err(WireError { at: self.at, why: format!("truncated: {what} needs {n} bytes") });
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn u32(&mut self, what: &str) -> Result<usize, WireError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn header(&mut self, magic: &[u8; 4]) -> Result<(Mode, Normalizer), WireError> {
        let at = self.at;
        if self.take(4, "magic")? != magic {
            return Err(WireError { at, why: format!("not a {} message", String::from_utf8_lossy(magic)) });
        }
        let at = self.at;
        if self.take(1, "version")?[0] != 1 {
            return Err(WireError { at, why: "unknown version".into() });
        }
        let at = self.at;
        let mode = match self.take(1, "mode")?[0] {
            0 => Mode::Intersection,
            1 => Mode::Cardinality,
            m => return Err(WireError { at, why: format!("unknown mode {m}") }),
        };
        let len = self.take(1, "rule length")?[0] as usize;
        let at = self.at;
        let rule = self.take(len, "rule")?;
        let n = std::str::from_utf8(rule)
            .ok()
            .and_then(Normalizer::parse)
            .ok_or_else(|| WireError { at, why: format!("unknown normaliser {:?}", String::from_utf8_lossy(rule)) })?;
        Ok((mode, n))
    }
    fn points(&mut self) -> Result<Vec<[u8; 32]>, WireError> {
        let n = self.u32("count")?;
        let raw = self.take(
            n.checked_mul(32).ok_or_else(|| WireError { at: self.at, why: "count too large".into() })?,
            "points",
        )?;
        Ok(raw.chunks_exact(32).map(|c| c.try_into().unwrap_or([0; 32])).collect())
    }
    fn tags(&mut self) -> Result<Vec<[u8; TAG_BYTES]>, WireError> {
        let n = self.u32("tag count")?;
        let raw = self.take(
            n.checked_mul(TAG_BYTES).ok_or_else(|| WireError { at: self.at, why: "tag count too large".into() })?,
            "tags",
        )?;
        Ok(raw.chunks_exact(TAG_BYTES).map(|c| c.try_into().unwrap_or([0; TAG_BYTES])).collect())
    }
    /// A size-only header: mode 1.
    fn count_header(&mut self, magic: &[u8; 4]) -> Result<Normalizer, WireError> {
        let at = self.at + 5;
        match self.header(magic)? {
            (Mode::Cardinality, n) => Ok(n),
            (Mode::Intersection, _) => Err(WireError { at, why: "a size-only message must carry mode 1".into() }),
        }
    }
    /// A labelled message's header: mode 2.
    fn labelled_header(&mut self, magic: &[u8; 4]) -> Result<Normalizer, WireError> {
        let at = self.at;
        if self.take(4, "magic")? != magic {
            return Err(WireError { at, why: format!("not a {} message", String::from_utf8_lossy(magic)) });
        }
        let at = self.at;
        if self.take(1, "version")?[0] != 1 {
            return Err(WireError { at, why: "unknown version".into() });
        }
        let at = self.at;
        let mode = self.take(1, "mode")?[0];
        if mode != LABELLED {
            return Err(WireError { at, why: format!("a labelled message must carry mode 2, found {mode}") });
        }
        let len = self.take(1, "rule length")?[0] as usize;
        let at = self.at;
        let rule = self.take(len, "rule")?;
        std::str::from_utf8(rule)
            .ok()
            .and_then(Normalizer::parse)
            .ok_or_else(|| WireError { at, why: format!("unknown normaliser {:?}", String::from_utf8_lossy(rule)) })
    }
    fn end(&self) -> Result<(), WireError> {
        if self.at == self.b.len() { Ok(()) } else { Err(WireError { at: self.at, why: "trailing bytes".into() }) }
    }
}

pub fn decode_query(b: &[u8]) -> Result<Query, WireError> {
    let mut r = Reader { b, at: 0 };
    let (mode, normalizer) = r.header(b"PSIQ")?;
    let points = r.points()?;
    r.end()?;
    Ok(Query { normalizer, mode, points })
}

pub fn decode_answer(b: &[u8]) -> Result<Answer, WireError> {
    let mut r = Reader { b, at: 0 };
    let (mode, normalizer) = r.header(b"PSIA")?;
    let points = r.points()?;
    let tags = r.tags()?;
    r.end()?;
    Ok(Answer { normalizer, mode, points, tags })
}

pub fn decode_blinded_set(b: &[u8]) -> Result<BlindedSet, WireError> {
    let mut r = Reader { b, at: 0 };
    let normalizer = r.count_header(b"PSIW")?;
    let points = r.points()?;
    r.end()?;
    Ok(BlindedSet { normalizer, points })
}

pub fn decode_count_query(b: &[u8]) -> Result<CountQuery, WireError> {
    let mut r = Reader { b, at: 0 };
    let normalizer = r.count_header(b"PSIC")?;
    let mut set_digest = [0u8; 32];
    set_digest.copy_from_slice(r.take(32, "set digest")?);
    let points = r.points()?;
    let tags = r.tags()?;
    r.end()?;
    Ok(CountQuery { normalizer, set_digest, points, tags })
}

pub fn decode_count_answer(b: &[u8]) -> Result<CountAnswer, WireError> {
    let mut r = Reader { b, at: 0 };
    let normalizer = r.count_header(b"PSIN")?;
    let count = r.u32("count")? as u64;
    r.end()?;
    Ok(CountAnswer { normalizer, count })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HolderSet, Querier};

    #[test]
    fn round_trip_and_errors() {
        let items: Vec<Vec<u8>> = vec![b"A1".to_vec(), b"B2".to_vec()];
        let holder = HolderSet::encode(&items, Normalizer::Serial).unwrap();
        let (_, q) = Querier::start(&items, Normalizer::Serial, Mode::Intersection).unwrap();
        let a = holder.answer(&q.check().unwrap()).unwrap();
        let (qb, ab) = (encode_query(&q), encode_answer(&a));
        assert_eq!(qb.len(), 4 + 3 + 6 + 4 + 64);
        assert_eq!(decode_query(&qb).unwrap(), q);
        assert_eq!(decode_answer(&ab).unwrap(), a);
        assert!(decode_query(&ab).is_err(), "an answer is not a query");
        assert!(decode_query(&qb[..qb.len() - 1]).is_err());
        let mut extra = qb.clone();
        extra.push(0);
        assert!(decode_query(&extra).is_err());
        let mut huge = qb[..13].to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode_query(&huge).is_err());
    }

    #[test]
    fn labelled_messages_round_trip_and_are_strict() {
        use crate::{LabelledQuerier, LabelledSet};
        let n = Normalizer::Firearm;
        let items: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"Colt\tLW12345".to_vec(), br#"{"trace":"T-1"}"#.to_vec()),
            (b"Glock\tBSXK123".to_vec(), br#"{"trace":"T-22"}"#.to_vec()),
            (b"Ruger\t12345".to_vec(), Vec::new()),
        ];
        let set = LabelledSet::encode(&items, n).unwrap();
        let (querier, q) = LabelledQuerier::start(&[b"COLT\tLW 12345".to_vec(), b"Colt\tX1".to_vec()], n).unwrap();
        let qb = encode_labelled_query(&q);
        assert_eq!(qb.len(), 4 + 3 + 7 + 4 + 2 * 32);
        assert_eq!(decode_labelled_query(&qb).unwrap(), q);
        let a = set.answer(&q.check().unwrap()).unwrap();
        let ab = encode_labelled_answer(&a);
        let slot = 2 + br#"{"trace":"T-22"}"#.len();
        assert_eq!(a.slot, slot);
        assert_eq!(ab.len(), 14 + 16 + 1 + 4 + 2 * 32 + 4 + 2 + 3 * (8 + slot + 16));
        let back = decode_labelled_answer(&ab).unwrap();
        assert_eq!(back, a);
        let traces = querier.finish(&back).unwrap();
        assert_eq!(traces.len(), 1);
        assert_eq!(traces[0].payload, items[0].1);

        // The wrong kind, mode, a truncation, a trailing byte, counts beyond the bytes.
        assert!(decode_labelled_query(&ab).unwrap_err().why.contains("not a PSLQ"));
        assert!(decode_query(&qb).is_err(), "a labelled query is not a PSIQ");
        let mut mode0 = qb.clone();
        mode0[5] = 0;
        let e = decode_labelled_query(&mode0).unwrap_err();
        assert_eq!((e.at, e.why.contains("mode 2")), (5, true), "{e}");
        assert!(decode_labelled_answer(&ab[..ab.len() - 1]).unwrap_err().why.contains("truncated"));
        assert!(decode_labelled_answer(&[ab.as_slice(), &[0]].concat()).unwrap_err().why.contains("trailing"));
        let entries_at = 14 + 16 + 1 + 4 + 2 * 32;
        let mut huge = ab[..entries_at].to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        huge.extend_from_slice(&(slot as u16).to_be_bytes());
        assert!(decode_labelled_answer(&huge).unwrap_err().why.contains("truncated"));
        // A slot out of range, entries out of order.
        let mut bad_slot = ab.clone();
        bad_slot[entries_at + 4..entries_at + 6].copy_from_slice(&1u16.to_be_bytes());
        assert_eq!(decode_labelled_answer(&bad_slot).unwrap_err().at, entries_at + 4);
        let mut unsorted = a.clone();
        unsorted.entries.swap(0, 2);
        let e = decode_labelled_answer(&encode_labelled_answer(&unsorted)).unwrap_err();
        assert!(e.why.contains("out of tag order"), "{e}");
        let mut points = ab.clone();
        points[14 + 16 + 1 + 3] = 0xff;
        assert!(decode_labelled_answer(&points).is_err());
        // Field names round-trip; an empty or non-UTF-8 name is refused where it is.
        let named = LabelledAnswer { fields: vec!["dealer".into(), "trace_ref".into()], ..a.clone() };
        let nb = encode_labelled_answer(&named);
        assert_eq!(nb.len(), ab.len() + 1 + 6 + 1 + 9);
        assert_eq!(decode_labelled_answer(&nb).unwrap(), named);
        let mut empty = nb.clone();
        empty[31] = 0;
        assert_eq!(decode_labelled_answer(&empty).unwrap_err().at, 31);
        let mut latin = nb.clone();
        latin[32] = 0xff;
        let e = decode_labelled_answer(&latin).unwrap_err();
        assert!(e.why.contains("not UTF-8") && e.at == 32, "{e}");
    }

    #[test]
    fn size_only_messages_round_trip_and_are_bounded() {
        let items: Vec<Vec<u8>> = vec![b"A1".to_vec(), b"B2".to_vec(), b"C3".to_vec()];
        let holder = HolderSet::encode(&items, Normalizer::Serial).unwrap();
        let w = holder.blinded_set();
        let wb = encode_blinded_set(&w);
        assert_eq!(wb.len(), 4 + 3 + 6 + 4 + 3 * 32);
        assert_eq!(decode_blinded_set(&wb).unwrap(), w);
        let c = crate::count_query(&items[..2], Normalizer::Serial, &w).unwrap();
        let cb = encode_count_query(&c);
        assert_eq!(cb.len(), 13 + 32 + 4 + 2 * 32 + 4 + 3 * TAG_BYTES);
        assert_eq!(decode_count_query(&cb).unwrap(), c);
        let n = CountAnswer { normalizer: Normalizer::Serial, count: 2 };
        assert_eq!(decode_count_answer(&encode_count_answer(&n)).unwrap(), n);
        // The wrong message, a truncation, a trailing byte, the wrong mode, counts beyond the bytes.
        assert!(decode_count_query(&wb).is_err());
        assert!(decode_count_query(&cb[..cb.len() - 1]).is_err());
        assert!(decode_blinded_set(&[wb.as_slice(), &[0]].concat()).is_err());
        let mut mode0 = cb.clone();
        mode0[5] = 0;
        let e = decode_count_query(&mode0).unwrap_err();
        assert_eq!(e.at, 5, "{e}");
        let mut huge = cb[..45].to_vec();
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode_count_query(&huge).unwrap_err().why.contains("truncated"));
        let mut many_tags = cb[..cb.len() - 3 * TAG_BYTES - 4].to_vec();
        many_tags.extend_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode_count_query(&many_tags).is_err());
    }
}
