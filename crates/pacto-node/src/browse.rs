//! What a person looks at on a node, whoever shows it (the web console, `pacto search`): search
//! with filters, an object's history with provenance and its neighbourhood, the dashboard's
//! counts, what partners sent that awaits review, the ledger newest first, adopting or
//! dismissing received objects, and the receipt a received version arrived under.
//!
//! Every function takes the caller and looks only at the collections it may read: a
//! collection it may not read is, here as on the TAXII API, as if it did not exist — it is
//! never searched, counted, or followed from a neighbour.

use std::collections::{BTreeMap, BTreeSet};

use pacto_federation::ledger::Entry;
use pacto_stix::{Facts, Tlp};
use pacto_store::{AddOutcome, Collection, Provenance, Query, Review, SearchQuery, Store, StoredObject, Versions};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{Caller, NodeError};

/// What to search for: words, and filters. TLP and labels are read from each hit.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub text: String,
    pub types: Vec<String>,
    /// Only objects marked with exactly this TLP level (`none`: with no TLP marking).
    pub tlp: Option<String>,
    /// Only objects carrying every one of these labels.
    pub labels: Vec<String>,
    /// Only these collections (among those the caller may read; all of them when empty).
    pub collections: Vec<String>,
    pub partner: Option<String>,
    /// Added at or after (microseconds).
    pub since: Option<i64>,
    /// Added before (microseconds).
    pub before: Option<i64>,
    /// At most this many hits.
    pub limit: usize,
}

/// One object found, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub collection: String,
    pub id: String,
    #[serde(rename = "type")]
    pub type_name: String,
    /// What a person calls it: its name, else its value, else its pattern, else its id.
    pub title: String,
    pub tlp: Option<&'static str>,
    pub labels: Vec<String>,
    pub date_added: i64,
}

/// The hits, and whether more matched than were kept.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub hits: Vec<Hit>,
    pub more: bool,
}

/// The collections `caller` may read, by name.
pub fn readable(s: &dyn Store, caller: &Caller) -> Result<Vec<Collection>, NodeError> {
    Ok(s.collections()?.into_iter().filter(|c| caller.may_read(c)).collect())
}

/// A search over what `caller` may read.
pub fn search(s: &dyn Store, caller: &Caller, q: &Search) -> Result<Found, NodeError> {
    let tlp = match q.tlp.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some("none") => Some(None),
        Some(t) => Some(Some(Tlp::parse(t).ok_or_else(|| {
            NodeError::BadRequest(format!(
                "TLP {t:?} is not a TLP 2.0 level: use clear, green, amber, amber+strict, red or none"
            ))
        })?)),
    };
    let mut collections: Vec<String> = readable(s, caller)?.into_iter().map(|c| c.name).collect();
    if !q.collections.is_empty() {
        collections.retain(|c| q.collections.contains(c));
    }
    let query = SearchQuery {
        text: q.text.clone(),
        collections,
        types: q.types.clone(),
        partner: q.partner.clone().filter(|p| !p.is_empty()),
        added_since: q.since,
        added_before: q.before,
    };
    let limit = q.limit.max(1);
    let mut found = Found { hits: Vec::new(), more: false };
    s.search(&query, &mut |h| {
        let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&h.raw) else { return Ok(true) };
        let facts = Facts::of(&m);
        if tlp.is_some_and(|want| facts.tlp != want) || !q.labels.iter().all(|l| facts.labels.contains(l)) {
            return Ok(true);
        }
        if found.hits.len() == limit {
            found.more = true;
            return Ok(false);
        }
        found.hits.push(Hit {
            title: title(&m, &h.id),
            tlp: facts.tlp.map(Tlp::as_str),
            labels: facts.labels,
            collection: h.collection,
            id: h.id,
            type_name: h.type_name,
            date_added: h.date_added,
        });
        Ok(true)
    })
    .map_err(|e| match e {
        pacto_store::StoreError::Other(why) => NodeError::BadRequest(why),
        e => NodeError::Store(e),
    })?;
    Ok(found)
}

