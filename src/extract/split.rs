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
//!    cell leaves no characters behind in a collapsed table).
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
//! 2. Among those, **fewest blank cells**, then fewest blanks that the text does not mark (a
//!    written "/" or an nbsp line beats a blank the reading has to assume). Every reading of a
//!    one-cell-per-line row with dropped cells has the same number of blanks, so all its
//!    satisfying placements stay candidates (seed 004: "5 / 0 / 0 / 0 / 5" in seven columns).
//! 3. If no reading satisfies every constraint: among the readings with fewest blanks, those that
//!    break nothing (their only gap is an unverifiable blank total) are kept with
//!    `unverified = true`; otherwise all of them are kept, fewest broken constraints first, with
//!    `satisfied = false`. An unverifiable reading with more blanks never outranks the reading
//!    the digits give as written: "5000006" stays 5|0|0|0|0|0|6 with a broken row total rather
//!    than becoming 50|0|0|0|0|6|(blank).
//! 4. **Hints** (figures stated in the narrative) only settle what arithmetic left open: when
//!    several readings remain and exactly one agrees with every hint, it is chosen
//!    ([`Settled::ByHint`]) and the others are kept aside in [`RowResult::set_aside`].
//!
//! [`resolve_table`] then narrows rows jointly with identities between rows (table 三's balance
//! and result sums), applied column by column.

