//! The analysts' pages: the dashboard, search, an object, adopting a received object.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use maud::{Markup, html};
use pacto_node::browse::{self, Neighbour, ObjectPage, Search};

use super::layout::{self, hits, object_href, page, time, tlp};
use super::{ConsoleError, Page, html as respond, viewer};
use crate::AppState;

type St = State<Arc<AppState>>;

pub async fn dashboard(State(state): St, headers: HeaderMap) -> Page {
    let v = viewer(&state, &headers).await?;
    let (caller, since) = (v.caller.clone(), v.session.last_visit_us);
    let d = state.stores.read(move |s| Ok(browse::dashboard(s, &caller, since)?)).await?;
    let body = html! {
        p class="muted" { "New means added since your last visit (" (time(since)) ")." }
        h2 { "Collections" }
        div class="cards" {
            @for c in &d.collections {
                div class="card" {
                    div { a href={ "/ui/search?collection=" (layout::urlencode(&c.collection.name)) } { (c.collection.name) } }
                    div class="n" { (c.versions) } div class="muted" { "versions" }
                    div class="muted" {
                        @if c.new as usize >= browse::NEW_COUNT_CAP { "at least " }
                        (c.new) " new" @if c.inbound { " · received from a partner" }
                    }
                    @if c.inbound && c.awaiting > 0 {
                        div { a href={ "/ui/review?collection=" (layout::urlencode(&c.collection.name)) } {
                            @if c.awaiting as usize >= browse::NEW_COUNT_CAP { "at least " }
                            (c.awaiting) " awaiting review"
                        } }
                    }
                }
            }
            @if d.collections.is_empty() { p class="muted" { "This account may read no collection." } }
        }
        h2 { "New since your last visit" }
        (hits("The newest objects added since your last visit", &d.new.hits))
        h2 { "Received from partners, awaiting review" }
        (hits("The newest received objects no one has adopted or dismissed", &d.awaiting.hits))
        @if d.awaiting.more { p { a href="/ui/review" { "Review everything awaiting" } } }
        h2 { "Sightings" }
        (hits("The newest sightings", &d.sightings.hits))
    };
    Ok(respond(page("Dashboard", Some(&v), body)))
}

/// A search's filters as they arrive in the query string.
fn filters(q: &HashMap<String, String>) -> Result<Search, ConsoleError> {
    let get = |k: &str| q.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let instant = |k: &str| -> Result<Option<i64>, ConsoleError> {
        match get(k) {
            None => Ok(None),
            // A date alone (from a date field) is that day's start, UTC.
            Some(t) => {
                let full = if t.len() == 10 { format!("{t}T00:00:00Z") } else { t.clone() };
                pacto_stix::Timestamp::parse(&full)
                    .map(|t| Some(t.as_micros()))
                    .map_err(|e| ConsoleError::bad_request(format!("{k} {t:?} is not a date: {e}")))
            }
        }
    };
    Ok(Search {
        text: get("q").unwrap_or_default(),
        types: get("type").into_iter().collect(),
        tlp: get("tlp"),
        labels: get("label").into_iter().collect(),
        collections: get("collection").into_iter().collect(),
        partner: get("partner"),
        since: instant("since")?,
        before: instant("before")?,
        limit: 100,
    })
}

