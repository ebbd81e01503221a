//! Extraction: a decoded report + a rule pack → fields, each with its source span and how sure
//! we are of it.
//!
//! Order: section headings first (so finders can look inside a part), then the fields that read
//! the text, then the tables, then the fields that read table fields (`apply.received` taken
//! from table 三 when the report has one). Nothing here knows what a field means: it all comes
//! from the rules.

pub mod cells;
mod fxhash;
mod joint;
mod memo;
pub mod pieces;
pub mod settle;
pub mod split;

use std::collections::BTreeMap;
use std::ops::Range;

use crate::expr::{Env, Lookup, Outcome};
use crate::load::{Document, TableOrigin};
use crate::model::{Candidate, Field, Fields, Status, Value};
use crate::rules::{FieldRule, RuleSet, Scope, TableRule};
use split::{RowResult, RowSpec, Settled};

/// Bytes of the report's opening and closing that the `head` and `tail` scopes cover.
pub const HEAD_BYTES: usize = 3000;
/// Matches a finder tries before giving up on values that do not convert.
const MAX_TRIES: usize = 50;
/// Candidates kept for one ambiguous cell.
const MAX_CANDIDATES: usize = 9;

/// A reviewer's correction of one field, applied the moment the field is extracted so that
/// fields read from it (the agency's kind, the grouping key) follow the corrected value.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    pub value: Option<Value>,
    pub note: String,
}

pub type Corrections = BTreeMap<String, Correction>;

pub fn extract(doc: &Document, rules: &RuleSet) -> Fields {
    extract_with(doc, rules, &Corrections::new())
}

/// Where one table's fields were read from: the source's cells (`html`, `docx`, `pdf`,
/// `text-pipes`) or digit runs in the text (`digit-run`).
#[derive(Debug, Clone, PartialEq)]
pub struct TableSource {
    /// The table rule's id (`t3`, `t2_2021_1`, …).
    pub table: String,
    pub source: &'static str,
    /// 1-based line where the table's rows start.
    pub line: usize,
    /// Indexes into `Document::tables` of the grids read (empty for digit runs).
    pub grids: Vec<usize>,
    /// Each field read from a cell: its grid (index into `Document::tables`), row and column.
    pub cells: BTreeMap<String, (usize, usize, usize)>,
}

/// Fields and where each table came from.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    pub fields: Fields,
    pub tables: Vec<TableSource>,
    pub claims: crate::claims::Claims,
}

pub fn extract_with(doc: &Document, rules: &RuleSet, corrections: &Corrections) -> Fields {
    extract_full(doc, rules, corrections).fields
}

/// Everything extraction learns: the fields, each table's source, and the claims of the prose.
/// Claims are read right after sectioning, so the fields and table hints that read `narr.*` see
/// them.
pub fn extract_full(doc: &Document, rules: &RuleSet, corrections: &Corrections) -> Extraction {
    let mut fields = Fields::new();
    let mut tables = Vec::new();
    extract_sections(doc, rules, &mut fields);
    let claims = crate::claims::read(doc, &fields, rules);
    crate::claims::add_fields(&claims, rules, &mut fields);
    for (id, c) in corrections.iter().filter(|(id, _)| id.starts_with("narr.")) {
        let found = fields.remove(id);
        let label = rules.label(id).unwrap_or(id).to_string();
        put(&mut fields, id, &label, found, &Corrections::from([(id.clone(), c.clone())]));
    }
    for f in rules.fields.iter().filter(|f| !f.after_tables) {
        let found = extract_field(doc, f, &fields).map(|x| read_name(x, f, rules));
        put(&mut fields, &f.id, &f.label, found, corrections);
    }
    for t in &rules.tables {
        if let Some(source) = extract_table(doc, t, &mut fields) {
            tables.push(source);
        }
    }
    // Table cells (and anything else) corrected by the reviewer, before the fields that read them.
    for (id, c) in corrections {
        if !rules.fields.iter().any(|f| &f.id == id) {
            let label = rules.label(id).unwrap_or(id).to_string();
            let found = fields.remove(id);
            put(&mut fields, id, &label, found, &Corrections::from([(id.clone(), c.clone())]));
        }
    }
    for f in rules.fields.iter().filter(|f| f.after_tables) {
        let found = extract_field(doc, f, &fields);
        put(&mut fields, &f.id, &f.label, found, corrections);
    }
    Extraction { fields, tables, claims }
}

/// The pack's fields a few fields are read from (their `from:` sources and `in: field:` scopes,
/// transitively), when all of them are read from the text before the tables: then
/// [`extract_only`] gives those fields exactly as [`extract_full`] does, without the claims, the
/// tables and every other field. `None` when one of them reads a table cell, a narrative claim
/// or a field read after the tables (or a field the pack does not define): only a full
/// extraction gives those.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSubset {
    ids: std::collections::BTreeSet<String>,
    /// A field reads a section (`in: part.N`, or the section's own fields).
    sections: bool,
}

