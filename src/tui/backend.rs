//! The only door between the reviewer screens and the audit engine.
//!
//! The screens never load, extract or check anything themselves: they read [`Entry`]s and
//! [`ReportAudit`]s and ask a [`ReviewBackend`] to record what the reviewer does. The real
//! backend (a review session owning the engine, the correction log and the background audit
//! threads) implements this trait; [`crate::tui::testing::FakeBackend`] implements it in memory
//! for tests and benchmarks.
//!
//! Contract shared by every method:
//! - No method may block on the background audit. `poll` only takes in what is already done.
//! - Report numbers (`report: usize`) are indices into [`ReviewBackend::entries`]; the order of
//!   entries never changes during a session (new results replace `Pending` in place).
//! - `Err(String)` messages are shown to the reviewer as they are, in Chinese, and should say what
//!   to do next. Messages may contain any text; the screens sanitize them before drawing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::Verdict;
use crate::pipeline::ReportAudit;

/// One loaded path: still being audited in the background, or audited.
#[derive(Debug, Clone)]
pub enum Entry {
    /// Queued or being audited; the screens show "…".
    Pending { path: PathBuf },
    /// Audited. A report that could not be read is `Ready` with `ReportAudit::error` set.
    Ready(Arc<ReportAudit>),
}

impl Entry {
    pub fn path(&self) -> &Path {
        match self {
            Entry::Pending { path } => path,
            Entry::Ready(a) => &a.path,
        }
    }

    pub fn audit(&self) -> Option<&Arc<ReportAudit>> {
        match self {
            Entry::Pending { .. } => None,
            Entry::Ready(a) => Some(a),
        }
    }
}

/// What the reviewer screens need from a review session.
pub trait ReviewBackend {
    /// Takes in results finished since the last call (background audits, re-audits after a
    /// correction). Returns `true` when any entry changed. Never blocks; called on every tick
    /// (about every 50 ms), so it must be cheap when nothing happened.
    fn poll(&mut self) -> bool;

    /// Every loaded path in a stable order (the order never changes during a session; a
    /// `Pending` entry is replaced in place by its `Ready` result). The screens keep indices into
    /// this slice and compare `Arc` pointers to notice that a report was re-audited.
    fn entries(&self) -> &[Entry];

    /// (audited, total), for the header's "已审计 n/N".
    fn progress(&self) -> (usize, usize);

    /// Type check of a correction while it is being typed, against the type the rule pack gives
    /// `field` (integer, decimal, amount, date `YYYY-MM-DD`, year, text). `input == ""` means a
    /// blank cell and is valid for every type. `Err` says what is expected, e.g. "应为整数".
    /// Must be fast (called on each key stroke) and must not touch the disk.
    fn validate(&self, report: usize, field: &str, input: &str) -> Result<(), String>;

    /// Records a correction of `field` in report `report` to `input` with the reviewer's
    /// `reason` (never empty), then re-audits that report. Returns `Ok(status message)` only
    /// after the record is durably on disk (written and synced); the re-audited report may
    /// arrive on the next `poll` or be in `entries()` already. On `Err` nothing was recorded.
    fn correct(&mut self, report: usize, field: &str, input: &str, reason: &str) -> Result<String, String>;

    /// Settles an ambiguous field by choosing `candidate` (0-based index into
    /// `Field::candidates`). Recorded as a correction with reason "选定候选值". Same durability
    /// and re-audit guarantees as [`ReviewBackend::correct`].
    fn settle(&mut self, report: usize, field: &str, candidate: usize) -> Result<String, String>;

    /// Settles the whole row of an ambiguous table cell by choosing `reading` (0-based index into
    /// the row's readings, `Field::joint`, ranked by plausibility). Recorded as one correction
    /// per ambiguous cell of the row, each with a reason naming the reading. Same durability and
    /// re-audit guarantees as [`ReviewBackend::correct`].
    fn settle_row(&mut self, report: usize, field: &str, reading: usize) -> Result<String, String>;

    /// Records a decision on the finding whose `Finding::key` is `finding_key` (never a screen
    /// position), with an optional `note` (may be ""). Durable before `Ok`, like `correct`.
    fn decide(&mut self, report: usize, finding_key: &str, verdict: Verdict, note: &str) -> Result<String, String>;

    /// Reverts this reviewer's last live action by appending a compensating record (history is
    /// never erased), then re-audits the affected report. `Err` when there is nothing to undo.
    fn undo(&mut self) -> Result<String, String>;

    /// The editable file (and 1-based line) that defines `rule`, or the rule folder's main file
    /// when `rule` is `None`. May first write the built-in rules out to an editable folder. The
    /// screens open the result in `$VISUAL`/`$EDITOR` and call `reload_rules` afterwards.
    fn rule_file(&mut self, rule: Option<&str>) -> Result<(PathBuf, usize), String>;

    /// Reloads the rules after an edit and re-audits. On `Err("path:line:col: …")` the previous
    /// rules stay in force and nothing is re-audited.
    fn reload_rules(&mut self) -> Result<String, String>;

    /// Whether the rule files changed on disk since the last load (a cheap mtime check; called
    /// on ticks). When `true` the screens call `reload_rules`.
    fn rules_changed_on_disk(&mut self) -> bool;

    /// The correction log the session appends to (shown in the header).
    fn log_path(&self) -> PathBuf;

    /// The reviewer's name recorded with every action (shown in the header).
    fn reviewer(&self) -> String;

    /// Problems met while reading the log (torn or invalid lines skipped). The screens show
    /// them once in the status line at start.
    fn log_problems(&self) -> Vec<String>;

    /// Something to say once in the status line, taken by the screens on each tick: a merged
    /// log brought a conflict, the log was re-read, writing needs a reviewer name.
    fn take_notice(&mut self) -> Option<String> {
        None
    }
}
