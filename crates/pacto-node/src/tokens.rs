//! API tokens: for people and tools that call the TAXII API without an account's password
//! (OpenCTI and Elastic send `Authorization: Bearer …`, taxii2-client and XSOAR `Token …`).
//!
//! A token is 32 bytes from the OS's random source, written `pacto_` + base64url. Only its
//! SHA-256 is stored. A password needs a slow hash (argon2) because people choose guessable
//! ones; a token has 256 bits of entropy, so no dictionary or brute force reaches it and a fast
//! hash loses nothing — while it lets a presented token be found by an index lookup of its hash.
//! That lookup is also why checking is timing-safe: what the database compares is the hash of
//! the guess, and how long that takes says nothing about any stored token.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use pacto_store::{ApiToken, CredentialStore, User};
use sha2::{Digest, Sha256};

/// What every token starts with (so that a leaked one is recognisable by secret scanners).
pub const PREFIX: &str = "pacto_";

/// A fresh token and the hash to store.
pub fn generate() -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let token = format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&token);
    (token, hash)
}

/// The SHA-256 of a token, hex: what is stored and looked up.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a presented token is refused. The caller is told only that it is refused (one answer
/// for all, so a probe learns nothing); the reason is for the node's log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no such token")]
    Unknown,
    #[error("token {0:?} was revoked")]
    Revoked(String),
    #[error("token {0:?} has expired")]
    Expired(String),
}

/// The token presented, if it is known, not revoked and not expired at `now_us`.
pub fn authenticate<S: CredentialStore + ?Sized>(
    store: &S,
    presented: &str,
    now_us: i64,
) -> Result<Result<ApiToken, Refusal>, pacto_store::StoreError> {
    let Some(t) = store.token_by_hash(&hash(presented.trim()))? else { return Ok(Err(Refusal::Unknown)) };
    if t.revoked_us.is_some() {
        return Ok(Err(Refusal::Revoked(t.name)));
    }
    if t.expires_us.is_some_and(|e| e <= now_us) {
        return Ok(Err(Refusal::Expired(t.name)));
    }
    Ok(Ok(t))
}

/// The account a token acts as: its rights, under a name no account or partner can have
/// (`token:NAME`; account and partner names have no `:`), so it is never taken for a partner.
pub fn as_user(t: &ApiToken) -> User {
    User {
        name: format!("token:{}", t.name),
        password_hash: String::new(),
        can_read: t.can_read.clone(),
        can_write: t.can_write.clone(),
    }
}

/// Whether `name` can name a token: letters, digits, `.`, `_` and `-`, at most 64.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A lifetime such as `90d`, `12h` or `30m`, in microseconds.
pub fn parse_lifetime(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || format!("{text:?} is not a lifetime: give a number and a unit, e.g. 90d, 12h or 30m");
    let unit = t.chars().last().ok_or_else(bad)?;
    let n: i64 = t[..t.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let secs = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        _ => return Err(bad()),
    };
    if n <= 0 {
        return Err(format!("{text:?}: a lifetime must be positive"));
    }
    n.checked_mul(secs).and_then(|s| s.checked_mul(1_000_000)).ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, ha) = generate();
        let (b, _) = generate();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 43, "{a}");
        assert_eq!(ha, hash(&a));
        assert_eq!(ha.len(), 64);
        assert!(!ha.contains(&a[PREFIX.len()..]));
    }

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("90d"), Ok(90 * 86_400 * 1_000_000));
        assert_eq!(parse_lifetime("2h"), Ok(2 * 3_600 * 1_000_000));
        for bad in ["", "d", "90", "90y", "-1d", "0d", "1.5d", "99999999999999999d"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert!(valid_name("opencti-prod.1"));
        for bad in ["", "a:b", "a b", &"x".repeat(65)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