impl FieldSubset {
    pub fn of(rules: &RuleSet, wanted: &[&str]) -> Option<FieldSubset> {
        let section_field =
            |id: &str| id == "sections.out_of_order" || rules.sections.iter().any(|s| s.id == id || id.strip_suffix(".body") == Some(s.id.as_str()));
        let mut ids = std::collections::BTreeSet::new();
        let mut sections = false;
        let mut todo: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
        while let Some(id) = todo.pop() {
            if !ids.insert(id.clone()) {
                continue;
            }
            // Claims and table cells (and corrections of them) exist only in a full extraction.
            if id.starts_with("narr.") {
                return None;
            }
            let rule_fields: Vec<&FieldRule> = rules.fields.iter().filter(|f| f.id == id).collect();
            if section_field(&id) {
                sections = true;
            } else if rule_fields.is_empty() {
                return None;
            }
            for f in rule_fields {
                if f.after_tables {
                    return None;
                }
                todo.extend(f.from.iter().cloned());
                for finder in &f.finders {
                    match &finder.scope {
                        Scope::Field(src) => todo.push(src.clone()),
                        Scope::Part(_) => sections = true,
                        Scope::Text | Scope::Head | Scope::Tail => {}
                    }
                }
            }
        }
        Some(FieldSubset { ids, sections })
    }

    /// Some field of the subset reads a section: the sections are found, and a heading inside a
    /// pipe table is passed over, so a plain text's pipe tables must be read.
    pub fn reads_sections(&self) -> bool {
        self.sections
    }
}

/// Only the fields of `subset` (and the sections when they read one), each exactly as
/// [`extract_full`] extracts it: the same finders over the same fields found before it, in the
/// pack's order, with the same corrections. They are all read before the claims and tables
/// could matter, and none of them is ambiguous, so settling never changes them either.
pub fn extract_only(doc: &Document, rules: &RuleSet, corrections: &Corrections, subset: &FieldSubset) -> Fields {
    let mut fields = Fields::new();
    if subset.sections {
        extract_sections(doc, rules, &mut fields);
    }
    for f in rules.fields.iter().filter(|f| !f.after_tables && subset.ids.contains(&f.id)) {
        let found = extract_field(doc, f, &fields).map(|x| read_name(x, f, rules));
        put(&mut fields, &f.id, &f.label, found, corrections);
    }
    fields
}

/// A name field read through the pack's names: "沐阳县人民政府" (OCR) is 沭阳县人民政府, "上海市科委"
/// is 上海市科学技术委员会. The text stays in `raw` and the note says what it had.
fn read_name(mut f: Field, rule: &FieldRule, rules: &RuleSet) -> Field {
    if !rule.names {
        return f;
    }
    let Some(Value::Text(t)) = &f.value else { return f };
    if let Some(fixed) = rules.fix_name(t) {
        let why = format!("文中作“{t}”，按名称表读作“{fixed}”");
        f.note = Some(match f.note.take() {
            Some(n) => format!("{n}；{why}"),
            None => why,
        });
        f.value = Some(Value::Text(fixed));
    }
    f
}

/// Insert an extracted field, replaced by the reviewer's correction when there is one.
fn put(fields: &mut Fields, id: &str, label: &str, found: Option<Field>, corrections: &Corrections) {
    let Some(c) = corrections.get(id) else {
        if let Some(f) = found {
            fields.insert(id.to_string(), f);
        }
        return;
    };
    let mut f = found.unwrap_or_else(|| Field::exact(id, label, None, "", None));
    f.extracted = Some(if f.status == Status::Ambiguous { None } else { f.value.clone() });
    f.value = c.value.clone();
    f.status = Status::Corrected;
    f.candidates.clear();
    f.joint = None;
    f.note = Some(c.note.clone());
    fields.insert(id.to_string(), f);
}

/// Largest index ≤ `i` on a char boundary.
pub fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The byte range of the text a scope covers, if the report has it.
pub fn scope_range(doc: &Document, scope: &Scope, fields: &Fields) -> Option<Range<usize>> {
    let text = &doc.text;
    match scope {
        Scope::Text => Some(0..text.len()),
        Scope::Head => Some(0..floor_boundary(text, HEAD_BYTES)),
        Scope::Tail => Some(ceil_boundary(text, text.len().saturating_sub(HEAD_BYTES))..text.len()),
        Scope::Part(id) => fields.get(&format!("{id}.body")).and_then(|f| f.span).map(|s| s.start..s.end),
        Scope::Field(id) => {
            let f = fields.get(id)?;
            // A corrected value is not in the report's text: finders read the value itself.
            if f.status == Status::Corrected {
                return None;
            }
            let s = f.span?;
            // Only when the field's text is a slice of the report can positions be mapped back.
            (text.get(s.start..s.end).is_some()).then_some(s.start..s.end)
        }
    }
}

