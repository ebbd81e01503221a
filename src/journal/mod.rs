//! The correction log: an append-only JSON Lines audit trail of every reviewer action.
//!
//! Each line is one [`Record`] (a correction, a decision on a finding, or a revert of an earlier
//! record). Nothing is ever rewritten or removed: undo appends a revert. [`Journal::append`] makes
//! a record durable before it returns, several processes may append to one file at once, and a
//! line torn by a crash is skipped and reported on load, never fatal. [`replay`] turns the records
//! into the state the pipeline applies: live corrections per field, decisions per finding, and
//! records left stale because the report's content changed since.

mod chain;
mod export;
mod record;
mod replay;
mod time;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub use export::{CSV_HEADER, csv_row, push_csv_cell, to_csv, to_text};
pub use record::{Action, Record, new_id};
pub use chain::{ChainProblem, LogFile, LogLine, MergeReport, Verification, merge_logs, read_log, verify, write_log};
pub use chain::Severity as ChainSeverity;
pub use replay::{Conflict, Replay, ReplayProblem, Subject, replay};
pub use time::{rfc3339, rfc3339_from_unix};

/// A line of the log that could not be read; the rest of the log still loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    /// 1-based line number in the log file; 0 for the file as a whole.
    pub line: usize,
    /// Full message, starting with the line, e.g. `line 17: invalid record skipped: …`.
    pub message: String,
}

impl fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An open correction log: every record read so far, and what could not be read.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    records: Vec<Record>,
    problems: Vec<LoadProblem>,
    /// Bytes of the file accounted for: whole lines, plus a last line without a newline when it
    /// held a complete record. A torn tail is not consumed, so it is read again once terminated.
    consumed: u64,
    /// Lines accounted for.
    lines: usize,
    /// The last consumed line is a complete record still missing its newline.
    open_line: bool,
    /// Offset of a torn tail already reported, so one tear is reported once.
    torn_at: Option<u64>,
    /// Size and modification time of the file when last read or written.
    seen: Option<(u64, Option<std::time::SystemTime>)>,
    /// The last bytes consumed (see `remember_mark`).
    mark: Vec<u8>,
}

