//! Label patterns that survive the ways dumps mangle headings and table labels: stray spaces inside
//! words, full- and half-width punctuation, full-width digits. Loose is about spacing and
//! punctuation only; a misspelt label ("行政法复议") still does not match "行政复议".

use regex::Regex;

/// Whatever a dump may put between two characters of a label: any whitespace (U+00A0 and U+3000
/// are `\s` in Unicode mode), plus zero-width space and BOM left behind by web pages.
const GAP: &str = r"[\s\u{200B}\u{FEFF}]*";

/// Characters that print interchangeably in reports. Each group is one equivalence class.
const EQUIVALENTS: &[&[char]] = &[
    &['(', '（', '﹙'],
    &[')', '）', '﹚'],
    &['[', '［', '【', '〔'],
    &[']', '］', '】', '〕'],
    &[':', '：'],
    &[',', '，'],
    // Item numbers are written "1." "1．" "1、", and "一、" as "一." in some dumps.
    &['.', '．', '、'],
    &[';', '；'],
    &['!', '！'],
    &['?', '？'],
    &['/', '／'],
    &['-', '－'],
    &['〇', '○'],
    &['"', '“', '”', '＂', '\'', '‘', '’', '＇', '「', '」', '『', '』'],
];

/// The set of characters that `c` may appear as in a dump.
fn variants(c: char) -> Vec<char> {
    if let Some(group) = EQUIVALENTS.iter().find(|g| g.contains(&c)) {
        return group.to_vec();
    }
    // Any other printable ASCII character and its full-width form (digits, letters, + % = …).
    let code = c as u32;
    let other = match code {
        0x21..=0x7E => char::from_u32(code + 0xFEE0),
        0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0),
        _ => None,
    };
    match other {
        Some(o) => vec![c, o],
        None => vec![c],
    }
}

/// Turns a heading or table label as printed in the national format into a regex source matching
/// the ways real dumps write it:
/// - any whitespace (including U+00A0, U+3000, zero-width space) between characters: "社会公益 组织",
///   "本年度办 理结果", "统 计 指 标"; whitespace inside the label itself is likewise optional;
/// - full- and half-width punctuation interchangeable: （( )） ：: ，, 、. ；; and all quote marks;
///   "(一)" matches "（一）";
/// - digits and ASCII letters in half or full width.
///
/// The label's own regex metacharacters are escaped ("本年增/减", "3.危及“三安全一稳定”"). The result
/// has no anchors and no top-level alternation, so it can be embedded in a larger pattern. It grows
/// linearly with the label and is run by the `regex` crate, so matching stays linear-time. An empty
/// label gives an empty pattern (which matches everywhere).
pub fn loose_pattern(label: &str) -> String {
    let mut out = String::new();
    let mut first = true;
    for c in label.chars().filter(|c| !is_gap(*c)) {
        if !first {
            out.push_str(GAP);
        }
        first = false;
        let vs = variants(c);
        if let [only] = vs.as_slice() {
            out.push_str(&regex::escape(only.encode_utf8(&mut [0; 4])));
        } else {
            out.push('[');
            for v in vs {
                out.push_str(&regex::escape(v.encode_utf8(&mut [0; 4])));
            }
            out.push(']');
        }
    }
    out
}

