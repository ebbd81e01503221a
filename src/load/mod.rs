//! Load: files on disk → [`Document`] (decoded text, line index, content id).
//!
//! Everything later in the pipeline refers to positions in [`Document::text`], so this stage settles
//! once what that text is: bytes are decoded (BOM, strict UTF-8, HTML `<meta charset>`, then
//! chardetng with a Chinese hint; see [`decode`]), line endings become `\n`, NUL bytes become U+FFFD,
//! and HTML is reduced to text. Problems found on the way are kept as [`LoadIssue`]s and never stop
//! the load; only files that are not text at all are refused with a [`LoadError`].

mod decode;
mod discover;
pub mod docx;
mod html;
mod pdf;
#[doc(hidden)]
pub mod pdf_fixture;
mod pipes;
mod tables;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::model::Span;

pub use decode::{Decoded, Detection, decode, sniff};
pub use discover::discover;
pub use html::{html_to_document, html_to_text, looks_like_html, meta_charset};
pub use pipes::{is_column_numbers, is_number_cell, pipe_tables};
pub use pdf::read_pdf;
pub use tables::{Extracted, SourceCell, SourceTable, TableOrigin};

/// The largest file accepted as one report. Real reports are rarely over 1 MiB; anything past this
/// is almost certainly not a single report, and refusing it keeps memory use bounded.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// A report's text, ready for extraction.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub path: PathBuf,
    /// Stable content id: the first 16 hex characters of the blake3 hash of the raw file bytes.
    pub id: String,
    /// The encoding the bytes were decoded with, e.g. "UTF-8", "UTF-8 BOM", "GB18030", "Big5",
    /// "UTF-16LE BOM", "UTF-8 + GB18030" (mixed). [`Document::detection`] says how it was chosen.
    pub encoding: String,
    /// Which detector path chose `encoding`.
    pub detection: Detection,
    /// The file was HTML and was reduced to text.
    pub html: bool,
    /// The decoded text (HTML reduced, line endings `\n`): every span refers to this text.
    /// Shared with every audit of the document, so keeping both costs one copy.
    pub text: std::sync::Arc<str>,
    /// Byte offset of each line start in `text`; always starts with 0.
    pub line_starts: Vec<usize>,
    /// The tables the source really has, as cell grids (empty for plain text without pipe rows).
    /// Extraction reads these by column; only text without cells goes through the digit-run splitter.
    /// Shared with the audit's grid view, like `text`.
    pub tables: std::sync::Arc<[SourceTable]>,
    /// Problems found while decoding; never fatal.
    pub issues: Vec<LoadIssue>,
    /// Bytes on disk.
    pub size: u64,
}

impl Document {
    /// Builds a document from a file's bytes: all of loading except reading the file.
    pub fn from_bytes(path: PathBuf, bytes: &[u8]) -> Result<Document, LoadError> {
        Document::read(path, bytes, Depth::Full)
    }

    /// A document for reading fields from its text alone: the same text, line index, id and
    /// encoding as [`Document::from_bytes`] (and the same refusals), without the load issues
    /// (only an audit reports them) and, unless `pipe_tables`, without a plain text's pipe rows
    /// as tables. HTML, Word and PDF sources keep their grids, since their text and tables come
    /// out of one pass. Phase one of a batch reads each report's link key this way.
    pub fn text_from_bytes(path: PathBuf, bytes: &[u8], pipe_tables: bool) -> Result<Document, LoadError> {
        let mut doc = Document::read(path, bytes, Depth::Text { pipe_tables })?;
        doc.issues.clear();
        Ok(doc)
    }

