//! PDF → report text and its tables.
//!
//! lopdf reads the file (cross-reference repair, object streams, decryption with the empty user
//! password, bounded decompression); [`content`] interprets each page into glyphs and ruling
//! lines; [`grid`] turns the rules into table grids; [`layout`] rebuilds lines and strips page
//! furniture. The text is written in reading order: paragraphs as one line each (a PDF breaks
//! lines where the page is full, not where the sentence ends), tables one row per line with
//! their cells two spaces apart, every cell's span recorded for the reviewer.

mod content;
mod grid;
mod layout;

use std::fmt::Write as _;

use super::tables::{Extracted, SourceCell, SourceTable, TableOrigin};
use super::{LoadError, LoadIssue, LoadIssueKind};
use content::{Budget, FontCache, Glyph, PageContent};
use grid::Grid;
use layout::Line;

/// Decompressed bytes any one stream may grow to, and content bytes for the whole document.
const STREAM_LIMIT: usize = 64 * 1024 * 1024;
const CONTENT_LIMIT: usize = 256 * 1024 * 1024;
/// Operators interpreted and glyphs kept for one document: far above any real report (a
/// 6-page report has some 40,000 operators), low enough that a hostile file ends in seconds.
const OP_LIMIT: usize = 20_000_000;
const GLYPH_LIMIT: usize = 4_000_000;

/// Whether bytes are a PDF: the header may follow up to 1 KiB of junk (ISO 32000-1, 7.5.2 note).
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-")
}

/// `.pdf`, any case.
pub fn has_pdf_extension(path: &std::path::Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
}

/// Reads a PDF's text layer and its ruled tables. A file that cannot be read at all (not a PDF,
/// encrypted, damaged beyond repair) is an error with a message saying so; a scan without text
/// comes back with empty text and a `needs-ocr` issue.
pub fn read_pdf(bytes: &[u8]) -> Result<Extracted, LoadError> {
    // lopdf is mature, but a panic deep in a third-party parser must still not stop a batch.
    std::panic::catch_unwind(|| read(bytes)).unwrap_or_else(|_| {
        Err(pdf_error("the PDF's structure is damaged or unusual and could not be read; open and re-save it (e.g. print to PDF) and try again"))
    })
}

fn pdf_error(reason: &str) -> LoadError {
    LoadError::Binary { reason: format!("PDF: {reason}") }
}

fn read(bytes: &[u8]) -> Result<Extracted, LoadError> {
    if !looks_like_pdf(bytes) {
        return Err(pdf_error("no %PDF- header: the file is not a PDF (check its real type)"));
    }
    let options = lopdf::LoadOptions::with_max_decompressed_size(STREAM_LIMIT);
    let doc = match lopdf::Document::load_mem_with_options(bytes, options) {
        Ok(doc) => doc,
        Err(e) => return Err(load_error(bytes, &e)),
    };
    // lopdf opens a file whose user password is empty; any other password leaves it unreadable.
    if doc.is_encrypted() && doc.authenticate_password("").is_err() {
        return Err(encrypted_error());
    }
    let mut issues = Vec::new();
    if doc.xref_recovery == Some(lopdf::xref::XrefRecovery::Reconstructed) {
        // Pushed first, kept only when some text is read (see below).
        issues.push(LoadIssue {
            kind: LoadIssueKind::PdfIncomplete,
            message: "the PDF's cross-reference table was damaged (a truncated or badly saved file) and was rebuilt: \
                      pages or text may be missing; get the file again if the report looks incomplete"
                .to_string(),
            span: None,
        });
    }
    let pages: Vec<lopdf::ObjectId> = doc.page_iter().collect();
    if pages.is_empty() {
        return Err(pdf_error("the PDF has no pages that can be read (damaged or truncated); get the file again"));
    }
    let mut budget = Budget { ops: OP_LIMIT, glyphs: GLYPH_LIMIT, bytes: CONTENT_LIMIT };
    let mut fonts = FontCache::new(STREAM_LIMIT);
    let mut read_pages = Vec::with_capacity(pages.len());
    let mut unmapped = 0;
    let mut image_only = Vec::new();
    let mut stopped_at = None;
    for (i, &page) in pages.iter().enumerate() {
        if budget.exhausted() {
            stopped_at = Some(i);
            break;
        }
        let pc = content::read_page(&doc, page, &mut fonts, &mut budget);
        unmapped += pc.unmapped;
        if pc.glyphs.is_empty() && pc.images > 0 {
            image_only.push(i + 1);
        }
        let prev = read_pages.last().and_then(PageLayout::continued_table);
        read_pages.push(page_layout(pc, prev));
    }
    if let Some(at) = stopped_at {
        issues.push(LoadIssue {
            kind: LoadIssueKind::PdfIncomplete,
            message: format!(
                "only the first {at} of {} pages were read: the PDF holds more content than one report can (limit reached); \
                 check that this is a single annual report",
                pages.len()
            ),
            span: None,
        });
    }
    let (text, tables) = write_text(&read_pages);
    let has_text = text.chars().any(|c| !c.is_whitespace());
    let rebuilt = doc.xref_recovery == Some(lopdf::xref::XrefRecovery::Reconstructed);
    if !has_text && rebuilt {
        return Err(pdf_error("the file is truncated or damaged: none of its pages could be read; get the file again"));
    }
    if !has_text {
        issues.push(LoadIssue {
            kind: LoadIssueKind::NeedsOcr,
            message: if image_only.is_empty() {
                format!("the PDF's {} page(s) hold no text at all: nothing to review", pages.len())
            } else {
                format!(
                    "the PDF has no text layer ({} of its {} page(s) are images only: a scan); it needs OCR before it \
                     can be checked, e.g. `ocrmypdf -l chi_sim in.pdf out.pdf`, then load the result",
                    image_only.len(),
                    pages.len()
                )
            },
            span: None,
        });
    } else if !image_only.is_empty() {
        let list: Vec<String> = image_only.iter().take(20).map(usize::to_string).collect();
        issues.push(LoadIssue {
            kind: LoadIssueKind::NeedsOcr,
            message: format!(
                "page(s) {}{} of the PDF are images without a text layer (scanned pages): their content is not read; \
                 OCR them to check it",
                list.join(", "),
                if image_only.len() > 20 { " …" } else { "" }
            ),
            span: None,
        });
    }
    if unmapped > 0 {
        let at = text.find('\u{FFFD}');
        issues.push(LoadIssue {
            kind: LoadIssueKind::Undecodable,
            message: format!(
                "{unmapped} glyph(s) use a font without a character map (no ToUnicode): they are shown as U+FFFD; \
                 compare those passages with the printed report"
            ),
            span: at.map(|s| super::span_at(&text, &super::line_starts(&text), s, s + '\u{FFFD}'.len_utf8())),
        });
    }
    Ok(Extracted { text, tables, issues })
}

