//! Finding a table row's label. A row's regex is an optional item number ("6.", "（三）", "一、")
//! followed by the label's body. Searched whole, the item number (optional, Unicode digits,
//! numerals and spaces) leaves the regex crate no literal to look for, so its lazy DFA walks every
//! byte of the table in states it must first build; in a batch that was a fifth of `check`'s time.
//!
//! When every match of the body opens with a character no item number can contain, the body is
//! searched alone (its first characters are literals the regex crate skips to) and the item number
//! in front of it is read backwards by hand: the match is the same as the whole regex's, start
//! and end (see [`LabelBody::find_at`] for why), and tests compare the two on the real reports
//! and on generated text. Otherwise the whole regex is searched, as before.

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use regex::Regex;
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind};

use crate::text::loose::LooseLabel;

/// Item numbers that may precede a row label ("6.", "（三）", "一、"): part of the label's match so
/// that a number glued to the previous row's last cell ("…00000016.属于…") is not read as a cell.
/// [`item_start`] reads the same language backwards (tested against this regex).
pub(super) const ITEM_NUMBER: &str = r"(?:(?:[0-9]|[一二三四五六七八九十]{1,3})\s*[.．、]\s*|[（(]\s*[一二三四五六七八九十]{1,3}\s*[)）]\s*)?";

const NUMERALS: &[char] = &['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/// The body of a row's regex (what follows [`ITEM_NUMBER`]) and how it is searched for.
#[derive(Clone)]
pub struct LabelBody(Arc<Body>);

enum Body {
    /// A label matched loosely ([`crate::text::loose_pattern`]), compared character by character.
    Loose(LooseLabel),
    /// A `pattern`: its own regex when the split search is exact for it (built when first
    /// searched with), `None` when the whole regex must be searched.
    Pattern(String, OnceLock<Option<Regex>>),
    /// Searched with the whole regex (the row's own).
    Whole,
}

impl std::fmt::Debug for LabelBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Body::Loose(m) => f.debug_tuple("Loose").field(m).finish(),
            Body::Pattern(src, _) => f.debug_tuple("Pattern").field(src).finish(),
            Body::Whole => f.write_str("Whole"),
        }
    }
}

impl LabelBody {
    /// A row whose `pattern` follows the item number.
    pub fn pattern(body: String) -> LabelBody {
        LabelBody(Arc::new(Body::Pattern(body, OnceLock::new())))
    }

    /// A row whose label (or `match` text) follows the item number, matched loosely.
    pub fn loose(label: &str) -> LabelBody {
        let m = LooseLabel::new(label);
        let exact = !m.first().is_empty() && !m.first().iter().any(|&c| in_item_number(c));
        LabelBody(Arc::new(if exact { Body::Loose(m) } else { Body::Whole }))
    }

    /// The leftmost-first match of `ITEM_NUMBER (?:body)` in `hay` starting at or after `at`, as
    /// `whole.find_at(hay, at)` finds it; `whole` is searched when the split search is not exact.
    ///
    /// Why the split search is exact: the body matches no empty string and opens with a character
    /// outside the item numbers' alphabet (digits, numerals, `.．、（()）` and white space). So in any
    /// match, the item number is the run of alphabet characters before the body's first character,
    /// and the body starts at the first non-alphabet character of the match. The leftmost body
    /// match from `at` (at `p`) therefore gives the leftmost whole match: a whole match starting at
    /// or before `p` has its body at `p` (the character at `p` ends any alphabet run), and one
    /// starting after `p` starts later than the match whose item number is empty. Its start is the
    /// earliest `s ≥ at` whose `hay[s..p]` is an item number; its end is the body's own
    /// leftmost-first match at `p`, since every way of matching the item number covers the same
    /// text.
    pub fn find_at(&self, whole: &Regex, hay: &str, at: usize) -> Option<Range<usize>> {
        let body = match &*self.0 {
            Body::Loose(m) => m.find_at(hay, at)?,
            Body::Pattern(src, built) => {
                let re = built.get_or_init(|| splittable(src).then(|| super::compile::compile_regex(src).ok()).flatten());
                match re {
                    Some(re) => re.find_at(hay, at)?.range(),
                    None => return whole.find_at(hay, at).map(|m| m.range()),
                }
            }
            Body::Whole => return whole.find_at(hay, at).map(|m| m.range()),
        };
        Some(item_start(hay, at, body.start)..body.end)
    }
}

/// The characters an item number is made of.
fn in_item_number(c: char) -> bool {
    c.is_whitespace() || c.is_ascii_digit() || NUMERALS.contains(&c) || ".．、（()）".contains(c)
}

