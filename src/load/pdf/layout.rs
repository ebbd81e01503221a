//! Glyphs → lines in reading order, and what is page furniture rather than report text.
//!
//! Chinese has no spaces between words, so a gap between two CJK glyphs only becomes a space
//! when it is wide enough to separate columns; between Latin letters and digits an ordinary word
//! gap does. Glyphs drawn twice at almost the same place (WPS's fake bold) are read once.

use std::collections::HashMap;

use super::content::Glyph;

#[derive(Debug, Clone)]
pub struct Line {
    pub x0: f64,
    pub x1: f64,
    /// Baseline.
    pub y: f64,
    pub size: f64,
    pub text: String,
    /// Width of what the line starts with that could not have ended the line before: a run of
    /// Latin letters and digits, an opening bracket or quote with the character after it, or
    /// one character. A line that ended short by less than this was still full.
    pub lead: f64,
    /// Runs of the line separated by wide gaps (over 1.5 em): columns, when the line is a row
    /// of a table drawn without rules. (x0, x1, text).
    pub chunks: Vec<(f64, f64, String)>,
}

impl Line {
    pub fn top(&self) -> f64 {
        self.y + 0.8 * self.size
    }
}

/// Characters set full width in Chinese text: ideographs, CJK and full-width punctuation, and the
/// curly quotes and dashes Chinese fonts draw full width.
fn wide(c: char) -> bool {
    c >= '\u{2E80}' || ('\u{2010}'..='\u{206F}').contains(&c)
}

/// Lines of glyphs, top to bottom, each left to right.
pub fn lines(glyphs: &[&Glyph]) -> Vec<Line> {
    let mut sorted: Vec<&Glyph> = glyphs.to_vec();
    sorted.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x0.total_cmp(&b.x0)));
    let mut groups: Vec<Vec<&Glyph>> = Vec::new();
    for g in sorted {
        match groups.last_mut() {
            Some(line) if (line[0].y - g.y).abs() <= 0.4 * line[0].size.max(g.size) => line.push(g),
            _ => groups.push(vec![g]),
        }
    }
    groups.into_iter().filter_map(line_of).collect()
}

fn line_of(mut glyphs: Vec<&Glyph>) -> Option<Line> {
    glyphs.sort_by(|a, b| a.x0.total_cmp(&b.x0));
    let mut text = String::new();
    let mut prev: Option<&Glyph> = None;
    let mut size: f64 = 0.0;
    let mut chunks: Vec<(f64, f64, String)> = Vec::new();
    for g in &glyphs {
        let mut new_chunk = prev.is_none();
        if let Some(p) = prev {
            let sz = p.size.max(g.size);
            // The same glyph drawn again on top of itself (fake bold, shadow).
            // Fake bold shifts the copy by a small fraction of the glyph; "tt" or "//" in a
            // narrow font are a whole glyph apart.
            if p.ch == g.ch && (g.x0 - p.x0).abs() < (0.2 * (p.x1 - p.x0)).max(0.04 * sz) {
                continue;
            }
            let gap = g.x0 - p.x1;
            if gap > 1.5 * sz {
                text.push_str("  ");
                new_chunk = true;
            } else if !(wide(p.ch) && wide(g.ch)) && gap > 0.15 * sz {
                text.push(' ');
                if let Some(c) = chunks.last_mut() {
                    c.2.push(' ');
                }
            }
        }
        if new_chunk {
            chunks.push((g.x0, g.x1, String::new()));
        }
        if let Some(c) = chunks.last_mut() {
            c.1 = c.1.max(g.x1);
            c.2.push(g.ch);
        }
        text.push(g.ch);
        size = size.max(g.size);
        prev = Some(g);
    }
    let first = glyphs.first()?;
    let opening = |c: char| "《（(“‘〈【[「『".contains(c);
    let word = |from: usize| glyphs[from..].iter().take_while(|g| g.ch.is_ascii_alphanumeric() || ".,%-/".contains(g.ch)).count();
    let skip = usize::from(opening(first.ch));
    let lead_end = skip + word(skip).max(1);
    let lead = glyphs[..lead_end.min(glyphs.len())].last().map_or(0.0, |g| g.x1 - first.x0);
    Some(Line {
        x0: first.x0,
        x1: glyphs.iter().map(|g| g.x1).fold(f64::MIN, f64::max),
        y: first.y,
        size,
        text,
        lead,
        chunks,
    })
}

/// A table cell's text: its lines joined (a wrapped label reads as one), whitespace collapsed.
pub fn cell_text(glyphs: &[&Glyph]) -> String {
    let mut out = String::new();
    for line in lines(glyphs) {
        let t = line.text.split_whitespace().collect::<Vec<_>>().join(" ");
        if let (Some(a), Some(b)) = (out.chars().last(), t.chars().next())
            && a.is_ascii_alphabetic()
            && b.is_ascii_alphabetic()
        {
            out.push(' ');
        }
        out.push_str(&t);
    }
    out
}

/// A bare page number: "3", "- 3 -", "—3—", "第3页", "第 3 页 共 6 页", "3 / 6", "Page 3".
pub fn is_page_number(text: &str) -> bool {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() || t.chars().count() > 16 {
        return false;
    }
    let core = t.trim_matches(|c| matches!(c, '-' | '—' | '–' | '－' | '~' | '·' | '•' | '(' | ')' | '（' | '）'));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if digits(core) {
        return true;
    }
    if let Some(rest) = core.strip_prefix('第') {
        let rest = rest.split('共').next().unwrap_or("");
        if let Some(n) = rest.strip_suffix('页') {
            return digits(n);
        }
    }
    if let Some((a, b)) = core.split_once('/') {
        return digits(a) && digits(b);
    }
    core.strip_prefix("Page").or_else(|| core.strip_prefix("page")).is_some_and(digits)
}

