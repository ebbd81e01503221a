use super::*;
use crate::load::pdf_fixture::{self, Page};

fn read_ok(bytes: &[u8]) -> Extracted {
    match read_pdf(bytes) {
        Ok(e) => e,
        Err(e) => panic!("expected the PDF to read: {e}"),
    }
}

fn message(bytes: &[u8]) -> String {
    match read_pdf(bytes) {
        Ok(e) => panic!("expected an error, got text {:?}", e.text),
        Err(e) => e.to_string(),
    }
}

/// A report-like page: a title, an indented paragraph wrapped over two lines, a page number.
fn prose_page(n: usize) -> Page {
    let mut p = Page::default();
    p.text(200.0, 780.0, 10.0, "某某县人民政府办公室"); // running header
    p.text(90.0, 740.0, 12.0, &format!("第{n}页的标题"));
    // 12pt glyphs from x=114 (two-em indent) to the right margin at 498, then a flush line.
    p.text(114.0, 700.0, 12.0, "本报告由某某县人民政府办公室根据条例编制，报告所列数据统计期限自");
    p.text(90.0, 680.0, 12.0, "本年一月一日起至十二月三十一日止，共受理申请 21 件。");
    p.text(290.0, 40.0, 10.0, &format!("- {n} -"));
    p
}

#[test]
fn paragraphs_are_rebuilt_and_page_furniture_dropped() {
    let pages: Vec<Page> = (1..=3).map(prose_page).collect();
    let ex = read_ok(&pdf_fixture::pdf(&pages));
    let lines: Vec<&str> = ex.text.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "第1页的标题",
            "本报告由某某县人民政府办公室根据条例编制，报告所列数据统计期限自本年一月一日起至十二月三十一日止，共受理申请 21 件。"
        ]
    );
    assert!(!ex.text.contains("- 2 -"), "page numbers are not report text: {}", ex.text);
    assert!(!ex.text.contains("某某县人民政府办公室\n"), "the running header is not report text: {}", ex.text);
    assert_eq!(lines.len(), 6);
    assert!(ex.tables.is_empty());
    assert!(ex.issues.is_empty(), "{:?}", ex.issues);
}

/// Table 二's first block: a merged title row over four columns, a header row, two data rows.
fn table_page() -> Page {
    let mut p = Page::default();
    p.text(90.0, 760.0, 12.0, "二、主动公开政府信息情况");
    let cols = [80.0, 200.0, 300.0, 400.0, 500.0];
    let rows = [740.0, 720.0, 700.0, 680.0, 660.0];
    // The title row has no inner vertical rules: one cell over four columns.
    p.grid(&cols, &rows, &[(1, 0), (2, 0), (3, 0)]);
    p.text(240.0, 726.0, 10.0, "第二十条第（一）项");
    for (x, t) in [(85.0, "信息内容"), (205.0, "本年制发件数"), (305.0, "本年废止件数"), (405.0, "现行有效件数")] {
        p.text(x, 706.0, 10.0, t);
    }
    for (x, t) in [(85.0, "规章"), (250.0, "1"), (350.0, "0"), (450.0, "11")] {
        p.text(x, 686.0, 10.0, t);
    }
    // 行政规范性文件: the 本年废止件数 cell is blank.
    for (x, t) in [(85.0, "行政规范性文件"), (250.0, "8"), (450.0, "66")] {
        p.text(x, 666.0, 10.0, t);
    }
    p.text(90.0, 620.0, 12.0, "三、收到和处理政府信息公开申请情况");
    p
}

#[test]
fn ruled_tables_become_cell_grids_with_spans_into_the_text() {
    let ex = read_ok(&pdf_fixture::pdf(&[table_page()]));
    assert_eq!(ex.tables.len(), 1);
    let t = &ex.tables[0];
    assert_eq!(t.origin, TableOrigin::Pdf);
    assert_eq!((t.rows.len(), t.columns()), (4, 4));
    assert_eq!(t.header_rows, 2);
    let texts: Vec<Vec<&str>> = t.rows.iter().map(|r| r.iter().map(|c| c.text.as_str()).collect()).collect();
    assert_eq!(texts[0], ["第二十条第（一）项"; 4]);
    assert_eq!(texts[1], ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]);
    assert_eq!(texts[2], ["规章", "1", "0", "11"]);
    assert_eq!(texts[3], ["行政规范性文件", "8", "", "66"]);
    assert!(!t.rows[0][0].merged && t.rows[0][1].merged && t.rows[0][3].merged);
    assert!(t.rows[3][2].blank && !t.rows[3][1].blank);
    for row in &t.rows {
        for c in row {
            assert_eq!(&ex.text[c.start..c.end], c.text, "a cell's span shows its text");
        }
    }
    assert!(ex.text[t.start..t.end].starts_with("第二十条第（一）项"));
    // Reading order: the heading, the table, then the text below it.
    let heading = ex.text.find("二、主动公开").unwrap();
    let next = ex.text.find("三、收到").unwrap();
    assert!(heading < t.start && t.end < next);
}

