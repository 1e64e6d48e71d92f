//! polc: a compiler for government subsidy-policy clauses.
//!
//! A policy is a `.pol` text; applicant data is a batch of cases; a run gives every award,
//! exact to the fen, with the reason for each amount. This page is the library's table of
//! contents: everything an application needs is here, with strings and readers in and
//! values out. The library does no I/O of its own (a ledger is the one exception: it is a
//! database).
//!
//! | to | call |
//! |---|---|
//! | check a policy, every diagnostic | [`check_source`] → [`CheckReport`] |
//! | compile a policy, or get its errors | [`compile`] → [`Policy`] or [`PolicyReport`] |
//! | run a batch of cases | [`run`] → [`Run`] (JSON, CSV, a table, or the awards themselves) |
//! | explain one case | [`run_explaining`], then [`Run::explanation`] |
//! | decide a batch against a ledger, and commit it | [`Ledger::open`], [`run_on_ledger`] |
//! | read a ledger's totals | [`Ledger::totals`] |
//! | what the applicant data must look like | [`schema`] |
//!
//! Errors are [`miette::Diagnostic`]s: [`PolicyReport`] for a policy (each finding with
//! its code, spans, help), [`BatchError`] for a batch that cannot be read, [`LedgerError`]
//! for a ledger, [`Failure`] for the rest; an application renders them with its own miette
//! handler. The same values feed polc's own renderings ([`diag::render`]).
//!
//! ```
//! let policy = polc::compile("p09.pol", r#"
//! policy "P09 三分之一"
//!   valid from 2020-01-01 for 20 years
//!   cases identified by id, dated by date
//! input id: text required
//! input date: date required
//! input applicant: entity required
//! input city_subsidy: money "市级实际补助额"
//! article 1 "区级奖补"
//!   clause 1.1
//!     award 三分之一 of city_subsidy
//!     to applicant
//! "#)?;
//! let cases = r#"{"id": "A1", "date": "2025-03-01", "applicant": "G1", "city_subsidy": "100.01"}"#;
//! let run = polc::run(&policy, cases.as_bytes(), polc::InputFormat::JsonLines)?;
//! assert_eq!(run.json()["cases"][0]["awards"][0]["amount"], "33.34");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The stages, one module each: `syntax` (text → AST) → `check` (AST → checked policy)
//! → `eval` (checked policy → awards), with `data` reading cases, `render` writing
//! results and `diag` holding every diagnostic (`src/lib.rs` lists them all). They are
//! public for the `polc` command line and the tests, hidden from this documentation, and
//! not a stable interface: an application calls the items on this page, each documented
//! with an example (`missing_docs` is a warning, and CI denies warnings).

// Library and CLI code never panics on input; where a panic would be right, say why
// with `#[expect(..., reason = "...")]`. Tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
// Every item of the API has its documentation; the stage modules are hidden from it.
#![warn(missing_docs)]

/// What a policy implies before any case runs (`polc bounds`), and what changed between
/// two versions (`polc diff`).
#[doc(hidden)]
pub mod analyze;
/// Checked form: AST → policy with every name resolved and every expression typed.
#[doc(hidden)]
pub mod check;
/// Applicant data: JSON, JSON Lines, CSV → typed facts.
#[doc(hidden)]
pub mod data;
/// Diagnostics, their code registry and their renderings.
#[doc(hidden)]
pub mod diag;
/// Evaluation: checked policy + cases → awards.
#[doc(hidden)]
pub mod eval;
/// Worked examples beside a policy, run by `polc test`, and their coverage.
#[doc(hidden)]
pub mod examples;
/// The formatter: one canonical layout, comments kept.
#[doc(hidden)]
pub mod fmt;
/// What an editor asks of a policy: names, their uses and meanings, completions, outline.
#[doc(hidden)]
pub mod ide;
/// Slices held once, each named by its place.
mod interned;
/// The language of the words a person reads.
#[doc(hidden)]
pub mod lang;
/// The award ledger: committed rounds in SQLite or PostgreSQL.
#[doc(hidden)]
pub mod ledger;
/// The language server: the editor protocol over a connection, answered from `ide`.
#[doc(hidden)]
pub mod lsp;
/// Exact money, ratios and dates, and the one rounding function.
#[doc(hidden)]
pub mod money;
/// Work spread over the cores, results in input order.
#[doc(hidden)]
pub mod parallel;
/// Rendering: results → JSON, CSV, a table, explanations and their reasons.
#[doc(hidden)]
pub mod render;
/// `polc serve`: the library over HTTP.
#[doc(hidden)]
pub mod serve;
/// Policy files as bytes: the encoding check.
#[doc(hidden)]
pub mod source;
/// Byte spans.
#[doc(hidden)]
pub mod span;
/// Text → AST, item by item.
#[doc(hidden)]
pub mod syntax;
/// Terminal widths of text.
#[doc(hidden)]
pub mod width;

