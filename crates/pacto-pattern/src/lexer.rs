//! The lexer: the token rules of the OASIS STIX 2.1 pattern grammar, longest match first and the
//! earlier rule on a tie, so that `true` is a boolean, `t'…'` a timestamp and `h'zz'` the
//! identifier `h` followed by a string (which the parser then rejects).

use crate::time;

/// Keywords. They are upper case only; `and` is an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kw {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
}

impl Kw {
    fn from_word(w: &str) -> Option<Kw> {
        Some(match w {
            "AND" => Kw::And,
            "OR" => Kw::Or,
            "NOT" => Kw::Not,
            "FOLLOWEDBY" => Kw::FollowedBy,
            "LIKE" => Kw::Like,
            "MATCHES" => Kw::Matches,
            "ISSUPERSET" => Kw::IsSuperset,
            "ISSUBSET" => Kw::IsSubset,
            "EXISTS" => Kw::Exists,
            "LAST" => Kw::Last,
            "IN" => Kw::In,
            "START" => Kw::Start,
            "STOP" => Kw::Stop,
            "SECONDS" => Kw::Seconds,
            "WITHIN" => Kw::Within,
            "REPEATS" => Kw::Repeats,
            "TIMES" => Kw::Times,
            _ => return None,
        })
    }
}

/// One token. Literal values are decoded here; the span gives the source text.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    LBrack,
    RBrack,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Kw(Kw),
    Bool(bool),
    /// An identifier; `hyphen` when it contains `-` (allowed only as an object type).
    Ident {
        hyphen: bool,
    },
    /// An integer literal, kept as text: `+` and `-` signs, no leading zeros.
    Int,
    Float,
    Str(String),
    Hex(Vec<u8>),
    Bin(Vec<u8>),
    Time(time::Instant),
    /// A character no token rule accepts (a lone `'`, `-`, `/`, `^`, `+`, or anything else).
    Other(char),
    Eof,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Whitespace as the grammar's WS rule lists it.
fn is_ws(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The body of a quoted literal starting at `at` (which holds the opening quote): its decoded
/// text and the offset after the closing quote. Only `\'` and `\\` may be escaped.
fn string_at(src: &str, at: usize) -> Option<(String, usize)> {
    let b = src.as_bytes();
    let mut out = String::new();
    let mut i = at + 1;
    let mut run = i;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                out.push_str(&src[run..i]);
                return Some((out, i + 1));
            }
            b'\\' => {
                out.push_str(&src[run..i]);
                match b.get(i + 1) {
                    Some(b'\'') => out.push('\''),
                    Some(b'\\') => out.push('\\'),
                    _ => return None,
                }
                i += 2;
                run = i;
            }
            _ => i += 1,
        }
    }
    None
}

pub(crate) fn hex_body(body: &str) -> Option<Vec<u8>> {
    let b = body.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    b.chunks(2).map(|p| Some(nib(p[0])? << 4 | nib(p[1])?)).collect()
}

/// Standard base64 as the grammar's BinaryLiteral rule has it: whole quads, the last one may be
/// padded, and at least one quad.
pub fn base64_body(body: &str) -> Option<Vec<u8>> {
    // Line breaks inside the literal are ignored (STIX 2.1 §9.2).
    let stripped: Vec<u8>;
    let mut b = body.as_bytes();
    if b.iter().any(|&c| c == b'\n' || c == b'\r') {
        stripped = b.iter().copied().filter(|&c| c != b'\n' && c != b'\r').collect();
        b = &stripped;
    }
    if b.is_empty() || !b.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let quads = b.len() / 4;
    for (q, quad) in b.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && q + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = n << 6 | val(c)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// A number at `at`: `+`/`-` sign, integer without leading zeros, or `[0-9]* . [0-9]+`.
/// Returns the token and its end, or None when no number rule matches.
fn number_at(b: &[u8], at: usize) -> Option<(Tok, usize)> {
    let mut i = at;
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_end = i;
    // Float: [0-9]* '.' [0-9]+ (longest match wins over the integer).
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        let mut j = i + 1;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        return Some((Tok::Float, j));
    }
    if int_end == digits_start {
        return None;
    }
    // Integer: '0' | [1-9][0-9]*; "007" lexes as "0" and then "07"...
    if b[digits_start] == b'0' {
        return Some((Tok::Int, digits_start + 1));
    }
    Some((Tok::Int, int_end))
}

