//! Claims: every figure the prose states, read once per report after sectioning.
//!
//! A claim is a value with its qualifier (余/多 make it a lower bound, 近/约 an approximation), its
//! unit, the concept it counts (by the lexicon's phrases), its scope (the whole agency, or a unit,
//! channel or period of it), its role (a whole with its listed parts and whether the list names
//! every part; a part; a share of a base; a rate), the part of the report it is in, and its span.
//!
//! One pass of the lexicon's figure pattern over the text finds the figures; everything else is
//! decided on the few characters around each figure, with patterns compiled when the rules load.
//! Claims become fields (`narr.<concept>`, `narr.<concept>.2` for a second value, `.narrow` for a
//! figure of a narrower scope, `narr.says.<statement>`) and the `claims:` checks iterate over the
//! wholes and shares.

use std::ops::Range;

use crate::load::Document;
use crate::model::{Field, Fields, Span, Value};
use crate::rules::RuleSet;
use crate::rules::lexicon::Lexicon;
use crate::text::Qualifier;
use scan::sentence_starts;

mod scan;

/// Whether a list of parts names every part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// "分别为…", a last part "其他…", or a total after its parts: every part is named.
    Closed,
    /// A plain "其中…": the words do not say.
    Unmarked,
    /// "…等": not every part is named.
    Open,
}

impl ListKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Closed => "closed",
            ListKind::Unmarked => "unmarked",
            ListKind::Open => "open",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// A figure on its own.
    Single,
    /// A whole with its listed parts (indexes into the claims).
    Whole { parts: Vec<usize>, list: ListKind },
    /// One of a whole's parts.
    Part { of: usize },
    /// "占X%": a share of `base`, `num` being the figure it is the share of. `listed`: the base
    /// is the whole `num` is listed under; otherwise it is the sentence's leading total (收到申请N件).
    Share { num: usize, base: Option<usize>, listed: bool },
    /// A rate the lexicon names (办结率).
    Rate,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub value: f64,
    pub qualifier: Qualifier,
    /// The measure word as written ("条", "%"); empty when it was left out in a list.
    pub unit: String,
    pub concept: Option<String>,
    /// The words just before the figure (what it is said of).
    pub label: String,
    /// (kind, words) when the figure is of a narrower scope than the whole agency.
    pub scope: Option<(String, String)>,
    pub role: Role,
    /// The part of the report (`part.3`) it is in.
    pub part: Option<String>,
    pub span: Span,
    /// The figure as written.
    pub text: String,
    /// Digits after the decimal point as written (for percentages' rounding).
    pub decimals: usize,
}

impl Claim {
    pub fn is_exact(&self) -> bool {
        self.qualifier == Qualifier::Exact
    }

    pub fn bound(&self) -> &'static str {
        match self.qualifier {
            Qualifier::Exact => "exact",
            Qualifier::More => "at_least",
            Qualifier::Nearly => "at_most",
            Qualifier::About => "about",
        }
    }
}

/// A set statement found in the text ("均获维持").
#[derive(Debug, Clone, PartialEq)]
pub struct Said {
    pub id: String,
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims {
    pub list: Vec<Claim>,
    pub said: Vec<Said>,
}

/// A figure found by the pattern, before its role is known.
struct Token {
    start: usize,
    end: usize,
    value: f64,
    qualifier: Qualifier,
    unit: String,
    unitless: bool,
    decimals: usize,
    depth: i32,
    sentence: usize,
}

const WINDOW: usize = 90;
const SCOPE_WINDOW: usize = 240;
/// Most bytes between a concept's phrase and its figure (six characters).
const NEAR: usize = 18;
/// More bytes than this between two listed figures: unnumbered items stand between them.
const LIST_GAP: usize = 75;

fn floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The ASCII digits of `s` (fullwidth ones made ASCII), into `out`.
fn digits_into(s: &str, out: &mut String) {
    out.clear();
    out.extend(s.chars().filter_map(|c| match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }));
}

/// The figure's value from its digits and its decimals' digits, as `"{d}.{frac}".parse()`
/// reads it. Without decimals, at most 15 digits are an integer below 2^53, which an `f64`
/// holds exactly (what parsing the same digits as `f64` gives), without a string built for it.
fn figure_value(d: &str, frac: &str) -> Option<f64> {
    if frac.is_empty() && d.len() <= 15 {
        return d.parse::<u64>().ok().map(|v| v as f64);
    }
    format!("{d}{}{frac}", if frac.is_empty() { "" } else { "." }).parse::<f64>().ok()
}

