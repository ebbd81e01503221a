//! Byte scans the claims stage runs over a whole report or around every figure, written so they
//! give exactly what the plain `char` loops and `str::find` calls they replace gave: sentence
//! starts, parenthesis depth, and the first of a list of words in a window.
//!
//! Report text is mostly three-byte characters; decoding each one (and asking Unicode whether a
//! CJK character is whitespace) was a sixth of the stage. Every character these scans look for
//! is ASCII or starts with byte 0xE3 or 0xEF, so other bytes are stepped over undecoded.

/// Sentence starts (byte offsets): 0, after 。！？!? and after a line break that follows a line
/// holding only whitespace (a blank line). Sorted, without duplicates.
///
/// Found with memchr's vector searches for the few bytes and words that matter, not byte by
/// byte: a line break after a blank line is one whose line since the break before holds only
/// whitespace, which is what the character loop's "only whitespace since the last break" means.
pub fn sentence_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    let mut last_nl: Option<usize> = None;
    // Line breaks and the first bytes of the wide enders (。 E3 80 82, ！ EF BC 81, ？ EF BC 9F);
    // E3 and EF lead little else in Chinese text than punctuation, so there are few places to look.
    for i in memchr::memchr3_iter(b'\n', 0xE3, 0xEF, b) {
        match b[i] {
            b'\n' => {
                if let Some(j) = last_nl
                    && text[j + 1..i].chars().all(char::is_whitespace)
                {
                    starts.push(i + 1);
                }
                last_nl = Some(i);
            }
            _ => {
                if matches!(b.get(i..i + 3), Some([0xE3, 0x80, 0x82] | [0xEF, 0xBC, 0x81] | [0xEF, 0xBC, 0x9F])) {
                    starts.push(i + 3);
                }
            }
        }
    }
    starts.extend(memchr::memchr2_iter(b'!', b'?', b).map(|i| i + 1));
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// The parenthesis depth after `s`, starting from `depth`: （ and ( open, ） and ) close, never
/// below zero.
pub fn depth_after(s: &str, mut depth: i32) -> i32 {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(k) = memchr::memchr3(b'(', b')', 0xEF, &b[from..]) {
        let i = from + k;
        from = i + 1;
        match b[i] {
            b'(' => depth += 1,
            b')' => depth = (depth - 1).max(0),
            // （ EF BC 88, ） EF BC 89
            _ => match b.get(i + 1..i + 3) {
                Some([0xBC, 0x88]) => depth += 1,
                Some([0xBC, 0x89]) => depth = (depth - 1).max(0),
                _ => {}
            },
        }
    }
    depth
}

/// The word of `words` found first in `hay` (its offset and index); of words found at the same
/// offset, the one listed first. What `words.filter_map(find).min_by_key(offset)` gives.
pub fn first_of<T>(hay: &str, words: &[T], word: impl Fn(&T) -> &str) -> Option<(usize, usize)> {
    let b = hay.as_bytes();
    // Up to the end itself, where only an empty word is found.
    for i in 0..=b.len() {
        // A word can only start where a character does.
        if i < b.len() && (b[i] as i8) < -0x40 {
            continue;
        }
        if let Some(k) = words.iter().position(|w| b[i..].starts_with(word(w).as_bytes())) {
            return Some((i, k));
        }
    }
    None
}

/// [`first_of`] with the words compiled into a leftmost-first automaton (the lexicon's
/// `opener_words`): leftmost-first is exactly "found first, and of those the one listed first".
pub fn first_in(hay: &str, words: &aho_corasick::AhoCorasick) -> Option<(usize, usize)> {
    words.find(hay).map(|m| (m.start(), m.pattern().as_usize()))
}

/// Where the lexicon's figure pattern can start a match, so the pattern is run from there and
/// not over all the text between figures (most of a report, and most of its digits: years,
/// dates, table cells, are followed by no unit).
///
/// A match is `pre? num frac? ws* more? ws* (unit | stop) post?`: it starts at a digit or at a
/// bound word (`PRE`) right before one, and everything between its first digit and its unit or
/// stop is a digit, `,` `.` `．`, a space of `[ \t\r\n　]`, 余 or 多 (the *stretch*). So a digit
/// can start a match only if its stretch holds a `,` (a stop) or is followed by a stop or a
/// unit's first character; when it is not, no digit of the stretch can, nor a bound word before
/// it. With a unit that is empty or starts with a stretch character this reasoning fails, and
/// every place is a candidate (the plain search).
#[derive(Debug, Clone)]
pub struct FigureScan {
    firsts: Vec<char>,
    /// In the pattern's order.
    units: Vec<String>,
    sound: bool,
}

