//! Batch aggregates for the overview screen: findings by rule, reports by agency group and
//! year, review progress.
//!
//! A [`Tally`] keeps the counts as reports arrive and are re-audited (the app adds and removes
//! one report's share at a time); [`Tally::overview`] turns them into the sorted tables, which
//! the app caches until the entries change, never rebuilding per frame. [`Overview::build`]
//! does the same in one pass over a slice of entries.

use std::collections::HashMap;

use crate::link::GROUP_FIELD;
use crate::model::{Severity, Status, Value};
use crate::pipeline::{ReportAudit, ReviewState};

use super::backend::Entry;

/// The agency group of a report: the batch's link key, or (before linking finished, or for a
/// report that was never linked) its own normalised agency name when that is exact.
pub fn report_group(a: &ReportAudit) -> Option<&str> {
    if let Some(g) = a.group.as_deref().filter(|g| !g.is_empty()) {
        return Some(g);
    }
    let f = a.field(GROUP_FIELD).filter(|f| f.status != Status::Ambiguous)?;
    match &f.value {
        Some(Value::Text(s)) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    }
}

/// The report year, when read exactly.
pub fn report_year(a: &ReportAudit) -> Option<i64> {
    let f = a.field("year").filter(|f| f.status != Status::Ambiguous)?;
    match f.value {
        Some(Value::Int(y)) => Some(y),
        _ => None,
    }
}

/// One agency group and year: the unit the group filter narrows the list to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    /// `None`: reports whose agency could not be read.
    pub group: Option<String>,
    pub year: Option<i64>,
}

impl GroupKey {
    pub fn of(a: &ReportAudit) -> GroupKey {
        GroupKey { group: report_group(a).map(str::to_string), year: report_year(a) }
    }

    /// Whether `a` belongs to this group and year (no allocation: called per entry).
    pub fn matches(&self, a: &ReportAudit) -> bool {
        report_group(a) == self.group.as_deref() && report_year(a) == self.year
    }

    pub fn label(&self) -> String {
        format!(
            "{} {}",
            self.group.as_deref().unwrap_or("(机关未识别)"),
            self.year.map(|y| y.to_string()).unwrap_or_else(|| "(年度未识别)".to_string())
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    pub rule: String,
    pub count: usize,
    pub confirmed: usize,
    pub dismissed: usize,
    pub open: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub key: GroupKey,
    pub reports: usize,
    /// Open (undecided) errors and warnings over the group's reports.
    pub errors: usize,
    pub warnings: usize,
}

/// What a progress row narrows the list to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    New,
    InProgress,
    Done,
    /// Still being audited.
    Pending,
    /// Could not be read or audited.
    Failed,
    /// Reports with any undecided finding.
    Open,
    /// Reports with a conflict between reviewers.
    Conflict,
}

impl StateFilter {
    pub fn label(self) -> &'static str {
        match self {
            StateFilter::New => "新",
            StateFilter::InProgress => "审核中",
            StateFilter::Done => "已完成",
            StateFilter::Pending => "审计中",
            StateFilter::Failed => "无法读取",
            StateFilter::Open => "有未处理问题",
            StateFilter::Conflict => "有审核冲突",
        }
    }

