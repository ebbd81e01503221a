//! Drawing. Reads [`App`] and draws; never changes state (scroll offsets kept in `Cell`s are
//! the one exception: they follow the selection and the window size).
//!
//! Only what is visible is laid out: the list draws its visible rows, the source pane its
//! visible lines and, of each line, only the columns that fit.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::model::{Severity, Status, display_opt};


use super::action::{Action, Group};
use super::app::{App, IDENTITY, OverviewTable, Pane, PromptKind, ReportState, Screen, field_text, open_counts, source_span};
use super::overview::report_group;
use super::backend::Entry;
use super::text::{char_width, fit, fit_right, one_line, truncate, width, wrap};

/// Styles, with a colourless variant for `NO_COLOR` that uses only modifiers.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub no_color: bool,
}

impl Theme {
    fn fg(&self, c: Color) -> Style {
        if self.no_color { Style::new() } else { Style::new().fg(c) }
    }
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn warning(&self) -> Style {
        if self.no_color { Style::new().add_modifier(Modifier::UNDERLINED) } else { self.fg(Color::Yellow) }
    }
    pub fn info(&self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn dim(&self) -> Style {
        if self.no_color { Style::new() } else { self.fg(Color::DarkGray) }
    }
    pub fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }
    pub fn highlight(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Error => self.error(),
            Severity::Warning => self.warning(),
            Severity::Info => self.info(),
        }
    }
    fn border(&self, focused: bool) -> (Style, BorderType) {
        if focused {
            (self.fg(Color::Cyan).add_modifier(Modifier::BOLD), BorderType::Thick)
        } else {
            (Style::new(), BorderType::Plain)
        }
    }
}

pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Error => "错误",
        Severity::Warning => "警告",
        Severity::Info => "提示",
    }
}

/// Status word with a symbol, so it reads without colour.
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Exact => "= 精确",
        Status::Ambiguous => "? 待定",
        Status::Corrected => "* 已更正",
        Status::Stale => "! 过期",
        Status::Conflict => "‼ 冲突",
    }
}

fn file_name(e: &Entry) -> String {
    let p = e.path();
    p.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| p.to_string_lossy().into_owned())
}

/// Draws the whole screen for the app's current state.
pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme { no_color: app.no_color };
    let area = frame.area();
    if area.width < 20 || area.height < 6 {
        frame.render_widget(Paragraph::new("窗口太小"), area);
        return;
    }
    let [body, status, bar] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1), Constraint::Length(1)]).areas(area);
    match app.screen {
        Screen::List => draw_list(frame, body, app, &theme),
        Screen::Report => match &app.report {
            Some(r) => draw_report(frame, body, app, r, &theme),
            None => draw_list(frame, body, app, &theme),
        },
        Screen::Overview => draw_overview(frame, body, app, &theme),
    }
    draw_status(frame, status, app, &theme);
    draw_command_bar(frame, bar, app, &theme);
    if app.help {
        draw_help(frame, area, app, &theme);
    }
    if app.prompt.is_some() {
        draw_prompt(frame, area, app, &theme);
    }
    if let Some(p) = &app.popup {
        draw_popup(frame, area, &p.title, &p.body, &theme);
    }
}

fn line(s: impl Into<String>, style: Style) -> Line<'static> {
    Line::from(Span::styled(s.into(), style))
}

// ---------------------------------------------------------------- list

/// Column widths of the list: (file, agency, group). Fixed columns take 32 cells; the group
/// column (with its separating space) appears from about 92 columns; narrower windows keep the
/// room for file and agency (the report header still names the group).
pub fn list_columns(w: usize) -> (usize, usize, usize) {
    let rest = w.saturating_sub(32);
    let group = if rest >= 60 { (rest / 6).clamp(6, 16) } else { 0 };
    let rest = rest - if group > 0 { group + 1 } else { 0 };
    let mut file = (rest * 2 / 5).max(8).min(rest);
    let mut agency = rest - file;
    if agency > 40 {
        file += agency - 40;
        agency = 40;
    }
    if agency < 4 {
        file = rest.saturating_sub(4);
        agency = rest - file;
    }
    (file, agency, group)
}

