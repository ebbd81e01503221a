//! A review session: the engine, the correction log and the background audit behind the
//! reviewer screens (the real `ReviewBackend`).
//!
//! Reports are audited on a background thread (in parallel) and arrive through a channel; the
//! screens never wait for them. A correction or decision is appended to the log — written and
//! synced — before the report is re-audited and the screen says "saved".

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Instant, SystemTime};

use rayon::prelude::*;

use crate::journal::{Journal, Record, Replay, Subject};
use crate::load::Document;
use crate::model::{Status, Verdict, display_opt};
use crate::link::{BatchContext, LinkInfo, Links};
use crate::pipeline::{ReportAudit, load_and_audit};
use crate::rules::RuleSet;
use crate::tui::backend::{Entry, ReviewBackend};

/// Folder the built-in rules are written to when the reviewer asks to edit them.
pub const EDITABLE_RULES_DIR: &str = "nianbao-rules";

type Done = (u64, usize, Option<Arc<Document>>, ReportAudit);

/// Most of a tick spent taking in background results (a frame is 16 ms).
const POLL_BUDGET: std::time::Duration = std::time::Duration::from_millis(3);

/// Frees replaced audits on a thread of their own: a report's fields are a few thousand small
/// allocations, and freeing a few hundred of them on the screen's thread is a visible stutter.
fn drop_elsewhere<T: Send + 'static>(items: Vec<T>) {
    if !items.is_empty() {
        std::thread::spawn(move || drop(items));
    }
}

pub struct Session {
    rules: Arc<RuleSet>,
    rules_dir: Option<PathBuf>,
    rules_stamp: Option<SystemTime>,
    rules_checked: Instant,
    journal: Journal,
    replay: Arc<Replay>,
    reviewer: String,
    entries: Vec<Entry>,
    docs: Vec<Option<Arc<Document>>>,
    audited: usize,
    generation: u64,
    tx: Sender<Done>,
    rx: Receiver<Done>,
    log_problems: Vec<String>,
    /// Cross-year linking: built once every report has been audited on its own, then kept up
    /// to date as corrections move reports between agencies.
    prev_wanted: Vec<String>,
    link_infos: Vec<Option<LinkInfo>>,
    links: Option<Links>,
    contexts: Vec<Option<BatchContext>>,
    /// Linking runs on its own thread (a whole batch takes longer than a frame).
    linking: Option<Receiver<(u64, Links, Vec<BatchContext>)>>,
    /// Reports re-audited while the batch was being linked: applied to the links when they arrive.
    relink_after: Vec<(usize, LinkInfo)>,
    /// Reports of the current full audit (the first, or after a rule reload) still to arrive;
    /// the batch is linked when it reaches zero.
    unlinked: usize,
    /// When the log file was last looked at for changes made by others (a merge, a pull).
    log_checked: Instant,
    /// Said once in the status line: the log changed and brought conflicts, say.
    notice: Option<String>,
}

/// Shown when no reviewer name is known: the session opens, but only to look.
pub const NO_REVIEWER: &str = "未设置审核人，只能查看：请用 --reviewer 姓名 重新打开（$USER 未设置）";

type Work = Vec<(usize, PathBuf, Option<Arc<Document>>, Option<BatchContext>)>;

