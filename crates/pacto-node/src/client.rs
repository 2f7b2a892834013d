//! A TAXII 2.1 client for partner sync, on ureq: HTTP/1.1 with keep-alive, and HTTPS through
//! rustls. A partner's node is reached by mutual TLS: its certificate pinned by fingerprint,
//! this node's certificate presented ([`Access::pin`], [`crate::identity`]); or, for
//! compatibility, with Basic credentials, trusting a partner's own CA file or the public web
//! roots. It keeps
//! objects as raw JSON text — nothing received is reshaped — and reads the
//! `X-TAXII-Date-Added-Last` header, which is the exact cursor sync resumes from.
//!
//! A partner's server is not trusted to behave: every request has a connect, a read (silence)
//! and a total timeout; a body is read through a size limit, so nothing is allocated from a
//! length the peer declares; redirects are not followed (a TAXII server has no reason to
//! redirect, and following one would send the partner's credentials wherever it points);
//! idempotent requests are retried a bounded number of times, with backoff, after a refused or
//! reset connection, a 5xx or a 429 (whose `Retry-After` is honoured up to a bound). Errors say
//! in words what the server did ([`ClientError`]).
//!
//! (rstix's TAXII client parses objects into its typed model and shifts `added_after` by a
//! clock-skew margin; sync needs the received bytes and exact cursors, hence this client.)

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use serde_json::value::RawValue;
use ureq::tls::{PemItem, RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, TcpConnector, Transport, TransportAdapter,
};

use crate::identity::NodeIdentity;

/// How the client authenticates, and which server certificate it trusts.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// The `Authorization` header sent with every request (`Basic …`, `Bearer …`), if any.
    pub authorization: Option<String>,
    /// A PEM file of CA certificates to trust (else the public web roots); ignored under a pin.
    pub ca_file: Option<PathBuf>,
    /// Trust exactly the server certificate with this SHA-256 fingerprint (hex), and nothing
    /// else (an `https://` URL is then required).
    pub pin: Option<String>,
    /// The certificate to present when the server asks for one (mutual TLS).
    pub identity: Option<NodeIdentity>,
}

impl Access {
    /// HTTP Basic credentials.
    pub fn basic(user: &str, password: &str) -> Access {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Access { authorization: Some(format!("Basic {encoded}")), ..Access::default() }
    }

    /// How this node reaches a partner it connected to (`Remote`, its password in clear): mutual
    /// TLS when the connection pins a fingerprint (presenting `identity`), Basic when it holds
    /// an account name.
    pub fn of_remote(r: &pacto_store::Remote, identity: Option<&NodeIdentity>) -> Access {
        let basic = (!r.username.is_empty()).then(|| Access::basic(&r.username, &r.password));
        Access {
            authorization: basic.and_then(|b| b.authorization),
            ca_file: r.ca_file.as_ref().map(PathBuf::from),
            pin: r.fingerprint.clone(),
            identity: r.fingerprint.as_ref().and(identity.cloned()),
        }
    }
}

/// TLS for a pinned server (ureq's own rustls connector takes only CA roots): the handshake of
/// [`crate::identity::pinned_client_config`] over the TCP connection ureq opened.
#[derive(Debug)]
struct PinnedTls(Arc<rustls::ClientConfig>);

impl<In: Transport> Connector<In> for PinnedTls {
    type Out = Either<In, PinnedTransport>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else { return Ok(None) };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|_| ureq::Error::Tls("the partner's host is not a valid TLS server name"))?;
        let mut conn = rustls::ClientConnection::new(self.0.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Either::B(PinnedTransport { buffers, stream: rustls::StreamOwned { conn, sock } })))
    }
}

struct PinnedTransport {
    buffers: LazyBuffers,
    stream: rustls::StreamOwned<rustls::ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for PinnedTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinnedTransport")
    }
}

