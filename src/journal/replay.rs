//! What the log says now: records replayed in file order, reverts applied.

use std::collections::HashMap;
use std::fmt;

use super::record::{Action, Record};

/// A record the replay could not apply; the record itself stays in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayProblem {
    /// Id of the offending record.
    pub id: String,
    pub message: String,
}

impl fmt::Display for ReplayProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The replayed state of a log. Holds its own copy of the records.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    records: Vec<Record>,
    /// Not reverted and not itself a revert.
    live: Vec<bool>,
    /// (report, field) → index of the live correction, when the reviewers agree.
    corrections: HashMap<(String, String), usize>,
    /// (report, finding) → index of the live decision, when the reviewers agree.
    decisions: HashMap<(String, String), usize>,
    /// (report, field or finding) → what each reviewer last said on it (indices), settled
    /// records left out: what a new record names in `settles` when it overrides them.
    sides: HashMap<(Subject, String, String), Vec<usize>>,
    conflicts: Vec<Conflict>,
    problems: Vec<ReplayProblem>,
}

/// What a conflict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Field,
    Finding,
}

/// Two or more reviewers said different things about one field or finding of one report, none
/// of them knowing the other's record (it was not named in `settles`): typically two logs
/// written apart and merged. Settled only by a later record that names every side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub report: String,
    pub path: String,
    pub subject: Subject,
    /// Field id or finding key.
    pub key: String,
    /// Each reviewer's latest record on it, in log order.
    pub sides: Vec<Record>,
}

impl Conflict {
    /// Short stable name: the first hex digits of a hash of the sides' ids.
    pub fn id(&self) -> String {
        let mut ids: Vec<&str> = self.sides.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        blake3::hash(ids.join(",").as_bytes()).to_hex()[..8].to_string()
    }

    /// What one side says: the new value of a correction, or the verdict of a decision.
    pub fn side_value(r: &Record) -> String {
        match r.action {
            Action::Correct => match r.new.as_deref() {
                Some("") | None => "(空)".to_string(),
                Some(v) => v.to_string(),
            },
            Action::Confirm => "确认".to_string(),
            Action::Dismiss => "驳回".to_string(),
            Action::Revert => String::new(),
        }
    }

    /// One line: `wang 于 … 更正为 6（理由）；li 于 … 更正为 7`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .sides
            .iter()
            .map(|r| {
                let what = match r.action {
                    Action::Correct => format!("更正为 {}", Conflict::side_value(r)),
                    _ => Conflict::side_value(r),
                };
                let why = r.reason.as_deref().or(r.note.as_deref()).filter(|s| !s.is_empty());
                match why {
                    Some(w) => format!("{} 于 {} {what}（{w}）", r.reviewer, r.ts),
                    None => format!("{} 于 {} {what}", r.reviewer, r.ts),
                }
            })
            .collect();
        parts.join("；")
    }
}

