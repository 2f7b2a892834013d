//! Comparison expressions against the objects of one observation.
//!
//! Semantics (STIX 2.1 §9.5–9.6), and where the reference matcher agrees:
//! - A comparison selects the objects of its type; the path may yield several values (lists
//!   with `[*]`, references); the comparison holds for an object when it holds for *some* value.
//!   `NOT` negates the test on each value. A path that yields nothing makes the comparison false,
//!   with or without `NOT`.
//! - `AND` inside `[ … ]` needs one object that satisfies both sides; `OR` either side (so an OR
//!   across two object types matches either object).
//! - `_ref` and `_refs` properties are followed to the referenced objects, within the same
//!   observation. `_hex` and `_bin` properties compare as binary.
//! - Values of different types are not equal and have no order (integers and floats compare as
//!   numbers; a string compares with binary when all its characters are below U+0100).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::net::IpAddr;

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use crate::ast::{CmpExpr, Comparison, Literal, ObjectPath, Op, Step};
use crate::observation::Observation;
use crate::time;

/// A value a path step produced.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    Json(&'a Value),
    Bytes(Vec<u8>),
    /// The objects a `_refs` list points to.
    Refs(Vec<&'a Value>),
}

/// A comparison with its constant prepared for evaluation.
#[derive(Debug)]
pub struct Test {
    pub path: ObjectPath,
    pub negated: bool,
    pred: Pred,
    /// The path is plain keys (no references, lists or binary suffixes): one lookup per step,
    /// at most one value. The common case, evaluated without the general walk.
    plain: bool,
}

#[derive(Debug)]
enum Pred {
    Eq(Literal),
    Ne(Literal),
    Order(Literal, fn(Ordering) -> bool),
    In(Vec<Literal>),
    Like(String),
    Matches(Option<regex::Regex>, Option<regex::bytes::Regex>),
    Subset(Option<Net>),
    Superset(Option<Net>),
    Exists,
}

/// A compiled comparison expression.
#[derive(Debug)]
pub enum TestExpr {
    And(Vec<TestExpr>),
    Or(Vec<TestExpr>),
    Test(Test),
}

/// An IP network (an address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    pub fn parse(s: &str) -> Option<Net> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3 => p.parse().ok()?,
            Some(_) => return None,
        };
        (prefix <= max).then_some(Net { addr, prefix })
    }

    /// Whether `inner` lies within `self`.
    pub fn contains(&self, inner: &Net) -> bool {
        if inner.prefix < self.prefix {
            return false;
        }
        match (self.addr, inner.addr) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(a) & mask == u32::from(b) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(a) & mask == u128::from(b) & mask
            }
            _ => false,
        }
    }
}

/// Compile a comparison expression. Constants that cannot be evaluated (a regular expression
/// pacto cannot run, a malformed network) are reported in `unusable`: the grammar accepts them,
/// but no answer about such a pattern would be right.
pub fn compile(e: &CmpExpr, unusable: &mut Vec<String>) -> TestExpr {
    match e {
        CmpExpr::And(v) => TestExpr::And(v.iter().map(|e| compile(e, unusable)).collect()),
        CmpExpr::Or(v) => TestExpr::Or(v.iter().map(|e| compile(e, unusable)).collect()),
        CmpExpr::Test(c) => TestExpr::Test(compile_test(c, unusable)),
    }
}

