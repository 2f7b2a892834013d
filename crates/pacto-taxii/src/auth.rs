//! Authentication: HTTP Basic against the store's users, whose passwords are argon2id hashes;
//! API tokens (`Authorization: Bearer …` or `Token …`, [`token_login`], checked by
//! `pacto_node::tokens`); and partners' node certificates under mutual TLS ([`cert_login`]: the
//! accept loop puts the verified certificate's fingerprint on the request, see
//! [`crate::server::ClientCertificate`]).
//!
//! argon2 is slow on purpose (tens of milliseconds); a login that verified once is remembered
//! as a keyed SHA-256 of (name, password, stored hash), so later requests cost a hash, and a
//! changed password or a removed user stops matching at once.
//!
//! Password guessing is throttled ([`Throttle`]): failed logins count per (account, address)
//! and per address across accounts; past a few, each further failure doubles a wait during
//! which that key is answered 429 with `Retry-After`, without a password check, and failures
//! are forgiven as time passes. Keying by address means a flood from one address never locks
//! the real user out from theirs. Every argon2 run (the dummy one for unknown accounts too)
//! goes through a pool of (cores − 1) permits on blocking threads, so a flood queues instead of
//! starving the store's readers, and a queue past [`MAX_WAITING_CHECKS`] is answered 503.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use pacto_node::accounts::{DUMMY_HASH, verify_password};
use pacto_store::User;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::TaxiiError;
use axum::http::StatusCode;

/// A user name and password from an Authorization header.
#[derive(Clone)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl Credentials {
    /// Parse `Authorization: Basic …`; None when absent or malformed.
    pub fn from_headers(headers: &HeaderMap) -> Option<Credentials> {
        let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD.decode(token.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        Some(Credentials { user: user.to_string(), password: password.to_string() })
    }
}

/// The API token in an `Authorization: Bearer …` or `Authorization: Token …` header.
pub fn api_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")).then(|| token.trim())
}

/// How often, at most, a token's last use is written to the database.
const TOUCH_EVERY_US: i64 = 60_000_000;

/// Authenticate an API token: the account it acts as, or 401 — the same 401 for an unknown,
/// a revoked and an expired token (the node's log says which).
pub async fn token_login(state: &Arc<crate::AppState>, token: &str) -> Result<User, TaxiiError> {
    let token = token.to_string();
    let now = pacto_stix::Timestamp::now().as_micros();
    let found = state.stores.read(move |s| Ok(pacto_node::tokens::authenticate(s, &token, now)?)).await?;
    let t = match found {
        Ok(t) => t,
        Err(why) => {
            // The caller hears only 401; the operator hears why (a revoked or expired token in
            // use is a tool to reconfigure, or a leaked token being tried).
            match why {
                pacto_node::tokens::Refusal::Unknown => tracing::info!(peer = %peer(), "unknown API token refused"),
                why => tracing::warn!(peer = %peer(), reason = %why, "API token refused"),
            }
            return Err(TaxiiError::unauthorized());
        }
    };
    let due = state.logins.touched.lock().is_ok_and(|mut m| {
        let last = m.entry(t.name.clone()).or_insert(i64::MIN);
        let due = now.saturating_sub(*last) >= TOUCH_EVERY_US;
        if due {
            *last = now;
        }
        due
    });
    if due {
        let name = t.name.clone();
        if let Err(e) = state.stores.write(move |s| Ok(s.touch_token(&name, now)?)).await {
            tracing::warn!(token = t.name, error = %e, "the token's last use was not recorded");
        }
    }
    Ok(pacto_node::tokens::as_user(&t))
}

/// Authenticate a partner's node by its verified certificate: the partner bound to its
/// fingerprint (`pacto partner add NAME --cert FINGERPRINT`), or 401 saying that the
/// certificate is bound to no partner.
pub async fn cert_login(state: &Arc<crate::AppState>, fingerprint: &str) -> Result<User, TaxiiError> {
    let fp = fingerprint.to_string();
    let user = state
        .stores
        .read(move |s| {
            Ok(match s.partner_by_cert(&fp)? {
                Some(partner) => s.user(&partner)?,
                None => None,
            })
        })
        .await?;
    user.ok_or_else(|| {
        tracing::info!(peer = %peer(), fingerprint, "client certificate bound to no partner");
        TaxiiError {
            description: format!("this client certificate (SHA-256 {fingerprint}) is bound to no partner of this node"),
            ..TaxiiError::unauthorized()
        }
    })
}

