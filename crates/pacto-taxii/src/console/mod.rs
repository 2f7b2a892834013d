//! The web console: server-rendered HTML (maud) for analysts and operators, served by the same
//! process as the API, over the same accounts and rights (`pacto_node::browse` decides what a
//! person sees; this module turns requests into its calls and its answers into pages).
//!
//! Security: a login goes through the API's own check and throttle ([`crate::auth::login`]);
//! a session is a random id in a cookie (`HttpOnly`, `SameSite=Strict`, `Secure` under TLS)
//! naming the account, whose rights are read from the store on every request (a removed
//! account or a changed right applies at once). Sessions are kept in the database
//! ([`pacto_store::SessionStore`]), so every server on it shares them and a restart logs no
//! one out; the database holds only the SHA-256 of a session's id (reading it lets no one log
//! in). A session ends 12 hours after login or after an hour unused, at a logout (on every
//! server), or when its account is removed or becomes a partner; an account keeps its 100
//! newest sessions. A page view is a read: a session's last use is written at most once a
//! minute. Every form carries the session's CSRF token
//! (the login form a token of its own, in a cookie of its own), checked before anything else;
//! every page is sent with a strict Content-Security-Policy (scripts, styles and everything else
//! from this origin only, no inline script or style), and is never framed or cached. Partner
//! accounts do not log in here: they are other nodes.
//!
//! The script is htmx, vendored (`vendor/htmx`, 0BSD) and served from the binary: the console
//! works without it (plain links and forms) and uses it to search as one types.

mod layout;
mod ops;
mod pages;
mod review;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;
use pacto_store::{ConsoleSession, SessionLimits};
use rand_core::{OsRng, RngCore};

use crate::{AppState, Caller, Stores, TaxiiError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "pacto_session";
/// The login form's CSRF cookie (before there is a session).
pub const LOGIN_COOKIE: &str = "pacto_login";
/// The strict policy every console page is sent with.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A session ends this long after login, or after this long unused.
const SESSION_LIFE_US: i64 = 12 * 3600 * 1_000_000;
const SESSION_IDLE_US: i64 = 3600 * 1_000_000;
/// Sessions an account holds at most (its oldest end first).
const SESSIONS_PER_ACCOUNT: usize = 100;
/// A session's last use is written at most this often (so that page views stay reads); its idle
/// limit is counted from the last use written.
const TOUCH_EVERY_US: i64 = 60 * 1_000_000;
/// Expired sessions removed at most at each login.
const PURGE_AT_LOGIN: usize = 1_000;
/// An account's first login shows what is new over this last day.
const FIRST_VISIT_US: i64 = 24 * 3600 * 1_000_000;

/// A logged-in person.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    /// The token every form of this session carries.
    pub csrf: String,
    /// The previous visit's start (microseconds): the dashboard shows what is new since.
    pub last_visit_us: i64,
}

impl From<ConsoleSession> for Session {
    fn from(s: ConsoleSession) -> Self {
        Session { user: s.user, csrf: s.csrf, last_visit_us: s.last_visit_us }
    }
}

/// The console's sessions, kept in the store ([`pacto_store::SessionStore`]): every server on
/// the database knows them, and a restart logs no one out. The store holds the SHA-256 of each
/// session's id, never the id (the cookie's value, the bearer secret).
pub struct Sessions {
    limits: SessionLimits,
    per_account: usize,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            limits: SessionLimits { life_us: SESSION_LIFE_US, idle_us: SESSION_IDLE_US },
            per_account: SESSIONS_PER_ACCOUNT,
        }
    }
}

/// 32 random bytes, hex.
fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What the store knows a session by: the SHA-256 of its id (hex).
pub fn session_hash(id: &str) -> String {
    pacto_node::tokens::hash(id)
}

