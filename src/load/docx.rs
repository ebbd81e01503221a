//! Word `.docx` → text and tables: the zip is opened with `zip`, `word/document.xml` read with
//! `quick-xml` as a stream of events (no tree, no recursion, so deep nesting costs nothing but
//! a bounded stack of open tables).
//!
//! Paragraphs become lines (headings too: the rules find them by their text), table cells stand
//! one per line as in an HTML page, text boxes (`w:txbxContent`) are read where they are anchored,
//! and only the `mc:Choice` of an `mc:AlternateContent` is read (the fallback repeats it).
//! `w:gridSpan` and `w:vMerge` are expanded into the grid, like colspan / rowspan in HTML.
//!
//! Hostile files: the archive's entry count and declared sizes are checked before anything is
//! inflated, and the one part read is inflated through a hard cap, so a zip bomb costs at most
//! [`MAX_PART_BYTES`] of memory and is refused with a message.
//!
//! Legacy `.doc` / `.wps` are converted to `.docx` by LibreOffice (`soffice --headless`) in a
//! temporary folder, with a timeout, and then read the same way.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::tables::{Extracted, SourceCell, SourceTable, TableOrigin, header_rows};
use super::LoadError;

/// More entries than this is not a Word document (a real one has 10–40).
pub const MAX_ENTRIES: usize = 5_000;
/// Largest `word/document.xml` inflated (a 300-page report is under 10 MiB).
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
/// Largest total of the sizes the archive declares for its entries (a Word file is at most
/// [`MAX_FILE_BYTES`](super::MAX_FILE_BYTES) on disk; its images do not inflate much).
pub const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;
/// Tables nested deeper than this are read as text.
const MAX_TABLE_DEPTH: usize = 32;
/// gridSpan beyond this is a broken attribute.
const MAX_SPAN: usize = 64;
/// Cells of one table past this are dropped.
const MAX_TABLE_CELLS: usize = 20_000;
/// How long LibreOffice may take to convert one legacy file.
pub const CONVERT_TIMEOUT: Duration = Duration::from_secs(120);

fn unreadable(reason: impl Into<String>) -> LoadError {
    LoadError::Unreadable { format: "Word (.docx)", reason: reason.into() }
}

/// Whether bytes are a zip archive holding a Word document body.
pub fn looks_like_docx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") && bytes.windows(17).any(|w| w == b"word/document.xml".as_slice())
}

/// Reads a `.docx` file's text and tables.
pub fn read_docx(bytes: &[u8]) -> Result<Extracted, LoadError> {
    read_docx_within(bytes, MAX_PART_BYTES, MAX_TOTAL_BYTES)
}

/// [`read_docx`] with the inflation caps given (tests use small ones).
fn read_docx_within(bytes: &[u8], max_part: u64, max_total: u64) -> Result<Extracted, LoadError> {
    if !bytes.starts_with(b"PK") {
        return Err(unreadable(
            "it is not a zip archive, so not a .docx (a .doc saved under a new name? open it in Word or WPS and save it as .docx)",
        ));
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| unreadable(format!("the zip archive is damaged ({e}); open it in Word or WPS and save it again")))?;
    if zip.len() > MAX_ENTRIES {
        return Err(unreadable(format!(
            "the archive has {} entries, more than the {MAX_ENTRIES} a Word document could have: refused",
            zip.len()
        )));
    }
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        if let Ok(f) = zip.by_index_raw(i) {
            declared = declared.saturating_add(f.size());
        }
    }
    if declared > max_total {
        return Err(unreadable(format!(
            "its entries would inflate to {declared} bytes (limit {max_total}): a zip bomb, not a report; refused"
        )));
    }
    let mut part = zip.by_name("word/document.xml").map_err(|_| {
        unreadable("the archive has no word/document.xml, so it is not a Word document (an .xlsx or other zip?)")
    })?;
    if part.encrypted() {
        return Err(unreadable("the document is password-protected: save an unprotected copy"));
    }
    let mut xml = Vec::new();
    (&mut part)
        .take(max_part + 1)
        .read_to_end(&mut xml)
        .map_err(|e| unreadable(format!("word/document.xml cannot be inflated ({e}); open it in Word or WPS and save it again")))?;
    if xml.len() as u64 > max_part {
        return Err(unreadable(format!(
            "word/document.xml inflates past {max_part} bytes: a zip bomb, not a report; refused"
        )));
    }
    let xml = String::from_utf8(xml)
        .map_err(|_| unreadable("word/document.xml is not UTF-8 XML; open it in Word or WPS and save it again"))?;
    parse_document(&xml)
}

