//! `{"reports":[…],"summary":{…}}`, streamed one report at a time.

use std::io::Write;

use serde_json::{Map, Value as J, json};

use super::{Summary, Writer};
use crate::pipeline::ReportAudit;

pub struct JsonWriter {
    started: bool,
    /// Fields the rules keep from reviewers (section bodies, batch facts).
    hidden: std::collections::BTreeSet<String>,
}

impl JsonWriter {
    pub fn new(rules: &crate::rules::RuleSet) -> Self {
        let hidden = rules.known.keys().filter(|id| rules.is_hidden(id)).cloned().collect();
        JsonWriter { started: false, hidden }
    }
}

/// One report as JSON: fields with value, line, status (exact | ambiguous | corrected | stale)
/// and candidates; findings with rule, severity, message, line, fields and decision.
pub fn audit_to_json(a: &ReportAudit, hidden: &dyn Fn(&str) -> bool) -> J {
    let mut fields = Map::new();
    for (id, f) in &a.fields {
        if hidden(id) {
            continue;
        }
        let mut o = Map::new();
        o.insert("value".into(), f.value.as_ref().map_or(J::Null, |v| v.to_json()));
        o.insert("line".into(), f.span.map_or(J::Null, |s| json!(s.line)));
        o.insert("status".into(), json!(f.status.as_str()));
        if !f.candidates.is_empty() {
            let c: Vec<J> = f.candidates.iter().map(|c| c.value.as_ref().map_or(J::Null, |v| v.to_json())).collect();
            o.insert("candidates".into(), J::Array(c));
        }
        if let Some(n) = &f.note {
            o.insert("note".into(), json!(n));
        }
        if let Some(b) = &f.settled_by {
            o.insert("settled_by".into(), json!(b));
        }
        fields.insert(id.clone(), J::Object(o));
    }
    let findings: Vec<J> = a
        .findings
        .iter()
        .map(|f| {
            let mut o = json!({
                "rule": f.rule,
                "severity": f.severity.as_str(),
                "message": f.message,
                "line": f.span.map(|s| s.line),
                "fields": f.fields,
                "key": f.key,
            });
            if let Some(d) = &f.decision {
                o["decision"] = json!({"verdict": d.verdict.as_str(), "note": d.note, "reviewer": d.reviewer, "ts": d.ts});
            }
            o
        })
        .collect();
    let mut r = json!({
        "path": a.path.display().to_string(),
        "id": a.id,
        "encoding": a.encoding,
        "template": a.fields.get("template").and_then(|f| f.value.as_ref()).map(|v| v.to_string()),
        "fields": fields,
        "claims": crate::claims::to_json(&a.claims),
        "findings": findings,
    });
    if !a.tables.is_empty() {
        let tables: Map<String, J> = a.tables.iter().map(|t| (t.table.clone(), json!({"source": t.source, "line": t.line}))).collect();
        r["tables"] = J::Object(tables);
    }
    if let Some(e) = &a.error {
        r["error"] = json!(e);
    }
    if !a.conflicts.is_empty() {
        r["conflicts"] = J::Array(a.conflicts.iter().map(conflict_json).collect());
    }
    if !a.stale.is_empty() {
        r["stale"] = J::Array(a.stale.iter().map(|s| json!({"target": s.target, "message": s.message})).collect());
    }
    r
}

/// `{"id","kind":"field"|"finding","subject","sides":[{"reviewer","ts","value","note","record"}]}`.
pub fn conflict_json(c: &crate::model::ReviewConflict) -> J {
    let sides: Vec<J> = c
        .sides
        .iter()
        .map(|s| json!({"reviewer": s.reviewer, "ts": s.ts, "value": s.value, "note": s.note, "record": s.record}))
        .collect();
    json!({"id": c.id, "kind": if c.field { "field" } else { "finding" }, "subject": c.subject, "sides": sides})
}

impl Writer for JsonWriter {
    fn report(&mut self, out: &mut dyn Write, a: &ReportAudit) -> std::io::Result<()> {
        out.write_all(if self.started { b",\n" } else { b"{\"reports\":[\n" })?;
        self.started = true;
        let hidden = |id: &str| self.hidden.contains(id);
        serde_json::to_writer(&mut *out, &audit_to_json(a, &hidden))?;
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary) -> std::io::Result<()> {
        if !self.started {
            out.write_all(b"{\"reports\":[\n")?;
        }
        let mut summary = json!({"reports": s.reports, "failed": s.failed, "errors": s.errors, "warnings": s.warnings, "infos": s.infos});
        if let Some(n) = s.conflicts {
            summary["conflicts"] = json!(n);
        }
        writeln!(out, "\n],\"summary\":{summary}}}")
    }
}
