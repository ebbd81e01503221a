//! Reports as agencies publish them: Word files and web pages with real tables
//! (tests/fixtures/published, written by make.py from four real reports). Each must give the
//! fields and findings of the verified reading of its report's text, with its tables read from
//! cells: nothing ambiguous, nothing left to the digit-run splitter.

mod common;
use common::*;
use serde_json::{Value, json};

const FIXTURES: &str = "tests/fixtures/published";

/// (fixture stem, the report's text it was made from).
const PAIRS: [(&str, &str); 4] = [
    ("pingtan-2021", "corpus/pingtan/202202_80613.txt"),
    ("pingtan-2019", "corpus/pingtan/202001_80576.txt"),
    ("longtan-2018-legacy", "seeds/001_7f61c65fd34ee391.txt"),
    ("wuhua-2016-narrative", "seeds/000_5bed1a42feb09476.txt"),
];

/// Findings of the page dump that are about the dump, not the report: its page chrome (kept out
/// of a Word file and out of a web page's text) and its ambiguous digit runs (cells in the
/// published forms).
const DUMP_ONLY: [&str; 2] = ["text.web-residue", "extract.ambiguous"];

fn one(path: &str) -> Value {
    let (_, j) = check_json(&[path]);
    j["reports"][0].clone()
}

