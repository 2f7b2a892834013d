//! The receiving side of a partner's answers: each answer that discloses something comes with
//! the partner's signed receipt, checked against the exact body and the partner's log as this
//! node holds it, and kept ([`PartnerLog`]). Sync checks every page and manifest with it, and
//! private matching (`pacto match`, `pacto trace`) every answer.

use pacto_federation::ledger::receipt::{self, Receipt};
use pacto_federation::ledger::rotation::KeyRing;
use pacto_store::{Remote, prelude::*};

use crate::client::{Answer, HttpClient};
use crate::sync::{account_at, account_setting, ledger_key_setting, receipts_setting};

/// What sync holds of a partner's log: the key pinned for it and the newest checkpoint of it
/// this node holds (from the last receipt kept).
pub struct PartnerLog {
    partner: String,
    /// The name the partner's log gives this node (None: pinned by the first receipt).
    username: Option<String>,
    required: bool,
    key: Option<KeyRing>,
    held: Option<(u64, String)>,
    /// The size held when the run started.
    started: Option<u64>,
}

impl PartnerLog {
    /// The size of the partner's log this node holds (sent as `X-Pacto-Log-Size`, so the next
    /// receipt proves it extends it).
    pub fn held_size(&self) -> Option<u64> {
        self.held.as_ref().map(|h| h.0)
    }

    /// The newest checkpoint of the partner's log checked, its size, and the partner's current
    /// key (what a witness cosigns), if this run checked one beyond what it held at the start.
    pub fn newly_checked(&self) -> Option<(u64, &str, &pacto_federation::ledger::VerifyingKey)> {
        let (size, cp) = self.held.as_ref()?;
        let key = self.key.as_ref()?.current();
        (self.started != Some(*size)).then_some((*size, cp.as_str(), key))
    }

    /// Ask for the next answer's consistency proof from the size held.
    pub fn ask_from_held(&self, client: &mut HttpClient) {
        if let Some(size) = self.held_size() {
            client.set_header(receipt::SIZE_HEADER, &size.to_string());
        }
    }

    pub fn load(store: &dyn Store, remote: &Remote, required: bool) -> Result<PartnerLog, pacto_store::StoreError> {
        let required =
            required && store.setting(&receipts_setting(&remote.partner))?.as_deref() != Some("not-required");
        let key = store
            .setting(&ledger_key_setting(&remote.partner))?
            .map(|k| {
                KeyRing::from_setting(&k).ok_or_else(|| {
                    pacto_store::StoreError::Corrupt(format!(
                        "the ledger key pinned for {} is not a key",
                        remote.partner
                    ))
                })
            })
            .transpose()?;
        let held = match store.last_receipt(&remote.partner)? {
            Some((_, text)) => {
                let r = Receipt::parse(&text).map_err(|e| {
                    pacto_store::StoreError::Corrupt(format!("a kept receipt of {}: {e}", remote.partner))
                })?;
                Some((r.entry.seq, r.checkpoint))
            }
            None => None,
        };
        let started = held.as_ref().map(|h| h.0);
        Ok(PartnerLog {
            partner: remote.partner.clone(),
            username: account_at(store, remote)?,
            required,
            key,
            held,
            started,
        })
    }

