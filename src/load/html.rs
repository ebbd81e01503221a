//! HTML → text, without an HTML crate: a small tokenizer that knows tags, comments, raw-text
//! elements and character references, which is all a scraped report page needs.
//!
//! The output looks like the text dumps reviewers already read: block elements end a line, table
//! cells (`td`, `th`) stand one per line, empty cells vanish while `&nbsp;` cells keep their
//! U+00A0 (a blank-cell marker later stages can see), runs of blank lines collapse to one.

use encoding_rs::Encoding;

use super::tables::{SourceCell, SourceTable, TableOrigin, header_rows};

/// Elements whose content is not text at all: skipped up to their end tag.
const SKIPPED: &[&str] = &["script", "style", "noscript", "template"];

/// Elements that start and end a line.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "body",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "head",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "section",
    "select",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Block elements that also leave a blank line around them.
const PARAGRAPH: &[&str] = &[
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "pre",
    "table",
    "title",
];

/// Whether decoded text is clearly an HTML document: it starts (after whitespace, a BOM, an XML
/// declaration or comments) with `<!DOCTYPE html` or `<html`.
pub fn looks_like_html(text: &str) -> bool {
    let mut rest = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    loop {
        if let Some(after) = strip_prefix_ci(rest, "<?xml") {
            rest = after.split_once("?>").map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    let tag_follows = |s: &str| s.starts_with(|c: char| c.is_ascii_whitespace() || c == '>');
    strip_prefix_ci(rest, "<!doctype")
        .is_some_and(|r| strip_prefix_ci(r.trim_start(), "html").is_some())
        || strip_prefix_ci(rest, "<html").is_some_and(tag_follows)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The encoding an HTML document declares in its first 8 KiB: `<meta charset="…">` or
/// `<meta http-equiv="Content-Type" content="…; charset=…">`. Works on raw bytes: the label is
/// ASCII whatever the document's encoding.
pub fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(8 * 1024)];
    let mut pos = 0;
    while let Some(off) = find_ci(&head[pos..], b"<meta") {
        let start = pos + off + 5;
        if !head
            .get(start)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/')
        {
            pos = start;
            continue;
        }
        let (attrs, end) = parse_attributes(head, start);
        pos = end;
        let label = attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("charset"))
            .map(|(_, v)| v.clone())
            .or_else(|| {
                let is_content_type = attrs.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case("http-equiv")
                        && v.trim().eq_ignore_ascii_case("content-type")
                });
                let content = attrs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content"))?;
                is_content_type
                    .then(|| charset_from_content(&content.1))
                    .flatten()
            });
        if let Some(enc) = label.and_then(|l| Encoding::for_label(l.trim().as_bytes())) {
            // A UTF-16 label in a byte-oriented head cannot be true (HTML spec: read as UTF-8).
            if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                return Some(encoding_rs::UTF_8);
            }
            return Some(enc);
        }
    }
    None
}

/// `text/html; charset=gb2312` → `gb2312`.
fn charset_from_content(content: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let at = lower.find("charset")?;
    let rest = content[at + 7..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| c == ';' || c == '"' || c == '\'' || c.is_whitespace())
        .unwrap_or(rest.len());
    (end > 0).then(|| rest[..end].to_string())
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Attributes of a tag whose name ends at `start`, up to the closing `>`; returns them and the
/// offset just past the tag. Quoted values may contain `>`.
fn parse_attributes(b: &[u8], start: usize) -> (Vec<(String, String)>, usize) {
    let mut attrs = Vec::new();
    let mut i = start;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        match b.get(i) {
            None => return (attrs, b.len()),
            Some(b'>') => return (attrs, i + 1),
            Some(b'/') => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = String::from_utf8_lossy(&b[name_start..i]).into_owned();
        skip_ws(&mut i);
        let mut value = String::new();
        if b.get(i) == Some(&b'=') {
            i += 1;
            skip_ws(&mut i);
            match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let v_start = i + 1;
                    let v_end = b[v_start..]
                        .iter()
                        .position(|&c| c == q)
                        .map_or(b.len(), |p| v_start + p);
                    value = String::from_utf8_lossy(&b[v_start..v_end]).into_owned();
                    i = (v_end + 1).min(b.len());
                }
                _ => {
                    let v_start = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    value = String::from_utf8_lossy(&b[v_start..i]).into_owned();
                }
            }
        }
        if !name.is_empty() {
            attrs.push((name, value));
        }
    }
}

