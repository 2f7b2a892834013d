//! Identifiers (`type--uuid`) and the name forms of object types and properties.

/// Why a string is not a STIX identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{0:?} is not of the form <object-type>--<UUID>")]
    Form(String),
    #[error("the UUID part of {0:?} is not an RFC 4122 UUID (8-4-4-4-12 hex digits, version 1-5, variant 10xx)")]
    Uuid(String),
}

/// Split an identifier into its object type and UUID, checking both parts.
pub fn parse_id(id: &str) -> Result<(&str, &str), IdError> {
    // The UUID is always the last 36 bytes, after "--".
    let b = id.as_bytes();
    if b.len() >= 38 && &b[b.len() - 38..b.len() - 36] == b"--" && id.is_char_boundary(b.len() - 36) {
        let (ty, uuid) = (&id[..b.len() - 38], &id[b.len() - 36..]);
        if !is_type_name(ty) {
            return Err(IdError::Form(id.to_string()));
        }
        if !is_rfc4122_uuid(uuid) {
            return Err(IdError::Uuid(id.to_string()));
        }
        return Ok((ty, uuid));
    }
    match id.rfind("--") {
        Some(pos) if is_type_name(&id[..pos]) => Err(IdError::Uuid(id.to_string())),
        _ => Err(IdError::Form(id.to_string())),
    }
}

/// The UUID form the STIX schemas require: hex 8-4-4-4-12, version nibble 1-5, variant 8/9/a/b.
pub fn is_rfc4122_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        };
        if !ok {
            return false;
        }
    }
    matches!(b[14], b'1'..=b'5') && matches!(b[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B')
}

/// STIX 2.1 §3.1/§11.2 type name form: 3-250 characters of `a-z 0-9 -`, beginning with a
/// letter, with no `--` (the identifier separator) and no trailing hyphen.
pub fn is_type_name(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=250).contains(&b.len())
        && b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.contains("--")
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1] != b'-'
}

/// STIX 2.1 §3.1/§11.1 property name form: 3-250 characters of `a-z 0-9 _`, beginning with a
/// letter. (`id` is the spec's own two-letter exception.)
pub fn is_property_name(s: &str) -> bool {
    s == "id"
        || (3..=250).contains(&s.len())
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(
            parse_id("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").unwrap(),
            ("indicator", "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
        );
        assert!(parse_id("x-my-type--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f").is_ok());
        assert!(matches!(parse_id("indicator-8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"), Err(IdError::Form(_))));
        assert!(matches!(parse_id("indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f"), Err(IdError::Uuid(_))));
        assert!(matches!(parse_id("indicator--8e2e2d2b-17d4-0cbf-938f-98ee46b3cd3f"), Err(IdError::Uuid(_))));
        assert!(matches!(parse_id("indicator--8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f"), Err(IdError::Uuid(_))));
        assert!(matches!(parse_id("Indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"), Err(IdError::Form(_))));
        assert!(parse_id("").is_err());
        assert!(parse_id("--").is_err());
    }

    #[test]
    fn names() {
        assert!(is_type_name("attack-pattern"));
        assert!(is_type_name("x-mitre-tactic"));
        assert!(!is_type_name("ab"));
        assert!(!is_type_name("x--y"));
        assert!(!is_type_name("X-foo"));
        assert!(!is_type_name("x_foo"));
        assert!(is_property_name("x_mitre_version"));
        assert!(!is_property_name("Xfoo"));
        assert!(!is_property_name("_abc"));
        assert!(!is_property_name("9abc"));
        assert!(!is_type_name("1abc"));
        assert!(!is_property_name("x-foo"));
        assert!(!is_property_name("ab"));
        assert!(!is_property_name(&"a".repeat(251)));
    }
}
