//! SARIF 2.1.0: one run, every rule of the pack described, results located by file and line.

use std::io::Write;

use serde_json::{Value as J, json};

use super::{Summary, Writer};
use crate::pipeline::ReportAudit;
use crate::rules::RuleSet;

pub struct SarifWriter {
    rules: Vec<J>,
    results: Vec<J>,
}

impl SarifWriter {
    pub fn new(rules: &RuleSet) -> Self {
        let mut described: Vec<J> = rules
            .checks
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "shortDescription": {"text": c.description.clone().unwrap_or_else(|| c.id.clone())},
                    "defaultConfiguration": {"level": c.severity.map_or("none", level)},
                    "properties": {"source": format!("{}:{}", c.origin.file, c.origin.line)},
                })
            })
            .collect();
        let load_ids = crate::load::LoadIssueKind::ALL.map(|k| k.rule_id());
        for id in load_ids.iter().map(String::as_str).chain(["load.error"]) {
            described.push(json!({"id": id, "shortDescription": {"text": "problem reading the file"}, "defaultConfiguration": {"level": "warning"}}));
        }
        SarifWriter { rules: described, results: Vec::new() }
    }
}

fn level(s: crate::model::Severity) -> &'static str {
    match s {
        crate::model::Severity::Error => "error",
        crate::model::Severity::Warning => "warning",
        crate::model::Severity::Info => "note",
    }
}

fn uri(p: &std::path::Path) -> String {
    p.display().to_string().replace('\\', "/")
}

impl Writer for SarifWriter {
    // SARIF is one JSON document: results are collected (small) and written at the end.
    fn report(&mut self, _out: &mut dyn Write, a: &ReportAudit) -> std::io::Result<()> {
        if let Some(e) = &a.error {
            self.results.push(json!({
                "ruleId": "load.error", "level": "error", "message": {"text": e},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&a.path)}}}],
            }));
        }
        for f in &a.findings {
            let mut region = json!({});
            if let Some(s) = f.span {
                region = json!({"startLine": s.line, "startColumn": s.col});
            }
            let mut r = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&a.path)}, "region": region}}],
                "partialFingerprints": {"nianbaoKey/v1": format!("{}:{}", a.id, f.key)},
            });
            if let Some(d) = &f.decision
                && d.verdict == crate::model::Verdict::Dismissed {
                    r["suppressions"] = json!([{"kind": "external", "justification": d.note}]);
                }
            self.results.push(r);
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _s: &Summary) -> std::io::Result<()> {
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "nianbao", "version": env!("CARGO_PKG_VERSION"), "rules": self.rules}},
                "results": self.results,
            }],
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)
    }
}
