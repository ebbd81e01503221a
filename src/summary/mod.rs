//! The batch summary for a superior: the overview's figures — reports by review state, findings
//! by rule and severity with confirmed / dismissed / open, agencies ranked by confirmed errors,
//! what each reviewer did — as Markdown, or as one self-contained HTML page with the same
//! figures drawn as inline SVG (no script, no network, prints on A4).

mod svg;

use std::collections::BTreeMap;

use crate::journal::{Action, Record};
use crate::model::{Severity, Verdict};
use crate::pipeline::{ReportAudit, ReviewState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SummaryFormat {
    Html,
    Md,
}

/// Findings of one rule at one severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleCount {
    pub rule: String,
    pub severity: Option<Severity>,
    pub confirmed: usize,
    pub dismissed: usize,
    pub open: usize,
}

impl RuleCount {
    pub fn total(&self) -> usize {
        self.confirmed + self.dismissed + self.open
    }
}

/// One agency over the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyCount {
    pub agency: String,
    pub reports: usize,
    pub confirmed_errors: usize,
    pub confirmed_warnings: usize,
    pub open: usize,
}

/// What one reviewer recorded (live records; undone ones counted apart).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewerCount {
    pub reviewer: String,
    pub corrected: usize,
    pub confirmed: usize,
    pub dismissed: usize,
    pub reverted: usize,
    pub last: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub reports: usize,
    pub new: usize,
    pub in_progress: usize,
    pub done: usize,
    pub failed: usize,
    pub conflicts: usize,
    pub rules: Vec<RuleCount>,
    pub agencies: Vec<AgencyCount>,
    pub reviewers: Vec<ReviewerCount>,
    /// As printed, e.g. 2026年12月2日.
    pub date: String,
}

impl Summary {
    pub fn build(audits: &[ReportAudit], records: &[Record]) -> Summary {
        let mut s = Summary {
            reports: audits.len(),
            date: crate::letter::chinese_date(&crate::journal::rfc3339(std::time::SystemTime::now())),
            ..Summary::default()
        };
        let mut rules: BTreeMap<(String, Option<Severity>), RuleCount> = BTreeMap::new();
        let mut agencies: BTreeMap<String, AgencyCount> = BTreeMap::new();
        for a in audits {
            if a.error.is_some() {
                s.failed += 1;
                continue;
            }
            s.conflicts += a.conflicts.len();
            match a.review_state() {
                ReviewState::New => s.new += 1,
                ReviewState::InProgress => s.in_progress += 1,
                ReviewState::Done => s.done += 1,
            }
            let name = a
                .group
                .clone()
                .or_else(|| a.field("agency").filter(|f| !f.status.is_uncertain()).and_then(|f| f.value.as_ref()).map(|v| v.to_string()))
                .unwrap_or_else(|| "（机关未识别）".to_string());
            let ag = agencies.entry(name.clone()).or_insert_with(|| AgencyCount { agency: name, ..AgencyCount::default() });
            ag.reports += 1;
            for f in &a.findings {
                let r = rules
                    .entry((f.rule.clone(), Some(f.severity)))
                    .or_insert_with(|| RuleCount { rule: f.rule.clone(), severity: Some(f.severity), ..RuleCount::default() });
                match f.decision.as_ref().map(|d| d.verdict) {
                    Some(Verdict::Confirmed) => {
                        r.confirmed += 1;
                        match f.severity {
                            Severity::Error => ag.confirmed_errors += 1,
                            Severity::Warning => ag.confirmed_warnings += 1,
                            Severity::Info => {}
                        }
                    }
                    Some(Verdict::Dismissed) => r.dismissed += 1,
                    None => {
                        r.open += 1;
                        ag.open += 1;
                    }
                }
            }
        }
        s.rules = rules.into_values().collect();
        s.rules.sort_by(|a, b| b.total().cmp(&a.total()).then(b.severity.cmp(&a.severity)).then(a.rule.cmp(&b.rule)));
        s.agencies = agencies.into_values().collect();
        s.agencies.sort_by(|a, b| {
            (b.confirmed_errors, b.confirmed_warnings, b.open).cmp(&(a.confirmed_errors, a.confirmed_warnings, a.open)).then(a.agency.cmp(&b.agency))
        });
        let replay = crate::journal::replay(records);
        let mut reviewers: BTreeMap<String, ReviewerCount> = BTreeMap::new();
        for r in records {
            let c = reviewers.entry(r.reviewer.clone()).or_insert_with(|| ReviewerCount { reviewer: r.reviewer.clone(), ..ReviewerCount::default() });
            if r.ts > c.last {
                c.last = r.ts.clone();
            }
            if replay.is_reverted(&r.id) {
                continue;
            }
            match r.action {
                Action::Correct => c.corrected += 1,
                Action::Confirm => c.confirmed += 1,
                Action::Dismiss => c.dismissed += 1,
                Action::Revert => c.reverted += 1,
            }
        }
        s.reviewers = reviewers.into_values().collect();
        s
    }

