//! Value forms of the STIX 2.1 hash-algorithm vocabulary (hash-algorithm-ov), for patterns that
//! compare a named hash with a constant.

fn hex_of(len: usize) -> impl Fn(&str) -> bool {
    move |s: &str| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The check for an algorithm name as written in a path (`'SHA-256'`, `MD5`, `sha256`), or None
/// when the name is not one the vocabulary fixes a form for.
/// A test of a value's form.
pub type FormCheck = Box<dyn Fn(&str) -> bool>;

pub fn checker(name: &str) -> Option<FormCheck> {
    let norm: String = name.chars().filter(|&c| c != '-').collect::<String>().to_ascii_uppercase();
    Some(match norm.as_str() {
        "MD5" => Box::new(hex_of(32)),
        "SHA1" | "RIPEMD160" => Box::new(hex_of(40)),
        "SHA224" | "SHA3224" => Box::new(hex_of(56)),
        "SHA256" | "SHA3256" => Box::new(hex_of(64)),
        "SHA384" | "SHA3384" => Box::new(hex_of(96)),
        "SHA512" | "SHA3512" | "WHIRLPOOL" => Box::new(hex_of(128)),
        "MD6" => {
            Box::new(|s: &str| [32, 40, 56, 64, 96, 128].contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit()))
        }
        "SSDEEP" => Box::new(|s: &str| {
            (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"/+:.".contains(&b))
        }),
        _ => return None,
    })
}
