use std::io::Write;

use super::*;

/// A .docx holding `document` as word/document.xml (deflated), plus `extra` entries.
fn docx(document: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("[Content_Types].xml", opts).unwrap();
        z.write_all(b"<Types/>").unwrap();
        z.start_file("word/document.xml", opts).unwrap();
        z.write_all(document.as_bytes()).unwrap();
        for (name, data) in extra {
            z.start_file(*name, opts).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006""#;

fn body(inner: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><w:document {NS}><w:body>{inner}</w:body></w:document>"#)
}

fn p(text: &str) -> String {
    format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
}

fn tc(text: &str, props: &str) -> String {
    format!("<w:tc><w:tcPr>{props}</w:tcPr>{}</w:tc>", p(text))
}

fn shown(t: &SourceTable) -> Vec<Vec<String>> {
    t.rows
        .iter()
        .map(|r| r.iter().map(|c| if c.blank { "_".into() } else if c.merged { format!("<{}>", c.text) } else { c.text.clone() }).collect())
        .collect()
}

#[test]
fn paragraphs_tables_merges_and_text_boxes() {
    let xml = body(&format!(
        "{}{}<w:p><w:r><w:tab/><w:t>正文&amp;“引号”</w:t><w:br/><w:t>第二行</w:t></w:r><w:r><w:delText>删除的</w:delText></w:r></w:p>\
         <w:p><w:r><mc:AlternateContent><mc:Choice><w:drawing><w:txbxContent>{}</w:txbxContent></w:drawing></mc:Choice>\
         <mc:Fallback><w:pict><w:txbxContent>{}</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>\
         <w:tbl><w:tr><w:trPr><w:tblHeader/></w:trPr>{}{}</w:tr><w:tr>{}{}{}</w:tr><w:tr>{}{}{}</w:tr></w:tbl>{}",
        p("平潭综合实验区2021年度政府信息公开工作年度报告"),
        "<w:p><w:pPr><w:pStyle w:val=\"Heading1\"/><w:tabs><w:tab w:val=\"left\" w:pos=\"420\"/></w:tabs></w:pPr><w:r><w:t>一、总体情况</w:t></w:r></w:p>",
        p("（2022年2月8日）"),
        p("（2022年2月8日）"),
        tc("项目", "<w:vMerge w:val=\"restart\"/>"),
        tc("申请人情况", "<w:gridSpan w:val=\"2\"/>"),
        tc("", "<w:vMerge/>"),
        tc("自然人", ""),
        tc("总计", ""),
        tc("一、本年新收", ""),
        tc("5", ""),
        tc("\u{3000}", ""),
        p("五、存在的主要问题"),
    ));
    let e = parse_document(&xml).unwrap();
    assert!(e.text.starts_with("平潭综合实验区2021年度政府信息公开工作年度报告\n一、总体情况\n\t正文&“引号”\n第二行\n"), "{}", e.text);
    assert!(!e.text.contains("删除的"));
    assert_eq!(e.text.matches("（2022年2月8日）").count(), 1, "the fallback repeats the text box: read once");
    assert_eq!(e.tables.len(), 1);
    let t = &e.tables[0];
    assert_eq!(shown(t), [["项目", "申请人情况", "<申请人情况>"], ["<项目>", "自然人", "总计"], ["一、本年新收", "5", "_"]]);
    assert_eq!(t.header_rows, 1, "w:tblHeader marks the header row");
    for c in t.rows.iter().flatten() {
        assert_eq!(&e.text[c.start..c.end], if c.blank { "" } else { c.text.as_str() }, "spans point into the text");
    }
    assert!(e.text.ends_with("五、存在的主要问题\n"));
}

#[test]
fn the_real_template_is_read_with_its_three_tables() {
    let Ok(bytes) = std::fs::read("../shared/corpus/docx/2021-format-template.docx") else {
        eprintln!("../shared is not here; template test skipped");
        return;
    };
    let e = read_docx(&bytes).unwrap();
    let dims: Vec<(usize, usize)> = e.tables.iter().map(|t| (t.rows.len(), t.columns())).collect();
    assert_eq!(dims, [(14, 4), (28, 10), (4, 15)], "MANIFEST: tables 二 (14 × 4), 三 (28 × 10), 四 (4 × 15)");
    let t3 = &e.tables[1];
    assert_eq!(t3.rows[3][0].text, "一、本年新收政府信息公开申请数量");
    assert!(t3.rows[3][1].merged && t3.rows[3][2].merged, "gridSpan 3");
    assert!(t3.rows[6][0].merged && t3.rows[6][0].text == "三、本年度办理结果", "vMerge continues the label down");
    assert!(t3.rows[3][3..].iter().all(|c| c.blank), "U+3000-only and empty cells are blank");
    assert!(e.text.contains("六、其他需要报告的事项"));
}

#[test]
fn hostile_archives_are_refused_with_a_message() {
    // Not a zip at all.
    let err = read_docx(b"just text pretending to be a docx").unwrap_err().to_string();
    assert!(err.contains("not a zip archive"), "{err}");
    // A zip that is not a Word document.
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        z.start_file("xl/workbook.xml", zip::write::SimpleFileOptions::default()).unwrap();
        z.write_all(b"<workbook/>").unwrap();
        z.finish().unwrap();
    }
    let err = read_docx(buf.get_ref()).unwrap_err().to_string();
    assert!(err.contains("no word/document.xml"), "{err}");
    // A truncated archive.
    let good = docx(&body(&p("正文")), &[]);
    let err = read_docx(&good[..good.len() / 2]).unwrap_err().to_string();
    assert!(err.contains("damaged"), "{err}");
    // Inflating past the cap: a document part of zeros (1 MiB) against a 64 KiB cap.
    let bomb = docx(&"0".repeat(1 << 20), &[]);
    let err = read_docx_within(&bomb, 64 * 1024, MAX_TOTAL_BYTES).unwrap_err().to_string();
    assert!(err.contains("zip bomb"), "{err}");
    // Declared sizes over the total cap are refused before anything is inflated.
    let big = docx(&body(&p("正文")), &[("word/media/image1.png", &vec![0u8; 1 << 20])]);
    let err = read_docx_within(&big, MAX_PART_BYTES, 512 * 1024).unwrap_err().to_string();
    assert!(err.contains("zip bomb"), "{err}");
    // A document part that is not UTF-8.
    let mut z = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut z);
        w.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(b"<w:document>\xff\xfe</w:document>").unwrap();
        w.finish().unwrap();
    }
    let err = read_docx(z.get_ref()).unwrap_err().to_string();
    assert!(err.contains("not UTF-8"), "{err}");
}

#[test]
fn deeply_nested_tables_cost_a_bounded_stack() {
    let depth = 20_000;
    let xml = body(&format!("{}{}{}", "<w:tbl><w:tr><w:tc>".repeat(depth), p("最里面"), "</w:tc></w:tr></w:tbl>".repeat(depth)));
    let e = read_docx(&docx(&xml, &[])).unwrap();
    assert!(e.text.contains("最里面"));
    assert!(e.tables.len() <= 1);
}

#[test]
fn legacy_word_without_libreoffice_says_how_to_install_it() {
    if find_on_path(&["soffice", "libreoffice"]).is_some() {
        eprintln!("LibreOffice is installed: the missing-converter message is not shown here");
        return;
    }
    let err = read_legacy_word(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 old word", "doc").unwrap_err().to_string();
    assert!(err.contains("apt-get install libreoffice-writer"), "{err}");
    assert!(err.contains("soffice"), "{err}");
    let err = read_legacy_word(b"\xD0\xCF\x11\xE0", "wps").unwrap_err().to_string();
    assert!(err.contains("WPS"), "{err}");
}
