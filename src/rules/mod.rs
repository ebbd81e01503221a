//! Rule packs: what to extract and what to check, read from YAML.
//!
//! A pack is a folder of `*.yaml` files (read recursively, in path order). The default pack under
//! the repository's `rules/` is compiled into the binary (`builtin.rs`), so the tool works from any
//! folder; `--rules DIR` reads another. `compile.rs` validates everything up front: a broken rule
//! file stops the run with `path:line:col: …` before any report is audited.

mod builtin;
pub mod compile;
pub mod lexicon;
mod regexes;
pub mod row_label;
pub mod schema;
pub mod testing;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex::Regex;

pub use compile::{RuleError, glob_match};
pub use regexes::LazyRegex;
use crate::expr::{Expr, Template};
use crate::extract::split::{CellKind, Identity, TableIdentity};
use crate::model::{Date, Severity, Value};
pub use schema::{ExampleScalar, ExampleValue};

/// Where a rule was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Integer,
    Decimal,
    Amount,
    Date,
    Year,
    Text,
}

impl FieldType {
    pub fn parse(s: &str) -> Option<FieldType> {
        Some(match s {
            "integer" => FieldType::Integer,
            "decimal" => FieldType::Decimal,
            "amount" => FieldType::Amount,
            "date" => FieldType::Date,
            "year" => FieldType::Year,
            "text" => FieldType::Text,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            FieldType::Integer => "integer",
            FieldType::Decimal => "decimal",
            FieldType::Amount => "amount",
            FieldType::Date => "date",
            FieldType::Year => "year",
            FieldType::Text => "text",
        }
    }

    /// Read a value of this type from report text (or a typed correction).
    pub fn convert(self, raw: &str) -> Option<Value> {
        let t = normalize_digits(raw.trim());
        let t = t.trim();
        match self {
            FieldType::Integer => {
                let s: String = t.chars().filter(|c| *c != ',' && !c.is_whitespace()).collect();
                s.strip_prefix('+').unwrap_or(&s).parse::<i64>().ok().map(Value::Int)
            }
            FieldType::Decimal => t.replace(',', "").parse::<f64>().ok().filter(|d| d.is_finite()).map(Value::Dec),
            FieldType::Amount => {
                let unit_at = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',' || c == '-' || c == '+')).unwrap_or(t.len());
                let num: f64 = t[..unit_at].replace(',', "").parse().ok().filter(|d: &f64| d.is_finite())?;
                let unit = t[unit_at..].trim();
                if !unit.is_empty() && !["元", "万元", "亿元"].contains(&unit) {
                    return None;
                }
                Some(Value::Amount { value: num, unit: unit.to_string() })
            }
            FieldType::Date => crate::text::parse_date(t).map(Value::Date),
            FieldType::Year => {
                let y = if t.chars().all(|c| c.is_ascii_digit()) {
                    t.parse::<i64>().ok()
                } else {
                    crate::text::chinese_number(t.trim_end_matches(['年', '度']))
                }?;
                (1949..=2200).contains(&y).then_some(Value::Int(y))
            }
            FieldType::Text => {
                let s: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
                (!s.is_empty()).then_some(Value::Text(s))
            }
        }
    }

    /// A reviewer's typed correction: "" is a blank cell; anything else must be of this type.
    pub fn parse_input(self, input: &str) -> Result<Option<Value>, String> {
        if input.trim().is_empty() {
            return Ok(None);
        }
        self.convert(input).map(Some).ok_or_else(|| {
            match self {
                FieldType::Integer => "需要整数，例如 5",
                FieldType::Decimal => "需要数字，例如 12.5",
                FieldType::Amount => "需要金额，例如 22979.87万元",
                FieldType::Date => "需要日期，例如 2021-02-22",
                FieldType::Year => "需要年份，例如 2020",
                FieldType::Text => "需要文字",
            }
            .to_string()
        })
    }
}

/// Full-width digits and signs to ASCII, for values (spans are taken before this).
pub fn normalize_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            '，' => ',',
            '－' => '-',
            '＋' => '+',
            c => c,
        })
        .collect()
}

