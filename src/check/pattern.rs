//! `pattern:` checks: every match of a regex in a part of the text is a finding (or, with
//! `assert`, those where it is false; with `absent`, the lack of any match is).

use std::collections::HashMap;

use super::{CheckEnv, applies, finding, match_key};
use super::prefilter::PatternSearch;
use crate::expr::{Expr, Outcome};
use crate::extract::scope_range;
use crate::load::Document;
use crate::model::{Fields, Finding, Severity, Value};
use crate::rules::{CheckInstance, CheckRule, RuleSet, Scope};

#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    doc: &Document,
    fields: &Fields,
    prev: Option<&Fields>,
    rules: &RuleSet,
    rule: &CheckRule,
    severity: Severity,
    inst: &CheckInstance,
    scope: &Scope,
    // None: the report's text set says it matches nowhere (`prefilter::TextSet`).
    search: Option<&PatternSearch>,
    assert: Option<&Expr>,
    absent: bool,
    max: usize,
    key: &str,
    out: &mut Vec<Finding>,
) {
    let Some(mut env) = applies(fields, prev, rules, inst) else { return };
    let Some(range) = scope_range(doc, scope, fields) else { return };
    let hay = &doc.text[range.clone()];
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut count = 0;
    let mut fired = 0;
    // Groups are resolved only for a check that reads them: a second, slower pass per match.
    let Some(search) = search else {
        return absent_finding(doc, rule, severity, inst, &mut env, absent, range.start, key, out);
    };
    let groups = !search.names().is_empty();
    search.each(hay, groups, |m| {
        count += 1;
        if absent {
            return false;
        }
        let matched = &hay[m.start..m.end];
        env.locals.clear();
        env.locals.insert("match".into(), Value::Text(matched.to_string()));
        for (i, name) in search.names() {
            if let Some((a, b)) = m.group(*i) {
                let s = &hay[a..b];
                let v = match s.parse::<i64>() {
                    Ok(i) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => Value::Int(i),
                    _ => Value::Text(s.to_string()),
                };
                env.locals.insert(name.clone(), v);
            }
        }
        if let Some(a) = assert
            && !matches!(a.eval(&env), Outcome::Value(Value::Bool(false)))
        {
            return true;
        }
        fired += 1;
        let key = match_key(&mut seen, key, matched);
        let span = doc.span(range.start + m.start, range.start + m.end);
        let message = inst.message.render(&env);
        out.push(finding(rule, severity, message, Some(span), Vec::new(), key));
        // Later matches could only be left out: nothing else depends on them.
        fired < max
    });
    if count == 0 {
        absent_finding(doc, rule, severity, inst, &mut env, absent, range.start, key, out);
    }
}

/// No match: an `absent` check's finding, at the start of the part it searched.
#[allow(clippy::too_many_arguments)]
fn absent_finding(doc: &Document, rule: &CheckRule, severity: Severity, inst: &CheckInstance, env: &mut CheckEnv, absent: bool, start: usize, key: &str, out: &mut Vec<Finding>) {
    if !absent {
        return;
    }
    env.locals.clear();
    let message = inst.message.render(env);
    let span = (start < doc.text.len()).then(|| doc.span(start, start));
    out.push(finding(rule, severity, message, span, Vec::new(), key.to_string()));
}
