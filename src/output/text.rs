//! `path:line:col: severity rule: message`, one finding per line, then a summary.

use std::io::Write;

use super::{Summary, Writer};
use crate::pipeline::ReportAudit;
use crate::text::sanitize_line;

pub struct TextWriter {
    color: bool,
}

impl TextWriter {
    pub fn new(color: bool) -> Self {
        TextWriter { color }
    }

    fn paint(&self, s: &str, code: &str) -> String {
        if self.color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
}

impl Writer for TextWriter {
    fn report(&mut self, out: &mut dyn Write, a: &ReportAudit) -> std::io::Result<()> {
        let path = sanitize_line(&a.path.display().to_string()).into_owned();
        if let Some(e) = &a.error {
            return writeln!(out, "{path}: {} load: {}", self.paint("error", "1;31"), sanitize_line(e));
        }
        for f in &a.findings {
            let (line, col) = f.span.map_or((1, 1), |s| (s.line, s.col));
            let sev = match f.severity {
                crate::model::Severity::Error => self.paint("error", "1;31"),
                crate::model::Severity::Warning => self.paint("warning", "1;33"),
                crate::model::Severity::Info => self.paint("info", "1;36"),
            };
            let decision = match &f.decision {
                Some(d) => format!(" [{}]", d.verdict.as_str()),
                None => String::new(),
            };
            writeln!(out, "{path}:{line}:{col}: {sev} {}: {}{decision}", f.rule, sanitize_line(&f.message))?;
        }
        for c in &a.conflicts {
            let kind = if c.field { "field" } else { "finding" };
            let sides: Vec<String> = c.sides.iter().map(|s| format!("{} {} ({})", s.reviewer, s.value, s.ts)).collect();
            writeln!(
                out,
                "{path}: {} conflict {}: {kind} {}: {}",
                self.paint("warning", "1;33"),
                c.id,
                sanitize_line(&c.subject),
                sanitize_line(&sides.join(" · "))
            )?;
        }
        for s in &a.stale {
            writeln!(out, "{path}: {} stale: {}: {}", self.paint("warning", "1;33"), s.target, sanitize_line(&s.message))?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, s: &Summary) -> std::io::Result<()> {
        let conflicts = match s.conflicts {
            Some(n) => format!(", {n} conflicts between reviewers"),
            None => String::new(),
        };
        writeln!(
            out,
            "\n{} reports audited ({} could not be read): {} errors, {} warnings, {} infos{conflicts}",
            s.reports, s.failed, s.errors, s.warnings, s.infos
        )
    }
}
