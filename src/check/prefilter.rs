//! Searching a `pattern:` check's regex cheaply, with exactly the matches `Regex::find_iter` (or
//! `captures_iter`) gives.
//!
//! The regex crate runs most patterns with its lazy DFA, a table lookup per byte. A Unicode word
//! boundary (`\b`, `\B` in Unicode mode) is the exception: the lazy DFA gives up at the first
//! non-ASCII byte, so on Chinese text every search falls back to the bounded backtracker, which
//! clears a bit per NFA state and haystack byte on every call (the whole rest of the report, once
//! per match), or to the PikeVM. `text.placeholder` alone was half of all pattern-check time.
//!
//! Such a pattern is searched in two steps here. The candidates: the same regex with its Unicode
//! word boundaries replaced by the empty string, which the lazy DFA runs. It matches wherever
//! the pattern does (an assertion only ever rules matches out), so no match of the pattern starts
//! before the first candidate. The confirmation: the pattern itself, anchored at the candidate's
//! start, with the backtracker switched off, so the PikeVM runs only as long as the match (or
//! the failure) takes. If it does not match there, the next candidate is tried from the next
//! character. The match found at the leftmost candidate where the pattern matches is the leftmost
//! match, and anchored leftmost-first search gives the same match as unanchored search from that
//! start, so iteration (with the regex crate's own `Searcher`, which also decides what happens
//! after an empty match) yields what `find_iter` does. Unit tests compare the two on generated
//! text.
//!
//! A pattern with alternatives that open with `\A` (a document check: "the title, within the first
//! lines, is a 通知") is searched whole only at the text's start; elsewhere its other alternatives are
//! searched alone, with their literal prefixes, not in the DFA of the start's counted repetitions.
//!
//! And the checks over the whole text whose regex the regex crate cannot guard with a fast
//! literal search (it has no literal prefix, or only a weak one) are searched together first, in
//! one lazy DFA over the report ([`TextSet`]): a check whose regex matches nowhere in the text is
//! not searched again. That is exact: the set holds each regex itself, over the same haystack
//! (only Unicode word boundaries dropped, which only widens it), and it finds every pattern that
//! matches anywhere, overlapping or not. A regex with long counted repetitions (`[^\n]{0,60}`)
//! stays out: together with the others it would need more states than the DFA's cache holds. If
//! the cache thrashes anyway, the scan gives up and every check runs.

use std::sync::{Arc, Mutex, OnceLock};

use regex::Regex;
use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::captures::Captures;
use regex_automata::util::iter::Searcher;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, Match, MatchKind, meta};
use regex_syntax::hir::{Hir, HirKind, Look};

use crate::rules::compile::{REGEX_DFA_LIMIT, REGEX_SIZE_LIMIT};
use crate::rules::{CheckBody, CheckRule, Scope};

/// A check's regex and how to search it.
#[derive(Clone)]
pub struct PatternSearch {
    regex: Regex,
    /// Capture group index and name, for the check's locals.
    names: Vec<(usize, String)>,
    /// Set for a pattern the lazy DFA cannot run on non-ASCII text; built on first use (a pack's
    /// load should not pay for engines no report asks for).
    split: Arc<OnceLock<Option<Split>>>,
    /// Its place in the rule pack's [`TextSet`], if it is in it.
    member: Option<usize>,
}

#[derive(Clone)]
enum Split {
    /// A pattern with Unicode word boundaries: candidates without them, each confirmed by the
    /// pattern anchored there.
    Words { candidates: meta::Regex, exact: meta::Regex },
    /// A pattern some of whose alternatives open with `\A`: the whole pattern is tried once,
    /// anchored at the text's start; everywhere else the other alternatives are searched alone.
    Head { whole: meta::Regex, rest: meta::Regex },
}

impl std::fmt::Debug for PatternSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatternSearch").field("regex", &self.regex).finish()
    }
}

/// A match: its byte range and, when asked for, the byte range of every group (by index).
pub struct Hit<'a> {
    pub start: usize,
    pub end: usize,
    groups: &'a [Option<(usize, usize)>],
}

impl Hit<'_> {
    pub fn group(&self, index: usize) -> Option<(usize, usize)> {
        self.groups.get(index).copied().flatten()
    }
}

