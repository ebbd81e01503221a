//! The lexicon (`lexicon.yaml`): the words the narrative uses, compiled once when the rules load.
//!
//! The claims stage (`src/claims`) reads every stated figure with these: which concept it counts
//! (phrases are regexes), which words open or close a list of parts, which narrow a figure's
//! scope, the set statements reports make, and more wordings of the part headings. Nothing here
//! is compiled per report.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use regex::Regex;

use super::compile::Want;
use super::regexes::{Regexes, parses};
use super::schema::{ConceptDef, LexiconDef, RuleFile, S, StatementDef};
use super::{FieldType, RuleSet};

/// A concept a stated figure may count.
#[derive(Debug, Clone)]
pub struct Concept {
    pub id: String,
    pub label: String,
    /// Units it is counted in; empty = any.
    pub units: Vec<String>,
    /// All its phrases in one regex.
    pub phrase: Regex,
    pub rate: bool,
    /// Naming it starts a new statement: it is never a listed part of another concept.
    pub breaks: bool,
    /// Read only as a listed part of a whole of this concept.
    pub part_of: Option<String>,
    pub origin: super::Origin,
    /// Template key (2021, 2019, legacy, legacy_national, legacy_fujian) → field expression.
    pub fields: BTreeMap<String, String>,
    pub alt: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub id: String,
    pub label: String,
    pub pattern: Regex,
    pub near: Vec<String>,
    pub unless: Vec<String>,
    /// No match is empty or holds a 。, so a search started right after a 。 finds what a search
    /// from the start finds there (`claims::resyncs_after_full_stop`).
    pub resyncs: bool,
}

#[derive(Debug, Clone)]
pub struct Lexicon {
    /// A figure: qualifier, digits, 余/多, unit (optional), 左右/以上. Built from `units`.
    pub token: Regex,
    pub units: Vec<String>,
    pub openers: Vec<(String, bool)>,
    /// The openers' phrases in one leftmost-first automaton: the first opener in a window (of
    /// those at the same place, the one listed first), as `claims::scan::first_of` finds it.
    pub opener_words: Option<aho_corasick::AhoCorasick>,
    pub totals: Vec<String>,
    pub closing: Vec<String>,
    pub open_ends: Vec<String>,
    pub share: Vec<String>,
    pub ignore: Option<Regex>,
    pub whole_scope: Vec<String>,
    /// The whole agency's words in one automaton: a clause that holds none is left as it is.
    pub whole_scope_words: Option<aho_corasick::AhoCorasick>,
    /// (kind, phrases)
    pub scopes: Vec<(String, Vec<String>)>,
    /// Every scope phrase in one automaton: most figures' clauses name none, and then
    /// `claims::scope_of` has nothing to look for (see there why that is exact).
    pub scope_words: Option<aho_corasick::AhoCorasick>,
    pub concepts: Vec<Concept>,
    /// Every concept's phrase, in concept order: which concepts a window names, in one pass.
    pub concept_set: regex::RegexSet,
    pub statements: Vec<Statement>,
    /// Every statement's `near` words (sorted, distinct) in one vector search (leftmost-first
    /// Teddy), to find the sentences that name each.
    pub near_words: Option<(Vec<String>, aho_corasick::packed::Searcher)>,
    /// Section id → more heading wordings (literal, without the part number), with where they
    /// were written.
    pub headings: BTreeMap<String, (Vec<String>, super::Origin)>,
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon {
            token: token_regex(&[]),
            units: Vec::new(),
            openers: Vec::new(),
            opener_words: None,
            totals: Vec::new(),
            closing: Vec::new(),
            open_ends: Vec::new(),
            share: Vec::new(),
            ignore: None,
            whole_scope: Vec::new(),
            whole_scope_words: None,
            scopes: Vec::new(),
            scope_words: None,
            concepts: Vec::new(),
            concept_set: regex::RegexSet::empty(),
            statements: Vec::new(),
            near_words: None,
            headings: BTreeMap::new(),
        }
    }
}