/// What a dump may put between two characters of a label ([`GAP`]'s characters).
fn is_gap(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

/// A label matched as its [`loose_pattern`] matches, without a regex: per character of the
/// label, the characters it may appear as. Searching walks the text for the first character and
/// compares the rest, touching no tables: a table row's label is looked for once per report, and a
/// regex's DFA is no longer in the processor's caches by then.
#[derive(Debug, Clone)]
pub struct LooseLabel {
    chars: Vec<Vec<char>>,
    /// The first character's UTF-8 bytes when it has no variants (most Chinese labels): searched
    /// for with `memmem`.
    first_alone: Option<Vec<u8>>,
}

impl LooseLabel {
    pub fn new(label: &str) -> LooseLabel {
        let chars: Vec<Vec<char>> = label.chars().filter(|c| !is_gap(*c)).map(variants).collect();
        let first_alone = match chars.first().map(Vec::as_slice) {
            Some([only]) => Some(only.encode_utf8(&mut [0; 4]).as_bytes().to_vec()),
            _ => None,
        };
        LooseLabel { chars, first_alone }
    }

    /// The characters a match opens with (empty for an empty label).
    pub fn first(&self) -> &[char] {
        self.chars.first().map_or(&[], Vec::as_slice)
    }

    /// The leftmost match in `hay` starting at or after `at` (a character boundary): the match
    /// `loose_regex(label).find_at(hay, at)` finds. Each character's variants are never gap
    /// characters, so the gaps are read greedily and a match at a place is unique.
    pub fn find_at(&self, hay: &str, at: usize) -> Option<std::ops::Range<usize>> {
        let Some(first) = self.chars.first() else { return Some(at..at) };
        let mut from = at;
        loop {
            let (p, c) = match &self.first_alone {
                Some(bytes) => {
                    let p = from + memchr::memmem::find(&hay.as_bytes()[from..], bytes)?;
                    (p, first[0])
                }
                None => hay[from..].char_indices().find(|(_, c)| first.contains(c)).map(|(i, c)| (from + i, c))?,
            };
            let after = p + c.len_utf8();
            if let Some(end) = self.rest_at(hay, after) {
                return Some(p..end);
            }
            from = after;
        }
    }

    /// Where the label's characters after the first end, read from `at`; `None` if they are not there.
    fn rest_at(&self, hay: &str, at: usize) -> Option<usize> {
        let mut it = hay[at..].char_indices();
        let mut end = at;
        for class in &self.chars[1..] {
            let (i, c) = it.by_ref().find(|(_, c)| !is_gap(*c))?;
            if !class.contains(&c) {
                return None;
            }
            end = at + i + c.len_utf8();
        }
        Some(end)
    }
}

/// [`loose_pattern`] compiled. Fails only if the label is so long that the compiled regex exceeds
/// the crate's size limit.
pub fn loose_regex(label: &str) -> Result<Regex, regex::Error> {
    Regex::new(&loose_pattern(label))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(label: &str, text: &str) -> bool {
        loose_regex(label).expect("label compiles").is_match(text)
    }

    /// Random text over the label's characters, their variants, gaps and others, searched from
    /// random places: the matcher finds what the label's regex finds.
    #[test]
    fn the_matcher_finds_what_the_regex_finds() {
        let mut rng = crate::testing::Rng(0x2545_f491_4f6c_dd1d);
        let mut found = 0;
        for label in ["主动公开", "其中：主动公开规范性文件数", "（一）予以公开", "a+b", "本年增/减", "3.危", "公"] {
            let re = loose_regex(label).unwrap();
            let m = LooseLabel::new(label);
            let alphabet: Vec<char> = label.chars().flat_map(variants).chain(" \u{3000}\n\u{200B}\u{FEFF}x公开".chars()).collect();
            for _ in 0..20_000 {
                let len = rng.below(20) as usize;
                let text: String = (0..len).map(|_| alphabet[rng.below(alphabet.len() as u64) as usize]).collect();
                let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
                let at = starts[rng.below(starts.len() as u64) as usize];
                let want = re.find_at(&text, at).map(|m| m.range());
                found += usize::from(want.as_ref().is_some_and(|w| w.end > w.start));
                assert_eq!(m.find_at(&text, at), want, "{label} in {text:?} from {at}");
            }
        }
        assert!(found > 10_000, "{found} matches");
    }

    #[test]
    fn broken_by_spaces() {
        assert!(matches("社会公益组织", "社会公益 组织"));
        assert!(matches("本年度办理结果", "三、本年度办 理结果"));
        assert!(matches("统计指标", "统 计 指 标 |"));
        assert!(matches("统 计 指 标", "统计指标"));
        assert!(matches("社会公益组织", "社会公益\u{00A0}组织"));
        assert!(matches("社会公益组织", "社会公益\u{3000}组织"));
        assert!(matches("社会公益组织", "社会\u{200B}公益组织"));
        assert!(matches("本年度办理结果", "本年度办\n理结果"));
    }

    #[test]
    fn punctuation_width_is_irrelevant() {
        assert!(matches("（一）予以公开", "(一)予以公开"));
        assert!(matches("(一)予以公开", "（一）予以公开"));
        assert!(matches("(一)予以公开", "（ 一 ） 予以公开"));
        assert!(matches("一、总体情况", "一.总体情况"));
        assert!(matches("本年收费金额（单位：万元）", "本年收费金额(单位:万元)"));
        assert!(matches("3.危及“三安全一稳定”", "3、危及\"三安全一稳定\""));
        assert!(matches("3.危及“三安全一稳定”", "３．危及‘三安全一稳定’"));
        assert!(matches("第二十条第（一）项", "第二十条第(一)项"));
        assert!(matches("国办公开办函〔2019〕60号", "国办公开办函[2019]60号"));
    }

    #[test]
    fn metacharacters_are_literal() {
        assert!(matches("本年增/减", "本年增/减"));
        assert!(matches("本年增/减", "本年增／减"));
        // "." in a label is a dot (or its equivalents), never "any character".
        assert!(!matches("3.危及“三安全一稳定”", "3X危及“三安全一稳定”"));
        assert!(!matches("a+b", "aab"));
        assert!(matches("a+b", "a+b"));
        assert!(matches("(*)?[x]{2}|^$\\", "(*)?[x]{2}|^$\\"));
        assert!(!matches("x|y", "y"));
    }

    #[test]
    fn loose_is_not_fuzzy() {
        assert!(!matches("行政复议", "行政法复议"));
        assert!(!matches("行政法复议", "行政复议"));
        assert!(!matches("三安全一稳定", "三安全—稳定"));
        // A missing character is not spacing: "及" for "危及" does not pass.
        assert!(!matches("3.危及“三安全一稳定”", "3.及“三安全一稳定”"));
        assert!(!matches("本年增/减", "本年增减"));
    }

    #[test]
    fn embeds_in_larger_patterns() {
        let re = Regex::new(&format!(r"{}\s*(\d+)", loose_pattern("（一）予以公开"))).unwrap();
        let caps = re.captures("(一) 予以公开 17").unwrap();
        assert_eq!(&caps[1], "17");
        assert_eq!(loose_pattern(""), "");
        assert_eq!(loose_pattern("  "), "");
    }

    #[test]
    fn pattern_stays_small() {
        let label = "（二）部分公开（区分处理的，只计这一情形，不计其他情形）";
        let p = loose_pattern(label);
        assert!(p.len() < label.chars().count() * 64, "{} bytes", p.len());
        assert!(loose_regex(label).is_ok());
    }
}
