//! State tests (stepping the App with actions against the FakeBackend) and screen tests
//! (drawing on TestBackend and reading back what a reviewer sees).

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::model::{Status, Value, Verdict};
use crate::pipeline::ReportAudit;

use super::action::Action;
use super::app::{App, Pane, PromptKind, Screen, SeverityFilter, SortKey, TemplateFilter};
use super::overview::Overview;
use super::backend::Entry;
use super::keymap::KeyMap;
use super::render;
use super::testing::{CallLog, FakeBackend, sample_report};
use super::text::width;

fn three() -> Vec<ReportAudit> {
    let mut a = sample_report("b-pingtan.txt", "平潭综合实验区管理委员会", "2023", "2021");
    let b = sample_report("a-fuqing.txt", "福清市人民政府", "2022", "2019");
    let mut c = sample_report("c-ok.txt", "Xiamen Port Authority", "2021", "legacy");
    // c has no open findings at all.
    c.findings.clear();
    // a has one extra info finding.
    a.findings.push(crate::model::Finding {
        rule: "meta.fee".to_string(),
        severity: crate::model::Severity::Info,
        message: "未说明收费情况".to_string(),
        span: None,
        fields: vec![],
        key: "meta.fee".to_string(),
        decision: None,
    });
    vec![a, b, c]
}

fn app_with(fb: FakeBackend) -> (App, CallLog) {
    let calls = fb.calls.clone();
    (App::new(Box::new(fb), KeyMap::defaults()), calls)
}

fn app() -> (App, CallLog) {
    app_with(FakeBackend::new(three()))
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// The screen as lines of text; the hidden cell behind a wide glyph is skipped.
fn lines(buf: &Buffer) -> Vec<String> {
    let a = buf.area;
    (a.top()..a.bottom())
        .map(|y| {
            let mut s = String::new();
            let mut skip = 0;
            for x in a.left()..a.right() {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                s.push_str(sym);
                skip = width(sym).saturating_sub(1);
            }
            s.trim_end().to_string()
        })
        .collect()
}

fn draw(app: &App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    term.draw(|f| render::draw(f, app)).expect("draw");
    term.backend().buffer().clone()
}

fn screen(app: &App, w: u16, h: u16) -> Vec<String> {
    lines(&draw(app, w, h))
}

fn entry_path(app: &App, e: usize) -> String {
    app.backend().entries()[e].path().display().to_string()
}


/// Selects the field `id` in the open report.
fn select_field(app: &mut App, id: &str) {
    app.step(&Action::Top);
    for _ in 0..50 {
        if app.report.as_ref().and_then(|r| r.field()).is_some_and(|f| f.id == id) {
            return;
        }
        app.step(&Action::NextField);
    }
    panic!("no field {id}");
}

fn current(app: &App) -> (String, usize) {
    let r = app.report.as_ref().expect("a report is open");
    (entry_path(app, r.entry), r.finding_sel)
}

// ------------------------------------------------------------------ state

#[test]
fn list_navigation_open_and_back() {
    let (mut app, _) = app();
    let paths: Vec<String> = app.view().iter().map(|&e| entry_path(&app, e)).collect();
    assert_eq!(paths, ["reports/a-fuqing.txt", "reports/b-pingtan.txt", "reports/c-ok.txt"]);
    for _ in 0..5 {
        app.handle_key(key('j'));
    }
    assert_eq!(app.list.sel, 2, "clamped at the last row");
    app.handle_key(code(KeyCode::Up));
    assert_eq!(app.list.sel, 1);
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Report);
    assert_eq!(current(&app).0, "reports/b-pingtan.txt");
    app.handle_key(key('q'));
    assert_eq!(app.screen, Screen::List);
    assert_eq!(app.list.sel, 1, "back on the report's row");
    assert!(!app.quit);
    app.handle_key(key('q'));
    assert!(app.quit);
}

#[test]
fn focus_cycles_and_bracket_keys_step_fields_and_findings() {
    let (mut app, _) = app();
    app.step(&Action::Open);
    let focus = |a: &App| a.report.as_ref().map(|r| r.focus);
    assert_eq!(focus(&app), Some(Pane::Fields));
    app.handle_key(code(KeyCode::Tab));
    assert_eq!(focus(&app), Some(Pane::Findings));
    app.handle_key(code(KeyCode::Tab));
    assert_eq!(focus(&app), Some(Pane::Source));
    app.handle_key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
    assert_eq!(focus(&app), Some(Pane::Findings));
    app.handle_key(key(']'));
    app.handle_key(key(']'));
    let r = app.report.as_ref().unwrap();
    assert_eq!(r.fields[r.field_sel], "year", "identity fields come first, in order");
    app.handle_key(key('}'));
    assert_eq!(app.report.as_ref().unwrap().finding().unwrap().rule, "meta.late");
    // The field pane follows the finding to the field it is about.
    assert_eq!(app.report.as_ref().unwrap().field().unwrap().id, "published");
    app.handle_key(key('{'));
    app.handle_key(key('{'));
    assert_eq!(app.report.as_ref().unwrap().finding_sel, 0);
}

#[test]
fn next_open_walks_all_reports_and_wraps() {
    let (mut app, _) = app();
    let mut seen = Vec::new();
    for _ in 0..6 {
        app.handle_key(key('n'));
        assert_eq!(app.screen, Screen::Report);
        let (p, f) = current(&app);
        seen.push(format!("{p}#{f}"));
        assert_eq!(app.report.as_ref().unwrap().focus, Pane::Findings);
    }
    assert_eq!(
        seen,
        [
            "reports/a-fuqing.txt#0",
            "reports/a-fuqing.txt#1",
            "reports/b-pingtan.txt#0",
            "reports/b-pingtan.txt#1",
            "reports/b-pingtan.txt#2",
            // c-ok has no findings; wrap to the first report.
            "reports/a-fuqing.txt#0",
        ]
    );
    app.handle_key(key('N'));
    assert_eq!(current(&app), ("reports/b-pingtan.txt".to_string(), 2), "N wraps backwards");
    app.handle_key(key('N'));
    assert_eq!(current(&app), ("reports/b-pingtan.txt".to_string(), 1));
}

#[test]
fn next_open_skips_decided_findings_and_says_when_done() {
    let (mut app, calls) = app();
    // Clear every open finding from the keyboard alone: n, c, Enter.
    for _ in 0..5 {
        app.handle_key(key('n'));
        app.handle_key(key('c'));
        app.handle_key(code(KeyCode::Enter));
    }
    assert_eq!(calls.borrow().iter().filter(|c| c.starts_with("decide")).count(), 5);
    let open: usize = app.backend().entries().iter().filter_map(Entry::audit).map(|a| a.open_findings().count()).sum();
    assert_eq!(open, 0);
    app.handle_key(key('n'));
    assert_eq!(app.status.as_ref().unwrap().text, "没有未处理的问题");
    assert!(app.backend().entries().iter().filter_map(Entry::audit).all(|a| a.findings.is_empty()
        || a.review_state() == crate::pipeline::ReviewState::Done));
}

