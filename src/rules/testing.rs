//! `nianbao rules test`: every check's examples must behave — those under `fire` must raise the
//! check, those under `pass` must not. A check without both kinds of example fails too: a rule
//! that can never fire would otherwise pass a clean report silently.

use std::path::PathBuf;

use super::{Example, ExampleScalar, ExampleValue, FieldType, RuleSet};
use crate::load::Document;
use crate::model::{Candidate, Field, Fields, Status, Value};

pub struct TestReport {
    pub passed: usize,
    pub failed: usize,
    pub lines: Vec<String>,
}

pub fn run_examples(set: &RuleSet) -> TestReport {
    let mut r = TestReport { passed: 0, failed: 0, lines: Vec::new() };
    for check in &set.checks {
        let fires = check.examples.iter().filter(|e| e.fire).count();
        let passes = check.examples.len() - fires;
        if fires == 0 || passes == 0 {
            r.failed += 1;
            r.lines.push(format!(
                "FAIL {} ({}:{}): needs at least one `fire` and one `pass` example (has {fires} and {passes})",
                check.id, check.origin.file, check.origin.line
            ));
        }
        for ex in &check.examples {
            match run_one(set, &check.id, ex) {
                Ok(()) => r.passed += 1,
                Err(why) => {
                    r.failed += 1;
                    r.lines.push(format!(
                        "FAIL {} ({}:{}): example that must {} — {why}",
                        check.id,
                        ex.origin.file,
                        ex.origin.line,
                        if ex.fire { "fire did not fire" } else { "not fire fired" }
                    ));
                }
            }
        }
    }
    r
}

/// Findings of one check on one example.
pub fn example_findings(set: &RuleSet, check_id: &str, ex: &Example) -> Result<Vec<crate::model::Finding>, String> {
    let Some(check) = set.check(check_id) else { return Err(format!("no check {check_id}")) };
    // An example of a check that is `off` still runs, at the severity it would have.
    let mut one = set.clone();
    one.checks = vec![check.clone()];
    if one.checks[0].severity.is_none() {
        one.checks[0].severity = Some(crate::model::Severity::Warning);
    }
    let text = ex.text.clone().unwrap_or_else(|| "（示例）".to_string());
    let doc = Document::from_bytes(PathBuf::from("example.txt"), text.as_bytes()).map_err(|e| format!("example text: {e}"))?;
    let mut fields = if ex.fields.is_some() { Fields::new() } else { crate::extract::extract(&doc, set) };
    if let Some(map) = &ex.fields {
        fields.extend(example_fields(set, map)?);
    }
    let prev = match &ex.prev {
        Some(map) => Some(example_fields(set, map)?),
        None => None,
    };
    // A text example goes through the audit's own path: settling comes before the checks.
    if ex.text.is_some() {
        let path = std::path::Path::new("prev.txt");
        let year = prev.as_ref().and_then(|p| p.get("year")).and_then(|f| f.value.as_ref()).and_then(|v| v.as_int()).unwrap_or(0);
        let linked = prev.as_ref().map(|p| crate::extract::settle::Linked { fields: p, year, path });
        let hints = crate::extract::settle::narrative_hints(&doc.text, &fields, set);
        crate::extract::settle::settle(&doc.text, &mut fields, set, &hints, linked, None);
    }
    Ok(crate::check::run_checks(&doc, &fields, prev.as_ref(), &one))
}

fn run_one(set: &RuleSet, check_id: &str, ex: &Example) -> Result<(), String> {
    let found = example_findings(set, check_id, ex)?;
    let fired = !found.is_empty();
    if let (true, Some(want)) = (fired && ex.fire, ex.severity)
        && !found.iter().any(|f| f.severity == want)
    {
        let got: Vec<String> = found.iter().map(|f| format!("{} {}", f.severity.as_str(), f.message)).collect();
        return Err(format!("fired, but not as {}: {}", want.as_str(), got.join(" / ")));
    }
    if fired == ex.fire {
        Ok(())
    } else if fired {
        Err(format!("raised: {}", found.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" / ")))
    } else {
        Err("no finding".to_string())
    }
}

fn example_fields(set: &RuleSet, map: &std::collections::BTreeMap<String, Option<ExampleValue>>) -> Result<Fields, String> {
    let mut out = Fields::new();
    for (id, v) in map {
        let Some(ty) = set.field_type(id) else {
            return Err(format!("example names unknown field `{id}`"));
        };
        let label = set.label(id).unwrap_or(id).to_string();
        let mut f = Field::exact(id, &label, None, "", None);
        match v {
            None => {}
            Some(ExampleValue::Candidates(list)) => {
                f.status = Status::Ambiguous;
                for c in list {
                    let value = match c {
                        None => None,
                        Some(s) => Some(scalar(ty, s).ok_or_else(|| format!("`{id}`: candidate is not a {}", ty.name()))?),
                    };
                    f.candidates.push(Candidate { value, note: None });
                }
                // An example's list is every reading the cell has: a check failing under all of
                // them is certain, as for a table row whose readings are complete.
                f.joint = Some(crate::model::Joint {
                    group: std::sync::Arc::from(id.as_str()),
                    fields: std::sync::Arc::new(vec![id.clone()]),
                    readings: std::sync::Arc::new(f.candidates.iter().map(|c| vec![c.value.clone()]).collect()),
                    complete: true,
                });
            }
            Some(ExampleValue::Int(i)) => f.value = Some(example_scalar(id, ty, &ExampleScalar::Int(*i))?),
            Some(ExampleValue::Float(x)) => f.value = Some(example_scalar(id, ty, &ExampleScalar::Float(*x))?),
            Some(ExampleValue::Text(t)) => f.value = Some(example_scalar(id, ty, &ExampleScalar::Text(t.clone()))?),
        }
        out.insert(id.clone(), f);
    }
    Ok(out)
}

fn example_scalar(id: &str, ty: FieldType, s: &ExampleScalar) -> Result<Value, String> {
    scalar(ty, s).ok_or_else(|| format!("`{id}`: value is not a {}", ty.name()))
}

fn scalar(ty: FieldType, s: &ExampleScalar) -> Option<Value> {
    match s {
        ExampleScalar::Int(i) => match ty {
            FieldType::Integer | FieldType::Year => Some(Value::Int(*i)),
            FieldType::Decimal => Some(Value::Dec(*i as f64)),
            _ => ty.convert(&i.to_string()),
        },
        ExampleScalar::Float(x) => ty.convert(&x.to_string()),
        ExampleScalar::Text(t) => ty.convert(t),
    }
}