fn draw_list(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let be = app.backend();
    let (done, total) = be.progress();
    let w = usize::from(area.width);
    let head = format!(
        "年报审核  已审计 {done}/{total}  审核人 {}  日志 {}",
        be.reviewer(),
        be.log_path().display()
    );
    let mut filters = format!(
        "排序 {}  筛选 {}  模板 {}  规则 {}  搜索 {}",
        app.sort.label(),
        app.severity.label(),
        app.template.label(),
        app.rule.as_deref().unwrap_or("—"),
        if app.search.is_empty() { "—".to_string() } else { format!("“{}”", app.search) },
    );
    if let Some(g) = &app.group {
        filters.push_str(&format!("  分组 {}", g.label()));
    }
    if let Some(s) = app.state {
        filters.push_str(&format!("  状态 {}", s.label()));
    }
    filters.push_str(&format!("  显示 {}/{}", app.view().len(), total));
    let (fw, aw, gw) = list_columns(w);
    let group_head = if gw > 0 { format!("{} ", fit("分组", gw)) } else { String::new() };
    let header_row = format!(
        "{} {} {group_head}{} {} {} {} {} {}",
        fit("文件", fw),
        fit("机关", aw),
        fit("年度", 4),
        fit("模板", 6),
        fit_right("错", 3),
        fit_right("警", 3),
        fit_right("提", 3),
        fit("状态", 6)
    );
    let mut lines = vec![
        line(truncate(&one_line(&head), w).into_owned(), t.bold()),
        line(truncate(&one_line(&filters), w).into_owned(), Style::new()),
        line(header_row, t.bold().add_modifier(Modifier::UNDERLINED)),
    ];
    let rows = usize::from(area.height).saturating_sub(3);
    let view = app.view();
    let offset = scroll_offset(app.list.offset.get(), app.list.sel, rows, view.len());
    app.list.offset.set(offset);
    let entries = be.entries();
    for (pos, &ei) in view.iter().enumerate().skip(offset).take(rows) {
        let Some(e) = entries.get(ei) else { continue };
        let mut l = list_row(e, (fw, aw, gw), w, t);
        if pos == app.list.sel {
            l = l.patch_style(t.selected(true));
        }
        lines.push(l);
    }
    if view.is_empty() {
        let msg = if total == 0 { "没有报告" } else { "没有符合筛选条件的报告（Esc 清除搜索，f/t/F 调整筛选）" };
        lines.push(line(msg, t.dim()));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn list_row(e: &Entry, (fw, aw, gw): (usize, usize, usize), w: usize, t: &Theme) -> Line<'static> {
    let file = fit(&one_line(&file_name(e)), fw);
    let Some(a) = e.audit() else {
        return Line::from(vec![Span::raw(file), Span::raw(" "), Span::styled(fit("…", aw), t.dim())]);
    };
    if let Some(err) = &a.error {
        let rest = w.saturating_sub(fw + 1);
        return Line::from(vec![
            Span::raw(file),
            Span::raw(" "),
            Span::styled(fit(&one_line(&format!("读取失败：{err}")), rest), t.error()),
        ]);
    }
    let (e_, w_, i_) = open_counts(a);
    let count = |n: usize, style: Style| {
        Span::styled(fit_right(&n.to_string(), 3), if n > 0 { style } else { Style::new() })
    };
    let mut spans = vec![
        Span::raw(file),
        Span::raw(" "),
        Span::raw(fit(&one_line(&field_text(a, "agency")), aw)),
        Span::raw(" "),
    ];
    if gw > 0 {
        spans.push(Span::styled(fit(&one_line(report_group(a).unwrap_or("")), gw), t.dim()));
        spans.push(Span::raw(" "));
    }
    spans.extend([
        Span::raw(fit(&one_line(&field_text(a, "year")), 4)),
        Span::raw(" "),
        Span::raw(fit(&one_line(&field_text(a, "template")), 6)),
        Span::raw(" "),
        count(e_, t.error()),
        Span::raw(" "),
        count(w_, t.warning()),
        Span::raw(" "),
        count(i_, t.info()),
        Span::raw(" "),
        if a.conflicts.is_empty() {
            Span::raw(fit(a.review_state().label(), 6))
        } else {
            Span::styled(fit(&format!("冲突{}", a.conflicts.len()), 6), t.error())
        },
    ]);
    Line::from(spans)
}

/// First visible row so that `sel` stays in a window of `rows`.
fn scroll_offset(prev: usize, sel: usize, rows: usize, len: usize) -> usize {
    if rows == 0 {
        return sel;
    }
    let mut off = prev.min(len.saturating_sub(1));
    if sel < off {
        off = sel;
    } else if sel >= off + rows {
        off = sel + 1 - rows;
    }
    // Use the space when the list shrank.
    if len >= rows && off + rows > len {
        off = len - rows;
    }
    off
}

// ---------------------------------------------------------------- overview

/// One table of the overview: a bordered block, a header row and the visible rows.
struct Table<'a> {
    title: String,
    /// Column headings and widths; the first column takes the room the others leave.
    cols: &'a [(&'a str, usize)],
    len: usize,
    sel: usize,
    focused: bool,
    offset: &'a std::cell::Cell<usize>,
}

