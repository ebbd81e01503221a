//! Byte scans the claims stage runs over a whole report or around every figure, written so they
//! give exactly what the plain `char` loops and `str::find` calls they replace gave: sentence
//! starts, parenthesis depth, and the first of a list of words in a window.
//!
//! Report text is mostly three-byte characters; decoding each one (and asking Unicode whether a
//! CJK character is whitespace) was a sixth of the stage. Every character these scans look for
//! is ASCII or starts with byte 0xE3 or 0xEF, so other bytes are stepped over undecoded.

/// Sentence starts (byte offsets): 0, after 。！？!? and after a line break that follows a line
/// holding only whitespace (a blank line). Sorted, without duplicates.
pub fn sentence_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    // After a line break with nothing but whitespace since.
    let mut prev_nl = false;
    let mut i = 0;
    while i < b.len() {
        let x = b[i];
        if x < 0x80 {
            match x {
                b'!' | b'?' => {
                    starts.push(i + 1);
                    prev_nl = false;
                }
                b'\n' => {
                    if prev_nl {
                        starts.push(i + 1);
                    }
                    prev_nl = true;
                }
                _ => {
                    if prev_nl && !x.is_ascii_whitespace() && x != 0x0b {
                        prev_nl = false;
                    }
                }
            }
            i += 1;
            continue;
        }
        let len = utf8_len(x);
        // 。 E3 80 82, ！ EF BC 81, ？ EF BC 9F
        let end = matches!(b.get(i..i + 3), Some([0xE3, 0x80, 0x82] | [0xEF, 0xBC, 0x81] | [0xEF, 0xBC, 0x9F]));
        if end {
            starts.push(i + 3);
            prev_nl = false;
        } else if prev_nl && !text[i..].chars().next().is_some_and(char::is_whitespace) {
            prev_nl = false;
        }
        i += len;
    }
    starts.dedup();
    starts
}

/// Bytes of the UTF-8 character whose first byte is `lead`.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        _ => 2,
    }
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
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else { continue };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "txt")
                    && let Ok(t) = std::fs::read_to_string(&p)
                {
                    out.push(t);
                }
            }
        }
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

    #[test]
    fn the_first_word_is_that_of_find_and_min() {
        let words = ["其中", "包括", "涉及", "分别为", "分别是", "中，", "中", "（", "("];
        for t in &texts() {
            // The 60 bytes after each sentence start, and each whole sentence, as the claims
            // stage asks.
            let starts = sentence_starts_chars(t);
            for (k, &w) in starts.iter().enumerate() {
                let next = starts.get(k + 1).copied().unwrap_or(t.len());
                for hay in [&t[w..crate::extract::floor_boundary(t, w + 60)], &t[w..next]] {
                    assert_eq!(first_of(hay, &words, |w| w), first_find(hay, &words), "{hay}");
                }
            }
        }
        assert_eq!(first_of("a中，b", &["中", "中，"], |w| w), Some((1, 0)));
        assert_eq!(first_of("a中，b", &["中，", "中"], |w| w), Some((1, 0)));
        assert_eq!(first_of("ab", &["x", ""], |w| w), Some((0, 1)));
        assert_eq!(first_of("ab", &["a", ""], |w| w), Some((0, 0)));
        assert_eq!(first_of("", &["x", ""], |w| w), Some((0, 1)));
        assert_eq!(first_of("ab", &["x"], |w| w), None);
    }
}
