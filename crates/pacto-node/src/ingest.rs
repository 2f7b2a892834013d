//! Ingest: validate objects one at a time and store the valid ones in batched transactions.
//!
//! Used by `pacto import` and the TAXII server's POST; partner sync checks what it receives
//! with the same [`check_object`]. Invalid
//! objects are rejected with their findings and never stored; valid ones are written in
//! batches, each batch one transaction, so a crash loses at most the batches in flight and a
//! rerun adds them (everything already stored comes back as unchanged).
//!
//! Parsing and validation run on the caller's thread while a writer thread stores the previous
//! batch: on two cores an import costs about the larger of the two, not their sum.

use std::sync::mpsc;

use pacto_stix::validate::{Location, Session, Severity, SpecVersion};
use pacto_stix::{RawObject, StixObject};
use pacto_store::{AddOutcome, Collection, Incoming, Result, Store, StoreError};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// How many rejections keep their full details in the report (the rest are only counted).
const MAX_REJECTION_DETAILS: usize = 1000;

/// How many warnings keep their details in the report (the rest are only counted).
const MAX_WARNING_DETAILS: usize = 20;

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
    /// The first warnings, each as `object N (ID): PATH [RULE] SENTENCE`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub first_warnings: Vec<String>,
    /// Details of the first rejections.
    pub rejections: Vec<Rejection>,
    /// Every object's outcome, in order (only for [`Ingest::run_tracked`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<ObjectOutcome>,
}

impl IngestReport {
    fn reject(&mut self, index: Option<usize>, id: Option<String>, reasons: Vec<String>) {
        self.rejected += 1;
        if self.rejections.len() < MAX_REJECTION_DETAILS {
            self.rejections.push(Rejection { index, id, reasons });
        }
    }
}

/// Queued objects: the object, its index in the input, and its slot in `outcomes` if tracked.
type Batch = Vec<(Incoming, Option<usize>, Option<usize>)>;

/// The caller's side of an ingest: hand it objects with [`Ingest::offer`].
pub struct Ingest {
    batch_size: usize,
    batch: Batch,
    checker: Checker,
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
        Self::run_with(store, collection, batch_size, false, feed)
    }

    /// As [`Ingest::run`], and the report lists every object's outcome in order.
    pub fn run_tracked<S, T, F>(
        store: &mut S,
        collection: &Collection,
        batch_size: usize,
        feed: F,
    ) -> Result<(IngestReport, T)>
    where
        S: Store + Send + ?Sized,
        F: FnOnce(&mut Ingest) -> T,
    {
        Self::run_with(store, collection, batch_size, true, feed)
    }

    fn run_with<S, T, F>(
        store: &mut S,
        collection: &Collection,
        batch_size: usize,
        track: bool,
        feed: F,
    ) -> Result<(IngestReport, T)>
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
                checker: Checker::new(track),
                to_writer: tx,
            };
            let fed = feed(&mut ingest);
            let sent = ingest.send();
            let Ingest { checker, to_writer, .. } = ingest;
            let mut report = checker.report;
            drop(to_writer);
            let written = writer.join().map_err(|_| StoreError::Other("the store writer thread panicked".into()))?;
            let (written, slots) = written?;
            sent?;
            for (slot, result) in slots {
                settle(&mut report.outcomes, slot, result);
            }
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
        if let Some(item) = self.checker.check(raw) {
            self.batch.push(item);
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
        &self.checker.report
    }
}

/// Validation of a sequence of objects: what may be stored, and the report of the rest.
struct Checker {
    session: Session,
    report: IngestReport,
    track: bool,
}

impl Checker {
    fn new(track: bool) -> Self {
        Checker { session: Session::new(), report: IngestReport::default(), track }
    }

