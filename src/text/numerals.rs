//! Numbers as reports write them: Chinese numerals in dates and headings, and narrative counts with
//! qualifiers ("300余条", "近1193篇", "18万余人次", "98%").

/// The value of one Chinese digit, including the zero forms seen in years ("二○一二", "二〇二一",
/// "二零一二") and the financial (大写) forms.
fn digit_value(c: char) -> Option<i64> {
    Some(match c {
        '〇' | '○' | '零' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' | '貳' => 2,
        '三' | '叁' | '參' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' | '陸' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

/// Units below 万 that multiply the digit before them.
fn small_unit(c: char) -> Option<i64> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1000,
        _ => return None,
    })
}

/// Units that close a whole section ("三千五百万": 3500 × 万).
fn big_unit(c: char) -> Option<i64> {
    Some(match c {
        '万' | '萬' => 10_000,
        '亿' | '億' => 100_000_000,
        _ => return None,
    })
}

/// Reads a Chinese numeral: 一…九, 十, 二十一, 一百零五, 一千零五, 三万五千, 廿/卅 (20/30, as in old
/// date styles), and digit-by-digit years where 〇/○/零 is the digit zero ("二○一二" = 2012).
///
/// Returns `None` for anything that is not a well-formed numeral (empty, foreign characters, units out
/// of order such as "十百", digits run together with units such as "一二十") or that overflows `i64`.
/// Arabic digits are not Chinese numerals and give `None`; [`parse_narrative_number`] reads those.
pub fn chinese_number(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let has_unit =
        s.chars().any(|c| small_unit(c).is_some() || big_unit(c).is_some() || c == '廿' || c == '卅');
    if has_unit { with_units(s) } else { digit_by_digit(s) }
}

/// "二○一二" → 2012; a single digit is just that digit. "两" only counts before a unit ("两千"), so
/// it is rejected here.
fn digit_by_digit(s: &str) -> Option<i64> {
    let mut n: i64 = 0;
    for c in s.chars() {
        if c == '两' {
            return None;
        }
        let d = digit_value(c)?;
        n = n.checked_mul(10)?.checked_add(d)?;
    }
    Some(n)
}

fn with_units(s: &str) -> Option<i64> {
    let mut total: i64 = 0; // everything up to and including a 亿
    let mut section: i64 = 0; // the 万 part since the last 亿
    let mut group: i64 = 0; // below 万
    let mut digit: Option<i64> = None;
    // Units inside a group must descend (千 > 百 > 十).
    let mut last_small = i64::MAX;
    let mut wan_seen = false;
    let mut yi_seen = false;
    // The most recent unit, for the abbreviated tail: "一百五" = 150, "三万五" = 35000.
    let mut last_unit: i64 = 1;
    let mut zero_pending = false;

    for c in s.chars() {
        if let Some(d) = digit_value(c) {
            if d == 0 {
                // 零 marks a skipped place ("一百零五"); it may not follow a bare digit.
                if digit.is_some() {
                    return None;
                }
                zero_pending = true;
                continue;
            }
            if digit.is_some() {
                return None; // "一二十": two digits with no unit between them
            }
            digit = Some(d);
        } else if c == '廿' || c == '卅' {
            if digit.is_some() || last_small <= 10 {
                return None;
            }
            group = group.checked_add(if c == '廿' { 20 } else { 30 })?;
            last_small = 10;
            last_unit = 10;
            zero_pending = false;
        } else if let Some(u) = small_unit(c) {
            if u >= last_small {
                return None;
            }
            // A bare 十 means 一十 ("十五", "二百十"); a bare 百/千 is not a numeral.
            let d = match digit.take() {
                Some(d) => d,
                None if u == 10 => 1,
                None => return None,
            };
            group = group.checked_add(d.checked_mul(u)?)?;
            last_small = u;
            last_unit = u;
            zero_pending = false;
        } else if let Some(u) = big_unit(c) {
            let part = group.checked_add(digit.take().unwrap_or(0))?;
            if u == 10_000 {
                if wan_seen || part == 0 {
                    return None; // "万万", "万" alone, "亿万"
                }
                section = part.checked_mul(u)?;
                wan_seen = true;
            } else {
                let whole = section.checked_add(part)?;
                if yi_seen || whole == 0 {
                    return None; // "亿亿", "亿" alone
                }
                total = whole.checked_mul(u)?;
                section = 0;
                yi_seen = true;
                wan_seen = false;
            }
            group = 0;
            last_small = i64::MAX;
            last_unit = u;
            zero_pending = false;
        } else {
            return None;
        }
    }
    let tail = match digit {
        // After 零, or straight after 十, a trailing digit is the ones place ("一百零五", "二十一");
        // straight after a larger unit it is the next place down ("一百五" = 150).
        Some(d) if !zero_pending && last_unit >= 100 => d.checked_mul(last_unit / 10)?,
        Some(d) => d,
        None => 0,
    };
    total.checked_add(section)?.checked_add(group)?.checked_add(tail)
}