/// `w:body` → text and tables.
pub fn parse_document(xml: &str) -> Result<Extracted, LoadError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = false;
    let mut w = Builder::default();
    // Depth inside elements whose content is not text (deleted runs, field codes, fallbacks).
    let mut skip_depth = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| unreadable(format!("word/document.xml is not well-formed XML at byte {}: {e}", reader.error_position())))?;
        match event {
            Event::Eof => break,
            Event::Start(e) => {
                let name = e.local_name();
                let name: &str = name.as_ref();
                if skip_depth > 0 || matches!(name, "delText" | "instrText" | "Fallback" | "del" | "moveFrom") {
                    skip_depth += 1;
                    continue;
                }
                w.start(name, &e);
            }
            Event::Empty(e) => {
                if skip_depth > 0 {
                    continue;
                }
                let name = e.local_name();
                w.empty(AsRef::<str>::as_ref(&name), &e);
            }
            Event::End(e) => {
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                w.end(AsRef::<str>::as_ref(&e.local_name()));
            }
            Event::Text(t) if skip_depth == 0 && w.in_text => w.push(&t.xml10_content()),
            Event::GeneralRef(r) if skip_depth == 0 && w.in_text => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => quick_xml::escape::resolve_predefined_entity(&r).map(str::to_string),
                };
                if let Some(c) = c {
                    w.push(&c);
                }
            }
            Event::CData(t) if skip_depth == 0 && w.in_text => w.push(AsRef::<str>::as_ref(&t)),
            _ => {}
        }
    }
    Ok(w.finish())
}

#[derive(Default)]
struct Builder {
    text: String,
    /// Inside a `w:t`: its text is the document's.
    in_text: bool,
    tables: Vec<Table>,
    done: Vec<SourceTable>,
    /// Tables opened past [`MAX_TABLE_DEPTH`], read as text.
    overflow_depth: usize,
}

#[derive(Default)]
struct Table {
    start: usize,
    rows: Vec<Row>,
    cell: Option<Cell>,
    layout: bool,
    cells: usize,
}

#[derive(Default)]
struct Row {
    cells: Vec<Cell>,
    header: bool,
    grid_before: usize,
}

#[derive(Default, Clone)]
struct Cell {
    start: usize,
    end: usize,
    span: usize,
    /// `Some(true)` starts a vertical merge, `Some(false)` continues the one above.
    vmerge: Option<bool>,
}

fn attr(e: &BytesStart, local: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == local).map(|a| a.value.into_owned())
}

