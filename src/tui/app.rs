//! Screen state and the one function that changes it: [`App::step`].
//!
//! Nothing here draws or touches the terminal. Keys arrive through [`App::handle_key`] (prompts
//! take raw keys, everything else goes through the key map to an [`Action`]); background
//! results arrive through [`App::tick`]. The filtered and sorted list is cached and rebuilt only
//! when entries or filters change, so a key costs no O(N) work beyond that.

use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui_textarea::TextArea;

use crate::model::{Field, Finding, Verdict};
use crate::pipeline::ReportAudit;

use super::action::Action;
use super::backend::{Entry, ReviewBackend};
use super::keymap::{Key, KeyMap};
use super::index::{Index, search_hit, text_matches};
pub use super::index::open_counts;
use super::overview::{GroupKey, Overview, StateFilter};

/// How long one tick may spend catching up on search texts and overview totals after a batch
/// of results arrived; the rest waits for the next ticks.
const CATCH_UP_BUDGET: Duration = Duration::from_millis(4);

/// Identity fields, shown first in this order.
pub const IDENTITY: [&str; 6] = ["title", "agency", "agency_kind", "year", "published", "template"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    List,
    Report,
    /// Batch aggregates; Enter narrows the list to a row.
    Overview,
}

/// The three tables of the overview screen, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverviewTable {
    Rules,
    Groups,
    Progress,
}

impl OverviewTable {
    pub fn index(self) -> usize {
        match self {
            OverviewTable::Rules => 0,
            OverviewTable::Groups => 1,
            OverviewTable::Progress => 2,
        }
    }
    fn next(self, forward: bool) -> OverviewTable {
        const ORDER: [OverviewTable; 3] = [OverviewTable::Rules, OverviewTable::Groups, OverviewTable::Progress];
        ORDER[(self.index() + if forward { 1 } else { 2 }) % 3]
    }
}

/// The overview screen's cursor: the focused table and a selection and scroll per table.
#[derive(Debug)]
pub struct OverviewState {
    pub table: OverviewTable,
    pub sel: [usize; 3],
    pub offset: [Cell<usize>; 3],
}

