//! Signed notes (C2SP `signed-note`): a text ending in a newline, a blank line, then one or more
//! signature lines `— <key name> <base64(key id || signature)>`.
//!
//! The text is what is signed. A note is UTF-8 with no control characters other than newline;
//! key names are non-empty, with no whitespace and no `+`; the key id is the first 4 bytes of
//! `SHA-256(name || 0x0A || type || public key)`, type 0x01 for an Ed25519 signature over the
//! text and 0x04 for a timestamped Ed25519 cosignature (see [`crate::checkpoint`]).
//!
//! A verifier ignores signatures from keys it does not know (name and key id both must match),
//! rejects the note if a known key's signature fails, and rejects it if no known key signed.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signature type byte of a plain Ed25519 note signature.
pub const TYPE_ED25519: u8 = 0x01;
/// Signature type byte of a timestamped Ed25519 cosignature (C2SP tlog-cosignature).
pub const TYPE_COSIGNATURE: u8 = 0x04;

/// The largest note accepted (a checkpoint with a few dozen cosignatures is well under 8 KiB).
pub const MAX_NOTE: usize = 64 * 1024;
/// The most signature lines accepted (the format asks verifiers to take at least 16).
pub const MAX_SIGNATURES: usize = 64;

/// Why a note is not well formed or not signed as it must be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("the note is {0} bytes, more than the {MAX_NOTE} accepted")]
    TooLarge(usize),
    #[error("byte {0}: a control character (only newline is allowed in a note)")]
    ControlCharacter(usize),
    #[error("the note does not end with a newline")]
    NoFinalNewline,
    #[error("no blank line separates the text from the signatures")]
    NoSeparator,
    #[error("no signature lines after the blank line")]
    NoSignatures,
    #[error("more than {MAX_SIGNATURES} signature lines")]
    TooManySignatures,
    #[error("signature line {line}: {reason}")]
    BadSignatureLine { line: usize, reason: &'static str },
    #[error("key name {0:?} is not allowed (empty, or holds a space or '+')")]
    BadKeyName(String),
    #[error("the signature by {name} does not verify")]
    BadSignature { name: String },
    #[error("not signed by {name} (key id {key_id:08x})")]
    NotSigned { name: String, key_id: u32 },
}

/// One signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    /// The bytes after the key id (for Ed25519, the 64-byte signature).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    fn line(&self) -> String {
        let mut bytes = self.key_id.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.signature);
        format!("\u{2014} {} {}\n", self.name, crate::b64(&bytes))
    }
}

/// A parsed signed note. Nothing in `text` may be trusted before a signature was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, with its final newline.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

/// Whether `name` may be a key name.
pub fn valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// `SHA-256(name || 0x0A || type || public key)[:4]`, big-endian.
pub fn key_id(name: &str, kind: u8, public_key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, kind]);
    h.update(public_key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A verifier key as C2SP writes one: `<name>+<hex key id>+<base64(type || public key)>`.
pub fn vkey(name: &str, kind: u8, public_key: &VerifyingKey) -> String {
    let mut bytes = vec![kind];
    bytes.extend_from_slice(public_key.as_bytes());
    format!("{name}+{:08x}+{}", key_id(name, kind, public_key), crate::b64(&bytes))
}

/// Read a verifier key: its name, type and public key (the key id must match).
pub fn parse_vkey(s: &str) -> Result<(String, u8, VerifyingKey), String> {
    // The name and key id hold no '+'; the base64 key may.
    let mut parts = s.trim().splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("a verifier key is <name>+<key id in 8 hex digits>+<base64 key>".into());
    };
    if !valid_key_name(name) {
        return Err(format!("verifier key: name {name:?} is not a key name"));
    }
    let bytes = crate::unb64(key).ok_or("verifier key: the key is not standard base64")?;
    let (kind, raw) = bytes.split_first().ok_or("verifier key: the key is empty")?;
    let raw: [u8; 32] = raw.try_into().map_err(|_| "verifier key: not an Ed25519 key (32 bytes after the type)")?;
    let public = VerifyingKey::from_bytes(&raw).map_err(|_| "verifier key: not a valid Ed25519 point")?;
    let want = format!("{:08x}", key_id(name, *kind, &public));
    if id.len() != 8 || id.to_ascii_lowercase() != want {
        return Err(format!("verifier key: key id {id} does not match the name and key ({want})"));
    }
    Ok((name.to_string(), *kind, public))
}

