//! Ingest: validate objects one at a time and store the valid ones in batched transactions.
//!
//! Used by `pacto import` and, later, by the TAXII server's POST and partner sync. Invalid
//! objects are rejected with their findings and never stored; valid ones are written in
//! batches, each batch one transaction, so a crash loses at most the batches in flight and a
//! rerun adds them (everything already stored comes back as unchanged).
//!
//! Parsing and validation run on the caller's thread while a writer thread stores the previous
//! batch: on two cores an import costs about the larger of the two, not their sum.

use std::sync::mpsc;

use pacto_stix::validate::{Location, Session, Severity, SpecVersion};
use pacto_stix::{RawObject, StixObject};
use serde::Serialize;
use serde_json::Value;

use crate::{AddOutcome, Collection, Incoming, Result, Store, StoreError};

/// How many rejections keep their full details in the report (the rest are only counted).
const MAX_REJECTION_DETAILS: usize = 1000;

/// Batches queued for the writer beyond the one it is writing.
const QUEUED_BATCHES: usize = 2;

/// One object that was not stored, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub index: Option<usize>,
    pub id: Option<String>,
    /// The validation errors, or the store's reason.
    pub reasons: Vec<String>,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    pub read: u64,
    pub added: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub warnings: u64,
    /// Details of the first rejections.
    pub rejections: Vec<Rejection>,
}

impl IngestReport {
    fn reject(&mut self, index: Option<usize>, id: Option<String>, reasons: Vec<String>) {
        self.rejected += 1;
        if self.rejections.len() < MAX_REJECTION_DETAILS {
            self.rejections.push(Rejection { index, id, reasons });
        }
    }
}

type Batch = Vec<(Incoming, Option<usize>)>;

/// The caller's side of an ingest: hand it objects with [`Ingest::offer`].
pub struct Ingest {
    batch_size: usize,
    batch: Batch,
    session: Session,
    report: IngestReport,
    to_writer: mpsc::SyncSender<Batch>,
}

impl Ingest {
    /// Run an ingest into `collection`: `feed` offers objects; when it returns, what is queued
    /// is written and the report comes back with `feed`'s own result. A store error ends the
    /// ingest (what was committed before it stays).
    pub fn run<S, T, F>(store: &mut S, collection: &Collection, batch_size: usize, feed: F) -> Result<(IngestReport, T)>
    where
        S: Store + Send + ?Sized,
        F: FnOnce(&mut Ingest) -> T,
    {
        let batch_size = batch_size.max(1);
        let (tx, rx) = mpsc::sync_channel::<Batch>(QUEUED_BATCHES);
        std::thread::scope(|scope| {
            let writer = scope.spawn(move || write_batches(store, collection, rx));
            let mut ingest = Ingest {
                batch_size,
                batch: Vec::with_capacity(batch_size),
                session: Session::new(),
                report: IngestReport::default(),
                to_writer: tx,
            };
            let fed = feed(&mut ingest);
            let sent = ingest.send();
            let Ingest { mut report, to_writer, .. } = ingest;
            drop(to_writer);
            let written = writer.join().map_err(|_| StoreError::Other("the store writer thread panicked".into()))?;
            let written = written?;
            sent?;
            report.added += written.added;
            report.unchanged += written.unchanged;
            report.rejected += written.rejected;
            report.rejections.extend(written.rejections);
            report.rejections.sort_by_key(|r| r.index);
            report.rejections.truncate(MAX_REJECTION_DETAILS);
            Ok((report, fed))
        })
    }

    /// Validate one object and queue it for the writer.
    pub fn offer(&mut self, raw: RawObject<'_>) -> Result<()> {
        self.report.read += 1;
        let default_version = match raw.bundle_spec_version {
            Some("2.0") => SpecVersion::V20,
            _ => SpecVersion::V21,
        };
        let checked = self.session.check(raw.raw, Location { index: raw.index, path: raw.path, default_version });
        let verdict = checked.verdict;
        self.report.warnings += verdict.warnings as u64;
        let value = match checked.value {
            Some(v) if verdict.errors == 0 => v,
            value => {
                let id = value.as_ref().and_then(|v| v.get("id")).and_then(Value::as_str).map(str::to_string);
                let reasons = self
                    .session
                    .findings()
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .map(|f| format!("{} [{}] {}", f.path, f.rule, f.message))
                    .collect();
                self.report.reject(raw.index, id, reasons);
                return Ok(());
            }
        };
        match StixObject::from_parts(raw.raw.to_owned(), value) {
            Ok(object) => self.batch.push((Incoming::new(&object, verdict.version), raw.index)),
            Err(e) => self.report.reject(raw.index, None, vec![format!("{}: {e}", raw.path)]),
        }
        if self.batch.len() >= self.batch_size {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_size));
        // A closed channel means the writer stopped on an error, which `run` reports.
        self.to_writer.send(batch).map_err(|_| StoreError::Other("the store writer stopped".into()))
    }

    /// The caller's side of the report so far (read, rejected by validation, warnings).
    pub fn report(&self) -> &IngestReport {
        &self.report
    }
}

