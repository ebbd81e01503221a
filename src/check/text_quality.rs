//! Text checks that a regex cannot express: a word written twice in a row (the regex crate has no
//! backreferences) and top-level part numbering that goes back. What counts as a legitimate
//! doubling, and which "一、" are table rows rather than parts, is in the rule (`allow`, `skip`).

use std::collections::HashMap;

use super::{applies, finding, match_key};
use crate::extract::scope_range;
use crate::load::Document;
use crate::model::{Fields, Finding, Severity, Value};
use crate::rules::{CheckInstance, CheckRule, RuleSet, Scope, TextKind};

/// One place the check fires: byte range in the scanned text and the message locals.
struct Hit {
    start: usize,
    end: usize,
    locals: Vec<(&'static str, String)>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    doc: &Document,
    fields: &Fields,
    prev: Option<&Fields>,
    rules: &RuleSet,
    rule: &CheckRule,
    severity: Severity,
    inst: &CheckInstance,
    scope: &Scope,
    kind: &TextKind,
    max: usize,
    key: &str,
    out: &mut Vec<Finding>,
) {
    let Some(mut env) = applies(fields, prev, rules, inst) else { return };
    let Some(range) = scope_range(doc, scope, fields) else { return };
    let hay = &doc.text[range.clone()];
    // A line inside one of the source's own tables is a table row ("三、本年度办 （一）予以公开 7"
    // from a PDF grid), never a part heading.
    let tables: Vec<(usize, usize)> = doc
        .tables
        .iter()
        .filter(|t| t.end > range.start && t.start < range.end)
        .map(|t| (t.start.saturating_sub(range.start), t.end.saturating_sub(range.start)))
        .collect();
    let hits = match kind {
        TextKind::Repeat { min, max, allow } => repeats(hay, *min, *max, allow.as_ref()),
        TextKind::Numbering { heading, skip } => numbering_restarts(hay, heading, skip.as_ref(), &tables),
        TextKind::PartCount { heading, skip, stated } => part_count(hay, heading, skip.as_ref(), stated, &tables),
    };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for h in hits.into_iter().take(max) {
        let matched = &hay[h.start..h.end];
        env.locals.clear();
        env.locals.insert("match".into(), Value::Text(matched.to_string()));
        for (k, v) in &h.locals {
            env.locals.insert((*k).to_string(), Value::Text(v.clone()));
        }
        let key = match_key(&mut seen, key, matched);
        let span = doc.span(range.start + h.start, range.start + h.end);
        let message = inst.message.render(&env);
        out.push(finding(rule, severity, message, Some(span), Vec::new(), key));
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// Characters a doubled unit may not contain: a doubling that spans a clause break or a line is
/// not a doubled word.
fn breaks_unit(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '，' | '。' | '；' | '：' | '、' | '！' | '？' | ',' | '.' | ';' | ':' | '!' | '?' | '（' | '）' | '(' | ')' | '【' | '】' | '《' | '》' | '“' | '”' | '"' | '\'' | '|'
    )
}

/// Every place where a unit of `min..=max` characters is immediately written again ("资金资金",
/// "审核审核"). The unit starts with a Han character, holds at least `min.min(2)` of them, is not
/// one character repeated ("一一", "方方" are reduplications), does not end in a space (spaced
/// column labels), and the doubled text, spaces removed, is not matched by `allow`. The
/// shortest doubling at a position wins; scanning resumes after it.
fn repeats(hay: &str, min: usize, max: usize, allow: Option<&regex::Regex>) -> Vec<Hit> {
    let chars: Vec<(usize, char)> = hay.char_indices().collect();
    let n = chars.len();
    let byte_at = |i: usize| if i < n { chars[i].0 } else { hay.len() };
    // Where the clause containing each position ends: a doubling (both copies) lies within one
    // clause, so this bounds the lengths worth trying, and most positions try none.
    let mut clause_end = vec![n; n + 1];
    for i in (0..n).rev() {
        clause_end[i] = if breaks_unit(chars[i].1) { i } else { clause_end[i + 1] };
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let longest = max.min((clause_end[i] - i) / 2);
        if longest < min || !is_han(chars[i].1) {
            i += 1;
            continue;
        }
        let mut found = None;
        for len in min..=longest {
            // Cheap test first: almost every length fails on its first character.
            if chars[i + len].1 != chars[i].1 {
                continue;
            }
            let unit = &chars[i..i + len];
            if unit.iter().zip(&chars[i + len..i + 2 * len]).any(|(a, b)| a.1 != b.1) {
                continue;
            }
            if unit.iter().filter(|(_, c)| is_han(*c)).count() < min.min(2) || unit.iter().all(|(_, c)| *c == chars[i].1) {
                continue;
            }
            // "结果   结果   ": a layout's column labels, spaced apart, are not a doubled word.
            if unit.last().is_some_and(|(_, c)| c.is_whitespace()) {
                continue;
            }
            // `allow` reads the doubled text, so a header or breadcrumb is allowed whichever
            // rotation of its words the scan meets first.
            let doubled: String = hay[byte_at(i)..byte_at(i + 2 * len)].chars().filter(|c| !c.is_whitespace()).collect();
            if allow.is_some_and(|a| a.is_match(&doubled)) {
                continue;
            }
            found = Some((len, hay[byte_at(i)..byte_at(i + len)].to_string()));
            break;
        }
        match found {
            Some((len, unit)) => {
                out.push(Hit { start: byte_at(i), end: byte_at(i + 2 * len), locals: vec![("unit", unit)] });
                i += 2 * len;
            }
            None => i += 1,
        }
    }
    out
}

/// The top-level headings in order: (numeral, numeral start, heading end).
/// Numbered headings in `hay`, outside the byte ranges of `tables`.
fn headings(hay: &str, heading: &regex::Regex, skip: Option<&regex::Regex>, tables: &[(usize, usize)]) -> Vec<(i64, usize, usize)> {
    heading
        .captures_iter(hay)
        .filter_map(|caps| {
            let (m, num) = (caps.get(0)?, caps.name("num")?);
            if tables.iter().any(|&(a, b)| (a..b).contains(&num.start())) {
                return None;
            }
            let title = caps.name("title").map_or("", |t| t.as_str());
            if skip.is_some_and(|s| s.is_match(title)) {
                return None;
            }
            Some((crate::text::chinese_number(num.as_str())?, num.start(), m.end()))
        })
        .collect()
}

/// "本报告由…共九个部分组成" when the report numbers its parts up to 七: the stated count is neither the
/// highest part numeral nor one more (an unnumbered 统计表 or 附件 counted as a part).
fn part_count(hay: &str, heading: &regex::Regex, skip: Option<&regex::Regex>, stated: &regex::Regex, tables: &[(usize, usize)]) -> Vec<Hit> {
    let Some(caps) = stated.captures(hay) else { return Vec::new() };
    let (Some(m), Some(n)) = (caps.get(0), caps.name("n")) else { return Vec::new() };
    let said = match n.as_str().parse::<i64>() {
        Ok(v) => v,
        Err(_) => match crate::text::chinese_number(n.as_str()) {
            Some(v) => v,
            None => return Vec::new(),
        },
    };
    let found = headings(hay, heading, skip, tables).iter().map(|h| h.0).max().unwrap_or(0);
    // Too few numbered parts to say what the report's parts are: no finding.
    if found < 3 || said == found || said == found + 1 {
        return Vec::new();
    }
    vec![Hit { start: m.start(), end: m.end(), locals: vec![("stated", said.to_string()), ("found", found.to_string())] }]
}

/// Headings whose numeral is not above the one before (a second 一、 after 六、): the report's
/// parts restart, or 总体情况's own sub-topics were numbered as top-level parts.
fn numbering_restarts(hay: &str, heading: &regex::Regex, skip: Option<&regex::Regex>, tables: &[(usize, usize)]) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut last: Option<(i64, String)> = None;
    for (value, start, end) in headings(hay, heading, skip, tables) {
        let shown: String = hay[start..end].trim().chars().take(24).collect();
        if let Some((before, before_text)) = &last
            && value <= *before
        {
            out.push(Hit { start, end, locals: vec![("previous", before_text.clone())] });
        }
        last = Some((value, shown));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doubled(s: &str, min: usize, max: usize, allow: Option<&str>) -> Vec<String> {
        let allow = allow.map(|a| regex::Regex::new(a).unwrap());
        repeats(s, min, max, allow.as_ref()).iter().map(|h| s[h.start..h.end].to_string()).collect()
    }

    #[test]
    fn a_doubled_word_is_found_once_and_reduplications_are_not() {
        assert_eq!(doubled("2023 年上海市科技计划资金资金分配结果信息", 2, 3, None), ["资金资金"]);
        assert_eq!(doubled("二是规范审核审核发布机制", 2, 3, None), ["审核审核"]);
        assert!(doubled("认真研究研究，一一对应，天天更新", 2, 3, Some("^(?:研究|讨论){2}$")).is_empty());
        assert!(doubled("方方面面、扎扎实实", 2, 3, None).is_empty(), "AABB is one character doubled twice");
        assert!(doubled("资金，资金", 2, 3, None).is_empty(), "a clause break is not a doubling");
        assert!(doubled("结果   结果   其他", 2, 3, None).is_empty(), "spaced column labels are not a doubling");
    }

    #[test]
    fn a_doubled_phrase_may_hold_digits_and_spaces() {
        let s = "参与平潭港口岸金井港区对外开放新闻发布会、聚焦新中国成立 70 周年平潭专场新闻发布会聚焦新中国成立 70 周年平潭专场新闻发布会；组织19期";
        assert_eq!(doubled(s, 4, 32, None), ["聚焦新中国成立 70 周年平潭专场新闻发布会聚焦新中国成立 70 周年平潭专场新闻发布会"]);
        assert!(doubled("0000000 0000000", 4, 32, None).is_empty(), "digit runs are tables, not words");
    }

    #[test]
    fn numbering_that_goes_back_is_found() {
        let h = regex::Regex::new(r"(?m)(?:^|[\s。])(?P<num>[一二三四五六七八九十]{1,2})、(?P<title>[^\n]{0,12})").unwrap();
        let skip = regex::Regex::new("^本年新收").unwrap();
        let text = "一、总体情况\n二、工作机制\n六、平台建设\n一、主动公开政府信息情况\n一、本年新收政府信息公开申请数量\n二、收到和处理";
        let hits = numbering_restarts(text, &h, Some(&skip), &[]);
        assert_eq!(hits.len(), 1);
        assert_eq!(&text[hits[0].start..hits[0].end], "一、主动公开政府信息情况");
        assert_eq!(hits[0].locals[0].1, "六、平台建设");
        assert!(numbering_restarts("一、总体情况。二、主动公开。三、收到", &h, None, &[]).is_empty());
        // A row of a source table that starts with its item number is not a heading.
        let text = "一、总体情况\n三、收到和处理\n三、本年度办  （一）予以公开  7\n四、复议";
        let row = text.find("三、本年度办").unwrap();
        assert_eq!(numbering_restarts(text, &h, None, &[]).len(), 1);
        assert!(numbering_restarts(text, &h, None, &[(row, row + 20)]).is_empty());
    }

    #[test]
    fn a_stated_part_count_is_held_to_the_numbered_parts() {
        let h = regex::Regex::new(r"(?m)(?:^|[\s。])(?P<num>[一二三四五六七八九十]{1,2})、(?P<title>[^\n]{0,12})").unwrap();
        let stated = regex::Regex::new(r"共(?P<n>[一二三四五六七八九十\d]{1,2})个?部分").unwrap();
        let body = "\n一、基本\n二、主动\n三、回应\n四、依申请\n五、复议\n六、机构\n七、存在问题及工作打算\n统计表";
        let hits = part_count(&format!("本年报由…附件,共九个部分组成。{body}"), &h, None, &stated, &[]);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].locals, vec![("stated", "9".to_string()), ("found", "7".to_string())]);
        assert!(part_count(&format!("共八个部分组成。{body}"), &h, None, &stated, &[]).is_empty(), "the table counted as a part");
        assert!(part_count(&format!("共分7个部分。{body}"), &h, None, &stated, &[]).is_empty());
    }
}
