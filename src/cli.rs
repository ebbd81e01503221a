//! Command line: `nianbao [review] PATHS`, `check`, `rules init|check|test`,
//! `log show|export|merge|verify|conflicts`, `export`, `letter`, `summary`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::{self, Format, Summary};
use crate::rules::RuleSet;

#[derive(Parser, Debug)]
#[command(
    name = "nianbao",
    version,
    about = "审核政府信息公开工作年度报告 — review Chinese government information disclosure annual reports",
    long_about = "Audits 政府信息公开工作年度报告 against editable YAML rules and records every reviewer \
correction in an append-only log.\n\nWith no subcommand, opens the reviewer on PATHS (or on ./samples).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub review: ReviewArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Open the full-screen reviewer on reports (files or folders).
    Review(ReviewArgs),
    /// Audit reports headless and print findings.
    Check(CheckArgs),
    /// Work with rule packs.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Read the correction log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Export fields, findings (with decisions) and the correction log as spreadsheets or JSON.
    Export(ExportArgs),
    /// Write the review opinion (审核意见) for each agency and year: confirmed findings with
    /// their notes, corrections with reasons, open findings listed apart.
    Letter(LetterArgs),
    /// Summarise the batch for a superior: reports by state, findings by rule, agencies ranked
    /// by confirmed errors, reviewers' counts (HTML with inline charts, or Markdown).
    Summary(SummaryArgs),
}