impl Session {
    pub fn open(paths: &[PathBuf], rules: RuleSet, rules_dir: Option<PathBuf>, log: &Path, reviewer: String) -> anyhow::Result<Session> {
        let journal = Journal::open(log).map_err(|e| anyhow::anyhow!("cannot read the correction log {}: {e}", log.display()))?;
        let log_problems: Vec<String> = journal.problems().iter().map(|p| p.message.clone()).collect();
        let replay = Arc::new(crate::journal::replay(journal.records()));
        let (files, missing) = crate::load::discover(paths);
        let mut entries: Vec<Entry> = files.iter().map(|p| Entry::Pending { path: p.clone() }).collect();
        let mut audited = 0;
        for (p, e) in missing {
            entries.push(Entry::Ready(Arc::new(ReportAudit::failed(p, e.to_string()))));
            audited += 1;
        }
        let (tx, rx) = channel();
        let n = entries.len();
        let mut s = Session {
            rules_stamp: rules_dir.as_deref().and_then(newest_mtime),
            rules: Arc::new(rules),
            rules_dir,
            rules_checked: Instant::now(),
            journal,
            replay,
            reviewer,
            entries,
            docs: vec![None; n],
            audited,
            generation: 0,
            tx,
            rx,
            log_problems,
            prev_wanted: Vec::new(),
            link_infos: vec![None; n],
            links: None,
            contexts: vec![None; n],
            linking: None,
            relink_after: Vec::new(),
            unlinked: 0,
            log_checked: Instant::now(),
            notice: None,
        };
        if s.reviewer.trim().is_empty() {
            s.notice = Some(NO_REVIEWER.to_string());
        } else if !s.replay.conflicts().is_empty() {
            s.notice = Some(conflict_notice(&s.replay, s.replay.conflicts().iter().collect()));
        }
        s.prev_wanted = crate::link::prev_refs(&s.rules);
        s.unlinked = files.len();
        s.start_audit(files.into_iter().enumerate().map(|(i, p)| (i, p, None, None)).collect());
        Ok(s)
    }

    /// Audit these entries on a background thread; results older than the current generation
    /// (rules reloaded since) are dropped when they arrive.
    fn start_audit(&mut self, work: Work) {
        let (rules, replay, tx, generation) = (self.rules.clone(), self.replay.clone(), self.tx.clone(), self.generation);
        std::thread::spawn(move || {
            for chunk in work.chunks(64) {
                let done: Vec<Done> = chunk
                    .par_iter()
                    .map(|(i, path, doc, ctx)| {
                        let (doc, audit) = load_and_audit(path, doc.clone(), &rules, Some(&replay), ctx.as_ref());
                        (generation, *i, doc, audit)
                    })
                    .collect();
                for d in done {
                    if tx.send(d).is_err() {
                        return;
                    }
                }
            }
        });
    }

    fn ready(&self, report: usize) -> Result<&Arc<ReportAudit>, String> {
        match self.entries.get(report) {
            Some(Entry::Ready(a)) if a.error.is_none() => Ok(a),
            Some(Entry::Ready(a)) => Err(format!("该报告无法读取：{}", a.error.clone().unwrap_or_default())),
            Some(Entry::Pending { .. }) => Err("该报告仍在审计中，请稍候".into()),
            None => Err("没有这份报告".into()),
        }
    }

    /// Re-audit one report now (a single report takes about a millisecond) and relink it when
    /// its agency, year or the fields last year's checks read have changed.
    fn reaudit(&mut self, report: usize) {
        self.reaudit_one(report);
        let Some(audit) = self.entries[report].audit() else { return };
        let info = LinkInfo::new(audit.path.clone(), audit.id.clone(), &audit.fields, &self.prev_wanted);
        // A corrected agency or year moves the report: its old and new neighbours see it change.
        let known = match &self.links {
            Some(l) => l.info(report),
            None => self.link_infos.get(report).and_then(|i| i.as_ref()),
        };
        let moved = known.map(|o| (&o.key, &o.fields)) != Some((&info.key, &info.fields));
        if self.linking.is_some() {
            self.relink_after.push((report, info));
            return;
        }
        if let Some(slot) = self.link_infos.get_mut(report) {
            *slot = Some(info.clone());
        }
        if moved {
            self.relink(report, info);
        }
    }

    fn relink(&mut self, report: usize, info: LinkInfo) {
        let mut touched = Vec::new();
        if let Some(links) = &mut self.links {
            touched = links.update(report, info);
            for &i in &touched {
                self.contexts[i] = Some(links.context(i));
            }
        }
        for i in touched {
            self.reaudit_one(i);
        }
    }

