//! Cell splitter: every reading of one table row that the row's identities allow.
//!
//! Scraped reports lose table structure in many ways: one cell per line with empty cells dropped,
//! pipe rows, or whole rows collapsed into one digit run ("640020470" is 64|0|0|2|0|4|70). The
//! caller finds the row labels; this module gets the text between one row's label and the next
//! and works out which cells it holds.
//!
//! # Algorithm
//!
//! 1. **Tokens** ([`tokenize`]). A number is a maximal run of digits (ASCII or full-width), with a
//!    leading sign ("+17", "-688") when a sign sits right before the first digit, one decimal point
//!    followed by digits, and — when some column holds amounts — a unit 万元/元/亿元 right after.
//!    A sign or decimal point is always kept with its digits, so a value that no column accepts
//!    makes the row unreadable instead of being misread as two cells. Blank markers ("/", "／",
//!    "—", "－", "-" …) count when they stand alone between separators. In a one-cell-per-line
//!    layout a line holding only U+00A0 is a blank cell too, but a weak one: such lines are also
//!    used as spacers, so a reading may drop them. Everything else separates tokens.
//! 2. **Cells.** A token holds one or more whole cells: a cell never spans two tokens, but a digit
//!    run may hold several glued cells. The sign belongs to the first cell cut from a token, the
//!    fraction and unit to the last. No cell has a leading zero except "0" itself, and no cell has
//!    more than [`MAX_CELL_DIGITS`] digits. When the cells are fewer than the columns, the missing
//!    cells are blank and may sit anywhere, even between two cells of one glued run (a dropped
//!    cell leaves no characters behind in a collapsed table). Runs may be cut in every layout,
//!    one-cell-per-line included; [`Reading::splits`] tells the caller when a reading did.
//! 3. **Search.** A depth-first search assigns columns left to right, cutting pieces off the
//!    current token or placing a blank. It prunes on feasibility (the remaining text must fit the
//!    remaining columns), on the identities (checked as soon as their last column is placed; a
//!    sum of non-negative parts may not exceed a total already placed), and by branch and bound
//!    on the preference order below. Work is capped ([`NODE_CAP`] search nodes, [`READING_CAP`]
//!    readings kept, [`MAX_TOKENS`] tokens, [`MAX_REGION_BYTES`] of text); hitting a cap sets
//!    `truncated`, and a truncated result never claims to be settled.
//!
//! # Preference order
//!
//! Readings are compared in this order; only the best class survives.
//!
//! 1. Readings that **satisfy every constraint** (identities and `at_least`) with every checked
//!    cell present. A blank counts as 0 inside a sum, but a blank total (or a blank side of an
//!    `at_least`) leaves the constraint unverified, not satisfied.
//! 2. Among those, **fewest departures from the text**: blank cells the text does not mark
//!    (assumed dropped cells) plus nbsp lines read as spacers instead of cells; then fewest blank
//!    cells. Written markers ("/", "—") are always cells, so without nbsp lines this is simply
//!    "fewest blanks": with no identity, "12" in two columns is 1|2, not 12|(blank). An nbsp
//!    line is kept as the blank it marks rather than cutting a neighbouring number to fill its
//!    column. Every reading of a one-cell-per-line row with dropped cells has the same count, so
//!    all its satisfying placements stay candidates (seed 004: 5, 0, 0, 0, 5 on five lines for
//!    seven columns).
//! 3. If no reading satisfies every constraint: among the readings first in the same order,
//!    those that break nothing (their only gap is an unverifiable blank total) are kept with
//!    `unverified = true`; otherwise all of them are kept, fewest broken constraints first, with
//!    `satisfied = false`. An unverifiable reading that needs a dropped cell never outranks the
//!    reading the digits give as written: "5000006" stays 5|0|0|0|0|0|6 with a broken row total
//!    rather than becoming 50|0|0|0|0|6|(blank).
//! 4. **Hints** (figures stated in the narrative) only settle what arithmetic left open: when
//!    several readings remain and exactly one agrees with every hint, it is chosen
//!    ([`Settled::ByHint`]) and the others are kept aside in [`RowResult::set_aside`].
//!
//! [`resolve_table`] then narrows rows jointly with identities between rows (table 三's balance
//! and result sums), applied column by column.

use super::fxhash::FxHashSet as HashSet;

use crate::model::Value;

/// More tokens than this in one row's region: the region is not one row; refuse it.
pub const MAX_TOKENS: usize = 64;
/// A region longer than this is not one row's cells; refuse it.
pub const MAX_REGION_BYTES: usize = 64 * 1024;
/// The longest digit string one cell may hold (keeps every count inside `i64`).
pub const MAX_CELL_DIGITS: usize = 18;
/// Search nodes visited per row and phase before giving up with `truncated`.
pub const NODE_CAP: usize = 100_000;
/// Readings kept per row before giving up with `truncated`.
pub const READING_CAP: usize = 1_000;
/// Distinct partial sums tracked per identity column in [`resolve_table`].
const SUM_SET_CAP: usize = 20_000;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CellKind {
    /// A non-negative integer written without a sign.
    Count,
    /// An integer that may carry a sign: "+17", "-688", "0".
    Signed,
    /// A decimal number: "24252.311082", "0".
    Decimal,
    /// A sum of money, a number with an optional unit: "22979.87万元", "3802895.90元".
    Amount,
}

/// Within one row: the `parts` columns add up to the `total` column.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    pub parts: Vec<usize>,
    pub total: usize,
}

impl Identity {
    pub fn new(parts: Vec<usize>, total: usize) -> Identity {
        Identity { parts, total }
    }
}

/// What the caller knows about one row: its columns and the relations between them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RowSpec {
    /// One per column; the row has `kinds.len()` columns.
    pub kinds: Vec<CellKind>,
    pub identities: Vec<Identity>,
    /// `(a, b)`: column `a` is at least column `b` (历年累计 ≥ 本年度).
    pub at_least: Vec<(usize, usize)>,
    /// `(col, value)`: figures stated elsewhere (the narrative). They only rank and settle.
    pub hints: Vec<(usize, i64)>,
}

impl RowSpec {
    pub fn new(kinds: Vec<CellKind>) -> RowSpec {
        RowSpec {
            kinds,
            ..RowSpec::default()
        }
    }

    /// `n` count columns.
    pub fn counts(n: usize) -> RowSpec {
        RowSpec::new(vec![CellKind::Count; n])
    }

    /// `n` count columns, the first `n - 1` adding up to the last (table 三 rows).
    pub fn row_total(n: usize) -> RowSpec {
        let spec = RowSpec::counts(n);
        if n < 2 {
            return spec;
        }
        spec.with_identity((0..n - 1).collect(), n - 1)
    }

    pub fn with_identity(mut self, parts: Vec<usize>, total: usize) -> RowSpec {
        self.identities.push(Identity { parts, total });
        self
    }

    pub fn with_at_least(mut self, a: usize, b: usize) -> RowSpec {
        self.at_least.push((a, b));
        self
    }

    pub fn with_hint(mut self, col: usize, value: i64) -> RowSpec {
        self.hints.push((col, value));
        self
    }

    /// Reports constraints that name a column the row does not have. [`read_row`] ignores such
    /// constraints rather than failing, so rule files should be checked with this when loaded.
    pub fn validate(&self) -> Result<(), String> {
        let n = self.kinds.len();
        for (i, id) in self.identities.iter().enumerate() {
            if id.total >= n || id.parts.iter().any(|&p| p >= n) {
                return Err(format!(
                    "identity {i} names a column beyond the row's {n} columns"
                ));
            }
            if id.parts.is_empty() {
                return Err(format!("identity {i} has no parts"));
            }
        }
        for &(a, b) in &self.at_least {
            if a >= n || b >= n {
                return Err(format!(
                    "at_least ({a}, {b}) names a column beyond the row's {n} columns"
                ));
            }
        }
        for &(c, _) in &self.hints {
            if c >= n {
                return Err(format!("hint on column {c} beyond the row's {n} columns"));
            }
        }
        Ok(())
    }
}

/// One cell of a reading: its value and the bytes of the region it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct CellValue {
    /// `Int` for Count and Signed, `Dec` for Decimal, `Amount` for Amount.
    pub value: Value,
    pub start: usize,
    pub end: usize,
}

/// One way to read the row.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// One per column; `None` is a blank cell, which is not zero.
    pub cells: Vec<Option<CellValue>>,
    /// Blank cells in this reading.
    pub blanks: usize,
    /// Of the blanks, those the text marks ("/", "—", an nbsp line); the rest are assumed.
    pub written_blanks: usize,
    /// Glued runs that this reading cuts into several cells.
    pub splits: usize,
    /// Constraints this reading breaks (non-zero only when the row is not satisfied).
    pub violations: usize,
    /// Constraints left unchecked because a total (or a side of `at_least`) is blank.
    pub unverified: usize,
    /// Hints this reading agrees with.
    pub hints_matched: usize,
}

/// How the row's reading was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// Exactly one reading fits (and the search was complete).
    Unique,
    /// Several readings fit the arithmetic; the narrative's figures picked one.
    ByHint,
    /// Several readings remain (or the search was cut short).
    NotSettled,
    /// No reading satisfies the constraints; `readings` are the best unconstrained ones.
    NoneSatisfy,
}

