//! Settling digit runs with evidence from outside the table: a figure the narrative states, the
//! pack's identities between this report and last year's (or next year's) report of the same
//! agency. The table's own identities (row sums, balances) are applied by [`super::split`]; this
//! stage runs after extraction, when the narrative and the batch are known.
//!
//! Two kinds of evidence narrow an ambiguous row's readings:
//!
//! - a [`Hint`]: a value some other stage read for a cell (today the rule pack's narrative
//!   fields; the claims stage can add its own), with a description of where it was read;
//! - a check marked `settles: true`: an assertion the report must satisfy (`cross.carry`,
//!   `cross.normative-chain`, a narrative figure against its table cell). It is tried under every
//!   reading of the ambiguous cells it reads; readings under which it fails are dropped, but only
//!   when some reading satisfies it — a check no reading satisfies is itself the finding, and the
//!   check reports it. A cross-year check is also tried from next year's side: next year's report
//!   reads this one through `prev.`, so its figures settle this report's cells too.
//!
//! A cell left with one value is exact and says what settled it (`Field::settled_by`); a row
//! left with several readings stays ambiguous with fewer of them. Never a guess: evidence only
//! removes readings it contradicts.

use std::path::Path;
use std::sync::Arc;

use crate::check::{Assignment, CheckEnv, MAX_COMBOS, dimensions, expand_ref};
use crate::expr::Outcome;
use crate::model::{Candidate, Field, Fields, Status, Value, display_opt};
use crate::rules::{CheckBody, RuleSet};

/// A value read elsewhere for one cell, and where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    /// The cell's field id, e.g. `t2.normative.in_force`.
    pub field: String,
    pub value: Value,
    /// Shown as the cell's `settled_by`, e.g. "叙述：现行有效规范性文件215件（第12行）".
    pub evidence: String,
}

/// Another year's report of the same agency, as settling reads it.
#[derive(Debug, Clone, Copy)]
pub struct Linked<'a> {
    pub fields: &'a Fields,
    pub year: i64,
    pub path: &'a Path,
}

/// The narrative figures the rule pack names for table cells (a row's `hints:`), as hints: a
/// figure that leaves several readings is still evidence against the others.
pub fn narrative_hints(text: &str, fields: &Fields, rules: &RuleSet) -> Vec<Hint> {
    let mut out = Vec::new();
    for t in &rules.tables {
        for row in t.rows.iter().filter(|r| !r.hints.is_empty()) {
            for (col, from) in &row.hints {
                let Some(column) = t.columns.get(*col) else { continue };
                let Some(f) = fields.get(from).filter(|f| !f.status.is_uncertain()) else { continue };
                let Some(value) = f.value.clone() else { continue };
                let evidence = match f.span {
                    Some(s) => format!("叙述{}", quote(text, s, &f.raw)),
                    None => format!("叙述“{}”", f.raw.trim()),
                };
                out.push(Hint { field: t.field_id(&row.id, &column.id), value, evidence });
            }
        }
    }
    out
}

/// Passes over the settling checks: a row settled by one identity can settle another's.
const PASSES: usize = 3;

/// Narrow this report's ambiguous cells with the hints and the pack's settling checks.
/// `text` is the report's text, to quote the narrative a figure was read from.
pub fn settle(text: &str, fields: &mut Fields, rules: &RuleSet, hints: &[Hint], prev: Option<Linked>, next: Option<Linked>) {
    for h in hints {
        let Some(f) = fields.get(&h.field).filter(|f| f.status == Status::Ambiguous) else { continue };
        let dims = dimensions(fields, &[f]);
        let Some(dim) = dims.first() else { continue };
        let keep: Vec<bool> = dim.iter().map(|alt| alt.iter().any(|(id, v)| *id == h.field && v.as_ref().is_some_and(|v| same(v, &h.value)))).collect();
        narrow(fields, dim, &keep, &h.evidence);
    }
    if !fields.values().any(|f| f.status == Status::Ambiguous) {
        return;
    }
    // What each check's `when` said in the last pass, in the order ranking visits the checks:
    // still true of the fields when that pass changed nothing.
    let mut whens: Vec<When> = Vec::new();
    let mut settled = false;
    for _ in 0..PASSES {
        let mut changed = false;
        whens.clear();
        for rule in rules.checks.iter().filter(|c| c.settles && c.severity.is_some()) {
            for inst in &rule.instances {
                let CheckBody::Assert(assert) = &inst.body else { continue };
                let (c, when) = own_side(text, fields, rules, inst, assert, prev, &rule.id);
                changed |= c;
                if let Some(n) = next {
                    changed |= next_side(fields, rules, inst, assert, n, &rule.id);
                }
                // Known only while nothing has changed since it was asked.
                whens.push(if changed { When::Unknown } else { when });
            }
        }
        if !changed {
            settled = true;
            break;
        }
    }
    rank(fields, rules, hints, prev, settled.then_some(&whens[..]));
}

