//! The `polc` command line: parses arguments, reads files, calls the library, renders,
//! and maps the outcome to an exit status. No policy logic lives here.

// Library and CLI code never panics on input; where a panic would be right, say why
// with `#[expect(..., reason = "...")]`. Tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use clap::{Parser, Subcommand, ValueEnum};
use polc::check::checked::Policy;
use polc::data::InputFormat;
use polc::diag::render::{self, Source};
use polc::eval::report;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "polc", version, about = "A compiler for government subsidy-policy clauses")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check policy files, reporting every problem found.
    Check {
        /// The `.pol` files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
        /// Exit with status 1 when there are warnings, too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Compute every award a policy gives a batch of applicant cases.
    Run {
        /// The `.pol` policy.
        policy: PathBuf,
        /// The cases: `.json` (an array), `.jsonl`, `.csv`, or `-` for standard input.
        cases: String,
        /// The cases' format, when the file name does not say it.
        #[arg(long, value_enum)]
        input_format: Option<CasesFormat>,
        /// How to print the result [default: table on a terminal, json otherwise].
        #[arg(long, value_enum)]
        format: Option<ResultFormat>,
        /// Explain one case: every clause, why it applied or not, and the arithmetic.
        #[arg(long, value_name = "CASE_ID")]
        explain: Option<String>,
    },
    /// Run the worked examples beside policies (`NAME.examples.json` next to `NAME.pol`).
    Test {
        /// Policy files or folders to search for them [default: policies].
        paths: Vec<PathBuf>,
        /// Report which conditions, tiers, enum arms and caps the examples exercised.
        #[arg(long)]
        coverage: bool,
        /// How to print the coverage report.
        #[arg(long, value_enum, default_value_t = CoverageFormat::Table)]
        format: CoverageFormat,
    },
    /// Rewrite policy files in the canonical layout (comments and policy text kept).
    Fmt {
        /// The `.pol` files to format, or `-` to format standard input to standard output.
        #[arg(required = true)]
        files: Vec<String>,
        /// List the files that are not formatted and exit 1, changing nothing.
        #[arg(long)]
        check: bool,
    },
    /// Print the applicant-data contract a policy declares, as a JSON Schema.
    Schema {
        /// The `.pol` policy.
        policy: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DiagnosticFormat {
    /// Messages with the source snippet, for people.
    Human,
    /// One JSON object per line, for tools.
    Json,
    /// GitHub Actions workflow annotations.
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
enum CoverageFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum CasesFormat {
    Json,
    Jsonl,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum ResultFormat {
    /// One row per award and totals per entity.
    Table,
    /// The result contract: cases, awards with reasons, errors, totals.
    Json,
    /// One row per award, for spreadsheets.
    Csv,
}

/// Exit statuses: 0 clean, 1 problems found, 2 usage or I/O error, or unusable input.
const EXIT_PROBLEMS: u8 = 1;
const EXIT_UNUSABLE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { EXIT_UNUSABLE } else { 0 });
        }
    };
    let status = match cli.command {
        Command::Check { files, format, deny_warnings } => check(&files, format, deny_warnings),
        Command::Run { policy, cases, input_format, format, explain } => {
            run(&policy, &cases, input_format, format, explain.as_deref())
        }
        Command::Schema { policy } => schema(&policy),
        Command::Fmt { files, check } => fmt(&files, check),
        Command::Test { paths, coverage, format } => test(&paths, coverage, format),
    };
    let _ = std::io::stdout().flush();
    ExitCode::from(status)
}

fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn check(files: &[PathBuf], format: DiagnosticFormat, deny_warnings: bool) -> u8 {
    let mut errors = 0;
    let mut warnings = 0;
    let mut unreadable = false;
    for path in files {
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                eprintln!("error: cannot read `{name}`: {error}");
                unreadable = true;
                continue;
            }
        };
        let report = polc::check_source(&text);
        errors += report.error_count();
        warnings += report.warning_count();
        let source = Source { name: &name, text: &text };
        match format {
            DiagnosticFormat::Human => eprint!("{}", render::human(&source, &report.diagnostics, stderr_color())),
            DiagnosticFormat::Json => print!("{}", render::json(&source, &report.diagnostics)),
            DiagnosticFormat::Github => print!("{}", render::github(&source, &report.diagnostics)),
        }
    }
    if matches!(format, DiagnosticFormat::Human) {
        eprintln!(
            "checked {} file{}: {errors} error{}, {warnings} warning{}",
            files.len(),
            plural(files.len()),
            plural(errors),
            plural(warnings)
        );
    }
    if unreadable {
        EXIT_UNUSABLE
    } else if errors > 0 || (deny_warnings && warnings > 0) {
        EXIT_PROBLEMS
    } else {
        0
    }
}

/// Reads and checks a policy for `run` and `schema`: any error makes it unusable.
fn load_policy(path: &Path) -> Result<Policy, u8> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| {
        eprintln!("error: cannot read `{name}`: {error}");
        EXIT_UNUSABLE
    })?;
    let report = polc::check_source(&text);
    match report.policy {
        Some(policy) => Ok(policy),
        None => {
            let source = Source { name: &name, text: &text };
            let errors: Vec<_> = report.diagnostics.into_iter().filter(|diagnostic| diagnostic.is_error()).collect();
            eprint!("{}", render::human(&source, &errors, stderr_color()));
            eprintln!("error: `{name}` has errors; run `polc check {name}` for all diagnostics");
            Err(EXIT_UNUSABLE)
        }
    }
}

fn run(
    policy_path: &Path,
    cases: &str,
    input_format: Option<CasesFormat>,
    format: Option<ResultFormat>,
    explain: Option<&str>,
) -> u8 {
    let policy = match load_policy(policy_path) {
        Ok(policy) => policy,
        Err(status) => return status,
    };
    let input_format = match (input_format, InputFormat::from_extension(cases)) {
        (Some(CasesFormat::Json), _) => InputFormat::Json,
        (Some(CasesFormat::Jsonl), _) => InputFormat::JsonLines,
        (Some(CasesFormat::Csv), _) => InputFormat::Csv,
        (None, Some(format)) => format,
        (None, None) => {
            eprintln!(
                "error: cannot tell the format of `{cases}`; name it .json, .jsonl or .csv, or pass --input-format"
            );
            return EXIT_UNUSABLE;
        }
    };
    let reader: Box<dyn Read> = if cases == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(cases) {
            Ok(file) => Box::new(file),
            Err(error) => {
                eprintln!("error: cannot read `{cases}`: {error}");
                return EXIT_UNUSABLE;
            }
        }
    };
    let result = match polc::eval::run(&policy, reader, input_format, explain) {
        Ok(result) => result,
        Err(error) => {
            eprintln!("error: `{cases}` cannot be used: {error}");
            return EXIT_UNUSABLE;
        }
    };
    if let Some(case_id) = explain {
        match report::explain(&policy, &result) {
            Some(text) => print!("{text}"),
            None => {
                let errors: Vec<_> =
                    result.errors.iter().filter(|error| error.case.as_deref() == Some(case_id)).collect();
                if errors.is_empty() {
                    eprintln!("error: no readable case has id `{case_id}`");
                } else {
                    eprintln!("error: case `{case_id}` did not run; its data has errors:");
                    for error in errors {
                        let field = error.field.as_deref().unwrap_or("-");
                        eprintln!("  {}, field {field}: {}", error.location, error.message);
                    }
                }
                return EXIT_UNUSABLE;
            }
        }
    } else {
        let format =
            format.unwrap_or(if std::io::stdout().is_terminal() { ResultFormat::Table } else { ResultFormat::Json });
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = match format {
            ResultFormat::Table => out.write_all(report::table(&policy, &result).as_bytes()),
            ResultFormat::Json => report::json(&policy, &result, &mut out),
            ResultFormat::Csv => report::csv(&policy, &result, &mut out),
        };
        if let Err(error) = written.and_then(|()| out.flush()) {
            eprintln!("error: cannot write the result: {error}");
            return EXIT_UNUSABLE;
        }
    }
    if result.errors.is_empty() {
        0
    } else {
        eprintln!("{} record(s) had errors and did not run; see `errors`", result.errors.len());
        EXIT_PROBLEMS
    }
}

