//! Rule files → compiled rules. Every mistake is collected and reported as `path:line:col: …`;
//! nothing here panics on a bad rule file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, OnceLock};

use regex::{Regex, RegexBuilder};
use serde_saphyr::{Location, Spanned};

use super::regexes::{Ahead, Closing, Job, Regexes};
use super::row_label::ITEM_NUMBER;
use super::schema::*;
use super::{
    CheckBody, CheckInstance, CheckRule, Column, Deadline, DeadlineKind, Example, FieldRule,
    FieldType, Finder, NameFix, Origin, Row, RuleSet, Scope, SectionRule, TableRule, TextKind,
};
use crate::expr::{Expr, HostFunctions, Template};
use crate::extract::split::{CellKind, Identity, TableIdentity};
use crate::model::Severity;

/// A mistake in a rule file, located in that file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path, self.line, self.col, self.message)
    }
}

/// Largest rule file read, and the compiled-size cap of each regex (keeps matching linear and
/// memory bounded whatever a rule says).
pub const MAX_RULE_FILE_BYTES: usize = 1 << 20;
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Room for each regex's lazy DFA, per thread (the regex crate's own default). It only grows
/// as far as a pattern needs, but a smaller cap makes a pattern with wide Unicode repeats
/// (`[^\n]{0,60}?` in `text.not-official`) clear its cache over and over and run ten times slower.
pub const REGEX_DFA_LIMIT: usize = 2 << 20;

/// Host functions the rule expressions may call beyond the built-in ones.
pub struct Host;

impl HostFunctions for Host {
    fn arity(&self, name: &str) -> Option<std::ops::RangeInclusive<usize>> {
        match name {
            "deadline" => Some(2..=2),
            _ => None,
        }
    }
}

pub fn compile_regex(src: &str) -> Result<Regex, String> {
    RegexBuilder::new(src)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => {
                format!("regex too large once compiled (limit {limit} bytes): simplify it")
            }
            other => {
                let text = other.to_string();
                let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
                format!("bad regex: {}", last.trim().trim_start_matches("error: "))
            }
        })
}

pub(super) struct Ctx<'a> {
    path: &'a str,
    src: &'a str,
    errors: Vec<RuleError>,
    /// Every regex of the pack is built through this (once per distinct source).
    pub(super) re: &'a Regexes,
}

impl Ctx<'_> {
    pub(super) fn err_at(&mut self, loc: &Location, message: impl Into<String>) {
        self.errors.push(RuleError {
            path: self.path.to_string(),
            line: loc.line() as usize,
            col: loc.column() as usize,
            message: message.into(),
        });
    }

    /// An error at a byte offset inside a scalar (for expression and regex errors). Single-line
    /// scalars get an exact column (the opening quote skipped); block scalars (`|`, `>`) start
    /// on the next line at its indentation.
    pub(super) fn err_in(&mut self, s: &S, byte_offset: usize, message: impl Into<String>) {
        let loc = &s.referenced;
        let (mut line, mut col) = (loc.line() as usize, loc.column() as usize);
        let before = s.value.get(..byte_offset.min(s.value.len())).unwrap_or("");
        let src_line = self.src.lines().nth(line.saturating_sub(1)).unwrap_or("");
        let first = src_line.chars().nth(col.saturating_sub(1));
        match first {
            Some('|') | Some('>') => {
                let newlines = before.matches('\n').count();
                line += 1 + newlines;
                let next = self.src.lines().nth(line - 1).unwrap_or("");
                let indent = next.chars().take_while(|c| *c == ' ').count();
                let tail = before.rsplit('\n').next().unwrap_or("");
                col = indent + 1 + tail.chars().count();
            }
            Some('"') | Some('\'') => col += 1 + before.chars().count(),
            _ => col += before.chars().count(),
        }
        self.errors.push(RuleError { path: self.path.to_string(), line, col, message: message.into() });
    }

    pub(super) fn origin(&self, loc: &Location) -> Origin {
        Origin { file: Arc::from(self.path), line: loc.line() as usize, col: loc.column() as usize }
    }

    fn regex(&mut self, s: &S) -> Option<Regex> {
        match self.re.regex(&s.value) {
            Ok(r) => Some(r),
            Err(m) => {
                self.err_in(s, 0, m);
                None
            }
        }
    }
}

/// Parse one rule file's YAML. YAML bombs and oversize inputs are refused by serde-saphyr's
/// default budget (aliases, depth, events) and by our own size cap.
pub fn parse_file(path: &str, text: &str) -> Result<RuleFile, RuleError> {
    if text.len() > MAX_RULE_FILE_BYTES {
        return Err(RuleError {
            path: path.to_string(),
            line: 1,
            col: 1,
            message: format!(
                "rule file is {} bytes, over the {} byte limit",
                text.len(),
                MAX_RULE_FILE_BYTES
            ),
        });
    }
    if text.trim().is_empty() {
        return Ok(RuleFile::default());
    }
    serde_saphyr::from_str::<RuleFile>(text).map_err(|e| {
        let (line, col) = e.location().map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        RuleError { path: path.to_string(), line: line.max(1), col: col.max(1), message: yaml_message(&e) }
    })
}

/// serde-saphyr's Display may add a source snippet; keep the one-line reason.
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid YAML").trim();
    // Drop a trailing " at line X column Y" the library may append: we print our own location.
    let cut = first.find(" at line ").map_or(first, |i| &first[..i]);
    cut.to_string()
}

fn parse_scope(ctx: &mut Ctx, s: &S, for_check: bool) -> Option<Scope> {
    let v = s.value.trim();
    Some(match v {
        "text" => Scope::Text,
        "head" => Scope::Head,
        "tail" => Scope::Tail,
        "title" => Scope::Field("title".into()),
        _ if v.starts_with("part.") => Scope::Part(v.to_string()),
        _ if v.starts_with("field:") && !for_check => Scope::Field(v["field:".len()..].to_string()),
        _ => {
            ctx.err_in(
                s,
                0,
                format!("unknown scope `{v}`: use text, head, tail, title, part.N{}", if for_check { "" } else { " or field:ID" }),
            );
            return None;
        }
    })
}

fn parse_kind(ctx: &mut Ctx, s: &S) -> Option<CellKind> {
    match s.value.as_str() {
        "count" => Some(CellKind::Count),
        "signed" => Some(CellKind::Signed),
        "decimal" => Some(CellKind::Decimal),
        "amount" => Some(CellKind::Amount),
        other => {
            ctx.err_in(s, 0, format!("unknown cell kind `{other}`: use count, signed, decimal or amount"));
            None
        }
    }
}

