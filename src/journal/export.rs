//! The log for people: CSV for spreadsheets, a plain listing for the terminal.

use std::collections::HashMap;
use std::io::{self, Write};

use super::record::{Action, Record};

pub const CSV_HEADER: [&str; 14] = [
    "ts", "reviewer", "report", "path", "action", "field", "old", "new", "reason", "rule",
    "finding", "note", "target", "id",
];

/// Writes `records` as CSV: UTF-8 with a byte-order mark (Excel and WPS otherwise guess a legacy
/// code page and garble Chinese), CRLF rows, RFC 4180 quoting. A cell starting with `=`, `+`,
/// `-`, `@`, tab or CR gets a leading `'` so a spreadsheet never runs it as a formula.
pub fn to_csv(records: &[Record], out: &mut dyn Write) -> io::Result<()> {
    let mut buf = String::from("\u{FEFF}");
    push_row(&mut buf, CSV_HEADER.iter().copied());
    for r in records {
        push_row(&mut buf, csv_row(r).into_iter());
    }
    out.write_all(buf.as_bytes())?;
    out.flush()
}

/// A record's cells in `CSV_HEADER` order ("" for absent keys).
pub fn csv_row(r: &Record) -> [&str; 14] {
    [
        r.ts.as_str(),
        &r.reviewer,
        &r.report,
        &r.path,
        r.action.as_str(),
        opt(&r.field),
        opt(&r.old),
        opt(&r.new),
        opt(&r.reason),
        opt(&r.rule),
        opt(&r.finding),
        opt(&r.note),
        opt(&r.target),
        &r.id,
    ]
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or_default()
}

fn push_row<'a>(buf: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            buf.push(',');
        }
        push_cell(buf, cell);
    }
    buf.push_str("\r\n");
}

fn push_cell(buf: &mut String, cell: &str) {
    push_csv_cell(buf, cell, true);
}

/// One RFC 4180 cell: quoted when it holds `"`, `,`, CR or LF; with `guard`, a cell starting with
/// `=`, `+`, `-`, `@`, tab or CR gets a `'` so a spreadsheet shows it as text instead of running it.
pub fn push_csv_cell(buf: &mut String, cell: &str, guard: bool) {
    let guard = guard && cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = cell.contains(['"', ',', '\n', '\r']);
    if quote {
        buf.push('"');
    }
    if guard {
        buf.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            buf.push('"');
        }
        buf.push(c);
    }
    if quote {
        buf.push('"');
    }
}

/// One line per record for `nianbao log show`:
/// `ts reviewer action path field/rule: old → new (reason)`.
pub fn to_text(records: &[Record]) -> String {
    let by_id: HashMap<&str, &Record> = records.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut out = String::new();
    for r in records {
        out.push_str(&one_line(&format!(
            "{} {} {} {} {}",
            r.ts,
            r.reviewer,
            r.action.as_str(),
            r.path,
            what(r, &by_id)
        )));
        out.push('\n');
    }
    out
}

fn what(r: &Record, by_id: &HashMap<&str, &Record>) -> String {
    let mut s = subject(r, by_id);
    let why = match r.action {
        Action::Correct => r.reason.as_deref(),
        _ => r.note.as_deref(),
    };
    if let Some(why) = why.filter(|w| !w.trim().is_empty()) {
        s.push_str(&format!(" ({why})"));
    }
    if !r.settles.is_empty() {
        let whose: Vec<&str> = r.settles.iter().map(|id| by_id.get(id.as_str()).map_or(id.as_str(), |o| o.reviewer.as_str())).collect();
        s.push_str(&format!(" [overrides {}]", whose.join(", ")));
    }
    s
}

/// What the record acts on, without the reason or note.
fn subject(r: &Record, by_id: &HashMap<&str, &Record>) -> String {
    match r.action {
        Action::Correct => format!(
            "{}: {} → {}",
            r.field.as_deref().unwrap_or_default(),
            shown(r.old.as_deref()),
            shown(r.new.as_deref())
        ),
        Action::Confirm | Action::Dismiss => r.subject().unwrap_or_default().to_string(),
        Action::Revert => {
            let target = r.target.as_deref().unwrap_or_default();
            match by_id.get(target) {
                Some(t) if t.action != Action::Revert => {
                    format!("undo {} {}", t.action.as_str(), subject(t, by_id))
                }
                _ => format!("undo {target}"),
            }
        }
    }
}

fn shown(v: Option<&str>) -> &str {
    match v {
        None | Some("") => "(blank)",
        Some(v) => v,
    }
}

/// Keeps a record on one terminal line: control characters are shown escaped.
fn one_line(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let esc: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            esc
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Verdict;

    fn fixed(mut r: Record, id: &str) -> Record {
        r.id = id.into();
        r.ts = "2026-11-22T06:10:03.123Z".into();
        r
    }

    fn csv(records: &[Record]) -> String {
        let mut out = Vec::new();
        to_csv(records, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_has_bom_header_and_crlf() {
        let text = csv(&[]);
        assert_eq!(
            text,
            "\u{FEFF}ts,reviewer,report,path,action,field,old,new,reason,rule,finding,note,target,id\r\n"
        );
        let r = fixed(
            Record::correct(
                "3f2a",
                "samples/004.txt",
                "t3.new.total",
                "5",
                "6",
                "原表第一行合计为6",
                "wang",
            ),
            "a1",
        );
        let text = csv(&[r]);
        let row = text.split("\r\n").nth(1).unwrap();
        assert_eq!(
            row,
            "2026-11-22T06:10:03.123Z,wang,3f2a,samples/004.txt,correct,t3.new.total,5,6,原表第一行合计为6,,,,,a1"
        );
    }

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        let r = fixed(
            Record::correct(
                "c",
                "a,b.txt",
                "f",
                "-5",
                "=SUM(A1)",
                "他说\"对\"\n第二行",
                "@w",
            ),
            "+id",
        );
        let text = csv(&[r]);
        let row = &text[text.find("\r\n").unwrap() + 2..];
        assert_eq!(
            row,
            "2026-11-22T06:10:03.123Z,'@w,c,\"a,b.txt\",correct,f,'-5,'=SUM(A1),\"他说\"\"对\"\"\n第二行\",,,,,'+id\r\n"
        );
        let mut q = String::new();
        push_cell(&mut q, "=1,2");
        assert_eq!(q, "\"'=1,2\"");
    }

    #[test]
    fn text_listing() {
        let a = fixed(
            Record::correct(
                "c",
                "samples/004.txt",
                "t3.new.total",
                "",
                "6",
                "原表第一行合计为6",
                "wang",
            ),
            "a",
        );
        let d = fixed(
            Record::decide(
                "c",
                "samples/004.txt",
                Verdict::Dismissed,
                "table3.balance",
                "table3.balance[col=total]",
                "扫描件\n漏行",
                "li",
            ),
            "d",
        );
        let u = fixed(Record::revert(&a, "wrong row", "wang"), "u");
        let mut ghost = fixed(Record::revert(&a, "", "wang"), "g");
        ghost.target = Some("zz".into());
        let text = to_text(&[a, d, u, ghost]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "2026-11-22T06:10:03.123Z wang correct samples/004.txt t3.new.total: (blank) → 6 (原表第一行合计为6)",
                "2026-11-22T06:10:03.123Z li dismiss samples/004.txt table3.balance[col=total] (扫描件\\n漏行)",
                "2026-11-22T06:10:03.123Z wang revert samples/004.txt undo correct t3.new.total: (blank) → 6 (wrong row)",
                "2026-11-22T06:10:03.123Z wang revert samples/004.txt undo zz",
            ]
        );
    }
}