#[test]
fn edit_flow_validates_requires_reason_and_saves() {
    let (mut app, calls) = app();
    app.step(&Action::Open);
    select_field(&mut app, "t3.carried.total");
    app.handle_key(key('e'));
    let p = app.prompt.as_ref().expect("edit prompt open");
    assert_eq!(p.text(), "1", "pre-filled with the current value");
    assert!(p.error.is_none());
    app.clear_prompt();
    app.handle_key(key('x'));
    assert_eq!(app.prompt.as_ref().unwrap().error.as_deref(), Some("应为整数（留空表示空白单元格）"));
    // Enter on an invalid value stays on the value.
    app.handle_key(code(KeyCode::Enter));
    assert!(matches!(app.prompt.as_ref().unwrap().kind, PromptKind::Edit { value: None, .. }));
    app.handle_key(code(KeyCode::Backspace));
    app.type_text("2");
    assert!(app.prompt.as_ref().unwrap().error.is_none());
    app.handle_key(code(KeyCode::Enter));
    assert!(matches!(&app.prompt.as_ref().unwrap().kind, PromptKind::Edit { value: Some(v), .. } if v == "2"));
    // The reason is required.
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.prompt.as_ref().unwrap().error.as_deref(), Some("理由不能为空"));
    assert!(calls.borrow().is_empty());
    app.type_text("表格串行，按原件更正");
    app.handle_key(code(KeyCode::Enter));
    assert!(app.prompt.is_none());
    assert_eq!(calls.borrow().as_slice(), ["correct 1 t3.carried.total 2 表格串行，按原件更正"]);
    let st = app.status.clone().unwrap();
    assert!(!st.error);
    assert_eq!(st.text, "已保存：t3.carried.total 1 → 2（写入 corrections.jsonl）");
    // The re-audited report is on screen, with the same field still selected.
    let f = app.report.as_ref().unwrap().field().unwrap().clone();
    assert_eq!((f.id.as_str(), f.status, f.value), ("t3.carried.total", Status::Corrected, Some(Value::Int(2))));
}

#[test]
fn esc_cancels_an_edit_at_any_point() {
    let (mut app, calls) = app();
    app.step(&Action::Open);
    select_field(&mut app, "year");
    app.handle_key(key('e'));
    app.type_text("9");
    app.handle_key(code(KeyCode::Esc));
    assert!(app.prompt.is_none());
    assert_eq!(app.screen, Screen::Report, "Esc closed only the prompt");
    app.handle_key(key('e'));
    app.handle_key(code(KeyCode::Enter));
    app.type_text("理由");
    app.handle_key(code(KeyCode::Esc));
    assert!(app.prompt.is_none());
    assert!(calls.borrow().is_empty());
    assert_eq!(app.status.as_ref().unwrap().text, "已取消");
    assert_eq!(app.report.as_ref().unwrap().field().unwrap().status, Status::Exact);
}

#[test]
fn digits_settle_an_ambiguous_field() {
    let (mut app, calls) = app();
    app.step(&Action::Open);
    select_field(&mut app, "title");
    app.handle_key(key('1'));
    assert!(app.status.as_ref().unwrap().error, "an exact field cannot be settled");
    select_field(&mut app, "t3.new.total");
    app.handle_key(key('4'));
    assert_eq!(app.status.as_ref().unwrap().text, "t3.new.total 只有 3 个候选值");
    assert!(calls.borrow().is_empty());
    app.handle_key(key('3'));
    assert_eq!(calls.borrow().as_slice(), ["settle 1 t3.new.total 2"]);
    let f = app.report.as_ref().unwrap().field().unwrap().clone();
    assert_eq!((f.status, f.value), (Status::Corrected, None), "candidate 3 is the blank cell");
}

#[test]
fn confirm_dismiss_with_note_and_undo() {
    let (mut app, calls) = app();
    app.handle_key(key('n'));
    app.handle_key(key('c'));
    assert!(matches!(app.prompt.as_ref().unwrap().kind, PromptKind::Note { verdict: Verdict::Confirmed, .. }));
    app.handle_key(code(KeyCode::Enter));
    let decision = |a: &App| a.report.as_ref().unwrap().finding().unwrap().decision.clone();
    assert_eq!(decision(&app).unwrap().verdict, Verdict::Confirmed);
    app.handle_key(key('}'));
    app.handle_key(key('d'));
    app.type_text("发布日期在期限内");
    app.handle_key(code(KeyCode::Enter));
    let d = decision(&app).unwrap();
    assert_eq!((d.verdict, d.note.as_str()), (Verdict::Dismissed, "发布日期在期限内"));
    assert_eq!(
        calls.borrow().as_slice(),
        ["decide 1 table3.balance#total confirmed ", "decide 1 meta.late dismissed 发布日期在期限内"]
    );
    app.handle_key(key('u'));
    assert!(decision(&app).is_none(), "undo reverted the dismissal");
    assert_eq!(app.status.as_ref().unwrap().text, "已撤销上一操作（追加撤销记录）");
    app.handle_key(key('u'));
    app.handle_key(key('u'));
    assert!(app.status.as_ref().unwrap().error, "nothing left to undo");
}

#[test]
fn severity_template_search_and_rule_filters() {
    let (mut app, _) = app();
    let names = |a: &App| -> Vec<String> {
        a.view().iter().map(|&e| entry_path(a, e).trim_start_matches("reports/").to_string()).collect()
    };
    app.handle_key(key('f'));
    assert_eq!(app.severity, SeverityFilter::Errors);
    assert_eq!(names(&app), ["a-fuqing.txt", "b-pingtan.txt"]);
    app.handle_key(key('f'));
    app.handle_key(key('f'));
    app.handle_key(key('f'));
    assert_eq!(app.severity, SeverityFilter::All);
    assert_eq!(names(&app).len(), 3);

    app.handle_key(key('t'));
    assert_eq!((app.template, names(&app)), (TemplateFilter::T2021, vec!["b-pingtan.txt".to_string()]));
    app.handle_key(key('t'));
    assert_eq!(names(&app), ["a-fuqing.txt"]);
    app.handle_key(key('t'));
    assert_eq!(names(&app), ["c-ok.txt"]);
    app.handle_key(key('t'));
    assert!(names(&app).is_empty(), "every sample has a template");
    app.handle_key(key('t'));
    assert_eq!(app.template, TemplateFilter::All);

    // Search narrows while typing, over agency, path and finding messages.
    app.handle_key(key('/'));
    app.type_text("福清");
    assert_eq!(names(&app), ["a-fuqing.txt"]);
    app.clear_prompt();
    app.type_text("XIAMEN port");
    assert_eq!(names(&app), ["c-ok.txt"], "ASCII search ignores case");
    app.clear_prompt();
    app.type_text("收费");
    assert_eq!(names(&app), ["b-pingtan.txt"]);
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.search, "收费");
    app.handle_key(code(KeyCode::Esc));
    assert_eq!(app.search, "", "Esc on the list clears the search");
    assert_eq!(names(&app).len(), 3);

    app.handle_key(key('F'));
    app.type_text("table3");
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.rule.as_deref(), Some("table3"));
    assert_eq!(names(&app), ["a-fuqing.txt", "b-pingtan.txt"]);
    app.handle_key(key('F'));
    app.clear_prompt();
    app.type_text("meta.fee");
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(names(&app), ["b-pingtan.txt"]);
    app.handle_key(key('F'));
    app.clear_prompt();
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.rule, None);
}

#[test]
fn sort_cycles_and_keeps_the_selected_report() {
    let (mut app, _) = app();
    app.step(&Action::Down); // b-pingtan
    let sel = |a: &App| entry_path(a, a.selected_entry().unwrap());
    app.handle_key(key('s'));
    assert_eq!(app.sort, SortKey::Errors);
    let last = *app.view().last().unwrap();
    assert_eq!(entry_path(&app, last), "reports/c-ok.txt", "no errors sorts last");
    app.handle_key(key('s'));
    assert_eq!(app.sort, SortKey::Agency);
    let agencies: Vec<String> = app
        .view()
        .iter()
        .map(|&e| super::app::field_text(app.backend().entries()[e].audit().unwrap(), "agency"))
        .collect();
    let mut sorted = agencies.clone();
    sorted.sort();
    assert_eq!(agencies, sorted);
    assert_eq!(sel(&app), "reports/b-pingtan.txt");
    app.handle_key(key('s'));
    let years: Vec<String> = app
        .view()
        .iter()
        .map(|&e| super::app::field_text(app.backend().entries()[e].audit().unwrap(), "year"))
        .collect();
    assert_eq!(years, ["2021", "2022", "2023"]);
    app.handle_key(key('s'));
    assert_eq!(app.sort, SortKey::Group);
    app.handle_key(key('s'));
    assert_eq!(app.sort, SortKey::Path);
}

