//! Tests of the load stage as a whole: documents, files, folders, the real corpus.

use std::fs;
use std::path::{Path, PathBuf};

use encoding_rs::{BIG5, GB18030, GBK};

use super::*;

const REPORT: &str = "平潭综合实验区2022年政府信息公开工作年度报告\n一、总体情况\n本年新收政府信息公开申请数量12件。\n";

fn doc(bytes: &[u8]) -> Document {
    Document::from_bytes(PathBuf::from("r.txt"), bytes).expect("loads")
}

#[test]
fn document_from_utf8() {
    let d = doc(REPORT.as_bytes());
    assert_eq!(&*d.text, REPORT);
    assert_eq!(d.encoding, "UTF-8");
    assert_eq!(d.encoding_summary(), "UTF-8 (valid UTF-8)");
    assert!(!d.html);
    assert_eq!(d.size, REPORT.len() as u64);
    assert_eq!(d.line_count(), 3, "a final newline does not start a line");
    assert_eq!(d.line(1), "平潭综合实验区2022年政府信息公开工作年度报告");
    assert_eq!(d.line(3), "本年新收政府信息公开申请数量12件。");
    assert_eq!(d.line(0), "");
    assert_eq!(d.line(4), "");
    assert!(d.issues.is_empty());
}

#[test]
fn id_is_stable_and_content_based() {
    let a = doc(REPORT.as_bytes());
    let b = Document::from_bytes(PathBuf::from("elsewhere/copy.txt"), REPORT.as_bytes()).unwrap();
    assert_eq!(a.id, b.id, "same bytes, same id, whatever the path");
    assert_eq!(a.id.len(), 16);
    assert!(a.id.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        a.id,
        blake3::hash(REPORT.as_bytes()).to_hex().as_str()[..16]
    );
    let c = doc(REPORT.replace("12", "13").as_bytes());
    assert_ne!(a.id, c.id);
    // The id is over the raw bytes: the same text in GB18030 is other content.
    let (gb, _, _) = GB18030.encode(REPORT);
    let g = doc(&gb);
    assert_eq!(g.text, a.text);
    assert_ne!(g.id, a.id);
}

#[test]
fn line_col_and_span_on_chinese_text() {
    let d = doc(REPORT.as_bytes());
    let at = d.text.find("12件").unwrap();
    assert_eq!(d.line_col(at), (3, 15));
    let span = d.span(at, at + "12".len());
    assert_eq!(
        (span.start, span.end, span.line, span.col),
        (at, at + 2, 3, 15)
    );
    assert_eq!(&d.text[span.start..span.end], "12");
    assert_eq!(d.line_col(0), (1, 1));
    // The first character of line 2 and the newline before it.
    let line2 = d.line_starts[1];
    assert_eq!(d.line_col(line2), (2, 1));
    assert_eq!(d.line_col(line2 - 1), (1, 25));
    // Inside a multi-byte character: that character; past the end: clamped.
    assert_eq!(d.line_col(1), (1, 1));
    let s = d.span(1, 2);
    assert_eq!((s.start, s.end), (0, 0));
    let s = d.span(10_000, 5);
    assert_eq!((s.start, s.end), (d.text.len(), d.text.len()));
}

#[test]
fn crlf_document_spans_refer_to_normalized_text() {
    let d = doc("第一行\r\n第二行\r\n".as_bytes());
    assert_eq!(&*d.text, "第一行\n第二行\n");
    assert_eq!(d.line_starts, vec![0, 10]);
    assert_eq!(d.line(2), "第二行");
    assert_eq!(d.line_col(13), (2, 2));
}

