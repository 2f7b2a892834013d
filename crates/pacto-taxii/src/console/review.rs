//! Reviewing what partners sent: the queue of received objects no one has adopted or
//! dismissed yet, dismissing one or everything up to what was shown, and the receipt a
//! received version arrived under.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use maud::html;
use pacto_node::browse;

use super::layout::{self, object_href, page, time, tlp};
use super::{ConsoleError, Page, html as respond, viewer};
use crate::AppState;

type St = State<Arc<AppState>>;

/// How many awaiting objects the review page lists at once.
const PAGE: usize = 100;

/// The review queue, newest first, of every inbound collection the viewer may read (or one).
pub async fn queue(State(state): St, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Page {
    let v = viewer(&state, &headers).await?;
    let caller = v.caller.clone();
    let only = q.get("collection").cloned().filter(|c| !c.is_empty());
    let (found, inbound) = {
        let only = only.clone();
        state
            .stores
            .read(move |s| {
                let found = browse::awaiting(s, &caller, only.as_deref(), PAGE)?;
                let inbound: Vec<String> = browse::readable(s, &caller)?
                    .into_iter()
                    .filter(|c| pacto_store::is_inbound(&c.name))
                    .map(|c| c.name)
                    .collect();
                Ok((found, inbound))
            })
            .await?
    };
    // "Dismiss all" covers what this page showed, per collection: never what arrived after.
    let mut newest: Vec<(String, i64)> = Vec::new();
    for h in &found.hits {
        if !newest.iter().any(|(c, _)| *c == h.collection) {
            newest.push((h.collection.clone(), h.date_added));
        }
    }
    let back = match &only {
        Some(c) => format!("/ui/review?collection={}", layout::urlencode(c)),
        None => "/ui/review".to_string(),
    };
    let body = html! {
        p { "What partners sent that no one here has adopted or dismissed yet, newest first. "
            "Adopting copies an object into a local collection (open it to adopt); dismissing leaves it where it is "
            "and takes it off this list until the partner sends a newer version." }
        form method="get" action="/ui/review" class="filters" {
            div { label for="collection" { "From" }
                select id="collection" name="collection" {
                    option value="" { "every partner" }
                    @for c in &inbound { option value=(c) selected[only.as_deref() == Some(c.as_str())] { (c) } }
                }
            }
            div { button type="submit" { "Show" } }
        }
        p { (found.hits.len()) @if found.more { "+" } " awaiting review." }
        @if found.hits.is_empty() {
            p class="muted" { "Nothing awaits review." }
        } @else {
            table {
                caption class="muted" { "Received objects awaiting review" }
                thead { tr { th scope="col" { "Object" } th scope="col" { "Type" } th scope="col" { "TLP" }
                    th scope="col" { "From" } th scope="col" { "Received" } th scope="col" { "Decide" } } }
                tbody { @for h in &found.hits { tr {
                    td { a href=(object_href(&h.collection, &h.id)) { (h.title) } }
                    td { (h.type_name) } td { (tlp(h.tlp)) } td { (h.collection) } td { (time(h.date_added)) }
                    td {
                        form method="post" action="/ui/dismiss" class="inline" {
                            input type="hidden" name="csrf" value=(v.session.csrf);
                            input type="hidden" name="from" value=(h.collection);
                            input type="hidden" name="id" value=(h.id);
                            input type="hidden" name="back" value=(back);
                            button type="submit" aria-label={ "Dismiss " (h.title) } { "Dismiss" }
                        }
                    }
                } } }
            }
            @for (c, through) in &newest {
                form method="post" action="/ui/dismiss" {
                    input type="hidden" name="csrf" value=(v.session.csrf);
                    input type="hidden" name="from" value=(c);
                    input type="hidden" name="through" value=(through);
                    input type="hidden" name="back" value=(back);
                    button type="submit" { "Dismiss everything from " (c) " received up to " (time(*through)) }
                }
            }
        }
    };
    Ok(respond(page("Review", Some(&v), body)))
}

#[derive(serde::Deserialize)]
pub struct DismissForm {
    #[serde(default)]
    csrf: String,
    from: String,
    /// One object (every version held now).
    #[serde(default)]
    id: Option<String>,
    /// Or everything added up to this date_added.
    #[serde(default)]
    through: Option<i64>,
    #[serde(default)]
    back: Option<String>,
}

pub async fn dismiss(State(state): St, headers: HeaderMap, axum::Form(f): axum::Form<DismissForm>) -> Page {
    let v = viewer(&state, &headers).await?;
    v.check_csrf(&f.csrf)?;
    let caller = v.caller.clone();
    let from = f.from.clone();
    match (f.id.clone().filter(|i| !i.is_empty()), f.through) {
        (Some(id), _) => {
            state.stores.write(move |s| Ok(browse::dismiss(s, &caller, &from, &[id])?)).await?;
        }
        (None, Some(through)) => {
            state.stores.write(move |s| Ok(browse::dismiss_through(s, &caller, &from, through)?)).await?;
        }
        (None, None) => {
            return Err(ConsoleError::bad_request("say what to dismiss: an object (id) or up to when (through)"));
        }
    }
    tracing::info!(user = v.session.user, from = f.from, id = f.id, through = f.through, "dismissed from review");
    // Back only to a page of this console (never an address the form was given elsewhere).
    let back = f.back.filter(|b| b.starts_with("/ui/") && !b.starts_with("//")).unwrap_or_else(|| "/ui/review".into());
    let mut resp = Redirect::to(&back).into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    Ok(resp)
}

/// A receipt kept from a partner: what its entry says, whether it verifies against the key
/// pinned for the partner, and the receipt itself for a third party.
pub async fn receipt(State(state): St, headers: HeaderMap, Path((partner, seq)): Path<(String, u64)>) -> Page {
    let v = viewer(&state, &headers).await?;
    let caller = v.caller.clone();
    let r = state.stores.read(move |s| Ok(browse::receipt(s, &caller, &partner, seq)?)).await?;
    let e = &r.receipt.entry;
    let body = html! {
        p { "The answer that brought these objects was recorded in " (r.partner) "'s disclosure ledger as entry "
            (e.seq) ", and " (r.partner) " signed this receipt for it. Anyone holding " (r.partner)
            "'s ledger key can check it, and " code { "pacto ledger audit" } " asks " (r.partner) " to prove the entry is still in its log." }
        @match &r.verified {
            Ok(()) => p class="ok" role="status" { "Verified: signed by the ledger key pinned for " (r.partner) ", and the entry is in the signed log." },
            Err(why) => p class="error" role="alert" { "Does not verify: " (why) },
        }
        table {
            caption class="muted" { "The ledger entry" }
            tbody {
                tr { th scope="row" { "Entry" } td { (e.seq) } }
                tr { th scope="row" { "When" } td { (e.time) } }
                tr { th scope="row" { "Kind" } td { (e.kind) } }
                tr { th scope="row" { "To (the account it names)" } td { (e.partner) } }
                tr { th scope="row" { "Collection" } td { code { (e.collection) } } }
                tr { th scope="row" { "Digest of the answer" } td { code { (e.digest) } } }
                tr { th scope="row" { "Signed by" } td { code { (r.receipt.public_key) } } }
            }
        }
        h2 { "The receipt" }
        pre tabindex="0" aria-label="The receipt as kept" { (r.text) }
    };
    Ok(respond(page(&format!("Receipt: {} entry {}", r.partner, e.seq), Some(&v), body)))
}
