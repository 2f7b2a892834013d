//! What a partner may see, and the record of what it saw.
//!
//! A partner's reads go through its sharing agreement object by object: withheld objects are
//! skipped as if absent (pages are filled from further on, `more` and `next` count only what
//! the partner may see, and the date-added headers come from disclosed objects only), kept
//! objects are redacted, and every object version served is appended to the disclosure ledger
//! before the response leaves.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use pacto_federation::agreement::{Agreement, Decision, Share};
use pacto_federation::ledger::{Chain, Checkpoint, Entry, Event};
use pacto_store::{Collection, Page, Query, StoredObject, User, ViewId, prelude::*};
use serde_json::Value;

use crate::{AppState, TaxiiError};

/// The authenticated caller: a local account, or a partner with its agreement.
#[derive(Clone)]
pub struct Caller {
    pub user: User,
    pub agreement: Option<Arc<Agreement>>,
    /// Every partner's drop box (collection name → partner): written by that partner alone.
    pub dropboxes: Arc<HashMap<String, String>>,
}

impl Caller {
    pub fn may_read(&self, c: &Collection) -> bool {
        match &self.agreement {
            Some(a) => a.share(&c.name).is_some(),
            None => self.user.may_read(c),
        }
    }
    pub fn may_write(&self, c: &Collection) -> bool {
        match &self.agreement {
            Some(a) => a.dropbox.as_deref() == Some(c.name.as_str()),
            // A drop box holds its partner's writing and nobody else's, so that what the
            // partner finds already there (an id and version taken) is its own.
            None => self.user.may_write(c) && !self.dropboxes.contains_key(&c.name),
        }
    }
    /// Why a write to `c` is refused (for the 403's message).
    pub fn write_refusal(&self, c: &Collection) -> String {
        match self.dropboxes.get(&c.name) {
            Some(p) if self.agreement.is_none() && self.user.may_write(c) => {
                pacto_federation::agreement::dropbox_refusal(&c.name, p)
            }
            _ => "this account may not write to this collection".to_string(),
        }
    }
    /// Partners never delete; local accounts need read and write.
    pub fn may_delete(&self, c: &Collection) -> bool {
        self.agreement.is_none() && self.user.may_read(c) && self.user.may_write(c)
    }
    pub fn share(&self, c: &Collection) -> Option<&Share> {
        self.agreement.as_ref().and_then(|a| a.share(&c.name))
    }
}

/// How many stored versions a partner page examines per store call at most.
const CHUNK: usize = 500;

/// A page of what the partner may see: the query's versions read through the share's view
/// (`view`, see [`pacto_store::Store::view`]: only admitted versions, on the view's clock,
/// first and last among them), redacted by `share`, at most `limit`, with `more` true only
/// if another disclosable version follows. Withheld versions are never read.
pub fn page(s: &dyn Store, c: &Collection, query: &Query, share: &Share, view: ViewId) -> Result<Page, TaxiiError> {
    let limit = query.limit.unwrap_or(usize::MAX);
    let cache: RefCell<HashMap<String, bool>> = RefCell::new(HashMap::new());
    // Whether an object this one refers to may itself go: some version of it is in the view.
    // (Not "its latest version": a newer version the partner may not see must not change
    // what it is shown of the objects that refer to it.)
    let disclosable = |id: &str| -> bool {
        if let Some(known) = cache.borrow().get(id) {
            return *known;
        }
        let ok = s.in_view(view, c, id).unwrap_or(false);
        cache.borrow_mut().insert(id.to_string(), ok);
        ok
    };
    let mut out = Vec::new();
    let mut cursor = query.added_after;
    loop {
        // One more than the page needs, to know whether more follow.
        let want = limit.saturating_sub(out.len()).saturating_add(1).min(CHUNK);
        let batch = s.page(c, &Query { added_after: cursor, limit: Some(want), view: Some(view), ..query.clone() })?;
        for o in batch.objects {
            cursor = Some(o.date_added);
            let Ok(v) = serde_json::from_str::<Value>(&o.raw) else { continue };
            // Admitted by the view; what remains to decide depends on the body (redaction, and
            // references to what the partner may not see) and rarely withholds.
            if let Decision::Disclose(shown) = share.decide(&v, &disclosable) {
                if out.len() == limit {
                    return Ok(Page { objects: out, more: true });
                }
                out.push(StoredObject { raw: shown.to_string(), ..o });
            }
        }
        if !batch.more {
            return Ok(Page { objects: out, more: false });
        }
    }
}

/// What a read told a partner, for its ledger entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// Objects (objects and object endpoints): the entry's digest is of the object as served.
    Objects,
    /// Manifest records: which ids and versions exist, and when they were added.
    Manifest,
    /// An object's version list.
    Versions,
}

