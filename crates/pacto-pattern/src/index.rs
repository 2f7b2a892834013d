//! Many patterns at once.
//!
//! Each bracketed observation expression of each pattern is filed under *anchors*: facts an
//! observation must show for the expression to hold. An equality (`=` or `IN`, without `NOT`)
//! anchors on its path and value; `AND` anchors on its most selective side; `OR` on the union of
//! its sides; anything else on its object type. For an observation, the index computes the
//! anchors it shows (one hash probe per registered path and value) and evaluates only the
//! expressions filed under them. So 10,000 hash indicators cost about what 100 do.
//!
//! An expression is filed under a superset of what can make it hold, never a subset: the index
//! only ever skips expressions that cannot hold (tested against full evaluation).

use std::collections::HashMap;

use crate::Pattern;
use crate::ast::{CmpExpr, Literal, ObjectPath, ObsExpr, Op};
use crate::eval::{Scalar, Val, scalar, walk};
use crate::observation::Observation;

/// A value as the index files it: equal under the pattern's `=` means equal key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// Strings, and binary as the string of its bytes as U+0000..U+00FF (the spec's equality
    /// between the two).
    Str(String),
    /// Integers, and floats without a fraction.
    Int(i128),
    /// Other floats, by bit pattern.
    Float(u64),
    Bool(bool),
}

fn latin1_text(b: &[u8]) -> String {
    b.iter().map(|&c| char::from(c)).collect()
}

fn float_key(f: f64) -> Key {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e37 {
        Key::Int(f as i128)
    } else {
        Key::Float((f + 0.0).to_bits())
    }
}

fn literal_key(l: &Literal) -> Option<Key> {
    Some(match l {
        Literal::Str(s) => Key::Str(s.clone()),
        Literal::Bytes(b) => Key::Str(latin1_text(b)),
        Literal::Int(i) => Key::Int(*i),
        Literal::Float(f) => float_key(*f),
        Literal::Bool(b) => Key::Bool(*b),
        Literal::Time(..) => return None,
    })
}

