//! The data every stage passes along: values, fields, findings, spans.
//!
//! Nothing here knows about 年度报告; these are the nouns the pipeline is written in.

use std::collections::BTreeMap;
use std::fmt;

/// A calendar date (no time zone: reports are dated in local Chinese time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// A date only if it exists in the Gregorian calendar.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Date> {
        let mut it = s.trim().splitn(3, '-');
        let y = it.next()?.parse().ok()?;
        let m = it.next()?.parse().ok()?;
        let d = it.next()?.parse().ok()?;
        Date::new(y, m, d)
    }
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A value read from a report or computed by a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Dec(f64),
    /// A sum of money as written, e.g. 22979.87 万元: the number and its unit.
    Amount { value: f64, unit: String },
    Date(Date),
    Text(String),
    Bool(bool),
}

impl Value {
    /// The number behind an integer, decimal or amount (amounts in their own unit).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Dec(d) => Some(*d),
            Value::Amount { value, .. } => Some(*value),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// JSON form: counts as numbers, dates as "YYYY-MM-DD", everything else as a string.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Bool(b) => serde_json::Value::from(*b),
            other => serde_json::Value::from(other.to_string()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Dec(d) => write!(f, "{}", format_decimal(*d)),
            Value::Amount { value, unit } => write!(f, "{}{unit}", format_decimal(*value)),
            Value::Date(d) => write!(f, "{d}"),
            Value::Text(s) => f.write_str(s),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// Decimals print without float noise: 22979.87, not 22979.869999999.
pub fn format_decimal(d: f64) -> String {
    let s = format!("{d:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_string() } else { s.to_string() }
}

/// Where something sits in a document's decoded text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte range in the decoded text.
    pub start: usize,
    pub end: usize,
    /// 1-based line and column (column counted in characters) of `start`.
    pub line: usize,
    pub col: usize,
}

/// How sure the extractor is of a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Read exactly as written, or the only reading that satisfies the table's identities.
    Exact,
    /// Several readings remain (see `candidates`), or none satisfies the identities.
    Ambiguous,
    /// A reviewer set this value in the correction log.
    Corrected,
    /// A correction exists but was recorded against different report content.
    Stale,
    /// Reviewers corrected it to different values (see `candidates`) and nobody has settled
    /// it yet; checks treat it like an ambiguous field.
    Conflict,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Exact => "exact",
            Status::Ambiguous => "ambiguous",
            Status::Corrected => "corrected",
            Status::Stale => "stale",
            Status::Conflict => "conflict",
        }
    }

    /// Several values remain possible: ambiguous, or in conflict between reviewers.
    pub fn is_uncertain(self) -> bool {
        matches!(self, Status::Ambiguous | Status::Conflict)
    }
}

/// One possible reading of an ambiguous field. `value: None` means the cell was blank.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub value: Option<Value>,
    /// Why this reading is possible, e.g. "按行合计唯一拆分" or "叙述文字印证".
    pub note: Option<String>,
}

/// A field extracted from a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub id: String,
    /// The Chinese label the rule pack gives the field.
    pub label: String,
    /// `None` for a blank cell ("", "/", "—"): blank is not zero.
    pub value: Option<Value>,
    /// The text the value was read from, as it stands in the report.
    pub raw: String,
    pub span: Option<Span>,
    pub status: Status,
    /// For ambiguous fields: every reading still possible (first = the extractor's best guess
    /// only in ordering; it is never used as if exact).
    pub candidates: Vec<Candidate>,
    /// How the value was settled or why it is uncertain.
    pub note: Option<String>,
    /// For corrected fields: the value the extractor had read.
    pub extracted: Option<Option<Value>>,
    /// For an ambiguous table cell: the readings of its whole row, so that checks try whole
    /// readings (which satisfy the row's identities) rather than every mix of cell candidates.
    pub joint: Option<Joint>,
    /// For a cell several readings allowed: the evidence that settled it (a narrative figure,
    /// last year's report, an identity of the rule pack), e.g. "叙述：现行有效规范性文件215件（第12行）".
    pub settled_by: Option<String>,
}

/// The readings of one table row, shared by its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Joint {
    /// Identifies the row, e.g. "t3.new".
    pub group: std::sync::Arc<str>,
    /// Field id of each column.
    pub fields: std::sync::Arc<Vec<String>>,
    /// Each reading: one value per column (None = blank).
    pub readings: std::sync::Arc<Vec<Vec<Option<Value>>>>,
    /// The readings are every reading the row's text allows under its identities (the search
    /// was complete and the row is consistent), so a check failing under all of them is certain.
    pub complete: bool,
}

impl Field {
    pub fn exact(id: &str, label: &str, value: Option<Value>, raw: &str, span: Option<Span>) -> Field {
        Field {
            id: id.to_string(),
            label: label.to_string(),
            value,
            raw: raw.to_string(),
            span,
            status: Status::Exact,
            candidates: Vec::new(),
            note: None,
            extracted: None,
            joint: None,
            settled_by: None,
        }
    }

    pub fn display_value(&self) -> String {
        match (&self.value, self.status) {
            (_, Status::Ambiguous | Status::Conflict) if !self.candidates.is_empty() => {
                let c: Vec<String> = self.candidates.iter().map(|c| display_opt(&c.value)).collect();
                format!("? {}", c.join(" | "))
            }
            (v, _) => display_opt(v),
        }
    }
}

pub fn display_opt(v: &Option<Value>) -> String {
    match v {
        Some(v) => v.to_string(),
        None => "(空)".to_string(),
    }
}

/// All fields of one report, by id.
pub type Fields = BTreeMap<String, Field>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// A reviewer's decision on a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    pub note: String,
    pub reviewer: String,
    pub ts: String,
    /// The decision was recorded against other report content.
    pub stale: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Confirmed,
    Dismissed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::Dismissed => "dismissed",
        }
    }
}

/// Reviewers who said different things about one field or finding of a report, neither naming
/// the other's record: shown with both sides until a later record settles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewConflict {
    /// Short id (`nianbao log conflicts` lists it).
    pub id: String,
    /// Field id (`field: true`) or finding key.
    pub subject: String,
    pub field: bool,
    pub sides: Vec<ConflictSide>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictSide {
    pub reviewer: String,
    pub ts: String,
    /// The value a correction set, or 确认 / 驳回.
    pub value: String,
    /// The reason or note given.
    pub note: String,
    /// Id of the log record.
    pub record: String,
}

impl ReviewConflict {
    /// `wang 6 · li 7`, for narrow places.
    pub fn brief(&self) -> String {
        self.sides.iter().map(|s| format!("{} {}", s.reviewer, s.value)).collect::<Vec<_>>().join(" · ")
    }
}

/// A problem a check raised on a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    /// Ids of the fields the check looked at.
    pub fields: Vec<String>,
    /// Stable key for this finding within its report (rule id plus the instance), used by the
    /// correction log: never a screen position or a line number.
    pub key: String,
    pub decision: Option<Decision>,
}
