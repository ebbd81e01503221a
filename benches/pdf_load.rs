//! PDF loading speed: `cargo bench --bench pdf_load [-- ROUNDS]`.
//!
//! Loads the published WPS PDFs of ../shared/corpus/wps-pdf, the PDFs under
//! tests/fixtures/published, and a generated 40-page report, each many times, in parallel on all
//! cores as a batch does (rayon), and prints reports/s and MB/s for each set and for all.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

fn pdfs_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf")))
        .collect();
    out.sort();
    out
}

fn run(name: &str, files: &[(String, Vec<u8>)], rounds: usize) {
    if files.is_empty() {
        println!("{name:<28} (no files)");
        return;
    }
    let jobs: Vec<&(String, Vec<u8>)> = (0..rounds).flat_map(|_| files.iter()).collect();
    let bytes: usize = jobs.iter().map(|(_, b)| b.len()).sum();
    let t = Instant::now();
    let ok = jobs
        .par_iter()
        .filter(|(p, b)| nianbao::load::Document::from_bytes(PathBuf::from(p), b).is_ok())
        .count();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{name:<28} {:>6} loads ({ok} ok) {:>8.3} s {:>9.1} reports/s {:>7.2} MB/s",
        jobs.len(),
        s,
        jobs.len() as f64 / s,
        bytes as f64 / 1e6 / s
    );
}

fn main() {
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(50);
    let read = |paths: Vec<PathBuf>| -> Vec<(String, Vec<u8>)> {
        paths.into_iter().filter_map(|p| Some((p.display().to_string(), std::fs::read(&p).ok()?))).collect()
    };
    let wps = read(pdfs_in(Path::new("../shared/corpus/wps-pdf")));
    let fixtures = read(pdfs_in(Path::new("tests/fixtures/published")));
    let generated = vec![("generated-40-pages.pdf".to_string(), nianbao::load::pdf_fixture::many_pages(40))];
    println!("{} threads, {rounds} rounds", rayon::current_num_threads());
    run("published WPS PDFs", &wps, rounds);
    run("LibreOffice fixture PDFs", &fixtures, rounds);
    run("generated 40-page PDF", &generated, rounds);
    let all: Vec<(String, Vec<u8>)> = wps.into_iter().chain(fixtures).chain(generated).collect();
    run("all", &all, rounds);
}