fn field_type_of(kind: CellKind) -> FieldType {
    match kind {
        CellKind::Count | CellKind::Signed => FieldType::Integer,
        CellKind::Decimal => FieldType::Decimal,
        CellKind::Amount => FieldType::Amount,
    }
}

/// `{var}` and `{var.key}` replaced by an `each` binding; other braces are left alone.
pub fn substitute(src: &str, bindings: &[(String, BTreeMap<String, String>)]) -> String {
    if bindings.is_empty() {
        return src.to_string();
    }
    let mut out = src.to_string();
    for (var, map) in bindings {
        for (key, val) in map {
            // Replacements apply in turn (a value may hold a later one's name); with no brace
            // left there is nothing more to replace.
            if !out.contains('{') {
                return out;
            }
            let pat = if key == "id" { format!("{{{var}}}") } else { format!("{{{var}.{key}}}") };
            if out.contains(&pat) {
                out = out.replace(&pat, val);
            }
        }
    }
    out
}

fn join_id(parts: &[&str]) -> String {
    parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(".")
}

pub use crate::expr::glob_matches as glob_match;

pub fn compile(dir: Option<std::path::PathBuf>, files: &[(String, String)]) -> Result<RuleSet, Vec<RuleError>> {
    compile_with(Ahead::helpers_for_this_machine(), false, dir, files)
}

/// The built-in pack: as [`compile`], but table rows are built when a report first needs them
/// (see [`LazyRegex`](super::LazyRegex)); its tests build every one.
pub(super) fn compile_builtin(files: &[(String, String)]) -> Result<RuleSet, Vec<RuleError>> {
    compile_with(Ahead::helpers_for_this_machine(), true, None, files)
}

/// [`compile`] with this many helper threads (none: all on the calling thread).
fn compile_with(helpers: usize, lazy: bool, dir: Option<std::path::PathBuf>, files: &[(String, String)]) -> Result<RuleSet, Vec<RuleError>> {
    let regexes = Regexes::new(lazy);
    let slots: Vec<OnceLock<Result<RuleFile, RuleError>>> = files.iter().map(|_| OnceLock::new()).collect();
    let ahead = Ahead::new(helpers);
    std::thread::scope(|scope| {
        for _ in 0..ahead.helpers() {
            scope.spawn(|| ahead.work());
        }
        let _closing = Closing(&ahead);
        ahead.push(files.iter().zip(&slots).map(|(f, slot)| Box::new(move || { let _ = parse_once(f, slot); }) as Job));
        let mut errors = Vec::new();
        let mut parsed = Vec::new();
        for (f, slot) in files.iter().zip(&slots) {
            match parse_once(f, slot) {
                Ok(file) => parsed.push((f.0.as_str(), f.1.as_str(), file)),
                Err(e) => errors.push(e.clone()),
            }
        }
        ahead.push(jobs(&regexes, foresee(&parsed, lazy)));
        compile_parsed(dir, &parsed, &regexes, &ahead, errors)
    })
}

/// A rule file parsed once, by whichever thread gets to it first.
fn parse_once<'a>((path, text): &'a (String, String), slot: &'a OnceLock<Result<RuleFile, RuleError>>) -> Result<&'a RuleFile, &'a RuleError> {
    slot.get_or_init(|| parse_file(path, text)).as_ref()
}

/// A regex the pass is going to build (a source for [`Regexes::regex`], or patterns for
/// [`Regexes::set`]).
pub(super) enum Want {
    One(String),
    Set(Vec<String>),
}

fn jobs<'s>(regexes: &'s Regexes, wants: Vec<Want>) -> impl Iterator<Item = Job<'s>> {
    wants.into_iter().map(move |w| -> Job<'s> {
        match w {
            Want::One(src) => Box::new(move || drop(regexes.regex(&src))),
            Want::Set(list) => Box::new(move || drop(regexes.set(&list))),
        }
    })
}

/// The regexes the pass will build, as far as the rule files tell before it runs, in the order
/// it builds them. Only a guess (see `regexes.rs`): it mirrors how the pass makes each source,
/// and a source it misses or gets wrong is simply built by the pass.
fn foresee(parsed: &[(&str, &str, &RuleFile)], lazy_rows: bool) -> Vec<Want> {
    let mut out = Vec::new();
    let one = |out: &mut Vec<Want>, s: &str| out.push(Want::One(s.to_string()));
    let mut lexicon = super::lexicon::Foresight::default();
    for (_, _, file) in parsed {
        for sec in &file.sections {
            one(&mut out, &sec.value.heading.value);
            if let Some(f) = &sec.value.fallback {
                one(&mut out, &f.value);
            }
        }
        for t in &file.tables {
            one(&mut out, &t.value.start.value);
            if let Some(e) = &t.value.end {
                one(&mut out, &e.value);
            }
            if !lazy_rows {
                for r in &t.value.rows {
                    out.push(Want::One(row_source(&r.value)));
                }
            }
        }
        if let Some(l) = &file.lexicon {
            lexicon.file(&l.value, &mut out);
        }
    }
    lexicon.headings(parsed, &mut out);
    for (_, _, file) in parsed {
        for f in &file.fields {
            for fd in &f.value.find {
                one(&mut out, &fd.value.pattern.value);
            }
        }
    }
    // The concepts' set is by far the largest single build (all the phrases again, as one
    // automaton): last in the queue, so a helper starts on it first, while the pass is still
    // reading the sections and tables.
    let (sets, mut ones): (Vec<Want>, Vec<Want>) = out.into_iter().partition(|w| matches!(w, Want::Set(_)));
    ones.extend(sets);
    ones
}

