//! `pacto-stix`: STIX 2.1 content for the pacto node.
//!
//! - [`bundle`]: a streaming reader that hands out one object at a time, as raw JSON text.
//! - [`object`]: [`StixObject`], lossless (keeps the received text) with typed access.
//! - [`validate`]: the spec's MUST rules (errors) and SHOULD rules (warnings), each finding
//!   located by object index, id and JSON path.
//! - [`schema`]: the per-type property tables the validator walks.
//! - [`tlp`]: TLP 2.0 marking definitions, built in.
//! - [`firearm`]: pacto's `x-firearm` extension (a new SCO type), known to the validator.
//! - [`timestamp`], [`id`]: the STIX timestamp and identifier forms.
//! - [`json`]: parsing an object while noticing duplicate member names.
//!
//! This crate does no I/O of its own: callers hand it a reader or bytes.

pub mod bundle;
pub mod facts;
pub mod firearm;
pub mod id;
pub mod json;
pub mod object;
pub mod schema;
pub mod timestamp;
pub mod tlp;
pub mod validate;

pub use bundle::{Envelope, RawObject, ReadError, read_objects, read_objects_from_slice};
pub use facts::{Facts, Filter};
pub use object::{ObjectError, StixObject};
pub use timestamp::Timestamp;
pub use tlp::Tlp;
pub use validate::{Checked, Finding, Location, Session, Severity, SpecVersion, Verdict, validate_object};
