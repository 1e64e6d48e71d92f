//! One case explained: its facts, its gates, and for every clause why it applied or not,
//! with the arithmetic, what cross-case rules changed, and the article text.

use super::why::{self, Wording};
use super::{clause_facts, escape_controls, show};
use crate::check::checked::Policy;
use crate::eval::{BatchResult, ClauseStatus};

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
    let mut out = format!("Case {} ({}, {})\n", result.cases.id(summary), summary.date, explained.case.location);
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
            let amount = award.amount().map(show::money_text).unwrap_or_else(|| "no amount".into());
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
            for adjustment in award.adjustments() {
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