/// Replays `records` in order. A revert hides its target; a revert of a record not seen before it,
/// or of another revert, is reported and ignored. Per (report, field) and (report, finding) each
/// reviewer's latest live record counts; a record that names others in `settles` replaces them.
/// When what remains agrees it is in effect (the latest of it); when it disagrees — different
/// values, or confirm against dismiss — it is a [`Conflict`] and nothing is in effect.
pub fn replay(records: &[Record]) -> Replay {
    let mut seen: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut reverted = vec![false; records.len()];
    let mut problems = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if r.action == Action::Revert {
            let target = r.target.as_deref().unwrap_or_default();
            match seen.get(target) {
                None => problems.push(ReplayProblem {
                    id: r.id.clone(),
                    message: format!(
                        "revert {} by {} at {} undoes unknown record {target:?}; ignored",
                        r.id, r.reviewer, r.ts
                    ),
                }),
                Some(idx) if idx.iter().any(|&t| records[t].action == Action::Revert) => {
                    problems.push(ReplayProblem {
                        id: r.id.clone(),
                        message: format!(
                            "revert {} by {} at {} undoes another revert ({target}); not supported, ignored",
                            r.id, r.reviewer, r.ts
                        ),
                    })
                }
                Some(idx) => idx.iter().for_each(|&t| reverted[t] = true),
            }
        }
        seen.entry(r.id.as_str()).or_default().push(i);
    }

    let live: Vec<bool> = records
        .iter()
        .zip(&reverted)
        .map(|(r, &rev)| !rev && r.action != Action::Revert)
        .collect();
    // Per subject, in order of first appearance: reviewer → index of their latest record.
    let mut order: Vec<(Subject, String, String)> = Vec::new();
    let mut said: HashMap<(Subject, String, String), Vec<(String, usize)>> = HashMap::new();
    for (i, r) in records.iter().enumerate().filter(|&(i, _)| live[i]) {
        let (subject, key) = match r.action {
            Action::Correct => (Subject::Field, r.field.clone().unwrap_or_default()),
            Action::Confirm | Action::Dismiss => (Subject::Finding, r.finding.clone().unwrap_or_default()),
            Action::Revert => continue,
        };
        let k = (subject, r.report.clone(), key);
        let sides = said.entry(k.clone()).or_insert_with(|| {
            order.push(k);
            Vec::new()
        });
        // Duplicate lines (a record met twice) are one record.
        sides.retain(|(who, j)| who != &r.reviewer && !r.settles.contains(&records[*j].id) && records[*j].id != r.id);
        sides.push((r.reviewer.clone(), i));
    }
    let mut corrections = HashMap::new();
    let mut decisions = HashMap::new();
    let mut sides_out = HashMap::new();
    let mut conflicts = Vec::new();
    for k in order {
        let mut idx: Vec<usize> = said[&k].iter().map(|&(_, i)| i).collect();
        idx.sort_unstable();
        let says = |i: &usize| match records[*i].action {
            Action::Correct => records[*i].new.clone().unwrap_or_default(),
            a => a.as_str().to_string(),
        };
        let first = says(&idx[0]);
        let agree = idx.iter().all(|i| says(i) == first);
        let (subject, report, key) = k.clone();
        if agree {
            let latest = *idx.last().unwrap_or(&0);
            match subject {
                Subject::Field => corrections.insert((report, key), latest),
                Subject::Finding => decisions.insert((report, key), latest),
            };
        } else {
            conflicts.push(Conflict {
                path: records[idx[0]].path.clone(),
                report,
                subject,
                key,
                sides: idx.iter().map(|&i| records[i].clone()).collect(),
            });
        }
        sides_out.insert(k, idx);
    }
    Replay {
        records: records.to_vec(),
        live,
        corrections,
        decisions,
        sides: sides_out,
        conflicts,
        problems,
    }
}

impl Replay {
    /// The live correction for a field of a report (content id), if any: the latest
    /// non-reverted `correct` record for (report, field).
    pub fn correction(&self, report: &str, field: &str) -> Option<&Record> {
        let i = self
            .corrections
            .get(&(report.to_string(), field.to_string()))?;
        self.records.get(*i)
    }

    /// The live decision on a finding (by its stable key) of a report, if any.
    pub fn decision(&self, report: &str, finding_key: &str) -> Option<&Record> {
        let i = self
            .decisions
            .get(&(report.to_string(), finding_key.to_string()))?;
        self.records.get(*i)
    }

    /// Records in effect for this path under a different content id: the report changed since,
    /// so they are shown as stale and never applied. Only what `correction` / `decision` would
    /// return for the old content, in log order; superseded and reverted records are left out.
    pub fn stale_for_path(&self, path: &str, current_report: &str) -> Vec<&Record> {
        self.effective(|r| r.path == path && r.report != current_report)
    }

    /// The corrections in effect for a report, in log order.
    pub fn corrections_for(&self, report: &str) -> Vec<&Record> {
        self.effective(|r| r.report == report && r.action == Action::Correct)
    }

    /// The decisions in effect for a report, in log order.
    pub fn decisions_for(&self, report: &str) -> Vec<&Record> {
        self.effective(|r| r.report == report && r.action.is_decision())
    }

    fn effective(&self, keep: impl Fn(&Record) -> bool) -> Vec<&Record> {
        let mut idx: Vec<usize> = self
            .corrections
            .values()
            .chain(self.decisions.values())
            .copied()
            .filter(|&i| keep(&self.records[i]))
            .collect();
        idx.sort_unstable();
        idx.into_iter().map(|i| &self.records[i]).collect()
    }

    /// The last live (not reverted, not itself a revert) record by this reviewer, or by anyone
    /// when `reviewer` is `None`: what undo reverts. Undoing twice reverts the two latest.
    pub fn last_live(&self, reviewer: Option<&str>) -> Option<&Record> {
        self.records
            .iter()
            .zip(&self.live)
            .rev()
            .find(|&(r, &live)| live && reviewer.is_none_or(|who| r.reviewer == who))
            .map(|(r, _)| r)
    }

    /// Whether some revert in the log undid the record with this id.
    pub fn is_reverted(&self, id: &str) -> bool {
        self.records
            .iter()
            .zip(&self.live)
            .any(|(r, &live)| r.id == id && !live && r.action != Action::Revert)
    }

