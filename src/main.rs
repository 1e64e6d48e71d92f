//! The `polc` command line: parses arguments, reads files, calls the library, renders,
//! and maps the outcome to an exit status. No policy logic lives here.

// Library and CLI code never panics on input; where a panic would be right, say why
// with `#[expect(..., reason = "...")]`. Tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use clap::{Parser, Subcommand, ValueEnum};
use polc::diag::render::{self, Source};
use std::io::{IsTerminal, Write};
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
        files: Vec<std::path::PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
        /// Exit with status 1 when there are warnings, too.
        #[arg(long)]
        deny_warnings: bool,
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

/// Exit statuses: 0 clean, 1 problems found, 2 usage or I/O error.
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
    match cli.command {
        Command::Check { files, format, deny_warnings } => check(&files, format, deny_warnings),
    }
}

fn check(files: &[std::path::PathBuf], format: DiagnosticFormat, deny_warnings: bool) -> ExitCode {
    let mut errors = 0;
    let mut warnings = 0;
    let mut unreadable = false;
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
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
            DiagnosticFormat::Human => eprint!("{}", render::human(&source, &report.diagnostics, color)),
            DiagnosticFormat::Json => print!("{}", render::json(&source, &report.diagnostics)),
            DiagnosticFormat::Github => print!("{}", render::github(&source, &report.diagnostics)),
        }
    }
    let _ = std::io::stdout().flush();
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
        ExitCode::from(EXIT_UNUSABLE)
    } else if errors > 0 || (deny_warnings && warnings > 0) {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}
