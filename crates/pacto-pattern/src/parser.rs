//! A recursive-descent parser for the STIX 2.1 patterning grammar (STIX 2.1 §9 and the OASIS
//! ANTLR grammar), with the checks the grammar leaves to prose: real calendar dates, positive
//! REPEATS and WITHIN, one qualifier of a kind per bracketed expression, hash-value forms.
//!
//! Errors carry the byte offset, line and column (in characters) of the offending token and say
//! what was expected there.

use crate::ast::*;
use crate::lexer::{INVALID_DATE, Kw, Tok, Token, lex};

/// Which grammar to apply. STIX 2.0 wrote `START '…' STOP '…'` with string literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Syntax {
    #[default]
    V21,
    V20,
}

/// A pattern that is not STIX: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// Byte offset of the offending token.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Length of the offending token in characters (at least 1), for underlining.
    pub width: usize,
    pub message: String,
}

const MAX_DEPTH: usize = 64;

/// 2^53 - 1.
const MAX_INTEGER: u128 = 9_007_199_254_740_991;

/// Observation-level operators per pattern: each is a level of the tree every later pass walks.
const MAX_OBSERVATION_EXPRESSIONS: usize = 512;

/// Comparisons per pattern.
const MAX_COMPARISONS: usize = 10_000;

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    observations: usize,
    comparisons: usize,
    syntax: Syntax,
}

type PResult<T> = Result<T, ParseError>;

fn describe(t: &Token, src: &str) -> String {
    match &t.tok {
        Tok::Eof => "the end of the pattern".into(),
        Tok::Other('\'') => "an unterminated or badly escaped string (only \\' and \\\\ may be escaped)".into(),
        _ => {
            let text = &src[t.start..t.end];
            let shown: String = text.chars().take(40).collect();
            let dots = if shown.len() < text.len() { "…" } else { "" };
            format!("'{shown}{dots}'")
        }
    }
}

pub fn parse_with(src: &str, syntax: Syntax) -> Result<ObsExpr, ParseError> {
    let mut p = Parser { src, toks: lex(src), pos: 0, depth: 0, observations: 0, comparisons: 0, syntax };
    if p.peek() == &Tok::Eof {
        return Err(p.error_here("expected an observation expression ('[' or '('), found an empty pattern"));
    }
    let e = p.followed_by()?;
    if p.peek() != &Tok::Eof {
        return Err(p.expected("AND, OR, FOLLOWEDBY, a qualifier (WITHIN, REPEATS, START) or the end of the pattern"));
    }
    Ok(e)
}