    /// (label, count) of the review states, in the order they are drawn.
    pub fn states(&self) -> [(&'static str, usize); 4] {
        [("新", self.new), ("审核中", self.in_progress), ("已完成", self.done), ("无法读取", self.failed)]
    }

    pub fn render(&self, format: SummaryFormat) -> String {
        match format {
            SummaryFormat::Md => self.to_markdown(),
            SummaryFormat::Html => self.to_html(),
        }
    }

    fn totals(&self) -> (usize, usize, usize) {
        self.rules.iter().fold((0, 0, 0), |t, r| (t.0 + r.confirmed, t.1 + r.dismissed, t.2 + r.open))
    }

    pub fn to_markdown(&self) -> String {
        let md = |s: &str| s.replace('|', "\\|");
        let (c, d, o) = self.totals();
        let mut out = format!(
            "# 年度报告审核情况汇总\n\n{}　共 {} 份报告；问题确认 {c}、驳回 {d}、未处理 {o}；审核冲突 {} 处待定。\n\n## 报告审核状态\n\n| 状态 | 份数 |\n|---|---:|\n",
            self.date, self.reports, self.conflicts
        );
        for (label, n) in self.states() {
            out.push_str(&format!("| {label} | {n} |\n"));
        }
        out.push_str("\n## 问题（按规则和严重程度）\n\n| 规则 | 严重程度 | 确认 | 驳回 | 未处理 | 合计 |\n|---|---|---:|---:|---:|---:|\n");
        for r in &self.rules {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                md(&r.rule),
                r.severity.map(severity_word).unwrap_or(""),
                r.confirmed,
                r.dismissed,
                r.open,
                r.total()
            ));
        }
        out.push_str("\n## 机关（按确认的错误排序）\n\n| 机关 | 报告 | 确认错误 | 确认警告 | 未处理 |\n|---|---:|---:|---:|---:|\n");
        for a in &self.agencies {
            out.push_str(&format!("| {} | {} | {} | {} | {} |\n", md(&a.agency), a.reports, a.confirmed_errors, a.confirmed_warnings, a.open));
        }
        out.push_str("\n## 审核人\n\n| 审核人 | 更正 | 确认 | 驳回 | 撤销 | 最后操作 |\n|---|---:|---:|---:|---:|---|\n");
        for r in &self.reviewers {
            out.push_str(&format!("| {} | {} | {} | {} | {} | {} |\n", md(&r.reviewer), r.corrected, r.confirmed, r.dismissed, r.reverted, r.last));
        }
        out
    }

    pub fn to_html(&self) -> String {
        let e = crate::letter::html_escape;
        let (c, d, o) = self.totals();
        let mut body = format!(
            "<h1>年度报告审核情况汇总</h1>\n<p class=\"lead\">{}　共 <b>{}</b> 份报告；问题确认 <b>{c}</b>、驳回 <b>{d}</b>、未处理 <b>{o}</b>；审核冲突 <b>{}</b> 处待定。</p>\n",
            e(&self.date),
            self.reports,
            self.conflicts
        );
        body.push_str("<section><h2>报告审核状态</h2>\n");
        body.push_str(&svg::stacked_bar(&self.states().iter().map(|(l, n)| (l.to_string(), *n)).collect::<Vec<_>>()));
        body.push_str("<table><tr><th>状态</th><th>份数</th></tr>");
        for (label, n) in self.states() {
            body.push_str(&format!("<tr><td>{label}</td><td class=\"n\">{n}</td></tr>"));
        }
        body.push_str("</table></section>\n<section><h2>问题（按规则和严重程度）</h2>\n");
        let top: Vec<(String, [usize; 3])> = self
            .rules
            .iter()
            .take(15)
            .map(|r| (format!("{}（{}）", r.rule, r.severity.map(severity_word).unwrap_or("")), [r.confirmed, r.dismissed, r.open]))
            .collect();
        body.push_str(&svg::bars(&top, &["确认", "驳回", "未处理"], &svg::FINDINGS));
        body.push_str("<table><tr><th>规则</th><th>严重程度</th><th>确认</th><th>驳回</th><th>未处理</th><th>合计</th></tr>");
        for r in &self.rules {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                e(&r.rule),
                r.severity.map(severity_word).unwrap_or(""),
                r.confirmed,
                r.dismissed,
                r.open,
                r.total()
            ));
        }
        body.push_str("</table></section>\n<section><h2>机关（按确认的错误排序）</h2>\n");
        let ranked: Vec<(String, [usize; 3])> =
            self.agencies.iter().take(12).map(|a| (a.agency.clone(), [a.confirmed_errors, a.confirmed_warnings, a.open])).collect();
        body.push_str(&svg::bars(&ranked, &["确认错误", "确认警告", "未处理"], &svg::AGENCIES));
        body.push_str("<table><tr><th>机关</th><th>报告</th><th>确认错误</th><th>确认警告</th><th>未处理</th></tr>");
        for a in &self.agencies {
            body.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                e(&a.agency),
                a.reports,
                a.confirmed_errors,
                a.confirmed_warnings,
                a.open
            ));
        }
        body.push_str("</table></section>\n<section><h2>审核人</h2>\n");
        let who: Vec<(String, [usize; 3])> = self.reviewers.iter().map(|r| (r.reviewer.clone(), [r.confirmed, r.dismissed, r.corrected])).collect();
        body.push_str(&svg::bars(&who, &["确认", "驳回", "更正"], &svg::REVIEWERS));
        body.push_str("<table><tr><th>审核人</th><th>更正</th><th>确认</th><th>驳回</th><th>撤销</th><th>最后操作</th></tr>");
        for r in &self.reviewers {
            body.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                e(&r.reviewer),
                r.corrected,
                r.confirmed,
                r.dismissed,
                r.reverted,
                e(&r.last)
            ));
        }
        body.push_str("</table></section>\n");
        format!(
            "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>年度报告审核情况汇总</title>\n<style>\n{}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
            STYLE
        )
    }
}

