//! The one audit path: load → extract → apply corrections → check → attach decisions.
//!
//! `check`, `export` and the reviewer all call this module; none of them audits on its own.

use std::path::PathBuf;
use std::sync::Arc;

use crate::model::{ConflictSide, Field, Fields, Finding, ReviewConflict, Severity, Verdict};

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
    /// Every figure and set statement the prose states (see `claims`).
    pub claims: Arc<crate::claims::Claims>,
    pub findings: Vec<Finding>,
    /// Why the report could not be audited (unreadable, binary, empty, too large…).
    pub error: Option<String>,
    /// Log records kept for this path but recorded against other content: shown, never applied.
    pub stale: Vec<StaleNote>,
    /// The agency group this report belongs to (normalised agency name), when known.
    pub group: Option<String>,
    /// Last year's report of the same agency, with the fields the cross-year checks read.
    pub prev: Option<PrevReport>,
    /// Fields and findings reviewers disagree on (from a merged log), not yet settled.
    pub conflicts: Vec<ReviewConflict>,
    /// Where each table's fields came from (cells of the source, or digit runs).
    pub tables: Vec<crate::extract::TableSource>,
    /// The source's own tables as cell grids (what `tables[..].grids` index), for the
    /// reviewer's grid view.
    pub grids: Arc<[crate::load::SourceTable]>,
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
            claims: Arc::default(),
            findings: Vec::new(),
            error: Some(error),
            stale: Vec::new(),
            group: None,
            prev: None,
            conflicts: Vec::new(),
            tables: Vec::new(),
            grids: Arc::from(Vec::new()),
        }
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.get(id)
    }

    /// The unsettled conflict on a finding (by its key), if any.
    pub fn finding_conflict(&self, key: &str) -> Option<&ReviewConflict> {
        self.conflicts.iter().find(|c| !c.field && c.subject == key)
    }

    /// Findings without a decision, per severity: (errors, warnings, infos).
    pub fn open_counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for f in self.open_findings() {
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
        } else if decided > 0 || corrected || !self.conflicts.is_empty() {
            ReviewState::InProgress
        } else {
            ReviewState::New
        }
    }

}

use std::path::Path;

use rayon::prelude::*;

use crate::journal::{Action, Replay};
use crate::load::Document;
use crate::extract::{Correction, Corrections};
pub use crate::link::{BatchContext, LinkInfo, Links, PrevReport};
use crate::model::{Decision, Status};
use crate::rules::RuleSet;

/// Audit one loaded document: extract (with the log's corrections), check, attach decisions.
/// `batch` carries what other loaded reports tell about this one: last year's report of the same
/// agency, and other versions of the same report.
pub fn audit_document(doc: &Document, rules: &RuleSet, replay: Option<&Replay>, batch: Option<&BatchContext>) -> ReportAudit {
    let path = doc.path.display().to_string();
    let mut corrections = Corrections::new();
    let mut stale = Vec::new();
    if let Some(replay) = replay {
        corrections = corrections_from(rules, replay, &doc.id, &mut stale);
    }
    let crate::extract::Extraction { mut fields, tables, claims } = crate::extract::extract_full(doc, rules, &corrections);
    if let Some(replay) = replay {
        for r in replay.stale_for_path(&path, &doc.id) {
            let target = r.field.clone().or_else(|| r.finding.clone()).unwrap_or_default();
            if let Some(f) = r.field.as_ref().and_then(|id| fields.get_mut(id)) {
                if f.status == Status::Exact {
                    f.status = Status::Stale;
                }
                f.note = Some(format!(
                    "有一条针对旧版本的更正未应用：{} → {}",
                    r.old.clone().unwrap_or_default(),
                    r.new.clone().unwrap_or_default()
                ));
            }
            stale.push(StaleNote {
                target,
                message: format!("{} {} 于 {} 针对旧版本（{}）记录，报告内容已变，未应用", r.reviewer, r.action.as_str(), r.ts, r.report),
            });
        }
    }
    settle(doc, &mut fields, rules, batch);
    let conflicts = replay.map(|r| conflicts_of(rules, r, &doc.id, &mut fields)).unwrap_or_default();
    if let Some(b) = batch {
        b.add_fields(&mut fields);
    }
    let prev = batch.and_then(|b| b.prev.as_ref());
    // A scan without a text layer has nothing to check until it is OCRed: its load finding says so.
    let mut findings = if doc.text.trim().is_empty() {
        Vec::new()
    } else {
        crate::check::run_checks_with(doc, &fields, &claims, prev.map(|p| &p.fields), rules)
    };
    findings.extend(load_findings(doc));
    if let Some(replay) = replay {
        for f in &mut findings {
            if let Some(r) = replay.decision(&doc.id, &f.key) {
                f.decision = Some(Decision {
                    verdict: if r.action == Action::Confirm { Verdict::Confirmed } else { Verdict::Dismissed },
                    note: r.note.clone().unwrap_or_default(),
                    reviewer: r.reviewer.clone(),
                    ts: r.ts.clone(),
                    stale: false,
                });
            }
        }
    }
    findings.sort_by(|a, b| {
        let line = |f: &Finding| f.span.map_or(0, |s| s.line);
        line(a).cmp(&line(b)).then(b.severity.cmp(&a.severity)).then(a.key.cmp(&b.key))
    });
    ReportAudit {
        path: doc.path.clone(),
        id: doc.id.clone(),
        encoding: doc.encoding.clone(),
        text: doc.text.clone(),
        fields,
        claims: Arc::new(claims),
        findings,
        error: None,
        stale,
        group: batch.and_then(|b| b.group.clone()),
        prev: batch.and_then(|b| b.prev.clone()),
        conflicts,
        grids: if tables.iter().any(|t| !t.grids.is_empty()) { doc.tables.clone() } else { Arc::from(Vec::new()) },
        tables,
    }
}