#[test]
fn encodings_through_from_bytes() {
    let (gbk, _, _) = GBK.encode(REPORT);
    let d = doc(&gbk);
    assert_eq!((&*d.text, d.encoding.as_str()), (REPORT, "GB18030"));
    let trad = "政府資訊公開年度報告\n一、總體情況\n本年度共受理政府資訊公開申請35件。\n";
    let (big5, _, _) = BIG5.encode(trad);
    let d = doc(&big5);
    assert_eq!((&*d.text, d.encoding.as_str()), (trad, "Big5"));
    let mut le = vec![0xFF, 0xFE];
    le.extend(REPORT.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(doc(&le).encoding, "UTF-16LE BOM");
}

#[test]
fn mixed_utf8_and_gbk_document() {
    let mut bytes = REPORT.repeat(2).into_bytes();
    bytes.extend_from_slice(&GBK.encode("二、主动公开政府信息情况\r\n").0);
    bytes.extend_from_slice("三、收到和处理政府信息公开申请情况\r\n".as_bytes());
    let d = doc(&bytes);
    assert_eq!(d.encoding, "UTF-8 + GB18030");
    assert_eq!(d.line(7), "二、主动公开政府信息情况");
    assert_eq!(d.line(8), "三、收到和处理政府信息公开申请情况");
    assert_eq!(d.issues.len(), 1);
    assert_eq!(d.issues[0].kind, LoadIssueKind::MixedEncoding);
    assert_eq!(d.issues[0].span.map(|s| (s.line, s.col)), Some((7, 1)));
}

#[test]
fn empty_and_whitespace_are_refused() {
    let err = |b: &[u8]| Document::from_bytes(PathBuf::from("x.txt"), b).unwrap_err();
    assert_eq!(err(b""), LoadError::Empty);
    assert_eq!(err(b" \r\n\t\n"), LoadError::Empty);
    assert_eq!(err("\u{3000}\n".as_bytes()), LoadError::Empty);
    assert_eq!(err(b"\xEF\xBB\xBF\n"), LoadError::Empty);
    let html = Document::from_bytes(
        PathBuf::from("x.html"),
        b"<html><script>x()</script></html>",
    );
    assert_eq!(html.unwrap_err(), LoadError::Empty);
}

#[test]
fn binary_is_refused_with_a_reason() {
    let err = |b: &[u8]| Document::from_bytes(PathBuf::from("x.txt"), b).unwrap_err();
    let pdf = err(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n");
    assert!(matches!(pdf, LoadError::Binary { .. }));
    assert!(pdf.to_string().contains("PDF"), "{pdf}");
    assert!(matches!(
        err(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01"),
        LoadError::Binary { .. }
    ));
    let mut zeros = b"abc".to_vec();
    zeros.extend([0u8; 200]);
    assert!(matches!(err(&zeros), LoadError::Binary { .. }));
    // Bytes that pass the sniffer but decode to little but U+FFFD are not text either.
    let junk: Vec<u8> = (0..600).map(|i| [0x80u8, 0xFF, 0x20][i % 3]).collect();
    let e = err(&junk);
    assert!(matches!(e, LoadError::Binary { .. }), "{e:?}");
}

#[test]
fn nul_and_control_issues_reach_the_document() {
    let d = doc("报告\u{0}正文\x1b[1m粗体\n".as_bytes());
    assert_eq!(&*d.text, "报告\u{FFFD}正文\x1b[1m粗体\n");
    let kinds: Vec<_> = d.issues.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [LoadIssueKind::NulBytes, LoadIssueKind::ControlChars]
    );
    assert_eq!(d.issues[0].span.map(|s| s.col), Some(3));
    assert_eq!(d.issues[1].span.map(|s| s.col), Some(6));
    assert!(
        d.issues[1].to_string().starts_with("1:6: control-chars: "),
        "{}",
        d.issues[1]
    );
}

#[test]
fn one_megabyte_single_line() {
    let line = "本年新收政府信息公开申请数量640020470".repeat(25_000);
    assert!(line.len() > 1_000_000);
    let start = std::time::Instant::now();
    let d = doc(line.as_bytes());
    assert_eq!(d.line_count(), 1);
    let end = d.text.len();
    assert_eq!(d.line_col(end).0, 1);
    assert_eq!(d.line_col(end).1, line.chars().count() + 1);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn html_document_by_extension_and_by_content() {
    let page = "<html><head><title>报告</title><style>td{}</style></head><body>\
        <table><tr><td>规章</td><td>0</td></tr></table><p>本年&nbsp;新收&lt;12&gt;件</p></body></html>";
    let d = Document::from_bytes(PathBuf::from("report.HTM"), page.as_bytes()).unwrap();
    assert!(d.html);
    assert_eq!(&*d.text, "报告\n\n规章\n0\n\n本年\u{A0}新收<12>件\n");
    let by_content = Document::from_bytes(
        PathBuf::from("report.txt"),
        format!("<!DOCTYPE html>{page}").as_bytes(),
    )
    .unwrap();
    assert!(by_content.html);
    assert_eq!(by_content.text, d.text);
    // A .txt file that merely contains a tag stays text.
    let plain = doc("说明：<p> 是段落标签\n".as_bytes());
    assert!(!plain.html);
}

#[test]
fn html_with_gbk_meta_charset() {
    let page = "<html><head><meta charset=\"gbk\"><title>政府信息公开年度报告</title></head>\
        <body><p>一、总体情况</p><script>alert('x')</script><td>&#20013;文</td></body></html>";
    let (bytes, _, _) = GBK.encode(page);
    let d = Document::from_bytes(PathBuf::from("p.html"), &bytes).unwrap();
    assert_eq!(d.encoding, "GB18030");
    assert_eq!(d.detection, Detection::HtmlMeta);
    assert_eq!(&*d.text, "政府信息公开年度报告\n\n一、总体情况\n\n中文\n");
}

#[test]
fn html_issue_spans_point_into_the_reduced_text() {
    let mut bytes = "<html><body><script>var s = \"\x1b\";</script><p>第一段</p><p>第二"
        .as_bytes()
        .to_vec();
    bytes.push(0xFF);
    bytes.extend_from_slice("段</p></body></html>".as_bytes());
    let d = Document::from_bytes(PathBuf::from("p.html"), &bytes).unwrap();
    assert_eq!(&*d.text, "第一段\n\n第二\u{FFFD}段\n");
    let kinds: Vec<_> = d.issues.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [LoadIssueKind::Undecodable],
        "the ESC was inside a dropped script"
    );
    let span = d.issues[0].span.expect("span");
    assert_eq!((span.line, span.col), (3, 3));
    assert_eq!(&d.text[span.start..span.end], "\u{FFFD}");
}

#[test]
fn load_file_reads_and_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.txt");
    fs::write(&path, REPORT).unwrap();
    let d = load_file(&path).unwrap();
    assert_eq!(d.path, path);
    assert_eq!(&*d.text, REPORT);
    assert_eq!(
        load_file(&dir.path().join("missing.txt")).unwrap_err(),
        LoadError::NotFound
    );
    assert_eq!(load_file(dir.path()).unwrap_err(), LoadError::NotAFile);
    let empty = dir.path().join("empty.txt");
    fs::write(&empty, "").unwrap();
    assert_eq!(load_file(&empty).unwrap_err(), LoadError::Empty);
}

#[test]
fn too_large_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.txt");
    let f = fs::File::create(&path).unwrap();
    // Sparse: costs no disk space.
    f.set_len(MAX_FILE_BYTES + 1).unwrap();
    let err = load_file(&path).unwrap_err();
    assert_eq!(
        err,
        LoadError::TooLarge {
            size: MAX_FILE_BYTES + 1,
            limit: MAX_FILE_BYTES
        }
    );
    assert!(err.to_string().contains("over the limit"));
}

