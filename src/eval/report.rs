//! Renders a [`BatchResult`]: the JSON result contract, CSV rows for spreadsheets, a
//! table for terminals, and one case's explanation. All read the same records.

use super::show;
use super::why::{self, AwardText, Wording};
use super::{AwardRecord, BatchResult, CaseSummary, ClauseStatus};
use crate::check::checked::Policy;
use crate::money;
use crate::parallel::Parallelism;
use crate::width::display_width;
use rust_decimal::Decimal;
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};

#[derive(Serialize)]
struct JsonTotal<'a> {
    recipient: &'a str,
    /// Grants, after every cross-case rule; null when the sum overflows.
    granted: Option<String>,
    /// The maxima of `up_to` awards, which review may lower; null when the sum overflows.
    up_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Why a total is missing: its sum went past the largest amount.
fn total_error(recipient: &str, sum: &str) -> String {
    format!("the {sum} total of `{recipient}` overflows: it is beyond the largest amount polc holds")
}

/// The words for a case that ran and got nothing: the gate that stopped it, or that no
/// clause applied.
fn no_award_reason(case: &CaseSummary) -> &str {
    case.gate_failure.as_deref().unwrap_or("no clause applies to this case")
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

/// Section 4's result contract, with roles, reasons, adjustments and totals. Written as
/// it is rendered, one case per line, so a large batch never sits in memory as text; the
/// cases are rendered on every core the process may use, and written in order.
pub fn json(policy: &Policy, result: &BatchResult, out: &mut dyn Write) -> io::Result<()> {
    json_in(Parallelism::available(), policy, result, out)
}

/// [`json`], its cases rendered as `parallelism` says; the text does not depend on it.
pub fn json_in(parallelism: Parallelism, policy: &Policy, result: &BatchResult, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{{")?;
    writeln!(out, "  \"policy\": {},", serde_json::to_string(&policy.title)?)?;
    writeln!(out, "  \"cases\": [")?;
    let wording = Wording::new(policy);
    write_cases_in(parallelism, result.cases.len(), out, |cases| {
        let mut text = Vec::with_capacity(cases.len() * 512);
        let mut why = AwardText::default();
        for index in cases {
            if let Some(case) = result.cases.get(index) {
                json_case(policy, &wording, result, case, &mut why, &mut text)?;
                let comma = if index + 1 < result.cases.len() { "," } else { "" };
                writeln!(text, "{comma}")?;
            }
        }
        Ok(text)
    })?;
    writeln!(out, "  ],")?;
    writeln!(out, "  \"errors\": [")?;
    for (index, error) in result.errors.iter().enumerate() {
        let comma = if index + 1 < result.errors.len() { "," } else { "" };
        writeln!(out, "    {}{comma}", serde_json::to_string(error)?)?;
    }
    writeln!(out, "  ],")?;
    // Against a ledger: the cases decided in an earlier round, with what they were given.
    if !result.already_decided.is_empty() {
        writeln!(out, "  \"already_decided\": [")?;
        for (index, decided) in result.already_decided.iter().enumerate() {
            let awards: Vec<serde_json::Value> = decided
                .awards
                .iter()
                .map(|(clause, recipient, amount)| {
                    serde_json::json!({
                        "clause": clause,
                        "recipient": &**recipient,
                        "amount": amount.map(money::format_yuan),
                    })
                })
                .collect();
            let record = serde_json::json!({ "id": decided.id, "run": decided.round, "awards": awards });
            let comma = if index + 1 < result.already_decided.len() { "," } else { "" };
            writeln!(out, "    {}{comma}", serde_json::to_string(&record)?)?;
        }
        writeln!(out, "  ],")?;
    }
    if !result.ledger_notes.is_empty() {
        writeln!(out, "  \"ledger_notes\": {},", serde_json::to_string(&result.ledger_notes)?)?;
    }
    writeln!(out, "  \"totals\": [")?;
    for (index, (recipient, total)) in result.totals.iter().enumerate() {
        let overflowed = [("granted", total.granted), ("up to", total.up_to)];
        let errors: Vec<String> =
            overflowed.iter().filter(|(_, sum)| sum.is_none()).map(|(name, _)| total_error(recipient, name)).collect();
        let record = JsonTotal {
            recipient,
            granted: total.granted.map(money::format_yuan),
            up_to: total.up_to.map(money::format_yuan),
            error: (!errors.is_empty()).then(|| errors.join("; ")),
        };
        let comma = if index + 1 < result.totals.len() { "," } else { "" };
        writeln!(out, "    {}{comma}", serde_json::to_string(&record)?)?;
    }
    writeln!(out, "  ]")?;
    writeln!(out, "}}")
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

/// One case's line of the JSON result, without its comma: section 4's case record,
/// written field by field into `text` (in the order of the contract), so an award's
/// strings go straight from its records into the result.
fn json_case(
    policy: &Policy,
    wording: &Wording<'_>,
    result: &BatchResult,
    case: &CaseSummary,
    why: &mut AwardText,
    text: &mut Vec<u8>,
) -> io::Result<()> {
    text.extend_from_slice(b"    {\"id\":");
    json_str(text, &case.id)?;
    text.extend_from_slice(b",\"awards\":[");
    for (index, award) in result.case_awards(case).iter().enumerate() {
        if index > 0 {
            text.push(b',');
        }
        let (clause, role, kind, subject_to_review) = clause_facts(policy, award);
        why.write(policy, award);
        text.extend_from_slice(b"{\"clause\":");
        json_str(text, clause)?;
        text.extend_from_slice(b",\"recipient\":");
        json_str(text, &award.recipient)?;
        text.extend_from_slice(b",\"role\":");
        json_str(text, role)?;
        text.extend_from_slice(b",\"kind\":");
        json_str(text, kind)?;
        // A cap that cuts a range's high end cuts its low end with it.
        json_yuan_field(text, "minimum", award.minimum());
        json_yuan_field(text, "amount", award.amount);
        json_yuan_field(text, "maximum", award.maximum(policy));
        text.extend_from_slice(if subject_to_review {
            b",\"subject_to_review\":true"
        } else {
            b",\"subject_to_review\":false"
        });
        if let Some(condition) = why.condition() {
            text.extend_from_slice(b",\"condition\":");
            json_str(text, condition)?;
        }
        text.extend_from_slice(b",\"reasons\":[");
        for (index, reason) in why.reasons().enumerate() {
            if index > 0 {
                text.push(b',');
            }
            json_str(text, reason)?;
        }
        text.push(b']');
        if !award.adjustments.is_empty() {
            text.extend_from_slice(b",\"adjustments\":[");
            for (index, adjustment) in award.adjustments.iter().enumerate() {
                if index > 0 {
                    text.push(b',');
                }
                text.extend_from_slice(b"{\"rule\":");
                json_str(text, &wording.rule(adjustment))?;
                json_yuan_field(text, "from", adjustment.from);
                json_yuan_field(text, "to", adjustment.to);
                text.extend_from_slice(b",\"reason\":");
                json_str(text, &wording.reason(&result.cases, award, adjustment))?;
                text.push(b'}');
            }
            text.push(b']');
        }
        text.push(b'}');
    }
    text.push(b']');
    if let Some(gate_failure) = &case.gate_failure {
        text.extend_from_slice(b",\"no_award\":");
        json_str(text, gate_failure)?;
    }
    text.push(b'}');
    Ok(())
}

/// A JSON string, escaped as `serde_json` escapes it.
fn json_str(text: &mut Vec<u8>, value: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *text, value).map_err(io::Error::from)
}

/// `,"name":"2500000.00"` for an amount; nothing without one. An amount's text is digits,
/// a point and a sign: it needs no escaping.
fn json_yuan_field(text: &mut Vec<u8>, name: &str, amount: Option<Decimal>) {
    let Some(amount) = amount else { return };
    let mut yuan = String::with_capacity(24);
    money::write_yuan(&mut yuan, amount);
    text.extend_from_slice(b",\"");
    text.extend_from_slice(name.as_bytes());
    text.extend_from_slice(b"\":\"");
    text.extend_from_slice(yuan.as_bytes());
    text.push(b'"');
}

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
        write_row(writer, [&*case.id, "", "", "", "none", "", "", no_award_reason(case), "", ""])?;
    }
    for award in awards {
        let (clause, role, kind, review) = clause_facts(wording.policy(), award);
        let why = one_line_why(wording, result, award, why);
        let amount = award.amount.map(money::format_yuan).unwrap_or_default();
        let review = if review { "true" } else { "false" };
        write_row(writer, [&*case.id, clause, &award.recipient, role, kind, &amount, review, &why, "", ""])?;
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

/// [`csv`], its cases rendered as `parallelism` says; the text does not depend on it.
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
        write_row(&mut writer, ["", "", recipient, "", "error", "", "", &total_error(recipient, sum), "", ""])?;
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
    for (index, part) in why.reasons().map(Cow::Borrowed).chain(rules.map(Cow::Owned)).enumerate() {
        if index > 0 {
            line.push_str("; ");
        }
        line.push_str(&part);
    }
    line
}

/// A table for terminals: one row per award, then totals per entity and the errors.
pub fn table(policy: &Policy, result: &BatchResult) -> String {
    let wording = Wording::new(policy);
    let mut why = AwardText::default();
    let mut rows: Vec<Vec<String>> =
        vec![["case", "clause", "recipient", "role", "kind", "amount", "note"].map(String::from).to_vec()];
    for case in &result.cases {
        if result.case_awards(case).is_empty() {
            rows.push(vec![
                case.id.to_string(),
                "-".into(),
                "-".into(),
                "".into(),
                "none".into(),
                "".into(),
                no_award_reason(case).to_string(),
            ]);
        }
        for award in result.case_awards(case) {
            let (clause, role, kind, review) = clause_facts(policy, award);
            let amount = award.amount.map(show::money_text).unwrap_or_else(|| "-".into());
            let mut note = one_line_why(&wording, result, award, &mut why);
            if review {
                note = format!("subject to review; {note}");
            }
            rows.push(vec![
                case.id.to_string(),
                clause.into(),
                award.recipient.to_string(),
                role.into(),
                kind.into(),
                amount,
                note,
            ]);
        }
    }
    let mut out = render_rows(&rows, &[5]);
    out.push('\n');
    let mut total_rows = vec![["recipient", "granted", "up to (set by review)"].map(String::from).to_vec()];
    let sum_text = |sum: Option<Decimal>| sum.map_or_else(|| "overflow".to_string(), show::money_text);
    for (recipient, total) in &result.totals {
        total_rows.push(vec![recipient.to_string(), sum_text(total.granted), sum_text(total.up_to)]);
    }
    out.push_str("Totals per entity\n");
    out.push_str(&render_rows(&total_rows, &[1, 2]));
    for (recipient, sum) in result.overflowed_totals() {
        out.push_str(&format!("error: {}\n", escape_controls(&total_error(recipient, sum))));
    }
    if !result.errors.is_empty() {
        let failed = result.failed_records;
        out.push_str(&format!("\n{failed} record{} could not run:\n", if failed == 1 { "" } else { "s" }));
        for error in &result.errors {
            out.push_str(&format!(
                "  {} {}, field {}: {}\n",
                escape_controls(error.case.as_deref().unwrap_or("(no case id)")),
                error.location,
                escape_controls(error.field.as_deref().unwrap_or("-")),
                escape_controls(&error.message)
            ));
        }
    }
    out
}

/// Columns in `right_aligned` are numbers. Cells come from the data, so their control
/// characters are escaped first.
fn render_rows(rows: &[Vec<String>], right_aligned: &[usize]) -> String {
    let rows: Vec<Vec<Cow<'_, str>>> =
        rows.iter().map(|row| row.iter().map(|cell| escape_controls(cell)).collect()).collect();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| rows.iter().filter_map(|row| row.get(column)).map(|cell| display_width(cell)).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (row_index, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            let width = widths.get(column).copied().unwrap_or(0);
            let pad = " ".repeat(width.saturating_sub(display_width(cell)));
            let last = column + 1 == row.len();
            if right_aligned.contains(&column) {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if !last {
                    line.push_str(&pad);
                }
            }
            if !last {
                line.push_str("  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if row_index == 0 {
            let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}

/// Every clause for one case: why it applied or not, the arithmetic, what cross-case
/// rules changed, and the article text it comes from.
pub fn explain(policy: &Policy, result: &BatchResult) -> Option<String> {
    let text = explain_text(policy, result)?;
    // Facts and ids come from the data: no control character reaches the terminal, but
    // the explanation keeps its own line breaks.
    Some(text.split('\n').map(escape_controls).collect::<Vec<_>>().join("\n"))
}

fn explain_text(policy: &Policy, result: &BatchResult) -> Option<String> {
    let explained = result.explained.as_ref()?;
    let summary = result.cases.get(explained.case_index)?;
    let wording = Wording::new(policy);
    let mut out = format!("Case {} ({}, {})\n", summary.id, summary.date, summary.location);
    out.push_str("\nFacts:\n");
    for (input, fact) in policy.inputs.iter().zip(&explained.case.facts) {
        if let Some(fact) = fact {
            out.push_str(&format!("  {} = {}\n", input.name, show::fact(policy, input.ty, fact)));
        }
    }
    out.push_str("\nGates:\n");
    match &summary.gate_failure {
        Some(failure) => out.push_str(&format!("  FAILED {failure}\n  No clause applies to this case.\n")),
        None => {
            for gate in &policy.gates {
                out.push_str(&format!(
                    "  passed {}: {}\n",
                    policy.article_heading(gate.article),
                    show::expr(policy, &gate.condition, Some(&explained.case))
                ));
            }
        }
    }
    out.push_str("\nClauses:\n");
    let awards = result.case_awards(summary);
    for (clause_index, (clause, status)) in policy.clauses.iter().zip(&explained.statuses).enumerate() {
        let title = clause.title.as_deref().unwrap_or("");
        let verdict = match status {
            ClauseStatus::Applied => "applies".to_string(),
            ClauseStatus::ConditionFalse(why) => format!("does not apply: {why}"),
            ClauseStatus::Missing(input) => format!("not applicable: `{input}` is missing"),
            ClauseStatus::NoTier => "does not apply: no tier reached or newly crossed".to_string(),
            ClauseStatus::NoBracket(value) => format!("does not apply: {value}, in no range of its table"),
            ClauseStatus::ZeroDivisor(divisor) => format!("not applicable: {divisor}"),
            ClauseStatus::Gated => "does not apply: a gate failed".to_string(),
        };
        out.push_str(&format!("  {} {title}: {verdict}\n", clause.id));
        if *status != ClauseStatus::Applied {
            continue;
        }
        out.push_str(&format!("    from {}\n", policy.clause_citation(clause_index)));
        for award in awards.iter().filter(|award| award.clause == clause_index) {
            let (_, role, kind, review) = clause_facts(policy, award);
            let amount = award.amount.map(show::money_text).unwrap_or_else(|| "no amount".into());
            out.push_str(&format!(
                "    -> {} as {role}: {kind} {amount}{}\n",
                award.recipient,
                if review { " (subject to review)" } else { "" }
            ));
            let why = why::award_why(policy, award);
            if let Some(condition) = &why.condition {
                out.push_str(&format!("       when {condition}: true\n"));
            }
            for reason in &why.reasons {
                out.push_str(&format!("       {reason}\n"));
            }
            for adjustment in &award.adjustments {
                let (rule, reason) = (wording.rule(adjustment), wording.reason(&result.cases, award, adjustment));
                match (adjustment.from, adjustment.to) {
                    (Some(from), Some(to)) => out.push_str(&format!(
                        "       {rule}: {} -> {}: {reason}\n",
                        show::money_text(from),
                        show::money_text(to),
                    )),
                    _ => out.push_str(&format!("       {rule}: not awarded: {reason}\n")),
                }
            }
        }
        if let Some(text) = policy.articles.get(clause.article).and_then(|article| article.text.as_ref()) {
            out.push_str("    text:\n");
            for line in text.lines() {
                out.push_str(&format!("      | {line}\n"));
            }
        }
    }
    Some(out)
}
