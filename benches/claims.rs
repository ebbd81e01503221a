//! What the claims stage costs inside a check: `cargo bench --bench claims`.
//!
//! Loads the real reports and seeds (../shared/corpus, ../shared/seeds, else samples/) once,
//! then times, over many rounds: the whole audit of every report (load excluded, extraction,
//! claims and checks included) and the claims stage alone (`claims::read` + `add_fields` on the
//! sectioned fields). Prints both and the claims' share (target: at most 20% of the audit).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nianbao::load::{Document, load_file};
use nianbao::rules::RuleSet;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "txt" || e == "html" || e == "htm") {
            out.push(p);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared");
    let mut paths = Vec::new();
    if shared.is_dir() {
        files(&shared.join("corpus"), &mut paths);
        files(&shared.join("seeds"), &mut paths);
    } else {
        files(&root.join("samples"), &mut paths);
    }
    let docs: Vec<Document> = paths.iter().filter_map(|p| load_file(p).ok()).collect();
    let rules = RuleSet::builtin();
    let rounds = 40;

    let mut audit = Duration::ZERO;
    let mut claims = Duration::ZERO;
    let mut found = 0usize;
    for _ in 0..rounds {
        for d in &docs {
            let t = Instant::now();
            let a = nianbao::pipeline::audit_document(d, &rules, None, None);
            audit += t.elapsed();
            found += a.claims.list.len();
            // The stage alone, on fields sectioned the way extraction sections them.
            let mut fields = nianbao::extract::extract(d, &rules);
            fields.retain(|k, _| k.starts_with("part."));
            let t = Instant::now();
            let c = nianbao::claims::read(d, &fields, &rules);
            nianbao::claims::add_fields(&c, &rules, &mut fields);
            claims += t.elapsed();
            std::hint::black_box(&fields);
        }
    }
    let n = (docs.len() * rounds) as f64;
    println!("{} reports × {rounds} rounds, {} claims per round", docs.len(), found / rounds);
    println!("audit  {:8.3} ms per report", audit.as_secs_f64() * 1e3 / n);
    println!("claims {:8.3} ms per report ({:.1}% of the audit)", claims.as_secs_f64() * 1e3 / n, 100.0 * claims.as_secs_f64() / audit.as_secs_f64());
}
