//! The endpoints. Each handler authenticates the caller, finds what it may see, and answers;
//! the store work runs on blocking threads through [`crate::Stores`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pacto_stix::Timestamp;
use pacto_store::{Collection, Page, Versions};
use serde_json::{Value, json};

use crate::auth::Credentials;
use crate::media::{self, STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE};
use crate::params::{self, DefaultVersions};
use crate::{ApiRoot, AppState, Caller, TaxiiError};
use pacto_federation::ledger::sha256_hex;
use pacto_node::ledger::Served;

type AppResult = Result<Response, TaxiiError>;
type St = State<Arc<AppState>>;
type Raw = Query<HashMap<String, String>>;

/// The whole API.
pub fn router(state: Arc<AppState>) -> Router {
    let taxii = Router::new()
        .route("/taxii2/", get(discovery))
        .route("/{root}/", get(api_root))
        .route("/{root}/status/{status}/", get(status))
        .route("/{root}/collections/", get(collections))
        .route("/{root}/collections/{coll}/", get(collection))
        .route("/{root}/collections/{coll}/manifest/", get(manifest))
        .route("/{root}/collections/{coll}/objects/", get(objects).post(add_objects))
        .route("/{root}/collections/{coll}/objects/{id}/", get(object).delete(delete_object))
        .route("/{root}/collections/{coll}/objects/{id}/versions/", get(versions))
        .route("/{root}/psi/{set}/", get(crate::psi::blinded_set).post(crate::psi::query))
        .route("/{root}/ledger/proofs/", post(crate::partner::proofs))
        .route("/{root}/ledger/cosignatures/", post(crate::partner::cosignatures))
        .route("/{root}/ledger/keys/", get(crate::partner::keys))
        .layer(middleware::from_fn(negotiate));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.yaml", get(openapi))
        .merge(taxii)
        .merge(crate::console::router())
        .fallback(not_found)
        .layer(middleware::from_fn(crate::auth::peer_scope))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn observe(State(state): St, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let elapsed = started.elapsed();
    state.metrics.observe(&route, &method, resp.status().as_u16(), elapsed);
    tracing::debug!(route, method, status = resp.status().as_u16(), micros = elapsed.as_micros() as u64, "request");
    resp
}

async fn negotiate(req: Request, next: Next) -> Response {
    match media::check_accept(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn not_found() -> TaxiiError {
    TaxiiError::not_found("no such resource (TAXII URLs end with '/')")
}

async fn healthz(State(state): St) -> Response {
    // Unauthenticated: says only whether the store answers, nothing more.
    match state.stores.read(|s| Ok(s.collections()?.len())).await {
        Ok(_) => (StatusCode::OK, Json(json!({"status": "ok"}))).into_response(),
        Err(_) => {
            let mut r = Json(json!({"status": "not ok"})).into_response();
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            r
        }
    }
}

/// POST bodies larger than this are validated and written in overlapping batches under the
/// writer; smaller ones go through group commit.
const PIPELINED_BODY: usize = 256 * 1024;

/// Node-wide facts (objects stored in every collection, every account's activity): for an
/// administrator (a local account, or an API token, that reads and writes `*`) or the metrics
/// token.
async fn metrics(State(state): St, headers: HeaderMap) -> AppResult {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let metrics_token = bearer.zip(state.config.metrics_token.as_deref());
    if metrics_token.is_some_and(|(given, expected)| crate::auth::token_eq(expected, given)) {
        // The metrics token.
    } else {
        let who = caller(&state, &headers).await?;
        let all = |rights: &[String]| rights.iter().any(|c| c == "*");
        if who.agreement.is_some() || !all(&who.user.can_read) || !all(&who.user.can_write) {
            // 403, not 404: /metrics is a fixed path documented on every node, so hiding it
            // hides nothing, and an operator whose scrape account lacks the rights is told why.
            return Err(TaxiiError::forbidden(
                "metrics need an administrator account (read and write on every collection, not a partner) or the metrics token",
            ));
        }
    }
    let stored = state.stores.read(|s| Ok(s.total_versions()?)).await.unwrap_or(0);
    let text = state.metrics.render(stored, state.stores.group_commits());
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], crate::OPENAPI).into_response()
}

struct Json(Value);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        taxii_response(StatusCode::OK, self.0.to_string())
    }
}