/// Why lopdf refused the file, said for the person holding it.
fn load_error(bytes: &[u8], e: &lopdf::Error) -> LoadError {
    let encrypted = matches!(e, lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_))
        || bytes.windows(8).any(|w| w == b"/Encrypt");
    if encrypted {
        return encrypted_error();
    }
    pdf_error(&format!(
        "the file is damaged or truncated and cannot be read as a PDF ({e}); get the file again"
    ))
}

fn encrypted_error() -> LoadError {
    pdf_error(
        "the PDF is encrypted with a password, so its text cannot be read; ask the agency for an unprotected copy, \
         or remove the protection with the password (e.g. `qpdf --decrypt --password=… in.pdf out.pdf`)",
    )
}

/// One page, laid out: its tables and the body lines outside them.
struct PageLayout {
    height: f64,
    lines: Vec<Line>,
    tables: Vec<PageTable>,
}

impl PageLayout {
    /// The table that ends this page, if it runs to the bottom (nothing but a page number below
    /// it): the next page may continue it.
    fn continued_table(&self) -> Option<&Grid> {
        let t = self.tables.last()?;
        let below = self.lines.iter().any(|l| l.top() < t.grid.bottom() && !layout::is_page_number(&l.text));
        (!below && t.grid.bottom() < self.height * 0.3).then_some(&t.grid)
    }
}

struct PageTable {
    grid: Grid,
    /// Text of each merged cell (region), in grid order.
    cells: Vec<String>,
}

/// `prev`: the table the page before ends with, which a table at the top of this page, with
/// the same left and right edges, continues.
fn page_layout(pc: PageContent, prev: Option<&Grid>) -> PageLayout {
    let mut grids = grid::find_grids(&pc.rules);
    if let (Some(prev), Some(first)) = (prev, grids.first_mut()) {
        let same_edges = (prev.left() - first.left()).abs() <= 2.0 && (prev.right() - first.right()).abs() <= 2.0;
        let text_above = pc.glyphs.iter().any(|g| g.cy() > first.top() && g.y < pc.height * 0.88);
        if same_edges && !text_above && first.top() > pc.height * 0.7 {
            *first = first.with_columns(&prev.xs);
        }
    }
    let mut per_region: Vec<Vec<Vec<&Glyph>>> = grids.iter().map(|g| vec![Vec::new(); g.anchors.len()]).collect();
    let mut body: Vec<&Glyph> = Vec::new();
    'glyph: for g in &pc.glyphs {
        for (t, grid) in grids.iter().enumerate() {
            if let Some((r, c)) = grid.locate(g.cx(), g.cy()) {
                per_region[t][grid.region[r][c]].push(g);
                continue 'glyph;
            }
        }
        body.push(g);
    }
    let tables = grids
        .into_iter()
        .zip(per_region)
        .map(|(grid, regions)| PageTable { cells: regions.iter().map(|gs| layout::cell_text(gs)).collect(), grid })
        // A ruled box with nothing in it is decoration.
        .filter(|t| t.cells.iter().any(|c| !c.is_empty()))
        .collect();
    PageLayout { height: pc.height, lines: layout::lines(&body), tables }
}

