//! Tables in pieces: rule tables read from the pipe rows of text someone else extracted
//! ([`TableOrigin::TextPipes`]), where a PDF table arrives as fragments.
//!
//! What the fragments do, and what this stage does about it:
//! - **A data row promoted to header, header cells floated away.** Which rows are headers is
//!   decided by content when the grid is built (`load::pipe_tables`); a header's cells are
//!   only used to place a short fragment (see below), never as values, and column numbers
//!   ("1 | 2 | … | 7", "数据1 … 数据6") are header, not cells.
//! - **A row label split over several cells** ("三、 | （一）予以公开"): the leading cells
//!   that hold no number are the label, joined. A label broken over lines outside the grid is
//!   matched by the rule's loose label patterns, which allow any whitespace between characters.
//! - **A row whose label was lost** ("| 0 | 0 | 0 | 0 | 0 | 0 | 0 |"): the rows that kept their
//!   labels are anchors; a label-less row lies between two anchors, so it belongs to one of the
//!   rule rows between them that has no row of its own and is not a heading. Every placement
//!   that keeps the text's order is tried; where more than one remains, the rows' readings
//!   carry every placement and the table identities (the same `row_sums` and `balances` the
//!   digit-run splitter uses) narrow them. What they cannot decide stays ambiguous.
//! - **A row cut into fragments**, each with its own header ("结果维持 | … | 总计" three times
//!   for table 四): fragments shorter than the row are placed by their header cells, matched
//!   loosely to the column labels, the heading above the fragment choosing the column group.
//! - **Garbled headers** (OCR): a row with exactly one cell per column is read by position and
//!   its header is not consulted at all.
//!
//! The output is the shape `extract_table` builds from digit runs (one [`RowResult`] per rule
//! row), so the identities and the field rules downstream are the same for both paths.

use std::ops::Range;

use super::cells::is_marker;
use super::split::{self, CellValue, Reading, RowResult, RowSpec, Settled};
use crate::load::{Document, SourceCell, SourceTable, TableOrigin, is_column_numbers, is_number_cell};
use crate::rules::TableRule;

/// Placements tried for one run of label-less rows before giving up on the pieces.
const MAX_PLACEMENTS: usize = 4_096;
/// Bytes before a fragment searched for the heading that names its column group.
const HEADING_BYTES: usize = 160;

/// A rule table read from pipe rows.
pub struct PieceRead {
    /// One per rule row: empty readings when the pieces hold no row for it.
    pub results: Vec<RowResult>,
    /// One per rule row: the base offset of the row's cells (cell offsets in `results` are
    /// relative to it), `None` when the row is absent.
    pub cell_ranges: Vec<Option<Range<usize>>>,
    /// Rule rows whose row was placed by position (its label lost in the text).
    pub placed: Vec<bool>,
    /// Indexes into `Document::tables` of the pipe tables read.
    pub grids: Vec<usize>,
}

/// One cell as a column value: a number's byte range, or a blank (written or empty).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    Number(usize, usize),
    Blank,
    /// Text where a number belongs: the row cannot be read by column.
    Text,
}

/// A data row of the pieces, its values already one per rule column.
#[derive(Clone, Debug)]
struct DataRow {
    label: String,
    start: usize,
    end: usize,
    cells: Vec<Slot>,
}


/// Letters and digits only: header cells and column labels compared without spacing or
/// punctuation ("结果 维持" = "结果维持").
fn norm(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The pipe tables a rule table reads: those inside its region, and anywhere in the text one
/// whose header names every column of the rule (a table printed away from its heading).
fn claimed(doc: &Document, t: &TableRule, region: &Range<usize>) -> Vec<usize> {
    let labels: Vec<String> = t.columns.iter().map(|c| norm(&c.label)).collect();
    (0..doc.tables.len())
        .filter(|&g| doc.tables[g].origin == TableOrigin::TextPipes)
        .filter(|&g| {
            let s = &doc.tables[g];
            if s.start >= region.start && s.start < region.end {
                return true;
            }
            let header: Vec<String> = s.rows.iter().take(s.header_rows).flatten().map(|c| norm(&c.text)).collect();
            labels.len() >= 2 && labels.iter().all(|l| header.iter().any(|h| h == l || l.starts_with(h.as_str()) && h.chars().count() >= 4))
        })
        .collect()
}

/// A grid row as (label, where the row starts, its value cells with their grid positions).
type SplitRow<'a> = (String, usize, Vec<(usize, &'a SourceCell)>);

