//! Reviewer responsiveness on a 10,000-report batch: `cargo bench --bench tui`.
//!
//! (a) `Session::open` on 10,000 report files to the first frame on a 120×40 `TestBackend`
//!     (target < 0.3 s: the list must appear before any report is audited), and the time of
//!     each tick while the background audit runs (target < 16 ms);
//! (b) once every report is audited, the time to handle one key and draw the next frame, over
//!     1,000 keys (moving, opening, stepping findings, searching, filtering, sorting, the
//!     overview) — median, p99 and max per kind of key (target < 16 ms).
//!
//! The batch is the repository's samples copied round-robin; each copy gets a distinct first
//! line (so every file has its own content id) and its place name marked with a distinct
//! numeral, so copies are different agencies rather than thousands of versions of one report.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use nianbao::rules::RuleSet;
use nianbao::session::Session;
use nianbao::tui::{App, KeyMap, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const REPORTS: usize = 10_000;
const KEYS: usize = 1_000;

/// Place names in the samples that make up the agency; a numeral goes before the last
/// character ("开远市" → "开远三七市").
const PLACES: [&str; 5] = ["五华区", "龙潭区", "宣州区", "开远市", "青禾县"];

fn numeral(mut n: usize) -> String {
    const D: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let mut s = Vec::new();
    loop {
        s.push(D[n % 10]);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    s.iter().rev().collect()
}

fn write_batch(dir: &Path) -> usize {
    let samples_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut samples: Vec<PathBuf> = std::fs::read_dir(&samples_dir)
        .expect("samples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    samples.sort();
    let texts: Vec<String> = samples
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).expect("read sample")).into_owned())
        .collect();
    for k in 0..REPORTS {
        let mut text = texts[k % texts.len()].clone();
        let tag = numeral(k / texts.len() + 1);
        for p in PLACES {
            if text.contains(p) {
                let cut = p.char_indices().last().map_or(0, |(i, _)| i);
                let (head, last) = p.split_at(cut);
                text = text.replace(p, &format!("{head}{tag}{last}"));
            }
        }
        let body = format!("归档编号：{k:05}\n{text}");
        std::fs::write(dir.join(format!("r{k:05}.txt")), body).expect("write report");
    }
    texts.len()
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// One round of the key script: (kind, key). Every round ends back on the unfiltered list.
fn script() -> Vec<(&'static str, KeyEvent)> {
    let mut v = Vec::new();
    for _ in 0..6 {
        v.push(("j/k", key('j')));
    }
    v.push(("j/k", key('k')));
    v.push(("Enter 打开", code(KeyCode::Enter)));
    for c in [']', ']', '}', '}', 'j', 'k'] {
        v.push(("报告内移动", key(c)));
    }
    v.push(("Esc 返回", code(KeyCode::Esc)));
    v.push(("n 下个未处理", key('n')));
    v.push(("n 下个未处理", key('n')));
    v.push(("Esc 返回", code(KeyCode::Esc)));
    v.push(("/ 搜索", key('/')));
    for c in ['开', '远', '三'] {
        v.push(("/ 搜索", key(c)));
    }
    v.push(("/ 搜索", code(KeyCode::Enter)));
    v.push(("Esc 返回", code(KeyCode::Esc)));
    for _ in 0..4 {
        v.push(("f/t 筛选", key('f')));
    }
    for _ in 0..5 {
        v.push(("f/t 筛选", key('t')));
    }
    for _ in 0..5 {
        v.push(("s 排序", key('s')));
    }
    v.push(("o 概览", key('o')));
    v.push(("概览内", key('j')));
    v.push(("概览内", code(KeyCode::Tab)));
    v.push(("概览内", key('j')));
    v.push(("概览内", code(KeyCode::Tab)));
    v.push(("概览内", code(KeyCode::Tab)));
    v.push(("Esc 返回", code(KeyCode::Esc)));
    v
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Left-aligned to `w` display columns (Chinese characters take two).
fn pad(s: &str, w: usize) -> String {
    let n = unicode_width::UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// CPU time of the calling thread: what a tick costs, whether or not other processes on a
/// shared machine pre-empt it (wall time includes the waits for a core).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let reports = tmp.path().join("reports");
    std::fs::create_dir_all(&reports).expect("mkdir");
    let t = Instant::now();
    let n_samples = write_batch(&reports);
    println!("wrote {REPORTS} reports ({n_samples} samples round-robin) in {:.2} s", t.elapsed().as_secs_f64());
    let log = tmp.path().join("log.jsonl");

    // (a) open → first frame
    let t = Instant::now();
    let session = Session::open(std::slice::from_ref(&reports), RuleSet::builtin(), None, &log, "bench".into()).expect("open session");
    let mut app = App::new(Box::new(session), KeyMap::defaults());
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    term.draw(|f| render::draw(f, &app)).expect("draw");
    let first_frame = t.elapsed();
    let (done, total) = app.backend().progress();
    println!();
    println!("(a) Session::open on {total} files → first frame 120×40: {} ms (target < 300 ms; {done} audited by then)", ms(first_frame));

    // Background audit to completion (then linking), as the event loop would tick.
    // Each tick is timed too: it takes in what the audit finished (thousands of reports at
    // once in the linking phase) and must stay as short as a key.
    let t = Instant::now();
    let mut quiet_since = Instant::now();
    let mut ticks = Vec::new();
    let mut tick_cpu = Vec::new();
    loop {
        let tt = Instant::now();
        let tc = thread_cpu();
        let changed = app.tick();
        ticks.push(tt.elapsed());
        tick_cpu.push(thread_cpu().saturating_sub(tc));
        if changed {
            quiet_since = Instant::now();
        }
        let (done, total) = app.backend().progress();
        if done == total && quiet_since.elapsed() > Duration::from_millis(1500) {
            break;
        }
        if t.elapsed() > Duration::from_secs(600) {
            println!("gave up waiting for the audit after 600 s ({done}/{total})");
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("    background audit of {total} reports (2 phases, incl. linking): {:.1} s", t.elapsed().as_secs_f64() - 1.5);
    ticks.sort();
    tick_cpu.sort();
    println!(
        "    {} ticks meanwhile: wall median {} ms, p99 {} ms, max {} ms (target < 16 ms)",
        ticks.len(),
        ms(percentile(&ticks, 0.5)),
        ms(percentile(&ticks, 0.99)),
        ms(ticks.last().copied().unwrap_or(Duration::ZERO))
    );
    println!(
        "    the same ticks in the screen thread's CPU time: median {} ms, p99 {} ms, max {} ms",
        ms(percentile(&tick_cpu, 0.5)),
        ms(percentile(&tick_cpu, 0.99)),
        ms(tick_cpu.last().copied().unwrap_or(Duration::ZERO))
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("    load average at the end of the audit: {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));

    // (b) per key: handle + draw
    let script = script();
    let mut by_kind: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut all = Vec::with_capacity(KEYS);
    let mut all_cpu = Vec::with_capacity(KEYS);
    for (kind, ev) in script.iter().cycle().take(KEYS) {
        let t = Instant::now();
        let tc = thread_cpu();
        app.handle_key(*ev);
        term.draw(|f| render::draw(f, &app)).expect("draw");
        let d = t.elapsed();
        all_cpu.push(thread_cpu().saturating_sub(tc));
        all.push(d);
        match by_kind.iter_mut().find(|(k, _)| k == kind) {
            Some((_, v)) => v.push(d),
            None => by_kind.push((kind, vec![d])),
        }
    }
    println!();
    println!("(b) handle key + draw frame, {KEYS} keys over {total} audited reports (target < 16 ms)");
    println!("{} {:>6} {:>10} {:>10} {:>10}", pad("key", 14), "count", "median ms", "p99 ms", "max ms");
    let row = |name: &str, v: &mut Vec<Duration>| {
        v.sort();
        println!(
            "{} {:>6} {:>10} {:>10} {:>10}",
            pad(name, 14),
            v.len(),
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.99)),
            ms(*v.last().unwrap_or(&Duration::ZERO))
        );
    };
    for (k, v) in &mut by_kind {
        row(k, v);
    }
    row("all", &mut all);
    row("all, CPU time", &mut all_cpu);
}