/// The regexes of the checks, once the tables and the lexicon their `each` bindings may name
/// are compiled.
fn foresee_checks(parsed: &[(&str, &str, &RuleFile)], set: &RuleSet, regexes: &Regexes) -> Vec<Want> {
    let mut out = Vec::new();
    for (path, src, file) in parsed {
        // Binding mistakes are reported by the pass itself.
        let mut scratch = Ctx { path, src, errors: Vec::new(), re: regexes };
        for c in &file.checks {
            let c = &c.value;
            if c.status.is_some() {
                continue;
            }
            if let Some(r) = &c.repeat {
                if let Some(a) = &r.value.allow {
                    out.push(Want::One(a.value.clone()));
                }
                continue;
            }
            if let Some(n) = &c.numbering {
                let n = &n.value;
                for p in std::iter::once(&n.heading).chain(&n.skip).chain(&n.stated) {
                    out.push(Want::One(p.value.clone()));
                }
                continue;
            }
            let Some(p) = &c.pattern else { continue };
            if c.each.is_empty() {
                out.push(Want::One(p.value.clone()));
            } else {
                for b in each_bindings(&mut scratch, c, set) {
                    out.push(Want::One(substitute(&p.value, &b)));
                }
            }
        }
    }
    out
}

fn compile_parsed<'s>(
    dir: Option<std::path::PathBuf>,
    parsed: &[(&str, &str, &RuleFile)],
    regexes: &'s Regexes,
    ahead: &Ahead<'s>,
    mut errors: Vec<RuleError>,
) -> Result<RuleSet, Vec<RuleError>> {
    let mut set = RuleSet { dir, ..RuleSet::default() };
    // Pass 1: everything that defines field ids, so checks anywhere may refer to them.
    let mut scalar_ids: BTreeSet<String> = BTreeSet::new();
    for (path, src, file) in parsed {
        let mut ctx = Ctx { path, src, errors: Vec::new(), re: regexes };
        for s in &file.sections {
            compile_section(&mut ctx, s, &mut set);
        }
        for t in &file.tables {
            compile_table(&mut ctx, t, &mut set);
        }
        for f in &file.fields {
            if !scalar_ids.insert(f.value.id.value.clone()) {
                ctx.err_at(&f.value.id.referenced, format!("field `{}` is defined twice", f.value.id.value));
            }
        }
        for d in &file.deadlines {
            compile_deadline(&mut ctx, d, &mut set);
        }
        for n in &file.names {
            if n.value.text.trim().is_empty() || n.value.name.trim().is_empty() {
                ctx.err_at(&n.referenced, "a name needs both `text` and `name`".to_string());
            } else {
                set.names.push(NameFix { text: n.value.text.clone(), name: n.value.name.clone(), suffix: n.value.suffix });
            }
        }
        if let Some(l) = &file.lexicon {
            super::lexicon::compile_lexicon(&mut ctx, &l.value, &mut set);
        }
        errors.append(&mut ctx.errors);
    }
    super::lexicon::finish(&mut set, &mut errors, regexes);
    // Facts about the batch a report was loaded with (see link.rs).
    set.known.insert("batch.duplicates".into(), ("同年度其他版本数".into(), FieldType::Integer));
    set.known.insert("batch.duplicate_paths".into(), ("同年度其他版本".into(), FieldType::Text));
    for (path, src, file) in parsed {
        let mut ctx = Ctx { path, src, errors: Vec::new(), re: regexes };
        for f in &file.fields {
            compile_field(&mut ctx, f, &mut set);
        }
        errors.append(&mut ctx.errors);
    }
    for t in &set.tables {
        for r in &t.rows {
            for (_, f) in &r.hints {
                if !set.known.contains_key(f) {
                    errors.push(RuleError {
                        path: t.origin.file.to_string(),
                        line: t.origin.line,
                        col: t.origin.col,
                        message: format!("row `{}` of table `{}` takes a hint from unknown field `{f}`", r.id, t.id),
                    });
                }
            }
        }
    }
    // Fields that read table fields are extracted after the tables.
    let table_ids: BTreeSet<String> = set
        .known
        .keys()
        .filter(|k| !scalar_ids.contains(*k))
        .cloned()
        .collect();
    let mut late: BTreeSet<String> = BTreeSet::new();
    for f in &set.fields {
        let reads: Vec<&String> = f
            .from
            .iter()
            .chain(f.finders.iter().filter_map(|fi| match &fi.scope {
                Scope::Field(id) => Some(id),
                _ => None,
            }))
            .collect();
        if reads.iter().any(|id| table_ids.contains(*id) || late.contains(*id)) {
            late.insert(f.id.clone());
        }
    }
    for f in &mut set.fields {
        f.after_tables = late.contains(&f.id);
    }
    let mut check_ids = BTreeSet::new();
    if ahead.helpers() > 0 {
        ahead.push(jobs(regexes, foresee_checks(parsed, &set, regexes)));
    }
    for (path, src, file) in parsed {
        let mut ctx = Ctx { path, src, errors: Vec::new(), re: regexes };
        for c in &file.checks {
            if !check_ids.insert(c.value.id.value.clone()) {
                ctx.err_at(&c.value.id.referenced, format!("check `{}` is defined twice", c.value.id.value));
                continue;
            }
            compile_check(&mut ctx, c, &mut set);
        }
        errors.append(&mut ctx.errors);
    }
    set.text_set = crate::check::TextSet::build(&mut set.checks);
    if errors.is_empty() { Ok(set) } else { Err(errors) }
}

fn compile_section(ctx: &mut Ctx, s: &Spanned<SectionDef>, set: &mut RuleSet) {
    let d = &s.value;
    let Some(heading) = ctx.regex(&d.heading) else { return };
    let fallback = d.fallback.as_ref().and_then(|f| ctx.regex(f));
    if set.known.contains_key(&d.id.value) {
        ctx.err_at(&d.id.referenced, format!("`{}` is defined twice", d.id.value));
        return;
    }
    set.known.insert("sections.out_of_order".into(), ("各部分顺序".into(), FieldType::Text));
    set.known.insert(d.id.value.clone(), (d.label.clone(), FieldType::Text));
    set.known.insert(format!("{}.body", d.id.value), (format!("{}（正文）", d.label), FieldType::Text));
    set.sections.push(SectionRule {
        id: d.id.value.clone(),
        label: d.label.clone(),
        fallback,
        heading,
        origin: ctx.origin(&s.referenced),
    });
}

fn compile_deadline(ctx: &mut Ctx, s: &Spanned<DeadlineDef>, set: &mut RuleSet) {
    let d = &s.value;
    let kind = match d.kind.as_str() {
        "government" => DeadlineKind::Government,
        "department" => DeadlineKind::Department,
        "any" => DeadlineKind::Any,
        other => {
            ctx.err_at(&s.referenced, format!("deadline kind `{other}`: use government, department or any"));
            return;
        }
    };
    let md: Vec<u32> = d.due.split('-').filter_map(|p| p.parse().ok()).collect();
    if md.len() != 2 || crate::model::Date::new(2001, md[0], md[1]).is_none() {
        ctx.err_at(&s.referenced, format!("deadline due `{}`: write month-day, e.g. 03-31", d.due));
        return;
    }
    set.deadlines.push(Deadline { from: d.years.0, to: d.years.1, kind, month: md[0], day: md[1] });
}