impl Lexicon {
    pub fn concept(&self, id: &str) -> Option<&Concept> {
        self.concepts.iter().find(|c| c.id == id)
    }

    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty() && self.statements.is_empty()
    }
}

/// Template keys a concept's `fields` may use, with the condition each stands for.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("2021", "template == \"2021\""),
    ("2019", "template == \"2019\""),
    ("legacy", "template == \"legacy\""),
    ("legacy_national", "template == \"legacy\" && legacy_table == \"national\""),
    ("legacy_fujian", "template == \"legacy\" && legacy_table == \"fujian\""),
];

/// The words before a figure that make it a bound or an approximation (the figure pattern's
/// `pre` group, in its order). The claims stage's scan for where a figure can start reads them.
pub const PRE: &[&str] = &["将近", "接近", "近", "大约", "约", "超过", "逾"];

fn token_regex(units: &[String]) -> Regex {
    // Longest units first, so 人次 wins over 次 and 万元 over 元.
    let mut u: Vec<&String> = units.iter().collect();
    u.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    let alts: Vec<String> = u.iter().map(|s| regex::escape(s)).collect();
    // A figure needs a unit, or punctuation right after it (a list's last figure may drop the
    // unit: "不予公开信息数1402。"): bare digit runs (years, table cells) are never matched.
    let units = if alts.is_empty() { String::from("%") } else { alts.join("|") };
    let unit = format!("(?:(?P<unit>{units})|(?P<stop>[。；;，,]))");
    let pre = PRE.join("|");
    let src = format!(
        r"(?P<pre>{pre})?(?P<num>[0-9０-９]{{1,3}}(?:,[0-9]{{3}})+|[0-9０-９]+)(?:[.．](?P<frac>[0-9０-９]+))?[ \t\r\n　]*(?P<more>余|多)?[ \t\r\n　]*{unit}(?P<post>左右|以上)?"
    );
    Regex::new(&src).expect("the figure pattern is built from escaped literals")
}

/// The scope phrases as one automaton (a DFA: a few dozen short words, built in microseconds at
/// every load, searched over one clause per figure; a third of the contiguous NFA's cost there).
fn scope_automaton(scopes: &[(String, Vec<String>)]) -> Option<aho_corasick::AhoCorasick> {
    let words: Vec<&str> = scopes.iter().flat_map(|(_, p)| p.iter().map(String::as_str)).collect();
    // A phrase with a space could be made by the agency words' replacement: no shortcut then.
    if words.is_empty() || words.iter().any(|w| w.contains(' ')) {
        return None;
    }
    aho_corasick::AhoCorasick::builder().kind(Some(aho_corasick::AhoCorasickKind::DFA)).build(&words).ok()
}

fn opener_automaton(openers: &[(String, bool)]) -> Option<aho_corasick::AhoCorasick> {
    aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(openers.iter().map(|(p, _)| p))
        .ok()
}

/// Loose form of a literal heading: any spacing (a line break too) or markup tags left by a
/// converter between its characters.
pub fn loose(phrase: &str) -> String {
    let parts: Vec<String> = phrase.chars().filter(|c| !c.is_whitespace()).map(|c| regex::escape(&c.to_string())).collect();
    parts.join(r"(?:\s|<[^<>\n]*>)*")
}

/// Several phrases as one regex.
fn union_source(list: &[S]) -> String {
    let src: Vec<String> = list.iter().map(|p| format!("(?:{})", p.value)).collect();
    src.join("|")
}

/// A section's heading regex with the lexicon's wordings after its part number; None for a
/// section without a label (no number to put first).
fn heading_source(heading: &str, label: &str, list: &[String]) -> Option<String> {
    let num = label.chars().next()?;
    let alts: Vec<String> = list.iter().map(|p| loose(p)).collect();
    Some(format!(r"(?:{heading})|(?:{}\s*[、.．]\s*(?:{}))", regex::escape(&num.to_string()), alts.join("|")))
}

