//! HTTP Basic authentication against the store's users, whose passwords are argon2id hashes.
//!
//! argon2 is slow on purpose (tens of milliseconds); a login that verified once is remembered
//! as a keyed SHA-256 of (name, password, stored hash), so later requests cost a hash, and a
//! changed password or a removed user stops matching at once.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::HeaderMap;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A user name and password from an Authorization header.
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl Credentials {
    /// Parse `Authorization: Basic …`; None when absent or malformed.
    pub fn from_headers(headers: &HeaderMap) -> Option<Credentials> {
        let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD.decode(token.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        Some(Credentials { user: user.to_string(), password: password.to_string() })
    }
}

/// Hash a password for storage (argon2id, random salt, PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Check a password against a stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A fresh password: 24 characters drawn uniformly (by rejection) from 56 letters and digits
/// that cannot be mistaken for one another, from the OS's random source (about 139 bits).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
    let mut out = String::with_capacity(24);
    let mut buf = [0u8; 64];
    while out.len() < 24 {
        OsRng.fill_bytes(&mut buf);
        for b in buf {
            // 56 * 4 = 224: bytes at or above it would bias the choice
            if usize::from(b) < ALPHABET.len() * 4 && out.len() < 24 {
                out.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
            }
        }
    }
    out
}

/// Logins verified recently.
pub struct LoginCache {
    key: [u8; 32],
    seen: Mutex<HashMap<String, [u8; 32]>>,
}

impl Default for LoginCache {
    fn default() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        LoginCache { key, seen: Mutex::new(HashMap::new()) }
    }
}

impl LoginCache {
    fn digest(&self, c: &Credentials, phc: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        for part in [c.user.as_bytes(), c.password.as_bytes(), phc.as_bytes()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    /// Whether the credentials match the stored hash (argon2 on first sight, cached after).
    pub fn check(&self, c: &Credentials, phc: &str) -> bool {
        let d = self.digest(c, phc);
        if let Ok(seen) = self.seen.lock()
            && seen.get(&c.user).is_some_and(|known| constant_time_eq(known, &d))
        {
            return true;
        }
        if !verify_password(&c.password, phc) {
            return false;
        }
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() > 10_000 {
                seen.clear();
            }
            seen.insert(c.user.clone(), d);
        }
        true
    }
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verify_and_cache() {
        let phc = hash_password("s3cret").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &phc));
        assert!(!verify_password("wrong", &phc));
        let cache = LoginCache::default();
        let good = Credentials { user: "mx".into(), password: "s3cret".into() };
        let bad = Credentials { user: "mx".into(), password: "s3cre".into() };
        assert!(cache.check(&good, &phc));
        assert!(cache.check(&good, &phc));
        assert!(!cache.check(&bad, &phc));
        let other = hash_password("other").unwrap();
        assert!(!cache.check(&good, &other), "a changed password no longer matches");
    }

    #[test]
    fn random_passwords() {
        let a = random_password();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() && !b"0O1lIo".contains(&b)));
        assert_ne!(a, random_password());
    }

    #[test]
    fn basic_header() {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::AUTHORIZATION, "Basic bXg6cGE6c3M=".parse().unwrap());
        let c = Credentials::from_headers(&h).unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("mx", "pa:ss"));
        h.insert(axum::http::header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert!(Credentials::from_headers(&h).is_none());
    }
}
