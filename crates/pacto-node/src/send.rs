//! Sending to a partner's drop box: what an analyst chooses to give a partner (`pacto send`),
//! and this node's sightings of the partner's indicators reported back (an agreement with
//! `report_sightings = true`).
//!
//! Nothing leaves beyond this node's own agreement for the partner: objects are decided by the
//! same [`crate::partner::Disclosure`] and `Share::decide` the server applies to the partner's
//! reads (TLP ceiling, types, labels, creators, redaction, references to what the partner may
//! not see). Every object version sent is appended to the disclosure ledger (kind `sent`)
//! before the request leaves: what is not recorded is not sent.

use std::collections::{BTreeMap, HashSet};

use pacto_federation::agreement::{Decision, Share};
use pacto_federation::ledger::{Event, sha256_hex};
use pacto_store::{Collection, ObjectStore, PartnerStore, Query, Store, Versions};
use serde::Serialize;
use serde_json::Value;

use crate::NodeError;
use crate::client::{ClientError, TaxiiClient};
use crate::ledger::Log;
use crate::partner::{Disclosure, each_latest};

/// The ledger kind of an object version sent to a partner's drop box.
pub const SENT: &str = "sent";

/// Objects at most per request (also held under the partner's `max_content_length`).
const PER_REQUEST: usize = 500;

/// How long a send waits for a status that is still pending.
const STATUS_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error(transparent)]
    Store(#[from] pacto_store::StoreError),
    /// The partner's answer does not let the send go on or be confirmed.
    #[error("{0}")]
    Partner(String),
}

/// What is to go: the objects as they will leave, and what stays with the reason.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    /// What the ledger names as the source: a local collection, or `file:NAME`.
    pub source: String,
    pub objects: Vec<Value>,
    /// Objects that stay, counted by reason.
    pub withheld: BTreeMap<String, usize>,
}

impl Outgoing {
    fn withhold(&mut self, why: &str) {
        *self.withheld.entry(why.to_string()).or_default() += 1;
    }
}

/// What the latest version of each object of `c` (of `ids` only, when some are given) that
/// `share` lets go would leave as, and why the rest stays: the decision `pacto agreement
/// check` reports ([`each_latest`]).
pub fn from_collection<S: ObjectStore + ?Sized>(
    s: &mut S,
    c: &Collection,
    share: &Share,
    ids: &[String],
) -> Result<Outgoing, NodeError> {
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let mut out = Outgoing { source: c.name.clone(), ..Outgoing::default() };
    let mut found = HashSet::new();
    each_latest(s, c, share, &mut |id, _, decision| {
        if !wanted.is_empty() && !wanted.contains(id.as_str()) {
            return;
        }
        found.insert(id);
        match decision {
            Decision::Disclose(shown) => out.objects.push(shown),
            Decision::Withhold(why) => out.withhold(why),
        }
    })?;
    for missing in wanted.iter().filter(|i| !found.contains(**i)) {
        tracing::warn!(collection = c.name, id = missing, "asked to send an object the collection does not hold");
        out.withhold("not in the collection");
    }
    Ok(out)
}

/// What `share` lets go of objects read from a file (already validated): each decided by
/// `Share::decide`, where a reference stays if it names an object of the file the share admits,
/// or one the share's own collection lets the partner see (its view, as the server decides).
pub fn from_objects<S: ObjectStore + ?Sized>(
    s: &mut S,
    share: &Share,
    source: &str,
    objects: Vec<Value>,
) -> Result<Outgoing, NodeError> {
    let admitted: HashSet<String> = objects
        .iter()
        .filter(|o| o.as_object().is_some_and(|m| share.admits(m).is_ok()))
        .filter_map(|o| o.get("id").and_then(Value::as_str).map(str::to_string))
        .collect();
    let stored = match s.collection(&share.collection)? {
        Some(c) => Some((s.view(&c, &share.filter())?, c)),
        None => None,
    };
    let s = &*s;
    let disclosure = stored.as_ref().map(|(view, c)| Disclosure::new(s, c, share, *view));
    let disclosable = |id: &str| admitted.contains(id) || disclosure.as_ref().is_some_and(|d| d.disclosable(id));
    let mut out = Outgoing { source: source.to_string(), ..Outgoing::default() };
    for o in objects {
        match share.decide(&o, &disclosable) {
            Decision::Disclose(shown) => out.objects.push(shown),
            Decision::Withhold(why) => out.withhold(why),
        }
    }
    Ok(out)
}

/// What a send did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Delivery {
    /// The partner's collection the objects went to.
    pub collection: String,
    pub sent: u64,
    /// As the partner's status resources say.
    pub succeeded: u64,
    pub failed: u64,
    /// The partner's reasons for the first failures (`ID: MESSAGE`).
    pub failures: Vec<String>,
}