/// Whether a look-around is one the lazy DFA gives up on outside ASCII.
fn unicode_word(look: Look) -> bool {
    matches!(
        look,
        Look::WordUnicode | Look::WordUnicodeNegate | Look::WordStartUnicode | Look::WordEndUnicode | Look::WordStartHalfUnicode | Look::WordEndHalfUnicode
    )
}

/// `hir` with its Unicode word boundaries replaced by the empty string (and groups dropped): it
/// matches every string `hir` matches, at every position.
fn without_unicode_words(hir: Hir) -> Hir {
    match hir.into_kind() {
        HirKind::Look(look) if unicode_word(look) => Hir::empty(),
        HirKind::Look(look) => Hir::look(look),
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(l) => Hir::literal(l.0),
        HirKind::Class(c) => Hir::class(c),
        HirKind::Capture(c) => without_unicode_words(*c.sub),
        HirKind::Repetition(mut r) => {
            r.sub = Box::new(without_unicode_words(*r.sub));
            Hir::repetition(r)
        }
        HirKind::Concat(v) => Hir::concat(v.into_iter().map(without_unicode_words).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.into_iter().map(without_unicode_words).collect()),
    }
}

/// Whether `hir` repeats something a bounded number of times above 16 (`{0,60}`): each count is
/// a state of its own, times the states of everything it runs beside.
fn long_counted(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Repetition(r) => r.max.is_some_and(|m| m > 16) || long_counted(&r.sub),
        HirKind::Capture(c) => long_counted(&c.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(long_counted),
        _ => false,
    }
}

/// The configuration `regex::RegexBuilder` gives its engine (see `compile::compile_regex`).
fn meta_config() -> meta::Config {
    meta::Config::new()
        .match_kind(MatchKind::LeftmostFirst)
        .utf8_empty(true)
        .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
        .hybrid_cache_capacity(REGEX_DFA_LIMIT)
}

impl PatternSearch {
    /// How to search `regex`. Building the split engines can only fail where the regex itself
    /// would not have been built; then the regex is searched as it is.
    pub fn new(regex: Regex) -> PatternSearch {
        let names = regex.capture_names().enumerate().filter_map(|(i, n)| n.map(|n| (i, n.to_string()))).collect();
        PatternSearch { regex, names, split: Arc::default(), member: None }
    }

    /// What this regex contributes to a [`TextSet`]: itself without Unicode word boundaries,
    /// when a fast literal search does not already guard it and it is small enough as a DFA.
    fn for_set(&self) -> Option<Hir> {
        let hir = syntax::parse(self.regex.as_str()).ok()?;
        if regex_automata::util::prefilter::Prefilter::from_hir_prefix(MatchKind::LeftmostFirst, &hir).is_some_and(|p| p.is_fast()) {
            return None;
        }
        (!long_counted(&hir)).then(|| without_unicode_words(hir))
    }

    fn build_split(src: &str) -> Option<Split> {
        // A word boundary is written `\b` or `\B`, a text start `\A` or `^`: without one, no need
        // to parse the pattern again.
        let words = src.contains("\\b") || src.contains("\\B");
        if !words && !src.contains("\\A") && !src.contains('^') {
            return None;
        }
        let hir = syntax::parse(src).ok()?;
        if !hir.properties().look_set().contains_word_unicode() {
            return Self::build_head_split(src, hir);
        }
        let candidates = meta::Builder::new().configure(meta_config()).build_from_hir(&without_unicode_words(hir)).ok()?;
        // Anchored, the PikeVM stops when the match does; the backtracker would first clear a
        // bit for every state and every byte to the end of the text.
        let exact = meta::Builder::new()
            .configure(meta_config().backtrack(false))
            .syntax(syntax::Config::new().utf8(true))
            .build(src)
            .ok()?;
        Some(Split::Words { candidates, exact })
    }

