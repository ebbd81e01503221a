//! Text utilities every stage leans on: dates and numbers as reports write them, loose label
//! patterns for mangled dumps, display-width layout for the terminal, and sanitising hostile text
//! before it is drawn.

pub mod dates;
pub mod loose;
pub mod numerals;
pub mod sanitize;
pub mod width;

pub use dates::{find_dates, parse_date};
pub use loose::{loose_pattern, loose_regex};
pub use numerals::{NarrativeNumber, Qualifier, chinese_number, parse_narrative_number};
pub use sanitize::{sanitize, sanitize_line};
pub use width::{display_width, pad_to_width, truncate_to_width, wrap_to_width};

#[cfg(test)]
mod fuzz {
    //! Arbitrary input must never panic: report text is whatever a scraper produced.

    use super::*;

    /// Deterministic pseudo-random numbers (Knuth's MMIX LCG), so a failure reproduces.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 33
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Characters that exercise every branch: date and numeral pieces, punctuation pairs, wide glyphs,
    /// combining marks, controls, escape bytes, bidi overrides.
    const ALPHABET: &[char] = &[
        '0', '1', '2', '9', '０', '２', '-', '/', '.', '．', ':', '：', ' ', '\u{3000}', '\u{a0}', '年',
        '月', '日', '号', '〇', '○', '零', '一', '二', '十', '百', '千', '万', '亿', '廿', '两', '余', '多',
        '近', '约', '%', '％', ',', '，', '(', '（', ')', '）', '、', '“', '"', '[', ']', '\\', '|', '*',
        '+', '?', '^', '$', '{', '}', 'O', 'e', '\u{301}', '\u{200d}', '\u{fe0f}', '😀', '\n', '\r', '\t',
        '\x1b', '\x07', '\x00', '\x7f', '\u{9b}', '\u{9c}', '\u{9d}', '\u{85}', '\u{202e}', '\u{2066}',
        '\u{2028}', '条', '人', '次', '社', '会',
    ];

    fn random_string(rng: &mut Lcg) -> String {
        let len = rng.below(40);
        (0..len)
            .map(|_| {
                if rng.below(8) == 0 {
                    // Any scalar value, surrogates skipped by from_u32.
                    char::from_u32(rng.next() as u32 % 0x11_0000).unwrap_or('\u{FFFD}')
                } else {
                    ALPHABET[rng.below(ALPHABET.len())]
                }
            })
            .collect()
    }

    #[test]
    fn random_input_never_panics_and_keeps_invariants() {
        let mut rng = Lcg(0x6e69_616e_6261_6f00);
        for _ in 0..4000 {
            let s = random_string(&mut rng);

            let _ = parse_date(&s);
            for (r, d) in find_dates(&s) {
                assert!(s.get(r.clone()).is_some(), "range {r:?} on char boundaries in {s:?}");
                assert!(model_date_is_real(d));
            }
            let _ = chinese_number(&s);
            let _ = parse_narrative_number(&s);

            // Compiling a regex is the slow part of this loop; a quarter of the inputs is plenty.
            if rng.below(4) == 0 {
                let re = loose_regex(&s).expect("loose pattern of any label compiles");
                let label: String = s.chars().filter(|c| !c.is_whitespace()).collect();
                assert!(re.is_match(&label), "label {s:?} matches itself");
            }

            let clean = sanitize(&s);
            let line = sanitize_line(&s);
            assert!(!line.contains('\n'));
            assert!(!clean.chars().any(|c| c.is_control() && c != '\n'), "{clean:?}");
            assert_eq!(sanitize(&clean), clean, "sanitize is idempotent");

            let max = rng.below(12);
            assert!(display_width(&truncate_to_width(&line, max)) <= max);
            assert_eq!(display_width(&pad_to_width(&line, max)), max);
            for l in wrap_to_width(&clean, max) {
                assert!(display_width(&l) <= max, "{l:?} wider than {max}");
            }
        }
    }

    fn model_date_is_real(d: crate::model::Date) -> bool {
        crate::model::Date::new(d.year, d.month, d.day) == Some(d)
    }
}
