//! The reviewer in a real terminal: tmux runs the binary at 120×40, the test types keys and
//! reads the screen back with `capture-pane`. Covers a correction and a decision end to end
//! (keys → correction log on disk → what a new session shows).
//!
//! Skipped, with a note, when tmux is not installed. Set `NIANBAO_WRITE_SCREEN=1` to also write
//! docs/screen.txt (the list and the report view of seed 004, as captured).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const WIDTH: &str = "120";
const HEIGHT: &str = "40";
const TIMEOUT: Duration = Duration::from_secs(20);
const SEED: &str = "004_c05028ffedb1b406.txt";
const FIELD: &str = "t3.new.total";

fn tmux_available() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// One tmux session on a private server socket; the server (and with it the session and the
/// reviewer inside) is killed on drop, also when an assertion fails.
struct Tmux {
    socket: String,
    name: String,
}

impl Tmux {
    fn start(tag: &str, dir: &Path, command: &str) -> Tmux {
        let socket = format!("nianbao-e2e-{}", std::process::id());
        let name = format!("{tag}-{}", std::process::id());
        let t = Tmux { socket, name };
        let out = t.tmux(&["new-session", "-d", "-s", &t.name, "-x", WIDTH, "-y", HEIGHT, "-c", &dir.display().to_string(), command]);
        assert!(out.status.success(), "tmux new-session failed: {}", String::from_utf8_lossy(&out.stderr));
        t
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("run tmux")
    }

    fn capture(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", &self.name]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Named keys (`Enter`, `Tab`, `BSpace`, single characters).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success(), "send-keys {keys:?}");
    }

    /// Text typed literally (UTF-8 included).
    fn type_text(&self, text: &str) {
        assert!(self.tmux(&["send-keys", "-t", &self.name, "-l", text]).status.success(), "type {text}");
    }

    /// Polls the screen until `pred` holds; panics with the last screen after the timeout.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.capture();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > TIMEOUT {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_text(&self, text: &str) -> String {
        self.wait_for(text, |s| s.contains(text))
    }

    fn alive(&self) -> bool {
        self.tmux(&["has-session", "-t", &self.name]).status.success()
    }

    fn wait_exit(&self) {
        let start = Instant::now();
        while self.alive() {
            assert!(start.elapsed() < TIMEOUT, "the reviewer did not quit; screen:\n{}", self.capture());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-session", "-t", &self.name]);
        let _ = self.tmux(&["kill-server"]);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read samples") {
        let e = e.expect("dir entry");
        if e.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy sample");
        }
    }
}

/// Opens seed 004 from the list (path order: it is the fifth) and waits for its report view.
fn open_seed(t: &Tmux) -> String {
    t.keys(&["g"]);
    for _ in 0..4 {
        t.keys(&["j"]);
    }
    t.keys(&["Enter"]);
    t.wait_for("the report view of seed 004", |s| s.starts_with(SEED))
}

/// Selects `FIELD` with the report view's field search.
fn find_field(t: &Tmux) -> String {
    t.keys(&["/"]);
    t.wait_text("查找字段");
    t.type_text(FIELD);
    t.keys(&["Enter"]);
    t.wait_text(&format!("字段：{FIELD}"))
}

fn field_line(screen: &str) -> Option<&str> {
    screen.lines().find(|l| l.contains(&FIELD[..FIELD.len() - 3]) && l.contains('┃'))
}

