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
    for c in label.chars().filter(|c| !c.is_whitespace() && *c != '\u{200B}' && *c != '\u{FEFF}') {
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
