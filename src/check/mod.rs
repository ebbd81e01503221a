//! Checks: fields (and the text) + the rule pack → findings.
//!
//! An assertion that reads an ambiguous field is evaluated under every candidate reading: if it
//! holds under all of them there is nothing to report; if it fails under every one of a complete
//! set of readings the failure is certain and raised at the rule's own severity (saying so and how
//! many readings were tried); if it fails under some, the finding is a warning that names the
//! uncertain fields — never an error raised on a guess.

mod memo;
mod pattern;
mod prefilter;
mod trying;
mod text_quality;

use std::collections::HashMap;
use std::rc::Rc;

use crate::expr::{Env, Lookup, Outcome};
use crate::load::Document;
use crate::model::{Field, Fields, Finding, Severity, Span, Value, display_opt};
use crate::claims::Claims;
use crate::rules::{CheckBody, CheckInstance, CheckRule, RuleSet, glob_match};
pub use prefilter::{PatternSearch, TextSet};

mod status;

/// Most candidate combinations tried for one assertion.
pub(crate) const MAX_COMBOS: usize = 4096;

/// The fields a check can see: this report's, last year's (`prev.`), pattern captures, and the
/// candidate values being tried for ambiguous fields.
pub struct CheckEnv<'a> {
    pub fields: &'a Fields,
    pub prev: Option<&'a Fields>,
    pub rules: &'a RuleSet,
    pub locals: HashMap<String, Value>,
    /// Values being tried for ambiguous fields.
    pub trying: Vec<(String, Option<Value>)>,
    /// While candidates are tried: where each field read comes from (see [`trying::Tried`]).
    slots: Option<trying::Tried>,
    /// Glob expansions, by pattern: a handful per check, looked up on every try (a scan that
    /// compares addresses first beats hashing the pattern).
    globs: std::cell::RefCell<Vec<(usize, String, Rc<Vec<String>>)>>,
    /// What the checks of one report share (its fields do not change while they run): glob
    /// expansions, consulted when `globs` misses, and which readings of a row agree with its
    /// settled cells.
    report: Option<Rc<ReportCache>>,
}

/// What the checks of one report work out once and share.
#[derive(Default)]
pub(crate) struct ReportCache {
    /// Glob expansions, by pattern.
    globs: std::cell::RefCell<HashMap<String, Rc<Vec<String>>>>,
    /// For each row with readings (by the address of its shared readings): the indexes of the
    /// readings that agree with the row's settled cells (see [`agreeing_readings`]).
    readings: std::cell::RefCell<HashMap<usize, Rc<Vec<u32>>>>,
}

impl<'a> CheckEnv<'a> {
    pub fn new(fields: &'a Fields, prev: Option<&'a Fields>, rules: &'a RuleSet) -> Self {
        CheckEnv { fields, prev, rules, locals: HashMap::new(), trying: Vec::new(), slots: None, globs: Default::default(), report: None }
    }

    fn field_lookup(&self, id: &str, f: Option<&Field>) -> Lookup {
        let tried = match &self.slots {
            Some(slots) => slots.slot(id, &self.trying).map(|i| &self.trying[i].1),
            None => self.trying.iter().find(|(k, _)| k == id).map(|(_, v)| v),
        };
        if let Some(v) = tried {
            return match v {
                Some(v) => Lookup::Value(v.clone()),
                None => Lookup::Blank,
            };
        }
        match f {
            None => Lookup::Absent,
            // An ambiguous field not being tried has no value to offer.
            Some(f) if f.status.is_uncertain() => Lookup::Absent,
            Some(f) => match &f.value {
                Some(v) => Lookup::Value(v.clone()),
                None => Lookup::Blank,
            },
        }
    }
}

impl CheckEnv<'_> {
    /// A field's value outside the combination being tried.
    fn lookup_settled(&self, id: &str) -> Lookup {
        if let Some(v) = self.locals.get(id) {
            return Lookup::Value(v.clone());
        }
        if let Some(rest) = id.strip_prefix("prev.") {
            // Settling last year's cells from next year's side tries them as `prev.` values.
            if let Some((_, v)) = self.trying.iter().find(|(k, _)| k == id) {
                return v.clone().map_or(Lookup::Blank, Lookup::Value);
            }
            let Some(prev) = self.prev else { return Lookup::Absent };
            return match prev.get(rest) {
                Some(f) if !f.status.is_uncertain() => match &f.value {
                    Some(v) => Lookup::Value(v.clone()),
                    None => Lookup::Blank,
                },
                _ => Lookup::Absent,
            };
        }
        self.field_lookup(id, self.fields.get(id))
    }

    /// Which fields a glob names does not change while candidates are tried: expand once.
    fn glob_ids_cached(&self, pattern: &str) -> Rc<Vec<String>> {
        let mut cache = self.globs.borrow_mut();
        let addr = pattern.as_ptr() as usize;
        // The same rule string comes back at the same address; the text is compared anyway.
        let hit = cache
            .iter()
            .find(|(a, p, _)| *a == addr && p == pattern)
            .or_else(|| cache.iter().find(|(_, p, _)| p == pattern));
        if let Some((_, _, ids)) = hit {
            return ids.clone();
        }
        let shared = self.report.as_ref().and_then(|r| r.globs.borrow().get(pattern).cloned());
        let ids = shared.unwrap_or_else(|| {
            let ids = Rc::new(glob_ids(pattern, self.fields, self.prev));
            if let Some(r) = &self.report {
                r.globs.borrow_mut().insert(pattern.to_string(), ids.clone());
            }
            ids
        });
        cache.push((addr, pattern.to_string(), ids.clone()));
        ids
    }
}