impl Table<'_> {
    fn draw(&self, frame: &mut Frame, area: Rect, t: &Theme, row: impl Fn(usize) -> Vec<String>) {
        let block = pane_block(self.title.clone(), self.focused, t);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let iw = usize::from(inner.width);
        let fixed: usize = self.cols.iter().skip(1).map(|(_, w)| w + 1).sum();
        let first = iw.saturating_sub(fixed).max(4);
        let cell = |k: usize, s: &str| {
            if k == 0 { fit(&one_line(s), first) } else { format!(" {}", fit_right(&one_line(s), self.cols[k].1)) }
        };
        let head: String = self.cols.iter().enumerate().map(|(k, (h, _))| cell(k, h)).collect();
        let mut lines = vec![line(head, t.bold().add_modifier(Modifier::UNDERLINED))];
        let h = usize::from(inner.height).saturating_sub(1);
        let off = scroll_offset(self.offset.get(), self.sel, h, self.len);
        self.offset.set(off);
        for i in (off..self.len).take(h) {
            let text: String = row(i).iter().enumerate().map(|(k, s)| cell(k, s)).collect();
            let mut l = line(text, Style::new());
            if i == self.sel {
                l = l.patch_style(t.selected(self.focused));
            }
            lines.push(l);
        }
        if self.len == 0 {
            lines.push(line("（无）", t.dim()));
        }
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

fn draw_overview(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let (done, total) = app.backend().progress();
    let head = format!("批次概览  {total} 份报告  已审计 {done}/{total}  Enter 按所选行筛选列表");
    let [head_area, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(line(truncate(&head, usize::from(area.width)).into_owned(), t.bold())), head_area);
    let Some(o) = app.overview_data() else {
        frame.render_widget(Paragraph::new(line("正在统计…", t.dim())), body);
        return;
    };
    let [left, right] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    let progress = o.progress.rows();
    let ph = (progress.len() as u16 + 3).min(right.height / 2).max(3);
    let [groups_area, progress_area] = Layout::vertical([Constraint::Min(3), Constraint::Length(ph)]).areas(right);
    let st = &app.overview;
    let table = |which: OverviewTable, title: String, cols, len| Table {
        title,
        cols,
        len,
        sel: st.sel[which.index()],
        focused: st.table == which,
        offset: &st.offset[which.index()],
    };
    table(
        OverviewTable::Rules,
        format!("按规则 {} 条", o.rules.len()),
        &[("规则", 0), ("问题", 6), ("确认", 5), ("驳回", 5), ("未处理", 6)],
        o.rules.len(),
    )
    .draw(frame, left, t, |i| {
        let r = &o.rules[i];
        vec![r.rule.clone(), r.count.to_string(), r.confirmed.to_string(), r.dismissed.to_string(), r.open.to_string()]
    });
    table(
        OverviewTable::Groups,
        format!("按分组与年度 {} 组", o.groups.len()),
        &[("分组", 0), ("年度", 4), ("报告", 5), ("错", 5), ("警", 5)],
        o.groups.len(),
    )
    .draw(frame, groups_area, t, |i| {
        let g = &o.groups[i];
        vec![
            g.key.group.clone().unwrap_or_else(|| "(机关未识别)".to_string()),
            g.key.year.map(|y| y.to_string()).unwrap_or_else(|| "?".to_string()),
            g.reports.to_string(),
            g.errors.to_string(),
            g.warnings.to_string(),
        ]
    });
    table(OverviewTable::Progress, "审核进度".to_string(), &[("项目", 0), ("数量", 12)], progress.len())
        .draw(frame, progress_area, t, |i| vec![progress[i].label.to_string(), progress[i].value.clone()]);
}

// ---------------------------------------------------------------- report

fn draw_report(frame: &mut Frame, area: Rect, app: &App, r: &ReportState, t: &Theme) {
    let a = &r.audit;
    let entries = app.backend().entries();
    let pos = app.view().iter().position(|&i| i == r.entry).map(|p| p + 1);
    let (e_, w_, i_) = open_counts(a);
    let file = entries.get(r.entry).map(file_name).unwrap_or_default();
    let head = format!(
        "{}  {} {}  模板 {}  {}  错{e_} 警{w_} 提{i_}  第 {}/{} 份",
        file,
        field_text(a, "agency"),
        field_text(a, "year"),
        field_text(a, "template"),
        a.review_state().label(),
        pos.map(|p| p.to_string()).unwrap_or_else(|| "-".to_string()),
        app.view().len(),
    );
    let head = match report_group(a) {
        Some(g) => format!("{head}  分组 {g}"),
        None => head,
    };
    let aw = usize::from(area.width);
    let mut head_lines = vec![line(truncate(&one_line(&head), aw).into_owned(), t.bold())];
    if let Some(p) = &a.prev {
        let s = format!("上年报告：{} 年度  {}", p.year, p.path.display());
        head_lines.push(line(truncate(&one_line(&s), aw).into_owned(), t.dim()));
    }
    // Log records kept for another version of this report: shown, never applied.
    const STALE_SHOWN: usize = 3;
    for n in a.stale.iter().take(STALE_SHOWN) {
        let s = format!("! 过期记录 {}：{}", n.target, n.message);
        head_lines.push(line(truncate(&one_line(&s), aw).into_owned(), t.error()));
    }
    if a.stale.len() > STALE_SHOWN {
        head_lines.push(line(format!("! 另有 {} 条过期记录", a.stale.len() - STALE_SHOWN), t.error()));
    }
    // The panes need room: the header never takes more than a quarter of the screen.
    let head_h = (head_lines.len() as u16).min((area.height / 4).max(1));
    let [head_area, body] = Layout::vertical([Constraint::Length(head_h), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(head_lines), head_area);
    if let Some(err) = &a.error {
        let w = usize::from(body.width).saturating_sub(2);
        let lines: Vec<Line> = wrap(&one_line(&format!("报告无法审计：{err}")), w, usize::from(body.height))
            .into_iter()
            .map(|s| line(s, t.error()))
            .collect();
        frame.render_widget(Paragraph::new(lines).block(Block::bordered()), body);
        return;
    }
    let top_h = (body.height * 55 / 100).max(8).min(body.height.saturating_sub(3));
    let [top, source] = Layout::vertical([Constraint::Length(top_h), Constraint::Min(3)]).areas(body);
    let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    let cands = r.field().filter(|f| f.status.is_uncertain() && !f.candidates.is_empty());
    let (fields_area, cand_area) = match cands {
        Some(f) if left.height >= 9 => {
            let h = (f.candidates.len().min(9) as u16 + 2).min(left.height / 2);
            let [a, b] = Layout::vertical([Constraint::Min(3), Constraint::Length(h)]).areas(left);
            (a, Some(b))
        }
        _ => (left, None),
    };
    draw_fields(frame, fields_area, r, t);
    if let (Some(ca), Some(f)) = (cand_area, cands) {
        let w = usize::from(ca.width).saturating_sub(2);
        let (lines, title) = match row_readings(r, f) {
            // A cell of an ambiguous row: the row's readings, whole.
            Some(rows) => {
                let lines: Vec<Line> = rows
                    .iter()
                    .take(9)
                    .enumerate()
                    .map(|(i, text)| Line::from(vec![Span::styled(format!("{} ", i + 1), t.key()), Span::raw(truncate(&one_line(text), w.saturating_sub(2)).into_owned())]))
                    .collect();
                (lines, "整行读法（数字选定整行，Alt+数字只选本格）")
            }
            None => {
                let lines: Vec<Line> = f
                    .candidates
                    .iter()
                    .take(9)
                    .enumerate()
                    .map(|(i, c)| {
                        let note = c.note.as_deref().map(|n| format!("  {n}")).unwrap_or_default();
                        Line::from(vec![
                            Span::styled(format!("{} ", i + 1), t.key()),
                            Span::raw(truncate(&one_line(&format!("{}{note}", display_opt(&c.value))), w.saturating_sub(2)).into_owned()),
                        ])
                    })
                    .collect();
                (lines, "候选值（按数字选定）")
            }
        };
        frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(title)), ca);
    }
    draw_findings(frame, right, r, t);
    draw_source(frame, source, r, t);
}