fn extract_sections(doc: &Document, rules: &RuleSet, fields: &mut Fields) {
    let text = &doc.text;
    let mut found: Vec<(usize, Range<usize>, &crate::rules::SectionRule)> = Vec::new();
    let mut cursor = 0;
    for s in &rules.sections {
        // In order first; a part printed out of order is still found, and the order check sees it.
        // A heading's words inside a pipe row ("| 三、 | （一）予以公开 |") are a table cell.
        let first = |re: &regex::Regex, from: usize| {
            let mut at = from;
            while let Some(m) = re.find_at(text, at) {
                if !pieces::in_pipe_table(doc, m.start()) {
                    return Some((m.start(), m.end()));
                }
                at = ceil_boundary(text, m.end().max(m.start() + 1));
                if at >= text.len() {
                    break;
                }
            }
            None
        };
        // From the cursor, else from the start: one search when the cursor is the start (a
        // report without the parts' headings searched each twice over the whole text).
        let anywhere = |re: &regex::Regex| match first(re, cursor) {
            None if cursor > 0 => first(re, 0),
            m => m,
        };
        let m = anywhere(&s.heading).or_else(|| anywhere(s.fallback.as_ref()?));
        if let Some((start, end)) = m {
            if start >= cursor {
                cursor = end;
            }
            found.push((start, start..end, s));
        }
    }
    let order: Vec<&str> = found.iter().map(|f| f.2.id.as_str()).collect();
    let mut sorted = found.iter().collect::<Vec<_>>();
    sorted.sort_by_key(|f| f.0);
    let printed: Vec<&str> = sorted.iter().map(|f| f.2.id.as_str()).collect();
    if printed != order {
        let text = printed.join(" → ");
        fields.insert(
            "sections.out_of_order".into(),
            Field::exact("sections.out_of_order", "各部分顺序", Some(Value::Text(text.clone())), "", None),
        );
    }
    let mut by_pos: Vec<usize> = found.iter().map(|f| f.0).collect();
    by_pos.sort_unstable();
    for (start, range, s) in &found {
        let next = by_pos.iter().copied().find(|p| p > start).unwrap_or(text.len());
        let body_start = range.end.min(next);
        let heading = &text[range.clone()];
        fields.insert(
            s.id.clone(),
            Field::exact(&s.id, &s.label, Some(Value::Text(heading.trim().to_string())), heading, Some(doc.span(range.start, range.end))),
        );
        let body = &text[body_start..next];
        let id = format!("{}.body", s.id);
        let value = Value::Text(body.trim().to_string());
        let mut f = Field::exact(&id, &format!("{}（正文）", s.label), Some(value), "", Some(doc.span(body_start, next)));
        f.raw = String::new();
        fields.insert(id, f);
    }
}

fn extract_field(doc: &Document, rule: &FieldRule, fields: &Fields) -> Option<Field> {
    for src in &rule.from {
        if let Some(f) = fields.get(src) {
            if f.value.is_none() && f.status != Status::Ambiguous {
                continue;
            }
            let mut out = f.clone();
            out.id = rule.id.clone();
            out.label = rule.label.clone();
            out.note = Some(match &f.note {
                Some(n) => format!("取自 {src}；{n}"),
                None => format!("取自 {src}"),
            });
            if let Some(v) = out.value.take() {
                out.value = convert_to(rule, v);
            }
            return Some(out);
        }
    }
    for finder in &rule.finders {
        let Some(range) = scope_range(doc, &finder.scope, fields) else {
            // A field scope whose text is not a slice of the report: read the value itself.
            if let Scope::Field(id) = &finder.scope
                && let Some(f) = fields.get(id)
                    && let Some(v) = &f.value {
                        let t = v.to_string();
                        if let Some(caps) = finder.regex.captures(&t)
                            && let Some(value) = finder_value(rule, finder, &caps) {
                                let mut out = Field::exact(&rule.id, &rule.label, Some(value), caps.get(0).map_or("", |m| m.as_str()), f.span);
                                out.note = Some(format!("取自 {id}"));
                                return Some(out);
                            }
                    }
            continue;
        };
        let hay = &doc.text[range.clone()];
        // The last matches first: their spans from `find_iter` (the same matches as
        // `captures_iter`), and the groups only of the few tried, read where each match starts.
        let mut iter: Box<dyn Iterator<Item = regex::Captures>> = if finder.last {
            let all: Vec<usize> = finder.regex.find_iter(hay).map(|m| m.start()).collect();
            Box::new(all.into_iter().rev().filter_map(|at| finder.regex.captures_at(hay, at)))
        } else {
            Box::new(finder.regex.captures_iter(hay))
        };
        for caps in iter.by_ref().take(MAX_TRIES) {
            let Some(value) = finder_value(rule, finder, &caps) else { continue };
            let m = caps.name("value").or_else(|| caps.get(0))?;
            let (s, e) = (range.start + m.start(), range.start + m.end());
            let mut f = Field::exact(&rule.id, &rule.label, Some(value), m.as_str(), Some(doc.span(s, e)));
            if let Scope::Field(id) = &finder.scope {
                f.note = Some(format!("取自 {id}"));
            }
            return Some(f);
        }
    }
    rule.default.as_ref().map(|d| {
        let mut f = Field::exact(&rule.id, &rule.label, Some(d.clone()), "", None);
        f.note = Some("未在文中找到，取默认值".to_string());
        f
    })
}

fn finder_value(rule: &FieldRule, finder: &crate::rules::Finder, caps: &regex::Captures) -> Option<Value> {
    let raw = match &finder.value {
        Some(tpl) if tpl.contains('{') => {
            let mut out = tpl.clone();
            for name in finder.regex.capture_names().flatten() {
                // `replace` builds a new string even where the name is not: only where it is.
                let token = format!("{{{name}}}");
                if out.contains(&token) {
                    out = out.replace(&token, caps.name(name).map_or("", |m| m.as_str()));
                }
            }
            out
        }
        Some(constant) => constant.clone(),
        None => caps.name("value").or_else(|| caps.get(0))?.as_str().to_string(),
    };
    rule.ty.convert(&raw)
}

/// A value taken from another field, converted to this field's type when it differs.
fn convert_to(rule: &FieldRule, v: Value) -> Option<Value> {
    match (&v, rule.ty) {
        (Value::Int(_), crate::rules::FieldType::Integer | crate::rules::FieldType::Year) => Some(v),
        (Value::Text(t), ty) => ty.convert(t),
        (_, crate::rules::FieldType::Text) => Some(Value::Text(v.to_string())),
        _ => Some(v),
    }
}

