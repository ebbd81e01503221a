//! Across reports: grouping by agency and year, cross-year checks, duplicates — on the real
//! 平潭 reports and on edited copies of them.

mod common;
use common::*;
use std::path::Path;

fn corpus_file(name: &str) -> Option<String> {
    let p = shared()?.join("corpus/pingtan").join(name);
    std::fs::read_to_string(p).ok()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn the_2021_and_2022_pingtan_reports_carry_over() {
    let (Some(a), Some(b)) = (corpus_file("202202_80613.txt"), corpus_file("202302_80629.txt")) else { return };
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "2021.txt", &a);
    write(d.path(), "2022.txt", &b);
    let (_, j) = check_json(&[&path_str(d.path())]);
    let r = report(&j, "2022.txt");
    assert_eq!(value(r, "t3.carried.total"), &serde_json::json!(1));
    assert!(!fired(r, "cross.carry"), "1 = 1: {:?}", rules_fired(r));
    assert!(!fired(r, "cross.duplicate"));
}

#[test]
fn an_edited_carry_over_breaks_the_chain() {
    let (Some(a), Some(b)) = (corpus_file("202202_80613.txt"), corpus_file("202302_80629.txt")) else { return };
    // Last year's 结转下年度 becomes 2 (person 2, total 2).
    let edited = a.replace("四、结转下年度继续办理1000001", "四、结转下年度继续办理2000002");
    assert_ne!(edited, a, "the edit must apply");
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "2021.txt", &edited);
    write(d.path(), "2022.txt", &b);
    let (_, j) = check_json(&[&path_str(d.path())]);
    let r = report(&j, "2022.txt");
    assert!(fired_as(r, "cross.carry", "error"), "{:?}", rules_fired(r));
    // Checked alone, the 2022 report has no previous year: not an error.
    let (_, j) = check_json(&[&path_str(&d.path().join("2022.txt"))]);
    assert!(!fired(report(&j, "2022.txt"), "cross.carry"));
}

#[test]
fn two_versions_of_one_report_are_flagged() {
    let Some(b) = corpus_file("202302_80629.txt") else { return };
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "site-a.txt", &b);
    write(d.path(), "site-b.txt", &b.replacen("2022年", "2022 年", 1));
    write(d.path(), "same-copy.txt", &b);
    let (_, j) = check_json(&[&path_str(d.path())]);
    assert!(fired(report(&j, "site-a.txt"), "cross.duplicate"));
    assert!(fired(report(&j, "site-b.txt"), "cross.duplicate"));
    let msg = report(&j, "site-b.txt")["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "cross.duplicate").unwrap()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("site-a.txt"), "{msg}");
}

#[test]
fn a_department_is_not_grouped_with_its_government() {
    let Some(b) = corpus_file("202302_80629.txt") else { return };
    let Some(a) = corpus_file("202202_80613.txt") else { return };
    let d = tempfile::tempdir().unwrap();
    // The same figures published by the area's 管委会 (its government) and by a department.
    write(d.path(), "gov-2021.txt", &a.replace("标题: 平潭综合实验区2021", "标题: 平潭综合实验区管委会2021"));
    write(d.path(), "dept-2022.txt", &b.replace("标题: 平潭综合实验区2022", "标题: 平潭综合实验区财政金融局2022").replace("上年结转政府信息公开申请数量1000001", "上年结转政府信息公开申请数量5000005"));
    let (_, j) = check_json(&[&path_str(d.path())]);
    let dept = report(&j, "dept-2022.txt");
    assert_eq!(value(dept, "agency_kind"), &serde_json::json!("department"));
    assert!(!fired(dept, "cross.carry"), "no previous year in its own group");
    assert_eq!(value(report(&j, "gov-2021.txt"), "agency.key"), &serde_json::json!("平潭综合实验区"));
}

/// A 2021-format report and its following year, from the invented sample in samples/.
fn example_pair(in_force_next: &str) -> tempfile::TempDir {
    let base = std::fs::read_to_string(root().join("samples/example_2021_format.txt")).unwrap();
    let next = base
        .replace("2023年政府信息公开工作年度报告", "2024年政府信息公开工作年度报告")
        .replace("发布时间：2024-01-26", "发布时间：2025-01-20")
        .replace("2023年1月1日起至2023年12月31日", "2024年1月1日起至2024年12月31日")
        .replace("二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0", "二、上年结转政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1")
        .replace("一、本年新收政府信息公开申请数量\t10\t1\t0\t0\t1\t0\t12", "一、本年新收政府信息公开申请数量\t9\t1\t0\t0\t1\t0\t11")
        .replace("行政规范性文件\t8\t2\t41", &format!("行政规范性文件\t5\t1\t{in_force_next}"));
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "2023.txt", &base);
    write(d.path(), "2024.txt", &next);
    d
}