fn compile_test(c: &Comparison, unusable: &mut Vec<String>) -> Test {
    let pred = match &c.op {
        Op::Eq(l) => Pred::Eq(l.clone()),
        Op::Ne(l) => Pred::Ne(l.clone()),
        Op::Lt(l) => Pred::Order(l.clone(), Ordering::is_lt),
        Op::Le(l) => Pred::Order(l.clone(), Ordering::is_le),
        Op::Gt(l) => Pred::Order(l.clone(), Ordering::is_gt),
        Op::Ge(l) => Pred::Order(l.clone(), Ordering::is_ge),
        Op::In(items) => Pred::In(items.clone()),
        Op::Like(s) => Pred::Like(s.nfc().collect()),
        Op::Matches(re) => {
            let re: String = re.nfc().collect();
            // STIX 2.1 §9.6.1: PCRE semantics with `.` matching line breaks too.
            let text = regex::RegexBuilder::new(&re).size_limit(1 << 22).dot_matches_new_line(true).build();
            let bytes = regex::bytes::RegexBuilder::new(&re)
                .size_limit(1 << 22)
                .dot_matches_new_line(true)
                .unicode(false)
                .build()
                .ok();
            if let Err(e) = &text {
                unusable.push(format!(
                    "MATCHES '{re}' cannot be evaluated: {} (pacto's regular expressions run in linear time, without look-around or back-references)",
                    first_line(&e.to_string())
                ));
            }
            Pred::Matches(text.ok(), bytes)
        }
        Op::IsSubset(s) | Op::IsSuperset(s) => {
            let net = Net::parse(s);
            if net.is_none() {
                unusable.push(format!(
                    "{} '{s}' cannot be evaluated: not an IPv4 or IPv6 address or CIDR block",
                    c.op.keyword()
                ));
            }
            if matches!(c.op, Op::IsSubset(_)) { Pred::Subset(net) } else { Pred::Superset(net) }
        }
        Op::Exists => Pred::Exists,
    };
    let plain = c.path.steps.iter().all(|s| match s {
        Step::Key(k) => !["_ref", "_refs", "_hex", "_bin"].iter().any(|x| k.ends_with(x)),
        _ => false,
    });
    Test { path: c.path.clone(), negated: c.negated, pred, plain }
}

fn first_line(s: &str) -> &str {
    s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}

impl TestExpr {
    /// Whether some object of the observation satisfies the expression.
    pub fn holds(&self, obs: &Observation<'_>) -> bool {
        obs.objects.iter().any(|o| self.holds_for(o.type_name, o.value, obs))
    }

    /// Whether the expression holds with `root` (of type `ty`) as the object every comparison
    /// starts from.
    pub fn holds_for(&self, ty: &str, root: &Value, obs: &Observation<'_>) -> bool {
        match self {
            TestExpr::And(v) => v.iter().all(|e| e.holds_for(ty, root, obs)),
            TestExpr::Or(v) => v.iter().any(|e| e.holds_for(ty, root, obs)),
            TestExpr::Test(t) => t.holds_for(ty, root, obs),
        }
    }
}

impl Test {
    pub fn holds_for(&self, ty: &str, root: &Value, obs: &Observation<'_>) -> bool {
        if ty != self.path.object_type {
            return false;
        }
        if matches!(self.pred, Pred::Exists) {
            // EXISTS: some value at the path; NOT EXISTS: none.
            return walk(&self.path.steps, Val::Json(root), obs, &mut |_| true) != self.negated;
        }
        if self.plain {
            let mut v = root;
            for step in &self.path.steps {
                let Step::Key(k) = step else { return false };
                match v.get(k.as_str()) {
                    Some(x) => v = x,
                    None => return false,
                }
            }
            return self.pred_holds(&Val::Json(v)) != self.negated;
        }
        let mut found = false;
        walk(&self.path.steps, Val::Json(root), obs, &mut |v| {
            found = self.pred_holds(v) != self.negated;
            found
        });
        found
    }

    fn pred_holds(&self, v: &Val<'_>) -> bool {
        // A list, a dictionary or null is a value of another type than any constant: never
        // equal, no order, not text.
        let Some(s) = scalar(v) else { return matches!(self.pred, Pred::Ne(_)) };
        match &self.pred {
            Pred::Eq(l) => equal(&s, l),
            Pred::Ne(l) => !equal(&s, l),
            Pred::Order(l, ok) => order(&s, l).is_some_and(ok),
            Pred::In(items) => items.iter().any(|l| equal(&s, l)),
            Pred::Like(p) => text_of(&s).is_some_and(|t| like(nfc(&t).as_bytes(), p.as_bytes())),
            Pred::Matches(re, bre) => match &s {
                Scalar::Str(t) => re.as_ref().is_some_and(|re| re.is_match(&nfc(t))),
                Scalar::Bytes(b) => match std::str::from_utf8(b) {
                    Ok(t) => re.as_ref().is_some_and(|re| re.is_match(t)),
                    Err(_) => bre.as_ref().is_some_and(|re| re.is_match(b)),
                },
                _ => false,
            },
            Pred::Subset(n) => net_of(&s).zip(n.as_ref()).is_some_and(|(v, n)| n.contains(&v)),
            Pred::Superset(n) => net_of(&s).zip(n.as_ref()).is_some_and(|(v, n)| v.contains(n)),
            Pred::Exists => true,
        }
    }
}

