//! Syntax tree + data → value. Nothing here panics: every bad combination becomes an error message,
//! every absent or blank field stops the evaluation as `Missing` unless a function asked about it.

use std::cmp::Ordering;

use super::parser::{ArithOp, Builtin, CmpOp, Kind, Node};
use super::{Env, Lookup, Outcome};
use crate::model::{Date, Value};

/// Numbers that differ by no more than this are equal: reports print decimals rounded.
pub const TOLERANCE: f64 = 1e-6;

/// Why evaluation stopped early.
pub(crate) enum Stop {
    Missing(String),
    Error(String),
}

/// A single value or a list (list literals, `numbers()`).
pub(crate) enum Val {
    One(Value),
    List(Vec<Value>),
}

type R<T> = Result<T, Stop>;

pub(crate) fn run(node: &Node, src: &str, env: &dyn Env) -> Outcome {
    match (Evaluator { src, env }).eval(node) {
        Ok(Val::One(v)) => Outcome::Value(v),
        Ok(Val::List(vs)) => Outcome::List(vs),
        Err(Stop::Missing(id)) => Outcome::Missing(id),
        Err(Stop::Error(e)) => Outcome::Error(e),
    }
}

/// Blank text counts as a blank cell whatever the host said.
pub(crate) fn normalize(l: Lookup) -> Lookup {
    match l {
        Lookup::Value(Value::Text(s)) if s.trim().is_empty() => Lookup::Blank,
        other => other,
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Int(_) => "an integer",
        Value::Dec(_) => "a decimal",
        Value::Amount { .. } => "an amount",
        Value::Date(_) => "a date",
        Value::Text(_) => "text",
        Value::Bool(_) => "a boolean",
    }
}

struct Evaluator<'a> {
    src: &'a str,
    env: &'a dyn Env,
}

