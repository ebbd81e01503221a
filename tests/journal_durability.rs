//! The correction log under real processes: concurrent writers and a writer killed mid-stream.
//!
//! Writers are child processes running this same test executable, filtered to the
//! `writer_process` "test", which only works when `NIANBAO_JOURNAL_WRITER` is set.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nianbao::journal::{Journal, Record};

const WRITER_ENV: &str = "NIANBAO_JOURNAL_WRITER";
const REPORT: &str = "0123abcd";

/// A writer child: `NIANBAO_JOURNAL_WRITER=path,count,name` appends `count` records (0: until
/// killed) as reviewer `name`. Does nothing in a normal test run.
#[test]
fn writer_process() {
    let Ok(spec) = std::env::var(WRITER_ENV) else {
        return;
    };
    // From the right, so the path may contain commas.
    let mut parts = spec.rsplitn(3, ',');
    let (Some(name), Some(count), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("{WRITER_ENV} must be path,count,name: {spec}");
    };
    let count: u64 = count.parse().expect("count");
    let path = Path::new(path);
    let mut journal = Journal::open(path).expect("open");
    let mut i = 0;
    while count == 0 || i < count {
        let r = Record::correct(
            REPORT,
            "samples/004.txt",
            &format!("f{i}"),
            "",
            &i.to_string(),
            "并发写入",
            name,
        );
        journal.append(r).expect("append");
        i += 1;
    }
    // What this writer holds in memory must be a prefix of the file: appends picked up the
    // other writer's records in file order.
    let fresh = Journal::open(path).expect("reopen");
    assert!(journal.problems().is_empty(), "{:?}", journal.problems());
    assert_eq!(
        fresh.records()[..journal.records().len()],
        *journal.records()
    );
}

fn spawn_writer(path: &Path, count: u64, name: &str) -> Child {
    let exe = std::env::current_exe().expect("current test executable");
    Command::new(exe)
        .args([
            "--exact",
            "writer_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_ENV, format!("{},{count},{name}", path.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn writer")
}

/// The raw file, judged line by line without the journal's code:
/// (complete lines that are JSON, complete lines that are not, ends mid-line?).
fn raw_lines(path: &Path) -> (usize, usize, bool) {
    let bytes = fs::read(path).expect("read log");
    let torn = !bytes.is_empty() && !bytes.ends_with(b"\n");
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    lines.pop(); // after the last '\n': empty, or the torn tail
    let json = lines
        .iter()
        .filter(|l| serde_json::from_slice::<serde_json::Value>(l).is_ok())
        .count();
    (json, lines.len() - json, torn)
}

#[test]
fn two_writers_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("corrections.jsonl");
    let mut children = [
        spawn_writer(&path, 500, "wang"),
        spawn_writer(&path, 500, "li"),
    ];
    for child in &mut children {
        let status = child.wait().expect("wait for writer");
        assert!(status.success(), "writer failed: {status}");
    }

    let journal = Journal::open(&path).expect("open");
    assert!(journal.problems().is_empty(), "{:?}", journal.problems());
    assert_eq!(journal.records().len(), 1000);
    let ids: HashSet<&str> = journal.records().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 1000, "ids are unique across processes");
    for name in ["wang", "li"] {
        // Each writer's records are all there, in the order it wrote them.
        let fields: Vec<String> = journal
            .records()
            .iter()
            .filter(|r| r.reviewer == name)
            .filter_map(|r| r.field.clone())
            .collect();
        let expected: Vec<String> = (0..500).map(|i| format!("f{i}")).collect();
        assert_eq!(fields, expected, "records of {name}");
    }
    assert_eq!(raw_lines(&path), (1000, 0, false));
}

#[test]
fn killed_writer_leaves_a_readable_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    for round in 0..4u64 {
        let path = dir.path().join(format!("round{round}.jsonl"));
        let mut child = spawn_writer(&path, 0, "wang");
        // Let it get going, then kill it at a different moment each round.
        let start = Instant::now();
        while fs::metadata(&path).map(|m| m.len()).unwrap_or(0) == 0 {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "writer never wrote"
            );
            thread::sleep(Duration::from_millis(5));
        }
        thread::sleep(Duration::from_millis(150 + 20 * round));
        child.kill().expect("kill writer");
        child.wait().expect("reap writer");

        let (complete, broken, torn) = raw_lines(&path);
        assert_eq!(
            broken, 0,
            "round {round}: only the last line may be damaged"
        );
        let mut journal = Journal::open(&path).expect("open after kill");
        assert!(
            !journal.records().is_empty(),
            "round {round}: at least one record"
        );
        assert_eq!(
            journal.records().len(),
            complete,
            "round {round}: every complete line loads"
        );
        // At most the last line is torn, and then it is reported.
        assert_eq!(
            journal.problems().len(),
            usize::from(torn),
            "{:?}",
            journal.problems()
        );
        if torn {
            assert_eq!(journal.problems()[0].line, complete + 1);
        }

        let after = Record::correct(REPORT, "samples/004.txt", "after", "", "1", "", "li");
        let after = journal.append(after).expect("append after kill");
        let reopened = Journal::open(&path).expect("reopen");
        assert_eq!(reopened.records().len(), complete + 1);
        assert_eq!(reopened.records().last(), Some(&after));
        assert_eq!(reopened.problems().len(), usize::from(torn));
        // The torn piece was ended with '\n'; the new record has a line of its own.
        assert_eq!(raw_lines(&path), (complete + 1, usize::from(torn), false));
    }
}