#[test]
fn a_table_split_over_two_pages_comes_out_in_order_with_the_same_columns() {
    let cols = [80.0, 300.0, 400.0, 500.0];
    let mut p1 = Page::default();
    p1.grid(&cols, &[200.0, 180.0, 160.0, 60.0], &[]);
    for (x, t) in [(85.0, "项目"), (305.0, "自然人"), (405.0, "总计")] {
        p1.text(x, 186.0, 10.0, t);
    }
    for (x, t) in [(85.0, "一、本年新收"), (350.0, "3001"), (450.0, "3119")] {
        p1.text(x, 166.0, 10.0, t);
    }
    p1.text(85.0, 120.0, 10.0, "（四）无");
    p1.text(290.0, 30.0, 10.0, "- 1 -");
    let mut p2 = Page::default();
    p2.grid(&cols, &[780.0, 760.0, 740.0], &[]);
    for (x, t) in [(85.0, "法提供"), (350.0, "11"), (450.0, "11")] {
        p2.text(x, 766.0, 10.0, t);
    }
    for (x, t) in [(85.0, "四、结转下年度继续办理"), (350.0, "103"), (450.0, "103")] {
        p2.text(x, 746.0, 10.0, t);
    }
    p2.text(290.0, 30.0, 10.0, "- 2 -");
    let ex = read_ok(&pdf_fixture::pdf(&[p1, p2]));
    assert_eq!(ex.tables.len(), 2);
    assert_eq!(ex.tables[0].columns(), ex.tables[1].columns());
    assert_eq!(ex.tables[1].header_rows, 0, "the continuation has no header of its own");
    assert!(ex.tables[0].end < ex.tables[1].start);
    assert_eq!(ex.tables[1].rows[1][0].text, "四、结转下年度继续办理");
    assert_eq!(ex.tables[1].rows[1][1].text, "103");
}

#[test]
fn a_scan_needs_ocr() {
    let page = Page { image: true, ..Page::default() };
    let ex = read_ok(&pdf_fixture::pdf(&[page.clone(), page]));
    assert!(ex.text.trim().is_empty());
    assert_eq!(ex.issues.len(), 1);
    assert_eq!(ex.issues[0].kind, LoadIssueKind::NeedsOcr);
    assert!(ex.issues[0].message.contains("needs OCR"), "{}", ex.issues[0].message);
}

#[test]
fn some_scanned_pages_are_named() {
    let scan = Page { image: true, ..Page::default() };
    let ex = read_ok(&pdf_fixture::pdf(&[prose_page(1), scan]));
    assert!(ex.text.contains("第1页的标题"));
    assert_eq!(ex.issues.len(), 1);
    assert!(ex.issues[0].message.contains("page(s) 2 "), "{}", ex.issues[0].message);
}

#[test]
fn hostile_files_get_clear_messages() {
    let m = message(&pdf_fixture::encrypted());
    assert!(m.contains("encrypted with a password"), "{m}");

    let mut garbage = b"%PDF-1.7\n".to_vec();
    garbage.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let m = message(&garbage);
    assert!(m.contains("PDF"), "{m}");

    let m = message(b"%PDF-");
    assert!(m.contains("damaged or truncated") || m.contains("no pages"), "{m}");

    let m = message(b"just some text named .pdf");
    assert!(m.contains("not a PDF"), "{m}");
}

#[test]
fn a_truncated_pdf_is_read_as_far_as_it_goes_or_refused() {
    let pages: Vec<Page> = (1..=4).map(prose_page).collect();
    let full = pdf_fixture::pdf(&pages);
    for cut in [full.len() / 3, full.len() * 2 / 3, full.len() - 30] {
        match read_pdf(&full[..cut]) {
            Ok(ex) => {
                assert!(!ex.text.trim().is_empty());
                assert!(ex.issues.iter().any(|i| i.kind == LoadIssueKind::PdfIncomplete), "{:?}", ex.issues);
            }
            Err(e) => assert!(e.to_string().contains("PDF"), "{e}"),
        }
    }
}