/// Offset just past the `>` that ends the tag whose name ends at `start` (quotes respected).
fn tag_end(b: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'>' => return i + 1,
            b'=' => {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if let Some(&q @ (b'"' | b'\'')) = b.get(i) {
                    i = b[i + 1..]
                        .iter()
                        .position(|&c| c == q)
                        .map_or(b.len(), |p| i + 1 + p + 1);
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// Reduces an HTML document to text (see the module documentation).
pub fn html_to_text(html: &str) -> String {
    html_to_document(html).0
}

/// Reduces an HTML document to text and the data tables it holds, as cell grids whose spans point
/// into that text. Page chrome (navigation, breadcrumbs, footers, share bars, 字体:[大 中 小]) is
/// left out of the text.
pub fn html_to_document(html: &str) -> (String, Vec<SourceTable>) {
    let (w, unterminated) = reduce(html, true);
    // A chrome element never closed (tag soup) would swallow the rest of the page: read the page
    // again without skipping chrome elements (chrome lines are still dropped).
    let w = if unterminated { reduce(html, false).0 } else { w };
    w.finish()
}

/// One pass over the markup; the flag says a chrome element was still open at the end.
fn reduce(html: &str, skip_chrome: bool) -> (Writer, bool) {
    let b = html.as_bytes();
    let mut w = Writer::default();
    // The chrome element being skipped and how deep its own name is nested inside it.
    let mut skip: Option<(String, usize)> = None;
    let mut i = 0;
    while i < b.len() {
        let Some(off) = b[i..].iter().position(|&c| c == b'<') else {
            if skip.is_none() {
                w.text(&html[i..]);
            }
            break;
        };
        let lt = i + off;
        if skip.is_none() {
            w.text(&html[i..lt]);
        }
        let rest = &b[lt..];
        if rest.starts_with(b"<!--") {
            i = find(b, lt + 4, b"-->").map_or(b.len(), |p| p + 3);
            continue;
        }
        if matches!(rest.get(1), Some(b'!' | b'?')) {
            // Doctype, CDATA, processing instruction: up to the next '>'.
            i = b[lt..]
                .iter()
                .position(|&c| c == b'>')
                .map_or(b.len(), |p| lt + p + 1);
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = lt + if closing { 2 } else { 1 };
        if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            // Not a tag: a literal '<' ("a < b", "<5件").
            if skip.is_none() {
                w.text("<");
            }
            i = lt + 1;
            continue;
        }
        let mut name_end = name_start;
        while name_end < b.len()
            && (b[name_end].is_ascii_alphanumeric() || matches!(b[name_end], b'-' | b':'))
        {
            name_end += 1;
        }
        let name = html[name_start..name_end].to_ascii_lowercase();
        i = tag_end(b, name_end);
        if !closing && SKIPPED.contains(&name.as_str()) {
            i = skip_raw_text(b, i, &name);
            if skip.is_none() {
                w.line_break();
            }
            continue;
        }
        if let Some((skipped, depth)) = &mut skip {
            if *skipped == name {
                let self_closing = b.get(i.wrapping_sub(2)) == Some(&b'/');
                if closing {
                    *depth -= 1;
                    if *depth == 0 {
                        skip = None;
                        w.line_break();
                    }
                } else if !self_closing {
                    *depth += 1;
                }
            }
            continue;
        }
        let wants_attrs = !closing && (TABLE_TAGS.contains(&name.as_str()) || (skip_chrome && CHROME_CANDIDATES.contains(&name.as_str())));
        let attrs = if wants_attrs { parse_attributes(b, name_end).0 } else { Vec::new() };
        if skip_chrome && !closing && !VOID.contains(&name.as_str()) && b.get(i.wrapping_sub(2)) != Some(&b'/') && is_chrome(&name, &attrs) {
            skip = Some((name, 1));
            w.line_break();
            continue;
        }
        w.tag(&name, closing, &attrs);
    }
    (w, skip.is_some())
}

/// Elements that never have content or an end tag.
const VOID: &[&str] = &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"];
/// Elements whose attributes the table builder reads.
const TABLE_TAGS: &[&str] = &["table", "tr", "td", "th"];
/// Elements that may be page chrome, judged by their name, class and id.
const CHROME_CANDIDATES: &[&str] = &["nav", "footer", "div", "ul", "ol", "section", "aside", "span", "p", "table", "td", "li", "dl"];
/// Words in a class or id that mark navigation, breadcrumbs, footers, share and tool bars.
const CHROME_WORDS: &[&str] = &[
    "nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "crumb", "crumbs", "footer", "foot", "share",
    "bdshare", "toolbar", "topbar", "position", "location", "dqwz", "wza", "sitemap", "copyright",
];

/// `<nav>`, `<footer>`, or an element whose class or id names navigation, breadcrumbs, footers,
/// share bars or tool bars (split on `-`, `_` and spaces: "bread-crumb", "page_footer").
fn is_chrome(name: &str, attrs: &[(String, String)]) -> bool {
    if matches!(name, "nav" | "footer") {
        return true;
    }
    attrs
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("class") || k.eq_ignore_ascii_case("id"))
        .flat_map(|(_, v)| v.split(|c: char| !c.is_ascii_alphanumeric()))
        .any(|word| {
            let word = word.to_ascii_lowercase();
            CHROME_WORDS.contains(&word.as_str()) || word.starts_with("bdshare") || word.contains("breadcrumb")
        })
}

/// A short line that is page chrome whatever element holds it: font-size switches, accessibility
/// and share links, print / close buttons, "当前位置" breadcrumbs.
fn is_chrome_line(line: &str) -> bool {
    let t = line.trim_matches(|c: char| c.is_whitespace());
    let n = t.chars().count();
    if n == 0 || n > 40 {
        return false;
    }
    let bare: String = t.chars().filter(|c| !c.is_whitespace() && !"【】[]（）()：:|｜".contains(*c)).collect();
    (t.contains("字体") && t.contains('大') && t.contains('小'))
        || ["当前位置", "您当前的位置", "您现在的位置", "您的位置", "分享到"].iter().any(|p| bare.starts_with(p))
        || (bare.contains("无障碍") && n <= 12)
        || matches!(bare.as_str(), "打印" | "关闭" | "打印本页" | "关闭窗口" | "打印关闭" | "打印本页关闭窗口" | "返回顶部" | "收藏" | "分享")
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Skips the content of a raw-text element up to and including `</name>` (any case).
fn skip_raw_text(b: &[u8], from: usize, name: &str) -> usize {
    let mut pos = from;
    while let Some(off) = b.get(pos..).and_then(|r| find_ci(r, b"</")) {
        let at = pos + off + 2;
        let after = at + name.len();
        let name_matches = b
            .get(at..after)
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()));
        let boundary = b
            .get(after)
            .is_none_or(|c| c.is_ascii_whitespace() || matches!(c, b'>' | b'/'));
        if name_matches && boundary {
            return tag_end(b, after);
        }
        pos = at;
    }
    b.len()
}

/// Builds the text: collapses whitespace outside `<pre>`, places line breaks for block
/// elements, decodes character references, and records table cells by their offsets in the text.
#[derive(Default)]
struct Writer {
    out: String,
    /// Whitespace seen since the last character on this line.
    pending_space: bool,
    /// The current line has a character on it.
    line_has_text: bool,
    pre_depth: usize,
    /// Tables open around the current position, innermost last.
    open_tables: Vec<TableBuilder>,
    /// Tables closed so far (offsets into `out`, before `finish`).
    done: Vec<TableBuilder>,
}

/// Deeper nesting than this is not a report's table: inner `<table>` tags are read as blocks.
const MAX_TABLE_DEPTH: usize = 32;
/// A colspan / rowspan beyond this is a broken attribute, not a wider table.
const MAX_SPAN: usize = 64;
/// Cells of one table past this are dropped (a report's tables have a few hundred).
const MAX_TABLE_CELLS: usize = 20_000;

#[derive(Default)]
struct TableBuilder {
    start: usize,
    end: usize,
    rows: Vec<Vec<RawCell>>,
    /// A cell is open (its start recorded, its end not yet).
    open_cell: Option<RawCell>,
    /// A table opened inside one of its cells: this one is layout, not data.
    layout: bool,
    cells: usize,
}

#[derive(Clone, Copy)]
struct RawCell {
    start: usize,
    end: usize,
    colspan: usize,
    rowspan: usize,
    th: bool,
}

fn span_attr(attrs: &[(String, String)], name: &str) -> usize {
    attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.trim().trim_matches(['"', '\'']).parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, MAX_SPAN)
}

