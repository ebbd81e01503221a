//! Bytes → text: binary sniffing, encoding detection, decoding, line-ending and NUL clean-up.
//!
//! Detection order, first match wins:
//! 1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE);
//! 2. UTF-16 without a BOM, recognised by NUL bytes on one side of each code unit;
//! 3. strict UTF-8 (also: valid UTF-8 cut off inside the last character);
//! 4. mostly UTF-8 with some passages that are not: those passages alone are decoded with the
//!    legacy encoding chardetng picks for them (a `MixedEncoding` issue marks them);
//! 5. an HTML `<meta charset>` / `http-equiv` label;
//! 6. chardetng with the `.cn` hint; if that decoding produces replacement characters, GB18030
//!    and Big5 are tried too and the one with the fewest wins.
//!
//! GBK is always decoded with the GB18030 decoder: it is a strict superset, so nothing GBK reads is
//! lost and the four-byte sequences GBK cannot read come out right.

use encoding_rs::{BIG5, DecoderResult, Encoding, GB18030, GBK, UTF_8, UTF_16BE, UTF_16LE};

use super::{LoadError, LoadIssue, LoadIssueKind, html, line_starts, span_at};

/// How much of the file the binary sniffer looks at.
const SNIFF_BYTES: usize = 8 * 1024;

/// Decoded text with the encoding used and the problems met on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Line endings normalized to `\n`, NUL bytes replaced by U+FFFD.
    pub text: String,
    /// The encoding's name, e.g. "UTF-8", "UTF-8 BOM", "GB18030", "Big5", "UTF-16LE BOM".
    pub encoding: String,
    /// Which detector path chose it.
    pub detection: Detection,
    /// Spans refer to `text`.
    pub issues: Vec<LoadIssue>,
}

/// The detector path that chose the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Detection {
    /// A byte order mark.
    Bom,
    /// NUL bytes on one side of each 16-bit unit: UTF-16 without a BOM.
    Utf16Pattern,
    /// The bytes are valid UTF-8 (possibly cut off inside the last character).
    Utf8,
    /// Mostly valid UTF-8: the passages that are not were decoded with the legacy encoding
    /// chardetng picked for them, or (too few bad bytes to tell) left undecodable.
    Mixed,
    /// An HTML `<meta charset>` or `http-equiv="Content-Type"` label.
    HtmlMeta,
    /// chardetng's guess, Chinese encodings preferred (see `guess_legacy`).
    Chardetng,
    /// chardetng's guess produced replacement characters; another encoding produced fewer.
    FewestErrors,
    /// Nothing to detect (no bytes).
    Empty,
    /// A structured source (Word, PDF) whose own reader gave the text.
    Structured,
}

impl Detection {
    pub fn as_str(self) -> &'static str {
        match self {
            Detection::Bom => "byte order mark",
            Detection::Utf16Pattern => "UTF-16 NUL pattern, no BOM",
            Detection::Utf8 => "valid UTF-8",
            Detection::Mixed => "mostly valid UTF-8",
            Detection::HtmlMeta => "HTML meta charset",
            Detection::Chardetng => "chardetng, Chinese encodings preferred",
            Detection::FewestErrors => "fewest undecodable bytes",
            Detection::Empty => "empty input",
            Detection::Structured => "read by the document's own reader",
        }
    }
}

/// Refuses bytes that are not text: known binary formats by their magic bytes, UTF-32, and
/// files whose first 8 KiB are mostly NUL or control bytes (unless they are UTF-16).
pub fn sniff(bytes: &[u8]) -> Result<(), LoadError> {
    if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) {
        return Err(LoadError::UnsupportedEncoding {
            name: "UTF-32LE".into(),
        });
    }
    if bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(LoadError::UnsupportedEncoding {
            name: "UTF-32BE".into(),
        });
    }
    if let Some(reason) = magic(bytes) {
        return Err(LoadError::Binary {
            reason: reason.to_string(),
        });
    }
    if Encoding::for_bom(bytes).is_some() {
        return Ok(());
    }
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if utf16_by_nul_pattern(sample).is_some() {
        return Ok(());
    }
    // One count of both kinds: every file is sniffed, and NULs are told apart only for the
    // message of a file refused.
    let suspicious = count_bytes(sample, is_suspicious);
    // Text has hardly any of these; random or compressed data has about one byte in ten.
    if suspicious >= 4 && suspicious * 20 > sample.len() {
        let nul = count_bytes(sample, |b| b == 0);
        return Err(LoadError::Binary {
            reason: format!(
                "{suspicious} of the first {} bytes are NUL ({nul}) or control bytes: \
                 this looks like a binary file; extract its text first",
                sample.len()
            ),
        });
    }
    Ok(())
}

/// How many bytes satisfy `f`, counted in byte-wide lanes so the compiler can vectorise the
/// loop: every file is sniffed, and a plain count ran at 14 instructions a byte. 240 bytes at a
/// time (a lane never overflows, and 240 is a multiple of every vector width, so no byte of a
/// whole chunk is left to a scalar tail: 255 cost twice the instructions).
fn count_bytes(bytes: &[u8], f: impl Fn(u8) -> bool) -> usize {
    bytes.chunks(240).map(|c| c.iter().fold(0u8, |n, &b| n + u8::from(f(b))) as usize).sum()
}

/// Whether any byte satisfies `f`, in the same lanes, stopping after the first chunk that has one.
fn any_byte(bytes: &[u8], f: impl Fn(u8) -> bool) -> bool {
    bytes.chunks(240).any(|c| c.iter().fold(false, |a, &b| a | f(b)))
}

/// NUL and the control bytes that do not occur in text. Tab, LF, VT, FF (page breaks from
/// pdftotext), CR (0x09–0x0D) and ESC (terminal colours) are left out: text may carry them.
/// Written as comparisons the compiler vectorises well (a list of ranges took 2.7 instructions
/// a byte, this 1.5).
fn is_suspicious(b: u8) -> bool {
    (b <= 0x1f && b.wrapping_sub(0x09) > 4 && b != 0x1b) | (b == 0x7f)
}

/// Control characters below U+0080 that `scan_controls` reports: C0 but tab, LF and FF; DEL.
fn is_low_control(b: u8) -> bool {
    (b <= 0x1f) & (b != b'\t') & (b != b'\n') & (b != 0x0c) | (b == 0x7f)
}

