//! Inbound sync: pull from each partner's TAXII server what it grants this node, into a
//! per-partner inbound collection, with provenance. Resumable after any crash and exactly once:
//! each page's objects, their provenance and the new `added_after` cursor commit together.
//! Received objects never touch local collections; an analyst adopts them explicitly.

use std::collections::HashMap;

use pacto_stix::validate::{Location, Session, SpecVersion};
use pacto_store::{AddOutcome, Incoming, Provenance, Remote, prelude::*};
use serde::Serialize;

use crate::client::{ClientError, ClientLimits, ManifestEntry, TaxiiClient};
use crate::receipts::PartnerLog;
use pacto_federation::ledger::receipt::Cosignature;
use pacto_federation::ledger::rotation::KeyHistory;

/// Just an object's id, read without building the rest.
#[derive(serde::Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: String,
}

/// The local collection that receives a partner's objects.
/// Only sync writes to it: see [`pacto_store::inbound_write_refusal`].
pub fn inbound_collection(partner: &str) -> String {
    format!("{}{partner}", pacto_store::INBOUND_PREFIX)
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The request failed; the client's error names the partner and says what happened.
    #[error("{source}")]
    Client { partner: String, source: ClientError },
    /// The partner answered, but what it answered cannot be stored without losing or inventing
    /// something (a cursor that does not advance, a manifest that disagrees with the page…).
    #[error("{partner}: refused a page of collection {collection} after {}: {why}", .after.as_deref().unwrap_or("the start"))]
    Refused { partner: String, collection: String, after: Option<String>, why: String },
    #[error(transparent)]
    Store(#[from] pacto_store::StoreError),
}

/// How sync talks to a partner.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Objects per page asked for (`limit`); a page with more is refused.
    pub page_size: usize,
    /// Pages per remote collection in one run (the rest waits for the next run).
    pub max_pages: u64,
    pub limits: ClientLimits,
    /// Refuse answers without a valid receipt (pacto partners); a partner whose setting
    /// `partner.NAME.receipts` is `not-required` (a plain TAXII server) is synced without.
    pub require_receipts: bool,
    /// This node's key, to cosign (as a witness) the partner's checkpoints it checked.
    pub witness: Option<pacto_federation::ledger::SigningKey>,
    /// This node's ledger key history (its rotations), sent with each cosignature so a partner
    /// that pinned an earlier witness key follows the handovers to the current one.
    pub witness_keys: KeyHistory,
    /// This node's certificate, presented to partners reached by mutual TLS.
    pub identity: Option<crate::identity::NodeIdentity>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            page_size: 1000,
            max_pages: 10_000,
            limits: ClientLimits::default(),
            require_receipts: true,
            witness: None,
            witness_keys: KeyHistory::default(),
            identity: None,
        }
    }
}

/// The setting that says whether a partner's answers must come with receipts.
pub fn receipts_setting(partner: &str) -> String {
    format!("partner.{partner}.receipts")
}

/// The setting that holds the ledger keys pinned for a partner (hex, first to newest,
/// comma-separated: the key first pinned, then each the partner handed its log over to).
pub fn ledger_key_setting(partner: &str) -> String {
    format!("partner.{partner}.ledger_key")
}

/// The setting that holds the account this node has at a partner, as the partner's receipts
/// name it (pinned by the first receipt when the connection names none: mutual TLS).
pub fn account_setting(partner: &str) -> String {
    format!("partner.{partner}.account")
}

/// The name a partner's receipts must give this node: the account it connects with, else the
/// one its first receipt named (None: not known yet).
pub fn account_at(store: &dyn Store, remote: &Remote) -> Result<Option<String>, pacto_store::StoreError> {
    if !remote.username.is_empty() {
        return Ok(Some(remote.username.clone()));
    }
    store.setting(&account_setting(&remote.partner))
}

/// What one sync of one partner did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub partner: String,
    pub collections: usize,
    pub pages: u64,
    pub received: u64,
    pub added: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// The first rejections, with reasons.
    pub rejections: Vec<String>,
    /// The size of the partner's log this node cosigned (as a witness) and handed back.
    pub cosigned: Option<u64>,
}