impl TableBuilder {
    fn close_cell(&mut self, at: usize) {
        if let Some(mut c) = self.open_cell.take() {
            c.end = at.max(c.start);
            if self.rows.is_empty() {
                self.rows.push(Vec::new());
            }
            if self.cells < MAX_TABLE_CELLS {
                self.cells += 1;
                if let Some(row) = self.rows.last_mut() {
                    row.push(c);
                }
            }
        }
    }
}

impl Writer {
    fn tag(&mut self, name: &str, closing: bool, attrs: &[(String, String)]) {
        match name {
            "br" => self.newline(),
            "pre" => {
                self.paragraph_break();
                self.pre_depth = if closing {
                    self.pre_depth.saturating_sub(1)
                } else {
                    self.pre_depth + 1
                };
            }
            "table" if closing => {
                let at = self.out.len();
                if let Some(mut t) = self.open_tables.pop() {
                    t.close_cell(at);
                    t.end = at;
                    if !t.layout {
                        self.done.push(t);
                    }
                }
                self.paragraph_break();
            }
            "table" => {
                self.paragraph_break();
                if let Some(outer) = self.open_tables.last_mut() {
                    outer.layout = true;
                }
                if self.open_tables.len() < MAX_TABLE_DEPTH {
                    self.open_tables.push(TableBuilder { start: self.out.len(), ..TableBuilder::default() });
                }
            }
            "tr" => {
                self.line_break();
                let at = self.out.len();
                if let Some(t) = self.open_tables.last_mut() {
                    t.close_cell(at);
                    if !closing {
                        t.rows.push(Vec::new());
                    }
                }
            }
            "td" | "th" => {
                self.line_break();
                let at = self.out.len();
                if let Some(t) = self.open_tables.last_mut() {
                    t.close_cell(at);
                    if !closing {
                        t.open_cell = Some(RawCell {
                            start: at,
                            end: at,
                            colspan: span_attr(attrs, "colspan"),
                            rowspan: span_attr(attrs, "rowspan"),
                            th: name == "th",
                        });
                    }
                }
            }
            _ if PARAGRAPH.contains(&name) => self.paragraph_break(),
            _ if BLOCK.contains(&name) => self.line_break(),
            // Inline elements: adjacent cells of text run together as a browser shows them.
            _ => {}
        }
    }