/// Order each ambiguous row's readings by plausibility, most plausible first: agreement with the
/// narrative's figures and the settling checks (a check that holds under the reading), then
/// with last year's values of the same cells. Only the order changes: nothing is chosen.
fn rank(fields: &mut Fields, rules: &RuleSet, hints: &[Hint], prev: Option<Linked>, whens: Option<&[When]>) {
    let mut rows: Vec<crate::model::Joint> = Vec::new();
    for f in fields.values().filter(|f| f.status == Status::Ambiguous) {
        if let Some(j) = &f.joint
            && j.readings.len() > 1
            && !rows.iter().any(|r| r.group == j.group)
        {
            rows.push(j.clone());
        }
    }
    if rows.is_empty() {
        return;
    }
    // The settling checks and the fields each reads, globs expanded once: the same for every row.
    // Which checks read a field, by field id, so a row finds its checks by its own cells.
    let prev_fields = prev.map(|p| p.fields);
    let mut settling: Vec<(&crate::rules::CheckInstance, &crate::expr::Expr)> = Vec::new();
    let mut readers: std::collections::HashMap<String, Vec<usize>, std::hash::BuildHasherDefault<super::fxhash::FxHasher>> = Default::default();
    // A check whose `when` is false reads a row only through a cell its `when` reads (`applies`
    // with the row's cells); one whose `when` reads no row's cell applies to no row, and its
    // fields need not be gathered. (Ranking changes the cells' order only, never what `when` sees.)
    let row_cells: super::fxhash::FxHashSet<&str> = rows.iter().flat_map(|j| j.fields.iter().map(String::as_str)).collect();
    let env = CheckEnv::new(fields, prev_fields, rules);
    let mut asked = 0;
    for rule in rules.checks.iter().filter(|c| c.settles && c.severity.is_some()) {
        for inst in &rule.instances {
            if let CheckBody::Assert(a) = &inst.body {
                let known = whens.and_then(|w| w.get(asked)).copied().unwrap_or(When::Unknown);
                asked += 1;
                let when_false = match known {
                    When::None | When::Holds => false,
                    When::FalseReadingAmbiguous | When::Fails => true,
                    When::Unknown => inst.when.as_ref().is_some_and(|w| matches!(w.eval(&env), Outcome::Value(Value::Bool(false)) | Outcome::Missing(_))),
                };
                if when_false {
                    let mut when_refs = Vec::new();
                    for r in &inst.when_refs {
                        expand_ref(r, fields, prev_fields, &mut when_refs);
                    }
                    if !when_refs.iter().any(|r| row_cells.contains(r.as_str()) && fields.contains_key(r)) {
                        continue;
                    }
                }
                let mut refs = Vec::new();
                for r in &inst.refs {
                    expand_ref(r, fields, prev_fields, &mut refs);
                }
                for r in refs {
                    readers.entry(r).or_default().push(settling.len());
                }
                settling.push((inst, a));
            }
        }
    }
    drop(env);
    drop(row_cells);
    let mut reads: Vec<Vec<usize>> = vec![Vec::new(); settling.len()];
    for j in rows {
        let env = CheckEnv::new(fields, prev_fields, rules);
        let cells: Vec<&Field> = j.fields.iter().filter_map(|id| fields.get(id)).collect();
        // Each check that reads this row, with the row's columns it reads: a check's verdict on a
        // reading depends only on those cells, so readings that agree there are tried once.
        for r in reads.iter_mut() {
            r.clear();
        }
        for (c, id) in j.fields.iter().enumerate() {
            for &k in readers.get(id.as_str()).map_or(&[][..], |v| &v[..]) {
                reads[k].push(c);
            }
        }
        let mut checks: Vec<(&crate::rules::CheckInstance, &crate::expr::Expr, Vec<usize>)> = Vec::new();
        for ((inst, a), read) in settling.iter().zip(&reads) {
            if !read.is_empty() && applies(&env, inst, &cells) {
                checks.push((inst, a, read.clone()));
            }
        }
        let mut holds: Vec<usize> = vec![0; j.readings.len()];
        let mut env = CheckEnv::new(fields, prev_fields, rules);
        for (inst, a, read) in &checks {
            let mut seen: std::collections::HashMap<Vec<crate::check::ValueKey>, bool> = std::collections::HashMap::new();
            for (k, reading) in j.readings.iter().enumerate() {
                let key: Vec<crate::check::ValueKey> = read.iter().map(|c| crate::check::ValueKey::of(reading.get(*c).unwrap_or(&None))).collect();
                let held = *seen.entry(key).or_insert_with(|| {
                    env.trying = j.fields.iter().cloned().zip(reading.iter().cloned()).collect();
                    let applies = inst.when.as_ref().is_none_or(|w| matches!(w.eval(&env), Outcome::Value(Value::Bool(true))));
                    applies && matches!(a.eval(&env), Outcome::Value(Value::Bool(true)))
                });
                holds[k] += held as usize;
            }
        }
        let score = |k: usize, reading: &Vec<Option<Value>>| -> (usize, usize) {
            let mut evidence = holds[k];
            for (id, v) in j.fields.iter().zip(reading) {
                evidence += hints.iter().filter(|h| h.field == *id && v.as_ref().is_some_and(|v| same(v, &h.value))).count();
            }
            let last_year = prev.map_or(0, |p| {
                j.fields
                    .iter()
                    .zip(reading)
                    .filter(|(id, v)| p.fields.get(*id).is_some_and(|g| !g.status.is_uncertain() && g.value.is_some() && g.value == **v))
                    .count()
            });
            (evidence, last_year)
        };
        let mut scored: Vec<((usize, usize), usize)> = j.readings.iter().enumerate().map(|(i, r)| (score(i, r), i)).collect();
        if scored.iter().all(|(s, _)| *s == scored[0].0) {
            continue;
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let readings: Vec<Vec<Option<Value>>> = scored.iter().map(|(_, i)| j.readings[*i].clone()).collect();
        let joint = crate::model::Joint { readings: Arc::new(readings), ..j.clone() };
        for (c, id) in j.fields.iter().enumerate() {
            let Some(cell) = fields.get_mut(id).filter(|f| f.status == Status::Ambiguous) else { continue };
            let mut order: Vec<Option<Value>> = Vec::new();
            for r in joint.readings.iter() {
                let v = r.get(c).cloned().flatten();
                if !order.contains(&v) {
                    order.push(v);
                }
            }
            cell.candidates.sort_by_key(|x| order.iter().position(|v| *v == x.value).unwrap_or(usize::MAX));
            cell.joint = Some(joint.clone());
        }
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-6,
        _ => a == b,
    }
}

/// The assertion read from this report, with last year's report as `prev.`: whether it narrowed
/// anything, and what its `when` said before.
fn own_side(text: &str, fields: &mut Fields, rules: &RuleSet, inst: &crate::rules::CheckInstance, assert: &crate::expr::Expr, prev: Option<Linked>, described: &str) -> (bool, When) {
    let when = precondition(fields, rules, inst, prev.map(|p| p.fields));
    (own_side_after(text, fields, rules, inst, assert, prev, described, when), when)
}

#[allow(clippy::too_many_arguments)]
fn own_side_after(text: &str, fields: &mut Fields, rules: &RuleSet, inst: &crate::rules::CheckInstance, assert: &crate::expr::Expr, prev: Option<Linked>, described: &str, when: When) -> bool {
    if when == When::Fails {
        return false;
    }
    let mut refs = Vec::new();
    for r in &inst.refs {
        expand_ref(r, fields, prev.map(|p| p.fields), &mut refs);
    }
    let ambiguous: Vec<&Field> = refs.iter().filter_map(|r| fields.get(r)).filter(|f| f.status == Status::Ambiguous).collect();
    if ambiguous.is_empty() {
        return false;
    }
    let env = CheckEnv::new(fields, prev.map(|p| p.fields), rules);
    // A `when` found true above is true here (the same fields): `applies` without asking again.
    if when != When::Holds && !applies(&env, inst, &ambiguous) {
        return false;
    }
    let dims = dimensions(fields, &ambiguous);
    let Some(keep) = supported(env, inst, assert, &dims, "") else { return false };
    let evidence = describe(text, rules, described, assert, fields, prev, None, "");
    let mut changed = false;
    for (dim, keep) in dims.iter().zip(&keep) {
        changed |= narrow(fields, dim, keep, &evidence);
    }
    changed
}

/// The assertion read from next year's report, which sees this one as `prev.`.
fn next_side(fields: &mut Fields, rules: &RuleSet, inst: &crate::rules::CheckInstance, assert: &crate::expr::Expr, next: Linked, described: &str) -> bool {
    let mine: Vec<&Field> = inst
        .refs
        .iter()
        .filter_map(|r| r.strip_prefix("prev."))
        .filter(|r| !r.contains('*'))
        .filter_map(|r| fields.get(r))
        .filter(|f| f.status == Status::Ambiguous)
        .collect();
    if mine.is_empty() {
        return false;
    }
    let dims = dimensions(fields, &mine);
    let env = CheckEnv::new(next.fields, Some(fields), rules);
    if let Some(w) = &inst.when
        && matches!(w.eval(&env), Outcome::Value(Value::Bool(false)) | Outcome::Missing(_))
        && !w.refs().iter().any(|(r, _)| r.strip_prefix("prev.").is_some_and(|r| mine.iter().any(|f| f.id == r)))
    {
        return false;
    }
    let Some(keep) = supported(env, inst, assert, &dims, "prev.") else { return false };
    let evidence = describe("", rules, described, assert, next.fields, None, Some(next), "prev.");
    let mut changed = false;
    for (dim, keep) in dims.iter().zip(&keep) {
        changed |= narrow(fields, dim, keep, &evidence);
    }
    changed
}

/// The check's `when` is false (or names an absent field) and reads no ambiguous field: `applies`
/// is false whatever ambiguous cells the assertion reads, so the check settles nothing. Decided
/// before the assertion's fields are gathered (most instances of a pack end here: another
/// template's, a concept the narrative does not state, no last year).
fn precondition(fields: &Fields, rules: &RuleSet, inst: &crate::rules::CheckInstance, prev: Option<&Fields>) -> When {
    let Some(w) = &inst.when else { return When::None };
    let env = CheckEnv::new(fields, prev, rules);
    if !matches!(w.eval(&env), Outcome::Value(Value::Bool(false)) | Outcome::Missing(_)) {
        return When::Holds;
    }
    let ambiguous = |id: &str| fields.get(id).is_some_and(|f| f.status == Status::Ambiguous);
    // A plain reference is its own expansion: only globs are expanded.
    let reads_ambiguous = inst.when_refs.iter().any(|r| {
        if r.contains('*') {
            let mut ids = Vec::new();
            expand_ref(r, fields, prev, &mut ids);
            ids.iter().any(|id| ambiguous(id))
        } else {
            ambiguous(r)
        }
    });
    if reads_ambiguous { When::FalseReadingAmbiguous } else { When::Fails }
}

/// What a check's `when` says before its readings are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    /// There is none.
    None,
    /// True (or not false) as the fields stand.
    Holds,
    /// False, but it reads an ambiguous field: a reading may make it true.
    FalseReadingAmbiguous,
    /// False whatever the ambiguous fields hold: the check settles nothing.
    Fails,
    /// Not asked, or asked before the fields changed.
    Unknown,
}

