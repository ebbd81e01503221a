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
use common::truth::{Outcome, Truth, judge, load_truths};
use std::fmt::Write as _;

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