/// What a figure is said of: the last 16 characters before it (whitespace dropped, the
/// punctuation that opens the words trimmed). `buf` is scratch space kept between figures.
fn label_of(before: &str, buf: &mut Vec<char>) -> String {
    const LEAD: [char; 10] = ['，', ',', '、', '；', ';', '：', ':', '(', '（', '。'];
    const CUT: [char; 8] = ['，', ',', '、', '；', ';', '：', ':', '。'];
    if !may_hold_space(before) {
        // Nothing to drop: the same cut on the words themselves.
        let t = before.trim_start_matches(LEAD);
        let from = t.char_indices().rev().nth(15).map_or(0, |(i, _)| i);
        return t[from..].trim_start_matches(CUT).to_string();
    }
    buf.clear();
    buf.extend(before.chars().filter(|c| !c.is_whitespace()));
    let lead = buf.iter().take_while(|c| LEAD.contains(c)).count();
    let cut = &buf[lead.max(buf.len().saturating_sub(16))..];
    let skip = cut.iter().take_while(|c| CUT.contains(c)).count();
    cut[skip..].iter().collect()
}

/// Whether `s` may hold a whitespace character (`char::is_whitespace`), by its bytes: an ASCII
/// space or control space, or the first bytes of U+0085, U+00A0, U+1680, U+2000–200A, U+2028,
/// U+2029, U+202F, U+205F, U+3000. Never false for a string that holds one.
fn may_hold_space(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &x)| match x {
        0x09..=0x0D | 0x1C..=0x1F | b' ' | 0xC2 | 0xE1 => true,
        0xE2 => matches!(b.get(i + 1..i + 3), Some([0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF] | [0x81, 0x9F])),
        0xE3 => b.get(i + 1..i + 3) == Some(&[0x80, 0x80]),
        _ => false,
    })
}

/// The sentence after `end` opens with a list word (其中…): its figures are the parts.
fn opens_next(text: &str, lx: &Lexicon, from: usize) -> bool {
    let rest = text[from..].trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '，' | ',' | '。'));
    lx.openers.iter().any(|(p, _)| p.chars().count() > 1 && rest.starts_with(p.as_str()))
}

