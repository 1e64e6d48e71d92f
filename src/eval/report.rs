//! Renders a [`BatchResult`]: the JSON result contract, CSV rows for spreadsheets, a
//! table for terminals, and one case's explanation. All read the same records.

use super::{show, why};
use super::{AwardRecord, BatchResult, ClauseStatus};
use crate::check::checked::{Award, Policy};
use crate::money;
use crate::width::display_width;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

pub(crate) fn serialize_yuan<S: serde::Serializer>(amount: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&money::format_yuan(*amount))
}

#[derive(Serialize)]
struct JsonCase<'a> {
    id: &'a str,
    awards: Vec<JsonAward<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    no_award: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonAward<'a> {
    clause: &'a str,
    recipient: &'a str,
    role: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<String>,
    subject_to_review: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<String>,
    reasons: Vec<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    adjustments: &'a [super::Adjustment],
}

#[derive(Serialize)]
struct JsonTotal {
    recipient: String,
    /// Grants, after every cross-case rule.
    granted: String,
    /// The maxima of `up_to` awards, which review may lower.
    up_to: String,
}

/// The role label and kind of an award, from its clause.
fn clause_facts<'p>(policy: &'p Policy, award: &AwardRecord) -> (&'p str, &'p str, &'p str, bool) {
    match policy.clauses.get(award.clause) {
        Some(clause) => (
            clause.id.as_str(),
            clause.recipients.get(award.recipient_index as usize).map_or("", |recipient| recipient.role.as_str()),
            clause.award.kind_name(),
            clause.subject_to_review,
        ),
        None => ("?", "", "", false),
    }
}

/// Totals per recipient entity: (granted, up to), sorted by entity id.
pub fn totals(policy: &Policy, result: &BatchResult) -> BTreeMap<String, (Decimal, Decimal)> {
    let mut totals: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for award in &result.awards {
        let Some(amount) = award.amount else { continue };
        let entry = totals.entry(award.recipient.to_string()).or_default();
        let is_up_to = matches!(policy.clauses.get(award.clause).map(|clause| &clause.award), Some(Award::UpTo { .. }));
        let slot = if is_up_to { &mut entry.1 } else { &mut entry.0 };
        *slot = slot.saturating_add(amount);
    }
    totals
}

