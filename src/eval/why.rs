//! Why an award has its amount, in words: the condition with the facts that met it, the
//! arithmetic, the clause's own cap, and the rounding. Rendered only when a result is
//! written, from the few facts the award kept, so a large batch keeps no strings.

use super::{show, AmountTrace, AwardRecord};
use crate::check::checked::{Award, Expr, ExprKind, Policy};
use crate::data::{Case, Fact, Location};
use crate::money::{self, Date};
use crate::syntax::ast::{Function, Sign};

/// An award's explanation.
pub struct AwardWhy {
    /// The clause's condition shown with the case's facts, when it has one.
    pub condition: Option<String>,
    /// The arithmetic: amount, cap, rounding.
    pub reasons: Vec<String>,
}

/// Explains `award` of a case dated `date`.
pub fn award_why(policy: &Policy, award: &AwardRecord, date: Date) -> AwardWhy {
    let Some(clause) = policy.clauses.get(award.clause) else {
        return AwardWhy { condition: None, reasons: Vec::new() };
    };
    let mut facts = vec![None; policy.inputs.len()];
    for (input, fact) in award.facts.iter() {
        if let Some(slot) = facts.get_mut(*input) {
            *slot = Some(fact.clone());
        }
    }
    let case = Case { id: String::new(), date, location: Location::Line { line: 0 }, facts };
    let condition = clause.condition.as_ref().map(|condition| show::expr(policy, condition, Some(&case)));
    let trace = &award.trace;
    let reasons = match &clause.award {
        Award::Grant { amount, cap } => {
            let raw = trace.raw.unwrap_or_default();
            let mut reasons = vec![match (&amount.kind, &trace.tier) {
                (ExprKind::Literal(_), _) => format!("fixed amount {}", show::expr(policy, amount, None)),
                (ExprKind::Tiers { subject, .. }, Some(tier)) => format!(
                    "{}: highest tier {} => {}",
                    show::expr(policy, amount, Some(&case)),
                    match tier {
                        Fact::Money(threshold) => money::format_money_readable(*threshold),
                        other => show::fact(policy, subject.ty, other),
                    },
                    show::exact_money(raw)
                ),
                _ => format!("{} = {}", show::expr(policy, amount, Some(&case)), show::exact_money(raw)),
            }];
            if let ExprKind::Sum(first, rest) = &amount.kind {
                let signs = std::iter::once("").chain(rest.iter().map(|(sign, _)| match sign {
                    Sign::Plus => "+ ",
                    Sign::Minus => "- ",
                }));
                let parts = std::iter::once(&**first).chain(rest.iter().map(|(_, term)| term));
                for ((sign, part), value) in signs.zip(parts).zip(trace.terms()) {
                    reasons.push(format!(
                        "{sign}{} = {}",
                        show::expr(policy, part, Some(&case)),
                        show::exact_money(*value)
                    ));
                }
            }
            reasons.extend(named_values(policy, trace, &case));
            reasons.extend(picks(policy, trace, [Some(amount), cap.as_ref()], &case));
            let mut capped = raw;
            if let (Some(cap), Some(limit)) = (cap, trace.cap) {
                let limit_text = match &cap.kind {
                    ExprKind::Literal(_) => show::expr(policy, cap, None),
                    _ => format!("{} = {}", show::expr(policy, cap, Some(&case)), money::format_money_readable(limit)),
                };
                if raw > limit {
                    capped = limit;
                    reasons.push(format!("capped at max {limit_text}"));
                } else {
                    reasons.push(format!("within max {limit_text}"));
                }
            }
            let rounded = money::round_to_fen(capped);
            if rounded != capped {
                reasons.push(format!("rounded half up to the fen: {}", show::money_text(rounded)));
            }
            reasons
        }
        Award::Range { low, high, cap } => {
            let mut reasons = vec![format!(
                "a range set by review, from {} to {}",
                show::expr(policy, low, Some(&case)),
                show::expr(policy, high, Some(&case))
            )];
            if let (Some(cap), Some(limit)) = (cap, trace.cap) {
                reasons.push(format!(
                    "each end within max {} = {}",
                    show::expr(policy, cap, None),
                    money::format_money_readable(limit)
                ));
            }
            if let (Some(minimum), Some(maximum)) = (trace.minimum(), award.computed) {
                reasons.push(format!(
                    "from {} to {}, rounded to the fen",
                    show::money_text(minimum),
                    show::money_text(maximum)
                ));
            }
            reasons.extend(named_values(policy, trace, &case));
            reasons.extend(picks(policy, trace, [Some(low), Some(high)], &case));
            reasons
        }
        Award::UpTo { max } => {
            let input =
                clause.granted.and_then(|input| policy.inputs.get(input)).map_or("", |input| input.name.as_str());
            let mut reasons = vec![match (trace.reviewed_maximum(), award.computed) {
                (Some(maximum), Some(granted)) => format!(
                    "granted by review: {input} = {}, within the maximum {} = {}",
                    show::money_text(granted),
                    show::expr(policy, max, Some(&case)),
                    show::money_text(maximum)
                ),
                _ => format!("up to {}, amount set by review", show::expr(policy, max, Some(&case))),
            }];
            reasons.extend(picks(policy, trace, [Some(max), None], &case));
            reasons
        }
        Award::Open { label, base, maximum, negotiated } => {
            let mut reason = if *negotiated {
                format!("amount negotiated case by case: {label}")
            } else {
                format!("amount left open by the policy: {label}")
            };
            if let (Some(base), Some(value)) = (base, trace.raw) {
                reason.push_str(&format!(" of {} = {}", show::expr(policy, base, None), show::money_text(value)));
            }
            if let (Some(maximum), Some(value)) = (maximum, trace.cap) {
                reason.push_str(&format!(
                    "; at most {}",
                    match &maximum.kind {
                        ExprKind::Literal(_) => show::expr(policy, maximum, None),
                        _ => format!("{} = {}", show::expr(policy, maximum, Some(&case)), show::money_text(value)),
                    }
                ));
            }
            vec![reason]
        }
        Award::Benefit { description } => vec![format!("benefit: {description}")],
    };
    let mut reasons = reasons;
    reasons.extend(award.trace.notes().iter().cloned());
    AwardWhy { condition, reasons }
}

