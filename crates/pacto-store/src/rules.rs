//! The rules every backend applies when a version arrives, written once: whether it is new,
//! a repeat, or refused; which stored versions stop being first or latest; and the clocks that
//! hand out `date_added` values. Backends do the reading and writing; these functions decide.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::AddOutcome;

/// A version of the object already stored (in the collection, or in a view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Known {
    pub version: String,
    pub revoked: bool,
    pub is_latest: bool,
    pub is_first: bool,
}

/// What to do with an arriving version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// The same `(id, version)` is stored: compare the texts ([`repeat`]).
    Repeat,
    /// Refused, with the reason.
    Refuse(String),
    /// Store it with these flags; `demote_latest` / `demote_first`: the stored version that
    /// was latest (first) is no longer.
    Insert { is_latest: bool, is_first: bool, demote_latest: bool, demote_first: bool },
}

/// Decide on version `version` of `id`, given the versions stored.
pub(crate) fn plan(known: &[Known], id: &str, version: &str) -> Plan {
    if known.iter().any(|k| k.version == version) {
        return Plan::Repeat;
    }
    let latest = known.iter().find(|k| k.is_latest);
    if let Some(l) = latest
        && l.revoked
        && version > l.version.as_str()
    {
        return Plan::Refuse(format!("{id} was revoked in version {}; no version may follow a revocation", l.version));
    }
    let (is_latest, is_first) = order(
        latest.map(|l| l.version.as_str()),
        known.iter().find(|k| k.is_first).map(|f| f.version.as_str()),
        version,
    );
    Plan::Insert {
        is_latest,
        is_first,
        demote_latest: is_latest && latest.is_some(),
        demote_first: is_first && !known.is_empty(),
    }
}

/// Whether `version` becomes the latest and the first, given the latest and first stored.
pub(crate) fn order(latest: Option<&str>, first: Option<&str>, version: &str) -> (bool, bool) {
    (latest.is_none_or(|l| version > l), first.is_none_or(|f| version < f))
}

/// The outcome of re-adding a stored `(id, version)`: unchanged when the texts are the same
/// JSON, else refused (a stored version is never replaced).
pub(crate) fn repeat(id: &str, version: &str, stored: &str, date_added: i64, new: &str) -> crate::Result<AddOutcome> {
    use crate::StoreError;
    let stored: serde_json::Value =
        serde_json::from_str(stored).map_err(|e| StoreError::Corrupt(format!("{id} {version}: {e}")))?;
    let new: serde_json::Value = serde_json::from_str(new)
        .map_err(|e| StoreError::Other(format!("{id}: the object to store is not JSON: {e}")))?;
    Ok(if stored == new {
        AddOutcome::Unchanged { date_added }
    } else {
        let shown = if version.is_empty() { "(unversioned)" } else { version };
        AddOutcome::Refused {
            reason: format!(
                "a different object is already stored as {id} version {shown}; a new version needs a later modified"
            ),
        }
    })
}

/// What adopting `ids` from `from` copies: every stored version of each, as it would arrive,
/// and where each came from. An id not in `from` is an error.
pub(crate) fn adoption<S: crate::ObjectStore + crate::PartnerStore + ?Sized>(
    store: &S,
    from: &crate::Collection,
    ids: &[String],
) -> crate::Result<(Vec<crate::Incoming>, Vec<crate::Provenance>)> {
    let mut incoming = Vec::new();
    let mut provenance = Vec::new();
    for id in ids {
        let q = crate::Query { ids: vec![id.clone()], ..crate::Query::default() };
        let found = store.page(from, &q)?.objects;
        if found.is_empty() {
            return Err(crate::StoreError::Other(format!("{id} is not in {}", from.name)));
        }
        for o in found {
            let raw = serde_json::value::RawValue::from_string(o.raw)
                .map_err(|e| crate::StoreError::Corrupt(format!("{}: {e}", o.id)))?;
            let spec =
                if o.spec_version == "2.0" { pacto_stix::SpecVersion::V20 } else { pacto_stix::SpecVersion::V21 };
            let facts = serde_json::from_str::<serde_json::Value>(raw.get())
                .ok()
                .and_then(|v| v.as_object().map(pacto_stix::Facts::of))
                .unwrap_or_default();
            incoming.push(crate::Incoming {
                facts,
                id: o.id,
                type_name: o.type_name,
                version: o.version,
                spec_version: spec,
                revoked: o.revoked,
                raw,
            });
        }
        provenance.extend(store.provenance(from, id)?);
    }
    Ok((incoming, provenance))
}