/// Section 4's result contract, with roles, reasons, adjustments and totals. Written as
/// it is rendered, one case per line, so a large batch never sits in memory as text.
pub fn json(policy: &Policy, result: &BatchResult, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{{")?;
    writeln!(out, "  \"policy\": {},", serde_json::to_string(&policy.title)?)?;
    writeln!(out, "  \"cases\": [")?;
    for (index, case) in result.cases.iter().enumerate() {
        let awards = result
            .case_awards(case)
            .iter()
            .map(|award| {
                let (clause, role, kind, subject_to_review) = clause_facts(policy, award);
                let why = why::award_why(policy, award, case.date);
                JsonAward {
                    clause,
                    recipient: &award.recipient,
                    role,
                    kind,
                    amount: award.amount.map(money::format_yuan),
                    subject_to_review,
                    condition: why.condition,
                    reasons: why.reasons,
                    adjustments: &award.adjustments,
                }
            })
            .collect();
        let record = JsonCase { id: &case.id, no_award: case.gate_failure.as_deref(), awards };
        let comma = if index + 1 < result.cases.len() { "," } else { "" };
        writeln!(out, "    {}{comma}", serde_json::to_string(&record)?)?;
    }
    writeln!(out, "  ],")?;
    writeln!(out, "  \"errors\": [")?;
    for (index, error) in result.errors.iter().enumerate() {
        let comma = if index + 1 < result.errors.len() { "," } else { "" };
        writeln!(out, "    {}{comma}", serde_json::to_string(error)?)?;
    }
    writeln!(out, "  ],")?;
    writeln!(out, "  \"totals\": [")?;
    let totals = totals(policy, result);
    for (index, (recipient, (granted, up_to))) in totals.iter().enumerate() {
        let record = JsonTotal {
            recipient: recipient.clone(),
            granted: money::format_yuan(*granted),
            up_to: money::format_yuan(*up_to),
        };
        let comma = if index + 1 < totals.len() { "," } else { "" };
        writeln!(out, "    {}{comma}", serde_json::to_string(&record)?)?;
    }
    writeln!(out, "  ]")?;
    writeln!(out, "}}")
}

/// One row per award: case, clause, recipient, role, kind, amount, review, reasons.
pub fn csv(policy: &Policy, result: &BatchResult, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["case", "clause", "recipient", "role", "kind", "amount", "subject_to_review", "why"])?;
    for case in &result.cases {
        for award in result.case_awards(case) {
            let (clause, role, kind, review) = clause_facts(policy, award);
            let why = one_line_why(policy, award, case.date);
            let amount = award.amount.map(money::format_yuan).unwrap_or_default();
            let review = if review { "true" } else { "false" };
            writer.write_record([case.id.as_str(), clause, &award.recipient, role, kind, &amount, review, &why])?;
        }
    }
    writer.flush()
}

/// The reasons of an award in one line: its arithmetic, then what cross-case rules did.
fn one_line_why(policy: &Policy, award: &AwardRecord, date: crate::money::Date) -> String {
    let mut parts = why::award_why(policy, award, date).reasons;
    parts.extend(award.adjustments.iter().map(|adjustment| adjustment.reason.clone()));
    parts.join("; ")
}

/// A table for terminals: one row per award, then totals per entity and the errors.
pub fn table(policy: &Policy, result: &BatchResult) -> String {
    let mut rows: Vec<Vec<String>> =
        vec![["case", "clause", "recipient", "role", "kind", "amount", "note"].map(String::from).to_vec()];
    for case in &result.cases {
        if let Some(failure) = &case.gate_failure {
            rows.push(vec![
                case.id.clone(),
                "-".into(),
                "-".into(),
                "".into(),
                "none".into(),
                "".into(),
                failure.clone(),
            ]);
        }
        for award in result.case_awards(case) {
            let (clause, role, kind, review) = clause_facts(policy, award);
            let amount = award.amount.map(show::money_text).unwrap_or_else(|| "-".into());
            let mut note = one_line_why(policy, award, case.date);
            if review {
                note = format!("subject to review; {note}");
            }
            rows.push(vec![
                case.id.clone(),
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
    for (recipient, (granted, up_to)) in totals(policy, result) {
        total_rows.push(vec![recipient, show::money_text(granted), show::money_text(up_to)]);
    }
    out.push_str("Totals per entity\n");
    out.push_str(&render_rows(&total_rows, &[1, 2]));
    if !result.errors.is_empty() {
        out.push_str(&format!("\n{} record(s) could not run:\n", result.errors.len()));
        for error in &result.errors {
            out.push_str(&format!(
                "  {} {}, field {}: {}\n",
                error.case.as_deref().unwrap_or("(no case id)"),
                error.location,
                error.field.as_deref().unwrap_or("-"),
                error.message
            ));
        }
    }
    out
}

/// Columns in `right_aligned` are numbers.
fn render_rows(rows: &[Vec<String>], right_aligned: &[usize]) -> String {
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
    let explained = result.explained.as_ref()?;
    let summary = result.cases.get(explained.case_index)?;
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
            let why = why::award_why(policy, award, summary.date);
            if let Some(condition) = &why.condition {
                out.push_str(&format!("       when {condition}: true\n"));
            }
            for reason in &why.reasons {
                out.push_str(&format!("       {reason}\n"));
            }
            for adjustment in &award.adjustments {
                out.push_str(&format!(
                    "       {}: {} -> {}: {}\n",
                    adjustment.rule,
                    show::money_text(adjustment.from),
                    show::money_text(adjustment.to),
                    adjustment.reason
                ));
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