/// How a narrative number is qualified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// Written as an exact count.
    Exact,
    /// "300余条", "300多条", "超过300", "逾300", "300以上": at least the number, probably more.
    More,
    /// "近1193篇", "将近", "接近": a little under the number.
    Nearly,
    /// "约300", "大约300", "300左右": around the number.
    About,
}

/// A number from running text with what the writer said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct NarrativeNumber {
    /// The value with 万/亿/千/百 applied ("18万余" → 180000.0). For a percentage, the percent figure
    /// ("98%" → 98.0).
    pub value: f64,
    pub qualifier: Qualifier,
    pub percent: bool,
    /// The measure word after the number as written ("条", "人次", "篇(条)"); empty when none.
    pub unit: String,
}

impl NarrativeNumber {
    /// True unless the number was written as an exact count: an approximate figure may not be
    /// compared for equality with a table cell.
    pub fn is_approx(&self) -> bool {
        self.qualifier != Qualifier::Exact
    }

    /// The value as an integer when it is one ("1.5万" → 15000); `None` for fractions.
    pub fn as_int(&self) -> Option<i64> {
        let v = self.value;
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 { Some(v as i64) } else { None }
    }
}

const PREFIXES: &[(&str, Qualifier)] = &[
    ("将近", Qualifier::Nearly),
    ("接近", Qualifier::Nearly),
    ("近", Qualifier::Nearly),
    ("大约", Qualifier::About),
    ("约", Qualifier::About),
    ("超过", Qualifier::More),
    ("逾", Qualifier::More),
];

const SUFFIXES: &[(&str, Qualifier)] = &[
    ("左右", Qualifier::About),
    ("以上", Qualifier::More),
    ("多", Qualifier::More),
    ("余", Qualifier::More),
];

/// Maps a full-width digit or decimal point to its ASCII form.
pub(crate) fn ascii_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' | '.' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        '．' => Some('.'),
        _ => None,
    }
}

/// Reads a narrative number: an optional qualifier before (近, 约, 超过, 逾…), the figure in Arabic
/// (half or full width, "1,234" separators, decimals) or Chinese numerals, an optional 万/亿/千/百,
/// 余/多 before or after that multiplier, then either % (a percentage) or a measure word, optionally
/// followed by 左右/以上.
///
/// The whole string must be one number expression: "300余条" reads, "300余条，在昆明" does not (cut the
/// match out of the running text first). A measure word that contains a digit is rejected, since it
/// means two numbers were passed.
pub fn parse_narrative_number(s: &str) -> Option<NarrativeNumber> {
    let mut rest = s.trim();
    let mut qualifier = Qualifier::Exact;

    for (p, q) in PREFIXES {
        if let Some(r) = rest.strip_prefix(p) {
            rest = r.trim_start();
            qualifier = *q;
            break;
        }
    }

    let (mut value, after) = leading_figure(rest)?;
    rest = after;

    // 余/多 may stand on either side of the multiplier: "300余万元", "18万余人次".
    let mut more = false;
    let take_more = |r: &mut &str, more: &mut bool| {
        for m in ["余", "多"] {
            if let Some(x) = r.strip_prefix(m) {
                *r = x;
                *more = true;
                return;
            }
        }
    };
    take_more(&mut rest, &mut more);
    // Multipliers may stack: "3千万" = 3 × 千 × 万.
    while let Some(c) = rest.chars().next() {
        let m = match c {
            '万' | '萬' => 1.0e4,
            '亿' | '億' => 1.0e8,
            '千' | '仟' => 1.0e3,
            '百' | '佰' => 1.0e2,
            _ => break,
        };
        value *= m;
        rest = &rest[c.len_utf8()..];
        if !more {
            take_more(&mut rest, &mut more);
        }
    }
    if more && qualifier == Qualifier::Exact {
        qualifier = Qualifier::More;
    }

    let mut rest = rest.trim();
    let mut percent = false;
    if let Some(r) = rest.strip_prefix('%').or_else(|| rest.strip_prefix('％')) {
        percent = true;
        rest = r.trim();
    }

    for (sfx, q) in SUFFIXES {
        if let Some(r) = rest.strip_suffix(sfx) {
            rest = r.trim_end();
            if qualifier == Qualifier::Exact {
                qualifier = *q;
            }
            break;
        }
    }

    if percent && !rest.is_empty() {
        return None;
    }
    if rest.chars().any(|c| ascii_digit(c).is_some_and(|d| d != '.')) {
        return None;
    }
    Some(NarrativeNumber { value, qualifier, percent, unit: rest.to_string() })
}