/// Everything [`read_row`] learned about one row.
#[derive(Clone, Debug, PartialEq)]
pub struct RowResult {
    /// The surviving readings, never empty. See the module docs for the preference order.
    pub readings: Vec<Reading>,
    /// The readings break no constraint.
    pub satisfied: bool,
    /// No reading could verify every constraint (a total is blank in all of them).
    pub unverified: bool,
    pub settled: Settled,
    /// The search hit a cap or the region was refused: the candidates are incomplete.
    pub truncated: bool,
    /// The text holds more cells than the row has columns, or a value no column accepts: the
    /// single reading is the first cells as written, one per token, and must not be trusted.
    pub overflow: bool,
    /// Blank cells the text marks ("/", "—", "－", "-", an nbsp-only line).
    pub explicit_blanks: usize,
    /// Readings consistent with the arithmetic that the hints ruled out (with `ByHint`).
    pub set_aside: Vec<Reading>,
    /// Hints that named a real column.
    pub hint_count: usize,
}

impl RowResult {
    /// A row whose label the report does not have: no readings, nothing verified.
    pub fn absent() -> RowResult {
        RowResult {
            readings: Vec::new(),
            satisfied: false,
            unverified: true,
            settled: Settled::NoneSatisfy,
            truncated: false,
            overflow: false,
            explicit_blanks: 0,
            set_aside: Vec::new(),
            hint_count: 0,
        }
    }

    /// Distinct values column `col` takes across the readings, in reading order.
    /// One entry means every reading agrees on the column.
    pub fn candidates(&self, col: usize) -> Vec<Option<Value>> {
        let mut out: Vec<Option<Value>> = Vec::new();
        for r in &self.readings {
            let v = r
                .cells
                .get(col)
                .and_then(|c| c.as_ref())
                .map(|c| c.value.clone());
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// The value of column `col` when every reading agrees on it and the result can be trusted
    /// (complete search, no overflow, constraints not broken): `Some(None)` is an agreed blank.
    pub fn agreed(&self, col: usize) -> Option<Option<Value>> {
        if self.truncated || self.overflow || !self.satisfied {
            return None;
        }
        let c = self.candidates(col);
        if c.len() == 1 {
            c.into_iter().next()
        } else {
            None
        }
    }
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Digits, possibly with sign, decimal point and unit; one or more cells.
    Number,
    /// A blank marker standing alone: "/", "／", "—", "－", "-".
    Blank,
    /// A line holding only U+00A0 in a one-cell-per-line layout: a blank cell or a spacer.
    LineBlank,
}

/// A token: its byte range in the region and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub kind: TokenKind,
}

/// The tokens of a region, in order. `kinds` decides whether units are read (only when a
/// column holds amounts).
pub fn tokenize(region: &str, kinds: &[CellKind]) -> Vec<Token> {
    lex(region, kinds, usize::MAX)
        .0
        .into_iter()
        .map(|l| l.token)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Lexer

/// A token with its number parsed into the pieces the search cuts.
#[derive(Clone, Debug)]
struct Lexeme {
    token: Token,
    /// -1, 0 (none written) or +1.
    sign: i8,
    /// Byte offset and value of each digit before the decimal point.
    digits: Vec<(usize, u8)>,
    /// Digits after the decimal point, ASCII.
    frac: Option<String>,
    unit: Option<&'static str>,
}

const UNITS: [&str; 3] = ["亿元", "万元", "元"];

fn digit_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '０'..='９' => u8::try_from(c as u32 - '０' as u32).ok(),
        _ => None,
    }
}

fn sign_value(c: char) -> Option<i8> {
    match c {
        '+' | '＋' => Some(1),
        '-' | '－' | '−' => Some(-1),
        _ => None,
    }
}

fn is_marker(c: char) -> bool {
    matches!(c, '/' | '／' | '—' | '－' | '-' | '–' | '―' | '─')
}

fn is_boundary(c: char) -> bool {
    c.is_whitespace() || c == '|' || c == '｜'
}

