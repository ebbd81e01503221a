//! Tables as one Excel workbook, one sheet per table.
//!
//! Row 1 holds the Chinese labels (bold, wrapped), row 2 the ids (grey) with the autofilter; both
//! are frozen, and so are a table's leading columns. Column widths follow the display width of the
//! content (a Han character counts two), clamped to 6..=60; a long header label wraps rather than
//! widening its column past 24.

use std::borrow::Cow;
use std::collections::HashMap;

use anyhow::{Context, bail};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::{Cell, Table};
use crate::text::display_width;

/// Excel's limits: rows per sheet, columns per sheet, UTF-16 units per cell.
const MAX_ROWS: usize = 1_048_576;
const MAX_COLS: usize = 16_384;
const MAX_CELL_UTF16: usize = 32_767;

const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;
/// A header label wider than this wraps instead of widening its column.
const MAX_HEADER_WIDTH: usize = 24;

struct Formats {
    header: Format,
    ids: Format,
    wrap: Format,
    /// Number formats showing an amount's unit, by unit.
    units: HashMap<String, Format>,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new().set_bold().set_text_wrap().set_align(FormatAlign::Top).set_background_color(Color::RGB(0xE7EEF7)),
            ids: Format::new().set_font_color(Color::RGB(0x7F7F7F)).set_border_bottom(FormatBorder::Thin),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            units: HashMap::new(),
        }
    }

    fn unit(&mut self, unit: &str) -> &Format {
        self.units.entry(unit.to_string()).or_insert_with(|| {
            // Quotes and backslashes would end the literal; a unit never needs them.
            let literal: String = unit.chars().filter(|c| !matches!(c, '"' | '\\')).collect();
            Format::new().set_num_format(format!("General\"{literal}\""))
        })
    }
}

/// The workbook as bytes.
pub(crate) fn workbook(tables: &[Table]) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let mut formats = Formats::new();
    for t in tables {
        if t.rows.len() + 2 > MAX_ROWS || t.columns.len() > MAX_COLS {
            bail!(
                "sheet {} would need {} rows and {} columns, beyond what a spreadsheet holds ({MAX_ROWS} × {MAX_COLS}); export as csv instead",
                t.name,
                t.rows.len() + 2,
                t.columns.len()
            );
        }
        let ws = wb.add_worksheet();
        write_sheet(ws, t, &mut formats).with_context(|| format!("writing sheet {}", t.name))?;
    }
    wb.save_to_buffer().context("assembling the xlsx workbook")
}

fn write_sheet(ws: &mut Worksheet, t: &Table, formats: &mut Formats) -> Result<(), XlsxError> {
    ws.set_name(t.name)?;
    for (c, col) in t.columns.iter().enumerate() {
        let c = col_num(c);
        ws.write_string_with_format(0, c, fit(&col.label), &formats.header)?;
        ws.write_string_with_format(1, c, fit(&col.id), &formats.ids)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = row_num(r + 2);
        for (c, cell) in row.iter().enumerate() {
            let wrap = t.columns.get(c).is_some_and(|col| col.wrap);
            let c = col_num(c);
            match cell {
                Cell::Empty => {}
                Cell::Text(s) if wrap => {
                    ws.write_string_with_format(r, c, fit(s), &formats.wrap)?;
                }
                Cell::Text(s) => {
                    ws.write_string(r, c, fit(s))?;
                }
                Cell::Int(i) => {
                    // Beyond 2^53 a double loses digits: keep such a count exact as text.
                    if i.unsigned_abs() <= 1 << 53 {
                        ws.write_number(r, c, *i as f64)?;
                    } else {
                        ws.write_string(r, c, i.to_string())?;
                    }
                }
                Cell::Num(d) => {
                    ws.write_number(r, c, *d)?;
                }
                Cell::Amount(v, unit) => {
                    ws.write_number_with_format(r, c, *v, formats.unit(unit))?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean(r, c, *b)?;
                }
            }
        }
    }
    for (c, w) in widths(t).into_iter().enumerate() {
        ws.set_column_width(col_num(c), w as f64)?;
    }
    if !t.columns.is_empty() {
        ws.autofilter(1, 0, row_num(t.rows.len() + 1), col_num(t.columns.len() - 1))?;
    }
    ws.set_freeze_panes(2, t.frozen_cols)?;
    Ok(())
}