impl Note {
    /// Parse a note strictly.
    pub fn parse(s: &str) -> Result<Note, NoteError> {
        if s.len() > MAX_NOTE {
            return Err(NoteError::TooLarge(s.len()));
        }
        if let Some(i) = s.bytes().position(|b| b < 0x20 && b != b'\n') {
            return Err(NoteError::ControlCharacter(i));
        }
        if !s.ends_with('\n') {
            return Err(NoteError::NoFinalNewline);
        }
        let sep = s.rfind("\n\n").ok_or(NoteError::NoSeparator)?;
        let text = &s[..sep + 1];
        let block = &s[sep + 2..];
        if block.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let mut signatures = Vec::new();
        for (i, line) in block.split_terminator('\n').enumerate() {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            let line_no = i + 1;
            let bad = |reason| NoteError::BadSignatureLine { line: line_no, reason };
            let rest = line.strip_prefix("\u{2014} ").ok_or(bad("does not start with an em dash and a space"))?;
            let (name, sig) = rest.split_once(' ').ok_or(bad("no space between the key name and the signature"))?;
            if !valid_key_name(name) {
                return Err(NoteError::BadKeyName(name.to_string()));
            }
            let bytes = crate::unb64(sig).ok_or(bad("the signature is not standard base64"))?;
            if bytes.len() < 5 {
                return Err(bad("the signature is shorter than a key id and one byte"));
            }
            signatures.push(NoteSignature {
                name: name.to_string(),
                key_id: u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
                signature: bytes[4..].to_vec(),
            });
        }
        Ok(Note { text: text.to_string(), signatures })
    }

    /// The note as text: the text, a blank line, the signature lines.
    pub fn to_text(&self) -> String {
        let mut s = self.text.clone();
        s.push('\n');
        for sig in &self.signatures {
            s.push_str(&sig.line());
        }
        s
    }

    /// The signatures made by the key `(name, key_id)`.
    pub fn signatures_by(&self, name: &str, key_id: u32) -> impl Iterator<Item = &NoteSignature> {
        self.signatures.iter().filter(move |s| s.name == name && s.key_id == key_id)
    }
}

/// A note signer with an Ed25519 key (type 0x01).
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key: SigningKey,
}

impl NoteSigner {
    /// `None` if `name` is not a valid key name.
    pub fn new(name: &str, key: SigningKey) -> Option<Self> {
        valid_key_name(name).then(|| NoteSigner { name: name.to_string(), key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier { name: self.name.clone(), key: self.key.verifying_key() }
    }

    /// Sign a text (which must end with a newline and hold no control character but newline).
    pub fn sign(&self, text: &str) -> Note {
        let sig = self.key.sign(text.as_bytes());
        Note {
            text: text.to_string(),
            signatures: vec![NoteSignature {
                name: self.name.clone(),
                key_id: key_id(&self.name, TYPE_ED25519, &self.key.verifying_key()),
                signature: sig.to_bytes().to_vec(),
            }],
        }
    }
}

/// A trusted Ed25519 note key (type 0x01).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    pub name: String,
    pub key: VerifyingKey,
}

impl NoteVerifier {
    pub fn key_id(&self) -> u32 {
        key_id(&self.name, TYPE_ED25519, &self.key)
    }

    /// The verifier key text (`name+keyid+base64`) to hand out.
    pub fn vkey(&self) -> String {
        vkey(&self.name, TYPE_ED25519, &self.key)
    }