    fn text(&mut self, s: &str) {
        let mut rest = s;
        while let Some(amp) = rest.find('&') {
            self.chars(&rest[..amp]);
            let (decoded, used) = char_reference(&rest[amp..]);
            self.push(decoded.unwrap_or('&'));
            rest = &rest[amp + used..];
        }
        self.chars(rest);
    }

    fn chars(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    fn push(&mut self, c: char) {
        if self.pre_depth > 0 {
            match c {
                '\r' => {}
                '\n' => self.newline(),
                _ => {
                    self.out.push(c);
                    self.line_has_text = true;
                }
            }
            return;
        }
        // ASCII whitespace collapses; U+00A0 and U+3000 are content (blank-cell markers, indents).
        if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
            self.pending_space = self.line_has_text;
            return;
        }
        if self.pending_space {
            self.out.push(' ');
            self.pending_space = false;
        }
        self.out.push(c);
        self.line_has_text = true;
    }

    /// Ends the current line if it has text.
    fn line_break(&mut self) {
        self.pending_space = false;
        if self.line_has_text {
            self.out.push('\n');
            self.line_has_text = false;
        }
    }

    fn paragraph_break(&mut self) {
        self.line_break();
        self.out.push('\n');
    }

    /// `<br>` or a newline in `<pre>`: always a new line, so `<br><br>` leaves a blank one.
    fn newline(&mut self) {
        self.pending_space = false;
        self.out.push('\n');
        self.line_has_text = false;
    }