fn scalar_key(s: &Scalar<'_>) -> Key {
    match s {
        Scalar::Str(t) => Key::Str((*t).to_string()),
        Scalar::Bytes(b) => Key::Str(latin1_text(b)),
        Scalar::Int(i) => Key::Int(*i),
        Scalar::Float(f) => float_key(*f),
        Scalar::Bool(b) => Key::Bool(*b),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Anchor {
    Value(u32, Key),
    Type(String),
}

/// Counts that show how the index is spread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    pub patterns: usize,
    pub expressions: usize,
    pub value_anchors: usize,
    pub type_anchors: usize,
    pub paths: usize,
}

struct Entry {
    id: String,
    pattern: Pattern,
    /// Where the pattern is filed, so that removing it frees its postings.
    anchors: Vec<Anchor>,
}

/// A set of patterns, indexed for matching observations.
#[derive(Default)]
pub struct PatternSet {
    entries: Vec<Option<Entry>>,
    by_id: HashMap<String, usize>,
    paths: Vec<ObjectPath>,
    path_ids: HashMap<ObjectPath, u32>,
    /// Registered paths per object type.
    type_paths: HashMap<String, Vec<u32>>,
    /// (pattern, leaf) per anchor.
    postings: HashMap<Anchor, Vec<(u32, u32)>>,
    live: usize,
}

/// Reusable scratch space for [`PatternSet::candidates`].
#[derive(Default)]
pub struct Candidates {
    seen: HashMap<(u32, u32), ()>,
    keys: Vec<Key>,
    /// (pattern, leaf) pairs whose expression holds for the observation.
    pub hits: Vec<(usize, usize)>,
    /// How many expressions were evaluated to find them.
    pub evaluated: usize,
}

impl Candidates {
    /// The patterns with at least one expression that holds, each once, in slot order.
    pub fn slots(&self) -> Vec<usize> {
        let mut slots: Vec<usize> = self.hits.iter().map(|&(s, _)| s).collect();
        slots.sort_unstable();
        slots.dedup();
        slots
    }
}

impl PatternSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Add a pattern under the caller's id (an indicator id); a pattern already under that id is
    /// replaced. Returns the pattern's slot.
    pub fn insert(&mut self, id: &str, pattern: Pattern) -> usize {
        self.remove(id);
        let slot = self.entries.len();
        let mut leaf = 0u32;
        let mut anchors = Vec::new();
        collect_leaves(pattern.expr(), &mut |test| {
            anchors.push((leaf, self.anchors(test)));
            leaf += 1;
        });
        let mut filed = Vec::new();
        for (leaf, set) in anchors {
            for a in set {
                self.postings.entry(a.clone()).or_default().push((slot as u32, leaf));
                filed.push(a);
            }
        }
        let mut seen = std::collections::HashSet::new();
        filed.retain(|a| seen.insert(a.clone()));
        self.entries.push(Some(Entry { id: id.to_string(), pattern, anchors: filed }));
        self.by_id.insert(id.to_string(), slot);
        self.live += 1;
        slot
    }

    /// Remove the pattern under `id`, if any, with its postings.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.by_id.remove(id) else { return false };
        if let Some(entry) = self.entries[slot].take() {
            for a in entry.anchors {
                if let Some(posts) = self.postings.get_mut(&a) {
                    posts.retain(|&(s, _)| s as usize != slot);
                    if posts.is_empty() {
                        self.postings.remove(&a);
                    }
                }
            }
        }
        self.live -= 1;
        true
    }

    pub fn get(&self, slot: usize) -> Option<(&str, &Pattern)> {
        self.entries.get(slot)?.as_ref().map(|e| (e.id.as_str(), &e.pattern))
    }

    pub fn slot_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, &str, &Pattern)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| (i, e.id.as_str(), &e.pattern)))
    }

    pub fn stats(&self) -> IndexStats {
        let mut s = IndexStats { patterns: self.live, paths: self.paths.len(), ..IndexStats::default() };
        for (a, p) in &self.postings {
            match a {
                Anchor::Value(..) => s.value_anchors += p.len(),
                Anchor::Type(_) => s.type_anchors += p.len(),
            }
        }
        s.expressions = self.iter().map(|(_, _, p)| p.observation_expressions()).sum();
        s
    }

    fn path_id(&mut self, p: &ObjectPath) -> u32 {
        if let Some(&id) = self.path_ids.get(p) {
            return id;
        }
        let id = self.paths.len() as u32;
        self.paths.push(p.clone());
        self.path_ids.insert(p.clone(), id);
        self.type_paths.entry(p.object_type.clone()).or_default().push(id);
        id
    }

    fn anchors(&mut self, e: &CmpExpr) -> Vec<Anchor> {
        match e {
            CmpExpr::Test(c) => {
                let keys: Option<Vec<Key>> = match &c.op {
                    _ if c.negated => None,
                    Op::Eq(l) => literal_key(l).map(|k| vec![k]),
                    Op::In(items) if !items.is_empty() => items.iter().map(literal_key).collect(),
                    _ => None,
                };
                match keys {
                    Some(keys) => {
                        let p = self.path_id(&c.path);
                        keys.into_iter().map(|k| Anchor::Value(p, k)).collect()
                    }
                    None => vec![Anchor::Type(c.path.object_type.clone())],
                }
            }
            CmpExpr::Or(v) => {
                let mut all: Vec<Anchor> = v.iter().flat_map(|e| self.anchors(e)).collect();
                all.dedup();
                all
            }
            CmpExpr::And(v) => {
                // The most selective side: value anchors beat type anchors, fewer beat more.
                let sides: Vec<Vec<Anchor>> = v.iter().map(|e| self.anchors(e)).collect();
                let score = |s: &Vec<Anchor>| (s.iter().any(|a| matches!(a, Anchor::Type(_))), s.len());
                sides.into_iter().min_by_key(score).unwrap_or_default()
            }
        }
    }

    /// The (pattern, leaf) pairs whose bracketed expression holds for `obs`, evaluating only
    /// those filed under anchors `obs` shows.
    pub fn candidates(&self, obs: &Observation<'_>, c: &mut Candidates) {
        c.hits.clear();
        c.seen.clear();
        c.evaluated = 0;
        let mut types: Vec<&str> = Vec::new();
        for o in &obs.objects {
            if !types.contains(&o.type_name) {
                types.push(o.type_name);
            }
        }
        for t in types {
            if let Some(posts) = self.postings.get(&Anchor::Type(t.to_string())) {
                self.try_posts(posts, obs, c);
            }
            let Some(paths) = self.type_paths.get(t) else { continue };
            for &pid in paths {
                let path = &self.paths[pid as usize];
                c.keys.clear();
                for root in obs.of_type(t) {
                    let keys = &mut c.keys;
                    walk(&path.steps, Val::Json(root), obs, &mut |v| {
                        if let Some(s) = scalar(v) {
                            keys.push(scalar_key(&s));
                        }
                        false
                    });
                }
                let keys = std::mem::take(&mut c.keys);
                for k in &keys {
                    if let Some(posts) = self.postings.get(&Anchor::Value(pid, k.clone())) {
                        self.try_posts(posts, obs, c);
                    }
                }
                c.keys = keys;
            }
        }
    }

    fn try_posts(&self, posts: &[(u32, u32)], obs: &Observation<'_>, c: &mut Candidates) {
        for &(slot, leaf) in posts {
            let Some(Some(e)) = self.entries.get(slot as usize) else { continue };
            if c.seen.insert((slot, leaf), ()).is_some() {
                continue;
            }
            c.evaluated += 1;
            if e.pattern.leaf_tests()[leaf as usize].holds(obs) {
                c.hits.push((slot as usize, leaf as usize));
            }
        }
    }

    /// The patterns one observation matches on its own (patterns of several observation
    /// expressions are decided with [`Pattern::matches`] over more observations).
    pub fn match_observation(&self, obs: &Observation<'_>, c: &mut Candidates) -> Vec<usize> {
        self.candidates(obs, c);
        c.slots()
            .into_iter()
            .filter(|&slot| {
                self.get(slot).is_some_and(|(_, p)| {
                    // A pattern that is one bracketed expression matches when that expression holds,
                    // which the candidates already established.
                    p.is_one_expression() || matches!(p.matches(std::slice::from_ref(obs)), Ok(Some(_)))
                })
            })
            .collect()
    }
}

fn collect_leaves<'e>(e: &'e ObsExpr, f: &mut dyn FnMut(&'e CmpExpr)) {
    match e {
        ObsExpr::Observation { test, .. } => f(test),
        ObsExpr::And(a, b) | ObsExpr::Or(a, b) | ObsExpr::FollowedBy(a, b) => {
            collect_leaves(a, f);
            collect_leaves(b, f);
        }
        ObsExpr::Within { expr, .. } | ObsExpr::Repeats { expr, .. } | ObsExpr::StartStop { expr, .. } => {
            collect_leaves(expr, f)
        }
    }
}