impl<'s> Parser<'s> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].tok
    }

    fn token(&self) -> &Token {
        &self.toks[self.pos]
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn error_at(&self, t: &Token, message: String) -> ParseError {
        let before = &self.src[..t.start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = self.src[line_start..t.start].chars().count() + 1;
        let width = self.src[t.start..t.end].chars().count().max(1);
        ParseError { offset: t.start, line, column, width, message }
    }

    fn error_here(&self, message: &str) -> ParseError {
        self.error_at(self.token(), message.to_string())
    }

    fn expected(&self, what: &str) -> ParseError {
        let t = self.token();
        self.error_at(t, format!("expected {what}, found {}", describe(t, self.src)))
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> PResult<Token> {
        if self.peek() == tok { Ok(self.bump()) } else { Err(self.expected(what)) }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here(&format!("patterns may nest at most {MAX_DEPTH} levels deep")));
        }
        Ok(())
    }

    fn binary(
        &mut self,
        kw: Kw,
        next: fn(&mut Self) -> PResult<ObsExpr>,
        join: fn(Box<ObsExpr>, Box<ObsExpr>) -> ObsExpr,
    ) -> PResult<ObsExpr> {
        let mut left = next(self)?;
        while self.eat(&Tok::Kw(kw)) {
            self.observations += 1;
            if self.observations > MAX_OBSERVATION_EXPRESSIONS {
                return Err(self.error_here(&format!(
                    "a pattern may join at most {MAX_OBSERVATION_EXPRESSIONS} observation expressions"
                )));
            }
            let right = next(self)?;
            left = join(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn followed_by(&mut self) -> PResult<ObsExpr> {
        self.binary(Kw::FollowedBy, Self::obs_or, ObsExpr::FollowedBy)
    }

    fn obs_or(&mut self) -> PResult<ObsExpr> {
        self.binary(Kw::Or, Self::obs_and, ObsExpr::Or)
    }

    fn obs_and(&mut self) -> PResult<ObsExpr> {
        self.binary(Kw::And, Self::qualified, ObsExpr::And)
    }

    fn qualified(&mut self) -> PResult<ObsExpr> {
        self.enter()?;
        let mut e = match self.peek() {
            Tok::LBrack => {
                let open = self.bump();
                let test = self.cmp_or()?;
                let close = self.expect(&Tok::RBrack, "AND, OR or ']' to close the observation expression")?;
                ObsExpr::Observation { test, span: Span { start: open.start, end: close.end } }
            }
            Tok::LParen => {
                self.bump();
                let e = self.followed_by()?;
                self.expect(&Tok::RParen, "AND, OR, FOLLOWEDBY, a qualifier or ')'")?;
                e
            }
            _ => return Err(self.expected("an observation expression ('[' or '(')")),
        };
        let mut seen: Vec<Kw> = Vec::new();
        while let Tok::Kw(kw @ (Kw::Within | Kw::Repeats | Kw::Start)) = *self.peek() {
            let at = self.token().clone();
            if seen.contains(&kw) {
                let name = match kw {
                    Kw::Within => "WITHIN",
                    Kw::Repeats => "REPEATS",
                    _ => "START/STOP",
                };
                return Err(self.error_at(
                    &at,
                    format!("a second {name} qualifier on the same observation expression; group it in parentheses"),
                ));
            }
            seen.push(kw);
            self.bump();
            e = match kw {
                Kw::Within => {
                    let t = self.token().clone();
                    let text = &self.src[t.start..t.end];
                    let seconds: f64 = match &t.tok {
                        Tok::Int | Tok::Float if !text.starts_with(['-', '+']) => {
                            text.parse().map_err(|_| self.error_at(&t, "not a number".into()))?
                        }
                        _ => return Err(self.expected("a positive number of seconds (no sign) after WITHIN")),
                    };
                    if seconds <= 0.0 || !seconds.is_finite() || crate::time::seconds(seconds) < 1 {
                        return Err(self.error_at(&t, format!("WITHIN needs a positive duration, found {text}")));
                    }
                    self.bump();
                    self.expect(&Tok::Kw(Kw::Seconds), "SECONDS")?;
                    ObsExpr::Within {
                        expr: Box::new(e),
                        nanos: crate::time::seconds(seconds),
                        seconds: text.to_string(),
                    }
                }
                Kw::Repeats => {
                    let t = self.token().clone();
                    let text = &self.src[t.start..t.end];
                    if t.tok != Tok::Int || text.starts_with(['-', '+']) {
                        return Err(self.expected("a positive integer (no sign) after REPEATS"));
                    }
                    let times: u32 =
                        text.parse().map_err(|_| self.error_at(&t, format!("REPEATS count {text} is too large")))?;
                    if times == 0 {
                        return Err(self.error_at(&t, "REPEATS needs a count of at least 1".into()));
                    }
                    self.bump();
                    self.expect(&Tok::Kw(Kw::Times), "TIMES")?;
                    ObsExpr::Repeats { expr: Box::new(e), times }
                }
                _ => {
                    let (start, start_text) = self.qualifier_time("START")?;
                    self.expect(&Tok::Kw(Kw::Stop), "STOP")?;
                    let (stop, stop_text) = self.qualifier_time("STOP")?;
                    ObsExpr::StartStop { expr: Box::new(e), start, stop, start_text, stop_text }
                }
            };
        }
        self.depth -= 1;
        Ok(e)
    }

    fn qualifier_time(&mut self, after: &str) -> PResult<(crate::time::Instant, String)> {
        let t = self.token().clone();
        let text = self.src[t.start..t.end].to_string();
        let instant = match (&t.tok, self.syntax) {
            (Tok::Time(i), _) => *i,
            (Tok::Str(s), Syntax::V20) => crate::time::parse(s).unwrap_or(INVALID_DATE),
            (_, Syntax::V21) => {
                return Err(self.expected(&format!("a timestamp literal t'YYYY-MM-DDTHH:MM:SSZ' after {after}")));
            }
            (_, Syntax::V20) => return Err(self.expected(&format!("a timestamp string after {after}"))),
        };
        if instant == INVALID_DATE {
            return Err(self.error_at(&t, format!("{text} is not a real date and time")));
        }
        self.bump();
        Ok((instant, text))
    }

    fn cmp_or(&mut self) -> PResult<CmpExpr> {
        let mut parts = vec![self.cmp_and()?];
        while self.eat(&Tok::Kw(Kw::Or)) {
            parts.push(self.cmp_and()?);
        }
        Ok(if parts.len() == 1 { parts.pop().unwrap_or(CmpExpr::And(vec![])) } else { CmpExpr::Or(parts) })
    }

    fn cmp_and(&mut self) -> PResult<CmpExpr> {
        let mut parts = vec![self.test()?];
        while self.eat(&Tok::Kw(Kw::And)) {
            parts.push(self.test()?);
        }
        Ok(if parts.len() == 1 { parts.pop().unwrap_or(CmpExpr::And(vec![])) } else { CmpExpr::And(parts) })
    }

    fn test(&mut self) -> PResult<CmpExpr> {
        self.enter()?;
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(self.error_here(&format!("a pattern may hold at most {MAX_COMPARISONS} comparisons")));
        }
        let start = self.token().start;
        let r = match self.peek() {
            Tok::LParen => {
                self.bump();
                let e = self.cmp_or()?;
                self.expect(&Tok::RParen, "AND, OR or ')'")?;
                e
            }
            Tok::Kw(Kw::Exists) | Tok::Kw(Kw::Not) => {
                // EXISTS path, or NOT EXISTS path (the property is absent).
                let negated = self.eat(&Tok::Kw(Kw::Not));
                self.expect(&Tok::Kw(Kw::Exists), "EXISTS after NOT")?;
                let path = self.path()?;
                let end = self.toks[self.pos - 1].end;
                CmpExpr::Test(Comparison { path, negated, op: Op::Exists, span: Span { start, end } })
            }
            _ => {
                let path = self.path()?;
                let negated = self.eat(&Tok::Kw(Kw::Not));
                let op = self.operator()?;
                let end = self.toks[self.pos - 1].end;
                let c = Comparison { path, negated, op, span: Span { start, end } };
                self.check_hash(&c)?;
                CmpExpr::Test(c)
            }
        };
        self.depth -= 1;
        Ok(r)
    }

    fn path(&mut self) -> PResult<ObjectPath> {
        let object_type = match self.peek() {
            Tok::Ident { .. } => {
                let t = self.bump();
                self.src[t.start..t.end].to_string()
            }
            _ => return Err(self.expected("an object path (object-type:property), '(' or EXISTS")),
        };
        self.expect(&Tok::Colon, "':' after the object type")?;
        let mut steps = vec![Step::Key(self.key("a property name after ':'")?)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    steps.push(Step::Key(self.key("a property name after '.'")?));
                }
                Tok::LBrack => {
                    self.bump();
                    let t = self.token().clone();
                    let step = match &t.tok {
                        Tok::Star => Step::AnyIndex,
                        Tok::Int if !self.src[t.start..t.end].starts_with('+') => {
                            let text = &self.src[t.start..t.end];
                            Step::Index(
                                text.parse()
                                    .map_err(|_| self.error_at(&t, format!("list index {text} is too large")))?,
                            )
                        }
                        _ => return Err(self.expected("a list index (an integer or '*')")),
                    };
                    self.bump();
                    self.expect(&Tok::RBrack, "']' after the list index")?;
                    steps.push(step);
                }
                Tok::Float if self.src[self.token().start..].starts_with('.') => {
                    return Err(self.error_here("a property name cannot start with a digit"));
                }
                _ => break,
            }
        }
        Ok(ObjectPath { object_type, steps })
    }

    fn key(&mut self, what: &str) -> PResult<String> {
        match self.peek().clone() {
            Tok::Ident { hyphen: false } => {
                let t = self.bump();
                Ok(self.src[t.start..t.end].to_string())
            }
            Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            Tok::Ident { hyphen: true } => {
                Err(self.expected(&format!("{what} (a name with '-' must be quoted, as in 'SHA-256')")))
            }
            _ => Err(self.expected(what)),
        }
    }

    fn literal(&mut self, what: &str) -> PResult<Literal> {
        let t = self.token().clone();
        let text = &self.src[t.start..t.end];
        if matches!(t.tok, Tok::Int | Tok::Float) && text.starts_with('+') {
            return Err(self.error_at(&t, format!("write {} without the plus sign", &text[1..])));
        }
        let lit = match &t.tok {
            Tok::Str(s) => Literal::Str(s.clone()),
            Tok::Int => {
                let n: i128 = text.parse().unwrap_or(i128::MAX);
                // STIX integers are those a JSON number holds exactly: ±(2^53 - 1).
                if n.unsigned_abs() > MAX_INTEGER {
                    return Err(self.error_at(&t, format!("integer {text} is out of range (at most ±{MAX_INTEGER})")));
                }
                Literal::Int(n)
            }
            Tok::Float => match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Literal::Float(x),
                _ => return Err(self.error_at(&t, format!("float {text} is out of range"))),
            },
            Tok::Bool(b) => Literal::Bool(*b),
            Tok::Hex(b) | Tok::Bin(b) => Literal::Bytes(b.clone()),
            Tok::Time(i) if *i == INVALID_DATE => {
                return Err(self.error_at(&t, format!("{text} is not a real date and time")));
            }
            Tok::Time(i) => Literal::Time(*i, text.to_string()),
            _ => return Err(self.expected(what)),
        };
        self.bump();
        Ok(lit)
    }

    fn string(&mut self, after: &str) -> PResult<String> {
        match self.peek().clone() {
            Tok::Str(s) => {
                self.bump();
                Ok(s)
            }
            _ => Err(self.expected(&format!("a string literal after {after}"))),
        }
    }

    fn operator(&mut self) -> PResult<Op> {
        const CONSTANT: &str = "a constant (string, number, boolean, t'…', h'…' or b'…')";
        let op_tok = self.token().clone();
        let op = match op_tok.tok {
            Tok::Eq => {
                self.bump();
                Op::Eq(self.literal(CONSTANT)?)
            }
            Tok::Ne => {
                self.bump();
                Op::Ne(self.literal(CONSTANT)?)
            }
            Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge => {
                self.bump();
                if let Tok::Bool(_) = self.peek() {
                    return Err(self.expected("an orderable constant (booleans have no order)"));
                }
                let l = self.literal("an orderable constant (string, number, t'…', h'…' or b'…')")?;
                match op_tok.tok {
                    Tok::Lt => Op::Lt(l),
                    Tok::Le => Op::Le(l),
                    Tok::Gt => Op::Gt(l),
                    _ => Op::Ge(l),
                }
            }
            Tok::Kw(Kw::In) => {
                self.bump();
                self.expect(&Tok::LParen, "'(' to open the set after IN")?;
                let mut items = Vec::new();
                let mut kind: Option<&'static str> = None;
                if !self.eat(&Tok::RParen) {
                    loop {
                        let at = self.token().clone();
                        let k = match at.tok {
                            Tok::Int | Tok::Float => "number",
                            Tok::Hex(_) => "hex",
                            Tok::Bin(_) => "binary",
                            Tok::Str(_) => "string",
                            Tok::Bool(_) => "boolean",
                            _ => "timestamp",
                        };
                        items.push(self.literal(CONSTANT)?);
                        match kind {
                            Some(first) if first != k => {
                                return Err(self.error_at(
                                    &at,
                                    format!("a set holds constants of one type: this {k} follows a {first}"),
                                ));
                            }
                            _ => kind = Some(k),
                        }
                        if self.eat(&Tok::RParen) {
                            break;
                        }
                        self.expect(&Tok::Comma, "',' or ')' in the set")?;
                    }
                }
                Op::In(items)
            }
            Tok::Kw(Kw::Like) => {
                self.bump();
                Op::Like(self.string("LIKE")?)
            }
            Tok::Kw(Kw::Matches) => {
                self.bump();
                Op::Matches(self.string("MATCHES")?)
            }
            Tok::Kw(Kw::IsSubset) => {
                self.bump();
                Op::IsSubset(self.string("ISSUBSET")?)
            }
            Tok::Kw(Kw::IsSuperset) => {
                self.bump();
                Op::IsSuperset(self.string("ISSUPERSET")?)
            }
            Tok::Kw(Kw::Exists) => {
                return Err(self.error_here("EXISTS comes before the object path: EXISTS type:property"));
            }
            _ => {
                return Err(self
                    .expected("a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)"));
            }
        };
        Ok(op)
    }

    /// A value compared with a known hash algorithm must have that algorithm's form (the STIX
    /// 2.1 hash vocabulary). Only exact comparisons are checked: `LIKE 'abc%'` is a fine prefix.
    fn check_hash(&self, c: &Comparison) -> PResult<()> {
        let in_hashes = c.path.steps.iter().any(|s| s == &Step::Key("hashes".into()));
        let Some(Step::Key(algo)) = c.path.steps.last() else { return Ok(()) };
        if !in_hashes {
            return Ok(());
        }
        let Some(ok) = crate::hashes::checker(algo) else { return Ok(()) };
        let values: Vec<&str> = match &c.op {
            Op::Eq(Literal::Str(s)) | Op::Ne(Literal::Str(s)) => vec![s],
            Op::In(items) => {
                items.iter().filter_map(|l| if let Literal::Str(s) = l { Some(s.as_str()) } else { None }).collect()
            }
            _ => vec![],
        };
        for v in values {
            if !ok(v) {
                let at = self
                    .toks
                    .iter()
                    .rev()
                    .find(|t| t.end <= c.span.end && t.start >= c.span.start && t.tok == Tok::Str(v.to_string()))
                    .unwrap_or(self.token());
                return Err(self.error_at(at, format!("'{v}' is not a valid {algo} hash")));
            }
        }
        Ok(())
    }
}