impl Env for CheckEnv<'_> {
    fn lookup(&self, id: &str) -> Lookup {
        // While candidates are tried (assertions have no locals), ids resolve once per search.
        if let Some(t) = &self.slots
            && self.locals.is_empty()
        {
            return t.lookup(id, &self.trying, || self.lookup_settled(id));
        }
        self.lookup_settled(id)
    }

    fn glob(&self, pattern: &str) -> Vec<(String, Lookup)> {
        let ids = self.glob_ids_cached(pattern);
        ids.iter().map(|id| (id.clone(), self.lookup(id))).collect()
    }

    fn glob_each(&self, pattern: &str, f: &mut dyn FnMut(&str, Lookup)) {
        let ids = self.glob_ids_cached(pattern);
        for id in ids.iter() {
            f(id, self.lookup(id));
        }
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        match (name, args) {
            ("deadline", [Value::Int(y), Value::Text(kind)]) => self
                .rules
                .deadline(*y, kind)
                .map(Value::Date)
                .ok_or_else(|| format!("no deadline rule for year {y} and kind {kind}")),
            ("deadline", _) => Err("deadline(year, agency_kind) needs a year and a kind".into()),
            _ => Err(format!("unknown function {name}()")),
        }
    }
}

/// Run every check of the pack on one report, reading its claims first.
pub fn run_checks(doc: &Document, fields: &Fields, prev: Option<&Fields>, rules: &RuleSet) -> Vec<Finding> {
    let claims = crate::claims::read(doc, fields, rules);
    run_checks_with(doc, fields, &claims, prev, rules)
}

/// Run every check of the pack on one report whose claims are already read.
pub fn run_checks_with(doc: &Document, fields: &Fields, claims: &Claims, prev: Option<&Fields>, rules: &RuleSet) -> Vec<Finding> {
    let mut out = Vec::new();
    let globs: Rc<ReportCache> = Rc::default();
    // Which pattern checks can match at all, in one pass over the text.
    let present = rules.text_set.scan(&doc.text);
    for rule in &rules.checks {
        let Some(severity) = rule.severity else { continue };
        for inst in &rule.instances {
            run_instance(doc, fields, claims, prev, rules, rule, severity, inst, &globs, &present, &mut out);
        }
    }
    alone(rules, out)
}