    pub fn accepts(self, e: &Entry) -> bool {
        match (self, e.audit()) {
            (StateFilter::Pending, a) => a.is_none(),
            (_, None) => false,
            (StateFilter::Failed, Some(a)) => a.error.is_some(),
            (_, Some(a)) if a.error.is_some() => false,
            (StateFilter::New, Some(a)) => a.review_state() == ReviewState::New,
            (StateFilter::InProgress, Some(a)) => a.review_state() == ReviewState::InProgress,
            (StateFilter::Done, Some(a)) => a.review_state() == ReviewState::Done,
            (StateFilter::Open, Some(a)) => a.findings.iter().any(|f| f.decision.is_none()),
            (StateFilter::Conflict, Some(a)) => !a.conflicts.is_empty(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub new: usize,
    pub in_progress: usize,
    pub done: usize,
    pub pending: usize,
    pub failed: usize,
    pub decided: usize,
    pub findings: usize,
    /// Reports with at least one undecided finding.
    pub with_open: usize,
    /// Conflicts between reviewers not yet settled (a merged log brought them).
    pub conflicts: usize,
}

/// One row of the progress table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressRow {
    pub label: &'static str,
    pub value: String,
    pub filter: StateFilter,
}

impl Progress {
    pub fn rows(&self) -> Vec<ProgressRow> {
        let row = |label, n: usize, filter| ProgressRow { label, value: n.to_string(), filter };
        vec![
            row("报告：新", self.new, StateFilter::New),
            row("报告：审核中", self.in_progress, StateFilter::InProgress),
            row("报告：已完成", self.done, StateFilter::Done),
            row("报告：审计中", self.pending, StateFilter::Pending),
            row("报告：无法读取", self.failed, StateFilter::Failed),
            ProgressRow {
                label: "问题：已处理/总数",
                value: format!("{}/{}", self.decided, self.findings),
                filter: StateFilter::Open,
            },
            row("审核冲突：待定", self.conflicts, StateFilter::Conflict),
        ]
    }
}

/// Everything the overview screen shows, computed in one pass over the entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overview {
    /// By finding count, most first; then by rule id.
    pub rules: Vec<RuleRow>,
    /// By group then year; unknown groups and years last.
    pub groups: Vec<GroupRow>,
    pub progress: Progress,
}

impl Overview {
    /// The aggregates over `entries` in one pass (the app keeps a [`Tally`] instead).
    pub fn build(entries: &[Entry]) -> Overview {
        let mut t = Tally::default();
        for e in entries {
            t.add(e.audit().map(|a| &**a));
        }
        t.overview()
    }
}

/// Running totals behind [`Overview`]: a report's share is added when it arrives and taken
/// out again when a re-audit replaces it, so keeping the overview current costs work per
/// changed report, never a walk over every report and finding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    rules: HashMap<String, RuleRow>,
    groups: HashMap<GroupKey, GroupRow>,
    progress: Progress,
}

impl Tally {
    /// Counts one entry: `None` for a report still being audited.
    pub fn add(&mut self, a: Option<&ReportAudit>) {
        self.apply(a, true);
    }

    /// Takes back exactly what [`Tally::add`] counted for the same entry.
    pub fn remove(&mut self, a: Option<&ReportAudit>) {
        self.apply(a, false);
    }

    fn apply(&mut self, a: Option<&ReportAudit>, add: bool) {
        let bump = |n: &mut usize| {
            if add {
                *n += 1;
            } else {
                *n = n.saturating_sub(1);
            }
        };
        let p = &mut self.progress;
        let Some(a) = a else {
            bump(&mut p.pending);
            return;
        };
        if a.error.is_some() {
            bump(&mut p.failed);
            return;
        }
        for _ in &a.conflicts {
            bump(&mut p.conflicts);
        }
        match a.review_state() {
            ReviewState::New => bump(&mut p.new),
            ReviewState::InProgress => bump(&mut p.in_progress),
            ReviewState::Done => bump(&mut p.done),
        }
        let key = GroupKey::of(a);
        let g = self.groups.entry(key.clone()).or_insert_with(|| GroupRow { key, reports: 0, errors: 0, warnings: 0 });
        bump(&mut g.reports);
        let mut any_open = false;
        for f in &a.findings {
            bump(&mut p.findings);
            // Look up by &str first: a rule row is created once, not once per finding.
            if add && !self.rules.contains_key(f.rule.as_str()) {
                let row = RuleRow { rule: f.rule.clone(), count: 0, confirmed: 0, dismissed: 0, open: 0 };
                self.rules.insert(f.rule.clone(), row);
            }
            let Some(r) = self.rules.get_mut(f.rule.as_str()) else { continue };
            bump(&mut r.count);
            match &f.decision {
                Some(d) => {
                    bump(&mut p.decided);
                    match d.verdict {
                        crate::model::Verdict::Confirmed => bump(&mut r.confirmed),
                        crate::model::Verdict::Dismissed => bump(&mut r.dismissed),
                    }
                }
                None => {
                    bump(&mut r.open);
                    any_open = true;
                    match f.severity {
                        Severity::Error => bump(&mut g.errors),
                        Severity::Warning => bump(&mut g.warnings),
                        Severity::Info => {}
                    }
                }
            }
            if r.count == 0 {
                self.rules.remove(f.rule.as_str());
            }
        }
        if any_open {
            bump(&mut p.with_open);
        }
        if g.reports == 0 {
            let key = g.key.clone();
            self.groups.remove(&key);
        }
    }