impl Transport for PinnedTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        use std::io::Write;
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        use std::io::Read;
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// How long to wait and how much to accept from a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientLimits {
    /// Connecting (TCP and TLS).
    pub connect_timeout: Duration,
    /// Silence: waiting for the answer to start, or for the next bytes of it.
    pub read_timeout: Duration,
    /// One request, from connecting to the last byte of the body.
    pub request_timeout: Duration,
    /// The largest response body accepted. A TAXII page holds at most `limit` objects, and an
    /// object is at most a few hundred KiB in practice; 64 MiB leaves room for a page of 1000
    /// large objects.
    pub max_response_bytes: u64,
    /// Retries after a transient failure (refused or reset connection, 5xx, 429); idempotent
    /// requests only.
    pub retries: u32,
    /// The wait before the first retry; doubled for each further one.
    pub retry_backoff: Duration,
    /// The longest wait before a retry, including one a `Retry-After` header asks for (a longer
    /// `Retry-After` ends the request with an error instead).
    pub max_retry_wait: Duration,
}

impl Default for ClientLimits {
    fn default() -> Self {
        ClientLimits {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(120),
            max_response_bytes: 64 << 20,
            retries: 3,
            retry_backoff: Duration::from_millis(500),
            max_retry_wait: Duration::from_secs(30),
        }
    }
}

/// Why a request failed, in words that name the server (its label: a partner's name, or its
/// host and port).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Url(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("could not connect to {server}: {why}")]
    Connect { server: String, why: String },
    /// The TLS handshake failed (not retried: it would fail again).
    #[error("could not connect to {server}: TLS: {why}")]
    Handshake { server: String, why: String },
    #[error("{server} {what} within {} ({url})", secs(*.after))]
    Timeout { server: String, what: &'static str, after: Duration, url: String },
    #[error("{server} sent a response larger than {} ({url}){}", bytes(*.limit),
        .declared.map(|d| format!(": it declared {d} bytes")).unwrap_or_default())]
    TooLarge { server: String, url: String, limit: u64, declared: Option<u64> },
    #[error("{server}: {why} ({url})")]
    Transport { server: String, url: String, why: String },
    #[error("{server} answered {status} to {url}: {body}")]
    Status { server: String, status: u16, url: String, body: String },
    #[error("{server} answered {status} to {url}, a redirect to {location:?}; redirects are not followed")]
    Redirect { server: String, status: u16, url: String, location: String },
    #[error("{server} sent {why} ({url})")]
    Body { server: String, url: String, why: String },
}

fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{} s", d.as_secs()) } else { format!("{} ms", d.as_millis()) }
}

fn bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// A client of one server (keep-alive connections are pooled).
pub struct HttpClient {
    agent: ureq::Agent,
    /// The base URL (ends with '/').
    base: String,
    /// Path prefix of the base URL (ends with '/').
    pub base_path: String,
    /// How errors name the server.
    label: String,
    /// The `Authorization` header value.
    auth: Option<String>,
    limits: ClientLimits,
    /// Headers sent with every request (e.g. the size of a partner's log this node holds).
    extra: Vec<(String, String)>,
}

/// A response (any status; the body read within the size limit).
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

const TAXII: &str = "application/taxii+json;version=2.1";

/// One request, before it is sent.
struct Outgoing<'a> {
    method: &'a str,
    url: String,
    accept: Option<&'a str>,
    content_type: Option<&'a str>,
    body: Option<&'a [u8]>,
}

impl HttpClient {
    /// A client for `base_url` (`http://host:port/prefix/` or `https://…`), default limits.
    pub fn new(base_url: &str, auth: Option<(&str, &str)>, ca_file: Option<&Path>) -> Result<Self, ClientError> {
        Self::with_limits(base_url, auth, ca_file, None, ClientLimits::default())
    }

    /// As [`HttpClient::new`], with limits, and a label that names the server in errors (else
    /// its host and port).
    pub fn with_limits(
        base_url: &str,
        auth: Option<(&str, &str)>,
        ca_file: Option<&Path>,
        label: Option<&str>,
        limits: ClientLimits,
    ) -> Result<Self, ClientError> {
        let access = Access {
            ca_file: ca_file.map(Path::to_path_buf),
            ..auth.map(|(u, p)| Access::basic(u, p)).unwrap_or_default()
        };
        Self::with_access(base_url, &access, label, limits)
    }

