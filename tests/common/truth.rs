//! Truth files (`tests/truth/*.yaml`): what reading a real report established, and how a
//! report's `check --format json` entry is judged against it. Shared by `tests/truth.rs` (every
//! truth file) and the tests that look closer at one report.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{root, same};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Truth {
    pub report: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, Value>,
    #[serde(default)]
    pub undecided: BTreeMap<String, Vec<Value>>,
    #[serde(default)]
    pub errors: Vec<Expected>,
    #[serde(default)]
    pub warnings: Vec<Expected>,
    /// For people: what reading could not decide.
    #[serde(default)]
    #[allow(dead_code)]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub rule: String,
    #[serde(default)]
    pub why: Option<String>,
}

pub struct Outcome {
    pub report: String,
    pub pending: bool,
    pub failures: Vec<String>,
    pub errors_found: usize,
    pub errors_known: usize,
    pub false_errors: Vec<String>,
    pub warnings_found: usize,
    pub warnings_known: usize,
    pub warnings_raised: usize,
    /// Listed warnings not raised: printed, never a failure (a warning is a reviewer's prompt).
    pub warnings_missed: Vec<String>,
}

pub fn show(v: &Value) -> String {
    match v {
        Value::Null => "(空)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One truth file.
pub fn load(p: &Path) -> Truth {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let t: Truth = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    if let Some(s) = &t.status {
        assert_eq!(s, "pending", "{}: status is `pending` or absent", p.display());
    }
    t
}

/// Every truth file under `tests/truth`, by file name, in name order.
pub fn load_truths() -> Vec<(String, Truth)> {
    let dir = root().join("tests").join("truth");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "yaml")).collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let t = load(&p);
            (p.file_name().unwrap().to_string_lossy().into_owned(), t)
        })
        .collect()
}

/// How one report's `check --format json` entry compares with its truth file.
pub fn judge(truth: &Truth, r: &Value) -> Outcome {
    let mut failures = Vec::new();
    if let Some(t) = &truth.template
        && r["template"].as_str() != Some(t.as_str())
    {
        failures.push(format!("template: expected {t}, got {}", r["template"]));
    }
    if let Some(e) = r.get("error").filter(|e| !e.is_null()) {
        failures.push(format!("the report could not be read: {e}"));
    }
    for (id, want) in &truth.fields {
        let f = &r["fields"][id];
        if f.is_null() {
            failures.push(format!("field {id}: expected {}, not extracted", show(want)));
            continue;
        }
        let status = f["status"].as_str().unwrap_or("");
        if status == "ambiguous" {
            let cands: Vec<String> = f["candidates"].as_array().map(|c| c.iter().map(show).collect()).unwrap_or_default();
            failures.push(format!("field {id}: expected {}, ambiguous ({})", show(want), cands.join(" | ")));
        } else if !same(&f["value"], want) {
            failures.push(format!("field {id}: expected {}, got {}", show(want), show(&f["value"])));
        }
    }
    for (id, cands) in &truth.undecided {
        let f = &r["fields"][id];
        if f.is_null() {
            failures.push(format!("undecided field {id}: not extracted (candidates {})", cands.iter().map(show).collect::<Vec<_>>().join(" | ")));
            continue;
        }
        if f["status"].as_str() == Some("ambiguous") {
            let have: Vec<Value> = f["candidates"].as_array().cloned().unwrap_or_default();
            let dropped: Vec<String> = cands.iter().filter(|c| !have.iter().any(|h| same(h, c))).map(show).collect();
            if !dropped.is_empty() {
                failures.push(format!("undecided field {id}: ambiguous but candidates {} were dropped", dropped.join(" | ")));
            }
        } else if !cands.iter().any(|c| same(c, &f["value"])) {
            failures.push(format!("undecided field {id}: {} is not among the candidates {}", show(&f["value"]), cands.iter().map(show).collect::<Vec<_>>().join(" | ")));
        }
    }

    let findings: Vec<(String, String, String)> = r["findings"]
        .as_array()
        .map(|a| a.iter().map(|f| (f["rule"].as_str().unwrap_or("").to_string(), f["severity"].as_str().unwrap_or("").to_string(), f["message"].as_str().unwrap_or("").to_string())).collect())
        .unwrap_or_default();
    let mut errors_found = 0;
    for e in &truth.errors {
        if findings.iter().any(|(rule, sev, _)| rule == &e.rule && sev == "error") {
            errors_found += 1;
        } else {
            let as_warning = findings.iter().any(|(rule, _, _)| rule == &e.rule);
            failures.push(format!("missed error {}{}: {}", e.rule, if as_warning { " (raised only as a warning)" } else { "" }, e.why.as_deref().unwrap_or("")));
        }
    }
    let known: Vec<&str> = truth.errors.iter().map(|e| e.rule.as_str()).collect();
    let false_errors: Vec<String> = findings.iter().filter(|(rule, sev, _)| sev == "error" && !known.contains(&rule.as_str())).map(|(rule, _, msg)| format!("{rule}: {msg}")).collect();
    for fe in &false_errors {
        failures.push(format!("false error {fe}"));
    }
    let raised = |w: &&Expected| findings.iter().any(|(rule, sev, _)| rule == &w.rule && (sev == "warning" || sev == "error"));
    let warnings_found = truth.warnings.iter().filter(raised).count();
    let warnings_missed = truth.warnings.iter().filter(|w| !raised(w)).map(|w| format!("{}: {}", w.rule, w.why.as_deref().unwrap_or(""))).collect();
    let warnings_raised = findings.iter().filter(|(_, sev, _)| sev == "warning").count();
    Outcome {
        report: truth.report.clone(),
        pending: truth.status.is_some(),
        failures,
        errors_found,
        errors_known: truth.errors.len(),
        false_errors,
        warnings_found,
        warnings_known: truth.warnings.len(),
        warnings_raised,
        warnings_missed,
    }
}
