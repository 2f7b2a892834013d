//! A TAXII 2.1 client for partner sync: HTTP/1.1 with keep-alive, Basic auth, and HTTPS through
//! rustls (trusting a partner's own CA file, or the public web roots). It keeps objects as raw
//! JSON text — nothing received is reshaped — and reads the `X-TAXII-Date-Added-Last` header,
//! which is the exact cursor sync resumes from.
//!
//! (rstix's TAXII client parses objects into its typed model and shifts `added_after` by a
//! clock-skew margin; sync needs the received bytes and exact cursors, hence this client.)

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;
use serde_json::value::RawValue;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Url(String),
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("{status} from {url}: {body}")]
    Status { status: u16, url: String, body: String },
    #[error("{url}: {why}")]
    Body { url: String, why: String },
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// A connection to one server.
pub struct HttpClient {
    tls: Option<Arc<rustls::ClientConfig>>,
    host: String,
    port: u16,
    /// Path prefix of the base URL (ends with '/').
    pub base_path: String,
    auth: Option<String>,
    conn: Option<BufReader<Box<dyn Stream>>>,
    content_type: Option<String>,
}

/// A response.
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

impl HttpClient {
    /// A client for `base_url` (`http://host:port/prefix/` or `https://…`).
    pub fn new(base_url: &str, auth: Option<(&str, &str)>, ca_file: Option<&Path>) -> Result<Self, ClientError> {
        let (scheme, rest) =
            base_url.split_once("://").ok_or_else(|| ClientError::Url(format!("{base_url:?} is not a URL")))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let tls = match scheme {
            "http" => None,
            "https" => Some(tls_config(ca_file)?),
            other => return Err(ClientError::Url(format!("unsupported scheme {other:?}"))),
        };
        let default_port = if tls.is_some() { 443 } else { 80 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                (h.to_string(), p.parse().map_err(|_| ClientError::Url(format!("bad port in {base_url:?}")))?)
            }
            _ => (authority.to_string(), default_port),
        };
        let mut base_path = path.to_string();
        if !base_path.ends_with('/') {
            base_path.push('/');
        }
        let auth = auth
            .map(|(u, p)| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))));
        Ok(HttpClient { tls, host, port, base_path, auth, conn: None, content_type: None })
    }

    fn connect(&mut self) -> Result<(), ClientError> {
        let tcp = TcpStream::connect((self.host.trim_matches(['[', ']']), self.port))?;
        tcp.set_nodelay(true)?;
        tcp.set_read_timeout(Some(Duration::from_secs(120)))?;
        tcp.set_write_timeout(Some(Duration::from_secs(120)))?;
        let stream: Box<dyn Stream> = match &self.tls {
            None => Box::new(tcp),
            Some(cfg) => {
                let name = rustls::pki_types::ServerName::try_from(self.host.trim_matches(['[', ']']).to_string())
                    .map_err(|e| ClientError::Tls(e.to_string()))?;
                let conn =
                    rustls::ClientConnection::new(cfg.clone(), name).map_err(|e| ClientError::Tls(e.to_string()))?;
                Box::new(rustls::StreamOwned::new(conn, tcp))
            }
        };
        self.conn = Some(BufReader::with_capacity(1 << 16, stream));
        Ok(())
    }

    /// GET a path relative to the base URL (with its query string).
    pub fn get(&mut self, rel: &str) -> Result<Response, ClientError> {
        self.request("GET", rel, None)
    }

    /// POST a TAXII body to a path relative to the base URL.
    pub fn post(&mut self, rel: &str, body: &[u8]) -> Result<Response, ClientError> {
        self.request("POST", rel, Some(body))
    }

    /// POST raw bytes with a content type (private matching).
    pub fn post_bytes(&mut self, rel: &str, body: &[u8], content_type: &str) -> Result<Response, ClientError> {
        self.content_type = Some(content_type.to_string());
        let r = self.request("POST", rel, Some(body));
        self.content_type = None;
        r
    }

    /// Any method, to a path relative to the base URL.
    pub fn send(&mut self, method: &str, rel: &str, body: Option<&[u8]>) -> Result<Response, ClientError> {
        self.request(method, rel, body)
    }

    fn request(&mut self, method: &str, rel: &str, body: Option<&[u8]>) -> Result<Response, ClientError> {
        let path = format!("{}{}", self.base_path, rel.trim_start_matches('/'));
        match self.try_request(method, &path, body) {
            Ok(r) => Ok(r),
            // One retry on a kept-alive connection the server closed meanwhile.
            Err(ClientError::Io(_)) if self.conn.is_some() => {
                self.conn = None;
                self.try_request(method, &path, body)
            }
            Err(e) => Err(e),
        }
    }

    fn try_request(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Response, ClientError> {
        if self.conn.is_none() {
            self.connect()?;
        }
        let host = if (self.tls.is_some() && self.port == 443) || (self.tls.is_none() && self.port == 80) {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        };
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nAccept: {TAXII}\r\nUser-Agent: pacto\r\n");
        if let Some(a) = &self.auth {
            head.push_str(&format!("Authorization: {a}\r\n"));
        }
        let body = body.unwrap_or_default();
        if method == "POST" {
            head.push_str(&format!("Content-Type: {}\r\n", self.content_type.as_deref().unwrap_or(TAXII)));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let conn = self.conn.as_mut().ok_or_else(|| ClientError::Io(io::ErrorKind::NotConnected.into()))?;
        let w = conn.get_mut();
        w.write_all(head.as_bytes())?;
        w.write_all(body)?;
        w.flush()?;
        let resp = read_response(conn)?;
        if resp.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close")) {
            self.conn = None;
        }
        Ok(resp)
    }
}

