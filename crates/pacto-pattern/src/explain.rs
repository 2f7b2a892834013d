//! Writing patterns back out: a canonical one-line form (`Display`) and an indented explanation
//! of what must be observed (`Pattern::explain`).

use std::fmt::{self, Write};

use crate::Pattern;
use crate::ast::{CmpExpr, Comparison, Literal, ObjectPath, ObsExpr, Op, Step};

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn is_plain_key(k: &str) -> bool {
    let b = k.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && !matches!(k, "true" | "false")
        && !k.bytes().all(|c| c.is_ascii_uppercase())
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.object_type)?;
        for (i, s) in self.steps.iter().enumerate() {
            match s {
                Step::Key(k) if is_plain_key(k) => write!(f, "{}{k}", if i == 0 { "" } else { "." })?,
                Step::Key(k) => write!(f, "{}{}", if i == 0 { "" } else { "." }, quote(k))?,
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::AnyIndex => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => f.write_str(&quote(s)),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => {
                // Plain decimal (the grammar has no exponent), always with a point.
                let s = format!("{x}");
                if s.contains('.') { f.write_str(&s) } else { write!(f, "{s}.0") }
            }
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Time(_, text) => f.write_str(text),
            Literal::Bytes(b) => {
                f.write_str("h'")?;
                for c in b {
                    write!(f, "{c:02x}")?;
                }
                f.write_str("'")
            }
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Op::Exists = self.op {
            return write!(f, "{}EXISTS {}", if self.negated { "NOT " } else { "" }, self.path);
        }
        write!(f, "{} {}{} ", self.path, if self.negated { "NOT " } else { "" }, self.op.keyword())?;
        match &self.op {
            Op::Eq(l) | Op::Ne(l) | Op::Lt(l) | Op::Le(l) | Op::Gt(l) | Op::Ge(l) => write!(f, "{l}"),
            Op::In(items) => {
                f.write_str("(")?;
                for (i, l) in items.iter().enumerate() {
                    write!(f, "{}{l}", if i == 0 { "" } else { ", " })?;
                }
                f.write_str(")")
            }
            Op::Like(s) | Op::Matches(s) | Op::IsSubset(s) | Op::IsSuperset(s) => f.write_str(&quote(s)),
            Op::Exists => Ok(()),
        }
    }
}

fn cmp_text(e: &CmpExpr, top: bool) -> String {
    match e {
        CmpExpr::Test(c) => c.to_string(),
        CmpExpr::And(v) => v.iter().map(|e| cmp_text(e, false)).collect::<Vec<_>>().join(" AND "),
        CmpExpr::Or(v) => {
            let s = v.iter().map(|e| cmp_text(e, false)).collect::<Vec<_>>().join(" OR ");
            if top { s } else { format!("({s})") }
        }
    }
}

impl fmt::Display for ObsExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = |e: &ObsExpr| match e {
            ObsExpr::Observation { .. } => e.to_string(),
            _ => format!("({e})"),
        };
        match self {
            ObsExpr::Observation { test, .. } => write!(f, "[{}]", cmp_text(test, true)),
            ObsExpr::And(a, b) => write!(f, "{} AND {}", group(a), group(b)),
            ObsExpr::Or(a, b) => write!(f, "{} OR {}", group(a), group(b)),
            ObsExpr::FollowedBy(a, b) => write!(f, "{} FOLLOWEDBY {}", group(a), group(b)),
            ObsExpr::Within { expr, seconds, .. } => write!(f, "{} WITHIN {seconds} SECONDS", group(expr)),
            ObsExpr::Repeats { expr, times } => write!(f, "{} REPEATS {times} TIMES", group(expr)),
            ObsExpr::StartStop { expr, start_text, stop_text, .. } => {
                write!(f, "{} START {start_text} STOP {stop_text}", group(expr))
            }
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr().fmt(f)
    }
}

fn explain_cmp(e: &CmpExpr, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    match e {
        CmpExpr::Test(c) => {
            let _ = writeln!(out, "{pad}{c}");
        }
        CmpExpr::And(v) | CmpExpr::Or(v) => {
            let word = if matches!(e, CmpExpr::And(_)) { "all of (on the same object):" } else { "any of:" };
            let _ = writeln!(out, "{pad}{word}");
            v.iter().for_each(|e| explain_cmp(e, depth + 1, out));
        }
    }
}

fn explain_obs(e: &ObsExpr, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let line = |out: &mut String, s: &str| {
        let _ = writeln!(out, "{pad}{s}");
    };
    match e {
        ObsExpr::Observation { test, .. } => {
            let mut types: Vec<&str> = Vec::new();
            crate::ast::for_each_test(test, &mut |c| {
                if !types.contains(&c.path.object_type.as_str()) {
                    types.push(&c.path.object_type);
                }
            });
            line(out, &format!("one observation of {} where", types.join(" or ")));
            explain_cmp(test, depth + 1, out);
        }
        ObsExpr::And(a, b) => {
            line(out, "both, on different observations:");
            explain_obs(a, depth + 1, out);
            explain_obs(b, depth + 1, out);
        }
        ObsExpr::Or(a, b) => {
            line(out, "either:");
            explain_obs(a, depth + 1, out);
            explain_obs(b, depth + 1, out);
        }
        ObsExpr::FollowedBy(a, b) => {
            line(out, "first:");
            explain_obs(a, depth + 1, out);
            line(out, "followed (not earlier) by:");
            explain_obs(b, depth + 1, out);
        }
        ObsExpr::Within { expr, seconds, .. } => {
            line(out, &format!("within {seconds} seconds:"));
            explain_obs(expr, depth + 1, out);
        }
        ObsExpr::Repeats { expr, times } => {
            line(out, &format!("{times} times, on different observations:"));
            explain_obs(expr, depth + 1, out);
        }
        ObsExpr::StartStop { expr, start_text, stop_text, .. } => {
            line(out, &format!("observed from {start_text} (inclusive) to {stop_text} (exclusive):"));
            explain_obs(expr, depth + 1, out);
        }
    }
}

impl Pattern {
    /// An indented, plain-words account of what the pattern asks to observe.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        explain_obs(self.expr(), 0, &mut out);
        out
    }
}
