//! The binary's command-line face: formats, exit codes, rule errors, hostile inputs.

mod common;
use common::*;
use serde_json::json;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn text_output_is_path_line_col_severity_rule_message() {
    let out = bin().current_dir(root()).args(["check", "samples/002_739f523f9711be90.txt", "--fail-on", "never"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("samples/002_739f523f9711be90.txt:4:1: warning meta.title-nonstandard: "), "{text}");
    assert!(text.contains("1 reports audited"), "{text}");
}

#[test]
fn exit_codes_follow_fail_on() {
    // seed 003 has errors; seed 002 only warnings.
    bin().current_dir(root()).args(["check", "samples/003_7161a0add6491de6.txt"]).assert().code(1);
    bin().current_dir(root()).args(["check", "samples/002_739f523f9711be90.txt"]).assert().code(0);
    bin().current_dir(root()).args(["check", "samples/002_739f523f9711be90.txt", "--fail-on", "warning"]).assert().code(1);
    bin().current_dir(root()).args(["check", "samples/003_7161a0add6491de6.txt", "--fail-on", "never"]).assert().code(0);
    bin().args(["check", "--format", "yaml", "x"]).assert().code(2);
}

#[test]
fn sarif_describes_rules_and_locates_results() {
    let out = bin().current_dir(root()).args(["check", "samples/004_c05028ffedb1b406.txt", "--format", "sarif", "--fail-on", "never"]).output().unwrap();
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["version"], json!("2.1.0"));
    let run = &s["runs"][0];
    assert!(run["tool"]["driver"]["rules"].as_array().unwrap().iter().any(|r| r["id"] == "table3.balance"));
    let r = run["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "narr.parts-unmarked").expect("parts-unmarked result");
    assert_eq!(r["locations"][0]["physicalLocation"]["region"]["startLine"], json!(15));
}

#[test]
fn json_counts_are_numbers_and_summary_adds_up() {
    let (_, j) = check_json(&["samples"]);
    assert_eq!(j["summary"]["reports"], json!(6));
    let errors: usize = j["reports"].as_array().unwrap().iter().map(|r| r["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "error").count()).sum();
    assert_eq!(j["summary"]["errors"], json!(errors));
}

#[test]
fn a_broken_rule_file_is_reported_with_its_location_and_nothing_is_audited() {
    let d = tmp();
    bin().args(["rules", "init"]).arg(d.path()).assert().success();
    let meta = d.path().join("checks/meta.yaml");
    let text = std::fs::read_to_string(&meta).unwrap();
    std::fs::write(&meta, text.replacen("assert: present(year)", "assert: present(yeer)", 1)).unwrap();
    let out = bin().current_dir(root()).args(["check", "samples", "--rules"]).arg(d.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("checks/meta.yaml:6:21: unknown field `yeer`"), "{err}");
    assert!(out.stdout.is_empty(), "nothing audited");
}

#[test]
fn yaml_mistakes_unknown_keys_bad_regex_and_bombs_are_located() {
    let cases = [
        ("checks:\n  - id: a\n    severity: eror\n    assert: true\n    message: m\n", "3:15: severity `eror`"),
        ("checks:\n  - id: a\n    severity: error\n    asert: true\n    message: m\n", "4:5"),
        ("checks:\n  - id: a\n    severity: error\n    pattern: '(unclosed'\n    message: m\n", "bad regex"),
        ("checks:\n  - id: a\n    severity: error\n    pattern: 'a{1000}{1000}'\n    message: m\n", "too large"),
        ("checks:\n  - id: a\n    severity: error\n    assert: 'true'\n    message: '{nope}'\n", "unknown field `nope`"),
        ("a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", "bomb.yaml:"),
    ];
    for (yaml, expect) in cases {
        let d = tmp();
        std::fs::write(d.path().join("bomb.yaml"), yaml).unwrap();
        let out = bin().args(["rules", "check"]).arg(d.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{yaml}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expect), "expected {expect:?} in {err}");
    }
}

#[test]
fn rules_test_runs_every_example_and_fails_on_a_miss() {
    let out = bin().args(["rules", "test"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains(" passed, 0 failed"), "{text}");
    // Break a rule so that its must-fire example no longer fires.
    let d = tmp();
    bin().args(["rules", "init"]).arg(d.path()).assert().success();
    let f = d.path().join("checks/text.yaml");
    let t = std::fs::read_to_string(&f).unwrap().replace(r"\p{Han}\((?:[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6})\)|", "");
    std::fs::write(&f, t).unwrap();
    let out = bin().args(["rules", "test"]).arg(d.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout).unwrap().contains("FAIL text.mojibake"));
}

#[test]
fn hostile_inputs_get_a_clear_message_and_never_stop_the_others() {
    let d = tmp();
    let p = d.path();
    std::fs::write(p.join("empty.txt"), b"").unwrap();
    std::fs::write(p.join("binary.txt"), [0x89u8, b'P', b'N', b'G', 0, 0, 0, 13, 0, 0, 0, 0, 1, 2, 3]).unwrap();
    let mut nul = "某县人民政府2020年政府信息公开工作年度报告\n".as_bytes().to_vec();
    nul.extend_from_slice(b"ab\0cd\n");
    std::fs::write(p.join("nul.txt"), nul).unwrap();
    std::fs::write(p.join("long.txt"), "一".repeat(350_000)).unwrap();
    std::fs::write(p.join("escape.txt"), "某县2020年政府信息公开工作年度报告\n\x1b]0;pwned\x07\x1b[31m红\x1b[0m\n").unwrap();
    let mut mixed = "某县人民政府2020年政府信息公开工作年度报告\n".as_bytes().to_vec();
    mixed.extend_from_slice(&[0xC4, 0xEA, 0xB6, 0xC8, b'\n']);
    std::fs::write(p.join("mixed.txt"), mixed).unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode("某县人民政府2020年政府信息公开工作年度报告\n发布时间：2021-02-01\n");
    std::fs::write(p.join("gbk.txt"), &gbk).unwrap();
    std::fs::copy(root().join("samples/004_c05028ffedb1b406.txt"), p.join("good.txt")).unwrap();

    let out = bin().args(["check", "--fail-on", "never"]).arg(p).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "escape sequences must not reach the terminal");
    assert!(text.contains("empty.txt: error load:"), "{text}");
    assert!(text.contains("binary.txt: error load:"), "{text}");
    assert!(text.contains("good.txt:"), "the good report is still audited");
    assert!(text.contains("8 reports audited (2 could not be read)"), "{text}");
    let (_, j) = check_json(&[&path_str(p)]);
    assert_eq!(report(&j, "gbk.txt")["encoding"].as_str().map(|e| e.to_lowercase().contains("gb")), Some(true));
    assert_eq!(value(report(&j, "gbk.txt"), "published"), &json!("2021-02-01"));
    assert!(fired(report(&j, "mixed.txt"), "load.undecodable") || fired(report(&j, "mixed.txt"), "load.mixed-encoding"));
    assert!(fired(report(&j, "escape.txt"), "load.control-chars"));
}

#[test]
fn a_correction_log_is_applied_before_checking() {
    let d = tmp();
    let log = d.path().join("log.jsonl");
    let (_, j) = check_json(&["samples/004_c05028ffedb1b406.txt"]);
    let id = report(&j, "004_c05028ffedb1b406.txt")["id"].as_str().unwrap().to_string();
    let rec = nianbao::journal::Record::correct(&id, "samples/004_c05028ffedb1b406.txt", "t3.new.total", "5", "6", "原表合计为6", "tester");
    let mut journal = nianbao::journal::Journal::open(&log).unwrap();
    journal.append(rec).unwrap();
    // A torn last line from a crash is reported and skipped.
    use std::io::Write;
    std::fs::OpenOptions::new().append(true).open(&log).unwrap().write_all(b"{\"id\":\"x\",\"ts\":").unwrap();
    let out = bin().current_dir(root()).args(["check", "samples/004_c05028ffedb1b406.txt", "--format", "json", "--fail-on", "never", "--log"]).arg(&log).output().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = report(&j, "004_c05028ffedb1b406.txt");
    assert_eq!(r["fields"]["t3.new.total"]["status"], json!("corrected"));
    assert_eq!(value(r, "t3.new.total"), &json!(6));
    assert!(String::from_utf8(out.stderr).unwrap().contains("torn"));
}

#[test]
fn log_show_and_csv_export() {
    let d = tmp();
    let log = d.path().join("log.jsonl");
    let mut journal = nianbao::journal::Journal::open(&log).unwrap();
    journal.append(nianbao::journal::Record::correct("abc", "a.txt", "year", "2019", "2020", "标题年份", "wang")).unwrap();
    let out = bin().args(["log", "show", "--log"]).arg(&log).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("2019 → 2020"));
    let out = bin().args(["log", "export", "--format", "csv", "--log"]).arg(&log).output().unwrap();
    let csv = out.stdout;
    assert!(csv.starts_with("\u{feff}".as_bytes()), "BOM for Excel / WPS");
    assert!(String::from_utf8(csv).unwrap().contains("标题年份"));
}

#[test]
fn review_without_paths_or_samples_explains_how_to_start() {
    let d = tmp();
    let out = bin().current_dir(d.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("nianbao check PATH"));
}

#[test]
fn export_runs_the_batch_and_writes_every_table() {
    let d = tmp();
    let out = d.path().join("年报.xlsx");
    bin().current_dir(root()).args(["export", "samples", "--log"]).arg(d.path().join("none.jsonl")).arg("-o").arg(&out).assert().success();
    use calamine::Reader;
    let book: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    assert_eq!(book.sheet_names(), ["报告", "问题", "更正记录"]);
    let o = bin().current_dir(root()).args(["export", "samples", "--format", "json", "--log"]).arg(d.path().join("none.jsonl")).output().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["reports"].as_array().unwrap().len(), 6);
    bin().current_dir(root()).args(["export", "samples", "--format", "xlsx", "--log"]).arg(d.path().join("none.jsonl")).assert().failure();
}