    fn read(path: PathBuf, bytes: &[u8], depth: Depth) -> Result<Document, LoadError> {
        let size = bytes.len() as u64;
        if size > MAX_FILE_BYTES {
            return Err(LoadError::TooLarge {
                size,
                limit: MAX_FILE_BYTES,
            });
        }
        if bytes.is_empty() {
            return Err(LoadError::Empty);
        }
        if let Some((format, extracted)) = read_structured(&path, bytes)? {
            return Document::from_extracted(path, bytes, format, extracted);
        }
        sniff(bytes)?;
        let decoded = match depth {
            Depth::Full => decode(bytes),
            Depth::Text { .. } => decode::decode_without_controls(bytes),
        };
        refuse_if_undecodable(&decoded)?;

        let html = has_html_extension(&path) || looks_like_html(&decoded.text);
        let (text, tables, issues) = if html {
            let (text, tables) = html_to_document(&decoded.text);
            let issues = match depth {
                Depth::Full => reanchor_issues(&decoded, &text),
                Depth::Text { .. } => Vec::new(),
            };
            (text, tables, issues)
        } else {
            (decoded.text, Vec::new(), decoded.issues)
        };
        if text.trim().is_empty() {
            return Err(LoadError::Empty);
        }
        let line_starts = line_starts(&text);
        // Plain text keeps the pipe rows a converter wrote as tables.
        let tables = match (html, depth) {
            (true, _) => tables,
            (false, Depth::Full | Depth::Text { pipe_tables: true }) => pipe_tables(&text),
            (false, Depth::Text { pipe_tables: false }) => Vec::new(),
        };
        Ok(Document {
            path,
            id: content_id(bytes),
            encoding: decoded.encoding,
            detection: decoded.detection,
            html,
            text: text.into(),
            line_starts,
            tables: tables.into(),
            issues,
            size,
        })
    }

    /// A document from a structured source's reader (Word, PDF): its text is already decoded;
    /// `format` names the source ("DOCX", "PDF") where a text file names its encoding. A source
    /// with no text is refused as empty, unless the reader said why (a scan that needs OCR is a
    /// report to flag, not a file to skip).
    pub fn from_extracted(path: PathBuf, bytes: &[u8], format: &str, extracted: Extracted) -> Result<Document, LoadError> {
        let Extracted { text, tables, mut issues } = extracted;
        let explained = issues.iter().any(|i| i.kind == LoadIssueKind::NeedsOcr);
        if text.trim().is_empty() && !explained {
            return Err(LoadError::Empty);
        }
        let line_starts = line_starts(&text);
        issues.extend(decode::scan_controls(&text, &line_starts));
        Ok(Document {
            path,
            id: content_id(bytes),
            encoding: format.to_string(),
            detection: Detection::Structured,
            html: false,
            text: text.into(),
            line_starts,
            tables: tables.into(),
            issues,
            size: bytes.len() as u64,
        })
    }

    /// A span over `text[start..end]` (clamped to the text) with the 1-based line and character
    /// column of `start`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        span_at(&self.text, &self.line_starts, start, end)
    }

    /// 1-based line and 1-based character column of a byte offset (clamped to the text; an offset
    /// inside a character counts as that character).
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        line_col_in(&self.text, &self.line_starts, byte)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Line `n` (1-based) without its newline; "" when out of range.
    pub fn line(&self, n: usize) -> &str {
        self.line_range(n).map_or("", |r| &self.text[r])
    }

    /// The byte range of line `n` (1-based) in `text`, without its newline.
    pub fn line_range(&self, n: usize) -> Option<std::ops::Range<usize>> {
        let start = *self.line_starts.get(n.checked_sub(1)?)?;
        let end = match self.line_starts.get(n) {
            Some(&next) => next - 1,
            None if self.text.ends_with('\n') => self.text.len() - 1,
            None => self.text.len(),
        };
        Some(start..end.max(start))
    }

    /// "GB18030 (chardetng, Chinese hint)" style: the encoding and how it was chosen.
    pub fn encoding_summary(&self) -> String {
        format!("{} ({})", self.encoding, self.detection.as_str())
    }
}

/// How much of a source a load builds.
#[derive(Clone, Copy)]
enum Depth {
    /// Everything an audit reads.
    Full,
    /// What fields are read from: no issues, and a plain text's pipe tables only when asked.
    Text { pipe_tables: bool },
}

/// Reads and loads one file. Size is checked before reading, so huge files cost nothing.
pub fn load_file(path: &Path) -> Result<Document, LoadError> {
    Document::from_bytes(path.to_path_buf(), &read_file(path)?)
}

/// Reads one file for its text alone ([`Document::text_from_bytes`]).
pub fn load_text(path: &Path, pipe_tables: bool) -> Result<Document, LoadError> {
    Document::text_from_bytes(path.to_path_buf(), &read_file(path)?, pipe_tables)
}