    /// Re-audit without relinking (used after linking changed a report's context).
    fn reaudit_one(&mut self, i: usize) {
        let path = self.entries[i].path().to_path_buf();
        let (doc, audit) = load_and_audit(&path, self.docs[i].clone(), &self.rules, Some(&self.replay), self.contexts[i].as_ref());
        self.docs[i] = doc;
        self.entries[i] = Entry::Ready(Arc::new(audit));
    }

    /// Once every report has been audited on its own, link them by agency and year and
    /// re-audit (in the background) the ones that have last year's report or another version.
    fn link_when_complete(&mut self) {
        if self.links.is_some() || self.linking.is_some() || self.unlinked > 0 {
            return;
        }
        let infos = std::mem::take(&mut self.link_infos);
        let (tx, rx) = channel();
        let generation = self.generation;
        std::thread::spawn(move || {
            let links = Links::new(infos);
            let contexts = (0..links.len()).map(|i| links.context(i)).collect();
            let _ = tx.send((generation, links, contexts));
        });
        self.linking = Some(rx);
    }

    /// Take in the links once the linking thread is done, and re-audit (in the background) the
    /// reports that have last year's report or another version.
    fn take_links(&mut self) -> bool {
        let Some(rx) = &self.linking else { return false };
        let Ok((generation, links, contexts)) = rx.try_recv() else { return false };
        self.linking = None;
        if generation != self.generation {
            return false;
        }
        let mut work: Work = Vec::new();
        for (i, ctx) in contexts.into_iter().enumerate() {
            if ctx.prev.is_some() || ctx.next.is_some() || !ctx.duplicates.is_empty() {
                work.push((i, self.entries[i].path().to_path_buf(), self.docs[i].clone(), Some(ctx.clone())));
            }
            self.contexts[i] = Some(ctx);
        }
        self.links = Some(links);
        if !work.is_empty() {
            self.start_audit(work);
        }
        for (report, info) in std::mem::take(&mut self.relink_after) {
            self.relink(report, info);
        }
        true
    }

    fn append(&mut self, record: Record) -> Result<(), String> {
        if record.reviewer.trim().is_empty() {
            return Err(NO_REVIEWER.to_string());
        }
        self.journal
            .append(record)
            .map_err(|e| format!("未保存：写入更正记录失败（{}）：{e}", self.journal.path().display()))?;
        self.replay = Arc::new(crate::journal::replay(self.journal.records()));
        Ok(())
    }

    /// What a new record on this subject knowingly replaces: the other reviewers' say on it
    /// that the reviewer has on screen (one value, or both sides of a conflict).
    fn overridden(&self, report: &str, subject: Subject, key: &str) -> Vec<String> {
        let ids = self.replay.overrides(report, subject, key);
        ids.into_iter()
            .filter(|id| self.replay.records().iter().any(|r| &r.id == id && r.reviewer != self.reviewer))
            .collect()
    }

    /// Re-reads the log when another process changed it (a `git pull`, a `log merge`, a
    /// colleague on a shared drive), then re-audits every report with it. Checked once a second.
    fn reload_log_if_changed(&mut self) -> bool {
        if self.log_checked.elapsed().as_millis() < 1000 {
            return false;
        }
        self.log_checked = Instant::now();
        if !self.journal.changed_on_disk() {
            return false;
        }
        let before: std::collections::HashSet<String> = self.replay.conflicts().iter().map(|c| c.id()).collect();
        let count = self.journal.records().len();
        if let Err(e) = self.journal.reload() {
            self.notice = Some(format!("无法重新读取更正记录：{e}"));
            return true;
        }
        self.log_problems = self.journal.problems().iter().map(|p| p.message.clone()).collect();
        self.replay = Arc::new(crate::journal::replay(self.journal.records()));
        let new: Vec<&crate::journal::Conflict> = self.replay.conflicts().iter().filter(|c| !before.contains(&c.id())).collect();
        self.notice = Some(if new.is_empty() {
            format!("更正记录已更新（{} → {} 条），正在重新审计", count, self.journal.records().len())
        } else {
            conflict_notice(&self.replay, new)
        });
        self.reaudit_all();
        true
    }