impl Served {
    fn kind(self) -> &'static str {
        match self {
            Served::Objects => "disclosure",
            Served::Manifest => "manifest",
            Served::Versions => "versions",
        }
    }
}

/// Append one ledger entry per object version a read told `partner` of (`what` says how:
/// its content, or its manifest record or version), and a signed checkpoint, in one
/// transaction. Called before the response is sent: what is not recorded is not served.
/// `digests` are of exactly what was sent for each version (the object, or its record).
pub async fn record(
    state: &Arc<AppState>,
    partner: &str,
    c: &Collection,
    what: Served,
    served: &[StoredObject],
    digests: Vec<String>,
) -> Result<(), TaxiiError> {
    if served.is_empty() {
        return Ok(());
    }
    let now = pacto_stix::Timestamp::now().format(3);
    let events: Vec<Event> = served
        .iter()
        .zip(digests)
        .map(|(o, digest)| Event {
            time: now.clone(),
            partner: partner.to_string(),
            kind: what.kind().into(),
            collection: c.name.clone(),
            object_id: Some(o.id.clone()),
            object_version: Some(pacto_store::taxii_version(o)),
            digest,
        })
        .collect();
    let partner = partner.to_string();
    let st = state.clone();
    state.stores.write(move |s| append_signed(s, &st.ledger_key, &partner, events, &now)).await
}

/// Count a private-matching query against the partner's daily allowance and, if it is within,
/// record it in the ledger — both in one write, so concurrent queries cannot overrun the limit.
pub async fn admit_psi_query(
    state: &Arc<AppState>,
    partner: &str,
    set: &str,
    per_day: u64,
    description: String,
    digest: String,
) -> Result<(), TaxiiError> {
    let now = pacto_stix::Timestamp::now();
    let day_start =
        pacto_stix::Timestamp { secs: now.secs - now.secs.rem_euclid(86_400), nanos: 0, frac_digits: 3 }.format(3);
    let time = now.format(3);
    let (partner, set) = (partner.to_string(), set.to_string());
    let st = state.clone();
    state
        .stores
        .write(move |s| {
            let used = s.ledger_count_since(&partner, "psi-query", &set, &day_start)?;
            if used >= per_day {
                return Err(TaxiiError::new(
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests",
                    format!("the agreement allows {per_day} queries a day against {set:?}"),
                ));
            }
            let event = Event {
                time: time.clone(),
                partner: partner.clone(),
                kind: "psi-query".into(),
                collection: set.clone(),
                object_id: None,
                object_version: Some(description),
                digest,
            };
            append_signed(s, &st.ledger_key, &partner, vec![event], &time)
        })
        .await
}

/// Record a private-matching event that is not a query (the blinded set handed out for a
/// size-only query): in the ledger, not counted against the daily allowance.
pub async fn record_psi_event(
    state: &Arc<AppState>,
    partner: &str,
    set: &str,
    kind: &str,
    description: String,
    digest: String,
) -> Result<(), TaxiiError> {
    let time = pacto_stix::Timestamp::now().format(3);
    let event = Event {
        time: time.clone(),
        partner: partner.to_string(),
        kind: kind.to_string(),
        collection: set.to_string(),
        object_id: None,
        object_version: Some(description),
        digest,
    };
    let partner = partner.to_string();
    let st = state.clone();
    state.stores.write(move |s| append_signed(s, &st.ledger_key, &partner, vec![event], &time)).await
}

/// Chain events after the ledger's head and sign the new head, in one store write. Called
/// inside the writer lock, so the head cannot move meanwhile.
fn append_signed(
    s: &mut (dyn Store + Send),
    key: &pacto_federation::ledger::SigningKey,
    partner: &str,
    events: Vec<Event>,
    now: &str,
) -> Result<(), TaxiiError> {
    let mut chain = match s.ledger_head()? {
        None => Chain::default(),
        Some((_, text)) => {
            let e: Entry = serde_json::from_str(&text)
                .map_err(|e| TaxiiError::internal(&format!("ledger head unreadable: {e}")))?;
            Chain { seq: e.seq, hash: e.hash }
        }
    };
    let rows: Vec<(u64, String, String)> = events
        .into_iter()
        .map(|ev| {
            let e = chain.append(ev);
            (e.seq, partner.to_string(), serde_json::to_string(&e).unwrap_or_default())
        })
        .collect();
    let cp = Checkpoint::sign(key, &chain, now);
    s.ledger_append(&rows, Some((cp.seq, serde_json::to_string(&cp).unwrap_or_default())))?;
    Ok(())
}