/// Lexes at most `limit` tokens; the flag says the region held more.
fn lex(region: &str, kinds: &[CellKind], limit: usize) -> (Vec<Lexeme>, bool) {
    let want_units = kinds.contains(&CellKind::Amount);
    let cs: Vec<(usize, char)> = region.char_indices().collect();
    let byte_at = |i: usize| cs.get(i).map_or(region.len(), |&(b, _)| b);
    let digit_at = |i: usize| cs.get(i).and_then(|&(_, c)| digit_value(c));
    let mut out: Vec<Lexeme> = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        if out.len() >= limit {
            return (out, true);
        }
        let c = cs[i].1;
        let signed = sign_value(c).filter(|_| digit_at(i + 1).is_some());
        if digit_value(c).is_some() || signed.is_some() {
            let start = cs[i].0;
            let mut j = i;
            let sign = signed.unwrap_or(0);
            if signed.is_some() {
                j += 1;
            }
            let mut digits = Vec::new();
            while let Some(d) = digit_at(j) {
                digits.push((cs[j].0, d));
                j += 1;
            }
            let mut frac = None;
            if j < cs.len() && matches!(cs[j].1, '.' | '．') && digit_at(j + 1).is_some() {
                let mut f = String::new();
                j += 1;
                while let Some(d) = digit_at(j) {
                    f.push(char::from(b'0' + d));
                    j += 1;
                }
                frac = Some(f);
            }
            let mut end = byte_at(j);
            let mut unit = None;
            if want_units {
                let mut u = j;
                while u < cs.len() && matches!(cs[u].1, ' ' | '\u{a0}') {
                    u += 1;
                }
                let rest = &region[byte_at(u)..];
                if let Some(found) = UNITS.iter().find(|x| rest.starts_with(**x)) {
                    unit = Some(*found);
                    end = byte_at(u) + found.len();
                    j = u + found.chars().count();
                }
            }
            out.push(Lexeme {
                token: Token {
                    start,
                    end,
                    kind: TokenKind::Number,
                },
                sign,
                digits,
                frac,
                unit,
            });
            i = j;
        } else if is_marker(c) {
            let mut j = i;
            // A sign right before a digit starts a number, not a marker.
            while j < cs.len()
                && is_marker(cs[j].1)
                && !(sign_value(cs[j].1).is_some() && digit_at(j + 1).is_some())
            {
                j += 1;
            }
            let alone_before = i == 0 || is_boundary(cs[i - 1].1);
            let alone_after = j >= cs.len() || is_boundary(cs[j].1);
            if alone_before && alone_after {
                out.push(Lexeme {
                    token: Token {
                        start: cs[i].0,
                        end: byte_at(j),
                        kind: TokenKind::Blank,
                    },
                    sign: 0,
                    digits: Vec::new(),
                    frac: None,
                    unit: None,
                });
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    add_line_blanks(region, &mut out);
    (out, false)
}

/// In a one-cell-per-line layout (every token alone on its line, at least two lines holding a
/// token or an nbsp), a line holding only U+00A0 (and spaces) is an empty cell as rendered from
/// `&nbsp;`.
fn add_line_blanks(region: &str, out: &mut Vec<Lexeme>) {
    let mut line_starts = vec![0usize];
    line_starts.extend(region.match_indices('\n').map(|(i, _)| i + 1));
    let line_of = |b: usize| line_starts.partition_point(|&s| s <= b).saturating_sub(1);
    let mut used: Vec<usize> = out.iter().map(|l| line_of(l.token.start)).collect();
    let token_lines = used.len();
    used.dedup();
    if used.len() != token_lines {
        return;
    }
    let mut blanks = Vec::new();
    for (n, &s) in line_starts.iter().enumerate() {
        let e = line_starts.get(n + 1).map_or(region.len(), |&x| x - 1);
        let line = &region[s..e];
        if line.contains('\u{a0}')
            && line
                .chars()
                .all(|c| matches!(c, '\u{a0}' | ' ' | '\t' | '\r'))
        {
            blanks.push(Lexeme {
                token: Token {
                    start: s,
                    end: e,
                    kind: TokenKind::LineBlank,
                },
                sign: 0,
                digits: Vec::new(),
                frac: None,
                unit: None,
            });
        }
    }
    if blanks.is_empty() || token_lines + blanks.len() < 2 {
        return;
    }
    out.extend(blanks);
    out.sort_by_key(|l| l.token.start);
}

// ---------------------------------------------------------------------------------------------
// Values

/// A value in millionths (amounts in 元), so sums compare exactly.
fn micro_of(v: &Value) -> i128 {
    match v {
        Value::Int(i) => i128::from(*i) * 1_000_000,
        Value::Dec(d) => (d * 1e6).round() as i128,
        Value::Amount { value, unit } => {
            let factor = match unit.as_str() {
                "亿元" => 1e8,
                "万元" => 1e4,
                _ => 1.0,
            };
            (value * factor * 1e6).round() as i128
        }
        _ => 0,
    }
}

/// The cell made of digits `k..k + len` of `l` in a column of `kind`, if that column accepts it.
fn make_cell(l: &Lexeme, k: usize, len: usize, kind: CellKind) -> Option<CellValue> {
    let n = l.digits.len();
    if len == 0 || k + len > n || len > MAX_CELL_DIGITS {
        return None;
    }
    let piece = &l.digits[k..k + len];
    if len > 1 && piece[0].1 == 0 {
        return None;
    }
    let first = k == 0;
    let last = k + len == n;
    let sign = if first { l.sign } else { 0 };
    let frac = if last { l.frac.as_deref() } else { None };
    let unit = if last { l.unit } else { None };
    let int = piece
        .iter()
        .fold(0i64, |acc, &(_, d)| acc * 10 + i64::from(d));
    let real = || -> Option<f64> {
        let s = match frac {
            Some(f) => format!("{int}.{f}"),
            None => int.to_string(),
        };
        let v: f64 = s.parse().ok()?;
        Some(if sign < 0 { -v } else { v })
    };
    let value = match kind {
        CellKind::Count if sign == 0 && frac.is_none() && unit.is_none() => Value::Int(int),
        CellKind::Signed if frac.is_none() && unit.is_none() => {
            Value::Int(if sign < 0 { -int } else { int })
        }
        CellKind::Decimal if unit.is_none() => Value::Dec(real()?),
        CellKind::Amount if sign == 0 => Value::Amount {
            value: real()?,
            unit: unit.unwrap_or("").to_string(),
        },
        _ => return None,
    };
    let start = if first { l.token.start } else { piece[0].0 };
    let end = if last {
        l.token.end
    } else {
        l.digits[k + len].0
    };
    Some(CellValue { value, start, end })
}

// ---------------------------------------------------------------------------------------------
// Constraints

#[derive(Clone, Debug)]
enum Constraint {
    Sum { parts: Vec<usize>, total: usize },
    AtLeast { a: usize, b: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    Holds,
    Unverifiable,
    Broken,
}

#[derive(Clone, Debug)]
enum Slot {
    Blank,
    Val(CellValue, i128),
}

impl Slot {
    fn micro(&self) -> Option<i128> {
        match self {
            Slot::Blank => None,
            Slot::Val(_, m) => Some(*m),
        }
    }
}

/// The row's valid constraints, indexed by the column at which each can be checked.
struct Constraints {
    list: Vec<Constraint>,
    /// Per column: constraints whose last column it is.
    complete_at: Vec<Vec<usize>>,
    /// Per column: sums of non-negative parts whose total is already placed while parts remain.
    partial_at: Vec<Vec<usize>>,
    /// Per column: a blank here leaves some constraint unverifiable.
    guarded: Vec<bool>,
    /// Per column: the sums it is a part of (once per occurrence), for running part sums.
    part_of: Vec<Vec<usize>>,
}

impl Constraints {
    fn build(spec: &RowSpec) -> Constraints {
        let n = spec.kinds.len();
        let mut list = Vec::new();
        for id in &spec.identities {
            if id.total < n && !id.parts.is_empty() && id.parts.iter().all(|&p| p < n) {
                list.push(Constraint::Sum {
                    parts: id.parts.clone(),
                    total: id.total,
                });
            }
        }
        for &(a, b) in &spec.at_least {
            if a < n && b < n {
                list.push(Constraint::AtLeast { a, b });
            }
        }
        let mut complete_at = vec![Vec::new(); n];
        let mut partial_at = vec![Vec::new(); n];
        let mut guarded = vec![false; n];
        let mut part_of = vec![Vec::new(); n];
        for (i, c) in list.iter().enumerate() {
            match c {
                Constraint::Sum { parts, total } => {
                    for &p in parts {
                        part_of[p].push(i);
                    }
                    let last = parts
                        .iter()
                        .copied()
                        .chain([*total])
                        .max()
                        .unwrap_or(*total);
                    complete_at[last].push(i);
                    guarded[*total] = true;
                    let monotone = parts
                        .iter()
                        .all(|&p| matches!(spec.kinds[p], CellKind::Count | CellKind::Amount));
                    if monotone {
                        for slot in partial_at.iter_mut().take(last).skip(*total) {
                            slot.push(i);
                        }
                    }
                }
                Constraint::AtLeast { a, b } => {
                    complete_at[(*a).max(*b)].push(i);
                    guarded[*a] = true;
                    guarded[*b] = true;
                }
            }
        }
        Constraints {
            list,
            complete_at,
            partial_at,
            guarded,
            part_of,
        }
    }

    /// `sums[i]`: the parts of sum `i` placed so far (blanks as 0).
    fn eval(&self, i: usize, slots: &[Slot], sums: &[i128]) -> Check {
        match &self.list[i] {
            Constraint::Sum { total, .. } => {
                let Some(t) = slots[*total].micro() else {
                    return Check::Unverifiable;
                };
                if sums[i] == t {
                    Check::Holds
                } else {
                    Check::Broken
                }
            }
            Constraint::AtLeast { a, b } => match (slots[*a].micro(), slots[*b].micro()) {
                (Some(x), Some(y)) if x >= y => Check::Holds,
                (Some(_), Some(_)) => Check::Broken,
                _ => Check::Unverifiable,
            },
        }
    }

    /// With `slots` filled up to column `c`: the parts placed so far do not already exceed the
    /// total (only for sums whose parts cannot be negative).
    fn partial_ok(&self, c: usize, slots: &[Slot], sums: &[i128]) -> bool {
        self.partial_at[c].iter().all(|&i| match &self.list[i] {
            Constraint::Sum { total, .. } => slots[*total].micro().is_none_or(|t| sums[i] <= t),
            Constraint::AtLeast { .. } => true,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Search

#[derive(Clone, Copy, Debug, Default)]
struct Path {
    blanks: usize,
    /// Blanks the text does not mark.
    inserted: usize,
    /// nbsp lines read as spacers rather than blank cells.
    dropped: usize,
    written: usize,
    splits: usize,
    /// Pieces taken so far from the token being cut.
    pieces: usize,
    violations: usize,
    unverified: usize,
}

struct Found {
    slots: Vec<Slot>,
    path: Path,
}

struct Search<'a> {
    lex: &'a [Lexeme],
    kinds: &'a [CellKind],
    cons: &'a Constraints,
    /// Phase one: every constraint must hold with its cells present.
    strict: bool,
    // Suffix tables over tokens t..: digits, firm blanks, soft blanks, fewest cells.
    digits_from: Vec<usize>,
    firm_from: Vec<usize>,
    soft_from: Vec<usize>,
    min_cells_from: Vec<usize>,
    slots: Vec<Slot>,
    /// Running part sums, one per constraint (see `Constraints::eval`).
    sums: Vec<i128>,
    nodes: usize,
    truncated: bool,
    best: Option<(usize, usize)>,
    found: Vec<Found>,
    seen: HashSet<Vec<Option<(usize, usize)>>>,
}

fn cells_for(digits: usize) -> usize {
    digits.div_ceil(MAX_CELL_DIGITS)
}

impl<'a> Search<'a> {
    fn new(
        lex: &'a [Lexeme],
        kinds: &'a [CellKind],
        cons: &'a Constraints,
        strict: bool,
    ) -> Search<'a> {
        let m = lex.len();
        let mut digits_from = vec![0; m + 1];
        let mut firm_from = vec![0; m + 1];
        let mut soft_from = vec![0; m + 1];
        let mut min_cells_from = vec![0; m + 1];
        for t in (0..m).rev() {
            let l = &lex[t];
            let (d, f, s) = match l.token.kind {
                TokenKind::Number => (l.digits.len(), 0, 0),
                TokenKind::Blank => (0, 1, 0),
                TokenKind::LineBlank => (0, 0, 1),
            };
            digits_from[t] = digits_from[t + 1] + d;
            firm_from[t] = firm_from[t + 1] + f;
            soft_from[t] = soft_from[t + 1] + s;
            min_cells_from[t] = min_cells_from[t + 1] + f + cells_for(d);
        }
        Search {
            lex,
            kinds,
            cons,
            strict,
            digits_from,
            firm_from,
            soft_from,
            min_cells_from,
            slots: Vec::with_capacity(kinds.len()),
            sums: vec![0; cons.list.len()],
            nodes: 0,
            truncated: false,
            best: None,
            found: Vec::new(),
            seen: HashSet::default(),
        }
    }

    fn run(&mut self) {
        self.go(0, 0, 0, Path::default());
    }

    /// Column `c` is next; token `t` is current, its first `k` digits already used.
    fn go(&mut self, c: usize, t: usize, k: usize, p: Path) {
        if self.truncated {
            return;
        }
        self.nodes += 1;
        if self.nodes > NODE_CAP {
            self.truncated = true;
            return;
        }
        let n = self.kinds.len();
        let lex = self.lex;
        let m = lex.len();
        if c == n {
            // Only spacer lines may be left over.
            if self.soft_from[t] == m - t {
                let mut q = p;
                q.dropped += m - t;
                self.accept(q);
            }
            return;
        }
        let rem = n - c;
        let cur_len = lex.get(t).map_or(0, |l| l.digits.len());
        let digits = self.digits_from[t] - k;
        let min_cells = self.min_cells_from[t] - cells_for(cur_len) + cells_for(cur_len - k);
        if min_cells > rem {
            return;
        }
        let (firm, soft) = (self.firm_from[t], self.soft_from[t]);
        let blanks_lb = p.blanks + firm.max(rem.saturating_sub(digits));
        let assumed_lb = p.inserted + p.dropped + rem.saturating_sub(digits + firm + soft);
        if self.best.is_some_and(|b| (assumed_lb, blanks_lb) > b) {
            return;
        }
        if let Some(l) = lex.get(t) {
            match l.token.kind {
                TokenKind::Number => {
                    let max_len = (l.digits.len() - k).min(MAX_CELL_DIGITS);
                    for len in 1..=max_len {
                        if len > 1 && l.digits[k].1 == 0 {
                            break;
                        }
                        let Some(cell) = make_cell(l, k, len, self.kinds[c]) else {
                            continue;
                        };
                        let micro = micro_of(&cell.value);
                        let mut q = p;
                        q.pieces += 1;
                        if q.pieces == 2 {
                            q.splits += 1;
                        }
                        let (nt, nk) = if k + len == l.digits.len() {
                            q.pieces = 0;
                            (t + 1, 0)
                        } else {
                            (t, k + len)
                        };
                        self.place(c, Slot::Val(cell, micro), q, nt, nk);
                    }
                }
                TokenKind::Blank | TokenKind::LineBlank => {
                    let mut q = p;
                    q.blanks += 1;
                    q.written += 1;
                    self.place(c, Slot::Blank, q, t + 1, 0);
                    if l.token.kind == TokenKind::LineBlank {
                        // The line may be a spacer rather than a cell.
                        let mut q = p;
                        q.dropped += 1;
                        self.go(c, t + 1, 0, q);
                    }
                }
            }
        }
        // An assumed blank. Written blanks are consumed first, so each placement is built once.
        if lex.get(t).is_none_or(|l| l.token.kind == TokenKind::Number) {
            let mut q = p;
            q.blanks += 1;
            q.inserted += 1;
            self.place(c, Slot::Blank, q, t, k);
        }
    }

    fn place(&mut self, c: usize, slot: Slot, mut q: Path, t: usize, k: usize) {
        if self.strict && matches!(slot, Slot::Blank) && self.cons.guarded[c] {
            return;
        }
        let m = slot.micro().unwrap_or(0);
        self.slots.push(slot);
        for &i in &self.cons.part_of[c] {
            self.sums[i] += m;
        }
        let mut ok = true;
        for &i in &self.cons.complete_at[c] {
            match self.cons.eval(i, &self.slots, &self.sums) {
                Check::Holds => {}
                Check::Unverifiable => {
                    q.unverified += 1;
                    ok &= !self.strict;
                }
                Check::Broken => {
                    q.violations += 1;
                    ok &= !self.strict;
                }
            }
        }
        if ok && self.strict {
            ok = self.cons.partial_ok(c, &self.slots, &self.sums);
        }
        if ok {
            self.go(c + 1, t, k, q);
        }
        for &i in &self.cons.part_of[c] {
            self.sums[i] -= m;
        }
        self.slots.pop();
    }

    fn accept(&mut self, p: Path) {
        let key = (p.inserted + p.dropped, p.blanks);
        match self.best {
            Some(b) if key > b => return,
            Some(b) if key == b => {}
            _ => {
                self.best = Some(key);
                self.found.clear();
                self.seen.clear();
            }
        }
        let sig: Vec<Option<(usize, usize)>> = self
            .slots
            .iter()
            .map(|s| match s {
                Slot::Blank => None,
                Slot::Val(c, _) => Some((c.start, c.end)),
            })
            .collect();
        if !self.seen.insert(sig) {
            return;
        }
        if self.found.len() >= READING_CAP {
            self.truncated = true;
            return;
        }
        self.found.push(Found {
            slots: self.slots.clone(),
            path: p,
        });
    }

    fn readings(self) -> Vec<Reading> {
        self.found
            .into_iter()
            .map(|f| Reading {
                cells: f
                    .slots
                    .into_iter()
                    .map(|s| match s {
                        Slot::Blank => None,
                        Slot::Val(c, _) => Some(c),
                    })
                    .collect(),
                blanks: f.path.blanks,
                written_blanks: f.path.written,
                splits: f.path.splits,
                violations: f.path.violations,
                unverified: f.path.unverified,
                hints_matched: 0,
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Rows

/// Every reading of one row's region that the row's constraints allow. See the module docs.
pub fn read_row(region: &str, spec: &RowSpec) -> RowResult {
    let kinds = spec.kinds.as_slice();
    let cons = Constraints::build(spec);
    let hints: Vec<(usize, i64)> = spec
        .hints
        .iter()
        .copied()
        .filter(|&(c, _)| c < kinds.len())
        .collect();

    let too_long = region.len() > MAX_REGION_BYTES;
    let scanned = if too_long {
        prefix(region, MAX_REGION_BYTES)
    } else {
        region
    };
    let (lex, too_many) = lex(scanned, kinds, MAX_TOKENS + 1);
    if too_long || too_many || lex.len() > MAX_TOKENS {
        // Not one row's cells: show the first cells as written, claim nothing.
        let mut r = fallback(&lex, kinds, &hints);
        r.truncated = true;
        r.overflow = false;
        r.settled = Settled::NotSettled;
        return r;
    }

    let mut strict = Search::new(&lex, kinds, &cons, true);
    strict.run();
    let strict_truncated = strict.truncated;
    if !strict.found.is_empty() {
        let all = with_hints(strict.readings(), &hints);
        return finish(all, hints.len(), strict_truncated, true, false);
    }
    if cons.list.is_empty() && !strict_truncated {
        // Without constraints the strict search is the whole search: nothing fits at all.
        return fallback(&lex, kinds, &hints);
    }

    let mut loose = Search::new(&lex, kinds, &cons, false);
    loose.run();
    let truncated = strict_truncated || loose.truncated;
    if loose.found.is_empty() {
        let mut r = fallback(&lex, kinds, &hints);
        r.truncated = truncated;
        if truncated {
            r.settled = Settled::NotSettled;
        }
        return r;
    }
    let mut all = with_hints(loose.readings(), &hints);
    if all.iter().any(|r| r.violations == 0) {
        // Nothing contradicts these; a blank total only leaves them unchecked.
        all.retain(|r| r.violations == 0);
        return finish(all, hints.len(), truncated, true, true);
    }
    all.sort_by_key(|r| (r.violations, std::cmp::Reverse(r.hints_matched)));
    let explicit_blanks = all.iter().map(|r| r.written_blanks).max().unwrap_or(0);
    RowResult {
        readings: all,
        satisfied: false,
        unverified: false,
        // A cut-short strict search proves nothing about satisfiability.
        settled: if strict_truncated {
            Settled::NotSettled
        } else {
            Settled::NoneSatisfy
        },
        truncated,
        overflow: false,
        explicit_blanks,
        set_aside: Vec::new(),
        hint_count: hints.len(),
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn hint_agrees(cell: Option<&CellValue>, want: i64) -> bool {
    match cell.map(|c| &c.value) {
        Some(Value::Int(i)) => *i == want,
        Some(v) => v.as_f64().is_some_and(|x| x == want as f64),
        None => false,
    }
}

fn with_hints(mut readings: Vec<Reading>, hints: &[(usize, i64)]) -> Vec<Reading> {
    for r in &mut readings {
        r.hints_matched = hints
            .iter()
            .filter(|&&(c, v)| hint_agrees(r.cells.get(c).and_then(|x| x.as_ref()), v))
            .count();
    }
    readings
}

/// Splits the readings that satisfy the constraints into kept and set aside, and names how the
/// row was settled.
fn settle(
    mut all: Vec<Reading>,
    hint_count: usize,
    truncated: bool,
) -> (Vec<Reading>, Vec<Reading>, Settled) {
    if all.len() == 1 && !truncated {
        return (all, Vec::new(), Settled::Unique);
    }
    if hint_count > 0 && !truncated {
        let full: Vec<usize> = (0..all.len())
            .filter(|&i| all[i].hints_matched == hint_count)
            .collect();
        if let [only] = full[..] {
            let chosen = all.remove(only);
            return (vec![chosen], all, Settled::ByHint);
        }
    }
    all.sort_by_key(|r| std::cmp::Reverse(r.hints_matched));
    (all, Vec::new(), Settled::NotSettled)
}

fn finish(
    all: Vec<Reading>,
    hint_count: usize,
    truncated: bool,
    satisfied: bool,
    unverified: bool,
) -> RowResult {
    let (readings, set_aside, settled) = settle(all, hint_count, truncated);
    let explicit_blanks = readings.iter().map(|r| r.written_blanks).max().unwrap_or(0);
    RowResult {
        readings,
        satisfied,
        unverified,
        settled,
        truncated,
        overflow: false,
        explicit_blanks,
        set_aside,
        hint_count,
    }
}

/// No split fits: the first cells as written, one per token, and a result that claims nothing.
fn fallback(lex: &[Lexeme], kinds: &[CellKind], hints: &[(usize, i64)]) -> RowResult {
    let mut cells = Vec::with_capacity(kinds.len());
    let mut written = 0;
    let mut tokens = lex.iter().filter(|l| l.token.kind != TokenKind::LineBlank);
    for &kind in kinds {
        let cell = match tokens.next() {
            Some(l) if l.token.kind == TokenKind::Number => make_cell(l, 0, l.digits.len(), kind),
            Some(_) => {
                written += 1;
                None
            }
            None => None,
        };
        cells.push(cell);
    }
    let blanks = cells.iter().filter(|c| c.is_none()).count();
    let reading = Reading {
        cells,
        blanks,
        written_blanks: written,
        splits: 0,
        violations: 0,
        unverified: 0,
        hints_matched: 0,
    };
    RowResult {
        readings: with_hints(vec![reading], hints),
        satisfied: false,
        unverified: false,
        settled: Settled::NoneSatisfy,
        truncated: false,
        overflow: true,
        explicit_blanks: written,
        set_aside: Vec::new(),
        hint_count: hints.len(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tables

/// Between rows of one table: the sum of the `lhs` rows equals the sum of the `rhs` rows in each
/// of `columns` (table 三 balance: new + carried == total + carry_next).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableIdentity {
    pub lhs: Vec<usize>,
    pub rhs: Vec<usize>,
    pub columns: Vec<usize>,
}

/// What [`resolve_table`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableResolution {
    /// Identities applied.
    pub applied: Vec<usize>,
    /// Identities left out: a row index out of range, a row that is unreadable, unsatisfied or
    /// truncated (its candidates cannot be trusted), or a column the rows do not have.
    pub skipped: Vec<usize>,
    /// Some choice of one reading per row satisfies every applied identity.
    pub consistent: bool,
    /// The joint search ran to the end. When false only per-identity narrowing was applied: no
    /// reading was dropped wrongly, but some kept ones may take part in no joint assignment.
    pub exact: bool,
    /// Readings removed across all rows.
    pub dropped: usize,
}

/// A table identity as signed terms: the sum of `coef * row` over `terms` is 0 in every column.
#[derive(Clone, Debug)]
pub(super) struct Equation {
    pub terms: Vec<(usize, i128)>,
    pub columns: Vec<usize>,
}

/// Per involved row, per candidate reading, per column: the value in millionths (blank = 0).
pub(super) type Values = Vec<Vec<Vec<i128>>>;

/// Narrows rows jointly: drops every reading that takes part in no assignment (one reading per
/// row) satisfying all applied identities, column by column. Blank cells count as 0. Readings a
/// hint had set aside take part too (arithmetic first, narrative second) and the hint is applied
/// again afterwards. If no assignment is consistent the rows keep their readings and the rows of
/// the failing identities are marked `satisfied = false` (their `settled` is left as it was).
pub fn resolve_table(rows: &mut [RowResult], identities: &[TableIdentity]) -> TableResolution {
    let mut res = TableResolution {
        consistent: true,
        exact: true,
        ..TableResolution::default()
    };
    let usable =
        |r: &RowResult| r.satisfied && !r.truncated && !r.overflow && !r.readings.is_empty();
    let width = |r: &RowResult| r.readings.iter().map(|x| x.cells.len()).min().unwrap_or(0);

    let mut eqs: Vec<Equation> = Vec::new();
    for (i, id) in identities.iter().enumerate() {
        let rows_ok = id.lhs.iter().chain(&id.rhs).all(|&r| {
            r < rows.len() && usable(&rows[r]) && id.columns.iter().all(|&c| c < width(&rows[r]))
        });
        if !rows_ok || id.columns.is_empty() || (id.lhs.is_empty() && id.rhs.is_empty()) {
            res.skipped.push(i);
            continue;
        }
        let mut terms: Vec<(usize, i128)> = Vec::new();
        for (&r, k) in id
            .lhs
            .iter()
            .map(|r| (r, 1))
            .chain(id.rhs.iter().map(|r| (r, -1)))
        {
            match terms.iter_mut().find(|(x, _)| *x == r) {
                Some(t) => t.1 += k,
                None => terms.push((r, k)),
            }
        }
        // A row on both sides cancels out of the equation; an empty equation always holds.
        terms.retain(|&(_, k)| k != 0);
        res.applied.push(i);
        if !terms.is_empty() {
            eqs.push(Equation {
                terms,
                columns: id.columns.clone(),
            });
        }
    }
    if eqs.is_empty() {
        return res;
    }

    // Every candidate of every involved row: kept readings, then those a hint set aside.
    let mut involved: Vec<usize> = eqs
        .iter()
        .flat_map(|e| e.terms.iter().map(|&(r, _)| r))
        .collect();
    involved.sort_unstable();
    involved.dedup();
    let mut values: Values = vec![Vec::new(); rows.len()];
    for &r in &involved {
        values[r] = rows[r]
            .readings
            .iter()
            .chain(&rows[r].set_aside)
            .map(|x| {
                x.cells
                    .iter()
                    .map(|c| c.as_ref().map_or(0, |c| micro_of(&c.value)))
                    .collect()
            })
            .collect();
    }
    let fresh: Vec<Vec<bool>> = values.iter().map(|m| vec![true; m.len()]).collect();

    let mut alive = fresh.clone();
    let mut consistent = narrow(&eqs, &values, &mut alive);
    if consistent {
        match super::joint::joint(&eqs, &involved, &values, &alive) {
            Some(Some(support)) => alive = support,
            Some(None) => consistent = false,
            None => res.exact = false,
        }
    }

    if !consistent {
        res.consistent = false;
        // Blame the identities that fail on their own; if each holds alone, all of them.
        let mut failing: Vec<usize> = Vec::new();
        for e in &eqs {
            let mut a = fresh.clone();
            if !narrow(std::slice::from_ref(e), &values, &mut a) {
                failing.extend(e.terms.iter().map(|&(r, _)| r));
            }
        }
        if failing.is_empty() {
            failing = involved;
        }
        for r in failing {
            rows[r].satisfied = false;
        }
        return res;
    }

    for &r in &involved {
        if alive[r].iter().all(|&a| a) {
            continue;
        }
        let row = &mut rows[r];
        let mut all: Vec<Reading> = std::mem::take(&mut row.readings);
        all.append(&mut row.set_aside);
        let before = all.len();
        let mut keep = alive[r].iter();
        all.retain(|_| keep.next().copied().unwrap_or(false));
        res.dropped += before - all.len();
        let (readings, set_aside, settled) = settle(all, row.hint_count, row.truncated);
        row.explicit_blanks = readings.iter().map(|x| x.written_blanks).max().unwrap_or(0);
        row.readings = readings;
        row.set_aside = set_aside;
        row.settled = settled;
    }
    res
}

/// Per-identity narrowing to a fixpoint: a reading survives an equation column if the other
/// rows' surviving readings can make the column balance. Sound (drops nothing that takes part in
/// a joint assignment) but not complete: one reading fixes every column at once, which this
/// looks at one column at a time. False when some row loses every reading.
fn narrow(eqs: &[Equation], values: &Values, alive: &mut [Vec<bool>]) -> bool {
    loop {
        let mut changed = false;
        for e in eqs {
            for &col in &e.columns {
                for (ti, &(r, k)) in e.terms.iter().enumerate() {
                    // Every sum the other terms can reach in this column.
                    let mut sums: HashSet<i128> = std::iter::once(0).collect();
                    let mut gave_up = false;
                    for (tj, &(r2, k2)) in e.terms.iter().enumerate() {
                        if tj == ti {
                            continue;
                        }
                        let vals: HashSet<i128> = values[r2]
                            .iter()
                            .zip(&alive[r2])
                            .filter(|(_, a)| **a)
                            .map(|(v, _)| v[col] * k2)
                            .collect();
                        let next: HashSet<i128> = sums
                            .iter()
                            .flat_map(|s| vals.iter().map(move |v| s + v))
                            .collect();
                        if next.len() > SUM_SET_CAP {
                            gave_up = true;
                            break;
                        }
                        sums = next;
                    }
                    if gave_up {
                        continue;
                    }
                    for j in 0..values[r].len() {
                        if alive[r][j] && !sums.contains(&(-k * values[r][j][col])) {
                            alive[r][j] = false;
                            changed = true;
                        }
                    }
                    if alive[r].iter().all(|a| !a) {
                        return false;
                    }
                }
            }
        }
        if !changed {
            return true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reading as integers; `None` for a blank (or a non-integer value).
    fn ints(r: &Reading) -> Vec<Option<i64>> {
        r.cells
            .iter()
            .map(|c| c.as_ref().and_then(|c| c.value.as_int()))
            .collect()
    }

    fn all_ints(res: &RowResult) -> Vec<Vec<Option<i64>>> {
        res.readings.iter().map(ints).collect()
    }

    fn full(v: &[i64]) -> Vec<Option<i64>> {
        v.iter().map(|&x| Some(x)).collect()
    }

    fn unique(region: &str, spec: &RowSpec) -> Vec<Option<i64>> {
        let r = read_row(region, spec);
        assert_eq!(r.settled, Settled::Unique, "{region:?}: {:?}", all_ints(&r));
        assert!(r.satisfied && !r.truncated && !r.overflow);
        ints(&r.readings[0])
    }

    /// Table 四: three groups of 结果维持 · 结果纠正 · 其他结果 · 尚未审结 · 总计.
    fn table4() -> RowSpec {
        RowSpec::counts(15)
            .with_identity(vec![0, 1, 2, 3], 4)
            .with_identity(vec![5, 6, 7, 8], 9)
            .with_identity(vec![10, 11, 12, 13], 14)
    }

    // --- tokens -------------------------------------------------------------------------------

    #[test]
    fn tokens_cover_numbers_markers_and_units() {
        let kinds = [CellKind::Count, CellKind::Signed, CellKind::Amount];
        let region = "5 / — －\n-688 +17 22979.87万元 增/减 3件";
        let toks = tokenize(region, &kinds);
        let texts: Vec<(&str, TokenKind)> = toks
            .iter()
            .map(|t| (&region[t.start..t.end], t.kind))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("5", TokenKind::Number),
                ("/", TokenKind::Blank),
                ("—", TokenKind::Blank),
                ("－", TokenKind::Blank),
                ("-688", TokenKind::Number),
                ("+17", TokenKind::Number),
                ("22979.87万元", TokenKind::Number),
                ("3", TokenKind::Number),
            ]
        );
    }

    #[test]
    fn units_are_read_only_when_a_column_holds_amounts() {
        let region = "3802895.90元";
        let counts = tokenize(region, &[CellKind::Decimal]);
        assert_eq!(&region[counts[0].start..counts[0].end], "3802895.90");
        let amounts = tokenize(region, &[CellKind::Amount]);
        assert_eq!(&region[amounts[0].start..amounts[0].end], "3802895.90元");
    }

    #[test]
    fn a_dash_before_a_digit_is_a_sign_and_alone_is_a_blank() {
        let toks = tokenize("- -5 5-", &[CellKind::Signed]);
        let kinds: Vec<TokenKind> = toks.iter().map(|t| t.kind).collect();
        // "5-": the dash touches a digit, so it is neither a blank nor a sign.
        assert_eq!(
            kinds,
            vec![TokenKind::Blank, TokenKind::Number, TokenKind::Number]
        );
    }

    #[test]
    fn nbsp_lines_are_blank_only_in_one_cell_per_line_layout() {
        let per_line = tokenize("\n3\n\n\u{a0}\n\n5\n", &[CellKind::Count]);
        assert_eq!(
            per_line.iter().map(|t| t.kind).collect::<Vec<_>>(),
            vec![TokenKind::Number, TokenKind::LineBlank, TokenKind::Number]
        );
        // Two numbers on one line: not that layout, the nbsp line is just a spacer.
        let glued = tokenize("3 4\n\u{a0}\n5\n", &[CellKind::Count]);
        assert!(glued.iter().all(|t| t.kind == TokenKind::Number));
        // "\u{a0}0" is a zero, not a blank (seed 004 writes zeros that way).
        let zero = tokenize("\n\u{a0}0\n\n\u{a0}0\n", &[CellKind::Count]);
        assert!(zero.iter().all(|t| t.kind == TokenKind::Number));
    }

    // --- glued runs from the pingtan corpus ---------------------------------------------------

    #[test]
    fn glued_rows_with_a_unique_split() {
        let spec = RowSpec::row_total(7);
        // 202202: 本年新收, （七）总计, 上年结转; 202603: 本年新收, 本机关不掌握.
        assert_eq!(unique("640020470", &spec), full(&[64, 0, 0, 2, 0, 4, 70]));
        assert_eq!(unique("630020469", &spec), full(&[63, 0, 0, 2, 0, 4, 69]));
        assert_eq!(unique("0000000", &spec), full(&[0; 7]));
        assert_eq!(
            unique("15130000154", &spec),
            full(&[151, 3, 0, 0, 0, 0, 154])
        );
        assert_eq!(unique("491000050", &spec), full(&[49, 1, 0, 0, 0, 0, 50]));
        assert_eq!(
            unique("４２００００６", &spec),
            full(&[4, 2, 0, 0, 0, 0, 6])
        );
    }

    #[test]
    fn a_space_is_a_boundary_and_the_run_before_it_still_splits() {
        // 202202 （二）部分公开: "500000 5".
        let r = read_row("500000 5", &RowSpec::row_total(7));
        assert_eq!(r.settled, Settled::Unique);
        assert_eq!(ints(&r.readings[0]), full(&[5, 0, 0, 0, 0, 0, 5]));
        assert_eq!(r.readings[0].splits, 1);
        // FORMAT §7 half-spaced digits.
        assert_eq!(
            unique("200 000121", &RowSpec::row_total(7)),
            full(&[20, 0, 0, 0, 0, 1, 21])
        );
    }

    #[test]
    fn item_number_already_cut_by_the_caller_reads_cleanly() {
        // "5.属于三类内部事务信息10000016.属于…": the caller's label starts at "6".
        assert_eq!(
            unique("1000001", &RowSpec::row_total(7)),
            full(&[1, 0, 0, 0, 0, 0, 1])
        );
    }

    #[test]
    fn cells_carry_their_byte_ranges() {
        let r = read_row("640020470", &RowSpec::row_total(7));
        let c = &r.readings[0].cells;
        let ranges: Vec<(usize, usize)> = c
            .iter()
            .map(|c| c.as_ref().map_or((0, 0), |c| (c.start, c.end)))
            .collect();
        assert_eq!(
            ranges,
            vec![(0, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 9)]
        );
        // Full-width digits are three bytes each.
        let r = read_row("６４００２０４７０", &RowSpec::row_total(7));
        let last = r.readings[0].cells[6].as_ref().map(|c| (c.start, c.end));
        assert_eq!(last, Some((21, 27)));
    }

    #[test]
    fn a_row_total_tie_stays_ambiguous_with_its_candidates() {
        // 202202 （一）予以公开 and （四）1: two splits each satisfy the row total; only the
        // table's result sum tells them apart (see resolve_table_settles_the_real_2022_table).
        let r = read_row("270020130", &RowSpec::row_total(7));
        assert!(r.satisfied);
        assert_eq!(r.settled, Settled::NotSettled);
        assert_eq!(
            all_ints(&r),
            vec![
                full(&[2, 7, 0, 0, 20, 1, 30]),
                full(&[27, 0, 0, 2, 0, 1, 30])
            ]
        );
        assert_eq!(
            r.candidates(0),
            vec![Some(Value::Int(2)), Some(Value::Int(27))]
        );
        assert_eq!(r.agreed(6), Some(Some(Value::Int(30))));
        assert_eq!(r.agreed(5), Some(Some(Value::Int(1))));
        assert_eq!(r.agreed(0), None);

        let r = read_row("220000325", &RowSpec::row_total(7));
        assert_eq!(
            all_ints(&r),
            vec![
                full(&[2, 20, 0, 0, 0, 3, 25]),
                full(&[22, 0, 0, 0, 0, 3, 25])
            ]
        );
    }

    #[test]
    fn no_satisfying_split_is_reported_with_the_split_as_written() {
        // Preferring "satisfied" must not invent a blank total: 50|0|0|0|0|6|(blank) would break
        // nothing but needs a dropped cell; the digits read as written break the row total.
        let r = read_row("5000006", &RowSpec::row_total(7));
        assert!(!r.satisfied);
        assert_eq!(r.settled, Settled::NoneSatisfy);
        assert_eq!(all_ints(&r), vec![full(&[5, 0, 0, 0, 0, 0, 6])]);
        assert_eq!(r.readings[0].violations, 1);
        assert_eq!(r.agreed(0), None);
    }

    // --- table 四 ---------------------------------------------------------------------------

    #[test]
    fn table4_collapsed_2022_has_one_reading() {
        // 202202: "…尚未审结总计10203120001200000"; 17 digits, 15 cells.
        let r = read_row("10203120001200000", &table4());
        assert_eq!(r.settled, Settled::Unique);
        assert_eq!(
            ints(&r.readings[0]),
            full(&[1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0])
        );
    }

    #[test]
    fn table4_collapsed_2026_matches_the_narrative() {
        // 202603: "25380363300630003"; the narrative says 行政复议36起，行政诉讼9起 (6 + 3).
        let got = unique("25380363300630003", &table4());
        assert_eq!(got, full(&[25, 3, 8, 0, 36, 3, 3, 0, 0, 6, 3, 0, 0, 0, 3]));
    }

    #[test]
    fn table4_spaced_2023() {
        let got = unique("0 1 1 0 2 1 0 0 0 1 0 0 0 0 0 ", &table4());
        assert_eq!(got, full(&[0, 1, 1, 0, 2, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]));
    }

    // --- one cell per line (seed 004) ---------------------------------------------------------

    #[test]
    fn dropped_cells_leave_every_satisfying_placement() {
        for region in [
            "\n5\n\n 0\n\n 0\n\n 0\n\n5\n",
            "\n5\n\n\u{a0}0\n\n\u{a0}0\n\n\u{a0}0\n\n5\n",
        ] {
            let r = read_row(region, &RowSpec::row_total(7));
            assert!(r.satisfied && !r.unverified);
            assert_eq!(r.settled, Settled::NotSettled);
            // The total is the last 5 in every reading; the two blanks go anywhere among the
            // six applicant columns: C(6, 2) placements.
            assert_eq!(r.readings.len(), 15);
            assert!(
                r.readings
                    .iter()
                    .all(|x| x.blanks == 2 && x.written_blanks == 0 && x.splits == 0)
            );
            assert_eq!(r.agreed(6), Some(Some(Value::Int(5))));
            assert_eq!(r.candidates(0), vec![Some(Value::Int(5)), None]);
            assert_eq!(r.agreed(0), None);
        }
    }

    #[test]
    fn all_zero_row_with_dropped_cells_has_an_exact_zero_total() {
        // Seed 004 二、上年结转: three "\u{a0}0" cells for seven columns.
        let r = read_row(
            "\n\u{a0}0\n\n\u{a0}0\n\n\u{a0}0\n\n",
            &RowSpec::row_total(7),
        );
        assert!(r.satisfied);
        assert_eq!(r.agreed(6), Some(Some(Value::Int(0))));
        assert_eq!(r.candidates(0), vec![Some(Value::Int(0)), None]);
    }

    #[test]
    fn table2_signed_rows_one_cell_per_line() {
        let spec = RowSpec::new(vec![CellKind::Count, CellKind::Signed, CellKind::Count]);
        assert_eq!(
            unique("\n\n5059\n\n-688\n\n89312\n\n", &spec),
            full(&[5059, -688, 89312])
        );
        assert_eq!(
            unique("\n\n256\n\n+17\n\n41071\n\n", &spec),
            full(&[256, 17, 41071])
        );
        // A sign in a count column fits nowhere: unreadable, not silently unsigned.
        let r = read_row("-688", &RowSpec::counts(1));
        assert!(r.overflow && !r.satisfied);
        // The signed cell's range starts at its sign.
        let r = read_row("\n5059\n\n-688\n\n89312\n", &spec);
        let c = r.readings[0].cells[1].as_ref().map(|c| (c.start, c.end));
        assert_eq!(c, Some((7, 11)));
    }

    #[test]
    fn amount_with_unit_and_trailing_nbsp_spacer() {
        // Seed 004 政府集中采购: "1789", "22979.87万元", then an nbsp-only spacer line.
        let spec = RowSpec::new(vec![CellKind::Count, CellKind::Amount]);
        let r = read_row("\n\n1789\n\n22979.87万元\n\n\u{a0}\n\n", &spec);
        assert_eq!(r.settled, Settled::Unique);
        let cells = &r.readings[0].cells;
        assert_eq!(
            cells[0].as_ref().map(|c| c.value.clone()),
            Some(Value::Int(1789))
        );
        assert_eq!(
            cells[1].as_ref().map(|c| c.value.clone()),
            Some(Value::Amount {
                value: 22979.87,
                unit: "万元".to_string()
            })
        );
        assert_eq!(r.explicit_blanks, 0);
    }

    #[test]
    fn nbsp_line_inside_the_row_is_a_written_blank() {
        let spec = RowSpec::new(vec![CellKind::Count, CellKind::Amount]);
        let r = read_row("\n\n\u{a0}\n\n22979.87万元\n\n", &spec);
        // Placing the marked blank beats assuming one elsewhere.
        assert_eq!(r.settled, Settled::Unique);
        assert!(r.readings[0].cells[0].is_none());
        assert_eq!(r.readings[0].written_blanks, 1);
        assert_eq!(r.explicit_blanks, 1);
    }

    #[test]
    fn adjacent_nbsp_lines_give_one_reading_not_two() {
        // Either line may be the blank cell and the other the spacer: the same reading.
        let r = read_row("\n\u{a0}\n\n\u{a0}\n\n5\n", &RowSpec::counts(2));
        assert_eq!(r.settled, Settled::Unique);
        assert_eq!(ints(&r.readings[0]), vec![None, Some(5)]);
    }

    #[test]
    fn glued_amount_keeps_every_cut_as_a_candidate() {
        // 202001 政府集中采购: "13575394432.52元" (采购项目数量 glued to 采购总金额).
        let spec = RowSpec::new(vec![CellKind::Count, CellKind::Amount]);
        let r = read_row("13575394432.52元", &spec);
        assert_eq!(r.settled, Settled::NotSettled);
        assert_eq!(r.readings.len(), 10);
        assert!(r.candidates(0).contains(&Some(Value::Int(1357))));
        assert!(r.candidates(1).contains(&Some(Value::Amount {
            value: 5394432.52,
            unit: "元".into()
        })));
    }

    #[test]
    fn decimals() {
        // 202202 / 202603 行政事业性收费 (本年收费金额，单位：万元).
        let r = read_row("24252.311082", &RowSpec::new(vec![CellKind::Decimal]));
        assert_eq!(r.settled, Settled::Unique);
        assert_eq!(
            r.readings[0].cells[0].as_ref().map(|c| c.value.clone()),
            Some(Value::Dec(24252.311082))
        );
        let r = read_row("0", &RowSpec::new(vec![CellKind::Decimal]));
        assert_eq!(
            r.readings[0].cells[0].as_ref().map(|c| c.value.clone()),
            Some(Value::Dec(0.0))
        );
        // A decimal point in a count row is not a cell boundary.
        let r = read_row("3.5", &RowSpec::counts(2));
        assert!(r.overflow && !r.satisfied);
    }

    #[test]
    fn decimal_identity_compares_exactly() {
        let spec = RowSpec::new(vec![CellKind::Decimal; 3]).with_identity(vec![0, 1], 2);
        assert_eq!(read_row("0.1 0.2 0.3", &spec).settled, Settled::Unique);
        assert!(!read_row("0.1 0.2 0.4", &spec).satisfied);
    }

    // --- blanks -------------------------------------------------------------------------------

    #[test]
    fn explicit_blanks_are_cells_not_zeros() {
        let r = read_row("5 / 0 0 0 — 5", &RowSpec::row_total(7));
        assert_eq!(r.settled, Settled::Unique);
        assert_eq!(
            ints(&r.readings[0]),
            vec![Some(5), None, Some(0), Some(0), Some(0), None, Some(5)]
        );
        assert_eq!(r.explicit_blanks, 2);
        assert_eq!(r.readings[0].written_blanks, 2);
        for marker in ["-", "－", "／", "——"] {
            let r = read_row(&format!("3 {marker} 3"), &RowSpec::row_total(3));
            assert_eq!(
                ints(&r.readings[0]),
                vec![Some(3), None, Some(3)],
                "{marker}"
            );
            assert_eq!(r.explicit_blanks, 1);
        }
    }

    #[test]
    fn blank_total_is_unverified_not_satisfied() {
        let r = read_row("5 0 0 0 0 0 —", &RowSpec::row_total(7));
        assert!(r.satisfied);
        assert!(r.unverified);
        assert_eq!(r.readings[0].unverified, 1);
        assert_eq!(
            ints(&r.readings[0]),
            vec![Some(5), Some(0), Some(0), Some(0), Some(0), Some(0), None]
        );
    }

    #[test]
    fn pipe_rows_with_units_and_empty_cells() {
        // Seed 001: "条 |\n2848 |" and an empty 统计数 cell.
        assert_eq!(
            unique(" |\n条 |\n2848 |\n", &RowSpec::counts(1)),
            full(&[2848])
        );
        let r = read_row(" |\n次 |\n|\n", &RowSpec::counts(1));
        assert_eq!(r.settled, Settled::Unique);
        assert_eq!(ints(&r.readings[0]), vec![None]);
        assert_eq!(r.readings[0].written_blanks, 0);
    }

    #[test]
    fn more_cells_than_columns_is_overflow() {
        let r = read_row("5 0 0 0 0 0 0 5", &RowSpec::row_total(7));
        assert!(r.overflow && !r.satisfied);
        assert_eq!(r.settled, Settled::NoneSatisfy);
        assert_eq!(ints(&r.readings[0]), full(&[5, 0, 0, 0, 0, 0, 0]));
        assert_eq!(r.agreed(0), None);
    }

    // --- preference order ---------------------------------------------------------------------

    #[test]
    fn fewer_blanks_win_among_satisfying_readings() {
        // With nothing else to go on, cutting a run beats assuming a dropped cell.
        let r = read_row("12", &RowSpec::counts(2));
        assert_eq!(all_ints(&r), vec![full(&[1, 2])]);
        // "20 0 0 0 0 20": only readings with one dropped applicant cell satisfy the total
        // (2|0 would break it); the blank may be any of the six applicant columns.
        let r = read_row("20 0 0 0 0 20", &RowSpec::row_total(7));
        assert_eq!(r.readings.len(), 6);
        assert!(r.readings.iter().all(|x| x.blanks == 1));
        assert_eq!(r.agreed(6), Some(Some(Value::Int(20))));
        // "2 1 0 0 0 14": cutting 14 into 1|4 satisfies the total; a dropped cell would not.
        assert_eq!(
            unique("2 1 0 0 0 14", &RowSpec::row_total(7)),
            full(&[2, 1, 0, 0, 0, 1, 4])
        );
    }

    #[test]
    fn at_least_narrows_and_can_fail() {
        // Fujian 本年度 | 历年累计.
        let spec = RowSpec::counts(2).with_at_least(1, 0);
        let r = read_row("1220", &spec);
        assert_eq!(all_ints(&r), vec![full(&[1, 220]), full(&[12, 20])]);
        let r = read_row("3012", &spec);
        assert!(!r.satisfied);
        assert_eq!(r.settled, Settled::NoneSatisfy);
        assert_eq!(all_ints(&r), vec![full(&[30, 12]), full(&[301, 2])]);
    }

    #[test]
    fn hints_settle_a_tie_and_say_so() {
        let plain = read_row("20263542", &RowSpec::counts(2));
        assert_eq!(plain.settled, Settled::NotSettled);
        assert_eq!(plain.readings.len(), 6);

        let r = read_row("20263542", &RowSpec::counts(2).with_hint(0, 2026));
        assert_eq!(r.settled, Settled::ByHint);
        assert_eq!(all_ints(&r), vec![full(&[2026, 3542])]);
        assert_eq!(r.set_aside.len(), 5);

        // A hint nothing agrees with settles nothing.
        let r = read_row("20263542", &RowSpec::counts(2).with_hint(0, 7));
        assert_eq!(r.settled, Settled::NotSettled);
        assert_eq!(r.readings.len(), 6);
        // Hints never override arithmetic: a unique reading stays Unique even if a hint disagrees.
        let r = read_row("640020470", &RowSpec::row_total(7).with_hint(6, 71));
        assert_eq!(r.settled, Settled::Unique);
        assert_eq!(r.readings[0].hints_matched, 0);
    }

    // --- caps -----------------------------------------------------------------------------------

    #[test]
    fn long_runs_are_bounded() {
        let run = "7".repeat(200);
        // Too many digits for seven cells of at most 18 digits: known at once.
        let r = read_row(&run, &RowSpec::row_total(7));
        assert!(r.overflow && !r.truncated);
        // Plenty of room: more readings than the cap.
        let r = read_row(&run, &RowSpec::counts(150));
        assert!(r.truncated);
        assert_eq!(r.readings.len(), READING_CAP);
        assert_ne!(r.settled, Settled::Unique);
        // An identity that no early check can prune: the node cap ends it.
        let spec = RowSpec::counts(150).with_identity((0..149).collect(), 149);
        let r = read_row(&run, &spec);
        assert!(r.truncated);
        assert_ne!(r.settled, Settled::Unique);
        assert_ne!(r.settled, Settled::NoneSatisfy);
    }

    #[test]
    fn huge_regions_are_refused() {
        let spaced = "1 ".repeat(500_000);
        let r = read_row(&spaced, &RowSpec::row_total(7));
        assert!(r.truncated && !r.satisfied);
        assert_eq!(r.settled, Settled::NotSettled);
        let digits = "1".repeat(1 << 20);
        let r = read_row(&digits, &RowSpec::row_total(7));
        assert!(r.truncated && !r.satisfied);
        let many = "1 ".repeat(MAX_TOKENS + 1);
        assert!(read_row(&many, &RowSpec::counts(80)).truncated);
        let enough = "1 ".repeat(MAX_TOKENS);
        assert!(!read_row(&enough, &RowSpec::counts(MAX_TOKENS)).truncated);
    }

    #[test]
    fn odd_specs_do_not_panic() {
        assert_eq!(read_row("", &RowSpec::counts(0)).settled, Settled::Unique);
        assert!(read_row("5", &RowSpec::counts(0)).overflow);
        let bad = RowSpec::counts(2)
            .with_identity(vec![0, 5], 1)
            .with_at_least(9, 0)
            .with_hint(4, 1);
        assert!(bad.validate().is_err());
        assert!(RowSpec::row_total(7).validate().is_ok());
        // Constraints naming missing columns are ignored, not fatal.
        let r = read_row("12", &bad);
        assert_eq!(r.hint_count, 0);
        assert_eq!(all_ints(&r), vec![full(&[1, 2])]);
    }

    // --- tables ---------------------------------------------------------------------------------

    fn t3_identities(
        new: usize,
        carried: usize,
        results: std::ops::RangeInclusive<usize>,
        total: usize,
        carry: usize,
    ) -> Vec<TableIdentity> {
        let cols: Vec<usize> = (0..7).collect();
        vec![
            TableIdentity {
                lhs: vec![new, carried],
                rhs: vec![total, carry],
                columns: cols.clone(),
            },
            TableIdentity {
                lhs: vec![total],
                rhs: results.collect(),
                columns: cols,
            },
        ]
    }

    #[test]
    fn resolve_table_breaks_a_row_tie_with_the_balance() {
        let spec = RowSpec::row_total(7);
        // 11|0|…|11 and 1|10|…|11 both satisfy the row; the total row says 1 and 10.
        let mut rows = vec![
            read_row("110000011", &spec),
            read_row("0000000", &spec),
            read_row("1 10 0 0 0 0 11", &spec),
            read_row("0000000", &spec),
        ];
        assert_eq!(rows[0].readings.len(), 2);
        let ids = [TableIdentity {
            lhs: vec![0, 1],
            rhs: vec![2, 3],
            columns: (0..7).collect(),
        }];
        let res = resolve_table(&mut rows, &ids);
        assert!(res.consistent && res.exact);
        assert_eq!(res.dropped, 1);
        assert_eq!(rows[0].settled, Settled::Unique);
        assert_eq!(ints(&rows[0].readings[0]), full(&[1, 10, 0, 0, 0, 0, 11]));
    }

    #[test]
    fn resolve_table_arithmetic_overrides_a_hint() {
        let spec = RowSpec::row_total(7);
        let mut rows = vec![
            read_row("110000011", &spec.clone().with_hint(0, 11)),
            read_row("1 10 0 0 0 0 11", &spec),
        ];
        assert_eq!(rows[0].settled, Settled::ByHint);
        let ids = [TableIdentity {
            lhs: vec![0],
            rhs: vec![1],
            columns: (0..7).collect(),
        }];
        resolve_table(&mut rows, &ids);
        assert_eq!(rows[0].settled, Settled::Unique);
        assert_eq!(ints(&rows[0].readings[0]), full(&[1, 10, 0, 0, 0, 0, 11]));
        assert_eq!(rows[0].readings[0].hints_matched, 0);
    }

    #[test]
    fn resolve_table_leaves_inconsistent_tables_alone() {
        let spec = RowSpec::row_total(7);
        let mut rows = vec![
            read_row("1000001", &spec),
            read_row("0000000", &spec),
            read_row("2000002", &spec),
            read_row("0000000", &spec),
            read_row("270020130", &spec),
        ];
        let before = rows[4].clone();
        let ids = [
            TableIdentity {
                lhs: vec![0, 1],
                rhs: vec![2, 3],
                columns: (0..7).collect(),
            },
            TableIdentity {
                lhs: vec![4],
                rhs: vec![4],
                columns: vec![0],
            },
        ];
        let res = resolve_table(&mut rows, &ids);
        assert!(!res.consistent);
        assert!((0..4).all(|i| !rows[i].satisfied));
        // A row outside the failing identity keeps everything.
        assert_eq!(rows[4], before);
        assert_eq!(rows[0].readings.len(), 1);
    }

    #[test]
    fn resolve_table_skips_untrusted_rows() {
        let spec = RowSpec::row_total(7);
        let mut rows = vec![
            read_row("270020130", &spec),
            read_row("5 0 0 0 0 0 0 5", &spec),
        ];
        let ids = [
            TableIdentity {
                lhs: vec![0],
                rhs: vec![1],
                columns: vec![0],
            },
            TableIdentity {
                lhs: vec![0],
                rhs: vec![9],
                columns: vec![0],
            },
        ];
        let res = resolve_table(&mut rows, &ids);
        assert_eq!(res.skipped, vec![0, 1]);
        assert_eq!(rows[0].readings.len(), 2);
        // A row on both sides of an identity cancels out: nothing to narrow, nothing to fail.
        let ids = [TableIdentity {
            lhs: vec![0],
            rhs: vec![0],
            columns: vec![0],
        }];
        let res = resolve_table(&mut rows, &ids);
        assert!(res.consistent);
        assert_eq!(res.applied, vec![0]);
        assert_eq!(rows[0].readings.len(), 2);
        assert!(resolve_table(&mut [], &[]).consistent);
    }

    #[test]
    fn resolve_table_settles_the_real_2022_table() {
        // 202202 表三, each region as the caller cuts it (labels and glued item numbers removed).
        let regions = [
            "640020470", // 0 一、本年新收
            "0000000",   // 1 二、上年结转
            "270020130", // 2 （一）予以公开
            "500000 5",  // 3 （二）部分公开
            "0000000",   // 4 （三）1
            "0000000",   // 5 （三）2
            "0000000",   // 6 （三）3
            "0000000",   // 7 （三）4
            "1000001",   // 8 （三）5
            "0000000",   // 9 （三）6
            "6000006",   // 10 （三）7
            "1000001",   // 11 （三）8
            "220000325", // 12 （四）1
            "0000000",   // 13 （四）2
            "0000000",   // 14 （四）3
            "0000000",   // 15 （五）1
            "0000000",   // 16 （五）2
            "0000000",   // 17 （五）3
            "0000000",   // 18 （五）4
            "0000000",   // 19 （五）5
            "0000000",   // 20 （六）1
            "0000000",   // 21 （六）2
            "1000001",   // 22 （六）3
            "630020469", // 23 （七）总计
            "1000001 ",  // 24 四、结转下年度
        ];
        let spec = RowSpec::row_total(7);
        let mut rows: Vec<RowResult> = regions.iter().map(|r| read_row(r, &spec)).collect();
        assert_eq!(rows[2].settled, Settled::NotSettled);
        assert_eq!(rows[12].settled, Settled::NotSettled);
        let res = resolve_table(&mut rows, &t3_identities(0, 1, 2..=22, 23, 24));
        assert!(res.consistent && res.exact);
        assert_eq!(res.dropped, 2);
        assert!(
            rows.iter()
                .all(|r| r.settled == Settled::Unique && r.satisfied)
        );
        assert_eq!(ints(&rows[2].readings[0]), full(&[27, 0, 0, 2, 0, 1, 30]));
        assert_eq!(ints(&rows[12].readings[0]), full(&[22, 0, 0, 0, 0, 3, 25]));
    }
}