/// Settle digit runs with the narrative and, in a batch, last and next year's reports.
fn settle(doc: &Document, fields: &mut crate::model::Fields, rules: &RuleSet, batch: Option<&BatchContext>) {
    use crate::extract::settle::{Linked, narrative_hints};
    fn linked(r: &PrevReport) -> Linked<'_> {
        Linked { fields: &r.fields, year: r.year, path: &r.path }
    }
    let hints = narrative_hints(&doc.text, fields, rules);
    let prev = batch.and_then(|b| b.prev.as_ref()).map(linked);
    let next = batch.and_then(|b| b.next.as_ref()).map(linked);
    crate::extract::settle::settle(&doc.text, fields, rules, &hints, prev, next);
}

/// The log's unsettled conflicts on this report. A field in conflict gets status `conflict`
/// with every reviewer's value as a candidate (so checks retry them like an ambiguous cell) and
/// no value of its own.
fn conflicts_of(rules: &RuleSet, replay: &Replay, report: &str, fields: &mut Fields) -> Vec<ReviewConflict> {
    let mut out = Vec::new();
    for c in replay.conflicts_for(report) {
        let field = c.subject == crate::journal::Subject::Field;
        let sides = c
            .sides
            .iter()
            .map(|r| ConflictSide {
                reviewer: r.reviewer.clone(),
                ts: r.ts.clone(),
                value: crate::journal::Conflict::side_value(r),
                note: r.reason.clone().or_else(|| r.note.clone()).unwrap_or_default(),
                record: r.id.clone(),
            })
            .collect();
        if field {
            let ty = rules.field_type(&c.key).unwrap_or(crate::rules::FieldType::Text);
            let label = rules.label(&c.key).unwrap_or(&c.key).to_string();
            let f = fields.entry(c.key.clone()).or_insert_with(|| Field::exact(&c.key, &label, None, "", None));
            f.extracted = Some(if f.status.is_uncertain() { None } else { f.value.clone() });
            f.status = Status::Conflict;
            f.value = None;
            f.joint = None;
            f.candidates.clear();
            for r in &c.sides {
                // A value that no longer parses under the rules is still shown, as text.
                let input = r.new.as_deref().unwrap_or("");
                let value = ty.parse_input(input).unwrap_or_else(|_| Some(crate::model::Value::Text(input.to_string())));
                if !f.candidates.iter().any(|k| k.value == value) {
                    f.candidates.push(crate::model::Candidate { value, note: Some(format!("{} 于 {}", r.reviewer, r.ts)) });
                }
            }
            f.note = Some(format!("审核人意见冲突：{}", c.describe()));
        }
        out.push(ReviewConflict { id: c.id(), subject: c.key.clone(), field, sides });
    }
    out
}

