//! The `polc` command line: parses arguments, reads files, calls the library, renders,
//! and maps the outcome to an exit status. No policy logic lives here.
//!
//! Every result goes through one buffered standard output whose write errors travel back
//! to `main` as values: a closed pipe ends the program quietly (status 141, as a tool
//! stopped by SIGPIPE shows to the shell), any other failure is an error and status 2.
//! Messages for people go to standard error, where a failure cannot be reported anyway.

// Library and CLI code never panics on input; where a panic would be right, say why
// with `#[expect(..., reason = "...")]`. Tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod allocator;

/// mimalloc, not the system allocator, for all but huge blocks: a run allocates and frees
/// millions of small records, and glibc's malloc spent a quarter of it consolidating and
/// unlinking chunks. Huge blocks are the system's ([`allocator`]).
#[global_allocator]
static ALLOCATOR: allocator::Allocator = allocator::Allocator;

use clap::{Parser, Subcommand, ValueEnum};
use polc::check::checked::Policy;
use polc::data::InputFormat;
use polc::diag::render::{self, Source};
use polc::lang::Lang;
use polc::render as results;
use polc::FailureKind;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "polc", version, about = "A compiler for government subsidy-policy clauses")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The language of messages, explanations, tables and reasons [default: POLC_LANG,
    /// or the locale's (LC_ALL, LC_MESSAGES, LANG); English otherwise].
    #[arg(long, global = true, value_enum)]
    lang: Option<LangArg>,
    /// How failures reach standard error: `human`, or `json` for a program (one object per
    /// line, each with its code) [default: POLC_ERROR_FORMAT, or human].
    #[arg(long, global = true, value_enum)]
    error_format: Option<ErrorFormat>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    /// 中文.
    Zh,
    /// English.
    En,
}

/// The language this run writes in, chosen once at start.
static LANG: std::sync::OnceLock<Lang> = std::sync::OnceLock::new();

fn lang() -> Lang {
    LANG.get().copied().unwrap_or_default()
}

