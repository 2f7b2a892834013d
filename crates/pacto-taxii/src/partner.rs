//! A partner's reads on the server: the node decides what the partner receives
//! ([`pacto_node::partner::page`]); here its ledger entries are written on the writer's thread
//! before the response leaves (what is not recorded is not served).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pacto_federation::ledger::receipt;
use pacto_node::ledger::{self, Served};
use pacto_store::{Collection, StoredObject};

use crate::{AppState, TaxiiError};

/// What a partner's read told it: which versions (and how: see [`Served`]), with the digest
/// of each as sent.
pub struct Read<'a> {
    pub what: Served,
    pub served: &'a [StoredObject],
    pub digests: Vec<String>,
}

/// Append one ledger entry per object version a read told `partner` of, the answer's response
/// entry (the SHA-256 of `body`, exactly as it leaves) and a signed head, in one transaction
/// (see [`ledger::served_events`]); returns the receipt's header value.
pub async fn record(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    partner: &str,
    c: &Collection,
    read: Read<'_>,
    body: &str,
) -> Result<Option<HeaderValue>, TaxiiError> {
    if read.served.is_empty() {
        return Ok(None);
    }
    let now = pacto_stix::Timestamp::now().format(3);
    let answer = format!("{} {}", read.what.name(), read.served.len());
    let events = ledger::served_events(partner, c, read.what, read.served, read.digests, &now);
    append_answer(state, headers, partner, &c.name, answer, events, body.as_bytes().to_vec()).await
}

/// The size of the ledger the partner says it holds (`X-Pacto-Log-Size`), for the receipt's
/// consistency proof.
fn held_size(headers: &HeaderMap) -> Option<u64> {
    headers.get(receipt::SIZE_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// Append `events` and the response entry of `body`, signed, and return the receipt header.
pub async fn append_answer(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    partner: &str,
    collection: &str,
    what: String,
    events: Vec<pacto_federation::ledger::Event>,
    body: Vec<u8>,
) -> Result<Option<HeaderValue>, TaxiiError> {
    let (partner, collection, st, held) =
        (partner.to_string(), collection.to_string(), state.clone(), held_size(headers));
    let receipt = state
        .stores
        .write(move |s| {
            let response = ledger::Response { partner: &partner, collection: &collection, what, body: &body, held };
            Ok(st.node.ledger.append(s, events, Some(response))?)
        })
        .await?;
    Ok(receipt.and_then(|r| HeaderValue::from_str(&r.to_header()).ok()))
}

/// Count a private-matching query against the partner's daily allowance and, if it is within,
/// record it in the ledger (see [`ledger::admit_psi_query`]).
pub async fn admit_psi_query(
    state: &Arc<AppState>,
    partner: &str,
    set: &str,
    per_day: u64,
    description: String,
    digest: String,
) -> Result<(), TaxiiError> {
    let (partner, set, st) = (partner.to_string(), set.to_string(), state.clone());
    state
        .stores
        .write(move |s| Ok(ledger::admit_psi_query(s, &st.node.ledger, &partner, &set, per_day, description, digest)?))
        .await
}

/// A partner's ledger request: the caller (a partner, else `refused`) and its JSON body
/// (`shape` says what it should be when it is not).
async fn ledger_request<T: serde::de::DeserializeOwned>(
    state: &Arc<AppState>,
    root: &str,
    headers: &HeaderMap,
    body: Body,
    refused: &str,
    shape: &str,
) -> Result<(String, T), TaxiiError> {
    let who = crate::handlers::caller(state, headers).await?;
    crate::handlers::root(state, root)?;
    if who.agreement.is_none() {
        return Err(TaxiiError::forbidden(refused));
    }
    let bytes = crate::handlers::read_body(state, body).await?;
    let req = serde_json::from_slice(&bytes).map_err(|e| TaxiiError::bad_request(format!("{shape}: {e}")))?;
    Ok((who.user.name, req))
}

fn json_answer(body: String) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(crate::media::TAXII_MEDIA_TYPE));
    resp
}

/// `POST /{root}/ledger/proofs/`: a partner audits what this node disclosed to it (see
/// `pacto ledger audit`): its entries in the current log with inclusion proofs, and proofs that
/// the log extends the checkpoints it holds. Only partners; each sees only its own entries.
pub async fn proofs(
    State(state): State<Arc<AppState>>,
    UrlPath(root): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, TaxiiError> {
    let refused = "only a partner audits what this node disclosed to it";
    let shape = "an audit request is {\"entries\": [N…], \"from\": [SIZE…]}";
    let (partner, req): (String, receipt::AuditRequest) =
        ledger_request(&state, &root, &headers, body, refused, shape).await?;
    let st = state.clone();
    let answer = state.stores.write(move |s| Ok(st.node.ledger.audit_answer(s, &partner, &req)?)).await?;
    Ok(json_answer(serde_json::to_string(&answer).unwrap_or_default()))
}

/// `GET /{root}/ledger/keys/`: the handovers of this node's log from key to key (see
/// `pacto ledger rotate-key`), so a partner that pinned an earlier key follows to the current
/// one. Only partners. Each handover carries its consistency proof to the newest head, or with
/// `?size=N` to the head of size N this node signed (a receipt's), which the history carries.
pub async fn keys(
    State(state): State<Arc<AppState>>,
    UrlPath(root): UrlPath<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, TaxiiError> {
    let who = crate::handlers::caller(&state, &headers).await?;
    crate::handlers::root(&state, &root)?;
    if who.agreement.is_none() {
        return Err(TaxiiError::forbidden("only a partner follows this node's ledger keys"));
    }
    let size = match query.get("size") {
        None => None,
        Some(n) => Some(n.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            TaxiiError::bad_request(format!("size must be the size of a head this node signed, not {n:?}"))
        })?),
    };
    let st = state.clone();
    let (_, history) = state.stores.write(move |s| Ok(st.node.ledger.key_history_at(s, size)?)).await?;
    Ok(json_answer(serde_json::to_string(&history).unwrap_or_default()))
}

/// `POST /{root}/ledger/cosignatures/`: a partner hands back its cosignature (as a witness) of
/// a head of this node's log it has checked; kept if the head is one this node signed and the
/// witness key the one pinned for the partner, or one its key history hands over to from it.
pub async fn cosignatures(
    State(state): State<Arc<AppState>>,
    UrlPath(root): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, TaxiiError> {
    let refused = "only a partner witnesses this node's ledger";
    let shape = "a cosignature is {\"witness\": VKEY, \"checkpoint\": NOTE, \"keys\": KEY_HISTORY (optional)}";
    let (partner, c): (String, receipt::Cosignature) =
        ledger_request(&state, &root, &headers, body, refused, shape).await?;
    let st = state.clone();
    let who = partner.clone();
    let size = state.stores.write(move |s| Ok(st.node.ledger.accept_cosignature(s, &who, &c)?)).await?;
    tracing::info!(partner, size, "ledger head cosigned by the partner");
    Ok(json_answer(serde_json::json!({"kept": size}).to_string()))
}
