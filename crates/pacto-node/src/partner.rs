//! What a partner may see: who is calling ([`Caller`]), and what a partner receives from a
//! collection ([`Disclosure`]), page by page for the TAXII server ([`page`]) and object by
//! object for `pacto agreement check` ([`check`]) — one decision, so that what the check
//! promises is what the server sends.
//!
//! A partner's reads go through its sharing agreement object by object: withheld objects are
//! skipped as if absent (pages are filled from further on, `more` counts only what the partner
//! may see), and kept objects are redacted. Every object version served is then appended to
//! the disclosure ledger ([`crate::ledger`]) before the answer leaves.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use pacto_federation::agreement::{Agreement, Decision, Share};
use pacto_store::{Collection, ObjectStore, Page, Query, Result, StoredObject, User, Versions, ViewId};
use serde_json::Value;

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

/// What one share lets go of one collection, read through the share's view (`view`, see
/// [`ObjectStore::view`]: the versions its filter admits).
pub struct Disclosure<'a, S: ObjectStore + ?Sized> {
    store: &'a S,
    collection: &'a Collection,
    share: &'a Share,
    view: ViewId,
    known: RefCell<HashMap<String, bool>>,
}

impl<'a, S: ObjectStore + ?Sized> Disclosure<'a, S> {
    pub fn new(store: &'a S, collection: &'a Collection, share: &'a Share, view: ViewId) -> Self {
        Disclosure { store, collection, share, view, known: RefCell::new(HashMap::new()) }
    }

    /// Whether an object another refers to may itself go: some version of it is in the view.
    /// (Not "its latest version": a newer version the partner may not see must not change
    /// what it is shown of the objects that refer to it.)
    pub fn disclosable(&self, id: &str) -> bool {
        if let Some(known) = self.known.borrow().get(id) {
            return *known;
        }
        let ok = self.store.in_view(self.view, self.collection, id).unwrap_or(false);
        self.known.borrow_mut().insert(id.to_string(), ok);
        ok
    }

    /// What the partner receives of one object version the view admits: what remains to
    /// decide depends on the body (redaction, references to what the partner may not see) and
    /// rarely withholds.
    pub fn decide(&self, object: &Value) -> Decision {
        self.share.decide(object, &|id| self.disclosable(id))
    }
}

/// How many stored versions a partner page examines per store call at most.
const CHUNK: usize = 500;