/// A check marked `alone` that fired says the document is not a report: its findings stand alone
/// and say how many other findings were left out.
fn alone(rules: &RuleSet, mut out: Vec<Finding>) -> Vec<Finding> {
    let is_alone = |f: &Finding| rules.checks.iter().any(|c| c.alone && c.id == f.rule);
    let kept = out.iter().filter(|f| is_alone(f)).count();
    if kept == 0 {
        return out;
    }
    let left = out.len() - kept;
    // Which rules were left out, by count: a reviewer still sees what else is wrong with it.
    let mut by_rule: Vec<(String, usize)> = Vec::new();
    for f in out.iter().filter(|f| !is_alone(f)) {
        match by_rule.iter_mut().find(|(r, _)| *r == f.rule) {
            Some((_, n)) => *n += 1,
            None => by_rule.push((f.rule.clone(), 1)),
        }
    }
    out.retain(is_alone);
    if left > 0
        && let Some(f) = out.first_mut()
    {
        let list: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
        f.message = format!("{}（文件不是年度报告，另有{left}条检查结果未列出：{}）", f.message, list.join("、"));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn run_instance(
    doc: &Document,
    fields: &Fields,
    claims: &Claims,
    prev: Option<&Fields>,
    rules: &RuleSet,
    rule: &CheckRule,
    severity: Severity,
    inst: &CheckInstance,
    globs: &Rc<ReportCache>,
    present: &prefilter::Present,
    out: &mut Vec<Finding>,
) {
    if matches!(inst.body, CheckBody::Assert(_)) && precondition_fails(fields, prev, rules, inst, globs) {
        return;
    }
    // Made only for a finding: most instances raise none.
    let key = || format!("{}{}", rule.id, inst.key_suffix);
    match &inst.body {
        CheckBody::Assert(assert) => {
            let mut env = CheckEnv::new(fields, prev, rules);
            env.report = Some(globs.clone());
            // The ids are borrowed from the rule and from the report's glob expansions (kept
            // alive here): gathering them copies no string.
            let expansions: Vec<Rc<Vec<String>>> = inst.refs.iter().filter(|r| r.contains('*')).map(|r| env.glob_ids_cached(r)).collect();
            let mut refs: Vec<&str> = Vec::with_capacity(inst.refs.len());
            let mut globbed = expansions.iter();
            for r in &inst.refs {
                let ids: &[String] = if r.contains('*') { globbed.next().map_or(&[], |e| e.as_slice()) } else { std::slice::from_ref(r) };
                for id in ids {
                    if !refs.contains(&id.as_str()) {
                        refs.push(id);
                    }
                }
            }
            let ambiguous: Vec<&Field> = refs
                .iter()
                .filter_map(|r| fields.get(*r))
                .filter(|f| f.status.is_uncertain() && !f.candidates.is_empty())
                .collect();
            let verdict = evaluate_over_candidates(&mut env, inst, assert, &ambiguous, &refs);
            if matches!(verdict, Verdict::Holds | Verdict::NotApplicable) {
                return;
            }
            let span = refs.iter().filter_map(|r| fields.get(*r)).find_map(|f| f.span);
            let present: Vec<String> = refs.iter().filter(|r| fields.contains_key(**r) || r.starts_with("prev.")).map(|r| r.to_string()).collect();
            match verdict {
                Verdict::Holds | Verdict::NotApplicable => {}
                Verdict::Fails(trial) => {
                    env.trying = trial;
                    let message = inst.message.render(&env);
                    out.push(finding(rule, severity, message, span, present, key()));
                }
                Verdict::Certain(trial, tried) => {
                    env.trying = trial;
                    let message = inst.message.render(&env);
                    let which: Vec<&str> = ambiguous.iter().map(|f| f.id.as_str()).collect();
                    let message = format!("{message} —— 待定字段 {} 的全部{tried}种读法下均不成立", which.join("、"));
                    out.push(finding(rule, severity, message, span, present, key()));
                }
                Verdict::Uncertain(trial) => {
                    // No failing reading found among the first combinations: the message's
                    // figures would all be unknown, so say what could not be verified instead.
                    let unverified = trial.is_empty();
                    let message = if unverified {
                        format!("{}：待定字段的读法组合超过{MAX_COMBOS}种，未能逐一验证", rule.description.as_deref().unwrap_or(&rule.id))
                    } else {
                        env.trying = trial;
                        inst.message.render(&env)
                    };
                    let which: Vec<String> = ambiguous
                        .iter()
                        .map(|f| {
                            let c: Vec<String> = f.candidates.iter().map(|c| display_opt(&c.value)).collect();
                            format!("{}（候选 {}）", f.id, c.join(" | "))
                        })
                        .collect();
                    let message = format!("{message} —— 取决于待定字段 {}，请先确定取值", which.join("、"));
                    // A check that could not run is news, not a problem found: info.
                    let at = if unverified { Severity::Info } else { Severity::Warning };
                    out.push(finding(rule, at.min(severity), message, span, present, key()));
                }
                Verdict::Error(e) => {
                    let message = format!("规则无法计算：{e}");
                    out.push(finding(rule, Severity::Info, message, span, present, key()));
                }
            }
        }
        CheckBody::Pattern { scope, search, assert, absent, max } => {
            let search = if present.may_match(search) { Some(search) } else { None };
            pattern::run(doc, fields, prev, rules, rule, severity, inst, scope, search, assert.as_ref(), *absent, *max, &key(), out)
        }
        CheckBody::Text { scope, kind, max } => text_quality::run(doc, fields, prev, rules, rule, severity, inst, scope, kind, *max, &key(), out),
        CheckBody::Claims { kind, assert } => {
            let Some(mut env) = applies(fields, prev, rules, inst) else { return };
            // One finding per problem: the same whole (or share) stated twice is one finding.
            let mut seen: Vec<String> = Vec::new();
            for k in crate::claims::of_kind(claims, kind) {
                let Some(locals) = crate::claims::locals(claims, k) else { continue };
                env.locals = locals.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
                if !matches!(assert.eval(&env), Outcome::Value(Value::Bool(false))) {
                    continue;
                }
                let sig: Vec<String> = ["whole", "sum", "unit", "rate", "num", "base"]
                    .iter()
                    .filter_map(|n| env.locals.get(*n).map(|v| v.to_string()))
                    .collect();
                let sig = sig.join("|");
                if seen.contains(&sig) {
                    continue;
                }
                seen.push(sig.clone());
                let message = inst.message.render(&env);
                let span = claims.list.get(k).map(|c| c.span);
                out.push(finding(rule, severity, message, span, Vec::new(), format!("{}@{sig}", key())));
            }
        }
        CheckBody::Status { ambiguous, globs, per } => {
            let mut env = CheckEnv::new(fields, prev, rules);
            if let Some(w) = &inst.when
                && !is_true(&w.eval(&env)) {
                    return;
                }
            for g in status::groups(fields, rules, *ambiguous, globs, *per) {
                env.locals = g.locals;
                let message = inst.message.render(&env);
                out.push(finding(rule, severity, message, g.span, g.ids, format!("{}@{}", key(), g.key)));
            }
        }
    }
}

fn finding(rule: &CheckRule, severity: Severity, message: String, span: Option<Span>, fields: Vec<String>, key: String) -> Finding {
    Finding { rule: rule.id.clone(), severity, message, span, fields, key, decision: None }
}

fn is_true(o: &Outcome) -> bool {
    matches!(o, Outcome::Value(Value::Bool(true)))
}

/// The env of a check that reads the text or the claims rather than candidate fields: `None`
/// when its `when` is not true.
fn applies<'a>(fields: &'a Fields, prev: Option<&'a Fields>, rules: &'a RuleSet, inst: &CheckInstance) -> Option<CheckEnv<'a>> {
    let env = CheckEnv::new(fields, prev, rules);
    match &inst.when {
        Some(w) if !is_true(&w.eval(&env)) => None,
        _ => Some(env),
    }
}

/// The key of a finding at a match in the text: the check's key, the matched text and which
/// occurrence of that text it is, so a decision stays with its place when the report is read
/// again (never a line number).
fn match_key<'t>(seen: &mut HashMap<&'t str, usize>, key: &str, matched: &'t str) -> String {
    let n = seen.entry(matched).or_insert(0);
    *n += 1;
    let snippet: String = matched.chars().take(40).collect();
    format!("{key}@{snippet}#{n}")
}

/// Globs expand to the fields present; plain references are kept as written.
pub(crate) fn expand_ref(r: &str, fields: &Fields, prev: Option<&Fields>, out: &mut Vec<String>) {
    let ids = if r.contains('*') { glob_ids(r, fields, prev) } else { vec![r.to_string()] };
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
}

/// The ids a glob names, in id order; `prev.` globs name last year's fields (with the prefix).
fn glob_ids(pattern: &str, fields: &Fields, prev: Option<&Fields>) -> Vec<String> {
    let (src, pat, pre) = match pattern.strip_prefix("prev.") {
        Some(rest) => match prev {
            Some(p) => (p, rest, "prev."),
            None => return Vec::new(),
        },
        None => (fields, pattern, ""),
    };
    // Only ids sharing the glob's literal stem can match: walk that range, not every field.
    let stem = pat.split('*').next().unwrap_or("");
    src.range::<str, _>((std::ops::Bound::Included(stem), std::ops::Bound::Unbounded))
        .take_while(|(k, _)| k.starts_with(stem))
        .filter(|(k, _)| glob_match(pat, k))
        .map(|(k, _)| format!("{pre}{k}"))
        .collect()
}