/// A run's result in the format asked for.
fn write_result(
    policy: &polc::check::checked::Policy,
    result: &polc::eval::BatchResult,
    format: ResultFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ResultFormat::Table => out.write_all(results::table(policy, result).as_bytes()),
        ResultFormat::Json => results::json(policy, result, out),
        ResultFormat::Csv => results::csv(policy, result, out),
        ResultFormat::Xlsx => {
            let workbook = results::xlsx(policy, result).map_err(|error| io::Error::other(error.to_string()))?;
            out.write_all(&workbook)
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check policy files, reporting every problem found.
    Check {
        /// The `.pol` files to check, or `-` for standard input.
        #[arg(required = true)]
        files: Vec<String>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
        format: DiagnosticFormat,
        /// Exit with status 1 when there are warnings, too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Compute every award a policy gives a batch of applicant cases.
    Run {
        /// The `.pol` policy, or `-` for standard input.
        policy: String,
        /// The cases: `.json` (an array), `.jsonl`, `.csv`, `.xlsx`, or `-` for standard input.
        cases: String,
        /// The cases' format, when the file name does not say it.
        #[arg(long, value_enum)]
        input_format: Option<CasesFormat>,
        /// The sheet of an `.xlsx` workbook that holds the cases [default: the first].
        #[arg(long, value_name = "NAME")]
        sheet: Option<String>,
        /// How to print the result [default: table on a terminal, json otherwise].
        #[arg(long, value_enum)]
        format: Option<ResultFormat>,
        /// Write the result to this file (replaced whole, or left as it was if the run
        /// fails) instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Explain one case: every clause, why it applied or not, and the arithmetic.
        #[arg(long, value_name = "CASE_ID")]
        explain: Option<String>,
        /// Decide after what this ledger holds (a SQLite file, created on first use);
        /// without `--commit`, a dry run that changes nothing.
        #[arg(long, value_name = "LEDGER")]
        ledger: Option<String>,
        /// Record the run in the ledger, all or nothing.
        #[arg(long, requires = "ledger")]
        commit: bool,
    },
    /// Read or check an award ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Run the worked examples beside policies (`NAME.examples.json` next to `NAME.pol`).
    Test {
        /// Policy files or folders to search for them [default: policies].
        paths: Vec<PathBuf>,
        /// Report which conditions, tiers, enum arms and caps the examples exercised.
        #[arg(long)]
        coverage: bool,
        /// How to print the results (and the coverage report).
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
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
    /// Serve the Language Server Protocol on standard input and output, for editors.
    Lsp,
    /// Write the policy handbook: one self-contained HTML page for reviewers, each rule in
    /// plain Chinese beside the original text, with the data table and worked examples.
    Doc {
        /// The `.pol` policy, or `-` for standard input.
        policy: String,
        /// Write the page to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The worked examples to show [default: NAME.examples.json beside the policy,
        /// when there is one].
        #[arg(long, value_name = "FILE")]
        examples: Option<PathBuf>,
    },
    /// What changed between two versions of a policy, clause by clause; with `--cases`,
    /// what the change does to each case, recipient and clause, and what it costs.
    Diff {
        /// The version in force (`.pol`).
        old: String,
        /// The version proposed (`.pol`).
        new: String,
        /// A batch to run both versions on: `.json`, `.jsonl`, `.csv`, `.xlsx`.
        #[arg(long, value_name = "FILE")]
        cases: Option<String>,
        /// The cases' format, when the file name does not say it.
        #[arg(long, value_enum, requires = "cases")]
        input_format: Option<CasesFormat>,
        /// The sheet of an `.xlsx` workbook that holds the cases [default: the first].
        #[arg(long, value_name = "NAME", requires = "cases")]
        sheet: Option<String>,
        /// Run both versions after what this ledger holds, as dry runs: nothing is written.
        #[arg(long, value_name = "LEDGER", requires = "cases")]
        ledger: Option<String>,
        /// How to print the findings.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// From the policy alone: the least and greatest award of every clause, the most one
    /// recipient can get, clauses that can never apply and clauses that can pay for the
    /// same case, each shown by a case `polc run` confirms.
    Bounds {
        /// The `.pol` policy, or `-` for standard input.
        policy: String,
        /// How to print the findings.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
    },
    /// Serve policies over HTTP as a JSON API (docs/serve.md): check a policy, run or
    /// explain cases, the data contract, an OpenAPI description. SIGHUP reloads the
    /// policies; a broken one is refused and the old ones stay.
    Serve {
        /// The `.pol` policies, each served under its file name without `.pol`.
        #[arg(required = true)]
        policies: Vec<PathBuf>,
        /// The address to listen on; loopback unless told otherwise.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Decide runs after this ledger's history; `?commit=true` commits a run.
        #[arg(long, value_name = "LEDGER")]
        ledger: Option<String>,
        /// The largest request body, in bytes.
        #[arg(long, value_name = "BYTES", default_value_t = polc::serve::Limits::default().max_body)]
        max_body: usize,
        /// The most cases one request may carry.
        #[arg(long, value_name = "COUNT", default_value_t = polc::serve::Limits::default().max_cases)]
        max_cases: usize,
        /// The longest one request may compute, in seconds, before it is answered 503.
        #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
        time_limit: f64,
        /// Requests answered at once.
        #[arg(long, default_value_t = 8)]
        workers: usize,
    },
    /// Print the applicant-data contract a policy declares, as a JSON Schema.
    Schema {
        /// The `.pol` policy, or `-` for standard input.
        policy: String,
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

/// How `bounds` and `diff` print their findings.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    /// Sections of aligned lines for a reviewer.
    Table,
    /// One JSON document, witness cases in the data format.
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TestFormat {
    /// A line per example, then the coverage table.
    Table,
    /// One JSON document: every example's outcome, the coverage, the counts.
    Json,
}

/// How the ledger's register and totals are written.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RegisterFormat {
    /// Aligned columns for a person.
    Table,
    /// One JSON array.
    Json,
    /// A header row, then a row per award or total, for a spreadsheet.
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum CasesFormat {
    Json,
    Jsonl,
    Csv,
    /// An Excel workbook: a header row, then a row per case (`--sheet`).
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum)]
enum ResultFormat {
    /// One row per award and totals per entity.
    Table,
    /// The result contract: cases, awards with reasons, errors, totals.
    Json,
    /// One row per award, case without an award and error, for spreadsheets.
    Csv,
    /// An Excel workbook: awards, errors, totals per recipient and per clause, and a
    /// sheet per cross-case rule that cut something (binary: use `--output`).
    Xlsx,
}

/// Exit statuses: 0 clean, 1 problems found, 2 usage or I/O error, or unusable input.
const EXIT_PROBLEMS: u8 = 1;
const EXIT_UNUSABLE: u8 = 2;
/// The reader of our output went away: what a shell shows for a tool SIGPIPE stopped.
const EXIT_CLOSED_PIPE: u8 = 141;

/// Standard output, buffered; every write returns its error to the caller.
type Out<'a> = BufWriter<io::StdoutLock<'a>>;

/// How failures and notes reach standard error: for people, or one JSON object per line
/// for a program (`--error-format json`, or `POLC_ERROR_FORMAT=json`).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ErrorFormat {
    /// Words for a person.
    Human,
    /// One JSON object per line: `severity`, `code`, `message` (and `help`); a policy's
    /// diagnostics as `polc check --format json` writes them.
    Json,
}

/// The error format this run uses, chosen once at start.
static ERROR_FORMAT: std::sync::OnceLock<ErrorFormat> = std::sync::OnceLock::new();

fn error_format() -> ErrorFormat {
    ERROR_FORMAT.get().copied().unwrap_or(ErrorFormat::Human)
}

/// Writes one record to standard error. If standard error itself fails there is nowhere
/// left to say so, and the exit status still tells.
fn write_stderr(record: &str) {
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(record.as_bytes());
    let _ = stderr.write_all(b"\n");
}

/// The one path every failure takes to standard error.
fn report_failure(failure: &polc::Failure) {
    match error_format() {
        ErrorFormat::Human => write_stderr(&failure.human(lang())),
        ErrorFormat::Json => write_stderr(&failure.json().to_string()),
    }
}

/// A line for people that is not a failure (a summary, what a commit did): as it is, or
/// as a JSON `note`.
fn report_note(text: &str) {
    match error_format() {
        ErrorFormat::Human => write_stderr(text),
        ErrorFormat::Json => write_stderr(&serde_json::json!({ "severity": "note", "message": text }).to_string()),
    }
}

/// A failure of `kind`, in the run's language: the English words, then the Chinese.
macro_rules! fail {
    ($kind:ident, $en:expr, $zh:expr $(,)?) => {{
        let message: String = match lang() {
            Lang::En => $en,
            Lang::Zh => $zh,
        };
        report_failure(&polc::Failure::new(FailureKind::$kind, message));
    }};
}

/// A problem in a result that still ran (exit status 1): said plainly to a person, and
/// with its code to a program.
macro_rules! problem {
    ($kind:ident, $en:expr, $zh:expr $(,)?) => {{
        let message: String = match lang() {
            Lang::En => $en,
            Lang::Zh => $zh,
        };
        match error_format() {
            ErrorFormat::Human => write_stderr(&message),
            ErrorFormat::Json => report_failure(&polc::Failure::new(FailureKind::$kind, message)),
        }
    }};
}

/// A note, in the run's language.
macro_rules! note {
    ($en:expr, $zh:expr $(,)?) => {{
        let text: String = match lang() {
            Lang::En => $en,
            Lang::Zh => $zh,
        };
        report_note(&text);
    }};
}

/// A policy's diagnostics on standard error: rendered for a person, or as JSON lines.
fn report_diagnostics(source: &Source<'_>, diagnostics: &[polc::Diagnostic]) {
    let text = match error_format() {
        ErrorFormat::Human => render::human(source, diagnostics, stderr_color(), lang()),
        ErrorFormat::Json => render::json(source, diagnostics, lang()),
    };
    let _ = io::stderr().write_all(text.as_bytes());
}

/// The error format asked for before the arguments are parsed, so that a usage error is
/// reported in it too: `--error-format`, else `POLC_ERROR_FORMAT`.
fn early_error_format() -> ErrorFormat {
    let mut arguments = std::env::args_os().skip(1);
    let mut chosen = std::env::var("POLC_ERROR_FORMAT").ok();
    while let Some(argument) = arguments.next() {
        let argument = argument.to_string_lossy();
        if argument == "--error-format" {
            chosen = arguments.next().map(|value| value.to_string_lossy().into_owned());
        } else if let Some(value) = argument.strip_prefix("--error-format=") {
            chosen = Some(value.to_string());
        } else if argument == "--" {
            break;
        }
    }
    match chosen.as_deref() {
        Some("json") => ErrorFormat::Json,
        _ => ErrorFormat::Human,
    }
}

fn main() -> ExitCode {
    let _ = ERROR_FORMAT.set(early_error_format());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            // --help and --version: what was asked for, on standard output.
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) if error_format() == ErrorFormat::Json => {
            let rendered = error.render().to_string();
            let message = rendered.lines().next().unwrap_or_default();
            let message = message.strip_prefix("error: ").unwrap_or(message).to_string();
            report_failure(&polc::Failure::new(FailureKind::Usage, message).with_help("run `polc --help`"));
            return ExitCode::from(EXIT_UNUSABLE);
        }
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(EXIT_UNUSABLE);
        }
    };
    let chosen = match cli.lang {
        Some(LangArg::Zh) => Lang::Zh,
        Some(LangArg::En) => Lang::En,
        None => Lang::from_env(|name| std::env::var(name).ok()),
    };
    let _ = LANG.set(chosen);
    if let Command::Lsp = cli.command {
        // The server's writer thread owns standard output.
        return lsp();
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let status = match cli.command {
        Command::Check { files, format, deny_warnings } => check(&mut out, &files, format, deny_warnings),
        Command::Run { policy, cases, input_format, sheet, format, output, explain, ledger, commit } => {
            let ledger = ledger.as_deref().map(|location| (location, commit));
            let source = CasesSource { name: &cases, format: input_format, sheet };
            run(&mut out, &policy, source, format, output.as_deref(), explain.as_deref(), ledger)
        }
        Command::Ledger { command } => ledger(&mut out, command),
        Command::Schema { policy } => schema(&mut out, &policy),
        Command::Serve { policies, addr, ledger, max_body, max_cases, time_limit, workers } => {
            let time_limit = Duration::try_from_secs_f64(time_limit).unwrap_or(Duration::MAX);
            let limits = polc::serve::Limits { max_body, max_cases, time_limit };
            let config = polc::serve::Config { policies, ledger, limits, lang: lang() };
            Ok(serve(config, &addr, workers))
        }
        Command::Bounds { policy, format } => bounds(&mut out, &policy, format),
        Command::Diff { old, new, cases, input_format, sheet, ledger, format } => {
            let source = cases.as_deref().map(|name| CasesSource { name, format: input_format, sheet });
            diff(&mut out, &old, &new, source, ledger.as_deref(), format)
        }
        Command::Doc { policy, output, examples } => doc(&mut out, &policy, output.as_deref(), examples.as_deref()),
        // Answered before standard output is locked below: the server writes it.
        Command::Lsp => return ExitCode::from(EXIT_UNUSABLE),
        Command::Fmt { files, check } => fmt(&mut out, &files, check),
        Command::Test { paths, coverage, format } => test(&mut out, &paths, coverage, format),
    };
    let status = status.and_then(|status| out.flush().map(|()| status));
    ExitCode::from(match status {
        Ok(status) => status,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => EXIT_CLOSED_PIPE,
        Err(error) => {
            fail!(Write, format!("cannot write the output: {error}"), format!("无法写出结果：{error}"));
            EXIT_UNUSABLE
        }
    })
}

/// The language server owns standard input and output until the editor shuts it down.
fn lsp() -> ExitCode {
    let (connection, io_threads) = lsp_server::Connection::stdio();
    let served = polc::lsp::serve(&connection);
    drop(connection);
    let joined = io_threads.join();
    match served.map_err(|error| error.to_string()).and_then(|()| joined.map_err(|error| error.to_string())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            fail!(Server, format!("the language server stopped: {error}"), format!("语言服务器已停止：{error}"));
            ExitCode::from(EXIT_UNUSABLE)
        }
    }
}

fn stderr_color() -> bool {
    io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Reads a file argument whole; `-` is standard input.
fn read_input(name: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let read = if name == "-" {
        io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(name).and_then(|mut file| file.read_to_end(&mut bytes)).map(|_| ())
    };
    let shown = display_name(name);
    read.map(|()| bytes).map_err(|error| match lang() {
        Lang::En => format!("cannot read `{shown}`: {error}"),
        Lang::Zh => format!("无法读取 `{shown}`：{error}"),
    })
}

/// How a file argument is named in messages.
fn display_name(name: &str) -> &str {
    if name == "-" {
        "<stdin>"
    } else {
        name
    }
}

/// Standard input can be read once: two arguments cannot both be `-`.
fn stdin_once<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), u8> {
    if names.into_iter().filter(|name| *name == "-").count() > 1 {
        fail!(
            Usage,
            "standard input (`-`) can be read only once; give at most one `-`".to_string(),
            "标准输入（`-`）只能读取一次；最多给一个 `-`".to_string()
        );
        return Err(EXIT_UNUSABLE);
    }
    Ok(())
}

fn check(out: &mut Out, files: &[String], format: DiagnosticFormat, deny_warnings: bool) -> io::Result<u8> {
    if let Err(status) = stdin_once(files.iter().map(String::as_str)) {
        return Ok(status);
    }
    let (mut errors, mut warnings, mut checked, mut unreadable) = (0, 0, 0, 0);
    for name in files {
        let bytes = match read_input(name) {
            Ok(bytes) => bytes,
            Err(message) => {
                report_failure(&polc::Failure::new(FailureKind::Read, message));
                unreadable += 1;
                continue;
            }
        };
        checked += 1;
        let (text, report) = polc::check_bytes(&bytes);
        errors += report.error_count();
        warnings += report.warning_count();
        let source = Source { name: display_name(name), text: &text };
        match format {
            DiagnosticFormat::Human => report_diagnostics(&source, &report.diagnostics),
            DiagnosticFormat::Json => out.write_all(render::json(&source, &report.diagnostics, lang()).as_bytes())?,
            DiagnosticFormat::Github => {
                out.write_all(render::github(&source, &report.diagnostics, lang()).as_bytes())?
            }
        }
    }
    if matches!(format, DiagnosticFormat::Human) {
        let mut summary = match lang() {
            Lang::En => format!(
                "checked {checked} file{}: {errors} error{}, {warnings} warning{}",
                plural(checked),
                plural(errors),
                plural(warnings)
            ),
            Lang::Zh => format!("已检查 {checked} 个文件：{errors} 个错误，{warnings} 个警告"),
        };
        if unreadable > 0 {
            summary.push_str(&match lang() {
                Lang::En => format!("; {unreadable} file{} could not be read", plural(unreadable)),
                Lang::Zh => format!("；{unreadable} 个文件无法读取"),
            });
        }
        report_note(&summary);
    }
    Ok(if unreadable > 0 {
        EXIT_UNUSABLE
    } else if errors > 0 || (deny_warnings && warnings > 0) {
        EXIT_PROBLEMS
    } else {
        0
    })
}

/// Reads and checks a policy for `run`, `schema` and `test`: any error makes it unusable.
fn load_policy(name: &str) -> Result<Policy, u8> {
    load_policy_text(name).map(|(policy, _)| policy)
}

/// [`load_policy`], with the policy's text.
fn load_policy_text(name: &str) -> Result<(Policy, String), u8> {
    let bytes = read_input(name).map_err(|message| {
        report_failure(&polc::Failure::new(FailureKind::Read, message));
        EXIT_UNUSABLE
    })?;
    let (text, report) = polc::check_bytes(&bytes);
    match report.policy {
        Some(mut policy) => {
            policy.lang = lang();
            Ok((policy, text.into_owned()))
        }
        None => {
            let shown = display_name(name);
            let source = Source { name: shown, text: &text };
            let errors: Vec<_> = report.diagnostics.into_iter().filter(|diagnostic| diagnostic.is_error()).collect();
            report_diagnostics(&source, &errors);
            fail!(
                PolicyErrors,
                format!("`{shown}` has errors; run `polc check {shown}` for all diagnostics"),
                format!("`{shown}` 有错误；运行 `polc check {shown}` 查看全部诊断")
            );
            Err(EXIT_UNUSABLE)
        }
    }
}

/// Where `run` reads its cases, as the command line names them.
struct CasesSource<'a> {
    name: &'a str,
    format: Option<CasesFormat>,
    sheet: Option<String>,
}