use std::collections::HashSet;

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
/// Assignments tried by the joint search in [`resolve_table`].
const TABLE_NODE_CAP: usize = 200_000;
/// Distinct partial sums tracked per identity column in [`resolve_table`].
const SUM_SET_CAP: usize = 20_000;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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
        RowSpec { kinds, ..RowSpec::default() }
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
                return Err(format!("identity {i} names a column beyond the row's {n} columns"));
            }
            if id.parts.is_empty() {
                return Err(format!("identity {i} has no parts"));
            }
        }
        for &(a, b) in &self.at_least {
            if a >= n || b >= n {
                return Err(format!("at_least ({a}, {b}) names a column beyond the row's {n} columns"));
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
    /// Distinct values column `col` takes across the readings, in reading order.
    /// One entry means every reading agrees on the column.
    pub fn candidates(&self, col: usize) -> Vec<Option<Value>> {
        let mut out: Vec<Option<Value>> = Vec::new();
        for r in &self.readings {
            let v = r.cells.get(col).and_then(|c| c.as_ref()).map(|c| c.value.clone());
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
        if c.len() == 1 { c.into_iter().next() } else { None }
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
    lex(region, kinds, usize::MAX).0.into_iter().map(|l| l.token).collect()
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
                token: Token { start, end, kind: TokenKind::Number },
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
                    token: Token { start: cs[i].0, end: byte_at(j), kind: TokenKind::Blank },
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

/// In a one-cell-per-line layout (every token alone on its line, at least two such lines), a
/// line holding only U+00A0 (and spaces) is an empty cell as rendered from `&nbsp;`.
fn add_line_blanks(region: &str, out: &mut Vec<Lexeme>) {
    let mut line_starts = vec![0usize];
    line_starts.extend(region.match_indices('\n').map(|(i, _)| i + 1));
    let line_of = |b: usize| line_starts.partition_point(|&s| s <= b).saturating_sub(1);
    let mut used: Vec<usize> = out.iter().map(|l| line_of(l.token.start)).collect();
    let token_lines = used.len();
    used.dedup();
    if used.len() != token_lines || used.len() < 2 {
        return;
    }
    let mut blanks = Vec::new();
    for (n, &s) in line_starts.iter().enumerate() {
        let e = line_starts.get(n + 1).map_or(region.len(), |&x| x - 1);
        let line = &region[s..e];
        if line.contains('\u{a0}') && line.chars().all(|c| matches!(c, '\u{a0}' | ' ' | '\t' | '\r')) {
            blanks.push(Lexeme {
                token: Token { start: s, end: e, kind: TokenKind::LineBlank },
                sign: 0,
                digits: Vec::new(),
                frac: None,
                unit: None,
            });
        }
    }
    if blanks.is_empty() {
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
    let int = piece.iter().fold(0i64, |acc, &(_, d)| acc * 10 + i64::from(d));
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
        CellKind::Amount if sign == 0 => {
            Value::Amount { value: real()?, unit: unit.unwrap_or("").to_string() }
        }
        _ => return None,
    };
    let start = if first { l.token.start } else { piece[0].0 };
    let end = if last { l.token.end } else { l.digits[k + len].0 };
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
}

impl Constraints {
    fn build(spec: &RowSpec) -> Constraints {
        let n = spec.kinds.len();
        let mut list = Vec::new();
        for id in &spec.identities {
            if id.total < n && !id.parts.is_empty() && id.parts.iter().all(|&p| p < n) {
                list.push(Constraint::Sum { parts: id.parts.clone(), total: id.total });
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
        for (i, c) in list.iter().enumerate() {
            match c {
                Constraint::Sum { parts, total } => {
                    let last = parts.iter().copied().chain([*total]).max().unwrap_or(*total);
                    complete_at[last].push(i);
                    guarded[*total] = true;
                    let monotone =
                        parts.iter().all(|&p| matches!(spec.kinds[p], CellKind::Count | CellKind::Amount));
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
        Constraints { list, complete_at, partial_at, guarded }
    }

    fn eval(&self, i: usize, slots: &[Slot]) -> Check {
        match &self.list[i] {
            Constraint::Sum { parts, total } => {
                let Some(t) = slots[*total].micro() else { return Check::Unverifiable };
                let sum: i128 = parts.iter().map(|&p| slots[p].micro().unwrap_or(0)).sum();
                if sum == t { Check::Holds } else { Check::Broken }
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
    fn partial_ok(&self, c: usize, slots: &[Slot]) -> bool {
        self.partial_at[c].iter().all(|&i| match &self.list[i] {
            Constraint::Sum { parts, total } => {
                let Some(t) = slots[*total].micro() else { return true };
                let sum: i128 =
                    parts.iter().filter(|&&p| p <= c).map(|&p| slots[p].micro().unwrap_or(0)).sum();
                sum <= t
            }
            Constraint::AtLeast { .. } => true,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Search

#[derive(Clone, Copy, Debug, Default)]
struct Path {
    blanks: usize,
    inserted: usize,
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
    fn new(lex: &'a [Lexeme], kinds: &'a [CellKind], cons: &'a Constraints, strict: bool) -> Search<'a> {
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
            nodes: 0,
            truncated: false,
            best: None,
            found: Vec::new(),
            seen: HashSet::new(),
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
                self.accept(p);
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
        let inserted_lb = p.inserted + rem.saturating_sub(digits + firm + soft);
        if self.best.is_some_and(|b| (blanks_lb, inserted_lb) > b) {
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
                        let Some(cell) = make_cell(l, k, len, self.kinds[c]) else { continue };
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
                        self.go(c, t + 1, 0, p);
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
        self.slots.push(slot);
        let mut ok = true;
        for &i in &self.cons.complete_at[c] {
            match self.cons.eval(i, &self.slots) {
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
            ok = self.cons.partial_ok(c, &self.slots);
        }
        if ok {
            self.go(c + 1, t, k, q);
        }
        self.slots.pop();
    }

    fn accept(&mut self, p: Path) {
        let key = (p.blanks, p.inserted);
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
        self.found.push(Found { slots: self.slots.clone(), path: p });
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
    let hints: Vec<(usize, i64)> = spec.hints.iter().copied().filter(|&(c, _)| c < kinds.len()).collect();

    let too_long = region.len() > MAX_REGION_BYTES;
    let scanned = if too_long { prefix(region, MAX_REGION_BYTES) } else { region };
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
        settled: if strict_truncated { Settled::NotSettled } else { Settled::NoneSatisfy },
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
        r.hints_matched =
            hints.iter().filter(|&&(c, v)| hint_agrees(r.cells.get(c).and_then(|x| x.as_ref()), v)).count();
    }
    readings
}

/// Splits the readings that satisfy the constraints into kept and set aside, and names how the
/// row was settled.
fn settle(mut all: Vec<Reading>, hint_count: usize, truncated: bool) -> (Vec<Reading>, Vec<Reading>, Settled) {
    if all.len() == 1 && !truncated {
        return (all, Vec::new(), Settled::Unique);
    }
    if hint_count > 0 && !truncated {
        let full: Vec<usize> = (0..all.len()).filter(|&i| all[i].hints_matched == hint_count).collect();
        if let [only] = full[..] {
            let chosen = all.remove(only);
            return (vec![chosen], all, Settled::ByHint);
        }
    }
    all.sort_by_key(|r| std::cmp::Reverse(r.hints_matched));
    (all, Vec::new(), Settled::NotSettled)
}

fn finish(all: Vec<Reading>, hint_count: usize, truncated: bool, satisfied: bool, unverified: bool) -> RowResult {
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
    let reading = Reading { cells, blanks, written_blanks: written, splits: 0, violations: 0, unverified: 0, hints_matched: 0 };
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
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// Narrows rows jointly: drops every reading that takes part in no assignment (one reading per
/// row) satisfying all applied identities, column by column. Blank cells count as 0. Readings a
/// hint had set aside take part too (arithmetic first, narrative second) and the hint is applied
/// again afterwards. If no assignment is consistent the rows keep their readings and the rows of
/// the failing identities are marked `satisfied = false`.
pub fn resolve_table(rows: &mut [RowResult], identities: &[TableIdentity]) -> TableResolution {
    let mut res = TableResolution { consistent: true, exact: true, ..TableResolution::default() };
    let usable = |r: &RowResult| r.satisfied && !r.truncated && !r.overflow && !r.readings.is_empty();
    let width = |r: &RowResult| r.readings.iter().map(|x| x.cells.len()).min().unwrap_or(0);

    // Each applied identity as (row, coefficient) terms and its columns.
    let mut eqs: Vec<(Vec<(usize, i128)>, Vec<usize>)> = Vec::new();
    for (i, id) in identities.iter().enumerate() {
        let rows_ok = id.lhs.iter().chain(&id.rhs).all(|&r| {
            r < rows.len() && usable(&rows[r]) && id.columns.iter().all(|&c| c < width(&rows[r]))
        });
        if !rows_ok || id.columns.is_empty() || (id.lhs.is_empty() && id.rhs.is_empty()) {
            res.skipped.push(i);
            continue;
        }
        let mut terms: Vec<(usize, i128)> = Vec::new();
        for (&r, k) in id.lhs.iter().map(|r| (r, 1)).chain(id.rhs.iter().map(|r| (r, -1))) {
            match terms.iter_mut().find(|(x, _)| *x == r) {
                Some(t) => t.1 += k,
                None => terms.push((r, k)),
            }
        }
        terms.retain(|&(_, k)| k != 0);
        res.applied.push(i);
        eqs.push((terms, id.columns.clone()));
    }
    if eqs.is_empty() {
        return res;
    }

    // Every candidate of every involved row (kept readings, then those a hint set aside), with
    // its values in millionths.
    let mut involved: Vec<usize> = eqs.iter().flat_map(|(t, _)| t.iter().map(|&(r, _)| r)).collect();
    involved.sort_unstable();
    involved.dedup();
    let mut micro: Vec<Vec<Vec<i128>>> = vec![Vec::new(); rows.len()];
    for &r in &involved {
        micro[r] = rows[r]
            .readings
            .iter()
            .chain(&rows[r].set_aside)
            .map(|x| x.cells.iter().map(|c| c.as_ref().map_or(0, |c| micro_of(&c.value))).collect())
            .collect();
    }
    let fresh: Vec<Vec<bool>> = micro.iter().map(|m| vec![true; m.len()]).collect();

    let mut alive = fresh.clone();
    let narrowed = narrow(&eqs, &micro, &mut alive);
    let mut consistent = narrowed;
    if narrowed {
        match joint(&eqs, &involved, &micro, &alive) {
            Some(Some(support)) => alive = support,
            Some(None) => consistent = false,
            None => res.exact = false,
        }
    }

    if !consistent {
        res.consistent = false;
        let mut failing: Vec<usize> = Vec::new();
        for (terms, cols) in &eqs {
            let one = vec![(terms.clone(), cols.clone())];
            let mut a = fresh.clone();
            if !narrow(&one, &micro, &mut a) {
                failing.extend(terms.iter().map(|&(r, _)| r));
            }
        }
        if failing.is_empty() {
            failing = involved.clone();
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
        let keep = &alive[r];
        let mut idx = 0;
        all.retain(|_| {
            let k = keep[idx];
            idx += 1;
            k
        });
        res.dropped += before - all.len();
        let (readings, set_aside, settled) = settle(all, row.hint_count, row.truncated);
        row.explicit_blanks = readings.iter().map(|x| x.written_blanks).max().unwrap_or(0);
        row.readings = readings;
        row.set_aside = set_aside;
        row.settled = settled;
    }
    res
}

/// Per-identity narrowing to a fixpoint: a reading survives an identity column if the other
/// rows' surviving readings can make the column balance. False when some row loses every reading.
fn narrow(eqs: &[(Vec<(usize, i128)>, Vec<usize>)], micro: &[Vec<Vec<i128>>], alive: &mut [Vec<bool>]) -> bool {
    loop {
        let mut changed = false;
        for (terms, cols) in eqs {
            for &col in cols {
                for (ti, &(r, k)) in terms.iter().enumerate() {
                    let mut sums: HashSet<i128> = HashSet::from([0]);
                    let mut gave_up = false;
                    for (tj, &(r2, k2)) in terms.iter().enumerate() {
                        if tj == ti {
                            continue;
                        }
                        let vals: HashSet<i128> = micro[r2]
                            .iter()
                            .zip(&alive[r2])
                            .filter(|(_, a)| **a)
                            .map(|(v, _)| v[col] * k2)
                            .collect();
                        let next: HashSet<i128> = sums.iter().flat_map(|s| vals.iter().map(move |v| s + v)).collect();
                        if next.len() > SUM_SET_CAP {
                            gave_up = true;
                            break;
                        }
                        sums = next;
                    }
                    if gave_up {
                        continue;
                    }
                    for j in 0..micro[r].len() {
                        if alive[r][j] && !sums.contains(&(-k * micro[r][j][col])) {
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

/// Exact joint search over the involved rows. `Some(Some(support))`: the readings that take
/// part in some consistent assignment; `Some(None)`: no assignment is consistent; `None`: the
/// search hit its cap.
fn joint(
    eqs: &[(Vec<(usize, i128)>, Vec<usize>)],
    involved: &[usize],
    micro: &[Vec<Vec<i128>>],
    alive: &[Vec<bool>],
) -> Option<Option<Vec<Vec<bool>>>> {
    // Each equation is checked once its last row (in `involved` order) is chosen.
    let pos = |r: usize| involved.iter().position(|&x| x == r).unwrap_or(0);
    let mut due: Vec<Vec<usize>> = vec![Vec::new(); involved.len()];
    for (e, (terms, _)) in eqs.iter().enumerate() {
        let last = terms.iter().map(|&(r, _)| pos(r)).max().unwrap_or(0);
        due[last].push(e);
    }
    struct J<'a> {
        eqs: &'a [(Vec<(usize, i128)>, Vec<usize>)],
        involved: &'a [usize],
        micro: &'a [Vec<Vec<i128>>],
        alive: &'a [Vec<bool>],
        due: Vec<Vec<usize>>,
        choice: Vec<usize>,
        support: Vec<Vec<bool>>,
        unsupported: usize,
        nodes: usize,
        capped: bool,
    }
    impl J<'_> {
        fn value(&self, r: usize, col: usize) -> i128 {
            let p = self.involved.iter().position(|&x| x == r).unwrap_or(0);
            self.micro[r][self.choice[p]][col]
        }
        fn go(&mut self, p: usize) {
            if self.capped || self.unsupported == 0 {
                return;
            }
            if p == self.involved.len() {
                for (i, &r) in self.involved.iter().enumerate() {
                    let j = self.choice[i];
                    if !self.support[r][j] {
                        self.support[r][j] = true;
                        self.unsupported -= 1;
                    }
                }
                return;
            }
            let r = self.involved[p];
            for j in 0..self.micro[r].len() {
                if !self.alive[r][j] {
                    continue;
                }
                self.nodes += 1;
                if self.nodes > TABLE_NODE_CAP {
                    self.capped = true;
                    return;
                }
                self.choice[p] = j;
                let ok = self.due[p].iter().all(|&e| {
                    let (terms, cols) = &self.eqs[e];
                    cols.iter().all(|&c| terms.iter().map(|&(r2, k)| k * self.value(r2, c)).sum::<i128>() == 0)
                });
                if ok {
                    self.go(p + 1);
                }
            }
        }
    }
    let unsupported = involved.iter().map(|&r| alive[r].iter().filter(|a| **a).count()).sum();
    let mut j = J {
        eqs,
        involved,
        micro,
        alive,
        due,
        choice: vec![0; involved.len()],
        support: alive.iter().map(|a| vec![false; a.len()]).collect(),
        unsupported,
        nodes: 0,
        capped: false,
    };
    j.go(0);
    if j.capped {
        return None;
    }
    if j.support.iter().all(|s| s.iter().all(|x| !x)) {
        return Some(None);
    }
    Some(Some(j.support))
}

