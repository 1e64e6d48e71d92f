//! Why an award has its amount, in words: the condition with the facts that met it, the
//! arithmetic, the clause's own cap, and the rounding. Rendered only when a result is
//! written, from the few facts the award kept, so a large batch keeps no strings.

use super::{show, Adjustment, AmountTrace, AwardRecord, CaseSummary, RuleRef, Why};
use crate::check::checked::{Award, Expr, ExprKind, Policy};
use crate::data::{Case, Fact, Location};
use crate::money::{self, Date};
use crate::syntax::ast::{Function, Sign};
use rust_decimal::Decimal;
use std::borrow::Cow;

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
            let mut reasons = vec![match (&amount.kind, trace.tier()) {
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

/// The words of the cross-case rules: each adjustment's rule and reason, from the facts
/// it kept. Built once per result written; what every reason of a cap repeats is
/// written here once.
pub struct Wording<'p> {
    policy: &'p Policy,
    caps: Vec<CapText>,
}

/// A cap's words that every cut and note by it repeats.
#[derive(Default)]
pub(super) struct CapText {
    /// What it limits: "per recipient, year over clause 1.1 (Article 1 …)".
    pub scope: String,
    /// The condition of its relaxation, as the policy writes it.
    pub relaxed_when: String,
}

/// The most clauses a cap's reason lists by id.
const CLAUSES_NAMED_IN_A_REASON: usize = 4;

impl<'p> Wording<'p> {
    pub fn new(policy: &'p Policy) -> Wording<'p> {
        let caps = policy
            .caps
            .iter()
            .map(|cap| CapText {
                scope: cap_scope(policy, cap),
                relaxed_when: cap
                    .relaxed
                    .as_ref()
                    .map(|(_, condition)| show::expr(policy, condition, None))
                    .unwrap_or_default(),
            })
            .collect();
        Wording { policy, caps }
    }

    pub fn policy(&self) -> &'p Policy {
        self.policy
    }

    pub(super) fn cap_text(&self, cap: usize) -> Option<&CapText> {
        self.caps.get(cap)
    }

    /// The rule that made an adjustment: `once`, `class NAME`, `cap`, ...
    pub fn rule(&self, adjustment: &Adjustment) -> Cow<'static, str> {
        match adjustment.source {
            RuleRef::Instalments => "instalments".into(),
            RuleRef::Once => "once".into(),
            RuleRef::Years => "years".into(),
            RuleRef::History(rule) if self.policy.history.get(rule).is_some_and(|rule| rule.after) => "after".into(),
            RuleRef::History(_) => "unless".into(),
            RuleRef::Class(class) => {
                format!("class {}", self.policy.classes.get(class).map_or("?", |class| class.name.as_str())).into()
            }
            RuleRef::Cap(_) => "cap".into(),
        }
    }

    /// Why each of `award`'s adjustments changed it, in the order made.
    pub fn reasons<'a>(
        &'a self,
        cases: &'a [CaseSummary],
        award: &'a AwardRecord,
    ) -> impl Iterator<Item = String> + 'a {
        award.adjustments.iter().map(move |adjustment| self.reason(cases, award, adjustment))
    }

    /// Why `adjustment` changed `award`; `cases` are the cases of the batch its reason
    /// may name.
    pub fn reason(&self, cases: &[CaseSummary], award: &AwardRecord, adjustment: &Adjustment) -> String {
        match (&adjustment.why, adjustment.source) {
            (Why::Worded(text), _) => text.to_string(),
            (Why::OnceHeld { case }, _) => once_reason(self.clause_id(award.clause), &case_label(cases, *case)),
            (Why::Superseded { case, clause }, source) => {
                let class = match source {
                    RuleRef::Class(class) => self.policy.classes.get(class),
                    _ => None,
                };
                let winner = format!("clause {} of {}", self.clause_id(*clause as usize), case_label(cases, *case));
                class_reason(class, &winner)
            }
            (Why::Capped { counted, limit }, RuleRef::Cap(cap)) => {
                self.cap_reason(cap, *limit, *counted, adjustment.to.unwrap_or_default())
            }
            (Why::Capped { .. }, _) => String::new(),
        }
    }

    fn clause_id(&self, clause: usize) -> &str {
        self.policy.clauses.get(clause).map_or("?", |clause| clause.id.as_str())
    }

    /// A cap's reason for cutting an award to `left`: its amount (as relaxed to `limit`),
    /// what it limits, and what it had counted.
    pub(super) fn cap_reason(&self, cap: usize, limit: Decimal, counted: Decimal, left: Decimal) -> String {
        let (Some(def), Some(text)) = (self.policy.caps.get(cap), self.caps.get(cap)) else { return String::new() };
        let amount = match &def.relaxed {
            Some(_) if limit != def.amount => format!(
                "{} (relaxed from {} when {})",
                money::format_money_readable(limit),
                money::format_money_readable(def.amount),
                text.relaxed_when
            ),
            _ => money::format_money_readable(def.amount),
        };
        format!(
            "cap {amount} {}: {} already counted, {} left",
            text.scope,
            show::money_text(counted),
            show::money_text(left)
        )
    }
}