impl CasesSource<'_> {
    /// The format given, or the one the file name implies, with the sheet asked for.
    fn input_format(&self) -> Result<InputFormat, String> {
        let cases = self.name;
        let format = match (self.format, InputFormat::from_extension(cases)) {
            (Some(CasesFormat::Json), _) => InputFormat::Json,
            (Some(CasesFormat::Jsonl), _) => InputFormat::JsonLines,
            (Some(CasesFormat::Csv), _) => InputFormat::Csv,
            (Some(CasesFormat::Xlsx), _) => InputFormat::Xlsx { sheet: None },
            (None, Some(format)) => format,
            (None, None) => {
                return Err(match lang() {
                    Lang::En => format!(
                    "cannot tell the format of `{cases}`; name it .json, .jsonl, .csv or .xlsx, or pass --input-format"
                ),
                    Lang::Zh => format!(
                        "无法判断 `{cases}` 的格式；请用 .json、.jsonl、.csv 或 .xlsx 作扩展名，或给出 --input-format"
                    ),
                })
            }
        };
        match (format, &self.sheet) {
            (InputFormat::Xlsx { .. }, sheet) => Ok(InputFormat::Xlsx { sheet: sheet.clone() }),
            (_, Some(_)) => Err(match lang() {
                Lang::En => format!("--sheet names a sheet of a workbook, and `{cases}` is not read as one (.xlsx)"),
                Lang::Zh => format!("--sheet 指定的是工作簿中的工作表，而 `{cases}` 不按工作簿（.xlsx）读取"),
            }),
            (format, None) => Ok(format),
        }
    }
}