/// A number as a table shows it: digits with separators, a sign, a decimal point, a percent.
fn numeric(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit()) && s.chars().all(|c| c.is_ascii_digit() || ".,-%+ ".contains(c))
}

enum Item<'a> {
    Line(&'a Line),
    Table(&'a PageTable),
}

/// Writes the document text and records every table cell's span in it.
fn write_text(pages: &[PageLayout]) -> (String, Vec<SourceTable>) {
    let furniture_in: Vec<(f64, Vec<Line>)> = pages.iter().map(|p| (p.height, p.lines.clone())).collect();
    let keep = layout::furniture(&furniture_in);
    let body: Vec<Vec<&Line>> = pages
        .iter()
        .zip(&keep)
        .map(|(p, k)| p.lines.iter().zip(k).filter(|(_, k)| **k).map(|(l, _)| l).collect())
        .collect();
    let (left, right) = margins(body.iter().flatten().copied());

    let mut text = String::new();
    let mut tables = Vec::new();
    let mut prev: Option<&Line> = None;
    let mut prev_page = 0;
    for (p, page) in pages.iter().enumerate() {
        let mut items: Vec<(f64, Item)> = body[p].iter().map(|l| (l.top(), Item::Line(l))).collect();
        items.extend(page.tables.iter().map(|t| (t.grid.top(), Item::Table(t))));
        items.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, item) in items {
            match item {
                Item::Line(line) => {
                    let joins = prev.is_some_and(|pl| continues(pl, line, left, right, prev_page != p));
                    if joins {
                        let (a, b) = (text.chars().last(), line.text.chars().next());
                        if a.is_some_and(|a| a.is_ascii_alphabetic()) && b.is_some_and(|b| b.is_ascii_alphabetic()) {
                            text.push(' ');
                        }
                    } else if prev.is_some() {
                        text.push('\n');
                    }
                    text.push_str(line.text.trim());
                    prev = Some(line);
                    prev_page = p;
                }
                Item::Table(t) => {
                    if prev.is_some() {
                        text.push('\n');
                    }
                    prev = None;
                    tables.push(write_table(&mut text, t));
                }
            }
        }
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    (text, tables)
}

/// Left edge and right edge of the text block: most full lines start and end there.
fn margins<'a>(lines: impl Iterator<Item = &'a Line>) -> (f64, f64) {
    let mut x0: Vec<f64> = Vec::new();
    let mut x1: Vec<f64> = Vec::new();
    for l in lines {
        x0.push(l.x0);
        x1.push(l.x1);
    }
    if x0.is_empty() {
        return (0.0, 0.0);
    }
    x0.sort_by(f64::total_cmp);
    x1.sort_by(f64::total_cmp);
    (x0[x0.len() / 10], x1[x1.len() * 9 / 10])
}

/// Whether `next` goes on the paragraph `prev` ends: `prev` runs to the right margin, `next`
/// starts at the left one without indent, in the same size, close below (or on the next page).
fn continues(prev: &Line, next: &Line, left: f64, right: f64, new_page: bool) -> bool {
    let sz = prev.size.max(next.size);
    let full = prev.x1 >= right - 1.5 * sz;
    let flush = next.x0 <= left + 0.8 * sz;
    let same_size = (prev.size - next.size).abs() <= 0.15 * sz;
    let close = new_page || (prev.y - next.y) <= 2.2 * sz && prev.y > next.y;
    full && flush && same_size && close
}

/// Writes one table, a row per line, and returns it as a grid of cells with their spans.
fn write_table(text: &mut String, t: &PageTable) -> SourceTable {
    let g = &t.grid;
    let start = text.len();
    let mut spans: Vec<Option<(usize, usize)>> = vec![None; g.anchors.len()];
    let mut rows = Vec::with_capacity(g.rows());
    for r in 0..g.rows() {
        let mut row = Vec::with_capacity(g.cols());
        let mut first = true;
        for c in 0..g.cols() {
            let region = g.region[r][c];
            let cell_text = &t.cells[region];
            let merged = g.anchors[region] != (r, c);
            let (s, e) = match spans[region] {
                Some(span) => span,
                None => {
                    if !first {
                        text.push_str("  ");
                    }
                    first = false;
                    let s = text.len();
                    let _ = write!(text, "{cell_text}");
                    spans[region] = Some((s, text.len()));
                    (s, text.len())
                }
            };
            row.push(SourceCell { text: cell_text.clone(), start: s, end: e, blank: cell_text.is_empty(), merged });
        }
        text.push('\n');
        rows.push(row);
    }
    let end = text.len().saturating_sub(1).max(start);
    // Header rows: the leading rows with no number in any cell past the first column.
    let header_rows = rows
        .iter()
        .position(|row| row.iter().skip(1).any(|c| !c.merged && numeric(&c.text)))
        .unwrap_or(0);
    SourceTable { origin: TableOrigin::Pdf, rows, header_rows, start, end }
}

#[cfg(test)]
mod tests;