    /// Every unsettled conflict, in order of the first record on its subject.
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// The unsettled conflicts of one report (content id).
    pub fn conflicts_for(&self, report: &str) -> Vec<&Conflict> {
        self.conflicts.iter().filter(|c| c.report == report).collect()
    }

    /// Ids of the records a new record on this subject overrides: every reviewer's latest say
    /// on it (the one in effect, or both sides of a conflict). A record naming them in
    /// `settles` replaces them instead of conflicting with them.
    pub fn overrides(&self, report: &str, subject: Subject, key: &str) -> Vec<String> {
        self.sides
            .get(&(subject, report.to_string(), key.to_string()))
            .map(|v| v.iter().map(|&i| self.records[i].id.clone()).collect())
            .unwrap_or_default()
    }

    /// Reverts that could not be applied.
    pub fn problems(&self) -> &[ReplayProblem] {
        &self.problems
    }

    /// Every record replayed, in log order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Verdict;

    fn correct(report: &str, field: &str, old: &str, new: &str, who: &str) -> Record {
        Record::correct(report, "samples/004.txt", field, old, new, "", who)
    }

    fn decide(report: &str, finding: &str, v: Verdict, who: &str) -> Record {
        Record::decide(
            report,
            "samples/004.txt",
            v,
            "table3.balance",
            finding,
            "",
            who,
        )
    }

    #[test]
    fn later_correction_replaces_earlier_and_revert_restores_it() {
        let a = correct("c1", "t3.total", "5", "6", "wang");
        let b = correct("c1", "t3.total", "6", "7", "wang");
        let other = correct("c1", "t3.new", "", "1", "wang");
        let mut log = vec![a.clone(), b.clone(), other.clone()];
        let r = replay(&log);
        assert_eq!(r.correction("c1", "t3.total"), Some(&b));
        assert_eq!(r.correction("c1", "t3.new"), Some(&other));
        assert_eq!(r.correction("c2", "t3.total"), None);
        assert_eq!(r.corrections_for("c1"), vec![&b, &other]);

        log.push(Record::revert(&b, "typo", "wang"));
        let r = replay(&log);
        assert_eq!(r.correction("c1", "t3.total"), Some(&a));
        assert!(r.is_reverted(&b.id) && !r.is_reverted(&a.id));

        log.push(Record::revert(&a, "", "wang"));
        let r = replay(&log);
        assert_eq!(r.correction("c1", "t3.total"), None);
        assert_eq!(r.corrections_for("c1"), vec![&other]);
        assert!(r.problems().is_empty());
    }

    #[test]
    fn decisions_replace_and_revert() {
        let k = "table3.balance[col=total]";
        let confirm = decide("c1", k, Verdict::Confirmed, "wang");
        // li saw wang's confirmation and overrides it knowingly.
        let mut dismiss = decide("c1", k, Verdict::Dismissed, "li");
        dismiss.settles = vec![confirm.id.clone()];
        let other = decide("c1", "table3.balance[col=new]", Verdict::Confirmed, "li");
        let mut log = vec![confirm.clone(), other.clone(), dismiss.clone()];
        let r = replay(&log);
        assert_eq!(r.decision("c1", k), Some(&dismiss));
        assert_eq!(r.decisions_for("c1"), vec![&other, &dismiss]);
        assert!(r.corrections_for("c1").is_empty());

        log.push(Record::revert(&dismiss, "", "li"));
        assert_eq!(replay(&log).decision("c1", k), Some(&confirm));
    }

