//! Exports of real audits (seed 004 and the 2021-format example in samples/), read back the way a
//! reviewer's spreadsheet or script would: xlsx through calamine, CSV as bytes, JSON parsed.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use calamine::{Data, Range, Reader, Xlsx, open_workbook};
use nianbao::export::{ExportFormat, export};
use nianbao::journal::{Journal, Record, replay};
use nianbao::model::{Finding, Severity};
use nianbao::pipeline::{ReportAudit, audit_path};
use nianbao::rules::RuleSet;
use serde_json::Value as J;

const SEED: &str = "004_c05028ffedb1b406.txt";
const EXAMPLE: &str = "example_2021_format.txt";

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples").join(name)
}

/// The rule pack and the two samples audited without a log, once per test binary: auditing in a
/// debug build takes seconds, and the tests only read the result.
fn shared() -> &'static (RuleSet, Vec<ReportAudit>) {
    static SHARED: OnceLock<(RuleSet, Vec<ReportAudit>)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let rules = RuleSet::builtin();
        let audits = [SEED, EXAMPLE].iter().map(|n| audit_path(&sample(n), &rules, None)).collect();
        (rules, audits)
    })
}

fn sheet(path: &Path, name: &str) -> Range<Data> {
    let mut wb: Xlsx<_> = open_workbook(path).expect("the workbook opens");
    wb.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

/// Column index of the stable id in the second header row.
fn col(r: &Range<Data>, id: &str) -> usize {
    let ids: Vec<String> = r.rows().nth(1).expect("id row").iter().map(|c| c.to_string()).collect();
    ids.iter().position(|c| c == id).unwrap_or_else(|| panic!("no column {id} in {ids:?}"))
}

/// The data row whose first cell (the file path) ends with `file`.
fn row_of<'a>(r: &'a Range<Data>, file: &str) -> &'a [Data] {
    r.rows().skip(2).find(|row| row[0].to_string().ends_with(file)).unwrap_or_else(|| panic!("no row for {file}"))
}

#[test]
fn xlsx_has_three_sheets_typed_values_and_chinese_headers() {
    let (rules, audits) = shared();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("结果.xlsx");
    let written = export(ExportFormat::Xlsx, audits, rules, &[], Some(&out)).unwrap();
    assert_eq!(written, std::slice::from_ref(&out));

    let wb: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(wb.sheet_names(), ["报告", "问题", "更正记录"]);

    let reports = sheet(&out, "报告");
    let header: Vec<String> = reports.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(&header[..4], ["文件", "内容标识", "编码", "错误"]);
    let year_label = rules.label("year").unwrap_or("year");
    assert_eq!(header[col(&reports, "year")], year_label);
    assert_eq!(header[col(&reports, "year.status")], format!("{year_label}·状态"));
    // Identity columns come first, right after the four report columns.
    assert_eq!(reports.rows().nth(1).unwrap()[4].to_string(), "title");
    assert_eq!(reports.height(), 4, "two header rows and one row per report");

    let seed = row_of(&reports, SEED);
    assert_eq!(seed[col(&reports, "year")], Data::Float(2020.0));
    assert_eq!(seed[col(&reports, "t3.new.total")], Data::Float(5.0));
    assert_eq!(seed[col(&reports, "t3.new.total.status")], Data::String("精确".into()));
    assert_eq!(seed[col(&reports, "published")], Data::String("2021-02-22".into()));
    // An ambiguous cell: empty value, the status lists the candidates.
    assert_eq!(seed[col(&reports, "t3.new.person")], Data::Empty);
    let person = seed[col(&reports, "t3.new.person.status")].to_string();
    assert!(person.starts_with("待定：") && person.contains('5') && person.contains(" | "), "{person}");
    assert!(matches!(seed[col(&reports, "open.warning")], Data::Float(_)));
    assert_eq!(seed[col(&reports, "review")], Data::String("新".into()));
    let example = row_of(&reports, EXAMPLE);
    assert_eq!(example[col(&reports, "year")], Data::Float(2023.0));

    let findings = sheet(&out, "问题");
    let fh: Vec<String> = findings.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(fh, ["文件", "内容标识", "规则", "严重度", "行", "说明", "涉及字段", "问题键", "审核结论", "审核意见", "审核人", "时间"]);
    let parts = findings
        .rows()
        .skip(2)
        .find(|r| r[0].to_string().ends_with(SEED) && r[col(&findings, "rule")] == Data::String("narr.parts-unmarked".into()))
        .expect("a narr.parts-unmarked row for seed 004");
    assert!(parts[col(&findings, "message")].to_string().contains("3694"));
    assert_eq!(parts[col(&findings, "verdict")], Data::String("未处理".into()));

    let log = sheet(&out, "更正记录");
    assert_eq!(log.height(), 2, "headers only without records");
}

