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
    /// The version in force again, or a new version with the same pattern.
    Unchanged,
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
    /// The `modified` and pattern of the version in force, per indicator id.
    versions: HashMap<String, (String, String)>,
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
        let modified = text("modified").unwrap_or_default().to_string();
        let pattern = text("pattern").unwrap_or_default().to_string();
        if let Some((current, current_pattern)) = self.versions.get(id) {
            let (now, new) = (pacto_pattern::time::parse(current), pacto_pattern::time::parse(&modified));
            if now > new {
                return IndicatorOutcome::Stale;
            }
            // The same version again (a second collection, a restart), or a new version with the
            // same pattern: nothing to recompile, and the pattern's window is kept.
            let revoked = obj.get("revoked").and_then(Value::as_bool) == Some(true);
            if now == new || (*current_pattern == pattern && !revoked && self.set.slot_of(id).is_some()) {
                self.versions.insert(id.to_string(), (modified, pattern));
                return IndicatorOutcome::Unchanged;
            }
        }
        self.versions.insert(id.to_string(), (modified, pattern.clone()));
        if let Some(slot) = self.set.slot_of(id) {
            self.windows.remove(&slot);
        }
        // A newer version that is revoked or not a STIX pattern takes the old one out of force.
        let v20 = text("spec_version").is_none();
        if obj.get("revoked").and_then(Value::as_bool) == Some(true) {
            self.set.remove(id);
            return IndicatorOutcome::Removed;
        }
        if !v20 && text("pattern_type") != Some("stix") {
            self.set.remove(id);
            return IndicatorOutcome::Skipped;
        }
        let syntax = if v20 { Syntax::V20 } else { Syntax::V21 };
        match Pattern::parse_with(&pattern, syntax) {
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

    /// Put an observation already matched (before a restart) into the windows of the patterns
    /// over several observations that it takes part in, without reporting matches.
    pub fn warm(&mut self, obs: OwnedObservation) -> Result<(), pacto_pattern::ObservationError> {
        let view = obs.view()?;
        self.set.candidates(&view, &mut self.scratch);
        drop(view);
        let obs = Arc::new(obs);
        for slot in self.scratch.slots() {
            if self.set.get(slot).is_some_and(|(_, p)| !p.is_single_observation()) {
                push_window(&mut self.windows, self.window_cap, slot, obs.clone());
            }
        }
        Ok(())
    }

    /// The widest time any pattern over several observations can span (None: unbounded, or no
    /// such pattern — see [`Detector::has_windows`]).
    pub fn horizon(&self) -> Option<i128> {
        self.set
            .iter()
            .filter(|(_, _, p)| !p.is_single_observation())
            .map(|(_, _, p)| p.horizon())
            .try_fold(0i128, |acc, h| h.map(|h| acc.max(h)))
    }

    /// Whether some pattern needs a window of past observations.
    pub fn has_windows(&self) -> bool {
        self.set.iter().any(|(_, _, p)| !p.is_single_observation())
    }

    /// Match one observation. Returns the matches it makes or completes.
    pub fn observe(&mut self, obs: OwnedObservation) -> Result<Vec<Match>, pacto_pattern::ObservationError> {
        let view = obs.view()?;
        self.observed += 1;
        self.set.candidates(&view, &mut self.scratch);
        self.evaluated += self.scratch.evaluated as u64;
        let slots = self.scratch.slots();
        drop(view);
        let obs = Arc::new(obs);
        let mut out = Vec::new();
        for slot in slots {
            let Some((id, pattern)) = self.set.get(slot) else { continue };
            if pattern.is_single_observation() {
                // One bracketed expression: the candidates already found it holds.
                let matched = pattern.is_one_expression() || {
                    let view = obs.view()?;
                    matches!(pattern.matches(std::slice::from_ref(&view)), Ok(Some(_)))
                };
                if matched {
                    out.push(match_of(id, &[obs.as_ref()], &[0]));
                }
                continue;
            }
            let w = push_window(&mut self.windows, self.window_cap, slot, obs.clone());
            let views: Vec<Observation<'_>> = w.slots.iter().map(|o| o.view()).collect::<Result<_, _>>()?;
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

/// Add an observation to a pattern's window (capped, oldest out first).
fn push_window(windows: &mut HashMap<usize, Window>, cap: usize, slot: usize, obs: Arc<OwnedObservation>) -> &Window {
    let w = windows.entry(slot).or_default();
    // A newer version of an observed-data replaces the older one: one observation, once.
    w.slots.retain(|o| o.id != obs.id);
    if w.slots.len() >= cap {
        w.slots.pop_front();
    }
    w.slots.push_back(obs);
    w
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ind(pattern: &str, modified: &str, pattern_type: &str) -> Value {
        json!({"type": "indicator", "spec_version": "2.1", "id": "indicator--1", "modified": modified,
               "pattern": pattern, "pattern_type": pattern_type})
    }

    fn obs(id: &str, at: &str, modified: &str, value: &str) -> OwnedObservation {
        let od = json!({"type": "observed-data", "id": id, "modified": modified, "first_observed": at, "last_observed": at,
                        "number_observed": 1, "objects": {"0": {"type": "x-thing", "v": value}}});
        OwnedObservation::new(&od, |_| None)
    }

    #[test]
    fn the_same_version_again_keeps_the_window() {
        let mut d = Detector::default();
        let p = "[x-thing:v = 'a'] FOLLOWEDBY [x-thing:v = 'b']";
        assert_eq!(d.indicator(&ind(p, "2024-01-01T00:00:00Z", "stix")), IndicatorOutcome::Compiled);
        assert!(
            d.observe(obs("observed-data--1", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "a")).unwrap().is_empty()
        );
        assert_eq!(d.indicator(&ind(p, "2024-01-01T00:00:00Z", "stix")), IndicatorOutcome::Unchanged);
        assert_eq!(d.indicator(&ind(p, "2024-02-01T00:00:00Z", "stix")), IndicatorOutcome::Unchanged, "same pattern");
        let m = d.observe(obs("observed-data--2", "2024-01-01T00:01:00Z", "2024-01-01T00:00:00Z", "b")).unwrap();
        assert_eq!(m.len(), 1, "the first half, seen before the re-delivery, still counts");
        assert_eq!(d.indicator(&ind(p, "2023-01-01T00:00:00Z", "stix")), IndicatorOutcome::Stale);
    }

    #[test]
    fn a_new_version_of_an_observation_replaces_the_old_one() {
        let mut d = Detector::default();
        d.indicator(&ind("[x-thing:v = 'a'] REPEATS 2 TIMES", "2024-01-01T00:00:00Z", "stix"));
        assert!(
            d.observe(obs("observed-data--1", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "a")).unwrap().is_empty()
        );
        let again = d.observe(obs("observed-data--1", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "a")).unwrap();
        assert!(again.is_empty(), "one observed-data in two versions is one observation");
        assert_eq!(
            d.observe(obs("observed-data--2", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "a")).unwrap().len(),
            1
        );
    }

    #[test]
    fn a_newer_version_that_is_not_stix_or_is_revoked_ends_the_old_pattern() {
        let mut d = Detector::default();
        d.indicator(&ind("[x-thing:v = 'a']", "2024-01-01T00:00:00Z", "stix"));
        assert_eq!(d.indicators(), 1);
        assert_eq!(d.indicator(&ind("title: x", "2024-02-01T00:00:00Z", "sigma")), IndicatorOutcome::Skipped);
        assert_eq!(d.indicators(), 0);
        d.indicator(&ind("[x-thing:v = 'a']", "2024-03-01T00:00:00Z", "stix"));
        let mut revoked = ind("[x-thing:v = 'a']", "2024-04-01T00:00:00Z", "stix");
        revoked["revoked"] = json!(true);
        assert_eq!(d.indicator(&revoked), IndicatorOutcome::Removed);
        assert!(
            d.observe(obs("observed-data--1", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "a")).unwrap().is_empty()
        );
        assert_eq!(d.patterns().stats().value_anchors, 0, "removed patterns leave no postings");
    }
}