impl super::compile::Ctx<'_> {
    fn phrase_union(&mut self, list: &[S], what: &str, at: &S) -> Option<Regex> {
        if list.is_empty() {
            self.err_in(at, 0, format!("{what} needs at least one phrase"));
            return None;
        }
        let src = union_source(list);
        // When every phrase parses and their union compiles, each phrase compiles on its own
        // too (the union holds it, so it is within the size limit): building each one only to
        // find that out is most of the cost of a lexicon. Otherwise each is built for its error.
        if list.iter().all(|p| parses(&p.value))
            && let Ok(r) = self.re.regex(&src)
        {
            return Some(r);
        }
        let mut ok = true;
        for p in list {
            if let Err(m) = self.re.regex(&p.value) {
                self.err_in(p, 0, m);
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        self.re.regex(&src).ok()
    }
}

/// Merge one file's lexicon into the pack (several files may each add to it).
pub(super) fn compile_lexicon(ctx: &mut super::compile::Ctx, d: &LexiconDef, set: &mut RuleSet) {
    let lx = &mut set.lexicon;
    lx.units.extend(d.units.iter().cloned());
    lx.openers.extend(d.openers.iter().map(|o| (o.value.phrase.clone(), o.value.closed)));
    lx.totals.extend(d.totals.iter().cloned());
    lx.closing.extend(d.closing.iter().cloned());
    lx.open_ends.extend(d.open_ends.iter().cloned());
    lx.share.extend(d.share.iter().cloned());
    lx.whole_scope.extend(d.whole_scope.iter().cloned());
    for s in &d.scopes {
        let kind = s.value.kind.value.as_str();
        if !["unit", "channel", "period"].contains(&kind) {
            ctx.err_in(&s.value.kind, 0, format!("scope kind `{kind}`: use unit, channel or period"));
            continue;
        }
        lx.scopes.push((kind.to_string(), s.value.phrases.clone()));
    }
    if !d.ignore.is_empty() {
        let all = ignore_source(lx.ignore.as_ref().map(|r| r.as_str()), &d.ignore);
        // As in `phrase_union`: the union compiling vouches for each pattern that parses.
        match ctx.re.regex(&all) {
            Ok(r) if d.ignore.iter().all(|p| parses(&p.value)) => lx.ignore = Some(r),
            _ => {
                let mut ok = true;
                for p in &d.ignore {
                    if let Err(m) = ctx.re.regex(&p.value) {
                        ctx.err_in(p, 0, m);
                        ok = false;
                    }
                }
                if ok {
                    lx.ignore = ctx.re.regex(&all).ok();
                }
            }
        }
    }
    for (id, list) in &d.headings {
        let origin = ctx.origin(&list.referenced);
        let e = set.lexicon.headings.entry(id.clone()).or_insert_with(|| (Vec::new(), origin));
        e.0.extend(list.value.iter().cloned());
    }
    for c in &d.concepts {
        compile_concept(ctx, &c.value, set);
    }
    for s in &d.statements {
        compile_statement(ctx, &s.value, set);
    }
    set.lexicon.token = token_regex(&set.lexicon.units);
    set.lexicon.scope_words = scope_automaton(&set.lexicon.scopes);
    set.lexicon.opener_words = opener_automaton(&set.lexicon.openers);
    set.lexicon.whole_scope_words = aho_corasick::AhoCorasick::builder().kind(Some(aho_corasick::AhoCorasickKind::DFA)).build(&set.lexicon.whole_scope).ok();
    let phrases: Vec<String> = set.lexicon.concepts.iter().map(|c| c.phrase.as_str().to_string()).collect();
    match ctx.re.set(&phrases) {
        Ok(s) => set.lexicon.concept_set = s,
        // Each phrase compiled on its own; together they can only exceed the size limit.
        Err(e) => {
            if let Some(c) = d.concepts.first() {
                ctx.err_in(&c.value.id, 0, format!("the concepts' phrases together: {e}"));
            }
        }
    }
}

fn compile_concept(ctx: &mut super::compile::Ctx, c: &ConceptDef, set: &mut RuleSet) {
    let id = c.id.value.as_str();
    if id.is_empty() || !id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '_') || id.starts_with("says") {
        ctx.err_in(&c.id, 0, format!("concept id `{id}`: use letters, digits, `.` and `_` (not `says`)"));
        return;
    }
    if set.lexicon.concept(id).is_some() {
        ctx.err_in(&c.id, 0, format!("concept `{id}` is defined twice"));
        return;
    }
    let Some(phrase) = ctx.phrase_union(&c.phrases, &format!("concept `{id}`"), &c.id) else { return };
    let mut fields = BTreeMap::new();
    let mut alt = BTreeMap::new();
    for (map, out) in [(&c.fields, &mut fields), (&c.alt, &mut alt)] {
        for (t, e) in map {
            if !TEMPLATES.iter().any(|(k, _)| k == t) {
                ctx.err_in(e, 0, format!("template `{t}`: use one of {}", TEMPLATES.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")));
                continue;
            }
            out.insert(t.clone(), e.value.clone());
        }
    }
    let ty = if c.rate || c.units.iter().any(|u| u.contains('元')) { FieldType::Decimal } else { FieldType::Integer };
    let base = format!("narr.{id}");
    set.known.insert(base.clone(), (format!("叙述：{}", c.label), ty));
    set.known.insert(format!("{base}.2"), (format!("叙述：{}（另一处）", c.label), ty));
    set.known.insert(format!("{base}.narrow"), (format!("叙述：{}（局部口径）", c.label), ty));
    set.known.insert(format!("{base}.narrow_scope"), (format!("叙述：{}的口径", c.label), FieldType::Text));
    set.lexicon.concepts.push(Concept {
        id: id.to_string(),
        label: c.label.clone(),
        units: c.units.clone(),
        phrase,
        rate: c.rate,
        breaks: c.breaks,
        part_of: c.part_of.as_ref().map(|p| p.value.clone()),
        origin: ctx.origin(c.part_of.as_ref().map_or(&c.id.referenced, |p| &p.referenced)),
        fields,
        alt,
    });
}

fn compile_statement(ctx: &mut super::compile::Ctx, s: &StatementDef, set: &mut RuleSet) {
    let id = s.id.value.as_str();
    if id.is_empty() || !id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '.' || ch == '_') {
        ctx.err_in(&s.id, 0, format!("statement id `{id}`: use letters, digits, `.` and `_`"));
        return;
    }
    if set.lexicon.statements.iter().any(|x| x.id == id) {
        ctx.err_in(&s.id, 0, format!("statement `{id}` is defined twice"));
        return;
    }
    let Some(pattern) = ctx.phrase_union(&s.patterns, &format!("statement `{id}`"), &s.id) else { return };
    set.known.insert(format!("narr.says.{id}"), (format!("叙述：{}", s.label), FieldType::Text));
    let resyncs = crate::claims::resyncs_after_full_stop(pattern.as_str());
    set.lexicon.statements.push(Statement {
        id: id.to_string(),
        label: s.label.clone(),
        pattern,
        near: s.near.clone(),
        unless: s.unless.clone(),
        resyncs,
    });
    let lx = &mut set.lexicon;
    let mut words: Vec<String> = lx.statements.iter().flat_map(|s| s.near.iter().cloned()).filter(|w| !w.is_empty()).collect();
    words.sort();
    words.dedup();
    lx.near_words = aho_corasick::packed::Searcher::new(&words).map(|s| (words, s));
}

/// After every file is read: headings named in the lexicon join their section's heading regex
/// (the part number first, then the wording with any spacing between its characters).
pub(super) fn finish(set: &mut RuleSet, errors: &mut Vec<super::RuleError>, re: &Regexes) {
    for c in &set.lexicon.concepts {
        if let Some(p) = &c.part_of
            && set.lexicon.concept(p).is_none()
        {
            errors.push(super::RuleError {
                path: c.origin.file.to_string(),
                line: c.origin.line,
                col: c.origin.col,
                message: format!("concept `{}`: part_of `{p}` is not a concept", c.id),
            });
        }
    }
    let headings = set.lexicon.headings.clone();
    for (id, (list, at)) in headings {
        let Some(sec) = set.sections.iter_mut().find(|s| s.id == id) else {
            errors.push(super::RuleError {
                path: at.file.to_string(),
                line: at.line,
                col: at.col,
                message: format!("headings: `{id}` is not a section (sections.yaml defines part.1 … part.6)"),
            });
            continue;
        };
        let Some(src) = heading_source(sec.heading.as_str(), &sec.label, &list) else { continue };
        match re.regex(&src) {
            Ok(r) => sec.heading = r,
            Err(m) => errors.push(super::RuleError {
                path: at.file.to_string(),
                line: at.line,
                col: at.col,
                message: format!("headings of `{id}`: {m}"),
            }),
        }
    }
}

/// The ignore patterns of one more lexicon file joined to those of the files before.
fn ignore_source(before: Option<&str>, list: &[S]) -> String {
    let all: Vec<String> = before.map(str::to_string).into_iter().chain(list.iter().map(|p| format!("(?:{})", p.value))).collect();
    all.join("|")
}

/// What `compile_lexicon` and `finish` will build, foreseen from the rule files (see
/// `compile::foresee`).
#[derive(Default)]
pub(super) struct Foresight {
    ignore: Option<String>,
    concepts: Vec<String>,
    ids: BTreeSet<String>,
    headings: BTreeMap<String, Vec<String>>,
}

impl Foresight {
    pub fn file(&mut self, d: &LexiconDef, out: &mut Vec<Want>) {
        if !d.ignore.is_empty() {
            let all = ignore_source(self.ignore.as_deref(), &d.ignore);
            out.push(Want::One(all.clone()));
            self.ignore = Some(all);
        }
        for (id, list) in &d.headings {
            self.headings.entry(id.clone()).or_default().extend(list.value.iter().cloned());
        }
        for c in &d.concepts {
            let c = &c.value;
            if !c.phrases.is_empty() && self.ids.insert(c.id.value.clone()) {
                let src = union_source(&c.phrases);
                out.push(Want::One(src.clone()));
                self.concepts.push(src);
            }
        }
        for s in &d.statements {
            if !s.value.patterns.is_empty() {
                out.push(Want::One(union_source(&s.value.patterns)));
            }
        }
        out.push(Want::Set(self.concepts.clone()));
    }

    pub fn headings(&self, parsed: &[(&str, &str, &RuleFile)], out: &mut Vec<Want>) {
        for (id, list) in &self.headings {
            let sec = parsed.iter().flat_map(|(_, _, f)| &f.sections).find(|s| s.value.id.value == *id);
            if let Some(src) = sec.and_then(|s| heading_source(&s.value.heading.value, &s.value.label, list)) {
                out.push(Want::One(src));
            }
        }
    }
}

/// `each: { k: lexicon:concepts }` and `lexicon:fields` bindings for checks.
pub fn each_items(set: &RuleSet, which: &str) -> Option<Vec<BTreeMap<String, String>>> {
    let lx = &set.lexicon;
    // What a reviewer reads for a table expression: a single field's label and id, else the
    // expression itself.
    // How many table layouts have each cell: a cell two layouts share (t2.normative.in_force in
    // 2019 and 2021) has no one label.
    let layouts: std::cell::OnceCell<HashMap<String, usize>> = std::cell::OnceCell::new();
    let layouts_of = |id: &str| -> usize {
        let map = layouts.get_or_init(|| {
            let mut map = HashMap::new();
            for t in &set.tables {
                let ids: BTreeSet<String> = t.rows.iter().flat_map(|r| t.columns.iter().map(|c| t.field_id(&r.id, &c.id))).collect();
                for id in ids {
                    *map.entry(id).or_insert(0) += 1;
                }
            }
            map
        });
        map.get(id).copied().unwrap_or(0)
    };
    let shown = |e: &str| -> String {
        let id = e.trim();
        match set.label(id) {
            Some(l) if layouts_of(id) <= 1 => format!("{l}（{id}）"),
            _ => e.to_string(),
        }
    };
    match which {
        "concepts" => Some(
            lx.concepts
                .iter()
                .filter(|c| !c.rate)
                .map(|c| BTreeMap::from([("id".to_string(), c.id.clone()), ("label".to_string(), c.label.clone())]))
                .collect(),
        ),
        "fields" => {
            let mut out = Vec::new();
            for c in &lx.concepts {
                for (t, e) in &c.fields {
                    let when = TEMPLATES.iter().find(|(k, _)| k == t).map(|(_, w)| *w).unwrap_or("false");
                    out.push(BTreeMap::from([
                        ("id".to_string(), format!("{}@{t}", c.id)),
                        ("concept".to_string(), c.id.clone()),
                        ("label".to_string(), c.label.clone()),
                        ("template".to_string(), t.clone()),
                        ("when".to_string(), when.to_string()),
                        ("field".to_string(), e.clone()),
                        ("table".to_string(), shown(e)),
                        ("alt".to_string(), c.alt.get(t).cloned().unwrap_or_else(|| e.clone())),
                    ]));
                }
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_headings_allow_breaks_between_characters() {
        let r = Regex::new(&loose("存在问题及下一步工作")).unwrap();
        assert!(r.is_match("存在问题\n及下一步工作"));
        assert!(r.is_match("存 在 问 题 及下一步工作"));
        assert!(r.is_match("存在问题</span>\n<span>及下一步工作"));
    }

    fn errors(files: &[(&str, &str)]) -> Vec<String> {
        let files: Vec<(String, String)> = files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
        match super::super::compile::compile(None, &files) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn lexicon_mistakes_are_located_in_the_file() {
        let e = errors(&[("lexicon.yaml", "lexicon:\n  concepts:\n    - id: a.b\n      label: A\n      phrases: ['收到(']\n")]);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("lexicon.yaml:5:"), "{e:?}");
        let e = errors(&[("lexicon.yaml", "lexicon:\n  headings:\n    part.9: [问题]\n")]);
        assert!(e[0].starts_with("lexicon.yaml:3:") && e[0].contains("part.9"), "{e:?}");
        let e = errors(&[("lexicon.yaml", "lexicon:\n  concepts:\n    - id: a\n      label: A\n      phrases: [x]\n      fields: { '2022': t3.new.total }\n")]);
        assert!(e[0].contains("template `2022`"), "{e:?}");
        let e = errors(&[("lexicon.yaml", "lexicon:\n  conceps: []\n")]);
        assert!(e[0].starts_with("lexicon.yaml:2:"), "{e:?}");
    }

    #[test]
    fn the_figure_pattern_takes_the_longest_unit() {
        let r = token_regex(&["次".into(), "人次".into(), "元".into(), "万元".into(), "条".into()]);
        let c = r.captures("访问量达11460人次").unwrap();
        assert_eq!(&c["num"], "11460");
        assert_eq!(&c["unit"], "人次");
        let c = r.captures("共投入226.4万元").unwrap();
        assert_eq!((&c["num"], &c["frac"], &c["unit"]), ("226", "4", "万元"));
        let c = r.captures("300余条").unwrap();
        assert!(c.name("more").is_some());
        // Bare digit runs are not figures; a unitless one before punctuation is (a list's last).
        assert!(r.captures("2021年的640020470二、").is_none());
        let c = r.captures("不予公开信息数1402。").unwrap();
        assert_eq!((&c["num"], c.name("unit").is_none(), &c["stop"]), ("1402", true, "。"));
    }
}