    /// For a pattern `a|b|\A…`: an alternative that opens with `\A` (or `^` outside multi-line
    /// mode) can only match at the text's start, and there the whole pattern is searched anchored
    /// (it gives the leftmost-first match if one starts there). Anywhere else the pattern matches
    /// exactly where its other alternatives do, in the same order of preference, so those are
    /// searched alone: without the start's long counted repetitions (`(?:[^\n]*\n){0,8}?`,
    /// `[^\n]{0,60}?`), their lazy DFA is small and their literal prefixes can be skipped to. The
    /// alternatives set aside keep their groups (behind a class that matches nothing), so group
    /// numbers stay as they are.
    fn build_head_split(src: &str, hir: Hir) -> Option<Split> {
        fn opens_at_text_start(h: &Hir) -> bool {
            match h.kind() {
                HirKind::Look(Look::Start) => true,
                HirKind::Concat(v) => v.first().is_some_and(opens_at_text_start),
                HirKind::Capture(c) => opens_at_text_start(&c.sub),
                _ => false,
            }
        }
        let HirKind::Alternation(alts) = hir.kind() else { return None };
        let at_start = alts.iter().filter(|a| opens_at_text_start(a)).count();
        if at_start == 0 || at_start == alts.len() {
            return None;
        }
        let rest = Hir::alternation(
            alts.iter().map(|a| if opens_at_text_start(a) { Hir::concat(vec![Hir::fail(), a.clone()]) } else { a.clone() }).collect(),
        );
        let whole = meta::Builder::new().configure(meta_config()).build(src).ok()?;
        let rest = meta::Builder::new().configure(meta_config()).build_from_hir(&rest).ok()?;
        // The same groups, numbered the same, or the split is not used.
        let groups = |r: &meta::Regex| r.group_info().all_names().map(|(_, i, n)| (i, n.map(str::to_string))).collect::<Vec<_>>();
        (groups(&whole) == groups(&rest)).then_some(Split::Head { whole, rest })
    }

    pub fn regex(&self) -> &Regex {
        &self.regex
    }

    /// The named groups: (index, name).
    pub fn names(&self) -> &[(usize, String)] {
        &self.names
    }

    /// How the search is split: "words" (candidates and confirmation), "head" (the text's start
    /// apart), or not at all.
    #[cfg(test)]
    pub fn split_kind(&self) -> Option<&'static str> {
        self.split().map(|s| match s {
            Split::Words { .. } => "words",
            Split::Head { .. } => "head",
        })
    }

    #[cfg(test)]
    pub fn is_split(&self) -> bool {
        self.split_kind() == Some("words")
    }

    fn split(&self) -> Option<&Split> {
        self.split.get_or_init(|| Self::build_split(self.regex.as_str())).as_ref()
    }

    /// Call `f` on every match in `hay`, in order, until it returns false; with `groups`, each
    /// hit carries its groups' ranges.
    pub fn each(&self, hay: &str, groups: bool, mut f: impl FnMut(&Hit) -> bool) {
        let mut spans: Vec<Option<(usize, usize)>> = Vec::new();
        match self.split() {
            None if !groups => {
                for m in self.regex.find_iter(hay) {
                    if !f(&Hit { start: m.start(), end: m.end(), groups: &[] }) {
                        return;
                    }
                }
            }
            None => {
                for c in self.regex.captures_iter(hay) {
                    let Some(m) = c.get(0) else { continue };
                    spans.clear();
                    spans.extend((0..c.len()).map(|i| c.get(i).map(|g| (g.start(), g.end()))));
                    if !f(&Hit { start: m.start(), end: m.end(), groups: &spans }) {
                        return;
                    }
                }
            }
            Some(split) => {
                let mut caps = groups.then(|| split.create_captures());
                let mut it = Searcher::new(Input::new(hay));
                while let Some(m) = it.advance(|input| Ok(split.find(input, caps.as_mut()))) {
                    spans.clear();
                    if let Some(c) = &caps {
                        spans.extend((0..c.group_len()).map(|i| c.get_group(i).map(|g| (g.start, g.end))));
                    }
                    if !f(&Hit { start: m.start(), end: m.end(), groups: &spans }) {
                        return;
                    }
                }
            }
        }
    }
}

/// The regexes of the pack's pattern checks over the whole text that [`PatternSearch::for_set`]
/// takes, as one DFA that tells, in one pass over a report, which of them match anywhere.
#[derive(Clone, Default)]
pub struct TextSet(Option<Arc<SetInner>>);

struct SetInner {
    dfa: DFA,
    /// One lazy DFA cache per thread at a time; they are kept, warm, for the next report.
    caches: Mutex<Vec<DfaCache>>,
}