/// Which lines of each page are page furniture: page numbers at the top or bottom of the page,
/// and text repeated at the same place on most pages (running headers and footers).
/// `pages[i]` is (page height, its lines top to bottom); returns, per page, a keep flag per line.
pub fn furniture(pages: &[(f64, Vec<Line>)]) -> Vec<Vec<bool>> {
    let margin = |h: f64, l: &Line| l.y > h * 0.88 || l.y < h * 0.12;
    let key = |l: &Line| {
        let t: String = l.text.chars().filter(|c| !c.is_whitespace()).map(|c| if c.is_ascii_digit() { '#' } else { c }).collect();
        ((l.y / 3.0).round() as i64, t)
    };
    let mut seen: HashMap<(i64, String), usize> = HashMap::new();
    for (h, lines) in pages {
        let mut on_page: Vec<(i64, String)> = lines.iter().filter(|l| margin(*h, l)).map(key).collect();
        on_page.sort();
        on_page.dedup();
        for k in on_page {
            *seen.entry(k).or_default() += 1;
        }
    }
    let repeated = |k: &(i64, String)| pages.len() >= 3 && seen.get(k).is_some_and(|&n| n >= 2 && n * 2 >= pages.len());
    pages
        .iter()
        .map(|(h, lines)| {
            let n = lines.len();
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let edge = i == 0 || i + 1 == n || margin(*h, l);
                    !(edge && is_page_number(&l.text) || margin(*h, l) && repeated(&key(l)))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(ch: char, x0: f64, y: f64) -> Glyph {
        let w = if ch.is_ascii() { 6.0 } else { 12.0 };
        Glyph { ch, x0, x1: x0 + w, y, size: 12.0 }
    }

    fn run(s: &str, x: f64, y: f64, gap: f64) -> Vec<Glyph> {
        let mut out = Vec::new();
        let mut x = x;
        for ch in s.chars() {
            let gl = g(ch, x, y);
            x = gl.x1 + gap;
            out.push(gl);
        }
        out
    }

    #[test]
    fn chinese_needs_no_spaces_digits_keep_theirs() {
        let mut gl = run("受理申请", 0.0, 100.0, 0.5);
        gl.extend(run("3119", 52.0, 100.0, 0.0)); // a word gap of 4pt before the digits
        gl.extend(run("件", 80.0, 100.3, 0.0));
        let refs: Vec<&Glyph> = gl.iter().collect();
        let ls = lines(&refs);
        assert_eq!(ls.len(), 1);
        assert_eq!(ls[0].text, "受理申请 3119 件");
    }

    #[test]
    fn lines_come_top_down_and_fake_bold_reads_once() {
        let mut gl = run("二行", 0.0, 80.0, 0.0);
        gl.extend(run("一行", 0.0, 100.0, 0.0));
        gl.extend(run("一行", 0.4, 100.0, 0.0));
        let refs: Vec<&Glyph> = gl.iter().collect();
        let t: Vec<String> = lines(&refs).into_iter().map(|l| l.text).collect();
        assert_eq!(t, ["一行", "二行"]);
    }

    #[test]
    fn wide_gaps_separate_columns() {
        let mut gl = run("规章", 0.0, 100.0, 0.0);
        gl.extend(run("1", 100.0, 100.0, 0.0));
        let refs: Vec<&Glyph> = gl.iter().collect();
        assert_eq!(lines(&refs)[0].text, "规章  1");
    }

    #[test]
    fn wrapped_cell_text_joins() {
        let mut gl = run("（二）部分公开（区分", 0.0, 100.0, 0.0);
        gl.extend(run("处理的）", 0.0, 86.0, 0.0));
        let refs: Vec<&Glyph> = gl.iter().collect();
        assert_eq!(cell_text(&refs), "（二）部分公开（区分处理的）");
    }

    #[test]
    fn page_numbers() {
        for t in ["3", "- 3 -", "—3—", "第3页", "第 3 页 共 6 页", "3 / 6", "-12-"] {
            assert!(is_page_number(t), "{t}");
        }
        for t in ["3119 件", "第三页", "一、总体情况", "", "（一）"] {
            assert!(!is_page_number(t), "{t}");
        }
    }

    #[test]
    fn running_headers_and_page_numbers_are_furniture() {
        let line = |t: &str, y: f64| Line { x0: 0.0, x1: 100.0, y, size: 10.0, text: t.to_string(), lead: 10.0, chunks: Vec::new() };
        let pages: Vec<(f64, Vec<Line>)> = (1..=4)
            .map(|p| (800.0, vec![line("某某县人民政府文件", 780.0), line("正文", 400.0), line(&format!("- {p} -"), 30.0)]))
            .collect();
        let keep = furniture(&pages);
        for k in keep {
            assert_eq!(k, [false, true, false]);
        }
        // Text that happens to be at the top of one page only is kept.
        let once = vec![(800.0, vec![line("一、总体情况", 780.0), line("正文", 400.0)])];
        assert_eq!(furniture(&once)[0], [true, true]);
    }
}