/// Where a finder or a pattern check looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Text,
    /// The opening of the report (title block): its first 3,000 bytes.
    Head,
    /// The closing 3,000 bytes (signature and date).
    Tail,
    /// The body of a section, e.g. `part.5`.
    Part(String),
    /// The text of a field found earlier (`title`, `agency`…).
    Field(String),
}

#[derive(Debug, Clone)]
pub struct Finder {
    pub scope: Scope,
    pub regex: Regex,
    pub value: Option<String>,
    pub last: bool,
}

#[derive(Debug, Clone)]
pub struct FieldRule {
    pub id: String,
    pub label: String,
    pub ty: FieldType,
    pub finders: Vec<Finder>,
    pub from: Vec<String>,
    pub default: Option<Value>,
    pub hidden: bool,
    /// Reads table fields, so it is extracted after the tables.
    pub after_tables: bool,
    /// Read through [`RuleSet::names`].
    pub names: bool,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct SectionRule {
    pub id: String,
    pub label: String,
    pub heading: Regex,
    /// Tried when `heading` is found nowhere.
    pub fallback: Option<Regex>,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub id: String,
    pub label: String,
    pub kind: CellKind,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub label: String,
    /// Searched like a `Regex`; the built-in pack builds it when a report first needs it.
    pub regex: LazyRegex,
    /// What `regex` puts after its item number: the label is found through it (see
    /// [`Row::find_label`]).
    pub body: row_label::LabelBody,
    /// (column index, field id) whose value settles an open split.
    pub hints: Vec<(usize, String)>,
    /// When true, a heading without cells of its own (see `RowDef::heading`).
    pub heading: Option<Expr>,
}

impl Row {
    /// The row's label in `hay` from `at` on: the same match as `regex.find_at(hay, at)`.
    pub fn find_label(&self, hay: &str, at: usize) -> Option<std::ops::Range<usize>> {
        self.body.find_at(&self.regex, hay, at)
    }
}

#[derive(Debug, Clone)]
pub struct TableRule {
    pub id: String,
    pub label: String,
    pub prefix: String,
    pub when: Option<Expr>,
    pub start: Regex,
    pub end: Option<Regex>,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub row_sums: Vec<Identity>,
    pub at_least: Vec<(usize, usize)>,
    pub balances: Vec<TableIdentity>,
    pub origin: Origin,
    /// Per row: its cells' field ids and labels, made once when the rules load.
    pub cells: Vec<RowCells>,
}

/// A table row's field ids and labels, the same in every report: made when the rules load
/// rather than for each report's cells.
#[derive(Debug, Clone)]
pub struct RowCells {
    /// The row's id under the table's prefix: the group of its joint readings.
    pub group: std::sync::Arc<str>,
    /// Per column: [`TableRule::field_id`] of the row and column.
    pub ids: std::sync::Arc<Vec<String>>,
    /// Per column: "row label·column label".
    pub labels: Vec<String>,
}

impl TableRule {
    pub fn field_id(&self, row: &str, col: &str) -> String {
        [self.prefix.as_str(), row, col].iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(".")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineKind {
    Government,
    Department,
    Any,
}

#[derive(Debug, Clone)]
pub struct Deadline {
    pub from: i32,
    pub to: i32,
    pub kind: DeadlineKind,
    pub month: u32,
    pub day: u32,
}

#[derive(Debug, Clone)]
pub enum CheckBody {
    Assert(Expr),
    /// `search` holds the regex and how to search it cheaply (`check::prefilter`).
    Pattern { scope: Scope, search: crate::check::PatternSearch, assert: Option<Expr>, absent: bool, max: usize },
    /// One finding per field in a state (or per row, or per table); `globs` narrow which fields
    /// (empty = all).
    Status { ambiguous: bool, globs: Vec<String>, per: Per },
    /// Once per claim of a kind (see `claims::of_kind`); a finding where `assert` is false.
    Claims { kind: String, assert: Expr },
    /// A text check no regex can express (`check::text_quality`).
    Text { scope: Scope, kind: TextKind, max: usize },
}

#[derive(Debug, Clone)]
pub enum TextKind {
    /// A unit of `min..=max` characters written twice in a row, unless `allow` matches the doubled text.
    Repeat { min: usize, max: usize, allow: Option<Regex> },
    /// Top-level numbering that goes back; `heading` has groups `num` and (optionally) `title`.
    Numbering { heading: Regex, skip: Option<Regex> },
    /// The stated number of parts (`stated`, group `n`) against the highest part numeral found.
    PartCount { heading: Regex, skip: Option<Regex>, stated: Regex },
}

/// How a status check groups the fields it finds into findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    Field,
    Row,
    Table,
}

/// One run of a check: a check with `each` has one instance per binding.
#[derive(Debug, Clone)]
pub struct CheckInstance {
    /// "[col=person]" for an `each` binding, "" otherwise; part of the finding key.
    pub key_suffix: String,
    pub when: Option<Expr>,
    pub body: CheckBody,
    pub message: Template,
    /// The field references (globs included) of `when` and an assertion, in order, without
    /// duplicates: read once at compile time rather than per report.
    pub refs: Vec<String>,
    /// The field references of `when` alone, for deciding a false precondition early.
    pub when_refs: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Example {
    pub fire: bool,
    pub text: Option<String>,
    pub fields: Option<BTreeMap<String, Option<ExampleValue>>>,
    pub prev: Option<BTreeMap<String, Option<ExampleValue>>>,
    /// The severity a `fire` example's finding must have.
    pub severity: Option<Severity>,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct CheckRule {
    pub id: String,
    /// None = `off`.
    pub severity: Option<Severity>,
    pub description: Option<String>,
    pub instances: Vec<CheckInstance>,
    pub examples: Vec<Example>,
    /// When this check fires, the report's other check findings are left out: the document is
    /// not a report (a 函, a 通知, a copy with a disclaimer), so they would only be noise.
    pub alone: bool,
    /// An assertion also used to settle ambiguous cells (see `extract::settle`).
    pub settles: bool,
    pub origin: Origin,
}

/// A compiled rule pack.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// The folder it was read from; None for the built-in pack.
    pub dir: Option<PathBuf>,
    pub fields: Vec<FieldRule>,
    pub sections: Vec<SectionRule>,
    pub tables: Vec<TableRule>,
    pub checks: Vec<CheckRule>,
    pub deadlines: Vec<Deadline>,
    /// Every field id the pack can produce, with its label and type.
    pub known: BTreeMap<String, (String, FieldType)>,
    /// Table cells in the order the tables print them (row by row, column by column), for
    /// listing a row's cells the way the report does.
    pub cell_order: BTreeMap<String, usize>,
    /// The narrative's words (`lexicon.yaml`), for the claims stage.
    pub lexicon: lexicon::Lexicon,
    /// Names as OCR or habit writes them, for fields marked `names: true`.
    pub names: Vec<NameFix>,
    /// The pattern checks searched together once per report (`check::prefilter`).
    pub text_set: crate::check::TextSet,
}

/// `text` in a name stands for `name` (anywhere, or only as the name's last unit).
#[derive(Debug, Clone, PartialEq)]
pub struct NameFix {
    pub text: String,
    pub name: String,
    pub suffix: bool,
}

impl RuleSet {
    /// `value` with every misreading and abbreviation the pack lists replaced, or `None` when
    /// nothing applies.
    pub fn fix_name(&self, value: &str) -> Option<String> {
        let mut out = value.to_string();
        for n in &self.names {
            if n.suffix {
                let trimmed = out.trim_end();
                if trimmed.ends_with(n.text.as_str()) && !trimmed.ends_with(n.name.as_str()) {
                    out = format!("{}{}", &trimmed[..trimmed.len() - n.text.len()], n.name);
                }
            } else if out.contains(n.text.as_str()) {
                out = out.replace(n.text.as_str(), &n.name);
            }
        }
        (out != value).then_some(out)
    }
}

impl RuleSet {
    /// The default pack compiled into the binary.
    pub fn builtin() -> RuleSet {
        let files: Vec<(String, String)> = builtin::FILES
            .iter()
            .filter(|(p, _)| p.ends_with(".yaml"))
            .map(|(p, t)| (format!("rules/{p}"), t.to_string()))
            .collect();
        match compile::compile_builtin(&files) {
            Ok(set) => set,
            // The default pack is tested in CI; reaching this is a build defect, not bad input.
            Err(errors) => panic!("built-in rule pack is broken: {}", errors[0]),
        }
    }

