//! Value forms: what a string must look like to be a domain name, an address, a hash, …

use serde_json::{Map, Value};

pub(super) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 80 {
        let mut end = 77;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s
    }
}

pub(super) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

pub(super) fn is_dict_key(k: &str) -> bool {
    (1..=250).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// RFC 1034 in outline: dot-separated labels of 1-63 characters, no spaces or URL/address
/// punctuation; internationalised (non-ASCII) labels are allowed.
pub(super) fn is_domain_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| !c.is_ascii() || c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*')
        })
}

/// An addr-spec: local@domain with no spaces, angle brackets or display name.
pub(super) fn is_addr_spec(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !s.chars().any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';'))
                && (local.starts_with('"') || !local.contains('@'))
        }
        None => false,
    }
}

/// A MAC-48 address: six lowercase two-digit hex octets joined by ':'.
pub(super) fn is_mac48(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts.iter().all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// A CPE 2.3 formatted string: `cpe:2.3:` then 11 more components (escaped colons allowed).
pub(super) fn is_cpe23(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("cpe:2.3:") else { return false };
    let mut parts = 1;
    let mut escaped = false;
    for c in rest.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            ':' if !escaped => parts += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    parts == 11 && matches!(rest.chars().next(), Some('a' | 'o' | 'h' | '*' | '-'))
}

pub(super) fn is_hex(s: &str) -> bool {
    s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(super) fn is_base64(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(4) {
        return false;
    }
    let pad = b.iter().rev().take_while(|&&c| c == b'=').count();
    pad <= 2 && b[..b.len() - pad].iter().all(|&c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

pub(super) fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// RFC 5646 in outline: alphanumeric subtags of 1-8 characters joined by '-', the first alphabetic.
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first_ok =
        parts.next().is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    first_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Whether a granular-marking selector (`a.b.[2].c`) points at something in the object.
pub fn selector_resolves(root: &Map<String, Value>, selector: &str) -> bool {
    let mut parts = selector.split('.');
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(mut cur) = root.get(first) else {
        return false;
    };
    for part in parts {
        cur = match (part.strip_prefix('[').and_then(|p| p.strip_suffix(']')), cur) {
            (Some(i), Value::Array(items)) => match i.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(v) => v,
                None => return false,
            },
            (None, Value::Object(m)) => match m.get(part) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    true
}
