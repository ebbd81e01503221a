//! Report text is hostile: a scraped page can carry escape sequences that recolour the terminal,
//! retitle the window or move the cursor, and bidi overrides that make text read differently from
//! what it is. Everything is neutralised into visible placeholders before it is drawn or printed.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// Shown in place of ESC and of a whole escape sequence.
const ESC_PICTURE: char = '␛';
/// Shown for a line break inside a single display line.
const NEWLINE_PICTURE: char = '⏎';
/// Tab stops every this many columns.
const TAB: usize = 4;

fn needs_work(c: char, one_line: bool) -> bool {
    match c {
        '\n' => one_line,
        '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}' => true,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => true,
        '\u{2028}' | '\u{2029}' => true,
        _ => false,
    }
}

/// Makes text safe to draw:
/// - ESC and every escape sequence it starts — CSI (`ESC [ … final`), OSC (`ESC ] … BEL` or
///   `… ESC \`), DCS/SOS/PM/APC strings, and two- or three-byte escapes such as `ESC c` or
///   `ESC ( B` — become one "␛". The 8-bit forms (U+009B CSI, U+009D OSC, …) are treated the same.
///   A string sequence with no terminator on its line loses only its introducer; its text stays
///   visible.
/// - other C0 controls become their control pictures ("\u{7}" → "␇", DEL → "␡"), C1 controls become
///   U+FFFD; "\r\n" becomes "\n" and a lone "\r" becomes "␍";
/// - bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069) are removed;
/// - "\t" becomes spaces up to the next multiple of 4 columns within the line;
/// - U+2028/U+2029 (line and paragraph separators) become "\n".
///
/// Returns `Cow::Borrowed` when the text needs none of this, which is the usual case.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    run(s, false)
}

/// [`sanitize`] for one display line: additionally every line break ("\n", "\r\n", U+2028, U+2029)
/// becomes "⏎" (U+23CE), so the reader still sees where the source broke the line.
pub fn sanitize_line(s: &str) -> Cow<'_, str> {
    run(s, true)
}

fn run(s: &str, one_line: bool) -> Cow<'_, str> {
    let Some(first) = s.char_indices().find(|&(_, c)| needs_work(c, one_line)).map(|(i, _)| i) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    let line_start = if one_line { 0 } else { s[..first].rfind('\n').map_or(0, |i| i + 1) };
    let mut col: usize = s[line_start..first].chars().map(|c| c.width().unwrap_or(0)).sum();

    let mut i = first;
    while let Some(c) = s[i..].chars().next() {
        let next = i + c.len_utf8();
        i = match c {
            '\u{1B}' => {
                out.push(ESC_PICTURE);
                col += 1;
                skip_escape(s, next)
            }
            '\u{9B}' => {
                out.push(ESC_PICTURE);
                col += 1;
                skip_csi(s, next)
            }
            '\u{90}' | '\u{98}' | '\u{9D}' | '\u{9E}' | '\u{9F}' => {
                out.push(ESC_PICTURE);
                col += 1;
                skip_string(s, next).unwrap_or(next)
            }
            '\t' => {
                let n = TAB - col % TAB;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
                next
            }
            '\r' if s[next..].starts_with('\n') => next, // the '\n' is handled on its own
            '\n' | '\u{2028}' | '\u{2029}' => {
                if one_line {
                    out.push(NEWLINE_PICTURE);
                    col += 1;
                } else {
                    out.push('\n');
                    col = 0;
                }
                next
            }
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => next,
            '\u{0}'..='\u{1F}' => {
                out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{FFFD}'));
                col += 1;
                next
            }
            '\u{7F}' => {
                out.push('␡');
                col += 1;
                next
            }
            '\u{80}'..='\u{9F}' => {
                out.push('\u{FFFD}');
                col += 1;
                next
            }
            _ => {
                out.push(c);
                col += c.width().unwrap_or(0);
                next
            }
        };
    }
    Cow::Owned(out)
}

/// `at` is just past an ESC; returns where the sequence it starts ends.
fn skip_escape(s: &str, at: usize) -> usize {
    let b = s.as_bytes();
    match b.get(at) {
        Some(b'[') => skip_csi(s, at + 1),
        Some(b']' | b'P' | b'X' | b'^' | b'_') => skip_string(s, at + 1).unwrap_or(at + 1),
        // nF: intermediates then a final byte ("ESC ( B" selects a character set).
        Some(0x20..=0x2F) => {
            let mut j = at;
            while matches!(b.get(j), Some(0x20..=0x2F)) {
                j += 1;
            }
            if matches!(b.get(j), Some(0x30..=0x7E)) { j + 1 } else { j }
        }
        // Fp / Fe / Fs: one final byte ("ESC c" resets the terminal, "ESC 7" saves the cursor).
        Some(0x30..=0x7E) => at + 1,
        _ => at,
    }
}

/// `at` is just past "ESC [" (or U+009B): parameter bytes, intermediate bytes, one final byte.
/// An unfinished sequence ends where its bytes stop fitting the grammar.
fn skip_csi(s: &str, at: usize) -> usize {
    let b = s.as_bytes();
    let mut j = at;
    while matches!(b.get(j), Some(0x30..=0x3F)) {
        j += 1;
    }
    while matches!(b.get(j), Some(0x20..=0x2F)) {
        j += 1;
    }
    if matches!(b.get(j), Some(0x40..=0x7E)) { j + 1 } else { j }
}