/// Pull everything new from one partner (`remote` with its password in clear), with default
/// options, `page_size`, this node's certificate for mutual TLS, and its key to cosign (as a
/// witness) the partner's newest checkpoint this run checked, handing the cosignature back
/// with the key's history (`Log::key_history`; empty if it never rotated).
pub fn sync_partner(
    store: &mut dyn Store,
    remote: &Remote,
    page_size: usize,
    identity: Option<&crate::identity::NodeIdentity>,
    witness: Option<(&pacto_federation::ledger::SigningKey, &KeyHistory)>,
) -> Result<SyncReport, SyncError> {
    let opts = SyncOptions {
        page_size,
        identity: identity.cloned(),
        witness: witness.map(|w| w.0.clone()),
        witness_keys: witness.map(|w| w.1.clone()).unwrap_or_default(),
        ..SyncOptions::default()
    };
    let result = sync_partner_with(store, remote, &opts);
    // What `pacto partner list` and `show` tell: when the last sync ran, how it ended.
    if let Err(e) = record_outcome(store, &remote.partner, &result) {
        tracing::warn!(partner = remote.partner, error = %e, "sync outcome not recorded");
    }
    result
}

/// The node setting holding a partner's last sync: `{"time", "ok", "summary" | "error"}`.
pub fn outcome_key(partner: &str) -> String {
    format!("sync.{partner}.last")
}

/// A sync's outcome, kept (as a node setting) for the operator.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SyncOutcome {
    pub time: String,
    pub ok: bool,
    /// What it brought (on success) or what went wrong.
    pub message: String,
    /// The last sync that succeeded, when this one did not.
    #[serde(default)]
    pub last_success: Option<String>,
}

/// A partner's last sync, as recorded (None: never synced, or not readable).
pub fn last_outcome(store: &dyn Store, partner: &str) -> Result<Option<SyncOutcome>, pacto_store::StoreError> {
    Ok(store.setting(&outcome_key(partner))?.and_then(|t| serde_json::from_str(&t).ok()))
}

fn record_outcome(
    store: &mut dyn Store,
    partner: &str,
    result: &Result<SyncReport, SyncError>,
) -> Result<(), pacto_store::StoreError> {
    let key = outcome_key(partner);
    let time = pacto_stix::Timestamp::now().format(3);
    let previous: Option<SyncOutcome> = store.setting(&key)?.and_then(|t| serde_json::from_str(&t).ok());
    let outcome = match result {
        Ok(r) => SyncOutcome {
            time: time.clone(),
            ok: true,
            message: format!(
                "{} collections, {} pages, received {}, added {}, unchanged {}, rejected {}",
                r.collections, r.pages, r.received, r.added, r.unchanged, r.rejected
            ),
            last_success: None,
        },
        Err(e) => SyncOutcome {
            time: time.clone(),
            ok: false,
            message: e.to_string(),
            last_success: previous.and_then(|p| if p.ok { Some(p.time) } else { p.last_success }),
        },
    };
    let text = serde_json::to_string(&outcome).unwrap_or_default();
    store.add_with_settings(None, &[], &[(key, text)], &[])?;
    Ok(())
}

/// An object version as delivered: its id and TAXII version (`modified`, else `created`, else
/// none), read without building the rest.
#[derive(serde::Deserialize)]
struct Delivered {
    #[serde(default)]
    id: String,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    created: Option<String>,
}

/// A TAXII timestamp as microseconds, or why not.
fn micros(what: &str, s: &str) -> Result<i64, String> {
    pacto_stix::Timestamp::parse(s).map(|t| t.as_micros()).map_err(|e| format!("{what} {s:?} is not a timestamp: {e}"))
}