impl Sessions {
    /// A new session for `user` (its id, and the session), with the expired ones purged (a
    /// bounded number), on the writer.
    pub async fn start(&self, stores: &Arc<Stores>, user: &str) -> Result<(String, Session), TaxiiError> {
        let now = pacto_stix::Timestamp::now().as_micros();
        let id = random_token();
        let row = ConsoleSession {
            id_hash: session_hash(&id),
            user: user.to_string(),
            csrf: random_token(),
            last_visit_us: now - FIRST_VISIT_US,
            started_us: now,
            seen_us: now,
        };
        let (limits, keep) = (self.limits, self.per_account);
        let stored = stores
            .write(move |s| {
                let purged = s.purge_sessions(now, &limits, PURGE_AT_LOGIN)?;
                if purged > 0 {
                    tracing::debug!(purged, "expired console sessions removed");
                }
                Ok(s.start_session(&row, keep)?)
            })
            .await?;
        Ok((id, stored.into()))
    }

    /// The live session of this id, read; its last use is written when the one recorded is a
    /// minute old or more.
    pub async fn get(&self, stores: &Arc<Stores>, id: &str) -> Result<Option<Session>, TaxiiError> {
        let now = pacto_stix::Timestamp::now().as_micros();
        let (hash, limits) = (session_hash(id), self.limits);
        let found = {
            let hash = hash.clone();
            stores.read(move |s| Ok(s.session(&hash, now, &limits)?)).await?
        };
        let Some(found) = found else { return Ok(None) };
        if now.saturating_sub(found.seen_us) >= TOUCH_EVERY_US {
            match stores.write(move |s| Ok(s.touch_session(&hash, now, &limits)?)).await {
                Ok(true) => {}
                // Ended (a logout on another server) or expired between the read and the write.
                Ok(false) => return Ok(None),
                // The session was live when read: this page is served, and the next request
                // writes its use again.
                Err(e) => {
                    tracing::warn!(user = found.user, error = %e.description, "a console session's last use was not recorded")
                }
            }
        }
        Ok(Some(found.into()))
    }

    /// End the session of this id (a logout), for every server.
    pub async fn end(&self, stores: &Arc<Stores>, id: &str) -> Result<(), TaxiiError> {
        let hash = session_hash(id);
        stores.write(move |s| Ok(s.end_session(&hash).map(|_| ())?)).await
    }

    /// End every session of an account (it was removed, or became a partner).
    async fn end_user(&self, stores: &Arc<Stores>, user: &str) {
        let name = user.to_string();
        match stores.write(move |s| Ok(s.end_user_sessions(&name)?)).await {
            Ok(n) => tracing::info!(user, ended = n, "console sessions of an account that may no longer log in ended"),
            Err(e) => tracing::warn!(user, error = %e.description, "console sessions of an account not ended"),
        }
    }
}

/// The ledger page's whole check of the ledger (chain, tree, every signed head), kept for a
/// minute while the ledger has not grown: the check reads every entry (about 3 s at a
/// million), so views of an unchanged ledger within a minute share one; an entry added, or a
/// failed check, makes the next view check again; the page says when it checked.
#[derive(Default)]
pub struct LedgerCheck {
    last: std::sync::Mutex<Option<LedgerChecked>>,
}

/// One whole check of the ledger: when, and the entries verified or why it failed.
#[derive(Clone, Debug)]
pub struct LedgerChecked {
    pub at_us: i64,
    pub result: Result<u64, String>,
    /// The newest entry's place and text when it checked.
    head: Option<(u64, String)>,
}

impl LedgerCheck {
    /// How long a check stands before a page view makes another.
    const FOR_US: i64 = 60 * 1_000_000;