    /// Re-audits every report in the background (rules or log changed) and links the batch
    /// again; reports already shown stay on screen until their new audit arrives.
    fn reaudit_all(&mut self) {
        self.generation += 1;
        let work: Work = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.audit().is_some_and(|a| a.error.is_none()) || matches!(e, Entry::Pending { .. }))
            .map(|(i, e)| (i, e.path().to_path_buf(), self.docs[i].clone(), self.contexts[i].clone()))
            .collect();
        self.audited = self.entries.iter().filter(|e| e.audit().is_some()).count();
        self.links = None;
        self.linking = None;
        self.relink_after.clear();
        self.link_infos = vec![None; self.entries.len()];
        self.unlinked = work.len();
        self.start_audit(work);
    }

    fn index_of_report(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.audit().is_some_and(|a| a.id == id))
    }
}

impl ReviewBackend for Session {
    fn poll(&mut self) -> bool {
        let mut changed = self.reload_log_if_changed();
        // Results arrive by the thousand once linking re-audits the batch: take in what fits
        // in a slice of one frame and leave the rest to the next ticks, so no tick stutters.
        let deadline = Instant::now() + POLL_BUDGET;
        let mut retired = Vec::new();
        while Instant::now() < deadline
            && let Ok((generation, i, doc, audit)) = self.rx.try_recv()
        {
            if generation != self.generation {
                continue;
            }
            if matches!(self.entries[i], Entry::Pending { .. }) {
                self.audited += 1;
            }
            if self.links.is_none() && self.linking.is_none() {
                self.link_infos[i] = Some(LinkInfo::new(audit.path.clone(), audit.id.clone(), &audit.fields, &self.prev_wanted));
                self.unlinked = self.unlinked.saturating_sub(1);
            }
            self.docs[i] = doc;
            retired.push(std::mem::replace(&mut self.entries[i], Entry::Ready(Arc::new(audit))));
            changed = true;
        }
        drop_elsewhere(retired);
        if changed {
            self.link_when_complete();
        }
        self.take_links() || changed
    }

    fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn progress(&self) -> (usize, usize) {
        (self.audited, self.entries.len())
    }

    fn validate(&self, _report: usize, field: &str, input: &str) -> Result<(), String> {
        let ty = self.rules.field_type(field).unwrap_or(crate::rules::FieldType::Text);
        ty.parse_input(input).map(|_| ())
    }

    fn correct(&mut self, report: usize, field: &str, input: &str, reason: &str) -> Result<String, String> {
        if reason.trim().is_empty() {
            return Err("请填写更正理由".into());
        }
        let a = self.ready(report)?.clone();
        let ty = self.rules.field_type(field).unwrap_or(crate::rules::FieldType::Text);
        let value = ty.parse_input(input)?;
        let new = display_opt(&value);
        let new_stored = value.as_ref().map(|v| v.to_string()).unwrap_or_default();
        let old = a.field(field).map(|f| match f.status {
            Status::Ambiguous => String::new(),
            _ => f.value.as_ref().map(|v| v.to_string()).unwrap_or_default(),
        });
        let old = old.unwrap_or_default();
        let path = a.path.display().to_string();
        let mut record = Record::correct(&a.id, &path, field, &old, &new_stored, reason.trim(), &self.reviewer.clone());
        record.settles = self.overridden(&a.id, Subject::Field, field);
        self.append(record)?;
        self.reaudit(report);
        Ok(format!("已保存：{field} {} → {new}（写入 {}）", if old.is_empty() { "(空)" } else { &old }, self.journal.path().display()))
    }

