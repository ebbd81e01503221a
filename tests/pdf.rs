//! PDF reports through the binary: the published WPS PDFs, and hostile PDFs in one batch with a
//! good report (each gets a clear message; nothing stops the others).

mod common;

use common::*;
use nianbao::load::pdf_fixture::{self, Page};

#[test]
fn published_wps_pdfs_give_their_identity_and_tables() {
    let Some(shared) = shared() else {
        eprintln!("../shared is not here; published PDF test skipped");
        return;
    };
    let dir = shared.join("corpus").join("wps-pdf");
    let (out, json) = check_json(&[&path_str(&dir)]);
    assert!(out.status.success());
    let city = report(&json, "huaian-city-2024.pdf");
    assert_eq!(city["encoding"], "PDF");
    assert_eq!(value(city, "agency"), "淮安市人民政府");
    assert_eq!(value(city, "year"), 2024);
    assert_eq!(value(city, "template"), "2021");
    for (field, v) in [("t3.new.total", 3119), ("t3.carried.total", 34), ("t3.total.total", 3050), ("t3.carry_next.total", 103)] {
        assert_eq!(value(city, field), v, "{field}");
    }
    for (field, v) in [("t2.normative.issued", 8), ("t2.normative.repealed", 26), ("t2.normative.in_force", 66)] {
        assert_eq!(value(city, field), v, "{field}");
    }
    assert!(!rules_fired(city).iter().any(|(_, s)| s == "error"), "{:?}", rules_fired(city));
    let hongze = report(&json, "huaian-hongze-2023.pdf");
    assert_eq!(value(hongze, "agency"), "洪泽区人民政府");
    assert_eq!(value(hongze, "year"), 2023);
    assert_eq!(value(hongze, "t3.new.total"), 21);
    assert_eq!(value(hongze, "t3.total.total"), 21);
    // Page numbers ("-1-" … "-6-") are not report text: no line of the text is only one.
    assert!(!rules_fired(city).iter().any(|(r, _)| r.starts_with("load.")), "{:?}", rules_fired(city));
}

#[test]
fn hostile_pdfs_get_a_clear_message_and_never_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    put("encrypted.pdf", &pdf_fixture::encrypted());
    let mut garbage = b"%PDF-1.7\n".to_vec();
    garbage.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
    put("garbage.pdf", &garbage);
    put("empty-header.pdf", b"%PDF-");
    let long = pdf_fixture::many_pages(2000);
    put("truncated.pdf", &long[..long.len() / 2]);
    put("pages-2000.pdf", &long);
    let scan = Page { image: true, ..Page::default() };
    put("scan.pdf", &pdf_fixture::pdf(&[scan.clone(), scan]));
    std::fs::write(dir.path().join("good.txt"), "某某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n").unwrap();

    let t = std::time::Instant::now();
    let (out, json) = check_json(&[&path_str(dir.path())]);
    assert!(out.status.success());
    assert_eq!(json["reports"].as_array().unwrap().len(), 7);
    let error = |name: &str| report(&json, name)["error"].as_str().unwrap_or("").to_string();
    assert!(error("encrypted.pdf").contains("encrypted with a password"), "{}", error("encrypted.pdf"));
    assert!(error("garbage.pdf").contains("cannot be read as a PDF"), "{}", error("garbage.pdf"));
    assert!(error("empty-header.pdf").contains("PDF"), "{}", error("empty-header.pdf"));

    let truncated = report(&json, "truncated.pdf");
    assert!(fired(truncated, "load.pdf-incomplete") || error("truncated.pdf").contains("truncated"), "{truncated}");

    let long = report(&json, "pages-2000.pdf");
    assert!(long["error"].is_null(), "{long}");
    assert!(!fired(long, "load.pdf-incomplete"));

    let scan = report(&json, "scan.pdf");
    assert_eq!(rules_fired(scan), [("load.needs-ocr".to_string(), "warning".to_string())], "only the OCR finding: {scan}");
    let message = scan["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("needs OCR"), "{message}");

    assert!(report(&json, "good.txt")["error"].is_null());
    assert!(t.elapsed().as_secs() < 120, "{:?}", t.elapsed());
}