pub async fn search(State(state): St, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Page {
    let v = viewer(&state, &headers).await?;
    let f = filters(&q)?;
    let caller = v.caller.clone();
    let (found, collections) = {
        let f = f.clone();
        state
            .stores
            .read(move |s| {
                let names: Vec<String> = browse::readable(s, &caller)?.into_iter().map(|c| c.name).collect();
                Ok((browse::search(s, &caller, &f), names))
            })
            .await?
    };
    let val = |k: &str| q.get(k).cloned().unwrap_or_default();
    let body = html! {
        form method="get" action="/ui/search" role="search" class="filters"
            hx-get="/ui/search" hx-trigger="input changed delay:300ms from:#q, change" hx-target="#results"
            hx-select="#results" hx-swap="outerHTML" hx-push-url="true" {
            div { label for="q" { "Words" } input id="q" name="q" type="search" value=(val("q")) size="40"
                placeholder="names, descriptions, patterns, values, ids"; }
            div { label for="type" { "Type" } input id="type" name="type" value=(val("type")) size="14" placeholder="indicator"; }
            div { label for="tlp" { "TLP" }
                select id="tlp" name="tlp" {
                    @for (value, text) in [("", "any"), ("clear", "CLEAR"), ("green", "GREEN"), ("amber", "AMBER"),
                        ("amber+strict", "AMBER+STRICT"), ("red", "RED"), ("none", "unmarked")] {
                        option value=(value) selected[val("tlp") == value] { (text) }
                    }
                }
            }
            div { label for="label" { "Label" } input id="label" name="label" value=(val("label")) size="12"; }
            div { label for="collection" { "Collection" }
                select id="collection" name="collection" {
                    option value="" { "all I may read" }
                    @for c in &collections { option value=(c) selected[val("collection") == *c] { (c) } }
                }
            }
            div { label for="partner" { "Partner" } input id="partner" name="partner" value=(val("partner")) size="10"; }
            div { label for="since" { "Added from" } input id="since" name="since" type="date" value=(val("since")); }
            div { label for="before" { "Added before" } input id="before" name="before" type="date" value=(val("before")); }
            div { button type="submit" { "Search" } }
        }
        div id="results" aria-live="polite" {
            @match &found {
                Ok(found) => {
                    p { (found.hits.len()) @if found.more { "+" } " found, newest first." }
                    (hits("Search results", &found.hits))
                }
                Err(e) => { p class="error" role="alert" { (e.to_string()) } }
            }
        }
    };
    let status = if found.is_ok() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok((status, respond(page("Search", Some(&v), body))).into_response())
}

pub async fn object(State(state): St, headers: HeaderMap, Path((collection, id)): Path<(String, String)>) -> Page {
    let v = viewer(&state, &headers).await?;
    let caller = v.caller.clone();
    let (p, targets) = state
        .stores
        .read(move |s| {
            let p = browse::object(s, &caller, &collection, &id)?;
            // Where it may be adopted to: local collections this account writes.
            let targets: Vec<String> = browse::readable(s, &caller)?
                .into_iter()
                .chain(s.collections()?)
                .filter(|c| caller.may_write(c) && !pacto_store::is_inbound(&c.name))
                .map(|c| c.name)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            Ok((p, targets))
        })
        .await?;
    let latest = p.versions.last().map(|v| v.object.raw.clone()).unwrap_or_default();
    let pretty = serde_json::from_str::<serde_json::Value>(&latest)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(latest);
    let inbound = pacto_store::is_inbound(&p.collection.name);
    let body = html! {
        p { (tlp(p.tlp)) " " code { (p.id) } " in " a href={ "/ui/search?collection=" (layout::urlencode(&p.collection.name)) } { (p.collection.name) } }
        @if inbound {
            section aria-labelledby="adopt-h" {
                h2 id="adopt-h" { "Adopt or dismiss" }
                @let latest_version = p.versions.last().map(|v| v.object.version.clone()).unwrap_or_default();
                @match p.reviews.iter().rev().find(|r| r.version == latest_version) {
                    Some(r) => p { "The latest version was " (r.decision.as_str())
                        @if !r.by.is_empty() { " by " (r.by) } " on " (time(r.at_us)) "." },
                    None => {
                        p { "The latest version awaits review." }
                        form method="post" action="/ui/dismiss" {
                            input type="hidden" name="csrf" value=(v.session.csrf);
                            input type="hidden" name="from" value=(p.collection.name);
                            input type="hidden" name="id" value=(p.id);
                            input type="hidden" name="back" value=(object_href(&p.collection.name, &p.id));
                            button type="submit" { "Dismiss (keep it here, off the review list)" }
                        }
                    }
                }
                @if targets.is_empty() {
                    p class="muted" { "This account writes no local collection to adopt it into." }
                } @else {
                    form method="post" action="/ui/adopt" {
                        input type="hidden" name="csrf" value=(v.session.csrf);
                        input type="hidden" name="from" value=(p.collection.name);
                        input type="hidden" name="id" value=(p.id);
                        label for="to" { "Into the local collection" }
                        select id="to" name="to" { @for t in &targets { option value=(t) { (t) } } }
                        div { button type="submit" { "Adopt (every version, with its provenance)" } }
                    }
                }
            }
        }
        h2 { "Provenance" }
        @if p.provenance.is_empty() {
            p { "Made on this node (no partner sent it)." }
        } @else {
            table {
                caption class="muted" { "Where each version came from" }
                thead { tr { th scope="col" { "Version" } th scope="col" { "Partner" } th scope="col" { "Their collection" }
                    th scope="col" { "Added there" } th scope="col" { "Fetched" } th scope="col" { "Receipt" } } }
                tbody { @for pr in &p.provenance { tr {
                    td { code { (pr.version) } } td { (pr.partner) } td { code { (pr.remote_collection) } }
                    td { (pr.remote_date_added) } td { (time(pr.fetched_us)) }
                    td { @match pr.receipt {
                        Some(seq) => a href={ "/ui/receipts/" (layout::urlencode(&pr.partner)) "/" (seq) } { "entry " (seq) " of " (pr.partner) "'s ledger" },
                        None => span class="muted" { "none given" },
                    } }
                } } }
            }
        }
        h2 { "Relationships" }
        (graph(&p))
        @if !p.relationships.is_empty() {
            table {
                caption class="muted" { "The relationships in the graph" }
                thead { tr { th scope="col" { "Relationship" } th scope="col" { "Direction" } th scope="col" { "Other object" } } }
                tbody { @for n in &p.relationships { tr {
                    td { a href=(object_href(&n.relationship.collection, &n.relationship.id)) { (n.relationship_type) } }
                    td { @if n.outgoing { "this → other" } @else { "other → this" } }
                    td { (other(n)) }
                } } }
            }
        }
        h2 { "Sightings" }
        (hits("Sightings of this object", &p.sightings))
        h2 { "Versions" }
        table {
            caption class="muted" { "Every version kept, oldest first" }
            thead { tr { th scope="col" { "Version" } th scope="col" { "Added" } th scope="col" { "What changed" } } }
            tbody { @for ver in &p.versions { tr {
                td { code { (ver.object.version) } }
                td { (time(ver.object.date_added)) }
                td { @if ver.changed.is_empty() { span class="muted" { "first version" } } @else { (ver.changed.join(", ")) } }
            } } }
        }
        h2 { "Raw JSON (latest version)" }
        pre tabindex="0" aria-label="The latest version as received" { (pretty) }
    };
    Ok(respond(page(&p.title, Some(&v), body)))
}

fn other(n: &Neighbour) -> Markup {
    html! {
        @match &n.other {
            Some(h) => a href=(object_href(&h.collection, &h.id)) { (h.title) " (" (h.type_name) ")" },
            None => span class="muted" { code { (n.other_id) } " (not readable here)" },
        }
    }
}

/// The neighbourhood as an SVG drawn here: the object in the middle, its neighbours on a
/// circle, each a link to its page, each edge named by its relationship type.
fn graph(p: &ObjectPage) -> Markup {
    let n = p.relationships.len();
    let (w, h, cx, cy) = (720.0_f64, 440.0_f64, 360.0_f64, 220.0_f64);
    let r = if n <= 1 { 150.0 } else { 170.0 };
    let cut = |s: &str| -> String {
        let t: String = s.chars().take(28).collect();
        if t.len() < s.len() { format!("{t}…") } else { t }
    };
    let place = |i: usize| {
        let a = std::f64::consts::TAU * i as f64 / n.max(1) as f64 - std::f64::consts::FRAC_PI_2;
        (cx + r * a.cos(), cy + r * a.sin())
    };
    let desc = format!("{} and {} related objects", p.title, n);
    html! {
        @if n == 0 {
            p class="muted" { "No relationship from or to this object in what this account may read." }
        } @else {
            svg class="graph" viewBox={ "0 0 " (w) " " (h) } width=(w) height=(h) role="group" aria-labelledby="graph-title" aria-describedby="graph-desc" {
                title id="graph-title" { "Relationships of " (p.title) }
                desc id="graph-desc" { (desc) }
                @for (i, nb) in p.relationships.iter().enumerate() {
                    @let (x, y) = place(i);
                    line x1=(cx) y1=(cy) x2=(x) y2=(y) {}
                    text class="edge" x=((cx + x) / 2.0) y=((cy + y) / 2.0 - 4.0) text-anchor="middle" {
                        @if nb.outgoing { (nb.relationship_type) " →" } @else { "← " (nb.relationship_type) }
                    }
                }
                circle class="centre" cx=(cx) cy=(cy) r="14" {}
                text x=(cx) y=(cy + 30.0) text-anchor="middle" font-weight="bold" { (cut(&p.title)) }
                @for (i, nb) in p.relationships.iter().enumerate() {
                    @let (x, y) = place(i);
                    @let label = nb.other.as_ref().map_or_else(|| nb.other_id.clone(), |h| h.title.clone());
                    @match &nb.other {
                        Some(o) => {
                            a href=(object_href(&o.collection, &o.id)) aria-label={ (o.type_name) " " (o.title) } {
                                circle cx=(x) cy=(y) r="10" {}
                                text x=(x) y=(y + 24.0) text-anchor="middle" { (cut(&label)) }
                            }
                        }
                        None => {
                            circle cx=(x) cy=(y) r="10" {}
                            text x=(x) y=(y + 24.0) text-anchor="middle" { (cut(&label)) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(serde::Deserialize)]
pub struct AdoptForm {
    #[serde(default)]
    csrf: String,
    from: String,
    to: String,
    id: String,
}

pub async fn adopt(State(state): St, headers: HeaderMap, axum::Form(f): axum::Form<AdoptForm>) -> Page {
    let v = viewer(&state, &headers).await?;
    v.check_csrf(&f.csrf)?;
    let caller = v.caller.clone();
    let (from, to, id) = (f.from.clone(), f.to.clone(), f.id.clone());
    let outcomes = state.stores.write(move |s| Ok(browse::adopt(s, &caller, &from, &to, &[id])?)).await?;
    if let Some(pacto_store::AddOutcome::Refused { reason }) =
        outcomes.iter().find(|o| matches!(o, pacto_store::AddOutcome::Refused { .. }))
    {
        return Err(ConsoleError::new(StatusCode::CONFLICT, format!("not adopted: {reason}")));
    }
    tracing::info!(user = v.session.user, from = f.from, to = f.to, id = f.id, "adopted from the console");
    let mut resp = Redirect::to(&object_href(&f.to, &f.id)).into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    Ok(resp)
}
