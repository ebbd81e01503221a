//! Logs written on several machines: reading a log line by line, merging logs, and verifying
//! every reviewer's hash chain.
//!
//! Each record carries `seq`, `prev` (the `hash` of the same reviewer's previous record in the
//! log) and its own `hash` (see [`Record::chain_after`]). Chains are per reviewer, so a union of
//! logs keeps every chain whole: each reviewer's records keep their order. `verify` reads the
//! chains back and names every record edited, removed or moved after it was written.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::LoadProblem;
use super::record::Record;

/// One line of a log that holds a record.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// 1-based line number in its file.
    pub line: usize,
    /// The line as written (without its newline, `\r` or byte-order mark): merges copy it
    /// verbatim, so keys this build does not know survive.
    pub raw: String,
    pub record: Record,
}

/// A log read line by line, for merging and verifying.
#[derive(Debug, Clone, Default)]
pub struct LogFile {
    pub lines: Vec<LogLine>,
    pub problems: Vec<LoadProblem>,
    /// Lines that hold no valid record, the torn last line of a crash aside: a record damaged
    /// by hand, which `verify` counts as a change after writing.
    pub damaged: usize,
}

/// Reads every record of a log with its line number. A missing file is an error here: merging
/// or verifying a log that is not there is a mistake worth saying.
pub fn read_log(path: &Path) -> io::Result<LogFile> {
    let bytes = fs::read(path)?;
    let mut out = LogFile::default();
    let ends_open = !bytes.is_empty() && !bytes.ends_with(b"\n");
    let pieces: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let n = pieces.len();
    for (i, piece) in pieces.into_iter().enumerate() {
        let line_no = i + 1;
        if i + 1 == n && piece.is_empty() {
            break; // after the final newline
        }
        match super::parse_line(piece, line_no) {
            Ok(Some(record)) => {
                let raw = std::str::from_utf8(piece).unwrap_or_default();
                let raw = raw.strip_suffix('\r').unwrap_or(raw);
                let raw = raw.strip_prefix('\u{FEFF}').unwrap_or(raw);
                out.lines.push(LogLine { line: line_no, raw: raw.to_string(), record });
            }
            Ok(None) => {}
            Err(msg) if i + 1 == n && ends_open => out.problems.push(LoadProblem {
                line: line_no,
                message: format!("line {line_no}: torn record at the end of the log skipped (the writer stopped mid-line): {msg}"),
            }),
            Err(msg) => {
                out.damaged += 1;
                out.problems.push(LoadProblem { line: line_no, message: format!("line {line_no}: invalid record skipped: {msg}") })
            }
        }
    }
    Ok(out)
}

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    /// Records read over all inputs.
    pub read: usize,
    /// Records written (each distinct record once).
    pub written: usize,
    /// The same record met again (same id, same line): kept once.
    pub duplicates: usize,
    /// Same id, different content: both kept, and `verify` will name the edited one.
    pub clashes: Vec<String>,
    /// Lines of the inputs that held no record (torn or invalid), as `file: line N: …`.
    pub problems: Vec<String>,
}