#[test]
fn rule_edit_reload_error_keeps_state_and_shows_popup() {
    let mut fb = FakeBackend::new(three());
    fb.reload_result = Err("rules/table3.yaml:7:12: 未知键 “asert”（可用：assert, when, each）".to_string());
    let (mut app, calls) = app_with(fb);
    app.handle_key(key('n'));
    app.handle_key(key('r'));
    let req = app.editor.clone().expect("an editor request");
    assert_eq!((req.path.display().to_string(), req.line), ("rules/table3.yaml".to_string(), 7));
    app.editor_finished(Ok(()));
    assert!(app.editor.is_none());
    let popup = app.popup.clone().expect("rule error popup");
    assert!(popup.body.starts_with("rules/table3.yaml:7:12"));
    assert!(app.status.as_ref().unwrap().error);
    assert_eq!(current(&app), ("reports/a-fuqing.txt".to_string(), 0), "report and selection kept");
    // Any key closes the popup and does nothing else.
    app.handle_key(key('j'));
    assert!(app.popup.is_none());
    assert_eq!(current(&app).1, 0);
    assert_eq!(calls.borrow().as_slice(), ["rule_file table3.balance", "reload_rules"]);
    // From the list, `r` opens the main rules file.
    app.step(&Action::Quit);
    app.handle_key(key('r'));
    assert_eq!(app.editor.as_ref().unwrap().path.display().to_string(), "rules/checks.yaml");
}

#[test]
fn rules_changed_on_disk_reload_on_tick() {
    let mut fb = FakeBackend::new(three());
    fb.rules_changed = true;
    let (mut app, calls) = app_with(fb);
    assert!(app.tick());
    assert_eq!(calls.borrow().as_slice(), ["reload_rules"]);
    assert_eq!(app.status.as_ref().unwrap().text, "规则文件已改动：规则已重新加载");
    assert!(!app.tick(), "nothing new");
}

#[test]
fn pending_entries_fill_in_on_tick_and_cannot_be_opened_yet() {
    let (mut app, _) = app_with(FakeBackend::pending(3));
    assert_eq!(app.view().len(), 3);
    app.step(&Action::Down);
    app.step(&Action::Open);
    assert_eq!(app.screen, Screen::List);
    assert!(app.status.as_ref().unwrap().text.contains("仍在审计中"));
    app.handle_key(key('n'));
    assert_eq!(app.status.as_ref().unwrap().text, "没有未处理的问题");
    assert!(app.tick());
    assert!(app.tick());
    assert_eq!(app.list.sel, 1);
    app.step(&Action::Open);
    assert_eq!(app.screen, Screen::Report);
    assert_eq!(app.backend().progress(), (2, 3));
}

#[test]
fn a_re_audit_arriving_on_tick_replaces_the_open_report() {
    let mut fb = FakeBackend::new(three());
    let mut newer = sample_report("a-fuqing.txt", "福清市人民政府", "2022", "2019");
    newer.findings.remove(0);
    fb.queued.push_back((1, newer));
    let (mut app, _) = app_with(fb);
    app.step(&Action::Open);
    app.handle_key(key('}'));
    assert_eq!(app.report.as_ref().unwrap().finding().unwrap().key, "meta.late");
    assert!(app.tick());
    let r = app.report.as_ref().unwrap();
    assert_eq!(r.audit.findings.len(), 1);
    assert_eq!(r.finding().unwrap().key, "meta.late", "selection follows the finding key");
}

#[test]
fn log_problems_show_once_in_the_status_line() {
    let mut fb = FakeBackend::new(three());
    fb.problems = vec!["corrections.jsonl:14: 行不完整".to_string()];
    let (app, _) = app_with(fb);
    let st = app.status.clone().unwrap();
    assert!(st.error);
    assert!(st.text.contains("corrections.jsonl:14: 行不完整"));
}

// ------------------------------------------------------------------ screens

#[test]
fn list_screen_80x24_aligns_chinese_agencies() {
    let (app, _) = app();
    let s = screen(&app, 80, 24);
    assert_eq!(s[0], "年报审核  已审计 3/3  审核人 张三  日志 corrections.jsonl");
    assert_eq!(s[1], "排序 路径  筛选 全部  模板 全部  规则 —  搜索 —  显示 3/3");
    assert_eq!(s[2], "文件                机关                          年度 模板    错  警  提 状态");
    assert_eq!(s[3], "a-fuqing.txt        福清市人民政府                2022 2019     1   1   0 新");
    assert_eq!(s[4], "b-pingtan.txt       平潭综合实验区管理委员会      2023 2021     1   1   1 新");
    assert_eq!(s[5], "c-ok.txt            Xiamen Port Authority         2021 legacy   0   0   0 新");
    // The year column starts at the same display column on every row.
    let col = |l: &str, y: &str| width(&l[..l.find(y).unwrap()]);
    assert_eq!(col(&s[3], "2022"), col(&s[4], "2023"));
    assert_eq!(col(&s[4], "2023"), col(&s[5], "2021 legacy"));
    assert!(s[23].starts_with("Enter 打开  n/N 下个未处理  / 搜索"), "{}", s[23]);
}

#[test]
fn long_agency_is_cut_with_an_ellipsis() {
    let long = "中华人民共和国福建省平潭综合实验区管理委员会办公室政务公开科";
    let (app, _) = app_with(FakeBackend::new(vec![sample_report("x.txt", long, "2023", "2021")]));
    let s = screen(&app, 80, 24);
    assert_eq!(s[3], "x.txt               中华人民共和国福建省平潭综合… 2023 2021     1   1   0 新");
}

#[test]
fn list_shows_pending_and_failed_entries() {
    let mut fb = FakeBackend::pending(2);
    fb.entries.push(Entry::Ready(Arc::new(ReportAudit::failed(
        "reports/broken.pdf".into(),
        "不是文本文件（二进制）".to_string(),
    ))));
    let (app, _) = app_with(fb);
    let s = screen(&app, 80, 24);
    assert!(s[0].contains("已审计 1/3"), "{}", s[0]);
    assert_eq!(s[3], "00000.txt           …");
    assert_eq!(s[5], "broken.pdf          读取失败：不是文本文件（二进制）");
}

#[test]
fn ten_thousand_pending_entries_draw_at_once() {
    let (mut app, _) = app_with(FakeBackend::pending(10_000));
    let t = std::time::Instant::now();
    let s = screen(&app, 80, 24);
    assert_eq!(s[3], "00000.txt           …");
    assert!(s[0].contains("已审计 0/10000"));
    app.step(&Action::Bottom);
    let s = screen(&app, 80, 24);
    assert_eq!(s[21], "09999.txt           …", "bottom row visible after G");
    // Generous bound for unoptimized test builds; the point is no O(N) layout per frame.
    // A guard against work that grows with the square of the batch, not a speed figure (that is
    // `cargo bench --bench tui`): generous, so a busy machine does not fail it.
    assert!(t.elapsed() < std::time::Duration::from_secs(20), "{:?}", t.elapsed());
    // With most of them audited, stepping through: a key plus a frame stays small.
    let mut fb = FakeBackend::pending(10_000);
    for _ in 0..9_000 {
        super::backend::ReviewBackend::poll(&mut fb);
    }
    let (mut app, _) = app_with(fb);
    app.step(&Action::Bottom);
    let t = std::time::Instant::now();
    for _ in 0..100 {
        app.handle_key(key('k'));
        draw(&app, 80, 24);
    }
    eprintln!("100 keys + frames over 10,000 entries: {:?}", t.elapsed());
    // A guard against work that grows with the square of the batch, not a speed figure (that is
    // `cargo bench --bench tui`): generous, so a busy machine does not fail it.
    assert!(t.elapsed() < std::time::Duration::from_secs(20), "{:?}", t.elapsed());
}