impl Default for OverviewState {
    fn default() -> Self {
        OverviewState { table: OverviewTable::Rules, sel: [0; 3], offset: Default::default() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Fields,
    Findings,
    Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Path,
    Errors,
    Agency,
    Year,
    /// Agency group, then year: an agency's reports together, oldest first.
    Group,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Path => "路径",
            SortKey::Errors => "错误数↓",
            SortKey::Agency => "机关",
            SortKey::Year => "年度",
            SortKey::Group => "分组+年度",
        }
    }
    fn next(self) -> SortKey {
        match self {
            SortKey::Path => SortKey::Errors,
            SortKey::Errors => SortKey::Agency,
            SortKey::Agency => SortKey::Year,
            SortKey::Year => SortKey::Group,
            SortKey::Group => SortKey::Path,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeverityFilter {
    All,
    Errors,
    Warnings,
    Open,
}

impl SeverityFilter {
    pub fn label(self) -> &'static str {
        match self {
            SeverityFilter::All => "全部",
            SeverityFilter::Errors => "有错误",
            SeverityFilter::Warnings => "有警告",
            SeverityFilter::Open => "有未处理",
        }
    }
    fn next(self) -> SeverityFilter {
        match self {
            SeverityFilter::All => SeverityFilter::Errors,
            SeverityFilter::Errors => SeverityFilter::Warnings,
            SeverityFilter::Warnings => SeverityFilter::Open,
            SeverityFilter::Open => SeverityFilter::All,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateFilter {
    All,
    T2021,
    T2019,
    Legacy,
    NoTemplate,
}

impl TemplateFilter {
    pub fn label(self) -> &'static str {
        match self {
            TemplateFilter::All => "全部",
            TemplateFilter::T2021 => "2021",
            TemplateFilter::T2019 => "2019",
            TemplateFilter::Legacy => "legacy",
            TemplateFilter::NoTemplate => "无",
        }
    }
    fn next(self) -> TemplateFilter {
        match self {
            TemplateFilter::All => TemplateFilter::T2021,
            TemplateFilter::T2021 => TemplateFilter::T2019,
            TemplateFilter::T2019 => TemplateFilter::Legacy,
            TemplateFilter::Legacy => TemplateFilter::NoTemplate,
            TemplateFilter::NoTemplate => TemplateFilter::All,
        }
    }
    fn accepts(self, template: Option<&str>) -> bool {
        match self {
            TemplateFilter::All => true,
            TemplateFilter::NoTemplate => template.is_none_or(str::is_empty),
            t => template == Some(t.label()),
        }
    }
}

/// A field's value as plain text ("" when absent or blank).
pub fn field_text(a: &ReportAudit, id: &str) -> String {
    match a.field(id).and_then(|f| f.value.as_ref()) {
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

/// The list screen's state.
#[derive(Debug, Default)]
pub struct ListState {
    /// Index into the filtered view.
    pub sel: usize,
    /// First visible row; adjusted while drawing to keep `sel` in sight.
    pub offset: Cell<usize>,
}

/// The report screen's state.
#[derive(Debug)]
pub struct ReportState {
    /// Index into `entries()`.
    pub entry: usize,
    /// The audit on screen; replaced when the backend delivers a newer one.
    pub audit: Arc<ReportAudit>,
    /// Field ids in display order (identity first, then by id).
    pub fields: Vec<String>,
    pub field_sel: usize,
    pub finding_sel: usize,
    pub focus: Pane,
    /// Which selection the source pane follows (the pane last moved in).
    pub span_from: Pane,
    /// A line the reviewer scrolled the source pane to (0-based), overriding the span.
    pub source_top: Option<usize>,
    /// Byte offset of every line start in `audit.text`.
    pub line_starts: Arc<Vec<usize>>,
    pub field_offset: Cell<usize>,
    pub finding_offset: Cell<usize>,
}

impl ReportState {
    fn new(entry: usize, audit: Arc<ReportAudit>) -> ReportState {
        let fields = ordered_fields(&audit);
        let line_starts = Arc::new(line_starts(&audit.text));
        ReportState {
            entry,
            audit,
            fields,
            field_sel: 0,
            finding_sel: 0,
            focus: Pane::Fields,
            span_from: Pane::Fields,
            source_top: None,
            line_starts,
            field_offset: Cell::new(0),
            finding_offset: Cell::new(0),
        }
    }

    pub fn field(&self) -> Option<&Field> {
        self.fields.get(self.field_sel).and_then(|id| self.audit.field(id))
    }

    pub fn finding(&self) -> Option<&Finding> {
        self.audit.findings.get(self.finding_sel)
    }

    /// Swaps in a re-audited report, keeping the selections by field id and finding key.
    fn refresh(&mut self, audit: Arc<ReportAudit>) {
        let fid = self.fields.get(self.field_sel).cloned();
        let fkey = self.finding().map(|f| f.key.clone());
        if !Arc::ptr_eq(&self.audit.text, &audit.text) && *self.audit.text != *audit.text {
            self.line_starts = Arc::new(line_starts(&audit.text));
        }
        self.fields = ordered_fields(&audit);
        self.audit = audit;
        if let Some(id) = fid {
            self.field_sel = self.fields.iter().position(|f| *f == id).unwrap_or(self.field_sel);
        }
        if let Some(k) = fkey {
            self.finding_sel =
                self.audit.findings.iter().position(|f| f.key == k).unwrap_or(self.finding_sel);
        }
        self.field_sel = self.field_sel.min(self.fields.len().saturating_sub(1));
        self.finding_sel = self.finding_sel.min(self.audit.findings.len().saturating_sub(1));
    }

    fn select_finding(&mut self, i: usize) {
        self.finding_sel = i;
        self.span_from = Pane::Findings;
        self.source_top = None;
        // Follow the finding into the fields pane, so `e` corrects what the finding is about.
        if let Some(fid) = self.finding().and_then(|f| f.fields.first()).cloned()
            && let Some(p) = self.fields.iter().position(|f| *f == fid)
        {
            self.field_sel = p;
        }
    }

    fn select_field(&mut self, i: usize) {
        self.field_sel = i;
        self.span_from = Pane::Fields;
        self.source_top = None;
    }
}

fn ordered_fields(a: &ReportAudit) -> Vec<String> {
    let mut v: Vec<String> = IDENTITY.iter().filter(|id| a.fields.contains_key(**id)).map(|s| s.to_string()).collect();
    // BTreeMap order is id order, which groups t2./t3./t4./legacy. together.
    v.extend(a.fields.keys().filter(|k| !IDENTITY.contains(&k.as_str())).cloned());
    v
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    v
}

/// Which prompt is open.
#[derive(Debug)]
pub enum PromptKind {
    /// Correcting a field: first the value, then the reason.
    Edit { report: usize, field: String, old: String, value: Option<String> },
    /// A note for confirming or dismissing a finding.
    Note { report: usize, key: String, verdict: Verdict },
    Search,
    RuleFilter,
    /// Finding a field of the open report by id or label; Esc returns to `origin`.
    FieldSearch { origin: usize },
}

#[derive(Debug)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: TextArea<'static>,
    /// Validation or save error shown under the input.
    pub error: Option<String>,
}

impl Prompt {
    fn new(kind: PromptKind, initial: &str) -> Prompt {
        let mut input = TextArea::new(vec![initial.to_string()]);
        input.move_cursor(ratatui_textarea::CursorMove::End);
        input.set_cursor_line_style(ratatui::style::Style::default());
        Prompt { kind, input, error: None }
    }

    pub fn text(&self) -> String {
        self.input.lines().first().cloned().unwrap_or_default()
    }

    pub fn title(&self) -> String {
        match &self.kind {
            PromptKind::Edit { field, value: None, .. } => format!("更正 {field}：新值（留空 = 空白单元格）"),
            PromptKind::Edit { field, value: Some(_), .. } => format!("更正 {field}：理由（必填）"),
            PromptKind::Note { key, verdict: Verdict::Confirmed, .. } => format!("确认 {key}：备注（可空）"),
            PromptKind::Note { key, verdict: Verdict::Dismissed, .. } => format!("驳回 {key}：备注（可空）"),
            PromptKind::Search => "搜索：路径、机关、规则、问题".to_string(),
            PromptKind::RuleFilter => "按规则筛选：规则 id 或前缀（空 = 全部）".to_string(),
            PromptKind::FieldSearch { .. } => "查找字段：字段 id 或名称".to_string(),
        }
    }
}

/// A message box that stays until a key is pressed (rule errors).
#[derive(Debug, Clone, PartialEq)]
pub struct Popup {
    pub title: String,
    pub body: String,
}

/// The last thing that happened, for the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusMsg {
    pub text: String,
    pub error: bool,
}

/// A request for the event loop: open this file at this line in the editor.
#[derive(Debug, Clone, PartialEq)]
pub struct EditorRequest {
    pub path: PathBuf,
    pub line: usize,
}

pub struct App {
    backend: Box<dyn ReviewBackend>,
    pub keymap: KeyMap,
    pub screen: Screen,
    pub list: ListState,
    pub report: Option<ReportState>,
    pub prompt: Option<Prompt>,
    pub popup: Option<Popup>,
    pub help: bool,
    pub status: Option<StatusMsg>,
    pub sort: SortKey,
    pub severity: SeverityFilter,
    pub template: TemplateFilter,
    pub rule: Option<String>,
    /// Narrowed from the overview: one agency group and year.
    pub group: Option<GroupKey>,
    /// Narrowed from the overview: one review state.
    pub state: Option<StateFilter>,
    pub overview: OverviewState,
    pub search: String,
    pub no_color: bool,
    pub quit: bool,
    pub editor: Option<EditorRequest>,
    /// Indices into entries(), filtered and sorted.
    view: Vec<usize>,
    view_dirty: bool,
    /// All entry indices in path order; paths never change, so this is sorted once.
    by_path: Vec<usize>,
    /// Each entry's place in `by_path`: the tie-break that keeps equal sort keys in path order.
    path_rank: Vec<usize>,
    /// Bumped whenever the backend's entries change; keys the overview cache.
    generation: u64,
    overview_cache: Option<(u64, Arc<Overview>)>,
    /// Per-entry facts (counts, sort keys, search text) and the overview totals, recomputed
    /// only for entries whose audit changed, so filtering, sorting and searching do not read
    /// every report again.
    index: Index,
}

impl App {
    pub fn new(backend: Box<dyn ReviewBackend>, keymap: KeyMap) -> App {
        let problems = backend.log_problems();
        let mut app = App {
            backend,
            keymap,
            screen: Screen::List,
            list: ListState::default(),
            report: None,
            prompt: None,
            popup: None,
            help: false,
            status: None,
            sort: SortKey::Path,
            severity: SeverityFilter::All,
            template: TemplateFilter::All,
            rule: None,
            group: None,
            state: None,
            overview: OverviewState::default(),
            search: String::new(),
            no_color: false,
            quit: false,
            editor: None,
            view: Vec::new(),
            view_dirty: true,
            by_path: Vec::new(),
            path_rank: Vec::new(),
            generation: 0,
            overview_cache: None,
            index: Index::default(),
        };
        if !problems.is_empty() {
            app.set_error(format!("日志有 {} 处问题已跳过：{}", problems.len(), problems.join("；")));
        }
        if let Some(n) = app.backend.take_notice() {
            app.set_error(n);
        }
        app.rebuild_view();
        app
    }

    pub fn backend(&self) -> &dyn ReviewBackend {
        &*self.backend
    }

    pub fn view(&self) -> &[usize] {
        &self.view
    }

    /// The entry under the list cursor.
    pub fn selected_entry(&self) -> Option<usize> {
        self.view.get(self.list.sel).copied()
    }

    pub fn set_status(&mut self, text: impl Into<String>) {
        self.status = Some(StatusMsg { text: text.into(), error: false });
    }

    pub fn set_error(&mut self, text: impl Into<String>) {
        self.status = Some(StatusMsg { text: text.into(), error: true });
    }

    fn report_result(&mut self, r: Result<String, String>) -> bool {
        match r {
            Ok(m) => {
                self.set_status(m);
                // The backend may deliver the re-audited report at once or on a later poll.
                self.backend.poll();
                self.sync();
                true
            }
            Err(e) => {
                self.set_error(e);
                false
            }
        }
    }

    /// Called on every tick of the event loop: takes in background results, catches up on
    /// cached search texts and overview totals (a few milliseconds at most) and watches the
    /// rule files. Returns whether the screen needs a redraw.
    pub fn tick(&mut self) -> bool {
        let mut changed = false;
        if self.backend.poll() {
            self.sync();
            changed = true;
        } else if self.index.is_behind() {
            let deadline = Instant::now() + CATCH_UP_BUDGET;
            self.index.catch_up(self.backend.entries(), Some(deadline));
            if self.screen == Screen::Overview {
                changed |= self.refresh_overview(Some(deadline));
            }
        }
        if self.backend.rules_changed_on_disk() {
            self.reload_rules("规则文件已改动");
            changed = true;
        }
        if let Some(n) = self.backend.take_notice() {
            self.set_error(n);
            changed = true;
        }
        changed
    }

    /// Whether cached search texts and overview totals are still being built after a batch
    /// of results (ticks finish the work; searching and the overview stay correct meanwhile).
    pub fn indexing(&self) -> bool {
        self.index.is_behind()
    }

    /// Brings cached state up to date with the backend's entries. Bounded work per changed
    /// entry plus pointer comparisons and one pass for the list; search texts and overview
    /// totals catch up within a time budget here and on the following ticks.
    fn sync(&mut self) {
        self.generation += 1;
        let deadline = Instant::now() + CATCH_UP_BUDGET;
        self.index.update(self.backend.entries());
        self.index.catch_up(self.backend.entries(), Some(deadline));
        if self.screen == Screen::Overview {
            self.refresh_overview(Some(deadline));
        }
        self.view_dirty = true;
        self.rebuild_view();
        if let Some(r) = &mut self.report
            && let Some(Entry::Ready(a)) = self.backend.entries().get(r.entry)
            && !Arc::ptr_eq(a, &r.audit)
        {
            r.refresh(a.clone());
        }
    }

    fn rebuild_view(&mut self) {
        if !self.view_dirty {
            return;
        }
        self.view_dirty = false;
        let keep = self.selected_entry();
        let entries = self.backend.entries();
        // Normally a no-op (sync keeps the index current); covers the first build.
        self.index.update(entries);
        if self.by_path.len() != entries.len() {
            let mut all: Vec<usize> = (0..entries.len()).collect();
            all.sort_by(|&a, &b| entries[a].path().cmp(entries[b].path()));
            let mut rank = vec![0; all.len()];
            for (r, &i) in all.iter().enumerate() {
                rank[i] = r;
            }
            self.by_path = all;
            self.path_rank = rank;
        }
        let needle = self.search.to_lowercase();
        // Filtering the path-ordered indices keeps that order: the default sort is free.
        let mut view: Vec<usize> =
            self.by_path.iter().copied().filter(|&i| self.accepts(i, &entries[i], &needle)).collect();
        // Every key comes from the cached facts: no field lookups and no allocation per
        // comparison. Ties keep the order the keys always had (entry index, or path order).
        let ix = &self.index;
        let facts = |i: usize| ix.facts(i);
        match self.sort {
            SortKey::Path => {}
            SortKey::Errors => view.sort_unstable_by_key(|&i| {
                let e = facts(i).filter(|f| !f.pending()).map(|f| f.counts.0);
                (e.is_none(), std::cmp::Reverse(e.unwrap_or(0)), i)
            }),
            SortKey::Agency => view.sort_unstable_by(|&a, &b| {
                let k = |i: usize| {
                    let g = facts(i).and_then(|f| f.agency.as_deref());
                    (g.is_none(), g, i)
                };
                k(a).cmp(&k(b))
            }),
            SortKey::Year => view.sort_unstable_by_key(|&i| {
                let y = facts(i).and_then(|f| f.year);
                (y.is_none(), y, i)
            }),
            SortKey::Group => {
                let rank = &self.path_rank;
                view.sort_unstable_by(|&a, &b| {
                    let k = |i: usize| {
                        let f = facts(i);
                        let g = f.and_then(|f| f.group.as_deref());
                        let y = f.and_then(|f| f.group_year);
                        (g.is_none(), g, y.is_none(), y, rank.get(i).copied().unwrap_or(i))
                    };
                    k(a).cmp(&k(b))
                })
            }
        }
        self.view = view;
        self.list.sel = match keep.and_then(|k| self.view.iter().position(|&i| i == k)) {
            Some(p) => p,
            None => self.list.sel.min(self.view.len().saturating_sub(1)),
        };
    }

    fn accepts(&self, i: usize, e: &Entry, needle: &str) -> bool {
        let Some(f) = self.index.facts(i) else {
            // Not indexed (cannot happen after `update`): nothing to filter on but the search.
            return search_hit(e, needle);
        };
        if let Some(s) = self.state
            && !f.state_accepts(s)
        {
            return false;
        }
        if let Some(g) = &self.group
            && (f.pending() || f.group.as_deref() != g.group.as_deref() || f.group_year != g.year)
        {
            return false;
        }
        let filtering = self.severity != SeverityFilter::All
            || self.template != TemplateFilter::All
            || self.rule.is_some();
        let Some(a) = e.audit() else {
            // Pending entries have nothing to filter on yet.
            return !filtering && (needle.is_empty() || text_matches(&e.path().to_string_lossy(), needle));
        };
        let (err, warn, info) = f.counts;
        let sev_ok = match self.severity {
            SeverityFilter::All => true,
            SeverityFilter::Errors => err > 0,
            SeverityFilter::Warnings => warn > 0,
            SeverityFilter::Open => err + warn + info > 0,
        };
        if !sev_ok {
            return false;
        }
        if !self.template.accepts(f.template.as_deref()) {
            return false;
        }
        if let Some(r) = &self.rule
            && !a.findings.iter().any(|f| rule_matches(&f.rule, r))
        {
            return false;
        }
        self.index.search_hit(i, e, needle)
    }

    /// The search text changed while typing: when it only grew, the matches are a subset of
    /// the current view, so only the view is searched again (not all entries).
    fn search_changed(&mut self, text: String) {
        let old = self.search.to_lowercase();
        let new = text.to_lowercase();
        self.search = text;
        if !self.view_dirty && !old.is_empty() && new.contains(&old) {
            let entries = self.backend.entries();
            let ix = &self.index;
            self.view.retain(|&i| ix.search_hit(i, &entries[i], &new));
            self.list.sel = 0;
        } else {
            self.list.sel = 0;
            self.filters_changed();
        }
    }

    fn filters_changed(&mut self) {
        self.view_dirty = true;
        self.rebuild_view();
    }


    /// Routes a terminal key: popups and prompts first, then the key map.
    pub fn handle_key(&mut self, ev: KeyEvent) {
        if ev.kind == KeyEventKind::Release {
            return;
        }
        if self.popup.is_some() {
            self.popup = None;
            return;
        }
        if self.prompt.is_some() {
            self.prompt_key(ev);
            return;
        }
        let key = Key::from_event(&ev);
        if let Some(a) = self.keymap.action(key) {
            self.step(&a);
        } else if self.help {
            self.help = false;
        }
    }

    fn prompt_key(&mut self, ev: KeyEvent) {
        match ev.code {
            // Esc always backs out, whatever the key map says.
            KeyCode::Esc => self.cancel_prompt(),
            KeyCode::Enter => self.submit_prompt(),
            KeyCode::Char('m') if ev.modifiers.contains(KeyModifiers::CONTROL) => self.submit_prompt(),
            _ => {
                let Some(p) = &mut self.prompt else { return };
                if p.input.input(ev) {
                    self.prompt_changed();
                }
            }
        }
    }

    /// Types text into the open prompt (tests and paste). Prompts are one line: pasted
    /// newlines become spaces and control characters are replaced.
    pub fn type_text(&mut self, s: &str) {
        if let Some(p) = &mut self.prompt {
            p.input.insert_str(super::text::one_line(s));
            self.prompt_changed();
        }
    }

    /// Empties the open prompt's input.
    pub fn clear_prompt(&mut self) {
        if let Some(p) = &mut self.prompt {
            p.input.select_all();
            p.input.cut();
            self.prompt_changed();
        }
    }

    fn prompt_changed(&mut self) {
        let Some(p) = &mut self.prompt else { return };
        let text = p.text();
        match &p.kind {
            PromptKind::Edit { report, field, value: None, .. } => {
                p.error = self.backend.validate(*report, field, &text).err();
            }
            PromptKind::Edit { .. } => p.error = None,
            PromptKind::Search => self.search_changed(text),
            PromptKind::FieldSearch { origin } => {
                let origin = *origin;
                // Live: the selection follows the text; with no match it stays where it was.
                let found = self.report.as_mut().and_then(|r| {
                    let hit = find_field(r, &text);
                    r.focus = Pane::Fields;
                    r.select_field(hit.unwrap_or(origin));
                    hit
                });
                if let Some(p) = &mut self.prompt {
                    p.error = (found.is_none() && !text.trim().is_empty()).then(|| "没有匹配的字段".to_string());
                }
            }
            _ => {}
        }
    }

    pub fn cancel_prompt(&mut self) {
        if let Some(p) = self.prompt.take() {
            match p.kind {
                PromptKind::Search => {
                    self.search.clear();
                    self.filters_changed();
                    self.set_status("已清除搜索");
                }
                PromptKind::FieldSearch { origin } => {
                    if let Some(r) = &mut self.report {
                        r.select_field(origin.min(r.fields.len().saturating_sub(1)));
                    }
                    self.set_status("已取消");
                }
                _ => self.set_status("已取消"),
            }
        }
    }

    pub fn submit_prompt(&mut self) {
        let Some(mut p) = self.prompt.take() else { return };
        let text = p.text();
        match &mut p.kind {
            PromptKind::Edit { report, field, value: value @ None, .. } => {
                match self.backend.validate(*report, field, &text) {
                    Ok(()) => {
                        *value = Some(text);
                        p.input = TextArea::new(vec![String::new()]);
                        p.input.set_cursor_line_style(ratatui::style::Style::default());
                        p.error = None;
                    }
                    Err(e) => p.error = Some(e),
                }
                self.prompt = Some(p);
            }
            PromptKind::Edit { report, field, value: Some(v), .. } => {
                if text.trim().is_empty() {
                    p.error = Some("理由不能为空".to_string());
                    self.prompt = Some(p);
                    return;
                }
                let r = self.backend.correct(*report, field, v, text.trim());
                if let Err(e) = &r {
                    p.error = Some(e.clone());
                    self.prompt = Some(p);
                }
                self.report_result(r);
            }
            PromptKind::Note { report, key, verdict } => {
                let r = self.backend.decide(*report, key, *verdict, text.trim());
                self.report_result(r);
            }
            PromptKind::Search => {
                // Typing already filtered the list; Enter only keeps it.
                if text != self.search {
                    self.search_changed(text);
                }
                self.set_status(format!("搜索“{}”：{} 份报告", self.search, self.view.len()));
            }
            PromptKind::RuleFilter => {
                let t = text.trim();
                self.rule = if t.is_empty() { None } else { Some(t.to_string()) };
                self.list.sel = 0;
                self.filters_changed();
                self.set_status(format!("规则筛选：{}，{} 份报告", self.rule.as_deref().unwrap_or("全部"), self.view.len()));
            }
            PromptKind::FieldSearch { .. } => {
                let found = self.report.as_ref().and_then(|r| find_field(r, &text).and_then(|i| r.fields.get(i)).cloned());
                match found {
                    Some(id) => self.set_status(format!("字段：{id}")),
                    None => {
                        p.error = Some("没有匹配的字段".to_string());
                        self.prompt = Some(p);
                    }
                }
            }
        }
    }

    /// Applies one action. The only place screen state changes outside prompts.
    pub fn step(&mut self, action: &Action) {
        if self.help {
            match action {
                Action::Help | Action::Back | Action::Quit => self.help = false,
                _ => {}
            }
            return;
        }
        if self.screen == Screen::Overview {
            self.step_overview(action);
            return;
        }
        match action {
            Action::Help => self.help = true,
            Action::Overview => self.open_overview(),
            Action::Quit => match self.screen {
                Screen::List => self.quit = true,
                Screen::Report | Screen::Overview => self.back_to_list(),
            },
            Action::Back => match self.screen {
                Screen::Report | Screen::Overview => self.back_to_list(),
                Screen::List if !self.search.is_empty() => {
                    self.search.clear();
                    self.filters_changed();
                    self.set_status("已清除搜索");
                }
                Screen::List if self.group.is_some() || self.state.is_some() || self.rule.is_some() => {
                    self.group = None;
                    self.state = None;
                    self.rule = None;
                    self.filters_changed();
                    self.set_status(format!("已清除分组、状态与规则筛选，{} 份报告", self.view.len()));
                }
                Screen::List => {}
            },
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(10),
            Action::PageUp => self.move_by(-10),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Open => {
                if self.screen == Screen::List
                    && let Some(e) = self.selected_entry()
                {
                    self.open_report(e);
                }
            }
            Action::FocusNext | Action::FocusPrev => {
                if let Some(r) = &mut self.report {
                    let order = [Pane::Fields, Pane::Findings, Pane::Source];
                    let i = order.iter().position(|p| *p == r.focus).unwrap_or(0);
                    let d = if *action == Action::FocusNext { 1 } else { 2 };
                    r.focus = order[(i + d) % 3];
                    if r.focus != Pane::Source {
                        r.span_from = r.focus;
                        r.source_top = None;
                    }
                }
            }
            Action::NextField | Action::PrevField => {
                if let Some(r) = &mut self.report
                    && !r.fields.is_empty()
                {
                    let n = r.fields.len();
                    let i = if *action == Action::NextField { (r.field_sel + 1).min(n - 1) } else { r.field_sel.saturating_sub(1) };
                    r.select_field(i);
                }
            }
            Action::NextFinding | Action::PrevFinding => {
                if let Some(r) = &mut self.report
                    && !r.audit.findings.is_empty()
                {
                    let n = r.audit.findings.len();
                    let i = if *action == Action::NextFinding { (r.finding_sel + 1).min(n - 1) } else { r.finding_sel.saturating_sub(1) };
                    r.select_finding(i);
                }
            }
            Action::NextOpen => self.jump_open(true),
            Action::PrevOpen => self.jump_open(false),
            Action::Edit => self.start_edit(),
            Action::Settle(n) => self.settle(*n),
            Action::SettleCell(n) => self.settle_cell(*n),
            Action::Confirm => self.start_note(Verdict::Confirmed),
            Action::Dismiss => self.start_note(Verdict::Dismissed),
            Action::Undo => {
                let r = self.backend.undo();
                self.report_result(r);
            }
            Action::EditRule => {
                let rule = self.report.as_ref().and_then(|r| r.finding()).map(|f| f.rule.clone());
                match self.backend.rule_file(rule.as_deref()) {
                    Ok((path, line)) => self.editor = Some(EditorRequest { path, line }),
                    Err(e) => self.set_error(e),
                }
            }
            Action::Search => match (&self.screen, &self.report) {
                (Screen::Report, Some(r)) => {
                    let origin = r.field_sel;
                    self.prompt = Some(Prompt::new(PromptKind::FieldSearch { origin }, ""));
                }
                _ => {
                    let s = self.search.clone();
                    self.prompt = Some(Prompt::new(PromptKind::Search, &s));
                }
            },
            Action::CycleSort => {
                self.sort = self.sort.next();
                self.filters_changed();
                self.set_status(format!("排序：{}", self.sort.label()));
            }
            Action::CycleSeverity => {
                self.severity = self.severity.next();
                self.list.sel = 0;
                self.filters_changed();
                self.set_status(format!("筛选：{}，{} 份报告", self.severity.label(), self.view.len()));
            }
            Action::CycleTemplate => {
                self.template = self.template.next();
                self.list.sel = 0;
                self.filters_changed();
                self.set_status(format!("模板：{}，{} 份报告", self.template.label(), self.view.len()));
            }
            Action::RuleFilter => {
                let s = self.rule.clone().unwrap_or_default();
                self.prompt = Some(Prompt::new(PromptKind::RuleFilter, &s));
            }
        }
    }

    /// The overview, with its aggregates up to date.
    pub fn open_overview(&mut self) {
        if self.screen == Screen::Report {
            self.back_to_list();
        }
        self.screen = Screen::Overview;
        self.refresh_overview(None);
    }

    /// Rebuilds the cached aggregates from the running totals when the entries changed since
    /// they were built, once the totals have caught up (they may first take until `deadline`;
    /// without one, as long as needed). Returns whether the aggregates were rebuilt.
    fn refresh_overview(&mut self, deadline: Option<Instant>) -> bool {
        if self.overview_cache.as_ref().is_some_and(|(g, _)| *g == self.generation) {
            return false;
        }
        self.index.catch_up(self.backend.entries(), deadline);
        let Some(tally) = self.index.tally() else { return false };
        let o = Arc::new(tally.overview());
        let lens = [o.rules.len(), o.groups.len(), o.progress.rows().len()];
        for (sel, n) in self.overview.sel.iter_mut().zip(lens) {
            *sel = (*sel).min(n.saturating_sub(1));
        }
        self.overview_cache = Some((self.generation, o));
        true
    }

    /// The overview aggregates as last built (None before the overview was first opened).
    pub fn overview_data(&self) -> Option<&Arc<Overview>> {
        self.overview_cache.as_ref().map(|(_, o)| o)
    }

    fn overview_len(&self, t: OverviewTable) -> usize {
        self.overview_data().map_or(0, |o| match t {
            OverviewTable::Rules => o.rules.len(),
            OverviewTable::Groups => o.groups.len(),
            OverviewTable::Progress => o.progress.rows().len(),
        })
    }

    fn step_overview(&mut self, action: &Action) {
        let t = self.overview.table;
        let n = self.overview_len(t);
        let sel = &mut self.overview.sel[t.index()];
        let mv = |sel: &mut usize, d: isize| {
            *sel = if n == 0 { 0 } else { (*sel as isize).saturating_add(d).clamp(0, n as isize - 1) as usize };
        };
        match action {
            Action::Help => self.help = true,
            Action::Quit | Action::Back | Action::Overview => self.screen = Screen::List,
            Action::Down => mv(sel, 1),
            Action::Up => mv(sel, -1),
            Action::PageDown => mv(sel, 10),
            Action::PageUp => mv(sel, -10),
            Action::Top => mv(sel, isize::MIN / 2),
            Action::Bottom => mv(sel, isize::MAX / 2),
            Action::FocusNext | Action::NextField | Action::NextFinding => self.overview.table = t.next(true),
            Action::FocusPrev | Action::PrevField | Action::PrevFinding => self.overview.table = t.next(false),
            Action::Open => self.filter_from_overview(),
            _ => self.set_status(format!(
                "概览：{} 按所选行筛选报告列表，{} 返回",
                self.keymap.keys_label(Action::Open),
                self.keymap.keys_label(Action::Back)
            )),
        }
    }

    /// Enter on an overview row: the list narrowed to that rule, group and year, or state.
    /// Other filters and the search are cleared so that the list shows what the row counted.
    fn filter_from_overview(&mut self) {
        let Some(o) = self.overview_data().cloned() else { return };
        let t = self.overview.table;
        let sel = self.overview.sel[t.index()];
        let (rule, group, state) = match t {
            OverviewTable::Rules => match o.rules.get(sel) {
                Some(r) => (Some(r.rule.clone()), None, None),
                None => return,
            },
            OverviewTable::Groups => match o.groups.get(sel) {
                Some(g) => (None, Some(g.key.clone()), None),
                None => return,
            },
            OverviewTable::Progress => match o.progress.rows().get(sel) {
                Some(p) => (None, None, Some(p.filter)),
                None => return,
            },
        };
        self.rule = rule;
        self.group = group;
        self.state = state;
        self.search.clear();
        self.severity = SeverityFilter::All;
        self.template = TemplateFilter::All;
        self.screen = Screen::List;
        self.list.sel = 0;
        self.filters_changed();
        let what = match (&self.rule, &self.group, &self.state) {
            (Some(r), _, _) => format!("规则 {r}"),
            (_, Some(g), _) => format!("分组 {}", g.label()),
            (_, _, Some(s)) => format!("状态 {}", s.label()),
            _ => String::new(),
        };
        self.set_status(format!("筛选：{what}，{} 份报告（{} 清除）", self.view.len(), self.keymap.keys_label(Action::Back)));
    }

    fn back_to_list(&mut self) {
        if let Some(r) = self.report.take()
            && let Some(p) = self.view.iter().position(|&i| i == r.entry)
        {
            self.list.sel = p;
        }
        self.screen = Screen::List;
    }

    /// Opens report `entry` (an index into entries()). Pending reports cannot be opened yet.
    pub fn open_report(&mut self, entry: usize) -> bool {
        match self.backend.entries().get(entry) {
            Some(Entry::Ready(a)) => {
                self.report = Some(ReportState::new(entry, a.clone()));
                self.screen = Screen::Report;
                true
            }
            Some(Entry::Pending { path }) => {
                let msg = format!("{} 仍在审计中，请稍候", path.display());
                self.set_status(msg);
                false
            }
            None => false,
        }
    }

    fn move_by(&mut self, d: isize) {
        fn clamp(cur: usize, d: isize, n: usize) -> usize {
            if n == 0 {
                return 0;
            }
            (cur as isize).saturating_add(d).clamp(0, n as isize - 1) as usize
        }
        match self.screen {
            Screen::List => self.list.sel = clamp(self.list.sel, d, self.view.len()),
            // The overview moves in `step_overview`.
            Screen::Overview => {}
            Screen::Report => {
                let Some(r) = &mut self.report else { return };
                match r.focus {
                    Pane::Fields => {
                        let i = clamp(r.field_sel, d, r.fields.len());
                        r.select_field(i);
                    }
                    Pane::Findings => {
                        let i = clamp(r.finding_sel, d, r.audit.findings.len());
                        r.select_finding(i);
                    }
                    Pane::Source => {
                        let lines = r.line_starts.len();
                        let top = r.source_top.unwrap_or_else(|| span_line(r).saturating_sub(3));
                        r.source_top = Some(clamp(top, d, lines));
                    }
                }
            }
        }
    }

    /// `n`/`N`: the next open finding after the current one, across reports in list order,
    /// wrapping. Pending reports are skipped.
    fn jump_open(&mut self, forward: bool) {
        let n = self.view.len();
        if n == 0 {
            self.set_status("列表为空");
            return;
        }
        // Current position: (index in view, finding index) — on the list, "before the first
        // finding of the selected report".
        let (start_pos, cur_finding) = match (&self.screen, &self.report) {
            // A finding counts as "current" only once the reviewer is on the findings; right
            // after opening a report, `n` goes to its first open finding.
            (Screen::Report, Some(r)) => match self.view.iter().position(|&i| i == r.entry) {
                Some(p) => (p, (r.span_from == Pane::Findings).then_some(r.finding_sel)),
                None => (0, None),
            },
            _ => (self.list.sel.min(n - 1), None),
        };
        let entries = self.backend.entries();
        let open_in = |e: usize| -> Vec<usize> {
            match entries.get(e).and_then(Entry::audit) {
                Some(a) => a.findings.iter().enumerate().filter(|(_, f)| f.decision.is_none()).map(|(i, _)| i).collect(),
                None => Vec::new(),
            }
        };
        let mut target = None;
        // Same report first (after / before the current finding), then the others, then the
        // same report again from the other end (wrap).
        let here = open_in(self.view[start_pos]);
        let in_same = if forward {
            here.iter().copied().find(|&i| cur_finding.is_none_or(|c| i > c))
        } else {
            here.iter().rev().copied().find(|&i| cur_finding.is_some_and(|c| i < c))
        };
        if let Some(i) = in_same {
            target = Some((self.view[start_pos], i));
        } else {
            for step in 1..=n {
                let pos = if forward { (start_pos + step) % n } else { (start_pos + n - step % n) % n };
                let open = open_in(self.view[pos]);
                let pick = if pos == start_pos {
                    // Wrapped round to where we started.
                    if forward { open.first().copied() } else { open.last().copied() }
                } else if forward {
                    open.first().copied()
                } else {
                    open.last().copied()
                };
                if let Some(i) = pick {
                    target = Some((self.view[pos], i));
                    break;
                }
            }
        }
        let Some((entry, finding)) = target else {
            self.set_status("没有未处理的问题");
            return;
        };
        let same = self.report.as_ref().is_some_and(|r| r.entry == entry);
        if !same && !self.open_report(entry) {
            return;
        }
        if let Some(p) = self.view.iter().position(|&i| i == entry) {
            self.list.sel = p;
        }
        if let Some(r) = &mut self.report {
            r.focus = Pane::Findings;
            r.select_finding(finding);
        }
    }

    fn current_field(&self) -> Result<(usize, &Field), String> {
        let r = self.report.as_ref().ok_or_else(|| "先按 Enter 打开报告".to_string())?;
        if let Some(e) = &r.audit.error {
            return Err(format!("报告无法审计：{e}"));
        }
        let f = r.field().ok_or_else(|| "该报告没有字段".to_string())?;
        Ok((r.entry, f))
    }

    fn start_edit(&mut self) {
        match self.current_field() {
            Ok((report, f)) => {
                let initial = f.value.as_ref().map(|v| v.to_string()).unwrap_or_default();
                let kind = PromptKind::Edit { report, field: f.id.clone(), old: f.display_value(), value: None };
                self.prompt = Some(Prompt::new(kind, &initial));
                self.prompt_changed();
            }
            Err(e) => self.set_error(e),
        }
    }

    /// `1`–`9`: a cell of an ambiguous table row is settled with the whole row's reading (the
    /// cells vary together); any other ambiguous field with its candidate.
    fn settle(&mut self, n: u8) {
        let (report, id, readings, status) = match self.current_field() {
            Ok((report, f)) => (report, f.id.clone(), f.joint.as_ref().map(|j| j.readings.len()), f.status),
            Err(e) => return self.set_error(e),
        };
        match readings {
            Some(count) if status == crate::model::Status::Ambiguous => {
                if n == 0 || usize::from(n) > count {
                    return self.set_error(format!("{id} 所在行只有 {count} 种读法"));
                }
                let r = self.backend.settle_row(report, &id, usize::from(n) - 1);
                self.report_result(r);
            }
            _ => self.settle_cell(n),
        }
    }

    fn settle_cell(&mut self, n: u8) {
        let (report, id, count, status) = match self.current_field() {
            Ok((report, f)) => (report, f.id.clone(), f.candidates.len(), f.status),
            Err(e) => return self.set_error(e),
        };
        if !status.is_uncertain() {
            return self.set_error(format!("{id} 不是待定字段，用 {} 更正", self.keymap.keys_label(Action::Edit)));
        }
        if n == 0 || usize::from(n) > count {
            return self.set_error(format!("{id} 只有 {count} 个候选值"));
        }
        let r = self.backend.settle(report, &id, usize::from(n) - 1);
        self.report_result(r);
    }

    fn start_note(&mut self, verdict: Verdict) {
        let Some(r) = &self.report else {
            return self.set_error("先按 Enter 打开报告");
        };
        let Some(f) = r.finding() else {
            return self.set_error("该报告没有问题");
        };
        let kind = PromptKind::Note { report: r.entry, key: f.key.clone(), verdict };
        let initial = f.decision.as_ref().map(|d| d.note.clone()).unwrap_or_default();
        self.prompt = Some(Prompt::new(kind, &initial));
    }

    /// After the editor closes: reload the rules; on error keep the old ones and say why.
    pub fn editor_finished(&mut self, result: Result<(), String>) {
        self.editor = None;
        if let Err(e) = result {
            self.set_error(format!("无法启动编辑器：{e}"));
            return;
        }
        self.reload_rules("规则已编辑");
    }

    fn reload_rules(&mut self, why: &str) {
        match self.backend.reload_rules() {
            Ok(m) => {
                self.set_status(format!("{why}：{m}"));
                self.backend.poll();
                self.sync();
            }
            Err(e) => {
                self.set_error(format!("规则有误，仍使用原规则：{e}"));
                self.popup = Some(Popup { title: "规则有误（仍使用原规则）".to_string(), body: e });
            }
        }
    }
}

/// The first field (in display order) whose id or label contains `needle`, ignoring case;
/// an exact id wins over a partial match.
fn find_field(r: &ReportState, needle: &str) -> Option<usize> {
    let n = needle.trim().to_lowercase();
    if n.is_empty() {
        return None;
    }
    if let Some(i) = r.fields.iter().position(|id| id.to_lowercase() == n) {
        return Some(i);
    }
    r.fields.iter().position(|id| {
        id.to_lowercase().contains(&n) || r.audit.field(id).is_some_and(|f| f.label.to_lowercase().contains(&n))
    })
}

fn rule_matches(rule: &str, filter: &str) -> bool {
    rule == filter || (rule.starts_with(filter) && rule[filter.len()..].starts_with('.'))
        || (filter.ends_with('.') && rule.starts_with(filter))
}

/// The 0-based line of the span the source pane follows (0 when none).
pub fn span_line(r: &ReportState) -> usize {
    match source_span(r) {
        Some((start, _)) => r.line_starts.partition_point(|&s| s <= start).saturating_sub(1),
        None => 0,
    }
}

/// The grid and cell (row, column) of the field the source pane follows, when that field was
/// read from a table's cell: the pane then shows the table as a grid.
pub fn source_cell(r: &ReportState) -> Option<(&crate::load::SourceTable, (usize, usize))> {
    if r.source_top.is_some() {
        return None; // the reviewer scrolled the text: show the text
    }
    let id = match r.span_from {
        Pane::Findings => r.finding().and_then(|f| f.fields.first()).cloned(),
        _ => r.fields.get(r.field_sel).cloned(),
    }?;
    let &(g, row, col) = r.audit.tables.iter().find_map(|t| t.cells.get(&id))?;
    let grid = r.audit.grids.get(g)?;
    grid.rows.get(row)?.get(col)?;
    Some((grid, (row, col)))
}

/// Byte range the source pane highlights: the selected finding's or field's span.
pub fn source_span(r: &ReportState) -> Option<(usize, usize)> {
    let field_span = || r.field().and_then(|f| f.span);
    let span = match r.span_from {
        Pane::Findings => r
            .finding()
            .and_then(|f| f.span.or_else(|| f.fields.first().and_then(|id| r.audit.field(id)).and_then(|f| f.span)))
            .or_else(field_span),
        _ => field_span(),
    }?;
    // Spans come from the engine; a wrong one must not crash the screen, so snap it onto
    // the text's character boundaries.
    let text: &str = &r.audit.text;
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start);
    let end = floor(span.end.max(start));
    Some((start, end))
}
