//! A node's identity between nodes: a key pair and a self-signed certificate (made by the
//! binary on first use, kept in 0600 files), named by the SHA-256 fingerprint of the
//! certificate. Partners exchange fingerprints out of band and pin them, so no certificate
//! authority is involved and no password crosses the network:
//!
//! - the client ([`crate::client`]) accepts exactly the server certificate whose fingerprint it
//!   pinned ([`PinnedServer`]) and presents its own node certificate;
//! - the server asks every TLS client for a certificate, accepts any that proves it holds its
//!   key ([`AnyClientCertificate`]; a client without one may still log in otherwise), and maps
//!   the fingerprint to the partner bound to it.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use sha2::{Digest, Sha256};

/// The SHA-256 fingerprint of a certificate (its DER bytes), as 64 lower-case hex digits.
pub fn fingerprint(der: &[u8]) -> String {
    crate::tokens::hex(&Sha256::digest(der))
}

/// A fingerprint as an operator gives it: 64 hex digits, upper or lower case, optionally in
/// pairs separated by `:` (as `openssl x509 -fingerprint -sha256` prints it); in the form
/// [`fingerprint`] gives.
pub fn parse_fingerprint(text: &str) -> Result<String, String> {
    let hex: String = text.trim().chars().filter(|c| *c != ':').collect::<String>().to_ascii_lowercase();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "{text:?} is not a SHA-256 certificate fingerprint (64 hex digits, as `pacto node id` prints it)"
        ));
    }
    Ok(hex)
}

/// A node's certificate and private key.
#[derive(Clone)]
pub struct NodeIdentity {
    pub cert: CertificateDer<'static>,
    key: Arc<PrivateKeyDer<'static>>,
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeIdentity({})", self.fingerprint())
    }
}

impl NodeIdentity {
    /// From a PEM certificate and a PEM private key.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, String> {
        let cert = CertificateDer::from_pem_slice(cert_pem).map_err(|e| format!("not a PEM certificate: {e}"))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("not a PEM private key: {e}"))?;
        Ok(NodeIdentity { cert, key: Arc::new(key) })
    }

    pub fn fingerprint(&self) -> String {
        fingerprint(&self.cert)
    }

    pub fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }
}

/// The crypto every TLS configuration of the node uses (ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The handshake-signature checks both verifiers make the same way (the peer proves it holds
/// its certificate's key), over the `algorithms` field.
macro_rules! handshake_signatures {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    };
}

/// A TLS client configuration that trusts exactly the server certificate with fingerprint
/// `pin` and presents `identity` when the server asks for a certificate.
pub fn pinned_client_config(pin: &str, identity: Option<&NodeIdentity>) -> Result<rustls::ClientConfig, String> {
    let provider = provider();
    let verifier =
        Arc::new(PinnedServer { pin: pin.to_string(), algorithms: provider.signature_verification_algorithms });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match identity {
        Some(id) => builder
            .with_client_auth_cert(vec![id.cert.clone()], id.key())
            .map_err(|e| format!("the node's certificate and key do not form a pair: {e}")),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// Why a pinned server's certificate was refused (it is in the client's error).
#[derive(Debug)]
struct PinMismatch {
    got: String,
    pin: String,
}

impl std::fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server's certificate has fingerprint {}, not the pinned {}: this is not the partner's node \
             (someone in between, or the partner changed its certificate: check with them out of band)",
            self.got, self.pin
        )
    }
}

impl std::error::Error for PinMismatch {}

/// Accepts exactly the certificate whose fingerprint is pinned (no CA, no name: the fingerprint
/// was exchanged out of band), and checks that the server holds its key.
#[derive(Debug)]
pub struct PinnedServer {
    pin: String,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = fingerprint(end_entity);
        if got != self.pin {
            return Err(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
                Arc::new(PinMismatch { got, pin: self.pin.clone() }),
            ))));
        }
        Ok(ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

/// The server's side: asks every client for a certificate without requiring one, and accepts
/// any certificate whose key the client proves it holds (the handshake signature). Which
/// partner, if any, a certificate is bound to is decided per request from its fingerprint;
/// a certificate bound to no one authenticates no one.
#[derive(Debug)]
pub struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AnyClientCertificate {
    pub fn new(provider: &CryptoProvider) -> Self {
        AnyClientCertificate { algorithms: provider.signature_verification_algorithms }
    }
}

impl ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    handshake_signatures!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_read_in_every_usual_form() {
        let fp = fingerprint(b"certificate");
        assert_eq!(fp.len(), 64);
        assert_eq!(parse_fingerprint(&fp), Ok(fp.clone()));
        let colons: Vec<String> = fp.as_bytes().chunks(2).map(|c| String::from_utf8_lossy(c).to_uppercase()).collect();
        assert_eq!(parse_fingerprint(&colons.join(":")), Ok(fp.clone()));
        for bad in ["", "abc", &fp[..62], &format!("{}zz", &fp[..62])] {
            let e = parse_fingerprint(bad).unwrap_err();
            assert!(e.contains("not a SHA-256 certificate fingerprint"), "{e}");
        }
    }
}