/// Fields found so far, as an expression environment (for a table's `when`).
struct FieldsEnv<'a>(&'a Fields);

impl Env for FieldsEnv<'_> {
    fn lookup(&self, id: &str) -> Lookup {
        match self.0.get(id) {
            Some(f) => match &f.value {
                Some(v) if f.status != Status::Ambiguous => Lookup::Value(v.clone()),
                _ => Lookup::Blank,
            },
            None => Lookup::Absent,
        }
    }
    fn glob(&self, pattern: &str) -> Vec<(String, Lookup)> {
        self.0
            .keys()
            .filter(|k| crate::rules::glob_match(pattern, k))
            .map(|k| (k.clone(), self.lookup(k)))
            .collect()
    }
    fn call(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        Err(format!("{name}() is not available here"))
    }
}

fn extract_table(doc: &Document, t: &TableRule, fields: &mut Fields) -> Option<TableSource> {
    if let Some(when) = &t.when
        && !matches!(when.eval(&FieldsEnv(fields)), Outcome::Value(Value::Bool(true))) {
            return None;
        }
    let text = &doc.text;
    let start = t.start.find(text)?;
    let region_end = t
        .end
        .as_ref()
        .and_then(|e| e.find_at(text, start.end()))
        .map_or(text.len(), |m| m.start());
    // Row labels in order; a row whose label is missing is skipped, the search goes on after
    // the last row found.
    let mut labels: Vec<Option<Range<usize>>> = Vec::with_capacity(t.rows.len());
    let mut cursor = start.end();
    let region = &text[..region_end];
    for row in &t.rows {
        match row.find_label(region, cursor) {
            Some(m) => {
                cursor = m.end;
                labels.push(Some(m));
            }
            None => labels.push(None),
        }
    }
    // A source with cells is read cell by cell; its tables never go through the splitter. Pipe
    // rows in plain text are pieces of a table (labels lost, headers floated): `pieces` reads them.
    if doc.tables.iter().any(|g| g.origin != TableOrigin::TextPipes)
        && let Some(ct) = cells::locate(doc, t, start.start()..region_end, &labels)
    {
        return Some(read_cells(doc, t, &ct, fields));
    }
    let kinds: Vec<_> = t.columns.iter().map(|c| c.kind).collect();
    let spec = RowSpec { kinds, identities: t.row_sums.clone(), at_least: t.at_least.clone(), hints: Vec::new() };
    let heading: Vec<bool> = t
        .rows
        .iter()
        .map(|r| r.heading.as_ref().is_some_and(|h| matches!(h.eval(&FieldsEnv(fields)), Outcome::Value(Value::Bool(true)))))
        .collect();
    let from_pieces = pieces::read_table(doc, t, start.start()..region_end, &heading, &spec);
    let (source, grids, resolved, cell_ranges, placed) = match from_pieces {
        Some(p) => {
            let resolved = std::rc::Rc::new(resolve_rows(p.results, &t.balances));
            ("text-pipes", p.grids, resolved, p.cell_ranges, p.placed)
        }
        None => {
            let (c, row_hints) = digit_row_texts(doc, t, &labels, region_end, fields);
            let n = c.len();
            // The same rows' texts and hints under the same spec narrow the same way: the
            // table's joint narrowing is remembered like its rows, and a remembered table's
            // rows are not read again.
            let rows: Vec<Option<(&str, &[(usize, i64)])>> =
                c.iter().zip(&row_hints).map(|(c, h)| c.as_ref().map(|c| (&doc.text[c.clone()], h.as_slice()))).collect();
            let resolved = memo::resolve_rows(&rows, &spec, &t.balances, || resolve_rows(digit_rows(&rows, &spec), &t.balances));
            ("digit-run", Vec::new(), resolved, c, vec![false; n])
        }
    };
    let (results, narrowed_by_hint) = (&resolved.0, &resolved.1);
    let mut first_row: Option<usize> = None;
    let mut emitted: Vec<&String> = Vec::new();
    for i in 0..t.rows.len() {
        let (Some(cells), res) = (&cell_ranges[i], &results[i]) else { continue };
        if res.readings.is_empty() || res.readings.iter().all(|r| r.cells.iter().all(|c| c.is_none())) && res.explicit_blanks == 0 {
            // A heading row with no cells of its own (e.g. （六）其他处理 in the 2021 format).
            continue;
        }
        // A label found in the text may have floated away from a row read from pipe pieces.
        first_row.get_or_insert(if placed.is_empty() || source == "text-pipes" { cells.start } else { labels[i].as_ref().map_or(cells.start, |l| l.start) });
        let names = &t.cells[i];
        let ids = &names.ids;
        let joint = (res.readings.len() > 1).then(|| crate::model::Joint {
            group: names.group.clone(),
            fields: names.ids.clone(),
            readings: std::sync::Arc::new(
                res.readings.iter().map(|r| r.cells.iter().map(|c| c.as_ref().map(|c| c.value.clone())).collect()).collect(),
            ),
            complete: res.satisfied && !res.truncated && !res.overflow,
        });
        for c in 0..t.columns.len() {
            let id = &ids[c];
            let mut f = cell_field(doc, id, &names.labels[c], cells.start, res, c);
            if f.status == Status::Ambiguous {
                f.joint = joint.clone();
            }
            if narrowed_by_hint[i] && f.status == Status::Exact {
                f.note = Some("依叙述文字中的数字与表内勾稽关系选定拆分".to_string());
            }
            if placed[i] {
                let why = "行标签在文本中缺失，按其在表中的位置对应到本行";
                f.note = Some(match f.note.take() {
                    Some(n) => format!("{why}；{n}"),
                    None => why.to_string(),
                });
            }
            if f.status == Status::Exact && (res.settled == Settled::ByHint || narrowed_by_hint[i]) {
                f.settled_by = Some(hint_evidence(&doc.text, t, fields, results, narrowed_by_hint[i]));
            }
            emitted.push(id);
            fields.insert(id.clone(), f);
        }
    }
    // Fields read from pipe pieces point at their cells, so the reviewer's grid can show them.
    let mut cells = BTreeMap::new();
    for &id in &emitted {
        let Some(span) = fields.get(id).and_then(|f| f.span).filter(|s| s.end > s.start) else { continue };
        'found: for &g in &grids {
            for (r, row) in doc.tables[g].rows.iter().enumerate() {
                if let Some(c) = row.iter().position(|c| !c.blank && c.start == span.start) {
                    cells.insert(id.clone(), (g, r, c));
                    break 'found;
                }
            }
        }
    }
    first_row.map(|at| TableSource { table: t.id.clone(), source, line: doc.line_col(at).0, grids, cells })
}

