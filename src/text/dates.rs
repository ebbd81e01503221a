//! Dates as reports write them: "2019年3月6日", "2021-02-22 08:58", "2021/2/22", "2021.02.22",
//! "二○一二年二月二十日", full-width digits. Only complete, real dates are read; a damaged or partial
//! date ("925日", "2021210", "2012年1月") is not guessed at.

use std::ops::Range;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::numerals::{ascii_digit, chinese_number};
use crate::model::Date;

/// Years outside this window are not report dates (a four-digit count followed by 年 is more likely).
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

static DATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    // Spaces are allowed around 年/月/日 ("2019 年 3 月 6 日") but only a few, so a date is not
    // assembled across paragraphs. The year alternative with Chinese digits also takes O/Ｏ/0/０,
    // which dumps use for 〇.
    let sp = r"\s{0,3}";
    let cjk = format!(
        r"(?P<cy>[0-9０-９]{{4}}|[〇○零OＯ0０一二三四五六七八九]{{4}}){sp}年{sp}(?P<cm>[0-9０-９]{{1,2}}|[一二三四五六七八九十]{{1,3}}){sp}月{sp}(?P<cd>[0-9０-９]{{1,2}}|[一二三四五六七八九十廿卅]{{1,4}}){sp}[日号]"
    );
    let num = r"(?P<iy>[0-9０-９]{4})(?P<s1>[-/.－／．])(?P<im>[0-9０-９]{1,2})(?P<s2>[-/.－／．])(?P<id>[0-9０-９]{1,2})(?P<time>[ \t\u{a0}\u{3000}]{1,3}(?P<hh>[0-9０-９]{1,2})[:：](?P<mm>[0-9０-９]{2})(?:[:：](?P<ss>[0-9０-９]{2}))?)?";
    Regex::new(&format!("{cjk}|{num}")).expect("date pattern is valid")
});

/// Parses one date written any of the ways reports write them: "2019年3月6日", "2019 年 3 月 6 日",
/// "2021-02-22", "2021-02-22 08:58", "2021/2/22", "2021.02.22", "二○一二年二月二十日",
/// "二〇二一年一月二十日", "二零一二年…", "２０２１年２月８日". Surrounding whitespace and brackets
/// ("(2019年3月6日)") are allowed; any other text is not (use [`find_dates`] on running text).
///
/// Returns `None` for anything that is not a real date (2021-02-30, month 13), incomplete
/// ("2012年1月"), damaged ("2021210"), or outside the years 1900–2100.
pub fn parse_date(s: &str) -> Option<Date> {
    let inner = s
        .trim()
        .trim_start_matches(['(', '（', '[', '【', '〔'])
        .trim_end_matches([')', '）', ']', '】', '〕'])
        .trim();
    match find_dates(inner).as_slice() {
        [(r, d)] if r.start == 0 && r.end == inner.len() => Some(*d),
        _ => None,
    }
}

/// Finds every date in running text, with its byte range (a trailing time "08:58" is included in the
/// range). Dates glued to other digits ("12019年3月6日", "2021-02-223") are skipped rather than
/// cut apart, and so are dates that do not exist. A date missing its year ("至12月31日") is not
/// completed from context.
pub fn find_dates(text: &str) -> Vec<(Range<usize>, Date)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos <= text.len() {
        let Some(caps) = DATE_RE.captures_at(text, pos) else { break };
        let Some(whole) = caps.get(0) else { break };
        if let Some(found) = accept(text, &caps) {
            pos = found.0.end.max(whole.start() + 1);
            out.push(found);
        } else {
            // Retry one character further on: a real date may start inside a rejected match.
            let step = text[whole.start()..].chars().next().map_or(1, char::len_utf8);
            pos = whole.start() + step;
        }
        while pos < text.len() && !text.is_char_boundary(pos) {
            pos += 1;
        }
    }
    out
}