/// Known binary formats, with what to do about them.
fn magic(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (
            b"%PDF-",
            "PDF: extract its text first, e.g. `pdftotext -layout report.pdf report.txt`",
        ),
        (
            b"\x89PNG\r\n\x1a\n",
            "PNG image: the report is a picture; run OCR on it first",
        ),
        (
            b"\xFF\xD8\xFF",
            "JPEG image: the report is a picture; run OCR on it first",
        ),
        (
            b"GIF87a",
            "GIF image: the report is a picture; run OCR on it first",
        ),
        (
            b"GIF89a",
            "GIF image: the report is a picture; run OCR on it first",
        ),
        (
            b"II*\0",
            "TIFF image: the report is a picture; run OCR on it first",
        ),
        (
            b"MM\0*",
            "TIFF image: the report is a picture; run OCR on it first",
        ),
        (
            b"PK\x03\x04",
            "ZIP archive (or .docx/.xlsx/.odt, which are ZIP): unpack it, or save the document as UTF-8 text",
        ),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "Microsoft Office 97-2003 document (.doc/.xls/.wps): save it as UTF-8 text first",
        ),
        (b"{\\rtf", "RTF document: save it as plain UTF-8 text first"),
        (
            b"\x1F\x8B",
            "gzip-compressed: decompress it first, e.g. `gunzip`",
        ),
        (b"Rar!\x1A\x07", "RAR archive: unpack it first"),
        (b"7z\xBC\xAF\x27\x1C", "7-Zip archive: unpack it first"),
        (b"\x7FELF", "an executable program, not a report"),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| bytes.starts_with(m))
        .map(|&(_, why)| why)
}

/// UTF-16 without a BOM: text with ASCII in it (digits, newlines) has a NUL high byte in many
/// code units, always on the same side. Chinese-only UTF-16 has few NULs and is not recognised
/// here; without a BOM nothing reliable tells it apart from binary.
fn utf16_by_nul_pattern(sample: &[u8]) -> Option<&'static Encoding> {
    let units = sample.len() / 2;
    // Without a single NUL byte (nearly every file) there is nothing to count.
    if units < 4 || memchr::memchr(0, sample).is_none() {
        return None;
    }
    let even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    // At least a fifth of the units carry a NUL high byte, and (almost) none on the other side.
    if odd * 5 >= units && even * 20 <= odd {
        Some(UTF_16LE)
    } else if even * 5 >= units && odd * 20 <= even {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Decodes bytes to text, choosing the encoding as the module documentation describes.
/// Never fails: what cannot be decoded becomes U+FFFD and is reported as an issue.
pub fn decode(bytes: &[u8]) -> Decoded {
    with_controls(decode_without_controls(bytes))
}

/// The control-character issue of a decoded text, after every other issue.
fn with_controls(mut decoded: Decoded) -> Decoded {
    if let Some(c) = find_controls(&decoded.text) {
        decoded.issues.push(c.issue(&decoded.text, &line_starts(&decoded.text)));
    }
    decoded
}

/// [`decode`] without looking for control characters: the same text, encoding and other issues.
/// For reading fields alone, which never read the issues, the scan is the costliest part left.
pub(super) fn decode_without_controls(bytes: &[u8]) -> Decoded {
    if bytes.is_empty() {
        return Decoded {
            text: String::new(),
            encoding: "UTF-8".into(),
            detection: Detection::Empty,
            issues: Vec::new(),
        };
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let mut raw = Raw::default();
        raw.decode(enc, &bytes[bom_len..]);
        return raw.finish(format!("{} BOM", enc.name()), Detection::Bom);
    }
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if let Some(enc) = utf16_by_nul_pattern(sample) {
        let mut raw = Raw::default();
        raw.decode(enc, bytes);
        // Only trust the pattern when it yields (almost) clean text.
        if raw.errors.count * 100 <= bytes.len() / 2 {
            return raw.finish(enc.name().to_string(), Detection::Utf16Pattern);
        }
    }
    // Nearly every file is valid UTF-8: validated with SIMD first, std's validator only to say
    // where a file is not.
    let utf8 = match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => std::str::from_utf8(bytes),
    };
    match utf8 {
        Ok(text) => {
            let raw = Raw {
                text: text.to_string(),
                ..Raw::default()
            };
            return raw.finish("UTF-8".into(), Detection::Utf8);
        }
        // Valid up to a character cut off at the very end: a truncated UTF-8 file.
        Err(e) if e.error_len().is_none() => {
            let mut raw = Raw::default();
            raw.decode(UTF_8, bytes);
            return raw.finish("UTF-8".into(), Detection::Utf8);
        }
        Err(_) => {}
    }

    let profile = Utf8Profile::of(bytes);
    if profile.valid_bytes >= profile.invalid_bytes {
        return decode_mixed(bytes, &profile);
    }

    let meta = html::meta_charset(bytes)
        .filter(|&e| e != UTF_8)
        .map(superset);
    if let Some(enc) = meta {
        let mut raw = Raw::default();
        raw.decode(enc, bytes);
        if raw.errors.count == 0 {
            return raw.finish(display_name(enc), Detection::HtmlMeta);
        }
    }

    let guess = guess_legacy(&[bytes]);
    let mut best = Raw::default();
    best.decode(guess, bytes);
    let mut best_enc = guess;
    let mut detection = Detection::Chardetng;
    // A wrong legacy guess shows as replacement characters or as private-use characters
    // (unassigned GBK/Big5 codes): if there are any, the encoding with the fewest wins.
    let mut best_score = best.doubt();
    if best_score > 0 {
        for alt in [meta, Some(GB18030), Some(BIG5)].into_iter().flatten() {
            if alt == best_enc {
                continue;
            }
            let mut raw = Raw::default();
            raw.decode(alt, bytes);
            let score = raw.doubt();
            if score < best_score {
                best = raw;
                best_enc = alt;
                best_score = score;
                detection = if Some(alt) == meta {
                    Detection::HtmlMeta
                } else {
                    Detection::FewestErrors
                };
            }
        }
    }
    best.finish(display_name(best_enc), detection)
}

/// How much text chardetng sees: plenty to tell the encodings apart, and it bounds the time
/// spent on very large files.
const DETECT_BYTES: usize = 64 * 1024;

