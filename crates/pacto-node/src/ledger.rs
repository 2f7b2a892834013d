//! Recording in the disclosure ledger: what was served to a partner, and the private-matching
//! queries it made. Entries are chained after the ledger's head and the new head is signed
//! with the node's key, in one store write (the format and its verification are
//! `pacto_federation::ledger`'s).

use pacto_federation::ledger::{Chain, Checkpoint, Entry, Event, SigningKey};
use pacto_store::{Collection, LedgerStore, StoredObject};

use crate::NodeError;

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

/// One ledger event per object version a read told `partner` of (`what` says how: its
/// content, or its manifest record or version), at `now`. `digests` are of exactly what was
/// sent for each version (the object, or its record). Appended with [`append_signed`] before
/// the answer is sent: what is not recorded is not served.
pub fn served_events(
    partner: &str,
    c: &Collection,
    what: Served,
    served: &[StoredObject],
    digests: Vec<String>,
    now: &str,
) -> Vec<Event> {
    served
        .iter()
        .zip(digests)
        .map(|(o, digest)| Event {
            time: now.to_string(),
            partner: partner.to_string(),
            kind: what.kind().into(),
            collection: c.name.clone(),
            object_id: Some(o.id.clone()),
            object_version: Some(pacto_store::taxii_version(o)),
            digest,
        })
        .collect()
}

/// Count a private-matching query against the partner's daily allowance (`per_day` against
/// `set`) and, if it is within, record it in the ledger — both in one write (call it under
/// the writer), so concurrent queries cannot overrun the limit.
pub fn admit_psi_query<S: LedgerStore + ?Sized>(
    s: &mut S,
    key: &SigningKey,
    partner: &str,
    set: &str,
    per_day: u64,
    description: String,
    digest: String,
) -> Result<(), NodeError> {
    let now = pacto_stix::Timestamp::now();
    let day_start =
        pacto_stix::Timestamp { secs: now.secs - now.secs.rem_euclid(86_400), nanos: 0, frac_digits: 3 }.format(3);
    let time = now.format(3);
    let used = s.ledger_count_since(partner, "psi-query", set, &day_start)?;
    if used >= per_day {
        return Err(NodeError::TooMany(format!("the agreement allows {per_day} queries a day against {set:?}")));
    }
    let event = psi_event(partner, set, "psi-query", description, digest, &time);
    append_signed(s, key, partner, vec![event], &time)
}

/// A private-matching event (a query, or the blinded set handed out for a size-only query).
pub fn psi_event(partner: &str, set: &str, kind: &str, description: String, digest: String, time: &str) -> Event {
    Event {
        time: time.to_string(),
        partner: partner.to_string(),
        kind: kind.to_string(),
        collection: set.to_string(),
        object_id: None,
        object_version: Some(description),
        digest,
    }
}

/// Chain events after the ledger's head and sign the new head, in one store write, under the
/// ledger's lock: the head is read under it, so writers in several processes (servers on one
/// database, the command line) chain one after the other.
pub fn append_signed<S: LedgerStore + ?Sized>(
    s: &mut S,
    key: &SigningKey,
    partner: &str,
    events: Vec<Event>,
    now: &str,
) -> Result<(), NodeError> {
    s.ledger_append_after(&mut |head| {
        let mut chain = match head {
            None => Chain::default(),
            Some((_, text)) => {
                let e: Entry = serde_json::from_str(&text)
                    .map_err(|e| pacto_store::StoreError::Corrupt(format!("ledger head unreadable: {e}")))?;
                Chain { seq: e.seq, hash: e.hash }
            }
        };
        let rows: Vec<(u64, String, String)> = events
            .iter()
            .cloned()
            .map(|ev| {
                let e = chain.append(ev);
                (e.seq, partner.to_string(), serde_json::to_string(&e).unwrap_or_default())
            })
            .collect();
        let cp = Checkpoint::sign(key, &chain, now);
        Ok((rows, Some((cp.seq, serde_json::to_string(&cp).unwrap_or_default()))))
    })?;
    Ok(())
}