#[test]
fn report_screen_shows_fields_values_statuses_and_findings() {
    let (mut app, _) = app();
    app.step(&Action::Open);
    let s = screen(&app, 120, 40);
    assert!(s[0].starts_with("a-fuqing.txt  福清市人民政府 2022  模板 2019  新  错1 警1 提0  第 1/3 份"), "{}", s[0]);
    let has = |needle: &str| s.iter().any(|l| l.contains(needle));
    // The focused fields pane has a heavy border.
    assert!(has("┃基本信息"));
    assert!(has("┃年度           year           2022                = 精确  ┃"));
    assert!(has("┃新收申请       t3.new.total   ? 5 | 0 | (空)      ? 待定  ┃"));
    assert!(has("┃表三 t3."));
    assert!(has("错误 table3.balance    表三「总计」列：新收? + 上… 未处理"));
    assert!(has("警告 meta.late         2022年度报告发布于2024-01-… 未处理"));
    assert!(has("│1 福清市人民政府2022年政府信息公开工作年度报告"));
}

/// The opened report with table 二's 行政规范性文件 row read two ways ("693665": 6|93|665 or
/// 69|3|665), the last year's reading second.
fn with_row() -> Vec<ReportAudit> {
    let mut v = three();
    let ids: Vec<String> = ["t2.normative.issued", "t2.normative.repealed", "t2.normative.in_force"].iter().map(|s| s.to_string()).collect();
    let joint = crate::model::Joint {
        group: std::sync::Arc::from("t2.normative"),
        fields: std::sync::Arc::new(ids.clone()),
        readings: std::sync::Arc::new(vec![
            vec![Some(Value::Int(6)), Some(Value::Int(93)), Some(Value::Int(665))],
            vec![Some(Value::Int(69)), Some(Value::Int(3)), Some(Value::Int(665))],
        ]),
        complete: true,
    };
    let labels = ["行政规范性文件·本年制发件数", "行政规范性文件·本年废止件数", "行政规范性文件·现行有效件数"];
    for (c, id) in ids.iter().enumerate() {
        let mut f = crate::model::Field::exact(id, labels[c], Some(Value::Int(665)), "693665", None);
        if c < 2 {
            f.value = None;
            f.status = Status::Ambiguous;
            f.candidates = joint.readings.iter().map(|r| crate::model::Candidate { value: r[c].clone(), note: None }).collect();
            f.joint = Some(joint.clone());
        } else {
            f.settled_by = Some("cross.normative-chain：下年报告（2022年度，b.txt）t2.normative.in_force = 698".into());
        }
        v[1].fields.insert(id.clone(), f);
    }
    v
}

#[test]
fn digits_pick_a_whole_row_reading_and_alt_digits_one_cell() {
    let (mut app, calls) = app_with(FakeBackend::new(with_row()));
    app.step(&Action::Open);
    select_field(&mut app, "t2.normative.in_force");
    let s = screen(&app, 100, 30);
    assert!(s.iter().any(|l| l.contains("确定依据：cross.normative-chain")), "{s:#?}");
    select_field(&mut app, "t2.normative.issued");
    let s = screen(&app, 160, 30);
    let has = |needle: &str| s.iter().any(|l| l.contains(needle));
    assert!(has("整行读法（数字选定整行，Alt+数字只选本格）"), "{s:#?}");
    assert!(has("│1 [本年制发件数 6] · 本年废止件数 93 · 现行有效件数 665"), "{s:#?}");
    assert!(has("│2 [本年制发件数 69] · 本年废止件数 3 · 现行有效件数 665"), "{s:#?}");
    assert!(s.last().unwrap().contains("1-2 选整行"), "{}", s.last().unwrap());
    app.handle_key(key('3'));
    assert_eq!(app.status.as_ref().unwrap().text, "t2.normative.issued 所在行只有 2 种读法");
    app.handle_key(key('2'));
    assert_eq!(calls.borrow().as_slice(), ["settle_row 1 t2.normative.issued 1"]);
    let r = app.report.as_ref().unwrap();
    let value = |id: &str| (r.audit.fields[id].status, r.audit.fields[id].value.clone());
    assert_eq!(value("t2.normative.issued"), (Status::Corrected, Some(Value::Int(69))));
    assert_eq!(value("t2.normative.repealed"), (Status::Corrected, Some(Value::Int(3))), "the whole row follows");
    // One cell alone: Alt-2 settles only the selected cell.
    let (mut app, calls) = app_with(FakeBackend::new(with_row()));
    app.step(&Action::Open);
    select_field(&mut app, "t2.normative.repealed");
    app.handle_key(KeyEvent::new(KeyCode::Char('2'), KeyModifiers::ALT));
    assert_eq!(calls.borrow().as_slice(), ["settle 1 t2.normative.repealed 1"]);
    let r = app.report.as_ref().unwrap();
    assert_eq!(r.audit.fields["t2.normative.repealed"].value, Some(Value::Int(3)));
    assert_eq!(r.audit.fields["t2.normative.issued"].status, Status::Ambiguous);
}

#[test]
fn ambiguous_field_lists_numbered_candidates_at_80x24() {
    let (mut app, _) = app();
    app.step(&Action::Open);
    select_field(&mut app, "t3.new.total");
    let s = screen(&app, 80, 24);
    let has = |needle: &str| s.iter().any(|l| l.contains(needle));
    assert!(has("候选值（按数字选定）"), "{s:#?}");
    assert!(has("│1 5  叙述文字印证"));
    assert!(has("│2 0"));
    assert!(has("│3 (空)  空白单元格"));
    assert!(s[23].contains("1-3 选候选"), "{}", s[23]);
}

/// Cells of row `y` whose symbol is inside `[x0, x1)` and reversed.
fn reversed_text(buf: &Buffer, y: u16) -> String {
    let mut out = String::new();
    for x in 0..buf.area.width {
        let c = &buf[(x, y)];
        if c.modifier.contains(ratatui::style::Modifier::REVERSED) {
            out.push_str(c.symbol());
        }
    }
    out
}

#[test]
fn source_pane_highlights_the_selected_span() {
    let (mut app, _) = app();
    app.handle_key(key('n'));
    app.handle_key(key('n')); // meta.late: span "2024-01-20" on line 2
    let buf = draw(&app, 80, 24);
    let s = lines(&buf);
    let y = s.iter().position(|l| l.starts_with("│2 发布日期：2024-01-20")).expect("line 2 in the source pane");
    assert_eq!(reversed_text(&buf, y as u16), "2024-01-20");
    assert!(s.iter().any(|l| l.contains("原文 第2行")));
    // Moving to the field pane follows the field's span instead.
    app.handle_key(code(KeyCode::BackTab));
    select_field(&mut app, "t3.new.total");
    let buf = draw(&app, 80, 24);
    let s = lines(&buf);
    let y = s.iter().position(|l| l.contains("6 新收政府信息公开申请数量 5 0")).unwrap();
    assert_eq!(reversed_text(&buf, y as u16), "5 0");
}