/// The earliest `s` in `at..=p` such that `hay[s..p]` is a (non-empty) item number, else `p`:
/// [`ITEM_NUMBER`] read backwards from `p`.
fn item_start(hay: &str, at: usize, p: usize) -> usize {
    let before = &hay[at..p];
    let mut back = before.char_indices().rev().peekable();
    // Trailing white space, then the item number's closing mark.
    while back.next_if(|(_, c)| c.is_whitespace()).is_some() {}
    let Some((_, mark)) = back.next() else { return p };
    type Back<'a> = std::iter::Peekable<std::iter::Rev<std::str::CharIndices<'a>>>;
    let skip_ws = |back: &mut Back| while back.next_if(|(_, c)| c.is_whitespace()).is_some() {};
    let numerals = |back: &mut Back| {
        let mut first = None;
        for _ in 0..3 {
            match back.next_if(|(_, c)| NUMERALS.contains(c)) {
                Some((i, _)) => first = Some(i),
                None => break,
            }
        }
        first
    };
    let start = match mark {
        // `D \s* [.．、] \s*`, D a single ASCII digit or one to three numerals.
        '.' | '．' | '、' => {
            skip_ws(&mut back);
            match back.peek() {
                Some(&(i, c)) if c.is_ascii_digit() => Some(i),
                _ => numerals(&mut back),
            }
        }
        // `[（(] \s* N{1,3} \s* [)）] \s*`.
        ')' | '）' => {
            skip_ws(&mut back);
            match numerals(&mut back) {
                Some(_) => {
                    skip_ws(&mut back);
                    match back.next() {
                        Some((i, '（' | '(')) => Some(i),
                        _ => None,
                    }
                }
                None => None,
            }
        }
        _ => None,
    };
    start.map_or(p, |s| at + s)
}

/// Whether the split search is exact for this body: it parses, matches no empty string, and
/// every character a match can open with lies outside the item numbers' alphabet.
pub(super) fn splittable(body: &str) -> bool {
    let Ok(hir) = regex_automata::util::syntax::parse(body) else { return false };
    let Some((first, nullable)) = first_chars(&hir) else { return false };
    if nullable {
        return false;
    }
    let mut alphabet = ClassUnicode::new(NUMERALS.iter().map(|&c| ClassUnicodeRange::new(c, c)));
    for c in ['0', '.', '．', '、', '（', '(', ')', '）'] {
        let hi = if c == '0' { '9' } else { c };
        alphabet.push(ClassUnicodeRange::new(c, hi));
    }
    // `\s` as the regex crate reads it (Unicode White_Space), so the test is the engine's own.
    let Ok(ws) = regex_automata::util::syntax::parse(r"\s") else { return false };
    let HirKind::Class(Class::Unicode(ws)) = ws.kind() else { return false };
    alphabet.union(ws);
    let mut common = first;
    common.intersect(&alphabet);
    common.ranges().is_empty()
}

