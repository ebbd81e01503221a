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
    /// (report, field) → index of the latest live correction.
    corrections: HashMap<(String, String), usize>,
    /// (report, finding) → index of the latest live decision.
    decisions: HashMap<(String, String), usize>,
    problems: Vec<ReplayProblem>,
}

/// Replays `records` in order. A revert hides its target; a revert of a record not seen before it,
/// or of another revert, is reported and ignored. Among live records the latest correction per
/// (report, field) and the latest decision per (report, finding) win.
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
    let mut corrections = HashMap::new();
    let mut decisions = HashMap::new();
    for (i, r) in records.iter().enumerate().filter(|&(i, _)| live[i]) {
        let key = |k: &Option<String>| (r.report.clone(), k.clone().unwrap_or_default());
        match r.action {
            Action::Correct => {
                corrections.insert(key(&r.field), i);
            }
            Action::Confirm | Action::Dismiss => {
                decisions.insert(key(&r.finding), i);
            }
            Action::Revert => {}
        }
    }
    Replay {
        records: records.to_vec(),
        live,
        corrections,
        decisions,
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
        let dismiss = decide("c1", k, Verdict::Dismissed, "li");
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
