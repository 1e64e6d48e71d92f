//! Cases built from domains, to show a finding: a value for each input the domains allow,
//! written as a record `polc run` reads, and run through the evaluator itself, so that
//! every witness a report gives is one polc confirms.

use super::domain::{Domains, Presence, Values};
use crate::check::checked::{Clause, InputId, Policy, Type};
use crate::data::InputFormat;
use crate::money::Date;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The smallest step above or below a value of each kind: a fen, a whole number, a day.
fn step(ty: Type) -> Decimal {
    match ty {
        Type::Integer | Type::Date => Decimal::ONE,
        _ => Decimal::new(1, 2),
    }
}

/// A value far above any threshold a policy states, for an input unbounded above.
fn large(ty: Type) -> Decimal {
    match ty {
        Type::Integer => Decimal::from(1_000_000_000),
        Type::Date => Decimal::from(Date { year: 2099, month: 12, day: 31 }.day_number()),
        _ => Decimal::from(100_000_000_000_000_i64),
    }
}

/// Values of an input within its domain to try: its ends, a value far above when it is
/// unbounded, and each of `near` (the policy's own thresholds) with a step either side.
pub fn candidates(policy: &Policy, domains: &Domains, input: InputId, near: &[Decimal]) -> Vec<Value> {
    let Some(declared) = policy.inputs.get(input) else { return Vec::new() };
    let Some(domain) = domains.inputs.get(&input) else { return Vec::new() };
    match &domain.values {
        Values::Set(values) => values.iter().filter_map(|value| encode_set(policy, declared.ty, *value)).collect(),
        Values::Any => vec![Value::String(format!("T{input}"))],
        Values::Number(interval) => {
            let ty = declared.ty;
            let step = step(ty);
            let mut numbers: BTreeSet<Decimal> = BTreeSet::new();
            if let Some(low) = interval.low {
                numbers.insert(if low.included { low.value } else { low.value + step });
            }
            match interval.high {
                Some(high) => {
                    numbers.insert(if high.included { high.value } else { high.value - step });
                }
                None => {
                    numbers.insert(large(ty));
                }
            }
            for value in near {
                for candidate in [*value - step, *value, *value + step] {
                    numbers.insert(candidate);
                }
            }
            if numbers.is_empty() {
                numbers.insert(Decimal::ONE);
            }
            // Money in data is whole fen, as people write it: a value between fens (a cap
            // over a rate) is tried at the fen either side.
            if ty == Type::Money {
                numbers = numbers
                    .into_iter()
                    .flat_map(|number| {
                        let hundred = Decimal::ONE_HUNDRED;
                        let fen = number.checked_mul(hundred);
                        [fen.map(|fen| fen.floor() / hundred), fen.map(|fen| fen.ceil() / hundred)]
                    })
                    .flatten()
                    .collect();
            }
            numbers
                .into_iter()
                .filter(|number| inside(interval, *number))
                .filter_map(|number| encode_number(ty, number))
                .collect()
        }
    }
}

fn inside(interval: &super::domain::Interval, number: Decimal) -> bool {
    let above = interval.low.is_none_or(|low| number > low.value || (low.included && number == low.value));
    let below = interval.high.is_none_or(|high| number < high.value || (high.included && number == high.value));
    above && below
}

fn encode_set(policy: &Policy, ty: Type, value: u32) -> Option<Value> {
    match ty {
        Type::Bool => Some(Value::Bool(value == 1)),
        Type::Enum(id) => Some(Value::String(policy.enums.get(id)?.values.get(value as usize)?.name.clone())),
        _ => None,
    }
}

/// A number as data: money, ratios and quantities as exact decimal text, an integer as a
/// JSON number, a date from its day number.
fn encode_number(ty: Type, number: Decimal) -> Option<Value> {
    match ty {
        Type::Integer => number.trunc().to_string().parse::<i64>().ok().map(Value::from),
        Type::Date => {
            let days = number.trunc().to_string().parse::<i64>().ok()?;
            Date::from_day_number(days).map(|date| Value::String(date.to_string()))
        }
        Type::Money | Type::Ratio | Type::Quantity | Type::PerUnit => {
            (!number.is_sign_negative() || ty == Type::Quantity).then(|| Value::String(number.normalize().to_string()))
        }
        _ => None,
    }
}