#[derive(Args, Debug)]
pub struct LetterArgs {
    /// Report files or folders (.txt, .html, .htm, .docx, .doc, .wps, .pdf, searched recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Rule folder (its letter/opinion.txt, when present, words the letters).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Correction log with the reviewers' decisions.
    #[arg(long, value_name = "FILE", default_value = "corrections.jsonl")]
    pub log: PathBuf,
    /// Only agencies whose name contains NAME.
    #[arg(long, value_name = "NAME")]
    pub agency: Option<String>,
    /// Who signs the letters.
    #[arg(long, value_name = "NAME", default_value = "政务公开办公室")]
    pub office: String,
    #[arg(long, value_enum, default_value = "docx")]
    pub format: crate::letter::LetterFormat,
    /// Folder to write the letters into (created if missing).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

#[derive(Args, Debug)]
pub struct SummaryArgs {
    /// Report files or folders (.txt, .html, .htm, .docx, .doc, .wps, .pdf, searched recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Correction log with the reviewers' decisions.
    #[arg(long, value_name = "FILE", default_value = "corrections.jsonl")]
    pub log: PathBuf,
    #[arg(long, value_enum, default_value = "html")]
    pub format: crate::summary::SummaryFormat,
    /// Output file (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Report files or folders (.txt, .html, .htm, .docx, .doc, .wps, .pdf, searched recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: crate::export::ExportFormat,
    /// Rule folder to use instead of the built-in rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Correction log to apply and include.
    #[arg(long, value_name = "FILE", default_value = "corrections.jsonl")]
    pub log: PathBuf,
    /// Output file (xlsx needs one; csv writes FILE, FILE's .findings.csv and .log.csv).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug, Default)]
pub struct ReviewArgs {
    /// Report files or folders (.txt, .html, .htm, .docx, .doc, .wps, .pdf, searched recursively). Default: ./samples.
    pub paths: Vec<PathBuf>,
    /// Rule folder to use instead of the built-in rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Correction log (JSON Lines, append-only).
    #[arg(long, value_name = "FILE", default_value = "corrections.jsonl")]
    pub log: PathBuf,
    /// Name recorded with every action (default: $USER; required to write when $USER is unset).
    #[arg(long)]
    pub reviewer: Option<String>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Report files or folders (.txt, .html, .htm, .docx, .doc, .wps, .pdf, searched recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Rule folder to use instead of the built-in rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Apply this correction log before checking (corrected fields have status `corrected`).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Exit 1 when a finding reaches this severity.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Write the built-in rules into DIR for editing.
    Init {
        dir: PathBuf,
        /// Overwrite files that already exist.
        #[arg(long)]
        force: bool,
    },
    /// Validate a rule folder (default: the built-in rules) without running it.
    Check { dir: Option<PathBuf> },
    /// Run every rule's examples (must fire / must not fire); fails on any miss.
    Test { dir: Option<PathBuf> },
}

#[derive(Subcommand, Debug)]
pub enum LogCommand {
    /// Print the log, one line per record.
    Show {
        #[arg(long, default_value = "corrections.jsonl")]
        log: PathBuf,
    },
    /// Export the log as CSV (opens in Excel / WPS).
    Export {
        #[arg(long, default_value = "corrections.jsonl")]
        log: PathBuf,
        #[arg(long, value_enum, default_value = "csv")]
        format: LogFormat,
        /// Output file (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Merge logs written apart (several reviewers, several machines) into one: every record
    /// once, ordered by time then id; the same inputs in any order give the same file.
    Merge {
        /// The logs to merge.
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        /// The merged log (may be one of the inputs; it is replaced only once complete).
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
    },
    /// Check every reviewer's hash chain: exit 1 when a record was edited, removed or moved.
    Verify {
        #[arg(long, default_value = "corrections.jsonl")]
        log: PathBuf,
    },
    /// List the conflicts between reviewers that no later record has settled.
    Conflicts {
        #[arg(long, default_value = "corrections.jsonl")]
        log: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: ListFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Check(a)) => check(a),
        Some(Command::Rules(r)) => rules(r),
        Some(Command::Log(l)) => log(l),
        Some(Command::Review(a)) => review(a),
        Some(Command::Export(a)) => export(a),
        Some(Command::Letter(a)) => letter(a),
        Some(Command::Summary(a)) => summary(a),
        None => review(cli.review),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nianbao: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Load the rules or explain every mistake as `path:line:col: …` (exit 2).
pub fn load_rules(dir: Option<&Path>) -> Result<RuleSet, ExitCode> {
    RuleSet::load(dir).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!("nianbao: {} problem(s) in the rules; nothing was audited", errors.len());
        ExitCode::from(2)
    })
}

fn check(a: CheckArgs) -> anyhow::Result<ExitCode> {
    let rules = match load_rules(a.rules.as_deref()) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let replay = match &a.log {
        Some(p) => {
            let j = crate::journal::Journal::open(p).map_err(|e| anyhow::anyhow!("cannot read log {}: {e}", p.display()))?;
            for p in j.problems() {
                eprintln!("{}: {}", a.log.as_ref().map(|l| l.display().to_string()).unwrap_or_default(), p.message);
            }
            Some(crate::journal::replay(j.records()))
        }
        None => None,
    };
    let (paths, missing) = crate::load::discover(&a.paths);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let color = a.format == Format::Text && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut writer = output::writer(a.format, &rules, color);
    let mut summary = Summary { conflicts: replay.as_ref().map(|_| 0), ..Summary::default() };
    for (p, e) in missing {
        let failed = crate::pipeline::ReportAudit::failed(p, e.to_string());
        summary.add(&failed);
        writer.report(&mut out, &failed)?;
    }
    let progress = std::io::stderr().is_terminal() && paths.len() > 200;
    let total = paths.len();
    let mut io_error = None;
    crate::pipeline::audit_stream(&paths, &rules, replay.as_ref(), |audit| {
        summary.add(&audit);
        if io_error.is_none()
            && let Err(e) = writer.report(&mut out, &audit) {
                io_error = Some(e);
            }
        if progress && summary.reports % 256 == 0 {
            eprint!("\r已审计 {}/{total}", summary.reports);
        }
    });
    if progress {
        eprintln!("\r已审计 {}/{total}", summary.reports);
    }
    if let Some(e) = io_error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(ExitCode::SUCCESS);
        }
        return Err(e.into());
    }
    writer.finish(&mut out, &summary)?;
    out.flush()?;
    let fail = match (a.fail_on, summary.worst()) {
        (FailOn::Never, _) | (_, None) => false,
        (FailOn::Error, Some(s)) => s == crate::model::Severity::Error,
        (FailOn::Warning, Some(s)) => s >= crate::model::Severity::Warning,
    };
    Ok(if fail { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn rules(cmd: RulesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCommand::Init { dir, force } => {
            let written = RuleSet::write_defaults(&dir, force)?;
            for p in &written {
                println!("wrote {}", p.display());
            }
            if written.is_empty() {
                println!("{} already holds the rule files (use --force to overwrite)", dir.display());
            }
            println!("edit them, then: nianbao rules test {0} && nianbao check --rules {0} PATHS", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Check { dir } => {
            let set = match load_rules(dir.as_deref()) {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            if let Err(errors) = crate::letter::Template::load(dir.as_deref()) {
                for e in &errors {
                    eprintln!("{e}");
                }
                eprintln!("nianbao: {} problem(s) in the letter template", errors.len());
                return Ok(ExitCode::from(2));
            }
            println!(
                "ok: {} fields, {} sections, {} tables, {} checks ({} off), {} deadline rules",
                set.fields.len(),
                set.sections.len(),
                set.tables.len(),
                set.checks.len(),
                set.checks.iter().filter(|c| c.severity.is_none()).count(),
                set.deadlines.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Test { dir } => {
            let set = match load_rules(dir.as_deref()) {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            let report = crate::rules::testing::run_examples(&set);
            for line in &report.lines {
                println!("{line}");
            }
            println!("{} passed, {} failed", report.passed, report.failed);
            Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
    }
}

fn log(cmd: LogCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LogCommand::Show { log } => {
            let j = crate::journal::Journal::open(&log).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", log.display()))?;
            for p in j.problems() {
                eprintln!("{}: {}", log.display(), p.message);
            }
            print!("{}", crate::journal::to_text(j.records()));
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Export { log, format: LogFormat::Csv, output } => {
            let j = crate::journal::Journal::open(&log).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", log.display()))?;
            for p in j.problems() {
                eprintln!("{}: {}", log.display(), p.message);
            }
            match output {
                Some(p) => {
                    let mut f = std::io::BufWriter::new(std::fs::File::create(&p)?);
                    crate::journal::to_csv(j.records(), &mut f)?;
                    f.flush()?;
                }
                None => {
                    let mut out = std::io::stdout().lock();
                    crate::journal::to_csv(j.records(), &mut out)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        LogCommand::Merge { logs, output } => log_merge(&logs, &output),
        LogCommand::Verify { log } => log_verify(&log),
        LogCommand::Conflicts { log, format } => log_conflicts(&log, format),
    }
}

fn log_merge(logs: &[PathBuf], output: &Path) -> anyhow::Result<ExitCode> {
    let (lines, report) = crate::journal::merge_logs(logs)?;
    for p in &report.problems {
        eprintln!("{p}");
    }
    for c in &report.clashes {
        eprintln!("warning: {c}");
    }
    crate::journal::write_log(output, &lines).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", output.display()))?;
    eprintln!(
        "merged {} logs: {} records read, {} written to {} ({} met more than once)",
        logs.len(),
        report.read,
        report.written,
        output.display(),
        report.duplicates
    );
    Ok(ExitCode::SUCCESS)
}

fn log_verify(log: &Path) -> anyhow::Result<ExitCode> {
    let file = crate::journal::read_log(log).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", log.display()))?;
    for p in &file.problems {
        println!("{}: {}", log.display(), p.message);
    }
    let v = crate::journal::verify(&file.lines);
    let tampered = v.tampered() || file.damaged > 0;
    for p in &v.problems {
        println!("{}: {p}", log.display());
    }
    let chains: Vec<String> = v.reviewers.iter().map(|(who, n)| format!("{who} {n}")).collect();
    if v.unchained == v.records && v.records > 0 {
        println!("{}: {} records carry no chain (written before records were sealed): nothing to verify", log.display(), v.records);
    } else {
        let old = if v.unchained > 0 { format!(", {} older records carry no chain", v.unchained) } else { String::new() };
        println!(
            "{}: {} records, chains: {}{old}: {}",
            log.display(),
            v.records,
            if chains.is_empty() { "none".to_string() } else { chains.join(", ") },
            if tampered { "CHANGED AFTER WRITING" } else { "intact" }
        );
    }
    Ok(if tampered { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn log_conflicts(log: &Path, format: ListFormat) -> anyhow::Result<ExitCode> {
    let j = crate::journal::Journal::open(log).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", log.display()))?;
    for p in j.problems() {
        eprintln!("{}: {}", log.display(), p.message);
    }
    let replay = j.replay();
    let conflicts = replay.conflicts();
    let mut out = std::io::stdout().lock();
    match format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = conflicts
                .iter()
                .map(|c| {
                    let sides: Vec<serde_json::Value> = c
                        .sides
                        .iter()
                        .map(|r| serde_json::json!({"record": r.id, "reviewer": r.reviewer, "ts": r.ts, "value": crate::journal::Conflict::side_value(r), "note": r.reason.clone().or_else(|| r.note.clone())}))
                        .collect();
                    let kind = if c.subject == crate::journal::Subject::Field { "field" } else { "finding" };
                    serde_json::json!({"id": c.id(), "path": c.path, "report": c.report, "kind": kind, "subject": c.key, "sides": sides})
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({"conflicts": list}))?;
            writeln!(out)?;
        }
        ListFormat::Text => {
            for c in conflicts {
                let kind = if c.subject == crate::journal::Subject::Field { "字段" } else { "问题" };
                writeln!(out, "{} {} {kind} {}", c.id(), crate::text::sanitize_line(&c.path), crate::text::sanitize_line(&c.key))?;
                for r in &c.sides {
                    let why = r.reason.as_deref().or(r.note.as_deref()).unwrap_or("");
                    writeln!(
                        out,
                        "    {} {} {}  {}  [{}]",
                        r.ts,
                        crate::text::sanitize_line(&r.reviewer),
                        crate::text::sanitize_line(&crate::journal::Conflict::side_value(r)),
                        crate::text::sanitize_line(why),
                        r.id
                    )?;
                }
            }
            if conflicts.is_empty() {
                writeln!(out, "no conflicts between reviewers in {}", log.display())?;
            } else {
                writeln!(
                    out,
                    "{} conflicts: settle each in the reviewer (open the report, choose a value with 1-9 or correct it with e, or confirm/dismiss the finding); the new record names both sides",
                    conflicts.len()
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The reports of a batch audited with a log, as every document-writing command needs them.
fn audit_with_log(paths: &[PathBuf], rules: &RuleSet, log: &Path) -> anyhow::Result<(Vec<crate::pipeline::ReportAudit>, crate::journal::Journal)> {
    let journal = crate::journal::Journal::open(log).map_err(|e| anyhow::anyhow!("cannot read log {}: {e}", log.display()))?;
    for p in journal.problems() {
        eprintln!("{}: {}", log.display(), p.message);
    }
    let replay = crate::journal::replay(journal.records());
    let (paths, missing) = crate::load::discover(paths);
    let mut audits: Vec<crate::pipeline::ReportAudit> =
        missing.into_iter().map(|(p, e)| crate::pipeline::ReportAudit::failed(p, e.to_string())).collect();
    audits.extend(crate::pipeline::audit_batch(&paths, rules, Some(&replay)));
    Ok((audits, journal))
}

fn letter(a: LetterArgs) -> anyhow::Result<ExitCode> {
    let rules = match load_rules(a.rules.as_deref()) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let template = match crate::letter::Template::load(a.rules.as_deref()) {
        Ok(t) => t,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("nianbao: {} problem(s) in the letter template; nothing was written", errors.len());
            return Ok(ExitCode::from(2));
        }
    };
    let (audits, journal) = audit_with_log(&a.paths, &rules, &a.log)?;
    for bad in audits.iter().filter(|x| x.error.is_some()) {
        eprintln!("{}: cannot be read, no letter: {}", bad.path.display(), bad.error.clone().unwrap_or_default());
    }
    let replay = journal.replay();
    let sign = crate::letter::Signing::today(&a.office);
    let letters = crate::letter::letters(&audits, &replay, &rules, &template, &sign, a.agency.as_deref());
    if letters.is_empty() {
        eprintln!("nianbao: no report matched{}; nothing was written", a.agency.as_ref().map(|n| format!(" --agency {n}")).unwrap_or_default());
        return Ok(ExitCode::from(1));
    }
    let written = crate::letter::write_letters(&letters, a.format, &a.output)?;
    for (p, l) in written.iter().zip(&letters) {
        eprintln!("wrote {} ({} confirmed, {} corrections, {} not yet reviewed)", p.display(), l.confirmed, l.corrections, l.open);
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(a: SummaryArgs) -> anyhow::Result<ExitCode> {
    let rules = match load_rules(a.rules.as_deref()) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let (audits, journal) = audit_with_log(&a.paths, &rules, &a.log)?;
    let text = crate::summary::Summary::build(&audits, journal.records()).render(a.format);
    match &a.output {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
            eprintln!("wrote {}", p.display());
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn export(a: ExportArgs) -> anyhow::Result<ExitCode> {
    let rules = match load_rules(a.rules.as_deref()) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let journal = crate::journal::Journal::open(&a.log).map_err(|e| anyhow::anyhow!("cannot read log {}: {e}", a.log.display()))?;
    for p in journal.problems() {
        eprintln!("{}: {}", a.log.display(), p.message);
    }
    let replay = crate::journal::replay(journal.records());
    let (paths, missing) = crate::load::discover(&a.paths);
    let mut audits: Vec<crate::pipeline::ReportAudit> =
        missing.into_iter().map(|(p, e)| crate::pipeline::ReportAudit::failed(p, e.to_string())).collect();
    audits.extend(crate::pipeline::audit_batch(&paths, &rules, Some(&replay)));
    let written = crate::export::export(a.format, &audits, &rules, journal.records(), a.output.as_deref())?;
    for p in written {
        eprintln!("wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn review(a: ReviewArgs) -> anyhow::Result<ExitCode> {
    let paths = if a.paths.is_empty() {
        let samples = PathBuf::from("samples");
        if !samples.is_dir() {
            eprintln!(
                "nianbao: no reports given and no ./samples folder here.\n\
                 start with:  nianbao PATH...          (files or folders of reports: .txt .html .docx .pdf …)\n\
                 or headless: nianbao check PATH...\n\
                 see:         nianbao --help"
            );
            return Ok(ExitCode::from(2));
        }
        vec![samples]
    } else {
        a.paths.clone()
    };
    let rules = match load_rules(a.rules.as_deref()) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    // Without a name nothing can be written (the session says so at once and stays read-only).
    let reviewer = a.reviewer.clone().filter(|r| !r.trim().is_empty()).or_else(crate::journal::reviewer_from_env).unwrap_or_default();
    crate::session::run_review(paths, rules, a.rules.clone(), a.log.clone(), reviewer)?;
    Ok(ExitCode::SUCCESS)
}
