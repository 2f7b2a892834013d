//! Importing a file, checking a pattern, and the operators' pages: partners, an agreement's
//! preview, the ledger with its verification, private sets and their queries, users and
//! tokens, health.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use maud::{Markup, html};
use pacto_node::browse;

use super::layout::{object_href, page, time};
use super::{ConsoleError, Page, Viewer, html as respond, viewer};
use crate::AppState;

type St = State<Arc<AppState>>;

/// Local collections the viewer may write (import targets).
async fn writable(state: &Arc<AppState>, v: &Viewer) -> Result<Vec<String>, ConsoleError> {
    let caller = v.caller.clone();
    Ok(state
        .stores
        .read(move |s| {
            Ok(s.collections()?
                .into_iter()
                .filter(|c| caller.may_write(c) && !pacto_store::is_inbound(&c.name))
                .map(|c| c.name)
                .collect())
        })
        .await?)
}

fn import_page(v: &Viewer, targets: &[String], result: Option<Markup>) -> Markup {
    let body = html! {
        @if let Some(r) = result { (r) }
        @if targets.is_empty() {
            p class="muted" { "This account writes no local collection." }
        } @else {
            form method="post" action="/ui/import" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(v.session.csrf);
                label for="collection" { "Into the collection" }
                select id="collection" name="collection" { @for t in targets { option value=(t) { (t) } } }
                label for="file" { "STIX file (a bundle, an object or a list of objects)" }
                input id="file" name="file" type="file" accept=".json,application/json,application/stix+json" required;
                div { button type="submit" { "Validate and import" } }
            }
            p class="muted" { "Every object is validated as on import and TAXII POST; invalid ones are refused with the validator's findings, the rest stored." }
        }
    };
    page("Import", Some(v), body)
}

pub async fn import_form(State(state): St, headers: HeaderMap) -> Page {
    let v = viewer(&state, &headers).await?;
    let targets = writable(&state, &v).await?;
    Ok(respond(import_page(&v, &targets, None)))
}

pub async fn import(State(state): St, headers: HeaderMap, mut form: Multipart) -> Page {
    let v = viewer(&state, &headers).await?;
    let (mut csrf, mut collection, mut file) = (String::new(), String::new(), None);
    let bad = |e: axum::extract::multipart::MultipartError| {
        ConsoleError::bad_request(format!("the upload is unreadable: {e}"))
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "collection" => collection = field.text().await.map_err(bad)?,
            "file" => {
                file = Some((field.file_name().unwrap_or("upload").to_string(), field.bytes().await.map_err(bad)?))
            }
            _ => {}
        }
    }
    v.check_csrf(&csrf)?;
    let (name, bytes) = file.ok_or_else(|| ConsoleError::bad_request("choose a file to import"))?;
    let targets = writable(&state, &v).await?;
    if !targets.contains(&collection) {
        return Err(ConsoleError::new(
            StatusCode::FORBIDDEN,
            format!("this account may not import into {collection:?}"),
        ));
    }
    let key = collection.clone();
    let c = state
        .stores
        .read(move |s| s.collection(&key)?.ok_or_else(|| crate::TaxiiError::not_found("no such collection")))
        .await?;
    let max = state.config.max_objects_per_request;
    let outcomes = state
        .stores
        .write(move |s| {
            pacto_node::ingest_request(s, &c, &bytes, max).map_err(|e| crate::TaxiiError::bad_request(e.to_string()))
        })
        .await;
    let result = match outcomes {
        Err(e) => html! { p class="error" role="alert" { (name) ": nothing imported: " (e.description) } },
        Ok(outcomes) => {
            let stored = outcomes.iter().filter(|o| o.failure.is_none()).count();
            let refused: Vec<_> = outcomes.iter().filter(|o| o.failure.is_some()).collect();
            tracing::info!(
                user = v.session.user,
                collection,
                stored,
                refused = refused.len(),
                "imported from the console"
            );
            html! {
                div class=(if refused.is_empty() { "ok" } else { "error" }) role="status" {
                    p { (name) ": " (stored) " stored in " (collection) ", " (refused.len()) " refused." }
                    @if !refused.is_empty() {
                        table {
                            caption { "The validator's findings" }
                            thead { tr { th scope="col" { "Object" } th scope="col" { "Id" } th scope="col" { "Finding" } } }
                            tbody { @for o in &refused { tr {
                                td { (o.index.map_or("-".to_string(), |i| i.to_string())) }
                                td { code { (o.id.clone().unwrap_or_default()) } }
                                td { (o.failure.clone().unwrap_or_default()) }
                            } } }
                        }
                    }
                }
            }
        }
    };
    Ok(respond(import_page(&v, &targets, Some(result))))
}