fn run(
    out: &mut Out,
    policy_name: &str,
    source: CasesSource<'_>,
    format: Option<ResultFormat>,
    output: Option<&Path>,
    explain: Option<&str>,
    ledger: Option<(&str, bool)>,
) -> io::Result<u8> {
    let cases = source.name;
    if let Err(status) = stdin_once([policy_name, cases]) {
        return Ok(status);
    }
    let input_format = match source.input_format() {
        Ok(format) => format,
        Err(message) => {
            report_failure(&polc::Failure::new(FailureKind::Usage, message));
            return Ok(EXIT_UNUSABLE);
        }
    };
    // An explanation is text unless JSON is asked for by name.
    let explain_as_json = matches!(format, Some(ResultFormat::Json));
    let format = format.unwrap_or(if io::stdout().is_terminal() { ResultFormat::Table } else { ResultFormat::Json });
    if matches!(format, ResultFormat::Xlsx) && output.is_none() && explain.is_none() && io::stdout().is_terminal() {
        fail!(
            Usage,
            "a workbook is not text for a terminal; write it to a file with `--output FILE.xlsx`".to_string(),
            "工作簿不是可以显示在终端上的文本；请用 `--output 文件.xlsx` 写入文件".to_string()
        );
        return Ok(EXIT_UNUSABLE);
    }
    let policy = match load_policy(policy_name) {
        Ok(policy) => policy,
        Err(status) => return Ok(status),
    };
    // Sendable, so that a thread of its own reads while others evaluate.
    let reader: Box<dyn Read + Send> = if cases == "-" {
        Box::new(io::stdin())
    } else {
        match std::fs::File::open(cases) {
            Ok(file) => Box::new(file),
            Err(error) => {
                fail!(Read, format!("cannot read `{cases}`: {error}"), format!("无法读取 `{cases}`：{error}"));
                return Ok(EXIT_UNUSABLE);
            }
        }
    };
    // A commit's report is rendered while the run is written, into a temporary file that
    // is shown once the commit holds: the second core does it, and nothing is shown of a
    // commit that failed. Without one (none could be made), it is rendered after.
    let mut rendered: Option<std::fs::File> = None;
    let decided = match ledger {
        None => polc::eval::run(&policy, reader, input_format, explain),
        Some((location, commit)) => {
            let render_alongside = commit && explain.is_none();
            let decision = polc::ledger::Ledger::open(location).and_then(|mut ledger| {
                let evaluate = |decided: &polc::eval::Decided| {
                    polc::eval::evaluate(&policy, reader, input_format, explain, false, Some(decided))
                };
                let decided = ledger.decide_alongside(&policy, commit, evaluate, |result| {
                    if !render_alongside {
                        return None;
                    }
                    let file = tempfile::tempfile().ok()?;
                    let mut writer = io::BufWriter::new(file);
                    write_result(&policy, result, format, &mut writer).ok()?;
                    writer.into_inner().ok()
                })?;
                Ok(decided.map(|(decision, file)| {
                    rendered = file;
                    decision
                }))
            });
            match decision {
                Err(error) => {
                    let shown = polc::ledger::shown_location(location);
                    fail!(
                        Ledger,
                        format!("the ledger `{shown}` cannot be used: {error}"),
                        format!("台账 `{shown}` 无法使用：{error}")
                    );
                    return Ok(EXIT_UNUSABLE);
                }
                Ok(Err(error)) => Err(error),
                Ok(Ok(decision)) => {
                    let polc::ledger::Decision { result, run, history_cases, .. } = decision;
                    for note in &result.ledger_notes {
                        let note = results::escape_controls(note);
                        note!(format!("note: {note}"), format!("提示：{note}"));
                    }
                    for decided in &result.already_decided {
                        let (id, round) = (results::escape_controls(&decided.id), decided.round);
                        note!(
                            format!("case {id} was decided in run {round} with the same facts: not decided again"),
                            format!("案例 {id} 已在第{round}轮以相同的申报事实作出决定：不再重复决定")
                        );
                    }
                    match run {
                        Some(run) => note!(
                            format!(
                                "committed run {run} to the ledger: {} case{}, after {history_cases} committed",
                                result.cases.len(),
                                plural(result.cases.len())
                            ),
                            format!(
                                "第{run}轮已记入台账：{} 个案例，此前已记入 {history_cases} 个",
                                result.cases.len()
                            )
                        ),
                        None if commit => note!(
                            "nothing new to commit: the ledger is unchanged".to_string(),
                            "没有新的内容需要记入：台账未变".to_string()
                        ),
                        None => note!(
                            format!(
                                "dry run after {history_cases} committed case{}: the ledger is unchanged",
                                plural(history_cases)
                            ),
                            format!("试算（此前已记入 {history_cases} 个案例）：台账未变")
                        ),
                    }
                    Ok(result)
                }
            }
        }
    };
    let result = match decided {
        Ok(result) => result,
        Err(error) => {
            let shown = display_name(cases);
            fail!(Batch, format!("`{shown}` cannot be used: {error}"), format!("`{shown}` 无法使用：{error}"));
            return Ok(EXIT_UNUSABLE);
        }
    };
    let explanation = match explain {
        None => None,
        Some(case_id) => match results::explanation(&policy, &result) {
            // As data for a program; as text for a person.
            Some(explanation) if explain_as_json => {
                let mut text = serde_json::to_string_pretty(&explanation).map_err(io::Error::other)?;
                text.push('\n');
                Some(text)
            }
            Some(_) => results::explain(&policy, &result),
            None => {
                let errors: Vec<_> =
                    result.errors.iter().filter(|error| error.case.as_deref() == Some(case_id)).collect();
                if errors.is_empty() {
                    let id = results::escape_controls(case_id);
                    fail!(Case, format!("no readable case has id `{id}`"), format!("没有编号为 `{id}` 的可读案例"));
                } else {
                    let id = results::escape_controls(case_id);
                    let mut message = match lang() {
                        Lang::En => format!("case `{id}` did not run; its data has errors:"),
                        Lang::Zh => format!("案例 `{id}` 未能计算；其数据有错误："),
                    };
                    for error in errors {
                        let field = error.field.as_deref().unwrap_or("-");
                        let (location, detail) =
                            (error.location.words(lang()), results::escape_controls(&error.message));
                        message.push_str(&match lang() {
                            Lang::En => format!("\n  {location}, field {field}: {detail}"),
                            Lang::Zh => format!("\n  {location}，字段 {field}：{detail}"),
                        });
                    }
                    report_failure(&polc::Failure::new(FailureKind::Case, message));
                }
                return Ok(EXIT_UNUSABLE);
            }
        },
    };
    let write = |out: &mut dyn Write| -> io::Result<()> {
        if let Some(text) = &explanation {
            out.write_all(text.as_bytes())
        } else if let Some(file) = &rendered {
            use std::io::Seek as _;
            let mut file = file;
            file.rewind()?;
            io::copy(&mut file, out).map(|_| ())
        } else {
            write_result(&policy, &result, format, out)
        }
    };
    match output {
        None => write(out)?,
        Some(path) => {
            if let Err(error) = write_atomically(path, write) {
                let shown = path.display();
                fail!(Write, format!("cannot write `{shown}`: {error}"), format!("无法写入 `{shown}`：{error}"));
                return Ok(EXIT_UNUSABLE);
            }
        }
    }
    let failed = result.failed_records;
    let overflowed = result.overflowed_totals().count();
    if failed > 0 {
        problem!(
            Problems,
            format!("{failed} record{} had errors and did not run; see `errors`", plural(failed)),
            format!("{failed} 条记录有错误，未能计算；见 `errors`")
        );
    }
    if overflowed > 0 {
        problem!(
            Problems,
            format!("{overflowed} total{} overflowed; see `totals`", plural(overflowed)),
            format!("{overflowed} 项合计溢出；见 `totals`")
        );
    }
    // The process ends next: the operating system takes the batch's memory back at once,
    // where freeing its millions of allocations one by one takes a measurable part of a
    // large run (docs/performance.md).
    std::mem::forget(result);
    Ok(if failed > 0 || overflowed > 0 { EXIT_PROBLEMS } else { 0 })
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Every committed award: run, case, clause, recipient, amount, status.
    Show {
        /// The ledger: a SQLite file, or a postgres:// URL.
        ledger: String,
        /// Only this policy's awards: its file, or the name in its header.
        #[arg(long)]
        policy: Option<String>,
        /// Only this recipient's awards.
        #[arg(long, value_name = "ID")]
        recipient: Option<String>,
        /// The awards imported from elsewhere (`polc ledger import`) instead.
        #[arg(long)]
        imported: bool,
        #[arg(long, value_enum, default_value_t = RegisterFormat::Table)]
        format: RegisterFormat,
    },
    /// Check every run's counts and totals against its rows; exit 1 with what is wrong.
    Verify {
        /// The ledger: a SQLite file, or a postgres:// URL.
        ledger: String,
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
    },
    /// Sums of what stands, for the finance office.
    Totals {
        /// The ledger: a SQLite file, or a postgres:// URL.
        ledger: String,
        /// Group by any of recipient, year, clause, policy.
        #[arg(long, value_delimiter = ',', default_value = "recipient")]
        by: Vec<String>,
        #[arg(long, value_enum, default_value_t = RegisterFormat::Table)]
        format: RegisterFormat,
    },
    /// Record a review panel's outcome for a committed `up_to` or `range` award.
    Grant {
        /// The ledger: a SQLite file, or a postgres:// URL.
        ledger: String,
        /// The policy the case was decided under.
        policy: String,
        #[arg(long = "case", value_name = "ID")]
        case_id: String,
        #[arg(long)]
        clause: String,
        /// The recipient, when the clause gave the case several awards.
        #[arg(long)]
        recipient: Option<String>,
        /// What was granted (`50万`, `500000`).
        #[arg(long)]
        amount: String,
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
    },
    /// Record awards decided outside polc (other policies, other departments), from CSV or
    /// JSON Lines: recipient, date, amount, class, and optionally project, policy, case.
    Import {
        /// The ledger: a SQLite file, or a postgres:// URL.
        ledger: String,
        /// The awards: a CSV file with a header row, or JSON Lines (`-` reads standard input).
        file: String,
        /// Where they were decided (a policy's or a department's name).
        #[arg(long)]
        source: String,
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
    },
    /// Claw back a committed case's awards (追回): they stop counting toward caps and
    /// classes; their once-keys stay used.
    Revoke {
        /// The ledger: a SQLite file, or a postgres:// URL.
        ledger: String,
        /// The policy the case was decided under.
        policy: String,
        #[arg(long = "case", value_name = "ID")]
        case_id: String,
        /// Only this clause's awards.
        #[arg(long)]
        clause: Option<String>,
        #[arg(long)]
        reason: String,
        #[arg(long, value_enum, default_value_t = TestFormat::Table)]
        format: TestFormat,
    },
}

