//! Exports for reviewers who hand results on as spreadsheets (Excel, WPS) or to scripts.
//!
//! Every format carries the same three tables, built once here from audited reports:
//!
//! 1. **报告** (reports): one row per report — 文件, 内容标识, 编码, 错误, then two columns per
//!    field (value, then `<label>·状态`), then the open finding counts and the review state.
//!    Field columns are every id any exported report has, minus hidden ones (`RuleSet::is_hidden`,
//!    ids ending in `.body`): identity first (title, agency, agency_kind, year, published,
//!    template), then the rest by id.
//! 2. **问题** (findings): one row per finding, with the reviewer's decision if any.
//! 3. **更正记录** (log): the correction log, in the columns of [`journal::to_csv`].
//!
//! Decisions, the same in every format:
//! - Two header rows: the Chinese labels first (what a reviewer reads), the stable ids second (what
//!   a script keys on: field ids, `<id>.status` for a status column, fixed English names for the
//!   other columns). In xlsx the autofilter sits on the id row, directly above the data, so sorting
//!   or filtering never moves either header row; both are frozen. The one exception is the log in
//!   CSV (`x.log.csv`), which is exactly what [`journal::to_csv`] writes (one header row of ids) so
//!   it matches `nianbao log export`.
//! - Values are the audited values: corrections from the log are already applied. An ambiguous
//!   field has an empty value; its status cell reads `待定：a | b` with every candidate (a blank
//!   candidate shows as `(空)`). Status words: 精确 / 待定 / 已更正 / 过期. A field the report
//!   lacks leaves both cells empty; a blank cell in the report is an empty value with status 精确.
//! - Types: integers and decimals are numbers in xlsx and JSON. Amounts are numbers in their own
//!   unit; xlsx shows the unit through a number format (`General"万元"`), JSON adds `"unit"`, CSV
//!   writes the text as displayed (`22979.87万元`). Dates are ISO text `YYYY-MM-DD` everywhere: it
//!   sorts correctly, survives a CSV round trip and avoids spreadsheet date-system and locale
//!   display quirks. A non-finite decimal is written as text.
//! - Counts per report are *open* findings (no decision yet) by severity; the review state is
//!   新 / 审核中 / 已完成 (JSON: `new` / `in_progress` / `done`).
//! - CSV: UTF-8 with a byte-order mark (Excel and WPS otherwise guess a legacy code page), CRLF
//!   rows, RFC 4180 quoting. A text cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading
//!   `'` so a spreadsheet never runs it as a formula; numbers written from typed values (e.g. `-3`)
//!   are left alone. xlsx cells are typed string cells, which a spreadsheet never evaluates, so no
//!   `'` is added there. Text longer than a cell can hold (32,767 UTF-16 units) is cut with `…`.
//! - Output files are built in memory first and each written through a temporary file renamed into
//!   place, so a failed export never leaves a half-written file under the requested name.
//!
//! JSON shape: `{"reports":[{path,id,encoding,error?,fields:{id:{value,status,unit?,candidates?}},
//! counts:{error,warning,info},review}],"findings":[{path,id,rule,severity,line,message,fields,key,
//! decision}],"log":[records]}` with machine words (`exact`, `error`, `confirmed`…), not Chinese.

mod csv;
mod json;
mod xlsx;

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::journal::{self, Record};
use crate::model::{Field, Finding, Severity, Status, Value, Verdict, display_opt};
use crate::pipeline::{ReportAudit, ReviewState};
use crate::rules::RuleSet;

/// The file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Json,
}

/// Identity fields lead the reports table in this order.
const IDENTITY: [&str; 6] = ["title", "agency", "agency_kind", "year", "published", "template"];

/// Sheet names (and the names the tables go by).
pub const SHEET_REPORTS: &str = "报告";
pub const SHEET_FINDINGS: &str = "问题";
pub const SHEET_LOG: &str = "更正记录";

