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
    let mut bomb = None;
    for (i, &page) in pages.iter().enumerate() {
        if budget.exhausted() {
            stopped_at = Some(i);
            break;
        }
        let pc = content::read_page(&doc, page, &mut fonts, &mut budget);
        if pc.too_large {
            bomb = Some(i + 1);
        }
        unmapped += pc.unmapped;
        if pc.glyphs.is_empty() && pc.images > 0 {
            image_only.push(i + 1);
        }
        let prev = read_pages.last().and_then(PageLayout::continued_table);
        read_pages.push(page_layout(pc, prev));
    }
    if let Some(page) = bomb {
        issues.push(LoadIssue {
            kind: LoadIssueKind::PdfIncomplete,
            message: format!(
                "page {page}'s content decompresses to more than {} MiB (a compression bomb, or not a report): \
                 it and the pages after it were not read",
                content::PAGE_LIMIT >> 20
            ),
            span: None,
        });
    } else if let Some(at) = stopped_at {
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
    finish_tables(&mut read_pages);
    join_split_rows(&mut read_pages);
    let (text, tables) = write_text(&read_pages);
    let has_text = text.chars().any(|c| !c.is_whitespace());
    let rebuilt = doc.xref_recovery == Some(lopdf::xref::XrefRecovery::Reconstructed);
    if !has_text && bomb.is_some() {
        return Err(pdf_error(&format!(
            "its page content decompresses to more than {} MiB (a compression bomb?), so no text was read; \
             check what this file is",
            content::PAGE_LIMIT >> 20
        )));
    }
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
    /// This table goes on from the one the page before ends with.
    continues: bool,
    grid: Grid,
    /// The glyphs inside the table, kept until the grid is final (a later piece of the table
    /// may bring column boundaries this piece has no rules for).
    glyphs: Vec<Glyph>,
    /// Text of each merged cell (region), in grid order: filled by [`PageTable::fill`].
    cells: Vec<String>,
}

impl PageTable {
    fn fill(&mut self) {
        if !self.grid.ruled() {
            return; // cells were read from the aligned runs already
        }
        let mut regions: Vec<Vec<&Glyph>> = vec![Vec::new(); self.grid.anchors.len()];
        for g in &self.glyphs {
            if let Some((r, c)) = self.grid.locate(g.cx(), g.cy()) {
                regions[self.grid.region[r][c]].push(g);
            }
        }
        self.cells = regions.iter().map(|gs| layout::cell_text(gs)).collect();
    }
}

/// `prev`: the table the page before ends with, which a table at the top of this page, with
/// the same left and right edges, may continue.
fn page_layout(pc: PageContent, prev: Option<&Grid>) -> PageLayout {
    let grids = grid::find_grids(&pc.rules);
    let mut inside: Vec<Vec<Glyph>> = vec![Vec::new(); grids.len()];
    let mut body: Vec<&Glyph> = Vec::new();
    'glyph: for g in &pc.glyphs {
        for (t, grid) in grids.iter().enumerate() {
            if grid.locate(g.cx(), g.cy()).is_some() {
                inside[t].push(g.clone());
                continue 'glyph;
            }
        }
        body.push(g);
    }
    let (lines, unruled) = unruled_tables(layout::lines(&body));
    let continued = match (prev, grids.first()) {
        (Some(prev), Some(first)) => continues_table(prev, first, &lines, pc.height),
        _ => false,
    };
    let tables = grids
        .into_iter()
        .zip(inside)
        .enumerate()
        // A ruled box with nothing in it is decoration.
        .filter(|(_, (_, glyphs))| !glyphs.is_empty())
        .map(|(i, (grid, glyphs))| PageTable { continues: i == 0 && continued, grid, glyphs, cells: Vec::new() })
        .chain(unruled)
        .collect::<Vec<_>>();
    let mut tables = tables;
    tables.sort_by(|a, b| b.grid.top().total_cmp(&a.grid.top()));
    PageLayout { height: pc.height, lines, tables }
}