/// The characters a non-empty match of `h` can open with, and whether `h` matches the empty
/// string; `None` when that cannot be told (byte classes, a literal that is not UTF-8).
fn first_chars(h: &Hir) -> Option<(ClassUnicode, bool)> {
    let none = || ClassUnicode::new(std::iter::empty());
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Some((none(), true)),
        HirKind::Literal(lit) => {
            let c = std::str::from_utf8(&lit.0).ok()?.chars().next()?;
            Some((ClassUnicode::new([ClassUnicodeRange::new(c, c)]), false))
        }
        HirKind::Class(Class::Unicode(c)) => Some((c.clone(), false)),
        HirKind::Class(Class::Bytes(_)) => None,
        HirKind::Repetition(r) => {
            let (c, nullable) = first_chars(&r.sub)?;
            Some((c, nullable || r.min == 0))
        }
        HirKind::Capture(c) => first_chars(&c.sub),
        HirKind::Concat(items) => {
            let mut acc = none();
            for item in items {
                let (c, nullable) = first_chars(item)?;
                acc.union(&c);
                if !nullable {
                    return Some((acc, false));
                }
            }
            Some((acc, true))
        }
        HirKind::Alternation(items) => {
            let mut acc = none();
            let mut any_nullable = false;
            for item in items {
                let (c, nullable) = first_chars(item)?;
                acc.union(&c);
                any_nullable |= nullable;
            }
            Some((acc, any_nullable))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    fn whole(body: &str) -> Regex {
        Regex::new(&format!("{ITEM_NUMBER}(?:{body})")).unwrap()
    }

    #[test]
    fn a_body_is_searched_alone_only_when_it_cannot_open_inside_an_item_number() {
        assert!(splittable("主\\s*动\\s*公\\s*开"));
        assert!(splittable("(?:政\\s*府\\s*)?网\\s*站"));
        assert!(splittable("[其]\\s*他"));
        // Opens with a digit, a numeral, a parenthesis or may be empty: the whole regex is searched.
        assert!(!splittable("(?:[0-9]\\s*[.．、]\\s*)?其\\s*他"));
        assert!(!splittable("3\\s*[.．、]\\s*其\\s*他"));
        assert!(!splittable("[（(]\\s*一\\s*[)）]\\s*予\\s*以"));
        assert!(!splittable("三\\s*安\\s*全"));
        assert!(!splittable("(?:危)?"));
        assert!(!splittable("\\s*其他"));
        assert!(!splittable("[^0-9]其他"));
    }

    #[test]
    fn a_label_that_may_open_inside_an_item_number_is_searched_whole() {
        for label in ["（一）予以公开", "3.其他", "一般", " 其他"] {
            let body = LabelBody::loose(label);
            let expect_whole = label.trim_start().starts_with(['（', '3', '一']);
            assert_eq!(matches!(&*body.0, Body::Whole), expect_whole, "{label}");
        }
    }

    #[test]
    fn white_space_is_read_as_the_regex_crate_reads_it() {
        let ws = Regex::new(r"^\s$").unwrap();
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(c.is_whitespace(), ws.is_match(c.encode_utf8(&mut [0; 4])), "{c:?}");
        }
    }

    /// Text made of pieces that matter here: item number parts, spaces, noise and copies of the
    /// label (some broken), glued at random.
    fn generated(rng: &mut Rng, label: &[&str]) -> String {
        let pieces = ["0", "6", "一", "十", "三", ".", "．", "、", "（", "(", ")", "）", " ", "\u{3000}", "\n", "x", "数", "\u{200B}", "（万元）"];
        let mut text = String::new();
        for _ in 0..rng.below(8) {
            if rng.below(3) == 0 {
                for part in label {
                    if rng.below(12) != 0 {
                        text.push_str(part);
                    }
                    if rng.below(4) == 0 {
                        text.push_str(pieces[rng.below(pieces.len() as u64) as usize]);
                    }
                }
            } else {
                text.push_str(pieces[rng.below(pieces.len() as u64) as usize]);
            }
        }
        text
    }

    /// The split search finds what the whole regex finds, from every place of generated text.
    #[test]
    fn the_split_search_finds_what_the_whole_regex_finds() {
        let parts: &[&str] = &["主", "动", "公", "开", "数"];
        let bodies: Vec<(LabelBody, String)> = vec![
            (LabelBody::loose("主动公开"), crate::text::loose_pattern("主动公开")),
            (LabelBody::loose("主动公开数"), crate::text::loose_pattern("主动公开数")),
            (LabelBody::pattern("主\\s*动\\s*(?:公\\s*开)?\\s*数\\s*(?:[（(][^）)]{0,4}[)）])?".into()), "主\\s*动\\s*(?:公\\s*开)?\\s*数\\s*(?:[（(][^）)]{0,4}[)）])?".into()),
            (LabelBody::pattern("(?:x\\s*)?动\\s*公".into()), "(?:x\\s*)?动\\s*公".into()),
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for (body, src) in &bodies {
            assert!(!matches!(&*body.0, Body::Whole), "{src}");
            if let Body::Pattern(p, _) = &*body.0 {
                assert!(splittable(p), "{p}");
            }
            let whole = whole(src);
            let mut found = 0;
            for _ in 0..5_000 {
                let text = generated(&mut rng, parts);
                for at in text.char_indices().map(|(i, _)| i).chain([text.len()]) {
                    let want = whole.find_at(&text, at).map(|m| m.range());
                    found += usize::from(want.is_some());
                    assert_eq!(body.find_at(&whole, &text, at), want, "{src} in {text:?} from {at}");
                }
            }
            // The generated text is worth searching: matches are common, not rare.
            assert!(found > 5_000, "{src}: {found} matches");
        }
    }

    #[test]
    fn item_numbers_are_read_backwards_as_the_regex_reads_them() {
        let label = "属于国家秘密";
        let split = LabelBody::loose(label);
        assert!(matches!(&*split.0, Body::Loose(_)));
        let whole = whole(&crate::text::loose_pattern(label));
        for text in ["16.属于国家秘密", "（十一） 属于国家秘密", "(一二三四)属于国家秘密", "一二三四、属于国家秘密", "6 . 属于国家秘密", "、属于国家秘密", "十、、属于国家秘密", "1 2、属于国家秘密"] {
            for at in text.char_indices().map(|(i, _)| i) {
                assert_eq!(split.find_at(&whole, text, at), whole.find_at(text, at).map(|m| m.range()), "{text:?} from {at}");
            }
        }
    }

    /// Every row of the built-in pack, searched in every real report from every place a label
    /// search can start (the text's start, and the end of each match of any row): the same match
    /// as the row's whole regex.
    #[test]
    fn every_row_finds_in_the_real_reports_what_its_regex_finds() {
        let rules = crate::rules::RuleSet::builtin();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (paths, _) = crate::load::discover(&[dir.join("samples"), dir.join("../shared/corpus"), dir.join("../shared/seeds")]);
        let rows: Vec<&crate::rules::Row> = rules.tables.iter().flat_map(|t| &t.rows).collect();
        let (mut reports, mut found) = (0, 0);
        for p in &paths {
            let Ok(d) = crate::load::load_file(p) else { continue };
            reports += 1;
            let text = &d.text;
            let mut starts: Vec<usize> = vec![0];
            for row in &rows {
                starts.extend(row.regex.find_iter(text).map(|m| m.end()));
            }
            starts.sort_unstable();
            starts.dedup();
            for row in &rows {
                for &at in &starts {
                    let want = row.regex.find_at(text, at).map(|m| m.range());
                    found += usize::from(want.is_some());
                    assert_eq!(row.find_label(text, at), want, "{} row {} from {at}", p.display(), row.id);
                }
            }
        }
        assert!(reports >= 20, "{reports} reports");
        assert!(found > 10_000, "{found} matches");
    }
}