/// What a person calls an object: its name, else its value (SCOs), else its pattern, else its id.
pub fn title(m: &Map<String, Value>, id: &str) -> String {
    ["name", "value", "pattern", "path", "number", "serial_number", "abstract", "content"]
        .iter()
        .find_map(|k| m.get(*k).and_then(Value::as_str))
        .map_or_else(|| id.to_string(), |s| s.chars().take(200).collect())
}

/// One version of an object, with what changed from the one before.
#[derive(Debug, Clone)]
pub struct Version {
    pub object: StoredObject,
    /// Properties added, removed or changed since the previous version (none for the first).
    pub changed: Vec<String>,
}

/// An object as a person reads it: every version, where it came from, and what is around it.
#[derive(Debug, Clone)]
pub struct ObjectPage {
    pub collection: Collection,
    pub id: String,
    pub title: String,
    pub tlp: Option<&'static str>,
    /// Oldest first.
    pub versions: Vec<Version>,
    pub provenance: Vec<Provenance>,
    /// What analysts decided about its received versions (adopted, dismissed), oldest first.
    pub reviews: Vec<Review>,
    /// Relationships from or to it that the caller may read, and the object at the other end
    /// where the caller may read it.
    pub relationships: Vec<Neighbour>,
    /// Sightings of it the caller may read.
    pub sightings: Vec<Hit>,
}

/// A relationship and the object at its other end.
#[derive(Debug, Clone, Serialize)]
pub struct Neighbour {
    pub relationship: Hit,
    pub relationship_type: String,
    /// Whether the object is the relationship's source (else its target).
    pub outgoing: bool,
    pub other_id: String,
    /// The other end, where the caller may read it.
    pub other: Option<Hit>,
}

/// How many neighbours an object page follows at most.
pub const MAX_NEIGHBOURS: usize = 60;

/// `id` in `collection`, if the caller may read it.
pub fn object(s: &dyn Store, caller: &Caller, collection: &str, id: &str) -> Result<ObjectPage, NodeError> {
    let missing = || NodeError::NotFound(format!("no object {id} in a collection this account may read"));
    let c = s.collection(collection)?.filter(|c| caller.may_read(c)).ok_or_else(missing)?;
    let mut stored = Vec::new();
    s.scan(&c, &Query { ids: vec![id.to_string()], versions: Versions::all(), ..Query::default() }, &mut |o| {
        stored.push(o);
        Ok(())
    })?;
    if stored.is_empty() {
        return Err(missing());
    }
    stored.sort_by(|a, b| a.version.cmp(&b.version).then(a.date_added.cmp(&b.date_added)));
    let mut versions = Vec::new();
    let mut before: Option<Map<String, Value>> = None;
    for o in stored {
        let now: Map<String, Value> = serde_json::from_str(&o.raw).unwrap_or_default();
        let changed = match &before {
            None => Vec::new(),
            Some(b) => {
                let keys: BTreeSet<&String> = b.keys().chain(now.keys()).collect();
                keys.into_iter().filter(|k| b.get(*k) != now.get(*k)).cloned().collect()
            }
        };
        versions.push(Version { object: o, changed });
        before = Some(now);
    }
    let latest = before.unwrap_or_default();
    let facts = Facts::of(&latest);
    let provenance = s.provenance(&c, id)?;
    let reviews = s.reviews(&c, id)?;
    let (relationships, sightings) = neighbours(s, caller, id)?;
    Ok(ObjectPage {
        title: title(&latest, id),
        tlp: facts.tlp.map(Tlp::as_str),
        collection: c,
        id: id.to_string(),
        versions,
        provenance,
        reviews,
        relationships,
        sightings,
    })
}