/// `once`'s reason for a cut award of `clause`, `holder` naming the case that used the
/// key first.
pub(super) fn once_reason(clause: &str, holder: &str) -> String {
    format!("clause {clause} is paid once per key; {holder} already has it")
}

/// A class's reason for a superseded award, `winner` naming the award that stands.
pub(super) fn class_reason(class: Option<&crate::check::checked::Class>, winner: &str) -> String {
    format!(
        "class {} ({}): only the highest award stands; superseded by {winner}",
        class.map_or("?", |class| class.name.as_str()),
        class.and_then(|class| class.label.as_deref()).unwrap_or("same kind of award")
    )
}

/// "case X (date)" for a case of the batch by its place, "case X (date, run N)" for one of
/// a committed round.
pub(super) fn case_label(cases: &[CaseSummary], case: u32) -> String {
    match cases.get(case as usize) {
        // A committed case also names the run that decided it.
        Some(case) if case.round != super::THIS_BATCH => committed_case_label(&case.id, case.date, case.round),
        Some(case) => format!("case {} ({})", case.id, case.date),
        None => "an earlier case".to_string(),
    }
}

/// A committed case as reasons name it: "case X (date, run N)".
pub(super) fn committed_case_label(id: &str, date: Date, round: u64) -> String {
    format!("case {id} ({date}, run {round})")
}

/// "per recipient, year over clause 1.1 (Article 1 …)": what a cap limits.
pub(super) fn cap_scope(policy: &Policy, cap: &crate::check::checked::Cap) -> String {
    let per = if cap.per.is_empty() { "in all".to_string() } else { format!("per {}", key_names(policy, &cap.per)) };
    // A long clause list is named once, in the policy, not copied into thousands of reasons.
    let over = if cap.clauses.len() <= CLAUSES_NAMED_IN_A_REASON {
        let clauses: Vec<&str> = cap
            .clauses
            .iter()
            .map(|&clause| policy.clauses.get(clause).map_or("?", |clause| clause.id.as_str()))
            .collect();
        format!("over clause {}", clauses.join(", "))
    } else {
        format!("over the {} clauses its article lists", cap.clauses.len())
    };
    format!("{per} {over} ({})", policy.article_heading(cap.article))
}

/// A rule's keys as its reasons name them: "recipient, year".
pub(super) fn key_names(policy: &Policy, keys: &[crate::check::checked::Key]) -> String {
    use crate::check::checked::Key;
    keys.iter()
        .map(|key| match key {
            Key::Recipient => "recipient".to_string(),
            Key::Tier => "tier".to_string(),
            Key::Year => "year".to_string(),
            Key::Input(input) => policy.inputs.get(*input).map_or("?".to_string(), |input| input.name.clone()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