fn taxii_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_MEDIA_TYPE));
    resp
}

/// The caller, authenticated (a local account, an API token, or a partner by its password or
/// its node's certificate); 401 otherwise. Credentials in the request win over a client
/// certificate, so a person behind a TLS-inspecting proxy's certificate still logs in.
pub(crate) async fn caller(state: &Arc<AppState>, headers: &HeaderMap) -> Result<Caller, TaxiiError> {
    if let Some(token) = crate::auth::api_token(headers) {
        let user = crate::auth::token_login(state, token).await?;
        // A token is never a partner, whatever its name.
        return Ok(state.node.local_caller(user));
    }
    let user = match (Credentials::from_headers(headers), crate::auth::client_certificate()) {
        (Some(creds), _) => crate::auth::login(state, creds, crate::auth::peer()).await?,
        (None, Some(fingerprint)) => crate::auth::cert_login(state, &fingerprint).await?,
        (None, None) => return Err(TaxiiError::unauthorized()),
    };
    Ok(state.node.caller(user))
}

pub(crate) fn root<'a>(state: &'a AppState, name: &str) -> Result<&'a ApiRoot, TaxiiError> {
    state.config.api_roots.iter().find(|r| r.name == name).ok_or_else(|| TaxiiError::not_found("no such API root"))
}

fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let served = if state.config.https { "https" } else { "http" };
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or(served);
    format!("{scheme}://{host}")
}

/// The collection `coll` of API root `root` if the caller may see it (read or write); a
/// collection it may not see is "not found", exactly as one that does not exist.
async fn visible(state: &Arc<AppState>, root_name: &str, coll: &str, user: &Caller) -> Result<Collection, TaxiiError> {
    let root = root(state, root_name)?.clone();
    let key = coll.to_string();
    let found = state.stores.read(move |s| Ok(s.collection(&key)?)).await?;
    match found {
        Some(c) if root.serves(&c) && (user.may_read(&c) || user.may_write(&c)) => Ok(c),
        _ => Err(TaxiiError::not_found("no such collection")),
    }
}

fn collection_resource(c: &Collection, user: &Caller) -> Value {
    let mut v = json!({
        "id": c.id,
        "title": c.title,
        "can_read": user.may_read(c),
        "can_write": user.may_write(c),
        "media_types": [STIX_MEDIA_TYPE],
    });
    if let Some(d) = &c.description {
        v["description"] = json!(d);
    }
    v
}

async fn discovery(State(state): St, headers: HeaderMap) -> AppResult {
    caller(&state, &headers).await?;
    let base = base_url(&state, &headers);
    let roots: Vec<String> = state.config.api_roots.iter().map(|r| format!("{base}/{}/", r.name)).collect();
    let mut v = json!({"title": state.config.title, "api_roots": roots});
    if let Some(first) = roots_first(&state) {
        v["default"] = json!(format!("{base}/{first}/"));
    }
    if let Some(d) = &state.config.description {
        v["description"] = json!(d);
    }
    if let Some(c) = &state.config.contact {
        v["contact"] = json!(c);
    }
    Ok(Json(v).into_response())
}

fn roots_first(state: &AppState) -> Option<&str> {
    state.config.api_roots.first().map(|r| r.name.as_str())
}

async fn api_root(State(state): St, Path(name): Path<String>, headers: HeaderMap) -> AppResult {
    caller(&state, &headers).await?;
    let root = root(&state, &name)?;
    let mut v = json!({
        "title": root.title,
        "versions": [TAXII_MEDIA_TYPE],
        "max_content_length": state.config.max_content_length,
        "x_pacto_max_objects_per_request": state.config.max_objects_per_request,
    });
    if let Some(d) = &root.description {
        v["description"] = json!(d);
    }
    Ok(Json(v).into_response())
}