#[test]
fn error_messages_say_what_to_do() {
    let cases = [
        LoadError::Io {
            message: "permission denied".into(),
        },
        LoadError::NotFound,
        LoadError::NotAFile,
        LoadError::Empty,
        LoadError::TooLarge { size: 1, limit: 0 },
        LoadError::Binary {
            reason: "PDF".into(),
        },
        LoadError::UnsupportedEncoding {
            name: "UTF-32LE".into(),
        },
    ];
    for e in cases {
        let msg = e.to_string();
        assert!(
            msg.contains(':'),
            "{msg}: says what is wrong, then what to do"
        );
        let _: &dyn std::error::Error = &e;
    }
}

fn touch(path: &Path, content: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, content).unwrap();
}

#[test]
fn discover_walks_folders_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(&root.join("b.txt"), "b");
    touch(&root.join("a.TXT"), "a");
    touch(&root.join("sub/z.htm"), "z");
    touch(&root.join("sub/deeper/y.Html"), "y");
    touch(&root.join("sub/notes.md"), "ignored");
    touch(&root.join("c.bin"), "ignored");
    touch(&root.join(".hidden/h.txt"), "ignored");
    touch(&root.join("0-first/x.txt"), "x");
    let explicit = root.join("c.bin");
    let missing = root.join("no-such-dir");

    let args = vec![
        root.to_path_buf(),
        missing.clone(),
        explicit.clone(),
        root.join("b.txt"),
    ];
    let (files, errors) = discover(&args);
    let rel: Vec<String> = files
        .iter()
        .map(|p| {
            p.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    assert_eq!(
        rel,
        [
            "0-first/x.txt",
            "a.TXT",
            "b.txt",
            "sub/deeper/y.Html",
            "sub/z.htm",
            "c.bin"
        ]
    );
    assert_eq!(errors, vec![(missing, LoadError::NotFound)]);

    // Deterministic: the same answer again.
    assert_eq!(discover(&args).0, files);
}

#[cfg(unix)]
#[test]
fn discover_survives_symlink_loops_and_unreadable_folders() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(&root.join("a/r.txt"), "r");
    std::os::unix::fs::symlink(root, root.join("a/loop")).unwrap();
    let locked = root.join("locked");
    touch(&locked.join("s.txt"), "s");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    // Root ignores permissions: only check the error when the folder is really unreadable.
    let unreadable = fs::read_dir(&locked).is_err();

    let (files, errors) = discover(&[root.to_path_buf()]);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    if unreadable {
        assert_eq!(files, vec![root.join("a/r.txt")]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, locked);
        assert!(matches!(errors[0].1, LoadError::Io { .. }));
    } else {
        eprintln!("note: running with permission to read any folder; unreadable case not checked");
        assert_eq!(files, vec![root.join("a/r.txt"), locked.join("s.txt")]);
        assert!(errors.is_empty());
    }
}