fn ledger(out: &mut Out, command: LedgerCommand) -> io::Result<u8> {
    let location = match &command {
        LedgerCommand::Show { ledger, .. }
        | LedgerCommand::Verify { ledger, .. }
        | LedgerCommand::Totals { ledger, .. }
        | LedgerCommand::Revoke { ledger, .. }
        | LedgerCommand::Grant { ledger, .. }
        | LedgerCommand::Import { ledger, .. } => ledger.clone(),
    };
    // A malformed import changes nothing, and does not even create the ledger.
    let imported = match &command {
        LedgerCommand::Import { file, .. } => {
            let text = match read_input(file).map(|bytes| String::from_utf8(bytes).map_err(|_| "it is not UTF-8")) {
                Ok(Ok(text)) => text,
                Ok(Err(why)) => {
                    let shown = display_name(file);
                    fail!(
                        Refused,
                        format!("nothing imported: `{shown}`: {why}"),
                        format!("未导入任何记录：`{shown}`：{why}")
                    );
                    return Ok(EXIT_UNUSABLE);
                }
                Err(message) => {
                    fail!(Refused, format!("nothing imported: {message}"), format!("未导入任何记录：{message}"));
                    return Ok(EXIT_UNUSABLE);
                }
            };
            match polc::ledger::read_external_awards(&text) {
                Ok(awards) => awards,
                Err(errors) => {
                    for error in &errors {
                        let row = format!("`{}` {}", display_name(file), results::escape_controls(&error.to_string()));
                        report_failure(&polc::Failure::new(FailureKind::Refused, row));
                    }
                    fail!(
                        Refused,
                        format!("nothing imported: {} malformed row{}", errors.len(), plural(errors.len())),
                        format!("未导入任何记录：{} 行格式有误", errors.len())
                    );
                    return Ok(EXIT_UNUSABLE);
                }
            }
        }
        _ => Vec::new(),
    };
    let creates = matches!(command, LedgerCommand::Import { .. });
    if !creates && !polc::ledger::is_url(&location) && !std::path::Path::new(&location).exists() {
        let shown = polc::ledger::shown_location(&location);
        fail!(Ledger, format!("there is no ledger at `{shown}`"), format!("`{shown}` 处没有台账"));
        return Ok(EXIT_UNUSABLE);
    }
    let mut ledger = match polc::ledger::Ledger::open(&location) {
        Ok(ledger) => ledger,
        Err(error) => {
            let shown = polc::ledger::shown_location(&location);
            fail!(
                Ledger,
                format!("the ledger `{shown}` cannot be used: {error}"),
                format!("台账 `{shown}` 无法使用：{error}")
            );
            return Ok(EXIT_UNUSABLE);
        }
    };
    let failed = |error: polc::ledger::LedgerError| {
        let shown = polc::ledger::shown_location(&location);
        fail!(
            Ledger,
            format!("the ledger `{shown}` cannot be read: {error}"),
            format!("台账 `{shown}` 无法读取：{error}")
        );
        EXIT_UNUSABLE
    };
    match command {
        LedgerCommand::Show { recipient, imported: true, format, .. } => {
            let imported = match ledger.external_awards() {
                Ok(imported) => imported,
                Err(error) => return Ok(failed(error)),
            };
            let rows: Vec<serde_json::Value> = imported
                .into_iter()
                .filter(|(_, award)| recipient.as_ref().is_none_or(|recipient| award.recipient == *recipient))
                .map(|(source, award)| {
                    serde_json::json!({
                        "source": source,
                        "recipient": award.recipient,
                        "date": award.date.to_string(),
                        "amount": polc::money::format_yuan(award.amount),
                        "class": award.class_label,
                        "project": award.project,
                        "policy": award.policy,
                        "case": award.case_id,
                    })
                })
                .collect();
            let columns = ["source", "recipient", "date", "amount", "class", "project", "policy", "case"];
            write_register(out, format, &columns, &rows)?;
            Ok(0)
        }
        LedgerCommand::Show { policy, recipient, format, .. } => {
            // A policy is named by its file (read for the name in its header) or that name.
            let policy = match policy {
                Some(name) if std::path::Path::new(&name).is_file() => match load_policy(&name) {
                    Ok(policy) => Some(policy.title),
                    Err(status) => return Ok(status),
                },
                other => other,
            };
            let awards = match ledger.awards() {
                Ok(awards) => awards,
                Err(error) => return Ok(failed(error)),
            };
            let awards: Vec<serde_json::Value> = awards
                .into_iter()
                .filter(|award| policy.as_ref().is_none_or(|policy| award["policy"] == policy.as_str()))
                .filter(|award| recipient.as_ref().is_none_or(|recipient| award["recipient"] == recipient.as_str()))
                .collect();
            let mut awards = awards;
            if format != RegisterFormat::Json {
                // One cell per award for a table or a spreadsheet: its events in order.
                for award in &mut awards {
                    let events = award["history"].as_array().cloned().unwrap_or_default();
                    let text: Vec<String> = events.iter().map(history_event_text).collect();
                    award["history"] = serde_json::Value::String(text.join("; "));
                }
            }
            let columns = ["run", "case", "date", "clause", "recipient", "kind", "amount", "status", "history"];
            write_register(out, format, &columns, &awards)?;
            Ok(0)
        }
        LedgerCommand::Totals { by, format, .. } => {
            let groups: Vec<&str> = by.iter().map(String::as_str).collect();
            if let Some(bad) = groups.iter().find(|group| !["recipient", "year", "clause", "policy"].contains(group)) {
                fail!(
                    Usage,
                    format!(
                        "cannot group by `{}`: choose from recipient, year, clause, policy",
                        results::escape_controls(bad)
                    ),
                    format!(
                        "无法按 `{}` 分组：请从 recipient、year、clause、policy 中选择",
                        results::escape_controls(bad)
                    )
                );
                return Ok(EXIT_UNUSABLE);
            }
            let totals = match ledger.totals(&groups) {
                Ok(totals) => totals,
                Err(error) => return Ok(failed(error)),
            };
            let columns: Vec<&str> = groups.iter().copied().chain(std::iter::once("amount")).collect();
            write_register(out, format, &columns, &totals)?;
            Ok(0)
        }
        LedgerCommand::Import { source, format, .. } => match ledger.import(&source, &imported) {
            Ok(count) => {
                match format {
                    TestFormat::Json => {
                        serde_json::to_writer(&mut *out, &serde_json::json!({ "imported": count, "source": source }))?;
                        writeln!(out)?;
                    }
                    TestFormat::Table => writeln!(
                        out,
                        "imported {count} external award{} from {}",
                        plural(count),
                        results::escape_controls(&source)
                    )?,
                }
                Ok(0)
            }
            Err(error) => {
                fail!(Refused, format!("nothing imported: {error}"), format!("未导入任何记录：{error}"));
                Ok(EXIT_UNUSABLE)
            }
        },
        LedgerCommand::Revoke { policy, case_id, clause, reason, format, .. } => {
            let policy = match load_policy(&policy) {
                Ok(policy) => policy,
                Err(status) => return Ok(status),
            };
            let by = std::env::var("USER").unwrap_or_else(|_| "polc".to_string());
            match ledger.revoke(&policy.title, &case_id, clause.as_deref(), &reason, &by) {
                Ok(count) => {
                    match format {
                        TestFormat::Json => {
                            serde_json::to_writer(
                                &mut *out,
                                &serde_json::json!({ "revoked": count, "case": case_id }),
                            )?;
                            writeln!(out)?;
                        }
                        TestFormat::Table => writeln!(
                            out,
                            "revoked {count} award{} of case {}",
                            plural(count),
                            results::escape_controls(&case_id)
                        )?,
                    }
                    Ok(0)
                }
                Err(error) => {
                    fail!(Refused, format!("nothing revoked: {error}"), format!("未撤销任何奖励：{error}"));
                    Ok(EXIT_UNUSABLE)
                }
            }
        }
        LedgerCommand::Grant { policy, case_id, clause, recipient, amount, format, .. } => {
            let policy = match load_policy(&policy) {
                Ok(policy) => policy,
                Err(status) => return Ok(status),
            };
            let Ok(amount) = polc::data::money_text(&amount) else {
                fail!(
                    Usage,
                    format!(
                        "nothing granted: `{}` is not an amount (write 50万 or 500000)",
                        results::escape_controls(&amount)
                    ),
                    format!("未记录任何核定：`{}` 不是金额（请写 50万 或 500000）", results::escape_controls(&amount))
                );
                return Ok(EXIT_UNUSABLE);
            };
            match ledger.grant(&policy.title, &case_id, &clause, recipient.as_deref(), amount) {
                Ok(()) => {
                    match format {
                        TestFormat::Json => {
                            let document = serde_json::json!({
                                "granted": polc::money::format_yuan(amount),
                                "case": case_id,
                                "clause": clause,
                            });
                            serde_json::to_writer(&mut *out, &document)?;
                            writeln!(out)?;
                        }
                        TestFormat::Table => writeln!(
                            out,
                            "granted {} to case {} clause {}",
                            polc::render::show::money_text(amount),
                            results::escape_controls(&case_id),
                            results::escape_controls(&clause)
                        )?,
                    }
                    Ok(0)
                }
                Err(error) => {
                    fail!(Refused, format!("nothing granted: {error}"), format!("未记录任何核定：{error}"));
                    Ok(EXIT_UNUSABLE)
                }
            }
        }
        LedgerCommand::Verify { format, .. } => match ledger.verify() {
            Err(error) => Ok(failed(error)),
            Ok(problems) => {
                match format {
                    TestFormat::Json => {
                        let document = serde_json::json!({ "consistent": problems.is_empty(), "problems": problems });
                        serde_json::to_writer_pretty(&mut *out, &document)?;
                        writeln!(out)?;
                    }
                    TestFormat::Table if problems.is_empty() => writeln!(out, "the ledger is consistent")?,
                    TestFormat::Table => {
                        for problem in &problems {
                            writeln!(out, "{problem}")?;
                        }
                    }
                }
                Ok(if problems.is_empty() { 0 } else { EXIT_PROBLEMS })
            }
        },
    }
}