    /// The last check if it is under a minute old and the ledger has not shrunk or failed
    /// since; else a new one.
    pub fn get(&self, s: &dyn pacto_store::Store, key: &pacto_federation::ledger::SigningKey) -> LedgerChecked {
        let now = pacto_stix::Timestamp::now().as_micros();
        let head = s.ledger_head().ok().flatten();
        if let Ok(last) = self.last.lock()
            && let Some(c) = last.as_ref()
            && now - c.at_us < Self::FOR_US
            && c.result.is_ok()
            && c.head == head
        {
            return c.clone();
        }
        let checked = LedgerChecked { at_us: now, result: pacto_node::browse::verify_ledger(s, key), head };
        if let Ok(mut last) = self.last.lock() {
            *last = Some(checked.clone());
        }
        checked
    }
}

/// A cookie's value from the request.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure under TLS.
fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
    let secure = if state.config.https { "; Secure" } else { "" };
    let age = max_age.map_or(String::new(), |a| format!("; Max-Age={a}"));
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("pacto_invalid=1"))
}

/// An error as a page: the status, and a sentence saying what and why.
#[derive(Debug)]
pub struct ConsoleError {
    pub status: StatusCode,
    pub message: String,
}

impl ConsoleError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ConsoleError { status, message: message.into() }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<TaxiiError> for ConsoleError {
    fn from(e: TaxiiError) -> Self {
        ConsoleError { status: e.status, message: e.description }
    }
}

impl From<pacto_node::NodeError> for ConsoleError {
    fn from(e: pacto_node::NodeError) -> Self {
        TaxiiError::from(e).into()
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/ui/login").into_response();
        }
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = layout::page(title, None, layout::error_body(title, &self.message));
        (self.status, html(body)).into_response()
    }
}

pub type Page = Result<Response, ConsoleError>;

/// Who is asking: the session and the account as it stands in the store now.
pub struct Viewer {
    pub session: Session,
    pub caller: Caller,
}

impl Viewer {
    /// An administrator: reads and writes every collection (the operator pages need it).
    pub fn is_admin(&self) -> bool {
        let all = |r: &[String]| r.iter().any(|c| c == "*");
        all(&self.caller.user.can_read) && all(&self.caller.user.can_write)
    }

    pub fn require_admin(&self) -> Result<(), ConsoleError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ConsoleError::new(
                StatusCode::FORBIDDEN,
                "operator pages need an administrator account (read and write on every collection)",
            ))
        }
    }

    /// The form's CSRF token is this session's, or 403.
    pub fn check_csrf(&self, given: &str) -> Result<(), ConsoleError> {
        if crate::auth::token_eq(&self.session.csrf, given) {
            Ok(())
        } else {
            Err(ConsoleError::new(
                StatusCode::FORBIDDEN,
                "this form's security token is missing or not this session's: reload the page and try again",
            ))
        }
    }
}

/// The viewer of a request, or 401 (a redirect to the login page).
pub async fn viewer(state: &Arc<AppState>, headers: &HeaderMap) -> Result<Viewer, ConsoleError> {
    let unauthorized = || ConsoleError::new(StatusCode::UNAUTHORIZED, "log in first");
    let id = cookie(headers, SESSION_COOKIE).ok_or_else(unauthorized)?;
    let session = state.console.get(&state.stores, id).await?.ok_or_else(unauthorized)?;
    let name = session.user.clone();
    let user = state.stores.read(move |s| Ok(s.user(&name)?)).await?;
    let caller = match user {
        Some(u) => state.node.caller(u),
        None => {
            state.console.end_user(&state.stores, &session.user).await;
            return Err(unauthorized());
        }
    };
    if caller.agreement.is_some() {
        state.console.end_user(&state.stores, &session.user).await;
        return Err(unauthorized());
    }
    Ok(Viewer { session, caller })
}

