//! Assertions that compare sums and differences of fields, evaluated without the interpreter.
//!
//! Most of a pack's identities are of this shape — `t3.total.person == sum(t3.granted.person,
//! t3.denied.*.person, …)`, `a + b == c + d` — and a check over ambiguous cells evaluates one
//! up to 4,096 times, once per combination of readings. [`Linear::of`] recognises the shape;
//! [`Linear::plan`] binds each field to a source the caller chooses (a slot being tried, or a
//! settled value), and [`Plan::eval`] gives what the interpreter gives for integers and blanks:
//! `None` where evaluation stops as missing (a blank or absent operand, a `sum()` none of
//! whose fields holds a value), else whether the comparison holds. Only integer values are
//! taken, and only small enough that no sum can overflow, so the interpreter could not have
//! raised an error; anything else is left to the interpreter.

use super::parser::{ArithOp, Builtin, CmpOp, Kind, Node};
use super::Expr;
use crate::model::Value;

/// Values beyond this are left to the interpreter: no sum of a check's operands can then come
/// near `i64`'s limits, where the interpreter reports an overflow.
pub const MAX_VALUE: i64 = 1 << 40;

/// The assertion's shape, with field paths.
#[derive(Debug)]
pub struct Linear {
    op: CmpOp,
    lhs: Vec<(i64, Term)>,
    rhs: Vec<(i64, Term)>,
}

#[derive(Debug)]
enum Term {
    Lit(i64),
    /// A field that must hold a value.
    Field(String),
    /// `sum(…)`: each argument a field or a glob.
    Sum(Vec<(String, bool)>),
}

/// The assertion bound to sources.
#[derive(Debug)]
pub struct Plan {
    op: CmpOp,
    lhs: Vec<(i64, Operand)>,
    rhs: Vec<(i64, Operand)>,
}

#[derive(Debug)]
enum Operand {
    Lit(i64),
    Need(usize),
    /// Per argument, its members' sources.
    Sum(Vec<Vec<usize>>),
}

impl Linear {
    /// The assertion's linear form, if it has one.
    pub fn of(e: &Expr) -> Option<Linear> {
        let Kind::Cmp { op, lhs, rhs } = &e.root.kind else { return None };
        if matches!(op, CmpOp::In | CmpOp::NotIn) {
            return None;
        }
        let mut l = Vec::new();
        let mut r = Vec::new();
        side(lhs, 1, &mut l)?;
        side(rhs, 1, &mut r)?;
        Some(Linear { op: *op, lhs: l, rhs: r })
    }

    /// Binds every field: `members` expands a glob (or names a plain path's one field), `source`
    /// gives the source index of a field id.
    pub fn plan(&self, members: &mut dyn FnMut(&str, bool) -> Vec<String>, source: &mut dyn FnMut(&str) -> usize) -> Plan {
        let mut bind = |terms: &[(i64, Term)]| -> Vec<(i64, Operand)> {
            terms
                .iter()
                .map(|(sign, t)| {
                    let o = match t {
                        Term::Lit(v) => Operand::Lit(*v),
                        Term::Field(id) => Operand::Need(source(id)),
                        Term::Sum(args) => Operand::Sum(args.iter().map(|(p, glob)| members(p, *glob).iter().map(|id| source(id)).collect()).collect()),
                    };
                    (*sign, o)
                })
                .collect()
        };
        let lhs = bind(&self.lhs);
        let rhs = bind(&self.rhs);
        Plan { op: self.op, lhs, rhs }
    }
}

/// Flattens `node` (taken with `sign`) into signed terms.
fn side(node: &Node, sign: i64, out: &mut Vec<(i64, Term)>) -> Option<()> {
    match &node.kind {
        Kind::Lit(Value::Int(v)) if v.abs() <= MAX_VALUE => out.push((sign, Term::Lit(*v))),
        Kind::Ref { path, glob: false } => out.push((sign, Term::Field(path.clone()))),
        Kind::Neg(x) => side(x, -sign, out)?,
        Kind::Arith { first, rest } => {
            side(first, sign, out)?;
            for (op, x) in rest {
                match op {
                    ArithOp::Add => side(x, sign, out)?,
                    ArithOp::Sub => side(x, -sign, out)?,
                    ArithOp::Mul | ArithOp::Div => return None,
                }
            }
        }
        Kind::Call { func: Builtin::Sum, args } => {
            let mut refs = Vec::new();
            for a in args {
                let Kind::Ref { path, glob } = &a.kind else { return None };
                refs.push((path.clone(), *glob));
            }
            out.push((sign, Term::Sum(refs)));
        }
        _ => return None,
    }
    Some(())
}