/// Write the export. `out` None = stdout (csv and json only; xlsx requires a file). Returns the
/// files written (none for stdout).
///
/// CSV to a file writes three files: `x.csv` (reports), `x.findings.csv` and `x.log.csv`; CSV to
/// stdout writes only the reports table.
pub fn export(
    format: ExportFormat,
    audits: &[ReportAudit],
    rules: &RuleSet,
    records: &[Record],
    out: Option<&Path>,
) -> anyhow::Result<Vec<PathBuf>> {
    match format {
        ExportFormat::Csv => {
            let reports = csv::table_to_csv(&reports_table(audits, rules));
            let Some(out) = out else {
                write_stdout(&reports)?;
                return Ok(Vec::new());
            };
            let findings = csv::table_to_csv(&findings_table(audits));
            let mut log = Vec::new();
            journal::to_csv(records, &mut log).context("writing the correction log as CSV")?;
            let (f_path, l_path) = csv_siblings(out);
            let files = [(out.to_path_buf(), reports), (f_path, findings), (l_path, log)];
            for (path, bytes) in &files {
                write_file(path, bytes)?;
            }
            Ok(files.into_iter().map(|(p, _)| p).collect())
        }
        ExportFormat::Xlsx => {
            let Some(out) = out else {
                bail!("xlsx export needs an output file (e.g. -o results.xlsx): a workbook cannot be written to standard output");
            };
            let tables = [reports_table(audits, rules), findings_table(audits), log_table(records)];
            let bytes = xlsx::workbook(&tables)?;
            write_file(out, &bytes)?;
            Ok(vec![out.to_path_buf()])
        }
        ExportFormat::Json => {
            let mut bytes = serde_json::to_vec(&json::document(audits, rules, records))
                .context("serializing the export as JSON")?;
            bytes.push(b'\n');
            match out {
                None => {
                    write_stdout(&bytes)?;
                    Ok(Vec::new())
                }
                Some(out) => {
                    write_file(out, &bytes)?;
                    Ok(vec![out.to_path_buf()])
                }
            }
        }
    }
}

/// `x.csv` → (`x.findings.csv`, `x.log.csv`); a name without `.csv` keeps its whole name as stem.
fn csv_siblings(out: &Path) -> (PathBuf, PathBuf) {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = match name.len().checked_sub(4) {
        Some(i) if name.is_char_boundary(i) && name[i..].eq_ignore_ascii_case(".csv") => &name[..i],
        _ => name.as_str(),
    };
    (out.with_file_name(format!("{stem}.findings.csv")), out.with_file_name(format!("{stem}.log.csv")))
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(bytes).and_then(|()| stdout.flush()).context("writing to standard output")
}

/// Writes through a temporary sibling renamed into place: a failure never leaves `path` half written.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path.file_name().with_context(|| format!("{} is not a file name", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let result = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

/// One cell of a table, typed so each format can write it natively.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// A finite decimal.
    Num(f64),
    /// A finite number in `unit`, e.g. 22979.87 万元.
    Amount(f64, String),
    Bool(bool),
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn opt_text(s: &str) -> Cell {
        if s.is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) }
    }

    /// The cell as a spreadsheet shows it; CSV writes this.
    pub(crate) fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Num(d) => crate::model::format_decimal(*d),
            Cell::Amount(v, unit) => format!("{}{unit}", crate::model::format_decimal(*v)),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

/// A column: the Chinese header, the stable id, and whether long text wraps.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub label: String,
    pub id: String,
    pub wrap: bool,
}

impl Column {
    fn new(label: &str, id: &str) -> Column {
        Column { label: label.to_string(), id: id.to_string(), wrap: false }
    }