    /// A client for `base_url` that authenticates and trusts as `access` says.
    pub fn with_access(
        base_url: &str,
        access: &Access,
        label: Option<&str>,
        limits: ClientLimits,
    ) -> Result<Self, ClientError> {
        let uri: ureq::http::Uri =
            base_url.parse().map_err(|e| ClientError::Url(format!("{base_url:?} is not a URL: {e}")))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err(ClientError::Url(format!("{base_url:?}: the scheme must be http or https"))),
        }
        let authority = uri.authority().ok_or_else(|| ClientError::Url(format!("{base_url:?} has no host")))?;
        if uri.query().is_some() {
            return Err(ClientError::Url(format!("{base_url:?}: a base URL has no query")));
        }
        let mut base_path = uri.path().to_string();
        if !base_path.ends_with('/') {
            base_path.push('/');
        }
        let base = format!("{}://{}{}", uri.scheme_str().unwrap_or("http"), authority, base_path);
        let root_certs = match (&access.ca_file, &access.pin) {
            (Some(path), None) => RootCerts::Specific(Arc::new(read_ca_file(path)?)),
            _ => RootCerts::WebPki,
        };
        let tls = TlsConfig::builder().provider(TlsProvider::Rustls).root_certs(root_certs).build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent("pacto")
            .accept(ureq::config::AutoHeaderValue::None)
            .tls_config(tls)
            .timeout_connect(Some(limits.connect_timeout))
            .timeout_per_read(Some(limits.read_timeout))
            .timeout_per_write(Some(limits.read_timeout))
            .timeout_global(Some(limits.request_timeout))
            .build();
        let agent = match &access.pin {
            None => config.new_agent(),
            Some(pin) => {
                if uri.scheme_str() != Some("https") {
                    return Err(ClientError::Url(format!(
                        "{base_url:?}: a pinned certificate fingerprint needs an https:// URL"
                    )));
                }
                let tls =
                    crate::identity::pinned_client_config(pin, access.identity.as_ref()).map_err(ClientError::Tls)?;
                let connector = TcpConnector::default().chain(PinnedTls(Arc::new(tls)));
                ureq::Agent::with_parts(config, connector, ureq::unversioned::resolver::DefaultResolver::default())
            }
        };
        Ok(HttpClient {
            agent,
            base,
            base_path,
            label: label.map_or_else(|| authority.to_string(), str::to_string),
            auth: access.authorization.clone(),
            limits,
            extra: Vec::new(),
        })
    }

    /// GET a path relative to the base URL (with its query string).
    /// Send `name: value` with every later request (replacing an earlier value).
    pub fn set_header(&mut self, name: &str, value: &str) {
        self.extra.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.extra.push((name.to_string(), value.to_string()));
    }

    pub fn get(&mut self, rel: &str) -> Result<Response, ClientError> {
        self.call("GET", rel, Some(TAXII), None, None)
    }

    /// POST a TAXII body to a path relative to the base URL.
    pub fn post(&mut self, rel: &str, body: &[u8]) -> Result<Response, ClientError> {
        self.call("POST", rel, Some(TAXII), Some(TAXII), Some(body))
    }

    /// POST raw bytes with a content type (private matching).
    pub fn post_bytes(&mut self, rel: &str, body: &[u8], content_type: &str) -> Result<Response, ClientError> {
        self.call("POST", rel, Some(TAXII), Some(content_type), Some(body))
    }

    /// Any method, to a path relative to the base URL.
    pub fn send(&mut self, method: &str, rel: &str, body: Option<&[u8]>) -> Result<Response, ClientError> {
        let content_type = body.filter(|b| !b.is_empty()).map(|_| TAXII);
        self.call(method, rel, Some(TAXII), content_type, body)
    }

    /// Any method, with the given `Accept` and `Content-Type` headers or none.
    pub fn call(
        &mut self,
        method: &str,
        rel: &str,
        accept: Option<&str>,
        content_type: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Response, ClientError> {
        let url = format!("{}{}", self.base, rel.trim_start_matches('/'));
        let out = Outgoing { method, url, accept, content_type, body };
        // Only requests that may be repeated are retried after the server may have seen them.
        let idempotent = matches!(method, "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS");
        let mut attempt = 0;
        loop {
            let wait = match self.once(&out) {
                Err(ClientError::Connect { why, .. }) if attempt < self.limits.retries => {
                    tracing::debug!(server = self.label, url = out.url, why, "connection failed; retrying");
                    None
                }
                Err(ClientError::Transport { why, .. }) if idempotent && attempt < self.limits.retries => {
                    tracing::debug!(server = self.label, url = out.url, why, "exchange failed; retrying");
                    None
                }
                Ok(r) if idempotent && attempt < self.limits.retries && (r.status == 429 || r.status >= 500) => {
                    match r.header("retry-after").map(|v| v.trim().parse::<u64>()) {
                        Some(Ok(s)) if Duration::from_secs(s) > self.limits.max_retry_wait => {
                            return Err(ClientError::Status {
                                server: self.label.clone(),
                                status: r.status,
                                url: out.url,
                                body: format!(
                                    "asked to retry after {s} s, longer than the {} this node waits",
                                    secs(self.limits.max_retry_wait)
                                ),
                            });
                        }
                        Some(Ok(s)) => Some(Duration::from_secs(s)),
                        _ => None,
                    }
                }
                other => return other,
            };
            let backoff = self.limits.retry_backoff.saturating_mul(1 << attempt.min(16));
            std::thread::sleep(wait.unwrap_or(backoff).min(self.limits.max_retry_wait));
            attempt += 1;
        }
    }

    fn once(&self, out: &Outgoing<'_>) -> Result<Response, ClientError> {
        let mut b = ureq::http::Request::builder().method(out.method).uri(&out.url);
        if let Some(a) = &self.auth {
            b = b.header("Authorization", a);
        }
        for (k, v) in &self.extra {
            b = b.header(k.as_str(), v.as_str());
        }
        if let Some(a) = out.accept {
            b = b.header("Accept", a);
        }
        if let Some(ct) = out.content_type {
            b = b.header("Content-Type", ct);
        }
        let bad_request = |e: ureq::http::Error| ClientError::Url(format!("{} {}: {e}", out.method, out.url));
        let sent = match out.body {
            Some(body) if !body.is_empty() || matches!(out.method, "POST" | "PUT" | "PATCH") => {
                self.agent.run(b.body(body).map_err(bad_request)?)
            }
            _ => self.agent.run(b.body(()).map_err(bad_request)?),
        };
        let mut resp = sent.map_err(|e| self.error(e, &out.url))?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let limit = self.limits.max_response_bytes;
        if let Some(declared) = resp.body().content_length().filter(|&n| n > limit) {
            return Err(ClientError::TooLarge {
                server: self.label.clone(),
                url: out.url.clone(),
                limit,
                declared: Some(declared),
            });
        }
        let body = resp.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| self.error(e, &out.url))?;
        Ok(Response { status, headers, body })
    }

    /// A ureq error in words.
    fn error(&self, e: ureq::Error, url: &str) -> ClientError {
        use ureq::Timeout as T;
        let server = self.label.clone();
        let url = url.to_string();
        let timeout = |what, after| ClientError::Timeout { server: server.clone(), what, after, url: url.clone() };
        match e {
            ureq::Error::Timeout(T::Connect | T::Resolve) => ClientError::Connect {
                server,
                why: format!("no connection within {}", secs(self.limits.connect_timeout)),
            },
            ureq::Error::Timeout(T::PerRead | T::RecvResponse) => timeout("did not answer", self.limits.read_timeout),
            ureq::Error::Timeout(T::PerWrite | T::SendRequest | T::SendBody) => {
                timeout("did not take the request", self.limits.read_timeout)
            }
            ureq::Error::Timeout(_) => timeout("did not finish answering", self.limits.request_timeout),
            ureq::Error::BodyExceedsLimit(limit) => ClientError::TooLarge { server, url, limit, declared: None },
            ureq::Error::HostNotFound => ClientError::Connect { server, why: "its host name was not found".into() },
            ureq::Error::ConnectionFailed => ClientError::Connect { server, why: "the connection failed".into() },
            ureq::Error::Io(io) => self.io_error(io, url),
            ureq::Error::Tls(why) => ClientError::Handshake { server, why: why.to_string() },
            ureq::Error::Rustls(why) => ClientError::Handshake { server, why: why.to_string() },
            ureq::Error::Protocol(why) => {
                ClientError::Transport { server, url, why: format!("its answer is not valid HTTP/1.1: {why}") }
            }
            ureq::Error::LargeResponseHeader(_, limit) => ClientError::Transport {
                server,
                url,
                why: format!("its response header is larger than {}", bytes(limit as u64)),
            },
            other => ClientError::Transport { server, url, why: other.to_string() },
        }
    }

    fn io_error(&self, io: io::Error, url: String) -> ClientError {
        use io::ErrorKind as K;
        let server = self.label.clone();
        // A body limit or timeout hit while reading comes back wrapped in an io::Error.
        if io.get_ref().is_some_and(|e| e.is::<ureq::Error>()) {
            if let Some(inner) = io.into_inner().and_then(|e| e.downcast::<ureq::Error>().ok()) {
                return self.error(*inner, &url);
            }
            return ClientError::Transport { server, url, why: "the exchange failed".into() };
        }
        match io.kind() {
            K::ConnectionRefused => ClientError::Connect { server, why: "connection refused".into() },
            // rustls reports a failed handshake (an untrusted certificate…) as invalid data.
            K::InvalidData => ClientError::Handshake { server, why: tls_why(&io) },
            K::TimedOut | K::WouldBlock => {
                ClientError::Timeout { server, what: "did not answer", after: self.limits.read_timeout, url }
            }
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => ClientError::Transport {
                server,
                url,
                why: format!("the connection was closed before the answer was complete ({io})"),
            },
            _ => ClientError::Transport { server, url, why: io.to_string() },
        }
    }
}