pub use check::checked::Policy;
pub use data::{BatchError, InputFormat};
pub use diag::failure::{Failure, FailureKind};
pub use diag::report::{Located, PolicyReport};
pub use diag::Diagnostic;
pub use eval::BatchResult;
pub use lang::Lang;
pub use ledger::{Decision, Ledger, LedgerError};
pub use render::Explanation;

use std::borrow::Cow;
use std::io::Read;

/// What checking one policy text found.
///
/// ```
/// let report = polc::check_source("policy");
/// assert!(report.policy.is_none());
/// assert_eq!(report.diagnostics[0].code.id(), "E0101");
/// assert_eq!(report.error_count(), 1);
/// ```
pub struct CheckReport {
    /// The checked policy, when there are no errors.
    pub policy: Option<Policy>,
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckReport {
    /// How many diagnostics are errors.
    ///
    /// ```
    /// let report = polc::check_source(include_str!("../tests/diagnostics/E0201.pol"));
    /// assert_eq!(report.error_count(), 1);
    /// ```
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).count()
    }

    /// How many diagnostics are warnings.
    ///
    /// ```
    /// // The example also declares an input no rule reads: W0001.
    /// let report = polc::check_source(include_str!("../tests/diagnostics/E0201.pol"));
    /// assert_eq!(report.warning_count(), 1);
    /// ```
    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }
}

/// Parses and checks a policy. Syntax errors stop before the checker runs (its reports
/// would be echoes of the syntax errors), but every syntax error of the file is reported.
///
/// ```
/// let report = polc::check_source("policy \"p\"\n  valid from 2024-01-01 for 1 year\n");
/// let codes: Vec<_> = report.diagnostics.iter().map(|diagnostic| diagnostic.code.id()).collect();
/// assert_eq!(codes, ["E0406"]);
/// ```
pub fn check_source(text: &str) -> CheckReport {
    let (file, syntax_diagnostics) = syntax::parse(text);
    if !syntax_diagnostics.is_empty() {
        return CheckReport { policy: None, diagnostics: syntax_diagnostics };
    }
    let (policy, diagnostics) = check::check(&file);
    CheckReport { policy, diagnostics }
}

/// Checks a policy file as read from disk: its bytes are decoded first ([`source::decode`]),
/// so a byte-order mark is dropped and another encoding is an E0105 error. Returns the
/// text to render the diagnostics against.
///
/// ```
/// let (text, report) = polc::check_bytes(b"\xff\xfe policy");
/// assert_eq!(report.diagnostics[0].code.id(), "E0105");
/// # let _ = text;
/// ```
pub fn check_bytes(bytes: &[u8]) -> (Cow<'_, str>, CheckReport) {
    match source::decode(bytes) {
        Ok(text) => (Cow::Borrowed(text), check_source(text)),
        Err(not_text) => {
            let source::NotText { diagnostic, text } = *not_text;
            (Cow::Owned(text), CheckReport { policy: None, diagnostics: vec![diagnostic] })
        }
    }
}

/// Checks `text` and gives the policy ready to run, or, when it has errors, every
/// diagnostic it has as one [`PolicyReport`] (a [`miette::Diagnostic`]) named `name`.
/// Warnings do not stop a policy; [`check_source`] gives them.
///
/// ```
/// let error = polc::compile("broken.pol", "policy \"p\"\n  valid from 2024-01-01 for 1 year\n").unwrap_err();
/// assert_eq!(error.to_string(), "`broken.pol` has 1 error");
/// let codes: Vec<_> = error.diagnostics().map(|found| found.diagnostic().code.id()).collect();
/// assert_eq!(codes, ["E0406"]);
/// ```
pub fn compile(name: &str, text: &str) -> Result<Policy, PolicyReport> {
    let report = check_source(text);
    match report.policy {
        Some(policy) => Ok(policy),
        None => Err(PolicyReport::new(name, text, report.diagnostics)),
    }
}