/// An award's event as a person reads it: "granted 500,000.00 (2026-12-01 10:00:00)".
fn history_event_text(event: &serde_json::Value) -> String {
    let field = |name: &str| event[name].as_str().unwrap_or_default().to_string();
    let amount = || event["amount"].as_str().map_or("no amount".to_string(), |amount| amount.to_string());
    match field("event").as_str() {
        "decided" => format!("decided in run {} at {}", event["run"], amount()),
        "revised" => format!("revised in run {} to {}: {}", event["run"], amount(), field("reason")),
        "granted" => format!("granted {} ({})", amount(), field("at")),
        "revoked" => format!("revoked ({}, by {}): {}", field("at"), field("by"), field("reason")),
        other => other.to_string(),
    }
}

/// Rows of the ledger's register or totals, each a JSON object with `columns`.
fn write_register(
    out: &mut Out,
    format: RegisterFormat,
    columns: &[&str],
    rows: &[serde_json::Value],
) -> io::Result<()> {
    let cell = |row: &serde_json::Value, column: &str| match &row[column] {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    match format {
        RegisterFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, rows)?;
            writeln!(out)?;
        }
        RegisterFormat::Csv => {
            let mut writer = csv::Writer::from_writer(&mut *out);
            writer.write_record(columns)?;
            for row in rows {
                writer.write_record(columns.iter().map(|column| cell(row, column)))?;
            }
            writer.flush()?;
        }
        RegisterFormat::Table => {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|row| {
                    columns
                        .iter()
                        .map(|column| match cell(row, column) {
                            text if text.is_empty() => "-".to_string(),
                            text => results::escape_controls(&text).into_owned(),
                        })
                        .collect()
                })
                .collect();
            let widths: Vec<usize> = columns
                .iter()
                .enumerate()
                .map(|(index, column)| {
                    table
                        .iter()
                        .filter_map(|row| row.get(index))
                        .map(|text| polc::width::display_width(text))
                        .chain(std::iter::once(column.len()))
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: &mut dyn Iterator<Item = &str>| {
                let padded: Vec<String> = cells
                    .zip(&widths)
                    .map(|(text, width)| {
                        let pad = width.saturating_sub(polc::width::display_width(text));
                        format!("{text}{}", " ".repeat(pad))
                    })
                    .collect();
                padded.join("  ").trim_end().to_string()
            };
            writeln!(out, "{}", line(&mut columns.iter().copied()))?;
            for row in &table {
                writeln!(out, "{}", line(&mut row.iter().map(String::as_str)))?;
            }
        }
    }
    Ok(())
}

/// Loads and checks every policy, binds, and answers until the process is stopped;
/// SIGHUP reloads the policies.
fn serve(config: polc::serve::Config, address: &str, workers: usize) -> u8 {
    let loaded = match polc::serve::load(&config.policies, config.lang) {
        Ok(loaded) => loaded,
        Err(errors) => {
            report_load_errors(&errors);
            return EXIT_UNUSABLE;
        }
    };
    let ledger = config.ledger.clone();
    if let Some(location) = &ledger {
        if let Err(error) = polc::Ledger::open(location) {
            let shown = polc::ledger::shown_location(location);
            fail!(
                Ledger,
                format!("the ledger `{shown}` cannot be used: {error}"),
                format!("台账 `{shown}` 无法使用：{error}")
            );
            return EXIT_UNUSABLE;
        }
    }
    let count = loaded.policies.len();
    let server = match polc::serve::Server::bind(address, polc::serve::State::new(config, loaded)) {
        Ok(server) => server,
        Err(failure) => {
            report_failure(&failure);
            return EXIT_UNUSABLE;
        }
    };
    let state = server.state();
    match signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP]) {
        Ok(mut signals) => {
            std::thread::spawn(move || {
                for _ in signals.forever() {
                    match state.reload() {
                        Ok(count) => note!(
                            format!("polc serve: reloaded {count} polic{}", if count == 1 { "y" } else { "ies" }),
                            format!("polc serve：已重新加载 {count} 个政策")
                        ),
                        Err(errors) => {
                            report_load_errors(&errors);
                            note!(
                                "polc serve: reload refused; the policies served are unchanged".to_string(),
                                "polc serve：重新加载被拒绝；所提供的政策未变".to_string()
                            );
                        }
                    }
                }
            });
        }
        Err(error) => note!(
            format!("polc serve: SIGHUP cannot be caught ({error}); restart to reload"),
            format!("polc serve：无法捕获 SIGHUP（{error}）；请重启以重新加载")
        ),
    }
    // Said once SIGHUP is caught: a reload asked for from here on is not lost.
    let shown = server.local_addr().map_or_else(|| address.to_string(), |address| address.to_string());
    note!(
        format!("polc serve: listening on http://{shown} ({count} polic{})", if count == 1 { "y" } else { "ies" }),
        format!("polc serve：正在 http://{shown} 上监听（{count} 个政策）")
    );
    match server.serve(workers) {
        Ok(()) => 0,
        Err(failure) => {
            report_failure(&failure);
            EXIT_UNUSABLE
        }
    }
}