#[test]
fn normative_documents_in_force_chain_across_years() {
    let d = example_pair("45");
    let (_, j) = check_json(&[&path_str(d.path())]);
    let r = report(&j, "2024.txt");
    assert!(!fired(r, "cross.normative-chain"), "41 + 5 − 1 = 45: {:?}", rules_fired(r));
    assert!(!fired(r, "cross.carry"), "{:?}", rules_fired(r));
    let d = example_pair("50");
    let (_, j) = check_json(&[&path_str(d.path())]);
    assert!(fired_as(report(&j, "2024.txt"), "cross.normative-chain", "warning"));
}

#[test]
fn the_format_switch_is_noted_not_compared() {
    // Seed 004 (开远市 2020, 2019 format) and a 2021-format report of the same agency for 2021.
    let base = std::fs::read_to_string(root().join("samples/example_2021_format.txt")).unwrap();
    let next = base.replace("青禾县人民政府2023年", "开远市人民政府2021年").replace("2023年1月1日起至2023年12月31日", "2021年1月1日起至2021年12月31日").replace("发布时间：2024-01-26", "发布时间：2022-01-26");
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("samples/004_c05028ffedb1b406.txt"), d.path().join("2020.txt")).unwrap();
    write(d.path(), "2021.txt", &next);
    let (_, j) = check_json(&[&path_str(d.path())]);
    let r = report(&j, "2021.txt");
    assert!(fired_as(r, "cross.template-switch", "info"), "{:?}", rules_fired(r));
    assert!(!fired(r, "cross.normative-chain"));
}

#[test]
fn the_fujian_cumulative_column_continues() {
    let Some(a) = corpus_file("201204_80678.txt") else { return };
    let next = |cumulative: &str| {
        a.replace("平潭综合实验区2011年", "平潭综合实验区2012年")
            .replace("2011 年度", "2012 年度")
            .replace("主动公开信息数 条 425 1516", &format!("主动公开信息数 条 84 {cumulative}"))
            .replace("1.网站公开 条 418 1509", &format!("1.网站公开 条 84 {}", cumulative.parse::<i64>().unwrap() - 7))
            .replace("2.政府公报公开 条 7 7", "2.政府公报公开 条 0 7")
    };
    for (cumulative, fires) in [("1600", false), ("1700", true)] {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "2011.txt", &a);
        write(d.path(), "2012.txt", &next(cumulative));
        let (_, j) = check_json(&[&path_str(d.path())]);
        let r = report(&j, "2012.txt");
        assert_eq!(value(r, "year"), &serde_json::json!(2012));
        assert_eq!(fired(r, "cross.cumulative"), fires, "{cumulative}: {:?}", rules_fired(r));
    }
}

#[test]
fn the_2016_fujian_table_is_settled_by_the_narrative() {
    let Some(dir) = shared() else { return };
    let (_, j) = check_json(&[&path_str(&dir.join("corpus/pingtan/201701_80485.txt"))]);
    let r = report(&j, "201701_80485.txt");
    assert_eq!(value(r, "legacy.active.total"), &serde_json::json!(3460));
    assert_eq!(value(r, "legacy.active.total.cumulative"), &serde_json::json!(85376));
    assert!(r["fields"]["legacy.active.total"]["note"].as_str().unwrap().contains("叙述"));
    assert_eq!(value(r, "legacy.active.channel.website.cumulative"), &serde_json::json!(85376));
}

#[test]
fn items_of_the_2019_format_chain_across_years() {
    // Seed 004 is 开远市's 2020 report: 行政许可 上一年项目数量 256. A 2019 report of the same
    // agency (made from it) with 239 and +17 continues into it; with +18 it does not.
    let seed = std::fs::read_to_string(root().join("samples/004_c05028ffedb1b406.txt")).unwrap();
    let year_before = |change: &str| {
        seed.replacen("开远市人民政府2020年", "开远市人民政府2019年", 1)
            .replacen("发布时间: 2021-02-22", "发布时间: 2020-01-20", 1)
            .replacen("行政许可\n\n256\n\n+17", &format!("行政许可\n\n239\n\n{change}"), 1)
    };
    for (change, fires) in [("+17", false), ("+18", true)] {
        let d = tempfile::tempdir().unwrap();
        std::fs::copy(root().join("samples/004_c05028ffedb1b406.txt"), d.path().join("2020.txt")).unwrap();
        let y2019 = year_before(change);
        assert!(y2019.contains("239"), "the edit must apply");
        write(d.path(), "2019.txt", &y2019);
        let (_, j) = check_json(&[&path_str(d.path())]);
        let r = report(&j, "2020.txt");
        assert_eq!(value(report(&j, "2019.txt"), "t2.license.prev_items"), &serde_json::json!(239));
        // The other rows were copied unchanged from 2020, so only 行政许可 is a real chain here.
        let license = r["findings"].as_array().unwrap().iter().any(|f| f["key"] == "cross.items-chain[r=license]");
        assert_eq!(license, fires, "{change}: {:?}", rules_fired(r));
        assert!(fired(r, "cross.items-chain"), "the copied rows (106 + 44 ≠ 106) do not chain");
    }
}