fn schema(policy_path: &Path) -> u8 {
    match load_policy(policy_path) {
        Ok(policy) => {
            let schema = polc::data::schema::json_schema(&policy);
            println!("{}", serde_json::to_string_pretty(&schema).unwrap_or_default());
            0
        }
        Err(status) => status,
    }
}

fn fmt(files: &[String], check_only: bool) -> u8 {
    let mut status = 0;
    for name in files {
        let text = if name == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map(|_| text)
        } else {
            std::fs::read_to_string(name)
        };
        let text = match text {
            Ok(text) => text,
            Err(error) => {
                eprintln!("error: cannot read `{name}`: {error}");
                status = EXIT_UNUSABLE;
                continue;
            }
        };
        let formatted = match polc::fmt::format(&text) {
            Ok(formatted) => formatted,
            Err(diagnostics) => {
                let source = Source { name, text: &text };
                eprint!("{}", render::human(&source, &diagnostics, stderr_color()));
                eprintln!("error: `{name}` has syntax errors and was not formatted");
                status = status.max(EXIT_PROBLEMS);
                continue;
            }
        };
        if name == "-" {
            print!("{formatted}");
        } else if formatted != text {
            if check_only {
                println!("{name}");
                status = status.max(EXIT_PROBLEMS);
            } else if let Err(error) = std::fs::write(name, &formatted) {
                eprintln!("error: cannot write `{name}`: {error}");
                status = EXIT_UNUSABLE;
            }
        }
    }
    status
}

/// The `.pol` files under `paths`, sorted.
fn policy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let mut pending: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            let entries =
                std::fs::read_dir(&path).map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
            pending.extend(entries.flatten().map(|entry| entry.path()));
        } else if path.extension().is_some_and(|extension| extension == "pol") {
            found.push(path);
        } else if !path.exists() {
            return Err(format!("`{}` does not exist", path.display()));
        }
    }
    found.sort();
    Ok(found)
}

fn test(paths: &[PathBuf], with_coverage: bool, format: CoverageFormat) -> u8 {
    let default = [PathBuf::from("policies")];
    let paths = if paths.is_empty() { &default[..] } else { paths };
    let files = match policy_files(paths) {
        Ok(files) => files,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_UNUSABLE;
        }
    };
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut coverage_reports = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let sidecar_path = path.with_extension("examples.json");
        let Ok(sidecar) = std::fs::read_to_string(&sidecar_path) else {
            println!("{name}: no examples (write them in {})", sidecar_path.display());
            continue;
        };
        let policy = match load_policy(&path) {
            Ok(policy) => policy,
            Err(_) => {
                println!("FAILED {name}: the policy does not check");
                failed += 1;
                continue;
            }
        };
        let (outcomes, hits) = match polc::examples::run_examples(&policy, &sidecar) {
            Ok(result) => result,
            Err(error) => {
                println!("FAILED {}: {error}", sidecar_path.display());
                failed += 1;
                continue;
            }
        };
        for outcome in &outcomes {
            if outcome.passed() {
                passed += 1;
                println!("ok     {name} › {}", outcome.name);
            } else {
                failed += 1;
                println!("FAILED {name} › {}", outcome.name);
                for line in &outcome.differences {
                    println!("       {line}");
                }
            }
        }
        if with_coverage {
            coverage_reports.push((name, polc::examples::coverage_rows(&policy, &hits)));
        }
    }
    if with_coverage {
        match format {
            CoverageFormat::Table => print!("{}", polc::examples::coverage_table(&coverage_reports)),
            CoverageFormat::Json => println!("{}", polc::examples::coverage_json(&coverage_reports)),
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        EXIT_PROBLEMS
    } else {
        0
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}
