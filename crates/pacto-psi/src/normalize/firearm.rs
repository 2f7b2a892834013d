//! What identifies a firearm: its manufacturer and its serial number, together. A serial alone
//! does not: two makers number their weapons independently, so `12345` by Colt and `12345` by
//! Ruger are two weapons. Both sides of a match put the pair in one canonical form, the key
//! `manufacturer/SERIAL` (for example `colt/LW12345`), and that key is what is hashed.
//!
//! The rules are written out in docs/firearms.md; each function below says which it applies.
//! Every rule is deliberately conservative: a fold that could make two different weapons look
//! alike is made only where makers' serial formats rule the collision out, and every fold that
//! is *not* made (S/5, B/8, Z/2, G/6, letters at either end) is listed there with its reason.

use std::collections::HashMap;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Why a manufacturer or a serial has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FirearmKeyError {
    #[error("the manufacturer {0:?} has no letters or digits")]
    EmptyManufacturer(String),
    #[error("the serial number {0:?} has no letters or digits")]
    EmptySerial(String),
    #[error(
        "the serial number {serial:?} has {found:?} at character {at}: a serial is letters and digits, with spaces, '-', '.', '/' or '_' between them"
    )]
    SerialCharacter { serial: String, found: char, at: usize },
    #[error("a firearm item is MANUFACTURER, a tab, then SERIAL; {0:?} has no tab")]
    NoTab(String),
}

/// Words a company name carries that say what kind of company it is, not which: dropped from
/// the end of a manufacturer's name, as many times as they appear (`Colt's Manufacturing
/// Company LLC` → `colt`). Dots are removed before this list applies, so `S.p.A.` is `spa`.
const CORPORATE_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "cos",
    "company",
    "companies",
    "llc",
    "lp",
    "llp",
    "ltd",
    "limited",
    "gmbh",
    "mbh",
    "gesmbh",
    "ag",
    "kg",
    "sa",
    "sas",
    "spa",
    "srl",
    "sro",
    "as",
    "ad",
    "doo",
    "jsc",
    "jsco",
    "pjsc",
    "oao",
    "ojsc",
    "nv",
    "bv",
    "plc",
    "pty",
    "oy",
    "ab",
    "mfg",
    "manufacturing",
    "industries",
    "group",
    "holding",
    "holdings",
    "and",
    "sons",
    "usa",
    "us",
];