/// False when the check's precondition is false whatever the uncertain cells hold (it reads none
/// of them): nothing to try.
fn applies(env: &CheckEnv, inst: &crate::rules::CheckInstance, ambiguous: &[&Field]) -> bool {
    match &inst.when {
        Some(w) => !matches!(w.eval(env), Outcome::Value(Value::Bool(false)) | Outcome::Missing(_)) || crate::check::reads_any(w, env, ambiguous),
        None => true,
    }
}

/// Per dimension, which alternatives take part in some combination under which the assertion
/// holds (or does not apply). `None` when there is nothing to learn: no combination satisfies
/// it (that is the check's finding), every alternative survives, or there are too many.
fn supported(mut env: CheckEnv, inst: &crate::rules::CheckInstance, assert: &crate::expr::Expr, dims: &[Vec<Assignment>], prefix: &str) -> Option<Vec<Vec<bool>>> {
    let total = dims.iter().map(|d| d.len().max(1)).try_fold(1usize, |a, n| a.checked_mul(n))?;
    if total > MAX_COMBOS || dims.iter().any(|d| d.is_empty()) {
        return None;
    }
    let mut keep: Vec<Vec<bool>> = dims.iter().map(|d| vec![false; d.len()]).collect();
    let mut index = vec![0usize; dims.len()];
    let mut any_holds = false;
    for _ in 0..total {
        env.trying = dims.iter().zip(&index).flat_map(|(d, i)| d[*i].iter().map(|(id, v)| (format!("{prefix}{id}"), v.clone()))).collect();
        let applies = match &inst.when {
            None => true,
            Some(w) => matches!(w.eval(&env), Outcome::Value(Value::Bool(true))),
        };
        let holds = if applies {
            match assert.eval(&env) {
                Outcome::Value(Value::Bool(b)) => Some(b),
                _ => None,
            }
        } else {
            None
        };
        if holds == Some(true) {
            any_holds = true;
        }
        if holds != Some(false) {
            for (k, i) in keep.iter_mut().zip(&index) {
                k[*i] = true;
            }
        }
        for (slot, d) in index.iter_mut().zip(dims) {
            *slot += 1;
            if *slot < d.len() {
                break;
            }
            *slot = 0;
        }
    }
    (any_holds && keep.iter().any(|k| k.iter().any(|x| !x))).then_some(keep)
}

