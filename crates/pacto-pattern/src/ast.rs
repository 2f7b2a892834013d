//! The syntax tree of a STIX pattern, as the parser builds it and the evaluator walks it.

use crate::time::Instant;

/// Byte offsets `[start, end)` into the pattern text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// An observation expression: what must be seen, across observations.
#[derive(Debug, Clone, PartialEq)]
pub enum ObsExpr {
    /// `[ … ]`: one observation whose objects satisfy the comparison expression.
    Observation { test: CmpExpr, span: Span },
    /// Both sides, on different observations.
    And(Box<ObsExpr>, Box<ObsExpr>),
    /// Either side.
    Or(Box<ObsExpr>, Box<ObsExpr>),
    /// Both sides, on different observations, the left one not after the right one.
    FollowedBy(Box<ObsExpr>, Box<ObsExpr>),
    /// All observations of one match fit in a window of this many nanoseconds.
    Within { expr: Box<ObsExpr>, nanos: i128, seconds: String },
    /// The expression matches this many times, on disjoint observations.
    Repeats { expr: Box<ObsExpr>, times: u32 },
    /// Every observation of one match overlaps `[start, stop)`.
    StartStop { expr: Box<ObsExpr>, start: Instant, stop: Instant, start_text: String, stop_text: String },
}

/// A comparison expression, inside one observation.
#[derive(Debug, Clone, PartialEq)]
pub enum CmpExpr {
    And(Vec<CmpExpr>),
    Or(Vec<CmpExpr>),
    Test(Comparison),
}

/// `object-path [NOT] operator constant`, or `EXISTS object-path`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub path: ObjectPath,
    /// `NOT` before the operator: the test on each value is negated.
    pub negated: bool,
    pub op: Op,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Eq(Literal),
    Ne(Literal),
    Lt(Literal),
    Le(Literal),
    Gt(Literal),
    Ge(Literal),
    In(Vec<Literal>),
    Like(String),
    Matches(String),
    IsSubset(String),
    IsSuperset(String),
    Exists,
}

impl Op {
    pub fn keyword(&self) -> &'static str {
        match self {
            Op::Eq(_) => "=",
            Op::Ne(_) => "!=",
            Op::Lt(_) => "<",
            Op::Le(_) => "<=",
            Op::Gt(_) => ">",
            Op::Ge(_) => ">=",
            Op::In(_) => "IN",
            Op::Like(_) => "LIKE",
            Op::Matches(_) => "MATCHES",
            Op::IsSubset(_) => "ISSUBSET",
            Op::IsSuperset(_) => "ISSUPERSET",
            Op::Exists => "EXISTS",
        }
    }
}

/// A constant. Integers keep full precision up to 128 bits.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    Time(Instant, String),
    Bytes(Vec<u8>),
}

impl Literal {
    pub fn kind(&self) -> &'static str {
        match self {
            Literal::Str(_) => "string",
            Literal::Int(_) => "integer",
            Literal::Float(_) => "float",
            Literal::Bool(_) => "boolean",
            Literal::Time(..) => "timestamp",
            Literal::Bytes(_) => "binary",
        }
    }
}

/// `type:first.step[0].'quoted key'[*]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectPath {
    pub object_type: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Key(String),
    Index(i64),
    AnyIndex,
}

/// Visit every comparison of a comparison expression.
pub fn for_each_test<'e>(e: &'e CmpExpr, f: &mut dyn FnMut(&'e Comparison)) {
    match e {
        CmpExpr::And(v) | CmpExpr::Or(v) => v.iter().for_each(|e| for_each_test(e, f)),
        CmpExpr::Test(c) => f(c),
    }
}