/// Tokenise the whole pattern. Never fails: characters no rule takes become [`Tok::Other`].
pub fn lex(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = src[i..].chars().next().unwrap_or('\0');
        if is_ws(c) {
            i += c.len_utf8();
            continue;
        }
        if b[i..].starts_with(b"/*")
            && let Some(end) = src[i + 2..].find("*/")
        {
            i += 2 + end + 2;
            continue;
        }
        if b[i..].starts_with(b"//") {
            i = src[i..].find(['\r', '\n']).map_or(b.len(), |e| i + e);
            continue;
        }
        let start = i;
        let (tok, end) = match b[i] {
            b'[' => (Tok::LBrack, i + 1),
            b']' => (Tok::RBrack, i + 1),
            b'(' => (Tok::LParen, i + 1),
            b')' => (Tok::RParen, i + 1),
            b':' => (Tok::Colon, i + 1),
            b',' => (Tok::Comma, i + 1),
            b'*' => (Tok::Star, i + 1),
            b'=' if b.get(i + 1) == Some(&b'=') => (Tok::Eq, i + 2),
            b'=' => (Tok::Eq, i + 1),
            b'!' if b.get(i + 1) == Some(&b'=') => (Tok::Ne, i + 2),
            b'<' if b.get(i + 1) == Some(&b'>') => (Tok::Ne, i + 2),
            b'<' if b.get(i + 1) == Some(&b'=') => (Tok::Le, i + 2),
            b'<' => (Tok::Lt, i + 1),
            b'>' if b.get(i + 1) == Some(&b'=') => (Tok::Ge, i + 2),
            b'>' => (Tok::Gt, i + 1),
            b'\'' => match string_at(src, i) {
                Some((s, end)) => (Tok::Str(s), end),
                None => (Tok::Other('\''), i + 1),
            },
            b'.' | b'+' | b'-' | b'0'..=b'9' => match number_at(b, i) {
                Some(t) => t,
                None if b[i] == b'.' => (Tok::Dot, i + 1),
                None => (Tok::Other(b[i] as char), i + 1),
            },
            c if is_ident_start(c) => {
                // Prefixed literals first: t'…', h'…', b'…' (longer than the identifier).
                let prefixed = if b.get(i + 1) == Some(&b'\'') && matches!(c, b't' | b'h' | b'b') {
                    string_at(src, i + 1).and_then(|(body, end)| {
                        let tok = match c {
                            b't' => timestamp_literal(&body).map(Tok::Time),
                            b'h' => hex_body(&body).map(Tok::Hex),
                            _ => base64_body(&body).map(Tok::Bin),
                        }?;
                        // The body may not contain escapes for these literals.
                        (end - i - 3 == body.len()).then_some((tok, end))
                    })
                } else {
                    None
                };
                match prefixed {
                    Some(t) => t,
                    None => {
                        let mut j = i + 1;
                        while j < b.len() && is_ident_char(b[j]) {
                            j += 1;
                        }
                        let plain_end = j;
                        while j < b.len() && (is_ident_char(b[j]) || b[j] == b'-') {
                            j += 1;
                        }
                        if j > plain_end {
                            (Tok::Ident { hyphen: true }, j)
                        } else {
                            let word = &src[i..j];
                            match word {
                                "true" => (Tok::Bool(true), j),
                                "false" => (Tok::Bool(false), j),
                                _ => match Kw::from_word(word) {
                                    Some(k) => (Tok::Kw(k), j),
                                    None => (Tok::Ident { hyphen: false }, j),
                                },
                            }
                        }
                    }
                }
            }
            _ => (Tok::Other(c), i + c.len_utf8()),
        };
        out.push(Token { tok, start, end });
        i = end;
    }
    out.push(Token { tok: Tok::Eof, start: b.len(), end: b.len() });
    out
}

/// The grammar's TimestampLiteral body: fixed digits, month 01–12, day 01–31, hour 00–23,
/// second up to 60, optional fraction, `Z`. The calendar check (no 30 February) is the parser's.
fn timestamp_literal(body: &str) -> Option<time::Instant> {
    let b = body.as_bytes();
    let form = b.len() >= 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && *b.last()? == b'Z';
    if !form {
        return None;
    }
    // The form is right; an impossible date still lexes as a timestamp so that the parser can say
    // precisely what is wrong with it. Represent it with a sentinel the parser checks.
    Some(time::parse(body).unwrap_or(INVALID_DATE))
}

/// Stands for a `t'…'` literal of the right shape whose date does not exist.
pub const INVALID_DATE: time::Instant = i128::MIN;

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn longest_match_and_rule_order() {
        assert_eq!(toks("true"), vec![Tok::Bool(true), Tok::Eof]);
        assert_eq!(toks("TRUE"), vec![Tok::Ident { hyphen: false }, Tok::Eof]);
        assert_eq!(toks("ANDx"), vec![Tok::Ident { hyphen: false }, Tok::Eof]);
        assert_eq!(toks("x-y"), vec![Tok::Ident { hyphen: true }, Tok::Eof]);
        assert_eq!(toks("h'0a'"), vec![Tok::Hex(vec![10]), Tok::Eof]);
        assert_eq!(toks("h'0'"), vec![Tok::Ident { hyphen: false }, Tok::Str("0".into()), Tok::Eof]);
        assert_eq!(toks("b'AQI='"), vec![Tok::Bin(vec![1, 2]), Tok::Eof]);
        assert_eq!(toks("007"), vec![Tok::Int, Tok::Int, Tok::Int, Tok::Eof]);
        assert_eq!(toks("-.5 1. +2"), vec![Tok::Float, Tok::Int, Tok::Dot, Tok::Int, Tok::Eof]);
        assert_eq!(toks("'a\\'b\\\\'"), vec![Tok::Str("a'b\\".into()), Tok::Eof]);
        assert_eq!(toks("'a\\nb'")[0], Tok::Other('\''));
        assert_eq!(toks("/* c */ [ // x\n ]"), vec![Tok::LBrack, Tok::RBrack, Tok::Eof]);
        assert_eq!(toks("== <> !="), vec![Tok::Eq, Tok::Ne, Tok::Ne, Tok::Eof]);
    }

    #[test]
    fn base64_padding_rules() {
        assert_eq!(base64_body("AAAA"), Some(vec![0, 0, 0]));
        assert_eq!(base64_body("AA=="), Some(vec![0]));
        assert_eq!(base64_body("AAA="), Some(vec![0, 0]));
        assert_eq!(base64_body("A==="), None);
        assert_eq!(base64_body("AA==AAAA"), None);
        assert_eq!(base64_body(""), None);
        assert_eq!(base64_body("AAA"), None);
    }
}