impl Builder {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Ends the current line unless it is empty; keeps at most one blank line.
    fn end_line(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    fn blank_line(&mut self) {
        self.end_line();
        if !self.text.is_empty() && !self.text.ends_with("\n\n") {
            self.text.push('\n');
        }
    }

    fn start(&mut self, name: &str, e: &BytesStart) {
        match name {
            "t" => self.in_text = true,
            "tbl" => {
                self.blank_line();
                if let Some(outer) = self.tables.last_mut() {
                    outer.layout = true;
                }
                if self.tables.len() < MAX_TABLE_DEPTH {
                    self.tables.push(Table { start: self.text.len(), ..Table::default() });
                } else {
                    self.overflow_depth += 1;
                }
            }
            "tr" if self.overflow_depth == 0 => {
                if let Some(t) = self.tables.last_mut() {
                    t.rows.push(Row::default());
                }
            }
            "tc" if self.overflow_depth == 0 => {
                self.end_line();
                let at = self.text.len();
                if let Some(t) = self.tables.last_mut() {
                    t.cell = Some(Cell { start: at, end: at, span: 1, vmerge: None });
                }
            }
            _ => self.empty(name, e),
        }
    }

    fn empty(&mut self, name: &str, e: &BytesStart) {
        match name {
            // A run's tab; a tab stop in w:tabs carries its position.
            "tab" if attr(e, "pos").is_none() => self.text.push('\t'),
            "br" | "cr" => self.text.push('\n'),
            "noBreakHyphen" => self.text.push('-'),
            "gridSpan" => {
                let n = attr(e, "val").and_then(|v| v.parse::<usize>().ok()).unwrap_or(1).clamp(1, MAX_SPAN);
                if let Some(c) = self.cell_mut() {
                    c.span = n;
                }
            }
            "vMerge" => {
                let restart = attr(e, "val").is_some_and(|v| v == "restart");
                if let Some(c) = self.cell_mut() {
                    c.vmerge = Some(restart);
                }
            }
            "tblHeader" => {
                let on = attr(e, "val").is_none_or(|v| !matches!(v.as_str(), "0" | "false" | "off"));
                if let Some(r) = self.tables.last_mut().and_then(|t| t.rows.last_mut()) {
                    r.header = on;
                }
            }
            "gridBefore" => {
                let n = attr(e, "val").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0).min(MAX_SPAN);
                if let Some(r) = self.tables.last_mut().and_then(|t| t.rows.last_mut()) {
                    r.grid_before = n;
                }
            }
            _ => {}
        }
    }

    fn cell_mut(&mut self) -> Option<&mut Cell> {
        if self.overflow_depth > 0 {
            return None;
        }
        self.tables.last_mut()?.cell.as_mut()
    }

