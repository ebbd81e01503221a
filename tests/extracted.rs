//! Text someone else extracted (`../shared/corpus/extracted/`): tables in pieces and OCR damage,
//! against what reading them established (`tests/truth/shanghai-kewei-2024.yaml`,
//! `tests/truth/shuyang-county-2025.yaml`). Runs the binary: `check --format json`.

mod common;
use common::*;
use serde_json::Value;

/// The report as the truth file says (`common::truth::judge`), and more strictly: every listed
/// field exact, every listed warning raised.
fn holds(name: &str) -> Value {
    let t = common::truth::load(&root().join("tests").join("truth").join(name));
    let (_, json) = check_json(&[&t.report]);
    let r = json["reports"][0].clone();
    let mut wrong = common::truth::judge(&t, &r).failures;
    for id in t.fields.keys() {
        let f = &r["fields"][id];
        if f["status"].as_str() != Some("exact") {
            wrong.push(format!("{id}: not exact: {f}"));
        }
    }
    for w in &t.warnings {
        if !r["findings"].as_array().into_iter().flatten().any(|f| f["rule"] == w.rule.as_str()) {
            wrong.push(format!("warning {} not raised", w.rule));
        }
    }
    assert!(wrong.is_empty(), "{name}:\n{}", wrong.join("\n"));
    r
}

#[test]
fn kewei_tables_in_pieces_read_as_the_truth_file_says() {
    if shared().is_none() {
        eprintln!("../shared is not here; skipped");
        return;
    }
    let r = holds("shanghai-kewei-2024.yaml");
    // Tables 三 and 四 and the 第二十条第（一）项 rows came from the pipe pieces; the other parts
    // of table 二 are text lines.
    assert_eq!(r["tables"]["t3"]["source"], "text-pipes");
    assert_eq!(r["tables"]["t4"]["source"], "text-pipes");
    assert_eq!(r["tables"]["t2_2021_1"]["source"], "text-pipes");
    assert_eq!(r["tables"]["t2_2021_5"]["source"], "digit-run");
    // No cell of any table is left ambiguous, and the placed rows say how they were placed.
    let fields = r["fields"].as_object().expect("fields");
    let ambiguous: Vec<&String> = fields.iter().filter(|(_, f)| f["status"] == "ambiguous").map(|(k, _)| k).collect();
    assert!(ambiguous.is_empty(), "{ambiguous:?}");
    assert!(fields["t3.partial.total"]["note"].as_str().unwrap_or("").contains("位置"), "{}", fields["t3.partial.total"]);
    assert!(fields["t3.granted.total"]["note"].is_null());
    // The table 三 header's column cells ("业 | 构 | 益组织 | 务机构") are never values.
    assert!(r["findings"].as_array().unwrap().iter().all(|f| f["rule"] != "extract.ambiguous"));
}

#[test]
fn shuyang_ocr_text_reads_as_the_truth_file_says() {
    if shared().is_none() {
        eprintln!("../shared is not here; skipped");
        return;
    }
    let r = holds("shuyang-county-2025.yaml");
    for t in ["t2_2021_1", "t2_2021_5", "t2_2021_6", "t2_2021_8", "t3", "t4"] {
        assert_eq!(r["tables"][t]["source"], "text-pipes", "{t}");
    }
    assert_eq!(r["tables"]["t3"]["line"], 99);
    // The agency keeps what the text had in its note.
    let note = r["fields"]["agency"]["note"].as_str().unwrap_or("");
    assert!(note.contains("沐阳县人民政府"), "{note}");
    // No warning at all: the garbled headers are not read as cells.
    let findings = r["findings"].as_array().unwrap();
    assert!(findings.is_empty(), "{findings:?}");
}

#[test]
fn kewei_is_a_department_due_on_january_31() {
    let Some(shared) = shared() else {
        eprintln!("../shared is not here; skipped");
        return;
    };
    let text = std::fs::read_to_string(shared.join("corpus/extracted/shanghai-kewei-2024.txt")).expect("reads");
    let dir = tempfile::tempdir().expect("temp dir");
    for (date, late) in [("2025-02-10", true), ("2025-01-20", false)] {
        let p = dir.path().join(format!("kewei-{date}.txt"));
        std::fs::write(&p, format!("发布时间：{date}\n{text}")).expect("writes");
        let (_, json) = check_json(&[p.to_str().unwrap()]);
        let r = &json["reports"][0];
        let fired = r["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "meta.late" && f["severity"] == "error");
        assert_eq!(fired, late, "{date}: {}", r["findings"]);
    }
}

/// A 2021-format table 三 in pipe pieces: `rows` between the header and the totals.
fn pieces_report(rows: &str) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = dir.path().join("r.txt");
    let body = format!(
        "某县人民政府2024年政府信息公开工作年度报告\n本年制发件数\n三、收到和处理政府信息公开申请情况\n\
| 一、本年新收政府信息公开申请数量 | 8 | 0 | 0 | 0 | 0 | 0 | 8 |\n\
| 二、上年结转政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n\
{rows}\
| （七）总计 | 8 | 0 | 0 | 0 | 0 | 0 | 8 |\n\
| 四、结转下年度继续办理 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n\
四、政府信息公开行政复议、行政诉讼情况\n"
    );
    std::fs::write(&p, body).expect("writes");
    let (_, json) = check_json(&[p.to_str().unwrap()]);
    json["reports"][0].clone()
}