/// The log's live corrections for one report, typed by the rules.
fn corrections_from(rules: &RuleSet, replay: &Replay, report: &str, stale: &mut Vec<StaleNote>) -> Corrections {
    let mut out = Corrections::new();
    for r in replay.corrections_for(report) {
        let Some(id) = r.field.as_deref() else { continue };
        let input = r.new.as_deref().unwrap_or("");
        let ty = rules.field_type(id).unwrap_or(crate::rules::FieldType::Text);
        match ty.parse_input(input) {
            Ok(value) => {
                let note = format!("{} 更正于 {}：{}", r.reviewer, r.ts, r.reason.as_deref().unwrap_or(""));
                out.insert(id.to_string(), Correction { value, note });
            }
            Err(e) => stale.push(StaleNote {
                target: id.to_string(),
                message: format!("更正值「{input}」无法按{}读取（{e}），未应用", ty.name()),
            }),
        }
    }
    out
}

/// Problems found while decoding become findings: never a crash, never silence.
fn load_findings(doc: &Document) -> Vec<Finding> {
    doc.issues
        .iter()
        .map(|i| {
            let rule = i.kind.rule_id();
            Finding {
                key: rule.clone(),
                rule,
                severity: Severity::Warning,
                message: i.message.clone(),
                span: i.span,
                fields: Vec::new(),
                decision: None,
            }
        })
        .collect()
}

/// Load and audit one file on its own (no other reports to link with).
pub fn audit_path(path: &Path, rules: &RuleSet, replay: Option<&Replay>) -> ReportAudit {
    audit_path_in(path, rules, replay, None)
}

fn audit_path_in(path: &Path, rules: &RuleSet, replay: Option<&Replay>, batch: Option<&BatchContext>) -> ReportAudit {
    load_and_audit(path, None, rules, replay, batch).1
}

/// Audit a document already loaded, or load it first; a file that cannot be loaded becomes a
/// failed report. Returns the document too, for callers that audit it again later.
pub fn load_and_audit(
    path: &Path,
    doc: Option<Arc<Document>>,
    rules: &RuleSet,
    replay: Option<&Replay>,
    batch: Option<&BatchContext>,
) -> (Option<Arc<Document>>, ReportAudit) {
    let doc = match doc {
        Some(d) => d,
        None => match crate::load::load_file(path) {
            Ok(d) => Arc::new(d),
            Err(e) => return (None, ReportAudit::failed(path.to_path_buf(), e.to_string())),
        },
    };
    let audit = audit_document(&doc, rules, replay, batch);
    (Some(doc), audit)
}

/// Phase one of a batch: what each report contributes to linking (its agency, year and the
/// fields other reports' cross-year checks read). Corrections are applied, so a reviewer's
/// fix of the agency moves the report to its right group.
pub fn link_info(doc: &Document, rules: &RuleSet, replay: Option<&Replay>, wanted: &[String]) -> LinkInfo {
    let mut stale = Vec::new();
    let corrections = replay.map(|r| corrections_from(rules, r, &doc.id, &mut stale)).unwrap_or_default();
    let mut fields = crate::extract::extract_with(doc, rules, &corrections);
    // What the report settles on its own (its narrative) is what other years read of it.
    settle(doc, &mut fields, rules, None);
    LinkInfo::new(doc.path.clone(), doc.id.clone(), &fields, wanted)
}

/// A report's link key alone, from only the fields it is read from (`subset`, with the log's
/// corrections): the same key [`link_info`] finds, without the tables, claims and settling.
pub fn link_key(doc: &Document, rules: &RuleSet, replay: Option<&Replay>, subset: &crate::extract::FieldSubset) -> LinkInfo {
    let mut stale = Vec::new();
    let corrections = replay.map(|r| corrections_from(rules, r, &doc.id, &mut stale)).unwrap_or_default();
    let fields = crate::extract::extract_only(doc, rules, &corrections, subset);
    LinkInfo { path: doc.path.clone(), id: doc.id.clone(), key: crate::link::link_key(&fields), fields: Vec::new() }
}