fn compile_table(ctx: &mut Ctx, s: &Spanned<TableDef>, set: &mut RuleSet) {
    let d = &s.value;
    let start = ctx.regex(&d.start);
    let end = d.end.as_ref().and_then(|e| ctx.regex(e));
    let default_kind = d.kind.as_ref().map_or(Some(CellKind::Count), |k| parse_kind(ctx, k));
    let when = d.when.as_ref().and_then(|w| match Expr::parse(&w.value, &Host) {
        Ok(e) => Some(e),
        Err(e) => {
            ctx.err_in(w, e.offset, e.message);
            None
        }
    });
    let mut columns = Vec::new();
    for c in &d.columns {
        let kind = match &c.value.kind {
            Some(k) => parse_kind(ctx, k),
            None => default_kind,
        };
        columns.push(Column { id: c.value.id.clone(), label: c.value.label.clone(), kind: kind.unwrap_or(CellKind::Count) });
    }
    let col_index = |ctx: &mut Ctx, name: &str, loc: &Location| -> Option<usize> {
        let i = columns.iter().position(|c| c.id == name);
        if i.is_none() {
            let names: Vec<&str> = columns.iter().map(|c| c.id.as_str()).collect();
            ctx.err_at(loc, format!("no column `{name}` in table `{}` (columns: {})", d.id.value, names.join(", ")));
        }
        i
    };
    let mut row_sums = Vec::new();
    for r in &d.row_sums {
        let parts: Vec<Option<usize>> = r.value.parts.iter().map(|p| col_index(ctx, p, &r.referenced)).collect();
        let total = col_index(ctx, &r.value.total, &r.referenced);
        if let (Some(parts), Some(total)) = (parts.into_iter().collect::<Option<Vec<_>>>(), total) {
            row_sums.push(Identity { parts, total });
        }
    }
    let mut at_least = Vec::new();
    for a in &d.at_least {
        if let (Some(x), Some(y)) = (col_index(ctx, &a.value.0, &a.referenced), col_index(ctx, &a.value.1, &a.referenced)) {
            at_least.push((x, y));
        }
    }
    let mut rows = Vec::new();
    for r in &d.rows {
        let rd = &r.value;
        let regex = match ctx.re.row(&row_source(rd), rd.pattern.is_none()) {
            Ok(re) => Some(re),
            Err(e) => {
                match (&rd.pattern, &rd.match_text) {
                    (Some(p), _) => ctx.err_in(p, 0, e),
                    (None, Some(m)) => ctx.err_in(m, 0, e),
                    (None, None) => ctx.err_at(&r.referenced, e),
                }
                None
            }
        };
        let mut hints = Vec::new();
        for (col, field) in &rd.hints {
            if let Some(c) = col_index(ctx, col, &r.referenced) {
                hints.push((c, field.clone()));
            }
        }
        let heading = rd.heading.as_ref().and_then(|w| match Expr::parse(&w.value, &Host) {
            Ok(e) => Some(e),
            Err(e) => {
                ctx.err_in(w, e.offset, e.message);
                None
            }
        });
        if let Some(regex) = regex {
            rows.push(Row { id: rd.id.clone(), label: rd.label.clone(), regex, body: row_label_body(rd), hints, heading });
        }
    }
    let mut balances = Vec::new();
    for b in &d.balances {
        let resolve = |names: &[String]| -> Result<Vec<usize>, String> {
            let mut out = Vec::new();
            for n in names {
                let hits: Vec<usize> = rows
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| match n.strip_suffix(".*") {
                        Some(stem) => r.id.starts_with(&format!("{stem}.")),
                        None => r.id == *n,
                    })
                    .map(|(i, _)| i)
                    .collect();
                if hits.is_empty() {
                    return Err(format!("balance names row `{n}`, which table `{}` does not have", d.id.value));
                }
                out.extend(hits);
            }
            Ok(out)
        };
        match (resolve(&b.value.lhs), resolve(&b.value.rhs)) {
            (Ok(lhs), Ok(rhs)) => balances.push(TableIdentity { lhs, rhs, columns: (0..columns.len()).collect() }),
            (Err(m), _) | (_, Err(m)) => ctx.err_at(&b.referenced, m),
        }
    }
    let prefix = d.prefix.clone().unwrap_or_else(|| d.id.value.clone());
    let mut cells = Vec::with_capacity(rows.len());
    for r in &rows {
        let (mut ids, mut labels) = (Vec::with_capacity(columns.len()), Vec::with_capacity(columns.len()));
        for c in &columns {
            let id = join_id(&[&prefix, &r.id, &c.id]);
            let label = format!("{}·{}", r.label, c.label);
            let next = set.cell_order.len();
            set.cell_order.entry(id.clone()).or_insert(next);
            set.known.entry(id.clone()).or_insert((label.clone(), field_type_of(c.kind)));
            ids.push(id);
            labels.push(label);
        }
        let group = join_id(&[&prefix, &r.id, ""]);
        cells.push(super::RowCells { group: std::sync::Arc::from(group.as_str()), ids: std::sync::Arc::new(ids), labels });
    }
    if set.tables.iter().any(|t| t.id == d.id.value) {
        ctx.err_at(&d.id.referenced, format!("table `{}` is defined twice", d.id.value));
        return;
    }
    if let Some(start) = start {
        set.tables.push(TableRule {
            id: d.id.value.clone(),
            label: d.label.clone(),
            prefix,
            when,
            start,
            end,
            columns,
            rows,
            row_sums,
            at_least,
            balances,
            origin: ctx.origin(&s.referenced),
            cells,
        });
    }
}

/// A row's regex: its `pattern`, else its `match` text or label matched loosely, after an
/// optional item number. Without a `pattern` it is all escaped literals and fixed pieces, so
/// it always parses.
fn row_source(rd: &RowDef) -> String {
    format!("{ITEM_NUMBER}(?:{})", row_body(rd))
}

