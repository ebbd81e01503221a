//! Settling digit runs with evidence from outside the table, through the real binary on the
//! real 平潭 reports: the narrative settles a run, next year's report settles last year's, a
//! figure no reading agrees with is a finding that says so, and a settled cell names its evidence.

mod common;
use common::*;
use serde_json::json;

fn pingtan(name: &str) -> Option<String> {
    let p = shared()?.join("corpus").join("pingtan").join(name);
    std::fs::read_to_string(p).ok()
}

#[test]
fn the_narrative_and_next_years_report_settle_table_twos_runs() {
    let (Some(y2021), Some(y2022)) = (pingtan("202202_80613.txt"), pingtan("202302_80629.txt")) else {
        eprintln!("../shared is not here; skipped");
        return;
    };
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("2021.txt"), &y2021).unwrap();
    std::fs::write(d.path().join("2022.txt"), &y2022).unwrap();
    let dir = d.path().to_str().unwrap();

    // Alone, 2021's "693665" has many readings.
    let (_, j) = check_json(&[&format!("{dir}/2021.txt")]);
    let r = report(&j, "2021.txt");
    assert_eq!(r["fields"]["t2.normative.in_force"]["status"], json!("ambiguous"));

    let (_, j) = check_json(&[dir]);
    // 2022: "8855698" with "现行有效行政规范性文件698件" and "制发的规范性文件88件" → 88 | 55 | 698.
    let r = report(&j, "2022.txt");
    assert_eq!(value(r, "t2.normative.in_force"), &json!(698));
    assert_eq!(value(r, "t2.normative.issued"), &json!(88));
    assert_eq!(value(r, "t2.normative.repealed"), &json!(55));
    let by = r["fields"]["t2.normative.in_force"]["settled_by"].as_str().unwrap();
    assert!(by.starts_with("narr.table：叙述“") && by.contains("现行有效行政规范性文件698件"), "{by}");
    assert!(!fired(r, "extract.ambiguous"), "{:?}", rules_fired(r));
    // 2021: 698 = 现行有效 + 88 − 55, so its 现行有效 is 665; 制发 | 废止 stay 6 | 93 or 69 | 3.
    let r = report(&j, "2021.txt");
    assert_eq!(value(r, "t2.normative.in_force"), &json!(665));
    let by = r["fields"]["t2.normative.in_force"]["settled_by"].as_str().unwrap();
    assert!(by.starts_with("cross.normative-chain：下年报告（2022年度，2022.txt）"), "{by}");
    assert_eq!(r["fields"]["t2.normative.issued"]["candidates"], json!([6, 69]));
    assert!(r["fields"]["t2.normative.issued"].get("settled_by").is_none(), "still open: never guessed");
}

#[test]
fn a_narrative_figure_no_reading_gives_is_itself_the_finding() {
    let Some(y2022) = pingtan("202302_80629.txt") else {
        eprintln!("../shared is not here; skipped");
        return;
    };
    // The narrative says 699: no split of "8855698" gives it.
    let d = tempfile::tempdir().unwrap();
    let text = y2022.replace("现行有效行政规范性文件698件", "现行有效行政规范性文件699件");
    assert_ne!(text, y2022);
    std::fs::write(d.path().join("2022.txt"), text).unwrap();
    let (_, j) = check_json(&[d.path().join("2022.txt").to_str().unwrap()]);
    let r = report(&j, "2022.txt");
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == json!("narr.table") && f["message"].as_str().unwrap().contains("t2.normative.in_force"))
        .expect("narr.table fires on 现行有效");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("“699”") && msg.contains("种读法下均不成立"), "{msg}");
    assert_eq!(f["severity"], json!("error"), "certain: at the rule's own severity");
    assert_eq!(r["fields"]["t2.normative.in_force"]["status"], json!("ambiguous"), "nothing is settled against the evidence");
}

#[test]
fn the_narrative_settles_the_fujian_tables_glued_run() {
    let Some(y2016) = pingtan("201701_80485.txt") else {
        eprintln!("../shared is not here; skipped");
        return;
    };
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("2016.txt"), y2016).unwrap();
    let (_, j) = check_json(&[d.path().join("2016.txt").to_str().unwrap()]);
    let r = report(&j, "2016.txt");
    // "346085376": 本年度 3460, 历年累计 85376, settled by "主动公开政府信息3460条".
    assert_eq!(value(r, "legacy.active.total"), &json!(3460));
    assert_eq!(value(r, "legacy.active.total.cumulative"), &json!(85376));
    let by = r["fields"]["legacy.active.total"]["settled_by"].as_str().unwrap();
    assert!(by.starts_with("叙述“") && by.contains("主动公开政府信息3460条"), "{by}");
}
