//! polc: a compiler for government subsidy-policy clauses.
//!
//! The pipeline, one module per stage:
//! `syntax` (text → AST) → `check` (AST → checked policy) → `eval` (checked policy →
//! awards). `diag` holds the diagnostics every stage reports and their renderings. The
//! library does no I/O: the binary reads files and writes results.

// Library and CLI code never panics on input; where a panic would be right, say why
// with `#[expect(..., reason = "...")]`. Tests may unwrap.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

/// What a policy implies before any case runs (`polc bounds`), and what changed between
/// two versions (`polc diff`).
pub mod analyze;
/// Checked form: AST → policy with every name resolved and every expression typed.
pub mod check;
/// Applicant data: JSON, JSON Lines, CSV → typed facts.
pub mod data;
/// Diagnostics, their code registry and their renderings.
pub mod diag;
/// Evaluation: checked policy + cases → awards.
pub mod eval;
/// Worked examples beside a policy, run by `polc test`, and their coverage.
pub mod examples;
/// The formatter: one canonical layout, comments kept.
pub mod fmt;
/// What an editor asks of a policy: names, their uses and meanings, completions, outline.
pub mod ide;
/// Slices held once, each named by its place.
mod interned;
/// The language of the words a person reads.
pub mod lang;
/// The award ledger: committed rounds in SQLite or PostgreSQL.
pub mod ledger;
/// The language server: the editor protocol over a connection, answered from `ide`.
pub mod lsp;
/// Exact money, ratios and dates, and the one rounding function.
pub mod money;
/// Work spread over the cores, results in input order.
pub mod parallel;
/// Rendering: results → JSON, CSV, a table, explanations and their reasons.
pub mod render;
/// Policy files as bytes: the encoding check.
pub mod source;
/// Byte spans.
pub mod span;
/// Text → AST, item by item.
pub mod syntax;
/// Terminal widths of text.
pub mod width;

use check::checked::Policy;
use diag::Diagnostic;
use std::borrow::Cow;

/// What checking one policy text found.
pub struct CheckReport {
    /// The checked policy, when there are no errors.
    pub policy: Option<Policy>,
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckReport {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }
}

/// Parses and checks a policy. Syntax errors stop before the checker runs (its reports
/// would be echoes of the syntax errors), but every syntax error of the file is reported.
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
pub fn check_bytes(bytes: &[u8]) -> (Cow<'_, str>, CheckReport) {
    match source::decode(bytes) {
        Ok(text) => (Cow::Borrowed(text), check_source(text)),
        Err(not_text) => {
            let source::NotText { diagnostic, text } = *not_text;
            (Cow::Owned(text), CheckReport { policy: None, diagnostics: vec![diagnostic] })
        }
    }
}