/// Canonical manufacturer keys and the names they are known by. Every alias is put through
/// the generic rule ([`generic_manufacturer`]) when the table is built, so an alias is written
/// the way people write it. A name that is not here gets the generic rule alone, which already
/// covers case, accents, punctuation and corporate suffixes (`GLOCK Ges.m.b.H.` → `glock`);
/// the table is for names the generic rule cannot bring together (`S&W`, `Izhmash`, `FNH`).
const MANUFACTURERS: &[(&str, &[&str])] = &[
    ("anderson", &["Anderson Manufacturing", "Anderson Mfg", "Anderson Manufacturing Inc"]),
    ("arsenal", &["Arsenal", "Arsenal Inc", "Arsenal JSCo", "Arsenal AD"]),
    ("beretta", &["Beretta", "Pietro Beretta", "Fabbrica d'Armi Pietro Beretta", "Beretta USA", "Beretta U.S.A. Corp"]),
    ("bersa", &["Bersa", "Bersa S.A."]),
    ("browning", &["Browning", "Browning Arms", "Browning Arms Company"]),
    ("bushmaster", &["Bushmaster", "Bushmaster Firearms", "Bushmaster Firearms International"]),
    ("canik", &["Canik", "Canik55", "Samsun Yurt Savunma", "Samsun Yurt Savunma Sanayi"]),
    ("century-arms", &["Century Arms", "Century International Arms", "Century Arms International", "CAI"]),
    (
        "colt",
        &[
            "Colt",
            "Colt's Manufacturing Company",
            "Colt's Mfg Co",
            "Colt Mfg",
            "Colt Firearms",
            "Colt Defense",
            "Colt's Patent Fire Arms Manufacturing Company",
        ],
    ),
    (
        "cz",
        &[
            "CZ",
            "Česká zbrojovka",
            "Česká zbrojovka Uherský Brod",
            "Česká zbrojovka a.s.",
            "CZUB",
            "CZ-USA",
            "CZ Group",
        ],
    ),
    ("daniel-defense", &["Daniel Defense", "Daniel Defense Inc"]),
    (
        "fn-herstal",
        &[
            "FN Herstal",
            "FN",
            "FNH",
            "FNH USA",
            "FN America",
            "Fabrique Nationale",
            "Fabrique Nationale d'Herstal",
            "Fabrique Nationale de Herstal",
        ],
    ),
    ("glock", &["Glock", "Glock GmbH", "Glock Ges.m.b.H.", "Glock Inc"]),
    ("heckler-koch", &["Heckler & Koch", "Heckler and Koch", "Heckler & Koch GmbH", "H&K", "HK"]),
    ("hi-point", &["Hi-Point", "Hi Point", "HiPoint", "Hi-Point Firearms", "Beemiller", "Beemiller Inc"]),
    ("hs-produkt", &["HS Produkt", "HS Produkt d.o.o.", "IM Metal"]),
    ("imbel", &["IMBEL", "Indústria de Material Bélico do Brasil"]),
    ("iwi", &["IWI", "Israel Weapon Industries", "IWI US", "Israel Military Industries", "IMI"]),
    (
        "kalashnikov",
        &[
            "Kalashnikov",
            "Kalashnikov Concern",
            "Kalashnikov Group",
            "Izhmash",
            "Izhevsk Machine-Building Plant",
            "Концерн Калашников",
            "Ижмаш",
        ],
    ),
    ("kel-tec", &["Kel-Tec", "KelTec", "Kel-Tec CNC Industries"]),
    ("kimber", &["Kimber", "Kimber Manufacturing", "Kimber Mfg", "Kimber America"]),
    ("mossberg", &["Mossberg", "O.F. Mossberg & Sons", "O F Mossberg and Sons", "Mossberg & Sons"]),
    (
        "norinco",
        &["Norinco", "China North Industries", "China North Industries Corporation", "China North Industries Group"],
    ),
    ("remington", &["Remington", "Remington Arms", "Remington Arms Company", "RemArms", "Remington Outdoor Company"]),
    ("ruger", &["Ruger", "Sturm, Ruger & Co.", "Sturm Ruger", "Sturm, Ruger and Company, Inc."]),
    ("savage", &["Savage", "Savage Arms", "Savage Arms Inc"]),
    ("sig-sauer", &["SIG Sauer", "SIG-Sauer", "SIG", "SIGARMS", "SIG Arms", "Sig Sauer Inc", "SIG SAUER GmbH"]),
    ("smith-wesson", &["Smith & Wesson", "Smith and Wesson", "S&W", "Smith & Wesson Brands", "Smith & Wesson Corp"]),
    ("springfield-armory", &["Springfield Armory", "Springfield Armory Inc", "Springfield Inc"]),
    ("steyr", &["Steyr", "Steyr Mannlicher", "Steyr Arms", "Steyr Mannlicher GmbH"]),
    ("taurus", &["Taurus", "Forjas Taurus", "Taurus Armas", "Taurus Armas S.A.", "Taurus International"]),
    ("tisas", &["Tisas", "TİSAŞ", "Trabzon Silah Sanayi", "Tisas Trabzon Silah Sanayi"]),
    ("walther", &["Walther", "Carl Walther", "Carl Walther GmbH", "Walther Arms"]),
    (
        "winchester",
        &[
            "Winchester",
            "Winchester Repeating Arms",
            "Winchester Repeating Arms Company",
            "U.S. Repeating Arms Company",
        ],
    ),
    ("zastava", &["Zastava", "Zastava Arms", "Zastava Oružje", "Zavodi Crvena Zastava"]),
];

/// The table: generic form of every alias (and of every key) → canonical key.
fn aliases() -> &'static HashMap<String, &'static str> {
    static TABLE: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = HashMap::new();
        for (key, names) in MANUFACTURERS {
            t.insert((*key).to_string(), *key);
            for n in *names {
                if let Some(g) = generic_manufacturer(n) {
                    t.insert(g, *key);
                }
            }
        }
        t
    })
}

/// The generic rule for a manufacturer's name, applied to every name:
///
/// 1. Unicode compatibility decomposition (NFKD), then combining marks dropped: accents go
///    (`Česká` → `Ceska`, `TİSAŞ` → `TISAS`) and full-width forms become ASCII.
/// 2. Lower-cased.
/// 3. `&` read as `and`; a possessive `'s` dropped (`Colt's` → `colt`); other apostrophes and
///    dots removed without a space (`d'Armi` → `darmi`, `S.p.A.` → `spa`).
/// 4. Everything that is not a letter or a digit separates words.
/// 5. A leading `the`, and trailing corporate words ([`CORPORATE_SUFFIXES`]), dropped.
/// 6. The words joined with `-`.
///
/// `None` when nothing is left (the name was only punctuation or suffixes).
fn generic_manufacturer(name: &str) -> Option<String> {
    let folded: String = name.nfkd().filter(|c| !is_combining_mark(*c)).collect::<String>().to_lowercase();
    let mut spaced = String::with_capacity(folded.len());
    let chars: Vec<char> = folded.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '&' => spaced.push_str(" and "),
            '\'' | '\u{2019}' | '\u{02bc}' => {
                // A possessive: the apostrophe and its s, at the end of a word.
                let s_ends_word =
                    chars.get(i + 1) == Some(&'s') && chars.get(i + 2).is_none_or(|n| !n.is_alphanumeric());
                if s_ends_word {
                    i += 1;
                }
            }
            '.' => {}
            c if c.is_alphanumeric() => spaced.push(c),
            _ => spaced.push(' '),
        }
        i += 1;
    }
    let mut words: Vec<&str> = spaced.split_whitespace().collect();
    if words.first() == Some(&"the") {
        words.remove(0);
    }
    while words.len() > 1 && words.last().is_some_and(|w| CORPORATE_SUFFIXES.contains(w)) {
        words.pop();
    }
    if words.is_empty() || words == ["and"] {
        return None;
    }
    Some(words.join("-"))
}

