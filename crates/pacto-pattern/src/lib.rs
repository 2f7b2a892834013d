//! The STIX 2.1 patterning language (STIX 2.1 §9).
//!
//! - [`Pattern::parse`] reads the full grammar and says where and why a pattern is wrong.
//! - [`Pattern::matches`] evaluates it over observed-data ([`Observation`]) with the spec's
//!   semantics, including `FOLLOWEDBY`, `WITHIN`, `REPEATS` and `START … STOP` over
//!   `first_observed`, `last_observed` and `number_observed`.
//! - [`PatternSet`] holds many patterns and finds the few that can match an observation without
//!   trying them all.
//!
//! No I/O: callers hand in parsed JSON.

pub mod ast;
mod eval;
mod explain;
mod hashes;
mod index;
mod lexer;
mod observation;
mod parser;
mod search;
pub mod time;

use serde_json::Value;

pub use ast::{CmpExpr, Comparison, Literal, ObjectPath, ObsExpr, Op, Span, Step};
pub use eval::Net;
pub use index::{Candidates, IndexStats, PatternSet};
pub use observation::{ObsObject, Observation, ObservationError};
pub use parser::{ParseError, Syntax};
pub use search::BudgetExceeded;

use eval::TestExpr;
use search::{Node, Search, Slot};

/// Observations one match may take (the binding search recurses once per observation).
pub const MAX_BINDING: u64 = 512;

/// Steps the binding search may take per evaluation before it gives up.
pub const DEFAULT_BUDGET: u64 = 2_000_000;

/// Check a pattern against the grammar (and the rules the parser adds) without compiling it
/// for evaluation: what validation needs.
pub fn check(source: &str, syntax: Syntax) -> Result<(), ParseError> {
    parser::parse_with(source, syntax).map(|_| ())
}

/// A parsed and compiled pattern.
#[derive(Debug)]
pub struct Pattern {
    source: String,
    expr: ObsExpr,
    /// The bracketed observation expressions, in source order.
    leaves: Vec<TestExpr>,
    tree: Node,
    unusable: Vec<String>,
}

impl Pattern {
    /// Parse a STIX 2.1 pattern.
    pub fn parse(source: &str) -> Result<Pattern, ParseError> {
        Self::parse_with(source, Syntax::V21)
    }