/// Where each row's digit run lies: the numbers between its label and the next label found (a
/// pipe table in between ends them: its numbers are its own cells); and each row's hints, the
/// narrative's figures its `hints:` name that are known for certain.
fn digit_row_texts(
    doc: &Document,
    t: &TableRule,
    labels: &[Option<Range<usize>>],
    region_end: usize,
    fields: &Fields,
) -> (Vec<Option<Range<usize>>>, Vec<Vec<(usize, i64)>>) {
    let mut cell_ranges: Vec<Option<Range<usize>>> = Vec::with_capacity(t.rows.len());
    let mut row_hints: Vec<Vec<(usize, i64)>> = vec![Vec::new(); t.rows.len()];
    for (i, label) in labels.iter().enumerate() {
        let Some(label) = label else {
            cell_ranges.push(None);
            continue;
        };
        let next = labels[i + 1..].iter().flatten().next().map_or(region_end, |r| r.start);
        let mut cells = label.end..next.max(label.end);
        if let Some(p) = pieces::first_table_in(doc, &cells) {
            cells.end = p;
        }
        for (col, field) in &t.rows[i].hints {
            if let Some(Value::Int(v)) = fields.get(field).filter(|f| f.status != Status::Ambiguous).and_then(|f| f.value.clone()) {
                row_hints[i].push((*col, v));
            }
        }
        cell_ranges.push(Some(cells));
    }
    (cell_ranges, row_hints)
}

/// Each row read from its digit run under the table's spec and the row's hints.
fn digit_rows(rows: &memo::TableRows, spec: &RowSpec) -> Vec<RowResult> {
    rows.iter()
        .map(|row| match row {
            None => RowResult::absent(),
            Some((text, [])) => memo::read_row(text, spec),
            Some((text, hints)) => memo::read_row(text, &RowSpec { hints: hints.to_vec(), ..spec.clone() }),
        })
        .collect()
}

/// A table's fields read from the source's cells, one field per cell.
fn read_cells(doc: &Document, t: &TableRule, ct: &cells::CellTable, fields: &mut Fields) -> TableSource {
    let mut line = None;
    let mut placed = BTreeMap::new();
    for (i, row) in t.rows.iter().enumerate() {
        let Some(at) = &ct.rows[i] else { continue };
        let cells = &doc.tables[at.grid].rows[at.row];
        for (c, col) in t.columns.iter().enumerate() {
            let cell = &cells[at.cols[c]];
            let id = t.field_id(&row.id, &col.id);
            let label = format!("{}·{}", row.label, col.label);
            let f = cells::cell_field(doc, &id, &label, cell, col.kind, ct.origin);
            line.get_or_insert(doc.line_col(cell.start).0);
            placed.insert(id.clone(), (at.grid, at.row, at.cols[c]));
            fields.insert(id, f);
        }
    }
    let line = line.unwrap_or_else(|| doc.line_col(doc.tables[ct.grids[0]].start).0);
    TableSource { table: t.id.clone(), source: ct.origin.name(), line, grids: ct.grids.clone(), cells: placed }
}

/// Where the narrative figures that settled a row (or, through the table's identities, a row
/// that adds up to it) were read.
fn hint_evidence(text: &str, t: &TableRule, fields: &Fields, results: &[RowResult], through_identities: bool) -> String {
    let mut facts: Vec<String> = Vec::new();
    for (row, res) in t.rows.iter().zip(results) {
        if res.settled != Settled::ByHint {
            continue;
        }
        for (_, from) in &row.hints {
            if let Some(f) = fields.get(from) {
                let fact = match f.span {
                    Some(s) => format!("叙述{}", settle::quote(text, s, &f.raw)),
                    None => format!("叙述“{}”", f.raw.trim()),
                };
                if !facts.contains(&fact) {
                    facts.push(fact);
                }
            }
        }
    }
    let mut out = facts.join("、");
    if through_identities {
        out.push_str("，经表内勾稽关系");
    }
    out
}

