//! The real reports against what reading them established (`tests/truth/*.yaml`, format in the
//! truth files' own header and in the README's "Findings on real reports").
//!
//! `check --format json` runs once over every report a truth file names (so cross-year links
//! exist), then for each report: every listed field has its value; every undecided field is
//! either one of its candidates or ambiguous with all of them kept; every listed error is found as
//! an error of that rule; no other error is raised (a false error is a defect). Listed warnings are
//! counted (found as a warning or an error).
//!
//! A truth file with `status: pending` records misses the pack does not catch yet: its failures
//! are printed, not asserted, so the truth can be written before the detection lands. Every other
//! truth file is enforced.
//!
//! Side output: the README table "Findings on real reports", printed (`--nocapture`) and written
//! to `target/truth-table.md`.

mod common;
use common::*;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Truth {
    report: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    fields: BTreeMap<String, Value>,
    #[serde(default)]
    undecided: BTreeMap<String, Vec<Value>>,
    #[serde(default)]
    errors: Vec<Expected>,
    #[serde(default)]
    warnings: Vec<Expected>,
    /// For people: what reading could not decide.
    #[serde(default)]
    #[allow(dead_code)]
    notes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    rule: String,
    #[serde(default)]
    why: Option<String>,
}

struct Outcome {
    report: String,
    pending: bool,
    failures: Vec<String>,
    errors_found: usize,
    errors_known: usize,
    false_errors: Vec<String>,
    warnings_found: usize,
    warnings_known: usize,
    warnings_raised: usize,
    /// Listed warnings not raised: printed, never a failure (a warning is a reviewer's prompt).
    warnings_missed: Vec<String>,
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(空)".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn load_truths() -> Vec<(String, Truth)> {
    let dir = root().join("tests").join("truth");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "yaml")).collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let t: Truth = serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            if let Some(s) = &t.status {
                assert_eq!(s, "pending", "{}: status is `pending` or absent", p.display());
            }
            (p.file_name().unwrap().to_string_lossy().into_owned(), t)
        })
        .collect()
}

fn judge(truth: &Truth, r: &Value) -> Outcome {
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

fn table(outcomes: &[Outcome]) -> String {
    let mut s = String::from("| report | errors found / known | false errors | warnings raised | known warnings found | truth |\n|---|---:|---:|---:|---:|---|\n");
    for o in outcomes {
        let name = o.report.trim_start_matches("../shared/");
        let state = if !o.pending {
            "enforced"
        } else if o.failures.is_empty() {
            "pending (passes: flip it)"
        } else {
            "pending"
        };
        let _ = writeln!(s, "| {name} | {} / {} | {} | {} | {} / {} | {state} |", o.errors_found, o.errors_known, o.false_errors.len(), o.warnings_raised, o.warnings_found, o.warnings_known);
    }
    let (found, known, fe) = outcomes.iter().fold((0, 0, 0), |a, o| (a.0 + o.errors_found, a.1 + o.errors_known, a.2 + o.false_errors.len()));
    let _ = writeln!(s, "| **all** | {found} / {known} | {fe} | {} | {} / {} | |", outcomes.iter().map(|o| o.warnings_raised).sum::<usize>(), outcomes.iter().map(|o| o.warnings_found).sum::<usize>(), outcomes.iter().map(|o| o.warnings_known).sum::<usize>());
    s
}

#[test]
fn real_reports_match_their_truth_files() {
    if shared().is_none() {
        eprintln!("../shared is not here; truth test skipped");
        return;
    }
    let mut truths = load_truths();
    truths.sort_by(|a, b| a.1.report.cmp(&b.1.report));
    assert!(!truths.is_empty(), "tests/truth holds no truth files");
    let mut paths = Vec::new();
    for (file, t) in &truths {
        assert!(root().join(&t.report).is_file(), "{file}: report {} does not exist", t.report);
        assert!(!paths.contains(&t.report.as_str()), "{file}: report {} has two truth files", t.report);
        paths.push(t.report.as_str());
    }
    let (_, json) = check_json(&paths);
    let reports = json["reports"].as_array().expect("reports");
    let outcomes: Vec<Outcome> = truths
        .iter()
        .map(|(file, t)| {
            let r = reports.iter().find(|r| r["path"].as_str() == Some(t.report.as_str())).unwrap_or_else(|| panic!("{file}: check did not report {}", t.report));
            judge(t, r)
        })
        .collect();

    let md = table(&outcomes);
    println!("\n{md}");
    let _ = std::fs::create_dir_all(root().join("target"));
    let _ = std::fs::write(root().join("target").join("truth-table.md"), &md);

    for o in outcomes.iter().filter(|o| !o.warnings_missed.is_empty()) {
        println!("{}: known warnings not raised:\n  {}", o.report, o.warnings_missed.join("\n  "));
    }
    let mut enforced = Vec::new();
    for o in &outcomes {
        if o.failures.is_empty() {
            continue;
        }
        let block = format!("{}{}:\n  {}", o.report, if o.pending { " (pending)" } else { "" }, o.failures.join("\n  "));
        println!("{block}");
        if !o.pending {
            enforced.push(block);
        }
    }
    assert!(enforced.is_empty(), "real reports disagree with their truth files:\n{}", enforced.join("\n"));
}

#[test]
fn the_truth_comparison_can_fail() {
    // The judge itself: a wrong field, a missed error and a false error are each a failure.
    let truth: Truth = serde_saphyr::from_str("report: x.txt\nfields:\n  year: 2021\nundecided:\n  t2.normative.in_force: [3665, 665]\nerrors:\n  - rule: meta.late\n").unwrap();
    let r = serde_json::json!({
        "template": "2021",
        "fields": {"year": {"value": 2020, "status": "exact"}, "t2.normative.in_force": {"value": null, "status": "ambiguous", "candidates": [665, 65]}},
        "findings": [{"rule": "table3.balance", "severity": "error", "message": "m"}]
    });
    let o = judge(&truth, &r);
    assert_eq!(o.errors_found, 0);
    assert_eq!(o.false_errors.len(), 1);
    assert!(o.failures.iter().any(|f| f.starts_with("field year")), "{:?}", o.failures);
    assert!(o.failures.iter().any(|f| f.contains("3665") && f.contains("dropped")), "{:?}", o.failures);
    assert!(o.failures.iter().any(|f| f.starts_with("missed error meta.late")), "{:?}", o.failures);
    let ok = serde_json::json!({
        "template": "2021",
        "fields": {"year": {"value": 2021, "status": "exact"}, "t2.normative.in_force": {"value": 665, "status": "exact"}},
        "findings": [{"rule": "meta.late", "severity": "error", "message": "m"}]
    });
    let o = judge(&truth, &ok);
    assert!(o.failures.is_empty(), "{:?}", o.failures);
    assert_eq!(o.errors_found, 1);
}