/// Whether an assertion's `when` is false (or names an absent field) while reading no field
/// whose readings are still to be tried: the check does not apply, whatever its assertion reads,
/// and is settled before its fields are gathered. Most `each` instances of a pack end here
/// (a concept the narrative does not state), however many readings the others have.
fn precondition_fails(fields: &Fields, prev: Option<&Fields>, rules: &RuleSet, inst: &CheckInstance, globs: &Rc<ReportCache>) -> bool {
    let Some(w) = &inst.when else { return false };
    let mut env = CheckEnv::new(fields, prev, rules);
    env.report = Some(globs.clone());
    if !matches!(w.eval(&env), Outcome::Value(Value::Bool(false)) | Outcome::Missing(_)) {
        return false;
    }
    let ambiguous = |id: &str| fields.get(id).is_some_and(|f| f.status.is_uncertain() && !f.candidates.is_empty());
    !inst.when_refs.iter().any(|r| if r.contains('*') { env.glob_ids_cached(r).iter().any(|id| ambiguous(id)) } else { ambiguous(r) })
}

#[derive(Clone)]
enum Verdict {
    Holds,
    NotApplicable,
    /// Fails with every field exact: the readings it failed under (empty).
    Fails(Vec<(String, Option<Value>)>),
    /// Fails under every reading of the ambiguous fields, and those readings are complete: the
    /// first reading it failed under, and how many readings were tried.
    Certain(Vec<(String, Option<Value>)>, usize),
    /// Fails under at least one candidate reading of an ambiguous field.
    Uncertain(Vec<(String, Option<Value>)>),
    Error(String),
}

/// The assertion under the values the env holds: `None` when it does not apply.
fn one(env: &CheckEnv, inst: &CheckInstance, assert: &crate::expr::Expr) -> Result<Option<bool>, String> {
    if let Some(w) = &inst.when {
        match w.eval(env) {
            Outcome::Value(Value::Bool(true)) => {}
            Outcome::Value(Value::Bool(false)) | Outcome::Missing(_) => return Ok(None),
            Outcome::Error(e) => return Err(e),
            _ => return Err("`when` is not true or false".into()),
        }
    }
    match assert.eval(env) {
        Outcome::Value(Value::Bool(b)) => Ok(Some(b)),
        Outcome::Missing(_) => Ok(None),
        Outcome::Error(e) => Err(e),
        _ => Err("`assert` is not true or false".into()),
    }
}

fn evaluate_over_candidates(env: &mut CheckEnv, inst: &CheckInstance, assert: &crate::expr::Expr, ambiguous: &[&Field], refs: &[&str]) -> Verdict {
    let one = |env: &CheckEnv| one(env, inst, assert);
    // A false precondition that reads none of the uncertain fields was decided before the
    // fields were gathered (`precondition_fails`): here `when` is true or depends on readings.
    if ambiguous.is_empty() {
        return match one(env) {
            Ok(Some(true)) => Verdict::Holds,
            Ok(None) => Verdict::NotApplicable,
            Ok(Some(false)) => Verdict::Fails(Vec::new()),
            Err(e) => Verdict::Error(e),
        };
    }
    let dims = dimensions_with(env.fields, ambiguous, env.report.as_deref());
    // The same check over the same values and readings comes to the same verdict: a search
    // worth remembering is looked up by everything it reads (see `memo`).
    let key = memo::key(env, inst, assert, refs, &dims);
    if let Some(k) = &key
        && let Some(v) = memo::get(k)
    {
        return v;
    }
    let verdict = search_readings(env, inst, assert, ambiguous, refs, dims);
    if let Some(k) = key {
        memo::put(k, &verdict);
    }
    verdict
}

/// Tries the assertion under the combinations of the ambiguous fields' readings.
fn search_readings(env: &mut CheckEnv, inst: &CheckInstance, assert: &crate::expr::Expr, ambiguous: &[&Field], refs: &[&str], dims: Vec<Vec<Assignment>>) -> Verdict {
    let one = |env: &CheckEnv| one(env, inst, assert);
    let total: usize = dims.iter().map(|d| d.len().max(1)).try_fold(1usize, |a, n| a.checked_mul(n)).unwrap_or(usize::MAX);
    let mut failed: Option<Vec<(String, Option<Value>)>> = None;
    // Certain only if every reading is known and the assertion fails under each of them.
    let complete = total <= MAX_COMBOS && ambiguous.iter().all(|f| f.joint.as_ref().is_some_and(|j| j.complete));
    // Only the first of the alternatives this check cannot tell apart is tried (see
    // `trying::representatives`): they succeed or fail together, and the combinations tried
    // are those of the full odometer below made of first alternatives, in the same order, so
    // the first failure, the cut-off at MAX_COMBOS and "fails under every reading" come out
    // as when every combination is tried.
    let blank_zero = blank_as_zero(env.fields, inst, assert, refs);
    let reps = trying::representatives(&dims, |id| blank_zero.iter().any(|b| b == id));
    let strides: Vec<usize> = dims
        .iter()
        .scan(1usize, |acc, d| {
            let s = *acc;
            *acc = acc.saturating_mul(d.len().max(1));
            Some(s)
        })
        .collect();
    let limit = total.min(MAX_COMBOS);
    let mut every_one_failed = true;
    let mut exhausted = false;
    let mut index = vec![0usize; dims.len()];
    env.trying = dims.iter().flat_map(|d| d[0].iter().cloned()).collect();
    env.slots = Some(trying::Tried::new(&env.trying));
    // Sums and differences of integer cells are added up directly (the same verdict as the
    // interpreter's, see `expr::Linear`): the search below is then mostly this loop's own cost.
    let linear = if inst.when.is_none() { linear_plan(env, assert, &dims) } else { None };
    let one = |env: &CheckEnv| match &linear {
        Some((plan, sources)) => Ok(plan.eval(&|s| match sources[s] {
            LinearSource::Slot(i) => match &env.trying[i].1 {
                Some(Value::Int(v)) => Some(*v),
                _ => None,
            },
            LinearSource::Fixed(v) => v,
        })),
        None => one(env),
    };
    loop {
        // Where this combination stands in the full odometer (dimension 0 turns fastest).
        let position = reps
            .iter()
            .zip(&index)
            .zip(&strides)
            .try_fold(0usize, |acc, ((r, i), s)| acc.checked_add(r[*i].checked_mul(*s)?))
            .unwrap_or(usize::MAX);
        if position >= limit {
            break;
        }
        // Overwrite the values in place: the ids stay in the same slots for every combination.
        let mut slot = 0;
        for ((d, r), i) in dims.iter().zip(&reps).zip(&index) {
            for (_, v) in &d[r[*i]] {
                env.trying[slot].1 = v.clone();
                slot += 1;
            }
        }
        if let Ok(Some(false)) = one(env) {
            if failed.is_none() {
                failed = Some(env.trying.clone());
            }
            if !complete {
                break;
            }
        } else {
            every_one_failed = false;
            if failed.is_some() {
                // Held (or did not apply) under one reading after failing under another: uncertain.
                break;
            }
        }
        // Next combination (odometer); back at the start means every one was tried.
        let mut wrapped = true;
        for (slot, r) in index.iter_mut().zip(&reps) {
            *slot += 1;
            if *slot < r.len() {
                wrapped = false;
                break;
            }
            *slot = 0;
        }
        if wrapped {
            exhausted = true;
            break;
        }
    }
    env.trying.clear();
    env.slots = None;
    match failed {
        Some(t) if complete && exhausted && every_one_failed => Verdict::Certain(t, total),
        Some(t) => Verdict::Uncertain(t),
        None if total > MAX_COMBOS => Verdict::Uncertain(Vec::new()),
        None => Verdict::Holds,
    }
}

