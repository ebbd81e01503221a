//! Real published reports of 平潭综合实验区 (../shared/corpus, see its MANIFEST.md): every value
//! here was verified by reading the report.

mod common;
use common::*;
use serde_json::{Value, json};

fn corpus() -> Option<Value> {
    let dir = shared()?.join("corpus");
    if !dir.is_dir() {
        eprintln!("../shared/corpus is not here; corpus tests skipped");
        return None;
    }
    Some(check_json(&[&path_str(&dir)]).1)
}

#[test]
fn every_corpus_report_has_its_year_date_and_template() {
    let Some(j) = corpus() else { return };
    let expect = [
        ("201204_80678.txt", 2011, "2012-04-11", "legacy"),
        ("201701_80485.txt", 2016, "2017-01-18", "legacy"),
        ("202001_80576.txt", 2019, "2020-01-20", "2019"),
        ("202202_80613.txt", 2021, "2022-02-08", "2021"),
        ("202302_80629.txt", 2022, "2023-02-20", "2021"),
        ("202603_105587.txt", 2025, "2026-03-10", "2021"),
    ];
    for (name, year, date, template) in expect {
        let r = report(&j, name);
        assert_eq!(value(r, "year"), &json!(year), "{name}");
        assert_eq!(value(r, "published"), &json!(date), "{name}");
        assert_eq!(r["template"], json!(template), "{name}");
        assert_eq!(value(r, "agency"), &json!("平潭综合实验区"), "{name}");
        assert_eq!(value(r, "agency_kind"), &json!("government"), "{name}");
    }
}

#[test]
fn the_2011_report_was_published_late() {
    let Some(j) = corpus() else { return };
    assert!(fired_as(report(&j, "201204_80678.txt"), "meta.late", "error"));
    for on_time in ["202001_80576.txt", "202202_80613.txt", "202302_80629.txt", "202603_105587.txt"] {
        assert!(!fired(report(&j, on_time), "meta.late"), "{on_time}");
    }
}

#[test]
fn table_three_digit_runs_split_by_the_identities() {
    let Some(j) = corpus() else { return };
    let cells = |name: &str, row: &str| -> Vec<Value> {
        let r = report(&j, name);
        ["person", "business", "research", "nonprofit", "legal", "other_org", "total"].iter().map(|c| value(r, &format!("t3.{row}.{c}")).clone()).collect()
    };
    // "640020470" = 64,0,0,2,0,4,70: the row total makes the split unique.
    assert_eq!(cells("202202_80613.txt", "new"), [64, 0, 0, 2, 0, 4, 70].map(|v| json!(v)));
    assert_eq!(cells("202202_80613.txt", "total"), [63, 0, 0, 2, 0, 4, 69].map(|v| json!(v)));
    assert_eq!(cells("202202_80613.txt", "carry_next"), [1, 0, 0, 0, 0, 0, 1].map(|v| json!(v)));
    let r = report(&j, "202202_80613.txt");
    assert_eq!(value(r, "t3.granted.total"), &json!(30));
    assert_eq!(value(r, "t3.unable.1.total"), &json!(25));
    assert_eq!(value(r, "t3.denied.5.total"), &json!(1), "glued item number 6. is not a cell");
    for rule in ["table3.balance", "table3.result-sum", "table3.row-total"] {
        assert!(!fired(r, rule), "{rule}: {:?}", rules_fired(r));
    }
}

#[test]
fn table_totals_match_the_manifest() {
    let Some(j) = corpus() else { return };
    let r = report(&j, "202001_80576.txt");
    assert_eq!(value(r, "t3.new.total"), &json!(23));
    assert_eq!(value(r, "t3.total.total"), &json!(23));
    let r = report(&j, "202302_80629.txt");
    assert_eq!(value(r, "t3.carried.total"), &json!(1), "上年结转 1 = the 2021 report's 结转 1");
    let r = report(&j, "202603_105587.txt");
    assert_eq!(value(r, "t3.new.total"), &json!(154));
    assert_eq!(value(r, "t3.total.total"), &json!(148));
    assert_eq!(value(r, "t3.carry_next.total"), &json!(6));
    assert_eq!(value(r, "t4.review.total"), &json!(36));
    let suits = value(r, "t4.suit_direct.total").as_i64().unwrap() + value(r, "t4.suit_after.total").as_i64().unwrap();
    assert_eq!(suits, 9);
    for rule in ["table3.balance", "table3.result-sum", "table4.sum"] {
        assert!(!fired(r, rule), "{rule}: {:?}", rules_fired(r));
    }
}

#[test]
fn the_fujian_table_reads_this_year_and_cumulative_columns() {
    let Some(j) = corpus() else { return };
    let r = report(&j, "201204_80678.txt");
    assert_eq!(value(r, "legacy.active.total"), &json!(425));
    assert_eq!(value(r, "legacy.active.total.cumulative"), &json!(1516));
    assert_eq!(value(r, "legacy.active.channel.website.cumulative"), &json!(1509));
    assert!(!fired(r, "legacy.cumulative-parts"));
}

#[test]
fn claims_are_listed_per_report_and_a_closed_list_that_does_not_add_up_is_an_error() {
    // Pingtan 2019: "共公布政府信息2599条，(其中…其他应主动公开政府信息856条)" — the parts, 其他
    // included, make 2533.
    let Some(j) = corpus() else { return };
    let r = report(&j, "202001_80576.txt");
    let claims = r["claims"].as_array().expect("a claims array");
    let whole = claims.iter().find(|c| c["value"] == json!(2599)).expect("the whole is a claim");
    assert_eq!(whole["role"]["whole"]["list"], json!("closed"));
    assert_eq!(whole["role"]["whole"]["parts"].as_array().unwrap().len(), 11);
    assert!(fired_as(r, "narr.parts-short", "error"), "{:?}", rules_fired(r));
    // Pingtan 2021: 收到70件 / 办结69件 / 1件结转 agree with table 三: no narrative finding.
    let r = report(&j, "202202_80613.txt");
    assert_eq!(r["fields"]["narr.apply.received"]["value"], json!(70));
    assert_eq!(r["fields"]["narr.apply.closed"]["value"], json!(69));
    assert!(!rules_fired(r).iter().any(|(f, _)| f.starts_with("narr.")), "{:?}", rules_fired(r));
}