const STYLE: &str = "@page { size: A4; margin: 18mm; }
body { font-family: \"Microsoft YaHei\", \"PingFang SC\", \"Noto Sans CJK SC\", \"WenQuanYi Micro Hei\", \"SimSun\", sans-serif; color: #222; max-width: 60em; margin: 1.5em auto; padding: 0 1em; line-height: 1.5; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { font-size: 1.15em; border-bottom: 2px solid #345; padding-bottom: .2em; margin-top: 1.6em; }
.lead { color: #444; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
th, td { border: 1px solid #bbb; padding: .2em .6em; text-align: left; }
th { background: #eef1f5; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { display: block; margin: .4em 0; max-width: 100%; height: auto; }
section { break-inside: avoid-page; }
";

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "错误",
        Severity::Warning => "警告",
        Severity::Info => "提示",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Decision, Finding};
    use std::path::PathBuf;

    fn audit(group: &str, verdicts: &[(Severity, Option<Verdict>)]) -> ReportAudit {
        let mut a = ReportAudit::failed(PathBuf::from(format!("{group}.txt")), String::new());
        a.error = None;
        a.group = Some(group.into());
        a.findings = verdicts
            .iter()
            .enumerate()
            .map(|(i, (severity, v))| Finding {
                rule: "r".into(),
                severity: *severity,
                message: String::new(),
                span: None,
                fields: vec![],
                key: format!("r{i}"),
                decision: v.map(|verdict| Decision { verdict, note: String::new(), reviewer: "w".into(), ts: "t".into(), stale: false }),
            })
            .collect();
        a
    }

    #[test]
    fn figures_by_state_rule_agency_and_reviewer() {
        let c = Some(Verdict::Confirmed);
        let audits = vec![
            audit("甲", &[(Severity::Error, c), (Severity::Error, c), (Severity::Warning, None)]),
            audit("乙", &[(Severity::Error, c), (Severity::Warning, Some(Verdict::Dismissed))]),
            ReportAudit::failed(PathBuf::from("x.txt"), "unreadable".into()),
        ];
        let keep = Record::correct("c", "p", "f", "", "1", "", "wang");
        let undone = Record::correct("c", "p", "g", "", "1", "", "wang");
        let records = vec![keep, undone.clone(), Record::revert(&undone, "", "wang"), Record::decide("c", "p", Verdict::Confirmed, "r", "k", "", "li")];
        let s = Summary::build(&audits, &records);
        assert_eq!((s.reports, s.in_progress, s.done, s.failed), (3, 1, 1, 1));
        assert_eq!(s.agencies[0].agency, "甲");
        assert_eq!((s.agencies[0].confirmed_errors, s.agencies[1].confirmed_errors), (2, 1));
        let errors = s.rules.iter().find(|r| r.severity == Some(Severity::Error)).unwrap();
        assert_eq!((errors.confirmed, errors.open), (3, 0));
        let wang = s.reviewers.iter().find(|r| r.reviewer == "wang").unwrap();
        assert_eq!((wang.corrected, wang.reverted), (1, 1), "an undone correction is not counted");
        let html = s.to_html();
        assert!(html.matches("<svg").count() == 4 && !html.contains("<script"));
        assert!(s.to_markdown().contains("| 甲 | 1 | 2 | 0 | 1 |"));
    }
}
