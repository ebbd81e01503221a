//! The small expression language rule checks are written in, and the message templates that
//! embed it.
//!
//! ```text
//! t3.new.total + t3.carried.total == t3.total.total + t3.carry_next.total
//! sum(t3.denied.*.person) + t3.granted.person == t3.total.person
//! !present(part.5.body) || len(part.5.body) >= 10
//! published <= deadline(year, agency_kind)
//! ```
//!
//! A reference (`t3.denied.1.total`) names one field; a reference with `*` segments is a glob and
//! may only be a direct argument of `sum`, `count` or `any_present`. A reference to an absent or
//! blank field makes the whole expression [`Outcome::Missing`] — the check does not apply — except
//! inside `present`, `blank`, `sum`, `count`, `any_present` and `default`. `&&` and `||` evaluate
//! left to right and stop early, so `present(x) && x > 0` is safe when `x` is absent.
//!
//! Built-in functions: `present(ref)`, `blank(ref)`, `sum(…)`, `count(ref…)`, `any_present(ref…)`,
//! `len(text|list)`, `matches(text, "regex")`, `numbers(text, "unit")`, `date(y, m, d)`,
//! `year_of(date)`, `min(…)`, `max(…)`, `abs(x)`, `default(x, fallback)`. Any other name is asked
//! of the host ([`HostFunctions`] at parse time, [`Env::call`] at evaluation).
//!
//! Values: integer arithmetic stays integer and is checked (overflow and division by zero are
//! errors); a division that does not come out even gives a decimal instead of truncating.
//! Integers, decimals and amounts mix as `f64` and compare equal within [`TOLERANCE`]; amounts keep
//! their unit and amounts in different units never mix. Dates compare with dates, texts with texts
//! (`+` concatenates). `x in [..]` tests equality, `x not in [..]` its negation, and
//! `"词" in text` is a substring test. In string literals `\"` `\'` `\\` `\n` `\t` are escapes and
//! any other backslash is kept, so regexes such as `"\d+条"` need no doubling.
//!
//! Written here rather than borrowed (CEL, rhai) because the rule engine needs the list of field
//! references with their offsets, glob references, and exact error columns, and because the
//! whole surface should stay small enough to audit.

mod eval;
mod lexer;
pub(crate) mod linear;
mod parser;
mod template;

use std::fmt;
use std::ops::RangeInclusive;

use crate::model::Value;

pub use eval::TOLERANCE;
pub(crate) use eval::normalize as normalize_lookup;
pub use linear::{Linear, Plan};
pub use template::Template;

/// Longest expression source accepted, in bytes.
pub const MAX_SOURCE_LEN: usize = 10_000;
/// Deepest nesting of parentheses, lists, calls and prefix operators accepted.
pub const MAX_DEPTH: usize = 64;

/// A syntax error, at a byte offset into the source that was parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset in the source string; always on a char boundary.
    pub offset: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            offset,
            message: message.into(),
        }
    }

    /// 1-based (line, column) of the error in `src`, the column counted in characters.
    pub fn line_col(&self, src: &str) -> (usize, usize) {
        let before = src.get(..self.offset).unwrap_or(src);
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// What an expression came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A single value; conditions come out as `Value::Bool`.
    Value(Value),
    /// A list (a list literal, `numbers(…)`).
    List(Vec<Value>),
    /// This field is absent or blank, so the expression does not apply.
    Missing(String),
    /// The data does not fit the expression (type mismatch, overflow, division by zero, …).
    Error(String),
}

impl Outcome {
    /// `Some(b)` when the outcome is the boolean `b`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Outcome::Value(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }
}

/// What the host knows about a field.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// No such field in this report.
    Absent,
    /// The field exists but its cell is blank ("", "/", "—"). Blank is not zero.
    Blank,
    Value(Value),
}

/// The data an expression is evaluated against.
pub trait Env {
    fn lookup(&self, id: &str) -> Lookup;
    /// All fields whose id matches a glob (`*` = exactly one segment), in id order.
    /// [`glob_matches`] implements the matching.
    fn glob(&self, pattern: &str) -> Vec<(String, Lookup)>;
    /// [`Env::glob`] one field at a time; hosts that can walk their fields without building a
    /// list override it (assertions retried under many readings call it on every try).
    fn glob_each(&self, pattern: &str, f: &mut dyn FnMut(&str, Lookup)) {
        for (id, l) in self.glob(pattern) {
            f(&id, l);
        }
    }
    /// Host functions such as `deadline(year, agency_kind)`.
    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String>;
}

/// Which non-built-in functions exist, and how many arguments each takes.
pub trait HostFunctions {
    fn arity(&self, name: &str) -> Option<RangeInclusive<usize>>;
}

/// A host without functions of its own.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHost;

impl HostFunctions for NoHost {
    fn arity(&self, _name: &str) -> Option<RangeInclusive<usize>> {
        None
    }
}