    fn settle(&mut self, report: usize, field: &str, candidate: usize) -> Result<String, String> {
        let a = self.ready(report)?.clone();
        let f = a.field(field).ok_or_else(|| format!("没有字段 {field}"))?;
        if !f.status.is_uncertain() {
            return Err(format!("{field} 不是待定字段"));
        }
        let c = f.candidates.get(candidate).ok_or_else(|| format!("没有第 {} 个候选值", candidate + 1))?;
        let input = c.value.as_ref().map(|v| v.to_string()).unwrap_or_default();
        let reason = if f.status == Status::Conflict { "解决冲突：选定候选值" } else { "选定候选值" };
        self.correct(report, field, &input, reason)
    }

    fn settle_row(&mut self, report: usize, field: &str, reading: usize) -> Result<String, String> {
        let a = self.ready(report)?.clone();
        let f = a.field(field).ok_or_else(|| format!("没有字段 {field}"))?;
        let j = f.joint.clone().ok_or_else(|| format!("{field} 不属于有多种读法的表格行"))?;
        let r = j.readings.get(reading).ok_or_else(|| format!("没有第 {} 种读法", reading + 1))?;
        // The reading as the reviewer saw it, named in every cell's correction.
        let label = |id: &str| a.field(id).map_or(id.to_string(), |f| f.label.rsplit_once('·').map_or(f.label.clone(), |(_, c)| c.to_string()));
        let desc: Vec<String> = j.fields.iter().zip(r).map(|(id, v)| format!("{} {}", label(id), display_opt(v))).collect();
        let reason = format!("选定第{}种整行读法：{}", reading + 1, desc.join("、"));
        let path = a.path.display().to_string();
        let mut n = 0;
        for (id, v) in j.fields.iter().zip(r) {
            if !a.field(id).is_some_and(|f| f.status == Status::Ambiguous) {
                continue;
            }
            let new = v.as_ref().map(|v| v.to_string()).unwrap_or_default();
            self.append(Record::correct(&a.id, &path, id, "", &new, &reason, &self.reviewer.clone()))?;
            n += 1;
        }
        self.reaudit(report);
        Ok(format!("已保存：{reason}（{n} 个单元格，写入 {}）", self.journal.path().display()))
    }

    fn decide(&mut self, report: usize, finding_key: &str, verdict: Verdict, note: &str) -> Result<String, String> {
        let a = self.ready(report)?.clone();
        let f = a.findings.iter().find(|f| f.key == finding_key).ok_or("该问题已不存在（规则或数据已变）")?;
        let path = a.path.display().to_string();
        let mut record = Record::decide(&a.id, &path, verdict, &f.rule, finding_key, note.trim(), &self.reviewer.clone());
        record.settles = self.overridden(&a.id, Subject::Finding, finding_key);
        self.append(record)?;
        self.reaudit(report);
        let word = if verdict == Verdict::Confirmed { "已确认" } else { "已驳回" };
        Ok(format!("{word}：{}（写入 {}）", f.rule, self.journal.path().display()))
    }

    fn undo(&mut self) -> Result<String, String> {
        if self.reviewer.trim().is_empty() {
            return Err(NO_REVIEWER.to_string());
        }
        let target = self.replay.last_live(Some(&self.reviewer)).cloned().ok_or("没有可撤销的操作")?;
        self.append(Record::revert(&target, "撤销", &self.reviewer.clone()))?;
        if let Some(i) = self.index_of_report(&target.report) {
            self.reaudit(i);
        }
        let what = target.field.clone().or(target.finding.clone()).unwrap_or_default();
        Ok(format!("已撤销：{} {what}（追加撤销记录，原记录保留）", target.action.as_str()))
    }

