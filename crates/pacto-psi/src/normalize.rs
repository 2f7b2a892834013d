//! Normalisers: both sides must put an item in the same form before hashing, or equal items
//! would not match. The rule is declared in every message, and a mismatch is an error.

use unicode_normalization::UnicodeNormalization;

pub mod firearm;

/// How items are put in canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Normalizer {
    /// Firearm (and other) serial numbers: ASCII letters upper-cased; spaces, hyphens, dots and
    /// slashes removed; only letters and digits remain.
    Serial,
    /// Telephone numbers in E.164: `+` (or `00`) then 8-15 digits; spaces, hyphens, dots and
    /// parentheses ignored. National formats are refused (the country code is not guessed).
    PhoneE164,
    /// E-mail addresses: trimmed and lower-cased, one `@` with text on both sides.
    Email,
    /// Free text: Unicode NFKC, lower-cased, white space trimmed and collapsed.
    Text,
    /// Raw bytes, as given.
    Bytes,
    /// A firearm: `MANUFACTURER<TAB>SERIAL`, keyed as `manufacturer/SERIAL` with the
    /// manufacturer's canonical name and the serial's canonical form ([`firearm`]); the same
    /// serial under two makers is two items.
    Firearm,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{normalizer}: {item:?} {why}")]
pub struct NormalizeError {
    pub normalizer: &'static str,
    pub item: String,
    pub why: String,
}

impl Normalizer {
    pub const ALL: [Normalizer; 6] = [
        Normalizer::Serial,
        Normalizer::PhoneE164,
        Normalizer::Email,
        Normalizer::Text,
        Normalizer::Bytes,
        Normalizer::Firearm,
    ];

    /// The rule's name, as declared in messages and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Normalizer::Serial => "serial",
            Normalizer::PhoneE164 => "e164",
            Normalizer::Email => "email",
            Normalizer::Text => "text",
            Normalizer::Bytes => "bytes",
            Normalizer::Firearm => "firearm",
        }
    }

    pub fn parse(s: &str) -> Option<Normalizer> {
        Normalizer::ALL.into_iter().find(|n| n.id() == s)
    }

    /// The canonical bytes of one item.
    pub fn apply(self, item: &[u8]) -> Result<Vec<u8>, NormalizeError> {
        let err = |why: &str| NormalizeError {
            normalizer: self.id(),
            item: String::from_utf8_lossy(item).chars().take(64).collect(),
            why: why.to_string(),
        };
        if self == Normalizer::Bytes {
            return Ok(item.to_vec());
        }
        let text = std::str::from_utf8(item).map_err(|_| err("is not UTF-8"))?;
        match self {
            Normalizer::Serial => {
                let out: String = text
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '\t' | '-' | '.' | '/'))
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                if out.is_empty() {
                    return Err(err("is empty"));
                }
                if !out.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(err("has characters other than letters, digits, spaces, '-', '.', '/'"));
                }
                Ok(out.into_bytes())
            }
            Normalizer::PhoneE164 => {
                let t: String = text.chars().filter(|c| !matches!(c, ' ' | '\t' | '-' | '.' | '(' | ')')).collect();
                let digits = t
                    .strip_prefix('+')
                    .or_else(|| t.strip_prefix("00"))
                    .ok_or_else(|| err("has no country code (+ or 00)"))?;
                if !(8..=15).contains(&digits.len())
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                    || digits.starts_with('0')
                {
                    return Err(err("is not an E.164 number (8-15 digits after +, not starting with 0)"));
                }
                Ok(format!("+{digits}").into_bytes())
            }
            Normalizer::Email => {
                let t = text.trim().to_lowercase();
                match t.split_once('@') {
                    Some((l, d))
                        if !l.is_empty() && !d.is_empty() && !d.contains('@') && !t.contains(char::is_whitespace) =>
                    {
                        Ok(t.into_bytes())
                    }
                    _ => Err(err("is not an e-mail address")),
                }
            }
            Normalizer::Text => {
                let nfkc: String = text.nfkc().collect::<String>().to_lowercase();
                let out = nfkc.split_whitespace().collect::<Vec<_>>().join(" ");
                if out.is_empty() {
                    return Err(err("is empty"));
                }
                Ok(out.into_bytes())
            }
            Normalizer::Firearm => firearm::item_key(text).map(String::into_bytes).map_err(|e| err(&e.to_string())),
            Normalizer::Bytes => unreachable!("handled above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(rule: Normalizer, s: &str) -> Result<String, NormalizeError> {
        rule.apply(s.as_bytes()).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn serials() {
        assert_eq!(n(Normalizer::Serial, "ab-12 34.5/x").unwrap(), "AB12345X");
        assert_eq!(n(Normalizer::Serial, "AB12345X").unwrap(), "AB12345X");
        assert!(n(Normalizer::Serial, " - ").is_err());
        assert!(n(Normalizer::Serial, "AB#1").is_err());
    }

    #[test]
    fn phones() {
        assert_eq!(n(Normalizer::PhoneE164, "+52 1 (656) 123-4567").unwrap(), "+5216561234567");
        assert_eq!(n(Normalizer::PhoneE164, "0052 16561234567").unwrap(), "+5216561234567");
        assert!(n(Normalizer::PhoneE164, "656 123 4567").is_err(), "no country code");
        assert!(n(Normalizer::PhoneE164, "+0123456789").is_err());
        assert!(n(Normalizer::PhoneE164, "+1234567").is_err(), "too short");
        assert!(n(Normalizer::PhoneE164, "+1234567890123456").is_err(), "too long");
    }

    #[test]
    fn emails_and_text() {
        assert_eq!(n(Normalizer::Email, "  Juan.Perez@Example.MX ").unwrap(), "juan.perez@example.mx");
        assert!(n(Normalizer::Email, "no-at-sign").is_err());
        assert!(n(Normalizer::Email, "a@b@c").is_err());
        assert_eq!(n(Normalizer::Text, "  Ｆｉｒｅａｒｍｓ\u{2003} Dealer ").unwrap(), "firearms dealer");
        assert_eq!(n(Normalizer::Text, "STRAßE").unwrap(), "straße");
        assert!(Normalizer::Text.apply(&[0xff]).is_err());
        assert_eq!(Normalizer::Bytes.apply(&[0, 255]).unwrap(), vec![0, 255]);
    }
}
