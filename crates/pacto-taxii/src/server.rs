//! The accept loop: HTTP/1.1 connections to the router, with the limits `axum::serve` lacks.
//!
//! - a connection must send its request head within `header_timeout` (hyper closes it
//!   otherwise), and one with no request in flight and no bytes moving for `idle_timeout` is
//!   closed, so half-open and idle connections cannot pile up;
//! - at most `max_connections` at once, and `max_connections_per_address` from one address (an
//!   IPv6 address counts by its /64): a connection beyond either is closed at once, before any
//!   handshake, so one address cannot take every file descriptor;
//! - a handshake (TLS) runs inside the connection's slot and must finish within
//!   `handshake_timeout`;
//! - each request carries its peer as `ConnectInfo<SocketAddr>` (the login throttle keys on it),
//!   and, when the handshake verified a client certificate, its fingerprint
//!   ([`ClientCertificate`]: how a partner's node authenticates under mutual TLS);
//! - on shutdown, no new connections; open ones finish the request in hand and close, for at
//!   most `shutdown_grace`.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower_service::Service;

/// Connection limits (see the module documentation).
#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub handshake_timeout: Duration,
    /// Time to send a request body once its head has arrived (then 408): a body sent slowly
    /// cannot hold a connection, a core or memory for long.
    pub body_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            handshake_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            // Below the usual open-file limit of 1024, with room for the store and logs.
            max_connections: 900,
            max_connections_per_address: 64,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// The client certificate a connection's TLS handshake verified (the client proved it holds
/// its key): its SHA-256 fingerprint, hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    pub fingerprint: String,
}

/// Serve plain HTTP on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    serve_with(listener, router, limits, shutdown, |tcp| async move { Ok((tcp, None)) }).await
}

/// As [`serve`], with `handshake` turning each accepted TCP stream into the stream HTTP runs
/// over (TLS), with the client certificate it verified if any; it runs in the connection's
/// task, under the connection caps and `handshake_timeout`.
pub async fn serve_with<H, F, Io>(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
    handshake: H,
) -> io::Result<()>
where
    H: Fn(TcpStream) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = io::Result<(Io, Option<ClientCertificate>)>> + Send + 'static,
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let max = limits.max_connections.clamp(1, u32::MAX as usize);
    let slots = Arc::new(Semaphore::new(max));
    let addresses: Arc<Mutex<HashMap<IpAddr, usize>>> = Default::default();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before accept: wait a
                    // little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "connection refused: the server is at its connection cap");
            continue;
        };
        let Some(address) = AddressSlot::take(&addresses, peer.ip(), limits.max_connections_per_address) else {
            tracing::debug!(%peer, "connection refused: this address is at its connection cap");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let (router, limits, handshake, stop) = (router.clone(), limits.clone(), handshake.clone(), stop_rx.clone());
        tokio::spawn(async move {
            connection(tcp, peer, router, limits, handshake, stop).await;
            drop((slot, address));
        });
    }
    // Stop: tell every connection, then wait for them (bounded) by taking back every slot.
    drop(listener);
    let _ = stop_tx.send(true);
    let all = slots.acquire_many(max as u32);
    if tokio::time::timeout(limits.shutdown_grace, all).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace period; closing them");
    }
    Ok(())
}

async fn connection<H, F, Io>(
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    handshake: H,
    mut stop: watch::Receiver<bool>,
) where
    H: Fn(TcpStream) -> F,
    F: Future<Output = io::Result<(Io, Option<ClientCertificate>)>>,
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (io, certificate) = match tokio::time::timeout(limits.handshake_timeout, handshake(tcp)).await {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "handshake failed"),
        Err(_) => return tracing::debug!(%peer, "handshake timed out"),
    };
    let activity = Arc::new(Activity::new());
    let io = Tracked { io, activity: activity.clone() };
    let in_flight = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        if let Some(c) = &certificate {
            req.extensions_mut().insert(c.clone());
        }
        let mut router = router.clone();
        let busy = Busy::new(in_flight.clone());
        async move {
            let resp = router.call(req).await;
            drop(busy);
            resp
        }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).keep_alive(true);
    let conn = http.serve_connection(TokioIo::new(io), service);
    let mut conn = std::pin::pin!(conn);
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                return;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = activity.idle(limits.idle_timeout) => {
                tracing::debug!(%peer, "idle connection closed");
                return;
            }
        }
    }
}

/// What a connection is doing: the last time bytes moved, and the requests in flight.
struct Activity {
    epoch: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity { epoch: Instant::now(), last_ms: AtomicU64::new(0), in_flight: AtomicUsize::new(0) }
    }

    fn touch(&self) {
        self.last_ms.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Completes once no request has been in flight and no byte has moved for `limit`.
    async fn idle(&self, limit: Duration) {
        loop {
            let quiet =
                self.epoch.elapsed().saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)));
            if self.in_flight.load(Ordering::Relaxed) == 0 && quiet >= limit {
                return;
            }
            // A request in flight is the handler's business; look again later.
            tokio::time::sleep(limit.saturating_sub(quiet).max(Duration::from_millis(100))).await;
        }
    }
}

/// A request in flight on a connection (until its response head is ready).
struct Busy(Arc<Activity>);

impl Busy {
    fn new(a: Arc<Activity>) -> Self {
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        Busy(a)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stream that notes when bytes move.
struct Tracked<Io> {
    io: Io,
    activity: Arc<Activity>,
}

impl<Io: AsyncRead + Unpin> AsyncRead for Tracked<Io> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Tracked<Io> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The address a connection counts against: an IPv4 address, or an IPv6 address's /64 (one
/// host usually holds a whole /64).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// One connection's place in its address's count; given back on drop.
struct AddressSlot {
    table: Arc<Mutex<HashMap<IpAddr, usize>>>,
    key: IpAddr,
}

impl AddressSlot {
    fn take(table: &Arc<Mutex<HashMap<IpAddr, usize>>>, ip: IpAddr, cap: usize) -> Option<AddressSlot> {
        let key = address_key(ip);
        let mut t = table.lock().ok()?;
        let n = t.entry(key).or_insert(0);
        if *n >= cap.max(1) {
            return None;
        }
        *n += 1;
        Some(AddressSlot { table: table.clone(), key })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        if let Ok(mut t) = self.table.lock()
            && let Some(n) = t.get_mut(&self.key)
        {
            *n -= 1;
            if *n == 0 {
                t.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(address_key(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn address_slots_are_counted_and_given_back() {
        let table = Arc::new(Mutex::new(HashMap::new()));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let a = AddressSlot::take(&table, ip, 2).unwrap();
        let b = AddressSlot::take(&table, ip, 2).unwrap();
        assert!(AddressSlot::take(&table, ip, 2).is_none());
        assert!(AddressSlot::take(&table, "192.0.2.2".parse().unwrap(), 2).is_some());
        drop(a);
        let _c = AddressSlot::take(&table, ip, 2).unwrap();
        drop(b);
        drop(_c);
        assert!(table.lock().unwrap().is_empty(), "no entry stays for an address with no connection");
    }
}