impl Evaluator<'_> {
    /// The node's source text for error messages, cut short on a char boundary.
    fn snippet(&self, n: &Node) -> String {
        let text = self.src.get(n.start..n.end).unwrap_or("");
        let mut out: String = text.chars().take(60).collect();
        if out.len() < text.len() {
            out.push('…');
        }
        out
    }

    fn fail<T>(&self, n: &Node, msg: impl std::fmt::Display) -> R<T> {
        Err(Stop::Error(format!("{msg} in `{}`", self.snippet(n))))
    }

    /// Arity is checked at parse time; this only keeps a malformed tree from panicking.
    fn arg<'n>(&self, n: &Node, args: &'n [Node], i: usize) -> R<&'n Node> {
        match args.get(i) {
            Some(a) => Ok(a),
            None => self.fail(n, "too few arguments"),
        }
    }

    fn lookup(&self, id: &str) -> R<Value> {
        match normalize(self.env.lookup(id)) {
            Lookup::Value(v) => Ok(v),
            Lookup::Absent | Lookup::Blank => Err(Stop::Missing(id.to_string())),
        }
    }

    fn eval(&self, n: &Node) -> R<Val> {
        let v = match &n.kind {
            Kind::Lit(v) => v.clone(),
            Kind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.value(item)?);
                }
                return Ok(Val::List(out));
            }
            Kind::Ref { path, .. } => self.lookup(path)?,
            Kind::Neg(x) => {
                let v = self.value(x)?;
                match negate(&v) {
                    Ok(v) => v,
                    Err(e) => return self.fail(n, e),
                }
            }
            Kind::Not(x) => Value::Bool(!self.boolean(x)?),
            Kind::And(items) => {
                for item in items {
                    if !self.boolean(item)? {
                        return Ok(Val::One(Value::Bool(false)));
                    }
                }
                Value::Bool(true)
            }
            Kind::Or(items) => {
                for item in items {
                    if self.boolean(item)? {
                        return Ok(Val::One(Value::Bool(true)));
                    }
                }
                Value::Bool(false)
            }
            Kind::Arith { first, rest } => {
                let mut acc = self.value(first)?;
                for (op, operand) in rest {
                    let rhs = self.value(operand)?;
                    acc = match arith(*op, &acc, &rhs) {
                        Ok(v) => v,
                        Err(e) => return self.fail(n, e),
                    };
                }
                acc
            }
            Kind::Cmp { op, lhs, rhs } => Value::Bool(self.compare(n, *op, lhs, rhs)?),
            Kind::Matches { text, re } => match self.value(text)? {
                Value::Text(s) => Value::Bool(re.is_match(&s)),
                other => {
                    return self.fail(
                        n,
                        format!("matches() needs text, got {}", type_name(&other)),
                    );
                }
            },
            Kind::Call { func, args } => return self.builtin(n, *func, args),
            Kind::Host { name, args } => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.value(a)?);
                }
                match self.env.call(name, &vals) {
                    Ok(v) => v,
                    Err(e) => return self.fail(n, format!("{name}(): {e}")),
                }
            }
        };
        Ok(Val::One(v))
    }

    /// A single value; a list here is a type error.
    fn value(&self, n: &Node) -> R<Value> {
        match self.eval(n)? {
            Val::One(v) => Ok(v),
            Val::List(_) => self.fail(n, "a list cannot be used as a single value"),
        }
    }

    fn boolean(&self, n: &Node) -> R<bool> {
        match self.value(n)? {
            Value::Bool(b) => Ok(b),
            other => self.fail(
                n,
                format!(
                    "expected true or false, got {} ({other})",
                    type_name(&other)
                ),
            ),
        }
    }

    fn compare(&self, n: &Node, op: CmpOp, lhs: &Node, rhs: &Node) -> R<bool> {
        let a = self.value(lhs)?;
        let b = self.eval(rhs)?;
        let result = match (op, b) {
            (CmpOp::In | CmpOp::NotIn, b) => contains(&a, &b).map(|c| c == (op == CmpOp::In)),
            (_, Val::List(_)) => Err("a list can only be the right side of `in`".to_string()),
            (CmpOp::Eq, Val::One(b)) => equal(&a, &b),
            (CmpOp::Ne, Val::One(b)) => equal(&a, &b).map(|e| !e),
            (CmpOp::Lt, Val::One(b)) => order(&a, &b).map(|o| o == Ordering::Less),
            (CmpOp::Le, Val::One(b)) => order(&a, &b).map(|o| o != Ordering::Greater),
            (CmpOp::Gt, Val::One(b)) => order(&a, &b).map(|o| o == Ordering::Greater),
            (CmpOp::Ge, Val::One(b)) => order(&a, &b).map(|o| o != Ordering::Less),
        };
        result.or_else(|e| self.fail(n, e))
    }

    /// Calls `f` with each value of a field-reference argument: one field, or every member of a
    /// glob; absent and blank fields are left out. `None` when the argument is not a reference.
    /// A visitor rather than a list: assertions are retried under thousands of candidate
    /// readings, and building a list of ids per try was most of their cost.
    fn each_member(&self, arg: &Node, f: &mut dyn FnMut(&str, Value) -> R<()>) -> Option<R<()>> {
        let Kind::Ref { path, glob } = &arg.kind else {
            return None;
        };
        let mut out = Ok(());
        let mut visit = |id: &str, l: Lookup| {
            if out.is_ok()
                && let Lookup::Value(v) = normalize(l)
            {
                out = f(id, v);
            }
        };
        if *glob {
            self.env.glob_each(path, &mut visit);
        } else {
            visit(path, self.env.lookup(path));
        }
        Some(out)
    }

    fn builtin(&self, n: &Node, func: Builtin, args: &[Node]) -> R<Val> {
        let one = |v| Ok(Val::One(v));
        match func {
            Builtin::Present | Builtin::Count | Builtin::AnyPresent => {
                let mut count = 0usize;
                for a in args {
                    let _ = self.each_member(a, &mut |_, _| {
                        count += 1;
                        Ok(())
                    });
                }
                match func {
                    Builtin::Count => one(Value::Int(i64::try_from(count).unwrap_or(i64::MAX))),
                    _ => one(Value::Bool(count > 0)),
                }
            }
            Builtin::Blank => {
                let blank = args.iter().all(|a| match &a.kind {
                    Kind::Ref { path, .. } => normalize(self.env.lookup(path)) == Lookup::Blank,
                    _ => false,
                });
                one(Value::Bool(blank))
            }
            Builtin::Sum => self.sum(n, args),
            Builtin::Len => match self.eval(self.arg(n, args, 0)?)? {
                Val::One(Value::Text(s)) => one(Value::Int(
                    i64::try_from(s.chars().count()).unwrap_or(i64::MAX),
                )),
                Val::List(vs) => one(Value::Int(i64::try_from(vs.len()).unwrap_or(i64::MAX))),
                Val::One(other) => self.fail(
                    n,
                    format!("len() needs text or a list, got {}", type_name(&other)),
                ),
            },
            Builtin::Numbers => {
                let text = self.value(self.arg(n, args, 0)?)?;
                let unit = self.value(self.arg(n, args, 1)?)?;
                match (text, unit) {
                    (Value::Text(t), Value::Text(u)) => match numbers(&t, &u) {
                        Ok(vs) => Ok(Val::List(vs)),
                        Err(e) => self.fail(n, e),
                    },
                    (t, u) => self.fail(
                        n,
                        format!(
                            "numbers() needs text and a unit, got {} and {}",
                            type_name(&t),
                            type_name(&u)
                        ),
                    ),
                }
            }
            Builtin::Date => self.date(n, args).map(Val::One),
            Builtin::YearOf => match self.value(self.arg(n, args, 0)?)? {
                Value::Date(d) => one(Value::Int(i64::from(d.year))),
                other => self.fail(
                    n,
                    format!("year_of() needs a date, got {}", type_name(&other)),
                ),
            },
            Builtin::Min | Builtin::Max => {
                self.extreme(n, args, func == Builtin::Min).map(Val::One)
            }
            Builtin::Abs => {
                let v = self.value(self.arg(n, args, 0)?)?;
                let r = match v {
                    Value::Int(i) => i
                        .checked_abs()
                        .map(Value::Int)
                        .ok_or_else(|| "integer overflow".to_string()),
                    Value::Dec(d) => Ok(Value::Dec(d.abs())),
                    Value::Amount { value, unit } => Ok(Value::Amount {
                        value: value.abs(),
                        unit,
                    }),
                    other => Err(format!("abs() needs a number, got {}", type_name(&other))),
                };
                r.map(Val::One).or_else(|e| self.fail(n, e))
            }
            Builtin::Default => match self.eval(self.arg(n, args, 0)?) {
                Err(Stop::Missing(_)) => self.eval(self.arg(n, args, 1)?),
                other => other,
            },
        }
    }

    /// `date(y, m, d)`: a real calendar date or an error.
    fn date(&self, n: &Node, args: &[Node]) -> R<Value> {
        let mut parts = [0i64; 3];
        for (slot, a) in parts.iter_mut().zip(args) {
            *slot = match self.value(a)? {
                Value::Int(i) => i,
                other => {
                    return self.fail(
                        n,
                        format!("date() needs integers, got {}", type_name(&other)),
                    );
                }
            };
        }
        let date = match (
            i32::try_from(parts[0]),
            u32::try_from(parts[1]),
            u32::try_from(parts[2]),
        ) {
            (Ok(y), Ok(m), Ok(d)) => Date::new(y, m, d),
            _ => None,
        };
        match date {
            Some(d) => Ok(Value::Date(d)),
            None => self.fail(
                n,
                format!("no such date {}-{}-{}", parts[0], parts[1], parts[2]),
            ),
        }
    }

    /// `min(…)` / `max(…)` over every argument, lists flattened; the value returned is the argument
    /// itself, so an amount stays an amount.
    fn extreme(&self, n: &Node, args: &[Node], smallest: bool) -> R<Value> {
        let want = if smallest {
            Ordering::Less
        } else {
            Ordering::Greater
        };
        let mut best: Option<Value> = None;
        for a in args {
            let vals = match self.eval(a)? {
                Val::One(v) => vec![v],
                Val::List(vs) => vs,
            };
            for v in vals {
                best = Some(match best {
                    None => v,
                    Some(b) => match order(&v, &b) {
                        Ok(o) if o == want => v,
                        Ok(_) => b,
                        Err(e) => return self.fail(n, e),
                    },
                });
            }
        }
        match best {
            Some(v) => Ok(v),
            None => self.fail(n, "no values to compare"),
        }
    }

    /// Adds every numeric value present among the arguments; absent or blank ones are skipped.
    /// When fields were named but none of them holds a value (every cell blank, or none in the
    /// report), the sum is unknown, not 0: it stops as `Missing` so the check does not apply.
    fn sum(&self, n: &Node, args: &[Node]) -> R<Val> {
        let mut acc = Value::Int(0);
        let mut added = false;
        let mut unknown: Option<String> = None;
        // `what` names the operand in an error message; it is only built when there is one.
        let add = |acc: &mut Value, v: Value, what: &dyn Fn() -> String| -> R<()> {
            if v.as_f64().is_none() {
                return self.fail(
                    n,
                    format!("sum() adds numbers, but {} is {} ({v})", what(), type_name(&v)),
                );
            }
            *acc = arith(ArithOp::Add, acc, &v).or_else(|e| self.fail(n, e))?;
            Ok(())
        };
        for a in args {
            let mut members = 0usize;
            let visited = self.each_member(a, &mut |id, v| {
                members += 1;
                add(&mut acc, v, &|| format!("`{id}`"))
            });
            if let Some(done) = visited {
                done?;
                if members == 0
                    && unknown.is_none()
                    && let Kind::Ref { path, .. } = &a.kind
                {
                    unknown = Some(path.clone());
                }
                added |= members > 0;
                continue;
            }
            let what = || format!("`{}`", self.snippet(a));
            match self.eval(a) {
                Err(Stop::Missing(id)) => {
                    unknown.get_or_insert(id);
                }
                Err(e) => return Err(e),
                Ok(Val::One(v)) => {
                    add(&mut acc, v, &what)?;
                    added = true;
                }
                Ok(Val::List(vs)) => {
                    for v in vs {
                        add(&mut acc, v, &what)?;
                    }
                    // A computed list (`numbers(…)`) is data: an empty one adds up to 0.
                    added = true;
                }
            }
        }
        match unknown {
            Some(id) if !added => Err(Stop::Missing(id)),
            _ => Ok(Val::One(acc)),
        }
    }
}