/// Where a field of a linear assertion takes its value from during a search.
#[derive(Clone, Copy)]
enum LinearSource {
    /// `trying[i]`.
    Slot(usize),
    /// Settled for the whole search (`None`: blank or absent).
    Fixed(Option<i64>),
}

/// The assertion bound for a search over `dims`, when it is linear and every value it can
/// read (settled, or among the readings tried) is an integer or blank.
fn linear_plan(env: &CheckEnv, assert: &crate::expr::Expr, dims: &[Vec<Assignment>]) -> Option<(crate::expr::Plan, Vec<LinearSource>)> {
    let small = |v: &Option<Value>| match v {
        None => true,
        Some(Value::Int(i)) => i.abs() <= crate::expr::linear::MAX_VALUE,
        Some(_) => false,
    };
    if !dims.iter().flatten().flatten().all(|(_, v)| small(v)) {
        return None;
    }
    let linear = crate::expr::Linear::of(assert)?;
    let mut sources: Vec<LinearSource> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut fits = true;
    let plan = linear.plan(
        &mut |path, glob| if glob { env.glob_ids_cached(path).to_vec() } else { vec![path.to_string()] },
        &mut |id| {
            if let Some(i) = index.get(id) {
                return *i;
            }
            let src = match env.trying.iter().position(|(k, _)| k == id) {
                Some(slot) => LinearSource::Slot(slot),
                None => match crate::expr::normalize_lookup(env.lookup_settled(id)) {
                    Lookup::Value(v) => {
                        let v = Some(v);
                        fits &= small(&v);
                        LinearSource::Fixed(match v {
                            Some(Value::Int(i)) => Some(i),
                            _ => None,
                        })
                    }
                    Lookup::Blank | Lookup::Absent => LinearSource::Fixed(None),
                },
            };
            sources.push(src);
            index.insert(id.to_string(), sources.len() - 1);
            sources.len() - 1
        },
    );
    fits.then_some((plan, sources))
}

/// The fields of this check for which a blank cell and a 0 give the same outcome: those read
/// only as direct arguments of `sum()`, where every such sum also adds a settled integer
/// field (so it never comes to "unknown", and adding 0 is the same as skipping a blank), in a
/// check whose sums add nothing but integers (so adding 0 changes nothing, not even the
/// type). Empty when that cannot be shown.
fn blank_as_zero(fields: &Fields, inst: &CheckInstance, assert: &crate::expr::Expr, refs: &[&str]) -> Vec<String> {
    let uses: Vec<crate::expr::RefUse> = std::iter::once(assert.ref_use()).chain(inst.when.as_ref().map(|w| w.ref_use())).collect();
    if uses.iter().any(|u| u.sum_of_other || u.in_sum.iter().any(|p| p.starts_with("prev."))) {
        return Vec::new();
    }
    let matches = |pats: &[String], id: &str| pats.iter().any(|p| p == id || (p.contains('*') && glob_match(p, id)));
    let int_or_blank = |v: &Option<Value>| matches!(v, None | Some(Value::Int(_)));
    let settled_int = |id: &str| fields.get(id).is_some_and(|f| !f.status.is_uncertain() && matches!(f.value, Some(Value::Int(_))));
    // Which sums each field is an argument of, matched once per field: the anchoring test
    // below then counts instead of comparing every field with every other (refs are distinct).
    let sums: Vec<&Vec<String>> = uses.iter().flat_map(|u| &u.sums).collect();
    let in_sums: Vec<Vec<usize>> = refs.iter().map(|id| (0..sums.len()).filter(|&s| matches(sums[s], id)).collect()).collect();
    let settled: Vec<bool> = refs.iter().map(|id| settled_int(id)).collect();
    // A sum is anchored when one of its fields is settled with an integer in every reading.
    let mut anchors = vec![0usize; sums.len()];
    for (k, ss) in in_sums.iter().enumerate() {
        if settled[k] {
            for &s in ss {
                anchors[s] += 1;
            }
        }
    }
    let mut out = Vec::new();
    for (k, id) in refs.iter().enumerate() {
        if !uses.iter().any(|u| matches(&u.in_sum, id)) {
            continue;
        }
        if let Some(f) = fields.get(*id)
            && !(int_or_blank(&f.value) && f.candidates.iter().all(|c| int_or_blank(&c.value)))
        {
            return Vec::new();
        }
        let elsewhere = uses.iter().any(|u| matches(&u.elsewhere, id));
        // Anchored by a field other than this one.
        let every_sum_anchored = in_sums[k].iter().all(|&s| anchors[s] > usize::from(settled[k]));
        if !elsewhere && every_sum_anchored {
            out.push(id.to_string());
        }
    }
    out
}