    fn wrapped(label: &str, id: &str) -> Column {
        Column { wrap: true, ..Column::new(label, id) }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Leading columns kept in view when scrolling sideways (xlsx).
    pub frozen_cols: u16,
}

/// A report value as a typed cell. Dates become ISO text (see module docs).
pub(crate) fn value_cell(v: &Value) -> Cell {
    match v {
        Value::Int(i) => Cell::Int(*i),
        Value::Dec(d) if d.is_finite() => Cell::Num(*d),
        Value::Amount { value, unit } if value.is_finite() => Cell::Amount(*value, unit.clone()),
        Value::Bool(b) => Cell::Bool(*b),
        Value::Text(s) => Cell::opt_text(s),
        other => Cell::Text(other.to_string()),
    }
}

/// The value a field contributes: empty when ambiguous (never a guess) or blank.
fn field_value_cell(f: &Field) -> Cell {
    match (&f.value, f.status) {
        (_, Status::Ambiguous | Status::Conflict) | (None, _) => Cell::Empty,
        (Some(v), _) => value_cell(v),
    }
}

pub(crate) fn status_word(s: Status) -> &'static str {
    match s {
        Status::Exact => "精确",
        Status::Ambiguous => "待定",
        Status::Corrected => "已更正",
        Status::Stale => "过期",
        Status::Conflict => "冲突",
    }
}

/// 精确 / 已更正 / 过期, or `待定：a | b` listing every candidate.
fn status_text(f: &Field) -> String {
    let word = status_word(f.status);
    if f.status.is_uncertain() && !f.candidates.is_empty() {
        let c: Vec<String> = f.candidates.iter().map(|c| display_opt(&c.value)).collect();
        format!("{word}：{}", c.join(" | "))
    } else {
        word.to_string()
    }
}

/// Field ids shown as columns: every id any report has, minus hidden ones, identity first.
pub(crate) fn field_columns(audits: &[ReportAudit], rules: &RuleSet) -> Vec<String> {
    let all: BTreeSet<&str> = audits
        .iter()
        .flat_map(|a| a.fields.keys())
        .map(String::as_str)
        .filter(|id| !rules.is_hidden(id) && !id.ends_with(".body"))
        .collect();
    let mut ids: Vec<String> = IDENTITY.iter().filter(|id| all.contains(**id)).map(|s| s.to_string()).collect();
    ids.extend(all.into_iter().filter(|id| !IDENTITY.contains(id)).map(str::to_string));
    ids
}

/// The label for a field's column: the rule pack's, else the one the report carried, else the id.
fn field_label<'a>(id: &'a str, rules: &'a RuleSet, audits: &'a [ReportAudit]) -> &'a str {
    rules
        .label(id)
        .or_else(|| audits.iter().find_map(|a| a.fields.get(id)).map(|f| f.label.as_str()).filter(|l| !l.is_empty()))
        .unwrap_or(id)
}

pub(crate) fn open_counts(a: &ReportAudit) -> (usize, usize, usize) {
    a.open_counts()
}

pub(crate) fn review_key(s: ReviewState) -> &'static str {
    match s {
        ReviewState::New => "new",
        ReviewState::InProgress => "in_progress",
        ReviewState::Done => "done",
    }
}

fn count_cell(n: usize) -> Cell {
    Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

pub(crate) fn reports_table(audits: &[ReportAudit], rules: &RuleSet) -> Table {
    let ids = field_columns(audits, rules);
    let mut columns = vec![
        Column::new("文件", "path"),
        Column::new("内容标识", "id"),
        Column::new("编码", "encoding"),
        Column::wrapped("错误", "error"),
    ];
    for id in &ids {
        let label = field_label(id, rules, audits);
        columns.push(Column::new(label, id));
        columns.push(Column::new(&format!("{label}·状态"), &format!("{id}.status")));
    }
    columns.extend([
        Column::new("未处理错误", "open.error"),
        Column::new("未处理警告", "open.warning"),
        Column::new("未处理提示", "open.info"),
        Column::new("审核状态", "review"),
    ]);
    let rows = audits
        .iter()
        .map(|a| {
            let mut row = vec![
                Cell::opt_text(&a.path.display().to_string()),
                Cell::opt_text(&a.id),
                Cell::opt_text(&a.encoding),
                a.error.as_deref().map_or(Cell::Empty, Cell::opt_text),
            ];
            for id in &ids {
                match a.fields.get(id) {
                    Some(f) => {
                        row.push(field_value_cell(f));
                        row.push(Cell::text(status_text(f)));
                    }
                    None => row.extend([Cell::Empty, Cell::Empty]),
                }
            }
            let (e, w, i) = open_counts(a);
            row.extend([count_cell(e), count_cell(w), count_cell(i), Cell::text(a.review_state().label())]);
            row
        })
        .collect();
    Table { name: SHEET_REPORTS, columns, rows, frozen_cols: 1 }
}

pub(crate) fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "错误",
        Severity::Warning => "警告",
        Severity::Info => "提示",
    }
}

