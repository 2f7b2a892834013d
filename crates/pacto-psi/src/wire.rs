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

use crate::{Answer, BlindedSet, CountAnswer, CountQuery, Mode, Normalizer, Query, TAG_BYTES};

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