/// What settled a cell: the rule and the figures from outside the row it was read against,
/// grouped by the report they come from.
#[allow(clippy::too_many_arguments)]
fn describe(text: &str, rules: &RuleSet, described: &str, assert: &crate::expr::Expr, source: &Fields, prev: Option<Linked>, next: Option<Linked>, skip_prefix: &str) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |whose: String, fact: String| match groups.iter_mut().find(|(w, _)| *w == whose) {
        Some((_, v)) if !v.contains(&fact) => v.push(fact),
        Some(_) => {}
        None => groups.push((whose, vec![fact])),
    };
    for (r, _) in assert.refs() {
        if r.contains('*') || (!skip_prefix.is_empty() && r.starts_with(skip_prefix)) {
            continue;
        }
        let (f, whose) = match r.strip_prefix("prev.") {
            Some(rest) => (prev.and_then(|p| p.fields.get(rest)), prev.map(|p| format!("上年报告（{}年度，{}）", p.year, file_name(p.path)))),
            None => (source.get(&r), next.map(|n| format!("下年报告（{}年度，{}）", n.year, file_name(n.path)))),
        };
        let Some(f) = f.filter(|f| !f.status.is_uncertain()) else { continue };
        match (whose, f.span) {
            (Some(w), _) => add(w, format!("{} = {}", f.id, display_opt(&f.value))),
            // A figure of this report outside the tables: the narrative, quoted.
            (None, Some(s)) if !f.raw.is_empty() && !rules.cell_order.contains_key(&f.id) => add("叙述".into(), quote(text, s, &f.raw)),
            _ => {}
        }
    }
    let facts: Vec<String> = groups.into_iter().map(|(w, v)| format!("{w}{}", v.join("、"))).collect();
    if facts.is_empty() { described.to_string() } else { format!("{described}：{}", facts.join("；")) }
}