/// Follow `steps` from `v`, calling `f` on every value reached until it returns true.
pub(crate) fn walk<'a>(steps: &[Step], v: Val<'a>, obs: &Observation<'a>, f: &mut dyn FnMut(&Val<'a>) -> bool) -> bool {
    let Some((step, rest)) = steps.split_first() else { return f(&v) };
    match (step, v) {
        (Step::Key(k), Val::Json(Value::Object(m))) => {
            let Some(x) = m.get(k.as_str()) else { return false };
            if k.ends_with("_ref") {
                return match x.as_str().and_then(|r| obs.deref(r)) {
                    Some(o) => walk(rest, Val::Json(o), obs, f),
                    None => false,
                };
            }
            if k.ends_with("_refs") {
                let Some(list) = x.as_array() else { return false };
                let objs: Vec<&Value> = list.iter().filter_map(|r| r.as_str().and_then(|r| obs.deref(r))).collect();
                return !objs.is_empty() && walk(rest, Val::Refs(objs), obs, f);
            }
            let decoded = if k.ends_with("_hex") {
                x.as_str().and_then(crate::lexer::hex_body)
            } else if k.ends_with("_bin") {
                x.as_str().and_then(crate::lexer::base64_body)
            } else {
                return walk(rest, Val::Json(x), obs, f);
            };
            match decoded {
                Some(b) => walk(rest, Val::Bytes(b), obs, f),
                None => false,
            }
        }
        (Step::Index(i), Val::Json(Value::Array(a))) => {
            usize::try_from(*i).ok().and_then(|i| a.get(i)).is_some_and(|x| walk(rest, Val::Json(x), obs, f))
        }
        (Step::Index(i), Val::Refs(a)) => {
            usize::try_from(*i).ok().and_then(|i| a.get(i)).is_some_and(|x| walk(rest, Val::Json(x), obs, f))
        }
        (Step::AnyIndex, Val::Json(Value::Array(a))) => a.iter().any(|x| walk(rest, Val::Json(x), obs, f)),
        (Step::AnyIndex, Val::Refs(a)) => a.iter().any(|x| walk(rest, Val::Json(x), obs, f)),
        _ => false,
    }
}

/// A value as comparisons see it.
#[derive(Debug)]
pub(crate) enum Scalar<'a> {
    Str(&'a str),
    Int(i128),
    Float(f64),
    Bool(bool),
    Bytes(Cow<'a, [u8]>),
}

pub(crate) fn scalar<'a>(v: &'a Val<'_>) -> Option<Scalar<'a>> {
    Some(match v {
        Val::Json(Value::String(s)) => Scalar::Str(s),
        Val::Json(Value::Bool(b)) => Scalar::Bool(*b),
        Val::Json(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Scalar::Int(i128::from(i)),
            (None, Some(u)) => Scalar::Int(i128::from(u)),
            _ => Scalar::Float(n.as_f64()?),
        },
        Val::Bytes(b) => Scalar::Bytes(Cow::Borrowed(b)),
        _ => return None,
    })
}

fn latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}

fn num_cmp(a: &Scalar<'_>, b: &Literal) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Int(x), Literal::Int(y)) => Some(x.cmp(y)),
        (Scalar::Int(x), Literal::Float(y)) => int_float(*x, *y),
        (Scalar::Float(x), Literal::Int(y)) => int_float(*y, *x).map(Ordering::reverse),
        (Scalar::Float(x), Literal::Float(y)) => x.partial_cmp(y),
        _ => None,
    }
}

/// An integer against a float, exactly when the float is integral (so that 2^60+1 is not 2^60).
fn int_float(i: i128, f: f64) -> Option<Ordering> {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e37 {
        Some(i.cmp(&(f as i128)))
    } else {
        (i as f64).partial_cmp(&f)
    }
}

pub(crate) fn equal(a: &Scalar<'_>, l: &Literal) -> bool {
    match (a, l) {
        (Scalar::Str(s), Literal::Str(t)) => s == t,
        (Scalar::Bool(x), Literal::Bool(y)) => x == y,
        (Scalar::Str(s), Literal::Time(t, _)) => time::parse(s) == Some(*t),
        (Scalar::Bytes(b), Literal::Bytes(c)) => b.as_ref() == c.as_slice(),
        (Scalar::Bytes(b), Literal::Str(s)) => latin1(s).is_some_and(|s| s == b.as_ref()),
        (Scalar::Str(s), Literal::Bytes(b)) => latin1(s).is_some_and(|s| &s == b),
        _ => num_cmp(a, l) == Some(Ordering::Equal),
    }
}