    /// Parse with the grammar of the given STIX version.
    pub fn parse_with(source: &str, syntax: Syntax) -> Result<Pattern, ParseError> {
        let expr = parser::parse_with(source, syntax)?;
        let mut leaves = Vec::new();
        let mut unusable = Vec::new();
        let tree = build(&expr, &mut leaves, &mut unusable);
        let size = binding_size(&tree);
        if size > MAX_BINDING {
            unusable.push(format!(
                "one match would take {size} observations; pacto evaluates patterns of at most {MAX_BINDING}"
            ));
        }
        Ok(Pattern { source: source.to_string(), expr, leaves, tree, unusable })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn expr(&self) -> &ObsExpr {
        &self.expr
    }

    /// Why the pattern, though grammatical, cannot be evaluated (a regular expression pacto's
    /// engine cannot run, a constant that is not an IP network). Matching such a pattern is an
    /// error rather than a guess.
    pub fn unusable(&self) -> &[String] {
        &self.unusable
    }

    /// How many bracketed observation expressions the pattern has. With one, and no `REPEATS`,
    /// a pattern is decided by single observations.
    pub fn observation_expressions(&self) -> usize {
        self.leaves.len()
    }

    /// How far apart in time (nanoseconds) the observations of one match can be, when the
    /// qualifiers bound it (`WITHIN`, `START … STOP` around the whole); None when they do not.
    pub fn horizon(&self) -> Option<i128> {
        fn span(n: &Node) -> Option<i128> {
            match n {
                Node::Leaf(_) => Some(0),
                Node::Within(_, d) => Some(*d),
                Node::StartStop(_, s, t) => Some(t - s),
                Node::Or(a, b) => span(a).zip(span(b)).map(|(a, b)| a.max(b)),
                // Parts joined without a qualifier around them may be any time apart.
                Node::And(..) | Node::FollowedBy(..) => None,
                Node::Repeats(e, n) if *n <= 1 => span(e),
                Node::Repeats(..) => None,
            }
        }
        span(&self.tree)
    }

    /// Whether the pattern is one bracketed expression without qualifiers: it matches an
    /// observation exactly when that expression holds for it.
    pub fn is_one_expression(&self) -> bool {
        matches!(self.tree, Node::Leaf(_))
    }

    /// Whether one observation at a time decides the pattern (no AND, FOLLOWEDBY or REPEATS
    /// between observation expressions).
    pub fn is_single_observation(&self) -> bool {
        fn single(n: &Node) -> bool {
            match n {
                Node::Leaf(_) => true,
                Node::Or(a, b) => single(a) && single(b),
                Node::Within(e, _) | Node::StartStop(e, ..) => single(e),
                Node::Repeats(e, n) => *n == 1 && single(e),
                Node::And(..) | Node::FollowedBy(..) => false,
            }
        }
        single(&self.tree)
    }

    /// Which bracketed expressions `obs` satisfies, as a bit per leaf (leaves beyond 64 are
    /// reported through [`Pattern::satisfies_leaf`]).
    pub fn satisfies_leaf(&self, leaf: usize, obs: &Observation<'_>) -> bool {
        self.leaves.get(leaf).is_some_and(|l| l.holds(obs))
    }

    /// Evaluate over `observations`. Returns the indexes of the observations of the first
    /// binding found (sorted, without repeats), or None when the pattern does not match.
    pub fn matches(&self, observations: &[Observation<'_>]) -> Result<Option<Vec<usize>>, MatchError> {
        self.matches_with_budget(observations, DEFAULT_BUDGET)
    }

    pub fn matches_with_budget(
        &self,
        observations: &[Observation<'_>],
        budget: u64,
    ) -> Result<Option<Vec<usize>>, MatchError> {
        self.search(observations, budget, None)
    }

    /// Like [`Pattern::matches`], but only bindings that use observation `must`: for streams,
    /// where a new observation should report only the matches it completes.
    pub fn matches_including(
        &self,
        observations: &[Observation<'_>],
        must: usize,
    ) -> Result<Option<Vec<usize>>, MatchError> {
        self.search(observations, DEFAULT_BUDGET, Some(must as u32))
    }

    fn search(
        &self,
        observations: &[Observation<'_>],
        budget: u64,
        must: Option<u32>,
    ) -> Result<Option<Vec<usize>>, MatchError> {
        if let Some(why) = self.unusable.first() {
            return Err(MatchError::Unusable(why.clone()));
        }
        // Most patterns are one bracketed expression: the first observation that satisfies it.
        if let Node::Leaf(0) = self.tree {
            let leaf = &self.leaves[0];
            return Ok(match must {
                Some(m) => observations.get(m as usize).is_some_and(|o| leaf.holds(o)).then(|| vec![m as usize]),
                None => observations.iter().position(|o| leaf.holds(o)).map(|i| vec![i]),
            });
        }
        // A single observation that satisfies no bracketed expression (the usual case): done,
        // without allocating.
        if let [one] = observations
            && !self.leaves.iter().any(|l| l.holds(one))
        {
            return Ok(None);
        }
        // The observations each bracketed expression holds for: the one that must take part
        // first, then the newest first (in a stream, the likeliest partners of a new arrival).
        let sat: Vec<Vec<u32>> = self
            .leaves
            .iter()
            .map(|leaf| {
                let mut v: Vec<u32> =
                    (0..observations.len() as u32).rev().filter(|&i| leaf.holds(&observations[i as usize])).collect();
                if let Some(m) = must
                    && let Some(at) = v.iter().position(|&i| i == m)
                {
                    v[..=at].rotate_right(1);
                }
                v
            })
            .collect();
        if sat.iter().all(Vec::is_empty) || must.is_some_and(|m| !sat.iter().any(|v| v.first() == Some(&m))) {
            return Ok(None);
        }
        let slots: Vec<Slot> =
            observations.iter().map(|o| Slot { first: o.first, last: o.last, count: o.count }).collect();
        let found = Search::new(&slots, &sat, budget).run(&self.tree, must)?;
        Ok(found.map(|mut b| {
            b.sort_unstable();
            b.dedup();
            b.into_iter().map(|i| i as usize).collect()
        }))
    }

    /// Evaluate over observed-data objects; `resolve` finds objects named by `object_refs`.
    /// Observed-data that cannot be matched (no timestamps, no objects) is an error naming it.
    pub fn matches_observed_data<'a>(
        &self,
        observed: &'a [Value],
        resolve: impl Fn(&str) -> Option<&'a Value>,
    ) -> Result<Option<Vec<usize>>, MatchError> {
        let obs = observed
            .iter()
            .enumerate()
            .map(|(i, od)| {
                Observation::from_observed_data(od, &resolve).map_err(|e| MatchError::Observation {
                    index: i,
                    id: od.get("id").and_then(Value::as_str).unwrap_or("").to_string(),
                    error: e,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.matches(&obs)
    }

    /// Things worth knowing that do not make the pattern wrong: comparisons that are exact where
    /// the data seldom is (a hash constant with upper-case hex digits, which observed hashes
    /// usually write in lower case).
    pub fn advice(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in self.comparisons() {
            let in_hashes = c.path.steps.iter().any(|s| s == &Step::Key("hashes".into()));
            let constants: Vec<&Literal> = match &c.op {
                Op::Eq(l) | Op::Ne(l) => vec![l],
                Op::In(items) => items.iter().collect(),
                _ => vec![],
            };
            let upper = constants.iter().any(|l| {
                matches!(l, Literal::Str(s) if s.bytes().all(|b| b.is_ascii_hexdigit()) && s.bytes().any(|b| b.is_ascii_uppercase()))
            });
            if in_hashes && upper {
                out.push(format!(
                    "{}: hash values compare exactly, and observed hashes are usually lower case; consider writing the constant in lower case",
                    c.path
                ));
            }
        }
        out
    }

    /// Every comparison of the pattern, in source order.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        fn cmp<'p>(e: &'p CmpExpr, out: &mut Vec<&'p Comparison>) {
            match e {
                CmpExpr::And(v) | CmpExpr::Or(v) => v.iter().for_each(|e| cmp(e, out)),
                CmpExpr::Test(c) => out.push(c),
            }
        }
        fn obs<'p>(e: &'p ObsExpr, out: &mut Vec<&'p Comparison>) {
            match e {
                ObsExpr::Observation { test, .. } => cmp(test, out),
                ObsExpr::And(a, b) | ObsExpr::Or(a, b) | ObsExpr::FollowedBy(a, b) => {
                    obs(a, out);
                    obs(b, out);
                }
                ObsExpr::Within { expr, .. } | ObsExpr::Repeats { expr, .. } | ObsExpr::StartStop { expr, .. } => {
                    obs(expr, out)
                }
            }
        }
        let mut out = Vec::new();
        obs(&self.expr, &mut out);
        out
    }

    pub(crate) fn leaf_tests(&self) -> &[TestExpr] {
        &self.leaves
    }
}

/// Why matching could not decide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("observed-data #{index} {id}: {error}")]
    Observation { index: usize, id: String, error: ObservationError },
    #[error("{0}")]
    Unusable(String),
    #[error(transparent)]
    Budget(#[from] BudgetExceeded),
}

/// How many observations one match of `n` takes, at most.
fn binding_size(n: &Node) -> u64 {
    match n {
        Node::Leaf(_) => 1,
        Node::And(a, b) | Node::FollowedBy(a, b) => binding_size(a).saturating_add(binding_size(b)),
        Node::Or(a, b) => binding_size(a).max(binding_size(b)),
        Node::Within(e, _) | Node::StartStop(e, ..) => binding_size(e),
        Node::Repeats(e, t) => binding_size(e).saturating_mul(u64::from(*t)),
    }
}

fn build(e: &ObsExpr, leaves: &mut Vec<TestExpr>, unusable: &mut Vec<String>) -> Node {
    let mut two = |a: &ObsExpr, b: &ObsExpr, leaves: &mut Vec<TestExpr>| {
        (Box::new(build(a, leaves, unusable)), Box::new(build(b, leaves, unusable)))
    };
    match e {
        ObsExpr::Observation { test, .. } => {
            leaves.push(eval::compile(test, unusable));
            Node::Leaf(leaves.len() - 1)
        }
        ObsExpr::And(a, b) => {
            let (a, b) = two(a, b, leaves);
            Node::And(a, b)
        }
        ObsExpr::Or(a, b) => {
            let (a, b) = two(a, b, leaves);
            Node::Or(a, b)
        }
        ObsExpr::FollowedBy(a, b) => {
            let (a, b) = two(a, b, leaves);
            Node::FollowedBy(a, b)
        }
        ObsExpr::Within { expr, nanos, .. } => Node::Within(Box::new(build(expr, leaves, unusable)), *nanos),
        ObsExpr::Repeats { expr, times } => Node::Repeats(Box::new(build(expr, leaves, unusable)), *times),
        ObsExpr::StartStop { expr, start, stop, .. } => {
            Node::StartStop(Box::new(build(expr, leaves, unusable)), *start, *stop)
        }
    }
}