/// chardetng's guess for legacy (non-UTF-8) bytes given as parts of one stream.
///
/// The `.cn` hint alone would never say Big5: it favours GBK so strongly that traditional text
/// in Big5 came out as GBK mojibake. So the generic guess is taken when it names a Chinese
/// encoding, and the `.cn`-hinted one otherwise (short GBK snippets look like EUC-KR or
/// windows-1252 to the generic guess).
fn guess_legacy(parts: &[&[u8]]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let mut budget = DETECT_BYTES;
    for part in parts {
        if budget == 0 {
            break;
        }
        let part = &part[..part.len().min(budget)];
        budget -= part.len();
        det.feed(part, false);
        // Keeps separate passages from reading as one character sequence.
        det.feed(b"\n", false);
    }
    let generic = det.guess(None, chardetng::Utf8Detection::Deny);
    let chosen = if generic == BIG5 || generic == GBK || generic == GB18030 {
        generic
    } else {
        det.guess(Some(b"cn"), chardetng::Utf8Detection::Deny)
    };
    superset(chosen)
}

/// GBK (and gb2312, which encoding_rs maps to GBK) is decoded with GB18030, its superset.
fn superset(enc: &'static Encoding) -> &'static Encoding {
    if enc == GBK { GB18030 } else { enc }
}

/// encoding_rs names GB18030 in lower case; everything else already reads well.
fn display_name(enc: &'static Encoding) -> String {
    if enc == GB18030 {
        "GB18030".to_string()
    } else {
        enc.name().to_string()
    }
}

/// How much of a file is valid UTF-8 beyond ASCII, and how much is not.
struct Utf8Profile {
    /// Non-ASCII bytes in valid UTF-8 sequences.
    valid_bytes: usize,
    /// Bytes that are not valid UTF-8.
    invalid_bytes: usize,
}

impl Utf8Profile {
    fn of(bytes: &[u8]) -> Utf8Profile {
        let mut p = Utf8Profile {
            valid_bytes: 0,
            invalid_bytes: 0,
        };
        for chunk in bytes.utf8_chunks() {
            p.valid_bytes += chunk.valid().bytes().filter(|&b| b >= 0x80).count();
            p.invalid_bytes += chunk.invalid().len();
        }
        p
    }
}

/// A file that is mostly UTF-8. Each place where UTF-8 breaks starts a passage that is decoded
/// with the legacy encoding chardetng picks for all such passages together, unless there are
/// too few bad bytes to tell an encoding from noise: then they are just undecodable.
fn decode_mixed(bytes: &[u8], profile: &Utf8Profile) -> Decoded {
    let legacy: Option<&'static Encoding> = (profile.invalid_bytes >= 4).then(|| {
        let passages: Vec<&[u8]> = Passages::new(bytes)
            .map(|start| &bytes[start..legacy_extent(bytes, start)])
            .collect();
        guess_legacy(&passages)
    });

    let mut raw = Raw::default();
    let mut count = 0usize;
    let mut passage_bytes = 0usize;
    let mut first: Option<(usize, usize)> = None;
    let mut pos = 0;
    for start in Passages::new(bytes) {
        // Without a legacy encoding, bad bytes stay in the UTF-8 stream and become U+FFFD.
        raw.decode(UTF_8, &bytes[pos..start]);
        match legacy {
            Some(enc) => {
                let end = legacy_extent(bytes, start);
                let at = raw.text.len();
                raw.decode(enc, &bytes[start..end]);
                first.get_or_insert((at, raw.text.len()));
                count += 1;
                passage_bytes += end - start;
                pos = end;
            }
            None => pos = start,
        }
    }
    raw.decode(UTF_8, &bytes[pos..]);

    let Some(enc) = legacy else {
        return raw.finish("UTF-8".into(), Detection::Mixed);
    };
    let mut marks: Vec<usize> = first.map(|(s, e)| vec![s, e]).unwrap_or_default();
    let mut decoded = raw.finish_with_marks(
        format!("UTF-8 + {}", display_name(enc)),
        Detection::Mixed,
        &mut marks,
    );
    let span = match marks[..] {
        [s, e] => Some(span_at(&decoded.text, &line_starts(&decoded.text), s, e)),
        _ => None,
    };
    decoded.issues.insert(
        0,
        LoadIssue {
            kind: LoadIssueKind::MixedEncoding,
            message: format!(
                "mostly UTF-8, but {passage_bytes} bytes in {count} passage{} are not; \
                 those were decoded as {}: check them against the source",
                plural(count),
                display_name(enc)
            ),
            span,
        },
    );
    decoded
}

/// Where the passages that are not UTF-8 begin. A start is moved back over two-byte UTF-8 characters (U+0080–U+07FF) right before the break: in Chinese
/// text those are more likely GBK bytes that happen to form valid UTF-8 than real characters.
struct Passages<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Passages<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Passages { bytes, pos: 0 }
    }
}

impl Iterator for Passages<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        let rest = self.bytes.get(self.pos..)?;
        let err = std::str::from_utf8(rest).err()?;
        let bad = self.pos + err.valid_up_to();
        let mut start = bad;
        while start >= self.pos + 2
            && (0xC2..=0xDF).contains(&self.bytes[start - 2])
            && (0x80..=0xBF).contains(&self.bytes[start - 1])
        {
            start -= 2;
        }
        // Continue after this passage (or at least after the bad byte).
        self.pos = legacy_extent(self.bytes, start).max(bad + 1);
        Some(start)
    }
}

/// The end of a legacy-encoded passage starting at `start`: whole two-byte characters (whose
/// trail byte may be ASCII, e.g. GBK 0x81 0x40) and GB18030 four-byte ones, up to the first
/// ASCII byte in lead position or the first place where UTF-8 text plainly resumes (two
/// three-byte UTF-8 characters in a row, which GBK bytes almost never form by chance).
fn legacy_extent(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() && bytes[i] >= 0x80 {
        if i > start && utf8_resumes(&bytes[i..]) {
            break;
        }
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        i += match next {
            Some(0x30..=0x39)
                if (0x81..=0xFE).contains(&b)
                    && bytes.get(i + 2).is_some_and(|c| (0x81..=0xFE).contains(c))
                    && bytes.get(i + 3).is_some_and(|c| (0x30..=0x39).contains(c)) =>
            {
                4
            }
            Some(0x40..=0x7E | 0x80..=0xFE) if (0x81..=0xFE).contains(&b) => 2,
            _ => 1,
        };
    }
    i.min(bytes.len())
}