/// The drop box this node may write to at the partner: `wanted` if given (and writable),
/// else the only writable collection.
pub fn dropbox(client: &mut TaxiiClient, partner: &str, wanted: Option<&str>) -> Result<String, SendError> {
    let writable = client.writable_collections()?;
    if let Some(w) = wanted {
        return writable
            .iter()
            .find(|c| c.id == w || c.title == w)
            .map(|c| c.id.clone())
            .ok_or_else(|| SendError::Partner(format!("{partner} lets this node write to no collection {w:?}")));
    }
    match writable.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(SendError::Partner(format!(
            "{partner} lets this node write to no collection (its agreement for this node names no drop box)"
        ))),
        many => Err(SendError::Partner(format!(
            "{partner} lets this node write to {} collections ({}); say which with --to",
            many.len(),
            many.iter().map(|c| c.id.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Send `out` to `partner`'s collection `to`: per request, each object version is first
/// appended to the ledger (kind [`SENT`], the digest of the object exactly as sent), then the
/// request goes and its status resource is followed until it is complete.
pub fn send<S: Store + ?Sized>(
    s: &mut S,
    log: &Log,
    client: &mut TaxiiClient,
    partner: &str,
    to: &str,
    out: &Outgoing,
) -> Result<Delivery, SendError> {
    let mut d = Delivery { collection: to.to_string(), ..Delivery::default() };
    let max_bytes = client.max_content_length()?.unwrap_or(u64::MAX).min(64 << 20) as usize;
    let texts: Vec<String> = out.objects.iter().map(Value::to_string).collect();
    let mut start = 0;
    while start < texts.len() {
        // As many objects as fit the partner's limit (at least one: a larger one is its to refuse).
        let mut end = start;
        let mut size = "{\"objects\":[]}".len();
        while end < texts.len() && end - start < PER_REQUEST && (end == start || size + texts[end].len() < max_bytes) {
            size += texts[end].len() + 1;
            end += 1;
        }
        let now = pacto_stix::Timestamp::now().format(3);
        let events = out.objects[start..end]
            .iter()
            .zip(&texts[start..end])
            .map(|(o, text)| Event {
                time: now.clone(),
                partner: partner.to_string(),
                kind: SENT.into(),
                collection: out.source.clone(),
                object_id: o.get("id").and_then(Value::as_str).map(str::to_string),
                object_version: o
                    .get("modified")
                    .or_else(|| o.get("created"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                digest: sha256_hex(text.as_bytes()),
            })
            .collect();
        log.append(s, events, None)?;
        let body = format!("{{\"objects\":[{}]}}", texts[start..end].join(","));
        let accepted = client.post_objects(to, body.as_bytes())?;
        let status = follow(client, accepted)?;
        d.sent += (end - start) as u64;
        d.succeeded += status.get("success_count").and_then(Value::as_u64).unwrap_or(0);
        d.failed += status.get("failure_count").and_then(Value::as_u64).unwrap_or(0);
        for f in status.get("failures").and_then(Value::as_array).into_iter().flatten() {
            if d.failures.len() < 100 {
                let id = f.get("id").and_then(Value::as_str).unwrap_or("?");
                d.failures
                    .push(format!("{id}: {}", f.get("message").and_then(Value::as_str).unwrap_or("no reason given")));
            }
        }
        tracing::info!(partner, collection = to, objects = end - start, "sent");
        start = end;
    }
    Ok(d)
}

/// Follow a status resource until it is complete (or [`STATUS_WAIT`] has passed).
fn follow(client: &mut TaxiiClient, mut status: Value) -> Result<Value, SendError> {
    let started = std::time::Instant::now();
    while status.get("status").and_then(Value::as_str) != Some("complete") {
        let id = status.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        if started.elapsed() > STATUS_WAIT || id.is_empty() {
            return Err(SendError::Partner(format!(
                "the partner has not finished storing what was sent (status {id:?}: {} of {} pending after {} s); \
                 it may still do so",
                status.get("pending_count").and_then(Value::as_u64).unwrap_or(0),
                status.get("total_count").and_then(Value::as_u64).unwrap_or(0),
                STATUS_WAIT.as_secs()
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        status = client.status(&id)?;
    }
    Ok(status)
}

/// The page of sightings a report-back step reads at most.
const REPORT_PAGE: usize = 500;

/// The setting holding how far the sightings collection has been examined for `partner`
/// (`COLLECTION MICROS`: the date_added of the last sighting examined).
pub fn report_cursor_setting(partner: &str) -> String {
    format!("report.{partner}.sightings")
}

/// What one report-back run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportOutcome {
    pub partner: String,
    /// Sightings examined since the last run.
    pub examined: u64,
    /// Sightings sent (and the identity they name, when sent with them).
    pub reported: u64,
    pub delivery: Option<Delivery>,
}

/// Whether `indicator` is the partner's: it came by sync into `inbound` (only sync writes
/// there) and no other collection of this node holds an object of that id, except as adopted
/// from this partner (every version there with the partner's provenance). A partner that sends
/// an indicator under someone else's id — ours, or another partner's — gets no report of it:
/// the sighting may be of the other one.
fn partners_indicator<S: ObjectStore + PartnerStore + ?Sized>(
    s: &S,
    partner: &str,
    inbound: &Collection,
    others: &[Collection],
    indicator: &str,
) -> Result<bool, NodeError> {
    if !indicator.starts_with("indicator--") {
        return Ok(false);
    }
    let q = Query { ids: vec![indicator.to_string()], limit: Some(1), ..Query::default() };
    if s.page(inbound, &q)?.objects.is_empty() {
        return Ok(false);
    }
    let all = Query { ids: vec![indicator.to_string()], versions: Versions::all(), ..Query::default() };
    for c in others {
        let held = s.page(c, &all)?.objects;
        if held.is_empty() {
            continue;
        }
        // A copy adopted from the partner (every version with its provenance) is still its own.
        let from = s.provenance(c, indicator)?;
        let adopted = held.iter().all(|v| from.iter().any(|p| p.version == v.version && p.partner == partner));
        if !adopted {
            tracing::warn!(indicator, collection = c.name, partner, "not reported: the id is not the partner's alone");
            return Ok(false);
        }
    }
    Ok(true)
}

/// A sighting as it goes back: without its observed-data references (this node's observations
/// never leave it).
fn as_reported(mut sighting: Value) -> Value {
    if let Some(m) = sighting.as_object_mut() {
        m.remove("observed_data_refs");
    }
    sighting
}

/// Report to `partner` the sightings in `sightings` of its indicators (see
/// [`partners_indicator`]) added since the last run, with the identity they name as their
/// sighter. Resumable: the cursor moves past a page only once the partner has taken it (a
/// crash in between sends that page again, which the partner stores as no change).
pub fn report_sightings<S: Store + ?Sized>(
    s: &mut S,
    log: &Log,
    client: &mut TaxiiClient,
    partner: &str,
    sightings: &str,
    to: Option<&str>,
) -> Result<ReportOutcome, SendError> {
    let mut outcome = ReportOutcome { partner: partner.to_string(), ..ReportOutcome::default() };
    let (Some(coll), Some(inbound)) =
        (s.collection(sightings)?, s.collection(&crate::sync::inbound_collection(partner))?)
    else {
        return Ok(outcome);
    };
    let others: Vec<Collection> =
        s.collections()?.into_iter().filter(|c| c.id != inbound.id && c.id != coll.id).collect();
    let key = report_cursor_setting(partner);
    let mut cursor = s
        .setting(&key)?
        .and_then(|v| v.split_once(' ').filter(|(c, _)| *c == coll.name).and_then(|(_, t)| t.parse::<i64>().ok()));
    let mut dropbox_id: Option<String> = None;
    let mut identities_sent = HashSet::new();
    loop {
        let q = Query {
            added_after: cursor,
            types: vec!["sighting".into()],
            versions: Versions::all(),
            limit: Some(REPORT_PAGE),
            ..Query::default()
        };
        let page = s.page(&coll, &q)?;
        let Some(last) = page.objects.last().map(|o| o.date_added) else { break };
        let mut out = Outgoing { source: coll.name.clone(), ..Outgoing::default() };
        for o in &page.objects {
            outcome.examined += 1;
            let Ok(v) = serde_json::from_str::<Value>(&o.raw) else { continue };
            let of = v.get("sighting_of_ref").and_then(Value::as_str).unwrap_or_default();
            if !partners_indicator(&*s, partner, &inbound, &others, of)? {
                continue;
            }
            if let Some(by) = v.get("created_by_ref").and_then(Value::as_str)
                && identities_sent.insert(by.to_string())
            {
                let q = Query { ids: vec![by.to_string()], versions: Versions::last(), ..Query::default() };
                for i in s.page(&coll, &q)?.objects {
                    out.objects.extend(serde_json::from_str::<Value>(&i.raw).ok());
                }
            }
            out.objects.push(as_reported(v));
            outcome.reported += 1;
        }
        if !out.objects.is_empty() {
            let to = match &dropbox_id {
                Some(d) => d.clone(),
                None => dropbox_id.insert(dropbox(client, partner, to)?).clone(),
            };
            let d = send(s, log, client, partner, &to, &out)?;
            if d.failed > 0 {
                return Err(SendError::Partner(format!(
                    "{partner} refused {} of the sightings reported to it: {}",
                    d.failed,
                    d.failures.join("; ")
                )));
            }
            let total = outcome.delivery.get_or_insert_with(|| Delivery { collection: to, ..Delivery::default() });
            total.sent += d.sent;
            total.succeeded += d.succeeded;
        }
        s.add_with_settings(None, &[], &[(key.clone(), format!("{} {last}", coll.name))], &[])?;
        cursor = Some(last);
        if !page.more {
            break;
        }
    }
    Ok(outcome)
}