/// Whether an expression reads any of these fields (globs expanded).
pub(crate) fn reads_any(e: &crate::expr::Expr, env: &CheckEnv, fields: &[&Field]) -> bool {
    let mut refs = Vec::new();
    for (r, _) in e.refs() {
        expand_ref(&r, env.fields, env.prev, &mut refs);
    }
    refs.iter().any(|r| fields.iter().any(|f| f.id == *r))
}

/// A hash of some cells' values, for finding distinct readings; equal values hash equal
/// (decimals by their bits), and a match is confirmed by comparing the values.
fn cells_hash<'v>(vals: impl Iterator<Item = &'v Option<Value>>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |x: u64| h = (h ^ x).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    for v in vals {
        match v {
            None => mix(0x9e37_79b9),
            Some(Value::Int(i)) => mix(*i as u64),
            Some(Value::Dec(d)) => mix(d.to_bits() ^ 1),
            // Rare in table cells: hashed by kind only, told apart by the comparison.
            Some(_) => mix(7),
        }
    }
    h
}

/// Passes an already mixed u64 through: the keys of `cells_hash` need no second hashing.
#[derive(Default)]
struct MixHasher(u64);

impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

/// A cell's value as a hash key, for remembering what a check said under it: equal keys are
/// identical values (decimals compared by their bits), so the result under one holds for the other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ValueKey {
    Blank,
    Int(i64),
    Bits(u64),
    Other(String),
}

impl ValueKey {
    pub(crate) fn of(v: &Option<Value>) -> ValueKey {
        match v {
            None => ValueKey::Blank,
            Some(Value::Int(i)) => ValueKey::Int(*i),
            Some(Value::Dec(d)) => ValueKey::Bits(d.to_bits()),
            Some(other) => ValueKey::Other(format!("{other:?}")),
        }
    }
}

/// Values tried together for some ambiguous fields.
pub(crate) type Assignment = Vec<(String, Option<Value>)>;

/// The independent choices behind a set of ambiguous fields. Cells of one table row vary
/// together: their choices are the row's readings (each satisfies the row's identities), keeping
/// only readings that agree with the row's cells that are settled (exact or corrected). Other
/// ambiguous fields vary on their own, over their candidates.
pub(crate) fn dimensions(fields: &Fields, ambiguous: &[&Field]) -> Vec<Vec<Assignment>> {
    dimensions_with(fields, ambiguous, None)
}

/// The readings of a row that agree with its settled cells, by index; every reading when none
/// does (the settled cells then contradict the row's text, and the readings are all there is).
fn agreeing_readings(fields: &Fields, j: &crate::model::Joint) -> Vec<u32> {
    let settled: Vec<(usize, &Option<Value>)> = j
        .fields
        .iter()
        .enumerate()
        .filter_map(|(c, id)| fields.get(id).filter(|g| !g.status.is_uncertain()).map(|g| (c, &g.value)))
        .collect();
    let agree = |r: &Vec<Option<Value>>| settled.iter().all(|(c, v)| r.get(*c) == Some(*v));
    let idx: Vec<u32> = (0..j.readings.len() as u32).filter(|&i| agree(&j.readings[i as usize])).collect();
    if idx.is_empty() { (0..j.readings.len() as u32).collect() } else { idx }
}

