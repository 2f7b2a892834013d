//! An HTTP/1.1 client for load tests and benchmarks against loopback servers (pacto,
//! medallion): the node's own TAXII client ([`pacto_node::client::HttpClient`]) with a
//! host-and-path interface.

use std::io;

pub use pacto_node::client::Response;

/// One keep-alive connection to one server.
pub struct Client {
    inner: pacto_node::client::HttpClient,
}

impl Client {
    /// `host` is `127.0.0.1:8443`; `user`/`password` for Basic auth.
    pub fn new(host: &str, user: Option<(&str, &str)>) -> Client {
        // A load tool measures what the server answers: no retries.
        let limits = pacto_node::client::ClientLimits { retries: 0, ..Default::default() };
        let inner = pacto_node::client::HttpClient::with_limits(&format!("http://{host}/"), user, None, None, limits)
            .unwrap_or_else(|e| panic!("{host}: {e}"));
        Client { inner }
    }

    /// Send a request (a TAXII GET when `body` is None, a TAXII POST otherwise) to an absolute path.
    pub fn request(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> io::Result<Response> {
        let r = match (method, body) {
            ("GET", _) => self.inner.get(path),
            ("POST", Some(b)) => self.inner.post(path, b),
            _ => self.inner.send(method, path, body),
        };
        r.map_err(|e| io::Error::other(e.to_string()))
    }
}
