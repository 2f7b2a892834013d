//! The node's state that is not HTTP: the agreements in force, the partners' views they read
//! through, every drop box, and the node's keys.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use pacto_federation::agreement::{Agreement, AgreementError, Share};
use pacto_store::{Collection, ObjectStore, User, ViewId};

use crate::ledger::Log;
use crate::partner::Caller;
use crate::psi::PsiKeys;

/// A node: what every request and command acts within.
pub struct Node {
    /// Sharing agreements by partner account: an account with one is a partner, and sees and
    /// writes only what its agreement says.
    agreements: RwLock<HashMap<String, Arc<Agreement>>>,
    /// Every partner's drop box: collection name → partner.
    dropboxes: RwLock<Arc<HashMap<String, String>>>,
    /// Partners' views by (collection id, filter key): see [`Node::view`].
    views: RwLock<HashMap<(String, String), ViewId>>,
    /// The disclosure ledger (its Merkle tree, kept in step with the store), signed with the
    /// node's key.
    pub ledger: Log,
    /// Where private sets' secrets are kept (files, never the database).
    pub psi_keys: PsiKeys,
}

impl Node {
    pub fn new(ledger: Log, psi_keys: PsiKeys) -> Self {
        Node {
            agreements: Default::default(),
            dropboxes: Default::default(),
            views: Default::default(),
            ledger,
            psi_keys,
        }
    }

    /// Replace the sharing agreements (at start, and whenever their files change), and make
    /// the partners' views of the collections they share in `store` (filled from what the
    /// collections hold: done here, on the caller's thread, rather than during a partner's
    /// first read; without a store, views are made on first use). Agreements that break a
    /// rule spanning agreements (two for one partner, a drop box named twice) are refused
    /// whole, and the ones in force stay.
    pub fn set_agreements<S: ObjectStore + ?Sized>(
        &self,
        store: Option<&mut S>,
        agreements: Vec<Agreement>,
    ) -> Result<(), AgreementError> {
        pacto_federation::agreement::check_all(&agreements)?;
        let dropboxes = agreements.iter().filter_map(|a| a.dropbox.clone().map(|d| (d, a.partner.clone()))).collect();
        let mut views = HashMap::new();
        if let Some(s) = store {
            for share in agreements.iter().flat_map(|a| &a.share) {
                let Ok(Some(c)) = s.collection(&share.collection) else { continue };
                let filter = share.filter();
                match s.view(&c, &filter) {
                    Ok(v) => {
                        views.insert((c.id.clone(), filter.key()), v);
                    }
                    Err(e) => tracing::error!(collection = c.name, error = %e, "partner view not made"),
                }
            }
            let keep: Vec<ViewId> = views.values().copied().collect();
            if let Err(e) = s.retain_views(&keep) {
                tracing::error!(error = %e, "old partner views not dropped");
            }
        }
        let map = agreements.into_iter().map(|a| (a.partner.clone(), Arc::new(a))).collect();
        if let (Ok(mut a), Ok(mut d), Ok(mut v)) = (self.agreements.write(), self.dropboxes.write(), self.views.write())
        {
            *a = map;
            *d = Arc::new(dropboxes);
            *v = views;
        }
        Ok(())
    }

    /// The agreements in force, by partner.
    pub fn agreements(&self) -> Vec<Arc<Agreement>> {
        let mut v: Vec<Arc<Agreement>> =
            self.agreements.read().map(|a| a.values().cloned().collect()).unwrap_or_default();
        v.sort_by(|a, b| a.partner.cmp(&b.partner));
        v
    }

    /// The node's key, which signs the disclosure ledger's heads.
    pub fn ledger_key(&self) -> &pacto_federation::ledger::SigningKey {
        self.ledger.key()
    }

    /// An authenticated account as a caller: a partner (with its agreement) or a local account.
    pub fn caller(&self, user: User) -> Caller {
        let agreement = self.agreements.read().ok().and_then(|a| a.get(&user.name).cloned());
        let dropboxes = self.dropboxes.read().map(|d| d.clone()).unwrap_or_default();
        Caller { user, agreement, dropboxes }
    }

    /// A caller that is never a partner, whatever its name (an API token acting as an account).
    pub fn local_caller(&self, user: User) -> Caller {
        let dropboxes = self.dropboxes.read().map(|d| d.clone()).unwrap_or_default();
        Caller { user, agreement: None, dropboxes }
    }

    /// The view `share` reads `c` through, when it is made already.
    pub fn known_view(&self, c: &Collection, share: &Share) -> Option<ViewId> {
        self.views.read().ok().and_then(|m| m.get(&(c.id.clone(), share.filter().key())).copied())
    }

    /// The view `share` reads `c` through, made on first use (for a collection created after
    /// the agreements were loaded).
    pub fn view<S: ObjectStore + ?Sized>(
        &self,
        s: &mut S,
        c: &Collection,
        share: &Share,
    ) -> pacto_store::Result<ViewId> {
        if let Some(v) = self.known_view(c, share) {
            return Ok(v);
        }
        let filter = share.filter();
        let v = s.view(c, &filter)?;
        if let Ok(mut m) = self.views.write() {
            m.insert((c.id.clone(), filter.key()), v);
        }
        Ok(v)
    }
}