#[test]
fn a_megabyte_line_draws_quickly_and_scrolls_to_the_span() {
    let mut a = sample_report("big.txt", "平潭县人民政府", "2023", "2021");
    let mut text = "数".repeat(350_000);
    text.push_str("目标值42");
    text.push_str(&"尾".repeat(10));
    a.text = Arc::from(text.as_str());
    a.findings.clear();
    for f in a.fields.values_mut() {
        f.span = super::testing::span_of(&text, "目标值42");
    }
    let (mut app, _) = app_with(FakeBackend::new(vec![a]));
    app.step(&Action::Open);
    let t = std::time::Instant::now();
    let buf = draw(&app, 80, 24);
    assert!(t.elapsed() < std::time::Duration::from_secs(1), "{:?}", t.elapsed());
    let s = lines(&buf);
    let y = s.iter().position(|l| l.contains("目标值42")).expect("span scrolled into view");
    assert_eq!(reversed_text(&buf, y as u16), "目标值42");
}

#[test]
fn help_overlay_is_generated_from_the_live_key_map() {
    let (mut app, _) = app();
    app.handle_key(key('?'));
    assert!(app.help);
    let s = screen(&app, 80, 24);
    let has = |needle: &str| s.iter().any(|l| l.contains(needle));
    assert!(has("帮助（按键来自当前按键设置）"));
    assert!(has("n             跨报告下一未处理问题"), "{s:#?}");
    assert!(has("e             更正字段"));
    assert!(has("1-9           选定整行读法（或候选值）"), "{s:#?}");
    assert!(has("Alt-1-Alt-9   只选定本格候选值"), "{s:#?}");
    assert!(has("Esc           关闭 / 清除搜索 / 返回"));
    app.handle_key(code(KeyCode::Esc));
    assert!(!app.help);

    let mut km = KeyMap::defaults();
    assert!(km.apply_yaml("next_open: Space\nconfirm: y\n", "keys.yaml").is_empty());
    let fb = FakeBackend::new(three());
    let mut app = App::new(Box::new(fb), km);
    app.handle_key(key(' '));
    assert_eq!(app.screen, Screen::Report, "Space now jumps to the next open finding");
    let s = screen(&app, 120, 40);
    assert!(s[39].contains("y 确认"), "{}", s[39]);
    assert!(s[39].contains("Space/N 下个未处理"), "{}", s[39]);
    app.handle_key(key('?'));
    let s = screen(&app, 120, 40);
    assert!(s.iter().any(|l| l.contains("Space         跨报告下一未处理问题")));
    assert!(s.iter().any(|l| l.contains("y             确认问题")));
}

/// Every wide glyph must be followed by a blank cell, never by something the terminal would
/// hide under the glyph's right half (a popup border, say).
fn assert_no_half_glyphs(buf: &Buffer) {
    for y in 0..buf.area.height {
        for x in 0..buf.area.width.saturating_sub(1) {
            let sym = buf[(x, y)].symbol();
            if width(sym) == 2 {
                let next = buf[(x + 1, y)].symbol();
                assert_eq!(next, " ", "wide {sym:?} at ({x},{y}) hides {next:?}");
            }
        }
    }
}

#[test]
fn popups_over_wide_glyphs_leave_no_half_glyphs() {
    // File names starting with one ASCII letter put wide glyphs on odd columns, so one of them
    // straddles the prompt's left edge at column 4.
    let audits: Vec<ReportAudit> =
        (0..15).map(|i| sample_report(&format!("a平潭县{i:02}.txt"), "平潭县人民政府", "2023", "2021")).collect();
    let (mut app, _) = app_with(FakeBackend::new(audits));
    let buf = draw(&app, 80, 24);
    assert_eq!(buf[(3, 10)].symbol(), "潭", "the glyph straddles column 4");
    app.handle_key(key('/'));
    let buf = draw(&app, 80, 24);
    assert_no_half_glyphs(&buf);
    for y in 9..15 {
        assert_eq!(buf[(3, y)].symbol(), " ", "row {y}: straddling glyph blanked");
        assert!(matches!(buf[(4, y)].symbol(), "┌" | "│" | "└"), "row {y}: border intact");
    }
    let s = lines(&buf);
    assert!(s[9].contains("搜索：路径、机关、规则、问题"));
    // Same for the help overlay and the rule error popup.
    app.handle_key(code(KeyCode::Esc));
    app.handle_key(key('?'));
    assert_no_half_glyphs(&draw(&app, 81, 24));
    app.handle_key(key('?'));
    app.popup = Some(super::app::Popup { title: "规则有误".into(), body: "rules/x.yaml:1:1: 错误".into() });
    assert_no_half_glyphs(&draw(&app, 81, 24));
}

#[test]
fn edit_prompt_shows_old_value_and_live_validation() {
    let (mut app, _) = app();
    app.step(&Action::Open);
    select_field(&mut app, "t3.carried.total");
    app.handle_key(key('e'));
    app.type_text("x");
    let s = screen(&app, 80, 24);
    let has = |needle: &str| s.iter().any(|l| l.contains(needle));
    assert!(has("更正 t3.carried.total：新值（留空 = 空白单元格）"), "{s:#?}");
    assert!(has("原值：1"));
    assert!(has("1x"));
    assert!(has("✗ 应为整数（留空表示空白单元格）"));
    assert!(s[23].starts_with("Enter 下一步  Esc 取消"));
}

fn all_cells_colourless(buf: &Buffer) -> bool {
    buf.content().iter().all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset)
}

#[test]
fn no_color_draws_without_colours() {
    let (mut app, _) = app();
    app.set_error("保存失败");
    app.step(&Action::Open);
    app.handle_key(key('n'));
    // With colours, errors are red: the check below can fail.
    assert!(!all_cells_colourless(&draw(&app, 80, 24)));
    app.no_color = true;
    assert!(all_cells_colourless(&draw(&app, 80, 24)));
    app.handle_key(key('?'));
    assert!(all_cells_colourless(&draw(&app, 80, 24)));
    app.handle_key(key('?'));
    app.handle_key(key('e'));
    app.type_text("x");
    assert!(all_cells_colourless(&draw(&app, 80, 24)));
    app.handle_key(code(KeyCode::Esc));
    app.step(&Action::Quit);
    assert!(all_cells_colourless(&draw(&app, 80, 24)));
}

#[test]
fn escape_sequences_in_report_text_never_reach_the_buffer() {
    let mut a = sample_report("evil.txt", "平潭\u{1b}[2J县\u{202E}政府", "2023", "2021");
    let text = format!("{}\n恶意\u{1b}]0;pwned\u{7}行\u{1b}[31m红\r\n", a.text);
    a.text = Arc::from(text.as_str());
    a.findings[0].message = "消息\u{1b}[5m闪烁\u{9b}".to_string();
    let (mut app, _) = app_with(FakeBackend::new(vec![a]));
    let check = |buf: &Buffer| {
        for c in buf.content() {
            for ch in c.symbol().chars() {
                assert!(
                    !ch.is_control() && !('\u{202A}'..='\u{202E}').contains(&ch) && !('\u{2066}'..='\u{2069}').contains(&ch),
                    "{:?} reached the buffer",
                    c.symbol()
                );
            }
        }
    };
    let buf = draw(&app, 120, 40);
    check(&buf);
    assert!(lines(&buf)[3].contains("平潭␛[2J县\u{FFFD}政府"));
    app.handle_key(key('n'));
    let buf = draw(&app, 120, 40);
    check(&buf);
    let s = lines(&buf);
    assert!(s.iter().any(|l| l.contains("恶意␛]0;pwned\u{FFFD}行␛[31m红")), "{s:#?}");
    assert!(s.iter().any(|l| l.contains("消息␛[5m闪烁")));
}