/// Narrows a table's rows jointly by the identities between rows. Returns the rows and, per
/// row, whether the narrative's figures narrowed it.
fn resolve_rows(mut results: Vec<RowResult>, balances: &[split::TableIdentity]) -> (Vec<RowResult>, Vec<bool>) {
    // Identities between rows can only use rows the report has.
    let usable: Vec<split::TableIdentity> = balances
        .iter()
        .filter(|b| b.lhs.iter().chain(&b.rhs).all(|r| !results[*r].readings.is_empty()))
        .cloned()
        .collect();
    split::resolve_table(&mut results, &usable);
    // A row the narrative settled is then taken as read, so the identities can carry its
    // figures to the rows that add up to it (网站公开数 = 主动公开信息数 when 公报 is 0).
    let mut narrowed_by_hint = vec![false; results.len()];
    if results.iter().any(|r| r.settled == Settled::ByHint && !r.set_aside.is_empty()) {
        let before: Vec<usize> = results.iter().map(|r| r.readings.len()).collect();
        for r in results.iter_mut().filter(|r| r.settled == Settled::ByHint) {
            r.set_aside.clear();
        }
        split::resolve_table(&mut results, &usable);
        for (i, r) in results.iter().enumerate() {
            narrowed_by_hint[i] = r.readings.len() < before[i];
        }
    }
    (results, narrowed_by_hint)
}