/// The words around a figure read from the narrative, up to the sentence's edges:
/// "“集中公开现行有效行政规范性文件698件”（第10行）".
pub fn quote(text: &str, s: crate::model::Span, raw: &str) -> String {
    const BEFORE: usize = 16;
    const AFTER: usize = 4;
    let stop = |c: char| matches!(c, '。' | '；' | ';' | '\n' | '，' | ',');
    let (start, end) = (s.start.min(text.len()), s.end.min(text.len()));
    let quoted = match (text.get(..start), text.get(start..end), text.get(end..)) {
        (Some(head), Some(mid), Some(tail)) if !mid.is_empty() => {
            let before: String = head.chars().rev().take_while(|c| !stop(*c)).take(BEFORE).collect::<Vec<_>>().into_iter().rev().collect();
            let after: String = tail.chars().take_while(|c| !stop(*c)).take(AFTER).collect();
            format!("{before}{mid}{after}")
        }
        _ => raw.trim().to_string(),
    };
    format!("“{}”（第{}行）", quoted.trim(), s.line)
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Keep only the alternatives of one dimension marked in `keep`, and rebuild the cells they
/// cover. A dimension is one row's readings (projected on the cells the evidence reads) or one
/// field's candidates. Returns whether anything was dropped.
fn narrow(fields: &mut Fields, dim: &[Assignment], keep: &[bool], evidence: &str) -> bool {
    if keep.iter().all(|k| *k) || !keep.iter().any(|k| *k) {
        return false;
    }
    let kept: Vec<&Assignment> = dim.iter().zip(keep).filter(|(_, k)| **k).map(|(a, _)| a).collect();
    let Some(first) = dim.first().and_then(|a| a.first()).map(|(id, _)| id.clone()) else { return false };
    let Some(f) = fields.get(&first) else { return false };
    match f.joint.clone() {
        Some(j) => {
            // Row readings whose values on the assignment's cells are among the kept ones.
            let col = |id: &str| j.fields.iter().position(|x| x == id);
            let readings: Vec<Vec<Option<Value>>> = j
                .readings
                .iter()
                .filter(|r| kept.iter().any(|a| a.iter().all(|(id, v)| col(id).is_some_and(|c| r.get(c) == Some(v)))))
                .cloned()
                .collect();
            if readings.is_empty() || readings.len() == j.readings.len() {
                return false;
            }
            let joint = crate::model::Joint { group: j.group.clone(), fields: j.fields.clone(), readings: Arc::new(readings), complete: j.complete };
            for (c, id) in j.fields.iter().enumerate() {
                let Some(cell) = fields.get_mut(id).filter(|f| f.status == Status::Ambiguous) else { continue };
                let mut values: Vec<Option<Value>> = Vec::new();
                for r in joint.readings.iter() {
                    let v = r.get(c).cloned().flatten();
                    if !values.contains(&v) {
                        values.push(v);
                    }
                }
                set_values(cell, values, evidence, (joint.readings.len() > 1).then(|| joint.clone()));
            }
            true
        }
        None => {
            let values: Vec<Option<Value>> = kept.iter().filter_map(|a| a.first().map(|(_, v)| v.clone())).collect();
            match fields.get_mut(&first) {
                Some(cell) => {
                    set_values(cell, values, evidence, None);
                    true
                }
                None => false,
            }
        }
    }
}

/// A cell's remaining values: exact and settled when one is left, else fewer candidates.
fn set_values(cell: &mut Field, values: Vec<Option<Value>>, evidence: &str, joint: Option<crate::model::Joint>) {
    if let [only] = &values[..] {
        cell.value = only.clone();
        cell.status = Status::Exact;
        cell.candidates.clear();
        cell.joint = None;
        cell.note = Some("多种拆分中只有一种与其他证据相符（见确定依据）".to_string());
        cell.settled_by = Some(evidence.to_string());
        if let Some(v) = only {
            cell.raw = v.to_string();
        }
    } else {
        let left = joint.as_ref().map_or(values.len(), |j| j.readings.len());
        cell.candidates = values.into_iter().map(|value| Candidate { value, note: None }).collect();
        cell.joint = joint;
        cell.note = Some(format!("依据{evidence}排除了部分拆分，仍有{left}种无法区分"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Joint;
    use std::path::PathBuf;

    fn rules(yaml: &str) -> RuleSet {
        let base = "fields:\n  - { id: r.a, label: A, type: integer }\n  - { id: r.b, label: B, type: integer }\n  - { id: r.c, label: C, type: integer }\n  - { id: narr.a, label: 叙述A, type: integer }\n  - { id: year, label: 年度, type: year }\n";
        crate::rules::compile::compile(None, &[("r.yaml".into(), format!("{base}{yaml}"))]).unwrap_or_else(|e| panic!("{}", e[0]))
    }

    /// Row r with cells a, b, c and these readings (from a glued run).
    fn row(readings: &[[i64; 3]]) -> Fields {
        let ids: Vec<String> = ["r.a", "r.b", "r.c"].iter().map(|s| s.to_string()).collect();
        let joint = Joint {
            group: Arc::from("r"),
            fields: Arc::new(ids.clone()),
            readings: Arc::new(readings.iter().map(|r| r.iter().map(|v| Some(Value::Int(*v))).collect()).collect()),
            complete: true,
        };
        let mut out = Fields::new();
        for (c, id) in ids.iter().enumerate() {
            let mut f = Field::exact(id, id, None, "", None);
            let mut values: Vec<i64> = readings.iter().map(|r| r[c]).collect();
            values.dedup();
            if values.len() == 1 {
                f.value = Some(Value::Int(values[0]));
            } else {
                f.status = Status::Ambiguous;
                f.candidates = values.iter().map(|v| Candidate { value: Some(Value::Int(*v)), note: None }).collect();
                f.joint = Some(joint.clone());
            }
            out.insert(id.clone(), f);
        }
        out
    }

    fn int(f: &Fields, id: &str) -> Option<i64> {
        f.get(id).filter(|f| f.status == Status::Exact).and_then(|f| f.value.as_ref()).and_then(|v| v.as_int())
    }

    // "693665" as 制发 | 废止 | 现行有效: three of its readings.
    const RUN: [[i64; 3]; 3] = [[6, 93, 665], [69, 3, 665], [6, 9, 3665]];

    #[test]
    fn a_hint_settles_the_row_and_says_where_it_was_read() {
        let mut f = row(&RUN);
        let hints = [Hint { field: "r.c".into(), value: Value::Int(3665), evidence: "叙述：现行有效3665件（第3行）".into() }];
        settle("", &mut f, &rules(""), &hints, None, None);
        assert_eq!((int(&f, "r.a"), int(&f, "r.b"), int(&f, "r.c")), (Some(6), Some(9), Some(3665)));
        assert_eq!(f["r.a"].settled_by.as_deref(), Some("叙述：现行有效3665件（第3行）"));
        // A hint that only narrows: 665 leaves two readings, the third column is settled.
        let mut f = row(&RUN);
        let hints = [Hint { field: "r.c".into(), value: Value::Int(665), evidence: "叙述".into() }];
        settle("", &mut f, &rules(""), &hints, None, None);
        assert_eq!(int(&f, "r.c"), Some(665));
        assert_eq!(f["r.a"].status, Status::Ambiguous);
        assert_eq!(f["r.a"].candidates.len(), 2);
        assert_eq!(f["r.a"].joint.as_ref().unwrap().readings.len(), 2);
        // A hint no reading agrees with settles nothing.
        let mut f = row(&RUN);
        let hints = [Hint { field: "r.c".into(), value: Value::Int(7), evidence: "叙述".into() }];
        settle("", &mut f, &rules(""), &hints, None, None);
        assert_eq!(f["r.c"].status, Status::Ambiguous);
        assert_eq!(f["r.c"].candidates.len(), 2);
    }

    const CHAIN: &str = "checks:\n  - { id: chain, severity: warning, settles: true, description: 链, assert: 'r.c == prev.r.c + r.a - r.b', message: x }\n";

    #[test]
    fn last_years_report_settles_a_run_through_a_settling_check() {
        let mut f = row(&RUN);
        let mut prev = Fields::new();
        prev.insert("r.c".into(), Field::exact("r.c", "C", Some(Value::Int(3578)), "", None));
        let p = PathBuf::from("2020.txt");
        settle("", &mut f, &rules(CHAIN), &[], Some(Linked { fields: &prev, year: 2020, path: &p }), None);
        // 3578 + 6 − 9 = 3575 ≠ 3665… only 3665 = 3578 + 96 − 9 would do; none fits: unsettled.
        assert_eq!(f["r.c"].status, Status::Ambiguous, "no reading satisfies it: that is the finding, not a settlement");
        prev.get_mut("r.c").unwrap().value = Some(Value::Int(752));
        settle("", &mut f, &rules(CHAIN), &[], Some(Linked { fields: &prev, year: 2020, path: &p }), None);
        // 752 + 6 − 93 = 665: the first reading only.
        assert_eq!((int(&f, "r.a"), int(&f, "r.b"), int(&f, "r.c")), (Some(6), Some(93), Some(665)));
        let by = f["r.b"].settled_by.clone().unwrap();
        assert_eq!(by, "chain：上年报告（2020年度，2020.txt）r.c = 752");
    }

    #[test]
    fn readings_are_ranked_by_agreement_with_last_year_never_chosen() {
        // Last year's row was 69 | 3 | 665: that reading comes first, the row stays ambiguous.
        let mut f = row(&RUN);
        let mut prev = Fields::new();
        for (id, v) in [("r.a", 69), ("r.b", 3), ("r.c", 665)] {
            prev.insert(id.into(), Field::exact(id, id, Some(Value::Int(v)), "", None));
        }
        let p = PathBuf::from("2020.txt");
        settle("", &mut f, &rules(""), &[], Some(Linked { fields: &prev, year: 2020, path: &p }), None);
        let j = f["r.a"].joint.clone().unwrap();
        assert_eq!(j.readings[0], vec![Some(Value::Int(69)), Some(Value::Int(3)), Some(Value::Int(665))]);
        assert_eq!(j.readings.len(), 3);
        assert_eq!(f["r.a"].status, Status::Ambiguous);
        assert_eq!(f["r.a"].candidates[0].value, Some(Value::Int(69)));
        assert_eq!(f["r.c"].candidates[0].value, Some(Value::Int(665)));
    }

    #[test]
    fn next_years_report_settles_this_years_run() {
        // Next year: 现行有效 698 = this year's + 88 − 55, so this year's is 665.
        let mut next = Fields::new();
        for (id, v) in [("r.a", 88), ("r.b", 55), ("r.c", 698)] {
            next.insert(id.into(), Field::exact(id, id, Some(Value::Int(v)), "", None));
        }
        let mut f = row(&RUN);
        let p = PathBuf::from("2022.txt");
        settle("", &mut f, &rules(CHAIN), &[], None, Some(Linked { fields: &next, year: 2022, path: &p }));
        assert_eq!(int(&f, "r.c"), Some(665));
        assert_eq!(f["r.a"].status, Status::Ambiguous, "6|93 and 69|3 both give 665");
        assert!(f["r.c"].settled_by.as_deref().unwrap().contains("下年报告（2022年度，2022.txt）r.c = 698"), "{:?}", f["r.c"].settled_by);
    }

    #[test]
    fn a_narrative_field_settles_through_a_settling_check() {
        let yaml = "checks:\n  - { id: n, severity: warning, settles: true, assert: 'r.c == narr.a', message: x }\n";
        let d = crate::load::Document::from_bytes(PathBuf::from("x.txt"), "第一行\n现行有效规范性文件3665件".as_bytes()).unwrap();
        let mut f = row(&RUN);
        let n = Field::exact("narr.a", "叙述A", Some(Value::Int(3665)), "3665", Some(d.span(37, 41)));
        f.insert("narr.a".into(), n);
        settle(&d.text, &mut f, &rules(yaml), &[], None, None);
        assert_eq!((int(&f, "r.a"), int(&f, "r.b")), (Some(6), Some(9)));
        assert_eq!(f["r.a"].settled_by.as_deref(), Some("n：叙述“现行有效规范性文件3665件”（第2行）"));
    }

    #[test]
    fn an_early_false_precondition_is_one_the_gathered_fields_would_have_found() {
        // On the real reports: wherever the early test ends a check, gathering its ambiguous
        // fields and asking `applies` would have ended it too (nothing to try).
        let rules = RuleSet::builtin();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (paths, _) = crate::load::discover(&[dir.join("samples"), dir.join("../shared/corpus"), dir.join("../shared/seeds")]);
        let (mut early, mut tried) = (0, 0);
        for p in &paths {
            let Ok(d) = crate::load::load_file(p) else { continue };
            let fields = crate::extract::extract_full(&d, &rules, &Default::default()).fields;
            for rule in rules.checks.iter().filter(|c| c.settles && c.severity.is_some()) {
                for inst in &rule.instances {
                    tried += 1;
                    let when = precondition(&fields, &rules, inst, None);
                    let env = CheckEnv::new(&fields, None, &rules);
                    if when == When::Holds {
                        // What `applies` would say, asked again.
                        assert!(applies(&env, inst, &[]), "{} {}", p.display(), rule.id);
                    }
                    if when != When::Fails {
                        continue;
                    }
                    early += 1;
                    let mut refs = Vec::new();
                    for r in &inst.refs {
                        expand_ref(r, &fields, None, &mut refs);
                    }
                    let ambiguous: Vec<&Field> = refs.iter().filter_map(|r| fields.get(r)).filter(|f| f.status == Status::Ambiguous).collect();
                    assert!(ambiguous.is_empty() || !applies(&env, inst, &ambiguous), "{} {}", p.display(), rule.id);
                }
            }
        }
        assert!(early > 100 && early < tried, "{early} of {tried}");
    }
}
