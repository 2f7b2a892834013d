//! Accounts: passwords are kept as argon2id hashes (PHC strings), never in the clear; the node
//! makes the passwords of the accounts it creates itself (the first administrator, partners).

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

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

/// A valid argon2id hash of no one's password: checked against when an account does not
/// exist, so that a login to an unknown account costs what a known one does.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2aDb6Ri4cVUrbCEfh4SeqBIiFU3IPjOLh8Jm3ZVHZRM";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let phc = hash_password("s3cret").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("s3cret", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("s3cret", DUMMY_HASH));
    }

    #[test]
    fn random_passwords() {
        let a = random_password();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() && !b"0O1lIo".contains(&b)));
        assert_ne!(a, random_password());
    }
}