/// Two valid three-byte UTF-8 characters at the start of `b`.
fn utf8_resumes(b: &[u8]) -> bool {
    b.len() >= 6
        && (0xE0..=0xEF).contains(&b[0])
        && (0xE0..=0xEF).contains(&b[3])
        && std::str::from_utf8(&b[..6]).is_ok()
}

/// Count and first position of something in the text being built.
#[derive(Default, Clone, Copy, Debug, PartialEq)]
struct Tally {
    count: usize,
    first: Option<usize>,
}

impl Tally {
    fn add(&mut self, at: usize) {
        self.count += 1;
        self.first.get_or_insert(at);
    }
}

/// Text being decoded, before line endings and NULs are cleaned up.
#[derive(Default, Clone)]
struct Raw {
    text: String,
    /// Replacement characters the decoder produced (not ones already in the input).
    errors: Tally,
    /// Encodings that produced errors, for the message.
    error_encodings: Vec<&'static Encoding>,
}

impl Raw {
    /// Appends `bytes` decoded with `enc` (no BOM sniffing), writing U+FFFD for each malformed
    /// sequence and remembering where the first one went.
    fn decode(&mut self, enc: &'static Encoding, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if enc == UTF_8
            && let Ok(s) = std::str::from_utf8(bytes)
        {
            self.text.push_str(s);
            return;
        }
        let before = self.errors.count;
        let mut decoder = enc.new_decoder_without_bom_handling();
        let mut input = bytes;
        loop {
            let need = decoder
                .max_utf8_buffer_length_without_replacement(input.len())
                .unwrap_or(input.len() * 3 + 16);
            self.text.reserve(need.max(4));
            let (result, read) =
                decoder.decode_to_string_without_replacement(input, &mut self.text, true);
            input = &input[read..];
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(_, _) => {
                    let at = self.text.len();
                    self.text.push('\u{FFFD}');
                    self.errors.add(at);
                }
            }
        }
        if self.errors.count > before && !self.error_encodings.contains(&enc) {
            self.error_encodings.push(enc);
        }
    }

    /// Signs of a wrong encoding: replacement characters plus private-use characters (what GBK
    /// and Big5 decoders make of codes no real text uses).
    fn doubt(&self) -> usize {
        let private = self
            .text
            .chars()
            .filter(|c| ('\u{E000}'..='\u{F8FF}').contains(c))
            .count();
        self.errors.count + private
    }

    fn finish(self, encoding: String, detection: Detection) -> Decoded {
        self.finish_with_marks(encoding, detection, &mut [])
    }

    /// Normalizes the text and builds the issues; `marks` (byte offsets in the raw text) are
    /// moved to where the same characters are in the final text.
    fn finish_with_marks(
        self,
        encoding: String,
        detection: Detection,
        marks: &mut [usize],
    ) -> Decoded {
        let mut all: Vec<usize> = marks.to_vec();
        all.extend(self.errors.first);
        let (text, nuls) = normalize(self.text, &mut all);
        marks.copy_from_slice(&all[..marks.len()]);
        let first_error = self.errors.first.map(|_| all[marks.len()]);

        // The line index only places issues: most texts have none, and from_bytes builds its own.
        let placed = first_error.is_some() || nuls.first.is_some();
        let starts = if placed { line_starts(&text) } else { Vec::new() };
        let mut issues = Vec::new();
        if let Some(at) = first_error {
            let n = self.errors.count;
            issues.push(LoadIssue {
                kind: LoadIssueKind::Undecodable,
                message: format!(
                    "{n} byte sequence{} could not be decoded as {} and became U+FFFD",
                    plural(n),
                    self.error_encodings
                        .iter()
                        .map(|&e| display_name(e))
                        .collect::<Vec<_>>()
                        .join(" / ")
                ),
                span: Some(span_at(&text, &starts, at, at + '\u{FFFD}'.len_utf8())),
            });
        }
        if let Some(at) = nuls.first {
            let n = nuls.count;
            issues.push(LoadIssue {
                kind: LoadIssueKind::NulBytes,
                message: format!(
                    "{n} NUL character{} in the text, each replaced by U+FFFD",
                    plural(n)
                ),
                span: Some(span_at(&text, &starts, at, at + '\u{FFFD}'.len_utf8())),
            });
        }
        Decoded {
            text,
            encoding,
            detection,
            issues,
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// CRLF and lone CR become `\n`; NUL becomes U+FFFD. NULs are replaced rather than dropped so
/// that "12\03" never turns into the number 123, and the reviewer sees where they were.
/// `marks` are byte offsets (on character boundaries) into `raw`, moved to the same place in
/// the result.
fn normalize(raw: String, marks: &mut [usize]) -> (String, Tally) {
    let mut nuls = Tally::default();
    // memchr: nearly every text has neither, and a byte-by-byte test was half of decoding one.
    if memchr::memchr2(b'\r', 0, raw.as_bytes()).is_none() {
        return (raw, nuls);
    }
    let bytes = raw.as_bytes();
    let mut order: Vec<usize> = (0..marks.len()).collect();
    order.sort_by_key(|&k| marks[k]);
    let original = marks.to_vec();
    let mut next_mark = 0;
    let mut out = String::with_capacity(raw.len() + 16);
    let mut copied = 0;
    for i in memchr::memchr2_iter(b'\r', 0, bytes) {
        let b = bytes[i];
        out.push_str(&raw[copied..i]);
        // Marks up to here sit at the same distance before `i` in `out` as in `raw`.
        while let Some(&k) = order.get(next_mark) {
            if original[k] > i {
                break;
            }
            marks[k] = out.len() - (i - original[k]);
            next_mark += 1;
        }
        if b == 0 {
            nuls.add(out.len());
            out.push('\u{FFFD}');
        } else if bytes.get(i + 1) != Some(&b'\n') {
            out.push('\n');
        }
        copied = i + 1;
    }
    let tail_start = out.len();
    out.push_str(&raw[copied..]);
    for &k in &order[next_mark..] {
        marks[k] = tail_start + (original[k] - copied);
    }
    (out, nuls)
}

/// One issue for control characters other than tab, newline and form feed (a page break in
/// pdftotext output): ESC sequences, other C0 controls, DEL and C1 controls. They stay in the
/// text so spans remain true; whoever draws the text must make them visible.
pub fn scan_controls(text: &str, line_starts: &[usize]) -> Option<LoadIssue> {
    find_controls(text).map(|c| c.issue(text, line_starts))
}

/// The control characters of a text: how many, how many ESC, where the first is.
struct Controls {
    first: usize,
    count: usize,
    esc: usize,
}

fn find_controls(text: &str) -> Option<Controls> {
    // Fast path: in UTF-8 every control here is a byte below 0x20, 0x7F, or 0xC2 followed by
    // 0x80..=0x9F (C1). Text without such bytes has none, and most reports have none.
    // (0xC2 alone is common: "·" is C2 B7.)
    let bytes = text.as_bytes();
    let c1 = || memchr::memchr_iter(0xc2, bytes).any(|i| bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)));
    if !any_byte(bytes, is_low_control) && !c1() {
        return None;
    }
    let mut tally = Tally::default();
    let mut esc = 0;
    for (i, c) in text.char_indices() {
        let control =
            matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{d}'..='\u{1f}' | '\u{7f}'..='\u{9f}');
        if control {
            tally.add(i);
            if c == '\u{1b}' {
                esc += 1;
            }
        }
    }
    Some(Controls { first: tally.first?, count: tally.count, esc })
}