/// Whether field `id` matches `pattern`, where a `*` segment stands for exactly one segment.
pub fn glob_matches(pattern: &str, id: &str) -> bool {
    // Segment by segment on bytes: globs are matched against every field of a report on each
    // check, and two `split` iterators per id cost more than the comparison itself.
    let (p, s) = (pattern.as_bytes(), id.as_bytes());
    let (mut i, mut j) = (0, 0);
    loop {
        let pe = memchr::memchr(b'.', &p[i..]).map_or(p.len(), |k| i + k);
        let se = memchr::memchr(b'.', &s[j..]).map_or(s.len(), |k| j + k);
        let seg = &p[i..pe];
        if seg != b"*" && seg != &s[j..se] {
            return false;
        }
        let (p_done, s_done) = (pe == p.len(), se == s.len());
        if p_done || s_done {
            return p_done && s_done;
        }
        i = pe + 1;
        j = se + 1;
    }
}

/// A parsed expression, ready to evaluate any number of times.
#[derive(Debug, Clone)]
pub struct Expr {
    src: String,
    root: parser::Node,
}

impl Expr {
    pub fn parse(src: &str, host: &dyn HostFunctions) -> Result<Expr, ParseError> {
        if src.len() > MAX_SOURCE_LEN {
            return Err(ParseError::new(
                0,
                format!(
                    "expression is {} bytes long; the limit is {MAX_SOURCE_LEN}",
                    src.len()
                ),
            ));
        }
        let toks = lexer::lex(src)?;
        let root = parser::parse(src, toks, host)?;
        Ok(Expr {
            src: src.to_string(),
            root,
        })
    }

    /// Every field reference, globs included, with its byte offset, in source order.
    pub fn refs(&self) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        collect_refs(&self.root, &mut out);
        out.sort_by_key(|(_, off)| *off);
        out
    }

    /// How the expression reads its fields: references that are direct arguments of `sum()`
    /// (where a blank field is skipped, so it adds what a 0 adds), every other reference, and
    /// whether some `sum()` argument is not a plain reference.
    pub fn ref_use(&self) -> RefUse {
        let mut out = RefUse::default();
        collect_use(&self.root, &mut out);
        out
    }

    pub fn eval(&self, env: &dyn Env) -> Outcome {
        eval::run(&self.root, &self.src, env)
    }

    pub fn source(&self) -> &str {
        &self.src
    }

    /// Whether it calls a function of its host (`deadline()`), whose answer depends on more
    /// than the fields it reads.
    pub fn calls_host(&self) -> bool {
        fn any(n: &parser::Node) -> bool {
            if matches!(n.kind, parser::Kind::Host { .. }) {
                return true;
            }
            let mut inner = Vec::new();
            children(n, &mut inner);
            inner.into_iter().any(any)
        }
        any(&self.root)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.src)
    }
}

/// See [`Expr::ref_use`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RefUse {
    pub in_sum: Vec<String>,
    /// The reference arguments of each `sum()`, one list per call.
    pub sums: Vec<Vec<String>>,
    pub elsewhere: Vec<String>,
    pub sum_of_other: bool,
}

fn collect_use(n: &parser::Node, out: &mut RefUse) {
    use parser::Kind;
    match &n.kind {
        Kind::Call { func: parser::Builtin::Sum, args } => {
            out.sums.push(
                args.iter()
                    .filter_map(|a| match &a.kind {
                        Kind::Ref { path, .. } => Some(path.clone()),
                        _ => None,
                    })
                    .collect(),
            );
            for a in args {
                match &a.kind {
                    Kind::Ref { path, .. } => out.in_sum.push(path.clone()),
                    _ => {
                        out.sum_of_other = true;
                        collect_use(a, out);
                    }
                }
            }
        }
        Kind::Ref { path, .. } => out.elsewhere.push(path.clone()),
        _ => {
            let mut inner = Vec::new();
            children(n, &mut inner);
            for c in inner {
                collect_use(c, out);
            }
        }
    }
}

/// The direct children of a node.
fn children<'n>(n: &'n parser::Node, out: &mut Vec<&'n parser::Node>) {
    use parser::Kind;
    match &n.kind {
        Kind::Ref { .. } | Kind::Lit(_) => {}
        Kind::Neg(x) | Kind::Not(x) => out.push(x),
        Kind::Matches { text, .. } => out.push(text),
        Kind::Arith { first, rest } => {
            out.push(first);
            out.extend(rest.iter().map(|(_, x)| x));
        }
        Kind::Cmp { lhs, rhs, .. } => {
            out.push(lhs);
            out.push(rhs);
        }
        Kind::List(items) | Kind::And(items) | Kind::Or(items) | Kind::Call { args: items, .. } | Kind::Host { args: items, .. } => {
            out.extend(items.iter())
        }
    }
}

fn collect_refs(n: &parser::Node, out: &mut Vec<(String, usize)>) {
    use parser::Kind;
    match &n.kind {
        Kind::Ref { path, .. } => out.push((path.clone(), n.start)),
        Kind::Lit(_) => {}
        Kind::Neg(x) | Kind::Not(x) => collect_refs(x, out),
        Kind::Matches { text, .. } => collect_refs(text, out),
        Kind::Arith { first, rest } => {
            collect_refs(first, out);
            rest.iter().for_each(|(_, x)| collect_refs(x, out));
        }
        Kind::Cmp { lhs, rhs, .. } => {
            collect_refs(lhs, out);
            collect_refs(rhs, out);
        }
        Kind::List(items)
        | Kind::And(items)
        | Kind::Or(items)
        | Kind::Call { args: items, .. }
        | Kind::Host { args: items, .. } => items.iter().for_each(|x| collect_refs(x, out)),
    }
}

#[cfg(test)]
mod tests;
