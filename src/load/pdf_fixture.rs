//! A small PDF writer for tests and benchmarks: pages of text in a CID font with Identity-H
//! encoding and a ToUnicode map (how WPS and Word write Chinese), ruling lines, images, and the
//! damaged and hostile shapes the reader must survive. No font program is embedded: the reader
//! needs only the codes, the widths and the map.

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// One page: text runs and lines, in points from the bottom-left of an A4 page.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub texts: Vec<(f64, f64, f64, String)>,
    pub lines: Vec<(f64, f64, f64, f64)>,
    /// Paints a 1×1 image over the page (a scanned page has only this).
    pub image: bool,
}

impl Page {
    /// Text at (x, y) baseline in `size` points.
    pub fn text(&mut self, x: f64, y: f64, size: f64, s: &str) -> &mut Self {
        self.texts.push((x, y, size, s.to_string()));
        self
    }
    pub fn line(&mut self, x0: f64, y0: f64, x1: f64, y1: f64) -> &mut Self {
        self.lines.push((x0, y0, x1, y1));
        self
    }
    /// A ruled grid: `cols` boundaries left to right, `rows` boundaries top to bottom; every
    /// rule full length, except vertical rules listed in `skip` as (boundary index, row index),
    /// which leave that row's cell merged with its right neighbour.
    pub fn grid(&mut self, cols: &[f64], rows: &[f64], skip: &[(usize, usize)]) -> &mut Self {
        let (l, r) = (cols[0], cols[cols.len() - 1]);
        for &y in rows {
            self.line(l, y, r, y);
        }
        for (i, &x) in cols.iter().enumerate() {
            for w in 0..rows.len() - 1 {
                if !skip.contains(&(i, w)) {
                    self.line(x, rows[w], x, rows[w + 1]);
                }
            }
        }
        self
    }
}

/// Width in 1/1000 em: ASCII half width, everything else full width.
fn width(c: char) -> u32 {
    if c.is_ascii() { 500 } else { 1000 }
}

/// The bytes of a PDF with these pages.
pub fn pdf(pages: &[Page]) -> Vec<u8> {
    let chars: BTreeSet<char> = pages.iter().flat_map(|p| p.texts.iter().flat_map(|t| t.3.chars())).collect();
    let mut objects: Vec<Vec<u8>> = Vec::new();
    // 1 catalog, 2 pages, 3 font, 4 descendant, 5 tounicode, 6 image, then (page, content) pairs.
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids: String = (0..pages.len()).map(|i| format!("{} 0 R ", 7 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{kids}] /Count {} >>", pages.len()).into_bytes());
    objects.push(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /FixtureSong /Encoding /Identity-H /DescendantFonts [4 0 R] /ToUnicode 5 0 R >>"
            .to_vec(),
    );
    let mut w = String::new();
    for c in chars.iter().filter(|c| c.is_ascii()) {
        let _ = write!(w, "{} [{}] ", *c as u32, width(*c));
    }
    objects.push(
        format!(
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /FixtureSong /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 /W [{w}] >>"
        )
        .into_bytes(),
    );
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Fixture def /CMapType 2 def\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n",
    );
    let bmp: Vec<char> = chars.iter().copied().filter(|c| (*c as u32) < 0x10000).collect();
    for chunk in bmp.chunks(100) {
        let _ = writeln!(cmap, "{} beginbfchar", chunk.len());
        for c in chunk {
            let _ = writeln!(cmap, "<{:04X}> <{:04X}>", *c as u32, *c as u32);
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap CMapName currentdict /CMap defineresource pop end end\n");
    objects.push(stream("", cmap.as_bytes()));
    objects.push(stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8", &[128]));
    for (i, p) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 6 0 R >> >> /Contents {} 0 R >>",
                8 + 2 * i
            )
            .into_bytes(),
        );
        objects.push(stream("", &content(p)));
    }
    write_file(&objects, "")
}

fn content(p: &Page) -> Vec<u8> {
    let mut s = String::new();
    if p.image {
        s.push_str("q 595 0 0 842 0 0 cm /Im1 Do Q\n");
    }
    for (x, y, size, t) in &p.texts {
        let hex: String = t.chars().filter(|c| (*c as u32) < 0x10000).map(|c| format!("{:04X}", c as u32)).collect();
        let _ = writeln!(s, "BT /F1 {size} Tf 1 0 0 1 {x} {y} Tm <{hex}> Tj ET");
    }
    if !p.lines.is_empty() {
        s.push_str("0.5 w\n");
    }
    for (x0, y0, x1, y1) in &p.lines {
        let _ = writeln!(s, "{x0} {y0} m {x1} {y1} l S");
    }
    s.into_bytes()
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// Numbers the objects 1.., writes the cross-reference table and the trailer (plus `extra`
/// trailer entries).
fn write_file(objects: &[Vec<u8>], extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(table, "{off:010} 00000 n ");
    }
    let _ = write!(table, "trailer\n<< /Size {} /Root 1 0 R {extra} >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    out.extend_from_slice(table.as_bytes());
    out
}

/// A PDF whose trailer names a standard security handler: readable only with a password.
pub fn encrypted() -> Vec<u8> {
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream("", b"\x8a\x11\x93\x02\xff\x10garbled-by-rc4"),
        format!(
            "<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <{}> /U <{}> >>",
            "7A".repeat(32),
            "3C".repeat(32)
        )
        .into_bytes(),
    ];
    write_file(&objects, "/Encrypt 5 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>]")
}

/// `n` pages, each with a heading and a few lines of text: a long, well-formed document.
pub fn many_pages(n: usize) -> Vec<u8> {
    let pages: Vec<Page> = (1..=n)
        .map(|i| {
            let mut p = Page::default();
            p.text(90.0, 720.0, 12.0, &format!("第{i}部分 政府信息公开情况"));
            for k in 0..5 {
                p.text(90.0, 690.0 - 20.0 * k as f64, 12.0, "本行政机关依法公开政府信息，做好依申请公开工作。");
            }
            p.text(290.0, 40.0, 10.0, &format!("- {i} -"));
            p
        })
        .collect();
    pdf(&pages)
}

/// One page whose content stream is `content` as given, its dictionary with `filter` (e.g.
/// "/Filter /FlateDecode" for bytes already compressed).
pub fn raw_content(content: &[u8], filter: &str) -> Vec<u8> {
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream(filter, content),
    ];
    write_file(&objects, "")
}