/// A manufacturer's canonical key: the alias table's key when the generic form of `name` is a
/// known alias, else the generic form itself. Idempotent: a key maps to itself.
pub fn canonical_manufacturer(name: &str) -> Result<String, FirearmKeyError> {
    let generic = generic_manufacturer(name).ok_or_else(|| FirearmKeyError::EmptyManufacturer(clip(name)))?;
    Ok(match aliases().get(&generic) {
        Some(key) => (*key).to_string(),
        None => generic,
    })
}

/// Whether a manufacturer's name is in the alias table (as a key or an alias).
pub fn is_known_manufacturer(name: &str) -> bool {
    generic_manufacturer(name).is_some_and(|g| aliases().contains_key(&g))
}

/// Labels people write before a serial number, stripped when the text starts with one. Each
/// ends in punctuation (or is `S/N`), so a serial that merely begins with the same letters
/// (`SN12345`, `NO4471`) is left alone.
const SERIAL_LABELS: &[&str] = &[
    "SERIAL NUMBER:",
    "SERIAL NUMBER",
    "SERIAL NO.:",
    "SERIAL NO.",
    "SERIAL NO:",
    "SERIAL:",
    "SER. NO.",
    "SER.NO.",
    "SER.",
    "SER:",
    "S/N:",
    "S/N.",
    "S/N",
    "SN:",
    "SN#",
    "NO.",
    "NO:",
    "N°",
    "Nº",
    "#",
];

/// A serial number's canonical form. The rules, in order:
///
/// 1. White space trimmed; a leading label ([`SERIAL_LABELS`], any case) and the spaces or
///    `:` after it removed (`S/N: 123` → `123`).
/// 2. Unicode compatibility form (NFKC): full-width `ＡＢ１２` is `AB12`. Then ASCII letters
///    upper-cased.
/// 3. Spaces, tabs, `-`, `.`, `/` and `_` removed: they are how a serial is written, not what
///    it is (`AB-123 45` → `AB12345`). Anything else that is not an ASCII letter or digit is an
///    error, never silently dropped.
/// 4. Letters read as digits, only inside a run of digits: a run of `O`, `Q` (read as `0`) or
///    `I`, `L` (read as `1`) with a digit immediately before *and* after it is folded
///    (`12O45` → `12045`, `7IL09` → `71109`). Letters at either end are never folded: prefixes
///    and suffixes are letters by design in many makers' formats (`LW12345`, `1234O` could be a
///    real suffix), and S/5, B/8, Z/2, G/6 are never folded at all, since letters and digits
///    both occur at those places in real serials.
/// 5. Leading zeros dropped from an all-digit serial (`0012345` → `12345`; `000` → `0`):
///    registries and hand-written records pad or trim them inconsistently.
pub fn canonical_serial(serial: &str) -> Result<String, FirearmKeyError> {
    let trimmed = serial.trim();
    // Labels before and after the compatibility form: `Nº` becomes `No` under NFKC, and a
    // full-width `Ｓ/Ｎ:` becomes `S/N:`.
    let nfkc: String = strip_label(trimmed).nfkc().collect();
    let nfkc = strip_label(&nfkc);
    let mut out: Vec<u8> = Vec::with_capacity(nfkc.len());
    for (at, c) in nfkc.chars().enumerate() {
        match c {
            ' ' | '\t' | '-' | '.' | '/' | '_' => {}
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase() as u8),
            found => return Err(FirearmKeyError::SerialCharacter { serial: clip(serial), found, at }),
        }
    }
    if out.is_empty() {
        return Err(FirearmKeyError::EmptySerial(clip(serial)));
    }
    fold_letters_between_digits(&mut out);
    if out.iter().all(u8::is_ascii_digit) {
        let first = out.iter().position(|&b| b != b'0').unwrap_or(out.len() - 1);
        out.drain(..first);
    }
    Ok(String::from_utf8(out).unwrap_or_default())
}