/// Logins verified recently, the failed-login throttle, and the pool password checks run in.
pub struct LoginCache {
    key: [u8; 32],
    seen: Mutex<HashMap<String, [u8; 32]>>,
    pub throttle: Throttle,
    /// argon2 runs allowed at once: all cores but one.
    hashing: Arc<tokio::sync::Semaphore>,
    /// Logins waiting for a permit.
    waiting: AtomicUsize,
    /// Password checks waiting or running, by address.
    checking: Arc<Mutex<HashMap<IpAddr, Arc<tokio::sync::Semaphore>>>>,
    /// When each API token's use was last written to the database.
    touched: Mutex<HashMap<String, i64>>,
}

impl Default for LoginCache {
    fn default() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        LoginCache {
            key,
            seen: Mutex::new(HashMap::new()),
            throttle: Throttle::default(),
            hashing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1)),
            )),
            waiting: AtomicUsize::new(0),
            checking: Arc::default(),
            touched: Mutex::default(),
        }
    }
}

/// Logins waiting for a password check beyond which new ones are answered 503 (logins already
/// verified, which need no check, still go through).
pub const MAX_WAITING_CHECKS: usize = 64;

/// Password checks one address may have waiting for the pool or running at once; more wait
/// their turn behind them, so one address's flood holds at most this many places ahead of
/// anyone else's login.
pub const CHECKS_PER_ADDRESS: usize = 2;

/// One address's place among the password checks under way (others from the address wait for
/// one); given back on drop, and the address's entry goes when no one holds or awaits a place.
struct Checking {
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    table: Arc<Mutex<HashMap<IpAddr, Arc<tokio::sync::Semaphore>>>>,
    key: IpAddr,
}

impl Checking {
    async fn take(table: &Arc<Mutex<HashMap<IpAddr, Arc<tokio::sync::Semaphore>>>>, ip: IpAddr) -> Option<Checking> {
        let key = crate::server::address_key(ip);
        let places = {
            let mut t = table.lock().ok()?;
            t.entry(key).or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(CHECKS_PER_ADDRESS))).clone()
        };
        let permit = places.acquire_owned().await.ok()?;
        Some(Checking { permit: Some(permit), table: table.clone(), key })
    }
}

impl Drop for Checking {
    fn drop(&mut self) {
        drop(self.permit.take());
        if let Ok(mut t) = self.table.lock()
            && t.get(&self.key).is_some_and(|s| Arc::strong_count(s) == 1)
        {
            t.remove(&self.key);
        }
    }
}

