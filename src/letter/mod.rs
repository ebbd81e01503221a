//! Review opinions (审核意见) sent back to each agency: one document per agency and year, built
//! from the audits and the correction log, worded by an editable template beside the rules
//! (`rules/letter/opinion.txt`), written as Word (`.docx`), Markdown or HTML.
//!
//! What goes in: the report's identity; each *confirmed* finding with its message, the line of
//! the report it points at and the reviewer's note; the corrections with their reasons; a
//! closing count. Dismissed findings are left out; findings nobody has decided yet (and
//! conflicts between reviewers) are listed apart as not yet reviewed.

mod docx;
mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::journal::{Action, Replay};
use crate::model::{Severity, Verdict};
use crate::pipeline::ReportAudit;
use crate::rules::RuleSet;

pub use template::{Template, TemplateError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LetterFormat {
    Docx,
    Md,
    Html,
}

impl LetterFormat {
    pub fn extension(self) -> &'static str {
        match self {
            LetterFormat::Docx => "docx",
            LetterFormat::Md => "md",
            LetterFormat::Html => "html",
        }
    }
}

/// One paragraph of a letter, by what it is; each writer gives each kind its typography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Title(String),
    /// Flush left, no indent (the addressee).
    Salutation(String),
    Heading(String),
    Para(String),
    /// A finding or correction, numbered by the template.
    Item(String),
    /// The report's own words, quoted under a finding.
    Quote(String),
    /// The reviewer's note under a finding.
    Note(String),
    /// The signature block, right-aligned.
    Sign(String),
}

impl Block {
    pub fn text(&self) -> &str {
        match self {
            Block::Title(s)
            | Block::Salutation(s)
            | Block::Heading(s)
            | Block::Para(s)
            | Block::Item(s)
            | Block::Quote(s)
            | Block::Note(s)
            | Block::Sign(s) => s,
        }
    }
}

/// One review opinion: an agency's reports of one year.
#[derive(Debug, Clone)]
pub struct Letter {
    pub agency: String,
    pub year: String,
    pub title: String,
    pub blocks: Vec<Block>,
    pub confirmed: usize,
    pub corrections: usize,
    pub open: usize,
}

impl Letter {
    /// File name without extension: `机关_年度_审核意见`, safe on every file system.
    pub fn file_stem(&self) -> String {
        let safe = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_control() || "/\\:*?\"<>|".contains(c) { '_' } else { c })
                .collect::<String>()
                .trim()
                .to_string()
        };
        format!("{}_{}_审核意见", safe(&self.agency), safe(&self.year))
    }

    pub fn render(&self, format: LetterFormat) -> std::io::Result<Vec<u8>> {
        Ok(match format {
            LetterFormat::Md => to_markdown(self).into_bytes(),
            LetterFormat::Html => to_html(self).into_bytes(),
            LetterFormat::Docx => docx::to_docx(self)?,
        })
    }
}

/// Who the letters are signed by and when.
#[derive(Debug, Clone)]
pub struct Signing {
    pub office: String,
    /// As it is printed, e.g. 2026年12月2日.
    pub date: String,
}

impl Signing {
    pub fn today(office: &str) -> Signing {
        let ts = crate::journal::rfc3339(std::time::SystemTime::now());
        Signing { office: office.to_string(), date: chinese_date(&ts) }
    }
}

/// `2026-12-02…` → `2026年12月2日`.
pub fn chinese_date(iso: &str) -> String {
    let mut it = iso.get(..10).unwrap_or(iso).split('-');
    match (it.next(), it.next().and_then(|m| m.parse::<u32>().ok()), it.next().and_then(|d| d.parse::<u32>().ok())) {
        (Some(y), Some(m), Some(d)) => format!("{y}年{m}月{d}日"),
        _ => iso.to_string(),
    }
}

fn field_text(a: &ReportAudit, id: &str) -> Option<String> {
    let f = a.field(id)?;
    if f.status.is_uncertain() {
        return None;
    }
    f.value.as_ref().map(|v| v.to_string()).filter(|s| !s.trim().is_empty())
}

/// The agency a letter goes to: the report's agency as written (the group's name when the
/// agency cannot be read), else the file name.
fn agency_of(a: &ReportAudit) -> String {
    field_text(a, "agency")
        .or_else(|| a.group.clone())
        .unwrap_or_else(|| a.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default())
}

/// The line of the report a finding points at, trimmed and cut to a readable length.
fn quoted_line(a: &ReportAudit, line: usize) -> Option<String> {
    let text = a.text.lines().nth(line.checked_sub(1)?)?;
    let text = crate::text::sanitize_line(text.trim()).into_owned();
    if text.is_empty() {
        return None;
    }
    const MAX: usize = 120;
    Some(if text.chars().count() > MAX { text.chars().take(MAX).collect::<String>() + "……" } else { text })
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "错误",
        Severity::Warning => "警告",
        Severity::Info => "提示",
    }
}