/// The relationships and sightings that name `id`, in what the caller may read.
fn neighbours(s: &dyn Store, caller: &Caller, id: &str) -> Result<(Vec<Neighbour>, Vec<Hit>), NodeError> {
    let q = Search {
        text: id.to_string(),
        types: vec!["relationship".into(), "sighting".into()],
        limit: MAX_NEIGHBOURS * 4,
        ..Search::default()
    };
    let found = search(s, caller, &q)?;
    let (mut rels, mut sightings) = (Vec::new(), Vec::new());
    let mut seen = BTreeSet::new();
    for h in found.hits {
        if !seen.insert(h.id.clone()) {
            continue; // the same relationship in two collections: once
        }
        let Some(raw) = latest_raw(s, &h.collection, &h.id)? else { continue };
        let str_of = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_string);
        if h.type_name == "sighting" {
            if str_of("sighting_of_ref").as_deref() == Some(id) && sightings.len() < MAX_NEIGHBOURS {
                sightings.push(h);
            }
            continue;
        }
        let (src, dst) = (str_of("source_ref"), str_of("target_ref"));
        let (outgoing, other) = match (src.as_deref() == Some(id), dst.as_deref() == Some(id)) {
            (true, _) => (true, dst),
            (_, true) => (false, src),
            _ => continue, // the id is only mentioned (in a description)
        };
        let Some(other_id) = other else { continue };
        if rels.len() < MAX_NEIGHBOURS {
            rels.push((h, str_of("relationship_type").unwrap_or_default(), outgoing, other_id));
        }
    }
    let mut out = Vec::new();
    for (h, kind, outgoing, other_id) in rels {
        let other = find(s, caller, &other_id)?;
        out.push(Neighbour { relationship: h, relationship_type: kind, outgoing, other_id, other });
    }
    Ok((out, sightings))
}

/// The latest version of `id` in `collection`, parsed.
fn latest_raw(s: &dyn Store, collection: &str, id: &str) -> Result<Option<Map<String, Value>>, NodeError> {
    let Some(c) = s.collection(collection)? else { return Ok(None) };
    let mut out = None;
    s.scan(&c, &Query { ids: vec![id.to_string()], versions: Versions::last(), ..Query::default() }, &mut |o| {
        out = serde_json::from_str(&o.raw).ok();
        Ok(())
    })?;
    Ok(out)
}

/// The object with this id in a collection the caller may read (the first found).
pub fn find(s: &dyn Store, caller: &Caller, id: &str) -> Result<Option<Hit>, NodeError> {
    let found = search(s, caller, &Search { text: id.to_string(), limit: 50, ..Search::default() })?;
    Ok(found.hits.into_iter().find(|h| h.id == id))
}

/// A collection on the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct CollectionCount {
    pub collection: Collection,
    /// Versions stored (every version of every object).
    pub versions: u64,
    /// Objects added since the given instant.
    pub new: u64,
    /// A partner's inbound collection (received by sync, waiting to be adopted).
    pub inbound: bool,
    /// In an inbound collection: its objects whose latest version no one has adopted or
    /// dismissed yet (counted up to [`NEW_COUNT_CAP`]).
    pub awaiting: u64,
}

/// What the dashboard shows a caller.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub collections: Vec<CollectionCount>,
    /// The newest objects added since the given instant.
    pub new: Found,
    /// The newest objects received from partners that await review (neither adopted nor
    /// dismissed).
    pub awaiting: Found,
    /// The newest sightings.
    pub sightings: Found,
}

/// How many new objects the dashboard counts at most (more shows as "at least").
pub const NEW_COUNT_CAP: usize = 1000;

