//! Pipe rows in plain text ("| 规章 | 0 | 0 | 0 |"), as Markdown converters and PDF-to-text
//! tools write them, turned into [`SourceTable`]s with origin [`TableOrigin::TextPipes`].
//!
//! A separator line ("|---|---|") closes the table above it and makes the line before it the
//! header of a new table: converters emit one Markdown table per fragment they see, so a PDF
//! table broken into pieces arrives as many small tables, often with a data row promoted to
//! "header". Which rows are really headers is decided by content, not by the separator: a row
//! with no number cell ("类别 | 数据1 | … | 总计"), or a row of column numbers ("1 | 2 | … | 7").
//! Cells keep their byte ranges in the text; a table's rows are padded with blank cells to
//! the widest row, since fragments disagree on their width.

use super::tables::{SourceCell, SourceTable, TableOrigin};

/// Rows per table (a longer run of pipe rows is cut into several tables), tables per document
/// and cells per row: a text is not a spreadsheet.
const MAX_ROWS: usize = 2_000;
const MAX_TABLES: usize = 2_000;
const MAX_COLUMNS: usize = 64;

/// Every pipe table in `text`, in text order.
///
/// Only lines holding a `|` can be pipe rows, so those are found with memchr and every other
/// line is passed over at once: it only ends the table above it. (Most reports have no pipe at
/// all, and walking every line was a seventh of loading one.)
pub fn pipe_tables(text: &str) -> Vec<SourceTable> {
    let mut out: Vec<SourceTable> = Vec::new();
    let mut rows: Vec<Vec<SourceCell>> = Vec::new();
    let mut table_start = 0;
    let mut table_end = 0;
    let bytes = text.as_bytes();
    // Where the line after the last one read begins: a gap before the next line read is lines
    // without a pipe.
    let mut pos = 0;
    let mut from = 0;
    while let Some(bar) = memchr::memchr(b'|', &bytes[from..]).map(|i| from + i) {
        let start = memchr::memrchr(b'\n', &bytes[..bar]).map_or(0, |i| i + 1);
        let next = memchr::memchr(b'\n', &bytes[bar..]).map_or(text.len(), |i| bar + i + 1);
        from = next;
        if start > pos {
            flush(&mut out, &mut rows, table_start, table_end);
        }
        pos = next;
        pipe_line(text, &text[start..next], start, &mut out, &mut rows, &mut table_start, &mut table_end);
    }
    flush(&mut out, &mut rows, table_start, table_end);
    out
}