impl Controls {
    fn issue(&self, text: &str, line_starts: &[usize]) -> LoadIssue {
        let (at, n, esc) = (self.first, self.count, self.esc);
        let esc_note = if esc > 0 {
            format!(", {esc} of them ESC (terminal escape sequences?)")
        } else {
            String::new()
        };
        let len = text[at..].chars().next().map_or(1, char::len_utf8);
        LoadIssue {
            kind: LoadIssueKind::ControlChars,
            message: format!(
                "{n} control character{}{esc_note}; kept in the text as they are",
                plural(n)
            ),
            span: Some(span_at(text, line_starts, at, at + len)),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn control_scan_tells_a_c1_control_from_a_middle_dot() {
        // "·" is C2 B7 and common in reports; U+0085 (C2 85) is a C1 control.
        let dot = "统计·表三\n".repeat(100);
        assert!(scan_controls(&dot, &[0]).is_none());
        let c1 = format!("{dot}表\u{85}三");
        let issue = scan_controls(&c1, &[0]).expect("a C1 control is reported");
        assert!(issue.message.starts_with("1 control character"), "{}", issue.message);
        let cr = format!("{dot}\r\n");
        assert!(scan_controls(&cr, &[0]).is_some(), "CR is a control character here");
    }

    #[test]
    fn byte_counts_are_exact_across_lane_chunks() {
        let mut bytes = vec![b'a'; 1000];
        for i in [0, 254, 255, 256, 510, 999] {
            bytes[i] = 0;
        }
        assert_eq!(count_bytes(&bytes, |b| b == 0), 6);
        assert_eq!(count_bytes(&[0u8; 600], |b| b == 0), 600, "a lane never overflows");
    }

    const REPORT: &str = "平潭综合实验区2022年政府信息公开工作年度报告\n一、总体情况\n本年新收政府信息公开申请数量12件，上年结转2件。\n";
    const TRAD: &str = "政府資訊公開年度報告\n一、總體情況\n本年度收到政府資訊公開申請12件，辦理結果已全部答復。\n二、主動公開政府資訊情況\n";

    fn kinds(d: &Decoded) -> Vec<LoadIssueKind> {
        d.issues.iter().map(|i| i.kind).collect()
    }

    #[test]
    fn utf8_plain_and_with_bom() {
        let d = decode(REPORT.as_bytes());
        assert_eq!(d.text, REPORT);
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.detection, Detection::Utf8);
        assert!(d.issues.is_empty());

        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(REPORT.as_bytes());
        let d = decode(&bytes);
        assert_eq!(d.text, REPORT, "the BOM is not part of the text");
        assert_eq!(d.encoding, "UTF-8 BOM");
        assert_eq!(d.detection, Detection::Bom);
    }

    #[test]
    fn gb18030_and_gbk_bytes() {
        for enc in [GB18030, GBK] {
            let (bytes, _, unmappable) = enc.encode(REPORT);
            assert!(!unmappable);
            assert!(std::str::from_utf8(&bytes).is_err());
            let d = decode(&bytes);
            assert_eq!(d.text, REPORT, "{}", enc.name());
            assert_eq!(d.encoding, "GB18030");
            assert_eq!(d.detection, Detection::Chardetng);
            assert!(d.issues.is_empty(), "{:?}", d.issues);
        }
    }

    #[test]
    fn gb18030_four_byte_characters() {
        // 𠀀 (U+20000) needs GB18030's four-byte form; GBK cannot encode it.
        let text = format!("{REPORT}罕见字：𠀀。\n");
        let (bytes, _, unmappable) = GB18030.encode(&text);
        assert!(!unmappable);
        let d = decode(&bytes);
        assert_eq!(d.text, text);
        assert_eq!(d.encoding, "GB18030");
    }

    #[test]
    fn big5_traditional() {
        let (bytes, _, unmappable) = BIG5.encode(TRAD);
        assert!(!unmappable);
        let d = decode(&bytes);
        assert_eq!(d.text, TRAD);
        assert_eq!(d.encoding, "Big5");
        assert!(d.issues.is_empty(), "{:?}", d.issues);
    }

    #[test]
    fn utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in REPORT.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        let d = decode(&le);
        assert_eq!(
            (d.text.as_str(), d.encoding.as_str()),
            (REPORT, "UTF-16LE BOM")
        );
        let d = decode(&be);
        assert_eq!(
            (d.text.as_str(), d.encoding.as_str()),
            (REPORT, "UTF-16BE BOM")
        );
        assert!(
            sniff(&le).is_ok() && sniff(&be).is_ok(),
            "UTF-16 NULs are not binary"
        );
    }