    fn rule_file(&mut self, rule: Option<&str>) -> Result<(PathBuf, usize), String> {
        if self.rules_dir.is_none() {
            // The built-in rules live in the binary: write them out so they can be edited.
            let dir = PathBuf::from(EDITABLE_RULES_DIR);
            RuleSet::write_defaults(&dir, false).map_err(|e| format!("无法写出规则到 {}：{e}", dir.display()))?;
            let set = RuleSet::load_dir(&dir).map_err(|e| e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))?;
            self.rules = Arc::new(set);
            self.rules_stamp = newest_mtime(&dir);
            self.rules_dir = Some(dir);
        }
        let dir = self.rules_dir.clone().unwrap_or_default();
        match rule.and_then(|r| self.rules.check(r)) {
            Some(c) => Ok((PathBuf::from(c.origin.file.as_ref()), c.origin.line)),
            None => Ok((dir.join("fields.yaml"), 1)),
        }
    }

    fn reload_rules(&mut self) -> Result<String, String> {
        let Some(dir) = self.rules_dir.clone() else { return Ok("使用内置规则，无需重新加载".into()) };
        self.rules_stamp = newest_mtime(&dir);
        match RuleSet::load_dir(&dir) {
            Ok(set) => {
                self.rules = Arc::new(set);
                self.prev_wanted = crate::link::prev_refs(&self.rules);
                // The batch is linked again: the new rules may read other fields of last year's report.
                self.reaudit_all();
                Ok(format!("规则已重新加载（{} 条检查），正在重新审计", self.rules.checks.len()))
            }
            Err(errors) => {
                let shown: Vec<String> = errors.iter().take(5).map(|e| e.to_string()).collect();
                Err(format!("规则有误，仍使用原规则：\n{}", shown.join("\n")))
            }
        }
    }

    fn rules_changed_on_disk(&mut self) -> bool {
        let Some(dir) = &self.rules_dir else { return false };
        if self.rules_checked.elapsed().as_millis() < 1000 {
            return false;
        }
        self.rules_checked = Instant::now();
        let now = newest_mtime(dir);
        now.is_some() && now != self.rules_stamp
    }

    fn log_path(&self) -> PathBuf {
        self.journal.path().to_path_buf()
    }

    fn reviewer(&self) -> String {
        if self.reviewer.trim().is_empty() { "（未设置，只读）".to_string() } else { self.reviewer.clone() }
    }

    fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }

    fn log_problems(&self) -> Vec<String> {
        self.log_problems.clone()
    }
}

/// The status line's word on conflicts: the first one named, with both sides.
fn conflict_notice(replay: &Replay, new: Vec<&crate::journal::Conflict>) -> String {
    let total = replay.conflicts().len();
    let Some(c) = new.first() else { return String::new() };
    let what = match c.subject {
        Subject::Field => format!("字段 {}", c.key),
        Subject::Finding => format!("问题 {}", c.key),
    };
    let sides: Vec<String> = c.sides.iter().map(|r| format!("{} {}", r.reviewer, crate::journal::Conflict::side_value(r))).collect();
    let file = std::path::Path::new(&c.path).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| c.path.clone());
    format!("审核冲突 {total} 处：{file} {what}：{}（打开报告，选定或更正即可解决）", sides.join(" · "))
}

/// The newest modification time among a rule folder's YAML files.
fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    fn walk(dir: &Path, best: &mut Option<SystemTime>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, best);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml")
                && let Ok(t) = e.metadata().and_then(|m| m.modified())
                    && best.is_none_or(|b| t > b) {
                        *best = Some(t);
                    }
        }
    }
    let mut best = None;
    walk(dir, &mut best);
    best
}

