//! Private matching over HTTP, within a partner's `[[psi]]` grant: the node checks, admits and
//! answers ([`pacto_node::psi`]); here the requests are read and the answers written.
//!
//! `GET /{root}/psi/{set}/` hands out the set blinded under its secret (size-only step 1);
//! `POST /{root}/psi/{set}/` takes an intersection query (`PSIQ`), a count query (`PSIC`) or,
//! under a `labelled` grant, a labelled query (`PSLQ`, answered with the payloads sealed).
//! Everything about a query is checked (media type, grant, mode, sizes, every point, rule, set
//! version) before it is admitted: only an admitted query is counted against `per_day` and
//! written to the ledger; a refusal is logged and costs the partner nothing.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pacto_node::psi::{self, Holder, HolderAnswer, PSI_MEDIA_TYPE};

use crate::{AppState, TaxiiError};

/// Log a refusal (structured) and pass it on.
fn refused(partner: &str, set: &str, e: TaxiiError) -> TaxiiError {
    tracing::warn!(partner, set, status = e.status.as_u16(), reason = %e.description, "psi query refused");
    e
}

/// The stored set and its secret (moved out of the database first if an earlier version left
/// it there), read once, under the writer.
async fn load(state: &Arc<AppState>, set: &str) -> Result<Holder, TaxiiError> {
    let (name, st) = (set.to_string(), state.clone());
    state.stores.write(move |s| Ok(psi::holder(s, &st.node.psi_keys, &name)?)).await
}

fn octets(body: Vec<u8>) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PSI_MEDIA_TYPE));
    resp
}

/// Size-only step 1: the set blinded under its secret (`PSIW`). The same bytes for every
/// querier of one set version; recorded in the ledger, not counted against `per_day`.
pub async fn blinded_set(
    State(state): State<Arc<AppState>>,
    UrlPath((name, set)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, TaxiiError> {
    let who = crate::handlers::caller(&state, &headers).await?;
    crate::handlers::root(&state, &name)?;
    let partner = who.user.name.clone();
    let grant = psi::grant(who.agreement.as_deref(), &set).map_err(|e| refused(&partner, &set, e.into()))?;
    let holder = load(&state, &grant.set).await.map_err(|e| refused(&partner, &set, e))?;
    let holder = holder.set;
    let (body, digest) = psi::blinded_set(&holder).map_err(|e| refused(&partner, &set, e.into()))?;
    // In the ledger, not counted against the daily allowance.
    let kind = "psi-blinded-set";
    let time = pacto_stix::Timestamp::now().format(3);
    let event = pacto_node::ledger::psi_event(
        &partner,
        &set,
        kind,
        format!("blinded set, {} points", holder.points.len()),
        digest,
        &time,
    );
    let receipt =
        crate::partner::append_answer(&state, &headers, &partner, &set, kind.into(), vec![event], body.clone()).await?;
    tracing::info!(partner, set, points = holder.points.len(), "psi blinded set served");
    Ok(crate::handlers::with_receipt(octets(body), receipt))
}

/// An intersection query (`PSIQ`, answered `PSIA`), a size-only count query (`PSIC`, answered
/// `PSIN`), or a labelled query (`PSLQ`, answered `PSLA`).
pub async fn query(
    State(state): State<Arc<AppState>>,
    UrlPath((name, set)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, TaxiiError> {
    let who = crate::handlers::caller(&state, &headers).await?;
    crate::handlers::root(&state, &name)?;
    let partner = who.user.name.clone();
    query_checked(&state, &who, &set, &headers, body).await.map_err(|e| refused(&partner, &set, e))
}

async fn query_checked(
    state: &Arc<AppState>,
    who: &crate::Caller,
    set: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, TaxiiError> {
    let grant = psi::grant(who.agreement.as_deref(), set)?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case(PSI_MEDIA_TYPE) {
        return Err(TaxiiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            format!("a private-matching query is {PSI_MEDIA_TYPE}, not {ct:?}"),
        ));
    }
    let bytes: Bytes = crate::handlers::read_body(state, body).await?;
    // Decode by the message's magic and check sizes first (cheap); the points' check
    // decompresses each one, off the runtime.
    let parsed = psi::parse_query(&bytes, &grant)?;
    let (rule, items) = (parsed.rule(), parsed.items());
    let query = off_runtime(state, move || parsed.check()).await??;
    let holder = load(state, set).await?;
    let pending = HolderAnswer { holder, query };
    let (description, digest) = pending.admit(rule, items, &bytes, grant.fields.as_deref())?;
    crate::partner::admit_psi_query(state, &who.user.name, set, grant.per_day, description, digest).await?;
    let answer = tokio::task::spawn_blocking(move || pending.answer(&grant))
        .await
        .map_err(|e| TaxiiError::internal(&e.to_string()))??;
    let receipt = crate::partner::append_answer(
        state,
        headers,
        &who.user.name,
        set,
        "psi-answer".into(),
        Vec::new(),
        answer.clone(),
    )
    .await?;
    Ok(crate::handlers::with_receipt(octets(answer), receipt))
}

/// Run CPU-heavy work on a blocking thread, one validation at a time per spare core (the same
/// permits TAXII POST validation takes), so a partner's queries cannot hold the runtime.
async fn off_runtime<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TaxiiError> {
    let _permit = state.stores.validations.acquire().await.map_err(|_| TaxiiError::internal("validation closed"))?;
    tokio::task::spawn_blocking(f).await.map_err(|e| TaxiiError::internal(&format!("query check failed: {e}")))
}