/// Read every claim of one report. `fields` must hold the sections (for each claim's part).
pub fn read(doc: &Document, fields: &Fields, rules: &RuleSet) -> Claims {
    let lx = &rules.lexicon;
    if lx.is_empty() {
        return Claims::default();
    }
    let text: &str = &doc.text;
    let ignored: Vec<Range<usize>> = lx.ignore.as_ref().map(|r| r.find_iter(text).map(|m| m.range()).collect()).unwrap_or_default();
    let starts = sentence_starts(text);
    let sentence_of = |pos: usize| starts.partition_point(|&s| s <= pos).saturating_sub(1);

    // Parenthesis depth at each figure, from one running count.
    let mut tokens: Vec<Token> = Vec::new();
    let mut depth = 0i32;
    let mut depth_at = 0usize;
    let mut ig = 0usize;
    // The pattern's matches as `captures_iter` gives them, looked for only where a figure can
    // start (`scan::FigureScan`).
    let figure_scan = scan::FigureScan::new(&lx.units);
    let mut figures = scan::Figures::new(&lx.token, &figure_scan, text);
    let mut d = String::new();
    let mut frac = String::new();
    while let Some(g) = figures.next_match() {
        let (m_start, m_end) = g.whole;
        let Some(num) = g.num else { continue };
        depth = scan::depth_after(&text[depth_at..m_start], depth);
        depth_at = m_start;
        while ig < ignored.len() && ignored[ig].end <= m_start {
            ig += 1;
        }
        if ig < ignored.len() && ignored[ig].start <= m_start {
            continue;
        }
        let before = text[..num.0].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '/' | '第' | '－' | '—' | '~' | '～')) {
            continue;
        }
        let unit = g.unit.map(|(a, b)| text[a..b].to_string()).unwrap_or_default();
        // The punctuation after a unitless figure is not part of it.
        let end = g.stop.map_or(m_end, |s| s.0);
        let after = text[end..].chars().next();
        let mut unitless = false;
        if unit.is_empty() {
            // A list's last figure sometimes drops the unit: "不予公开信息数1402。"
            let lead = &text[floor(text, num.0.saturating_sub(9))..num.0];
            if !(lead.ends_with('数') || lead.ends_with("数为")) || !after.is_some_and(|c| matches!(c, '。' | '；' | ';' | '，' | ',')) {
                continue;
            }
            unitless = true;
        } else if (unit == "条" && after.is_some_and(|c| matches!(c, '例' | '款' | '规' | '线')))
            || (unit == "元" && after == Some('旦'))
            || (unit == "次" && after.is_some_and(|c| matches!(c, '日' | '年')))
            || (unit == "个" && after.is_some_and(|c| matches!(c, '工' | '月')))
        {
            continue;
        }
        digits_into(&text[num.0..num.1], &mut d);
        frac.clear();
        if let Some((a, b)) = g.frac {
            digits_into(&text[a..b], &mut frac);
        }
        if d.len() > 15 {
            continue;
        }
        let Some(v) = figure_value(&d, &frac) else { continue };
        let qualifier = match (g.pre.map(|(a, b)| &text[a..b]), g.more, g.post.map(|(a, b)| &text[a..b])) {
            (Some("将近" | "接近" | "近"), _, _) => Qualifier::Nearly,
            (Some("大约" | "约"), _, _) | (_, _, Some("左右")) => Qualifier::About,
            (Some(_), _, _) | (_, Some(_), _) | (_, _, Some("以上")) => Qualifier::More,
            _ => Qualifier::Exact,
        };
        // The span starts at the digits (the qualifier belongs to the figure but "约" is not a number).
        tokens.push(Token {
            start: num.0,
            end,
            value: v,
            qualifier,
            unit,
            unitless,
            decimals: frac.len(),
            depth,
            sentence: sentence_of(num.0),
        });
    }

    let parts = part_ranges(fields);
    let mut claims: Vec<Claim> = Vec::with_capacity(tokens.len());
    let mut label_chars: Vec<char> = Vec::new();
    for (k, t) in tokens.iter().enumerate() {
        let s_start = starts[t.sentence];
        let prev_end = if k > 0 && tokens[k - 1].sentence == t.sentence { tokens[k - 1].end } else { s_start };
        let b_start = prev_end.max(ceil(text, t.start.saturating_sub(WINDOW)));
        let before = &text[b_start..t.start];
        let s_end = starts.get(t.sentence + 1).copied().unwrap_or(text.len());
        let next_start = tokens.get(k + 1).filter(|n| n.sentence == t.sentence).map_or(s_end, |n| n.start);
        let a_end = next_start.min(floor(text, t.end + 45)).max(t.end);
        let mut after = &text[t.end..a_end];
        if let Some(i) = after.find(['，', ',', '。', '；', ';', '：', ':', '、', '（', '(', '）', ')']) {
            after = &after[..i];
        }
        let named = concept_of(lx, before, after, &t.unit);
        // The scope is named in the figure's own clause ("区直各部门主动公开…1822条").
        let scope_from = ceil(text, t.start.saturating_sub(SCOPE_WINDOW)).max(s_start);
        let clause = &text[scope_from..t.start];
        let clause = clause.rfind(['，', ',', '；', ';', '：', ':']).map_or(clause, |i| &clause[i..]);
        let mut scope = scope_of(lx, clause);
        // A channel concept ("网站公开政府信息") is not narrowed by its own channel's word.
        if let (Some((_, words)), Some((_, s))) = (&named, &scope)
            && words.contains(s.as_str())
        {
            scope = None;
        }
        let concept = named.map(|(id, _)| id);
        let label = label_of(before, &mut label_chars);
        let part = parts.iter().find(|(r, _)| r.contains(&t.start)).map(|(_, id)| id.clone());
        claims.push(Claim {
            value: t.value,
            qualifier: t.qualifier,
            unit: t.unit.clone(),
            concept,
            label,
            scope,
            role: Role::Single,
            part,
            // Set below for the claims kept: finding a line and column costs more than the rest.
            span: Span::default(),
            text: text[t.start..t.end].trim_end().to_string(),
            decimals: t.decimals,
        });
    }

    assign_roles(lx, text, &tokens, &mut claims, &starts);
    // A listed part without a concept of its own may be a part concept of its whole's
    // ("行政复议351件，其中结果维持72件" → review.upheld).
    for k in 0..claims.len() {
        let Role::Part { of } = claims[k].role else { continue };
        if claims[k].concept.is_some() {
            continue;
        }
        let Some(whole) = claims[of].concept.clone() else { continue };
        let label = claims[k].label.as_str();
        let found = lx
            .concepts
            .iter()
            .filter(|c| c.part_of.as_deref() == Some(whole.as_str()))
            .find(|c| c.phrase.is_match(label))
            .map(|c| c.id.clone());
        if found.is_some() {
            claims[k].concept = found;
            claims[k].scope = claims[of].scope.clone();
        }
    }

    // Kept: figures with a concept or a role, and whatever a share is of.
    let mut keep: Vec<bool> = claims.iter().map(|c| c.concept.is_some() || c.role != Role::Single).collect();
    for c in &claims {
        if let Role::Share { num, base, .. } = c.role {
            keep[num] = true;
            if let Some(b) = base {
                keep[b] = true;
            }
        }
    }
    // Renumber the kept claims; drop a share whose figure was dropped.
    let mut map = vec![usize::MAX; claims.len()];
    let mut n = 0;
    for (k, kept) in keep.iter().enumerate() {
        if *kept {
            map[k] = n;
            n += 1;
        }
    }
    let mut list = Vec::with_capacity(n);
    for (k, mut c) in claims.into_iter().enumerate() {
        if !keep[k] {
            continue;
        }
        c.span = doc.span(tokens[k].start, tokens[k].end);
        c.role = match c.role {
            Role::Whole { parts, list } => Role::Whole { parts: parts.iter().map(|p| map[*p]).collect(), list },
            Role::Part { of } => Role::Part { of: map[of] },
            Role::Share { num, base, listed } => Role::Share { num: map[num], base: base.map(|b| map[b]), listed },
            r => r,
        };
        list.push(c);
    }

    let said = statements(doc, lx, &starts);
    Claims { list, said }
}