/// Builds one letter per agency and year from audited reports. Reports that could not be read
/// are left out (they have nothing to say to the agency); `agency` keeps only reports whose
/// agency or group contains it.
pub fn letters(audits: &[ReportAudit], replay: &Replay, rules: &RuleSet, tpl: &Template, sign: &Signing, agency: Option<&str>) -> Vec<Letter> {
    let mut groups: BTreeMap<(String, String), Vec<&ReportAudit>> = BTreeMap::new();
    for a in audits.iter().filter(|a| a.error.is_none()) {
        let name = agency_of(a);
        if let Some(want) = agency
            && !name.contains(want)
            && !a.group.as_deref().is_some_and(|g| g.contains(want))
        {
            continue;
        }
        let year = field_text(a, "year").unwrap_or_else(|| "年度不明".to_string());
        groups.entry((name, year)).or_default().push(a);
    }
    groups.into_iter().map(|((agency, year), reports)| letter(&agency, &year, &reports, replay, rules, tpl, sign)).collect()
}

fn letter(agency: &str, year: &str, reports: &[&ReportAudit], replay: &Replay, rules: &RuleSet, tpl: &Template, sign: &Signing) -> Letter {
    let vars = |pairs: &[(&str, String)]| -> Vec<(String, String)> { pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect() };
    let base = vars(&[("agency", agency.to_string()), ("year", year.to_string()), ("reports", reports.len().to_string())]);
    let fill = |section: &str, extra: &[(&str, String)]| -> String {
        let mut v = base.clone();
        v.extend(vars(extra));
        tpl.fill(section, &v)
    };
    let title = fill("title", &[]);
    let mut blocks = vec![Block::Title(title.clone()), Block::Salutation(fill("salutation", &[])), Block::Para(fill("intro", &[]))];
    for a in reports {
        blocks.push(Block::Para(fill(
            "report",
            &[
                ("title", field_text(a, "title").unwrap_or_else(|| "（标题不明）".into())),
                ("published", field_text(a, "published").unwrap_or_else(|| "不明".into())),
                ("path", a.path.display().to_string()),
                ("id", a.id.clone()),
            ],
        )));
    }

    let confirmed: Vec<(&ReportAudit, &crate::model::Finding)> = reports
        .iter()
        .flat_map(|a| a.findings.iter().map(move |f| (*a, f)))
        .filter(|(_, f)| f.decision.as_ref().is_some_and(|d| d.verdict == Verdict::Confirmed && !d.stale))
        .collect();
    if !confirmed.is_empty() {
        blocks.push(Block::Heading(fill("findings_heading", &[])));
    }
    for (n, (a, f)) in confirmed.iter().enumerate() {
        let line = f.span.map(|s| s.line).unwrap_or(0);
        blocks.push(Block::Item(fill(
            "finding",
            &[
                ("n", (n + 1).to_string()),
                ("message", f.message.clone()),
                ("rule", f.rule.clone()),
                ("severity", severity_word(f.severity).to_string()),
                ("line", line.to_string()),
            ],
        )));
        if let Some(q) = quoted_line(a, line) {
            blocks.push(Block::Quote(fill("quote", &[("line", line.to_string()), ("quote", q)])));
        }
        if let Some(d) = &f.decision
            && !d.note.trim().is_empty()
        {
            blocks.push(Block::Note(fill("note", &[("note", d.note.clone()), ("reviewer", d.reviewer.clone()), ("ts", d.ts.clone())])));
        }
    }

    let corrections: Vec<(&ReportAudit, &crate::journal::Record)> = reports
        .iter()
        .flat_map(|a| replay.corrections_for(&a.id).into_iter().map(move |r| (*a, r)))
        .filter(|(_, r)| r.action == Action::Correct)
        .collect();
    if !corrections.is_empty() {
        blocks.push(Block::Heading(fill("corrections_heading", &[])));
    }
    let shown = |v: Option<&str>| match v {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "（空）".to_string(),
    };
    for (n, (_, r)) in corrections.iter().enumerate() {
        let field = r.field.clone().unwrap_or_default();
        blocks.push(Block::Item(fill(
            "correction",
            &[
                ("n", (n + 1).to_string()),
                ("label", rules.label(&field).unwrap_or(&field).to_string()),
                ("field", field.clone()),
                ("old", shown(r.old.as_deref())),
                ("new", shown(r.new.as_deref())),
                ("reason", r.reason.clone().unwrap_or_else(|| "（未注明）".into())),
                ("reviewer", r.reviewer.clone()),
                ("ts", r.ts.clone()),
            ],
        )));
    }

    let count = [
        ("confirmed", confirmed.len().to_string()),
        ("corrections", corrections.len().to_string()),
        ("open", reports.iter().map(|a| a.open_findings().count()).sum::<usize>().to_string()),
    ];
    if confirmed.is_empty() && corrections.is_empty() {
        blocks.push(Block::Para(fill("none", &count)));
    } else {
        blocks.push(Block::Para(fill("closing", &count)));
    }
    for line in fill("signature", &[("office", sign.office.clone()), ("date", sign.date.clone())]).lines() {
        blocks.push(Block::Sign(line.to_string()));
    }

    let open: Vec<&crate::model::Finding> = reports.iter().flat_map(|a| a.open_findings().filter(|f| a.finding_conflict(&f.key).is_none())).collect();
    let conflicts: Vec<&crate::model::ReviewConflict> = reports.iter().flat_map(|a| a.conflicts.iter()).collect();
    if !open.is_empty() || !conflicts.is_empty() {
        blocks.push(Block::Heading(fill("open_heading", &[])));
    }
    for (n, f) in open.iter().enumerate() {
        blocks.push(Block::Item(fill(
            "open",
            &[
                ("n", (n + 1).to_string()),
                ("message", f.message.clone()),
                ("severity", severity_word(f.severity).to_string()),
                ("rule", f.rule.clone()),
                ("line", f.span.map(|s| s.line).unwrap_or(0).to_string()),
            ],
        )));
    }
    for (n, c) in conflicts.iter().enumerate() {
        let subject = if c.field { rules.label(&c.subject).unwrap_or(&c.subject).to_string() } else { c.subject.clone() };
        blocks.push(Block::Item(fill("conflict", &[("n", (open.len() + n + 1).to_string()), ("subject", subject), ("sides", c.brief())])));
    }
    blocks.retain(|b| !b.text().trim().is_empty());
    Letter {
        agency: agency.to_string(),
        year: year.to_string(),
        title,
        blocks,
        confirmed: confirmed.len(),
        corrections: corrections.len(),
        open: count[2].1.parse().unwrap_or(0),
    }
}

