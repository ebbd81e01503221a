//! Tables read from the source's own cells (HTML `<table>`, Word `w:tbl`, PDF grids): no digit
//! runs to split, so every value is read from one cell by its column position.
//!
//! The rows are found exactly as in text: each row's label pattern from `tables.yaml`, in order,
//! in the document text; the label's match is then placed in the grid (the cell whose span holds
//! it). The row's value cells are the cells to the right of its label cell, merged continuations
//! left out (a value spread over three grid columns by gridSpan is one cell), the last N of them
//! for N columns (so a 单位 column between label and values is passed over). A label that spans
//! several cells (table 四's header) reads the first row below it made only of values. A label
//! cell merged down over the rows below it is a group heading (（六）其他处理 in the 2021 format),
//! which has no cells of its own, as in text.
//!
//! A cell is blank (nothing, U+00A0, U+3000), a marker ("/", "—": blank, its text kept as raw),
//! a number the column's kind accepts, or unreadable: only the last is uncertain.

use std::ops::Range;

use super::split::CellKind;
use crate::load::{Document, SourceCell, SourceTable, TableOrigin};
use crate::model::{Field, Status, Value};
use crate::rules::TableRule;

/// Where a table rule's rows were found among the document's source tables.
#[derive(Debug, Clone, PartialEq)]
pub struct CellTable {
    pub origin: TableOrigin,
    /// Indexes into `Document::tables` of the grids the rows came from, in order (two when
    /// a table is split over two `<table>` elements or two pages).
    pub grids: Vec<usize>,
    /// One entry per row of the rule: the grid position (grid, row) and the value cells' grid
    /// columns, or `None` for a row not found or without cells of its own.
    pub rows: Vec<Option<CellRow>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CellRow {
    pub grid: usize,
    pub row: usize,
    /// Grid column of each value cell, one per column of the rule.
    pub cols: Vec<usize>,
}

/// Grid position of the cell holding byte `at` of the document text (origin cells only: a
/// merged copy points at the same text as its origin, which comes first).
fn cell_at(tables: &[SourceTable], candidates: &[usize], at: usize) -> Option<(usize, usize, usize)> {
    for &g in candidates {
        let t = &tables[g];
        if at < t.start || at >= t.end.max(t.start + 1) {
            continue;
        }
        for (r, row) in t.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.merged && !cell.blank && cell.start <= at && at < cell.end {
                    return Some((g, r, c));
                }
            }
        }
    }
    None
}

fn same_span(a: &SourceCell, b: &SourceCell) -> bool {
    a.start == b.start && a.end == b.end && a.text == b.text
}

/// The row's cells right of column `after`, horizontal merge continuations left out: grid
/// columns of the logical cells.
fn logical_cells(row: &[SourceCell], after: Option<usize>) -> Vec<usize> {
    let from = after.map_or(0, |c| c + 1);
    (from..row.len())
        .filter(|&c| !(c > 0 && row[c].merged && same_span(&row[c], &row[c - 1])))
        .filter(|&c| after.is_none_or(|a| !(row[c].merged && same_span(&row[c], &row[a]))))
        .collect()
}

/// A cell a value column can hold: blank, a marker, or something that looks like a number.
fn value_like(cell: &SourceCell) -> bool {
    [CellKind::Signed, CellKind::Decimal, CellKind::Amount].iter().any(|&k| parse_cell(&cell.text, k).is_ok())
}

/// "/", "／", "—", "——", "－", "-", "–": a written blank.
pub fn is_marker(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().all(|c| matches!(c, '/' | '／' | '—' | '－' | '-' | '–' | '―' | '─' | '\\' | '＼'))
}

/// Places a table rule's rows in the source tables overlapping `region`, given the rows'
/// label matches in the text. `None` when no label lies in a source table, or when a row
/// found in a grid has fewer cells than the rule has columns (the grid is not this table's
/// layout): the caller then reads the text as before.
pub fn locate(doc: &Document, t: &TableRule, region: Range<usize>, labels: &[Option<Range<usize>>]) -> Option<CellTable> {
    let tables = &doc.tables;
    let overlapping: Vec<usize> = (0..tables.len()).filter(|&g| tables[g].start < region.end && tables[g].end > region.start).collect();
    if overlapping.is_empty() {
        return None;
    }
    let n = t.columns.len();
    let mut rows = Vec::with_capacity(labels.len());
    let mut grids: Vec<usize> = Vec::new();
    let mut any = false;
    for label in labels {
        let Some(label) = label else {
            rows.push(None);
            continue;
        };
        let first = cell_at(tables, &overlapping, label.start);
        let last = cell_at(tables, &overlapping, label.end.saturating_sub(1).max(label.start));
        let (Some((g0, r0, c0)), Some((g, r, c))) = (first, last) else {
            rows.push(None);
            continue;
        };
        any = true;
        let grid = &tables[g];
        let one_cell = (g0, r0, c0) == (g, r, c);
        // Merged down over the next row: a group heading whose rows are the sub-items.
        let heading = grid.rows.get(r + 1).and_then(|below| below.get(c)).is_some_and(|b| b.merged && same_span(b, &grid.rows[r][c]))
            && logical_cells(&grid.rows[r], Some(c)).first().is_some_and(|&x| !value_like(&grid.rows[r][x]));
        if heading {
            rows.push(None);
            continue;
        }
        let mut cells = logical_cells(&grid.rows[r], Some(c));
        let mut at = (g, r);
        if cells.is_empty() && !one_cell {
            // A label spread over header cells: the values are in the first row below made
            // only of values, in this grid or the next one (a table continued on a new page).
            let mut found = None;
            'search: for &gi in overlapping.iter().filter(|&&gi| gi >= g) {
                let from = if gi == g { r + 1 } else { 0 };
                for (ri, row) in tables[gi].rows.iter().enumerate().skip(from) {
                    let all = logical_cells(row, None);
                    if !all.is_empty() && all.iter().all(|&x| value_like(&row[x])) && row.iter().any(|c| !c.merged) {
                        found = Some((gi, ri, all));
                        break 'search;
                    }
                }
            }
            match found {
                Some((gi, ri, all)) => {
                    cells = all;
                    at = (gi, ri);
                }
                None => {
                    rows.push(None);
                    continue;
                }
            }
        }
        if cells.is_empty() {
            // A heading row with no cells of its own.
            rows.push(None);
            continue;
        }
        if cells.len() < n {
            return None;
        }
        let cols = cells[cells.len() - n..].to_vec();
        if !grids.contains(&at.0) {
            grids.push(at.0);
        }
        rows.push(Some(CellRow { grid: at.0, row: at.1, cols }));
    }
    if !any || grids.is_empty() {
        return None;
    }
    grids.sort_unstable();
    Some(CellTable { origin: tables[grids[0]].origin, grids, rows })
}

