//! The export as one JSON document: `{"reports":[…],"findings":[…],"log":[…]}`.

use serde_json::{Map, Value as J, json};

use super::{field_columns, open_counts, review_key};
use crate::journal::Record;
use crate::model::{Field, Value};
use crate::pipeline::ReportAudit;
use crate::rules::RuleSet;

/// A value as JSON: integers and decimals as numbers (a non-finite decimal as null), amounts as
/// their number (the unit goes beside it), dates as "YYYY-MM-DD".
fn value_json(v: &Value) -> J {
    match v {
        Value::Int(i) => json!(i),
        Value::Dec(d) => json!(d),
        Value::Amount { value, .. } => json!(value),
        Value::Bool(b) => json!(b),
        Value::Date(d) => json!(d.to_string()),
        Value::Text(s) => json!(s),
    }
}

fn opt_json(v: &Option<Value>) -> J {
    v.as_ref().map_or(J::Null, value_json)
}

fn field_json(f: &Field) -> J {
    let mut o = Map::new();
    let value = if f.status.is_uncertain() { &None } else { &f.value };
    o.insert("value".into(), opt_json(value));
    o.insert("status".into(), json!(f.status.as_str()));
    if let Some(Value::Amount { unit, .. }) = value {
        o.insert("unit".into(), json!(unit));
    }
    if f.status.is_uncertain() && !f.candidates.is_empty() {
        o.insert("candidates".into(), J::Array(f.candidates.iter().map(|c| opt_json(&c.value)).collect()));
    }
    if let Some(b) = &f.settled_by {
        o.insert("settled_by".into(), json!(b));
    }
    J::Object(o)
}

pub(crate) fn document(audits: &[ReportAudit], rules: &RuleSet, records: &[Record]) -> J {
    let ids = field_columns(audits, rules);
    let reports: Vec<J> = audits
        .iter()
        .map(|a| {
            let fields: Map<String, J> =
                ids.iter().filter_map(|id| a.fields.get(id).map(|f| (id.clone(), field_json(f)))).collect();
            let (e, w, i) = open_counts(a);
            let mut r = json!({
                "path": a.path.display().to_string(),
                "id": a.id,
                "encoding": a.encoding,
                "fields": fields,
                "counts": {"error": e, "warning": w, "info": i},
                "review": review_key(a.review_state()),
            });
            if let Some(err) = &a.error {
                r["error"] = json!(err);
            }
            r
        })
        .collect();
    let findings: Vec<J> = audits
        .iter()
        .flat_map(|a| {
            let path = a.path.display().to_string();
            a.findings.iter().map(move |f| {
                json!({
                    "path": path,
                    "id": a.id,
                    "rule": f.rule,
                    "severity": f.severity.as_str(),
                    "line": f.span.map(|s| s.line),
                    "message": f.message,
                    "fields": f.fields,
                    "key": f.key,
                    "decision": f.decision.as_ref().map(|d| json!({
                        "verdict": d.verdict.as_str(),
                        "note": d.note,
                        "reviewer": d.reviewer,
                        "ts": d.ts,
                        "stale": d.stale,
                    })),
                })
            })
        })
        .collect();
    // Records serialize exactly as in the log file; one that cannot (never expected) is dropped
    // rather than failing the whole export.
    let log: Vec<J> = records.iter().filter_map(|r| serde_json::to_value(r).ok()).collect();
    json!({"reports": reports, "findings": findings, "log": log})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::export::tests::{audit, field, finding};
    use crate::model::{Candidate, Severity, Verdict};

    #[test]
    fn typed_values_candidates_and_counts() {
        let mut amb = field("t3.new.person", Some(Value::Int(9)), Status::Ambiguous);
        amb.candidates = vec![Candidate { value: Some(Value::Int(5)), note: None }, Candidate { value: None, note: None }];
        let a = audit(
            "a.txt",
            vec![
                field("year", Some(Value::Int(2020)), Status::Exact),
                field("rate", Some(Value::Dec(0.25)), Status::Exact),
                field("money", Some(Value::Amount { value: 12.5, unit: "万元".into() }), Status::Corrected),
                field("part.1.body", Some(Value::Text("x".into())), Status::Exact),
                amb,
            ],
            vec![finding("r1", Severity::Error, "m", None), finding("r2", Severity::Warning, "m", Some(Verdict::Confirmed))],
        );
        let j = document(&[a], &RuleSet::builtin(), &[]);
        let r = &j["reports"][0];
        assert_eq!(r["fields"]["year"], json!({"value": 2020, "status": "exact"}));
        assert_eq!(r["fields"]["rate"]["value"], json!(0.25));
        assert_eq!(r["fields"]["money"], json!({"value": 12.5, "unit": "万元", "status": "corrected"}));
        assert_eq!(r["fields"]["t3.new.person"], json!({"value": null, "status": "ambiguous", "candidates": [5, null]}));
        assert!(r["fields"].get("part.1.body").is_none());
        assert_eq!(r["counts"], json!({"error": 1, "warning": 0, "info": 0}));
        assert_eq!(r["review"], json!("in_progress"));
        assert!(r.get("error").is_none());
        assert_eq!(j["findings"][1]["decision"]["verdict"], json!("confirmed"));
        assert_eq!(j["findings"][0]["decision"], J::Null);
        assert_eq!(j["findings"][0]["line"], json!(7));
        assert_eq!(j["log"], json!([]));
    }
}
