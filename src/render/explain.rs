//! One case explained: its facts, its gates, and for every clause why it applied or not,
//! with the arithmetic, what cross-case rules changed, and the article text. Built once
//! as data ([`Explanation`]), then written as text for a terminal or as JSON for a
//! program (`--explain CASE --format json`): the same explanation either way.

use super::why::{self, Wording};
use super::{clause_facts, escape_controls, show, zh};
use crate::check::checked::Policy;
use crate::eval::{BatchResult, ClauseStatus};
use crate::lang::Lang;

/// One case explained, in the policy's language ([`crate::run_explaining`]).
///
/// ```
/// let policy = polc::compile("p09.pol", include_str!("../../policies/shapes/P09-exact-fraction.pol"))?;
/// let cases = r#"{"id": "A1", "date": "2025-03-01", "applicant": "G1", "city_subsidy": "100.01"}"#;
/// let run = polc::run_explaining(&policy, cases.as_bytes(), polc::InputFormat::JsonLines, "A1")?;
/// let explanation = run.explanation().unwrap();
/// assert_eq!(explanation.clauses[0].status, "applies");
/// assert_eq!(explanation.clauses[0].awards[0].amount.as_deref(), Some("33.34"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, serde::Serialize)]
pub struct Explanation {
    pub case: String,
    pub date: String,
    /// Where the case is in the data, in words (`line 7`).
    pub location: String,
    /// The facts the case gives, in input order.
    pub facts: Vec<ExplainedFact>,
    pub gates: Vec<ExplainedGate>,
    /// When a gate stopped the case: why, and no clause applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate_failure: Option<String>,
    pub clauses: Vec<ExplainedClause>,
}

#[derive(Debug, serde::Serialize)]
pub struct ExplainedFact {
    pub input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub value: String,
}

#[derive(Debug, serde::Serialize)]
pub struct ExplainedGate {
    pub article: String,
    /// The condition, with the case's facts.
    pub condition: String,
}

#[derive(Debug, serde::Serialize)]
pub struct ExplainedClause {
    pub clause: String,
    pub title: String,
    /// `applies`, `condition_false`, `missing`, `no_tier`, `no_bracket`, `zero_divisor`
    /// or `gated`.
    pub status: &'static str,
    /// Why it did not apply, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Where it is in the policy (`Article 4 … › clause 4.2`), when it applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub awards: Vec<ExplainedAward>,
    /// The article's original text, when the clause applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct ExplainedAward {
    pub recipient: String,
    pub role: String,
    pub kind: String,
    /// Yuan with two decimals, as the result contract writes amounts; none without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    pub subject_to_review: bool,
    /// The condition with the case's facts, when the clause has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The arithmetic: amount, cap, rounding.
    pub reasons: Vec<String>,
    /// What each cross-case rule changed, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adjustments: Vec<ExplainedAdjustment>,
}

#[derive(Debug, serde::Serialize)]
pub struct ExplainedAdjustment {
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub reason: String,
}