/// 已确认 / 已驳回 / 未处理; a decision recorded against other content says so.
fn verdict_text(f: &Finding) -> String {
    match &f.decision {
        None => "未处理".to_string(),
        Some(d) => {
            let word = match d.verdict {
                Verdict::Confirmed => "已确认",
                Verdict::Dismissed => "已驳回",
            };
            if d.stale { format!("{word}（过期）") } else { word.to_string() }
        }
    }
}

pub(crate) fn findings_table(audits: &[ReportAudit]) -> Table {
    let columns = vec![
        Column::new("文件", "path"),
        Column::new("内容标识", "id"),
        Column::new("规则", "rule"),
        Column::new("严重度", "severity"),
        Column::new("行", "line"),
        Column::wrapped("说明", "message"),
        Column::new("涉及字段", "fields"),
        Column::new("问题键", "key"),
        Column::new("审核结论", "verdict"),
        Column::wrapped("审核意见", "note"),
        Column::new("审核人", "reviewer"),
        Column::new("时间", "ts"),
    ];
    let mut rows = Vec::new();
    for a in audits {
        let path = a.path.display().to_string();
        for f in &a.findings {
            let d = f.decision.as_ref();
            rows.push(vec![
                Cell::opt_text(&path),
                Cell::opt_text(&a.id),
                Cell::opt_text(&f.rule),
                Cell::text(severity_word(f.severity)),
                f.span.map_or(Cell::Empty, |s| count_cell(s.line)),
                Cell::opt_text(&f.message),
                Cell::opt_text(&f.fields.join(", ")),
                Cell::opt_text(&f.key),
                Cell::text(verdict_text(f)),
                d.map_or(Cell::Empty, |d| Cell::opt_text(&d.note)),
                d.map_or(Cell::Empty, |d| Cell::opt_text(&d.reviewer)),
                d.map_or(Cell::Empty, |d| Cell::opt_text(&d.ts)),
            ]);
        }
    }
    Table { name: SHEET_FINDINGS, columns, rows, frozen_cols: 1 }
}

/// The columns of `journal::to_csv`, in its order, with Chinese labels.
const LOG_COLUMNS: [(&str, &str); 14] = [
    ("时间", "ts"),
    ("审核人", "reviewer"),
    ("内容标识", "report"),
    ("文件", "path"),
    ("操作", "action"),
    ("字段", "field"),
    ("原值", "old"),
    ("新值", "new"),
    ("理由", "reason"),
    ("规则", "rule"),
    ("问题键", "finding"),
    ("意见", "note"),
    ("撤销目标", "target"),
    ("记录标识", "id"),
];