fn part_ranges(fields: &Fields) -> Vec<(Range<usize>, String)> {
    let mut out = Vec::new();
    for (id, f) in fields.range::<String, _>("part.".to_string()..) {
        if !id.starts_with("part.") {
            break;
        }
        let Some(sec) = id.strip_suffix(".body") else { continue };
        if let (Some(b), Some(h)) = (f.span, fields.get(sec).and_then(|h| h.span)) {
            out.push((h.start..b.end.max(h.end), sec.to_string()));
        }
    }
    out
}

/// The concept whose phrase stands nearest before the figure; else one closing around it
/// ("收到70件申请": the words before and after joined); else one just after it.
fn concept_of(lx: &Lexicon, before: &str, after: &str, unit: &str) -> Option<(String, String)> {
    let percent = unit == "%" || unit == "％";
    let fits = |c: &crate::rules::lexicon::Concept| {
        if c.rate != percent || c.part_of.is_some() {
            return false;
        }
        unit.is_empty() || c.units.is_empty() || c.units.iter().any(|u| u == unit)
    };
    let mut best: Option<(usize, &str, &str)> = None;
    // One pass of all the phrases first: most figures are named by none.
    let hits = lx.concept_set.matches(before);
    for c in hits.iter().map(|i| &lx.concepts[i]).filter(|c| fits(c)) {
        if let Some(m) = c.phrase.find_iter(before).last() {
            let dist = before.len() - m.end();
            // The phrase must name this figure, not one of the words a few clauses back.
            if dist <= NEAR && best.is_none_or(|(d, _, _)| dist < d) {
                best = Some((dist, &c.id, m.as_str()));
            }
        }
    }
    if let Some((_, id, words)) = best {
        return Some((id.to_string(), words.to_string()));
    }
    if after.is_empty() {
        return None;
    }
    let tail_from = floor(before, before.len().saturating_sub(24));
    let joined = format!("{}{}", &before[tail_from..], after);
    for hay in [joined.as_str(), after] {
        let hits = lx.concept_set.matches(hay);
        for c in hits.iter().map(|i| &lx.concepts[i]).filter(|c| fits(c)) {
            if let Some(m) = c.phrase.find(hay) {
                return Some((c.id.clone(), m.as_str().to_string()));
            }
        }
    }
    None
}

/// A narrower scope named before the figure (words of the whole agency do not count).
fn scope_of(lx: &Lexicon, before: &str) -> Option<(String, String)> {
    // The agency's own words are replaced by a space below; that never makes a phrase appear
    // (the phrases hold no space, and every other substring is the clause's own), so a clause
    // that holds no phrase at all has no scope. Most figures' clauses hold none.
    if let Some(words) = &lx.scope_words
        && !words.is_match(before)
    {
        return None;
    }
    let hay: std::borrow::Cow<str> = if lx.whole_scope_words.as_ref().is_some_and(|w| !w.is_match(before)) {
        before.into()
    } else {
        let mut hay = before.to_string();
        for w in &lx.whole_scope {
            if hay.contains(w.as_str()) {
                hay = hay.replace(w.as_str(), " ");
            }
        }
        hay.into()
    };
    for (kind, phrases) in &lx.scopes {
        if let Some(p) = phrases.iter().find(|p| hay.contains(p.as_str())) {
            return Some((kind.clone(), p.clone()));
        }
    }
    None
}