/// A failed handshake in words: a certificate refused for a reason of ours (a pin mismatch)
/// says that reason itself.
fn tls_why(io: &io::Error) -> String {
    match io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other))) => other.0.to_string(),
        Some(e) => e.to_string(),
        None => io.to_string(),
    }
}

fn read_ca_file(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, ClientError> {
    let pem = std::fs::read(path).map_err(|e| ClientError::Tls(format!("{}: {e}", path.display())))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let PemItem::Certificate(c) = item.map_err(|e| ClientError::Tls(format!("{}: {e}", path.display())))? {
            certs.push(c);
        }
    }
    if certs.is_empty() {
        return Err(ClientError::Tls(format!("{}: no certificate in this PEM file", path.display())));
    }
    Ok(certs)
}

/// A readable collection at the partner.
#[derive(Debug, Clone)]
pub struct RemoteCollection {
    pub id: String,
    pub title: String,
}

/// One page of objects, kept as received.
pub struct ObjectsPage {
    pub objects: Vec<Box<RawValue>>,
    pub more: bool,
    pub date_added_last: Option<String>,
    pub answer: Answer,
}

/// An answer's body as received and the receipt that came with it (pacto partners send one
/// with every answer that discloses something: `pacto_federation::ledger::receipt`).
pub struct Answer {
    pub body: Vec<u8>,
    pub receipt: Option<String>,
}