/// `at` is just past a string introducer (OSC, DCS, SOS, PM, APC). Returns the end of the terminator
/// (BEL, "ESC \" or U+009C) if one comes before the end of the line, another escape or another C1
/// control. Stopping at those keeps the total scanning linear: no two searches cover the same bytes.
fn skip_string(s: &str, at: usize) -> Option<usize> {
    for (k, c) in s[at..].char_indices() {
        let pos = at + k;
        match c {
            '\u{7}' => return Some(pos + 1),
            '\u{9C}' => return Some(pos + c.len_utf8()),
            '\u{1B}' => return s[pos + 1..].starts_with('\\').then_some(pos + 2),
            '\n' | '\u{80}'..='\u{9F}' => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed() {
        for s in ["", "2019年政府信息公开工作年度报告", "一、总体情况\n二、主动公开", "（一）予以公开 17"]
        {
            assert!(matches!(sanitize(s), Cow::Borrowed(_)), "{s:?}");
        }
        assert!(matches!(sanitize_line("单行文字"), Cow::Borrowed(_)));
        // A newline is fine in multi-line text but not in one display line.
        assert!(matches!(sanitize_line("a\nb"), Cow::Owned(_)));
    }

    #[test]
    fn ansi_colours_become_one_picture() {
        assert_eq!(sanitize("\x1b[31mred\x1b[0m"), "␛red␛");
        assert_eq!(sanitize("\x1b[1;38;5;196mx"), "␛x");
        assert_eq!(sanitize("a\x1b[2Jb"), "a␛b");
        assert_eq!(sanitize("\x1b[?25l隐藏光标"), "␛隐藏光标");
    }

    #[test]
    fn osc_and_other_escapes() {
        assert_eq!(sanitize("\x1b]0;pwned\x07标题"), "␛标题");
        assert_eq!(sanitize("\x1b]0;pwned\x1b\\标题"), "␛标题");
        assert_eq!(sanitize("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"), "␛link␛");
        assert_eq!(sanitize("\x1bPq#0\x1b\\x"), "␛x"); // DCS (sixel)
        assert_eq!(sanitize("\x1bcreset"), "␛reset"); // ESC c consumes the 'c'
        assert_eq!(sanitize("\x1b(Babc"), "␛abc");
        assert_eq!(sanitize("end\x1b"), "end␛");
        assert_eq!(sanitize("\x1b年"), "␛年");
        // No terminator on the line: only the introducer goes, the text stays visible.
        assert_eq!(sanitize("\x1b]0;title\nnext"), "␛0;title\nnext");
        // 8-bit CSI and OSC.
        assert_eq!(sanitize("\u{9b}31mred"), "␛red");
        assert_eq!(sanitize("\u{9d}0;t\u{9c}ok"), "␛ok");
    }

    #[test]
    fn controls_become_pictures() {
        assert_eq!(sanitize("a\x07b"), "a␇b");
        assert_eq!(sanitize("a\x00b"), "a␀b");
        assert_eq!(sanitize("a\x08b"), "a␈b");
        assert_eq!(sanitize("a\x7fb"), "a␡b");
        assert_eq!(sanitize("a\u{85}b\u{9c}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(sanitize("a\rb"), "a␍b");
        assert_eq!(sanitize("a\r\nb"), "a\nb");
    }

    #[test]
    fn bidi_overrides_are_removed() {
        assert_eq!(sanitize("abc\u{202E}fed\u{202C}"), "abcfed");
        assert_eq!(sanitize("\u{2066}x\u{2069}"), "x");
        assert_eq!(sanitize("\u{202A}\u{202B}\u{202D}\u{2067}\u{2068}y"), "y");
    }

    #[test]
    fn tabs_and_line_breaks() {
        assert_eq!(sanitize("a\tb"), "a   b");
        assert_eq!(sanitize("abcd\tb"), "abcd    b");
        assert_eq!(sanitize("年\tb"), "年  b");
        assert_eq!(sanitize("xy\nz\tq"), "xy\nz   q");
        assert_eq!(sanitize("a\u{2028}b"), "a\nb");
        assert_eq!(sanitize_line("一\n二\r\n三"), "一⏎二⏎三");
        assert_eq!(sanitize_line("a\u{2029}b"), "a⏎b");
        assert_eq!(sanitize_line("\x1b[31m红\x1b[0m\n"), "␛红␛⏎");
    }

    #[test]
    fn output_never_contains_controls() {
        let nasty = "\x1b]0;t\x07\x1b[31m\u{9b}1m\u{9d}x\x1b\\\x01\x7f\u{202e}\t\r\n\x1b";
        for out in [sanitize(nasty), sanitize_line(nasty)] {
            assert!(
                !out.chars().any(|c| (c.is_control() && c != '\n')
                    || ('\u{202A}'..='\u{202E}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)),
                "{out:?}"
            );
        }
        assert!(!sanitize_line(nasty).contains('\n'));
    }
}