/// The explanation of the case the run was asked to explain, as data.
pub fn explanation(policy: &Policy, result: &BatchResult) -> Option<Explanation> {
    let explained = result.explained.as_ref()?;
    let summary = result.cases.get(explained.case_index)?;
    let lang = policy.lang;
    let wording = Wording::new(policy);
    let facts = policy
        .inputs
        .iter()
        .zip(&explained.case.facts)
        .filter_map(|(input, fact)| {
            let fact = fact.as_ref()?;
            Some(ExplainedFact {
                input: input.name.clone(),
                label: input.description.clone(),
                value: show::fact(policy, input.ty, fact),
            })
        })
        .collect();
    let heading = |article| match lang {
        Lang::En => policy.article_heading(article),
        Lang::Zh => zh::article_heading(policy, article),
    };
    let gates = match summary.gate_failure {
        Some(_) => Vec::new(),
        None => policy
            .gates
            .iter()
            .map(|gate| ExplainedGate {
                article: heading(gate.article),
                condition: show::expr(policy, &gate.condition, Some(&explained.case)),
            })
            .collect(),
    };
    let awards = result.case_awards(summary);
    let mut clauses = Vec::new();
    for (clause_index, (clause, status)) in policy.clauses.iter().zip(&explained.statuses).enumerate() {
        let (code, why) = match status {
            ClauseStatus::Applied => ("applies", None),
            ClauseStatus::ConditionFalse(why) => ("condition_false", Some(why.clone())),
            ClauseStatus::Missing(input) => (
                "missing",
                Some(match lang {
                    Lang::En => format!("`{input}` is missing"),
                    Lang::Zh => format!("未填报{input}"),
                }),
            ),
            ClauseStatus::NoTier => {
                ("no_tier", Some(lang.pick("no tier reached or newly crossed", "未达到或未新突破任何档次").into()))
            }
            ClauseStatus::NoBracket(value) => (
                "no_bracket",
                Some(match lang {
                    Lang::En => format!("{value}, in no range of its table"),
                    Lang::Zh => format!("{value}，不在任何分档区间内"),
                }),
            ),
            ClauseStatus::ZeroDivisor(divisor) => ("zero_divisor", Some(divisor.clone())),
            ClauseStatus::Gated => ("gated", Some(lang.pick("a gate failed", "未通过申报条件").into())),
        };
        let mut entry = ExplainedClause {
            clause: clause.id.clone(),
            title: clause.title.clone().unwrap_or_default(),
            status: code,
            why,
            citation: None,
            awards: Vec::new(),
            text: None,
        };
        if *status == ClauseStatus::Applied {
            entry.citation = Some(match lang {
                Lang::En => policy.clause_citation(clause_index),
                Lang::Zh => zh::clause_citation(policy, clause_index),
            });
            entry.text = policy.articles.get(clause.article).and_then(|article| article.text.clone());
            for award in awards.iter().filter(|award| award.clause == clause_index) {
                let (_, role, kind, review) = clause_facts(policy, award);
                let why = why::award_why(policy, award);
                let adjustments = award
                    .adjustments()
                    .iter()
                    .map(|adjustment| ExplainedAdjustment {
                        rule: wording.rule_title(adjustment.source).into_owned(),
                        from: adjustment.from.map(crate::money::format_yuan),
                        to: adjustment.to.map(crate::money::format_yuan),
                        reason: wording.reason(&result.cases, award, adjustment),
                    })
                    .collect();
                entry.awards.push(ExplainedAward {
                    recipient: award.recipient.to_string(),
                    role: role.to_string(),
                    kind: kind.to_string(),
                    amount: award.amount().map(crate::money::format_yuan),
                    subject_to_review: review,
                    condition: why.condition,
                    reasons: why.reasons,
                    adjustments,
                });
            }
        }
        clauses.push(entry);
    }
    Some(Explanation {
        case: result.cases.id(summary).to_string(),
        date: summary.date.to_string(),
        location: explained.case.location.words(lang),
        facts,
        gates,
        gate_failure: summary.gate_failure.as_deref().map(str::to_string),
        clauses,
    })
}

/// Every clause for one case, as text for a terminal: why it applied or not, the
/// arithmetic, what cross-case rules changed, and the article text it comes from.
pub fn explain(policy: &Policy, result: &BatchResult) -> Option<String> {
    let explanation = explanation(policy, result)?;
    let text = match policy.lang {
        Lang::En => english(&explanation),
        Lang::Zh => chinese(&explanation),
    };
    // Facts and ids come from the data: no control character reaches the terminal, but
    // the explanation keeps its own line breaks.
    Some(text.split('\n').map(escape_controls).collect::<Vec<_>>().join("\n"))
}

/// Money as the explanation's text shows it: grouped, to the fen.
fn shown(amount: Option<&String>) -> Option<String> {
    let amount: rust_decimal::Decimal = amount?.parse().ok()?;
    Some(show::money_text(amount))
}

