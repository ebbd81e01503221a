//! The one audit path: load → extract → apply corrections → check → attach decisions.
//!
//! `check`, `export` and the reviewer all call this module; none of them audits on its own.

use std::path::PathBuf;
use std::sync::Arc;

use crate::model::{Field, Fields, Finding, Severity, Verdict};

/// Everything known about one report after an audit. Built only from model types so that the
/// screens and outputs do not depend on the loader's or the journal's internals.
#[derive(Debug, Clone)]
pub struct ReportAudit {
    pub path: PathBuf,
    /// Content id (hash of the bytes); empty when the file could not be read.
    pub id: String,
    /// The encoding the text was decoded from, e.g. "UTF-8", "GB18030".
    pub encoding: String,
    /// The decoded text every span refers to.
    pub text: Arc<str>,
    pub fields: Fields,
    pub findings: Vec<Finding>,
    /// Why the report could not be audited (unreadable, binary, empty, too large…).
    pub error: Option<String>,
    /// Log records kept for this path but recorded against other content: shown, never applied.
    pub stale: Vec<StaleNote>,
}

/// A correction or decision that was recorded against an earlier version of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleNote {
    /// `field` for a correction, `rule`/finding key for a decision.
    pub target: String,
    pub message: String,
}

/// Where a reviewer stands with a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReviewState {
    /// Nothing decided or corrected yet.
    New,
    /// Some findings decided or fields corrected, some findings still open.
    InProgress,
    /// Every finding has a decision.
    Done,
}

impl ReviewState {
    pub fn label(self) -> &'static str {
        match self {
            ReviewState::New => "新",
            ReviewState::InProgress => "审核中",
            ReviewState::Done => "已完成",
        }
    }
}

impl ReportAudit {
    /// A report that could not be loaded: it still appears in every list and output.
    pub fn failed(path: PathBuf, error: String) -> ReportAudit {
        ReportAudit {
            path,
            id: String::new(),
            encoding: String::new(),
            text: Arc::from(""),
            fields: Fields::new(),
            findings: Vec::new(),
            error: Some(error),
            stale: Vec::new(),
        }
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.get(id)
    }

    /// The displayed value of a field, or "" when absent.
    pub fn value_text(&self, id: &str) -> String {
        self.fields.get(id).map(|f| f.display_value()).unwrap_or_default()
    }

    /// Open findings (not decided) per severity: (errors, warnings, infos).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for f in &self.findings {
            match f.severity {
                Severity::Error => c.0 += 1,
                Severity::Warning => c.1 += 1,
                Severity::Info => c.2 += 1,
            }
        }
        c
    }

    pub fn open_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.decision.is_none())
    }

    pub fn review_state(&self) -> ReviewState {
        let decided = self.findings.iter().filter(|f| f.decision.is_some()).count();
        let corrected = self
            .fields
            .values()
            .any(|f| f.status == crate::model::Status::Corrected);
        if !self.findings.is_empty() && decided == self.findings.len() {
            ReviewState::Done
        } else if decided > 0 || corrected {
            ReviewState::InProgress
        } else {
            ReviewState::New
        }
    }

    pub fn confirmed(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.decision.as_ref().is_some_and(|d| d.verdict == Verdict::Confirmed))
            .count()
    }
}