fn report_load_errors(errors: &[polc::serve::LoadError]) {
    for error in errors {
        match error {
            polc::serve::LoadError::Failure(failure) => report_failure(failure),
            polc::serve::LoadError::Policy { file, text, diagnostics } => {
                report_diagnostics(&Source { name: file, text }, diagnostics);
                fail!(
                    PolicyErrors,
                    format!("`{file}` has errors; run `polc check {file}` for all diagnostics"),
                    format!("`{file}` 有错误；运行 `polc check {file}` 查看全部诊断")
                );
            }
        }
    }
}

fn schema(out: &mut Out, policy_name: &str) -> io::Result<u8> {
    match load_policy(policy_name) {
        Ok(policy) => {
            let schema = polc::data::schema::json_schema(&policy);
            serde_json::to_writer_pretty(&mut *out, &schema)?;
            writeln!(out)?;
            Ok(0)
        }
        Err(status) => Ok(status),
    }
}

fn diff(
    out: &mut Out,
    old_name: &str,
    new_name: &str,
    source: Option<CasesSource<'_>>,
    ledger: Option<&str>,
    format: ReportFormat,
) -> io::Result<u8> {
    if let Err(status) = stdin_once([old_name, new_name].into_iter().chain(source.as_ref().map(|source| source.name))) {
        return Ok(status);
    }
    let (mut old, mut new) = match (load_policy(old_name), load_policy(new_name)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(status), _) | (_, Err(status)) => return Ok(status),
    };
    let mut report = polc::analyze::diff::diff(&old, &new);
    let mut status = 0;
    if let Some(source) = source {
        let input_format = match source.input_format() {
            Ok(format) => format,
            Err(message) => {
                report_failure(&polc::Failure::new(FailureKind::Usage, message));
                return Ok(EXIT_UNUSABLE);
            }
        };
        let bytes = match read_input(source.name) {
            Ok(bytes) => bytes,
            Err(message) => {
                report_failure(&polc::Failure::new(FailureKind::Read, message));
                return Ok(EXIT_UNUSABLE);
            }
        };
        // Each version sets aside the fields only the other declares.
        old.also_known = polc::analyze::diff::fields_only_in(&new, &old);
        new.also_known = polc::analyze::diff::fields_only_in(&old, &new);
        let run_one = |policy: &Policy| -> Result<polc::eval::BatchResult, String> {
            match ledger {
                None => polc::eval::run(policy, bytes.as_slice(), input_format.clone(), None)
                    .map_err(|error| error.to_string()),
                Some(location) => {
                    let mut opened = polc::ledger::Ledger::open(location).map_err(|error| error.to_string())?;
                    let evaluate = |decided: &polc::eval::Decided| {
                        polc::eval::evaluate(policy, bytes.as_slice(), input_format.clone(), None, false, Some(decided))
                    };
                    match opened.decide(policy, false, evaluate) {
                        Err(error) => Err(error.to_string()),
                        Ok(Err(error)) => Err(error.to_string()),
                        Ok(Ok(decision)) => Ok(decision.result),
                    }
                }
            }
        };
        let (before, after) = match (run_one(&old), run_one(&new)) {
            (Ok(before), Ok(after)) => (before, after),
            (Err(error), _) | (_, Err(error)) => {
                let shown = display_name(source.name);
                fail!(Batch, format!("`{shown}` cannot be used: {error}"), format!("`{shown}` 无法使用：{error}"));
                return Ok(EXIT_UNUSABLE);
            }
        };
        let population = polc::analyze::diff::population(&old, &before, &new, &after, &report.changes);
        if !population.errors.is_empty() {
            status = EXIT_PROBLEMS;
        }
        report.population = Some(population);
    }
    match format {
        ReportFormat::Table => out.write_all(results::analysis::diff_table(lang(), &report).as_bytes())?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
    }
    Ok(status)
}

fn bounds(out: &mut Out, policy_name: &str, format: ReportFormat) -> io::Result<u8> {
    let policy = match load_policy(policy_name) {
        Ok(policy) => policy,
        Err(status) => return Ok(status),
    };
    let report = polc::analyze::bounds::bounds(&policy);
    match format {
        ReportFormat::Table => out.write_all(results::analysis::bounds_table(&policy, &report).as_bytes())?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
    }
    Ok(0)
}

fn doc(out: &mut Out, policy_name: &str, output: Option<&Path>, examples: Option<&Path>) -> io::Result<u8> {
    let (mut policy, text) = match load_policy_text(policy_name) {
        Ok(loaded) => loaded,
        Err(status) => return Ok(status),
    };
    // The handbook is a Chinese document: its examples' reasons are worded in Chinese too.
    policy.lang = Lang::Zh;
    let sidecar = match examples {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(sidecar) => Some((path.to_path_buf(), sidecar)),
            Err(error) => {
                let shown = path.display();
                fail!(Read, format!("cannot read `{shown}`: {error}"), format!("无法读取 `{shown}`：{error}"));
                return Ok(EXIT_UNUSABLE);
            }
        },
        None if policy_name == "-" => None,
        None => {
            let beside = Path::new(policy_name).with_extension("examples.json");
            std::fs::read_to_string(&beside).ok().map(|sidecar| (beside, sidecar))
        }
    };
    let worked = match sidecar {
        None => None,
        Some((path, sidecar)) => match polc::examples::example_results(&policy, &sidecar) {
            Ok((results, hits)) => {
                let coverage = polc::examples::coverage_rows(&policy, &hits);
                Some(results::WorkedExamples { results, coverage })
            }
            Err(error) => {
                let shown = path.display();
                fail!(
                    Examples,
                    format!("the examples in `{shown}` cannot be run: {error}"),
                    format!("`{shown}` 中的示例无法运行：{error}")
                );
                return Ok(EXIT_UNUSABLE);
            }
        },
    };
    let page = results::handbook(&policy, &text, worked.as_ref());
    match output {
        None => out.write_all(page.as_bytes())?,
        Some(path) => {
            if let Err(error) = write_atomically(path, |file| file.write_all(page.as_bytes())) {
                let shown = path.display();
                fail!(Write, format!("cannot write `{shown}`: {error}"), format!("无法写入 `{shown}`：{error}"));
                return Ok(EXIT_UNUSABLE);
            }
        }
    }
    Ok(0)
}