fn read_response(conn: &mut BufReader<Box<dyn Stream>>) -> Result<Response, ClientError> {
    let mut line = String::new();
    if conn.read_line(&mut line)? == 0 {
        return Err(ClientError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed")));
    }
    let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| {
        ClientError::Io(io::Error::new(io::ErrorKind::InvalidData, format!("bad status line {line:?}")))
    })?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        conn.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let find = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.to_ascii_lowercase());
    let mut body = Vec::new();
    if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            line.clear();
            conn.read_line(&mut line)?;
            let size =
                usize::from_str_radix(line.trim(), 16).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        conn.read_exact(&mut body)?;
    } else {
        conn.read_to_end(&mut body)?;
    }
    Ok(Response { status, headers, body })
}

fn tls_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, ClientError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            for cert in
                CertificateDer::pem_file_iter(path).map_err(|e| ClientError::Tls(format!("{}: {e}", path.display())))?
            {
                let cert = cert.map_err(|e| ClientError::Tls(format!("{}: {e}", path.display())))?;
                roots.add(cert).map_err(|e| ClientError::Tls(e.to_string()))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
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

fn ok_json(r: Response, url: &str) -> Result<Value, ClientError> {
    if !(200..300).contains(&r.status) {
        return Err(ClientError::Status {
            status: r.status,
            url: url.to_string(),
            body: String::from_utf8_lossy(&r.body).chars().take(300).collect(),
        });
    }
    serde_json::from_slice(&r.body).map_err(|e| ClientError::Body { url: url.to_string(), why: e.to_string() })
}

impl TaxiiClient {
    pub fn new(api_root: &str, user: &str, password: &str, ca_file: Option<&Path>) -> Result<Self, ClientError> {
        Ok(TaxiiClient { http: HttpClient::new(api_root, Some((user, password)), ca_file)? })
    }

    /// The collections this account may read.
    pub fn readable_collections(&mut self) -> Result<Vec<RemoteCollection>, ClientError> {
        let r = self.http.get("collections/")?;
        let v = ok_json(r, "collections/")?;
        Ok(v["collections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["can_read"] == true)
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
        let mut rel = format!("collections/{collection}/objects/?limit={limit}&match%5Bversion%5D=all");
        if let Some(a) = added_after {
            rel.push_str(&format!("&added_after={a}"));
        }
        let r = self.http.get(&rel)?;
        if !(200..300).contains(&r.status) {
            return Err(ClientError::Status {
                status: r.status,
                url: rel,
                body: String::from_utf8_lossy(&r.body).chars().take(300).collect(),
            });
        }
        let date_added_last = r.header("x-taxii-date-added-last").map(str::to_string);
        #[derive(serde::Deserialize)]
        struct Envelope {
            #[serde(default)]
            more: bool,
            #[serde(default)]
            objects: Vec<Box<RawValue>>,
        }
        let e: Envelope =
            serde_json::from_slice(&r.body).map_err(|e| ClientError::Body { url: rel.clone(), why: e.to_string() })?;
        Ok(ObjectsPage { objects: e.objects, more: e.more, date_added_last })
    }

    /// The manifest entries after `added_after`: (id, version) → date_added.
    pub fn manifest_after(
        &mut self,
        collection: &str,
        added_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManifestEntry>, ClientError> {
        let mut rel = format!("collections/{collection}/manifest/?limit={limit}&match%5Bversion%5D=all");
        if let Some(a) = added_after {
            rel.push_str(&format!("&added_after={a}"));
        }
        let r = self.http.get(&rel)?;
        let v = ok_json(r, &rel)?;
        Ok(v["objects"]
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
            .collect())
    }
}