const STOPS: [char; 5] = ['。', '；', ';', '，', ','];

fn in_stretch(c: char) -> bool {
    matches!(c, '0'..='9' | '０'..='９' | ',' | '.' | '．' | ' ' | '\t' | '\r' | '\n' | '　' | '余' | '多')
}

/// A digit (ASCII or fullwidth, EF BC 90–99) starts at byte `i`.
fn digit_at(b: &[u8], i: usize) -> bool {
    let x = b[i];
    x.wrapping_sub(b'0') < 10 || (x == 0xEF && matches!(b.get(i + 1..i + 3), Some([0xBC, 0x90..=0x99])))
}

/// The first byte at or after `from` where a digit starts. Sixteen bytes at a time, in a form
/// the compiler vectorises; ASCII digits never occur inside a multi-byte character.
fn next_digit(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 18 <= b.len() {
        let w: &[u8; 18] = b[i..i + 18].try_into().ok()?;
        let mut any = 0u8;
        for k in 0..16 {
            let ascii = (w[k].wrapping_sub(b'0') < 10) as u8;
            let wide = ((w[k] == 0xEF) as u8) & ((w[k + 1] == 0xBC) as u8) & ((w[k + 2].wrapping_sub(0x90) < 10) as u8);
            any |= ascii | wide;
        }
        if any != 0 {
            return (i..i + 16).find(|&k| digit_at(b, k));
        }
        i += 16;
    }
    (i..b.len()).find(|&k| digit_at(b, k))
}

/// The end of the stretch from `d`, and whether it holds a `,`.
fn stretch(b: &[u8], d: usize) -> (usize, bool) {
    let mut e = d;
    let mut comma = false;
    while e < b.len() {
        match b[e] {
            b'0'..=b'9' | b'.' | b' ' | b'\t' | b'\r' | b'\n' => e += 1,
            b',' => {
                comma = true;
                e += 1;
            }
            // ０–９ and ．
            0xEF if matches!(b.get(e + 1..e + 3), Some([0xBC, 0x90..=0x99 | 0x8E])) => e += 3,
            // 　
            0xE3 if b.get(e + 1..e + 3) == Some(&[0x80, 0x80]) => e += 3,
            // 余
            0xE4 if b.get(e + 1..e + 3) == Some(&[0xBD, 0x99]) => e += 3,
            // 多
            0xE5 if b.get(e + 1..e + 3) == Some(&[0xA4, 0x9A]) => e += 3,
            _ => break,
        }
    }
    (e, comma)
}

/// The spans of a figure match's groups, as the pattern names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Groups {
    pub whole: (usize, usize),
    pub pre: Option<(usize, usize)>,
    pub num: Option<(usize, usize)>,
    pub frac: Option<(usize, usize)>,
    pub more: Option<(usize, usize)>,
    pub unit: Option<(usize, usize)>,
    pub stop: Option<(usize, usize)>,
    pub post: Option<(usize, usize)>,
}

/// Bytes of the digit (either width) at `i`, 0 when none is there.
fn digit_len(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'0'..=b'9') => 1,
        Some(0xEF) if matches!(b.get(i + 1..i + 3), Some([0xBC, 0x90..=0x99])) => 3,
        _ => 0,
    }
}

/// Bytes of the space of `[ \t\r\n　]` at `i`, 0 when none is there.
fn space_len(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b' ' | b'\t' | b'\r' | b'\n') => 1,
        Some(0xE3) if b.get(i + 1..i + 3) == Some(&[0x80, 0x80]) => 3,
        _ => 0,
    }
}