fn findings(r: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn fixtures_give_the_verified_reading_of_their_reports() {
    let Some(shared) = shared() else {
        eprintln!("../shared is not here; published-form comparison skipped");
        return;
    };
    for (stem, source) in PAIRS {
        let text = one(&path_str(&shared.join(source)));
        for ext in ["docx", "html"] {
            let name = format!("{stem}.{ext}");
            let r = one(&format!("{FIXTURES}/{name}"));
            assert!(r["error"].is_null(), "{name}: {}", r["error"]);
            let (tf, rf) = (text["fields"].as_object().unwrap(), r["fields"].as_object().unwrap());
            for (id, want) in tf {
                if id.ends_with(".body") {
                    continue; // section bodies hold the layout (line breaks), not values
                }
                let got = &rf.get(id).unwrap_or_else(|| panic!("{name}: no field {id} (text has {want})"));
                assert_eq!(got["status"], json!("exact"), "{name}: {id} = {got}");
                match want["status"].as_str() {
                    Some("exact") => assert_eq!(got["value"], want["value"], "{name}: {id}"),
                    // The digit run could not settle it; the cell holds one of its candidates.
                    _ => assert!(
                        want["candidates"].as_array().unwrap().contains(&got["value"]),
                        "{name}: {id} = {} is none of the text's candidates {}",
                        got["value"],
                        want["candidates"]
                    ),
                }
            }
            for (id, got) in rf {
                if !tf.contains_key(id) {
                    // Only blank cells the dump had no trace of (an empty statistics cell).
                    assert!(got["value"].is_null() && got["status"] == json!("exact"), "{name}: extra field {id} = {got}");
                }
            }
            let want: Vec<_> = findings(&text).into_iter().filter(|f| !DUMP_ONLY.contains(&f.0.as_str())).collect();
            assert_eq!(findings(&r), want, "{name}: findings");
            assert!(!fired(&r, "extract.ambiguous"), "{name}");
            if let Some(tables) = r["tables"].as_object() {
                for (id, t) in tables {
                    assert_eq!(t["source"], json!(ext), "{name}: table {id} came from {}", t["source"]);
                }
            }
        }
    }
}

#[test]
fn fixture_tables_hold_the_verified_cells() {
    // Independent of ../shared: values settled by reading (make.py says how).
    let r = one(&format!("{FIXTURES}/pingtan-2021.docx"));
    for (id, v) in [
        ("t3.new.person", json!(64)),
        ("t3.new.nonprofit", json!(2)),
        ("t3.new.total", json!(70)),
        ("t3.total.total", json!(69)),
        ("t3.carry_next.total", json!(1)),
        ("t3.unable.1.other_org", json!(3)),
        ("t4.suit_direct.upheld", json!(12)),
        ("t2.license.decisions", json!(2293)),
        ("t2.normative.in_force", json!(665)),
        ("year", json!(2021)),
        ("published", json!("2022-02-08")),
    ] {
        assert_eq!(value(&r, id), &v, "{id}");
    }
    assert_eq!(r["tables"]["t3"]["source"], json!("docx"));
    let html = one(&format!("{FIXTURES}/pingtan-2019.html"));
    assert!(html["encoding"].as_str().unwrap().starts_with("GB"), "GBK declared in <meta>: {}", html["encoding"]);
    assert_eq!(value(&html, "t3.rejected.2.person"), &json!(3), "read from the second part of the split table");
    assert_eq!(value(&html, "t3.total.total"), &json!(23));
    assert_eq!(html["tables"]["t3"]["source"], json!("html"));
    let legacy = one(&format!("{FIXTURES}/longtan-2018-legacy.docx"));
    assert_eq!(value(&legacy, "legacy.active.total"), &json!(2848));
    assert_eq!(value(&legacy, "legacy.staff.full"), &Value::Null, "a blank cell stays blank");
    assert_eq!(legacy["fields"]["legacy.staff.full"]["status"], json!("exact"));
    assert!(value(&legacy, "title").as_str().unwrap_or("").contains("年度报告"));
}

#[test]
fn page_chrome_is_not_report_text() {
    let r = one(&format!("{FIXTURES}/pingtan-2021.html"));
    assert!(!fired(&r, "text.web-residue"), "{:?}", rules_fired(&r));
    let out = bin().current_dir(root()).args(["check", &format!("{FIXTURES}/pingtan-2021.html"), "--format", "json"]).output().unwrap();
    assert!(out.status.success());
}

#[test]
fn blank_total_cells_in_a_web_page_are_blank_and_raise_no_sum_error() {
    let r = one(&format!("{FIXTURES}/pingtan-2021-blank-totals.html"));
    for id in ["t3.granted.total", "t3.partial.total", "t3.unable.1.total", "t3.total.total"] {
        assert_eq!(value(&r, id), &Value::Null, "{id}");
        assert_eq!(r["fields"][id]["status"], json!("exact"), "{id} is a blank cell, not a guess");
    }
    assert_eq!(value(&r, "t3.granted.person"), &json!(27));
    assert_eq!(value(&r, "t3.new.total"), &json!(70), "the cells that hold numbers keep them");
    let errors: Vec<_> = findings(&r).into_iter().filter(|f| f.1 == "error").collect();
    assert!(errors.is_empty(), "{errors:?}");
    let blanks: Vec<_> = findings(&r).into_iter().filter(|f| f.0 == "table3.blank-cells").collect();
    assert_eq!(blanks.len(), 1, "one finding for the table, not one per row: {blanks:?}");
}

#[test]
fn an_unfilled_template_is_one_clear_finding() {
    let Some(shared) = shared() else { return };
    let r = one(&path_str(&shared.join("corpus/docx/2021-format-template.docx")));
    assert!(r["error"].is_null(), "{}", r["error"]);
    assert_eq!(r["tables"]["t3"]["source"], json!("docx"));
    assert_eq!(r["fields"]["t3.new.total"]["status"], json!("exact"));
    assert_eq!(value(&r, "t3.new.total"), &Value::Null);
    assert!(fired_as(&r, "table3.unfilled", "error"));
    assert!(!fired(&r, "table3.blank-cells"), "not a warning per row: {:?}", rules_fired(&r));
    assert!(!fired(&r, "extract.ambiguous"));
    assert!(findings(&r).len() <= 6, "{:?}", findings(&r));
}

#[test]
fn hostile_word_files_get_a_message_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-not-a-zip.docx"), "这不是 Word 文件").unwrap();
    std::fs::write(dir.path().join("b-old.doc"), b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 legacy").unwrap();
    std::fs::copy(root().join(FIXTURES).join("pingtan-2021.docx"), dir.path().join("c-good.docx")).unwrap();
    // A zip bomb disguised as .docx: its document part inflates to 300 MiB (make.py writes it).
    std::fs::copy(root().join("tests/fixtures/hostile/zip-bomb.docx"), dir.path().join("d-bomb.docx")).unwrap();
    let out = bin()
        .current_dir(root())
        .env("PATH", "/nonexistent")
        .args(["check", &path_str(dir.path()), "--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reports = j["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 4, "every file listed");
    let err = |name: &str| report(&j, name)["error"].as_str().unwrap_or("").to_string();
    assert!(err("a-not-a-zip.docx").contains("not a zip archive"), "{}", err("a-not-a-zip.docx"));
    assert!(err("b-old.doc").contains("apt-get install libreoffice-writer"), "{}", err("b-old.doc"));
    assert!(err("d-bomb.docx").contains("zip bomb"), "{}", err("d-bomb.docx"));
    let good = report(&j, "c-good.docx");
    assert!(good["error"].is_null());
    assert_eq!(value(good, "t3.new.total"), &json!(70));
}