fn assign_roles(lx: &Lexicon, text: &str, tokens: &[Token], claims: &mut [Claim], starts: &[usize]) {
    let n = tokens.len();
    let mut is_part = vec![false; n];
    let mut k = 0;
    while k < n {
        let t = &tokens[k];
        let sentence_end = starts.get(t.sentence + 1).copied().unwrap_or(text.len());
        let same = |j: usize| j < n && tokens[j].sentence == t.sentence;
        if t.unit == "%" || t.unit == "％" || t.unitless {
            k += 1;
            continue;
        }
        let next = if same(k + 1) { tokens[k + 1].start } else { sentence_end };
        let gap = &text[t.end..floor(text, next.min(t.end + 60)).max(t.end)];
        let first_opener = |hay: &str| {
            match &lx.opener_words {
                Some(words) => scan::first_in(hay, words),
                None => scan::first_of(hay, &lx.openers, |o| o.0.as_str()),
            }
            .map(|(i, k)| (i, lx.openers[k].0.as_str(), lx.openers[k].1))
        };
        let mut opener = first_opener(gap);
        // "…3460条。其中，…": the last figure of a sentence, the next sentence opening with 其中.
        let mut in_sentence = t.sentence;
        if !same(k + 1) && k + 1 < n && tokens[k + 1].sentence == t.sentence + 1 && opens_next(text, lx, sentence_end) {
            let rest = &text[sentence_end..tokens[k + 1].start];
            opener = first_opener(rest);
            in_sentence = t.sentence + 1;
        }
        let within = |j: usize| j < n && tokens[j].sentence == in_sentence;
        if let Some((_, phrase, closed)) = opener {
            let paren = phrase == "（" || phrase == "(";
            let mut parts = Vec::new();
            let part_depth = if paren { t.depth + 1 } else if within(k + 1) { tokens[k + 1].depth } else { t.depth };
            let mut j = k + 1;
            let mut long_gap = false;
            let mut last_end = t.end;
            while within(j) {
                let p = &tokens[j];
                if p.depth < part_depth || (!paren && p.depth < t.depth) {
                    break;
                }
                if p.depth > part_depth {
                    last_end = p.end;
                    j += 1;
                    continue;
                }
                if p.unit == "%" || p.unit == "％" {
                    j += 1;
                    continue;
                }
                if p.unit != t.unit && !p.unitless {
                    break;
                }
                let lead = &text[floor(text, p.start.saturating_sub(12))..p.start];
                if lx.totals.iter().any(|w| lead.ends_with(w.as_str())) {
                    break;
                }
                // The whole's own concept named again for the whole agency, or a concept that
                // never is a part (办结, 结转…), starts a new statement.
                let closing = lx.closing.iter().any(|w| claims[j].label.trim_start_matches(['，', ',', '、', '；', ';', '(', '（']).starts_with(w.as_str()));
                if claims[j].concept.is_some() && claims[j].concept == claims[k].concept && claims[j].scope.is_none() && !closing {
                    break;
                }
                if let Some(c) = claims[j].concept.as_deref().and_then(|c| lx.concept(c))
                    && c.breaks
                    && claims[k].concept.as_deref() != Some(c.id.as_str())
                {
                    break;
                }
                // Unnumbered items between the parts: the figures cannot add up to the whole.
                if p.start.saturating_sub(last_end) > LIST_GAP && !parts.is_empty() {
                    long_gap = true;
                }
                last_end = p.end;
                parts.push(j);
                j += 1;
            }
            if !parts.is_empty() {
                let last = *parts.last().unwrap_or(&k);
                let tail_end = if same(last + 1) { tokens[last + 1].start } else { sentence_end };
                let tail = &text[tokens[last].end..floor(text, tail_end.min(tokens[last].end + 12)).max(tokens[last].end)];
                let last_label = claims[last].label.trim_start_matches(['，', ',', '、', '；', ';', ' ', '（', '(']);
                let list = if long_gap || lx.open_ends.iter().any(|w| tail.trim_start().starts_with(w.as_str())) {
                    ListKind::Open
                } else if closed || lx.closing.iter().any(|w| last_label.starts_with(w.as_str())) {
                    ListKind::Closed
                } else {
                    ListKind::Unmarked
                };
                for &p in &parts {
                    if tokens[p].unitless {
                        claims[p].unit = t.unit.clone();
                        // Its concept was read without a unit: keep it only if the unit fits.
                        let unit_fits = claims[p].concept.as_deref().and_then(|c| lx.concept(c)).is_none_or(|c| c.units.is_empty() || c.units.contains(&t.unit));
                        if !unit_fits {
                            claims[p].concept = None;
                        }
                    }
                    is_part[p] = true;
                    claims[p].role = Role::Part { of: k };
                }
                claims[k].role = Role::Whole { parts, list };
                k += 1;
                continue;
            }
        }
        // "a条…b条…合计N条": a total after its parts.
        let lead = &text[floor(text, t.start.saturating_sub(12))..t.start];
        if lx.totals.iter().any(|w| lead.ends_with(w.as_str())) && !is_part[k] {
            let mut parts = Vec::new();
            let mut j = k;
            while j > 0 && tokens[j - 1].sentence == t.sentence {
                j -= 1;
                let p = &tokens[j];
                if is_part[j] || matches!(claims[j].role, Role::Whole { .. }) || p.depth != t.depth || p.unit != t.unit {
                    break;
                }
                parts.push(j);
            }
            if parts.len() >= 2 {
                parts.reverse();
                for &p in &parts {
                    is_part[p] = true;
                    claims[p].role = Role::Part { of: k };
                }
                claims[k].role = Role::Whole { parts, list: ListKind::Closed };
            }
        }
        k += 1;
    }
    // Percentages: a share of the figure just before (of its whole), or a named rate.
    for k in 0..n {
        let t = &tokens[k];
        if t.unit != "%" && t.unit != "％" {
            continue;
        }
        if claims[k].concept.is_some() {
            claims[k].role = Role::Rate;
            continue;
        }
        let lead = claims[k].label.as_str();
        let lead = lead.trim_end();
        if !lx.share.iter().any(|w| lead.ends_with(w.as_str())) {
            continue;
        }
        let Some(num) = (0..k).rev().find(|&j| tokens[j].sentence == t.sentence && tokens[j].unit != "%" && tokens[j].unit != "％") else { continue };
        // Only the figure the share directly follows.
        if num + 1 != k {
            continue;
        }
        let (base, listed) = match claims[num].role {
            Role::Part { of } => (Some(of), true),
            // Else the sentence's first figure of the same unit that is a total the lexicon
            // names (收到申请, 办结): "共受理申请286件，…予以公开118件，占41.3%".
            _ => {
                let lead = (0..num).find(|&j| {
                    tokens[j].sentence == t.sentence
                        && tokens[j].unit == tokens[num].unit
                        && claims[j].concept.as_deref().and_then(|c| lx.concept(c)).is_some_and(|c| c.breaks)
                        && claims[j].concept != claims[num].concept
                });
                (lead, false)
            }
        };
        claims[k].role = Role::Share { num, base, listed };
    }
}

