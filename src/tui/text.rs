//! Making untrusted text safe and fitting it into columns measured in display width.
//!
//! Report text comes from scraped web pages and PDFs: it may carry escape sequences, other
//! control characters and bidi overrides that would reprogram or scramble the terminal. Every
//! string drawn by the screens passes through [`sanitize`] (or [`one_line`]) first.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

fn is_bidi_control(c: char) -> bool {
    ('\u{202A}'..='\u{202E}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)
}

fn needs_replacing(c: char) -> bool {
    (c.is_control() && c != '\n') || is_bidi_control(c)
}

fn replacement(c: char) -> char {
    match c {
        '\u{1b}' => '␛',
        // A tab is whitespace in flattened tables; one space keeps columns readable.
        '\t' => ' ',
        _ => '\u{FFFD}',
    }
}

/// [`sanitize`] for one character (the source pane works character by character).
pub fn sanitize_char(c: char) -> char {
    if needs_replacing(c) { replacement(c) } else { c }
}

/// Replaces control characters (except `\n`) and bidi overrides: ESC becomes '␛', a tab a
/// space, anything else U+FFFD. Borrowed when nothing needed replacing.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_replacing) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| if needs_replacing(c) { replacement(c) } else { c }).collect())
}

/// [`sanitize`] for a single-line cell: newlines become spaces too.
pub fn one_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\n' || needs_replacing(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if c == '\n' { ' ' } else if needs_replacing(c) { replacement(c) } else { c })
            .collect(),
    )
}

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

pub fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Cuts `s` to at most `max` display columns, ending in '…' when something was cut. Stops
/// reading as soon as the width is reached, so a megabyte-long string costs nothing.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    let mut w = 0;
    for (i, c) in s.char_indices() {
        let cw = char_width(c);
        if w + cw > max {
            // Something is cut: make room for the ellipsis.
            let mut out = String::new();
            let mut ow = 0;
            for c2 in s[..i].chars() {
                let cw2 = char_width(c2);
                if ow + cw2 + 1 > max {
                    break;
                }
                out.push(c2);
                ow += cw2;
            }
            if max > 0 {
                out.push('…');
            }
            return Cow::Owned(out);
        }
        w += cw;
    }
    Cow::Borrowed(s)
}

/// Exactly `w` display columns: truncated with '…' or padded with spaces on the right.
pub fn fit(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let tw = width(&t);
    let mut out = t.into_owned();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(tw)));
    out
}

/// Exactly `w` display columns, right-aligned (for counts).
pub fn fit_right(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let tw = width(&t);
    let mut out: String = std::iter::repeat_n(' ', w.saturating_sub(tw)).collect();
    out.push_str(&t);
    out
}

/// Splits `s` into pieces of at most `w` display columns (for wrapping short messages).
pub fn wrap(s: &str, w: usize, max_lines: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cw = 0;
    for c in s.chars() {
        let x = char_width(c);
        if cw + x > w.max(1) {
            lines.push(std::mem::take(&mut cur));
            cw = 0;
            if lines.len() == max_lines {
                if let Some(last) = lines.last_mut() {
                    while !last.is_empty() && width(last) + 1 > w {
                        last.pop();
                    }
                    last.push('…');
                }
                return lines;
            }
        }
        cur.push(c);
        cw += x;
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_replaces_escapes_controls_and_bidi() {
        assert_eq!(sanitize("a\u{1b}[31mb"), "a␛[31mb");
        assert_eq!(sanitize("x\u{7}y\r"), "x\u{FFFD}y\u{FFFD}");
        assert_eq!(sanitize("a\u{202E}b\u{2066}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(sanitize("表\t三\n"), "表 三\n");
        assert!(matches!(sanitize("平潭综合实验区"), Cow::Borrowed(_)));
        assert_eq!(one_line("a\nb\u{9b}c"), "a b\u{FFFD}c");
    }

    #[test]
    fn fit_measures_display_width() {
        assert_eq!(fit("平潭县人民政府", 10), "平潭县人… ");
        assert_eq!(width(&fit("平潭县人民政府", 10)), 10);
        // A wide glyph is never split: the ellipsis takes what is left.
        assert_eq!(fit("平潭县", 5), "平潭…");
        assert_eq!(fit("平潭县", 6), "平潭县");
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit_right("12", 3), " 12");
        assert_eq!(fit("abc", 0), "");
    }

    #[test]
    fn truncate_is_lazy_on_huge_strings() {
        let big = "数".repeat(1_000_000);
        let t = truncate(&big, 7);
        assert_eq!(t, "数数数…");
    }

    #[test]
    fn wrap_limits_lines() {
        let w = wrap("表三新收申请数与办理结果不平衡", 10, 2);
        assert_eq!(w, vec!["表三新收申".to_string(), "请数与办…".to_string()]);
        assert_eq!(wrap("", 10, 2), vec![String::new()]);
    }
}