impl Answer {
    pub fn of(r: Response) -> Answer {
        let receipt = r.header(pacto_federation::ledger::receipt::HEADER).map(str::to_string);
        Answer { body: r.body, receipt }
    }
}

/// One manifest record: an object version, when the server added it, and its media type
/// (which says the STIX version: `application/stix+json;version=2.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    pub id: String,
    pub version: String,
    pub date_added: String,
    pub media_type: Option<String>,
}

/// TAXII calls on top of [`HttpClient`], relative to an API root.
pub struct TaxiiClient {
    pub http: HttpClient,
}

/// Percent-encode a path segment or query value (a collection id chosen by the server).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl TaxiiClient {
    /// A client of the API root `api_root`, authenticating and trusting as `access` says, with
    /// limits and the name errors give the server.
    pub fn with_access(
        api_root: &str,
        access: &Access,
        label: &str,
        limits: ClientLimits,
    ) -> Result<Self, ClientError> {
        Ok(TaxiiClient { http: HttpClient::with_access(api_root, access, Some(label), limits)? })
    }

    /// GET a TAXII resource: a 2xx answer with a TAXII (or JSON) body, else an error that says
    /// what came instead.
    fn get_taxii(&mut self, rel: &str) -> Result<(Response, String), ClientError> {
        let url = format!("{}{rel}", self.http.base);
        let r = self.http.get(rel)?;
        let server = self.http.label.clone();
        if (300..400).contains(&r.status) {
            let location = r.header("location").unwrap_or("nowhere").to_string();
            return Err(ClientError::Redirect { server, status: r.status, url, location });
        }
        if !(200..300).contains(&r.status) {
            let body = String::from_utf8_lossy(&r.body).chars().take(300).collect();
            return Err(ClientError::Status { server, status: r.status, url, body });
        }
        let ct = r.header("content-type").unwrap_or("").to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !matches!(essence, "application/taxii+json" | "application/json") {
            let why = format!(
                "content of type {:?}, not application/taxii+json",
                if ct.is_empty() { "(none)" } else { ct.as_str() }
            );
            return Err(ClientError::Body { server, url, why });
        }
        Ok((r, url))
    }

    fn not_taxii(&self, url: &str, e: serde_json::Error) -> ClientError {
        ClientError::Body {
            server: self.http.label.clone(),
            url: url.to_string(),
            why: format!("a body that is not a TAXII envelope: {e}"),
        }
    }

    /// The TAXII resource at the base URL itself (discovery, or an API root), as JSON.
    fn resource(&mut self) -> Result<Value, ClientError> {
        let (r, url) = self.get_taxii("")?;
        serde_json::from_slice(&r.body).map_err(|e| self.not_taxii(&url, e))
    }

    /// The collections this account may read.
    pub fn readable_collections(&mut self) -> Result<Vec<RemoteCollection>, ClientError> {
        self.collections_where("can_read")
    }

    /// The collections this account may write to (at a pacto partner: this node's drop box).
    pub fn writable_collections(&mut self) -> Result<Vec<RemoteCollection>, ClientError> {
        self.collections_where("can_write")
    }

    fn collections_where(&mut self, right: &str) -> Result<Vec<RemoteCollection>, ClientError> {
        let (r, url) = self.get_taxii("collections/")?;
        let v: Value = serde_json::from_slice(&r.body).map_err(|e| self.not_taxii(&url, e))?;
        Ok(v["collections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c[right] == true)
            .filter_map(|c| {
                Some(RemoteCollection {
                    id: c["id"].as_str()?.to_string(),
                    title: c["title"].as_str().unwrap_or_default().to_string(),
                })
            })
            .collect())
    }

    /// Every version added after `added_after` (a TAXII timestamp), up to `limit`.
    pub fn objects_after(
        &mut self,
        collection: &str,
        added_after: Option<&str>,
        limit: usize,
    ) -> Result<ObjectsPage, ClientError> {
        let mut rel = format!("collections/{}/objects/?limit={limit}&match%5Bversion%5D=all", encode(collection));
        if let Some(a) = added_after {
            rel.push_str(&format!("&added_after={}", encode(a)));
        }
        let (r, url) = self.get_taxii(&rel)?;
        let date_added_last = r.header("x-taxii-date-added-last").map(str::to_string);
        #[derive(serde::Deserialize)]
        struct Envelope {
            #[serde(default)]
            more: bool,
            #[serde(default)]
            objects: Vec<Box<RawValue>>,
        }
        let e: Envelope = serde_json::from_slice(&r.body).map_err(|e| self.not_taxii(&url, e))?;
        Ok(ObjectsPage { objects: e.objects, more: e.more, date_added_last, answer: Answer::of(r) })
    }

    /// The manifest entries after `added_after`: (id, version) → date_added.
    pub fn manifest_after(
        &mut self,
        collection: &str,
        added_after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<ManifestEntry>, Answer), ClientError> {
        let mut rel = format!("collections/{}/manifest/?limit={limit}&match%5Bversion%5D=all", encode(collection));
        if let Some(a) = added_after {
            rel.push_str(&format!("&added_after={}", encode(a)));
        }
        let (r, url) = self.get_taxii(&rel)?;
        let v: Value = serde_json::from_slice(&r.body).map_err(|e| self.not_taxii(&url, e))?;
        let entries = v["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                Some(ManifestEntry {
                    id: m["id"].as_str()?.to_string(),
                    version: m["version"].as_str()?.to_string(),
                    date_added: m["date_added"].as_str()?.to_string(),
                    media_type: m["media_type"].as_str().map(str::to_string),
                })
            })
            .collect();
        Ok((entries, Answer::of(r)))
    }
}