    /// Trims line ends (ASCII whitespace only), drops chrome lines, keeps at most one blank line
    /// in a row, and drops blank lines at the start and end; then places the tables' cells in
    /// the finished text.
    fn finish(mut self) -> (String, Vec<SourceTable>) {
        // Tables never closed end with the page.
        let end = self.out.len();
        while let Some(mut t) = self.open_tables.pop() {
            t.close_cell(end);
            t.end = end;
            if !t.layout {
                self.done.push(t);
            }
        }
        let mut out = String::with_capacity(self.out.len());
        // (raw line start, kept length, start in `out`) for every raw line, in order.
        let mut map: Vec<(usize, usize, usize)> = Vec::new();
        let mut blank_run = 0;
        let mut raw_start = 0;
        for line in self.out.split('\n') {
            let this_start = raw_start;
            raw_start += line.len() + 1;
            let trimmed = line.trim_end_matches([' ', '\t']);
            if trimmed.is_empty() || is_chrome_line(trimmed) {
                blank_run += 1;
                map.push((this_start, 0, out.len()));
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
                if blank_run > 0 {
                    out.push('\n');
                }
            }
            blank_run = 0;
            map.push((this_start, trimmed.len(), out.len()));
            out.push_str(trimmed);
        }
        if !out.is_empty() {
            out.push('\n');
        }
        let place = |raw: usize| -> usize {
            let i = map.partition_point(|m| m.0 <= raw).saturating_sub(1);
            map.get(i).map_or(0, |&(s, len, at)| at + (raw - s).min(len))
        };
        let mut tables: Vec<SourceTable> = self
            .done
            .iter()
            .filter_map(|t| grid(t, &out, &place))
            .collect();
        tables.sort_by_key(|t| t.start);
        (out, tables)
    }
}

/// Expands a table's rows into the grid the eye sees (colspan / rowspan), with cell spans in
/// the finished text. Tables without at least two rows or two columns are not data.
fn grid(t: &TableBuilder, text: &str, place: &dyn Fn(usize) -> usize) -> Option<SourceTable> {
    let rows: Vec<&Vec<RawCell>> = t.rows.iter().filter(|r| !r.is_empty()).collect();
    let mut grid: Vec<Vec<Option<SourceCell>>> = Vec::with_capacity(rows.len());
    let mut th_rows: Vec<bool> = Vec::with_capacity(rows.len());
    for (r, row) in rows.iter().enumerate() {
        if grid.len() <= r {
            grid.resize_with(r + 1, Vec::new);
        }
        th_rows.push(row.iter().all(|c| c.th));
        let mut c = 0;
        for cell in row.iter() {
            while grid[r].get(c).is_some_and(Option::is_some) {
                c += 1;
            }
            let (s, e) = (place(cell.start), place(cell.end));
            let base = SourceCell::from_text(text, s, e);
            let rowspan = cell.rowspan.min(rows.len() - r);
            for dr in 0..rowspan {
                if grid.len() <= r + dr {
                    grid.resize_with(r + dr + 1, Vec::new);
                }
                for dc in 0..cell.colspan {
                    let line = &mut grid[r + dr];
                    if line.len() <= c + dc {
                        line.resize(c + dc + 1, None);
                    }
                    if line[c + dc].is_none() {
                        let mut copy = base.clone();
                        copy.merged = dr > 0 || dc > 0;
                        line[c + dc] = Some(copy);
                    }
                }
            }
            c += cell.colspan;
        }
    }
    let width = grid.iter().map(Vec::len).max().unwrap_or(0);
    if grid.len() < 2 && width < 2 || width == 0 {
        return None;
    }
    let rows: Vec<Vec<SourceCell>> = grid
        .into_iter()
        .map(|line| {
            let at = line.iter().flatten().last().map_or(0, |c| c.end);
            let mut cells: Vec<SourceCell> = line
                .into_iter()
                .map(|c| c.unwrap_or_else(|| SourceCell::blank_at(at)))
                .collect();
            cells.resize_with(width, || SourceCell::blank_at(at));
            cells
        })
        .collect();
    let header_rows = header_rows(&rows, &th_rows);
    Some(SourceTable {
        origin: TableOrigin::Html,
        rows,
        header_rows,
        start: place(t.start),
        end: place(t.end),
    })
}