/// One line (with its newline) that holds a pipe, at byte `start` of `text`.
fn pipe_line(
    text: &str,
    line: &str,
    start: usize,
    out: &mut Vec<SourceTable>,
    rows: &mut Vec<Vec<SourceCell>>,
    table_start: &mut usize,
    table_end: &mut usize,
) {
    let body = line.trim_end_matches(['\n', '\r']);
    let trimmed = body.trim();
    if !trimmed.starts_with('|') || trimmed.len() < 2 {
        flush(out, rows, *table_start, *table_end);
        return;
    }
    if is_separator(trimmed) {
        // The row before the separator opens a new table.
        let header = rows.pop();
        let header_start = header.as_ref().and_then(|r| r.first()).map_or(start, |c| line_start(text, c.start));
        flush(out, rows, *table_start, header_start);
        if let Some(h) = header {
            *table_start = header_start;
            rows.push(h);
        } else {
            *table_start = start;
        }
        *table_end = start + body.len();
        return;
    }
    if rows.len() >= MAX_ROWS {
        // A table this long is cut into tables of MAX_ROWS rows: nothing is dropped.
        flush(out, rows, *table_start, *table_end);
    }
    if rows.is_empty() {
        *table_start = start;
    }
    rows.push(cells_of(body, start));
    *table_end = start + body.len();
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// "|---|:--:|" and the like: only pipes, dashes, colons and spaces, at least one dash.
fn is_separator(line: &str) -> bool {
    line.contains('-') && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t' | '—' | '－'))
}

/// The cells of one pipe row; the text before the first pipe and after the last is not a cell.
fn cells_of(line: &str, base: usize) -> Vec<SourceCell> {
    let mut cells = Vec::new();
    let bars: Vec<usize> = line.match_indices('|').map(|(i, _)| i).collect();
    for w in bars.windows(2) {
        if cells.len() >= MAX_COLUMNS {
            break;
        }
        let raw = &line[w[0] + 1..w[1]];
        let lead = raw.len() - raw.trim_start().len();
        let t = raw.trim();
        let s = base + w[0] + 1 + lead;
        cells.push(SourceCell {
            text: t.split_whitespace().collect::<Vec<_>>().join(" "),
            start: s,
            end: s + t.len(),
            blank: t.is_empty(),
            merged: false,
        });
    }
    // "| a | b" without the closing pipe: the rest of the line is the last cell.
    if let Some(&last) = bars.last()
        && last + 1 < line.len()
        && !line[last + 1..].trim().is_empty()
        && cells.len() < MAX_COLUMNS
    {
        let raw = &line[last + 1..];
        let lead = raw.len() - raw.trim_start().len();
        let t = raw.trim();
        let s = base + last + 1 + lead;
        cells.push(SourceCell { text: t.to_string(), start: s, end: s + t.len(), blank: false, merged: false });
    }
    cells
}

fn flush(out: &mut Vec<SourceTable>, rows: &mut Vec<Vec<SourceCell>>, start: usize, end: usize) {
    if rows.is_empty() {
        return;
    }
    let mut rows = std::mem::take(rows);
    if out.len() >= MAX_TABLES {
        return;
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    for r in &mut rows {
        let at = r.last().map_or(start, |c| c.end);
        while r.len() < width {
            r.push(SourceCell { text: String::new(), start: at, end: at, blank: true, merged: false });
        }
    }
    let header_rows = rows.iter().take_while(|r| is_header_row(r)).count();
    out.push(SourceTable { origin: TableOrigin::TextPipes, rows, header_rows, start, end: end.max(start) });
}

/// A cell that holds one number as printed in a table: digits (ASCII or full-width), an
/// optional sign and decimal part, an optional money unit.
pub fn is_number_cell(t: &str) -> bool {
    let t = t.trim();
    let t = t.strip_suffix("万元").or_else(|| t.strip_suffix("亿元")).or_else(|| t.strip_suffix('元')).unwrap_or(t).trim_end();
    let t = t.strip_prefix(['+', '-', '－', '＋']).unwrap_or(t);
    let mut digits = 0;
    let mut dots = 0;
    for c in t.chars() {
        match c {
            '0'..='9' | '０'..='９' => digits += 1,
            '.' | '．' if digits > 0 => dots += 1,
            ',' | '，' if digits > 0 => {}
            _ => return false,
        }
    }
    digits > 0 && dots <= 1
}

/// "1 | 2 | 3 | … | n" (n ≥ 3): the column numbers some templates print under the header.
pub fn is_column_numbers(cells: &[&str]) -> bool {
    let nums: Vec<&str> = cells.iter().copied().filter(|c| !c.trim().is_empty()).collect();
    nums.len() >= 3 && nums.iter().enumerate().all(|(i, c)| c.trim().parse::<usize>().ok() == Some(i + 1))
}

/// A header row: no cell holds a number, or the numbers are the columns' own numbers.
fn is_header_row(row: &[SourceCell]) -> bool {
    let texts: Vec<&str> = row.iter().map(|c| c.text.as_str()).collect();
    !texts.iter().any(|t| is_number_cell(t)) || is_column_numbers(&texts)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Before memchr: every line of the text walked.
    pub(in crate::load) fn pipe_tables_reference(text: &str) -> Vec<SourceTable> {
        let mut out: Vec<SourceTable> = Vec::new();
        let mut rows: Vec<Vec<SourceCell>> = Vec::new();
        let mut table_start = 0;
        let mut table_end = 0;
        let mut pos = 0;
        for line in text.split_inclusive('\n') {
            let start = pos;
            pos += line.len();
            let body = line.trim_end_matches(['\n', '\r']);
            let trimmed = body.trim();
            if !trimmed.starts_with('|') || trimmed.len() < 2 {
                flush(&mut out, &mut rows, table_start, table_end);
                continue;
            }
            if is_separator(trimmed) {
                // The row before the separator opens a new table.
                let header = rows.pop();
                let header_start = header.as_ref().and_then(|r| r.first()).map_or(start, |c| line_start(text, c.start));
                flush(&mut out, &mut rows, table_start, header_start);
                if let Some(h) = header {
                    table_start = header_start;
                    rows.push(h);
                } else {
                    table_start = start;
                }
                table_end = start + body.len();
                continue;
            }
            if rows.len() >= MAX_ROWS {
                // A table this long is cut into tables of MAX_ROWS rows: nothing is dropped.
                flush(&mut out, &mut rows, table_start, table_end);
            }
            if rows.is_empty() {
                table_start = start;
            }
            rows.push(cells_of(body, start));
            table_end = start + body.len();
        }
        flush(&mut out, &mut rows, table_start, table_end);
        out
    }

    #[test]
    fn markdown_fragments_become_tables_and_headers_are_read_by_content() {
        let text = "前言\n| 信息内容 | 本年制发件数 |\n|---|---|\n| 规章 | 0 |\n| 规范性文件 | 13 |\n正文\n| 0 | 0 | 0 |\n|---|---|---|\n| 1.属于国家秘密 | 0 | 0 | 0 |\n";
        let t = pipe_tables(text);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].header_rows, 1);
        assert_eq!(t[0].rows[2][1].text, "13");
        assert_eq!(&text[t[0].rows[2][1].start..t[0].rows[2][1].end], "13");
        // A data row promoted to "header" by the converter is data.
        assert_eq!(t[1].header_rows, 0);
        assert_eq!(t[1].rows.len(), 2);
        // Padded to the widest row with blank cells.
        assert_eq!(t[1].rows[0].len(), 4);
        assert!(t[1].rows[0][3].blank);
        assert!(t.iter().all(|t| t.origin == TableOrigin::TextPipes));
        assert_eq!(&text[t[1].start..t[1].start + 5], "| 0 |");
    }

    #[test]
    fn column_number_rows_and_label_headers_are_headers() {
        let t = pipe_tables("| 类别 | 数据1 | 数据2 | 总计 |\n|---|---|---|---|\n| 1 | 2 | 3 | 4 |\n| 新收 | 5 | 0 | 5 |\n");
        assert_eq!(t[0].header_rows, 2);
        assert!(!is_column_numbers(&["1", "2", "4"]));
        assert!(is_number_cell("4068.208") && is_number_cell("22979.87万元") && is_number_cell("１２"));
        assert!(!is_number_cell("数据1") && !is_number_cell("-") && !is_number_cell("1.2.3"));
    }

    #[test]
    fn text_without_pipes_has_no_tables() {
        assert!(pipe_tables("一、总体情况\n行政许可 97\n").is_empty());
        assert!(pipe_tables("|").is_empty());
    }

    #[test]
    fn pipe_tables_are_what_walking_every_line_found_on_every_corpus_file() {
        let mut with_tables = 0;
        for crate::load::tests::Sample { name, bytes, .. } in crate::load::tests::corpus_variants() {
            let text = crate::load::decode(bytes).text;
            let tables = pipe_tables(&text);
            assert_eq!(tables, pipe_tables_reference(&text), "{name}");
            with_tables += usize::from(!tables.is_empty());
        }
        assert!(with_tables >= 20, "{with_tables} texts with pipe tables");
    }

    #[test]
    fn lines_without_a_pipe_end_a_table_wherever_they_are() {
        for text in [
            "| a | 1 |\n\n| b | 2 |\n",
            "| a | 1 |\n正文\n| b | 2 |",
            "正文 | 不是表\n| a | 1 |\n|---|---|\n| b | 2 |\n尾\n",
            "| a | 1 |\r\n| b | 2 |\r\n\r\n|\n| c | 3 |\n  |  \n| d |",
            "|",
            "||\n||\n",
            "\n\n| a |\n",
        ] {
            assert_eq!(pipe_tables(text), pipe_tables_reference(text), "{text:?}");
        }
        assert_eq!(pipe_tables("| a | 1 |\n\n| b | 2 |\n").len(), 2);
    }
}
