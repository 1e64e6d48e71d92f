//! CSV rows: one per award, one per case without an award, one per error, so every case
//! of the input and every error is in the file.

use super::why::{AwardText, Wording};
use super::{clause_facts, no_award_reason, one_line_why, total_error, write_cases_in};
use crate::check::checked::Policy;
use crate::eval::BatchResult;
use crate::eval::CaseSummary;
use crate::money;
use crate::parallel::Parallelism;
use std::borrow::Cow;
use std::io::{self, Write};

/// One case's CSV rows: its awards, or the row saying why it has none.
fn csv_case<W: Write>(
    wording: &Wording<'_>,
    why: &mut AwardText,
    result: &BatchResult,
    case: &CaseSummary,
    writer: &mut csv::Writer<W>,
) -> io::Result<()> {
    let awards = result.case_awards(case);
    if awards.is_empty() {
        write_row(
            writer,
            [result.cases.id(case), "", "", "", "none", "", "", no_award_reason(wording.policy().lang, case), "", ""],
        )?;
    }
    for award in awards {
        let (clause, role, kind, review) = clause_facts(wording.policy(), award);
        let why = one_line_why(wording, result, award, why);
        let amount = award.amount().map(money::format_yuan).unwrap_or_default();
        let review = if review { "true" } else { "false" };
        write_row(
            writer,
            [result.cases.id(case), clause, &award.recipient, role, kind, &amount, review, &why, "", ""],
        )?;
    }
    Ok(())
}

/// One CSV row of the result, its cells neutralised for spreadsheets.
fn write_row<W: Write>(writer: &mut csv::Writer<W>, cells: [&str; 10]) -> csv::Result<()> {
    writer.write_record(cells.map(spreadsheet_safe).iter().map(|cell| cell.as_ref()))
}

/// The CSV columns: one row per award; a row of kind `none` for a case that ran and got
/// nothing (with why); a row of kind `error` for each data error (with its field and where)
/// and for each total that overflowed. So every case of the input and every error is in
/// the file. Cells are neutralised for spreadsheets ([`spreadsheet_safe`]).
pub const CSV_COLUMNS: [&str; 10] =
    ["case", "clause", "recipient", "role", "kind", "amount", "subject_to_review", "why", "field", "location"];

/// Every award, case without an award, and error, as CSV rows. The cases' rows are
/// rendered on every core the process may use, and written in order.
pub fn csv(policy: &Policy, result: &BatchResult, out: &mut dyn Write) -> io::Result<()> {
    csv_in(Parallelism::available(), policy, result, out)
}

/// [`csv()`], its cases rendered as `parallelism` says; the text does not depend on it.
pub fn csv_in(parallelism: Parallelism, policy: &Policy, result: &BatchResult, out: &mut dyn Write) -> io::Result<()> {
    {
        let mut header = csv::Writer::from_writer(&mut *out);
        header.write_record(CSV_COLUMNS)?;
        header.flush()?;
    }
    let wording = Wording::new(policy);
    write_cases_in(parallelism, result.cases.len(), out, |cases| {
        // Each record is written on its own (quoted only where it needs it), so rows
        // written apart are the rows one writer makes.
        let mut rows = csv::Writer::from_writer(Vec::with_capacity(cases.len() * 256));
        let mut why = AwardText::default();
        for case in result.cases.get(cases).unwrap_or_default() {
            csv_case(&wording, &mut why, result, case, &mut rows)?;
        }
        rows.into_inner().map_err(|error| error.into_error())
    })?;
    let mut writer = csv::Writer::from_writer(out);
    for error in &result.errors {
        let location = error.location.to_string();
        let (case, field) = (error.case.as_deref().unwrap_or(""), error.field.as_deref().unwrap_or(""));
        write_row(&mut writer, [case, "", "", "", "error", "", "", &error.message, field, &location])?;
    }
    for (recipient, sum) in result.overflowed_totals() {
        write_row(
            &mut writer,
            ["", "", recipient, "", "error", "", "", &total_error(policy.lang, recipient, sum), "", ""],
        )?;
    }
    writer.flush()
}

/// A cell a spreadsheet will not run as a formula. A cell starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return is a formula to Excel, LibreOffice and Google Sheets, so
/// such a cell gets a leading `'`, as OWASP's guidance on CSV injection recommends. Money
/// and counts never start with these, so no number changes.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}