fn negate(v: &Value) -> Result<Value, String> {
    match v {
        Value::Int(i) => i
            .checked_neg()
            .map(Value::Int)
            .ok_or_else(|| "integer overflow".to_string()),
        Value::Dec(d) => Ok(Value::Dec(-d)),
        Value::Amount { value, unit } => Ok(Value::Amount {
            value: -value,
            unit: unit.clone(),
        }),
        other => Err(format!("cannot negate {}", type_name(other))),
    }
}

fn verb(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "add",
        ArithOp::Sub => "subtract",
        ArithOp::Mul => "multiply",
        ArithOp::Div => "divide",
    }
}

fn finite(d: f64) -> Result<f64, String> {
    if d.is_finite() {
        Ok(d)
    } else {
        Err("number out of range".to_string())
    }
}

/// Int with Int stays Int (checked); a division that does not come out even gives a decimal
/// rather than silently truncating. Amounts keep their unit; amounts in different units never mix.
pub(crate) fn arith(op: ArithOp, a: &Value, b: &Value) -> Result<Value, String> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let r = match op {
                ArithOp::Add => x.checked_add(*y),
                ArithOp::Sub => x.checked_sub(*y),
                ArithOp::Mul => x.checked_mul(*y),
                ArithOp::Div => {
                    if *y == 0 {
                        return Err("division by zero".to_string());
                    }
                    match x.checked_rem(*y) {
                        Some(0) => x.checked_div(*y),
                        Some(_) => return Ok(Value::Dec(*x as f64 / *y as f64)),
                        None => None,
                    }
                }
            };
            r.map(Value::Int)
                .ok_or_else(|| "integer overflow".to_string())
        }
        (Value::Text(x), Value::Text(y)) if op == ArithOp::Add => {
            Ok(Value::Text(format!("{x}{y}")))
        }
        _ => {
            let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
                return Err(format!(
                    "cannot {} {} and {}",
                    verb(op),
                    type_name(a),
                    type_name(b)
                ));
            };
            let unit = amount_unit(a, b, op)?;
            let r = match op {
                ArithOp::Add => x + y,
                ArithOp::Sub => x - y,
                ArithOp::Mul => x * y,
                ArithOp::Div => {
                    if y == 0.0 {
                        return Err("division by zero".to_string());
                    }
                    x / y
                }
            };
            let r = finite(r)?;
            Ok(match unit {
                Some(unit) => Value::Amount { value: r, unit },
                None => Value::Dec(r),
            })
        }
    }
}

