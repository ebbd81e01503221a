//! Status checks: fields in a state (ambiguous, blank) grouped into findings — one per field, per
//! table row, or per table. A reviewer needs one finding that lists a table's blank cells, not one
//! per row or per cell.

use std::collections::HashMap;

use crate::model::{Field, Fields, Span, Status, Value, display_opt};
use crate::rules::{Per, RuleSet, glob_match};

/// Rows described in full in a per-table finding; the rest are counted.
const ROWS_LISTED: usize = 3;

/// One finding's worth of fields and the message locals that describe them.
pub(super) struct Group {
    pub key: String,
    pub span: Option<Span>,
    pub ids: Vec<String>,
    pub locals: HashMap<String, Value>,
}

/// The row a cell belongs to: its joint group, else its id without the column.
fn row_of(f: &Field) -> String {
    f.joint.as_ref().map(|j| j.group.trim_end_matches('.').to_string()).unwrap_or_else(|| f.id.rsplit_once('.').map_or(f.id.clone(), |(a, _)| a.to_string()))
}

/// The table a cell belongs to: the longest table prefix of the pack its id starts with.
fn table_of(f: &Field, rules: &RuleSet) -> (String, String) {
    let best = rules
        .tables
        .iter()
        .filter(|t| f.id.strip_prefix(t.prefix.as_str()).is_some_and(|rest| rest.starts_with('.')))
        .max_by_key(|t| t.prefix.len());
    match best {
        // "表二 第二十条第（一）项（2021格式）" → "表二": the tables sharing a prefix are one table.
        Some(t) => (t.prefix.clone(), t.label.split_whitespace().next().unwrap_or(&t.label).to_string()),
        None => {
            let p = f.id.split('.').next().unwrap_or(&f.id).to_string();
            (p.clone(), p)
        }
    }
}

/// How many cells the report has in a row.
fn row_width(fields: &Fields, row: &str) -> usize {
    let stem = format!("{row}.");
    fields
        .range::<str, _>((std::ops::Bound::Included(stem.as_str()), std::ops::Bound::Unbounded))
        .take_while(|(k, _)| k.starts_with(&stem))
        .filter(|(k, _)| !k[stem.len()..].contains('.'))
        .count()
}

fn row_label(f: &Field) -> &str {
    f.label.rsplit_once('·').map_or(f.label.as_str(), |(a, _)| a)
}

fn col_label(f: &Field) -> &str {
    f.label.rsplit_once('·').map_or(f.label.as_str(), |(_, b)| b)
}

fn describe(f: &Field) -> String {
    let c: Vec<String> = f.candidates.iter().map(|c| display_opt(&c.value)).collect();
    c.join(" | ")
}

/// A row's cells: "自然人 5 | (空)；商业企业 0 | 5" for ambiguous cells, "自然人、商业企业" for blanks.
fn cells(members: &[&Field], ambiguous: bool) -> String {
    if ambiguous {
        members.iter().map(|f| format!("{} {}", col_label(f), describe(f))).collect::<Vec<_>>().join("；")
    } else {
        members.iter().map(|f| col_label(f)).collect::<Vec<_>>().join("、")
    }
}