/// Whether no match of the pattern is empty or holds a 。 (by the characters its literals and
/// classes allow; `false` when that cannot be told). Then no match straddles the place right
/// after a 。, and a search started there finds the matches a search from the start finds
/// after it: the first match at or after it is the leftmost one.
pub(crate) fn resyncs_after_full_stop(pattern: &str) -> bool {
    use regex_syntax::hir::{Class, Hir, HirKind};
    fn may_hold(h: &Hir, c: char) -> bool {
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) => false,
            HirKind::Literal(l) => String::from_utf8_lossy(&l.0).contains(c),
            HirKind::Class(Class::Unicode(u)) => u.ranges().iter().any(|r| r.start() <= c && c <= r.end()),
            HirKind::Class(Class::Bytes(_)) => true,
            HirKind::Repetition(r) => may_hold(&r.sub, c),
            HirKind::Capture(g) => may_hold(&g.sub, c),
            HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(|h| may_hold(h, c)),
        }
    }
    regex_syntax::parse(pattern).is_ok_and(|h| h.properties().minimum_len().is_some_and(|n| n > 0) && !may_hold(&h, '。'))
}

fn statements(doc: &Document, lx: &Lexicon, starts: &[usize]) -> Vec<Said> {
    let text: &str = &doc.text;
    let sentence_of = |pos: usize| starts.partition_point(|&s| s <= pos).saturating_sub(1);
    let sentence_end = |si: usize| starts.get(si + 1).copied().unwrap_or(text.len());
    let mut out = Vec::new();
    // The sentences naming each near word, for all statements in one search. The search is
    // asked again from just after each place it finds (the leftmost), so a place it passes over
    // starts where one it found does, and every word starting there is looked at: every
    // sentence holding a word is marked.
    let by_word: Option<Vec<Vec<usize>>> = lx.near_words.as_ref().map(|(words, search)| {
        let mut v: Vec<Vec<usize>> = vec![Vec::new(); words.len()];
        let b = text.as_bytes();
        let mut from = 0;
        while let Some(m) = search.find_in(b, aho_corasick::Span::from(from..b.len())) {
            let i = m.start();
            let si = sentence_of(i);
            for (k, w) in words.iter().enumerate() {
                if b[i..].starts_with(w.as_bytes()) && i + w.len() <= sentence_end(si) {
                    v[k].push(si);
                }
            }
            from = i + 1;
        }
        v
    });
    for st in &lx.statements {
        // The sentences that name a `near` word: a match elsewhere is never taken, so the search
        // goes on from the last 。 before the next of them (see `resyncs_after_full_stop`).
        let near: Option<Vec<usize>> = (st.resyncs && !st.near.is_empty() && st.near.iter().all(|w| !w.is_empty())).then(|| {
            let mut v: Vec<usize> = Vec::new();
            match (&by_word, &lx.near_words) {
                (Some(by_word), Some((words, _))) => {
                    for w in &st.near {
                        if let Ok(k) = words.binary_search(w) {
                            v.extend(&by_word[k]);
                        }
                    }
                }
                _ => {
                    for w in &st.near {
                        let f = memchr::memmem::Finder::new(w.as_bytes());
                        let mut from = 0;
                        while let Some(k) = f.find(&text.as_bytes()[from..]) {
                            let i = from + k;
                            let si = sentence_of(i);
                            if i + w.len() <= sentence_end(si) {
                                v.push(si);
                            }
                            from = i + 1;
                        }
                    }
                }
            }
            v.sort_unstable();
            v.dedup();
            v
        });
        let accepted = |m: &regex::Match| {
            let si = sentence_of(m.start());
            let s = &text[starts[si]..sentence_end(si)];
            (st.near.is_empty() || st.near.iter().any(|w| s.contains(w.as_str()))) && !st.unless.iter().any(|w| s.contains(w.as_str()))
        };
        let found = match &near {
            None => st.pattern.find_iter(text).find(accepted),
            Some(near) => {
                let mut pos = 0;
                loop {
                    let si = sentence_of(pos);
                    let Some(&ns) = near.get(near.partition_point(|&x| x < si)) else { break None };
                    if ns > si {
                        let from = text[..starts[ns]].rfind('。').map_or(0, |i| i + '。'.len_utf8());
                        pos = pos.max(from);
                    }
                    // As `find_iter` goes on: from the end of a match, never empty here.
                    let Some(m) = st.pattern.find_at(text, pos) else { break None };
                    if accepted(&m) {
                        break Some(m);
                    }
                    pos = m.end();
                }
            }
        };
        if let Some(m) = found {
            out.push(Said { id: st.id.clone(), text: m.as_str().to_string(), span: doc.span(m.start(), m.end()) });
        }
    }
    out
}