/// One field from one cell: exact for a blank, a marker or a number the column accepts;
/// ambiguous with no candidate (and the cell's text in the note) when the cell cannot be read.
pub fn cell_field(doc: &Document, id: &str, label: &str, cell: &SourceCell, kind: CellKind, origin: TableOrigin) -> Field {
    let span = doc.span(cell.start, cell.end);
    let raw = doc.text.get(cell.start..cell.end).unwrap_or("").to_string();
    match parse_cell(&cell.text, kind) {
        Ok(value) => {
            let mut f = Field::exact(id, label, value, &raw, Some(span));
            f.note = Some(format!("读自{}表格单元格", origin_label(origin)));
            f
        }
        Err(Unreadable) => {
            let mut f = Field::exact(id, label, None, &raw, Some(span));
            f.status = Status::Ambiguous;
            f.note = Some(format!("{}表格单元格“{}”无法读作数值", origin_label(origin), cell.text));
            f
        }
    }
}

fn origin_label(o: TableOrigin) -> &'static str {
    match o {
        TableOrigin::Html => "网页",
        TableOrigin::Docx => "Word",
        TableOrigin::Pdf => "PDF",
        TableOrigin::TextPipes => "文本",
    }
}

/// A cell whose text is no number its column accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// A cell's value: `Ok(None)` for a blank or a marker. Thousands separators and spaces inside
/// the number are allowed; full-width digits are read.
pub fn parse_cell(text: &str, kind: CellKind) -> Result<Option<Value>, Unreadable> {
    let t = text.trim();
    if t.is_empty() || is_marker(t) {
        return Ok(None);
    }
    let mut s: String = t
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '，'))
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' => '.',
            '－' | '−' => '-',
            '＋' => '+',
            _ => c,
        })
        .collect();
    let mut unit = String::new();
    if kind == CellKind::Amount {
        for u in ["亿元", "万元", "元"] {
            if let Some(rest) = s.strip_suffix(u) {
                unit = u.to_string();
                s = rest.to_string();
                break;
            }
        }
    }
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1i64, rest),
        None => (1, s.strip_prefix('+').unwrap_or(&s)),
    };
    let well_formed = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
        && !digits.starts_with('.')
        && !digits.ends_with('.');
    if !well_formed {
        return Err(Unreadable);
    }
    let signed = s.starts_with(['-', '+']);
    let has_point = digits.contains('.');
    match kind {
        CellKind::Count if !signed && !has_point => digits.parse::<i64>().map(|v| Some(Value::Int(v))).map_err(|_| Unreadable),
        CellKind::Signed if !has_point => digits.parse::<i64>().map(|v| Some(Value::Int(sign * v))).map_err(|_| Unreadable),
        CellKind::Decimal => digits.parse::<f64>().map(|v| Some(Value::Dec(sign as f64 * v))).map_err(|_| Unreadable),
        CellKind::Amount if !signed => digits.parse::<f64>().map(|v| Some(Value::Amount { value: v, unit })).map_err(|_| Unreadable),
        _ => Err(Unreadable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_by_kind() {
        assert_eq!(parse_cell("", CellKind::Count), Ok(None));
        assert_eq!(parse_cell("\u{3000}", CellKind::Count), Ok(None));
        assert_eq!(parse_cell("/", CellKind::Count), Ok(None));
        assert_eq!(parse_cell("——", CellKind::Count), Ok(None));
        assert_eq!(parse_cell("0", CellKind::Count), Ok(Some(Value::Int(0))));
        assert_eq!(parse_cell("1,234", CellKind::Count), Ok(Some(Value::Int(1234))));
        assert_eq!(parse_cell("１２", CellKind::Count), Ok(Some(Value::Int(12))));
        assert_eq!(parse_cell("-3", CellKind::Count), Err(Unreadable));
        assert_eq!(parse_cell("-3", CellKind::Signed), Ok(Some(Value::Int(-3))));
        assert_eq!(parse_cell("+17", CellKind::Signed), Ok(Some(Value::Int(17))));
        assert_eq!(parse_cell("0.5", CellKind::Decimal), Ok(Some(Value::Dec(0.5))));
        assert_eq!(parse_cell("3.2万元", CellKind::Amount), Ok(Some(Value::Amount { value: 3.2, unit: "万元".into() })));
        assert_eq!(parse_cell("12件", CellKind::Count), Err(Unreadable));
        assert_eq!(parse_cell("1.2.3", CellKind::Decimal), Err(Unreadable));
        assert_eq!(parse_cell("99999999999999999999", CellKind::Count), Err(Unreadable));
    }
}