/// One of the partner's ledger endpoints (`rel` under the API root): a JSON answer, or the
/// status and the start of the body; `what` names the answer expected.
fn ledger_call<T: serde::de::DeserializeOwned>(
    http: &mut HttpClient,
    method: &str,
    rel: &str,
    body: Option<&[u8]>,
    what: &str,
) -> Result<T, ClientError> {
    let url = format!("{}{rel}", http.base);
    let r = http.send(method, rel, body)?;
    let server = http.label.clone();
    if !(200..300).contains(&r.status) {
        let body = String::from_utf8_lossy(&r.body).chars().take(300).collect();
        return Err(ClientError::Status { server, status: r.status, url, body });
    }
    serde_json::from_slice(&r.body).map_err(|e| ClientError::Body { server, url, why: format!("not {what}: {e}") })
}

/// The partner's ledger key history (`GET {api root}/ledger/keys/`): each handover of its log
/// from one key to the next, oldest first, tied to its newest head.
pub fn key_history(http: &mut HttpClient) -> Result<pacto_federation::ledger::rotation::KeyHistory, ClientError> {
    ledger_call(http, "GET", "ledger/keys/", None, "a ledger key history")
}

/// The partner's ledger key history as of its signed head of size `size` (a receipt's): each
/// handover up to it, with its consistency proof to that head.
pub fn key_history_at(
    http: &mut HttpClient,
    size: u64,
) -> Result<pacto_federation::ledger::rotation::KeyHistory, ClientError> {
    ledger_call(http, "GET", &format!("ledger/keys/?size={size}"), None, "a ledger key history")
}