fn claim_value(c: &Claim) -> Value {
    if c.value.fract() == 0.0 && c.unit != "%" && c.unit != "％" && !c.unit.contains('元') {
        Value::Int(c.value as i64)
    } else {
        Value::Dec(c.value)
    }
}

/// The claims as fields: per concept, the first exact figure of the whole agency's scope
/// (`narr.<id>`), a second value stated elsewhere (`.2`), the first figure of a narrower scope
/// (`.narrow`, with `.narrow_scope`); each set statement (`narr.says.<id>`). Fields the reviewer
/// corrected are left as corrected.
pub fn add_fields(claims: &Claims, rules: &RuleSet, fields: &mut Fields) {
    let put = |fields: &mut Fields, id: String, value: Value, raw: &str, span: Span, note: Option<String>| {
        if fields.get(&id).is_some_and(|f| f.status == crate::model::Status::Corrected) {
            return;
        }
        let label = rules.label(&id).unwrap_or(&id).to_string();
        let mut f = Field::exact(&id, &label, Some(value), raw, Some(span));
        f.note = note;
        fields.insert(id, f);
    };
    for c in &claims.list {
        let Some(concept) = &c.concept else { continue };
        if !c.is_exact() {
            continue;
        }
        // A listed part ("其他应主动公开的信息856条") is not a statement of the whole.
        if let Role::Part { of } = c.role {
            let closing = rules.lexicon.closing.iter().any(|w| c.label.trim_start_matches(['，', ',', '、', '；', ';', '(', '（']).starts_with(w.as_str()));
            let part_concept = rules.lexicon.concept(concept).is_some_and(|c| c.part_of.is_some());
            if (closing && !part_concept) || claims.list.get(of).and_then(|w| w.concept.as_ref()) == Some(concept) {
                continue;
            }
        }
        let base = format!("narr.{concept}");
        let v = claim_value(c);
        match &c.scope {
            None => match fields.get(&base).and_then(|f| f.value.clone()) {
                None => put(fields, base, v, &c.text, c.span, None),
                Some(first) if first != v && !fields.contains_key(&format!("{base}.2")) => {
                    let note = Some(format!("第{}行另述为{}", c.span.line, c.text));
                    put(fields, format!("{base}.2"), v, &c.text, c.span, note);
                }
                Some(_) => {}
            },
            Some((kind, words)) => {
                let id = format!("{base}.narrow");
                if !fields.contains_key(&id) {
                    let kind = match kind.as_str() {
                        "unit" => "单位",
                        "channel" => "渠道",
                        _ => "期间",
                    };
                    put(fields, format!("{base}.narrow_scope"), Value::Text(format!("{kind}：{words}")), words, c.span, None);
                    put(fields, id, v, &c.text, c.span, Some(format!("口径较窄（{kind}：{words}）")));
                }
            }
        }
    }
    for s in &claims.said {
        put(fields, format!("narr.says.{}", s.id), Value::Text(s.text.clone()), &s.text, s.span, None);
    }
}