/// The figure at the start of `s` and what follows it.
fn leading_figure(s: &str) -> Option<(f64, &str)> {
    let first = s.chars().next()?;
    if ascii_digit(first).is_some_and(|c| c != '.') {
        return arabic_figure(s);
    }
    // Chinese numeral: the run of numeral characters ("三万五千", "十万" before "余"). A 余/多 ends the
    // run, and a 万 after it is applied by the caller: "三十余万" = 30 余 × 万.
    let end = s
        .char_indices()
        .find(|&(_, c)| {
            !(digit_value(c).is_some()
                || small_unit(c).is_some()
                || big_unit(c).is_some()
                || c == '廿'
                || c == '卅')
        })
        .map_or(s.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let n = chinese_number(&s[..end])?;
    Some((n as f64, &s[end..]))
}

/// "1,193", "22979.87", "１１９３".
fn arabic_figure(s: &str) -> Option<(f64, &str)> {
    let mut digits = String::new();
    let mut end = s.len();
    let mut seen_point = false;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if let Some(d) = ascii_digit(c) {
            if d == '.' {
                // A point must be followed by a digit, else it is punctuation ("98.").
                let next_is_digit =
                    iter.peek().is_some_and(|&(_, n)| ascii_digit(n).is_some_and(|x| x != '.'));
                if seen_point || !next_is_digit {
                    end = i;
                    break;
                }
                seen_point = true;
            }
            digits.push(d);
        } else if c == ',' && !seen_point && thousands_group_follows(&s[i + 1..]) {
            continue;
        } else {
            end = i;
            break;
        }
    }
    let v: f64 = digits.parse().ok()?;
    v.is_finite().then_some((v, &s[end..]))
}