/// The real documents shipped with the project: all UTF-8, all clean.
#[test]
fn shared_corpus_decodes_cleanly() {
    // ../shared beside the checkout.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let dirs = [shared.join("seeds"), shared.join("corpus/pingtan")];
    let mut seen = 0;
    for dir in &dirs {
        if !dir.is_dir() {
            eprintln!("note: {} is absent; skipping", dir.display());
            continue;
        }
        let (files, errors) = discover(&[dir.to_path_buf()]);
        assert!(errors.is_empty(), "{errors:?}");
        for path in files {
            let d = load_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(d.encoding, "UTF-8", "{}", path.display());
            assert!(d.issues.is_empty(), "{}: {:?}", path.display(), d.issues);
            assert!(!d.html);
            assert!(d.line_count() > 5);
            // The same report saved as GB18030 must come back character for character.
            let (gb, _, _) = GB18030.encode(&d.text);
            let back = doc(&gb);
            assert_eq!(back.encoding, "GB18030", "{}", path.display());
            assert!(
                back.text == d.text,
                "{}: GB18030 round trip differs",
                path.display()
            );
            assert!(
                back.issues.is_empty(),
                "{}: {:?}",
                path.display(),
                back.issues
            );
            seen += 1;
        }
    }
    let seed_003 = shared.join("seeds/003_7161a0add6491de6.txt");
    if seed_003.is_file() {
        let d = load_file(&seed_003).unwrap();
        assert!(
            d.text.contains("區(qū)"),
            "traditional seed keeps its text as written"
        );
        // Saved as Big5 (what Big5 cannot hold becomes an HTML reference, as encoding_rs does).
        let (big5, _, _) = BIG5.encode(&d.text);
        let back = doc(&big5);
        assert_eq!(back.encoding, "Big5");
        assert!(
            back.text
                .starts_with("今年以來,xx區(q&#363;)緊緊圍繞建設法治政府"),
            "{}",
            back.line(1)
        );
        assert!(back.issues.is_empty(), "{:?}", back.issues);
    }
    eprintln!("decoded {seen} corpus files");
}

#[test]
fn folders_contribute_pdfs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.PDF"), b"%PDF-1.7").unwrap();
    let (files, _) = discover(&[dir.path().to_path_buf()]);
    assert_eq!(files, [dir.path().join("r.PDF")]);
}