/// Column widths in characters: the widest cell (or line of a wrapped cell), the id, and the
/// label up to [`MAX_HEADER_WIDTH`], plus one for padding, clamped to 6..=60.
pub(crate) fn widths(t: &Table) -> Vec<usize> {
    t.columns
        .iter()
        .enumerate()
        .map(|(c, col)| {
            let header = display_width(&col.label).min(MAX_HEADER_WIDTH).max(display_width(&col.id).min(MAX_HEADER_WIDTH));
            let data = t
                .rows
                .iter()
                .filter_map(|row| row.get(c))
                .map(|cell| match cell {
                    Cell::Text(s) => s.lines().map(display_width).max().unwrap_or(0),
                    other => display_width(&other.display()),
                })
                .max()
                .unwrap_or(0);
            (header.max(data) + 1).clamp(MIN_WIDTH, MAX_WIDTH)
        })
        .collect()
}

/// Text cut to what one cell holds, ending in "…" when cut.
fn fit(s: &str) -> Cow<'_, str> {
    if s.len() <= MAX_CELL_UTF16 || s.encode_utf16().count() <= MAX_CELL_UTF16 {
        return Cow::Borrowed(s);
    }
    let mut used = 0;
    let mut end = 0;
    for (i, ch) in s.char_indices() {
        if used + ch.len_utf16() > MAX_CELL_UTF16 - 1 {
            break;
        }
        used += ch.len_utf16();
        end = i + ch.len_utf8();
    }
    Cow::Owned(format!("{}…", &s[..end]))
}

/// Callers check the sheet limits first, so these never saturate in practice.
fn row_num(r: usize) -> u32 {
    u32::try_from(r).unwrap_or(u32::MAX)
}

fn col_num(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Column;

    fn table(label: &str, rows: Vec<Vec<Cell>>) -> Table {
        Table { name: "表", columns: vec![Column { label: label.into(), id: "x".into(), wrap: false }], rows, frozen_cols: 0 }
    }

    #[test]
    fn widths_count_han_as_two_and_clamp() {
        assert_eq!(widths(&table("文件", vec![])), [6]);
        assert_eq!(widths(&table("a", vec![vec![Cell::text("开远市人民政府")]])), [15]);
        assert_eq!(widths(&table("a", vec![vec![Cell::text("很".repeat(100))]])), [60]);
        // A long label wraps: it widens its column only up to 24 (+1).
        assert_eq!(widths(&table(&"长".repeat(40), vec![])), [25]);
        // Wrapped text is measured by its widest line.
        assert_eq!(widths(&table("a", vec![vec![Cell::text("abcdefghij\nab")]])), [11]);
    }

    #[test]
    fn fit_cuts_only_overlong_text() {
        assert!(matches!(fit("短"), Cow::Borrowed("短")));
        let long = "长".repeat(MAX_CELL_UTF16 + 10);
        let cut = fit(&long);
        assert_eq!(cut.encode_utf16().count(), MAX_CELL_UTF16);
        assert!(cut.ends_with('…'));
        // Astral characters take two UTF-16 units and are never split.
        let astral = "𠀀".repeat(MAX_CELL_UTF16);
        assert!(fit(&astral).encode_utf16().count() <= MAX_CELL_UTF16);
    }

    #[test]
    fn too_many_rows_is_an_error_not_a_panic() {
        let rows = vec![Vec::new(); MAX_ROWS];
        let err = workbook(&[table("a", rows)]).unwrap_err();
        assert!(err.to_string().contains("export as csv"), "{err}");
    }
}