/// How a row's label is searched for (see [`super::row_label`]).
fn row_label_body(rd: &RowDef) -> super::row_label::LabelBody {
    use super::row_label::LabelBody;
    match (&rd.pattern, &rd.match_text) {
        (Some(p), _) => LabelBody::pattern(p.value.clone()),
        (None, Some(m)) => LabelBody::loose(&m.value),
        (None, None) => LabelBody::loose(&rd.label),
    }
}

/// What a row's regex puts after the item number.
fn row_body(rd: &RowDef) -> String {
    match (&rd.pattern, &rd.match_text) {
        (Some(p), _) => p.value.clone(),
        (None, Some(m)) => crate::text::loose_pattern(&m.value),
        (None, None) => crate::text::loose_pattern(&rd.label),
    }
}

fn compile_field(ctx: &mut Ctx, s: &Spanned<FieldDef>, set: &mut RuleSet) {
    let d = &s.value;
    let Some(ty) = FieldType::parse(&d.ty.value) else {
        ctx.err_in(&d.ty, 0, format!("unknown type `{}`: use integer, decimal, amount, date, year or text", d.ty.value));
        return;
    };
    let mut finders = Vec::new();
    for f in &d.find {
        let fd = &f.value;
        let scope = match &fd.scope {
            Some(sc) => parse_scope(ctx, sc, false),
            None => Some(Scope::Text),
        };
        if let Some(Scope::Field(id)) = &scope {
            let earlier = set.fields.iter().any(|x| &x.id == id) || set.known.contains_key(id);
            if !earlier {
                ctx.err_in(fd.scope.as_ref().unwrap_or(&fd.pattern), 0, format!("field:{id} is not a field defined before `{}`", d.id.value));
            }
        }
        if let Some(Scope::Part(p)) = &scope
            && !set.sections.iter().any(|x| &x.id == p) {
                ctx.err_in(fd.scope.as_ref().unwrap_or(&fd.pattern), 0, format!("no section `{p}` is defined"));
            }
        let regex = ctx.regex(&fd.pattern);
        if let (Some(re), Some(v)) = (&regex, &fd.value) {
            for name in template_names(&v.value) {
                if !re.capture_names().flatten().any(|n| n == name) {
                    ctx.err_in(v, 0, format!("value uses group `{name}`, which the pattern does not capture"));
                }
            }
        }
        if let (Some(scope), Some(regex)) = (scope, regex) {
            finders.push(Finder { scope, regex, value: fd.value.as_ref().map(|v| v.value.clone()), last: fd.last });
        }
    }
    for fr in &d.from {
        let ok = set.fields.iter().any(|x| x.id == fr.value) || set.known.contains_key(&fr.value);
        if !ok {
            ctx.err_in(fr, 0, format!("`{}` is not a field defined before `{}`", fr.value, d.id.value));
        }
    }
    let default = match &d.default {
        Some(v) => match ty.convert(v) {
            Some(v) => Some(v),
            None => {
                ctx.err_at(&s.referenced, format!("default `{v}` is not a valid {}", d.ty.value));
                None
            }
        },
        None => None,
    };
    if set.known.contains_key(&d.id.value) && !set.fields.iter().all(|f| f.id != d.id.value) {
        return;
    }
    set.known.insert(d.id.value.clone(), (d.label.clone(), ty));
    set.fields.push(FieldRule {
        id: d.id.value.clone(),
        label: d.label.clone(),
        ty,
        finders,
        from: d.from.iter().map(|f| f.value.clone()).collect(),
        default,
        hidden: d.hidden,
        after_tables: false,
        names: d.names,
        origin: ctx.origin(&s.referenced),
    });
}

/// Names used as `{name}` in a finder's value template.
fn template_names(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = v;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else { break };
        out.push(after[..j].to_string());
        rest = &after[j + 1..];
    }
    out
}

fn each_bindings(ctx: &mut Ctx, c: &CheckDef, set: &RuleSet) -> Vec<Vec<(String, BTreeMap<String, String>)>> {
    let mut combos: Vec<Vec<(String, BTreeMap<String, String>)>> = vec![Vec::new()];
    for (var, def) in &c.each {
        let items: Vec<BTreeMap<String, String>> = match &def.value {
            EachDef::Selector(sel) => {
                let table_items = |t: &TableRule, rows: bool| -> Vec<BTreeMap<String, String>> {
                    if rows {
                        t.rows.iter().map(|r| BTreeMap::from([("id".to_string(), r.id.clone()), ("label".to_string(), r.label.clone())])).collect()
                    } else {
                        t.columns.iter().map(|r| BTreeMap::from([("id".to_string(), r.id.clone()), ("label".to_string(), r.label.clone())])).collect()
                    }
                };
                let (kind, name) = sel.split_once(':').unwrap_or(("", sel));
                if kind == "lexicon" {
                    match super::lexicon::each_items(set, name) {
                        Some(items) => items,
                        None => {
                            ctx.err_at(&def.referenced, format!("each `{var}`: `{sel}` is not `lexicon:concepts` or `lexicon:fields`"));
                            return Vec::new();
                        }
                    }
                } else {
                match (kind, set.tables.iter().find(|t| t.id == name)) {
                    ("table", Some(t)) => table_items(t, false),
                    ("rows", Some(t)) => table_items(t, true),
                    _ => {
                        ctx.err_at(&def.referenced, format!("each `{var}`: `{sel}` is not `table:ID` or `rows:ID` of a defined table, nor a list"));
                        return Vec::new();
                    }
                }
                }
            }
            EachDef::Ids(list) => list
                .iter()
                .map(|it| match it {
                    EachItem::Id(s) => BTreeMap::from([("id".to_string(), s.clone()), ("label".to_string(), s.clone())]),
                    EachItem::Map(m) => {
                        let mut m = m.clone();
                        if !m.contains_key("id") {
                            ctx.err_at(&def.referenced, format!("each `{var}`: every mapping needs an `id`"));
                        }
                        let id = m.get("id").cloned().unwrap_or_default();
                        m.entry("label".to_string()).or_insert(id);
                        m
                    }
                })
                .collect(),
        };
        if items.is_empty() {
            ctx.err_at(&def.referenced, format!("each `{var}` has no values: the check would never run"));
            return Vec::new();
        }
        let mut next = Vec::new();
        for combo in &combos {
            for it in &items {
                let mut c2 = combo.clone();
                c2.push((var.clone(), it.clone()));
                next.push(c2);
            }
        }
        combos = next;
    }
    combos
}

fn substituted(s: &S, b: &[(String, BTreeMap<String, String>)]) -> S {
    Spanned::new(substitute(&s.value, b), s.referenced, s.defined)
}