/// The end of the digits (either width) from `i`, and how many there are.
fn digits_end(b: &[u8], mut i: usize) -> (usize, usize) {
    let mut n = 0;
    loop {
        let l = digit_len(b, i);
        if l == 0 {
            return (i, n);
        }
        i += l;
        n += 1;
    }
}

fn spaces_end(b: &[u8], mut i: usize) -> usize {
    loop {
        let l = space_len(b, i);
        if l == 0 {
            return i;
        }
        i += l;
    }
}

impl FigureScan {
    /// For the figure pattern built from these units (`%` when there are none).
    pub fn new(units: &[String]) -> FigureScan {
        let mut units: Vec<String> = if units.is_empty() { vec!["%".to_string()] } else { units.to_vec() };
        // The pattern's order: longest first (a stable sort, as `token_regex` sorts them).
        units.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
        let firsts: Vec<char> = units.iter().filter_map(|u| u.chars().next()).collect();
        let sound = firsts.len() == units.len() && !firsts.iter().any(|c| in_stretch(*c));
        FigureScan { firsts, units, sound }
    }

    /// The first place at or after `at` where a match can start (a match starting at or after
    /// `at` starts at or after it); `None` when none can. What `Figures` looks for first.
    #[cfg(test)]
    pub fn next_start(&self, text: &str, at: usize) -> Option<usize> {
        if !self.sound {
            return (at <= text.len()).then_some(at);
        }
        self.next_candidate(text, at, at).map(|(s, _)| s)
    }

    /// The next digit at or after `i` whose stretch passes, and where a match through it would
    /// start (a bound word before it, from `at` on).
    fn next_candidate(&self, text: &str, at: usize, mut i: usize) -> Option<(usize, usize)> {
        let b = text.as_bytes();
        loop {
            let d = next_digit(b, i)?;
            let (e, comma) = stretch(b, d);
            let follows = text[e..].chars().next().is_some_and(|c| STOPS.contains(&c) || self.firsts.contains(&c));
            if !comma && !follows {
                i = e;
                continue;
            }
            let mut s = d;
            for w in crate::rules::lexicon::PRE {
                let l = w.len();
                if d >= at + l && &b[d - l..d] == w.as_bytes() {
                    s = s.min(d - l);
                }
            }
            return Some((s, d));
        }
    }

    /// The pattern from its `num` on, anchored at `q`, as its order of preference reads it
    /// (greedy repeats longest first, optional parts present first, alternatives left first):
    /// `[0-9０-９]{1,3}(?:,[0-9]{3})+ | [0-9０-９]+`, then `continuation`.
    ///
    /// Where the scan is sound nothing after a number starts with a digit, a space, 余 or 多
    /// (no unit starts with one, no stop is one), so of each repeat only the longest can be
    /// followed by the rest of the pattern: a shorter one leaves one of those next. The one
    /// exception is the `,` groups, whose last can be given back to be the stop.
    fn from_num(&self, text: &str, q: usize) -> Option<Groups> {
        let b = text.as_bytes();
        let (run, n) = digits_end(b, q);
        if (1..=3).contains(&n) {
            let mut groups = 0;
            while b.get(run + 4 * groups) == Some(&b',') && b.get(run + 4 * groups + 1..run + 4 * groups + 4).is_some_and(|g| g.iter().all(u8::is_ascii_digit)) {
                groups += 1;
            }
            for k in (1..=groups).rev() {
                if let Some(mut g) = self.continuation(text, run + 4 * k) {
                    g.num = Some((q, run + 4 * k));
                    return Some(g);
                }
            }
        }
        let mut g = self.continuation(text, run)?;
        g.num = Some((q, run));
        Some(g)
    }

    /// `(?:[.．](?P<frac>[0-9０-９]+))?[ws]*(?P<more>余|多)?[ws]*(?:unit|stop)(?P<post>左右|以上)?`
    fn continuation(&self, text: &str, r: usize) -> Option<Groups> {
        let b = text.as_bytes();
        let point = match b.get(r) {
            Some(b'.') => 1,
            Some(0xEF) if b.get(r + 1..r + 3) == Some(&[0xBC, 0x8E]) => 3,
            _ => 0,
        };
        if point > 0 {
            let from = r + point;
            let (end, n) = digits_end(b, from);
            if n > 0
                && let Some(mut g) = self.after_number(text, end)
            {
                g.frac = Some((from, end));
                return Some(g);
            }
        }
        self.after_number(text, r)
    }