impl TaxiiClient {
    /// The API root's `max_content_length` (the largest body it takes), if it says one.
    pub fn max_content_length(&mut self) -> Result<Option<u64>, ClientError> {
        Ok(self.resource()?.get("max_content_length").and_then(Value::as_u64))
    }

    /// POST an envelope (`{"objects": […]}`) to a collection; returns the status resource the
    /// server answers with (TAXII 2.1 §5.5: 202 Accepted).
    pub fn post_objects(&mut self, collection: &str, envelope: &[u8]) -> Result<Value, ClientError> {
        let rel = format!("collections/{}/objects/", encode(collection));
        let url = format!("{}{rel}", self.http.base);
        let r = self.http.post(&rel, envelope)?;
        self.status_body(r, url)
    }

    /// A status resource (`GET {api root}/status/{id}/`).
    pub fn status(&mut self, id: &str) -> Result<Value, ClientError> {
        let rel = format!("status/{}/", encode(id));
        let url = format!("{}{rel}", self.http.base);
        let r = self.http.get(&rel)?;
        self.status_body(r, url)
    }

    fn status_body(&self, r: Response, url: String) -> Result<Value, ClientError> {
        let server = self.http.label.clone();
        if !(200..300).contains(&r.status) {
            let body = String::from_utf8_lossy(&r.body).chars().take(300).collect();
            return Err(ClientError::Status { server, status: r.status, url, body });
        }
        let v: Value = serde_json::from_slice(&r.body).map_err(|e| self.not_taxii(&url, e))?;
        if v.get("status").and_then(Value::as_str).is_none() {
            return Err(ClientError::Body { server, url, why: "an answer that is not a TAXII status resource".into() });
        }
        Ok(v)
    }
}

impl TaxiiClient {
    /// Ask the partner for proofs of its log (`POST {api root}/ledger/proofs/`: see
    /// `pacto_federation::ledger::receipt::AuditAnswer`).
    pub fn audit(
        &mut self,
        req: &pacto_federation::ledger::receipt::AuditRequest,
    ) -> Result<pacto_federation::ledger::receipt::AuditAnswer, ClientError> {
        let body = serde_json::to_vec(req).unwrap_or_default();
        ledger_call(&mut self.http, "POST", "ledger/proofs/", Some(&body), "an audit answer")
    }

    /// The partner's ledger key history (see [`key_history`]).
    pub fn key_history(&mut self) -> Result<pacto_federation::ledger::rotation::KeyHistory, ClientError> {
        key_history(&mut self.http)
    }

