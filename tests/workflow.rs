//! A review office's workflow end to end: reviewers write logs apart, the logs are merged (by
//! `log merge` and by git's union merge), conflicts are shown until settled, the chain proves
//! the record, and the letters and the summary leave the office.
//!
//! Writers are child processes running this same test executable, filtered to the
//! `writer_process` "test", which only works when `NIANBAO_WORKFLOW_WRITER` is set.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use nianbao::journal::{Journal, Record};
use nianbao::model::Verdict;
use nianbao::pipeline::ReportAudit;
use nianbao::rules::RuleSet;
use nianbao::session::Session;
use nianbao::tui::{App, KeyMap, ReviewBackend};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const WRITER_ENV: &str = "NIANBAO_WORKFLOW_WRITER";
const SEED: &str = "004_c05028ffedb1b406.txt";

fn samples() -> PathBuf {
    root().join("samples")
}

fn wait_audited(s: &mut Session) {
    let start = Instant::now();
    loop {
        s.poll();
        let (done, total) = s.progress();
        if done == total {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "audit did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn audit_of(s: &dyn ReviewBackend, name: &str) -> (usize, std::sync::Arc<ReportAudit>) {
    s.entries()
        .iter()
        .enumerate()
        .find_map(|(i, e)| e.audit().filter(|a| a.path.ends_with(name)).map(|a| (i, a.clone())))
        .unwrap_or_else(|| panic!("no report {name}"))
}

/// A writer child: `NIANBAO_WORKFLOW_WRITER=log,reviewer,parity` opens the reviewer's session on
/// samples/ and decides every other finding of every report (parity 0: the even ones, confirmed;
/// 1: the odd ones, dismissed), then corrects one field. Does nothing in a normal test run.
#[test]
fn writer_process() {
    let Ok(spec) = std::env::var(WRITER_ENV) else { return };
    let mut parts = spec.rsplitn(3, ',');
    let (Some(parity), Some(reviewer), Some(log)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("{WRITER_ENV} must be log,reviewer,parity: {spec}");
    };
    let parity: usize = parity.parse().expect("parity");
    let mut s = Session::open(&[samples()], RuleSet::builtin(), None, Path::new(log), reviewer.to_string()).expect("session");
    wait_audited(&mut s);
    let n = s.entries().len();
    for i in 0..n {
        let Some(a) = s.entries()[i].audit().cloned() else { continue };
        for (k, f) in a.findings.iter().enumerate().filter(|(k, _)| k % 2 == parity) {
            let verdict = if parity == 0 { Verdict::Confirmed } else { Verdict::Dismissed };
            s.decide(i, &f.key, verdict, &format!("{reviewer} 第{k}条")).expect("decide");
        }
    }
    let (i, _) = audit_of(&s, SEED);
    let field = if parity == 0 { "t3.new.research" } else { "t3.new.legal" };
    s.settle(i, field, 0).expect("settle");
}

fn spawn_writer(log: &Path, reviewer: &str, parity: usize) -> std::process::Child {
    Command::new(std::env::current_exe().expect("test executable"))
        .args(["--exact", "writer_process", "--nocapture", "--test-threads=1"])
        .env(WRITER_ENV, format!("{},{reviewer},{parity}", log.display()))
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn writer")
}

fn merge(inputs: &[&Path], out: &Path) {
    let mut cmd = bin();
    cmd.arg("log").arg("merge");
    for i in inputs {
        cmd.arg(i);
    }
    cmd.arg("-o").arg(out).assert().success();
}

fn ids(path: &Path) -> Vec<String> {
    Journal::open(path).unwrap().records().iter().map(|r| r.id.clone()).collect()
}

#[test]
fn two_reviewers_logs_merge_to_the_same_complete_log_in_either_order() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("wang.jsonl"), d.path().join("li.jsonl"));
    let mut wang = spawn_writer(&a, "wang", 0);
    let mut li = spawn_writer(&b, "li", 1);
    assert!(wang.wait().unwrap().success() && li.wait().unwrap().success(), "writers failed");
    let (na, nb) = (ids(&a).len(), ids(&b).len());
    assert!(na > 10 && nb > 10, "each reviewer wrote their share: {na} {nb}");

    let outs: Vec<PathBuf> = (0..4).map(|k| d.path().join(format!("merged{k}.jsonl"))).collect();
    merge(&[&a, &b], &outs[0]);
    merge(&[&b, &a], &outs[1]);
    merge(&[&a, &b], &outs[2]);
    merge(&[&b, &a], &outs[3]);
    let first = std::fs::read(&outs[0]).unwrap();
    for o in &outs[1..] {
        assert_eq!(std::fs::read(o).unwrap(), first, "{} differs", o.display());
    }
    // Complete: every record of both, once; merging the merge with an input adds nothing.
    let mut all = ids(&a);
    all.extend(ids(&b));
    all.sort();
    let mut merged = ids(&outs[0]);
    merged.sort();
    assert_eq!(merged, all);
    merge(&[&outs[0], &a], &outs[1]);
    assert_eq!(std::fs::read(&outs[1]).unwrap(), first);

    // The merged log verifies, and check reads both reviewers' decisions from it.
    bin().args(["log", "verify", "--log"]).arg(&outs[0]).assert().success();
    let (_, json) = check_json(&["samples", "--log", outs[0].to_str().unwrap()]);
    let who: std::collections::BTreeSet<String> = json["reports"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap().iter())
        .filter_map(|f| f["decision"]["reviewer"].as_str().map(str::to_string))
        .collect();
    assert_eq!(who.into_iter().collect::<Vec<_>>(), ["li", "wang"]);
    assert_eq!(json["summary"]["conflicts"], 0, "the two split the findings: no conflict");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=nianbao", "-c", "user.email=nianbao@example.invalid", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| nianbao::tui::render::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            out.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        out.push('\n');
    }
    out
}