    /// The overview's sorted tables: O(rules + groups), independent of the number of findings.
    pub fn overview(&self) -> Overview {
        let mut rules: Vec<RuleRow> = self.rules.values().cloned().collect();
        rules.sort_unstable_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
        let mut groups: Vec<GroupRow> = self.groups.values().cloned().collect();
        groups.sort_unstable_by(|a, b| group_order(&a.key, &b.key));
        Overview { rules, groups, progress: self.progress.clone() }
    }
}

/// Known groups first (by name), then by year within a group; unknown values last.
pub fn group_order(a: &GroupKey, b: &GroupKey) -> std::cmp::Ordering {
    // Borrowed keys: this runs for every comparison of a sort over thousands of groups.
    fn k(g: &GroupKey) -> (bool, Option<&str>, bool, Option<i64>) {
        (g.group.is_none(), g.group.as_deref(), g.year.is_none(), g.year)
    }
    k(a).cmp(&k(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Decision, Field, Verdict};
    use crate::tui::testing::sample_report;
    use std::sync::Arc;

    fn with_group(mut a: ReportAudit, g: &str) -> ReportAudit {
        a.fields.insert(GROUP_FIELD.into(), Field::exact(GROUP_FIELD, "机关分组", Some(Value::Text(g.into())), "", None));
        a
    }

    #[test]
    fn counts_rules_groups_and_progress() {
        let a = with_group(sample_report("a.txt", "平潭综合实验区管理委员会", "2022", "2021"), "平潭");
        let mut b = with_group(sample_report("b.txt", "平潭综合实验区管理委员会", "2023", "2021"), "平潭");
        b.group = Some("平潭".into());
        b.findings[0].decision = Some(Decision {
            verdict: Verdict::Dismissed,
            note: String::new(),
            reviewer: "x".into(),
            ts: "t".into(),
            stale: false,
        });
        let c = sample_report("c.txt", "福清市人民政府", "2023", "2019");
        let entries = vec![
            Entry::Ready(Arc::new(b)),
            Entry::Ready(Arc::new(a)),
            Entry::Ready(Arc::new(c)),
            Entry::Pending { path: "p.txt".into() },
            Entry::Ready(Arc::new(ReportAudit::failed("x.txt".into(), "坏".into()))),
        ];
        let o = Overview::build(&entries);
        let bal = o.rules.iter().find(|r| r.rule == "table3.balance").expect("rule row");
        assert_eq!((bal.count, bal.confirmed, bal.dismissed, bal.open), (3, 0, 1, 2));
        assert_eq!(o.rules[0].count, 3);
        let keys: Vec<String> = o.groups.iter().map(|g| g.key.label()).collect();
        assert_eq!(keys, ["平潭 2022", "平潭 2023", "(机关未识别) 2023"]);
        assert_eq!((o.groups[1].errors, o.groups[1].warnings), (0, 1), "the dismissed error is not open");
        let p = &o.progress;
        assert_eq!((p.new, p.in_progress, p.pending, p.failed), (2, 1, 1, 1));
        assert_eq!((p.decided, p.findings), (1, 6));
        assert_eq!(p.rows()[5].value, "1/6");
        assert!(StateFilter::Pending.accepts(&entries[3]));
        assert!(StateFilter::Failed.accepts(&entries[4]));
        assert!(StateFilter::InProgress.accepts(&entries[0]));
        assert!(!StateFilter::New.accepts(&entries[0]));
        assert!(o.groups[0].key.matches(entries[1].audit().expect("ready")));
    }
}