    /// Validate one object: the version to store (with its input index and outcome slot), or
    /// None when it is rejected (recorded in the report).
    fn check(&mut self, raw: RawObject<'_>) -> Option<(Incoming, Option<usize>, Option<usize>)> {
        self.report.read += 1;
        let default_version = match raw.bundle_spec_version {
            Some("2.0") => SpecVersion::V20,
            _ => SpecVersion::V21,
        };
        let checked =
            check_object(&mut self.session, raw.raw, Location { index: raw.index, path: raw.path, default_version });
        let slot = self.track.then(|| {
            self.report.outcomes.push(ObjectOutcome {
                index: raw.index,
                id: checked.id.clone(),
                version: checked.version.clone(),
                failure: None,
            });
            self.report.outcomes.len() - 1
        });
        self.report.warnings += checked.warnings as u64;
        for w in
            checked.warning_details.iter().take(MAX_WARNING_DETAILS.saturating_sub(self.report.first_warnings.len()))
        {
            let at = match (raw.index, &checked.id) {
                (Some(i), Some(id)) => format!("object {i} ({id})"),
                (Some(i), None) => format!("object {i}"),
                (None, Some(id)) => id.clone(),
                (None, None) => "object".into(),
            };
            self.report.first_warnings.push(format!("{at}: {w}"));
        }
        match checked.result {
            Ok((object, version)) => Some((Incoming::new(&object, version), raw.index, slot)),
            Err(reasons) => {
                if let Some(slot) = slot {
                    self.report.outcomes[slot].failure = Some(reasons.join("; "));
                }
                self.report.reject(raw.index, checked.id, reasons);
                None
            }
        }
    }
}

/// One object checked by [`check_object`].
pub struct CheckedObject {
    /// Its `id`, when it has one.
    pub id: Option<String>,
    /// Its `modified` (else `created`) as written, when it has one.
    pub version: Option<String>,
    pub warnings: usize,
    /// The warnings, each as `PATH [RULE] SENTENCE`.
    pub warning_details: Vec<String>,
    /// The object and the STIX version it was judged by; or why it may not be stored (each
    /// error as `PATH [RULE] SENTENCE`).
    pub result: std::result::Result<(StixObject, SpecVersion), Vec<String>>,
}

/// Check one object as received (an import, a TAXII POST, a partner's sync page): parse it,
/// validate it within `session` (which carries the rules that span objects), and build the
/// object to store. Every path by which objects enter the node goes through here.
pub fn check_object(session: &mut Session, raw: &RawValue, at: Location<'_>) -> CheckedObject {
    let path = at.path;
    let checked = session.check(raw, at);
    let text = |k: &str| checked.value.as_ref().and_then(|v| v.get(k)).and_then(Value::as_str).map(str::to_string);
    let (id, version) = (text("id"), text("modified").or_else(|| text("created")));
    let warnings = checked.verdict.warnings;
    let warning_details = if warnings > 0 {
        session
            .findings()
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .map(|f| format!("{} [{}] {}", f.path, f.rule, f.message))
            .collect()
    } else {
        Vec::new()
    };
    let result = match checked.value {
        Some(value) if checked.verdict.errors == 0 => StixObject::from_parts(raw.to_owned(), value)
            .map(|object| (object, checked.verdict.version))
            .map_err(|e| vec![format!("{path}: {e}")]),
        _ => Err(session
            .findings()
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| format!("{} [{}] {}", f.path, f.rule, f.message))
            .collect()),
    };
    CheckedObject { id, version, warnings, warning_details, result }
}

/// Fill in what the store did with each tracked object.
fn settle(outcomes: &mut [ObjectOutcome], slot: usize, result: std::result::Result<i64, String>) {
    if let Some(o) = outcomes.get_mut(slot) {
        match result {
            // An object with neither modified nor created has its date_added as its TAXII version.
            Ok(date_added) if o.version.is_none() => {
                o.version = Some(pacto_stix::Timestamp::from_micros(date_added).format(6))
            }
            Ok(_) => {}
            Err(reason) => o.failure = Some(reason),
        }
    }
}

