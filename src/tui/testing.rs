//! An in-memory [`ReviewBackend`] for screen tests and benchmarks.
//!
//! It keeps reports in memory, applies corrections and decisions to them directly (no checks
//! are re-run), records every call in a shared log the test can read, and can hold results
//! back so that `poll` delivers them later, as the background audit would.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use crate::model::{Decision, Field, Finding, Severity, Span, Status, Value, Verdict, display_opt};
use crate::pipeline::ReportAudit;

use super::backend::{Entry, ReviewBackend};

/// Calls made to the fake, one line each (e.g. `correct 0 t3.new.total 6 笔误`).
pub type CallLog = Rc<RefCell<Vec<String>>>;

pub struct FakeBackend {
    pub entries: Vec<Entry>,
    /// Results `poll` will deliver, `per_poll` per call.
    pub queued: VecDeque<(usize, ReportAudit)>,
    /// How many queued results one `poll` delivers (1 unless a test sets it).
    pub per_poll: usize,
    pub calls: CallLog,
    /// What the next `reload_rules` returns.
    pub reload_result: Result<String, String>,
    /// Answer to `rules_changed_on_disk` (reset to false once read).
    pub rules_changed: bool,
    pub problems: Vec<String>,
    /// Snapshots for undo: (report, audit before the action).
    history: Vec<(usize, Arc<ReportAudit>)>,
}

impl FakeBackend {
    pub fn new(audits: Vec<ReportAudit>) -> FakeBackend {
        FakeBackend {
            entries: audits.into_iter().map(|a| Entry::Ready(Arc::new(a))).collect(),
            queued: VecDeque::new(),
            per_poll: 1,
            calls: Rc::new(RefCell::new(Vec::new())),
            reload_result: Ok("规则已重新加载".to_string()),
            rules_changed: false,
            problems: Vec::new(),
            history: Vec::new(),
        }
    }

    /// `n` entries, all pending; their results are queued in order, delivered `per_poll` per
    /// `poll`.
    pub fn pending(n: usize) -> FakeBackend {
        let mut fb = FakeBackend::new(Vec::new());
        for i in 0..n {
            let path = PathBuf::from(format!("reports/{i:05}.txt"));
            fb.entries.push(Entry::Pending { path: path.clone() });
            let mut a = sample_report(&format!("{i:05}.txt"), "平潭综合实验区管理委员会", "2023", "2021");
            a.path = path;
            fb.queued.push_back((i, a));
        }
        fb
    }

    fn log(&self, s: String) {
        self.calls.borrow_mut().push(s);
    }

    fn audit(&self, report: usize) -> Result<Arc<ReportAudit>, String> {
        match self.entries.get(report) {
            Some(Entry::Ready(a)) => Ok(a.clone()),
            Some(Entry::Pending { .. }) => Err("该报告仍在审计中".to_string()),
            None => Err(format!("没有第{}份报告", report + 1)),
        }
    }

    fn replace(&mut self, report: usize, new: ReportAudit) {
        if let Some(Entry::Ready(old)) = self.entries.get(report) {
            self.history.push((report, old.clone()));
        }
        self.entries[report] = Entry::Ready(Arc::new(new));
    }

    fn set_field(&mut self, report: usize, field: &str, value: Option<Value>) -> Result<String, String> {
        let a = self.audit(report)?;
        let mut new = (*a).clone();
        let f = new.fields.get_mut(field).ok_or_else(|| format!("没有字段 {field}"))?;
        let old = f.display_value();
        f.extracted = Some(f.value.clone());
        f.value = value;
        f.status = Status::Corrected;
        f.candidates.clear();
        f.joint = None;
        let msg = format!("已保存：{field} {old} → {}（写入 {}）", display_opt(&f.value), self.log_path().display());
        self.replace(report, new);
        Ok(msg)
    }
}

fn parse_value(input: &str) -> Option<Value> {
    let t = input.trim();
    if t.is_empty() {
        None
    } else if let Ok(i) = t.parse::<i64>() {
        Some(Value::Int(i))
    } else {
        Some(Value::Text(t.to_string()))
    }
}