fn compile_check(ctx: &mut Ctx, s: &Spanned<CheckDef>, set: &mut RuleSet) {
    let c = &s.value;
    let severity = match c.severity.value.as_str() {
        "off" => None,
        v => match Severity::parse(v) {
            Some(sev) => Some(sev),
            None => {
                ctx.err_in(&c.severity, 0, format!("severity `{v}`: use error, warning, info or off"));
                return;
            }
        },
    };
    if let Some(k) = &c.claims {
        if crate::claims::local_names(&k.value).is_none() {
            ctx.err_in(k, 0, format!("claims `{}`: use wholes or shares", k.value));
            return;
        }
        if c.assert.is_none() || c.pattern.is_some() || c.status.is_some() || c.repeat.is_some() || c.numbering.is_some() {
            ctx.err_at(&s.referenced, format!("check `{}`: `claims` goes with `assert` only", c.id.value));
            return;
        }
    }
    if c.assert.is_none() && c.pattern.is_none() && c.status.is_none() && c.repeat.is_none() && c.numbering.is_none() {
        ctx.err_at(&s.referenced, format!("check `{}` needs `assert`, `pattern`, `status`, `repeat` or `numbering`", c.id.value));
        return;
    }
    if [c.pattern.is_some(), c.status.is_some(), c.repeat.is_some(), c.numbering.is_some()].iter().filter(|b| **b).count() > 1 {
        ctx.err_at(&s.referenced, format!("check `{}`: use one of `pattern`, `status`, `repeat`, `numbering`", c.id.value));
        return;
    }
    let status = match c.status.as_ref().map(|s| s.value.as_str()) {
        None => None,
        Some("ambiguous") => Some(true),
        Some("blank") => Some(false),
        Some(other) => {
            ctx.err_in(c.status.as_ref().unwrap_or(&c.id), 0, format!("status `{other}`: use ambiguous or blank"));
            return;
        }
    };
    for g in &c.fields {
        if !set.known.keys().any(|k| glob_match(g, k)) {
            ctx.err_at(&s.referenced, format!("`fields` glob `{g}` matches no field"));
        }
    }
    if c.absent && c.pattern.is_none() {
        ctx.err_at(&s.referenced, "`absent` goes with `pattern`");
    }
    if c.scope.is_some() && c.pattern.is_none() && c.repeat.is_none() && c.numbering.is_none() {
        ctx.err_at(&s.referenced, "`in` goes with `pattern`, `repeat` or `numbering`");
    }
    let errors_before = ctx.errors.len();
    let mut instances = Vec::new();
    for b in each_bindings(ctx, c, set) {
        let key_suffix = if b.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = b.iter().map(|(v, m)| format!("{v}={}", m.get("id").cloned().unwrap_or_default())).collect();
            format!("[{}]", parts.join(","))
        };
        let mut locals: BTreeSet<String> = BTreeSet::new();
        let body = if let Some(ambiguous) = status {
            for n in ["field", "label", "candidates", "raw", "count", "rows"] {
                locals.insert(n.into());
            }
            let per = match c.per.as_ref().map(|p| p.value.as_str()) {
                None | Some("field") => super::Per::Field,
                Some("row") => super::Per::Row,
                Some("table") => super::Per::Table,
                Some(other) => {
                    ctx.err_in(c.per.as_ref().unwrap_or(&c.id), 0, format!("per `{other}`: use field, row or table"));
                    continue;
                }
            };
            CheckBody::Status { ambiguous, globs: c.fields.clone(), per }
        } else if c.repeat.is_some() || c.numbering.is_some() {
            let scope = match &c.scope {
                Some(sc) => parse_scope(ctx, &substituted(sc, &b), true),
                None => Some(Scope::Text),
            };
            let Some(kind) = compile_text_kind(ctx, c) else { continue };
            for n in ["match", "unit", "previous", "stated", "found"] {
                locals.insert(n.into());
            }
            let Some(scope) = scope else { continue };
            CheckBody::Text { scope, kind, max: c.max.unwrap_or(20).max(1) }
        } else if let Some(p) = &c.pattern {
            let p = substituted(p, &b);
            let scope = match &c.scope {
                Some(sc) => parse_scope(ctx, &substituted(sc, &b), true),
                None => Some(Scope::Text),
            };
            let Some(regex) = ctx.regex(&p) else { continue };
            locals.insert("match".into());
            for n in regex.capture_names().flatten() {
                locals.insert(n.to_string());
            }
            let assert = match &c.assert {
                Some(a) => parse_expr(ctx, &substituted(a, &b), set, &locals),
                None => None,
            };
            let Some(scope) = scope else { continue };
            let search = crate::check::PatternSearch::new(regex);
            CheckBody::Pattern { scope, search, assert, absent: c.absent, max: c.max.unwrap_or(20).max(1) }
        } else if let Some(kind) = &c.claims {
            for n in crate::claims::local_names(&kind.value).unwrap_or(&[]) {
                locals.insert((*n).to_string());
            }
            let a = c.assert.as_ref().map(|a| substituted(a, &b));
            match a.and_then(|a| parse_expr(ctx, &a, set, &locals)) {
                Some(e) => CheckBody::Claims { kind: kind.value.clone(), assert: e },
                None => continue,
            }
        } else {
            let a = c.assert.as_ref().map(|a| substituted(a, &b));
            match a.and_then(|a| parse_expr(ctx, &a, set, &locals)) {
                Some(e) => CheckBody::Assert(e),
                None => continue,
            }
        };
        let when = c.when.as_ref().and_then(|w| parse_expr(ctx, &substituted(w, &b), set, &BTreeSet::new()));
        let msg = substituted(&c.message, &b);
        let message = match Template::parse(&msg.value, &Host) {
            Ok(t) => {
                check_refs(ctx, &msg, &t.refs(), set, &locals);
                t
            }
            Err(e) => {
                ctx.err_in(&msg, e.offset, format!("message: {}", e.message));
                continue;
            }
        };
        let mut refs: Vec<String> = Vec::new();
        let assert = match &body {
            CheckBody::Assert(e) => Some(e),
            _ => None,
        };
        for (r, _) in when.iter().chain(assert).flat_map(|e| e.refs()) {
            if !refs.contains(&r) {
                refs.push(r);
            }
        }
        let mut when_refs: Vec<String> = Vec::new();
        for (r, _) in when.iter().flat_map(|e| e.refs()) {
            if !when_refs.contains(&r) {
                when_refs.push(r);
            }
        }
        instances.push(CheckInstance { key_suffix, when, body, message, refs, when_refs });
    }
    let examples = compile_examples(ctx, c);
    if ctx.errors.len() > errors_before {
        return;
    }
    set.checks.push(CheckRule {
        id: c.id.value.clone(),
        severity,
        description: c.description.clone(),
        instances,
        examples,
        alone: c.alone,
        settles: c.settles,
        origin: ctx.origin(&s.referenced),
    });
}