impl Plan {
    /// The comparison under the sources' values (`None` = blank or absent); `None` when
    /// evaluation stops as missing. Values must be within [`MAX_VALUE`].
    pub fn eval(&self, value: &dyn Fn(usize) -> Option<i64>) -> Option<bool> {
        let total = |terms: &[(i64, Operand)]| -> Option<i64> {
            let mut acc = 0i64;
            for (sign, o) in terms {
                let v = match o {
                    Operand::Lit(v) => *v,
                    Operand::Need(s) => value(*s)?,
                    Operand::Sum(args) => {
                        let mut sum = 0i64;
                        let mut added = false;
                        for members in args {
                            for s in members {
                                if let Some(v) = value(*s) {
                                    sum += v;
                                    added = true;
                                }
                            }
                        }
                        // No field of any argument holds a value: the sum is unknown. (A sum of
                        // no arguments at all is 0, as in the interpreter.)
                        if !added && !args.is_empty() {
                            return None;
                        }
                        sum
                    }
                };
                acc += sign * v;
            }
            Some(acc)
        };
        let a = total(&self.lhs)?;
        let b = total(&self.rhs)?;
        Some(match self.op {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::In | CmpOp::NotIn => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::tests::{Host, TestEnv};
    use crate::expr::{Env, Lookup, Outcome};

    use crate::testing::Rng;

    const IDS: [&str; 6] = ["a.x", "a.y", "b.x", "b.y", "c.x", "t"];

    fn operand(r: &mut Rng, depth: u32) -> String {
        match r.below(if depth > 1 { 3 } else { 5 }) {
            0 => IDS[r.below(6) as usize].to_string(),
            1 => format!("{}", r.below(7)),
            2 => {
                let n = 1 + r.below(3);
                let args: Vec<String> = (0..n).map(|_| if r.below(3) == 0 { ["a.*", "b.*", "c.*"][r.below(3) as usize].to_string() } else { IDS[r.below(6) as usize].to_string() }).collect();
                format!("sum({})", args.join(", "))
            }
            3 => format!("({} {} {})", operand(r, depth + 1), ["+", "-"][r.below(2) as usize], operand(r, depth + 1)),
            _ => format!("-{}", IDS[r.below(6) as usize]),
        }
    }

    /// Random linear assertions over random integer and blank fields: the plan says exactly
    /// what the interpreter says (holds, fails, or missing).
    #[test]
    fn a_linear_plan_agrees_with_the_interpreter() {
        let mut r = Rng(0x2545_F491_4F6C_DD1D);
        let mut compared = 0;
        for _ in 0..4000 {
            let src = format!("{} {} {}", operand(&mut r, 0), ["==", "!=", "<", "<=", ">", ">="][r.below(6) as usize], operand(&mut r, 0));
            let e = Expr::parse(&src, &Host).unwrap_or_else(|err| panic!("{src}: {err:?}"));
            let Some(linear) = Linear::of(&e) else { panic!("not linear: {src}") };
            let mut env = TestEnv::new();
            for id in IDS {
                env = match r.below(4) {
                    0 => env,
                    1 => env.blank(id),
                    _ => env.with(id, Value::Int(r.below(5) as i64)),
                };
            }
            let mut ids: Vec<String> = Vec::new();
            let plan = linear.plan(
                &mut |p, glob| if glob { env.glob(p).into_iter().map(|(id, _)| id).collect() } else { vec![p.to_string()] },
                &mut |id| match ids.iter().position(|k| k == id) {
                    Some(i) => i,
                    None => {
                        ids.push(id.to_string());
                        ids.len() - 1
                    }
                },
            );
            let value = |s: usize| match env.lookup(&ids[s]) {
                Lookup::Value(Value::Int(v)) => Some(v),
                _ => None,
            };
            let fast = plan.eval(&value);
            let slow = match e.eval(&env) {
                Outcome::Value(Value::Bool(b)) => Some(b),
                Outcome::Missing(_) => None,
                other => panic!("{src}: {other:?}"),
            };
            assert_eq!(fast, slow, "{src}");
            compared += 1;
        }
        assert_eq!(compared, 4000);
    }

    #[test]
    fn other_shapes_are_left_to_the_interpreter() {
        for src in ["a * 2 == b", "a == b && c == d", "a in [1, 2]", "a / 2 == b", "max(a, b) == c", "a == 1.5", "present(a)"] {
            let e = Expr::parse(src, &Host).unwrap();
            assert!(Linear::of(&e).is_none(), "{src}");
        }
    }
}