fn english(explanation: &Explanation) -> String {
    let mut out = format!("Case {} ({}, {})\n", explanation.case, explanation.date, explanation.location);
    out.push_str("\nFacts:\n");
    for fact in &explanation.facts {
        out.push_str(&format!("  {} = {}\n", fact.input, fact.value));
    }
    out.push_str("\nGates:\n");
    match &explanation.gate_failure {
        Some(failure) => out.push_str(&format!("  FAILED {failure}\n  No clause applies to this case.\n")),
        None => {
            for gate in &explanation.gates {
                out.push_str(&format!("  passed {}: {}\n", gate.article, gate.condition));
            }
        }
    }
    out.push_str("\nClauses:\n");
    for clause in &explanation.clauses {
        let why = clause.why.as_deref().unwrap_or("");
        let verdict = match clause.status {
            "applies" => "applies".to_string(),
            "missing" | "zero_divisor" => format!("not applicable: {why}"),
            _ => format!("does not apply: {why}"),
        };
        out.push_str(&format!("  {} {}: {verdict}\n", clause.clause, clause.title));
        let Some(citation) = &clause.citation else { continue };
        out.push_str(&format!("    from {citation}\n"));
        for award in &clause.awards {
            let amount = shown(award.amount.as_ref()).unwrap_or_else(|| "no amount".into());
            let review = if award.subject_to_review { " (subject to review)" } else { "" };
            out.push_str(&format!("    -> {} as {}: {} {amount}{review}\n", award.recipient, award.role, award.kind));
            if let Some(condition) = &award.condition {
                out.push_str(&format!("       when {condition}: true\n"));
            }
            for reason in &award.reasons {
                out.push_str(&format!("       {reason}\n"));
            }
            for adjustment in &award.adjustments {
                match (shown(adjustment.from.as_ref()), shown(adjustment.to.as_ref())) {
                    (Some(from), Some(to)) => {
                        out.push_str(&format!("       {}: {from} -> {to}: {}\n", adjustment.rule, adjustment.reason))
                    }
                    _ => out.push_str(&format!("       {}: not awarded: {}\n", adjustment.rule, adjustment.reason)),
                }
            }
        }
        if let Some(text) = &clause.text {
            out.push_str("    text:\n");
            for line in text.lines() {
                out.push_str(&format!("      | {line}\n"));
            }
        }
    }
    out
}

fn chinese(explanation: &Explanation) -> String {
    let mut out = format!("案例 {}（{}，{}）\n", explanation.case, explanation.date, explanation.location);
    out.push_str("\n申报事实：\n");
    for fact in &explanation.facts {
        out.push_str(&format!("  {} = {}\n", fact.label.as_deref().unwrap_or(&fact.input), fact.value));
    }
    out.push_str("\n申报条件：\n");
    match &explanation.gate_failure {
        Some(failure) => out.push_str(&format!("  未通过 {failure}\n  本案例不适用任何条款。\n")),
        None => {
            for gate in &explanation.gates {
                out.push_str(&format!("  通过 {}：{}\n", gate.article, gate.condition));
            }
        }
    }
    out.push_str("\n条款：\n");
    for clause in &explanation.clauses {
        let why = clause.why.as_deref().unwrap_or("");
        let verdict = match clause.status {
            "applies" => "适用".to_string(),
            _ => format!("不适用：{why}"),
        };
        out.push_str(&format!("  {} {}：{verdict}\n", clause.clause, clause.title));
        let Some(citation) = &clause.citation else { continue };
        out.push_str(&format!("    依据 {citation}\n"));
        for award in &clause.awards {
            let amount =
                shown(award.amount.as_ref()).map_or_else(|| "无金额".to_string(), |amount| format!("{amount}元"));
            let review = if award.subject_to_review { "（需经评审）" } else { "" };
            let kind = super::table::kind_words(Lang::Zh, &award.kind);
            out.push_str(&format!("    -> {}（{}）：{kind} {amount}{review}\n", award.recipient, award.role));
            if let Some(condition) = &award.condition {
                out.push_str(&format!("       条件成立：{condition}\n"));
            }
            for reason in &award.reasons {
                out.push_str(&format!("       {reason}\n"));
            }
            for adjustment in &award.adjustments {
                let yuan = |amount: Option<&String>| amount?.parse().ok().map(zh::yuan);
                match (yuan(adjustment.from.as_ref()), yuan(adjustment.to.as_ref())) {
                    (Some(from), Some(to)) => {
                        out.push_str(&format!("       {}：{from} → {to}：{}\n", adjustment.rule, adjustment.reason))
                    }
                    _ => out.push_str(&format!("       {}：不予支持：{}\n", adjustment.rule, adjustment.reason)),
                }
            }
        }
        if let Some(text) = &clause.text {
            out.push_str("    政策原文：\n");
            for line in text.lines() {
                out.push_str(&format!("      | {line}\n"));
            }
        }
    }
    out
}
