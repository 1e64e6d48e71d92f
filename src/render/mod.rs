//! Render: a [`BatchResult`] → the words people and programs read. The evaluator
//! computes (amounts, the facts a reason names, as data); this stage words them: the
//! JSON result contract, CSV rows for spreadsheets, a table for terminals, one case's
//! explanation, and the reasons inside each.
//!
//! Input: a checked [`Policy`] and a [`BatchResult`]. Output: text, written as it is
//! rendered. Every format reads the same records, so they agree; the cases of a large
//! batch are rendered on every core the process may use and written in input order, so
//! the text does not depend on the number of threads.

/// The findings of `polc bounds` and `polc diff`.
pub mod analysis;
/// CSV rows for spreadsheets, cells neutralised against formulas.
mod csv;
/// One case's explanation: every clause, why it applied or not, the arithmetic.
mod explain;
/// The policy handbook: one self-contained HTML page for reviewers.
mod handbook;
/// The JSON result contract, written field by field.
mod json;
/// Expressions, facts and money in the policy's own notation.
pub mod show;
/// A table for terminals.
mod table;
/// Why an award has its amount, and why a cross-case rule changed it.
pub mod why;
/// A workbook: awards, errors, totals, and a sheet per rule that cut something.
mod xlsx;
/// A policy's rules in plain Chinese, from the checked clauses.
pub mod zh;

pub use self::csv::{csv, csv_in, spreadsheet_safe, CSV_COLUMNS};
pub use explain::{explain, explanation, Explanation};
pub use handbook::{handbook, WorkedExamples};
pub use json::{json, json_in};
pub use table::table;
pub use xlsx::xlsx;

use crate::check::checked::Policy;
use crate::eval::{AwardRecord, BatchResult, CaseSummary};
use crate::lang::Lang;
use crate::parallel::Parallelism;
use std::borrow::Cow;
use std::io::{self, Write};
use why::{AwardText, Wording};

/// Why a total is missing: its sum went past the largest amount.
fn total_error(lang: Lang, recipient: &str, sum: &str) -> String {
    match lang {
        Lang::En => format!("the {sum} total of `{recipient}` overflows: it is beyond the largest amount polc holds"),
        Lang::Zh => {
            let sum = if sum == "granted" { "核定金额" } else { "最高额" };
            format!("`{recipient}`的{sum}合计溢出：超过了 polc 能表示的最大金额")
        }
    }
}

/// The words for a case that ran and got nothing: the gate that stopped it, or that no
/// clause applied.
fn no_award_reason(lang: Lang, case: &CaseSummary) -> &str {
    case.gate_failure.as_deref().unwrap_or(lang.pick("no clause applies to this case", "没有适用于该案例的条款"))
}

/// The role label and kind of an award, from its clause.
fn clause_facts<'p>(policy: &'p Policy, award: &AwardRecord) -> (&'p str, &'p str, &'p str, bool) {
    match policy.clauses.get(award.clause) {
        Some(clause) => (
            clause.id.as_str(),
            clause.recipients.get(award.recipient_index as usize).map_or("", |recipient| recipient.role.as_str()),
            award.kind(policy),
            clause.subject_to_review,
        ),
        None => ("?", "", "", false),
    }
}

/// Renders `count` cases in ranges of about `parallelism.chunk_bytes` of output (a case
/// is a few hundred bytes) on the workers, and writes each range's text to `out` in order.
/// After the first error nothing more is written, and that error is returned.
fn write_cases_in(
    parallelism: Parallelism,
    count: usize,
    out: &mut dyn Write,
    render: impl Fn(std::ops::Range<usize>) -> io::Result<Vec<u8>> + Sync,
) -> io::Result<()> {
    let per_chunk = (parallelism.chunk_bytes / 256).max(1);
    let mut written = Ok(());
    crate::parallel::ordered(
        parallelism.threads,
        |emit| {
            let mut start = 0;
            while start < count {
                let end = count.min(start + per_chunk);
                emit(start..end);
                start = end;
            }
        },
        render,
        |text| {
            if written.is_ok() {
                written = text.and_then(|text| out.write_all(&text));
            }
        },
    );
    written
}

/// Text from the data shown on a terminal: control characters (ESC and the other C0 and
/// C1 codes, DEL) are written as escapes (`\u{1b}`), so a value cannot move the cursor,
/// recolour the screen or hide a line. Line breaks are escaped too: one value, one line.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if ch.is_control() {
            escaped.push_str(&format!("\\u{{{:x}}}", u32::from(ch)));
        } else {
            escaped.push(ch);
        }
    }
    Cow::Owned(escaped)
}

/// The reasons of an award in one line: its arithmetic, then what cross-case rules did.
fn one_line_why(wording: &Wording<'_>, result: &BatchResult, award: &AwardRecord, why: &mut AwardText) -> String {
    why.write(wording.policy(), award);
    let mut line = String::with_capacity(128);
    let rules = wording.reasons(&result.cases, award);
    let separator = wording.policy().lang.pick("; ", "；");
    for (index, part) in why.reasons().map(Cow::Borrowed).chain(rules.map(Cow::Owned)).enumerate() {
        if index > 0 {
            line.push_str(separator);
        }
        line.push_str(&part);
    }
    line
}