/// `nianbao review`: open the reviewer.
pub fn run_review(paths: Vec<PathBuf>, rules: RuleSet, rules_dir: Option<PathBuf>, log: PathBuf, reviewer: String) -> anyhow::Result<()> {
    let session = Session::open(&paths, rules, rules_dir, &log, reviewer)?;
    crate::tui::run(Box::new(session))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn wait(s: &mut Session, what: &str, done: impl Fn(&Session) -> bool) {
        let start = Instant::now();
        while !done(s) {
            s.poll();
            assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn audit(s: &Session, name: &str) -> Arc<ReportAudit> {
        s.entries().iter().filter_map(|e| e.audit()).find(|a| a.path.ends_with(name)).cloned().expect(name)
    }

    fn example(year: i64, agency: &str) -> String {
        let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/example_2021_format.txt")).unwrap();
        base.replace("青禾县人民政府2023年", &format!("{agency}{year}年"))
            .replace("2023年1月1日起至2023年12月31日", &format!("{year}年1月1日起至{year}年12月31日"))
            .replace("发布时间：2024-01-26", &format!("发布时间：{}-01-26", year + 1))
    }

    #[test]
    fn a_row_reading_is_logged_as_a_correction_of_each_cell_naming_the_reading() {
        let src = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/pingtan/202202_80613.txt"));
        let Ok(text) = std::fs::read(src) else {
            eprintln!("../shared is not here; skipped");
            return;
        };
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("r.txt"), text).unwrap();
        let log = d.path().join("log.jsonl");
        let mut s = Session::open(&[d.path().to_path_buf()], RuleSet::builtin(), None, &log, "t".into()).unwrap();
        wait(&mut s, "audit", |s| s.entries().iter().all(|e| e.audit().is_some()));
        let a = audit(&s, "r.txt");
        // "693665" on its own: several readings of 制发 | 废止 | 现行有效.
        let j = a.field("t2.normative.issued").and_then(|f| f.joint.clone()).expect("the row has readings");
        let second = j.readings[1].clone();
        let msg = s.settle_row(0, "t2.normative.issued", 1).unwrap();
        assert!(msg.contains("选定第2种整行读法"), "{msg}");
        let a = audit(&s, "r.txt");
        for (id, v) in j.fields.iter().zip(&second) {
            let f = a.field(id).unwrap();
            assert_eq!((f.status, &f.value), (Status::Corrected, v), "{id}");
        }
        let records: Vec<serde_json::Value> = std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(records.len(), 3, "one correction per cell");
        for r in &records {
            assert_eq!(r["action"], "correct");
            assert!(r["reason"].as_str().unwrap().starts_with("选定第2种整行读法：本年制发件数 "), "{r}");
        }
        assert!(s.settle_row(0, "title", 0).is_err(), "not a table row");
    }

    #[test]
    fn reports_are_linked_in_the_background_and_a_corrected_agency_relinks() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a2022.txt"), example(2022, "青禾县人民政府")).unwrap();
        std::fs::write(d.path().join("a2023.txt"), example(2023, "青禾县人民政府")).unwrap();
        std::fs::write(d.path().join("b2023.txt"), example(2023, "白石县人民政府")).unwrap();
        let log = d.path().join("log.jsonl");
        let mut s = Session::open(&[d.path().to_path_buf()], RuleSet::builtin(), None, &log, "t".into()).unwrap();
        wait(&mut s, "linking", |s| s.links.is_some() && audit(s, "a2023.txt").prev.is_some());
        assert_eq!(audit(&s, "a2023.txt").prev.as_ref().map(|p| p.year), Some(2022));
        assert!(audit(&s, "b2023.txt").prev.is_none());
        // The reviewer says b2023 is really 青禾县's: it joins that group, with 2022 as its previous year.
        let b = s.entries().iter().position(|e| e.path().ends_with("b2023.txt")).unwrap();
        s.correct(b, "agency", "青禾县人民政府", "标题机关名有误").unwrap();
        let moved = audit(&s, "b2023.txt");
        assert_eq!(moved.group.as_deref(), Some("青禾县"));
        assert_eq!(moved.prev.as_ref().map(|p| p.year), Some(2022));
        // …and the two 2023 reports of 青禾县 are now two versions of one report.
        assert!(audit(&s, "a2023.txt").findings.iter().any(|f| f.rule == "cross.duplicate"));
        // Undo puts it back.
        s.undo().unwrap();
        assert!(audit(&s, "b2023.txt").prev.is_none());
        assert!(!audit(&s, "a2023.txt").findings.iter().any(|f| f.rule == "cross.duplicate"));
        let log_text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(log_text.lines().count(), 2, "a correct and a revert record");
    }
}