pub(crate) fn log_table(records: &[Record]) -> Table {
    let columns = LOG_COLUMNS
        .iter()
        .map(|&(label, id)| if matches!(id, "reason" | "note") { Column::wrapped(label, id) } else { Column::new(label, id) })
        .collect();
    // Old and new stay text as typed: the log is an audit trail, not data to compute on.
    let rows = records
        .iter()
        .map(|r| crate::journal::csv_row(r).iter().map(|c| Cell::opt_text(c)).collect())
        .collect();
    Table { name: SHEET_LOG, columns, rows, frozen_cols: 0 }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Candidate, Decision, Span};

    pub(crate) fn field(id: &str, value: Option<Value>, status: Status) -> Field {
        let mut f = Field::exact(id, "", value, "", None);
        f.status = status;
        f
    }

    pub(crate) fn audit(path: &str, fields: Vec<Field>, findings: Vec<Finding>) -> ReportAudit {
        ReportAudit {
            path: PathBuf::from(path),
            id: "c0ffee".into(),
            encoding: "UTF-8".into(),
            fields: fields.into_iter().map(|f| (f.id.clone(), f)).collect(),
            findings,
            error: None,
            ..ReportAudit::failed(PathBuf::new(), String::new())
        }
    }

    pub(crate) fn finding(rule: &str, severity: Severity, message: &str, decided: Option<Verdict>) -> Finding {
        Finding {
            rule: rule.into(),
            severity,
            message: message.into(),
            span: Some(Span { line: 7, ..Span::default() }),
            fields: vec!["t3.new.total".into(), "year".into()],
            key: rule.into(),
            decision: decided.map(|verdict| Decision {
                verdict,
                note: "看过".into(),
                reviewer: "wang".into(),
                ts: "2024-01-01T00:00:00Z".into(),
                stale: false,
            }),
        }
    }

    fn col(t: &Table, id: &str) -> usize {
        t.columns.iter().position(|c| c.id == id).unwrap_or_else(|| panic!("no column {id}"))
    }

    #[test]
    fn columns_put_identity_first_and_skip_hidden_fields() {
        let rules = RuleSet::builtin();
        let a = audit(
            "a.txt",
            vec![
                field("zzz", Some(Value::Int(1)), Status::Exact),
                field("year", Some(Value::Int(2020)), Status::Exact),
                field("part.1.body", Some(Value::Text("正文".into())), Status::Exact),
                field("title", Some(Value::Text("t".into())), Status::Exact),
                field("aaa", None, Status::Exact),
            ],
            vec![],
        );
        let b = audit("b.txt", vec![field("mmm", Some(Value::Int(2)), Status::Exact)], vec![]);
        assert_eq!(field_columns(&[a, b], &rules), ["title", "year", "aaa", "mmm", "zzz"]);
    }

    #[test]
    fn values_are_typed_and_ambiguous_values_are_left_empty() {
        let rules = RuleSet::builtin();
        let mut amb = field("t3.new.person", None, Status::Ambiguous);
        amb.candidates = vec![
            Candidate { value: Some(Value::Int(5)), note: None },
            Candidate { value: None, note: None },
        ];
        let a = audit(
            "a.txt",
            vec![
                field("year", Some(Value::Int(2020)), Status::Exact),
                amb,
                field("t3.new.total", Some(Value::Int(6)), Status::Corrected),
                field("money", Some(Value::Amount { value: 12.5, unit: "万元".into() }), Status::Stale),
                field("published", Some(Value::Date(crate::model::Date { year: 2021, month: 2, day: 3 })), Status::Exact),
                field("bad", Some(Value::Dec(f64::NAN)), Status::Exact),
            ],
            vec![],
        );
        let t = reports_table(&[a], &rules);
        let row = &t.rows[0];
        assert_eq!(row[col(&t, "year")], Cell::Int(2020));
        assert_eq!(row[col(&t, "year.status")], Cell::text("精确"));
        assert_eq!(row[col(&t, "t3.new.person")], Cell::Empty);
        assert_eq!(row[col(&t, "t3.new.person.status")], Cell::text("待定：5 | (空)"));
        assert_eq!(row[col(&t, "t3.new.total")], Cell::Int(6));
        assert_eq!(row[col(&t, "t3.new.total.status")], Cell::text("已更正"));
        assert_eq!(row[col(&t, "money")], Cell::Amount(12.5, "万元".into()));
        assert_eq!(row[col(&t, "money.status")], Cell::text("过期"));
        assert_eq!(row[col(&t, "published")], Cell::text("2021-02-03"));
        assert_eq!(row[col(&t, "bad")], Cell::text("NaN"));
        // Labels come from the rule pack, the status column says so.
        assert_eq!(t.columns[col(&t, "year")].label, rules.label("year").unwrap_or("year"));
        assert_eq!(t.columns[col(&t, "year.status")].label, format!("{}·状态", rules.label("year").unwrap_or("year")));
        assert_eq!(t.columns[col(&t, "bad")].label, "bad");
    }

    #[test]
    fn counts_are_open_findings_only() {
        let rules = RuleSet::builtin();
        let a = audit(
            "a.txt",
            vec![],
            vec![
                finding("r1", Severity::Error, "m", None),
                finding("r2", Severity::Error, "m", Some(Verdict::Dismissed)),
                finding("r3", Severity::Warning, "m", None),
            ],
        );
        let t = reports_table(&[a], &rules);
        let row = &t.rows[0];
        assert_eq!(row[col(&t, "open.error")], Cell::Int(1));
        assert_eq!(row[col(&t, "open.warning")], Cell::Int(1));
        assert_eq!(row[col(&t, "open.info")], Cell::Int(0));
        assert_eq!(row[col(&t, "review")], Cell::text("审核中"));
    }

    #[test]
    fn failed_report_still_has_a_row() {
        let rules = RuleSet::builtin();
        let a = ReportAudit::failed(PathBuf::from("gone.txt"), "cannot read".into());
        let t = reports_table(&[a], &rules);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0][col(&t, "error")], Cell::text("cannot read"));
        assert_eq!(t.rows[0][col(&t, "id")], Cell::Empty);
    }

    #[test]
    fn findings_rows_carry_decisions() {
        let a = audit(
            "a.txt",
            vec![],
            vec![finding("r1", Severity::Warning, "m", Some(Verdict::Confirmed)), finding("r2", Severity::Info, "n", None)],
        );
        let t = findings_table(&[a]);
        assert_eq!(t.rows.len(), 2);
        let r = &t.rows[0];
        assert_eq!(r[col(&t, "severity")], Cell::text("警告"));
        assert_eq!(r[col(&t, "line")], Cell::Int(7));
        assert_eq!(r[col(&t, "fields")], Cell::text("t3.new.total, year"));
        assert_eq!(r[col(&t, "verdict")], Cell::text("已确认"));
        assert_eq!(r[col(&t, "reviewer")], Cell::text("wang"));
        assert_eq!(t.rows[1][col(&t, "verdict")], Cell::text("未处理"));
        assert_eq!(t.rows[1][col(&t, "note")], Cell::Empty);
    }

    #[test]
    fn log_columns_match_the_journal_csv() {
        let mut buf = Vec::new();
        journal::to_csv(&[], &mut buf).unwrap();
        let header = String::from_utf8(buf).unwrap();
        let ids: Vec<&str> = LOG_COLUMNS.iter().map(|c| c.1).collect();
        assert_eq!(header.trim_start_matches('\u{FEFF}').trim_end(), ids.join(","));
    }

    #[test]
    fn csv_sibling_names() {
        let (f, l) = csv_siblings(Path::new("out/x.csv"));
        assert_eq!((f.as_path(), l.as_path()), (Path::new("out/x.findings.csv"), Path::new("out/x.log.csv")));
        let (f, _) = csv_siblings(Path::new("结果.CSV"));
        assert_eq!(f, Path::new("结果.findings.csv"));
        let (f, _) = csv_siblings(Path::new("plain"));
        assert_eq!(f, Path::new("plain.findings.csv"));
    }

    #[test]
    fn xlsx_to_stdout_is_refused() {
        let err = export(ExportFormat::Xlsx, &[], &RuleSet::builtin(), &[], None).unwrap_err();
        assert!(err.to_string().contains("output file"), "{err}");
    }

    #[test]
    fn write_failure_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("x.json");
        assert!(export(ExportFormat::Json, &[], &RuleSet::builtin(), &[], Some(&path)).is_err());
        assert!(!path.exists());
    }
}
