//! Tables as CSV for Excel and WPS: BOM, CRLF, RFC 4180 quoting, formula guard on text cells.

use super::{Cell, Table};

/// The table with two header rows (Chinese labels, then ids) and its data rows.
pub(crate) fn table_to_csv(t: &Table) -> Vec<u8> {
    let mut buf = String::from("\u{FEFF}");
    push_row(&mut buf, t.columns.iter().map(|c| (c.label.as_str(), true)));
    push_row(&mut buf, t.columns.iter().map(|c| (c.id.as_str(), true)));
    for row in &t.rows {
        let cells: Vec<(String, bool)> = row.iter().map(|c| (c.display(), guarded(c))).collect();
        push_row(&mut buf, cells.iter().map(|(s, g)| (s.as_str(), *g)));
    }
    buf.into_bytes()
}

/// Only text can smuggle a formula; a number we formatted ourselves (e.g. `-3`) stays a number.
fn guarded(c: &Cell) -> bool {
    matches!(c, Cell::Text(_) | Cell::Amount(..))
}

fn push_row<'a>(buf: &mut String, cells: impl Iterator<Item = (&'a str, bool)>) {
    for (i, (cell, guard)) in cells.enumerate() {
        if i > 0 {
            buf.push(',');
        }
        crate::journal::push_csv_cell(buf, cell, guard);
    }
    buf.push_str("\r\n");
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Column;

    fn table(rows: Vec<Vec<Cell>>) -> Table {
        Table {
            name: "t",
            columns: vec![
                Column { label: "说明".into(), id: "message".into(), wrap: true },
                Column { label: "数".into(), id: "n".into(), wrap: false },
            ],
            rows,
            frozen_cols: 0,
        }
    }

    fn text(t: &Table) -> String {
        String::from_utf8(table_to_csv(t)).unwrap()
    }

    #[test]
    fn bom_two_header_rows_and_crlf() {
        let s = text(&table(vec![vec![Cell::text("好"), Cell::Int(5)]]));
        assert_eq!(s, "\u{FEFF}说明,数\r\nmessage,n\r\n好,5\r\n");
    }

    #[test]
    fn quotes_commas_quotes_and_newlines() {
        let s = text(&table(vec![vec![Cell::text("a, \"b\"\nc"), Cell::Empty]]));
        assert!(s.ends_with("\"a, \"\"b\"\"\nc\",\r\n"), "{s:?}");
    }

    #[test]
    fn text_is_guarded_numbers_are_not() {
        let s = text(&table(vec![
            vec![Cell::text("=SUM(A1)"), Cell::Int(-3)],
            vec![Cell::text("-1+2, x"), Cell::Num(-0.5)],
            vec![Cell::text("@cmd"), Cell::Amount(-2.0, "万元".into())],
        ]));
        let rows: Vec<&str> = s.split("\r\n").collect();
        assert_eq!(rows[2], "'=SUM(A1),-3");
        assert_eq!(rows[3], "\"'-1+2, x\",-0.5");
        assert_eq!(rows[4], "'@cmd,'-2万元");
    }
}