    #[test]
    fn reviewers_who_disagree_unknowingly_conflict_until_a_record_names_both() {
        let wang = correct("c1", "t3.total", "5", "6", "wang");
        let li = correct("c1", "t3.total", "5", "7", "li");
        let same = correct("c1", "t3.new", "", "1", "wang");
        let same_li = correct("c1", "t3.new", "", "1", "li");
        let ok = decide("c1", "k", Verdict::Confirmed, "wang");
        let no = decide("c1", "k", Verdict::Dismissed, "li");
        let mut log = vec![wang.clone(), li.clone(), same, same_li.clone(), ok.clone(), no.clone()];
        let r = replay(&log);
        assert_eq!(r.conflicts().len(), 2, "{:?}", r.conflicts());
        let c = &r.conflicts()[0];
        assert_eq!((c.subject, c.key.as_str()), (Subject::Field, "t3.total"));
        assert_eq!(c.sides, vec![wang.clone(), li.clone()]);
        assert!(c.describe().contains("wang 于") && c.describe().contains("更正为 7"), "{}", c.describe());
        assert_eq!(r.conflicts()[1].subject, Subject::Finding);
        // Nothing is in effect for a conflict; agreeing reviewers are no conflict.
        assert_eq!(r.correction("c1", "t3.total"), None);
        assert_eq!(r.decision("c1", "k"), None);
        assert_eq!(r.correction("c1", "t3.new"), Some(&same_li));
        // A later record by wang alone does not settle it: it names nobody.
        log.push(correct("c1", "t3.total", "6", "8", "wang"));
        assert_eq!(replay(&log).conflicts().len(), 2);
        // One that names both sides does, whoever writes it.
        let mut settle = correct("c1", "t3.total", "", "7", "zhao");
        settle.settles = replay(&log).overrides("c1", Subject::Field, "t3.total");
        assert_eq!(settle.settles.len(), 2);
        log.push(settle.clone());
        let r = replay(&log);
        assert_eq!(r.correction("c1", "t3.total"), Some(&settle));
        assert_eq!(r.conflicts().len(), 1);
        // Reverting the settlement brings the conflict back.
        log.push(Record::revert(&settle, "", "zhao"));
        assert_eq!(replay(&log).conflicts().len(), 2);
    }

    #[test]
    fn revert_of_unknown_or_later_record_is_reported_and_ignored() {
        let a = correct("c1", "f", "1", "2", "wang");
        let mut ghost = a.clone();
        ghost.id = "no-such-id".into();
        let later = correct("c1", "g", "1", "2", "wang");
        let log = vec![
            a.clone(),
            Record::revert(&ghost, "", "wang"),
            // A revert may only undo what came before it in the log.
            Record::revert(&later, "", "wang"),
            later.clone(),
        ];
        let r = replay(&log);
        assert_eq!(r.problems().len(), 2);
        assert!(
            r.problems()[0]
                .message
                .contains("unknown record \"no-such-id\"")
        );
        assert_eq!(r.problems()[0].id, log[1].id);
        assert_eq!(r.correction("c1", "f"), Some(&a));
        assert_eq!(r.correction("c1", "g"), Some(&later));
    }

    #[test]
    fn revert_of_revert_is_reported_and_ignored() {
        let a = correct("c1", "f", "1", "2", "wang");
        let undo = Record::revert(&a, "", "wang");
        let redo = Record::revert(&undo, "", "wang");
        let r = replay(&[a.clone(), undo, redo]);
        assert_eq!(r.problems().len(), 1);
        assert!(r.problems()[0].message.contains("another revert"));
        assert_eq!(r.correction("c1", "f"), None);
    }

    #[test]
    fn stale_for_path_lists_effective_records_of_other_content() {
        let old1 = correct("old", "f", "1", "2", "wang");
        let old2 = correct("old", "f", "2", "3", "wang");
        let old_dec = decide("old", "k", Verdict::Dismissed, "wang");
        let old_undone = correct("old", "g", "1", "2", "wang");
        let cur = correct("new", "f", "1", "2", "wang");
        let mut elsewhere = correct("other", "f", "1", "2", "wang");
        elsewhere.path = "samples/005.txt".into();
        let log = vec![
            old1,
            old2.clone(),
            old_dec.clone(),
            old_undone.clone(),
            Record::revert(&old_undone, "", "wang"),
            cur.clone(),
            elsewhere,
        ];
        let r = replay(&log);
        assert_eq!(
            r.stale_for_path("samples/004.txt", "new"),
            vec![&old2, &old_dec]
        );
        assert_eq!(r.stale_for_path("samples/004.txt", "old"), vec![&cur]);
        assert!(r.stale_for_path("samples/006.txt", "new").is_empty());
    }

    #[test]
    fn last_live_walks_back_through_undos() {
        let a = correct("c", "f", "1", "2", "wang");
        let b = decide("c", "k", Verdict::Confirmed, "li");
        let c = correct("c", "g", "1", "2", "wang");
        let mut log = vec![a.clone(), b.clone(), c.clone()];
        let r = replay(&log);
        assert_eq!(r.last_live(Some("wang")), Some(&c));
        assert_eq!(r.last_live(Some("li")), Some(&b));
        assert_eq!(r.last_live(None), Some(&c));
        assert_eq!(r.last_live(Some("zhao")), None);

        log.push(Record::revert(&c, "", "wang"));
        let r = replay(&log);
        assert_eq!(r.last_live(Some("wang")), Some(&a));
        assert_eq!(r.last_live(None), Some(&b));

        log.push(Record::revert(&a, "", "wang"));
        assert_eq!(replay(&log).last_live(Some("wang")), None);
    }
}