pub async fn pattern(State(state): St, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Page {
    let v = viewer(&state, &headers).await?;
    let text = q.get("pattern").cloned().unwrap_or_default();
    let result = (!text.trim().is_empty()).then(|| {
        match pacto_pattern::Pattern::parse_with(&text, pacto_pattern::Syntax::V21) {
            Ok(p) => html! {
                div class=(if p.unusable().is_empty() { "ok" } else { "error" }) role="status" {
                    p { "A valid STIX 2.1 pattern: " (p.observation_expressions()) " observation expression(s), "
                        (p.comparisons().len()) " comparison(s)." }
                    p { "Canonical: " code { (p.to_string()) } }
                    p { "It matches:" } pre { (p.explain()) }
                    @for w in p.unusable() { p { "Cannot be evaluated: " (w) } }
                    @for a in p.advice() { p { "Note: " (a) } }
                }
            },
            Err(e) => html! {
                div class="error" role="alert" { p { "Line " (e.line) ", column " (e.column) ": " (e.message) } }
            },
        }
    });
    let body = html! {
        form method="get" action="/ui/pattern" {
            label for="pattern" { "STIX pattern" }
            textarea id="pattern" name="pattern" rows="3" cols="80" { (text) }
            div { button type="submit" { "Check" } }
        }
        @if let Some(r) = result { (r) }
    };
    Ok(respond(page("Pattern check", Some(&v), body)))
}

pub async fn partners(State(state): St, headers: HeaderMap) -> Page {
    let v = viewer(&state, &headers).await?;
    v.require_admin()?;
    let agreements = state.node.agreements();
    let (remotes, receipts, outcomes) = state
        .stores
        .read(|s| {
            let remotes = s.remotes()?;
            let (mut receipts, mut outcomes) = (HashMap::new(), HashMap::new());
            for r in &remotes {
                receipts.insert(r.partner.clone(), s.last_receipt(&r.partner)?.map(|x| x.0));
                outcomes.insert(r.partner.clone(), pacto_node::sync::last_outcome(s, &r.partner)?);
            }
            Ok((remotes, receipts, outcomes))
        })
        .await?;
    let every = state.config.sync_every;
    // The next run: the last one plus the interval (or the next tick, if it never ran).
    let next = |last: Option<&pacto_node::sync::SyncOutcome>| match (every, last) {
        (None, _) => "not synced by this server (pacto sync)".to_string(),
        (Some(_), None) => "at the next run".to_string(),
        (Some(d), Some(o)) => pacto_stix::Timestamp::parse(&o.time)
            .map(|t| pacto_stix::Timestamp { secs: t.secs + d.as_secs() as i64, nanos: 0, frac_digits: 0 }.format(0))
            .unwrap_or_else(|_| "at the next run".into()),
    };
    let body = html! {
        h2 { "Agreements given (what partners may read here)" }
        @if agreements.is_empty() { p class="muted" { "None." } } @else {
            table {
                thead { tr { th scope="col" { "Partner" } th scope="col" { "Shares" } th scope="col" { "Drop box" } th scope="col" { "Preview" } } }
                tbody { @for a in &agreements { tr {
                    td { (a.partner) }
                    td { @for s in &a.share { div { (s.collection) " up to TLP:" (s.max_tlp.as_str().to_uppercase()) } } }
                    td { (a.dropbox.clone().unwrap_or_else(|| "-".into())) }
                    td { a href={ "/ui/partners/" (super::layout::urlencode(&a.partner)) "/preview" } { "what would go" } }
                } } }
            }
        }
        h2 { "Connections held (partners this node syncs from)" }
        @if remotes.is_empty() { p class="muted" { "None." } } @else {
            table {
                thead { tr { th scope="col" { "Partner" } th scope="col" { "API root" } th scope="col" { "Authentication" }
                    th scope="col" { "Last sync" } th scope="col" { "Next sync" } th scope="col" { "Newest receipt kept" } } }
                tbody { @for r in &remotes { tr {
                    td { (r.partner) } td { code { (r.api_root) } }
                    td { @if r.fingerprint.is_some() { "mutual TLS (pinned)" } @else { "Basic" } }
                    @let last = outcomes.get(&r.partner).and_then(Option::as_ref);
                    td { @match last {
                        None => "never",
                        Some(o) if o.ok => { (o.time) ": " (o.message) },
                        Some(o) => { strong { "FAILED " } (o.time) ": " (o.message)
                            " (last success: " (o.last_success.as_deref().unwrap_or("never")) ")" },
                    } }
                    td { (next(last)) }
                    td { (receipts.get(&r.partner).copied().flatten().map_or("none".to_string(), |s| format!("entry {s}"))) }
                } } }
            }
            p class="muted" { "Sync runs inside " code { "pacto serve" } " (its leader, when several servers share a database); each run's details are in the node's log." }
        }
    };
    Ok(respond(page("Partners", Some(&v), body)))
}

pub async fn preview(State(state): St, headers: HeaderMap, Path(partner): Path<String>) -> Page {
    let v = viewer(&state, &headers).await?;
    v.require_admin()?;
    let a = state
        .node
        .agreements()
        .into_iter()
        .find(|a| a.partner == partner)
        .ok_or_else(|| ConsoleError::new(StatusCode::NOT_FOUND, format!("no agreement with {partner:?}")))?;
    let agreement = a.clone();
    // The function `pacto agreement check` runs: the server's own decision.
    let shares = state.stores.write(move |s| Ok(pacto_node::partner::preview(s, &agreement, None)?)).await?;
    let body = html! {
        @for sh in &shares {
            h2 { (sh.collection) " (up to TLP:" (sh.max_tlp.to_uppercase()) ")" }
            @match &sh.check {
                None => p class="muted" { "No such collection yet." },
                Some(c) => {
                    p { (c.disclosed.len()) " of " (c.objects) " objects would go." }
                    table {
                        caption { "What would go, and the properties removed" }
                        thead { tr { th scope="col" { "Object" } th scope="col" { "Removed" } } }
                        tbody { @for (id, removed) in &c.disclosed { tr {
                            td { a href=(object_href(&sh.collection, id)) { code { (id) } } }
                            td { @if removed.is_empty() { span class="muted" { "nothing" } } @else { (removed.join(", ")) } }
                        } } }
                    }
                    table {
                        caption { "What stays, and why" }
                        thead { tr { th scope="col" { "Reason" } th scope="col" { "Objects" } } }
                        tbody { @for (why, ids) in &c.withheld { tr {
                            td { (why) }
                            td { @for id in ids { div { a href=(object_href(&sh.collection, id)) { code { (id) } } } } }
                        } } }
                    }
                }
            }
        }
    };
    Ok(respond(page(&format!("What would go to {partner}"), Some(&v), body)))
}

pub async fn ledger(State(state): St, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Page {
    let v = viewer(&state, &headers).await?;
    v.require_admin()?;
    let get = |k: &str| q.get(k).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let f = browse::LedgerFilter { partner: get("partner"), since: None, object: get("object"), kind: get("kind") };
    let st = state.clone();
    let (verified, browse::Recent { entries, kinds, more }) = state
        .stores
        .read(move |s| Ok((st.ledger_check.get(s, st.node.ledger_key()), browse::ledger_recent(s, &f, 500)?)))
        .await?;
    let body = html! {
        @match &verified.result {
            Ok(n) => p class="ok" role="status" { "Verified: " (n) " entries, chained, and the Merkle tree extends every head this node signed"
                " (checked whole " (time(verified.at_us)) ")." },
            Err(e) => p class="error" role="alert" { "DOES NOT VERIFY (checked " (time(verified.at_us)) "): " (e) },
        }
        form method="get" action="/ui/ledger" class="filters" {
            div { label for="partner" { "Partner" } input id="partner" name="partner" value=(get("partner").unwrap_or_default()); }
            div { label for="kind" { "Kind" } input id="kind" name="kind" value=(get("kind").unwrap_or_default()) placeholder="disclosure"; }
            div { label for="object" { "Object id" } input id="object" name="object" value=(get("object").unwrap_or_default()); }
            div { button type="submit" { "Filter" } }
        }
        p { @if more { "The newest " (entries.len()) " matching entries" } @else { (entries.len()) " matching entries" }
            @for (k, n) in &kinds { " · " (n) " " (k) } ", newest first"
            @if more { "; older ones: narrow the filter, or " code { "pacto ledger show" } } "." }
        table {
            thead { tr { th scope="col" { "#" } th scope="col" { "Time" } th scope="col" { "Partner" } th scope="col" { "Kind" }
                th scope="col" { "Collection" } th scope="col" { "Object" } } }
            tbody { @for e in &entries { tr {
                td { (e.seq) } td { (e.time) } td { (e.partner) } td { (e.kind) } td { (e.collection) }
                td { code { (e.object_id.clone().unwrap_or_default()) } " " (e.object_version.clone().unwrap_or_default()) }
            } } }
        }
    };
    Ok(respond(page("Disclosure ledger", Some(&v), body)))
}

pub async fn sets(State(state): St, headers: HeaderMap) -> Page {
    let v = viewer(&state, &headers).await?;
    v.require_admin()?;
    let f = browse::LedgerFilter { kind: Some("psi-query".into()), ..Default::default() };
    let (sets, browse::Recent { entries: queries, .. }) =
        state.stores.read(move |s| Ok((s.psi_sets()?, browse::ledger_recent(s, &f, 200)?))).await?;
    let body = html! {
        table {
            caption { "Private sets (their encoding only; never the items)" }
            thead { tr { th scope="col" { "Set" } th scope="col" { "Rule" } th scope="col" { "Items" }
                th scope="col" { "Payload fields" } th scope="col" { "Made" } } }
            tbody { @for s in &sets { tr {
                td { (s.name) } td { (s.normalizer) } td { (s.items) }
                td { (s.labels.as_ref().map_or("-".to_string(), |l| l.fields.join(", "))) }
                td { (time(s.created_us)) }
            } } }
        }
        h2 { "Query log (from the ledger), newest first" }
        table {
            thead { tr { th scope="col" { "#" } th scope="col" { "Time" } th scope="col" { "Partner" } th scope="col" { "Set" } } }
            tbody { @for e in &queries { tr { td { (e.seq) } td { (e.time) } td { (e.partner) } td { (e.collection) } } } }
        }
    };
    Ok(respond(page("Private sets", Some(&v), body)))
}

pub async fn users(State(state): St, headers: HeaderMap) -> Page {
    let v = viewer(&state, &headers).await?;
    v.require_admin()?;
    let (users, tokens) = state.stores.read(|s| Ok((s.users()?, s.tokens()?))).await?;
    let partners: Vec<String> = state.node.agreements().iter().map(|a| a.partner.clone()).collect();
    let body = html! {
        table {
            caption { "Accounts (" code { "pacto user" } ")" }
            thead { tr { th scope="col" { "Account" } th scope="col" { "Reads" } th scope="col" { "Writes" } th scope="col" { "Kind" } } }
            tbody { @for u in &users { tr {
                td { (u.name) } td { (u.can_read.join(", ")) } td { (u.can_write.join(", ")) }
                td { @if partners.contains(&u.name) { "partner" } @else { "local" } }
            } } }
        }
        table {
            caption { "API tokens (" code { "pacto token" } "; only their hashes are kept)" }
            thead { tr { th scope="col" { "Token" } th scope="col" { "Reads" } th scope="col" { "Writes" }
                th scope="col" { "Expires" } th scope="col" { "Last used" } th scope="col" { "State" } } }
            tbody { @for t in &tokens { tr {
                td { (t.name) } td { (t.can_read.join(", ")) } td { (t.can_write.join(", ")) }
                td { (t.expires_us.map_or("never".to_string(), time)) }
                td { (t.last_used_us.map_or("never".to_string(), time)) }
                td { @if t.revoked_us.is_some() { "revoked" } @else { "active" } }
            } } }
        }
    };
    Ok(respond(page("Users and tokens", Some(&v), body)))
}

pub async fn health(State(state): St, headers: HeaderMap) -> Page {
    let v = viewer(&state, &headers).await?;
    v.require_admin()?;
    let store = state.stores.read(|s| Ok((s.collections()?.len(), s.total_versions()?))).await;
    let (groups, grouped) = state.stores.group_commits();
    let (statuses, status_bytes) = state.statuses.held();
    let body = html! {
        @match &store {
            Ok((c, n)) => p class="ok" role="status" { "The store answers: " (c) " collections, " (n) " versions." },
            Err(e) => p class="error" role="alert" { "The store does not answer: " (e.description) },
        }
        table {
            tbody {
                tr { th scope="row" { "Group commits" } td { (groups) " (" (grouped) " requests)" } }
                tr { th scope="row" { "POST statuses held" } td { (statuses) " (" (status_bytes) " bytes)" } }
                tr { th scope="row" { "Agreements in force" } td { (state.node.agreements().len()) } }
            }
        }
        p { "Prometheus metrics: " code { "/metrics" } "." }
    };
    let status = if store.is_ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    Ok((status, respond(page("Node health", Some(&v), body))).into_response())
}