fn write_batches<S: Store + ?Sized>(
    store: &mut S,
    collection: &Collection,
    rx: mpsc::Receiver<Batch>,
) -> Result<IngestReport> {
    let mut report = IngestReport::default();
    let mut objects = Vec::new();
    for batch in rx {
        let (incoming, positions): (Vec<Incoming>, Vec<Option<usize>>) = batch.into_iter().unzip();
        objects.clear();
        objects.extend(incoming);
        let outcomes = store.add_batch(collection, &objects)?;
        for ((obj, index), outcome) in objects.iter().zip(positions).zip(outcomes) {
            match outcome {
                AddOutcome::Added { .. } => report.added += 1,
                AddOutcome::Unchanged => report.unchanged += 1,
                AddOutcome::Refused { reason } => report.reject(index, Some(obj.id.clone()), vec![reason]),
            }
        }
    }
    Ok(report)
}

/// What became of one object of a request-sized ingest.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectOutcome {
    pub index: Option<usize>,
    pub id: Option<String>,
    /// The object's `modified` (or `created`) as written, when it has one.
    pub version: Option<String>,
    /// None when stored (or already there); the reason otherwise.
    pub failure: Option<String>,
}

/// Why a request-sized ingest did nothing.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The body is not STIX content (a bundle, envelope, object or list of objects).
    #[error("{0}")]
    Unusable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Validate and store the objects of a request body (a TAXII envelope, a bundle...) in one
/// transaction (TAXII POST, partner sync): each object's outcome comes back, in order.
pub fn ingest_request<S: Store + ?Sized>(
    store: &mut S,
    collection: &Collection,
    body: &[u8],
) -> std::result::Result<Vec<ObjectOutcome>, RequestError> {
    let mut session = Session::new();
    let mut outcomes = Vec::new();
    let mut batch = Vec::new();
    let mut batch_at = Vec::new();
    pacto_stix::read_objects_from_slice(body, |raw| {
        let default_version = if raw.bundle_spec_version == Some("2.0") { SpecVersion::V20 } else { SpecVersion::V21 };
        let checked = session.check(raw.raw, Location { index: raw.index, path: raw.path, default_version });
        let text =
            |v: &Option<Value>, k: &str| v.as_ref().and_then(|v| v.get(k)).and_then(Value::as_str).map(str::to_string);
        let id = text(&checked.value, "id");
        let version = text(&checked.value, "modified").or_else(|| text(&checked.value, "created"));
        let mut outcome = ObjectOutcome { index: raw.index, id, version, failure: None };
        match checked.value {
            Some(value) if checked.verdict.errors == 0 => match StixObject::from_parts(raw.raw.to_owned(), value) {
                Ok(object) => {
                    batch.push(Incoming::new(&object, checked.verdict.version));
                    batch_at.push(outcomes.len());
                }
                Err(e) => outcome.failure = Some(e.to_string()),
            },
            _ => {
                let reasons: Vec<String> = session
                    .findings()
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .map(|f| format!("{} [{}] {}", f.path, f.rule, f.message))
                    .collect();
                outcome.failure = Some(reasons.join("; "));
            }
        }
        outcomes.push(outcome);
        Ok::<(), std::convert::Infallible>(())
    })
    .map_err(|e| RequestError::Unusable(e.to_string()))?;
    if !batch.is_empty() {
        let results = store.add_batch(collection, &batch)?;
        for (at, result) in batch_at.into_iter().zip(results) {
            if let AddOutcome::Refused { reason } = result {
                outcomes[at].failure = Some(reason);
            }
        }
    }
    Ok(outcomes)
}