impl Journal {
    /// Reads every record of the log at `path`. A missing file is an empty journal (the file is
    /// created by the first append); invalid or torn lines are skipped and listed in
    /// [`problems`](Journal::problems).
    pub fn open(path: &Path) -> io::Result<Journal> {
        let mut journal = Journal {
            path: path.to_path_buf(),
            records: Vec::new(),
            problems: Vec::new(),
            consumed: 0,
            lines: 0,
            open_line: false,
            torn_at: None,
            seen: None,
            mark: Vec::new(),
        };
        journal.refresh()?;
        Ok(journal)
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn problems(&self) -> &[LoadProblem] {
        &self.problems
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The replayed state of every record read so far.
    pub fn replay(&self) -> Replay {
        replay(&self.records)
    }

    /// Reads records other processes appended since the last read.
    pub fn refresh(&mut self) -> io::Result<()> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.context(e)),
        };
        // Shared lock: a writer holds the exclusive lock while its line is half written, so
        // waiting for it keeps an in-flight append from looking like a torn line.
        let locked = lock(&file, false).map_err(|e| self.context(e))?;
        let result = self.catch_up(&mut file);
        if locked {
            let _ = file.unlock(); // closing the file releases it anyway
        }
        result.map(drop).map_err(|e| self.context(e))
    }

    /// Durable append. Under an exclusive lock: reads what other processes appended since, puts
    /// the record in its reviewer's hash chain after that reviewer's last record in the file,
    /// ends a torn last line with '\n' so the new record starts on its own line, writes the
    /// record as one line with a single `write_all`, and syncs the data to disk. Only after `Ok`
    /// is the record saved; it returns the record as written (with `seq`, `prev` and `hash`).
    pub fn append(&mut self, record: Record) -> io::Result<Record> {
        record.validate().map_err(|m| {
            io::Error::new(
                ErrorKind::InvalidInput,
                format!("refusing to write an invalid record: {m}"),
            )
        })?;
        let existed = self.path.symlink_metadata().is_ok();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| self.context(e))?;
        let locked = lock(&file, true).map_err(|e| self.context(e))?;
        let result = self.append_locked(&mut file, record);
        if locked {
            // Once synced the record is saved; an unlock error must not report it as lost, and
            // closing the file below releases the lock regardless.
            let _ = file.unlock();
        }
        drop(file);
        let written = result.map_err(|e| self.context(e))?;
        if !existed {
            sync_parent_dir(&self.path);
        }
        Ok(written)
    }

    fn append_locked(&mut self, file: &mut File, mut record: Record) -> io::Result<Record> {
        let torn = self.catch_up(file)?;
        // The chain is taken from the file as it is now, under the lock, so two processes of
        // one reviewer never give two records the same place.
        let before = self.records.iter().rev().find(|r| r.reviewer == record.reviewer);
        record.chain_after(before);
        let line = record.to_line().map_err(io::Error::other)?;
        let mut buf = Vec::with_capacity(line.len() + 2);
        if !torn.is_empty() || self.open_line {
            buf.push(b'\n');
        }
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        // With O_APPEND one write lands at the end even if a writer ignored the lock.
        file.write_all(&buf)?;
        file.sync_data()?;
        self.seen = file.metadata().ok().map(|m| (m.len(), m.modified().ok()));
        // Account for what is now on disk the same way a later open will read it.
        let mut written = torn;
        written.extend_from_slice(&buf);
        self.ingest(&written);
        self.remember_mark(file)?;
        Ok(record)
    }

    /// Whether the file changed since it was last read (size differs): another process or a
    /// merge wrote to it. Cheap: one `stat`.
    pub fn changed_on_disk(&self) -> bool {
        let now = std::fs::metadata(&self.path).ok().map(|m| (m.len(), m.modified().ok()));
        now != self.seen
    }

    /// Reads the log again from the start: for a file replaced as a whole (a `git pull` or
    /// `log merge` writes a new file, which may be longer and still differ before the end).
    pub fn reload(&mut self) -> io::Result<()> {
        self.forget();
        self.refresh()
    }

    /// Drops everything read, to read the file again from its start.
    fn forget(&mut self) {
        self.records.clear();
        self.problems.clear();
        self.consumed = 0;
        self.lines = 0;
        self.open_line = false;
        self.torn_at = None;
        self.mark.clear();
    }

    /// Reads from the consumed offset to the end of the file and ingests it. Returns the bytes
    /// left unconsumed: a torn last line, if any.
    fn catch_up(&mut self, file: &mut File) -> io::Result<Vec<u8>> {
        let len = file.metadata()?.len();
        if len >= self.consumed && !self.mark_matches(file)? {
            // Replaced by a longer file that differs before the end (a `log merge` or a
            // `git pull` wrote a new one): read it again from the start. Not a problem.
            self.forget();
        }
        if len < self.consumed {
            // Truncated or replaced behind our back: what was read no longer describes the file.
            self.forget();
            self.problems.push(LoadProblem {
                line: 0,
                message: "the log file became shorter than what was read before (truncated or replaced); reloaded from the start".into(),
            });
        }
        file.seek(SeekFrom::Start(self.consumed))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail)?;
        self.seen = file.metadata().ok().map(|m| (m.len(), m.modified().ok()));
        let start = self.consumed;
        self.ingest(&tail);
        self.remember_mark(file)?;
        let used = usize::try_from(self.consumed - start).unwrap_or(tail.len());
        Ok(tail.split_off(used.min(tail.len())))
    }

    /// Keeps the last bytes read (up to 64), so that a file replaced behind our back is noticed
    /// even when it is no shorter: appends by others never change what was already there.
    fn remember_mark(&mut self, file: &mut File) -> io::Result<()> {
        let k = self.consumed.min(64);
        self.mark.clear();
        if k > 0 {
            file.seek(SeekFrom::Start(self.consumed - k))?;
            self.mark.resize(k as usize, 0);
            if file.read_exact(&mut self.mark).is_err() {
                self.mark.clear();
            }
        }
        Ok(())
    }

    fn mark_matches(&self, file: &mut File) -> io::Result<bool> {
        if self.mark.is_empty() {
            return Ok(true);
        }
        let k = self.mark.len() as u64;
        if k > self.consumed {
            return Ok(false);
        }
        file.seek(SeekFrom::Start(self.consumed - k))?;
        let mut buf = vec![0; self.mark.len()];
        Ok(file.read_exact(&mut buf).is_ok() && buf == self.mark)
    }

    /// Takes bytes that start at the consumed offset: whole lines become records or problems;
    /// a trailing piece without '\n' is kept if it is a complete record, else reported as torn
    /// and left unconsumed.
    fn ingest(&mut self, tail: &[u8]) {
        let mut pos = 0;
        if self.open_line && !tail.is_empty() {
            // The newline that closes an accepted record which had none.
            let end = tail.iter().position(|&b| b == b'\n').unwrap_or(tail.len());
            if end > 0 {
                self.problem(
                    self.lines,
                    format!(
                        "line {}: text added after the end of the record ignored",
                        self.lines
                    ),
                );
            }
            if end < tail.len() {
                self.open_line = false;
                pos = end + 1;
            } else {
                pos = end;
            }
        }
        while let Some(nl) = tail[pos..].iter().position(|&b| b == b'\n') {
            let offset = self.consumed + pos as u64;
            let line = &tail[pos..pos + nl];
            pos += nl + 1;
            self.lines += 1;
            match parse_line(line, self.lines) {
                Ok(Some(rec)) => self.records.push(rec),
                Ok(None) => {}
                // A tear already reported, now ended by a later append's newline.
                Err(_) if self.torn_at == Some(offset) => {}
                Err(msg) => self.problem(
                    self.lines,
                    format!("line {}: invalid record skipped: {msg}", self.lines),
                ),
            }
        }
        let rest = &tail[pos..];
        if !rest.is_empty() {
            let offset = self.consumed + pos as u64;
            let line_no = self.lines + 1;
            match parse_line(rest, line_no) {
                Ok(rec) => {
                    // Complete, only the newline is missing (e.g. saved by an editor).
                    self.records.extend(rec);
                    self.lines = line_no;
                    self.open_line = true;
                    pos = tail.len();
                }
                Err(msg) => {
                    if self.torn_at != Some(offset) {
                        self.torn_at = Some(offset);
                        self.problem(
                            line_no,
                            format!(
                                "line {line_no}: torn record at the end of the log skipped (the writer stopped mid-line): {msg}"
                            ),
                        );
                    }
                }
            }
        }
        self.consumed += pos as u64;
    }

    fn problem(&mut self, line: usize, message: String) {
        self.problems.push(LoadProblem { line, message });
    }

    fn context(&self, e: io::Error) -> io::Error {
        io::Error::new(
            e.kind(),
            format!("correction log {}: {e}", self.path.display()),
        )
    }
}

