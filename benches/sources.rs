//! Loading speed by source kind: `cargo bench --bench sources [-- N]`.
//!
//! For each kind — the page dumps (`.txt`), web pages (`.html`) and Word files (`.docx`) of the
//! four published-form fixtures (tests/fixtures/published, and the reports they were made from in
//! ../shared) — N files are written to a temporary folder, then timed, best of three:
//!
//! - **load**: `load::load_file` on every file in parallel (rayon, as `check` does): read,
//!   decode or unzip, reduce HTML / parse Word XML, build the cell grids;
//! - **load + audit**: `pipeline::audit_stream`, what `nianbao check` does after discovery
//!   (extraction from cells or digit runs, every check, cross-year linking).
//!
//! Figures are reports/s and MB/s of the files on disk. Each copy gets a distinct comment or
//! paragraph so every file has its own content id.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

const KINDS: [&str; 3] = ["txt", "html", "docx"];
const STEMS: [(&str, &str); 4] = [
    ("pingtan-2021", "corpus/pingtan/202202_80613.txt"),
    ("pingtan-2019", "corpus/pingtan/202001_80576.txt"),
    ("longtan-2018-legacy", "seeds/001_7f61c65fd34ee391.txt"),
    ("wuhua-2016-narrative", "seeds/000_5bed1a42feb09476.txt"),
];

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2_000);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("..").join("shared");
    let rules = nianbao::rules::RuleSet::builtin();
    println!("{n} files per kind, {} threads", rayon::current_num_threads());
    println!("| source | MB | load: reports/s | load: MB/s | load + audit: reports/s | load + audit: MB/s |");
    println!("|---|---:|---:|---:|---:|---:|");
    for kind in KINDS {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut originals = Vec::new();
        for (stem, source) in STEMS {
            let path = if kind == "txt" { shared.join(source) } else { root.join("tests/fixtures/published").join(format!("{stem}.{kind}")) };
            match std::fs::read(&path) {
                Ok(b) => originals.push(b),
                Err(e) => {
                    eprintln!("{}: {e}; run from the checkout with ../shared beside it", path.display());
                    return;
                }
            }
        }
        let paths: Vec<PathBuf> = (0..n).map(|i| write_copy(dir.path(), kind, i, &originals[i % originals.len()])).collect();
        let bytes: u64 = paths.iter().map(|p| std::fs::metadata(p).map_or(0, |m| m.len())).sum();
        let mb = bytes as f64 / 1e6;
        let load = best_of(3, || {
            let ok = paths.par_iter().filter(|p| nianbao::load::load_file(p).is_ok()).count();
            assert_eq!(ok, paths.len(), "every {kind} file loads");
        });
        let audit = best_of(3, || {
            let mut count = 0;
            nianbao::pipeline::audit_stream(&paths, &rules, None, |a| {
                assert!(a.error.is_none(), "{}: {:?}", a.path.display(), a.error);
                count += 1;
            });
            assert_eq!(count, paths.len());
        });
        println!(
            "| {kind} | {mb:.1} | {:.0} | {:.1} | {:.0} | {:.1} |",
            n as f64 / load,
            mb / load,
            n as f64 / audit,
            mb / audit
        );
    }
}

/// Copy `i` of a report, made distinct: a comment in a web page, a paragraph in a Word file, a
/// last line in text.
fn write_copy(dir: &Path, kind: &str, i: usize, original: &[u8]) -> PathBuf {
    let path = dir.join(format!("r{i:06}.{kind}"));
    let bytes = match kind {
        "docx" => distinct_docx(original, i),
        "html" => {
            let mut b = original.to_vec();
            b.extend_from_slice(format!("<!-- copy {i} -->\n").as_bytes());
            b
        }
        _ => {
            let mut b = original.to_vec();
            b.extend_from_slice(format!("\n副本 {i}\n").as_bytes());
            b
        }
    };
    std::fs::write(&path, bytes).expect("writes");
    path
}

/// The Word file rewritten with one more paragraph at the end of its body.
fn distinct_docx(original: &[u8], i: usize) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(original)).expect("fixture is a zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for k in 0..src.len() {
        let mut f = src.by_index(k).expect("entry");
        let name = f.name().expect("entry name").to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).expect("inflates");
        if name == "word/document.xml" {
            let s = String::from_utf8(data).expect("utf-8").replace("<w:sectPr>", &format!("<w:p><w:r><w:t>副本 {i}</w:t></w:r></w:p><w:sectPr>"));
            data = s.into_bytes();
        }
        out.start_file(name, opts).expect("entry");
        out.write_all(&data).expect("writes");
    }
    out.finish().expect("zip").into_inner()
}

/// Seconds of the fastest of `runs` runs.
fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}