/// A source the fast paths are compared on: a corpus file or a variant of it.
pub(super) struct Sample {
    /// The file, and `#variant` for a variant.
    pub name: String,
    /// The path it is loaded under (the file's, so its extension decides the reader).
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Every report the project has (`samples/`, `../shared/corpus`, `../shared/seeds`, the
/// published fixtures), a batch from the shared generator, and variants of every text that
/// reach the branches real files rarely do: CRLF and lone CR endings, NULs, control characters
/// (ESC, BEL, C1), U+FFFD already in the text and so much of it the file is refused, bytes that
/// are not UTF-8, GB18030 and UTF-16 encodings, pipe rows and separators, and cuts at random
/// places (inside a character too). Read once per test run.
pub(super) fn corpus_variants() -> &'static [Sample] {
    static CORPUS: std::sync::OnceLock<Vec<Sample>> = std::sync::OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let shared = root.join("../shared");
        let mut dirs = vec![root.join("samples"), root.join("tests/fixtures/published")];
        let tmp = tempfile::tempdir().expect("temp dir");
        if shared.is_dir() {
            dirs.push(shared.join("corpus"));
            dirs.push(shared.join("seeds"));
            let made = std::process::Command::new("python3")
                .arg(shared.join("bench/make_corpus.py"))
                .arg("40")
                .arg(tmp.path().join("batch"))
                .arg(shared.join("seeds"))
                .output()
                .expect("python3 runs ../shared/bench/make_corpus.py");
            assert!(made.status.success(), "make_corpus.py: {}", String::from_utf8_lossy(&made.stderr));
            dirs.push(tmp.path().join("batch"));
        }
        let (paths, _) = discover(&dirs);
        let mut rng = crate::testing::Rng(0x00C0_4B05);
        let mut out = Vec::new();
        for path in paths {
            let bytes = fs::read(&path).unwrap();
            let name = path.display().to_string();
            let textual = matches!(path.extension().and_then(|e| e.to_str()), Some("txt" | "html" | "htm"));
            let variants = if textual { variants_of(&bytes, &mut rng) } else { Vec::new() };
            out.push(Sample { name: name.clone(), path: path.clone(), bytes });
            for (v, bytes) in variants {
                out.push(Sample { name: format!("{name}#{v}"), path: path.clone(), bytes });
            }
        }
        out
    })
}

fn variants_of(b: &[u8], rng: &mut crate::testing::Rng) -> Vec<(&'static str, Vec<u8>)> {
    let mut at = |len: usize| rng.below(len as u64 + 1) as usize;
    let insert = |b: &[u8], pos: &[usize], what: &[u8]| {
        let mut out = Vec::with_capacity(b.len() + pos.len() * what.len());
        let mut pos = pos.to_vec();
        pos.sort_unstable();
        let mut from = 0;
        for p in pos {
            out.extend_from_slice(&b[from..p]);
            out.extend_from_slice(what);
            from = p;
        }
        out.extend_from_slice(&b[from..]);
        out
    };
    let n = b.len();
    let replace = |b: &[u8], from: &[u8], to: &[u8]| {
        let mut out = Vec::new();
        let mut rest = b;
        while let Some(i) = memchr::memmem::find(rest, from) {
            out.extend_from_slice(&rest[..i]);
            out.extend_from_slice(to);
            rest = &rest[i + from.len()..];
        }
        out.extend_from_slice(rest);
        out
    };
    let mut v = vec![
        ("crlf", replace(b, b"\n", b"\r\n")),
        ("cr", replace(b, b"\n", b"\r")),
        ("nul", insert(b, &[at(n), at(n), at(n)], b"\0")),
        ("esc", insert(b, &[at(n), at(n)], b"\x1b[31m")),
        ("bel", insert(b, &[at(n)], b"\x07")),
        ("c1", insert(b, &[at(n)], "\u{85}".as_bytes())),
        ("fffd", insert(b, &[at(n), at(n)], "\u{FFFD}".as_bytes())),
        ("ff", insert(b, &[at(n), at(n), at(n), at(n), at(n)], b"\xFF")),
        ("cut", b[..at(n)].to_vec()),
        ("cut2", b[..at(n)].to_vec()),
    ];
    // Mostly U+FFFD: refused as undecodable.
    let mut bad = b[..n.min(60)].to_vec();
    bad.extend(std::iter::repeat_n("\u{FFFD}".as_bytes(), 40).flatten());
    v.push(("mostly-fffd", bad));
    if let Ok(text) = std::str::from_utf8(b) {
        v.push(("gb18030", GB18030.encode(text).0.into_owned()));
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        v.push(("utf16le", le));
        // Every third line a pipe row, every seventh a separator, some rows broken.
        let mut piped = String::new();
        for (i, line) in text.lines().enumerate() {
            match i % 7 {
                0 => piped.push_str(&format!("| {} |\n", line.split_whitespace().collect::<Vec<_>>().join(" | "))),
                3 => piped.push_str(&format!("{line}\n|---|---|\n")),
                5 => piped.push_str(&format!("  |{line}\r\n")),
                _ => piped.push_str(&format!("{line}\n")),
            }
        }
        v.push(("pipes", piped.into_bytes()));
    }
    v
}