fn accept(text: &str, caps: &Captures<'_>) -> Option<(Range<usize>, Date)> {
    let whole = caps.get(0)?;
    let before = text[..whole.start()].chars().next_back();

    if let Some(y) = caps.name("cy") {
        let chinese_year = !is_digit(y.as_str().chars().next()?);
        let glued = before.is_some_and(|c| if chinese_year { is_chinese_year_char(c) } else { is_digit(c) });
        if glued {
            return None;
        }
        let date = Date::new(
            year(y.as_str())?,
            small(caps.name("cm")?.as_str())?,
            small(caps.name("cd")?.as_str())?,
        )?;
        return Some((whole.range(), date));
    }

    let (s1, s2) = (caps.name("s1")?.as_str(), caps.name("s2")?.as_str());
    if before.is_some_and(is_digit) || separator(s1) != separator(s2) {
        return None;
    }
    let date = Date::new(
        year(caps.name("iy")?.as_str())?,
        small(caps.name("im")?.as_str())?,
        small(caps.name("id")?.as_str())?,
    )?;
    let date_end = caps.name("id")?.end();
    let time_ok = caps.name("time").is_some_and(|_| {
        let h = caps.name("hh").and_then(|m| small(m.as_str()));
        let m = caps.name("mm").and_then(|m| small(m.as_str()));
        let s = caps.name("ss").map_or(Some(0), |m| small(m.as_str()));
        matches!((h, m, s), (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s < 60)
            && !text[whole.end()..].chars().next().is_some_and(is_digit)
    });
    let end = if time_ok { whole.end() } else { date_end };
    if text[date_end..].chars().next().is_some_and(is_digit) {
        return None; // "2021-02-223": not a date but a longer number
    }
    Some((whole.start()..end, date))
}

fn is_digit(c: char) -> bool {
    ascii_digit(c).is_some_and(|d| d != '.')
}

fn is_chinese_year_char(c: char) -> bool {
    matches!(c, '〇' | '○' | '零' | 'O' | 'Ｏ' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九')
        || is_digit(c)
}

/// Normalises full-width separators so "2021－02-22" counts as mixed only when it really is.
fn separator(s: &str) -> char {
    match s.chars().next() {
        Some('－') => '-',
        Some('／') => '/',
        Some('．') => '.',
        Some(c) => c,
        None => ' ',
    }
}

/// Arabic digits (half or full width) as a number.
fn arabic(s: &str) -> Option<u32> {
    let mut n: u32 = 0;
    for c in s.chars() {
        let d = ascii_digit(c)?.to_digit(10)?;
        n = n.checked_mul(10)?.checked_add(d)?;
    }
    Some(n)
}

/// A month, day or time field: Arabic or Chinese ("二十一").
fn small(s: &str) -> Option<u32> {
    arabic(s).or_else(|| chinese_number(s).and_then(|n| u32::try_from(n).ok()))
}

fn year(s: &str) -> Option<i32> {
    let y = match arabic(s) {
        Some(y) => i32::try_from(y).ok()?,
        None => {
            let normal: String =
                s.chars().map(|c| if matches!(c, 'O' | 'Ｏ' | '0' | '０') { '〇' } else { c }).collect();
            i32::try_from(chinese_number(&normal)?).ok()?
        }
    };
    YEARS.contains(&y).then_some(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::new(y, m, day).expect("test date exists")
    }

    #[test]
    fn every_written_form() {
        let cases = [
            ("2019年3月6日", d(2019, 3, 6)),
            ("(2019年3月6日)", d(2019, 3, 6)),
            ("（2019年3月6日）", d(2019, 3, 6)),
            ("2019 年 3 月 6 日", d(2019, 3, 6)),
            ("2021年02月08日", d(2021, 2, 8)),
            ("2021年2月8号", d(2021, 2, 8)),
            ("2021-02-22", d(2021, 2, 22)),
            ("2021-02-22 08:58", d(2021, 2, 22)),
            ("2012-01-17 00:00", d(2012, 1, 17)),
            ("2021-02-22 08:58:07", d(2021, 2, 22)),
            ("2021/2/22", d(2021, 2, 22)),
            ("2021.02.22", d(2021, 2, 22)),
            ("二○一二年二月二十日", d(2012, 2, 20)),
            ("二〇二一年一月二十日", d(2021, 1, 20)),
            ("二零一二年十二月三十一日", d(2012, 12, 31)),
            ("二O一二年二月二十日", d(2012, 2, 20)),
            ("２０２１年２月８日", d(2021, 2, 8)),
            ("２０２１－０２－２２", d(2021, 2, 22)),
            ("2020年2月29日", d(2020, 2, 29)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_date(s), Some(want), "{s:?}");
        }
    }

    #[test]
    fn not_dates() {
        for s in [
            "2021-02-29",
            "2021-02-30",
            "2021年13月1日",
            "2021年2月0日",
            "2021210",
            "20210210",
            "925日",
            "2012年1月",
            "2021-02",
            "2021-02/22",
            "1800年1月1日",
            "xxxx年x月xx日",
            "X月X日",
            "发布时间:2012-01-17",
            "2021-02-22 25:00",
            "",
            "年月日",
        ] {
            assert_eq!(parse_date(s), None, "{s:?}");
        }
    }

    #[test]
    fn dates_in_running_text_from_seeds() {
        let text = "发布时间:2012-01-17 00:00 来源";
        let found = find_dates(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].0.clone()], "2012-01-17 00:00");
        assert_eq!(found[0].1, d(2012, 1, 17));

        let text = "发布时间: 2021-02-22 字体:[]";
        let found = find_dates(text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].0.clone()], "2021-02-22");
    }

    #[test]
    fn several_dates_with_ranges() {
        let text = "本报告中所列数据的统计期限自2011年1月1日起至2011年12月31日止。\
                    时间：2012-04-11 00:00 核工作常规化、日常化。 二○一二年二月二十日 附件";
        let found = find_dates(text);
        let got: Vec<(&str, Date)> = found.iter().map(|(r, dt)| (&text[r.clone()], *dt)).collect();
        assert_eq!(
            got,
            vec![
                ("2011年1月1日", d(2011, 1, 1)),
                ("2011年12月31日", d(2011, 12, 31)),
                ("2012-04-11 00:00", d(2012, 4, 11)),
                ("二○一二年二月二十日", d(2012, 2, 20)),
            ]
        );
    }

    #[test]
    fn glued_and_damaged_dates_are_skipped() {
        // A longer number is not cut into a date, and a damaged date is not repaired.
        assert!(find_dates("编号12019年3月6日").is_empty());
        assert!(find_dates("2021-02-223").is_empty());
        assert!(find_dates("解读相关政策措施。925日,市长").is_empty());
        assert!(find_dates("2021210").is_empty());
        // A date missing its year is not completed from context.
        let found = find_dates("2021年1月1日至12月31日");
        assert_eq!(found.len(), 1);
        // An invalid time is left out of the range, not allowed to spoil the date.
        // A time on the next line belongs to something else.
        assert_eq!(find_dates("2021-02-22\n08:58"), vec![(0..10, d(2021, 2, 22))]);
        let text = "2021-02-22 99:99";
        assert_eq!(find_dates(text), vec![(0..10, d(2021, 2, 22))]);
    }

    #[test]
    fn reads_the_pingtan_corpus_where_present() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/pingtan/201204_80678.txt");
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let dates: Vec<Date> = find_dates(&text).into_iter().map(|(_, dt)| dt).collect();
        assert!(dates.contains(&d(2012, 4, 11)), "publication date");
        assert!(dates.contains(&d(2012, 2, 20)), "signature date in Chinese numerals");
    }
}