fn tick_until(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let start = Instant::now();
    while !done(app) {
        app.tick();
        assert!(start.elapsed() < Duration::from_secs(120), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn git_union_merge_of_two_branches_logs_is_what_the_reviewer_shows() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("git is not installed: git union-merge test skipped");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let repo = d.path();
    git(repo, &["init", "-q"]);
    std::fs::write(repo.join(".gitattributes"), "*.jsonl merge=union\n").unwrap();
    std::fs::copy(samples().join(SEED), repo.join(SEED)).unwrap();
    let log = repo.join("corrections.jsonl");
    let audit = nianbao::pipeline::audit_path(&repo.join(SEED), &RuleSet::builtin(), None);
    let path = audit.path.display().to_string();
    let keys: Vec<(String, String)> = audit.findings.iter().map(|f| (f.rule.clone(), f.key.clone())).collect();
    let mut j = Journal::open(&log).unwrap();
    j.append(Record::decide(&audit.id, &path, Verdict::Confirmed, &keys[0].0, &keys[0].1, "基线", "zhao")).unwrap();
    git(repo, &["add", "."]);
    git(repo, &["commit", "-qm", "batch and log"]);
    git(repo, &["branch", "li"]);

    // wang's branch: two confirmations.
    let mut j = Journal::open(&log).unwrap();
    for (rule, key) in &keys[1..3] {
        j.append(Record::decide(&audit.id, &path, Verdict::Confirmed, rule, key, "属实", "wang")).unwrap();
    }
    git(repo, &["commit", "-qam", "wang reviews"]);
    // li's branch, from the same base: two dismissals of other findings.
    git(repo, &["checkout", "-q", "li"]);
    let mut j = Journal::open(&log).unwrap();
    for (rule, key) in &keys[3..5] {
        j.append(Record::decide(&audit.id, &path, Verdict::Dismissed, rule, key, "原表如此", "li")).unwrap();
    }
    git(repo, &["commit", "-qam", "li reviews"]);
    git(repo, &["checkout", "-q", "main"]);
    git(repo, &["merge", "-q", "--no-edit", "li"]);

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("<<<<<<<"), "union merge leaves no markers:\n{text}");
    assert_eq!(text.lines().count(), 5, "the base record and both branches' records:\n{text}");
    bin().current_dir(repo).args(["log", "verify"]).assert().success();

    // The reviewer on the merged log: every decision, and who made it.
    let session = Session::open(&[repo.join(SEED)], RuleSet::builtin(), None, &log, "zhao".into()).unwrap();
    let mut app = App::new(Box::new(session), KeyMap::defaults());
    tick_until(&mut app, "audit", |a| a.backend().progress().0 == 1);
    let (i, a) = audit_of(app.backend(), SEED);
    let decided: Vec<(&str, &str)> =
        a.findings.iter().filter_map(|f| f.decision.as_ref().map(|d| (f.key.as_str(), d.reviewer.as_str()))).collect();
    assert_eq!(decided.len(), 5, "{decided:?}");
    assert!(app.open_report(i));
    let shown = screen(&app, 160, 48);
    assert!(shown.contains("已确认 wang") && shown.contains("已驳回 li") && shown.contains("已确认 zhao"), "{shown}");
}

/// A log where wang and li, working apart, settled the same ambiguous cell differently and
/// judged the same finding differently.
fn conflicting_log(dir: &Path) -> (PathBuf, String) {
    let audit = nianbao::pipeline::audit_path(&samples().join(SEED), &RuleSet::builtin(), None);
    let path = format!("samples/{SEED}");
    let web = audit.findings.iter().find(|f| f.rule == "text.web-residue").expect("web residue finding").key.clone();
    let (a, b) = (dir.join("wang.jsonl"), dir.join("li.jsonl"));
    let mut wang = Journal::open(&a).unwrap();
    wang.append(Record::correct(&audit.id, &path, "t3.new.person", "", "5", "原表自然人5件", "wang")).unwrap();
    wang.append(Record::decide(&audit.id, &path, Verdict::Confirmed, "text.web-residue", &web, "网页残留应删除", "wang")).unwrap();
    let mut li = Journal::open(&b).unwrap();
    li.append(Record::correct(&audit.id, &path, "t3.new.person", "", "", "自然人一栏为空", "li")).unwrap();
    li.append(Record::decide(&audit.id, &path, Verdict::Dismissed, "text.web-residue", &web, "不影响阅读", "li")).unwrap();
    let merged = dir.join("merged.jsonl");
    merge(&[&a, &b], &merged);
    (merged, web)
}

#[test]
fn a_planted_conflict_shows_everywhere_until_a_record_settles_it() {
    let d = tempfile::tempdir().unwrap();
    let (merged, web) = conflicting_log(d.path());
    let log = merged.to_str().unwrap();

    // log conflicts: both, with who and what.
    let out = bin().args(["log", "conflicts", "--log", log]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("t3.new.person") && text.contains(&web), "{text}");
    assert!(text.contains("wang 5") && text.contains("li (空)") && text.contains("wang 确认") && text.contains("li 驳回"), "{text}");
    assert!(text.contains("2 conflicts"), "{text}");
    let out = bin().args(["log", "conflicts", "--format", "json", "--log", log]).output().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["conflicts"].as_array().unwrap().len(), 2);

    // check: the field is `conflict` with both values as candidates, the finding is open, and
    // both are counted.
    let (_, json) = check_json(&[&format!("samples/{SEED}"), "--log", log]);
    let r = report(&json, SEED);
    let f = &r["fields"]["t3.new.person"];
    assert_eq!(f["status"], "conflict");
    assert_eq!(f["candidates"], serde_json::json!([5, null]));
    assert_eq!(json["summary"]["conflicts"], 2);
    assert_eq!(r["conflicts"].as_array().unwrap().len(), 2);
    let finding = r["findings"].as_array().unwrap().iter().find(|f| f["key"] == web.as_str()).unwrap();
    assert!(finding.get("decision").is_none(), "a conflicted finding is still open: {finding}");
    let out = bin().current_dir(root()).args(["check", &format!("samples/{SEED}"), "--log", log]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 conflicts between reviewers"), "{text}");

    // The reviewer: the list, the report view (both values, who, when), the overview.
    let session = Session::open(&[samples().join(SEED)], RuleSet::builtin(), None, &merged, "zhao".into()).unwrap();
    let mut app = App::new(Box::new(session), KeyMap::defaults());
    let status = app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default();
    assert!(status.contains("审核冲突 2 处"), "the status line names it at once: {status}");
    tick_until(&mut app, "audit", |a| a.backend().progress().0 == 1);
    let list = screen(&app, 120, 30);
    assert!(list.contains("冲突2"), "{list}");
    let (i, a) = audit_of(app.backend(), SEED);
    assert!(app.open_report(i));
    let r = app.report.as_mut().unwrap();
    r.field_sel = r.fields.iter().position(|f| f == "t3.new.person").unwrap();
    r.finding_sel = a.findings.iter().position(|f| f.key == web).unwrap();
    let shown = screen(&app, 160, 48);
    assert!(shown.contains("‼ 冲突") && shown.contains("? 5 | (空)"), "{shown}");
    assert!(shown.contains("审核人意见冲突：wang 于 20") && shown.contains("li 于 20"), "{shown}");
    assert!(shown.contains("冲突 wang"), "the decision column names the conflict: {shown}");
    app.step(&nianbao::tui::Action::Overview);
    let over = screen(&app, 160, 48);
    assert!(over.contains("审核冲突：待定") && over.contains(" 2"), "{over}");

    // zhao settles both in the reviewer; the records name both sides, and nothing conflicts.
    drop(app);
    let mut s = Session::open(&[samples().join(SEED)], RuleSet::builtin(), None, &merged, "zhao".into()).unwrap();
    wait_audited(&mut s);
    s.settle(i, "t3.new.person", 0).unwrap();
    s.decide(i, &web, Verdict::Confirmed, "以王的意见为准").unwrap();
    let records = Journal::open(&merged).unwrap().records().to_vec();
    assert!(records[records.len() - 2..].iter().all(|r| r.settles.len() == 2), "{:?}", &records[records.len() - 2..]);
    let (_, json) = check_json(&[&format!("samples/{SEED}"), "--log", log]);
    assert_eq!(json["summary"]["conflicts"], 0);
    assert_eq!(report(&json, SEED)["fields"]["t3.new.person"]["status"], "corrected");
}

#[test]
fn the_status_line_names_a_conflict_as_soon_as_a_merged_log_brings_one() {
    let d = tempfile::tempdir().unwrap();
    let (merged, _) = conflicting_log(d.path());
    let mine = d.path().join("mine.jsonl");
    std::fs::copy(d.path().join("wang.jsonl"), &mine).unwrap();
    let session = Session::open(&[samples().join(SEED)], RuleSet::builtin(), None, &mine, "wang".into()).unwrap();
    let mut app = App::new(Box::new(session), KeyMap::defaults());
    tick_until(&mut app, "audit", |a| a.backend().progress().0 == 1);
    assert!(app.status.as_ref().is_none_or(|s| !s.text.contains("冲突")));
    // A colleague's log is merged into this one while the reviewer is open (as `git pull` would).
    merge(&[&mine, &merged], &mine);
    tick_until(&mut app, "the log to be re-read", |a| a.status.as_ref().is_some_and(|s| s.text.contains("审核冲突")));
    let status = app.status.as_ref().unwrap().text.clone();
    assert!(status.contains("t3.new.person") || status.contains("text.web-residue"), "{status}");
    tick_until(&mut app, "re-audit", |a| audit_of(a.backend(), SEED).1.conflicts.len() == 2);
    let shown = screen(&app, 120, 30);
    assert!(shown.contains("冲突2"), "{shown}");
}

#[test]
fn without_a_reviewer_name_the_reviewer_only_looks() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("log.jsonl");
    let mut s = Session::open(&[samples().join(SEED)], RuleSet::builtin(), None, &log, String::new()).unwrap();
    assert!(s.take_notice().is_some_and(|n| n.contains("--reviewer")));
    wait_audited(&mut s);
    let (i, a) = audit_of(&s, SEED);
    let err = s.decide(i, &a.findings[0].key, Verdict::Confirmed, "").unwrap_err();
    assert!(err.contains("--reviewer"), "{err}");
    assert!(s.undo().unwrap_err().contains("--reviewer"));
    assert!(!log.exists(), "nothing was written");
}