/// One line without its '\n': `Ok(None)` for a blank line.
fn parse_line(bytes: &[u8], line_no: usize) -> Result<Option<Record>, String> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    // Editors on Windows like to start a UTF-8 file with a byte-order mark.
    let bytes = match line_no {
        1 => bytes.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(bytes),
        _ => bytes,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("not valid UTF-8 (byte {})", e.valid_up_to() + 1))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    Record::from_line(text).map(Some)
}

/// Takes the file lock, retrying on signals. `Ok(false)` where the file system has no locks:
/// O_APPEND still keeps each single-write line whole there.
fn lock(file: &File, exclusive: bool) -> io::Result<bool> {
    loop {
        let r = if exclusive {
            file.lock()
        } else {
            file.lock_shared()
        };
        match r {
            Ok(()) => return Ok(true),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::Unsupported => return Ok(false),
            Err(e) => return Err(e),
        }
    }
}

/// Makes a newly created log's directory entry durable too. Best effort: not every platform can
/// open a directory, and the data itself is already synced.
fn sync_parent_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// The reviewer name recorded by default: `$USER`, else `$USERNAME`, else "reviewer".
pub fn default_reviewer() -> String {
    reviewer_from_env().unwrap_or_else(|| "reviewer".to_string())
}

/// `$USER`, else `$USERNAME`, when set and not blank. The reviewer writes only under a real
/// name: records signed "reviewer" could not be told apart in a merged log.
pub fn reviewer_from_env() -> Option<String> {
    ["USER", "USERNAME"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .map(|v| v.trim().to_string())
        .find(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Verdict;
    use std::fs;

    fn rec(field: &str, new: &str) -> Record {
        Record::correct("3f2a", "samples/004.txt", field, "", new, "", "wang")
    }

    fn log_in(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("corrections.jsonl")
    }

    #[test]
    fn missing_file_is_empty_and_not_created_by_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let j = Journal::open(&path).unwrap();
        assert!(j.records().is_empty() && j.problems().is_empty());
        assert!(!path.exists());
        assert_eq!(j.path(), path);
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let mut j = Journal::open(&path).unwrap();
        let a = rec("t3.new.total", "6");
        let d = Record::decide(
            "3f2a",
            "samples/004.txt",
            Verdict::Confirmed,
            "table3.balance",
            "table3.balance[col=total]",
            "对",
            "li",
        );
        let u = Record::revert(&a, "", "wang");
        let (a, d, u) = (j.append(a).unwrap(), j.append(d).unwrap(), j.append(u).unwrap());
        assert_eq!(j.records(), [a.clone(), d.clone(), u.clone()]);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.ends_with("}\n"));

        let again = Journal::open(&path).unwrap();
        assert_eq!(again.records(), [a, d.clone(), u]);
        assert!(again.problems().is_empty());
        let state = again.replay();
        assert_eq!(state.correction("3f2a", "t3.new.total"), None);
        assert_eq!(
            state.decision("3f2a", "table3.balance[col=total]"),
            Some(&d)
        );
    }

    #[test]
    fn torn_last_line_is_skipped_then_closed_by_the_next_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let mut j = Journal::open(&path).unwrap();
        let a = rec("a", "1");
        let b = rec("b", "2");
        let a = j.append(a).unwrap();
        let b = j.append(b).unwrap();
        // A crash halfway through the third line.
        let half = rec("c", "3").to_line().unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&half.as_bytes()[..half.len() / 2]).unwrap();
        drop(f);

        let mut j = Journal::open(&path).unwrap();
        assert_eq!(j.records(), [a.clone(), b.clone()]);
        assert_eq!(j.problems().len(), 1, "{:?}", j.problems());
        assert_eq!(j.problems()[0].line, 3);
        assert!(
            j.problems()[0].message.starts_with("line 3: torn record"),
            "{}",
            j.problems()[0]
        );

        let d = rec("d", "4");
        let d = j.append(d).unwrap();
        assert_eq!(j.records(), [a.clone(), b.clone(), d.clone()]);
        assert_eq!(
            j.problems().len(),
            1,
            "the tear is reported once: {:?}",
            j.problems()
        );

        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[3],
            d.to_line().unwrap(),
            "the new record has its own line"
        );

        let reopened = Journal::open(&path).unwrap();
        assert_eq!(reopened.records(), [a, b, d]);
        assert_eq!(reopened.problems().len(), 1);
        assert!(
            reopened.problems()[0]
                .message
                .starts_with("line 3: invalid record skipped")
        );
    }

    #[test]
    fn garbage_in_the_middle_is_skipped_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let a = rec("a", "1");
        let b = rec("b", "2");
        let body = format!(
            "{}\nthis is not json\n\n{{\"id\":\"x\"}}\n\u{0}\u{0}\n{}\n",
            a.to_line().unwrap(),
            b.to_line().unwrap()
        );
        fs::write(&path, body).unwrap();
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.records(), [a, b]);
        let lines: Vec<usize> = j.problems().iter().map(|p| p.line).collect();
        assert_eq!(
            lines,
            [2, 4, 5],
            "blank line 3 is not a problem: {:?}",
            j.problems()
        );
        assert!(
            j.problems()[1].message.contains("missing field"),
            "{}",
            j.problems()[1]
        );
        assert!(
            j.problems()
                .iter()
                .all(|p| p.message.contains("invalid record skipped"))
        );
    }

    #[test]
    fn invalid_utf8_bom_and_crlf() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let a = rec("a", "１２");
        let b = rec("b", "2");
        let mut body = b"\xEF\xBB\xBF".to_vec();
        body.extend_from_slice(a.to_line().unwrap().as_bytes());
        body.extend_from_slice(b"\r\n\xFF\xFE\r\n");
        body.extend_from_slice(b.to_line().unwrap().as_bytes());
        body.extend_from_slice(b"\r\n");
        fs::write(&path, body).unwrap();
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.records(), [a, b]);
        assert_eq!(j.problems().len(), 1);
        assert!(
            j.problems()[0]
                .message
                .contains("line 2: invalid record skipped: not valid UTF-8")
        );
    }

    #[test]
    fn complete_last_record_without_newline_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let a = rec("a", "1");
        fs::write(&path, a.to_line().unwrap()).unwrap();
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(j.records(), std::slice::from_ref(&a));
        assert!(j.problems().is_empty());

        let b = rec("b", "2");
        let b = j.append(b).unwrap();
        assert_eq!(j.records(), [a.clone(), b.clone()]);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!("{}\n{}\n", a.to_line().unwrap(), b.to_line().unwrap())
        );
        let reopened = Journal::open(&path).unwrap();
        assert_eq!(reopened.records(), [a, b]);
        assert!(reopened.problems().is_empty());
    }

    #[test]
    fn append_picks_up_what_another_writer_added() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let mut first = Journal::open(&path).unwrap();
        let mut second = Journal::open(&path).unwrap();
        let a = rec("a", "1");
        let b = rec("b", "2");
        let c = rec("c", "3");
        let a = first.append(a).unwrap();
        let b = second.append(b).unwrap();
        assert_eq!(second.records(), [a.clone(), b.clone()]);
        let c = first.append(c).unwrap();
        assert_eq!(first.records(), [a.clone(), b.clone(), c.clone()]);
        second.refresh().unwrap();
        assert_eq!(second.records(), [a, b, c]);
        assert!(first.problems().is_empty() && second.problems().is_empty());
    }

    #[test]
    fn invalid_record_is_refused_and_nothing_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let mut j = Journal::open(&path).unwrap();
        let mut bad = rec("a", "1");
        bad.field = None;
        let err = j.append(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(!path.exists());
        assert!(j.records().is_empty());
    }

    #[test]
    fn a_file_replaced_by_a_longer_one_is_read_again_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let mut j = Journal::open(&path).unwrap();
        let a = j.append(rec("a", "1")).unwrap();
        // A merge writes a new file: someone else's record first, then ours.
        let mut other = Journal::open(&dir.path().join("li.jsonl")).unwrap();
        let l = other.append(Record::correct("3f2a", "samples/004.txt", "z", "", "9", "", "li")).unwrap();
        let merged = format!("{}\n{}\n", l.to_line().unwrap(), a.to_line().unwrap());
        fs::write(&path, merged).unwrap();
        assert!(j.changed_on_disk());
        let b = j.append(rec("b", "2")).unwrap();
        assert_eq!(j.records(), [l, a.clone(), b.clone()]);
        assert!(j.problems().is_empty(), "{:?}", j.problems());
        assert_eq!((b.seq, b.prev.as_deref()), (Some(2), a.hash.as_deref()), "the chain follows the file as it is");
        assert!(!j.changed_on_disk());
    }

    #[test]
    fn reload_reads_the_file_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let mut j = Journal::open(&path).unwrap();
        let a = j.append(rec("a", "1")).unwrap();
        j.reload().unwrap();
        assert_eq!(j.records(), std::slice::from_ref(&a));
        let b = j.append(rec("b", "2")).unwrap();
        assert_eq!(j.records(), [a, b]);
        assert!(j.problems().is_empty());
    }

    #[test]
    fn truncated_file_is_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_in(&dir);
        let mut j = Journal::open(&path).unwrap();
        j.append(rec("a", "1")).unwrap();
        j.append(rec("b", "2")).unwrap();
        fs::write(&path, "").unwrap();
        let c = rec("c", "3");
        let c = j.append(c).unwrap();
        assert_eq!(j.records(), [c]);
        assert_eq!(j.problems().len(), 1);
        assert_eq!(j.problems()[0].line, 0);
    }

    #[test]
    fn errors_name_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-dir").join("log.jsonl");
        let mut j = Journal::open(&path).unwrap();
        let err = j.append(rec("a", "1")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("no-such-dir"), "{err}");
    }

    #[test]
    fn default_reviewer_is_never_empty() {
        assert!(!default_reviewer().trim().is_empty());
    }
}
