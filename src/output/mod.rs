//! Headless output of audits: text for the terminal, JSON for scripts, SARIF for code-review
//! and CI tools. Each format streams: reports are written as they are audited.

mod json;
mod sarif;
mod text;

use std::io::Write;

use crate::model::Severity;
use crate::pipeline::ReportAudit;
use crate::rules::RuleSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

/// Totals over a run (open findings, i.e. not dismissed).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub reports: usize,
    pub failed: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Unsettled conflicts between reviewers; counted only when a log was applied (`None`
    /// without one, and then left out of the output).
    pub conflicts: Option<usize>,
}

impl Summary {
    pub fn add(&mut self, a: &ReportAudit) {
        self.reports += 1;
        if a.error.is_some() {
            self.failed += 1;
        }
        if let Some(n) = &mut self.conflicts {
            *n += a.conflicts.len();
        }
        for f in &a.findings {
            if f.decision.as_ref().is_some_and(|d| d.verdict == crate::model::Verdict::Dismissed) {
                continue;
            }
            match f.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }

    /// The highest severity present (a report that failed to load counts as an error).
    pub fn worst(&self) -> Option<Severity> {
        if self.errors > 0 || self.failed > 0 {
            Some(Severity::Error)
        } else if self.warnings > 0 || self.conflicts.unwrap_or(0) > 0 {
            Some(Severity::Warning)
        } else if self.infos > 0 {
            Some(Severity::Info)
        } else {
            None
        }
    }
}

/// A streaming writer for one output format.
pub trait Writer {
    fn report(&mut self, out: &mut dyn Write, audit: &ReportAudit) -> std::io::Result<()>;
    fn finish(&mut self, out: &mut dyn Write, summary: &Summary) -> std::io::Result<()>;
}

pub fn writer(format: Format, rules: &RuleSet, color: bool) -> Box<dyn Writer> {
    match format {
        Format::Text => Box::new(text::TextWriter::new(color)),
        Format::Json => Box::new(json::JsonWriter::new(rules)),
        Format::Sarif => Box::new(sarif::SarifWriter::new(rules)),
    }
}

pub use json::audit_to_json;