pub(super) fn groups(fields: &Fields, rules: &RuleSet, ambiguous: bool, globs: &[String], per: Per) -> Vec<Group> {
    let mut groups: Vec<(String, String, Vec<&Field>)> = Vec::new();
    for f in fields.values() {
        let wanted = if ambiguous { f.status == Status::Ambiguous } else { f.value.is_none() && !f.status.is_uncertain() };
        if !wanted || (!globs.is_empty() && !globs.iter().any(|g| glob_match(g, &f.id))) {
            continue;
        }
        // A field taken from an ambiguous one (`from:`) is that field's uncertainty again.
        if ambiguous && rules.fields.iter().any(|r| r.id == f.id && !r.from.is_empty()) {
            continue;
        }
        let (group, label) = match per {
            Per::Field => (f.id.clone(), f.label.clone()),
            Per::Row => (row_of(f), row_label(f).to_string()),
            Per::Table => table_of(f, rules),
        };
        match groups.iter_mut().find(|(g, _, _)| *g == group) {
            Some((_, _, v)) => v.push(f),
            None => groups.push((group, label, vec![f])),
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for (group, label, mut members) in groups {
        // Cells in the table's order (rows, then columns), not id order.
        members.sort_by_cached_key(|f| rules.cell_order.get(&f.id).copied().unwrap_or(usize::MAX));
        let first = members[0];
        let mut rows: Vec<(String, Vec<&Field>)> = Vec::new();
        for f in &members {
            let r = row_of(f);
            match rows.iter_mut().find(|(x, _)| *x == r) {
                Some((_, v)) => v.push(f),
                None => rows.push((r, vec![f])),
            }
        }
        let candidates = match per {
            Per::Field => describe(first),
            Per::Row => cells(&members, ambiguous),
            Per::Table => {
                let mut listed: Vec<String> = Vec::new();
                for (_, cs) in rows.iter().take(if ambiguous { ROWS_LISTED } else { usize::MAX }) {
                    // A row blank in every column it has is named once.
                    let whole = !ambiguous && cs.len() > 1 && cs.len() == row_width(fields, &row_of(cs[0]));
                    let inner = if whole { "整行".to_string() } else { cells(cs, ambiguous) };
                    listed.push(if ambiguous { format!("“{}”{inner}", row_label(cs[0])) } else { format!("“{}”（{inner}）", row_label(cs[0])) });
                }
                if rows.len() > listed.len() {
                    listed.push(format!("……等共{}行", rows.len()));
                }
                listed.join(if ambiguous { " / " } else { "、" })
            }
        };
        let locals = HashMap::from([
            ("field".to_string(), Value::Text(group.clone())),
            ("label".to_string(), Value::Text(label)),
            ("candidates".to_string(), Value::Text(candidates)),
            ("raw".to_string(), Value::Text(first.raw.clone())),
            ("count".to_string(), Value::Int(members.len() as i64)),
            ("rows".to_string(), Value::Int(rows.len() as i64)),
        ]);
        out.push(Group { key: group, span: first.span, ids: members.iter().map(|f| f.id.clone()).collect(), locals });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack() -> RuleSet {
        crate::rules::compile::compile(
            None,
            &[(
                "r.yaml".into(),
                "tables:\n  - id: t3\n    label: 表三 收到和处理\n    start: '表'\n    columns: [{ id: a, label: 甲列 }, { id: b, label: 乙列 }]\n    rows:\n      - { id: x, label: 一行 }\n      - { id: y, label: 二行 }\n".into(),
            )],
        )
        .unwrap_or_else(|e| panic!("{}", e[0]))
    }

    fn cell(id: &str, label: &str, v: Option<i64>) -> (String, Field) {
        (id.to_string(), Field::exact(id, label, v.map(Value::Int), "", None))
    }

    #[test]
    fn per_table_is_one_group_listing_rows_and_whole_blank_rows() {
        let rules = pack();
        let fields: Fields = [
            cell("t3.x.a", "一行·甲列", None),
            cell("t3.x.b", "一行·乙列", Some(1)),
            cell("t3.y.a", "二行·甲列", None),
            cell("t3.y.b", "二行·乙列", None),
        ]
        .into_iter()
        .collect();
        let g = groups(&fields, &rules, false, &[], Per::Table);
        assert_eq!(g.len(), 1, "one finding for the table");
        assert_eq!(g[0].key, "t3");
        assert_eq!(g[0].ids, ["t3.x.a", "t3.y.a", "t3.y.b"]);
        assert_eq!(g[0].locals["label"], Value::Text("表三".into()));
        assert_eq!(g[0].locals["candidates"], Value::Text("“一行”（甲列）、“二行”（整行）".into()));
        assert_eq!(g[0].locals["rows"], Value::Int(2));
        // Per row: one group per row, as before.
        assert_eq!(groups(&fields, &rules, false, &[], Per::Row).len(), 2);
        assert_eq!(groups(&fields, &rules, false, &[], Per::Field).len(), 3);
    }
}
