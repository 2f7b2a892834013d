//! A partner's reads on the server: the node decides what the partner receives
//! ([`pacto_node::partner::page`]); here its ledger entries are written on the writer's thread
//! before the response leaves (what is not recorded is not served).

use std::sync::Arc;

use pacto_node::ledger::{self, Served};
use pacto_store::{Collection, StoredObject};

use crate::{AppState, TaxiiError};

/// Append one ledger entry per object version a read told `partner` of, and a signed
/// checkpoint, in one transaction (see [`ledger::served_events`]).
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
    let events = ledger::served_events(partner, c, what, served, digests, &now);
    let partner = partner.to_string();
    let st = state.clone();
    state.stores.write(move |s| Ok(ledger::append_signed(s, &st.node.ledger_key, &partner, events, &now)?)).await
}

/// Count a private-matching query against the partner's daily allowance and, if it is within,
/// record it in the ledger (see [`ledger::admit_psi_query`]).
pub async fn admit_psi_query(
    state: &Arc<AppState>,
    partner: &str,
    set: &str,
    per_day: u64,
    description: String,
    digest: String,
) -> Result<(), TaxiiError> {
    let (partner, set, st) = (partner.to_string(), set.to_string(), state.clone());
    state
        .stores
        .write(move |s| {
            Ok(ledger::admit_psi_query(s, &st.node.ledger_key, &partner, &set, per_day, description, digest)?)
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
    let event = ledger::psi_event(partner, set, kind, description, digest, &time);
    let (partner, st) = (partner.to_string(), state.clone());
    state.stores.write(move |s| Ok(ledger::append_signed(s, &st.node.ledger_key, &partner, vec![event], &time)?)).await
}