fn order(a: &Scalar<'_>, l: &Literal) -> Option<Ordering> {
    match (a, l) {
        (Scalar::Str(s), Literal::Str(t)) => Some((*s).cmp(t.as_str())),
        (Scalar::Str(s), Literal::Time(t, _)) => time::parse(s).map(|s| s.cmp(t)),
        (Scalar::Bytes(b), Literal::Bytes(c)) => Some(b.as_ref().cmp(c.as_slice())),
        (Scalar::Bytes(b), Literal::Str(s)) => latin1(s).map(|s| b.as_ref().cmp(s.as_slice())),
        (Scalar::Str(s), Literal::Bytes(b)) => latin1(s).map(|s| s.as_slice().cmp(b.as_slice())),
        _ => num_cmp(a, l),
    }
}

fn text_of<'a>(s: &'a Scalar<'_>) -> Option<Cow<'a, str>> {
    match s {
        Scalar::Str(t) => Some(Cow::Borrowed(t)),
        Scalar::Bytes(b) => std::str::from_utf8(b).ok().map(Cow::Borrowed),
        _ => None,
    }
}

fn net_of(s: &Scalar<'_>) -> Option<Net> {
    match s {
        Scalar::Str(t) => Net::parse(t),
        _ => None,
    }
}

/// Text in NFC, borrowed when it already is (always, for ASCII).
fn nfc(t: &str) -> Cow<'_, str> {
    if t.is_ascii() || unicode_normalization::is_nfc_quick(t.chars()) == unicode_normalization::IsNormalized::Yes {
        Cow::Borrowed(t)
    } else {
        Cow::Owned(t.nfc().collect())
    }
}

/// The length of the UTF-8 character that starts with byte `b`.
fn char_len(b: u8) -> usize {
    match b {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// SQL-style LIKE over UTF-8: `%` any run of characters, `_` exactly one; everything else
/// literal. Backtracks only to the last `%`, so it runs in O(text × pattern) at worst.
fn like(text: &[u8], pat: &[u8]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() && pat[p] == b'_' {
            t += char_len(text[t]);
            p += 1;
        } else if p < pat.len() && pat[p] == b'%' {
            star = Some((p, t));
            p += 1;
        } else if p < pat.len() && pat[p] == text[t] {
            t += 1;
            p += 1;
        } else if let Some((sp, st)) = star {
            let next = st + char_len(text[st]);
            p = sp + 1;
            t = next;
            star = Some((sp, next));
        } else {
            return false;
        }
    }
    t == text.len() && pat[p..].iter().all(|&c| c == b'%')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(s: &str, p: &str) -> bool {
        like(s.as_bytes(), p.as_bytes())
    }

    #[test]
    fn like_wildcards() {
        assert!(l("abc", "a%"));
        assert!(l("abc", "%c"));
        assert!(l("abc", "a_c"));
        assert!(!l("abc", "a_"));
        assert!(l("", "%"));
        assert!(!l("", "_"));
        assert!(l("a%c", "a%c"));
        assert!(l("axxbxxc", "a%b%c"));
        assert!(!l("axxbxx", "a%b%c"));
        assert!(l("line\nbreak", "line%"));
        assert!(l("é", "_"));
        assert!(l("aéb", "a_b"));
        assert!(!l("aéb", "a__b"));
        assert!(l("日本語", "%本_"));
    }

    #[test]
    fn networks() {
        let n = Net::parse("10.0.0.0/8").unwrap();
        assert!(n.contains(&Net::parse("10.1.2.3").unwrap()));
        assert!(n.contains(&Net::parse("10.1.0.0/16").unwrap()));
        assert!(!n.contains(&Net::parse("11.0.0.1").unwrap()));
        assert!(!Net::parse("10.1.0.0/16").unwrap().contains(&n));
        let v6 = Net::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(&Net::parse("2001:db8::1").unwrap()));
        assert!(!v6.contains(&Net::parse("10.0.0.1").unwrap()));
        assert!(Net::parse("0.0.0.0/0").unwrap().contains(&Net::parse("1.2.3.4").unwrap()));
        assert_eq!(Net::parse("10.0.0.0/33"), None);
        assert_eq!(Net::parse("10.0.0/8"), None);
    }
}