/// One cell's field from a row's remaining readings: exact when every reading agrees.
fn cell_field(doc: &Document, id: &str, label: &str, base: usize, res: &RowResult, col: usize) -> Field {
    let mut distinct: Vec<(Option<Value>, Option<Range<usize>>)> = Vec::new();
    for r in &res.readings {
        let cell = r.cells.get(col).and_then(|c| c.as_ref());
        let v = cell.map(|c| c.value.clone());
        if !distinct.iter().any(|(d, _)| *d == v) {
            distinct.push((v, cell.map(|c| base + c.start..base + c.end)));
        }
    }
    let whole_row = doc.span(base, base);
    if distinct.len() == 1 && (res.satisfied || res.readings.len() == 1) && !res.truncated && !res.overflow {
        let (v, range) = distinct.remove(0);
        let span = range.clone().map(|r| doc.span(r.start, r.end)).unwrap_or(whole_row);
        let raw = range.map(|r| doc.text[r].to_string()).unwrap_or_default();
        let mut f = Field::exact(id, label, v, &raw, Some(span));
        f.note = match (&res.settled, res.readings.len()) {
            (Settled::ByHint, _) => Some("按叙述文字中的数字选定拆分".to_string()),
            (_, n) if n > 1 => Some(format!("{n} 种拆分在此列取值相同")),
            _ => None,
        };
        return f;
    }
    let span = distinct.iter().find_map(|(_, r)| r.clone()).map(|r| doc.span(r.start, r.end)).unwrap_or(whole_row);
    let mut f = Field::exact(id, label, None, "", Some(span));
    f.raw = doc.text.get(span.start..span.end).unwrap_or("").to_string();
    f.status = Status::Ambiguous;
    f.candidates = distinct
        .into_iter()
        .take(MAX_CANDIDATES)
        .map(|(value, _)| Candidate { value, note: None })
        .collect();
    f.note = Some(if res.overflow {
        "单元格多于列数，无法对应到列".to_string()
    } else if !res.satisfied {
        "没有一种拆分满足表内勾稽关系".to_string()
    } else if res.truncated {
        "拆分方式过多，仅列出部分候选".to_string()
    } else {
        format!("{} 种拆分都满足勾稽关系，无法确定本列", res.readings.len())
    });
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn doc(text: &str) -> Document {
        Document::from_bytes(PathBuf::from("x.txt"), text.as_bytes()).unwrap()
    }

    fn pack(yaml: &str) -> RuleSet {
        crate::rules::compile::compile(None, &[("r.yaml".into(), yaml.to_string())]).unwrap_or_else(|e| panic!("{}", e[0]))
    }

    const TABLE: &str = r#"
tables:
  - id: t
    label: T
    start: '表'
    columns: [{ id: a, label: A }, { id: b, label: B }, { id: total, label: 合计 }]
    row_sums: [{ parts: [a, b], total: total }]
    balances: [{ lhs: [x], rhs: [y, z] }]
    rows:
      - { id: x, label: 甲 }
      - { id: y, label: 乙 }
      - { id: z, label: 丙 }
"#;

    #[test]
    fn glued_runs_split_by_the_identities_and_ties_stay_ambiguous() {
        let rules = pack(TABLE);
        let d = doc("表 甲12012 乙 110 11 丙 1 0 1");
        let f = extract(&d, &rules);
        // "12012": 12|0|12 or 1|20|12? only 12+0=12 fits the row sum with total 12.
        assert_eq!(f["t.x.a"].value, Some(Value::Int(12)));
        assert_eq!(f["t.x.total"].value, Some(Value::Int(12)));
        assert_eq!(f["t.y.total"].value, Some(Value::Int(11)));
        assert_eq!(f["t.x.total"].span.map(|s| &d.text[s.start..s.end]), Some("12"));
        // A run with two valid splits and no other constraint is never guessed.
        let rules = pack(&TABLE.replace("    balances: [{ lhs: [x], rhs: [y, z] }]\n", ""));
        let f = extract(&doc("表 甲11112 乙 0 0 0"), &rules);
        // 1|11|12 and 11|1|12 both add up: the total is certain, the parts are not.
        let a = &f["t.x.a"];
        assert_eq!(a.status, Status::Ambiguous, "{a:?}");
        assert_eq!(a.value, None);
        let c: Vec<_> = a.candidates.iter().map(|c| c.value.clone()).collect();
        assert_eq!(c, [Some(Value::Int(1)), Some(Value::Int(11))]);
        assert_eq!(f["t.x.total"].status, Status::Exact);
    }

    #[test]
    fn cells_are_read_by_column_never_split() {
        let rules = pack(TABLE);
        let html = "<html><body><p>表</p><table><tr><th>项目</th><th>单位</th><th>A</th><th>B</th><th>合计</th></tr>\
            <tr><td>甲</td><td>件</td><td>12012</td><td>&nbsp;</td><td>12012</td></tr>\
            <tr><td>乙</td><td>件</td><td>0</td><td>/</td><td>12件</td></tr></table>\
            <p>续表</p><table><tr><td>丙</td><td>件</td><td>1</td><td>\u{3000}</td><td>1</td></tr></table></body></html>";
        let d = Document::from_bytes(PathBuf::from("x.html"), html.as_bytes()).unwrap();
        let out = extract_full(&d, &rules, &Corrections::new());
        let f = &out.fields;
        // A digit run in one cell is one value: no splitting, even when a split would fit.
        assert_eq!(f["t.x.a"].value, Some(Value::Int(12012)));
        assert_eq!(f["t.x.a"].status, Status::Exact);
        assert_eq!(f["t.x.b"].value, None, "&nbsp; is a blank cell");
        assert_eq!(f["t.x.b"].status, Status::Exact);
        assert_eq!(f["t.y.a"].value, Some(Value::Int(0)), "0 stays 0");
        assert_eq!((f["t.y.b"].value.clone(), f["t.y.b"].raw.as_str()), (None, "/"), "a marker is a written blank");
        assert_eq!(f["t.y.total"].status, Status::Ambiguous, "a cell that is no number is uncertain");
        assert!(f["t.y.total"].candidates.is_empty());
        // The second <table> continues the first.
        assert_eq!(f["t.z.a"].value, Some(Value::Int(1)));
        assert_eq!(f["t.z.b"].value, None);
        assert_eq!(&d.text[f["t.x.a"].span.unwrap().start..f["t.x.a"].span.unwrap().end], "12012");
        assert_eq!(out.tables[0].source, "html");
        assert_eq!(out.tables[0].grids, [0, 1]);
        // The same rows as plain text go through the splitter.
        let out = extract_full(&doc("表 甲12012 乙 110 11 丙 1 0 1"), &rules, &Corrections::new());
        assert_eq!(out.tables[0].source, "digit-run");
    }

    #[test]
    fn a_corrected_field_flows_into_the_fields_read_from_it() {
        let rules = pack(
            "fields:\n  - { id: agency, label: 机关, type: text, find: [{ pattern: '^(?P<value>\\S+)' }] }\n  - { id: kind, label: 类别, type: text, find: [{ in: 'field:agency', pattern: '局$', value: department }, { in: 'field:agency', pattern: '.', value: government }] }\n",
        );
        let d = doc("某市财政局 报告");
        assert_eq!(extract(&d, &rules)["kind"].value, Some(Value::Text("department".into())));
        let c = Corrections::from([("agency".to_string(), Correction { value: Some(Value::Text("某市人民政府".into())), note: "更正".into() })]);
        let f = extract_with(&d, &rules, &c);
        assert_eq!(f["agency"].status, Status::Corrected);
        assert_eq!(f["agency"].extracted, Some(Some(Value::Text("某市财政局".into()))));
        assert_eq!(f["kind"].value, Some(Value::Text("government".into())));
    }

    #[test]
    fn the_link_key_fields_alone_are_read_as_a_full_extraction_reads_them() {
        let rules = RuleSet::builtin();
        let wanted = [crate::link::GROUP_FIELD, "year"];
        let subset = FieldSubset::of(&rules, &wanted).expect("the built-in key is read from the text");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (paths, _) = crate::load::discover(&[dir.join("samples"), dir.join("../shared/corpus"), dir.join("../shared/seeds")]);
        assert!(paths.len() >= 6);
        let fix = |id: &str, v: &str| Corrections::from([(id.to_string(), Correction { value: Some(Value::Text(v.into())), note: "更正".into() })]);
        let mut compared = 0;
        for p in &paths {
            let Ok(d) = crate::load::load_file(p) else { continue };
            for c in [Corrections::new(), fix("agency", "某市财政局"), fix("title", "2019年某县人民政府政府信息公开工作年度报告")] {
                let full = extract_full(&d, &rules, &c).fields;
                let only = extract_only(&d, &rules, &c, &subset);
                for id in wanted {
                    assert_eq!(only.get(id), full.get(id), "{} {id} {c:?}", p.display());
                }
                compared += 1;
            }
        }
        assert!(compared >= 18);
    }

    #[test]
    fn a_key_read_from_a_table_or_a_section_is_planned_as_such() {
        let rules = pack(&format!("{TABLE}fields:\n  - {{ id: k, label: K, type: integer, from: [t.x.total] }}\n  - {{ id: narr.x, label: X, type: integer }}\n  - {{ id: n, label: N, type: text, from: [narr.x] }}\n"));
        assert_eq!(FieldSubset::of(&rules, &["k"]), None, "a table cell exists only after the tables");
        assert_eq!(FieldSubset::of(&rules, &["n"]), None, "a claim exists only in a full extraction");
        assert_eq!(FieldSubset::of(&rules, &["nowhere"]), None);
        let rules = pack(
            "sections:\n  - { id: part.1, label: 一, heading: '一、' }\nfields:\n  - { id: a, label: A, type: text, find: [{ in: part.1, pattern: '\\S+' }] }\n  - { id: b, label: B, type: text, from: [a] }\n",
        );
        let subset = FieldSubset::of(&rules, &["b"]).unwrap();
        let d = doc("一、甲乙 丙");
        assert_eq!(extract_only(&d, &rules, &Corrections::new(), &subset).get("b"), extract(&d, &rules).get("b"));
        assert_eq!(extract(&d, &rules)["b"].value, Some(Value::Text("甲乙".into())));
    }

    #[test]
    fn sections_out_of_order_are_recorded() {
        let rules = pack("sections:\n  - { id: part.1, label: 一, heading: '一、' }\n  - { id: part.2, label: 二, heading: '二、' }\n");
        let f = extract(&doc("二、乙\n一、甲"), &rules);
        assert_eq!(f["sections.out_of_order"].value, Some(Value::Text("part.2 → part.1".into())));
        assert_eq!(f["part.1.body"].value, Some(Value::Text("甲".into())));
        let f = extract(&doc("一、甲\n二、乙"), &rules);
        assert!(!f.contains_key("sections.out_of_order"));
        assert_eq!(f["part.1.body"].value, Some(Value::Text("甲".into())));
    }

    #[test]
    fn the_agency_is_read_from_a_title_that_begins_with_the_year_and_never_as_guanyu() {
        let rules = RuleSet::builtin();
        let agency = |title: &str| extract(&doc(&format!("{title}\n一、总体情况")), &rules).get("agency").and_then(|f| f.value.clone()).map(|v| v.to_string());
        assert_eq!(agency("2020年青禾市人民政府办公室政府信息公开工作年度报告").as_deref(), Some("青禾市人民政府办公室"));
        assert_eq!(agency("2021年度青禾县人民政府政府信息公开工作年度报告").as_deref(), Some("青禾县人民政府"));
        assert_eq!(agency("青禾市人民政府2020年政府信息公开工作年度报告").as_deref(), Some("青禾市人民政府"));
        assert_eq!(agency("青禾市财政局关于2020年政府信息公开工作年度报告").as_deref(), Some("青禾市财政局"));
        assert_eq!(agency("关于青禾区2020年政府信息公开工作的报告").as_deref(), Some("青禾区"));
        assert_eq!(agency("关于2020年度政府信息公开工作年度报告"), None, "关于 is never an agency");
        assert_eq!(agency("2020年政府信息公开工作年度报告"), None);
        assert_eq!(agency("关岭布依族苗族自治县2020年政府信息公开工作年度报告").as_deref(), Some("关岭布依族苗族自治县"));
    }

    #[test]
    fn finder_templates_and_defaults() {
        let rules = pack("fields:\n  - { id: t, label: T, type: text, find: [{ pattern: '(?P<a>甲)\\s*(?P<b>乙)', value: '{a}{b}' }], default: 无 }\n");
        assert_eq!(extract(&doc("甲 乙"), &rules)["t"].value, Some(Value::Text("甲乙".into())));
        let f = extract(&doc("丙"), &rules);
        assert_eq!(f["t"].value, Some(Value::Text("无".into())));
        assert!(f["t"].note.as_deref().unwrap_or("").contains("默认"));
    }

    #[test]
    fn the_last_matches_read_from_their_starts_are_those_captures_iter_gives() {
        // Every finder that takes the last match, over the real reports, in each finder's scope
        // and over the whole text: the same matches, with the same groups, in reverse.
        let rules = RuleSet::builtin();
        let finders: Vec<&crate::rules::Finder> = rules.fields.iter().flat_map(|r| &r.finders).filter(|f| f.last).collect();
        assert!(!finders.is_empty());
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (paths, _) = crate::load::discover(&[dir.join("samples"), dir.join("../shared/corpus"), dir.join("../shared/seeds")]);
        let groups = |c: &regex::Captures| (0..c.len()).map(|g| c.get(g).map(|m| m.range())).collect::<Vec<_>>();
        let mut matched = 0;
        for p in &paths {
            let Ok(d) = crate::load::load_file(p) else { continue };
            let fields = extract_full(&d, &rules, &Corrections::new()).fields;
            for f in &finders {
                let scoped = scope_range(&d, &f.scope, &fields).map(|r| d.text[r].to_string());
                // The report's end again with signature dates of every form after it.
                let dated = format!("{}\n2021年3月5日\n　二〇二二年一月十日 \n2023 年 12 月 31 日\n落款 2020年1月1日\n2019年10月9日", scoped.clone().unwrap_or_default());
                for hay in scoped.iter().map(String::as_str).chain([&d.text[..], dated.as_str()]) {
                    let plain: Vec<Vec<_>> = f.regex.captures_iter(hay).collect::<Vec<_>>().iter().rev().map(groups).collect();
                    let starts: Vec<usize> = f.regex.find_iter(hay).map(|m| m.start()).collect();
                    let fast: Vec<Vec<_>> = starts.into_iter().rev().filter_map(|at| f.regex.captures_at(hay, at)).map(|c| groups(&c)).collect();
                    assert_eq!(fast, plain, "{} {}", p.display(), f.regex.as_str());
                    matched += plain.len();
                }
            }
        }
        assert!(matched > 10, "{matched} matches compared");
    }
}