fn pane_block(title: String, focused: bool, t: &Theme) -> Block<'static> {
    let (style, kind) = t.border(focused);
    Block::bordered().border_type(kind).border_style(style).title(Span::styled(title, if focused { t.bold() } else { Style::new() }))
}

fn group_of(id: &str) -> String {
    if IDENTITY.contains(&id) {
        return "基本信息".to_string();
    }
    let prefix = id.split('.').next().unwrap_or(id);
    let name = match prefix {
        "t1" => "表一",
        "t2" => "表二",
        "t3" => "表三",
        "t4" => "表四",
        "legacy" => "旧模板",
        "agency" => "机关",
        "apply" => "申请",
        "narr" => "叙述",
        "part" => "章节",
        "batch" => "批次",
        _ => "",
    };
    if name.is_empty() { prefix.to_string() } else { format!("{name} {prefix}.") }
}

fn draw_fields(frame: &mut Frame, area: Rect, r: &ReportState, t: &Theme) {
    let focused = r.focus == Pane::Fields;
    let block = pane_block(format!("字段 {}/{}", (r.field_sel + 1).min(r.fields.len()), r.fields.len()), focused, t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Rows: group headings interleaved with fields.
    let mut rows: Vec<Option<usize>> = Vec::with_capacity(r.fields.len() + 8);
    let mut sel_row = 0;
    let mut last_group = String::new();
    for (i, id) in r.fields.iter().enumerate() {
        let g = group_of(id);
        if g != last_group {
            rows.push(None);
            last_group = g;
        }
        if i == r.field_sel {
            sel_row = rows.len();
        }
        rows.push(Some(i));
    }
    let iw = usize::from(inner.width);
    let prev = r.audit.prev.as_ref();
    // Below the rows: the selected field's note, last year's value and raw text.
    let detail_h: u16 = if inner.height >= 10 { 3 } else { 0 };
    let head_h: u16 = if prev.is_some() && inner.height >= 6 { 1 } else { 0 };
    let [head_area, rows_area, detail_area] =
        Layout::vertical([Constraint::Length(head_h), Constraint::Min(1), Constraint::Length(detail_h)]).areas(inner);
    let h = usize::from(rows_area.height);
    let off = scroll_offset(r.field_offset.get(), sel_row, h, rows.len());
    r.field_offset.set(off);
    let rest = iw.saturating_sub(8 + 3);
    let lw = (rest * 3 / 10).max(4);
    let idw = (rest * 3 / 10).max(4);
    let mut vw = rest.saturating_sub(lw + idw);
    // Last year's column shares the value column's room.
    let pw = if prev.is_some() { vw * 2 / 5 } else { 0 };
    if pw > 0 {
        vw = vw.saturating_sub(pw + 1);
    }
    if head_h > 0 {
        let mut s = format!("{} {} {}", fit("名称", lw), fit("字段", idw), fit("本年", vw));
        if pw > 0 {
            s.push_str(&format!(" {}", fit("上年", pw)));
        }
        s.push_str(&format!(" {}", fit("状态", 8)));
        frame.render_widget(Paragraph::new(line(s, t.dim().add_modifier(Modifier::UNDERLINED))), head_area);
    }
    let mut lines = Vec::with_capacity(h);
    for row in rows.iter().skip(off).take(h) {
        match row {
            None => {
                // The heading of the group of the field that follows.
                let next = rows.iter().skip(off + lines.len() + 1).flatten().next();
                let g = next.map(|&i| group_of(&r.fields[i])).unwrap_or_default();
                lines.push(line(fit(&g, iw), t.bold().add_modifier(Modifier::UNDERLINED)));
            }
            Some(i) => {
                let Some(f) = r.audit.field(&r.fields[*i]) else { continue };
                let st_style = match f.status {
                    Status::Ambiguous => t.warning(),
                    Status::Stale | Status::Conflict => t.error(),
                    Status::Corrected => t.ok(),
                    Status::Exact => Style::new(),
                };
                let mut spans = vec![
                    Span::raw(fit(&one_line(&f.label), lw)),
                    Span::raw(" "),
                    Span::styled(fit(&one_line(&f.id), idw), t.dim()),
                    Span::raw(" "),
                    Span::raw(fit(&one_line(&f.display_value()), vw)),
                    Span::raw(" "),
                ];
                if pw > 0 {
                    let pv = prev.and_then(|p| p.fields.get(&f.id)).map(|pf| pf.display_value()).unwrap_or_default();
                    spans.push(Span::styled(fit(&one_line(&pv), pw), t.info()));
                    spans.push(Span::raw(" "));
                }
                spans.push(Span::styled(fit(status_label(f.status), 8), st_style));
                let mut l = Line::from(spans);
                if *i == r.field_sel {
                    l = l.patch_style(t.selected(focused));
                }
                lines.push(l);
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), rows_area);
    if detail_h > 0
        && let Some(f) = r.field()
    {
        let mut lines: Vec<Line> = vec![line("─".repeat(iw), t.dim())];
        lines.extend(wrap(&one_line(&field_detail(r, f)), iw, 2).into_iter().map(|s| line(s, Style::new())));
        frame.render_widget(Paragraph::new(lines), detail_area);
    }
}

/// The readings of the selected cell's row, each as "列 值 · 列 值", the selected cell's column
/// marked; `None` for a field outside an ambiguous row.
pub fn row_readings(r: &ReportState, f: &crate::model::Field) -> Option<Vec<String>> {
    let j = f.joint.as_ref().filter(|j| j.readings.len() > 1)?;
    let col = |id: &str| r.audit.fields.get(id).map_or(id.to_string(), |g| g.label.rsplit_once('·').map_or(g.label.clone(), |(_, c)| c.to_string()));
    Some(
        j.readings
            .iter()
            .map(|reading| {
                j.fields
                    .iter()
                    .zip(reading)
                    .map(|(id, v)| if *id == f.id { format!("[{} {}]", col(id), display_opt(v)) } else { format!("{} {}", col(id), display_opt(v)) })
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .collect(),
    )
}

/// What the fields pane says under its rows about the selected field: how it was settled or
/// why it is uncertain (`Field::note`), last year's value, and the text it was read from.
pub fn field_detail(r: &ReportState, f: &crate::model::Field) -> String {
    let mut parts = Vec::new();
    if let Some(n) = f.note.as_deref().filter(|n| !n.is_empty()) {
        parts.push(format!("说明：{n}"));
    }
    if let Some(b) = &f.settled_by {
        parts.push(format!("确定依据：{b}"));
    }
    if let Some(p) = &r.audit.prev
        && let Some(pf) = p.fields.get(&f.id)
    {
        parts.push(format!("上年（{}）：{}", p.year, pf.display_value()));
    }
    if !f.raw.is_empty() {
        parts.push(format!("原文：{}", f.raw));
    }
    if parts.is_empty() {
        format!("{}（{}）", f.label, f.id)
    } else {
        parts.join("  ")
    }
}

pub fn decision_label(f: &crate::model::Finding) -> &'static str {
    match &f.decision {
        None => "未处理",
        Some(d) => match (d.verdict, d.stale) {
            (crate::model::Verdict::Confirmed, false) => "已确认",
            (crate::model::Verdict::Dismissed, false) => "已驳回",
            (crate::model::Verdict::Confirmed, true) => "已确认!",
            (crate::model::Verdict::Dismissed, true) => "已驳回!",
        },
    }
}

fn draw_findings(frame: &mut Frame, area: Rect, r: &ReportState, t: &Theme) {
    let focused = r.focus == Pane::Findings;
    let open = r.audit.open_findings().count();
    let block = pane_block(format!("问题 {} 未处理/{}", open, r.audit.findings.len()), focused, t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let iw = usize::from(inner.width);
    let detail_h = if inner.height >= 7 { 3 } else { 0 };
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(detail_h)]).areas(inner);
    let h = usize::from(list_area.height);
    let findings = &r.audit.findings;
    if findings.is_empty() {
        frame.render_widget(Paragraph::new(line("没有问题", t.dim())), list_area);
        return;
    }
    let off = scroll_offset(r.finding_offset.get(), r.finding_sel, h, findings.len());
    r.finding_offset.set(off);
    // Who decided is shown beside the decision; a narrow pane keeps only the word.
    let dw = if iw >= 60 { 14 } else { 7 };
    let rest = iw.saturating_sub(4 + dw + 3);
    let rw = (rest * 2 / 5).max(6).min(rest);
    let mw = rest - rw;
    let mut lines = Vec::with_capacity(h);
    for (i, f) in findings.iter().enumerate().skip(off).take(h) {
        let conflict = r.audit.finding_conflict(&f.key);
        let (word, style) = match (conflict, &f.decision) {
            (Some(c), _) => (format!("冲突 {}", c.brief()), t.error()),
            (None, Some(d)) => (format!("{} {}", decision_label(f), d.reviewer), t.dim()),
            (None, None) => (decision_label(f).to_string(), t.bold()),
        };
        let mut l = Line::from(vec![
            Span::styled(fit(severity_label(f.severity), 4), t.severity(f.severity)),
            Span::raw(" "),
            Span::raw(fit(&one_line(&f.rule), rw)),
            Span::raw(" "),
            Span::raw(fit(&one_line(&f.message), mw)),
            Span::raw(" "),
            Span::styled(fit(&one_line(&word), dw), style),
        ]);
        if i == r.finding_sel {
            l = l.patch_style(t.selected(focused));
        }
        lines.push(l);
    }
    frame.render_widget(Paragraph::new(lines), list_area);
    if detail_h > 0
        && let Some(f) = r.finding()
    {
        let mut text = f.message.clone();
        if let Some(c) = r.audit.finding_conflict(&f.key) {
            let sides: Vec<String> = c
                .sides
                .iter()
                .map(|s| if s.note.is_empty() { format!("{} 于 {} {}", s.reviewer, s.ts, s.value) } else { format!("{} 于 {} {}（{}）", s.reviewer, s.ts, s.value, s.note) })
                .collect();
            text.push_str(&format!("  冲突：{}；按 c / d 定夺", sides.join("；")));
        } else if let Some(d) = &f.decision {
            text.push_str(&format!("（{} {} 于 {}", decision_label(f), d.reviewer, d.ts));
            if !d.note.is_empty() {
                text.push_str(&format!("，备注：{}", d.note));
            }
            text.push('）');
        }
        let mut lines: Vec<Line> = vec![line("─".repeat(iw), t.dim())];
        lines.extend(wrap(&one_line(&text), iw, 2).into_iter().map(|s| line(s, Style::new())));
        frame.render_widget(Paragraph::new(lines), detail_area);
    }
}

fn draw_source(frame: &mut Frame, area: Rect, r: &ReportState, t: &Theme) {
    if let Some((grid, cell)) = super::app::source_cell(r) {
        draw_grid(frame, area, r, grid, cell, t);
        return;
    }
    let focused = r.focus == Pane::Source;
    let text: &str = &r.audit.text;
    let starts = &r.line_starts;
    let span = source_span(r);
    let span_line = super::app::span_line(r);
    let title = match span {
        Some(_) => format!("原文 第{}行  {}", span_line + 1, r.audit.encoding),
        None => format!("原文  {}", r.audit.encoding),
    };
    let block = pane_block(title, focused, t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let h = usize::from(inner.height);
    let total = starts.len();
    let top = r
        .source_top
        .unwrap_or_else(|| span_line.saturating_sub(h / 3))
        .min(total.saturating_sub(1));
    let gutter = total.to_string().len();
    let avail = usize::from(inner.width).saturating_sub(gutter + 1);
    // Horizontal shift (display columns) so that the span's start is in view on long lines.
    let hoff = match span {
        Some((s, e)) => {
            let ls = starts[span_line];
            let col: usize = text[ls..s].chars().map(char_width).sum();
            let span_w: usize = text[s..e].chars().take(avail).map(char_width).sum();
            if col + span_w.min(avail / 2) < avail { 0 } else { col.saturating_sub(avail / 3) }
        }
        None => 0,
    };
    let mut lines = Vec::with_capacity(h);
    for li in top..(top + h).min(total) {
        let ls = starts[li];
        let le = starts.get(li + 1).map(|&n| n - 1).unwrap_or(text.len());
        let mut spans = vec![Span::styled(format!("{:>gutter$} ", li + 1), t.dim())];
        spans.extend(source_line(text, ls, le, hoff, avail, span, t));
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A table the source really has, drawn as a grid with the selected field's cell highlighted:
/// the rows around it, columns as wide as their widest cell allows, label columns cut first.
fn draw_grid(frame: &mut Frame, area: Rect, r: &ReportState, g: &crate::load::SourceTable, at: (usize, usize), t: &Theme) {
    let focused = r.focus == Pane::Source;
    let line_no = r.line_starts.partition_point(|&s| s <= g.rows[at.0][at.1].start).max(1);
    let title = format!("原文 表格（{}）第{}行  {}行×{}列", g.origin.name(), line_no, g.rows.len(), g.columns());
    let block = pane_block(title, focused, t);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let avail = usize::from(inner.width);
    let h = usize::from(inner.height);
    let ncols = g.columns();
    if ncols == 0 || h == 0 {
        return;
    }
    let shown = |c: &crate::load::SourceCell| -> String {
        if c.merged { String::new() } else if c.blank { "·".to_string() } else { one_line(&c.text).into_owned() }
    };
    // Widest cell per column, then shrink the widest columns until the row fits.
    let mut widths: Vec<usize> = (0..ncols)
        .map(|c| g.rows.iter().filter_map(|row| row.get(c)).map(|x| width(&shown(x))).max().unwrap_or(1).clamp(1, 24))
        .collect();
    let seps = ncols.saturating_sub(1);
    while widths.iter().sum::<usize>() + seps > avail {
        let Some((i, &w)) = widths.iter().enumerate().max_by_key(|(_, w)| **w) else { break };
        if w <= 1 {
            break;
        }
        widths[i] = w - 1;
    }
    let top = at.0.saturating_sub(h / 3).min(g.rows.len().saturating_sub(h));
    let mut lines = Vec::with_capacity(h);
    for (ri, row) in g.rows.iter().enumerate().skip(top).take(h) {
        let mut spans = Vec::with_capacity(ncols * 2);
        for (ci, cell) in row.iter().enumerate() {
            if ci > 0 {
                spans.push(Span::styled("│", t.dim()));
            }
            let text = fit(&shown(cell), widths[ci]);
            let style = if (ri, ci) == at {
                t.highlight()
            } else if ri < g.header_rows {
                t.dim()
            } else {
                Style::new()
            };
            spans.push(Span::styled(text, style));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One visible line of report text, cut to `avail` columns after skipping `hoff` columns, with
/// the highlighted byte range reversed. Characters are sanitized one by one.
fn source_line(
    text: &str,
    ls: usize,
    le: usize,
    hoff: usize,
    avail: usize,
    span: Option<(usize, usize)>,
    t: &Theme,
) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_hl = false;
    let mut skipped = 0;
    let mut used = 0;
    let line = text.get(ls..le).unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    for (bi, c) in line.char_indices() {
        let c = super::text::sanitize_char(c);
        let cw = char_width(c);
        if skipped < hoff {
            skipped += cw;
            if skipped > hoff {
                // A wide glyph straddled the cut: keep the columns aligned.
                cur.push(' ');
                used += 1;
            }
            continue;
        }
        if used + cw > avail {
            break;
        }
        let at = ls + bi;
        let hl = span.is_some_and(|(s, e)| at >= s && at < e);
        if hl != cur_hl && !cur.is_empty() {
            let style = if cur_hl { t.highlight() } else { Style::new() };
            out.push(Span::styled(std::mem::take(&mut cur), style));
        }
        cur_hl = hl;
        cur.push(c);
        used += cw;
    }
    if !cur.is_empty() {
        out.push(Span::styled(cur, if cur_hl { t.highlight() } else { Style::new() }));
    }
    out
}

// ---------------------------------------------------------------- bars

fn draw_status(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let w = usize::from(area.width);
    let l = match &app.status {
        Some(s) => line(
            truncate(&one_line(&s.text), w).into_owned(),
            if s.error { t.error() } else { t.ok() },
        ),
        None => line(format!("{} 帮助", app.keymap.keys_label(Action::Help)), t.dim()),
    };
    frame.render_widget(Paragraph::new(l), area);
}

/// The most relevant keys for the current screen, from the live key map.
pub fn command_items(app: &App) -> Vec<(String, String)> {
    if let Some(p) = &app.prompt {
        let enter = match &p.kind {
            PromptKind::Edit { value: None, .. } => "下一步",
            PromptKind::Search | PromptKind::RuleFilter => "完成",
            PromptKind::FieldSearch { .. } => "选定",
            _ => "保存",
        };
        return vec![("Enter".into(), enter.into()), ("Esc".into(), "取消".into())];
    }
    if app.popup.is_some() {
        return vec![("任意键".into(), "关闭".into())];
    }
    let km = &app.keymap;
    let first = |a: Action| km.keys(a).first().map(|k| k.display());
    let mut items: Vec<(String, String)> = Vec::new();
    let push = |items: &mut Vec<(String, String)>, a: Action, label: Option<&str>| {
        if let Some(k) = first(a) {
            items.push((k, label.map(str::to_string).unwrap_or_else(|| a.short())));
        }
    };
    if app.help {
        push(&mut items, Action::Help, Some("关闭帮助"));
        return items;
    }
    let pair = |a: Action, b: Action| match (first(a), first(b)) {
        (Some(x), Some(y)) => Some(format!("{x}/{y}")),
        (x, y) => x.or(y),
    };
    match app.screen {
        Screen::List => {
            push(&mut items, Action::Open, None);
            if let Some(k) = pair(Action::NextOpen, Action::PrevOpen) {
                items.push((k, Action::NextOpen.short()));
            }
            for a in [Action::Search, Action::CycleSeverity, Action::CycleTemplate, Action::RuleFilter, Action::CycleSort] {
                push(&mut items, a, None);
            }
            push(&mut items, Action::Overview, None);
            push(&mut items, Action::Help, None);
            push(&mut items, Action::Quit, None);
        }
        Screen::Overview => {
            push(&mut items, Action::Open, Some("筛选列表"));
            push(&mut items, Action::FocusNext, Some("切换表"));
            if let Some(k) = pair(Action::Down, Action::Up) {
                items.push((k, Action::Down.short()));
            }
            push(&mut items, Action::Back, None);
            push(&mut items, Action::Help, None);
        }
        Screen::Report => {
            let ambiguous = app
                .report
                .as_ref()
                .and_then(|r| r.field())
                .is_some_and(|f| f.status.is_uncertain());
            push(&mut items, Action::Edit, None);
            if ambiguous {
                let f = app.report.as_ref().and_then(|r| r.field());
                let n = f.map(|f| f.joint.as_ref().map_or(f.candidates.len(), |j| j.readings.len()).min(9)).unwrap_or(0);
                let keys: Vec<String> = (1..=n as u8).filter_map(|i| first(Action::Settle(i))).collect();
                if let (Some(a), Some(b)) = (keys.first(), keys.last()) {
                    let k = if a == b { a.clone() } else { format!("{a}-{b}") };
                    let whole = f.is_some_and(|f| f.joint.as_ref().is_some_and(|j| j.readings.len() > 1));
                    items.push((k, if whole { Action::Settle(1).short() } else { "选候选".to_string() }));
                }
            }
            push(&mut items, Action::Confirm, None);
            push(&mut items, Action::Dismiss, None);
            if let Some(k) = pair(Action::NextOpen, Action::PrevOpen) {
                items.push((k, Action::NextOpen.short()));
            }
            push(&mut items, Action::Undo, None);
            push(&mut items, Action::FocusNext, None);
            push(&mut items, Action::EditRule, None);
            push(&mut items, Action::Help, None);
            push(&mut items, Action::Quit, Some("返回"));
        }
    }
    items
}

fn draw_command_bar(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let w = usize::from(area.width);
    let mut spans = Vec::new();
    let mut used = 0;
    for (k, label) in command_items(app) {
        let k = one_line(&k).into_owned();
        let need = width(&k) + 1 + width(&label) + 2;
        if used + need > w + 2 {
            break;
        }
        if used > 0 {
            spans.push(Span::raw("  "));
        }
        used += need;
        spans.push(Span::styled(k, t.key()));
        spans.push(Span::raw(format!(" {label}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

// ---------------------------------------------------------------- overlays

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// Blanks `rect` for a popup. A wide glyph whose left half lies just outside the popup would
/// otherwise still cover the popup's first column (the terminal draws both halves), so it is
/// blanked too.
pub fn clear_popup(buf: &mut Buffer, rect: Rect) {
    let rect = rect.intersection(buf.area);
    for y in rect.top()..rect.bottom() {
        for x in rect.left()..rect.right() {
            buf[(x, y)].reset();
        }
        if rect.left() > buf.area.left() {
            let c = &mut buf[(rect.left() - 1, y)];
            if width(c.symbol()) > 1 {
                c.set_symbol(" ");
            }
        }
    }
}

fn help_lines(app: &App, t: &Theme) -> Vec<Vec<Line<'static>>> {
    let km = &app.keymap;
    let mut groups: Vec<(Group, Vec<Line<'static>>)> = Vec::new();
    let mut settle_keys: Vec<String> = Vec::new();
    let mut cell_keys: Vec<String> = Vec::new();
    // Nine keys in a row shown as a range: "1-9", "Alt-1-Alt-9".
    let range = |keys: &[String], prefix: &str| {
        let plain: Vec<String> = (1..=9).map(|n| format!("{prefix}{n}")).collect();
        if keys == plain.as_slice() { format!("{prefix}1-{prefix}9") } else { keys.join(" ") }
    };
    for (a, keys) in km.bindings() {
        if keys.is_empty() {
            continue;
        }
        if let Action::Settle(_) = a {
            settle_keys.push(keys.iter().map(|k| k.display()).collect::<Vec<_>>().join("/"));
            if *a != Action::Settle(9) {
                continue;
            }
        }
        if let Action::SettleCell(_) = a {
            cell_keys.push(keys.iter().map(|k| k.display()).collect::<Vec<_>>().join("/"));
            if *a != Action::SettleCell(9) {
                continue;
            }
        }
        let (k, d) = match a {
            Action::Settle(_) => (range(&settle_keys, ""), "选定整行读法（或候选值）".to_string()),
            Action::SettleCell(_) => (range(&cell_keys, "Alt-"), "只选定本格候选值".to_string()),
            _ => (km.keys_label(*a), a.description()),
        };
        let l = Line::from(vec![Span::styled(fit(&k, 13), t.key()), Span::raw(" "), Span::raw(d)]);
        match groups.iter_mut().find(|(g, _)| *g == a.group()) {
            Some((_, v)) => v.push(l),
            None => groups.push((a.group(), vec![l])),
        }
    }
    // Settle keys that were rebound away from settle_9 still deserve a line.
    groups.sort_by_key(|(g, _)| *g);
    groups
        .into_iter()
        .map(|(g, mut v)| {
            v.insert(0, line(g.label(), t.bold().add_modifier(Modifier::UNDERLINED)));
            v
        })
        .collect()
}

fn draw_help(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let rect = centered(area, area.width.saturating_sub(2).min(100), area.height);
    clear_popup(frame.buffer_mut(), rect);
    let block = Block::bordered().title(Span::styled("帮助（按键来自当前按键设置）", t.bold()));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let groups = help_lines(app, t);
    let total: usize = groups.iter().map(|g| g.len() + 1).sum();
    let h = usize::from(inner.height);
    if total <= h || inner.width < 60 {
        let lines: Vec<Line> = groups.into_iter().flat_map(|mut g| {
            g.push(Line::raw(""));
            g
        }).take(h).collect();
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    // Two columns, split at a group boundary near the middle.
    let mut left = Vec::new();
    let mut right = Vec::new();
    for mut g in groups {
        g.push(Line::raw(""));
        if left.len() + g.len() <= total.div_ceil(2) + 2 && right.is_empty() {
            left.extend(g);
        } else {
            right.extend(g);
        }
    }
    let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(right), r);
}

fn draw_prompt(frame: &mut Frame, area: Rect, app: &App, t: &Theme) {
    let Some(p) = &app.prompt else { return };
    let rect = centered(area, area.width.saturating_sub(4).min(72), 6);
    clear_popup(frame.buffer_mut(), rect);
    let w = usize::from(rect.width).saturating_sub(2);
    let block = Block::bordered().title(Span::styled(truncate(&one_line(&p.title()), w).into_owned(), t.bold()));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [ctx, input, check, hint] = Layout::vertical([Constraint::Length(1); 4]).areas(inner);
    let context = match &p.kind {
        PromptKind::Edit { old, value: None, .. } => format!("原值：{old}"),
        PromptKind::Edit { old, value: Some(v), .. } => {
            format!("{old} → {}", if v.is_empty() { "(空)" } else { v.as_str() })
        }
        PromptKind::Note { .. } => "备注会与决定一起写入日志".to_string(),
        PromptKind::Search => format!("{} 份报告符合", app.view().len()),
        PromptKind::RuleFilter => "例如 table3.balance 或 table3".to_string(),
        PromptKind::FieldSearch { .. } => match app.report.as_ref().and_then(|r| r.field()) {
            Some(f) => format!("当前：{} {}", f.id, f.label),
            None => String::new(),
        },
    };
    frame.render_widget(Paragraph::new(line(truncate(&one_line(&context), w).into_owned(), t.dim())), ctx);
    frame.render_widget(&p.input, input);
    let check_line = match &p.error {
        Some(e) => line(truncate(&one_line(&format!("✗ {e}")), w).into_owned(), t.error()),
        None => match &p.kind {
            PromptKind::Edit { value: None, .. } => line("✓ 格式正确", t.ok()),
            _ => Line::raw(""),
        },
    };
    frame.render_widget(Paragraph::new(check_line), check);
    let next = match &p.kind {
        PromptKind::Edit { value: None, .. } => "Enter 下一步（填写理由）  Esc 取消",
        PromptKind::Edit { .. } => "Enter 保存  Esc 取消",
        PromptKind::Search | PromptKind::RuleFilter => "Enter 完成  Esc 清除",
        PromptKind::FieldSearch { .. } => "Enter 选定  Esc 回到原字段",
        PromptKind::Note { .. } => "Enter 保存  Esc 取消",
    };
    frame.render_widget(Paragraph::new(line(next, t.dim())), hint);
}

fn draw_popup(frame: &mut Frame, area: Rect, title: &str, body: &str, t: &Theme) {
    let w = area.width.saturating_sub(4).min(76);
    let iw = usize::from(w).saturating_sub(2);
    let mut lines: Vec<Line> = wrap(&one_line(body), iw, 8).into_iter().map(|s| line(s, Style::new())).collect();
    lines.push(Line::raw(""));
    lines.push(line("按任意键关闭", t.dim()));
    let rect = centered(area, w, lines.len() as u16 + 2);
    clear_popup(frame.buffer_mut(), rect);
    let block = Block::bordered().border_style(t.error()).title(Span::styled(one_line(title).into_owned(), t.error()));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