#[test]
fn verify_names_edited_removed_and_swapped_records_and_passes_a_clean_merge() {
    let d = tempfile::tempdir().unwrap();
    let (merged, _) = conflicting_log(d.path());
    // More of wang's records, so that one can be removed from the middle of his chain.
    let mut j = Journal::open(&merged).unwrap();
    for f in ["a", "b", "c"] {
        j.append(Record::correct("83dcf302d925f248", "samples/x.txt", f, "", "1", "核对", "wang")).unwrap();
    }
    let clean = bin().args(["log", "verify", "--log"]).arg(&merged).output().unwrap();
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stdout));
    assert!(String::from_utf8_lossy(&clean.stdout).contains("intact"));
    let lines: Vec<String> = std::fs::read_to_string(&merged).unwrap().lines().map(str::to_string).collect();
    let wang: Vec<usize> = lines.iter().enumerate().filter(|(_, l)| l.contains("\"reviewer\":\"wang\"")).map(|(i, _)| i).collect();
    assert!(wang.len() >= 4);
    let run = |name: &str, lines: &[String]| -> String {
        let p = d.path().join(name);
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        let out = bin().args(["log", "verify", "--log"]).arg(&p).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name} must fail: {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let mut edited = lines.clone();
    edited[wang[1]] = edited[wang[1]].replace("网页残留应删除", "网页残留不必删除");
    let out = run("edited.jsonl", &edited);
    assert!(out.contains(&format!("line {} (wang): tampered", wang[1] + 1)) && out.contains("edited"), "{out}");

    let mut removed = lines.clone();
    removed.remove(wang[2]);
    let out = run("removed.jsonl", &removed);
    assert!(out.contains(&format!("line {} (wang): tampered", wang[2] + 1)) && out.contains("missing"), "{out}");

    let mut swapped = lines.clone();
    swapped.swap(wang[2], wang[3]);
    let out = run("swapped.jsonl", &swapped);
    assert!(out.contains(&format!("line {} (wang): tampered", wang[2] + 1)) && out.contains("out of order"), "{out}");

    // A line damaged by hand is a change too; a torn last line (a crash) is not.
    let mut damaged = lines.clone();
    damaged[wang[3]] = damaged[wang[3]].replace("\"action\"", "\"acton\"");
    let out = run("damaged.jsonl", &damaged);
    assert!(out.contains("invalid record skipped"), "{out}");
    let torn = d.path().join("torn.jsonl");
    std::fs::write(&torn, lines.join("\n") + "\n{\"id\":\"x\",\"ts\"").unwrap();
    let out = bin().args(["log", "verify", "--log"]).arg(&torn).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("torn record"));

    // An old log without hashes loads and says it carries no chain.
    let old = d.path().join("old.jsonl");
    std::fs::write(&old, r#"{"id":"1","ts":"2024-01-01T00:00:00.000Z","reviewer":"w","report":"c","path":"p","action":"confirm","finding":"k"}"#.to_string() + "\n").unwrap();
    let out = bin().args(["log", "verify", "--log"]).arg(&old).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("carry no chain"));
}