fn fmt(out: &mut Out, files: &[String], check_only: bool) -> io::Result<u8> {
    if let Err(status) = stdin_once(files.iter().map(String::as_str)) {
        return Ok(status);
    }
    let mut status = 0;
    for name in files {
        let shown = display_name(name);
        let bytes = match read_input(name) {
            Ok(bytes) => bytes,
            Err(message) => {
                report_failure(&polc::Failure::new(FailureKind::Read, message));
                status = EXIT_UNUSABLE;
                continue;
            }
        };
        let text = match polc::source::decode(&bytes) {
            Ok(text) => text,
            Err(not_text) => {
                let source = Source { name: shown, text: &not_text.text };
                report_diagnostics(&source, std::slice::from_ref(&not_text.diagnostic));
                fail!(
                    PolicyErrors,
                    format!("`{shown}` is not UTF-8 and was not formatted"),
                    format!("`{shown}` 不是 UTF-8 文本，未格式化")
                );
                status = status.max(EXIT_PROBLEMS);
                continue;
            }
        };
        let formatted = match polc::fmt::format(text) {
            Ok(formatted) => formatted,
            Err(diagnostics) => {
                let source = Source { name: shown, text };
                report_diagnostics(&source, &diagnostics);
                fail!(
                    PolicyErrors,
                    format!("`{shown}` has syntax errors and was not formatted"),
                    format!("`{shown}` 有语法错误，未格式化")
                );
                status = status.max(EXIT_PROBLEMS);
                continue;
            }
        };
        // Compared with the bytes as read, so a byte-order mark counts as unformatted.
        let unchanged = formatted.as_bytes() == bytes.as_slice();
        if check_only {
            if !unchanged {
                if name != "-" {
                    writeln!(out, "{name}")?;
                }
                // Standard output lists the files for a person or a script; a program
                // reading failures gets each as a record too.
                if error_format() == ErrorFormat::Json {
                    let shown = display_name(name);
                    let message = lang().choose(
                        format!("`{shown}` is not in the canonical layout; run `polc fmt {shown}`"),
                        format!("`{shown}` 不是统一版式；请运行 `polc fmt {shown}`"),
                    );
                    report_failure(&polc::Failure::new(FailureKind::Unformatted, message));
                }
                status = status.max(EXIT_PROBLEMS);
            }
        } else if name == "-" {
            out.write_all(formatted.as_bytes())?;
        } else if !unchanged {
            if let Err(error) = write_atomically(Path::new(name), |out| out.write_all(formatted.as_bytes())) {
                fail!(
                    Write,
                    format!("cannot write `{name}`: {error}; the file is unchanged"),
                    format!("无法写入 `{name}`：{error}；文件未改动")
                );
                status = EXIT_UNUSABLE;
            }
        }
    }
    Ok(status)
}

/// Replaces `path` with what `write` writes, so that a failure at any point leaves the old
/// file whole (or none, when there was none): the new text goes to a temporary file beside it, is flushed to disk, and is renamed
/// over the old one (a rename within one folder is atomic). The old file's permissions
/// are kept.
fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    // Through a symbolic link, the file it points to is replaced, not the link.
    let resolved = std::fs::canonicalize(path);
    let path = resolved.as_deref().unwrap_or(path);
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".polc-").suffix(".tmp");
    // A new file gets the permissions any new file gets (the umask applies), not the
    // owner-only ones of a temporary file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temporary = builder.tempfile_in(folder)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        temporary.as_file().set_permissions(metadata.permissions())?;
    }
    {
        let mut buffered = BufWriter::new(temporary.as_file_mut());
        write(&mut buffered)?;
        buffered.flush()?;
    }
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// The `.pol` files under `paths`, sorted. Every path must exist; a file must be a policy
/// and a folder must hold at least one.
fn policy_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = found.len();
            let mut pending = vec![path.clone()];
            while let Some(folder) = pending.pop() {
                let entries = std::fs::read_dir(&folder)
                    .map_err(|error| format!("cannot read `{}`: {error}", folder.display()))?;
                for entry in entries.flatten() {
                    let entry = entry.path();
                    if entry.is_dir() {
                        pending.push(entry);
                    } else if is_policy_file(&entry) {
                        found.push(entry);
                    }
                }
            }
            if found.len() == before {
                return Err(format!("`{}` holds no policy files (`.pol`)", path.display()));
            }
        } else if !path.exists() {
            return Err(format!("`{}` does not exist", path.display()));
        } else if is_policy_file(path) {
            found.push(path.clone());
        } else {
            return Err(format!("`{}` is not a policy file (`.pol`)", path.display()));
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn is_policy_file(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == "pol")
}

/// One example's outcome, as `polc test --format json` reports it.
#[derive(serde::Serialize)]
struct TestRecord {
    policy: String,
    /// The example's name; absent when the policy or its examples file could not be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    example: Option<String>,
    passed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    differences: Vec<String>,
}

fn test(out: &mut Out, paths: &[PathBuf], with_coverage: bool, format: TestFormat) -> io::Result<u8> {
    let default = [PathBuf::from("policies")];
    let paths = if paths.is_empty() { &default[..] } else { paths };
    let files = match policy_files(paths) {
        Ok(files) => files,
        Err(error) => {
            report_failure(&polc::Failure::new(FailureKind::Read, error));
            return Ok(EXIT_UNUSABLE);
        }
    };
    let as_table = format == TestFormat::Table;
    // The marks in front of each example, of one width so the names line up.
    let (ok_mark, failed_mark) = match lang() {
        Lang::En => ("ok    ", "FAILED"),
        Lang::Zh => ("通过  ", "未通过"),
    };
    let mut records: Vec<TestRecord> = Vec::new();
    let mut coverage_reports = Vec::new();
    let mut with_examples = 0;
    for path in files {
        let name = path.display().to_string();
        let sidecar_path = path.with_extension("examples.json");
        let Ok(sidecar) = std::fs::read_to_string(&sidecar_path) else {
            note!(
                format!("{name}: no examples (write them in {})", sidecar_path.display()),
                format!("{name}：没有示例（请写在 {}）", sidecar_path.display())
            );
            continue;
        };
        with_examples += 1;
        let failure =
            |why: String| TestRecord { policy: name.clone(), example: None, passed: false, differences: vec![why] };
        let Ok(mut policy) = load_policy(&name) else {
            records.push(failure("the policy does not check".to_string()));
            if as_table {
                writeln!(
                    out,
                    "{failed_mark} {name}{}",
                    lang().pick(": the policy does not check", "：政策未通过检查")
                )?;
            }
            continue;
        };
        // The examples' expected reasons (`why`) quote the reasons as polc words them in
        // English, whatever language the run is in; so they are run in English.
        policy.lang = Lang::En;
        let (outcomes, hits) = match polc::examples::run_examples(&policy, &sidecar) {
            Ok(result) => result,
            Err(error) => {
                if as_table {
                    writeln!(out, "{failed_mark} {}: {error}", sidecar_path.display())?;
                }
                records.push(failure(format!("{}: {error}", sidecar_path.display())));
                continue;
            }
        };
        for outcome in outcomes {
            if as_table {
                if outcome.passed() {
                    writeln!(out, "{ok_mark} {name} › {}", outcome.name)?;
                } else {
                    writeln!(out, "{failed_mark} {name} › {}", outcome.name)?;
                    for line in &outcome.differences {
                        writeln!(out, "       {line}")?;
                    }
                }
            }
            records.push(TestRecord {
                policy: name.clone(),
                passed: outcome.passed(),
                example: Some(outcome.name),
                differences: outcome.differences,
            });
        }
        if with_coverage {
            // Coverage is shown in the run's language.
            policy.lang = lang();
            coverage_reports.push((name, polc::examples::coverage_rows(&policy, &hits)));
        }
    }
    if with_examples == 0 {
        fail!(
            Examples,
            "none of the policies found has a worked-examples file (`NAME.examples.json`)".to_string(),
            "找到的政策都没有示例文件（`名称.examples.json`）".to_string()
        );
        return Ok(EXIT_UNUSABLE);
    }
    let passed = records.iter().filter(|record| record.passed).count();
    let failed = records.len() - passed;
    let summary =
        lang().choose(format!("{passed} passed, {failed} failed"), format!("{passed} 个通过，{failed} 个未通过"));
    if as_table {
        if with_coverage {
            out.write_all(polc::examples::coverage_table(&coverage_reports, lang()).as_bytes())?;
        }
        writeln!(out, "{summary}")?;
    } else {
        let mut document = serde_json::json!({ "results": records, "passed": passed, "failed": failed });
        if let (true, Some(object)) = (with_coverage, document.as_object_mut()) {
            object.insert("coverage".to_string(), polc::examples::coverage_json(&coverage_reports));
        }
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)?;
        // The closing line still reaches a person (and CI's log) on standard error.
        report_note(&summary);
    }
    if failed > 0 && error_format() == ErrorFormat::Json {
        report_failure(&polc::Failure::new(FailureKind::Examples, summary));
    }
    Ok(if failed > 0 { EXIT_PROBLEMS } else { 0 })
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}