    /// Read and validate every `*.yaml` under `dir`.
    pub fn load_dir(dir: &Path) -> Result<RuleSet, Vec<RuleError>> {
        let mut paths = Vec::new();
        collect_yaml(dir, &mut paths).map_err(|m| {
            vec![RuleError { path: dir.display().to_string(), line: 1, col: 1, message: m }]
        })?;
        if paths.is_empty() {
            return Err(vec![RuleError {
                path: dir.display().to_string(),
                line: 1,
                col: 1,
                message: "no *.yaml rule files here (write the defaults with `nianbao rules init DIR`)".into(),
            }]);
        }
        paths.sort();
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for p in paths {
            match std::fs::read(&p) {
                Ok(bytes) if bytes.len() > compile::MAX_RULE_FILE_BYTES => errors.push(RuleError {
                    path: p.display().to_string(),
                    line: 1,
                    col: 1,
                    message: format!("rule file is {} bytes, over the {} byte limit", bytes.len(), compile::MAX_RULE_FILE_BYTES),
                }),
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(t) => files.push((p.display().to_string(), t)),
                    Err(_) => errors.push(RuleError { path: p.display().to_string(), line: 1, col: 1, message: "rule file is not UTF-8".into() }),
                },
                Err(e) => errors.push(RuleError { path: p.display().to_string(), line: 1, col: 1, message: format!("cannot read: {e}") }),
            }
        }
        let set = compile::compile(Some(dir.to_path_buf()), &files);
        match set {
            Ok(set) if errors.is_empty() => Ok(set),
            Ok(_) => Err(errors),
            Err(mut e) => {
                errors.append(&mut e);
                Err(errors)
            }
        }
    }