#[test]
fn resize_redraws_at_any_size() {
    let (mut app, _) = app();
    app.handle_key(key('n'));
    for (w, h) in [(80, 24), (120, 40), (40, 12), (20, 6), (10, 3), (200, 60)] {
        let buf = draw(&app, w, h);
        assert_no_half_glyphs(&buf);
    }
    app.handle_key(key('?'));
    for (w, h) in [(80, 24), (30, 10)] {
        draw(&app, w, h);
    }
}

#[test]
fn bad_spans_from_the_engine_do_not_crash_the_screen() {
    let mut a = sample_report("odd.txt", "平潭县人民政府", "2023", "2021");
    let bad = [(1, 5), (4, 2), (10_000, 20_000), (2, usize::MAX)];
    for (f, (s, e)) in a.fields.values_mut().zip(bad.iter().cycle()) {
        f.span = Some(crate::model::Span { start: *s, end: *e, line: 0, col: 0 });
    }
    let (mut app, _) = app_with(FakeBackend::new(vec![a]));
    app.step(&Action::Open);
    for _ in 0..10 {
        draw(&app, 80, 24);
        app.step(&Action::NextField);
    }
}

#[test]
fn pasted_text_stays_on_one_line_and_is_sanitized() {
    let (mut app, _) = app();
    app.handle_key(key('/'));
    app.type_text("福清\n市\u{1b}[2J");
    assert_eq!(app.prompt.as_ref().unwrap().text(), "福清 市␛[2J");
    assert_eq!(app.prompt.as_ref().unwrap().input.lines().len(), 1);
}

// ------------------------------------------------------------------ cross-year, groups, overview

/// Three years of one agency (2021 has no prev; 2022 and 2023 link to the year before) and one
/// other agency, with their groups and `prev` set as the session's linking sets them.
fn linked() -> Vec<ReportAudit> {
    use crate::pipeline::PrevReport;
    let mk = |file: &str, agency: &str, group: &str, year: &str| {
        let mut a = sample_report(file, agency, year, "2021");
        a.group = Some(group.to_string());
        a
    };
    let prev_of = |a: &ReportAudit, year: i64| {
        let mut fields = crate::model::Fields::new();
        for id in ["year", "t3.carried.total", "t3.total.total"] {
            if let Some(f) = a.field(id) {
                fields.insert(id.to_string(), f.clone());
            }
        }
        PrevReport { path: a.path.clone(), id: a.id.clone(), year, fields }
    };
    let y21 = mk("z-pt-2021.txt", "平潭综合实验区管理委员会", "平潭综合实验区", "2021");
    let mut y22 = mk("a-pt-2022.txt", "平潭综合实验区管委会", "平潭综合实验区", "2022");
    let mut y23 = mk("m-pt-2023.txt", "平潭综合实验区管理委员会", "平潭综合实验区", "2023");
    let fq = mk("b-fq-2023.txt", "福清市人民政府", "福清市", "2023");
    let mut p21 = prev_of(&y21, 2021);
    // Last year's carried-over total differs, so the column shows a different number.
    if let Some(f) = p21.fields.get_mut("t3.carried.total") {
        f.value = Some(Value::Int(9));
    }
    y22.prev = Some(p21);
    y23.prev = Some(prev_of(&y22, 2022));
    vec![y23, fq, y22, y21]
}

fn open_path(app: &mut App, file: &str) {
    let e = (0..app.backend().entries().len())
        .find(|&e| entry_path(app, e).ends_with(file))
        .expect("report exists");
    assert!(app.open_report(e));
}

#[test]
fn report_view_shows_last_years_values_and_which_report_they_come_from() {
    let (mut app, _) = app_with(FakeBackend::new(linked()));
    open_path(&mut app, "a-pt-2022.txt");
    let s = screen(&app, 120, 40);
    assert!(s[0].contains("分组 平潭综合实验区"), "{}", s[0]);
    assert_eq!(s[1], "上年报告：2021 年度  reports/z-pt-2021.txt");
    let head = s.iter().find(|l| l.contains("名称") && l.contains("本年")).expect("column heads");
    assert!(head.contains("本年") && head.contains("上年"), "{head}");
    let carried = s.iter().find(|l| l.contains("t3.carri")).expect("carried row");
    // This year's 1, last year's 9, in that order.
    let (this, last) = (carried.find(" 1 ").expect("this year"), carried.find(" 9 ").expect("last year"));
    assert!(this < last, "{carried}");
    // A field the cross-year rules do not read has no last-year value.
    let published = s.iter().find(|l| l.contains("published")).expect("published row");
    assert!(!published.contains("2021-"), "{published}");
    select_field(&mut app, "t3.carried.total");
    let s = screen(&app, 120, 40);
    assert!(s.iter().any(|l| l.contains("上年（2021）：9")), "detail line names last year's value");

    // The oldest report has no previous year: nothing extra.
    open_path(&mut app, "z-pt-2021.txt");
    let s = screen(&app, 120, 40);
    // ("上年结转" is a field label, not last year's column.)
    assert!(s.iter().all(|l| !l.contains("上年报告") && !l.contains("上年（") && !l.contains(" 上年 ")), "{s:#?}");
}

#[test]
fn field_note_and_stale_records_are_shown() {
    let mut a = sample_report("x.txt", "福清市人民政府", "2023", "2021");
    if let Some(f) = a.fields.get_mut("t3.total.total") {
        f.note = Some("叙述文字“办理结果总计6件”印证".to_string());
    }
    a.stale.push(crate::pipeline::StaleNote {
        target: "t3.new.total".to_string(),
        message: "张三 correct 于 2024-02-01 针对旧版本（id-old）记录，报告内容已变，未应用".to_string(),
    });
    let (mut app, _) = app_with(FakeBackend::new(vec![a]));
    app.step(&Action::Open);
    select_field(&mut app, "t3.total.total");
    let s = screen(&app, 120, 40);
    assert!(s[1].contains("! 过期记录 t3.new.total：张三 correct 于 2024-02-01 针对旧版本"), "{}", s[1]);
    assert!(s.iter().any(|l| l.contains("说明：叙述文字“办理结果总计6件”印证")), "{s:#?}");
}

#[test]
fn slash_in_a_report_finds_a_field_and_esc_returns() {
    let (mut app, _) = app();
    app.step(&Action::Open);
    let start = app.report.as_ref().unwrap().field_sel;
    app.handle_key(key('/'));
    app.type_text("T3.TOTAL");
    assert_eq!(app.report.as_ref().unwrap().field().unwrap().id, "t3.total.total", "live, ignoring case");
    app.handle_key(code(KeyCode::Esc));
    assert_eq!(app.report.as_ref().unwrap().field_sel, start);
    app.handle_key(key('/'));
    app.type_text("上年结转");
    app.handle_key(code(KeyCode::Enter));
    assert!(app.prompt.is_none());
    assert_eq!(app.report.as_ref().unwrap().field().unwrap().id, "t3.carried.total", "labels match too");
    app.handle_key(key('/'));
    app.type_text("nothing-like-this");
    app.handle_key(code(KeyCode::Enter));
    assert!(app.prompt.as_ref().is_some_and(|p| p.error.is_some()), "no match keeps the prompt open");
    // The list search is untouched by field searches.
    assert!(app.search.is_empty());
}