impl LoginCache {
    fn digest(&self, c: &Credentials, phc: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        for part in [c.user.as_bytes(), c.password.as_bytes(), phc.as_bytes()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    /// Whether these credentials verified against this hash recently (no argon2).
    pub fn cached(&self, c: &Credentials, phc: &str) -> bool {
        let d = self.digest(c, phc);
        self.seen.lock().is_ok_and(|seen| seen.get(&c.user).is_some_and(|known| constant_time_eq(known, &d)))
    }

    fn remember(&self, c: &Credentials, phc: &str) {
        let d = self.digest(c, phc);
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() > 10_000 {
                seen.clear();
            }
            seen.insert(c.user.clone(), d);
        }
    }

    /// Whether the credentials match the stored hash (argon2 on first sight, cached after),
    /// on the calling thread, unthrottled.
    pub fn check(&self, c: &Credentials, phc: &str) -> bool {
        if self.cached(c, phc) {
            return true;
        }
        if !verify_password(&c.password, phc) {
            return false;
        }
        self.remember(c, phc);
        true
    }
}

/// Authenticate `creds` coming from `peer`: the account, or 401; 429 while the throttle holds
/// (account, address) or the address; 503 when too many password checks are waiting.
pub async fn login(state: &Arc<crate::AppState>, creds: Credentials, peer: IpAddr) -> Result<User, TaxiiError> {
    let logins = &state.logins;
    let throttled = |wait: Duration| {
        state.metrics.login_throttled();
        TaxiiError::too_many("too many failed logins from this address; wait before trying again", wait.as_secs() + 1)
    };
    logins.throttle.check(&creds.user, peer).map_err(throttled)?;
    let name = creds.user.clone();
    let user = state.stores.read(move |s| Ok(s.user(&name)?)).await?;
    let user = match user {
        Some(u) if logins.cached(&creds, &u.password_hash) => return Ok(u),
        user => user,
    };
    // A password check: counted as a failure until it succeeds, so that concurrent guesses are
    // throttled as soon as the first few are under way.
    let place =
        Checking::take(&logins.checking, peer).await.ok_or_else(|| TaxiiError::internal("login places closed"))?;
    // While this waited, the same login may have been verified (parallel first requests).
    let user = match user {
        Some(u) if logins.cached(&creds, &u.password_hash) => return Ok(u),
        user => user,
    };
    logins.throttle.attempt(&creds.user, peer).map_err(throttled)?;
    // Given back if this request is dropped before its check starts (the client learns nothing).
    let mut pending = Pending { logins, user: &creds.user, peer, armed: true };
    let permit = {
        let _waiting = Waiting::join(&logins.waiting).ok_or_else(|| TaxiiError {
            retry_after: Some(1),
            ..TaxiiError::new(StatusCode::SERVICE_UNAVAILABLE, "Busy", "too many logins are waiting; try again shortly")
        })?;
        logins.hashing.clone().acquire_owned().await.map_err(|_| TaxiiError::internal("password checks closed"))?
    };
    pending.armed = false;
    drop(pending);
    // The check runs to its end, and its outcome is recorded, even if the client goes away; its
    // permit and its address's place are held until argon2 is done.
    let st = state.clone();
    // Unknown accounts, and accounts without a password (partners authenticated by their
    // certificate), cost the same as known ones, so a probe cannot tell them apart.
    let phc = user.as_ref().map(|u| u.password_hash.clone()).filter(|h| h.starts_with('$'));
    let known = phc.is_some();
    let phc = phc.unwrap_or_else(|| DUMMY_HASH.to_string());
    let ok = tokio::task::spawn_blocking(move || {
        let _held = (permit, place);
        st.metrics.password_checked();
        let ok = verify_password(&creds.password, &phc) && known;
        if ok {
            st.logins.remember(&creds, &phc);
            st.logins.throttle.succeeded(&creds.user, peer);
        }
        ok
    })
    .await
    .map_err(|e| TaxiiError::internal(&e.to_string()))?;
    match user {
        Some(user) if ok => Ok(user),
        _ => Err(TaxiiError::unauthorized()),
    }
}

/// A counted attempt whose check has not started: given back on drop while armed.
struct Pending<'a> {
    logins: &'a LoginCache,
    user: &'a str,
    peer: IpAddr,
    armed: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.logins.throttle.refund(self.user, self.peer);
        }
    }
}