/// Runs a batch of cases read from `cases` in `format` through `policy`: every award,
/// with the cross-case rules applied. A record with errors does not stop the others; it
/// is reported in the result ([`Run::has_problems`]). Only a batch that cannot be read
/// at all is an error.
///
/// ```
/// // A third of `city_subsidy` to `applicant`.
/// let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
/// let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,300万\nA2,2025-03-01,G2,lots\n";
/// let run = polc::run(&policy, cases.as_bytes(), polc::InputFormat::Csv)?;
/// let json = run.json();
/// assert_eq!(json["cases"][0]["awards"][0]["amount"], "1000000.00");
/// assert_eq!(json["errors"][0]["case"], "A2");
/// assert!(run.has_problems());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run<'p>(policy: &'p Policy, cases: impl Read + Send, format: InputFormat) -> Result<Run<'p>, BatchError> {
    let result = eval::run(policy, cases, format, None)?;
    Ok(Run { policy, result })
}

/// [`run`], also explaining the case `case_id` ([`Run::explanation`]).
///
/// ```
/// // A third of `city_subsidy` to `applicant`.
/// let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
/// let cases = r#"{"id": "A1", "date": "2025-03-01", "applicant": "G1", "city_subsidy": "100.01"}"#;
/// let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::JsonLines, "A1")?;
/// let explanation = run.explanation().unwrap();
/// assert_eq!(explanation.case, "A1");
/// assert!(run.explanation_text().unwrap().contains("33.34"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_explaining<'p>(
    policy: &'p Policy,
    cases: impl Read + Send,
    format: InputFormat,
    case_id: &str,
) -> Result<Run<'p>, BatchError> {
    let result = eval::run(policy, cases, format, Some(case_id))?;
    Ok(Run { policy, result })
}

/// Decides a batch after the ledger's history of `policy` and, with `commit`, records it
/// as a new round (one transaction: a failure leaves the ledger as it was). The outer
/// error is the ledger's; the inner, the batch's.
///
/// ```
/// // A third of `city_subsidy` to `applicant`.
/// let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
/// let directory = tempfile::tempdir()?;
/// let location = directory.path().join("ledger.db");
/// let mut ledger = polc::Ledger::open(location.to_str().unwrap())?;
/// let cases = r#"{"id": "A1", "date": "2025-03-01", "applicant": "G1", "city_subsidy": "300"}"#;
/// let decision = polc::run_on_ledger(&mut ledger, &policy, cases.as_bytes(), polc::InputFormat::JsonLines, true)??;
/// assert_eq!(decision.run, Some(1));
/// // The same case again is already decided: nothing new to commit.
/// let again = polc::run_on_ledger(&mut ledger, &policy, cases.as_bytes(), polc::InputFormat::JsonLines, true)??;
/// assert_eq!((again.run, again.history_cases), (None, 1));
/// let totals = ledger.totals(&["recipient"])?;
/// assert_eq!(totals[0]["amount"], "100.00");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_on_ledger(
    ledger: &mut Ledger,
    policy: &Policy,
    cases: impl Read + Send,
    format: InputFormat,
    commit: bool,
) -> Result<Result<Decision, BatchError>, LedgerError> {
    ledger.decide(policy, commit, |decided| eval::evaluate(policy, cases, format, None, false, Some(decided)))
}

/// The applicant data `policy` reads, as a JSON Schema: what `polc schema` prints.
///
/// ```
/// // A third of `city_subsidy` to `applicant`.
/// let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
/// let schema = polc::schema(&policy);
/// assert!(schema["required"].as_array().unwrap().contains(&"applicant".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn schema(policy: &Policy) -> serde_json::Value {
    data::schema::json_schema(policy)
}