/// What the store did with a tracked object: its date_added, or why it refused it.
type SlotResult = (usize, std::result::Result<i64, String>);

/// The writer thread: stores batches as they come; returns its counts and, for tracked
/// objects, what the store did with each.
fn write_batches<S: Store + ?Sized>(
    store: &mut S,
    collection: &Collection,
    rx: mpsc::Receiver<Batch>,
) -> Result<(IngestReport, Vec<SlotResult>)> {
    let mut report = IngestReport::default();
    let mut slots = Vec::new();
    let mut objects = Vec::new();
    for batch in rx {
        objects.clear();
        let mut places = Vec::with_capacity(batch.len());
        for (incoming, index, slot) in batch {
            objects.push(incoming);
            places.push((index, slot));
        }
        let outcomes = store.add_batch(collection, &objects)?;
        for ((obj, (index, slot)), outcome) in objects.iter().zip(places).zip(outcomes) {
            match outcome {
                AddOutcome::Added { date_added } => {
                    report.added += 1;
                    slots.extend(slot.map(|s| (s, Ok(date_added))));
                }
                AddOutcome::Unchanged { date_added } => {
                    report.unchanged += 1;
                    slots.extend(slot.map(|s| (s, Ok(date_added))));
                }
                AddOutcome::Refused { reason } => {
                    slots.extend(slot.map(|s| (s, Err(reason.clone()))));
                    report.reject(index, Some(obj.id.clone()), vec![reason]);
                }
            }
        }
    }
    Ok((report, slots))
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
    /// More objects than the request may carry; `limit` is the cap.
    #[error("more than {limit} objects")]
    TooMany { limit: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A request body, validated and ready to store (see [`validate_request`]).
pub struct ValidatedRequest {
    /// The versions to store, in order.
    pub objects: Vec<Incoming>,
    slots: Vec<Option<usize>>,
    outcomes: Vec<ObjectOutcome>,
}

impl ValidatedRequest {
    /// Each object's outcome, given what the store did with [`ValidatedRequest::objects`].
    pub fn finish(mut self, stored: Vec<AddOutcome>) -> Vec<ObjectOutcome> {
        for (slot, outcome) in self.slots.into_iter().zip(stored) {
            let Some(slot) = slot else { continue };
            let result = match outcome {
                AddOutcome::Added { date_added } | AddOutcome::Unchanged { date_added } => Ok(date_added),
                AddOutcome::Refused { reason } => Err(reason),
            };
            settle(&mut self.outcomes, slot, result);
        }
        self.outcomes
    }
}

/// Validate the objects of a request body without storing them: the store work can then be
/// grouped with other requests' (group commit). A body that is not well-formed STIX content is
/// an error.
pub fn validate_request(body: &[u8], max_objects: usize) -> std::result::Result<ValidatedRequest, RequestError> {
    precheck(body, max_objects)?;
    let mut checker = Checker::new(true);
    let mut objects = Vec::new();
    let mut slots = Vec::new();
    pacto_stix::read_objects_from_slice(body, |raw| -> std::result::Result<(), StoreError> {
        if let Some((incoming, _, slot)) = checker.check(raw) {
            objects.push(incoming);
            slots.push(slot);
        }
        Ok(())
    })
    .map_err(|e| match e {
        pacto_stix::ReadError::Callback(e) => RequestError::Store(e),
        other => RequestError::Unusable(other.to_string()),
    })?;
    Ok(ValidatedRequest { objects, slots, outcomes: checker.report.outcomes })
}

/// One pass over a request body that builds nothing: it must be well-formed JSON (else nothing
/// changes), and it may carry at most `limit` objects (the elements of its `objects` list, or of
/// a bare list; a bare object is one), counted as they are skipped and refused at the first one
/// past the cap — so a body of millions of tiny objects costs no per-object state.
pub fn precheck(body: &[u8], limit: usize) -> std::result::Result<usize, RequestError> {
    let mut n = 0usize;
    let mut de = serde_json::Deserializer::from_slice(body);
    let read = serde::Deserializer::deserialize_any(&mut de, Top { n: &mut n, limit }).and_then(|()| de.end());
    match read {
        Ok(()) => Ok(n),
        Err(_) if n > limit => Err(RequestError::TooMany { limit }),
        Err(e) => {
            let msg = e.to_string();
            Err(RequestError::Unusable(
                msg.rfind(" at line ").map_or(msg.clone(), |p| format!("{}:{}: {}", e.line(), e.column(), &msg[..p])),
            ))
        }
    }
}

/// The top of a body: a map (an envelope or bundle, or a bare object) or a list of objects.
struct Top<'a> {
    n: &'a mut usize,
    limit: usize,
}

impl<'de> serde::de::Visitor<'de> for Top<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("STIX content")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> std::result::Result<(), A::Error> {
        let mut listed = false;
        while let Some(key) = m.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "objects" {
                listed = true;
                m.next_value_seed(Top { n: &mut *self.n, limit: self.limit })?;
            } else {
                m.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        if !listed {
            *self.n = 1;
        }
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
            *self.n += 1;
            if *self.n > self.limit {
                return Err(serde::de::Error::custom("too many objects"));
            }
        }
        Ok(())
    }
    // Anything else is not STIX content; the reader says so with its own words.
    fn visit_str<E: serde::de::Error>(self, _: &str) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Top<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Validate and store the objects of a request body (a TAXII envelope, a bundle...) —
/// TAXII POST, partner sync — and return each object's outcome, in order. A body that is not
/// well-formed STIX content stores nothing. Validation overlaps with the writes, as for imports.
pub fn ingest_request<S: Store + Send + ?Sized>(
    store: &mut S,
    collection: &Collection,
    body: &[u8],
    max_objects: usize,
) -> std::result::Result<Vec<ObjectOutcome>, RequestError> {
    precheck(body, max_objects)?;
    let (report, read) = Ingest::run_tracked(store, collection, 250, |ingest| {
        pacto_stix::read_objects_from_slice(body, |raw| ingest.offer(raw))
    })?;
    read.map_err(|e| match e {
        pacto_stix::ReadError::Callback(e) => RequestError::Store(e),
        other => RequestError::Unusable(other.to_string()),
    })?;
    Ok(report.outcomes)
}

#[cfg(test)]
mod tests {
    use super::{RequestError, precheck};

    #[test]
    fn objects_are_counted_up_to_the_limit() {
        let count = |b: &[u8], limit| match precheck(b, limit) {
            Ok(n) => Ok(n),
            Err(RequestError::TooMany { limit }) => Err(limit),
            Err(e) => panic!("{e}"),
        };
        assert_eq!(count(br#"{"objects":[{},{},{}]}"#, 3), Ok(3));
        assert_eq!(count(br#"{"type":"bundle","id":"bundle--x","objects":[{},{},{}]}"#, 2), Err(2));
        assert_eq!(count(br#"[{},{}]"#, 10), Ok(2));
        assert_eq!(count(br#"{"type":"indicator"}"#, 1), Ok(1));
        // A million empty objects stop at the first past the limit.
        let mut many = b"[".to_vec();
        many.extend("{},".repeat(1_000_000).as_bytes());
        many.extend(b"{}]");
        assert_eq!(count(&many, 10_000), Err(10_000));
        // Not well-formed: refused with where and why, whatever the count.
        for bad in [&b"[{},"[..], b"{\"objects\": [{}] x", b""] {
            assert!(matches!(precheck(bad, 10), Err(RequestError::Unusable(_))), "{}", String::from_utf8_lossy(bad));
        }
        let Err(RequestError::Unusable(why)) = precheck(b"{\"objects\": [{}, ]}", 10) else { panic!() };
        assert!(why.starts_with("1:"), "{why}");
    }
}