async fn status(State(state): St, Path((name, id)): Path<(String, String)>, headers: HeaderMap) -> AppResult {
    let user = caller(&state, &headers).await?;
    root(&state, &name)?;
    // A status belongs to whoever posted; others are told it does not exist.
    let mut body = state.statuses.get(&id, &user.user.name);
    if body.is_none() && state.config.statuses_in_store {
        let owner = user.user.name.clone();
        body = state.stores.read(move |s| Ok(s.status(&id, &owner)?)).await?;
    }
    let body = body.ok_or_else(|| TaxiiError::not_found("no such status"))?;
    Ok(taxii_response(StatusCode::OK, body))
}

async fn collections(State(state): St, Path(name): Path<String>, headers: HeaderMap) -> AppResult {
    let user = caller(&state, &headers).await?;
    let root = root(&state, &name)?.clone();
    let all = state.stores.read(|s| Ok(s.collections()?)).await?;
    let list: Vec<Value> = all
        .iter()
        .filter(|c| root.serves(c) && (user.may_read(c) || user.may_write(c)))
        .map(|c| collection_resource(c, &user))
        .collect();
    let v = if list.is_empty() { json!({}) } else { json!({"collections": list}) };
    Ok(Json(v).into_response())
}

async fn collection(State(state): St, Path((name, coll)): Path<(String, String)>, headers: HeaderMap) -> AppResult {
    let user = caller(&state, &headers).await?;
    let c = visible(&state, &name, &coll, &user).await?;
    Ok(Json(collection_resource(&c, &user)).into_response())
}

fn readable(c: &Collection, user: &Caller) -> Result<(), TaxiiError> {
    if user.may_read(c) { Ok(()) } else { Err(TaxiiError::forbidden("this account may not read this collection")) }
}

fn date_added(us: i64) -> String {
    Timestamp::from_micros(us).format(6)
}

/// The page envelope's headers and `more`/`next`. `after` is the request's position (its
/// `added_after`, or the later `next`): an empty page still names it as
/// `X-TAXII-Date-Added-Last`, so a client that takes its next `added_after` from that header
/// (OpenCTI's ingester, Elastic's ti_custom) keeps its place instead of falling back to its own
/// clock (docs/interop.md).
fn paged(page: &Page, after: Option<i64>, body: String) -> Response {
    let mut resp = taxii_response(StatusCode::OK, body);
    let h = resp.headers_mut();
    let first = page.objects.first().map(|o| o.date_added);
    let last = page.objects.last().map(|o| o.date_added).or(after);
    for (name, at) in [("X-TAXII-Date-Added-First", first), ("X-TAXII-Date-Added-Last", last)] {
        if let Some(v) = at.and_then(|us| HeaderValue::from_str(&date_added(us)).ok()) {
            h.insert(name, v);
        }
    }
    resp
}

fn more_next(page: &Page) -> String {
    match (page.more, page.objects.last()) {
        (true, Some(last)) => format!("\"more\":true,\"next\":\"{}\"", last.date_added),
        _ => "\"more\":false".to_string(),
    }
}

async fn query_page(
    state: &Arc<AppState>,
    who: &Caller,
    c: Collection,
    raw: &HashMap<String, String>,
    default: DefaultVersions,
    id: Option<String>,
) -> Result<(Page, Option<i64>), TaxiiError> {
    let mut p = params::parse(raw, state.config.max_page_size, default)?;
    if let Some(id) = id {
        p.query.ids = vec![id];
    }
    let query = p.query;
    let after = query.added_after;
    let page = match who.share(&c).cloned() {
        // A partner sees its agreement's view of the collection, nothing else.
        Some(share) => {
            let view = state.view(&c, &share).await?;
            state.stores.read(move |s| Ok(pacto_node::partner::page(s, &c, &query, &share, view)?)).await?
        }
        None => state.stores.read(move |s| Ok(s.page(&c, &query)?)).await?,
    };
    Ok((page, after))
}

/// `{"more": …, "next": …, KEY: [items]}`, without KEY when there are no items.
fn list_body(page: &Page, key: &str, items: Vec<Value>) -> String {
    if items.is_empty() {
        format!("{{{}}}", more_next(page))
    } else {
        format!("{{{},\"{key}\":{}}}", more_next(page), Value::Array(items))
    }
}