/// Link every report of a batch (phase one, in parallel). Each report's key is read from the
/// few fields it derives from, and the report is loaded for its text alone (a plain text's pipe
/// tables are read only when the key reads a section); only the reports another year reads (the
/// first version of an agency's year that has a last or next year in the batch) are then loaded
/// in full, extracted and settled for the fields those read. When the pack derives the key from
/// a table or the narrative, every report is loaded and extracted in full, and only the fields
/// others read are kept.
pub fn link_batch(paths: &[PathBuf], rules: &RuleSet, replay: Option<&Replay>) -> Links {
    link_batch_loading(paths, rules, replay, KeyLoad::Text)
}

/// How phase one loads a report whose key is read from a subset of fields.
#[derive(Clone, Copy, PartialEq)]
enum KeyLoad {
    /// Its text alone (`load::load_text`).
    Text,
    /// In full, as its audit does (to test that the text alone gives the same links).
    #[cfg_attr(not(test), allow(dead_code))]
    Full,
}

fn link_batch_loading(paths: &[PathBuf], rules: &RuleSet, replay: Option<&Replay>, how: KeyLoad) -> Links {
    let wanted = crate::link::prev_refs(rules);
    let subset = crate::extract::FieldSubset::of(rules, &[crate::link::GROUP_FIELD, "year"]);
    let infos: Vec<Option<LinkInfo>> = paths
        .par_iter()
        .map(|p| {
            let doc = match &subset {
                Some(s) if how == KeyLoad::Text => crate::load::load_text(p, s.reads_sections()),
                _ => crate::load::load_file(p),
            }
            .ok()?;
            let mut info = match &subset {
                Some(s) => link_key(&doc, rules, replay, s),
                None => link_info(&doc, rules, replay, &wanted),
            };
            // Kept once, in `paths`: the links copy the few a context names.
            info.path = PathBuf::new();
            Some(info)
        })
        .collect();
    let mut links = Links::for_batch(infos, paths);
    if subset.is_none() {
        links.forget_unread_fields();
        return links;
    }
    let read = links.read_by_others();
    let kept: Vec<(usize, Vec<crate::link::KeptField>)> = read
        .par_iter()
        .filter_map(|&i| {
            let doc = crate::load::load_file(&paths[i]).ok()?;
            Some((i, link_info(&doc, rules, replay, &wanted).fields))
        })
        .collect();
    for (i, fields) in kept {
        links.set_fields(i, fields);
    }
    links
}

/// Audit a batch: link the reports (phase one), then audit each with its batch context in
/// parallel, handing each finished chunk to `sink` in input order, so that memory stays bounded
/// by the chunk, not by the corpus.
pub fn audit_stream(paths: &[PathBuf], rules: &RuleSet, replay: Option<&Replay>, mut sink: impl FnMut(ReportAudit)) {
    const CHUNK: usize = 256;
    let links = link_batch(paths, rules, replay);
    let audit_chunk = |n: usize, chunk: &[PathBuf]| -> Vec<ReportAudit> {
        chunk.par_iter().enumerate().map(|(k, p)| audit_path_in(p, rules, replay, Some(&links.context(n * CHUNK + k)))).collect()
    };
    // The sink (formatting, writing) takes each chunk on this thread while the pool audits the
    // next one, so the cores do not wait for the output. At most two chunks are held.
    let mut done: Option<Vec<ReportAudit>> = None;
    for (n, chunk) in paths.chunks(CHUNK).enumerate() {
        let mut next: Option<Vec<ReportAudit>> = None;
        rayon::in_place_scope(|s| {
            s.spawn(|_| next = Some(audit_chunk(n, chunk)));
            for a in done.take().into_iter().flatten() {
                sink(a);
            }
        });
        done = next;
    }
    for a in done.into_iter().flatten() {
        sink(a);
    }
}