/// A grid row split into label cells and value cells.
fn split_row(row: &[SourceCell]) -> Option<SplitRow<'_>> {
    let first_value = row.iter().position(|c| c.blank || is_number_cell(&c.text) || is_marker(&c.text))?;
    let label: String = row[..first_value].iter().map(|c| c.text.as_str()).collect::<Vec<_>>().join("");
    let start = row.iter().find(|c| !c.blank).map_or(row[0].start, |c| c.start);
    let values: Vec<(usize, &SourceCell)> = row.iter().enumerate().skip(first_value).collect();
    if !values.iter().any(|(_, c)| is_number_cell(&c.text)) {
        return None;
    }
    let texts: Vec<&str> = row.iter().map(|c| c.text.as_str()).collect();
    if is_column_numbers(&texts) {
        return None;
    }
    Some((label, start, values))
}

fn slot_of(c: &SourceCell) -> Slot {
    if c.blank || is_marker(&c.text) {
        Slot::Blank
    } else if is_number_cell(&c.text) {
        Slot::Number(c.start, c.end)
    } else {
        Slot::Text
    }
}

/// Column of each header cell of a fragment, or `None` when a cell names no column or names
/// one twice. `context` is the text just above the fragment (its heading).
fn map_header(t: &TableRule, header: &[&str], context: &str) -> Option<Vec<usize>> {
    let context = norm(context);
    let mut out: Vec<usize> = Vec::new();
    for h in header {
        let h = norm(h);
        if h.is_empty() {
            return None;
        }
        let fits: Vec<usize> = (0..t.columns.len())
            .filter(|&i| {
                let l = &t.columns[i].label;
                let tail = l.rsplit('·').next().unwrap_or(l);
                norm(tail) == h || norm(l) == h
            })
            .collect();
        let pick = match fits.as_slice() {
            [] => return None,
            [one] => *one,
            many => {
                // The group whose name the heading holds, the longest name first ("复议后起诉"
                // over "行政复议" for "行政诉讼（复议后起诉）").
                let named: Vec<(usize, usize)> = many
                    .iter()
                    .filter_map(|&i| {
                        let l = &t.columns[i].label;
                        let group = norm(l.rsplit_once('·').map_or("", |(g, _)| g));
                        (!group.is_empty() && context.contains(&group)).then(|| (group.chars().count(), i))
                    })
                    .collect();
                let best = named.iter().map(|n| n.0).max()?;
                let top: Vec<usize> = named.iter().filter(|n| n.0 == best).map(|n| n.1).collect();
                match top.as_slice() {
                    [one] => *one,
                    _ => return None,
                }
            }
        };
        if out.contains(&pick) {
            return None;
        }
        out.push(pick);
    }
    Some(out)
}