/// Check one page against its manifest and the cursor before anything of it is stored; returns
/// the manifest entries by (id, version in microseconds, or None for an unversioned object).
fn check_page(
    page: &crate::client::ObjectsPage,
    manifest: &[ManifestEntry],
    cursor: Option<&str>,
    last: &str,
    page_size: usize,
) -> Result<HashMap<(String, Option<i64>), ManifestEntry>, String> {
    if page.objects.len() > page_size {
        return Err(format!("the page holds {} objects, but at most {page_size} were asked for", page.objects.len()));
    }
    if manifest.len() > page_size {
        return Err(format!("the manifest holds {} entries, but at most {page_size} were asked for", manifest.len()));
    }
    let last_us = micros("X-TAXII-Date-Added-Last", last)?;
    let cursor_us = cursor.map(|c| micros("the cursor", c)).transpose()?;
    if cursor_us.is_some_and(|c| last_us <= c) {
        return Err(format!(
            "the cursor did not advance: X-TAXII-Date-Added-Last is {last}, not after {}",
            cursor.unwrap_or_default()
        ));
    }
    let version_us = |v: &str| pacto_stix::Timestamp::parse(v).ok().map(|t| t.as_micros());
    let mut entries: HashMap<(String, Option<i64>), ManifestEntry> = HashMap::new();
    for m in manifest {
        let added = micros(&format!("the manifest's date_added of {}", m.id), &m.date_added)?;
        if cursor_us.is_some_and(|c| added <= c) {
            return Err(format!("the manifest lists {} as added at {}, not after the cursor", m.id, m.date_added));
        }
        if added > last_us {
            continue; // beyond this page: the next one will bring it
        }
        entries.insert((m.id.clone(), version_us(&m.version)), m.clone());
    }
    let mut delivered = std::collections::HashSet::new();
    for (i, raw) in page.objects.iter().enumerate() {
        let d = serde_json::from_str::<Delivered>(raw.get()).unwrap_or(Delivered {
            id: String::new(),
            modified: None,
            created: None,
        });
        let version = d.modified.as_deref().or(d.created.as_deref()).and_then(version_us);
        let listed = match version {
            Some(_) => entries.contains_key(&(d.id.clone(), version)),
            None => entries.keys().any(|(id, _)| *id == d.id),
        };
        if !listed {
            return Err(format!(
                "object {i} of the page ({}) is not in the manifest up to X-TAXII-Date-Added-Last {last}",
                if d.id.is_empty() { "no id" } else { d.id.as_str() }
            ));
        }
        delivered.insert((d.id, version));
    }
    for (id, version) in entries.keys() {
        if !delivered.contains(&(id.clone(), *version)) && !delivered.contains(&(id.clone(), None)) {
            let m = &entries[&(id.clone(), *version)];
            return Err(format!(
                "the manifest lists {id} version {} (added {}) up to X-TAXII-Date-Added-Last {last}, \
                 but the objects page did not deliver it; storing the page would skip it",
                m.version, m.date_added
            ));
        }
    }
    Ok(entries)
}

