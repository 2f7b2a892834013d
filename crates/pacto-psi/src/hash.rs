//! RFC 9380 `expand_message_xmd` with SHA-512, and hash-to-ristretto255 (RFC 9380 §6 with the
//! RFC 9496 element derivation): 64 uniform bytes mapped by `RistrettoPoint::from_uniform_bytes`.

use curve25519_dalek::ristretto::RistrettoPoint;
use sha2::{Digest, Sha512};

/// `expand_message_xmd(msg, DST, len)` with SHA-512 (RFC 9380 §5.3.1), for len ≤ 255 × 64.
pub fn expand_message_xmd(msg: &[u8], dst: &[u8], len: usize) -> Vec<u8> {
    assert!(dst.len() <= 255 && len <= 255 * 64 && len > 0, "expand_message_xmd: DST or length out of range");
    let ell = len.div_ceil(64);
    let dst_prime: Vec<u8> = dst.iter().copied().chain(std::iter::once(dst.len() as u8)).collect();
    let b0 = Sha512::new()
        .chain_update([0u8; 128]) // Z_pad: one SHA-512 block of zeros
        .chain_update(msg)
        .chain_update((len as u16).to_be_bytes())
        .chain_update([0u8])
        .chain_update(&dst_prime)
        .finalize();
    let mut out = Vec::with_capacity(ell * 64);
    let mut prev = Sha512::new().chain_update(b0).chain_update([1u8]).chain_update(&dst_prime).finalize();
    out.extend_from_slice(&prev);
    for i in 2..=ell {
        let x: Vec<u8> = b0.iter().zip(prev.iter()).map(|(a, b)| a ^ b).collect();
        prev = Sha512::new().chain_update(x).chain_update([i as u8]).chain_update(&dst_prime).finalize();
        out.extend_from_slice(&prev);
    }
    out.truncate(len);
    out
}

/// Hash bytes to a ristretto255 point under a domain separation tag.
pub fn hash_to_ristretto(msg: &[u8], dst: &[u8]) -> RistrettoPoint {
    let mut u = [0u8; 64];
    u.copy_from_slice(&expand_message_xmd(msg, dst, 64));
    RistrettoPoint::from_uniform_bytes(&u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// RFC 9380 Appendix K.3 (expand_message_xmd, SHA-512).
    #[test]
    fn rfc9380_vectors() {
        let dst = b"QUUX-V01-CS02-with-expander-SHA512-256";
        assert_eq!(
            hex(&expand_message_xmd(b"", dst, 0x20)),
            "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba"
        );
        assert_eq!(
            hex(&expand_message_xmd(b"abc", dst, 0x20)),
            "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc"
        );
        assert_eq!(
            hex(&expand_message_xmd(b"abcdef0123456789", dst, 0x20)),
            "087e45a86e2939ee8b91100af1583c4938e0f5fc6c9db4b107b83346bc967f58"
        );
        assert_eq!(expand_message_xmd(b"abc", dst, 0x80).len(), 0x80);
    }

    /// The map itself is curve25519-dalek's `from_uniform_bytes`, tested there against RFC 9496;
    /// here: deterministic, separated by domain, never the identity.
    #[test]
    fn hash_to_group_is_deterministic_and_separated() {
        use curve25519_dalek::traits::Identity;
        let a = hash_to_ristretto(b"AB123", b"dst-1");
        assert_eq!(a, hash_to_ristretto(b"AB123", b"dst-1"));
        assert_ne!(a, hash_to_ristretto(b"AB123", b"dst-2"));
        assert_ne!(a, hash_to_ristretto(b"AB124", b"dst-1"));
        assert_ne!(a, RistrettoPoint::identity());
    }
}