/// Before memmem: every character walked twice.
fn refuse_reference(decoded: &Decoded) -> Result<(), LoadError> {
    let total = decoded.text.chars().count();
    let bad = decoded.text.chars().filter(|&c| c == '\u{FFFD}').count();
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

/// `from_bytes` as it was put together before the fast paths (each piece is compared with the
/// one it replaced in its own module).
fn from_bytes_reference(path: PathBuf, bytes: &[u8]) -> Result<Document, LoadError> {
    let size = bytes.len() as u64;
    if size > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge { size, limit: MAX_FILE_BYTES });
    }
    if bytes.is_empty() {
        return Err(LoadError::Empty);
    }
    if let Some((format, extracted)) = read_structured(&path, bytes)? {
        return Document::from_extracted(path, bytes, format, extracted);
    }
    decode::tests::sniff_reference(bytes)?;
    let decoded = decode(bytes);
    refuse_reference(&decoded)?;
    let html = has_html_extension(&path) || looks_like_html(&decoded.text);
    let (text, tables, issues) = if html {
        let (text, tables) = html_to_document(&decoded.text);
        let issues = reanchor_issues(&decoded, &text);
        (text, tables, issues)
    } else {
        (decoded.text, Vec::new(), decoded.issues)
    };
    if text.trim().is_empty() {
        return Err(LoadError::Empty);
    }
    let line_starts = line_starts(&text);
    let tables = if html { tables } else { pipes::tests::pipe_tables_reference(&text) };
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

#[test]
fn every_corpus_file_loads_as_it_did_before_the_fast_paths() {
    let (mut loaded, mut refused, mut undecodable) = (0, 0, 0);
    for s in corpus_variants() {
        let d = decode::decode(&s.bytes);
        assert_eq!(refuse_if_undecodable(&d), refuse_reference(&d), "{}", s.name);
        undecodable += usize::from(refuse_reference(&d).is_err());
        let new = Document::from_bytes(s.path.clone(), &s.bytes);
        assert_eq!(new, from_bytes_reference(s.path.clone(), &s.bytes), "{}", s.name);
        match &new {
            Ok(_) => loaded += 1,
            Err(_) => refused += 1,
        }
    }
    assert!(loaded > 500 && refused > 20 && undecodable > 20, "{loaded} loaded, {refused} refused, {undecodable} undecodable");
}

#[test]
fn a_text_load_is_the_full_load_without_its_issues_and_a_plain_texts_pipe_tables() {
    let (mut skipped, mut quiet) = (0, 0);
    for s in corpus_variants() {
        let full = Document::from_bytes(s.path.clone(), &s.bytes);
        for pipe_tables in [true, false] {
            let text = Document::text_from_bytes(s.path.clone(), &s.bytes, pipe_tables);
            match (full.clone(), text) {
                (Ok(mut full), Ok(text)) => {
                    quiet += usize::from(!full.issues.is_empty());
                    full.issues.clear();
                    // Only a plain text's own pipe rows are left out; grids of HTML, Word and PDF stay.
                    if !pipe_tables && !full.html && full.detection != Detection::Structured {
                        skipped += usize::from(!full.tables.is_empty());
                        full.tables = Vec::new().into();
                    }
                    assert_eq!(text, full, "{} pipe tables {pipe_tables}", s.name);
                }
                // The same refusals.
                (full, text) => assert_eq!(text, full, "{}", s.name),
            }
        }
    }
    assert!(skipped >= 20 && quiet >= 100, "{skipped} texts with pipe tables, {quiet} loads with issues");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.txt");
    fs::write(&p, "报告\x1b[1m\n| 规章 | 0 |\n| 规范性文件 | 13 |\n").unwrap();
    let mut full = load_file(&p).unwrap();
    assert_eq!(full.issues.len(), 1);
    full.issues.clear();
    assert_eq!(load_text(&p, true).unwrap(), full);
    assert!(load_text(&p, false).unwrap().tables.is_empty());
    assert_eq!(load_text(&dir.path().join("none.txt"), false), Err(LoadError::NotFound));
}