/// The union of several logs: every record once (by `id`; a record met twice with the same
/// content is kept once, two different records under one id are both kept), ordered by
/// timestamp, then id, then the line itself, so any order of inputs gives the same bytes.
pub fn merge_logs(inputs: &[PathBuf]) -> io::Result<(Vec<LogLine>, MergeReport)> {
    let mut report = MergeReport::default();
    let mut by_id: HashMap<String, Vec<LogLine>> = HashMap::new();
    for path in inputs {
        let log = read_log(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        report.problems.extend(log.problems.iter().map(|p| format!("{}: {}", path.display(), p.message)));
        for l in log.lines {
            report.read += 1;
            let same = by_id.entry(l.record.id.clone()).or_default();
            if same.iter().any(|k| k.raw == l.raw) {
                report.duplicates += 1;
                continue;
            }
            if !same.is_empty() {
                report.clashes.push(format!(
                    "record {} appears with different content (in {}, line {}); both kept",
                    l.record.id,
                    path.display(),
                    l.line
                ));
            }
            same.push(l);
        }
    }
    let mut all: Vec<LogLine> = by_id.into_values().flatten().collect();
    all.sort_by(|a, b| {
        (a.record.ts.as_str(), a.record.id.as_str(), a.raw.as_str()).cmp(&(b.record.ts.as_str(), b.record.id.as_str(), b.raw.as_str()))
    });
    let mut all = keep_chains_in_order(all);
    for (i, l) in all.iter_mut().enumerate() {
        l.line = i + 1;
    }
    report.written = all.len();
    Ok((all, report))
}

/// A record placed by time before the record it follows in its reviewer's chain (a clock set
/// back between two records) is moved to just after it, so a merge never reads as reordered.
/// Only the sorted order decides, so the result stays the same for any order of inputs.
fn keep_chains_in_order(sorted: Vec<LogLine>) -> Vec<LogLine> {
    let present: std::collections::HashSet<String> = sorted.iter().filter_map(|l| l.record.hash.clone()).collect();
    let mut emitted: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut waiting: HashMap<String, Vec<LogLine>> = HashMap::new();
    let mut out = Vec::with_capacity(sorted.len());
    for l in sorted {
        match l.record.prev.clone() {
            // Waits only for a predecessor that is in the merge and not yet written.
            Some(p) if present.contains(&p) && !emitted.contains(&p) => waiting.entry(p).or_default().push(l),
            _ => {
                let mut ready = vec![l];
                while let Some(l) = ready.pop() {
                    if let Some(h) = l.record.hash.clone() {
                        emitted.insert(h.clone());
                        if let Some(mut next) = waiting.remove(&h) {
                            next.reverse();
                            ready.extend(next);
                        }
                    }
                    out.push(l);
                }
            }
        }
    }
    // Anything still waiting belongs to a cycle of hashes (only a hand-made log has one): kept.
    let mut rest: Vec<LogLine> = waiting.into_values().flatten().collect();
    rest.sort_by(|a, b| (a.record.ts.as_str(), a.record.id.as_str(), a.raw.as_str()).cmp(&(b.record.ts.as_str(), b.record.id.as_str(), b.raw.as_str())));
    out.extend(rest);
    out
}

/// Writes lines as a log, replacing `path` only once the whole file is on disk (temporary file,
/// sync, rename), so an output that is also an input is never half written.
pub fn write_log(path: &Path, lines: &[LogLine]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "log".into());
    let tmp = dir.join(format!(".{name}.merge-{}", std::process::id()));
    let result = (|| {
        let mut f = io::BufWriter::new(File::create(&tmp)?);
        for l in lines {
            f.write_all(l.raw.as_bytes())?;
            f.write_all(b"\n")?;
        }
        let f = f.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    super::sync_parent_dir(path);
    Ok(())
}

/// How bad a finding of `verify` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Not tampering, worth knowing (a record repeated, a chain forked by one name on two machines).
    Note,
    /// The log was changed after it was written.
    Tampered,
}

/// One thing `verify` found, at a line, about a reviewer's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainProblem {
    pub line: usize,
    pub reviewer: String,
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.severity {
            Severity::Tampered => "tampered",
            Severity::Note => "note",
        };
        write!(f, "line {} ({}): {word}: {}", self.line, self.reviewer, self.message)
    }
}

/// The result of verifying a log.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    pub records: usize,
    /// Records without a chain (written before records were sealed).
    pub unchained: usize,
    /// Chained records per reviewer.
    pub reviewers: BTreeMap<String, usize>,
    pub problems: Vec<ChainProblem>,
}

impl Verification {
    pub fn tampered(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Tampered)
    }
}