/// A file's bytes, refused before reading when it is too large.
fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::from_io(&e))?;
    if !meta.is_file() {
        return Err(LoadError::NotAFile);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge {
            size: meta.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    let file = std::fs::File::open(path).map_err(|e| LoadError::from_io(&e))?;
    // The file may grow between stat and read: never read more than the limit allows.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError::from_io(&e))?;
    Ok(bytes)
}

/// The first 16 hex characters of blake3 over the raw bytes.
pub fn content_id(bytes: &[u8]) -> String {
    let hex = blake3::hash(bytes).to_hex();
    hex.as_str()[..16].to_string()
}

/// A problem found while decoding. Never fatal: the text is kept and the issue shown to the reviewer.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadIssue {
    pub kind: LoadIssueKind,
    pub message: String,
    /// Where the (first) problem is in the document text, when it can be placed.
    pub span: Option<Span>,
}

impl fmt::Display for LoadIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Some(s) => write!(
                f,
                "{}:{}: {}: {}",
                s.line,
                s.col,
                self.kind.as_str(),
                self.message
            ),
            None => write!(f, "{}: {}", self.kind.as_str(), self.message),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoadIssueKind {
    /// Decoding produced replacement characters (U+FFFD); the message gives the count, the span the first.
    Undecodable,
    /// NUL bytes in otherwise text; each became U+FFFD.
    NulBytes,
    /// ESC sequences or other C0/C1 control characters, kept in the text as they are.
    ControlChars,
    /// Parts of the file are in different encodings (e.g. mostly UTF-8 with some GBK passages).
    MixedEncoding,
    /// A PDF (or some of its pages) without a text layer: a scan that needs OCR.
    NeedsOcr,
    /// A PDF read only in part: a damaged cross-reference table, or more content than a report holds.
    PdfIncomplete,
}

impl LoadIssueKind {
    pub const ALL: [LoadIssueKind; 6] = [
        LoadIssueKind::Undecodable,
        LoadIssueKind::NulBytes,
        LoadIssueKind::ControlChars,
        LoadIssueKind::MixedEncoding,
        LoadIssueKind::NeedsOcr,
        LoadIssueKind::PdfIncomplete,
    ];

    /// The id of the finding this problem raises.
    pub fn rule_id(self) -> String {
        format!("load.{}", self.as_str())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LoadIssueKind::Undecodable => "undecodable",
            LoadIssueKind::NulBytes => "nul-bytes",
            LoadIssueKind::ControlChars => "control-chars",
            LoadIssueKind::MixedEncoding => "mixed-encoding",
            LoadIssueKind::NeedsOcr => "needs-ocr",
            LoadIssueKind::PdfIncomplete => "pdf-incomplete",
        }
    }
}

/// Why a path could not be loaded. Messages say what is wrong and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// Reading failed (permissions, I/O error).
    Io {
        message: String,
    },
    /// The path does not exist.
    NotFound,
    /// The path exists but is not a regular file (device, socket, pipe).
    NotAFile,
    /// Nothing but whitespace (or HTML markup without text).
    Empty,
    TooLarge {
        size: u64,
        limit: u64,
    },
    /// Not text: an image, PDF, archive, office document, or mostly control bytes.
    Binary {
        reason: String,
    },
    /// A structured file (Word, WPS, PDF) its reader could not read: `reason` says why and what
    /// to do.
    Unreadable {
        format: &'static str,
        reason: String,
    },
    /// Text in an encoding the decoder does not read (UTF-32).
    UnsupportedEncoding {
        name: String,
    },
}

