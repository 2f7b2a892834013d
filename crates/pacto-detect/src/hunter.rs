//! The node's matching loop over its store.

use std::collections::HashMap;

use pacto_stix::{SpecVersion, StixObject};
use pacto_store::{Collection, Incoming, Query, Result, StoreError, Versions, prelude::*};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Detector, IndicatorOutcome, OwnedObservation, sighting};

const SETUP_KEY: &str = "detect.setup";

/// Which collections hold the indicators to apply, which the observations to match, and where
/// sightings go. Kept in the node's database (`pacto detect setup`). A name ending in `*` is a
/// prefix (`inbound.*`: every partner's inbound collection, including partners added later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    pub indicators: Vec<String>,
    pub observations: Vec<String>,
    pub sightings: String,
    /// The identity (id) sightings name as their creator and where they were sighted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sighted_by: Option<String>,
}

impl Setup {
    pub fn load<S: Store + ?Sized>(store: &S) -> Result<Option<Setup>> {
        match store.setting(SETUP_KEY)? {
            Some(text) => {
                serde_json::from_str(&text).map(Some).map_err(|e| StoreError::Corrupt(format!("detection setup: {e}")))
            }
            None => Ok(None),
        }
    }

    pub fn save<S: Store + ?Sized>(&self, store: &mut S) -> Result<()> {
        let text = serde_json::to_string(self).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        store.add_with_settings(None, &[], &[(SETUP_KEY.to_string(), text)], &[])?;
        Ok(())
    }
}

fn cursor_key(collection: &str) -> String {
    format!("detect.cursor.{collection}")
}

/// How far detection has come (`pacto detect status`), counted from the store.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SetupCounts {
    /// Per indicator collection (names expanded): its indicators (by latest version).
    pub indicators: Vec<(String, u64)>,
    /// Per observation collection: its observed-data versions, and how many of them detection
    /// has not read yet (after its cursor).
    pub observations: Vec<(String, u64, u64)>,
    /// Sightings in the sightings collection (by latest version).
    pub sightings: u64,
}