impl ReviewBackend for FakeBackend {
    fn poll(&mut self) -> bool {
        let mut changed = false;
        for _ in 0..self.per_poll.max(1) {
            match self.queued.pop_front() {
                Some((i, a)) if i < self.entries.len() => {
                    self.entries[i] = Entry::Ready(Arc::new(a));
                    changed = true;
                }
                _ => break,
            }
        }
        changed
    }

    fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn progress(&self) -> (usize, usize) {
        let done = self.entries.iter().filter(|e| e.audit().is_some()).count();
        (done, self.entries.len())
    }

    fn validate(&self, report: usize, field: &str, input: &str) -> Result<(), String> {
        let a = self.audit(report)?;
        let f = a.field(field).ok_or_else(|| format!("没有字段 {field}"))?;
        let numeric = matches!(f.value, Some(Value::Int(_)))
            || f.candidates.iter().any(|c| matches!(c.value, Some(Value::Int(_))));
        if numeric && !input.trim().is_empty() && input.trim().parse::<i64>().is_err() {
            return Err("应为整数（留空表示空白单元格）".to_string());
        }
        Ok(())
    }

    fn correct(&mut self, report: usize, field: &str, input: &str, reason: &str) -> Result<String, String> {
        self.log(format!("correct {report} {field} {input} {reason}"));
        self.validate(report, field, input)?;
        if reason.trim().is_empty() {
            return Err("理由不能为空".to_string());
        }
        self.set_field(report, field, parse_value(input))
    }

    fn settle(&mut self, report: usize, field: &str, candidate: usize) -> Result<String, String> {
        self.log(format!("settle {report} {field} {candidate}"));
        let a = self.audit(report)?;
        let f = a.field(field).ok_or_else(|| format!("没有字段 {field}"))?;
        let c = f.candidates.get(candidate).ok_or_else(|| format!("没有第{}个候选值", candidate + 1))?;
        let v = c.value.clone();
        self.set_field(report, field, v)
    }

    fn settle_row(&mut self, report: usize, field: &str, reading: usize) -> Result<String, String> {
        self.log(format!("settle_row {report} {field} {reading}"));
        let a = self.audit(report)?;
        let f = a.field(field).ok_or_else(|| format!("没有字段 {field}"))?;
        let j = f.joint.clone().ok_or_else(|| format!("{field} 不属于有多种读法的表格行"))?;
        let r = j.readings.get(reading).cloned().ok_or_else(|| format!("没有第{}种读法", reading + 1))?;
        let mut out = Ok(String::new());
        for (id, v) in j.fields.iter().zip(r) {
            if a.field(id).is_some_and(|f| f.status == crate::model::Status::Ambiguous) {
                out = self.set_field(report, id, v);
            }
        }
        out
    }

    fn decide(&mut self, report: usize, finding_key: &str, verdict: Verdict, note: &str) -> Result<String, String> {
        self.log(format!("decide {report} {finding_key} {} {note}", verdict.as_str()));
        let a = self.audit(report)?;
        let mut new = (*a).clone();
        let f = new
            .findings
            .iter_mut()
            .find(|f| f.key == finding_key)
            .ok_or_else(|| format!("没有问题 {finding_key}"))?;
        f.decision = Some(Decision {
            verdict,
            note: note.to_string(),
            reviewer: self.reviewer(),
            ts: "2024-01-01T00:00:00+08:00".to_string(),
            stale: false,
        });
        let word = if verdict == Verdict::Confirmed { "已确认" } else { "已驳回" };
        self.replace(report, new);
        Ok(format!("{word}：{finding_key}"))
    }

    fn undo(&mut self) -> Result<String, String> {
        self.log("undo".to_string());
        let (report, old) = self.history.pop().ok_or_else(|| "没有可撤销的操作".to_string())?;
        self.entries[report] = Entry::Ready(old);
        Ok("已撤销上一操作（追加撤销记录）".to_string())
    }

    fn rule_file(&mut self, rule: Option<&str>) -> Result<(PathBuf, usize), String> {
        self.log(format!("rule_file {}", rule.unwrap_or("-")));
        Ok(match rule {
            Some(r) => (PathBuf::from(format!("rules/{}.yaml", r.split('.').next().unwrap_or(r))), 7),
            None => (PathBuf::from("rules/checks.yaml"), 1),
        })
    }