/// A batch's result, with the policy that decided it: the awards, the errors of records
/// that did not run, the totals, and an explanation when one was asked for.
///
/// ```
/// // A third of `city_subsidy` to `applicant`.
/// let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
/// let cases = r#"[{"id": "A1", "date": "2025-03-01", "applicant": "G1", "city_subsidy": "300万"}]"#;
/// let run = polc::run(&policy, cases.as_bytes(), polc::InputFormat::Json)?;
/// assert!(!run.has_problems());
/// assert!(run.csv().lines().nth(1).unwrap().contains("1000000.00"));
/// assert!(run.table().contains("1,000,000.00"));
/// let result = run.into_result();
/// assert_eq!((result.cases.len(), result.failed_records), (1, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Run<'p> {
    policy: &'p Policy,
    result: BatchResult,
}

impl Run<'_> {
    /// The result as `polc run --format json` writes it, as a value.
    ///
    /// ```
    /// # let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
    /// # let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    /// # let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::Csv, "A1")?;
    /// let json = run.json();
    /// assert_eq!(json["cases"][0]["awards"][0]["amount"], "33.34");
    /// assert_eq!(json["errors"][0]["field"], "city_subsidy");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.json_bytes()).unwrap_or_default()
    }

    /// The result as `polc run --format json` writes it, as text.
    ///
    /// ```
    /// # let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
    /// # let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    /// # let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::Csv, "A1")?;
    /// let text = String::from_utf8(run.json_bytes())?;
    /// assert!(text.starts_with("{\n  \"policy\": \"P09 三分之一\""));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn json_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        // Writing to memory cannot fail.
        let _ = render::json(self.policy, &self.result, &mut bytes);
        bytes
    }

    /// The result as `polc run --format csv` writes it: one row per award.
    ///
    /// ```
    /// # let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
    /// # let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    /// # let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::Csv, "A1")?;
    /// let csv = run.csv();
    /// assert!(csv.lines().nth(1).unwrap().starts_with("A1,1.1,G1,"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn csv(&self) -> String {
        let mut bytes = Vec::new();
        let _ = render::csv(self.policy, &self.result, &mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The result as a table for a person, in the policy's language.
    ///
    /// ```
    /// # let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
    /// # let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    /// # let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::Csv, "A1")?;
    /// assert!(run.table().lines().any(|line| line.starts_with("A1") && line.contains("33.34")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn table(&self) -> String {
        render::table(self.policy, &self.result)
    }

    /// Whether a record had errors and did not run, or a total overflowed: what makes
    /// `polc run` exit with status 1.
    ///
    /// ```
    /// # let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
    /// # let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    /// # let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::Csv, "A1")?;
    /// assert!(run.has_problems()); // A2's subsidy is not an amount
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn has_problems(&self) -> bool {
        self.result.failed_records > 0 || self.result.overflowed_totals().next().is_some()
    }

    /// The explanation of the case [`run_explaining`] named, as data; `None` when no
    /// readable case has that id.
    ///
    /// ```
    /// # let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
    /// # let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    /// # let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::Csv, "A1")?;
    /// let explanation = run.explanation().unwrap();
    /// assert_eq!((explanation.case.as_str(), explanation.facts.len()), ("A1", 4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explanation(&self) -> Option<Explanation> {
        render::explanation(self.policy, &self.result)
    }

    /// [`Run::explanation`] as text for a person.
    ///
    /// ```
    /// # let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
    /// # let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    /// # let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::Csv, "A1")?;
    /// assert!(run.explanation_text().unwrap().contains("1 / 3 of city_subsidy (100.01) = 33.3366"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explanation_text(&self) -> Option<String> {
        render::explain(self.policy, &self.result)
    }

    /// The result itself: every award with its trace, the cases, the totals.
    ///
    /// ```
    /// # let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
    /// # let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    /// # let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::Csv, "A1")?;
    /// assert_eq!((run.result().awards.len(), run.result().failed_records), (1, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn result(&self) -> &BatchResult {
        &self.result
    }

    /// The result, given up by the run.
    ///
    /// ```
    /// # let policy = polc::compile("p09.pol", include_str!("../policies/shapes/P09-exact-fraction.pol"))?;
    /// # let cases = "id,date,applicant,city_subsidy\nA1,2025-03-01,G1,100.01\nA2,2025-03-01,G2,lots\n";
    /// # let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::Csv, "A1")?;
    /// let result = run.into_result();
    /// assert_eq!(result.errors[0].case.as_deref(), Some("A2"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_result(self) -> BatchResult {
        self.result
    }
}
