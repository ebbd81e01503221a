//! Text checks that a regex cannot express: a word written twice in a row (the regex crate has no
//! backreferences) and top-level part numbering that goes back. What counts as a legitimate
//! doubling, and which "一、" are table rows rather than parts, is in the rule (`allow`, `skip`).

use std::collections::HashMap;

use super::{applies, finding, match_key};
use crate::extract::scope_range;
use crate::load::Document;
use crate::model::{Fields, Finding, Severity, Value};
use crate::rules::{CheckInstance, CheckRule, RuleSet, Scope, TextKind};

/// One place the check fires: byte range in the scanned text and the message locals.
struct Hit {
    start: usize,
    end: usize,
    locals: Vec<(&'static str, String)>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    doc: &Document,
    fields: &Fields,
    prev: Option<&Fields>,
    rules: &RuleSet,
    rule: &CheckRule,
    severity: Severity,
    inst: &CheckInstance,
    scope: &Scope,
    kind: &TextKind,
    max: usize,
    key: &str,
    out: &mut Vec<Finding>,
) {
    let Some(mut env) = applies(fields, prev, rules, inst) else { return };
    let Some(range) = scope_range(doc, scope, fields) else { return };
    let hay = &doc.text[range.clone()];
    // A line inside one of the source's own tables is a table row ("三、本年度办 （一）予以公开 7"
    // from a PDF grid), never a part heading.
    let tables = || -> Vec<(usize, usize)> {
        doc.tables
            .iter()
            .filter(|t| t.end > range.start && t.start < range.end)
            .map(|t| (t.start.saturating_sub(range.start), t.end.saturating_sub(range.start)))
            .collect()
    };
    let hits = match kind {
        TextKind::Repeat { min, max, allow } => repeats(hay, *min, *max, allow.as_ref()),
        TextKind::Numbering { heading, skip } => numbering_restarts(hay, heading, skip.as_ref(), &tables()),
        TextKind::PartCount { heading, skip, stated } => part_count(hay, heading, skip.as_ref(), stated, &tables()),
    };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for h in hits.into_iter().take(max) {
        let matched = &hay[h.start..h.end];
        env.locals.clear();
        env.locals.insert("match".into(), Value::Text(matched.to_string()));
        for (k, v) in &h.locals {
            env.locals.insert((*k).to_string(), Value::Text(v.clone()));
        }
        let key = match_key(&mut seen, key, matched);
        let span = doc.span(range.start + h.start, range.start + h.end);
        let message = inst.message.render(&env);
        out.push(finding(rule, severity, message, Some(span), Vec::new(), key));
    }
}

fn is_han(c: char) -> bool {
    is_han_cp(u32::from(c))
}

fn is_han_cp(c: u32) -> bool {
    matches!(c, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF)
}

/// [`breaks_unit`] of a code point, the ASCII ones by table.
fn breaks_cp(c: u32) -> bool {
    const ASCII: [bool; 128] = {
        let mut t = [false; 128];
        let mut i = 0;
        while i < 128 {
            t[i] = breaks_unit(i as u8 as char);
            i += 1;
        }
        t
    };
    match ASCII.get(c as usize) {
        Some(&b) => b,
        None => char::from_u32(c).is_some_and(breaks_unit),
    }
}

/// The code point starting at byte `i` of valid UTF-8, and its length.
fn code_point(b: &[u8], i: usize) -> (u32, usize) {
    let x = b[i];
    let cont = |k: usize| u32::from(b.get(i + k).copied().unwrap_or(0x80) & 0x3F);
    match x {
        0..0x80 => (u32::from(x), 1),
        0..0xE0 => ((u32::from(x & 0x1F) << 6) | cont(1), 2),
        0..0xF0 => ((u32::from(x & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3),
        _ => ((u32::from(x & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3), 4),
    }
}

/// Characters a doubled unit may not contain: a doubling that spans a clause break or a line is
/// not a doubled word.
const fn breaks_unit(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '，' | '。' | '；' | '：' | '、' | '！' | '？' | ',' | '.' | ';' | ':' | '!' | '?' | '（' | '）' | '(' | ')' | '【' | '】' | '《' | '》' | '“' | '”' | '"' | '\'' | '|'
    )
}

/// Every place where a unit of `min..=max` characters is immediately written again ("资金资金",
/// "审核审核"). The unit starts with a Han character, holds at least `min.min(2)` of them, is not
/// one character repeated ("一一", "方方" are reduplications), does not end in a space (spaced
/// column labels), and the doubled text, spaces removed, is not matched by `allow`. The
/// shortest doubling at a position wins; scanning resumes after it.
///
/// A doubling (both copies) lies within one clause, and its unit's first character comes again
/// right after the unit, so only a clause of at least `2 * min` characters is searched and, at
/// each character, only the lengths where the same character comes again ([`Clauses`]). The
/// same hits as the plain search over the whole text (`tests::repeats_plain`).
fn repeats(hay: &str, min: usize, max: usize, allow: Option<&regex::Regex>) -> Vec<Hit> {
    debug_assert!(max <= MAX_UNIT, "compile refuses a longer unit");
    let mut out = Vec::new();
    CLAUSES.with(|cell| {
        let mut c = cell.borrow_mut();
        c.read(hay);
        for &(from, to, end) in &c.clauses {
            if to - from >= 2 * min {
                c.doubled_in(hay, from, to, end, min, max, allow, &mut out);
            }
        }
    });
    out
}

thread_local! {
    static CLAUSES: std::cell::RefCell<Clauses> = std::cell::RefCell::new(Clauses::default());
}

/// A text read into clauses once, for every doubling check of the report (the pack has two).
/// A first pass over the bytes finds the clauses where a Han character comes again within
/// [`MAX_UNIT`] characters (elsewhere no doubling can start); only those are kept: their
/// characters, where each ends, and for each Han character the next same one in its clause.
#[derive(Default)]
struct Clauses {
    /// The text read, so the next check over the same text reuses the reading.
    text: String,
    /// Every character that does not break a unit, and its byte offset.
    chars: Vec<(usize, char)>,
    /// For each of `chars`, the index of the next same character in its clause (`NONE`: none).
    next: Vec<u32>,
    /// Each clause: its range in `chars` and the byte where it ends.
    clauses: Vec<(usize, usize, usize)>,
    /// The Han characters whose next same character in the clause is at most [`MAX_UNIT`]
    /// further on, in text order: only there can a doubling start.
    starts: Vec<usize>,
    /// The byte ranges of those clauses (kept for its buffer).
    hot: Vec<(usize, usize)>,
    /// Whether `text` has been read.
    fresh: bool,
    /// For each BMP character, `stamp` + 1 + the index in `chars` where it was last seen; an
    /// entry from an earlier clause or text is below the current clause's stamp, so the table
    /// is never cleared between texts.
    last: Vec<u32>,
    stamp: u32,
}

const NONE: u32 = u32::MAX;

/// The longest unit a `repeat:` check may ask for (`rules::compile` holds `max` to it).
const MAX_UNIT: usize = 64;

impl Clauses {
    fn read(&mut self, hay: &str) {
        if self.fresh && self.text == hay {
            return;
        }
        // A big report's buffers are not kept for the small ones after it.
        if self.chars.capacity() > 1 << 20 && hay.len() < 1 << 18 {
            *self = Clauses { last: std::mem::take(&mut self.last), stamp: self.stamp, ..Clauses::default() };
        }
        self.text.clear();
        self.text.push_str(hay);
        self.chars.clear();
        self.next.clear();
        self.clauses.clear();
        self.starts.clear();
        if self.last.is_empty() {
            self.last = vec![0; 0x10000];
        }
        // Stamps must stay above every entry of this text: start again well before they wrap.
        if self.stamp as usize + 2 * hay.len() + 4 >= NONE as usize {
            self.last.fill(0);
            self.stamp = 0;
        }
        // First pass, over the bytes: where the clauses are, and which of them hold a Han
        // character that comes again within `MAX_UNIT` (only there can a doubling be).
        let base = self.stamp;
        let bytes = hay.as_bytes();
        let mut hot = std::mem::take(&mut self.hot);
        hot.clear();
        let (mut g, mut start_g, mut start_b, mut is_hot) = (0u32, 0u32, 0usize, false);
        let mut i = 0;
        while i < bytes.len() {
            let (cp, len) = code_point(bytes, i);
            if is_han_cp(cp) {
                let slot = &mut self.last[cp as usize];
                let stamp = base + 1 + g;
                if *slot > base + start_g && stamp - *slot <= MAX_UNIT as u32 {
                    is_hot = true;
                }
                *slot = stamp;
            } else if breaks_cp(cp) {
                if is_hot {
                    hot.push((start_b, i));
                }
                (start_b, start_g, is_hot) = (i + len, g + 1, false);
            }
            i += len;
            g += 1;
        }
        if is_hot {
            hot.push((start_b, bytes.len()));
        }
        // Second pass, over those clauses only: their characters, and each Han character's next
        // occurrence in its clause (stamps above every one of the first pass).
        let base = base + g + 1;
        for &(s, e) in &hot {
            let from = self.chars.len();
            for (i, c) in hay[s..e].char_indices() {
                let k = self.chars.len();
                self.chars.push((s + i, c));
                self.next.push(NONE);
                if is_han(c) {
                    let slot = &mut self.last[c as usize];
                    if *slot > base + from as u32 {
                        let p = (*slot - base - 1) as usize;
                        if self.next[p] == NONE && k - p <= MAX_UNIT {
                            self.starts.push(p);
                        }
                        self.next[p] = k as u32;
                    }
                    *slot = base + 1 + k as u32;
                }
            }
            self.clauses.push((from, self.chars.len(), e));
        }
        // In text order, for the clauses' searches.
        self.starts.sort_unstable();
        self.stamp = base + self.chars.len() as u32 + 1;
        self.hot = hot;
        self.fresh = true;
    }

    /// The doublings of the clause `chars[from..to]`, which ends at byte `end`.
    #[allow(clippy::too_many_arguments)]
    fn doubled_in(&self, hay: &str, from: usize, to: usize, end: usize, min: usize, max: usize, allow: Option<&regex::Regex>, out: &mut Vec<Hit>) {
        let chars = &self.chars[from..to];
        let n = chars.len();
        let byte_at = |i: usize| if i < n { chars[i].0 } else { end };
        // Where the search may start next: after the last doubling found.
        let mut resume = 0;
        let first_start = self.starts.partition_point(|&p| p < from);
        for &start in &self.starts[first_start..] {
            if start >= to {
                break;
            }
            let i = start - from;
            if i < resume {
                continue;
            }
            let longest = max.min((n - i) / 2);
            let first = chars[i].1;
            if longest < min {
                continue;
            }
            let mut found = None;
            // The lengths where the first character comes again, shortest first.
            let mut again = self.next[from + i];
            while again != NONE && again as usize - from - i <= longest {
                let len = again as usize - from - i;
                again = self.next[again as usize];
                if len < min {
                    continue;
                }
                let unit = &chars[i..i + len];
                if unit.iter().zip(&chars[i + len..i + 2 * len]).any(|(a, b)| a.1 != b.1) {
                    continue;
                }
                if unit.iter().filter(|(_, c)| is_han(*c)).count() < min.min(2) || unit.iter().all(|(_, c)| *c == first) {
                    continue;
                }
                // "结果   结果   ": a layout's column labels, spaced apart, are not a doubled word.
                if unit.last().is_some_and(|(_, c)| c.is_whitespace()) {
                    continue;
                }
                // `allow` reads the doubled text, so a header or breadcrumb is allowed whichever
                // rotation of its words the scan meets first.
                if let Some(a) = allow {
                    let doubled: String = hay[byte_at(i)..byte_at(i + 2 * len)].chars().filter(|c| !c.is_whitespace()).collect();
                    if a.is_match(&doubled) {
                        continue;
                    }
                }
                found = Some(len);
                break;
            }
            if let Some(len) = found {
                let unit = hay[byte_at(i)..byte_at(i + len)].to_string();
                out.push(Hit { start: byte_at(i), end: byte_at(i + 2 * len), locals: vec![("unit", unit)] });
                resume = i + 2 * len;
            }
        }
    }
}

/// The top-level headings in order: (numeral, numeral start, heading end).
/// Numbered headings in `hay`, outside the byte ranges of `tables`.
fn headings(hay: &str, heading: &regex::Regex, skip: Option<&regex::Regex>, tables: &[(usize, usize)]) -> Vec<(i64, usize, usize)> {
    let mut out = Vec::new();
    each_match(hay, heading, |caps| {
        if let Some(h) = heading_of(caps, skip, tables) {
            out.push(h);
        }
    });
    out
}

/// One match of the heading regex as a heading, unless it lies in a table or `skip` says no.
fn heading_of(caps: &regex::Captures, skip: Option<&regex::Regex>, tables: &[(usize, usize)]) -> Option<(i64, usize, usize)> {
    let (m, num) = (caps.get(0)?, caps.name("num")?);
    if tables.iter().any(|&(a, b)| (a..b).contains(&num.start())) {
        return None;
    }
    let title = caps.name("title").map_or("", |t| t.as_str());
    if skip.is_some_and(|s| s.is_match(title)) {
        return None;
    }
    Some((crate::text::chinese_number(num.as_str())?, num.start(), m.end()))
}

/// Every match of `re` in `hay`, as `captures_iter` gives them. A heading regex has a literal
/// every match holds ("、"), and most of a report has none of its headings, so when the regex's
/// shape allows ([`Anchor`]) the search starts only where the literal is and the part before it
/// matches (one reverse DFA step or two), instead of running the regex over the whole text.
fn each_match(hay: &str, re: &regex::Regex, mut f: impl FnMut(&regex::Captures)) {
    ANCHORS.with(|cell| {
        let mut anchors = cell.borrow_mut();
        let at = match anchors.iter().position(|(src, _)| src == re.as_str()) {
            Some(i) => i,
            None => {
                anchors.push((re.as_str().to_string(), Anchor::new(re.as_str())));
                anchors.len() - 1
            }
        };
        match &mut anchors[at].1 {
            Some(anchor) => anchor.each(hay, re, &mut f),
            None => re.captures_iter(hay).for_each(|c| f(&c)),
        }
    });
}

thread_local! {
    /// Each heading regex's anchor (or `None`: searched as it is), built once per thread with its
    /// DFA cache: a pack has one or two heading regexes.
    static ANCHORS: std::cell::RefCell<Vec<(String, Option<Anchor>)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A regex `P L S` (a top-level concatenation) with a literal `L` whose first character `P`
/// can never match: every match holds `L`, and the first `L` after a match's start is its own.
/// So the leftmost match from `at` is found by taking each `L` from `at` on, in order, and asking
/// a reverse DFA of `P`, anchored at the `L`, for the lowest start at or after `at`; at the first
/// `L` that has one, `s`, no match starts between `at` and `s` (it would own this `L` or an
/// earlier one, and start lower), so the regex's own search from `s` gives the match
/// `captures_iter` gives from `at`. Exact for any such regex, tested against `captures_iter`.
struct Anchor {
    literal: memchr::memmem::Finder<'static>,
    prefix: regex_automata::hybrid::dfa::DFA,
    cache: regex_automata::hybrid::dfa::Cache,
}

impl Anchor {
    fn new(src: &str) -> Option<Anchor> {
        use regex_automata::MatchKind;
        use regex_automata::hybrid::dfa::DFA;
        use regex_automata::nfa::thompson;
        use regex_syntax::hir::{Hir, HirKind};
        let hir = regex_automata::util::syntax::parse(src).ok()?;
        let HirKind::Concat(parts) = hir.kind() else { return None };
        let i = parts.iter().position(|h| matches!(h.kind(), HirKind::Literal(_)))?;
        let HirKind::Literal(lit) = parts[i].kind() else { return None };
        let first = std::str::from_utf8(&lit.0).ok()?.chars().next()?;
        let prefix = Hir::concat(parts[..i].to_vec());
        // A prefix that can be empty could end inside a character; one that can hold the
        // literal's first character could hide an earlier `L` of the same match.
        if i == 0 || prefix.properties().minimum_len().is_none_or(|n| n == 0) || may_hold(&prefix, first) {
            return None;
        }
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().reverse(true).which_captures(thompson::WhichCaptures::None))
            .build_from_hir(&prefix)
            .ok()?;
        // Every start, so the search runs on to the lowest one.
        let dfa = DFA::builder().configure(DFA::config().match_kind(MatchKind::All)).build_from_nfa(nfa).ok()?;
        let cache = dfa.create_cache();
        Some(Anchor { literal: memchr::memmem::Finder::new(&lit.0).into_owned(), prefix: dfa, cache })
    }

    fn each(&mut self, hay: &str, re: &regex::Regex, f: &mut impl FnMut(&regex::Captures)) {
        use regex_automata::{Anchored, Input};
        let mut at = 0;
        let mut from = 0;
        while from <= hay.len() {
            let Some(j) = self.literal.find(&hay.as_bytes()[from..]).map(|k| from + k) else { return };
            let input = Input::new(hay).span(at..j).anchored(Anchored::Yes);
            let start = match self.prefix.try_search_rev(&mut self.cache, &input) {
                Ok(Some(m)) => m.offset(),
                Ok(None) => {
                    from = j + 1;
                    continue;
                }
                // The DFA gave up: the regex searches from `at` itself.
                Err(_) => at,
            };
            let Some(caps) = re.captures_at(hay, start) else { return };
            let Some(m) = caps.get(0) else { return };
            f(&caps);
            // Every match holds the literal, so it is never empty.
            at = m.end();
            from = at;
        }
    }
}

/// Whether `hir` can match a string that holds `c` (conservative: a byte class may).
fn may_hold(hir: &regex_syntax::hir::Hir, c: char) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(l) => std::str::from_utf8(&l.0).map_or(true, |s| s.contains(c)),
        HirKind::Class(Class::Unicode(u)) => u.ranges().iter().any(|r| (r.start()..=r.end()).contains(&c)),
        HirKind::Class(Class::Bytes(_)) => true,
        HirKind::Repetition(r) => may_hold(&r.sub, c),
        HirKind::Capture(g) => may_hold(&g.sub, c),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(|h| may_hold(h, c)),
    }
}

/// "本报告由…共九个部分组成" when the report numbers its parts up to 七: the stated count is neither the
/// highest part numeral nor one more (an unnumbered 统计表 or 附件 counted as a part).
fn part_count(hay: &str, heading: &regex::Regex, skip: Option<&regex::Regex>, stated: &regex::Regex, tables: &[(usize, usize)]) -> Vec<Hit> {
    let Some(caps) = stated.captures(hay) else { return Vec::new() };
    let (Some(m), Some(n)) = (caps.get(0), caps.name("n")) else { return Vec::new() };
    let said = match n.as_str().parse::<i64>() {
        Ok(v) => v,
        Err(_) => match crate::text::chinese_number(n.as_str()) {
            Some(v) => v,
            None => return Vec::new(),
        },
    };
    let found = headings(hay, heading, skip, tables).iter().map(|h| h.0).max().unwrap_or(0);
    // Too few numbered parts to say what the report's parts are: no finding.
    if found < 3 || said == found || said == found + 1 {
        return Vec::new();
    }
    vec![Hit { start: m.start(), end: m.end(), locals: vec![("stated", said.to_string()), ("found", found.to_string())] }]
}

/// Headings whose numeral is not above the one before (a second 一、 after 六、): the report's
/// parts restart, or 总体情况's own sub-topics were numbered as top-level parts.
fn numbering_restarts(hay: &str, heading: &regex::Regex, skip: Option<&regex::Regex>, tables: &[(usize, usize)]) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut last: Option<(i64, String)> = None;
    for (value, start, end) in headings(hay, heading, skip, tables) {
        let shown: String = hay[start..end].trim().chars().take(24).collect();
        if let Some((before, before_text)) = &last
            && value <= *before
        {
            out.push(Hit { start, end, locals: vec![("previous", before_text.clone())] });
        }
        last = Some((value, shown));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain search over the whole text's characters that `repeats` replaced, kept as its
    /// oracle.
    fn repeats_plain(hay: &str, min: usize, max: usize, allow: Option<&regex::Regex>) -> Vec<Hit> {
        let chars: Vec<(usize, char)> = hay.char_indices().collect();
        let n = chars.len();
        let byte_at = |i: usize| if i < n { chars[i].0 } else { hay.len() };
        // Where the clause containing each position ends: a doubling (both copies) lies within one
        // clause, so this bounds the lengths worth trying, and most positions try none.
        let mut clause_end = vec![n; n + 1];
        for i in (0..n).rev() {
            clause_end[i] = if breaks_unit(chars[i].1) { i } else { clause_end[i + 1] };
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            let longest = max.min((clause_end[i] - i) / 2);
            if longest < min || !is_han(chars[i].1) {
                i += 1;
                continue;
            }
            let mut found = None;
            for len in min..=longest {
                // Cheap test first: almost every length fails on its first character.
                if chars[i + len].1 != chars[i].1 {
                    continue;
                }
                let unit = &chars[i..i + len];
                if unit.iter().zip(&chars[i + len..i + 2 * len]).any(|(a, b)| a.1 != b.1) {
                    continue;
                }
                if unit.iter().filter(|(_, c)| is_han(*c)).count() < min.min(2) || unit.iter().all(|(_, c)| *c == chars[i].1) {
                    continue;
                }
                // "结果   结果   ": a layout's column labels, spaced apart, are not a doubled word.
                if unit.last().is_some_and(|(_, c)| c.is_whitespace()) {
                    continue;
                }
                // `allow` reads the doubled text, so a header or breadcrumb is allowed whichever
                // rotation of its words the scan meets first.
                let doubled: String = hay[byte_at(i)..byte_at(i + 2 * len)].chars().filter(|c| !c.is_whitespace()).collect();
                if allow.is_some_and(|a| a.is_match(&doubled)) {
                    continue;
                }
                found = Some((len, hay[byte_at(i)..byte_at(i + len)].to_string()));
                break;
            }
            match found {
                Some((len, unit)) => {
                    out.push(Hit { start: byte_at(i), end: byte_at(i + 2 * len), locals: vec![("unit", unit)] });
                    i += 2 * len;
                }
                None => i += 1,
            }
        }
        out
    }

    /// The plain heading search `headings` replaced, kept as its oracle.
    fn headings_plain(hay: &str, heading: &regex::Regex, skip: Option<&regex::Regex>, tables: &[(usize, usize)]) -> Vec<(i64, usize, usize)> {
        heading
            .captures_iter(hay)
            .filter_map(|caps| {
                let (m, num) = (caps.get(0)?, caps.name("num")?);
                if tables.iter().any(|&(a, b)| (a..b).contains(&num.start())) {
                    return None;
                }
                let title = caps.name("title").map_or("", |t| t.as_str());
                if skip.is_some_and(|s| s.is_match(title)) {
                    return None;
                }
                Some((crate::text::chinese_number(num.as_str())?, num.start(), m.end()))
            })
            .collect()
    }

    /// The text of every report under `../shared/corpus` and `../shared/seeds`, as loaded.
    fn real_texts() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (paths, _) = crate::load::discover(&[root.join("../shared/corpus"), root.join("../shared/seeds")]);
        paths.iter().filter_map(|p| crate::load::load_file(p).ok()).map(|d| d.text.to_string()).collect()
    }