impl std::fmt::Debug for TextSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TextSet({})", self.0.as_ref().map_or(0, |s| s.dfa.pattern_len()))
    }
}

/// Which members of a [`TextSet`] match in a report; `None`: not known, search them all.
pub struct Present(Option<Vec<bool>>);

impl Present {
    /// Everything may match: nothing is skipped.
    pub fn unknown() -> Present {
        Present(None)
    }

    /// Whether a check's regex may match in the report: false only when the set says it does not.
    pub fn may_match(&self, search: &PatternSearch) -> bool {
        match (&self.0, search.member) {
            (Some(found), Some(i)) => found.get(i).copied().unwrap_or(true),
            _ => true,
        }
    }
}

impl TextSet {
    /// The set of the pack's checks, numbering each member's [`PatternSearch`]. A set that cannot
    /// be built (too large) is empty: every check is searched on its own, as without it.
    pub fn build(checks: &mut [CheckRule]) -> TextSet {
        let mut hirs = Vec::new();
        for inst in checks.iter_mut().flat_map(|c| c.instances.iter_mut()) {
            if let CheckBody::Pattern { scope: Scope::Text, search, .. } = &mut inst.body {
                search.member = None;
                if let Some(h) = search.for_set() {
                    search.member = Some(hirs.len());
                    hirs.push(h);
                }
            }
        }
        let built = (!hirs.is_empty()).then(|| Self::dfa(&hirs)).flatten();
        if built.is_none() {
            for inst in checks.iter_mut().flat_map(|c| c.instances.iter_mut()) {
                if let CheckBody::Pattern { search, .. } = &mut inst.body {
                    search.member = None;
                }
            }
        }
        TextSet(built.map(|dfa| Arc::new(SetInner { dfa, caches: Mutex::new(Vec::new()) })))
    }

    fn dfa(hirs: &[Hir]) -> Option<DFA> {
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().nfa_size_limit(Some(4 * REGEX_SIZE_LIMIT)).which_captures(thompson::WhichCaptures::None))
            .build_many_from_hir(hirs)
            .ok()?;
        // Every match, overlapping or not; a cache cleared again and again gives up (`scan`).
        let config = DFA::config().match_kind(MatchKind::All).cache_capacity(REGEX_DFA_LIMIT).minimum_cache_clear_count(Some(3));
        DFA::builder().configure(config).build_from_nfa(nfa).ok()
    }

    /// Which members match somewhere in `text`.
    pub fn scan(&self, text: &str) -> Present {
        let Some(set) = &self.0 else { return Present::unknown() };
        let mut cache = set.caches.lock().unwrap_or_else(|e| e.into_inner()).pop().unwrap_or_else(|| set.dfa.create_cache());
        let found = Self::matching(&set.dfa, &mut cache, text);
        if found.is_none() {
            // Given up (cleared too often): this report runs every check; the next starts afresh,
            // not with a cache that gives up on its first new state.
            cache.reset(&set.dfa);
        }
        set.caches.lock().unwrap_or_else(|e| e.into_inner()).push(cache);
        Present(found)
    }

    fn matching(dfa: &DFA, cache: &mut DfaCache, text: &str) -> Option<Vec<bool>> {
        let n = dfa.pattern_len();
        let mut found = vec![false; n];
        let mut left = n;
        // Marks the patterns a match state reports; true when every pattern has been seen.
        let note = |cache: &DfaCache, sid: regex_automata::hybrid::LazyStateID, found: &mut [bool], left: &mut usize| {
            for i in 0..dfa.match_len(cache, sid) {
                let p = dfa.match_pattern(cache, sid, i).as_usize();
                if !found[p] {
                    found[p] = true;
                    *left -= 1;
                }
            }
            *left == 0
        };
        let mut sid = dfa.start_state_forward(cache, &Input::new(text)).ok()?;
        for &b in text.as_bytes() {
            // The common case: a known transition to an ordinary state.
            if !sid.is_tagged() {
                let next = dfa.next_state_untagged(cache, sid, b);
                if !next.is_tagged() {
                    sid = next;
                    continue;
                }
            }
            sid = dfa.next_state(cache, sid, b).ok()?;
            if sid.is_match() && note(cache, sid, &mut found, &mut left) {
                return Some(found);
            }
            if sid.is_quit() {
                return None;
            }
        }
        sid = dfa.next_eoi_state(cache, sid).ok()?;
        if sid.is_match() {
            note(cache, sid, &mut found, &mut left);
        }
        Some(found)
    }
}

