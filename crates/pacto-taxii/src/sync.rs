//! Inbound sync: pull from each partner's TAXII server what it grants this node, into a
//! per-partner inbound collection, with provenance. Resumable after any crash and exactly once:
//! each page's objects, their provenance and the new `added_after` cursor commit together.
//! Received objects never touch local collections; an analyst adopts them explicitly.

use std::collections::HashMap;
use std::path::Path;

use pacto_stix::StixObject;
use pacto_stix::validate::{Location, Session, Severity, SpecVersion};
use pacto_store::{AddOutcome, Incoming, Provenance, Remote, Store};
use serde::Serialize;

use crate::client::{ClientError, ManifestEntry, TaxiiClient};

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
    #[error("{partner}: {source}")]
    Client { partner: String, source: ClientError },
    #[error(transparent)]
    Store(#[from] pacto_store::StoreError),
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
}

/// Pull everything new from one partner.
pub fn sync_partner(store: &mut dyn Store, remote: &Remote, page_size: usize) -> Result<SyncReport, SyncError> {
    let client_err = |source| SyncError::Client { partner: remote.partner.clone(), source };
    let mut client = TaxiiClient::new(
        &remote.api_root,
        &remote.username,
        &remote.password,
        remote.ca_file.as_deref().map(Path::new),
    )
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
    let mut report = SyncReport { partner: remote.partner.clone(), ..SyncReport::default() };
    let collections = client.readable_collections().map_err(client_err)?;
    report.collections = collections.len();
    for rc in collections {
        loop {
            let cursor = store.sync_cursor(&remote.partner, &rc.id)?;
            let page = client.objects_after(&rc.id, cursor.as_deref(), page_size).map_err(client_err)?;
            let Some(last) = page.date_added_last.clone() else { break };
            if cursor.as_deref() == Some(last.as_str()) {
                break; // a server that does not advance: stop rather than loop
            }
            // Per-object date_added, and STIX version, from the manifest of the same range.
            let manifest: HashMap<(String, String), ManifestEntry> = client
                .manifest_after(&rc.id, cursor.as_deref(), page_size)
                .map_err(client_err)?
                .into_iter()
                .map(|m| ((m.id.clone(), m.version.clone()), m))
                .collect();
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
                let checked = session.check(raw, Location { index: Some(i), path: &path, default_version });
                let ok = checked
                    .value
                    .filter(|_| checked.verdict.errors == 0)
                    .and_then(|v| StixObject::from_parts(raw.clone(), v).ok());
                let Some(obj) = ok else {
                    report.rejected += 1;
                    if report.rejections.len() < 100 {
                        let why: Vec<String> = session
                            .findings()
                            .iter()
                            .filter(|f| f.severity == Severity::Error)
                            .map(|f| format!("{} [{}] {}", f.path, f.rule, f.message))
                            .collect();
                        report.rejections.push(format!("{}/{}: {}", remote.partner, rc.id, why.join("; ")));
                    }
                    continue;
                };
                let taxii_version = obj.str("modified").or_else(|| obj.str("created")).unwrap_or_default().to_string();
                let remote_date_added = manifest
                    .get(&(obj.id().to_string(), taxii_version))
                    .map(|m| m.date_added.clone())
                    .unwrap_or_else(|| last.clone());
                provenance.push(Provenance {
                    id: obj.id().to_string(),
                    version: pacto_store::version_key(&obj),
                    partner: remote.partner.clone(),
                    remote_collection: rc.id.clone(),
                    remote_date_added,
                    fetched_us,
                });
                incoming.push(Incoming::new(&obj, checked.verdict.version));
            }
            let outcomes = store.add_synced(&inbound, &incoming, &provenance, (&remote.partner, &rc.id, &last))?;
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
    Ok(report)
}