    #[test]
    fn utf16_without_bom_by_nul_pattern() {
        let text = "Annual report 2022\r\n本年新收申请12件\r\nTotal: 14\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(sniff(&le).is_ok());
        let d = decode(&le);
        assert_eq!(d.text, text.replace("\r\n", "\n"));
        assert_eq!(
            (d.encoding.as_str(), d.detection),
            ("UTF-16LE", Detection::Utf16Pattern)
        );
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&be).encoding, "UTF-16BE");
    }

    #[test]
    fn invalid_bytes_are_counted_and_placed() {
        // Valid UTF-8 with a lone 0xFF and a lone continuation byte: two undecodable spots.
        let mut bytes = "第一行\n第二行".as_bytes().to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice("好\n".as_bytes());
        bytes.push(0x80);
        let d = decode(&bytes);
        let issue = d
            .issues
            .iter()
            .find(|i| i.kind == LoadIssueKind::Undecodable)
            .expect("undecodable");
        assert!(
            issue.message.starts_with("2 byte sequences"),
            "{}",
            issue.message
        );
        let span = issue.span.expect("span");
        assert_eq!((span.line, span.col), (2, 4));
        assert_eq!(&d.text[span.start..span.end], "\u{FFFD}");
        assert_eq!(d.text, "第一行\n第二行\u{FFFD}好\n\u{FFFD}");
    }

    #[test]
    fn truncated_utf8_tail() {
        let mut bytes = REPORT.as_bytes().to_vec();
        bytes.extend_from_slice(&"报".as_bytes()[..2]);
        let d = decode(&bytes);
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.text, format!("{REPORT}\u{FFFD}"));
        assert_eq!(kinds(&d), [LoadIssueKind::Undecodable]);
    }

    #[test]
    fn mostly_utf8_with_a_gbk_passage() {
        let head = REPORT.repeat(3);
        let gbk_part = "二、主动公开政府信息情况";
        let (gbk, _, _) = GBK.encode(gbk_part);
        let mut bytes = head.as_bytes().to_vec();
        bytes.extend_from_slice(&gbk);
        bytes.extend_from_slice("\n三、收到和处理政府信息公开申请情况\n".as_bytes());
        let d = decode(&bytes);
        assert_eq!(d.detection, Detection::Mixed);
        assert_eq!(d.encoding, "UTF-8 + GB18030");
        assert_eq!(
            d.text,
            format!("{head}{gbk_part}\n三、收到和处理政府信息公开申请情况\n")
        );
        let issue = &d.issues[0];
        assert_eq!(issue.kind, LoadIssueKind::MixedEncoding);
        let span = issue.span.expect("span");
        assert_eq!(&d.text[span.start..span.end], gbk_part);
        assert_eq!((span.line, span.col), (10, 1));
    }

    #[test]
    fn mixed_passage_starting_with_accidental_utf8() {
        // GBK 全 is C8 AB, which is also valid UTF-8 ("ȫ"): it must still join the GBK passage.
        let head = REPORT.repeat(3);
        let mut bytes = head.as_bytes().to_vec();
        bytes.extend_from_slice(&GBK.encode("全年受理").0);
        // UTF-8 resumes right after, with no ASCII in between.
        bytes.extend_from_slice("政府信息公开申请12件\n".as_bytes());
        let d = decode(&bytes);
        assert_eq!(d.text, format!("{head}全年受理政府信息公开申请12件\n"));
        let span = d.issues[0].span.expect("span");
        assert_eq!(&d.text[span.start..span.end], "全年受理");
        assert!(
            d.issues[0].message.contains("8 bytes in 1 passage "),
            "{}",
            d.issues[0].message
        );
    }

    #[test]
    fn a_stray_byte_in_utf8_is_only_undecodable() {
        let mut bytes = REPORT.as_bytes().to_vec();
        bytes.insert(6, 0xA1);
        let d = decode(&bytes);
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.detection, Detection::Mixed);
        assert_eq!(kinds(&d), [LoadIssueKind::Undecodable]);
        assert!(d.text.starts_with("平潭\u{FFFD}综合"));
    }

    #[test]
    fn mostly_gbk_with_stray_bytes_does_not_panic() {
        let mut bytes = GBK.encode(REPORT).0.into_owned();
        bytes.extend_from_slice(&[0xFF, 0x80, 0xFE]);
        let d = decode(&bytes);
        assert!(d.text.starts_with("平潭综合实验区"));
        let issue = d
            .issues
            .iter()
            .find(|i| i.kind == LoadIssueKind::Undecodable)
            .expect("undecodable");
        assert!(issue.message.contains("as GB18030"), "{}", issue.message);
    }

    #[test]
    fn private_use_characters_count_against_a_wrong_guess() {
        let (big5, _, _) = BIG5.encode(TRAD);
        let mut as_gb = Raw::default();
        as_gb.decode(GB18030, &big5);
        let mut as_big5 = Raw::default();
        as_big5.decode(BIG5, &big5);
        assert_eq!(
            as_gb.errors.count, 0,
            "GB18030 reads Big5 bytes without a single error"
        );
        assert!(as_gb.doubt() > 0, "but into private-use characters");
        assert_eq!(as_big5.doubt(), 0);
    }

    #[test]
    fn html_meta_charset_is_honoured() {
        let body = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head><body>政府信息公开</body></html>";
        let (bytes, _, _) = GBK.encode(body);
        let d = decode(&bytes);
        assert_eq!(d.text, body);
        assert_eq!(
            (d.encoding.as_str(), d.detection),
            ("GB18030", Detection::HtmlMeta)
        );

        // A meta label that contradicts valid UTF-8 bytes is ignored: the bytes are the evidence.
        let d = decode(body.as_bytes());
        assert_eq!(d.encoding, "UTF-8");
    }

    #[test]
    fn crlf_and_cr_become_lf() {
        let d = decode("一\r\n二\r三\n四\r\n".as_bytes());
        assert_eq!(d.text, "一\n二\n三\n四\n");
    }

    #[test]
    fn nul_bytes_become_replacement_characters() {
        let d = decode("本年新收12\u{0}3件\r\n上年结转\u{0}件".as_bytes());
        assert_eq!(d.text, "本年新收12\u{FFFD}3件\n上年结转\u{FFFD}件");
        assert_eq!(kinds(&d), [LoadIssueKind::NulBytes]);
        let span = d.issues[0].span.expect("span");
        assert_eq!((span.line, span.col), (1, 7));
        assert!(d.issues[0].message.starts_with("2 NUL characters"));
    }

    #[test]
    fn positions_survive_crlf_before_an_error() {
        let mut bytes = "一\r\n二\r\n三".as_bytes().to_vec();
        bytes.push(0xFF);
        let d = decode(&bytes);
        let span = d.issues[0].span.expect("span");
        assert_eq!(&d.text[span.start..span.end], "\u{FFFD}");
        assert_eq!((span.line, span.col), (3, 2));
    }

    #[test]
    fn escape_sequences_are_kept_and_reported_once() {
        let text = "报告\x1b[31m红色\x1b[0m\n第二行\u{7}";
        let d = decode(text.as_bytes());
        assert_eq!(d.text, text, "control characters stay, so spans stay true");
        assert_eq!(kinds(&d), [LoadIssueKind::ControlChars]);
        let issue = &d.issues[0];
        assert!(
            issue.message.contains("3 control characters"),
            "{}",
            issue.message
        );
        assert!(issue.message.contains("2 of them ESC"), "{}", issue.message);
        assert_eq!(issue.span.map(|s| (s.line, s.col)), Some((1, 3)));
        // Tab and form feed are ordinary in text dumps.
        assert!(decode("a\tb\x0cc".as_bytes()).issues.is_empty());
    }

    #[test]
    fn binary_formats_are_refused_with_advice() {
        let pdf = sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj").unwrap_err();
        assert!(pdf.to_string().contains("pdftotext"), "{pdf}");
        let png = sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap_err();
        assert!(matches!(png, LoadError::Binary { .. }));
        assert!(png.to_string().contains("PNG"));
        assert!(matches!(
            sniff(b"PK\x03\x04\x14\0\x06\0"),
            Err(LoadError::Binary { .. })
        ));
        assert!(matches!(
            sniff(&[0xFF, 0xFE, 0, 0, b'a', 0, 0, 0]),
            Err(LoadError::UnsupportedEncoding { .. })
        ));
    }

    #[test]
    fn random_bytes_are_refused() {
        // xorshift: deterministic "random" data.
        let mut x: u32 = 0x9E37_79B9;
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        assert!(matches!(sniff(&bytes), Err(LoadError::Binary { .. })));
        // decode itself never panics on it.
        let _ = decode(&bytes);
    }

    #[test]
    fn a_few_nuls_in_text_are_not_binary() {
        let mut text = REPORT.repeat(4).into_bytes();
        text[10] = 0;
        assert!(sniff(&text).is_ok());
        let mut many = REPORT.as_bytes().to_vec();
        many.extend(std::iter::repeat_n(0u8, 64));
        assert!(sniff(&many).is_err());
    }

    #[test]
    fn normalize_moves_marks() {
        let raw = "a\r\nb\0c\rd".to_string();
        // Marks at 'b' (3), 'c' (5), 'd' (7).
        let mut marks = [7, 3, 5];
        let (text, nuls) = normalize(raw, &mut marks);
        assert_eq!(text, "a\nb\u{FFFD}c\nd");
        assert_eq!(&text[marks[1]..marks[1] + 1], "b");
        assert_eq!(&text[marks[2]..marks[2] + 1], "c");
        assert_eq!(&text[marks[0]..marks[0] + 1], "d");
        assert_eq!((nuls.count, nuls.first), (1, Some(3)));
    }

    #[test]
    fn legacy_extent_takes_whole_characters() {
        // GBK "丂" is 0x81 0x40: an ASCII trail byte still belongs to the character.
        let bytes = [0x81, 0x40, 0xD6, 0xD0, b' ', b'x'];
        assert_eq!(legacy_extent(&bytes, 0), 4);
        // GB18030 four-byte form.
        let (four, _, _) = GB18030.encode("𠀀");
        assert_eq!(legacy_extent(&four, 0), 4);
    }

    #[test]
    fn one_megabyte_line_is_fast() {
        let line = "数".repeat(350_000);
        let start = std::time::Instant::now();
        let d = decode(line.as_bytes());
        assert_eq!(d.text.len(), line.len());
        // Encoding 1 MB is slow in debug builds; one character repeated is the same bytes.
        let gbk = GBK.encode("数").0.repeat(350_000);
        let d = decode(&gbk);
        assert_eq!(d.text, line);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    // The loader's fast paths against the code they replaced, on every corpus file and variants
    // of it (`load::tests::corpus_variants`): the same results, byte for byte.

    /// Before memchr: the byte-by-byte test and walk.
    fn normalize_reference(raw: String, marks: &mut [usize]) -> (String, Tally) {
        let mut nuls = Tally::default();
        if !raw.bytes().any(|b| b == b'\r' || b == 0) {
            return (raw, nuls);
        }
        let bytes = raw.as_bytes();
        let mut order: Vec<usize> = (0..marks.len()).collect();
        order.sort_by_key(|&k| marks[k]);
        let original = marks.to_vec();
        let mut next_mark = 0;
        let mut out = String::with_capacity(raw.len() + 16);
        let mut copied = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b != b'\r' && b != 0 {
                continue;
            }
            out.push_str(&raw[copied..i]);
            while let Some(&k) = order.get(next_mark) {
                if original[k] > i {
                    break;
                }
                marks[k] = out.len() - (i - original[k]);
                next_mark += 1;
            }
            if b == 0 {
                nuls.add(out.len());
                out.push('\u{FFFD}');
            } else if bytes.get(i + 1) != Some(&b'\n') {
                out.push('\n');
            }
            copied = i + 1;
        }
        let tail_start = out.len();
        out.push_str(&raw[copied..]);
        for &k in &order[next_mark..] {
            marks[k] = tail_start + (original[k] - copied);
        }
        (out, nuls)
    }

    /// Before: one walk that counted and placed in one go, with the line index always built.
    fn scan_controls_reference(text: &str, line_starts: &[usize]) -> Option<LoadIssue> {
        let bytes = text.as_bytes();
        let low = count_bytes(bytes, |b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0c)) || b == 0x7f) > 0;
        let c1 = || memchr::memchr_iter(0xc2, bytes).any(|i| bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)));
        if !low && !c1() {
            return None;
        }
        let mut tally = Tally::default();
        let mut esc = 0;
        for (i, c) in text.char_indices() {
            if matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{d}'..='\u{1f}' | '\u{7f}'..='\u{9f}') {
                tally.add(i);
                if c == '\u{1b}' {
                    esc += 1;
                }
            }
        }
        let at = tally.first?;
        let n = tally.count;
        let esc_note = if esc > 0 { format!(", {esc} of them ESC (terminal escape sequences?)") } else { String::new() };
        let len = text[at..].chars().next().map_or(1, char::len_utf8);
        Some(LoadIssue {
            kind: LoadIssueKind::ControlChars,
            message: format!("{n} control character{}{esc_note}; kept in the text as they are", plural(n)),
            span: Some(span_at(text, line_starts, at, at + len)),
        })
    }

    /// Before: the line index built for every text, issues or not.
    fn finish_reference(raw: Raw, encoding: String, detection: Detection, marks: &mut [usize]) -> Decoded {
        let mut all: Vec<usize> = marks.to_vec();
        all.extend(raw.errors.first);
        let (text, nuls) = normalize_reference(raw.text, &mut all);
        marks.copy_from_slice(&all[..marks.len()]);
        let first_error = raw.errors.first.map(|_| all[marks.len()]);
        let starts = line_starts(&text);
        let mut issues = Vec::new();
        if let Some(at) = first_error {
            let n = raw.errors.count;
            issues.push(LoadIssue {
                kind: LoadIssueKind::Undecodable,
                message: format!(
                    "{n} byte sequence{} could not be decoded as {} and became U+FFFD",
                    plural(n),
                    raw.error_encodings.iter().map(|&e| display_name(e)).collect::<Vec<_>>().join(" / ")
                ),
                span: Some(span_at(&text, &starts, at, at + '\u{FFFD}'.len_utf8())),
            });
        }
        if let Some(at) = nuls.first {
            let n = nuls.count;
            issues.push(LoadIssue {
                kind: LoadIssueKind::NulBytes,
                message: format!("{n} NUL character{} in the text, each replaced by U+FFFD", plural(n)),
                span: Some(span_at(&text, &starts, at, at + '\u{FFFD}'.len_utf8())),
            });
        }
        issues.extend(scan_controls_reference(&text, &starts));
        Decoded { text, encoding, detection, issues }
    }

    /// Before: the control bytes of the sniffer as ranges.
    fn is_binary_control(b: u8) -> bool {
        matches!(b, 0x01..=0x08 | 0x0E..=0x1A | 0x1C..=0x1F | 0x7F)
    }

    #[test]
    fn byte_classes_are_the_ranges_they_replaced() {
        for b in 0..=255u8 {
            assert_eq!(is_suspicious(b), b == 0 || is_binary_control(b), "{b:#04x}");
            assert_eq!(is_low_control(b), (b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0c)) || b == 0x7f, "{b:#04x}");
        }
        let mut bytes = vec![b'a'; 1000];
        assert!(!any_byte(&bytes, |b| b == 0));
        for at in [0, 239, 240, 999] {
            bytes[at] = 0;
            assert!(any_byte(&bytes, |b| b == 0), "{at}");
            bytes[at] = b'a';
        }
    }

    /// Before: NULs and other control bytes counted in two passes.
    pub(in crate::load) fn sniff_reference(bytes: &[u8]) -> Result<(), LoadError> {
        if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) {
            return Err(LoadError::UnsupportedEncoding { name: "UTF-32LE".into() });
        }
        if bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
            return Err(LoadError::UnsupportedEncoding { name: "UTF-32BE".into() });
        }
        if let Some(reason) = magic(bytes) {
            return Err(LoadError::Binary { reason: reason.to_string() });
        }
        if Encoding::for_bom(bytes).is_some() {
            return Ok(());
        }
        let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
        if utf16_by_nul_pattern(sample).is_some() {
            return Ok(());
        }
        let nul = count_bytes(sample, |b| b == 0);
        let control = count_bytes(sample, is_binary_control);
        let suspicious = nul + control;
        if suspicious >= 4 && suspicious * 20 > sample.len() {
            return Err(LoadError::Binary {
                reason: format!(
                    "{suspicious} of the first {} bytes are NUL ({nul}) or control bytes: \
                     this looks like a binary file; extract its text first",
                    sample.len()
                ),
            });
        }
        Ok(())
    }

    #[test]
    fn fast_paths_give_what_the_code_they_replaced_gave_on_every_corpus_file() {
        let files = crate::load::tests::corpus_variants();
        assert!(files.len() >= 200, "{} files and variants", files.len());
        let mut rng = crate::testing::Rng(0x5EED_10AD);
        let (mut crlf, mut nul, mut controls, mut undecodable, mut utf8) = (0, 0, 0, 0, 0);
        for crate::load::tests::Sample { name, bytes, .. } in files {
            assert_eq!(sniff(bytes), sniff_reference(bytes), "{name}");
            // Raw text as each decoder leaves it, before clean-up: as UTF-8 (with U+FFFD for
            // what is not) and as GB18030.
            for enc in [UTF_8, GB18030] {
                let mut raw = Raw::default();
                raw.decode(enc, bytes);
                let n = raw.text.len();
                let mut marks: Vec<usize> = (0..3)
                    .map(|_| {
                        let mut at = rng.below(n as u64 + 1) as usize;
                        while !raw.text.is_char_boundary(at) {
                            at -= 1;
                        }
                        at
                    })
                    .collect();
                let mut old_marks = marks.clone();
                let (a, b) = (normalize(raw.text.clone(), &mut marks), normalize_reference(raw.text.clone(), &mut old_marks));
                assert_eq!((&a.0, a.1, &marks), (&b.0, b.1, &old_marks), "{name} as {}", enc.name());
                crlf += usize::from(raw.text.contains('\r'));
                nul += usize::from(b.1.count > 0);
                undecodable += usize::from(raw.errors.count > 0);
                let (mut m1, mut m2) = (marks.clone(), marks.clone());
                let new = with_controls(raw.clone().finish_with_marks("X".into(), Detection::Utf8, &mut m1));
                let old = finish_reference(raw, "X".into(), Detection::Utf8, &mut m2);
                assert_eq!((&new, &m1), (&old, &m2), "{name} as {}", enc.name());
                let starts = line_starts(&new.text);
                let (sa, sb) = (scan_controls(&new.text, &starts), scan_controls_reference(&new.text, &starts));
                controls += usize::from(sb.is_some());
                assert_eq!(sa, sb, "{name}");
            }
            // A UTF-8 file through the whole of decode, against the old clean-up.
            let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
            if let Ok(text) = std::str::from_utf8(bytes)
                && Encoding::for_bom(bytes).is_none()
                && utf16_by_nul_pattern(sample).is_none()
            {
                let raw = Raw { text: text.to_string(), ..Raw::default() };
                assert_eq!(decode(bytes), finish_reference(raw, "UTF-8".into(), Detection::Utf8, &mut []), "{name}");
                utf8 += 1;
            }
        }
        // The variants reach every branch.
        assert!(crlf > 20 && nul > 20 && controls > 20 && undecodable > 20 && utf8 > 50, "{crlf} {nul} {controls} {undecodable} {utf8}");
    }
}
