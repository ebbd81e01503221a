//! The tables a source really has (HTML `<table>`, Word `w:tbl`, PDF ruled grids, pipe rows in
//! text), as a grid of cells the eye sees: merged cells (colspan/rowspan, gridSpan/vMerge) are
//! expanded, so every row has one cell per column. Cells keep their span in [`Document::text`]
//! so the reviewer's source pane can highlight them.
//!
//! Extraction reads a [`SourceTable`] by label cells and column positions; only sources without
//! cells go through the digit-run splitter.
//!
//! [`Document::text`]: super::Document::text

/// Where a table's cells came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableOrigin {
    /// `<table>` markup in an HTML page.
    Html,
    /// A `w:tbl` in a Word document.
    Docx,
    /// Rebuilt from glyph positions and ruling lines in a PDF.
    Pdf,
    /// Rows of `|`-separated cells in plain text.
    TextPipes,
}

impl TableOrigin {
    pub fn name(self) -> &'static str {
        match self {
            TableOrigin::Html => "html",
            TableOrigin::Docx => "docx",
            TableOrigin::Pdf => "pdf",
            TableOrigin::TextPipes => "text-pipes",
        }
    }
}

/// One cell of the expanded grid.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceCell {
    /// The cell's text, whitespace collapsed (U+00A0 and U+3000 count as whitespace).
    pub text: String,
    /// Byte range of the cell's text in the document text (empty range at the cell's position
    /// when the cell is blank).
    pub start: usize,
    pub end: usize,
    /// Nothing but whitespace in the source cell.
    pub blank: bool,
    /// This grid position is covered by a merged cell that starts elsewhere (above or to the
    /// left); `text` repeats the merged cell's text.
    pub merged: bool,
}

/// A table as a grid: `rows[r][c]`, every row the same length after merged cells are expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceTable {
    pub origin: TableOrigin,
    pub rows: Vec<Vec<SourceCell>>,
    /// How many leading rows are header rows (column titles, not data).
    pub header_rows: usize,
    /// Byte range of the whole table in the document text.
    pub start: usize,
    pub end: usize,
}

impl SourceTable {
    pub fn columns(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// What a reader of a structured source (Word, PDF) gives back: the report's text, the tables it
/// really has (cell spans into `text`), and problems met on the way. `Document::from_bytes` turns
/// it into a [`Document`](super::Document) the same way for every such source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extracted {
    pub text: String,
    pub tables: Vec<SourceTable>,
    pub issues: Vec<super::LoadIssue>,
}

impl SourceCell {
    /// An empty grid position (a row shorter than the table) at byte `at`.
    pub fn blank_at(at: usize) -> SourceCell {
        SourceCell { text: String::new(), start: at, end: at, blank: true, merged: false }
    }
}

impl SourceCell {
    /// The cell whose text is `text[s..e]`: whitespace (U+00A0 and U+3000 included) trimmed from
    /// its span and collapsed in its text; nothing left means blank.
    pub fn from_text(text: &str, s: usize, e: usize) -> SourceCell {
        let e = e.min(text.len());
        let s = s.min(e);
        let raw = text.get(s..e).unwrap_or("");
        let lead = raw.len() - raw.trim_start().len();
        let inner = raw.trim();
        let start = s + lead;
        SourceCell {
            text: inner.split_whitespace().collect::<Vec<_>>().join(" "),
            start,
            end: start + inner.len(),
            blank: inner.is_empty(),
            merged: false,
        }
    }
}

/// Leading header rows: the rows the source marks as headers (`<th>` rows, Word's repeated
/// header rows), or else the rows before the first one holding a number.
pub fn header_rows(rows: &[Vec<SourceCell>], marked: &[bool]) -> usize {
    let n = marked.iter().take_while(|&&t| t).count();
    if n > 0 {
        return n.min(rows.len());
    }
    let numeric = |c: &SourceCell| !c.blank && c.text.chars().all(|ch| ch.is_ascii_digit() || ch == '.' || ch == ',');
    rows.iter().position(|r| r.iter().any(numeric)).unwrap_or(0)
}