/// The unit an arithmetic result keeps: an amount scaled or shifted by a plain number stays an
/// amount; amount ÷ amount (same unit) is a plain ratio.
fn amount_unit(a: &Value, b: &Value, op: ArithOp) -> Result<Option<String>, String> {
    match (a, b) {
        (Value::Amount { unit: u, .. }, Value::Amount { unit: v, .. }) => {
            if u != v {
                return Err(format!("cannot {} amounts in {u} and {v}", verb(op)));
            }
            Ok(match op {
                ArithOp::Add | ArithOp::Sub => Some(u.clone()),
                ArithOp::Mul | ArithOp::Div => None,
            })
        }
        (Value::Amount { unit, .. }, _) => Ok(Some(unit.clone())),
        (_, Value::Amount { unit, .. }) => Ok(match op {
            ArithOp::Div => None,
            _ => Some(unit.clone()),
        }),
        _ => Ok(None),
    }
}

/// Equality: numbers within [`TOLERANCE`], otherwise only like with like.
pub(crate) fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
        _ => order(a, b).map(|o| o == Ordering::Equal),
    }
}

/// Ordering of numbers (tolerant), dates, and texts; anything else is a type error.
pub(crate) fn order(a: &Value, b: &Value) -> Result<Ordering, String> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Ok(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Ok(x.cmp(y)),
        (Value::Amount { unit: u, .. }, Value::Amount { unit: v, .. }) if u != v => {
            Err(format!("cannot compare amounts in {u} and {v}"))
        }
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => Ok(if (x - y).abs() <= TOLERANCE {
                Ordering::Equal
            } else if x < y {
                Ordering::Less
            } else {
                Ordering::Greater
            }),
            _ => Err(format!(
                "cannot compare {} with {}",
                type_name(a),
                type_name(b)
            )),
        },
    }
}