    /// Check an answer's receipt, when one is due (the answer disclosed something) or given:
    /// the first receipt pins the partner's key (as SSH pins a host key), every later one must
    /// be signed by it and extend the log this node already holds. The checked receipt is
    /// handed back to be kept with what the answer brought (`PartnerStore::add_synced`), or
    /// on its own ([`PartnerLog::keep`]).
    pub fn check(
        &mut self,
        store: &mut dyn Store,
        client: &mut HttpClient,
        answer: &Answer,
        disclosed: bool,
    ) -> Result<Option<Checked>, String> {
        let Some(text) = &answer.receipt else {
            if disclosed && self.required {
                return Err(format!(
                    "the answer came without a receipt ({}): its disclosure cannot be proved, so it is not taken. \
                     If {} is not a pacto node, set `{} = not-required`",
                    receipt::HEADER,
                    self.partner,
                    receipts_setting(&self.partner)
                ));
            }
            return Ok(None);
        };
        let r = Receipt::parse(text).map_err(|e| e.to_string())?;
        let had = self.key.is_some();
        let ring = match self.key.take() {
            Some(ring) if r.public_key != pacto_federation::ledger::public_key_hex(ring.current()) => {
                self.follow_rotation(store, client, ring, &r.public_key, &r.checkpoint)?
            }
            Some(ring) => ring,
            None => KeyRing::single(
                pacto_federation::ledger::public_key_from_hex(&r.public_key)
                    .ok_or_else(|| "the receipt names a public key that is not one".to_string())?,
            ),
        };
        let account = self.username.clone().unwrap_or_else(|| r.entry.partner.clone());
        let verified = r
            .verify_in(&ring, &account, &answer.body, self.held.as_ref().map(|h| h.1.as_str()))
            .map_err(|e| e.to_string());
        self.key = Some(ring);
        let v = verified?;
        let json = serde_json::to_string(&v.receipt).unwrap_or_default();
        if self.username.is_none() {
            let setting = (account_setting(&self.partner), account.clone());
            store
                .add_with_settings(None, &[], &[setting], &[(account_setting(&self.partner), None)])
                .map_err(|e| format!("the account named by the partner's receipts was not pinned: {e}"))?;
            self.username = Some(account);
        }
        if !had {
            let setting = (ledger_key_setting(&self.partner), r.public_key.clone());
            store
                .add_with_settings(None, &[], &[setting], &[(ledger_key_setting(&self.partner), None)])
                .map_err(|e| format!("the partner's ledger key was not pinned: {e}"))?;
            tracing::info!(partner = self.partner, key = r.public_key, "pinned the partner's ledger key");
        }
        let seq = v.receipt.entry.seq;
        self.held = Some((seq, v.receipt.checkpoint));
        Ok(Some(Checked { seq, receipt: json }))
    }

    /// Keep a checked receipt on its own (an answer that stores nothing else).
    pub fn keep(&self, store: &mut dyn Store, checked: Option<Checked>) -> Result<(), String> {
        match checked {
            Some(c) => store
                .put_receipt(&self.partner, c.seq, &c.receipt)
                .map_err(|e| format!("the receipt was not kept: {e}")),
            None => Ok(()),
        }
    }

    /// A receipt signed by another key than the one pinned: the partner must have handed its
    /// log over to it, each handover signed by the key before and the key after. Follow the
    /// handovers from the pinned key and pin the new key after the ones before.
    fn follow_rotation(
        &mut self,
        store: &mut dyn Store,
        client: &mut HttpClient,
        ring: KeyRing,
        key: &str,
        checkpoint: &str,
    ) -> Result<KeyRing, String> {
        let fail = |why: String| {
            format!("the receipt is signed by key {key}, not the one pinned for {}, and {why}", self.partner)
        };
        // The history as of the receipt's head: the receipt's checkpoint is the newest head each
        // handover must lie in.
        let cp = pacto_federation::ledger::public_key_from_hex(key)
            .and_then(|k| pacto_federation::ledger::log::log_verifier(&k).open(checkpoint).ok())
            .ok_or_else(|| fail("its checkpoint is not signed by that key".into()))?;
        let history = crate::client::key_history_at(client, cp.checkpoint.size)
            .map_err(|e| fail(format!("its key history could not be read: {e}")))?;
        let followed =
            KeyRing::follow(*ring.current(), &history).map_err(|e| fail(format!("its handover fails: {e}")))?;
        history.check_newest(&followed, &cp.checkpoint).map_err(|e| fail(format!("its handover fails: {e}")))?;
        let mut out = ring;
        for k in &followed.keys()[1..] {
            out.push(*k);
        }
        if pacto_federation::ledger::public_key_hex(out.current()) != key {
            return Err(fail("no handover from the pinned key leads to it".into()));
        }
        let setting = ledger_key_setting(&self.partner);
        store
            .add_with_settings(None, &[], &[(setting.clone(), out.to_setting())], &[])
            .map_err(|e| format!("the partner's new ledger key was not pinned: {e}"))?;
        tracing::info!(partner = self.partner, key, "followed the partner's ledger key rotation");
        Ok(out)
    }
}

/// A partner's receipt, checked, to be kept.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The partner's ledger entry it covers.
    pub seq: u64,
    /// The receipt, as kept (JSON).
    pub receipt: String,
}

impl Checked {
    /// As `PartnerStore::add_synced` keeps it.
    pub fn row(&self) -> (u64, String) {
        (self.seq, self.receipt.clone())
    }
}
