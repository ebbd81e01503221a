//! The golden output of `check --format json` over the real reports (../shared/corpus, the seeds)
//! and a small batch from the shared speed yardstick's generator. Speed work must not change what
//! `check` finds; a change in what it finds must come with the commit that explains it.
//!
//! To accept a deliberate change: `NIANBAO_BLESS=1 cargo test --test golden`, then commit the new
//! `tests/golden/check.json` with the reason.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

const GOLDEN: &str = "tests/golden/check.json";
/// Reports the generator writes: enough to hold every seed several times over with perturbed numbers.
const GENERATED: usize = 24;

fn run_check(cwd: &Path, args: &[&str]) -> Value {
    let out = bin().current_dir(cwd).arg("check").args(args).args(["--format", "json", "--fail-on", "never"]).output().expect("runs");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}); stderr: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn check_output_matches_the_golden_file() {
    let Some(shared) = shared() else {
        eprintln!("../shared is not here; golden test skipped");
        return;
    };
    let generator = shared.join("bench").join("make_corpus.py");
    let tmp = tempfile::tempdir().expect("temp dir");
    let made = std::process::Command::new("python3")
        .arg(&generator)
        .arg(GENERATED.to_string())
        .arg(tmp.path().join("batch"))
        .arg(shared.join("seeds"))
        .output();
    let made = match made {
        Ok(m) if m.status.success() => m,
        Ok(m) => panic!("make_corpus.py failed: {}", String::from_utf8_lossy(&m.stderr)),
        Err(e) => panic!("python3 is needed to run ../shared/bench/make_corpus.py: {e}"),
    };
    drop(made);

    // Paths in the output are as given: relative to the checkout for the real reports, to the temp
    // folder for the batch, so the file is the same on every machine.
    let real = run_check(&root(), &["../shared/corpus", "../shared/seeds"]);
    let batch = run_check(tmp.path(), &["batch"]);
    let actual = serde_json::json!({ "real": real, "generated": batch });
    let actual = serde_json::to_string_pretty(&actual).expect("serialises") + "\n";

    let golden_path = root().join(GOLDEN);
    if std::env::var_os("NIANBAO_BLESS").is_some() {
        std::fs::create_dir_all(golden_path.parent().unwrap()).unwrap();
        std::fs::write(&golden_path, &actual).expect("writes the golden file");
        return;
    }
    let expected = std::fs::read_to_string(&golden_path).unwrap_or_else(|e| panic!("{GOLDEN}: {e}; run with NIANBAO_BLESS=1 to create it"));
    if expected != actual {
        let diffs: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(12)
            .map(|(i, (e, a))| format!("line {}:\n  golden: {e}\n  now:    {a}", i + 1))
            .collect();
        panic!(
            "check's output differs from {GOLDEN} ({} lines golden, {} now). First differences:\n{}\n\
             If the change is intended, rerun with NIANBAO_BLESS=1 and commit the file with the reason.",
            expected.lines().count(),
            actual.lines().count(),
            diffs.join("\n")
        );
    }
}
