//! Command line: `nianbao [review] PATHS`, `check`, `rules init|check|test`, `log show|export`.

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
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Report files or folders (.txt, .html, .htm, searched recursively).
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
    /// Report files or folders (.txt, .html, .htm, searched recursively). Default: ./samples.
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
    /// Report files or folders (.txt, .html, .htm, searched recursively).
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Csv,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Check(a)) => check(a),
        Some(Command::Rules(r)) => rules(r),
        Some(Command::Log(l)) => log(l),
        Some(Command::Review(a)) => review(a),
        Some(Command::Export(a)) => export(a),
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
    let mut summary = Summary::default();
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
    }
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
                 start with:  nianbao PATH...          (files or folders of .txt/.html reports)\n\
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