/// Pull everything new from one partner. Each page is checked against its manifest and the
/// cursor (see [`check_page`]) and stored with its provenance and new cursor in one transaction;
/// a page that fails a check ends the sync with [`SyncError::Refused`], nothing of it stored.
pub fn sync_partner_with(store: &mut dyn Store, remote: &Remote, opts: &SyncOptions) -> Result<SyncReport, SyncError> {
    let client_err = |source| SyncError::Client { partner: remote.partner.clone(), source };
    let page_size = opts.page_size.max(1);
    let access = crate::client::Access::of_remote(remote, opts.identity.as_ref());
    let mut client = TaxiiClient::with_access(&remote.api_root, &access, &remote.partner, opts.limits.clone())
        .map_err(client_err)?;
    let name = inbound_collection(&remote.partner);
    let inbound = match store.collection(&name)? {
        Some(c) => c,
        None => store.create_collection(
            &name,
            &format!("Received from {}", remote.partner),
            Some("Objects pulled from the partner by sync; never merged into local collections"),
        )?,
    };
    let mut plog = PartnerLog::load(store, remote, opts.require_receipts)?;
    let mut report = SyncReport { partner: remote.partner.clone(), ..SyncReport::default() };
    let collections = client.readable_collections().map_err(client_err)?;
    report.collections = collections.len();
    for rc in collections {
        let mut pages = 0u64;
        loop {
            if pages >= opts.max_pages {
                tracing::warn!(
                    partner = remote.partner,
                    collection = rc.id,
                    pages,
                    "page limit of one run reached; the rest waits for the next run"
                );
                break;
            }
            pages += 1;
            let cursor = store.sync_cursor(&remote.partner, &rc.id)?;
            let refused = |why: String| SyncError::Refused {
                partner: remote.partner.clone(),
                collection: rc.id.clone(),
                after: cursor.clone(),
                why,
            };
            plog.ask_from_held(&mut client.http);
            let page = client.objects_after(&rc.id, cursor.as_deref(), page_size).map_err(client_err)?;
            let page_receipt =
                plog.check(store, &mut client.http, &page.answer, !page.objects.is_empty()).map_err(&refused)?;
            let Some(last) = page.date_added_last.clone() else {
                if page.objects.is_empty() && !page.more {
                    plog.keep(store, page_receipt).map_err(&refused)?;
                    break; // nothing new
                }
                return Err(refused(format!(
                    "the page ({} objects, more: {}) has no X-TAXII-Date-Added-Last header, so there is no cursor to store it with",
                    page.objects.len(),
                    page.more
                )));
            };
            let same_instant = |a: &str, b: &str| micros("", a).ok().is_some_and(|a| micros("", b).ok() == Some(a));
            if page.objects.is_empty() && !page.more && cursor.as_deref().is_some_and(|c| same_instant(c, &last)) {
                plog.keep(store, page_receipt).map_err(&refused)?;
                break; // nothing new, the header repeating the cursor
            }
            // Per-object date_added, and STIX version, from the manifest of the same range.
            plog.ask_from_held(&mut client.http);
            let (manifest, answer) = client.manifest_after(&rc.id, cursor.as_deref(), page_size).map_err(client_err)?;
            let manifest_receipt =
                plog.check(store, &mut client.http, &answer, !manifest.is_empty()).map_err(&refused)?;
            let manifest = check_page(&page, &manifest, cursor.as_deref(), &last, page_size).map_err(refused)?;
            let stix20: std::collections::HashSet<&str> = manifest
                .values()
                .filter(|m| m.media_type.as_deref().is_some_and(|t| t.replace(' ', "").ends_with("version=2.0")))
                .map(|m| m.id.as_str())
                .collect();
            let fetched_us = pacto_stix::Timestamp::now().as_micros();
            let mut session = Session::new();
            let (mut incoming, mut provenance) = (Vec::new(), Vec::new());
            for (i, raw) in page.objects.iter().enumerate() {
                report.received += 1;
                let path = format!("$.objects[{i}]");
                // STIX 2.0 objects carry no spec_version; the manifest's media type says which
                // version the partner holds them as.
                let id = serde_json::from_str::<IdOnly>(raw.get()).map(|o| o.id).unwrap_or_default();
                let default_version = if stix20.contains(id.as_str()) { SpecVersion::V20 } else { SpecVersion::V21 };
                let checked = crate::ingest::check_object(
                    &mut session,
                    raw,
                    Location { index: Some(i), path: &path, default_version },
                );
                let (obj, spec_version) = match checked.result {
                    Ok(ok) => ok,
                    Err(why) => {
                        report.rejected += 1;
                        if report.rejections.len() < 100 {
                            report.rejections.push(format!("{}/{}: {}", remote.partner, rc.id, why.join("; ")));
                        }
                        continue;
                    }
                };
                let taxii_version = obj
                    .str("modified")
                    .or_else(|| obj.str("created"))
                    .and_then(|v| pacto_stix::Timestamp::parse(v).ok())
                    .map(|t| t.as_micros());
                // check_page made sure every delivered version is in the manifest.
                let remote_date_added = manifest
                    .get(&(obj.id().to_string(), taxii_version))
                    .or_else(|| manifest.iter().find(|((id, _), _)| id == obj.id()).map(|(_, m)| m))
                    .map_or_else(|| last.clone(), |m| m.date_added.clone());
                provenance.push(Provenance {
                    id: obj.id().to_string(),
                    version: pacto_store::version_key(&obj),
                    partner: remote.partner.clone(),
                    remote_collection: rc.id.clone(),
                    remote_date_added,
                    fetched_us,
                    receipt: page_receipt.as_ref().map(|r| r.seq),
                });
                incoming.push(Incoming::new(&obj, spec_version));
            }
            // The page's objects, their provenance and both receipts land together.
            let receipts: Vec<(u64, String)> = page_receipt.iter().chain(&manifest_receipt).map(|r| r.row()).collect();
            let outcomes =
                store.add_synced(&inbound, &incoming, &provenance, &receipts, (&remote.partner, &rc.id, &last))?;
            report.pages += 1;
            for o in outcomes {
                match o {
                    AddOutcome::Added { .. } => report.added += 1,
                    AddOutcome::Unchanged { .. } => report.unchanged += 1,
                    AddOutcome::Refused { reason } => {
                        report.rejected += 1;
                        if report.rejections.len() < 100 {
                            report.rejections.push(reason);
                        }
                    }
                }
            }
            tracing::info!(
                partner = remote.partner,
                collection = rc.id,
                objects = page.objects.len(),
                cursor = last,
                "sync page stored"
            );
            if !page.more {
                break;
            }
        }
    }
    // Witness what this run checked: cosign the partner's newest checkpoint held, if it moved.
    if let (Some(key), Some((size, cp, pk))) = (&opts.witness, plog.newly_checked()) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        match Cosignature::sign(key, pk, cp, now) {
            Ok(c) => match client.cosign(&c.with_keys(opts.witness_keys.clone())) {
                Ok(()) => report.cosigned = Some(size),
                Err(e) => {
                    tracing::warn!(partner = remote.partner, error = %e, "the partner did not take our cosignature")
                }
            },
            Err(e) => tracing::warn!(partner = remote.partner, error = e, "could not cosign the partner's checkpoint"),
        }
    }
    Ok(report)
}