    fn after_number(&self, text: &str, r: usize) -> Option<Groups> {
        let b = text.as_bytes();
        let w = spaces_end(b, r);
        if matches!(b.get(w..w + 3), Some([0xE4, 0xBD, 0x99] | [0xE5, 0xA4, 0x9A]))
            && let Some(mut g) = self.unit_or_stop(text, spaces_end(b, w + 3))
        {
            g.more = Some((w, w + 3));
            return Some(g);
        }
        self.unit_or_stop(text, w)
    }

    fn unit_or_stop(&self, text: &str, r: usize) -> Option<Groups> {
        let rest = &text[r..];
        let mut g = Groups::default();
        let end = if let Some(u) = self.units.iter().find(|u| rest.starts_with(u.as_str())) {
            g.unit = Some((r, r + u.len()));
            r + u.len()
        } else {
            let c = rest.chars().next().filter(|c| STOPS.contains(c))?;
            g.stop = Some((r, r + c.len_utf8()));
            r + c.len_utf8()
        };
        g.whole.1 = end;
        if text[end..].starts_with("左右") || text[end..].starts_with("以上") {
            g.post = Some((end, end + 6));
            g.whole.1 = end + 6;
        }
        Some(g)
    }
}

/// The figure pattern's matches, as `captures_iter` gives them. Where the scan is sound the
/// pattern is matched by hand from each candidate digit (`FigureScan::from_num`, tested against
/// the regex); otherwise the regex is searched from the last match on.
pub struct Figures<'r, 't> {
    re: &'r regex::Regex,
    scan: &'r FigureScan,
    text: &'t str,
    /// The end of the last match: where the pattern's search goes on.
    at: usize,
    /// Where the scan for the next digit goes on (no match starts between `at` and here).
    next: usize,
    locs: regex::CaptureLocations,
    names: [usize; 7],
}

impl<'r, 't> Figures<'r, 't> {
    pub fn new(re: &'r regex::Regex, scan: &'r FigureScan, text: &'t str) -> Self {
        let group = |name: &str| re.capture_names().position(|n| n == Some(name)).unwrap_or(usize::MAX);
        let names = ["pre", "num", "frac", "more", "unit", "stop", "post"].map(group);
        Figures { re, scan, text, at: 0, next: 0, locs: re.capture_locations(), names }
    }

    pub fn next_match(&mut self) -> Option<Groups> {
        let g = if self.scan.sound { self.by_hand()? } else { self.by_regex()? };
        // Never empty (a figure holds a digit), so the next search starts at its end.
        self.at = g.whole.1.max(g.whole.0 + 1);
        self.next = self.at;
        Some(g)
    }

    fn by_hand(&mut self) -> Option<Groups> {
        loop {
            let (s, d) = self.scan.next_candidate(self.text, self.at, self.next)?;
            if let Some(mut g) = self.scan.from_num(self.text, d) {
                g.whole.0 = s;
                if s < d {
                    g.pre = Some((s, d));
                }
                return Some(g);
            }
            // No match starts at the digit, so none at the digits after it (a match there
            // would make one here), nor at a bound word before it.
            let b = self.text.as_bytes();
            let mut i = d;
            while digit_len(b, i) > 0 {
                i += digit_len(b, i);
            }
            self.next = i;
        }
    }

    fn by_regex(&mut self) -> Option<Groups> {
        let m = self.re.captures_read_at(&mut self.locs, self.text, self.at)?;
        let [pre, num, frac, more, unit, stop, post] = self.names.map(|i| self.locs.get(i));
        Some(Groups { whole: (m.start(), m.end()), pre, num, frac, more, unit, stop, post })
    }

