//! HTML → text, without an HTML crate: a small tokenizer that knows tags, comments, raw-text
//! elements and character references, which is all a scraped report page needs.
//!
//! The output looks like the text dumps reviewers already read: block elements end a line, table
//! cells (`td`, `th`) stand one per line, empty cells vanish while `&nbsp;` cells keep their
//! U+00A0 (a blank-cell marker later stages can see), runs of blank lines collapse to one.

use encoding_rs::Encoding;

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
    let b = html.as_bytes();
    let mut w = Writer::default();
    let mut i = 0;
    while i < b.len() {
        let Some(off) = b[i..].iter().position(|&c| c == b'<') else {
            w.text(&html[i..]);
            break;
        };
        let lt = i + off;
        w.text(&html[i..lt]);
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
            w.text("<");
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
            w.line_break();
            continue;
        }
        w.tag(&name, closing);
    }
    w.finish()
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
/// elements, decodes character references.
#[derive(Default)]
struct Writer {
    out: String,
    /// Whitespace seen since the last character on this line.
    pending_space: bool,
    /// The current line has a character on it.
    line_has_text: bool,
    pre_depth: usize,
}

impl Writer {
    fn tag(&mut self, name: &str, closing: bool) {
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

    /// Trims line ends (ASCII whitespace only), keeps at most one blank line in a row, and drops
    /// blank lines at the start and end.
    fn finish(self) -> String {
        let mut out = String::with_capacity(self.out.len());
        let mut blank_run = 0;
        for line in self.out.split('\n') {
            let line = line.trim_end_matches([' ', '\t']);
            if line.is_empty() {
                blank_run += 1;
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
                if blank_run > 0 {
                    out.push('\n');
                }
            }
            blank_run = 0;
            out.push_str(line);
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }
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