    /// `--rules DIR` when given, else the built-in pack.
    pub fn load(dir: Option<&Path>) -> Result<RuleSet, Vec<RuleError>> {
        match dir {
            Some(d) => RuleSet::load_dir(d),
            None => Ok(RuleSet::builtin()),
        }
    }

    /// Write the default pack (rule files, their README) into `dir`; existing files are kept
    /// unless `force`.
    pub fn write_defaults(dir: &Path, force: bool) -> std::io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for (rel, text) in builtin::FILES {
            let p = dir.join(rel);
            if p.exists() && !force {
                continue;
            }
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&p, text)?;
            written.push(p);
        }
        Ok(written)
    }

    pub fn label(&self, id: &str) -> Option<&str> {
        self.known.get(id).map(|(l, _)| l.as_str())
    }

    pub fn field_type(&self, id: &str) -> Option<FieldType> {
        self.known.get(id).map(|(_, t)| *t)
    }

    pub fn check(&self, id: &str) -> Option<&CheckRule> {
        self.checks.iter().find(|c| c.id == id)
    }

    pub fn is_hidden(&self, id: &str) -> bool {
        self.fields.iter().any(|f| f.id == id && f.hidden) || id.ends_with(".body") || id.starts_with("batch.")
    }

    /// The deadline for a report of `year` by an agency of `kind` ("government" / "department").
    pub fn deadline(&self, year: i64, kind: &str) -> Option<Date> {
        let y = i32::try_from(year).ok()?;
        self.deadlines
            .iter()
            .find(|d| {
                (d.from..=d.to).contains(&y)
                    && match d.kind {
                        DeadlineKind::Any => true,
                        DeadlineKind::Government => kind == "government",
                        DeadlineKind::Department => kind == "department",
                    }
            })
            .and_then(|d| Date::new(y + 1, d.month, d.day))
    }
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read rules folder: {e}"))?;
    for entry in rd.flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect_yaml(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
    Ok(())
}