#[test]
fn correct_and_dismiss_in_a_real_terminal_then_reopen() {
    if !tmux_available() {
        eprintln!("note: tmux not available (`tmux -V` failed); skipping the terminal end-to-end test");
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"), &dir.join("samples"));
    // A private copy: another build into the same target dir cannot swap the binary mid-test.
    let bin = dir.join("nianbao");
    std::fs::copy(env!("CARGO_BIN_EXE_nianbao"), &bin).expect("copy binary");
    let keys = dir.join("keys.yaml");
    std::fs::write(&keys, "").expect("empty key map");
    let command = format!(
        "env NIANBAO_KEYMAP={} {} samples --log log.jsonl --reviewer e2e",
        keys.display(),
        bin.display()
    );
    let log = dir.join("log.jsonl");

    // ---- first session: correct a field, dismiss a finding
    let t = Tmux::start("first", dir, &command);
    let list = t.wait_text("已审计 6/6");
    let report = open_seed(&t);
    if std::env::var_os("NIANBAO_WRITE_SCREEN").is_some() {
        write_screen_doc(&list, &report);
    }
    let s = find_field(&t);
    let before = field_line(&s).expect("field row").to_string();
    assert!(before.contains("= 精确"), "{before}");
    t.keys(&["e"]);
    t.wait_text(&format!("更正 {FIELD}：新值"));
    for _ in 0..8 {
        t.keys(&["BSpace"]);
    }
    t.type_text("6");
    t.wait_text("✓ 格式正确");
    t.keys(&["Enter"]);
    t.wait_text(&format!("更正 {FIELD}：理由"));
    t.type_text("e2e 核对原表");
    t.keys(&["Enter"]);
    let s = t.wait_text(&format!("已保存：{FIELD}"));
    assert!(s.contains("log.jsonl"), "the status names the log");
    // The first finding of the report, in the findings pane.
    t.keys(&["Tab", "d"]);
    t.wait_text("驳回 ");
    t.keys(&["Enter"]);
    let s = t.wait_text("已驳回：");
    let status = s.lines().find(|l| l.contains("已驳回：")).unwrap_or_default();
    let rule = status.split("已驳回：").nth(1).and_then(|r| r.split('（').next()).unwrap_or_default().trim().to_string();
    assert!(!rule.is_empty(), "{status}");
    t.keys(&["q"]);
    t.wait_text("年报审核");
    t.keys(&["q"]);
    t.wait_exit();
    drop(t);

    // ---- the log: exactly one correction and one dismissal
    let text = std::fs::read_to_string(&log).expect("log written");
    let records: Vec<serde_json::Value> =
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(records.len(), 2, "{text}");
    let correct: Vec<_> = records.iter().filter(|r| r["action"] == "correct").collect();
    let dismiss: Vec<_> = records.iter().filter(|r| r["action"] == "dismiss").collect();
    assert_eq!((correct.len(), dismiss.len()), (1, 1), "{text}");
    let c = correct[0];
    assert_eq!(c["field"], FIELD);
    assert_eq!(c["old"], "5");
    assert_eq!(c["new"], "6");
    assert_eq!(c["reason"], "e2e 核对原表");
    assert_eq!(c["reviewer"], "e2e");
    assert!(c["path"].as_str().is_some_and(|p| p.ends_with(SEED)), "{c}");
    let d = dismiss[0];
    assert_eq!(d["rule"], rule.as_str());
    assert!(d["finding"].as_str().is_some_and(|k| !k.is_empty()));

    // ---- second session: the correction and the decision are back
    let t = Tmux::start("second", dir, &command);
    t.wait_text("已审计 6/6");
    let s = open_seed(&t);
    let dismissed = s.lines().find(|l| l.contains("已驳回")).unwrap_or_else(|| panic!("a dismissed finding:\n{s}"));
    assert!(dismissed.contains(&rule[..rule.len().min(12)]), "{dismissed}");
    let s = find_field(&t);
    let after = field_line(&s).unwrap_or_else(|| panic!("field row:\n{s}"));
    assert!(after.contains(" 6 ") && after.contains("* 已更正"), "{after}");
    assert!(s.contains("e2e 更正于"), "the field's note names the reviewer:\n{s}");
    t.keys(&["q"]);
    t.wait_text("年报审核");
    t.keys(&["q"]);
    t.wait_exit();
}

/// docs/screen.txt: the two captures, framed for the README.
fn write_screen_doc(list: &str, report: &str) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screen.txt");
    let trim = |s: &str| s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    let doc = format!(
        "nianbao samples — 报告列表（120×40，tmux capture-pane -p）\n\n{}\n\n\
         nianbao samples — 种子报告 004 的报告视图（Enter 打开）\n\n{}\n",
        trim(list),
        trim(report)
    );
    std::fs::create_dir_all(path.parent().expect("docs dir")).expect("mkdir docs");
    std::fs::write(&path, doc).expect("write docs/screen.txt");
}