/// The dashboard: collections the caller may read with their counts and what is new since
/// `since`, the newest received and the newest sightings.
pub fn dashboard(s: &dyn Store, caller: &Caller, since: i64) -> Result<Dashboard, NodeError> {
    let mut collections = Vec::new();
    for c in readable(s, caller)? {
        let versions = s.count_versions(&c.name)?;
        let mut new = 0u64;
        let q = SearchQuery { collections: vec![c.name.clone()], added_since: Some(since), ..SearchQuery::default() };
        s.search(&q, &mut |_| {
            new += 1;
            Ok(new < NEW_COUNT_CAP as u64)
        })?;
        let inbound = pacto_store::is_inbound(&c.name);
        let mut awaiting = 0u64;
        if inbound {
            s.awaiting(&c, cleared_through(s, &c.name)?, &mut |_| {
                awaiting += 1;
                Ok(awaiting < NEW_COUNT_CAP as u64)
            })?;
        }
        collections.push(CollectionCount { collection: c, versions, new, inbound, awaiting });
    }
    // Each list collection by collection (each an index range in the store), then merged.
    let each = |names: &mut dyn Iterator<Item = &CollectionCount>, q: Search| -> Result<Found, NodeError> {
        let mut all = Found { hits: Vec::new(), more: false };
        for c in names {
            let f = search(s, caller, &Search { collections: vec![c.collection.name.clone()], ..q.clone() })?;
            all.more |= f.more;
            all.hits.extend(f.hits);
        }
        all.hits.sort_by_key(|h| std::cmp::Reverse(h.date_added));
        all.more |= all.hits.len() > q.limit;
        all.hits.truncate(q.limit);
        Ok(all)
    };
    let new = each(&mut collections.iter(), Search { since: Some(since), limit: 10, ..Search::default() })?;
    let inbound: Vec<Collection> =
        collections.iter().filter(|c| c.awaiting > 0).map(|c| c.collection.clone()).collect();
    let awaiting = awaiting_in(s, &inbound, 10)?;
    let sightings =
        each(&mut collections.iter(), Search { types: vec!["sighting".into()], limit: 10, ..Search::default() })?;
    Ok(Dashboard { collections, new, awaiting, sightings })
}

/// What partners sent that awaits review in the inbound collections the caller may read (or
/// in the one named): the newest `limit`, and whether there are more.
pub fn awaiting(s: &dyn Store, caller: &Caller, collection: Option<&str>, limit: usize) -> Result<Found, NodeError> {
    let inbound: Vec<Collection> = readable(s, caller)?
        .into_iter()
        .filter(|c| pacto_store::is_inbound(&c.name) && collection.is_none_or(|n| n == c.name))
        .collect();
    if let Some(name) = collection
        && inbound.is_empty()
    {
        return Err(NodeError::NotFound(format!("no partner's inbound collection {name:?} this account may read")));
    }
    awaiting_in(s, &inbound, limit)
}

/// The newest `limit` objects awaiting review across `collections`, merged newest first.
fn awaiting_in(s: &dyn Store, collections: &[Collection], limit: usize) -> Result<Found, NodeError> {
    let limit = limit.max(1);
    let mut found = Found { hits: Vec::new(), more: false };
    for c in collections {
        let mut kept = 0;
        s.awaiting(c, cleared_through(s, &c.name)?, &mut |o| {
            if kept == limit {
                found.more = true;
                return Ok(false);
            }
            kept += 1;
            let m: Map<String, Value> = serde_json::from_str(&o.raw).unwrap_or_default();
            let facts = Facts::of(&m);
            found.hits.push(Hit {
                title: title(&m, &o.id),
                tlp: facts.tlp.map(Tlp::as_str),
                labels: facts.labels,
                collection: c.name.clone(),
                id: o.id,
                type_name: o.type_name,
                date_added: o.date_added,
            });
            Ok(true)
        })?;
    }
    found.hits.sort_by_key(|h| std::cmp::Reverse(h.date_added));
    found.more |= found.hits.len() > limit;
    found.hits.truncate(limit);
    Ok(found)
}

/// Dismiss objects a partner sent (from an inbound collection the caller may read and write):
/// their versions held now are decided, and leave the review queue until a newer one arrives.
/// The number of versions newly dismissed.
pub fn dismiss(s: &mut dyn Store, caller: &Caller, from: &str, ids: &[String]) -> Result<u64, NodeError> {
    let src = reviewable(s, caller, from)?;
    Ok(s.dismiss(&src, ids, &caller.user.name)?)
}

/// The setting that holds where everything in an inbound collection was dismissed at once.
fn cleared_setting(collection: &str) -> String {
    format!("review.{collection}.cleared_through")
}