/// The last non-empty lines before `at`, within [`HEADING_BYTES`].
fn context_before(text: &str, at: usize) -> &str {
    let from = super::floor_boundary(text, at.saturating_sub(HEADING_BYTES));
    let hay = &text[from..at];
    let trimmed = hay.trim_end();
    // Only the lines after the previous pipe row: a heading belongs to the fragment below it.
    match trimmed.rfind('|') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

/// Data rows of the claimed tables, in text order, each with one slot per rule column.
/// Fragments shorter than the row are joined with the label-less fragments after them.
fn data_rows(doc: &Document, t: &TableRule, tables: &[&SourceTable]) -> Vec<(DataRow, bool)> {
    let n = t.columns.len();
    let mut out: Vec<(DataRow, bool)> = Vec::new();
    // A partial row being assembled from fragments: slots filled so far.
    let mut partial: Option<(DataRow, Vec<bool>)> = None;
    let finish = |p: (DataRow, Vec<bool>), out: &mut Vec<(DataRow, bool)>| {
        let complete = p.1.iter().all(|&f| f);
        out.push((p.0, complete));
    };
    for s in tables {
        let header: Option<&Vec<SourceCell>> = s.header_rows.checked_sub(1).and_then(|i| s.rows.get(i));
        for row in s.rows.iter().skip(s.header_rows) {
            let Some((label, start, mut values)) = split_row(row) else { continue };
            while values.len() > n && values.last().is_some_and(|(_, c)| c.blank) {
                values.pop();
            }
            let end = values.iter().rev().find(|(_, c)| !c.blank).map_or(start, |(_, c)| c.end);
            if values.len() == n {
                if let Some(p) = partial.take() {
                    finish(p, &mut out);
                }
                let cells = values.iter().map(|(_, c)| slot_of(c)).collect();
                out.push((DataRow { label, start, end, cells }, true));
                continue;
            }
            // A fragment: its header cells say which columns it holds.
            let mapped = header.and_then(|h| {
                let hs: Vec<&str> = values.iter().map(|(g, _)| h.get(*g).map_or("", |c| c.text.as_str())).collect();
                map_header(t, &hs, context_before(&doc.text, s.start))
            });
            let Some(cols) = mapped else {
                // Neither one cell per column nor a header to place it by: read as written,
                // which leaves the row's cells unsettled rather than guessed.
                if let Some(p) = partial.take() {
                    finish(p, &mut out);
                }
                let mut cells: Vec<Slot> = values.iter().map(|(_, c)| slot_of(c)).collect();
                cells.resize(n, Slot::Text);
                out.push((DataRow { label, start, end, cells }, false));
                continue;
            };
            let joins = partial.as_ref().is_some_and(|(_, filled)| label.is_empty() && cols.iter().all(|&c| !filled[c]));
            if !joins && let Some(p) = partial.take() {
                finish(p, &mut out);
            }
            let (row, filled) = partial.get_or_insert_with(|| (DataRow { label, start, end, cells: vec![Slot::Blank; n] }, vec![false; n]));
            for ((_, c), &col) in values.iter().zip(&cols) {
                row.cells[col] = slot_of(c);
                filled[col] = true;
            }
            row.end = row.end.max(end);
            if filled.iter().all(|&f| f)
                && let Some(p) = partial.take()
            {
                finish(p, &mut out);
            }
        }
    }
    if let Some(p) = partial.take() {
        finish(p, &mut out);
    }
    out
}

/// The row's result: its cells as the splitter reads them, one token per column, so the row's
/// identities are checked the same way as for a digit run. Offsets are relative to `base`.
fn row_result(doc: &Document, row: &DataRow, spec: &RowSpec, base: usize, complete: bool) -> RowResult {
    let mut region = String::new();
    // (offset in region, offset in the document) of each number cell.
    let mut map: Vec<(usize, usize, usize)> = Vec::new();
    for (i, s) in row.cells.iter().enumerate() {
        if i > 0 {
            region.push_str(" | ");
        }
        match *s {
            Slot::Number(a, b) => {
                map.push((region.len(), b - a, a));
                region.push_str(&doc.text[a..b]);
            }
            Slot::Blank => region.push('—'),
            Slot::Text => {}
        }
    }
    let mut res = split::read_row(&region, spec);
    let relocate = |c: &mut CellValue| {
        if let Some(&(r, len, d)) = map.iter().find(|(r, len, _)| c.start >= *r && c.start <= r + len) {
            let (s, e) = (d + (c.start - r), d + (c.end.min(r + len) - r));
            c.start = s - base;
            c.end = e - base;
        }
    };
    for r in res.readings.iter_mut().chain(res.set_aside.iter_mut()) {
        for c in r.cells.iter_mut().flatten() {
            relocate(c);
        }
    }
    if !complete || row.cells.contains(&Slot::Text) {
        // Cells missing from the pieces: nothing here is certain.
        res.satisfied = false;
        res.settled = Settled::NotSettled;
    }
    res
}


/// Every way to put `k` rows into `slots` keeping their order (strictly increasing slots).
fn placements(k: usize, slots: &[usize]) -> Option<Vec<Vec<usize>>> {
    fn go(k: usize, from: usize, slots: &[usize], cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) -> bool {
        if cur.len() == k {
            out.push(cur.clone());
            return out.len() <= MAX_PLACEMENTS;
        }
        for i in from..slots.len() {
            if slots.len() - i < k - cur.len() {
                break;
            }
            cur.push(slots[i]);
            if !go(k, i + 1, slots, cur, out) {
                return false;
            }
            cur.pop();
        }
        true
    }
    let mut out = Vec::new();
    go(k, 0, slots, &mut Vec::new(), &mut out).then_some(out)
}

/// Reads rule table `t` from the pipe pieces in `region`, or `None` when the pieces hold none
/// of its rows (the digit-run path reads it then). `heading[i]` says rule row `i` is a heading
/// without cells of its own; `spec` is the rule's row spec.
pub fn read_table(doc: &Document, t: &TableRule, region: Range<usize>, heading: &[bool], spec: &RowSpec) -> Option<PieceRead> {
    let grids = claimed(doc, t, &region);
    if grids.is_empty() {
        return None;
    }
    let tables: Vec<&SourceTable> = grids.iter().map(|&g| &doc.tables[g]).collect();
    let rows = data_rows(doc, t, &tables);
    // Anchor each labelled row to the rule row its label names, keeping the rule's order.
    let mut owner: Vec<Option<usize>> = vec![None; rows.len()];
    let mut cursor = 0;
    for (i, (r, _)) in rows.iter().enumerate() {
        if r.label.is_empty() {
            continue;
        }
        let hit = (cursor..t.rows.len()).chain(0..cursor).find(|&j| !heading[j] && t.rows[j].regex.is_match(&r.label));
        if let Some(j) = hit {
            owner[i] = Some(j);
            cursor = j + 1;
        }
    }
    let anchors: Vec<usize> = (0..rows.len()).filter(|&i| owner[i].is_some()).collect();
    let single = t.rows.len() == 1 && !heading[0];
    if anchors.is_empty() && !single {
        return None;
    }
    let mut taken = vec![false; t.rows.len()];
    for j in owner.iter().flatten() {
        taken[*j] = true;
    }
    // Each rule row: the data rows it may hold (several when placement is open), and whether
    // it may also hold none.
    let mut options: Vec<Vec<usize>> = vec![Vec::new(); t.rows.len()];
    let mut optional = vec![false; t.rows.len()];
    let mut placed = vec![false; t.rows.len()];
    for (i, o) in owner.iter().enumerate() {
        if let Some(j) = o
            && options[*j].is_empty()
        {
            options[*j].push(i);
        }
    }
    // Runs of label-less rows between anchors (or before the first / after the last).
    let first = anchors.first().copied();
    let mut i = 0;
    while i < rows.len() {
        if owner[i].is_some() {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < rows.len() && owner[i].is_none() {
            i += 1;
        }
        let run: Vec<usize> = (run_start..i).collect();
        let before = run_start.checked_sub(1).and_then(|p| owner[p]);
        let after = owner.get(i).copied().flatten();
        let edge = before.is_none() || after.is_none();
        // A labelled row the rules do not know is a lost label only inside the table: outside
        // the anchors it is another table's row.
        let run: Vec<usize> = run.into_iter().filter(|&r| rows[r].0.label.is_empty() || !edge).collect();
        if run.is_empty() {
            continue;
        }
        let lo = before.map_or(0, |b| b + 1);
        let hi = after.unwrap_or(t.rows.len());
        let slots: Vec<usize> = (lo..hi.max(lo)).filter(|&j| !heading[j] && !taken[j]).collect();
        let run = if edge && run.len() > slots.len() {
            // Rows past the table's first or last anchor beyond its free rows belong elsewhere
            // (the next table's rows, a summary): keep those nearest the anchor.
            let keep = slots.len();
            if before.is_none() && first.is_some() { run[run.len() - keep..].to_vec() } else { run[..keep].to_vec() }
        } else {
            run
        };
        if run.is_empty() {
            continue;
        }
        if run.len() > slots.len() {
            // More rows than the rule has places for: the pieces are not this table's.
            return None;
        }
        let ways = placements(run.len(), &slots)?;
        for (k, &r) in run.iter().enumerate() {
            for w in &ways {
                let j = w[k];
                if !options[j].contains(&r) {
                    options[j].push(r);
                }
                placed[j] = true;
            }
        }
        if ways.len() > 1 {
            for &j in &slots {
                if ways.iter().any(|w| !w.contains(&j)) {
                    optional[j] = true;
                }
            }
        }
    }
    if options.iter().all(Vec::is_empty) {
        // None of the pieces is a row of this table.
        return None;
    }
    let mut results = Vec::with_capacity(t.rows.len());
    let mut cell_ranges = Vec::with_capacity(t.rows.len());
    for j in 0..t.rows.len() {
        let opts = &options[j];
        if heading[j] && opts.is_empty() {
            // A heading: no cells, but present, so the identities over it still apply.
            let mut h = RowResult::absent();
            h.readings.push(Reading {
                cells: vec![None; t.columns.len()],
                blanks: t.columns.len(),
                written_blanks: 0,
                splits: 0,
                violations: 0,
                unverified: 0,
                hints_matched: 0,
            });
            h.satisfied = true;
            h.unverified = false;
            h.settled = Settled::Unique;
            results.push(h);
            cell_ranges.push(None);
            continue;
        }
        if opts.is_empty() {
            results.push(RowResult::absent());
            cell_ranges.push(None);
            continue;
        }
        let base = opts.iter().map(|&r| rows[r].0.start).min().unwrap_or(0);
        let end = opts.iter().map(|&r| rows[r].0.end).max().unwrap_or(base);
        let mut res = row_result(doc, &rows[opts[0]].0, spec, base, rows[opts[0]].1);
        for &r in &opts[1..] {
            let other = row_result(doc, &rows[r].0, spec, base, rows[r].1);
            res.satisfied &= other.satisfied;
            res.truncated |= other.truncated;
            res.overflow |= other.overflow;
            for x in other.readings {
                if !res.readings.contains(&x) {
                    res.readings.push(x);
                }
            }
        }
        if optional[j] {
            // This rule row may have no row in the pieces: every cell blank.
            let none = Reading {
                cells: vec![None; t.columns.len()],
                blanks: t.columns.len(),
                written_blanks: 0,
                splits: 0,
                violations: 0,
                unverified: 1,
                hints_matched: 0,
            };
            if !res.readings.contains(&none) {
                res.readings.push(none);
            }
        }
        if res.readings.len() > 1 {
            res.settled = Settled::NotSettled;
        }
        results.push(res);
        cell_ranges.push(Some(base..end.max(base)));
    }
    Some(PieceRead { results, cell_ranges, placed, grids })
}

/// True when `pos` lies inside a pipe row of the text: a heading pattern matching there is a
/// table cell ("| 三、 | （一）予以公开 |"), not a part of the report.
pub fn in_pipe_table(doc: &Document, pos: usize) -> bool {
    doc.tables.iter().any(|t| t.origin == TableOrigin::TextPipes && pos >= t.start && pos < t.end)
}

/// The start of the first pipe table in `range`, if any: a digit run read from text lines
/// stops there, since the numbers after it are that table's cells.
pub fn first_table_in(doc: &Document, range: &Range<usize>) -> Option<usize> {
    doc.tables.iter().filter(|t| t.origin == TableOrigin::TextPipes).map(|t| t.start).filter(|s| *s > range.start && *s < range.end).min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Status, Value};
    use std::path::PathBuf;

    fn doc(text: &str) -> Document {
        Document::from_bytes(PathBuf::from("x.txt"), text.as_bytes()).unwrap()
    }

    fn pack(yaml: &str) -> crate::rules::RuleSet {
        crate::rules::compile::compile(None, &[("r.yaml".into(), yaml.to_string())]).unwrap_or_else(|e| panic!("{}", e[0]))
    }

    const TABLE: &str = r#"
tables:
  - id: t
    label: T
    start: '表'
    columns: [{ id: a, label: 甲组·A }, { id: b, label: 甲组·合计 }, { id: c, label: 乙组·A }, { id: d, label: 乙组·合计 }]
    rows:
      - { id: x, label: 子 }
      - { id: h, label: 丑, heading: 'true' }
      - { id: y, label: 寅 }
      - { id: z, label: 卯 }
"#;

    #[test]
    fn placements_keep_the_order() {
        assert_eq!(placements(2, &[1, 2, 3]), Some(vec![vec![1, 2], vec![1, 3], vec![2, 3]]));
        assert_eq!(placements(1, &[4]), Some(vec![vec![4]]));
        assert_eq!(placements(2, &[4]), Some(vec![]));
    }

    #[test]
    fn a_label_less_row_skips_the_heading_row() {
        let rules = pack(TABLE);
        let d = doc("表\n| 子 | 1 | 1 | 2 | 2 |\n| 丑 |\n| 5 | 5 | 0 | 0 |\n|---|---|---|---|\n| 卯 | 0 | 0 | 0 | 0 |\n");
        let f = crate::extract::extract(&d, &rules);
        // 丑 is a heading, 寅 the only free row: the label-less row is 寅's.
        assert_eq!(f["t.y.a"].value, Some(Value::Int(5)));
        assert_eq!(f["t.y.a"].status, Status::Exact);
        assert!(f["t.y.a"].note.as_deref().unwrap_or("").contains("位置"));
        assert!(!f.contains_key("t.h.a"));
        let x = crate::extract::extract_full(&d, &rules, &Default::default());
        assert_eq!(x.tables.iter().map(|t| t.source).collect::<Vec<_>>(), ["text-pipes"]);
        assert_eq!(x.tables[0].grids, [0, 1]);
        // The span is the cell in the text.
        let s = f["t.y.a"].span.unwrap();
        assert_eq!(&d.text[s.start..s.end], "5");
    }

    #[test]
    fn fragments_are_placed_by_their_headers_and_the_heading_above() {
        let rules = pack(&TABLE.replace("rows:\n      - { id: x, label: 子 }\n      - { id: h, label: 丑, heading: 'true' }\n      - { id: y, label: 寅 }\n      - { id: z, label: 卯 }", "rows:\n      - { id: '', label: 表 }"));
        let d = doc("表\n### 乙组\n| A | 合计 |\n|---|---|\n| 3 | 3 |\n\n### 甲组\n| 合 计 | A |\n|---|---|\n| 7 | 7 |\n");
        let f = crate::extract::extract(&d, &rules);
        assert_eq!(f["t.c"].value, Some(Value::Int(3)));
        assert_eq!(f["t.d"].value, Some(Value::Int(3)));
        assert_eq!(f["t.b"].value, Some(Value::Int(7)));
        assert_eq!(f["t.a"].value, Some(Value::Int(7)));
        assert!([f["t.a"].status, f["t.d"].status].iter().all(|s| *s == Status::Exact));
    }

    #[test]
    fn pieces_of_another_table_leave_the_digit_runs_alone() {
        let rules = pack(TABLE);
        let d = doc("| 信息内容 | 本年制发件数 |\n|---|---|\n| 规章 | 0 |\n表 子 1 1 2 2 寅 0 0 0 0 卯 0 0 0 0\n");
        let f = crate::extract::extract(&d, &rules);
        let x = crate::extract::extract_full(&d, &rules, &Default::default());
        assert_eq!(x.tables.iter().map(|t| t.source).collect::<Vec<_>>(), ["digit-run"]);
        assert_eq!(f["t.x.d"].value, Some(Value::Int(2)));
    }

    #[test]
    fn a_text_row_stops_where_a_pipe_table_starts() {
        let rules = pack("tables:\n  - id: f\n    label: F\n    start: '收费'\n    columns: [{ id: v, label: 金额 }]\n    rows: [{ id: fee, label: 行政事业性收费 }]\n");
        let d = doc("收费\n行政事业性收费 0\n| 规章 | 0 | 0 | 0 |\n| 规范性文件 | 13 | 0 | 55 |\n");
        let f = crate::extract::extract(&d, &rules);
        assert_eq!(f["f.fee.v"].value, Some(Value::Int(0)));
        assert_eq!(f["f.fee.v"].status, Status::Exact);
    }

    #[test]
    fn a_cell_in_a_pipe_row_is_inside_a_table() {
        let d = doc("正文\n| 三、 | （一）予以公开 | 9 |\n三、收到和处理\n");
        let at = d.text.find("三、").unwrap();
        assert!(in_pipe_table(&d, at));
        assert!(!in_pipe_table(&d, d.text.rfind("三、").unwrap()));
    }

    #[test]
    fn a_heading_inside_a_pipe_row_is_not_a_part() {
        let rules = pack("sections:\n  - { id: part.3, label: 三, heading: '三\\s*[、.．]\\s*收到' }\n");
        let d = doc("| 三、 | 收到 | 9 |\n正文\n三、收到和处理\n");
        let f = crate::extract::extract(&d, &rules);
        assert_eq!(f["part.3"].span.map(|s| s.line), Some(3));
        // Without pipes the same words are the heading.
        let f = crate::extract::extract(&doc("三、收到 9\n"), &rules);
        assert_eq!(f["part.3"].span.map(|s| s.line), Some(1));
    }

    #[test]
    fn many_label_less_rows_fall_back_without_cost() {
        // 3,000 label-less pipe rows between two labelled ones: more rows than free places, so
        // the pieces are not this table's and the digit path reads it (honestly unsettled).
        let rules = pack(TABLE);
        let mut text = String::from("表\n| 子 | 1 | 1 | 2 | 2 |\n");
        for i in 0..3000 {
            text.push_str(&format!("| {i} | {i} | 0 | 0 |\n"));
        }
        text.push_str("| 卯 | 0 | 0 | 0 | 0 |\n");
        let d = doc(&text);
        let started = std::time::Instant::now();
        let x = crate::extract::extract_full(&d, &rules, &Default::default());
        assert!(started.elapsed().as_secs() < 5);
        assert_eq!(x.tables.iter().map(|t| t.source).collect::<Vec<_>>(), ["digit-run"]);
        assert_eq!(placements(12, &(0..30).collect::<Vec<_>>()), None);
    }
}