    fn end(&mut self, name: &str) {
        match name {
            "t" => self.in_text = false,
            "p" => self.end_line(),
            "tc" if self.overflow_depth == 0 => {
                self.end_line();
                let at = self.text.len();
                if let Some(t) = self.tables.last_mut()
                    && let Some(mut c) = t.cell.take()
                {
                    c.end = at;
                    if t.cells < MAX_TABLE_CELLS {
                        t.cells += 1;
                        if t.rows.is_empty() {
                            t.rows.push(Row::default());
                        }
                        if let Some(r) = t.rows.last_mut() {
                            r.cells.push(c);
                        }
                    }
                }
            }
            "tbl" => {
                if self.overflow_depth > 0 {
                    self.overflow_depth -= 1;
                } else if let Some(t) = self.tables.pop()
                    && !t.layout
                    && let Some(g) = grid(&t, &self.text)
                {
                    self.done.push(g);
                }
                self.blank_line();
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Extracted {
        while let Some(t) = self.tables.pop() {
            if !t.layout
                && let Some(g) = grid(&t, &self.text)
            {
                self.done.push(g);
            }
        }
        self.done.sort_by_key(|t| t.start);
        // Word text often ends lines with the spaces and tabs of its layout: they are kept (the
        // spans point at them) but a trailing blank line is not.
        let mut text = self.text;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Extracted { text, tables: self.done, issues: Vec::new() }
    }
}

/// The grid the eye sees: gridSpan repeats a cell to the right, a vMerge continuation takes the
/// text and span of the cell above it.
fn grid(t: &Table, text: &str) -> Option<SourceTable> {
    let mut rows: Vec<Vec<SourceCell>> = Vec::new();
    let mut header = Vec::new();
    for row in t.rows.iter().filter(|r| !r.cells.is_empty()) {
        let mut line: Vec<SourceCell> = Vec::new();
        let at = row.cells.first().map_or(t.start, |c| c.start);
        for _ in 0..row.grid_before {
            line.push(SourceCell::blank_at(at));
        }
        for c in &row.cells {
            let col = line.len();
            let mut cell = SourceCell::from_text(text, c.start, c.end);
            if c.vmerge == Some(false)
                && let Some(above) = rows.last().and_then(|r| r.get(col))
            {
                cell = above.clone();
                cell.merged = true;
            }
            for k in 0..c.span {
                let mut copy = cell.clone();
                copy.merged = cell.merged || k > 0;
                line.push(copy);
            }
        }
        header.push(row.header);
        rows.push(line);
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if width == 0 || rows.len() < 2 && width < 2 {
        return None;
    }
    for line in &mut rows {
        let at = line.last().map_or(0, |c| c.end);
        line.resize_with(width, || SourceCell::blank_at(at));
    }
    let header_rows = header_rows(&rows, &header);
    let end = rows.iter().flatten().map(|c| c.end).max().unwrap_or(t.start);
    Some(SourceTable { origin: TableOrigin::Docx, rows, header_rows, start: t.start, end })
}

/// Converts a legacy `.doc` / `.wps` with LibreOffice and reads the result. `soffice` runs in a
/// temporary folder of its own (its own profile too, so conversions can run side by side) and
/// is killed after [`CONVERT_TIMEOUT`].
pub fn read_legacy_word(bytes: &[u8], ext: &str) -> Result<Extracted, LoadError> {
    let format = if ext.eq_ignore_ascii_case("wps") { "WPS (.wps)" } else { "Word 97–2003 (.doc)" };
    let fail = |reason: String| LoadError::Unreadable { format, reason };
    let Some(soffice) = find_on_path(&["soffice", "libreoffice"]) else {
        return Err(fail(
            "nianbao reads this older format by converting it with LibreOffice, and `soffice` is not on the PATH: \
             install it (`apt-get install libreoffice-writer`) or save the file as .docx in Word or WPS"
                .to_string(),
        ));
    };
    let dir = TempDir::new().map_err(|e| fail(format!("cannot create a temporary folder to convert it: {e}")))?;
    let input = dir.path.join(format!("report.{}", ext.to_ascii_lowercase()));
    std::fs::write(&input, bytes).map_err(|e| fail(format!("cannot write a temporary copy to convert: {e}")))?;
    let profile = format!("-env:UserInstallation=file://{}", dir.path.join("profile").display());
    let mut child = std::process::Command::new(&soffice)
        .arg(profile)
        .args(["--headless", "--norestore", "--convert-to", "docx", "--outdir"])
        .arg(&dir.path)
        .arg(&input)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| fail(format!("cannot start {}: {e}", soffice.display())))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > CONVERT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "LibreOffice did not convert it within {} s: open it in Word or WPS and save it as .docx",
                    CONVERT_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(fail(format!("waiting for LibreOffice failed: {e}"))),
        }
    }
    let out = dir.path.join("report.docx");
    let converted = std::fs::read(&out).map_err(|_| {
        fail("LibreOffice could not convert it (damaged or not a Word file?): open it in Word or WPS and save it as .docx".to_string())
    })?;
    read_docx(&converted).map_err(|e| fail(format!("after conversion by LibreOffice: {e}")))
}

fn find_on_path(names: &[&str]) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A temporary folder removed when dropped.
struct TempDir {
    path: std::path::PathBuf,
}

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("nianbao-convert-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir(&path)?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// `.docx`, any case.
pub fn has_docx_extension(path: &Path) -> bool {
    ext_is(path, &["docx"])
}

/// `.doc` / `.wps`, any case: the extension, when it is one.
pub fn legacy_word_extension(path: &Path) -> Option<String> {
    let e = path.extension()?.to_str()?;
    ["doc", "wps"].iter().any(|x| e.eq_ignore_ascii_case(x)).then(|| e.to_ascii_lowercase())
}

fn ext_is(path: &Path, exts: &[&str]) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

#[cfg(test)]
mod tests;