/// The LibreOffice PDFs of the Word fixtures (tests/fixtures/published/make_pdf.sh).
fn fixture(name: &str) -> nianbao::load::Document {
    let path = root().join("tests/fixtures/published").join(name);
    nianbao::load::load_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every row of every table, cell texts with whitespace removed (merged positions repeat).
fn rows(doc: &nianbao::load::Document) -> Vec<Vec<String>> {
    doc.tables
        .iter()
        .flat_map(|t| t.rows.iter())
        .map(|r| r.iter().map(|c| c.text.split_whitespace().collect::<String>()).collect())
        .collect()
}

/// The values of the row whose label cells contain `label`: its cells after the last label.
fn row(doc: &nianbao::load::Document, label: &str) -> Vec<String> {
    let all = rows(doc);
    let r = all.iter().find(|r| r.iter().any(|c| c.contains(label))).unwrap_or_else(|| panic!("no row {label}"));
    let last_label = r.iter().rposition(|c| c.contains(label)).unwrap();
    r[last_label + 1..].to_vec()
}

fn nums(v: &[u32]) -> Vec<String> {
    v.iter().map(u32::to_string).collect()
}

#[test]
fn fixture_pdfs_give_the_same_fields_and_findings_as_their_word_files() {
    let dir = root().join("tests/fixtures/published");
    // (stem, agency, year, template, published): the reports' verified identity.
    let expected: [(&str, &str, u32, &str, Option<&str>); 4] = [
        ("pingtan-2021", "平潭综合实验区", 2021, "2021", Some("2022-02-08")),
        ("pingtan-2019", "平潭综合实验区", 2019, "2019", Some("2020-01-20")),
        ("longtan-2018-legacy", "龙潭区人民政府", 2018, "legacy", Some("2019-03-06")),
        ("wuhua-2016-narrative", "昆明市五华区人民政府办公室", 2016, "none", None),
    ];
    let paths: Vec<String> =
        expected.iter().flat_map(|e| ["docx", "pdf"].map(|x| path_str(&dir.join(format!("{}.{x}", e.0))))).collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let (_, json) = check_json(&args);
    for (stem, agency, year, template, published) in expected {
        let pdf = report(&json, &format!("{stem}.pdf"));
        let word = report(&json, &format!("{stem}.docx"));
        assert_eq!(value(pdf, "agency"), agency, "{stem}");
        assert_eq!(value(pdf, "year"), year, "{stem}");
        assert_eq!(value(pdf, "template"), template, "{stem}");
        match published {
            Some(p) => assert_eq!(value(pdf, "published"), p, "{stem}"),
            None => assert!(value(pdf, "published").is_null(), "{stem}"),
        }
        // Every field the Word file gives, the PDF gives with the same value, exact.
        for (id, f) in word["fields"].as_object().expect("fields") {
            if id == "title" {
                continue; // LibreOffice spaces Chinese from digits (autospacing): "2019 年" in the PDF
            }
            assert_eq!(pdf["fields"][id]["value"], f["value"], "{stem}: {id}");
            assert_eq!(pdf["fields"][id]["status"], "exact", "{stem}: {id}");
        }
        let rules = |r: &serde_json::Value| rules_fired(r).into_iter().map(|(rule, _)| rule).collect::<Vec<_>>();
        assert_eq!(rules(pdf), rules(word), "{stem}: the same findings");
        assert!(!fired(pdf, "extract.ambiguous"), "{stem}");
    }
}

#[test]
fn fixture_pdf_tables_have_the_verified_cells_in_their_grid_positions() {
    let d = fixture("pingtan-2021.pdf");
    assert_eq!(row(&d, "本年新收政府信息公开申请数量"), nums(&[64, 0, 0, 2, 0, 4, 70]));
    assert_eq!(row(&d, "（一）予以公开"), nums(&[27, 0, 0, 2, 0, 1, 30]));
    assert_eq!(row(&d, "本机关不掌握相关政府信息"), nums(&[22, 0, 0, 0, 0, 3, 25]));
    // Its label wrapped over the page break ("…政府信息公开" / "申请"): one row again.
    assert_eq!(row(&d, "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"), nums(&[0; 7]));
    assert_eq!(row(&d, "（七）总计"), nums(&[63, 0, 0, 2, 0, 4, 69]));
    assert_eq!(row(&d, "结转下年度继续办理"), nums(&[1, 0, 0, 0, 0, 0, 1]));
    assert_eq!(row(&d, "行政规范性文件"), nums(&[69, 3, 665]));
    let t4 = rows(&d).into_iter().find(|r| r.len() == 15 && r.iter().all(|c| c.parse::<u32>().is_ok())).expect("table 四's data row");
    assert_eq!(t4, nums(&[1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0]));

    let d = fixture("pingtan-2019.pdf");
    assert_eq!(row(&d, "本年新收政府信息公开申请数量"), nums(&[23, 0, 0, 0, 0, 0, 23]));
    // "（二）部分公开" on one page, "（区分处理的，…）" on the next: one label.
    assert_eq!(row(&d, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"), nums(&[1, 0, 0, 0, 0, 0, 1]));
    assert_eq!(row(&d, "补正后申请内容仍不明确"), nums(&[5, 0, 0, 0, 0, 0, 5]));
    assert_eq!(row(&d, "（七）总计"), nums(&[23, 0, 0, 0, 0, 0, 23]));
    assert_eq!(row(&d, "规范性文件"), nums(&[89, 89, 89]));

    let d = fixture("longtan-2018-legacy.pdf");
    assert_eq!(row(&d, "(一)主动公开政府信息数"), ["条", "2848"]);
    assert_eq!(row(&d, "(二)通过不同渠道和方式回应解读的情况"), ["", ""]);
    assert_eq!(row(&d, "(一)收到申请数"), ["件", "1"]);

    assert!(fixture("wuhua-2016-narrative.pdf").tables.is_empty());
}

#[test]
fn fixture_pdf_cells_point_into_the_text_and_pieces_keep_their_columns() {
    for name in ["pingtan-2021.pdf", "pingtan-2019.pdf", "longtan-2018-legacy.pdf"] {
        let d = fixture(name);
        assert!(d.issues.is_empty(), "{name}: {:?}", d.issues);
        for (i, t) in d.tables.iter().enumerate() {
            for r in &t.rows {
                assert_eq!(r.len(), t.columns(), "{name}: every row has every column");
                for c in r {
                    assert_eq!(&d.text[c.start..c.end], c.text, "{name}: a cell's span shows its text");
                    assert_eq!(c.blank, c.text.is_empty());
                }
            }
            // A piece without header rows continues the table before it, column for column.
            if i > 0 && t.header_rows == 0 {
                assert_eq!(t.columns(), d.tables[i - 1].columns(), "{name}: table {i}");
                assert!(d.tables[i - 1].end < t.start);
            }
        }
    }
}

#[test]
fn fixture_pdfs_hold_the_cells_their_word_files_hold() {
    // Compared once the Word reader gives tables (a .docx that does not load is not compared).
    for stem in ["pingtan-2021", "pingtan-2019", "longtan-2018-legacy"] {
        let docx = root().join(format!("tests/fixtures/published/{stem}.docx"));
        let Ok(word) = nianbao::load::load_file(&docx) else { continue };
        let pdf = rows(&fixture(&format!("{stem}.pdf")));
        for r in rows(&word).into_iter().filter(|r| r.iter().any(|c| c.parse::<f64>().is_ok())) {
            let values: Vec<&String> = r.iter().filter(|c| c.parse::<f64>().is_ok()).collect();
            // The row's own label (the last one before its numbers): a label merged down over
            // a page break is printed on the first page only.
            let label = r.iter().rfind(|c| !c.is_empty() && c.parse::<f64>().is_err());
            let found = pdf.iter().any(|p| {
                p.iter().filter(|c| c.parse::<f64>().is_ok()).collect::<Vec<_>>() == values
                    && label.is_none_or(|l| p.iter().any(|c| c == l))
            });
            assert!(found, "{stem}: the Word row {r:?} is not in the PDF's tables");
        }
    }
}