/// Writes every letter into `dir` as `机关_年度_审核意见.EXT`; returns the paths written.
pub fn write_letters(letters: &[Letter], format: LetterFormat, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for l in letters {
        let p = dir.join(format!("{}.{}", l.file_stem(), format.extension()));
        std::fs::write(&p, l.render(format)?)?;
        written.push(p);
    }
    Ok(written)
}

/// Markdown: the title as `#`, headings as `##`, quotes as `>`.
pub fn to_markdown(l: &Letter) -> String {
    let esc = |s: &str| -> String {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            if "\\`*_[]<>#|".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        out
    };
    let mut out = String::new();
    for b in &l.blocks {
        match b {
            Block::Title(s) => out.push_str(&format!("# {}\n\n", esc(s))),
            Block::Heading(s) => out.push_str(&format!("## {}\n\n", esc(s))),
            Block::Quote(s) => out.push_str(&format!("> {}\n\n", esc(s))),
            Block::Note(s) => out.push_str(&format!("*{}*\n\n", esc(s))),
            Block::Sign(s) => out.push_str(&format!("<p align=\"right\">{}</p>\n\n", html_escape(s))),
            Block::Salutation(s) | Block::Para(s) | Block::Item(s) => out.push_str(&format!("{}\n\n", esc(s))),
        }
    }
    out
}

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A standalone page set like the Word file: A4, 仿宋 body, 宋体 title, 1.5 line spacing.
pub fn to_html(l: &Letter) -> String {
    let mut body = String::new();
    for b in &l.blocks {
        let (tag, class) = match b {
            Block::Title(_) => ("h1", ""),
            Block::Heading(_) => ("h2", ""),
            Block::Salutation(_) => ("p", " class=\"to\""),
            Block::Para(_) => ("p", ""),
            Block::Item(_) => ("p", " class=\"item\""),
            Block::Quote(_) => ("blockquote", ""),
            Block::Note(_) => ("p", " class=\"note\""),
            Block::Sign(_) => ("p", " class=\"sign\""),
        };
        body.push_str(&format!("<{tag}{class}>{}</{tag}>\n", html_escape(b.text())));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}\n\
body {{ font-family: \"仿宋\", \"FangSong\", \"STFangsong\", serif; font-size: 16pt; line-height: 1.5; max-width: 156mm; margin: 2em auto; }}\n\
h1 {{ font-family: \"宋体\", \"SimSun\", \"Songti SC\", serif; font-size: 22pt; text-align: center; font-weight: bold; }}\n\
h2 {{ font-family: \"黑体\", \"SimHei\", sans-serif; font-size: 16pt; font-weight: normal; margin: 0.5em 0 0; }}\n\
p {{ text-indent: 2em; margin: 0; }}\n\
p.to {{ text-indent: 0; }}\n\
p.sign {{ text-align: right; }}\n\
p.note {{ font-style: normal; color: #333; }}\n\
blockquote {{ margin: 0 0 0 4em; font-family: \"楷体\", \"KaiTi\", serif; }}\n\
</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        html_escape(&l.title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Record;
    use crate::model::{Decision, Field, Finding, Span, Value};
    use std::sync::Arc;

    fn finding(key: &str, message: &str, line: usize, verdict: Option<Verdict>) -> Finding {
        Finding {
            rule: key.split('@').next().unwrap_or(key).to_string(),
            severity: Severity::Error,
            message: message.into(),
            span: Some(Span { start: 0, end: 0, line, col: 1 }),
            fields: vec![],
            key: key.into(),
            decision: verdict.map(|verdict| Decision { verdict, note: format!("{message}的备注"), reviewer: "wang".into(), ts: "t".into(), stale: false }),
        }
    }

    fn report(name: &str, year: i64) -> ReportAudit {
        let mut a = ReportAudit::failed(PathBuf::from(name), String::new());
        a.error = None;
        a.id = format!("id-{name}");
        a.text = Arc::from("标题行\n发布时间：2022-04-01\n第三行");
        for f in [
            Field::exact("agency", "机关", Some(Value::Text("某县人民政府".into())), "", None),
            Field::exact("year", "年度", Some(Value::Int(year)), "", None),
            Field::exact("title", "标题", Some(Value::Text("某县年报".into())), "", None),
        ] {
            a.fields.insert(f.id.clone(), f);
        }
        a.findings = vec![
            finding("meta.late", "发布晚了", 2, Some(Verdict::Confirmed)),
            finding("text.web-residue@x", "网页残留", 3, Some(Verdict::Dismissed)),
            finding("table3.balance", "不平衡", 3, None),
        ];
        a
    }

    #[test]
    fn confirmed_in_dismissed_out_open_apart_one_letter_per_agency_year() {
        let a = report("a.txt", 2021);
        let mut b = report("b.txt", 2022);
        b.findings.clear();
        let log = vec![Record::correct("id-a.txt", "a.txt", "t3.new.total", "5", "6", "原表合计为6", "wang")];
        let replay = crate::journal::replay(&log);
        let sign = Signing { office: "办公室".into(), date: "2026年1月2日".into() };
        let ls = letters(&[a, b], &replay, &RuleSet::builtin(), &Template::builtin(), &sign, None);
        assert_eq!(ls.len(), 2);
        assert_eq!(ls[0].file_stem(), "某县人民政府_2021_审核意见");
        let text: Vec<&str> = ls[0].blocks.iter().map(|b| b.text()).collect();
        let all = text.join("\n");
        assert!(all.contains("（1）发布晚了") && all.contains("原文第2行：“发布时间：2022-04-01”"), "{all}");
        assert!(all.contains("审核意见：发布晚了的备注"), "{all}");
        assert!(all.contains("由") || all.contains("应为“6”"), "{all}");
        assert!(all.contains("原表合计为6"), "{all}");
        assert!(!all.contains("网页残留"), "dismissed findings are left out: {all}");
        let open_at = text.iter().position(|t| t.contains("尚未审核")).expect("open heading");
        let closing_at = text.iter().position(|t| t.contains("以上共确认问题1个、更正数据1处")).expect("closing");
        assert!(text[open_at + 1].contains("不平衡") && open_at > closing_at, "{all}");
        assert!(matches!(ls[0].blocks.last(), Some(Block::Item(_))));
        // Nothing to say: the `none` wording.
        assert!(ls[1].blocks.iter().any(|b| b.text().contains("未发现需要整改的问题")));
        // --agency keeps only matching agencies.
        assert!(letters(&[report("c.txt", 2021)], &replay, &RuleSet::builtin(), &Template::builtin(), &sign, Some("别的局")).is_empty());
    }

    #[test]
    fn markdown_and_html_escape_report_text() {
        let l = Letter {
            agency: "a/b".into(),
            year: "2021".into(),
            title: "t".into(),
            blocks: vec![Block::Para("<script>*x*</script>".into())],
            confirmed: 0,
            corrections: 0,
            open: 0,
        };
        assert!(to_html(&l).contains("&lt;script&gt;") && !to_html(&l).contains("<script>"));
        assert!(to_markdown(&l).contains("\\<script\\>\\*x\\*"));
        assert_eq!(l.file_stem(), "a_b_2021_审核意见");
        assert_eq!(chinese_date("2026-03-05T01:02:03.000Z"), "2026年3月5日");
    }
}
