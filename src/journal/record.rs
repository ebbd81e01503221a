//! One line of the correction log: who did what to which report, and when.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::time;
use crate::model::{Decision, Verdict};

/// What a reviewer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Replaced an extracted value (`field`, `old`, `new`, `reason`).
    Correct,
    /// Agreed with a finding (`rule`, `finding`, `note`).
    Confirm,
    /// Rejected a finding as a false alarm (`rule`, `finding`, `note`).
    Dismiss,
    /// Undid an earlier record (`target`, `note`); history is never erased.
    Revert,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Correct => "correct",
            Action::Confirm => "confirm",
            Action::Dismiss => "dismiss",
            Action::Revert => "revert",
        }
    }

    pub fn from_verdict(v: Verdict) -> Action {
        match v {
            Verdict::Confirmed => Action::Confirm,
            Verdict::Dismissed => Action::Dismiss,
        }
    }

    /// The verdict a decision record carries; `None` for corrections and reverts.
    pub fn verdict(self) -> Option<Verdict> {
        match self {
            Action::Confirm => Some(Verdict::Confirmed),
            Action::Dismiss => Some(Verdict::Dismissed),
            Action::Correct | Action::Revert => None,
        }
    }

    pub fn is_decision(self) -> bool {
        self.verdict().is_some()
    }
}

/// One reviewer action. Serialized as one JSON object per line; `None` fields are left out and
/// unknown keys in a line are ignored, so newer logs stay readable by older builds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub ts: String,
    pub reviewer: String,
    /// Content id of the report the action was taken on.
    pub report: String,
    pub path: String,
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The value as it was displayed; "" is a blank cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// The value as the reviewer typed it; "" is a blank cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Stable key of the finding decided on (`Finding::key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Id of the record a revert undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Ids of the records this one overrides knowingly: the other reviewers' values or verdicts
    /// on the same field or finding that were on screen. Naming them settles a conflict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settles: Vec<String>,
    /// Place in this reviewer's chain in the log: 1 for the first record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// `hash` of the same reviewer's previous record in the log (none for the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// Hash of this record's content (every key above, as written): a record edited after it
    /// was written no longer matches it, and the next one in the chain names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// Free text that says nothing is left out rather than stored as "".
fn text(s: &str) -> Option<String> {
    (!s.trim().is_empty()).then(|| s.to_string())
}

impl Record {
    fn base(report: &str, path: &str, action: Action, reviewer: &str) -> Record {
        let now = SystemTime::now();
        Record {
            id: new_id(now),
            ts: time::rfc3339(now),
            reviewer: reviewer.to_string(),
            report: report.to_string(),
            path: path.to_string(),
            action,
            field: None,
            old: None,
            new: None,
            reason: None,
            rule: None,
            finding: None,
            note: None,
            target: None,
            settles: Vec::new(),
            seq: None,
            prev: None,
            hash: None,
        }
    }

    /// A correction of `field` from `old` (as displayed) to `new` (as typed).
    pub fn correct(
        report: &str,
        path: &str,
        field: &str,
        old: &str,
        new: &str,
        reason: &str,
        reviewer: &str,
    ) -> Record {
        Record {
            field: Some(field.to_string()),
            old: Some(old.to_string()),
            new: Some(new.to_string()),
            reason: text(reason),
            ..Record::base(report, path, Action::Correct, reviewer)
        }
    }

    /// A decision (confirm / dismiss) on the finding with stable key `finding` raised by `rule`.
    pub fn decide(
        report: &str,
        path: &str,
        verdict: Verdict,
        rule: &str,
        finding: &str,
        note: &str,
        reviewer: &str,
    ) -> Record {
        Record {
            rule: text(rule),
            finding: Some(finding.to_string()),
            note: text(note),
            ..Record::base(report, path, Action::from_verdict(verdict), reviewer)
        }
    }

    /// A record undoing `target`; it names the same report and path as the target.
    pub fn revert(target: &Record, note: &str, reviewer: &str) -> Record {
        Record {
            target: Some(target.id.clone()),
            note: text(note),
            ..Record::base(&target.report, &target.path, Action::Revert, reviewer)
        }
    }