fn compile_text_kind(ctx: &mut Ctx, c: &CheckDef) -> Option<TextKind> {
    if let Some(r) = &c.repeat {
        let d = &r.value;
        if d.min < 1 || d.max < d.min || d.max > 64 {
            ctx.err_at(&r.referenced, format!("repeat: need 1 <= min <= max <= 64, got min {} max {}", d.min, d.max));
            return None;
        }
        let allow = match &d.allow {
            Some(a) => Some(ctx.regex(a)?),
            None => None,
        };
        return Some(TextKind::Repeat { min: d.min, max: d.max, allow });
    }
    let n = c.numbering.as_ref()?;
    let heading = ctx.regex(&n.value.heading)?;
    if !heading.capture_names().flatten().any(|g| g == "num") {
        ctx.err_in(&n.value.heading, 0, "numbering.heading needs a group `num` (the numeral 一…十)");
        return None;
    }
    let skip = match &n.value.skip {
        Some(s) => Some(ctx.regex(s)?),
        None => None,
    };
    match &n.value.stated {
        None => Some(TextKind::Numbering { heading, skip }),
        Some(st) => {
            let stated = ctx.regex(st)?;
            if !stated.capture_names().flatten().any(|g| g == "n") {
                ctx.err_in(st, 0, "numbering.stated needs a group `n` (the stated number of parts)");
                return None;
            }
            Some(TextKind::PartCount { heading, skip, stated })
        }
    }
}

fn parse_expr(ctx: &mut Ctx, s: &S, set: &RuleSet, locals: &BTreeSet<String>) -> Option<Expr> {
    match Expr::parse(&s.value, &Host) {
        Ok(e) => {
            let before = ctx.errors.len();
            check_refs(ctx, s, &e.refs(), set, locals);
            (ctx.errors.len() == before).then_some(e)
        }
        Err(e) => {
            ctx.err_in(s, e.offset, e.message);
            None
        }
    }
}

/// Every reference must name a field the rules define (or a previous-year field, or a pattern
/// capture): a typo would otherwise make a check silently never apply.
fn check_refs(ctx: &mut Ctx, s: &S, refs: &[(String, usize)], set: &RuleSet, locals: &BTreeSet<String>) {
    for (r, off) in refs {
        if locals.contains(r) {
            continue;
        }
        let id = r.strip_prefix("prev.").unwrap_or(r);
        let known = if id.contains('*') {
            set.known.keys().any(|k| glob_match(id, k))
        } else {
            set.known.contains_key(id)
        };
        if !known {
            let hint = set
                .known
                .keys()
                .filter(|k| k.split('.').next() == id.split('.').next())
                .take(4)
                .cloned()
                .collect::<Vec<_>>();
            let hint = if hint.is_empty() { String::new() } else { format!(" (similar: {})", hint.join(", ")) };
            ctx.err_in(s, *off, format!("unknown field `{r}`{hint}"));
        }
    }
}

