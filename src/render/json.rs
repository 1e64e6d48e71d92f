//! The JSON result contract (section 4 of the spec): per case its awards with roles,
//! reasons and adjustments; the errors; what a ledger adds; the totals.

use super::why::{AwardText, Wording};
use super::{clause_facts, total_error, write_cases_in};
use crate::check::checked::Policy;
use crate::eval::{BatchResult, CaseSummary};
use crate::money;
use crate::parallel::Parallelism;
use rust_decimal::Decimal;
use serde::Serialize;
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
        let errors: Vec<String> = overflowed
            .iter()
            .filter(|(_, sum)| sum.is_none())
            .map(|(name, _)| total_error(policy.lang, recipient, name))
            .collect();
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
    json_str(text, result.cases.id(case))?;
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
        json_yuan_field(text, "amount", award.amount());
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
        if !award.adjustments().is_empty() {
            text.extend_from_slice(b",\"adjustments\":[");
            for (index, adjustment) in award.adjustments().iter().enumerate() {
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
    text.extend_from_slice(b",\"");
    text.extend_from_slice(name.as_bytes());
    text.extend_from_slice(b"\":\"");
    text.extend_from_slice(money::yuan_digits(amount).as_str().as_bytes());
    text.push(b'"');
}