#[test]
fn two_thousand_pages_in_bounded_time() {
    let bytes = pdf_fixture::many_pages(2000);
    let t = std::time::Instant::now();
    let ex = read_ok(&bytes);
    assert!(ex.text.contains("第2000部分"), "every page is read");
    assert!(!ex.text.contains("- 1999 -"));
    // Generous for a debug build on a shared machine; a release build takes a fraction.
    assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
}

#[test]
fn a_table_without_rules_takes_its_columns_from_the_header() {
    let mut p = Page::default();
    p.text(90.0, 760.0, 12.0, "二、主动公开政府信息情况");
    for (x, t) in [(90.0, "信息内容"), (220.0, "本年制发件数"), (330.0, "本年废止件数"), (440.0, "现行有效件数")] {
        p.text(x, 730.0, 10.0, t);
    }
    // Numbers sit under their headers, not at their left edge; a blank cell has nothing.
    for (x, t) in [(90.0, "规章"), (250.0, "1"), (360.0, "0"), (465.0, "11")] {
        p.text(x, 712.0, 10.0, t);
    }
    for (x, t) in [(90.0, "行政规范性文件"), (250.0, "8"), (465.0, "66")] {
        p.text(x, 694.0, 10.0, t);
    }
    p.text(90.0, 650.0, 12.0, "三、收到和处理政府信息公开申请情况");
    let ex = read_ok(&pdf_fixture::pdf(&[p]));
    assert_eq!(ex.tables.len(), 1, "{}", ex.text);
    let t = &ex.tables[0];
    assert_eq!(t.header_rows, 1);
    let texts: Vec<Vec<&str>> = t.rows.iter().map(|r| r.iter().map(|c| c.text.as_str()).collect()).collect();
    assert_eq!(texts, [
        vec!["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        vec!["规章", "1", "0", "11"],
        vec!["行政规范性文件", "8", "", "66"],
    ]);
    for c in t.rows.iter().flatten() {
        assert_eq!(&ex.text[c.start..c.end], c.text);
    }
    assert!(ex.text.starts_with("二、主动公开政府信息情况\n信息内容"), "{}", ex.text);
    assert!(ex.text.ends_with("三、收到和处理政府信息公开申请情况\n"), "{}", ex.text);
}

#[test]
fn prose_with_wide_gaps_is_not_a_table() {
    // Runs set apart like columns, but a single line with numbers under them is no table.
    let mut p = Page::default();
    for (x, t) in [(90.0, "联系人"), (200.0, "张三"), (300.0, "电话")] {
        p.text(x, 760.0, 12.0, t);
    }
    for (x, t) in [(90.0, "邮编"), (200.0, "350400"), (300.0, "0591-23165370")] {
        p.text(x, 740.0, 12.0, t);
    }
    p.text(90.0, 700.0, 12.0, "以上为联系方式。");
    let ex = read_ok(&pdf_fixture::pdf(&[p]));
    assert!(ex.tables.is_empty());
}

#[test]
fn a_compression_bomb_is_refused_without_inflating_it_all() {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..80 {
        z.write_all(&chunk).unwrap();
    }
    let bomb = z.finish().unwrap();
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let m = message(&pdf_fixture::raw_content(&bomb, "/Filter /FlateDecode"));
    assert!(m.contains("compression bomb"), "{m}");
}

#[test]
fn a_page_of_thousands_of_rules_is_a_drawing_not_a_table() {
    let mut p = Page::default();
    for i in 0..2500 {
        let k = f64::from(i) * 0.3;
        p.line(10.0, 10.0 + k, 580.0, 10.0 + k);
        p.line(10.0 + k * 0.2, 10.0, 10.0 + k * 0.2, 800.0);
    }
    p.text(90.0, 700.0, 12.0, "图示");
    let t = std::time::Instant::now();
    let ex = read_ok(&pdf_fixture::pdf(&[p]));
    assert!(ex.tables.is_empty());
    assert!(ex.text.contains("图示"));
    assert!(t.elapsed().as_secs() < 30, "{:?}", t.elapsed());
}