/// Checks every record's hash and every reviewer's chain, in the log's order.
///
/// - a record whose content no longer matches its `hash`: edited;
/// - a record whose `prev` names a record that comes later: moved (reordered);
/// - a record whose `prev` names no record in the log, or whose `seq` skips: the record(s)
///   before it in that reviewer's chain were removed (or edited and re-sealed).
///
/// The last record of a chain can be removed without trace in the log itself; a log kept in
/// git (or sent to a superior) fixes that point, see the README.
pub fn verify(lines: &[LogLine]) -> Verification {
    let mut v = Verification { records: lines.len(), ..Verification::default() };
    // hash → (index, seq) of every chained record, to tell "later in the log" from "missing".
    let mut where_hash: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(h) = l.record.hash.as_deref() {
            where_hash.entry(h).or_default().push(i);
        }
    }
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    // Per reviewer: hashes already followed by a record (to tell a fork).
    let mut followed: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        let r = &l.record;
        let mut say = |severity, message: String| {
            v.problems.push(ChainProblem { line: l.line, reviewer: r.reviewer.clone(), severity, message })
        };
        if let Some(&first) = by_id.get(r.id.as_str()) {
            if lines[first].raw == l.raw {
                say(Severity::Note, format!("repeats line {} (the same record twice; read once)", lines[first].line));
                continue;
            }
            say(
                Severity::Tampered,
                format!("same id as line {} but different content: one of the two was edited", lines[first].line),
            );
        } else {
            by_id.insert(r.id.as_str(), i);
        }
        if !r.is_chained() {
            v.unchained += 1;
            continue;
        }
        *v.reviewers.entry(r.reviewer.clone()).or_default() += 1;
        let stored = r.hash.as_deref().unwrap_or_default();
        if r.content_hash() != stored {
            say(Severity::Tampered, format!("record {} was edited after it was written (its content no longer matches its hash)", r.id));
        }
        let seq = r.seq.unwrap_or(0);
        match r.prev.as_deref() {
            None if seq == 1 => {}
            None => say(Severity::Tampered, format!("record {seq} of the chain names no record before it: its link was removed")),
            Some(prev) => {
                let found = where_hash.get(prev).map(|v| v.as_slice()).unwrap_or(&[]);
                let same_reviewer: Vec<usize> = found.iter().copied().filter(|&k| lines[k].record.reviewer == r.reviewer).collect();
                match (same_reviewer.iter().find(|&&k| k < i), same_reviewer.first()) {
                    (Some(&k), _) => {
                        let want = lines[k].record.seq.unwrap_or(0) + 1;
                        if seq != want {
                            say(Severity::Tampered, format!("numbered {seq} but follows record {} (line {}): the numbering was changed", want - 1, lines[k].line));
                        }
                        if let Some(other) = followed.insert((r.reviewer.as_str(), prev), i) {
                            say(
                                Severity::Note,
                                format!(
                                    "the chain forks: line {} also follows line {} (one reviewer name writing in two copies of the log)",
                                    lines[other].line, lines[k].line
                                ),
                            );
                        }
                    }
                    (None, Some(&k)) => say(
                        Severity::Tampered,
                        format!("out of order: it follows record {} of this reviewer, which comes later (line {})", seq.saturating_sub(1), lines[k].line),
                    ),
                    (None, None) => say(
                        Severity::Tampered,
                        format!(
                            "the record before it in this reviewer's chain (number {}) is missing: removed, or edited and re-sealed",
                            seq.saturating_sub(1)
                        ),
                    ),
                }
            }
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;

    fn write(dir: &Path, name: &str, who: &[(&str, &str)]) -> PathBuf {
        let path = dir.join(name);
        let mut j = Journal::open(&path).unwrap();
        for (reviewer, field) in who {
            j.append(Record::correct("c", "p.txt", field, "", "1", "r", reviewer)).unwrap();
        }
        path
    }

    fn lines_of(path: &Path) -> Vec<String> {
        fs::read_to_string(path).unwrap().lines().map(str::to_string).collect()
    }

    fn verify_text(text: &str, dir: &Path) -> Verification {
        let p = dir.join("v.jsonl");
        fs::write(&p, text).unwrap();
        verify(&read_log(&p).unwrap().lines)
    }

    #[test]
    fn a_clean_log_verifies_and_each_tampering_is_named_by_line() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "a.jsonl", &[("wang", "a"), ("li", "b"), ("wang", "c"), ("wang", "d"), ("li", "e")]);
        let clean = verify(&read_log(&p).unwrap().lines);
        assert!(clean.problems.is_empty(), "{:?}", clean.problems);
        assert_eq!(clean.reviewers.get("wang"), Some(&3));
        let orig = lines_of(&p);

        // Edited: a value changed by hand.
        let mut edited = orig.clone();
        edited[2] = edited[2].replace(r#""new":"1""#, r#""new":"2""#);
        let v = verify_text(&(edited.join("\n") + "\n"), d.path());
        assert!(v.tampered());
        assert_eq!((v.problems[0].line, v.problems[0].reviewer.as_str()), (3, "wang"));
        assert!(v.problems[0].message.contains("edited"), "{:?}", v.problems);

        // Removed: wang's middle record.
        let mut removed = orig.clone();
        removed.remove(2);
        let v = verify_text(&(removed.join("\n") + "\n"), d.path());
        assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
        assert_eq!(v.problems[0].line, 3);
        assert!(v.problems[0].message.contains("missing"), "{:?}", v.problems);

        // Swapped: wang's two records in the wrong order.
        let mut swapped = orig.clone();
        swapped.swap(2, 3);
        let v = verify_text(&(swapped.join("\n") + "\n"), d.path());
        assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
        assert_eq!(v.problems[0].line, 3);
        assert!(v.problems[0].message.contains("out of order"), "{:?}", v.problems);
    }

    #[test]
    fn old_logs_carry_no_chain() {
        let d = tempfile::tempdir().unwrap();
        let old = r#"{"id":"1","ts":"2024-01-01T00:00:00.000Z","reviewer":"w","report":"c","path":"p","action":"confirm","finding":"k"}"#;
        let v = verify_text(&format!("{old}\n"), d.path());
        assert_eq!((v.records, v.unchained), (1, 1));
        assert!(v.problems.is_empty());
        // A reviewer's new records after old ones start a chain of their own.
        let p = d.path().join("old.jsonl");
        fs::write(&p, format!("{old}\n")).unwrap();
        let mut j = Journal::open(&p).unwrap();
        let r = j.append(Record::correct("c", "p", "f", "", "1", "", "w")).unwrap();
        assert_eq!((r.seq, r.prev.as_deref()), (Some(1), None));
        let v = verify(&read_log(&p).unwrap().lines);
        assert!(v.problems.is_empty() && v.unchained == 1, "{:?}", v.problems);
    }

    #[test]
    fn a_clock_set_back_does_not_reorder_a_chain_in_a_merge() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("w.jsonl");
        let mut j = Journal::open(&p).unwrap();
        let mut first = Record::correct("c", "p", "a", "", "1", "", "wang");
        first.ts = "2026-01-02T00:00:00.000Z".into();
        let mut second = Record::correct("c", "p", "b", "", "1", "", "wang");
        second.ts = "2026-01-01T00:00:00.000Z".into(); // the clock went back a day
        let mut other = Record::correct("c", "p", "z", "", "1", "", "li");
        other.ts = "2026-01-01T12:00:00.000Z".into();
        j.append(first).unwrap();
        j.append(second).unwrap();
        let q = d.path().join("l.jsonl");
        Journal::open(&q).unwrap().append(other).unwrap();
        let (merged, _) = merge_logs(&[p.clone(), q.clone()]).unwrap();
        let fields: Vec<&str> = merged.iter().map(|l| l.record.field.as_deref().unwrap_or("")).collect();
        assert_eq!(fields, ["z", "a", "b"]);
        assert!(verify(&merged).problems.is_empty(), "{:?}", verify(&merged).problems);
        let (again, _) = merge_logs(&[q, p]).unwrap();
        assert_eq!(again.iter().map(|l| &l.raw).collect::<Vec<_>>(), merged.iter().map(|l| &l.raw).collect::<Vec<_>>());
    }

    #[test]
    fn merge_is_a_deterministic_union_that_keeps_chains() {
        let d = tempfile::tempdir().unwrap();
        let a = write(d.path(), "a.jsonl", &[("wang", "a"), ("wang", "b")]);
        let b = write(d.path(), "b.jsonl", &[("li", "c"), ("li", "d")]);
        // A copy of a with one more record: a's records are met twice.
        let c = d.path().join("c.jsonl");
        fs::copy(&a, &c).unwrap();
        Journal::open(&c).unwrap().append(Record::correct("c", "p.txt", "e", "", "1", "", "wang")).unwrap();
        let (ab, report) = merge_logs(&[a.clone(), b.clone(), c.clone()]).unwrap();
        assert_eq!((report.read, report.written, report.duplicates), (7, 5, 2));
        assert!(report.clashes.is_empty());
        let (ba, _) = merge_logs(&[c, b, a]).unwrap();
        let raw = |v: &[LogLine]| v.iter().map(|l| l.raw.clone()).collect::<Vec<_>>();
        assert_eq!(raw(&ab), raw(&ba));
        let v = verify(&ab);
        assert!(v.problems.is_empty(), "{:?}", v.problems);
        let out = d.path().join("out.jsonl");
        write_log(&out, &ab).unwrap();
        assert_eq!(lines_of(&out), raw(&ab));
    }
}