    /// Check that this key signed the note: every signature line with this key's name and id
    /// must verify, and there must be at least one.
    pub fn verify(&self, note: &Note) -> Result<(), NoteError> {
        let id = self.key_id();
        let mut seen = false;
        for s in note.signatures_by(&self.name, id) {
            let ok = <[u8; 64]>::try_from(s.signature.as_slice())
                .is_ok_and(|b| self.key.verify(note.text.as_bytes(), &Signature::from_bytes(&b)).is_ok());
            if !ok {
                return Err(NoteError::BadSignature { name: self.name.clone() });
            }
            seen = true;
        }
        if seen { Ok(()) } else { Err(NoteError::NotSigned { name: self.name.clone(), key_id: id }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> NoteSigner {
        NoteSigner::new("pacto.example/test", SigningKey::from_bytes(&[7; 32])).unwrap()
    }

    #[test]
    fn sign_parse_verify() {
        let s = signer();
        let note = s.sign("hello\n\nworld\n");
        let text = note.to_text();
        assert!(text.starts_with("hello\n\nworld\n\n\u{2014} pacto.example/test "));
        let back = Note::parse(&text).unwrap();
        assert_eq!(back, note);
        s.verifier().verify(&back).unwrap();
        // Another key of the same name is not this key: its signature is ignored, not failed.
        let other = NoteSigner::new("pacto.example/test", SigningKey::from_bytes(&[8; 32])).unwrap();
        assert!(matches!(other.verifier().verify(&back), Err(NoteError::NotSigned { .. })));
    }

    #[test]
    fn a_changed_text_or_signature_fails() {
        let s = signer();
        let text = s.sign("size 1\n").to_text();
        let edited = Note::parse(&text.replacen("size 1", "size 2", 1)).unwrap();
        assert_eq!(s.verifier().verify(&edited), Err(NoteError::BadSignature { name: "pacto.example/test".into() }));
    }

    #[test]
    fn malformed_notes_say_why() {
        let good = signer().sign("a\n").to_text();
        let cases: Vec<(String, &str)> = vec![
            ("a\n".into(), "no blank line"),
            ("a\n\n".into(), "no signature lines"),
            (good.trim_end().to_string(), "does not end with a newline"),
            (good.replace('\u{2014}', "-"), "em dash"),
            (good.replace("pacto.example/test ", "pacto+x "), "key name"),
            (good.replacen("a\n", "a\t\n", 1), "control character"),
            ("a\n\n\u{2014} k AAAA\n".into(), "shorter than a key id"),
            ("a\n\n\u{2014} k AA!A\n".into(), "base64"),
            ("a\n\n\u{2014} kAAAA\n".into(), "no space"),
            ("x".repeat(MAX_NOTE + 1), "more than"),
        ];
        for (text, want) in cases {
            let e = Note::parse(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e} (wanted {want:?})");
        }
        let many = format!("a\n\n{}", "\u{2014} k AAAAAAA=\n".repeat(MAX_SIGNATURES + 1));
        assert_eq!(Note::parse(&many), Err(NoteError::TooManySignatures));
    }

    #[test]
    fn vkeys_round_trip_and_check_their_id() {
        let v = signer().verifier();
        let text = v.vkey();
        let (name, kind, key) = parse_vkey(&text).unwrap();
        assert_eq!((name.as_str(), kind, key), ("pacto.example/test", TYPE_ED25519, v.key));
        let mut wrong = text.clone();
        let i = text.find('+').unwrap() + 1;
        wrong.replace_range(i..i + 1, if &text[i..i + 1] == "0" { "1" } else { "0" });
        assert!(parse_vkey(&wrong).unwrap_err().contains("does not match"));
        assert!(parse_vkey("no-plus").is_err());
        // A key whose base64 holds a '+'.
        let v = (0u8..=255)
            .map(|i| NoteSigner::new("k", SigningKey::from_bytes(&[i; 32])).unwrap().verifier())
            .find(|v| v.vkey().matches('+').count() > 2)
            .unwrap();
        assert_eq!(parse_vkey(&v.vkey()).unwrap().2, v.key);
    }
}