    /// The field a correction names or the finding a decision names.
    pub fn subject(&self) -> Option<&str> {
        match self.action {
            Action::Correct => self.field.as_deref(),
            Action::Confirm | Action::Dismiss => self.finding.as_deref().or(self.rule.as_deref()),
            Action::Revert => self.target.as_deref(),
        }
    }

    /// The decision this record carries, in the shape findings hold; `None` unless confirm/dismiss.
    pub fn to_decision(&self, stale: bool) -> Option<Decision> {
        Some(Decision {
            verdict: self.action.verdict()?,
            note: self.note.clone().unwrap_or_default(),
            reviewer: self.reviewer.clone(),
            ts: self.ts.clone(),
            stale,
        })
    }

    /// Checks what serde cannot: non-empty keys, and the keys each action needs.
    pub fn validate(&self) -> Result<(), String> {
        let nonempty = |name: &str, v: &str| {
            if v.trim().is_empty() {
                Err(format!("`{name}` is empty"))
            } else {
                Ok(())
            }
        };
        let required = |name: &str, v: &Option<String>| match v {
            Some(_) => Ok(()),
            None => Err(format!("{} record without `{name}`", self.action.as_str())),
        };
        nonempty("id", &self.id)?;
        nonempty("ts", &self.ts)?;
        nonempty("report", &self.report)?;
        match self.action {
            Action::Correct => {
                required("field", &self.field)?;
                nonempty("field", self.field.as_deref().unwrap_or_default())?;
                required("old", &self.old)?;
                required("new", &self.new)?;
            }
            Action::Confirm | Action::Dismiss => {
                required("finding", &self.finding)?;
                nonempty("finding", self.finding.as_deref().unwrap_or_default())?;
            }
            Action::Revert => {
                required("target", &self.target)?;
                nonempty("target", self.target.as_deref().unwrap_or_default())?;
            }
        }
        Ok(())
    }

    /// Parses one log line (without its newline) and validates it.
    pub fn from_line(line: &str) -> Result<Record, String> {
        let rec: Record = serde_json::from_str(line).map_err(|e| json_error(&e))?;
        rec.validate()?;
        Ok(rec)
    }