fn strip_label(s: &str) -> &str {
    for label in SERIAL_LABELS {
        if let Some(head) = s.get(..label.len())
            && head.eq_ignore_ascii_case(label)
        {
            return s[label.len()..].trim_start_matches([' ', '\t', ':']);
        }
    }
    s
}

/// Rule 4 of [`canonical_serial`].
fn fold_letters_between_digits(s: &mut [u8]) {
    let foldable = |b: u8| matches!(b, b'O' | b'Q' | b'I' | b'L');
    let mut i = 0;
    while i < s.len() {
        if !foldable(s[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < s.len() && foldable(s[i]) {
            i += 1;
        }
        let before = start > 0 && s[start - 1].is_ascii_digit();
        let after = i < s.len() && s[i].is_ascii_digit();
        if before && after {
            for b in &mut s[start..i] {
                *b = if matches!(*b, b'O' | b'Q') { b'0' } else { b'1' };
            }
        }
    }
}

/// The matching key of one firearm: `manufacturer/SERIAL`, both canonical. The `/` cannot occur
/// in either part, so two different pairs never give one key.
pub fn firearm_key(manufacturer: &str, serial: &str) -> Result<String, FirearmKeyError> {
    Ok(format!("{}/{}", canonical_manufacturer(manufacturer)?, canonical_serial(serial)?))
}

/// A firearm item as a set file holds it: `MANUFACTURER<TAB>SERIAL`.
pub(crate) fn item_key(text: &str) -> Result<String, FirearmKeyError> {
    let (m, s) = text.split_once('\t').ok_or_else(|| FirearmKeyError::NoTab(clip(text)))?;
    firearm_key(m, s)
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_names_one_maker_and_every_key_is_its_own_form() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for (key, names) in MANUFACTURERS {
            assert_eq!(generic_manufacturer(key).as_deref(), Some(*key), "a key is in generic form");
            for n in *names {
                let g = generic_manufacturer(n).unwrap_or_else(|| panic!("{n} has no generic form"));
                if let Some(other) = seen.insert(g.clone(), key) {
                    assert_eq!(other, *key, "{n:?} ({g}) names both {other} and {key}");
                }
                assert_eq!(canonical_manufacturer(n).unwrap(), *key, "{n}");
            }
        }
        assert!(MANUFACTURERS.len() >= 30);
    }

    #[test]
    fn generic_rule() {
        assert_eq!(generic_manufacturer("GLOCK Ges.m.b.H.").as_deref(), Some("glock"));
        assert_eq!(generic_manufacturer("The Acme Arms Company, LLC").as_deref(), Some("acme-arms"));
        assert_eq!(generic_manufacturer("Fábrica Ñandú S.A.").as_deref(), Some("fabrica-nandu"));
        assert_eq!(generic_manufacturer("Inc.").as_deref(), Some("inc"), "a lone suffix is the name");
        assert_eq!(generic_manufacturer(" -- "), None);
        assert_eq!(generic_manufacturer("&"), None);
    }

    #[test]
    fn serial_rules() {
        let s = |x: &str| canonical_serial(x).unwrap();
        assert_eq!(s("S/N: ab-123 45"), "AB12345");
        assert_eq!(s("SN12345"), "SN12345", "a bare SN is part of the serial");
        assert_eq!(s("12O45"), "12045");
        assert_eq!(s("7IL09"), "71109");
        assert_eq!(s("O1234"), "O1234", "a leading letter is a prefix");
        assert_eq!(s("1234O"), "1234O", "a trailing letter is a suffix");
        assert_eq!(s("AB5S8"), "AB5S8", "S and 5 are never folded");
        assert_eq!(s("0012345"), "12345");
        assert_eq!(s("000"), "0");
        assert_eq!(s("AB0012"), "AB0012", "zeros after letters are kept");
        assert_eq!(s("ＡＢ１２"), "AB12");
        assert!(matches!(canonical_serial("AB#12"), Err(FirearmKeyError::SerialCharacter { found: '#', at: 2, .. })));
        assert!(matches!(canonical_serial("S/N:"), Err(FirearmKeyError::EmptySerial(_))));
        assert!(matches!(canonical_serial("Ab✓1"), Err(FirearmKeyError::SerialCharacter { .. })));
    }

    #[test]
    fn item_form() {
        assert_eq!(item_key("Colt's Mfg Co\tLW 12345").unwrap(), "colt/LW12345");
        assert!(matches!(item_key("Colt LW12345"), Err(FirearmKeyError::NoTab(_))));
    }
}