/// Audit a batch and keep every result (for exports and small batches).
pub fn audit_batch(paths: &[PathBuf], rules: &RuleSet, replay: Option<&Replay>) -> Vec<ReportAudit> {
    let mut out = Vec::with_capacity(paths.len());
    audit_stream(paths, rules, replay, |a| out.push(a));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Phase one as it was: every report extracted and settled in full, its key and kept
    /// fields taken from that.
    fn linked_in_full(paths: &[PathBuf], rules: &RuleSet, replay: Option<&Replay>) -> Links {
        let wanted = crate::link::prev_refs(rules);
        Links::new(paths.iter().map(|p| crate::load::load_file(p).ok().map(|d| link_info(&d, rules, replay, &wanted))).collect())
    }

    #[test]
    fn a_batch_links_as_when_every_report_is_extracted_in_full() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let mut sources: Vec<PathBuf> = Vec::new();
        for d in [root.join("samples"), root.join("../shared/corpus/pingtan")] {
            sources.extend(crate::load::discover(&[d]).0);
        }
        assert!(sources.len() >= 8);
        // Each report, another version of it (different content, same agency and year) and the
        // same content under a second name.
        for (n, p) in sources.iter().enumerate() {
            let bytes = std::fs::read(p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::write(dir.path().join(format!("{n:02}a_{name}")), &bytes).unwrap();
            std::fs::write(dir.path().join(format!("{n:02}b_{name}")), &bytes).unwrap();
            let mut other = bytes.clone();
            other.extend_from_slice("\n（另一版本）\n".as_bytes());
            std::fs::write(dir.path().join(format!("{n:02}c_{name}")), other).unwrap();
        }
        std::fs::write(dir.path().join("broken.txt"), b"").unwrap();
        let (paths, _) = crate::load::discover(&[dir.path().to_path_buf()]);
        let rules = RuleSet::builtin();
        // Corrections that move reports to another agency or year, and one of a cell next
        // year reads.
        let mut records = Vec::new();
        for (k, p) in paths.iter().enumerate() {
            let Ok(d) = crate::load::load_file(p) else { continue };
            let path = p.display().to_string();
            match k % 4 {
                0 => records.push(crate::journal::Record::correct(&d.id, &path, "agency", "", "平潭综合实验区管委会", "", "wang")),
                1 => records.push(crate::journal::Record::correct(&d.id, &path, "year", "", "2020", "", "wang")),
                2 => records.push(crate::journal::Record::correct(&d.id, &path, "t3.carry_next.total", "", "7", "", "wang")),
                _ => {}
            }
        }
        let replay = crate::journal::replay(&records);
        let mut grouped = Vec::new();
        for replay in [None, Some(&replay)] {
            let (fast, full) = (link_batch(&paths, &rules, replay), linked_in_full(&paths, &rules, replay));
            let mut crossing = 0;
            for i in 0..paths.len() {
                let (a, b) = (fast.context(i), full.context(i));
                assert_eq!(a, b, "{}", paths[i].display());
                crossing += usize::from(a.prev.as_ref().is_some_and(|p| !p.fields.is_empty()) || a.next.is_some());
            }
            assert!(crossing >= 2, "the batch has reports with last or next year");
            assert_eq!(fast.groups(), full.groups());
            grouped.push(fast.groups());
        }
        assert_ne!(grouped[0], grouped[1], "the corrections moved reports");
    }

    /// Every report the project has and a generated batch, with another version of each report
    /// (same agency and year, other content) and the same content under a second name.
    fn batch_of_everything(dir: &Path) -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shared = root.join("../shared");
        let mut dirs = vec![root.join("samples")];
        if shared.is_dir() {
            let made = std::process::Command::new("python3")
                .arg(shared.join("bench/make_corpus.py"))
                .arg("60")
                .arg(dir.join("generated"))
                .arg(shared.join("seeds"))
                .output()
                .expect("python3 runs ../shared/bench/make_corpus.py");
            assert!(made.status.success(), "make_corpus.py: {}", String::from_utf8_lossy(&made.stderr));
            dirs.extend([shared.join("corpus"), shared.join("seeds"), dir.join("generated")]);
        }
        let copies = dir.join("copies");
        std::fs::create_dir_all(&copies).unwrap();
        for (n, p) in crate::load::discover(&dirs).0.iter().enumerate() {
            let bytes = std::fs::read(p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::write(copies.join(format!("{n:03}a_{name}")), &bytes).unwrap();
            std::fs::write(copies.join(format!("{n:03}b_{name}")), &bytes).unwrap();
            if name.ends_with(".txt") {
                let mut other = bytes.clone();
                other.extend_from_slice("\n（另一版本）\n| 一、总体情况 | 0 |\n".as_bytes());
                std::fs::write(copies.join(format!("{n:03}c_{name}")), other).unwrap();
            }
        }
        std::fs::write(copies.join("broken.txt"), b"").unwrap();
        crate::load::discover(&[copies]).0
    }

    #[test]
    fn phase_one_loads_each_report_for_its_text_and_links_as_the_full_load_does() {
        let dir = tempfile::tempdir().unwrap();
        let paths = batch_of_everything(dir.path());
        assert!(paths.len() >= 150, "{}", paths.len());
        let rules = RuleSet::builtin();
        let mut records = Vec::new();
        for (k, p) in paths.iter().enumerate() {
            let Ok(d) = crate::load::load_file(p) else { continue };
            let path = p.display().to_string();
            match k % 5 {
                0 => records.push(crate::journal::Record::correct(&d.id, &path, "agency", "", "平潭综合实验区管委会", "", "wang")),
                1 => records.push(crate::journal::Record::correct(&d.id, &path, "year", "", "2020", "", "wang")),
                _ => {}
            }
        }
        let replay = crate::journal::replay(&records);
        for replay in [None, Some(&replay)] {
            let text = link_batch_loading(&paths, &rules, replay, KeyLoad::Text);
            let full = link_batch_loading(&paths, &rules, replay, KeyLoad::Full);
            let mut crossing = 0;
            for i in 0..paths.len() {
                let (a, b) = (text.context(i), full.context(i));
                assert_eq!(a, b, "{}", paths[i].display());
                assert_eq!(text.info(i), full.info(i), "{}", paths[i].display());
                crossing += usize::from(a.prev.is_some() || a.next.is_some());
            }
            assert!(crossing >= 2, "the batch has reports with last or next year");
            assert_eq!(text.groups(), full.groups());
        }
    }

    #[test]
    fn a_key_read_from_a_section_sees_the_pipe_tables_in_phase_one() {
        // A heading's words in a pipe row are a table cell, not the part: the key is 乙局 only
        // when the pipe tables are read.
        let rules = crate::rules::compile::compile(
            None,
            &[(
                "r.yaml".into(),
                "sections:\n  - { id: part.1, label: 一, heading: '一、总体情况' }\nfields:\n  \
                 - { id: agency, label: A, type: text, find: [{ in: part.1, pattern: '(?P<value>\\p{Han}+局)' }] }\n  \
                 - { id: agency.key, label: K, type: text, from: [agency] }\n  \
                 - { id: year, label: Y, type: year, find: [{ pattern: '(?P<value>20\\d\\d)年' }] }\n"
                    .to_string(),
            )],
        )
        .unwrap_or_else(|e| panic!("{}", e[0]));
        let subset = crate::extract::FieldSubset::of(&rules, &[crate::link::GROUP_FIELD, "year"]).expect("read from the text");
        assert!(subset.reads_sections());
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (2020..2022)
            .map(|y| {
                let p = dir.path().join(format!("{y}.txt"));
                std::fs::write(&p, format!("| 一、总体情况 | 甲局 |\n|---|---|\n{y}年报告\n一、总体情况\n乙局负责\n")).unwrap();
                p
            })
            .collect();
        let (text, full) = (link_batch_loading(&paths, &rules, None, KeyLoad::Text), link_batch_loading(&paths, &rules, None, KeyLoad::Full));
        assert_eq!(text.info(1), full.info(1));
        assert_eq!(text.info(1).and_then(|i| i.key.clone()), Some(("乙局".to_string(), 2021)));
        assert_eq!(text.context(1), full.context(1));
        assert!(text.context(1).prev.is_some());
        // Without the tables the key would be another agency's.
        let doc = crate::load::load_text(&paths[1], false).unwrap();
        assert_eq!(link_key(&doc, &rules, None, &subset).key, Some(("甲局".to_string(), 2021)));
    }
}
