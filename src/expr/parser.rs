//! Tokens → syntax tree, by recursive descent. Every node keeps its byte range in the source.
//!
//! Precedence, lowest first: `||`/`or`; `&&`/`and`; prefix `!`/`not`; comparisons and `in`
//! (non-associative); `+ -`; `* /`; unary `-`; literals, references, calls, parentheses.
//! Chains of one operator (`a + b - c`, `a && b && c`) are flat nodes, so the tree's height — and
//! with it the evaluator's recursion — grows only with nesting, which is capped at [`MAX_DEPTH`].

use regex::{Regex, RegexBuilder};

use super::lexer::{Tok, Token};
use super::{HostFunctions, MAX_DEPTH, ParseError};
use crate::model::Value;

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    Present,
    Blank,
    Sum,
    Count,
    AnyPresent,
    Len,
    Numbers,
    Date,
    YearOf,
    Min,
    Max,
    Abs,
    Default,
}

impl Builtin {
    fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "present" => Builtin::Present,
            "blank" => Builtin::Blank,
            "sum" => Builtin::Sum,
            "count" => Builtin::Count,
            "any_present" => Builtin::AnyPresent,
            "len" => Builtin::Len,
            "numbers" => Builtin::Numbers,
            "date" => Builtin::Date,
            "year_of" => Builtin::YearOf,
            "min" => Builtin::Min,
            "max" => Builtin::Max,
            "abs" => Builtin::Abs,
            "default" => Builtin::Default,
            _ => return None,
        })
    }

    /// (minimum, maximum) argument count; `None` = no upper bound.
    fn arity(self) -> (usize, Option<usize>) {
        match self {
            Builtin::Present | Builtin::Blank | Builtin::Len | Builtin::YearOf | Builtin::Abs => {
                (1, Some(1))
            }
            Builtin::Numbers | Builtin::Default => (2, Some(2)),
            Builtin::Date => (3, Some(3)),
            Builtin::Sum | Builtin::Count | Builtin::AnyPresent | Builtin::Min | Builtin::Max => {
                (1, None)
            }
        }
    }

    /// The only functions whose direct arguments may be glob references.
    fn takes_globs(self) -> bool {
        matches!(self, Builtin::Sum | Builtin::Count | Builtin::AnyPresent)
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Lit(Value),
    List(Vec<Node>),
    Ref {
        path: String,
        glob: bool,
    },
    Neg(Box<Node>),
    Not(Box<Node>),
    /// `first op1 n1 op2 n2 …`, evaluated left to right.
    Arith {
        first: Box<Node>,
        rest: Vec<(ArithOp, Node)>,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
    Cmp {
        op: CmpOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Call {
        func: Builtin,
        args: Vec<Node>,
    },
    /// `matches(text, "regex")`: the pattern is compiled once, here.
    Matches {
        text: Box<Node>,
        re: Regex,
    },
    Host {
        name: String,
        args: Vec<Node>,
    },
}

pub(crate) fn parse(
    src: &str,
    toks: Vec<Token>,
    host: &dyn HostFunctions,
) -> Result<Node, ParseError> {
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        depth: 0,
        host,
    };
    if p.peek() == &Tok::Eof {
        return Err(ParseError::new(0, "empty expression"));
    }
    let node = p.expr()?;
    match p.peek() {
        Tok::Eof => {}
        Tok::RParen => return Err(p.error_here("unmatched `)`")),
        Tok::RBracket => return Err(p.error_here("unmatched `]`")),
        _ => {
            let msg = format!(
                "expected an operator or the end of the expression, found {}",
                p.describe()
            );
            return Err(p.error_here(msg));
        }
    }
    check_globs(&node, false)?;
    Ok(node)
}

/// Glob references only make sense where several fields are folded into one value.
fn check_globs(node: &Node, allowed: bool) -> Result<(), ParseError> {
    match &node.kind {
        Kind::Ref { glob: true, path } if !allowed => Err(ParseError::new(
            node.start,
            format!(
                "the glob `{path}` may only be a direct argument of sum(), count() or any_present()"
            ),
        )),
        Kind::Lit(_) | Kind::Ref { .. } => Ok(()),
        Kind::Neg(n) | Kind::Not(n) => check_globs(n, false),
        Kind::Matches { text, .. } => check_globs(text, false),
        Kind::Arith { first, rest } => {
            check_globs(first, false)?;
            rest.iter().try_for_each(|(_, n)| check_globs(n, false))
        }
        Kind::Cmp { lhs, rhs, .. } => {
            check_globs(lhs, false)?;
            check_globs(rhs, false)
        }
        Kind::List(items) | Kind::And(items) | Kind::Or(items) | Kind::Host { args: items, .. } => {
            items.iter().try_for_each(|n| check_globs(n, false))
        }
        Kind::Call { func, args } => args
            .iter()
            .try_for_each(|n| check_globs(n, func.takes_globs())),
    }
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    host: &'a dyn HostFunctions,
}

impl Parser<'_> {
    fn token(&self) -> &Token {
        // The lexer always ends the stream with Eof and the parser never moves past it.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn peek(&self) -> &Tok {
        &self.token().tok
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        let i = (self.pos + ahead).min(self.toks.len() - 1);
        &self.toks[i].tok
    }

    fn advance(&mut self) -> Token {
        let t = self.token().clone();
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn describe(&self) -> String {
        let t = self.token();
        if t.tok == Tok::Eof {
            "the end of the expression".to_string()
        } else {
            format!("`{}`", &self.src[t.start..t.end])
        }
    }

    fn error_here(&self, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.token().start, msg)
    }

    /// Every construct that nests (parentheses, lists, calls, prefix operators) passes through here.
    fn enter(&mut self, at: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::new(
                at,
                format!("expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn expr(&mut self) -> Result<Node, ParseError> {
        self.or()
    }

    fn or(&mut self) -> Result<Node, ParseError> {
        let first = self.and()?;
        if self.peek() != &Tok::Or {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek() == &Tok::Or {
            self.advance();
            items.push(self.and()?);
        }
        Ok(span_of(items, Kind::Or))
    }

    fn and(&mut self) -> Result<Node, ParseError> {
        let first = self.not()?;
        if self.peek() != &Tok::And {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek() == &Tok::And {
            self.advance();
            items.push(self.not()?);
        }
        Ok(span_of(items, Kind::And))
    }

    fn not(&mut self) -> Result<Node, ParseError> {
        if self.peek() != &Tok::Not {
            return self.comparison();
        }
        let op = self.advance();
        self.enter(op.start)?;
        let operand = self.not()?;
        self.leave();
        let end = operand.end;
        Ok(Node {
            kind: Kind::Not(Box::new(operand)),
            start: op.start,
            end,
        })
    }

    fn cmp_op(&self) -> Option<(CmpOp, usize)> {
        Some(match self.peek() {
            Tok::EqEq => (CmpOp::Eq, 1),
            Tok::NotEq => (CmpOp::Ne, 1),
            Tok::Lt => (CmpOp::Lt, 1),
            Tok::Le => (CmpOp::Le, 1),
            Tok::Gt => (CmpOp::Gt, 1),
            Tok::Ge => (CmpOp::Ge, 1),
            Tok::In => (CmpOp::In, 1),
            Tok::Not if self.peek_at(1) == &Tok::In => (CmpOp::NotIn, 2),
            _ => return None,
        })
    }

    fn comparison(&mut self) -> Result<Node, ParseError> {
        let lhs = self.additive()?;
        let Some((op, width)) = self.cmp_op() else {
            return Ok(lhs);
        };
        for _ in 0..width {
            self.advance();
        }
        let rhs = self.additive()?;
        if self.cmp_op().is_some() {
            return Err(self.error_here(
                "comparisons do not chain; write `a < b && b < c` instead of `a < b < c`",
            ));
        }
        let (start, end) = (lhs.start, rhs.end);
        Ok(Node {
            kind: Kind::Cmp {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            start,
            end,
        })
    }

    fn additive(&mut self) -> Result<Node, ParseError> {
        self.chain(Self::multiplicative, |t| match t {
            Tok::Plus => Some(ArithOp::Add),
            Tok::Minus => Some(ArithOp::Sub),
            _ => None,
        })
    }

    fn multiplicative(&mut self) -> Result<Node, ParseError> {
        self.chain(Self::unary, |t| match t {
            Tok::Star => Some(ArithOp::Mul),
            Tok::Slash => Some(ArithOp::Div),
            _ => None,
        })
    }

    fn chain(
        &mut self,
        operand: fn(&mut Self) -> Result<Node, ParseError>,
        op_of: fn(&Tok) -> Option<ArithOp>,
    ) -> Result<Node, ParseError> {
        let first = operand(self)?;
        let mut rest = Vec::new();
        while let Some(op) = op_of(self.peek()) {
            self.advance();
            rest.push((op, operand(self)?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        let start = first.start;
        let end = rest.last().map_or(first.end, |(_, n)| n.end);
        Ok(Node {
            kind: Kind::Arith {
                first: Box::new(first),
                rest,
            },
            start,
            end,
        })
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        if self.peek() != &Tok::Minus {
            return self.primary();
        }
        let op = self.advance();
        self.enter(op.start)?;
        let operand = self.unary()?;
        self.leave();
        let end = operand.end;
        Ok(Node {
            kind: Kind::Neg(Box::new(operand)),
            start: op.start,
            end,
        })
    }

    fn primary(&mut self) -> Result<Node, ParseError> {
        let t = self.token().clone();
        let lit = |v| {
            Ok(Node {
                kind: Kind::Lit(v),
                start: t.start,
                end: t.end,
            })
        };
        match t.tok {
            Tok::Int(i) => {
                self.advance();
                lit(Value::Int(i))
            }
            Tok::Dec(d) => {
                self.advance();
                lit(Value::Dec(d))
            }
            Tok::Str(ref s) => {
                self.advance();
                lit(Value::Text(s.clone()))
            }
            Tok::True => {
                self.advance();
                lit(Value::Bool(true))
            }
            Tok::False => {
                self.advance();
                lit(Value::Bool(false))
            }
            Tok::LParen => {
                self.advance();
                self.enter(t.start)?;
                let mut inner = self.expr()?;
                self.leave();
                let end = self.close(Tok::RParen, t.start, "(")?;
                // Error snippets then show balanced text; a reference keeps its own offset for refs().
                if !matches!(inner.kind, Kind::Ref { .. }) {
                    inner.start = t.start;
                    inner.end = end;
                }
                Ok(inner)
            }
            Tok::LBracket => self.list(t.start),
            Tok::Ref { ref path, glob } => {
                self.advance();
                if self.peek() == &Tok::LParen {
                    if glob || path.contains('.') {
                        return Err(ParseError::new(
                            t.start,
                            format!("`{path}` is not a function name"),
                        ));
                    }
                    return self.call(path.clone(), t.start);
                }
                Ok(Node {
                    kind: Kind::Ref {
                        path: path.clone(),
                        glob,
                    },
                    start: t.start,
                    end: t.end,
                })
            }
            Tok::Eof => Err(self.error_here("expected a value, but the expression ends here")),
            Tok::RParen => Err(self.error_here("expected a value before `)`")),
            _ => {
                let msg = format!("expected a value, found {}", self.describe());
                Err(self.error_here(msg))
            }
        }
    }

    /// Consumes the closing bracket of a group opened at `open`.
    fn close(&mut self, want: Tok, open: usize, open_text: &str) -> Result<usize, ParseError> {
        if *self.peek() == want {
            return Ok(self.advance().end);
        }
        if self.peek() == &Tok::Eof {
            return Err(ParseError::new(open, format!("unclosed `{open_text}`")));
        }
        let close_text = if want == Tok::RParen { ")" } else { "]" };
        let msg = format!("expected `{close_text}` or `,`, found {}", self.describe());
        Err(self.error_here(msg))
    }

    /// Comma-separated expressions up to `want`; a trailing comma is accepted.
    fn items(
        &mut self,
        want: Tok,
        open: usize,
        open_text: &str,
    ) -> Result<(Vec<Node>, usize), ParseError> {
        self.enter(open)?;
        let mut items = Vec::new();
        while *self.peek() != want {
            if self.peek() == &Tok::Eof {
                return Err(ParseError::new(open, format!("unclosed `{open_text}`")));
            }
            items.push(self.expr()?);
            if self.peek() == &Tok::Comma {
                self.advance();
            } else {
                break;
            }
        }
        self.leave();
        let end = self.close(want, open, open_text)?;
        Ok((items, end))
    }

    fn list(&mut self, start: usize) -> Result<Node, ParseError> {
        self.advance();
        let (items, end) = self.items(Tok::RBracket, start, "[")?;
        Ok(Node {
            kind: Kind::List(items),
            start,
            end,
        })
    }

    fn call(&mut self, name: String, start: usize) -> Result<Node, ParseError> {
        let open = self.advance().start;
        let (args, end) = self.items(Tok::RParen, open, "(")?;
        let n = args.len();
        if name == "matches" {
            return matches_call(args, start, end);
        }
        let Some(func) = Builtin::from_name(&name) else {
            let Some(range) = self.host.arity(&name) else {
                return Err(ParseError::new(start, format!("unknown function `{name}`")));
            };
            if !range.contains(&n) {
                let want = if range.start() == range.end() {
                    plural(*range.start())
                } else {
                    format!("{} to {} arguments", range.start(), range.end())
                };
                return Err(ParseError::new(
                    start,
                    format!("{name}() takes {want}, {n} given"),
                ));
            }
            return Ok(Node {
                kind: Kind::Host { name, args },
                start,
                end,
            });
        };
        match func.arity() {
            (min, Some(max)) if n < min || n > max => {
                let want = if min == max {
                    plural(min)
                } else {
                    format!("{min} to {max} arguments")
                };
                return Err(ParseError::new(
                    start,
                    format!("{name}() takes {want}, {n} given"),
                ));
            }
            (min, None) if n < min => {
                return Err(ParseError::new(
                    start,
                    format!("{name}() takes at least {}", plural(min)),
                ));
            }
            _ => {}
        }
        match func {
            Builtin::Present | Builtin::Blank | Builtin::Count | Builtin::AnyPresent => {
                if let Some(bad) = args.iter().find(|a| !matches!(a.kind, Kind::Ref { .. })) {
                    return Err(ParseError::new(
                        bad.start,
                        format!("{name}() takes field references, not computed values"),
                    ));
                }
            }
            _ => {}
        }
        Ok(Node {
            kind: Kind::Call { func, args },
            start,
            end,
        })
    }
}

/// `matches(text, "regex")`: the pattern must be a literal so it is compiled (and size-checked) once,
/// here, and a bad pattern is reported at its own column.
fn matches_call(mut args: Vec<Node>, start: usize, end: usize) -> Result<Node, ParseError> {
    let (Some(pat), Some(text), None) = (args.pop(), args.pop(), args.pop()) else {
        return Err(ParseError::new(start, "matches() takes 2 arguments"));
    };
    let Kind::Lit(Value::Text(pattern)) = &pat.kind else {
        return Err(ParseError::new(
            pat.start,
            "the pattern of matches() must be a string literal",
        ));
    };
    let re = RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map_err(|e| {
            ParseError::new(
                pat.start,
                format!("bad regex: {}", one_line(&e.to_string())),
            )
        })?;
    Ok(Node {
        kind: Kind::Matches {
            text: Box::new(text),
            re,
        },
        start,
        end,
    })
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 argument".to_string()
    } else {
        format!("{n} arguments")
    }
}

/// regex errors draw the pattern with a caret over several lines; a rule-file error fits on one.
fn one_line(msg: &str) -> String {
    let lines: Vec<&str> = msg
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines
        .iter()
        .rev()
        .find(|l| l.starts_with("error:"))
        .map_or_else(
            || lines.join(" "),
            |l| l.trim_start_matches("error:").trim().to_string(),
        )
}

fn span_of(items: Vec<Node>, make: fn(Vec<Node>) -> Kind) -> Node {
    let start = items.first().map_or(0, |n| n.start);
    let end = items.last().map_or(0, |n| n.end);
    Node {
        kind: make(items),
        start,
        end,
    }
}