/// A page of what the partner may see: the query's versions read through the share's view
/// (only admitted versions, on the view's clock, first and last among them), redacted by
/// `share`, at most `limit`, with `more` true only if another disclosable version follows.
/// Withheld versions are never read.
pub fn page<S: ObjectStore + ?Sized>(
    s: &S,
    c: &Collection,
    query: &Query,
    share: &Share,
    view: ViewId,
) -> Result<Page> {
    let limit = query.limit.unwrap_or(usize::MAX);
    let disclosure = Disclosure::new(s, c, share, view);
    let mut out = Vec::new();
    let mut cursor = query.added_after;
    loop {
        // One more than the page needs, to know whether more follow.
        let want = limit.saturating_sub(out.len()).saturating_add(1).min(CHUNK);
        let batch = s.page(c, &Query { added_after: cursor, limit: Some(want), view: Some(view), ..query.clone() })?;
        for o in batch.objects {
            cursor = Some(o.date_added);
            let Ok(v) = serde_json::from_str::<Value>(&o.raw) else { continue };
            if let Decision::Disclose(shown) = disclosure.decide(&v) {
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

/// What a partner would receive of one collection by a default read (the latest version of
/// each object it may see), and why the rest stays (see [`check`]).
#[derive(Debug, Clone, Default)]
pub struct ShareCheck {
    /// Objects in the collection (by their latest version).
    pub objects: usize,
    /// Each object that goes, with the properties it goes without.
    pub disclosed: Vec<(String, Vec<String>)>,
    /// Ids that stay, by reason.
    pub withheld: BTreeMap<&'static str, Vec<String>>,
}

/// What `share` lets go of collection `c`, object by object: what the server's [`page`] sends
/// to a default read (the latest version the share admits of each object, decided by the same
/// [`Disclosure`]), and for every other object the reason its latest version stays. Makes the
/// share's view if it does not exist yet.
pub fn check<S: ObjectStore + ?Sized>(s: &mut S, c: &Collection, share: &Share) -> Result<ShareCheck> {
    let mut report = ShareCheck::default();
    report.objects = each_latest(s, c, share, &mut |id, original, decision| match decision {
        Decision::Disclose(shown) => {
            let removed = original
                .and_then(Value::as_object)
                .map_or(vec![], |m| m.keys().filter(|k| shown.get(k.as_str()).is_none()).cloned().collect());
            report.disclosed.push((id, removed));
        }
        Decision::Withhold(why) => report.withheld.entry(why).or_default().push(id),
    })?;
    report.disclosed.sort();
    for ids in report.withheld.values_mut() {
        ids.sort();
    }
    Ok(report)
}

/// The one decision behind [`check`] and `pacto send`: for each object of collection `c`, by
/// its latest version, what `share` lets go of it (`Disclose` with the object as it would
/// leave: the latest version the share's view admits, redacted) or why it stays. `f` is given
/// the id, the stored version decided on (None when the view admits no version of it) and the
/// decision. Returns how many objects the collection holds.
pub fn each_latest<S: ObjectStore + ?Sized>(
    s: &mut S,
    c: &Collection,
    share: &Share,
    f: &mut dyn FnMut(String, Option<&Value>, Decision),
) -> Result<usize> {
    let view = s.view(c, &share.filter())?;
    let s = &*s;
    let mut latest: BTreeMap<String, Value> = BTreeMap::new();
    s.scan(c, &Query { versions: Versions::last(), ..Query::default() }, &mut |o| {
        if let Ok(v) = serde_json::from_str(&o.raw) {
            latest.insert(o.id, v);
        }
        Ok(())
    })?;
    let disclosure = Disclosure::new(s, c, share, view);
    let mut admitted = Vec::new();
    s.scan(c, &Query { versions: Versions::last(), view: Some(view), ..Query::default() }, &mut |o| {
        admitted.push(o);
        Ok(())
    })?;
    let mut seen = HashSet::new();
    for o in admitted {
        let Ok(v) = serde_json::from_str::<Value>(&o.raw) else { continue };
        seen.insert(o.id.clone());
        let decision = disclosure.decide(&v);
        f(o.id, Some(&v), decision);
    }
    // The objects of which the view admits no version: their latest version says why.
    for (id, v) in latest.iter().filter(|(id, _)| !seen.contains(*id)) {
        let why = match v.as_object().map(|m| share.admits(m)) {
            Some(Err(why)) => why,
            Some(Ok(())) => "no version of it is shared",
            None => "not an object",
        };
        f(id.clone(), None, Decision::Withhold(why));
    }
    Ok(latest.len())
}

/// One share of an agreement previewed: what would go of its collection, what stays and why
/// (`check` is None when the collection does not exist yet).
#[derive(Debug)]
pub struct SharePreview {
    pub collection: String,
    pub max_tlp: &'static str,
    pub check: Option<ShareCheck>,
}

/// What an agreement lets go, share by share (optionally of one collection only): `pacto
/// agreement check` and the console's preview, with [`check`] (the server's own decision).
pub fn preview<S: ObjectStore + ?Sized>(
    s: &mut S,
    a: &Agreement,
    collection: Option<&str>,
) -> Result<Vec<SharePreview>> {
    let mut out = Vec::new();
    for share in a.share.iter().filter(|sh| collection.is_none_or(|c| c == sh.collection)) {
        let check = match s.collection(&share.collection)? {
            Some(c) => Some(check(s, &c, share)?),
            None => None,
        };
        out.push(SharePreview { collection: share.collection.clone(), max_tlp: share.max_tlp.as_str(), check });
    }
    Ok(out)
}