/// Tables drawn without rules: a header line of three or more runs set apart by wide gaps, then
/// at least two lines of runs with numbers, within the header's width and close below each
/// other. The header's runs give the columns; each run of a row goes to the column it overlaps
/// most (or the nearest).
fn unruled_tables(lines: Vec<Line>) -> (Vec<Line>, Vec<PageTable>) {
    let mut taken = vec![false; lines.len()];
    let mut tables = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let h = &lines[i];
        if h.chunks.len() < 3 || h.chunks.iter().any(|c| numeric(&c.2)) {
            i += 1;
            continue;
        }
        let cols: Vec<(f64, f64)> = h.chunks.iter().map(|c| (c.0, c.1)).collect();
        let (lo, hi) = (cols[0].0 - 2.0 * h.size, cols[cols.len() - 1].1 + 2.0 * h.size);
        let mut j = i + 1;
        while let Some(l) = lines.get(j) {
            let close = lines[j - 1].y - l.y <= 2.5 * l.size.max(h.size);
            let row = l.chunks.len() >= 2 && l.chunks.len() <= cols.len() && l.chunks.iter().skip(1).any(|c| numeric(&c.2));
            let inside = l.chunks.iter().all(|c| c.0 >= lo && c.1 <= hi);
            if !(close && row && inside) {
                break;
            }
            j += 1;
        }
        if j - i < 3 {
            i += 1;
            continue;
        }
        let mut cells = Vec::new();
        for l in &lines[i..j] {
            let mut row = vec![String::new(); cols.len()];
            for c in &l.chunks {
                let overlap = |k: usize| (c.1.min(cols[k].1) - c.0.max(cols[k].0)).max(0.0);
                let distance = |k: usize| (((c.0 + c.1) - (cols[k].0 + cols[k].1)) / 2.0).abs();
                let k = (0..cols.len())
                    .max_by(|&a, &b| overlap(a).total_cmp(&overlap(b)).then(distance(b).total_cmp(&distance(a))))
                    .unwrap_or(0);
                let cell = &mut row[k];
                if !cell.is_empty() {
                    cell.push(' ');
                }
                cell.push_str(c.2.trim());
            }
            cells.extend(row);
        }
        let block = &lines[i..j];
        let left = block.iter().flat_map(|l| l.chunks.iter().map(|c| c.0)).fold(f64::MAX, f64::min);
        let right = block.iter().flat_map(|l| l.chunks.iter().map(|c| c.1)).fold(f64::MIN, f64::max);
        let mut xs = vec![left];
        xs.extend(cols.windows(2).map(|w| (w[0].1 + w[1].0) / 2.0));
        xs.push(right);
        let mut ys = vec![block[0].top()];
        ys.extend(block.windows(2).map(|w| (w[0].y + w[1].top()) / 2.0));
        ys.push(block[block.len() - 1].y - 0.3 * block[block.len() - 1].size);
        if let Some(grid) = Grid::unruled(xs, ys) {
            tables.push(PageTable { continues: false, grid, glyphs: Vec::new(), cells });
            taken[i..j].iter_mut().for_each(|t| *t = true);
        }
        i = j;
    }
    let rest = lines.into_iter().zip(taken).filter(|(_, t)| !t).map(|(l, _)| l).collect();
    (rest, tables)
}

/// The pieces of a table split over pages get the same columns: each piece takes the column
/// boundaries of its neighbours (a boundary a piece has no rule for is spanned by its cells).
/// Then the cells are read.
fn finish_tables(pages: &mut [PageLayout]) {
    for _pass in 0..2 {
        for i in 1..pages.len() {
            let (before, after) = pages.split_at_mut(i);
            let (Some(prev), Some(next)) = (before[i - 1].tables.last_mut(), after[0].tables.first_mut()) else { continue };
            if next.continues {
                next.grid = next.grid.with_columns(&prev.grid.xs);
                prev.grid = prev.grid.with_columns(&next.grid.xs);
            }
        }
    }
    for t in pages.iter_mut().flat_map(|p| p.tables.iter_mut()) {
        t.fill();
    }
}

/// Whether `first`, the top table of a page, continues `prev`, the table the page before ends
/// with: it starts at the top of the page with nothing above it but a page number or a header
/// line in the top margin, has the same left and right edges, and one piece's column
/// boundaries are among the other's.
fn continues_table(prev: &Grid, first: &Grid, lines: &[Line], height: f64) -> bool {
    let near = |a: f64, b: f64| (a - b).abs() <= 2.0;
    let same_edges = near(prev.left(), first.left()) && near(prev.right(), first.right());
    let text_above = lines
        .iter()
        .any(|l| l.y > first.top() && l.y < height * 0.95 && !layout::is_page_number(&l.text));
    let within = |a: &[f64], b: &[f64]| a.iter().all(|&x| b.iter().any(|&y| near(x, y)));
    let columns_agree = within(&prev.xs, &first.xs) || within(&first.xs, &prev.xs);
    same_edges && !text_above && columns_agree && first.top() > height * 0.7
}