/// What each `min` and `max` in `exprs` picked: "min picks the least: 50% of interest_paid
/// (5,000,000.00) = 2,500,000.00".
fn picks(policy: &Policy, trace: &AmountTrace, exprs: [Option<&Expr>; 2], case: &Case) -> Vec<String> {
    let mut reasons = Vec::new();
    for pick in trace.picks() {
        let call = exprs.iter().flatten().find_map(|expr| expr.call_at(pick.at));
        match call {
            Some(Expr { kind: ExprKind::Call(function, args), ty, .. }) => {
                if let Some(arg) = args.get(pick.arg) {
                    let chosen = if *function == Function::Min { "least" } else { "greatest" };
                    reasons.push(format!(
                        "{} picks the {chosen}: {} = {}",
                        function.name(),
                        show::expr(policy, arg, Some(case)),
                        show::fact(policy, *ty, &pick.value)
                    ));
                }
            }
            Some(Expr { kind: ExprKind::Brackets { subject, arms, otherwise }, .. }) => {
                let value = show::fact(policy, subject.ty, &pick.value);
                let subject_text = show::expr(policy, subject, None);
                let chosen = match arms.get(pick.arg) {
                    Some(arm) => Some((show::range(policy, subject.ty, arm), &arm.amount)),
                    None => otherwise.as_deref().map(|amount| ("else".to_string(), amount)),
                };
                if let Some((range, amount)) = chosen {
                    reasons.push(format!(
                        "{subject_text} ({value}) is in range {range} => {}",
                        show::expr(policy, amount, Some(case))
                    ));
                }
            }
            _ => {}
        }
    }
    reasons
}

/// What each named value the amount read was: "where rd_expense = staff_cost (…) + … =
/// 10,000,000.00".
fn named_values(policy: &Policy, trace: &AmountTrace, case: &Case) -> Vec<String> {
    trace
        .named()
        .iter()
        .filter_map(|(id, fact)| {
            let value = policy.values.get(*id)?;
            Some(format!(
                "where {} = {} = {}",
                value.name,
                show::expr(policy, &value.expr, Some(case)),
                show::fact(policy, value.expr.ty, fact)
            ))
        })
        .collect()
}