/// Errors about the table (the fixture has no narrative parts, so structure errors are real).
fn table_errors(r: &Value) -> Vec<Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error" && f["rule"].as_str().is_some_and(|x| x.starts_with("table") || x.starts_with("extract")))
        .cloned()
        .collect()
}

fn candidates(r: &Value, id: &str) -> Vec<Value> {
    let f = &r["fields"][id];
    match f["status"].as_str() {
        Some("ambiguous") => f["candidates"].as_array().cloned().unwrap_or_default(),
        _ => vec![f["value"].clone()],
    }
}

#[test]
fn a_lost_label_is_placed_where_only_one_row_is_free() {
    // One free rule row (（二）部分公开) between 予以公开 and 1.属于国家秘密: certain.
    let r = pieces_report(
        "| （一）予以公开 | 3 | 0 | 0 | 0 | 0 | 0 | 3 |\n\
| 2 | 0 | 0 | 0 | 0 | 0 | 2 |\n\
|---|---|---|---|---|---|---|\n\
| 1.属于国家秘密 | 3 | 0 | 0 | 0 | 0 | 0 | 3 |\n",
    );
    assert_eq!(r["tables"]["t3"]["source"], "text-pipes");
    assert_eq!(r["fields"]["t3.partial.person"]["value"], 2);
    assert_eq!(r["fields"]["t3.partial.person"]["status"], "exact");
    assert_eq!(r["fields"]["t3.denied.1.total"]["value"], 3);
    assert!(table_errors(&r).is_empty(), "{:?}", table_errors(&r));
}

#[test]
fn a_lost_label_with_several_free_rows_stays_ambiguous_with_the_truth_among_the_candidates() {
    // Two label-less rows between 8.属于行政查询事项 and 1.信访举报投诉类申请, three free rows
    // (无法提供 1–3): the text cannot say which row is empty, and no identity can either.
    let r = pieces_report(
        "| （一）予以公开 | 5 | 0 | 0 | 0 | 0 | 0 | 5 |\n\
| 8.属于行政查询事项 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n\
| 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n\
|---|---|---|---|---|---|---|\n\
| 2 | 0 | 0 | 0 | 0 | 0 | 2 |\n\
|---|---|---|---|---|---|---|\n\
| 1.信访举报投诉类申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n",
    );
    let u1 = candidates(&r, "t3.unable.1.total");
    let u2 = candidates(&r, "t3.unable.2.total");
    let u3 = candidates(&r, "t3.unable.3.total");
    assert!(u1.contains(&Value::from(1)) && u1.contains(&Value::Null), "{u1:?}");
    assert!(u2.contains(&Value::from(1)) && u2.contains(&Value::from(2)), "{u2:?}");
    assert!(u3.contains(&Value::from(2)) && u3.contains(&Value::Null), "{u3:?}");
    // The rows that kept their labels are exact.
    assert_eq!(r["fields"]["t3.granted.total"]["status"], "exact");
    assert_eq!(r["fields"]["t3.rejected.1.total"]["value"], 0);
    assert!(table_errors(&r).is_empty(), "{:?}", table_errors(&r));
}

#[test]
fn column_numbers_and_label_headers_are_not_cells() {
    let r = pieces_report(
        "| 类别 | 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 总计 |\n\
|---|---|---|---|---|---|---|---|\n\
| 1 | 2 | 3 | 4 | 5 | 6 | 7 |\n\
| （一）予以公开 | 8 | 0 | 0 | 0 | 0 | 0 | 8 |\n",
    );
    assert_eq!(r["fields"]["t3.granted.person"]["value"], 8);
    assert_eq!(r["fields"]["t3.granted.total"]["value"], 8);
    assert_eq!(r["fields"]["t3.new.person"]["value"], 8);
    assert!(table_errors(&r).is_empty(), "{:?}", table_errors(&r));
}
