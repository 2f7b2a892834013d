//! HTTPS for `pacto serve`: the rustls (ring provider) acceptor. `pacto_taxii::server` runs each
//! handshake in its connection's own task, under the connection caps and a timeout, so a slow
//! or hostile client cannot stall the others. Every TLS client is asked for a certificate
//! (none is required): a partner's node presents its own, and the fingerprint of a certificate
//! the client proved it holds the key of goes with each of its requests
//! ([`pacto_taxii::server::ClientCertificate`]), which the server maps to the partner.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use pacto_node::identity::{AnyClientCertificate, NodeIdentity};
use pacto_taxii::server::ClientCertificate;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// An acceptor for a PEM certificate chain and key (`--tls-cert`, `--tls-key`).
pub fn acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("cannot read certificates from {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{}: not a PEM certificate chain", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("{}: no certificate found", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("{}: not a PEM private key", key.display()))?;
    build(certs, key)
}

/// An acceptor presenting the node's own certificate (`--node-tls`).
pub fn node_acceptor(identity: &NodeIdentity) -> anyhow::Result<TlsAcceptor> {
    build(vec![identity.cert.clone()], identity.key())
}

fn build(certs: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> anyhow::Result<TlsAcceptor> {
    let provider = pacto_node::identity::provider();
    let clients = Arc::new(AnyClientCertificate::new(&provider));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(clients)
        .with_single_cert(certs, key)
        .context("the certificate and key do not form a usable pair")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The handshake, and the client certificate it verified, if any.
pub async fn accept(
    acceptor: TlsAcceptor,
    tcp: TcpStream,
) -> std::io::Result<(TlsStream<TcpStream>, Option<ClientCertificate>)> {
    let tls = acceptor.accept(tcp).await?;
    let certificate = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| ClientCertificate { fingerprint: pacto_node::identity::fingerprint(c) });
    Ok((tls, certificate))
}