/// Decodes the character reference at the start of `s` (which starts with '&'): the result and
/// the bytes used. `None` leaves the '&' as text.
fn char_reference(s: &str) -> (Option<char>, usize) {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (hex, digits_start) = match b.get(2) {
            Some(b'x' | b'X') => (true, 3),
            _ => (false, 2),
        };
        let digits = b[digits_start..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 {
            return (None, 1);
        }
        let end = digits_start + digits;
        let used = if b.get(end) == Some(&b';') {
            end + 1
        } else {
            end
        };
        let text = &s[digits_start..end];
        let value = u32::from_str_radix(text, if hex { 16 } else { 10 }).unwrap_or(u32::MAX);
        return (Some(numeric_reference(value)), used);
    }
    let name_len = b[1..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len == 0 {
        return (None, 1);
    }
    let name = &s[1..1 + name_len];
    let has_semicolon = b.get(1 + name_len) == Some(&b';');
    // Without ';' only the old entities browsers accept that way are read.
    if !has_semicolon && !matches!(name, "nbsp" | "amp" | "lt" | "gt" | "quot" | "copy" | "reg") {
        return (None, 1);
    }
    match named_reference(name) {
        Some(r) => (Some(r), 1 + name_len + usize::from(has_semicolon)),
        None => (None, 1),
    }
}

/// A numeric reference's character, as browsers read it: 0, surrogates and out-of-range values
/// become U+FFFD; 0x80–0x9F are read as windows-1252 (`&#150;` is an en dash).
fn numeric_reference(value: u32) -> char {
    if (0x80..=0x9F).contains(&value) {
        let byte = [value as u8];
        let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
        return s.chars().next().unwrap_or('\u{FFFD}');
    }
    match value {
        0 => '\u{FFFD}',
        v => char::from_u32(v).unwrap_or('\u{FFFD}'),
    }
}

/// Named references common in scraped report pages.
fn named_reference(name: &str) -> Option<char> {
    let c = match name {
        "nbsp" => '\u{A0}',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        "zwnj" => '\u{200C}',
        "zwj" => '\u{200D}',
        "shy" => '\u{AD}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "middot" => '·',
        "bull" => '•',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "deg" => '°',
        "permil" => '‰',
        "sect" => '§',
        "para" => '¶',
        "yen" => '¥',
        "euro" => '€',
        "pound" => '£',
        "cent" => '¢',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "sup2" => '²',
        "sup3" => '³',
        "micro" => 'µ',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        "le" => '≤',
        "ge" => '≥',
        "ne" => '≠',
        "radic" => '√',
        "prime" => '′',
        "Prime" => '″',
        "iexcl" => '¡',
        "iquest" => '¿',
        _ => return None,
    };
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_styles_comments_are_dropped() {
        let html = "<!DOCTYPE html><html><head><title>年度报告</title>\
            <style>p { color: red } </style><script>var a = '<p>不是正文</p>'; if (a < b) {}</script>\
            <noscript>请启用脚本</noscript></head><body><!-- 注释 <p>也不是</p> -->\
            <p>一、总体情况</p><SCRIPT type=\"text/javascript\">document.write(\"</div>\")</SCRIPT ><p>正文</p></body></html>";
        assert_eq!(html_to_text(html), "年度报告\n\n一、总体情况\n\n正文\n");
    }

    #[test]
    fn table_cells_one_per_line() {
        let html = "<table><tr><th>信息内容</th><th>本年新制作数量</th></tr>\
            <tr><td>规章</td><td>0</td><td></td><td>&nbsp;</td></tr>\n<tr><td> 规范性\n 文件 </td><td>10</td></tr></table>";
        assert_eq!(
            html_to_text(html),
            "信息内容\n本年新制作数量\n规章\n0\n\u{A0}\n规范性 文件\n10\n"
        );
    }

    #[test]
    fn entities_are_decoded() {
        let html = "<p>a&nbsp;b &lt;c&gt; &amp; &quot;d&quot; &#20013;&#x6587; &#150; &hellip; &unknown; AT&T &amp</p>";
        assert_eq!(
            html_to_text(html),
            "a\u{A0}b <c> & \"d\" 中文 – … &unknown; AT&T &\n"
        );
        assert_eq!(
            html_to_text("&#0;&#xD800;&#99999999999;"),
            "\u{FFFD}\u{FFFD}\u{FFFD}\n"
        );
    }

    #[test]
    fn blocks_breaks_and_blank_lines() {
        let html = "<div>一</div><div>二<br>三<br><br><br><br>四</div><p></p><p></p><p>五</p>\
            <ul><li>甲</li><li>乙</li></ul><span>丙</span><b>丁</b>";
        assert_eq!(
            html_to_text(html),
            "一\n二\n三\n\n四\n\n五\n\n甲\n乙\n丙丁\n"
        );
    }

    #[test]
    fn pre_keeps_its_whitespace() {
        let html = "<p>x</p><pre>  统 计 指 标 |\n  条 |   2848 |\n</pre>";
        assert_eq!(
            html_to_text(html),
            "x\n\n  统 计 指 标 |\n  条 |   2848 |\n"
        );
    }

    #[test]
    fn literal_angle_brackets_and_quoted_gt() {
        assert_eq!(html_to_text("<p>a < b, 1<2件</p>"), "a < b, 1<2件\n");
        assert_eq!(
            html_to_text("<a title=\"x > y\" href='>'>链接</a>"),
            "链接\n"
        );
        // An unclosed tag or comment at the end consumes the rest without panicking.
        assert_eq!(html_to_text("正文<!-- 未结束"), "正文\n");
        assert_eq!(html_to_text("正文<div class=\"x"), "正文\n");
        assert_eq!(html_to_text("正文<script>没有结束"), "正文\n");
    }

    #[test]
    fn recognises_html_documents() {
        assert!(looks_like_html("<!DOCTYPE html>\n<html>"));
        assert!(looks_like_html(
            "\u{FEFF}  <!doctype HTML PUBLIC \"-//W3C//DTD XHTML 1.0\">"
        ));
        assert!(looks_like_html(
            "<?xml version=\"1.0\"?>\n<!-- saved --><html lang=\"zh\">"
        ));
        assert!(looks_like_html("<HTML>"));
        assert!(!looks_like_html("<htmlx>"));
        assert!(!looks_like_html("政府信息公开 <html>"));
        assert!(!looks_like_html("<p>片段</p>"));
    }

    #[test]
    fn meta_charset_forms() {
        let enc = |s: &str| meta_charset(s.as_bytes()).map(|e| e.name());
        assert_eq!(enc("<meta charset=\"gb2312\">"), Some("GBK"));
        assert_eq!(enc("<META CHARSET=big5>"), Some("Big5"));
        assert_eq!(
            enc("<meta http-equiv='Content-Type' content='text/html; charset=GB18030' />"),
            Some("gb18030")
        );
        assert_eq!(
            enc("<meta content=\"text/html;charset=utf-8\" http-equiv=\"content-type\">"),
            Some("UTF-8")
        );
        assert_eq!(
            enc("<meta name=\"keywords\" content=\"charset=gbk\">"),
            None,
            "not a content-type"
        );
        assert_eq!(enc("<meta charset=\"no-such-label\">"), None);
        assert_eq!(enc("<metadata charset=gbk>"), None);
    }

    #[test]
    fn long_single_line_is_linear() {
        let html = format!("<p>{}</p>", "数&nbsp;字 ".repeat(100_000));
        let start = std::time::Instant::now();
        let text = html_to_text(&html);
        assert!(text.starts_with("数\u{A0}字 数"));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    fn cells(t: &SourceTable, text: &str) -> Vec<Vec<String>> {
        t.rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| {
                        assert_eq!(&text[c.start..c.end], if c.blank { "" } else { &text[c.start..c.end] });
                        let shown: String = text[c.start..c.end].split_whitespace().collect::<Vec<_>>().join(" ");
                        assert_eq!(shown, c.text, "span and text agree");
                        if c.blank { "_".to_string() } else if c.merged { format!("<{}>", c.text) } else { c.text.clone() }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn spans_are_expanded_and_point_into_the_text() {
        let html = "<html><body><p>三、收到和处理政府信息公开申请情况</p><table>\
            <tr><td colspan=\"3\" rowspan=\"2\">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td><td colspan=2>申请人情况</td></tr>\
            <tr><td>自然人</td><td>总计</td></tr>\
            <tr><td colspan=3><p>一、本年新收</p><p>政府信息公开申请数量</p></td><td>5</td><td>&nbsp;</td></tr>\
            <tr><td colspan=3>二、上年结转</td><td>\u{3000}</td><td>0</td></tr></table><p>四、结果</p></body></html>";
        let (text, tables) = html_to_document(html);
        assert_eq!(tables.len(), 1, "{text}");
        let t = &tables[0];
        let g = cells(t, &text);
        assert_eq!(g[0].len(), 5);
        assert_eq!(g[0][3], "申请人情况");
        assert_eq!(g[0][4], "<申请人情况>");
        assert_eq!(g[1][0], "<（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）>");
        assert_eq!(g[1][3..], ["自然人", "总计"]);
        assert_eq!(g[2][0], "一、本年新收 政府信息公开申请数量");
        assert_eq!(g[2][3..], ["5", "_"]);
        assert_eq!(g[3][3..], ["_", "0"]);
        assert_eq!(t.header_rows, 2);
        assert!(text[t.start..t.end].contains("申请人情况"));
    }

    #[test]
    fn layout_tables_are_not_data_and_chrome_is_dropped() {
        let html = "<html><body><div class=\"nav-bar\"><ul><li>首页</li><li>政务公开</li></ul></div>\
            <div class=\"bread-crumb\">当前位置：首页 &gt; 年报</div>\
            <table width=100%><tr><td><table><tr><td>字体：[ 大 中 小 ]</td></tr></table>\
            <div><table><tr><td>规章</td><td>0</td></tr><tr><td>规范性文件</td><td>3</td></tr></table></div></td></tr></table>\
            <div id=footer><p>主办单位：某某人民政府办公室</p></div><p>无障碍</p></body></html>";
        let (text, tables) = html_to_document(html);
        assert!(!text.contains("首页"), "{text}");
        assert!(!text.contains("主办单位"), "{text}");
        assert!(!text.contains("字体"), "{text}");
        assert!(!text.contains("无障碍"), "{text}");
        assert_eq!(tables.len(), 1, "only the innermost table with data");
        assert_eq!(cells(&tables[0], &text), [["规章", "0"], ["规范性文件", "3"]]);
    }

    #[test]
    fn an_unclosed_chrome_element_does_not_swallow_the_page() {
        let (text, _) = html_to_document("<div class=menu><p>菜单</p><p>一、总体情况</p><p>正文</p>");
        assert!(text.contains("正文"), "{text}");
    }

    #[test]
    fn deeply_nested_and_unclosed_tables_are_bounded() {
        let html = format!("{}<tr><td>甲</td><td>1</td></tr>", "<table><tr><td>".repeat(10_000));
        let (text, tables) = html_to_document(&html);
        assert!(text.contains('甲'));
        assert!(tables.len() <= 1);
        let (_, tables) = html_to_document("<table><tr><td colspan=99999>a<td>b<tr><td>1<td>2");
        assert_eq!(tables.len(), 1);
        assert!(tables[0].columns() <= MAX_SPAN + 1);
    }
}