/// The caller and a collection it may read; the errors a reader of it would get otherwise.
async fn reading(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    root: &str,
    coll: &str,
) -> Result<(Caller, Collection), TaxiiError> {
    let user = caller(state, headers).await?;
    let c = visible(state, root, coll, &user).await?;
    readable(&c, &user)?;
    Ok((user, c))
}

/// The objects envelope. `objects` is there even when empty: the spec lets it be left out, but
/// Elastic's ti_custom reads `body.objects` unconditionally and fails on an envelope without it
/// (docs/interop.md); every spec-following client reads an empty list as no objects.
fn envelope(page: &Page) -> String {
    let mut body = String::with_capacity(64 + page.objects.iter().map(|o| o.raw.len() + 1).sum::<usize>());
    body.push('{');
    body.push_str(&more_next(page));
    body.push_str(",\"objects\":[");
    for (i, o) in page.objects.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&o.raw);
    }
    body.push_str("]}");
    body
}

async fn objects(
    State(state): St,
    Path((name, coll)): Path<(String, String)>,
    Query(raw): Raw,
    headers: HeaderMap,
) -> AppResult {
    let (who, c) = reading(&state, &headers, &name, &coll).await?;
    let (page, after) = query_page(&state, &who, c.clone(), &raw, DefaultVersions::Last, None).await?;
    answer(&state, &headers, &who, &c, (&page, after), Served::Objects).await
}

/// A page as the caller gets it (objects, manifest records, or versions); a partner's read goes
/// into the ledger before the answer leaves, and the answer carries its receipt.
async fn answer(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    who: &Caller,
    c: &Collection,
    (page, after): (&Page, Option<i64>),
    what: Served,
) -> AppResult {
    let partner = who.agreement.is_some();
    let digest_all = |items: &[Value]| -> Vec<String> {
        if partner { items.iter().map(|v| sha256_hex(v.to_string().as_bytes())).collect() } else { Vec::new() }
    };
    let (body, digests) = match what {
        Served::Objects => {
            let digests =
                if partner { page.objects.iter().map(|o| sha256_hex(o.raw.as_bytes())).collect() } else { Vec::new() };
            (envelope(page), digests)
        }
        // Naming what exists is a disclosure too (of ids, versions and dates).
        Served::Manifest => {
            let records: Vec<Value> = page
                .objects
                .iter()
                .map(|o| {
                    json!({"id": o.id, "date_added": date_added(o.date_added), "version": pacto_store::taxii_version(o),
                           "media_type": media::stix_media_type(&o.spec_version)})
                })
                .collect();
            let digests = digest_all(&records);
            (list_body(page, "objects", records), digests)
        }
        Served::Versions => {
            let list: Vec<Value> = page.objects.iter().map(|o| Value::String(pacto_store::taxii_version(o))).collect();
            let digests = digest_all(&list);
            (list_body(page, "versions", list), digests)
        }
    };
    let receipt = if partner {
        let read = crate::partner::Read { what, served: &page.objects, digests };
        crate::partner::record(state, headers, &who.user.name, c, read, &body).await?
    } else {
        None
    };
    Ok(with_receipt(paged(page, after, body), receipt))
}

/// The answer with its receipt header (a partner's read), or as it is.
pub(crate) fn with_receipt(mut resp: Response, receipt: Option<HeaderValue>) -> Response {
    if let Some(r) = receipt {
        resp.headers_mut().insert(pacto_federation::ledger::receipt::HEADER, r);
    }
    resp
}

async fn object(
    State(state): St,
    Path((name, coll, id)): Path<(String, String, String)>,
    Query(raw): Raw,
    headers: HeaderMap,
) -> AppResult {
    let (who, c) = reading(&state, &headers, &name, &coll).await?;
    let (page, after) = query_page(&state, &who, c.clone(), &raw, DefaultVersions::Last, Some(id)).await?;
    if page.objects.is_empty() && !raw.contains_key("next") {
        return Err(TaxiiError::not_found("no such object in this collection"));
    }
    answer(&state, &headers, &who, &c, (&page, after), Served::Objects).await
}

