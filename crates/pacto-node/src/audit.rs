//! The receiving side of the disclosure ledger: the receipts this node kept of what partners
//! disclosed to it (sync keeps them: [`crate::sync`]), checked offline, exported for a third
//! party, and audited against the partner's current log.

use pacto_federation::ledger::receipt::{self, AuditRequest, Receipt};
use pacto_federation::ledger::rotation::KeyRing;
use pacto_store::{Remote, prelude::*};

use crate::client::{ClientError, ClientLimits, TaxiiClient};
use crate::sync::ledger_key_setting;

/// Why receipts cannot be read or a partner audited.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Store(#[from] pacto_store::StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// Every receipt kept from `partner`, in log order.
pub fn receipts(store: &dyn Store, partner: &str) -> Result<Vec<Receipt>, AuditError> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let rows = store.receipts(partner, after, 10_000)?;
        let Some(last) = rows.last() else { return Ok(out) };
        after = last.0;
        for (seq, text) in rows {
            let r = Receipt::parse(&text)
                .map_err(|e| AuditError::Invalid(format!("the receipt kept for entry {seq} of {partner}: {e}")))?;
            out.push(r);
        }
    }
}

/// The ledger keys pinned for `partner` (by its first receipt, then each handover followed).
pub fn pinned_key(store: &dyn Store, partner: &str) -> Result<Option<KeyRing>, AuditError> {
    store
        .setting(&ledger_key_setting(partner))?
        .map(|k| {
            KeyRing::from_setting(&k)
                .ok_or_else(|| AuditError::Invalid(format!("the ledger key pinned for {partner} is not a key")))
        })
        .transpose()
}

/// Check every kept receipt offline: each is signed by the pinned key, names this node's
/// account, proves its entry, and extends the one before it. Returns how many.
pub fn verify_kept(store: &dyn Store, remote: &Remote) -> Result<usize, AuditError> {
    let key = pinned_key(store, &remote.partner)?
        .ok_or_else(|| AuditError::Invalid(format!("no receipt of {} has been kept yet", remote.partner)))?;
    let all = receipts(store, &remote.partner)?;
    let account = crate::sync::account_at(store, remote)?.unwrap_or_default();
    let mut held: Option<String> = None;
    for r in &all {
        // A receipt proves consistency from the size this node said it held when it asked;
        // that is the previous receipt's, except for the first of a run.
        let prev = held.as_deref().filter(|_| r.consistency.is_some());
        r.verify_kept_in(&key, &account, prev)
            .map_err(|e| AuditError::Invalid(format!("entry {}: {e}", r.entry.seq)))?;
        held = Some(r.checkpoint.clone());
    }
    Ok(all.len())
}

/// What an audit of a partner found.
#[derive(Debug, Default)]
pub struct AuditReport {
    /// Receipts checked against the partner's current log.
    pub receipts: usize,
    /// The partner's current log size.
    pub size: u64,
    /// One sentence per difference, naming the entry.
    pub findings: Vec<String>,
}

/// Ask `remote` for proofs of every entry this node holds a receipt for, and that its current
/// log extends the newest checkpoint held (and each of `compare`: checkpoints of its log
/// another partner handed over); say exactly what differs.
pub fn audit_partner(
    store: &dyn Store,
    remote: &Remote,
    compare: &[String],
    identity: Option<&crate::identity::NodeIdentity>,
    limits: ClientLimits,
) -> Result<AuditReport, AuditError> {
    let key = pinned_key(store, &remote.partner)?.ok_or_else(|| {
        AuditError::Invalid(format!("no receipt of {} has been kept yet: nothing to audit", remote.partner))
    })?;
    let all = receipts(store, &remote.partner)?;
    let access = crate::client::Access::of_remote(remote, identity);
    let mut client = TaxiiClient::with_access(&remote.api_root, &access, &remote.partner, limits)?;
    // The partner may have handed its log to a new key since the last receipt: follow each
    // handover from the newest key pinned (a node that never rotated may not answer this).
    let mut key = key;
    if let Ok(history) = client.key_history() {
        let followed = KeyRing::follow(*key.current(), &history)
            .map_err(|e| AuditError::Invalid(format!("{}'s ledger key handover fails: {e}", remote.partner)))?;
        for k in &followed.keys()[1..] {
            key.push(*k);
        }
    }
    let mut sizes: Vec<u64> =
        compare.iter().map(|t| key.open(t).map(|c| c.checkpoint.size)).collect::<Result<_, _>>().map_err(|e| {
            AuditError::Invalid(format!("a checkpoint to compare is not one of {}'s log: {e}", remote.partner))
        })?;
    if let Some(newest) = all.last() {
        sizes.push(newest.entry.seq);
    }
    let mut report = AuditReport { receipts: all.len(), ..AuditReport::default() };
    let batches: Vec<&[Receipt]> = if all.is_empty() { vec![&[]] } else { all.chunks(receipt::AUDIT_MAX).collect() };
    let newest = all.last().map(|r| r.checkpoint.clone());
    for (i, batch) in batches.into_iter().enumerate() {
        let req = AuditRequest { entries: batch.iter().map(|r| r.entry.seq).collect(), from: sizes.clone() };
        let answer = client.audit(&req)?;
        // The log itself once (the newest held, those handed over); the entries per batch.
        let (held, compare) = if i == 0 { (newest.as_deref(), compare) } else { (None, &[][..]) };
        let found =
            receipt::audit(&key, batch, held, compare, &answer).map_err(|e| AuditError::Invalid(e.to_string()))?;
        report.findings.extend(found);
        report.size = key.open(&answer.checkpoint).map(|c| c.checkpoint.size).unwrap_or_default();
    }
    report.findings.dedup();
    Ok(report)
}