#[test]
fn a_logged_correction_shows_as_corrected_and_in_the_log_sheet() {
    let (rules, audits) = shared();
    let dir = tempfile::tempdir().unwrap();
    let seed = &audits[0];
    let log_path = dir.path().join("corrections.jsonl");
    let mut j = Journal::open(&log_path).unwrap();
    let path = seed.path.display().to_string();
    j.append(Record::correct(&seed.id, &path, "t3.new.total", "5", "6", "原表合计为6", "tester")).unwrap();
    let state = replay(j.records());
    let again = vec![audit_path(&sample(SEED), rules, Some(&state))];

    let out = dir.path().join("x.xlsx");
    export(ExportFormat::Xlsx, &again, rules, j.records(), Some(&out)).unwrap();
    let reports = sheet(&out, "报告");
    let row = row_of(&reports, SEED);
    assert_eq!(row[col(&reports, "t3.new.total")], Data::Float(6.0));
    assert_eq!(row[col(&reports, "t3.new.total.status")], Data::String("已更正".into()));
    assert_eq!(row[col(&reports, "review")], Data::String("审核中".into()));

    let log = sheet(&out, "更正记录");
    assert_eq!(log.height(), 3);
    let rec = log.rows().nth(2).unwrap();
    assert_eq!(rec[col(&log, "action")], Data::String("correct".into()));
    assert_eq!(rec[col(&log, "field")], Data::String("t3.new.total".into()));
    assert_eq!(rec[col(&log, "new")], Data::String("6".into()), "log values stay text as typed");
    assert_eq!(rec[col(&log, "reason")], Data::String("原表合计为6".into()));
}

#[test]
fn csv_writes_three_files_with_bom_quoting_and_formula_guard() {
    let (rules, audits) = shared();
    let dir = tempfile::tempdir().unwrap();
    let mut audits = audits.clone();
    audits[0].findings.push(Finding {
        rule: "test.hostile".into(),
        severity: Severity::Info,
        message: "=HYPERLINK(\"http://x\"), 合计".into(),
        span: None,
        fields: Vec::new(),
        key: "test.hostile".into(),
        decision: None,
    });
    let rec = Record::correct(&audits[0].id, "a.txt", "year", "2020", "2021", "@SUM(1)", "tester");
    let out = dir.path().join("x.csv");
    let written = export(ExportFormat::Csv, &audits, rules, &[rec], Some(&out)).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["x.csv", "x.findings.csv", "x.log.csv"]);

    let read = |p: &Path| String::from_utf8(std::fs::read(p).unwrap()).unwrap();
    let reports = read(&written[0]);
    let findings = read(&written[1]);
    let log = read(&written[2]);
    for text in [&reports, &findings, &log] {
        assert!(text.starts_with('\u{FEFF}'), "BOM");
        assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\r'), "CRLF rows");
    }
    let lines: Vec<&str> = reports.split("\r\n").collect();
    assert!(lines[0].starts_with("\u{FEFF}文件,内容标识,编码,错误,"), "{}", lines[0]);
    assert!(lines[1].starts_with("path,id,encoding,error,title,title.status,"), "{}", lines[1]);
    assert_eq!(lines.len(), 2 + 2 + 1, "two header rows, two reports, the final CRLF");
    // The year column is a bare number in the seed's row.
    let ids: Vec<&str> = lines[1].split(',').collect();
    let year = ids.iter().position(|c| *c == "year").unwrap();
    let seed_row = lines.iter().find(|l| l.contains(SEED)).unwrap();
    assert!(!seed_row.contains('"'), "{seed_row}");
    assert_eq!(seed_row.split(',').nth(year), Some("2020"));

    // The message is quoted (comma, quotes doubled) and guarded inside the quotes.
    assert!(findings.contains(",\"'=HYPERLINK(\"\"http://x\"\"), 合计\","), "{findings}");
    assert!(findings.contains(",narr.parts-unmarked,"));
    assert!(log.contains(",'@SUM(1),"), "{log}");
    assert!(log.starts_with("\u{FEFF}ts,reviewer,report,path,action,field,old,new,reason"));
}

#[test]
fn json_parses_with_numbers_and_all_three_tables() {
    let (rules, audits) = shared();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.json");
    let written = export(ExportFormat::Json, audits, rules, &[], Some(&out)).unwrap();
    assert_eq!(written, std::slice::from_ref(&out));
    let j: J = serde_json::from_slice(&std::fs::read(&out).unwrap()).expect("valid JSON");
    let reports = j["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    let seed = reports.iter().find(|r| r["path"].as_str().unwrap().ends_with(SEED)).unwrap();
    assert_eq!(seed["fields"]["year"]["value"], serde_json::json!(2020));
    assert_eq!(seed["fields"]["t3.new.total"]["value"], serde_json::json!(5));
    assert_eq!(seed["fields"]["t3.new.person"]["status"], serde_json::json!("ambiguous"));
    assert!(seed["fields"]["t3.new.person"]["candidates"].is_array());
    for key in ["error", "warning", "info"] {
        assert!(seed["counts"][key].is_u64(), "{key}: {}", seed["counts"]);
    }
    assert!(seed.get("error").is_none());
    assert!(j["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "narr.parts-unmarked"));
    assert_eq!(j["log"], serde_json::json!([]));
}

#[test]
fn an_unreadable_file_still_gets_a_row() {
    let (rules, _) = shared();
    let dir = tempfile::tempdir().unwrap();
    let missing = audit_path(&dir.path().join("gone.txt"), rules, None);
    assert!(missing.error.is_some());
    let out = dir.path().join("x.xlsx");
    export(ExportFormat::Xlsx, &[missing], rules, &[], Some(&out)).unwrap();
    let reports = sheet(&out, "报告");
    let row = row_of(&reports, "gone.txt");
    assert!(!row[col(&reports, "error")].to_string().is_empty());
}