/// `x in list` by equality; `text in text` is a substring test.
fn contains(a: &Value, b: &Val) -> Result<bool, String> {
    match b {
        Val::List(items) => {
            for item in items {
                if equal(a, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Val::One(Value::Text(hay)) => match a {
            Value::Text(needle) => Ok(hay.contains(needle.as_str())),
            other => Err(format!("cannot look for {} in text", type_name(other))),
        },
        Val::One(other) => Err(format!(
            "`in` needs a list or text on its right, got {}",
            type_name(other)
        )),
    }
}

/// Every number written immediately before `unit`: "公开政务资讯713条，政府信息1,563条" with "条"
/// gives [713, 1563]. Digits may be grouped with commas in threes; a number with a fractional
/// part ("2.5万元") is a decimal. The digits of a longer number are never split off it.
pub(crate) fn numbers(text: &str, unit: &str) -> Result<Vec<Value>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        // Thousands groups: ",ddd" not followed by another digit.
        while i + 3 < bytes.len()
            && bytes[i] == b','
            && bytes[i + 1..=i + 3].iter().all(u8::is_ascii_digit)
            && !bytes.get(i + 4).is_some_and(u8::is_ascii_digit)
        {
            i += 4;
        }
        let int_end = i;
        let mut frac = false;
        if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
            frac = true;
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        }
        // Digits right after a dot belong to something like a version or section number "3.2.1".
        let glued = start > 0 && bytes[start - 1] == b'.';
        if glued || !text[i..].starts_with(unit) {
            continue;
        }
        let digits: String = text[start..int_end].chars().filter(|c| *c != ',').collect();
        if frac {
            let whole = format!("{digits}{}", &text[int_end..i]);
            match whole.parse::<f64>() {
                Ok(d) if d.is_finite() => out.push(Value::Dec(d)),
                _ => return Err(format!("number {whole} out of range")),
            }
        } else {
            match digits.parse::<i64>() {
                Ok(n) => out.push(Value::Int(n)),
                Err(_) => return Err(format!("number {digits} out of range")),
            }
        }
    }
    Ok(out)
}
