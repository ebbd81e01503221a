//! The five seed documents in `samples/`, audited by the real binary with the built-in rules.

mod common;
use common::*;
use serde_json::json;

#[test]
fn seed_004_is_a_2019_format_report_of_kaiyuan() {
    let (_, j) = check_json(&["samples/004_c05028ffedb1b406.txt"]);
    let r = report(&j, "004_c05028ffedb1b406.txt");
    assert_eq!(r["template"], json!("2019"));
    assert_eq!(value(r, "year"), &json!(2020));
    assert_eq!(value(r, "published"), &json!("2021-02-22"));
    assert_eq!(value(r, "agency"), &json!("开远市人民政府"));
    assert_eq!(value(r, "agency_kind"), &json!("government"));
    assert_eq!(value(r, "t3.new.total"), &json!(5));
    assert_eq!(value(r, "t3.total.total"), &json!(5));
    assert_eq!(value(r, "t3.carry_next.total"), &json!(0));
    assert_eq!(r["fields"]["t3.new.total"]["status"], json!("exact"));
    assert!(!fired_as(r, "table3.balance", "error"), "no balance error: {:?}", rules_fired(r));
    assert!(fired(r, "narr.parts-unmarked"));
    let parts = r["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "narr.parts-unmarked").unwrap();
    let msg = parts["message"].as_str().unwrap();
    assert!(msg.contains("3694") && msg.contains("713") && msg.contains("1563") && msg.contains("1091"), "{msg}");
    assert!(fired(r, "text.malformed-date"));
}

#[test]
fn seed_004_cells_with_dropped_columns_are_ambiguous_not_guessed() {
    let (_, j) = check_json(&["samples/004_c05028ffedb1b406.txt"]);
    let r = report(&j, "004_c05028ffedb1b406.txt");
    // "5 / 0 / 0 / 0 / 5" for seven columns: the total is certain, the person column is not.
    let person = &r["fields"]["t3.new.person"];
    assert_eq!(person["status"], json!("ambiguous"));
    assert_eq!(person["value"], json!(null));
    assert!(person["candidates"].as_array().unwrap().contains(&json!(5)));
}

#[test]
fn seed_003_is_a_damaged_unfilled_template() {
    let (_, j) = check_json(&["samples/003_7161a0add6491de6.txt"]);
    let r = report(&j, "003_7161a0add6491de6.txt");
    // A downloaded 总结 template with a disclaimer is not a report: one finding, no noise, and it
    // says what else was left out.
    assert_eq!(rules_fired(r), [("text.not-official".to_string(), "error".to_string())]);
    let message = r["findings"][0]["message"].as_str().unwrap();
    for rule in ["text.placeholder", "text.mojibake", "meta.year-missing"] {
        assert!(message.contains(rule), "{message}");
    }
}

#[test]
fn seed_000_reads_year_and_applications_from_the_narrative() {
    let (_, j) = check_json(&["samples/000_5bed1a42feb09476.txt"]);
    let r = report(&j, "000_5bed1a42feb09476.txt");
    assert_eq!(value(r, "year"), &json!(2016));
    assert_eq!(value(r, "apply.received"), &json!(11));
    assert!(fired(r, "meta.published-missing"));
}

#[test]
fn seed_001_reads_the_national_statistics_table() {
    let (_, j) = check_json(&["samples/001_7f61c65fd34ee391.txt"]);
    let r = report(&j, "001_7f61c65fd34ee391.txt");
    assert_eq!(r["template"], json!("legacy"));
    assert_eq!(value(r, "year"), &json!(2018));
    assert_eq!(value(r, "published"), &json!("2019-03-06"));
    assert_eq!(value(r, "legacy.active.total"), &json!(2848));
    assert_eq!(value(r, "apply.received"), &json!(1));
    assert_eq!(value(r, "legacy.apply.received"), &json!(1));
    assert_eq!(value(r, "legacy.staff.total"), &json!(39));
    assert!(!fired(r, "legacy.sums"), "{:?}", rules_fired(r));
    assert!(!fired(r, "extract.ambiguous"), "{:?}", rules_fired(r));
}

#[test]
fn seed_002_is_a_scraped_page_with_a_nonstandard_title() {
    let (_, j) = check_json(&["samples/002_739f523f9711be90.txt"]);
    let r = report(&j, "002_739f523f9711be90.txt");
    assert_eq!(value(r, "year"), &json!(2011));
    assert_eq!(value(r, "published"), &json!("2012-01-17"));
    assert!(fired(r, "meta.title-nonstandard"));
    assert!(fired(r, "text.web-residue"));
}

#[test]
fn the_2021_example_in_samples_balances() {
    let (_, j) = check_json(&["samples/example_2021_format.txt"]);
    let r = report(&j, "example_2021_format.txt");
    assert_eq!(r["template"], json!("2021"));
    for rule in ["table3.balance", "table3.result-sum", "table3.row-total", "table4.sum", "structure.missing-section"] {
        assert!(!fired(r, rule), "{rule}: {:?}", rules_fired(r));
    }
}