impl Setup {
    /// Count what this setup covers now.
    pub fn counts<S: Store + ?Sized>(&self, store: &S) -> Result<SetupCounts> {
        let by_type = |c: &Collection, t: &str| -> Result<u64> {
            Ok(store.stats(c)?.by_type.iter().find(|(name, _)| name == t).map_or(0, |(_, n)| *n))
        };
        let mut out = SetupCounts::default();
        for name in expand(store, &self.indicators)? {
            if let Some(c) = store.collection(&name)? {
                out.indicators.push((name, by_type(&c, "indicator")?));
            }
        }
        for name in expand(store, &self.observations)? {
            let Some(c) = store.collection(&name)? else { continue };
            let cursor = store.setting(&cursor_key(&name))?.and_then(|s| s.parse::<i64>().ok());
            let (mut total, mut pending) = (0u64, 0u64);
            let q = Query { types: vec!["observed-data".into()], versions: Versions::all(), ..Query::default() };
            store.scan(&c, &q, &mut |o| {
                total += 1;
                if cursor.is_none_or(|at| o.date_added > at) {
                    pending += 1;
                }
                Ok(())
            })?;
            out.observations.push((name, total, pending));
        }
        if let Some(c) = store.collection(&self.sightings)? {
            out.sightings = by_type(&c, "sighting")?;
        }
        Ok(out)
    }
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StepReport {
    pub indicators: u64,
    pub invalid_indicators: u64,
    pub observations: u64,
    pub unusable_observations: u64,
    /// Observed-data matched without some of the objects it references (never received).
    pub incomplete_observations: u64,
    pub sightings: u64,
    /// Whether a collection has more to read.
    pub more: bool,
}

impl StepReport {
    fn add(&mut self, o: &StepReport) {
        self.indicators += o.indicators;
        self.invalid_indicators += o.invalid_indicators;
        self.observations += o.observations;
        self.unusable_observations += o.unusable_observations;
        self.incomplete_observations += o.incomplete_observations;
        self.sightings += o.sightings;
        self.more = o.more;
    }
}

/// Follows the setup's collections and writes sightings.
pub struct Hunter {
    pub setup: Setup,
    pub detector: Detector,
    /// Whether the windows were refilled from the observations before the cursors.
    warmed: bool,
    /// Indicators are reloaded whole at start, so their cursors live in memory.
    indicator_cursors: HashMap<String, i64>,
}

fn collection<S: Store + ?Sized>(store: &S, name: &str) -> Result<Collection> {
    store.collection(name)?.ok_or_else(|| StoreError::NoSuchCollection(name.to_string()))
}

/// The collections some names (exact, or prefixes ending in `*`) stand for now.
fn expand<S: Store + ?Sized>(store: &S, names: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for n in names {
        match n.strip_suffix('*') {
            Some(prefix) => {
                for c in store.collections()? {
                    if c.name.starts_with(prefix) && !out.contains(&c.name) {
                        out.push(c.name);
                    }
                }
            }
            None if !out.contains(n) => out.push(n.clone()),
            None => {}
        }
    }
    Ok(out)
}

/// One page of a collection after `after`: the objects observations may need, the last
/// date_added read, and how many rows were read.
fn read_page<S: Store + ?Sized>(
    store: &S,
    c: &Collection,
    after: Option<i64>,
    page: usize,
) -> Result<(Vec<Value>, Option<i64>, usize)> {
    let q = Query { added_after: after, versions: Versions::all(), limit: Some(page), ..Query::default() };
    let mut objects: Vec<Value> = Vec::new();
    let mut last = None;
    let mut n = 0;
    store.scan(c, &q, &mut |o| {
        n += 1;
        last = Some(o.date_added);
        // Observed-data, and what it may reference; other objects play no part.
        if !matches!(o.type_name.as_str(), "indicator" | "sighting" | "relationship" | "report" | "note")
            && let Ok(v) = serde_json::from_str::<Value>(&o.raw)
        {
            objects.push(v);
        }
        Ok(())
    })?;
    Ok((objects, last, n))
}

/// The sightings whose ids are not yet in the sightings collection.
fn not_recorded<S: Store + ?Sized>(store: &S, out: &Collection, sightings: Vec<Incoming>) -> Result<Vec<Incoming>> {
    if sightings.is_empty() {
        return Ok(sightings);
    }
    let mut have = std::collections::HashSet::new();
    let q =
        Query { ids: sightings.iter().map(|s| s.id.clone()).collect(), versions: Versions::all(), ..Query::default() };
    store.scan(out, &q, &mut |o| {
        have.insert(o.id);
        Ok(())
    })?;
    Ok(sightings.into_iter().filter(|s| !have.contains(&s.id)).collect())
}

/// The observed-data of a page with the objects they reference (from the page, or one lookup in
/// the collection for those that arrived earlier). Counts each, and the incomplete ones.
fn observations_of_page<'v, S: Store + ?Sized>(
    store: &S,
    c: &Collection,
    objects: &'v [Value],
    report: &mut StepReport,
) -> Result<Vec<(&'v Value, OwnedObservation)>> {
    let by_id: HashMap<&str, &Value> =
        objects.iter().filter_map(|o| o.get("id").and_then(Value::as_str).map(|id| (id, o))).collect();
    let observed: Vec<&Value> =
        objects.iter().filter(|o| o.get("type").and_then(Value::as_str) == Some("observed-data")).collect();
    let mut missing: Vec<String> = Vec::new();
    for od in &observed {
        for r in od.get("object_refs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !by_id.contains_key(r) && !missing.iter().any(|m| m == r) {
                missing.push(r.to_string());
            }
        }
    }
    let mut fetched: HashMap<String, Value> = HashMap::new();
    if !missing.is_empty() {
        let q = Query { ids: missing, versions: Versions::last(), ..Query::default() };
        store.scan(c, &q, &mut |o| {
            if let Ok(v) = serde_json::from_str(&o.raw) {
                fetched.insert(o.id, v);
            }
            Ok(())
        })?;
    }
    let mut out = Vec::with_capacity(observed.len());
    for od in observed {
        report.observations += 1;
        let obs = OwnedObservation::new(od, |r| by_id.get(r).map(|v| (*v).clone()).or_else(|| fetched.get(r).cloned()));
        let refs = od.get("object_refs").and_then(Value::as_array).map_or(0, Vec::len);
        if obs.referenced.len() < refs {
            // Matched on the objects present; the missing ones were never received here.
            report.incomplete_observations += 1;
            let id = od.get("id").and_then(Value::as_str).unwrap_or_default();
            tracing::warn!(
                observed_data = id,
                missing = refs - obs.referenced.len(),
                "observed-data references objects this node does not hold"
            );
        }
        out.push((od, obs));
    }
    Ok(out)
}