fn compile_examples(ctx: &mut Ctx, c: &CheckDef) -> Vec<Example> {
    let mut out = Vec::new();
    let Some(ex) = &c.examples else { return out };
    for (fire, list) in [(true, &ex.value.fire), (false, &ex.value.pass)] {
        for e in list {
            if e.value.text.is_none() && e.value.fields.is_none() {
                ctx.err_at(&e.referenced, "an example needs `text` or `fields`");
                continue;
            }
            let severity = match &e.value.severity {
                None => None,
                Some(s) => match Severity::parse(&s.value) {
                    Some(v) if fire => Some(v),
                    Some(_) => {
                        ctx.err_at(&s.referenced, "`severity` belongs to a `fire` example");
                        None
                    }
                    None => {
                        ctx.err_at(&s.referenced, format!("unknown severity `{}` (error | warning | info)", s.value));
                        None
                    }
                },
            };
            out.push(Example {
                fire,
                text: e.value.text.clone(),
                fields: e.value.fields.clone(),
                prev: e.value.prev.clone(),
                severity,
                origin: ctx.origin(&e.referenced),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitute_replaces_only_bound_names() {
        let b = vec![("col".to_string(), BTreeMap::from([("id".to_string(), "person".to_string()), ("label".to_string(), "自然人".to_string())]))];
        assert_eq!(substitute("t3.new.{col} {col.label} {t3.x}", &b), "t3.new.person 自然人 {t3.x}");
    }

    fn errors(yaml: &str) -> Vec<String> {
        match compile(None, &[("r.yaml".into(), yaml.to_string())]) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn each_expands_one_instance_per_binding_with_keys() {
        let set = compile(
            None,
            &[("r.yaml".into(), "fields:\n  - { id: x.a, label: A, type: integer }\n  - { id: x.b, label: B, type: integer }\nchecks:\n  - id: c\n    severity: info\n    each: { v: [a, b] }\n    assert: 'x.{v} > 0'\n    message: '{v.label}'\n".into())],
        )
        .unwrap();
        let keys: Vec<&str> = set.checks[0].instances.iter().map(|i| i.key_suffix.as_str()).collect();
        assert_eq!(keys, ["[v=a]", "[v=b]"]);
    }

    #[test]
    fn mistakes_are_located_in_the_file() {
        let e = errors("checks:\n  - id: c\n    severity: error\n    assert: 'nope > 1'\n    message: m\n");
        assert_eq!(e, ["r.yaml:4:14: unknown field `nope`"]);
        let e = errors("checks:\n  - { id: c, severity: loud, assert: 'true', message: m }\n");
        assert!(e[0].starts_with("r.yaml:2:") && e[0].contains("severity `loud`"), "{e:?}");
        let e = errors("checks:\n  - { id: c, severity: error, assert: 'true', message: m }\n  - { id: c, severity: error, assert: 'true', message: m }\n");
        assert!(e[0].contains("defined twice"), "{e:?}");
        let e = errors("fields:\n  - { id: f, label: F, type: integer, find: [{ pattern: '(' }] }\n");
        assert!(e[0].starts_with("r.yaml:2:") && e[0].contains("bad regex"), "{e:?}");
        let e = errors("checks:\n  - { id: c, severity: error, message: m }\n");
        assert!(e[0].contains("needs `assert`"), "{e:?}");
        let e = errors("tables:\n  - { id: t, label: T, start: x, columns: [{ id: a, label: A }], rows: [{ id: r, label: R }], row_sums: [{ parts: [a], total: z }] }\n");
        assert!(e[0].contains("no column `z`"), "{e:?}");
    }

    #[test]
    fn text_quality_kinds_are_validated() {
        let e = errors("checks:\n  - { id: c, severity: warning, numbering: { heading: '(?P<n>一)、' }, message: m }\n");
        assert!(e[0].starts_with("r.yaml:2:") && e[0].contains("group `num`"), "{e:?}");
        let e = errors("checks:\n  - { id: c, severity: warning, repeat: { min: 4, max: 2 }, message: m }\n");
        assert!(e[0].contains("min <= max"), "{e:?}");
        let e = errors("checks:\n  - { id: c, severity: warning, repeat: { min: 2, max: 3 }, pattern: x, message: m }\n");
        assert!(e[0].contains("use one of"), "{e:?}");
        let e = errors("checks:\n  - { id: c, severity: warning, numbering: { heading: '(?P<num>一)、', stated: '共(.)个部分' }, message: '{stated}' }\n");
        assert!(e[0].contains("group `n`"), "{e:?}");
        assert!(errors("checks:\n  - { id: c, severity: warning, repeat: { min: 2, max: 3, allow: '^研究研究$' }, in: part.1, message: '{unit}' }\n").is_empty());
    }

    fn builtin_files() -> Vec<(String, String)> {
        super::super::builtin::FILES
            .iter()
            .filter(|(p, _)| p.ends_with(".yaml"))
            .map(|(p, t)| (format!("rules/{p}"), t.to_string()))
            .collect()
    }

    /// Helpers only ever build what the pass would have built itself: the compiled pack and the
    /// errors of a broken one are the same with any number of them.
    #[test]
    fn helpers_change_nothing_but_the_time() {
        let files = builtin_files();
        let alone = format!("{:?}", compile_with(0, false, None, &files).unwrap());
        for (helpers, lazy) in [(1, false), (3, false), (0, true), (1, true), (3, true)] {
            assert_eq!(format!("{:?}", compile_with(helpers, lazy, None, &files).unwrap()), alone, "{helpers} helpers, lazy {lazy}");
        }
        let mut broken = files.clone();
        for (path, text) in broken.iter_mut() {
            if path.ends_with("lexicon.yaml") {
                *text = text.replacen("'转下一?年度'", "'转下一?年度('", 1);
            }
            if path.ends_with("tables.yaml") {
                *text = text.replacen("start: '", "start: '[", 1);
            }
            if path.ends_with("narrative.yaml") {
                *text = text.replacen("  - id:", "  - idd:", 1);
            }
        }
        let errors = |helpers, lazy| compile_with(helpers, lazy, None, &broken).unwrap_err().iter().map(|e| e.to_string()).collect::<Vec<_>>();
        let alone = errors(0, false);
        assert!(alone.len() >= 3, "{alone:?}");
        assert!(alone.iter().any(|e| e.starts_with("rules/lexicon.yaml:") && e.contains("bad regex")), "{alone:?}");
        assert!(alone.iter().any(|e| e.starts_with("rules/tables.yaml:") && e.contains("bad regex")), "{alone:?}");
        for (helpers, lazy) in [(1, false), (3, false), (0, true), (1, true)] {
            assert_eq!(errors(helpers, lazy), alone, "{helpers} helpers, lazy {lazy}");
        }
    }

    /// The built-in pack's rows are built on first use: every one of them builds, and as the
    /// same regex an eager load builds.
    #[test]
    fn every_lazy_row_of_the_built_in_pack_builds() {
        let set = RuleSet::builtin();
        let mut rows = 0;
        for t in &set.tables {
            for r in &t.rows {
                let built: &Regex = &r.regex;
                assert_eq!(built.as_str(), r.regex.as_str());
                assert_eq!(built.as_str(), compile_regex(r.regex.as_str()).unwrap().as_str());
                rows += 1;
            }
        }
        assert!(rows > 100, "{rows}");
    }

    /// Every regex the built-in pack builds is foreseen, so the helpers can build it ahead: a
    /// pattern made in a new way that `foresee` does not know would quietly be built on the
    /// reading pass alone (correct, only slower).
    #[test]
    fn the_built_in_pack_is_foreseen_whole() {
        let files = builtin_files();
        let parsed_files: Vec<RuleFile> = files.iter().map(|(p, t)| parse_file(p, t).unwrap()).collect();
        let parsed: Vec<(&str, &str, &RuleFile)> = files.iter().zip(&parsed_files).map(|((p, t), f)| (p.as_str(), t.as_str(), f)).collect();
        let regexes = Regexes::new(false);
        let mut wanted = foresee(&parsed, false);
        let set = compile_parsed(None, &parsed, &regexes, &Ahead::new(0), Vec::new()).unwrap();
        wanted.extend(foresee_checks(&parsed, &set, &regexes));
        let (mut ones, mut sets) = (BTreeSet::new(), BTreeSet::new());
        for w in wanted {
            match w {
                Want::One(s) => ones.insert(s),
                Want::Set(l) => sets.insert(l),
            };
        }
        let (asked, asked_sets) = regexes.asked();
        let missed: Vec<&String> = asked.iter().filter(|s| !ones.contains(*s)).collect();
        assert!(missed.is_empty(), "built but not foreseen: {missed:?}");
        assert!(asked_sets.iter().all(|l| sets.contains(l)));
        assert!(asked.len() > 150, "{}", asked.len());
        let wasted: Vec<&String> = ones.iter().filter(|s| !asked.contains(*s)).collect();
        assert!(wasted.is_empty(), "foreseen but never built: {wasted:?}");
    }

    #[test]
    fn a_check_with_no_bindings_is_refused() {
        let e = errors("checks:\n  - { id: c, severity: error, each: { v: [] }, assert: 'true', message: m }\n");
        assert!(e[0].contains("would never run"), "{e:?}");
    }
}