    fn reload_rules(&mut self) -> Result<String, String> {
        self.log("reload_rules".to_string());
        self.reload_result.clone()
    }

    fn rules_changed_on_disk(&mut self) -> bool {
        std::mem::take(&mut self.rules_changed)
    }

    fn log_path(&self) -> PathBuf {
        PathBuf::from("corrections.jsonl")
    }

    fn reviewer(&self) -> String {
        "张三".to_string()
    }

    fn log_problems(&self) -> Vec<String> {
        self.problems.clone()
    }
}

/// Byte span of the first occurrence of `needle` in `text`, with line/col filled in.
pub fn span_of(text: &str, needle: &str) -> Option<Span> {
    let start = text.find(needle)?;
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Some(Span { start, end: start + needle.len(), line, col })
}

/// A small but realistic audited report: identity fields, a table-three field that is
/// ambiguous, one error and one warning.
pub fn sample_report(file: &str, agency: &str, year: &str, template: &str) -> ReportAudit {
    let text = format!(
        "{agency}{year}年政府信息公开工作年度报告\n\
         发布日期：2024-01-20\n\
         一、总体情况\n\
         本年度共收到政府信息公开申请5件。\n\
         三、收到和处理政府信息公开申请情况\n\
         新收政府信息公开申请数量 5 0\n\
         上年结转政府信息公开申请数量 1\n\
         办理结果总计 6\n"
    );
    let mut fields = crate::model::Fields::new();
    let mut put = |id: &str, label: &str, v: Option<Value>, raw: &str| {
        let span = span_of(&text, raw);
        fields.insert(id.to_string(), Field::exact(id, label, v, raw, span));
    };
    put("title", "标题", Some(Value::Text(format!("{agency}{year}年政府信息公开工作年度报告"))), agency);
    put("agency", "机关", Some(Value::Text(agency.to_string())), agency);
    put("year", "年度", year.parse().ok().map(Value::Int), year);
    put("template", "模板", Some(Value::Text(template.to_string())), "三、收到和处理");
    put("published", "发布日期", crate::model::Date::parse_iso("2024-01-20").map(Value::Date), "2024-01-20");
    put("t3.carried.total", "上年结转", Some(Value::Int(1)), "1\n办理");
    put("t3.total.total", "办理结果总计", Some(Value::Int(6)), "6\n");
    let mut amb = Field::exact("t3.new.total", "新收申请", None, "5 0", span_of(&text, "5 0"));
    amb.status = Status::Ambiguous;
    amb.candidates = vec![
        crate::model::Candidate { value: Some(Value::Int(5)), note: Some("叙述文字印证".to_string()) },
        crate::model::Candidate { value: Some(Value::Int(0)), note: None },
        crate::model::Candidate { value: None, note: Some("空白单元格".to_string()) },
    ];
    fields.insert(amb.id.clone(), amb);
    let findings = vec![
        Finding {
            rule: "table3.balance".to_string(),
            severity: Severity::Error,
            message: "表三「总计」列：新收? + 上年结转1 ≠ 办理结果总计6 + 结转下年度0".to_string(),
            span: span_of(&text, "办理结果总计 6"),
            fields: vec!["t3.new.total".to_string(), "t3.total.total".to_string()],
            key: "table3.balance#total".to_string(),
            decision: None,
        },
        Finding {
            rule: "meta.late".to_string(),
            severity: Severity::Warning,
            message: format!("{year}年度报告发布于2024-01-20，请核对发布期限"),
            span: span_of(&text, "2024-01-20"),
            fields: vec!["published".to_string()],
            key: "meta.late".to_string(),
            decision: None,
        },
    ];
    ReportAudit {
        path: PathBuf::from(format!("reports/{file}")),
        id: format!("id-{file}"),
        encoding: "UTF-8".to_string(),
        text: Arc::from(text.as_str()),
        fields,
        claims: Arc::default(),
        findings,
        error: None,
        stale: Vec::new(),
        group: None,
        prev: None,
        conflicts: Vec::new(),
        tables: Vec::new(),
        grids: Arc::from(Vec::new()),
    }
}