/// A login waiting for a password-check permit (at most [`MAX_WAITING_CHECKS`]).
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn join(n: &'a AtomicUsize) -> Option<Waiting<'a>> {
        if n.fetch_add(1, Ordering::Relaxed) >= MAX_WAITING_CHECKS {
            n.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(Waiting(n))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

tokio::task_local! {
    static PEER: IpAddr;
    static CLIENT_CERT: Option<String>;
}

/// Middleware: the request's peer address (from `ConnectInfo`, see [`crate::server`]) is what
/// [`peer`] answers while the request is handled, and the fingerprint of its verified client
/// certificate what [`client_certificate`] answers.
pub async fn peer_scope(req: Request, next: Next) -> Response {
    let cert = req.extensions().get::<crate::server::ClientCertificate>().map(|c| c.fingerprint.clone());
    match req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) {
        Some(ip) => PEER.scope(ip, CLIENT_CERT.scope(cert, next.run(req))).await,
        None => CLIENT_CERT.scope(cert, next.run(req)).await,
    }
}

/// The SHA-256 fingerprint (hex) of the client certificate the request's connection presented
/// and proved it holds the key of, if any.
pub fn client_certificate() -> Option<String> {
    CLIENT_CERT.try_with(Clone::clone).ok().flatten()
}

/// The address of the request being handled (0.0.0.0 when the router is served without
/// connection information: every caller then shares one address's throttle).
pub fn peer() -> IpAddr {
    PEER.try_with(|p| *p).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Whether `given` is the configured secret `expected`, in time that depends on neither.
pub fn token_eq(expected: &str, given: &str) -> bool {
    let (a, b): ([u8; 32], [u8; 32]) = (Sha256::digest(expected).into(), Sha256::digest(given).into());
    constant_time_eq(&a, &b)
}

/// Failed logins before a (account, address) pair is made to wait, and before an address is
/// (across accounts).
const ACCOUNT_FREE: f64 = 5.0;
const ADDRESS_FREE: f64 = 20.0;
/// One failure is forgiven per this much time without one.
const FORGIVE_EVERY: Duration = Duration::from_secs(60);
/// The first wait, doubled by each further failure, up to the longest.
const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// Entries kept at most (the least recently touched go first).
const THROTTLE_ENTRIES: usize = 10_000;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(IpAddr),
    Account(String, IpAddr),
}

struct Entry {
    failures: f64,
    touched: Instant,
    until: Option<Instant>,
}

/// The failed-login throttle (see the module documentation).
pub struct Throttle {
    table: Mutex<HashMap<Key, Entry>>,
    capacity: usize,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::with_capacity(THROTTLE_ENTRIES)
    }
}

impl Throttle {
    pub fn with_capacity(capacity: usize) -> Self {
        Throttle { table: Mutex::default(), capacity: capacity.max(2) }
    }

    fn keys(user: &str, ip: IpAddr) -> [Key; 2] {
        let ip = crate::server::address_key(ip);
        [Key::Account(user.to_string(), ip), Key::Address(ip)]
    }

    /// Err(how long) while `user` from `ip`, or `ip` itself, must wait.
    pub fn check(&self, user: &str, ip: IpAddr) -> Result<(), Duration> {
        self.check_at(user, ip, Instant::now())
    }

    fn check_at(&self, user: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let t = self.table.lock().map_err(|_| FIRST_WAIT)?;
        let wait = Self::keys(user, ip)
            .iter()
            .filter_map(|k| t.get(k).and_then(|e| e.until).and_then(|u| u.checked_duration_since(now)))
            .max();
        wait.filter(|w| !w.is_zero()).map_or(Ok(()), Err)
    }

    /// A password check is about to run: check, then count it as a failure (see
    /// [`Throttle::succeeded`]).
    pub fn attempt(&self, user: &str, ip: IpAddr) -> Result<(), Duration> {
        self.attempt_at(user, ip, Instant::now())
    }

    fn attempt_at(&self, user: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        self.check_at(user, ip, now)?;
        let mut t = self.table.lock().map_err(|_| FIRST_WAIT)?;
        for (key, free) in Self::keys(user, ip).into_iter().zip([ACCOUNT_FREE, ADDRESS_FREE]) {
            if !t.contains_key(&key) && t.len() >= self.capacity {
                // Full: the least recently touched entry goes.
                if let Some(old) = t.iter().min_by_key(|(_, e)| e.touched).map(|(k, _)| k.clone()) {
                    t.remove(&old);
                }
            }
            let e = t.entry(key).or_insert(Entry { failures: 0.0, touched: now, until: None });
            let quiet = now.saturating_duration_since(e.touched).as_secs_f64();
            e.failures = (e.failures - quiet / FORGIVE_EVERY.as_secs_f64()).max(0.0) + 1.0;
            e.touched = now;
            if e.failures > free {
                let doublings = (e.failures - free - 1.0).ceil().clamp(0.0, 20.0) as u32;
                let wait = FIRST_WAIT.saturating_mul(1 << doublings).min(LONGEST_WAIT);
                e.until = Some(now + wait);
            }
        }
        Ok(())
    }

    /// The check succeeded: the pair starts afresh, and the address gets its attempt back.
    pub fn succeeded(&self, user: &str, ip: IpAddr) {
        if let Ok(mut t) = self.table.lock() {
            let [account, address] = Self::keys(user, ip);
            t.remove(&account);
            if let Some(e) = t.get_mut(&address) {
                e.failures = (e.failures - 1.0).max(0.0);
            }
        }
    }

    /// A counted attempt that never ran: uncount it.
    pub fn refund(&self, user: &str, ip: IpAddr) {
        if let Ok(mut t) = self.table.lock() {
            for key in Self::keys(user, ip) {
                if let Some(e) = t.get_mut(&key) {
                    e.failures = (e.failures - 1.0).max(0.0);
                }
            }
        }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.table.lock().map(|t| t.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use pacto_node::accounts::hash_password;

    // Hashing and verifying themselves are pacto_node::accounts' (tested there).
    #[test]
    fn logins_are_cached() {
        let phc = hash_password("s3cret").unwrap();
        let cache = LoginCache::default();
        let good = Credentials { user: "mx".into(), password: "s3cret".into() };
        let bad = Credentials { user: "mx".into(), password: "s3cre".into() };
        assert!(cache.check(&good, &phc));
        assert!(cache.check(&good, &phc));
        assert!(!cache.check(&bad, &phc));
        let other = hash_password("other").unwrap();
        assert!(!cache.check(&good, &other), "a changed password no longer matches");
    }

    #[test]
    fn throttle_backs_off_per_account_and_address_and_forgives() {
        let t = Throttle::default();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let now = Instant::now();
        for _ in 0..5 {
            assert!(t.attempt_at("admin", a, now).is_ok());
        }
        // The sixth failure is let through and starts the wait.
        assert!(t.attempt_at("admin", a, now).is_ok());
        assert_eq!(t.check_at("admin", a, now), Err(FIRST_WAIT));
        assert!(t.attempt_at("admin", a, now).is_err(), "no check while waiting");
        // The real user from another address, and another account from the same one, are free.
        assert!(t.check_at("admin", b, now).is_ok());
        assert!(t.check_at("reader", a, now).is_ok());
        // After the wait, one more failure doubles it.
        let later = now + FIRST_WAIT;
        assert!(t.attempt_at("admin", a, later).is_ok());
        assert_eq!(t.check_at("admin", a, later), Err(2 * FIRST_WAIT));
        // Time forgives: after a quiet hour a failure is free again.
        let much_later = later + Duration::from_secs(3600);
        assert!(t.attempt_at("admin", a, much_later).is_ok());
        assert!(t.check_at("admin", a, much_later).is_ok());
        // Many accounts from one address: the address waits after ADDRESS_FREE.
        let c: IpAddr = "192.0.2.3".parse().unwrap();
        for i in 0..ADDRESS_FREE as usize + 1 {
            assert!(t.attempt_at(&format!("user{i}"), c, now).is_ok());
        }
        assert!(t.check_at("someone-else", c, now).is_err());
        // Success clears the pair.
        let d: IpAddr = "192.0.2.4".parse().unwrap();
        for _ in 0..4 {
            t.attempt_at("writer", d, now).unwrap();
        }
        t.succeeded("writer", d);
        for _ in 0..5 {
            assert!(t.attempt_at("writer", d, now).is_ok());
        }
    }

    #[test]
    fn throttle_memory_is_bounded() {
        let t = Throttle::with_capacity(100);
        for i in 0..1000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            let _ = t.attempt(&format!("user{i}"), ip);
        }
        assert!(t.len() <= 100, "{}", t.len());
    }

    #[test]
    fn tokens_compare() {
        assert!(token_eq("a-long-metrics-token", "a-long-metrics-token"));
        assert!(!token_eq("a-long-metrics-token", "a-long-metrics-toke"));
        assert!(!token_eq("a-long-metrics-token", ""));
    }

    #[test]
    fn token_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(api_token(&h), None);
        for (value, want) in [
            ("Bearer pacto_abc", Some("pacto_abc")),
            ("Token pacto_abc", Some("pacto_abc")),
            ("bearer   pacto_abc ", Some("pacto_abc")),
            ("Basic bXg6cGE6c3M=", None),
            ("pacto_abc", None),
        ] {
            h.insert(axum::http::header::AUTHORIZATION, value.parse().unwrap());
            assert_eq!(api_token(&h), want, "{value}");
        }
    }

    #[test]
    fn basic_header() {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::AUTHORIZATION, "Basic bXg6cGE6c3M=".parse().unwrap());
        let c = Credentials::from_headers(&h).unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("mx", "pa:ss"));
        h.insert(axum::http::header::AUTHORIZATION, "Bearer x".parse().unwrap());
        assert!(Credentials::from_headers(&h).is_none());
    }
}