/// A row the page break cut in two: the continued piece starts with a row of label text only
/// (the end of a wrapped label, "申请"), under a data row of the piece before. The text goes back
/// to that row's cells and the fragment row is dropped.
fn join_split_rows(pages: &mut [PageLayout]) {
    for i in 1..pages.len() {
        let (before, after) = pages.split_at_mut(i);
        let (Some(prev), Some(next)) = (before[i - 1].tables.last_mut(), after[0].tables.first_mut()) else { continue };
        let (pg, g) = (&prev.grid, &next.grid);
        if !next.continues || g.rows() < 2 || pg.cols() != g.cols() {
            continue;
        }
        let last = pg.rows() - 1;
        // Text in regions of the first row only (a label merged down the next rows is a label
        // of those rows and stays).
        let fragment: Vec<usize> = (0..g.cols())
            .filter(|&c| {
                let id = g.region[0][c];
                g.anchors[id] == (0, c) && g.region[1][c] != id && !next.cells[id].is_empty()
            })
            .collect();
        let row_numbers = (0..g.cols()).any(|c| numeric(&next.cells[g.region[0][c]]));
        // Every piece of text in the fragment lies under a label cell of the row above that
        // spans the same columns: the row goes on cell by cell. (A header repeated on the new
        // page, or a section row under a full-width title, is laid out differently.)
        let span = |g: &Grid, r: usize, c: usize| {
            let id = g.region[r][c];
            let cols: Vec<usize> = (0..g.cols()).filter(|&k| g.region[r][k] == id).collect();
            (cols[0], cols[cols.len() - 1])
        };
        let fits = fragment
            .iter()
            .all(|&c| !numeric(&prev.cells[pg.region[last][c]]) && span(pg, last, c) == span(g, 0, c));
        if fragment.is_empty() || row_numbers || !fits {
            continue;
        }
        let mut done = Vec::new();
        for &c in &fragment {
            let (to, from) = (pg.region[last][c], g.region[0][c]);
            if !done.contains(&to) {
                let tail = next.cells[from].clone();
                prev.cells[to].push_str(&tail);
                done.push(to);
            }
        }
        let map = next.grid.drop_first_row();
        let mut cells = vec![String::new(); next.grid.anchors.len()];
        for (old, new) in map.iter().enumerate() {
            if let Some(new) = new {
                cells[*new] = std::mem::take(&mut next.cells[old]);
            }
        }
        next.cells = cells;
    }
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
/// starts at the left one without indent, in the same size, close below (or on the next page);
/// or both are centred lines of one title.
fn continues(prev: &Line, next: &Line, left: f64, right: f64, new_page: bool) -> bool {
    let sz = prev.size.max(next.size);
    // Ragged right: the line was full if what the next one starts with would not have fitted.
    let full = prev.x1 + next.lead >= right - sz;
    let flush = next.x0 <= left + 0.8 * sz;
    let same_size = (prev.size - next.size).abs() <= 0.15 * sz;
    let close = new_page || (prev.y - next.y) <= 2.2 * sz && prev.y > next.y;
    // A centred title wrapped over two lines reads as one.
    let middle = (left + right) / 2.0;
    let centred = |l: &Line| {
        l.x0 - left > 0.3 * sz && right - l.x1 > 0.3 * sz && ((l.x0 + l.x1) / 2.0 - middle).abs() < sz
    };
    let title = !new_page && centred(prev) && centred(next);
    (full && flush || title) && same_size && close
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
    // Header rows: the leading rows with no number in any cell past the first column. A piece
    // continued from the page before has none: its header is that piece's.
    let header_rows = if t.continues {
        0
    } else {
        rows.iter().position(|row| row.iter().skip(1).any(|c| !c.merged && numeric(&c.text))).unwrap_or(0)
    };
    SourceTable { origin: TableOrigin::Pdf, rows, header_rows, start, end }
}

#[cfg(test)]
mod tests;