impl Split {
    fn create_captures(&self) -> Captures {
        match self {
            Split::Words { exact, .. } => exact.create_captures(),
            Split::Head { whole, .. } => whole.create_captures(),
        }
    }

    /// The leftmost-first match in `input`, as the whole regex's search would give it.
    fn find(&self, input: &Input, caps: Option<&mut Captures>) -> Option<Match> {
        match self {
            Split::Words { candidates, exact } => Self::find_words(candidates, exact, input, caps),
            Split::Head { whole, rest } => {
                let search = |re: &meta::Regex, input: &Input, caps: Option<&mut Captures>| match caps {
                    Some(c) => {
                        re.search_captures(input, c);
                        c.get_match()
                    }
                    None => re.search(input),
                };
                let mut caps = caps;
                if input.start() == 0
                    && let Some(m) = search(whole, &input.clone().anchored(Anchored::Yes), caps.as_deref_mut())
                {
                    return Some(m);
                }
                search(rest, input, caps)
            }
        }
    }

    fn find_words(candidates: &meta::Regex, exact: &meta::Regex, input: &Input, mut caps: Option<&mut Captures>) -> Option<Match> {
        let hay = input.haystack();
        let mut at = input.start();
        while at <= input.end() {
            let s = candidates.search(&input.clone().span(at..input.end()))?.start();
            let anchored = input.clone().span(s..input.end()).anchored(Anchored::Yes);
            let m = match caps.as_deref_mut() {
                Some(c) => {
                    exact.search_captures(&anchored, c);
                    c.get_match()
                }
                None => exact.search(&anchored),
            };
            if m.is_some() {
                return m;
            }
            // A match starts on a character boundary (an empty one inside a character is never
            // reported), so the next start worth trying is the next character.
            at = s + std::str::from_utf8(&hay[s..]).ok().and_then(|t| t.chars().next()).map_or(1, char::len_utf8);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each match: start, end and (when asked for) every group's range.
    type Found = Vec<(usize, usize, Vec<Option<(usize, usize)>>)>;

    fn all(p: &PatternSearch, hay: &str, groups: bool) -> Found {
        let mut out = Vec::new();
        p.each(hay, groups, |h| {
            out.push((h.start, h.end, h.groups.to_vec()));
            true
        });
        out
    }

    /// What the regex crate gives, the same shape.
    fn expected(re: &Regex, hay: &str, groups: bool) -> Found {
        if groups {
            re.captures_iter(hay)
                .map(|c| {
                    let m = c.get(0).unwrap();
                    (m.start(), m.end(), (0..c.len()).map(|i| c.get(i).map(|g| (g.start(), g.end()))).collect())
                })
                .collect()
        } else {
            re.find_iter(hay).map(|m| (m.start(), m.end(), Vec::new())).collect()
        }
    }

    const PLACEHOLDER: &str = r"(?:[xX×Ｘｘ]{2,}|某某)\s*(?:[年月日区區县縣市局件条條项項次个個号號]|\b)|[xXＸｘ]{1,2}\s*月\s*[xXＸｘ]{1,2}\s*日";

    #[test]
    fn only_unicode_word_boundaries_split_the_search() {
        for (src, split) in [
            (PLACEHOLDER, true),
            (r"\bxx\b", true),
            (r"\Bab", true),
            (r"(?-u:\b)xx", false),
            (r"^a|b$", false),
            (r"(?m:^x)", false),
            (r"\Ax|y\z", false),
            (r"某某", false),
        ] {
            assert_eq!(PatternSearch::new(Regex::new(src).unwrap()).is_split(), split, "{src}");
        }
    }

    #[test]
    fn alternatives_at_the_text_start_are_searched_apart() {
        for (src, kind) in [
            (r"^a|b$", Some("head")),
            (r"\Ax|y\z", Some("head")),
            (r"y|(?P<t>\A(?:[^\n]*\n){0,2}?x)", Some("head")),
            (r"\Ax|\Ay", None),
            (r"(?m:^x)|y", None),
            (r"a\A|b", None),
            (r"(?:a|\Ab)c", None),
            (r"\bx|\Ay", Some("words")),
        ] {
            assert_eq!(PatternSearch::new(Regex::new(src).unwrap()).split_kind(), kind, "{src}");
        }
    }

    #[test]
    fn a_search_with_the_text_start_apart_agrees_with_the_regex_on_generated_text() {
        let alphabet = ["x", "y", "的通知", "来源", "网络", "\n", " ", "a", "z", "：", "标题:"];
        let patterns = [
            r"来源\s*[:：]?\s*网络|(?:y|z)x|\A(?:[^\n]*\n){0,2}?[ \t]*(?:标题[:：][ \t]*)?(?P<t>[^\n]{0,6}?的通知)[ \t]*(?:\n|\z)",
            r"(?P<a>x)|^(?P<b>y*)|(?P<c>z)",
            r"^|x",
            r"x|\A",
            r"(?P<q>\Ay)|(?P<r>y)",
        ];
        agrees_on_generated_text(&patterns, "head", &texts(0x2545_F491_4F6C_DD1D, &alphabet, 2000, 12));
    }

    /// Each pattern is split as `kind` says and finds, with and without groups, what the regex
    /// crate finds in every text.
    fn agrees_on_generated_text(patterns: &[&str], kind: &str, texts: &[String]) {
        for src in patterns {
            let re = Regex::new(src).unwrap();
            let p = PatternSearch::new(re.clone());
            assert_eq!(p.split_kind(), Some(kind), "{src}");
            for hay in texts {
                assert_eq!(all(&p, hay, false), expected(&re, hay, false), "{src} on {hay:?}");
                assert_eq!(all(&p, hay, true), expected(&re, hay, true), "{src} on {hay:?}");
            }
        }
    }

    #[test]
    fn placeholders_are_found_as_the_regex_finds_them() {
        let re = Regex::new(PLACEHOLDER).unwrap();
        let p = PatternSearch::new(re.clone());
        assert!(p.is_split());
        for hay in [
            "今年以来，xx區(qū)緊緊圍繞。xxxx年x月xx日，區政府。",
            "某某 局 xx xX ab xxab x月x日 xx\u{3000}区 ×× 2019年",
            "xxx",
            "",
            "xx 年 xxé xx_ xx1 xxé某某某",
        ] {
            assert_eq!(all(&p, hay, false), expected(&re, hay, false), "{hay}");
            assert_eq!(all(&p, hay, true), expected(&re, hay, true), "{hay}");
        }
    }

    /// A small deterministic generator: the same texts on every run.
    fn texts(seed: u64, alphabet: &[&str], n: usize, len: usize) -> Vec<String> {
        let mut x = seed;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        (0..n).map(|_| (0..next() as usize % len).map(|_| alphabet[next() as usize % alphabet.len()]).collect()).collect()
    }

    #[test]
    fn split_search_agrees_with_the_regex_on_generated_text() {
        let alphabet = ["x", "X", "某", "月", "日", "年", " ", "\n", "a", "_", "1", "é", "，", "区", "ｘ", "×"];
        let patterns = [
            PLACEHOLDER,
            r"\b",
            r"\B",
            r"x*\b",
            r"(?P<w>\w+)\b",
            r"\b(?P<n>\d+)\b|某",
            r"(?m)^\s*x\b",
            r"\b{start}x|x\b{end}",
            r"a\b{start-half}|\b{end-half}",
            r"(?:x|xa)\b|月",
        ];
        agrees_on_generated_text(&patterns, "words", &texts(0x9E37_79B9_7F4A_7C15, &alphabet, 300, 24));
    }

    #[test]
    fn a_search_without_word_boundaries_is_the_regex_s_own() {
        let re = Regex::new(r"(?P<a>的的)[^确]|(?P<e>类类)").unwrap();
        let p = PatternSearch::new(re.clone());
        assert!(!p.is_split());
        let hay = "统一的的网站，各类类信息，的的确确";
        assert_eq!(all(&p, hay, true), expected(&re, hay, true));
        assert_eq!(p.names(), [(1, "a".to_string()), (2, "e".to_string())]);
    }

    #[test]
    fn the_caller_can_stop_early() {
        let p = PatternSearch::new(Regex::new(PLACEHOLDER).unwrap());
        let mut n = 0;
        p.each("xx年 xx区 xx县", false, |_| {
            n += 1;
            n < 2
        });
        assert_eq!(n, 2);
    }

    const PACK: &str = r#"
checks:
  - { id: cut, severity: warning, pattern: '\p{Han}公[，。]', message: '{match}' }
  - { id: lit, severity: warning, pattern: '免责声明', message: '{match}' }
  - { id: long, severity: warning, pattern: '\p{Han}[^\n]{0,60}?的通知', message: '{match}' }
  - { id: head, severity: warning, pattern: '\p{Han}公[，。]', in: head, message: '{match}' }
  - { id: date, severity: warning, pattern: '(?m)^\s*(?P<d>[1-9]\d{2})日$', message: '{d}' }
  - { id: none, severity: warning, pattern: '\p{Han}规[；：]', absent: true, message: 无 }
  - { id: word, severity: warning, pattern: '[xX×]{2,}\s*(?:区|\b)', max: 2, message: '{match}' }
"#;

    fn pack() -> crate::rules::RuleSet {
        crate::rules::compile::compile(None, &[("r.yaml".into(), PACK.to_string())]).unwrap_or_else(|e| panic!("{}", e[0]))
    }

    fn member(set: &crate::rules::RuleSet, id: &str) -> Option<usize> {
        set.checks.iter().find(|c| c.id == id).and_then(|c| match &c.instances[0].body {
            CheckBody::Pattern { search, .. } => search.member,
            _ => None,
        })
    }

    fn search<'a>(set: &'a crate::rules::RuleSet, id: &str) -> &'a PatternSearch {
        match &set.checks.iter().find(|c| c.id == id).unwrap().instances[0].body {
            CheckBody::Pattern { search, .. } => search,
            _ => panic!("{id} is not a pattern check"),
        }
    }