/// [`dimensions`], with the report's shared work when checks run.
fn dimensions_with(fields: &Fields, ambiguous: &[&Field], cache: Option<&ReportCache>) -> Vec<Vec<Assignment>> {
    let mut dims = Vec::new();
    let mut seen_groups: Vec<&str> = Vec::new();
    for f in ambiguous {
        match &f.joint {
            Some(j) => {
                if seen_groups.contains(&j.group.as_ref()) {
                    continue;
                }
                seen_groups.push(&j.group);
                let wanted: Vec<(usize, &String)> = j
                    .fields
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| ambiguous.iter().any(|a| &a.id == *id))
                    .collect();
                // The same for every check of the report: worked out once when a cache is given.
                let agreeing = match cache {
                    Some(c) => {
                        let key = std::sync::Arc::as_ptr(&j.readings) as usize;
                        let known = c.readings.borrow().get(&key).cloned();
                        known.unwrap_or_else(|| {
                            let idx = Rc::new(agreeing_readings(fields, j));
                            c.readings.borrow_mut().insert(key, idx.clone());
                            idx
                        })
                    }
                    None => Rc::new(agreeing_readings(fields, j)),
                };
                let readings = agreeing.iter().map(|&i| &j.readings[i as usize]);
                // Distinct values of the wanted cells, found before any id is copied: a row may
                // have thousands of readings and few distinct ones in the cells asked about. By
                // a hash of those cells (confirmed by comparing them), in first-seen order.
                fn cell(r: &[Option<Value>], c: usize) -> &Option<Value> {
                    r.get(c).unwrap_or(&None)
                }
                let same_cells = |a: &Vec<Option<Value>>, b: &Vec<Option<Value>>| wanted.iter().all(|(c, _)| cell(a, *c) == cell(b, *c));
                let mut distinct: Vec<&Vec<Option<Value>>> = Vec::new();
                let mut by_hash: HashMap<u64, Vec<usize>, std::hash::BuildHasherDefault<MixHasher>> = HashMap::default();
                for r in readings {
                    let same = by_hash.entry(cells_hash(wanted.iter().map(|(c, _)| cell(r, *c)))).or_default();
                    if !same.iter().any(|&i| same_cells(distinct[i], r)) {
                        same.push(distinct.len());
                        distinct.push(r);
                    }
                }
                let alts: Vec<Assignment> = distinct
                    .into_iter()
                    .map(|r| wanted.iter().map(|(c, id)| ((*id).clone(), cell(r, *c).clone())).collect())
                    .collect();
                dims.push(alts);
            }
            None => dims.push(f.candidates.iter().map(|c| vec![(f.id.clone(), c.value.clone())]).collect()),
        }
    }
    dims
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Candidate, Field, Status};
    use std::path::PathBuf;

    fn rules(yaml: &str) -> RuleSet {
        let base = "fields:\n  - { id: a, label: A, type: integer }\n  - { id: b, label: B, type: integer }\n  - { id: t, label: T, type: text }\n";
        crate::rules::compile::compile(None, &[("r.yaml".into(), format!("{base}{yaml}"))]).unwrap_or_else(|e| panic!("{}", e[0]))
    }

    fn doc(text: &str) -> Document {
        Document::from_bytes(PathBuf::from("x.txt"), text.as_bytes()).unwrap()
    }

    fn int(id: &str, v: i64) -> (String, Field) {
        (id.to_string(), Field::exact(id, id, Some(Value::Int(v)), "", None))
    }

    fn ambiguous(id: &str, values: &[i64]) -> (String, Field) {
        let mut f = Field::exact(id, id, None, "", None);
        f.status = Status::Ambiguous;
        f.candidates = values.iter().map(|v| Candidate { value: Some(Value::Int(*v)), note: None }).collect();
        (id.to_string(), f)
    }

    const SUM: &str = "checks:\n  - { id: s, severity: error, assert: 'a == b', message: '{a} ≠ {b}' }\n";

    #[test]
    fn an_exact_failure_is_raised_at_the_rule_severity() {
        let f: Fields = [int("a", 1), int("b", 2)].into_iter().collect();
        let out = run_checks(&doc("x"), &f, None, &rules(SUM));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Error);
        assert_eq!(out[0].message, "1 ≠ 2");
        assert_eq!(out[0].key, "s");
    }

    #[test]
    fn ambiguity_that_always_holds_raises_nothing_and_otherwise_only_a_warning() {
        let f: Fields = [ambiguous("a", &[2, 2]), int("b", 2)].into_iter().collect();
        assert!(run_checks(&doc("x"), &f, None, &rules(SUM)).is_empty());
        let f: Fields = [ambiguous("a", &[2, 3]), int("b", 2)].into_iter().collect();
        let out = run_checks(&doc("x"), &f, None, &rules(SUM));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Warning, "never an error on a guess");
        assert!(out[0].message.contains("待定字段 a"), "{}", out[0].message);
        // Candidates that may not be all the readings (an inconsistent row, a cut-short search):
        // even when every one fails, the finding stays a warning naming the uncertainty.
        let f: Fields = [ambiguous("a", &[3, 4]), int("b", 2)].into_iter().collect();
        assert_eq!(run_checks(&doc("x"), &f, None, &rules(SUM))[0].severity, Severity::Warning);
    }

    /// Cells of one row with its complete set of readings.
    fn row(readings: &[&[i64]], ids: &[&str], complete: bool) -> Vec<(String, Field)> {
        let joint = crate::model::Joint {
            group: std::sync::Arc::from("r"),
            fields: std::sync::Arc::new(ids.iter().map(|s| s.to_string()).collect()),
            readings: std::sync::Arc::new(readings.iter().map(|r| r.iter().map(|v| Some(Value::Int(*v))).collect()).collect()),
            complete,
        };
        ids.iter()
            .enumerate()
            .map(|(c, id)| {
                let values: Vec<i64> = readings.iter().map(|r| r[c]).collect();
                let (k, mut f) = ambiguous(id, &values);
                f.joint = Some(joint.clone());
                (k, f)
            })
            .collect()
    }

    #[test]
    fn a_remembered_search_is_only_reused_for_the_same_values() {
        // 16 combinations: enough for the search to be remembered (see `memo`).
        let r = rules("checks:\n  - { id: s, severity: error, assert: 'a + t == b', message: '{a} + {t} ≠ {b}' }\n");
        let with_b = |b: i64| -> Fields { [ambiguous("a", &[1, 1, 1, 1]), ambiguous("t", &[2, 2, 2, 2]), int("b", b)].into_iter().collect() };
        assert!(run_checks(&doc("x"), &with_b(3), None, &r).is_empty());
        let out = run_checks(&doc("x"), &with_b(4), None, &r);
        assert_eq!(out.len(), 1, "a different settled value is a different search");
        assert!(out[0].message.starts_with("1 + 2 ≠ 4"), "{}", out[0].message);
        assert!(run_checks(&doc("x"), &with_b(3), None, &r).is_empty());
        // The same values under another assertion are another search too.
        let other = rules("checks:\n  - { id: s, severity: error, assert: 'a + t != b', message: '{a} + {t} = {b}' }\n");
        assert_eq!(run_checks(&doc("x"), &with_b(3), None, &other).len(), 1);
    }

    #[test]
    fn a_failure_under_every_reading_is_certain_and_raised_at_the_rule_severity() {
        // "3812215"-like: both readings of the row break the identity.
        let mut f: Fields = row(&[&[3, 4], &[4, 3]], &["a", "t"], true).into_iter().collect();
        f.extend([int("b", 2)]);
        let r = rules("checks:\n  - { id: s, severity: error, assert: 'a == b', message: '{a} ≠ {b}' }\n");
        let out = run_checks(&doc("x"), &f, None, &r);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Error, "{}", out[0].message);
        assert!(out[0].message.contains("全部2种读法下均不成立"), "{}", out[0].message);
        assert!(out[0].message.starts_with("3 ≠ 2"), "{}", out[0].message);
        // One reading holds: only a warning naming the uncertain field.
        let mut f: Fields = row(&[&[2, 4], &[4, 2]], &["a", "t"], true).into_iter().collect();
        f.extend([int("b", 2)]);
        let out = run_checks(&doc("x"), &f, None, &r);
        assert_eq!(out[0].severity, Severity::Warning);
        assert!(out[0].message.contains("待定字段 a"), "{}", out[0].message);
        // Readings of a row that breaks its own identities may not hold the truth: a warning.
        let mut f: Fields = row(&[&[3, 4], &[4, 3]], &["a", "t"], false).into_iter().collect();
        f.extend([int("b", 2)]);
        assert_eq!(run_checks(&doc("x"), &f, None, &r)[0].severity, Severity::Warning);
    }

    #[test]
    fn a_precondition_independent_of_the_readings_is_decided_once() {
        // 5,000 readings would exceed the combinations tried; a false `when` that does not read
        // them makes the check not apply instead of "could not verify".
        let many: Vec<i64> = (0..5000).collect();
        let r = rules("checks:\n  - { id: s, severity: error, when: 'b == 1', assert: 'a == b', message: x }\n");
        let f: Fields = [ambiguous("a", &many), int("b", 2)].into_iter().collect();
        assert!(run_checks(&doc("x"), &f, None, &r).is_empty());
        // It applies: too many readings to try is an info that says so, not a warning.
        let f: Fields = [ambiguous("a", &many[1..]), int("b", 1), ambiguous("t", &[0, 1, 2])].into_iter().collect();
        let r = rules("checks:\n  - { id: s, severity: error, when: 'b == 1', assert: 'a + t > 0', message: x }\n");
        let out = run_checks(&doc("x"), &f, None, &r);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Info, "{}", out[0].message);
        assert!(out[0].message.contains("未能逐一验证"), "{}", out[0].message);
    }

    #[test]
    fn a_sum_of_blank_cells_is_unverified_not_zero() {
        // An HTML table whose 总计 cells are all blank: nothing to compare the total with.
        let r = rules("  - { id: p.1, label: P1, type: integer }\n  - { id: p.2, label: P2, type: integer }\nchecks:\n  - { id: s, severity: error, assert: 'a == sum(p.*)', message: '{a}' }\n");
        let blank = |id: &str| (id.to_string(), Field::exact(id, id, None, "", None));
        let f: Fields = [int("a", 9), blank("p.1"), blank("p.2")].into_iter().collect();
        assert!(run_checks(&doc("x"), &f, None, &r).is_empty());
        let f: Fields = [int("a", 9), int("p.1", 3), blank("p.2")].into_iter().collect();
        assert_eq!(run_checks(&doc("x"), &f, None, &r)[0].severity, Severity::Error, "a blank beside a value counts as 0");
    }

    #[test]
    fn a_check_marked_alone_leaves_out_the_other_findings() {
        let yaml = "checks:\n  - { id: p, severity: error, pattern: 'xx', message: 占位 }\n  - { id: n, severity: error, alone: true, pattern: '免责声明', message: 不是报告 }\n";
        let out = run_checks(&doc("xx xx 免责声明"), &Fields::new(), None, &rules(yaml));
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].rule, "n");
        assert!(out[0].message.contains("另有2条检查结果未列出：p 2"), "{}", out[0].message);
        // Not fired: everything else is reported as usual.
        assert_eq!(run_checks(&doc("xx xx"), &Fields::new(), None, &rules(yaml)).len(), 2);
    }

    #[test]
    fn a_missing_field_makes_the_check_not_apply() {
        let f: Fields = [int("a", 1)].into_iter().collect();
        assert!(run_checks(&doc("x"), &f, None, &rules(SUM)).is_empty());
    }

    #[test]
    fn pattern_checks_key_findings_by_matched_text_not_by_line() {
        let r = rules("checks:\n  - { id: p, severity: warning, pattern: 'xx[年区]', message: '“{match}”' }\n");
        let out = run_checks(&doc("xx年\nxx区\nxx年"), &Fields::new(), None, &r);
        let keys: Vec<&str> = out.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["p@xx年#1", "p@xx区#1", "p@xx年#2"]);
        let shifted = run_checks(&doc("新增一行\nxx年\nxx区\nxx年"), &Fields::new(), None, &r);
        assert_eq!(shifted.iter().map(|f| f.key.as_str()).collect::<Vec<_>>(), keys);
        assert_eq!(shifted[0].span.unwrap().line, 2);
    }

    #[test]
    fn absent_fires_once_when_nothing_matches() {
        let r = rules("checks:\n  - { id: p, severity: warning, pattern: '信息处理费', absent: true, message: 未说明 }\n");
        assert_eq!(run_checks(&doc("六、其他需要报告的事项 无"), &Fields::new(), None, &r).len(), 1);
        assert!(run_checks(&doc("无收取信息处理费情况"), &Fields::new(), None, &r).is_empty());
    }

    #[test]
    fn prev_fields_come_from_last_years_report() {
        let r = rules("checks:\n  - { id: c, severity: error, assert: 'a == prev.b', message: '{a} vs {prev.b}' }\n");
        let this: Fields = [int("a", 1)].into_iter().collect();
        let prev: Fields = [int("b", 2)].into_iter().collect();
        assert_eq!(run_checks(&doc("x"), &this, Some(&prev), &r)[0].message, "1 vs 2");
        assert!(run_checks(&doc("x"), &this, None, &r).is_empty(), "no previous year: not applicable");
    }
}