/// A case with a value for every input the domains require given, and for `wanted`
/// (unless the domains say it is missing): the first candidate of each.
pub fn typical(policy: &Policy, domains: &Domains, wanted: &BTreeSet<InputId>) -> Option<Map<String, Value>> {
    let mut case = Map::new();
    for (input, domain) in &domains.inputs {
        let declared = policy.inputs.get(*input)?;
        let include = match domain.presence {
            Presence::Missing => false,
            Presence::Given => true,
            Presence::Either => wanted.contains(input),
        };
        if !include {
            continue;
        }
        let value = if *input == policy.case_id {
            Value::String("W".to_string())
        } else if declared.ty == Type::Entity {
            Value::String(format!("E{input}"))
        } else if declared.ty == Type::Date {
            // A date the policy is in force on, where the domain allows one.
            let start = policy.validity.map(|validity| Decimal::from(validity.from.day_number()));
            let tried = candidates(policy, domains, *input, start.as_slice());
            let within = start.and_then(|start| encode_number(Type::Date, start)).filter(|date| tried.contains(date));
            within.or_else(|| tried.into_iter().next())?
        } else {
            candidates(policy, domains, *input, &[]).into_iter().next()?
        };
        case.insert(declared.name.clone(), value);
    }
    Some(case)
}

/// The awards each case gets from each clause, before any cross-case rule: per case (in
/// the order given), per clause index, the amounts its clause computed (`None` for an
/// award without an amount). A case that cannot run gets nothing.
pub fn run(policy: &Policy, cases: &[Map<String, Value>]) -> Vec<Vec<(usize, Option<Decimal>)>> {
    let records: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            let mut case = case.clone();
            if let Some(id) = policy.inputs.get(policy.case_id) {
                case.insert(id.name.clone(), Value::String(format!("W{index}")));
            }
            Value::Object(case)
        })
        .collect();
    let mut awards = vec![Vec::new(); cases.len()];
    let Ok(batch) = serde_json::to_vec(&records) else { return awards };
    let Ok(result) = crate::eval::run(policy, batch.as_slice(), InputFormat::Json, None) else { return awards };
    for summary in &result.cases {
        let id = result.cases.id(summary);
        let Some(index) = id.strip_prefix('W').and_then(|index| index.parse::<usize>().ok()) else { continue };
        if let Some(slot) = awards.get_mut(index) {
            slot.extend(result.case_awards(summary).iter().map(|award| (award.clause, award.computed())));
        }
    }
    awards
}

/// The inputs a clause's amount and its cap read.
pub fn amount_inputs(policy: &Policy, clause: &Clause) -> BTreeSet<InputId> {
    use crate::check::checked::Award;
    let mut inputs = BTreeSet::new();
    let exprs: Vec<&crate::check::checked::Expr> = match &clause.award {
        Award::Grant { amount, cap } => std::iter::once(amount).chain(cap).collect(),
        Award::UpTo { max } => vec![max],
        Award::Open { base, maximum, .. } => base.iter().chain(maximum).collect(),
        Award::Range { low, high, cap } => [Some(low), Some(high), cap.as_ref()].into_iter().flatten().collect(),
        Award::Benefit { .. } => Vec::new(),
    };
    for expr in exprs {
        collect(policy, expr, &mut inputs);
    }
    inputs
}

/// The inputs an expression reads, through named values: walked with a list, not
/// recursion, each named value once, as a chain of values may be as long as the file.
pub fn collect(policy: &Policy, expr: &crate::check::checked::Expr, inputs: &mut BTreeSet<InputId>) {
    use crate::check::checked::ExprKind;
    let mut pending = vec![expr];
    let mut followed = BTreeSet::new();
    while let Some(expr) = pending.pop() {
        match &expr.kind {
            ExprKind::Input(input) | ExprKind::IsPresent(input) => {
                inputs.insert(*input);
            }
            ExprKind::Named(value) if followed.insert(*value) => {
                pending.extend(policy.values.get(*value).map(|named| &named.expr));
            }
            _ => pending.extend(expr.children()),
        }
    }
}

/// The numbers a policy's expressions state (thresholds, rates, caps, table ranges): the
/// values worth trying near.
// INVARIANT: as for `collect`.
pub fn literals(expr: &crate::check::checked::Expr, found: &mut BTreeSet<Decimal>) {
    use crate::check::checked::ExprKind;
    match &expr.kind {
        ExprKind::Literal(value) => {
            found.extend(super::domain::literal_number(value));
        }
        ExprKind::Tiers { tiers, .. } => {
            for tier in tiers {
                found.extend(super::domain::literal_number(&tier.threshold));
            }
            expr.children().into_iter().for_each(|child| literals(child, found));
        }
        ExprKind::Brackets { arms, .. } => {
            for arm in arms {
                for (value, _) in arm.low.iter().chain(arm.high.iter()) {
                    found.extend(super::domain::literal_number(value));
                }
            }
            expr.children().into_iter().for_each(|child| literals(child, found));
        }
        _ => expr.children().into_iter().for_each(|child| literals(child, found)),
    }
}