    /// Generated text: Han characters, numerals, punctuation that does and does not break a
    /// unit, spaces, digits and line breaks, with doubled pieces and headings planted.
    fn generated_texts(seed: u64, n: usize) -> Vec<String> {
        let pieces = [
            "资", "金", "资金", "审核", "一", "二", "三", "十", "六", "、", "，", "。", "；", "！", "？", " ", "　", "\t", "\n", "\r\n", "0", "7",
            "结果", "维持", "政府信息公开", "研究", "的", "|", "(", "a", "é", "😀", "一、", "\n三、", "。二、 ", "本年新收", "七、存在问题", "70 周年",
        ];
        let mut rng = crate::testing::Rng(seed);
        (0..n)
            .map(|_| {
                let len = rng.below(80) as usize;
                let mut t = String::new();
                for _ in 0..len {
                    let p = pieces[rng.below(pieces.len() as u64) as usize];
                    t.push_str(p);
                    // Now and then the text so far, or its tail, written again.
                    if rng.below(12) == 0 {
                        let tail: String = t.chars().rev().take(1 + rng.below(12) as usize).collect::<Vec<_>>().into_iter().rev().collect();
                        t.push_str(&tail);
                    }
                }
                t
            })
            .collect()
    }

    fn same_hits(a: &[Hit], b: &[Hit]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.start == y.start && x.end == y.end && x.locals == y.locals)
    }

    /// The pack's own text checks: (min, max, allow) of each `repeat`, and each heading regex
    /// with its `skip`.
    fn pack_kinds() -> (Vec<(usize, usize, Option<regex::Regex>)>, Vec<(regex::Regex, Option<regex::Regex>)>) {
        let rules = RuleSet::builtin();
        let (mut reps, mut heads) = (Vec::new(), Vec::new());
        for inst in rules.checks.iter().flat_map(|c| c.instances.iter()) {
            match &inst.body {
                crate::rules::CheckBody::Text { kind: TextKind::Repeat { min, max, allow }, .. } => reps.push((*min, *max, allow.clone())),
                crate::rules::CheckBody::Text { kind: TextKind::Numbering { heading, skip } | TextKind::PartCount { heading, skip, .. }, .. } => {
                    heads.push((heading.clone(), skip.clone()))
                }
                _ => {}
            }
        }
        assert!(reps.len() >= 2 && heads.len() >= 2, "the built-in pack has doubling and numbering checks");
        (reps, heads)
    }

    #[test]
    fn the_last_seen_table_starts_again_before_its_stamps_wrap() {
        let text = "二是规范审核审核发布机制，资金资金分配";
        let plain = repeats_plain(text, 2, 7, None);
        assert_eq!(plain.len(), 2);
        let mut c = Clauses { stamp: NONE - 40, ..Clauses::default() };
        for t in [text, "审核，审核审", text] {
            c.read(t);
            let mut out = Vec::new();
            for &(from, to, end) in &c.clauses {
                c.doubled_in(t, from, to, end, 2, 7, None, &mut out);
            }
            assert!(same_hits(&out, &repeats_plain(t, 2, 7, None)), "{t}");
        }
        assert!(c.stamp < 1000, "the table was cleared and the stamps started again: {}", c.stamp);
    }

    #[test]
    fn the_clause_scan_finds_the_doublings_the_plain_scan_finds() {
        let (reps, _) = pack_kinds();
        let real = real_texts();
        assert!(real.len() >= 10, "../shared holds the real reports: {}", real.len());
        let generated = generated_texts(0x5EED_0001, 3000);
        let mut found = 0;
        for t in real.iter().chain(&generated) {
            for (min, max, allow) in reps.iter().map(|(a, b, c)| (*a, *b, c.as_ref())).chain([(1, 1, None), (1, 4, None), (2, 64, None), (3, 5, None)]) {
                let (fast, plain) = (repeats(t, min, max, allow), repeats_plain(t, min, max, allow));
                assert!(same_hits(&fast, &plain), "repeat {min}..{max} on {t:?}");
                found += fast.len();
            }
        }
        assert!(found > 100, "the texts hold doublings: {found}");
    }

    #[test]
    fn the_anchored_heading_search_finds_what_captures_iter_finds() {
        let (_, heads) = pack_kinds();
        let mut extra = vec![
            // Prefixes the anchor can and cannot take.
            (regex::Regex::new(r"(?m)(?:^|[\s。])(?P<num>[一二三四五六七八九十]{1,2})、(?P<title>[^\n]{0,12})").unwrap(), None),
            (regex::Regex::new(r"(?P<num>[一二三])、(?P<title>.{0,3})").unwrap(), None),
            (regex::Regex::new(r"\b(?P<num>[一二三]+)、").unwrap(), None),
            (regex::Regex::new(r"(?P<num>[一二三、]*)、x?").unwrap(), None),
        ];
        assert!(Anchor::new(heads[0].0.as_str()).is_some(), "the pack's heading regex is searched by its anchor");
        assert!(Anchor::new(extra[3].0.as_str()).is_none(), "a prefix that can hold the literal is searched as it is");
        extra.extend(heads);
        let real = real_texts();
        let generated = generated_texts(0x5EED_0002, 3000);
        let mut found = 0;
        for (re, skip) in &extra {
            for t in real.iter().chain(&generated) {
                let fast = headings(t, re, skip.as_ref(), &[]);
                assert_eq!(fast, headings_plain(t, re, skip.as_ref(), &[]), "{} on {t:?}", re.as_str());
                let mut spans = Vec::new();
                each_match(t, re, |c| spans.push((0..c.len()).map(|i| c.get(i).map(|m| m.range())).collect::<Vec<_>>()));
                let plain: Vec<_> = re.captures_iter(t).map(|c| (0..c.len()).map(|i| c.get(i).map(|m| m.range())).collect::<Vec<_>>()).collect();
                assert_eq!(spans, plain, "{} on {t:?}", re.as_str());
                found += fast.len();
            }
        }
        assert!(found > 500, "the texts hold headings: {found}");
    }

    fn doubled(s: &str, min: usize, max: usize, allow: Option<&str>) -> Vec<String> {
        let allow = allow.map(|a| regex::Regex::new(a).unwrap());
        repeats(s, min, max, allow.as_ref()).iter().map(|h| s[h.start..h.end].to_string()).collect()
    }

    #[test]
    fn a_doubled_word_is_found_once_and_reduplications_are_not() {
        assert_eq!(doubled("2023 年上海市科技计划资金资金分配结果信息", 2, 3, None), ["资金资金"]);
        assert_eq!(doubled("二是规范审核审核发布机制", 2, 3, None), ["审核审核"]);
        assert!(doubled("认真研究研究，一一对应，天天更新", 2, 3, Some("^(?:研究|讨论){2}$")).is_empty());
        assert!(doubled("方方面面、扎扎实实", 2, 3, None).is_empty(), "AABB is one character doubled twice");
        assert!(doubled("资金，资金", 2, 3, None).is_empty(), "a clause break is not a doubling");
        assert!(doubled("结果   结果   其他", 2, 3, None).is_empty(), "spaced column labels are not a doubling");
    }

    #[test]
    fn a_doubled_phrase_may_hold_digits_and_spaces() {
        let s = "参与平潭港口岸金井港区对外开放新闻发布会、聚焦新中国成立 70 周年平潭专场新闻发布会聚焦新中国成立 70 周年平潭专场新闻发布会；组织19期";
        assert_eq!(doubled(s, 4, 32, None), ["聚焦新中国成立 70 周年平潭专场新闻发布会聚焦新中国成立 70 周年平潭专场新闻发布会"]);
        assert!(doubled("0000000 0000000", 4, 32, None).is_empty(), "digit runs are tables, not words");
    }

    #[test]
    fn numbering_that_goes_back_is_found() {
        let h = regex::Regex::new(r"(?m)(?:^|[\s。])(?P<num>[一二三四五六七八九十]{1,2})、(?P<title>[^\n]{0,12})").unwrap();
        let skip = regex::Regex::new("^本年新收").unwrap();
        let text = "一、总体情况\n二、工作机制\n六、平台建设\n一、主动公开政府信息情况\n一、本年新收政府信息公开申请数量\n二、收到和处理";
        let hits = numbering_restarts(text, &h, Some(&skip), &[]);
        assert_eq!(hits.len(), 1);
        assert_eq!(&text[hits[0].start..hits[0].end], "一、主动公开政府信息情况");
        assert_eq!(hits[0].locals[0].1, "六、平台建设");
        assert!(numbering_restarts("一、总体情况。二、主动公开。三、收到", &h, None, &[]).is_empty());
        // A row of a source table that starts with its item number is not a heading.
        let text = "一、总体情况\n三、收到和处理\n三、本年度办  （一）予以公开  7\n四、复议";
        let row = text.find("三、本年度办").unwrap();
        assert_eq!(numbering_restarts(text, &h, None, &[]).len(), 1);
        assert!(numbering_restarts(text, &h, None, &[(row, row + 20)]).is_empty());
    }

    #[test]
    fn a_stated_part_count_is_held_to_the_numbered_parts() {
        let h = regex::Regex::new(r"(?m)(?:^|[\s。])(?P<num>[一二三四五六七八九十]{1,2})、(?P<title>[^\n]{0,12})").unwrap();
        let stated = regex::Regex::new(r"共(?P<n>[一二三四五六七八九十\d]{1,2})个?部分").unwrap();
        let body = "\n一、基本\n二、主动\n三、回应\n四、依申请\n五、复议\n六、机构\n七、存在问题及工作打算\n统计表";
        let hits = part_count(&format!("本年报由…附件,共九个部分组成。{body}"), &h, None, &stated, &[]);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].locals, vec![("stated", "9".to_string()), ("found", "7".to_string())]);
        assert!(part_count(&format!("共八个部分组成。{body}"), &h, None, &stated, &[]).is_empty(), "the table counted as a part");
        assert!(part_count(&format!("共分7个部分。{body}"), &h, None, &stated, &[]).is_empty());
    }
}
