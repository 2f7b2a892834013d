//! What the node must keep but never in clear in its database: the password it uses at a
//! partner that still authenticates it with HTTP Basic (`pacto partner connect --user`).
//!
//! Such a password is sealed with ChaCha20-Poly1305 under a 256-bit key kept in a 0600 file of
//! the data directory (`secret-key`), never in the database; the partner's name is the
//! associated data, so a sealed value moved to another partner's row does not open. A copy of
//! the database alone holds only ciphertext. Passwords an earlier pacto stored in clear are
//! sealed on open ([`SecretBox::migrate_remotes`]). Partners connected by mutual TLS have no
//! password at all.

use std::path::Path;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use pacto_store::{PartnerStore, Remote};

/// What a sealed value starts with.
pub const SEALED: &str = "sealed:v1:";

/// Read a secret file, or create it (0600, in a 0700 directory) with `make`'s bytes if it does
/// not exist. Two processes racing to create it end up with the same contents.
pub fn key_file(path: &Path, make: impl FnOnce() -> Vec<u8>) -> std::io::Result<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) => return Ok(b),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        Err(_) => {}
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::psi::create_private_dir(dir)?;
    }
    let bytes = make();
    match crate::psi::private_file(path) {
        Ok(mut f) => {
            use std::io::Write;
            f.write_all(&bytes)?;
            f.sync_all()?;
            Ok(bytes)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(path),
        Err(e) => Err(e),
    }
}

/// The key that seals the node's stored secrets.
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

impl SecretBox {
    /// The key in `path` (64 hex digits), made on first use.
    pub fn open_or_create(path: &Path) -> Result<SecretBox, String> {
        let text = key_file(path, || {
            let mut k = [0u8; 32];
            OsRng.fill_bytes(&mut k);
            crate::tokens::hex(&k).into_bytes()
        })
        .map_err(|e| format!("{}: {e}", path.display()))?;
        let text = String::from_utf8_lossy(&text);
        let hex = text.trim();
        let bytes: Option<Vec<u8>> = (hex.len() == 64)
            .then(|| (0..32).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect())
            .flatten();
        let key = bytes.ok_or_else(|| format!("{}: not a secret key (64 hex digits)", path.display()))?;
        Ok(SecretBox { cipher: ChaCha20Poly1305::new(Key::from_slice(&key)) })
    }

    /// `clear` sealed for `context` (what it belongs to: a partner's name).
    pub fn seal(&self, clear: &str, context: &str) -> String {
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: clear.as_bytes(), aad: context.as_bytes() })
            .unwrap_or_default();
        let mut all = nonce.to_vec();
        all.extend(sealed);
        format!("{SEALED}{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(all))
    }

    /// The clear text of a value [`SecretBox::seal`] made for `context`.
    pub fn open(&self, stored: &str, context: &str) -> Result<String, String> {
        let wrong = || {
            format!(
                "the stored secret of {context} does not open with this node's secret-key: the database and the key \
                 file are not from the same node (connect the partner again)"
            )
        };
        let b64 = stored.strip_prefix(SEALED).ok_or_else(wrong)?;
        let all = base64::engine::general_purpose::STANDARD_NO_PAD.decode(b64).map_err(|_| wrong())?;
        if all.len() < 12 {
            return Err(wrong());
        }
        let (nonce, sealed) = all.split_at(12);
        let clear = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: context.as_bytes() })
            .map_err(|_| wrong())?;
        String::from_utf8(clear).map_err(|_| wrong())
    }

    /// A connection as stored: its password sealed (an empty one, under mutual TLS, stays empty).
    pub fn seal_remote(&self, r: &Remote) -> Remote {
        let password = if r.password.is_empty() { String::new() } else { self.seal(&r.password, &r.partner) };
        Remote { password, ..r.clone() }
    }

    /// A stored connection with its password in clear, for the client.
    pub fn open_remote(&self, r: &Remote) -> Result<Remote, String> {
        let password = if r.password.is_empty() { String::new() } else { self.open(&r.password, &r.partner)? };
        Ok(Remote { password, ..r.clone() })
    }

    /// Seal every password an earlier pacto stored in clear; how many there were.
    pub fn migrate_remotes<S: PartnerStore + ?Sized>(&self, s: &mut S) -> pacto_store::Result<usize> {
        let mut n = 0;
        for r in s.remotes()? {
            if !r.password.is_empty() && !r.password.starts_with(SEALED) {
                s.put_remote(&self.seal_remote(&r))?;
                n += 1;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/secret-key");
        let a = SecretBox::open_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        }
        let sealed = a.seal("hunter2 is a password", "mx");
        assert!(sealed.starts_with(SEALED) && !sealed.contains("hunter2"));
        assert_ne!(sealed, a.seal("hunter2 is a password", "mx"), "a fresh nonce each time");
        assert_eq!(a.open(&sealed, "mx").unwrap(), "hunter2 is a password");
        // The same key file opens it again; another partner's row, or another node's key, does not.
        assert_eq!(SecretBox::open_or_create(&path).unwrap().open(&sealed, "mx").unwrap(), "hunter2 is a password");
        assert!(a.open(&sealed, "us").unwrap_err().contains("does not open"));
        let b = SecretBox::open_or_create(&dir.path().join("other-key")).unwrap();
        assert!(b.open(&sealed, "mx").is_err());
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(a.open(&String::from_utf8(tampered).unwrap(), "mx").is_err());
        assert!(a.open("clear text", "mx").is_err());
        std::fs::write(dir.path().join("bad-key"), "xyz").unwrap();
        assert!(SecretBox::open_or_create(&dir.path().join("bad-key")).unwrap_err().contains("not a secret key"));
    }
}
