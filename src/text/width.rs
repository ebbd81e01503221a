//! Terminal layout by display width: a Han character takes two columns, ASCII one, a combining mark
//! none. Text is measured grapheme by grapheme, the way ratatui lays out cells, so a wide glyph or an
//! accented letter is never split. Control characters are not expected here: sanitize first.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

const ELLIPSIS: &str = "…";

fn grapheme_width(g: &str) -> usize {
    UnicodeWidthStr::width(g)
}

/// Columns `s` occupies on a terminal.
pub fn display_width(s: &str) -> usize {
    s.graphemes(true).map(grapheme_width).sum()
}

/// The longest prefix of `s` that fits in `max` columns, and its width.
fn fit(s: &str, max: usize) -> (&str, usize) {
    let mut used = 0;
    for (i, g) in s.grapheme_indices(true) {
        let w = grapheme_width(g);
        if used + w > max {
            return (&s[..i], used);
        }
        used += w;
    }
    (s, used)
}

/// `s` cut to at most `max` columns. When anything is cut, the result ends in "…" (one column); a
/// wide glyph that would straddle the limit is dropped whole, so the result may be one column short.
pub fn truncate_to_width(s: &str, max: usize) -> String {
    let (head, _) = fit(s, max);
    if head.len() == s.len() {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let (head, _) = fit(s, max - 1);
    let mut out = String::with_capacity(head.len() + ELLIPSIS.len());
    out.push_str(head);
    out.push_str(ELLIPSIS);
    out
}

/// `s` truncated (see [`truncate_to_width`]) or padded with spaces to exactly `width` columns.
pub fn pad_to_width(s: &str, width: usize) -> String {
    let mut out = truncate_to_width(s, width);
    let w = display_width(&out);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
}

/// Hard-wraps `s` into lines of at most `width` columns (CJK text has no spaces to break at, so
/// lines break between any two graphemes). Each '\n' starts a new line ("\r\n" too); a final newline
/// does not add an empty line. A glyph wider than `width` itself (a Han character when `width` is 1)
/// cannot be shown and is replaced by "…". Always returns at least one line, except for `width` 0,
/// which returns none.
pub fn wrap_to_width(s: &str, width: usize) -> Vec<String> {
    if width == 0 {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let body = s.strip_suffix('\n').unwrap_or(s);
    for para in body.split('\n') {
        let para = para.strip_suffix('\r').unwrap_or(para);
        let mut line = String::new();
        let mut used = 0;
        for g in para.graphemes(true) {
            let (g, w) = match grapheme_width(g) {
                w if w > width => (ELLIPSIS, 1),
                w => (g, w),
            };
            if used + w > width {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push_str(g);
            used += w;
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_of_mixed_text() {
        assert_eq!(display_width(""), 0);
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("年度报告"), 8);
        assert_eq!(display_width("2019年度报告"), 12);
        assert_eq!(display_width("（一）予以公开"), 14);
        assert_eq!(display_width("ｗ"), 2);
        // Combining accent adds nothing.
        assert_eq!(display_width("e\u{301}"), 1);
    }

    #[test]
    fn truncation_never_exceeds_max() {
        assert_eq!(truncate_to_width("abcdef", 10), "abcdef");
        assert_eq!(truncate_to_width("abcdef", 6), "abcdef");
        assert_eq!(truncate_to_width("abcdef", 4), "abc…");
        assert_eq!(truncate_to_width("年度报告", 8), "年度报告");
        assert_eq!(truncate_to_width("年度报告", 7), "年度报…");
        // Wide glyph at the boundary: "年度" is 4, "报" would end at 6 > 5, so it goes whole.
        assert_eq!(truncate_to_width("年度报告", 6), "年度…");
        assert_eq!(display_width(&truncate_to_width("年度报告", 6)), 5);
        assert_eq!(truncate_to_width("年度报告", 1), "…");
        assert_eq!(truncate_to_width("年度报告", 0), "");
        assert_eq!(truncate_to_width("a年", 2), "a…");
        // Combining marks stay with their letter.
        assert_eq!(truncate_to_width("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        for max in 0..20 {
            let t = truncate_to_width("2019年政府信息公开abc工作年度报告", max);
            assert!(display_width(&t) <= max, "max {max}: {t:?}");
        }
    }

    #[test]
    fn padding_is_exact() {
        assert_eq!(pad_to_width("ab", 4), "ab  ");
        assert_eq!(pad_to_width("年度", 5), "年度 ");
        assert_eq!(pad_to_width("年度报告", 6), "年度… ");
        assert_eq!(pad_to_width("", 3), "   ");
        assert_eq!(pad_to_width("abc", 0), "");
        for w in 0..16 {
            assert_eq!(display_width(&pad_to_width("一、总体情况 overview", w)), w);
        }
    }

    #[test]
    fn wrapping_by_columns() {
        assert_eq!(wrap_to_width("年度报告", 4), vec!["年度", "报告"]);
        assert_eq!(wrap_to_width("年度报告", 5), vec!["年度", "报告"]);
        assert_eq!(wrap_to_width("ab年度", 3), vec!["ab", "年", "度"]);
        assert_eq!(wrap_to_width("abcdef", 4), vec!["abcd", "ef"]);
        assert_eq!(wrap_to_width("一\n\n二\r\n", 10), vec!["一", "", "二"]);
        assert_eq!(wrap_to_width("", 10), vec![""]);
        assert_eq!(wrap_to_width("年度", 1), vec!["…", "…"]);
        assert!(wrap_to_width("年度", 0).is_empty());
        let text = "本报告中所列数据的统计期限自2011年1月1日起至2011年12月31日止。";
        for w in 1..30 {
            let lines = wrap_to_width(text, w);
            assert!(lines.iter().all(|l| display_width(l) <= w), "width {w}: {lines:?}");
            if w >= 2 {
                assert_eq!(lines.concat(), text, "nothing lost at width {w}");
            }
        }
    }
}