    /// The record as one log line, without the newline.
    pub fn to_line(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Hash of the record's content without its own `hash`: blake3 of its JSON line, 32 hex
    /// digits (128 bits: ample against accidents and casual edits; there is no key to forge).
    pub fn content_hash(&self) -> String {
        let mut bare = self.clone();
        bare.hash = None;
        let line = serde_json::to_string(&bare).unwrap_or_default();
        blake3::hash(line.as_bytes()).to_hex()[..32].to_string()
    }

    /// Puts the record in its reviewer's chain after `before` (that reviewer's previous record
    /// in the log, if any) and seals it with its hash.
    pub fn chain_after(&mut self, before: Option<&Record>) {
        match before.and_then(|b| Some((b.seq?, b.hash.clone()?))) {
            Some((seq, hash)) => {
                self.seq = Some(seq + 1);
                self.prev = Some(hash);
            }
            // First record of this reviewer, or one after records written before chains.
            None => {
                self.seq = Some(1);
                self.prev = None;
            }
        }
        self.hash = Some(self.content_hash());
    }

    /// Whether the record carries a chain (written by a build that seals records).
    pub fn is_chained(&self) -> bool {
        self.hash.is_some() && self.seq.is_some()
    }
}

/// serde_json's message without its "at line 1 column N" suffix, which would be confusing next to
/// the real line number in the log; the column is kept.
fn json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rsplit_once(" at line ") {
        Some((head, _)) if e.line() > 0 => format!("{head} (column {})", e.column()),
        _ => msg,
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Unique across processes appending at once: nanosecond time, process id and a per-process
/// counter, hex. The fixed-width time prefix makes ids sort roughly by creation time.
pub fn new_id(now: SystemTime) -> String {
    let nanos = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:016x}-{:x}-{n:x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn correct_round_trips_through_a_line() {
        let r = Record::correct(
            "3f2a",
            "samples/004.txt",
            "t3.new.total",
            "5",
            "6",
            "原表第一行合计为6",
            "wang",
        );
        let line = r.to_line().unwrap();
        assert!(!line.contains('\n'));
        assert!(line.starts_with(r#"{"id":""#), "{line}");
        assert!(line.contains(r#""action":"correct","field":"t3.new.total","old":"5","new":"6","reason":"原表第一行合计为6""#), "{line}");
        assert!(!line.contains("rule"), "None fields are skipped: {line}");
        assert_eq!(Record::from_line(&line).unwrap(), r);
    }

    #[test]
    fn blank_values_survive_and_empty_notes_are_left_out() {
        let r = Record::correct("c", "p", "f", "", "12", "", "li");
        let line = r.to_line().unwrap();
        assert!(line.contains(r#""old":"""#));
        assert!(!line.contains("reason"));
        let back = Record::from_line(&line).unwrap();
        assert_eq!(back.old.as_deref(), Some(""));
        assert_eq!(back.reason, None);
    }

    #[test]
    fn decide_and_revert() {
        let d = Record::decide(
            "c",
            "p",
            Verdict::Dismissed,
            "table3.balance",
            "table3.balance[col=total]",
            "原表如此",
            "wang",
        );
        assert_eq!(d.action, Action::Dismiss);
        assert_eq!(d.subject(), Some("table3.balance[col=total]"));
        let dec = d.to_decision(true).unwrap();
        assert_eq!(dec.verdict, Verdict::Dismissed);
        assert_eq!(dec.note, "原表如此");
        assert!(dec.stale);
        let r = Record::revert(&d, "", "li");
        assert_eq!(r.target.as_deref(), Some(d.id.as_str()));
        assert_eq!((r.report.as_str(), r.path.as_str()), ("c", "p"));
        assert_eq!(r.to_decision(false), None);
        assert_eq!(Record::from_line(&r.to_line().unwrap()).unwrap(), r);
    }

    #[test]
    fn unknown_keys_are_ignored_missing_keys_rejected() {
        let ok = r#"{"id":"1","ts":"t","reviewer":"w","report":"c","path":"p","action":"confirm","finding":"k","future":{"x":1}}"#;
        assert_eq!(Record::from_line(ok).unwrap().finding.as_deref(), Some("k"));

        let no_id =
            r#"{"ts":"t","reviewer":"w","report":"c","path":"p","action":"confirm","finding":"k"}"#;
        assert!(
            Record::from_line(no_id)
                .unwrap_err()
                .contains("missing field `id`")
        );

        let no_target =
            r#"{"id":"1","ts":"t","reviewer":"w","report":"c","path":"p","action":"revert"}"#;
        assert!(Record::from_line(no_target).unwrap_err().contains("target"));

        let no_new = r#"{"id":"1","ts":"t","reviewer":"w","report":"c","path":"p","action":"correct","field":"f","old":"1"}"#;
        assert!(Record::from_line(no_new).unwrap_err().contains("new"));

        let bad_action =
            r#"{"id":"1","ts":"t","reviewer":"w","report":"c","path":"p","action":"delete"}"#;
        let err = Record::from_line(bad_action).unwrap_err();
        assert!(
            err.contains("unknown variant") && err.contains("(column"),
            "{err}"
        );

        let number = r#"{"id":"1","ts":"t","reviewer":"w","report":"c","path":"p","action":"correct","field":"f","old":5,"new":"6"}"#;
        assert!(Record::from_line(number).is_err());
    }

    #[test]
    fn ids_are_unique() {
        let ids: HashSet<String> = (0..10_000).map(|_| new_id(SystemTime::now())).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn ts_is_rfc3339_millis() {
        let r = Record::correct("c", "p", "f", "", "1", "", "w");
        let b = r.ts.as_bytes();
        assert_eq!(b.len(), 24, "{}", r.ts);
        assert_eq!((b[4], b[10], b[19], b[23]), (b'-', b'T', b'.', b'Z'));
    }
}