    #[test]
    fn the_set_holds_the_whole_text_checks_no_literal_guards() {
        let set = pack();
        for (id, joins) in [("cut", true), ("lit", false), ("long", false), ("head", false), ("date", true), ("none", true), ("word", true)] {
            assert_eq!(member(&set, id).is_some(), joins, "{id}");
        }
        assert!(format!("{:?}", set.text_set).contains("TextSet(4)"));
    }

    #[test]
    fn a_check_that_matches_nowhere_is_skipped_and_one_that_matches_is_not() {
        let set = pack();
        let present = set.text_set.scan("推进政务公，提升透明度。\n925日\n");
        assert!(present.may_match(search(&set, "cut")));
        assert!(present.may_match(search(&set, "date")), "a line anchor is read as in the text");
        assert!(!present.may_match(search(&set, "none")));
        assert!(!present.may_match(search(&set, "word")));
        assert!(present.may_match(search(&set, "lit")), "not in the set: always searched");
        let present = set.text_set.scan("前言 925日，后文");
        assert!(!present.may_match(search(&set, "date")), "the line does not end after 日");
        assert!(!present.may_match(search(&set, "cut")));
        // A Unicode word boundary is dropped from the set: `xx区` and `xx` at the end both count.
        assert!(set.text_set.scan("文xx").may_match(search(&set, "word")));
        assert!(Present::unknown().may_match(search(&set, "none")));
    }

    #[test]
    fn findings_are_the_same_as_when_every_pattern_is_searched() {
        let with = pack();
        let mut without = with.clone();
        without.text_set = TextSet::default();
        let texts = [
            "推进政务公，提升透明度。\n925日\n免责声明",
            "全面推进政务公开。加强监管，严格遵守法规；",
            "xx区 xx 区政府 ×× 2019年\n  123日\nxx",
            "关于报送年度报告的通知\n推进政务公。",
            "本报告无异常。",
        ];
        let mut fired = 0;
        for t in texts {
            let doc = crate::load::Document::from_bytes(std::path::PathBuf::from("x.txt"), t.as_bytes()).unwrap();
            let fields = crate::model::Fields::new();
            let a = crate::check::run_checks(&doc, &fields, None, &with);
            let b = crate::check::run_checks(&doc, &fields, None, &without);
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{t}");
            fired += a.len();
        }
        assert!(fired > 8, "the texts exercise the checks: {fired}");
    }
}