#[test]
fn correcting_the_agency_goes_through_the_backend() {
    let (mut app, calls) = app();
    app.step(&Action::Open);
    select_field(&mut app, "agency");
    app.handle_key(key('e'));
    app.clear_prompt();
    app.type_text("福清市人民政府办公室");
    app.handle_key(code(KeyCode::Enter));
    app.type_text("标题页写明为办公室");
    app.handle_key(code(KeyCode::Enter));
    assert!(app.prompt.is_none());
    assert_eq!(calls.borrow().last().unwrap(), "correct 1 agency 福清市人民政府办公室 标题页写明为办公室");
    let f = app.report.as_ref().unwrap().field().unwrap().clone();
    assert_eq!((f.id.as_str(), f.status), ("agency", Status::Corrected));
    assert_eq!(f.value, Some(Value::Text("福清市人民政府办公室".into())));
    app.step(&Action::Quit);
    let s = screen(&app, 120, 30);
    assert!(s.iter().any(|l| l.contains("a-fuqing.txt") && l.contains("福清市人民政府办公室")), "{s:#?}");
}

#[test]
fn group_sort_puts_an_agencys_years_together_and_the_list_shows_groups() {
    let (mut app, _) = app_with(FakeBackend::new(linked()));
    while app.sort != SortKey::Group {
        app.step(&Action::CycleSort);
    }
    let files: Vec<String> = app.view().iter().map(|&e| entry_path(&app, e)).collect();
    assert_eq!(
        files,
        ["reports/z-pt-2021.txt", "reports/a-pt-2022.txt", "reports/m-pt-2023.txt", "reports/b-fq-2023.txt"]
    );
    let s = screen(&app, 120, 30);
    assert!(s[2].contains("分组"), "{}", s[2]);
    assert!(s[3].contains("平潭综合实验区") && s[3].contains("2021"), "{}", s[3]);
    assert!(s[6].contains("福清市"), "{}", s[6]);
    assert!(s[1].contains("排序 分组+年度"));
}

#[test]
fn overview_tables_move_switch_and_filter_the_list() {
    let (mut app, _) = app_with(FakeBackend::new(linked()));
    app.handle_key(key('o'));
    assert_eq!(app.screen, Screen::Overview);
    let s = screen(&app, 120, 40);
    assert!(s[0].starts_with("批次概览  4 份报告"), "{}", s[0]);
    let rule_row = s.iter().find(|l| l.contains("table3.balance")).expect("rule row");
    assert!(rule_row.contains("   4     0     0      4"), "{rule_row}");
    assert!(s.iter().any(|l| l.contains("平潭综合实验区") && l.contains("2022")), "group rows");
    assert!(s.iter().any(|l| l.contains("问题：已处理/总数") && l.contains("0/8")), "progress");
    assert!(s[39].starts_with("Enter 筛选列表  Tab 切换表"), "{}", s[39]);

    // Rules: table3.balance and meta.late both count 4; ties go by id.
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.screen, Screen::List);
    assert_eq!(app.rule.as_deref(), Some("meta.late"));
    assert_eq!(app.view().len(), 4);

    // Groups: the second row is 平潭 2022 → one report.
    app.handle_key(key('o'));
    app.handle_key(code(KeyCode::Tab));
    app.handle_key(key('j'));
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.rule, None, "a new drill-down replaces the old one");
    assert_eq!(app.group.as_ref().map(|g| g.label()).as_deref(), Some("平潭综合实验区 2022"));
    let files: Vec<String> = app.view().iter().map(|&e| entry_path(&app, e)).collect();
    assert_eq!(files, ["reports/a-pt-2022.txt"]);
    assert!(screen(&app, 120, 30)[1].contains("分组 平潭综合实验区 2022"));
    // Esc on the list clears the drill-down.
    app.handle_key(code(KeyCode::Esc));
    assert_eq!((app.group.is_none(), app.view().len()), (true, 4));

    // Progress: decide one finding, then "审核中" narrows to that report.
    app.step(&Action::Open);
    app.step(&Action::FocusNext);
    app.handle_key(key('c'));
    app.handle_key(code(KeyCode::Enter));
    let decided = app.report.as_ref().unwrap().entry;
    app.handle_key(key('o'));
    assert_eq!(app.screen, Screen::Overview, "o from a report goes to the overview");
    assert_eq!(app.overview.table, super::app::OverviewTable::Groups, "the overview remembers its table");
    app.handle_key(code(KeyCode::BackTab));
    app.handle_key(code(KeyCode::BackTab));
    assert_eq!(app.overview.table, super::app::OverviewTable::Progress);
    app.handle_key(key('j'));
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.view(), [decided]);
    app.handle_key(key('o'));
    app.handle_key(code(KeyCode::Esc));
    assert_eq!(app.screen, Screen::List, "Esc leaves the overview");
}

#[test]
fn overview_aggregates_are_cached_until_entries_change() {
    let (mut app, _) = app_with(FakeBackend::new(linked()));
    app.step(&Action::Overview);
    let first = app.overview_data().unwrap().clone();
    for _ in 0..5 {
        app.step(&Action::Down);
        app.tick();
        draw(&app, 120, 40);
    }
    assert!(Arc::ptr_eq(&first, app.overview_data().unwrap()), "no rebuild without a change");
    app.step(&Action::Back);
    app.step(&Action::Open);
    app.step(&Action::FocusNext);
    app.handle_key(key('d'));
    app.handle_key(code(KeyCode::Enter));
    app.step(&Action::Overview);
    let after = app.overview_data().unwrap().clone();
    assert!(!Arc::ptr_eq(&first, &after));
    assert_eq!(after.progress.decided, 1);
}

#[test]
fn overview_over_ten_thousand_reports_stays_fast() {
    let mut fb = FakeBackend::pending(10_000);
    while super::backend::ReviewBackend::poll(&mut fb) {}
    let (mut app, _) = app_with(fb);
    let t = std::time::Instant::now();
    app.step(&Action::Overview);
    let built = t.elapsed();
    let first = app.overview_data().unwrap().clone();
    assert_eq!(first.progress.new, 10_000);
    let t = std::time::Instant::now();
    for i in 0..100 {
        app.step(if i % 10 == 9 { &Action::FocusNext } else { &Action::Down });
        draw(&app, 120, 40);
    }
    eprintln!("overview over 10,000: build {built:?}, 100 keys + frames {:?}", t.elapsed());
    assert!(Arc::ptr_eq(&first, app.overview_data().unwrap()));
    // A guard against work that grows with the square of the batch, not a speed figure (that is
    // `cargo bench --bench tui`): generous, so a busy machine does not fail it.
    assert!(t.elapsed() < std::time::Duration::from_secs(20), "{:?}", t.elapsed());
}

#[test]
fn typing_a_search_narrows_like_a_fresh_search_and_backspace_widens() {
    let (mut app, _) = app_with(FakeBackend::new(linked()));
    app.handle_key(key('/'));
    app.type_text("平潭");
    assert_eq!(app.view().len(), 3);
    app.type_text("综合实验区管委会");
    let narrowed: Vec<usize> = app.view().to_vec();
    assert_eq!(narrowed.len(), 1);
    for _ in 0.."综合实验区管委会".chars().count() {
        app.handle_key(code(KeyCode::Backspace));
    }
    assert_eq!(app.view().len(), 3, "deleting widens the search again");
    app.handle_key(code(KeyCode::Esc));
    app.handle_key(key('/'));
    app.type_text("平潭综合实验区管委会");
    assert_eq!(app.view(), narrowed.as_slice());
    assert_eq!(narrowed.len(), 1);
    app.handle_key(code(KeyCode::Enter));
    assert_eq!(app.view().len(), 1, "Enter keeps the typed search");
}