/// A thousands separator is only a separator when exactly three digits follow it.
fn thousands_group_follows(s: &str) -> bool {
    let mut n = 0;
    for c in s.chars() {
        match ascii_digit(c) {
            Some('.') | None => break,
            Some(_) => n += 1,
        }
    }
    n == 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numerals_in_dates_and_headings() {
        assert_eq!(chinese_number("一"), Some(1));
        assert_eq!(chinese_number("九"), Some(9));
        assert_eq!(chinese_number("十"), Some(10));
        assert_eq!(chinese_number("十二"), Some(12));
        assert_eq!(chinese_number("二十"), Some(20));
        assert_eq!(chinese_number("二十一"), Some(21));
        assert_eq!(chinese_number("三十一"), Some(31));
        assert_eq!(chinese_number("廿一"), Some(21));
        assert_eq!(chinese_number("一百零五"), Some(105));
        assert_eq!(chinese_number("一千零五"), Some(1005));
        assert_eq!(chinese_number("两千"), Some(2000));
        assert_eq!(chinese_number("三万五千"), Some(35_000));
        assert_eq!(chinese_number("一亿二千万"), Some(120_000_000));
        assert_eq!(chinese_number("贰拾"), Some(20));
        assert_eq!(chinese_number("一万亿"), Some(1_000_000_000_000));
        assert_eq!(chinese_number("三亿零五万"), Some(300_050_000));
        // Abbreviated tails name the next place down.
        assert_eq!(chinese_number("一百五"), Some(150));
        assert_eq!(chinese_number("三万五"), Some(35_000));
    }

    #[test]
    fn zero_as_a_digit_in_years() {
        assert_eq!(chinese_number("二○一二"), Some(2012)); // U+25CB white circle
        assert_eq!(chinese_number("二〇二一"), Some(2021)); // U+3007 ideographic zero
        assert_eq!(chinese_number("二零一二"), Some(2012));
        assert_eq!(chinese_number("零"), Some(0));
    }

    #[test]
    fn not_numerals() {
        for s in [
            "",
            "  ",
            "abc",
            "12",
            "十百",
            "一二十",
            "百",
            "万",
            "二十x",
            "两",
            "一十十",
            "亿万",
            "万万",
            "亿亿",
        ] {
            assert_eq!(chinese_number(s), None, "{s:?}");
        }
        // Overflow is refused, not wrapped.
        assert_eq!(chinese_number(&"九".repeat(30)), None);
        assert_eq!(chinese_number("九千亿亿"), None);
    }

    fn nn(s: &str) -> NarrativeNumber {
        parse_narrative_number(s).unwrap_or_else(|| panic!("{s:?} should read"))
    }

    #[test]
    fn narrative_numbers_from_seeds() {
        let n = nn("300余条");
        assert_eq!(
            (n.as_int(), n.qualifier, n.percent, n.unit.as_str()),
            (Some(300), Qualifier::More, false, "条")
        );
        assert!(n.is_approx());

        let n = nn("近1193篇");
        assert_eq!((n.as_int(), n.qualifier, n.unit.as_str()), (Some(1193), Qualifier::Nearly, "篇"));

        let n = nn("18万余人次");
        assert_eq!((n.as_int(), n.qualifier, n.unit.as_str()), (Some(180_000), Qualifier::More, "人次"));

        let n = nn("98%");
        assert!(n.percent && !n.is_approx());
        assert_eq!(n.value, 98.0);

        let n = nn("2248条");
        assert_eq!((n.as_int(), n.qualifier), (Some(2248), Qualifier::Exact));
        assert!(!n.is_approx());

        let n = nn("34篇(条)");
        assert_eq!((n.as_int(), n.unit.as_str()), (Some(34), "篇(条)"));
    }

    #[test]
    fn narrative_number_variants() {
        assert_eq!(nn("约20次").qualifier, Qualifier::About);
        assert_eq!(nn("20次左右").qualifier, Qualifier::About);
        assert_eq!(nn("20次左右").unit, "次");
        assert_eq!(nn("300多条").qualifier, Qualifier::More);
        assert_eq!(nn("300余万元").as_int(), Some(3_000_000));
        assert_eq!(nn("300余万元").unit, "元");
        assert_eq!(nn("1.5万").as_int(), Some(15_000));
        assert_eq!(nn("22979.87万元").value, 22979.87 * 1.0e4);
        assert_eq!(nn("95.5％").value, 95.5);
        assert_eq!(nn("１１９３篇").as_int(), Some(1193));
        assert_eq!(nn("1,234件").as_int(), Some(1234));
        assert_eq!(nn("三十余次").as_int(), Some(30));
        assert_eq!(nn("三十余次").qualifier, Qualifier::More);
        assert_eq!(nn("十万余").as_int(), Some(100_000));
        assert_eq!(nn("0.5").as_int(), None);
        assert_eq!(nn("三万五千人").as_int(), Some(35_000));
        assert_eq!(nn("三十余万元").as_int(), Some(300_000));
        assert_eq!(nn("三十余万元").qualifier, Qualifier::More);
        assert_eq!(nn("3千万").as_int(), Some(30_000_000));
    }

    #[test]
    fn narrative_number_rejects() {
        for s in ["", "条", "余条", "98%条", "300条400件", "近", ".5", "1,23件x"] {
            assert_eq!(parse_narrative_number(s), None, "{s:?}");
        }
        // A comma not followed by a thousands group ends the figure: the rest is not a unit.
        assert_eq!(parse_narrative_number("8个,规范性文件3"), None);
    }
}