    /// The same matches by the regex alone, for the tests.
    #[cfg(test)]
    pub fn by_regex_only(mut self) -> Vec<Groups> {
        let mut out = Vec::new();
        while let Some(g) = self.by_regex() {
            self.at = g.whole.1;
            out.push(g);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loops these scans replace, kept as the reference.
    fn sentence_starts_chars(text: &str) -> Vec<usize> {
        let mut starts = vec![0];
        let mut prev_nl = false;
        for (i, c) in text.char_indices() {
            if matches!(c, '。' | '！' | '？' | '!' | '?') {
                starts.push(i + c.len_utf8());
                prev_nl = false;
            } else if c == '\n' {
                if prev_nl {
                    starts.push(i + 1);
                }
                prev_nl = true;
            } else if !c.is_whitespace() {
                prev_nl = false;
            }
        }
        starts.dedup();
        starts
    }

    fn depth_chars(s: &str, mut depth: i32) -> i32 {
        for c in s.chars() {
            match c {
                '（' | '(' => depth += 1,
                '）' | ')' => depth = (depth - 1).max(0),
                _ => {}
            }
        }
        depth
    }

    fn first_find(hay: &str, words: &[&str]) -> Option<(usize, usize)> {
        words.iter().enumerate().filter_map(|(k, w)| hay.find(w).map(|i| (i, k))).min_by_key(|(i, _)| *i)
    }

    /// The real reports beside the checkout, with a few hand-made texts for the corners.
    fn texts() -> Vec<String> {
        let mut out = vec![
            "一、总体情况\n\n  \n　\n二、x。y！z？a!b?\u{0b}\n\u{0c}\n\u{85}\n\u{3000}\n末".to_string(),
            "（（a）)) (b（c）d) ）".to_string(),
            "其中，分别为（含）涉及中，包括".to_string(),
            String::new(),
        ];
        out.extend(crate::testing::corpus_text_files());
        out
    }

    #[test]
    fn sentence_starts_are_those_of_the_char_loop() {
        let texts = texts();
        for t in &texts {
            assert_eq!(sentence_starts(t), sentence_starts_chars(t), "{}", t.chars().take(80).collect::<String>());
        }
    }

    #[test]
    fn depth_is_that_of_the_char_loop_at_every_sentence() {
        for t in &texts() {
            let starts = sentence_starts_chars(t);
            let (mut d, mut e) = (0, 0);
            for w in starts.windows(2) {
                let s = &t[w[0]..w[1]];
                d = depth_after(s, d);
                e = depth_chars(s, e);
                assert_eq!(d, e, "{s}");
            }
        }
    }

    fn automaton(words: &[&str]) -> aho_corasick::AhoCorasick {
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(words)
            .unwrap()
    }

    #[test]
    fn the_first_word_is_that_of_find_and_min() {
        let words = ["其中", "包括", "涉及", "分别为", "分别是", "中，", "中", "（", "("];
        let ac = automaton(&words);
        for t in &texts() {
            // The 60 bytes after each sentence start, and each whole sentence, as the claims
            // stage asks.
            let starts = sentence_starts_chars(t);
            for (k, &w) in starts.iter().enumerate() {
                let next = starts.get(k + 1).copied().unwrap_or(t.len());
                for hay in [&t[w..crate::extract::floor_boundary(t, w + 60)], &t[w..next]] {
                    assert_eq!(first_of(hay, &words, |w| w), first_find(hay, &words), "{hay}");
                    assert_eq!(first_in(hay, &ac), first_find(hay, &words), "{hay}");
                }
            }
        }
        assert_eq!(first_of("a中，b", &["中", "中，"], |w| w), Some((1, 0)));
        assert_eq!(first_of("a中，b", &["中，", "中"], |w| w), Some((1, 0)));
        assert_eq!(first_of("ab", &["x", ""], |w| w), Some((0, 1)));
        assert_eq!(first_of("ab", &["a", ""], |w| w), Some((0, 0)));
        assert_eq!(first_of("", &["x", ""], |w| w), Some((0, 1)));
        assert_eq!(first_of("ab", &["x"], |w| w), None);
        for (hay, words) in [("a中，b", &["中", "中，"][..]), ("a中，b", &["中，", "中"]), ("ab", &["x", ""]), ("ab", &["a", ""]), ("", &["x", ""]), ("ab", &["x"])] {
            assert_eq!(first_in(hay, &automaton(words)), first_find(hay, words), "{hay} {words:?}");
        }
        // The built-in lexicon's automaton is built, and of its openers.
        let rules = crate::rules::RuleSet::builtin();
        let lx = &rules.lexicon;
        let phrases: Vec<&str> = lx.openers.iter().map(|(p, _)| p.as_str()).collect();
        for t in texts().iter().take(20) {
            for (k, _) in t.char_indices().step_by(5) {
                let hay = &t[k..crate::extract::floor_boundary(t, k + 60)];
                assert_eq!(first_in(hay, lx.opener_words.as_ref().unwrap()), first_find(hay, &phrases), "{hay}");
            }
        }
    }

    /// Every group of every match, as `captures_iter` gives them.
    fn plain_figures(re: &regex::Regex, text: &str) -> Vec<Groups> {
        let span = |c: &regex::Captures, n: &str| c.name(n).map(|m| (m.start(), m.end()));
        re.captures_iter(text)
            .map(|c| Groups {
                whole: c.get(0).map(|m| (m.start(), m.end())).unwrap(),
                pre: span(&c, "pre"),
                num: span(&c, "num"),
                frac: span(&c, "frac"),
                more: span(&c, "more"),
                unit: span(&c, "unit"),
                stop: span(&c, "stop"),
                post: span(&c, "post"),
            })
            .collect()
    }

    fn fast_figures(re: &regex::Regex, scan: &FigureScan, text: &str) -> Vec<Groups> {
        let mut f = Figures::new(re, scan, text);
        std::iter::from_fn(|| f.next_match()).collect()
    }

    /// Text made of the pieces the figure pattern reads, in random order: digits of both
    /// widths, separators, spaces, 余/多, units, stops, bound words and other words.
    fn generated(rng: &mut crate::testing::Rng, pieces: usize) -> String {
        const PIECES: &[&str] = &[
            "0", "1", "7", "9", "12", "305", "１", "０", "９", ",", ",", ".", "．", " ", "\t", "\n", "\r", "　", "余", "多", "条", "件", "件次", "次", "人次", "个", "万元", "元", "%",
            "％", "起", "篇", "。", "；", ";", "，", "、", "近", "将近", "接近", "约", "大约", "超过", "逾", "左右", "以上", "年", "月", "第", "其中", "a", "-", "/", "数", "（", "）", "亿",
        ];
        (0..pieces).map(|_| PIECES[rng.below(PIECES.len() as u64) as usize]).collect()
    }

    #[test]
    fn figures_are_those_of_captures_iter() {
        let rules = crate::rules::RuleSet::builtin();
        let lx = &rules.lexicon;
        let scan = FigureScan::new(&lx.units);
        assert!(scan.sound, "the built-in units start with no stretch character");
        let mut n = 0;
        for t in &texts() {
            let plain = plain_figures(&lx.token, t);
            assert_eq!(fast_figures(&lx.token, &scan, t), plain, "{}", t.chars().take(80).collect::<String>());
            assert_eq!(Figures::new(&lx.token, &scan, t).by_regex_only(), plain);
            n += plain.len();
        }
        assert!(n > 200, "{n} figures compared");
        let mut rng = crate::testing::Rng(0x5eed_f16e);
        for round in 0..20_000 {
            let t = generated(&mut rng, 1 + round % 40);
            assert_eq!(fast_figures(&lx.token, &scan, &t), plain_figures(&lx.token, &t), "{t:?}");
        }
    }

    #[test]
    fn a_unit_the_scan_cannot_reason_about_searches_everywhere() {
        for units in [vec!["余件".to_string()], vec![String::new()], vec!["5条".to_string()], vec!["条".to_string(), " 件".to_string()]] {
            let scan = FigureScan::new(&units);
            assert!(!scan.sound, "{units:?}");
            assert_eq!(scan.next_start("年年2021年", 3), Some(3));
        }
        let none = FigureScan::new(&[]);
        assert!(none.sound && none.firsts == ['%']);
        assert_eq!(none.next_start("共5件，6%", 0), Some(10));
        assert_eq!(none.next_start("将近5%", 0), Some(0));
        assert_eq!(none.next_start("x将近5%", 4), Some(4), "only the part of a bound word from `at` on");
        assert_eq!(none.next_start("2021年", 0), None);
    }
}
