//! Ingest: validate objects one at a time and store the valid ones in batched transactions.
//!
//! Used by `pacto import` and, later, by the TAXII server's POST and partner sync. Invalid
//! objects are rejected with their findings and never stored; valid ones are written in
//! batches, each batch one transaction, so a crash loses at most the batch in flight and a
//! rerun adds it (everything already stored comes back as unchanged).

use pacto_stix::validate::{self, Finding, Location, Severity, SpecVersion};
use pacto_stix::{RawObject, StixObject};
use serde::Serialize;
use serde_json::Value;

use crate::{AddOutcome, Collection, Incoming, Result, Store};

/// How many rejections keep their full details in the report (the rest are only counted).
const MAX_REJECTION_DETAILS: usize = 1000;

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

/// An ingest in progress into one collection.
pub struct Ingest<'s, S: Store + ?Sized> {
    store: &'s mut S,
    collection: Collection,
    batch_size: usize,
    batch: Vec<Incoming>,
    batch_pos: Vec<Option<usize>>,
    findings: Vec<Finding>,
    report: IngestReport,
}

impl<'s, S: Store + ?Sized> Ingest<'s, S> {
    pub fn new(store: &'s mut S, collection: Collection, batch_size: usize) -> Self {
        let batch_size = batch_size.max(1);
        Ingest {
            store,
            collection,
            batch_size,
            batch: Vec::with_capacity(batch_size),
            batch_pos: Vec::with_capacity(batch_size),
            findings: Vec::new(),
            report: IngestReport::default(),
        }
    }

    /// Validate one object and queue it; writes a batch when one is full.
    pub fn offer(&mut self, raw: RawObject<'_>) -> Result<()> {
        self.report.read += 1;
        let default_version = match raw.bundle_spec_version {
            Some("2.0") => SpecVersion::V20,
            _ => SpecVersion::V21,
        };
        let value: Value = match serde_json::from_str(raw.raw.get()) {
            Ok(v) => v,
            Err(e) => {
                self.reject(
                    raw.index,
                    None,
                    vec![format!("{}: not JSON: {e}", raw.path)],
                );
                return Ok(());
            }
        };
        self.findings.clear();
        let verdict = validate::validate_object(
            &value,
            Location {
                index: raw.index,
                path: raw.path,
                default_version,
            },
            &mut self.findings,
        );
        self.report.warnings += verdict.warnings as u64;
        if verdict.errors > 0 {
            let id = value.get("id").and_then(Value::as_str).map(str::to_string);
            let reasons = self
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| format!("{} [{}] {}", f.path, f.rule, f.message))
                .collect();
            self.reject(raw.index, id, reasons);
            return Ok(());
        }
        match StixObject::from_parts(raw.raw.to_owned(), value) {
            Ok(object) => {
                self.batch.push(Incoming {
                    object,
                    spec_version: verdict.version,
                });
                self.batch_pos.push(raw.index);
            }
            Err(e) => self.reject(raw.index, None, vec![format!("{}: {e}", raw.path)]),
        }
        if self.batch.len() >= self.batch_size {
            self.flush()?;
        }
        Ok(())
    }

    fn reject(&mut self, index: Option<usize>, id: Option<String>, reasons: Vec<String>) {
        self.report.rejected += 1;
        if self.report.rejections.len() < MAX_REJECTION_DETAILS {
            self.report
                .rejections
                .push(Rejection { index, id, reasons });
        }
    }

    /// Write the queued objects in one transaction.
    pub fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let outcomes = self.store.add_batch(&self.collection, &self.batch)?;
        let batch = std::mem::take(&mut self.batch);
        let positions = std::mem::take(&mut self.batch_pos);
        for ((incoming, index), outcome) in batch.into_iter().zip(positions).zip(outcomes) {
            match outcome {
                AddOutcome::Added { .. } => self.report.added += 1,
                AddOutcome::Unchanged => self.report.unchanged += 1,
                AddOutcome::Refused { reason } => {
                    self.reject(index, Some(incoming.object.id().to_string()), vec![reason])
                }
            }
        }
        self.batch.reserve(self.batch_size);
        self.batch_pos.reserve(self.batch_size);
        Ok(())
    }

    /// The report so far.
    pub fn report(&self) -> &IngestReport {
        &self.report
    }

    /// Write what is queued and return the report.
    pub fn finish(mut self) -> Result<IngestReport> {
        self.flush()?;
        Ok(self.report)
    }
}