/// Per-claim values the `claims:` checks read, for a whole (with its parts) or a share.
pub fn locals(claims: &Claims, k: usize) -> Option<Vec<(&'static str, Value)>> {
    let c = claims.list.get(k)?;
    let text = |s: String| Value::Text(s);
    match &c.role {
        Role::Whole { parts, list } => {
            let ps: Vec<&Claim> = parts.iter().filter_map(|p| claims.list.get(*p)).collect();
            let sum: f64 = ps.iter().map(|p| p.value).sum();
            let exact = c.is_exact() && ps.iter().all(|p| p.is_exact());
            let listing: Vec<String> = ps.iter().map(|p| format!("{}{}", p.label.trim_start_matches(['其', '中', '，', ',', '(', '（', '：', ':']), crate::model::format_decimal(p.value))).collect();
            let num = |v: f64| if v.fract() == 0.0 { Value::Int(v as i64) } else { Value::Dec(v) };
            Some(vec![
                ("whole", num(c.value)),
                ("sum", num((sum * 100.0).round() / 100.0)),
                ("count", Value::Int(ps.len() as i64)),
                ("parts", text(listing.join("、"))),
                ("list", text(list.as_str().to_string())),
                ("exact", Value::Bool(exact)),
                ("unit", text(c.unit.clone())),
                ("concept", text(c.concept.clone().unwrap_or_default())),
                ("label", text(c.label.clone())),
                ("match", text(c.text.clone())),
            ])
        }
        Role::Share { num, base, listed } => {
            let n = claims.list.get(*num)?;
            let b = claims.list.get((*base)?)?;
            if b.value == 0.0 {
                return None;
            }
            let computed = n.value / b.value * 100.0;
            let step = 10f64.powi(-(c.decimals as i32));
            let rounded = (computed / step).round() * step;
            let truncated = (computed / step + 1e-9).floor() * step;
            let fits = (rounded - c.value).abs() < step / 2.0 || (truncated - c.value).abs() < step / 2.0;
            let shown = 10f64.powi(c.decimals as i32 + 1);
            Some(vec![
                ("rate", Value::Dec(c.value)),
                ("num", Value::Dec(n.value)),
                ("base", Value::Dec(b.value)),
                ("computed", Value::Dec((computed * shown).round() / shown)),
                ("fits", Value::Bool(fits)),
                ("exact", Value::Bool(n.is_exact() && b.is_exact())),
                ("listed", Value::Bool(*listed)),
                ("base_label", text(b.label.clone())),
                ("unit", text(n.unit.clone())),
                ("label", text(n.label.clone())),
                ("match", text(c.text.clone())),
            ])
        }
        _ => None,
    }
}

/// The names `locals` binds, per kind, for compiling `claims:` checks.
pub fn local_names(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "wholes" => Some(&["whole", "sum", "count", "parts", "list", "exact", "unit", "concept", "label", "match"]),
        "shares" => Some(&["rate", "num", "base", "computed", "fits", "exact", "listed", "base_label", "unit", "label", "match"]),
        _ => None,
    }
}

/// The claims of a kind: wholes (with at least one part) or shares (with a base).
pub fn of_kind(claims: &Claims, kind: &str) -> Vec<usize> {
    claims
        .list
        .iter()
        .enumerate()
        .filter(|(_, c)| match (kind, &c.role) {
            ("wholes", Role::Whole { .. }) => true,
            ("shares", Role::Share { base: Some(_), .. }) => true,
            _ => false,
        })
        .map(|(k, _)| k)
        .collect()
}

#[cfg(test)]
mod tests;

/// The claims as `check --format json` lists them: one object per figure (value, bound, unit,
/// concept, scope, role with the indexes of its parts or base, part of the report, line, text)
/// and one per set statement (`says`).
pub fn to_json(claims: &Claims) -> serde_json::Value {
    use serde_json::json;
    let mut out: Vec<serde_json::Value> = claims
        .list
        .iter()
        .map(|c| {
            let mut o = json!({
                "value": claim_value(c).to_json(),
                "bound": c.bound(),
                "unit": c.unit,
                "concept": c.concept,
                "label": c.label,
                "line": c.span.line,
                "text": c.text,
                "part": c.part,
            });
            if let Some((kind, words)) = &c.scope {
                o["scope"] = json!({"kind": kind, "words": words});
            }
            o["role"] = match &c.role {
                Role::Single => json!("single"),
                Role::Whole { parts, list } => json!({"whole": {"parts": parts, "list": list.as_str()}}),
                Role::Part { of } => json!({"part_of": of}),
                Role::Share { num, base, listed } => json!({"share": {"of": num, "base": base, "listed": listed}}),
                Role::Rate => json!("rate"),
            };
            o
        })
        .collect();
    out.extend(claims.said.iter().map(|s| json!({"says": s.id, "text": s.text, "line": s.span.line})));
    serde_json::Value::Array(out)
}