async fn manifest(
    State(state): St,
    Path((name, coll)): Path<(String, String)>,
    Query(raw): Raw,
    headers: HeaderMap,
) -> AppResult {
    let (who, c) = reading(&state, &headers, &name, &coll).await?;
    let (page, after) = query_page(&state, &who, c.clone(), &raw, DefaultVersions::Last, None).await?;
    answer(&state, &headers, &who, &c, (&page, after), Served::Manifest).await
}

async fn versions(
    State(state): St,
    Path((name, coll, id)): Path<(String, String, String)>,
    Query(raw): Raw,
    headers: HeaderMap,
) -> AppResult {
    let (who, c) = reading(&state, &headers, &name, &coll).await?;
    let (page, after) = query_page(&state, &who, c.clone(), &raw, DefaultVersions::All, Some(id)).await?;
    if page.objects.is_empty() && !raw.contains_key("next") && !raw.contains_key("added_after") {
        return Err(TaxiiError::not_found("no such object in this collection"));
    }
    answer(&state, &headers, &who, &c, (&page, after), Served::Versions).await
}

async fn delete_object(
    State(state): St,
    Path((name, coll, id)): Path<(String, String, String)>,
    Query(raw): Raw,
    headers: HeaderMap,
) -> AppResult {
    let user = caller(&state, &headers).await?;
    let c = visible(&state, &name, &coll, &user).await?;
    if !user.may_delete(&c) {
        return Err(TaxiiError::forbidden(
            "deleting needs read and write access to this collection, and partners may not delete",
        ));
    }
    if let Some(why) = pacto_store::inbound_write_refusal(&c.name) {
        return Err(TaxiiError::forbidden(why));
    }
    let versions = params::parse(&raw, state.config.max_page_size, DefaultVersions::All)?.query.versions;
    let deleted = delete(&state, c, id, versions).await?;
    if deleted == 0 {
        return Err(TaxiiError::not_found("no such object in this collection"));
    }
    Ok(taxii_response(StatusCode::OK, String::new()))
}

async fn delete(state: &Arc<AppState>, c: Collection, id: String, versions: Versions) -> Result<u64, TaxiiError> {
    state.stores.write(move |s| Ok(s.delete_object(&c, &id, &versions)?)).await
}

/// Successes and failures a status resource lists in full (the rest are counted).
const STATUS_DETAILS: usize = 1000;
/// Characters of a failure's message kept in a status resource.
const MESSAGE_CHARS: usize = 1000;

/// `text` cut to at most `max` characters, marked when cut.
fn cut(mut text: String, max: usize) -> String {
    if let Some((i, _)) = text.char_indices().nth(max) {
        text.truncate(i);
        text.push('…');
    }
    text
}

/// A request body, at most `max_content_length` bytes (413 beyond) and sent within the
/// limits' `body_timeout` (408 after: a body dripped slowly holds nothing for long).
pub(crate) async fn read_body(state: &AppState, body: Body) -> Result<Bytes, TaxiiError> {
    let limit = state.config.max_content_length;
    let wait = state.config.limits.body_timeout;
    match tokio::time::timeout(wait, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(TaxiiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            format!("the largest request accepted is {limit} bytes"),
        )),
        Err(_) => Err(TaxiiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "Request timeout",
            format!("the request body did not arrive within {} s", wait.as_secs()),
        )),
    }
}