/// The date_added up to which everything in `collection` was dismissed at once (0: never).
fn cleared_through(s: &dyn Store, collection: &str) -> Result<i64, NodeError> {
    Ok(s.setting(&cleared_setting(collection))?.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Dismiss everything in an inbound collection added up to `through` (a date_added: what the
/// person saw as newest), in one step however much it holds; what arrives later awaits review.
/// Rights as [`dismiss`].
pub fn dismiss_through(s: &mut dyn Store, caller: &Caller, from: &str, through: i64) -> Result<(), NodeError> {
    let src = reviewable(s, caller, from)?;
    let key = cleared_setting(&src.name);
    let was = s.setting(&key)?;
    let now = was.as_deref().and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    if through > now {
        // Compare and set: two people clearing at once never move it back.
        s.add_with_settings(None, &[], &[(key.clone(), through.to_string())], &[(key, was)])?;
    }
    Ok(())
}

/// An inbound collection the caller may decide on: it may read it, and its account's rights
/// include writing it.
fn reviewable(s: &dyn Store, caller: &Caller, from: &str) -> Result<Collection, NodeError> {
    let src = s
        .collection(from)?
        .filter(|c| caller.may_read(c))
        .ok_or_else(|| NodeError::NotFound(format!("no collection {from:?} this account may read")))?;
    if !pacto_store::is_inbound(&src.name) {
        return Err(NodeError::BadRequest(format!(
            "{from} is a local collection: only what partners sent (inbound.PARTNER) awaits review"
        )));
    }
    if !caller.user.may_write(&src) {
        return Err(NodeError::Forbidden(format!(
            "deciding on what {from} holds needs the right to write it (`can_write` naming {from} or *)"
        )));
    }
    Ok(src)
}

/// A receipt kept from a partner, as a person reads it.
#[derive(Debug, Clone)]
pub struct KeptReceipt {
    pub partner: String,
    pub receipt: pacto_federation::ledger::receipt::Receipt,
    /// The receipt as kept, indented (what a third party is handed).
    pub text: String,
    /// Whether it verifies offline now, against the ledger key pinned for the partner: or why not.
    pub verified: Result<(), String>,
}

/// The receipt kept for entry `seq` of `partner`'s ledger, if the caller may read what that
/// partner sends (its inbound collection).
pub fn receipt(s: &dyn Store, caller: &Caller, partner: &str, seq: u64) -> Result<KeptReceipt, NodeError> {
    let missing =
        || NodeError::NotFound(format!("no receipt of {partner}'s ledger entry {seq} that this account may read"));
    let inbound = crate::sync::inbound_collection(partner);
    s.collection(&inbound)?.filter(|c| caller.may_read(c)).ok_or_else(missing)?;
    let (kept_seq, text) = s.receipts(partner, seq.saturating_sub(1), 1)?.into_iter().next().ok_or_else(missing)?;
    if kept_seq != seq {
        return Err(missing());
    }
    let receipt = pacto_federation::ledger::receipt::Receipt::parse(&text)
        .map_err(|e| NodeError::Internal(format!("the receipt kept for entry {seq} of {partner}: {e}")))?;
    let account = match s.remote(partner)? {
        Some(r) => crate::sync::account_at(s, &r)?,
        None => None,
    };
    let verified = match crate::audit::pinned_key(s, partner) {
        Ok(Some(ring)) => receipt
            .verify_kept_in(&ring, account.as_deref().unwrap_or(&receipt.entry.partner), None)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Ok(None) => Err(format!("no ledger key is pinned for {partner}")),
        Err(e) => Err(e.to_string()),
    };
    let text = serde_json::from_str::<Value>(&text).and_then(|v| serde_json::to_string_pretty(&v)).unwrap_or(text);
    Ok(KeptReceipt { partner: partner.to_string(), receipt, text, verified })
}

/// Adopt objects a partner sent (from an inbound collection the caller may read) into a local
/// collection it may write, keeping their provenance.
pub fn adopt(
    s: &mut dyn Store,
    caller: &Caller,
    from: &str,
    to: &str,
    ids: &[String],
) -> Result<Vec<AddOutcome>, NodeError> {
    let src = s
        .collection(from)?
        .filter(|c| caller.may_read(c))
        .ok_or_else(|| NodeError::NotFound(format!("no collection {from:?} this account may read")))?;
    let dst = s
        .collection(to)?
        .filter(|c| caller.may_read(c) || caller.may_write(c))
        .ok_or_else(|| NodeError::NotFound(format!("no collection {to:?} this account may see")))?;
    if let Some(why) = pacto_store::inbound_write_refusal(&dst.name) {
        return Err(NodeError::Forbidden(why));
    }
    if !caller.may_write(&dst) {
        return Err(NodeError::Forbidden(caller.write_refusal(&dst)));
    }
    Ok(s.adopt(&src, &dst, ids, &caller.user.name)?)
}

/// Which ledger entries to list.
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub partner: Option<String>,
    /// At or after (microseconds).
    pub since: Option<i64>,
    pub object: Option<String>,
    pub kind: Option<String>,
}

/// The ledger's entries that match, newest first, and how many of each kind matched.
pub fn ledger(s: &dyn Store, f: &LedgerFilter) -> Result<(Vec<Entry>, BTreeMap<String, u64>), NodeError> {
    let mut matched: Vec<Entry> = Vec::new();
    let mut after = 0;
    loop {
        let rows = s.ledger_entries(after, f.partner.as_deref(), 10_000)?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (seq, text) in rows {
            let e: Entry = serde_json::from_str(&text)
                .map_err(|e| NodeError::Internal(format!("ledger entry {seq} is not readable: {e}")))?;
            let recent =
                f.since.is_none_or(|t| pacto_stix::Timestamp::parse(&e.time).is_ok_and(|et| et.as_micros() >= t));
            if recent
                && f.object.as_deref().is_none_or(|o| e.object_id.as_deref() == Some(o))
                && f.kind.as_deref().is_none_or(|k| e.kind == k)
            {
                matched.push(e);
            }
        }
    }
    let mut kinds = BTreeMap::new();
    for e in &matched {
        *kinds.entry(e.kind.clone()).or_default() += 1;
    }
    matched.reverse();
    Ok((matched, kinds))
}

/// The newest ledger entries that match, newest first: at most `limit`, read back from the end
/// in chunks (what the console shows of a ledger of millions without reading all of it), how
/// many of each kind are among them, and whether older ones may match too.
pub fn ledger_recent(s: &dyn Store, f: &LedgerFilter, limit: usize) -> Result<Recent, NodeError> {
    const CHUNK: usize = 10_000;
    let mut matched: Vec<Entry> = Vec::new();
    let mut before = u64::MAX;
    let mut more = false;
    'walk: loop {
        let rows = s.ledger_entries_before(before, f.partner.as_deref(), CHUNK)?;
        let Some(last) = rows.last() else { break };
        before = last.0;
        let short = rows.len() < CHUNK;
        for (seq, text) in rows {
            let e: Entry = serde_json::from_str(&text)
                .map_err(|e| NodeError::Internal(format!("ledger entry {seq} is not readable: {e}")))?;
            if f.since.is_some_and(|t| pacto_stix::Timestamp::parse(&e.time).is_ok_and(|et| et.as_micros() < t)) {
                break 'walk; // older than asked for, and so is everything before it
            }
            if f.object.as_deref().is_none_or(|o| e.object_id.as_deref() == Some(o))
                && f.kind.as_deref().is_none_or(|k| e.kind == k)
            {
                if matched.len() == limit {
                    more = true;
                    break 'walk;
                }
                matched.push(e);
            }
        }
        if short {
            break;
        }
    }
    let mut kinds = BTreeMap::new();
    for e in &matched {
        *kinds.entry(e.kind.clone()).or_default() += 1;
    }
    Ok(Recent { entries: matched, kinds, more })
}

/// The newest ledger entries that matched ([`ledger_recent`]).
#[derive(Debug, Clone)]
pub struct Recent {
    /// Newest first.
    pub entries: Vec<Entry>,
    /// How many of each kind among them.
    pub kinds: BTreeMap<String, u64>,
    /// Whether older entries may match too (the limit was reached).
    pub more: bool,
}

/// Whether the ledger verifies now, checked whole from the store as at start (the chain, the
/// version 1 checkpoints, the Merkle tree against every signed head): the number of entries,
/// or why it does not verify.
pub fn verify_ledger(s: &dyn Store, key: &pacto_federation::ledger::SigningKey) -> Result<u64, String> {
    crate::ledger::Log::new(key.clone(), None).open(s).map_err(|e| e.to_string())
}