/// A re-audit of `base` with `errors` open errors (each with its own message).
fn with_errors(mut a: ReportAudit, errors: &[&str]) -> ReportAudit {
    a.findings = errors
        .iter()
        .enumerate()
        .map(|(i, m)| crate::model::Finding {
            rule: "table3.balance".to_string(),
            severity: crate::model::Severity::Error,
            message: m.to_string(),
            span: None,
            fields: vec![],
            key: format!("table3.balance#{i}"),
            decision: None,
        })
        .collect();
    a
}

#[test]
fn a_re_audited_report_is_found_by_search_for_its_new_message() {
    let mut fb = FakeBackend::new(three());
    let c = three().remove(2);
    fb.queued.push_back((2, with_errors(c.clone(), &["附件表格全新的说明"])));
    fb.queued.push_back((2, with_errors(c, &["另一条说明"])));
    let (mut app, _) = app_with(fb);
    app.handle_key(key('/'));
    app.type_text("全新");
    assert!(app.view().is_empty());
    app.handle_key(code(KeyCode::Esc));
    // The first re-audit arrives; its search text is rebuilt on the tick.
    assert!(app.tick());
    assert!(!app.indexing());
    app.handle_key(key('/'));
    app.type_text("全新");
    let found: Vec<String> = app.view().iter().map(|&e| entry_path(&app, e)).collect();
    assert_eq!(found, ["reports/c-ok.txt"], "the first re-audit's message");
    // Typing on narrows within the view, reading the refreshed search text.
    app.type_text("的说明");
    assert_eq!(app.view().len(), 1);
    app.handle_key(code(KeyCode::Enter));
    // The second re-audit arrives while the search is on: the message is gone.
    assert!(app.tick());
    assert!(app.view().is_empty(), "{:?}", app.view());
    app.handle_key(code(KeyCode::Esc));
    app.handle_key(key('/'));
    app.type_text("另一条");
    assert_eq!(app.view().len(), 1);
}

#[test]
fn a_sort_after_a_re_audit_reflects_the_new_counts() {
    let mut fb = FakeBackend::new(three());
    let c = three().remove(2);
    fb.queued.push_back((2, with_errors(c.clone(), &["一", "二"])));
    fb.queued.push_back((2, c));
    let (mut app, _) = app_with(fb);
    let order = |app: &App| -> Vec<String> { app.view().iter().map(|&e| entry_path(app, e)).collect() };
    app.handle_key(key('s'));
    assert_eq!(app.sort, SortKey::Errors);
    assert_eq!(order(&app), ["reports/b-pingtan.txt", "reports/a-fuqing.txt", "reports/c-ok.txt"]);
    assert!(app.tick());
    assert_eq!(order(&app), ["reports/c-ok.txt", "reports/b-pingtan.txt", "reports/a-fuqing.txt"], "two errors first");
    // Cycle the sort round: the keys are re-read from the cache, not from the old audit.
    for _ in 0..5 {
        app.handle_key(key('s'));
    }
    assert_eq!(order(&app)[0], "reports/c-ok.txt");
    assert!(app.tick());
    assert_eq!(order(&app), ["reports/b-pingtan.txt", "reports/a-fuqing.txt", "reports/c-ok.txt"]);
    // The error filter reads the same refreshed counts.
    app.handle_key(key('f'));
    assert_eq!(app.view().len(), 2);
}

#[test]
fn an_overview_on_screen_follows_re_audits_arriving_on_ticks() {
    let mut fb = FakeBackend::new(three());
    let c = three().remove(2);
    fb.queued.push_back((2, with_errors(c, &["一", "二"])));
    let (mut app, _) = app_with(fb);
    app.step(&Action::Overview);
    let before = app.overview_data().unwrap().clone();
    assert_eq!(before.progress.findings, 5);
    assert!(app.tick());
    // The totals catch up within a time budget per tick: on a busy machine that takes more ticks.
    for _ in 0..1000 {
        if !app.indexing() {
            break;
        }
        app.tick();
    }
    let after = app.overview_data().unwrap().clone();
    assert_eq!(after.progress.findings, 7);
    let bal = after.rules.iter().find(|r| r.rule == "table3.balance").unwrap();
    assert_eq!(bal.count, 4);
    assert_eq!(*after, Overview::build(app.backend().entries()), "the running totals equal a fresh count");
}

#[test]
fn ten_thousand_results_in_one_poll_are_indexed_over_several_ticks() {
    let mut fb = FakeBackend::pending(10_000);
    for (i, (_, a)) in fb.queued.iter_mut().enumerate() {
        a.findings[0].message = format!("第{i}份的说明");
    }
    // Every result in one poll, as the background audit may deliver them.
    fb.per_poll = 10_000;
    let (mut app, _) = app_with(fb);
    assert!(app.tick());
    assert_eq!(app.backend().progress(), (10_000, 10_000));
    assert!(app.indexing(), "one tick does not build every search text");
    // The list is complete at once; the search reads the audits until indexed.
    assert_eq!(app.view().len(), 10_000);
    app.handle_key(key('/'));
    app.type_text("第9999份");
    assert_eq!(app.view().len(), 1);
    app.handle_key(code(KeyCode::Esc));
    let mut ticks = 1;
    while app.indexing() {
        assert!(!app.tick(), "catching up needs no redraw on the list");
        ticks += 1;
        assert!(ticks < 100_000);
    }
    assert!(ticks > 2, "{ticks}");
    app.handle_key(key('/'));
    app.type_text("第9999份");
    assert_eq!(app.view().len(), 1);
    app.handle_key(code(KeyCode::Esc));
    app.step(&Action::Overview);
    assert_eq!(app.overview_data().unwrap().progress.new, 10_000);
}

#[test]
fn opening_the_overview_before_indexing_finished_counts_everything() {
    let mut fb = FakeBackend::pending(3_000);
    fb.per_poll = 3_000;
    let (mut app, _) = app_with(fb);
    app.tick();
    assert!(app.indexing());
    app.step(&Action::Overview);
    assert!(!app.indexing());
    let o = app.overview_data().unwrap().clone();
    assert_eq!((o.progress.new, o.progress.pending), (3_000, 0));
    assert_eq!(*o, Overview::build(app.backend().entries()));
}

#[test]
fn a_table_read_from_cells_is_shown_as_a_grid_with_the_field_cell_highlighted() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/published/pingtan-2021.docx");
    let doc = crate::load::load_file(&path).expect("fixture loads");
    let audit = crate::pipeline::audit_document(&doc, &crate::rules::RuleSet::builtin(), None, None);
    let (mut app, _) = app_with(FakeBackend::new(vec![audit]));
    app.step(&Action::Open);
    let pick = |app: &mut App, id: &str| {
        let r = app.report.as_mut().expect("open");
        r.field_sel = r.fields.iter().position(|f| f == id).unwrap_or_else(|| panic!("no field {id}"));
        r.span_from = Pane::Fields;
    };
    pick(&mut app, "t3.new.nonprofit");
    let buf = draw(&app, 120, 40);
    let s = lines(&buf);
    let title = s.iter().position(|l| l.contains("原文 表格（docx）")).unwrap_or_else(|| panic!("grid title: {s:#?}"));
    assert!(s[title].contains("28行×10列"), "{}", s[title]);
    // The row of 本年新收 with its cells, the selected one (社会公益组织: 2) reversed.
    let y = s.iter().position(|l| l.contains("一、本年新收") && l.contains("│64")).unwrap_or_else(|| panic!("row: {s:#?}"));
    assert_eq!(reversed_text(&buf, y as u16).trim(), "2");
    assert!(s[y].contains("│70"), "{}", s[y]);
    // Text fields still show the text.
    pick(&mut app, "year");
    let s = screen(&app, 120, 40);
    assert!(!s.iter().any(|l| l.contains("原文 表格")), "{s:#?}");
}