/// The text of every `w:t` of a .docx part, read with a real zip and XML reader.
fn docx_text(path: &Path, part: &str) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap_or_else(|e| panic!("{}: not a zip: {e}", path.display()));
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name(part).unwrap(), &mut xml).unwrap();
    if part != "word/document.xml" {
        return xml;
    }
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut text = String::new();
    let mut in_t = false;
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("{}: bad XML: {e}", path.display())) {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == "w:t" => in_t = true,
            quick_xml::events::Event::End(e) if e.name().as_ref() == "w:t" => in_t = false,
            quick_xml::events::Event::End(e) if e.name().as_ref() == "w:p" => text.push('\n'),
            quick_xml::events::Event::Text(t) if in_t => text.push_str(&t.xml10_content()),
            quick_xml::events::Event::GeneralRef(r) if in_t => {
                let name = r.to_string();
                text.push_str(match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "?",
                });
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    text
}

/// A log that confirms findings over the real reports (with notes), dismisses one and corrects
/// a field; returns it with (confirmed messages, notes, the dismissed message).
fn corpus_log(shared: &Path, dir: &Path) -> (PathBuf, Vec<String>, String) {
    let out = bin().current_dir(root()).args(["check", "../shared/corpus", "--format", "json", "--fail-on", "never"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let _ = shared;
    let log = dir.join("office.jsonl");
    let mut j = Journal::open(&log).unwrap();
    let mut confirmed = Vec::new();
    let mut dismissed = String::new();
    for r in json["reports"].as_array().unwrap() {
        let (id, path) = (r["id"].as_str().unwrap(), r["path"].as_str().unwrap());
        for (k, f) in r["findings"].as_array().unwrap().iter().enumerate() {
            let (rule, key, msg) = (f["rule"].as_str().unwrap(), f["key"].as_str().unwrap(), f["message"].as_str().unwrap());
            if path.ends_with("201204_80678.txt") && key == "text.web-residue@当前位置：#1" {
                j.append(Record::decide(id, path, Verdict::Dismissed, rule, key, "驳回理由不应出现", "li")).unwrap();
                dismissed = msg.to_string();
            } else if f["severity"] == "error" || k == 0 {
                let note = format!("请整改第{}项（{}）", k + 1, rule);
                j.append(Record::decide(id, path, Verdict::Confirmed, rule, key, &note, "wang")).unwrap();
                confirmed.push((msg.to_string(), note));
            }
        }
        if path.ends_with("202202_80613.txt") {
            j.append(Record::correct(id, path, "t2.normative.valid", "", "3665", "原表现行有效件数为3665", "wang")).unwrap();
        }
    }
    assert!(!dismissed.is_empty() && confirmed.len() >= 5, "{confirmed:?}");
    let (msgs, notes) = confirmed.into_iter().unzip::<_, _, Vec<_>, Vec<_>>();
    (log, msgs.into_iter().chain(notes).collect(), dismissed)
}

#[test]
fn letters_for_the_corpus_one_docx_per_agency_and_year() {
    let Some(shared) = shared() else {
        eprintln!("../shared is not here; letter test skipped");
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let (log, wanted, dismissed) = corpus_log(&shared, d.path());
    let out_dir = d.path().join("letters");
    let out = bin()
        .current_dir(root())
        .args(["letter", "../shared/corpus", "--format", "docx", "--office", "某市政务公开办公室", "--log"])
        .arg(&log)
        .arg("-o")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    // One per agency and year that check reads from the corpus (a report whose agency or year
    // cannot be read is addressed by its file name / 年度不明).
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let (_, json) = check_json(&["../shared/corpus"]);
    let keys: std::collections::BTreeSet<(String, String)> = json["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let stem = Path::new(r["path"].as_str().unwrap()).file_stem().unwrap().to_string_lossy().into_owned();
            let agency = r["fields"]["agency"]["value"].as_str().map(str::to_string).unwrap_or(stem);
            let year = r["fields"]["year"]["value"].as_i64().map(|y| y.to_string()).unwrap_or_else(|| "年度不明".into());
            (agency, year)
        })
        .collect();
    assert_eq!(names.len(), keys.len(), "{names:?} vs {keys:?}");
    assert!(names.len() >= 8, "{names:?}");
    for y in ["2011", "2016", "2019", "2021", "2022", "2025"] {
        assert!(names.contains(&format!("平潭综合实验区_{y}_审核意见.docx")), "{names:?}");
    }
    let all: String = files.iter().map(|p| docx_text(p, "word/document.xml")).collect();
    for w in &wanted {
        assert!(all.contains(w.as_str()), "missing from the letters: {w}");
    }
    let y2011 = docx_text(&out_dir.join("平潭综合实验区_2011_审核意见.docx"), "word/document.xml");
    assert!(y2011.contains("关于平潭综合实验区2011年政府信息公开工作年度报告的审核意见"), "{y2011}");
    assert!(!y2011.contains(&dismissed) && !all.contains("驳回理由不应出现"), "a dismissed finding is left out:\n{y2011}");
    assert!(y2011.contains("原文第") && y2011.contains("某市政务公开办公室"), "{y2011}");
    assert!(y2011.contains("尚未审核"), "open findings are listed apart:\n{y2011}");
    let y2021 = docx_text(&out_dir.join("平潭综合实验区_2021_审核意见.docx"), "word/document.xml");
    assert!(y2021.contains("经核实应为“3665”") && y2021.contains("原表现行有效件数为3665"), "{y2021}");
    // Typography Word and WPS read: the two families named, A4, 1.5 line spacing.
    let styles = docx_text(&files[0], "word/styles.xml");
    assert!(styles.contains("w:eastAsia=\"宋体\"") && styles.contains("w:eastAsia=\"仿宋\""), "{styles}");
    assert!(styles.contains("w:line=\"360\" w:lineRule=\"auto\""));
    let doc = {
        let mut z = zip::ZipArchive::new(std::fs::File::open(&files[0]).unwrap()).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut s).unwrap();
        s
    };
    assert!(doc.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"));

    // The same letters as Markdown and HTML; --agency narrows to one agency.
    for fmt in ["md", "html"] {
        let dir = d.path().join(fmt);
        bin().current_dir(root()).args(["letter", "../shared/corpus", "--format", fmt, "--agency", "平潭", "--log"]).arg(&log).arg("-o").arg(&dir).assert().success();
        let n = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(n, 6, "{fmt}: only 平潭's six years");
        let text = std::fs::read_to_string(dir.join(format!("平潭综合实验区_2011_审核意见.{fmt}"))).unwrap();
        assert!(!text.contains("驳回理由不应出现"));
    }
}

#[test]
fn a_broken_letter_template_is_reported_by_line() {
    let d = tempfile::tempdir().unwrap();
    bin().args(["rules", "init"]).arg(d.path()).assert().success();
    let tpl = d.path().join("letter").join("opinion.txt");
    assert!(tpl.exists(), "rules init writes the letter template too");
    let text = std::fs::read_to_string(&tpl).unwrap().replace("[title]\n", "[title]\n{agnecy}\n");
    std::fs::write(&tpl, text).unwrap();
    let out = bin()
        .current_dir(root())
        .args(["letter", "samples", "--format", "md", "--rules"])
        .arg(d.path())
        .arg("--log")
        .arg(d.path().join("none.jsonl"))
        .arg("-o")
        .arg(d.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("opinion.txt:") && err.contains("{agnecy}"), "{err}");
}

/// Chromium, when installed: `.ci/run` installs it (it sets NIANBAO_NO_CHROMIUM when that
/// failed, e.g. offline), so in CI a missing browser is a failure, not a skip.
fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("sh").args(["-c", &format!("command -v {name}")]).output()
            && out.status.success()
        {
            return Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    None
}

#[test]
fn summary_renders_in_headless_chromium() {
    let Some(shared) = shared() else {
        eprintln!("../shared is not here; summary test skipped");
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let (log, _, _) = corpus_log(&shared, d.path());
    let html = d.path().join("summary.html");
    bin().current_dir(root()).args(["summary", "../shared/corpus", "--format", "html", "--log"]).arg(&log).arg("-o").arg(&html).assert().success();
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.matches("<svg").count() >= 4, "four charts");
    assert!(!page.contains("<script") && !page.contains("http://") || page.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(!page.contains("src=") && !page.contains("<link"), "nothing to fetch");
    assert!(page.contains("平潭综合实验区") && page.contains("wang"));
    let md = bin().current_dir(root()).args(["summary", "../shared/corpus", "--format", "md", "--log"]).arg(&log).output().unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("| wang |") && md.contains("## 机关（按确认的错误排序）"), "{md}");

    let Some(browser) = chromium() else {
        if let Ok(why) = std::env::var("NIANBAO_NO_CHROMIUM") {
            eprintln!("chromium could not be installed ({why}); the headless rendering check is skipped");
            return;
        }
        assert!(std::env::var_os("CI").is_none(), "chromium is missing although .ci/run installs it");
        eprintln!("chromium is not installed (apt-get install chromium); the headless rendering check is skipped");
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let shot = d.path().join("summary.png");
    let flags = |extra: &[String]| {
        let mut c = Command::new(&browser);
        c.args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra);
        c
    };
    let dom = flags(&["--dump-dom".to_string(), format!("file://{}", html.display())]).output().expect("chromium runs");
    assert!(dom.status.success(), "chromium failed: {}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.matches("<svg").count() >= 4 && dom.contains("年度报告审核情况汇总"), "the page parsed as written");
    let out = flags(&[format!("--screenshot={}", shot.display()), "--window-size=1100,2300".to_string(), format!("file://{}", html.display())])
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "a real picture, {} bytes", png.len());
    // `NIANBAO_DOCS=1 cargo test --test workflow summary` refreshes the README's picture.
    if std::env::var_os("NIANBAO_DOCS").is_some() {
        std::fs::copy(&shot, root().join("docs").join("summary.png")).unwrap();
    }
}