impl LoadError {
    fn from_io(e: &std::io::Error) -> LoadError {
        match e.kind() {
            std::io::ErrorKind::NotFound => LoadError::NotFound,
            _ => LoadError::Io {
                message: e.to_string(),
            },
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { message } => {
                write!(
                    f,
                    "cannot read it: {message}; check that it exists and that you may read it"
                )
            }
            LoadError::NotFound => write!(f, "no such file or folder: check the path"),
            LoadError::NotAFile => write!(
                f,
                "not a regular file (a device, socket or pipe?): name a report file or a folder of reports"
            ),
            LoadError::Empty => write!(
                f,
                "the file has no text (empty, whitespace only, or HTML without text): nothing to review"
            ),
            LoadError::TooLarge { size, limit } => write!(
                f,
                "the file is {size} bytes, over the limit of {limit} bytes for one report: \
                 check that it is a single report text, or split it"
            ),
            LoadError::Binary { reason } => write!(f, "not a text file: {reason}"),
            LoadError::Unreadable { format, reason } => write!(f, "cannot read this {format} file: {reason}"),
            LoadError::UnsupportedEncoding { name } => write!(
                f,
                "text in {name} is not supported: convert it to UTF-8 first, \
                 e.g. `iconv -f {name} -t UTF-8 in.txt > out.txt`"
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// Sources read by a reader of their own rather than decoded as text: Word by extension or by
/// content, legacy Word / WPS by extension, PDF by its header or extension. `None`: decode the
/// bytes as text.
fn read_structured(path: &Path, bytes: &[u8]) -> Result<Option<(&'static str, Extracted)>, LoadError> {
    if bytes.starts_with(b"%PDF-") || pdf::has_pdf_extension(path) {
        return pdf::read_pdf(bytes).map(|e| Some(("PDF", e)));
    }
    if docx::has_docx_extension(path) || docx::looks_like_docx(bytes) {
        return docx::read_docx(bytes).map(|e| Some(("DOCX", e)));
    }
    if let Some(ext) = docx::legacy_word_extension(path) {
        let format = if ext == "wps" { "WPS via LibreOffice" } else { "DOC via LibreOffice" };
        return docx::read_legacy_word(bytes, &ext).map(|e| Some((format, e)));
    }
    Ok(None)
}

/// `.html` / `.htm`, any case.
pub fn has_html_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

/// Byte offset of every line start: 0, then one past each `\n` that is not the last byte.
pub fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::with_capacity(text.len() / 32 + 1);
    starts.push(0);
    // memchr: every report is indexed twice per batch, and a byte-by-byte filter was a tenth
    // of loading one.
    starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1).filter(|&s| s < text.len()));
    starts
}

/// 1-based line and character column of `byte` in `text`, given its line starts.
pub fn line_col_in(text: &str, line_starts: &[usize], byte: usize) -> (usize, usize) {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    // Index of the last line start <= byte.
    let line = line_starts.partition_point(|&s| s <= byte).max(1);
    let start = line_starts.get(line - 1).copied().unwrap_or(0).min(byte);
    // Counting lead bytes is the char count, and vectorizes well on very long lines.
    let col = text.as_bytes()[start..byte]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
        + 1;
    (line, col)
}

/// A span over `text[start..end]`, clamped to the text and to character boundaries.
pub fn span_at(text: &str, line_starts: &[usize], start: usize, end: usize) -> Span {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(start);
    let end = floor(end.max(start));
    let (line, col) = line_col_in(text, line_starts, start);
    Span {
        start,
        end,
        line,
        col,
    }
}

/// Refuses text that is mostly replacement characters: no encoding read it, so it is not text.
fn refuse_if_undecodable(decoded: &Decoded) -> Result<(), LoadError> {
    // U+FFFD is found by memmem (its three bytes occur in UTF-8 only as that character), and
    // characters are counted only when there is one: nearly every text has none, and walking
    // its characters was a sixth of loading it.
    let bad = memchr::memmem::find_iter(decoded.text.as_bytes(), "\u{FFFD}".as_bytes()).count();
    if bad == 0 {
        return Ok(());
    }
    let total = decoded.text.chars().count();
    // Short texts are judged by the sniffer alone: a handful of characters is too little evidence.
    if total >= 32 && bad * 4 > total {
        return Err(LoadError::Binary {
            reason: format!(
                "{bad} of its {total} characters could not be decoded in any supported encoding \
                 (best: {}): check what kind of file this is",
                decoded.encoding
            ),
        });
    }
    Ok(())
}

/// Moves decoding issues from the HTML source onto the reduced text. An issue keeps its place by
/// finding the text it pointed at (a U+FFFD, a mis-encoded passage) in the reduced text; control
/// characters are counted again, since markup and scripts that held some are gone.
fn reanchor_issues(decoded: &Decoded, reduced: &str) -> Vec<LoadIssue> {
    let starts = line_starts(reduced);
    let mut issues: Vec<LoadIssue> = decoded
        .issues
        .iter()
        .filter(|i| i.kind != LoadIssueKind::ControlChars)
        .map(|issue| {
            let span = issue.span.and_then(|s| {
                let needle = decoded.text.get(s.start..s.end).filter(|n| !n.is_empty())?;
                let at = reduced.find(needle)?;
                Some(span_at(reduced, &starts, at, at + needle.len()))
            });
            let mut message = issue.message.clone();
            if span.is_none() && issue.span.is_some() {
                message.push_str(" (in HTML markup that is not part of the text)");
            }
            LoadIssue {
                kind: issue.kind,
                message,
                span,
            }
        })
        .collect();
    issues.extend(decode::scan_controls(reduced, &starts));
    issues
}

#[cfg(test)]
mod tests;
