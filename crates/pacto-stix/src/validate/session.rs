//! [`Session`]: the objects of one file (or one request) in order, and the rules that span
//! objects (a UUID used for two types).

use serde_json::Value;

use super::{Finding, Location, Severity, Verdict, validate_object};
use crate::id::parse_id;

/// Validates the objects of one file (or one request) in order: each object on its own, plus
/// the rules that span objects. Keeps its findings until the next object.
#[derive(Default)]
pub struct Session {
    /// UUID (folded to 64 bits) → hash of the type it was first seen with (bounded, see
    /// [`MAX_TRACKED_UUIDS`]). Folding keeps the table at ~34 MB; two distinct UUIDs folding
    /// alike among a million is a one-in-ten-million chance.
    uuids: std::collections::HashMap<u64, u32>,
    findings: Vec<Finding>,
}

/// What [`Session::check`] concluded about one object.
pub struct Checked {
    /// The parsed object (None when the text could not be parsed as one JSON value).
    pub value: Option<Value>,
    pub verdict: Verdict,
}

/// How many UUIDs a session remembers for the reuse rule; objects past that are still checked
/// against the ones remembered.
pub const MAX_TRACKED_UUIDS: usize = 1_000_000;

impl Session {
    pub fn new() -> Self {
        Self::default()
    }

    /// The findings about the last object checked.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Parse and validate one object's raw text.
    pub fn check(&mut self, raw: &serde_json::value::RawValue, loc: Location<'_>) -> Checked {
        self.findings.clear();
        let (value, dups) = match crate::json::parse_object(raw) {
            Ok(parsed) => parsed,
            Err(message) => {
                self.findings.push(Finding {
                    severity: Severity::Error,
                    index: loc.index,
                    id: None,
                    path: loc.path.to_string(),
                    rule: "json",
                    message,
                });
                let verdict = Verdict { errors: 1, warnings: 0, version: loc.default_version };
                return Checked { value: None, verdict };
            }
        };
        let mut verdict = validate_object(&value, loc, &mut self.findings);
        let id = value.get("id").and_then(Value::as_str);
        for d in dups {
            self.findings.push(Finding {
                severity: Severity::Error,
                index: loc.index,
                id: id.map(str::to_string),
                path: format!("{}{d}", loc.path),
                rule: "duplicate-key",
                message: "this member appears more than once in its object (I-JSON forbids duplicate names)".into(),
            });
            verdict.errors += 1;
        }
        if let (Some(id), Some(ty)) = (id, value.get("type").and_then(Value::as_str))
            && let Ok((id_type, uuid)) = parse_id(id)
            && id_type == ty
            && let Ok(full) = u128::from_str_radix(&uuid.replace('-', ""), 16)
        {
            let key = (full as u64) ^ ((full >> 64) as u64);
            let th = fnv32(ty);
            match self.uuids.get(&key) {
                Some(&seen) if seen != th => {
                    self.findings.push(Finding {
                        severity: Severity::Error,
                        index: loc.index,
                        id: Some(id.to_string()),
                        path: format!("{}.id", loc.path),
                        rule: "uuid-reuse",
                        message: "this UUID already identifies an object of another type; a UUID must not be reused across types".into(),
                    });
                    verdict.errors += 1;
                }
                Some(_) => {}
                None if self.uuids.len() < MAX_TRACKED_UUIDS => {
                    self.uuids.insert(key, th);
                }
                None => {}
            }
        }
        Checked { value: Some(value), verdict }
    }
}

fn fnv32(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}