/// How far back a restart refills the windows of patterns over several observations, at most.
const MAX_WARM_US: i64 = 24 * 3600 * 1_000_000;

impl Hunter {
    pub fn new(setup: Setup) -> Self {
        Hunter { setup, detector: Detector::default(), warmed: false, indicator_cursors: HashMap::new() }
    }

    /// Every new indicator (all of them, so that no observation is matched against a
    /// half-loaded set), then one page of new observations per collection with their sightings.
    pub fn step<S: Store + ?Sized>(&mut self, store: &mut S, page: usize) -> Result<StepReport> {
        let mut report = StepReport::default();
        self.load_indicators(store, page, &mut report)?;
        if !self.warmed {
            self.warm(store, page)?;
            self.warmed = true;
        }
        let out = collection(store, &self.setup.sightings)?;
        for name in expand(store, &self.setup.observations)? {
            let c = collection(store, &name)?;
            let key = cursor_key(&name);
            let before = store.setting(&key)?;
            let after = before.as_deref().and_then(|s| s.parse::<i64>().ok());
            let (objects, last, n) = read_page(store, &c, after, page)?;
            report.more |= n >= page;
            let Some(last) = last else { continue };
            let sightings = not_recorded(store, &out, self.match_page(store, &c, &objects, &mut report)?)?;
            // Compare and set: if another hunter (an import while serve runs) moved the cursor
            // meanwhile, this page's sightings are its to write.
            match store.add_with_settings(Some(&out), &sightings, &[(key.clone(), last.to_string())], &[(key, before)])
            {
                Ok(_) => report.sightings += sightings.len() as u64,
                Err(StoreError::Conflict(_)) => report.more = true,
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Refill the windows of patterns over several observations with the observations matched
    /// before the cursors (a restart, a new process), as far back as the widest such pattern can
    /// reach and at most a day; no matches are reported for them.
    fn warm<S: Store + ?Sized>(&mut self, store: &S, page: usize) -> Result<()> {
        if !self.detector.has_windows() {
            return Ok(());
        }
        let reach = self.detector.horizon().map_or(MAX_WARM_US, |ns| (ns / 1000).min(i128::from(MAX_WARM_US)) as i64);
        let mut warmed = 0u64;
        for name in expand(store, &self.setup.observations)? {
            let c = collection(store, &name)?;
            let Some(cursor) = store.setting(&cursor_key(&name))?.and_then(|s| s.parse::<i64>().ok()) else { continue };
            let mut after = Some(cursor.saturating_sub(reach));
            loop {
                let (objects, last, n) = read_page(store, &c, after, page)?;
                let Some(last) = last else { break };
                for (_, obs) in observations_of_page(store, &c, &objects, &mut StepReport::default())? {
                    if self.detector.warm(obs).is_ok() {
                        warmed += 1;
                    }
                }
                after = Some(last);
                if n < page || last >= cursor {
                    break;
                }
            }
        }
        tracing::info!(observations = warmed, "pattern windows refilled from recent observations");
        Ok(())
    }

    fn load_indicators<S: Store + ?Sized>(&mut self, store: &S, page: usize, report: &mut StepReport) -> Result<()> {
        for name in expand(store, &self.setup.indicators)? {
            let c = collection(store, &name)?;
            loop {
                let after = self.indicator_cursors.get(&name).copied();
                let q = Query {
                    added_after: after,
                    types: vec!["indicator".into()],
                    versions: Versions::all(),
                    limit: Some(page),
                    ..Query::default()
                };
                let mut last = after;
                let mut n = 0;
                store.scan(&c, &q, &mut |o| {
                    n += 1;
                    last = Some(o.date_added);
                    if let Ok(v) = serde_json::from_str::<Value>(&o.raw) {
                        match self.detector.indicator(&v) {
                            IndicatorOutcome::Compiled => report.indicators += 1,
                            IndicatorOutcome::Invalid(e) => {
                                report.invalid_indicators += 1;
                                tracing::warn!(indicator = %o.id, error = %e, "indicator pattern cannot be used");
                            }
                            _ => {}
                        }
                    }
                    Ok(())
                })?;
                if let Some(l) = last {
                    self.indicator_cursors.insert(name.clone(), l);
                }
                if n < page {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Match every observation already read (before the cursors) against the indicators in
    /// force, with a detector of its own, and add the sightings not yet recorded: for history,
    /// after new indicators arrive. Cursors are not moved.
    pub fn retro_hunt<S: Store + ?Sized>(
        &mut self,
        store: &mut S,
        page: usize,
        progress: &mut dyn FnMut(&StepReport),
    ) -> Result<StepReport> {
        let mut report = StepReport::default();
        self.load_indicators(store, page, &mut report)?;
        let out = collection(store, &self.setup.sightings)?;
        let mut retro = Hunter::new(self.setup.clone());
        retro.load_indicators(store, page, &mut StepReport::default())?;
        for name in expand(store, &self.setup.observations)? {
            let c = collection(store, &name)?;
            let mut after = None;
            loop {
                let (objects, last, n) = read_page(store, &c, after, page)?;
                let Some(last) = last else { break };
                let sightings = retro.match_page(store, &c, &objects, &mut report)?;
                let new = not_recorded(store, &out, sightings)?;
                store.add_with_settings(Some(&out), &new, &[], &[])?;
                report.sightings += new.len() as u64;
                progress(&report);
                after = Some(last);
                if n < page {
                    break;
                }
            }
        }
        Ok(report)
    }

    /// Step until every collection is read.
    pub fn catch_up<S: Store + ?Sized>(&mut self, store: &mut S, page: usize) -> Result<StepReport> {
        self.catch_up_with(store, page, &mut |_| {})
    }

    /// Step until every collection is read, telling `progress` the running totals after each step.
    pub fn catch_up_with<S: Store + ?Sized>(
        &mut self,
        store: &mut S,
        page: usize,
        progress: &mut dyn FnMut(&StepReport),
    ) -> Result<StepReport> {
        let mut total = StepReport::default();
        loop {
            let r = self.step(store, page)?;
            total.add(&r);
            progress(&total);
            if !r.more {
                return Ok(total);
            }
        }
    }

    pub(crate) fn match_page<S: Store + ?Sized>(
        &mut self,
        store: &S,
        c: &Collection,
        objects: &[Value],
        report: &mut StepReport,
    ) -> Result<Vec<Incoming>> {
        let now = pacto_stix::Timestamp::now().format(3);
        let mut out = Vec::new();
        for (od, obs) in observations_of_page(store, c, objects, report)? {
            match self.detector.observe(obs) {
                Ok(matches) => {
                    for m in matches {
                        let s = sighting(&m, &now, self.setup.sighted_by.as_deref());
                        match StixObject::from_value(s) {
                            Ok(obj) => out.push(Incoming::new(&obj, SpecVersion::V21)),
                            Err(e) => tracing::error!(indicator = %m.indicator, error = %e, "sighting not made"),
                        }
                    }
                }
                Err(e) => {
                    report.unusable_observations += 1;
                    let id = od.get("id").and_then(Value::as_str).unwrap_or_default();
                    tracing::warn!(observed_data = id, error = %e, "observed-data cannot be matched");
                }
            }
        }
        Ok(out)
    }
}