/// The console's routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/ui/login", get(login_form).post(login))
        .route("/ui/logout", post(logout))
        .route("/ui/search", get(pages::search))
        .route("/ui/objects/{collection}/{id}", get(pages::object))
        .route("/ui/adopt", post(pages::adopt))
        .route("/ui/review", get(review::queue))
        .route("/ui/dismiss", post(review::dismiss))
        .route("/ui/receipts/{partner}/{seq}", get(review::receipt))
        .route("/ui/import", get(ops::import_form).post(ops::import))
        .route("/ui/pattern", get(ops::pattern))
        .route("/ui/partners", get(ops::partners))
        .route("/ui/partners/{partner}/preview", get(ops::preview))
        .route("/ui/ledger", get(ops::ledger))
        .route("/ui/sets", get(ops::sets))
        .route("/ui/users", get(ops::users))
        .route("/ui/health", get(ops::health))
        .route("/ui/static/htmx.min.js", get(htmx))
        .route("/ui/static/console.css", get(css))
        .layer(middleware::from_fn(headers))
}

/// Every console answer: the policy, no framing, no sniffing, no referrer, and pages not cached.
async fn headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/ui/static/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// The vendored htmx (see `vendor/htmx/README`).
const HTMX: &str = include_str!("../../vendor/htmx/htmx.min.js");

async fn htmx() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=86400")], HTMX)
        .into_response()
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=86400")], layout::CSS)
        .into_response()
}

/// An HTML answer.
pub(crate) fn html(m: Markup) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], m.into_string()).into_response()
}

async fn login_form(State(state): State<Arc<AppState>>) -> Response {
    let token = random_token();
    let mut resp = html(layout::page("Log in", None, layout::login_body(&token, None)));
    resp.headers_mut().insert(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, &token, Some(3600)));
    resp
}

#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// A login: the form's token must be the one its page set; then the API's own check, with its
/// throttle (429 with the wait, no password check while throttled).
async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let again = |status: StatusCode, why: &str| {
        let token = random_token();
        let mut resp =
            (status, html(layout::page("Log in", None, layout::login_body(&token, Some(why))))).into_response();
        resp.headers_mut().insert(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, &token, Some(3600)));
        resp
    };
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !crate::auth::token_eq(expected, &form.csrf) {
        return again(StatusCode::FORBIDDEN, "The form's security token did not match: please log in again.");
    }
    let creds = crate::auth::Credentials { user: form.user.clone(), password: form.password };
    let user = match crate::auth::login(&state, creds, crate::auth::peer()).await {
        Ok(u) => u,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            tracing::info!(user = form.user, peer = %crate::auth::peer(), "console login refused");
            return again(StatusCode::UNAUTHORIZED, "Wrong account name or password.");
        }
        Err(e) => {
            let wait = e.retry_after.map_or(String::new(), |s| format!(" Try again in {s} seconds."));
            let mut resp = again(e.status, &format!("{}.{wait}", e.description.trim_end_matches('.')));
            if let Some(s) = e.retry_after
                && let Ok(v) = HeaderValue::from_str(&s.to_string())
            {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return resp;
        }
    };
    if state.node.caller(user.clone()).agreement.is_some() {
        return again(StatusCode::FORBIDDEN, "Partner accounts are other nodes: they do not use the console.");
    }
    let (id, _) = match state.console.start(&state.stores, &user.name).await {
        Ok(started) => started,
        Err(e) => {
            tracing::error!(user = user.name, error = %e.description, "console session not stored");
            return again(e.status, &format!("The session could not be stored: {}", e.description));
        }
    };
    tracing::info!(user = user.name, "console login");
    let mut resp = Redirect::to("/").into_response();
    // See Other: the browser follows with a GET.
    *resp.status_mut() = StatusCode::SEE_OTHER;
    let h = resp.headers_mut();
    h.append(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, &id, None));
    h.append(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, "", Some(0)));
    resp
}

#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Page {
    let v = viewer(&state, &headers).await?;
    v.check_csrf(&form.csrf)?;
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        state.console.end(&state.stores, id).await?;
    }
    tracing::info!(user = v.session.user, "console logout");
    let mut resp = Redirect::to("/ui/login").into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    resp.headers_mut().insert(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", Some(0)));
    Ok(resp)
}