    /// Hand the partner this node's cosignature of its log's head
    /// (`POST {api root}/ledger/cosignatures/`).
    pub fn cosign(&mut self, c: &pacto_federation::ledger::receipt::Cosignature) -> Result<(), ClientError> {
        let body = serde_json::to_vec(c).unwrap_or_default();
        let _: serde_json::Value =
            ledger_call(&mut self.http, "POST", "ledger/cosignatures/", Some(&body), "a JSON answer")?;
        Ok(())
    }
}

/// Where a URL given for a partner leads: its API root, found by following discovery as TAXII
/// clients do when the URL is a discovery endpoint (the `default` API root, else the only one),
/// and the collections the account may read there. Every failure says what is wrong: not a
/// URL, unreachable, TLS, credentials refused, no TAXII 2.1 discovery or API root there.
pub fn find_api_root(url: &str, access: &Access, label: &str) -> Result<(String, Vec<RemoteCollection>), ClientError> {
    if !url.contains("://") {
        return Err(ClientError::Url(format!(
            "{url:?} is not a URL: give it with its scheme, e.g. https://taxii.partner.example/taxii2/"
        )));
    }
    let limits = ClientLimits { retries: 0, ..ClientLimits::default() };
    let at = |u: &str| TaxiiClient::with_access(u, access, label, limits.clone());
    let mut first = at(url)?;
    let here = first.http.base.clone();
    let v = first.resource()?;
    let api_root = if let Some(roots) = v.get("api_roots").and_then(Value::as_array) {
        // Discovery: the default API root, else the only one.
        let listed: Vec<&str> = roots.iter().filter_map(Value::as_str).collect();
        let chosen = v.get("default").and_then(Value::as_str).or((listed.len() == 1).then(|| listed[0]));
        let Some(root) = chosen else {
            return Err(ClientError::Body {
                server: label.to_string(),
                url: here,
                why: format!(
                    "a discovery resource with {} API roots and no default: give the API root's URL instead",
                    listed.len()
                ),
            });
        };
        let root = if root.ends_with('/') { root.to_string() } else { format!("{root}/") };
        if at(&root)?.resource()?.get("versions").is_none() {
            return Err(not_a_root(label, &root));
        }
        root
    } else if v.get("versions").is_some() {
        here
    } else {
        return Err(not_a_root(label, &here));
    };
    let collections = at(&api_root)?.readable_collections()?;
    Ok((api_root, collections))
}

fn not_a_root(label: &str, url: &str) -> ClientError {
    ClientError::Body {
        server: label.to_string(),
        url: url.to_string(),
        why: "a JSON resource that is neither a TAXII 2.1 discovery nor an API root".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(user: &str, fingerprint: Option<&str>) -> pacto_store::Remote {
        pacto_store::Remote {
            partner: "mx".into(),
            api_root: "https://mx.example/api/".into(),
            username: user.into(),
            password: if user.is_empty() { String::new() } else { "pw".into() },
            ca_file: None,
            fingerprint: fingerprint.map(str::to_string),
        }
    }

    #[test]
    fn a_connection_says_how_it_authenticates() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["node".into()]).unwrap().self_signed(&key).unwrap();
        let id = NodeIdentity::from_pem(cert.pem().as_bytes(), key.serialize_pem().as_bytes()).unwrap();
        assert_eq!(id.fingerprint(), crate::identity::fingerprint(cert.der()));
        let pin = "ab".repeat(32);
        // Mutual TLS: a pin, the node's certificate, no Authorization header.
        let a = Access::of_remote(&remote("", Some(&pin)), Some(&id));
        assert_eq!(
            (a.authorization.as_deref(), a.pin.as_deref(), a.identity.is_some()),
            (None, Some(pin.as_str()), true)
        );
        // Basic without a pin: the certificate is never presented to an unpinned server.
        let b = Access::of_remote(&remote("us", None), Some(&id));
        assert_eq!(b.authorization.as_deref(), Some("Basic dXM6cHc="));
        assert!(b.pin.is_none() && b.identity.is_none());
        // A pin over plain HTTP is refused before anything is sent.
        let e = HttpClient::with_access("http://mx.example/api/", &a, None, ClientLimits::default()).err().unwrap();
        assert!(e.to_string().contains("needs an https:// URL"), "{e}");
    }
}