async fn add_objects(
    State(state): St,
    Path((name, coll)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> AppResult {
    let user = caller(&state, &headers).await?;
    let c = visible(&state, &name, &coll, &user).await?;
    if !user.may_write(&c) {
        return Err(TaxiiError::forbidden(user.write_refusal(&c)));
    }
    if let Some(why) = pacto_store::inbound_write_refusal(&c.name) {
        return Err(TaxiiError::forbidden(why));
    }
    media::check_content_type(&headers)?;
    let limit = state.config.max_content_length;
    let too_large = || {
        TaxiiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            format!("the largest request accepted is {limit} bytes"),
        )
    };
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > limit)
    {
        return Err(too_large());
    }
    let bytes = read_body(&state, body).await?;
    // Objects are counted as the body is checked for well-formedness (one pass that builds
    // nothing), before anything per object is: a body of millions of tiny objects is refused at
    // the first one past the cap.
    let max_objects = state.config.max_objects_per_request;
    let request_timestamp = Timestamp::now().format(6);
    let owner = user.user.name.clone();
    let unusable = |e: pacto_node::RequestError| match e {
        pacto_node::RequestError::Unusable(why) => {
            TaxiiError::bad_request(format!("the body is not a TAXII envelope of STIX objects: {why}"))
        }
        pacto_node::RequestError::TooMany { limit } => TaxiiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too many objects",
            format!(
                "this request carries more than {limit} objects (object {} is past the limit); the API root \
                 advertises the limit as x_pacto_max_objects_per_request: send the objects in several requests",
                limit + 1
            ),
        ),
        pacto_node::RequestError::Store(e) => e.into(),
    };
    let outcomes = if bytes.len() > PIPELINED_BODY {
        // A large body: validation and writes overlap under the writer, batch by batch.
        state.stores.write(move |s| pacto_node::ingest_request(s, &c, &bytes, max_objects).map_err(unusable)).await?
    } else {
        // A small body (the common case under load): validated beside other requests, then
        // stored with whatever others are waiting, in one transaction (group commit).
        let permit = state.stores.validations.acquire().await.map_err(|_| TaxiiError::internal("validation closed"))?;
        let mut validated = tokio::task::spawn_blocking(move || pacto_node::validate_request(&bytes, max_objects))
            .await
            .map_err(|e| TaxiiError::internal(&format!("validation task failed: {e}")))?
            .map_err(unusable)?;
        drop(permit);
        let objects = std::mem::take(&mut validated.objects);
        let stored = state.stores.commit(c, objects).await?;
        validated.finish(stored)
    };
    // The status lists at most STATUS_DETAILS successes and failures in full (messages cut to
    // MESSAGE_CHARS); the counts stay exact, and the omitted entries are counted.
    let (mut successes, mut failures) = (Vec::new(), Vec::new());
    let (mut success_count, mut failure_count) = (0usize, 0usize);
    for o in outcomes {
        let listed = match &o.failure {
            None => {
                success_count += 1;
                successes.len() < STATUS_DETAILS
            }
            Some(_) => {
                failure_count += 1;
                failures.len() < STATUS_DETAILS
            }
        };
        if !listed {
            continue;
        }
        let mut entry = json!({"id": o.id.clone().unwrap_or_default()});
        if let Some(v) = &o.version {
            entry["version"] = json!(v);
        }
        match o.failure {
            None => successes.push(entry),
            Some(why) => {
                entry["message"] = json!(cut(why, MESSAGE_CHARS));
                failures.push(entry);
            }
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    let mut status = json!({
        "id": id,
        "status": "complete",
        "request_timestamp": request_timestamp,
        "total_count": success_count + failure_count,
        "success_count": success_count,
        "successes": successes,
        "failure_count": failure_count,
        "failures": failures,
        "pending_count": 0,
        "pendings": [],
    });
    if success_count > STATUS_DETAILS {
        status["x_pacto_successes_omitted"] = json!(success_count - STATUS_DETAILS);
    }
    if failure_count > STATUS_DETAILS {
        status["x_pacto_failures_omitted"] = json!(failure_count - STATUS_DETAILS);
    }
    let accepted = status["success_count"].as_u64().unwrap_or(0);
    let refused = status["failure_count"].as_u64().unwrap_or(0);
    state.metrics.objects_posted(accepted, refused);
    let body = status.to_string();
    let id = status["id"].as_str().unwrap_or_default().to_string();
    state.statuses.put(&id, &owner, body.clone());
    if state.config.statuses_in_store {
        let (b, keep, max) = (body.clone(), crate::Statuses::KEEP, crate::Statuses::MAX_BYTES);
        state.stores.write(move |s| Ok(s.put_status(&id, &owner, &b, keep, max)?)).await?;
    }
    Ok(taxii_response(StatusCode::ACCEPTED, body))
}