/// Microseconds since the epoch.
pub(crate) fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// The next `date_added` of a collection: after the last one handed out, and not before now.
pub(crate) fn next_added(next: &mut i64) -> i64 {
    let d = (*next).max(now_us());
    *next = d + 1;
    d
}

/// The earliest date_added a view hands out in a transaction starting now: the start of the
/// next whole second. Within a transaction a view's values are consecutive, so a partner can
/// tell how many versions it was given in one write, but neither how many others were written
/// beside them nor, below a second, when.
pub(crate) fn view_clock() -> i64 {
    const SECOND: i64 = 1_000_000;
    (now_us() + SECOND - 1) / SECOND * SECOND
}

/// A valid collection name: 1–64 characters of a-z, A-Z, 0-9, '-', '_' or '.'.
pub(crate) fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// FNV-1a, 64 bits: a stable hash of an object id for the id index (collisions only cost a
/// comparison of the ids themselves).
pub(crate) fn id_hash(id: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// How often (one put in so many) the byte budget of statuses is enforced: it reads every
/// status kept, while the count bound is an index lookup done on every put.
pub(crate) const PRUNE_BYTES_EVERY: i64 = 64;

/// The statements that keep the newest statuses: at most `keep` of them (cheap, on every put),
/// and of those only as many as fit in `max_bytes`, newest first, the newest always kept
/// (every [`PRUNE_BYTES_EVERY`] puts, and whenever one body alone is larger than a
/// [`PRUNE_BYTES_EVERY`]th of the budget). `keep` and `max_bytes` are the backend's
/// placeholders for the two numbers.
pub(crate) fn prune_statuses(keep: &str, max_bytes: &str) -> [String; 2] {
    [
        format!("DELETE FROM statuses WHERE seq <= (SELECT max(seq) FROM statuses) - {keep}"),
        format!(
            "DELETE FROM statuses WHERE seq IN (
            SELECT seq FROM (
                SELECT seq, row_number() OVER (ORDER BY seq DESC) AS n,
                       CAST(sum(bytes) OVER (ORDER BY seq DESC) AS BIGINT) AS run
                FROM statuses
            ) AS ranked WHERE n > 1 AND run > {max_bytes})"
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(v: &str, latest: bool, first: bool, revoked: bool) -> Known {
        Known { version: v.into(), revoked, is_latest: latest, is_first: first }
    }

    #[test]
    fn versions_take_their_place_and_nothing_follows_a_revocation() {
        assert_eq!(
            plan(&[], "x", "2"),
            Plan::Insert { is_latest: true, is_first: true, demote_latest: false, demote_first: false }
        );
        let two = [k("2", true, true, false)];
        assert_eq!(plan(&two, "x", "2"), Plan::Repeat);
        assert_eq!(
            plan(&two, "x", "3"),
            Plan::Insert { is_latest: true, is_first: false, demote_latest: true, demote_first: false }
        );
        assert_eq!(
            plan(&two, "x", "1"),
            Plan::Insert { is_latest: false, is_first: true, demote_latest: false, demote_first: true }
        );
        let revoked = [k("2", true, true, true)];
        assert!(matches!(plan(&revoked, "x", "3"), Plan::Refuse(r) if r.contains("revoked in version 2")));
        // History before a revocation may still arrive.
        assert!(matches!(plan(&revoked, "x", "1"), Plan::Insert { is_first: true, .. }));
    }

    #[test]
    fn a_repeat_is_unchanged_only_when_it_is_the_same_json() {
        assert_eq!(
            repeat("x", "1", r#"{"a":1,"b":2}"#, 7, r#"{ "b":2, "a":1 }"#).unwrap(),
            AddOutcome::Unchanged { date_added: 7 }
        );
        assert!(
            matches!(repeat("x", "", r#"{"a":1}"#, 7, r#"{"a":2}"#).unwrap(), AddOutcome::Refused { reason } if reason.contains("(unversioned)"))
        );
    }
}
