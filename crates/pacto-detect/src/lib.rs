//! Indicators against observations.
//!
//! - [`Detector`]: the in-memory engine. Indicators go in ([`Detector::indicator`]) and are
//!   compiled into a [`pacto_pattern::PatternSet`]; observations go in ([`Detector::observe`])
//!   and come out as [`Match`]es. Patterns of one observation expression are decided by each
//!   observation alone; patterns of several keep a bounded window of the observations that
//!   satisfy one of their parts, and report a match when a new observation completes one.
//! - [`sighting`]: a match as a STIX 2.1 sighting (`sighting_of_ref` the indicator,
//!   `observed_data_refs` the observations), with an id derived from both.
//! - [`Hunter`]: the node's loop. It follows the collections a [`Setup`] names in date_added
//!   order, so objects that arrive by TAXII POST, `pacto import` or partner sync are all seen,
//!   and writes each page's sightings together with its cursor: after a crash, matching resumes
//!   where it stopped, without loss or repeat.

mod detector;
mod hunter;
mod sighting;

pub use detector::{Detector, IndicatorOutcome, Match, OwnedObservation};
pub use hunter::{Hunter, Setup, StepReport};
pub use sighting::{identity, sighting};
