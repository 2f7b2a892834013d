//! The in-memory engine: compiled indicators, and windows for patterns that span observations.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use pacto_pattern::{Candidates, Observation, Pattern, PatternSet, Syntax};
use serde_json::Value;

/// An observed-data object with the objects it references, owned (so it can wait in a window).
#[derive(Debug, Clone)]
pub struct OwnedObservation {
    pub id: String,
    pub first_observed: String,
    pub last_observed: String,
    pub observed_data: Value,
    /// The referenced objects by id (STIX 2.1 `object_refs`; empty for 2.0 embedded objects).
    pub referenced: Vec<(String, Value)>,
}

impl OwnedObservation {
    /// Take an observed-data object, resolving its `object_refs` with `resolve`.
    pub fn new(od: &Value, resolve: impl Fn(&str) -> Option<Value>) -> Self {
        let text = |k: &str| od.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let referenced = if od.get("objects").is_some() {
            Vec::new()
        } else {
            od.get("object_refs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter_map(|r| resolve(r).map(|o| (r.to_string(), o)))
                .collect()
        };
        OwnedObservation {
            id: text("id"),
            first_observed: text("first_observed"),
            last_observed: text("last_observed"),
            observed_data: od.clone(),
            referenced,
        }
    }

    pub fn view(&self) -> Result<Observation<'_>, pacto_pattern::ObservationError> {
        Observation::from_observed_data(&self.observed_data, |r| {
            self.referenced.iter().find(|(k, _)| k == r).map(|(_, v)| v)
        })
    }
}

/// An indicator matched: which observations satisfied its pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub indicator: String,
    /// The observed-data ids of the binding.
    pub observed: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    /// Sightings counted over the observations (their `number_observed`, summed).
    pub count: u64,
}

/// What [`Detector::indicator`] did with an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndicatorOutcome {
    /// Compiled and in force (replacing any earlier version).
    Compiled,
    /// Revoked: its pattern no longer matches.
    Removed,
    /// Not an indicator with a STIX pattern (another pattern_type, or another type).
    Skipped,
    /// An older version than the one in force.
    Stale,
    /// The pattern does not parse.
    Invalid(String),
}

#[derive(Default)]
struct Window {
    slots: VecDeque<Arc<OwnedObservation>>,
}

/// Compiled indicators and the state of their multi-observation patterns.
pub struct Detector {
    set: PatternSet,
    /// The `modified` of the version in force, per indicator id.
    versions: HashMap<String, String>,
    windows: HashMap<usize, Window>,
    window_cap: usize,
    scratch: Candidates,
    /// Observations evaluated, and expressions evaluated for them (to watch the index work).
    pub observed: u64,
    pub evaluated: u64,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new(1000)
    }
}

impl Detector {
    /// `window_cap`: how many candidate observations each multi-observation pattern keeps.
    pub fn new(window_cap: usize) -> Self {
        Detector {
            set: PatternSet::new(),
            versions: HashMap::new(),
            windows: HashMap::new(),
            window_cap: window_cap.max(1),
            scratch: Candidates::default(),
            observed: 0,
            evaluated: 0,
        }
    }

    pub fn indicators(&self) -> usize {
        self.set.len()
    }

    pub fn patterns(&self) -> &PatternSet {
        &self.set
    }

    /// Take an indicator (any version; the newest `modified` wins).
    pub fn indicator(&mut self, obj: &Value) -> IndicatorOutcome {
        let text = |k: &str| obj.get(k).and_then(Value::as_str);
        if text("type") != Some("indicator") {
            return IndicatorOutcome::Skipped;
        }
        let Some(id) = text("id") else { return IndicatorOutcome::Skipped };
        let v20 = text("spec_version").is_none();
        if !v20 && text("pattern_type") != Some("stix") {
            return IndicatorOutcome::Skipped;
        }
        let modified = text("modified").unwrap_or_default().to_string();
        if let Some(current) = self.versions.get(id)
            && pacto_pattern::time::parse(current) > pacto_pattern::time::parse(&modified)
        {
            return IndicatorOutcome::Stale;
        }
        self.versions.insert(id.to_string(), modified);
        if let Some(slot) = self.set.slot_of(id) {
            self.windows.remove(&slot);
        }
        if obj.get("revoked").and_then(Value::as_bool) == Some(true) {
            self.set.remove(id);
            return IndicatorOutcome::Removed;
        }
        let syntax = if v20 { Syntax::V20 } else { Syntax::V21 };
        match Pattern::parse_with(text("pattern").unwrap_or_default(), syntax) {
            Ok(p) if !p.unusable().is_empty() => {
                self.set.remove(id);
                IndicatorOutcome::Invalid(p.unusable().join("; "))
            }
            Ok(p) => {
                self.set.insert(id, p);
                IndicatorOutcome::Compiled
            }
            Err(e) => {
                self.set.remove(id);
                IndicatorOutcome::Invalid(e.to_string())
            }
        }
    }

    /// Match one observation. Returns the matches it makes or completes.
    pub fn observe(&mut self, obs: OwnedObservation) -> Result<Vec<Match>, pacto_pattern::ObservationError> {
        let view = obs.view()?;
        self.observed += 1;
        self.set.candidates(&view, &mut self.scratch);
        self.evaluated += self.scratch.evaluated as u64;
        let mut slots: Vec<usize> = self.scratch.hits.iter().map(|&(s, _)| s).collect();
        slots.sort_unstable();
        slots.dedup();
        drop(view);
        let obs = Arc::new(obs);
        let mut out = Vec::new();
        for slot in slots {
            let Some((id, pattern)) = self.set.get(slot) else { continue };
            if pattern.is_single_observation() {
                let view = obs.view()?;
                if let Ok(Some(_)) = pattern.matches(std::slice::from_ref(&view)) {
                    out.push(match_of(id, &[obs.as_ref()], &[0]));
                }
                continue;
            }
            let w = self.windows.entry(slot).or_default();
            if w.slots.len() >= self.window_cap {
                w.slots.pop_front();
            }
            w.slots.push_back(obs.clone());
            let views: Vec<Observation<'_>> = w.slots.iter().filter_map(|o| o.view().ok()).collect();
            match pattern.matches_including(&views, views.len() - 1) {
                Ok(Some(binding)) => {
                    let all: Vec<&OwnedObservation> = w.slots.iter().map(Arc::as_ref).collect();
                    out.push(match_of(id, &all, &binding));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(indicator = id, error = %e, "pattern too costly; observation skipped for it"),
            }
        }
        Ok(out)
    }
}

fn match_of(indicator: &str, obs: &[&OwnedObservation], binding: &[usize]) -> Match {
    let chosen: Vec<&OwnedObservation> = binding.iter().map(|&i| obs[i]).collect();
    let by_time = |s: &String| pacto_pattern::time::parse(s);
    let first_seen = chosen.iter().map(|o| &o.first_observed).min_by_key(|s| by_time(s)).cloned().unwrap_or_default();
    let last_seen = chosen.iter().map(|o| &o.last_observed).max_by_key(|s| by_time(s)).cloned().unwrap_or_default();
    let count = chosen
        .iter()
        .map(|o| o.observed_data.get("number_observed").and_then(Value::as_u64).unwrap_or(1))
        .sum::<u64>()
        .min(999_999_999);
    Match {
        indicator: indicator.to_string(),
        observed: chosen.iter().map(|o| o.id.clone()).collect(),
        first_seen,
        last_seen,
        count,
    }
}
